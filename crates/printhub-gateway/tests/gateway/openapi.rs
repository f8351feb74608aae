//! The OpenAPI document: it covers every mounted route (and every route in it
//! is mounted) with its scope, lists every error code, closes every request
//! body, and the server's real answers, problems and events validate against
//! the schemas it gives for them (with the `jsonschema` crate).

use crate::support::*;
use actix_web::body::MessageBody;
use actix_web::test::{call_service, TestRequest};
use printhub_gateway::ErrorCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::pin::Pin;
use std::time::Instant;

/// Whether an answer came from a handler: anything but a 404 from routing (ours is
/// `not_found` under /api; actix's default elsewhere has no problem body). A handler's
/// own 404 names what is missing (`printer_not_found`…).
fn mounted(status: u16, body: &Value) -> bool {
    status != 404
        || body["error_code"]
            .as_str()
            .is_some_and(|code| code != "not_found")
}

#[actix::test]
async fn every_route_is_documented_and_mounted() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let req = TestRequest::get().uri("/api/openapi.json").to_request();
    let (status, _, doc) = parts(call_service(&app, req).await).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for route in printhub_gateway::ROUTES {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is not documented",
            route.method,
            route.path
        );
        let uri = route
            .path
            .replace("{key}", "nope")
            .replace("{app}", "grocy")
            .replace("{token}", "nope")
            .replace("{code}", "not_found")
            .replace("{id}", "00000000-0000-0000-0000-000000000000");
        let method = actix_web::http::Method::from_bytes(route.method.as_bytes()).expect("method");
        let req = TestRequest::default().method(method).uri(&uri).to_request();
        let resp = call_service(&app, req).await;
        if route.response == Some("text/event-stream") {
            // A stream never ends: its headers are the answer.
            assert_eq!(resp.status(), 200, "{} {}", route.method, route.path);
            continue;
        }
        let (status, _, body) = parts(resp).await;
        assert!(
            mounted(status, &body),
            "{} {} is not mounted ({status} {body})",
            route.method,
            route.path
        );
    }
    let documented: usize = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|p| p.as_object().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(documented, printhub_gateway::ROUTES.len());
    // The check tells an unmounted path from a mounted one, in and outside /api.
    for uri in ["/healthz-nope", "/api/nope", "/asset"] {
        let req = TestRequest::get().uri(uri).to_request();
        let (status, _, body) = parts(call_service(&app, req).await).await;
        assert!(!mounted(status, &body), "{uri}: {status} {body}");
    }
    // Which operations count against the rate limit is documented from the same rule.
    let limited = |path: &str, method: &str| doc["paths"][path][method]["x-rate-limited"].clone();
    assert_eq!(limited("/api/render/preview", "post"), false);
    assert_eq!(limited("/api/printers/{key}/jobs", "post"), true);
    assert_eq!(limited("/api/jobs", "get"), false);
}

#[test]
fn every_route_is_documented_with_its_scope() {
    let doc = printhub_gateway::openapi_document();
    for route in printhub_gateway::ROUTES {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        let what = format!("{} {}", route.method, route.path);
        assert_eq!(op["summary"], route.summary, "{what}");
        assert!(
            op["responses"][route.status.to_string()].is_object(),
            "{what}"
        );
        match route.scope {
            Some(scope) => {
                assert_eq!(op["x-required-scope"], scope.as_str(), "{what}");
                assert_eq!(
                    op["security"],
                    json!([{ "bearer": [] }, { "hubKey": [] }]),
                    "{what}"
                );
                let codes = error_codes(op);
                for code in ["unauthorized", "insufficient_scope"] {
                    assert!(codes.contains(code), "{what} lacks {code}");
                }
                // Previews are not counted as mutations but have a rate
                // limit of their own.
                let own_limit = route.path == "/api/render/preview";
                // Label Printer Hub's old paths name it in its vocabulary.
                let limited =
                    codes.contains("rate_limited") || codes.contains("rate_limit_exceeded");
                assert_eq!(limited, op["x-rate-limited"] == true || own_limit, "{what}");
            }
            None => {
                assert_eq!(op["security"], json!([]), "{what}");
                assert!(op.get("x-required-scope").is_none(), "{what}");
            }
        }
    }
}

/// The `x-error-codes` of every error response of an operation.
fn error_codes(op: &Value) -> BTreeSet<String> {
    op["responses"]
        .as_object()
        .expect("responses")
        .values()
        .flat_map(|r| r["x-error-codes"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect()
}

/// One index per variant: adding a variant breaks this match, and the test
/// below then fails until [`ErrorCode::ALL`] lists it.
fn variant(code: ErrorCode) -> usize {
    match code {
        ErrorCode::PrinterNotFound => 0,
        ErrorCode::JobNotFound => 1,
        ErrorCode::BatchNotFound => 2,
        ErrorCode::NotFound => 3,
        ErrorCode::MethodNotAllowed => 4,
        ErrorCode::InvalidJobState => 5,
        ErrorCode::PrinterBusy => 6,
        ErrorCode::PrinterExists => 7,
        ErrorCode::PrinterDisabled => 8,
        ErrorCode::DuplicateJob => 9,
        ErrorCode::QueueFull => 10,
        ErrorCode::RateLimited => 11,
        ErrorCode::TooManySubscribers => 12,
        ErrorCode::Unauthorized => 13,
        ErrorCode::InsufficientScope => 14,
        ErrorCode::PrinterNotAllowed => 15,
        ErrorCode::NotJobOwner => 16,
        ErrorCode::KeyNotFound => 17,
        ErrorCode::InvalidRequest => 18,
        ErrorCode::PayloadTooLarge => 19,
        ErrorCode::ContentTypeDataMismatch => 20,
        ErrorCode::UnknownContentType => 21,
        ErrorCode::DoesNotFit => 22,
        ErrorCode::UnsupportedMedia => 23,
        ErrorCode::Unprintable(_) => 24,
        ErrorCode::Unrenderable(_) => 25,
        ErrorCode::Unavailable => 26,
        ErrorCode::ShuttingDown => 27,
        ErrorCode::StoreError => 28,
        ErrorCode::Internal => 29,
        ErrorCode::LookupNotFound => 30,
        ErrorCode::LookupAmbiguous => 31,
        ErrorCode::LookupNotConfigured => 32,
        ErrorCode::LookupFailed => 33,
        ErrorCode::OriginNotAllowed => 34,
        ErrorCode::AddressUnresolvable => 35,
        ErrorCode::UnsupportedMediaType => 36,
        ErrorCode::RequestTimeout => 37,
        ErrorCode::Overloaded => 38,
        ErrorCode::OutOfRange => 39,
        ErrorCode::PrinterSlugMismatch => 40,
        ErrorCode::MediaNotReported => 41,
        ErrorCode::MediaUnknown => 42,
        ErrorCode::ReprintInvalid => 43,
        ErrorCode::PrinterUnreachable => 44,
        ErrorCode::PrinterUnidentified => 45,
        ErrorCode::SavedLabelExists => 46,
        ErrorCode::SavedLabelNotFound => 47,
    }
}

#[test]
fn error_code_all_lists_every_code_once() {
    let variants: BTreeSet<usize> = ErrorCode::ALL.iter().map(|c| variant(*c)).collect();
    assert_eq!(variants, (0..=47).collect::<BTreeSet<_>>());
    let names: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(names.len(), ErrorCode::ALL.len(), "a code is listed twice");
    // Every code the encoder and the renderer can fail with is answered
    // with a code the document lists.
    for code in printhub_raster::EncodeCode::ALL {
        assert!(ErrorCode::ALL.contains(&ErrorCode::from(code)), "{code:?}");
    }
    for code in printhub_render::RenderCode::ALL {
        assert!(ErrorCode::ALL.contains(&ErrorCode::from(code)), "{code:?}");
    }
}

#[test]
fn every_error_code_is_documented_with_its_status() {
    let doc = printhub_gateway::openapi_document();
    let catalogue = doc["x-problem-codes"].as_object().expect("x-problem-codes");
    let problem_codes: BTreeSet<&str> = doc["components"]["schemas"]["Problem"]["properties"]
        ["error_code"]["enum"]
        .as_array()
        .expect("error_code enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut answered = BTreeSet::new();
    for path in doc["paths"].as_object().expect("paths").values() {
        for op in path.as_object().expect("operations").values() {
            for (status, response) in op["responses"].as_object().expect("responses") {
                for code in response["x-error-codes"].as_array().into_iter().flatten() {
                    let code = code.as_str().expect("code");
                    assert_eq!(
                        catalogue[code]["status"].to_string(),
                        *status,
                        "{code} under {status}"
                    );
                    let schema = &response["content"]["application/problem+json"]["schema"];
                    assert!(
                        schema["properties"]["error_code"]["enum"]
                            .as_array()
                            .is_some_and(|e| e.contains(&json!(code))),
                        "{code} under {status}"
                    );
                    answered.insert(code.to_string());
                }
            }
        }
    }
    for code in ErrorCode::ALL {
        let name = code.as_str();
        assert_eq!(
            catalogue[name]["status"],
            code.status().as_u16(),
            "{name} in x-problem-codes"
        );
        assert!(problem_codes.contains(name), "{name} in Problem.error_code");
        if !["not_found", "method_not_allowed"].contains(&name) {
            assert!(answered.contains(name), "no operation answers {name}");
        }
    }
    // JSON bodies can be refused for their media type (415).
    let op = &doc["paths"]["/api/printers/{key}/jobs"]["post"];
    assert_eq!(
        op["responses"]["415"]["x-error-codes"],
        json!(["unsupported_media_type"])
    );
    assert!(error_codes(&doc["paths"]["/api/jobs/{id}"]["get"]).contains("job_not_found"));
    assert!(!error_codes(&doc["paths"]["/api/jobs"]["get"]).contains("payload_too_large"));
}

/// The component a `$ref` points at.
fn component<'a>(doc: &'a Value, schema: &Value) -> &'a Value {
    let name = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .unwrap_or_else(|| panic!("not a component: {schema}"));
    &doc["components"]["schemas"][name]
}

#[test]
fn request_bodies_are_closed() {
    let doc = printhub_gateway::openapi_document();
    // The webhooks take what another app posts: open on purpose (Label
    // Printer Hub's ignored unknown fields).
    let open = [
        "GrocyWebhookPayload",
        "WebhookFields",
        "SpoolmanHookRequest",
        "GrocyHookRequest",
    ];
    let mut seen = 0;
    for route in printhub_gateway::ROUTES {
        let Some(body) = route.body else { continue };
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        let resolved = component(&doc, schema);
        let want = if open.contains(&body) {
            json!(true)
        } else {
            json!(false)
        };
        assert_eq!(resolved["additionalProperties"], want, "{body}");
        seen += 1;
    }
    assert!(seen >= 8, "{seen} request bodies");
    // The request types inside them are closed where the server refuses unknown fields.
    for name in ["OptionsRequest", "LookupRequest", "Template"] {
        assert_eq!(
            doc["components"]["schemas"][name]["additionalProperties"], false,
            "{name}"
        );
    }
    let patch = component(
        &doc,
        &doc["paths"]["/api/printers/{key}"]["patch"]["requestBody"]["content"]["application/json"]
            ["schema"],
    );
    for field in [
        "snmp",
        "snmp_community",
        "name",
        "model",
        "media",
        "address",
    ] {
        assert!(patch["properties"][field].is_object(), "PATCH {field}");
    }
    assert_eq!(patch["properties"]["snmp_community"]["writeOnly"], true);
}

/// A validator for `schema`, whose `$ref`s resolve in `doc`.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut wrapped = json!({ "components": doc["components"].clone() });
    if let (Some(w), Some(s)) = (wrapped.as_object_mut(), schema.as_object()) {
        w.extend(s.clone());
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&wrapped)
        .unwrap_or_else(|e| panic!("{schema}: {e}"))
}

fn assert_valid(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let v = validator(doc, schema);
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}\n{instance}");
}

fn is_valid(doc: &Value, schema: &Value, instance: &Value) -> bool {
    validator(doc, schema).is_valid(instance)
}

/// The schema the document gives for an answer.
fn answer_schema(doc: &Value, method: &str, path: &str, status: u16, ct: &str) -> Value {
    let media = ct.split(';').next().unwrap_or_default().trim();
    let schema =
        &doc["paths"][path][method]["responses"][status.to_string()]["content"][media]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path}: no {status} {media} documented"
    );
    schema.clone()
}

/// Calls the app and checks the answer against its documented schema.
macro_rules! checked {
    ($app:expr, $doc:expr, $method:ident $uri:expr, $path:expr $(, $body:expr)?) => {{
        let req = TestRequest::$method().uri(&$uri)$(.set_json($body))?.to_request();
        let (status, ct, body) = parts(call_service(&$app, req).await).await;
        let method = stringify!($method);
        let schema = answer_schema(&$doc, method, $path, status, &ct);
        assert_valid(&$doc, &schema, &body, &format!("{} {} {status}", method, $uri));
        (status, body)
    }};
}

#[actix::test]
async fn real_answers_and_problems_validate_against_their_schemas() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let doc = printhub_gateway::openapi_document();
    let (status, job) = checked!(app, doc, post "/api/printers/pt/jobs", "/api/printers/{key}/jobs", &text_job("A-1"));
    assert_eq!(status, 202);
    let id = job["id"].as_str().expect("id").to_string();
    wait_state!(app, id, "completed");
    checked!(app, doc, get format!("/api/jobs/{id}"), "/api/jobs/{id}");
    checked!(app, doc, get "/api/jobs?limit=5", "/api/jobs");
    checked!(app, doc, get "/api/printers", "/api/printers");
    checked!(app, doc, get "/api/printers/pt", "/api/printers/{key}");
    checked!(app, doc, get "/api/printers/pt/status", "/api/printers/{key}/status");
    checked!(app, doc, get "/api/printers/pt/queue", "/api/printers/{key}/queue");
    checked!(app, doc, post "/api/printers/pt/pause", "/api/printers/{key}/pause");
    checked!(app, doc, post "/api/printers/pt/resume", "/api/printers/{key}/resume");
    let (status, batch) = checked!(app, doc, post "/api/print/pt/batch", "/api/print/{key}/batch",
        &json!({ "items": [text_job("B-1"), text_job("B-2")] }));
    assert_eq!(status, 202);
    let batch = batch["batch_id"].as_str().expect("batch").to_string();
    checked!(app, doc, get format!("/api/batches/{batch}"), "/api/batches/{id}");
    checked!(app, doc, get "/api/media", "/api/media");
    checked!(app, doc, get "/api/models", "/api/models");
    checked!(app, doc, get "/api/devices", "/api/devices");
    checked!(app, doc, get "/api/auth/whoami", "/api/auth/whoami");
    checked!(app, doc, get "/api/integrations", "/api/integrations");
    checked!(app, doc, get "/healthz", "/healthz");
    checked!(app, doc, get "/readyz", "/readyz");
    let (status, key) = checked!(app, doc, post "/api/admin/keys", "/api/admin/keys",
        &json!({ "name": "reader", "scope": "read", "printers": ["pt"] }));
    assert_eq!(status, 201);
    checked!(app, doc, get "/api/admin/keys", "/api/admin/keys");
    let key_id = key["id"].as_str().expect("key id");
    checked!(app, doc, delete format!("/api/admin/keys/{key_id}"), "/api/admin/keys/{id}");
    checked!(app, doc, get "/api/admin/audit", "/api/admin/audit");
    let (status, _) = checked!(app, doc, post "/api/printers", "/api/printers",
        &json!({ "slug": "ql", "model": "QL-820NWB", "media": "dk-62", "address": "127.0.0.1:9", "snmp_community": "c" }));
    assert_eq!(status, 201);
    let (status, printer) = checked!(app, doc, patch "/api/printers/ql", "/api/printers/{key}",
        &json!({ "name": "Renamed", "snmp": "" }));
    assert_eq!((status, &printer["name"]), (200, &json!("Renamed")));
    // Problems, each against the response its status documents.
    let problems = [
        checked!(app, doc, get "/api/printers/nope", "/api/printers/{key}"),
        checked!(app, doc, get "/api/jobs/not-a-uuid", "/api/jobs/{id}"),
        checked!(app, doc, post "/api/printers/pt/jobs", "/api/printers/{key}/jobs", &json!({ "content_type": "qr_only" })),
        checked!(app, doc, post "/api/printers/pt/jobs", "/api/printers/{key}/jobs", &json!({ "copies": 998.0, "content_type": "qr_only", "data": { "qr_payload": "x" } })),
        checked!(app, doc, post "/api/printers", "/api/printers", &json!({ "slug": "pt", "model": "PT-P750W", "media": "tze-12", "address": "127.0.0.1:9" })),
        checked!(app, doc, post "/api/jobs/00000000-0000-0000-0000-000000000000/cancel", "/api/jobs/{id}/cancel"),
    ];
    let statuses: Vec<u16> = problems.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses, [404, 400, 422, 400, 409, 404]);

    // Label Printer Hub's names and paths (issue #19), answers and problems.
    checked!(app, doc, get "/api/printers?slug=pt", "/api/printers");
    let (status, _) = checked!(app, doc, get "/api/printers?slug=nope", "/api/printers");
    assert_eq!(status, 404);
    let old_batch = json!({
        "printer_slug": "pt", "half_cut_override": true,
        "items": [{ "content_type": "text_one_line", "data": { "primary_id": "H-1" },
                    "options": { "copies": 2, "auto_cut": true, "high_resolution": false, "last_page": true } }],
    });
    let (status, batch) =
        checked!(app, doc, post "/api/print/pt/batch", "/api/print/{key}/batch", &old_batch);
    assert_eq!(status, 202, "{batch}");
    let batch = batch["batch_id"].as_str().expect("batch").to_string();
    checked!(app, doc, get format!("/api/batches/{batch}"), "/api/batches/{id}");
    let (status, _) = checked!(app, doc, post "/api/print/pt/batch", "/api/print/{key}/batch",
        &json!({ "printer_slug": "ql", "items": [text_job("X")] }));
    assert_eq!(status, 400);
    let (status, queued) = checked!(app, doc, post "/print", "/print", &json!({
        "content_type": "text_one_line", "data": { "primary_id": "P-1" }, "options": { "copies": 1 },
    }));
    assert_eq!(status, 202, "{queued}");
    let old_job = queued["job_id"].as_str().expect("job id").to_string();
    checked!(app, doc, get format!("/jobs/{old_job}"), "/jobs/{id}");
    let (status, _) = checked!(app, doc, get "/jobs/nope", "/jobs/{id}");
    assert_eq!(status, 404);
    let (status, _) =
        checked!(app, doc, post format!("/jobs/{old_job}/resume"), "/jobs/{id}/resume");
    assert_eq!(status, 409);
    let (status, _) = checked!(app, doc, post "/printer/resume", "/printer/resume");
    assert_eq!(status, 409);
    checked!(app, doc, post "/api/printers/pt/pause", "/api/printers/{key}/pause");
    let (status, _) = checked!(app, doc, post "/printer/resume", "/printer/resume");
    assert_eq!(status, 200);
    checked!(app, doc, get "/readiness", "/readiness");
    let (status, _) =
        checked!(app, doc, post "/print", "/print", &json!({ "content_type": "qr_only" }));
    assert_eq!(status, 422);
    let (status, _) = checked!(app, doc, get "/api/landing/grocy/1", "/api/landing/{app}/{id}");
    assert_eq!(status, 401);
}

#[actix::test]
async fn the_request_schemas_say_what_the_server_refuses() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let doc = printhub_gateway::openapi_document();
    let submit = json!({ "$ref": "#/components/schemas/SubmitJobRequest" });
    let cases = [
        (text_job("A"), 202),
        (json!({ "content_type": "qr_only" }), 422),
        (
            json!({ "content_type": "qr_only", "data": { "qr_payload": "" } }),
            422,
        ),
        (
            json!({ "content_type": "text_one_line", "template": "plain_text", "data": { "primary_id": "x" } }),
            400,
        ),
        (json!({ "data": { "primary_id": "x" } }), 400),
        (
            json!({ "template": "plain_text", "data": { "title": "x" } }),
            202,
        ),
        (
            json!({ "template": "no_such_template", "data": { "title": "x" } }),
            422,
        ),
        (
            json!({ "lookup": { "app": "grocy", "id": "1" }, "data": { "title": "x" } }),
            400,
        ),
        (
            json!({ "content_type": "text_one_line", "data": { "primary_id": "x" }, "copies": 0 }),
            400,
        ),
        (
            json!({ "content_type": "text_one_line", "data": { "primary_id": "x" }, "copies": 1000 }),
            400,
        ),
        (
            json!({ "content_type": "text_one_line", "data": { "primary_id": "x" }, "colour": "red" }),
            400,
        ),
    ];
    for (body, status) in cases {
        let req = TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .set_json(&body)
            .to_request();
        let (got, _, answer) = parts(call_service(&app, req).await).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(
            is_valid(&doc, &submit, &body),
            status == 202,
            "the schema and the server disagree on {body}"
        );
    }
    // The slug rule: what the schema allows is what the server takes.
    let slug = json!({ "$ref": "#/components/schemas/Slug" });
    let long = "a".repeat(65);
    for (n, candidate) in [
        "ok-1",
        "a",
        "Upper",
        "",
        long.as_str(),
        "0123456789abcdef0123456789abcdef",
        "01234567-89ab-cdef-0123-456789abcdef",
        "under_score",
    ]
    .into_iter()
    .enumerate()
    {
        let req = TestRequest::post()
            .uri("/api/printers")
            .set_json(json!({ "slug": candidate, "model": "PT-P750W", "media": "tze-12", "address": format!("127.0.0.{}:9", n + 10) }))
            .to_request();
        let (got, _, answer) = parts(call_service(&app, req).await).await;
        assert_eq!(
            is_valid(&doc, &slug, &json!(candidate)),
            got == 201,
            "{candidate:?}: {got} {answer}"
        );
    }
}

#[actix::test]
async fn label_printer_hubs_names_are_documented_and_the_schemas_refuse_what_the_server_refuses() {
    let (hub, _) = hub().await;
    hub.pause_printer("pt").await.expect("paused");
    let app = app!(hub);
    let doc = printhub_gateway::openapi_document();
    // Every alias is in the document.
    let params: Vec<&str> = doc["paths"]["/api/printers"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(params.contains(&"slug"), "{params:?}");
    for (path, name) in [("/api/jobs", "printer_id"), ("/api/events", "printer_id")] {
        let names: Vec<&str> = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(names.contains(&name), "{path}: {names:?}");
    }
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("BatchRequest", "printer_slug"),
        ("BatchRequest", "half_cut_override"),
        ("OptionsRequest", "copies"),
        ("OptionsRequest", "auto_cut"),
        ("OptionsRequest", "high_resolution"),
        ("OptionsRequest", "last_page"),
        ("LookupRequest", "identifier"),
        ("LegacyPrintRequest", "options"),
    ] {
        assert!(
            schemas[schema]["properties"][field].is_object(),
            "{schema}.{field}"
        );
    }
    let summary = &schemas["BatchSummary"]["properties"];
    for field in [
        "done",
        "total",
        "all_terminal",
        "queued",
        "printing",
        "failed",
        "cancelled",
    ] {
        assert!(summary[field].is_object(), "summary.{field}");
    }
    // The schema and the server agree on the old names.
    let batch = json!({ "$ref": "#/components/schemas/BatchRequest" });
    let item = |extra: Value| {
        let mut item = json!({ "content_type": "text_one_line", "data": { "primary_id": "X" } });
        if let (Some(i), Some(e)) = (item.as_object_mut(), extra.as_object()) {
            i.extend(e.clone());
        }
        item
    };
    let cases = [
        (
            json!({ "printer_slug": "pt", "half_cut_override": true,
                 "items": [item(json!({ "options": { "copies": 3, "auto_cut": true, "high_resolution": false, "half_cut": false, "last_page": true } }))] }),
            202,
        ),
        (
            json!({ "items": [item(json!({ "options": { "cut": true, "auto_cut": true } }))] }),
            400,
        ),
        (
            json!({ "items": [item(json!({ "options": { "high_res": true, "high_resolution": true } }))] }),
            400,
        ),
        (
            json!({ "items": [item(json!({ "options": { "chain": true, "last_page": false } }))] }),
            400,
        ),
        (
            json!({ "items": [item(json!({ "copies": 2, "options": { "copies": 2 } }))] }),
            400,
        ),
        (
            json!({ "items": [item(json!({ "options": { "copies": 0 } }))] }),
            400,
        ),
        (
            json!({ "items": [item(json!({ "options": { "copies": null } }))] }),
            400,
        ),
        (
            json!({ "items": [{ "content_type": "qr_only", "lookup": { "app": "grocy", "id": "1", "identifier": "1" } }] }),
            400,
        ),
        (
            json!({ "items": [{ "content_type": "qr_only", "lookup": { "app": "grocy" } }] }),
            400,
        ),
        (
            json!({ "items": [item(json!({})) ], "printer_slugs": "pt" }),
            400,
        ),
    ];
    for (body, status) in cases {
        let req = TestRequest::post()
            .uri("/api/print/pt/batch")
            .set_json(&body)
            .to_request();
        let (got, _, answer) = parts(call_service(&app, req).await).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(
            is_valid(&doc, &batch, &body),
            status == 202,
            "the schema and the server disagree on {body}"
        );
    }
}

/// The SSE frames of a streaming answer: `(event, data)`.
struct Frames {
    body: actix_web::body::BoxBody,
    buffer: String,
}

impl Frames {
    async fn next(&mut self) -> (String, Value) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..end + 2).collect();
                let event = raw.lines().find_map(|l| l.strip_prefix("event: "));
                let data = raw.lines().find_map(|l| l.strip_prefix("data: "));
                if let (Some(event), Some(data)) = (event, data) {
                    return (
                        event.to_string(),
                        serde_json::from_str(data).expect("JSON data"),
                    );
                }
                continue;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let chunk = actix_rt::time::timeout(
                remaining,
                std::future::poll_fn(|cx| Pin::new(&mut self.body).poll_next(cx)),
            )
            .await
            .expect("an event before the deadline")
            .expect("the stream is open")
            .expect("a chunk");
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("utf-8"));
        }
    }
}

#[actix::test]
async fn events_validate_against_their_documented_schemas() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let doc = printhub_gateway::openapi_document();
    let events = &doc["paths"]["/api/events"]["get"]["responses"]["200"]["content"]
        ["text/event-stream"]["x-events"];
    let kinds: BTreeSet<&str> = events
        .as_object()
        .expect("x-events")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "job.state_changed",
            "job.progressed",
            "printer.state_changed",
            "printer.status_changed",
            "printer.media_changed",
            "stream.reset",
        ])
    );
    let open = |last: Option<&str>| {
        let mut req = TestRequest::get().uri("/api/events");
        if let Some(last) = last {
            req = req.insert_header(("last-event-id", last));
        }
        req.to_request()
    };
    // An id from another run: a reset for this client alone.
    let resp = call_service(&app, open(Some("1"))).await;
    let mut frames = Frames {
        body: resp.into_body(),
        buffer: String::new(),
    };
    let (event, data) = frames.next().await;
    assert_eq!(
        (event.as_str(), &data["reason"]),
        ("stream.reset", &json!("gap"))
    );
    assert_valid(&doc, &events["stream.reset"], &data, "stream.reset");

    let resp = call_service(&app, open(None)).await;
    let mut frames = Frames {
        body: resp.into_body(),
        buffer: String::new(),
    };
    for uri in ["/api/printers/pt/pause", "/api/printers/pt/resume"] {
        let req = TestRequest::post().uri(uri).to_request();
        assert_eq!(call_service(&app, req).await.status(), 200, "{uri}");
    }
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(text_job("E-1"))
        .to_request();
    assert_eq!(call_service(&app, req).await.status(), 202);
    let mut seen = BTreeSet::new();
    loop {
        let (event, data) = frames.next().await;
        assert_valid(&doc, &events[&event], &data, &event);
        assert_eq!(data["type"], event.as_str());
        seen.insert(event.clone());
        if event == "job.state_changed" && data["to"] == "completed" {
            break;
        }
    }
    for kind in [
        "printer.state_changed",
        "job.state_changed",
        "job.progressed",
    ] {
        assert!(seen.contains(kind), "no {kind} in {seen:?}");
    }
}
