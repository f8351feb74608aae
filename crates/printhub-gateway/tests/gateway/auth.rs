//! The auth matrix (issue #9): each scope against each route class, the
//! printer allow-list on every route that touches a printer or its jobs,
//! the mutation rate limit, bad/expired/revoked keys, the proxy header mode
//! — and that a refused request changed nothing.

use crate::support::*;
use actix_web::test::{call_service, TestRequest};
use printhub_core::Timestamp;
use printhub_gateway::auth::NewKey;
use printhub_gateway::{Auth, AuthConfig, ProxyConfig, Scope};
use printhub_store::{Store, StoreConfig};
use serde_json::{json, Value};
use std::sync::Arc;

fn bearer(key: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {key}"))
}

#[actix::test]
async fn without_a_key_only_public_routes_answer() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    for uri in [
        "/api/printers",
        "/api/jobs",
        "/metrics",
        "/api/no/such/route",
    ] {
        let resp = call_service(&app, TestRequest::get().uri(uri).to_request()).await;
        let www = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        assert_problem(&parts(resp).await, 401, "unauthorized");
        assert_eq!(www.as_deref(), Some("Bearer realm=\"printhub\""), "{uri}");
    }
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(text_job("A"))
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        401,
        "unauthorized",
    );
    assert_eq!(job_count(&hub).await, 0, "nothing queued");
    for uri in ["/healthz", "/api/openapi.json"] {
        let got = parts(call_service(&app, TestRequest::get().uri(uri).to_request()).await).await;
        assert_eq!(got.0, 200, "{uri}: {}", got.2);
    }
}

#[actix::test]
async fn each_scope_reaches_exactly_its_route_classes() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let keys = [
        (Scope::Read, new_key(&auth, Scope::Read)),
        (Scope::Print, new_key(&auth, Scope::Print)),
        (Scope::Admin, new_key(&auth, Scope::Admin)),
    ];
    for (scope, key) in &keys {
        // read: list printers.
        let req = TestRequest::get()
            .uri("/api/printers")
            .insert_header(bearer(key))
            .to_request();
        let got = parts(call_service(&app, req).await).await;
        assert_eq!(got.0, 200, "{scope:?} read: {}", got.2);

        // print: submit a job.
        let before = job_count(&hub).await;
        let req = TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .insert_header(bearer(key))
            .set_json(text_job("S"))
            .to_request();
        let got = parts(call_service(&app, req).await).await;
        if *scope >= Scope::Print {
            assert_eq!(got.0, 202, "{scope:?} print: {}", got.2);
            assert_eq!(job_count(&hub).await, before + 1);
        } else {
            let body = assert_problem(&got, 403, "insufficient_scope");
            assert_eq!(body["error_detail"]["required"], "print");
            assert_eq!(
                job_count(&hub).await,
                before,
                "a refused submit queues nothing"
            );
        }

        // admin: rename the printer; list keys.
        let req = TestRequest::patch()
            .uri("/api/printers/pt")
            .insert_header(bearer(key))
            .set_json(json!({ "name": format!("renamed by {}", scope.as_str()) }))
            .to_request();
        let got = parts(call_service(&app, req).await).await;
        let req = TestRequest::get()
            .uri("/api/admin/keys")
            .insert_header(bearer(key))
            .to_request();
        let keys_got = parts(call_service(&app, req).await).await;
        if *scope == Scope::Admin {
            assert_eq!(got.0, 200, "{}", got.2);
            assert_eq!(keys_got.0, 200, "{}", keys_got.2);
        } else {
            assert_problem(&got, 403, "insufficient_scope");
            assert_problem(&keys_got, 403, "insufficient_scope");
        }
    }
    let name = hub.printer("pt").await.expect("pt").name;
    assert_eq!(name, "renamed by admin", "only the admin's rename happened");
}

#[actix::test]
async fn the_legacy_header_works_and_jobs_record_who_sent_them() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let key = new_key(&auth, Scope::Print);
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .insert_header(("x-label-hub-key", key.clone()))
        .peer_addr("192.0.2.9:50000".parse().expect("addr"))
        .set_json(text_job("L"))
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.0, 202, "{}", got.2);
    let id = key.split('_').nth(1).expect("key id");
    assert_eq!(got.2["submitted_by"], format!("key:{id}"));
    assert_eq!(got.2["source_address"], "192.0.2.9");
    let req = TestRequest::get()
        .uri("/api/auth/whoami")
        .insert_header(bearer(&key))
        .to_request();
    let me = parts(call_service(&app, req).await).await.2;
    assert_eq!(me["anonymous"], false);
    assert_eq!(me["key_id"], id);
    assert_eq!(me["scope"], "print");
    let serialized = me.to_string();
    assert!(!serialized.contains(&key), "whoami never echoes the key");
}

#[actix::test]
async fn bad_expired_and_revoked_keys_get_nothing() {
    let (hub, _) = hub().await;
    // Anonymous admin is allowed here: a bad key must still be 401, not anonymous.
    let auth = auth(Some(Scope::Admin), 600);
    let app = app!(hub, auth);
    let good = new_key(&auth, Scope::Print);
    let (_, expiring) = auth
        .create_key(
            NewKey {
                name: "short-lived".into(),
                scope: Scope::Print,
                printers: None,
                expires_at: Some(Timestamp::from_millis(
                    printhub_core::Timestamp::from_millis(0).as_millis() + 1,
                )),
                rate_limit_per_minute: None,
            },
            "test",
        )
        .expect("key");
    let wrong_secret = format!("{}x", &good[..good.len() - 1]);
    let unknown = "phk_0123456789abcdef0123456789abcdef_secret".to_string();
    for (why, key) in [
        ("malformed", "nonsense".to_string()),
        ("unknown", unknown),
        ("wrong secret", wrong_secret),
        ("expired", expiring),
    ] {
        let req = TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .insert_header(bearer(&key))
            .set_json(text_job("B"))
            .to_request();
        let body = assert_problem(
            &parts(call_service(&app, req).await).await,
            401,
            "unauthorized",
        );
        if why == "expired" {
            assert!(
                body["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("expired")),
                "{body}"
            );
        }
    }
    let req = TestRequest::get()
        .uri("/api/printers")
        .insert_header(("authorization", "Basic Zm9vOmJhcg=="))
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        401,
        "unauthorized",
    );
    assert_eq!(job_count(&hub).await, 0);

    // Revoke the good key through the API: its next call is refused.
    let id = good.split('_').nth(1).expect("id").to_string();
    let req = TestRequest::delete()
        .uri(&format!("/api/admin/keys/{id}"))
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert!(got.2["revoked_at"].is_string());
    let req = TestRequest::get()
        .uri("/api/printers")
        .insert_header(bearer(&good))
        .to_request();
    let body = assert_problem(
        &parts(call_service(&app, req).await).await,
        401,
        "unauthorized",
    );
    assert!(body["detail"]
        .as_str()
        .is_some_and(|d| d.contains("revoked")));
    let req = TestRequest::delete()
        .uri("/api/admin/keys/0123456789abcdef0123456789abcdef")
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        404,
        "key_not_found",
    );
}

#[actix::test]
async fn an_allow_list_confines_a_key_to_its_printers_everywhere() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let pt2 = second_printer(&hub).await;
    let admin = new_key(&auth, Scope::Admin);
    // Create the limited key through the API, naming the printer by slug.
    let req = TestRequest::post()
        .uri("/api/admin/keys")
        .insert_header(bearer(&admin))
        .set_json(json!({ "name": "only pt", "scope": "print", "printers": ["pt"] }))
        .to_request();
    let created = parts(call_service(&app, req).await).await;
    assert_eq!(created.0, 201, "{}", created.2);
    let limited = created.2["key"].as_str().expect("key").to_string();
    let pt = hub.printer("pt").await.expect("pt").id.to_string();
    assert_eq!(created.2["printers"], json!([pt]));

    // A queued job on pt2 (paused, so it stays queued).
    hub.pause_printer("pt2").await.expect("pause");
    let req = TestRequest::post()
        .uri("/api/printers/pt2/jobs")
        .insert_header(bearer(&admin))
        .set_json(text_job("other"))
        .to_request();
    let other = parts(call_service(&app, req).await).await.2;
    let other_id = other["id"].as_str().expect("id").to_string();

    let get = |uri: String| {
        TestRequest::get()
            .uri(&uri)
            .insert_header(bearer(&limited))
            .to_request()
    };
    let post = |uri: String, body: Value| {
        TestRequest::post()
            .uri(&uri)
            .insert_header(bearer(&limited))
            .set_json(body)
            .to_request()
    };
    let listed = parts(call_service(&app, get("/api/printers".into())).await)
        .await
        .2;
    let slugs: Vec<&str> = listed
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["slug"].as_str())
        .collect();
    assert_eq!(slugs, ["pt"]);
    for uri in [
        "/api/printers/pt2".to_string(),
        format!("/api/printers/{pt2}/status"),
        "/api/printers/pt2/queue".into(),
        format!("/api/jobs/{other_id}"),
        "/api/events?printer=pt2".into(),
    ] {
        let got = parts(call_service(&app, get(uri.clone())).await).await;
        assert_problem(&got, 403, "printer_not_allowed");
    }
    let before = job_count(&hub).await;
    for (uri, body) in [
        ("/api/printers/pt2/jobs".to_string(), text_job("no")),
        (
            "/api/print/pt2/batch".into(),
            json!({ "items": [text_job("no")] }),
        ),
        ("/api/printers/pt2/resume".into(), Value::Null),
        ("/api/printers/pt2/queue/clear".into(), Value::Null),
        (format!("/api/jobs/{other_id}/cancel"), Value::Null),
        (format!("/api/jobs/{other_id}/hold"), Value::Null),
        (
            "/api/render/preview".into(),
            json!({ "printer": "pt2", "content_type": "text_one_line", "data": { "primary_id": "x" } }),
        ),
    ] {
        let got = parts(call_service(&app, post(uri.clone(), body)).await).await;
        assert_problem(&got, 403, "printer_not_allowed");
    }
    assert_eq!(job_count(&hub).await, before, "nothing queued");
    assert_eq!(
        hub.job(other_id.parse().expect("uuid"))
            .await
            .expect("job")
            .state
            .as_str(),
        "queued"
    );
    let paused = hub.printer("pt2").await.expect("pt2");
    assert_eq!(paused.state.name(), "paused", "resume was refused");

    // Its own printer works, and listings hide the other printer's jobs.
    let got =
        parts(call_service(&app, post("/api/printers/pt/jobs".into(), text_job("mine"))).await)
            .await;
    assert_eq!(got.0, 202, "{}", got.2);
    let jobs = parts(call_service(&app, get("/api/jobs".into())).await)
        .await
        .2;
    let printers: Vec<&str> = jobs["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter_map(|j| j["printer_id"].as_str())
        .collect();
    assert!(
        !printers.is_empty() && printers.iter().all(|p| *p == pt),
        "{jobs}"
    );
    // The total counts only what the key may see, too.
    assert_eq!(
        jobs["total"].as_u64(),
        Some(printers.len() as u64),
        "{jobs}"
    );
    let batch = other["batch_id"].clone();
    assert!(batch.is_null(), "a single job has no batch");
}

#[actix::test]
async fn a_limited_admin_key_cannot_manage_keys_or_read_the_audit_log() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let pt = hub.printer("pt").await.expect("pt").id;
    let admin = new_key(&auth, Scope::Admin);
    let admin_id = admin.split('_').nth(1).expect("id").to_string();
    let (_, limited) = auth
        .create_key(
            NewKey {
                name: "pt admin".into(),
                scope: Scope::Admin,
                printers: Some(vec![pt]),
                expires_at: None,
                rate_limit_per_minute: None,
            },
            "test",
        )
        .expect("key");
    let keys_before = auth.list_keys().len();
    let with = |req: TestRequest, key: &str| req.insert_header(bearer(key)).to_request();
    let refused = [
        (
            "list keys",
            with(TestRequest::get().uri("/api/admin/keys"), &limited),
        ),
        (
            "create a key",
            with(
                TestRequest::post()
                    .uri("/api/admin/keys")
                    .set_json(json!({ "name": "unlimited", "scope": "admin" })),
                &limited,
            ),
        ),
        (
            "revoke a key",
            with(
                TestRequest::delete().uri(&format!("/api/admin/keys/{admin_id}")),
                &limited,
            ),
        ),
        (
            "read the audit log",
            with(TestRequest::get().uri("/api/admin/audit"), &limited),
        ),
    ];
    for (what, req) in refused {
        let got = parts(call_service(&app, req).await).await;
        let body = assert_problem(&got, 403, "printer_not_allowed");
        assert!(
            !body.to_string().contains("phk_"),
            "{what}: no key in the refusal: {body}"
        );
    }
    assert_eq!(auth.list_keys().len(), keys_before, "no key was created");
    assert!(
        auth.list_keys()
            .iter()
            .all(|k| k.record.revoked_at.is_none()),
        "no key was revoked"
    );
    // Its admin scope still reaches its own printer, and an unlimited admin
    // still manages keys and reads the log.
    let req = with(
        TestRequest::patch()
            .uri("/api/printers/pt")
            .set_json(json!({ "name": "renamed by the pt admin" })),
        &limited,
    );
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.0, 200, "{}", got.2);
    for uri in ["/api/admin/keys", "/api/admin/audit"] {
        let got = parts(call_service(&app, with(TestRequest::get().uri(uri), &admin)).await).await;
        assert_eq!(got.0, 200, "{uri}: {}", got.2);
    }
}

#[actix::test]
async fn mutations_are_rate_limited_per_key_and_reads_are_not() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let (_, key) = auth
        .create_key(
            NewKey {
                name: "slow".into(),
                scope: Scope::Print,
                printers: None,
                expires_at: None,
                rate_limit_per_minute: Some(2),
            },
            "test",
        )
        .expect("key");
    let other = new_key(&auth, Scope::Print);
    let submit = |key: &str| {
        TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .insert_header(bearer(key))
            .set_json(text_job("R"))
            .to_request()
    };
    // Each counted answer says where the caller stands (issue #23 item 11:
    // the RateLimit-* fields of draft-ietf-httpapi-ratelimit-headers).
    let number = |resp: &actix_web::dev::ServiceResponse, name: &str| -> u64 {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing or not a number"))
    };
    for remaining in [1, 0] {
        let resp = call_service(&app, submit(&key)).await;
        assert_eq!(resp.status(), 202);
        assert_eq!(number(&resp, "ratelimit-limit"), 2);
        assert_eq!(number(&resp, "ratelimit-remaining"), remaining);
        // 2 a minute: one mutation back every 30 s, all of them within 60 s.
        let reset = number(&resp, "ratelimit-reset");
        assert!((1..=60).contains(&reset), "{reset}");
    }
    let resp = call_service(&app, submit(&key)).await;
    let retry_after = number(&resp, "retry-after");
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    assert_eq!(number(&resp, "ratelimit-limit"), 2);
    assert_eq!(number(&resp, "ratelimit-remaining"), 0);
    assert_eq!(number(&resp, "ratelimit-reset"), retry_after);
    assert_problem(&parts(resp).await, 429, "rate_limited");
    assert_eq!(
        job_count(&hub).await,
        2,
        "the limited submit queued nothing"
    );
    for _ in 0..10 {
        let req = TestRequest::get()
            .uri("/api/jobs")
            .insert_header(bearer(&key))
            .to_request();
        let resp = call_service(&app, req).await;
        assert_eq!(resp.status(), 200, "reads are not counted");
        assert!(
            resp.headers().get("ratelimit-remaining").is_none(),
            "nor do they carry the count"
        );
    }
    assert_eq!(
        call_service(&app, submit(&other)).await.status(),
        202,
        "another key has its own budget"
    );
}

#[actix::test]
async fn previews_create_nothing_and_are_not_counted_against_the_rate_limit() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let (_, key) = auth
        .create_key(
            NewKey {
                name: "designer".into(),
                scope: Scope::Print,
                printers: None,
                expires_at: None,
                rate_limit_per_minute: Some(2),
            },
            "test",
        )
        .expect("key");
    let preview = || {
        TestRequest::post()
            .uri("/api/render/preview")
            .insert_header(bearer(&key))
            .set_json(json!({ "printer": "pt", "content_type": "text_one_line", "data": { "primary_id": "P" } }))
            .to_request()
    };
    let submit = || {
        TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .insert_header(bearer(&key))
            .set_json(text_job("R"))
            .to_request()
    };
    // Many previews, then the whole budget of submits, then previews again.
    for n in 0..6 {
        let resp = call_service(&app, preview()).await;
        assert_eq!(resp.status(), 200, "preview {n}");
    }
    for _ in 0..2 {
        assert_eq!(call_service(&app, submit()).await.status(), 202);
    }
    assert_problem(
        &parts(call_service(&app, submit()).await).await,
        429,
        "rate_limited",
    );
    assert_eq!(
        call_service(&app, preview()).await.status(),
        200,
        "after the limit"
    );
    assert_eq!(job_count(&hub).await, 2, "previews queued nothing");
}

/// Keys only, plus a trusted proxy (`X-Forwarded-User`, proven by `secret` in
/// `X-Printhub-Proxy-Secret`) whose users get `print`.
fn proxied_auth(secret: &str) -> Auth {
    let store = Store::open_in_memory(StoreConfig::default()).expect("store");
    Auth::open(
        AuthConfig {
            anonymous: None,
            proxy: Some(ProxyConfig {
                user_header: "X-Forwarded-User".into(),
                secret_header: "X-Printhub-Proxy-Secret".into(),
                secret: secret.into(),
                scope: Scope::Print,
            }),
            ..AuthConfig::default()
        },
        Arc::new(store),
    )
    .expect("auth")
}

#[actix::test]
async fn proxy_headers_count_only_with_the_shared_secret() {
    let (hub, _) = hub().await;
    let auth = proxied_auth("correct horse battery staple");
    let app = app!(hub, auth);
    let whoami = |headers: &[(&'static str, &'static str)]| {
        let mut req = TestRequest::get().uri("/api/auth/whoami");
        for h in headers {
            req = req.insert_header(*h);
        }
        req.to_request()
    };
    for spoof in [
        vec![("X-Forwarded-User", "mallory")],
        vec![
            ("X-Forwarded-User", "mallory"),
            ("X-Printhub-Proxy-Secret", "guess"),
        ],
        vec![
            ("X-Forwarded-User", "mallory"),
            ("X-Printhub-Proxy-Secret", ""),
        ],
    ] {
        let got = parts(call_service(&app, whoami(&spoof)).await).await;
        assert_problem(&got, 401, "unauthorized");
    }
    let got = parts(
        call_service(
            &app,
            whoami(&[
                ("X-Forwarded-User", "alice"),
                ("X-Printhub-Proxy-Secret", "correct horse battery staple"),
            ]),
        )
        .await,
    )
    .await;
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.2["name"], "alice");
    assert_eq!(got.2["scope"], "print");
}

#[actix::test]
async fn jobs_record_the_client_the_trusted_proxy_names_and_only_that_proxy() {
    let (hub, _) = hub().await;
    let auth = proxied_auth("proxy-secret");
    let app = app!(hub, auth);
    let key = new_key(&auth, Scope::Print);
    let auth_header = format!("Bearer {key}");
    let submit = |headers: Vec<(&'static str, String)>| {
        let mut req = TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .peer_addr("192.0.2.7:40000".parse().expect("addr"))
            .set_json(text_job("P"));
        for h in headers {
            req = req.insert_header(h);
        }
        req.to_request()
    };
    let via_proxy = |extra: Vec<(&'static str, String)>| {
        let mut headers = vec![
            ("X-Printhub-Proxy-Secret", "proxy-secret".to_string()),
            ("X-Forwarded-For", "203.0.113.66, 198.51.100.4".to_string()),
        ];
        headers.extend(extra);
        headers
    };
    for (what, headers, from) in [
        (
            "a user the proxy names",
            via_proxy(vec![("X-Forwarded-User", "alice".into())]),
            "198.51.100.4",
        ),
        (
            "a key passed through the proxy",
            via_proxy(vec![("authorization", auth_header.clone())]),
            "198.51.100.4",
        ),
        (
            "a key with a forwarded-for header but no proxy secret",
            vec![
                ("authorization", auth_header.clone()),
                ("X-Forwarded-For", "198.51.100.66".into()),
            ],
            "192.0.2.7",
        ),
    ] {
        let got = parts(call_service(&app, submit(headers)).await).await;
        assert_eq!(got.0, 202, "{what}: {}", got.2);
        assert_eq!(got.2["source_address"], from, "{what}: {}", got.2);
    }
}

#[actix::test]
async fn admin_actions_are_audited_and_no_read_returns_a_secret() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    let admin = new_key(&auth, Scope::Admin);
    let admin_id = admin.split('_').nth(1).expect("id").to_string();
    let req = TestRequest::post()
        .uri("/api/admin/keys")
        .insert_header(bearer(&admin))
        .set_json(json!({ "name": "inventory", "scope": "print", "rate_limit_per_minute": 60 }))
        .to_request();
    let created = parts(call_service(&app, req).await).await;
    assert_eq!(created.0, 201, "{}", created.2);
    let secret = created.2["key"].as_str().expect("shown once").to_string();
    let req = TestRequest::patch()
        .uri("/api/printers/pt")
        .insert_header(bearer(&admin))
        .set_json(json!({ "snmp_community": "new-s3cret" }))
        .to_request();
    assert_eq!(call_service(&app, req).await.status(), 200);

    let mut everything = String::new();
    for uri in [
        "/api/admin/keys",
        "/api/admin/audit",
        "/api/printers",
        "/api/printers/pt",
        "/api/printers/pt/status",
        "/api/auth/whoami",
    ] {
        let req = TestRequest::get()
            .uri(uri)
            .insert_header(bearer(&admin))
            .to_request();
        let got = parts(call_service(&app, req).await).await;
        assert_eq!(got.0, 200, "{uri}: {}", got.2);
        everything.push_str(&got.2.to_string());
    }
    for secret in [&secret, &admin, "new-s3cret", "s3cret-community"] {
        assert!(!everything.contains(secret), "a read returned {secret}");
    }
    let req = TestRequest::get()
        .uri("/api/admin/audit?limit=10")
        .insert_header(bearer(&admin))
        .to_request();
    let audit = parts(call_service(&app, req).await).await.2;
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or(""),
                r["actor"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let by_admin = format!("key:{admin_id}");
    assert_eq!(
        actions[..2],
        [
            ("printer.update", by_admin.as_str()),
            ("key.create", by_admin.as_str())
        ],
        "{audit}"
    );
    let req = TestRequest::post()
        .uri("/api/admin/keys")
        .insert_header(bearer(&admin))
        .set_json(json!({ "name": "x", "scope": "root" }))
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        400,
        "invalid_request",
    );
    let req = TestRequest::post()
        .uri("/api/admin/keys")
        .insert_header(bearer(&admin))
        .set_json(json!({ "name": "x", "scope": "read", "printers": ["nope"] }))
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        404,
        "printer_not_found",
    );
    let req = TestRequest::post()
        .uri("/api/admin/keys")
        .insert_header(bearer(&admin))
        .set_json(json!({ "name": "x", "scope": "read", "expires_at": "2001-01-01T00:00:00Z" }))
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        400,
        "invalid_request",
    );
}

#[actix::test]
async fn anonymous_mutations_are_limited_per_client_address() {
    let (hub, _) = hub().await;
    let store = Store::open_in_memory(StoreConfig::default()).expect("store");
    let auth = Auth::open(
        AuthConfig {
            anonymous: Some(Scope::Print),
            anonymous_rate_limit_per_minute: Some(1),
            ..AuthConfig::default()
        },
        Arc::new(store),
    )
    .expect("auth");
    let app = app!(hub, auth);
    let submit = |addr: &str| {
        TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .peer_addr(addr.parse().expect("addr"))
            .set_json(text_job("A"))
            .to_request()
    };
    assert_eq!(
        call_service(&app, submit("192.0.2.1:1000")).await.status(),
        202
    );
    assert_problem(
        &parts(call_service(&app, submit("192.0.2.1:1001")).await).await,
        429,
        "rate_limited",
    );
    assert_eq!(
        call_service(&app, submit("192.0.2.2:1000")).await.status(),
        202,
        "another address has its own budget"
    );
    assert_eq!(
        job_count(&hub).await,
        2,
        "the limited submit queued nothing"
    );
}

/// A key works from the moment it is created, even while the periodic
/// reload (which picks up keys made by `printhub keys` in another process)
/// runs: a reload that read the store just before the key was stored must
/// not put back a ring without it.
#[test]
fn a_new_key_works_at_once_while_keys_are_reloaded() {
    let store = Store::open_in_memory(StoreConfig::default()).expect("store");
    let auth = Auth::open(AuthConfig::default(), Arc::new(store)).expect("auth");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reloader = {
        let (auth, stop) = (auth.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                auth.reload().expect("reload");
            }
        })
    };
    for n in 0..50 {
        let (_, key) = auth
            .create_key(
                NewKey {
                    name: format!("k{n}"),
                    scope: Scope::Print,
                    printers: None,
                    expires_at: None,
                    rate_limit_per_minute: None,
                },
                "test",
            )
            .expect("key");
        let mut headers = actix_web::http::header::HeaderMap::new();
        headers.insert(
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::HeaderValue::from_str(&format!("Bearer {key}"))
                .expect("header"),
        );
        let known = auth.authenticate(&headers, None);
        assert!(
            known.is_ok(),
            "key {n} unknown right after it was made: {known:?}"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    reloader.join().expect("reloader");
}
