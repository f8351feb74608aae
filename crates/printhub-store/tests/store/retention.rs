//! Retention: only terminal jobs go (by age, by count), with their rasters
//! and empty batches, and the file stays bounded under a steady load.

use printhub_core::{BatchId, Job, JobCommand, JobId, JobState, Timestamp};
use printhub_store::{JobQuery, Retention};

use crate::support::{batch_job, completed, job, printer, with_raster, TempStore};

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// Queued, held and printing jobs (ids `LIVE..LIVE + 3`), which must survive any prune.
const LIVE: u128 = 1_000_000;

fn live_jobs() -> Vec<Job> {
    let queued = job(LIVE, printer(1));
    let mut held = job(LIVE + 1, printer(1));
    held.apply(JobCommand::Hold, at(1)).expect("hold");
    let mut printing = job(LIVE + 2, printer(1));
    printing.apply(JobCommand::Start, at(1)).expect("start");
    vec![queued, held, printing]
}

fn ids(t: &TempStore) -> Vec<u128> {
    t.store
        .load_all_jobs()
        .expect("load")
        .jobs
        .iter()
        .map(|j| j.id.as_uuid().as_u128())
        .collect()
}

fn finished(n: u128, state: JobState, at_ms: i64) -> Job {
    let mut j = job(n, printer(1));
    j.apply(JobCommand::Start, at(at_ms)).expect("start");
    let command = match state {
        JobState::Completed => JobCommand::Complete,
        JobState::Failed => JobCommand::Fail,
        JobState::Interrupted => JobCommand::Interrupt,
        _ => JobCommand::Cancel { copies_left: 1 },
    };
    j.apply(command, at(at_ms)).expect("finish");
    j
}

#[test]
fn prune_by_age_deletes_only_old_terminal_jobs() {
    let t = TempStore::new();
    let mut jobs = live_jobs();
    jobs.push(finished(1, JobState::Completed, 100));
    jobs.push(finished(2, JobState::Failed, 150));
    jobs.push(finished(3, JobState::Interrupted, 200));
    jobs.push(finished(4, JobState::Cancelled, 300));
    jobs.push(finished(5, JobState::Completed, 400));
    t.store.commit(jobs).wait().expect("commit");

    let policy = Retention {
        max_age_ms: Some(750),
        max_terminal: None,
    };
    // Cut-off at 1000 - 750 = 250: jobs 1, 2, 3 finished before it.
    assert_eq!(t.store.prune(policy, at(1_000)).expect("prune"), 3);
    assert_eq!(ids(&t), vec![LIVE, LIVE + 1, LIVE + 2, 4, 5]);
    assert_eq!(t.store.prune(policy, at(1_000)).expect("again"), 0);
    let rasters: i64 = t
        .raw()
        .query_row("SELECT COUNT(*) FROM job_rasters", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rasters, 5, "rasters go with their jobs");
}

#[test]
fn prune_by_count_keeps_the_most_recently_finished() {
    let t = TempStore::new();
    let mut jobs = live_jobs();
    // Finished out of submission order: 3 finished first, 1 last.
    jobs.push(finished(1, JobState::Completed, 500));
    jobs.push(finished(2, JobState::Cancelled, 300));
    jobs.push(finished(3, JobState::Failed, 100));
    jobs.push(finished(4, JobState::Completed, 400));
    t.store.commit(jobs).wait().expect("commit");
    let policy = Retention {
        max_age_ms: None,
        max_terminal: Some(2),
    };
    assert_eq!(t.store.prune(policy, at(1_000)).expect("prune"), 2);
    assert_eq!(ids(&t), vec![LIVE, LIVE + 1, LIVE + 2, 1, 4]);
    let zero = Retention {
        max_age_ms: None,
        max_terminal: Some(0),
    };
    assert_eq!(t.store.prune(zero, at(1_000)).expect("prune all"), 2);
    assert_eq!(
        ids(&t),
        vec![LIVE, LIVE + 1, LIVE + 2],
        "live jobs are never pruned"
    );
    assert_eq!(
        t.store
            .prune(Retention::default(), at(i64::MAX))
            .expect("no rules"),
        0
    );
}

#[test]
fn batches_without_jobs_are_pruned_with_them() {
    let t = TempStore::new();
    let (b1, b2) = (BatchId::from_u128(1), BatchId::from_u128(2));
    t.store
        .commit(vec![
            completed(batch_job(1, printer(1), b1), 10),
            completed(batch_job(2, printer(1), b1), 10),
            batch_job(3, printer(1), b2),
            completed(batch_job(4, printer(1), b2), 10),
        ])
        .wait()
        .expect("commit");
    let zero = Retention {
        max_age_ms: None,
        max_terminal: Some(0),
    };
    assert_eq!(t.store.prune(zero, at(100)).expect("prune"), 3);
    let batches: Vec<String> = t
        .raw()
        .prepare("SELECT id FROM batches")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(batches, vec![b2.to_string()]);
    let listed = t
        .store
        .list_jobs(&JobQuery {
            batch: Some(b2),
            ..JobQuery::default()
        })
        .expect("list");
    assert_eq!(listed.jobs.len(), 1);
    assert_eq!(listed.jobs[0].id, JobId::from_u128(3));
}

#[test]
fn the_file_stays_bounded_under_steady_load_with_pruning() {
    let t = TempStore::new();
    t.store.commit(live_jobs()).wait().expect("live");
    let policy = Retention {
        max_age_ms: None,
        max_terminal: Some(300),
    };
    let mut pages = Vec::new();
    let mut n = 0u128;
    for round in 0..10i64 {
        let jobs: Vec<Job> = (0..300)
            .map(|_| {
                n += 1;
                let j = with_raster(job(n, printer(1)), 2048, n as u64);
                completed(j, round * 1_000 + n as i64)
            })
            .collect();
        for chunk in jobs.chunks(100) {
            t.store.commit(chunk.to_vec()).wait().expect("commit");
        }
        t.store
            .prune(policy, at(round * 1_000 + 999))
            .expect("prune");
        let stats = t.store.page_stats().expect("pages");
        assert!(
            stats.freelist_count <= 8,
            "round {round}: freed pages are handed back: {stats:?}"
        );
        pages.push(stats.page_count);
    }
    assert_eq!(n, 3_000);
    // The first prune has nothing to drop; from then on each round replaces
    // the 300 kept jobs with 300 new ones, so the size is flat.
    let steady = pages[1];
    for (round, &count) in pages.iter().enumerate().skip(2) {
        assert!(
            count <= steady + steady / 10,
            "round {round}: {count} pages vs {steady} after round 1 ({pages:?})"
        );
    }
    // 300 jobs with ~2 KiB of raster each: about one raster page each, plus
    // rows and indexes; far below the ~3000 jobs' worth that went through.
    assert!(steady < 600, "{pages:?}");
    let kept = t.store.load_all_jobs().expect("load");
    assert_eq!(kept.jobs.len(), 303, "300 terminal + 3 live");
    assert!(kept.corrupt.is_empty());
    // After a checkpoint the file on disk matches the pages in use.
    t.store.checkpoint().expect("checkpoint");
    let wal = t.path.with_extension("db-wal");
    assert_eq!(
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0),
        0,
        "WAL truncated"
    );
    let stats = t.store.page_stats().expect("pages");
    let file = std::fs::metadata(&t.path).expect("metadata").len();
    assert!(
        file <= (stats.page_count + 16) * stats.page_size,
        "file {file} bytes vs {stats:?}"
    );
}
