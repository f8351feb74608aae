//! `printhub import label-printer-hub PATH.db [--dry-run]` (issue #19):
//! moves a Label Printer Hub v0.11 installation into printhub's database
//! under the configured `data_dir`, so its printers, API keys and history
//! come along. The old file is only read (`printhub_store::legacy`).
//!
//! - Printers keep their UUIDs and slugs; the address is the old
//!   `connection.host:port`, SNMP (when `discover` was on) its host on port
//!   161 with the old community. printhub needs the loaded media, which the
//!   old hub never stored: 12 mm TZe for PT models and 62 mm DK for QL
//!   models (change it with `PATCH /api/printers/{slug}`).
//! - API keys keep their ids (as 32 hex digits), names, the highest of
//!   their scopes, allow-lists, rate limits and expiry; a disabled key is
//!   imported revoked. Their bcrypt hashes are stored with their public
//!   prefix, so the `lh_pat_…` keys clients hold authenticate as before.
//! - Jobs become history: `done` → `completed`, `failed` → `failed`,
//!   `cancelled` → `cancelled`, `failed_restart` and `printing` →
//!   `interrupted` (nobody knows whether their label came out). The old hub
//!   stored no raster printhub can print, so a `queued` job is imported as
//!   `failed` with `error_code` `not_imported` rather than printed blind;
//!   print it again from its client. Imported jobs have no preview and
//!   cannot be retried.
//!
//! Idempotent: what exists already (by id) is left as it is and counted as
//! skipped, so a second run imports nothing. `--dry-run` prints the same
//! plan and writes nothing. Run it with the hub stopped.

use crate::cli::{ImportArgs, ImportSource};
use crate::config::Config;
use anyhow::{bail, Context};
use printhub_core::{Job, JobError, JobId, JobSpec, JobState, Name, PrinterId, Timestamp};
use printhub_gateway::auth::keys::LegacyHash;
use printhub_store::legacy::{LegacyDatabase, LegacyJob, LegacyKey, LegacyPrinter};
use printhub_store::{ApiKeyRecord, PrinterRecord, Store, StoreConfig};
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

/// Who the import is recorded as in the audit trails.
const ACTOR: &str = "import:label-printer-hub";

/// Runs `printhub import …`.
pub fn import(args: &ImportArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::demo(Path::new("var")),
    }
    .with_env(|k| std::env::var(k).ok())?;
    match &args.source {
        ImportSource::LabelPrinterHub { path, dry_run } => {
            let old = printhub_store::legacy::read_legacy(path)
                .with_context(|| format!("cannot import {}", path.display()))?;
            let db = config.data_dir.join("printhub.db");
            let store = if *dry_run && !db.exists() {
                // Nothing to compare with, and a dry run makes no file.
                Store::open_in_memory(StoreConfig::default())?
            } else {
                std::fs::create_dir_all(&config.data_dir).with_context(|| {
                    format!("data_dir: cannot create {}", config.data_dir.display())
                })?;
                Store::open(&db, StoreConfig::default())
                    .with_context(|| format!("cannot open the database {}", db.display()))?
            };
            let plan = plan(&old, &store)?;
            plan.report(out, *dry_run)?;
            if !*dry_run {
                plan.apply(&store)?;
            }
            store.close()?;
            Ok(())
        }
    }
}

/// What an import would do.
#[derive(Debug, Default)]
pub struct Plan {
    /// Printers to add.
    pub printers: Vec<PrinterRecord>,
    /// API keys to add.
    pub keys: Vec<ApiKeyRecord>,
    /// Jobs to add.
    pub jobs: Vec<Job>,
    /// What is left out, and why (one line each).
    pub skipped: Vec<String>,
}

impl Plan {
    fn report(&self, out: &mut impl Write, dry_run: bool) -> anyhow::Result<()> {
        let verb = if dry_run { "would import" } else { "importing" };
        for p in &self.printers {
            writeln!(
                out,
                "{verb} printer {} ({}, {} on {}, media {})",
                p.slug,
                p.id,
                p.model,
                p.address,
                p.media.as_deref().unwrap_or("?")
            )?;
        }
        for k in &self.keys {
            let state = if k.revoked_at.is_some() {
                " (revoked)"
            } else {
                ""
            };
            writeln!(
                out,
                "{verb} API key {:?} ({}, {}){state}",
                k.name, k.id, k.scope
            )?;
        }
        let mut by_state = std::collections::BTreeMap::new();
        for j in &self.jobs {
            *by_state.entry(j.state.as_str()).or_insert(0usize) += 1;
        }
        let states: Vec<String> = by_state.iter().map(|(s, n)| format!("{n} {s}")).collect();
        writeln!(
            out,
            "{verb} {} jobs{}",
            self.jobs.len(),
            if states.is_empty() {
                String::new()
            } else {
                format!(" ({})", states.join(", "))
            }
        )?;
        for s in &self.skipped {
            writeln!(out, "skipped {s}")?;
        }
        if dry_run {
            writeln!(out, "dry run: nothing was written")?;
        }
        Ok(())
    }

    fn apply(&self, store: &Store) -> anyhow::Result<()> {
        let now = now();
        for p in &self.printers {
            store
                .save_printer(p, ACTOR, now)
                .with_context(|| format!("printer {}", p.slug))?;
        }
        for k in &self.keys {
            let audit = printhub_store::AuditRecord {
                id: 0,
                at: now,
                actor: ACTOR.into(),
                action: "key.import".into(),
                target: k.id.clone(),
                detail: Some(serde_json::json!({ "name": k.name, "scope": k.scope })),
            };
            store
                .insert_api_key(k, &audit)
                .with_context(|| format!("API key {}", k.id))?;
        }
        for chunk in self.jobs.chunks(500) {
            store.commit(chunk.to_vec()).wait().context("jobs")?;
        }
        Ok(())
    }
}

/// What importing `old` into `store` would do.
pub fn plan(old: &LegacyDatabase, store: &Store) -> anyhow::Result<Plan> {
    let mut plan = Plan::default();
    let existing = store.load_printers()?.printers;
    let ids: HashSet<PrinterId> = existing.iter().map(|p| p.id).collect();
    let slugs: HashSet<&str> = existing.iter().map(|p| p.slug.as_str()).collect();
    // The old printers printhub knows (imported now or before), by id.
    let mut printers: Vec<(PrinterId, String, String)> = existing
        .iter()
        .map(|p| (p.id, p.model.clone(), p.media.clone().unwrap_or_default()))
        .collect();
    for p in &old.printers {
        match printer(p) {
            Ok(record) if ids.contains(&record.id) => {
                plan.skipped
                    .push(format!("printer {}: already imported", record.slug));
            }
            Ok(record) if slugs.contains(record.slug.as_str()) => {
                plan.skipped.push(format!(
                    "printer {}: another printer has that slug here",
                    record.slug
                ));
            }
            Ok(record) => {
                printers.push((
                    record.id,
                    record.model.clone(),
                    record.media.clone().unwrap_or_default(),
                ));
                plan.printers.push(record);
            }
            Err(why) => plan.skipped.push(format!("printer {:?}: {why:#}", p.slug)),
        }
    }
    let keys: HashSet<String> = store.load_api_keys()?.into_iter().map(|k| k.id).collect();
    for k in &old.keys {
        match key(k) {
            Ok(record) if keys.contains(&record.id) => plan
                .skipped
                .push(format!("API key {:?}: already imported", record.name)),
            Ok(record) => plan.keys.push(record),
            Err(why) => plan.skipped.push(format!("API key {:?}: {why:#}", k.name)),
        }
    }
    for j in &old.jobs {
        let imported = job(j, &printers);
        match imported {
            Ok(job) if store.load_job(job.id)?.is_some() => {
                let _ = job;
                plan.skipped.push(format!("job {}: already imported", j.id));
            }
            Ok(job) => plan.jobs.push(job),
            Err(why) => plan.skipped.push(format!("job {}: {why:#}", j.id)),
        }
    }
    // Already-imported jobs are many on a second run: one line for them.
    let again = plan
        .skipped
        .iter()
        .filter(|s| s.starts_with("job ") && s.ends_with("already imported"))
        .count();
    if again > 0 {
        plan.skipped
            .retain(|s| !(s.starts_with("job ") && s.ends_with("already imported")));
        plan.skipped.push(format!("{again} jobs: already imported"));
    }
    Ok(plan)
}

fn now() -> Timestamp {
    printhub_gateway::auth::now()
}

/// A time as the old hub stored it: naive UTC `YYYY-MM-DD HH:MM:SS[.ffffff]`
/// or ISO 8601 with an offset.
pub fn legacy_time(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let iso = text.replacen(' ', "T", 1);
    let has_offset = iso.ends_with('Z')
        || iso
            .rsplit_once('T')
            .is_some_and(|(_, time)| time.contains('+') || time.contains('-'));
    let iso = if has_offset { iso } else { format!("{iso}Z") };
    printhub_gateway::dto::parse_rfc3339(&iso)
}

/// The media printhub assumes an imported printer holds.
fn default_media(model: &'static printhub_raster::Model) -> Option<&'static str> {
    let preferred = match model.family {
        printhub_raster::Family::Ql | printhub_raster::Family::QlWide => "dk-62",
        _ => "tze-12",
    };
    let fits = |id: &str| {
        printhub_raster::Media::by_id(id)
            .is_some_and(|m| printhub_raster::geometry(model, m).is_ok())
    };
    if fits(preferred) {
        return printhub_raster::Media::by_id(preferred).map(|m| m.id);
    }
    printhub_raster::MEDIA
        .iter()
        .find(|m| printhub_raster::geometry(model, m).is_ok())
        .map(|m| m.id)
}

fn printer(p: &LegacyPrinter) -> anyhow::Result<PrinterRecord> {
    let id: PrinterId = p.id.parse().context("id is not a UUID")?;
    let model = printhub_raster::Model::by_name(&p.model)
        .with_context(|| format!("model {:?} is not one printhub drives", p.model))?;
    let media = default_media(model).context("no medium fits the model")?;
    let connection = p.connection.as_ref();
    let host = connection
        .and_then(|c| c["host"].as_str())
        .filter(|h| !h.trim().is_empty())
        .context("no connection.host (a mock or USB printer of the old hub)")?;
    let port = connection.and_then(|c| c["port"].as_u64()).unwrap_or(9100);
    let address = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    printhub_actors::Endpoint::parse(&address, printhub_actors::address::RAW_PORT)
        .with_context(|| format!("address {address:?}"))?;
    let snmp = connection.map(|c| &c["snmp"]);
    let discover = snmp.and_then(|s| s["discover"].as_bool()).unwrap_or(false);
    let name: String = p.name.chars().take(100).collect();
    let mut record = PrinterRecord::new(id, &p.slug, name, model.name, address);
    record.media = Some(media.to_string());
    record.enabled = p.enabled;
    record.snmp_community = snmp
        .and_then(|s| s["community"].as_str())
        .filter(|_| discover)
        .map(str::to_string);
    let snmp_address = discover.then(|| {
        if host.contains(':') {
            format!("[{host}]:161")
        } else {
            format!("{host}:161")
        }
    });
    record.defaults = serde_json::json!({ "snmp": snmp_address, "paused": false });
    Ok(record)
}

/// A key id as printhub keeps it: 32 lower-case hex digits.
fn key_id(raw: &str) -> anyhow::Result<String> {
    let id: String = raw
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_lowercase();
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("id {raw:?} is not a UUID");
    }
    Ok(id)
}

fn key(k: &LegacyKey) -> anyhow::Result<ApiKeyRecord> {
    let id = key_id(&k.id)?;
    if !k.key_hash.starts_with("$2") {
        bail!("its hash is not a bcrypt hash");
    }
    if !k
        .key_prefix
        .starts_with(printhub_gateway::auth::keys::LEGACY_KEY_PREFIX)
        || k.key_prefix.contains(':')
    {
        bail!(
            "prefix {:?} is not a Label Printer Hub key prefix",
            k.key_prefix
        );
    }
    let scopes: Vec<&str> = k
        .scopes
        .as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default();
    let scope = ["admin", "print", "read"]
        .into_iter()
        .find(|s| scopes.contains(s))
        .with_context(|| format!("no scope printhub knows in {scopes:?}"))?;
    let printers: Vec<String> = k
        .allowed_printer_ids
        .as_array()
        .map(|a| a.iter().filter_map(|p| p.as_str()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            p.parse::<PrinterId>()
                .map(|id| id.to_string())
                .with_context(|| format!("allowed printer {p:?} is not a UUID"))
        })
        .collect::<anyhow::Result<_>>()?;
    let created_at = k
        .created_at
        .as_deref()
        .and_then(legacy_time)
        .unwrap_or_else(now);
    let expires_at = match k.expires_at.as_deref() {
        Some(t) => Some(legacy_time(t).with_context(|| format!("expires_at {t:?}"))?),
        None => None,
    };
    Ok(ApiKeyRecord {
        id,
        name: k.name.clone(),
        hash: LegacyHash {
            prefix: k.key_prefix.clone(),
            bcrypt: k.key_hash.clone(),
        }
        .encode(),
        scope: scope.into(),
        printers: (!printers.is_empty()).then_some(printers),
        created_at,
        expires_at,
        revoked_at: (!k.enabled).then(now),
        last_used_at: None,
        rate_limit_per_minute: k.rate_limit_per_minute.and_then(|r| u32::try_from(r).ok()),
    })
}

fn job(j: &LegacyJob, printers: &[(PrinterId, String, String)]) -> anyhow::Result<Job> {
    let id: JobId = j.id.parse().context("id is not a UUID")?;
    let printer_id: PrinterId = j.printer_id.parse().context("printer_id is not a UUID")?;
    let (_, model, media) = printers
        .iter()
        .find(|(p, ..)| *p == printer_id)
        .context("its printer was not imported")?;
    let created_at = j
        .created_at
        .as_deref()
        .and_then(legacy_time)
        .context("no created_at")?;
    let started_at = j.started_at.as_deref().and_then(legacy_time);
    let finished_at = j.finished_at.as_deref().and_then(legacy_time);
    let (state, error) = match j.state.as_str() {
        "done" => (JobState::Completed, None),
        "failed" => (
            JobState::Failed,
            Some(("failed", j.error.clone().unwrap_or_else(|| "failed".into()))),
        ),
        "cancelled" => (JobState::Cancelled, None),
        "failed_restart" | "printing" => (
            JobState::Interrupted,
            Some((
                "interrupted",
                "Label Printer Hub stopped while the job printed; whether it came out is unknown"
                    .to_string(),
            )),
        ),
        "queued" => (
            JobState::Failed,
            Some((
                "not_imported",
                "queued in Label Printer Hub, which stored nothing printhub can print; print it again"
                    .to_string(),
            )),
        ),
        other => bail!("unknown state {other:?}"),
    };
    let mut spec = JobSpec::new(printer_id, model.as_str(), media.as_str(), Vec::new());
    spec.content_type = j
        .payload
        .as_ref()
        .and_then(|p| p["content_type"].as_str())
        .map(Name::from);
    spec.template = j.template_key.as_deref().map(Name::from);
    spec.submitted_by = Some(ACTOR.into());
    let mut job = Job::new(id, spec, created_at);
    job.state = state;
    job.started_at = started_at;
    job.finished_at = finished_at.or(Some(created_at));
    job.state_changed_at = finished_at.unwrap_or(created_at);
    job.copies_printed = u32::from(state == JobState::Completed);
    job.error = error.map(|(code, message)| {
        Box::new(JobError {
            code: code.to_string(),
            message,
            detail: None,
        })
    });
    Ok(job)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_old_hubs_times_parse() {
        let a = legacy_time("2026-06-01 12:30:45.123456").expect("naive");
        let b = legacy_time("2026-06-01T12:30:45.123+00:00").expect("iso");
        assert_eq!(a, b);
        assert_eq!(
            legacy_time("2026-06-01 12:30:45"),
            legacy_time("2026-06-01T12:30:45Z")
        );
        assert!(legacy_time("yesterday").is_none());
    }

    #[test]
    fn key_ids_become_32_hex_digits() {
        assert_eq!(
            key_id("0B6F3E8C-1234-4A5B-9C8D-0123456789AB").expect("id"),
            "0b6f3e8c12344a5b9c8d0123456789ab"
        );
        assert!(key_id("nope").is_err());
    }
}
