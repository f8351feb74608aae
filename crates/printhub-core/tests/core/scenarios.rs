//! The reference system's failures, one named test each, plus the write
//! outcomes and the timers. Each spells out the full action stream.

use std::sync::Arc;

use printhub_core::{
    reason, Action, ChainPage, CommandError, InitialState, Job, JobCommand, JobError, JobState,
    MachineConfig, ObservedStatus, PrinterId, PrinterMachine, Timestamp, WriteFailure,
};

use crate::support::{
    attention, check, check_from, j, raster, rejected, show_action, spec, Harness, Step, PRINTER,
};

#[test]
fn cancel_before_print_is_never_printed() {
    check(
        &[
            Step::Submit(1, 1),
            Step::Submit(2, 1),
            Step::Cancel(2),
            Step::Finished(1, 1),
        ],
        &[
            "ok",
            "persist j1",
            "job j1 new->queued",
            "persist j1",
            "job j1 queued->printing",
            "printer idle->printing",
            "send j1#1",
            "ok",
            "persist j2",
            "job j2 new->queued",
            "ok",
            "persist j2",
            "job j2 queued->cancelled",
            "persist j1",
            "progress j1 1/1",
            "persist j1",
            "job j1 printing->completed",
            // No `send j2`: the printer goes idle.
            "printer printing->idle",
        ],
        "idle",
    );
}

#[test]
fn pause_while_idle_is_honoured_before_the_next_job_starts() {
    check(
        &[
            Step::Pause,
            Step::Submit(1, 1),
            Step::Submit(2, 1),
            Step::Resume,
        ],
        &[
            "ok",
            "printer idle->paused",
            "ok",
            "persist j1",
            "job j1 new->queued",
            "ok",
            "persist j2",
            "job j2 new->queued",
            // Nothing was sent until the resume.
            "ok",
            "persist j1",
            "job j1 queued->printing",
            "printer paused->printing",
            "send j1#1",
        ],
        "printing",
    );
}

#[test]
fn pause_while_printing_lets_the_current_copy_finish_and_sends_nothing_more() {
    let mut h = Harness::default();
    h.run(&[Step::Submit(1, 3), Step::Submit(2, 1)]);
    let lines = h.run(&[Step::Pause, Step::Finished(1, 1)]);
    assert_eq!(
        lines,
        [
            "ok",
            "printer printing->paused",
            "persist j1",
            "progress j1 1/3",
            // Copies are left: the job waits at the head of the queue, copies kept.
            "persist j1",
            "job j1 printing->queued",
        ]
    );
    assert_eq!(h.queue(), "j1:queued j2:queued");
    assert_eq!(h.m.job(j(1)).map(|x| x.copies_printed), Some(1));
    // Resume continues with copy 2, not copy 1.
    let lines = h.run(&[Step::Resume]);
    assert_eq!(
        lines,
        [
            "ok",
            "persist j1",
            "job j1 queued->printing",
            "printer paused->printing",
            "send j1#2"
        ]
    );
}

#[test]
fn resume_works_from_paused() {
    let mut h = Harness::default();
    h.run(&[
        Step::Submit(1, 1),
        Step::Pause,
        Step::Submit(2, 1),
        Step::Finished(1, 1),
    ]);
    assert_eq!(h.state(), "paused");
    check_from(
        h,
        &[Step::Resume],
        &[
            "ok",
            "persist j2",
            "job j2 queued->printing",
            "printer paused->printing",
            "send j2#1",
        ],
        "printing",
    );
}

#[test]
fn resume_works_from_stopped() {
    let mut h = Harness::default();
    h.run(&[Step::Submit(1, 1), attention(1, 1, reason::COVER_OPEN)]);
    assert_eq!(h.state(), "stopped(printer_cover_open)");
    check_from(
        h,
        &[Step::Resume],
        &[
            "ok",
            // A forced re-check, and the job is tried again at once.
            "query",
            "persist j1",
            "job j1 queued->printing",
            "printer stopped(printer_cover_open)->printing",
            "send j1#1",
        ],
        "printing",
    );
}

#[test]
fn resume_works_from_offline() {
    let mut h = Harness::default();
    h.run(&[
        Step::Submit(1, 1),
        Step::Failed(1, 1, WriteFailure::Unreachable),
    ]);
    assert_eq!(h.state(), "offline");
    check_from(
        h,
        &[Step::Resume],
        &[
            "ok",
            "query",
            "persist j1",
            "job j1 queued->printing",
            "printer offline->printing",
            "send j1#1",
        ],
        "printing",
    );
}

#[test]
fn resume_works_for_every_printer_not_only_the_first() {
    // The reference system could only resume its first printer. Machines are
    // independent values: each one resumes its own queue.
    let mut machines: Vec<PrinterMachine> = (1..=3)
        .map(|n| PrinterMachine::new(PrinterId::from_u128(n), MachineConfig::default()))
        .collect();
    let t = Timestamp::from_millis(0);
    for (n, m) in machines.iter_mut().enumerate() {
        let printer = m.printer_id();
        let mut s = spec(1, 1);
        s.printer_id = printer;
        let job = j(100 + n as u128);
        m.submit(job, s, t).expect("accepted");
        m.handle_write_failed(
            job,
            1,
            WriteFailure::Attention {
                reason_code: reason::NO_MEDIA.into(),
            },
            t,
        );
        while m.poll_action().is_some() {}
        assert_eq!(m.state().name(), "stopped");
    }
    for (n, m) in machines.iter_mut().enumerate().rev() {
        m.resume(t).expect("resumes");
        let actions: Vec<Action> = std::iter::from_fn(|| m.poll_action()).collect();
        assert!(actions.contains(&Action::Send {
            pages: vec![ChainPage {
                job_id: j(100 + n as u128),
                copy: 1
            }]
        }));
        assert_eq!(m.state().name(), "printing");
    }
}

#[test]
fn every_copy_prints() {
    let mut h = Harness::default();
    let lines = h.run(&[
        Step::Submit(1, 3),
        Step::Finished(1, 1),
        Step::Finished(1, 2),
        Step::Finished(1, 3),
    ]);
    assert_eq!(
        lines,
        [
            "ok",
            "persist j1",
            "job j1 new->queued",
            "persist j1",
            "job j1 queued->printing",
            "printer idle->printing",
            "send j1#1",
            "persist j1",
            "progress j1 1/3",
            "send j1#2",
            "persist j1",
            "progress j1 2/3",
            "send j1#3",
            "persist j1",
            "progress j1 3/3",
            "persist j1",
            "job j1 printing->completed",
            "printer printing->idle",
        ]
    );
    let job = h.m.job(j(1)).expect("known");
    assert_eq!(job.copies_printed, 3);
    assert_eq!(job.state, JobState::Completed);
    assert!(job.confirmed);
}

#[test]
fn confirmed_means_every_copy_was_confirmed() {
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    let t = Timestamp::from_millis(0);
    m.submit(j(1), spec(1, 2), t).expect("accepted");
    m.handle_write_finished(j(1), 1, true, t);
    m.handle_write_finished(j(1), 2, false, t);
    assert_eq!(
        m.job(j(1)).map(|x| (x.state, x.confirmed)),
        Some((JobState::Completed, false))
    );
}

#[test]
fn release_keeps_queue_order() {
    let mut h = Harness::default();
    h.run(&[
        Step::Submit(1, 1),
        Step::Submit(2, 1),
        Step::Submit(3, 1),
        Step::Submit(4, 1),
        Step::Hold(2),
        Step::Hold(3),
    ]);
    assert_eq!(h.queue(), "j2:held j3:held j4:queued");
    // Released in the opposite order, both return to their original places.
    let lines = h.run(&[Step::Release(3), Step::Release(2)]);
    assert_eq!(
        lines,
        [
            "ok",
            "persist j3",
            "job j3 held->queued",
            "ok",
            "persist j2",
            "job j2 held->queued"
        ]
    );
    assert_eq!(h.queue(), "j2:queued j3:queued j4:queued");
    let lines = h.run(&[
        Step::Finished(1, 1),
        Step::Finished(2, 1),
        Step::Finished(3, 1),
    ]);
    let sends: Vec<&String> = lines.iter().filter(|l| l.starts_with("send")).collect();
    assert_eq!(sends, ["send j2#1", "send j3#1", "send j4#1"]);
}

#[test]
fn retry_of_a_failed_job_prints_the_same_raster_as_a_new_job() {
    let mut h = Harness::default();
    h.run(&[Step::Submit(1, 2), rejected(1, 1), Step::Submit(2, 1)]);
    let failed = h.m.job(j(1)).expect("known").clone();
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(
        failed.error,
        Some(Box::new(JobError::new(
            "bad_raster",
            "the printer refused the data"
        )))
    );
    let lines = h.run(&[Step::Retry(1, 7)]);
    // Queued at the end: behind j2.
    assert_eq!(lines, ["ok", "persist j7", "job j7 new->queued"]);
    assert_eq!(h.queue(), "j7:queued");
    let retry = h.m.job(j(7)).expect("known");
    assert!(Arc::ptr_eq(&retry.spec.raster, &failed.spec.raster));
    assert_eq!(retry.spec.raster, raster(1));
    assert_eq!(retry.spec, failed.spec);
    assert_eq!(retry.parent_job_id, Some(j(1)));
    assert_eq!(retry.retry_count, 1);
    assert_eq!(retry.copies_printed, 0);
    assert_eq!(retry.error, None);
    // The failed job itself is unchanged.
    assert_eq!(h.m.job(j(1)), Some(&failed));
    let lines = h.run(&[Step::Finished(2, 1), rejected(7, 1), Step::Retry(7, 8)]);
    assert!(lines.contains(&"send j7#1".to_owned()));
    assert_eq!(
        h.m.job(j(8)).map(|x| (x.parent_job_id, x.retry_count)),
        Some((Some(j(7)), 2))
    );
}

#[test]
fn attention_stops_the_printer_without_failing_jobs_and_resumes_by_itself() {
    let mut h = Harness::default();
    h.run(&[Step::Submit(1, 2), Step::Submit(2, 1), Step::Finished(1, 1)]);
    let lines = h.run(&[Step::At(1_000), attention(1, 2, reason::NO_MEDIA)]);
    assert_eq!(
        lines,
        [
            "persist j1",
            "job j1 printing->queued",
            "printer printing->stopped(no_media)",
            "wake 6000",
        ]
    );
    // Nothing failed; j1 is back at the head with its printed copy kept.
    assert_eq!(h.queue(), "j1:queued j2:queued");
    assert_eq!(h.m.job(j(1)).map(|x| x.copies_printed), Some(1));
    // The machine polls the status while stopped; the problem persists.
    let lines = h.run(&[
        Step::At(6_000),
        Step::Timeout,
        Step::Status(ObservedStatus::attention(reason::NO_MEDIA)),
    ]);
    assert_eq!(lines, ["query", "wake 11000"]);
    // Someone loads tape: the status shows the problem gone and printing goes on.
    let lines = h.run(&[
        Step::At(8_000),
        Step::Status(ObservedStatus::ready()),
        Step::Finished(1, 2),
        Step::Finished(2, 1),
    ]);
    assert_eq!(
        lines,
        [
            "persist j1",
            "job j1 queued->printing",
            "printer stopped(no_media)->printing",
            "send j1#2",
            "persist j1",
            "progress j1 2/2",
            "persist j1",
            "job j1 printing->completed",
            "persist j2",
            "job j2 queued->printing",
            "send j2#1",
            "persist j2",
            "progress j2 1/1",
            "persist j2",
            "job j2 printing->completed",
            "printer printing->idle",
        ]
    );
    // The stale poll timer does nothing.
    assert_eq!(
        h.run(&[Step::At(11_000), Step::Timeout]),
        Vec::<String>::new()
    );
}

#[test]
fn media_mismatch_keeps_the_job_queued_until_the_right_tape_is_loaded() {
    let mut h = Harness::default();
    let lines = h.run(&[
        Step::Submit(1, 1),
        attention(1, 1, reason::MEDIA_MISMATCH),
        Step::Resume,
    ]);
    assert_eq!(h.m.job(j(1)).map(|x| x.state), Some(JobState::Printing));
    assert!(lines.contains(&"printer printing->stopped(media_mismatch)".to_owned()));
    // Still the wrong tape: stopped again, still queued, still not failed.
    h.run(&[attention(1, 1, reason::MEDIA_MISMATCH)]);
    assert_eq!(h.state(), "stopped(media_mismatch)");
    assert_eq!(h.queue(), "j1:queued");
}

#[test]
fn cancel_during_a_multi_copy_job_stops_after_the_current_copy() {
    let mut h = Harness::default();
    h.run(&[Step::Submit(1, 3), Step::Submit(2, 1), Step::Finished(1, 1)]);
    assert_eq!(
        h.m.in_flight().map(|f| (f.first().job_id, f.first().copy)),
        Some((j(1), 2))
    );
    let lines = h.run(&[Step::Cancel(1)]);
    assert_eq!(lines, ["ok after_copy"]);
    assert!(h.m.in_flight().is_some_and(|f| f.cancel_requested(j(1))));
    // Cancelling again is harmless.
    assert_eq!(h.run(&[Step::Cancel(1)]), ["ok after_copy"]);
    let lines = h.run(&[Step::Finished(1, 2)]);
    assert_eq!(
        lines,
        [
            "persist j1",
            "progress j1 2/3",
            "persist j1",
            "job j1 printing->cancelled",
            // No `send j1#3`: the next job starts.
            "persist j2",
            "job j2 queued->printing",
            "send j2#1",
        ]
    );
    let job = h.m.job(j(1)).expect("known");
    assert_eq!((job.state, job.copies_printed), (JobState::Cancelled, 2));
}

#[test]
fn cancel_of_the_last_copy_in_flight_is_refused() {
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    let t = Timestamp::from_millis(0);
    m.submit(j(1), spec(1, 2), t).expect("accepted");
    m.handle_write_finished(j(1), 1, true, t);
    assert_eq!(
        m.cancel(j(1), t),
        Err(CommandError::InvalidJobState {
            job_id: j(1),
            from: JobState::Printing,
            command: JobCommand::Cancel { copies_left: 0 },
        })
    );
}

#[test]
fn a_pending_cancel_is_honoured_when_the_copy_does_not_print() {
    let cases = [
        (
            WriteFailure::Attention {
                reason_code: reason::COVER_OPEN.into(),
            },
            JobState::Cancelled,
            "stopped(printer_cover_open)",
        ),
        (WriteFailure::Unreachable, JobState::Cancelled, "offline"),
        (
            WriteFailure::Rejected {
                code: "bad_raster".into(),
                message: "no".into(),
            },
            JobState::Failed,
            "idle",
        ),
        (WriteFailure::Lost, JobState::Interrupted, "idle"),
    ];
    for (failure, job_state, printer_state) in cases {
        let mut h = Harness::default();
        h.run(&[Step::Submit(1, 2), Step::Cancel(1)]);
        let lines = h.run(&[Step::Failed(1, 1, failure.clone())]);
        assert!(!lines.iter().any(|l| l.starts_with("send")), "{failure:?}");
        assert_eq!(
            h.m.job(j(1)).map(|x| x.state),
            Some(job_state),
            "{failure:?}"
        );
        assert_eq!(h.state(), printer_state, "{failure:?}");
        assert_eq!(h.queue(), "", "{failure:?}");
    }
}

#[test]
fn restart_restore_turns_printing_into_interrupted_and_keeps_order() {
    let t0 = Timestamp::from_millis(0);
    let job = |n: u128, state: JobState, created: i64, printed: u32| {
        let mut job = Job::new(j(n), spec(n, 2), Timestamp::from_millis(created));
        job.state = state;
        job.copies_printed = printed;
        job
    };
    let stored = vec![
        job(5, JobState::Queued, 50, 0),
        job(1, JobState::Completed, 10, 2),
        job(3, JobState::Held, 30, 0),
        job(2, JobState::Printing, 20, 1),
        job(4, JobState::Queued, 40, 0),
        job(6, JobState::Queued, 5, 1), // partly printed: it was at the head
    ];
    let mut m = PrinterMachine::restore(
        PRINTER,
        MachineConfig::default(),
        stored,
        t0.plus_millis(1_000),
    );
    let lines: Vec<String> = std::iter::from_fn(|| m.poll_action())
        .map(|a| show_action(&a))
        .collect();
    assert_eq!(
        lines,
        [
            "persist j2",
            "job j2 printing->interrupted",
            "persist j6",
            "job j6 queued->printing",
            "printer idle->printing",
            "send j6#2",
        ]
    );
    let interrupted = m.job(j(2)).expect("known");
    assert_eq!(interrupted.state, JobState::Interrupted);
    assert_eq!(interrupted.copies_printed, 1);
    assert_eq!(
        interrupted.error.as_ref().map(|e| e.code.as_str()),
        Some("hub_restarted")
    );
    assert_eq!(interrupted.finished_at, Some(Timestamp::from_millis(1_000)));
    let queue: Vec<(u128, JobState)> = m
        .queue()
        .map(|x| (x.id.as_uuid().as_u128(), x.state))
        .collect();
    assert_eq!(
        queue,
        [
            (3, JobState::Held),
            (4, JobState::Queued),
            (5, JobState::Queued)
        ]
    );
    // The interrupted job is never reprinted silently; retry reprints it.
    let t = Timestamp::from_millis(2_000);
    m.handle_write_finished(j(6), 2, true, t);
    m.handle_write_finished(j(4), 1, true, t);
    m.handle_write_finished(j(4), 2, true, t);
    let sends: Vec<Action> = std::iter::from_fn(|| m.poll_action())
        .filter(|a| matches!(a, Action::Send { .. }))
        .collect();
    assert_eq!(
        sends,
        [(4, 1), (4, 2), (5, 1)].map(|(n, copy)| Action::Send {
            pages: vec![ChainPage { job_id: j(n), copy }]
        })
    );
    assert_eq!(m.retry(j(2), j(9), t), Ok(j(9)));
}

#[test]
fn restore_of_a_paused_printer_sends_nothing() {
    let stored = vec![Job::new(j(1), spec(1, 1), Timestamp::from_millis(0))];
    let config = MachineConfig {
        initial_state: InitialState::Paused,
        ..MachineConfig::default()
    };
    let mut m = PrinterMachine::restore(PRINTER, config, stored, Timestamp::from_millis(5));
    assert_eq!(m.poll_action(), None);
    assert_eq!(m.state().name(), "paused");
    assert_eq!(m.queue_len(), 1);
}

#[test]
fn restore_ignores_other_printers_and_duplicate_ids() {
    let mut other = Job::new(j(1), spec(1, 1), Timestamp::from_millis(0));
    other.spec.printer_id = PrinterId::from_u128(0xBEEF);
    let mine = Job::new(j(2), spec(2, 1), Timestamp::from_millis(0));
    let config = MachineConfig {
        initial_state: InitialState::Disabled,
        ..MachineConfig::default()
    };
    let m = PrinterMachine::restore(
        PRINTER,
        config,
        vec![other, mine.clone(), mine],
        Timestamp::from_millis(0),
    );
    assert_eq!(m.jobs().count(), 1);
    assert!(m.job(j(1)).is_none());
}

#[test]
fn unreachable_goes_offline_with_capped_exponential_backoff() {
    let config = MachineConfig {
        backoff_initial_ms: 1_000,
        backoff_max_ms: 5_000,
        ..MachineConfig::default()
    };
    let mut h = Harness::with_config(config);
    let lines = h.run(&[
        Step::Submit(1, 1),
        Step::Failed(1, 1, WriteFailure::Unreachable),
    ]);
    assert_eq!(
        &lines[7..],
        [
            "persist j1",
            "job j1 printing->queued",
            "printer printing->offline",
            "wake 1000"
        ]
    );
    // Each reconnect attempt that fails doubles the delay, up to the cap.
    let mut wakes = Vec::new();
    let mut now = 1_000;
    for _ in 0..5 {
        let lines = h.run(&[
            Step::At(now),
            Step::Timeout,
            Step::Failed(1, 1, WriteFailure::Unreachable),
        ]);
        assert!(lines.contains(&"send j1#1".to_owned()), "{lines:?}");
        let wake: i64 = lines
            .iter()
            .find_map(|l| l.strip_prefix("wake "))
            .and_then(|w| w.parse().ok())
            .expect("a wake");
        wakes.push(wake - now);
        now = wake;
    }
    assert_eq!(wakes, [2_000, 4_000, 5_000, 5_000, 5_000]);
    // Queued jobs wait, they do not fail.
    assert_eq!(h.queue(), "j1:queued");
    // Early timers are ignored.
    assert_eq!(
        h.run(&[Step::At(now - 1), Step::Timeout]),
        Vec::<String>::new()
    );
    // A successful write resets the backoff.
    h.run(&[Step::At(now), Step::Timeout, Step::Finished(1, 1)]);
    let lines = h.run(&[
        Step::Submit(2, 1),
        Step::Failed(2, 1, WriteFailure::Unreachable),
    ]);
    assert_eq!(
        lines.last().map(String::as_str),
        Some(format!("wake {}", now + 1_000).as_str())
    );
}

#[test]
fn offline_without_jobs_polls_the_status_with_backoff() {
    let mut h = Harness::default();
    let lines = h.run(&[
        Step::Status(ObservedStatus::unreachable()),
        Step::At(1_000),
        Step::Timeout,
        Step::Status(ObservedStatus::unreachable()),
        Step::At(3_000),
        Step::Timeout,
        Step::Status(ObservedStatus::ready()),
    ]);
    assert_eq!(
        lines,
        [
            "printer idle->offline",
            "wake 1000",
            "query",
            "wake 3000",
            "query",
            "wake 7000",
            "printer offline->idle",
        ]
    );
}

#[test]
fn lost_connection_interrupts_and_never_reprints() {
    let mut h = Harness::default();
    h.run(&[Step::Submit(1, 2), Step::Submit(2, 1)]);
    let lines = h.run(&[Step::Failed(1, 1, WriteFailure::Lost)]);
    assert_eq!(
        lines,
        [
            "persist j1",
            "job j1 printing->interrupted",
            "persist j2",
            "job j2 queued->printing",
            "send j2#1",
        ]
    );
    let job = h.m.job(j(1)).expect("known");
    assert_eq!(job.copies_printed, 0);
    assert_eq!(
        job.error.as_ref().map(|e| e.code.as_str()),
        Some("connection_lost")
    );
}

#[test]
fn rejected_fails_the_job_and_the_printer_continues() {
    check(
        &[Step::Submit(1, 1), Step::Submit(2, 1), rejected(1, 1)],
        &[
            "ok",
            "persist j1",
            "job j1 new->queued",
            "persist j1",
            "job j1 queued->printing",
            "printer idle->printing",
            "send j1#1",
            "ok",
            "persist j2",
            "job j2 new->queued",
            "persist j1",
            "job j1 printing->failed",
            "persist j2",
            "job j2 queued->printing",
            "send j2#1",
        ],
        "printing",
    );
}

#[test]
fn stale_write_reports_are_ignored() {
    let mut h = Harness::default();
    h.run(&[Step::Submit(1, 2)]);
    let lines = h.run(&[
        Step::Finished(1, 2),
        Step::Finished(9, 1),
        Step::Failed(1, 3, WriteFailure::Lost),
    ]);
    assert_eq!(lines, Vec::<String>::new());
    assert_eq!(
        h.m.in_flight().map(|f| (f.first().job_id, f.first().copy)),
        Some((j(1), 1))
    );
}

#[test]
fn submit_is_validated_and_bounded() {
    let config = MachineConfig {
        max_queue: 2,
        ..MachineConfig::default()
    };
    let mut m = PrinterMachine::new(PRINTER, config);
    let t = Timestamp::from_millis(0);
    assert_eq!(
        m.submit(j(1), spec(1, 0), t).map_err(|e| e.code()),
        Err("invalid_request")
    );
    let mut wrong = spec(1, 1);
    wrong.printer_id = PrinterId::from_u128(2);
    assert_eq!(
        m.submit(j(1), wrong, t).map_err(|e| e.code()),
        Err("invalid_request")
    );
    // j1 prints at once; j2 and j3 fill the queue of two.
    for n in 1..=3 {
        m.submit(j(n), spec(n, 1), t).expect("accepted");
    }
    assert_eq!(
        m.submit(j(3), spec(3, 1), t).map_err(|e| e.code()),
        Err("duplicate_job")
    );
    assert_eq!(
        m.submit(j(4), spec(4, 1), t),
        Err(CommandError::QueueFull { limit: 2 })
    );
    assert_eq!(
        m.submit(j(4), spec(4, 1), t).map_err(|e| e.code()),
        Err("queue_full")
    );
    // Held jobs count: they wait in the queue.
    m.hold(j(3), t).expect("held");
    assert!(m.submit(j(4), spec(4, 1), t).is_err());
    m.cancel(j(3), t).expect("cancelled");
    assert_eq!(m.submit(j(4), spec(4, 1), t), Ok(()));
}

#[test]
fn clear_never_cancels_the_copy_in_flight() {
    let mut h = Harness::default();
    h.run(&[
        Step::Submit(1, 2),
        Step::Submit(2, 1),
        Step::Submit(3, 1),
        Step::Hold(3),
    ]);
    let lines = h.run(&[Step::Clear]);
    assert_eq!(
        lines,
        [
            "ok 2",
            "persist j2",
            "job j2 queued->cancelled",
            "persist j3",
            "job j3 held->cancelled"
        ]
    );
    // j1 goes on with all its copies.
    let lines = h.run(&[Step::Finished(1, 1), Step::Finished(1, 2)]);
    assert!(lines.contains(&"send j1#2".to_owned()));
    assert_eq!(h.m.job(j(1)).map(|x| x.state), Some(JobState::Completed));
}

#[test]
fn disable_lets_the_copy_in_flight_finish_and_enable_continues() {
    let mut h = Harness::default();
    h.run(&[Step::Submit(1, 2)]);
    let lines = h.run(&[Step::Disable, Step::Finished(1, 1), Step::Submit(2, 1)]);
    assert_eq!(
        lines,
        [
            "ok",
            "printer printing->disabled",
            "persist j1",
            "progress j1 1/2",
            "persist j1",
            "job j1 printing->queued",
            "err printer_disabled",
        ]
    );
    let lines = h.run(&[Step::Enable]);
    assert_eq!(
        lines,
        [
            "ok",
            "persist j1",
            "job j1 queued->printing",
            "printer disabled->printing",
            "send j1#2"
        ]
    );
}

#[test]
fn history_is_bounded_and_pruned_only_after_the_actions_are_drained() {
    let config = MachineConfig {
        max_history: 2,
        ..MachineConfig::default()
    };
    let mut m = PrinterMachine::new(PRINTER, config);
    let t = Timestamp::from_millis(0);
    for n in 1..=4 {
        m.submit(j(n), spec(n, 1), t).expect("accepted");
        m.handle_write_finished(j(n), 1, true, t);
        // Before draining, every Persist can be resolved.
        let mut persisted = Vec::new();
        while let Some(action) = m.poll_action() {
            if let Action::Persist(id) = action {
                persisted.push(id);
                assert!(m.job(id).is_some());
            }
        }
        assert!(persisted.contains(&j(n)));
    }
    let ids: Vec<u128> = m.jobs().map(|x| x.id.as_uuid().as_u128()).collect();
    assert_eq!(ids, [3, 4]);
    assert_eq!(
        m.retry(j(1), j(9), t).map_err(|e| e.code()),
        Err("job_not_found")
    );
}

#[test]
fn status_problems_seen_while_idle_hold_the_next_job() {
    check(
        &[
            Step::Status(ObservedStatus::attention(reason::COVER_OPEN)),
            Step::Submit(1, 1),
            Step::Advance(10),
            Step::Status(ObservedStatus::ready()),
        ],
        &[
            "printer idle->stopped(printer_cover_open)",
            "wake 5000",
            "ok",
            "persist j1",
            "job j1 new->queued",
            "persist j1",
            "job j1 queued->printing",
            "printer stopped(printer_cover_open)->printing",
            "send j1#1",
        ],
        "printing",
    );
}

#[test]
fn every_job_change_records_its_timestamp() {
    let mut h = Harness::default();
    h.run(&[
        Step::At(10),
        Step::Submit(1, 2),
        Step::At(20),
        Step::Finished(1, 1),
        Step::At(30),
        Step::Finished(1, 2),
    ]);
    let job = h.m.job(j(1)).expect("known");
    assert_eq!(job.created_at, Timestamp::from_millis(10));
    assert_eq!(job.started_at, Some(Timestamp::from_millis(10)));
    assert_eq!(job.finished_at, Some(Timestamp::from_millis(30)));
    assert_eq!(job.state_changed_at, Timestamp::from_millis(30));
    let mut h = Harness::default();
    h.run(&[Step::Pause, Step::Submit(1, 1), Step::At(5), Step::Hold(1)]);
    let job = h.m.job(j(1)).expect("known");
    assert_eq!(
        (job.state_changed_at, job.started_at),
        (Timestamp::from_millis(5), None)
    );
}

/// A printer's queue timeout (issue #20): queued jobs older than the cutoff
/// fail with `queue_timeout`, are persisted and announced; held jobs, newer
/// jobs and the job printing are kept, and the queue goes on.
#[test]
fn queued_jobs_past_the_queue_timeout_fail_and_the_rest_stay() {
    use crate::support::{j, spec, PRINTER};
    use printhub_core::{Action, JobState, MachineConfig, PrinterMachine, Timestamp};
    let at = Timestamp::from_millis;
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    // j1 prints (copy in flight), j2 and j3 wait, j3 held, j4 comes later.
    m.submit(j(1), spec(1, 1), at(0)).expect("j1");
    m.submit(j(2), spec(2, 1), at(10)).expect("j2");
    m.submit(j(3), spec(3, 1), at(20)).expect("j3");
    m.hold(j(3), at(30)).expect("hold j3");
    m.submit(j(4), spec(4, 1), at(5_000)).expect("j4");
    while m.poll_action().is_some() {}
    let expired = m.expire_queued(at(1_000), at(6_000));
    assert_eq!(expired, vec![j(2)]);
    let state = |m: &PrinterMachine, n| m.job(j(n)).map(|job| job.state);
    assert_eq!(state(&m, 1), Some(JobState::Printing));
    assert_eq!(state(&m, 2), Some(JobState::Failed));
    assert_eq!(state(&m, 3), Some(JobState::Held));
    assert_eq!(state(&m, 4), Some(JobState::Queued));
    let error = m
        .job(j(2))
        .and_then(|job| job.error.clone())
        .expect("error");
    assert_eq!(error.code, "queue_timeout");
    let actions: Vec<Action> = std::iter::from_fn(|| m.poll_action()).collect();
    assert!(actions.contains(&Action::Persist(j(2))), "{actions:?}");
    assert!(
        actions.iter().any(|a| matches!(a, Action::Emit(printhub_core::Event::JobStateChanged(e)) if e.job_id == j(2) && e.to == JobState::Failed)),
        "{actions:?}"
    );
    // Nothing else is old enough; expiring again changes nothing.
    assert!(m.expire_queued(at(1_000), at(7_000)).is_empty());
    assert_eq!(m.queue_len(), 2, "j3 (held) and j4 wait");
}
