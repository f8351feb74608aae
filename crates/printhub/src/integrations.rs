//! `[integrations.grocy|snipeit|spoolman]` and `[[webhook]]` of the
//! configuration, their `PRINTHUB_*` overrides, and their validation into
//! what the gateway takes: [`printhub_lookup::Lookups`] and
//! [`printhub_gateway::WebhookConfig`], and the Spoolman watcher
//! ([`spawn_spool_watcher`]). API keys and tokens are [`Secret`]s: redacted
//! in `Debug`, never logged.
//!
//! ```toml
//! [integrations]
//! public_url = "https://labels.example.com"   # QR codes open printhub's landing pages
//!
//! [integrations.grocy]
//! base_url = "https://grocy.example.com"
//! api_key = "…"
//! timeout_ms = 5000
//! webhook_token = "<printhub keys secret>"     # POST /api/webhooks/grocy/<token>
//! # Browser origins allowed to call the webhook (Grocy's LABEL_PRINTER_RUN_SERVER = false);
//! # default: the origin of base_url. [] allows none.
//! webhook_origins = ["https://grocy.example.com"]
//! printer = "ql"
//! template = "product"
//! webhook_rate_limit_per_minute = 600         # default: [limits] webhook_rate_limit_per_minute
//!
//! [integrations.snipeit]
//! base_url = "https://snipe.example.com"
//! api_key = "…"
//!
//! [integrations.spoolman]
//! base_url = "http://spoolman.local:7912"
//! new_spool_printer = "pt"                      # a label for every spool added
//!
//! [[webhook]]
//! name = "freezer"
//! token = "<printhub keys secret>"             # POST /api/webhooks/<token>
//! printer = "pt"
//! template = "shelf"
//! rate_limit_per_minute = 60                   # default: [limits] webhook_rate_limit_per_minute
//! ```

use crate::env_vars::env_number;
use anyhow::{anyhow, bail, Context};
use printhub_gateway::{GenericWebhook, GrocyWebhook, WebhookConfig};
use printhub_lookup::{Lookups, LookupsConfig, Secret, SourceConfig};
use serde::Deserialize;
use std::time::Duration;

/// The shortest webhook token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// `[integrations]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationsEntry {
    /// Grocy (`PRINTHUB_GROCY_*`).
    pub grocy: Option<GrocyEntry>,
    /// Snipe-IT (`PRINTHUB_SNIPEIT_*`).
    pub snipeit: Option<SnipeitEntry>,
    /// Spoolman (`PRINTHUB_SPOOLMAN_*`).
    pub spoolman: Option<SpoolmanEntry>,
    /// printhub's public URL for QR landing pages (`PRINTHUB_PUBLIC_URL`).
    pub public_url: Option<String>,
    /// The largest upstream answer read, in bytes (default 1 MiB).
    pub max_body_bytes: Option<usize>,
}

/// `[integrations.grocy]`: lookups (with `base_url`) and/or the label-printer webhook
/// (with `webhook_token`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrocyEntry {
    /// Grocy's root URL; without it there are no Grocy lookups.
    pub base_url: Option<String>,
    /// A Grocy API key (`GROCY-API-KEY`).
    pub api_key: Option<Secret>,
    /// Per-lookup timeout.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The token of `POST /api/webhooks/grocy/{token}`; without it there is no webhook.
    pub webhook_token: Option<Secret>,
    /// Browser origins allowed to call the webhook cross-origin (Grocy's
    /// client-side mode); `None`: the origin of `base_url`, if set.
    pub webhook_origins: Option<Vec<String>>,
    /// The webhook's printer when Grocy's `LABEL_PRINTER_PARAMS` names none.
    pub printer: Option<String>,
    /// The webhook's template when the params name none (default `product`).
    pub template: Option<String>,
    /// Webhook calls a minute (absent: `[limits] webhook_rate_limit_per_minute`).
    #[serde(default)]
    pub webhook_rate_limit_per_minute: Option<u32>,
}

/// `[integrations.snipeit]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnipeitEntry {
    /// Snipe-IT's root URL.
    pub base_url: String,
    /// A personal access token (required).
    pub api_key: Option<Secret>,
    /// Per-lookup timeout.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

/// `[integrations.spoolman]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoolmanEntry {
    /// Spoolman's root URL.
    pub base_url: String,
    /// Per-lookup timeout (and WebSocket handshake timeout).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// When set, every spool added in Spoolman prints a label on this printer
    /// (Spoolman's change feed over its WebSocket).
    pub new_spool_printer: Option<String>,
    /// The template of those labels (default `filament_spool`).
    pub new_spool_template: Option<String>,
}

/// One `[[webhook]]`: `POST /api/webhooks/{token}` prints `template` on `printer`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEntry {
    /// A name, recorded on its jobs as `webhook:<name>`.
    pub name: String,
    /// The token in its URL.
    pub token: Secret,
    /// The printer (slug or id).
    pub printer: String,
    /// A built-in template.
    pub template: String,
    /// Calls a minute (absent: `[limits] webhook_rate_limit_per_minute`).
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
}

/// `text` as a browser origin (`scheme://host[:port]`, http or https, nothing after
/// the authority), serialised as browsers send it in `Origin`.
fn origin_of(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?}: an origin is http:// or https://"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{text:?}: an origin is scheme://host[:port] with no path"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{text:?}: an origin has no user or password"));
    }
    Ok(url.origin().ascii_serialization())
}

fn default_timeout_ms() -> u64 {
    printhub_lookup::DEFAULT_TIMEOUT.as_millis() as u64
}

impl IntegrationsEntry {
    /// Applies the `PRINTHUB_GROCY_*`, `PRINTHUB_SNIPEIT_*`, `PRINTHUB_SPOOLMAN_*`
    /// and `PRINTHUB_PUBLIC_URL` overrides (a section named by one is created).
    pub fn apply_env(&mut self, env: &impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        let ms = |name: &str| env_number::<u64>(env, name);
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(url) = var("PRINTHUB_PUBLIC_URL") {
            self.public_url = Some(url);
        }
        let grocy_vars = [
            "PRINTHUB_GROCY_BASE_URL",
            "PRINTHUB_GROCY_API_KEY",
            "PRINTHUB_GROCY_TIMEOUT_MS",
            "PRINTHUB_GROCY_WEBHOOK_TOKEN",
            "PRINTHUB_GROCY_WEBHOOK_ORIGINS",
            "PRINTHUB_GROCY_PRINTER",
            "PRINTHUB_GROCY_TEMPLATE",
        ];
        if grocy_vars.iter().any(|v| var(v).is_some()) {
            let g = self.grocy.get_or_insert_with(|| GrocyEntry {
                timeout_ms: default_timeout_ms(),
                ..GrocyEntry::default()
            });
            if let Some(v) = var("PRINTHUB_GROCY_BASE_URL") {
                g.base_url = Some(v);
            }
            if let Some(v) = var("PRINTHUB_GROCY_API_KEY") {
                g.api_key = Some(Secret::new(v));
            }
            if let Some(v) = ms("PRINTHUB_GROCY_TIMEOUT_MS")? {
                g.timeout_ms = v;
            }
            if let Some(v) = var("PRINTHUB_GROCY_WEBHOOK_TOKEN") {
                g.webhook_token = Some(Secret::new(v));
            }
            if let Some(v) = var("PRINTHUB_GROCY_WEBHOOK_ORIGINS") {
                g.webhook_origins = Some(
                    v.split(',')
                        .map(str::trim)
                        .filter(|o| !o.is_empty())
                        .map(String::from)
                        .collect(),
                );
            }
            if let Some(v) = var("PRINTHUB_GROCY_PRINTER") {
                g.printer = Some(v);
            }
            if let Some(v) = var("PRINTHUB_GROCY_TEMPLATE") {
                g.template = Some(v);
            }
        }
        let snipe_vars = [
            "PRINTHUB_SNIPEIT_BASE_URL",
            "PRINTHUB_SNIPEIT_API_KEY",
            "PRINTHUB_SNIPEIT_TIMEOUT_MS",
        ];
        if snipe_vars.iter().any(|v| var(v).is_some()) {
            let s = self.snipeit.get_or_insert_with(|| SnipeitEntry {
                timeout_ms: default_timeout_ms(),
                ..SnipeitEntry::default()
            });
            if let Some(v) = var("PRINTHUB_SNIPEIT_BASE_URL") {
                s.base_url = v;
            }
            if let Some(v) = var("PRINTHUB_SNIPEIT_API_KEY") {
                s.api_key = Some(Secret::new(v));
            }
            if let Some(v) = ms("PRINTHUB_SNIPEIT_TIMEOUT_MS")? {
                s.timeout_ms = v;
            }
        }
        let spool_vars = [
            "PRINTHUB_SPOOLMAN_BASE_URL",
            "PRINTHUB_SPOOLMAN_TIMEOUT_MS",
            "PRINTHUB_SPOOLMAN_NEW_SPOOL_PRINTER",
        ];
        if spool_vars.iter().any(|v| var(v).is_some()) {
            let s = self.spoolman.get_or_insert_with(|| SpoolmanEntry {
                timeout_ms: default_timeout_ms(),
                ..SpoolmanEntry::default()
            });
            if let Some(v) = var("PRINTHUB_SPOOLMAN_BASE_URL") {
                s.base_url = v;
            }
            if let Some(v) = ms("PRINTHUB_SPOOLMAN_TIMEOUT_MS")? {
                s.timeout_ms = v;
            }
            if let Some(v) = var("PRINTHUB_SPOOLMAN_NEW_SPOOL_PRINTER") {
                s.new_spool_printer = Some(v);
            }
        }
        Ok(())
    }

    /// What [`Lookups::new`] takes.
    pub fn lookups_config(&self) -> LookupsConfig {
        let timeout = Duration::from_millis;
        LookupsConfig {
            grocy: self.grocy.as_ref().and_then(|g| {
                g.base_url.as_ref().map(|url| SourceConfig {
                    base_url: url.clone(),
                    api_key: g.api_key.clone(),
                    timeout: timeout(g.timeout_ms),
                })
            }),
            snipeit: self.snipeit.as_ref().map(|s| SourceConfig {
                base_url: s.base_url.clone(),
                api_key: s.api_key.clone(),
                timeout: timeout(s.timeout_ms),
            }),
            spoolman: self.spoolman.as_ref().map(|s| SourceConfig {
                base_url: s.base_url.clone(),
                api_key: None,
                timeout: timeout(s.timeout_ms),
            }),
            public_url: self.public_url.clone(),
            max_body: self
                .max_body_bytes
                .unwrap_or(printhub_lookup::DEFAULT_MAX_BODY),
        }
    }
}

/// A token that is long enough and fits in a URL path segment unchanged.
fn check_token(token: &Secret, field: &str) -> anyhow::Result<()> {
    if token.len() < MIN_TOKEN_LEN {
        bail!(
            "{field}: a token needs at least {MIN_TOKEN_LEN} characters (it has {})",
            token.len()
        );
    }
    if !token
        .expose()
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    {
        bail!("{field}: use only letters, digits and - . _ ~ (it goes in a URL)");
    }
    crate::secret_check::check_secret(token.expose(), field)
}

fn check_template(name: &str, field: &str) -> anyhow::Result<()> {
    printhub_render::template::Template::builtin(name).map_err(|_| {
        let known: Vec<&str> = printhub_render::template::BUILTIN
            .iter()
            .map(|(n, _)| *n)
            .collect();
        anyhow!(
            "{field}: no built-in template {name:?} (known: {})",
            known.join(", ")
        )
    })?;
    Ok(())
}

impl IntegrationsEntry {
    /// The lookups `[integrations.*]` describes; errors name the field.
    pub fn lookups(&self) -> anyhow::Result<Lookups> {
        Lookups::new(&self.lookups_config()).map_err(|e| match e {
            printhub_lookup::LookupError::InvalidConfig { field, reason } => {
                anyhow!("integrations.{field}: {reason}")
            }
            other => anyhow!("integrations: {other}"),
        })
    }

    /// The webhooks `[integrations.grocy]` and the `[[webhook]]` entries
    /// `webhooks` describe; errors name the field.
    pub fn webhooks(&self, webhooks: &[WebhookEntry]) -> anyhow::Result<WebhookConfig> {
        let mut tokens: Vec<(&Secret, String)> = Vec::new();
        let grocy = match &self.grocy {
            Some(g) => {
                if let Some(t) = &g.template {
                    check_template(t, "integrations.grocy.template")?;
                    printhub_lookup::grocy::template_fits(t)
                        .map_err(|reason| anyhow!("integrations.grocy.template: {reason}"))?;
                }
                match &g.webhook_token {
                    Some(token) => {
                        check_token(token, "integrations.grocy.webhook_token")?;
                        tokens.push((token, "integrations.grocy.webhook_token".into()));
                        let allowed_origins = match &g.webhook_origins {
                            Some(list) => list
                                .iter()
                                .enumerate()
                                .map(|(i, o)| {
                                    origin_of(o).map_err(|reason| {
                                        anyhow!("integrations.grocy.webhook_origins[{i}]: {reason}")
                                    })
                                })
                                .collect::<anyhow::Result<Vec<_>>>()?,
                            // A bad base_url is reported by the lookups' own validation.
                            None => g
                                .base_url
                                .as_deref()
                                .and_then(|u| url::Url::parse(u).ok())
                                .map(|u| u.origin())
                                .filter(url::Origin::is_tuple)
                                .map(|o| o.ascii_serialization())
                                .into_iter()
                                .collect(),
                        };
                        Some(GrocyWebhook {
                            token: token.clone(),
                            printer: g.printer.clone(),
                            template: g.template.clone(),
                            allowed_origins,
                            rate_limit_per_minute: g.webhook_rate_limit_per_minute,
                        })
                    }
                    None => None,
                }
            }
            None => None,
        };
        if let Some(s) = &self.spoolman {
            if let Some(t) = &s.new_spool_template {
                check_template(t, "integrations.spoolman.new_spool_template")?;
            }
            if s.new_spool_printer
                .as_ref()
                .is_some_and(|p| p.trim().is_empty())
            {
                bail!("integrations.spoolman.new_spool_printer: must not be empty");
            }
        }
        let mut hooks = Vec::new();
        for (i, w) in webhooks.iter().enumerate() {
            let field = |name: &str| format!("webhook[{i}].{name}");
            if w.name.trim().is_empty() {
                bail!("{}: must not be empty", field("name"));
            }
            if webhooks[..i].iter().any(|o| o.name == w.name) {
                bail!("{}: {:?} is used twice", field("name"), w.name);
            }
            check_token(&w.token, &field("token"))?;
            if let Some((_, other)) = tokens.iter().find(|(t, _)| *t == &w.token) {
                bail!("{}: the same token as {other}", field("token"));
            }
            tokens.push((&w.token, field("token")));
            if w.printer.trim().is_empty() {
                bail!("{}: must not be empty", field("printer"));
            }
            check_template(&w.template, &field("template"))?;
            hooks.push(GenericWebhook {
                name: w.name.clone(),
                token: w.token.clone(),
                printer: w.printer.clone(),
                template: w.template.clone(),
                rate_limit_per_minute: w.rate_limit_per_minute,
            });
        }
        Ok(WebhookConfig { grocy, hooks })
    }
}

/// The file under `data_dir` where the Spoolman watcher remembers the last
/// spool it handled: `{"last_spool_id": 6}`.
pub const SPOOL_FEED_STATE: &str = "spoolman-feed.json";

/// The last spool id the watcher handled, from `path`; `None` when there is
/// no such file yet (a first start) or it cannot be read (logged).
fn read_last_spool(path: &std::path::Path) -> Option<u64> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            log::warn!("spoolman feed: cannot read {}: {e}", path.display());
            return None;
        }
    };
    let id = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("last_spool_id").and_then(serde_json::Value::as_u64));
    if id.is_none() {
        log::warn!(
            "spoolman feed: {} holds no last_spool_id; starting after Spoolman's newest spool",
            path.display()
        );
    }
    id
}

/// Writes the last spool id handled to `path` (a temporary file renamed over
/// it, so a crash leaves the old or the new value, never half of one).
fn write_last_spool(path: &std::path::Path, id: u64) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::json!({ "last_spool_id": id }).to_string())?;
    std::fs::rename(&tmp, path)
}

/// The Spoolman watcher: when `[integrations.spoolman] new_spool_printer` is
/// set, a task on the current actix system that prints a label for every
/// spool added in Spoolman (submitted by `watcher:spoolman`). The feed
/// reconnects by itself and, on every connection, catches up on the spools
/// added while it did not listen; the last spool handled is kept in
/// [`SPOOL_FEED_STATE`] under `data_dir`, so a restart resumes after it
/// (neither missing nor repeating one). Feed errors are logged as feed
/// errors, print failures with the spool's id.
pub fn spawn_spool_watcher(
    integrations: &IntegrationsEntry,
    data_dir: &std::path::Path,
    lookups: &Lookups,
    hub: &printhub_actors::HubHandle,
) -> anyhow::Result<bool> {
    let Some(spoolman) = &integrations.spoolman else {
        return Ok(false);
    };
    let Some(printer) = spoolman.new_spool_printer.clone() else {
        return Ok(false);
    };
    let template = spoolman
        .new_spool_template
        .clone()
        .unwrap_or_else(|| printhub_lookup::spoolman::TEMPLATE.to_string());
    let mut feed = lookups
        .spool_feed()
        .context("integrations.spoolman.new_spool_printer")?;
    let state = data_dir.join(SPOOL_FEED_STATE);
    let resumed = read_last_spool(&state);
    if let Some(id) = resumed {
        feed.resume_after(id);
    }
    let hub = hub.clone();
    log::info!(
        "printing a label for every new spool in Spoolman ({}) on {printer}{}",
        feed.url(),
        resumed.map_or(String::new(), |id| format!(", resuming after spool {id}"))
    );
    actix_web::rt::spawn(async move {
        loop {
            match feed.next().await {
                Ok(spool) => {
                    let label = printhub_gateway::lookup::print_label(
                        &hub,
                        &printer,
                        &template,
                        spool.data,
                        "watcher:spoolman",
                    )
                    .await;
                    match label {
                        Ok(job) => log::info!("new spool {}: job {}", spool.id, job.id),
                        Err(e) => log::warn!("new spool {}: not printed: {e}", spool.id),
                    }
                    if let Some(id) = feed.cursor() {
                        if let Err(e) = write_last_spool(&state, id) {
                            log::warn!("spoolman feed: cannot write {}: {e}", state.display());
                        }
                    }
                }
                Err(e) => log::warn!("{e}"),
            }
        }
    });
    Ok(true)
}
