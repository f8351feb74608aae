//! `[mqtt]` and `[[notify]]` wired by `printhub::serve::build`: a print
//! command on the broker becomes a page on the emulator, `/metrics` shows
//! the connection, and the configuration names bad fields.

use printhub::config::{Config, MqttEntry, PrinterEntry};
use printhub_emulator::{Emulator, EmulatorConfig};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

/// A Mosquitto on a free loopback port with its own config (killed on drop);
/// `None` (loudly) when it is missing and `PRINTHUB_SKIP_MQTT=1`.
struct Broker {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Broker {
    fn start() -> Option<Broker> {
        let bin = std::env::var_os("PRINTHUB_MOSQUITTO")
            .map(PathBuf::from)
            .into_iter()
            .chain(std::env::var_os("PATH").into_iter().flat_map(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join("mosquitto"))
                    .collect::<Vec<_>>()
            }))
            .chain([PathBuf::from("/usr/sbin/mosquitto")])
            .find(|p| p.is_file());
        let Some(bin) = bin else {
            if std::env::var("PRINTHUB_SKIP_MQTT").as_deref() == Ok("1") {
                eprintln!("SKIPPED: mosquitto is not installed and PRINTHUB_SKIP_MQTT=1");
                return None;
            }
            panic!("the MQTT tests need mosquitto: run scripts/ensure-mosquitto.sh or set PRINTHUB_SKIP_MQTT=1");
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let dir = tempfile::tempdir().expect("tmp");
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
        )
        .expect("config");
        let child = Command::new(bin)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mosquitto");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let start = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(start.elapsed() < DEADLINE, "mosquitto never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Broker {
            child,
            port,
            _dir: dir,
        })
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(dir: &std::path::Path, emu: &printhub_emulator::EmulatorHandle, port: u16) -> Config {
    let mut config = Config::demo(dir);
    config.emulators.clear();
    config.printers = vec![PrinterEntry {
        slug: "ql".into(),
        name: Some("Kitchen QL".into()),
        model: emu.model().name.into(),
        media: emu.media().map(|m| m.id).unwrap_or_default().into(),
        address: Some(emu.tcp_addr().to_string()),
        device: None,
        snmp: emu.snmp_addr().map(|a| a.to_string()),
        snmp_community: None,
        defaults: None,
    }];
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.mqtt = Some(MqttEntry {
        url: format!("mqtt://127.0.0.1:{port}"),
        client_id: Some("e2e".into()),
        reconnect_max_ms: Some(500),
        ..MqttEntry::default()
    });
    config
}

#[actix_web::test]
async fn a_print_command_over_mqtt_prints_on_the_emulator() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let emu =
        Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62").with_snmp()).expect("emulator");
    let config = config(dir.path(), &emu, broker.port);
    let running = printhub::serve::build(&config).await.expect("build");

    // Home Assistant's side: listen for the answer, then send the command.
    let (client, mut eventloop) =
        AsyncClient::new(MqttOptions::new("ha", "127.0.0.1", broker.port), 16);
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let sub = client.clone();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = sub.subscribe("printhub/#", QoS::AtLeastOnce).await;
                }
                Ok(Event::Incoming(Packet::Publish(p))) => sink
                    .lock()
                    .expect("lock")
                    .push((p.topic, String::from_utf8_lossy(&p.payload).into_owned())),
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    let last = |topic: &str| {
        seen.lock()
            .expect("lock")
            .iter()
            .rev()
            .find(|(t, _)| t == topic)
            .map(|(_, p)| p.clone())
    };
    let start = Instant::now();
    while last("printhub/ql/state").as_deref() != Some("idle") {
        assert!(start.elapsed() < DEADLINE, "no state for ql");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client
        .publish(
            "printhub/ql/print",
            QoS::AtLeastOnce,
            false,
            r#"{"content_type":"qr_one_line","data":{"qr_payload":"https://example.invalid/7","primary_id":"BOX-7"},"request_id":"e2e-1"}"#,
        )
        .await
        .expect("publish");
    while last("printhub/ql/print/result").is_none() {
        assert!(start.elapsed() < DEADLINE, "no answer");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let answer: Value =
        serde_json::from_str(&last("printhub/ql/print/result").unwrap_or_default()).expect("json");
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["request_id"], "e2e-1");
    let id: printhub_core::JobId = answer["job_id"]
        .as_str()
        .unwrap_or_default()
        .parse()
        .expect("id");
    loop {
        let job = running.hub.job(id).await.expect("job");
        if job.state.is_terminal() {
            assert_eq!(job.state, printhub_core::JobState::Completed, "{job:?}");
            assert_eq!(job.spec.submitted_by.as_deref(), Some("mqtt:e2e"));
            break;
        }
        assert!(start.elapsed() < DEADLINE, "the job never finished");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(emu.pages().len(), 1, "the label printed on the emulator");
    assert_eq!(emu.pages()[0].black.width(), 696);

    // /metrics shows the connection.
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .configure(running.app_data(&config))
            .configure(printhub_gateway::configure),
    )
    .await;
    let req = actix_web::test::TestRequest::get()
        .uri("/metrics")
        .to_request();
    let body = actix_web::test::call_and_read_body(&app, req).await;
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("printhub_mqtt_connected 1"), "{text}");
    assert!(
        text.contains(r#"printhub_mqtt_commands_total{kind="print",outcome="ok"} 1"#),
        "{text}"
    );
    running.outbound.shutdown().await;
    running.hub.shutdown().await.expect("shutdown");
}

#[test]
fn bad_mqtt_and_notify_settings_name_the_field() {
    let dir = tempfile::tempdir().expect("tmp");
    let check = |text: &str, needle: &str| {
        let message = crate::support::config_error(dir.path(), text);
        assert!(
            message.contains(needle),
            "{message:?} should name {needle:?}"
        );
    };
    check("[mqtt]\nurl = \"http://broker\"", "mqtt.url");
    check(
        "[mqtt]\nurl = \"mqtt://b\"\nscope = \"admin\"",
        "mqtt.scope",
    );
    check(
        "[mqtt]\nurl = \"mqtt://b\"\nbase_topic = \"a/#\"",
        "mqtt.base_topic",
    );
    check("[mqtt]\nurl = \"mqtt://b\"\ncolour = 1", "colour");
    check("[mqtt]\nurl = \"mqtt://b\"\nprotocol = 4", "mqtt.protocol");
    check(
        "[mqtt]\nurl = \"mqtt://b\"\nprotocol = \"3.1\"",
        "mqtt.protocol",
    );
    // Both spellings of each version are read from the file.
    for (text, protocol) in [
        ("protocol = 5", printhub_mqtt::Protocol::V5),
        ("protocol = \"5\"", printhub_mqtt::Protocol::V5),
        ("protocol = \"3.1.1\"", printhub_mqtt::Protocol::V311),
        ("", printhub_mqtt::Protocol::V311),
    ] {
        let path = dir.path().join("protocol.toml");
        std::fs::write(&path, format!("[mqtt]\nurl = \"mqtt://b\"\n{text}\n")).expect("write");
        let config = Config::from_file(&path).expect(text);
        let mqtt = config.mqtt_config().expect(text).expect("[mqtt]");
        assert_eq!(mqtt.protocol, protocol, "{text}");
    }
    check(
        "[[notify]]\nurl = \"https://x.example\"\nsecret = \"short\"",
        "notify[0].secret",
    );
    check(
        "[[notify]]\nurl = \"https://x.example\"\nsecret = \"0123456789abcdef\"\nevents = [\"job_exploded\"]",
        "notify[0].events",
    );
    // The environment: PRINTHUB_MQTT_URL makes the section; the rest need it.
    let env = |k: &str| {
        match k {
            "PRINTHUB_MQTT_URL" => Some("mqtts://broker.lan"),
            "PRINTHUB_MQTT_USERNAME" => Some("hub"),
            "PRINTHUB_MQTT_PASSWORD" => Some("pw-from-env"),
            "PRINTHUB_MQTT_PRINTERS" => Some("pt, ql"),
            "PRINTHUB_MQTT_SCOPE" => Some("read"),
            "PRINTHUB_MQTT_PROTOCOL" => Some("5"),
            _ => None,
        }
        .map(str::to_string)
    };
    let config = Config::demo(dir.path()).with_env(env).expect("env");
    let mqtt = config
        .mqtt_config()
        .expect("valid")
        .expect("a [mqtt] section");
    assert!(mqtt.broker.tls);
    assert_eq!(mqtt.broker.port, 8883);
    assert_eq!(mqtt.username.as_deref(), Some("hub"));
    assert_eq!(
        mqtt.printers,
        Some(vec!["pt".to_string(), "ql".to_string()])
    );
    assert_eq!(mqtt.scope, printhub_mqtt::Scope::Read);
    assert_eq!(mqtt.protocol, printhub_mqtt::Protocol::V5);
    assert!(
        !format!("{config:?}").contains("pw-from-env"),
        "the password is redacted"
    );
    let env = |k: &str| (k == "PRINTHUB_MQTT_SCOPE").then(|| "read".to_string());
    let err = Config::demo(dir.path())
        .with_env(env)
        .expect_err("no section");
    assert!(format!("{err:#}").contains("PRINTHUB_MQTT_URL"), "{err:#}");
}
