//! # printhub-mqtt
//!
//! printhub on MQTT, shaped for Home Assistant (issue #22): one HA device
//! per printer and one for the hub, found through MQTT discovery; retained
//! state topics that follow the engine's events; print commands that enter
//! the same durable queue as every other edge; pause/resume buttons.
//!
//! ```text
//!  HubHandle::subscribe ──events──► Bridge task ──► Model (state.rs, sans-io) ──poll_publish──► rumqttc client
//!  HubHandle::list_printers ◄─ when the model is stale                                       │ (bounded request
//!                                                                                            ▼  channel, try_*)
//!  HubHandle::submit / pause / resume ◄── command tasks ◄── parse (command.rs) ◄── EventLoop task ◄── broker
//!                                           │                                        (reconnects with backoff)
//!                                           └── Answer ──► <base>/<slug>/print/result
//! ```
//!
//! Code map: [`config`] (the validated `[mqtt]` settings), [`topics`] (every
//! topic name, and parsing the ones listened to), [`discovery`] (HA config
//! payloads), [`state`] (the [`Model`](state::Model): what the broker should
//! hold, diffed against what it was sent), [`command`] (print command
//! parsing and answers, and where an answer goes), `client` (rumqttc's MQTT
//! 3.1.1 and MQTT 5 clients behind one narrow face, chosen by
//! `[mqtt] protocol`; every difference between the versions is there),
//! [`bridge`] (the I/O: connection, event following, command execution),
//! [`metrics`].
//!
//! **Architecture Invariant:** the mapping modules (`config`, `topics`,
//! `discovery`, `state`, `command`) do no I/O and read no clock; the bridge
//! is the only place with sockets, tasks and time.
//!
//! **Architecture Invariant:** MQTT never slows printing and never loses a
//! job. The bridge follows the engine's bounded broadcast (a lagging bridge
//! is told and re-reads the printers); publishing uses `try_*` calls on a
//! bounded channel and never waits for the broker; a command becomes a job
//! only through `HubHandle::submit`, which stores it before it answers.
//! With the broker down nothing queues up: the retained state is rebuilt
//! from the engine's view at the next connection.
//!
//! **Architecture Invariant:** one bridge for both MQTT versions: only
//! `client` names rumqttc's types.
//!
//! **Architecture Invariant:** a refused command queues nothing: it is
//! parsed, allowed (scope, printer allow-list, MQTT 5 response topic) and
//! rendered before `submit`, and the answer names the problem.
#![forbid(unsafe_code)]

pub mod bridge;
mod client;
pub mod command;
pub mod config;
pub mod discovery;
pub mod metrics;
pub mod state;
pub mod topics;

pub use bridge::{Mqtt, MqttHandle};
pub use client::ANSWER_EXPIRY_S;
pub use config::{Broker, MqttConfig, MqttSettings, Protocol, Scope};
pub use metrics::MqttMetrics;

use thiserror::Error;

/// Every way the MQTT edge can fail to start. [`MqttError::code`] is stable.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MqttError {
    /// A `[mqtt]` setting is invalid.
    #[error("mqtt.{field}: {reason}")]
    InvalidConfig {
        /// The setting.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The TLS settings cannot be used (a CA file that cannot be read or parsed).
    #[error("mqtt TLS: {0}")]
    Tls(String),
    /// The metrics could not be registered.
    #[error("mqtt metrics: {0}")]
    Metrics(#[from] prometheus::Error),
}

impl MqttError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> MqttError {
        MqttError::InvalidConfig {
            field,
            reason: reason.into(),
        }
    }

    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            MqttError::InvalidConfig { .. } => "invalid_config",
            MqttError::Tls(_) => "mqtt_tls",
            MqttError::Metrics(_) => "metrics_registry",
        }
    }
}
