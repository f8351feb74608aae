//! A corrupt row fails alone: loads return the other jobs and report it,
//! and the store still opens.

use printhub_core::JobId;
use printhub_store::StoreError;

use crate::support::{job, printer, seq_of, TempStore};

/// Commits jobs 1..=5 for printer 1, damages some with `sql` (each run with
/// `?1` bound to the job's seq), reopens, and returns the store.
fn damaged(damage: &[(u128, &str)]) -> TempStore {
    let t = TempStore::new();
    let jobs: Vec<_> = (1..=5).map(|n| job(n, printer(1))).collect();
    t.store.commit(jobs).wait().expect("commit");
    let conn = t.raw();
    conn.execute_batch("PRAGMA ignore_check_constraints = ON")
        .expect("pragma");
    for (n, sql) in damage {
        let seq = seq_of(&conn, JobId::from_u128(*n));
        conn.execute(sql, [seq]).expect("damage");
    }
    drop(conn);
    t.reopen()
}

fn check(damage: &[(u128, &str)], reason: &str) {
    let t = damaged(damage);
    let broken: Vec<JobId> = damage.iter().map(|(n, _)| JobId::from_u128(*n)).collect();
    for loaded in [
        t.store.load_all_jobs().expect("load all"),
        t.store.load_printer_jobs(printer(1)).expect("load printer"),
    ] {
        let ids: Vec<JobId> = loaded.jobs.iter().map(|j| j.id).collect();
        let expected: Vec<JobId> = (1..=5u128)
            .map(JobId::from_u128)
            .filter(|id| !broken.contains(id))
            .collect();
        assert_eq!(ids, expected, "{reason}: the healthy jobs, in order");
        assert_eq!(loaded.corrupt.len(), broken.len(), "{reason}");
        for (row, id) in loaded.corrupt.iter().zip(&broken) {
            assert_eq!(row.id, id.to_string(), "{reason}");
            assert!(row.error.contains(reason), "{reason}: {}", row.error);
        }
    }
    for id in &broken {
        match t.store.load_job(*id) {
            Err(StoreError::Corrupt {
                id: bad,
                reason: why,
            }) => {
                assert_eq!(bad, id.to_string());
                assert!(why.contains(reason), "{reason}: {why}");
            }
            other => panic!("{reason}: expected Corrupt, got {other:?}"),
        }
    }
    // Healthy jobs still load one by one, and new writes work.
    let healthy = (1..=5u128)
        .map(JobId::from_u128)
        .find(|id| !broken.contains(id))
        .expect("a healthy job");
    assert!(matches!(t.store.load_job(healthy), Ok(Some(_))));
    t.store
        .commit(vec![job(6, printer(1))])
        .wait()
        .expect("commit after corruption");
}

#[test]
fn invalid_spec_json_fails_alone() {
    check(
        &[(2, "UPDATE jobs SET spec = '{not json' WHERE seq = ?1")],
        "spec",
    );
}

#[test]
fn a_spec_of_the_wrong_shape_fails_alone() {
    check(
        &[(
            3,
            "UPDATE jobs SET spec = '{\"model\": 5, \"media_id\": \"x\"}' WHERE seq = ?1",
        )],
        "spec",
    );
}

#[test]
fn a_damaged_raster_blob_fails_alone() {
    check(
        &[(
            4,
            "UPDATE job_rasters SET data = x'deadbeef' WHERE job_seq = ?1",
        )],
        "raster",
    );
}

#[test]
fn a_raster_with_a_wrong_checksum_fails_alone() {
    check(
        &[(
            4,
            "UPDATE job_rasters SET crc32 = crc32 + 1 WHERE job_seq = ?1",
        )],
        "checksum",
    );
}

#[test]
fn a_missing_raster_fails_alone() {
    check(
        &[(5, "DELETE FROM job_rasters WHERE job_seq = ?1")],
        "raster",
    );
}

#[test]
fn an_unknown_state_fails_alone() {
    check(
        &[(1, "UPDATE jobs SET state = 'done' WHERE seq = ?1")],
        "state",
    );
}

#[test]
fn several_corrupt_rows_are_all_reported() {
    check(
        &[
            (
                1,
                "UPDATE jobs SET parent_job_id = 'not-a-uuid' WHERE seq = ?1",
            ),
            (
                3,
                "UPDATE jobs SET error_code = 'x', error_detail = '{' WHERE seq = ?1",
            ),
        ],
        "column",
    );
}

#[test]
fn a_corrupt_row_can_be_repaired_by_committing_the_job_again() {
    let t = damaged(&[(2, "UPDATE jobs SET spec = '[]' WHERE seq = ?1")]);
    let conn = t.raw();
    let seq = seq_of(&conn, JobId::from_u128(2));
    t.store
        .commit(vec![job(2, printer(1))])
        .wait()
        .expect("rewrite");
    assert_eq!(seq_of(&conn, JobId::from_u128(2)), seq, "same place");
    let loaded = t.store.load_all_jobs().expect("load");
    assert!(loaded.corrupt.is_empty());
    assert_eq!(loaded.jobs.len(), 5);
}
