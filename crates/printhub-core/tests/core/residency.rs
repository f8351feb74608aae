//! Raster residency (issue #17): `release_raster` / `restore_raster` and
//! what the machine refuses; forgetting history stays cheap and exact.

use crate::support::*;
use printhub_core::{Action, JobState, MachineConfig, PrinterMachine, Timestamp};

fn drain(m: &mut PrinterMachine) -> Vec<Action> {
    std::iter::from_fn(|| m.poll_action()).collect()
}

#[test]
fn a_waiting_job_releases_its_raster_silently_and_gets_it_back() {
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    let t = Timestamp::from_millis(0);
    m.pause(t).expect("paused");
    m.submit(j(1), spec(1, 1), t).expect("queued");
    drain(&mut m);
    assert!(m.release_raster(j(1)));
    let job = m.job(j(1)).expect("known");
    assert!(job.spec.raster_released());
    assert_eq!(job.state, JobState::Queued, "state untouched");
    assert!(
        drain(&mut m).is_empty(),
        "releasing persists and emits nothing"
    );
    assert!(!m.release_raster(j(1)), "already released");
    assert!(
        !m.restore_raster(j(1), std::sync::Arc::new(Vec::new())),
        "empty refused"
    );
    assert!(m.restore_raster(j(1), raster(1)));
    assert_eq!(m.job(j(1)).expect("known").spec.raster, raster(1));
    assert!(!m.restore_raster(j(1), raster(2)), "a raster held wins");
    assert!(
        !m.release_raster(j(7)) && !m.restore_raster(j(7), raster(7)),
        "unknown job"
    );
}

#[test]
fn every_released_raster_is_the_same_shared_buffer() {
    let (a, b) = (
        printhub_core::released_raster(),
        printhub_core::released_raster(),
    );
    assert!(a.is_empty() && std::sync::Arc::ptr_eq(&a, &b));
}

#[test]
fn a_job_in_flight_keeps_its_raster() {
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    let t = Timestamp::from_millis(0);
    m.submit(j(1), spec(1, 2), t).expect("queued");
    let sent = drain(&mut m)
        .into_iter()
        .any(|a| matches!(a, Action::Send { .. }));
    assert!(sent, "the idle printer sends at once");
    assert!(!m.release_raster(j(1)), "printing: its copy is in flight");
    m.handle_write_finished(j(1), 1, true, t);
    drain(&mut m);
    m.handle_write_finished(j(1), 2, true, t);
    drain(&mut m);
    assert_eq!(m.job(j(1)).expect("known").state, JobState::Completed);
    assert!(m.release_raster(j(1)), "a finished job may go");
}

#[test]
fn a_retry_of_a_released_job_is_refused_until_its_raster_is_back() {
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    let t = Timestamp::from_millis(0);
    m.pause(t).expect("paused");
    m.submit(j(1), spec(1, 1), t).expect("queued");
    m.cancel(j(1), t).expect("cancelled");
    drain(&mut m);
    assert!(m.release_raster(j(1)));
    // Never a new job without bytes: the store would have none for it.
    assert_eq!(
        m.retry(j(1), j(2), t).map_err(|e| e.code()),
        Err("invalid_request")
    );
    assert!(m.job(j(2)).is_none());
    assert!(m.restore_raster(j(1), raster(1)));
    assert_eq!(m.retry(j(1), j(2), t), Ok(j(2)));
    assert_eq!(m.job(j(2)).expect("retry").spec.raster, raster(1));
}

#[test]
fn forgetting_history_keeps_the_listing_exact_with_a_long_queue() {
    let config = MachineConfig {
        max_history: 3,
        max_queue: 10_000,
        ..MachineConfig::default()
    };
    let mut m = PrinterMachine::new(PRINTER, config);
    let t = Timestamp::from_millis(0);
    m.pause(t).expect("paused");
    for n in 1..=50 {
        m.submit(j(n), spec(n, 1), t).expect("queued");
    }
    // Cancel 1..=40: all but the newest three are forgotten.
    for n in 1..=40 {
        m.cancel(j(n), t).expect("cancelled");
        drain(&mut m);
    }
    let listed: Vec<u128> = m.jobs().map(|x| x.id.as_uuid().as_u128()).collect();
    let expected: Vec<u128> = (38..=50).collect();
    assert_eq!(listed, expected);
    // A forgotten id submitted again is listed once, at its new place.
    m.submit(j(5), spec(5, 1), t).expect("queued again");
    drain(&mut m);
    let listed: Vec<u128> = m.jobs().map(|x| x.id.as_uuid().as_u128()).collect();
    let mut expected: Vec<u128> = (38..=50).collect();
    expected.push(5);
    assert_eq!(listed, expected);
}

#[test]
fn a_job_read_back_from_the_store_is_retried_as_its_retry() {
    // A job forgotten from the history is retried from its stored snapshot:
    // parent and retry count as for a job the machine holds.
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    let t = Timestamp::from_millis(0);
    m.pause(t).expect("paused");
    m.submit(j(1), spec(1, 1), t).expect("queued");
    m.cancel(j(1), t).expect("cancelled");
    let stored = m.job(j(1)).expect("known").clone();
    let mut other = stored.clone();
    other.spec.printer_id = printhub_core::PrinterId::from_u128(99);
    assert_eq!(
        m.retry_stored(&other, j(2), t),
        Err(printhub_core::CommandError::WrongPrinter {
            printer_id: PRINTER,
            requested: other.spec.printer_id,
        })
    );
    let mut queued = stored.clone();
    queued.state = JobState::Queued;
    assert_eq!(
        m.retry_stored(&queued, j(2), t).map_err(|e| e.code()),
        Err("invalid_job_state")
    );
    assert_eq!(m.retry_stored(&stored, j(2), t), Ok(j(2)));
    let retry = m.job(j(2)).expect("retry");
    assert_eq!(retry.parent_job_id, Some(j(1)));
    assert_eq!(retry.retry_count, 1);
    assert_eq!(retry.spec.raster, raster(1));
    assert_eq!(retry.state, JobState::Queued);
}

#[test]
fn waiting_jobs_share_one_copy_of_each_repeated_name() {
    // 100,000 waiting jobs cost their own fields, not six small strings each (#17).
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    let t = Timestamp::from_millis(0);
    m.pause(t).expect("paused");
    for n in 1..=2 {
        let mut s = spec(n, 1);
        s.model = String::from(&*s.model).into();
        s.submitted_by = Some(format!("key-{}", "a").into());
        m.submit(j(n), s, t).expect("queued");
    }
    let (a, b) = (m.job(j(1)).expect("1"), m.job(j(2)).expect("2"));
    assert_eq!(a.spec.model, b.spec.model);
    assert_eq!(
        a.spec.model.as_ptr(),
        b.spec.model.as_ptr(),
        "one model text"
    );
    assert_eq!(a.spec.media_id.as_ptr(), b.spec.media_id.as_ptr());
    let (sa, sb) = (
        a.spec.submitted_by.as_deref().expect("set"),
        b.spec.submitted_by.as_deref().expect("set"),
    );
    assert_eq!(sa.as_ptr(), sb.as_ptr(), "one submitter text");
}
