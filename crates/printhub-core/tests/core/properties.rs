//! Property test: random interleavings of user commands, write outcomes,
//! status reports and timers keep the queue's invariants.
//!
//! A model observes only what a caller sees (command results and the action
//! stream) and checks after every step:
//! - a copy is sent only while it is the next unprinted copy, so each job
//!   prints at most `copies` copies, and nothing is sent for a terminal job;
//! - a chain holds consecutive copies, at most `max_chain_pages`, and joins
//!   only jobs that opted in with the same model, medium and options;
//! - a page that may have reached the printer without being confirmed (a
//!   lost connection) is never sent again;
//! - nothing is sent for a job after a cancel of it was accepted;
//! - at most one `Send` is in flight;
//! - first sends of never-held jobs follow submission order;
//! - no job is lost: every accepted job is queued/held in the queue, the one
//!   in flight, or terminal, and the queue holds nothing else;
//! - every job change is announced by `Persist` before its event and before its
//!   `Send`; event chains are consistent and end at the machine's state;
//! - a paused or disabled printer sends nothing; an idle printer leaves no job waiting;
//! - parking (issue #17): the model plays the caller, parking queued jobs
//!   whose last snapshot it stored and reading them back (from what it
//!   stored) before a command on them or when they come near the head; a
//!   parked job is never sent, keeps its place, and the printer waits for
//!   it `printing` rather than going idle or passing it.

use std::collections::{HashMap, HashSet};

use printhub_core::{
    chain::chains_with, reason, Action, ChainPage, Event, JobId, JobState, MachineConfig,
    ObservedStatus, PrinterMachine, PrinterState, Timestamp, WriteFailure,
};
use proptest::prelude::*;

use crate::support::{chained, spec, PRINTER};

/// Chains in the property test hold at most this many pages.
const MAX_CHAIN: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    Submit(u32),
    /// Submit a job that opts in to chaining; `true`: on another medium.
    SubmitChained(u32, bool),
    /// Submit this many one-copy jobs that opt in to chaining, as one batch.
    SubmitBatch(u8),
    /// The printer reports this many more pages sent and printed.
    Progress(usize, usize),
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
    /// Park this job (refused unless it is plainly queued and stored).
    Park(usize),
    /// Read back the parked jobs among the next this many to start.
    Prefetch(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u32..=3).prop_map(Op::Submit),
        4 => ((1u32..=3), prop::bool::weighted(0.2)).prop_map(|(c, other)| Op::SubmitChained(c, other)),
        3 => ((0usize..3), (0usize..3)).prop_map(|(s, p)| Op::Progress(s, p)),
        1 => (1u8..5).prop_map(Op::SubmitBatch),
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
        3 => any::<usize>().prop_map(Op::Park),
        2 => (0u8..3).prop_map(Op::Prefetch),
    ]
}

/// The chain the caller is writing, and how far it got.
#[derive(Debug, Clone)]
struct Outstanding {
    pages: Vec<ChainPage>,
    /// Pages reported sent (`None`: not reported, so every page may have been).
    sent: Option<usize>,
    printed: usize,
}

impl Outstanding {
    fn first(&self) -> (JobId, u32) {
        (self.pages[0].job_id, self.pages[0].copy)
    }
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
    outstanding: Option<Outstanding>,
    /// Pages that may have reached the printer without being confirmed.
    maybe_printed: HashSet<ChainPage>,
    cancelled: HashSet<JobId>,
    ever_held: HashSet<JobId>,
    first_sends: Vec<JobId>,
    /// The last copy count announced for each job.
    progressed: HashMap<JobId, u32>,
    /// The last state announced for each job.
    announced: HashMap<JobId, JobState>,
    /// The last snapshot of each job the machine asked to persist.
    stored: HashMap<JobId, printhub_core::Job>,
}

impl Model {
    fn new() -> Self {
        Self {
            m: PrinterMachine::new(
                PRINTER,
                MachineConfig {
                    max_queue: 8,
                    max_history: 10_000,
                    max_chain_pages: MAX_CHAIN,
                    ..MachineConfig::default()
                },
            ),
            now: Timestamp::from_millis(0),
            next_id: 1,
            submitted: Vec::new(),
            copies: HashMap::new(),
            printed: HashMap::new(),
            outstanding: None,
            maybe_printed: HashSet::new(),
            cancelled: HashSet::new(),
            ever_held: HashSet::new(),
            first_sends: Vec::new(),
            progressed: HashMap::new(),
            announced: HashMap::new(),
            stored: HashMap::new(),
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

    /// Reads `ids` back from what was stored, as the caller does before a
    /// command on a parked job.
    fn unpark(&mut self, ids: &[JobId], now: Timestamp) {
        let jobs: Vec<_> = ids
            .iter()
            .filter(|id| self.m.is_parked(**id))
            .map(|id| self.stored[id].clone())
            .collect();
        let n = jobs.len();
        assert_eq!(
            self.m.unpark(jobs, now),
            n,
            "a stored parked job comes back"
        );
    }

    fn apply(&mut self, op: &Op) {
        self.now = self.now.plus_millis(7);
        let now = self.now;
        // A command on a parked job reads it back first.
        match *op {
            Op::Cancel(i) | Op::Hold(i) | Op::Release(i) | Op::Retry(i) => {
                if let Some(id) = self.pick(i) {
                    self.unpark(&[id], now);
                }
            }
            Op::Clear => {
                let parked = self.m.parked_ids();
                self.unpark(&parked, now);
            }
            _ => {}
        }
        if self.m.has_actions() {
            self.drain();
        }
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
            Op::SubmitChained(copies, other_media) => {
                let id = self.fresh_id();
                let n = id.as_uuid().as_u128();
                let mut spec = chained(n, copies);
                if other_media {
                    spec.media_id = "tze-24".into();
                }
                if self.m.submit(id, spec, now).is_ok() {
                    self.accept(id, copies);
                }
            }
            Op::SubmitBatch(count) => {
                let batch: Vec<(JobId, _)> = (0..count)
                    .map(|_| {
                        let id = self.fresh_id();
                        (id, chained(id.as_uuid().as_u128(), 1))
                    })
                    .collect();
                let ids: Vec<JobId> = batch.iter().map(|(id, _)| *id).collect();
                if self.m.submit_batch(batch, now).is_ok() {
                    for id in ids {
                        self.accept(id, 1);
                    }
                }
            }
            Op::Progress(more_sent, more_printed) => {
                if let Some(out) = self.outstanding.as_mut() {
                    let len = out.pages.len();
                    let printed = (out.printed + more_printed).min(len);
                    let sent = (out.sent.unwrap_or(0) + more_sent).max(printed).min(len);
                    for page in &out.pages[out.printed..printed] {
                        *self.printed.entry(page.job_id).or_default() += 1;
                    }
                    out.printed = printed;
                    out.sent = Some(sent);
                    let (id, copy) = out.first();
                    self.m.handle_write_progress(id, copy, sent, printed, now);
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
                if let Some(out) = self.outstanding.take() {
                    for page in &out.pages[out.printed..] {
                        *self.printed.entry(page.job_id).or_default() += 1;
                    }
                    let (id, copy) = out.first();
                    self.m.handle_write_finished(id, copy, confirmed, now);
                }
            }
            Op::Fail(kind) => {
                if let Some(out) = self.outstanding.take() {
                    let (id, copy) = out.first();
                    if kind >= 3 {
                        // Lost: the page in flight, and what else was sent and not
                        // confirmed, has an unknown outcome.
                        let len = out.pages.len();
                        let reached = out.sent.unwrap_or(len).max(out.printed + 1).min(len);
                        self.maybe_printed
                            .extend(out.pages[out.printed.min(reached)..reached].iter().copied());
                    }
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
                let (id, copy) = self
                    .outstanding
                    .as_ref()
                    .map_or((JobId::from_u128(0), 0), Outstanding::first);
                self.m.handle_write_finished(id, copy + 7, true, now);
                self.m.handle_write_progress(id, copy + 7, 1, 1, now);
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
            Op::Park(i) => {
                if let Some(id) = self.pick(i) {
                    let queued = self.m.job(id).is_some_and(|j| j.state == JobState::Queued);
                    let in_flight = self.m.in_flight().is_some_and(|f| f.contains(id));
                    let parked = self.m.park(id);
                    assert_eq!(parked, queued && !in_flight, "park of {id:?}");
                    if parked {
                        assert_eq!(self.stored[&id].state, JobState::Queued, "stored as parked");
                    }
                }
            }
            Op::Prefetch(n) => {
                let upcoming = self.m.upcoming(usize::from(n));
                self.unpark(&upcoming, now);
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
                    let job = self.m.job(id).expect("persist of an unknown job");
                    self.stored.insert(id, job.clone());
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
                    // One event per page, counting up to what the caller reported.
                    let last = self.progressed.insert(e.job_id, e.copies_printed);
                    assert_eq!(e.copies_printed, last.unwrap_or(0) + 1, "{e:?}");
                    assert!(Some(&e.copies_printed) <= self.printed.get(&e.job_id));
                }
                Action::Emit(Event::PrinterStateChanged(e)) => assert_ne!(e.from, e.to),
                Action::Emit(e @ (Event::PrinterStatusChanged(_) | Event::MediaChanged(_))) => {
                    panic!("the machine never emits link events: {e:?}")
                }
                Action::Send { pages } => {
                    sent = true;
                    assert!(self.outstanding.is_none(), "two Sends in flight");
                    assert!(!pages.is_empty() && pages.len() <= MAX_CHAIN, "{pages:?}");
                    let mut next: HashMap<JobId, u32> = HashMap::new();
                    for page in &pages {
                        let job_id = page.job_id;
                        assert_eq!(
                            self.announced.get(&job_id),
                            Some(&JobState::Printing),
                            "sent before printing was persisted and announced"
                        );
                        assert!(!self.cancelled.contains(&job_id), "sent after its cancel");
                        assert!(
                            !self.maybe_printed.contains(page),
                            "{page:?} may have printed already and was sent again"
                        );
                        let expected = *next.entry(job_id).or_insert_with(|| {
                            self.printed.get(&job_id).copied().unwrap_or_default() + 1
                        });
                        assert_eq!(page.copy, expected, "not the next unprinted copy");
                        next.insert(job_id, expected + 1);
                        assert!(
                            page.copy <= self.copies[&job_id],
                            "more copies than asked for"
                        );
                        if !self.first_sends.contains(&job_id) {
                            self.first_sends.push(job_id);
                        }
                    }
                    // A chain of several jobs joins only jobs that may be chained together.
                    let first = self.m.job(pages[0].job_id).expect("known job").spec.clone();
                    for page in &pages[1..] {
                        if page.job_id != pages[0].job_id {
                            let other = &self.m.job(page.job_id).expect("known job").spec;
                            assert!(
                                chains_with(&first, other),
                                "{first:?} chained with {other:?}"
                            );
                        }
                    }
                    if pages.len() > 1 {
                        assert!(first.options.chain, "a job that did not opt in was chained");
                    }
                    // And it stops only at a boundary: the cap, a job's copies, the
                    // next waiting job not fitting, or that job being parked (its
                    // raster is in the store, not here).
                    let last = pages[pages.len() - 1];
                    let last_whole = last.copy == self.copies[&last.job_id];
                    if first.options.chain && pages.len() < MAX_CHAIN && last_whole {
                        let next = self.m.upcoming(1).first().copied();
                        if let Some(next) = next.and_then(|id| self.m.job(id)) {
                            assert!(
                                !chains_with(&first, &next.spec) || next.copies_remaining() == 0,
                                "the chain {pages:?} stopped before {:?}",
                                next.id
                            );
                        }
                    }
                    self.outstanding = Some(Outstanding {
                        pages,
                        sent: None,
                        printed: 0,
                    });
                }
                // No medium is set: nothing is ever laid out again.
                Action::QueryStatus | Action::WakeAt(_) | Action::Relayout { .. } => {}
            }
        }
        sent
    }

    fn check_state(&self) {
        let in_flight = self.m.in_flight();
        assert_eq!(
            in_flight.map(|f| f.pages().to_vec()),
            self.outstanding.as_ref().map(|o| o.pages.clone())
        );
        assert_eq!(
            in_flight.map(|f| f.printed()),
            self.outstanding.as_ref().map(|o| o.printed)
        );
        let queue: Vec<JobId> = self.m.queue_ids().collect();
        for id in &self.submitted {
            if self.m.is_parked(*id) {
                assert!(queue.contains(id), "parked {id:?} lost its place");
                assert_eq!(self.announced.get(id), Some(&JobState::Queued));
                assert!(self.m.job(*id).is_none());
                continue;
            }
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
                JobState::Printing => assert!(in_flight.is_some_and(|f| f.contains(*id))),
                _ => assert!(!queue.contains(id)),
            }
        }
        assert!(self.m.queue().all(|j| j.state.is_waiting()));
        assert_eq!(
            self.m.jobs().count() + self.m.parked_len(),
            self.submitted.len()
        );
        let waits_for_parked = self.m.next_job_id().is_some_and(|id| self.m.is_parked(id));
        match self.m.state() {
            PrinterState::Printing => assert!(in_flight.is_some() || waits_for_parked),
            PrinterState::Idle => {
                assert!(in_flight.is_none());
                assert!(self.m.next_job_id().is_none(), "idle with a job waiting");
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
            // The caller reads parked jobs back as they come near the head.
            model.apply(&Op::Prefetch(2));
            if model.outstanding.is_none() {
                break;
            }
            model.apply(&Op::Finish(true));
        }
        prop_assert!(model.outstanding.is_none());
        // Nothing queued is left behind on a working printer.
        prop_assert!(model.m.next_job_id().is_none(), "state {:?}", model.m.state());
    }
}
