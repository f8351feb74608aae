//! # printhub-lookup
//!
//! Items from the apps that already hold them — Grocy (products, batteries,
//! chores, recipes), Snipe-IT (assets) and Spoolman (filament spools) — mapped
//! into [`printhub_render::LabelData`] plus the built-in template that prints
//! them. [`Lookups`] is the facade: built once from [`LookupsConfig`], asked
//! with an app and an identifier exactly as a person typed or scanned it.
//!
//! ```text
//!  Lookups::lookup(app, "grcy:p:12:6630…") ─► grocy::lookup ──┐
//!                  (app, "A-0042")         ─► snipeit::lookup ─┼─► http::Fetcher::get ─► upstream
//!                  (app, "web+spoolman:s-3")► spoolman::lookup ┘     (one pooled client,
//!        ◄── Found { title, data: LabelData, template, url }          deadline, body cap)
//! ```
//!
//! Code map: [`grocy`], [`snipeit`], [`spoolman`] (one module per app:
//! identifier parsing, the API as it really answers, the mapping; Spoolman's
//! WebSocket change feed, [`Lookups::spool_feed`]), `http`
//! (the pooled client, deadline, body cap, key headers), `value` (numbers as
//! strings, HTML entities, dates), [`Secret`] (redacted, constant-time
//! compare), [`LookupError`] (stable codes).
//!
//! **Architecture Invariant:** no actix here. The HTTP client is `reqwest`
//! (rustls on ring) and runs on whichever tokio runtime calls it, the
//! gateway's included. **Architecture Invariant:** a lookup never takes
//! longer than its source's timeout, never reads more than
//! [`LookupsConfig::max_body`] bytes, and never panics on what an upstream
//! sends: every failure is a [`LookupError`] with a reason. **Architecture
//! Invariant:** secrets never appear in `Debug` output, errors or logs.
#![forbid(unsafe_code)]

mod error;
pub mod grocy;
mod http;
mod secret;
pub mod snipeit;
pub mod spoolman;
mod value;

pub use error::{LookupCode, LookupError};
pub use secret::Secret;

use printhub_render::LabelData;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The apps printhub looks items up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum App {
    /// Grocy (groceries and household).
    Grocy,
    /// Snipe-IT (IT assets).
    Snipeit,
    /// Spoolman (3D-printer filament spools).
    Spoolman,
}

impl App {
    /// Every app, in a stable order.
    pub const ALL: [App; 3] = [App::Grocy, App::Snipeit, App::Spoolman];

    /// The name used in paths and configuration (`grocy`, `snipeit`, `spoolman`).
    pub const fn as_str(self) -> &'static str {
        match self {
            App::Grocy => "grocy",
            App::Snipeit => "snipeit",
            App::Spoolman => "spoolman",
        }
    }

    /// Parses [`App::as_str`].
    pub fn from_name(name: &str) -> Option<App> {
        App::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl std::fmt::Display for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            App::Grocy => "Grocy",
            App::Snipeit => "Snipe-IT",
            App::Spoolman => "Spoolman",
        })
    }
}

/// An item found, ready to print.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Found {
    /// The app it came from.
    pub app: App,
    /// An identifier that looks the same item up again (grocycode, asset tag, spool id).
    pub id: String,
    /// What a person calls it.
    pub title: String,
    /// The label data.
    pub data: LabelData,
    /// The built-in template that prints it (`product`, `asset_tag`, `filament_spool`).
    pub template: &'static str,
    /// The item's page in the app.
    pub url: Option<String>,
}

/// How to reach one app.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// The app's root URL (`https://grocy.example.com/`); the API paths are appended.
    pub base_url: String,
    /// The API key (Grocy: `GROCY-API-KEY`; Snipe-IT: a personal access token; Spoolman: none).
    pub api_key: Option<Secret>,
    /// The most one lookup may take, connect to last byte.
    pub timeout: Duration,
}

impl SourceConfig {
    /// `base_url` with the default timeout and no key.
    pub fn new(base_url: impl Into<String>) -> Self {
        SourceConfig {
            base_url: base_url.into(),
            api_key: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same with `key`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(key));
        self
    }

    /// The same with `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// The default per-lookup timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The default cap on an upstream answer.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// Which apps are configured, and how.
#[derive(Debug, Clone)]
pub struct LookupsConfig {
    /// Grocy.
    pub grocy: Option<SourceConfig>,
    /// Snipe-IT.
    pub snipeit: Option<SourceConfig>,
    /// Spoolman.
    pub spoolman: Option<SourceConfig>,
    /// printhub's own public URL: when set, asset and spool QR codes open its
    /// landing pages (`/asset/{tag}`, `/spool/{id}`) instead of the asset's
    /// Snipe-IT page and Spoolman's `WEB+SPOOLMAN:S-<id>`.
    pub public_url: Option<String>,
    /// The largest upstream answer read, in bytes (larger: `failed`).
    pub max_body: usize,
}

impl Default for LookupsConfig {
    fn default() -> Self {
        LookupsConfig {
            grocy: None,
            snipeit: None,
            spoolman: None,
            public_url: None,
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

/// The lookup facade: one pooled HTTP client and the configured apps.
#[derive(Debug, Clone)]
pub struct Lookups {
    fetcher: http::Fetcher,
    grocy: Option<http::Source>,
    snipeit: Option<http::Source>,
    spoolman: Option<http::Source>,
    public: Option<reqwest::Url>,
}

impl Lookups {
    /// Checks `config` (URLs, required keys, timeouts) and builds the client.
    /// Errors are `invalid_config` naming the field (`grocy.base_url`).
    pub fn new(config: &LookupsConfig) -> Result<Lookups, LookupError> {
        let source = |app: App, c: &Option<SourceConfig>, auth: http::Auth, key_required: bool| {
            let Some(c) = c else { return Ok(None) };
            let field = |name: &str| format!("{}.{name}", app.as_str());
            if c.timeout.is_zero() || c.timeout > Duration::from_secs(120) {
                return Err(LookupError::InvalidConfig {
                    field: field("timeout_ms"),
                    reason: format!("must be 1..=120000, got {}", c.timeout.as_millis()),
                });
            }
            let key = c.api_key.clone().filter(|k| !k.is_empty());
            if key_required && key.is_none() {
                return Err(LookupError::InvalidConfig {
                    field: field("api_key"),
                    reason: format!("{app} needs an API key"),
                });
            }
            Ok(Some(http::Source {
                app,
                base: http::base_url(&c.base_url, &field("base_url"))?,
                key,
                auth,
                timeout: c.timeout,
            }))
        };
        let public = config
            .public_url
            .as_deref()
            .map(|url| http::base_url(url, "public_url"))
            .transpose()?;
        if config.max_body < 1024 {
            return Err(LookupError::InvalidConfig {
                field: "max_body".into(),
                reason: format!("must be at least 1024 bytes, got {}", config.max_body),
            });
        }
        Ok(Lookups {
            fetcher: http::Fetcher::new(config.max_body)?,
            grocy: source(
                App::Grocy,
                &config.grocy,
                http::Auth::Header("GROCY-API-KEY"),
                false,
            )?,
            snipeit: source(App::Snipeit, &config.snipeit, http::Auth::Bearer, true)?,
            spoolman: source(App::Spoolman, &config.spoolman, http::Auth::Bearer, false)?,
            public,
        })
    }

    /// Spoolman's change feed (new spools as they are added), if Spoolman is configured.
    pub fn spool_feed(&self) -> Result<spoolman::SpoolFeed, LookupError> {
        let source = self
            .spoolman
            .clone()
            .ok_or(LookupError::NotConfigured { app: App::Spoolman })?;
        Ok(spoolman::SpoolFeed::new(
            self.fetcher.clone(),
            source,
            self.public.clone(),
            self.fetcher.max_body(),
        ))
    }

    /// Whether `app` is configured.
    pub fn is_configured(&self, app: App) -> bool {
        self.source(app).is_some()
    }

    fn source(&self, app: App) -> Option<&http::Source> {
        match app {
            App::Grocy => self.grocy.as_ref(),
            App::Snipeit => self.snipeit.as_ref(),
            App::Spoolman => self.spoolman.as_ref(),
        }
    }

    /// Looks `id` up in `app`. `id` is what a person typed or scanned: an id, an
    /// asset tag, a barcode, a grocycode, a Spoolman QR payload, an app URL.
    pub async fn lookup(&self, app: App, id: &str) -> Result<Found, LookupError> {
        let source = self.source(app).ok_or(LookupError::NotConfigured { app })?;
        let id = id.trim();
        if id.is_empty() {
            return Err(LookupError::not_found(app, id, "the identifier is empty"));
        }
        let ctx = Ctx {
            fetcher: &self.fetcher,
            source,
            public: self.public.as_ref(),
        };
        let found = match app {
            App::Grocy => grocy::lookup(&ctx, id).await,
            App::Snipeit => snipeit::lookup(&ctx, id).await,
            App::Spoolman => spoolman::lookup(&ctx, id).await,
        };
        if let Err(e) = &found {
            log::debug!("lookup {app} {id:?}: {e}");
        }
        found
    }
}

/// What a source module needs for one lookup.
pub(crate) struct Ctx<'a> {
    pub fetcher: &'a http::Fetcher,
    pub source: &'a http::Source,
    /// printhub's public URL, when configured.
    pub public: Option<&'a reqwest::Url>,
}

impl Ctx<'_> {
    /// The QR payload for an item: printhub's landing page `{public_url}/{kind}/{id}`
    /// when a public URL is configured, else the item's page in its app.
    pub fn qr_target(&self, kind: &str, id: &str, app_page: &str) -> String {
        match self.public {
            Some(base) => {
                let mut url = base.clone();
                if let Ok(mut path) = url.path_segments_mut() {
                    path.pop_if_empty().extend([kind, id]);
                }
                url.to_string()
            }
            None => app_page.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_name_the_field() {
        let check = |config: LookupsConfig, field: &str| {
            let err = Lookups::new(&config).expect_err(field);
            assert_eq!(err.code(), "invalid_config");
            assert!(err.to_string().starts_with(&format!("{field}: ")), "{err}");
        };
        check(
            LookupsConfig {
                snipeit: Some(SourceConfig::new("https://snipe.example")),
                ..Default::default()
            },
            "snipeit.api_key",
        );
        check(
            LookupsConfig {
                grocy: Some(SourceConfig::new("grocy.local")),
                ..Default::default()
            },
            "grocy.base_url",
        );
        check(
            LookupsConfig {
                spoolman: Some(SourceConfig::new("http://s/").timeout(Duration::ZERO)),
                ..Default::default()
            },
            "spoolman.timeout_ms",
        );
        check(
            LookupsConfig {
                public_url: Some("nope".into()),
                ..Default::default()
            },
            "public_url",
        );
    }

    #[test]
    fn keys_never_show_in_debug_output() {
        let config = LookupsConfig {
            grocy: Some(SourceConfig::new("http://g/").api_key("grocy-secret-key")),
            snipeit: Some(SourceConfig::new("http://s/").api_key("snipe-secret-key")),
            ..Default::default()
        };
        let lookups = Lookups::new(&config).expect("valid");
        for text in [format!("{config:?}"), format!("{lookups:?}")] {
            assert!(!text.contains("secret-key"), "{text}");
        }
        assert!(lookups.is_configured(App::Grocy));
        assert!(!lookups.is_configured(App::Spoolman));
    }

    #[test]
    fn app_names_round_trip() {
        for app in App::ALL {
            assert_eq!(App::from_name(app.as_str()), Some(app));
        }
        assert_eq!(App::from_name("homebox"), None);
        assert_eq!(App::Snipeit.to_string(), "Snipe-IT");
    }
}
