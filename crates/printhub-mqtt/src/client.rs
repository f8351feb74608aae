//! The two rumqttc clients behind one narrow face, so that the bridge is
//! written once for MQTT 3.1.1 and MQTT 5. rumqttc has a separate client,
//! event loop and packet set per version (`rumqttc::*` and
//! `rumqttc::v5::*`); [`Client`] and [`EventLoop`] are an enum over both
//! and expose only what the bridge uses: queue a publish or a subscription
//! without waiting, say goodbye, and turn the next network event into a
//! [`Polled`]. Everything version-specific lives here: the connect options
//! (clean session vs. clean start and session expiry, the incoming packet
//! limit), the MQTT 5 properties of answers, and reading a command's
//! response topic and correlation data.
//!
//! The choices for MQTT 5 (settings 3.1.1 does not have; where one has a
//! 3.1.1 counterpart, printhub behaves as with 3.1.1):
//! - **Session:** clean start with a session expiry of 0 (the broker keeps
//!   nothing once the connection is gone, as 3.1.1's clean session). The
//!   bridge subscribes and republishes everything at every connection, and
//!   a command sent while the hub is away is not queued for it by the
//!   broker: the sender gets no answer and can send it again.
//! - **Message expiry:** retained discovery and state messages never expire
//!   (they are the current truth until replaced). Answers expire after
//!   [`ANSWER_EXPIRY_S`]: an answer that a persistent subscriber has not
//!   collected by then is stale.
//! - **Last will:** `offline`, retained, with no will delay: Home Assistant
//!   shows the hub unavailable as soon as the connection is lost.
//! - Answers carry the command's correlation data unchanged, content type
//!   `application/json` and the UTF-8 payload format indicator.

use std::sync::Arc;

use rumqttc::v5::mqttbytes::v5 as p5;
use rumqttc::{Outgoing, TlsConfiguration, Transport};

use crate::command::{self, ReplyTo};
use crate::config::{MqttConfig, Protocol};

/// Seconds an answer lives at the broker for a subscriber that has not
/// received it yet (MQTT 5 message expiry interval).
pub const ANSWER_EXPIRY_S: u32 = 600;

/// The largest packet accepted from the broker: a command at its largest
/// with room for the topic and, with MQTT 5, a response topic and
/// correlation data of any size. With MQTT 5 the broker is told and does
/// not deliver a larger one to the hub (the sender gets no answer); with
/// 3.1.1 one ends the connection, which is then made again.
const MAX_INCOMING: usize = command::MAX_COMMAND_BYTES + 3 * 65_536;

/// The largest packet sent (3.1.1; with MQTT 5 the broker's limit applies).
const MAX_OUTGOING: usize = 1024 * 1024;

/// Queues requests for the connection task; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) enum Client {
    V311(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

/// The connection to the broker, polled by the connection task.
pub(crate) enum EventLoop {
    V311(Box<rumqttc::EventLoop>),
    V5(Box<rumqttc::v5::EventLoop>),
}

/// What one poll of the event loop brought.
#[derive(Debug)]
pub(crate) enum Polled {
    /// The broker accepted the connection.
    Connected,
    /// A message arrived on a subscription.
    Message {
        topic: String,
        payload: Vec<u8>,
        /// MQTT 5's response topic and correlation data; empty with 3.1.1.
        reply: ReplyTo,
    },
    /// The goodbye went out: the connection is closed for good.
    Closed,
    /// Anything else (acknowledgements, pings).
    Other,
}

/// A failed poll: the connection is down and will be tried again.
#[derive(Debug)]
pub(crate) struct PollError {
    /// What happened, for the log.
    pub text: String,
    /// The broker answered and refused the connection (credentials, client
    /// id, protocol version): worth a warning even before the first connection.
    pub refused: bool,
}

/// An answer to a command, ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnswerMessage {
    /// The response topic, or `<base>/<slug>/print/result`.
    pub topic: String,
    /// The answer's JSON.
    pub payload: String,
    /// The command's MQTT 5 correlation data, returned unchanged.
    pub correlation_data: Option<Vec<u8>>,
}

/// The client and its event loop for `config` (the version it names), with
/// the last will `offline` on `availability`.
pub(crate) fn connect(
    config: &MqttConfig,
    availability: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
    capacity: usize,
) -> (Client, EventLoop) {
    let password = config
        .password
        .as_ref()
        .map(|p| p.expose().to_string())
        .unwrap_or_default();
    let transport = tls.map(|t| Transport::Tls(TlsConfiguration::Rustls(t)));
    match config.protocol {
        Protocol::V311 => {
            let mut options = rumqttc::MqttOptions::new(
                config.client_id.clone(),
                config.broker.host.clone(),
                config.broker.port,
            );
            options
                .set_keep_alive(config.keep_alive)
                .set_clean_session(true)
                .set_max_packet_size(MAX_INCOMING, MAX_OUTGOING)
                .set_last_will(rumqttc::LastWill::new(
                    availability,
                    "offline",
                    rumqttc::QoS::AtLeastOnce,
                    true,
                ));
            if let Some(user) = &config.username {
                options.set_credentials(user.clone(), password);
            }
            if let Some(t) = transport {
                options.set_transport(t);
            }
            let (client, eventloop) = rumqttc::AsyncClient::new(options, capacity);
            (Client::V311(client), EventLoop::V311(Box::new(eventloop)))
        }
        Protocol::V5 => {
            let mut options = rumqttc::v5::MqttOptions::new(
                config.client_id.clone(),
                config.broker.host.clone(),
                config.broker.port,
            );
            options
                .set_keep_alive(config.keep_alive)
                .set_clean_start(true)
                .set_session_expiry_interval(Some(0))
                .set_max_packet_size(Some(u32::try_from(MAX_INCOMING).unwrap_or(u32::MAX)))
                .set_last_will(p5::LastWill::new(
                    availability,
                    "offline",
                    rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
                    true,
                    None,
                ));
            if let Some(user) = &config.username {
                options.set_credentials(user.clone(), password);
            }
            if let Some(t) = transport {
                options.set_transport(t);
            }
            let (client, eventloop) = rumqttc::v5::AsyncClient::new(options, capacity);
            (Client::V5(client), EventLoop::V5(Box::new(eventloop)))
        }
    }
}

impl Client {
    /// Queues a QoS 1 publish without waiting; the error says why it could
    /// not be queued (the channel is full, or closed).
    pub fn try_publish(&self, topic: &str, payload: String, retain: bool) -> Result<(), String> {
        match self {
            Client::V311(c) => c
                .try_publish(
                    topic,
                    rumqttc::QoS::AtLeastOnce,
                    retain,
                    payload.into_bytes(),
                )
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .try_publish(
                    topic,
                    rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
                    retain,
                    payload.into_bytes(),
                )
                .map_err(|e| e.to_string()),
        }
    }

    /// Queues an answer (QoS 1, not retained); with MQTT 5 it carries the
    /// correlation data, an expiry and its content type.
    pub fn try_publish_answer(&self, answer: &AnswerMessage) -> Result<(), String> {
        match self {
            Client::V311(_) => self.try_publish(&answer.topic, answer.payload.clone(), false),
            Client::V5(c) => {
                let properties = p5::PublishProperties {
                    payload_format_indicator: Some(1),
                    message_expiry_interval: Some(ANSWER_EXPIRY_S),
                    correlation_data: answer.correlation_data.clone().map(Into::into),
                    content_type: Some("application/json".into()),
                    ..p5::PublishProperties::default()
                };
                c.try_publish_with_properties(
                    answer.topic.as_str(),
                    rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
                    false,
                    answer.payload.clone().into_bytes(),
                    properties,
                )
                .map_err(|e| e.to_string())
            }
        }
    }

    /// Queues a QoS 1 subscription without waiting.
    pub fn try_subscribe(&self, filter: &str) -> Result<(), String> {
        match self {
            Client::V311(c) => c
                .try_subscribe(filter, rumqttc::QoS::AtLeastOnce)
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .try_subscribe(filter, rumqttc::v5::mqttbytes::QoS::AtLeastOnce)
                .map_err(|e| e.to_string()),
        }
    }

    /// Queues a clean disconnect (the broker then drops the last will).
    pub fn try_disconnect(&self) -> Result<(), String> {
        match self {
            Client::V311(c) => c.try_disconnect().map_err(|e| e.to_string()),
            Client::V5(c) => c.try_disconnect().map_err(|e| e.to_string()),
        }
    }
}

impl EventLoop {
    /// Drives the connection until the next event; after an error the next
    /// call connects again.
    pub async fn poll(&mut self) -> Result<Polled, PollError> {
        match self {
            EventLoop::V311(e) => match e.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => Ok(Polled::Connected),
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(p))) => Ok(Polled::Message {
                    topic: p.topic,
                    payload: p.payload.to_vec(),
                    reply: ReplyTo::default(),
                }),
                Ok(rumqttc::Event::Outgoing(Outgoing::Disconnect)) => Ok(Polled::Closed),
                Ok(_) => Ok(Polled::Other),
                Err(e) => Err(PollError {
                    refused: matches!(e, rumqttc::ConnectionError::ConnectionRefused(_)),
                    text: e.to_string(),
                }),
            },
            EventLoop::V5(e) => match e.poll().await {
                Ok(rumqttc::v5::Event::Incoming(p5::Packet::ConnAck(_))) => Ok(Polled::Connected),
                Ok(rumqttc::v5::Event::Incoming(p5::Packet::Publish(p))) => {
                    // The broker checked that the topic is UTF-8; a packet
                    // that is not is ignored rather than misread.
                    let Ok(topic) = String::from_utf8(p.topic.to_vec()) else {
                        return Ok(Polled::Other);
                    };
                    let reply = p
                        .properties
                        .map(|props| ReplyTo {
                            response_topic: props.response_topic,
                            correlation_data: props.correlation_data.map(|d| d.to_vec()),
                        })
                        .unwrap_or_default();
                    Ok(Polled::Message {
                        topic,
                        payload: p.payload.to_vec(),
                        reply,
                    })
                }
                Ok(rumqttc::v5::Event::Outgoing(Outgoing::Disconnect)) => Ok(Polled::Closed),
                Ok(_) => Ok(Polled::Other),
                Err(e) => Err(PollError {
                    refused: matches!(e, rumqttc::v5::ConnectionError::ConnectionRefused(_)),
                    text: e.to_string(),
                }),
            },
        }
    }
}
