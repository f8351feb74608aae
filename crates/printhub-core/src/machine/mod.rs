//! [`PrinterMachine`]: one printer's queue and state, as a sans-io state machine.
//!
//! The machine is the single authoritative copy of its printer's queue
//! (design §1): every control command (submit, cancel, hold, release, retry,
//! pause, resume, clear, enable, disable) and every I/O outcome acts on it,
//! and the print loop reads only it. It never does I/O itself. Like
//! quinn-proto's `Connection`, its methods come in four families:
//!
//! - getters: [`state`](PrinterMachine::state), [`job`](PrinterMachine::job),
//!   [`jobs`](PrinterMachine::jobs), [`queue`](PrinterMachine::queue),
//!   [`in_flight`](PrinterMachine::in_flight), ...;
//! - commands (imperative, may be refused with a [`CommandError`]):
//!   [`submit`](PrinterMachine::submit), [`cancel`](PrinterMachine::cancel), ...;
//! - inputs (`handle_*`, never refused; stale ones are ignored):
//!   [`handle_write_progress`](PrinterMachine::handle_write_progress),
//!   [`handle_write_finished`](PrinterMachine::handle_write_finished),
//!   [`handle_write_failed`](PrinterMachine::handle_write_failed),
//!   [`handle_preflight_refused`](PrinterMachine::handle_preflight_refused),
//!   [`handle_status`](PrinterMachine::handle_status),
//!   [`handle_timeout`](PrinterMachine::handle_timeout);
//! - outputs (`poll_*`): [`poll_action`](PrinterMachine::poll_action) and
//!   [`poll_timeout`](PrinterMachine::poll_timeout).
//!
//! The caller (the printer actor) drains `poll_action` after every call:
//!
//! ```text
//!   command / handle_*(.., now) ──► PrinterMachine ──► poll_action():
//!        ▲                                              Persist(job)  → store (before anything else)
//!        │                                              Emit(event)   → subscribers
//!        │                                              Send{pages}   → write the chain (one copy's
//!        │                                                              raster, or several joined)
//!        │                                              QueryStatus   → status query
//!        └── handle_write_*/handle_status/handle_timeout ◄─ WakeAt(t) → timer
//! ```
//!
//! **Architecture Invariant:** at most one `Send` is in flight; the next
//! `Send` comes only after `handle_write_finished`/`handle_write_failed` for
//! the previous one, so jobs never interleave and a copy that has started is
//! never cut off. A `Send` carries a chain of pages ([`ChainPage`]: one copy
//! of one job each, see [`crate::chain`]); without chaining it is one copy.
//! A job is `printing` exactly while one of its copies is in the chain in
//! flight. Every change to a job is announced by `Persist(job)` before any
//! `Emit` about it and before its `Send`. Time is only ever the `now`
//! argument; the machine holds no clock, thread, socket or randomness.
//!
//! Code: commands and getters here, the inputs in `inputs`, the private
//! moves they share in `internals`.
//!
//! Decisions (the design left them open):
//! - Submitting (or retrying) to a disabled printer is refused with
//!   [`CommandError::PrinterDisabled`]: a disabled printer is out of service
//!   and a client should learn that now rather than have its job wait
//!   silently. Cancel, hold, release and clear still work on its queue.
//! - `resume` on an idle or printing printer is a harmless no-op (`Ok`);
//!   `pause` on a paused printer likewise. `pause` and `resume` on a disabled
//!   printer are refused with `PrinterDisabled` (enable it first).
//! - Pause (or disable) while a copy is in flight: the copy finishes; if the
//!   job has copies left it goes back to the head of the queue as `queued`
//!   with its printed copies kept (so `printing` always means "a copy is in
//!   flight"), and `resume` continues with its next copy.
//! - A user pause wins over an automatic state: pausing a stopped or offline
//!   printer makes it `paused` (its timers stop), and a write failure while
//!   paused or disabled leaves it paused or disabled. `resume` then re-checks.
//! - A cancel requested while the job's copy is in flight is honoured when the
//!   copy ends: finished → `cancelled` (count kept); the copy did not print
//!   (attention, unreachable) → `cancelled`; rejected → `failed`; lost →
//!   `interrupted` (the truth about the copy wins over the request).
//! - Status reports are ignored while a copy is in flight (the write's own
//!   outcome decides) and while paused or disabled (a user's state). A
//!   status showing a problem while idle stops the printer (or takes it
//!   offline) before the next job starts.
//! - `retry` works on failed, interrupted and cancelled jobs, not completed
//!   ones (see [`JobState::transition`]), and is refused on a disabled printer.
//! - `cancel` says whether it took effect now or after the copy in flight
//!   ([`CancelOutcome`]), so the API can tell the client.
//! - `Offline` is left by sending: when the reconnect timer fires, a waiting
//!   job is sent at once (its failure is the next probe); with nothing to
//!   send, a status query is the probe. A stopped printer's status is queried
//!   every [`MachineConfig::stopped_poll_ms`] until the problem is gone.
//! - Chains (jobs that opted in, [`crate::chain`]): a page the printer
//!   reports printed ([`PrinterMachine::handle_write_progress`]) counts at
//!   once — a job completes as soon as its last copy is confirmed, while the
//!   chain goes on. When a chain fails, the pages already reported printed
//!   stay printed; the page in flight follows the rules above for its
//!   failure; pages after it go back to the queue in their original order
//!   (the printer discards everything after an error, brother-raster.md
//!   §5.2) — except after a lost connection, where a page that may have
//!   reached the printer has an unknown outcome (`interrupted`) and only
//!   the pages never sent go back. Pause, cancel and hold act between
//!   chains: a chain once sent is not cut short, which is why chains are
//!   bounded by [`MachineConfig::max_chain_pages`]. A job whose copies do
//!   not all fit in one chain continues in the next one.
//! - Terminal jobs are kept for [`MachineConfig::max_history`] jobs and then
//!   forgotten by the machine (the store keeps them); pruning happens only
//!   once the caller has drained the pending actions, so a `Persist(id)`
//!   can always be resolved with [`PrinterMachine::job`].
//! - Parked jobs (issue #17): a queued job that waits far from the head of
//!   a long queue may be *parked* by the caller once its snapshot is
//!   durable ([`PrinterMachine::park`]): the machine then keeps only its id
//!   (at its place in the queue) and its creation time, and the store holds
//!   the rest. A parked job is not [`job`](PrinterMachine::job)'s to show
//!   and no command acts on it (they answer `JobNotFound`, as for any job
//!   the machine does not hold): the caller reads it back and
//!   [`unpark`](PrinterMachine::unpark)s it first. Nothing starts a parked
//!   job: when the next job to print is parked the printer waits for it
//!   (still `printing`), and a chain ends before a parked job. It is laid
//!   out again, or held, for the medium when it is unparked.

use std::collections::{HashMap, HashSet, VecDeque};

mod inputs;
mod internals;
mod media;

pub use media::{MediaFits, MEDIA_MISMATCH};

use crate::chain::{self, ChainPage, InFlight};
use crate::error::CommandError;
use crate::event::Event;
use crate::id::{JobId, PrinterId, Timestamp};
use crate::job::{Job, JobCommand, JobError, JobSpec, JobState};
use crate::printer::PrinterState;

/// Something the caller must do, in order. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write the chain of `pages` to the printer as one stream: one page is
    /// that copy's `spec.raster` as it is; several are the rasters joined into
    /// one chained stream. Report how far it got with `handle_write_progress`
    /// and how it ended with `handle_write_finished` or `handle_write_failed`,
    /// naming its first page — or, if the preflight held it back before a
    /// byte was written, `handle_preflight_refused`. ([`crate::Link`] does
    /// all of this for a caller that drives one.)
    Send {
        /// The pages (one copy of one job each), in print order; never empty.
        pages: Vec<ChainPage>,
    },
    /// Lay the job out again for `media` from its `spec.request` (off the
    /// caller's thread: rendering and encoding take time) and report the
    /// raster of one copy, or why it cannot be, with `handle_relaid_out`.
    /// The job waits at its place meanwhile; nothing else waits for it.
    Relayout {
        /// The job.
        job_id: JobId,
        /// The medium to lay it out for.
        media: String,
    },
    /// Query the printer's status and report it with `handle_status`.
    QueryStatus,
    /// Store the job's current snapshot ([`PrinterMachine::job`]). Comes before
    /// every event about the change and before the job's `Send`.
    Persist(JobId),
    /// Publish an event.
    Emit(Event),
    /// Call `handle_timeout` at (or after) this instant. Replaces earlier requests.
    WakeAt(Timestamp),
}

/// Tuning of a [`PrinterMachine`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineConfig {
    /// The most queued plus held jobs the printer accepts (then `QueueFull`).
    pub max_queue: usize,
    /// How many terminal jobs the machine remembers.
    pub max_history: usize,
    /// First reconnect delay after the printer went offline, in milliseconds.
    pub backoff_initial_ms: i64,
    /// The reconnect delay doubles per attempt up to this, in milliseconds.
    pub backoff_max_ms: i64,
    /// How often a stopped printer's status is queried, in milliseconds.
    pub stopped_poll_ms: i64,
    /// The most pages (copies) one chain holds. A pause or cancel waits for
    /// at most this many labels; 1 turns chaining off.
    pub max_chain_pages: usize,
    /// The state a new or restored machine starts in.
    pub initial_state: InitialState,
}

impl Default for MachineConfig {
    fn default() -> Self {
        Self {
            max_queue: 1000,
            max_history: 1000,
            backoff_initial_ms: 1_000,
            backoff_max_ms: 60_000,
            stopped_poll_ms: 5_000,
            max_chain_pages: 20,
            initial_state: InitialState::Idle,
        }
    }
}

/// The state a machine starts in (a printer that was paused or disabled
/// before a restart must not start printing on its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum InitialState {
    /// Ready to print.
    #[default]
    Idle,
    /// Paused by a user.
    Paused,
    /// Out of service.
    Disabled,
}

/// What a successful [`PrinterMachine::cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelOutcome {
    /// The job is `cancelled` now.
    Cancelled,
    /// A copy of the job is in flight (in the chain being written); the job
    /// ends `cancelled` when the chain finishes, with no further copy sent.
    AfterCurrentCopy,
}

/// One job a printer restarts with ([`PrinterMachine::restore_from`]).
#[derive(Debug, Clone, PartialEq)]
pub enum RestoredJob {
    /// The whole job (its raster may be released), boxed: a long queue's
    /// parked records are a few dozen bytes each.
    Whole(Box<Job>),
    /// A `queued` job restored as its place in the queue only: parked
    /// (see the module docs), read back before it prints.
    Parked {
        /// The job.
        id: JobId,
        /// When it was submitted (its place in the queue, and the queue timeout).
        created_at: Timestamp,
        /// How many of its copies printed already (partly printed jobs go first).
        copies_printed: u32,
    },
}

/// One printer's queue (FIFO by submission) and state. See the module docs.
#[derive(Debug, Clone)]
pub struct PrinterMachine {
    printer_id: PrinterId,
    config: MachineConfig,
    state: PrinterState,
    /// Boxed: the map's spare slots (a third of it, often) then cost a
    /// pointer each rather than a whole job, with 100,000 jobs waiting.
    jobs: HashMap<JobId, Box<Job>>,
    /// Every known job id, in the order the machine learned of it, plus
    /// ids of forgotten jobs not yet swept out (see `forgotten`).
    order: Vec<JobId>,
    /// Ids forgotten from the history but still in `order`: `order` is
    /// swept once they are half of it (or one of them comes back), so
    /// forgetting a job costs O(1) amortized however long the queue is.
    forgotten: HashSet<JobId>,
    /// Queued and held jobs, in print order. Held jobs keep their place.
    queue: VecDeque<JobId>,
    /// Terminal jobs, in the order they ended.
    history: VecDeque<JobId>,
    in_flight: Option<InFlight>,
    wake_at: Option<Timestamp>,
    backoff_attempts: u32,
    actions: VecDeque<Action>,
    /// The medium labels are laid out for now, once the caller said (`media`).
    media: Option<media::MediaTarget>,
    /// Jobs being laid out again: skipped until their answer.
    relaying: HashSet<JobId>,
    /// Waiting jobs not yet sorted against the medium (new, released,
    /// requeued, laid out again): a pump looks at these, not at the whole
    /// queue, so a command costs the same with 10 or 100,000 jobs waiting.
    media_pending: Vec<JobId>,
    /// The whole queue is to be sorted (the target medium changed).
    media_all: bool,
    /// One copy of each model, medium, content type, ... the jobs name.
    names: crate::Names,
    /// Parked jobs (queued, in `queue` and `order`, not in `jobs`) and
    /// when each was created: all the machine keeps of them.
    parked: HashMap<JobId, Timestamp>,
}

impl PrinterMachine {
    /// A machine with an empty queue.
    pub fn new(printer_id: PrinterId, config: MachineConfig) -> Self {
        let state = match config.initial_state {
            InitialState::Idle => PrinterState::Idle,
            InitialState::Paused => PrinterState::Paused,
            InitialState::Disabled => PrinterState::Disabled,
        };
        Self {
            printer_id,
            config,
            state,
            jobs: HashMap::new(),
            order: Vec::new(),
            forgotten: HashSet::new(),
            queue: VecDeque::new(),
            history: VecDeque::new(),
            in_flight: None,
            wake_at: None,
            backoff_attempts: 0,
            actions: VecDeque::new(),
            media: None,
            relaying: HashSet::new(),
            media_pending: Vec::new(),
            names: crate::Names::default(),
            media_all: true,
            parked: HashMap::new(),
        }
    }

    /// A machine rebuilt from the store after a restart.
    ///
    /// - Queued and held jobs return to the queue in their original order:
    ///   partly printed jobs first (they were at the head of the queue), then by
    ///   `created_at`; ties keep the order of `jobs`.
    /// - A job that was `printing` becomes `interrupted` (error code
    ///   `hub_restarted`) and is persisted and announced: nobody knows whether
    ///   its copy came out, so it is never reprinted silently.
    /// - Terminal jobs become history (the newest `max_history`).
    /// - Jobs of other printers and repeated ids are ignored.
    ///
    /// Then, if the machine starts idle, the first queued job is sent.
    pub fn restore(
        printer_id: PrinterId,
        config: MachineConfig,
        jobs: Vec<Job>,
        now: Timestamp,
    ) -> Self {
        Self::restore_from(
            printer_id,
            config,
            jobs.into_iter()
                .map(|job| RestoredJob::Whole(Box::new(job))),
            now,
        )
    }

    /// [`restore`](Self::restore) from jobs of which some come back parked
    /// ([`RestoredJob::Parked`]): a long queue restarts without reading its
    /// jobs, only their places; the caller reads the head back with
    /// [`unpark`](Self::unpark) before it prints (the machine waits for it,
    /// as for any parked job). The caller vouches that a parked record is a
    /// `queued` job of this printer.
    pub fn restore_from(
        printer_id: PrinterId,
        config: MachineConfig,
        jobs: impl IntoIterator<Item = RestoredJob>,
        now: Timestamp,
    ) -> Self {
        let mut m = Self::new(printer_id, config);
        // (partly printed first, created_at, id): a stable sort keeps ties
        // in the order of `jobs`.
        let mut waiting: Vec<(bool, Timestamp, JobId)> = Vec::new();
        let mut interrupted = Vec::new();
        for restored in jobs {
            let job = match restored {
                RestoredJob::Whole(job) => job,
                RestoredJob::Parked {
                    id,
                    created_at,
                    copies_printed,
                } => {
                    if m.jobs.contains_key(&id) || m.parked.contains_key(&id) {
                        continue;
                    }
                    waiting.push((copies_printed == 0, created_at, id));
                    m.parked.insert(id, created_at);
                    m.order.push(id);
                    continue;
                }
            };
            if job.spec.printer_id != printer_id
                || m.jobs.contains_key(&job.id)
                || m.parked.contains_key(&job.id)
            {
                continue;
            }
            let id = job.id;
            match job.state {
                JobState::Queued | JobState::Held => {
                    waiting.push((job.copies_printed == 0, job.created_at, id));
                }
                JobState::Printing => interrupted.push(id),
                _ => m.history.push_back(id),
            }
            m.order.push(id);
            let job = m.interned(job);
            m.jobs.insert(id, job);
        }
        waiting.sort_by_key(|(fresh, created_at, _)| (*fresh, *created_at));
        m.queue.extend(waiting.into_iter().map(|(_, _, id)| id));
        for id in interrupted {
            let error = JobError::new(
                "hub_restarted",
                "the hub stopped while this job was printing; whether the copy in flight printed is unknown",
            );
            m.end_job(id, JobCommand::Interrupt, Some(error), now);
        }
        m.pump(now);
        m
    }

    // ---- getters ----------------------------------------------------------

    /// The printer this machine drives.
    pub fn printer_id(&self) -> PrinterId {
        self.printer_id
    }

    /// The configuration.
    pub fn config(&self) -> &MachineConfig {
        &self.config
    }

    /// The printer's state.
    pub fn state(&self) -> &PrinterState {
        &self.state
    }

    /// A job known to this printer (waiting, in flight, or in the recent history).
    pub fn job(&self, job_id: JobId) -> Option<&Job> {
        self.jobs.get(&job_id).map(|j| &**j)
    }

    /// Every known job, in the order the machine learned of them.
    pub fn jobs(&self) -> impl Iterator<Item = &Job> + '_ {
        self.order
            .iter()
            .filter_map(|id| self.jobs.get(id).map(|j| &**j))
    }

    /// The queued and held jobs, in print order.
    pub fn queue(&self) -> impl Iterator<Item = &Job> + '_ {
        self.queue
            .iter()
            .filter_map(|id| self.jobs.get(id).map(|j| &**j))
    }

    /// How many jobs are queued or held.
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }

    /// The job that would be sent next (the first queued, not held, job).
    /// Lets the caller prepare it while the current one prints. `None`
    /// also when that job is parked ([`next_job_id`](Self::next_job_id) names it).
    pub fn next_job(&self) -> Option<&Job> {
        self.next_ready()
            .and_then(|id| self.jobs.get(&id))
            .map(|j| &**j)
    }

    /// The id of the job that would be sent next, parked or not.
    pub fn next_job_id(&self) -> Option<JobId> {
        self.next_ready()
    }

    /// The ids of the queued and held jobs, parked ones included, in print order.
    pub fn queue_ids(&self) -> impl Iterator<Item = JobId> + '_ {
        self.queue.iter().copied()
    }

    /// The next `n` jobs to start, in order: the queued (not held) jobs at
    /// the head of the queue, parked ones included. What the caller keeps
    /// loaded, with their rasters (and parks beyond).
    pub fn upcoming(&self, n: usize) -> Vec<JobId> {
        self.queue
            .iter()
            .copied()
            .filter(|id| {
                self.parked.contains_key(id)
                    || self
                        .jobs
                        .get(id)
                        .is_some_and(|j| j.state == JobState::Queued)
            })
            .take(n)
            .collect()
    }

    /// The pages of the chain that would be sent next if nothing changes:
    /// after the chain in flight finishes normally (its last job's next copy
    /// first, if it has copies left), or now. Lets the caller prepare that
    /// stream while the printer prints (pipelining); `None` if nothing
    /// would be sent.
    pub fn next_chain(&self) -> Option<Vec<ChainPage>> {
        let max = self.config.max_chain_pages;
        if let Some(flight) = &self.in_flight {
            let last = flight.pages().last()?;
            let job = self.jobs.get(&last.job_id)?;
            if last.copy < job.spec.copies && !flight.cancel_requested(job.id) {
                let mut carried = job.clone();
                carried.copies_printed = last.copy;
                return Some(chain::compose(&carried, &self.queue, &self.jobs, max));
            }
        }
        let job = self.jobs.get(&self.next_ready()?)?;
        (job.copies_remaining() > 0).then(|| chain::compose(job, &self.queue, &self.jobs, max))
    }

    /// The chain being written, if any.
    pub fn in_flight(&self) -> Option<&InFlight> {
        self.in_flight.as_ref()
    }

    // ---- raster residency ---------------------------------------------------

    /// Drops a job's raster from memory: its bytes stay in the store, and
    /// the caller reads them back before the job prints (the machine never
    /// needs them: it plans chains from options and counts, and a `Send`
    /// names pages, not bytes). A printer with a long queue keeps only the
    /// rasters of the next chains in memory this way (issue #17).
    ///
    /// The caller must release only a job whose snapshot is durable (the
    /// store has its raster). Refused (`false`) for an unknown job, a job
    /// whose copy is in flight or being laid out again, and a job already
    /// released. Changes nothing the store or a subscriber sees: no action.
    pub fn release_raster(&mut self, job_id: JobId) -> bool {
        let busy = self.relaying.contains(&job_id)
            || self.in_flight.as_ref().is_some_and(|f| f.contains(job_id));
        match self.jobs.get_mut(&job_id) {
            Some(job)
                if !busy && job.state != JobState::Printing && !job.spec.raster_released() =>
            {
                job.spec.raster = crate::job::released_raster();
                true
            }
            _ => false,
        }
    }

    /// Puts back the raster of a released job, read from the store. Refused
    /// (`false`) if the job is unknown, holds a raster already (laid out
    /// again meanwhile: the new one wins), or `raster` is empty.
    pub fn restore_raster(&mut self, job_id: JobId, raster: std::sync::Arc<Vec<u8>>) -> bool {
        match self.jobs.get_mut(&job_id) {
            Some(job) if job.spec.raster_released() && !raster.is_empty() => {
                job.spec.raster = raster;
                true
            }
            _ => false,
        }
    }

    // ---- parked jobs ----------------------------------------------------------

    /// Parks a queued job: the machine forgets all of it but its id (its
    /// place in the queue) and its creation time; the store holds the rest
    /// (see the module docs). The caller parks only a job whose snapshot is
    /// durable, and reads it back with [`unpark`](Self::unpark) before it
    /// prints or before any command on it. Refused (`false`) for an unknown
    /// or parked job, a job that is not `queued`, one whose copies are in
    /// flight or that is being laid out again, and one with a `Persist`
    /// not yet taken by the caller. Changes nothing the store or a
    /// subscriber sees: no action.
    pub fn park(&mut self, job_id: JobId) -> bool {
        self.park_taking(job_id).is_some()
    }

    /// [`park`](Self::park), answering the job as the machine held it
    /// (what the store holds of it, since it is durable); `None` when
    /// refused.
    pub fn park_taking(&mut self, job_id: JobId) -> Option<Job> {
        let busy = self.relaying.contains(&job_id)
            || self.in_flight.as_ref().is_some_and(|f| f.contains(job_id))
            || self
                .actions
                .iter()
                .any(|a| matches!(a, Action::Persist(id) if *id == job_id));
        let created_at = match self.jobs.get(&job_id) {
            Some(job) if !busy && job.state == JobState::Queued => job.created_at,
            _ => return None,
        };
        let job = self.jobs.remove(&job_id)?;
        self.parked.insert(job_id, created_at);
        Some(*job)
    }

    /// Takes parked jobs back from their stored snapshots (each `queued`,
    /// of this printer; the raster may be released), sorts them against the
    /// medium and starts the next job if the printer waited for one of
    /// them. A snapshot of a job that is not parked, or that is not
    /// `queued` or not this printer's, is ignored (the store and the
    /// machine disagree: the machine's record wins). Answers how many came back.
    pub fn unpark(&mut self, jobs: Vec<Job>, now: Timestamp) -> usize {
        let mut back = 0;
        for job in jobs {
            let id = job.id;
            if job.state != JobState::Queued
                || job.spec.printer_id != self.printer_id
                || self.parked.remove(&id).is_none()
            {
                continue;
            }
            let job = self.boxed(job);
            self.jobs.insert(id, job);
            self.media_pending.push(id);
            back += 1;
        }
        if back > 0 {
            self.pump(now);
        }
        back
    }

    /// Drops a parked job the store cannot give back (lost, unreadable):
    /// it leaves the queue, with no snapshot to persist and nothing to
    /// announce; the caller reports it. `false` if it is not parked.
    pub fn drop_parked(&mut self, job_id: JobId, now: Timestamp) -> bool {
        if self.parked.remove(&job_id).is_none() {
            return false;
        }
        self.unqueue(job_id);
        self.forgotten.insert(job_id);
        self.pump(now);
        true
    }

    /// Whether `job_id` is parked.
    pub fn is_parked(&self, job_id: JobId) -> bool {
        self.parked.contains_key(&job_id)
    }

    /// How many jobs are parked.
    pub fn parked_len(&self) -> usize {
        self.parked.len()
    }

    /// The parked jobs, in print order.
    pub fn parked_ids(&self) -> Vec<JobId> {
        self.queue
            .iter()
            .copied()
            .filter(|id| self.parked.contains_key(id))
            .collect()
    }

    /// The parked jobs created before `created_before`, in print order:
    /// what the caller unparks before [`expire_queued`](Self::expire_queued).
    pub fn parked_created_before(&self, created_before: Timestamp) -> Vec<JobId> {
        if self.parked.is_empty() {
            return Vec::new();
        }
        self.queue
            .iter()
            .copied()
            .filter(|id| self.parked.get(id).is_some_and(|t| *t < created_before))
            .collect()
    }

    // ---- outputs ------------------------------------------------------------

    /// The next thing the caller must do. Drain until `None` after every call.
    pub fn poll_action(&mut self) -> Option<Action> {
        let action = self.actions.pop_front();
        if action.is_none() {
            self.prune_history();
        }
        action
    }

    /// Whether `poll_action` has something: a caller that fed the machine
    /// can skip a drain that would find nothing.
    pub fn has_actions(&self) -> bool {
        !self.actions.is_empty()
    }

    /// When `handle_timeout` should next be called, if at all.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.wake_at
    }

    // ---- commands -----------------------------------------------------------

    /// Queues a new job at the end of the queue (and starts it if the printer is idle).
    pub fn submit(
        &mut self,
        job_id: JobId,
        spec: JobSpec,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.check_admission(job_id)?;
        if spec.printer_id != self.printer_id {
            return Err(CommandError::WrongPrinter {
                printer_id: self.printer_id,
                requested: spec.printer_id,
            });
        }
        spec.validate()?;
        self.admit(Job::new(job_id, spec, now), now);
        self.pump(now);
        Ok(())
    }

    /// Queues several new jobs, in order, all or none: each is checked as
    /// [`submit`](Self::submit) checks it (and the whole batch against the
    /// queue limit) before any is queued. They are queued before the printer
    /// starts, so jobs that opted in to chaining start as one chain.
    pub fn submit_batch(
        &mut self,
        jobs: Vec<(JobId, JobSpec)>,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        if self.state == PrinterState::Disabled {
            return Err(self.disabled());
        }
        if self.queue.len().saturating_add(jobs.len()) > self.config.max_queue {
            return Err(CommandError::QueueFull {
                limit: self.config.max_queue,
            });
        }
        for (i, (job_id, spec)) in jobs.iter().enumerate() {
            if self.holds(*job_id) || jobs[..i].iter().any(|(id, _)| id == job_id) {
                return Err(CommandError::DuplicateJob { job_id: *job_id });
            }
            if spec.printer_id != self.printer_id {
                return Err(CommandError::WrongPrinter {
                    printer_id: self.printer_id,
                    requested: spec.printer_id,
                });
            }
            spec.validate()?;
        }
        for (job_id, spec) in jobs {
            self.admit(Job::new(job_id, spec, now), now);
        }
        self.pump(now);
        Ok(())
    }

    /// Cancels a job. A queued or held job is cancelled at once. A job with
    /// copies in the chain in flight is cancelled after that chain, if it has
    /// copies left beyond it; otherwise (its last copy is being written) the
    /// cancel is refused with `InvalidJobState`, as is cancelling a terminal job.
    pub fn cancel(&mut self, job_id: JobId, now: Timestamp) -> Result<CancelOutcome, CommandError> {
        let job = self
            .jobs
            .get(&job_id)
            .ok_or(CommandError::JobNotFound { job_id })?;
        if let Some(flight) = self
            .in_flight
            .as_mut()
            .filter(|f| f.contains(job_id) && job.state == JobState::Printing)
        {
            let copies_left = job.spec.copies.saturating_sub(flight.last_copy(job_id));
            job.state
                .transition(JobCommand::Cancel { copies_left })
                .map_err(|e| CommandError::from_transition(job_id, e))?;
            flight.request_cancel(job_id);
            return Ok(CancelOutcome::AfterCurrentCopy);
        }
        let copies_left = job.copies_remaining();
        self.try_transition(job_id, JobCommand::Cancel { copies_left }, now)?;
        Ok(CancelOutcome::Cancelled)
    }

    /// Holds a queued job: it keeps its place but is skipped until released.
    pub fn hold(&mut self, job_id: JobId, now: Timestamp) -> Result<(), CommandError> {
        self.try_transition(job_id, JobCommand::Hold, now)
    }

    /// Releases a held job back to `queued` at its original place in the queue.
    pub fn release(&mut self, job_id: JobId, now: Timestamp) -> Result<(), CommandError> {
        self.try_transition(job_id, JobCommand::Release, now)?;
        if let Some(job) = self.jobs.get_mut(&job_id) {
            // Why the machine held it no longer holds; if it still does, the
            // pump holds it again with the reason of now.
            job.error = None;
        }
        self.pump(now);
        Ok(())
    }

    /// Reprints a failed, interrupted or cancelled job as a new job `new_job_id`
    /// (same spec and raster bytes, `parent_job_id` = `job_id`,
    /// `retry_count + 1`) queued at the end. The old job does not change.
    /// Its raster must be in memory (see [`restore_raster`](Self::restore_raster)).
    pub fn retry(
        &mut self,
        job_id: JobId,
        new_job_id: JobId,
        now: Timestamp,
    ) -> Result<JobId, CommandError> {
        let job = self
            .jobs
            .get(&job_id)
            .ok_or(CommandError::JobNotFound { job_id })?;
        let new_job = job
            .retry(new_job_id, now)
            .map_err(|e| CommandError::from_transition(job_id, e))?;
        self.queue_retry(new_job, now)
    }

    /// Reprints `old`, a job of this printer the machine no longer holds
    /// (read back from the store, raster included), exactly as
    /// [`retry`](Self::retry) would: new job `new_job_id` with the same spec,
    /// `parent_job_id` = `old.id`, `retry_count + 1`, queued at the end.
    pub fn retry_stored(
        &mut self,
        old: &Job,
        new_job_id: JobId,
        now: Timestamp,
    ) -> Result<JobId, CommandError> {
        if old.spec.printer_id != self.printer_id {
            return Err(CommandError::WrongPrinter {
                printer_id: self.printer_id,
                requested: old.spec.printer_id,
            });
        }
        let new_job = old
            .retry(new_job_id, now)
            .map_err(|e| CommandError::from_transition(old.id, e))?;
        self.queue_retry(new_job, now)
    }

    fn queue_retry(&mut self, new_job: Job, now: Timestamp) -> Result<JobId, CommandError> {
        let id = new_job.id;
        self.check_admission(id)?;
        // A released raster is refused here (`EmptyRaster`): the caller
        // restores it first (`restore_raster`), a new job never goes without one.
        new_job.spec.validate()?;
        self.admit(new_job, now);
        self.pump(now);
        Ok(id)
    }

    /// Pauses the printer: nothing more is sent; a copy in flight finishes.
    pub fn pause(&mut self, now: Timestamp) -> Result<(), CommandError> {
        match self.state {
            PrinterState::Disabled => Err(self.disabled()),
            PrinterState::Paused => Ok(()),
            _ => {
                self.set_state(PrinterState::Paused, now);
                Ok(())
            }
        }
    }

    /// Resumes printing. From `paused` it sends the next copy; from `stopped`
    /// or `offline` it also queries the status and tries again now (a problem
    /// that persists shows up again as a failed write or a status report).
    /// A no-op when idle or printing.
    pub fn resume(&mut self, now: Timestamp) -> Result<(), CommandError> {
        match self.state {
            PrinterState::Disabled => return Err(self.disabled()),
            PrinterState::Idle | PrinterState::Printing => return Ok(()),
            PrinterState::Paused => {}
            PrinterState::Stopped { .. } | PrinterState::Offline { .. } => {
                self.backoff_attempts = 0;
                self.actions.push_back(Action::QueryStatus);
            }
        }
        self.run(now);
        Ok(())
    }

    /// Cancels every queued and held job (never the one whose copy is in
    /// flight) and returns how many were cancelled. Parked jobs are left
    /// as they are: the caller unparks them first.
    pub fn clear(&mut self, now: Timestamp) -> usize {
        let waiting: Vec<JobId> = self.queue.iter().copied().collect();
        let mut cancelled = 0;
        for id in waiting {
            let copies_left = self.jobs.get(&id).map_or(0, |j| j.copies_remaining());
            if self
                .try_transition(id, JobCommand::Cancel { copies_left }, now)
                .is_ok()
            {
                cancelled += 1;
            }
        }
        cancelled
    }

    /// Fails every queued job created before `created_before` with
    /// `queue_timeout` (a printer's queue timeout, issue #20) and returns
    /// their ids. Held jobs wait for a person and are kept; a job being laid
    /// out again is kept until its answer; a job with copies in flight is
    /// printing, not queued. A parked job is not looked at: the caller
    /// unparks the old ones first ([`parked_created_before`](Self::parked_created_before)).
    pub fn expire_queued(&mut self, created_before: Timestamp, now: Timestamp) -> Vec<JobId> {
        let stale: Vec<JobId> = self
            .queue
            .iter()
            .copied()
            .filter(|id| {
                !self.relaying.contains(id)
                    && self.jobs.get(id).is_some_and(|j| {
                        j.state == JobState::Queued && j.created_at < created_before
                    })
            })
            .collect();
        for id in &stale {
            let error = JobError::new(
                "queue_timeout",
                "the job waited in the queue longer than the printer's queue timeout",
            );
            self.end_job(*id, JobCommand::Expire, Some(error), now);
        }
        if !stale.is_empty() {
            self.pump(now);
        }
        stale
    }

    /// Takes a disabled printer back into service (idle, or printing if a copy
    /// is still in flight) and starts the next job. A no-op otherwise.
    pub fn enable(&mut self, now: Timestamp) {
        if self.state == PrinterState::Disabled {
            self.run(now);
        }
    }

    /// Takes the printer out of service: no new jobs, nothing more is sent; a
    /// copy in flight finishes. Queued jobs stay queued.
    pub fn disable(&mut self, now: Timestamp) {
        if self.state != PrinterState::Disabled {
            self.set_state(PrinterState::Disabled, now);
        }
    }
}
