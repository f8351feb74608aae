//! A real Mosquitto broker per test (its own config file, a free loopback
//! port, persistence off, never the system service), an observer that
//! subscribes as Home Assistant would (over MQTT 3.1.1 or 5), and a hub on
//! a `MemoryTransport`.

use printhub_actors::{Hub, HubConfig, HubHandle, MemoryStore, MemoryTransport, PrinterConfig};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a wait gives what should happen: far more than it takes on a
/// loaded machine; waits end as soon as it happened.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The broker binary: `PRINTHUB_MOSQUITTO`, `mosquitto` on PATH, or Debian's
/// /usr/sbin/mosquitto. `None` when missing and `PRINTHUB_SKIP_MQTT=1`;
/// missing otherwise is a failure that says how to install it.
pub fn mosquitto() -> Option<PathBuf> {
    let candidates = std::env::var_os("PRINTHUB_MOSQUITTO")
        .map(PathBuf::from)
        .into_iter()
        .chain(std::env::var_os("PATH").into_iter().flat_map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("mosquitto"))
                .collect::<Vec<_>>()
        }))
        .chain([PathBuf::from("/usr/sbin/mosquitto")]);
    for c in candidates {
        if c.is_file() {
            return Some(c);
        }
    }
    if std::env::var("PRINTHUB_SKIP_MQTT").as_deref() == Ok("1") {
        eprintln!("SKIPPED: mosquitto is not installed and PRINTHUB_SKIP_MQTT=1");
        return None;
    }
    panic!(
        "the MQTT tests need the Mosquitto broker: run scripts/ensure-mosquitto.sh \
         (apt-get install mosquitto), set PRINTHUB_MOSQUITTO, or PRINTHUB_SKIP_MQTT=1 to skip"
    );
}

/// A broker process on 127.0.0.1:`port`, killed when dropped.
#[derive(Debug)]
pub struct Broker {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// A second listener with TLS (tests/data/tls), if asked for.
    tls_port: Option<u16>,
    child: Option<Child>,
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

impl Broker {
    /// Starts a broker on a free port; `None` when skipping (see [`mosquitto`]).
    pub fn start() -> Option<Broker> {
        Broker::start_with(false)
    }

    /// Also listens with TLS (the test CA's server certificate) on [`Broker::tls_port`].
    pub fn start_tls() -> Option<Broker> {
        Broker::start_with(true)
    }

    fn start_with(tls: bool) -> Option<Broker> {
        let bin = mosquitto()?;
        let mut broker = Broker {
            bin,
            dir: tempfile::tempdir().expect("tmp"),
            port: free_port(),
            tls_port: tls.then(free_port),
            child: None,
        };
        broker.restart();
        Some(broker)
    }

    /// The TLS listener's port.
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// `mqtt://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the broker at once (as a crash would: no goodbye to clients).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts (again) on the same port with an empty state, and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.kill();
        let conf = self.dir.path().join("mosquitto.conf");
        let mut text = format!(
            "allow_anonymous true\npersistence false\nlistener {} 127.0.0.1\n",
            self.port
        );
        if let Some(tls) = self.tls_port {
            let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls");
            // Copied next to the config and made readable by all: a broker
            // started as root reads them after dropping to its own user.
            use std::os::unix::fs::PermissionsExt;
            let readable = |p: &std::path::Path, mode| {
                std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod")
            };
            readable(self.dir.path(), 0o755);
            for f in ["ca.pem", "server.pem", "server.key"] {
                let to = self.dir.path().join(f);
                std::fs::copy(data.join(f), &to).expect("tls file");
                readable(&to, 0o644);
            }
            let d = self.dir.path().display();
            text.push_str(&format!(
                "listener {tls} 127.0.0.1\ncafile {d}/ca.pem\ncertfile {d}/server.pem\nkeyfile {d}/server.key\n"
            ));
        }
        std::fs::write(&conf, text).expect("write config");
        let log = std::fs::File::create(self.dir.path().join("mosquitto.log")).expect("log");
        let child = Command::new(&self.bin)
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start mosquitto");
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.tls_port.unwrap_or(self.port)));
        let start = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                let log = std::fs::read_to_string(self.dir.path().join("mosquitto.log"))
                    .unwrap_or_default();
                panic!("mosquitto exited ({status}): {log}");
            }
            assert!(start.elapsed() < DEADLINE, "mosquitto never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One message the observer saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Topic.
    pub topic: String,
    /// Payload as text.
    pub payload: String,
    /// Whether it came as retained (from before the subscription).
    pub retain: bool,
    /// MQTT 5: the correlation data it carried.
    pub correlation_data: Option<Vec<u8>>,
    /// MQTT 5: its message expiry interval (what is left of it), in seconds.
    pub message_expiry: Option<u32>,
    /// MQTT 5: its content type.
    pub content_type: Option<String>,
}

#[derive(Debug, Default)]
struct Seen2 {
    log: Vec<Seen>,
    latest: BTreeMap<String, String>,
}

/// A client that subscribes to everything, as Home Assistant does to its
/// discovery prefix and the state topics.
#[derive(Debug, Clone)]
pub struct Observer {
    client: ObserverClient,
    seen: Arc<Mutex<Seen2>>,
}

#[derive(Debug, Clone)]
enum ObserverClient {
    V311(AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

impl Seen2 {
    fn push(&mut self, seen: Seen) {
        self.latest.insert(seen.topic.clone(), seen.payload.clone());
        self.log.push(seen);
    }
}

impl Observer {
    /// Connects to `port` and subscribes to `#`.
    pub fn start(port: u16, id: &str) -> Observer {
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(5));
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        let seen = Arc::new(Mutex::new(Seen2::default()));
        let sink = Arc::clone(&seen);
        let sub = client.clone();
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = sub.subscribe("#", QoS::AtLeastOnce).await;
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        sink.lock().expect("lock").push(Seen {
                            payload: String::from_utf8_lossy(&p.payload).into_owned(),
                            topic: p.topic,
                            retain: p.retain,
                            correlation_data: None,
                            message_expiry: None,
                            content_type: None,
                        });
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        Observer {
            client: ObserverClient::V311(client),
            seen,
        }
    }

    /// Connects to `port` with MQTT 5 and subscribes to `#`; what it sees
    /// includes the MQTT 5 properties of each message.
    pub fn start_v5(port: u16, id: &str) -> Observer {
        use rumqttc::v5::mqttbytes::v5::Packet as P5;
        use rumqttc::v5::mqttbytes::QoS as Q5;
        use rumqttc::v5::Event as E5;
        let mut options = rumqttc::v5::MqttOptions::new(id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(5));
        let (client, mut eventloop) = rumqttc::v5::AsyncClient::new(options, 64);
        let seen = Arc::new(Mutex::new(Seen2::default()));
        let sink = Arc::clone(&seen);
        let sub = client.clone();
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(E5::Incoming(P5::ConnAck(_))) => {
                        let _ = sub.subscribe("#", Q5::AtLeastOnce).await;
                    }
                    Ok(E5::Incoming(P5::Publish(p))) => {
                        let props = p.properties.unwrap_or_default();
                        sink.lock().expect("lock").push(Seen {
                            topic: String::from_utf8_lossy(&p.topic).into_owned(),
                            payload: String::from_utf8_lossy(&p.payload).into_owned(),
                            retain: p.retain,
                            correlation_data: props.correlation_data.map(|d| d.to_vec()),
                            message_expiry: props.message_expiry_interval,
                            content_type: props.content_type,
                        });
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        Observer {
            client: ObserverClient::V5(client),
            seen,
        }
    }

    /// Publishes `payload` on `topic` (QoS 1, not retained).
    pub async fn publish(&self, topic: &str, payload: &str) {
        match &self.client {
            ObserverClient::V311(c) => c
                .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec())
                .await
                .expect("publish"),
            ObserverClient::V5(_) => self.request(topic, payload, None, None).await,
        }
    }

    /// Publishes a request with MQTT 5's response topic and correlation data
    /// (QoS 1, not retained). Only for an observer started with [`Observer::start_v5`].
    pub async fn request(
        &self,
        topic: &str,
        payload: &str,
        response_topic: Option<&str>,
        correlation_data: Option<&[u8]>,
    ) {
        let ObserverClient::V5(c) = &self.client else {
            panic!("MQTT 5 properties need an observer started with start_v5");
        };
        let properties = rumqttc::v5::mqttbytes::v5::PublishProperties {
            response_topic: response_topic.map(str::to_string),
            correlation_data: correlation_data.map(|d| d.to_vec().into()),
            ..Default::default()
        };
        c.publish_with_properties(
            topic,
            rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
            false,
            payload.as_bytes().to_vec(),
            properties,
        )
        .await
        .expect("publish");
    }

    /// The last payload of every topic.
    pub fn latest(&self) -> BTreeMap<String, String> {
        self.seen.lock().expect("lock").latest.clone()
    }

    /// Every message so far.
    pub fn log(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").log.clone()
    }

    /// Forgets what was seen.
    pub fn clear(&self) {
        let mut s = self.seen.lock().expect("lock");
        s.log.clear();
        s.latest.clear();
    }

    /// Waits until `topic`'s last payload is `payload`.
    pub async fn wait_for(&self, topic: &str, payload: &str) {
        self.wait_until(&format!("{topic} = {payload}"), |o| {
            o.latest().get(topic).map(String::as_str) == Some(payload)
        })
        .await;
    }

    /// Waits until `check` holds, polling what was seen.
    pub async fn wait_until(&self, what: &str, check: impl Fn(&Observer) -> bool) {
        let start = Instant::now();
        while !check(self) {
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; seen: {:#?}",
                self.latest()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the next message on `topic` after `from` messages were seen.
    pub async fn next_on(&self, topic: &str, from: usize) -> String {
        self.next_message_on(topic, from).await.payload
    }

    /// Waits for the next message on `topic` after `from` messages were
    /// seen, with its properties.
    pub async fn next_message_on(&self, topic: &str, from: usize) -> Seen {
        let find = |o: &Observer| o.log().into_iter().skip(from).find(|s| s.topic == topic);
        self.wait_until(&format!("a message on {topic}"), |o| find(o).is_some())
            .await;
        find(self).expect("found above")
    }
}

/// A hub with two PT-P750W on 12 mm tape, `pt` and `pt2`, on memory transports.
pub async fn hub() -> (HubHandle, MemoryTransport) {
    let transport = MemoryTransport::default();
    let t = transport.clone();
    let factory: printhub_actors::TransportFactory = Rc::new(move |_| Ok(Box::new(t.clone())));
    let hub = Hub::start_with(
        HubConfig::default(),
        Arc::new(MemoryStore::default()),
        factory,
    );
    for slug in ["pt", "pt2"] {
        hub.add_printer(PrinterConfig {
            id: None,
            slug: slug.into(),
            name: format!("Label maker {slug}"),
            model: "PT-P750W".into(),
            media: "tze-12".into(),
            address: "127.0.0.1:9".into(),
            enabled: true,
            snmp: None,
            snmp_community: None,
            paused: false,
            defaults: Default::default(),
        })
        .await
        .expect("printer added");
    }
    (hub, transport)
}
