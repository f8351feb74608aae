//! The supervisor: the printer registry (add, update, remove, enable and
//! disable at runtime, no restart), the router that forwards every command
//! to the right [`PrinterActor`], the restarter of a printer actor that
//! stopped, and the publisher of events.
//!
//! It keeps two indexes: slug → printer and job → printer (fed by the
//! printers' replies and by every published event). Commands are forwarded
//! unchanged with a `ResponseFuture` that awaits the child; the supervisor's
//! own state is never touched after such an await.
//!
//! A registry change is checked completely before the store is touched: the
//! configuration is validated, the printer's transport is built (which does
//! no I/O) and, for an addition, its actor is built from the store; only then
//! is the change stored (one audited commit) and applied. A refused change
//! leaves no row, no audit entry and no actor. At start-up every stored
//! printer comes back with its queue, even one whose configuration can no
//! longer reach a printer: it is offline with the reason until it is fixed.

use crate::address::Target;
use crate::config_check::PrinterConfigFields;
use crate::device::DeviceTransport;
use crate::events::Published;
use crate::handle::{LinkConfig, Retention};
use crate::job_index::{JobIndex, KEEP_ENDED};
use crate::printer::*;
use crate::store::HubStore;
use crate::transport::{TcpTimeouts, TcpTransport, Transport};
use crate::{HubError, PrinterConfig, PrinterInfo, PrinterPatch};
use actix::prelude::*;
use futures_util::future::{join_all, LocalBoxFuture};
use printhub_core::{Event, Job, JobId, JobState, MachineConfig, PrinterId};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Register a printer and start its actor.
#[derive(Debug, Message)]
#[rtype(result = "Result<PrinterInfo, HubError>")]
pub struct AddPrinter {
    /// Its configuration.
    pub config: PrinterConfig,
}

/// Change a printer's configuration live.
#[derive(Debug, Message)]
#[rtype(result = "Result<PrinterInfo, HubError>")]
pub struct UpdatePrinter {
    /// Printer id or slug.
    pub printer: String,
    /// The fields to change.
    pub patch: PrinterPatch,
}

/// Remove a printer with an empty queue and nothing printing.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), HubError>")]
pub struct RemovePrinter {
    /// Printer id or slug.
    pub printer: String,
}

/// Every registered printer.
#[derive(Debug, Message)]
#[rtype(result = "Vec<PrinterInfo>")]
pub struct ListPrinters;

/// Jobs across printers (each printer's matching jobs, merged by the caller).
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<Job>, HubError>")]
pub struct ListAllJobs {
    /// Only this printer (id or slug).
    pub printer: Option<String>,
    /// The per-printer filter.
    pub filter: ListJobs,
}

/// How many jobs the printers remember in each state, summed over printers.
#[derive(Debug, Message)]
#[rtype(result = "Result<Vec<(JobState, usize)>, HubError>")]
pub struct CountAllJobs;

/// Stop taking work, let copies in flight finish, then answer.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Shutdown;

/// Who the printer audit trail names for changes made through the engine:
/// `HubHandle` calls carry no caller identity, so always the hub (the
/// gateway's own audit log records which API key asked).
const AUDIT_ACTOR: &str = "hub";

/// Builds the transport for a printer's configuration. It must do no I/O (no
/// connection, no name lookup): the supervisor calls it to check a
/// configuration before storing it, and an error refuses the change.
pub type TransportFactory = Rc<dyn Fn(&PrinterConfig) -> Result<Box<dyn Transport>, HubError>>;

/// The default factory: raw TCP to the configured `host[:port]` (port 9100 if
/// omitted), or the device at an absolute path ([`DeviceTransport`]).
/// Addresses are parsed here and looked up on every connection.
pub fn tcp_factory(timeouts: TcpTimeouts) -> TransportFactory {
    Rc::new(move |config: &PrinterConfig| {
        let (model, _) = config.validate()?;
        let (raw, snmp) = match config.endpoints()? {
            (Target::Device(path), _) => {
                return Ok(
                    Box::new(DeviceTransport::new(path, model, timeouts)) as Box<dyn Transport>
                )
            }
            (Target::Network(raw), snmp) => (raw, snmp),
        };
        let mut transport = TcpTransport::new(raw, model, timeouts);
        if let Some(snmp) = snmp {
            let community = config
                .snmp_community
                .as_deref()
                .unwrap_or(crate::transport::DEFAULT_COMMUNITY);
            transport = transport.with_snmp(snmp, community);
        }
        Ok(Box::new(transport) as Box<dyn Transport>)
    })
}

struct Entry {
    config: PrinterConfig,
    addr: Addr<PrinterActor>,
    restarts: u32,
}

/// The registry, router, restarter and event publisher.
pub struct Supervisor {
    printers: HashMap<PrinterId, Entry>,
    slugs: HashMap<String, PrinterId>,
    jobs: JobIndex,
    store: Arc<dyn HubStore>,
    factory: TransportFactory,
    machine_config: MachineConfig,
    events: broadcast::Sender<Event>,
    retention: Retention,
    link: LinkConfig,
    shutting_down: bool,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("printers", &self.printers.len())
            .field("jobs", &self.jobs.len())
            .finish_non_exhaustive()
    }
}

impl Supervisor {
    /// A supervisor with no printers.
    pub(crate) fn new(
        store: Arc<dyn HubStore>,
        factory: TransportFactory,
        machine_config: MachineConfig,
        events: broadcast::Sender<Event>,
        retention: Retention,
        link: LinkConfig,
    ) -> Self {
        Supervisor {
            printers: HashMap::new(),
            slugs: HashMap::new(),
            jobs: JobIndex::new(KEEP_ENDED),
            store,
            factory,
            machine_config,
            events,
            retention,
            link,
            shutting_down: false,
        }
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // Ids only: decoding every stored job (and its raster) to learn its
        // printer made start-up grow with the store (issue #17).
        match self.store.load_job_index(KEEP_ENDED) {
            Ok(index) => {
                for (job, printer, ended) in index {
                    if ended {
                        self.jobs.ended(job, printer);
                    } else {
                        self.jobs.insert(job, printer);
                    }
                }
            }
            Err(e) => log::error!("cannot index stored jobs: {e}"),
        }
        // Every registered printer comes back with its queue, even one whose address
        // does not resolve now or cannot work (offline with the reason); one whose
        // queue cannot be read is logged and skipped, never stopping the others.
        match self.store.load_printers() {
            Ok(printers) => {
                for config in printers {
                    let slug = config.slug.clone();
                    if let Err(e) = self.restore(config, ctx) {
                        log::error!("printer {slug} not started: {e}");
                    }
                }
            }
            Err(e) => log::error!("cannot load the printer registry: {e}"),
        }
        // Retention: prune finished jobs now and then, on the blocking pool, one
        // prune at a time: a tick that finds the last one still running (a large
        // store, a busy machine) is skipped instead of queueing on the blocking
        // pool ahead of the encoding that `submit` waits for.
        let retention = self.retention;
        if retention.max_age.is_some() || retention.max_finished.is_some() {
            let pruning = Rc::new(Cell::new(false));
            ctx.run_interval(retention.every, move |act, _ctx| {
                if pruning.replace(true) {
                    return;
                }
                let pruning = Rc::clone(&pruning);
                let store = act.store.clone();
                let max_age = retention.max_age.map(|d| d.as_millis() as i64);
                actix_rt::spawn(async move {
                    let pruned = actix_rt::task::spawn_blocking(move || {
                        store.prune(max_age, retention.max_finished, crate::clock::now())
                    })
                    .await;
                    pruning.set(false);
                    match pruned {
                        Ok(Ok(0)) => {}
                        Ok(Ok(n)) => log::info!("pruned {n} finished job(s)"),
                        Ok(Err(e)) => log::error!("pruning finished jobs failed: {e}"),
                        Err(e) => log::error!("pruning task failed: {e}"),
                    }
                });
            });
        }
    }
}

impl Handler<AddPrinter> for Supervisor {
    type Result = Result<PrinterInfo, HubError>;

    fn handle(&mut self, msg: AddPrinter, ctx: &mut Self::Context) -> Self::Result {
        if self.shutting_down {
            return Err(HubError::ShuttingDown);
        }
        let mut config = msg.config;
        config.validate()?;
        if self.slugs.contains_key(&config.slug) {
            return Err(HubError::PrinterExists(config.slug));
        }
        let id = *config
            .id
            .get_or_insert_with(|| PrinterId::from_uuid(uuid::Uuid::new_v4()));
        if self.printers.contains_key(&id) {
            return Err(HubError::PrinterExists(id.to_string()));
        }
        // Everything that can refuse the printer runs before the store is touched.
        let actor = self.build_printer(config.clone(), id, ctx, Fallback::Refuse)?;
        self.store.save_printer(&config, AUDIT_ACTOR)?;
        Ok(self.start_printer(config, id, actor))
    }
}

impl Handler<UpdatePrinter> for Supervisor {
    type Result = ResponseFuture<Result<PrinterInfo, HubError>>;

    fn handle(&mut self, msg: UpdatePrinter, _ctx: &mut Self::Context) -> Self::Result {
        let patch = msg.patch;
        let factory = self.factory.clone();
        let result = self.change_printer(&msg.printer, |config| {
            if let Some(v) = patch.name {
                config.name = v;
            }
            if let Some(v) = patch.model {
                config.model = v;
            }
            if let Some(v) = patch.media {
                config.media = v;
            }
            if let Some(v) = patch.address {
                config.address = v;
            }
            if let Some(v) = patch.snmp {
                config.snmp = (!v.trim().is_empty()).then_some(v);
            }
            if let Some(v) = patch.snmp_community {
                config.snmp_community = Some(v);
            }
            if let Some(v) = patch.defaults {
                config.defaults = v;
            }
            // The whole new configuration must work before it is stored: valid
            // fields, and a transport the printer actor can build from it.
            config.validate()?;
            factory(config).map(drop)
        });
        Box::pin(async move {
            let (addr, config) = result?;
            addr.send(ReconfigurePrinter { config }).await?
        })
    }
}

impl Handler<RemovePrinter> for Supervisor {
    type Result = ResponseActFuture<Self, Result<(), HubError>>;

    fn handle(&mut self, msg: RemovePrinter, _ctx: &mut Self::Context) -> Self::Result {
        let found = self.resolve(&msg.printer).and_then(|id| {
            self.printers
                .get(&id)
                .map(|e| (id, e.addr.clone()))
                .ok_or(HubError::PrinterNotFound(msg.printer.clone()))
        });
        let key = msg.printer;
        Box::pin(
            async move {
                let (id, addr) = found?;
                let info = addr
                    .send(GetPrinter {
                        printer: key.clone(),
                    })
                    .await??;
                if info.queue_depth > 0 || info.printing.is_some() {
                    return Err(HubError::PrinterBusy(key));
                }
                Ok((id, addr))
            }
            .into_actor(self)
            .map(|result, act, _ctx| {
                let (id, addr) = result?;
                act.store.delete_printer(id, AUDIT_ACTOR)?;
                // Re-check after the await: the registry may have changed meanwhile.
                if let Some(entry) = act.printers.remove(&id) {
                    act.slugs.remove(&entry.config.slug);
                }
                addr.do_send(StopPrinter { removed: true });
                Ok(())
            }),
        )
    }
}

impl Handler<ListPrinters> for Supervisor {
    type Result = ResponseFuture<Vec<PrinterInfo>>;

    fn handle(&mut self, _msg: ListPrinters, _ctx: &mut Self::Context) -> Self::Result {
        let requests: Vec<_> = self
            .printers
            .values()
            .map(|e| {
                e.addr.send(GetPrinter {
                    printer: e.config.slug.clone(),
                })
            })
            .collect();
        Box::pin(async move {
            let mut infos: Vec<PrinterInfo> = join_all(requests)
                .await
                .into_iter()
                .filter_map(|r| r.ok().and_then(Result::ok))
                .collect();
            infos.sort_by(|a, b| a.slug.cmp(&b.slug));
            infos
        })
    }
}

impl Handler<CountAllJobs> for Supervisor {
    type Result = ResponseFuture<Result<Vec<(JobState, usize)>, HubError>>;

    fn handle(&mut self, _msg: CountAllJobs, _ctx: &mut Self::Context) -> Self::Result {
        let requests: Vec<_> = self
            .printers
            .values()
            .map(|e| e.addr.send(CountJobs))
            .collect();
        Box::pin(async move {
            let mut total: Vec<(JobState, usize)> =
                JobState::ALL.into_iter().map(|s| (s, 0)).collect();
            for counts in join_all(requests).await {
                for (state, n) in counts? {
                    if let Some(slot) = total.iter_mut().find(|(s, _)| *s == state) {
                        slot.1 += n;
                    }
                }
            }
            Ok(total)
        })
    }
}

impl Handler<ListAllJobs> for Supervisor {
    type Result = ResponseFuture<Result<Vec<Job>, HubError>>;

    fn handle(&mut self, msg: ListAllJobs, _ctx: &mut Self::Context) -> Self::Result {
        let targets: Result<Vec<Addr<PrinterActor>>, HubError> = match &msg.printer {
            Some(key) => self.resolve(key).and_then(|id| {
                self.printers
                    .get(&id)
                    .map(|e| vec![e.addr.clone()])
                    .ok_or(HubError::PrinterNotFound(key.clone()))
            }),
            None => Ok(self.printers.values().map(|e| e.addr.clone()).collect()),
        };
        let filter = msg.filter;
        Box::pin(async move {
            let requests = targets?.into_iter().map(|a| a.send(filter.clone()));
            let mut jobs = Vec::new();
            for result in join_all(requests).await {
                jobs.extend(result?);
            }
            Ok(jobs)
        })
    }
}

impl Handler<Published> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: Published, _ctx: &mut Self::Context) {
        match &msg.0 {
            Event::JobStateChanged(e) if e.to.is_terminal() => {
                self.jobs.ended(e.job_id, e.printer_id)
            }
            Event::JobStateChanged(e) => self.jobs.insert(e.job_id, e.printer_id),
            _ => {}
        }
        // No subscriber is not an error; a slow one loses the oldest events.
        let _ = self.events.send(msg.0);
    }
}

impl Handler<PrinterStopped> for Supervisor {
    type Result = ();

    fn handle(&mut self, msg: PrinterStopped, ctx: &mut Self::Context) {
        if msg.removed || self.shutting_down {
            return;
        }
        let Some(config) = self.printers.get(&msg.printer_id).map(|e| e.config.clone()) else {
            return;
        };
        log::warn!(
            "printer {} stopped; restarting it from the store",
            config.slug
        );
        match self.build_printer(config, msg.printer_id, ctx, Fallback::Unusable) {
            Ok(actor) => {
                let addr = actor.start();
                if let Some(entry) = self.printers.get_mut(&msg.printer_id) {
                    entry.addr = addr;
                    entry.restarts += 1;
                    log::info!(
                        "printer {} restarted ({} restart(s) so far)",
                        entry.config.slug,
                        entry.restarts
                    );
                }
            }
            Err(e) => log::error!("cannot restart printer {}: {e}", msg.printer_id),
        }
    }
}

impl Handler<Shutdown> for Supervisor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _msg: Shutdown, _ctx: &mut Self::Context) -> Self::Result {
        self.shutting_down = true;
        let drains: Vec<_> = self
            .printers
            .values()
            .map(|e| e.addr.send(DrainPrinter))
            .collect();
        Box::pin(async move {
            join_all(drains).await;
        })
    }
}

/// Forwards a printer-keyed message to the printer actor it names.
macro_rules! forward_by_printer {
    ($($msg:ty),* $(,)?) => {$(
        impl Handler<$msg> for Supervisor {
            type Result = ResponseFuture<<$msg as Message>::Result>;

            fn handle(&mut self, msg: $msg, _ctx: &mut Self::Context) -> Self::Result {
                let addr = self.printer_addr(&msg.printer);
                Box::pin(async move { addr?.send(msg).await? })
            }
        }
    )*};
}

forward_by_printer!(GetPrinter, GetQueue, ClearQueue, ReloadPrinter,);

/// Pause and resume reach the printer first; once it accepted, the paused flag is
/// stored so a restart keeps the printer as the user left it.
macro_rules! forward_and_remember_pause {
    ($($msg:ty => $paused:expr),* $(,)?) => {$(
        impl Handler<$msg> for Supervisor {
            type Result = ResponseActFuture<Self, Result<PrinterInfo, HubError>>;

            fn handle(&mut self, msg: $msg, _ctx: &mut Self::Context) -> Self::Result {
                let key = msg.printer.clone();
                let addr = self.printer_addr(&msg.printer);
                Box::pin(
                    async move { addr?.send(msg).await? }
                        .into_actor(self)
                        .map(move |result, act, _ctx| {
                            let info = result?;
                            act.change_printer(&key, |c| {
                                c.paused = $paused;
                                Ok(())
                            })?;
                            Ok(info)
                        }),
                )
            }
        }
    )*};
}

forward_and_remember_pause!(PausePrinter => true, ResumePrinter => false);

impl Handler<SetPrinterEnabled> for Supervisor {
    type Result = ResponseFuture<Result<PrinterInfo, HubError>>;

    fn handle(&mut self, msg: SetPrinterEnabled, _ctx: &mut Self::Context) -> Self::Result {
        let enabled = msg.enabled;
        let result = self.change_printer(&msg.printer, |config| {
            config.enabled = enabled;
            Ok(())
        });
        Box::pin(async move { result?.0.send(msg).await? })
    }
}

/// Forwards a job-keyed message to the printer that owns the job.
macro_rules! forward_by_job {
    ($($msg:ty),* $(,)?) => {$(
        impl Handler<$msg> for Supervisor {
            type Result = ResponseFuture<<$msg as Message>::Result>;

            fn handle(&mut self, msg: $msg, _ctx: &mut Self::Context) -> Self::Result {
                let route = self.job_route(msg.job_id);
                Box::pin(async move { route.await?.1.send(msg).await? })
            }
        }
    )*};
}

forward_by_job!(CancelJob, HoldJob, ReleaseJob, GetJob);

impl Handler<GetJobSnapshots> for Supervisor {
    type Result = ResponseFuture<Vec<Job>>;

    /// Nothing for a printer the registry no longer has (its jobs are
    /// read from the store, as every job no printer holds).
    fn handle(&mut self, msg: GetJobSnapshots, _ctx: &mut Self::Context) -> Self::Result {
        let addr = self.printers.get(&msg.printer).map(|e| e.addr.clone());
        Box::pin(async move {
            match addr {
                Some(addr) => addr.send(msg).await.unwrap_or_default(),
                None => Vec::new(),
            }
        })
    }
}

impl Handler<RetryJob> for Supervisor {
    type Result = ResponseActFuture<Self, Result<Job, HubError>>;

    fn handle(&mut self, msg: RetryJob, _ctx: &mut Self::Context) -> Self::Result {
        let route = self.job_route(msg.job_id);
        let new_id = msg.new_job_id;
        Box::pin(
            async move {
                let (printer, addr) = route.await?;
                addr.send(msg).await?.map(|job| (printer, job))
            }
            .into_actor(self)
            .map(move |result, act, _ctx| {
                let (printer, job) = result?;
                act.jobs.insert(new_id, printer);
                Ok(job)
            }),
        )
    }
}

impl Handler<SubmitJobs> for Supervisor {
    type Result = ResponseActFuture<Self, Result<Vec<Job>, HubError>>;

    fn handle(&mut self, msg: SubmitJobs, _ctx: &mut Self::Context) -> Self::Result {
        let addr = if self.shutting_down {
            Err(HubError::ShuttingDown)
        } else {
            self.printer_addr(&msg.printer)
        };
        Box::pin(
            async move { addr?.send(msg).await? }
                .into_actor(self)
                .map(|result, act, _ctx| {
                    if let Ok(jobs) = &result {
                        for job in jobs {
                            act.jobs.insert(job.id, job.spec.printer_id);
                        }
                    }
                    result
                }),
        )
    }
}

impl Supervisor {
    fn resolve(&self, key: &str) -> Result<PrinterId, HubError> {
        if let Ok(id) = key.parse::<PrinterId>() {
            if self.printers.contains_key(&id) {
                return Ok(id);
            }
        }
        self.slugs
            .get(key)
            .copied()
            .ok_or_else(|| HubError::PrinterNotFound(key.to_string()))
    }

    fn printer_addr(&self, key: &str) -> Result<Addr<PrinterActor>, HubError> {
        let id = self.resolve(key)?;
        self.printers
            .get(&id)
            .map(|e| e.addr.clone())
            .ok_or_else(|| HubError::PrinterNotFound(key.to_string()))
    }

    /// The printer of `job_id` and its address: from the index, or, for an
    /// older job, from the store (read on a blocking thread).
    fn job_route(
        &self,
        job_id: JobId,
    ) -> LocalBoxFuture<'static, Result<(PrinterId, Addr<PrinterActor>), HubError>> {
        if let Some(printer) = self.jobs.get(&job_id) {
            let route = self
                .printers
                .get(&printer)
                .map(|e| (printer, e.addr.clone()))
                .ok_or(HubError::JobNotFound(job_id));
            return Box::pin(std::future::ready(route));
        }
        let store = self.store.clone();
        let addrs: HashMap<PrinterId, Addr<PrinterActor>> = self
            .printers
            .iter()
            .map(|(id, e)| (*id, e.addr.clone()))
            .collect();
        Box::pin(async move {
            let read = actix_rt::task::spawn_blocking(move || store.load_job_printer(job_id))
                .await
                .map_err(|e| HubError::Unavailable(format!("store read failed: {e}")))?;
            read?
                .and_then(|printer| addrs.get(&printer).map(|addr| (printer, addr.clone())))
                .ok_or(HubError::JobNotFound(job_id))
        })
    }

    /// Applies `change` to a copy of a printer's configuration; if it accepts the
    /// result, stores it and keeps it in the registry. A refusal (by `change` or
    /// the store) changes nothing. Answers the printer's address and the new
    /// configuration.
    fn change_printer(
        &mut self,
        key: &str,
        change: impl FnOnce(&mut PrinterConfig) -> Result<(), HubError>,
    ) -> Result<(Addr<PrinterActor>, PrinterConfig), HubError> {
        let id = self.resolve(key)?;
        let entry = self
            .printers
            .get_mut(&id)
            .ok_or_else(|| HubError::PrinterNotFound(key.to_string()))?;
        let mut config = entry.config.clone();
        change(&mut config)?;
        self.store.save_printer(&config, AUDIT_ACTOR)?;
        entry.config = config.clone();
        Ok((entry.addr.clone(), config))
    }

    /// Starts a stored printer (start-up). Only a printer without an id or
    /// whose queue cannot be loaded is refused: one whose configuration cannot
    /// reach a printer starts offline with the reason, its queue listed.
    fn restore(&mut self, config: PrinterConfig, ctx: &mut Context<Self>) -> Result<(), HubError> {
        let id = config.id.ok_or(HubError::InvalidPrinter {
            field: "id",
            message: "a registered printer has an id".into(),
        })?;
        let actor = self.build_printer(config.clone(), id, ctx, Fallback::Unusable)?;
        self.start_printer(config, id, actor);
        Ok(())
    }

    /// Starts a built printer actor and indexes it.
    fn start_printer(
        &mut self,
        config: PrinterConfig,
        id: PrinterId,
        actor: PrinterActor,
    ) -> PrinterInfo {
        let info = actor.info();
        let addr = actor.start();
        self.slugs.insert(config.slug.clone(), id);
        self.printers.insert(
            id,
            Entry {
                config,
                addr,
                restarts: 0,
            },
        );
        info
    }

    /// Builds (does not start) a printer actor: its transport, and its queue from the store.
    fn build_printer(
        &self,
        config: PrinterConfig,
        id: PrinterId,
        ctx: &mut Context<Self>,
        fallback: Fallback,
    ) -> Result<PrinterActor, HubError> {
        PrinterActor::new(PrinterParts {
            config,
            id,
            machine_config: self.machine_config.clone(),
            factory: self.factory.clone(),
            store: self.store.clone(),
            events: ctx.address().recipient(),
            stopped: ctx.address().recipient(),
            link: self.link,
            fallback,
        })
    }
}
