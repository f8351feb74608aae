//! Wiring tests with a scripted transport: messages in, events and sends out.

use super::support::*;
use printhub_actors::{
    EventItem, Hub, HubConfig, HubHandle, HubStore, JobFilter, MemoryStore, MemoryTransport,
    PrintRequest, PrinterPatch, TransportError, TransportFactory,
};
use printhub_core::{Event, JobState, MachineConfig, ObservedStatus, PrinterState};
use std::rc::Rc;
use std::sync::Arc;

fn hub_with(config: HubConfig) -> (HubHandle, MemoryTransport, Arc<MemoryStore>) {
    let transport = MemoryTransport::default();
    let t = transport.clone();
    let factory: TransportFactory = Rc::new(move |_| Ok(Box::new(t.clone())));
    let store = Arc::new(MemoryStore::default());
    let hub = Hub::start_with(config, store.clone(), factory);
    (hub, transport, store)
}

fn hub() -> (HubHandle, MemoryTransport, Arc<MemoryStore>) {
    hub_with(HubConfig::default())
}

#[actix::test]
async fn every_copy_prints_and_the_job_is_stored_before_submit_returns() {
    let (hub, transport, store) = hub();
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    transport.close_gate();
    let job = hub
        .submit("pt", request(1).copies(3))
        .await
        .expect("submitted");
    assert_eq!(
        store.load_job(job.id).expect("store").map(|j| j.id),
        Some(job.id)
    );
    transport.open_gate();
    let done = wait_terminal(&mut events, &[job.id]).await;
    assert_eq!(done, [(job.id, JobState::Completed)]);
    assert_eq!(transport.sent().len(), 3);
    let job = hub.job(job.id).await.expect("job");
    assert_eq!((job.copies_printed, job.confirmed), (3, true));
    assert_eq!(
        store.load_job(job.id).expect("store").map(|j| j.state),
        Some(JobState::Completed)
    );
}

#[actix::test]
async fn controls_are_answered_while_a_label_prints() {
    let (hub, transport, _) = hub();
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    transport.close_gate();
    let a = hub.submit("pt", request(1).copies(2)).await.expect("a");
    let b = hub.submit("pt", request(2)).await.expect("b");
    wait_for(&mut events, |e| matches!(e, Event::JobStateChanged(c) if c.job_id == a.id && c.to == JobState::Printing)).await;
    // The send of copy 1 is blocked: every call below must still be answered.
    let printer = hub.printer("pt").await.expect("status while printing");
    assert_eq!(printer.printing, Some(a.id));
    assert_eq!(
        hub.list_jobs(JobFilter::default())
            .await
            .expect("list")
            .len(),
        2
    );
    assert_eq!(hub.queue("pt").await.expect("queue").len(), 1);
    let cancelled = hub.cancel_job(a.id).await.expect("cancel after this copy");
    assert_eq!(cancelled.state, JobState::Printing);
    assert_eq!(
        hub.hold_job(b.id).await.expect("hold").state,
        JobState::Held
    );
    hub.pause_printer("pt").await.expect("pause while printing");
    transport.open_gate();
    wait_terminal(&mut events, &[a.id]).await;
    let a = hub.job(a.id).await.expect("a");
    assert_eq!(
        (a.state, a.copies_printed),
        (JobState::Cancelled, 1),
        "stops after the current copy"
    );
    assert_eq!(
        transport.sent().len(),
        1,
        "the held job and the second copy never print"
    );
    assert_eq!(
        hub.printer("pt").await.expect("printer").state,
        PrinterState::Paused
    );
}

#[actix::test]
async fn release_keeps_queue_order_and_resume_restarts_printing() {
    let (hub, transport, _) = hub();
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    hub.pause_printer("pt").await.expect("paused while idle");
    let ids = submit_many(&hub, "pt", 0, 4).await;
    hub.hold_job(ids[1]).await.expect("hold");
    hub.release_job(ids[1]).await.expect("release");
    assert!(
        transport.sent().is_empty(),
        "pause while idle is honoured before the next job"
    );
    let mut events = hub.subscribe();
    hub.resume_printer("pt").await.expect("resume");
    wait_terminal(&mut events, &ids).await;
    let sent: Vec<_> = transport.sent().iter().map(|s| s.bytes.clone()).collect();
    let jobs: Vec<_> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(hub.job(*id).await.expect("job").spec.raster);
        }
        v
    };
    assert_eq!(
        sent, jobs,
        "printed in submission order, the released job in its place"
    );
}

#[actix::test]
async fn a_printer_that_needs_attention_stops_without_failing_jobs() {
    let (hub, transport, _) = hub();
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    transport.push_outcome(Err(TransportError::Attention { reason: "no_media" }));
    transport.set_probe(ObservedStatus::attention("no_media"));
    let a = hub.submit("pt", request(1)).await.expect("a");
    let b = hub.submit("pt", request(2)).await.expect("b");
    wait_for(&mut events, |e| matches!(e, Event::PrinterStateChanged(c) if matches!(c.to, PrinterState::Stopped { .. }))).await;
    let printer = hub.printer("pt").await.expect("printer");
    assert_eq!(printer.state.reason(), Some("no_media"));
    assert_eq!(hub.job(a.id).await.expect("a").state, JobState::Queued);
    assert_eq!(hub.job(b.id).await.expect("b").state, JobState::Queued);
    // Tape loaded: the status clears and resume forces a re-check.
    transport.set_probe(ObservedStatus::ready());
    hub.resume_printer("pt").await.expect("resume");
    let done = wait_terminal(&mut events, &[a.id, b.id]).await;
    assert!(done.iter().all(|(_, s)| *s == JobState::Completed));
}

#[actix::test]
async fn rejected_jobs_fail_and_retry_prints_the_same_raster() {
    let (hub, transport, _) = hub();
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    transport.push_outcome(Err(TransportError::Rejected {
        code: "printer_error",
        message: "refused".into(),
    }));
    let a = hub.submit("pt", request(1)).await.expect("a");
    assert_eq!(
        wait_terminal(&mut events, &[a.id]).await,
        [(a.id, JobState::Failed)]
    );
    let failed = hub.job(a.id).await.expect("a");
    assert_eq!(
        failed.error.as_ref().map(|e| e.code.as_str()),
        Some("printer_error")
    );
    let retry = hub.retry_job(a.id).await.expect("retry");
    assert_eq!((retry.parent_job_id, retry.retry_count), (Some(a.id), 1));
    assert_eq!(
        wait_terminal(&mut events, &[retry.id]).await,
        [(retry.id, JobState::Completed)]
    );
    let sent = transport.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0].bytes, sent[1].bytes,
        "the retry sends the same raster"
    );
    let err = hub
        .retry_job(retry.id)
        .await
        .expect_err("completed jobs are not retried");
    assert_eq!(err.code(), "invalid_job_state");
}

#[actix::test]
async fn a_reloaded_printer_keeps_its_queue_in_order() {
    let (hub, transport, _) = hub();
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    hub.pause_printer("pt").await.expect("paused");
    let ids = submit_many(&hub, "pt", 0, 3).await;
    let mut events = hub.subscribe();
    hub.reload_printer("pt").await.expect("reload");
    // The fresh actor restores the queue from the store, still paused as the user left it.
    assert_eq!(
        hub.printer("pt").await.expect("printer").state,
        PrinterState::Paused
    );
    assert!(transport.sent().is_empty());
    hub.resume_printer("pt").await.expect("resume");
    let done = wait_terminal(&mut events, &ids).await;
    assert!(done.iter().all(|(_, s)| *s == JobState::Completed));
    assert_eq!(done.iter().map(|(id, _)| *id).collect::<Vec<_>>(), ids);
    assert_eq!(transport.sent().len(), 3);
}

#[actix::test]
async fn batches_queue_in_order_with_one_batch_id() {
    let (hub, _, _) = hub();
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let (batch, jobs) = hub
        .submit_batch("pt", (0..5).map(request).collect())
        .await
        .expect("batch");
    assert_eq!(jobs.len(), 5);
    assert!(jobs.iter().all(|j| j.spec.batch_id == Some(batch)));
    let ids: Vec<_> = jobs.iter().map(|j| j.id).collect();
    let done = wait_terminal(&mut events, &ids).await;
    assert_eq!(done.iter().map(|(id, _)| *id).collect::<Vec<_>>(), ids);
    let listed = hub
        .list_jobs(JobFilter {
            batch: Some(batch),
            ..JobFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(listed.len(), 5);
    let newest_first: Vec<_> = ids.iter().rev().copied().collect();
    assert_eq!(
        listed.iter().map(|j| j.id).collect::<Vec<_>>(),
        newest_first,
        "newest first, in submission order"
    );
}

#[actix::test]
async fn bad_requests_are_clear_errors_and_lose_nothing() {
    let (hub, _, _) = hub();
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let code = |e: printhub_actors::HubError| e.code();
    assert_eq!(
        code(
            hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
                .await
                .expect_err("dup")
        ),
        "printer_exists"
    );
    let mut bad = pt_printer("bad", "127.0.0.1:9");
    bad.model = "PT-9999".into();
    assert_eq!(
        code(hub.add_printer(bad).await.expect_err("model")),
        "invalid_request"
    );
    let mut bad = pt_printer("wide", "127.0.0.1:9");
    bad.media = "tze-36".into();
    assert_eq!(
        code(hub.add_printer(bad).await.expect_err("media")),
        "unsupported_media",
        "a 24 mm head cannot take 36 mm tape (design §3 names the code)"
    );
    assert_eq!(
        code(hub.printer("nope").await.expect_err("unknown")),
        "printer_not_found"
    );
    assert_eq!(
        code(hub.submit("nope", request(1)).await.expect_err("unknown")),
        "printer_not_found"
    );
    let wrong_width = PrintRequest::new(printhub_raster::Label::black(
        printhub_raster::Bitmap::new(69, 40),
    ));
    assert_eq!(
        code(hub.submit("pt", wrong_width).await.expect_err("width")),
        "label_width_mismatch"
    );
    assert_eq!(
        code(
            hub.submit("pt", request(1).copies(0))
                .await
                .expect_err("copies")
        ),
        "invalid_request"
    );
    assert_eq!(
        code(
            hub.job(printhub_core::JobId::from_u128(7))
                .await
                .expect_err("job")
        ),
        "job_not_found"
    );
    assert!(
        hub.list_jobs(JobFilter::default())
            .await
            .expect("list")
            .is_empty(),
        "no job was created by a bad request"
    );
    // Disabled printers refuse work; a printer with jobs cannot be removed.
    hub.set_printer_enabled("pt", false).await.expect("disable");
    assert_eq!(
        code(hub.submit("pt", request(1)).await.expect_err("disabled")),
        "printer_disabled"
    );
    hub.set_printer_enabled("pt", true).await.expect("enable");
    hub.pause_printer("pt").await.expect("pause");
    hub.submit("pt", request(1)).await.expect("queued");
    assert_eq!(
        code(hub.remove_printer("pt").await.expect_err("busy")),
        "printer_busy"
    );
    assert_eq!(hub.clear_queue("pt").await.expect("clear"), 1);
    hub.remove_printer("pt").await.expect("removed");
    assert_eq!(
        code(hub.printer("pt").await.expect_err("gone")),
        "printer_not_found"
    );
}

#[actix::test]
async fn printers_change_live() {
    let (hub, _, _) = hub();
    let info = hub
        .add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let patch = PrinterPatch {
        media: Some("tze-24".into()),
        name: Some("Shelf".into()),
        ..PrinterPatch::default()
    };
    let updated = hub
        .update_printer(&info.id.to_string(), patch)
        .await
        .expect("update by id");
    assert_eq!(
        (updated.media.as_str(), updated.name.as_str()),
        ("tze-24", "Shelf")
    );
    let bad = PrinterPatch {
        media: Some("dk-62".into()),
        ..PrinterPatch::default()
    };
    assert_eq!(
        hub.update_printer("pt", bad)
            .await
            .expect_err("dk on PT")
            .code(),
        "unsupported_media"
    );
    assert_eq!(hub.printer("pt").await.expect("printer").media, "tze-24");
    assert_eq!(hub.list_printers().await.expect("list").len(), 1);
}

/// Three 500-label batches (the gateway's largest) land before a subscriber reads: with
/// the default buffer it still gets every event, none missed.
#[actix::test]
async fn a_burst_of_large_batches_reaches_a_subscriber_that_reads_after_it() {
    let (hub, _, _) = hub();
    for slug in ["pt", "pt2"] {
        hub.add_printer(pt_printer(slug, "127.0.0.1:9"))
            .await
            .expect("added");
        hub.pause_printer(slug).await.expect("paused");
    }
    let mut events = hub.subscribe();
    let batch = || {
        (0..500)
            .map(|n| PrintRequest::new(marked_label(n % 70)))
            .collect()
    };
    for slug in ["pt", "pt", "pt2"] {
        hub.submit_batch(slug, batch()).await.expect("queued");
    }
    let mut queued = 0;
    while queued < 1500 {
        match events.next().await.expect("running") {
            EventItem::Missed(n) => panic!("{n} events missed after {queued} queued"),
            EventItem::Event(Event::JobStateChanged(c)) if c.to == JobState::Queued => queued += 1,
            EventItem::Event(_) => {}
        }
    }
}

#[actix::test]
async fn a_slow_subscriber_loses_the_oldest_events_and_never_blocks_printing() {
    let (hub, _, _) = hub_with(HubConfig {
        event_capacity: 4,
        machine: MachineConfig::default(),
        ..HubConfig::default()
    });
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let mut slow = hub.subscribe();
    let mut fast = hub.subscribe();
    let ids = submit_many(&hub, "pt", 0, 10).await;
    // Follow progress; whenever this subscriber falls behind too, re-read the jobs.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let item = tokio::time::timeout_at(deadline, fast.next())
            .await
            .expect("before the deadline")
            .expect("running");
        if matches!(
            item,
            EventItem::Missed(_) | EventItem::Event(Event::JobStateChanged(_))
        ) {
            let mut all_done = true;
            for id in &ids {
                all_done &= hub.job(*id).await.expect("job").state == JobState::Completed;
            }
            if all_done {
                break;
            }
        }
    }
    match slow.next().await.expect("running") {
        EventItem::Missed(n) => assert!(n > 0),
        other => panic!("the slow subscriber should be told it missed events, got {other:?}"),
    }
}

#[actix::test]
async fn shutdown_leaves_queued_jobs_queued_and_refuses_new_work() {
    let (hub, transport, store) = hub();
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    hub.pause_printer("pt").await.expect("paused");
    let ids = submit_many(&hub, "pt", 0, 2).await;
    hub.shutdown().await.expect("drained");
    assert_eq!(
        hub.submit("pt", request(9))
            .await
            .expect_err("closed")
            .code(),
        "shutting_down"
    );
    for id in ids {
        assert_eq!(
            store.load_job(id).expect("store").map(|j| j.state),
            Some(JobState::Queued)
        );
    }
    assert!(transport.sent().is_empty());
}

/// A store whose commits fail (a full or read-only disk).
#[derive(Debug, Default)]
struct FailingStore;

impl HubStore for FailingStore {
    fn commit(&self, _jobs: Vec<printhub_core::Job>) -> printhub_actors::store::CommitFuture {
        Box::pin(std::future::ready(Err(printhub_actors::StoreError::new(
            printhub_store::StoreCode::Full,
            "disk full",
        ))))
    }
    fn load_job(
        &self,
        _id: printhub_core::JobId,
    ) -> Result<Option<printhub_core::Job>, printhub_actors::StoreError> {
        Ok(None)
    }
    fn load_printer_jobs(
        &self,
        _p: printhub_core::PrinterId,
    ) -> Result<Vec<printhub_core::Job>, printhub_actors::StoreError> {
        Ok(Vec::new())
    }
    fn load_all_jobs(&self) -> Result<Vec<printhub_core::Job>, printhub_actors::StoreError> {
        Ok(Vec::new())
    }
    // The registry still works: only job commits fail in this test.
    fn save_printer(
        &self,
        _c: &printhub_actors::PrinterConfig,
        _a: &str,
    ) -> Result<(), printhub_actors::SavePrinterError> {
        Ok(())
    }
    fn delete_printer(
        &self,
        _id: printhub_core::PrinterId,
        _a: &str,
    ) -> Result<(), printhub_actors::StoreError> {
        Ok(())
    }
    fn load_printers(
        &self,
    ) -> Result<Vec<printhub_actors::PrinterConfig>, printhub_actors::StoreError> {
        Ok(Vec::new())
    }
    fn save_printer_status(
        &self,
        _id: printhub_core::PrinterId,
        _s: &printhub_core::PrinterStatus,
    ) {
    }
    fn load_printer_status(
        &self,
        _id: printhub_core::PrinterId,
    ) -> Option<printhub_core::PrinterStatus> {
        None
    }
    fn prune(
        &self,
        _a: Option<i64>,
        _m: Option<usize>,
        _n: printhub_core::Timestamp,
    ) -> Result<usize, printhub_actors::StoreError> {
        Ok(0)
    }
}

#[actix::test]
async fn finished_jobs_are_pruned_by_retention() {
    use printhub_actors::Retention;
    let retention = Retention {
        max_age: None,
        max_finished: Some(2),
        every: std::time::Duration::from_millis(20),
    };
    let (hub, _, store) = hub_with(HubConfig {
        retention,
        ..HubConfig::default()
    });
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let ids = submit_many(&hub, "pt", 0, 5).await;
    wait_terminal(&mut events, &ids).await;
    // The pruner runs on its interval; wait for it, with a deadline as the upper bound.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let left = store.load_all_jobs().expect("store").len();
        if left == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{left} finished jobs left; retention keeps 2"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let kept: Vec<_> = store
        .load_all_jobs()
        .expect("store")
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(kept, ids[3..], "the newest finished jobs are kept");
}

/// A memory store whose prune blocks until the test opens its gate, counting
/// the prunes that run at once.
#[derive(Debug, Default)]
struct GatedPrune {
    inner: MemoryStore,
    open: std::sync::Mutex<bool>,
    opened: std::sync::Condvar,
    calls: std::sync::atomic::AtomicUsize,
    running: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
}

impl GatedPrune {
    fn calls(&self) -> usize {
        self.calls.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn open_gate(&self) {
        *self.open.lock().expect("gate") = true;
        self.opened.notify_all();
    }
}

impl HubStore for GatedPrune {
    fn commit(&self, jobs: Vec<printhub_core::Job>) -> printhub_actors::store::CommitFuture {
        self.inner.commit(jobs)
    }
    fn load_job(
        &self,
        id: printhub_core::JobId,
    ) -> Result<Option<printhub_core::Job>, printhub_actors::StoreError> {
        self.inner.load_job(id)
    }
    fn load_printer_jobs(
        &self,
        p: printhub_core::PrinterId,
    ) -> Result<Vec<printhub_core::Job>, printhub_actors::StoreError> {
        self.inner.load_printer_jobs(p)
    }
    fn load_all_jobs(&self) -> Result<Vec<printhub_core::Job>, printhub_actors::StoreError> {
        self.inner.load_all_jobs()
    }
    fn save_printer(
        &self,
        c: &printhub_actors::PrinterConfig,
        a: &str,
    ) -> Result<(), printhub_actors::SavePrinterError> {
        self.inner.save_printer(c, a)
    }
    fn delete_printer(
        &self,
        id: printhub_core::PrinterId,
        a: &str,
    ) -> Result<(), printhub_actors::StoreError> {
        self.inner.delete_printer(id, a)
    }
    fn load_printers(
        &self,
    ) -> Result<Vec<printhub_actors::PrinterConfig>, printhub_actors::StoreError> {
        self.inner.load_printers()
    }
    fn save_printer_status(&self, id: printhub_core::PrinterId, s: &printhub_core::PrinterStatus) {
        self.inner.save_printer_status(id, s)
    }
    fn load_printer_status(
        &self,
        id: printhub_core::PrinterId,
    ) -> Option<printhub_core::PrinterStatus> {
        self.inner.load_printer_status(id)
    }
    fn prune(
        &self,
        max_age: Option<i64>,
        max_finished: Option<usize>,
        now: printhub_core::Timestamp,
    ) -> Result<usize, printhub_actors::StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        self.calls.fetch_add(1, SeqCst);
        let running = self.running.fetch_add(1, SeqCst) + 1;
        self.most.fetch_max(running, SeqCst);
        let mut open = self.open.lock().expect("gate");
        while !*open {
            open = self.opened.wait(open).expect("gate");
        }
        drop(open);
        self.running.fetch_sub(1, SeqCst);
        self.inner.prune(max_age, max_finished, now)
    }
}

/// Opens the gate when dropped, so that a failing test leaves no prune blocked
/// (the runtime waits for its blocking threads when it shuts down).
struct OpenOnDrop(Arc<GatedPrune>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.open_gate();
    }
}

/// Polls `done` every few milliseconds until it holds (20 s at most).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[actix::test]
async fn a_slow_prune_never_runs_twice_at_once() {
    let store = Arc::new(GatedPrune::default());
    let _release = OpenOnDrop(Arc::clone(&store));
    let transport = MemoryTransport::default();
    let factory: TransportFactory = Rc::new(move |_| Ok(Box::new(transport.clone())));
    let config = HubConfig {
        retention: printhub_actors::Retention {
            max_age: None,
            max_finished: Some(2),
            every: std::time::Duration::from_millis(5),
        },
        ..HubConfig::default()
    };
    let hub = Hub::start_with(config, store.clone(), factory);
    until("a first prune", || store.calls() >= 1).await;
    // The interval goes on ticking while that prune is held (about ten ticks here, not a
    // synchronisation: any number of them must find it running and skip).
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(store.calls(), 1, "no prune starts while one runs");
    store.open_gate();
    // Once it is done, the next tick prunes again.
    until("a prune after the slow one", || store.calls() >= 2).await;
    assert_eq!(store.most.load(std::sync::atomic::Ordering::SeqCst), 1);
    hub.shutdown().await.expect("shutdown");
}

#[actix::test]
async fn a_job_that_cannot_be_stored_is_refused_and_never_prints() {
    let transport = MemoryTransport::default();
    let t = transport.clone();
    let factory: TransportFactory = Rc::new(move |_| Ok(Box::new(t.clone())));
    let hub = Hub::start_with(HubConfig::default(), Arc::new(FailingStore), factory);
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let err = hub.submit("pt", request(1)).await.expect_err("not durable");
    assert_eq!(err.code(), "store_error");
    // The store's own code travels with it, typed.
    assert_eq!(
        err.kind(),
        printhub_actors::HubCode::Store(printhub_store::StoreCode::Full)
    );
    // Give the printer every chance to (wrongly) send: a round trip through its mailbox.
    hub.printer("pt").await.expect("printer");
    assert!(
        transport.sent().is_empty(),
        "an unacknowledged job never prints"
    );
}

#[actix::test]
async fn a_job_is_printing_on_disk_before_its_first_byte_is_sent() {
    let (hub, transport, store) = hub();
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    transport.close_gate();
    let job = hub.submit("pt", request(1)).await.expect("submitted");
    wait_for(&mut events, |e| matches!(e, Event::JobStateChanged(c) if c.job_id == job.id && c.to == JobState::Printing)).await;
    // The stream is prepared off the actor's thread first: poll until the send starts.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while transport.sent().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the send starts");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(transport.sent().len(), 1, "the send has started");
    assert_eq!(
        store.load_job(job.id).expect("store").map(|j| j.state),
        Some(JobState::Printing)
    );
    transport.open_gate();
    wait_terminal(&mut events, &[job.id]).await;
}
