//! The machine's inputs: what the printer link reports back (a write's
//! progress and verdict, a chain the preflight held back, a status read) and
//! its timer. Never refused; a report that does not match the chain in
//! flight is stale and ignored.

use super::{Action, PrinterMachine};
use crate::chain::InFlight;
use crate::id::{JobId, Timestamp};
use crate::job::{JobCommand, JobError, JobState};
use crate::printer::{ObservedStatus, PreflightRefusal, PrinterState, WriteFailure};

impl PrinterMachine {
    /// How far the chain whose first page is copy `copy` of `job_id` has got:
    /// `printed` pages (from its first) the printer reported printed, `sent`
    /// pages whose bytes were handed to the printer. Newly printed pages
    /// count at once (a job whose last copy printed completes while the chain
    /// goes on). Counts never go back; a report that does not match the chain
    /// in flight is stale and ignored.
    pub fn handle_write_progress(
        &mut self,
        job_id: JobId,
        copy: u32,
        sent: usize,
        printed: usize,
        now: Timestamp,
    ) {
        let Some(flight) = self.in_flight_mut(job_id, copy) else {
            return;
        };
        let newly = flight.advance(sent, printed);
        if !newly.is_empty() {
            self.backoff_attempts = 0;
        }
        for page in newly {
            self.record_printed(page, true, now);
        }
    }

    /// The chain whose first page is copy `copy` of `job_id` was written and
    /// every page of it printed (`confirmed`: the printer confirmed the pages
    /// not already reported, rather than only accepting the bytes). Sends the
    /// next chain. A report that does not match the chain in flight is stale
    /// and ignored.
    pub fn handle_write_finished(
        &mut self,
        job_id: JobId,
        copy: u32,
        confirmed: bool,
        now: Timestamp,
    ) {
        let Some(mut flight) = self.take_in_flight(job_id, copy) else {
            return;
        };
        self.backoff_attempts = 0;
        let len = flight.pages().len();
        for page in flight.advance(len, len) {
            self.record_printed(page, confirmed, now);
        }
        let sending = self.state == PrinterState::Printing;
        // Jobs still printing have copies beyond this chain.
        let mut carry = None;
        let mut requeue = Vec::new();
        for id in flight.jobs() {
            let Some(job) = self.jobs.get(&id) else {
                continue;
            };
            if job.state != JobState::Printing {
                continue;
            }
            let copies_left = job.copies_remaining();
            if flight.cancel_requested(id) {
                self.end_job(id, JobCommand::Cancel { copies_left }, None, now);
            } else if sending && carry.is_none() && requeue.is_empty() {
                carry = Some(id);
            } else {
                requeue.push(id);
            }
        }
        self.requeue_in_order(&requeue, now);
        match carry {
            Some(id) => self.start_chain(id, now),
            None => self.pump(now),
        }
    }

    /// The chain whose first page is copy `copy` of `job_id` could not be
    /// written to the end. Pages already reported printed
    /// ([`handle_write_progress`](Self::handle_write_progress)) stay printed;
    /// the first page not reported printed gets what [`WriteFailure`] says
    /// for a copy; pages after it go back to the queue in order (a lost
    /// connection interrupts those that may have reached the printer too).
    /// A report that does not match the chain in flight is stale and ignored.
    pub fn handle_write_failed(
        &mut self,
        job_id: JobId,
        copy: u32,
        failure: WriteFailure,
        now: Timestamp,
    ) {
        let Some(flight) = self.take_in_flight(job_id, copy) else {
            return;
        };
        self.fail_flight(flight, failure, now);
    }

    /// The preflight held back the chain whose first page is copy `copy` of
    /// `job_id` before any byte of it was written: the printer's fresh status
    /// showed it unreachable or needing a person (see [`PreflightRefusal`]).
    /// Nothing printed and nothing fails: the chain's jobs go back to the
    /// head of the queue in order (a job whose cancel was requested is
    /// cancelled), and the printer goes offline or stops with the reason,
    /// as it would for a write that found the same. A report that does not
    /// match the chain in flight is stale and ignored.
    pub fn handle_preflight_refused(
        &mut self,
        job_id: JobId,
        copy: u32,
        refusal: PreflightRefusal,
        now: Timestamp,
    ) {
        let Some(flight) = self.take_in_flight(job_id, copy) else {
            return;
        };
        let failure = match refusal {
            PreflightRefusal::Unreachable => WriteFailure::Unreachable,
            PreflightRefusal::Attention { reason_code } => WriteFailure::Attention { reason_code },
        };
        // Nothing of the chain was sent or printed, so its pages fare as under
        // a write that failed at its first byte for the same cause.
        self.fail_flight(flight, failure, now);
    }

    /// The chain `flight` (taken off the machine) ended with `failure`.
    fn fail_flight(&mut self, flight: InFlight, failure: WriteFailure, now: Timestamp) {
        let sending = self.state == PrinterState::Printing;
        let at = flight.printed();
        let sent = flight.sent();
        let mut requeue = Vec::new();
        for id in flight.jobs() {
            if self.jobs.get(&id).map(|j| j.state) != Some(JobState::Printing) {
                continue;
            }
            let copies_left = self.jobs.get(&id).map_or(0, |j| j.copies_remaining());
            let page = flight.first_unprinted(id);
            let lost = matches!(failure, WriteFailure::Lost);
            if page == Some(at) || (lost && page.is_some_and(|i| i < sent)) {
                match &failure {
                    WriteFailure::Rejected { code, message } => {
                        let error = JobError::new(code.clone(), message.clone());
                        self.end_job(id, JobCommand::Fail, Some(error), now);
                    }
                    WriteFailure::Lost => {
                        let error = JobError::new(
                            "connection_lost",
                            "the connection dropped after the printer accepted data; whether the copy printed is unknown",
                        );
                        self.end_job(id, JobCommand::Interrupt, Some(error), now);
                    }
                    WriteFailure::Attention { .. } | WriteFailure::Unreachable => {
                        if flight.cancel_requested(id) {
                            self.end_job(id, JobCommand::Cancel { copies_left }, None, now);
                        } else {
                            requeue.push(id);
                        }
                    }
                }
            } else if flight.cancel_requested(id) {
                // Not started: it never prints again.
                self.end_job(id, JobCommand::Cancel { copies_left }, None, now);
            } else {
                requeue.push(id);
            }
        }
        self.requeue_in_order(&requeue, now);
        if sending {
            match failure {
                WriteFailure::Attention { reason_code } => self.enter_stopped(reason_code, now),
                WriteFailure::Unreachable => self.go_offline(now),
                WriteFailure::Rejected { .. } | WriteFailure::Lost => {}
            }
        }
        self.pump(now);
    }

    /// A status report: from a `QueryStatus`, or one the printer sent on its own.
    /// Ignored while a copy is in flight, paused or disabled. Otherwise a
    /// problem stops the printer, an unreachable printer goes offline, and a
    /// stopped or offline printer whose problem is gone resumes by itself.
    pub fn handle_status(&mut self, observed: ObservedStatus, now: Timestamp) {
        if self.in_flight.is_some() {
            return;
        }
        let ObservedStatus {
            reachable,
            attention,
        } = observed;
        match (&self.state, reachable, attention) {
            (PrinterState::Paused | PrinterState::Disabled | PrinterState::Printing, _, _) => {}
            (PrinterState::Offline { .. }, false, _) => {
                if self.wake_at.is_none() {
                    self.schedule_reconnect(now);
                }
            }
            (_, false, _) => self.go_offline(now),
            (PrinterState::Stopped { reason }, true, Some(new_reason)) => {
                if *reason != new_reason {
                    self.set_state(PrinterState::Stopped { reason: new_reason }, now);
                }
            }
            (_, true, Some(reason)) => self.enter_stopped(reason, now),
            (PrinterState::Stopped { .. } | PrinterState::Offline { .. }, true, None) => {
                self.backoff_attempts = 0;
                self.run(now);
            }
            (PrinterState::Idle, true, None) => {}
        }
    }

    /// A `WakeAt` fired. Early or unexpected calls are ignored. A stopped
    /// printer queries its status again; an offline one queries its status
    /// and, if a job is waiting, tries to send it (the next backoff step is
    /// scheduled if there is nothing to try).
    pub fn handle_timeout(&mut self, now: Timestamp) {
        match self.wake_at {
            Some(at) if at <= now => self.wake_at = None,
            _ => return,
        }
        match self.state {
            PrinterState::Stopped { .. } => {
                self.actions.push_back(Action::QueryStatus);
                self.schedule(now.plus_millis(self.config.stopped_poll_ms.max(1)));
            }
            PrinterState::Offline { .. } => {
                self.actions.push_back(Action::QueryStatus);
                if !self.try_start(now) {
                    self.schedule_reconnect(now);
                }
            }
            _ => {}
        }
    }
}
