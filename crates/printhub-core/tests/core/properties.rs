//! Property test: random interleavings of user commands, write outcomes,
//! status reports and timers keep the queue's invariants.
//!
//! A model observes only what a caller sees (command results and the action
//! stream) and checks after every step:
//! - a copy is sent only while it is the next unprinted copy, so each job
//!   prints at most `copies` copies, and nothing is sent for a terminal job;
//! - nothing is sent for a job after a cancel of it was accepted;
//! - at most one `Send` is in flight;
//! - first sends of never-held jobs follow submission order;
//! - no job is lost: every accepted job is queued/held in the queue, the one
//!   in flight, or terminal, and the queue holds nothing else;
//! - every job change is announced by `Persist` before its event and before its
//!   `Send`; event chains are consistent and end at the machine's state;
//! - a paused or disabled printer sends nothing; an idle printer leaves no job waiting.

use std::collections::{HashMap, HashSet};

use printhub_core::{
    reason, Action, Event, JobId, JobState, MachineConfig, ObservedStatus, PrinterMachine,
    PrinterState, Timestamp, WriteFailure,
};
use proptest::prelude::*;

use crate::support::{spec, PRINTER};

#[derive(Debug, Clone)]
enum Op {
    Submit(u32),
    Cancel(usize),
    Hold(usize),
    Release(usize),
    Retry(usize),
    Pause,
    Resume,
    Clear,
    Enable,
    Disable,
    Finish(bool),
    Fail(u8),
    Stale,
    Status(u8),
    Timeout(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u32..=3).prop_map(Op::Submit),
        2 => any::<usize>().prop_map(Op::Cancel),
        2 => any::<usize>().prop_map(Op::Hold),
        2 => any::<usize>().prop_map(Op::Release),
        1 => any::<usize>().prop_map(Op::Retry),
        1 => Just(Op::Pause),
        2 => Just(Op::Resume),
        1 => Just(Op::Clear),
        1 => Just(Op::Enable),
        1 => Just(Op::Disable),
        6 => any::<bool>().prop_map(Op::Finish),
        3 => (0u8..4).prop_map(Op::Fail),
        1 => Just(Op::Stale),
        2 => (0u8..3).prop_map(Op::Status),
        2 => (0i64..20_000).prop_map(Op::Timeout),
    ]
}

/// What the caller has seen.
#[derive(Debug)]
struct Model {
    m: PrinterMachine,
    now: Timestamp,
    next_id: u128,
    /// Accepted jobs, in submission order (retries are submissions).
    submitted: Vec<JobId>,
    copies: HashMap<JobId, u32>,
    printed: HashMap<JobId, u32>,
    outstanding: Option<(JobId, u32)>,
    cancelled: HashSet<JobId>,
    ever_held: HashSet<JobId>,
    first_sends: Vec<JobId>,
    /// The last state announced for each job.
    announced: HashMap<JobId, JobState>,
}

impl Model {
    fn new() -> Self {
        Self {
            m: PrinterMachine::new(
                PRINTER,
                MachineConfig {
                    max_queue: 8,
                    max_history: 10_000,
                    ..MachineConfig::default()
                },
            ),
            now: Timestamp::from_millis(0),
            next_id: 1,
            submitted: Vec::new(),
            copies: HashMap::new(),
            printed: HashMap::new(),
            outstanding: None,
            cancelled: HashSet::new(),
            ever_held: HashSet::new(),
            first_sends: Vec::new(),
            announced: HashMap::new(),
        }
    }

    fn pick(&self, i: usize) -> Option<JobId> {
        if self.submitted.is_empty() {
            None
        } else {
            Some(self.submitted[i % self.submitted.len()])
        }
    }

    fn fresh_id(&mut self) -> JobId {
        let id = JobId::from_u128(self.next_id);
        self.next_id += 1;
        id
    }

    fn accept(&mut self, id: JobId, copies: u32) {
        self.submitted.push(id);
        self.copies.insert(id, copies);
        self.printed.insert(id, 0);
    }

    fn apply(&mut self, op: &Op) {
        self.now = self.now.plus_millis(7);
        let now = self.now;
        let before = self.m.state().clone();
        let may_start = matches!(op, Op::Resume | Op::Enable);
        match *op {
            Op::Submit(copies) => {
                let id = self.fresh_id();
                let n = id.as_uuid().as_u128();
                if self.m.submit(id, spec(n, copies), now).is_ok() {
                    self.accept(id, copies);
                }
            }
            Op::Cancel(i) => {
                if let Some(id) = self.pick(i) {
                    if self.m.cancel(id, now).is_ok() {
                        self.cancelled.insert(id);
                    }
                }
            }
            Op::Hold(i) => {
                if let Some(id) = self.pick(i) {
                    if self.m.hold(id, now).is_ok() {
                        self.ever_held.insert(id);
                    }
                }
            }
            Op::Release(i) => {
                if let Some(id) = self.pick(i) {
                    let _ = self.m.release(id, now);
                }
            }
            Op::Retry(i) => {
                if let Some(id) = self.pick(i) {
                    let new = self.fresh_id();
                    if self.m.retry(id, new, now) == Ok(new) {
                        let copies = self.copies[&id];
                        self.accept(new, copies);
                    }
                }
            }
            Op::Pause => {
                let _ = self.m.pause(now);
            }
            Op::Resume => {
                let _ = self.m.resume(now);
            }
            Op::Clear => {
                self.m.clear(now);
            }
            Op::Enable => self.m.enable(now),
            Op::Disable => self.m.disable(now),
            Op::Finish(confirmed) => {
                if let Some((id, copy)) = self.outstanding.take() {
                    *self.printed.entry(id).or_default() += 1;
                    self.m.handle_write_finished(id, copy, confirmed, now);
                }
            }
            Op::Fail(kind) => {
                if let Some((id, copy)) = self.outstanding.take() {
                    let failure = match kind {
                        0 => WriteFailure::Attention {
                            reason_code: reason::NO_MEDIA.into(),
                        },
                        1 => WriteFailure::Unreachable,
                        2 => WriteFailure::Rejected {
                            code: "bad_raster".into(),
                            message: "refused".into(),
                        },
                        _ => WriteFailure::Lost,
                    };
                    self.m.handle_write_failed(id, copy, failure, now);
                }
            }
            Op::Stale => {
                let (id, copy) = self.outstanding.unwrap_or((JobId::from_u128(0), 0));
                self.m.handle_write_finished(id, copy + 7, true, now);
                self.m.handle_write_failed(
                    JobId::from_u128(u128::MAX),
                    copy,
                    WriteFailure::Lost,
                    now,
                );
                assert_eq!(
                    self.m.poll_action(),
                    None,
                    "a stale report changed something"
                );
            }
            Op::Status(kind) => {
                let observed = match kind {
                    0 => ObservedStatus::ready(),
                    1 => ObservedStatus::attention(reason::COVER_OPEN),
                    _ => ObservedStatus::unreachable(),
                };
                self.m.handle_status(observed, now);
            }
            Op::Timeout(advance) => {
                self.now = now.plus_millis(advance);
                self.m.handle_timeout(self.now);
            }
        }
        let sent = self.drain();
        if matches!(before, PrinterState::Paused | PrinterState::Disabled) && !may_start {
            assert!(!sent, "sent while {before} on {op:?}");
        }
        self.check_state();
    }

    /// Drains the actions, checking them in order. Returns whether a `Send` came out.
    fn drain(&mut self) -> bool {
        let mut persisted: HashSet<JobId> = HashSet::new();
        let mut sent = false;
        while let Some(action) = self.m.poll_action() {
            match action {
                Action::Persist(id) => {
                    assert!(self.m.job(id).is_some(), "persist of an unknown job");
                    persisted.insert(id);
                }
                Action::Emit(Event::JobStateChanged(e)) => {
                    assert!(
                        persisted.remove(&e.job_id),
                        "{e:?} without a Persist before it"
                    );
                    assert_eq!(e.printer_id, PRINTER);
                    let previous = self.announced.get(&e.job_id).copied();
                    assert_eq!(e.from, previous, "event chain of {:?}", e.job_id);
                    if let Some(from) = e.from {
                        assert!(!from.is_terminal(), "a terminal job changed: {e:?}");
                        assert!(
                            from.transition_allowed_to(e.to),
                            "{e:?} is not a legal move"
                        );
                    }
                    self.announced.insert(e.job_id, e.to);
                }
                Action::Emit(Event::JobProgressed(e)) => {
                    assert!(
                        persisted.contains(&e.job_id),
                        "{e:?} without a Persist before it"
                    );
                    assert_eq!(Some(&e.copies_printed), self.printed.get(&e.job_id));
                }
                Action::Emit(Event::PrinterStateChanged(e)) => assert_ne!(e.from, e.to),
                Action::Emit(e @ (Event::PrinterStatusChanged(_) | Event::MediaChanged(_))) => {
                    panic!("the machine never emits link events: {e:?}")
                }
                Action::Send { job_id, copy } => {
                    sent = true;
                    assert_eq!(self.outstanding, None, "two Sends in flight");
                    assert_eq!(
                        self.announced.get(&job_id),
                        Some(&JobState::Printing),
                        "sent before printing was persisted and announced"
                    );
                    assert!(!self.cancelled.contains(&job_id), "sent after its cancel");
                    let printed = self.printed.get(&job_id).copied().unwrap_or_default();
                    assert_eq!(copy, printed + 1, "not the next unprinted copy");
                    assert!(copy <= self.copies[&job_id], "more copies than asked for");
                    if !self.first_sends.contains(&job_id) {
                        self.first_sends.push(job_id);
                    }
                    self.outstanding = Some((job_id, copy));
                }
                Action::QueryStatus | Action::WakeAt(_) => {}
            }
        }
        sent
    }

    fn check_state(&self) {
        let in_flight = self.m.in_flight();
        assert_eq!(in_flight.map(|f| (f.job_id, f.copy)), self.outstanding);
        let queue: Vec<JobId> = self.m.queue().map(|j| j.id).collect();
        for id in &self.submitted {
            let job = self.m.job(*id).expect("no job is lost");
            assert_eq!(
                self.announced.get(id),
                Some(&job.state),
                "store/event lag for {id:?}"
            );
            assert_eq!(Some(&job.copies_printed), self.printed.get(id));
            assert!(job.copies_printed <= job.spec.copies);
            match job.state {
                JobState::Queued | JobState::Held => assert!(queue.contains(id), "{id:?} lost"),
                JobState::Printing => assert_eq!(in_flight.map(|f| f.job_id), Some(*id)),
                _ => assert!(!queue.contains(id)),
            }
        }
        assert!(self.m.queue().all(|j| j.state.is_waiting()));
        assert_eq!(self.m.jobs().count(), self.submitted.len());
        match self.m.state() {
            PrinterState::Printing => assert!(in_flight.is_some()),
            PrinterState::Idle => {
                assert!(in_flight.is_none());
                assert!(self.m.next_job().is_none(), "idle with a job waiting");
            }
            PrinterState::Stopped { .. } | PrinterState::Offline { .. } => {
                assert!(in_flight.is_none());
            }
            PrinterState::Paused | PrinterState::Disabled => {}
        }
        // First sends of never-held jobs follow submission order.
        let position = |id: &JobId| self.submitted.iter().position(|s| s == id);
        let order: Vec<usize> = self
            .first_sends
            .iter()
            .filter(|id| !self.ever_held.contains(id))
            .filter_map(position)
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "out of order: {order:?}"
        );
    }
}

/// Whether some command moves `from` to `to` (with copies left for cancel).
trait AllowedTo {
    fn transition_allowed_to(self, to: JobState) -> bool;
}

impl AllowedTo for JobState {
    fn transition_allowed_to(self, to: JobState) -> bool {
        use printhub_core::JobCommand as C;
        [
            C::Start,
            C::Hold,
            C::Release,
            C::Cancel { copies_left: 1 },
            C::Complete,
            C::Fail,
            C::Interrupt,
            C::Requeue,
        ]
        .into_iter()
        .any(|c| self.transition(c) == Ok(to))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn random_interleavings_keep_the_invariants(ops in proptest::collection::vec(op(), 1..80)) {
        let mut model = Model::new();
        for op in &ops {
            model.apply(op);
        }
        // Drive whatever is left to the end: resume, then finish every copy.
        model.apply(&Op::Enable);
        model.apply(&Op::Resume);
        model.apply(&Op::Status(0));
        for _ in 0..1_000 {
            if model.outstanding.is_none() {
                break;
            }
            model.apply(&Op::Finish(true));
        }
        prop_assert!(model.outstanding.is_none());
        // Nothing queued is left behind on a working printer.
        prop_assert!(model.m.next_job().is_none(), "state {:?}", model.m.state());
    }
}
