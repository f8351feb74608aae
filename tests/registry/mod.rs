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
        media_reported(&app, slug).await;
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

/// A TCP port that accepts and answers every connection with `reply`.
fn answering(reply: Vec<u8>) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut request = [0u8; 3];
            use std::io::{Read, Write};
            if stream.read_exact(&mut request).is_ok() {
                let _ = stream.write_all(&reply);
            }
        }
    });
    addr
}

#[actix_web::test]
async fn a_printer_added_by_its_address_alone_says_its_model_and_prints_on_the_tape_it_holds() {
    let dir = tempfile::tempdir().expect("tmp");
    // A PT answers `ESC i S` on TCP: model and tape from its status block.
    let pt = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24")).expect("emulator");
    // A network QL answers only over SNMP.
    let ql =
        Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62").with_snmp()).expect("emulator");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let config = one_printer(dir.path(), &closed.to_string());
    let running = printhub::serve::build(&config).await.expect("build");
    let app = app_for!(running, config);
    let count = |app| async move {
        let (_, list) = call(app, "GET", "/api/printers", None).await;
        list["printers"].as_array().map(Vec::len).unwrap_or(0)
    };
    let before = count(&app).await;

    // Probe: what it is, with nothing registered.
    let (s, found) = call(
        &app,
        "GET",
        &format!("/api/printers/probe?address={}", pt.tcp_addr()),
        None,
    )
    .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["model"], "PT-P750W");
    assert_eq!(found["media"], "tze-24");
    assert_eq!(found["slug"], "pt-p750w");
    assert_eq!(found["source"], "tcp");
    assert_eq!(count(&app).await, before, "a probe registers nothing");
    let snmp = ql.snmp_addr().expect("snmp");
    let (s, found) = call(
        &app,
        "GET",
        &format!("/api/printers/probe?address={}&snmp={snmp}", ql.tcp_addr()),
        None,
    )
    .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found["model"], "QL-820NWB");
    assert_eq!(found["media"], "dk-62");
    assert_eq!(found["source"], "snmp");
    assert!(
        found["said"]
            .as_str()
            .unwrap_or_default()
            .contains("MDL:QL-820NWB"),
        "{found}"
    );

    // Add by address alone: the model it said, media `auto`, a slug from the model.
    let (s, added) = call(
        &app,
        "POST",
        "/api/printers",
        Some(json!({ "address": pt.tcp_addr().to_string() })),
    )
    .await;
    assert_eq!(s, 201, "{added}");
    assert_eq!(added["slug"], "pt-p750w");
    assert_eq!(added["model"], "PT-P750W");
    assert_eq!(added["media"], "auto");
    let (s, added_ql) = call(
        &app,
        "POST",
        "/api/printers",
        Some(json!({ "address": ql.tcp_addr().to_string(), "snmp": snmp.to_string(), "name": "Shipping" })),
    )
    .await;
    assert_eq!(s, 201, "{added_ql}");
    assert_eq!(added_ql["slug"], "ql-820nwb");
    assert_eq!(added_ql["media"], "auto");
    assert_eq!(added_ql["name"], "Shipping");
    // The next probe of the same model proposes a free slug.
    let (_, again) = call(
        &app,
        "GET",
        &format!("/api/printers/probe?address={}", pt.tcp_addr()),
        None,
    )
    .await;
    assert_eq!(again["slug"], "pt-p750w-2");

    // It prints on the tape it holds: 24 mm.
    let job = json!({"content_type": "text_one_line", "data": {"primary_id": "BY-ADDRESS"}});
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let id = loop {
        let (s, view) = call(
            &app,
            "POST",
            "/api/printers/pt-p750w/jobs",
            Some(job.clone()),
        )
        .await;
        if s == 202 {
            break view["id"].as_str().expect("id").to_string();
        }
        // Until its first status read the medium is unknown (409 media_unknown).
        assert_eq!(
            (s, view["error_code"].as_str()),
            (409, Some("media_unknown")),
            "{view}"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "never reported its tape"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    loop {
        let (_, view) = call(&app, "GET", &format!("/api/jobs/{id}"), None).await;
        if view["state"] == "completed" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{view}");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let pages = pt.pages();
    assert_eq!(pages.len(), 1);
    let tze24 = printhub_raster::Media::by_id("tze-24").expect("tze-24");
    let geometry = printhub_raster::geometry(
        printhub_raster::Model::by_name("PT-P750W").expect("pt"),
        tze24,
    )
    .expect("geometry");
    assert_eq!(
        pages[0].black.width(),
        usize::from(geometry.printable()),
        "laid out for 24 mm"
    );

    // Bad input: nothing answers, something that is no Brother printer, an
    // unknown model code, no address, a reserved slug. Nothing is registered.
    let registered = count(&app).await;
    let garbage = answering(b"HTTP/1.1 400 Bad Request\r\n\r\nxxxxx".to_vec());
    let mut odd = printhub_raster::Status::ready(
        printhub_raster::Model::by_name("PT-P750W").expect("pt"),
        None,
    )
    .to_bytes();
    odd[4] = 0x7e;
    let unknown = answering(odd.to_vec());
    let refused = [
        (
            "GET",
            format!("/api/printers/probe?address={closed}"),
            None,
            422,
            "printer_unreachable",
        ),
        (
            "POST",
            "/api/printers".to_string(),
            Some(json!({"address": closed.to_string()})),
            422,
            "printer_unreachable",
        ),
        (
            "GET",
            format!("/api/printers/probe?address={garbage}"),
            None,
            422,
            "printer_unidentified",
        ),
        (
            "POST",
            "/api/printers".to_string(),
            Some(json!({"address": unknown.to_string()})),
            422,
            "printer_unidentified",
        ),
        (
            "GET",
            "/api/printers/probe".to_string(),
            None,
            400,
            "invalid_request",
        ),
        (
            "GET",
            "/api/printers/probe?address=::::::".to_string(),
            None,
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/api/printers".to_string(),
            Some(
                json!({"slug": "probe", "model": "PT-P750W", "address": pt.tcp_addr().to_string()}),
            ),
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/api/printers".to_string(),
            Some(json!({"model": "PT-P9", "address": pt.tcp_addr().to_string()})),
            400,
            "invalid_request",
        ),
    ];
    for (method, uri, body, status, code) in refused {
        let (s, problem) = call(&app, method, &uri, body.clone()).await;
        assert_eq!(
            (s, problem["error_code"].as_str()),
            (status, Some(code)),
            "{method} {uri} {body:?}: {problem}"
        );
        if code == "printer_unidentified" {
            let said = problem["error_detail"]["said"].as_str().unwrap_or_default();
            assert!(!said.is_empty(), "says what it heard: {problem}");
        }
    }
    assert_eq!(count(&app).await, registered, "nothing registered");
    running.hub.shutdown().await.expect("shutdown");
}

/// Waits until every job of `ids` is completed.
async fn all_completed<S>(app: &S, ids: &[String])
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    for id in ids {
        loop {
            let (_, view) = call(app, "GET", &format!("/api/jobs/{id}"), None).await;
            if view["state"] == "completed" {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{view}");
            actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
}

/// Waits until the printer has reported the medium it holds: until then a
/// submit is refused 409 `media_unknown` (its first status read races the
/// test on a loaded machine).
async fn media_reported<S>(app: &S, slug: &str)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let (s, view) = call(app, "GET", &format!("/api/printers/{slug}"), None).await;
        assert_eq!(s, 200, "{view}");
        if view["layout_media"].is_string() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never reported its medium: {view}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

#[actix_web::test]
async fn printer_defaults_decide_the_cut_limit_copies_and_a_pt_batch_is_one_half_cut_strip() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("emulator");
    let config = one_printer(dir.path(), &emu.tcp_addr().to_string());
    let running = printhub::serve::build(&config).await.expect("build");
    let app = app_for!(running, config);
    let (_, view) = call(&app, "GET", "/api/printers/pt", None).await;
    assert_eq!(
        view["defaults"],
        json!({"cut": "each", "half_cut": false}),
        "{view}"
    );

    media_reported(&app, "pt").await;

    // A batch without options on a PT: one strip — one stream, half cuts
    // between the labels, no full cut until the end (issue #20, as the
    // reference hub printed batches).
    let item = |id: &str| json!({"content_type": "text_one_line", "data": {"primary_id": id}});
    let (s, batch) = call(
        &app,
        "POST",
        "/api/print/pt/batch",
        Some(json!({"items": [item("S-1"), item("S-2"), item("S-3")]})),
    )
    .await;
    assert_eq!(s, 202, "{batch}");
    let ids: Vec<String> = batch["job_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_string())
        .collect();
    all_completed(&app, &ids).await;
    let pages = emu.pages();
    assert_eq!(pages.len(), 3);
    assert!(
        pages.iter().all(|p| p.meta.job == pages[0].meta.job),
        "one stream: {:?}",
        pages.iter().map(|p| p.meta.job).collect::<Vec<_>>()
    );
    assert!(
        pages.iter().all(|p| p.meta.half_cut),
        "half cuts between labels"
    );
    assert!(
        pages[..2].iter().all(|p| !p.meta.auto_cut),
        "no full cut inside the strip"
    );
    // The strip's end: `1A` with ESC i K bit 3 ("no chain printing": feed
    // and cut after the last label, brother-raster.md §1.2); `0C` between.
    assert!(
        pages[..2]
            .iter()
            .all(|p| p.meta.end == printhub_raster::PageEnd::Print),
        "labels inside the strip end with 0C"
    );
    assert!(
        pages[2].meta.cut_at_end && pages[2].meta.end == printhub_raster::PageEnd::PrintFeed,
        "the end of the strip is fed and cut: {:?}",
        pages[2].meta
    );
    // An item that says `cut` is cut after each label, as before.
    let cut = |id: &str| json!({"content_type": "text_one_line", "data": {"primary_id": id}, "options": {"cut": true}});
    let (s, batch) = call(
        &app,
        "POST",
        "/api/print/pt/batch",
        Some(json!({"items": [cut("C-1"), cut("C-2")]})),
    )
    .await;
    assert_eq!(s, 202, "{batch}");
    let ids: Vec<String> = batch["job_ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_string())
        .collect();
    all_completed(&app, &ids).await;
    let pages = emu.pages();
    assert_eq!(pages.len(), 5);
    assert!(pages[3..]
        .iter()
        .all(|p| p.meta.auto_cut && !p.meta.half_cut));

    // Defaults set through the API: never cut, at most 2 copies.
    let (s, view) = call(
        &app,
        "PATCH",
        "/api/printers/pt",
        Some(json!({"defaults": {"cut": "none", "max_copies": 2}})),
    )
    .await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(
        view["defaults"],
        json!({"cut": "none", "half_cut": false, "max_copies": 2})
    );
    let (s, job) = call(
        &app,
        "POST",
        "/api/printers/pt/jobs",
        Some(json!({"content_type": "text_one_line", "data": {"primary_id": "N-1"}, "copies": 2})),
    )
    .await;
    assert_eq!(s, 202, "{job}");
    all_completed(&app, &[job["id"].as_str().expect("id").to_string()]).await;
    let pages = emu.pages();
    assert_eq!(pages.len(), 7);
    assert!(pages[5..].iter().all(|p| !p.meta.auto_cut), "never cut");

    // Bad input: over the copies limit, defaults out of range or unknown.
    let (_, list) = call(&app, "GET", "/api/jobs", None).await;
    let jobs_before = list["total"].clone();
    let refused = [
        (
            "POST",
            "/api/printers/pt/jobs",
            json!({"content_type": "text_one_line", "data": {"primary_id": "N-2"}, "copies": 3}),
            "copies",
        ),
        (
            "PATCH",
            "/api/printers/pt",
            json!({"defaults": {"max_copies": 0}}),
            "defaults",
        ),
        (
            "PATCH",
            "/api/printers/pt",
            json!({"defaults": {"queue_timeout_minutes": 20000}}),
            "defaults",
        ),
        (
            "PATCH",
            "/api/printers/pt",
            json!({"defaults": {"cut": "sideways"}}),
            "",
        ),
        (
            "PATCH",
            "/api/printers/pt",
            json!({"defaults": {"cutt": "end"}}),
            "",
        ),
    ];
    for (method, uri, body, field) in refused {
        let (s, problem) = call(&app, method, uri, Some(body.clone())).await;
        assert_eq!(
            (s, problem["error_code"].as_str()),
            (400, Some("invalid_request")),
            "{body}: {problem}"
        );
        if !field.is_empty() {
            assert_eq!(problem["error_detail"]["field"], field, "{problem}");
        }
    }
    let (_, list) = call(&app, "GET", "/api/jobs", None).await;
    assert_eq!(list["total"], jobs_before, "nothing queued");
    let (_, view) = call(&app, "GET", "/api/printers/pt", None).await;
    assert_eq!(
        view["defaults"]["max_copies"], 2,
        "a refused change changes nothing"
    );
    running.hub.shutdown().await.expect("shutdown");
    drop(app);
    drop(running);

    // Stored: a restart keeps them (the file gives none, so the API's stay).
    let running = printhub::serve::build(&config).await.expect("restart");
    let app = app_for!(running, config);
    let (_, view) = call(&app, "GET", "/api/printers/pt", None).await;
    assert_eq!(
        view["defaults"],
        json!({"cut": "none", "half_cut": false, "max_copies": 2})
    );
    running.hub.shutdown().await.expect("shutdown");
}
