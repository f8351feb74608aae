//! Live events over SSE (`GET /api/events`, issue #9). An [`EventLog`]
//! subscribes once to the engine's broadcast ([`HubHandle::subscribe`]),
//! gives every event a global monotonic id, turns it into its wire JSON
//! (with the job's or printer's view attached), keeps the last
//! [`EventConfig::buffer`] events for `Last-Event-ID` replay and fans them
//! out to SSE clients through a bounded broadcast channel. The events
//! waiting when it takes the next one (a batch submitted, a chain printed)
//! are described together: their jobs' views come from one ask of each
//! printer and one store read ([`HubHandle::jobs_metadata`]), so the log
//! keeps up with thousands of submits a second instead of falling behind.
//!
//! An event is described (views attached, JSON written) once, when it is
//! first needed: at once while a stream is open; otherwise only when a
//! client replays it with `Last-Event-ID` (its views are then read at that
//! time). With nobody listening nothing is described: in a fill those
//! views and their JSON were a fifth of the printer actors' thread, built
//! for nobody (issue #17). A client that subscribes while a burst is on its
//! way may get an event not yet described; its stream describes it.
//!
//! Ids are `start time in ms × 1000 + n`, so they keep growing across
//! restarts (as long as the clock does) and an id from an earlier run is
//! recognisably older than anything buffered: the client gets a
//! `stream.reset` ("gap") and refetches state instead of silently missing
//! events. The same reset ("lagged") tells a client it was too slow; its
//! stream then ends and it reconnects with `Last-Event-ID`.
//!
//! A stream opened with an API key lives only as long as the key: on every
//! heartbeat and before every event the key is looked up again in the
//! in-memory key ring ([`Auth::key_refusal`]), and a revoked or expired key
//! gets a last `stream.reset` (`revoked` / `expired`, with the id of the
//! last event it was sent) before the stream ends.
//!
//! Streams are capped twice: [`EventConfig::max_subscribers`] in all, and
//! [`EventConfig::max_per_caller`] per caller (a key, a proxy user, an
//! anonymous address), so one key cannot take every slot. A slot is freed
//! the moment its stream is dropped; `printhub serve` refuses half-closed
//! HTTP/1 connections, so a client that goes away is noticed at once, not at
//! the next heartbeat.
//!
//! **Architecture Invariant:** nothing here can slow printing. The engine's
//! broadcast and the fan-out never wait for a reader: a reader that falls
//! behind loses events (and is told so), the printers never notice.
//! **Architecture Invariant:** the view attached to `job.state_changed` is
//! read after the change, so it may already show a later state (and, for
//! an event replayed after its job was pruned, be `null`); `to` is the
//! state the event is about.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::stream;
use printhub_actors::{EventItem, HubHandle};
use printhub_core::{BatchId, Event, Job, JobId, PrinterId};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::auth::{Auth, Caller, Identity};
use crate::dto::{rfc3339, JobView, PrinterView, StatusView};
use crate::error::{ApiError, ErrorCode};

/// Events described together at most: what is waiting when the log takes
/// the next one, up to this many (a batch of 100 labels submitted is 100).
const DESCRIBE_BURST: usize = 256;

/// Event stream settings.
#[derive(Debug, Clone)]
pub struct EventConfig {
    /// Events kept for replay.
    pub buffer: usize,
    /// Events a client may fall behind before it is dropped.
    pub client_backlog: usize,
    /// Concurrent SSE clients at most (more: 429 `too_many_subscribers`).
    pub max_subscribers: usize,
    /// Concurrent SSE clients of one caller (key, proxy user or anonymous
    /// address) at most (more: 429 `too_many_subscribers`).
    pub max_per_caller: usize,
    /// A comment line this often keeps proxies from closing idle streams.
    pub heartbeat: Duration,
}

impl Default for EventConfig {
    /// 1024 buffered, 256 backlog per client, 64 clients, 8 per caller,
    /// heartbeat 15 s.
    fn default() -> Self {
        EventConfig {
            buffer: 1024,
            client_backlog: 256,
            max_subscribers: 64,
            max_per_caller: 8,
            heartbeat: Duration::from_secs(15),
        }
    }
}

/// One event as sent.
#[derive(Debug)]
pub struct WireEvent {
    /// The global id.
    pub id: u64,
    /// `job.state_changed`, `printer.status_changed`, ...
    pub kind: &'static str,
    printer_id: Option<PrinterId>,
    job_id: Option<JobId>,
    batch_id: Option<BatchId>,
    /// The engine event it tells of (`None` for the log's own resets).
    event: Option<Event>,
    /// The JSON data line, written when the event is first needed.
    data: OnceLock<String>,
}

impl WireEvent {
    /// The JSON data line, once the event has been described.
    pub fn data(&self) -> Option<&str> {
        self.data.get().map(String::as_str)
    }

    /// The SSE frame, once the event has been described.
    fn frame(&self) -> Option<Bytes> {
        self.data().map(|data| {
            Bytes::from(format!(
                "id: {}\nevent: {}\ndata: {}\n\n",
                self.id, self.kind, data
            ))
        })
    }

    /// Writes the data line from `body` (the fields of its kind) and the
    /// envelope. A second description of the same event is dropped.
    fn describe_as(&self, mut body: Value) {
        if let Value::Object(map) = &mut body {
            map.insert("type".into(), json!(self.kind));
            map.insert("id".into(), json!(self.id));
            match &self.event {
                Some(e) => {
                    map.insert("at".into(), json!(rfc3339(e.at())));
                    map.insert("printer_id".into(), json!(e.printer_id()));
                }
                None => {
                    map.insert("at".into(), json!(rfc3339(crate::auth::now())));
                }
            }
        }
        let _ = self.data.set(body.to_string());
    }
}

/// Describes the events of `wires` not described yet, together: the views
/// of their jobs in one ask of each printer and one store read.
async fn describe_all(hub: &HubHandle, wires: &[Arc<WireEvent>]) {
    let todo: Vec<(&WireEvent, &Event)> = wires
        .iter()
        .filter(|w| w.data.get().is_none())
        .filter_map(|w| w.event.as_ref().map(|e| (w.as_ref(), e)))
        .collect();
    if todo.is_empty() {
        return;
    }
    let events: Vec<&Event> = todo.iter().map(|(_, e)| *e).collect();
    let bodies = describe_bodies(hub, &events).await;
    for ((wire, _), body) in todo.into_iter().zip(bodies) {
        wire.describe_as(body);
    }
}

struct Log {
    buffer: VecDeque<Arc<WireEvent>>,
    next_id: u64,
}

struct Shared {
    config: EventConfig,
    log: Mutex<Log>,
    live: broadcast::Sender<Arc<WireEvent>>,
    subscribers: AtomicUsize,
    /// Open streams per caller.
    per_caller: Mutex<HashMap<String, usize>>,
}

/// The event log and fan-out (cheap to clone; share it across workers).
#[derive(Clone)]
pub struct EventLog {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl EventLog {
    /// Starts the log on the current actix/tokio runtime: it follows `hub`'s
    /// events until the engine stops.
    pub fn start(hub: HubHandle, config: EventConfig) -> EventLog {
        let log = EventLog::new(config, crate::auth::now().as_millis());
        let feeder = log.clone();
        let mut events = hub.subscribe();
        actix_web::rt::spawn(async move {
            while let Some(first) = events.next().await {
                // A burst (a batch submitted, a chain printed) is taken
                // together, and described together while anyone listens.
                let mut items = vec![first];
                while items.len() < DESCRIBE_BURST {
                    match events.try_next() {
                        Some(item) => items.push(item),
                        None => break,
                    }
                }
                let listening = feeder.shared.live.receiver_count() > 0;
                let engine: Vec<&Event> = items
                    .iter()
                    .filter_map(|item| match item {
                        EventItem::Event(event) => Some(event),
                        EventItem::Missed(_) => None,
                    })
                    .collect();
                let mut bodies = if listening {
                    describe_bodies(&hub, &engine).await.into_iter()
                } else {
                    Vec::new().into_iter()
                };
                for item in items {
                    match item {
                        EventItem::Event(event) => {
                            let body = bodies.next();
                            feeder.publish(kind_of(&event), Some(event), body);
                        }
                        EventItem::Missed(n) => {
                            log::warn!("event log fell {n} engine events behind");
                            feeder.publish(
                                "stream.reset",
                                None,
                                Some(json!({ "reason": "lagged" })),
                            );
                        }
                    }
                }
            }
        });
        log
    }

    fn new(config: EventConfig, start_ms: i64) -> EventLog {
        let base = u64::try_from(start_ms).unwrap_or(0).saturating_mul(1000);
        let (live, _) = broadcast::channel(config.client_backlog.max(1));
        EventLog {
            shared: Arc::new(Shared {
                log: Mutex::new(Log {
                    buffer: VecDeque::with_capacity(config.buffer),
                    next_id: base.max(1),
                }),
                config,
                live,
                subscribers: AtomicUsize::new(0),
                per_caller: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        self.shared.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Assigns the next id, buffers and broadcasts. Never waits for readers.
    /// `body` (the fields of its kind) describes it now; without one it is
    /// described when first needed.
    fn publish(&self, kind: &'static str, event: Option<Event>, body: Option<Value>) -> u64 {
        let mut log = self.lock();
        let id = log.next_id;
        log.next_id += 1;
        let wire = Arc::new(WireEvent {
            id,
            kind,
            printer_id: event.as_ref().map(Event::printer_id),
            job_id: event.as_ref().and_then(Event::job_id),
            batch_id: event.as_ref().and_then(batch_of),
            event,
            data: OnceLock::new(),
        });
        if let Some(body) = body {
            wire.describe_as(body);
        }
        if log.buffer.len() == self.shared.config.buffer {
            log.buffer.pop_front();
        }
        if self.shared.config.buffer > 0 {
            log.buffer.push_back(Arc::clone(&wire));
        }
        // No receivers is fine: nobody is listening.
        let _ = self.shared.live.send(wire);
        id
    }

    /// The id the next event will get.
    pub fn next_id(&self) -> u64 {
        self.lock().next_id
    }

    /// Event streams open now.
    pub fn open_streams(&self) -> usize {
        self.shared.subscribers.load(Ordering::Acquire)
    }

    /// Subscribes after `last_event_id`: the buffered events to replay (or
    /// `None` when some were lost: the client must refetch) and the live
    /// receiver, taken under the same lock so nothing falls in between.
    fn subscribe(
        &self,
        last_event_id: Option<u64>,
    ) -> (
        Option<Vec<Arc<WireEvent>>>,
        broadcast::Receiver<Arc<WireEvent>>,
    ) {
        let log = self.lock();
        let rx = self.shared.live.subscribe();
        let replay = match last_event_id {
            None => Some(Vec::new()),
            Some(last) => {
                let first = log.buffer.front().map_or(log.next_id, |e| e.id);
                if last >= log.next_id || last.saturating_add(1) < first {
                    None
                } else {
                    Some(log.buffer.iter().filter(|e| e.id > last).cloned().collect())
                }
            }
        };
        (replay, rx)
    }
}

fn batch_of(event: &Event) -> Option<BatchId> {
    match event {
        Event::JobStateChanged(e) => e.batch_id,
        Event::JobProgressed(e) => e.batch_id,
        _ => None,
    }
}

/// The wire type of an engine event.
fn kind_of(event: &Event) -> &'static str {
    match event {
        Event::JobStateChanged(_) => "job.state_changed",
        Event::JobProgressed(_) => "job.progressed",
        Event::PrinterStateChanged(_) => "printer.state_changed",
        Event::PrinterStatusChanged(_) => "printer.status_changed",
        Event::MediaChanged(_) => "printer.media_changed",
    }
}

/// The bodies of `events`, in order, their jobs' views read together.
async fn describe_bodies(hub: &HubHandle, events: &[&Event]) -> Vec<Value> {
    let wanted: Vec<(PrinterId, JobId)> = events
        .iter()
        .filter_map(|event| match event {
            Event::JobStateChanged(e) => Some((e.printer_id, e.job_id)),
            _ => None,
        })
        .collect();
    let jobs = if wanted.is_empty() {
        HashMap::new()
    } else {
        hub.jobs_metadata(&wanted).await
    };
    let mut bodies = Vec::with_capacity(events.len());
    for event in events {
        bodies.push(describe(hub, event, &jobs).await);
    }
    bodies
}

/// The data fields of an engine event of its [`kind_of`] (the envelope
/// fields are added by [`WireEvent::describe_as`]).
async fn describe(hub: &HubHandle, event: &Event, jobs: &HashMap<JobId, Job>) -> Value {
    match event {
        Event::JobStateChanged(e) => {
            // Shared by every subscriber: without who submitted it (the job
            // route shows that to admins and the submitter).
            let job = jobs
                .get(&e.job_id)
                .cloned()
                .map(|j| JobView::from(j).without_submitter());
            json!({
                "job_id": e.job_id,
                "batch_id": e.batch_id,
                "from": e.from.map(|s| s.as_str()),
                "to": e.to.as_str(),
                "job": job,
            })
        }
        Event::JobProgressed(e) => json!({
            "job_id": e.job_id,
            "batch_id": e.batch_id,
            "copies_printed": e.copies_printed,
            "copies": e.copies,
        }),
        Event::PrinterStateChanged(e) => {
            let printer = hub
                .printer(&e.printer_id.to_string())
                .await
                .ok()
                .map(PrinterView::from);
            json!({
                "from": e.from.name(),
                "to": e.to.name(),
                "reason": e.to.reason(),
                "printer": printer,
            })
        }
        Event::PrinterStatusChanged(e) => {
            let status = hub
                .printer(&e.printer_id.to_string())
                .await
                .ok()
                .map(|info| StatusView::from(&info));
            json!({ "status": status })
        }
        Event::MediaChanged(e) => json!({ "from": e.from, "to": e.to }),
    }
}

/// `GET /api/events` query.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Only this printer (id or slug).
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::PrinterKey>")]
    pub printer: Option<String>,
    /// Only this job.
    #[serde(default)]
    #[schemars(with = "Option<uuid::Uuid>")]
    pub job: Option<String>,
    /// Only this batch.
    #[serde(default)]
    #[schemars(with = "Option<uuid::Uuid>")]
    pub batch: Option<String>,
    /// Replay after this id (for clients that cannot set `Last-Event-ID`).
    #[serde(default)]
    pub last_event_id: Option<u64>,
    /// Label Printer Hub's name for `printer` (not both).
    #[serde(default)]
    #[schemars(with = "Option<uuid::Uuid>")]
    pub printer_id: Option<String>,
}

/// Which events a client gets.
#[derive(Debug, Clone)]
struct Filter {
    printer: Option<PrinterId>,
    job: Option<JobId>,
    batch: Option<BatchId>,
    allowed: Option<Arc<[PrinterId]>>,
}

impl Filter {
    fn admits(&self, e: &WireEvent) -> bool {
        let Some(printer) = e.printer_id else {
            return true; // resets go to everyone
        };
        self.allowed.as_ref().is_none_or(|a| a.contains(&printer))
            && self.printer.is_none_or(|p| p == printer)
            && self.job.is_none_or(|j| e.job_id == Some(j))
            && self.batch.is_none_or(|b| e.batch_id == Some(b))
    }
}

/// Holds one subscriber slot, and one of its caller's; frees both when the
/// stream is dropped.
struct Slot {
    shared: Arc<Shared>,
    caller: Option<String>,
}

impl Slot {
    fn per_caller(shared: &Shared) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        shared.per_caller.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for `caller`, or why there is none (429 `too_many_subscribers`).
    fn take(shared: &Arc<Shared>, caller: String) -> Result<Slot, ApiError> {
        let taken = shared.subscribers.fetch_add(1, Ordering::AcqRel);
        let mut slot = Slot {
            shared: Arc::clone(shared),
            caller: None,
        };
        let config = &shared.config;
        if taken >= config.max_subscribers {
            return Err(ApiError::new(
                ErrorCode::TooManySubscribers,
                format!(
                    "{} event streams are open, the most this server allows",
                    config.max_subscribers
                ),
            )
            .with_detail(json!({ "limit": config.max_subscribers }))
            .retry_after(5));
        }
        let mut per_caller = Slot::per_caller(shared);
        let mine = per_caller.entry(caller.clone()).or_insert(0);
        if *mine >= config.max_per_caller {
            return Err(ApiError::new(
                ErrorCode::TooManySubscribers,
                format!(
                    "this caller has {} event streams open, the most one caller may have",
                    config.max_per_caller
                ),
            )
            .with_detail(json!({ "per_caller": config.max_per_caller }))
            .retry_after(5));
        }
        *mine += 1;
        slot.caller = Some(caller);
        Ok(slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(caller) = &self.caller {
            let mut per_caller = Slot::per_caller(&self.shared);
            if let Some(n) = per_caller.get_mut(caller) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    per_caller.remove(caller);
                }
            }
        }
        self.shared.subscribers.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The key a stream was opened with, checked again while it runs.
struct KeyGuard {
    auth: Auth,
    id: String,
}

struct Client {
    /// Describes what reaches the stream undescribed (replays, races).
    hub: HubHandle,
    replay: VecDeque<Arc<WireEvent>>,
    rx: broadcast::Receiver<Arc<WireEvent>>,
    filter: Filter,
    heartbeat: tokio::time::Interval,
    pending: VecDeque<Bytes>,
    done: bool,
    /// `None` for callers without a key (anonymous, proxy): nothing to revoke.
    key: Option<KeyGuard>,
    /// The id of the last event sent.
    last_sent: Option<u64>,
    _slot: Slot,
}

impl Client {
    /// Whether the caller's key stopped working; if so the final reset is
    /// queued and the stream ends after it.
    fn key_refused(&mut self) -> bool {
        let Some(key) = &self.key else {
            return false;
        };
        let Some(why) = key.auth.key_refusal(&key.id) else {
            return false;
        };
        log::info!(
            "ending an event stream: its key {} was {}",
            key.id,
            why.as_str()
        );
        self.pending
            .push_back(reset_frame(0, why.as_str(), self.last_sent));
        self.done = true;
        true
    }

    /// The event's frame, unless the key stopped working first. The event
    /// must have been described ([`describe_all`]).
    fn frame_of(&mut self, e: &WireEvent) -> Option<Bytes> {
        if self.key_refused() {
            return None;
        }
        let Some(frame) = e.frame() else {
            log::error!("event {} reached a stream undescribed; skipped", e.id);
            return None;
        };
        self.last_sent = Some(e.id);
        Some(frame)
    }

    /// Describes the replay's next events this client will be sent, up to
    /// a burst, together (they were logged while nobody listened).
    async fn describe_replay(&self) {
        let chunk: Vec<Arc<WireEvent>> = self
            .replay
            .iter()
            .filter(|e| self.filter.admits(e) && e.data().is_none())
            .take(DESCRIBE_BURST)
            .cloned()
            .collect();
        describe_all(&self.hub, &chunk).await;
    }
}

fn reset_frame(id: u64, reason: &str, last: Option<u64>) -> Bytes {
    let data = json!({
        "type": "stream.reset",
        "id": id,
        "reason": reason,
        "last_event_id": last,
        "at": rfc3339(crate::auth::now()),
    });
    Bytes::from(format!("event: stream.reset\ndata: {data}\n\n"))
}

async fn next_frame(mut c: Client) -> Option<(Result<Bytes, actix_web::Error>, Client)> {
    loop {
        if let Some(frame) = c.pending.pop_front() {
            return Some((Ok(frame), c));
        }
        if c.done {
            return None;
        }
        if c.replay
            .front()
            .is_some_and(|e| e.data().is_none() && c.filter.admits(e))
        {
            c.describe_replay().await;
        }
        if let Some(e) = c.replay.pop_front() {
            if c.filter.admits(&e) {
                if let Some(frame) = c.frame_of(&e) {
                    return Some((Ok(frame), c));
                }
            }
            continue;
        }
        tokio::select! {
            received = c.rx.recv() => match received {
                Ok(e) => {
                    if c.filter.admits(&e) {
                        describe_all(&c.hub, std::slice::from_ref(&e)).await;
                        if let Some(frame) = c.frame_of(&e) {
                            return Some((Ok(frame), c));
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    log::info!("dropping an SSE client {n} events behind");
                    c.pending.push_back(reset_frame(0, "lagged", None));
                    c.done = true;
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            },
            _ = c.heartbeat.tick() => {
                if !c.key_refused() {
                    return Some((Ok(Bytes::from_static(b": heartbeat\n\n")), c));
                }
            }
        }
    }
}

fn last_event_id(req: &HttpRequest, query: &EventsQuery) -> Result<Option<u64>, ApiError> {
    match req.headers().get("last-event-id") {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| ApiError::invalid("Last-Event-ID must be an event id (a number)")),
        None => Ok(query.last_event_id),
    }
}

pub(crate) async fn stream(
    req: HttpRequest,
    hub: web::Data<HubHandle>,
    events: Option<web::Data<EventLog>>,
    auth: Option<web::Data<Auth>>,
    caller: Caller,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let events = events.ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unavailable,
            "live events are not enabled on this server",
        )
    })?;
    let query = query.into_inner();
    let last = last_event_id(&req, &query)?;
    let printer = match crate::dto::one_of(
        "printer",
        query.printer.as_ref(),
        "printer_id",
        query.printer_id.as_ref(),
    )? {
        Some(key) => {
            let info = hub.printer(key).await?;
            caller.check_printer(info.id)?;
            Some(info.id)
        }
        None => None,
    };
    let job = match &query.job {
        Some(raw) => {
            let id = raw
                .parse::<uuid::Uuid>()
                .map(JobId::from_uuid)
                .map_err(|e| ApiError::invalid(format!("invalid job id {raw:?}: {e}")))?;
            let job = hub.job_metadata(id).await?;
            caller.check_printer(job.spec.printer_id)?;
            Some(id)
        }
        None => None,
    };
    let batch = match &query.batch {
        Some(raw) => Some(
            raw.parse::<uuid::Uuid>()
                .map(BatchId::from_uuid)
                .map_err(|e| ApiError::invalid(format!("invalid batch id {raw:?}: {e}")))?,
        ),
        None => None,
    };
    let shared = Arc::clone(&events.shared);
    let who = match &caller.identity {
        Identity::Anonymous => format!("anonymous:{}", caller.source.as_deref().unwrap_or("?")),
        _ => caller.actor(),
    };
    let slot = Slot::take(&shared, who)?;
    let (replay, rx) = events.subscribe(last);
    let mut pending = VecDeque::new();
    pending.push_back(Bytes::from_static(b"retry: 2000\n\n"));
    let replay = match replay {
        Some(events) => events.into(),
        None => {
            pending.push_back(reset_frame(0, "gap", last));
            VecDeque::new()
        }
    };
    let period = shared.config.heartbeat;
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let client = Client {
        hub: hub.get_ref().clone(),
        replay,
        rx,
        filter: Filter {
            printer,
            job,
            batch,
            allowed: caller.printers.clone(),
        },
        heartbeat,
        pending,
        done: false,
        key: match (&caller.identity, auth) {
            (Identity::Key { id, .. }, Some(auth)) => Some(KeyGuard {
                auth: auth.get_ref().clone(),
                id: id.clone(),
            }),
            _ => None,
        },
        last_sent: None,
        _slot: slot,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream::unfold(client, next_frame)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(buffer: usize) -> EventLog {
        EventLog::new(
            EventConfig {
                buffer,
                ..EventConfig::default()
            },
            1_000,
        )
    }

    #[test]
    fn ids_grow_from_the_start_time_and_replay_follows_them() {
        let log = log(3);
        let first = log.publish("stream.reset", None, Some(json!({})));
        assert_eq!(first, 1_000_000);
        for _ in 0..3 {
            log.publish("stream.reset", None, Some(json!({})));
        }
        // Buffer holds ids 1_000_001..=1_000_003.
        let (replay, _) = log.subscribe(Some(1_000_001));
        let ids: Vec<u64> = replay.expect("replayable").iter().map(|e| e.id).collect();
        assert_eq!(ids, [1_000_002, 1_000_003]);
        let (replay, _) = log.subscribe(Some(1_000_000));
        assert_eq!(replay.expect("just in range").len(), 3);
        let (replay, _) = log.subscribe(Some(1_000_003));
        assert_eq!(replay.expect("up to date").len(), 0);
    }

    #[test]
    fn a_gap_older_than_the_buffer_or_from_another_run_is_reported() {
        let log = log(2);
        for _ in 0..5 {
            log.publish("stream.reset", None, Some(json!({})));
        }
        assert!(log.subscribe(Some(1_000_001)).0.is_none(), "fell out");
        assert!(log.subscribe(Some(999_999)).0.is_none(), "an earlier run");
        assert!(log.subscribe(Some(5_000_000)).0.is_none(), "the future");
        assert!(log.subscribe(None).0.is_some_and(|r| r.is_empty()));
    }

    #[test]
    fn an_event_published_without_a_body_waits_undescribed() {
        let log = log(4);
        let event = Event::MediaChanged(printhub_core::MediaChanged {
            printer_id: PrinterId::from_u128(7),
            from: None,
            to: None,
            at: printhub_core::Timestamp::from_millis(1_700_000_000_000),
        });
        let id = log.publish("printer.media_changed", Some(event), None);
        let (replay, _) = log.subscribe(Some(id - 1));
        let wire = Arc::clone(&replay.expect("replay")[0]);
        assert!(wire.data().is_none() && wire.frame().is_none());
        wire.describe_as(json!({ "from": null, "to": null }));
        let data: Value = serde_json::from_str(wire.data().expect("described")).expect("json");
        assert_eq!(data["type"], "printer.media_changed");
        assert_eq!(data["id"], id);
        assert_eq!(data["printer_id"], PrinterId::from_u128(7).to_string());
        assert_eq!(data["at"], "2023-11-14T22:13:20.000Z");
        // Described once: a second description (a racing stream) is dropped.
        wire.describe_as(json!({ "from": "x" }));
        let again: Value = serde_json::from_str(wire.data().expect("kept")).expect("json");
        assert_eq!(again, data);
    }

    #[actix::test]
    async fn a_live_event_that_arrives_undescribed_is_described_by_its_stream() {
        // The feeder describes a burst only while someone listens; a stream
        // that subscribes between that check and the publish receives the
        // burst undescribed, and describes it itself, with the job's view
        // read from the engine. The race is staged here by publishing an
        // event without a body after the stream subscribed.
        use printhub_actors::{
            Hub, HubConfig, MemoryStore, MemoryTransport, PrintRequest, PrinterConfig,
            TransportFactory,
        };
        let factory: TransportFactory =
            std::rc::Rc::new(|_| Ok(Box::new(MemoryTransport::default())));
        let hub = Hub::start_with(
            HubConfig::default(),
            Arc::new(MemoryStore::default()),
            factory,
        );
        hub.add_printer(PrinterConfig {
            id: None,
            slug: "pt".into(),
            name: "Test pt".into(),
            model: "PT-P750W".into(),
            media: "tze-12".into(),
            address: "127.0.0.1:9".into(),
            enabled: true,
            snmp: None,
            snmp_community: None,
            paused: true,
            defaults: Default::default(),
        })
        .await
        .expect("printer added");
        let label =
            printhub_raster::Label::black(printhub_raster::Bitmap::from_fn(70, 40, |x, _| x == 3));
        let job = hub
            .submit("pt", PrintRequest::new(label))
            .await
            .expect("queued");

        let log = log(8);
        let slot = Slot::take(&log.shared, "test".into()).expect("a slot");
        let (replay, rx) = log.subscribe(None);
        let event = Event::JobStateChanged(printhub_core::JobStateChanged {
            job_id: job.id,
            printer_id: job.spec.printer_id,
            batch_id: None,
            from: None,
            to: printhub_core::JobState::Queued,
            at: job.created_at,
        });
        let id = log.publish(kind_of(&event), Some(event), None);
        let client = Client {
            hub: hub.clone(),
            replay: replay.expect("from now").into(),
            rx,
            filter: Filter {
                printer: None,
                job: None,
                batch: None,
                allowed: None,
            },
            heartbeat: tokio::time::interval_at(
                tokio::time::Instant::now() + Duration::from_secs(600),
                Duration::from_secs(600),
            ),
            pending: VecDeque::new(),
            done: false,
            key: None,
            last_sent: None,
            _slot: slot,
        };
        // An event left undescribed would be skipped and the stream would
        // wait on: the deadline turns that into a failure.
        let (frame, client) = tokio::time::timeout(Duration::from_secs(10), next_frame(client))
            .await
            .expect("the event is sent, not skipped")
            .expect("a frame");
        let frame = String::from_utf8(frame.expect("sent").to_vec()).expect("utf8");
        assert!(frame.starts_with(&format!("id: {id}\nevent: job.state_changed\n")));
        let data = frame
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .expect("a data line");
        let data: Value = serde_json::from_str(data).expect("json");
        assert_eq!(data["id"], id);
        assert_eq!(data["to"], "queued");
        assert_eq!(data["job"]["id"], job.id.to_string());
        assert_eq!(client.last_sent, Some(id));
    }

    #[test]
    fn the_envelope_carries_type_id_and_time() {
        let log = log(4);
        let id = log.publish("stream.reset", None, Some(json!({ "reason": "lagged" })));
        let (replay, _) = log.subscribe(Some(id - 1));
        let event = &replay.expect("replay")[0];
        let data: Value = serde_json::from_str(event.data().expect("described")).expect("json");
        assert_eq!(data["type"], "stream.reset");
        assert_eq!(data["id"], id);
        assert_eq!(data["reason"], "lagged");
        assert!(data["at"].as_str().is_some_and(|s| s.ends_with('Z')));
        let frame = String::from_utf8(event.frame().expect("frame").to_vec()).expect("utf8");
        assert!(frame.starts_with(&format!("id: {id}\nevent: stream.reset\ndata: {{")));
        assert!(frame.ends_with("\n\n"));
    }
}
