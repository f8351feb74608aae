//! `printhub keys create|list|revoke`: API keys managed straight in the
//! database under the configured `data_dir`, for the first admin key on a
//! headless box or for scripts. A running `printhub serve` picks the change
//! up within seconds (it reloads its key ring). The new key is printed
//! once; nothing else ever shows a secret. It works on the gateway's
//! [`KeyRing`] alone, whose errors are not HTTP errors.

use crate::cli::{KeysArgs, KeysCommand};
use crate::config::Config;
use anyhow::{bail, Context};
use printhub_gateway::auth::{now, KeyInfo, KeyRefusal, KeyRing, NewKey};
use printhub_gateway::Scope;
use printhub_store::{Store, StoreConfig};
use std::io::Write;
use std::sync::Arc;

/// Runs one `keys` command.
pub fn keys(args: &KeysArgs, out: &mut impl Write) -> anyhow::Result<()> {
    if let KeysCommand::Secret = args.command {
        writeln!(out, "{}", crate::secret_check::new_secret()?)?;
        return Ok(());
    }
    let config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::demo(std::path::Path::new("var")),
    }
    .with_env(|k| std::env::var(k).ok())?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("data_dir: cannot create {}", config.data_dir.display()))?;
    let db = config.data_dir.join("printhub.db");
    let store = Arc::new(
        Store::open(&db, StoreConfig::default())
            .with_context(|| format!("cannot open the database {}", db.display()))?,
    );
    let ring = KeyRing::open(Arc::clone(&store)).context("cannot load the API keys")?;
    match &args.command {
        KeysCommand::Create {
            name,
            scope,
            printer,
            expires,
            rate_limit,
        } => {
            let scope = Scope::parse(scope)
                .with_context(|| format!("--scope: {scope:?} is not one of read, print, admin"))?;
            let printers = if printer.is_empty() {
                None
            } else {
                let known = store.load_printers()?.printers;
                let mut ids = Vec::new();
                for key in printer {
                    let found = known
                        .iter()
                        .find(|p| p.slug == *key || p.id.to_string() == *key)
                        .with_context(|| format!("--printer: no printer {key:?} is registered"))?;
                    ids.push(found.id);
                }
                Some(ids)
            };
            let expires_at = match expires {
                Some(text) => {
                    let at = printhub_gateway::dto::parse_rfc3339(text)
                        .with_context(|| format!("--expires: {text:?} is not an RFC 3339 time"))?;
                    Some(at)
                }
                None => None,
            };
            let new = NewKey {
                name: name.clone(),
                scope,
                printers,
                expires_at,
                rate_limit_per_minute: *rate_limit,
            }
            .checked()?;
            let (info, key) = ring.create_key(new, "cli")?;
            writeln!(
                out,
                "created key {} ({}, scope {})",
                info.record.id,
                info.record.name,
                scope.as_str()
            )?;
            writeln!(out, "it is shown this once:")?;
            writeln!(out, "{key}")?;
        }
        KeysCommand::List => {
            let keys = ring.list_keys();
            if keys.is_empty() {
                writeln!(out, "no API keys")?;
            }
            for k in keys {
                writeln!(out, "{}", line(&k))?;
            }
        }
        KeysCommand::Secret => {}
        KeysCommand::Revoke { id } => {
            if !ring.list_keys().iter().any(|k| k.record.id == *id) {
                bail!("no API key {id}");
            }
            let info = ring.revoke_key(id, "cli")?;
            writeln!(out, "revoked {}", line(&info))?;
        }
    }
    Ok(())
}

fn line(k: &KeyInfo) -> String {
    let r = &k.record;
    let state = KeyRefusal::of(r, now()).map_or("active", KeyRefusal::as_str);
    let printers = r
        .printers
        .as_ref()
        .map_or("all printers".to_string(), |p| p.join(","));
    format!(
        "{}  {:<6} {:<8} {:<24} {}",
        r.id,
        k.scope.as_str(),
        state,
        r.name,
        printers
    )
}
