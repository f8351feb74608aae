//! Persistence seen from the engine: the [`HubStore`] trait (jobs and the
//! printer registry), [`MemoryStore`] (the same contract without a disk) and
//! the implementation for printhub-store's SQLite `Store`.
//!
//! Contract: `commit` takes the job snapshots of one batch of
//! `Action::Persist`s and returns a future that resolves once they are
//! durable. The printer actor performs nothing that follows those actions
//! (events, sends, replies to the caller) before that future resolves, so a
//! job a caller or subscriber was told about is in the store, and a job is
//! marked `printing` on disk before its first byte goes to the printer.
//! Commits resolve in the order they were made. Loads are synchronous: used
//! at start-up, and for job listings and old jobs through `HubHandle`, which
//! runs them in `spawn_blocking` (never on an actor or HTTP worker thread).

use crate::PrinterConfig;
use printhub_core::{Job, JobId, PrinterId, PrinterStatus, RestoredJob, Timestamp};
pub use printhub_store::JobQuery;
use printhub_store::StoreCode;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// Resolves once a commit is durable.
pub type CommitFuture = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>;

/// A store failure: the store's typed code and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("store error: {message} ({})", code.code())]
pub struct StoreError {
    /// What kind of failure (`store_full`, `store_read_only`, ...).
    pub code: StoreCode,
    /// What happened, for a person.
    pub message: String,
}

impl StoreError {
    /// A failure of kind `code`.
    pub fn new(code: StoreCode, message: impl Into<String>) -> Self {
        StoreError {
            code,
            message: message.into(),
        }
    }

    /// A failure no more specific code describes (`store_error`).
    pub fn other(message: impl Into<String>) -> Self {
        StoreError::new(StoreCode::Error, message)
    }
}

impl From<printhub_store::StoreError> for StoreError {
    fn from(e: printhub_store::StoreError) -> Self {
        StoreError::new(e.kind(), e.to_string())
    }
}

/// Why a printer's registration was not stored.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SavePrinterError {
    /// Another stored printer has this slug (it may be one the engine does not run).
    #[error("a printer with slug {0:?} is stored already")]
    SlugTaken(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where job snapshots are kept.
pub trait HubStore: Send + Sync + 'static {
    /// Stores (inserts or replaces) job snapshots durably, all of them or
    /// none, and resolves once they are.
    fn commit(&self, jobs: Vec<Job>) -> CommitFuture;
    /// Loads one job.
    fn load_job(&self, id: JobId) -> Result<Option<Job>, StoreError>;
    /// Loads every job of one printer, in no particular order.
    fn load_printer_jobs(&self, printer: PrinterId) -> Result<Vec<Job>, StoreError>;
    /// Loads every job, in no particular order.
    fn load_all_jobs(&self) -> Result<Vec<Job>, StoreError>;
    /// Every job of one printer with its raster released
    /// ([`JobSpec::raster_released`](printhub_core::JobSpec::raster_released)):
    /// what a printer restarts from, its rasters read back with
    /// [`load_raster`](Self::load_raster) just before they print. The
    /// default loads the jobs whole and drops their rasters; a store that
    /// keeps rasters apart reads none of them.
    fn load_printer_jobs_released(&self, printer: PrinterId) -> Result<Vec<Job>, StoreError> {
        let mut jobs = self.load_printer_jobs(printer)?;
        for job in &mut jobs {
            job.spec.raster = printhub_core::released_raster();
        }
        Ok(jobs)
    }
    /// What a printer restarts from
    /// ([`PrinterMachine::restore_from`](printhub_core::PrinterMachine::restore_from)):
    /// every job of `printer` with its raster released, but the queued ones
    /// beyond the first `whole_queued` in print order (partly printed
    /// first, then by creation), which come back parked, as their places.
    /// The default loads the jobs with
    /// [`load_printer_jobs_released`](Self::load_printer_jobs_released) and
    /// parks the rest; a store with an index reads the parked ones as
    /// three columns each.
    fn load_printer_restore(
        &self,
        printer: PrinterId,
        whole_queued: usize,
    ) -> Result<Vec<RestoredJob>, StoreError> {
        let jobs = self.load_printer_jobs_released(printer)?;
        let mut queued: Vec<(bool, Timestamp, usize)> = jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| j.state == printhub_core::JobState::Queued)
            .map(|(i, j)| (j.copies_printed == 0, j.created_at, i))
            .collect();
        queued.sort();
        let parked: std::collections::HashSet<usize> = queued
            .iter()
            .skip(whole_queued)
            .map(|(_, _, i)| *i)
            .collect();
        Ok(jobs
            .into_iter()
            .enumerate()
            .map(|(i, job)| {
                if parked.contains(&i) {
                    RestoredJob::Parked {
                        id: job.id,
                        created_at: job.created_at,
                        copies_printed: job.copies_printed,
                    }
                } else {
                    RestoredJob::Whole(Box::new(job))
                }
            })
            .collect())
    }
    /// The id and printer of every waiting or printing job, then of the
    /// newest `keep_ended` jobs that have ended (oldest first), each with
    /// whether it has ended: the supervisor's index of which printer owns a
    /// job. The default loads every job whole.
    fn load_job_index(
        &self,
        keep_ended: usize,
    ) -> Result<Vec<(JobId, PrinterId, bool)>, StoreError> {
        let jobs = self.load_all_jobs()?;
        let mut index: Vec<_> = jobs
            .iter()
            .filter(|j| !j.state.is_terminal())
            .map(|j| (j.id, j.spec.printer_id, false))
            .collect();
        let ended: Vec<_> = jobs.iter().filter(|j| j.state.is_terminal()).collect();
        let skip = ended.len().saturating_sub(keep_ended);
        index.extend(
            ended[skip..]
                .iter()
                .map(|j| (j.id, j.spec.printer_id, true)),
        );
        Ok(index)
    }
    /// One job with its raster released, `None` for an unknown job: for
    /// callers that show a job or take a parked one back, never print it.
    /// The default loads the whole job. Blocks: called off the actor threads.
    fn load_job_released(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        let mut job = self.load_job(id)?;
        if let Some(job) = &mut job {
            job.spec.raster = printhub_core::released_raster();
        }
        Ok(job)
    }
    /// [`load_job_released`](Self::load_job_released) for many jobs at
    /// once: those of `ids` the store has, in no particular order; an
    /// unknown id is left out, and so is a row that cannot be read (logged).
    /// The default reads them one by one; the SQLite store reads them in
    /// one transaction and fails the whole read on an error that says
    /// nothing about a row (busy, out of memory). Blocks: called off the
    /// actor threads.
    fn load_jobs_released(&self, ids: &[JobId]) -> Result<Vec<Job>, StoreError> {
        let mut jobs = Vec::with_capacity(ids.len());
        for id in ids {
            match self.load_job_released(*id) {
                Ok(Some(job)) => jobs.push(job),
                Ok(None) => {}
                Err(e) => log::warn!("job {id}: cannot be read back: {e}"),
            }
        }
        Ok(jobs)
    }
    /// The printer of one job, `None` for an unknown job. The default loads
    /// the whole job. Blocks: the supervisor calls it off its actor thread.
    fn load_job_printer(&self, id: JobId) -> Result<Option<PrinterId>, StoreError> {
        Ok(self.load_job(id)?.map(|j| j.spec.printer_id))
    }
    /// The raster of one job, `None` for an unknown job. The default loads
    /// the whole job. Blocks: the engine calls it off its actor threads.
    fn load_raster(&self, id: JobId) -> Result<Option<Arc<Vec<u8>>>, StoreError> {
        Ok(self.load_job(id)?.map(|j| j.spec.raster))
    }
    /// One page of the jobs matching `query`, newest first (the most
    /// recently submitted first), with how many match in all. Blocks the
    /// calling thread: `HubHandle` calls it in `spawn_blocking`.
    ///
    /// The default filters [`HubStore::load_all_jobs`] in memory (which must
    /// then answer in submission order, as [`MemoryStore`] does); a store
    /// with an index answers from it.
    fn list_jobs(&self, query: &JobQuery) -> Result<JobPage, StoreError> {
        let mut jobs = self.load_all_jobs()?;
        jobs.reverse();
        jobs.retain(|j| matches_query(j, query));
        let total = jobs.len() as u64;
        let page = jobs.into_iter().skip(query.offset);
        let jobs = match query.limit {
            Some(limit) => page.take(limit).collect(),
            None => page.collect(),
        };
        Ok(JobPage { jobs, total })
    }
    /// Stores a printer's registration (insert or update), recording `actor` in the audit trail.
    /// Printer changes are rare administrative acts: this call may wait for a commit.
    /// A slug another stored printer holds is [`SavePrinterError::SlugTaken`], and
    /// nothing is written.
    fn save_printer(&self, config: &PrinterConfig, actor: &str) -> Result<(), SavePrinterError>;
    /// Removes a printer's registration (its jobs' history stays).
    fn delete_printer(&self, id: PrinterId, actor: &str) -> Result<(), StoreError>;
    /// Every registered printer, in registration order.
    fn load_printers(&self) -> Result<Vec<PrinterConfig>, StoreError>;
    /// Records a printer's last known status (fire and forget: status is re-read anyway).
    fn save_printer_status(&self, id: PrinterId, status: &PrinterStatus);
    /// A printer's last known status, if any was stored.
    fn load_printer_status(&self, id: PrinterId) -> Option<PrinterStatus>;
    /// Deletes terminal jobs older than `max_age_ms` or beyond the newest `max_terminal`
    /// (never a queued, held or printing one); answers how many went. Slow: call it off
    /// the actor threads.
    fn prune(
        &self,
        max_age_ms: Option<i64>,
        max_terminal: Option<usize>,
        now: Timestamp,
    ) -> Result<usize, StoreError>;
}

/// One page of a job listing and the size of the whole listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobPage {
    /// The jobs of the page, newest first.
    pub jobs: Vec<Job>,
    /// How many jobs match the query (every page together).
    pub total: u64,
}

/// Whether `job` matches every filter of `query` (its `limit` and `offset` aside).
pub fn matches_query(job: &Job, query: &JobQuery) -> bool {
    let printer = job.spec.printer_id;
    query.printer.is_none_or(|p| p == printer)
        && query
            .printers
            .as_ref()
            .is_none_or(|ps| ps.contains(&printer))
        && query.state.is_none_or(|s| s == job.state)
        && query.batch.is_none_or(|b| job.spec.batch_id == Some(b))
        && query.since.is_none_or(|t| job.created_at >= t)
}

/// Job snapshots in memory: the contract of [`HubStore`] without a disk.
/// Loads return jobs in the order they were first stored (as SQLite's rowid
/// order will), so a restore keeps submission order among equal timestamps.
#[derive(Debug, Default)]
pub struct MemoryStore {
    jobs: Mutex<Jobs>,
    printers: Mutex<Vec<PrinterConfig>>,
    status: Mutex<HashMap<PrinterId, PrinterStatus>>,
}

#[derive(Debug, Default)]
struct Jobs {
    index: HashMap<JobId, usize>,
    rows: Vec<Job>,
}

impl Jobs {
    fn insert(&mut self, mut job: Job) {
        match self.index.get(&job.id) {
            Some(&i) => {
                // A released raster leaves the stored one as it is (as
                // SQLite's `job_rasters` row stays).
                if job.spec.raster_released() {
                    job.spec.raster = self.rows[i].spec.raster.clone();
                }
                self.rows[i] = job;
            }
            None => {
                self.index.insert(job.id, self.rows.len());
                self.rows.push(job);
            }
        }
    }

    fn get(&self, id: &JobId) -> Option<&Job> {
        self.index.get(id).map(|&i| &self.rows[i])
    }

    fn values(&self) -> impl Iterator<Item = &Job> {
        self.rows.iter()
    }
}

impl MemoryStore {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Jobs>, StoreError> {
        self.jobs
            .lock()
            .map_err(|_| StoreError::other("memory store poisoned"))
    }
}

impl HubStore for MemoryStore {
    fn commit(&self, jobs: Vec<Job>) -> CommitFuture {
        let result = self.lock().map(|mut store| {
            for job in jobs {
                store.insert(job);
            }
        });
        Box::pin(std::future::ready(result))
    }

    fn load_job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        Ok(self.lock()?.get(&id).cloned())
    }

    fn load_printer_jobs(&self, printer: PrinterId) -> Result<Vec<Job>, StoreError> {
        Ok(self
            .lock()?
            .values()
            .filter(|j| j.spec.printer_id == printer)
            .cloned()
            .collect())
    }

    fn load_all_jobs(&self) -> Result<Vec<Job>, StoreError> {
        Ok(self.lock()?.values().cloned().collect())
    }

    fn save_printer(&self, config: &PrinterConfig, _actor: &str) -> Result<(), SavePrinterError> {
        let mut printers = self
            .printers
            .lock()
            .map_err(|_| StoreError::other("memory store poisoned"))?;
        if printers
            .iter()
            .any(|p| p.slug == config.slug && p.id != config.id)
        {
            return Err(SavePrinterError::SlugTaken(config.slug.clone()));
        }
        match printers.iter_mut().find(|p| p.id == config.id) {
            Some(p) => *p = config.clone(),
            None => printers.push(config.clone()),
        }
        Ok(())
    }

    fn delete_printer(&self, id: PrinterId, _actor: &str) -> Result<(), StoreError> {
        let mut printers = self
            .printers
            .lock()
            .map_err(|_| StoreError::other("memory store poisoned"))?;
        printers.retain(|p| p.id != Some(id));
        Ok(())
    }

    fn load_printers(&self) -> Result<Vec<PrinterConfig>, StoreError> {
        let printers = self
            .printers
            .lock()
            .map_err(|_| StoreError::other("memory store poisoned"))?;
        Ok(printers.clone())
    }

    fn save_printer_status(&self, id: PrinterId, status: &PrinterStatus) {
        if let Ok(mut map) = self.status.lock() {
            map.insert(id, status.clone());
        }
    }

    fn load_printer_status(&self, id: PrinterId) -> Option<PrinterStatus> {
        self.status.lock().ok()?.get(&id).cloned()
    }

    fn prune(
        &self,
        max_age_ms: Option<i64>,
        max_terminal: Option<usize>,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let mut store = self.lock()?;
        let finished = |j: &Job| j.finished_at.unwrap_or(j.state_changed_at);
        // Newest first; among equal times the later-stored job is the newer.
        let mut terminal: Vec<(Timestamp, usize, JobId)> = store
            .rows
            .iter()
            .enumerate()
            .filter(|(_, j)| j.state.is_terminal())
            .map(|(row, j)| (finished(j), row, j.id))
            .collect();
        terminal.sort_by_key(|t| std::cmp::Reverse((t.0, t.1)));
        let mut doomed: Vec<JobId> = Vec::new();
        for (i, (at, _, id)) in terminal.iter().enumerate() {
            let too_old = max_age_ms.is_some_and(|age| now.as_millis() - at.as_millis() > age);
            let too_many = max_terminal.is_some_and(|n| i >= n);
            if too_old || too_many {
                doomed.push(*id);
            }
        }
        store.rows.retain(|j| !doomed.contains(&j.id));
        let index = store
            .rows
            .iter()
            .enumerate()
            .map(|(i, j)| (j.id, i))
            .collect();
        store.index = index;
        Ok(doomed.len())
    }
}

/// The SQLite spool (printhub-store) as the engine's store: commits go
/// through its group-commit writer; rows that fail to decode are reported
/// in the log and skipped, never stopping start-up.
impl HubStore for printhub_store::Store {
    /// One operation of the group-commit writer, however many snapshots:
    /// the writer runs a long one (a queue of thousands cleared) in a
    /// transaction of its own, without the savepoint that made it O(n²).
    fn commit(&self, jobs: Vec<Job>) -> CommitFuture {
        let commit = printhub_store::Store::commit(self, jobs);
        Box::pin(async move { commit.await.map_err(StoreError::from) })
    }

    fn load_job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        Ok(printhub_store::Store::load_job(self, id)?)
    }

    fn load_printer_jobs(&self, printer: PrinterId) -> Result<Vec<Job>, StoreError> {
        let loaded = printhub_store::Store::load_printer_jobs(self, printer)?;
        report_corrupt(&loaded.corrupt);
        Ok(loaded.jobs)
    }

    /// One statement that reads no raster blob.
    fn load_printer_jobs_released(&self, printer: PrinterId) -> Result<Vec<Job>, StoreError> {
        let loaded = printhub_store::Store::load_job_metadata(self, Some(printer))?;
        report_corrupt(&loaded.corrupt);
        Ok(loaded.jobs.into_iter().map(|m| m.job).collect())
    }

    /// Two statements, neither reading a raster blob; the queued rows
    /// beyond the head are three index columns each.
    fn load_printer_restore(
        &self,
        printer: PrinterId,
        whole_queued: usize,
    ) -> Result<Vec<RestoredJob>, StoreError> {
        let loaded = printhub_store::Store::load_restore(self, printer, whole_queued)?;
        report_corrupt(&loaded.corrupt);
        Ok(loaded.jobs)
    }

    fn load_raster(&self, id: JobId) -> Result<Option<Arc<Vec<u8>>>, StoreError> {
        Ok(printhub_store::Store::load_raster(self, id)?)
    }

    /// One row's metadata columns; no raster blob read.
    fn load_job_released(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        Ok(printhub_store::Store::load_job_metadata_one(self, id)?)
    }

    /// One read transaction on one pooled connection for them all.
    fn load_jobs_released(&self, ids: &[JobId]) -> Result<Vec<Job>, StoreError> {
        let loaded = printhub_store::Store::load_job_metadata_many(self, ids)?;
        report_corrupt(&loaded.corrupt);
        Ok(loaded.jobs)
    }

    /// Two columns per row; no job is decoded.
    fn load_job_index(
        &self,
        keep_ended: usize,
    ) -> Result<Vec<(JobId, PrinterId, bool)>, StoreError> {
        Ok(printhub_store::Store::load_job_index(self, keep_ended)?)
    }

    /// One column of one row.
    fn load_job_printer(&self, id: JobId) -> Result<Option<PrinterId>, StoreError> {
        Ok(printhub_store::Store::load_job_printer(self, id)?)
    }

    fn load_all_jobs(&self) -> Result<Vec<Job>, StoreError> {
        let loaded = printhub_store::Store::load_all_jobs(self)?;
        report_corrupt(&loaded.corrupt);
        Ok(loaded.jobs)
    }

    /// From the index, one read transaction for the page and its total. A
    /// row that cannot be decoded is logged and left out of the page (the
    /// total still counts it).
    fn list_jobs(&self, query: &JobQuery) -> Result<JobPage, StoreError> {
        let (loaded, total) = printhub_store::Store::page_jobs(self, query)?;
        report_corrupt(&loaded.corrupt);
        Ok(JobPage {
            jobs: loaded.jobs,
            total,
        })
    }

    fn save_printer(&self, config: &PrinterConfig, actor: &str) -> Result<(), SavePrinterError> {
        let id = config
            .id
            .ok_or_else(|| StoreError::other("a printer is saved with its id"))?;
        let mut record = printhub_store::PrinterRecord::new(
            id,
            &config.slug,
            &config.name,
            &config.model,
            &config.address,
        );
        record.media = Some(config.media.clone());
        record.enabled = config.enabled;
        record.snmp_community = config.snmp_community.clone();
        record.defaults = serde_json::json!({
            "snmp": config.snmp,
            "paused": config.paused,
            "print": config.defaults,
        });
        match printhub_store::Store::save_printer(self, &record, actor, now()) {
            Ok(_) => Ok(()),
            Err(printhub_store::StoreError::SlugTaken { slug, .. }) => {
                Err(SavePrinterError::SlugTaken(slug))
            }
            Err(e) => Err(StoreError::from(e).into()),
        }
    }

    fn delete_printer(&self, id: PrinterId, actor: &str) -> Result<(), StoreError> {
        printhub_store::Store::delete_printer(self, id, actor, now())?;
        Ok(())
    }

    fn save_printer_status(&self, id: PrinterId, status: &PrinterStatus) {
        match serde_json::to_value(status) {
            // The commit completes on the writer thread; nobody waits for it.
            Ok(json) => drop(printhub_store::Store::save_printer_status(
                self,
                id,
                &json,
                now(),
            )),
            Err(e) => log::warn!("printer {id}: status not stored: {e}"),
        }
    }

    fn load_printer_status(&self, id: PrinterId) -> Option<PrinterStatus> {
        let record = printhub_store::Store::load_printer_status(self, id).ok()??;
        serde_json::from_value(record.status).ok()
    }

    fn prune(
        &self,
        max_age_ms: Option<i64>,
        max_terminal: Option<usize>,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let policy = printhub_store::Retention {
            max_age_ms,
            max_terminal,
        };
        Ok(printhub_store::Store::prune(self, policy, now)?)
    }

    fn load_printers(&self) -> Result<Vec<PrinterConfig>, StoreError> {
        let loaded = printhub_store::Store::load_printers(self)?;
        Ok(loaded
            .printers
            .into_iter()
            .map(|r| PrinterConfig {
                defaults: print_defaults(&r.slug, r.defaults.get("print")),
                id: Some(r.id),
                slug: r.slug,
                name: r.name,
                model: r.model,
                media: r.media.unwrap_or_default(),
                address: r.address,
                enabled: r.enabled,
                snmp: r
                    .defaults
                    .get("snmp")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                snmp_community: r.snmp_community,
                paused: r
                    .defaults
                    .get("paused")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
            })
            .collect())
    }
}

fn now() -> Timestamp {
    crate::clock::now()
}

/// A stored printer's print defaults (absent before issue #20: the
/// defaults); ones that no longer read are dropped with a warning, never
/// half-applied.
fn print_defaults(
    slug: &str,
    stored: Option<&serde_json::Value>,
) -> printhub_core::PrinterDefaults {
    let Some(value) = stored else {
        return printhub_core::PrinterDefaults::default();
    };
    match serde_json::from_value::<printhub_core::PrinterDefaults>(value.clone()) {
        Ok(d) if d.validate().is_ok() => d,
        _ => {
            log::warn!(
                "printer {slug}: stored print defaults {value} do not read; using the defaults"
            );
            printhub_core::PrinterDefaults::default()
        }
    }
}

fn report_corrupt(rows: &[printhub_store::CorruptRow]) {
    for row in rows {
        log::error!(
            "stored job {} cannot be read and is skipped: {}",
            row.id,
            row.error
        );
    }
}
