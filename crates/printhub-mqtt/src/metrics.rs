//! The MQTT edge's Prometheus metrics: whether it is connected and what
//! became of the commands it received. The composition root registers
//! [`MqttMetrics::collectors`] in the `/metrics` registry; nothing here is
//! process-global.

use prometheus::core::Collector;
use prometheus::{IntCounterVec, IntGauge, Opts};

/// Cheap to clone; every clone counts into the same series.
#[derive(Debug, Clone)]
pub struct MqttMetrics {
    connected: IntGauge,
    commands: IntCounterVec,
    reconnects: prometheus::IntCounter,
}

impl MqttMetrics {
    /// Fresh series (not registered anywhere yet).
    pub fn new() -> Result<MqttMetrics, prometheus::Error> {
        Ok(MqttMetrics {
            connected: IntGauge::new(
                "printhub_mqtt_connected",
                "1 while the hub is connected to the MQTT broker, else 0.",
            )?,
            commands: IntCounterVec::new(
                Opts::new(
                    "printhub_mqtt_commands_total",
                    "MQTT commands received, by kind (print, pause, resume) and outcome (ok, refused).",
                ),
                &["kind", "outcome"],
            )?,
            reconnects: prometheus::IntCounter::new(
                "printhub_mqtt_connections_total",
                "Successful connections to the MQTT broker (the first and every reconnect).",
            )?,
        })
    }

    /// The collectors to register.
    pub fn collectors(&self) -> Vec<Box<dyn Collector>> {
        vec![
            Box::new(self.connected.clone()),
            Box::new(self.commands.clone()),
            Box::new(self.reconnects.clone()),
        ]
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.connected.set(i64::from(connected));
        if connected {
            self.reconnects.inc();
        }
    }

    pub(crate) fn command(&self, kind: &str, ok: bool) {
        self.commands
            .with_label_values(&[kind, if ok { "ok" } else { "refused" }])
            .inc();
    }

    /// Whether the gauge says connected (for tests and health output).
    pub fn is_connected(&self) -> bool {
        self.connected.get() == 1
    }

    /// How many connections were made.
    pub fn connections(&self) -> u64 {
        self.reconnects.get()
    }
}
