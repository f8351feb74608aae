//! `list_jobs` / `count_jobs`: filters, newest first, pagination.

use printhub_core::{BatchId, JobCommand, JobId, JobState, Timestamp};
use printhub_store::JobQuery;

use crate::support::{batch_job, completed, job, printer, TempStore};

fn listed(t: &TempStore, query: JobQuery) -> Vec<u128> {
    let loaded = t.store.list_jobs(&query).expect("list");
    assert!(loaded.corrupt.is_empty());
    loaded
        .jobs
        .iter()
        .map(|j| j.id.as_uuid().as_u128())
        .collect()
}

#[test]
fn filters_combine_and_results_are_newest_first() {
    let t = TempStore::new();
    let batch = BatchId::from_u128(7);
    let mut held = job(3, printer(2));
    held.apply(JobCommand::Hold, Timestamp::from_millis(30))
        .expect("hold");
    t.store
        .commit(vec![
            job(1, printer(1)),
            completed(job(2, printer(1)), 20),
            held,
            batch_job(4, printer(1), batch),
            batch_job(5, printer(2), batch),
            job(6, printer(1)),
        ])
        .wait()
        .expect("commit");

    assert_eq!(listed(&t, JobQuery::default()), vec![6, 5, 4, 3, 2, 1]);
    let p1 = JobQuery {
        printer: Some(printer(1)),
        ..JobQuery::default()
    };
    assert_eq!(listed(&t, p1.clone()), vec![6, 4, 2, 1]);
    let queued_p1 = JobQuery {
        state: Some(JobState::Queued),
        ..p1
    };
    assert_eq!(listed(&t, queued_p1.clone()), vec![6, 4, 1]);
    let in_batch = JobQuery {
        batch: Some(batch),
        ..JobQuery::default()
    };
    assert_eq!(listed(&t, in_batch), vec![5, 4]);
    let since = JobQuery {
        since: Some(Timestamp::from_millis(4)),
        ..JobQuery::default()
    };
    assert_eq!(listed(&t, since), vec![6, 5, 4]);
    let held_only = JobQuery {
        state: Some(JobState::Held),
        ..JobQuery::default()
    };
    assert_eq!(listed(&t, held_only), vec![3]);

    assert_eq!(t.store.count_jobs(&JobQuery::default()).expect("count"), 6);
    assert_eq!(t.store.count_jobs(&queued_p1).expect("count"), 3);

    // An allow-list of printers: any of them, and an empty one matches nothing.
    let allowed = |printers: Vec<_>| JobQuery {
        printers: Some(printers),
        ..JobQuery::default()
    };
    assert_eq!(listed(&t, allowed(vec![printer(2)])), vec![5, 3]);
    assert_eq!(
        listed(&t, allowed(vec![printer(1), printer(2)])),
        vec![6, 5, 4, 3, 2, 1]
    );
    assert_eq!(listed(&t, allowed(vec![])), Vec::<u128>::new());
    assert_eq!(t.store.count_jobs(&allowed(vec![])).expect("count"), 0);
    let both = JobQuery {
        batch: Some(batch),
        ..allowed(vec![printer(2)])
    };
    assert_eq!(listed(&t, both.clone()), vec![5]);
    assert_eq!(t.store.count_jobs(&both).expect("count"), 1);
}

#[test]
fn a_page_comes_with_the_total_of_its_query() {
    let t = TempStore::new();
    let jobs: Vec<_> = (1..=12).map(|n| job(n, printer(2 - n % 2))).collect();
    t.store.commit(jobs).wait().expect("commit");
    let query = JobQuery {
        printer: Some(printer(1)),
        limit: Some(4),
        offset: 4,
        ..JobQuery::default()
    };
    let (page, total) = t.store.page_jobs(&query).expect("page");
    assert!(page.corrupt.is_empty());
    let ids: Vec<u128> = page.jobs.iter().map(|j| j.id.as_uuid().as_u128()).collect();
    // Printer 1 has the odd jobs: 11, 9, 7, 5 | 3, 1.
    assert_eq!(ids, vec![3, 1]);
    assert_eq!(total, 6);
}

#[test]
fn pages_walk_the_list_without_gaps_or_repeats() {
    let t = TempStore::new();
    let jobs: Vec<_> = (1..=23).map(|n| job(n, printer(1))).collect();
    t.store.commit(jobs).wait().expect("commit");
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = listed(
            &t,
            JobQuery {
                limit: Some(5),
                offset,
                ..JobQuery::default()
            },
        );
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 5);
        offset += page.len();
        seen.extend(page);
    }
    assert_eq!(seen, (1..=23).rev().collect::<Vec<u128>>());
    let query = JobQuery {
        limit: Some(5),
        offset: 20,
        ..JobQuery::default()
    };
    assert_eq!(
        t.store.count_jobs(&query).expect("count"),
        23,
        "limit ignored"
    );
    assert_eq!(
        t.store
            .load_job(JobId::from_u128(23))
            .expect("load")
            .map(|j| j.id),
        Some(JobId::from_u128(23))
    );
}
