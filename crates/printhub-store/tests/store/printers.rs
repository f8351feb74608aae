//! Printers: create, update, delete, each audited with secrets redacted;
//! slug uniqueness; printer status.

use printhub_core::{PrinterId, Timestamp};
use printhub_store::{AuditAction, PrinterRecord, SaveOutcome, StoreError, REDACTED};
use serde_json::json;

use crate::support::{job, printer, TempStore};

const SECRET: &str = "s3cret-community";

fn lab() -> PrinterRecord {
    let mut p = PrinterRecord::new(
        printer(1),
        "lab",
        "Lab printer",
        "PT-P750W",
        "10.0.0.5:9100",
    );
    p.media = Some("tze-12".into());
    p.snmp_community = Some(SECRET.into());
    p.defaults = json!({"cut": true, "chain": false, "webhook_token": "tok-123"});
    p
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

#[test]
fn create_update_delete_are_stored_and_audited() {
    let t = TempStore::new();
    let p = lab();
    assert_eq!(
        t.store
            .save_printer(&p, "admin-key", at(10))
            .expect("create"),
        SaveOutcome::Created
    );
    let stored = t.store.load_printer(p.id).expect("load").expect("present");
    assert_eq!(stored.created_at, at(10));
    assert_eq!(stored.updated_at, at(10));
    assert_eq!(
        PrinterRecord {
            created_at: p.created_at,
            updated_at: p.updated_at,
            ..stored.clone()
        },
        p,
        "every field stored"
    );

    // Saving the same settings again changes nothing and audits nothing.
    assert_eq!(
        t.store
            .save_printer(&stored, "admin-key", at(15))
            .expect("same"),
        SaveOutcome::Unchanged
    );

    let mut renamed = stored.clone();
    renamed.name = "Lab (upstairs)".into();
    renamed.snmp_community = Some("another-secret".into());
    renamed.enabled = false;
    assert_eq!(
        t.store
            .save_printer(&renamed, "ops", at(20))
            .expect("update"),
        SaveOutcome::Updated
    );
    let stored = t.store.load_printer(p.id).expect("load").expect("present");
    assert_eq!(stored.created_at, at(10), "kept");
    assert_eq!(stored.updated_at, at(20));
    assert_eq!(stored.name, "Lab (upstairs)");
    assert!(!stored.enabled);
    assert_eq!(stored.snmp_community.as_deref(), Some("another-secret"));

    assert!(t.store.delete_printer(p.id, "ops", at(30)).expect("delete"));
    assert!(!t.store.delete_printer(p.id, "ops", at(31)).expect("absent"));
    assert_eq!(t.store.load_printer(p.id).expect("load"), None);
    assert!(t.store.load_printers().expect("all").printers.is_empty());

    let audit = t.store.load_printer_audit(Some(p.id), 100).expect("audit");
    let actions: Vec<_> = audit
        .iter()
        .map(|a| (a.action, a.actor.as_str(), a.at))
        .collect();
    assert_eq!(
        actions,
        vec![
            (AuditAction::Delete, "ops", at(30)),
            (AuditAction::Update, "ops", at(20)),
            (AuditAction::Create, "admin-key", at(10)),
        ],
        "newest first, one row per change"
    );
    let (delete, update, create) = (&audit[0], &audit[1], &audit[2]);
    assert_eq!(create.before, None);
    assert_eq!(delete.after, None);
    let before = update.before.as_ref().expect("before");
    let after = update.after.as_ref().expect("after");
    assert_eq!(before["name"], "Lab printer");
    assert_eq!(after["name"], "Lab (upstairs)");
    assert_eq!(after["enabled"], false);
    assert_eq!(after["snmp_community"], REDACTED);
    assert_eq!(after["defaults"]["webhook_token"], REDACTED);
    assert_eq!(after["defaults"]["cut"], true);
    assert_eq!(delete.before.as_ref().expect("before")["slug"], "lab");
}

#[test]
fn secrets_never_reach_the_audit_table() {
    let t = TempStore::new();
    let mut p = lab();
    t.store.save_printer(&p, "a", at(1)).expect("create");
    p.snmp_community = Some(format!("{SECRET}-2"));
    t.store.save_printer(&p, "a", at(2)).expect("update");
    t.store.delete_printer(p.id, "a", at(3)).expect("delete");
    let all: String = t
        .raw()
        .query_row(
            "SELECT group_concat(COALESCE(before_json, '') || COALESCE(after_json, ''), '|')
             FROM printer_audit",
            [],
            |r| r.get(0),
        )
        .expect("audit text");
    assert!(!all.contains(SECRET), "{all}");
    assert!(!all.contains("tok-123"), "{all}");
    assert!(all.contains(REDACTED));
}

#[test]
fn a_slug_belongs_to_one_printer() {
    let t = TempStore::new();
    t.store.save_printer(&lab(), "a", at(1)).expect("create");
    let other = PrinterRecord::new(printer(2), "lab", "Other", "QL-820NWB", "10.0.0.6:9100");
    let err = t.store.save_printer(&other, "a", at(2)).expect_err("clash");
    assert!(
        matches!(&err, StoreError::SlugTaken { slug, existing } if slug == "lab" && *existing == printer(1).to_string()),
        "{err:?}"
    );
    assert_eq!(err.code(), "printer_exists");
    let mut other = other;
    other.slug = "office".into();
    assert_eq!(
        t.store.save_printer(&other, "a", at(3)).expect("create"),
        SaveOutcome::Created
    );
    let slugs: Vec<_> = t
        .store
        .load_printers()
        .expect("all")
        .printers
        .into_iter()
        .map(|p| p.slug)
        .collect();
    assert_eq!(slugs, vec!["lab", "office"]);
    assert_eq!(
        t.store.load_printer_audit(None, 10).expect("audit").len(),
        2
    );
    assert_eq!(t.store.load_printer_audit(None, 1).expect("audit").len(), 1);
}

#[test]
fn a_printers_jobs_survive_its_deletion() {
    let t = TempStore::new();
    t.store.save_printer(&lab(), "a", at(1)).expect("create");
    t.store
        .commit(vec![job(1, printer(1))])
        .wait()
        .expect("commit");
    t.store
        .delete_printer(printer(1), "a", at(2))
        .expect("delete");
    assert_eq!(
        t.store
            .load_printer_jobs(printer(1))
            .expect("jobs")
            .jobs
            .len(),
        1
    );
}

#[test]
fn printer_status_is_kept_per_printer_and_replaced() {
    let t = TempStore::new();
    let (a, b) = (printer(1), PrinterId::from_u128(2));
    assert_eq!(t.store.load_printer_status(a).expect("none"), None);
    t.store
        .save_printer_status(a, &json!({"state": "idle"}), at(1))
        .wait()
        .expect("save");
    t.store
        .save_printer_status(b, &json!({"state": "offline"}), at(2))
        .wait()
        .expect("save");
    t.store
        .save_printer_status(a, &json!({"state": "stopped", "reason": "no_media"}), at(3))
        .wait()
        .expect("replace");
    let status = t
        .store
        .load_printer_status(a)
        .expect("load")
        .expect("present");
    assert_eq!(status.status["reason"], "no_media");
    assert_eq!(status.updated_at, at(3));
    let all = t.store.load_all_printer_status().expect("all");
    assert_eq!(all.len(), 2);

    // Deleting a registered printer drops its status too.
    t.store.save_printer(&lab(), "a", at(4)).expect("create");
    t.store.delete_printer(a, "a", at(5)).expect("delete");
    assert_eq!(t.store.load_printer_status(a).expect("load"), None);
    let t = t.reopen();
    assert_eq!(t.store.load_all_printer_status().expect("all").len(), 1);
}

#[test]
fn printers_survive_reopen_and_a_corrupt_printer_fails_alone() {
    let t = TempStore::new();
    t.store.save_printer(&lab(), "a", at(1)).expect("create");
    let other = PrinterRecord::new(printer(2), "office", "Office", "QL-820NWB", "h:9100");
    t.store.save_printer(&other, "a", at(2)).expect("create");
    t.raw()
        .execute(
            "UPDATE printers SET defaults = '{' WHERE slug = 'office'",
            [],
        )
        .expect("damage");
    let t = t.reopen();
    let loaded = t.store.load_printers().expect("load");
    assert_eq!(loaded.printers.len(), 1);
    assert_eq!(loaded.printers[0].snmp_community.as_deref(), Some(SECRET));
    assert_eq!(loaded.corrupt.len(), 1);
    assert_eq!(loaded.corrupt[0].id, printer(2).to_string());
    // Saving the printer again repairs it.
    assert_eq!(
        t.store.save_printer(&other, "a", at(3)).expect("repair"),
        SaveOutcome::Updated
    );
    assert!(t.store.load_printers().expect("load").corrupt.is_empty());
}
