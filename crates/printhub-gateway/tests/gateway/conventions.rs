//! Issue #23: the HTTP API as generic clients expect it — `Allow` on every
//! 405, `HEAD` wherever `GET` is served, problem+json outside `/api` too,
//! RFC 9110 titles and `type`s that resolve, any RFC 3339 `since`, JSON
//! bodies only as JSON (415 otherwise) and only as objects (no positional
//! structs), and Prometheus conventions on `/metrics`.

use crate::support::*;
use actix_web::http::Method;
use actix_web::test::{call_service, read_body, TestRequest};
use serde_json::Value;

fn request(method: Method, uri: &str) -> actix_http::Request {
    TestRequest::default().method(method).uri(uri).to_request()
}

#[actix::test]
async fn a_405_says_which_methods_the_route_takes() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    for (method, uri, allow) in [
        (Method::PUT, "/api/printers", "GET, POST, HEAD"),
        (Method::DELETE, "/api/jobs", "GET, HEAD"),
        (Method::POST, "/healthz", "GET, HEAD"),
        (Method::POST, "/readyz", "GET, HEAD"),
        (Method::DELETE, "/metrics", "GET, HEAD"),
        (Method::POST, "/ui/js/app.js", "GET, HEAD"),
        (Method::PUT, "/asset/7", "GET, HEAD"),
    ] {
        let resp = call_service(&app, request(method.clone(), uri)).await;
        let got_allow = resp
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let got = parts(resp).await;
        assert_problem(&got, 405, "method_not_allowed");
        assert_eq!(got_allow.as_deref(), Some(allow), "{method} {uri}");
    }
}

#[actix::test]
async fn head_is_served_wherever_get_is() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    for uri in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/printers",
        "/api/printers/pt",
        "/api/jobs",
        "/api/openapi.json",
        "/",
        "/ui/js/app.js",
        "/problems/not_found",
    ] {
        let get = call_service(&app, request(Method::GET, uri)).await;
        let head = call_service(&app, request(Method::HEAD, uri)).await;
        assert_eq!(head.status(), get.status(), "HEAD {uri}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {uri}"
        );
    }
    // HEAD is no mutation: a POST-only route answers 405 to it.
    let resp = call_service(&app, request(Method::HEAD, "/api/printers/pt/pause")).await;
    assert_eq!(resp.status().as_u16(), 405);
}

fn post_typed(uri: &str, content_type: Option<&str>, body: &str) -> actix_http::Request {
    let mut req = TestRequest::post().uri(uri);
    if let Some(ct) = content_type {
        req = req.insert_header(("content-type", ct));
    }
    req.set_payload(body.to_owned()).to_request()
}

/// Item 4: a JSON route takes `application/json` (or `+json`) only; anything
/// else, or no type, is 415 naming what is accepted, before the body is
/// looked at, and queues nothing.
#[actix::test]
async fn json_routes_refuse_other_media_types_with_415() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let job = text_job("R").to_string();
    let preview = serde_json::json!({"printer": "pt", "content_type": "text_one_line", "data": {"primary_id": "R"}}).to_string();
    for (uri, body) in [
        ("/api/printers/pt/jobs", job.as_str()),
        ("/api/render/preview", preview.as_str()),
        (
            "/api/printers",
            r#"{"id":"x","model":"PT-P750W","media":"tze-12","address":"127.0.0.1:9"}"#,
        ),
        ("/api/admin/keys", r#"{"name":"k","scope":"read"}"#),
    ] {
        for ct in [
            Some("text/plain"),
            Some("application/xml"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            let got = parts(call_service(&app, post_typed(uri, ct, body)).await).await;
            let problem = assert_problem(&got, 415, "unsupported_media_type");
            assert_eq!(
                problem["error_detail"]["accepted"],
                serde_json::json!(["application/json", "application/*+json"]),
                "{uri} {ct:?}"
            );
        }
    }
    assert_eq!(job_count(&hub).await, 0, "nothing refused was queued");
    for ct in [
        "application/json; charset=utf-8",
        "application/vnd.printhub+json",
    ] {
        let resp = call_service(&app, post_typed("/api/printers/pt/jobs", Some(ct), &job)).await;
        assert_eq!(resp.status().as_u16(), 202, "{ct}");
    }
    assert_eq!(job_count(&hub).await, 2);
}

/// Item 5: serde would take `["k", "read"]` for `{"name": "k", "scope":
/// "read"}`; a request body and every object in it must be an object.
#[actix::test]
async fn structs_in_positional_form_are_400() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    for (uri, body, pointer) in [
        ("/api/admin/keys", r#"["k", "read"]"#, "/"),
        (
            "/api/printers/pt/jobs",
            r#"["text_one_line", null, {"primary_id": "R"}]"#,
            "/",
        ),
        (
            "/api/printers/pt/jobs",
            r#"{"content_type": "text_one_line", "data": {"primary_id": "R"}, "options": [true]}"#,
            "/options",
        ),
        (
            "/api/print/pt/batch",
            r#"{"items": [{"content_type": "text_one_line", "data": {"primary_id": "R"}}, ["text_one_line"]]}"#,
            "/items/1",
        ),
    ] {
        let got =
            parts(call_service(&app, post_typed(uri, Some("application/json"), body)).await).await;
        let problem = assert_problem(&got, 400, "invalid_request");
        assert_eq!(problem["error_detail"]["pointer"], pointer, "{uri} {body}");
    }
    assert_eq!(job_count(&hub).await, 0, "nothing was queued");
    // Real arrays stay arrays: a batch of two labels is queued.
    let batch = r#"{"items": [{"content_type": "text_one_line", "data": {"primary_id": "A"}}, {"content_type": "text_one_line", "data": {"primary_id": "B"}}]}"#;
    let resp = call_service(
        &app,
        post_typed("/api/print/pt/batch", Some("application/json"), batch),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 202);
    assert_eq!(job_count(&hub).await, 2);
}

#[actix::test]
async fn unknown_paths_outside_the_api_are_problems_too() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    for uri in ["/nope", "/ui", "/healthz/x", "/problems/no_such_code"] {
        let got = parts(call_service(&app, request(Method::GET, uri)).await).await;
        assert_problem(&got, 404, "not_found");
    }
}

#[actix::test]
async fn problem_types_resolve_to_their_explanation() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let got = parts(call_service(&app, request(Method::GET, "/api/printers/nope")).await).await;
    let body = assert_problem(&got, 404, "printer_not_found");
    let kind = body["type"].as_str().expect("type").to_owned();
    assert_eq!(kind, "/problems/printer_not_found");
    assert_eq!(body["title"], "Not Found");
    let req = TestRequest::get()
        .uri(&kind)
        .insert_header(("accept", "application/json"))
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.2["error_code"], "printer_not_found");
    assert_eq!(got.2["status"], 404);
    assert!(got.2["explanation"].as_str().is_some_and(|t| t.len() > 10));
    // A browser gets a page; the index lists every code.
    let resp = call_service(&app, request(Method::GET, &kind)).await;
    assert!(resp
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html")));
    let req = TestRequest::get()
        .uri("/problems")
        .insert_header(("accept", "application/json"))
        .to_request();
    let list = parts(call_service(&app, req).await).await.2;
    let codes: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["error_code"].as_str())
        .collect();
    for code in printhub_gateway::ErrorCode::all() {
        assert!(codes.contains(&code.as_str()), "{}", code.as_str());
    }
}

#[actix::test]
async fn since_takes_any_rfc_3339_date_time() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(text_job("S"))
        .to_request();
    assert_eq!(call_service(&app, req).await.status().as_u16(), 202);
    let count = |body: &Value| body["jobs"].as_array().map_or(0, Vec::len);
    for (since, want) in [
        ("1969-07-20T20:17:40Z", 1),
        ("1900-01-01T00:00:00%2B01:00", 1),
        // A `+` left unescaped in a query reads as a space; taken as meant.
        ("1900-01-01T00:00:00+01:00", 1),
        ("2000-01-01T01:00:00%2B01:00", 1),
        ("2000-01-01t00:00:00z", 1),
        ("2999-01-01T00:00:00-05:30", 0),
    ] {
        let got = parts(
            call_service(
                &app,
                request(Method::GET, &format!("/api/jobs?since={since}")),
            )
            .await,
        )
        .await;
        assert_eq!(got.0, 200, "{since}: {}", got.2);
        assert_eq!(count(&got.2), want, "{since}: {}", got.2);
    }
    for bad in ["yesterday", "2000-01-01", "2000-01-01T00:00:00"] {
        let got = parts(
            call_service(
                &app,
                request(Method::GET, &format!("/api/jobs?since={bad}")),
            )
            .await,
        )
        .await;
        assert_problem(&got, 400, "invalid_request");
    }
}

#[actix::test]
async fn metrics_follow_prometheus_conventions() {
    let (hub, transport) = hub().await;
    let metrics = printhub_gateway::Metrics::start(hub.clone()).expect("metrics");
    let auth = auth(Some(printhub_gateway::Scope::Admin), 600);
    let events = printhub_gateway::EventLog::start(hub.clone(), Default::default());
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(hub.clone()))
            .app_data(actix_web::web::Data::new(auth))
            .app_data(actix_web::web::Data::new(events))
            .app_data(actix_web::web::Data::new(metrics))
            .configure(printhub_gateway::configure),
    )
    .await;
    let mut body = text_job("M");
    body["copies"] = 2.into();
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(&body)
        .to_request();
    let job = parts(call_service(&app, req).await).await.2;
    let _ = transport;
    wait_state!(app, job["id"].as_str().expect("id"), "completed");
    // The counter follows the engine's events; wait for it.
    let deadline = std::time::Instant::now() + DEADLINE;
    let text = loop {
        let resp = call_service(&app, request(Method::GET, "/metrics")).await;
        let text = String::from_utf8(read_body(resp).await.to_vec()).expect("utf-8");
        if text.contains("printhub_labels_printed_total{printer=\"pt\"} 2") {
            break text;
        }
        assert!(std::time::Instant::now() < deadline, "{text}");
        pause().await;
    };
    for needle in [
        "# TYPE printhub_jobs_completed_total counter",
        "printhub_jobs_completed_total{printer=\"pt\"} 1",
        "# TYPE printhub_labels_printed_total counter",
        "# TYPE printhub_http_requests_total counter",
        "printhub_printer_state{printer=\"pt\",state=\"idle\"} 1",
        "printhub_printer_state{printer=\"pt\",state=\"offline\"} 0",
        "printhub_build_info{version=\"",
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    promtool_check(&text);
}

/// `promtool check metrics` over `text`: the format as Prometheus reads it
/// (installed by `make test`; `PRINTHUB_SKIP_PROMTOOL=1` skips loudly).
fn promtool_check(text: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if std::env::var("PRINTHUB_SKIP_PROMTOOL").as_deref() == Ok("1") => {
            eprintln!("SKIPPED promtool check: {e}");
            return;
        }
        Err(e) => panic!("promtool is needed (scripts/ensure-promtool.sh): {e}"),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
