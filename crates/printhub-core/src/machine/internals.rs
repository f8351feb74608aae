//! The machine's private moves: admission, starting the next chain, ending,
//! requeueing and announcing jobs, the printer state and its timers, and
//! pruning the history. Commands and inputs are made of these.

use super::{Action, PrinterMachine};
use crate::chain::{self, ChainPage, InFlight};
use crate::error::{CommandError, TransitionError};
use crate::event::{Event, JobProgressed, JobStateChanged, PrinterStateChanged};
use crate::id::{JobId, Timestamp};
use crate::job::{Job, JobCommand, JobError, JobState};
use crate::printer::PrinterState;

impl PrinterMachine {
    pub(super) fn disabled(&self) -> CommandError {
        CommandError::PrinterDisabled {
            printer_id: self.printer_id,
        }
    }

    /// Checks that a new job `job_id` may join the queue.
    pub(super) fn check_admission(&self, job_id: JobId) -> Result<(), CommandError> {
        if self.state == PrinterState::Disabled {
            return Err(self.disabled());
        }
        if self.holds(job_id) {
            return Err(CommandError::DuplicateJob { job_id });
        }
        if self.queue.len() >= self.config.max_queue {
            return Err(CommandError::QueueFull {
                limit: self.config.max_queue,
            });
        }
        Ok(())
    }

    /// Whether the machine knows `job_id` as a job it holds or has parked.
    pub(super) fn holds(&self, job_id: JobId) -> bool {
        self.jobs.contains_key(&job_id) || self.parked.contains_key(&job_id)
    }

    /// Adds a new queued job at the end of the queue and announces it (the
    /// caller then pumps).
    pub(super) fn admit(&mut self, job: Job, now: Timestamp) {
        let id = job.id;
        if self.forgotten.contains(&id) {
            // A forgotten id comes back: sweep first, so it is listed once.
            self.sweep_order();
        }
        self.order.push(id);
        self.queue.push_back(id);
        self.media_pending.push(id);
        let job = self.boxed(job);
        self.jobs.insert(id, job);
        self.emit_job_change(id, None, JobState::Queued, now);
    }

    /// `job` boxed for the map, its repeated names shared with the other
    /// jobs' ([`Names`](crate::Names)).
    pub(super) fn boxed(&mut self, job: Job) -> Box<Job> {
        self.interned(Box::new(job))
    }

    /// [`boxed`](Self::boxed) for a job boxed already.
    pub(super) fn interned(&mut self, mut job: Box<Job>) -> Box<Job> {
        let spec = &mut job.spec;
        self.names.intern(&mut spec.model);
        self.names.intern(&mut spec.media_id);
        self.names.intern_opt(&mut spec.content_type);
        self.names.intern_opt(&mut spec.template);
        self.names.intern_opt(&mut spec.submitted_by);
        self.names.intern_opt(&mut spec.source_address);
        job
    }

    /// Puts a paused, stopped, offline or disabled printer back to work:
    /// printing (the copy in flight, or the next job) or idle.
    pub(super) fn run(&mut self, now: Timestamp) {
        if self.in_flight.is_some() || self.waits_for_parked() {
            self.set_state(PrinterState::Printing, now);
        }
        if self.in_flight.is_none() && !self.try_start(now) && !self.waits_for_parked() {
            self.set_state(PrinterState::Idle, now);
        }
    }

    /// Starts the next job if the printer may send, or goes idle when it has
    /// nothing left to print.
    pub(super) fn pump(&mut self, now: Timestamp) {
        self.sort_media(now);
        if self.in_flight.is_some() {
            return;
        }
        let printing = match self.state {
            PrinterState::Idle => false,
            PrinterState::Printing => true,
            _ => return,
        };
        if self.try_start(now) {
            return;
        }
        // A parked head (a restart brings long queues back parked) keeps
        // the printer at work until it is read back.
        if self.waits_for_parked() {
            if !printing {
                self.set_state(PrinterState::Printing, now);
            }
        } else if printing {
            self.set_state(PrinterState::Idle, now);
        }
    }

    /// The first queued job not being laid out again, parked or not.
    pub(super) fn next_ready(&self) -> Option<JobId> {
        self.queue.iter().copied().find(|id| {
            self.parked.contains_key(id)
                || (!self.relaying.contains(id)
                    && self
                        .jobs
                        .get(id)
                        .is_some_and(|j| j.state == JobState::Queued))
        })
    }

    /// Whether the next job to print is parked: nothing starts until the
    /// caller unparks it, and the printer stays `printing` meanwhile.
    pub(super) fn waits_for_parked(&self) -> bool {
        self.next_ready()
            .is_some_and(|id| self.parked.contains_key(&id))
    }

    /// Starts the first queued job, if any: printing, persisted, announced, sent.
    ///
    /// A queued job with no copies left (only possible with restored data
    /// written by hand or by another version) is completed, not printed again.
    pub(super) fn try_start(&mut self, now: Timestamp) -> bool {
        while let Some(id) = self.next_ready() {
            if self.parked.contains_key(&id) {
                return false;
            }
            if self.transition_job(id, JobCommand::Start, now).is_none() {
                return false;
            }
            if self
                .jobs
                .get(&id)
                .is_some_and(|j| j.copies_remaining() == 0)
            {
                self.end_job(id, JobCommand::Complete, None, now);
                continue;
            }
            self.set_state(PrinterState::Printing, now);
            self.start_chain(id, now);
            return true;
        }
        false
    }

    /// Sends the chain that starts with the next copy of `first` (already
    /// printing): the other jobs it takes start printing (persisted and
    /// announced) before the `Send`.
    pub(super) fn start_chain(&mut self, first: JobId, now: Timestamp) {
        let Some(job) = self.jobs.get(&first) else {
            return;
        };
        let pages = chain::compose(job, &self.queue, &self.jobs, self.config.max_chain_pages);
        let head = ChainPage {
            job_id: first,
            copy: job.copies_printed.saturating_add(1),
        };
        let flight = InFlight::new(head, pages);
        for id in flight.jobs() {
            if id != first {
                self.transition_job(id, JobCommand::Start, now);
            }
        }
        let pages = flight.pages().to_vec();
        self.in_flight = Some(flight);
        self.actions.push_back(Action::Send { pages });
    }

    /// The chain in flight, if its first page is copy `copy` of `job_id`.
    pub(super) fn in_flight_mut(&mut self, job_id: JobId, copy: u32) -> Option<&mut InFlight> {
        self.in_flight
            .as_mut()
            .filter(|f| f.first() == ChainPage { job_id, copy })
    }

    pub(super) fn take_in_flight(&mut self, job_id: JobId, copy: u32) -> Option<InFlight> {
        self.in_flight_mut(job_id, copy)?;
        self.in_flight.take()
    }

    /// A page printed: the job's count goes up (persisted and announced), and
    /// the job completes when it has no copies left.
    pub(super) fn record_printed(&mut self, page: ChainPage, confirmed: bool, now: Timestamp) {
        let job_id = page.job_id;
        let Some(job) = self.jobs.get_mut(&job_id) else {
            return;
        };
        job.confirmed = if job.copies_printed == 0 {
            confirmed
        } else {
            job.confirmed && confirmed
        };
        job.copies_printed = job.copies_printed.saturating_add(1);
        let progressed = JobProgressed {
            job_id,
            printer_id: self.printer_id,
            batch_id: job.spec.batch_id,
            copies_printed: job.copies_printed,
            copies: job.spec.copies,
            at: now,
        };
        let change =
            (job.copies_remaining() == 0).then(|| self.apply(job_id, JobCommand::Complete, now));
        self.actions.push_back(Action::Persist(job_id));
        self.actions
            .push_back(Action::Emit(Event::JobProgressed(progressed)));
        if let Some(Ok((from, to))) = change {
            self.emit_job_change(job_id, Some(from), to, now);
        }
    }

    /// Puts printing jobs back at the head of the queue, in the given order
    /// (persisted and announced), copies printed kept.
    pub(super) fn requeue_in_order(&mut self, jobs: &[JobId], now: Timestamp) {
        let mut position = 0;
        for id in jobs {
            if self.transition_job(*id, JobCommand::Requeue, now).is_some() {
                // `apply` put it at the very front; move it behind the ones requeued before it.
                self.unqueue(*id);
                self.queue.insert(position.min(self.queue.len()), *id);
                position += 1;
            }
        }
    }

    /// Moves a printing job to a terminal state, recording `error`.
    pub(super) fn end_job(
        &mut self,
        job_id: JobId,
        command: JobCommand,
        error: Option<JobError>,
        now: Timestamp,
    ) {
        if let Ok((from, to)) = self.apply(job_id, command, now) {
            if let (Some(job), Some(error)) = (self.jobs.get_mut(&job_id), error) {
                job.error = Some(Box::new(error));
            }
            self.emit_job_change(job_id, Some(from), to, now);
        }
    }

    /// A user command on a job: applied, persisted and announced, or refused.
    pub(super) fn try_transition(
        &mut self,
        job_id: JobId,
        command: JobCommand,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        if !self.jobs.contains_key(&job_id) {
            return Err(CommandError::JobNotFound { job_id });
        }
        let (from, to) = self
            .apply(job_id, command, now)
            .map_err(|e| CommandError::from_transition(job_id, e))?;
        self.emit_job_change(job_id, Some(from), to, now);
        Ok(())
    }

    /// An internal move that the machine has already checked: applied,
    /// persisted and announced.
    pub(super) fn transition_job(
        &mut self,
        job_id: JobId,
        command: JobCommand,
        now: Timestamp,
    ) -> Option<(JobState, JobState)> {
        let (from, to) = self.apply(job_id, command, now).ok()?;
        self.emit_job_change(job_id, Some(from), to, now);
        Some((from, to))
    }

    /// Applies a move to a job and keeps the queue and history in step. No actions.
    pub(super) fn apply(
        &mut self,
        job_id: JobId,
        command: JobCommand,
        now: Timestamp,
    ) -> Result<(JobState, JobState), TransitionError> {
        let Some(job) = self.jobs.get_mut(&job_id) else {
            // Unknown ids are reported by the callers; this is unreachable in practice.
            return Err(TransitionError {
                from: JobState::Queued,
                command,
            });
        };
        let from = job.apply(command, now)?;
        let to = job.state;
        match (from, to) {
            (JobState::Queued, JobState::Printing) => self.unqueue(job_id),
            (JobState::Printing, JobState::Queued) => self.queue.push_front(job_id),
            _ => {}
        }
        if to.is_waiting() && from != to {
            self.media_pending.push(job_id);
        }
        if to.is_terminal() && !from.is_terminal() {
            self.unqueue(job_id);
            self.history.push_back(job_id);
        }
        Ok((from, to))
    }

    /// Takes `job_id` out of the queue: found from the head (a job leaves
    /// the queue at or near its head almost always), removed by shifting
    /// the shorter side.
    pub(super) fn unqueue(&mut self, job_id: JobId) {
        if let Some(at) = self.queue.iter().position(|id| *id == job_id) {
            self.queue.remove(at);
        }
    }

    /// `Persist` then `Emit(JobStateChanged)`.
    pub(super) fn emit_job_change(
        &mut self,
        job_id: JobId,
        from: Option<JobState>,
        to: JobState,
        now: Timestamp,
    ) {
        let batch_id = self.jobs.get(&job_id).and_then(|j| j.spec.batch_id);
        self.actions.push_back(Action::Persist(job_id));
        self.actions
            .push_back(Action::Emit(Event::JobStateChanged(JobStateChanged {
                job_id,
                printer_id: self.printer_id,
                batch_id,
                from,
                to,
                at: now,
            })));
    }

    pub(super) fn set_state(&mut self, to: PrinterState, now: Timestamp) {
        if self.state == to {
            return;
        }
        let from = std::mem::replace(&mut self.state, to.clone());
        if !matches!(
            to,
            PrinterState::Stopped { .. } | PrinterState::Offline { .. }
        ) {
            // Timers only drive stopped and offline printers.
            self.wake_at = None;
        }
        self.actions
            .push_back(Action::Emit(Event::PrinterStateChanged(
                PrinterStateChanged {
                    printer_id: self.printer_id,
                    from,
                    to,
                    at: now,
                },
            )));
    }

    pub(super) fn enter_stopped(&mut self, reason: String, now: Timestamp) {
        self.backoff_attempts = 0;
        self.set_state(PrinterState::Stopped { reason }, now);
        self.schedule(now.plus_millis(self.config.stopped_poll_ms.max(1)));
    }

    pub(super) fn go_offline(&mut self, now: Timestamp) {
        if !matches!(self.state, PrinterState::Offline { .. }) {
            self.set_state(PrinterState::Offline { since: now }, now);
        }
        self.schedule_reconnect(now);
    }

    /// Schedules the next reconnect attempt: `initial * 2^(n-1)`, capped.
    pub(super) fn schedule_reconnect(&mut self, now: Timestamp) {
        self.backoff_attempts = self.backoff_attempts.saturating_add(1);
        let doublings = self.backoff_attempts.saturating_sub(1).min(32);
        let delay = self
            .config
            .backoff_initial_ms
            .max(1)
            .saturating_mul(1_i64 << doublings)
            .min(self.config.backoff_max_ms.max(1));
        self.schedule(now.plus_millis(delay));
    }

    pub(super) fn schedule(&mut self, at: Timestamp) {
        self.wake_at = Some(at);
        self.actions.push_back(Action::WakeAt(at));
    }

    /// Forgets the oldest terminal jobs beyond `max_history`, and gives
    /// back the room a drained queue left (a queue of 100,000 jobs leaves
    /// maps and lists sized for them).
    pub(super) fn prune_history(&mut self) {
        self.shrink_if_roomy();
        if self.history.len() <= self.config.max_history {
            return;
        }
        while self.history.len() > self.config.max_history {
            if let Some(id) = self.history.pop_front() {
                self.jobs.remove(&id);
                self.forgotten.insert(id);
            }
        }
        if self.forgotten.len() * 2 > self.order.len() {
            self.sweep_order();
        }
    }

    /// Shrinks the collections holding four times (and 1024 entries) more
    /// room than they use: O(1) to check, and a shrink costs no more than
    /// the growth it undoes.
    fn shrink_if_roomy(&mut self) {
        const SLACK: usize = 1024;
        let roomy = |capacity: usize, len: usize| capacity > len.saturating_mul(4) + SLACK;
        if roomy(self.jobs.capacity(), self.jobs.len()) {
            self.jobs.shrink_to_fit();
        }
        if roomy(self.parked.capacity(), self.parked.len()) {
            self.parked.shrink_to_fit();
        }
        if roomy(self.queue.capacity(), self.queue.len()) {
            self.queue.shrink_to_fit();
        }
        if roomy(self.order.capacity(), self.order.len()) {
            self.order.shrink_to_fit();
        }
        if roomy(self.media_pending.capacity(), self.media_pending.len()) {
            self.media_pending.shrink_to_fit();
        }
    }

    /// Drops the forgotten jobs' ids from `order`.
    pub(super) fn sweep_order(&mut self) {
        let forgotten = std::mem::take(&mut self.forgotten);
        self.order.retain(|id| !forgotten.contains(id));
    }
}
