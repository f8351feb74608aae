//! `POST /api/jobs/{id}/reprint` (issue #20): a finished job, completed
//! included, printed again as a new job from its stored request laid out
//! for the medium now (or its raster); a job not finished, or whose stored
//! request no longer lays out, is refused and nothing is queued.

use crate::support::*;
use actix_web::test::{call_service, TestRequest};
use printhub_actors::{HubStore, MemoryStore};
use printhub_core::{Job, JobCommand, JobId, JobSpec, Timestamp};
use std::sync::Arc;

#[actix::test]
async fn a_finished_job_prints_again_laid_out_for_the_medium_now() {
    let store = Arc::new(MemoryStore::default());
    let (hub, transport) = hub_on(store.clone()).await;
    let app = app!(hub);
    let post = |path: String| TestRequest::post().uri(&path).to_request();
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(text_job("SHELF-1"))
        .to_request();
    let (status, _, job) = parts(call_service(&app, req).await).await;
    assert_eq!(status, 202, "{job}");
    let first = job["id"].as_str().expect("id").to_string();
    wait_state!(app, first, "completed");

    // Completed is no obstacle (retry refuses it; reprint is for it).
    let got = parts(call_service(&app, post(format!("/api/jobs/{first}/retry"))).await).await;
    assert_problem(&got, 409, "invalid_job_state");
    let got = parts(call_service(&app, post(format!("/api/jobs/{first}/reprint"))).await).await;
    assert_eq!(got.0, 202, "{}", got.2);
    let second = got.2["id"].as_str().expect("id").to_string();
    assert_ne!(second, first);
    let state = got.2["state"].as_str().unwrap_or_default();
    assert!(
        ["queued", "printing"].contains(&state),
        "a new job: {state}"
    );
    assert_eq!(got.2["content_type"], "text_one_line");
    wait_state!(app, second, "completed");
    let old = hub.job(first.parse().expect("id")).await.expect("old");
    let new = hub.job(second.parse().expect("id")).await.expect("new");
    assert_eq!(
        old.state,
        printhub_core::JobState::Completed,
        "the old job does not move"
    );
    assert_eq!(new.spec.raster, old.spec.raster, "same label, same medium");
    assert_eq!(new.spec.request, old.spec.request, "the request goes along");

    // The medium changed since: the reprint is laid out for the new one.
    let req = TestRequest::patch()
        .uri("/api/printers/pt")
        .set_json(serde_json::json!({ "media": "tze-24" }))
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.0, 200, "{}", got.2);
    transport.close_gate();
    let got = parts(call_service(&app, post(format!("/api/jobs/{first}/reprint"))).await).await;
    assert_eq!(got.0, 202, "{}", got.2);
    let third = got.2["id"].as_str().expect("id").to_string();
    let wide = hub.job(third.parse().expect("id")).await.expect("third");
    assert_eq!(wide.spec.media_id, "tze-24");
    assert_ne!(wide.spec.raster, old.spec.raster);

    // Not finished: refused, nothing queued.
    wait_state!(app, third, "printing");
    let before = job_count(&hub).await;
    let got = parts(call_service(&app, post(format!("/api/jobs/{third}/reprint"))).await).await;
    assert_problem(&got, 409, "invalid_job_state");
    let missing = uuid::Uuid::new_v4();
    let got = parts(call_service(&app, post(format!("/api/jobs/{missing}/reprint"))).await).await;
    assert_problem(&got, 404, "job_not_found");
    assert_eq!(job_count(&hub).await, before);
    transport.open_gate();
    wait_state!(app, third, "completed");
}

#[actix::test]
async fn a_reprint_whose_stored_request_no_longer_lays_out_is_409_with_the_reason() {
    let store = Arc::new(MemoryStore::default());
    let (hub, _transport) = hub_on(store.clone()).await;
    let app = app!(hub);
    let printer = hub.printer("pt").await.expect("pt").id;
    // A finished job from before, made from a template this hub no longer has.
    let mut spec = JobSpec::new(printer, "PT-P750W", "tze-12", vec![0x1b, 0x40, 0x1a]);
    spec.request = Some(
        serde_json::json!({
            "content": { "template": { "template": "removed-template", "data": {} } },
            "orientation": null
        })
        .into(),
    );
    let id = JobId::from_uuid(uuid::Uuid::new_v4());
    let mut job = Job::new(id, spec, Timestamp::from_millis(1));
    job.apply(JobCommand::Start, Timestamp::from_millis(2))
        .expect("start");
    job.apply(JobCommand::Complete, Timestamp::from_millis(3))
        .expect("complete");
    HubStore::commit(&*store, vec![job]).await.expect("stored");
    let before = job_count(&hub).await;
    let req = TestRequest::post()
        .uri(&format!("/api/jobs/{id}/reprint"))
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    let problem = assert_problem(&got, 409, "reprint_invalid");
    assert_eq!(
        problem["error_detail"]["reason"], "unknown_template",
        "{problem}"
    );
    assert_eq!(job_count(&hub).await, before, "nothing queued");
}
