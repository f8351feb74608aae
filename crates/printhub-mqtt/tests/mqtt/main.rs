//! The MQTT edge against a real Mosquitto broker and a hub on memory
//! transports: what Home Assistant sees, print commands, refusals, and a
//! broker that dies and comes back.

mod support;
mod v5;

use printhub_actors::JobFilter;
use printhub_core::JobState;
use printhub_mqtt::{Mqtt, MqttConfig, MqttMetrics, MqttSettings};
use serde_json::Value;
use std::collections::HashSet;
use support::{hub, Broker, Observer, DEADLINE};

/// Starts a broker, or skips the test (loudly) when `PRINTHUB_SKIP_MQTT=1`
/// and Mosquitto is missing.
macro_rules! broker_or_skip {
    () => {
        match Broker::start() {
            Some(b) => b,
            None => return,
        }
    };
}

fn config(broker: &Broker, tweak: impl FnOnce(&mut MqttSettings)) -> MqttConfig {
    let mut s = MqttSettings {
        url: broker.url(),
        client_id: Some("hub-test".into()),
        reconnect_max_ms: Some(500),
        public_url: Some("http://127.0.0.1:8080".into()),
        ..MqttSettings::default()
    };
    tweak(&mut s);
    MqttConfig::parse(&s).expect("valid config")
}

fn discovery_configs(o: &Observer) -> Vec<(String, String)> {
    o.latest()
        .into_iter()
        .filter(|(t, p)| t.starts_with("homeassistant/") && t.ends_with("/config") && !p.is_empty())
        .collect()
}

async fn wait_for_discovery(o: &Observer, n: usize) {
    o.wait_until(&format!("{n} discovery configs"), |o| {
        discovery_configs(o).len() == n
    })
    .await;
}

/// Waits for the answer to the command published after `from` messages.
async fn answer(o: &Observer, topic: &str, from: usize) -> Value {
    let text = o.next_on(topic, from).await;
    serde_json::from_str(&text).expect("the answer is JSON")
}

#[actix_rt::test]
async fn home_assistant_discovers_every_printer_and_the_hub() {
    let broker = broker_or_skip!();
    let (hub, _transport) = hub().await;
    let metrics = MqttMetrics::new().expect("metrics");
    let mqtt = Mqtt::start(config(&broker, |_| {}), hub.clone(), metrics.clone()).expect("start");
    let ha = Observer::start(broker.port(), "ha");
    ha.wait_for("printhub/status", "online").await;
    // Two printers × (6 values + 2 buttons) and the hub's three sensors.
    wait_for_discovery(&ha, 2 * 8 + 3).await;
    let mut unique_ids = HashSet::new();
    for (topic, payload) in discovery_configs(&ha) {
        let config: Value = serde_json::from_str(&payload).expect("discovery config is JSON");
        let id = config["unique_id"].as_str().expect("unique_id").to_string();
        assert!(unique_ids.insert(id.clone()), "{id} is not unique");
        assert_eq!(config["availability_topic"], "printhub/status");
        if let Some(state_topic) = config["state_topic"].as_str() {
            // Every state topic the configs name has a retained value.
            ha.wait_until(&format!("a value on {state_topic} ({topic})"), |o| {
                o.latest().get(state_topic).is_some_and(|v| !v.is_empty())
            })
            .await;
        }
    }
    let pt: Value =
        serde_json::from_str(&ha.latest()["homeassistant/sensor/printhub/pt_state/config"])
            .expect("json");
    assert_eq!(pt["device"]["model"], "PT-P750W");
    assert_eq!(pt["device"]["name"], "Label maker pt");
    assert_eq!(
        pt["device"]["configuration_url"],
        "http://127.0.0.1:8080/#/jobs?printer=pt"
    );
    ha.wait_for("printhub/pt/state", "idle").await;
    ha.wait_for("printhub/pt/online", "ON").await;
    ha.wait_for("printhub/pt/media", "tze-12").await;
    ha.wait_for("printhub/_hub/printers", "2").await;
    assert!(metrics.is_connected());
    // A retained message is what a Home Assistant that starts later gets.
    let late = Observer::start(broker.port(), "late-ha");
    late.wait_until("retained discovery for a late subscriber", |o| {
        o.log()
            .iter()
            .filter(|s| s.retain && s.topic.ends_with("/config"))
            .count()
            == 19
    })
    .await;
    mqtt.shutdown().await;
    ha.wait_for("printhub/status", "offline").await;
    assert!(!metrics.is_connected());
}

#[actix_rt::test]
async fn state_topics_follow_the_printers_and_buttons_act_on_them() {
    let broker = broker_or_skip!();
    let (hub, _transport) = hub().await;
    let metrics = MqttMetrics::new().expect("metrics");
    let mqtt = Mqtt::start(config(&broker, |_| {}), hub.clone(), metrics).expect("start");
    let ha = Observer::start(broker.port(), "ha");
    ha.wait_for("printhub/pt/state", "idle").await;

    // Paused through the engine (the HTTP API does the same): the topic follows.
    hub.pause_printer("pt").await.expect("pause");
    ha.wait_for("printhub/pt/state", "paused").await;
    // Resumed by HA's button.
    ha.publish("printhub/pt/resume", "PRESS").await;
    ha.wait_for("printhub/pt/state", "idle").await;
    assert_eq!(hub.printer("pt").await.expect("pt").state.name(), "idle");
    // Paused by HA's button.
    ha.publish("printhub/pt2/pause", "PRESS").await;
    ha.wait_for("printhub/pt2/state", "paused").await;
    assert_eq!(
        hub.printer("pt2").await.expect("pt2").state.name(),
        "paused"
    );
    // Queue depth follows a job waiting on the paused printer.
    let label = printhub_raster::Label::black(printhub_raster::Bitmap::new(70, 40));
    hub.submit("pt2", printhub_actors::PrintRequest::new(label))
        .await
        .expect("submit");
    ha.wait_for("printhub/pt2/queue_depth", "1").await;
    ha.wait_for("printhub/pt2/last_job", "queued").await;
    mqtt.shutdown().await;
}

#[actix_rt::test]
async fn a_print_command_queues_a_job_that_prints() {
    let broker = broker_or_skip!();
    let (hub, transport) = hub().await;
    let metrics = MqttMetrics::new().expect("metrics");
    let mqtt = Mqtt::start(config(&broker, |_| {}), hub.clone(), metrics).expect("start");
    let ha = Observer::start(broker.port(), "ha");
    ha.wait_for("printhub/pt/state", "idle").await;
    ha.wait_for("printhub/_hub/jobs_today", "0").await;

    let from = ha.log().len();
    ha.publish(
        "printhub/pt/print",
        r#"{"template":"shelf","fields":{"title":"Pantry","primary_id":"A-3"},"copies":2,"request_id":"ha-1"}"#,
    )
    .await;
    let result = answer(&ha, "printhub/pt/print/result", from).await;
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["request_id"], "ha-1");
    let id: printhub_core::JobId = result["job_id"]
        .as_str()
        .expect("job_id")
        .parse()
        .expect("a job id");
    // The job is in the one durable queue, recorded as MQTT's, and prints.
    let start = std::time::Instant::now();
    let job = loop {
        let job = hub.job(id).await.expect("the job exists");
        if job.state.is_terminal() {
            break job;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the job never finished: {job:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(job.copies_printed, 2);
    assert_eq!(job.spec.submitted_by.as_deref(), Some("mqtt:hub-test"));
    assert_eq!(job.spec.template.as_deref(), Some("shelf"));
    assert!(
        !transport.sent().is_empty(),
        "the printer received the label"
    );
    ha.wait_for("printhub/pt/last_job", "completed").await;
    ha.wait_for("printhub/_hub/jobs_today", "1").await;

    // A content type works the same way.
    let from = ha.log().len();
    ha.publish(
        "printhub/pt/print",
        r#"{"content_type":"qr_one_line","data":{"qr_payload":"https://example.invalid/7","primary_id":"BOX-7"},"request_id":7}"#,
    )
    .await;
    let result = answer(&ha, "printhub/pt/print/result", from).await;
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["request_id"], "7");
    mqtt.shutdown().await;
}

#[actix_rt::test]
async fn refused_commands_say_why_and_queue_nothing() {
    let broker = broker_or_skip!();
    let (hub, _transport) = hub().await;
    let metrics = MqttMetrics::new().expect("metrics");
    let cfg = config(&broker, |s| s.printers = Some(vec!["pt".into()]));
    let mqtt = Mqtt::start(cfg, hub.clone(), metrics).expect("start");
    let ha = Observer::start(broker.port(), "ha");
    ha.wait_for("printhub/pt/state", "idle").await;
    // Only the allowed printer is discovered.
    wait_for_discovery(&ha, 8 + 3).await;
    assert!(!ha.latest().keys().any(|t| t.contains("pt2")));

    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "printhub/pt/print",
            "{not json",
            "invalid_request",
            "not a print command",
        ),
        (
            "printhub/pt/print",
            r#"{"template":"shelf","colour":"red","request_id":"r1"}"#,
            "invalid_request",
            "colour",
        ),
        (
            "printhub/pt/print",
            r#"{"template":"no-such-template","request_id":"r2"}"#,
            "unknown_template",
            "no-such-template",
        ),
        (
            "printhub/pt/print",
            r#"{"content_type":"qr_one_line","data":{"primary_id":"x"}}"#,
            "content_type_data_mismatch",
            "qr_payload",
        ),
        (
            "printhub/pt2/print",
            r#"{"template":"shelf","fields":{"title":"x"},"request_id":"r3"}"#,
            "printer_not_allowed",
            "pt2",
        ),
        (
            "printhub/nope/print",
            r#"{"template":"shelf","fields":{"title":"x"}}"#,
            "printer_not_found",
            "nope",
        ),
    ];
    for (topic, payload, code, needle) in cases {
        let from = ha.log().len();
        ha.publish(topic, payload).await;
        let result = answer(&ha, &format!("{topic}/result"), from).await;
        assert_eq!(result["ok"], false, "{payload}: {result}");
        assert_eq!(result["error_code"], *code, "{payload}: {result}");
        let detail = result["detail"].as_str().expect("detail");
        assert!(
            detail.contains(needle),
            "{payload}: {detail:?} should name {needle:?}"
        );
        if let Some(id) = command_request_id(payload) {
            assert_eq!(result["request_id"], id.as_str());
        }
    }
    // A button on a printer outside the allow-list does nothing.
    ha.publish("printhub/pt2/pause", "PRESS").await;
    // ... while one on an allowed printer works (and proves the pause above was handled first).
    ha.publish("printhub/pt/pause", "PRESS").await;
    ha.wait_for("printhub/pt/state", "paused").await;
    assert_eq!(hub.printer("pt2").await.expect("pt2").state.name(), "idle");
    let jobs = hub.list_jobs(JobFilter::default()).await.expect("jobs");
    assert!(jobs.is_empty(), "nothing was queued: {jobs:?}");
    mqtt.shutdown().await;
}

fn command_request_id(payload: &str) -> Option<String> {
    let v: Value = serde_json::from_str(payload).ok()?;
    v.get("request_id")?.as_str().map(str::to_string)
}

#[actix_rt::test]
async fn scope_read_publishes_state_but_takes_no_commands() {
    let broker = broker_or_skip!();
    let (hub, _transport) = hub().await;
    let metrics = MqttMetrics::new().expect("metrics");
    let cfg = config(&broker, |s| s.scope = Some("read".into()));
    let mqtt = Mqtt::start(cfg, hub.clone(), metrics).expect("start");
    let ha = Observer::start(broker.port(), "ha");
    // No buttons are discovered.
    wait_for_discovery(&ha, 2 * 6 + 3).await;
    ha.wait_for("printhub/pt/state", "idle").await;
    ha.publish("printhub/pt/pause", "PRESS").await;
    ha.publish(
        "printhub/pt/print",
        r#"{"template":"shelf","fields":{"title":"x"}}"#,
    )
    .await;
    // Pause through the engine: once its state arrives, the MQTT pause (sent
    // before) would have been seen too. Resume it and check nothing printed.
    hub.pause_printer("pt2").await.expect("pause");
    ha.wait_for("printhub/pt2/state", "paused").await;
    assert_eq!(hub.printer("pt").await.expect("pt").state.name(), "idle");
    assert!(hub
        .list_jobs(JobFilter::default())
        .await
        .expect("jobs")
        .is_empty());
    assert!(!ha.latest().contains_key("printhub/pt/print/result"));
    mqtt.shutdown().await;
}

#[actix_rt::test]
async fn a_broker_restart_loses_nothing() {
    broker_restart_loses_nothing("3.1.1").await;
}

#[actix_rt::test]
async fn a_broker_restart_loses_nothing_over_mqtt_5() {
    broker_restart_loses_nothing("5").await;
}

async fn broker_restart_loses_nothing(protocol: &str) {
    let mut broker = broker_or_skip!();
    let (hub, _transport) = hub().await;
    let metrics = MqttMetrics::new().expect("metrics");
    let cfg = config(&broker, |s| s.protocol = Some(protocol.into()));
    let mqtt = Mqtt::start(cfg, hub.clone(), metrics.clone()).expect("start");
    let ha = Observer::start(broker.port(), "ha");
    wait_for_discovery(&ha, 19).await;
    ha.wait_for("printhub/pt/state", "idle").await;

    // The broker dies (no persistence: it forgets every retained message).
    broker.kill();
    ha.clear();
    // The hub goes on printing meanwhile, and its state changes.
    let label = printhub_raster::Label::black(printhub_raster::Bitmap::new(70, 40));
    let job = hub
        .submit("pt", printhub_actors::PrintRequest::new(label))
        .await
        .expect("a submit does not wait for the broker");
    let start = std::time::Instant::now();
    while !hub.job(job.id).await.expect("job").state.is_terminal() {
        assert!(start.elapsed() < DEADLINE, "the job never printed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    hub.pause_printer("pt2").await.expect("pause");

    broker.restart();
    // Discovery and the current state are published again on reconnect.
    ha.wait_for("printhub/status", "online").await;
    wait_for_discovery(&ha, 19).await;
    ha.wait_for("printhub/pt2/state", "paused").await;
    ha.wait_for("printhub/pt/last_job", "completed").await;
    ha.wait_for("printhub/_hub/jobs_today", "1").await;
    assert!(metrics.is_connected());
    assert!(metrics.connections() >= 2);

    // Commands work on the new connection.
    let from = ha.log().len();
    ha.publish(
        "printhub/pt/print",
        r#"{"template":"shelf","fields":{"title":"after","primary_id":"S-1"},"request_id":"again"}"#,
    )
    .await;
    let result = answer(&ha, "printhub/pt/print/result", from).await;
    assert_eq!(result["ok"], true, "{result}");
    mqtt.shutdown().await;
}

#[actix_rt::test]
async fn home_assistant_restarting_gets_discovery_again() {
    let broker = broker_or_skip!();
    let (hub, _transport) = hub().await;
    let metrics = MqttMetrics::new().expect("metrics");
    let mqtt = Mqtt::start(config(&broker, |_| {}), hub.clone(), metrics).expect("start");
    let ha = Observer::start(broker.port(), "ha");
    wait_for_discovery(&ha, 19).await;
    let before = ha.log().len();
    ha.publish("homeassistant/status", "online").await;
    ha.wait_until("discovery re-sent after HA's birth message", |o| {
        o.log()
            .iter()
            .skip(before)
            .filter(|s| !s.retain && s.topic.ends_with("/config"))
            .count()
            == 19
    })
    .await;
    mqtt.shutdown().await;
}

#[actix_rt::test]
async fn mqtts_with_a_private_ca_works() {
    let Some(broker) = Broker::start_tls() else {
        return;
    };
    let (hub, _transport) = hub().await;
    let metrics = MqttMetrics::new().expect("metrics");
    let tls_port = broker.tls_port().expect("tls listener");
    let ca = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls/ca.pem");
    let cfg = config(&broker, |s| {
        s.url = format!("mqtts://127.0.0.1:{tls_port}");
        s.ca_file = Some(ca);
    });
    assert!(cfg.broker.tls);
    let mqtt = Mqtt::start(cfg, hub.clone(), metrics.clone()).expect("start");
    // The observer listens on the broker's plain listener.
    let ha = Observer::start(broker.port(), "ha");
    wait_for_discovery(&ha, 19).await;
    ha.wait_for("printhub/pt/state", "idle").await;
    let from = ha.log().len();
    ha.publish(
        "printhub/pt/print",
        r#"{"template":"shelf","fields":{"title":"TLS","primary_id":"T-1"},"request_id":"tls"}"#,
    )
    .await;
    let result = answer(&ha, "printhub/pt/print/result", from).await;
    assert_eq!(result["ok"], true, "{result}");
    assert!(metrics.is_connected());
    mqtt.shutdown().await;
}

#[actix_rt::test]
async fn an_unusable_ca_file_is_a_clear_error() {
    let (hub, _transport) = hub().await;
    let dir = tempfile::tempdir().expect("tmp");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").expect("write");
    for (file, needle) in [
        (dir.path().join("missing.pem"), "cannot read"),
        (empty, "no PEM certificate"),
    ] {
        let cfg = MqttConfig::parse(&MqttSettings {
            url: "mqtts://127.0.0.1:1".into(),
            ca_file: Some(file),
            ..MqttSettings::default()
        })
        .expect("valid settings");
        let err = Mqtt::start(cfg, hub.clone(), MqttMetrics::new().expect("metrics"))
            .expect_err("refused");
        assert_eq!(err.code(), "mqtt_tls");
        assert!(err.to_string().contains(needle), "{err}");
    }
}
