//! The medium waiting jobs are for (issue #20): jobs for another medium are
//! laid out again (label data) or held naming the medium they need (images,
//! raw rasters); nothing behind them waits, and held ones come back when
//! their medium does.

use std::sync::Arc;

use printhub_core::{
    Action, JobError, JobSpec, JobState, MachineConfig, PrinterMachine, Timestamp,
};

use crate::support::{j, raster, show_action, spec, PRINTER};

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// Exact ids match; `tze-12` also takes jobs for `tze-12-red` (a roll the
/// status block cannot tell apart), as the catalogue's rule does.
fn fits(expected: &str, loaded: &str) -> bool {
    expected == loaded || (expected == "tze-12-red" && loaded == "tze-12")
}

/// A spec for job `n` laid out for `media`, with or without its request.
fn for_media(n: u128, media: &str, request: bool) -> JobSpec {
    let mut s = spec(n, 1);
    s.media_id = media.into();
    if request {
        s.request = Some(serde_json::json!({ "label": n }).into());
    }
    s
}

/// A paused machine (nothing is sent) with the given jobs queued, drained.
fn paused_with(jobs: &[(u128, &str, bool)]) -> PrinterMachine {
    let mut m = PrinterMachine::new(PRINTER, MachineConfig::default());
    m.pause(at(0)).expect("pause");
    for (n, media, request) in jobs {
        m.submit(j(*n), for_media(*n, media, *request), at(1))
            .expect("submit");
    }
    drain(&mut m);
    m
}

/// Every pending action, one line each, without persists and job events.
fn drain(m: &mut PrinterMachine) -> Vec<String> {
    let mut lines = Vec::new();
    while let Some(action) = m.poll_action() {
        if matches!(action, Action::Relayout { .. } | Action::Send { .. }) {
            lines.push(show_action(&action));
        }
    }
    lines
}

fn state(m: &PrinterMachine, n: u128) -> JobState {
    m.job(j(n)).expect("job").state
}

#[test]
fn a_medium_change_lays_label_data_out_again_and_holds_the_rest() {
    let mut m = paused_with(&[
        (1, "tze-12", true),
        (2, "tze-12", false),
        (3, "tze-24", false),
    ]);
    m.set_media(Some("tze-24".into()), fits, at(2));
    assert_eq!(drain(&mut m), ["relayout j1 tze-24"]);
    assert!(m.is_relaying(j(1)));
    assert_eq!(state(&m, 1), JobState::Queued, "it keeps its place");
    assert_eq!(state(&m, 2), JobState::Held);
    let error = m.job(j(2)).and_then(|j| j.error.clone()).expect("reason");
    assert_eq!(error.code, "media_mismatch");
    assert_eq!(
        error.detail,
        Some(serde_json::json!({ "needed_media": "tze-12", "loaded_media": "tze-24" }))
    );
    assert_eq!(state(&m, 3), JobState::Queued, "already right: untouched");

    // Job 3 is not kept waiting by the two before it.
    m.resume(at(3)).expect("resume");
    assert_eq!(drain(&mut m), ["send j3#1"]);
}

#[test]
fn a_job_laid_out_again_prints_with_its_new_raster_in_its_place() {
    let mut m = paused_with(&[(1, "tze-12", true), (2, "tze-12", true)]);
    m.set_media(Some("tze-24".into()), fits, at(2));
    assert_eq!(drain(&mut m), ["relayout j1 tze-24", "relayout j2 tze-24"]);
    m.resume(at(3)).expect("resume");
    assert_eq!(
        drain(&mut m),
        Vec::<String>::new(),
        "both wait for their layout"
    );
    // The second answers first: it prints, the first does not block it.
    m.handle_relaid_out(j(2), "tze-24", Ok(raster(22)), at(4));
    assert_eq!(drain(&mut m), ["send j2#1"]);
    let job = m.job(j(2)).expect("job");
    assert_eq!(
        (job.spec.media_id.as_str(), job.spec.raster.clone()),
        ("tze-24", raster(22))
    );
    m.handle_write_finished(j(2), 1, true, at(5));
    m.handle_relaid_out(j(1), "tze-24", Ok(raster(11)), at(6));
    assert_eq!(drain(&mut m), ["send j1#1"]);
    assert_eq!(m.job(j(1)).expect("job").spec.raster, raster(11));
    // A queue laid out again still shares one copy of its medium's name (#17).
    assert_eq!(
        m.job(j(1)).expect("job").spec.media_id.as_ptr(),
        m.job(j(2)).expect("job").spec.media_id.as_ptr()
    );
    // The job's record says so (its timeline shows it).
    assert_eq!(
        m.job(j(1)).expect("job").spec.relayouts,
        [printhub_core::job::Relayout {
            from_media: "tze-12".into(),
            to_media: "tze-24".into(),
            at: at(6),
        }]
    );
}

#[test]
fn a_label_that_no_longer_fits_is_held_with_the_reason() {
    let mut m = paused_with(&[(1, "tze-24", true), (2, "tze-24", false)]);
    m.set_media(Some("tze-6".into()), fits, at(2));
    drain(&mut m);
    let does_not_fit = JobError::new("does_not_fit", "the text does not fit 6 mm tape");
    m.handle_relaid_out(j(1), "tze-6", Err(does_not_fit), at(3));
    drain(&mut m);
    assert_eq!(state(&m, 1), JobState::Held);
    let error = m.job(j(1)).and_then(|j| j.error.clone()).expect("reason");
    assert_eq!(error.code, "does_not_fit");
    assert_eq!(error.detail.expect("detail")["needed_media"], "tze-24");

    // The 24 mm tape back: both come back by themselves, in their places.
    m.set_media(Some("tze-24".into()), fits, at(4));
    assert_eq!(state(&m, 1), JobState::Queued);
    assert_eq!(state(&m, 2), JobState::Queued);
    assert_eq!(m.job(j(1)).and_then(|j| j.error.clone()), None);
    m.resume(at(5)).expect("resume");
    let sends = drain(&mut m);
    assert_eq!(sends.first().map(String::as_str), Some("send j1#1"));
}

#[test]
fn a_stale_layout_is_dropped_and_the_job_laid_out_for_the_medium_now() {
    let mut m = paused_with(&[(1, "tze-12", true)]);
    m.set_media(Some("tze-24".into()), fits, at(2));
    drain(&mut m);
    m.set_media(Some("tze-18".into()), fits, at(3));
    assert_eq!(drain(&mut m), Vec::<String>::new(), "one layout at a time");
    m.handle_relaid_out(j(1), "tze-24", Ok(raster(24)), at(4));
    assert_eq!(drain(&mut m), ["relayout j1 tze-18"]);
    assert_eq!(m.job(j(1)).expect("job").spec.media_id, "tze-12");
    assert!(
        m.job(j(1)).expect("job").spec.relayouts.is_empty(),
        "a dropped layout is no re-layout"
    );
    m.handle_relaid_out(j(1), "tze-18", Ok(raster(18)), at(5));
    assert_eq!(m.job(j(1)).expect("job").spec.media_id, "tze-18");
    assert_eq!(m.job(j(1)).expect("job").spec.relayouts.len(), 1);
}

#[test]
fn what_the_machine_does_not_wait_for_is_left_alone() {
    // A cancelled job's late layout changes nothing; a user's hold is not
    // released by a medium; a roll the status cannot tell apart fits; no
    // medium known means nothing moves.
    let mut m = paused_with(&[
        (1, "tze-12", true),
        (2, "tze-24", false),
        (3, "tze-12-red", false),
    ]);
    m.hold(j(2), at(2)).expect("hold");
    m.set_media(None, fits, at(2));
    assert_eq!(drain(&mut m), Vec::<String>::new());
    m.set_media(Some("tze-12".into()), fits, at(3));
    assert_eq!(drain(&mut m), Vec::<String>::new());
    assert_eq!(state(&m, 2), JobState::Held, "held by a user: stays");
    assert_eq!(
        state(&m, 3),
        JobState::Queued,
        "the red roll reads as tze-12"
    );
    m.set_media(Some("tze-24".into()), fits, at(4));
    assert_eq!(drain(&mut m), ["relayout j1 tze-24"]);
    m.cancel(j(1), at(5)).expect("cancel");
    m.handle_relaid_out(j(1), "tze-24", Ok(Arc::new(vec![1])), at(6));
    assert_eq!(state(&m, 1), JobState::Cancelled);
    assert_eq!(m.job(j(1)).expect("job").spec.media_id, "tze-12");
    assert_eq!(
        state(&m, 2),
        JobState::Held,
        "a medium does not release a user's hold"
    );
}
