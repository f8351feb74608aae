//! Persistence seen from the engine: the [`JobStore`] trait and
//! [`MemoryStore`], the in-memory implementation with the same contract
//! that the SQLite store (issue 6) will implement.
//!
//! Contract: `save_job` returns only once the snapshot is stored, and the
//! printer actor calls it for every `Action::Persist` before it replies to
//! the caller or publishes the event; so a job a caller was told about is in
//! the store. Calls are synchronous and short; an implementation with slow
//! I/O runs behind its own actor (design: StoreActor on a SyncArbiter).

use printhub_core::{Job, JobId, PrinterId};
use std::collections::HashMap;
use std::sync::Mutex;
use thiserror::Error;

/// A store failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("store error: {0}")]
pub struct StoreError(pub String);

/// Where job snapshots are kept.
pub trait JobStore: Send + Sync + 'static {
    /// Stores (inserts or replaces) a job snapshot.
    fn save_job(&self, job: &Job) -> Result<(), StoreError>;
    /// Loads one job.
    fn load_job(&self, id: JobId) -> Result<Option<Job>, StoreError>;
    /// Loads every job of one printer, in no particular order.
    fn load_printer_jobs(&self, printer: PrinterId) -> Result<Vec<Job>, StoreError>;
    /// Loads every job, in no particular order.
    fn load_all_jobs(&self) -> Result<Vec<Job>, StoreError>;
}

/// Job snapshots in memory: the contract of [`JobStore`] without a disk.
/// Loads return jobs in the order they were first stored (as SQLite's rowid
/// order will), so a restore keeps submission order among equal timestamps.
#[derive(Debug, Default)]
pub struct MemoryStore {
    jobs: Mutex<Jobs>,
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

impl JobStore for MemoryStore {
    fn save_job(&self, job: &Job) -> Result<(), StoreError> {
        self.lock()?.insert(job.clone());
        Ok(())
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
}
