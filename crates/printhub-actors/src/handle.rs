//! [`HubHandle`]: the typed front door of the engine, and [`Hub::start`],
//! which builds it. Callers (the HTTP gateway, other actix apps, examples,
//! tests) use async methods that return domain `Result`s; message structs
//! and `MailboxError` never leave this crate.
//!
//! Submitting a label encodes it with printhub-raster in `spawn_blocking`
//! (CPU work never runs on an actor thread), then hands the prepared job to
//! the printer actor, which stores it before the call returns.
//!
//! Adding or changing a printer looks its host names up here, before the
//! supervisor is asked ([`NameCheck`]): a lookup never runs on an actor
//! thread, and one that fails or takes too long refuses the change before
//! anything is stored.

use crate::address::{Target, RAW_PORT, RESOLVE_TIMEOUT, SNMP_PORT};
use crate::config_check::PrinterConfigFields;
use crate::events::EventStream;
use crate::printer::*;
use crate::store::{HubStore, JobPage, JobQuery, StoreError};
use crate::supervisor::*;
use crate::transport::TcpTimeouts;
use crate::{HubError, PrinterConfig, PrinterDraft, PrinterInfo, PrinterPatch};
use actix::{Addr, Handler, Message};
use printhub_core::{
    BatchId, Event, Job, JobId, JobSpec, JobState, MachineConfig, Name, PrintOptions, PrinterId,
};
use printhub_raster::{CutMode, Encoder, JobOptions, Label, Media, Model};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Queue limits, backoff and history of every printer.
    pub machine: MachineConfig,
    /// How long a call waits for the engine before `Unavailable`.
    pub request_timeout: Duration,
    /// Events buffered per subscriber before the oldest are dropped.
    pub event_capacity: usize,
    /// Raw TCP timeouts for the default transport.
    pub tcp: TcpTimeouts,
    /// How long shutdown waits for copies in flight.
    pub drain_timeout: Duration,
    /// Retention of finished jobs in the store (and how often it is applied).
    pub retention: Retention,
    /// How printers are watched.
    pub link: LinkConfig,
}

/// How each printer's status is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkConfig {
    /// How often an idle printer's status is read.
    pub probe_interval: Duration,
    /// A job is sent only after a status read no older than this (the preflight).
    pub preflight_max_age: Duration,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            probe_interval: Duration::from_secs(30),
            preflight_max_age: Duration::from_secs(5),
        }
    }
}

/// How long finished jobs (completed, failed, cancelled, interrupted) are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Delete finished jobs older than this.
    pub max_age: Option<Duration>,
    /// Keep at most this many finished jobs.
    pub max_finished: Option<usize>,
    /// How often to prune.
    pub every: Duration,
}

impl Default for Retention {
    /// 30 days, at most 100 000 finished jobs, pruned hourly.
    fn default() -> Self {
        Retention {
            max_age: Some(Duration::from_secs(30 * 24 * 3600)),
            max_finished: Some(100_000),
            every: Duration::from_secs(3600),
        }
    }
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            machine: MachineConfig::default(),
            request_timeout: Duration::from_secs(10),
            // Eight of the gateway's largest batches (500 labels): a subscriber busy
            // for a moment (the HTTP event log looks each job up) keeps up with bursts.
            event_capacity: 4096,
            tcp: TcpTimeouts::default(),
            drain_timeout: Duration::from_secs(30),
            retention: Retention::default(),
            link: LinkConfig::default(),
        }
    }
}

/// When the host names of a printer being added or changed are looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameCheck {
    /// Now, and a name that does not resolve refuses the change
    /// (`address_unresolvable`, naming the field): for changes a person makes,
    /// who should see a typo at once.
    Now,
    /// Only when connecting, on every attempt: a name that does not resolve
    /// leaves the printer offline with the reason `address_unresolvable`,
    /// retrying with its backoff. For printers from the configuration file at
    /// start-up, when DNS may be down: the hub starts anyway. The syntax is
    /// checked either way.
    OnConnect,
}

/// Starts the engine.
#[derive(Debug)]
pub struct Hub;

impl Hub {
    /// Starts the supervisor on the current actix system, with raw TCP transports.
    pub fn start(config: HubConfig, store: Arc<dyn HubStore>) -> HubHandle {
        let factory = tcp_factory(config.tcp);
        Hub::start_with(config, store, factory)
    }

    /// Starts the supervisor with a custom transport factory (tests, other printer links).
    pub fn start_with(
        config: HubConfig,
        store: Arc<dyn HubStore>,
        factory: TransportFactory,
    ) -> HubHandle {
        let (events, _) = broadcast::channel(config.event_capacity.max(1));
        let supervisor = actix::Actor::start(Supervisor::new(
            store.clone(),
            factory,
            config.machine.clone(),
            events.clone(),
            config.retention,
            config.link,
        ));
        HubHandle {
            supervisor,
            store,
            events,
            timeout: config.request_timeout,
            drain_timeout: config.drain_timeout,
        }
    }
}

/// One label to print.
#[derive(Debug, Clone)]
pub struct PrintRequest {
    /// The label, exactly the printable width of the printer's media.
    pub label: Label,
    /// Copies (1..=999).
    pub copies: u32,
    /// Cut options as the request gave them (the printer's capabilities
    /// are checked); what it leaves out comes from the printer's defaults
    /// ([`printhub_core::PrinterDefaults::options`], issue #20). `chain`
    /// lets the job join its neighbours in one chain (see
    /// [`PrintOptions::chain`]).
    pub options: printhub_core::RequestedOptions,
    /// What content type produced the label, for the job's record.
    pub content_type: Option<String>,
    /// What template produced the label, for the job's record.
    pub template: Option<String>,
    /// Who submitted it (API key id, or "anonymous").
    pub submitted_by: Option<String>,
    /// The client's address, if known.
    pub source_address: Option<String>,
    /// What the label was rendered from, when it was made from label data:
    /// kept with the job, so it is laid out again if the printer's medium
    /// changes while it waits (issue #20). `None` (an image, a raw raster):
    /// the job then holds with `media_mismatch` on a medium change.
    pub source: Option<printhub_render::RenderRequest>,
}

impl PrintRequest {
    /// One copy of `label`, cut after it (every option given: the printer's
    /// defaults change nothing; [`PrintRequest::with_defaults`] leaves them to it).
    pub fn new(label: Label) -> Self {
        PrintRequest {
            label,
            copies: 1,
            options: PrintOptions {
                cut: true,
                ..PrintOptions::default()
            }
            .into(),
            content_type: None,
            template: None,
            submitted_by: None,
            source_address: None,
            source: None,
        }
    }

    /// The same request with `copies` copies.
    pub fn copies(mut self, copies: u32) -> Self {
        self.copies = copies;
        self
    }

    /// The same request with the options `asked` gives, and the printer's
    /// defaults for the ones it leaves out.
    pub fn with_defaults(mut self, asked: printhub_core::RequestedOptions) -> Self {
        self.options = asked;
        self
    }
}

/// Which jobs to list ([`HubHandle::page_jobs`]: from the store, newest first).
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only this printer (id or slug).
    pub printer: Option<String>,
    /// Only these printers (an API key's allow-list); `None`: every printer.
    pub printers: Option<Vec<PrinterId>>,
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only this batch.
    pub batch: Option<BatchId>,
    /// Only jobs created at or after this time.
    pub since: Option<printhub_core::Timestamp>,
    /// Skip this many (newest first).
    pub offset: usize,
    /// At most this many (0 = no limit).
    pub limit: usize,
}

/// The typed handle to a running engine. Cheap to clone; `Send`.
///
/// What is live (queues, the job printing, a printer's state) is asked of
/// the actors; job history (listings, a job the printers no longer hold) is
/// read from the store on a blocking-task thread, so no actor and no HTTP
/// worker waits for SQLite.
#[derive(Clone)]
pub struct HubHandle {
    supervisor: Addr<Supervisor>,
    store: Arc<dyn HubStore>,
    events: broadcast::Sender<Event>,
    timeout: Duration,
    drain_timeout: Duration,
}

/// How long each step of identifying a printer may take.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// What [`HubHandle::probe_printer`] found at an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbedPrinter {
    /// A slug no printer has, from the model's name (`ql-820nwb`).
    pub slug: String,
    /// The model it named.
    pub model: String,
    /// The medium it reported loaded (a catalogue id), if any.
    pub media: Option<String>,
    /// The channel that answered: `tcp` (`ESC i S`) or `snmp`.
    pub source: String,
    /// What it said, as it said it.
    pub said: String,
    /// The SNMP agent that answered, when SNMP did (`host:port`).
    pub snmp: Option<String>,
}

impl std::fmt::Debug for HubHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubHandle")
            .field("supervisor", &self.supervisor)
            .field("timeout", &self.timeout)
            .field("drain_timeout", &self.drain_timeout)
            .finish_non_exhaustive()
    }
}

impl HubHandle {
    async fn call<M>(&self, msg: M) -> Result<M::Result, HubError>
    where
        M: Message + Send + 'static,
        M::Result: Send,
        Supervisor: Handler<M>,
    {
        self.supervisor
            .send(msg)
            .timeout(self.timeout)
            .await
            .map_err(HubError::from)
    }

    /// Asks the printer at `address` (and its SNMP agent `snmp`, if given)
    /// which model it is and which medium it holds, and proposes a slug no
    /// printer has: what `GET /api/printers/probe` answers and what adding a
    /// printer by its address alone registers (issue #20). Registers nothing.
    /// Nothing answering is `printer_unreachable`; an answer naming no model
    /// the hub knows is `printer_unidentified` with what it said.
    pub async fn probe_printer(
        &self,
        address: &str,
        snmp: Option<&str>,
        community: Option<&str>,
    ) -> Result<ProbedPrinter, HubError> {
        let target =
            Target::parse(address, RAW_PORT).map_err(|e| HubError::address("address", e))?;
        let Target::Network(endpoint) = target else {
            return Err(HubError::InvalidPrinter {
                field: "address",
                message: "a USB printer is not identified by its device path: give its model"
                    .into(),
            });
        };
        let agent = snmp
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                crate::address::Endpoint::parse(s, SNMP_PORT)
                    .map_err(|e| HubError::address("snmp", e))
            })
            .transpose()?;
        let found = crate::transport::identify(&endpoint, agent.as_ref(), community, PROBE_TIMEOUT)
            .await
            .map_err(|e| match e {
                crate::transport::Unidentified::Unreachable(message) => {
                    HubError::PrinterUnreachable { message }
                }
                crate::transport::Unidentified::UnknownModel(said) => {
                    HubError::PrinterUnidentified { said }
                }
            })?;
        Ok(ProbedPrinter {
            slug: self.free_slug(found.model).await?,
            model: found.model.name.to_string(),
            media: found.media,
            source: found.source.to_string(),
            said: found.said,
            snmp: found.snmp,
        })
    }

    /// A slug no printer has, from `model`'s name (`ql-820nwb`, then `ql-820nwb-2`…).
    async fn free_slug(&self, model: &Model) -> Result<String, HubError> {
        let taken: Vec<String> = self
            .list_printers()
            .await?
            .into_iter()
            .map(|p| p.slug)
            .collect();
        Ok(crate::transport::propose_slug(model, &taken))
    }

    /// Registers the printer `draft` describes, filling in what it leaves
    /// out (see [`PrinterDraft`]; issue #20, adding a printer by its address
    /// alone), as [`HubHandle::add_printer`] does.
    pub async fn add_printer_draft(&self, draft: PrinterDraft) -> Result<PrinterInfo, HubError> {
        let (model, found_slug, snmp) = match draft.model {
            Some(model) => (model, None, draft.snmp),
            None => {
                let found = self
                    .probe_printer(
                        &draft.address,
                        draft.snmp.as_deref(),
                        draft.snmp_community.as_deref(),
                    )
                    .await?;
                // A QL found through its host's agent reads its status there.
                (found.model, Some(found.slug), draft.snmp.or(found.snmp))
            }
        };
        let slug = match (draft.slug, found_slug) {
            (Some(slug), _) | (None, Some(slug)) => slug,
            (None, None) => {
                let known = Model::by_name(&model).ok_or_else(|| HubError::InvalidPrinter {
                    field: "model",
                    message: format!("unknown model {model:?}"),
                })?;
                self.free_slug(known).await?
            }
        };
        self.add_printer(PrinterConfig {
            id: draft.id,
            name: draft.name.unwrap_or_else(|| slug.clone()),
            slug,
            model,
            media: draft.media.unwrap_or_else(|| crate::AUTO_MEDIA.to_string()),
            address: draft.address,
            enabled: draft.enabled,
            // As in a patch, an empty SNMP address means no SNMP.
            snmp: snmp.filter(|s| !s.trim().is_empty()),
            snmp_community: draft.snmp_community,
            paused: false,
            defaults: draft.defaults,
        })
        .await
    }

    /// Registers a printer and starts printing from its stored queue. Its host
    /// names must resolve now ([`NameCheck::Now`]). A refused printer leaves
    /// nothing behind: no stored row, no audit entry.
    pub async fn add_printer(&self, config: PrinterConfig) -> Result<PrinterInfo, HubError> {
        self.add_printer_with(config, NameCheck::Now).await
    }

    /// As [`HubHandle::add_printer`], looking host names up as `names` says.
    pub async fn add_printer_with(
        &self,
        config: PrinterConfig,
        names: NameCheck,
    ) -> Result<PrinterInfo, HubError> {
        if names == NameCheck::Now {
            // What can be refused without the network is refused first.
            config.validate()?;
            resolve_field("address", Some(&config.address), RAW_PORT).await?;
            resolve_field("snmp", config.snmp.as_deref(), SNMP_PORT).await?;
        }
        self.call(AddPrinter { config }).await?
    }

    /// Changes a printer's name, model, media or addresses, live. New host
    /// names must resolve now ([`NameCheck::Now`]). A refused change leaves the
    /// printer as it was, stored and running, with no audit entry.
    pub async fn update_printer(
        &self,
        printer: &str,
        patch: PrinterPatch,
    ) -> Result<PrinterInfo, HubError> {
        self.update_printer_with(printer, patch, NameCheck::Now)
            .await
    }

    /// As [`HubHandle::update_printer`], looking host names up as `names` says.
    pub async fn update_printer_with(
        &self,
        printer: &str,
        patch: PrinterPatch,
        names: NameCheck,
    ) -> Result<PrinterInfo, HubError> {
        if names == NameCheck::Now {
            resolve_field("address", patch.address.as_deref(), RAW_PORT).await?;
            // `Some("")` takes SNMP away: nothing to look up.
            let snmp = patch.snmp.as_deref().filter(|s| !s.trim().is_empty());
            resolve_field("snmp", snmp, SNMP_PORT).await?;
        }
        self.call(UpdatePrinter {
            printer: printer.into(),
            patch,
        })
        .await?
    }

    /// Removes a printer whose queue is empty.
    pub async fn remove_printer(&self, printer: &str) -> Result<(), HubError> {
        self.call(RemovePrinter {
            printer: printer.into(),
        })
        .await?
    }

    /// Every printer, by slug.
    pub async fn list_printers(&self) -> Result<Vec<PrinterInfo>, HubError> {
        self.call(ListPrinters).await
    }

    /// One printer's view.
    pub async fn printer(&self, printer: &str) -> Result<PrinterInfo, HubError> {
        self.call(GetPrinter {
            printer: printer.into(),
        })
        .await?
    }

    /// The printer's queued and held jobs, in print order. Parked jobs
    /// (far from the head of a long queue) are read from the store, in one
    /// statement off the actor threads, without their rasters.
    pub async fn queue(&self, printer: &str) -> Result<Vec<Job>, HubError> {
        let queue = self
            .call(GetQueue {
                printer: printer.into(),
            })
            .await??;
        let parked = queue
            .entries
            .iter()
            .filter(|e| matches!(e, QueueEntry::Parked(_)))
            .count();
        let mut stored: HashMap<JobId, Job> = if parked == 0 {
            HashMap::new()
        } else {
            let printer_id = queue.printer_id;
            self.read_store(move |store| store.load_printer_jobs_released(printer_id))
                .await?
                .into_iter()
                .map(|j| (j.id, j))
                .collect()
        };
        Ok(queue
            .entries
            .into_iter()
            .filter_map(|entry| match entry {
                QueueEntry::Whole(job) => Some(*job),
                // Gone from the store since (pruned, or lost): not listed.
                QueueEntry::Parked(id) => stored.remove(&id),
            })
            .collect())
    }

    /// Pauses a printer (the current copy finishes).
    pub async fn pause_printer(&self, printer: &str) -> Result<PrinterInfo, HubError> {
        self.call(PausePrinter {
            printer: printer.into(),
        })
        .await?
    }

    /// Resumes a paused, stopped or offline printer.
    pub async fn resume_printer(&self, printer: &str) -> Result<PrinterInfo, HubError> {
        self.call(ResumePrinter {
            printer: printer.into(),
        })
        .await?
    }

    /// Enables or disables a printer.
    pub async fn set_printer_enabled(
        &self,
        printer: &str,
        enabled: bool,
    ) -> Result<PrinterInfo, HubError> {
        self.call(SetPrinterEnabled {
            printer: printer.into(),
            enabled,
        })
        .await?
    }

    /// Restarts a printer's actor from the store: queued jobs stay queued, a copy
    /// in flight becomes `interrupted` (never silently reprinted).
    pub async fn reload_printer(&self, printer: &str) -> Result<(), HubError> {
        self.call(ReloadPrinter {
            printer: printer.into(),
        })
        .await?
    }

    /// Cancels every queued and held job of a printer; returns how many.
    pub async fn clear_queue(&self, printer: &str) -> Result<usize, HubError> {
        self.call(ClearQueue {
            printer: printer.into(),
        })
        .await?
    }

    /// Encodes and queues one label. The job is stored before this returns.
    pub async fn submit(&self, printer: &str, request: PrintRequest) -> Result<Job, HubError> {
        let info = self.printer(printer).await?;
        let spec = prepare(&info, vec![request], None)
            .await?
            .pop()
            .ok_or(HubError::Unavailable("no label encoded".into()))?;
        let jobs = self
            .submit_prepared(&info.id.to_string(), vec![spec])
            .await?;
        jobs.into_iter()
            .next()
            .ok_or(HubError::Unavailable("no job returned".into()))
    }

    /// Encodes and queues several labels as one batch, in order, all or none.
    pub async fn submit_batch(
        &self,
        printer: &str,
        requests: Vec<PrintRequest>,
    ) -> Result<(BatchId, Vec<Job>), HubError> {
        let info = self.printer(printer).await?;
        let batch = BatchId::from_uuid(time_ordered_uuid());
        let specs = prepare(&info, requests, Some(batch)).await?;
        let jobs = self.submit_prepared(&info.id.to_string(), specs).await?;
        Ok((batch, jobs))
    }

    /// Queues jobs whose raster is already encoded (one copy's stream each).
    pub async fn submit_prepared(
        &self,
        printer: &str,
        specs: Vec<JobSpec>,
    ) -> Result<Vec<Job>, HubError> {
        let jobs = specs
            .into_iter()
            .map(|spec| (JobId::from_uuid(time_ordered_uuid()), spec))
            .collect();
        self.call(SubmitJobs {
            printer: printer.into(),
            jobs,
        })
        .await?
    }

    /// One job as [`job`](Self::job) finds it, but without reading a
    /// released raster back from the store (it comes `raster_released`):
    /// for callers that show or count a job and never print it — the event
    /// feed, metrics, notifications. The event feed describes every job
    /// that changes state; reading each one's raster back cost an indexed
    /// read and an inflate per submitted label (issue #17).
    pub async fn job_metadata(&self, job_id: JobId) -> Result<Job, HubError> {
        match self.call(GetJob { job_id }).await? {
            Err(HubError::JobNotFound(_)) => self
                .read_store(move |store| store.load_job_released(job_id))
                .await?
                .ok_or(HubError::JobNotFound(job_id)),
            other => other,
        }
    }

    /// [`job_metadata`](Self::job_metadata) for many jobs, each named with
    /// the printer it was submitted to (an event carries both): one message
    /// per printer for the jobs it holds, then one store read, in one
    /// transaction, for the rest. The jobs found, by id; a job neither
    /// knows is left out, and so is every job when the printer or the store
    /// does not answer in time (logged). What describes a burst of events
    /// without one round trip per event (issue #17).
    pub async fn jobs_metadata(&self, wanted: &[(PrinterId, JobId)]) -> HashMap<JobId, Job> {
        let mut by_printer: Vec<(PrinterId, Vec<JobId>)> = Vec::new();
        for (printer, id) in wanted {
            match by_printer.iter_mut().find(|(p, _)| p == printer) {
                Some((_, ids)) => ids.push(*id),
                None => by_printer.push((*printer, vec![*id])),
            }
        }
        let mut found = HashMap::with_capacity(wanted.len());
        for (printer, ids) in by_printer {
            match self.call(GetJobSnapshots { printer, ids }).await {
                Ok(jobs) => found.extend(jobs.into_iter().map(|j| (j.id, j))),
                Err(e) => log::warn!("printer {printer}: its jobs cannot be read: {e}"),
            }
        }
        let mut rest: Vec<JobId> = wanted
            .iter()
            .map(|(_, id)| *id)
            .filter(|id| !found.contains_key(id))
            .collect();
        rest.sort_unstable();
        rest.dedup();
        if !rest.is_empty() {
            match self
                .read_store(move |store| store.load_jobs_released(&rest))
                .await
            {
                Ok(jobs) => found.extend(jobs.into_iter().map(|j| (j.id, j))),
                Err(e) => log::warn!("jobs cannot be read back from the store: {e}"),
            }
        }
        found
    }

    /// One job: from its printer while the printer holds it (queued,
    /// printing, recent history), else from the store, read off the actor
    /// threads (however old, until retention prunes it).
    /// A job whose raster its printer released from memory (issue #17) comes
    /// with the raster read back from the store; one the store cannot give
    /// back (lost, damaged) comes without it (`raster_released`), logged.
    pub async fn job(&self, job_id: JobId) -> Result<Job, HubError> {
        let mut job = self.job_metadata(job_id).await?;
        if job.spec.raster_released() {
            match self
                .read_store(move |store| store.load_raster(job_id))
                .await
            {
                Ok(Some(raster)) => job.spec.raster = raster,
                Ok(None) => log::warn!("job {job_id}: the store has no raster for it"),
                Err(e) => log::warn!("job {job_id}: its raster cannot be read back: {e}"),
            }
        }
        Ok(job)
    }

    /// Jobs matching `filter`, newest first, from the store (every job it
    /// keeps, not only what the printers hold in memory).
    pub async fn list_jobs(&self, filter: JobFilter) -> Result<Vec<Job>, HubError> {
        Ok(self.page_jobs(filter).await?.jobs)
    }

    /// One page of the jobs matching `filter`, newest first (the most
    /// recently submitted first), with how many match in all: read from
    /// the store in one read transaction, off the actor threads. A `printer`
    /// key must name a printer the engine runs (`PrinterNotFound`).
    pub async fn page_jobs(&self, filter: JobFilter) -> Result<JobPage, HubError> {
        let printer = match &filter.printer {
            Some(key) => Some(self.printer(key).await?.id),
            None => None,
        };
        let query = JobQuery {
            printer,
            printers: filter.printers,
            state: filter.state,
            batch: filter.batch,
            since: filter.since,
            limit: (filter.limit > 0).then_some(filter.limit),
            offset: filter.offset,
        };
        self.read_store(move |store| store.list_jobs(&query)).await
    }

    /// Every job the printers hold in memory (their queues, what prints,
    /// and each machine's recent history), in no particular order: what
    /// the engine is working with now, without reading the store.
    pub async fn live_jobs(&self) -> Result<Vec<Job>, HubError> {
        self.call(ListAllJobs {
            printer: None,
            filter: ListJobs {
                state: None,
                batch: None,
            },
        })
        .await?
    }

    /// How many jobs the printers hold in memory in each state (every
    /// state listed, in [`JobState::ALL`] order): what `/metrics` shows,
    /// counted where the jobs are, without copying them.
    pub async fn job_counts(&self) -> Result<Vec<(JobState, usize)>, HubError> {
        self.call(crate::supervisor::CountAllJobs).await?
    }

    /// Runs a store read on a blocking-task thread.
    async fn read_store<T: Send + 'static>(
        &self,
        read: impl FnOnce(&dyn HubStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, HubError> {
        let store = self.store.clone();
        let read = actix_rt::task::spawn_blocking(move || read(store.as_ref()));
        match tokio::time::timeout(self.timeout, read).await {
            Ok(Ok(result)) => Ok(result?),
            Ok(Err(e)) => Err(HubError::Unavailable(format!("store read failed: {e}"))),
            Err(_) => Err(HubError::Unavailable(
                "the store did not answer in time".into(),
            )),
        }
    }

    /// Cancels a job (a printing job stops after its current copy).
    pub async fn cancel_job(&self, job_id: JobId) -> Result<Job, HubError> {
        self.call(CancelJob { job_id }).await?
    }

    /// Holds a queued job in its place.
    pub async fn hold_job(&self, job_id: JobId) -> Result<Job, HubError> {
        self.call(HoldJob { job_id }).await?
    }

    /// Releases a held job into its original place.
    pub async fn release_job(&self, job_id: JobId) -> Result<Job, HubError> {
        self.call(ReleaseJob { job_id }).await?
    }

    /// Prints a finished job again (completed included) as a new job, queued
    /// at the end (issue #20): laid out again from its stored request for the
    /// medium the printer's labels are laid out for now, or with its raster
    /// as it was (the printer holds it if that is for other media). The old
    /// job does not change. A stored request that no longer lays out (its
    /// template or data refused, the label too big for the medium now) is
    /// `reprint_invalid` with the renderer's reason; nothing is queued.
    pub async fn reprint_job(&self, job_id: JobId) -> Result<Job, HubError> {
        let old = self.job(job_id).await?;
        old.state
            .transition(printhub_core::JobCommand::Reprint)
            .map_err(|e| printhub_core::CommandError::InvalidJobState {
                job_id,
                from: e.from,
                command: e.command,
            })?;
        let info = self.printer(&old.spec.printer_id.to_string()).await?;
        let mut spec = old.spec;
        spec.batch_id = None;
        spec.relayouts.clear();
        if spec.request.is_some() {
            let media = info
                .layout_media
                .clone()
                .ok_or_else(|| HubError::MediaUnknown(info.slug.clone()))?;
            spec.model = info.model.as_str().into();
            let (from, target) = (spec.clone(), media.clone());
            let laid_out = actix_rt::task::spawn_blocking(move || {
                crate::printer::relayout::relayout(&from, &target)
            })
            .await
            .map_err(|e| HubError::Unavailable(format!("layout task failed: {e}")))?;
            let raster = laid_out.map_err(|e| HubError::ReprintInvalid {
                reason: e.code,
                message: e.message,
            })?;
            spec.raster = raster;
            spec.media_id = media.into();
        }
        let jobs = self
            .submit_prepared(&info.id.to_string(), vec![spec])
            .await?;
        jobs.into_iter()
            .next()
            .ok_or(HubError::Unavailable("no job returned".into()))
    }

    /// Reprints a failed, interrupted or cancelled job as a new job (same raster).
    pub async fn retry_job(&self, job_id: JobId) -> Result<Job, HubError> {
        let new_job_id = JobId::from_uuid(time_ordered_uuid());
        self.call(RetryJob { job_id, new_job_id }).await?
    }

    /// Subscribes to every event from now on.
    pub fn subscribe(&self) -> EventStream {
        EventStream::new(self.events.subscribe())
    }

    /// Stops taking work and waits (bounded) for copies in flight; queued jobs stay queued.
    pub async fn shutdown(&self) -> Result<(), HubError> {
        self.supervisor
            .send(Shutdown)
            .timeout(self.drain_timeout)
            .await
            .map_err(HubError::from)
    }
}

/// Checks that printer field `field` (if given) is `host[:port]` and resolves
/// now, within [`RESOLVE_TIMEOUT`].
async fn resolve_field(
    field: &'static str,
    address: Option<&str>,
    default_port: u16,
) -> Result<(), HubError> {
    let Some(address) = address else {
        return Ok(());
    };
    let endpoint = match Target::parse(address, default_port) {
        // A device is opened when it is used: unplugged now is not a wrong address.
        Ok(Target::Device(_)) => return Ok(()),
        Ok(Target::Network(endpoint)) => endpoint,
        Err(e) => return Err(HubError::address(field, e)),
    };
    endpoint
        .resolve(RESOLVE_TIMEOUT)
        .await
        .map_err(|e| HubError::address(field, e))?;
    Ok(())
}

/// Encodes a request for a printer, off the actor threads.
async fn prepare(
    info: &PrinterInfo,
    requests: Vec<PrintRequest>,
    batch: Option<BatchId>,
) -> Result<Vec<JobSpec>, HubError> {
    let invalid = |field, message: String| HubError::InvalidPrinter { field, message };
    let model = Model::by_name(&info.model).ok_or_else(|| invalid("model", info.model.clone()))?;
    let layout = info
        .layout_media
        .as_deref()
        .ok_or_else(|| HubError::MediaUnknown(info.slug.clone()))?;
    let media = Media::by_id(layout).ok_or_else(|| invalid("media", layout.to_string()))?;
    let limit = info.defaults.copies_limit();
    let mut planned = Vec::with_capacity(requests.len());
    for request in requests {
        if request.copies > limit {
            return Err(HubError::TooManyCopies {
                copies: request.copies,
                limit,
            });
        }
        let o = info
            .defaults
            .options(request.options, model_traits(model), batch.is_some());
        planned.push((o, request));
    }
    // One blocking task encodes every label of the batch (and keeps each
    // label's request as text): one hand-over to the pool per submit, not
    // one per label.
    let printer_id = info.id;
    let encoded = actix_rt::task::spawn_blocking(move || {
        planned
            .into_iter()
            .map(|(o, request)| {
                let raster = encode_label(model, media, &o, request.label)?;
                let mut spec = JobSpec::new(printer_id, model.name, media.id, raster)
                    .with_copies(request.copies);
                spec.options = o;
                // Label data is kept to be laid out again; an image does not serialize.
                spec.request = request
                    .source
                    .and_then(|source| printhub_core::LabelRequest::of(&source).ok());
                spec.batch_id = batch;
                spec.content_type = request.content_type.map(Name::from);
                spec.template = request.template.map(Name::from);
                spec.submitted_by = request.submitted_by.map(Name::from);
                spec.source_address = request.source_address.map(Name::from);
                Ok(spec)
            })
            .collect::<Result<Vec<JobSpec>, HubError>>()
    })
    .await
    .map_err(|e| HubError::Unavailable(format!("encoder task failed: {e}")))??;
    Ok(encoded)
}

/// What a printer's defaults need to know of its model: a half cutter, and
/// whether a batch prints as one strip unless the printer says otherwise
/// (PT models that chain and half-cut, as the reference hub printed them).
pub fn model_traits(model: &Model) -> printhub_core::ModelTraits {
    printhub_core::ModelTraits {
        half_cut: model.half_cut,
        batch_strip: model.family.is_pt() && model.chain && model.half_cut,
    }
}

/// One copy of `label` encoded for `model` and `media` with the job's
/// `options`, as the hub sends it (CPU work: callers run it off the actor
/// and HTTP threads).
pub(crate) fn encode_label(
    model: &'static Model,
    media: &'static Media,
    o: &PrintOptions,
    label: Label,
) -> Result<Vec<u8>, printhub_raster::EncodeError> {
    let mut options = JobOptions::default()
        .cut(if o.cut && model.auto_cut {
            CutMode::Every(1)
        } else {
            CutMode::None
        })
        .half_cut(o.half_cut)
        .high_res(o.high_res);
    // `o.chain` is not the printer's chain bit: every copy is a complete job that ends fed
    // (and cut); the printer actor joins jobs that opted in into one chain and feeds and
    // cuts after its last label (docs/protocol-decisions.md, "Chaining").
    if label.red.is_some() {
        options = options.two_colour(true);
    }
    Encoder::new(model, media, options)?.encode(&[label])
}

/// A new job or batch id: a UUIDv7 (RFC 9562 §5.7), random but ordered by
/// creation time, so the store's unique index on ids grows at its end
/// instead of touching a random page per job (issue #17: with random ids a
/// group commit rewrote one index page per job it wrote).
fn time_ordered_uuid() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}
