//! Group commit: operations waiting together share one transaction, in
//! enqueue order; with `max_batch = 1` every operation is its own
//! transaction; one failing operation does not fail its batch.

use std::sync::Arc;
use std::thread;

use printhub_core::{JobId, Timestamp};
use printhub_store::{PrinterRecord, StoreConfig, StoreError, SOLO_JOBS};

use crate::support::{job, printer, TempStore};

/// Enqueues `threads × per_thread` one-job commits while the writer is
/// paused, then resumes it and waits for all; returns the transactions used.
fn run_paused(t: &TempStore, threads: u128, per_thread: u128) -> u64 {
    let before = t.store.stats();
    let pause = t.store.pause_writer();
    let commits = thread::scope(|s| {
        let producers: Vec<_> = (0..threads)
            .map(|k| {
                let store = &t.store;
                s.spawn(move || {
                    (0..per_thread)
                        .map(|i| store.commit(vec![job(1 + k * 1000 + i, printer(1))]))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        producers
            .into_iter()
            .flat_map(|p| p.join().expect("producer"))
            .collect::<Vec<_>>()
    });
    // Every commit is enqueued and none is applied yet.
    assert_eq!(t.store.stats().transactions, before.transactions);
    pause.resume();
    for c in commits {
        c.wait().expect("commit");
    }
    let after = t.store.stats();
    assert_eq!(
        after.operations - before.operations,
        (threads * per_thread) as u64
    );
    after.transactions - before.transactions
}

#[test]
fn commits_waiting_together_share_one_transaction() {
    let t = TempStore::new();
    assert_eq!(run_paused(&t, 4, 25), 1);
    assert_eq!(t.store.stats().largest_batch, 100);
    // Nothing failed: one pass, no savepoints.
    assert_eq!(t.store.stats().reapplied_batches, 0);
    assert_eq!(t.store.stats().jobs, 100);
    assert_eq!(t.store.load_all_jobs().expect("load").jobs.len(), 100);
}

#[test]
fn max_batch_one_is_one_transaction_per_commit() {
    let t = TempStore::with_config(StoreConfig {
        max_batch: 1,
        ..StoreConfig::default()
    });
    assert_eq!(run_paused(&t, 4, 25), 100);
    assert_eq!(t.store.stats().largest_batch, 1);
}

#[test]
fn a_batch_is_split_at_max_batch() {
    let t = TempStore::with_config(StoreConfig {
        max_batch: 40,
        ..StoreConfig::default()
    });
    assert_eq!(run_paused(&t, 1, 100), 3);
}

#[test]
fn writes_apply_in_the_order_they_were_enqueued() {
    let t = TempStore::new();
    let pause = t.store.pause_writer();
    // Interleave from one thread so the order is known: 10, 9, ..., 1.
    let commits: Vec<_> = (1..=10u128)
        .rev()
        .map(|n| t.store.commit(vec![job(n, printer(1))]))
        .collect();
    drop(pause);
    for c in commits {
        c.wait().expect("commit");
    }
    let ids: Vec<_> = t
        .store
        .load_all_jobs()
        .expect("load")
        .jobs
        .iter()
        .map(|j| j.id)
        .collect();
    let expected: Vec<_> = (1..=10u128).rev().map(JobId::from_u128).collect();
    assert_eq!(ids, expected, "seq follows enqueue order, not ids or times");
}

#[test]
fn concurrent_producers_are_batched_without_a_pause() {
    let t = Arc::new(TempStore::new());
    let before = t.store.stats();
    thread::scope(|s| {
        for k in 0..8u128 {
            let t = &t;
            s.spawn(move || {
                for i in 0..25u128 {
                    t.store
                        .commit(vec![job(1 + k * 1000 + i, printer(1))])
                        .wait()
                        .expect("commit");
                }
            });
        }
    });
    let after = t.store.stats();
    assert_eq!(after.operations - before.operations, 200);
    // Each producer waits for its commit before the next, so at most 200
    // transactions; anything below shows batching. Not asserted strictly:
    // the scheduler decides how many wait together.
    assert!(after.transactions - before.transactions <= 200);
    assert_eq!(t.store.load_all_jobs().expect("load").jobs.len(), 200);
}

#[test]
fn one_failing_operation_does_not_fail_its_batch() {
    let t = TempStore::new();
    let now = Timestamp::from_millis(1);
    t.store
        .save_printer(
            &PrinterRecord::new(printer(1), "lab", "Lab", "PT-P750W", "h:9100"),
            "test",
            now,
        )
        .expect("save");
    let stats = t.store.stats();
    let pause = t.store.pause_writer();
    let first = t.store.commit(vec![job(1, printer(1))]);
    let (clash, last) = thread::scope(|s| {
        let store = &t.store;
        // `save_printer` blocks until answered, so it runs on its own thread.
        let save = s.spawn(move || {
            store.save_printer(
                &PrinterRecord::new(printer(2), "lab", "Other", "PT-P750W", "h2:9100"),
                "test",
                now,
            )
        });
        while store.stats().enqueued < stats.enqueued + 2 {
            thread::yield_now();
        }
        let last = store.commit(vec![job(2, printer(1))]);
        drop(pause);
        (save.join().expect("save thread"), last)
    });
    // The clash is found on the writer, inside the shared transaction, and
    // rolled back alone.
    assert!(
        matches!(clash, Err(StoreError::SlugTaken { .. })),
        "{clash:?}"
    );
    first.wait().expect("first commit");
    last.wait().expect("last commit");
    let after = t.store.stats();
    assert_eq!(after.transactions - stats.transactions, 1);
    assert_eq!(after.failed_operations - stats.failed_operations, 1);
    // The first pass (no savepoints) failed at the clash and was rolled
    // back; the second undid the clash alone.
    assert_eq!(after.reapplied_batches - stats.reapplied_batches, 1);
    assert_eq!(t.store.load_all_jobs().expect("load").jobs.len(), 2);
    assert_eq!(t.store.load_printers().expect("printers").printers.len(), 1);
}

#[test]
fn flush_resolves_after_everything_enqueued_before_it() {
    let t = TempStore::new();
    let pause = t.store.pause_writer();
    let commit = t.store.commit(vec![job(1, printer(1))]);
    let flush = t.store.flush();
    let nested = t.store.pause_writer();
    drop(pause);
    // Still held by the second pause: nothing applied yet.
    assert_eq!(t.store.stats().operations, 0);
    nested.resume();
    flush.wait().expect("flush");
    assert_eq!(t.store.stats().operations, 2, "the commit, then the flush");
    commit.wait().expect("commit");
}

#[test]
fn a_commit_of_more_than_solo_jobs_runs_in_a_transaction_of_its_own() {
    // The small commits around it still share theirs; order is kept.
    let t = TempStore::new();
    let before = t.store.stats();
    let pause = t.store.pause_writer();
    let first = t.store.commit(vec![job(1, printer(1))]);
    let large = t.store.commit(
        (0..=u128::from(SOLO_JOBS))
            .map(|i| job(10 + i, printer(2)))
            .collect(),
    );
    let second = t.store.commit(vec![job(2, printer(1))]);
    let third = t.store.commit(vec![job(3, printer(1))]);
    pause.resume();
    first.wait().expect("first");
    large.wait().expect("large");
    second.wait().expect("second");
    third.wait().expect("third");
    let after = t.store.stats();
    // [first], [large], [second, third].
    assert_eq!(after.transactions - before.transactions, 3);
    assert_eq!(after.operations - before.operations, 4);
    assert_eq!(after.jobs - before.jobs, SOLO_JOBS + 4);
    let stored = t.store.load_all_jobs().expect("load").jobs;
    assert_eq!(stored.len() as u64, SOLO_JOBS + 4);
}

#[test]
fn a_commit_of_exactly_solo_jobs_still_shares_the_transaction() {
    let t = TempStore::new();
    let before = t.store.stats();
    let pause = t.store.pause_writer();
    let first = t.store.commit(vec![job(1, printer(1))]);
    let batch = t.store.commit(
        (0..u128::from(SOLO_JOBS))
            .map(|i| job(10 + i, printer(2)))
            .collect(),
    );
    pause.resume();
    first.wait().expect("first");
    batch.wait().expect("batch");
    assert_eq!(t.store.stats().transactions - before.transactions, 1);
}
