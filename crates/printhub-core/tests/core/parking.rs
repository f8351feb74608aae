//! Parked jobs (issue #17): a queued job far from the head kept as its id
//! and creation time only. What `park` refuses, that nothing starts or
//! chains a parked job, that commands do not act on one until it is
//! unparked, and that an unparked job is sorted against the medium.

use crate::support::*;
use printhub_core::{
    Action, ChainPage, CommandError, Job, JobState, MachineConfig, PrinterMachine, PrinterState,
    RestoredJob, Timestamp,
};

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn drain(m: &mut PrinterMachine) -> Vec<Action> {
    std::iter::from_fn(|| m.poll_action()).collect()
}

fn sends(actions: &[Action]) -> Vec<Vec<ChainPage>> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { pages } => Some(pages.clone()),
            _ => None,
        })
        .collect()
}

fn page(n: u128, copy: u32) -> ChainPage {
    ChainPage { job_id: j(n), copy }
}

/// A paused machine with jobs `1..=n` queued (one copy each) and every
/// action taken; `chain` opts them in to chaining.
fn paused_with(n: u128, chain: bool) -> PrinterMachine {
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    m.pause(at(0)).expect("paused");
    for k in 1..=n {
        let s = if chain { chained(k, 1) } else { spec(k, 1) };
        m.submit(j(k), s, at(k as i64)).expect("queued");
    }
    drain(&mut m);
    m
}

/// What the store would give back for job `n`: its snapshot before parking.
fn stored(m: &PrinterMachine, n: u128) -> Job {
    m.job(j(n)).expect("held").clone()
}

#[test]
fn a_parked_job_keeps_its_place_and_nothing_else() {
    let mut m = paused_with(3, false);
    assert!(m.park(j(2)));
    assert!(
        drain(&mut m).is_empty(),
        "parking persists and emits nothing"
    );
    assert!(m.is_parked(j(2)) && m.job(j(2)).is_none());
    assert_eq!(m.queue_len(), 3, "it still counts against the queue");
    assert_eq!(m.queue_ids().collect::<Vec<_>>(), [j(1), j(2), j(3)]);
    assert_eq!(m.queue().map(|x| x.id).collect::<Vec<_>>(), [j(1), j(3)]);
    assert_eq!(m.parked_ids(), [j(2)]);
    assert_eq!(m.parked_len(), 1);
    assert_eq!(m.upcoming(2), [j(1), j(2)]);
    assert!(!m.park(j(2)), "already parked");
    assert!(!m.park(j(9)), "unknown");
    assert_eq!(
        m.submit(j(2), spec(2, 1), at(9)),
        Err(CommandError::DuplicateJob { job_id: j(2) }),
        "its id stays taken"
    );
}

#[test]
fn park_taking_answers_the_job_as_it_was_held() {
    let mut m = paused_with(3, false);
    let before = stored(&m, 2);
    assert_eq!(m.park_taking(j(2)), Some(before), "the whole job, as held");
    assert!(m.is_parked(j(2)));
    assert_eq!(m.park_taking(j(2)), None, "already parked");
    assert_eq!(m.park_taking(j(9)), None, "unknown");
    m.hold(j(1), at(5)).expect("held");
    drain(&mut m);
    assert_eq!(m.park_taking(j(1)), None, "held");
    assert!(m.job(j(1)).is_some(), "a refusal takes nothing");
}

#[test]
fn park_refuses_what_is_not_plainly_queued_and_durable() {
    let mut m = paused_with(2, false);
    m.hold(j(1), at(5)).expect("held");
    drain(&mut m);
    assert!(!m.park(j(1)), "held: a person or a medium releases it");
    m.submit(j(3), spec(3, 1), at(6)).expect("queued");
    assert!(!m.park(j(3)), "its Persist is not taken yet");
    drain(&mut m);
    assert!(m.park(j(3)));
    m.cancel(j(2), at(7)).expect("cancelled");
    drain(&mut m);
    assert!(!m.park(j(2)), "ended");
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    m.submit(j(1), spec(1, 2), at(0)).expect("sent at once");
    drain(&mut m);
    assert!(!m.park(j(1)), "its copy is in flight");
}

#[test]
fn a_parked_head_waits_printing_and_starts_once_unparked() {
    let mut m = paused_with(2, false);
    let one = stored(&m, 1);
    assert!(m.park(j(1)));
    m.resume(at(10)).expect("resumed");
    let actions = drain(&mut m);
    assert!(sends(&actions).is_empty(), "nothing starts a parked job");
    assert_eq!(
        m.state(),
        &PrinterState::Printing,
        "waiting for it, not idle"
    );
    assert_eq!(m.next_job_id(), Some(j(1)));
    assert!(m.next_job().is_none(), "not the machine's to show");
    assert_eq!(m.unpark(vec![one], at(11)), 1);
    let actions = drain(&mut m);
    assert_eq!(sends(&actions), [vec![page(1, 1)]], "in its place, first");
    assert_eq!(m.job(j(1)).expect("back").state, JobState::Printing);
}

#[test]
fn a_chain_ends_before_a_parked_job() {
    let mut m = paused_with(3, true);
    let two = stored(&m, 2);
    assert!(m.park(j(2)));
    m.resume(at(10)).expect("resumed");
    let actions = drain(&mut m);
    assert_eq!(
        sends(&actions),
        [vec![page(1, 1)]],
        "job 3 chains with job 1 but may not pass job 2"
    );
    assert_eq!(m.next_chain(), None, "nothing more until the chain ends");
    m.unpark(vec![two], at(11));
    drain(&mut m);
    m.handle_write_finished(j(1), 1, true, at(12));
    let actions = drain(&mut m);
    assert_eq!(sends(&actions), [vec![page(2, 1), page(3, 1)]]);
}

#[test]
fn commands_act_on_a_parked_job_only_once_it_is_unparked() {
    let mut m = paused_with(3, false);
    let two = stored(&m, 2);
    assert!(m.park(j(2)));
    assert_eq!(
        m.cancel(j(2), at(5)),
        Err(CommandError::JobNotFound { job_id: j(2) })
    );
    assert_eq!(
        m.hold(j(2), at(5)).map_err(|e| e.code()),
        Err("job_not_found")
    );
    assert_eq!(
        m.clear(at(6)),
        2,
        "clear leaves the parked job to its caller"
    );
    drain(&mut m);
    assert_eq!(m.queue_ids().collect::<Vec<_>>(), [j(2)]);
    assert_eq!(m.unpark(vec![two], at(7)), 1);
    assert_eq!(m.cancel(j(2), at(8)).map(|_| ()), Ok(()));
    assert_eq!(m.queue_len(), 0);
}

#[test]
fn unpark_takes_back_only_parked_queued_snapshots_of_this_printer() {
    let mut m = paused_with(3, false);
    let mut snapshots: Vec<Job> = (1..=3).map(|n| stored(&m, n)).collect();
    assert!(m.park(j(2)) && m.park(j(3)));
    let mut held = snapshots[1].clone();
    held.state = JobState::Held;
    let mut other = snapshots[2].clone();
    other.spec.printer_id = printhub_core::PrinterId::from_u128(99);
    assert_eq!(
        m.unpark(vec![snapshots[0].clone(), held, other], at(5)),
        0,
        "job 1 is not parked; the store disagrees about 2 and 3"
    );
    assert!(m.is_parked(j(2)) && m.is_parked(j(3)));
    assert_eq!(m.unpark(snapshots.split_off(1), at(6)), 2);
    assert_eq!(m.parked_len(), 0);
    assert_eq!(
        m.queue().map(|x| x.id).collect::<Vec<_>>(),
        [j(1), j(2), j(3)]
    );
    assert!(drain(&mut m).is_empty(), "a paused printer: nothing to do");
}

#[test]
fn old_parked_jobs_are_named_for_the_queue_timeout() {
    let mut m = paused_with(3, false);
    let snapshots: Vec<Job> = (1..=3).map(|n| stored(&m, n)).collect();
    assert!(m.park(j(1)) && m.park(j(3)));
    assert_eq!(m.parked_created_before(at(2)), [j(1)]);
    assert_eq!(m.parked_created_before(at(4)), [j(1), j(3)]);
    assert!(
        m.expire_queued(at(4), at(100)) == [j(2)],
        "parked ones are not looked at"
    );
    m.unpark(snapshots, at(101));
    assert_eq!(m.expire_queued(at(4), at(102)), [j(1), j(3)]);
}

#[test]
fn a_parked_job_the_store_lost_leaves_the_queue_and_the_next_one_starts() {
    let mut m = paused_with(2, false);
    assert!(m.park(j(1)));
    m.resume(at(5)).expect("resumed");
    assert!(sends(&drain(&mut m)).is_empty());
    assert!(m.drop_parked(j(1), at(6)));
    assert!(!m.drop_parked(j(1), at(6)), "once");
    assert_eq!(sends(&drain(&mut m)), [vec![page(2, 1)]]);
    assert_eq!(m.queue_len(), 0);
}

#[test]
fn an_unparked_job_for_another_medium_is_laid_out_again_or_held() {
    fn fits(expected: &str, loaded: &str) -> bool {
        expected == loaded
    }
    let mut m = paused_with(2, false);
    let mut from_data = stored(&m, 1);
    from_data.spec.request = Some(serde_json::json!({ "content_type": "text" }).into());
    let image = stored(&m, 2);
    assert!(m.park(j(1)) && m.park(j(2)));
    m.set_media(Some("tze-24".into()), fits, at(5));
    assert!(
        drain(&mut m).is_empty(),
        "parked jobs are sorted when they come back"
    );
    m.unpark(vec![from_data, image], at(6));
    let actions = drain(&mut m);
    assert!(actions.contains(&Action::Relayout {
        job_id: j(1),
        media: "tze-24".into()
    }));
    let two = m.job(j(2)).expect("back");
    assert_eq!(two.state, JobState::Held);
    assert_eq!(
        two.error.as_deref().map(|e| e.code.as_str()),
        Some(printhub_core::MEDIA_MISMATCH)
    );
}

/// A restart that reads a long queue as places only (`restore_from`): the
/// parked records sort with the whole jobs (partly printed first, then by
/// creation time, ties in the order given), repeated ids are ignored, and
/// the printer waits for its parked head to be read back.
#[test]
fn a_restart_brings_queued_jobs_back_parked_in_their_places() {
    let parked = |n: u128, created: i64, copies_printed: u32| RestoredJob::Parked {
        id: j(n),
        created_at: at(created),
        copies_printed,
    };
    let mut held = Job::new(j(2), spec(2, 1), at(5));
    held.state = JobState::Held;
    let mut done = Job::new(j(6), spec(6, 1), at(1));
    done.state = JobState::Completed;
    done.copies_printed = 1;
    let restored = vec![
        parked(1, 5, 0),
        RestoredJob::Whole(Box::new(held)),
        parked(3, 2, 0),
        parked(4, 9, 1),
        RestoredJob::Whole(Box::new(done)),
        parked(3, 0, 0),
    ];
    let mut m = PrinterMachine::restore_from(PRINTER, MachineConfig::default(), restored, at(20));
    assert_eq!(
        m.queue_ids().collect::<Vec<_>>(),
        [j(4), j(3), j(1), j(2)],
        "partly printed first, then by creation time, ties as stored"
    );
    assert_eq!(m.parked_ids(), [j(4), j(3), j(1)]);
    assert_eq!(
        m.parked_created_before(at(3)),
        [j(3)],
        "the first record of 3 counts"
    );
    assert_eq!(m.job(j(6)).map(|x| x.state), Some(JobState::Completed));
    assert!(
        sends(&drain(&mut m)).is_empty(),
        "nothing starts a parked job"
    );
    assert_eq!(m.state(), &PrinterState::Printing, "waiting for its head");
    assert_eq!(m.next_job_id(), Some(j(4)));
    let mut four = Job::new(j(4), spec(4, 2), at(9));
    four.copies_printed = 1;
    assert_eq!(m.unpark(vec![four], at(21)), 1);
    assert_eq!(
        sends(&drain(&mut m)),
        [vec![page(4, 2)]],
        "the head prints its next copy once read back"
    );
    assert_eq!(
        m.jobs().filter(|x| x.id == j(4)).count(),
        1,
        "listed once back"
    );
}
