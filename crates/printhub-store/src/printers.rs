//! Printers registered through the API, their audit trail, and the last
//! known status of each printer.
//!
//! Every create, update and delete of a printer writes one `printer_audit`
//! row in the same transaction: who (`actor`), when, and the printer before
//! and after as JSON. Secrets never reach the audit: the SNMP community is
//! written as `"<redacted>"` when set, and so is any key of the `defaults`
//! object whose name contains `password`, `secret`, `token` or `community`
//! (at any depth). A save that changes nothing writes nothing.
//!
//! Status rows (`printer_status`) are the last status JSON the engine saw
//! for a printer, so `GET .../status` has an answer right after a restart.
//! Neither table is referenced by jobs; deleting a printer keeps its jobs and
//! its audit rows.
//!
//! Threading: functions over a `&Connection`; the writer calls the write
//! ones on its thread, readers call the rest.

use std::fmt;

use printhub_core::{PrinterId, Timestamp};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};

use crate::error::StoreError;
use crate::jobs::CorruptRow;

/// The marker written in place of a secret.
pub const REDACTED: &str = "<redacted>";

/// Key fragments that mark a `defaults` entry as secret.
const SECRET_KEYS: [&str; 4] = ["password", "secret", "token", "community"];

/// A printer as registered in the store.
#[derive(Clone, PartialEq)]
pub struct PrinterRecord {
    /// The printer's id.
    pub id: PrinterId,
    /// Its unique, URL-friendly name.
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// Its model (such as `PT-P750W`).
    pub model: String,
    /// Where it is reached (`host:port`).
    pub address: String,
    /// The media it is expected to hold, if known.
    pub media: Option<String>,
    /// The SNMP community used for status queries. A secret: redacted in
    /// `Debug` output and in the audit trail.
    pub snmp_community: Option<String>,
    /// Print defaults (options applied when a job does not say), as JSON.
    pub defaults: Value,
    /// Whether it accepts and prints jobs.
    pub enabled: bool,
    /// When it was first saved. Set by the store.
    pub created_at: Timestamp,
    /// When it was last changed. Set by the store.
    pub updated_at: Timestamp,
}

impl PrinterRecord {
    /// A new enabled printer with no media, community or defaults.
    pub fn new(
        id: PrinterId,
        slug: impl Into<String>,
        name: impl Into<String>,
        model: impl Into<String>,
        address: impl Into<String>,
    ) -> Self {
        Self {
            id,
            slug: slug.into(),
            name: name.into(),
            model: model.into(),
            address: address.into(),
            media: None,
            snmp_community: None,
            defaults: Value::Object(Default::default()),
            enabled: true,
            created_at: Timestamp::EPOCH,
            updated_at: Timestamp::EPOCH,
        }
    }

    /// The record as audit JSON, secrets redacted.
    pub fn redacted_json(&self) -> Value {
        json!({
            "id": self.id,
            "slug": self.slug,
            "name": self.name,
            "model": self.model,
            "address": self.address,
            "media": self.media,
            "snmp_community": self.snmp_community.as_ref().map(|_| REDACTED),
            "defaults": redact(&self.defaults),
            "enabled": self.enabled,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    fn same_settings(&self, other: &PrinterRecord) -> bool {
        self.slug == other.slug
            && self.name == other.name
            && self.model == other.model
            && self.address == other.address
            && self.media == other.media
            && self.snmp_community == other.snmp_community
            && self.defaults == other.defaults
            && self.enabled == other.enabled
    }
}

impl fmt::Debug for PrinterRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrinterRecord")
            .field("id", &self.id)
            .field("slug", &self.slug)
            .field("name", &self.name)
            .field("model", &self.model)
            .field("address", &self.address)
            .field("media", &self.media)
            .field(
                "snmp_community",
                &self.snmp_community.as_ref().map(|_| REDACTED),
            )
            .field("defaults", &redact(&self.defaults))
            .field("enabled", &self.enabled)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// What [`Store::save_printer`](crate::Store::save_printer) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    /// The printer was new.
    Created,
    /// The printer existed and something changed.
    Updated,
    /// The printer existed with exactly these settings; nothing was written.
    Unchanged,
}

/// What an audit row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A printer was registered.
    Create,
    /// A printer's settings changed.
    Update,
    /// A printer was removed.
    Delete,
}

impl AuditAction {
    /// The name stored in `printer_audit.action`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Delete => "delete",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "create" => Some(AuditAction::Create),
            "update" => Some(AuditAction::Update),
            "delete" => Some(AuditAction::Delete),
            _ => None,
        }
    }
}

/// One change to a printer.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// The row id (increasing).
    pub id: i64,
    /// The printer changed.
    pub printer_id: PrinterId,
    /// When.
    pub at: Timestamp,
    /// Who (an API key name, `config`, `cli`, ...).
    pub actor: String,
    /// What.
    pub action: AuditAction,
    /// The printer before, secrets redacted (`None` for a create).
    pub before: Option<Value>,
    /// The printer after, secrets redacted (`None` for a delete).
    pub after: Option<Value>,
}

/// The printers a load returned and the rows it skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedPrinters {
    /// The decoded printers, oldest first.
    pub printers: Vec<PrinterRecord>,
    /// Rows that failed to decode.
    pub corrupt: Vec<CorruptRow>,
}

/// The last status saved for a printer.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterStatusRecord {
    /// The printer.
    pub printer_id: PrinterId,
    /// The status, as the engine serialized it.
    pub status: Value,
    /// When it was saved.
    pub updated_at: Timestamp,
}

const PRINTER_COLUMNS: &str = "rowid, id, slug, name, model, address, media, snmp_community, \
     defaults, enabled, created_at, updated_at";

fn decode_printer(row: &Row<'_>) -> Result<PrinterRecord, String> {
    fn get<T: rusqlite::types::FromSql>(row: &Row<'_>, i: usize, name: &str) -> Result<T, String> {
        row.get(i).map_err(|e| format!("column {name}: {e}"))
    }
    let id: String = get(row, 1, "id")?;
    let defaults: String = get(row, 8, "defaults")?;
    Ok(PrinterRecord {
        id: id.parse().map_err(|e| format!("column id: {e}"))?,
        slug: get(row, 2, "slug")?,
        name: get(row, 3, "name")?,
        model: get(row, 4, "model")?,
        address: get(row, 5, "address")?,
        media: get(row, 6, "media")?,
        snmp_community: get(row, 7, "snmp_community")?,
        defaults: serde_json::from_str(&defaults).map_err(|e| format!("column defaults: {e}"))?,
        enabled: get(row, 9, "enabled")?,
        created_at: Timestamp::from_millis(get(row, 10, "created_at")?),
        updated_at: Timestamp::from_millis(get(row, 11, "updated_at")?),
    })
}

/// One printer: `None` when absent, `Some(Err)` when its row is corrupt.
fn load_one(
    conn: &Connection,
    id: PrinterId,
) -> Result<Option<Result<PrinterRecord, String>>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {PRINTER_COLUMNS} FROM printers WHERE id = ?1"
        ))?
        .query_row([id.to_string()], |row| Ok(decode_printer(row)))
        .optional()?)
}

/// One printer by id.
pub(crate) fn load_printer(
    conn: &Connection,
    id: PrinterId,
) -> Result<Option<PrinterRecord>, StoreError> {
    match load_one(conn, id)? {
        None => Ok(None),
        Some(Ok(p)) => Ok(Some(p)),
        Some(Err(reason)) => Err(StoreError::corrupt(id.to_string(), reason)),
    }
}

/// Every printer, oldest first; corrupt rows reported, not fatal.
pub(crate) fn load_printers(conn: &Connection) -> Result<LoadedPrinters, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {PRINTER_COLUMNS} FROM printers ORDER BY created_at, rowid"
    ))?;
    let rows = stmt
        .query_map([], |row| {
            let seq: i64 = row.get(0)?;
            let id = row
                .get::<_, String>(1)
                .unwrap_or_else(|_| format!("seq {seq}"));
            Ok((seq, id, decode_printer(row)))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut loaded = LoadedPrinters::default();
    for (seq, id, decoded) in rows {
        match decoded {
            Ok(p) => loaded.printers.push(p),
            Err(error) => {
                log::warn!("store: printer {id} is corrupt: {error}");
                loaded.corrupt.push(CorruptRow { id, seq, error });
            }
        }
    }
    Ok(loaded)
}

fn audit(
    conn: &Connection,
    printer: PrinterId,
    at: Timestamp,
    actor: &str,
    action: AuditAction,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO printer_audit (printer_id, at, actor, action, before_json, after_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        printer.to_string(),
        at.as_millis(),
        actor,
        action.as_str(),
        before.map(|v| v.to_string()),
        after.map(|v| v.to_string()),
    ])?;
    Ok(())
}

/// Inserts or updates `printer` and audits the change. Runs on the writer.
pub(crate) fn save_printer(
    conn: &Connection,
    printer: &PrinterRecord,
    actor: &str,
    now: Timestamp,
) -> Result<SaveOutcome, StoreError> {
    let id = printer.id.to_string();
    let holder: Option<String> = conn
        .prepare_cached("SELECT id FROM printers WHERE slug = ?1 AND id <> ?2")?
        .query_row([&printer.slug, &id], |r| r.get(0))
        .optional()?;
    if let Some(existing) = holder {
        return Err(StoreError::SlugTaken {
            slug: printer.slug.clone(),
            existing,
        });
    }
    let before = load_one(conn, printer.id)?;
    let created_at = match &before {
        Some(Ok(old)) if old.same_settings(printer) => return Ok(SaveOutcome::Unchanged),
        Some(Ok(old)) => old.created_at,
        // A corrupt row is overwritten: saving repairs it.
        Some(Err(_)) | None => now,
    };
    let stored = PrinterRecord {
        created_at,
        updated_at: now,
        ..printer.clone()
    };
    conn.prepare_cached(
        "INSERT INTO printers (id, slug, name, model, address, media, snmp_community, defaults,
                               enabled, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET
             slug = excluded.slug, name = excluded.name, model = excluded.model,
             address = excluded.address, media = excluded.media,
             snmp_community = excluded.snmp_community, defaults = excluded.defaults,
             enabled = excluded.enabled, created_at = excluded.created_at,
             updated_at = excluded.updated_at",
    )?
    .execute(params![
        id,
        stored.slug,
        stored.name,
        stored.model,
        stored.address,
        stored.media,
        stored.snmp_community,
        stored.defaults.to_string(),
        stored.enabled,
        stored.created_at.as_millis(),
        stored.updated_at.as_millis(),
    ])?;
    let (outcome, action, before_json) = match before {
        None => (SaveOutcome::Created, AuditAction::Create, None),
        Some(Ok(old)) => (
            SaveOutcome::Updated,
            AuditAction::Update,
            Some(old.redacted_json()),
        ),
        Some(Err(reason)) => (
            SaveOutcome::Updated,
            AuditAction::Update,
            Some(json!({ "corrupt": reason })),
        ),
    };
    audit(
        conn,
        printer.id,
        now,
        actor,
        action,
        before_json,
        Some(stored.redacted_json()),
    )?;
    Ok(outcome)
}

/// Deletes a printer (and its status row) and audits it; `false` when it
/// did not exist. Its jobs and audit rows stay. Runs on the writer.
pub(crate) fn delete_printer(
    conn: &Connection,
    id: PrinterId,
    actor: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let before = match load_one(conn, id)? {
        None => return Ok(false),
        Some(Ok(old)) => old.redacted_json(),
        Some(Err(reason)) => json!({ "corrupt": reason }),
    };
    let key = id.to_string();
    conn.execute("DELETE FROM printers WHERE id = ?1", [&key])?;
    conn.execute("DELETE FROM printer_status WHERE printer_id = ?1", [&key])?;
    audit(
        conn,
        id,
        now,
        actor,
        AuditAction::Delete,
        Some(before),
        None,
    )?;
    Ok(true)
}

/// Audit rows, newest first, for one printer or all.
pub(crate) fn load_audit(
    conn: &Connection,
    printer: Option<PrinterId>,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let printer = printer.map(|p| p.to_string());
    let mut stmt = conn.prepare_cached(
        "SELECT id, printer_id, at, actor, action, before_json, after_json FROM printer_audit
         WHERE ?1 IS NULL OR printer_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![printer, limit], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, Option<String>>(6)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, printer, at, actor, action, before, after)| {
            let corrupt = |reason: String| StoreError::corrupt(format!("audit {id}"), reason);
            let json = |text: Option<String>| -> Result<Option<Value>, StoreError> {
                text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt(e.to_string())))
                    .transpose()
            };
            Ok(AuditEntry {
                id,
                printer_id: printer.parse().map_err(|e| corrupt(format!("{e}")))?,
                at: Timestamp::from_millis(at),
                actor,
                action: AuditAction::parse(&action)
                    .ok_or_else(|| corrupt(format!("unknown action {action:?}")))?,
                before: json(before)?,
                after: json(after)?,
            })
        })
        .collect()
}

/// Stores the last status of a printer. Runs on the writer.
pub(crate) fn save_status(
    conn: &Connection,
    printer: PrinterId,
    status: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO printer_status (printer_id, json, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (printer_id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at",
    )?
    .execute(params![printer.to_string(), status, now.as_millis()])?;
    Ok(())
}

fn decode_status(
    printer: String,
    json: String,
    at: i64,
) -> Result<PrinterStatusRecord, StoreError> {
    Ok(PrinterStatusRecord {
        printer_id: printer
            .parse()
            .map_err(|e| StoreError::corrupt(printer.clone(), format!("{e}")))?,
        status: serde_json::from_str(&json)
            .map_err(|e| StoreError::corrupt(printer.clone(), format!("status json: {e}")))?,
        updated_at: Timestamp::from_millis(at),
    })
}

/// The last status of one printer.
pub(crate) fn load_status(
    conn: &Connection,
    printer: PrinterId,
) -> Result<Option<PrinterStatusRecord>, StoreError> {
    let row: Option<(String, String, i64)> = conn
        .prepare_cached(
            "SELECT printer_id, json, updated_at FROM printer_status WHERE printer_id = ?1",
        )?
        .query_row([printer.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    row.map(|(p, j, at)| decode_status(p, j, at)).transpose()
}

/// The last status of every printer that has one.
pub(crate) fn load_all_status(conn: &Connection) -> Result<Vec<PrinterStatusRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT printer_id, json, updated_at FROM printer_status ORDER BY printer_id",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<Vec<(String, String, i64)>, _>>()?;
    rows.into_iter()
        .map(|(p, j, at)| decode_status(p, j, at))
        .collect()
}

/// `value` with every secret-looking key's value replaced by [`REDACTED`].
fn redact(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    let lower = key.to_ascii_lowercase();
                    let v = if SECRET_KEYS.iter().any(|s| lower.contains(s)) {
                        Value::String(REDACTED.into())
                    } else {
                        redact(v)
                    };
                    (key.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_at_any_depth() {
        let mut p = PrinterRecord::new(PrinterId::from_u128(1), "p", "P", "PT-P750W", "h:9100");
        p.snmp_community = Some("s3cret".into());
        p.defaults = json!({"cut": true, "auth": {"Password": "pw", "list": [{"api_token": "t"}]}});
        let text = p.redacted_json().to_string();
        assert!(
            !text.contains("s3cret") && !text.contains("\"pw\"") && !text.contains("\"t\""),
            "{text}"
        );
        assert!(text.contains("\"cut\":true"), "{text}");
        let debug = format!("{p:?}");
        assert!(
            !debug.contains("s3cret") && !debug.contains("pw"),
            "{debug}"
        );
        p.snmp_community = None;
        assert_eq!(p.redacted_json()["snmp_community"], Value::Null);
    }
}
