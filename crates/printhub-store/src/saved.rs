//! Saved labels, as rows (issue #24): a print form kept on the hub under a
//! name, for one printer or for any, to be picked again later. The store
//! keeps what the gateway validated: the name (unique whatever its case:
//! `name_key` is the name folded with Unicode's lower case), the printer's
//! id or none, and the label request as JSON, with who saved it and when.
//!
//! Threading: functions over a `&Connection` the caller owns; writes run on
//! the writer thread through [`Store`](crate::Store), each in its own
//! transaction (the name check and the write see the same rows).

use printhub_core::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use crate::error::StoreError;

/// One saved label as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedLabelRecord {
    /// Its id (a UUID, as text).
    pub id: String,
    /// The name people pick it by (1–100 characters).
    pub name: String,
    /// The printer it was saved for (a printer id); `None` = any printer.
    pub printer_id: Option<String>,
    /// The label request (the body of a job submission), as JSON.
    pub request: Value,
    /// Who saved it first (`key:<id>`, `anonymous`, `proxy:<user>`).
    pub created_by: String,
    /// When it was saved first.
    pub created_at: Timestamp,
    /// When it was last replaced (`created_at` until then).
    pub updated_at: Timestamp,
}

/// The key names are unique by: the name in lower case (Unicode).
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// [`StoreError::NameTaken`] when another label (not `id`) has `name`'s key.
fn check_name(conn: &Connection, id: &str, name: &str) -> Result<(), StoreError> {
    let existing: Option<String> = conn
        .prepare_cached("SELECT id FROM saved_labels WHERE name_key = ?1 AND id <> ?2")?
        .query_row(params![name_key(name), id], |r| r.get(0))
        .optional()?;
    match existing {
        Some(existing) => Err(StoreError::NameTaken {
            name: name.to_owned(),
            existing,
        }),
        None => Ok(()),
    }
}

fn encode_request(request: &Value) -> Result<String, StoreError> {
    serde_json::to_string(request).map_err(|e| StoreError::Encode {
        what: "saved label request",
        reason: e.to_string(),
    })
}

/// Inserts a new label; [`StoreError::NameTaken`] when the name is used.
pub(crate) fn insert(conn: &Connection, label: &SavedLabelRecord) -> Result<(), StoreError> {
    check_name(conn, &label.id, &label.name)?;
    conn.execute(
        "INSERT INTO saved_labels (id, name, name_key, printer_id, request, created_by,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            label.id,
            label.name,
            name_key(&label.name),
            label.printer_id,
            encode_request(&label.request)?,
            label.created_by,
            label.created_at.as_millis(),
            label.updated_at.as_millis(),
        ],
    )?;
    Ok(())
}

/// Replaces the name, printer and request of label `label.id`, keeping
/// who created it and when; `updated_at` becomes `label.updated_at`.
/// `Ok(None)` when there is no such label; [`StoreError::NameTaken`] when
/// another label has the name.
pub(crate) fn replace(
    conn: &Connection,
    label: &SavedLabelRecord,
) -> Result<Option<SavedLabelRecord>, StoreError> {
    if load(conn, &label.id)?.is_none() {
        return Ok(None);
    }
    check_name(conn, &label.id, &label.name)?;
    conn.execute(
        "UPDATE saved_labels SET name = ?2, name_key = ?3, printer_id = ?4, request = ?5,
             updated_at = ?6
         WHERE id = ?1",
        params![
            label.id,
            label.name,
            name_key(&label.name),
            label.printer_id,
            encode_request(&label.request)?,
            label.updated_at.as_millis(),
        ],
    )?;
    load(conn, &label.id)
}

/// Deletes label `id`; returns it, or `None` when there was none.
pub(crate) fn delete(conn: &Connection, id: &str) -> Result<Option<SavedLabelRecord>, StoreError> {
    let label = load(conn, id)?;
    if label.is_some() {
        conn.execute("DELETE FROM saved_labels WHERE id = ?1", params![id])?;
    }
    Ok(label)
}

const COLUMNS: &str = "id, name, printer_id, request, created_by, created_at, updated_at";

type Row = (String, String, Option<String>, String, String, i64, i64);

fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ))
}

fn decode(
    (id, name, printer_id, request, created_by, created, updated): Row,
) -> Result<SavedLabelRecord, StoreError> {
    let request = serde_json::from_str(&request)
        .map_err(|e| StoreError::corrupt(format!("saved label {id}"), e.to_string()))?;
    Ok(SavedLabelRecord {
        id,
        name,
        printer_id,
        request,
        created_by,
        created_at: Timestamp::from_millis(created),
        updated_at: Timestamp::from_millis(updated),
    })
}

/// Label `id`, if there is one.
pub(crate) fn load(conn: &Connection, id: &str) -> Result<Option<SavedLabelRecord>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM saved_labels WHERE id = ?1"))?
        .query_row(params![id], row)
        .optional()?
        .map(decode)
        .transpose()
}

/// Every label, by name (case folded), then id.
pub(crate) fn load_all(conn: &Connection) -> Result<Vec<SavedLabelRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM saved_labels ORDER BY name_key, id"
    ))?;
    let rows = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(decode).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_beyond_ascii() {
        assert_eq!(name_key("Überkarton"), name_key("üBERKARTON"));
        assert_ne!(name_key("Box A"), name_key("Box B"));
    }
}
