//! What a printer keeps in memory (issue #17): the queue's head — the next
//! [`RESIDENT_CHAINS`] chains' worth of queued jobs — is held whole, with
//! its rasters; every queued job beyond it is *parked* (the machine keeps
//! its id and creation time, the store the rest), and a held or ended job
//! keeps its metadata but not its raster. As the queue moves, the head's
//! parked jobs and released rasters are read back ahead of time on a
//! blocking thread (the prefetch), and a chain whose prefetch has not
//! landed yet reads its rasters itself while its stream is built
//! (`stream::StreamPlan::build_with`), so a long queue costs a few dozen
//! bytes per job, not its labels or its metadata.
//!
//! A command on a parked job (cancel, hold, release, clear, the queue
//! timeout) reads it back first, off the actor thread, then acts
//! ([`PrinterActor::unpark_then`]).
//!
//! A restart reads the head of the queue whole (rasters released) and the
//! queued jobs beyond it as their places only
//! ([`HubStore::load_printer_restore`]): they start parked, so a long
//! queue restarts in memory bounded by its head.
//!
//! The metadata of the last [`PARKED_VIEWS`] jobs parked stays at hand
//! ([`ParkedViews`]): the event log describes every job just submitted, and
//! most of a burst is parked by then; it reads them from here instead of
//! the store. A view is only answered while its job is still parked, and a
//! parked job does not change (any command reads it back first), so the
//! view is what the store holds.
//!
//! Invariant: a job is parked, or its raster released, only once the last
//! commit holding a snapshot of it has resolved (`uncommitted` counts the
//! commits in flight per job), so the store always holds what memory
//! dropped, as it is now; a released job is persisted without its raster
//! (`printhub-store` keeps the row's raster as it is).

use super::PrinterActor;
use crate::store::HubStore;
use crate::HubError;
use actix::prelude::*;
use printhub_core::{Job, JobId, MachineConfig};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// How many parked jobs' metadata a printer keeps at hand: more than the
/// event log takes in one go. A view of a job read back since is left for
/// the cap to drop (it is never answered: only parked jobs are).
pub(crate) const PARKED_VIEWS: usize = 512;

/// The metadata (raster released) of the jobs a printer parked last, at
/// most [`PARKED_VIEWS`], the oldest forgotten first.
#[derive(Debug, Default)]
pub(crate) struct ParkedViews {
    jobs: HashMap<JobId, Job>,
    order: VecDeque<JobId>,
}

impl ParkedViews {
    /// Keeps `job` (just parked, as stored), forgetting the oldest beyond the cap.
    fn insert(&mut self, mut job: Job) {
        job.spec.raster = printhub_core::released_raster();
        let id = job.id;
        if self.jobs.insert(id, job).is_none() {
            self.order.push_back(id);
        }
        while self.order.len() > PARKED_VIEWS {
            if let Some(old) = self.order.pop_front() {
                self.jobs.remove(&old);
            }
        }
    }

    fn get(&self, id: JobId) -> Option<&Job> {
        self.jobs.get(&id)
    }

    /// Forgets everything, memory included (nothing is parked any more).
    fn clear(&mut self) {
        if !self.order.is_empty() {
            *self = ParkedViews::default();
        }
    }
}

/// How many chains' worth of jobs at the head of the queue keep their
/// rasters in memory: the one being printed or built and the next.
pub(crate) const RESIDENT_CHAINS: usize = 2;

/// How many jobs at the head of the queue a printer with `config` holds
/// whole (and restarts with whole).
pub(super) fn resident_jobs_for(config: &MachineConfig) -> usize {
    config.max_chain_pages.max(1) * RESIDENT_CHAINS
}

/// Above this many parked jobs, a read-back reads the printer's jobs in
/// one statement (metadata only) instead of one row at a time.
const ONE_BY_ONE: usize = 64;

/// What a read-back of parked jobs found: each id with its stored
/// snapshot, or `None` if the store has no such job.
type Unparked = Vec<(JobId, Option<Job>)>;

impl PrinterActor {
    /// How many jobs at the head of the queue are held whole.
    pub(super) fn resident_jobs(&self) -> usize {
        resident_jobs_for(self.machine.config())
    }

    /// The metadata of `id` if it is parked and was parked lately.
    pub(super) fn parked_view(&self, id: JobId) -> Option<&Job> {
        if self.machine.is_parked(id) {
            self.parked_views.get(id)
        } else {
            None
        }
    }

    /// Before a commit: the jobs whose snapshots it holds.
    pub(super) fn committing(&mut self, ids: &[JobId]) {
        for id in ids {
            *self.uncommitted.entry(*id).or_default() += 1;
        }
    }

    /// After a commit resolved (`durable`: it succeeded): the jobs no other
    /// commit in flight holds, and that wait beyond the head of the queue
    /// or have ended, leave memory — queued ones parked, the others their
    /// rasters released.
    pub(super) fn committed(&mut self, ids: &[JobId], durable: bool) {
        let mut settled = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(n) = self.uncommitted.get_mut(id) {
                *n -= 1;
                if *n == 0 {
                    self.uncommitted.remove(id);
                    settled.push(*id);
                }
            }
        }
        if self.uncommitted.is_empty() && self.uncommitted.capacity() > 1024 {
            self.uncommitted.shrink_to_fit();
        }
        if !durable || settled.is_empty() {
            return;
        }
        let resident = self.resident_jobs();
        let head: HashSet<JobId> = if self.machine.queue_len() > resident {
            self.machine.upcoming(resident).into_iter().collect()
        } else {
            self.machine.queue_ids().collect()
        };
        for id in settled {
            let Some(job) = self.machine.job(id) else {
                continue;
            };
            let (terminal, waiting) = (job.state.is_terminal(), job.state.is_waiting());
            if waiting && head.contains(&id) {
                continue;
            }
            if terminal || waiting {
                // Parks a queued job; a held one (or one the machine keeps
                // whole for now) lets its raster go.
                match self.machine.park_taking(id) {
                    Some(parked) => self.parked_views.insert(parked),
                    None => {
                        self.machine.release_raster(id);
                    }
                }
            }
        }
    }

    /// Parks the queued jobs beyond the head of a queue just restored from
    /// the store (every one of them is durable as it is).
    pub(super) fn park_restored(&mut self) {
        let resident = self.resident_jobs();
        if self.machine.queue_len() <= resident {
            return;
        }
        let head: HashSet<JobId> = self.machine.upcoming(resident).into_iter().collect();
        let beyond: Vec<JobId> = self
            .machine
            .queue_ids()
            .filter(|id| !head.contains(id))
            .collect();
        for id in beyond {
            if !self.machine.park(id) {
                self.machine.release_raster(id);
            }
        }
    }

    /// Reads back, on a blocking thread, the parked jobs and released
    /// rasters of the head of the queue that are not being read already;
    /// the printer goes on with them (a parked head held it back).
    pub(super) fn prefetch(&mut self, ctx: &mut Context<Self>) {
        let resident = self.resident_jobs();
        let mut parked = Vec::new();
        let mut rasters = Vec::new();
        for id in self.machine.upcoming(resident) {
            if self.prefetching.contains(&id) {
                continue;
            }
            if self.machine.is_parked(id) {
                parked.push(id);
            } else if self
                .machine
                .job(id)
                .is_some_and(|j| j.spec.raster_released())
            {
                rasters.push(id);
            }
        }
        if parked.is_empty() && rasters.is_empty() {
            return;
        }
        self.prefetching
            .extend(parked.iter().chain(&rasters).copied());
        let store = self.store.clone();
        let read = actix_rt::task::spawn_blocking(move || {
            let jobs: Vec<_> = parked
                .into_iter()
                .map(|id| (id, load_with_raster(store.as_ref(), id)))
                .collect();
            let rasters: Vec<_> = rasters
                .into_iter()
                .map(|id| (id, store.load_raster(id)))
                .collect();
            (jobs, rasters)
        });
        ctx.spawn(read.into_actor(self).map(|read, act, ctx| {
            let Ok((jobs, rasters)) = read else {
                log::warn!("printer {}: the read-ahead task failed", act.config.slug);
                act.prefetching.clear();
                act.prefetch_later(ctx);
                return;
            };
            let mut failed = false;
            let mut found = Vec::new();
            for (id, job) in jobs {
                act.prefetching.remove(&id);
                match job {
                    Ok(job) => found.push((id, job)),
                    // A row that cannot be decoded never will be: like a
                    // corrupt row at start-up, it is reported and skipped.
                    Err(e) if e.code == printhub_store::StoreCode::Corrupt => {
                        log::error!("printer {}: job {id}: {e}", act.config.slug);
                        found.push((id, None));
                    }
                    Err(e) => {
                        log::warn!(
                            "printer {}: job {id}: not read back ahead: {e}",
                            act.config.slug
                        );
                        failed = true;
                    }
                }
            }
            act.take_unparked(found);
            for (id, raster) in rasters {
                act.prefetching.remove(&id);
                match raster {
                    // A job that ended meanwhile needs it no more.
                    Ok(Some(raster))
                        if act.machine.job(id).is_some_and(|j| j.state.is_waiting()) =>
                    {
                        act.machine.restore_raster(id, raster);
                    }
                    Ok(Some(_)) => {}
                    // The chain's build reads it again and fails the job with the reason.
                    Ok(None) => {}
                    Err(e) => log::warn!(
                        "printer {}: job {id}: raster not read ahead: {e}",
                        act.config.slug
                    ),
                }
            }
            if failed {
                act.prefetch_later(ctx);
            }
            if act.machine.has_actions() {
                act.drive(ctx);
            }
        }));
    }

    /// Tries the read-ahead again in a second (the store failed a read: a
    /// parked head must not wait for the next thing that happens).
    fn prefetch_later(&mut self, ctx: &mut Context<Self>) {
        ctx.run_later(std::time::Duration::from_secs(1), |act, ctx| {
            act.prefetch(ctx)
        });
    }

    /// Gives the machine back the parked jobs read from the store; one the
    /// store has no longer leaves the queue, reported.
    pub(super) fn take_unparked(&mut self, unparked: Unparked) {
        let t = crate::clock::now();
        let mut jobs = Vec::with_capacity(unparked.len());
        for (id, job) in unparked {
            match job {
                Some(job) => jobs.push(job),
                None => {
                    if self.machine.drop_parked(id, t) {
                        log::error!(
                            "printer {}: job {id} waited in the queue but the store has it no more; it is dropped",
                            self.config.slug
                        );
                    }
                }
            }
        }
        self.machine.unpark(jobs, t);
        if self.machine.parked_len() == 0 {
            self.parked_views.clear();
        }
    }

    /// Reads `ids` back (the parked ones among them) on a blocking thread,
    /// gives them to the machine, then runs `then` — a command that needs
    /// them whole. A store that fails the read fails the command.
    pub(super) fn unpark_then<T: 'static>(
        &mut self,
        ids: Vec<JobId>,
        ctx: &mut Context<Self>,
        then: impl FnOnce(&mut Self, &mut Context<Self>) -> ResponseActFuture<Self, Result<T, HubError>>
            + 'static,
    ) -> ResponseActFuture<Self, Result<T, HubError>> {
        let ids: Vec<JobId> = ids
            .into_iter()
            .filter(|id| self.machine.is_parked(*id))
            .collect();
        if ids.is_empty() {
            return then(self, ctx);
        }
        let read = read_parked(self.store.clone(), self.id, ids);
        Box::pin(
            read.into_actor(self)
                .then(move |read, act, ctx| match read {
                    Ok(unparked) => {
                        act.take_unparked(unparked);
                        then(act, ctx)
                    }
                    Err(e) => Box::pin(actix::fut::ready(Err(e))),
                }),
        )
    }
}

/// A parked job read back to print: its metadata, and its raster if the
/// store gives it back (if not, the job comes with its raster released and
/// the chain's build reads it again — and fails the job with the reason).
fn load_with_raster(store: &dyn HubStore, id: JobId) -> Result<Option<Job>, crate::StoreError> {
    let Some(mut job) = store.load_job_released(id)? else {
        return Ok(None);
    };
    if let Ok(Some(raster)) = store.load_raster(id) {
        job.spec.raster = raster;
    }
    Ok(Some(job))
}

/// Reads parked jobs from the store on a blocking thread: one at a time
/// (metadata only) for a few, the printer's jobs in one
/// statement (metadata only) for many.
async fn read_parked(
    store: Arc<dyn HubStore>,
    printer: printhub_core::PrinterId,
    ids: Vec<JobId>,
) -> Result<Unparked, HubError> {
    let read = actix_rt::task::spawn_blocking(move || {
        if ids.len() <= ONE_BY_ONE {
            return ids
                .into_iter()
                .map(|id| store.load_job_released(id).map(|job| (id, job)))
                .collect::<Result<Unparked, _>>();
        }
        let mut stored: std::collections::HashMap<JobId, Job> = store
            .load_printer_jobs_released(printer)?
            .into_iter()
            .map(|j| (j.id, j))
            .collect();
        Ok(ids.into_iter().map(|id| (id, stored.remove(&id))).collect())
    });
    read.await
        .map_err(|e| HubError::Unavailable(format!("store read failed: {e}")))?
        .map_err(HubError::from)
}
