//! `printhub serve` configuration: a TOML file (`--config`) with `PRINTHUB_*`
//! environment overrides, validated into what [`crate::serve::build`]
//! assembles. Without a file, [`Config::demo`] is the `make run` setup: two
//! emulated printers on loopback and the API on 127.0.0.1:8080.

pub use crate::integrations::{
    GrocyEntry, IntegrationsEntry, SnipeitEntry, SpoolmanEntry, WebhookEntry,
};
use anyhow::{bail, Context};
use printhub_emulator::{EmulatorConfig, Speed};
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
    /// Grocy, Snipe-IT and Spoolman (`[integrations.*]`).
    #[serde(default)]
    pub integrations: IntegrationsEntry,
    /// Generic webhooks (`[[webhook]]`).
    #[serde(default, rename = "webhook")]
    pub webhooks: Vec<WebhookEntry>,
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
    /// Loaded media id.
    pub media: String,
    /// `host[:port]` of raw TCP (9100).
    pub address: String,
    /// `host[:port]` of SNMP (161).
    pub snmp: Option<String>,
    /// SNMP community.
    pub snmp_community: Option<String>,
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
    /// The `make run` configuration: a PT-P750W with 12 mm tape and a QL-820NWB
    /// with 62 mm DK, emulated on loopback, registered as `pt` and `ql`.
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
                    media: "tze-12".into(),
                    address: "127.0.0.1:9100".into(),
                    snmp: Some("127.0.0.1:1161".into()),
                    snmp_community: None,
                },
                PrinterEntry {
                    slug: "ql".into(),
                    name: Some("QL-820NWB (emulated)".into()),
                    model: "QL-820NWB".into(),
                    media: "dk-62".into(),
                    address: "127.0.0.1:9101".into(),
                    snmp: Some("127.0.0.1:1162".into()),
                    snmp_community: None,
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
            integrations: IntegrationsEntry::default(),
            webhooks: Vec::new(),
        }
    }

    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("{} is not a valid configuration", path.display()))
    }

    /// Applies `PRINTHUB_LISTEN` and `PRINTHUB_DATA_DIR` from `env`.
    pub fn with_env(mut self, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        if let Some(listen) = env("PRINTHUB_LISTEN") {
            self.listen = listen.parse().with_context(|| {
                format!("PRINTHUB_LISTEN: {listen:?} is not an address like 127.0.0.1:8080")
            })?;
        }
        if let Some(dir) = env("PRINTHUB_DATA_DIR") {
            self.data_dir = PathBuf::from(dir);
        }
        self.integrations.apply_env(&env)?;
        Ok(self)
    }

    /// Checks what serde cannot: printers and emulators name real models and media.
    pub fn validate(&self) -> anyhow::Result<()> {
        for (i, p) in self.printers.iter().enumerate() {
            let model = printhub_raster::Model::by_name(&p.model)
                .with_context(|| format!("printer[{i}].model: unknown model {:?}", p.model))?;
            let media = printhub_raster::Media::by_id(&p.media)
                .with_context(|| format!("printer[{i}].media: unknown media {:?}", p.media))?;
            printhub_raster::geometry(model, media)
                .with_context(|| format!("printer[{i}].media"))?;
        }
        for (i, e) in self.emulators.iter().enumerate() {
            e.validate().with_context(|| format!("emulator[{i}]"))?;
        }
        let mut slugs: Vec<&str> = self.printers.iter().map(|p| p.slug.as_str()).collect();
        slugs.sort_unstable();
        if let Some(w) = slugs.windows(2).find(|w| w[0] == w[1]) {
            bail!("printer.slug: {:?} is used twice", w[0]);
        }
        self.lookups()?;
        self.webhooks()?;
        Ok(())
    }
}
