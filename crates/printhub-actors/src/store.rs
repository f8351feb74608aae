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
//! Commits resolve in the order they were made. Loads are synchronous and
//! used at start-up and for pruned history.

use crate::PrinterConfig;
use printhub_core::{Job, JobId, PrinterId, PrinterStatus, Timestamp};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use thiserror::Error;

/// Resolves once a commit is durable.
pub type CommitFuture = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send>>;

/// A store failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("store error: {0}")]
pub struct StoreError(pub String);

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
    /// Stores (inserts or replaces) job snapshots in one durable commit.
    fn commit(&self, jobs: Vec<Job>) -> CommitFuture;
    /// Loads one job.
    fn load_job(&self, id: JobId) -> Result<Option<Job>, StoreError>;
    /// Loads every job of one printer, in no particular order.
    fn load_printer_jobs(&self, printer: PrinterId) -> Result<Vec<Job>, StoreError>;
    /// Loads every job, in no particular order.
    fn load_all_jobs(&self) -> Result<Vec<Job>, StoreError>;
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
    fn insert(&mut self, job: Job) {
        match self.index.get(&job.id) {
            Some(&i) => self.rows[i] = job,
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
            .map_err(|_| StoreError("memory store poisoned".into()))
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
            .map_err(|_| StoreError("memory store poisoned".into()))?;
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
            .map_err(|_| StoreError("memory store poisoned".into()))?;
        printers.retain(|p| p.id != Some(id));
        Ok(())
    }

    fn load_printers(&self) -> Result<Vec<PrinterConfig>, StoreError> {
        let printers = self
            .printers
            .lock()
            .map_err(|_| StoreError("memory store poisoned".into()))?;
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
    fn commit(&self, jobs: Vec<Job>) -> CommitFuture {
        let commit = printhub_store::Store::commit(self, jobs);
        Box::pin(async move {
            commit
                .await
                .map_err(|e| StoreError(format!("{} ({})", e, e.code())))
        })
    }

    fn load_job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        printhub_store::Store::load_job(self, id).map_err(|e| StoreError(e.to_string()))
    }

    fn load_printer_jobs(&self, printer: PrinterId) -> Result<Vec<Job>, StoreError> {
        let loaded = printhub_store::Store::load_printer_jobs(self, printer)
            .map_err(|e| StoreError(e.to_string()))?;
        report_corrupt(&loaded.corrupt);
        Ok(loaded.jobs)
    }

    fn load_all_jobs(&self) -> Result<Vec<Job>, StoreError> {
        let loaded =
            printhub_store::Store::load_all_jobs(self).map_err(|e| StoreError(e.to_string()))?;
        report_corrupt(&loaded.corrupt);
        Ok(loaded.jobs)
    }

    fn save_printer(&self, config: &PrinterConfig, actor: &str) -> Result<(), SavePrinterError> {
        let id = config
            .id
            .ok_or_else(|| StoreError("a printer is saved with its id".into()))?;
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
        record.defaults = serde_json::json!({ "snmp": config.snmp, "paused": config.paused });
        match printhub_store::Store::save_printer(self, &record, actor, now()) {
            Ok(_) => Ok(()),
            Err(printhub_store::StoreError::SlugTaken { slug, .. }) => {
                Err(SavePrinterError::SlugTaken(slug))
            }
            Err(e) => Err(store_error(e).into()),
        }
    }

    fn delete_printer(&self, id: PrinterId, actor: &str) -> Result<(), StoreError> {
        printhub_store::Store::delete_printer(self, id, actor, now()).map_err(store_error)?;
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
        printhub_store::Store::prune(self, policy, now).map_err(store_error)
    }

    fn load_printers(&self) -> Result<Vec<PrinterConfig>, StoreError> {
        let loaded = printhub_store::Store::load_printers(self).map_err(store_error)?;
        Ok(loaded
            .printers
            .into_iter()
            .map(|r| PrinterConfig {
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

fn store_error(e: printhub_store::StoreError) -> StoreError {
    StoreError(format!("{e} ({})", e.code()))
}

fn now() -> Timestamp {
    crate::clock::now()
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
