//! What one caller may cost (issue #15): size limits on every text field and
//! element count, unknown fields in `data`, the preview scale range and the
//! preview rate limit, the image gate (a decode waits or is refused when the
//! budget is taken, held open by the test, not by timing), the body deadline
//! with a body that stalls, and the event-stream cap per caller. Every
//! refusal is problem+json and queues nothing.

use crate::support::*;
use actix_web::test::{call_service, TestRequest};
use printhub_gateway::{EventConfig, EventLog, Limits, LimitsConfig, Scope};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The app with its own limits, body limit and events.
macro_rules! limits_app {
    ($hub:expr, $limits:expr) => {
        limits_app!($hub, $limits, BODY_LIMIT)
    };
    ($hub:expr, $limits:expr, $body_limit:expr) => {
        limits_app!(
            $hub,
            $limits,
            $body_limit,
            auth(Some(Scope::Admin), 600),
            EventLog::start($hub.clone(), EventConfig::default())
        )
    };
    ($hub:expr, $limits:expr, $body_limit:expr, $auth:expr, $events:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data(actix_web::web::Data::new($hub.clone()))
                .app_data(actix_web::web::Data::new($auth.clone()))
                .app_data(actix_web::web::Data::new($events.clone()))
                .app_data(actix_web::web::Data::new(printhub_gateway::GatewayConfig {
                    body_limit: $body_limit,
                }))
                .app_data(actix_web::web::Data::new($limits.clone()))
                .configure(printhub_gateway::configure),
        )
        .await
    };
}

fn post(uri: &str, body: &Value) -> actix_http::Request {
    TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_string())
        .to_request()
}

/// A label with `data` for `content_type`.
fn label(content_type: &str, data: Value) -> Value {
    json!({ "content_type": content_type, "data": data })
}

/// A previewed label on `pt`.
fn preview_of(mut body: Value) -> Value {
    body["printer"] = json!("pt");
    body
}

/// A grey PNG of `w` × `h`.
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("header");
        let data: Vec<u8> = (0..w * h).map(|i| (i % 251) as u8).collect();
        writer.write_image_data(&data).expect("data");
    }
    out
}

/// An inline template with `images` image elements.
fn image_template(images: usize) -> Value {
    use base64::Engine as _;
    let logo = base64::engine::general_purpose::STANDARD.encode(png(40, 40));
    let elements: Vec<Value> = (0..images)
        .map(|i| json!({ "type": "image", "x": format!("{}%", i * 20), "w": "20%", "data_base64": logo }))
        .collect();
    json!({ "template": { "name": "logos", "elements": elements }, "data": {} })
}

/// A multipart image upload to `pt`.
fn upload(file: &[u8]) -> actix_http::Request {
    let boundary = "printhub-limits";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"l.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .insert_header((
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .set_payload(body)
        .to_request()
}

/// Polls `ready` (yielding to the runtime) until it holds, [`DEADLINE`] at most.
async fn until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !ready() {
        assert!(Instant::now() < deadline, "never: {what}");
        actix_rt::time::sleep(Duration::from_millis(5)).await;
    }
}

#[actix::test]
async fn oversized_fields_and_templates_are_refused_by_their_limit() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let long = "x".repeat(1001);
    let many = |n: usize, v: Value| vec![v; n];
    let text = json!({ "type": "text", "text": "{title}" });
    let cases: Vec<(&str, Value, &str, usize, usize)> = vec![
        (
            "a primary_id of 1001 characters",
            label("text_one_line", json!({ "primary_id": long })),
            "data.primary_id",
            1000,
            1001,
        ),
        (
            "a title of 1001 multi-byte characters",
            label(
                "text_two_lines",
                json!({ "primary_id": "A", "title": "é".repeat(1001) }),
            ),
            "data.title",
            1000,
            1001,
        ),
        (
            "a secondary line",
            label(
                "qr_three_lines",
                json!({ "qr_payload": "q", "primary_id": "A", "title": "T", "secondary": ["ok", long] }),
            ),
            "data.secondary[1]",
            1000,
            1001,
        ),
        (
            "101 secondary lines",
            label(
                "qr_three_lines",
                json!({ "qr_payload": "q", "primary_id": "A", "title": "T", "secondary": many(101, json!("s")) }),
            ),
            "data.secondary",
            100,
            101,
        ),
        (
            "101 items",
            label(
                "qr_with_listing",
                json!({ "qr_payload": "q", "primary_id": "A", "items": many(101, json!({ "item": "i" })) }),
            ),
            "data.items",
            100,
            101,
        ),
        (
            "a field value",
            json!({ "template": "shelf", "data": { "title": "T", "fields": { "due": long } } }),
            "data.fields.due",
            1000,
            1001,
        ),
        (
            "65 template elements",
            json!({ "template": { "elements": many(65, text) }, "data": { "title": "T" } }),
            "template.elements",
            64,
            65,
        ),
        (
            "5 template images",
            image_template(5),
            "template images",
            4,
            5,
        ),
        (
            "a template text of 1001 characters",
            json!({ "template": { "elements": [{ "type": "text", "text": long }] }, "data": {} }),
            "template.elements[0].text",
            1000,
            1001,
        ),
        (
            "a QR payload longer than a QR code holds",
            label("qr_only", json!({ "qr_payload": "9".repeat(7090) })),
            "data.qr_payload",
            7089,
            7090,
        ),
    ];
    for (what, body, field, limit, actual) in cases {
        for (uri, body) in [
            ("/api/printers/pt/jobs", body.clone()),
            ("/api/render/preview", preview_of(body.clone())),
            (
                "/api/print/pt/batch",
                json!({ "items": [text_job("ok"), body] }),
            ),
        ] {
            let got = parts(call_service(&app, post(uri, &body)).await).await;
            let p = assert_problem(&got, 413, "payload_too_large");
            let detail = &p["error_detail"];
            assert_eq!(
                (
                    detail["field"].as_str(),
                    detail["limit"].as_u64(),
                    detail["actual"].as_u64()
                ),
                (Some(field), Some(limit as u64), Some(actual as u64)),
                "{what} on {uri}: {p}"
            );
            assert!(
                p["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(&limit.to_string())),
                "the message names the limit: {p}"
            );
            if uri.contains("batch") {
                assert_eq!(detail["item"], 1, "{what}: {p}");
            }
        }
    }
    assert_eq!(job_count(&hub).await, 0, "no refused label was queued");
}

#[actix::test]
async fn an_eight_megabyte_primary_id_is_refused_by_its_length_before_rendering() {
    let (hub, _) = hub().await;
    // A body limit above it, as `printhub serve`'s default 8 MiB: the field limit refuses it.
    let app = limits_app!(hub, Limits::default(), 16 << 20);
    let huge = "8".repeat(8_000_000);
    for (uri, body) in [
        (
            "/api/printers/pt/jobs",
            label("text_one_line", json!({ "primary_id": huge })),
        ),
        (
            "/api/render/preview",
            preview_of(label("text_one_line", json!({ "primary_id": huge }))),
        ),
    ] {
        let got = parts(call_service(&app, post(uri, &body)).await).await;
        let p = assert_problem(&got, 413, "payload_too_large");
        assert_eq!(p["error_detail"]["field"], "data.primary_id", "{uri}");
        assert_eq!(p["error_detail"]["actual"], 8_000_000, "{uri}");
    }
    assert_eq!(job_count(&hub).await, 0);
}

#[actix::test]
async fn unknown_fields_inside_data_are_400_and_print_nothing() {
    let (hub, transport) = hub().await;
    let app = app!(hub);
    let typo = label(
        "text_one_line",
        json!({ "primary_id": "A", "primary_idd": "B" }),
    );
    let in_item = label(
        "qr_with_listing",
        json!({ "qr_payload": "q", "primary_id": "A", "items": [{ "item": "i", "qty": 2 }] }),
    );
    for (body, name) in [(typo, "primary_idd"), (in_item, "qty")] {
        for (uri, body) in [
            ("/api/printers/pt/jobs", body.clone()),
            ("/api/render/preview", preview_of(body.clone())),
            ("/api/print/pt/batch", json!({ "items": [body] })),
        ] {
            let got = parts(call_service(&app, post(uri, &body)).await).await;
            let p = assert_problem(&got, 400, "invalid_request");
            assert!(
                p["detail"].as_str().is_some_and(|d| d.contains(name)),
                "{uri}: the message names {name}: {p}"
            );
        }
    }
    assert_eq!(job_count(&hub).await, 0);
    assert!(transport.sent().is_empty(), "nothing printed");
}

#[actix::test]
async fn a_preview_scale_outside_1_to_16_is_422_naming_the_range() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let body = |scale: Value| {
        let mut b = preview_of(text_job("S"));
        b["scale"] = scale;
        b
    };
    for scale in [0, 17, 100_000] {
        let got =
            parts(call_service(&app, post("/api/render/preview", &body(json!(scale)))).await).await;
        let p = assert_problem(&got, 422, "out_of_range");
        assert_eq!(
            p["error_detail"],
            json!({ "field": "scale", "min": 1, "max": 16, "actual": scale }),
            "{p}"
        );
        assert!(
            p["detail"].as_str().is_some_and(|d| d.contains("1..=16")),
            "{p}"
        );
    }
    for scale in [1, 16] {
        let resp = call_service(&app, post("/api/render/preview", &body(json!(scale)))).await;
        assert_eq!(resp.status(), 200, "scale {scale}");
    }
    assert_eq!(job_count(&hub).await, 0);
}

#[actix::test]
async fn previews_have_their_own_rate_limit_per_caller() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let limits = Limits::new(LimitsConfig {
        preview_rate_limit_per_minute: 2,
        ..LimitsConfig::default()
    });
    let events = EventLog::start(hub.clone(), EventConfig::default());
    let app = limits_app!(hub, limits, BODY_LIMIT, auth, events);
    let (first, second) = (new_key(&auth, Scope::Print), new_key(&auth, Scope::Print));
    let preview = |key: &str| {
        TestRequest::post()
            .uri("/api/render/preview")
            .insert_header(("authorization", format!("Bearer {key}")))
            .set_json(preview_of(text_job("P")))
            .to_request()
    };
    for n in 0..2 {
        assert_eq!(
            call_service(&app, preview(&first)).await.status(),
            200,
            "preview {n}"
        );
    }
    let resp = call_service(&app, preview(&first)).await;
    let wait = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(wait.is_some_and(|s| s >= 1), "Retry-After: {wait:?}");
    let p = assert_problem(&parts(resp).await, 429, "rate_limited");
    assert_eq!(p["error_detail"]["limit_per_minute"], 2, "{p}");
    // Another key has its own previews; the first key may still print.
    assert_eq!(call_service(&app, preview(&second)).await.status(), 200);
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .insert_header(("authorization", format!("Bearer {first}")))
        .set_json(text_job("STILL"))
        .to_request();
    assert_eq!(call_service(&app, req).await.status(), 202);
    assert_eq!(job_count(&hub).await, 1);
}

#[actix::test]
async fn an_upload_waits_for_the_image_gate_and_prints_once_it_frees() {
    let (hub, _) = hub().await;
    let limits = Limits::new(LimitsConfig {
        image_decodes: 1,
        image_queue: 1,
        ..LimitsConfig::default()
    });
    let app = limits_app!(hub, limits);
    // The only decode slot is taken (as by a decode in progress).
    let held = limits.reserve_decode(0).await.expect("slot");
    let file = png(300, 100);
    let (got, ()) = futures_util::future::join(
        async { parts(call_service(&app, upload(&file)).await).await },
        async {
            until("the upload waits at the gate", || {
                limits.decodes_waiting() == 1
            })
            .await;
            assert_eq!(job_count(&hub).await, 0, "nothing queued while it waits");
            drop(held);
        },
    )
    .await;
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!((limits.decodes_running(), limits.decodes_waiting()), (0, 0));
    assert_eq!(job_count(&hub).await, 1);
}

#[actix::test]
async fn image_work_past_the_queue_is_503_with_retry_after_and_text_is_not_gated() {
    let (hub, _) = hub().await;
    let limits = Limits::new(LimitsConfig {
        image_decodes: 1,
        image_queue: 0,
        ..LimitsConfig::default()
    });
    let app = limits_app!(hub, limits);
    let held = limits.reserve_decode(0).await.expect("slot");
    let refused = [
        upload(&png(300, 100)),
        post("/api/render/preview", &preview_of(image_template(1))),
        post("/api/printers/pt/jobs", &image_template(1)),
        post(
            "/api/print/pt/batch",
            &json!({ "items": [text_job("T"), image_template(2)] }),
        ),
    ];
    for req in refused {
        let resp = call_service(&app, req).await;
        assert_eq!(
            resp.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("2")
        );
        let p = assert_problem(&parts(resp).await, 503, "overloaded");
        assert!(
            p.get("error_detail")
                .is_none_or(|d| d.get("item").is_none()),
            "{p}"
        );
    }
    // Labels without images never wait for the image gate.
    let resp = call_service(&app, post("/api/printers/pt/jobs", &text_job("TEXT"))).await;
    assert_eq!(resp.status(), 202);
    let resp = call_service(
        &app,
        post("/api/render/preview", &preview_of(text_job("T"))),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(job_count(&hub).await, 1, "only the text label");
    drop(held);
    let resp = call_service(&app, upload(&png(300, 100))).await;
    assert_eq!(resp.status(), 202, "the gate is free again");
}

#[actix::test]
async fn an_image_whose_decode_needs_more_than_the_whole_budget_names_it() {
    let (hub, _) = hub().await;
    let limits = Limits::new(LimitsConfig {
        image_memory: 4 << 20,
        ..LimitsConfig::default()
    });
    let app = limits_app!(hub, limits);
    let got = parts(call_service(&app, upload(&png(300, 100))).await).await;
    let p = assert_problem(&got, 422, "image_too_large");
    assert_eq!(p["error_detail"]["limit"], 4 << 20, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("image_memory_mb")),
        "{p}"
    );
    // Too many pixels in one request, summed over a batch's labels.
    let encoded = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(png(4000, 2600))
    };
    let big = json!({ "template": { "elements": [{ "type": "image", "data_base64": encoded }] }, "data": {} });
    let batch = json!({ "items": [big.clone(), big.clone(), big.clone(), big.clone()] });
    let app = limits_app!(hub, Limits::default(), 32 << 20);
    let got = parts(call_service(&app, post("/api/print/pt/batch", &batch)).await).await;
    let p = assert_problem(&got, 413, "payload_too_large");
    assert_eq!(
        (
            p["error_detail"]["field"].as_str(),
            p["error_detail"]["limit"].as_u64()
        ),
        (Some("images"), Some(printhub_render::MAX_IMAGE_PIXELS)),
        "{p}"
    );
    assert_eq!(job_count(&hub).await, 0);
    assert_eq!(limits.decodes_running(), 0);
}

/// A request whose body sends `first` and then nothing, ever.
fn stalled(uri: &str, content_type: &str, first: &'static [u8]) -> actix_http::Request {
    use futures_util::StreamExt as _;
    let chunks = futures_util::stream::once(async move {
        Ok::<_, actix_http::error::PayloadError>(actix_web::web::Bytes::from_static(first))
    })
    .chain(futures_util::stream::pending());
    let stream: actix_http::BoxedPayloadStream = Box::pin(chunks);
    let req = TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", content_type))
        .insert_header(("content-length", "4096"))
        .to_request();
    req.replace_payload(actix_http::Payload::from(stream)).0
}

#[actix::test]
async fn a_body_that_stalls_is_cut_off_with_408_and_queues_nothing() {
    let (hub, _) = hub().await;
    let limits = Limits::new(LimitsConfig {
        body_timeout: Duration::from_millis(50),
        ..LimitsConfig::default()
    });
    let app = limits_app!(hub, limits);
    for req in [
        stalled("/api/printers/pt/jobs", "application/json", b"{\"con"),
        stalled("/api/render/preview", "application/json", b"{"),
        stalled("/api/print/pt/batch", "application/json", b"{\"it"),
        stalled(
            "/api/printers/pt/jobs",
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\x89PNG",
        ),
    ] {
        let got = parts(call_service(&app, req).await).await;
        let p = assert_problem(&got, 408, "request_timeout");
        assert_eq!(p["error_detail"]["timeout_ms"], 50, "{p}");
    }
    assert_eq!(job_count(&hub).await, 0);
}

#[actix::test]
async fn one_key_cannot_take_every_event_stream() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let events = EventLog::start(
        hub.clone(),
        EventConfig {
            max_subscribers: 4,
            max_per_caller: 2,
            ..EventConfig::default()
        },
    );
    let app = limits_app!(hub, Limits::default(), BODY_LIMIT, auth, events);
    let (greedy, other) = (new_key(&auth, Scope::Read), new_key(&auth, Scope::Read));
    let open = |key: &str| {
        TestRequest::get()
            .uri("/api/events")
            .insert_header(("authorization", format!("Bearer {key}")))
            .to_request()
    };
    let first = call_service(&app, open(&greedy)).await;
    let second = call_service(&app, open(&greedy)).await;
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    let resp = call_service(&app, open(&greedy)).await;
    assert!(resp.headers().contains_key("retry-after"));
    let p = assert_problem(&parts(resp).await, 429, "too_many_subscribers");
    assert_eq!(p["error_detail"]["per_caller"], 2, "{p}");
    // Another key still gets a stream; the greedy one gets one back when it closes one.
    let third = call_service(&app, open(&other)).await;
    assert_eq!(third.status(), 200);
    assert_eq!(events.open_streams(), 3);
    drop(first);
    assert_eq!(
        events.open_streams(),
        2,
        "the slot is freed with its stream"
    );
    let again = call_service(&app, open(&greedy)).await;
    assert_eq!(again.status(), 200);
    // The refusals held no slot.
    assert_eq!(events.open_streams(), 3);
    drop((second, third, again));
    assert_eq!(events.open_streams(), 0);
}

#[actix::test]
async fn a_printer_name_is_at_most_100_characters() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let printer = |name: String| json!({ "slug": "ql", "name": name, "model": "QL-820NWB", "media": "dk-62", "address": "127.0.0.1:9" });
    let long = "N".repeat(101);
    let got = parts(call_service(&app, post("/api/printers", &printer(long.clone()))).await).await;
    let p = assert_problem(&got, 400, "invalid_request");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("name has 101 characters; at most 100")),
        "{p}"
    );
    let req = TestRequest::patch()
        .uri("/api/printers/pt")
        .set_json(json!({ "name": long }))
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        400,
        "invalid_request",
    );
    assert_eq!(
        hub.list_printers().await.expect("list").len(),
        1,
        "nothing added"
    );
    assert_eq!(
        hub.printer("pt").await.expect("pt").name,
        "Test pt",
        "nothing changed"
    );
    let got =
        parts(call_service(&app, post("/api/printers", &printer("é".repeat(100)))).await).await;
    assert_eq!(got.0, 201, "exactly the limit: {}", got.2);
}
