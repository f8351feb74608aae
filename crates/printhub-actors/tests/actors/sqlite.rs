//! The engine on the SQLite spool: a restart brings back the printer
//! registry and every queue in its original order.

use super::support::*;
use printhub_actors::{Hub, HubConfig, MemoryTransport, TransportFactory};
use printhub_core::{JobId, JobState};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

fn open(path: &Path) -> Arc<printhub_store::Store> {
    Arc::new(
        printhub_store::Store::open(path, printhub_store::StoreConfig::default()).expect("store"),
    )
}

#[actix::test]
async fn a_restart_restores_printers_and_queues_in_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.db");
    // Run 1, on its own actix system: a paused printer with five jobs, the second held.
    let db1 = db.clone();
    let (ids, rasters) = std::thread::spawn(move || {
        actix::System::new().block_on(async move {
            let factory: TransportFactory = Rc::new(|_| Ok(Box::new(MemoryTransport::default())));
            let hub = Hub::start_with(HubConfig::default(), open(&db1), factory);
            hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
                .await
                .expect("added");
            hub.pause_printer("pt").await.expect("paused");
            let ids = submit_many(&hub, "pt", 0, 5).await;
            hub.hold_job(ids[1]).await.expect("held");
            let mut rasters = Vec::new();
            for id in &ids {
                rasters.push(hub.job(*id).await.expect("job").spec.raster);
            }
            hub.shutdown().await.expect("shutdown");
            (ids, rasters)
        })
    })
    .join()
    .expect("run 1");

    // Run 2: a new engine on the same file.
    let transport = MemoryTransport::default();
    transport.close_gate();
    let t = transport.clone();
    let factory: TransportFactory = Rc::new(move |_| Ok(Box::new(t.clone())));
    let hub = Hub::start_with(HubConfig::default(), open(&db), factory);
    let printers = hub.list_printers().await.expect("printers");
    assert_eq!(printers.len(), 1, "the registry is stored");
    // The pause is stored: the restored printer waits, its queue in the original order.
    let mut events = hub.subscribe();
    let printer = hub.printer("pt").await.expect("printer");
    assert_eq!(
        printer.state,
        printhub_core::PrinterState::Paused,
        "a restart keeps a paused printer paused"
    );
    let queue: Vec<JobId> = hub
        .queue("pt")
        .await
        .expect("queue")
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(
        queue, ids,
        "every queued and held job is back, in its original order"
    );
    assert!(transport.sent().is_empty());
    transport.open_gate();
    hub.resume_printer("pt").await.expect("resume");
    let printed: Vec<JobId> = ids.iter().copied().filter(|id| *id != ids[1]).collect();
    let done = wait_terminal(&mut events, &printed).await;
    assert!(done.iter().all(|(_, s)| *s == JobState::Completed));
    let sent: Vec<_> = transport.sent().iter().map(|s| s.bytes.clone()).collect();
    let expected: Vec<_> = rasters
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, r)| r.clone())
        .collect();
    assert_eq!(
        sent, expected,
        "printed in submission order with the stored raster"
    );
    assert_eq!(hub.job(ids[1]).await.expect("held").state, JobState::Held);
}

/// One label per chain: the head a printer keeps whole is two jobs, the
/// queued jobs behind them are parked (issue #17).
fn short_head() -> HubConfig {
    HubConfig {
        machine: printhub_core::MachineConfig {
            max_chain_pages: 1,
            ..printhub_core::MachineConfig::default()
        },
        ..HubConfig::default()
    }
}

/// A printer's queue timeout (issue #20): queued jobs that waited longer
/// fail with `queue_timeout` as soon as the printer starts (here: after a
/// restart, the jobs aged in the store) — parked ones far from the head
/// too; held and newer jobs stay, stored.
#[actix::test]
async fn jobs_queued_longer_than_the_printers_queue_timeout_fail_at_start() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.db");
    let db1 = db.clone();
    let ids = std::thread::spawn(move || {
        actix::System::new().block_on(async move {
            let factory: TransportFactory = Rc::new(|_| Ok(Box::new(MemoryTransport::default())));
            let hub = Hub::start_with(short_head(), open(&db1), factory);
            let mut printer = pt_printer("pt", "127.0.0.1:9");
            printer.defaults.queue_timeout_minutes = Some(60);
            hub.add_printer(printer).await.expect("added");
            hub.pause_printer("pt").await.expect("paused");
            let ids = submit_many(&hub, "pt", 0, 6).await;
            hub.hold_job(ids[1]).await.expect("held");
            hub.shutdown().await.expect("shutdown");
            ids
        })
    })
    .join()
    .expect("run 1");
    // Three of them were queued two hours ago; after the restart job 5 is
    // parked (jobs 0 and 2 are the head, 1 is held).
    let store = open(&db);
    let two_hours_ago = printhub_core::Timestamp::from_millis(
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_millis(),
        )
        .expect("ms")
            - 2 * 3_600_000,
    );
    let mut aged = Vec::new();
    for id in [ids[0], ids[1], ids[5]] {
        let mut job = store.load_job(id).expect("load").expect("stored");
        job.created_at = two_hours_ago;
        aged.push(job);
    }
    store.commit(aged).await.expect("aged");
    drop(store);

    let factory: TransportFactory = Rc::new(|_| Ok(Box::new(MemoryTransport::default())));
    let hub = Hub::start_with(short_head(), open(&db), factory);
    let printer = hub.printer("pt").await.expect("printer");
    assert_eq!(printer.defaults.queue_timeout_minutes, Some(60), "stored");

    let state = |id| {
        let hub = hub.clone();
        async move { hub.job(id).await.expect("job") }
    };
    poll_until_async(|| async { state(ids[0]).await.state == JobState::Failed }).await;
    let expired = state(ids[0]).await;
    assert_eq!(
        expired.error.as_ref().map(|e| e.code.as_str()),
        Some("queue_timeout")
    );
    assert_eq!(
        state(ids[1]).await.state,
        JobState::Held,
        "held jobs wait for a person"
    );
    assert_eq!(
        state(ids[2]).await.state,
        JobState::Queued,
        "a newer job waits"
    );
    poll_until_async(|| async { state(ids[5]).await.state == JobState::Failed }).await;
    assert_eq!(
        state(ids[5]).await.error.map(|e| e.code),
        Some("queue_timeout".to_string()),
        "an old parked job is read back and failed too"
    );
    for id in &ids[3..5] {
        assert_eq!(state(*id).await.state, JobState::Queued, "newer jobs wait");
    }
    let live = hub.live_jobs().await.expect("live");
    assert!(
        !live.iter().any(|j| j.id == ids[4]),
        "job 4 waits beyond the head (jobs 2 and 3): parked, not held in memory"
    );
    // Stored as failed: what a restart would load.
    hub.shutdown().await.expect("shutdown");
    let stored = open(&db).load_job(ids[0]).expect("load").expect("stored");
    assert_eq!(stored.state, JobState::Failed);
    assert_eq!(
        stored.error.map(|e| e.code),
        Some("queue_timeout".to_string())
    );
}

async fn poll_until_async<F, Fut>(mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !done().await {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "never happened"
        );
        actix::clock::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[actix::test]
async fn clearing_a_queue_longer_than_a_store_operation_cancels_and_stores_every_job() {
    // More jobs than the store's writer groups with others (SOLO_JOBS):
    // the clear's snapshots are one operation in a transaction of its own
    // (under a savepoint it cost SQLite O(n²) and a 35,000-job clear timed
    // out); every job ends cancelled, in memory and on disk, and the reply
    // counts them all.
    let dir = tempfile::tempdir().expect("tmp");
    let store = open(&dir.path().join("hub.db"));
    let config = HubConfig {
        machine: printhub_core::MachineConfig {
            max_queue: 5_000,
            ..printhub_core::MachineConfig::default()
        },
        ..HubConfig::default()
    };
    let factory: TransportFactory = Rc::new(|_| Ok(Box::new(MemoryTransport::default())));
    let hub = Hub::start_with(config, store.clone(), factory);
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    hub.pause_printer("pt").await.expect("paused");
    let n = printhub_store::SOLO_JOBS as usize * 2 + 100;
    for first in (0..n).step_by(500) {
        let requests = (first..(first + 500).min(n)).map(request).collect();
        hub.submit_batch("pt", requests).await.expect("batch");
    }
    let before = store.stats();
    assert_eq!(hub.clear_queue("pt").await.expect("cleared"), n);
    let after = store.stats();
    assert_eq!(after.jobs - before.jobs, n as u64, "every snapshot stored");
    assert_eq!(after.operations - before.operations, 1, "one operation");
    let stored = store.load_all_jobs().expect("load");
    assert_eq!(stored.jobs.len(), n);
    assert!(stored.jobs.iter().all(|j| j.state == JobState::Cancelled));
    assert_eq!(hub.printer("pt").await.expect("printer").queue_depth, 0);
}
