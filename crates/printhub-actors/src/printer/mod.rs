//! The printer actor: one per printer. It owns the printer's
//! `PrinterMachine` (queue + job state machine) and its [`Transport`], turns
//! the machine's actions into effects, and feeds the results back in.
//!
//! Threading: it runs on the supervisor's arbiter. Every send and status
//! probe is a spawned future (`ctx.spawn`) that reports back through a
//! closure; no handler awaits I/O, so the mailbox keeps answering while a
//! label prints. Timers (`WakeAt`) are `ctx.run_later`.
//!
//! The printer link's policy (preflight freshness and media, probe cadence,
//! the stream built ahead, the printer's status) is `printhub_core::Link`,
//! a sans-io state machine beside the `PrinterMachine`; `link` drives it
//! (probes, builds, writes, timers) and `stream` turns a chain's rasters
//! into one byte stream. The actor keeps only what is its own: the store
//! commits' order and the replies waiting for them.
//!
//! Messages come first (the supervisor forwards them unchanged), then the
//! actor, its `Actor` impl, one `Handler` per message, and helpers last.

use crate::clock::now;
use crate::config_check::PrinterConfigFields;
use crate::events::Published;
use crate::handle::LinkConfig;
use crate::store::{CommitFuture, HubStore, StoreError};
use crate::supervisor::TransportFactory;
use crate::transport::{Transport, UnusableTransport};
use crate::{HubError, PrinterConfig, PrinterInfo};
use actix::prelude::*;
use futures_util::future::{FutureExt, Shared};
use printhub_core::{
    Action, BatchId, Job, JobId, JobSpec, JobState, MachineConfig, PrinterId, PrinterMachine,
    WriteFailure,
};
use std::sync::Arc;
use tokio::sync::oneshot;

mod link;
pub(crate) mod relayout;
mod residency;
mod stream;

/// Queue new jobs (all or none) on a printer, in order.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<Job>, HubError>")]
pub struct SubmitJobs {
    /// Printer id or slug.
    pub printer: String,
    /// The jobs, with ids made by the caller.
    pub jobs: Vec<(JobId, JobSpec)>,
}

/// Cancel a job (a printing job ends after its current copy).
#[derive(Debug, Message)]
#[rtype(result = "Result<Job, HubError>")]
pub struct CancelJob {
    /// The job.
    pub job_id: JobId,
}

/// Hold a queued job in its place.
#[derive(Debug, Message)]
#[rtype(result = "Result<Job, HubError>")]
pub struct HoldJob {
    /// The job.
    pub job_id: JobId,
}

/// Release a held job back into its original place.
#[derive(Debug, Message)]
#[rtype(result = "Result<Job, HubError>")]
pub struct ReleaseJob {
    /// The job.
    pub job_id: JobId,
}

/// Reprint a failed, interrupted or cancelled job as a new job.
#[derive(Debug, Message)]
#[rtype(result = "Result<Job, HubError>")]
pub struct RetryJob {
    /// The job to retry.
    pub job_id: JobId,
    /// The new job's id.
    pub new_job_id: JobId,
}

/// One job's current snapshot, if the printer's machine holds it (queued,
/// printing, or in its recent history); `JobNotFound` otherwise.
#[derive(Debug, Message)]
#[rtype(result = "Result<Job, HubError>")]
pub struct GetJob {
    /// The job.
    pub job_id: JobId,
}

/// The snapshots of those of `ids` this printer's machine holds whole
/// (queued at the head, printing, or in its recent history) or parked
/// lately (their metadata as stored, raster released), in no particular
/// order; an unknown id, or one parked long ago, is left out. One message for
/// many jobs: what describes a burst of events (issue #17).
#[derive(Debug, Message)]
#[rtype(result = "Vec<Job>")]
pub struct GetJobSnapshots {
    /// The printer holding the jobs (the supervisor routes by it).
    pub printer: PrinterId,
    /// The jobs.
    pub ids: Vec<JobId>,
}

/// Every job this printer remembers that matches the filter.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Vec<Job>")]
pub struct ListJobs {
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only jobs of this batch.
    pub batch: Option<BatchId>,
}

/// How many jobs this printer remembers in each state (no job is copied).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Vec<(JobState, usize)>")]
pub struct CountJobs;

/// The printer's queue (queued and held jobs) in print order.
#[derive(Debug, Message)]
#[rtype(result = "Result<PrinterQueue, HubError>")]
pub struct GetQueue {
    /// Printer id or slug.
    pub printer: String,
}

/// A printer's queue as its actor holds it: the jobs it holds whole, and
/// the ids of the parked ones, whose snapshots the store has.
#[derive(Debug, Clone)]
pub struct PrinterQueue {
    /// The printer.
    pub printer_id: PrinterId,
    /// Queued and held jobs, in print order.
    pub entries: Vec<QueueEntry>,
}

/// One job of a [`PrinterQueue`].
#[derive(Debug, Clone)]
pub enum QueueEntry {
    /// A job the printer holds whole (its raster possibly released).
    Whole(Box<Job>),
    /// A parked job: read it from the store.
    Parked(JobId),
}

/// Pause: the current copy finishes, nothing more is sent.
#[derive(Debug, Message)]
#[rtype(result = "Result<PrinterInfo, HubError>")]
pub struct PausePrinter {
    /// Printer id or slug.
    pub printer: String,
}

/// Resume a paused, stopped or offline printer.
#[derive(Debug, Message)]
#[rtype(result = "Result<PrinterInfo, HubError>")]
pub struct ResumePrinter {
    /// Printer id or slug.
    pub printer: String,
}

/// Cancel every queued and held job; answers how many.
#[derive(Debug, Message)]
#[rtype(result = "Result<usize, HubError>")]
pub struct ClearQueue {
    /// Printer id or slug.
    pub printer: String,
}

/// Enable or disable the printer.
#[derive(Debug, Message)]
#[rtype(result = "Result<PrinterInfo, HubError>")]
pub struct SetPrinterEnabled {
    /// Printer id or slug.
    pub printer: String,
    /// Enable (true) or disable (false).
    pub enabled: bool,
}

/// The printer's current view.
#[derive(Debug, Message)]
#[rtype(result = "Result<PrinterInfo, HubError>")]
pub struct GetPrinter {
    /// Printer id or slug.
    pub printer: String,
}

/// Apply a changed configuration (name, model, media, address) live.
#[derive(Debug, Message)]
#[rtype(result = "Result<PrinterInfo, HubError>")]
pub struct ReconfigurePrinter {
    /// The new configuration (its id is the printer's).
    pub config: PrinterConfig,
}

/// Stop sending (the copy in flight finishes, bounded by the caller), then answer.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct DrainPrinter;

/// Stop the printer's actor so the supervisor starts a fresh one from the store
/// (a recovery drill: what is queued stays queued; a copy in flight is interrupted).
#[derive(Debug, Message)]
#[rtype(result = "Result<(), HubError>")]
pub struct ReloadPrinter {
    /// Printer id or slug.
    pub printer: String,
}

/// Stop the actor (removal).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct StopPrinter {
    /// Whether the printer was removed (no restart).
    pub removed: bool,
}

/// Sent to the supervisor when a printer actor stops.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct PrinterStopped {
    /// The printer.
    pub printer_id: PrinterId,
    /// Whether it was removed on purpose.
    pub removed: bool,
}

/// One printer: its queue machine, transport and store.
pub struct PrinterActor {
    config: PrinterConfig,
    id: PrinterId,
    machine: PrinterMachine,
    transport: Box<dyn Transport>,
    factory: TransportFactory,
    store: Arc<dyn HubStore>,
    events: Recipient<Published>,
    stopped: Recipient<PrinterStopped>,
    /// The machine's timer.
    wake: Option<SpawnHandle>,
    /// The printer link's policy and the printer's status.
    link: link::PrinterLink,
    /// The link's timer.
    link_wake: Option<SpawnHandle>,
    /// The last medium the printer reported (restored with its status): what
    /// labels are laid out for when its media is `auto` and the tape is out.
    last_media: Option<String>,
    /// Store commits started and not finished.
    commits_in_flight: usize,
    /// The last of them: effects of a batch with nothing to store wait for it.
    last_commit: Option<Shared<CommitFuture>>,
    drain_waiters: Vec<tokio::sync::oneshot::Sender<()>>,
    removed: bool,
    /// Jobs (parked, or their released rasters) being read back (`residency`).
    prefetching: std::collections::HashSet<JobId>,
    /// How many commits in flight hold a snapshot of each job (`residency`).
    uncommitted: std::collections::HashMap<JobId, u32>,
    /// The metadata of the jobs parked last (`residency`).
    parked_views: residency::ParkedViews,
}

impl std::fmt::Debug for PrinterActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrinterActor")
            .field("id", &self.id)
            .field("slug", &self.config.slug)
            .field("state", self.machine.state())
            .finish_non_exhaustive()
    }
}

/// What a printer actor does when its transport cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fallback {
    /// Refuse: the configuration is new and its author is told.
    Refuse,
    /// Start with a transport that reaches nothing and reports why: the
    /// configuration was stored (start-up, restarts), its queue must stay visible.
    Unusable,
}

/// Everything a printer actor is built from.
pub(crate) struct PrinterParts {
    pub config: PrinterConfig,
    pub id: PrinterId,
    pub machine_config: MachineConfig,
    pub factory: TransportFactory,
    pub store: Arc<dyn HubStore>,
    pub events: Recipient<Published>,
    pub stopped: Recipient<PrinterStopped>,
    pub link: LinkConfig,
    pub fallback: Fallback,
}

impl PrinterActor {
    /// Builds the actor, restoring its queue from the store.
    pub(crate) fn new(parts: PrinterParts) -> Result<Self, HubError> {
        let transport = match (parts.factory)(&parts.config) {
            Ok(transport) => transport,
            Err(e) if parts.fallback == Fallback::Unusable => {
                log::error!(
                    "printer {}: {e}; it stays offline, its queue kept, until its configuration is changed",
                    parts.config.slug
                );
                let reason = match &e {
                    HubError::InvalidPrinter {
                        field: "address" | "snmp",
                        ..
                    } => printhub_core::reason::INVALID_ADDRESS,
                    _ => printhub_core::reason::INVALID_CONFIG,
                };
                Box::new(UnusableTransport::new(reason, e.to_string()))
            }
            Err(e) => return Err(e),
        };
        // Metadata only, and of the queue only its head: the jobs beyond
        // come back parked, the head's rasters are read back by the
        // prefetch once the actor runs (`residency`).
        let jobs = parts.store.load_printer_restore(
            parts.id,
            residency::resident_jobs_for(&parts.machine_config),
        )?;
        let mut machine_config = parts.machine_config;
        if !parts.config.enabled {
            machine_config.initial_state = printhub_core::InitialState::Disabled;
        } else if parts.config.paused {
            machine_config.initial_state = printhub_core::InitialState::Paused;
        }
        let machine = PrinterMachine::restore_from(parts.id, machine_config, jobs, now());
        // The last known status until the first probe answers.
        let store_status = parts
            .store
            .load_printer_status(parts.id)
            .unwrap_or_default();
        let last_media = store_status.media.clone();
        let mut machine = machine;
        // Waiting jobs are for the medium labels are laid out for now.
        let target = if parts.config.media_is_auto() {
            last_media.clone()
        } else {
            Some(parts.config.media.clone())
        };
        machine.set_media(target, link::media_fits, now());
        let link = link::PrinterLink::new(parts.id, link::policy(&parts.link), store_status, now());
        Ok(PrinterActor {
            config: parts.config,
            id: parts.id,
            machine,
            transport,
            factory: parts.factory,
            store: parts.store,
            events: parts.events,
            stopped: parts.stopped,
            wake: None,
            link,
            link_wake: None,
            last_media,
            commits_in_flight: 0,
            last_commit: None,
            drain_waiters: Vec::new(),
            removed: false,
            prefetching: std::collections::HashSet::new(),
            uncommitted: std::collections::HashMap::new(),
            parked_views: residency::ParkedViews::default(),
        })
    }

    /// The printer's current view.
    pub fn info(&self) -> PrinterInfo {
        PrinterInfo {
            id: self.id,
            slug: self.config.slug.clone(),
            name: self.config.name.clone(),
            model: self.config.model.clone(),
            media: self.config.media.clone(),
            layout_media: self.layout_media(),
            address: self.config.address.clone(),
            enabled: self.config.enabled,
            state: self.machine.state().clone(),
            queue_depth: self.machine.queue_len(),
            printing: self.machine.in_flight().map(|f| f.current().job_id),
            next_job: self.machine.next_job_id(),
            status: self.link.status().clone(),
            defaults: self.config.defaults,
        }
    }
}

impl PrinterActor {
    /// The medium new labels are laid out for: the pinned one, or with `auto`
    /// the one loaded now, else the last one the printer reported.
    fn layout_media(&self) -> Option<String> {
        if !self.config.media_is_auto() {
            return Some(self.config.media.clone());
        }
        self.link
            .status()
            .media
            .clone()
            .or_else(|| self.last_media.clone())
    }
}

impl Actor for PrinterActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // A long restored queue keeps only its head whole (`residency`).
        self.park_restored();
        // The link's first probe and its idle cadence (a stopped or offline
        // printer is re-read sooner, on the machine's timers), then what
        // restoring produced (interrupted jobs, the next send).
        self.perform_link(ctx);
        self.drive(ctx);
        // The printer's queue timeout (issue #20): at start (jobs restored
        // from the store may be old already), then on a cadence; the
        // setting may change at any time, so every check reads it.
        self.expire_queued(ctx);
        ctx.run_interval(QUEUE_TIMEOUT_CHECK, |act, ctx| act.expire_queued(ctx));
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.stopped.do_send(PrinterStopped {
            printer_id: self.id,
            removed: self.removed,
        });
    }
}

impl Handler<SubmitJobs> for PrinterActor {
    type Result = ResponseActFuture<Self, Result<Vec<Job>, HubError>>;

    fn handle(&mut self, msg: SubmitJobs, ctx: &mut Self::Context) -> Self::Result {
        if self.link.is_draining() {
            return ready_reply(Err(HubError::ShuttingDown));
        }
        let room = self
            .machine
            .config()
            .max_queue
            .saturating_sub(self.machine.queue_len());
        if msg.jobs.len() > room {
            return ready_reply(Err(printhub_core::CommandError::QueueFull {
                limit: self.machine.config().max_queue,
            }
            .into()));
        }
        for (_, spec) in &msg.jobs {
            if let Err(e) = spec.validate() {
                return ready_reply(Err(printhub_core::CommandError::Invalid(e).into()));
            }
        }
        let t = now();
        let ids: Vec<JobId> = msg.jobs.iter().map(|(id, _)| *id).collect();
        // All queued before the printer starts, so a batch that opted in is one chain.
        let (accepted, refused) = match self.machine.submit_batch(msg.jobs, t) {
            Ok(()) => (ids, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        // The snapshots being stored: once durable, a job far from the head
        // is parked and the machine no longer holds it whole.
        let jobs: Vec<Job> = accepted
            .iter()
            .filter_map(|id| self.machine.job(*id).cloned())
            .collect();
        let wait = self.drive(ctx);
        Box::pin(
            wait_commit(wait)
                .into_actor(self)
                .map(move |commit, act, ctx| {
                    if let Err(e) = commit {
                        // Not durable: the caller is told so, and the jobs must not print.
                        let t = now();
                        for id in &accepted {
                            let _ = act.machine.cancel(*id, t);
                        }
                        act.drive(ctx);
                        return Err(e.into());
                    }
                    if let Some(e) = refused {
                        return Err(e.into());
                    }
                    Ok(jobs)
                }),
        )
    }
}

impl Handler<CancelJob> for PrinterActor {
    type Result = ResponseActFuture<Self, Result<Job, HubError>>;

    fn handle(&mut self, msg: CancelJob, ctx: &mut Self::Context) -> Self::Result {
        let job_id = msg.job_id;
        self.unpark_then(vec![job_id], ctx, move |act, ctx| {
            let result = act.machine.cancel(msg.job_id, now()).map(|_| ());
            let reply = result
                .map_err(HubError::from)
                .and_then(|_| act.snapshot(job_id));
            act.reply_with(reply, ctx)
        })
    }
}

impl Handler<HoldJob> for PrinterActor {
    type Result = ResponseActFuture<Self, Result<Job, HubError>>;

    fn handle(&mut self, msg: HoldJob, ctx: &mut Self::Context) -> Self::Result {
        let job_id = msg.job_id;
        self.unpark_then(vec![job_id], ctx, move |act, ctx| {
            let result = act.machine.hold(msg.job_id, now());
            let reply = result
                .map_err(HubError::from)
                .and_then(|_| act.snapshot(job_id));
            act.reply_with(reply, ctx)
        })
    }
}

impl Handler<ReleaseJob> for PrinterActor {
    type Result = ResponseActFuture<Self, Result<Job, HubError>>;

    fn handle(&mut self, msg: ReleaseJob, ctx: &mut Self::Context) -> Self::Result {
        let job_id = msg.job_id;
        self.unpark_then(vec![job_id], ctx, move |act, ctx| {
            let result = act.machine.release(msg.job_id, now());
            let reply = result
                .map_err(HubError::from)
                .and_then(|_| act.snapshot(job_id));
            act.reply_with(reply, ctx)
        })
    }
}

impl Handler<RetryJob> for PrinterActor {
    type Result = ResponseActFuture<Self, Result<Job, HubError>>;

    fn handle(&mut self, msg: RetryJob, ctx: &mut Self::Context) -> Self::Result {
        if self.link.is_draining() {
            return ready_reply(Err(HubError::ShuttingDown));
        }
        let needs_store = self
            .machine
            .job(msg.job_id)
            .is_none_or(|job| job.spec.raster_released());
        if !needs_store {
            let result = self.retry(&msg, None);
            let new_id = msg.new_job_id;
            let reply = result.and_then(|_| self.snapshot(new_id));
            return self.reply_with(reply, ctx);
        }
        // A job whose raster was released, or that the machine forgot, is read
        // back from the store first — on a blocking thread, never here.
        let store = self.store.clone();
        let job_id = msg.job_id;
        let read = async move {
            actix_rt::task::spawn_blocking(move || store.load_job(job_id))
                .await
                .map_err(|e| HubError::Unavailable(format!("store read failed: {e}")))?
                .map_err(HubError::from)?
                .map(Some)
                .ok_or(HubError::JobNotFound(job_id))
        };
        Box::pin(read.into_actor(self).then(move |stored, act, ctx| {
            let new_id = msg.new_job_id;
            let result = stored.and_then(|stored| act.retry(&msg, stored));
            let reply = result.and_then(|_| act.snapshot(new_id));
            act.reply_with(reply, ctx)
        }))
    }
}

impl Handler<GetJob> for PrinterActor {
    type Result = Result<Job, HubError>;

    fn handle(&mut self, msg: GetJob, _ctx: &mut Self::Context) -> Self::Result {
        self.snapshot(msg.job_id)
    }
}

impl Handler<GetJobSnapshots> for PrinterActor {
    type Result = MessageResult<GetJobSnapshots>;

    fn handle(&mut self, msg: GetJobSnapshots, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(
            msg.ids
                .iter()
                .filter_map(|id| {
                    self.machine
                        .job(*id)
                        .or_else(|| self.parked_view(*id))
                        .cloned()
                })
                .collect(),
        )
    }
}

impl Handler<ListJobs> for PrinterActor {
    type Result = MessageResult<ListJobs>;

    fn handle(&mut self, msg: ListJobs, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(
            self.machine
                .jobs()
                .filter(|j| msg.state.is_none_or(|s| j.state == s))
                .filter(|j| msg.batch.is_none_or(|b| j.spec.batch_id == Some(b)))
                .cloned()
                .collect(),
        )
    }
}

impl Handler<CountJobs> for PrinterActor {
    type Result = MessageResult<CountJobs>;

    fn handle(&mut self, _msg: CountJobs, _ctx: &mut Self::Context) -> Self::Result {
        let mut counts: Vec<(JobState, usize)> =
            JobState::ALL.into_iter().map(|s| (s, 0)).collect();
        let parked = std::iter::repeat_n(JobState::Queued, self.machine.parked_len());
        for state in self.machine.jobs().map(|j| j.state).chain(parked) {
            if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
                slot.1 += 1;
            }
        }
        MessageResult(counts)
    }
}

impl Handler<GetQueue> for PrinterActor {
    type Result = Result<PrinterQueue, HubError>;

    fn handle(&mut self, _msg: GetQueue, _ctx: &mut Self::Context) -> Self::Result {
        let entries = self
            .machine
            .queue_ids()
            .map(|id| match self.machine.job(id) {
                Some(job) => QueueEntry::Whole(Box::new(job.clone())),
                None => QueueEntry::Parked(id),
            })
            .collect();
        Ok(PrinterQueue {
            printer_id: self.id,
            entries,
        })
    }
}

impl Handler<PausePrinter> for PrinterActor {
    type Result = ResponseActFuture<Self, Result<PrinterInfo, HubError>>;

    fn handle(&mut self, _msg: PausePrinter, ctx: &mut Self::Context) -> Self::Result {
        let result = self.machine.pause(now());
        self.reply_after(result.map_err(HubError::from), ctx, |act| Ok(act.info()))
    }
}

impl Handler<ResumePrinter> for PrinterActor {
    type Result = ResponseActFuture<Self, Result<PrinterInfo, HubError>>;

    fn handle(&mut self, _msg: ResumePrinter, ctx: &mut Self::Context) -> Self::Result {
        if self.link.is_draining() {
            return ready_reply(Err(HubError::ShuttingDown));
        }
        let result = self.machine.resume(now());
        self.reply_after(result.map_err(HubError::from), ctx, |act| Ok(act.info()))
    }
}

impl Handler<ClearQueue> for PrinterActor {
    type Result = ResponseActFuture<Self, Result<usize, HubError>>;

    fn handle(&mut self, _msg: ClearQueue, ctx: &mut Self::Context) -> Self::Result {
        let parked = self.machine.parked_ids();
        self.unpark_then(parked, ctx, |act, ctx| {
            let n = act.machine.clear(now());
            act.reply_after(Ok(()), ctx, move |_| Ok(n))
        })
    }
}

impl Handler<SetPrinterEnabled> for PrinterActor {
    type Result = ResponseActFuture<Self, Result<PrinterInfo, HubError>>;

    fn handle(&mut self, msg: SetPrinterEnabled, ctx: &mut Self::Context) -> Self::Result {
        let t = now();
        if msg.enabled {
            self.machine.enable(t);
        } else {
            self.machine.disable(t);
        }
        self.config.enabled = msg.enabled;
        self.reply_after(Ok(()), ctx, |act| Ok(act.info()))
    }
}

impl Handler<GetPrinter> for PrinterActor {
    type Result = Result<PrinterInfo, HubError>;

    fn handle(&mut self, _msg: GetPrinter, _ctx: &mut Self::Context) -> Self::Result {
        Ok(self.info())
    }
}

impl Handler<ReconfigurePrinter> for PrinterActor {
    type Result = Result<PrinterInfo, HubError>;

    fn handle(&mut self, msg: ReconfigurePrinter, ctx: &mut Self::Context) -> Self::Result {
        msg.config.validate()?;
        // A send in flight keeps the old transport (its future owns it); the next uses the new one.
        self.transport = (self.factory)(&msg.config)?;
        let moved = (&msg.config.model, &msg.config.address, &msg.config.snmp)
            != (&self.config.model, &self.config.address, &self.config.snmp);
        self.config = PrinterConfig {
            id: Some(self.id),
            enabled: self.config.enabled,
            ..msg.config
        };
        if moved {
            // Another printer, or the same one elsewhere: what the old link said is stale.
            self.link.forget();
            self.last_media = None;
            self.perform_link(ctx);
        }
        // A medium set by hand (or `auto` again) re-sorts the waiting jobs:
        // the ones for another medium are laid out again or held, and a
        // printer stopped for them goes on by itself.
        self.machine
            .set_media(self.layout_media(), link::media_fits, now());
        self.drive(ctx);
        // A new (shorter) queue timeout applies at once.
        self.expire_queued(ctx);
        Ok(self.info())
    }
}

impl Handler<DrainPrinter> for PrinterActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _msg: DrainPrinter, ctx: &mut Self::Context) -> Self::Result {
        self.link.drain();
        for handle in [self.wake.take(), self.link_wake.take()]
            .into_iter()
            .flatten()
        {
            ctx.cancel_future(handle);
        }
        // Pausing lets the copy in flight finish and sends nothing more; the rest stays queued.
        let _ = self.machine.pause(now());
        self.drive(ctx);
        if self.idle() {
            return Box::pin(async {});
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.drain_waiters.push(tx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}

impl Handler<ReloadPrinter> for PrinterActor {
    type Result = Result<(), HubError>;

    fn handle(&mut self, _msg: ReloadPrinter, ctx: &mut Self::Context) -> Self::Result {
        ctx.stop();
        Ok(())
    }
}

impl Handler<StopPrinter> for PrinterActor {
    type Result = ();

    fn handle(&mut self, msg: StopPrinter, ctx: &mut Self::Context) {
        self.removed = msg.removed;
        ctx.stop();
    }
}

/// A reply that needs no commit.
fn ready_reply<T: 'static>(
    value: Result<T, HubError>,
) -> ResponseActFuture<PrinterActor, Result<T, HubError>> {
    Box::pin(actix::fut::ready(value))
}

/// Waits for a commit started by `drive` (or nothing).
async fn wait_commit(
    wait: Option<oneshot::Receiver<Result<(), StoreError>>>,
) -> Result<(), StoreError> {
    match wait {
        Some(rx) => rx.await.unwrap_or_else(|_| {
            Err(StoreError::other(
                "the printer stopped before the commit finished",
            ))
        }),
        None => Ok(()),
    }
}

/// How often queued jobs are checked against the printer's queue timeout.
const QUEUE_TIMEOUT_CHECK: std::time::Duration = std::time::Duration::from_secs(15);

impl PrinterActor {
    /// Fails the queued jobs older than the printer's queue timeout, if it has one.
    fn expire_queued(&mut self, ctx: &mut Context<Self>) {
        let Some(timeout) = self.config.defaults.queue_timeout_ms() else {
            return;
        };
        let stale = self
            .machine
            .parked_created_before(now().plus_millis(-timeout));
        if stale.is_empty() {
            self.expire_loaded(timeout, ctx);
            return;
        }
        // Parked ones are read back first (off this thread), then failed
        // with the rest; if the store fails the read, the next check retries.
        let expire = self.unpark_then(stale, ctx, move |act, ctx| {
            act.expire_loaded(timeout, ctx);
            Box::pin(actix::fut::ready(Ok(())))
        });
        ctx.spawn(expire.map(|result, act, _ctx| {
            if let Err(e) = result {
                log::warn!(
                    "printer {}: old parked jobs not read back for the queue timeout: {e}",
                    act.config.slug
                );
            }
        }));
    }

    /// Fails the queued jobs the machine holds that are older than `timeout` ms.
    fn expire_loaded(&mut self, timeout: i64, ctx: &mut Context<Self>) {
        let t = now();
        let expired = self.machine.expire_queued(t.plus_millis(-timeout), t);
        if !expired.is_empty() {
            log::info!(
                "printer {}: {} job(s) waited longer than {} min and failed (queue_timeout)",
                self.config.slug,
                expired.len(),
                timeout / 60_000
            );
            self.drive(ctx);
        }
    }

    /// A job the machine holds. Older jobs are read from the store by
    /// `HubHandle::job`, off the actor thread.
    fn snapshot(&self, job_id: JobId) -> Result<Job, HubError> {
        self.machine
            .job(job_id)
            .cloned()
            .ok_or(HubError::JobNotFound(job_id))
    }

    /// Drains the machine's actions. The `Persist` snapshots of this batch go
    /// to the store in one commit; every other action (events, sends, timers,
    /// probes) is performed only once that commit is durable, in order. The
    /// returned receiver resolves at that point (`None`: nothing to commit,
    /// everything was performed already).
    fn drive(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> Option<oneshot::Receiver<Result<(), StoreError>>> {
        let mut snapshots = Vec::new();
        let mut effects = Vec::new();
        while let Some(action) = self.machine.poll_action() {
            match action {
                Action::Persist(job_id) => {
                    if let Some(job) = self.machine.job(job_id) {
                        snapshots.push(job.clone());
                    }
                }
                other => effects.push(other),
            }
        }
        if snapshots.is_empty() && self.commits_in_flight == 0 {
            self.perform(effects, ctx);
            self.prefetch(ctx);
            return None;
        }
        let committed: Vec<JobId> = snapshots.iter().map(|j| j.id).collect();
        self.committing(&committed);
        // Effects wait for this commit; commits resolve in order, and a batch with
        // nothing to store waits for the last commit, so effects keep their order.
        let commit: CommitFuture = if snapshots.is_empty() {
            let previous = self.last_commit.clone();
            Box::pin(async move {
                if let Some(previous) = previous {
                    let _ = previous.await;
                }
                Ok(())
            })
        } else {
            let shared = self.store.commit(snapshots).shared();
            self.last_commit = Some(shared.clone());
            Box::pin(shared)
        };
        let (tx, rx) = oneshot::channel();
        self.commits_in_flight += 1;
        ctx.spawn(commit.into_actor(self).map(move |result, act, ctx| {
            act.commits_in_flight -= 1;
            if act.commits_in_flight == 0 {
                act.last_commit = None;
            }
            // Durable now: what waits beyond the head (or ended) leaves memory.
            act.committed(&committed, result.is_ok());
            match &result {
                Ok(()) => {
                    act.perform(effects, ctx);
                    act.prefetch(ctx);
                }
                Err(e) => {
                    log::error!("printer {}: jobs not stored: {e}", act.config.slug);
                    // Never print what is not on disk: a send of this batch fails instead.
                    let mut kept = Vec::with_capacity(effects.len());
                    let mut refused = Vec::new();
                    for action in effects {
                        match action {
                            Action::Send { pages } => {
                                refused.extend(pages.first().map(|p| (p.job_id, p.copy)))
                            }
                            other => kept.push(other),
                        }
                    }
                    act.perform(kept, ctx);
                    let any_refused = !refused.is_empty();
                    for (job_id, copy) in refused {
                        let failure = WriteFailure::Rejected {
                            code: "store_error".into(),
                            message: format!("the job could not be stored: {e}"),
                        };
                        act.machine
                            .handle_write_failed(job_id, copy, failure, now());
                    }
                    if any_refused {
                        act.drive(ctx);
                    }
                }
            }
            let _ = tx.send(result);
            act.notify_if_drained();
        }));
        Some(rx)
    }

    /// Nothing is being written to the store or to the printer.
    fn idle(&self) -> bool {
        !self.link.is_busy() && self.commits_in_flight == 0
    }

    fn notify_if_drained(&mut self) {
        if self.idle() {
            for waiter in self.drain_waiters.drain(..) {
                let _ = waiter.send(());
            }
        }
    }

    /// Performs the machine's effects in order; sends and status queries go
    /// to the link, and what the link fed back to the machine is driven after.
    fn perform(&mut self, effects: Vec<Action>, ctx: &mut Context<Self>) {
        let mut linked = false;
        for action in effects {
            match action {
                Action::Emit(event) => self.events.do_send(Published(event)),
                Action::Send { pages } => {
                    self.send_chain(pages, ctx);
                    linked = true;
                }
                Action::QueryStatus => {
                    self.link.request_probe();
                    self.perform_link(ctx);
                    linked = true;
                }
                Action::WakeAt(at) => self.schedule_wake(at, ctx),
                Action::Relayout { job_id, media } => self.start_relayout(job_id, media, ctx),
                Action::Persist(_) => {}
            }
        }
        if linked {
            if self.machine.has_actions() {
                // A preflight held the chain back: the machine has moved on.
                self.drive(ctx);
            }
            self.notify_if_drained();
        }
    }

    /// Replies `reply` — a job's snapshot taken right after the command,
    /// the one being stored — once this handler's changes are durable.
    fn reply_with<T: 'static>(
        &mut self,
        reply: Result<T, HubError>,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<T, HubError>> {
        let wait = self.drive(ctx);
        Box::pin(
            wait_commit(wait)
                .into_actor(self)
                .map(move |commit, _act, _ctx| {
                    let reply = reply?;
                    commit?;
                    Ok(reply)
                }),
        )
    }

    /// Replies once this handler's changes are durable: `result` is the
    /// command's own outcome, `then` builds the reply from the actor's state.
    fn reply_after<T: 'static>(
        &mut self,
        result: Result<(), HubError>,
        ctx: &mut Context<Self>,
        then: impl FnOnce(&mut Self) -> Result<T, HubError> + 'static,
    ) -> ResponseActFuture<Self, Result<T, HubError>> {
        let wait = self.drive(ctx);
        Box::pin(
            wait_commit(wait)
                .into_actor(self)
                .map(move |commit, act, _ctx| {
                    result?;
                    commit?;
                    then(act)
                }),
        )
    }

    /// Retries `msg.job_id` given what was read from the store for it
    /// (`stored`: nothing when the machine holds it with its raster). A job
    /// the machine holds gets its released raster back for the retry, which
    /// shares the bytes; one it forgot is retried from the stored snapshot,
    /// as a retry of it (parent and retry count kept).
    fn retry(&mut self, msg: &RetryJob, stored: Option<Job>) -> Result<JobId, HubError> {
        let t = now();
        let Some(mut stored) = stored else {
            return Ok(self.machine.retry(msg.job_id, msg.new_job_id, t)?);
        };
        if self.machine.job(msg.job_id).is_none() {
            stored.spec.printer_id = self.id;
            return Ok(self.machine.retry_stored(&stored, msg.new_job_id, t)?);
        }
        let released = self.machine.restore_raster(msg.job_id, stored.spec.raster);
        let retried = self.machine.retry(msg.job_id, msg.new_job_id, t);
        if released {
            // The retry shares the bytes; the old job needs them no more.
            self.machine.release_raster(msg.job_id);
        }
        Ok(retried?)
    }
}
