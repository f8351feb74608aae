//! The job state machine, exhaustively: every `JobState` × `JobCommand`,
//! the legal moves of design §2 (plus `requeue`) and every illegal one as a
//! `TransitionError` value.

use printhub_core::{JobCommand, JobState, TransitionError};

/// The columns of the table below, in order.
const COMMANDS: [JobCommand; 12] = [
    JobCommand::Start,
    JobCommand::Hold,
    JobCommand::Release,
    JobCommand::Cancel { copies_left: 0 },
    JobCommand::Cancel { copies_left: 1 },
    JobCommand::Complete,
    JobCommand::Fail,
    JobCommand::Interrupt,
    JobCommand::Requeue,
    JobCommand::Retry,
    JobCommand::Reprint,
    // A printer's queue timeout (issue #20): only a queued job expires.
    JobCommand::Expire,
];

/// `-` marks an illegal move.
#[rustfmt::skip]
const TABLE: [(JobState, [&str; 12]); 7] = [
    //                       start       hold    release   cancel(0)    cancel(1)    complete     fail      interrupt      requeue   retry          reprint        expire
    (JobState::Queued,      ["printing", "held", "-",      "cancelled", "cancelled", "-",         "-",      "-",           "-",      "-",           "-",           "failed"]),
    (JobState::Held,        ["-",        "-",    "queued", "cancelled", "cancelled", "-",         "-",      "-",           "-",      "-",           "-",           "-"]),
    (JobState::Printing,    ["-",        "-",    "-",      "-",         "cancelled", "completed", "failed", "interrupted", "queued", "-",           "-",           "-"]),
    (JobState::Completed,   ["-",        "-",    "-",      "-",         "-",         "-",         "-",      "-",           "-",      "-",           "completed",   "-"]),
    (JobState::Failed,      ["-",        "-",    "-",      "-",         "-",         "-",         "-",      "-",           "-",      "failed",      "failed",      "-"]),
    (JobState::Cancelled,   ["-",        "-",    "-",      "-",         "-",         "-",         "-",      "-",           "-",      "cancelled",   "cancelled",   "-"]),
    (JobState::Interrupted, ["-",        "-",    "-",      "-",         "-",         "-",         "-",      "-",           "-",      "interrupted", "interrupted", "-"]),
];

#[test]
fn every_state_times_every_command() {
    // The table covers every state exactly once.
    let states: Vec<JobState> = TABLE.iter().map(|(s, _)| *s).collect();
    assert_eq!(states, JobState::ALL);
    for (from, row) in TABLE {
        for (command, expected) in COMMANDS.into_iter().zip(row) {
            let got = from.transition(command);
            if expected == "-" {
                assert_eq!(
                    got,
                    Err(TransitionError { from, command }),
                    "{from} × {command:?}"
                );
                let err = got.expect_err("illegal");
                assert_eq!(err.code(), "invalid_job_state");
                assert_eq!(
                    err.to_string(),
                    format!("cannot {} a job that is {from}", command.as_str())
                );
            } else {
                let to: JobState = expected.parse().expect("a state name");
                assert_eq!(got, Ok(to), "{from} × {command:?}");
            }
        }
    }
}

#[test]
fn cancel_of_printing_depends_only_on_copies_left() {
    for copies_left in [1, 2, 998, u32::MAX] {
        assert_eq!(
            JobState::Printing.transition(JobCommand::Cancel { copies_left }),
            Ok(JobState::Cancelled)
        );
    }
    for state in [JobState::Queued, JobState::Held] {
        for copies_left in [0, 1, 5] {
            assert_eq!(
                state.transition(JobCommand::Cancel { copies_left }),
                Ok(JobState::Cancelled)
            );
        }
    }
}

#[test]
fn terminal_states_are_exactly_the_four() {
    let terminal: Vec<JobState> = JobState::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .collect();
    assert_eq!(
        terminal,
        [
            JobState::Completed,
            JobState::Failed,
            JobState::Cancelled,
            JobState::Interrupted
        ]
    );
    // No command leaves a terminal state (retry leaves the job where it is).
    for from in terminal {
        for command in COMMANDS {
            if let Ok(to) = from.transition(command) {
                assert_eq!(to, from, "{from} × {command:?}");
            }
        }
    }
}
