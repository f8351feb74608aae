//! HTTP → gateway → actors → TCP → emulator → decoded pages, assembled by
//! `printhub::serve::build` exactly as `printhub serve` does.

use actix_web::{test as web_test, web, App};
use printhub::config::{Config, PrinterEntry, RetentionEntry};
use printhub_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};

#[actix_web::test]
async fn a_label_posted_over_http_prints_on_the_emulator() {
    let dir = tempfile::tempdir().expect("tmp");
    let emu =
        Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62").with_snmp()).expect("emulator");
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.path().to_path_buf(),
        body_limit: 1 << 20,
        printers: vec![PrinterEntry {
            slug: "ql".into(),
            name: None,
            model: "QL-820NWB".into(),
            media: "dk-62".into(),
            address: emu.tcp_addr().to_string(),
            snmp: emu.snmp_addr().map(|a| a.to_string()),
            snmp_community: None,
        }],
        emulators: Vec::new(),
        retention: RetentionEntry::default(),
    };
    let running = printhub::serve::build(&config).await.expect("build");
    let app = web_test::init_service(
        App::new()
            .app_data(web::Data::new(running.hub.clone()))
            .configure(printhub_gateway::configure),
    )
    .await;
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
    let mut state = String::new();
    for _ in 0..200 {
        let req = web_test::TestRequest::get()
            .uri(&format!("/api/jobs/{id}"))
            .to_request();
        let view: Value = web_test::call_and_read_body_json(&app, req).await;
        state = view["state"].as_str().unwrap_or_default().to_string();
        if state == "completed" {
            assert_eq!(view["copies_printed"], 2);
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(state, "completed");
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
    let path = dir.path().join("printhub.toml");
    let check = |text: &str, needle: &str| {
        std::fs::write(&path, text).expect("write");
        let err = Config::from_file(&path)
            .and_then(|c| c.validate().map(|()| c))
            .expect_err("invalid");
        let message = format!("{err:#}");
        assert!(
            message.contains(needle),
            "{message:?} should name {needle:?}"
        );
    };
    check("listen = \"not an address\"", "listen");
    check("colour = 1", "colour");
    check(
        "[[printer]]\nslug = \"a\"\nmodel = \"PT-9\"\nmedia = \"tze-12\"\naddress = \"h\"",
        "printer[0].model",
    );
    check(
        "[[printer]]\nslug = \"a\"\nmodel = \"PT-P750W\"\nmedia = \"dk-62\"\naddress = \"h\"",
        "printer[0].media",
    );
    let env = |k: &str| (k == "PRINTHUB_LISTEN").then(|| "nope".to_string());
    let err = Config::demo(dir.path()).with_env(env).expect_err("bad env");
    assert!(format!("{err:#}").contains("PRINTHUB_LISTEN"));
}
