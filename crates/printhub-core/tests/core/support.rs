//! Shared test support: a [`Harness`] that drives a [`PrinterMachine`] through
//! [`Step`]s at injected instants and renders every action as one short
//! line, and the `check` helper the tables use.
//!
//! Action lines:
//! `send j1#2` (a chain: `send j1#1+j1#2+j2#1`), `query`, `persist j1`, `job j1 queued->printing`
//! (`new->queued` for a created job), `progress j1 2/3`,
//! `printer idle->printing`, `wake 1100`. Command results come first:
//! `ok`, `ok 2` (clear), `ok after_copy` (cancel), `err queue_full`.

use std::sync::Arc;

use printhub_core::{
    Action, CancelOutcome, Event, JobId, JobSpec, MachineConfig, ObservedStatus, PrintOptions,
    PrinterId, PrinterMachine, PrinterState, Timestamp, WriteFailure,
};

/// The printer every test drives.
pub const PRINTER: PrinterId = PrinterId::from_u128(0xF00D);

/// Job `n` (rendered as `j{n}`).
pub fn j(n: u128) -> JobId {
    JobId::from_u128(n)
}

/// A job's raster: unique per job so tests can tell them apart.
pub fn raster(n: u128) -> Arc<Vec<u8>> {
    Arc::new(vec![0x1b, 0x40, n as u8, 0x1a])
}

/// A valid spec with `copies` copies for job `n`.
pub fn spec(n: u128, copies: u32) -> JobSpec {
    JobSpec::new(PRINTER, "PT-P750W", "tze-12", raster(n)).with_copies(copies)
}

/// Like [`spec`], but the job opts in to chaining (cut after every label).
pub fn chained(n: u128, copies: u32) -> JobSpec {
    let mut spec = spec(n, copies);
    spec.options = PrintOptions {
        cut: true,
        chain: true,
        ..PrintOptions::default()
    };
    spec
}

/// One thing that happens to the machine.
#[derive(Debug, Clone)]
pub enum Step {
    /// Submit job `n` with that many copies.
    Submit(u128, u32),
    /// Submit job `n` with that many copies, opted in to chaining.
    SubmitChained(u128, u32),
    Cancel(u128),
    Hold(u128),
    Release(u128),
    /// Retry job `n` as job `m`.
    Retry(u128, u128),
    Pause,
    Resume,
    Clear,
    Enable,
    Disable,
    /// The write of copy `c` of job `n` finished (confirmed).
    Finished(u128, u32),
    /// The chain starting with copy `c` of job `n` has `sent` pages sent and `printed` printed.
    Progress(u128, u32, usize, usize),
    /// The write of copy `c` of job `n` failed.
    Failed(u128, u32, WriteFailure),
    /// A status report.
    Status(ObservedStatus),
    /// A timer fired at the current instant.
    Timeout,
    /// Time moves on by this many milliseconds.
    Advance(i64),
    /// Time jumps to this instant.
    At(i64),
}

/// `Failed(n, c, Attention { reason_code })`.
pub fn attention(n: u128, copy: u32, reason: &str) -> Step {
    Step::Failed(
        n,
        copy,
        WriteFailure::Attention {
            reason_code: reason.into(),
        },
    )
}

/// `Failed(n, c, Rejected { .. })`.
pub fn rejected(n: u128, copy: u32) -> Step {
    Step::Failed(
        n,
        copy,
        WriteFailure::Rejected {
            code: "bad_raster".into(),
            message: "the printer refused the data".into(),
        },
    )
}

/// A machine, the current instant and the actions seen so far.
#[derive(Debug)]
pub struct Harness {
    pub m: PrinterMachine,
    pub now: Timestamp,
}

impl Default for Harness {
    fn default() -> Self {
        Self::with_config(MachineConfig::default())
    }
}

impl Harness {
    pub fn with_config(config: MachineConfig) -> Self {
        Self {
            m: PrinterMachine::new(PRINTER, config),
            now: Timestamp::from_millis(0),
        }
    }

    /// Runs `steps` and returns the lines they produced (results and actions).
    pub fn run(&mut self, steps: &[Step]) -> Vec<String> {
        let mut lines = Vec::new();
        for step in steps {
            self.step(step, &mut lines);
            lines.extend(self.drain());
        }
        lines
    }

    fn step(&mut self, step: &Step, lines: &mut Vec<String>) {
        let now = self.now;
        let m = &mut self.m;
        let result = match step.clone() {
            Step::Submit(n, copies) => Some(unit(m.submit(j(n), spec(n, copies), now))),
            Step::SubmitChained(n, copies) => Some(unit(m.submit(j(n), chained(n, copies), now))),
            Step::Cancel(n) => Some(match m.cancel(j(n), now) {
                Ok(CancelOutcome::Cancelled) => "ok".to_owned(),
                Ok(CancelOutcome::AfterCurrentCopy) => "ok after_copy".to_owned(),
                Err(e) => format!("err {}", e.code()),
            }),
            Step::Hold(n) => Some(unit(m.hold(j(n), now))),
            Step::Release(n) => Some(unit(m.release(j(n), now))),
            Step::Retry(n, new) => Some(unit(m.retry(j(n), j(new), now).map(|_| ()))),
            Step::Pause => Some(unit(m.pause(now))),
            Step::Resume => Some(unit(m.resume(now))),
            Step::Clear => Some(format!("ok {}", m.clear(now))),
            Step::Enable => {
                m.enable(now);
                Some("ok".to_owned())
            }
            Step::Disable => {
                m.disable(now);
                Some("ok".to_owned())
            }
            Step::Finished(n, copy) => {
                m.handle_write_finished(j(n), copy, true, now);
                None
            }
            Step::Progress(n, copy, sent, printed) => {
                m.handle_write_progress(j(n), copy, sent, printed, now);
                None
            }
            Step::Failed(n, copy, failure) => {
                m.handle_write_failed(j(n), copy, failure, now);
                None
            }
            Step::Status(observed) => {
                m.handle_status(observed, now);
                None
            }
            Step::Timeout => {
                m.handle_timeout(now);
                None
            }
            Step::Advance(ms) => {
                self.now = now.plus_millis(ms);
                None
            }
            Step::At(ms) => {
                self.now = Timestamp::from_millis(ms);
                None
            }
        };
        lines.extend(result);
    }

    /// Drains the machine's actions as lines.
    pub fn drain(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.m.poll_action())
            .map(|a| show_action(&a))
            .collect()
    }

    /// The printer state, as `show_state` renders it.
    pub fn state(&self) -> String {
        show_state(self.m.state())
    }

    /// `j1:queued j2:held ...` for the queue, in order.
    pub fn queue(&self) -> String {
        self.m
            .queue()
            .map(|job| format!("{}:{}", show_job(job.id), job.state))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn unit(result: Result<(), printhub_core::CommandError>) -> String {
    match result {
        Ok(()) => "ok".to_owned(),
        Err(e) => format!("err {}", e.code()),
    }
}

/// `j{n}`.
pub fn show_job(id: JobId) -> String {
    format!("j{}", id.as_uuid().as_u128())
}

/// `idle`, `stopped(no_media)`, `offline`, ...
pub fn show_state(state: &PrinterState) -> String {
    match state.reason() {
        Some(reason) => format!("{}({reason})", state.name()),
        None => state.name().to_owned(),
    }
}

/// One line per action.
pub fn show_action(action: &Action) -> String {
    match action {
        Action::Send { pages } => format!(
            "send {}",
            pages
                .iter()
                .map(|p| format!("{}#{}", show_job(p.job_id), p.copy))
                .collect::<Vec<_>>()
                .join("+")
        ),
        Action::QueryStatus => "query".to_owned(),
        Action::Relayout { job_id, media } => format!("relayout {} {media}", show_job(*job_id)),
        Action::Persist(id) => format!("persist {}", show_job(*id)),
        Action::WakeAt(t) => format!("wake {}", t.as_millis()),
        Action::Emit(Event::JobStateChanged(e)) => format!(
            "job {} {}->{}",
            show_job(e.job_id),
            e.from.map_or("new", |s| s.as_str()),
            e.to
        ),
        Action::Emit(Event::JobProgressed(e)) => format!(
            "progress {} {}/{}",
            show_job(e.job_id),
            e.copies_printed,
            e.copies
        ),
        Action::Emit(Event::PrinterStateChanged(e)) => {
            format!("printer {}->{}", show_state(&e.from), show_state(&e.to))
        }
        // Status and media events come from the printer link, never from the machine.
        Action::Emit(Event::PrinterStatusChanged(_)) => "status (not a machine event)".to_owned(),
        Action::Emit(Event::MediaChanged(_)) => "media (not a machine event)".to_owned(),
    }
}

/// Runs `steps` on a fresh machine and asserts every line they produced
/// (command results and actions, in order) and the final printer state.
#[track_caller]
pub fn check(steps: &[Step], expected_actions: &[&str], expected_state: &str) {
    let mut h = Harness::default();
    let lines = h.run(steps);
    assert_eq!(lines, expected_actions, "actions for {steps:?}");
    assert_eq!(h.state(), expected_state, "final state for {steps:?}");
}

/// Like [`check`], but from a harness already prepared by a setup; only the
/// lines of `steps` are compared.
#[track_caller]
pub fn check_from(mut h: Harness, steps: &[Step], expected_actions: &[&str], expected_state: &str) {
    let lines = h.run(steps);
    assert_eq!(lines, expected_actions, "actions for {steps:?}");
    assert_eq!(h.state(), expected_state, "final state for {steps:?}");
}
