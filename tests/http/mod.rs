//! HTTP → gateway → actors → TCP → emulator → decoded pages, assembled by
//! `printhub::serve::build` exactly as `printhub serve` does.

use actix_web::{test as web_test, App};
use printhub::config::{AuthEntry, Config, PrinterEntry, PrintingEntry, RetentionEntry};
use printhub_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};

/// A configuration with one printer, `slug`, reached at the emulator `emu`
/// (its model and media, its SNMP agent when it has one).
fn one_printer(
    dir: &std::path::Path,
    slug: &str,
    emu: &printhub_emulator::EmulatorHandle,
) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.to_path_buf(),
        body_limit: 1 << 20,
        printers: vec![PrinterEntry {
            slug: slug.into(),
            name: None,
            model: emu.model().name.into(),
            media: emu.media().map(|m| m.id).unwrap_or_default().into(),
            address: Some(emu.tcp_addr().to_string()),
            device: None,
            snmp: emu.snmp_addr().map(|a| a.to_string()),
            snmp_community: None,
            defaults: None,
        }],
        emulators: Vec::new(),
        retention: RetentionEntry::default(),
        printing: PrintingEntry::default(),
        auth: AuthEntry {
            anonymous: "admin".into(),
            ..AuthEntry::default()
        },
        integrations: Default::default(),
        webhooks: Vec::new(),
        mqtt: None,
        notify: Vec::new(),
        limits: Default::default(),
        landing: Default::default(),
        compat: Default::default(),
        ipp: None,
    }
}

/// The gateway in front of a built hub, as `printhub serve` mounts it.
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

#[actix_web::test]
async fn a_label_posted_over_http_prints_on_the_emulator() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu =
        Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62").with_snmp()).expect("emulator");
    let config = one_printer(dir.path(), "ql", &emu);
    let running = printhub::serve::build(&config).await.expect("build");
    let app = app_for!(running, config);
    let body = json!({"content_type": "qr_one_line", "data": {"qr_payload": "https://example.invalid/7", "primary_id": "BOX-7"}, "copies": 2});
    let req = web_test::TestRequest::post()
        .uri("/api/printers/ql/jobs")
        .set_json(&body)
        .to_request();
    let resp = web_test::call_service(&app, req).await;
    assert_eq!(resp.status(), 202);
    let job: Value = web_test::read_body_json(resp).await;
    let id = job["id"].as_str().expect("id").to_string();
    // Follow the job over HTTP until the printer confirmed the second copy (the emulator's
    // blocking waits would stall this single-threaded test runtime).
    let view = settle(&app, &id).await;
    assert_eq!(view["state"], "completed", "{view}");
    assert_eq!(view["copies_printed"], 2);
    let pages = emu.pages();
    assert_eq!(pages.len(), 2, "both copies print");
    assert_eq!(pages[0].black, pages[1].black);
    assert_eq!(
        pages[0].black.width(),
        696,
        "the exact printable width of 62 mm DK"
    );
    running.hub.shutdown().await.expect("shutdown");
}

#[test]
fn bad_configuration_names_the_field() {
    let dir = tempfile::tempdir().expect("tmp");
    let check = |text: &str, needle: &str| {
        let message = crate::support::config_error(dir.path(), text);
        assert!(
            message.contains(needle),
            "{message:?} should name {needle:?}"
        );
    };
    check("listen = \"not an address\"", "listen");
    check("[printing]\nmax_queue = 0", "printing.max_queue");
    check(
        "[printing]\nmax_chain_pages = 0",
        "printing.max_chain_pages",
    );
    check(
        "[printing]\nmax_chain_pages = 501",
        "printing.max_chain_pages",
    );
    check(
        "[printing]\nprobe_interval_ms = 10",
        "printing.probe_interval_ms",
    );
    check(
        "[printing]\nstopped_poll_ms = 0",
        "printing.stopped_poll_ms",
    );
    check(
        "[printing]\nbackoff_max_ms = 99999999999",
        "printing.backoff_max_ms",
    );
    check("[printing]\nmax_queue = -1", "max_queue");
    check("[printing]\nchain = true", "chain");
    check("colour = 1", "colour");
    check(
        "[[printer]]\nslug = \"a\"\nmodel = \"PT-9\"\nmedia = \"tze-12\"\naddress = \"h\"",
        "printer[0].model",
    );
    check(
        "[[printer]]\nslug = \"a\"\nmodel = \"PT-P750W\"\nmedia = \"dk-62\"\naddress = \"h\"",
        "printer[0].media",
    );
    check(
        "[[printer]]\nslug = \"a\"\nmodel = \"PT-P750W\"\nmedia = \"tze-12\"\naddress = \"::::::\"",
        "printer[0].address",
    );
    check(
        "[[printer]]\nslug = \"a\"\nmodel = \"PT-P750W\"\nmedia = \"tze-12\"\naddress = \"h\"\nsnmp = \"h:0\"",
        "printer[0].snmp",
    );
    let env = |k: &str| (k == "PRINTHUB_LISTEN").then(|| "nope".to_string());
    let err = Config::demo(dir.path()).with_env(env).expect_err("bad env");
    assert!(format!("{err:#}").contains("PRINTHUB_LISTEN"));

    // Limits and retention from the environment; a bad number names its variable.
    let env = |k: &str| {
        match k {
            "PRINTHUB_BODY_LIMIT" => Some("4096"),
            "PRINTHUB_RETENTION_MAX_AGE_DAYS" => Some("7"),
            "PRINTHUB_RETENTION_MAX_FINISHED" => Some("50"),
            "PRINTHUB_MAX_QUEUE" => Some("12"),
            "PRINTHUB_MAX_CHAIN_PAGES" => Some("1"),
            "PRINTHUB_PROBE_INTERVAL_MS" => Some("2000"),
            "PRINTHUB_STOPPED_POLL_MS" => Some("300"),
            "PRINTHUB_BACKOFF_MAX_MS" => Some("9000"),
            _ => None,
        }
        .map(str::to_string)
    };
    let config = Config::demo(dir.path()).with_env(env).expect("env");
    config.validate().expect("valid");
    assert_eq!(config.body_limit, 4096);
    assert_eq!(
        (config.retention.max_age_days, config.retention.max_finished),
        (Some(7), Some(50))
    );
    let hub = config.printing.hub_config();
    assert_eq!(
        (
            hub.machine.max_queue,
            hub.machine.max_chain_pages,
            hub.link.probe_interval,
            hub.machine.stopped_poll_ms,
            hub.machine.backoff_max_ms
        ),
        (12, 1, std::time::Duration::from_secs(2), 300, 9000)
    );
    for name in [
        "PRINTHUB_BODY_LIMIT",
        "PRINTHUB_MAX_QUEUE",
        "PRINTHUB_STOPPED_POLL_MS",
    ] {
        let env = |k: &str| (k == name).then(|| "-3".to_string());
        let err = Config::demo(dir.path()).with_env(env).expect_err("bad env");
        assert!(format!("{err:#}").contains(name), "{err:#}");
    }
    // [limits]: ranges name the field, every key has its variable.
    check(
        "[limits]\nbody_timeout_secs = 0",
        "limits.body_timeout_secs",
    );
    check("[limits]\nimage_decodes = 0", "limits.image_decodes");
    check("[limits]\nimage_memory_mb = 8", "limits.image_memory_mb");
    check(
        "[limits]\nevent_streams = 4\nevent_streams_per_key = 5",
        "limits.event_streams_per_key",
    );
    check("[limits]\nbody_timeout = 3", "body_timeout");
    let env = |k: &str| {
        match k {
            "PRINTHUB_BODY_TIMEOUT_SECS" => Some("7"),
            "PRINTHUB_IMAGE_DECODES" => Some("3"),
            "PRINTHUB_IMAGE_MEMORY_MB" => Some("128"),
            "PRINTHUB_IMAGE_QUEUE" => Some("0"),
            "PRINTHUB_PREVIEW_RATE_LIMIT" => Some("30"),
            "PRINTHUB_WEBHOOK_RATE_LIMIT" => Some("20"),
            "PRINTHUB_EVENT_STREAMS" => Some("10"),
            "PRINTHUB_EVENT_STREAMS_PER_KEY" => Some("2"),
            _ => None,
        }
        .map(str::to_string)
    };
    let config = Config::demo(dir.path()).with_env(env).expect("env");
    config.validate().expect("valid");
    let limits = config.limits.gateway(config.auth.rate_limit_per_minute);
    assert_eq!(
        (
            limits.body_timeout,
            limits.image_decodes,
            limits.image_memory,
            limits.image_queue,
            limits.preview_rate_limit_per_minute,
            limits.webhook_rate_limit_per_minute,
        ),
        (std::time::Duration::from_secs(7), 3, 128 << 20, 0, 30, 20)
    );
    let events = config.limits.events();
    assert_eq!((events.max_subscribers, events.max_per_caller), (10, 2));
    // Webhooks default to the keys' rate limit.
    let mut config = Config::demo(dir.path());
    config.auth.rate_limit_per_minute = 42;
    assert_eq!(config.limits.gateway(42).webhook_rate_limit_per_minute, 42);
    for name in [
        "PRINTHUB_BODY_TIMEOUT_SECS",
        "PRINTHUB_EVENT_STREAMS_PER_KEY",
    ] {
        let env = |k: &str| (k == name).then(|| "soon".to_string());
        let err = Config::demo(dir.path()).with_env(env).expect_err("bad env");
        assert!(format!("{err:#}").contains(name), "{err:#}");
    }
    let env = |k: &str| (k == "PRINTHUB_MAX_CHAIN_PAGES").then(|| "0".to_string());
    let err = Config::demo(dir.path())
        .with_env(env)
        .and_then(|c| c.validate())
        .expect_err("out of range");
    assert!(format!("{err:#}").contains("printing.max_chain_pages"));

    // PRINTHUB_AUTH_ANONYMOUS replaces the file's policy, under the same rules.
    let anonymous = |listen: &str, value: &str| {
        let (listen, value) = (listen.to_string(), value.to_string());
        Config::demo(dir.path())
            .with_env(move |k| match k {
                "PRINTHUB_LISTEN" => Some(listen.clone()),
                "PRINTHUB_AUTH_ANONYMOUS" => Some(value.clone()),
                _ => None,
            })
            .and_then(|c| c.auth_config())
            .map(|a| a.anonymous)
    };
    assert_eq!(
        anonymous("127.0.0.1:8080", "read").expect("loopback"),
        Some(printhub_gateway::Scope::Read)
    );
    assert_eq!(anonymous("127.0.0.1:8080", "off").expect("off"), None);
    for (listen, value) in [("0.0.0.0:8080", "read"), ("127.0.0.1:8080", "everyone")] {
        let err = anonymous(listen, value).expect_err("refused");
        assert!(format!("{err:#}").contains("auth.anonymous"), "{err:#}");
    }
}

/// One HTTP call: status and JSON body (`Value::Null` when the body is not JSON).
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
        "DELETE" => web_test::TestRequest::delete(),
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

fn qr_job(n: usize, copies: u32) -> Value {
    json!({"content_type": "qr_one_line", "data": {"qr_payload": format!("https://example.invalid/{n}"), "primary_id": format!("N-{n}")}, "copies": copies})
}

/// How long a poll waits for what should happen: far above what it takes even on
/// a loaded machine (each job is rendered, stored with an fsync per commit and
/// printed); polls return as soon as it happened.
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// Waits (bounded) until the job reaches a terminal state; returns it.
async fn settle<S>(app: &S, id: &str) -> Value
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let (_, view) = call(app, "GET", &format!("/api/jobs/{id}"), None).await;
        if matches!(
            view["state"].as_str(),
            Some("completed" | "failed" | "cancelled" | "interrupted")
        ) {
            return view;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "job {id} did not finish: {view}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

#[actix_web::test]
async fn every_control_route_changes_what_prints() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("emulator");
    let config = one_printer(dir.path(), "pt", &emu);
    let running = printhub::serve::build(&config).await.expect("build");
    let app = app_for!(running, config);

    // Paused: nothing prints; a cancelled job never reaches the printer; a cleared queue prints nothing.
    assert_eq!(
        call(&app, "POST", "/api/printers/pt/pause", None).await.0,
        200
    );
    let (s, a) = call(&app, "POST", "/api/printers/pt/jobs", Some(qr_job(1, 1))).await;
    assert_eq!(s, 202);
    let a = a["id"].as_str().expect("id").to_string();
    assert_eq!(
        call(&app, "POST", &format!("/api/jobs/{a}/cancel"), None)
            .await
            .0,
        200
    );
    let (_, b) = call(&app, "POST", "/api/printers/pt/jobs", Some(qr_job(2, 1))).await;
    let (s, cleared) = call(&app, "POST", "/api/printers/pt/queue/clear", None).await;
    assert_eq!(s, 200, "{cleared}");
    let (_, c) = call(&app, "POST", "/api/printers/pt/jobs", Some(qr_job(3, 1))).await;
    assert!(emu.pages().is_empty(), "a paused printer prints nothing");
    assert_eq!(
        call(&app, "POST", "/api/printers/pt/resume", None).await.0,
        200
    );
    let c = settle(&app, c["id"].as_str().expect("id")).await;
    assert_eq!(c["state"], "completed");
    assert_eq!(
        settle(&app, b["id"].as_str().expect("id")).await["state"],
        "cancelled"
    );
    assert_eq!(
        emu.pages().len(),
        1,
        "only the job submitted after the clear printed"
    );

    // Retry reprints (a cancelled job, as a new job with its parent).
    let (s, retry) = call(&app, "POST", &format!("/api/jobs/{a}/retry"), None).await;
    assert_eq!(s, 202, "{retry}");
    assert_eq!(retry["parent_job_id"].as_str(), Some(a.as_str()));
    assert_eq!(
        settle(&app, retry["id"].as_str().expect("id")).await["state"],
        "completed"
    );
    assert_eq!(emu.pages().len(), 2);

    // A batch with copies prints every copy.
    let batch = json!({"items": [qr_job(10, 2), qr_job(11, 3)]});
    let (s, made) = call(&app, "POST", "/api/print/pt/batch", Some(batch)).await;
    assert_eq!(s, 202, "{made}");
    for id in made["job_ids"].as_array().expect("ids") {
        assert_eq!(
            settle(&app, id.as_str().expect("id")).await["state"],
            "completed"
        );
    }
    assert_eq!(emu.pages().len(), 2 + 5, "every copy of every batch item");
    running.hub.shutdown().await.expect("shutdown");
}

/// `[printing]` reaches every printer: the queue limit answers 429 `queue_full` and keeps
/// what was queued; `max_chain_pages = 1` sends chained jobs one stream each.
#[actix_web::test]
async fn printing_settings_reach_the_printers() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("emulator");
    let mut config = one_printer(dir.path(), "pt", &emu);
    config.printing.max_queue = 3;
    config.printing.max_chain_pages = 1;
    config.validate().expect("valid");
    let running = printhub::serve::build(&config).await.expect("build");
    let app = app_for!(running, config);
    assert_eq!(
        call(&app, "POST", "/api/printers/pt/pause", None).await.0,
        200
    );
    let mut ids = Vec::new();
    for n in 0..3 {
        let mut job = qr_job(n, 1);
        job["options"] = json!({"chain": true});
        let (s, view) = call(&app, "POST", "/api/printers/pt/jobs", Some(job)).await;
        assert_eq!(s, 202, "{view}");
        ids.push(view["id"].as_str().expect("id").to_string());
    }
    let (s, problem) = call(&app, "POST", "/api/printers/pt/jobs", Some(qr_job(9, 1))).await;
    assert_eq!(
        (s, problem["error_code"].as_str()),
        (429, Some("queue_full"))
    );
    let (_, queue) = call(&app, "GET", "/api/printers/pt/queue", None).await;
    assert_eq!(queue.as_array().map(Vec::len), Some(3), "{queue}");
    assert_eq!(
        call(&app, "POST", "/api/printers/pt/resume", None).await.0,
        200
    );
    for id in &ids {
        assert_eq!(settle(&app, id).await["state"], "completed");
    }
    let pages = emu.pages();
    assert_eq!(pages.len(), 3);
    let streams: std::collections::BTreeSet<u64> = pages.iter().map(|p| p.meta.job).collect();
    assert_eq!(streams.len(), 3, "chains of one label: a stream per job");
    running.hub.shutdown().await.expect("shutdown");
}

/// A `[[printer]]` changed in the file after the first start: its address, model and SNMP
/// settings follow the file on the next start; the media a person set through the API
/// (a tape change) is kept, and the printer keeps its id.
#[actix_web::test]
async fn a_restart_applies_connection_settings_changed_in_the_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let first = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24")).expect("emulator");
    let mut config = one_printer(dir.path(), "pt", &first);
    config.printers[0].media = "tze-12".into();
    let running = printhub::serve::build(&config).await.expect("build");
    let app = app_for!(running, config);
    let (s, before) = call(
        &app,
        "PATCH",
        "/api/printers/pt",
        Some(json!({"media": "tze-24"})),
    )
    .await;
    assert_eq!(s, 200, "{before}");
    running.hub.shutdown().await.expect("shutdown");
    drop(app);
    drop(running);

    let second = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24")).expect("emulator");
    let mut config = one_printer(dir.path(), "pt", &second);
    config.printers[0].media = "tze-12".into();
    config.printers[0].snmp = None;
    let running = printhub::serve::build(&config).await.expect("rebuild");
    let info = running.hub.printer("pt").await.expect("printer");
    assert_eq!(info.id.to_string(), before["id"].as_str().expect("id"));
    assert_eq!(
        info.address,
        second.tcp_addr().to_string(),
        "the file's address"
    );
    assert_eq!(info.media, "tze-24", "the media set through the API stays");
    let app = app_for!(running, config);
    let (s, job) = call(&app, "POST", "/api/printers/pt/jobs", Some(qr_job(1, 1))).await;
    assert_eq!(s, 202, "{job}");
    let job = settle(&app, job["id"].as_str().expect("id")).await;
    assert_eq!(job["state"], "completed", "{job}");
    assert_eq!((first.pages().len(), second.pages().len()), (0, 1));
    running.hub.shutdown().await.expect("shutdown");
    drop(app);
    drop(running);

    // A new model brings the file's media along (the old one may not fit it).
    let ql = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62")).expect("emulator");
    let config = one_printer(dir.path(), "pt", &ql);
    let running = printhub::serve::build(&config).await.expect("rebuild");
    let info = running.hub.printer("pt").await.expect("printer");
    assert_eq!(
        (info.model.as_str(), info.media.as_str()),
        ("QL-820NWB", "dk-62")
    );
    running.hub.shutdown().await.expect("shutdown");
}

/// The bad-input matrix over real HTTP on loopback: each request gets its documented
/// status and `error_code` as `application/problem+json`, and nothing is queued.
#[actix_web::test]
async fn bad_input_gets_problem_json_and_queues_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("emulator");
    // `printhub serve`'s default body limit (8 MiB): an 8 MB field gets through
    // it to its own limit.
    let mut config = one_printer(dir.path(), "pt", &emu);
    config.body_limit = Config::demo(dir.path()).body_limit;
    assert_eq!(config.body_limit, 8 << 20);
    let running = printhub::serve::build(&config).await.expect("build");
    let base = crate::support::listen(&running, &config);
    let client = awc::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .finish();
    let send = |method: awc::http::Method, path: &str, content_type: &str, body: Vec<u8>| {
        let request = client
            .request(method, format!("{base}{path}"))
            .insert_header(("content-type", content_type));
        async move {
            let mut resp = request.send_body(body).await.expect("answered");
            let status = resp.status().as_u16();
            let ct = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body = resp.body().limit(1 << 20).await.expect("body");
            (
                status,
                ct,
                serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
            )
        }
    };
    let post = awc::http::Method::POST;
    let json_ct = "application/json";
    let jobs = "/api/printers/pt/jobs";
    /// What, method, path, content type, body, status, error code.
    type Case = (
        &'static str,
        awc::http::Method,
        String,
        &'static str,
        Vec<u8>,
        u16,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        ("malformed JSON", post.clone(), jobs.into(), json_ct, b"{not json".to_vec(), 400, "invalid_request"),
        ("invalid UTF-8", post.clone(), jobs.into(), json_ct, vec![0xFF, 0xFE, 0x7B], 400, "invalid_request"),
        (
            "wrong type",
            post.clone(),
            jobs.into(),
            json_ct,
            br#"{"content_type":"qr_only","data":{"qr_payload":"x"},"copies":"two"}"#.to_vec(),
            400,
            "invalid_request",
        ),
        (
            "unknown field",
            post.clone(),
            jobs.into(),
            json_ct,
            br#"{"content_type":"qr_only","data":{"qr_payload":"x"},"colour":"red"}"#.to_vec(),
            400,
            "invalid_request",
        ),
        (
            "missing content fields",
            post.clone(),
            jobs.into(),
            json_ct,
            br#"{"content_type":"qr_only","data":{}}"#.to_vec(),
            422,
            "content_type_data_mismatch",
        ),
        (
            "unknown content type",
            post.clone(),
            jobs.into(),
            json_ct,
            br#"{"content_type":"poster","data":{}}"#.to_vec(),
            422,
            "unknown_content_type",
        ),
        ("huge body", post.clone(), jobs.into(), json_ct, vec![b' '; 9 << 20], 413, "payload_too_large"),
        (
            "not JSON at all, sent as text (issue #23: 415 before the body is read)",
            post.clone(),
            jobs.into(),
            "text/plain",
            b"print me".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "not JSON at all, said to be JSON",
            post.clone(),
            jobs.into(),
            json_ct,
            b"print me".to_vec(),
            400,
            "invalid_request",
        ),
        (
            "zero copies",
            post.clone(),
            jobs.into(),
            json_ct,
            br#"{"content_type":"qr_only","data":{"qr_payload":"x"},"copies":0}"#.to_vec(),
            400,
            "invalid_request",
        ),
        (
            "media the model cannot take",
            post.clone(),
            "/api/printers".into(),
            json_ct,
            br#"{"slug":"pt2","name":"x","model":"PT-P750W","media":"dk-62","address":"127.0.0.1:9"}"#.to_vec(),
            422,
            "unsupported_media",
        ),
        (
            "wrong method",
            awc::http::Method::PUT,
            jobs.into(),
            json_ct,
            b"{}".to_vec(),
            405,
            "method_not_allowed",
        ),
    ];
    let good = serde_json::to_vec(&qr_job(1, 1)).expect("json");
    let mut cases = cases;
    // What one caller may cost (issue #15).
    let body = |v: Value| serde_json::to_vec(&v).expect("json");
    let text =
        |id: String| body(json!({"content_type": "text_one_line", "data": {"primary_id": id}}));
    let preview = "/api/render/preview".to_string();
    let scaled = |scale: u32| {
        body(
            json!({"printer": "pt", "content_type": "qr_only", "data": {"qr_payload": "x"}, "scale": scale}),
        )
    };
    let elements = vec![json!({"type": "text", "text": "{title}"}); 65];
    let (two_files_ct, two_files) = multipart(&[("file", 5 << 20), ("file", 5 << 20)]);
    cases.extend([
        (
            "unknown field in data",
            post.clone(),
            jobs.to_string(),
            json_ct,
            body(json!({"content_type": "text_one_line", "data": {"primary_id": "A", "primary_idd": "B"}})),
            400,
            "invalid_request",
        ),
        ("a 1001-character field", post.clone(), jobs.to_string(), json_ct, text("x".repeat(1001)), 413, "payload_too_large"),
        ("an 8 MB primary_id", post.clone(), jobs.to_string(), json_ct, text("8".repeat(8_000_000)), 413, "payload_too_large"),
        (
            "65 template elements",
            post.clone(),
            jobs.to_string(),
            json_ct,
            body(json!({"template": {"elements": elements}, "data": {"title": "T"}})),
            413,
            "payload_too_large",
        ),
        ("preview scale 0", post.clone(), preview.clone(), json_ct, scaled(0), 422, "out_of_range"),
        ("preview scale 100000", post.clone(), preview.clone(), json_ct, scaled(100_000), 422, "out_of_range"),
        ("two file fields over the body limit together", post.clone(), jobs.to_string(), two_files_ct, two_files, 413, "payload_too_large"),
        (
            "a printer name of 101 characters",
            post.clone(),
            "/api/printers".into(),
            json_ct,
            body(json!({"slug": "pt3", "name": "N".repeat(101), "model": "PT-P750W", "media": "tze-12", "address": "127.0.0.1:9"})),
            400,
            "invalid_request",
        ),
    ]);
    for key in ["nope", "..%2F..%2Fetc%2Fpasswd", "pt%00", "%FF", "PT"] {
        cases.push((
            "unknown printer",
            post.clone(),
            format!("/api/printers/{key}/jobs"),
            json_ct,
            good.clone(),
            404,
            "printer_not_found",
        ));
    }
    for (what, method, path, ct, body, status, code) in cases {
        let (s, content_type, problem) = send(method, &path, ct, body).await;
        assert_eq!(
            (s, problem["error_code"].as_str()),
            (status, Some(code)),
            "{what} ({path}): {problem}"
        );
        assert_eq!(content_type, "application/problem+json", "{what}");
        assert_eq!(problem["status"], status, "{what}");
    }
    // The 8 MB field is refused by its own limit, not the body's.
    let (_, _, problem) = send(post.clone(), jobs, json_ct, text("8".repeat(8_000_000))).await;
    assert_eq!(
        (
            &problem["error_detail"]["field"],
            &problem["error_detail"]["limit"]
        ),
        (&json!("data.primary_id"), &json!(1000)),
        "{problem}"
    );
    let (_, _, jobs) = send(awc::http::Method::GET, "/api/jobs", json_ct, Vec::new()).await;
    assert_eq!(
        jobs["jobs"].as_array().map(Vec::len),
        Some(0),
        "no bad request queued anything: {jobs}"
    );
    let (_, _, printers) = send(awc::http::Method::GET, "/api/printers", json_ct, Vec::new()).await;
    assert_eq!(printers.as_array().map(Vec::len), Some(1), "{printers}");
    assert!(emu.pages().is_empty());
    running.hub.shutdown().await.expect("shutdown");
}

/// A `multipart/form-data` body with `(name, size)` fields of zero bytes.
fn multipart(fields: &[(&str, usize)]) -> (&'static str, Vec<u8>) {
    let mut body = Vec::new();
    for (name, size) in fields {
        body.extend_from_slice(
            format!(
                "--b\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"f\"\r\n\r\n"
            )
            .as_bytes(),
        );
        body.resize(body.len() + size, 0);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--b--\r\n");
    ("multipart/form-data; boundary=b", body)
}

/// Sends `head` then `first` to `base`'s listener and reads what the server
/// answers until it closes or [`DEADLINE`] passes: blocking, so run it off
/// the test's runtime.
fn raw_exchange(base: &str, head: String, first: &'static [u8]) -> String {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut socket = std::net::TcpStream::connect(addr).expect("connect");
    socket.set_read_timeout(Some(DEADLINE)).expect("timeout");
    socket.write_all(head.as_bytes()).expect("head");
    socket.write_all(first).expect("first bytes");
    // ... and nothing more: the body stalls.
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match socket.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&answer);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head.lines().find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .and_then(|v| v.trim().parse::<usize>().ok())
                    });
                    if length.is_some_and(|n| body.len() >= n) {
                        break;
                    }
                }
            }
            Err(e) => return format!("no answer within the deadline: {e}"),
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// A body that trickles in (a few bytes, then nothing) is cut off after the
/// configured deadline with 408 problem+json, over real HTTP, and nothing is queued.
#[actix_web::test]
async fn a_body_that_stalls_is_cut_off_after_the_deadline() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("emulator");
    let mut config = one_printer(dir.path(), "pt", &emu);
    config.limits.body_timeout_secs = 1;
    let running = printhub::serve::build(&config).await.expect("build");
    let base = crate::support::listen(&running, &config);
    let head = "POST /api/printers/pt/jobs HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 120\r\n\r\n".to_string();
    let url = base.clone();
    let answer = actix_web::web::block(move || raw_exchange(&url, head, b"{\"c"))
        .await
        .expect("client");
    let (status, rest) = answer.split_once("\r\n").expect("a status line");
    assert!(status.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        rest.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    let body = rest
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    let problem: Value = serde_json::from_str(body).expect("problem json");
    assert_eq!(problem["error_code"], "request_timeout", "{problem}");
    assert_eq!(problem["error_detail"]["timeout_ms"], 1000, "{problem}");
    let (_, jobs) = call_json(&base, "/api/jobs").await;
    assert_eq!(jobs["jobs"].as_array().map(Vec::len), Some(0), "{jobs}");
    running.hub.shutdown().await.expect("shutdown");
}

async fn call_json(base: &str, path: &str) -> (u16, Value) {
    let mut resp = awc::Client::new()
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("answered");
    let body = resp.body().await.expect("body");
    (
        resp.status().as_u16(),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// An event stream's slot is freed as soon as its client goes, not at the
/// next heartbeat (here an hour away); one caller may hold only its share.
#[actix_web::test]
async fn an_event_stream_slot_is_freed_as_soon_as_its_client_goes() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("emulator");
    let config = one_printer(dir.path(), "pt", &emu);
    let mut running = printhub::serve::build(&config).await.expect("build");
    running.events = printhub_gateway::EventLog::start(
        running.hub.clone(),
        printhub_gateway::EventConfig {
            heartbeat: std::time::Duration::from_secs(3600),
            max_per_caller: 1,
            ..printhub_gateway::EventConfig::default()
        },
    );
    let base = crate::support::listen(&running, &config);
    let addr = base.trim_start_matches("http://").to_string();
    let socket = actix_web::web::block(move || {
        let mut socket = std::net::TcpStream::connect(addr).expect("connect");
        socket.set_read_timeout(Some(DEADLINE)).expect("timeout");
        socket
            .write_all(b"GET /api/events HTTP/1.1\r\nHost: hub\r\n\r\n")
            .expect("request");
        let mut seen = Vec::new();
        let mut chunk = [0u8; 1024];
        while !String::from_utf8_lossy(&seen).contains("retry: 2000") {
            let n = socket.read(&mut chunk).expect("the stream starts");
            assert!(n > 0, "closed: {}", String::from_utf8_lossy(&seen));
            seen.extend_from_slice(&chunk[..n]);
        }
        socket
    })
    .await
    .expect("client");
    assert_eq!(running.events.open_streams(), 1);
    // The same caller (this address, anonymous) may not open a second one.
    let (status, problem) = call_json(&base, "/api/events").await;
    assert_eq!(
        (status, problem["error_code"].as_str()),
        (429, Some("too_many_subscribers")),
        "{problem}"
    );
    drop(socket);
    let deadline = std::time::Instant::now() + DEADLINE;
    while running.events.open_streams() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the slot of a client that left was never freed"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let again = awc::Client::new()
        .get(format!("{base}/api/events"))
        .send()
        .await
        .expect("answered");
    assert_eq!(again.status().as_u16(), 200, "the slot is free again");
    drop(again);
    running.hub.shutdown().await.expect("shutdown");
}

/// The 1-bit preview PNG as rows of pixels (`true`: black).
fn png_pixels(bytes: &[u8]) -> (usize, usize, Vec<Vec<bool>>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("png header");
    let info = reader.info();
    assert_eq!(
        (info.color_type, info.bit_depth),
        (png::ColorType::Grayscale, png::BitDepth::One),
        "a black-only label previews as 1-bit greyscale"
    );
    let (w, h) = (info.width as usize, info.height as usize);
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let frame = reader.next_frame(&mut buf).expect("png data");
    let rows = (0..h)
        .map(|y| {
            let row = &buf[y * frame.line_size..(y + 1) * frame.line_size];
            (0..w)
                .map(|x| row[x / 8] & (0x80 >> (x % 8)) == 0)
                .collect()
        })
        .collect();
    (w, h, rows)
}

#[actix_web::test]
async fn the_printed_page_has_the_bits_of_the_preview() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("emulator");
    let config = one_printer(dir.path(), "pt", &emu);
    let running = printhub::serve::build(&config).await.expect("build");
    let app = app_for!(running, config);
    let label = json!({"content_type": "qr_one_line", "data": {"qr_payload": "https://example.invalid/p/9", "primary_id": "PREVIEW-9"}});
    // Scale 2: every dot is a 2×2 block of pixels, rows in raster-line order.
    let scale = 2;
    let mut preview = label.clone();
    preview["printer"] = json!("pt");
    preview["scale"] = json!(scale);
    let req = web_test::TestRequest::post()
        .uri("/api/render/preview")
        .set_json(&preview)
        .to_request();
    let resp = web_test::call_service(&app, req).await;
    assert_eq!(resp.status(), 200);
    let png = web_test::read_body(resp).await;
    let (w, h, pixels) = png_pixels(&png);

    let (status, job) = call(&app, "POST", "/api/printers/pt/jobs", Some(label)).await;
    assert_eq!(status, 202, "{job}");
    let done = settle(&app, job["id"].as_str().expect("id")).await;
    assert_eq!(done["state"], "completed", "{done}");
    let pages = emu.pages();
    assert_eq!(pages.len(), 1);
    let page = &pages[0].black;
    assert_eq!(
        (w, h),
        (page.width() * scale, page.height() * scale),
        "the preview is the raster, scaled"
    );
    let mut ink = 0;
    for (y, row) in pixels.iter().enumerate() {
        for (x, &black) in row.iter().enumerate() {
            assert_eq!(
                black,
                page.get(x / scale, y / scale),
                "pixel ({x}, {y}) of the preview differs from dot ({}, {}) printed",
                x / scale,
                y / scale
            );
            ink += usize::from(black);
        }
    }
    assert!(ink > 0, "the label has ink");
    // The comparison sees orientation: the label is not its own mirror image.
    let mirrored = (0..page.height())
        .all(|y| (0..page.width()).all(|x| page.get(x, y) == page.get(page.width() - 1 - x, y)));
    assert!(!mirrored, "an asymmetric label");

    // The composition root wires the ops endpoints: the store commits, and the
    // completed print is in the print-duration histogram.
    let (status, ready) = call(&app, "GET", "/readyz", None).await;
    assert_eq!((status, &ready["store"]), (200, &json!("ok")), "{ready}");
    let deadline = std::time::Instant::now() + DEADLINE;
    let metrics = loop {
        let req = web_test::TestRequest::get().uri("/metrics").to_request();
        let metrics = String::from_utf8(web_test::call_and_read_body(&app, req).await.to_vec())
            .expect("utf-8");
        if metrics.contains("printhub_print_duration_seconds_count{printer=\"pt\"} 1")
            || std::time::Instant::now() >= deadline
        {
            break metrics;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    };
    assert!(
        metrics.contains("printhub_print_duration_seconds_count{printer=\"pt\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("printhub_http_request_duration_seconds_count{method=\"POST\",route=\"/api/render/preview\",status=\"2xx\"} 1"),
        "{metrics}"
    );
    running.hub.shutdown().await.expect("shutdown");
}
