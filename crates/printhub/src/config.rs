//! `printhub serve` configuration: a TOML file (`--config`) with `PRINTHUB_*`
//! environment overrides, validated into what [`crate::serve::build`]
//! assembles. Without a file, [`Config::demo`] is the `make run` setup: two
//! emulated printers on loopback and the API on 127.0.0.1:8080.

use crate::env_vars::env_number;
pub use crate::integrations::{
    GrocyEntry, IntegrationsEntry, SnipeitEntry, SpoolmanEntry, WebhookEntry,
};
pub use crate::outbound::{MqttEntry, NotifyEntry};
use anyhow::{bail, Context};
use printhub_emulator::{EmulatorConfig, Speed};
use printhub_gateway::{AuthConfig, ProxyConfig, Scope};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// HTTP listen address (`PRINTHUB_LISTEN`).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Folder for the database and emulator output (`PRINTHUB_DATA_DIR`).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Largest accepted request body, in bytes.
    #[serde(default = "default_body_limit")]
    pub body_limit: usize,
    /// Printers to register (added at start if their slug is not registered yet).
    #[serde(default, rename = "printer")]
    pub printers: Vec<PrinterEntry>,
    /// Emulated printers started inside the hub (demos, `make run`).
    #[serde(default, rename = "emulator")]
    pub emulators: Vec<EmulatorConfig>,
    /// Retention of finished jobs.
    #[serde(default)]
    pub retention: RetentionEntry,
    /// Queue limits, chaining and how printers are watched.
    #[serde(default)]
    pub printing: PrintingEntry,
    /// Grocy, Snipe-IT and Spoolman (`[integrations.*]`).
    #[serde(default)]
    pub integrations: IntegrationsEntry,
    /// Generic webhooks (`[[webhook]]`).
    #[serde(default, rename = "webhook")]
    pub webhooks: Vec<WebhookEntry>,
    /// Who may call the API.
    #[serde(default)]
    pub auth: AuthEntry,
    /// MQTT and Home Assistant (`[mqtt]`, `PRINTHUB_MQTT_*`).
    #[serde(default)]
    pub mqtt: Option<MqttEntry>,
    /// Outbound notifications (`[[notify]]`).
    #[serde(default, rename = "notify")]
    pub notify: Vec<NotifyEntry>,
    /// What one caller may cost: body deadline, image decodes, previews,
    /// webhooks, event streams.
    #[serde(default)]
    pub limits: LimitsEntry,
    /// The QR landing pages (`[landing]`).
    #[serde(default)]
    pub landing: LandingEntry,
    /// Label Printer Hub compatibility (`[compat]`): its webhooks' key.
    #[serde(default)]
    pub compat: CompatEntry,
    /// IPP Everywhere (`[ipp]`, `PRINTHUB_IPP_LISTEN`): every printer is
    /// also an IPP printer. Off when absent.
    #[serde(default)]
    pub ipp: Option<IppEntry>,
}

/// `[ipp]`: the IPP Everywhere listener, a second HTTP listener beside the
/// API whose printers are `ipp://HOST:PORT/ipp/print/{slug}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IppEntry {
    /// Where it listens (`PRINTHUB_IPP_LISTEN`), e.g. `127.0.0.1:8631`. On
    /// loopback, callers without credentials follow `[auth] anonymous`;
    /// elsewhere every request needs HTTP Basic with an API key as the
    /// password.
    pub listen: SocketAddr,
    /// Announce every printer over DNS-SD (Bonjour: `_ipp._tcp`, subtype
    /// `_print`, multicast on UDP 5353) so phones and computers list it by
    /// themselves (`PRINTHUB_IPP_DNS_SD`). Off by default.
    #[serde(default)]
    pub dns_sd: bool,
}

/// `[compat]`: what Label Printer Hub's clients need beyond its routes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompatEntry {
    /// The key its webhooks (`POST /api/webhook/spoolman`, `/grocy`) take
    /// in `X-API-Key` (`PRINTHUB_COMPAT_WEBHOOK_KEY`, or its own name
    /// `PRINTER_HUB_WEBHOOK_API_KEY`): at least 32 non-whitespace
    /// characters, trimmed, as it required. Absent or empty: the webhooks
    /// answer 503. Redacted wherever the configuration is shown.
    pub webhook_key: Option<printhub_lookup::Secret>,
}

/// `[landing]`: what a QR landing page (`/asset|product|spool|loc/{id}`)
/// shows a visitor without a key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LandingEntry {
    /// The item's name and the printers' states without a key
    /// (`PRINTHUB_LANDING_PUBLIC`). Absent: on when the hub listens on
    /// loopback or sits behind `[auth.proxy]` (the network in front decides
    /// who reaches it), off otherwise. Anyone who can reach the hub can then
    /// read an item's name by guessing its id; the item's other fields and
    /// the reprint still need a key.
    pub public: Option<bool>,
}

/// `[limits]`: what one caller may cost (issue #15). Every key has a
/// `PRINTHUB_*` override (see [`Config::with_env`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsEntry {
    /// Seconds a request body may take to arrive; slower is 408
    /// `request_timeout` (`PRINTHUB_BODY_TIMEOUT_SECS`).
    pub body_timeout_secs: u64,
    /// Image decodes (uploads, template images, their previews) running at
    /// once, process-wide (`PRINTHUB_IMAGE_DECODES`).
    pub image_decodes: usize,
    /// Memory those decodes may hold together, in MiB; one image that needs
    /// more is 422 `image_too_large` (`PRINTHUB_IMAGE_MEMORY_MB`).
    pub image_memory_mb: u64,
    /// Requests that may wait for a decode; more are 503 `overloaded`
    /// (`PRINTHUB_IMAGE_QUEUE`).
    pub image_queue: usize,
    /// Previews a minute per caller (`PRINTHUB_PREVIEW_RATE_LIMIT`).
    pub preview_rate_limit_per_minute: u32,
    /// Calls a minute per webhook token without its own limit (absent:
    /// `[auth] rate_limit_per_minute`, as for keys) (`PRINTHUB_WEBHOOK_RATE_LIMIT`).
    pub webhook_rate_limit_per_minute: Option<u32>,
    /// Event streams open at once (`PRINTHUB_EVENT_STREAMS`).
    pub event_streams: usize,
    /// Event streams one caller (key, proxy user, anonymous address) may
    /// hold open (`PRINTHUB_EVENT_STREAMS_PER_KEY`).
    pub event_streams_per_key: usize,
}

impl Default for LimitsEntry {
    fn default() -> Self {
        let gateway = printhub_gateway::LimitsConfig::default();
        let events = printhub_gateway::EventConfig::default();
        LimitsEntry {
            body_timeout_secs: gateway.body_timeout.as_secs(),
            image_decodes: gateway.image_decodes,
            image_memory_mb: gateway.image_memory >> 20,
            image_queue: gateway.image_queue,
            preview_rate_limit_per_minute: gateway.preview_rate_limit_per_minute,
            webhook_rate_limit_per_minute: None,
            event_streams: events.max_subscribers,
            event_streams_per_key: events.max_per_caller,
        }
    }
}

/// The least image memory `[limits] image_memory_mb` takes: a decode of the
/// largest PNG printhub accepts fits (a large JPEG may need more).
pub const MIN_IMAGE_MEMORY_MB: u64 = 64;

impl LimitsEntry {
    /// Checks the ranges; the error names the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        let ranges: [(&str, u64, u64, u64); 6] = [
            ("body_timeout_secs", self.body_timeout_secs, 1, 3600),
            ("image_decodes", self.image_decodes as u64, 1, 256),
            (
                "image_memory_mb",
                self.image_memory_mb,
                MIN_IMAGE_MEMORY_MB,
                1 << 20,
            ),
            ("image_queue", self.image_queue as u64, 0, 100_000),
            ("event_streams", self.event_streams as u64, 1, 100_000),
            (
                "event_streams_per_key",
                self.event_streams_per_key as u64,
                1,
                self.event_streams as u64,
            ),
        ];
        for (field, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                bail!("limits.{field}: {value} is not between {min} and {max}");
            }
        }
        Ok(())
    }

    /// The gateway's limits; webhooks without a limit of their own default
    /// to `key_rate` (`[auth] rate_limit_per_minute`).
    pub fn gateway(&self, key_rate: u32) -> printhub_gateway::LimitsConfig {
        printhub_gateway::LimitsConfig {
            body_timeout: std::time::Duration::from_secs(self.body_timeout_secs),
            image_decodes: self.image_decodes,
            image_memory: self.image_memory_mb << 20,
            image_queue: self.image_queue,
            preview_rate_limit_per_minute: self.preview_rate_limit_per_minute,
            webhook_rate_limit_per_minute: self.webhook_rate_limit_per_minute.unwrap_or(key_rate),
        }
    }

    /// The event log's settings.
    pub fn events(&self) -> printhub_gateway::EventConfig {
        printhub_gateway::EventConfig {
            max_subscribers: self.event_streams,
            max_per_caller: self.event_streams_per_key,
            ..printhub_gateway::EventConfig::default()
        }
    }
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthEntry {
    /// What callers without a key may do: `off`, `read`, `print` or `admin`
    /// (`PRINTHUB_AUTH_ANONYMOUS`). Anything but `off` needs a loopback
    /// listen address.
    #[serde(default = "default_anonymous")]
    pub anonymous: String,
    /// Mutations a minute per key without its own limit.
    #[serde(default = "default_rate")]
    pub rate_limit_per_minute: u32,
    /// Mutations a minute per anonymous client address (unlimited if absent).
    #[serde(default)]
    pub anonymous_rate_limit_per_minute: Option<u32>,
    /// A trusted reverse proxy that authenticates users itself.
    #[serde(default)]
    pub proxy: Option<ProxyEntry>,
}

impl Default for AuthEntry {
    fn default() -> Self {
        AuthEntry {
            anonymous: default_anonymous(),
            rate_limit_per_minute: default_rate(),
            anonymous_rate_limit_per_minute: None,
            proxy: None,
        }
    }
}

fn default_anonymous() -> String {
    "off".into()
}

fn default_rate() -> u32 {
    600
}

/// `[auth.proxy]`: the proxy names the user in `user_header` and proves
/// itself with `secret` in `secret_header`; without the secret both headers
/// are ignored.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyEntry {
    /// The header naming the user.
    #[serde(default = "default_user_header")]
    pub user_header: String,
    /// The header carrying the shared secret.
    #[serde(default = "default_secret_header")]
    pub secret_header: String,
    /// The shared secret (`PRINTHUB_PROXY_SECRET`): hard to guess, see
    /// [`crate::secret_check`]; `printhub keys secret` makes one.
    pub secret: String,
    /// The scope proxied users get (`read`, `print` or `admin`).
    #[serde(default = "default_proxy_scope")]
    pub scope: String,
}

impl std::fmt::Debug for ProxyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyEntry")
            .field("user_header", &self.user_header)
            .field("secret_header", &self.secret_header)
            .field("secret", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

fn default_user_header() -> String {
    "X-Forwarded-User".into()
}

fn default_secret_header() -> String {
    "X-Printhub-Proxy-Secret".into()
}

fn default_proxy_scope() -> String {
    "print".into()
}

/// One `[[printer]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterEntry {
    /// Unique short name.
    pub slug: String,
    /// Display name (defaults to the slug).
    pub name: Option<String>,
    /// Brother model.
    pub model: String,
    /// Loaded media id, or `auto`: the medium the printer reports.
    pub media: String,
    /// `host[:port]` of raw TCP (9100); a network printer has this, a USB one `device`.
    #[serde(default)]
    pub address: Option<String>,
    /// The character device of a USB printer (`/dev/usb/lp0`, or a stable symlink
    /// to it), instead of `address`.
    #[serde(default)]
    pub device: Option<String>,
    /// `host[:port]` of SNMP (161); empty or absent: no SNMP.
    pub snmp: Option<String>,
    /// SNMP community.
    pub snmp_community: Option<String>,
    /// Print defaults (issue #20), e.g. `defaults = { cut = "end", queue_timeout_minutes = 60 }`.
    /// Given here, the file owns them (applied at every start); absent, the
    /// ones set through the API stay.
    #[serde(default)]
    pub defaults: Option<printhub_core::PrinterDefaults>,
}

impl PrinterEntry {
    /// How the printer is reached, as the engine stores it: the device path of
    /// a USB printer, else the network address (`validate` makes sure there is
    /// exactly one).
    pub fn target(&self) -> &str {
        self.device
            .as_deref()
            .or(self.address.as_deref())
            .unwrap_or_default()
    }
}

/// `[retention]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionEntry {
    /// Days finished jobs are kept.
    pub max_age_days: Option<u64>,
    /// Most finished jobs kept.
    pub max_finished: Option<usize>,
}

impl Default for RetentionEntry {
    fn default() -> Self {
        RetentionEntry {
            max_age_days: Some(30),
            max_finished: Some(100_000),
        }
    }
}

/// `[printing]`: the engine's limits and pace, the same for every printer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrintingEntry {
    /// Queued plus held jobs a printer accepts; more is `429 queue_full`.
    pub max_queue: usize,
    /// Labels one chain (one stream, no feed or cut between them) holds at
    /// most; 1 turns chaining off. A pause or cancel waits for at most this
    /// many labels.
    pub max_chain_pages: usize,
    /// How often an idle printer's status is read, in milliseconds.
    pub probe_interval_ms: u64,
    /// How often a stopped printer (cover open, wrong tape…) is re-checked.
    pub stopped_poll_ms: u64,
    /// The longest wait between reconnect attempts to an offline printer.
    pub backoff_max_ms: u64,
}

impl Default for PrintingEntry {
    fn default() -> Self {
        let machine = printhub_core::MachineConfig::default();
        let link = printhub_actors::LinkConfig::default();
        PrintingEntry {
            max_queue: machine.max_queue,
            max_chain_pages: machine.max_chain_pages,
            probe_interval_ms: link.probe_interval.as_millis() as u64,
            stopped_poll_ms: machine.stopped_poll_ms.unsigned_abs(),
            backoff_max_ms: machine.backoff_max_ms.unsigned_abs(),
        }
    }
}

/// The most labels a chain may be configured to hold.
pub const MAX_CHAIN_PAGES: usize = 500;

/// A day, the longest interval `[printing]` takes.
const DAY_MS: u64 = 24 * 3600 * 1000;

impl PrintingEntry {
    /// Checks the ranges; the error names the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !(1..=100_000).contains(&self.max_queue) {
            bail!(
                "printing.max_queue: {} is not between 1 and 100000",
                self.max_queue
            );
        }
        if !(1..=MAX_CHAIN_PAGES).contains(&self.max_chain_pages) {
            bail!(
                "printing.max_chain_pages: {} is not between 1 (no chaining) and {MAX_CHAIN_PAGES}",
                self.max_chain_pages
            );
        }
        for (field, ms, min) in [
            ("probe_interval_ms", self.probe_interval_ms, 1000),
            ("stopped_poll_ms", self.stopped_poll_ms, 100),
            ("backoff_max_ms", self.backoff_max_ms, 100),
        ] {
            if !(min..=DAY_MS).contains(&ms) {
                bail!("printing.{field}: {ms} is not between {min} and {DAY_MS} milliseconds");
            }
        }
        Ok(())
    }

    /// The engine configuration these settings describe (everything else default).
    pub fn hub_config(&self) -> printhub_actors::HubConfig {
        let defaults = printhub_actors::HubConfig::default();
        let ms = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        printhub_actors::HubConfig {
            machine: printhub_core::MachineConfig {
                max_queue: self.max_queue,
                max_chain_pages: self.max_chain_pages,
                stopped_poll_ms: ms(self.stopped_poll_ms),
                backoff_max_ms: ms(self.backoff_max_ms),
                backoff_initial_ms: defaults
                    .machine
                    .backoff_initial_ms
                    .min(ms(self.backoff_max_ms)),
                ..defaults.machine
            },
            link: printhub_actors::LinkConfig {
                probe_interval: std::time::Duration::from_millis(self.probe_interval_ms),
                ..defaults.link
            },
            ..defaults
        }
    }
}

/// Label Printer Hub's environment variables that have a clear printhub
/// equivalent (issue #19): `(printhub's name, the old name, the old value is
/// seconds and printhub's milliseconds)`. printhub's own name wins when both
/// are set. The README's migration table lists them.
pub const LEGACY_ENV: &[(&str, &str, bool)] = &[
    (
        "PRINTHUB_SNIPEIT_BASE_URL",
        "PRINTER_HUB_SNIPEIT_URL",
        false,
    ),
    (
        "PRINTHUB_SNIPEIT_API_KEY",
        "PRINTER_HUB_SNIPEIT_API_KEY",
        false,
    ),
    (
        "PRINTHUB_SNIPEIT_TIMEOUT_MS",
        "PRINTER_HUB_SNIPEIT_TIMEOUT",
        true,
    ),
    ("PRINTHUB_GROCY_BASE_URL", "PRINTER_HUB_GROCY_URL", false),
    ("PRINTHUB_GROCY_API_KEY", "PRINTER_HUB_GROCY_API_KEY", false),
    (
        "PRINTHUB_GROCY_TIMEOUT_MS",
        "PRINTER_HUB_GROCY_TIMEOUT",
        true,
    ),
    (
        "PRINTHUB_SPOOLMAN_BASE_URL",
        "PRINTER_HUB_SPOOLMAN_URL",
        false,
    ),
    (
        "PRINTHUB_SPOOLMAN_TIMEOUT_MS",
        "PRINTER_HUB_SPOOLMAN_TIMEOUT",
        true,
    ),
    (
        "PRINTHUB_RETENTION_MAX_AGE_DAYS",
        "PRINTER_HUB_JOB_RETENTION_DAYS",
        false,
    ),
    (
        "PRINTHUB_COMPAT_WEBHOOK_KEY",
        "PRINTER_HUB_WEBHOOK_API_KEY",
        false,
    ),
];

/// The value of printhub's variable `name` under its Label Printer Hub name
/// ([`LEGACY_ENV`]), seconds turned into milliseconds where printhub counts
/// those (a value that is not a number is passed on as it is, to be refused
/// with the variable's name).
fn legacy_env(env: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    let (_, old, seconds) = LEGACY_ENV.iter().find(|(ours, ..)| *ours == name)?;
    // Its compose file sets them all, empty when unused.
    let value = env(old).filter(|v| !v.trim().is_empty())?;
    if !seconds {
        return Some(value);
    }
    Some(match value.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => format!("{}", (s * 1000.0).round() as u64),
        _ => value,
    })
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("var")
}

fn default_body_limit() -> usize {
    8 * 1024 * 1024
}

impl Config {
    /// The lookups `[integrations.*]` describes; errors name the field.
    pub fn lookups(&self) -> anyhow::Result<printhub_lookup::Lookups> {
        self.integrations.lookups()
    }

    /// The webhooks `[integrations.grocy]` and `[[webhook]]` describe; errors name the field.
    pub fn webhooks(&self) -> anyhow::Result<printhub_gateway::WebhookConfig> {
        self.integrations.webhooks(&self.webhooks)
    }
}

impl Config {
    /// The `make run` configuration: a PT-P750W with 12 mm tape and a QL-820NWB
    /// with 62 mm DK, emulated on loopback, registered as `pt` and `ql` with
    /// `media = "auto"` (labels follow the tape the emulator reports).
    pub fn demo(data_dir: &Path) -> Self {
        let emu = data_dir.join("emulator");
        Config {
            listen: default_listen(),
            data_dir: data_dir.to_path_buf(),
            body_limit: default_body_limit(),
            printers: vec![
                PrinterEntry {
                    slug: "pt".into(),
                    name: Some("PT-P750W (emulated)".into()),
                    model: "PT-P750W".into(),
                    media: printhub_actors::AUTO_MEDIA.into(),
                    address: Some("127.0.0.1:9100".into()),
                    device: None,
                    snmp: Some("127.0.0.1:1161".into()),
                    snmp_community: None,
                    defaults: None,
                },
                PrinterEntry {
                    slug: "ql".into(),
                    name: Some("QL-820NWB (emulated)".into()),
                    model: "QL-820NWB".into(),
                    media: printhub_actors::AUTO_MEDIA.into(),
                    address: Some("127.0.0.1:9101".into()),
                    device: None,
                    snmp: Some("127.0.0.1:1162".into()),
                    snmp_community: None,
                    defaults: None,
                },
            ],
            emulators: vec![
                EmulatorConfig::new("PT-P750W", "tze-12")
                    .tcp_addr(([127, 0, 0, 1], 9100).into())
                    .snmp_addr(([127, 0, 0, 1], 1161).into())
                    .out_dir(emu.join("pt-p750w"))
                    .speed(Speed::Real),
                EmulatorConfig::new("QL-820NWB", "dk-62")
                    .tcp_addr(([127, 0, 0, 1], 9101).into())
                    .snmp_addr(([127, 0, 0, 1], 1162).into())
                    .out_dir(emu.join("ql-820nwb"))
                    .speed(Speed::Real),
            ],
            retention: RetentionEntry::default(),
            printing: PrintingEntry::default(),
            auth: AuthEntry {
                anonymous: "admin".into(),
                ..AuthEntry::default()
            },
            integrations: IntegrationsEntry::default(),
            webhooks: Vec::new(),
            mqtt: None,
            notify: Vec::new(),
            limits: LimitsEntry::default(),
            landing: LandingEntry::default(),
            compat: CompatEntry::default(),
            ipp: Some(IppEntry {
                listen: SocketAddr::from(([127, 0, 0, 1], 8631)),
                dns_sd: false,
            }),
        }
    }

    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("{} is not a valid configuration", path.display()))
    }

    /// Applies the `PRINTHUB_*` overrides from `env`: `LISTEN`, `DATA_DIR`,
    /// `BODY_LIMIT`, `RETENTION_MAX_AGE_DAYS`, `RETENTION_MAX_FINISHED`, the
    /// `[printing]` settings (`MAX_QUEUE`, `MAX_CHAIN_PAGES`, `PROBE_INTERVAL_MS`,
    /// `STOPPED_POLL_MS`, `BACKOFF_MAX_MS`), the `[limits]` settings
    /// (`BODY_TIMEOUT_SECS`, `IMAGE_DECODES`, `IMAGE_MEMORY_MB`, `IMAGE_QUEUE`,
    /// `PREVIEW_RATE_LIMIT`, `WEBHOOK_RATE_LIMIT`, `EVENT_STREAMS`,
    /// `EVENT_STREAMS_PER_KEY`), `LANDING_PUBLIC`, `COMPAT_WEBHOOK_KEY`,
    /// `AUTH_ANONYMOUS`, `PROXY_SECRET`, `IPP_LISTEN`, `IPP_DNS_SD`, the
    /// integrations' and `[mqtt]`'s (`MQTT_URL`, ...), and Label Printer
    /// Hub's names of some ([`LEGACY_ENV`]). A value that does not parse
    /// names its variable.
    pub fn with_env(mut self, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        // Label Printer Hub's names, where printhub's own is not set.
        let env = |name: &str| env(name).or_else(|| legacy_env(&env, name));
        if let Some(listen) = env("PRINTHUB_LISTEN") {
            self.listen = listen.parse().with_context(|| {
                format!("PRINTHUB_LISTEN: {listen:?} is not an address like 127.0.0.1:8080")
            })?;
        }
        if let Some(dir) = env("PRINTHUB_DATA_DIR") {
            self.data_dir = PathBuf::from(dir);
        }
        if let Some(v) = env_number(&env, "PRINTHUB_BODY_LIMIT")? {
            self.body_limit = v;
        }
        if let Some(v) = env_number(&env, "PRINTHUB_RETENTION_MAX_AGE_DAYS")? {
            self.retention.max_age_days = Some(v);
        }
        if let Some(v) = env_number(&env, "PRINTHUB_RETENTION_MAX_FINISHED")? {
            self.retention.max_finished = Some(v);
        }
        let printing = &mut self.printing;
        if let Some(v) = env_number(&env, "PRINTHUB_MAX_QUEUE")? {
            printing.max_queue = v;
        }
        if let Some(v) = env_number(&env, "PRINTHUB_MAX_CHAIN_PAGES")? {
            printing.max_chain_pages = v;
        }
        if let Some(v) = env_number(&env, "PRINTHUB_PROBE_INTERVAL_MS")? {
            printing.probe_interval_ms = v;
        }
        if let Some(v) = env_number(&env, "PRINTHUB_STOPPED_POLL_MS")? {
            printing.stopped_poll_ms = v;
        }
        if let Some(v) = env_number(&env, "PRINTHUB_BACKOFF_MAX_MS")? {
            printing.backoff_max_ms = v;
        }
        let limits = &mut self.limits;
        if let Some(v) = env_number(&env, "PRINTHUB_BODY_TIMEOUT_SECS")? {
            limits.body_timeout_secs = v;
        }
        if let Some(v) = env_number(&env, "PRINTHUB_IMAGE_DECODES")? {
            limits.image_decodes = v;
        }
        if let Some(v) = env_number(&env, "PRINTHUB_IMAGE_MEMORY_MB")? {
            limits.image_memory_mb = v;
        }
        if let Some(v) = env_number(&env, "PRINTHUB_IMAGE_QUEUE")? {
            limits.image_queue = v;
        }
        if let Some(v) = env_number(&env, "PRINTHUB_PREVIEW_RATE_LIMIT")? {
            limits.preview_rate_limit_per_minute = v;
        }
        if let Some(v) = env_number(&env, "PRINTHUB_WEBHOOK_RATE_LIMIT")? {
            limits.webhook_rate_limit_per_minute = Some(v);
        }
        if let Some(v) = env_number(&env, "PRINTHUB_EVENT_STREAMS")? {
            limits.event_streams = v;
        }
        if let Some(v) = env_number(&env, "PRINTHUB_EVENT_STREAMS_PER_KEY")? {
            limits.event_streams_per_key = v;
        }
        if let Some(v) = env("PRINTHUB_LANDING_PUBLIC") {
            self.landing.public = Some(match v.trim() {
                "true" | "1" | "yes" | "on" => true,
                "false" | "0" | "no" | "off" => false,
                other => bail!("PRINTHUB_LANDING_PUBLIC: {other:?} is not true or false"),
            });
        }
        if let Some(key) = env("PRINTHUB_COMPAT_WEBHOOK_KEY") {
            self.compat.webhook_key = Some(printhub_lookup::Secret::new(key));
        }
        if let Some(listen) = env("PRINTHUB_IPP_LISTEN") {
            let listen = listen.parse().with_context(|| {
                format!("PRINTHUB_IPP_LISTEN: {listen:?} is not an address like 127.0.0.1:8631")
            })?;
            let dns_sd = self.ipp.as_ref().is_some_and(|ipp| ipp.dns_sd);
            self.ipp = Some(IppEntry { listen, dns_sd });
        }
        if let Some(v) = env("PRINTHUB_IPP_DNS_SD") {
            let on = match v.trim() {
                "true" | "1" | "yes" | "on" => true,
                "false" | "0" | "no" | "off" => false,
                other => bail!("PRINTHUB_IPP_DNS_SD: {other:?} is not true or false"),
            };
            match &mut self.ipp {
                Some(ipp) => ipp.dns_sd = on,
                None if on => bail!(
                    "PRINTHUB_IPP_DNS_SD: there is no IPP listener to announce \
                     (add [ipp] listen or set PRINTHUB_IPP_LISTEN)"
                ),
                None => {}
            }
        }
        if let Some(anonymous) = env("PRINTHUB_AUTH_ANONYMOUS") {
            self.auth.anonymous = anonymous;
        }
        if let Some(secret) = env("PRINTHUB_PROXY_SECRET") {
            match &mut self.auth.proxy {
                Some(proxy) => proxy.secret = secret,
                None => {
                    bail!("PRINTHUB_PROXY_SECRET: there is no [auth.proxy] section to apply it to")
                }
            }
        }
        self.integrations.apply_env(&env)?;
        self.apply_outbound_env(&env)?;
        Ok(self)
    }

    /// The gateway's auth policy. Anonymous access on an address other than
    /// loopback is refused: anyone on the network would be that caller.
    pub fn auth_config(&self) -> anyhow::Result<AuthConfig> {
        let scope = |field: &str, text: &str| {
            Scope::parse(text)
                .with_context(|| format!("{field}: {text:?} is not one of read, print, admin"))
        };
        let anonymous = match self.auth.anonymous.as_str() {
            "off" => None,
            other => Some(scope("auth.anonymous", other)?),
        };
        if anonymous.is_some() && !self.listen.ip().is_loopback() {
            bail!(
                "auth.anonymous: anonymous access is only allowed on a loopback address and \
                 listen is {}; set auth.anonymous = \"off\" and use API keys (printhub keys create)",
                self.listen
            );
        }
        let proxy = match &self.auth.proxy {
            Some(p) => {
                crate::secret_check::check_secret(&p.secret, "auth.proxy.secret")?;
                Some(ProxyConfig {
                    user_header: p.user_header.clone(),
                    secret_header: p.secret_header.clone(),
                    secret: p.secret.clone(),
                    scope: scope("auth.proxy.scope", &p.scope)?,
                })
            }
            None => None,
        };
        Ok(AuthConfig {
            anonymous,
            proxy,
            rate_limit_per_minute: self.auth.rate_limit_per_minute,
            anonymous_rate_limit_per_minute: self.auth.anonymous_rate_limit_per_minute,
        })
    }

    /// The landing pages' policy: `[landing] public`, or by default public
    /// on a loopback listen address or behind the trusted proxy.
    pub fn landing_config(&self) -> printhub_gateway::LandingConfig {
        printhub_gateway::LandingConfig {
            public: self
                .landing
                .public
                .unwrap_or(self.listen.ip().is_loopback() || self.auth.proxy.is_some()),
        }
    }

    /// Label Printer Hub's webhooks (`[compat] webhook_key`): a key shorter
    /// than it allowed is refused, naming the field and never the key.
    pub fn legacy_webhooks(&self) -> anyhow::Result<printhub_gateway::LegacyWebhookConfig> {
        let key = self.compat.webhook_key.as_ref().map(|k| k.expose());
        printhub_gateway::LegacyWebhookConfig::with_key(key).map_err(|e| {
            anyhow::anyhow!(
                "compat.webhook_key (PRINTHUB_COMPAT_WEBHOOK_KEY, PRINTER_HUB_WEBHOOK_API_KEY): {e}"
            )
        })
    }

    /// Checks what serde cannot: printers and emulators name real models and media.
    pub fn validate(&self) -> anyhow::Result<()> {
        for (i, p) in self.printers.iter().enumerate() {
            let model = printhub_raster::Model::by_name(&p.model)
                .with_context(|| format!("printer[{i}].model: unknown model {:?}", p.model))?;
            if p.media.eq_ignore_ascii_case(printhub_actors::AUTO_MEDIA) {
                // Whether the printer reports its medium is the engine's check
                // (`media_not_reported`), made when the printer is registered.
            } else {
                let media = printhub_raster::Media::by_id(&p.media).with_context(|| {
                    format!(
                        "printer[{i}].media: unknown media {:?} (a media id or \"auto\")",
                        p.media
                    )
                })?;
                printhub_raster::geometry(model, media)
                    .with_context(|| format!("printer[{i}].media"))?;
            }
            match (&p.address, &p.device) {
                (Some(_), Some(_)) => bail!(
                    "printer[{i}]: `address` (network) and `device` (USB) exclude each other"
                ),
                (None, None) => bail!(
                    "printer[{i}]: either `address` (host[:port]) or `device` (/dev/usb/lp0) is needed"
                ),
                (None, Some(device)) => {
                    if !printhub_actors::device::is_device_path(device) {
                        bail!("printer[{i}].device: {device:?} is not an absolute path like /dev/usb/lp0");
                    }
                }
                // The syntax only: a name that does not resolve now is no reason not to start.
                (Some(address), None) => {
                    printhub_actors::Endpoint::parse(address, printhub_actors::address::RAW_PORT)
                        .with_context(|| format!("printer[{i}].address"))?;
                }
            }
            if let Some(snmp) = p.snmp.as_deref().filter(|s| !s.trim().is_empty()) {
                printhub_actors::Endpoint::parse(snmp, printhub_actors::address::SNMP_PORT)
                    .with_context(|| format!("printer[{i}].snmp"))?;
            }
        }
        for (i, e) in self.emulators.iter().enumerate() {
            e.validate().with_context(|| format!("emulator[{i}]"))?;
        }
        self.printing.validate()?;
        self.limits.validate()?;
        self.auth_config()?;
        let mut slugs: Vec<&str> = self.printers.iter().map(|p| p.slug.as_str()).collect();
        slugs.sort_unstable();
        if let Some(w) = slugs.windows(2).find(|w| w[0] == w[1]) {
            bail!("printer.slug: {:?} is used twice", w[0]);
        }
        self.lookups()?;
        self.webhooks()?;
        self.legacy_webhooks()?;
        self.mqtt_config()?;
        self.notify_targets()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_printer_hubs_variables_are_read_where_printhubs_are_not_set() {
        let vars = [
            ("PRINTER_HUB_SNIPEIT_URL", "https://snipe.example.com/"),
            ("PRINTER_HUB_SNIPEIT_API_KEY", "snipe-token"),
            ("PRINTER_HUB_SNIPEIT_TIMEOUT", "2.5"),
            ("PRINTER_HUB_GROCY_URL", ""),
            ("PRINTER_HUB_SPOOLMAN_URL", "http://old.example.com"),
            ("PRINTHUB_SPOOLMAN_BASE_URL", "http://new.example.com"),
            ("PRINTER_HUB_JOB_RETENTION_DAYS", "7"),
        ];
        let env = |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        let config = Config::demo(Path::new("var")).with_env(env).expect("env");
        assert_eq!(config.retention.max_age_days, Some(7));
        let snipe = config.integrations.snipeit.as_ref().expect("snipeit");
        assert_eq!(snipe.base_url, "https://snipe.example.com/");
        assert_eq!(snipe.timeout_ms, 2500);
        assert!(snipe.api_key.is_some());
        assert!(
            config.integrations.grocy.is_none(),
            "an empty old value is unset"
        );
        let spoolman = config.integrations.spoolman.as_ref().expect("spoolman");
        assert_eq!(
            spoolman.base_url, "http://new.example.com",
            "printhub's name wins"
        );
    }

    fn with_vars(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let env = |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        Config::demo(Path::new("var")).with_env(env)
    }

    #[test]
    fn dns_sd_is_off_unless_the_file_or_the_environment_turns_it_on() {
        let demo = Config::demo(Path::new("var"));
        assert_eq!(demo.ipp.as_ref().map(|i| i.dns_sd), Some(false));
        let config: Config = toml::from_str("[ipp]\nlisten = \"0.0.0.0:8631\"\n").expect("toml");
        assert_eq!(config.ipp.as_ref().map(|i| i.dns_sd), Some(false));
        let config: Config =
            toml::from_str("[ipp]\nlisten = \"0.0.0.0:8631\"\ndns_sd = true\n").expect("toml");
        assert_eq!(config.ipp.as_ref().map(|i| i.dns_sd), Some(true));
        // The environment turns it on and off; a new listen address keeps it.
        let on = with_vars(&[("PRINTHUB_IPP_DNS_SD", "true")]).expect("env");
        assert_eq!(on.ipp.as_ref().map(|i| i.dns_sd), Some(true));
        let moved = config
            .clone()
            .with_env(|k| (k == "PRINTHUB_IPP_LISTEN").then(|| "0.0.0.0:9631".into()))
            .expect("env");
        assert_eq!(moved.ipp.as_ref().map(|i| i.dns_sd), Some(true));
        let off = config
            .with_env(|k| (k == "PRINTHUB_IPP_DNS_SD").then(|| "off".into()))
            .expect("env");
        assert_eq!(off.ipp.as_ref().map(|i| i.dns_sd), Some(false));
    }

    #[test]
    fn a_printers_defaults_come_from_its_table_and_bad_ones_name_the_key() {
        let printer = "[[printer]]\nslug = \"pt\"\nmodel = \"PT-P750W\"\nmedia = \"auto\"\naddress = \"127.0.0.1:9100\"\n";
        let config: Config = toml::from_str(&format!(
            "{printer}defaults = {{ cut = \"end\", half_cut = true, queue_timeout_minutes = 60 }}\n"
        ))
        .expect("toml");
        assert_eq!(
            config.printers[0].defaults,
            Some(printhub_core::PrinterDefaults {
                cut: printhub_core::CutDefault::End,
                half_cut: true,
                queue_timeout_minutes: Some(60),
                ..printhub_core::PrinterDefaults::default()
            })
        );
        // Absent: the ones set through the API stay (`None`, not the defaults).
        let config: Config = toml::from_str(printer).expect("toml");
        assert_eq!(config.printers[0].defaults, None);
        for (bad, names) in [
            ("defaults = { cut = \"sideways\" }", "sideways"),
            ("defaults = { cutt = \"end\" }", "cutt"),
            ("defaults = { max_copies = \"many\" }", "max_copies"),
        ] {
            let err = toml::from_str::<Config>(&format!("{printer}{bad}\n")).expect_err(bad);
            assert!(err.to_string().contains(names), "{bad}: {err}");
        }
    }

    #[test]
    fn bad_dns_sd_settings_name_the_setting() {
        let err = format!(
            "{:#}",
            with_vars(&[("PRINTHUB_IPP_DNS_SD", "maybe")]).expect_err("bad")
        );
        assert!(
            err.contains("PRINTHUB_IPP_DNS_SD") && err.contains("maybe"),
            "{err}"
        );
        // On without a listener to announce.
        let mut config = Config::demo(Path::new("var"));
        config.ipp = None;
        let err = format!(
            "{:#}",
            config
                .clone()
                .with_env(|k| (k == "PRINTHUB_IPP_DNS_SD").then(|| "1".into()))
                .expect_err("no listener")
        );
        assert!(err.contains("no IPP listener"), "{err}");
        // Off without a listener is fine.
        let off = config
            .with_env(|k| (k == "PRINTHUB_IPP_DNS_SD").then(|| "0".into()))
            .expect("off");
        assert!(off.ipp.is_none());
        // Not a boolean in the file.
        let err = toml::from_str::<Config>("[ipp]\nlisten = \"0.0.0.0:8631\"\ndns_sd = \"yes\"\n")
            .expect_err("string");
        assert!(err.to_string().contains("dns_sd"), "{err}");
    }

    #[test]
    fn the_old_webhook_key_is_read_checked_and_never_shown() {
        let key = "Zq8vW3nT5yR1pL7kD2hF9sJ4xC6bM0aE";
        // Its old name, as its compose file sets it.
        let config = with_vars(&[("PRINTER_HUB_WEBHOOK_API_KEY", key)]).expect("env");
        let webhooks = config.legacy_webhooks().expect("a long key");
        assert!(webhooks.api_key.as_ref().is_some_and(|k| k.matches(key)));
        assert!(!format!("{config:?}").contains(key), "redacted in Debug");
        assert!(!format!("{webhooks:?}").contains(key), "redacted in Debug");
        // printhub's own name wins; its empty value turns the webhooks off.
        let config = with_vars(&[
            ("PRINTER_HUB_WEBHOOK_API_KEY", key),
            ("PRINTHUB_COMPAT_WEBHOOK_KEY", " "),
        ])
        .expect("env");
        assert!(config.legacy_webhooks().expect("off").api_key.is_none());
        // The file's key, and none at all (the webhooks answer 503).
        let config: Config =
            toml::from_str(&format!("[compat]\nwebhook_key = \"{key}\"\n")).expect("toml");
        assert!(config.legacy_webhooks().expect("file").api_key.is_some());
        let none = Config::demo(Path::new("var"));
        assert!(none.legacy_webhooks().expect("none").api_key.is_none());
        none.validate().expect("no key is valid");
        // A short key stops the start, naming the field and not the key.
        let short = "short-but-not-32-characters";
        let config = with_vars(&[("PRINTER_HUB_WEBHOOK_API_KEY", short)]).expect("env");
        let err = format!("{:#}", config.validate().expect_err("short"));
        assert!(err.contains("compat.webhook_key"), "{err}");
        assert!(err.contains("32"), "{err}");
        assert!(!err.contains(short), "{err}");
    }
}
