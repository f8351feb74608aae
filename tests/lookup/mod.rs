//! Lookups and webhooks end to end: `printhub::serve::build` with
//! `[integrations]` pointing at the fake Grocy, Snipe-IT and Spoolman, the
//! gateway on a real HTTP listener, an emulated printer; a label asked for by
//! lookup or sent by Grocy's webhook comes out of the emulator and its QR code
//! or DataMatrix decodes to the item's payload.

#[path = "../../crates/printhub-lookup/tests/fake/decode.rs"]
mod decode;
#[path = "../../crates/printhub-lookup/tests/fake/mod.rs"]
mod fake;
use crate::support::listen;
use decode::{decode_datamatrix, decode_qr};
#[path = "../../crates/printhub-lookup/tests/fake/spoolman_ws.rs"]
mod spoolman_ws;

use printhub::config::{
    AuthEntry, Config, GrocyEntry, IntegrationsEntry, PrinterEntry, PrintingEntry, RetentionEntry,
};
use printhub::config::{SnipeitEntry, SpoolmanEntry, WebhookEntry};
use printhub_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use printhub_lookup::Secret;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The lookup timeout: far above what the fake's answer takes even on a loaded
/// machine (the product's default, 5 s, is for real upstreams).
const LOOKUP_TIMEOUT_MS: u64 = 20_000;
const GROCY_TOKEN: &str = "grocy-e2e-Tk7qW2pX9vLm4Z";
const HOOK_TOKEN: &str = "generic-e2e-Rz3Yh8sQ1nB6kV";

fn config(dir: &std::path::Path, emu: &EmulatorHandle, fake: &fake::Fake) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.to_path_buf(),
        body_limit: 1 << 20,
        printers: vec![PrinterEntry {
            slug: "pt".into(),
            name: None,
            model: emu.model().name.into(),
            media: emu.media().map(|m| m.id).unwrap_or_default().into(),
            address: Some(emu.tcp_addr().to_string()),
            device: None,
            snmp: None,
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
        integrations: IntegrationsEntry {
            grocy: Some(GrocyEntry {
                base_url: Some(fake.url("grocy")),
                api_key: Some(Secret::new(fake::GROCY_KEY)),
                timeout_ms: LOOKUP_TIMEOUT_MS,
                webhook_token: Some(Secret::new(GROCY_TOKEN)),
                webhook_origins: None,
                printer: Some("pt".into()),
                template: None,
                webhook_rate_limit_per_minute: None,
            }),
            snipeit: Some(SnipeitEntry {
                base_url: fake.url("snipe"),
                api_key: Some(Secret::new(fake::SNIPE_KEY)),
                timeout_ms: LOOKUP_TIMEOUT_MS,
            }),
            spoolman: Some(SpoolmanEntry {
                base_url: fake.url("spoolman"),
                timeout_ms: LOOKUP_TIMEOUT_MS,
                new_spool_printer: None,
                new_spool_template: None,
            }),
            public_url: None,
            max_body_bytes: None,
        },
        webhooks: vec![WebhookEntry {
            name: "scripts".into(),
            token: Secret::new(HOOK_TOKEN),
            printer: "pt".into(),
            template: "asset_tag".into(),
            rate_limit_per_minute: None,
        }],
        mqtt: None,
        notify: Vec::new(),
        limits: Default::default(),
        landing: Default::default(),
        compat: Default::default(),
        ipp: None,
    }
}

fn client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish()
}

async fn post_json(url: &str, body: &Value) -> (u16, Value) {
    let mut resp = client().post(url).send_json(body).await.expect("POST");
    let json = resp
        .json::<Value>()
        .limit(1 << 20)
        .await
        .unwrap_or(Value::Null);
    (resp.status().as_u16(), json)
}

async fn get_json(url: &str) -> (u16, Value) {
    let mut resp = client().get(url).send().await.expect("GET");
    let json = resp
        .json::<Value>()
        .limit(1 << 20)
        .await
        .unwrap_or(Value::Null);
    (resp.status().as_u16(), json)
}

/// Polls the emulator (never its blocking wait: this is a single-threaded runtime)
/// until it printed `n` pages.
async fn pages(emu: &EmulatorHandle, n: usize) -> Vec<printhub_emulator::RecordedPage> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pages = emu.pages();
        if pages.len() >= n {
            return pages;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} pages printed",
            pages.len()
        );
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
}

#[actix_web::test]
async fn a_label_printed_by_lookup_carries_the_items_code() {
    let fake = fake::start();
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24")).expect("emulator");
    let cfg = config(dir.path(), &emu, &fake);
    let running = printhub::serve::build(&cfg).await.expect("build");
    let base = listen(&running, &cfg);

    let (status, view) = get_json(&format!("{base}/api/lookup/snipeit/A-0042")).await;
    assert_eq!(status, 200, "{view}");
    let asset_page = format!("{}hardware/42", fake.url("snipe"));
    assert_eq!(view["url"], asset_page.as_str());

    let jobs = format!("{base}/api/printers/pt/jobs");
    for (app, id) in [
        ("snipeit", "A-0042"),
        ("grocy", "grcy:p:12:6630ab3c1f2e1"),
        ("spoolman", "/spool/show/3"),
    ] {
        let (status, job) = post_json(&jobs, &json!({"lookup": {"app": app, "id": id}})).await;
        assert_eq!(status, 202, "{app} {id}: {job}");
    }
    let printed = pages(&emu, 3).await;
    assert_eq!(decode_qr(&printed[0].black), [asset_page]);
    assert_eq!(
        decode_datamatrix(&printed[1].black).as_deref(),
        Some("grcy:p:12:6630ab3c1f2e1")
    );
    assert_eq!(decode_qr(&printed[2].black), ["WEB+SPOOLMAN:S-3"]);

    // A lookup that fails prints nothing.
    let (status, problem) =
        post_json(&jobs, &json!({"lookup": {"app": "spoolman", "id": "99"}})).await;
    assert_eq!(
        (status, problem["error_code"].as_str()),
        (404, Some("lookup_not_found"))
    );
    assert_eq!(emu.pages().len(), 3);
    running.hub.shutdown().await.expect("shutdown");
}

#[actix_web::test]
async fn grocys_webhook_prints_in_both_encodings_and_a_wrong_token_prints_nothing() {
    let fake = fake::start();
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24")).expect("emulator");
    let cfg = config(dir.path(), &emu, &fake);
    let running = printhub::serve::build(&cfg).await.expect("build");
    let base = listen(&running, &cfg);
    let hook = format!("{base}/api/webhooks/grocy/{GROCY_TOKEN}");

    let payload = json!({
        "product": "Whole Milk", "grocycode": "grcy:p:12:6630ab3c1f2e1",
        "details": {"product": fake::grocy_product_json("12")},
        "stock_entry": {"stock_id": "6630ab3c1f2e1", "amount": "1", "best_before_date": "2026-05-01"},
        "due_date": "DD: 2026-05-01", "font_family": "Source Sans Pro (Regular)",
    });
    let (status, job) = post_json(&hook, &payload).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["submitted_by"], "webhook:grocy");

    let form = "product=Whole+Milk&grocycode=grcy%3Ap%3A12%3A6630ab3c1f2e2\
                &stock_entry%5Bbest_before_date%5D=2026-04-28&due_date=DD%3A+2026-04-28";
    let resp = client()
        .post(&hook)
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .send_body(form)
        .await
        .expect("POST form");
    assert_eq!(resp.status().as_u16(), 202);

    let (status, problem) = post_json(
        &format!("{base}/api/webhooks/grocy/not-the-token-0123456789"),
        &payload,
    )
    .await;
    assert_eq!(
        (status, problem["error_code"].as_str()),
        (401, Some("unauthorized"))
    );

    // The generic webhook prints its template with the posted fields.
    let (status, job) = post_json(
        &format!("{base}/api/webhooks/{HOOK_TOKEN}"),
        &json!({"primary_id": "RACK-7", "qr_payload": "https://wiki.example/rack/7", "title": "Rack 7"}),
    )
    .await;
    assert_eq!(
        (status, job["submitted_by"].as_str()),
        (202, Some("webhook:scripts"))
    );

    let printed = pages(&emu, 3).await;
    assert_eq!(printed.len(), 3, "the wrong token queued nothing");
    assert_eq!(
        decode_datamatrix(&printed[0].black).as_deref(),
        Some("grcy:p:12:6630ab3c1f2e1")
    );
    assert_eq!(
        decode_datamatrix(&printed[1].black).as_deref(),
        Some("grcy:p:12:6630ab3c1f2e2")
    );
    assert_eq!(
        decode_qr(&printed[2].black),
        ["https://wiki.example/rack/7"]
    );
    let (_, jobs) = get_json(&format!("{base}/api/jobs")).await;
    assert_eq!(jobs["jobs"].as_array().map(Vec::len), Some(3));
    running.hub.shutdown().await.expect("shutdown");
}

#[actix_web::test]
async fn a_burst_of_fifty_grocy_webhooks_prints_fifty_labels() {
    let fake = fake::start();
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24")).expect("emulator");
    let cfg = config(dir.path(), &emu, &fake);
    let running = printhub::serve::build(&cfg).await.expect("build");
    let base = listen(&running, &cfg);
    let hook = format!("{base}/api/webhooks/grocy/{GROCY_TOKEN}");
    // One webhook per unit, as Grocy fires them when a purchase of 50 is booked,
    // here all at once.
    let calls = (0..50).map(|i| {
        let hook = hook.clone();
        async move {
            let payload = json!({
                "product": "Whole Milk", "grocycode": format!("grcy:p:12:unit{i:02}"),
                "stock_entry": {"stock_id": format!("unit{i:02}"), "best_before_date": "2026-05-01"},
            });
            let started = Instant::now();
            let (status, job) = post_json(&hook, &payload).await;
            assert_eq!(status, 202, "call {i}: {job}");
            started.elapsed()
        }
    });
    let started = Instant::now();
    let latencies = futures_util::future::join_all(calls).await;
    let slowest = latencies.iter().max().copied().unwrap_or_default();
    // A measurement for people (run with --nocapture), not an assertion.
    eprintln!(
        "50 webhooks answered in {:?}, slowest {slowest:?}",
        started.elapsed()
    );
    let printed = pages(&emu, 50).await;
    assert_eq!(printed.len(), 50);
    let mut codes: Vec<String> = printed
        .iter()
        .map(|p| decode_datamatrix(&p.black).expect("a DataMatrix on every label"))
        .collect();
    codes.sort();
    let expected: Vec<String> = (0..50).map(|i| format!("grcy:p:12:unit{i:02}")).collect();
    assert_eq!(codes, expected, "every unit printed exactly once");
    running.hub.shutdown().await.expect("shutdown");
}

#[actix_web::test]
async fn a_spool_added_in_spoolman_prints_its_label() {
    use spoolman_ws::{event, Step};
    let fake = fake::start();
    let feed = spoolman_ws::start(vec![vec![
        event("updated", "spool", fake::spool_json("4").expect("4")),
        event("added", "spool", fake::spool_json("3").expect("3")),
        Step::Close,
    ]])
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24")).expect("emulator");
    let mut config = config(dir.path(), &emu, &fake);
    if let Some(s) = config.integrations.spoolman.as_mut() {
        s.base_url = feed.base.clone();
        s.new_spool_printer = Some("pt".into());
    }
    let running = printhub::serve::build(&config).await.expect("build");
    let base = listen(&running, &config);
    let printed = pages(&emu, 1).await;
    assert_eq!(decode_qr(&printed[0].black), ["WEB+SPOOLMAN:S-3"]);
    let (_, jobs) = get_json(&format!("{base}/api/jobs")).await;
    assert_eq!(jobs["jobs"][0]["submitted_by"], "watcher:spoolman");
    assert_eq!(
        jobs["jobs"].as_array().map(Vec::len),
        Some(1),
        "the update printed nothing"
    );
    running.hub.shutdown().await.expect("shutdown");
}

/// The watcher remembers the last spool it handled under `data_dir`: after
/// a restart it prints the spool added while printhub was stopped, and
/// neither the one it printed before nor one that was there at first start.
#[actix_web::test]
async fn the_spool_watcher_resumes_after_a_restart_without_missing_or_repeating() {
    use spoolman_ws::{event, Step};
    let spool = |id: u64| {
        let mut s = fake::spool_json("4").expect("4");
        s["id"] = serde_json::json!(id);
        s
    };
    let fake = fake::start();
    let feed = spoolman_ws::start(vec![
        vec![event("added", "spool", spool(5))],
        vec![Step::Close],
    ])
    .await;
    feed.register(spool(4));
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24")).expect("emulator");
    let mut config = config(dir.path(), &emu, &fake);
    if let Some(s) = config.integrations.spoolman.as_mut() {
        s.base_url = feed.base.clone();
        s.new_spool_printer = Some("pt".into());
    }
    let running = printhub::serve::build(&config).await.expect("build");
    let printed = pages(&emu, 1).await;
    assert_eq!(decode_qr(&printed[0].black), ["WEB+SPOOLMAN:S-5"]);
    let state = dir.path().join(printhub::integrations::SPOOL_FEED_STATE);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&state).ok().as_deref() != Some(r#"{"last_spool_id":5}"#) {
        assert!(
            Instant::now() < deadline,
            "{:?}",
            std::fs::read_to_string(&state)
        );
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    running.hub.shutdown().await.expect("shutdown");
    drop(running);

    // Added while printhub was stopped: no event will ever tell.
    feed.register(spool(6));
    let running = printhub::serve::build(&config).await.expect("restart");
    let printed = pages(&emu, 2).await;
    assert_eq!(decode_qr(&printed[1].black), ["WEB+SPOOLMAN:S-6"]);
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        emu.pages().len(),
        2,
        "spool 5 is not printed twice, spool 4 never"
    );
    running.hub.shutdown().await.expect("shutdown");
}

#[test]
fn integration_settings_are_validated_and_secrets_stay_hidden() {
    let dir = tempfile::tempdir().expect("tmp");
    let check = |text: &str, needle: &str| {
        let message = crate::support::config_error(dir.path(), text);
        assert!(
            message.contains(needle),
            "{message:?} should name {needle:?}"
        );
        assert!(!message.contains("s3cr3t"), "{message:?} shows a secret");
    };
    check(
        "[integrations.snipeit]\nbase_url = \"https://snipe.example\"",
        "integrations.snipeit.api_key",
    );
    check(
        "[integrations.grocy]\nbase_url = \"grocy.local\"",
        "integrations.grocy.base_url",
    );
    check(
        "[integrations.spoolman]\nbase_url = \"http://s\"\ntimeout_ms = 0",
        "integrations.spoolman.timeout_ms",
    );
    check(
        "[integrations.grocy]\nwebhook_token = \"s3cr3t\"",
        "integrations.grocy.webhook_token",
    );
    check(
        "[integrations.grocy]\nwebhook_token = \"Kp7-s3cr3t-Wq2xL9vZ\"\ntemplate = \"nope\"",
        "integrations.grocy.template",
    );
    // A built-in template Grocy's fields are not mapped onto: refused with the reason.
    check(
        "[integrations.grocy]\nwebhook_token = \"Kp7-s3cr3t-Wq2xL9vZ\"\ntemplate = \"filament_spool\"",
        "integrations.grocy.template: filament_spool is laid out for Spoolman spools",
    );
    for bad in [
        "grocy.example.com",
        "ftp://grocy.example.com",
        "https://grocy.example.com/grocy",
        "https://user@grocy.example.com",
    ] {
        check(
            &format!("[integrations.grocy]\nwebhook_token = \"Kp7-s3cr3t-Wq2xL9vZ\"\nwebhook_origins = [\"https://ok.example\", \"{bad}\"]"),
            "integrations.grocy.webhook_origins[1]",
        );
    }
    check("[integrations.colour]\nx = 1", "colour");
    check(
        "[integrations.spoolman]\nbase_url = \"http://s\"\nnew_spool_template = \"nope\"",
        "integrations.spoolman.new_spool_template",
    );
    let hook = |name: &str, token: &str, template: &str| {
        format!("[[webhook]]\nname = \"{name}\"\ntoken = \"{token}\"\nprinter = \"pt\"\ntemplate = \"{template}\"\n")
    };
    check(&hook("a", "s3cr3t", "shelf"), "webhook[0].token");
    check(&hook("a", "s3cr3t 0123456789", "shelf"), "webhook[0].token");
    check(
        &hook("a", "Kp7-s3cr3t-Wq2xL9vZ", "nope"),
        "webhook[0].template",
    );
    check(
        &(hook("a", "Kp7-s3cr3t-Wq2xL9vZ", "shelf") + &hook("a", "s3cr3t-9876543210", "shelf")),
        "webhook[1].name",
    );
    check(
        &(hook("a", "Kp7-s3cr3t-Wq2xL9vZ", "shelf") + &hook("b", "Kp7-s3cr3t-Wq2xL9vZ", "shelf")),
        "webhook[1].token",
    );

    // Environment overrides, and a Debug that shows no key.
    let env = |k: &str| match k {
        "PRINTHUB_GROCY_BASE_URL" => Some("http://grocy.local/".to_string()),
        "PRINTHUB_GROCY_API_KEY" => Some("s3cr3t-grocy-key".to_string()),
        "PRINTHUB_SNIPEIT_BASE_URL" => Some("http://snipe.local/".to_string()),
        "PRINTHUB_SNIPEIT_API_KEY" => Some("s3cr3t-snipe-key".to_string()),
        "PRINTHUB_SPOOLMAN_BASE_URL" => Some("http://spoolman.local:7912".to_string()),
        _ => None,
    };
    let config = Config::demo(dir.path()).with_env(env).expect("env");
    config.validate().expect("valid");
    let lookups = config.lookups().expect("lookups");
    for app in printhub_lookup::App::ALL {
        assert!(lookups.is_configured(app), "{app}");
    }
    let debug = format!("{config:?} {lookups:?}");
    assert!(!debug.contains("s3cr3t"), "{debug}");

    // Browser origins for Grocy's client-side webhook: by default the origin of Grocy's
    // base URL (as a browser sends it: no path, default port dropped); listed ones replace it.
    let origins = |env: &dyn Fn(&str) -> Option<String>| {
        Config::demo(dir.path())
            .with_env(env)
            .and_then(|c| c.webhooks())
            .expect("webhooks")
            .grocy
            .expect("grocy webhook")
            .allowed_origins
    };
    let grocy = |k: &str, origins: Option<&str>| match k {
        "PRINTHUB_GROCY_BASE_URL" => Some("HTTPS://Grocy.Example.com:443/grocy/".to_string()),
        "PRINTHUB_GROCY_WEBHOOK_TOKEN" => Some("Kp7-s3cr3t-Wq2xL9vZ".to_string()),
        "PRINTHUB_GROCY_WEBHOOK_ORIGINS" => origins.map(str::to_string),
        _ => None,
    };
    assert_eq!(origins(&|k| grocy(k, None)), ["https://grocy.example.com"]);
    assert_eq!(
        origins(&|k| grocy(k, Some("http://a.local:8080, https://b.example"))),
        ["http://a.local:8080", "https://b.example"]
    );
    let env = |k: &str| (k == "PRINTHUB_GROCY_TIMEOUT_MS").then(|| "soon".to_string());
    let err = Config::demo(dir.path()).with_env(env).expect_err("bad env");
    assert!(format!("{err:#}").contains("PRINTHUB_GROCY_TIMEOUT_MS"));
}

/// Label Printer Hub's Spoolman webhook, wired by `printhub::serve` from
/// `[compat] webhook_key`: the spool's label comes out of the printer; a
/// wrong key prints nothing.
#[actix_web::test]
async fn label_printer_hubs_spoolman_webhook_prints_the_spools_label() {
    const KEY: &str = "lph-e2e-webhook-key-Vb7Nq3Wz8Kd2Lx5R";
    let fake = fake::start();
    let dir = tempfile::tempdir().expect("tmp");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24")).expect("emulator");
    let mut cfg = config(dir.path(), &emu, &fake);
    cfg.compat.webhook_key = Some(Secret::new(KEY));
    let running = printhub::serve::build(&cfg).await.expect("build");
    let base = listen(&running, &cfg);
    let hook = format!("{base}/api/webhook/spoolman");
    let body = json!({ "spool_id": "3", "type": "updated", "quantity": 12.5 });
    let send = |key: &'static str| {
        client()
            .post(&hook)
            .insert_header(("X-API-Key", key))
            .send_json(&body)
    };
    let mut resp = send(KEY).await.expect("POST");
    let answer: Value = resp.json().await.expect("json");
    assert_eq!(resp.status().as_u16(), 202, "{answer}");
    assert!(answer["job_id"].is_string(), "{answer}");
    let resp = send("lph-e2e-webhook-key-Vb7Nq3Wz8Kd2Lx5r")
        .await
        .expect("POST");
    assert_eq!(resp.status().as_u16(), 401);
    let printed = pages(&emu, 1).await;
    assert_eq!(decode_qr(&printed[0].black), ["WEB+SPOOLMAN:S-3"]);
    let (_, jobs) = get_json(&format!("{base}/api/jobs")).await;
    assert_eq!(
        jobs["jobs"].as_array().map(Vec::len),
        Some(1),
        "the wrong key queued nothing"
    );
    running.hub.shutdown().await.expect("shutdown");
}
