//! Printing: content types, batches, previews.

use crate::support::*;
use actix_web::test::{call_service, TestRequest};
use serde_json::json;

#[actix::test]
async fn a_content_type_is_accepted_and_printed() {
    let (hub, transport) = hub().await;
    let app = app!(hub);
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(json!({
            "content_type": "qr_one_line",
            "data": { "qr_payload": "https://example.com/b/42", "primary_id": "BOX-42" },
            "copies": 2,
            "options": { "cut": true },
        }))
        .to_request();
    let (status, _, job) = parts(call_service(&app, req).await).await;
    assert_eq!(status, 202, "{job}");
    assert!(
        job["state"] == "queued" || job["state"] == "printing",
        "{job}"
    );
    assert_eq!(job["copies"], 2);
    assert_eq!(job["content_type"], "qr_one_line");
    let created = job["created_at"].as_str().expect("created_at");
    assert!(created.ends_with('Z') && created.contains('T'), "{created}");
    let done = wait_state!(app, job["id"].as_str().expect("id"), "completed");
    assert_eq!(done["copies_printed"], 2);
    assert!(done["finished_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(transport.sent().len(), 2);
}

#[actix::test]
async fn a_batch_is_accepted_and_summarised() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let items: Vec<_> = (0..3).map(|i| text_job(&format!("B-{i}"))).collect();
    let body = post_batch(&app, "pt", items).await;
    let batch = body["batch_id"].as_str().expect("batch id").to_string();
    assert_eq!(body["job_ids"].as_array().map(Vec::len), Some(3));
    let deadline = std::time::Instant::now() + DEADLINE;
    let view = loop {
        let req = TestRequest::get()
            .uri(&format!("/api/batches/{batch}"))
            .to_request();
        let (status, _, view) = parts(call_service(&app, req).await).await;
        assert_eq!(status, 200, "{view}");
        if view["all_terminal"] == true {
            break view;
        }
        assert!(std::time::Instant::now() < deadline, "{view}");
        pause().await;
    };
    assert_eq!(view["total"], 3);
    assert_eq!(view["summary"]["completed"], 3);
    assert_eq!(view["summary"]["queued"], 0);
    let req = TestRequest::get()
        .uri(&format!("/api/jobs?batch={batch}&state=completed&limit=2"))
        .to_request();
    let (status, _, page) = parts(call_service(&app, req).await).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["jobs"].as_array().map(Vec::len), Some(2));
}

#[actix::test]
async fn preview_is_a_png_of_the_printable_width() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    for target in [
        json!({ "model": "PT-P750W", "media": "tze-12" }),
        json!({ "printer": "pt" }),
    ] {
        let mut body = text_job("PREVIEW");
        for (k, v) in target.as_object().expect("object") {
            body[k] = v.clone();
        }
        let req = TestRequest::post()
            .uri("/api/render/preview")
            .set_json(body)
            .to_request();
        let resp = call_service(&app, req).await;
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(
            resp.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("image/png")
        );
        let bytes = actix_web::test::read_body(resp).await;
        let reader = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()))
            .read_info()
            .expect("a png");
        let model = printhub_raster::Model::by_name("PT-P750W").expect("model");
        let media = printhub_raster::Media::by_id("tze-12").expect("media");
        let printable = printhub_raster::geometry(model, media)
            .expect("geometry")
            .printable();
        assert_eq!(reader.info().width, u32::from(printable));
    }
    assert_eq!(job_count(&hub).await, 0);
}

#[actix::test]
async fn printers_are_listed_without_the_snmp_community() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let req = TestRequest::get().uri("/api/printers").to_request();
    let resp = call_service(&app, req).await;
    let raw = actix_web::test::read_body(resp).await;
    let text = String::from_utf8_lossy(&raw);
    assert!(!text.contains("s3cret"), "{text}");
    let list: serde_json::Value = serde_json::from_slice(&raw).expect("json");
    let p = &list[0];
    for field in [
        "id",
        "slug",
        "name",
        "model",
        "address",
        "media",
        "state",
        "queue_depth",
        "enabled",
        "status",
    ] {
        assert!(!p[field].is_null(), "{field} in {p}");
    }
    let req = TestRequest::get()
        .uri("/api/printers/pt/status")
        .to_request();
    let (status, _, body) = parts(call_service(&app, req).await).await;
    assert_eq!(status, 200, "{body}");
    let req = TestRequest::post()
        .uri("/api/printers/pt/pause")
        .to_request();
    let (status, _, body) = parts(call_service(&app, req).await).await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("paused")),
        "{body}"
    );
    let req = TestRequest::get().uri("/healthz").to_request();
    let (status, _, body) = parts(call_service(&app, req).await).await;
    assert_eq!(status, 200);
    assert!(body["version"].is_string());
    let req = TestRequest::get().uri("/readyz").to_request();
    let (status, _, body) = parts(call_service(&app, req).await).await;
    assert_eq!(status == 200, body["ready"] == true, "{body}");
    assert_eq!(body["printers"][0]["slug"], "pt", "{body}");
}

#[actix::test]
async fn an_offline_printer_says_since_when() {
    let (hub, transport) = hub().await;
    let app = app!(hub);
    let view = |uri: &'static str| {
        let app = &app;
        async move {
            let got =
                parts(call_service(app, TestRequest::get().uri(uri).to_request()).await).await;
            assert_eq!(got.0, 200, "{uri}: {}", got.2);
            got.2
        }
    };
    assert!(view("/api/printers/pt").await["offline_since"].is_null());
    // The printer stops answering; a job sent to it takes it offline.
    transport.set_probe(printhub_core::ObservedStatus::unreachable());
    transport.push_outcome(Err(printhub_actors::TransportError::Unreachable(
        "connection refused".into(),
    )));
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(text_job("WAIT"))
        .to_request();
    assert_eq!(call_service(&app, req).await.status(), 202);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let printer = loop {
        let p = view("/api/printers/pt").await;
        if p["state"] == "offline" {
            break p;
        }
        assert!(std::time::Instant::now() < deadline, "never offline: {p}");
        pause().await;
    };
    let since = match hub.printer("pt").await.expect("pt").state {
        printhub_core::PrinterState::Offline { since } => printhub_gateway::dto::rfc3339(since),
        other => panic!("the engine says {other:?}"),
    };
    assert!(since.ends_with('Z'), "{since}");
    assert_eq!(printer["offline_since"], since.as_str(), "{printer}");
    assert_eq!(
        printer["status"]["offline_since"],
        since.as_str(),
        "{printer}"
    );
    let listed = view("/api/printers").await;
    assert_eq!(listed[0]["offline_since"], since.as_str(), "{listed}");
    let status = view("/api/printers/pt/status").await;
    assert_eq!(status["offline_since"], since.as_str(), "{status}");
    // Back: no longer offline, so no `offline_since`.
    transport.set_probe(printhub_core::ObservedStatus::ready());
    let req = TestRequest::post()
        .uri("/api/printers/pt/resume")
        .to_request();
    assert_eq!(call_service(&app, req).await.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let p = view("/api/printers/pt").await;
        if p["state"] != "offline" {
            assert!(p["offline_since"].is_null(), "{p}");
            assert!(p["status"]["offline_since"].is_null(), "{p}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still offline: {p}");
        pause().await;
    }
}

/// A multipart/form-data body with the given (name, filename?, bytes) parts.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "printhub-test-boundary";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[actix::test]
async fn an_uploaded_image_prints_and_bad_uploads_queue_nothing() {
    let (hub, transport) = hub().await;
    let app = app!(hub);
    // A PNG of the right width: the preview of a QR label on the same printer.
    let req = TestRequest::post()
        .uri("/api/render/preview")
        .set_json(json!({"printer": "pt", "content_type": "qr_only", "data": {"qr_payload": "up"}}))
        .to_request();
    let png = actix_web::test::read_body(call_service(&app, req).await)
        .await
        .to_vec();
    let upload = |parts: &[(&str, Option<&str>, &[u8])]| {
        let (content_type, body) = multipart(parts);
        TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .insert_header(("content-type", content_type))
            .set_payload(body)
            .to_request()
    };
    for (form, status, code) in [
        (
            vec![("file", Some("x.png"), &b"not an image"[..])],
            422,
            "image_decode",
        ),
        (vec![("copies", None, &b"2"[..])], 400, "invalid_request"),
        (
            vec![
                ("file", Some("l.png"), &png[..]),
                ("copies", None, &b"0"[..]),
            ],
            400,
            "invalid_request",
        ),
        (
            vec![
                ("file", Some("l.png"), &png[..]),
                ("colour", None, &b"red"[..]),
            ],
            400,
            "invalid_request",
        ),
    ] {
        let got = parts(call_service(&app, upload(&form)).await).await;
        assert_problem(&got, status, code);
    }
    assert_eq!(job_count(&hub).await, 0, "no bad upload queued anything");
    let got = parts(
        call_service(
            &app,
            upload(&[
                ("file", Some("l.png"), &png),
                ("copies", None, b"2"),
                ("dither", None, b"threshold"),
            ]),
        )
        .await,
    )
    .await;
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!(got.2["content_type"], "image");
    let id = got.2["id"].as_str().expect("id").to_string();
    wait_state!(&app, id, "completed");
    assert_eq!(
        transport.sent().len(),
        2,
        "both copies of the uploaded image print"
    );
}

/// Issue #24: the print form previews an upload through the preview route
/// (multipart), and the preview is exactly what the upload then prints.
#[actix::test]
async fn an_uploaded_image_previews_as_it_prints_and_bad_forms_are_refused() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let req = TestRequest::post()
        .uri("/api/render/preview")
        .set_json(json!({"printer": "pt", "content_type": "qr_only", "data": {"qr_payload": "up"}}))
        .to_request();
    let png = actix_web::test::read_body(call_service(&app, req).await)
        .await
        .to_vec();
    let post = |uri: &str, parts: &[(&str, Option<&str>, &[u8])]| {
        let (content_type, body) = multipart(parts);
        TestRequest::post()
            .uri(uri)
            .insert_header(("content-type", content_type))
            .set_payload(body)
            .to_request()
    };
    for (form, status, code, field) in [
        (
            vec![
                ("file", Some("x.png"), &b"not an image"[..]),
                ("printer", None, &b"pt"[..]),
            ],
            422,
            "image_decode",
            None,
        ),
        (
            vec![("file", Some("l.png"), &png[..])],
            400,
            "invalid_request",
            Some("printer"),
        ),
        (
            vec![("printer", None, &b"pt"[..])],
            400,
            "invalid_request",
            Some("file"),
        ),
        (
            vec![
                ("file", Some("l.png"), &png[..]),
                ("printer", None, &b"nope"[..]),
            ],
            404,
            "printer_not_found",
            None,
        ),
        (
            vec![
                ("file", Some("l.png"), &png[..]),
                ("printer", None, &b"pt"[..]),
                ("dither", None, &b"sharp"[..]),
            ],
            400,
            "invalid_request",
            None,
        ),
    ] {
        let got = parts(call_service(&app, post("/api/render/preview", &form)).await).await;
        assert_problem(&got, status, code);
        if let Some(field) = field {
            assert_eq!(got.2["error_detail"]["field"], field, "{}", got.2);
        }
    }
    // `printer` is a preview's field only: the job route still refuses it.
    let got = parts(
        call_service(
            &app,
            post(
                "/api/printers/pt/jobs",
                &[("file", Some("l.png"), &png), ("printer", None, b"pt")],
            ),
        )
        .await,
    )
    .await;
    assert_problem(&got, 400, "invalid_request");
    assert_eq!(job_count(&hub).await, 0, "a preview queues nothing");
    // The preview of the upload is the raster the upload prints.
    for dither in ["threshold", "floyd_steinberg"] {
        let resp = call_service(
            &app,
            post(
                "/api/render/preview",
                &[
                    ("file", Some("l.png"), &png),
                    ("printer", None, b"pt"),
                    ("dither", None, dither.as_bytes()),
                ],
            ),
        )
        .await;
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(
            resp.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("image/png")
        );
        let previewed = actix_web::test::read_body(resp).await;
        let got = parts(
            call_service(
                &app,
                post(
                    "/api/printers/pt/jobs",
                    &[
                        ("file", Some("l.png"), &png),
                        ("dither", None, dither.as_bytes()),
                    ],
                ),
            )
            .await,
        )
        .await;
        assert_eq!(got.0, 202, "{}", got.2);
        let uri = format!("/api/jobs/{}/preview", got.2["id"].as_str().expect("id"));
        let stored = actix_web::test::read_body(
            call_service(&app, TestRequest::get().uri(&uri).to_request()).await,
        )
        .await;
        assert_eq!(previewed, stored, "{dither}: the preview is what prints");
    }
    assert_eq!(job_count(&hub).await, 2);
}

/// Issue #24: free text labels through the API: previewed and printed
/// alike, recorded as `text`, and every bad request refused with its code,
/// nothing queued.
#[actix::test]
async fn free_text_previews_and_prints_and_bad_text_is_refused() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let text = json!({ "lines": ["Kitchen", "spices"], "bold": true, "align": "center" });
    for (body, status, code) in [
        (
            json!({ "text": { "lines": [" ", ""] } }),
            422,
            "content_type_data_mismatch",
        ),
        (
            json!({ "text": { "lines": ["x"], "size_pt": 500 } }),
            422,
            "out_of_range",
        ),
        (
            json!({ "text": { "lines": ["x"], "size_pt": 90 } }),
            422,
            "does_not_fit",
        ),
        (
            json!({ "text": { "lines": ["x"], "align": "justify" } }),
            400,
            "invalid_request",
        ),
        (
            json!({ "text": { "lines": ["x"], "colour": "red" } }),
            400,
            "invalid_request",
        ),
        (
            json!({ "text": text, "content_type": "qr_only" }),
            400,
            "invalid_request",
        ),
        (
            json!({ "text": text, "data": { "title": "t" } }),
            400,
            "invalid_request",
        ),
        (
            json!({ "text": { "lines": vec!["x"; 21] } }),
            413,
            "payload_too_large",
        ),
    ] {
        let req = TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .set_json(&body)
            .to_request();
        let got = parts(call_service(&app, req).await).await;
        let problem = assert_problem(&got, status, code);
        if code == "does_not_fit" {
            assert_eq!(problem["error_detail"]["what"], "size_pt", "{problem}");
        }
        if body.get("content_type").is_some() {
            assert_eq!(
                problem["error_detail"]["fields"],
                json!(["text", "content_type"])
            );
        }
        if code == "content_type_data_mismatch" {
            assert_eq!(problem["error_detail"]["missing"], json!(["lines"]));
        }
    }
    assert_eq!(job_count(&hub).await, 0, "nothing bad was queued");
    let resp = call_service(
        &app,
        TestRequest::post()
            .uri("/api/render/preview")
            .set_json(json!({ "printer": "pt", "text": text }))
            .to_request(),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    let previewed = actix_web::test::read_body(resp).await;
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(json!({ "text": text, "copies": 2 }))
        .to_request();
    let (status, _, job) = parts(call_service(&app, req).await).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["content_type"], "text");
    let uri = format!("/api/jobs/{}/preview", job["id"].as_str().expect("id"));
    let stored = actix_web::test::read_body(
        call_service(&app, TestRequest::get().uri(&uri).to_request()).await,
    )
    .await;
    assert_eq!(previewed, stored, "the preview is what prints");
}

#[actix::test]
async fn a_jobs_stored_raster_previews_as_the_render_preview_did() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let label = json!({
        "content_type": "qr_one_line",
        "data": { "qr_payload": "https://example.com/b/7", "primary_id": "BOX-7" },
    });
    let mut preview_req = label.clone();
    preview_req["printer"] = json!("pt");
    let resp = call_service(
        &app,
        TestRequest::post()
            .uri("/api/render/preview")
            .set_json(preview_req)
            .to_request(),
    )
    .await;
    assert_eq!(resp.status().as_u16(), 200);
    let rendered = actix_web::test::read_body(resp).await;
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(label)
        .to_request();
    let (status, _, job) = parts(call_service(&app, req).await).await;
    assert_eq!(status, 202, "{job}");
    let uri = format!("/api/jobs/{}/preview", job["id"].as_str().expect("id"));
    let resp = call_service(&app, TestRequest::get().uri(&uri).to_request()).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    let stored = actix_web::test::read_body(resp).await;
    assert_eq!(stored, rendered, "the stored raster is the previewed label");
    let missing = format!("/api/jobs/{}/preview", uuid_like());
    let got = parts(call_service(&app, TestRequest::get().uri(&missing).to_request()).await).await;
    assert_problem(&got, 404, "job_not_found");
}

fn uuid_like() -> &'static str {
    "00000000-0000-4000-8000-000000000000"
}
