//! Saved labels (issue #24): a round trip through a reopen, names unique
//! whatever their case (on insert and on replace, nothing changed by a
//! refusal), replace keeping the creator, delete, the list sorted by name,
//! and the table's own checks.

use printhub_core::Timestamp;
use printhub_store::{SavedLabelRecord, StoreError};
use serde_json::json;

use crate::support::TempStore;

fn label(id: &str, name: &str, printer: Option<&str>) -> SavedLabelRecord {
    SavedLabelRecord {
        id: id.into(),
        name: name.into(),
        printer_id: printer.map(str::to_owned),
        request: json!({
            "content_type": "qr_one_line",
            "data": { "primary_id": name, "qr_payload": "https://example.invalid/x" },
            "copies": 2,
            "options": { "cut": true },
        }),
        created_by: "key:aa".into(),
        created_at: Timestamp::from_millis(1_000),
        updated_at: Timestamp::from_millis(1_000),
    }
}

const PT: &str = "4e0f1b0e-0000-4000-8000-000000000001";

#[test]
fn a_saved_label_survives_a_reopen_as_it_was_saved() {
    let t = TempStore::new();
    let a = label("00000000-0000-4000-8000-00000000000a", "Shelf A", Some(PT));
    let b = label("00000000-0000-4000-8000-00000000000b", "any printer", None);
    t.store.insert_saved_label(&a).expect("insert a");
    t.store.insert_saved_label(&b).expect("insert b");
    let t = t.reopen();
    assert_eq!(
        t.store.load_saved_label(&a.id).expect("load"),
        Some(a.clone())
    );
    assert_eq!(
        t.store.load_saved_label(&b.id).expect("load"),
        Some(b.clone())
    );
    assert_eq!(t.store.load_saved_label("nope").expect("load"), None);
    assert_eq!(t.store.load_saved_labels().expect("list"), vec![b, a]);
}

#[test]
fn a_name_is_taken_whatever_its_case_and_the_refusal_changes_nothing() {
    let t = TempStore::new();
    let a = label("00000000-0000-4000-8000-00000000000a", "Überkarton 1", None);
    t.store.insert_saved_label(&a).expect("insert");
    let twin = label(
        "00000000-0000-4000-8000-00000000000b",
        "üBERKARTON 1",
        Some(PT),
    );
    let err = t.store.insert_saved_label(&twin).expect_err("taken");
    assert_eq!(err.code(), "saved_label_exists");
    match &err {
        StoreError::NameTaken { name, existing } => {
            assert_eq!(
                (name.as_str(), existing.as_str()),
                ("üBERKARTON 1", a.id.as_str())
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.store.load_saved_labels().expect("list"), vec![a.clone()]);
    // Replacing another label with the name is refused too, and changes nothing.
    let b = label("00000000-0000-4000-8000-00000000000b", "Other", None);
    t.store.insert_saved_label(&b).expect("insert b");
    let renamed = SavedLabelRecord {
        name: "ÜBERKARTON 1".into(),
        ..b.clone()
    };
    let err = t.store.replace_saved_label(&renamed).expect_err("taken");
    assert_eq!(err.code(), "saved_label_exists");
    assert_eq!(t.store.load_saved_label(&b.id).expect("load"), Some(b));
    // A label may keep its own name in another case.
    let recased = SavedLabelRecord {
        name: "ÜBERKARTON 1".into(),
        ..a.clone()
    };
    let got = t.store.replace_saved_label(&recased).expect("own name");
    assert_eq!(got.map(|l| l.name), Some("ÜBERKARTON 1".to_string()));
}

#[test]
fn replace_keeps_the_creator_and_creation_time() {
    let t = TempStore::new();
    let a = label("00000000-0000-4000-8000-00000000000a", "Shelf A", Some(PT));
    t.store.insert_saved_label(&a).expect("insert");
    let new = SavedLabelRecord {
        name: "Shelf A, two lines".into(),
        printer_id: None,
        request: json!({ "text": { "lines": ["Shelf", "A"] } }),
        created_by: "key:someone-else".into(),
        created_at: Timestamp::from_millis(7_000),
        updated_at: Timestamp::from_millis(9_000),
        ..a.clone()
    };
    let got = t
        .store
        .replace_saved_label(&new)
        .expect("replace")
        .expect("found");
    assert_eq!(
        got,
        SavedLabelRecord {
            created_by: a.created_by.clone(),
            created_at: a.created_at,
            ..new.clone()
        }
    );
    let t = t.reopen();
    assert_eq!(t.store.load_saved_label(&a.id).expect("load"), Some(got));
    // An unknown id is not created by a replace.
    let ghost = label("00000000-0000-4000-8000-0000000000ff", "Ghost", None);
    assert_eq!(t.store.replace_saved_label(&ghost).expect("replace"), None);
    assert_eq!(t.store.load_saved_labels().expect("list").len(), 1);
}

#[test]
fn delete_returns_the_label_once() {
    let t = TempStore::new();
    let a = label("00000000-0000-4000-8000-00000000000a", "Shelf A", None);
    t.store.insert_saved_label(&a).expect("insert");
    assert_eq!(
        t.store.delete_saved_label(&a.id).expect("delete"),
        Some(a.clone())
    );
    assert_eq!(t.store.delete_saved_label(&a.id).expect("again"), None);
    assert_eq!(t.store.load_saved_labels().expect("list"), vec![]);
    // The name is free again.
    t.store.insert_saved_label(&a).expect("insert again");
}

#[test]
fn the_list_is_sorted_by_name_whatever_its_case() {
    let t = TempStore::new();
    for (n, name) in ["delta", "Bravo", "alpha", "Charlie"].iter().enumerate() {
        let id = format!("00000000-0000-4000-8000-00000000000{n}");
        t.store
            .insert_saved_label(&label(&id, name, None))
            .expect("insert");
    }
    let names: Vec<String> = t
        .store
        .load_saved_labels()
        .expect("list")
        .into_iter()
        .map(|l| l.name)
        .collect();
    assert_eq!(names, ["alpha", "Bravo", "Charlie", "delta"]);
}

#[test]
fn the_table_refuses_empty_and_overlong_names_and_non_json() {
    let t = TempStore::new();
    for name in [String::new(), "x".repeat(101)] {
        let err = t
            .store
            .insert_saved_label(&label("00000000-0000-4000-8000-00000000000a", &name, None))
            .expect_err("refused by the CHECK");
        assert_eq!(err.code(), "store_error", "{name:?}");
    }
    // 100 characters (not bytes) fit.
    let long = "é".repeat(100);
    t.store
        .insert_saved_label(&label("00000000-0000-4000-8000-00000000000a", &long, None))
        .expect("100 characters");
    let raw = t.raw();
    let err = raw.execute(
        "INSERT INTO saved_labels (id, name, name_key, request, created_by, created_at, updated_at)
         VALUES ('x', 'x', 'x', '{not json', 'cli', 0, 0)",
        [],
    );
    assert!(err.is_err(), "a request that is not JSON is refused");
}
