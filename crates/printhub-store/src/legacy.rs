//! Reading Label Printer Hub's database (issue #19) for `printhub import
//! label-printer-hub`: the SQLite file its Alembic migrations left at head
//! [`LEGACY_HEAD`], opened read-only, its printers, API keys and jobs
//! returned as rows (plain strings, numbers and JSON, exactly as stored).
//! Mapping them onto printhub's types is the importer's business; this
//! module only keeps the SQL in this crate.
//!
//! What the reference system stores, as its own code wrote it: ids written
//! through its ORM are 32 lower-case hex digits without hyphens (the
//! bootstrap key's, written with raw SQL, is a hyphenated UUID); times are
//! naive UTC text `YYYY-MM-DD HH:MM:SS.ffffff` (the bootstrap key's an ISO
//! string with `T` and `+00:00`); JSON columns are text.
//!
//! Threading: one short-lived read-only connection on the caller's thread.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, Row};
use serde_json::Value;

use crate::error::StoreError;

/// The Alembic revision of Label Printer Hub v0.11, the only schema the
/// importer reads.
pub const LEGACY_HEAD: &str = "42fbd015698d";

/// A printer row of `printers`.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyPrinter {
    /// `id` as stored.
    pub id: String,
    pub name: String,
    pub slug: String,
    pub model: String,
    /// `ptouch`, `brother_ql` or `mock`.
    pub backend: String,
    /// `{host, port, snmp: {discover, community}}`, if any.
    pub connection: Option<Value>,
    pub enabled: bool,
    /// `cut_defaults_half_cut`.
    pub half_cut: bool,
}

/// An API key row of `api_keys`.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyKey {
    /// `id` as stored.
    pub id: String,
    pub name: String,
    /// The bcrypt hash of the whole key.
    pub key_hash: String,
    /// The key's first characters, its public lookup prefix.
    pub key_prefix: String,
    /// A JSON list of scope names.
    pub scopes: Value,
    /// A JSON list of printer ids (empty: every printer).
    pub allowed_printer_ids: Value,
    pub rate_limit_per_minute: Option<i64>,
    pub enabled: bool,
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
}

/// A job row of `jobs`.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyJob {
    /// `id` as stored.
    pub id: String,
    pub printer_id: String,
    pub template_key: Option<String>,
    /// `queued`, `printing`, `done`, `failed`, `failed_restart` or `cancelled`.
    pub state: String,
    pub payload: Option<Value>,
    pub error: Option<String>,
    pub created_at: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

/// What a Label Printer Hub database holds that printhub imports.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyDatabase {
    /// Its Alembic revision ([`LEGACY_HEAD`]).
    pub version: String,
    pub printers: Vec<LegacyPrinter>,
    pub keys: Vec<LegacyKey>,
    /// Oldest first.
    pub jobs: Vec<LegacyJob>,
}

/// Reads the database at `path` without writing to it. A file that is not
/// a Label Printer Hub database, or one at another Alembic revision, is
/// [`StoreError::Legacy`] naming what was found.
pub fn read_legacy(path: &Path) -> Result<LegacyDatabase, StoreError> {
    let shown = path.display().to_string();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::open(&shown, e))?;
    let version: String = conn
        .query_row("SELECT version_num FROM alembic_version", [], |r| r.get(0))
        .map_err(|e| {
            StoreError::Legacy(format!(
                "{shown} is not a Label Printer Hub database (no Alembic version: {e})"
            ))
        })?;
    if version != LEGACY_HEAD {
        return Err(StoreError::Legacy(format!(
            "{shown} is at schema version {version}; printhub imports Label Printer Hub v0.11 \
             (schema {LEGACY_HEAD}): upgrade it to v0.11 first"
        )));
    }
    let printers = rows(
        &conn,
        "SELECT id, name, slug, model, backend, connection, enabled, cut_defaults_half_cut \
         FROM printers ORDER BY created_at, id",
        |r| {
            Ok(LegacyPrinter {
                id: text(r, 0)?,
                name: r.get(1)?,
                slug: r.get(2)?,
                model: r.get(3)?,
                backend: r.get(4)?,
                connection: json(r, 5)?,
                enabled: r.get(6)?,
                half_cut: r.get(7)?,
            })
        },
    )?;
    let keys = rows(
        &conn,
        "SELECT id, name, key_hash, key_prefix, scopes, allowed_printer_ids, \
         rate_limit_per_minute, enabled, created_at, expires_at FROM api_keys ORDER BY created_at, id",
        |r| {
            Ok(LegacyKey {
                id: text(r, 0)?,
                name: r.get(1)?,
                key_hash: r.get(2)?,
                key_prefix: r.get(3)?,
                scopes: json(r, 4)?.unwrap_or(Value::Null),
                allowed_printer_ids: json(r, 5)?.unwrap_or(Value::Null),
                rate_limit_per_minute: r.get(6)?,
                enabled: r.get(7)?,
                created_at: r.get(8)?,
                expires_at: r.get(9)?,
            })
        },
    )?;
    let jobs = rows(
        &conn,
        "SELECT id, printer_id, template_key, state, payload, error, created_at, started_at, \
         finished_at FROM jobs ORDER BY created_at, id",
        |r| {
            Ok(LegacyJob {
                id: text(r, 0)?,
                printer_id: text(r, 1)?,
                template_key: r.get(2)?,
                state: r.get(3)?,
                payload: json(r, 4)?,
                error: r.get(5)?,
                created_at: r.get(6)?,
                started_at: r.get(7)?,
                finished_at: r.get(8)?,
            })
        },
    )?;
    Ok(LegacyDatabase {
        version,
        printers,
        keys,
        jobs,
    })
}

fn rows<T>(
    conn: &Connection,
    sql: &str,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let out = stmt.query_map([], map)?.collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

/// An id column: text, or the 16 bytes SQLAlchemy may write on other
/// back ends (as hex).
fn text(r: &Row<'_>, i: usize) -> rusqlite::Result<String> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Blob(b) => Ok(b.iter().map(|x| format!("{x:02x}")).collect()),
        _ => r.get(i),
    }
}

/// A JSON column (text), `None` when NULL.
fn json(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Value>> {
    let raw: Option<String> = r.get(i)?;
    raw.map(|s| {
        serde_json::from_str(&s).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}
