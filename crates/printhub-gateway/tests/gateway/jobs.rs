//! Job controls: cancel, hold, release, retry and their conflicts.

use crate::support::*;
use actix_web::test::{call_service, TestRequest};

#[actix::test]
async fn job_controls_answer_with_jobs_or_conflicts() {
    let (hub, transport) = hub().await;
    let app = app!(hub);
    transport.close_gate();
    let mut ids = Vec::new();
    for n in ["A", "B"] {
        let req = TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .set_json(text_job(n))
            .to_request();
        let (status, _, job) = parts(call_service(&app, req).await).await;
        assert_eq!(status, 202, "{job}");
        ids.push(job["id"].as_str().expect("id").to_string());
    }
    wait_state!(app, ids[0], "printing");
    let post = |path: String| TestRequest::post().uri(&path).to_request();
    let b = &ids[1];

    let got = parts(call_service(&app, post(format!("/api/jobs/{b}/hold"))).await).await;
    assert_eq!(
        (got.0, got.2["state"].as_str()),
        (200, Some("held")),
        "{}",
        got.2
    );
    let got = parts(call_service(&app, post(format!("/api/jobs/{b}/hold"))).await).await;
    assert_problem(&got, 409, "invalid_job_state");
    let got = parts(call_service(&app, post(format!("/api/jobs/{b}/release"))).await).await;
    assert_eq!(
        (got.0, got.2["state"].as_str()),
        (200, Some("queued")),
        "{}",
        got.2
    );
    let got = parts(call_service(&app, post(format!("/api/jobs/{b}/retry"))).await).await;
    assert_problem(&got, 409, "invalid_job_state");
    let got = parts(call_service(&app, post(format!("/api/jobs/{b}/cancel"))).await).await;
    assert_eq!(
        (got.0, got.2["state"].as_str()),
        (200, Some("cancelled")),
        "{}",
        got.2
    );
    let got = parts(call_service(&app, post(format!("/api/jobs/{b}/retry"))).await).await;
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!(got.2["parent_job_id"].as_str(), Some(b.as_str()));
    assert_eq!(got.2["state"], "queued");

    let req = TestRequest::get()
        .uri("/api/printers/pt/queue")
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.2.as_array().map(Vec::len), Some(1), "{}", got.2);

    let missing = uuid::Uuid::new_v4();
    let got = parts(call_service(&app, post(format!("/api/jobs/{missing}/cancel"))).await).await;
    assert_problem(&got, 404, "job_not_found");
    let got = parts(call_service(&app, post("/api/jobs/not-a-uuid/hold".into())).await).await;
    assert_problem(&got, 400, "invalid_request");

    let req = TestRequest::get().uri("/api/jobs").to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.2["jobs"].as_array().map(Vec::len), Some(3), "{}", got.2);

    transport.open_gate();
    wait_state!(app, ids[0], "completed");
    let req = TestRequest::delete().uri("/api/printers/pt").to_request();
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let got = parts(
            call_service(
                &app,
                TestRequest::delete().uri("/api/printers/pt").to_request(),
            )
            .await,
        )
        .await;
        if got.0 == 204 {
            break;
        }
        assert_problem(&got, 409, "printer_busy");
        assert!(std::time::Instant::now() < deadline);
        pause().await;
    }
    drop(req);
}

#[actix::test]
async fn jobs_can_be_listed_since_a_time() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(text_job("A-1"))
        .to_request();
    assert_eq!(parts(call_service(&app, req).await).await.0, 202);
    let list = |q: &str| {
        TestRequest::get()
            .uri(&format!("/api/jobs?{q}"))
            .to_request()
    };
    let (status, _, all) =
        parts(call_service(&app, list("since=2000-01-01T00:00:00Z")).await).await;
    assert_eq!(status, 200);
    assert_eq!(all["jobs"].as_array().map(Vec::len), Some(1));
    let (_, _, none) = parts(call_service(&app, list("since=2999-01-01T00:00:00Z")).await).await;
    assert_eq!(none["jobs"].as_array().map(Vec::len), Some(0));
    let bad = parts(call_service(&app, list("since=yesterday")).await).await;
    assert_problem(&bad, 400, "invalid_request");
}

#[actix::test]
async fn a_known_path_with_another_method_is_405() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let req = TestRequest::put().uri("/api/printers").to_request();
    let got = parts(call_service(&app, req).await).await;
    let problem = assert_problem(&got, 405, "method_not_allowed");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("GET") && d.contains("POST")),
        "{problem}"
    );
    let req = TestRequest::delete()
        .uri("/api/jobs/00000000-0000-0000-0000-000000000000/cancel")
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        405,
        "method_not_allowed",
    );
    let req = TestRequest::get().uri("/api/nothing/here").to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        404,
        "not_found",
    );
}

#[actix::test]
async fn a_job_says_whether_the_printer_confirmed_it() {
    let (hub, transport) = hub().await;
    let app = app!(hub);
    // The first send is only written (a printer that never reports); the
    // second is confirmed page by page.
    transport.push_outcome(Ok(printhub_actors::SendOutcome::Sent));
    let mut ids = Vec::new();
    for n in ["SENT", "CONFIRMED"] {
        let req = TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .set_json(text_job(n))
            .to_request();
        let (status, _, job) = parts(call_service(&app, req).await).await;
        assert_eq!(status, 202, "{job}");
        assert!(job["confirmed"].is_boolean(), "{job}");
        ids.push(job["id"].as_str().expect("id").to_string());
    }
    let sent = wait_state!(app, ids[0], "completed");
    let confirmed = wait_state!(app, ids[1], "completed");
    assert_eq!(
        (sent["confirmed"].clone(), sent["copies_printed"].clone()),
        (false.into(), 1.into()),
        "{sent}"
    );
    assert_eq!(confirmed["confirmed"], true, "{confirmed}");
    // Listings carry it too.
    let req = TestRequest::get().uri("/api/jobs").to_request();
    let list = parts(call_service(&app, req).await).await.2;
    let flags: Vec<(String, bool)> = list["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| {
            (
                j["id"].as_str().unwrap_or_default().to_string(),
                j["confirmed"].as_bool().expect("confirmed is a boolean"),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [(ids[1].clone(), true), (ids[0].clone(), false)],
        "newest first"
    );
}
