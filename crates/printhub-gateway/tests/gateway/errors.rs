//! Failed requests: problem+json with the right status and code, and no job created.

use crate::support::*;
use actix_web::test::{call_service, TestRequest};
use serde_json::json;

macro_rules! post_raw {
    ($app:expr, $uri:expr, $body:expr $(,)?) => {{
        let body: String = $body.into();
        let req = TestRequest::post()
            .uri($uri)
            .insert_header(("content-type", "application/json"))
            .set_payload(body)
            .to_request();
        parts(call_service(&$app, req).await).await
    }};
}

#[actix::test]
async fn bad_requests_are_problems_and_create_no_job() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let jobs = "/api/printers/pt/jobs";

    let got = post_raw!(app, jobs, "{\"content_type\": ");
    assert_problem(&got, 400, "invalid_request");

    let mut unknown = text_job("X");
    unknown["colour"] = json!("red");
    let got = post_raw!(app, jobs, unknown.to_string());
    let p = assert_problem(&got, 400, "invalid_request");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("colour")),
        "{p}"
    );

    let got = post_raw!(app, "/api/printers/nope/jobs", text_job("X").to_string());
    assert_problem(&got, 404, "printer_not_found");

    let got = post_raw!(
        app,
        jobs,
        json!({ "content_type": "qr_three_lines", "data": { "title": "T" } }).to_string(),
    );
    let p = assert_problem(&got, 422, "content_type_data_mismatch");
    assert_eq!(
        p["error_detail"]["missing"],
        json!(["qr_payload", "primary_id", "secondary"])
    );

    let got = post_raw!(
        app,
        jobs,
        json!({ "content_type": "qr_only", "data": { "qr_payload": "x".repeat(1500) } })
            .to_string(),
    );
    assert_problem(&got, 422, "does_not_fit");

    let big = json!({ "content_type": "text_one_line", "data": { "primary_id": "y".repeat(BODY_LIMIT + 10) } });
    let got = post_raw!(app, jobs, big.to_string());
    assert_problem(&got, 413, "payload_too_large");

    let got = post_raw!(app, jobs, json!({ "data": {} }).to_string());
    assert_problem(&got, 400, "invalid_request");

    let got = post_raw!(
        app,
        jobs,
        json!({ "content_type": "text_one_line", "template": "x", "data": {} }).to_string(),
    );
    assert_problem(&got, 400, "invalid_request");

    let got = post_raw!(
        app,
        jobs,
        json!({ "content_type": "qr_sideways", "data": {} }).to_string()
    );
    assert_problem(&got, 422, "unknown_content_type");

    let mut zero = text_job("X");
    zero["copies"] = json!(0);
    let got = post_raw!(app, jobs, zero.to_string());
    assert_problem(&got, 400, "invalid_request");

    let items = vec![
        text_job("ok"),
        json!({ "content_type": "text_one_line", "data": {} }),
    ];
    let got = post_raw!(
        app,
        "/api/print/pt/batch",
        json!({ "items": items }).to_string()
    );
    let p = assert_problem(&got, 422, "content_type_data_mismatch");
    assert_eq!(p["error_detail"]["item"], 1);
    let got = post_raw!(
        app,
        "/api/print/pt/batch",
        json!({ "items": [] }).to_string()
    );
    assert_problem(&got, 400, "invalid_request");

    let got = post_raw!(app, "/api/render/preview", text_job("X").to_string());
    assert_problem(&got, 400, "invalid_request");

    let req = TestRequest::get().uri("/api/jobs?state=bogus").to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        400,
        "invalid_request",
    );
    let req = TestRequest::get().uri("/api/jobs?colour=1").to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        400,
        "invalid_request",
    );
    let req = TestRequest::get().uri("/api/nowhere").to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        404,
        "not_found",
    );

    assert_eq!(job_count(&hub).await, 0, "a failed request created a job");
}

#[actix::test]
async fn printer_admin_errors_are_problems() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let printer =
        json!({ "slug": "pt", "model": "PT-P750W", "media": "tze-12", "address": "127.0.0.1:9" });
    let got = post_raw!(app, "/api/printers", printer.to_string());
    assert_problem(&got, 409, "printer_exists");
    let mut other = printer.clone();
    other["slug"] = json!("ql");
    other["media"] = json!("no-such-media");
    let got = post_raw!(app, "/api/printers", other.to_string());
    assert_problem(&got, 400, "invalid_request");
    other["media"] = json!("tze-24");
    let got = post_raw!(app, "/api/printers", other.to_string());
    assert_eq!(got.0, 201, "{}", got.2);
    assert!(got.2.get("snmp_community").is_none());
}
