//! Versioned migrations at open: fresh, current, newer (refused, never
//! downgraded), failed (rolled back), not a database.

use printhub_store::{Store, StoreConfig, StoreError, SCHEMA_VERSION};

use crate::support::{job, printer, raw, TempStore};

fn user_version(conn: &rusqlite::Connection) -> i64 {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version")
}

#[test]
fn a_fresh_database_gets_the_current_schema_and_keeps_it() {
    let t = TempStore::new();
    assert_eq!(t.store.schema_version().expect("version"), SCHEMA_VERSION);
    t.store
        .commit(vec![job(1, printer(1))])
        .wait()
        .expect("commit");
    let t = t.reopen();
    assert_eq!(user_version(&t.raw()), SCHEMA_VERSION);
    assert_eq!(t.store.load_all_jobs().expect("load").jobs.len(), 1);
}

#[test]
fn a_database_from_a_newer_printhub_is_refused_and_left_alone() {
    let t = TempStore::new();
    t.store
        .commit(vec![job(1, printer(1))])
        .wait()
        .expect("commit");
    let TempStore { dir, path, store } = t;
    store.close().expect("close");
    raw(&path)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("bump");

    let err = Store::open(&path, StoreConfig::default()).expect_err("refused");
    assert!(matches!(err, StoreError::Migration(_)), "{err:?}");
    assert_eq!(err.code(), "store_migration_failed");
    let message = err.to_string();
    assert!(
        message.contains(&format!("schema version {}", SCHEMA_VERSION + 1))
            && message.contains("newer printhub"),
        "{message}"
    );
    let conn = raw(&path);
    assert_eq!(user_version(&conn), SCHEMA_VERSION + 1, "not downgraded");
    let jobs: i64 = conn
        .query_row("SELECT COUNT(*) FROM jobs", [], |r| r.get(0))
        .expect("count");
    assert_eq!(jobs, 1, "data untouched");
    drop(dir);
}

#[test]
fn a_failed_migration_is_rolled_back_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("clash.db");
    // Version 0 but a `printers` table already there: step 1 cannot run.
    raw(&path)
        .execute_batch("CREATE TABLE printers (x INTEGER)")
        .expect("setup");

    let err = Store::open(&path, StoreConfig::default()).expect_err("fails");
    assert!(matches!(err, StoreError::Migration(_)), "{err:?}");
    assert!(err.to_string().contains("rolled back"), "{err}");
    let conn = raw(&path);
    assert_eq!(user_version(&conn), 0);
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'jobs'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(tables, 0, "nothing of the failed step remains");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, vec![b'x'; 8192]).expect("write");
    let err = Store::open(&path, StoreConfig::default()).expect_err("refused");
    assert_eq!(err.code(), "store_open_failed", "{err:?}");
    assert!(err.to_string().contains("notes.txt"), "{err}");
}
