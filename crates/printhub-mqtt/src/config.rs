//! What the MQTT edge is told: [`MqttConfig`], validated from the plain
//! values of `[mqtt]` by [`MqttConfig::parse`] (broker URL, protocol
//! version, topic roots, client id, scope, printer allow-list). Pure: no file is read and no
//! socket opened here; every refusal is an [`MqttError::InvalidConfig`]
//! naming its field.

use std::path::PathBuf;
use std::time::Duration;

use printhub_lookup::Secret;

use crate::MqttError;

/// The broker to connect to, from `mqtt://host[:port]` or `mqtts://host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    /// Host name or address.
    pub host: String,
    /// TCP port (1883 for `mqtt://`, 8883 for `mqtts://` unless given).
    pub port: u16,
    /// TLS (rustls with the platform's webpki roots, or `ca_file`).
    pub tls: bool,
}

impl Broker {
    /// Parses `mqtt://host[:port]` or `mqtts://host[:port]`. Credentials go in
    /// `username`/`password`, never in the URL (it is logged).
    pub fn parse(text: &str) -> Result<Broker, MqttError> {
        let invalid = |reason: String| MqttError::invalid("url", reason);
        let url = url::Url::parse(text.trim())
            .map_err(|e| invalid(format!("{text:?} is not a URL: {e}")))?;
        let (tls, default_port) = match url.scheme() {
            "mqtt" | "tcp" => (false, 1883),
            "mqtts" | "ssl" => (true, 8883),
            other => {
                return Err(invalid(format!(
                    "scheme {other:?}: use mqtt://host:1883 or mqtts://host:8883"
                )))
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "put the user and password in mqtt.username and mqtt.password, not in the URL"
                    .into(),
            ));
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(format!(
                "{text:?}: a broker URL is scheme://host[:port] with nothing after it"
            )));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid(format!("{text:?} names no host")))?;
        // `[::1]` in a URL is `::1` to a socket.
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        Ok(Broker {
            host,
            port: url.port().unwrap_or(default_port),
            tls,
        })
    }
}

/// The MQTT protocol version spoken to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// MQTT 3.1.1 (protocol level 4), the default: every broker speaks it.
    #[default]
    V311,
    /// MQTT 5: print commands may carry a response topic and correlation data.
    V5,
}

impl Protocol {
    /// Parses `3.1.1` or `5` (also `5.0`; a TOML integer `5` arrives as `5`).
    pub fn parse(text: &str) -> Result<Protocol, MqttError> {
        match text.trim() {
            "3.1.1" => Ok(Protocol::V311),
            "5" | "5.0" => Ok(Protocol::V5),
            other => Err(MqttError::invalid(
                "protocol",
                format!("{other:?} is not an MQTT version printhub speaks: use \"3.1.1\" or 5"),
            )),
        }
    }

    /// The version as written in the configuration (`3.1.1` or `5`).
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::V311 => "3.1.1",
            Protocol::V5 => "5",
        }
    }
}

/// What MQTT clients may ask of the hub, as the API key scopes say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Discovery and state topics only; commands are refused (`insufficient_scope`).
    Read,
    /// Also print commands and the pause/resume buttons (what the `print`
    /// scope allows over HTTP).
    Print,
}

impl Scope {
    /// Parses `read` or `print`.
    pub fn parse(text: &str) -> Result<Scope, MqttError> {
        match text {
            "read" => Ok(Scope::Read),
            "print" => Ok(Scope::Print),
            "admin" => Err(MqttError::invalid(
                "scope",
                "MQTT offers nothing beyond printing and pause/resume: use \"print\"",
            )),
            other => Err(MqttError::invalid(
                "scope",
                format!("{other:?} is not read or print"),
            )),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Print => "print",
        }
    }
}

/// The plain values of `[mqtt]`, as the configuration file holds them.
#[derive(Debug, Clone, Default)]
pub struct MqttSettings {
    /// `mqtt://host[:port]` or `mqtts://host[:port]`.
    pub url: String,
    /// `3.1.1` or `5` (default `3.1.1`).
    pub protocol: Option<String>,
    /// Broker user.
    pub username: Option<String>,
    /// Broker password.
    pub password: Option<Secret>,
    /// The client id (default `printhub`).
    pub client_id: Option<String>,
    /// Root of printhub's topics (default `printhub`).
    pub base_topic: Option<String>,
    /// Home Assistant's discovery prefix (default `homeassistant`).
    pub discovery_prefix: Option<String>,
    /// `read` or `print` (default `print`).
    pub scope: Option<String>,
    /// Printers (slugs or ids) exposed and commanded; `None`: all.
    pub printers: Option<Vec<String>>,
    /// The web UI's address, for each device's configuration URL.
    pub public_url: Option<String>,
    /// A PEM file of CA certificates for `mqtts://` (default: webpki roots).
    pub ca_file: Option<PathBuf>,
    /// Keep-alive in seconds (default 30).
    pub keep_alive_s: Option<u64>,
    /// The longest wait between reconnect attempts, in ms (default 30 000).
    pub reconnect_max_ms: Option<u64>,
}

/// The validated MQTT configuration.
#[derive(Debug, Clone)]
pub struct MqttConfig {
    /// The broker.
    pub broker: Broker,
    /// The MQTT version spoken.
    pub protocol: Protocol,
    /// Broker user.
    pub username: Option<String>,
    /// Broker password (redacted in `Debug`).
    pub password: Option<Secret>,
    /// The MQTT client id; jobs are submitted by `mqtt:<client_id>`.
    pub client_id: String,
    /// Root of printhub's own topics.
    pub base_topic: String,
    /// Home Assistant's discovery prefix.
    pub discovery_prefix: String,
    /// What commands may do.
    pub scope: Scope,
    /// Printers exposed and commanded (slugs or ids); `None`: every printer.
    pub printers: Option<Vec<String>>,
    /// The web UI's root (`https://labels.example.com`), no trailing slash.
    pub public_url: Option<String>,
    /// CA certificates for TLS (PEM), instead of the webpki roots.
    pub ca_file: Option<PathBuf>,
    /// MQTT keep-alive.
    pub keep_alive: Duration,
    /// The longest wait between reconnect attempts.
    pub reconnect_max: Duration,
    /// The printhub version shown on the hub's device.
    pub version: String,
}

/// The default client id, base topic and discovery prefix.
pub const DEFAULT_CLIENT_ID: &str = "printhub";
/// The default root of printhub's topics.
pub const DEFAULT_BASE_TOPIC: &str = "printhub";
/// Home Assistant's default discovery prefix.
pub const DEFAULT_DISCOVERY_PREFIX: &str = "homeassistant";

impl MqttConfig {
    /// Validates `settings`; the error names the field (`url`, `base_topic`, ...).
    pub fn parse(settings: &MqttSettings) -> Result<MqttConfig, MqttError> {
        let broker = Broker::parse(&settings.url)?;
        let protocol = settings
            .protocol
            .as_deref()
            .map_or(Ok(Protocol::default()), Protocol::parse)?;
        let client_id = settings
            .client_id
            .clone()
            .unwrap_or_else(|| DEFAULT_CLIENT_ID.to_string());
        let id_ok = !client_id.is_empty()
            && client_id.len() <= 64
            && client_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(MqttError::invalid(
                "client_id",
                format!("{client_id:?} is not 1-64 characters of A-Z, a-z, 0-9, - and _"),
            ));
        }
        let base_topic = topic_root(settings.base_topic.as_deref(), DEFAULT_BASE_TOPIC)
            .map_err(|reason| MqttError::invalid("base_topic", reason))?;
        let discovery_prefix = topic_root(
            settings.discovery_prefix.as_deref(),
            DEFAULT_DISCOVERY_PREFIX,
        )
        .map_err(|reason| MqttError::invalid("discovery_prefix", reason))?;
        if base_topic == discovery_prefix {
            return Err(MqttError::invalid(
                "base_topic",
                "must differ from discovery_prefix",
            ));
        }
        let scope = Scope::parse(settings.scope.as_deref().unwrap_or("print"))?;
        if let Some(list) = &settings.printers {
            if let Some(i) = list.iter().position(|p| p.trim().is_empty()) {
                return Err(MqttError::invalid(
                    "printers",
                    format!("entry {i} is empty"),
                ));
            }
        }
        if settings.password.is_some() && settings.username.is_none() {
            return Err(MqttError::invalid(
                "password",
                "a password needs a username",
            ));
        }
        let public_url = match &settings.public_url {
            Some(text) => {
                let url = url::Url::parse(text).map_err(|e| {
                    MqttError::invalid("public_url", format!("{text:?} is not a URL: {e}"))
                })?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(MqttError::invalid(
                        "public_url",
                        format!("{text:?}: use an http:// or https:// address"),
                    ));
                }
                Some(text.trim_end_matches('/').to_string())
            }
            None => None,
        };
        if settings.ca_file.is_some() && !broker.tls {
            return Err(MqttError::invalid(
                "ca_file",
                "a CA file is for mqtts:// brokers only",
            ));
        }
        let keep_alive = Duration::from_secs(settings.keep_alive_s.unwrap_or(30));
        if !(5..=3600).contains(&keep_alive.as_secs()) {
            return Err(MqttError::invalid(
                "keep_alive_s",
                "must be between 5 and 3600 seconds",
            ));
        }
        let reconnect_max = Duration::from_millis(settings.reconnect_max_ms.unwrap_or(30_000));
        if !(100..=3_600_000).contains(&reconnect_max.as_millis()) {
            return Err(MqttError::invalid(
                "reconnect_max_ms",
                "must be between 100 and 3600000 milliseconds",
            ));
        }
        Ok(MqttConfig {
            broker,
            protocol,
            username: settings.username.clone(),
            password: settings.password.clone(),
            client_id,
            base_topic,
            discovery_prefix,
            scope,
            printers: settings.printers.clone(),
            public_url,
            ca_file: settings.ca_file.clone(),
            keep_alive,
            reconnect_max,
            version: env!("CARGO_PKG_VERSION").to_string(),
        })
    }

    /// Whether the printer (by slug or id) is exposed and commanded.
    pub fn allows(&self, slug: &str, id: &str) -> bool {
        self.printers
            .as_ref()
            .is_none_or(|list| list.iter().any(|p| p == slug || p == id))
    }

    /// Who jobs printed over MQTT are recorded as submitted by.
    pub fn submitted_by(&self) -> String {
        format!("mqtt:{}", self.client_id)
    }
}

/// A topic root: levels of printable characters without wildcards, no
/// leading, trailing or doubled `/`.
fn topic_root(value: Option<&str>, default: &str) -> Result<String, String> {
    let text = value.unwrap_or(default).trim();
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.contains(['+', '#', '\0']) || text.chars().any(char::is_control) {
        return Err(format!(
            "{text:?} may not contain the wildcards + and #, or control characters"
        ));
    }
    if text.starts_with('/') || text.ends_with('/') || text.contains("//") {
        return Err(format!(
            "{text:?}: no leading, trailing or empty topic levels"
        ));
    }
    if text.starts_with('$') {
        return Err(format!("{text:?}: topics starting with $ are the broker's"));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> MqttSettings {
        MqttSettings {
            url: url.into(),
            ..MqttSettings::default()
        }
    }

    #[test]
    fn broker_urls_parse_with_default_ports() {
        let cases = [
            ("mqtt://broker.lan", "broker.lan", 1883, false),
            ("mqtt://broker.lan:1884", "broker.lan", 1884, false),
            ("mqtts://broker.lan", "broker.lan", 8883, true),
            ("mqtts://10.0.0.2:9999/", "10.0.0.2", 9999, true),
            ("mqtt://[::1]:1883", "::1", 1883, false),
        ];
        for (url, host, port, tls) in cases {
            let b = Broker::parse(url).expect(url);
            assert_eq!((b.host.as_str(), b.port, b.tls), (host, port, tls), "{url}");
        }
    }

    #[test]
    fn bad_settings_name_their_field() {
        let cases: Vec<(MqttSettings, &str)> = vec![
            (settings("http://broker"), "url"),
            (settings("mqtt://user:pw@broker"), "url"),
            (settings("mqtt://broker/topic"), "url"),
            (settings("not a url"), "url"),
            (
                MqttSettings {
                    client_id: Some("has space".into()),
                    ..settings("mqtt://b")
                },
                "client_id",
            ),
            (
                MqttSettings {
                    base_topic: Some("a/#".into()),
                    ..settings("mqtt://b")
                },
                "base_topic",
            ),
            (
                MqttSettings {
                    base_topic: Some("/lead".into()),
                    ..settings("mqtt://b")
                },
                "base_topic",
            ),
            (
                MqttSettings {
                    discovery_prefix: Some("".into()),
                    ..settings("mqtt://b")
                },
                "discovery_prefix",
            ),
            (
                MqttSettings {
                    base_topic: Some("homeassistant".into()),
                    ..settings("mqtt://b")
                },
                "base_topic",
            ),
            (
                MqttSettings {
                    scope: Some("admin".into()),
                    ..settings("mqtt://b")
                },
                "scope",
            ),
            (
                MqttSettings {
                    scope: Some("write".into()),
                    ..settings("mqtt://b")
                },
                "scope",
            ),
            (
                MqttSettings {
                    printers: Some(vec!["pt".into(), " ".into()]),
                    ..settings("mqtt://b")
                },
                "printers",
            ),
            (
                MqttSettings {
                    password: Some(Secret::new("pw")),
                    ..settings("mqtt://b")
                },
                "password",
            ),
            (
                MqttSettings {
                    public_url: Some("ftp://x".into()),
                    ..settings("mqtt://b")
                },
                "public_url",
            ),
            (
                MqttSettings {
                    ca_file: Some("ca.pem".into()),
                    ..settings("mqtt://b")
                },
                "ca_file",
            ),
            (
                MqttSettings {
                    keep_alive_s: Some(1),
                    ..settings("mqtt://b")
                },
                "keep_alive_s",
            ),
            (
                MqttSettings {
                    protocol: Some("3".into()),
                    ..settings("mqtt://b")
                },
                "protocol",
            ),
            (
                MqttSettings {
                    protocol: Some("4".into()),
                    ..settings("mqtt://b")
                },
                "protocol",
            ),
            (
                MqttSettings {
                    protocol: Some("v6".into()),
                    ..settings("mqtt://b")
                },
                "protocol",
            ),
            (
                MqttSettings {
                    reconnect_max_ms: Some(0),
                    ..settings("mqtt://b")
                },
                "reconnect_max_ms",
            ),
        ];
        for (s, field) in cases {
            match MqttConfig::parse(&s) {
                Err(MqttError::InvalidConfig { field: f, .. }) => {
                    assert_eq!(f, field, "{s:?}")
                }
                other => panic!("{s:?} should be refused naming {field}: {other:?}"),
            }
        }
    }

    #[test]
    fn defaults_and_allow_list() {
        let c = MqttConfig::parse(&settings("mqtt://b")).expect("valid");
        assert_eq!(c.client_id, "printhub");
        assert_eq!(c.base_topic, "printhub");
        assert_eq!(c.discovery_prefix, "homeassistant");
        assert_eq!(c.scope, Scope::Print);
        assert_eq!(c.protocol, Protocol::V311);
        assert!(c.allows("anything", "id"));
        assert_eq!(c.submitted_by(), "mqtt:printhub");
        let c = MqttConfig::parse(&MqttSettings {
            printers: Some(vec!["pt".into(), "0000-id".into()]),
            public_url: Some("https://labels.example.com/".into()),
            ..settings("mqtt://b")
        })
        .expect("valid");
        assert!(c.allows("pt", "x"));
        assert!(c.allows("other", "0000-id"));
        assert!(!c.allows("ql", "x"));
        assert_eq!(c.public_url.as_deref(), Some("https://labels.example.com"));
    }

    #[test]
    fn both_protocol_versions_parse() {
        for (text, expected) in [
            ("3.1.1", Protocol::V311),
            ("5", Protocol::V5),
            ("5.0", Protocol::V5),
            (" 5 ", Protocol::V5),
        ] {
            let c = MqttConfig::parse(&MqttSettings {
                protocol: Some(text.into()),
                ..settings("mqtt://b")
            })
            .expect(text);
            assert_eq!(c.protocol, expected, "{text}");
            assert_eq!(
                Protocol::parse(expected.as_str()).expect("round trip"),
                expected
            );
        }
    }

    #[test]
    fn the_password_never_shows_in_debug() {
        let c = MqttConfig::parse(&MqttSettings {
            username: Some("hub".into()),
            password: Some(Secret::new("hunter2-very-secret")),
            ..settings("mqtt://b")
        })
        .expect("valid");
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("hub"));
    }
}
