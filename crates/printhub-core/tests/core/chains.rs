//! Chains: jobs that opted in go to the printer together, and every way a
//! chain can end keeps the queue's promises (each copy at most once, nothing
//! lost, order kept, `Persist` before every event and send).

use printhub_core::{
    reason, JobId, JobSpec, JobState, MachineConfig, PrinterMachine, Timestamp, WriteFailure,
};

use crate::support::{attention, chained, check, j, rejected, show_action, Harness, Step, PRINTER};

/// A paused printer with chained jobs j1 (2 copies), j2, j3 queued, then resumed.
fn chain_of_three() -> Harness {
    let mut h = Harness::default();
    h.run(&[
        Step::Pause,
        Step::SubmitChained(1, 2),
        Step::SubmitChained(2, 1),
        Step::SubmitChained(3, 1),
    ]);
    let lines = h.run(&[Step::Resume]);
    assert_eq!(
        lines,
        [
            "ok",
            "persist j1",
            "job j1 queued->printing",
            "printer paused->printing",
            "persist j2",
            "job j2 queued->printing",
            "persist j3",
            "job j3 queued->printing",
            "send j1#1+j1#2+j2#1+j3#1",
        ]
    );
    h
}

#[test]
fn a_burst_of_chained_jobs_is_one_send_and_each_job_completes_when_its_page_prints() {
    let mut h = chain_of_three();
    // The printer confirms the pages one by one: jobs complete while the chain goes on.
    let lines = h.run(&[Step::Progress(1, 1, 4, 1), Step::Progress(1, 1, 4, 3)]);
    assert_eq!(
        lines,
        [
            "persist j1",
            "progress j1 1/2",
            "persist j1",
            "progress j1 2/2",
            "persist j1",
            "job j1 printing->completed",
            "persist j2",
            "progress j2 1/1",
            "persist j2",
            "job j2 printing->completed",
        ]
    );
    // A report that goes back is ignored; the end confirms the last page.
    let lines = h.run(&[Step::Progress(1, 1, 4, 2), Step::Finished(1, 1)]);
    assert_eq!(
        lines,
        [
            "persist j3",
            "progress j3 1/1",
            "persist j3",
            "job j3 printing->completed",
            "printer printing->idle",
        ]
    );
}

#[test]
fn chaining_stops_at_a_job_that_did_not_opt_in_and_at_another_medium() {
    let mut h = Harness::default();
    h.run(&[
        Step::Pause,
        Step::SubmitChained(1, 1),
        Step::SubmitChained(2, 1),
        Step::Submit(3, 1),
        Step::SubmitChained(4, 1),
    ]);
    let sends = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .filter(|l| l.starts_with("send"))
            .collect()
    };
    assert_eq!(sends(h.run(&[Step::Resume])), ["send j1#1+j2#1"]);
    assert_eq!(sends(h.run(&[Step::Finished(1, 1)])), ["send j3#1"]);
    assert_eq!(sends(h.run(&[Step::Finished(3, 1)])), ["send j4#1"]);
}

#[test]
fn held_jobs_keep_their_place_and_are_not_chained() {
    let mut h = Harness::default();
    h.run(&[
        Step::Pause,
        Step::SubmitChained(1, 1),
        Step::SubmitChained(2, 1),
        Step::SubmitChained(3, 1),
        Step::Hold(2),
    ]);
    let lines = h.run(&[Step::Resume]);
    assert_eq!(lines.last().map(String::as_str), Some("send j1#1+j3#1"));
    assert_eq!(h.queue(), "j2:held");
}

#[test]
fn chains_are_capped_and_a_job_that_does_not_fit_continues_in_the_next_one() {
    let mut h = Harness::with_config(MachineConfig {
        max_chain_pages: 3,
        ..MachineConfig::default()
    });
    h.run(&[
        Step::Pause,
        Step::SubmitChained(1, 2),
        Step::SubmitChained(2, 3),
        Step::SubmitChained(3, 1),
    ]);
    let lines = h.run(&[Step::Resume]);
    assert_eq!(
        lines.last().map(String::as_str),
        Some("send j1#1+j1#2+j2#1")
    );
    // j2 stays printing: its next copies start the next chain, without a state change.
    let lines = h.run(&[Step::Finished(1, 1)]);
    assert_eq!(
        lines,
        [
            "persist j1",
            "progress j1 1/2",
            "persist j1",
            "progress j1 2/2",
            "persist j1",
            "job j1 printing->completed",
            "persist j2",
            "progress j2 1/3",
            "persist j3",
            "job j3 queued->printing",
            "send j2#2+j2#3+j3#1",
        ]
    );
}

#[test]
fn a_chain_of_one_copy_per_send_with_a_cap_of_one() {
    let mut h = Harness::with_config(MachineConfig {
        max_chain_pages: 1,
        ..MachineConfig::default()
    });
    let lines = h.run(&[Step::SubmitChained(1, 2), Step::SubmitChained(2, 1)]);
    assert_eq!(lines.iter().filter(|l| l.starts_with("send")).count(), 1);
    assert!(lines.contains(&"send j1#1".to_owned()));
}

#[test]
fn an_error_mid_chain_keeps_what_printed_and_requeues_the_rest_in_order() {
    let mut h = chain_of_three();
    // j1's two copies printed; the printer runs out of tape at j2 (brother-raster.md §5.2:
    // it discards everything after the error).
    let lines = h.run(&[
        Step::Progress(1, 1, 4, 2),
        attention(1, 1, reason::NO_MEDIA),
    ]);
    assert_eq!(
        lines,
        [
            "persist j1",
            "progress j1 1/2",
            "persist j1",
            "progress j1 2/2",
            "persist j1",
            "job j1 printing->completed",
            "persist j2",
            "job j2 printing->queued",
            "persist j3",
            "job j3 printing->queued",
            "printer printing->stopped(no_media)",
            "wake 5000",
        ]
    );
    assert_eq!(h.queue(), "j2:queued j3:queued");
    // The tape is back: the rest goes as a new chain, from the page that did not print.
    let lines = h.run(&[Step::Status(printhub_core::ObservedStatus::ready())]);
    assert_eq!(lines.last().map(String::as_str), Some("send j2#1+j3#1"));
}

#[test]
fn a_rejected_page_fails_its_job_and_the_rest_is_sent_again() {
    let mut h = chain_of_three();
    let lines = h.run(&[Step::Progress(1, 1, 4, 1), rejected(1, 1)]);
    assert_eq!(
        lines,
        [
            "persist j1",
            "progress j1 1/2",
            "persist j1",
            "job j1 printing->failed",
            "persist j2",
            "job j2 printing->queued",
            "persist j3",
            "job j3 printing->queued",
            "persist j2",
            "job j2 queued->printing",
            "persist j3",
            "job j3 queued->printing",
            "send j2#1+j3#1",
        ]
    );
    let j1 = h.m.job(j(1)).expect("known");
    assert_eq!((j1.state, j1.copies_printed), (JobState::Failed, 1));
}

#[test]
fn a_lost_connection_interrupts_what_may_have_reached_the_printer_and_requeues_the_rest() {
    let mut h = chain_of_three();
    // Three pages were handed to the printer, one confirmed; then the connection dropped.
    let lines = h.run(&[
        Step::Progress(1, 1, 3, 1),
        Step::Failed(1, 1, WriteFailure::Lost),
    ]);
    assert_eq!(
        lines,
        [
            "persist j1",
            "progress j1 1/2",
            "persist j1",
            "job j1 printing->interrupted",
            "persist j2",
            "job j2 printing->interrupted",
            "persist j3",
            "job j3 printing->queued",
            "persist j3",
            "job j3 queued->printing",
            "send j3#1",
        ]
    );
    // Without any report of what was sent, every unconfirmed page may have printed.
    let mut h = chain_of_three();
    let lines = h.run(&[Step::Failed(1, 1, WriteFailure::Lost)]);
    assert!(!lines.iter().any(|l| l.starts_with("send")), "{lines:?}");
    for n in 1..=3 {
        assert_eq!(h.m.job(j(n)).map(|x| x.state), Some(JobState::Interrupted));
    }
    assert_eq!(h.state(), "idle");
}

#[test]
fn an_unreachable_printer_requeues_the_whole_chain() {
    let mut h = chain_of_three();
    h.run(&[Step::Failed(1, 1, WriteFailure::Unreachable)]);
    assert_eq!(h.queue(), "j1:queued j2:queued j3:queued");
    assert_eq!(h.state(), "offline");
    assert!(h.m.jobs().all(|x| x.copies_printed == 0));
}

#[test]
fn cancel_and_hold_act_between_chains() {
    let mut h = chain_of_three();
    // Every copy of j2 is in the chain: it is on the printer, the cancel is refused.
    assert_eq!(h.run(&[Step::Cancel(2)]), ["err invalid_job_state"]);
    assert_eq!(h.run(&[Step::Hold(3)]), ["err invalid_job_state"]);
    // A job submitted now is not in the chain: cancelling it keeps it off the printer.
    h.run(&[Step::SubmitChained(4, 1)]);
    assert_eq!(
        h.run(&[Step::Cancel(4)]),
        ["ok", "persist j4", "job j4 queued->cancelled"]
    );
    let lines = h.run(&[Step::Finished(1, 1)]);
    assert!(!lines.iter().any(|l| l.starts_with("send")), "{lines:?}");
    assert_eq!(h.state(), "idle");
}

#[test]
fn a_job_with_copies_beyond_the_chain_is_cancelled_after_it() {
    let mut h = Harness::with_config(MachineConfig {
        max_chain_pages: 2,
        ..MachineConfig::default()
    });
    h.run(&[Step::SubmitChained(1, 5), Step::SubmitChained(2, 1)]);
    assert_eq!(h.run(&[Step::Cancel(1)]), ["ok after_copy"]);
    let lines = h.run(&[Step::Finished(1, 1)]);
    assert_eq!(
        lines,
        [
            "persist j1",
            "progress j1 1/5",
            "persist j1",
            "progress j1 2/5",
            "persist j1",
            "job j1 printing->cancelled",
            "persist j2",
            "job j2 queued->printing",
            "send j2#1",
        ]
    );
}

#[test]
fn pause_during_a_chain_lets_it_finish_and_sends_nothing_more() {
    check(
        &[
            Step::SubmitChained(1, 1),
            Step::Pause,
            Step::SubmitChained(2, 1),
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
            "printer printing->paused",
            "ok",
            "persist j2",
            "job j2 new->queued",
            "persist j1",
            "progress j1 1/1",
            "persist j1",
            "job j1 printing->completed",
        ],
        "paused",
    );
}

#[test]
fn a_batch_is_queued_before_the_printer_starts_so_it_is_one_chain() {
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    let t = Timestamp::from_millis(0);
    let batch = (1..=3).map(|n| (j(n), chained(n, 1))).collect();
    assert_eq!(m.submit_batch(batch, t), Ok(()));
    let sends: Vec<String> = std::iter::from_fn(|| m.poll_action())
        .map(|a| show_action(&a))
        .filter(|l| l.starts_with("send"))
        .collect();
    assert_eq!(sends, ["send j1#1+j2#1+j3#1"]);
}

#[test]
fn a_bad_batch_queues_nothing() {
    let config = MachineConfig {
        max_queue: 3,
        ..MachineConfig::default()
    };
    let t = Timestamp::from_millis(0);
    let cases: Vec<(Vec<(JobId, JobSpec)>, &str)> = vec![
        (
            vec![(j(1), chained(1, 1)), (j(1), chained(1, 1))],
            "duplicate_job",
        ),
        (
            (1..=4).map(|n| (j(n), chained(n, 1))).collect(),
            "queue_full",
        ),
        (
            vec![(j(1), chained(1, 1)), (j(2), chained(2, 0))],
            "invalid_request",
        ),
    ];
    for (batch, code) in cases {
        let mut m = PrinterMachine::new(PRINTER, config.clone());
        m.pause(t).expect("pause");
        while m.poll_action().is_some() {}
        let err = m.submit_batch(batch, t).expect_err(code);
        assert_eq!(err.code(), code);
        assert_eq!(
            m.poll_action(),
            None,
            "{code}: nothing queued, nothing announced"
        );
        assert_eq!(m.queue_len(), 0);
    }
}

#[test]
fn the_next_chain_is_known_while_the_current_one_prints() {
    let mut h = Harness::with_config(MachineConfig {
        max_chain_pages: 3,
        ..MachineConfig::default()
    });
    let show = |pages: Option<Vec<printhub_core::ChainPage>>| -> Vec<(u128, u32)> {
        pages
            .unwrap_or_default()
            .iter()
            .map(|p| (p.job_id.as_uuid().as_u128(), p.copy))
            .collect()
    };
    h.run(&[
        Step::Pause,
        Step::SubmitChained(1, 4),
        Step::SubmitChained(2, 1),
    ]);
    assert_eq!(show(h.m.next_chain()), [(1, 1), (1, 2), (1, 3)], "now");
    h.run(&[Step::Resume]);
    // j1's fourth copy did not fit: it starts the next chain, followed by j2.
    assert_eq!(show(h.m.next_chain()), [(1, 4), (2, 1)]);
    let lines = h.run(&[Step::Finished(1, 1)]);
    assert_eq!(lines.last().map(String::as_str), Some("send j1#4+j2#1"));
    assert_eq!(show(h.m.next_chain()), [], "nothing after it");
}
