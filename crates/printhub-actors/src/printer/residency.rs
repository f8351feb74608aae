//! Which rasters a printer keeps in memory (issue #17): the queue's head —
//! the jobs of the next [`RESIDENT_CHAINS`] chains — holds its rasters,
//! every other job's raster lives only in the store. A job beyond the head
//! has its raster released once its snapshot is durable (the store has the
//! bytes); a finished job likewise. As the queue moves, the head's released
//! rasters are read back ahead of time on a blocking thread (the prefetch),
//! and a chain whose prefetch has not landed yet reads them itself while
//! its stream is built (`stream::StreamPlan::build_with`), so a long queue
//! costs its metadata, not its labels.
//!
//! Invariant: a raster is released only after the commit that stored it
//! resolved, so the store always holds what memory dropped; a released job
//! is persisted without its raster (`printhub-store` keeps the row as it is).

use super::PrinterActor;
use actix::prelude::*;
use printhub_core::JobId;
use std::collections::HashSet;

/// How many chains' worth of jobs at the head of the queue keep their
/// rasters in memory: the one being printed or built and the next.
pub(crate) const RESIDENT_CHAINS: usize = 2;

impl PrinterActor {
    /// How many jobs at the head of the queue keep their rasters.
    pub(super) fn resident_jobs(&self) -> usize {
        self.machine.config().max_chain_pages.max(1) * RESIDENT_CHAINS
    }

    /// After a commit: releases the rasters of the committed jobs that wait
    /// beyond the head of the queue or have ended.
    pub(super) fn release_committed(&mut self, committed: &[JobId]) {
        let resident = self.resident_jobs();
        let head: Option<HashSet<JobId>> = (self.machine.queue_len() > resident)
            .then(|| self.machine.queue().take(resident).map(|j| j.id).collect());
        for id in committed {
            let Some(job) = self.machine.job(*id) else {
                continue;
            };
            let release = if job.state.is_terminal() {
                true
            } else if job.state.is_waiting() {
                head.as_ref().is_some_and(|head| !head.contains(id))
            } else {
                false
            };
            if release {
                self.machine.release_raster(*id);
            }
        }
    }

    /// Reads back, on a blocking thread, the released rasters of the jobs
    /// at the head of the queue that are not being read already.
    pub(super) fn prefetch(&mut self, ctx: &mut Context<Self>) {
        let resident = self.resident_jobs();
        let wanted: Vec<JobId> = self
            .machine
            .queue()
            .take(resident)
            .filter(|j| j.spec.raster_released() && !self.prefetching.contains(&j.id))
            .map(|j| j.id)
            .collect();
        if wanted.is_empty() {
            return;
        }
        self.prefetching.extend(wanted.iter().copied());
        let store = self.store.clone();
        let read = actix_rt::task::spawn_blocking(move || {
            wanted
                .into_iter()
                .map(|id| (id, store.load_raster(id)))
                .collect::<Vec<_>>()
        });
        ctx.spawn(read.into_actor(self).map(|read, act, _ctx| {
            let Ok(read) = read else {
                log::warn!(
                    "printer {}: the raster prefetch task failed",
                    act.config.slug
                );
                act.prefetching.clear();
                return;
            };
            for (id, raster) in read {
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
        }));
    }
}
