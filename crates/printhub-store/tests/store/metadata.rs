//! Start-up reads: job metadata without rasters (one statement, no blob
//! read), and each raster loaded on its own when it is needed.

use std::sync::Arc;

use printhub_core::JobId;
use printhub_store::StoreError;

use crate::support::{completed, job, printer, seq_of, with_raster, TempStore};

#[test]
fn metadata_is_every_job_in_order_without_its_raster() {
    let t = TempStore::new();
    let mut jobs: Vec<_> = (1..=6)
        .map(|n| job(n, printer(if n % 2 == 0 { 2 } else { 1 })))
        .collect();
    jobs[2] = with_raster(jobs[2].clone(), 40_000, 7);
    t.store.commit(jobs.clone()).wait().expect("commit");
    let t = t.reopen();

    let all = t.store.load_job_metadata(None).expect("metadata");
    assert!(all.corrupt.is_empty());
    let full = t.store.load_all_jobs().expect("full load");
    assert_eq!(all.jobs.len(), full.jobs.len());
    for (meta, job) in all.jobs.iter().zip(&full.jobs) {
        assert_eq!(meta.raster_len, job.spec.raster.len(), "{}", job.id);
        assert!(meta.job.spec.raster.is_empty(), "no raster in the metadata");
        let mut without = job.clone();
        without.spec.raster = Arc::new(Vec::new());
        assert_eq!(
            meta.job, without,
            "every other field as the full load has it"
        );
        let raster = t
            .store
            .load_raster(job.id)
            .expect("raster")
            .expect("known job");
        assert_eq!(raster, job.spec.raster);
    }

    let one = t
        .store
        .load_job_metadata(Some(printer(2)))
        .expect("printer 2");
    let ids: Vec<JobId> = one.jobs.iter().map(|m| m.job.id).collect();
    assert_eq!(
        ids,
        [2, 4, 6].map(JobId::from_u128),
        "its jobs, in seq order"
    );
    assert!(t
        .store
        .load_job_metadata(Some(printer(9)))
        .expect("no jobs")
        .jobs
        .is_empty());
}

#[test]
fn an_unknown_job_has_no_raster() {
    let t = TempStore::new();
    t.store
        .commit(vec![job(1, printer(1))])
        .wait()
        .expect("commit");
    assert!(matches!(
        t.store.load_raster(JobId::from_u128(99)),
        Ok(None)
    ));
}

/// Commits jobs 1..=4, damages job 2 with `sql` (`?1` bound to its seq), reopens.
fn damaged(sql: &str) -> TempStore {
    let t = TempStore::new();
    let jobs: Vec<_> = (1..=4).map(|n| job(n, printer(1))).collect();
    t.store.commit(jobs).wait().expect("commit");
    let conn = t.raw();
    conn.execute_batch("PRAGMA ignore_check_constraints = ON")
        .expect("pragma");
    let seq = seq_of(&conn, JobId::from_u128(2));
    conn.execute(sql, [seq]).expect("damage");
    drop(conn);
    t.reopen()
}

#[test]
fn a_damaged_raster_loads_its_metadata_and_fails_when_its_raster_is_loaded() {
    for (sql, reason) in [
        (
            "UPDATE job_rasters SET data = x'deadbeef' WHERE job_seq = ?1",
            "raster",
        ),
        (
            "UPDATE job_rasters SET crc32 = crc32 + 1 WHERE job_seq = ?1",
            "checksum",
        ),
    ] {
        let t = damaged(sql);
        let loaded = t.store.load_job_metadata(None).expect("metadata");
        assert_eq!(
            loaded.jobs.len(),
            4,
            "{reason}: the blob is not read at start-up"
        );
        assert!(loaded.corrupt.is_empty());
        match t.store.load_raster(JobId::from_u128(2)) {
            Err(StoreError::Corrupt { id, reason: why }) => {
                assert_eq!(id, JobId::from_u128(2).to_string());
                assert!(why.contains(reason), "{reason}: {why}");
            }
            other => panic!("{reason}: expected Corrupt, got {other:?}"),
        }
        assert!(t
            .store
            .load_raster(JobId::from_u128(3))
            .expect("healthy")
            .is_some());
    }
}

#[test]
fn a_corrupt_row_fails_alone_in_the_metadata() {
    for (sql, reason) in [
        ("DELETE FROM job_rasters WHERE job_seq = ?1", "raster"),
        ("UPDATE jobs SET spec = '{not json' WHERE seq = ?1", "spec"),
        ("UPDATE jobs SET state = 'done' WHERE seq = ?1", "state"),
    ] {
        let t = damaged(sql);
        let loaded = t.store.load_job_metadata(None).expect("metadata");
        let ids: Vec<JobId> = loaded.jobs.iter().map(|m| m.job.id).collect();
        assert_eq!(ids, [1, 3, 4].map(JobId::from_u128), "{reason}");
        assert_eq!(loaded.corrupt.len(), 1, "{reason}");
        assert_eq!(loaded.corrupt[0].id, JobId::from_u128(2).to_string());
        assert!(
            loaded.corrupt[0].error.contains(reason),
            "{reason}: {:?}",
            loaded.corrupt
        );
    }
}

/// A snapshot whose raster the engine released (issue #17) updates the job
/// and leaves its stored raster as it is; a job stored for the first time
/// without one (an imported history row) gets an empty raster row.
#[test]
fn a_released_raster_never_overwrites_the_stored_one() {
    let t = TempStore::new();
    let original = with_raster(job(1, printer(1)), 5_000, 3);
    t.store
        .commit(vec![original.clone()])
        .wait()
        .expect("commit");
    let mut released = original.clone();
    released.spec.raster = printhub_core::released_raster();
    released.state = printhub_core::JobState::Held;
    t.store.commit(vec![released]).wait().expect("commit");
    let t = t.reopen();
    let back = t.store.load_job(original.id).expect("load").expect("known");
    assert_eq!(
        back.state,
        printhub_core::JobState::Held,
        "the update landed"
    );
    assert_eq!(back.spec.raster, original.spec.raster, "the raster stayed");

    let mut imported = job(2, printer(1));
    imported.spec.raster = printhub_core::released_raster();
    t.store
        .commit(vec![imported.clone()])
        .wait()
        .expect("commit");
    let back = t
        .store
        .load_job(imported.id)
        .expect("load")
        .expect("readable");
    assert!(back.spec.raster.is_empty());
}

#[test]
fn the_job_index_is_every_waiting_job_and_the_newest_ended_ones() {
    // The supervisor's index at start-up (issue #17): waiting jobs always, ended
    // ones only the newest `keep_ended`, oldest first; each printer's own id.
    let t = TempStore::new();
    let jobs: Vec<_> = (1..=8u128)
        .map(|n| {
            let j = job(n, printer(1 + n % 2));
            if n % 3 == 0 {
                j
            } else {
                completed(j, n as i64)
            }
        })
        .collect();
    t.store.commit(jobs).wait().expect("commit");
    let t = t.reopen();
    let index = t.store.load_job_index(3).expect("index");
    let ids: Vec<(u128, bool)> = index
        .iter()
        .map(|(id, _, ended)| (id.as_uuid().as_u128(), *ended))
        .collect();
    // Waiting: 3, 6. Ended: 1, 2, 4, 5, 7, 8 -> the newest three, 5, 7, 8.
    assert_eq!(
        ids,
        [(3, false), (6, false), (5, true), (7, true), (8, true)]
    );
    assert!(index
        .iter()
        .all(|(id, p, _)| *p == printer(1 + id.as_uuid().as_u128() % 2)));
    assert_eq!(
        t.store.load_job_printer(JobId::from_u128(4)).expect("read"),
        Some(printer(1))
    );
    assert_eq!(
        t.store
            .load_job_printer(JobId::from_u128(99))
            .expect("read"),
        None
    );
}

/// A restart's read (issue #17): a printer's jobs in `seq` order, whole but
/// for their rasters, except the queued ones beyond the first `whole_queued`
/// to print, which come back as their places only. The head is chosen in
/// print order (partly printed first, then by creation), not by `seq`.
#[test]
fn a_restart_reads_the_head_of_the_queue_whole_and_the_rest_as_places() {
    use printhub_core::{JobState, RestoredJob, Timestamp};
    let t = TempStore::new();
    let mut jobs: Vec<_> = (1..=7).map(|n| job(n, printer(1))).collect();
    // 1 ended, 2 held, 6 partly printed (prints first); 7 is another printer's.
    jobs[0] = completed(jobs[0].clone(), 10);
    jobs[1].state = JobState::Held;
    jobs[5].copies_printed = 1;
    jobs[5].spec.copies = 2;
    jobs[6] = job(7, printer(2));
    // 3 was created after 4 and 5: it comes later in print order.
    jobs[2].created_at = Timestamp::from_millis(50);
    t.store.commit(jobs.clone()).wait().expect("commit");
    let t = t.reopen();

    let loaded = t.store.load_restore(printer(1), 2).expect("restore read");
    assert!(loaded.corrupt.is_empty());
    let shape: Vec<(u128, &str)> = loaded
        .jobs
        .iter()
        .map(|r| match r {
            RestoredJob::Whole(j) => {
                assert!(j.spec.raster.is_empty(), "no raster read");
                (j.id.as_uuid().as_u128(), "whole")
            }
            RestoredJob::Parked { id, .. } => (id.as_uuid().as_u128(), "parked"),
        })
        .collect();
    // Print order of the queued: 6 (partly printed), 4, 5, 3 -> 6 and 4 whole.
    assert_eq!(
        shape,
        [
            (1, "whole"),
            (2, "whole"),
            (3, "parked"),
            (4, "whole"),
            (5, "parked"),
            (6, "whole")
        ],
        "seq order, the head whole"
    );
    assert!(loaded.jobs.contains(&RestoredJob::Parked {
        id: JobId::from_u128(3),
        created_at: Timestamp::from_millis(50),
        copies_printed: 0,
    }));
    let whole_count = |n| {
        t.store
            .load_restore(printer(1), n)
            .expect("read")
            .jobs
            .iter()
            .filter(|r| matches!(r, RestoredJob::Whole(_)))
            .count()
    };
    assert_eq!(whole_count(0), 2, "only the ended and the held");
    assert_eq!(whole_count(100), 6, "a short queue comes back whole");
}

#[test]
fn a_queued_row_whose_place_does_not_decode_is_corrupt_in_a_restart() {
    let t = damaged("UPDATE jobs SET copies_printed = -1 WHERE seq = ?1");
    let loaded = t.store.load_restore(printer(1), 0).expect("restore read");
    assert_eq!(loaded.jobs.len(), 3, "the others come back");
    assert_eq!(loaded.corrupt.len(), 1);
    assert_eq!(loaded.corrupt[0].id, JobId::from_u128(2).to_string());
    // A damaged label request is found when the job is read back.
    let t = damaged("UPDATE jobs SET spec = '{not json' WHERE seq = ?1");
    let loaded = t.store.load_restore(printer(1), 0).expect("restore read");
    assert_eq!((loaded.jobs.len(), loaded.corrupt.len()), (4, 0));
    assert!(matches!(
        t.store.load_job_metadata_one(JobId::from_u128(2)),
        Err(StoreError::Corrupt { .. })
    ));
    let loaded = t.store.load_restore(printer(1), 4).expect("restore read");
    assert_eq!(
        (loaded.jobs.len(), loaded.corrupt.len()),
        (3, 1),
        "read whole, it is corrupt at once"
    );
}

#[test]
fn many_jobs_read_back_in_one_go_leave_out_the_unknown_and_report_the_damaged() {
    // What describes a burst of events (issue #17): the jobs asked for, in
    // the order asked, without rasters; an unknown id is simply absent.
    let t = TempStore::new();
    let jobs: Vec<_> = (1..=5).map(|n| job(n, printer(1))).collect();
    t.store.commit(jobs.clone()).wait().expect("commit");
    let asked = [4, 99, 1, 3].map(JobId::from_u128);
    let loaded = t.store.load_job_metadata_many(&asked).expect("read");
    assert!(loaded.corrupt.is_empty());
    let ids: Vec<JobId> = loaded.jobs.iter().map(|j| j.id).collect();
    assert_eq!(ids, [4, 1, 3].map(JobId::from_u128), "in the order asked");
    for got in &loaded.jobs {
        assert!(got.spec.raster_released(), "{}: no raster read", got.id);
        let one = t
            .store
            .load_job_metadata_one(got.id)
            .expect("one")
            .expect("known");
        assert_eq!(got, &one, "as the one-by-one read has it");
    }
    assert!(t
        .store
        .load_job_metadata_many(&[])
        .expect("nothing asked")
        .jobs
        .is_empty());

    // A row that does not decode is reported; the rest still come back.
    let t = damaged("UPDATE jobs SET spec = '{not json' WHERE seq = ?1");
    let loaded = t
        .store
        .load_job_metadata_many(&[1, 2, 3].map(JobId::from_u128))
        .expect("read");
    let ids: Vec<JobId> = loaded.jobs.iter().map(|j| j.id).collect();
    assert_eq!(ids, [1, 3].map(JobId::from_u128));
    assert_eq!(loaded.corrupt.len(), 1);
    assert_eq!(loaded.corrupt[0].id, JobId::from_u128(2).to_string());
}
