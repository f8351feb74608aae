//! The printer registry across restarts of the assembled hub (issue #15), as
//! `printhub serve` builds it: a refused change leaves nothing behind, so the
//! next start still has every printer and queued job; a printer whose name
//! does not resolve at start is offline with the reason, its queue listed,
//! and prints once its address works again.

use actix_web::{test as web_test, App};
use printhub::config::Config;
use printhub_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use serde_json::{json, Value};

/// The demo configuration with one printer, `pt` at `address`, and no emulators.
fn one_printer(dir: &std::path::Path, address: &str) -> Config {
    let mut config = Config::demo(dir);
    config.emulators.clear();
    config.printers.truncate(1);
    config.printers[0].address = Some(address.into());
    config.printers[0].snmp = None;
    config
}

macro_rules! app_for {
    ($running:expr, $config:expr) => {
        web_test::init_service(
            App::new()
                .configure($running.app_data(&$config))
                .configure(printhub_gateway::configure),
        )
        .await
    };
}

/// One call: status and JSON body (`Null` when not JSON).
async fn call<S>(app: &S, method: &str, uri: &str, body: Option<Value>) -> (u16, Value)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let req = match method {
        "GET" => web_test::TestRequest::get(),
        "PATCH" => web_test::TestRequest::patch(),
        _ => web_test::TestRequest::post(),
    }
    .uri(uri);
    let req = match body {
        Some(b) => req.set_json(b),
        None => req,
    };
    let resp = web_test::call_service(app, req.to_request()).await;
    let status = resp.status().as_u16();
    let bytes = web_test::read_body(resp).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A printer's settings and queue (its live status moves on its own).
async fn printer<S>(app: &S, slug: &str) -> (Value, Vec<Value>)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let (s, view) = call(app, "GET", &format!("/api/printers/{slug}"), None).await;
    assert_eq!(s, 200, "{slug}: {view}");
    let settings: Value = [
        "id", "slug", "name", "model", "media", "address", "enabled", "state",
    ]
    .iter()
    .map(|k| (k.to_string(), view[k].clone()))
    .collect();
    let (s, queue) = call(app, "GET", &format!("/api/printers/{slug}/queue"), None).await;
    assert_eq!(s, 200, "{queue}");
    let ids = queue
        .as_array()
        .expect("queue")
        .iter()
        .map(|j| j["id"].clone())
        .collect();
    (settings, ids)
}

const DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

#[actix_web::test]
async fn refused_printer_changes_survive_restarts_and_an_unresolvable_name_never_stops_the_hub() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu: EmulatorHandle =
        Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("emulator");
    let addr = emu.tcp_addr().to_string();
    let config = one_printer(dir.path(), &addr);

    // Start 1: `pt` from the file and `lab` through the API, both paused with a job.
    let running = printhub::serve::build(&config).await.expect("build");
    let app = app_for!(running, config);
    let lab = json!({"slug": "lab", "model": "PT-P750W", "media": "tze-12", "address": addr});
    assert_eq!(
        call(&app, "POST", "/api/printers", Some(lab.clone()))
            .await
            .0,
        201
    );
    let mut jobs = Vec::new();
    for slug in ["pt", "lab"] {
        let (s, _) = call(&app, "POST", &format!("/api/printers/{slug}/pause"), None).await;
        assert_eq!(s, 200);
        let job = json!({"content_type": "text_one_line", "data": {"primary_id": slug}});
        let (s, view) = call(
            &app,
            "POST",
            &format!("/api/printers/{slug}/jobs"),
            Some(job),
        )
        .await;
        assert_eq!(s, 202, "{view}");
        jobs.push(view["id"].clone());
    }
    let before = (printer(&app, "pt").await, printer(&app, "lab").await);
    let audit = |store: &printhub_store::Store| {
        let trail = store.load_printer_audit(None, 10_000).expect("trail").len();
        let (_, total) = store.load_audit_log(1, 0).expect("admin log");
        (trail, total)
    };
    let logged = audit(&running.store);

    let refused = [
        (
            "PATCH",
            "/api/printers/lab",
            json!({"address": "::::::"}),
            400,
            "invalid_request",
            "address",
        ),
        (
            "PATCH",
            "/api/printers/pt",
            json!({"address": "pt:0"}),
            400,
            "invalid_request",
            "address",
        ),
        (
            "PATCH",
            "/api/printers/lab",
            json!({"snmp": "no-such-host.invalid:161"}),
            422,
            "address_unresolvable",
            "snmp",
        ),
        (
            "PATCH",
            "/api/printers/pt",
            json!({"address": "pt.invalid"}),
            422,
            "address_unresolvable",
            "address",
        ),
        (
            "PATCH",
            "/api/printers/lab",
            json!({"media": "dk-62"}),
            422,
            "unsupported_media",
            "media",
        ),
        (
            "POST",
            "/api/printers",
            json!({"slug": "new", "model": "PT-P750W", "media": "tze-12", "address": "::::::"}),
            400,
            "invalid_request",
            "address",
        ),
        (
            "POST",
            "/api/printers",
            json!({"slug": "new", "model": "PT-P750W", "media": "tze-12", "address": "new.invalid"}),
            422,
            "address_unresolvable",
            "address",
        ),
    ];
    for (method, uri, body, status, code, field) in refused {
        let (s, problem) = call(&app, method, uri, Some(body.clone())).await;
        assert_eq!(
            (s, problem["error_code"].as_str()),
            (status, Some(code)),
            "{method} {uri} {body}: {problem}"
        );
        assert_eq!(problem["error_detail"]["field"], field, "{problem}");
        assert_eq!(
            (printer(&app, "pt").await, printer(&app, "lab").await),
            before,
            "{body}"
        );
        assert_eq!(audit(&running.store), logged, "{body} left an audit entry");
    }
    let (s, problem) = call(&app, "POST", "/api/printers", Some(lab.clone())).await;
    assert_eq!(
        (s, problem["error_code"].as_str()),
        (409, Some("printer_exists")),
        "{problem}"
    );
    running.hub.shutdown().await.expect("shutdown");
    drop(app);
    drop(running);

    // Start 2 on the same database: it starts, and both printers are back with their jobs.
    let running = printhub::serve::build(&config).await.expect("restart");
    let app = app_for!(running, config);
    assert_eq!(
        (printer(&app, "pt").await, printer(&app, "lab").await),
        before
    );
    assert_eq!(audit(&running.store), logged);
    let (s, problem) = call(&app, "POST", "/api/printers", Some(lab)).await;
    assert_eq!(
        (s, problem["error_code"].as_str()),
        (409, Some("printer_exists")),
        "{problem}"
    );
    running.hub.shutdown().await.expect("shutdown");
    drop(app);
    drop(running);

    // Start 3: the file renames `pt` to a name that does not resolve. The hub starts;
    // resumed, `pt` is offline with the reason and its job stays listed.
    let renamed = one_printer(dir.path(), &format!("pt.invalid:{}", emu.tcp_addr().port()));
    let running = printhub::serve::build(&renamed)
        .await
        .expect("a dead name never stops the hub");
    let app = app_for!(running, renamed);
    let (s, _) = call(&app, "POST", "/api/printers/pt/resume", None).await;
    assert_eq!(s, 200);
    let deadline = std::time::Instant::now() + DEADLINE;
    let view = loop {
        let (_, view) = call(&app, "GET", "/api/printers/pt", None).await;
        if view["state"] == "offline" && view["status"]["reason"] == "address_unresolvable" {
            break view;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never offline with the reason: {view}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    };
    assert_eq!(view["queue_depth"], 1, "{view}");
    assert_eq!(printer(&app, "pt").await.1, [jobs[0].clone()]);
    assert!(emu.pages().is_empty());
    running.hub.shutdown().await.expect("shutdown");
    drop(app);
    drop(running);

    // Start 4: the name is fixed in the file; the queued job prints, once.
    let running = printhub::serve::build(&config).await.expect("restart");
    let app = app_for!(running, config);
    let deadline = std::time::Instant::now() + DEADLINE;
    let id = jobs[0].as_str().expect("id");
    loop {
        let (_, job) = call(&app, "GET", &format!("/api/jobs/{id}"), None).await;
        if job["state"] == "completed" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never printed: {job}");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(emu.pages().len(), 1);
    assert_eq!(
        printer(&app, "lab").await.1,
        [jobs[1].clone()],
        "lab is still paused with its job"
    );
    running.hub.shutdown().await.expect("shutdown");
}
