//! Issue #19: Label Printer Hub's webhooks (`POST /api/webhook/spoolman`,
//! `POST /api/webhook/grocy`) print the item's label as its lookup finds it,
//! authenticated by `X-API-Key`; every refusal answers the reference's
//! status and queues nothing.

use crate::fake::{self, Fake};
use crate::support::*;
use actix_web::test::{call_service, TestRequest};
use printhub_gateway::{LegacyWebhookConfig, Scope};
use printhub_lookup::{Lookups, LookupsConfig, SourceConfig};
use serde_json::{json, Value};
use std::time::Duration;

/// The webhook key the hub is configured with.
const KEY: &str = "lph-webhook-key-7Hq2Xv9Lm4Tz8Rw3Ks6";

/// Spoolman and Grocy against `fake`.
fn lookups(fake: &Fake) -> Lookups {
    Lookups::new(&LookupsConfig {
        grocy: Some(
            SourceConfig::new(fake.url("grocy"))
                .api_key(fake::GROCY_KEY)
                .timeout(Duration::from_secs(20)),
        ),
        spoolman: Some(SourceConfig::new(fake.url("spoolman")).timeout(Duration::from_secs(20))),
        ..LookupsConfig::default()
    })
    .expect("lookups")
}

/// The app with the lookups and Label Printer Hub's webhooks (`key`; `None`:
/// none configured), anonymous admin for the checks made through the API.
macro_rules! hook_app {
    ($hub:expr, $lookups:expr, $key:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data(actix_web::web::Data::new($hub.clone()))
                .app_data(actix_web::web::Data::new($lookups))
                .app_data(actix_web::web::Data::new(
                    LegacyWebhookConfig::with_key($key).expect("key"),
                ))
                .app_data(actix_web::web::Data::new(auth(Some(Scope::Admin), 600)))
                .configure(printhub_gateway::configure),
        )
        .await
    };
}

/// A webhook call as the old hub's clients send it: `X-API-Key` (when
/// given) and a JSON body.
fn hook(app: &str, key: Option<&str>, body: &Value) -> actix_http::Request {
    let mut req = TestRequest::post()
        .uri(&format!("/api/webhook/{app}"))
        .set_json(body);
    if let Some(key) = key {
        req = req.insert_header(("X-API-Key", key));
    }
    req.to_request()
}

macro_rules! call {
    ($app:expr, $req:expr) => {
        parts(call_service(&$app, $req).await).await
    };
}

#[actix::test]
async fn a_spool_and_a_product_print_their_labels_on_the_first_printer() {
    let fake = fake::start();
    let (hub, _) = hub().await;
    let app = hook_app!(hub, lookups(&fake), Some(KEY));
    let body = json!({ "spool_id": "3", "type": "updated", "quantity": 1.5, "unknown": {"x": 1} });
    let got = call!(app, hook("spoolman", Some(KEY), &body));
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!(got.2["status"], "queued");
    let pt = hub.printer("pt").await.expect("pt");
    assert_eq!(got.2["printer_id"], pt.id.to_string());
    let id = got.2["job_id"].as_str().expect("job_id").to_string();
    let job = hub.job(id.parse().expect("uuid")).await.expect("job");
    assert_eq!(job.spec.printer_id, pt.id);
    assert_eq!(job.spec.template.as_deref(), Some("filament_spool"));
    assert_eq!(job.spec.copies, 1, "quantity is not a copy count");
    assert_eq!(
        job.spec.submitted_by.as_deref(),
        Some("webhook:label-printer-hub/spoolman")
    );
    // The same label as printing the spool by lookup through printhub's own API.
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(json!({ "lookup": { "app": "spoolman", "id": "3" } }))
        .to_request();
    let own = call!(app, req);
    assert_eq!(own.0, 202, "{}", own.2);
    let own = hub
        .job(own.2["id"].as_str().expect("id").parse().expect("uuid"))
        .await
        .expect("job");
    assert_eq!(job.spec.raster, own.spec.raster, "the spool's label");
    wait_state!(app, id, "completed");

    // A Grocy product prints its product label.
    let body = json!({ "product_id": "12", "type": "purchase" });
    let got = call!(app, hook("grocy", Some(KEY), &body));
    assert_eq!(got.0, 202, "{}", got.2);
    let job = hub
        .job(
            got.2["job_id"]
                .as_str()
                .expect("job_id")
                .parse()
                .expect("uuid"),
        )
        .await
        .expect("job");
    assert_eq!(job.spec.template.as_deref(), Some("product"));
    assert_eq!(job_count(&hub).await, 3);
}

#[actix::test]
async fn a_wrong_or_missing_key_is_401_and_no_key_configured_is_503() {
    let fake = fake::start();
    let (hub, _) = hub().await;
    let app = hook_app!(hub, lookups(&fake), Some(KEY));
    let spool = json!({ "spool_id": "3", "type": "updated" });
    let product = json!({ "product_id": "12", "type": "purchase" });
    for (name, body) in [("spoolman", &spool), ("grocy", &product)] {
        let wrong = format!("{KEY}x");
        for key in [
            Some(wrong.as_str()),
            Some(&KEY[..KEY.len() - 1]),
            Some(""),
            None,
        ] {
            let got = call!(app, hook(name, key, body));
            let p = assert_problem(&got, 401, "unauthorized");
            assert_eq!(p["detail"], "Invalid API key", "{name} {key:?}");
        }
        // A printhub API key is not the webhook key.
        let admin = TestRequest::post()
            .uri(&format!("/api/webhook/{name}"))
            .insert_header(("Authorization", format!("Bearer {KEY}")))
            .set_json(body)
            .to_request();
        assert_problem(&call!(app, admin), 401, "unauthorized");
    }
    // No key configured (empty, as its compose file leaves it, or none at all).
    for key in [Some(""), None] {
        let off = hook_app!(hub, lookups(&fake), key);
        for (name, body) in [("spoolman", &spool), ("grocy", &product)] {
            let got = call!(off, hook(name, Some(KEY), body));
            let p = assert_problem(&got, 503, "unavailable");
            assert_eq!(p["error_detail"]["reason"], "webhook_key_not_configured");
        }
    }
    let bare = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(hub.clone()))
            .app_data(actix_web::web::Data::new(auth(None, 600)))
            .configure(printhub_gateway::configure),
    )
    .await;
    assert_problem(
        &call!(bare, hook("spoolman", Some(KEY), &spool)),
        503,
        "unavailable",
    );
    assert_eq!(job_count(&hub).await, 0, "nothing refused was queued");
}

#[actix::test]
async fn bodies_are_checked_strictly_and_unknown_items_are_404() {
    let fake = fake::start();
    let (hub, _) = hub().await;
    let app = hook_app!(hub, lookups(&fake), Some(KEY));
    for (name, body, field, kind) in [
        (
            "spoolman",
            json!({ "spool_id": 3, "type": "updated" }),
            "spool_id",
            "string_type",
        ),
        (
            "grocy",
            json!({ "product_id": 12, "type": "purchase" }),
            "product_id",
            "string_type",
        ),
        (
            "spoolman",
            json!({ "type": "updated" }),
            "spool_id",
            "missing",
        ),
        ("grocy", json!({ "product_id": "12" }), "type", "missing"),
        (
            "spoolman",
            json!({ "spool_id": "3", "type": "updated", "quantity": "2" }),
            "quantity",
            "float_type",
        ),
    ] {
        let got = call!(app, hook(name, Some(KEY), &body));
        let p = assert_problem(&got, 422, "validation_error");
        assert_eq!(p["error_detail"]["field"], field, "{body}");
        assert_eq!(p["error_detail"]["errors"][0]["type"], kind, "{body}");
        assert_eq!(
            p["error_detail"]["errors"][0]["loc"],
            json!(["body", field])
        );
        assert_eq!(p["error_message"], p["detail"], "its flat shape too");
    }
    // A body that is not JSON, or not an object.
    let req = TestRequest::post()
        .uri("/api/webhook/spoolman")
        .insert_header(("X-API-Key", KEY))
        .insert_header(("content-type", "application/json"))
        .set_payload("{\"spool_id\": ")
        .to_request();
    assert_problem(&call!(app, req), 422, "validation_error");
    assert_problem(
        &call!(app, hook("spoolman", Some(KEY), &json!(["3"]))),
        422,
        "validation_error",
    );
    // The key is checked before the body is looked at.
    assert_problem(
        &call!(app, hook("spoolman", None, &json!({ "spool_id": 3 }))),
        401,
        "unauthorized",
    );
    // Items the apps do not have.
    let got = call!(
        app,
        hook(
            "spoolman",
            Some(KEY),
            &json!({ "spool_id": "99", "type": "updated" })
        )
    );
    assert_problem(&got, 404, "lookup_not_found");
    let got = call!(
        app,
        hook(
            "grocy",
            Some(KEY),
            &json!({ "product_id": "99", "type": "purchase" })
        )
    );
    assert_problem(&got, 404, "lookup_not_found");
    assert_eq!(job_count(&hub).await, 0, "nothing refused was queued");
}

#[actix::test]
async fn without_an_enabled_printer_the_webhooks_are_503_and_the_rate_is_limited_per_key() {
    let fake = fake::start();
    let (hub, _) = hub().await;
    let app = hook_app!(hub, lookups(&fake), Some(KEY));
    let req = TestRequest::post()
        .uri("/api/printers/pt/disable")
        .to_request();
    assert_eq!(call!(app, req).0, 200);
    let spool = json!({ "spool_id": "3", "type": "updated" });
    let got = call!(app, hook("spoolman", Some(KEY), &spool));
    let p = assert_problem(&got, 503, "unavailable");
    assert_eq!(p["error_detail"]["reason"], "no_enabled_printer");
    // A second printer, enabled: it is the first enabled one.
    let pt2 = second_printer(&hub).await;
    let got = call!(app, hook("spoolman", Some(KEY), &spool));
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!(got.2["printer_id"], pt2);
    assert_eq!(job_count(&hub).await, 1);

    // One call a minute: the second is 429 in the old vocabulary, and queues nothing.
    let limits = printhub_gateway::Limits::new(printhub_gateway::LimitsConfig {
        webhook_rate_limit_per_minute: 1,
        ..printhub_gateway::LimitsConfig::default()
    });
    let limited = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(hub.clone()))
            .app_data(actix_web::web::Data::new(lookups(&fake)))
            .app_data(actix_web::web::Data::new(
                LegacyWebhookConfig::with_key(Some(KEY)).expect("key"),
            ))
            .app_data(actix_web::web::Data::new(limits))
            .app_data(actix_web::web::Data::new(auth(None, 600)))
            .configure(printhub_gateway::configure),
    )
    .await;
    assert_eq!(call!(limited, hook("spoolman", Some(KEY), &spool)).0, 202);
    let product = json!({ "product_id": "12", "type": "purchase" });
    let got = call!(limited, hook("grocy", Some(KEY), &product));
    assert_problem(&got, 429, "rate_limit_exceeded");
    assert_eq!(job_count(&hub).await, 2);
}

#[test]
fn the_webhooks_are_documented_with_their_header_and_refusals() {
    let doc = printhub_gateway::openapi_document();
    for (path, body) in [
        ("/api/webhook/spoolman", "SpoolmanHookRequest"),
        ("/api/webhook/grocy", "GrocyHookRequest"),
    ] {
        let op = &doc["paths"][path]["post"];
        assert_eq!(op["security"], json!([]), "the handler checks the key");
        let header = op["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "X-API-Key"))
            .unwrap_or_else(|| panic!("{path}: no X-API-Key parameter"));
        assert_eq!(
            (&header["in"], &header["required"]),
            (&json!("header"), &json!(true))
        );
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(schema["$ref"], format!("#/components/schemas/{body}"));
        let component = &doc["components"]["schemas"][body];
        assert_eq!(component["additionalProperties"], true, "{body}");
        let id = if body.starts_with("Spoolman") {
            "spool_id"
        } else {
            "product_id"
        };
        let mut required: Vec<&str> = component["required"]
            .as_array()
            .expect("required")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        required.sort_unstable();
        let mut want = vec![id, "type"];
        want.sort_unstable();
        assert_eq!(required, want, "{body}");
        assert_eq!(component["properties"][id]["type"], "string", "{body}");
        for (status, code) in [
            ("401", "unauthorized"),
            ("404", "lookup_not_found"),
            ("422", "validation_error"),
            ("429", "rate_limit_exceeded"),
            ("503", "unavailable"),
        ] {
            assert!(
                op["responses"][status]["x-error-codes"]
                    .as_array()
                    .is_some_and(|codes| codes.contains(&json!(code))),
                "{path} {status} {code}"
            );
        }
        assert!(op["responses"]["202"].is_object(), "{path}");
    }
}
