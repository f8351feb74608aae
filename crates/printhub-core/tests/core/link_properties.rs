//! Property test of the printer link: a [`Link`] and its [`PrinterMachine`]
//! driven as the printer actor drives them, against a simulated printer
//! whose tape, cover and reachability change at random, with random delays,
//! probe answers, build completions, progress reports and write verdicts.
//!
//! Checked for every chain the machine asks to send:
//! - its preflight passed on a fresh status: when it passed, the last status
//!   read was younger than `preflight_max_age_ms`, or the printer had
//!   confirmed a send on the chain's medium that recently;
//!
//! and at every write the link asks for:
//! - what the link last heard says the printer is reachable, needs nobody
//!   and holds the chain's medium (or does not say);
//! - it is the chain the machine has in flight, with that chain's stream,
//!   on one medium, and no other write is running;
//! - no page of it printed, or may have printed, before (never a duplicate);
//!
//! and after every step: at most one probe runs, and the link is busy
//! exactly while the machine has a chain in flight (no chain is forgotten).

use std::collections::HashSet;

use printhub_core::{
    reason, Action, ChainPage, Link, LinkAction, LinkPolicy, MachineConfig, PrinterMachine,
    PrinterStatus, Timestamp, WriteFailure, WriteOutcome, WriteReport,
};
use proptest::prelude::*;

use crate::support::{chained, spec, PRINTER};

const MAX_AGE: i64 = 2_000;
const MEDIA: [&str; 2] = ["tze-12", "tze-24"];

#[derive(Debug, Clone)]
enum Op {
    /// Submit a job: copies, medium, opted in to chaining.
    Submit(u32, usize, bool),
    /// The printer changes: tape (`None`: none loaded), cover open, reachable.
    World(Option<usize>, bool, bool),
    /// Time moves on.
    Advance(i64),
    /// The running probe answers with what the printer is now.
    Answer,
    /// The oldest (or, with `true`, the newest) build finishes.
    Built(bool),
    /// The write reports one more page sent and maybe one printed.
    Progress(bool),
    /// The write ends: 0 confirmed, 1 sent unconfirmed, 2 attention,
    /// 3 unreachable/lost, 4 rejected.
    Done(u8),
    /// Due timers fire.
    Timeout,
    Cancel(usize),
    Pause,
    Resume,
    /// The printer's configuration moved it (another address).
    Moved,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => ((1u32..=3), (0usize..2), any::<bool>()).prop_map(|(c, m, ch)| Op::Submit(c, m, ch)),
        2 => (prop::option::weighted(0.9, 0usize..2), prop::bool::weighted(0.2), prop::bool::weighted(0.85))
            .prop_map(|(m, open, up)| Op::World(m, open, up)),
        3 => (0i64..3_000).prop_map(Op::Advance),
        4 => Just(Op::Answer),
        4 => any::<bool>().prop_map(Op::Built),
        3 => any::<bool>().prop_map(Op::Progress),
        4 => (0u8..5).prop_map(Op::Done),
        2 => Just(Op::Timeout),
        1 => any::<usize>().prop_map(Op::Cancel),
        1 => Just(Op::Pause),
        1 => Just(Op::Resume),
        1 => Just(Op::Moved),
    ]
}

/// The printer as it really is.
#[derive(Debug, Clone)]
struct World {
    media: Option<&'static str>,
    cover_open: bool,
    reachable: bool,
}

impl World {
    fn status(&self) -> PrinterStatus {
        PrinterStatus {
            reachable: self.reachable,
            ready: self.reachable && !self.cover_open,
            reason: (self.reachable && self.cover_open).then(|| reason::COVER_OPEN.to_owned()),
            media: self.media.filter(|_| self.reachable).map(str::to_owned),
            ..PrinterStatus::default()
        }
    }
}

/// The write running: its chain and how far it got.
#[derive(Debug)]
struct Writing {
    pages: Vec<ChainPage>,
    sent: usize,
    printed: usize,
}

struct Sim {
    m: PrinterMachine,
    link: Link<String>,
    now: Timestamp,
    world: World,
    next_id: u128,
    jobs: Vec<u128>,
    probing: bool,
    /// The running probe was started before the printer moved.
    probe_outdated: bool,
    builds: Vec<Vec<ChainPage>>,
    writing: Option<Writing>,
    machine_wake: Option<Timestamp>,
    link_wake: Option<Timestamp>,
    /// The last status the link heard, and when it read one last.
    heard: PrinterStatus,
    last_read: Option<Timestamp>,
    /// When the printer last confirmed a send, and on which medium.
    confirmed: Option<(Timestamp, String)>,
    /// Pages that printed or may have printed.
    done_pages: HashSet<ChainPage>,
    writes: usize,
    /// The preflight of the chain being sent was checked.
    preflight_checked: bool,
}

fn show(pages: &[ChainPage]) -> String {
    pages
        .iter()
        .map(|p| format!("{}#{}", p.job_id, p.copy))
        .collect::<Vec<_>>()
        .join("+")
}

impl Sim {
    fn new() -> Self {
        let now = Timestamp::from_millis(0);
        let policy = LinkPolicy {
            probe_interval_ms: 10_000,
            preflight_max_age_ms: MAX_AGE,
            ..LinkPolicy::default()
        };
        let config = MachineConfig {
            stopped_poll_ms: 1_000,
            backoff_initial_ms: 500,
            backoff_max_ms: 4_000,
            max_chain_pages: 3,
            ..MachineConfig::default()
        };
        let mut sim = Sim {
            m: PrinterMachine::new(PRINTER, config),
            link: Link::new(PRINTER, policy, PrinterStatus::default(), now),
            now,
            world: World {
                media: Some(MEDIA[0]),
                cover_open: false,
                reachable: true,
            },
            next_id: 1,
            jobs: Vec::new(),
            probing: false,
            probe_outdated: false,
            builds: Vec::new(),
            writing: None,
            machine_wake: None,
            link_wake: None,
            heard: PrinterStatus::default(),
            last_read: None,
            confirmed: None,
            done_pages: HashSet::new(),
            writes: 0,
            preflight_checked: false,
        };
        sim.drain();
        sim
    }

    fn apply(&mut self, op: &Op) {
        let now = self.now;
        match *op {
            Op::Submit(copies, media, chain) => {
                let n = self.next_id;
                self.next_id += 1;
                let mut spec = if chain {
                    chained(n, copies)
                } else {
                    spec(n, copies)
                };
                spec.media_id = MEDIA[media].into();
                if self
                    .m
                    .submit(printhub_core::JobId::from_u128(n), spec, now)
                    .is_ok()
                {
                    self.jobs.push(n);
                }
            }
            Op::World(media, cover_open, reachable) => {
                self.world = World {
                    media: media.map(|i| MEDIA[i]),
                    cover_open,
                    reachable,
                };
            }
            Op::Advance(ms) => self.now = now.plus_millis(ms),
            Op::Answer => {
                if self.probing {
                    self.probing = false;
                    let status = self.world.status();
                    if !std::mem::take(&mut self.probe_outdated) {
                        self.last_read = Some(now);
                        self.heard = status.clone();
                    }
                    self.link.handle_status(now, &mut self.m, status);
                }
            }
            Op::Built(newest) => {
                if !self.builds.is_empty() {
                    let i = if newest { self.builds.len() - 1 } else { 0 };
                    let pages = self.builds.remove(i);
                    let stream = show(&pages);
                    self.link.handle_built(now, &mut self.m, pages, stream);
                }
            }
            Op::Progress(printed) => {
                if let Some(w) = self.writing.as_mut() {
                    w.sent = (w.sent + 1).min(w.pages.len());
                    if printed && self.world.reachable {
                        w.printed = (w.printed + 1).min(w.sent);
                    }
                    for page in &w.pages[..w.printed] {
                        self.done_pages.insert(*page);
                    }
                    let (sent, printed) = (w.sent, w.printed);
                    self.link
                        .handle_write_progress(now, &mut self.m, sent, printed);
                }
            }
            Op::Done(kind) => {
                if let Some(w) = self.writing.take() {
                    let len = w.pages.len();
                    let (sent, printed, outcome) = match kind {
                        0 => (len, len, WriteOutcome::Confirmed),
                        1 => (len, w.printed, WriteOutcome::Sent),
                        2 => (
                            w.sent,
                            w.printed,
                            WriteOutcome::Failed(WriteFailure::Attention {
                                reason_code: reason::NO_MEDIA.into(),
                            }),
                        ),
                        3 if w.sent == 0 => (0, 0, WriteOutcome::Failed(WriteFailure::Unreachable)),
                        3 => (w.sent, w.printed, WriteOutcome::Failed(WriteFailure::Lost)),
                        _ => (
                            w.sent,
                            w.printed,
                            WriteOutcome::Failed(WriteFailure::Rejected {
                                code: "bad_raster".into(),
                                message: "refused".into(),
                            }),
                        ),
                    };
                    match &outcome {
                        WriteOutcome::Confirmed | WriteOutcome::Sent => {
                            self.done_pages.extend(w.pages.iter().copied());
                        }
                        // What reached the printer may have printed; the page
                        // it refused did not, nor did anything after it.
                        WriteOutcome::Failed(WriteFailure::Lost) => {
                            self.done_pages.extend(w.pages[..sent].iter().copied());
                        }
                        WriteOutcome::Failed(_) => {
                            self.done_pages.extend(w.pages[..printed].iter().copied());
                        }
                    }
                    if let WriteOutcome::Failed(WriteFailure::Attention { reason_code }) = &outcome
                    {
                        self.heard.ready = false;
                        self.heard.reason = Some(reason_code.clone());
                    }
                    let media = self.medium(&w.pages);
                    self.confirmed = (outcome == WriteOutcome::Confirmed).then_some((now, media));
                    let report = WriteReport {
                        sent,
                        printed,
                        outcome,
                    };
                    self.link.handle_write_done(now, &mut self.m, report);
                }
            }
            Op::Timeout => {
                if self.machine_wake.is_some_and(|t| t <= now) {
                    self.machine_wake = None;
                    self.m.handle_timeout(now);
                }
                if self.link_wake.is_some_and(|t| t <= now) {
                    self.link_wake = None;
                    self.link.handle_timeout(now);
                }
            }
            Op::Cancel(i) => {
                if !self.jobs.is_empty() {
                    let n = self.jobs[i % self.jobs.len()];
                    let _ = self.m.cancel(printhub_core::JobId::from_u128(n), now);
                }
            }
            Op::Pause => {
                let _ = self.m.pause(now);
            }
            Op::Resume => {
                let _ = self.m.resume(now);
            }
            Op::Moved => {
                self.last_read = None;
                self.confirmed = None;
                self.probe_outdated = self.probing;
                self.link.forget();
            }
        }
        self.drain();
    }

    fn medium(&self, pages: &[ChainPage]) -> String {
        pages
            .first()
            .and_then(|p| self.m.job(p.job_id))
            .map(|j| j.spec.media_id.to_string())
            .unwrap_or_default()
    }

    /// Drains both as the printer actor does: the link's actions right
    /// after each link call, the machine's in order.
    fn drain(&mut self) {
        self.perform_link();
        while let Some(action) = self.m.poll_action() {
            match action {
                Action::Send { pages } => {
                    self.preflight_checked = false;
                    assert!(
                        self.link.handle_send(self.now, &mut self.m, pages),
                        "the link takes every send the machine asks for"
                    );
                    self.perform_link();
                }
                Action::QueryStatus => {
                    self.link.request_probe();
                    self.perform_link();
                }
                Action::WakeAt(t) => self.machine_wake = Some(t),
                Action::Persist(_) | Action::Emit(_) | Action::Relayout { .. } => {}
            }
        }
        assert_eq!(
            self.m.in_flight().is_some(),
            self.link.is_busy(),
            "the link is busy exactly while the machine has a chain in flight"
        );
    }

    fn perform_link(&mut self) {
        while let Some(action) = self.link.poll_action() {
            match action {
                LinkAction::Probe => {
                    assert!(!self.probing, "at most one probe runs");
                    self.probing = true;
                }
                LinkAction::Build { pages } => self.builds.push(pages),
                LinkAction::Write { pages, stream } => self.check_write(pages, stream),
                LinkAction::WakeAt(t) => self.link_wake = Some(t),
                LinkAction::SaveStatus(_) | LinkAction::Emit(_) => {}
            }
        }
        // Time stands still within a step: a preflight passed in it passed now.
        if self.link.preflighted() && !self.preflight_checked {
            self.check_preflight();
        }
    }

    /// The preflight of the chain being sent passed now: it had a fresh read.
    fn check_preflight(&mut self) {
        let now = self.now;
        let media = self
            .link
            .sending()
            .map(|pages| self.medium(pages))
            .unwrap_or_default();
        let young = |at: Timestamp| (0..MAX_AGE).contains(&now.millis_since(at));
        let read_fresh = self.last_read.is_some_and(young);
        let confirmed_fresh = self
            .confirmed
            .as_ref()
            .is_some_and(|(at, m)| young(*at) && *m == media);
        assert!(
            read_fresh || confirmed_fresh,
            "a preflight needs a fresh status (now {now}, read {:?}, confirmed {:?})",
            self.last_read,
            self.confirmed
        );
        self.preflight_checked = true;
    }

    fn check_write(&mut self, pages: Vec<ChainPage>, stream: String) {
        assert!(self.writing.is_none(), "one write at a time");
        assert_eq!(stream, show(&pages), "the chain's own stream");
        assert_eq!(
            self.m.in_flight().map(|f| f.pages().to_vec()),
            Some(pages.clone()),
            "the chain the machine has in flight"
        );
        let media = self.medium(&pages);
        for page in &pages {
            let job = self.m.job(page.job_id).expect("known job");
            assert_eq!(job.spec.media_id, media, "one medium per chain");
            assert!(
                !self.done_pages.contains(page),
                "{page:?} printed or may have printed already"
            );
        }
        if !self.preflight_checked {
            self.check_preflight();
        }
        let heard = &self.heard;
        assert!(heard.reachable, "sent to a printer last heard unreachable");
        assert_eq!(heard.reason, None, "sent to a printer needing a person");
        assert!(
            heard.media.as_deref().is_none_or(|m| m == media),
            "sent for {media} to a printer last heard holding {:?}",
            heard.media
        );
        self.writes += 1;
        self.writing = Some(Writing {
            pages,
            sent: 0,
            printed: 0,
        });
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn the_link_never_sends_without_a_fresh_preflight_on_the_right_medium_nor_twice(
        ops in proptest::collection::vec(op(), 1..120)
    ) {
        let mut sim = Sim::new();
        for op in &ops {
            sim.apply(op);
        }
    }
}

/// The simulation is not vacuous: a plain run writes, and a wrong tape stops it.
#[test]
fn the_simulation_prints_when_the_printer_can_and_holds_back_when_it_cannot() {
    let mut sim = Sim::new();
    for op in [
        Op::Answer,
        Op::Submit(2, 0, false),
        Op::Built(false),
        Op::Done(0),
        Op::Built(false),
        Op::Done(0),
    ] {
        sim.apply(&op);
    }
    assert_eq!(sim.writes, 2);
    for op in [
        Op::World(Some(0), false, true),
        Op::Submit(1, 1, false),
        Op::Advance(3_000),
        Op::Answer,
    ] {
        sim.apply(&op);
    }
    assert_eq!(sim.writes, 2, "tze-24 job, tze-12 tape: nothing sent");
    assert_eq!(sim.m.state().name(), "stopped");
}
