//! API keys and the admin audit log, as rows. The store keeps what the
//! gateway's auth layer decides: a key's id, name, the hash of its secret
//! (never the secret), its scope, printer allow-list, expiry, revocation and
//! rate limit; and one `audit_log` row per admin action (who, what, on
//! which target, with a redacted JSON detail).
//!
//! Threading: functions over a `&Connection` the caller owns; writes run on
//! the writer thread through [`Store`](crate::Store).

use printhub_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use crate::error::StoreError;

/// One API key as stored. `hash` is the hex digest of the secret; the
/// secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// The public key id (32 lowercase hex digits).
    pub id: String,
    /// A name for people ("inventory app").
    pub name: String,
    /// The digest of the secret, hex.
    pub hash: String,
    /// The scope name (`read`, `print`, `admin`).
    pub scope: String,
    /// The printer ids the key may touch; `None` = every printer.
    pub printers: Option<Vec<String>>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
    /// When it was last used (updated at most about once a minute).
    pub last_used_at: Option<Timestamp>,
    /// Mutations per minute; `None` = the server's default.
    pub rate_limit_per_minute: Option<u32>,
}

/// One admin action.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// The row id (increasing); `0` for a record not stored yet.
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// Who (`key:<id>`, `anonymous`, `proxy:<user>`, `cli`, `bootstrap`).
    pub actor: String,
    /// What, dotted (`key.create`, `printer.update`, ...).
    pub action: String,
    /// On what (a key id, printer id or slug).
    pub target: String,
    /// Details, secrets already redacted by the caller.
    pub detail: Option<Value>,
}

pub(crate) fn insert_key(conn: &Connection, key: &ApiKeyRecord) -> Result<(), StoreError> {
    let printers = match &key.printers {
        Some(list) => Some(serde_json::to_string(list).map_err(|e| StoreError::Encode {
            what: "key printers",
            reason: e.to_string(),
        })?),
        None => None,
    };
    conn.execute(
        "INSERT INTO api_keys (id, name, hash, scopes, printers, created_at, expires_at,
             revoked_at, last_used_at, rate_limit)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            key.id,
            key.name,
            key.hash,
            key.scope,
            printers,
            key.created_at.as_millis(),
            key.expires_at.map(Timestamp::as_millis),
            key.revoked_at.map(Timestamp::as_millis),
            key.last_used_at.map(Timestamp::as_millis),
            key.rate_limit_per_minute,
        ],
    )?;
    Ok(())
}

/// Sets `revoked_at` once; `Ok(None)` when there is no such key.
pub(crate) fn revoke_key(
    conn: &Connection,
    id: &str,
    now: Timestamp,
) -> Result<Option<ApiKeyRecord>, StoreError> {
    conn.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now.as_millis()],
    )?;
    load_key(conn, id)
}

pub(crate) fn touch_key(conn: &Connection, id: &str, now: Timestamp) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1",
        params![id, now.as_millis()],
    )?;
    Ok(())
}

const KEY_COLUMNS: &str = "id, name, hash, scopes, printers, created_at, expires_at, revoked_at, \
                           last_used_at, rate_limit";

type KeyRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn key_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    ))
}

fn decode_key(row: KeyRow) -> Result<ApiKeyRecord, StoreError> {
    let (id, name, hash, scope, printers, created, expires, revoked, used, rate) = row;
    let printers = match printers {
        Some(text) => Some(
            serde_json::from_str::<Vec<String>>(&text)
                .map_err(|e| StoreError::corrupt(format!("api key {id}"), e.to_string()))?,
        ),
        None => None,
    };
    let rate_limit_per_minute = match rate {
        Some(n) => Some(u32::try_from(n).map_err(|_| {
            StoreError::corrupt(format!("api key {id}"), format!("rate limit {n}"))
        })?),
        None => None,
    };
    Ok(ApiKeyRecord {
        id,
        name,
        hash,
        scope,
        printers,
        created_at: Timestamp::from_millis(created),
        expires_at: expires.map(Timestamp::from_millis),
        revoked_at: revoked.map(Timestamp::from_millis),
        last_used_at: used.map(Timestamp::from_millis),
        rate_limit_per_minute,
    })
}

pub(crate) fn load_key(conn: &Connection, id: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
    let row = conn
        .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1"))?
        .query_row(params![id], key_row)
        .optional()?;
    row.map(decode_key).transpose()
}

/// Every key, oldest first.
pub(crate) fn load_keys(conn: &Connection) -> Result<Vec<ApiKeyRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"
    ))?;
    let rows = stmt
        .query_map([], key_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(decode_key).collect()
}

pub(crate) fn append_audit(conn: &Connection, record: &AuditRecord) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            record.at.as_millis(),
            record.actor,
            record.action,
            record.target,
            record.detail.as_ref().map(Value::to_string),
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Audit rows, newest first, and how many there are in all.
pub(crate) fn load_audit_log(
    conn: &Connection,
    limit: usize,
    offset: usize,
) -> Result<(Vec<AuditRecord>, u64), StoreError> {
    let total: i64 = conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, actor, action, target, detail FROM audit_log
         ORDER BY id DESC LIMIT ?1 OFFSET ?2",
    )?;
    let rows = stmt
        .query_map(
            params![
                i64::try_from(limit).unwrap_or(i64::MAX),
                i64::try_from(offset).unwrap_or(i64::MAX)
            ],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, Option<String>>(5)?,
                ))
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let items = rows
        .into_iter()
        .map(|(id, at, actor, action, target, detail)| {
            let detail = detail
                .map(|t| serde_json::from_str(&t))
                .transpose()
                .map_err(|e| StoreError::corrupt(format!("audit_log {id}"), e.to_string()))?;
            Ok(AuditRecord {
                id,
                at: Timestamp::from_millis(at),
                actor,
                action,
                target,
                detail,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((items, u64::try_from(total).unwrap_or(0)))
}
