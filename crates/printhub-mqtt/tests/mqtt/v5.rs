//! The same edge over MQTT 5 (`[mqtt] protocol = 5`): discovery, state,
//! buttons and the last will as with 3.1.1; print commands answered on
//! their response topic with their correlation data; refusals likewise,
//! with nothing queued.

use super::{answer, config, discovery_configs, wait_for_discovery};
use crate::support::{hub, Broker, Observer, Seen, DEADLINE};
use printhub_actors::JobFilter;
use printhub_core::JobState;
use printhub_mqtt::{Mqtt, MqttConfig, MqttMetrics, Protocol, ANSWER_EXPIRY_S};
use serde_json::Value;
use std::collections::HashSet;

fn config_v5(broker: &Broker, printers: Option<Vec<String>>) -> MqttConfig {
    let cfg = config(broker, |s| {
        s.protocol = Some("5".into());
        s.printers = printers;
    });
    assert_eq!(cfg.protocol, Protocol::V5);
    cfg
}

fn json(seen: &Seen) -> Value {
    serde_json::from_str(&seen.payload).expect("the answer is JSON")
}

/// An answer carries its content type and a message expiry (what is left
/// of it when it arrives).
fn assert_answer_properties(seen: &Seen) {
    assert_eq!(
        seen.content_type.as_deref(),
        Some("application/json"),
        "{seen:?}"
    );
    let expiry = seen.message_expiry.expect("an answer expires");
    assert!(expiry > 0 && expiry <= ANSWER_EXPIRY_S, "{seen:?}");
    assert!(!seen.retain, "answers are not retained: {seen:?}");
}

#[actix_rt::test]
async fn discovery_state_buttons_and_the_last_will_work_over_mqtt_5() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let (hub, _transport) = hub().await;
    let metrics = MqttMetrics::new().expect("metrics");
    let mqtt = Mqtt::start(config_v5(&broker, None), hub.clone(), metrics.clone()).expect("start");
    let ha = Observer::start_v5(broker.port(), "ha5");
    ha.wait_for("printhub/status", "online").await;
    wait_for_discovery(&ha, 2 * 8 + 3).await;
    let mut unique_ids = HashSet::new();
    for (_, payload) in discovery_configs(&ha) {
        let config: Value = serde_json::from_str(&payload).expect("discovery config is JSON");
        let id = config["unique_id"].as_str().expect("unique_id").to_string();
        assert!(unique_ids.insert(id.clone()), "{id} is not unique");
        assert_eq!(config["availability_topic"], "printhub/status");
    }
    ha.wait_for("printhub/pt/state", "idle").await;
    ha.wait_for("printhub/pt/online", "ON").await;
    ha.wait_for("printhub/_hub/printers", "2").await;
    assert!(metrics.is_connected());

    // State follows the engine, and HA's buttons act on it.
    hub.pause_printer("pt").await.expect("pause");
    ha.wait_for("printhub/pt/state", "paused").await;
    ha.publish("printhub/pt/resume", "PRESS").await;
    ha.wait_for("printhub/pt/state", "idle").await;
    assert_eq!(hub.printer("pt").await.expect("pt").state.name(), "idle");

    // Retained: a Home Assistant (3.1.1 or 5) that starts later gets it all.
    for late in [
        Observer::start(broker.port(), "late-311"),
        Observer::start_v5(broker.port(), "late-5"),
    ] {
        late.wait_until("retained discovery for a late subscriber", |o| {
            o.log()
                .iter()
                .filter(|s| s.retain && s.topic.ends_with("/config"))
                .count()
                == 19
        })
        .await;
        late.wait_for("printhub/pt/state", "idle").await;
    }

    // The hub vanishes without a goodbye: the broker sends the last will.
    drop(mqtt);
    ha.wait_for("printhub/status", "offline").await;
}

#[actix_rt::test]
async fn a_print_command_is_answered_on_its_response_topic_with_its_correlation_data() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let (hub, transport) = hub().await;
    let metrics = MqttMetrics::new().expect("metrics");
    let mqtt = Mqtt::start(config_v5(&broker, None), hub.clone(), metrics).expect("start");
    let ha = Observer::start_v5(broker.port(), "ha5");
    ha.wait_for("printhub/pt/state", "idle").await;
    let start_of_test = ha.log().len();

    // Response topic and correlation data (binary, not UTF-8): the answer
    // goes there and carries the same bytes back, request_id too.
    let correlation: &[u8] = &[0, 159, 146, 150, 0xff, b'h', b'a'];
    let from = ha.log().len();
    ha.request(
        "printhub/pt/print",
        r#"{"template":"shelf","fields":{"title":"Pantry","primary_id":"A-3"},"copies":2,"request_id":"ha-1"}"#,
        Some("ha/replies/printhub"),
        Some(correlation),
    )
    .await;
    let seen = ha.next_message_on("ha/replies/printhub", from).await;
    assert_eq!(seen.correlation_data.as_deref(), Some(correlation));
    assert_answer_properties(&seen);
    let result = json(&seen);
    assert_eq!(result["ok"], true, "{result}");
    assert_eq!(result["request_id"], "ha-1");
    let id: printhub_core::JobId = result["job_id"]
        .as_str()
        .expect("job_id")
        .parse()
        .expect("a job id");
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
    assert!(!transport.sent().is_empty(), "the printer got the label");

    // A response topic below .../print/result is allowed too.
    let from = ha.log().len();
    ha.request(
        "printhub/pt/print",
        r#"{"content_type":"qr_one_line","data":{"qr_payload":"https://example.invalid/7","primary_id":"BOX-7"}}"#,
        Some("printhub/pt/print/result/ha-2"),
        Some(b"two"),
    )
    .await;
    let seen = ha
        .next_message_on("printhub/pt/print/result/ha-2", from)
        .await;
    assert_eq!(seen.correlation_data.as_deref(), Some(&b"two"[..]));
    assert_eq!(json(&seen)["ok"], true, "{seen:?}");

    // Correlation data without a response topic: the usual result topic.
    let from = ha.log().len();
    ha.request(
        "printhub/pt/print",
        r#"{"template":"shelf","fields":{"title":"x","primary_id":"B-1"}}"#,
        None,
        Some(b"corr-3"),
    )
    .await;
    let seen = ha.next_message_on("printhub/pt/print/result", from).await;
    assert_eq!(seen.correlation_data.as_deref(), Some(&b"corr-3"[..]));
    assert_answer_properties(&seen);
    assert_eq!(json(&seen)["ok"], true, "{seen:?}");

    // Neither: request_id alone works as with 3.1.1.
    let from = ha.log().len();
    ha.publish(
        "printhub/pt/print",
        r#"{"template":"shelf","fields":{"title":"y","primary_id":"B-2"},"request_id":4}"#,
    )
    .await;
    let seen = ha.next_message_on("printhub/pt/print/result", from).await;
    assert_eq!(seen.correlation_data, None);
    assert_eq!(json(&seen)["request_id"], "4");
    assert_eq!(json(&seen)["ok"], true, "{seen:?}");

    // Each answer went to one place only: two on .../print/result (the
    // last two commands), none of them the first command's.
    let on_result: Vec<Seen> = ha
        .log()
        .into_iter()
        .skip(start_of_test)
        .filter(|s| s.topic == "printhub/pt/print/result")
        .collect();
    assert_eq!(on_result.len(), 2, "{on_result:#?}");
    assert!(on_result.iter().all(|s| json(s)["request_id"] != "ha-1"));
    let jobs = hub.list_jobs(JobFilter::default()).await.expect("jobs");
    assert_eq!(jobs.len(), 4, "one job per command: {jobs:?}");
    // The answer reached a 3.1.1 client as well (properties aside).
    let plain = Observer::start(broker.port(), "plain-311");
    plain.wait_for("printhub/pt/state", "idle").await;
    let from = plain.log().len();
    ha.request(
        "printhub/pt/print",
        r#"{"template":"shelf","fields":{"title":"z","primary_id":"B-3"},"request_id":"to-311"}"#,
        Some("ha/replies/plain"),
        Some(b"c"),
    )
    .await;
    let result = answer(&plain, "ha/replies/plain", from).await;
    assert_eq!(result["request_id"], "to-311");
    assert_eq!(result["ok"], true, "{result}");
    mqtt.shutdown().await;
    ha.wait_for("printhub/status", "offline").await;
}

#[actix_rt::test]
async fn refused_commands_over_mqtt_5_answer_with_the_problem_and_queue_nothing() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let (hub, _transport) = hub().await;
    let metrics = MqttMetrics::new().expect("metrics");
    let cfg = config_v5(&broker, Some(vec!["pt".into()]));
    let mqtt = Mqtt::start(cfg, hub.clone(), metrics).expect("start");
    let ha = Observer::start_v5(broker.port(), "ha5");
    ha.wait_for("printhub/pt/state", "idle").await;

    // (command topic, payload, response topic, where the answer goes, code, what the detail names)
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, &'a str, &'a str);
    let cases: &[Case] = &[
        (
            "printhub/pt/print",
            "{not json",
            Some("ha/replies/1"),
            "ha/replies/1",
            "invalid_request",
            "not a print command",
        ),
        (
            "printhub/pt/print",
            r#"{"template":"no-such-template","request_id":"r2"}"#,
            Some("ha/replies/2"),
            "ha/replies/2",
            "unknown_template",
            "no-such-template",
        ),
        (
            "printhub/pt2/print",
            r#"{"template":"shelf","fields":{"title":"x"}}"#,
            Some("ha/replies/3"),
            "ha/replies/3",
            "printer_not_allowed",
            "pt2",
        ),
        // A response topic printhub will not answer on: the command is
        // refused, and the answer goes to the printer's result topic.
        (
            "printhub/pt/print",
            r#"{"template":"shelf","fields":{"title":"x","primary_id":"L-1"}}"#,
            Some("printhub/pt/print"),
            "printhub/pt/print/result",
            "invalid_request",
            "response_topic",
        ),
        (
            "printhub/pt/print",
            r#"{"template":"shelf","fields":{"title":"x","primary_id":"L-2"}}"#,
            Some("homeassistant/sensor/x/y/config"),
            "printhub/pt/print/result",
            "invalid_request",
            "discovery prefix",
        ),
    ];
    for (i, (topic, payload, response_topic, answer_topic, code, needle)) in
        cases.iter().enumerate()
    {
        let correlation = format!("case-{i}");
        let from = ha.log().len();
        ha.request(
            topic,
            payload,
            *response_topic,
            Some(correlation.as_bytes()),
        )
        .await;
        let seen = ha.next_message_on(answer_topic, from).await;
        assert_eq!(
            seen.correlation_data.as_deref(),
            Some(correlation.as_bytes()),
            "{payload}: {seen:?}"
        );
        assert_answer_properties(&seen);
        let result = json(&seen);
        assert_eq!(result["ok"], false, "{payload}: {result}");
        assert_eq!(result["error_code"], *code, "{payload}: {result}");
        let detail = result["detail"].as_str().expect("detail");
        assert!(
            detail.contains(needle),
            "{payload}: {detail:?} should name {needle:?}"
        );
    }
    // The refused response topics received nothing from the hub.
    assert!(!ha
        .log()
        .iter()
        .any(|s| s.topic == "homeassistant/sensor/x/y/config"));
    let jobs = hub.list_jobs(JobFilter::default()).await.expect("jobs");
    assert!(jobs.is_empty(), "nothing was queued: {jobs:?}");
    mqtt.shutdown().await;
}
