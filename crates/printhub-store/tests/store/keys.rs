//! API keys and the admin audit log survive a reopen, revocation is kept
//! once, hashes are unique and a key's secret is never a column.

use printhub_core::Timestamp;
use printhub_store::{ApiKeyRecord, AuditRecord, StoreError};
use serde_json::json;

use crate::support::TempStore;

fn key(id: &str, hash: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.into(),
        name: format!("key {id}"),
        hash: hash.into(),
        scope: "print".into(),
        printers: Some(vec!["4e0f1b0e-0000-4000-8000-000000000001".into()]),
        created_at: Timestamp::from_millis(1_000),
        expires_at: Some(Timestamp::from_millis(9_000)),
        revoked_at: None,
        last_used_at: None,
        rate_limit_per_minute: Some(30),
    }
}

fn audit(action: &str, target: &str, at: i64) -> AuditRecord {
    AuditRecord {
        id: 0,
        at: Timestamp::from_millis(at),
        actor: "key:admin".into(),
        action: action.into(),
        target: target.into(),
        detail: Some(json!({"scope": "print"})),
    }
}

#[test]
fn keys_and_audit_survive_a_reopen() {
    let t = TempStore::new();
    let a = key("aa", "h1");
    let b = ApiKeyRecord {
        printers: None,
        expires_at: None,
        rate_limit_per_minute: None,
        ..key("bb", "h2")
    };
    t.store
        .insert_api_key(&a, &audit("key.create", "aa", 1))
        .expect("insert a");
    t.store
        .insert_api_key(&b, &audit("key.create", "bb", 2))
        .expect("insert b");
    t.store
        .touch_api_key("aa", Timestamp::from_millis(5_000))
        .wait()
        .expect("touch");
    let t = t.reopen();
    let keys = t.store.load_api_keys().expect("load");
    assert_eq!(
        keys,
        vec![
            ApiKeyRecord {
                last_used_at: Some(Timestamp::from_millis(5_000)),
                ..a
            },
            b
        ]
    );
    let (items, total) = t.store.load_audit_log(10, 0).expect("audit");
    assert_eq!(total, 2);
    assert_eq!(
        items.iter().map(|r| r.target.as_str()).collect::<Vec<_>>(),
        ["bb", "aa"],
        "newest first"
    );
    assert_eq!(items[0].detail, Some(json!({"scope": "print"})));
    let (page, _) = t.store.load_audit_log(1, 1).expect("page");
    assert_eq!(page[0].target, "aa");
}

#[test]
fn revocation_is_recorded_once_and_unknown_keys_are_none() {
    let t = TempStore::new();
    t.store
        .insert_api_key(&key("aa", "h1"), &audit("key.create", "aa", 1))
        .expect("insert");
    let first = t
        .store
        .revoke_api_key("aa", &audit("key.revoke", "aa", 7_000))
        .expect("revoke")
        .expect("exists");
    assert_eq!(first.revoked_at, Some(Timestamp::from_millis(7_000)));
    let again = t
        .store
        .revoke_api_key("aa", &audit("key.revoke", "aa", 8_000))
        .expect("revoke again")
        .expect("exists");
    assert_eq!(again.revoked_at, Some(Timestamp::from_millis(7_000)));
    assert_eq!(
        t.store
            .revoke_api_key("nope", &audit("key.revoke", "nope", 9_000))
            .expect("unknown"),
        None
    );
    let (_, total) = t.store.load_audit_log(10, 0).expect("audit");
    assert_eq!(
        total, 3,
        "create + two revokes of an existing key; none for unknown"
    );
}

#[test]
fn a_duplicate_hash_is_refused_and_nothing_is_audited() {
    let t = TempStore::new();
    t.store
        .insert_api_key(&key("aa", "same"), &audit("key.create", "aa", 1))
        .expect("insert");
    let err = t
        .store
        .insert_api_key(&key("bb", "same"), &audit("key.create", "bb", 2))
        .expect_err("duplicate hash");
    assert!(matches!(err, StoreError::Sqlite(_)), "{err:?}");
    assert_eq!(t.store.load_api_keys().expect("load").len(), 1);
    assert_eq!(t.store.load_audit_log(10, 0).expect("audit").1, 1);
}

#[test]
fn the_schema_has_no_column_for_a_secret() {
    let t = TempStore::new();
    let conn = t.raw();
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info('api_keys')")
        .expect("prepare");
    let columns: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(columns.contains(&"hash".to_string()));
    assert!(!columns.iter().any(|c| c.contains("secret") || c == "key"));
}

/// The database holds key digests and who printed what: owner-only, and
/// SQLite's WAL and shared-memory files follow the database file's mode.
#[cfg(unix)]
#[test]
fn the_database_and_its_wal_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let t = TempStore::new();
    t.store
        .insert_api_key(&key("aa", "h1"), &audit("key.create", "aa", 1_000))
        .expect("ok");
    let path = t.path.clone();
    for file in [
        path.clone(),
        path.with_extension("db-wal"),
        path.with_extension("db-shm"),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    // A database made readable by others before is tightened on open.
    let TempStore { dir, store, .. } = t;
    store.close().expect("ok");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("ok");
    let store =
        printhub_store::Store::open(&path, printhub_store::StoreConfig::default()).expect("ok");
    assert_eq!(mode(&path), 0o600);
    drop(store);
    drop(dir);
}
