//! Issue #15: the scope is decided by the route the router matched (every
//! route of the table × every identity × every spelling of its path), the
//! reverse-proxy mode never falls back to anonymous, jobs follow CUPS's
//! `@OWNER` policy, and the metrics need an unlimited caller.

use crate::support::*;
use actix_web::test::{call_service, TestRequest};
use actix_web::FromRequest;
use printhub_gateway::auth::NewKey;
use printhub_gateway::{Auth, AuthConfig, Caller, ProxyConfig, Scope, ROUTES};
use printhub_store::{Store, StoreConfig};
use serde_json::{json, Value};
use std::sync::Arc;

/// A job id no job has.
const NO_JOB: &str = "00000000-0000-4000-8000-000000000000";

/// `pattern` with every `{param}` replaced by a value that names nothing,
/// so the route's handler refuses after the guard and changes nothing.
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| match segment {
            "{key}" => "nope",
            "{id}" if pattern.starts_with("/api/lookup") => "1",
            "{id}" if pattern.starts_with("/api/admin/keys") => "0123456789abcdef0123456789abcdef",
            "{id}" if !pattern.starts_with("/api") => "1",
            "{id}" => NO_JOB,
            "{app}" => "snipeit",
            "{token}" => "no-such-token-Xq9w",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Percent-encodes the first character of every non-empty segment, with
/// upper- or lower-case hex digits.
fn encode_first(path: &str, upper: bool) -> String {
    path.split('/')
        .map(|segment| {
            let mut chars = segment.chars();
            match chars.next() {
                Some(c) => {
                    let hex = format!("{:02X}", u32::from(c));
                    let hex = if upper { hex } else { hex.to_lowercase() };
                    format!("%{hex}{}", chars.as_str())
                }
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Spellings RFC 3986 (§6.2.2 percent-encoding and case of escapes, §5.2.4
/// dot segments) or common practice (`//`, a trailing `/`) makes the same
/// path: each must get exactly the plain spelling's answer.
fn equivalent_spellings(path: &str) -> Vec<String> {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let rest = &path[1 + first.len()..];
    vec![
        encode_first(path, true),
        encode_first(path, false),
        path.replace('/', "//"),
        format!("/{first}/.{rest}"),
        format!("/{first}/x/..{rest}"),
        format!("/{first}/%2E{rest}"),
        format!("{path}/"),
    ]
}

/// Spellings that are another path: they may reach no route of the table.
fn other_paths(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(i) = path[1..].find('/') {
        let i = i + 1;
        out.push(format!("{}%2F{}", &path[..i], &path[i + 1..]));
        out.push(format!("{}%2f{}", &path[..i], &path[i + 1..]));
    }
    out.push(path.to_uppercase());
    out
}

/// Status and error code (the body is not read for an event stream).
async fn answer(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    method: &str,
    uri: &str,
    key: Option<&str>,
) -> (u16, Option<String>) {
    let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = TestRequest::default()
        .method(method.clone())
        .uri(uri)
        .peer_addr("192.0.2.1:1000".parse().expect("addr"));
    if let Some(key) = key {
        req = req.insert_header(("authorization", format!("Bearer {key}")));
    }
    if matches!(method.as_str(), "POST" | "PATCH") {
        // Valid JSON no route accepts: a handler that runs refuses it.
        req = req.set_json(json!({ "zz_unknown_field": 1 }));
    }
    let resp = call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let streaming = resp
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if streaming {
        return (status, None);
    }
    let got = parts(resp).await;
    (status, got.2["error_code"].as_str().map(str::to_owned))
}

#[actix::test]
async fn every_spelling_of_every_route_gets_the_plain_spellings_answer() {
    let (hub, _) = hub().await;
    let pt2 = second_printer(&hub).await;
    let auth = auth(None, 100_000);
    let app = app!(hub, auth);
    let limited = auth
        .create_key(
            NewKey {
                name: "limited admin".into(),
                scope: Scope::Admin,
                printers: Some(vec![pt2.parse().expect("id")]),
                expires_at: None,
                rate_limit_per_minute: None,
            },
            "test",
        )
        .expect("key")
        .1;
    let identities: Vec<(&str, Option<String>)> = vec![
        ("nobody", None),
        (
            "a bad key",
            Some("phk_0123456789abcdef0123456789abcdef_nope".into()),
        ),
        ("read", Some(new_key(&auth, Scope::Read))),
        ("print", Some(new_key(&auth, Scope::Print))),
        ("admin", Some(new_key(&auth, Scope::Admin))),
        ("limited admin", Some(limited)),
    ];
    let keys_before = auth.list_keys().len();
    let mut checked = 0;
    for route in ROUTES {
        let plain = concrete(route.path);
        for (who, key) in &identities {
            let want = answer(&app, route.method, &plain, key.as_deref()).await;
            // Label Printer Hub's webhooks are off (503) while no webhook
            // key is configured, as they were there; nothing else may fail.
            let off = route.path.starts_with("/api/webhook/")
                && want == (503, Some("unavailable".to_string()));
            assert!(
                want.0 < 500 || off,
                "{who} {} {plain}: {want:?}",
                route.method
            );
            for spelling in equivalent_spellings(&plain) {
                let got = answer(&app, route.method, &spelling, key.as_deref()).await;
                assert_eq!(
                    got, want,
                    "{who}: {} {spelling} answered unlike {plain}",
                    route.method
                );
                checked += 1;
            }
            for other in other_paths(&plain) {
                let got = answer(&app, route.method, &other, key.as_deref()).await;
                assert!(
                    matches!(got.0, 401 | 404),
                    "{who}: {} {other} reached something: {got:?}",
                    route.method
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1500, "{checked} requests");
    assert_eq!(auth.list_keys().len(), keys_before, "no key was minted");
    assert_eq!(job_count(&hub).await, 0, "no job was queued");
    let names: Vec<String> = hub
        .list_printers()
        .await
        .expect("printers")
        .into_iter()
        .map(|p| p.slug)
        .collect();
    assert_eq!(names, ["pt", "pt2"], "no printer added or removed");
}

#[actix::test]
async fn the_reported_attacks_are_refused() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let read = new_key(&auth, Scope::Read);
    let before = auth.list_keys().len();
    // A read key minting an admin key through an encoded path.
    let req = TestRequest::post()
        .uri("/api/admin/%6Beys")
        .insert_header(("authorization", format!("Bearer {read}")))
        .set_json(json!({ "name": "x", "scope": "admin" }))
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_problem(&got, 403, "insufficient_scope");
    assert_eq!(auth.list_keys().len(), before, "no key minted");
    // Metrics and upstream lookups without any key.
    for uri in ["/%6Detrics", "/%61pi/lookup/snipeit/1", "/%61pi/jobs"] {
        let got = parts(call_service(&app, TestRequest::get().uri(uri).to_request()).await).await;
        assert_problem(&got, 401, "unauthorized");
    }
}

#[actix::test]
async fn a_handler_reached_without_a_caller_answers_401() {
    let req = TestRequest::get().uri("/api/jobs").to_http_request();
    let err = Caller::extract(&req).await.expect_err("no caller");
    assert_eq!(err.code.as_str(), "unauthorized");
    assert_eq!(err.code.status().as_u16(), 401);
}

/// A trusted proxy (users get `print`) and anonymous `read`.
fn proxy_and_anonymous() -> Auth {
    let store = Store::open_in_memory(StoreConfig::default()).expect("store");
    Auth::open(
        AuthConfig {
            anonymous: Some(Scope::Read),
            proxy: Some(ProxyConfig {
                user_header: "X-Forwarded-User".into(),
                secret_header: "X-Printhub-Proxy-Secret".into(),
                secret: "Vq3-pL9xZ2m7Kt4w".into(),
                scope: Scope::Print,
            }),
            ..AuthConfig::default()
        },
        Arc::new(store),
    )
    .expect("auth")
}

#[actix::test]
async fn half_proven_proxy_headers_are_401_never_anonymous() {
    let (hub, _) = hub().await;
    let auth = proxy_and_anonymous();
    let app = app!(hub, auth);
    let good = "Vq3-pL9xZ2m7Kt4w";
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "a user without the secret",
            vec![("X-Forwarded-User", "mallory")],
        ),
        (
            "a user with a wrong secret",
            vec![
                ("X-Forwarded-User", "mallory"),
                ("X-Printhub-Proxy-Secret", "nope"),
            ],
        ),
        (
            "two user headers",
            vec![
                ("X-Forwarded-User", "alice"),
                ("X-Forwarded-User", "mallory"),
                ("X-Printhub-Proxy-Secret", good),
            ],
        ),
        (
            "two secret headers",
            vec![
                ("X-Forwarded-User", "alice"),
                ("X-Printhub-Proxy-Secret", good),
                ("X-Printhub-Proxy-Secret", good),
            ],
        ),
        (
            "a secret without a user",
            vec![("X-Printhub-Proxy-Secret", good)],
        ),
        ("an empty legacy key header", vec![("X-Label-Hub-Key", "")]),
    ];
    for (what, headers) in cases {
        let mut req = TestRequest::get().uri("/api/auth/whoami");
        for (name, value) in headers {
            req = req.append_header((name, value));
        }
        let got = parts(call_service(&app, req.to_request()).await).await;
        assert_eq!(got.0, 401, "{what}: {}", got.2);
    }
    // Without any of those headers the anonymous policy applies.
    let got = parts(
        call_service(
            &app,
            TestRequest::get().uri("/api/auth/whoami").to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(
        (got.0, got.2["scope"].as_str()),
        (200, Some("read")),
        "{}",
        got.2
    );
}

#[actix::test]
async fn the_source_address_is_the_one_the_trusted_proxy_appended() {
    let (hub, _) = hub().await;
    let auth = proxy_and_anonymous();
    let app = app!(hub, auth);
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .peer_addr("10.0.0.1:40000".parse().expect("addr"))
        .append_header(("X-Forwarded-User", "alice"))
        .append_header(("X-Printhub-Proxy-Secret", "Vq3-pL9xZ2m7Kt4w"))
        // The client wrote the first entry; the proxy appended the second.
        .append_header(("X-Forwarded-For", "203.0.113.66, 198.51.100.4"))
        .set_json(text_job("X"))
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.0, 202, "{}", got.2);
    assert_eq!(got.2["source_address"], "198.51.100.4");
}

async fn submit_as(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    key: &str,
) -> Value {
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .peer_addr("192.0.2.1:1000".parse().expect("addr"))
        .insert_header(("authorization", format!("Bearer {key}")))
        .set_json(text_job("O"))
        .to_request();
    let got = parts(call_service(app, req).await).await;
    assert_eq!(got.0, 202, "{}", got.2);
    got.2
}

#[actix::test]
async fn a_print_key_steers_only_its_own_jobs_and_sees_only_its_own_submitters() {
    let (hub, _) = hub().await;
    hub.pause_printer("pt").await.expect("paused");
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let alice = new_key(&auth, Scope::Print);
    let bob = new_key(&auth, Scope::Print);
    let admin = new_key(&auth, Scope::Admin);
    let job = submit_as(&app, &alice).await;
    let id = job["id"].as_str().expect("id").to_string();
    assert!(job["submitted_by"].is_string(), "the submitter sees itself");
    let call = |method: &str, uri: String, key: &str| {
        TestRequest::default()
            .method(actix_web::http::Method::from_bytes(method.as_bytes()).expect("m"))
            .uri(&uri)
            .insert_header(("authorization", format!("Bearer {key}")))
            .to_request()
    };
    for verb in ["hold", "cancel", "release", "retry"] {
        let got =
            parts(call_service(&app, call("POST", format!("/api/jobs/{id}/{verb}"), &bob)).await)
                .await;
        assert_problem(&got, 403, "not_job_owner");
    }
    assert_eq!(
        hub.job(id.parse().expect("id"))
            .await
            .expect("job")
            .state
            .as_str(),
        "queued"
    );
    // Bob sees the job but not who sent it or from where.
    for uri in [
        format!("/api/jobs/{id}"),
        "/api/jobs".into(),
        "/api/printers/pt/queue".into(),
    ] {
        let got = parts(call_service(&app, call("GET", uri.clone(), &bob)).await).await;
        assert_eq!(got.0, 200, "{uri}: {}", got.2);
        let text = got.2.to_string();
        assert!(text.contains(&id), "{uri}: {text}");
        assert!(
            !text.contains("submitted_by") && !text.contains("source_address"),
            "{uri}: {text}"
        );
    }
    // Alice and an admin see it; alice holds her job; the admin cancels it.
    for key in [&alice, &admin] {
        let got =
            parts(call_service(&app, call("GET", format!("/api/jobs/{id}"), key)).await).await;
        assert!(got.2["submitted_by"].is_string(), "{}", got.2);
        assert_eq!(got.2["source_address"], "192.0.2.1", "{}", got.2);
    }
    let got =
        parts(call_service(&app, call("POST", format!("/api/jobs/{id}/hold"), &alice)).await).await;
    assert_eq!(
        (got.0, got.2["state"].as_str()),
        (200, Some("held")),
        "{}",
        got.2
    );
    let got =
        parts(call_service(&app, call("POST", format!("/api/jobs/{id}/cancel"), &admin)).await)
            .await;
    assert_eq!(
        (got.0, got.2["state"].as_str()),
        (200, Some("cancelled")),
        "{}",
        got.2
    );
}

#[actix::test]
async fn events_never_carry_who_submitted_a_job() {
    use actix_web::body::MessageBody;
    let (hub, _) = hub().await;
    let auth = auth(Some(Scope::Admin), 600);
    let app = app!(hub, auth);
    let stream = call_service(&app, TestRequest::get().uri("/api/events").to_request()).await;
    assert_eq!(stream.status().as_u16(), 200);
    let mut body = stream.into_body();
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(text_job("E"))
        .to_request();
    let job = parts(call_service(&app, req).await).await.2;
    assert!(job["submitted_by"].is_string(), "{job}");
    let id = job["id"].as_str().expect("id").to_string();
    let mut text = String::new();
    // Until the whole frame of the job's first event has arrived.
    while !text.find(&id).is_some_and(|at| text[at..].contains("\n\n")) {
        let chunk = actix_rt::time::timeout(
            DEADLINE,
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_next(cx)),
        )
        .await
        .expect("an event before the deadline")
        .expect("the stream is open")
        .expect("a chunk");
        text.push_str(std::str::from_utf8(&chunk).expect("utf-8"));
    }
    assert!(
        text.contains("\"job\":{"),
        "the event carries the job's view: {text}"
    );
    assert!(
        !text.contains("submitted_by") && !text.contains("source_address"),
        "{text}"
    );
}

#[actix::test]
async fn metrics_need_a_caller_without_an_allow_list() {
    let (hub, _) = hub().await;
    let pt2 = second_printer(&hub).await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let limited = auth
        .create_key(
            NewKey {
                name: "pt2 reader".into(),
                scope: Scope::Read,
                printers: Some(vec![pt2.parse().expect("id")]),
                expires_at: None,
                rate_limit_per_minute: None,
            },
            "test",
        )
        .expect("key")
        .1;
    let read = new_key(&auth, Scope::Read);
    let get = |key: &str| {
        TestRequest::get()
            .uri("/metrics")
            .insert_header(("authorization", format!("Bearer {key}")))
            .to_request()
    };
    let got = parts(call_service(&app, get(&limited)).await).await;
    assert_problem(&got, 403, "printer_not_allowed");
    let resp = call_service(&app, get(&read)).await;
    assert_eq!(resp.status().as_u16(), 200);
}

#[test]
fn keys_need_a_name_and_a_future_expiry_whoever_asks() {
    let past = printhub_core::Timestamp::from_millis(1_000);
    for (name, expires_at, field) in [
        ("", None, "name"),
        ("   ", None, "name"),
        (&"n".repeat(101)[..], None, "name"),
        ("x", Some(past), "expires_at"),
    ] {
        let refused = NewKey {
            name: name.into(),
            scope: Scope::Read,
            printers: None,
            expires_at,
            rate_limit_per_minute: None,
        }
        .checked()
        .expect_err("refused");
        assert_eq!(refused.code(), "invalid_request");
        // As the API answers it.
        let err = printhub_gateway::ApiError::from(refused);
        assert_eq!(err.code.as_str(), "invalid_request");
        assert_eq!(
            err.error_detail.as_ref().map(|d| d["field"].clone()),
            Some(json!(field))
        );
    }
    let ok = NewKey {
        name: "  ci bot ".into(),
        scope: Scope::Read,
        printers: None,
        expires_at: None,
        rate_limit_per_minute: None,
    }
    .checked()
    .expect("fine");
    assert_eq!(ok.name, "ci bot");
}
