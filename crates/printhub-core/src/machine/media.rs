//! The medium waiting jobs are for (issue #20): the machine is told the
//! medium its printer's labels are laid out for now — the pinned one, or
//! the one the printer reports — and keeps the queue in step with it.
//!
//! A waiting (`queued`) job laid out for another medium never starts and
//! never blocks the jobs behind it:
//! - made from label data (`spec.request`): it is laid out again — an
//!   [`Action::Relayout`] goes out, the job keeps its place and is skipped
//!   until [`PrinterMachine::handle_relaid_out`] brings its new raster, or
//!   goes `held` with why it could not be (`does_not_fit`, ...);
//! - made from an image or a raw raster: it goes `held` with
//!   `media_mismatch`, the medium it needs in its error's detail; it is
//!   released by itself when that medium is back.
//!
//! Plain data and pure moves, like the rest of the machine.

use std::sync::Arc;

use super::{Action, PrinterMachine};
use crate::id::{JobId, Timestamp};
use crate::job::{JobCommand, JobError, JobState};

/// The code of a job held because it was laid out for another medium.
pub const MEDIA_MISMATCH: &str = "media_mismatch";

/// Whether jobs laid out for `expected` print on `loaded` (the caller's
/// catalogue decides: a black/red roll takes jobs for the plain one).
pub type MediaFits = fn(expected: &str, loaded: &str) -> bool;

/// The medium labels are laid out for now, and how a job's medium is matched to it.
#[derive(Debug, Clone)]
pub(super) struct MediaTarget {
    pub(super) id: String,
    pub(super) fits: MediaFits,
}

impl PrinterMachine {
    /// The medium waiting jobs must be laid out for, if the caller set one.
    pub fn media(&self) -> Option<&str> {
        self.media.as_ref().map(|m| m.id.as_str())
    }

    /// Whether `job_id` is being laid out again (an [`Action::Relayout`]
    /// without its answer yet).
    pub fn is_relaying(&self, job_id: JobId) -> bool {
        self.relaying.contains(&job_id)
    }

    /// Sets the medium labels are laid out for now (`None`: unknown, waiting
    /// jobs are left alone) and sorts the queue against it: see the module
    /// docs. Pinned printers set their configured medium, `auto` ones what
    /// the printer reports.
    pub fn set_media(&mut self, media: Option<String>, fits: MediaFits, now: Timestamp) {
        let same = match (&self.media, &media) {
            (Some(old), Some(new)) => old.id == *new && std::ptr::fn_addr_eq(old.fits, fits),
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.media_all = true;
        }
        self.media = media.map(|id| MediaTarget { id, fits });
        self.pump(now);
    }

    /// The answer to an [`Action::Relayout`] of `job_id` for `media`: the new
    /// raster of one copy, or why the job cannot be laid out for it. A job
    /// no longer waiting (cancelled, held meanwhile) is left alone; a raster
    /// for a medium that is no longer the target is dropped (the job is laid
    /// out again for the medium now).
    pub fn handle_relaid_out(
        &mut self,
        job_id: JobId,
        media: &str,
        result: Result<Arc<Vec<u8>>, JobError>,
        now: Timestamp,
    ) {
        if !self.relaying.remove(&job_id) {
            return;
        }
        let waiting = self
            .jobs
            .get(&job_id)
            .is_some_and(|j| j.state == JobState::Queued);
        if !waiting {
            return;
        }
        // Laid out for the medium now, or a stale answer dropped: either
        // way the next pump looks at it again.
        self.media_pending.push(job_id);
        match result {
            Ok(raster) => {
                let current = self.media.as_ref().is_some_and(|m| m.id == media);
                let mut to = crate::Name::from(media);
                self.names.intern(&mut to);
                if let (true, Some(job)) = (current, self.jobs.get_mut(&job_id)) {
                    job.spec.raster = raster;
                    let from = std::mem::replace(&mut job.spec.media_id, to).to_string();
                    job.spec.relayouts.push(crate::job::Relayout {
                        from_media: from,
                        to_media: media.to_string(),
                        at: now,
                    });
                    self.actions.push_back(Action::Persist(job_id));
                }
            }
            Err(mut error) => {
                let needed = self
                    .jobs
                    .get(&job_id)
                    .map(|j| j.spec.media_id.clone())
                    .unwrap_or_default();
                error.detail = Some(serde_json::json!({
                    "needed_media": needed,
                    "loaded_media": media,
                    "detail": error.detail.take(),
                }));
                self.hold_for(job_id, error, now);
            }
        }
        self.pump(now);
    }

    /// Sorts the waiting jobs against the target medium (see the module
    /// docs). Called by every pump, so a job submitted, released or restored
    /// for another medium is handled before anything starts.
    ///
    /// Only the jobs that may have changed are looked at: the whole queue
    /// after the target medium changed, else the jobs that became waiting
    /// or were laid out again since the last pump (`media_pending`).
    pub(super) fn sort_media(&mut self, now: Timestamp) {
        let Some(target) = self.media.clone() else {
            // Nothing to sort against: all of them once there is.
            self.media_pending.clear();
            self.media_all = true;
            return;
        };
        let waiting: Vec<JobId> = if std::mem::take(&mut self.media_all) {
            self.media_pending.clear();
            self.queue.iter().copied().collect()
        } else if self.media_pending.is_empty() {
            return;
        } else {
            std::mem::take(&mut self.media_pending)
        };
        let in_flight: Vec<JobId> = self.in_flight.iter().flat_map(|f| f.jobs()).collect();
        for id in waiting {
            let Some(job) = self.jobs.get(&id) else {
                continue;
            };
            let fits = (target.fits)(&job.spec.media_id, &target.id);
            match job.state {
                // Its copies are being written: looked at again next time.
                JobState::Queued if !fits && in_flight.contains(&id) => {
                    self.media_pending.push(id);
                }
                // The medium it needs is back.
                JobState::Held if fits && held_for_media(job.error.as_deref()) => {
                    self.release_for_media(id, now);
                }
                JobState::Queued if !fits => {
                    if self.relaying.contains(&id) {
                        continue;
                    }
                    if job.spec.request.is_some() {
                        self.relaying.insert(id);
                        self.actions.push_back(Action::Relayout {
                            job_id: id,
                            media: target.id.clone(),
                        });
                    } else {
                        let needed = job.spec.media_id.clone();
                        let error = JobError {
                            code: MEDIA_MISMATCH.into(),
                            message: format!(
                                "laid out for {needed} from an image or raw raster, it cannot be laid out again for {}; load {needed} (it is released by itself), or cancel it",
                                target.id
                            ),
                            detail: Some(serde_json::json!({
                                "needed_media": needed,
                                "loaded_media": target.id,
                            })),
                        };
                        self.hold_for(id, error, now);
                    }
                }
                _ => {}
            }
        }
    }

    /// Releases a job the machine held for its medium, its reason cleared
    /// (persisted, announced).
    fn release_for_media(&mut self, job_id: JobId, now: Timestamp) {
        if self.apply(job_id, JobCommand::Release, now).is_err() {
            return;
        }
        if let Some(job) = self.jobs.get_mut(&job_id) {
            job.error = None;
        }
        self.emit_job_change(job_id, Some(JobState::Held), JobState::Queued, now);
    }

    /// Holds a waiting job with `error` as the reason (persisted, announced).
    fn hold_for(&mut self, job_id: JobId, error: JobError, now: Timestamp) {
        if let Ok((from, to)) = self.apply(job_id, JobCommand::Hold, now) {
            if let Some(job) = self.jobs.get_mut(&job_id) {
                job.error = Some(Box::new(error));
            }
            self.emit_job_change(job_id, Some(from), to, now);
        }
    }
}

/// Whether a held job's `error` says it waits for its medium (and so is
/// released by itself when that medium is back): the machine's own holds
/// name the medium the job needs.
pub(super) fn held_for_media(error: Option<&JobError>) -> bool {
    error
        .and_then(|e| e.detail.as_ref())
        .is_some_and(|d| d.get("needed_media").is_some())
}
