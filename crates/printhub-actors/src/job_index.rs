//! The supervisor's job index: which printer owns a job, to route a command
//! given by job id. It holds every job a printer may still act on (waiting
//! or printing) and the last [`KEEP_ENDED`] jobs that ended; an older job is
//! looked up in the store when it is asked for (one indexed read, on a
//! blocking thread), so the index stays bounded however many jobs the hub
//! has printed (issue #17: it once held every job ever stored).
//!
//! Threading: owned by the supervisor actor; pure data.

use printhub_core::{JobId, PrinterId};
use std::collections::{HashMap, VecDeque};

/// How many ended jobs the index keeps (the newest): commands on recent
/// jobs (retry, get) route without reading the store.
pub(crate) const KEEP_ENDED: usize = 10_000;

/// Job id → printer id, bounded as described in the module documentation.
#[derive(Debug)]
pub(crate) struct JobIndex {
    printers: HashMap<JobId, PrinterId>,
    /// Ended jobs in the order they ended (an id may appear twice; the
    /// second removal finds nothing).
    ended: VecDeque<JobId>,
    keep_ended: usize,
}

impl JobIndex {
    /// An empty index keeping `keep_ended` ended jobs.
    pub(crate) fn new(keep_ended: usize) -> Self {
        JobIndex {
            printers: HashMap::new(),
            ended: VecDeque::new(),
            keep_ended,
        }
    }

    /// The printer of `job`, if the index holds it.
    pub(crate) fn get(&self, job: &JobId) -> Option<PrinterId> {
        self.printers.get(job).copied()
    }

    /// How many jobs it holds.
    pub(crate) fn len(&self) -> usize {
        self.printers.len()
    }

    /// Records that `job` belongs to `printer` and is waiting or printing.
    pub(crate) fn insert(&mut self, job: JobId, printer: PrinterId) {
        self.printers.insert(job, printer);
    }

    /// Records that `job` (of `printer`) has ended: it stays until
    /// `keep_ended` newer jobs have ended.
    pub(crate) fn ended(&mut self, job: JobId, printer: PrinterId) {
        self.printers.insert(job, printer);
        self.ended.push_back(job);
        while self.ended.len() > self.keep_ended {
            if let Some(old) = self.ended.pop_front() {
                self.printers.remove(&old);
            }
        }
        // A drained queue gives its memory back: shrinking when the map is a
        // quarter full (to half full) costs O(1) amortized per removal.
        if self.printers.capacity() > 4 * self.printers.len() + 1024 {
            self.printers.shrink_to(2 * self.printers.len());
            self.ended.shrink_to(2 * self.ended.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_jobs_stay_and_only_the_newest_ended_jobs_are_kept() {
        let printer = PrinterId::from_u128(1);
        let mut index = JobIndex::new(3);
        let waiting: Vec<JobId> = (0..5).map(JobId::from_u128).collect();
        for id in &waiting {
            index.insert(*id, printer);
        }
        let ended: Vec<JobId> = (5..10).map(JobId::from_u128).collect();
        for id in &ended {
            index.ended(*id, printer);
        }
        assert!(waiting.iter().all(|id| index.get(id) == Some(printer)));
        assert_eq!(index.get(&ended[0]), None);
        assert_eq!(index.get(&ended[1]), None);
        assert!(ended[2..].iter().all(|id| index.get(id) == Some(printer)));
        assert_eq!(index.len(), 5 + 3);
        // A waiting job that ends moves to the ended window and pushes the oldest out.
        index.ended(waiting[0], printer);
        assert_eq!(index.get(&waiting[0]), Some(printer));
        assert_eq!(index.get(&ended[2]), None);
        assert_eq!(index.len(), 5 + 2);
    }

    #[test]
    fn a_drained_index_gives_its_capacity_back() {
        let printer = PrinterId::from_u128(1);
        let mut index = JobIndex::new(10);
        let ids: Vec<JobId> = (0..100_000).map(JobId::from_u128).collect();
        for id in &ids {
            index.insert(*id, printer);
        }
        for id in &ids {
            index.ended(*id, printer);
        }
        assert_eq!(index.len(), 10);
        assert!(
            index.printers.capacity() < 2048,
            "{}",
            index.printers.capacity()
        );
    }
}
