//! Every printer state × every command and input of `PrinterMachine`.
//!
//! Each setup leaves the same cast of jobs behind, with its actions drained,
//! at t = 0; the row's step then runs at t = 100 (timeouts at t = 10 000):
//! - j9 completed and j8 failed (history, for retry);
//! - except in `idle`: j1 (2 copies; printing in `printing`, else queued at
//!   the head), j2 queued, j3 held;
//! - in `chaining`: j1 (2 copies) and j4 opted in to chaining and are in the
//!   chain in flight (j1's first copy reported printed); j2 (not opted in)
//!   queued behind it, j3 held.

use printhub_core::{reason, ObservedStatus};

use crate::support::{attention, rejected, Harness, Step};

fn history() -> Vec<Step> {
    vec![
        Step::Submit(9, 1),
        Step::Finished(9, 1),
        Step::Submit(8, 1),
        rejected(8, 1),
    ]
}

fn given(state: &str) -> Harness {
    let mut steps = history();
    let queue = [Step::Submit(2, 1), Step::Submit(3, 1), Step::Hold(3)];
    match state {
        "idle" => {}
        "printing" => {
            steps.push(Step::Submit(1, 2));
            steps.extend(queue);
        }
        "paused" => {
            steps.push(Step::Pause);
            steps.push(Step::Submit(1, 2));
            steps.extend(queue);
        }
        "stopped" => {
            steps.push(Step::Submit(1, 2));
            steps.push(attention(1, 1, reason::NO_MEDIA));
            steps.extend(queue);
        }
        "offline" => {
            steps.push(Step::Submit(1, 2));
            steps.push(Step::Failed(1, 1, printhub_core::WriteFailure::Unreachable));
            steps.extend(queue);
        }
        "chaining" => {
            steps.extend([
                Step::Pause,
                Step::SubmitChained(1, 2),
                Step::SubmitChained(4, 1),
            ]);
            steps.extend(queue);
            steps.push(Step::Resume);
            steps.push(Step::Progress(1, 1, 3, 1));
        }
        "disabled" => {
            steps.push(Step::Pause);
            steps.push(Step::Submit(1, 2));
            steps.extend(queue);
            steps.push(Step::Disable);
        }
        other => panic!("no setup for {other}"),
    }
    let mut h = Harness::default();
    h.run(&steps);
    h.now = printhub_core::Timestamp::from_millis(100);
    h
}

/// The step each command (or input) column runs.
fn command(name: &str) -> Vec<Step> {
    match name {
        "submit" => vec![Step::Submit(5, 1)],
        "cancel" => vec![Step::Cancel(2)],
        "hold" => vec![Step::Hold(2)],
        "release" => vec![Step::Release(3)],
        "retry" => vec![Step::Retry(8, 6)],
        "pause" => vec![Step::Pause],
        "resume" => vec![Step::Resume],
        "clear" => vec![Step::Clear],
        "enable" => vec![Step::Enable],
        "disable" => vec![Step::Disable],
        "status ready" => vec![Step::Status(ObservedStatus::ready())],
        "status cover open" => vec![Step::Status(ObservedStatus::attention(reason::COVER_OPEN))],
        "status unreachable" => vec![Step::Status(ObservedStatus::unreachable())],
        "timeout" => vec![Step::At(10_000), Step::Timeout],
        // The write that starts with j1's first copy ends (stale where nothing is in flight).
        "finished" => vec![Step::Finished(1, 1)],
        "lost" => vec![Step::Failed(1, 1, printhub_core::WriteFailure::Lost)],
        other => panic!("no command {other}"),
    }
}

const COLUMNS: [&str; 16] = [
    "submit",
    "cancel",
    "hold",
    "release",
    "retry",
    "pause",
    "resume",
    "clear",
    "enable",
    "disable",
    "status ready",
    "status cover open",
    "status unreachable",
    "timeout",
    "finished",
    "lost",
];

/// (printer state, command, expected lines, expected final state).
type Row = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
);

#[rustfmt::skip]
const TABLE: &[Row] = &[
    // ---- idle: nothing queued --------------------------------------------------------------
    ("idle", "submit", &["ok", "persist j5", "job j5 new->queued", "persist j5", "job j5 queued->printing", "printer idle->printing", "send j5#1"], "printing"),
    ("idle", "cancel", &["err job_not_found"], "idle"),
    ("idle", "hold", &["err job_not_found"], "idle"),
    ("idle", "release", &["err job_not_found"], "idle"),
    ("idle", "retry", &["ok", "persist j6", "job j6 new->queued", "persist j6", "job j6 queued->printing", "printer idle->printing", "send j6#1"], "printing"),
    ("idle", "pause", &["ok", "printer idle->paused"], "paused"),
    ("idle", "resume", &["ok"], "idle"),
    ("idle", "clear", &["ok 0"], "idle"),
    ("idle", "enable", &["ok"], "idle"),
    ("idle", "disable", &["ok", "printer idle->disabled"], "disabled"),
    ("idle", "status ready", &[], "idle"),
    ("idle", "status cover open", &["printer idle->stopped(printer_cover_open)", "wake 5100"], "stopped(printer_cover_open)"),
    ("idle", "status unreachable", &["printer idle->offline", "wake 1100"], "offline"),
    ("idle", "timeout", &[], "idle"),
    ("idle", "finished", &[], "idle"),
    ("idle", "lost", &[], "idle"),
    // ---- printing: j1 copy 1 of 2 in flight ---------------------------------------------------
    ("printing", "submit", &["ok", "persist j5", "job j5 new->queued"], "printing"),
    ("printing", "cancel", &["ok", "persist j2", "job j2 queued->cancelled"], "printing"),
    ("printing", "hold", &["ok", "persist j2", "job j2 queued->held"], "printing"),
    ("printing", "release", &["ok", "persist j3", "job j3 held->queued"], "printing"),
    ("printing", "retry", &["ok", "persist j6", "job j6 new->queued"], "printing"),
    ("printing", "pause", &["ok", "printer printing->paused"], "paused"),
    ("printing", "resume", &["ok"], "printing"),
    ("printing", "clear", &["ok 2", "persist j2", "job j2 queued->cancelled", "persist j3", "job j3 held->cancelled"], "printing"),
    ("printing", "enable", &["ok"], "printing"),
    ("printing", "disable", &["ok", "printer printing->disabled"], "disabled"),
    ("printing", "status ready", &[], "printing"),
    ("printing", "status cover open", &[], "printing"),
    ("printing", "status unreachable", &[], "printing"),
    ("printing", "timeout", &[], "printing"),
    ("printing", "finished", &["persist j1", "progress j1 1/2", "send j1#2"], "printing"),
    ("printing", "lost", &["persist j1", "job j1 printing->interrupted", "persist j2", "job j2 queued->printing", "send j2#1"], "printing"),
    // ---- paused: j1 queued, nothing in flight ------------------------------------------------------
    ("paused", "submit", &["ok", "persist j5", "job j5 new->queued"], "paused"),
    ("paused", "cancel", &["ok", "persist j2", "job j2 queued->cancelled"], "paused"),
    ("paused", "hold", &["ok", "persist j2", "job j2 queued->held"], "paused"),
    ("paused", "release", &["ok", "persist j3", "job j3 held->queued"], "paused"),
    ("paused", "retry", &["ok", "persist j6", "job j6 new->queued"], "paused"),
    ("paused", "pause", &["ok"], "paused"),
    ("paused", "resume", &["ok", "persist j1", "job j1 queued->printing", "printer paused->printing", "send j1#1"], "printing"),
    ("paused", "clear", &["ok 3", "persist j1", "job j1 queued->cancelled", "persist j2", "job j2 queued->cancelled", "persist j3", "job j3 held->cancelled"], "paused"),
    ("paused", "enable", &["ok"], "paused"),
    ("paused", "disable", &["ok", "printer paused->disabled"], "disabled"),
    ("paused", "status ready", &[], "paused"),
    ("paused", "status cover open", &[], "paused"),
    ("paused", "status unreachable", &[], "paused"),
    ("paused", "timeout", &[], "paused"),
    ("paused", "finished", &[], "paused"),
    ("paused", "lost", &[], "paused"),
    // ---- stopped (no media) at t = 0, polling every 5 s; j1 back at the head ------------------------
    ("stopped", "submit", &["ok", "persist j5", "job j5 new->queued"], "stopped(no_media)"),
    ("stopped", "cancel", &["ok", "persist j2", "job j2 queued->cancelled"], "stopped(no_media)"),
    ("stopped", "hold", &["ok", "persist j2", "job j2 queued->held"], "stopped(no_media)"),
    ("stopped", "release", &["ok", "persist j3", "job j3 held->queued"], "stopped(no_media)"),
    ("stopped", "retry", &["ok", "persist j6", "job j6 new->queued"], "stopped(no_media)"),
    ("stopped", "pause", &["ok", "printer stopped(no_media)->paused"], "paused"),
    ("stopped", "resume", &["ok", "query", "persist j1", "job j1 queued->printing", "printer stopped(no_media)->printing", "send j1#1"], "printing"),
    ("stopped", "clear", &["ok 3", "persist j1", "job j1 queued->cancelled", "persist j2", "job j2 queued->cancelled", "persist j3", "job j3 held->cancelled"], "stopped(no_media)"),
    ("stopped", "enable", &["ok"], "stopped(no_media)"),
    ("stopped", "disable", &["ok", "printer stopped(no_media)->disabled"], "disabled"),
    ("stopped", "status ready", &["persist j1", "job j1 queued->printing", "printer stopped(no_media)->printing", "send j1#1"], "printing"),
    ("stopped", "status cover open", &["printer stopped(no_media)->stopped(printer_cover_open)"], "stopped(printer_cover_open)"),
    ("stopped", "status unreachable", &["printer stopped(no_media)->offline", "wake 1100"], "offline"),
    ("stopped", "timeout", &["query", "wake 15000"], "stopped(no_media)"),
    ("stopped", "finished", &[], "stopped(no_media)"),
    ("stopped", "lost", &[], "stopped(no_media)"),
    // ---- offline since t = 0, reconnect due at t = 1000; j1 back at the head ---------------------------
    ("offline", "submit", &["ok", "persist j5", "job j5 new->queued"], "offline"),
    ("offline", "cancel", &["ok", "persist j2", "job j2 queued->cancelled"], "offline"),
    ("offline", "hold", &["ok", "persist j2", "job j2 queued->held"], "offline"),
    ("offline", "release", &["ok", "persist j3", "job j3 held->queued"], "offline"),
    ("offline", "retry", &["ok", "persist j6", "job j6 new->queued"], "offline"),
    ("offline", "pause", &["ok", "printer offline->paused"], "paused"),
    ("offline", "resume", &["ok", "query", "persist j1", "job j1 queued->printing", "printer offline->printing", "send j1#1"], "printing"),
    ("offline", "clear", &["ok 3", "persist j1", "job j1 queued->cancelled", "persist j2", "job j2 queued->cancelled", "persist j3", "job j3 held->cancelled"], "offline"),
    ("offline", "enable", &["ok"], "offline"),
    ("offline", "disable", &["ok", "printer offline->disabled"], "disabled"),
    ("offline", "status ready", &["persist j1", "job j1 queued->printing", "printer offline->printing", "send j1#1"], "printing"),
    ("offline", "status cover open", &["printer offline->stopped(printer_cover_open)", "wake 5100"], "stopped(printer_cover_open)"),
    ("offline", "status unreachable", &[], "offline"),
    ("offline", "timeout", &["query", "persist j1", "job j1 queued->printing", "printer offline->printing", "send j1#1"], "printing"),
    ("offline", "finished", &[], "offline"),
    ("offline", "lost", &[], "offline"),
    // ---- disabled: j1 queued ---------------------------------------------------------------------------
    ("disabled", "submit", &["err printer_disabled"], "disabled"),
    ("disabled", "cancel", &["ok", "persist j2", "job j2 queued->cancelled"], "disabled"),
    ("disabled", "hold", &["ok", "persist j2", "job j2 queued->held"], "disabled"),
    ("disabled", "release", &["ok", "persist j3", "job j3 held->queued"], "disabled"),
    ("disabled", "retry", &["err printer_disabled"], "disabled"),
    ("disabled", "pause", &["err printer_disabled"], "disabled"),
    ("disabled", "resume", &["err printer_disabled"], "disabled"),
    ("disabled", "clear", &["ok 3", "persist j1", "job j1 queued->cancelled", "persist j2", "job j2 queued->cancelled", "persist j3", "job j3 held->cancelled"], "disabled"),
    ("disabled", "enable", &["ok", "persist j1", "job j1 queued->printing", "printer disabled->printing", "send j1#1"], "printing"),
    ("disabled", "disable", &["ok"], "disabled"),
    ("disabled", "status ready", &[], "disabled"),
    ("disabled", "status cover open", &[], "disabled"),
    ("disabled", "status unreachable", &[], "disabled"),
    ("disabled", "timeout", &[], "disabled"),
    ("disabled", "finished", &[], "disabled"),
    ("disabled", "lost", &[], "disabled"),
    // ---- chaining: j1#1+j1#2+j4#1 in flight, j1#1 printed; j2 queued, j3 held ------------------
    ("chaining", "submit", &["ok", "persist j5", "job j5 new->queued"], "printing"),
    ("chaining", "cancel", &["ok", "persist j2", "job j2 queued->cancelled"], "printing"),
    ("chaining", "hold", &["ok", "persist j2", "job j2 queued->held"], "printing"),
    ("chaining", "release", &["ok", "persist j3", "job j3 held->queued"], "printing"),
    ("chaining", "retry", &["ok", "persist j6", "job j6 new->queued"], "printing"),
    ("chaining", "pause", &["ok", "printer printing->paused"], "paused"),
    ("chaining", "resume", &["ok"], "printing"),
    ("chaining", "clear", &["ok 2", "persist j2", "job j2 queued->cancelled", "persist j3", "job j3 held->cancelled"], "printing"),
    ("chaining", "enable", &["ok"], "printing"),
    ("chaining", "disable", &["ok", "printer printing->disabled"], "disabled"),
    ("chaining", "status ready", &[], "printing"),
    ("chaining", "status cover open", &[], "printing"),
    ("chaining", "status unreachable", &[], "printing"),
    ("chaining", "timeout", &[], "printing"),
    ("chaining", "finished", &["persist j1", "progress j1 2/2", "persist j1", "job j1 printing->completed", "persist j4", "progress j4 1/1", "persist j4", "job j4 printing->completed", "persist j2", "job j2 queued->printing", "send j2#1"], "printing"),
    ("chaining", "lost", &["persist j1", "job j1 printing->interrupted", "persist j4", "job j4 printing->interrupted", "persist j2", "job j2 queued->printing", "send j2#1"], "printing"),
];

const STATES: [&str; 7] = [
    "idle", "printing", "paused", "stopped", "offline", "disabled", "chaining",
];

#[test]
fn setups_reach_their_states() {
    let expected = [
        ("idle", "idle", ""),
        ("printing", "printing", "j2:queued j3:held"),
        ("paused", "paused", "j1:queued j2:queued j3:held"),
        (
            "stopped",
            "stopped(no_media)",
            "j1:queued j2:queued j3:held",
        ),
        ("offline", "offline", "j1:queued j2:queued j3:held"),
        ("disabled", "disabled", "j1:queued j2:queued j3:held"),
        ("chaining", "printing", "j2:queued j3:held"),
    ];
    for (name, state, queue) in expected {
        let h = given(name);
        assert_eq!(h.state(), state, "{name}");
        assert_eq!(h.queue(), queue, "{name}");
    }
}

#[test]
fn the_table_covers_every_state_and_command() {
    for state in STATES {
        for column in COLUMNS {
            let rows = TABLE
                .iter()
                .filter(|(s, c, _, _)| *s == state && *c == column)
                .count();
            assert_eq!(rows, 1, "{state} × {column}");
        }
    }
    assert_eq!(TABLE.len(), STATES.len() * COLUMNS.len());
}

#[test]
fn every_printer_state_times_every_command() {
    // Collect every mismatch so one run shows them all.
    let mut mismatches = Vec::new();
    for (state, column, expected, final_state) in TABLE {
        let mut h = given(state);
        let lines = h.run(&command(column));
        if lines != *expected || h.state() != *final_state {
            mismatches.push(format!(
                "{state} × {column}:\n  expected {expected:?} -> {final_state}\n  got      {lines:?} -> {}",
                h.state()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
