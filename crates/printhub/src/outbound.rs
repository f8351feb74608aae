//! `[mqtt]` and `[[notify]]` of the configuration: their `PRINTHUB_MQTT_*`
//! overrides, their validation into [`printhub_mqtt::MqttConfig`] and
//! [`printhub_notify::Target`]s, and [`start`], which runs both beside the
//! engine with their series in the `/metrics` registry. Passwords and
//! secrets are [`Secret`]s: redacted in `Debug`, never logged.
//!
//! ```toml
//! [mqtt]
//! url = "mqtt://homeassistant.local:1883"     # mqtts:// for TLS
//! protocol = 5                                 # or "3.1.1" (the default)
//! username = "printhub"
//! password = "…"
//! client_id = "printhub"                       # jobs are submitted by mqtt:<client_id>
//! base_topic = "printhub"
//! discovery_prefix = "homeassistant"
//! scope = "print"                              # or "read": state only, no commands
//! printers = ["pt", "ql"]                      # default: every printer
//! public_url = "http://printhub.local:8080"    # device links in HA; default integrations.public_url
//! # ca_file = "/etc/printhub/broker-ca.pem"    # mqtts:// with a private CA
//!
//! [[notify]]
//! name = "phone"
//! url = "https://ha.example.com/api/webhook/printhub-alerts"
//! secret = "a-long-shared-secret"
//! events = ["job_failed", "printer_stopped", "printer_offline", "printer_online"]
//! printers = ["pt"]
//! offline_after_s = 300
//! ```

use crate::config::Config;
use anyhow::Context;
use printhub_actors::HubHandle;
use printhub_gateway::Metrics;
use printhub_lookup::Secret;
use printhub_mqtt::{Mqtt, MqttConfig, MqttHandle, MqttMetrics, MqttSettings};
use printhub_notify::{Notifier, NotifyHandle, NotifyMetrics, Target, TargetSettings};
use serde::Deserialize;
use std::path::PathBuf;

/// `[mqtt]` (`PRINTHUB_MQTT_*`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttEntry {
    /// `mqtt://host[:port]` or `mqtts://host[:port]` (`PRINTHUB_MQTT_URL`).
    pub url: String,
    /// `"3.1.1"` (default) or `5` (`PRINTHUB_MQTT_PROTOCOL`).
    pub protocol: Option<MqttProtocol>,
    /// Broker user (`PRINTHUB_MQTT_USERNAME`).
    pub username: Option<String>,
    /// Broker password (`PRINTHUB_MQTT_PASSWORD`).
    pub password: Option<Secret>,
    /// Client id, default `printhub` (`PRINTHUB_MQTT_CLIENT_ID`).
    pub client_id: Option<String>,
    /// Root of printhub's topics, default `printhub` (`PRINTHUB_MQTT_BASE_TOPIC`).
    pub base_topic: Option<String>,
    /// HA discovery prefix, default `homeassistant` (`PRINTHUB_MQTT_DISCOVERY_PREFIX`).
    pub discovery_prefix: Option<String>,
    /// `print` (default) or `read` (`PRINTHUB_MQTT_SCOPE`).
    pub scope: Option<String>,
    /// Printers exposed and commanded, slugs or ids (`PRINTHUB_MQTT_PRINTERS`, comma-separated).
    pub printers: Option<Vec<String>>,
    /// The web UI's address for HA's device links (default `integrations.public_url`).
    pub public_url: Option<String>,
    /// PEM CA certificates for `mqtts://` (default: the webpki roots).
    pub ca_file: Option<PathBuf>,
    /// Keep-alive in seconds (default 30).
    pub keep_alive_s: Option<u64>,
    /// Longest wait between reconnects, in ms (default 30000).
    pub reconnect_max_ms: Option<u64>,
}

/// `mqtt.protocol` as written: `5` (a TOML integer) or a string (`"3.1.1"`,
/// `"5"`); [`MqttConfig::parse`] decides what it means.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum MqttProtocol {
    /// `protocol = 5`.
    Number(i64),
    /// `protocol = "3.1.1"`.
    Text(String),
}

impl MqttProtocol {
    fn text(&self) -> String {
        match self {
            MqttProtocol::Number(n) => n.to_string(),
            MqttProtocol::Text(t) => t.clone(),
        }
    }
}

/// One `[[notify]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyEntry {
    /// A name for logs, metrics and the outbox folder (default `notify-<i>`).
    pub name: Option<String>,
    /// Where to POST.
    pub url: String,
    /// The HMAC-SHA256 key of `X-Printhub-Signature` (16 characters or more).
    pub secret: Secret,
    /// `job_completed`, `job_failed`, `job_interrupted`, `printer_stopped`,
    /// `printer_offline`, `printer_online` (default: all).
    pub events: Option<Vec<String>>,
    /// Printers (slugs or ids; default: all).
    pub printers: Option<Vec<String>>,
    /// Seconds offline before `printer_offline` (default 300).
    pub offline_after_s: Option<u64>,
    /// Seconds one delivery may take (default 10).
    pub timeout_s: Option<u64>,
}

/// MQTT and notifications, running.
#[derive(Debug, Default)]
pub struct Outbound {
    /// The MQTT edge, with `[mqtt]`.
    pub mqtt: Option<MqttHandle>,
    /// The notifier, with `[[notify]]`.
    pub notify: Option<NotifyHandle>,
}

impl Outbound {
    /// Says goodbye to the broker (`offline`) and stops the notifier;
    /// undelivered notifications stay in their outbox.
    pub async fn shutdown(self) {
        if let Some(mqtt) = self.mqtt {
            mqtt.shutdown().await;
        }
        if let Some(notify) = self.notify {
            notify.shutdown().await;
        }
    }
}

/// The folder under `data_dir` holding each target's outbox.
pub const OUTBOX_DIR: &str = "notify-outbox";

impl Config {
    /// Applies `PRINTHUB_MQTT_*` (a `[mqtt]` section is created by `PRINTHUB_MQTT_URL`).
    pub fn apply_outbound_env(
        &mut self,
        env: &impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<()> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(url) = var("PRINTHUB_MQTT_URL") {
            self.mqtt.get_or_insert_with(MqttEntry::default).url = url;
        }
        let others = [
            "PRINTHUB_MQTT_PROTOCOL",
            "PRINTHUB_MQTT_USERNAME",
            "PRINTHUB_MQTT_PASSWORD",
            "PRINTHUB_MQTT_CLIENT_ID",
            "PRINTHUB_MQTT_BASE_TOPIC",
            "PRINTHUB_MQTT_DISCOVERY_PREFIX",
            "PRINTHUB_MQTT_SCOPE",
            "PRINTHUB_MQTT_PRINTERS",
        ];
        if others.iter().any(|v| var(v).is_some()) {
            let m = self.mqtt.as_mut().context(
                "PRINTHUB_MQTT_*: there is no [mqtt] section; set PRINTHUB_MQTT_URL too",
            )?;
            if let Some(v) = var("PRINTHUB_MQTT_PROTOCOL") {
                m.protocol = Some(MqttProtocol::Text(v));
            }
            if let Some(v) = var("PRINTHUB_MQTT_USERNAME") {
                m.username = Some(v);
            }
            if let Some(v) = var("PRINTHUB_MQTT_PASSWORD") {
                m.password = Some(Secret::new(v));
            }
            if let Some(v) = var("PRINTHUB_MQTT_CLIENT_ID") {
                m.client_id = Some(v);
            }
            if let Some(v) = var("PRINTHUB_MQTT_BASE_TOPIC") {
                m.base_topic = Some(v);
            }
            if let Some(v) = var("PRINTHUB_MQTT_DISCOVERY_PREFIX") {
                m.discovery_prefix = Some(v);
            }
            if let Some(v) = var("PRINTHUB_MQTT_SCOPE") {
                m.scope = Some(v);
            }
            if let Some(v) = var("PRINTHUB_MQTT_PRINTERS") {
                m.printers = Some(
                    v.split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(String::from)
                        .collect(),
                );
            }
        }
        Ok(())
    }

    /// The validated `[mqtt]`, if any; errors name the field (`mqtt.url`).
    pub fn mqtt_config(&self) -> anyhow::Result<Option<MqttConfig>> {
        let Some(m) = &self.mqtt else {
            return Ok(None);
        };
        let settings = MqttSettings {
            url: m.url.clone(),
            protocol: m.protocol.as_ref().map(MqttProtocol::text),
            username: m.username.clone(),
            password: m.password.clone(),
            client_id: m.client_id.clone(),
            base_topic: m.base_topic.clone(),
            discovery_prefix: m.discovery_prefix.clone(),
            scope: m.scope.clone(),
            printers: m.printers.clone(),
            public_url: m
                .public_url
                .clone()
                .or_else(|| self.integrations.public_url.clone()),
            ca_file: m.ca_file.clone(),
            keep_alive_s: m.keep_alive_s,
            reconnect_max_ms: m.reconnect_max_ms,
        };
        Ok(Some(MqttConfig::parse(&settings)?))
    }

    /// The validated `[[notify]]` targets; errors name the field (`notify[0].url`).
    pub fn notify_targets(&self) -> anyhow::Result<Vec<Target>> {
        let settings: Vec<TargetSettings> = self
            .notify
            .iter()
            .map(|n| TargetSettings {
                name: n.name.clone(),
                url: n.url.clone(),
                secret: n.secret.clone(),
                events: n.events.clone(),
                printers: n.printers.clone(),
                offline_after_s: n.offline_after_s,
                timeout_s: n.timeout_s,
            })
            .collect();
        Ok(printhub_notify::parse_targets(&settings)?)
    }
}

/// Starts MQTT and the notifier as configured (neither when not
/// configured), their series registered in `metrics`. Call inside the
/// actix system, after the printers are registered.
pub fn start(config: &Config, hub: &HubHandle, metrics: &Metrics) -> anyhow::Result<Outbound> {
    let mut outbound = Outbound::default();
    if let Some(mqtt) = config.mqtt_config()? {
        let series = MqttMetrics::new().context("mqtt metrics")?;
        for c in series.collectors() {
            metrics.register(c).context("mqtt metrics")?;
        }
        log::info!(
            "MQTT {}: {}:{} (tls {}), topics under {}, Home Assistant discovery under {}",
            mqtt.protocol.as_str(),
            mqtt.broker.host,
            mqtt.broker.port,
            mqtt.broker.tls,
            mqtt.base_topic,
            mqtt.discovery_prefix
        );
        outbound.mqtt = Some(Mqtt::start(mqtt, hub.clone(), series)?);
    }
    let targets = config.notify_targets()?;
    if !targets.is_empty() {
        let series = NotifyMetrics::new().context("notify metrics")?;
        for c in series.collectors() {
            metrics.register(c).context("notify metrics")?;
        }
        let dir = config.data_dir.join(OUTBOX_DIR);
        log::info!(
            "notifications to {} target(s); outbox {}",
            targets.len(),
            dir.display()
        );
        outbound.notify = Some(
            Notifier::start(targets, &dir, hub.clone(), series)
                .with_context(|| format!("notify: cannot use {}", dir.display()))?,
        );
    }
    Ok(outbound)
}
