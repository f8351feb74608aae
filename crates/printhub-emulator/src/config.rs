//! Configuration: the "low" [`EmulatorConfig`] that mirrors a config file,
//! and its validation into the model and medium tables of printhub-raster.
//!
//! A config file can hold several emulators (a list of these structs); each
//! is validated on its own by [`EmulatorConfig::validate`], which
//! [`Emulator::start`](crate::Emulator::start) calls first. Validation is
//! pure: no sockets are opened here.

use printhub_raster::{geometry, Media, MediaError, Model};
use serde::Deserialize;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use thiserror::Error;

/// How long printing a page takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speed {
    /// Pages print at once (tests).
    #[default]
    Instant,
    /// Each page takes its length divided by the model's nominal speed
    /// (`Model::speed_mm_s`) before "printing completed" is sent.
    Real,
    /// Real print time divided by this factor (`{"faster": 10}` in a config
    /// file): real-speed behaviour in less wall time, for benchmarks. Any
    /// fixed overhead of a client weighs that many times more than at real
    /// speed, so a utilisation measured this way is a lower bound.
    Faster(u16),
}

/// One emulated printer, as a config file spells it.
///
/// ```
/// use printhub_emulator::EmulatorConfig;
///
/// let config: EmulatorConfig = serde_json::from_str(
///     r#"{ "model": "PT-P750W", "media": "tze-12", "snmp_addr": "127.0.0.1:0" }"#,
/// ).unwrap();
/// assert_eq!(config.tcp_addr.port(), 0);
/// assert_eq!(config.community, "public");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmulatorConfig {
    /// Brother model name (`PT-P750W`, `QL-820NWB`), as `Model::by_name` accepts it.
    pub model: String,
    /// Id of the medium loaded at start (`tze-12`, `dk-62`), as `Media::by_id` accepts it.
    pub media: String,
    /// Address of the raw TCP (port 9100) listener; port 0 picks a free port.
    #[serde(default = "default_tcp_addr")]
    pub tcp_addr: SocketAddr,
    /// Address of the SNMP v2c agent (UDP); `None` runs no agent.
    #[serde(default)]
    pub snmp_addr: Option<SocketAddr>,
    /// SNMP community; requests with another community get no reply.
    #[serde(default = "default_community")]
    pub community: String,
    /// Whether the SNMP agent serves Brother's status-block object
    /// (1.3.6.1.4.1.2435.3.3.9.1.6.1.0). `false` models an agent with only
    /// the standard printer MIB: that object is `noSuchObject` and walks skip it.
    #[serde(default = "default_true")]
    pub snmp_brother_status: bool,
    /// Folder that receives `<time>-<job>-<page>.png` and `.json` for every printed page.
    #[serde(default)]
    pub out_dir: Option<PathBuf>,
    /// How many of the last printed pages are kept in memory (what
    /// [`EmulatorHandle::pages`](crate::EmulatorHandle::pages) returns); older
    /// ones are only in `out_dir`, so a long run's memory stays bounded. 100
    /// unless set.
    #[serde(default = "default_keep_pages")]
    pub keep_pages: usize,
    /// Print speed.
    #[serde(default)]
    pub speed: Speed,
    /// Also be a USB printer: a raw-mode pseudo-terminal whose slave this
    /// path is made a symlink to, opened by the hub like `/dev/usb/lp0`.
    #[serde(default)]
    pub device_link: Option<PathBuf>,
}

fn default_tcp_addr() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Pages kept in memory unless the config says otherwise.
pub const DEFAULT_KEEP_PAGES: usize = 100;

fn default_keep_pages() -> usize {
    DEFAULT_KEEP_PAGES
}

fn default_true() -> bool {
    true
}

fn default_community() -> String {
    "public".to_string()
}

impl EmulatorConfig {
    /// A config for `model` with `media` loaded, listening on a free loopback
    /// TCP port, without SNMP, printing instantly, recording in memory only.
    pub fn new(model: &str, media: &str) -> Self {
        EmulatorConfig {
            model: model.to_string(),
            media: media.to_string(),
            tcp_addr: default_tcp_addr(),
            snmp_addr: None,
            community: default_community(),
            snmp_brother_status: true,
            out_dir: None,
            keep_pages: DEFAULT_KEEP_PAGES,
            speed: Speed::Instant,
            device_link: None,
        }
    }

    /// Also serves a USB pseudo-device linked at `path` (see [`EmulatorConfig::device_link`]).
    pub fn device_link(mut self, path: impl Into<PathBuf>) -> Self {
        self.device_link = Some(path.into());
        self
    }

    /// Sets the TCP listen address.
    pub fn tcp_addr(mut self, addr: SocketAddr) -> Self {
        self.tcp_addr = addr;
        self
    }

    /// Runs the SNMP agent on `addr` (port 0 picks a free port).
    pub fn snmp_addr(mut self, addr: SocketAddr) -> Self {
        self.snmp_addr = Some(addr);
        self
    }

    /// Runs the SNMP agent on a free loopback UDP port.
    pub fn with_snmp(self) -> Self {
        self.snmp_addr(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    }

    /// Sets the SNMP community.
    pub fn community(mut self, community: &str) -> Self {
        self.community = community.to_string();
        self
    }

    /// Serves only the standard printer MIB over SNMP, without Brother's status-block object.
    pub fn without_brother_status(mut self) -> Self {
        self.snmp_brother_status = false;
        self
    }

    /// Writes every printed page to `dir` as PNG and JSON.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Keeps the last `n` printed pages in memory (see [`EmulatorConfig::keep_pages`]).
    pub fn keep_pages(mut self, n: usize) -> Self {
        self.keep_pages = n;
        self
    }

    /// Sets the print speed.
    pub fn speed(mut self, speed: Speed) -> Self {
        self.speed = speed;
        self
    }

    /// Resolves the model and medium and checks that the model takes the medium.
    pub fn validate(&self) -> Result<(&'static Model, &'static Media), ConfigError> {
        let model = Model::by_name(&self.model)
            .ok_or_else(|| ConfigError::UnknownModel(self.model.clone()))?;
        let media = resolve_media(model, &self.media)?;
        Ok((model, media))
    }
}

/// Finds `id` in the media table and checks that `model` takes it.
pub(crate) fn resolve_media(
    model: &'static Model,
    id: &str,
) -> Result<&'static Media, ConfigError> {
    let media = Media::by_id(id).ok_or_else(|| ConfigError::UnknownMedia(id.to_string()))?;
    geometry(model, media)?;
    Ok(media)
}

/// Why a config (or a runtime media change) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No model of that name.
    #[error("unknown printer model {0:?}")]
    UnknownModel(String),
    /// No medium with that id.
    #[error("unknown media id {0:?}")]
    UnknownMedia(String),
    /// The model cannot take the medium.
    #[error(transparent)]
    Media(#[from] MediaError),
}

impl ConfigError {
    /// Stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            ConfigError::UnknownModel(_) => "unknown_model",
            ConfigError::UnknownMedia(_) => "unknown_media",
            ConfigError::Media(e) => e.code(),
        }
    }
}

impl From<ConfigError> for std::io::Error {
    fn from(error: ConfigError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_what_is_wrong() {
        let ok = EmulatorConfig::new("pt-p750w", "tze-12").validate();
        assert_eq!(ok.map(|(m, d)| (m.name, d.id)), Ok(("PT-P750W", "tze-12")));
        let err = |model: &str, media: &str| {
            EmulatorConfig::new(model, media)
                .validate()
                .map(|_| ())
                .map_err(|e| e.code())
        };
        assert_eq!(err("PT-X1", "tze-12"), Err("unknown_model"));
        assert_eq!(err("PT-P750W", "tze-99"), Err("unknown_media"));
        assert_eq!(err("PT-P750W", "tze-36"), Err("unsupported_media"));
        assert_eq!(err("QL-820NWB", "dk-102"), Err("unsupported_media"));
    }

    #[test]
    fn a_config_file_can_list_several_printers() {
        let json = r#"[
            { "model": "PT-P750W", "media": "tze-12", "tcp_addr": "127.0.0.1:9100",
              "snmp_addr": "127.0.0.1:1161", "community": "private", "speed": "real" },
            { "model": "QL-820NWB", "media": "dk-62", "out_dir": "labels" }
        ]"#;
        let configs: Vec<EmulatorConfig> = serde_json::from_str(json).expect("valid config");
        assert_eq!(configs[0].speed, Speed::Real);
        let faster: EmulatorConfig = serde_json::from_str(
            r#"{ "model": "QL-820NWB", "media": "dk-62", "speed": { "faster": 10 } }"#,
        )
        .expect("valid config");
        assert_eq!(faster.speed, Speed::Faster(10));
        assert_eq!(configs[0].community, "private");
        assert_eq!(configs[1].tcp_addr, default_tcp_addr());
        assert_eq!(configs[1].snmp_addr, None);
        assert!(configs[1].snmp_brother_status, "served unless turned off");
        assert_eq!(configs[1].out_dir, Some(PathBuf::from("labels")));
        assert!(serde_json::from_str::<EmulatorConfig>(
            r#"{ "model": "x", "media": "y", "colour": 1 }"#
        )
        .is_err());
    }
}
