//! The printer actor: one per printer. It owns the printer's
//! `PrinterMachine` (queue + job state machine) and its [`Transport`], turns
//! the machine's actions into effects, and feeds the results back in.
//!
//! Threading: it runs on the supervisor's arbiter. Every send and status
//! probe is a spawned future (`ctx.spawn`) that reports back through a
//! closure; no handler awaits I/O, so the mailbox keeps answering while a
//! label prints. Timers (`WakeAt`) are `ctx.run_later`.
//!
//! Messages come first (the supervisor forwards them unchanged), then the
//! actor, its `Actor` impl, one `Handler` per message, and helpers last.

use crate::config_check::PrinterConfigFields;
use crate::events::Published;
use crate::store::JobStore;
use crate::supervisor::TransportFactory;
use crate::transport::{SendOutcome, Transport, TransportError};
use crate::{HubError, PrinterConfig, PrinterInfo};
use actix::prelude::*;
use printhub_core::{
    Action, BatchId, Job, JobId, JobSpec, JobState, MachineConfig, PrinterId, PrinterMachine,
    Timestamp, WriteFailure,
};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// One job's current snapshot.
#[derive(Debug, Message)]
#[rtype(result = "Result<Job, HubError>")]
pub struct GetJob {
    /// The job.
    pub job_id: JobId,
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

/// The printer's queue (queued and held jobs) in print order.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<Job>, HubError>")]
pub struct GetQueue {
    /// Printer id or slug.
    pub printer: String,
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
    store: Arc<dyn JobStore>,
    events: Recipient<Published>,
    stopped: Recipient<PrinterStopped>,
    wake: Option<SpawnHandle>,
    busy: bool,
    draining: bool,
    drain_waiters: Vec<tokio::sync::oneshot::Sender<()>>,
    removed: bool,
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

/// Everything a printer actor is built from.
pub(crate) struct PrinterParts {
    pub config: PrinterConfig,
    pub id: PrinterId,
    pub machine_config: MachineConfig,
    pub factory: TransportFactory,
    pub store: Arc<dyn JobStore>,
    pub events: Recipient<Published>,
    pub stopped: Recipient<PrinterStopped>,
}

impl PrinterActor {
    /// Builds the actor, restoring its queue from the store.
    pub(crate) fn new(parts: PrinterParts) -> Result<Self, HubError> {
        let transport = (parts.factory)(&parts.config)?;
        let jobs = parts.store.load_printer_jobs(parts.id)?;
        let mut machine_config = parts.machine_config;
        if !parts.config.enabled {
            machine_config.initial_state = printhub_core::InitialState::Disabled;
        }
        let machine = PrinterMachine::restore(parts.id, machine_config, jobs, now());
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
            busy: false,
            draining: false,
            drain_waiters: Vec::new(),
            removed: false,
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
            address: self.config.address.clone(),
            enabled: self.config.enabled,
            state: self.machine.state().clone(),
            queue_depth: self.machine.queue_len(),
            printing: self.machine.in_flight().map(|f| f.job_id),
        }
    }
}

impl Actor for PrinterActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Restoring may have produced actions (interrupted jobs, the next send).
        self.drive(ctx);
    }

    fn stopped(&mut self, _ctx: &mut Self::Context) {
        self.stopped.do_send(PrinterStopped {
            printer_id: self.id,
            removed: self.removed,
        });
    }
}

impl Handler<SubmitJobs> for PrinterActor {
    type Result = Result<Vec<Job>, HubError>;

    fn handle(&mut self, msg: SubmitJobs, ctx: &mut Self::Context) -> Self::Result {
        if self.draining {
            return Err(HubError::ShuttingDown);
        }
        let room = self
            .machine
            .config()
            .max_queue
            .saturating_sub(self.machine.queue_len());
        if msg.jobs.len() > room {
            return Err(printhub_core::CommandError::QueueFull {
                limit: self.machine.config().max_queue,
            }
            .into());
        }
        for (_, spec) in &msg.jobs {
            spec.validate()
                .map_err(printhub_core::CommandError::Invalid)?;
        }
        let t = now();
        let mut accepted = Vec::with_capacity(msg.jobs.len());
        for (job_id, spec) in msg.jobs {
            // Validated above; a refusal here (disabled, duplicate) stops the batch.
            let result = self.machine.submit(job_id, spec, t);
            // Persist what was accepted before answering, even on a partial failure.
            self.drive(ctx);
            result?;
            accepted.push(job_id);
        }
        Ok(accepted
            .iter()
            .filter_map(|id| self.machine.job(*id).cloned())
            .collect())
    }
}

impl Handler<CancelJob> for PrinterActor {
    type Result = Result<Job, HubError>;

    fn handle(&mut self, msg: CancelJob, ctx: &mut Self::Context) -> Self::Result {
        let result = self.machine.cancel(msg.job_id, now());
        self.drive(ctx);
        result?;
        self.snapshot(msg.job_id)
    }
}

impl Handler<HoldJob> for PrinterActor {
    type Result = Result<Job, HubError>;

    fn handle(&mut self, msg: HoldJob, ctx: &mut Self::Context) -> Self::Result {
        let result = self.machine.hold(msg.job_id, now());
        self.drive(ctx);
        result?;
        self.snapshot(msg.job_id)
    }
}

impl Handler<ReleaseJob> for PrinterActor {
    type Result = Result<Job, HubError>;

    fn handle(&mut self, msg: ReleaseJob, ctx: &mut Self::Context) -> Self::Result {
        let result = self.machine.release(msg.job_id, now());
        self.drive(ctx);
        result?;
        self.snapshot(msg.job_id)
    }
}

impl Handler<RetryJob> for PrinterActor {
    type Result = Result<Job, HubError>;

    fn handle(&mut self, msg: RetryJob, ctx: &mut Self::Context) -> Self::Result {
        if self.draining {
            return Err(HubError::ShuttingDown);
        }
        let t = now();
        let result = match self.machine.job(msg.job_id) {
            Some(_) => self.machine.retry(msg.job_id, msg.new_job_id, t),
            None => {
                // Pruned from the machine's history: retry from the stored snapshot.
                let old = self
                    .store
                    .load_job(msg.job_id)?
                    .ok_or(HubError::JobNotFound(msg.job_id))?;
                let new = old.retry(msg.new_job_id, t).map_err(|e| {
                    printhub_core::CommandError::InvalidJobState {
                        job_id: msg.job_id,
                        from: e.from,
                        command: e.command,
                    }
                })?;
                let mut spec = new.spec.clone();
                spec.printer_id = self.id;
                self.machine
                    .submit(msg.new_job_id, spec, t)
                    .map(|()| msg.new_job_id)
            }
        };
        self.drive(ctx);
        let new_id = result?;
        self.snapshot(new_id)
    }
}

impl Handler<GetJob> for PrinterActor {
    type Result = Result<Job, HubError>;

    fn handle(&mut self, msg: GetJob, _ctx: &mut Self::Context) -> Self::Result {
        self.snapshot(msg.job_id)
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

impl Handler<GetQueue> for PrinterActor {
    type Result = Result<Vec<Job>, HubError>;

    fn handle(&mut self, _msg: GetQueue, _ctx: &mut Self::Context) -> Self::Result {
        Ok(self.machine.queue().cloned().collect())
    }
}

impl Handler<PausePrinter> for PrinterActor {
    type Result = Result<PrinterInfo, HubError>;

    fn handle(&mut self, _msg: PausePrinter, ctx: &mut Self::Context) -> Self::Result {
        let result = self.machine.pause(now());
        self.drive(ctx);
        result?;
        Ok(self.info())
    }
}

impl Handler<ResumePrinter> for PrinterActor {
    type Result = Result<PrinterInfo, HubError>;

    fn handle(&mut self, _msg: ResumePrinter, ctx: &mut Self::Context) -> Self::Result {
        if self.draining {
            return Err(HubError::ShuttingDown);
        }
        let result = self.machine.resume(now());
        self.drive(ctx);
        result?;
        Ok(self.info())
    }
}

impl Handler<ClearQueue> for PrinterActor {
    type Result = Result<usize, HubError>;

    fn handle(&mut self, _msg: ClearQueue, ctx: &mut Self::Context) -> Self::Result {
        let n = self.machine.clear(now());
        self.drive(ctx);
        Ok(n)
    }
}

impl Handler<SetPrinterEnabled> for PrinterActor {
    type Result = Result<PrinterInfo, HubError>;

    fn handle(&mut self, msg: SetPrinterEnabled, ctx: &mut Self::Context) -> Self::Result {
        let t = now();
        if msg.enabled {
            self.machine.enable(t);
        } else {
            self.machine.disable(t);
        }
        self.config.enabled = msg.enabled;
        self.drive(ctx);
        Ok(self.info())
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

    fn handle(&mut self, msg: ReconfigurePrinter, _ctx: &mut Self::Context) -> Self::Result {
        msg.config.validate()?;
        // A send in flight keeps the old transport (its future owns it); the next uses the new one.
        self.transport = (self.factory)(&msg.config)?;
        self.config = PrinterConfig {
            id: Some(self.id),
            enabled: self.config.enabled,
            ..msg.config
        };
        Ok(self.info())
    }
}

impl Handler<DrainPrinter> for PrinterActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _msg: DrainPrinter, ctx: &mut Self::Context) -> Self::Result {
        self.draining = true;
        if let Some(handle) = self.wake.take() {
            ctx.cancel_future(handle);
        }
        // Pausing lets the copy in flight finish and sends nothing more; the rest stays queued.
        let _ = self.machine.pause(now());
        self.drive(ctx);
        if !self.busy {
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

/// Milliseconds since the Unix epoch: the actors' clock, passed into the machine.
pub(crate) fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp::from_millis(ms)
}

impl PrinterActor {
    fn snapshot(&self, job_id: JobId) -> Result<Job, HubError> {
        match self.machine.job(job_id) {
            Some(job) => Ok(job.clone()),
            None => self
                .store
                .load_job(job_id)?
                .ok_or(HubError::JobNotFound(job_id)),
        }
    }

    /// Performs the machine's actions until it has none.
    fn drive(&mut self, ctx: &mut Context<Self>) {
        while let Some(action) = self.machine.poll_action() {
            match action {
                Action::Persist(job_id) => {
                    if let Some(job) = self.machine.job(job_id) {
                        if let Err(e) = self.store.save_job(job) {
                            log::error!(
                                "printer {}: cannot persist job {job_id}: {e}",
                                self.config.slug
                            );
                        }
                    }
                }
                Action::Emit(event) => self.events.do_send(Published(event)),
                Action::Send { job_id, copy } => self.start_send(job_id, copy, ctx),
                Action::QueryStatus => self.start_probe(ctx),
                Action::WakeAt(at) => self.schedule_wake(at, ctx),
            }
        }
    }

    fn start_send(&mut self, job_id: JobId, copy: u32, ctx: &mut Context<Self>) {
        let Some(job) = self.machine.job(job_id) else {
            log::error!(
                "printer {}: asked to send unknown job {job_id}",
                self.config.slug
            );
            return;
        };
        self.busy = true;
        let fut = self.transport.send(job.spec.raster.clone(), 1);
        ctx.spawn(fut.into_actor(self).map(move |result, act, ctx| {
            act.busy = false;
            let t = now();
            match result {
                Ok(outcome) => act.machine.handle_write_finished(
                    job_id,
                    copy,
                    outcome == SendOutcome::Confirmed,
                    t,
                ),
                Err(e) => {
                    log::warn!("printer {}: job {job_id} copy {copy}: {e}", act.config.slug);
                    act.machine.handle_write_failed(job_id, copy, failure(e), t)
                }
            }
            act.drive(ctx);
            if !act.busy {
                for waiter in act.drain_waiters.drain(..) {
                    let _ = waiter.send(());
                }
            }
        }));
    }

    fn start_probe(&mut self, ctx: &mut Context<Self>) {
        let fut = self.transport.probe();
        ctx.spawn(fut.into_actor(self).map(|observed, act, ctx| {
            act.machine.handle_status(observed, now());
            act.drive(ctx);
        }));
    }

    fn schedule_wake(&mut self, at: Timestamp, ctx: &mut Context<Self>) {
        if let Some(handle) = self.wake.take() {
            ctx.cancel_future(handle);
        }
        if self.draining {
            return;
        }
        let delay = at.as_millis().saturating_sub(now().as_millis()).max(0) as u64;
        self.wake = Some(ctx.run_later(Duration::from_millis(delay), |act, ctx| {
            act.wake = None;
            act.machine.handle_timeout(now());
            act.drive(ctx);
        }));
    }
}

fn failure(e: TransportError) -> WriteFailure {
    match e {
        TransportError::Unreachable(_) => WriteFailure::Unreachable,
        TransportError::Attention { reason } => WriteFailure::Attention {
            reason_code: reason.to_string(),
        },
        TransportError::Rejected { code, message } => WriteFailure::Rejected {
            code: code.to_string(),
            message,
        },
        TransportError::Lost(_) => WriteFailure::Lost,
    }
}
