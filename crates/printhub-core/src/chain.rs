//! Chains: consecutive queued jobs sent to the printer as one stream.
//!
//! A chain is a list of [`ChainPage`]s — one copy of one job each, in print
//! order — that the printer link writes as one job stream with one
//! initialize at its start, the labels separated by `0C` and the last one
//! fed (and cut) by `1A` (brother-raster.md §5.1, "Multiple labels"). The
//! [`PrinterMachine`](crate::PrinterMachine) composes chains with
//! [`compose`] and tracks the one in flight as an [`InFlight`]; joining the
//! rasters into one stream is the caller's business (printhub-raster's
//! `chain::join`), so this module stays pure bookkeeping.
//!
//! Composition rules (decisions, see docs/protocol-decisions.md):
//! - Chaining is opt-in per job: only jobs whose [`PrintOptions::chain`] is
//!   set join a chain, and only with their neighbours in queue order that
//!   have the same model, medium and options ([`chains_with`]). A job that
//!   did not opt in is sent alone, one copy per stream, as before.
//! - Jobs are never reordered to make a chain: it stops at the first queued
//!   job that does not fit (held jobs are skipped, as the queue skips them).
//! - A chain holds at most [`MachineConfig::max_chain_pages`] pages, so a
//!   pause or a cancel waits for at most that many labels: once written, a
//!   chain is on the printer and is not cut short.
//!
//! Threading: plain data.
//!
//! [`PrintOptions::chain`]: crate::PrintOptions::chain
//! [`MachineConfig::max_chain_pages`]: crate::MachineConfig::max_chain_pages

use std::collections::{HashMap, VecDeque};

use crate::id::JobId;
use crate::job::{Job, JobSpec, JobState};

/// One page of a chain: copy `copy` (1-based) of job `job_id`. A job's
/// raster is one copy, so a page may hold several labels when that raster does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainPage {
    /// The job.
    pub job_id: JobId,
    /// The copy, 1..=copies.
    pub copy: u32,
}

/// Whether a job with spec `b` may follow one with spec `a` in a chain:
/// both opted in, same model, same medium, same options.
pub fn chains_with(a: &JobSpec, b: &JobSpec) -> bool {
    a.options.chain && b.options == a.options && a.model == b.model && a.media_id == b.media_id
}

/// The pages of the chain that starts with the next copy of `first`: its
/// remaining copies, then (if it opted in to chaining) the remaining copies
/// of the queued jobs after it that chain with it, in queue order, up to
/// `max_pages` pages (at least one).
pub fn compose(
    first: &Job,
    queue: &VecDeque<JobId>,
    jobs: &HashMap<JobId, Box<Job>>,
    max_pages: usize,
) -> Vec<ChainPage> {
    let max_pages = max_pages.max(1);
    let mut pages = Vec::new();
    let push_copies = |job: &Job, pages: &mut Vec<ChainPage>| {
        for copy in job.copies_printed.saturating_add(1)..=job.spec.copies {
            if pages.len() >= max_pages {
                return false;
            }
            pages.push(ChainPage {
                job_id: job.id,
                copy,
            });
        }
        true
    };
    if !first.spec.options.chain {
        // A job that did not opt in goes one copy at a time, as its own stream.
        push_copies(first, &mut pages);
        pages.truncate(1);
        return pages;
    }
    if !push_copies(first, &mut pages) {
        return pages;
    }
    for id in queue {
        // A job the map does not hold is parked (see the machine): the
        // chain ends before it, since it may be next in line.
        let Some(job) = jobs.get(id) else { break };
        if job.id == first.id {
            continue;
        }
        match job.state {
            JobState::Held => continue,
            JobState::Queued => {}
            _ => break,
        }
        if !chains_with(&first.spec, &job.spec) || job.copies_remaining() == 0 {
            break;
        }
        if pages.len() >= max_pages || !push_copies(job, &mut pages) {
            break;
        }
    }
    pages
}

/// The chain being written, and what the printer has said about it so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlight {
    first: ChainPage,
    pages: Vec<ChainPage>,
    printed: usize,
    sent: Option<usize>,
    cancel_requested: Vec<JobId>,
}

impl InFlight {
    /// A chain of `pages` (not empty; the machine never builds an empty one)
    /// that starts with `first`.
    pub(crate) fn new(first: ChainPage, pages: Vec<ChainPage>) -> Self {
        let pages = if pages.is_empty() { vec![first] } else { pages };
        Self {
            first,
            pages,
            printed: 0,
            sent: None,
            cancel_requested: Vec::new(),
        }
    }

    /// The first page: it identifies the send in `handle_write_*`.
    pub fn first(&self) -> ChainPage {
        self.first
    }

    /// Every page, in print order.
    pub fn pages(&self) -> &[ChainPage] {
        &self.pages
    }

    /// How many pages, from the first, the printer reported printed.
    pub fn printed(&self) -> usize {
        self.printed
    }

    /// How many pages, from the first, may have reached the printer (every
    /// page until the printer link says otherwise).
    pub fn sent(&self) -> usize {
        self.sent.unwrap_or(self.pages.len())
    }

    /// The page the printer is on now: the first one not reported printed
    /// (the last page once every page is).
    pub fn current(&self) -> ChainPage {
        self.pages
            .get(self.printed)
            .or(self.pages.last())
            .copied()
            .unwrap_or(self.first)
    }

    /// Whether a page of `job_id` is in the chain.
    pub fn contains(&self, job_id: JobId) -> bool {
        self.pages.iter().any(|p| p.job_id == job_id)
    }

    /// The jobs of the chain, each once, in print order.
    pub fn jobs(&self) -> Vec<JobId> {
        let mut jobs: Vec<JobId> = Vec::new();
        for page in &self.pages {
            if !jobs.contains(&page.job_id) {
                jobs.push(page.job_id);
            }
        }
        jobs
    }

    /// The highest copy of `job_id` in the chain (0 if it has none).
    pub fn last_copy(&self, job_id: JobId) -> u32 {
        self.pages
            .iter()
            .filter(|p| p.job_id == job_id)
            .map(|p| p.copy)
            .max()
            .unwrap_or(0)
    }

    /// Whether a user cancelled `job_id` while it was in the chain.
    pub fn cancel_requested(&self, job_id: JobId) -> bool {
        self.cancel_requested.contains(&job_id)
    }

    pub(crate) fn request_cancel(&mut self, job_id: JobId) {
        if !self.cancel_requested.contains(&job_id) {
            self.cancel_requested.push(job_id);
        }
    }

    /// Records that `printed` pages are printed and `sent` may have reached
    /// the printer; returns the pages newly printed. Counts never go back.
    pub(crate) fn advance(&mut self, sent: usize, printed: usize) -> Vec<ChainPage> {
        let len = self.pages.len();
        let printed = printed.min(len);
        let sent = sent.max(printed).min(len);
        self.sent = Some(self.sent.map_or(sent, |s| s.max(sent)));
        if printed <= self.printed {
            return Vec::new();
        }
        let new = self.pages[self.printed..printed].to_vec();
        self.printed = printed;
        new
    }

    /// The index of the first page of `job_id` not yet printed, if any.
    pub(crate) fn first_unprinted(&self, job_id: JobId) -> Option<usize> {
        self.pages
            .iter()
            .enumerate()
            .skip(self.printed)
            .find(|(_, p)| p.job_id == job_id)
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::{PrinterId, Timestamp};
    use crate::job::PrintOptions;

    fn job(n: u128, copies: u32, chain: bool, media: &str) -> Job {
        let mut spec =
            JobSpec::new(PrinterId::from_u128(1), "PT-P750W", media, vec![1]).with_copies(copies);
        spec.options = PrintOptions {
            cut: true,
            chain,
            ..PrintOptions::default()
        };
        Job::new(JobId::from_u128(n), spec, Timestamp::from_millis(0))
    }

    fn compose_of(list: &[Job], max: usize) -> Vec<(u128, u32)> {
        let jobs: HashMap<JobId, Box<Job>> =
            list.iter().map(|j| (j.id, Box::new(j.clone()))).collect();
        let queue: VecDeque<JobId> = list.iter().map(|j| j.id).collect();
        compose(&list[0], &queue, &jobs, max)
            .into_iter()
            .map(|p| (p.job_id.as_uuid().as_u128(), p.copy))
            .collect()
    }

    #[test]
    fn chains_stop_at_the_first_job_that_does_not_fit() {
        let jobs = [
            job(1, 2, true, "tze-12"),
            job(2, 1, true, "tze-12"),
            job(3, 1, true, "tze-24"),
            job(4, 1, true, "tze-12"),
        ];
        assert_eq!(compose_of(&jobs, 20), [(1, 1), (1, 2), (2, 1)]);
    }

    #[test]
    fn a_job_that_did_not_opt_in_goes_one_copy_at_a_time() {
        let jobs = [job(1, 3, false, "tze-12"), job(2, 1, false, "tze-12")];
        assert_eq!(compose_of(&jobs, 20), [(1, 1)]);
        // Nor does an opted-in job chain with one that did not opt in.
        let jobs = [job(1, 1, true, "tze-12"), job(2, 1, false, "tze-12")];
        assert_eq!(compose_of(&jobs, 20), [(1, 1)]);
    }

    #[test]
    fn chains_are_capped_and_skip_held_jobs() {
        let mut jobs = vec![
            job(1, 2, true, "tze-12"),
            job(2, 1, true, "tze-12"),
            job(3, 5, true, "tze-12"),
        ];
        jobs[1].state = JobState::Held;
        assert_eq!(compose_of(&jobs, 4), [(1, 1), (1, 2), (3, 1), (3, 2)]);
        assert_eq!(compose_of(&jobs, 0), [(1, 1)], "at least one page");
    }

    #[test]
    fn options_must_match() {
        let a = job(1, 1, true, "tze-12");
        let mut b = job(2, 1, true, "tze-12");
        assert!(chains_with(&a.spec, &b.spec));
        b.spec.options.half_cut = true;
        assert!(!chains_with(&a.spec, &b.spec));
        b.spec.options.half_cut = false;
        b.spec.model = "PT-E550W".into();
        assert!(!chains_with(&a.spec, &b.spec));
    }

    #[test]
    fn progress_only_moves_forward() {
        let p = |copy| ChainPage {
            job_id: JobId::from_u128(1),
            copy,
        };
        let mut f = InFlight::new(p(1), vec![p(1), p(2), p(3)]);
        assert_eq!(f.sent(), 3, "unknown: every page may have been sent");
        assert_eq!(f.advance(2, 1), [p(1)]);
        assert_eq!((f.sent(), f.printed(), f.current()), (2, 1, p(2)));
        assert!(f.advance(1, 0).is_empty());
        assert_eq!((f.sent(), f.printed()), (2, 1));
        assert_eq!(f.advance(9, 9), [p(2), p(3)]);
        assert_eq!((f.sent(), f.printed(), f.current()), (3, 3, p(3)));
    }
}
