//! Shared helpers: printers, labels and event waits.

use printhub_actors::{EventItem, EventStream, HubHandle, PrintRequest, PrinterConfig};
use printhub_core::{Event, JobId, JobState};
use printhub_emulator::{EmulatorHandle, RecordedPage};
use printhub_raster::{Bitmap, Label};
use std::collections::HashSet;
use std::time::Duration;

/// A PT-P750W on 12 mm tape at `address`.
pub fn pt_printer(slug: &str, address: &str) -> PrinterConfig {
    PrinterConfig {
        id: None,
        slug: slug.into(),
        name: format!("Test {slug}"),
        model: "PT-P750W".into(),
        media: "tze-12".into(),
        address: address.into(),
        enabled: true,
        snmp: None,
        snmp_community: None,
        paused: false,
        defaults: Default::default(),
    }
}

/// A 12 mm label (70 dots across, 40 lines) with a mark in column `n % 70`, so
/// every job's page is distinguishable.
pub fn marked_label(n: usize) -> Label {
    Label::black(Bitmap::from_fn(70, 40, |x, y| x == n % 70 || y == n / 70))
}

/// A request for `marked_label(n)`.
pub fn request(n: usize) -> PrintRequest {
    PrintRequest::new(marked_label(n))
}

/// Waits until every job in `jobs` has reached a terminal state; returns their final states.
pub async fn wait_terminal(events: &mut EventStream, jobs: &[JobId]) -> Vec<(JobId, JobState)> {
    let mut pending: HashSet<JobId> = jobs.iter().copied().collect();
    let mut done = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !pending.is_empty() {
        let item = tokio::time::timeout_at(deadline, events.next())
            .await
            .expect("jobs finish before the deadline")
            .expect("hub running");
        if let EventItem::Event(Event::JobStateChanged(e)) = item {
            if e.to.is_terminal() && pending.remove(&e.job_id) {
                done.push((e.job_id, e.to));
            }
        }
    }
    done
}

/// Waits for the next event matching `pred`.
pub async fn wait_for(events: &mut EventStream, mut pred: impl FnMut(&Event) -> bool) -> Event {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let item = tokio::time::timeout_at(deadline, events.next())
            .await
            .expect("event before the deadline")
            .expect("hub running");
        if let EventItem::Event(e) = item {
            if pred(&e) {
                return e;
            }
        }
    }
}

/// Polls `emu` until it has printed at least `n` pages (30 s at most); returns them all.
/// For pages nothing the hub saw vouches for (an unconfirmed send); never the
/// emulator's blocking wait, which would stall this single-threaded runtime.
pub async fn printed(emu: &EmulatorHandle, n: usize) -> Vec<RecordedPage> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let pages = emu.pages();
        if pages.len() >= n || tokio::time::Instant::now() >= deadline {
            return pages;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Submits `n` marked labels (numbered from `first`) one by one; returns the job ids in order.
pub async fn submit_many(hub: &HubHandle, printer: &str, first: usize, n: usize) -> Vec<JobId> {
    let mut ids = Vec::with_capacity(n);
    for i in first..first + n {
        ids.push(hub.submit(printer, request(i)).await.expect("submitted").id);
    }
    ids
}

/// Polls `done` (a cheap check of emulator state) every few milliseconds until it holds;
/// panics after a generous deadline. Never blocks the actix runtime.
pub async fn poll_until(mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached before the deadline"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every event before the first one matching `end` (which is consumed, not returned).
pub async fn events_until(
    events: &mut EventStream,
    mut end: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let event = wait_for(events, |_| true).await;
        if end(&event) {
            return seen;
        }
        seen.push(event);
    }
}
