//! The printer link ([`Link`]) driven beside a [`PrinterMachine`], as the
//! printer actor drives them, with every instant injected: the preflight on
//! a fresh status (read first when stale, a confirmed send counting as a
//! read on its medium), held-back chains that fail nothing, the stream built
//! ahead, the status kept and announced, the idle probe cadence.
//!
//! Lines: machine actions as in `support` (without `persist`), and the
//! link's: `probe`, `build j1#1`, `write j1#1`, `save`, `status <state>
//! media=<id> expected=<id>`, `media <from>-><to>`, `link-wake <t>`; a
//! refused `handle_send` is `send refused`.

use printhub_core::{
    reason, Action, ChainPage, Event, Link, LinkAction, LinkPolicy, PrinterMachine, PrinterStatus,
    Timestamp, WriteFailure, WriteOutcome, WriteReport,
};

use crate::support::{chained, j, show_action, show_job, show_state, spec, PRINTER};

/// A stream "built" by the harness: the chain's pages, so a write shows which it is.
type Stream = String;

fn show_pages(pages: &[ChainPage]) -> String {
    pages
        .iter()
        .map(|p| format!("{}#{}", show_job(p.job_id), p.copy))
        .collect::<Vec<_>>()
        .join("+")
}

/// A status as a probe reads it.
fn read(reachable: bool, reason: Option<&str>, media: Option<&str>) -> PrinterStatus {
    PrinterStatus {
        reachable,
        ready: reachable && reason.is_none(),
        reason: reason.map(str::to_owned),
        media: media.map(str::to_owned),
        source: Some("tcp".into()),
        ..PrinterStatus::default()
    }
}

fn ready(media: &str) -> PrinterStatus {
    read(true, None, Some(media))
}

#[derive(Debug, Clone)]
enum Step {
    /// Submit job `n` (copies, medium).
    Submit(u128, u32, &'static str),
    /// Submit job `n`, opted in to chaining.
    SubmitChained(u128, u32),
    Cancel(u128),
    Pause,
    Resume,
    /// The running probe answers.
    Status(PrinterStatus),
    /// The oldest build finishes.
    Built,
    /// The write reports progress.
    Progress(usize, usize),
    /// The write ends.
    Done(usize, usize, WriteOutcome),
    /// Time moves on.
    Advance(i64),
    /// The link's and the machine's timers fire (if due).
    Timeout,
    /// The printer moved.
    Forget,
    Drain,
}

struct Harness {
    m: PrinterMachine,
    link: Link<Stream>,
    now: Timestamp,
    builds: Vec<Vec<ChainPage>>,
}

impl Harness {
    fn new() -> (Self, Vec<String>) {
        Self::with_policy(LinkPolicy::default())
    }

    fn with_policy(policy: LinkPolicy) -> (Self, Vec<String>) {
        let now = Timestamp::from_millis(0);
        let mut h = Harness {
            m: PrinterMachine::new(PRINTER, printhub_core::MachineConfig::default()),
            link: Link::new(PRINTER, policy, PrinterStatus::default(), now),
            now,
            builds: Vec::new(),
        };
        let lines = h.drain();
        (h, lines)
    }

    /// A harness whose printer answered its first probe: ready with `media` at t = 0.
    fn ready_with(media: &str) -> Self {
        let (mut h, _) = Self::new();
        h.run(&[Step::Status(ready(media))]);
        h
    }

    fn run(&mut self, steps: &[Step]) -> Vec<String> {
        let mut lines = Vec::new();
        for step in steps {
            self.step(step.clone(), &mut lines);
            lines.extend(self.drain());
        }
        lines
    }

    fn step(&mut self, step: Step, lines: &mut Vec<String>) {
        let now = self.now;
        let m = &mut self.m;
        match step {
            Step::Submit(n, copies, media) => {
                let mut spec = spec(n, copies);
                spec.media_id = media.into();
                m.submit(j(n), spec, now).expect("accepted");
            }
            Step::SubmitChained(n, copies) => {
                m.submit(j(n), chained(n, copies), now).expect("accepted")
            }
            Step::Cancel(n) => {
                m.cancel(j(n), now).expect("cancelled");
            }
            Step::Pause => m.pause(now).expect("paused"),
            Step::Resume => m.resume(now).expect("resumed"),
            Step::Status(status) => self.link.handle_status(now, m, status),
            Step::Built => {
                let pages = self.builds.remove(0);
                let stream = show_pages(&pages);
                self.link.handle_built(now, m, pages, stream);
            }
            Step::Progress(sent, printed) => self.link.handle_write_progress(now, m, sent, printed),
            Step::Done(sent, printed, outcome) => self.link.handle_write_done(
                now,
                m,
                WriteReport {
                    sent,
                    printed,
                    outcome,
                },
            ),
            Step::Advance(ms) => self.now = now.plus_millis(ms),
            Step::Timeout => {
                m.handle_timeout(now);
                self.link.handle_timeout(now);
            }
            Step::Forget => self.link.forget(),
            Step::Drain => self.link.drain(),
        }
        let _ = lines;
    }

    /// Drains both as the actor does: the link's actions are performed as
    /// soon as a link method was called, the machine's in order; the
    /// machine's sends and queries go to the link, everything else becomes
    /// lines.
    fn drain(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        self.perform_link(&mut lines);
        while let Some(action) = self.m.poll_action() {
            match action {
                Action::Persist(_) => {}
                Action::Send { pages } => {
                    lines.push(show_action(&Action::Send {
                        pages: pages.clone(),
                    }));
                    if !self.link.handle_send(self.now, &mut self.m, pages) {
                        lines.push("send refused".into());
                    }
                    self.perform_link(&mut lines);
                }
                Action::QueryStatus => {
                    lines.push("query".into());
                    self.link.request_probe();
                    self.perform_link(&mut lines);
                }
                other => lines.push(show_action(&other)),
            }
        }
        assert_eq!(
            self.m.in_flight().is_some(),
            self.link.is_busy(),
            "the link sends exactly the chain the machine has in flight"
        );
        lines
    }

    fn perform_link(&mut self, lines: &mut Vec<String>) {
        while let Some(action) = self.link.poll_action() {
            lines.push(match action {
                LinkAction::Probe => "probe".into(),
                LinkAction::Build { pages } => {
                    let line = format!("build {}", show_pages(&pages));
                    self.builds.push(pages);
                    line
                }
                LinkAction::Write { pages, stream } => {
                    assert_eq!(stream, show_pages(&pages), "the chain's own stream");
                    format!("write {stream}")
                }
                LinkAction::SaveStatus(_) => "save".into(),
                LinkAction::Emit(Event::PrinterStatusChanged(e)) => show_status(&e.status),
                LinkAction::Emit(Event::MediaChanged(e)) => format!(
                    "media {}->{}",
                    e.from.as_deref().unwrap_or("none"),
                    e.to.as_deref().unwrap_or("none")
                ),
                LinkAction::Emit(other) => format!("unexpected {other:?}"),
                LinkAction::WakeAt(t) => format!("link-wake {}", t.as_millis()),
            });
        }
    }

    fn queue(&self) -> String {
        self.m
            .queue()
            .map(|job| format!("{}:{}", show_job(job.id), job.state))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn show_status(status: &PrinterStatus) -> String {
    let state = if !status.reachable {
        "unreachable".to_owned()
    } else if let Some(reason) = &status.reason {
        reason.clone()
    } else {
        "ready".to_owned()
    };
    let mut line = format!(
        "status {state} media={}",
        status.media.as_deref().unwrap_or("none")
    );
    if let Some(expected) = &status.expected_media {
        line.push_str(&format!(" expected={expected}"));
    }
    line
}

/// What submitting a one-copy j1 to an idle printer does up to its `Send`.
const J1_SENT: [&str; 4] = [
    "job j1 new->queued",
    "job j1 queued->printing",
    "printer idle->printing",
    "send j1#1",
];

fn confirmed(pages: usize) -> Step {
    Step::Done(pages, pages, WriteOutcome::Confirmed)
}

#[test]
fn a_new_link_probes_at_once_and_then_on_its_cadence() {
    let (mut h, lines) = Harness::new();
    assert_eq!(lines, ["probe", "link-wake 30000"]);
    let lines = h.run(&[
        Step::Status(ready("tze-12")),
        Step::Advance(29_999),
        Step::Timeout,
        Step::Advance(1),
        Step::Timeout,
    ]);
    assert_eq!(
        lines,
        [
            "media none->tze-12",
            "save",
            "status ready media=tze-12",
            "probe",
            "link-wake 60000",
        ],
        "an early timer is ignored; a status that did not change is not announced"
    );
    assert_eq!(h.link.status().last_seen, Some(Timestamp::from_millis(0)));
}

#[test]
fn a_tick_while_a_probe_runs_or_a_chain_is_sent_reads_nothing_more() {
    let (mut h, _) = Harness::new();
    // The first probe has not answered: the tick does not start another.
    let lines = h.run(&[Step::Advance(30_000), Step::Timeout]);
    assert_eq!(lines, ["link-wake 60000"]);
    let lines = h.run(&[
        Step::Status(ready("tze-12")),
        Step::Submit(1, 1, "tze-12"),
        Step::Advance(30_000),
        Step::Timeout,
    ]);
    assert!(!lines.contains(&"probe".to_owned()), "{lines:?}");
    assert!(lines.contains(&"link-wake 90000".to_owned()), "{lines:?}");
}

#[test]
fn a_missed_tick_keeps_the_cadence() {
    let mut h = Harness::ready_with("tze-12");
    let lines = h.run(&[Step::Advance(95_000), Step::Timeout]);
    assert_eq!(lines, ["probe", "link-wake 120000"]);
}

#[test]
fn a_fresh_status_lets_the_chain_through_and_the_write_completes_the_job() {
    let mut h = Harness::ready_with("tze-12");
    let lines = h.run(&[
        Step::Advance(100),
        Step::Submit(1, 1, "tze-12"),
        Step::Built,
        Step::Done(1, 1, WriteOutcome::Confirmed),
    ]);
    assert_eq!(
        lines,
        [
            J1_SENT.as_slice(),
            &[
                "build j1#1",
                "write j1#1",
                "progress j1 1/1",
                "job j1 printing->completed",
                "printer printing->idle",
            ],
        ]
        .concat(),
    );
    assert!(h.m.job(j(1)).expect("job").confirmed);
}

#[test]
fn a_stale_status_is_read_again_before_the_chain_goes() {
    let mut h = Harness::ready_with("tze-12");
    let lines = h.run(&[Step::Advance(5_000), Step::Submit(1, 1, "tze-12")]);
    assert_eq!(
        lines,
        [J1_SENT.as_slice(), &["probe"]].concat(),
        "a read 5 s old is not younger than preflight_max_age"
    );
    let lines = h.run(&[Step::Advance(300), Step::Status(ready("tze-12"))]);
    assert_eq!(lines, ["build j1#1"], "the answer is the preflight");
}

#[test]
fn a_send_waits_for_the_probe_already_running() {
    let (mut h, _) = Harness::new();
    let lines = h.run(&[Step::Submit(1, 1, "tze-12")]);
    assert!(
        !lines.contains(&"probe".to_owned()),
        "not a second probe: {lines:?}"
    );
    let lines = h.run(&[Step::Status(ready("tze-12"))]);
    assert_eq!(
        lines,
        [
            "media none->tze-12",
            "save",
            "status ready media=tze-12",
            "build j1#1",
        ]
    );
}

#[test]
fn a_zero_preflight_age_reads_the_status_before_every_chain() {
    let policy = LinkPolicy {
        preflight_max_age_ms: 0,
        ..LinkPolicy::default()
    };
    let (mut h, _) = Harness::with_policy(policy);
    let lines = h.run(&[Step::Status(ready("tze-12")), Step::Submit(1, 1, "tze-12")]);
    assert_eq!(lines.last().map(String::as_str), Some("probe"), "{lines:?}");
    h.run(&[Step::Status(ready("tze-12")), Step::Built, confirmed(1)]);
    let lines = h.run(&[Step::Submit(2, 1, "tze-12")]);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("probe"),
        "a confirmed send is no read younger than zero: {lines:?}"
    );
}

#[test]
fn a_wrong_tape_holds_the_chain_back_without_failing_anything() {
    let mut h = Harness::ready_with("tze-12");
    let lines = h.run(&[Step::Advance(100), Step::Submit(1, 1, "tze-24")]);
    assert_eq!(
        lines,
        [
            J1_SENT.as_slice(),
            &[
                "save",
                "status media_mismatch media=tze-12 expected=tze-24",
                "job j1 printing->queued",
                "printer printing->stopped(media_mismatch)",
                "wake 5100",
            ],
        ]
        .concat(),
        "no build, no write: the printer never sees the job"
    );
    assert_eq!(h.queue(), "j1:queued");
    let job = h.m.job(j(1)).expect("job");
    assert_eq!(job.error, None, "a refused preflight is no failure");
    assert_eq!(job.copies_printed, 0);
    // The re-check finds the same tape: nothing changes, nothing is sent.
    let lines = h.run(&[Step::Advance(5_000), Step::Timeout]);
    assert_eq!(lines, ["query", "probe", "wake 10100"]);
    let lines = h.run(&[Step::Status(ready("tze-12"))]);
    assert!(lines.is_empty(), "{lines:?}");
    // 24 mm tape goes in: the printer goes on by itself.
    let lines = h.run(&[
        Step::Advance(5_000),
        Step::Timeout,
        Step::Status(ready("tze-24")),
    ]);
    assert_eq!(
        lines,
        [
            "query",
            "probe",
            "wake 15100",
            "media tze-12->tze-24",
            "save",
            "status ready media=tze-24",
            "job j1 queued->printing",
            "printer stopped(media_mismatch)->printing",
            "send j1#1",
            "build j1#1",
        ]
    );
}

#[test]
fn media_that_fit_by_the_policy_are_no_mismatch() {
    // What a status block cannot tell apart (printhub-actors: a black/red
    // roll reads as the plain one) is decided by the policy's rule.
    let policy = LinkPolicy {
        media_fits: |expected, loaded| expected.trim_end_matches("-red") == loaded,
        ..LinkPolicy::default()
    };
    let (mut h, _) = Harness::with_policy(policy);
    h.run(&[Step::Status(ready("dk-62"))]);
    let lines = h.run(&[Step::Submit(1, 1, "dk-62-red")]);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("build j1#1"),
        "{lines:?}"
    );
}

#[test]
fn a_status_without_media_is_no_mismatch() {
    let (mut h, _) = Harness::new();
    h.run(&[Step::Status(read(true, None, None))]);
    let lines = h.run(&[Step::Submit(1, 1, "dk-62")]);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("build j1#1"),
        "{lines:?}"
    );
}

#[test]
fn an_unreachable_or_busy_printer_is_sent_nothing() {
    for (status, state, expected_status) in [
        (
            read(false, None, None),
            "offline",
            "status unreachable media=none",
        ),
        (
            read(true, Some(reason::COVER_OPEN), Some("tze-12")),
            "stopped(printer_cover_open)",
            "status printer_cover_open media=tze-12",
        ),
    ] {
        let (mut h, _) = Harness::new();
        let lines = h.run(&[Step::Submit(1, 2, "tze-12"), Step::Status(status)]);
        assert!(lines.contains(&expected_status.to_owned()), "{lines:?}");
        assert!(
            !lines
                .iter()
                .any(|l| l.starts_with("build") || l.starts_with("write")),
            "{lines:?}"
        );
        assert_eq!(show_state(h.m.state()), state);
        assert_eq!(h.queue(), "j1:queued");
        assert!(!h.link.is_busy());
    }
}

#[test]
fn a_confirmed_send_counts_as_a_fresh_read_on_its_medium_only() {
    let mut h = Harness::ready_with("tze-12");
    h.run(&[
        Step::Submit(1, 1, "tze-12"),
        Step::Built,
        Step::Advance(4_000),
        confirmed(1),
    ]);
    // 4.5 s after the probe, 0.5 s after the confirmation: no probe.
    let lines = h.run(&[Step::Advance(500), Step::Submit(2, 1, "tze-12")]);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("build j2#1"),
        "{lines:?}"
    );
    h.run(&[Step::Built, confirmed(1)]);
    // Another medium: the confirmation says nothing about it.
    let lines = h.run(&[Step::Advance(1_000), Step::Submit(3, 1, "tze-24")]);
    assert_eq!(lines.last().map(String::as_str), Some("probe"), "{lines:?}");
}

#[test]
fn an_unconfirmed_send_is_no_read() {
    let mut h = Harness::ready_with("tze-12");
    h.run(&[
        Step::Submit(1, 1, "tze-12"),
        Step::Built,
        Step::Advance(4_900),
        Step::Done(1, 0, WriteOutcome::Sent),
    ]);
    assert!(!h.m.job(j(1)).expect("job").confirmed);
    let lines = h.run(&[Step::Advance(200), Step::Submit(2, 1, "tze-12")]);
    assert_eq!(lines.last().map(String::as_str), Some("probe"), "{lines:?}");
}

#[test]
fn the_next_chain_is_built_while_one_prints_and_written_without_waiting() {
    let mut h = Harness::ready_with("tze-12");
    let lines = h.run(&[
        Step::Submit(1, 1, "tze-12"),
        Step::Submit(2, 1, "tze-12"),
        Step::Built,
    ]);
    assert_eq!(
        &lines[lines.len() - 2..],
        ["write j1#1", "build j2#1"],
        "the stream expected next is built while j1 prints"
    );
    let lines = h.run(&[Step::Built, confirmed(1)]);
    assert_eq!(
        lines,
        [
            "progress j1 1/1",
            "job j1 printing->completed",
            "job j2 queued->printing",
            "send j2#1",
            "write j2#1",
        ],
        "fresh (confirmed) and built ahead: written at once"
    );
}

#[test]
fn a_stream_being_built_ahead_is_waited_for_not_built_twice() {
    let mut h = Harness::ready_with("tze-12");
    h.run(&[
        Step::Submit(1, 1, "tze-12"),
        Step::Submit(2, 1, "tze-12"),
        Step::Built,
    ]);
    let lines = h.run(&[confirmed(1)]);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("send j2#1"),
        "{lines:?}"
    );
    let lines = h.run(&[Step::Built]);
    assert_eq!(lines, ["write j2#1"]);
}

#[test]
fn a_stream_built_ahead_for_another_chain_is_not_written() {
    let mut h = Harness::ready_with("tze-12");
    h.run(&[
        Step::Submit(1, 1, "tze-12"),
        Step::Submit(2, 1, "tze-12"),
        Step::Submit(3, 1, "tze-12"),
        Step::Built,
        Step::Built,
        // j2 is cancelled while j1 prints: the stream built for it is not what goes next.
        Step::Cancel(2),
    ]);
    let lines = h.run(&[confirmed(1)]);
    assert_eq!(
        &lines[lines.len() - 2..],
        ["send j3#1", "build j3#1"],
        "{lines:?}"
    );
    let lines = h.run(&[Step::Built]);
    assert_eq!(lines, ["write j3#1"]);
}

#[test]
fn a_chain_is_written_as_one_stream_and_its_pages_count_as_they_print() {
    let mut h = Harness::ready_with("tze-12");
    let lines = h.run(&[
        Step::Pause,
        Step::SubmitChained(1, 2),
        Step::SubmitChained(2, 1),
        Step::Resume,
        Step::Built,
    ]);
    assert!(
        lines.contains(&"write j1#1+j1#2+j2#1".to_owned()),
        "{lines:?}"
    );
    let lines = h.run(&[Step::Progress(2, 1)]);
    assert_eq!(lines, ["progress j1 1/2"]);
    let lines = h.run(&[confirmed(3)]);
    assert_eq!(
        lines,
        [
            "progress j1 2/2",
            "job j1 printing->completed",
            "progress j2 1/1",
            "job j2 printing->completed",
            "printer printing->idle",
        ]
    );
}

#[test]
fn a_printer_that_refuses_mid_write_has_that_reason_as_its_status() {
    let mut h = Harness::ready_with("tze-12");
    h.run(&[Step::Submit(1, 1, "tze-12"), Step::Built]);
    let lines = h.run(&[Step::Done(
        1,
        0,
        WriteOutcome::Failed(WriteFailure::Attention {
            reason_code: reason::MEDIA_MISMATCH.into(),
        }),
    )]);
    assert_eq!(
        lines,
        [
            "save",
            "status media_mismatch media=tze-12 expected=tze-12",
            "job j1 printing->queued",
            "printer printing->stopped(media_mismatch)",
            "wake 5000",
        ]
    );
    // The printer said so: the next chain is not sent on the strength of an older read.
    assert!(!h.link.status().ready);
}

#[test]
fn a_lost_connection_interrupts_and_nothing_is_resent() {
    let mut h = Harness::ready_with("tze-12");
    h.run(&[Step::Submit(1, 2, "tze-12"), Step::Built]);
    let lines = h.run(&[Step::Done(1, 0, WriteOutcome::Failed(WriteFailure::Lost))]);
    assert_eq!(
        lines,
        ["job j1 printing->interrupted", "printer printing->idle"]
    );
    assert!(!h.link.is_busy());
}

#[test]
fn a_printer_that_moved_is_read_again_and_its_old_reads_count_for_nothing() {
    let mut h = Harness::ready_with("tze-12");
    let lines = h.run(&[Step::Forget]);
    assert_eq!(lines, ["probe"]);
    let lines = h.run(&[Step::Submit(1, 1, "tze-12")]);
    assert!(
        !lines.iter().any(|l| l.starts_with("build")),
        "waits for the new read: {lines:?}"
    );
    let lines = h.run(&[Step::Status(ready("tze-12"))]);
    assert_eq!(lines, ["build j1#1"]);
}

#[test]
fn a_read_running_when_the_printer_moved_counts_for_nothing() {
    let (mut h, _) = Harness::new();
    // The first probe is running when the printer's address changes.
    let lines = h.run(&[Step::Forget, Step::Submit(1, 1, "tze-12")]);
    assert!(
        !lines.iter().any(|l| l == "probe" || l.starts_with("build")),
        "{lines:?}"
    );
    let lines = h.run(&[Step::Status(ready("tze-24"))]);
    assert_eq!(lines, ["probe"], "the old printer's answer is dropped");
    let lines = h.run(&[Step::Status(ready("tze-12"))]);
    assert_eq!(
        lines,
        [
            "media none->tze-12",
            "save",
            "status ready media=tze-12",
            "build j1#1",
        ]
    );
}

#[test]
fn a_draining_link_stops_its_cadence_but_finishes_the_chain() {
    let mut h = Harness::ready_with("tze-12");
    h.run(&[Step::Submit(1, 1, "tze-12"), Step::Built]);
    let lines = h.run(&[Step::Drain, Step::Advance(30_000), Step::Timeout]);
    assert!(lines.is_empty(), "{lines:?}");
    assert_eq!(h.link.poll_timeout(), None);
    assert!(h.link.is_busy());
    h.run(&[confirmed(1)]);
    assert!(!h.link.is_busy());
}

#[test]
fn a_send_the_link_cannot_take_is_refused_and_changes_nothing() {
    let mut h = Harness::ready_with("tze-12");
    assert!(
        !h.link.handle_send(h.now, &mut h.m, Vec::new()),
        "empty chain"
    );
    let unknown = vec![ChainPage {
        job_id: j(77),
        copy: 1,
    }];
    assert!(!h.link.handle_send(h.now, &mut h.m, unknown), "unknown job");
    assert!(h.link.poll_action().is_none());
    h.run(&[Step::Submit(1, 1, "tze-12")]);
    let again = vec![ChainPage {
        job_id: j(1),
        copy: 1,
    }];
    assert!(
        !h.link.handle_send(h.now, &mut h.m, again),
        "a chain is being sent already"
    );
    assert!(h.link.poll_action().is_none(), "no second build or write");
}

#[test]
fn reports_without_a_write_are_ignored() {
    let mut h = Harness::ready_with("tze-12");
    let lines = h.run(&[
        Step::Progress(1, 1),
        Step::Done(1, 1, WriteOutcome::Confirmed),
    ]);
    assert!(lines.is_empty(), "{lines:?}");
    // Nor while the chain is still being built.
    h.run(&[Step::Submit(1, 1, "tze-12")]);
    let lines = h.run(&[Step::Done(1, 1, WriteOutcome::Confirmed)]);
    assert!(lines.is_empty(), "{lines:?}");
    assert_eq!(h.m.job(j(1)).expect("job").copies_printed, 0);
}

#[test]
fn a_clock_that_went_back_makes_no_read_fresh() {
    let (mut h, _) = Harness::new();
    h.now = Timestamp::from_millis(10_000);
    h.run(&[Step::Status(ready("tze-12"))]);
    h.now = Timestamp::from_millis(9_000);
    let lines = h.run(&[Step::Submit(1, 1, "tze-12")]);
    assert_eq!(lines.last().map(String::as_str), Some("probe"), "{lines:?}");
}
