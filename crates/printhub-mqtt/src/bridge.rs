//! The I/O of the MQTT edge: [`Mqtt::start`] spawns two tasks on the
//! current tokio runtime (an actix system is one).
//!
//! - The **connection task** owns the event loop (rumqttc's, for MQTT 3.1.1
//!   or 5: see `client`): it polls it,
//!   forwards connections, disconnections and received messages to the
//!   bridge, and after a failure waits (exponential backoff from 250 ms to
//!   `reconnect_max`) before polling again, which reconnects.
//! - The **bridge task** owns the [`Model`]. It follows the engine's events,
//!   re-reads the printers when they changed (at most every
//!   [`REFRESH_EVERY`]), publishes what changed while connected, subscribes
//!   to the command topics at every connection, and hands each command to
//!   a short-lived task (at most [`MAX_COMMANDS_AT_ONCE`] run at once) that
//!   parses, checks, renders (in `spawn_blocking`) and submits, then sends
//!   its answer back to be published (to the command's MQTT 5 response
//!   topic when it has one, with its correlation data).
//!
//! Publishing uses `try_publish` on rumqttc's bounded request channel:
//! nothing here ever waits for the broker. A publish that cannot be queued
//! makes the model send everything again later. Answers produced while
//! disconnected wait (at most [`MAX_PENDING_ANSWERS`]) for the next connection.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use printhub_actors::{EventItem, HubError, HubHandle, JobFilter, PrintRequest, PrinterInfo};
use printhub_core::Timestamp;
use printhub_raster::{Media, Model as PrinterModel};
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::JoinHandle;

use crate::client::{self, AnswerMessage, Client, EventLoop, PollError, Polled};
use crate::command::{self, Answer, Problem, ReplyTo};
use crate::config::{MqttConfig, Scope};
use crate::metrics::MqttMetrics;
use crate::state::{Model, ModelConfig, Publish};
use crate::topics::{Button, Incoming, Topics};
use crate::MqttError;

/// How often the bridge looks whether printers need re-reading and
/// something needs publishing; events in between are coalesced.
pub const REFRESH_EVERY: Duration = Duration::from_millis(200);

/// Everything is re-published at least this often (the jobs-today counter
/// starts again at midnight UTC, with or without events).
const FULL_CHECK_EVERY: Duration = Duration::from_secs(60);

/// Commands rendered and submitted at the same time; more wait their turn.
pub const MAX_COMMANDS_AT_ONCE: usize = 4;

/// Answers kept while disconnected.
pub const MAX_PENDING_ANSWERS: usize = 256;

/// rumqttc's request channel (publishes waiting for the connection task).
const REQUEST_CAPACITY: usize = 4096;

/// The first wait before a reconnect.
const BACKOFF_INITIAL: Duration = Duration::from_millis(250);

/// Starts the MQTT edge.
#[derive(Debug)]
pub struct Mqtt;

/// A running MQTT edge; [`MqttHandle::shutdown`] says goodbye to the broker.
#[derive(Debug)]
pub struct MqttHandle {
    stop: Option<oneshot::Sender<()>>,
    bridge: JoinHandle<()>,
    connection: JoinHandle<()>,
}

/// What the connection task tells the bridge.
#[derive(Debug)]
enum Link {
    Connected,
    Disconnected {
        why: String,
        refused: bool,
    },
    Message {
        topic: String,
        payload: Vec<u8>,
        reply: ReplyTo,
    },
    Closed,
}

impl Mqtt {
    /// Connects to the broker in `config` and serves `hub` on it until
    /// [`MqttHandle::shutdown`]. Reading the CA file is the only thing that
    /// can fail here; the broker being down is not an error (it is retried).
    pub fn start(
        config: MqttConfig,
        hub: HubHandle,
        metrics: MqttMetrics,
    ) -> Result<MqttHandle, MqttError> {
        let topics = Topics::new(&config.base_topic, &config.discovery_prefix);
        let tls = if config.broker.tls {
            Some(tls_config(&config)?)
        } else {
            None
        };
        let (client, eventloop) =
            client::connect(&config, &topics.availability(), tls, REQUEST_CAPACITY);
        let (links_tx, links_rx) = mpsc::channel(256);
        let closing = Arc::new(AtomicBool::new(false));
        let connection = tokio::spawn(connection_task(
            eventloop,
            Arc::clone(&closing),
            links_tx,
            config.reconnect_max,
            format!("{}:{}", config.broker.host, config.broker.port),
        ));
        let (stop_tx, stop_rx) = oneshot::channel();
        let bridge = Bridge {
            model: Model::new(ModelConfig {
                topics: topics.clone(),
                version: config.version.clone(),
                public_url: config.public_url.clone(),
                buttons: config.scope == Scope::Print,
                printers: config.printers.clone(),
            }),
            ctx: Arc::new(Ctx {
                config,
                topics,
                hub,
                metrics,
                permits: Semaphore::new(MAX_COMMANDS_AT_ONCE),
            }),
            client,
            connected: false,
            pending_answers: VecDeque::new(),
            closing,
        };
        let bridge = tokio::spawn(bridge.run(links_rx, stop_rx));
        Ok(MqttHandle {
            stop: Some(stop_tx),
            bridge,
            connection,
        })
    }
}

impl MqttHandle {
    /// Publishes `offline` on the availability topic (while connected),
    /// disconnects cleanly and waits (at most 3 s) for both tasks.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let wait = async {
            let _ = (&mut self.bridge).await;
            let _ = (&mut self.connection).await;
        };
        if tokio::time::timeout(Duration::from_secs(3), wait)
            .await
            .is_err()
        {
            log::warn!("mqtt: the broker did not take the goodbye in time");
        }
        self.bridge.abort();
        self.connection.abort();
    }
}

impl Drop for MqttHandle {
    fn drop(&mut self) {
        // Dropped without shutdown (a test, a failed start): the broker
        // publishes the last will when the connection goes.
        self.bridge.abort();
        self.connection.abort();
    }
}

/// rustls with the ring provider (the workspace's), trusting the CA file's
/// certificates or else the webpki roots.
fn tls_config(config: &MqttConfig) -> Result<Arc<rustls::ClientConfig>, MqttError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    match &config.ca_file {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| {
                MqttError::Tls(format!("cannot read ca_file {}: {e}", path.display()))
            })?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert =
                    cert.map_err(|e| MqttError::Tls(format!("ca_file {}: {e}", path.display())))?;
                roots
                    .add(cert)
                    .map_err(|e| MqttError::Tls(format!("ca_file {}: {e}", path.display())))?;
            }
            if roots.is_empty() {
                return Err(MqttError::Tls(format!(
                    "ca_file {} holds no PEM certificate",
                    path.display()
                )));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| MqttError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(tls))
}

/// Polls the event loop for ever, reconnecting with backoff after failures.
async fn connection_task(
    mut eventloop: EventLoop,
    closing: Arc<AtomicBool>,
    links: mpsc::Sender<Link>,
    max: Duration,
    broker: String,
) {
    let mut wait = BACKOFF_INITIAL.min(max);
    loop {
        let link = match eventloop.poll().await {
            Ok(Polled::Connected) => {
                wait = BACKOFF_INITIAL.min(max);
                Some(Link::Connected)
            }
            Ok(Polled::Message {
                topic,
                payload,
                reply,
            }) => Some(Link::Message {
                topic,
                payload,
                reply,
            }),
            Ok(Polled::Closed) if closing.load(Ordering::Acquire) => {
                let _ = links.send(Link::Closed).await;
                return;
            }
            // rumqttc said goodbye by itself (an MQTT 5 protocol error):
            // the broker closes the connection and the next poll reconnects.
            Ok(Polled::Closed) => {
                log::warn!("mqtt: the client closed the connection to {broker}; reconnecting");
                None
            }
            Ok(Polled::Other) => None,
            Err(PollError { text, refused }) => {
                let link = Link::Disconnected {
                    why: format!("{broker}: {text}"),
                    refused,
                };
                if links.send(link).await.is_err() {
                    return;
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(max);
                None
            }
        };
        if let Some(link) = link {
            if links.send(link).await.is_err() {
                return;
            }
        }
    }
}

/// What command tasks share.
#[derive(Debug)]
struct Ctx {
    config: MqttConfig,
    topics: Topics,
    hub: HubHandle,
    metrics: MqttMetrics,
    permits: Semaphore,
}

struct Bridge {
    model: Model,
    ctx: Arc<Ctx>,
    client: Client,
    connected: bool,
    pending_answers: VecDeque<AnswerMessage>,
    /// Set before the goodbye: the connection task ends when it went out.
    closing: Arc<AtomicBool>,
}

fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_millis(ms)
}

impl Bridge {
    async fn run(mut self, mut links: mpsc::Receiver<Link>, mut stop: oneshot::Receiver<()>) {
        let mut events = self.ctx.hub.subscribe();
        self.seed().await;
        let (answers_tx, mut answers) = mpsc::channel::<AnswerMessage>(64);
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_full = tokio::time::Instant::now();
        let mut changed = true;
        loop {
            tokio::select! {
                _ = &mut stop => break,
                link = links.recv() => match link {
                    Some(Link::Connected) => {
                        self.on_connected();
                        changed = true;
                    }
                    Some(Link::Disconnected { why, refused }) => {
                        if self.connected {
                            log::warn!("mqtt: disconnected from {why}; reconnecting");
                        } else if refused {
                            log::warn!(
                                "mqtt: {why} (MQTT {}); trying again",
                                self.ctx.config.protocol.as_str()
                            );
                        } else {
                            log::debug!("mqtt: cannot connect to {why}");
                        }
                        self.connected = false;
                        self.ctx.metrics.set_connected(false);
                    }
                    Some(Link::Message { topic, payload, reply }) => {
                        if self.on_message(&topic, payload, reply, &answers_tx) {
                            changed = true;
                        }
                    }
                    Some(Link::Closed) | None => break,
                },
                item = events.next() => match item {
                    Some(EventItem::Event(event)) => self.model.handle_event(&event),
                    Some(EventItem::Missed(n)) => {
                        log::warn!("mqtt: fell {n} engine events behind; re-reading the printers");
                        self.model.handle_missed();
                    }
                    None => break,
                },
                Some(answer) = answers.recv() => self.answer(answer),
                _ = tick.tick() => {
                    if self.model.needs_refresh() {
                        match self.ctx.hub.list_printers().await {
                            Ok(printers) => {
                                self.model.handle_printers(&printers);
                                changed = true;
                            }
                            Err(e) => log::warn!("mqtt: cannot list the printers: {e}"),
                        }
                    }
                    if last_full.elapsed() >= FULL_CHECK_EVERY {
                        last_full = tokio::time::Instant::now();
                        changed = true;
                    }
                    if changed && self.connected {
                        // A publish that could not be queued is tried again next tick.
                        changed = !self.flush();
                    }
                }
            }
        }
        self.goodbye();
    }

    /// The jobs created today and each printer's newest job, before events count.
    async fn seed(&mut self) {
        let now = now();
        let midnight =
            Timestamp::from_millis(now.as_millis() - now.as_millis().rem_euclid(86_400_000));
        match self
            .ctx
            .hub
            .page_jobs(JobFilter {
                since: Some(midnight),
                // Only the count is wanted: the store answers it with the page.
                limit: 1,
                ..JobFilter::default()
            })
            .await
        {
            Ok(page) => self.model.seed_jobs_today(page.total, now),
            Err(e) => log::warn!("mqtt: cannot count today's jobs: {e}"),
        }
        if let Ok(printers) = self.ctx.hub.list_printers().await {
            for p in &printers {
                let newest = self
                    .ctx
                    .hub
                    .list_jobs(JobFilter {
                        printer: Some(p.id.to_string()),
                        limit: 1,
                        ..JobFilter::default()
                    })
                    .await;
                if let Some(job) = newest.ok().and_then(|j| j.into_iter().next()) {
                    self.model.seed_last_job(p.id, job.state);
                }
            }
            self.model.handle_printers(&printers);
        }
    }

    fn on_connected(&mut self) {
        log::info!(
            "mqtt: connected to {}:{} as {} (MQTT {})",
            self.ctx.config.broker.host,
            self.ctx.config.broker.port,
            self.ctx.config.client_id,
            self.ctx.config.protocol.as_str()
        );
        self.connected = true;
        self.ctx.metrics.set_connected(true);
        let commands = self.ctx.config.scope == Scope::Print;
        for filter in self.ctx.topics.subscriptions(commands) {
            if let Err(e) = self.client.try_subscribe(&filter) {
                log::warn!("mqtt: cannot subscribe to {filter}: {e}");
            }
        }
        self.model.handle_connected();
        while let Some(answer) = self.pending_answers.pop_front() {
            self.send_answer(&answer);
        }
    }

    /// Handles a received message; true when everything should be re-sent.
    fn on_message(
        &mut self,
        topic: &str,
        payload: Vec<u8>,
        reply: ReplyTo,
        answers: &mpsc::Sender<AnswerMessage>,
    ) -> bool {
        match self.ctx.topics.parse(topic) {
            Some(Incoming::HaStatus) if payload == b"online" => {
                log::info!("mqtt: Home Assistant started; publishing discovery again");
                self.model.handle_connected();
                return true;
            }
            Some(Incoming::HaStatus) => {}
            Some(Incoming::Print(slug)) => {
                let ctx = Arc::clone(&self.ctx);
                let answers = answers.clone();
                tokio::spawn(async move {
                    let (answer_topic, answer) = {
                        let _permit = ctx.permits.acquire().await;
                        print(&ctx, &slug, &payload, &reply).await
                    };
                    let ok = matches!(answer, Answer::Queued { .. });
                    ctx.metrics.command("print", ok);
                    match &answer {
                        Answer::Queued { job_id, .. } => {
                            log::info!("mqtt: print command for {slug} queued as job {job_id}")
                        }
                        Answer::Refused { problem, .. } => log::info!(
                            "mqtt: print command for {slug} refused: {} ({})",
                            problem.code,
                            problem.detail
                        ),
                    }
                    let _ = answers
                        .send(AnswerMessage {
                            topic: answer_topic,
                            payload: answer.to_json(),
                            correlation_data: reply.correlation_data,
                        })
                        .await;
                });
            }
            Some(Incoming::Press(slug, button)) => {
                let ctx = Arc::clone(&self.ctx);
                tokio::spawn(async move {
                    let outcome = press(&ctx, &slug, button).await;
                    ctx.metrics.command(button.key(), outcome.is_ok());
                    match outcome {
                        Ok(state) => log::info!("mqtt: {} {slug}: now {state}", button.key()),
                        Err(p) => log::info!(
                            "mqtt: {} {slug} refused: {} ({})",
                            button.key(),
                            p.code,
                            p.detail
                        ),
                    }
                });
            }
            None => {}
        }
        false
    }

    fn answer(&mut self, answer: AnswerMessage) {
        if self.connected {
            self.send_answer(&answer);
        } else {
            if self.pending_answers.len() >= MAX_PENDING_ANSWERS {
                self.pending_answers.pop_front();
            }
            self.pending_answers.push_back(answer);
        }
    }

    /// Queues an answer (QoS 1, not retained).
    fn send_answer(&self, answer: &AnswerMessage) {
        if let Err(e) = self.client.try_publish_answer(answer) {
            log::warn!("mqtt: cannot queue the answer on {}: {e}", answer.topic);
        }
    }

    /// Publishes what changed; false when rumqttc's channel was full (the
    /// model then sends everything again next time).
    fn flush(&mut self) -> bool {
        for Publish {
            topic,
            payload,
            retain,
        } in self.model.poll_publish(now())
        {
            if !self.send(&topic, payload, retain) {
                self.model.handle_send_failed();
                return false;
            }
        }
        true
    }

    /// Queues one publish (QoS 1); false when rumqttc's channel is full.
    fn send(&self, topic: &str, payload: String, retain: bool) -> bool {
        match self.client.try_publish(topic, payload, retain) {
            Ok(()) => true,
            Err(e) => {
                log::warn!("mqtt: cannot queue a publish to {topic}: {e}");
                false
            }
        }
    }

    /// `offline` on the availability topic and a clean disconnect.
    fn goodbye(&mut self) {
        if self.connected {
            self.send(&self.ctx.topics.availability(), "offline".into(), true);
        }
        self.closing.store(true, Ordering::Release);
        if let Err(e) = self.client.try_disconnect() {
            log::debug!("mqtt: disconnect: {e}");
        }
        self.ctx.metrics.set_connected(false);
    }
}

fn hub_problem(e: &HubError) -> Problem {
    Problem::new(e.code(), e.to_string())
}

/// The printer a command names, if the scope and the allow-list let MQTT
/// command it.
async fn commandable(ctx: &Ctx, slug: &str) -> Result<PrinterInfo, Problem> {
    if ctx.config.scope != Scope::Print {
        return Err(Problem::new(
            "insufficient_scope",
            "mqtt.scope is read: commands are not accepted",
        ));
    }
    let not_allowed = || {
        Problem::new(
            "printer_not_allowed",
            format!("printer {slug:?} is not in mqtt.printers"),
        )
    };
    let info = ctx.hub.printer(slug).await.map_err(|e| hub_problem(&e))?;
    if !ctx.config.allows(&info.slug, &info.id.to_string()) {
        return Err(not_allowed());
    }
    Ok(info)
}

/// Parses, checks, renders and submits one print command; where its answer
/// goes, and the answer. A response topic that is refused refuses the
/// command before anything else is looked at.
async fn print(ctx: &Ctx, slug: &str, payload: &[u8], reply: &ReplyTo) -> (String, Answer) {
    let request_id = command::request_id_of(payload);
    let (topic, outcome) = match command::answer_topic(&ctx.topics, slug, reply) {
        Ok(topic) => (topic, print_inner(ctx, slug, payload).await),
        Err(problem) => (ctx.topics.print_result(slug), Err(problem)),
    };
    let answer = match outcome {
        Ok(job) => Answer::Queued {
            request_id,
            job_id: job.id,
            state: job.state.as_str().to_string(),
        },
        Err(problem) => Answer::Refused {
            request_id,
            problem,
        },
    };
    (topic, answer)
}

async fn print_inner(ctx: &Ctx, slug: &str, payload: &[u8]) -> Result<printhub_core::Job, Problem> {
    let info = commandable(ctx, slug).await?;
    let cmd = command::parse_print(payload)?;
    let model = PrinterModel::by_name(&info.model)
        .ok_or_else(|| Problem::new("invalid_request", format!("unknown model {}", info.model)))?;
    let layout = info.layout_media.as_deref().ok_or_else(|| {
        Problem::new(
            "media_unknown",
            format!(
                "printer {:?} has not reported the medium it holds yet",
                info.slug
            ),
        )
    })?;
    let media = Media::by_id(layout)
        .ok_or_else(|| Problem::new("unsupported_media", format!("unknown media {layout}")))?;
    let render = cmd.render.clone();
    let label = tokio::task::spawn_blocking(move || printhub_render::render(&render, model, media))
        .await
        .map_err(|e| Problem::new("unavailable", format!("the renderer failed: {e}")))?
        .map_err(|e| Problem::new(e.code(), e.to_string()))?;
    let mut request = PrintRequest::new(label)
        .copies(cmd.copies)
        .with_defaults(cmd.options);
    request.content_type = cmd.content_type;
    request.template = cmd.template;
    request.source = Some(cmd.render);
    request.submitted_by = Some(ctx.config.submitted_by());
    ctx.hub
        .submit(&info.id.to_string(), request)
        .await
        .map_err(|e| hub_problem(&e))
}

/// Presses a button; the printer's new state name.
async fn press(ctx: &Ctx, slug: &str, button: Button) -> Result<&'static str, Problem> {
    let info = commandable(ctx, slug).await?;
    let key = info.id.to_string();
    let after = match button {
        Button::Pause => ctx.hub.pause_printer(&key).await,
        Button::Resume => ctx.hub.resume_printer(&key).await,
    }
    .map_err(|e| hub_problem(&e))?;
    Ok(after.state.name())
}
