//! Lookups, print-by-lookup, webhooks and landing pages over HTTP, against
//! the fake Grocy, Snipe-IT and Spoolman servers: every lookup error maps to
//! its status (404, 409, 502, never 500) and queues nothing.

use crate::fake::{self, Fake};
use crate::support::*;
use actix_web::test::{call_service, read_body, TestRequest};
use printhub_gateway::{GenericWebhook, GrocyWebhook, WebhookConfig};
use printhub_lookup::{Lookups, LookupsConfig, Secret, SourceConfig};
use serde_json::{json, Value};
use std::time::Duration;

const GROCY_TOKEN: &str = "grocy-token-0123456789";
const HOOK_TOKEN: &str = "freezer-token-0123456789";
/// The browser origin of the Grocy page allowed to call the webhook client-side.
const GROCY_ORIGIN: &str = "https://grocy.example.com";

/// The lookup timeout of an upstream that never answers.
const SHORT: Duration = Duration::from_millis(300);
/// The lookup timeout of every upstream that does answer, well-behaved or not:
/// far above what an answer takes even on a loaded machine, so the answer and
/// not the clock decides the outcome.
const ANSWERS: Duration = Duration::from_secs(20);

/// Every app configured against `fake`.
fn lookups(fake: &Fake) -> Lookups {
    Lookups::new(&LookupsConfig {
        grocy: Some(
            SourceConfig::new(fake.url("grocy"))
                .api_key(fake::GROCY_KEY)
                .timeout(ANSWERS),
        ),
        snipeit: Some(
            SourceConfig::new(fake.url("snipe"))
                .api_key(fake::SNIPE_KEY)
                .timeout(ANSWERS),
        ),
        spoolman: Some(SourceConfig::new(fake.url("spoolman")).timeout(ANSWERS)),
        ..LookupsConfig::default()
    })
    .expect("lookups")
}

/// Grocy's webhook without a default printer, and one generic webhook on `pt`.
fn webhooks(grocy_printer: Option<&str>) -> WebhookConfig {
    WebhookConfig {
        grocy: Some(GrocyWebhook {
            token: Secret::new(GROCY_TOKEN),
            printer: grocy_printer.map(str::to_string),
            template: None,
            allowed_origins: vec![GROCY_ORIGIN.into()],
            rate_limit_per_minute: None,
        }),
        hooks: vec![GenericWebhook {
            name: "freezer".into(),
            token: Secret::new(HOOK_TOKEN),
            printer: "pt".into(),
            template: "shelf".into(),
            rate_limit_per_minute: None,
        }],
    }
}

/// The app with lookups and webhooks.
macro_rules! lookup_app {
    ($hub:expr, $lookups:expr, $webhooks:expr) => {
        lookup_app!(
            $hub,
            $lookups,
            $webhooks,
            printhub_gateway::Limits::default()
        )
    };
    ($hub:expr, $lookups:expr, $webhooks:expr, $limits:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data(actix_web::web::Data::new($hub.clone()))
                .app_data(actix_web::web::Data::new(printhub_gateway::GatewayConfig {
                    body_limit: BODY_LIMIT,
                }))
                .app_data(actix_web::web::Data::new($lookups))
                .app_data(actix_web::web::Data::new($webhooks))
                .app_data(actix_web::web::Data::new($limits))
                .app_data(actix_web::web::Data::new($crate::support::auth(
                    Some(printhub_gateway::Scope::Admin),
                    600,
                )))
                .configure(printhub_gateway::configure),
        )
        .await
    };
}

/// The app with webhooks and no lookups (webhooks never call an upstream).
macro_rules! webhook_app {
    ($hub:expr, $grocy_printer:expr) => {
        lookup_app!(
            $hub,
            Lookups::new(&LookupsConfig::default()).expect("none"),
            webhooks($grocy_printer)
        )
    };
}

macro_rules! get {
    ($app:expr, $uri:expr) => {
        parts(call_service(&$app, TestRequest::get().uri($uri).to_request()).await).await
    };
}

macro_rules! post {
    ($app:expr, $uri:expr, $body:expr) => {
        parts(
            call_service(
                &$app,
                TestRequest::post().uri($uri).set_json($body).to_request(),
            )
            .await,
        )
        .await
    };
}

/// A form-encoded POST.
macro_rules! post_form {
    ($app:expr, $uri:expr, $pairs:expr) => {{
        let body = serde_urlencoded_string($pairs);
        let req = TestRequest::post()
            .uri($uri)
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body)
            .to_request();
        parts(call_service(&$app, req).await).await
    }};
}

fn serde_urlencoded_string(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[actix::test]
async fn a_lookup_answers_the_item_with_its_template() {
    let fake = fake::start();
    let (hub, _) = hub().await;
    let app = lookup_app!(hub, lookups(&fake), webhooks(None));
    let got = get!(app, "/api/lookup/snipeit/A-0042");
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.2["app"], "snipeit");
    assert_eq!(got.2["id"], "A-0042");
    assert_eq!(got.2["title"], "Dell & Sons \"XPS\" 13");
    assert_eq!(got.2["template"], "asset_tag");
    assert_eq!(got.2["data"]["primary_id"], "A-0042");
    assert_eq!(got.2["url"], format!("{}hardware/42", fake.url("snipe")));
    // A tag with a slash, percent-encoded in printhub's path, reaches
    // Snipe-IT with the slash as is (an encoded one is Apache's 404 there).
    let got = get!(app, "/api/lookup/snipeit/IT%2F0042");
    assert_eq!(
        (got.0, got.2["id"].as_str()),
        (200, Some("IT/0042")),
        "{}",
        got.2
    );

    let got = get!(app, "/api/lookup/grocy/grcy:p:12:6630ab3c1f2e1");
    assert_eq!(
        (got.0, got.2["template"].as_str()),
        (200, Some("product")),
        "{}",
        got.2
    );
    assert_eq!(got.2["data"]["secondary"], json!(["2026-05-01"]));

    // Spoolman's QR payload, percent-encoded in the path, in the case Spoolman
    // prints it (upper) and any other; printhub's QR is the upper-case form.
    for uri in [
        "/api/lookup/spoolman/web%2Bspoolman%3As-3",
        "/api/lookup/spoolman/WEB%2BSPOOLMAN%3AS-3",
        "/api/lookup/spoolman/Web%2BSpoolman%3As-3",
    ] {
        let got = get!(app, uri);
        assert_eq!(
            (got.0, got.2["title"].as_str()),
            (200, Some("Prusament PLA")),
            "{uri}: {}",
            got.2
        );
        assert_eq!(got.2["data"]["qr_payload"], "WEB+SPOOLMAN:S-3", "{uri}");
    }
}

#[actix::test]
async fn lookup_errors_map_to_their_status_and_never_to_500() {
    let fake = fake::start();
    let (hub, _) = hub().await;
    let app = lookup_app!(hub, lookups(&fake), webhooks(None));
    let p = assert_problem(
        &get!(app, "/api/lookup/snipeit/NOPE-1"),
        404,
        "lookup_not_found",
    );
    assert_eq!(p["error_detail"]["app"], "snipeit");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Asset does not exist.")),
        "{p}"
    );
    assert_problem(&get!(app, "/api/lookup/grocy/99"), 404, "lookup_not_found");
    let p = assert_problem(
        &get!(app, "/api/lookup/snipeit/DUP-1"),
        409,
        "lookup_ambiguous",
    );
    assert_eq!(
        p["error_detail"]["candidates"].as_array().map(Vec::len),
        Some(2)
    );
    let p = assert_problem(&get!(app, "/api/lookup/homebox/1"), 400, "invalid_request");
    assert_eq!(
        p["error_detail"]["known"],
        json!(["grocy", "snipeit", "spoolman"])
    );

    // An upstream that is down, slow, erroring or answering garbage: 502 with the reason.
    let broken = |prefix: &str, timeout: Duration| {
        Lookups::new(&LookupsConfig {
            grocy: Some(
                SourceConfig::new(fake.url(prefix))
                    .api_key(fake::GROCY_KEY)
                    .timeout(timeout),
            ),
            snipeit: None,
            spoolman: Some(SourceConfig::new(fake::closed_port_url()).timeout(ANSWERS)),
            ..LookupsConfig::default()
        })
        .expect("lookups")
    };
    for (prefix, timeout, reason) in [
        ("slow", SHORT, "no complete answer"),
        ("5xx", ANSWERS, "HTTP 503"),
        ("garbage", ANSWERS, "malformed JSON"),
        ("huge", ANSWERS, "larger than"),
    ] {
        let app = lookup_app!(hub, broken(prefix, timeout), webhooks(None));
        let p = assert_problem(&get!(app, "/api/lookup/grocy/12"), 502, "lookup_failed");
        assert!(
            p["error_detail"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains(reason)),
            "{prefix}: {p}"
        );
        let p = assert_problem(&get!(app, "/api/lookup/spoolman/3"), 502, "lookup_failed");
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains("cannot connect")),
            "{p}"
        );
        // Not configured here: a clear 409.
        let p = assert_problem(
            &get!(app, "/api/lookup/snipeit/A-0042"),
            409,
            "lookup_not_configured",
        );
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains("[integrations.snipeit]")),
            "{p}"
        );
    }

    // No lookups at all.
    let bare = app!(hub);
    assert_problem(
        &get!(bare, "/api/lookup/grocy/12"),
        409,
        "lookup_not_configured",
    );
    assert_eq!(job_count(&hub).await, 0);
}

#[actix::test]
async fn integrations_tell_what_is_configured_and_no_secret() {
    let fake = fake::start();
    let (hub, _) = hub().await;
    let only_spoolman = Lookups::new(&LookupsConfig {
        spoolman: Some(SourceConfig::new(fake.url("spoolman")).timeout(ANSWERS)),
        ..LookupsConfig::default()
    })
    .expect("lookups");
    let app = lookup_app!(hub, only_spoolman, webhooks(None));
    let got = get!(app, "/api/integrations");
    assert_eq!(got.0, 200);
    assert_eq!(
        got.2,
        json!([
            {"app": "grocy", "configured": false, "webhook": true},
            {"app": "snipeit", "configured": false},
            {"app": "spoolman", "configured": true},
        ])
    );
    let app = lookup_app!(hub, lookups(&fake), webhooks(None));
    let (_, _, body) = get!(app, "/api/integrations");
    let text = body.to_string();
    for secret in [GROCY_TOKEN, HOOK_TOKEN, fake::GROCY_KEY, fake::SNIPE_KEY] {
        assert!(!text.contains(secret), "{text}");
    }
    let bare = app!(hub);
    let (_, _, body) = get!(bare, "/api/integrations");
    assert!(
        body.as_array()
            .is_some_and(|a| a.iter().all(|i| i["configured"] == false)),
        "{body}"
    );
}

#[actix::test]
async fn a_job_a_batch_and_a_preview_print_by_lookup() {
    let fake = fake::start();
    let (hub, _) = hub().await;
    let app = lookup_app!(hub, lookups(&fake), webhooks(None));
    let got = post!(
        app,
        "/api/printers/pt/jobs",
        json!({"lookup": {"app": "snipeit", "id": "A-0042"}, "copies": 2})
    );
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!(
        (got.2["template"].as_str(), got.2["copies"].as_u64()),
        (Some("asset_tag"), Some(2))
    );
    // A content type instead of the item's template.
    let got = post!(
        app,
        "/api/printers/pt/jobs",
        json!({"lookup": {"app": "snipeit", "id": "A-0042"}, "content_type": "qr_two_lines"})
    );
    assert_eq!(
        (got.0, got.2["content_type"].as_str()),
        (202, Some("qr_two_lines")),
        "{}",
        got.2
    );
    // A content type whose fields the item lacks: the usual 422 listing them.
    let got = post!(
        app,
        "/api/printers/pt/jobs",
        json!({"lookup": {"app": "grocy", "id": "12"}, "content_type": "text_one_line"})
    );
    let p = assert_problem(&got, 422, "content_type_data_mismatch");
    assert_eq!(p["error_detail"]["missing"], json!(["primary_id"]));

    let batch = json!({"items": [
        {"lookup": {"app": "spoolman", "id": "web+spoolman:s-3"}},
        {"lookup": {"app": "grocy", "id": "grcy:p:12:6630ab3c1f2e1"}},
        {"lookup": {"app": "spoolman", "id": "web+spoolman:s-3"}, "copies": 3},
        text_job("PLAIN"),
    ]});
    let got = post!(app, "/api/print/pt/batch", batch);
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!(got.2["job_ids"].as_array().map(Vec::len), Some(4));
    let before = job_count(&hub).await;
    assert_eq!(before, 6);

    let req = TestRequest::post()
        .uri("/api/render/preview")
        .set_json(json!({"lookup": {"app": "grocy", "id": "4006381333931"}, "model": "PT-P750W", "media": "tze-24"}))
        .to_request();
    let resp = call_service(&app, req).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert!(read_body(resp).await.starts_with(b"\x89PNG"));
    assert_eq!(job_count(&hub).await, before, "a preview queues nothing");
}

#[actix::test]
async fn a_failing_lookup_in_a_job_or_batch_queues_nothing() {
    let fake = fake::start();
    let (hub, _) = hub().await;
    let app = lookup_app!(hub, lookups(&fake), webhooks(None));
    let jobs = "/api/printers/pt/jobs";
    assert_problem(
        &post!(app, jobs, json!({"lookup": {"app": "grocy", "id": "99"}})),
        404,
        "lookup_not_found",
    );
    assert_problem(
        &post!(
            app,
            jobs,
            json!({"lookup": {"app": "snipeit", "id": "DUP-1"}})
        ),
        409,
        "lookup_ambiguous",
    );
    assert_problem(
        &post!(app, jobs, json!({"lookup": {"app": "x", "id": "1"}})),
        400,
        "invalid_request",
    );
    let p = assert_problem(
        &post!(
            app,
            jobs,
            json!({"lookup": {"app": "grocy", "id": "12"}, "data": {"title": "x"}})
        ),
        400,
        "invalid_request",
    );
    assert_eq!(p["error_detail"]["fields"], json!(["lookup", "data"]));
    assert_problem(
        &post!(app, jobs, json!({"lookup": {"app": "grocy"}})),
        400,
        "invalid_request",
    );
    let batch = json!({"items": [
        text_job("A"),
        {"lookup": {"app": "spoolman", "id": "3"}},
        {"lookup": {"app": "spoolman", "id": "99"}},
    ]});
    let p = assert_problem(
        &post!(app, "/api/print/pt/batch", batch),
        404,
        "lookup_not_found",
    );
    assert_eq!(p["error_detail"]["item"], 2, "{p}");
    let slow = Lookups::new(&LookupsConfig {
        snipeit: Some(
            SourceConfig::new(fake.url("slow"))
                .api_key("k")
                .timeout(SHORT),
        ),
        ..LookupsConfig::default()
    })
    .expect("lookups");
    let app = lookup_app!(hub, slow, webhooks(None));
    assert_problem(
        &post!(
            app,
            jobs,
            json!({"lookup": {"app": "snipeit", "id": "A-0042"}})
        ),
        502,
        "lookup_failed",
    );
    assert_problem(
        &post!(app, jobs, json!({"lookup": {"app": "grocy", "id": "12"}})),
        409,
        "lookup_not_configured",
    );
    assert_eq!(job_count(&hub).await, 0, "no failed lookup queued a job");
}

/// Grocy's payload for one stock entry (`LABEL_PRINTER_HOOK_JSON` on).
pub fn grocy_payload(stock_id: &str) -> Value {
    json!({
        "product": "Whole Milk",
        "grocycode": format!("grcy:p:12:{stock_id}"),
        "details": {"product": fake::grocy_product_json("12"), "stock_amount": "3", "next_due_date": "2026-04-28"},
        "stock_entry": {"id": "31", "product_id": "12", "amount": "1", "best_before_date": "2026-05-01", "stock_id": stock_id, "price": "1.09"},
        "due_date": "DD: 2026-05-01",
        "font_family": "Source Sans Pro (Regular)",
    })
}

#[actix::test]
async fn grocys_webhook_queues_a_label_in_both_encodings() {
    let (hub, _) = hub().await;
    let app = webhook_app!(hub, Some("pt"));
    let uri = format!("/api/webhooks/grocy/{GROCY_TOKEN}");
    let got = post!(app, &uri, grocy_payload("6630ab3c1f2e1"));
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!(got.2["submitted_by"], "webhook:grocy");
    assert_eq!(got.2["template"], "product");

    // The same as form fields, nested the PHP way; the printer from the params.
    let got = post_form!(
        app,
        &uri,
        &[
            ("product", "Whole Milk"),
            ("grocycode", "grcy:p:12:6630ab3c1f2e2"),
            ("details[product][id]", "12"),
            ("details[product][name]", "Whole Milk"),
            ("stock_entry[stock_id]", "6630ab3c1f2e2"),
            ("stock_entry[best_before_date]", "2026-04-28"),
            ("stock_entry[amount]", "2.5"),
            ("due_date", "DD: 2026-04-28"),
            ("font_family", "Source Sans Pro (Regular)"),
            ("printer", "pt"),
        ]
    );
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!(got.2["submitted_by"], "webhook:grocy");
    assert_eq!(job_count(&hub).await, 2);

    // A battery, and a template chosen in the params.
    let got = post!(
        app,
        &uri,
        json!({"battery": "Smoke alarm", "grocycode": "grcy:b:2", "template": "qr_only"})
    );
    assert_eq!(
        (got.0, got.2["template"].as_str()),
        (202, Some("qr_only")),
        "{}",
        got.2
    );
    assert_eq!(job_count(&hub).await, 3);

    // Every template Grocy's fields map onto prints (it was 422 for four of them).
    for template in ["asset_tag", "shelf", "storage_box", "plain_text"] {
        let mut payload = grocy_payload("6630ab3c1f2e3");
        payload["template"] = json!(template);
        let got = post!(app, &uri, payload);
        assert_eq!(
            (got.0, got.2["template"].as_str()),
            (202, Some(template)),
            "{}",
            got.2
        );
    }
    assert_eq!(job_count(&hub).await, 7);
}

#[actix::test]
async fn a_wrong_token_is_401_and_payloads_that_never_print_are_4xx_and_nothing_is_queued() {
    let (hub, _) = hub().await;
    let app = webhook_app!(hub, None);
    let good = format!("/api/webhooks/grocy/{GROCY_TOKEN}");
    for uri in [
        "/api/webhooks/grocy/wrong-token-0123456789".to_string(),
        format!("/api/webhooks/grocy/{GROCY_TOKEN}x"),
        format!("/api/webhooks/grocy/{HOOK_TOKEN}"),
        format!("/api/webhooks/{GROCY_TOKEN}"),
        "/api/webhooks/grocy".to_string(),
    ] {
        assert_problem(&post!(app, &uri, grocy_payload("a")), 401, "unauthorized");
    }
    // A template that cannot take Grocy's fields can never print: 422.
    let mut payload = grocy_payload("a");
    payload["printer"] = json!("pt");
    payload["template"] = json!("filament_spool");
    let p = assert_problem(
        &post!(app, &good, payload),
        422,
        "content_type_data_mismatch",
    );
    assert_eq!(p["error_detail"]["field"], "template");
    let p = assert_problem(
        &post!(app, &good, json!({"hello": "world", "printer": "pt"})),
        400,
        "invalid_request",
    );
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("names no product")),
        "{p}"
    );
    let req = TestRequest::post()
        .uri(&good)
        .insert_header(("content-type", "application/json"))
        .set_payload("{not json")
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        400,
        "invalid_request",
    );
    let req = TestRequest::post()
        .uri(&good)
        .insert_header(("content-type", "text/plain"))
        .set_payload("product=x")
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        400,
        "invalid_request",
    );
    let req = TestRequest::post()
        .uri(&good)
        .insert_header(("content-type", "application/json"))
        .set_payload(vec![b' '; BODY_LIMIT + 1])
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        413,
        "payload_too_large",
    );
    // Without webhook configuration, every token is wrong.
    let bare = app!(hub);
    assert_problem(&post!(bare, &good, grocy_payload("a")), 401, "unauthorized");
    assert_eq!(job_count(&hub).await, 0);
}

/// Grocy with `LABEL_PRINTER_RUN_SERVER = false` posts from the user's browser on
/// Grocy's page: a JSON body is preceded by a CORS preflight (Fetch standard), and the
/// page reads the answer only if it names its origin.
#[actix::test]
async fn grocys_client_side_webhook_gets_cors_for_its_origin_only() {
    let (hub, _) = hub().await;
    let app = webhook_app!(hub, Some("pt"));
    let uri = format!("/api/webhooks/grocy/{GROCY_TOKEN}");
    let preflight = |uri: &str, origin: Option<&str>, method: &str| {
        let mut req = TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri(uri)
            .insert_header(("access-control-request-method", method))
            .insert_header(("access-control-request-headers", "content-type"));
        if let Some(origin) = origin {
            req = req.insert_header(("origin", origin));
        }
        req.to_request()
    };
    let res = call_service(&app, preflight(&uri, Some(GROCY_ORIGIN), "POST")).await;
    assert_eq!(res.status(), 204);
    let header = |res: &actix_web::dev::ServiceResponse, name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some(GROCY_ORIGIN)
    );
    assert_eq!(
        header(&res, "access-control-allow-methods").as_deref(),
        Some("POST")
    );
    assert!(header(&res, "access-control-allow-headers")
        .is_some_and(|h| h.to_ascii_lowercase().contains("content-type")));
    assert_eq!(header(&res, "vary").as_deref(), Some("Origin"));

    // Another origin, no origin, another method, a wrong token: refused, no CORS headers.
    for (req, status, code) in [
        (
            preflight(&uri, Some("https://evil.example"), "POST"),
            403,
            "origin_not_allowed",
        ),
        (preflight(&uri, None, "POST"), 403, "origin_not_allowed"),
        (
            preflight(&uri, Some(GROCY_ORIGIN), "DELETE"),
            400,
            "invalid_request",
        ),
        (
            preflight(
                "/api/webhooks/grocy/wrong-token-0123456789",
                Some(GROCY_ORIGIN),
                "POST",
            ),
            401,
            "unauthorized",
        ),
    ] {
        let res = call_service(&app, req).await;
        assert_eq!(header(&res, "access-control-allow-origin"), None);
        assert_problem(&parts(res).await, status, code);
    }
    assert_eq!(job_count(&hub).await, 0, "a preflight never prints");

    // The POST itself: the answer names the allowed origin, success or problem.
    let post = |origin: &str, body: Value| {
        TestRequest::post()
            .uri(&uri)
            .insert_header(("origin", origin))
            .set_json(body)
            .to_request()
    };
    let res = call_service(&app, post(GROCY_ORIGIN, grocy_payload("cors1"))).await;
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some(GROCY_ORIGIN)
    );
    assert_eq!(parts(res).await.0, 202);
    let res = call_service(&app, post(GROCY_ORIGIN, json!({"printer": "pt"}))).await;
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some(GROCY_ORIGIN),
        "the page can read why it failed"
    );
    assert_problem(&parts(res).await, 400, "invalid_request");
    // From an origin not listed the token still prints (it is the credential), but the
    // answer carries no CORS header, so that page cannot read it.
    let res = call_service(&app, post("https://evil.example", grocy_payload("cors2"))).await;
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    assert_eq!(parts(res).await.0, 202);
    assert_eq!(job_count(&hub).await, 2);
}

#[actix::test]
async fn a_generic_webhook_prints_its_template_with_the_posted_fields() {
    let (hub, _) = hub().await;
    let app = webhook_app!(hub, None);
    let uri = format!("/api/webhooks/{HOOK_TOKEN}");
    let got = post!(
        app,
        &uri,
        json!({"primary_id": "FREEZER 2", "title": "Peas, soup"})
    );
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!(
        (got.2["submitted_by"].as_str(), got.2["template"].as_str()),
        (Some("webhook:freezer"), Some("shelf"))
    );
    let got = post_form!(app, &uri, &[("primary_id", "FREEZER 3")]);
    assert_eq!(got.0, 202, "{}", got.2);
    // JSON sent with a form content type (`curl -d`) is still JSON.
    let req = TestRequest::post()
        .uri(&uri)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(r#"{"primary_id": "FREEZER 4"}"#)
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.0, 202, "{}", got.2);
    // The template's required field missing: 422, nothing queued.
    let p = assert_problem(
        &post!(app, &uri, json!({"title": "no id"})),
        422,
        "content_type_data_mismatch",
    );
    assert_eq!(p["error_detail"]["missing"], json!(["primary_id"]));
    assert_problem(
        &post!(
            app,
            "/api/webhooks/not-a-token-at-all",
            json!({"primary_id": "X"})
        ),
        401,
        "unauthorized",
    );
    assert_eq!(job_count(&hub).await, 3);
}

#[actix::test]
async fn each_webhook_token_has_its_own_rate_limit() {
    let (hub, _) = hub().await;
    let limits = printhub_gateway::Limits::new(printhub_gateway::LimitsConfig {
        webhook_rate_limit_per_minute: 2,
        ..printhub_gateway::LimitsConfig::default()
    });
    let mut config = webhooks(Some("pt"));
    config.hooks.push(GenericWebhook {
        name: "slow".into(),
        token: Secret::new("slow-token-0123456789"),
        printer: "pt".into(),
        template: "shelf".into(),
        rate_limit_per_minute: Some(1),
    });
    let none = Lookups::new(&LookupsConfig::default()).expect("none");
    let app = lookup_app!(hub, none, config, limits);
    let freezer = format!("/api/webhooks/{HOOK_TOKEN}");
    let grocy = format!("/api/webhooks/grocy/{GROCY_TOKEN}");
    for n in 0..2 {
        let got = post!(app, &freezer, json!({"primary_id": format!("F{n}")}));
        assert_eq!(got.0, 202, "{}", got.2);
    }
    let resp = call_service(
        &app,
        TestRequest::post()
            .uri(&freezer)
            .set_json(json!({"primary_id": "F2"}))
            .to_request(),
    )
    .await;
    assert!(resp.headers().contains_key("retry-after"));
    let p = assert_problem(&parts(resp).await, 429, "rate_limited");
    assert_eq!(p["error_detail"]["limit_per_minute"], 2, "{p}");
    // A wrong token is still 401: the token is checked before the limit.
    assert_problem(
        &post!(app, "/api/webhooks/wrong-token-0123456789", json!({})),
        401,
        "unauthorized",
    );
    // Grocy's token has a bucket of its own; a hook with its own limit keeps to it.
    for n in 0..2 {
        let got = post!(app, &grocy, grocy_payload(&format!("g{n}")));
        assert_eq!(got.0, 202, "{}", got.2);
    }
    assert_problem(
        &post!(app, &grocy, grocy_payload("g2")),
        429,
        "rate_limited",
    );
    let slow = "/api/webhooks/slow-token-0123456789";
    assert_eq!(post!(app, slow, json!({"primary_id": "S0"})).0, 202);
    let p = assert_problem(
        &post!(app, slow, json!({"primary_id": "S1"})),
        429,
        "rate_limited",
    );
    assert_eq!(p["error_detail"]["limit_per_minute"], 1, "{p}");
    assert_eq!(job_count(&hub).await, 5);
}

#[actix::test]
async fn a_webhooks_oversized_fields_or_stalled_body_queue_nothing() {
    let (hub, _) = hub().await;
    let limits = printhub_gateway::Limits::new(printhub_gateway::LimitsConfig {
        body_timeout: Duration::from_millis(50),
        ..printhub_gateway::LimitsConfig::default()
    });
    let none = Lookups::new(&LookupsConfig::default()).expect("none");
    let app = lookup_app!(hub, none, webhooks(Some("pt")), limits);
    let freezer = format!("/api/webhooks/{HOOK_TOKEN}");
    let long = "x".repeat(1001);
    for (body, field) in [
        (json!({"primary_id": long}), "data.primary_id"),
        (json!({"primary_id": "A", "note": long}), "data.fields.note"),
    ] {
        let p = assert_problem(&post!(app, &freezer, body), 413, "payload_too_large");
        assert_eq!(p["error_detail"]["field"], field, "{p}");
    }
    let mut grocy = grocy_payload("big");
    grocy["product"] = json!(long);
    let p = assert_problem(
        &post!(app, &format!("/api/webhooks/grocy/{GROCY_TOKEN}"), grocy),
        413,
        "payload_too_large",
    );
    assert_eq!(p["error_detail"]["limit"], 1000, "{p}");
    for uri in [
        freezer.clone(),
        format!("/api/webhooks/grocy/{GROCY_TOKEN}"),
    ] {
        use futures_util::StreamExt as _;
        let chunks = futures_util::stream::once(async {
            Ok::<_, actix_http::error::PayloadError>(actix_web::web::Bytes::from_static(b"{\"pri"))
        })
        .chain(futures_util::stream::pending());
        let stream: actix_http::BoxedPayloadStream = Box::pin(chunks);
        let req = TestRequest::post()
            .uri(&uri)
            .insert_header(("content-type", "application/json"))
            .to_request()
            .replace_payload(actix_http::Payload::from(stream))
            .0;
        let p = assert_problem(
            &parts(call_service(&app, req).await).await,
            408,
            "request_timeout",
        );
        assert_eq!(p["error_detail"]["timeout_ms"], 50, "{uri}: {p}");
    }
    assert_eq!(job_count(&hub).await, 0);
}

#[actix::test]
async fn webhook_jobs_record_the_address_they_came_from() {
    let (hub, _) = hub().await;
    let store = printhub_store::Store::open_in_memory(printhub_store::StoreConfig::default())
        .expect("store");
    let auth = printhub_gateway::Auth::open(
        printhub_gateway::AuthConfig {
            proxy: Some(printhub_gateway::ProxyConfig {
                user_header: "X-Forwarded-User".into(),
                secret_header: "X-Printhub-Proxy-Secret".into(),
                secret: "proxy-secret".into(),
                scope: printhub_gateway::Scope::Read,
            }),
            ..printhub_gateway::AuthConfig::default()
        },
        std::sync::Arc::new(store),
    )
    .expect("auth");
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(hub.clone()))
            .app_data(actix_web::web::Data::new(webhooks(Some("pt"))))
            .app_data(actix_web::web::Data::new(auth))
            .configure(printhub_gateway::configure),
    )
    .await;
    let hook = |uri: String, body: Value, headers: &[(&'static str, &'static str)]| {
        let mut req = TestRequest::post()
            .uri(&uri)
            .peer_addr("192.0.2.7:40000".parse().expect("addr"))
            .set_json(body);
        for h in headers {
            req = req.insert_header(*h);
        }
        req.to_request()
    };
    let generic = format!("/api/webhooks/{HOOK_TOKEN}");
    let grocy = format!("/api/webhooks/grocy/{GROCY_TOKEN}");
    let fields = || json!({ "primary_id": "FREEZER 1" });
    for (what, req, from) in [
        (
            "straight from the caller: its address",
            hook(generic.clone(), fields(), &[]),
            "192.0.2.7",
        ),
        (
            "grocy's, the same",
            hook(grocy.clone(), grocy_payload("6630ab3c1f2e9"), &[]),
            "192.0.2.7",
        ),
        (
            "through the proxy that proved its secret: the client it names",
            hook(
                generic.clone(),
                fields(),
                &[
                    ("X-Forwarded-For", "203.0.113.66, 198.51.100.4"),
                    ("X-Printhub-Proxy-Secret", "proxy-secret"),
                ],
            ),
            "198.51.100.4",
        ),
        (
            "a forwarded-for header without the secret is not believed",
            hook(
                grocy.clone(),
                grocy_payload("6630ab3c1f2ea"),
                &[
                    ("X-Forwarded-For", "198.51.100.66"),
                    ("X-Printhub-Proxy-Secret", "guess"),
                ],
            ),
            "192.0.2.7",
        ),
    ] {
        let got = parts(call_service(&app, req).await).await;
        assert_eq!(got.0, 202, "{what}: {}", got.2);
        assert_eq!(got.2["source_address"], from, "{what}: {}", got.2);
        let id: printhub_core::JobId = got.2["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("job id");
        let stored = hub.job(id).await.expect("job").spec.source_address;
        assert_eq!(stored.as_deref(), Some(from), "{what}: stored");
    }
}

#[actix::test]
async fn landing_pages_are_self_contained_html_that_reflect_nothing() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    for (path, app_name) in [
        ("asset", "snipeit"),
        ("product", "grocy"),
        ("spool", "spoolman"),
    ] {
        let req = TestRequest::get()
            .uri(&format!("/{path}/%3Cscript%3Ealert(1)%3C%2Fscript%3E"))
            .to_request();
        let resp = call_service(&app, req).await;
        assert_eq!(resp.status(), 200);
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert!(header("content-type").starts_with("text/html"));
        let csp = header("content-security-policy");
        assert!(
            csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
            "{csp}"
        );
        assert_eq!(header("x-content-type-options"), "nosniff");
        let body = String::from_utf8(read_body(resp).await.to_vec()).expect("utf-8");
        assert!(body.contains(&format!("data-app=\"{app_name}\"")), "{path}");
        assert!(
            !body.contains("alert(1)"),
            "{path}: the id is not written into the page"
        );
        for external in ["http://", "https://", "src=\"", "href=\"http"] {
            assert!(
                !body.contains(external),
                "{path}: no external asset ({external})"
            );
        }
        assert!(body.contains("sessionStorage.getItem(\"printhub.apiKey\")"));
        assert!(body.contains("\"../api/\""), "relative API calls");
    }
}

/// Grocy's `WebhookRunner` lets any 4xx/5xx surface in Grocy's own API call
/// (a purchase with one label per unit stops half way), so what a person can
/// fix on the hub later answers 200 `{"status": "rejected", …}`: no printer
/// configured, an unknown printer, a disabled printer. A paused printer
/// queues as usual (202).
#[actix::test]
async fn grocys_webhook_answers_200_for_what_a_person_can_fix_later() {
    let (hub, _) = hub().await;
    let app = webhook_app!(hub, None);
    let uri = format!("/api/webhooks/grocy/{GROCY_TOKEN}");
    let rejected = |got: &(u16, _, Value), code: &str| {
        assert_eq!(got.0, 200, "{}", got.2);
        assert_eq!(got.2["status"], "rejected", "{}", got.2);
        assert_eq!(got.2["code"], code, "{}", got.2);
    };
    let got = post!(app, &uri, grocy_payload("6630ab3c1f2a1"));
    rejected(&got, "invalid_request");
    assert_eq!(got.2["error_detail"]["field"], "printer");
    let mut payload = grocy_payload("6630ab3c1f2b1");
    payload["printer"] = json!("nope");
    rejected(&post!(app, &uri, payload), "printer_not_found");

    let app = webhook_app!(hub, Some("pt"));
    hub.pause_printer("pt").await.expect("pause");
    let got = post!(app, &uri, grocy_payload("6630ab3c1f2c1"));
    assert_eq!(got.0, 202, "a paused printer queues: {}", got.2);
    assert_eq!(job_count(&hub).await, 1);
    hub.set_printer_enabled("pt", false).await.expect("disable");
    let got = post!(app, &uri, grocy_payload("6630ab3c1f2d1"));
    rejected(&got, "printer_disabled");
    assert_eq!(got.2["grocycode"], "grcy:p:12:6630ab3c1f2d1");
    assert_eq!(
        job_count(&hub).await,
        1,
        "nothing queued on a disabled printer"
    );
}
