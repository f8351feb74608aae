//! The I/O of notifications: [`Notifier::start`] spawns, on the current
//! tokio runtime, one **follower** task and one **delivery** task per target.
//!
//! - The follower reads the engine's events (a bounded broadcast: it can
//!   fall behind, never hold the engine up), resolves printer slugs and job
//!   error codes through the `HubHandle`, runs the [`Rules`] (with their
//!   offline timer), writes every due notification to its target's
//!   [`Outbox`] (`spawn_blocking`) and wakes that target's delivery task.
//! - A delivery task sends its outbox oldest first, one at a time (so a
//!   target sees events in order): POST with the signature header, at most
//!   `timeout` per attempt; a 2xx removes the file, anything else is retried
//!   after [`retry_delay`] (1 s doubling to 5 min). A notification still
//!   undelivered after [`GIVE_UP_AFTER`] is dropped and counted. Files left
//!   from before a restart are sent first.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use printhub_actors::{EventItem, HubHandle};
use printhub_core::{Event, JobState, PrinterId, Timestamp};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::body::{sign, EVENT_HEADER, SIGNATURE_HEADER};
use crate::config::Target;
use crate::metrics::NotifyMetrics;
use crate::outbox::{Entry, Outbox};
use crate::rules::{Input, Rules};
use crate::NotifyError;

/// Notifications kept per target while it cannot be reached.
pub const OUTBOX_CAPACITY: usize = 10_000;

/// How long an undeliverable notification is retried.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The wait before retry number `attempt` (1-based): 1 s, 2 s, 4 s, … at most 5 min.
pub fn retry_delay(attempt: u32) -> Duration {
    let secs = 1u64
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u64::MAX)
        .min(300);
    Duration::from_secs(secs)
}

/// Starts notifications.
#[derive(Debug)]
pub struct Notifier;

/// Running notification tasks; dropping it (or [`NotifyHandle::shutdown`])
/// stops them. Undelivered notifications stay in the outboxes.
#[derive(Debug)]
pub struct NotifyHandle {
    tasks: Vec<JoinHandle<()>>,
}

impl NotifyHandle {
    /// Stops following events and delivering.
    pub async fn shutdown(self) {
        drop(self);
    }
}

impl Drop for NotifyHandle {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

struct Lane {
    target: Target,
    outbox: Arc<Outbox>,
    wake: Arc<Notify>,
}

fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_millis(ms)
}

impl Notifier {
    /// Opens each target's outbox under `outbox_dir/<name>/` and starts
    /// following `hub`. Fails only when an outbox folder cannot be used.
    pub fn start(
        targets: Vec<Target>,
        outbox_dir: &std::path::Path,
        hub: HubHandle,
        metrics: NotifyMetrics,
    ) -> Result<NotifyHandle, NotifyError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("printhub/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| NotifyError::Http(e.to_string()))?;
        let mut lanes = Vec::new();
        for target in &targets {
            let outbox = Outbox::open(&outbox_dir.join(&target.name), OUTBOX_CAPACITY)?;
            if !outbox.is_empty() {
                log::info!(
                    "notify {}: {} notifications from before the restart to deliver",
                    target.name,
                    outbox.len()
                );
            }
            lanes.push(Lane {
                target: target.clone(),
                outbox: Arc::new(outbox),
                wake: Arc::new(Notify::new()),
            });
        }
        let mut tasks = Vec::new();
        for lane in &lanes {
            tasks.push(tokio::spawn(deliver(
                client.clone(),
                lane.target.clone(),
                Arc::clone(&lane.outbox),
                Arc::clone(&lane.wake),
                metrics.clone(),
            )));
        }
        let events = hub.subscribe();
        tasks.push(tokio::spawn(follow(
            hub,
            events,
            Rules::new(targets),
            lanes,
            metrics,
        )));
        Ok(NotifyHandle { tasks })
    }
}

/// The follower task (see the module doc).
async fn follow(
    hub: HubHandle,
    mut events: printhub_actors::EventStream,
    mut rules: Rules,
    lanes: Vec<Lane>,
    metrics: NotifyMetrics,
) {
    let mut slugs: std::collections::HashMap<PrinterId, String> = Default::default();
    loop {
        let timer = rules.poll_timeout().map(|at| {
            let wait = at.millis_since(now()).max(0);
            tokio::time::Instant::now() + Duration::from_millis(u64::try_from(wait).unwrap_or(0))
        });
        let due = tokio::select! {
            item = events.next() => match item {
                Some(EventItem::Event(event)) => match input(&hub, &mut slugs, &event).await {
                    Some(input) => rules.handle(&input),
                    None => Vec::new(),
                },
                Some(EventItem::Missed(n)) => {
                    log::warn!("notify: fell {n} engine events behind; their notifications are lost");
                    metrics.missed(n);
                    Vec::new()
                }
                None => return,
            },
            () = sleep_until(timer) => rules.handle_timeout(now()),
        };
        for (i, notice) in due {
            let Some(lane) = lanes.get(i) else { continue };
            let id = uuid::Uuid::new_v4().to_string();
            let body = notice.body(&id);
            let outbox = Arc::clone(&lane.outbox);
            let stored = tokio::task::spawn_blocking(move || outbox.push(&body, now())).await;
            match stored {
                Ok(Ok(_)) => lane.wake.notify_one(),
                Ok(Err(e)) => {
                    log::error!(
                        "notify {}: {} for {} not stored: {e}",
                        lane.target.name,
                        notice.event.as_str(),
                        notice.printer
                    );
                    metrics.dropped(&lane.target.name);
                }
                Err(e) => log::error!("notify {}: outbox task failed: {e}", lane.target.name),
            }
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// An engine event as the rules' input (slug and error code looked up).
async fn input(
    hub: &HubHandle,
    slugs: &mut std::collections::HashMap<PrinterId, String>,
    event: &Event,
) -> Option<Input> {
    let interesting = match event {
        Event::JobStateChanged(e) => matches!(
            e.to,
            JobState::Completed | JobState::Failed | JobState::Interrupted
        ),
        Event::PrinterStateChanged(_) => true,
        _ => false,
    };
    if !interesting {
        return None;
    }
    let printer_id = event.printer_id();
    if let std::collections::hash_map::Entry::Vacant(slot) = slugs.entry(printer_id) {
        if let Ok(info) = hub.printer(&printer_id.to_string()).await {
            slot.insert(info.slug);
        }
    }
    let printer = slugs
        .get(&printer_id)
        .cloned()
        .unwrap_or_else(|| printer_id.to_string());
    match event {
        Event::JobStateChanged(e) => {
            let reason = if e.to == JobState::Completed {
                None
            } else {
                hub.job_metadata(e.job_id)
                    .await
                    .ok()
                    .and_then(|j| j.error.map(|err| err.code))
            };
            Some(Input::Job {
                printer,
                printer_id: printer_id.to_string(),
                job: e.job_id,
                to: e.to,
                reason,
                at: e.at,
            })
        }
        Event::PrinterStateChanged(e) => Some(Input::Printer {
            printer,
            printer_id: printer_id.to_string(),
            from: e.from.clone(),
            to: e.to.clone(),
            at: e.at,
        }),
        _ => None,
    }
}

/// A delivery task (see the module doc).
async fn deliver(
    client: reqwest::Client,
    target: Target,
    outbox: Arc<Outbox>,
    wake: Arc<Notify>,
    metrics: NotifyMetrics,
) {
    let mut attempt: u32 = 0;
    loop {
        // Registered before looking, so a push between the look and the wait is not missed.
        let woken = wake.notified();
        let ob = Arc::clone(&outbox);
        let next = match tokio::task::spawn_blocking(move || ob.oldest()).await {
            Ok(Ok(next)) => next,
            Ok(Err(e)) => {
                log::error!("notify {}: {e}", target.name);
                tokio::time::sleep(retry_delay(5)).await;
                continue;
            }
            Err(_) => return,
        };
        let Some(entry) = next else {
            woken.await;
            continue;
        };
        if now().millis_since(entry.created)
            > i64::try_from(GIVE_UP_AFTER.as_millis()).unwrap_or(i64::MAX)
        {
            log::error!(
                "notify {}: giving up on a notification undelivered for a day: {}",
                target.name,
                entry.body
            );
            metrics.dropped(&target.name);
            remove(&outbox, entry, &target).await;
            attempt = 0;
            continue;
        }
        match send(&client, &target, &entry).await {
            Ok(()) => {
                metrics.sent(&target.name);
                remove(&outbox, entry, &target).await;
                attempt = 0;
            }
            Err(why) => {
                attempt = attempt.saturating_add(1);
                metrics.failed(&target.name);
                let wait = retry_delay(attempt);
                log::warn!(
                    "notify {}: delivery failed ({why}); retry {attempt} in {}s",
                    target.name,
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

async fn remove(outbox: &Arc<Outbox>, entry: Entry, target: &Target) {
    let ob = Arc::clone(outbox);
    match tokio::task::spawn_blocking(move || ob.remove(&entry)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::error!("notify {}: {e}", target.name),
        Err(e) => log::error!("notify {}: outbox task failed: {e}", target.name),
    }
}

/// One POST; `Err` says why it does not count as delivered.
async fn send(client: &reqwest::Client, target: &Target, entry: &Entry) -> Result<(), String> {
    let event = serde_json::from_str::<serde_json::Value>(&entry.body)
        .ok()
        .and_then(|v| v["event"].as_str().map(str::to_string))
        .unwrap_or_default();
    let response = client
        .post(target.url.clone())
        .timeout(target.timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            SIGNATURE_HEADER,
            sign(target.secret.expose().as_bytes(), entry.body.as_bytes()),
        )
        .header(EVENT_HEADER, event)
        .body(entry.body.clone())
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                format!("no answer within {}s", target.timeout.as_secs())
            } else {
                // Without the URL: it may carry a token in its path.
                format!("{}", e.without_url())
            }
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("HTTP {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_five_minutes() {
        let waits: Vec<u64> = (1..=12).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(retry_delay(u32::MAX).as_secs(), 300);
        assert_eq!(retry_delay(0).as_secs(), 1);
    }
}
