//! Every job state × every user command on a job, through `PrinterMachine`
//! (the pure `JobState` table is in `transitions`). The printer is otherwise
//! running, so a command's side effects on the print loop show up too.

use printhub_core::{JobState, WriteFailure};

use crate::support::{j, rejected, Harness, Step};

/// Puts job j1 in the named state.
fn given(state: &str) -> Harness {
    let steps: Vec<Step> = match state {
        // j0 keeps the printer busy so that j1 waits.
        "queued" => vec![Step::Submit(0, 1), Step::Submit(1, 2)],
        "held" => vec![Step::Submit(0, 1), Step::Submit(1, 2), Step::Hold(1)],
        "printing, copies left" => vec![Step::Submit(1, 2)],
        "printing, last copy" => vec![Step::Submit(1, 2), Step::Finished(1, 1)],
        "completed" => vec![Step::Submit(1, 1), Step::Finished(1, 1)],
        "failed" => vec![Step::Submit(1, 1), rejected(1, 1)],
        "cancelled" => vec![
            Step::Pause,
            Step::Submit(1, 1),
            Step::Cancel(1),
            Step::Resume,
        ],
        "interrupted" => vec![Step::Submit(1, 1), Step::Failed(1, 1, WriteFailure::Lost)],
        other => panic!("no setup for {other}"),
    };
    let mut h = Harness::default();
    h.run(&steps);
    h
}

/// (job state, command, expected lines, j1's state afterwards).
type Row = (
    &'static str,
    &'static str,
    &'static [&'static str],
    JobState,
);

#[rustfmt::skip]
const TABLE: &[Row] = &[
    ("queued", "cancel", &["ok", "persist j1", "job j1 queued->cancelled"], JobState::Cancelled),
    ("queued", "hold", &["ok", "persist j1", "job j1 queued->held"], JobState::Held),
    ("queued", "release", &["err invalid_job_state"], JobState::Queued),
    ("queued", "retry", &["err invalid_job_state"], JobState::Queued),
    ("held", "cancel", &["ok", "persist j1", "job j1 held->cancelled"], JobState::Cancelled),
    ("held", "hold", &["err invalid_job_state"], JobState::Held),
    ("held", "release", &["ok", "persist j1", "job j1 held->queued"], JobState::Queued),
    ("held", "retry", &["err invalid_job_state"], JobState::Held),
    // A copy has started streaming: it is never cut off; the cancel applies after it.
    ("printing, copies left", "cancel", &["ok after_copy"], JobState::Printing),
    ("printing, copies left", "hold", &["err invalid_job_state"], JobState::Printing),
    ("printing, copies left", "release", &["err invalid_job_state"], JobState::Printing),
    ("printing, copies left", "retry", &["err invalid_job_state"], JobState::Printing),
    // The last copy is printing: nothing is left to cancel (409).
    ("printing, last copy", "cancel", &["err invalid_job_state"], JobState::Printing),
    ("printing, last copy", "hold", &["err invalid_job_state"], JobState::Printing),
    ("printing, last copy", "release", &["err invalid_job_state"], JobState::Printing),
    ("printing, last copy", "retry", &["err invalid_job_state"], JobState::Printing),
    ("completed", "cancel", &["err invalid_job_state"], JobState::Completed),
    ("completed", "hold", &["err invalid_job_state"], JobState::Completed),
    ("completed", "release", &["err invalid_job_state"], JobState::Completed),
    ("completed", "retry", &["err invalid_job_state"], JobState::Completed),
    ("failed", "cancel", &["err invalid_job_state"], JobState::Failed),
    ("failed", "hold", &["err invalid_job_state"], JobState::Failed),
    ("failed", "release", &["err invalid_job_state"], JobState::Failed),
    ("failed", "retry", &["ok", "persist j7", "job j7 new->queued", "persist j7", "job j7 queued->printing", "printer idle->printing", "send j7#1"], JobState::Failed),
    ("cancelled", "cancel", &["err invalid_job_state"], JobState::Cancelled),
    ("cancelled", "hold", &["err invalid_job_state"], JobState::Cancelled),
    ("cancelled", "release", &["err invalid_job_state"], JobState::Cancelled),
    ("cancelled", "retry", &["ok", "persist j7", "job j7 new->queued", "persist j7", "job j7 queued->printing", "printer idle->printing", "send j7#1"], JobState::Cancelled),
    ("interrupted", "cancel", &["err invalid_job_state"], JobState::Interrupted),
    ("interrupted", "hold", &["err invalid_job_state"], JobState::Interrupted),
    ("interrupted", "release", &["err invalid_job_state"], JobState::Interrupted),
    ("interrupted", "retry", &["ok", "persist j7", "job j7 new->queued", "persist j7", "job j7 queued->printing", "printer idle->printing", "send j7#1"], JobState::Interrupted),
];

fn command(name: &str) -> Step {
    match name {
        "cancel" => Step::Cancel(1),
        "hold" => Step::Hold(1),
        "release" => Step::Release(1),
        "retry" => Step::Retry(1, 7),
        other => panic!("no command {other}"),
    }
}

#[test]
fn setups_reach_their_states() {
    let expected = [
        ("queued", JobState::Queued),
        ("held", JobState::Held),
        ("printing, copies left", JobState::Printing),
        ("printing, last copy", JobState::Printing),
        ("completed", JobState::Completed),
        ("failed", JobState::Failed),
        ("cancelled", JobState::Cancelled),
        ("interrupted", JobState::Interrupted),
    ];
    for (name, state) in expected {
        let h = given(name);
        assert_eq!(h.m.job(j(1)).map(|job| job.state), Some(state), "{name}");
        // Every state of the job vocabulary is covered by a setup.
        assert_eq!(
            TABLE.iter().filter(|row| row.0 == name).count(),
            4,
            "{name}"
        );
    }
}

#[test]
fn every_job_state_times_every_user_command() {
    let mut mismatches = Vec::new();
    for (state, name, expected, after) in TABLE {
        let mut h = given(state);
        let lines = h.run(&[command(name)]);
        let got = h.m.job(j(1)).map(|job| job.state);
        if lines != *expected || got != Some(*after) {
            mismatches.push(format!(
                "{state} × {name}:\n  expected {expected:?} -> {after}\n  got      {lines:?} -> {got:?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn unknown_jobs_are_not_found() {
    let mut h = Harness::default();
    let lines = h.run(&[
        Step::Cancel(4),
        Step::Hold(4),
        Step::Release(4),
        Step::Retry(4, 5),
    ]);
    assert_eq!(lines, ["err job_not_found"; 4]);
}
