//! Issue #19: Label Printer Hub's clients keep working. Hangar's whole flow
//! (find the printer by slug, post a batch with the old fields, poll the
//! batch until `summary.all_terminal`, count the printed labels) is replayed
//! field by field; the old names are aliases of printhub's own, refused
//! when both are given, and a refused batch queues nothing.

use crate::fake;
use crate::support::*;
use actix_web::test::{call_service, TestRequest};
use printhub_gateway::Scope;
use printhub_lookup::{Lookups, LookupsConfig, SourceConfig};
use serde_json::{json, Value};
use std::time::Duration;

/// A request as Hangar sends it: its key in `X-Label-Hub-Key`, JSON bodies.
fn hangar(method: &str, uri: &str, key: &str, body: Option<&Value>) -> actix_http::Request {
    let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
    let req = TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header(("X-Label-Hub-Key", key));
    match body {
        Some(body) => req.set_json(body).to_request(),
        None => req.to_request(),
    }
}

/// Whether `text` is an RFC 3339 UTC time with `Z`.
fn is_utc(text: &Value) -> bool {
    text.as_str()
        .is_some_and(|t| t.ends_with('Z') && printhub_gateway::dto::parse_rfc3339(t).is_some())
}

/// Whether `text` is a hyphenated UUID.
fn is_uuid(text: &Value) -> bool {
    text.as_str()
        .is_some_and(|t| t.len() == 36 && t.parse::<uuid::Uuid>().is_ok())
}

#[actix::test]
async fn hangars_whole_flow_works_field_by_field() {
    let (hub, transport) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let key = new_key(&auth, Scope::Print);
    let key_id = auth.list_keys().last().expect("key").record.id.clone();

    // 1. Find the printer by its slug.
    let got =
        parts(call_service(&app, hangar("GET", "/api/printers?slug=pt", &key, None)).await).await;
    assert_eq!(got.0, 200, "{}", got.2);
    let printers = got.2.as_array().expect("a list");
    assert_eq!(printers.len(), 1, "{}", got.2);
    assert_eq!(printers[0]["slug"], "pt");
    assert_eq!(printers[0]["enabled"], true);
    let printer_id = printers[0]["id"].as_str().expect("id").to_string();
    assert!(is_uuid(&printers[0]["id"]));

    // 2. Post a batch on the printer's UUID with the old fields.
    let batch = json!({
        "printer_slug": "pt",
        "half_cut_override": true,
        "items": [
            {
                "content_type": "qr_one_line",
                "data": { "qr_payload": "https://inventory.example/box/7", "primary_id": "BOX-7",
                          "secondary": [], "items": [] },
                "options": { "copies": 2, "auto_cut": true, "high_resolution": false,
                             "half_cut": false, "last_page": true },
            },
            {
                "content_type": "text_one_line",
                "data": { "primary_id": "SHELF-3" },
                "options": { "copies": 3 },
            },
        ],
    });
    let got = parts(
        call_service(
            &app,
            hangar(
                "POST",
                &format!("/api/print/{printer_id}/batch"),
                &key,
                Some(&batch),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(got.0, 202, "{}", got.2);
    let answer = got.2;
    assert!(is_uuid(&answer["batch_id"]), "{answer}");
    assert_eq!(answer["printer_id"], printer_id.as_str());
    assert!(is_utc(&answer["queued_at"]), "{answer}");
    let job_ids: Vec<String> = answer["job_ids"]
        .as_array()
        .expect("job_ids")
        .iter()
        .map(|j| j.as_str().expect("id").to_string())
        .collect();
    assert_eq!(job_ids.len(), 2, "one id per item: {answer}");
    let batch_id = answer["batch_id"].as_str().expect("batch id").to_string();

    // The old options reached the engine: copies, and the batch-wide half cut
    // (the PT-P750W can half-cut).
    // The first item says `auto_cut: true, last_page: true` (cut, no chain);
    // the second gives no cut options, so on a PT it joins a strip, as the
    // reference hub printed batches (issue #20): chained, no full cut.
    for ((id, copies), (cut, chain)) in job_ids
        .iter()
        .zip([2, 3])
        .zip([(true, false), (false, true)])
    {
        let job = hub.job(id.parse().expect("job id")).await.expect("job");
        assert_eq!(job.spec.copies, copies, "{id}");
        assert!(job.spec.options.half_cut, "{id}: half_cut_override");
        assert_eq!(
            (job.spec.options.cut, job.spec.options.chain),
            (cut, chain),
            "{id}"
        );
        assert!(!job.spec.options.high_res, "{id}");
    }

    // 3. Poll the batch until its summary says every job is terminal.
    let deadline = std::time::Instant::now() + DEADLINE;
    let view = loop {
        let got = parts(
            call_service(
                &app,
                hangar("GET", &format!("/api/batches/{batch_id}"), &key, None),
            )
            .await,
        )
        .await;
        assert_eq!(got.0, 200, "{}", got.2);
        if got.2["summary"]["all_terminal"] == true {
            break got.2;
        }
        assert_eq!(got.2["summary"]["all_terminal"], false, "{}", got.2);
        assert!(std::time::Instant::now() < deadline, "{}", got.2);
        pause().await;
    };
    assert_eq!(view["id"], batch_id.as_str());
    assert_eq!(view["batch_id"], batch_id.as_str());
    assert_eq!(view["printer_id"], printer_id.as_str());
    assert_eq!(view["created_by"], format!("key:{key_id}"));
    assert!(is_utc(&view["created_at"]), "{view}");
    let summary = &view["summary"];
    for (field, want) in [
        ("total", json!(2)),
        ("queued", json!(0)),
        ("printing", json!(0)),
        ("done", json!(2)),
        ("failed", json!(0)),
        ("cancelled", json!(0)),
        ("all_terminal", json!(true)),
        // printhub's own names stay beside them.
        ("completed", json!(2)),
        ("held", json!(0)),
        ("interrupted", json!(0)),
    ] {
        assert_eq!(summary[field], want, "summary.{field}: {view}");
    }
    assert_eq!(
        (view["total"].clone(), view["all_terminal"].clone()),
        (json!(2), json!(true))
    );
    let jobs = view["jobs"].as_array().expect("jobs");
    let listed: Vec<&str> = jobs.iter().filter_map(|j| j["id"].as_str()).collect();
    assert_eq!(
        listed,
        job_ids.iter().map(String::as_str).collect::<Vec<_>>(),
        "batch order"
    );

    // 4. Count the printed labels: every copy of every item, once.
    let printed: u64 = jobs
        .iter()
        .filter_map(|j| j["copies_printed"].as_u64())
        .sum();
    assert_eq!(printed, 5, "{view}");
    // The first item's two copies one send each; the strip of the second
    // item's three copies one send.
    assert_eq!(transport.sent().len(), 3);
}

#[actix::test]
async fn a_slug_that_names_no_printer_is_404_and_other_queries_are_ignored() {
    let (hub, _) = hub().await;
    second_printer(&hub).await;
    let app = app!(hub);
    let got = parts(
        call_service(
            &app,
            TestRequest::get()
                .uri("/api/printers?slug=nope")
                .to_request(),
        )
        .await,
    )
    .await;
    let problem = assert_problem(&got, 404, "printer_not_found");
    assert_eq!(problem["error_detail"]["slug"], "nope");
    let got = parts(
        call_service(
            &app,
            TestRequest::get()
                .uri("/api/printers?slug=pt2")
                .to_request(),
        )
        .await,
    )
    .await;
    let slugs: Vec<&str> = got
        .2
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["slug"].as_str())
        .collect();
    assert_eq!(slugs, ["pt2"]);
    // A disabled printer is found too, as Label Printer Hub found it.
    hub.set_printer_enabled("pt2", false)
        .await
        .expect("disabled");
    let got = parts(
        call_service(
            &app,
            TestRequest::get()
                .uri("/api/printers?slug=pt2")
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(got.2[0]["enabled"], false, "{}", got.2);
    // Without the filter (or with a parameter the route does not read) every printer.
    for uri in ["/api/printers", "/api/printers?other=1"] {
        let got = parts(call_service(&app, TestRequest::get().uri(uri).to_request()).await).await;
        assert_eq!(got.2.as_array().map(Vec::len), Some(2), "{uri}: {}", got.2);
    }
}

#[actix::test]
async fn a_slug_the_key_may_not_use_is_not_found() {
    let (hub, _) = hub().await;
    let pt2 = second_printer(&hub).await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let limited = auth
        .create_key(
            printhub_gateway::auth::NewKey {
                name: "pt2 only".into(),
                scope: Scope::Print,
                printers: Some(vec![pt2.parse().expect("id")]),
                expires_at: None,
                rate_limit_per_minute: None,
            },
            "test",
        )
        .expect("key")
        .1;
    let got =
        parts(call_service(&app, hangar("GET", "/api/printers?slug=pt", &limited, None)).await)
            .await;
    assert_problem(&got, 404, "printer_not_found");
}

/// Posts `body` as a batch on `pt`; status and body.
async fn post_batch(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    body: Value,
) -> (u16, String, Value) {
    let req = TestRequest::post()
        .uri("/api/print/pt/batch")
        .set_json(body)
        .to_request();
    parts(call_service(app, req).await).await
}

#[actix::test]
async fn bad_old_fields_are_refused_with_their_code_and_queue_nothing() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let item = |options: Value| json!({ "content_type": "text_one_line", "data": { "primary_id": "X" }, "options": options });

    // The printer_slug must be the printer's.
    let got = post_batch(
        &app,
        json!({ "printer_slug": "other", "items": [item(json!({}))] }),
    )
    .await;
    let problem = assert_problem(&got, 400, "printer_slug_mismatch");
    assert_eq!(problem["error_detail"]["expected"], "pt");
    assert_eq!(problem["error_detail"]["printer_slug"], "other");

    // An option under both its names, copies under both places, copies out of range.
    let cases = [
        (json!({ "cut": true, "auto_cut": true }), "options.auto_cut"),
        (
            json!({ "high_res": false, "high_resolution": true }),
            "options.high_resolution",
        ),
        (
            json!({ "chain": true, "last_page": false }),
            "options.last_page",
        ),
        (json!({ "copies": 0 }), "options.copies"),
        (json!({ "copies": 1000 }), "options.copies"),
        (json!({ "copies": null }), ""),
    ];
    for (options, field) in cases {
        let got = post_batch(
            &app,
            json!({ "items": [item(json!({})), item(options.clone())] }),
        )
        .await;
        let problem = assert_problem(&got, 400, "invalid_request");
        if !field.is_empty() {
            assert!(problem.to_string().contains(field), "{options}: {problem}");
        }
    }
    let both = json!({ "content_type": "text_one_line", "data": { "primary_id": "X" }, "copies": 2, "options": { "copies": 2 } });
    let got = post_batch(&app, json!({ "items": [both] })).await;
    assert_problem(&got, 400, "invalid_request");

    // A lookup with both id and identifier.
    let lookup = json!({ "content_type": "qr_only", "lookup": { "app": "snipeit", "id": "1", "identifier": "1" } });
    let got = post_batch(&app, json!({ "items": [lookup] })).await;
    assert_problem(&got, 400, "invalid_request");

    // The missing fields, under printhub's name and Label Printer Hub's.
    let missing = json!({ "content_type": "qr_two_lines", "data": { "primary_id": "X" } });
    let got = post_batch(&app, json!({ "items": [item(json!({})), missing] })).await;
    let problem = assert_problem(&got, 422, "content_type_data_mismatch");
    assert_eq!(problem["error_detail"]["item"], 1);
    assert_eq!(
        problem["error_detail"]["missing_fields"],
        problem["error_detail"]["missing"]
    );
    let fields = problem["error_detail"]["missing_fields"]
        .as_array()
        .expect("fields");
    assert!(fields.contains(&json!("qr_payload")), "{problem}");

    assert_eq!(job_count(&hub).await, 0, "nothing was queued");
}

#[actix::test]
async fn the_old_names_mean_what_they_meant() {
    let (hub, _) = hub().await;
    hub.pause_printer("pt").await.expect("paused");
    let app = app!(hub);
    let got = post_batch(
        &app,
        json!({ "items": [
            { "content_type": "text_one_line", "data": { "primary_id": "A" },
              "options": { "auto_cut": false, "high_resolution": true, "last_page": false, "half_cut": true } },
            { "content_type": "text_one_line", "data": { "primary_id": "B" }, "copies": 4 },
        ] }),
    )
    .await;
    assert_eq!(got.0, 202, "{}", got.2);
    let ids: Vec<String> = got.2["job_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|j| j.as_str().expect("id").to_string())
        .collect();
    let a = hub.job(ids[0].parse().expect("id")).await.expect("job");
    assert_eq!(
        (
            a.spec.options.cut,
            a.spec.options.high_res,
            a.spec.options.chain,
            a.spec.options.half_cut,
            a.spec.copies
        ),
        (false, true, true, true, 1)
    );
    let b = hub.job(ids[1].parse().expect("id")).await.expect("job");
    assert_eq!(
        (
            b.spec.options.cut,
            b.spec.options.high_res,
            b.spec.options.chain,
            b.spec.options.half_cut,
            b.spec.copies
        ),
        // No options in a PT batch: one half-cut strip (issue #20).
        (false, false, true, true, 4)
    );
    // half_cut_override: false turns every item's half cut off.
    let got = post_batch(
        &app,
        json!({ "half_cut_override": false, "items": [
            { "content_type": "text_one_line", "data": { "primary_id": "C" }, "options": { "half_cut": true } },
        ] }),
    )
    .await;
    assert_eq!(got.0, 202, "{}", got.2);
    let c = hub
        .job(
            got.2["job_ids"][0]
                .as_str()
                .expect("id")
                .parse()
                .expect("id"),
        )
        .await
        .expect("job");
    assert!(!c.spec.options.half_cut);
}

#[actix::test]
async fn a_lookup_with_the_old_identifier_prints_the_item() {
    let fake = fake::start();
    let (hub, _) = hub().await;
    let lookups = Lookups::new(&LookupsConfig {
        snipeit: Some(
            SourceConfig::new(fake.url("snipe"))
                .api_key(fake::SNIPE_KEY)
                .timeout(Duration::from_secs(20)),
        ),
        ..LookupsConfig::default()
    })
    .expect("lookups");
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(hub.clone()))
            .app_data(actix_web::web::Data::new(lookups))
            .app_data(actix_web::web::Data::new(auth(Some(Scope::Admin), 600)))
            .configure(printhub_gateway::configure),
    )
    .await;
    let got = post_batch(
        &app,
        json!({ "items": [{ "content_type": "qr_one_line", "lookup": { "app": "snipeit", "identifier": "A-0042" },
                             "options": { "copies": 1 } }] }),
    )
    .await;
    assert_eq!(got.0, 202, "{}", got.2);
    let id = got.2["job_ids"][0].as_str().expect("id").to_string();
    let job = wait_state!(app, id, "completed");
    assert_eq!(job["content_type"], "qr_one_line");
}

#[actix::test]
async fn printer_id_is_an_alias_of_printer_in_the_job_list_and_the_event_stream() {
    let (hub, _) = hub().await;
    let pt2 = second_printer(&hub).await;
    hub.pause_printer("pt").await.expect("paused");
    hub.pause_printer("pt2").await.expect("paused");
    let app = app!(hub);
    for printer in ["pt", "pt2", "pt2"] {
        let req = TestRequest::post()
            .uri(&format!("/api/printers/{printer}/jobs"))
            .set_json(text_job("J"))
            .to_request();
        assert_eq!(call_service(&app, req).await.status(), 202);
    }
    let got = parts(
        call_service(
            &app,
            TestRequest::get()
                .uri(&format!("/api/jobs?printer_id={pt2}"))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(got.0, 200, "{}", got.2);
    let printers: Vec<&str> = got.2["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter_map(|j| j["printer_id"].as_str())
        .collect();
    assert_eq!(printers, [pt2.as_str(), pt2.as_str()]);
    for uri in [
        format!("/api/jobs?printer=pt&printer_id={pt2}"),
        format!("/api/events?printer=pt&printer_id={pt2}"),
    ] {
        let got = parts(call_service(&app, TestRequest::get().uri(&uri).to_request()).await).await;
        assert_problem(&got, 400, "invalid_request");
    }
    let unknown = "00000000-0000-4000-8000-000000000000";
    let got = parts(
        call_service(
            &app,
            TestRequest::get()
                .uri(&format!("/api/events?printer_id={unknown}"))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_problem(&got, 404, "printer_not_found");
}

/// A request with a printhub key in `Authorization`.
fn keyed(method: &str, uri: &str, key: &str, body: Option<Value>) -> actix_http::Request {
    let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
    let req = TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header(("authorization", format!("Bearer {key}")));
    match body {
        Some(body) => req.set_json(body).to_request(),
        None => req.to_request(),
    }
}

#[actix::test]
async fn the_old_curl_paths_print_and_report_as_they_did() {
    let (hub, transport) = hub().await;
    let app = app!(hub);
    // POST /print: the first enabled printer, the old answer.
    let body = json!({ "content_type": "qr_one_line",
        "data": { "qr_payload": "https://example.com/7", "primary_id": "BOX-7" },
        "options": { "copies": 2, "auto_cut": true, "high_resolution": false, "half_cut": false, "last_page": true } });
    let req = TestRequest::post()
        .uri("/print")
        .set_json(&body)
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!(got.2["status"], "queued");
    let id = got.2["job_id"].as_str().expect("job_id").to_string();
    assert!(is_uuid(&got.2["job_id"]));
    let done = wait_state!(app, id, "completed");
    assert_eq!(done["copies_printed"], 2);
    assert_eq!(transport.sent().len(), 2);
    // GET /jobs/{id}: the old fields, nulls included.
    let got = parts(
        call_service(
            &app,
            TestRequest::get().uri(&format!("/jobs/{id}")).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.2["job_id"], id.as_str());
    assert_eq!(got.2["status"], "completed");
    for field in ["error_code", "error_message", "error_detail"] {
        assert!(
            got.2[field].is_null() && got.2.get(field).is_some(),
            "{field}: {}",
            got.2
        );
    }
    for field in ["created_at", "started_at", "finished_at"] {
        assert!(is_utc(&got.2[field]), "{field}: {}", got.2);
    }
    // Not a UUID, or no such job: 404 as it was.
    for uri in ["/jobs/nope", "/jobs/00000000-0000-4000-8000-000000000000"] {
        let got = parts(call_service(&app, TestRequest::get().uri(uri).to_request()).await).await;
        let problem = assert_problem(&got, 404, "job_not_found");
        assert_eq!(problem["error_message"], problem["detail"], "{uri}");
    }
    // A label missing fields queues nothing and names them the old way too.
    let before = job_count(&hub).await;
    let req = TestRequest::post()
        .uri("/print")
        .set_json(json!({ "content_type": "qr_two_lines", "data": { "primary_id": "X" } }))
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    let problem = assert_problem(&got, 422, "content_type_data_mismatch");
    let missing = problem["error_detail"]["missing_fields"]
        .as_array()
        .expect("missing_fields");
    assert!(missing.contains(&json!("qr_payload")), "{problem}");
    assert!(problem["error_message"].is_string());
    assert_eq!(job_count(&hub).await, before, "nothing queued");
}

#[actix::test]
async fn resume_releases_a_paused_job_and_a_stopped_printer_and_says_when_there_is_nothing() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    // Nothing to resume.
    let got = parts(
        call_service(
            &app,
            TestRequest::post().uri("/printer/resume").to_request(),
        )
        .await,
    )
    .await;
    assert_problem(&got, 409, "already_active");
    // A paused printer resumes and answers the old body.
    let info = hub.pause_printer("pt").await.expect("paused");
    let got = parts(
        call_service(
            &app,
            TestRequest::post().uri("/printer/resume").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(
        got.2,
        json!({ "printer_id": info.id.to_string(), "state": "active" })
    );
    // A held job ("paused" there) is released by /jobs/{id}/resume.
    hub.pause_printer("pt").await.expect("paused");
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(text_job("R"))
        .to_request();
    let job = parts(call_service(&app, req).await).await.2;
    let id = job["id"].as_str().expect("id").to_string();
    hub.hold_job(id.parse().expect("id")).await.expect("held");
    let got = parts(
        call_service(
            &app,
            TestRequest::get().uri(&format!("/jobs/{id}")).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(got.2["status"], "paused", "{}", got.2);
    let got = parts(
        call_service(
            &app,
            TestRequest::post()
                .uri(&format!("/jobs/{id}/resume"))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (got.0, got.2["status"].as_str()),
        (200, Some("queued")),
        "{}",
        got.2
    );
    // Queued on a paused printer: resuming the job resumes its printer.
    let got = parts(
        call_service(
            &app,
            TestRequest::post()
                .uri(&format!("/jobs/{id}/resume"))
                .to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(got.0, 200, "{}", got.2);
    wait_state!(app, id, "completed");
    // A finished job cannot be resumed: the old code.
    let got = parts(
        call_service(
            &app,
            TestRequest::post()
                .uri(&format!("/jobs/{id}/resume"))
                .to_request(),
        )
        .await,
    )
    .await;
    let problem = assert_problem(&got, 409, "invalid_state");
    assert!(
        problem["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("completed")),
        "{problem}"
    );
}

#[actix::test]
async fn the_old_error_vocabulary_reaches_old_clients() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    // A key allowed one change a minute: the second is the old code.
    let key = auth
        .create_key(
            printhub_gateway::auth::NewKey {
                name: "curl".into(),
                scope: Scope::Print,
                printers: None,
                expires_at: None,
                rate_limit_per_minute: Some(1),
            },
            "test",
        )
        .expect("key")
        .1;
    let body = || Some(json!({ "content_type": "text_one_line", "data": { "primary_id": "L" } }));
    let first = parts(call_service(&app, keyed("POST", "/print", &key, body())).await).await;
    assert_eq!(first.0, 202, "{}", first.2);
    let resp = call_service(&app, keyed("POST", "/print", &key, body())).await;
    assert!(resp.headers().contains_key("retry-after"));
    let got = parts(resp).await;
    let problem = assert_problem(&got, 429, "rate_limit_exceeded");
    assert!(problem["error_message"].is_string());
    // printhub's own paths keep printhub's code.
    let got = parts(
        call_service(
            &app,
            keyed("POST", "/api/printers/pt/jobs", &key, Some(text_job("M"))),
        )
        .await,
    )
    .await;
    assert_problem(&got, 429, "rate_limited");
    assert_eq!(job_count(&hub).await, 1, "only the first was queued");

    // Every printer disabled: the old special body beside the problem.
    hub.set_printer_enabled("pt", false)
        .await
        .expect("disabled");
    let admin = new_key(&auth, Scope::Admin);
    let got = parts(call_service(&app, keyed("POST", "/print", &admin, body())).await).await;
    let problem = assert_problem(&got, 409, "printer_disabled");
    assert_eq!(
        (problem["error"].as_str(), problem["slug"].as_str()),
        (Some("printer_disabled"), Some("pt"))
    );
    assert_eq!(job_count(&hub).await, 1, "nothing queued");
    // And readiness says degraded, with the checks.
    let got = parts(call_service(&app, keyed("GET", "/readiness", &admin, None)).await).await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.2["status"], "degraded");
    assert_eq!(got.2["checks"]["printer_runtime"]["status"], "fail");
    assert_eq!(got.2["checks"]["engine"]["status"], "ok");
    assert!(got.2["version"].is_string());
}

#[actix::test]
async fn a_printed_code_shows_its_item_without_a_key_only_when_landing_pages_are_public() {
    let fake = fake::start();
    let (hub, _) = hub().await;
    let lookups = || {
        Lookups::new(&LookupsConfig {
            snipeit: Some(
                SourceConfig::new(fake.url("snipe"))
                    .api_key(fake::SNIPE_KEY)
                    .timeout(Duration::from_secs(20)),
            ),
            ..LookupsConfig::default()
        })
        .expect("lookups")
    };
    for public in [true, false] {
        let app = actix_web::test::init_service(
            actix_web::App::new()
                .app_data(actix_web::web::Data::new(hub.clone()))
                .app_data(actix_web::web::Data::new(lookups()))
                .app_data(actix_web::web::Data::new(printhub_gateway::LandingConfig {
                    public,
                }))
                .app_data(actix_web::web::Data::new(auth(None, 600)))
                .configure(printhub_gateway::configure),
        )
        .await;
        // The old /loc code is a landing page again (a Snipe-IT tag).
        let resp = call_service(&app, TestRequest::get().uri("/loc/A-0042").to_request()).await;
        assert_eq!(resp.status(), 200);
        let page =
            String::from_utf8(actix_web::test::read_body(resp).await.to_vec()).expect("utf-8");
        assert!(page.contains("data-app=\"snipeit\""));
        assert!(
            page.contains("\"landing/\""),
            "the page asks for the public summary"
        );
        let got = parts(
            call_service(
                &app,
                TestRequest::get()
                    .uri("/api/landing/snipeit/A-0042")
                    .to_request(),
            )
            .await,
        )
        .await;
        if public {
            assert_eq!(got.0, 200, "{}", got.2);
            assert_eq!(got.2["title"], "Dell & Sons \"XPS\" 13");
            assert_eq!(
                got.2["printers"],
                json!([{ "name": "Test pt", "state": "idle" }])
            );
            // Nothing more than the name and the printers' states.
            let mut keys: Vec<&str> = got
                .2
                .as_object()
                .expect("object")
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(keys, ["app", "id", "printers", "title"]);
        } else {
            assert_problem(&got, 401, "unauthorized");
        }
        // The item's data and the reprint still need a key.
        let got = parts(
            call_service(
                &app,
                TestRequest::get()
                    .uri("/api/lookup/snipeit/A-0042")
                    .to_request(),
            )
            .await,
        )
        .await;
        assert_problem(&got, 401, "unauthorized");
        let req = TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .set_json(json!({ "lookup": { "app": "snipeit", "id": "A-0042" } }))
            .to_request();
        let got = parts(call_service(&app, req).await).await;
        assert_problem(&got, 401, "unauthorized");
    }
    assert_eq!(job_count(&hub).await, 0);
}
