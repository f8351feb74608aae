//! A full disk (real `SQLITE_FULL`, via a page cap) and a read-only
//! database: clear errors, nothing half-written, reads keep working, and
//! writes work again once the cause is gone.

use printhub_core::Timestamp;
use printhub_store::{Retention, StoreConfig, StoreError};

use crate::support::{completed, job, printer, with_raster, TempStore};

#[test]
fn a_full_database_fails_the_write_cleanly_and_keeps_serving_reads() {
    let t = TempStore::with_config(StoreConfig {
        max_pages: Some(120),
        ..StoreConfig::default()
    });
    let mut committed = Vec::new();
    let mut full = None;
    for n in 1..=200u128 {
        // ~16 KiB of noise: about four pages per job, whatever the compression.
        let j = completed(
            with_raster(job(n, printer(1)), 16 * 1024, n as u64),
            n as i64,
        );
        match t.store.commit(vec![j.clone()]).wait() {
            Ok(()) => committed.push(j),
            Err(e) => {
                full = Some((n, e));
                break;
            }
        }
    }
    let (n, err) = full.expect("the cap is reached");
    assert!(matches!(err, StoreError::Full), "{err:?}");
    assert_eq!(err.code(), "store_full");
    assert!(committed.len() > 5, "some jobs fit first");

    // Nothing of the failed commit was written; everything before it reads back.
    let loaded = t.store.load_all_jobs().expect("reads still work");
    assert_eq!(loaded.jobs, committed);
    assert_eq!(
        t.store
            .load_job(printhub_core::JobId::from_u128(n))
            .expect("load"),
        None
    );

    // Make room: writes work again.
    let deleted = t
        .store
        .prune(
            Retention {
                max_terminal: Some(2),
                ..Retention::default()
            },
            Timestamp::from_millis(1_000),
        )
        .expect("prune on a full database");
    assert!(deleted > 0);
    let j = with_raster(job(1_000, printer(1)), 16 * 1024, 7);
    t.store.commit(vec![j.clone()]).wait().expect("room again");
    assert_eq!(t.store.load_job(j.id).expect("load"), Some(j));
}

#[test]
fn a_read_only_database_refuses_writes_clearly_and_keeps_serving_reads() {
    let t = TempStore::new();
    let first = job(1, printer(1));
    t.store.commit(vec![first.clone()]).wait().expect("commit");

    t.store.simulate_read_only(true).expect("fault on");
    let err = t
        .store
        .commit(vec![job(2, printer(1))])
        .wait()
        .expect_err("read-only");
    assert!(matches!(err, StoreError::ReadOnly), "{err:?}");
    assert_eq!(err.code(), "store_read_only");
    assert_eq!(t.store.load_all_jobs().expect("reads").jobs, vec![first]);

    t.store.simulate_read_only(false).expect("fault off");
    t.store
        .commit(vec![job(2, printer(1))])
        .wait()
        .expect("writable again");
    assert_eq!(t.store.load_all_jobs().expect("reads").jobs.len(), 2);
}

#[test]
fn the_writability_probe_commits_a_heartbeat_and_fails_like_a_job_would() {
    let t = TempStore::new();
    assert_eq!(t.store.heartbeats().expect("read"), 0);
    t.store.probe_writable().wait().expect("writable");
    t.store.probe_writable().wait().expect("writable");
    assert_eq!(t.store.heartbeats().expect("read"), 2, "each probe commits");

    t.store.simulate_read_only(true).expect("fault on");
    let err = t.store.probe_writable().wait().expect_err("read-only");
    assert!(matches!(err, StoreError::ReadOnly), "{err:?}");
    assert_eq!(err.code(), "store_read_only");
    assert_eq!(t.store.heartbeats().expect("reads"), 2, "nothing written");

    t.store.simulate_read_only(false).expect("fault off");
    t.store.probe_writable().wait().expect("writable again");
    let t = t.reopen();
    assert_eq!(t.store.heartbeats().expect("read"), 3, "durable");
    // A probe leaves no job behind.
    assert!(t.store.load_all_jobs().expect("reads").jobs.is_empty());
}

#[test]
fn a_long_commit_that_fills_the_disk_leaves_none_of_its_rows() {
    // More than SOLO_JOBS snapshots run without a savepoint, alone in their
    // transaction: when the disk fills halfway, the transaction's rollback
    // takes back every row already written, and the store works on.
    let t = TempStore::with_config(StoreConfig {
        max_pages: Some(400),
        ..StoreConfig::default()
    });
    let kept = job(1, printer(1));
    t.store.commit(vec![kept.clone()]).wait().expect("first");
    let long: Vec<_> = (0..=u128::from(printhub_store::SOLO_JOBS))
        .map(|i| with_raster(job(100 + i, printer(2)), 4 * 1024, i as u64))
        .collect();
    let err = t.store.commit(long).wait().expect_err("disk full");
    assert!(matches!(err, StoreError::Full), "{err:?}");
    assert_eq!(t.store.load_all_jobs().expect("reads").jobs, vec![kept]);
    let after = job(2, printer(1));
    t.store
        .commit(vec![after.clone()])
        .wait()
        .expect("room for a small one");
    assert_eq!(t.store.load_job(after.id).expect("load"), Some(after));
}

#[test]
fn a_commit_that_fills_the_disk_inside_a_shared_transaction_leaves_none_of_its_rows() {
    // A small commit, one too large for the space left and another small
    // one wait together. The first pass (no savepoints) fails at the large
    // one and is rolled back; the second undoes it alone. Whatever SQLite
    // rolls back on a full disk, a commit is answered Ok exactly when its
    // rows are stored, and nothing of the large one is.
    let t = TempStore::with_config(StoreConfig {
        max_pages: Some(300),
        ..StoreConfig::default()
    });
    let before = t.store.stats();
    let pause = t.store.pause_writer();
    let small = job(1, printer(1));
    let first = t.store.commit(vec![small.clone()]);
    let large: Vec<_> = (0..400u128)
        .map(|i| with_raster(job(100 + i, printer(2)), 4 * 1024, i as u64))
        .collect();
    let large_ids: Vec<_> = large.iter().map(|j| j.id).collect();
    let too_large = t.store.commit(large);
    let other = job(2, printer(1));
    let last = t.store.commit(vec![other.clone()]);
    pause.resume();
    let err = too_large.wait().expect_err("disk full");
    assert!(matches!(err, StoreError::Full), "{err:?}");
    let answers = [(small, first.wait()), (other, last.wait())];
    for id in large_ids {
        assert_eq!(t.store.load_job(id).expect("load"), None);
    }
    for (job, answer) in answers {
        let stored = t.store.load_job(job.id).expect("load");
        match answer {
            Ok(()) => assert_eq!(stored, Some(job)),
            Err(e) => {
                assert!(matches!(e, StoreError::Full), "{e:?}");
                assert_eq!(stored, None);
            }
        }
    }
    assert!(t.store.stats().reapplied_batches > before.reapplied_batches);
    let after = job(3, printer(1));
    t.store
        .commit(vec![after.clone()])
        .wait()
        .expect("room for a small one");
    assert_eq!(t.store.load_job(after.id).expect("load"), Some(after));
}
