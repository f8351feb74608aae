//! Job SQL: the upsert the writer runs, the loads and listings readers run,
//! and retention.
//!
//! Order: `jobs.seq` is an `INTEGER PRIMARY KEY AUTOINCREMENT` (the rowid),
//! assigned at a job's first insert and never reused, even after pruning.
//! A snapshot of an existing job is an `INSERT .. ON CONFLICT (id) DO
//! UPDATE` (never `INSERT OR REPLACE`, which would delete the row and give
//! it a new `seq`), so a job keeps its place for life and loads in `seq`
//! order are exactly submission order.
//!
//! Rasters live in `job_rasters`, one row per job keyed by `seq`. A job's
//! raster never changes, but the engine persists the whole job at every
//! transition; the raster upsert's `WHERE` skips the rewrite when the stored
//! raster is identical, so a state change writes one small row instead of
//! rewriting the blob's overflow pages.
//!
//! Corrupt rows: multi-row loads first list the matching `seq`s, then read
//! and decode each row on its own inside the same read transaction. A row
//! that fails (bad JSON, bad id, damaged raster, an SQLite error reading
//! it) becomes a [`CorruptRow`] and the others load normally. Corrupt rows
//! are left in place for an operator to inspect.
//!
//! Threading: functions over a `&Connection`; the writer calls the write
//! ones on its thread, readers call the rest.

use printhub_core::{Job, JobId, PrinterId, RestoredJob, Timestamp};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};

use crate::codec::{
    decode_job, decode_job_metadata, decode_raster_row, JobRow, JOB_COLUMNS, JOB_METADATA_COLUMNS,
    RASTER_COLUMNS,
};
use crate::config::{JobQuery, Retention};
use crate::error::StoreError;
use std::sync::Arc;

/// A row that could not be decoded. It stays in the database; loads skip it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorruptRow {
    /// The job id as stored, or `seq N` when even the id is unreadable.
    pub id: String,
    /// Its `seq` (queue position).
    pub seq: i64,
    /// What could not be decoded.
    pub error: String,
}

/// The jobs a load returned, in `seq` order (or newest first for
/// [`Store::list_jobs`](crate::Store::list_jobs)), and the rows it skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedJobs {
    /// The decoded jobs.
    pub jobs: Vec<Job>,
    /// Rows that failed to decode, in the same order.
    pub corrupt: Vec<CorruptRow>,
}

/// What a printer restarts from ([`Store::load_restore`](crate::Store::load_restore)):
/// its jobs in `seq` order, the queued ones beyond the head as their places
/// only, and the rows that failed to decode.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedRestore {
    /// The jobs, whole (rasters released) or parked.
    pub jobs: Vec<RestoredJob>,
    /// Rows that failed to decode, in `seq` order.
    pub corrupt: Vec<CorruptRow>,
}

/// A job without its raster: what a start-up or a listing needs.
#[derive(Debug, Clone, PartialEq)]
pub struct JobMetadata {
    /// The job; its `spec.raster` is empty (see [`Store::load_raster`](crate::Store::load_raster)).
    pub job: Job,
    /// The raster's length in bytes.
    pub raster_len: usize,
}

/// The jobs a metadata load returned, in `seq` order, and the rows it skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedMetadata {
    /// The decoded jobs, without rasters.
    pub jobs: Vec<JobMetadata>,
    /// Rows that failed to decode, in the same order.
    pub corrupt: Vec<CorruptRow>,
}

/// The terminal states, as an SQL list (checked against `JobState::is_terminal` in a test).
const TERMINAL_SQL: &str = "('completed', 'failed', 'cancelled', 'interrupted')";

/// A new job row; nothing when a job of that id is stored (then
/// [`UPDATE_JOB`] runs, with the same parameters). Not one `ON CONFLICT DO
/// UPDATE` statement: an update that may change `batch_id` (a foreign key)
/// makes SQLite prepare the whole statement to run inside a statement
/// journal, which copies every page the statement changes first, and that
/// is every insert's cost too (perf: 2 % of the hub's CPU per label).
const INSERT_JOB: &str =
    "INSERT INTO jobs (id, printer_id, batch_id, state, created_at, started_at, \
     finished_at, state_changed_at, error_code, error_message, error_detail, parent_job_id, \
     retry_count, copies, copies_printed, confirmed, content_type, template, submitted_by, spec)
 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
 ON CONFLICT (id) DO NOTHING";

/// A stored job replaced by its new snapshot, keeping its `seq`.
const UPDATE_JOB: &str = "UPDATE jobs SET
     printer_id = ?2, batch_id = ?3, state = ?4, created_at = ?5, started_at = ?6,
     finished_at = ?7, state_changed_at = ?8, error_code = ?9, error_message = ?10,
     error_detail = ?11, parent_job_id = ?12, retry_count = ?13, copies = ?14,
     copies_printed = ?15, confirmed = ?16, content_type = ?17, template = ?18,
     submitted_by = ?19, spec = ?20
 WHERE id = ?1";

/// The `seq` of a stored job.
const JOB_SEQ: &str = "SELECT seq FROM jobs WHERE id = ?1";

const UPSERT_RASTER: &str = "INSERT INTO job_rasters (job_seq, codec, len, crc32, data)
 VALUES (?1, ?2, ?3, ?4, ?5)
 ON CONFLICT (job_seq) DO UPDATE SET
     codec = excluded.codec, len = excluded.len, crc32 = excluded.crc32, data = excluded.data
 WHERE job_rasters.codec IS NOT excluded.codec OR job_rasters.len IS NOT excluded.len
    OR job_rasters.crc32 IS NOT excluded.crc32 OR job_rasters.data IS NOT excluded.data";

/// An empty raster row for a job without one; an existing row is kept.
const KEEP_RASTER: &str = "INSERT INTO job_rasters (job_seq, codec, len, crc32, data)
 VALUES (?1, 'raw', 0, 0, x'') ON CONFLICT (job_seq) DO NOTHING";

const INSERT_BATCH: &str =
    "INSERT INTO batches (id, created_at) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING";

/// Errors that say nothing about the row being read (locks, memory,
/// interruption): they fail the whole load instead of marking a row corrupt.
fn is_transient(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode as C;
    matches!(
        e.sqlite_error_code(),
        Some(C::DatabaseBusy | C::DatabaseLocked | C::OutOfMemory | C::OperationInterrupted)
    )
}

/// Writes job snapshots (insert, or update keeping `seq`). Runs on the writer.
pub(crate) fn upsert_jobs(conn: &Connection, rows: &[JobRow]) -> Result<(), StoreError> {
    let mut batch = conn.prepare_cached(INSERT_BATCH)?;
    let mut insert_job = conn.prepare_cached(INSERT_JOB)?;
    let mut update_job = conn.prepare_cached(UPDATE_JOB)?;
    let mut job_seq = conn.prepare_cached(JOB_SEQ)?;
    let mut raster = conn.prepare_cached(UPSERT_RASTER)?;
    let mut keep_raster = conn.prepare_cached(KEEP_RASTER)?;
    // A batch's jobs arrive together: its row is written once, not once per job.
    let mut last_batch: Option<&str> = None;
    for row in rows {
        if let Some(batch_id) = row.batch_id.as_deref() {
            if last_batch != Some(batch_id) {
                batch.execute(params![batch_id, row.created_at])?;
                last_batch = Some(batch_id);
            }
        }
        let columns = row.columns();
        let values = &columns[..];
        // One row changed: inserted, and the connection's last rowid is
        // its `seq`. None: the job is stored; replace it in place.
        let seq: i64 = if insert_job.execute(values)? == 1 {
            conn.last_insert_rowid()
        } else {
            update_job.execute(values)?;
            job_seq.query_row(params![row.id], |r| r.get(0))?
        };
        match &row.raster {
            Some(r) => {
                raster.execute(params![seq, r.codec, r.len, r.crc32, r.data])?;
            }
            // A released raster is in `job_rasters` already and stays as it
            // is; a job that never had one (an imported history row) gets
            // the empty raster it was written with.
            None => {
                keep_raster.execute(params![seq])?;
            }
        }
    }
    Ok(())
}

/// One job by id; a row that fails to decode is [`StoreError::Corrupt`].
pub(crate) fn load_job(conn: &Connection, id: JobId) -> Result<Option<Job>, StoreError> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM jobs j LEFT JOIN job_rasters r ON r.job_seq = j.seq \
         WHERE j.id = ?1"
    );
    let id = id.to_string();
    let decoded = conn
        .prepare_cached(&sql)?
        .query_row([&id], |row| Ok(decode_job(row)))
        .optional()
        .map_err(|e| {
            if is_transient(&e) {
                StoreError::from(e)
            } else {
                StoreError::corrupt(id.clone(), format!("cannot read the row: {e}"))
            }
        })?;
    match decoded {
        None => Ok(None),
        Some(Ok(job)) => Ok(Some(job)),
        Some(Err(reason)) => Err(StoreError::corrupt(id, reason)),
    }
}

/// [`load_job_metadata_one`] for each of `ids` on one connection (the
/// caller's read transaction): the jobs found, in `ids` order; an unknown
/// id is left out, a row that cannot be decoded is a [`CorruptRow`] (its
/// `seq` unknown here: -1). A transient failure (busy, out of memory)
/// fails the whole read.
pub(crate) fn load_job_metadata_many(
    conn: &Connection,
    ids: &[JobId],
) -> Result<LoadedJobs, StoreError> {
    let mut loaded = LoadedJobs::default();
    for id in ids {
        match load_job_metadata_one(conn, *id) {
            Ok(Some(job)) => loaded.jobs.push(job),
            Ok(None) => {}
            Err(StoreError::Corrupt { id, reason }) => loaded.corrupt.push(CorruptRow {
                id,
                seq: -1,
                error: reason,
            }),
            Err(e) => return Err(e),
        }
    }
    Ok(loaded)
}

/// One job without its raster (`raster_released`), `None` for an unknown
/// id: one row of metadata columns, no blob read or inflated.
pub(crate) fn load_job_metadata_one(
    conn: &Connection,
    id: JobId,
) -> Result<Option<Job>, StoreError> {
    let sql = format!(
        "SELECT {JOB_METADATA_COLUMNS} FROM jobs j LEFT JOIN job_rasters r ON r.job_seq = j.seq \
         WHERE j.id = ?1"
    );
    let id = id.to_string();
    let decoded = conn
        .prepare_cached(&sql)?
        .query_row([&id], |row| Ok(decode_job_metadata(row)))
        .optional()
        .map_err(|e| {
            if is_transient(&e) {
                StoreError::from(e)
            } else {
                StoreError::corrupt(id.clone(), format!("cannot read the row: {e}"))
            }
        })?;
    match decoded {
        None => Ok(None),
        Some(Ok((job, _))) => Ok(Some(job)),
        Some(Err(reason)) => Err(StoreError::corrupt(id, reason)),
    }
}

/// A WHERE clause and its parameters.
struct Filter {
    clause: String,
    params: Vec<Value>,
}

impl Filter {
    fn new() -> Self {
        Self {
            clause: "1".into(),
            params: Vec::new(),
        }
    }

    fn and(&mut self, condition: &str, value: Value) {
        self.params.push(value);
        self.clause
            .push_str(&format!(" AND {condition} ?{}", self.params.len()));
    }

    /// `column IN (values)`; no values match nothing.
    fn any_of(&mut self, column: &str, values: impl Iterator<Item = Value>) {
        let mut placeholders = Vec::new();
        for value in values {
            self.params.push(value);
            placeholders.push(format!("?{}", self.params.len()));
        }
        if placeholders.is_empty() {
            self.clause.push_str(" AND 0");
        } else {
            self.clause
                .push_str(&format!(" AND {column} IN ({})", placeholders.join(", ")));
        }
    }

    fn from_query(query: &JobQuery) -> Self {
        let mut filter = Filter::new();
        if let Some(printer) = query.printer {
            filter.and("j.printer_id =", Value::Text(printer.to_string()));
        }
        if let Some(printers) = &query.printers {
            filter.any_of(
                "j.printer_id",
                printers.iter().map(|p| Value::Text(p.to_string())),
            );
        }
        if let Some(state) = query.state {
            filter.and("j.state =", Value::Text(state.as_str().into()));
        }
        if let Some(batch) = query.batch {
            filter.and("j.batch_id =", Value::Text(batch.to_string()));
        }
        if let Some(since) = query.since {
            filter.and("j.created_at >=", Value::Integer(since.as_millis()));
        }
        filter
    }
}

/// The `seq` and id of the jobs matching `filter`, in `order`.
fn list_seqs(
    conn: &Connection,
    filter: &Filter,
    order: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    let sql = format!(
        "SELECT j.seq, j.id FROM jobs j WHERE {} ORDER BY j.seq {order} LIMIT {limit} OFFSET {offset}",
        filter.clause
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let listed = stmt
        .query_map(rusqlite::params_from_iter(filter.params.iter()), |row| {
            let seq: i64 = row.get(0)?;
            let id = match row.get::<_, Value>(1)? {
                Value::Text(id) => id,
                _ => format!("seq {seq}"),
            };
            Ok((seq, id))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(listed)
}

/// Jobs matching `filter`, in `order`, each row decoded on its own.
fn load_where(
    conn: &Connection,
    filter: &Filter,
    order: &str,
    limit: Option<usize>,
    offset: usize,
) -> Result<LoadedJobs, StoreError> {
    let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let listed = list_seqs(conn, filter, order, limit, offset)?;

    let one = format!(
        "SELECT {JOB_COLUMNS} FROM jobs j LEFT JOIN job_rasters r ON r.job_seq = j.seq \
         WHERE j.seq = ?1"
    );
    let mut one = conn.prepare_cached(&one)?;
    let mut loaded = LoadedJobs::default();
    for (seq, id) in listed {
        let decoded = match one.query_row([seq], |row| Ok(decode_job(row))) {
            Ok(decoded) => decoded,
            // Busy or out of memory says nothing about the row: fail the load.
            Err(e) if is_transient(&e) => return Err(e.into()),
            Err(e) => Err(format!("cannot read the row: {e}")),
        };
        match decoded {
            Ok(job) => loaded.jobs.push(job),
            Err(error) => {
                log::warn!("store: job {id} (seq {seq}) is corrupt: {error}");
                loaded.corrupt.push(CorruptRow { id, seq, error });
            }
        }
    }
    Ok(loaded)
}

/// Every job of `printer` (every job with `None`) in `seq` order, without
/// rasters, in one statement: the rows and their raster lengths, no blob
/// page read. A row that fails to decode is a [`CorruptRow`]; a statement
/// that fails to step past a damaged row falls back to reading the rows one
/// by one, so that row fails alone as in [`load_where`].
pub(crate) fn load_metadata(
    conn: &Connection,
    printer: Option<PrinterId>,
) -> Result<LoadedMetadata, StoreError> {
    let filter = Filter::from_query(&JobQuery {
        printer,
        ..JobQuery::default()
    });
    let (rows, corrupt) = load_metadata_where(conn, &filter)?;
    Ok(LoadedMetadata {
        jobs: rows.into_iter().map(|(_, m)| m).collect(),
        corrupt,
    })
}

/// Jobs without rasters, each with its `seq`, and the rows that failed to decode.
type MetadataRows = (Vec<(i64, JobMetadata)>, Vec<CorruptRow>);

/// The jobs matching `filter` without rasters, in `seq` order, in one
/// statement (row by row if that statement fails), and the rows that
/// failed to decode.
fn load_metadata_where(conn: &Connection, filter: &Filter) -> Result<MetadataRows, StoreError> {
    let sql = format!(
        "SELECT {JOB_METADATA_COLUMNS} FROM jobs j LEFT JOIN job_rasters r ON r.job_seq = j.seq \
         WHERE {} ORDER BY j.seq ASC",
        filter.clause
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(filter.params.iter()))?;
    let mut loaded = Vec::new();
    let mut corrupt = Vec::new();
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => return Ok((loaded, corrupt)),
            Err(e) if is_transient(&e) => return Err(e.into()),
            Err(e) => {
                log::warn!("store: reading job metadata in one statement failed ({e}); row by row");
                break;
            }
        };
        let seq: i64 = row.get(0).unwrap_or(-1);
        match decode_job_metadata(row) {
            Ok((job, raster_len)) => loaded.push((seq, JobMetadata { job, raster_len })),
            Err(error) => {
                let id = match row.get::<_, Value>(1) {
                    Ok(Value::Text(id)) => id,
                    _ => format!("seq {seq}"),
                };
                log::warn!("store: job {id} (seq {seq}) is corrupt: {error}");
                corrupt.push(CorruptRow { id, seq, error });
            }
        }
    }
    drop(rows);
    load_metadata_by_row(conn, filter)
}

/// [`load_metadata_where`] one row at a time (listing the `seq`s first).
fn load_metadata_by_row(conn: &Connection, filter: &Filter) -> Result<MetadataRows, StoreError> {
    let listed = list_seqs(conn, filter, "ASC", -1, 0)?;
    let one = format!(
        "SELECT {JOB_METADATA_COLUMNS} FROM jobs j LEFT JOIN job_rasters r ON r.job_seq = j.seq \
         WHERE j.seq = ?1"
    );
    let mut one = conn.prepare_cached(&one)?;
    let mut loaded = Vec::new();
    let mut corrupt = Vec::new();
    for (seq, id) in listed {
        let decoded = match one.query_row([seq], |row| Ok(decode_job_metadata(row))) {
            Ok(decoded) => decoded,
            Err(e) if is_transient(&e) => return Err(e.into()),
            Err(e) => Err(format!("cannot read the row: {e}")),
        };
        match decoded {
            Ok((job, raster_len)) => loaded.push((seq, JobMetadata { job, raster_len })),
            Err(error) => {
                log::warn!("store: job {id} (seq {seq}) is corrupt: {error}");
                corrupt.push(CorruptRow { id, seq, error });
            }
        }
    }
    Ok((loaded, corrupt))
}

/// The most queued jobs [`load_restore`] reads whole.
const MAX_WHOLE_QUEUED: usize = 4096;

/// What printer `printer` restarts from, in `seq` order: its jobs without
/// rasters, but for the queued ones beyond the first `whole_queued` in
/// print order (partly printed first, then by creation, then by `seq`, as
/// [`PrinterMachine::restore_from`](printhub_core::PrinterMachine::restore_from)
/// orders them), which come back as their places only
/// ([`RestoredJob::Parked`]): three columns of the index, no label request
/// decoded. A queued row whose id or counters do not decode is corrupt;
/// one whose other columns are damaged is found when it is read back.
pub(crate) fn load_restore(
    conn: &Connection,
    printer: PrinterId,
    whole_queued: usize,
) -> Result<LoadedRestore, StoreError> {
    let printer_text = printer.to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, created_at, copies_printed FROM jobs \
         WHERE printer_id = ?1 AND state = 'queued' \
         ORDER BY copies_printed = 0, created_at, seq",
    )?;
    let queued = stmt
        .query_map([&printer_text], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Value>(1)?,
                row.get::<_, Value>(2)?,
                row.get::<_, Value>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    // Bound the statement's parameters (SQLite allows 32,766).
    let whole_queued = whole_queued.min(MAX_WHOLE_QUEUED);
    let mut loaded = LoadedRestore::default();
    let mut restored: Vec<(i64, RestoredJob)> = Vec::new();
    let mut head = Vec::new();
    for (seq, id, created_at, copies_printed) in queued {
        if head.len() < whole_queued {
            head.push(seq);
            continue;
        }
        let parsed = match (&id, created_at, copies_printed) {
            (Value::Text(text), Value::Integer(created_at), Value::Integer(printed)) => text
                .parse::<JobId>()
                .ok()
                .zip(u32::try_from(printed).ok())
                .map(|(id, copies_printed)| RestoredJob::Parked {
                    id,
                    created_at: Timestamp::from_millis(created_at),
                    copies_printed,
                }),
            _ => None,
        };
        match parsed {
            Some(parked) => restored.push((seq, parked)),
            None => {
                let id = match id {
                    Value::Text(id) => id,
                    _ => format!("seq {seq}"),
                };
                let error = "its id, created_at or copies_printed does not decode".to_string();
                log::warn!("store: job {id} (seq {seq}) is corrupt: {error}");
                loaded.corrupt.push(CorruptRow { id, seq, error });
            }
        }
    }
    // The other jobs and the head of the queue, whole but for their rasters.
    let mut filter = Filter::new();
    filter.and("j.printer_id =", Value::Text(printer_text));
    let mut placeholders = Vec::new();
    for seq in head {
        filter.params.push(Value::Integer(seq));
        placeholders.push(format!("?{}", filter.params.len()));
    }
    if placeholders.is_empty() {
        filter.clause.push_str(" AND j.state <> 'queued'");
    } else {
        filter.clause.push_str(&format!(
            " AND (j.state <> 'queued' OR j.seq IN ({}))",
            placeholders.join(", ")
        ));
    }
    let (rows, corrupt) = load_metadata_where(conn, &filter)?;
    loaded.corrupt.extend(corrupt);
    restored.extend(
        rows.into_iter()
            .map(|(seq, m)| (seq, RestoredJob::Whole(Box::new(m.job)))),
    );
    restored.sort_by_key(|(seq, _)| *seq);
    loaded.jobs = restored.into_iter().map(|(_, r)| r).collect();
    loaded.corrupt.sort_by_key(|c| c.seq);
    Ok(loaded)
}

/// The raster of job `id`, checked (length and CRC-32); `None` for an
/// unknown job. A missing or damaged raster is [`StoreError::Corrupt`].
pub(crate) fn load_raster(
    conn: &Connection,
    id: JobId,
) -> Result<Option<Arc<Vec<u8>>>, StoreError> {
    let sql = format!(
        "SELECT {RASTER_COLUMNS} FROM jobs j LEFT JOIN job_rasters r ON r.job_seq = j.seq \
         WHERE j.id = ?1"
    );
    let id = id.to_string();
    let decoded = conn
        .prepare_cached(&sql)?
        .query_row([&id], |row| Ok(decode_raster_row(row)))
        .optional()
        .map_err(|e| {
            if is_transient(&e) {
                StoreError::from(e)
            } else {
                StoreError::corrupt(id.clone(), format!("cannot read the raster: {e}"))
            }
        })?;
    match decoded {
        None => Ok(None),
        Some(Ok(raster)) => Ok(Some(Arc::new(raster))),
        Some(Err(reason)) => Err(StoreError::corrupt(id, reason)),
    }
}

/// The engine's job-to-printer index at start-up, reading two columns
/// and decoding nothing: every waiting or printing job, then the newest
/// `keep_ended` jobs that have ended, oldest first; each with whether it
/// has ended. A row whose ids do not parse is skipped (the full loads
/// report it as corrupt).
pub(crate) fn load_job_index(
    conn: &Connection,
    keep_ended: usize,
) -> Result<Vec<(JobId, PrinterId, bool)>, StoreError> {
    let read = |index: &mut Vec<(JobId, PrinterId, bool)>,
                sql: &str,
                limit: Option<i64>,
                ended: bool|
     -> Result<(), StoreError> {
        let mut statement = conn.prepare_cached(sql)?;
        let mut rows = match limit {
            Some(limit) => statement.query([limit])?,
            None => statement.query([])?,
        };
        while let Some(row) = rows.next()? {
            let (id, printer): (String, String) = (row.get(0)?, row.get(1)?);
            if let (Ok(id), Ok(printer)) = (id.parse(), printer.parse()) {
                index.push((id, printer, ended));
            }
        }
        Ok(())
    };
    let mut index = Vec::new();
    read(
        &mut index,
        &format!("SELECT id, printer_id FROM jobs WHERE state NOT IN {TERMINAL_SQL} ORDER BY seq"),
        None,
        false,
    )?;
    let waiting = index.len();
    read(
        &mut index,
        &format!(
            "SELECT id, printer_id FROM jobs WHERE state IN {TERMINAL_SQL} \
             ORDER BY seq DESC LIMIT ?1"
        ),
        Some(i64::try_from(keep_ended).unwrap_or(i64::MAX)),
        true,
    )?;
    index[waiting..].reverse();
    Ok(index)
}

/// The printer of job `id`, reading one column; `None` for an unknown job
/// (or a row whose printer id does not parse).
pub(crate) fn load_job_printer(
    conn: &Connection,
    id: JobId,
) -> Result<Option<PrinterId>, StoreError> {
    let printer: Option<String> = conn
        .prepare_cached("SELECT printer_id FROM jobs WHERE id = ?1")?
        .query_row([id.to_string()], |row| row.get(0))
        .optional()?;
    Ok(printer.and_then(|p| p.parse().ok()))
}

/// Every job of `printer`, in `seq` order.
pub(crate) fn load_printer_jobs(
    conn: &Connection,
    printer: PrinterId,
) -> Result<LoadedJobs, StoreError> {
    let filter = Filter::from_query(&JobQuery {
        printer: Some(printer),
        ..JobQuery::default()
    });
    load_where(conn, &filter, "ASC", None, 0)
}

/// Every job, in `seq` order.
pub(crate) fn load_all_jobs(conn: &Connection) -> Result<LoadedJobs, StoreError> {
    load_where(conn, &Filter::new(), "ASC", None, 0)
}

/// Jobs matching `query`, newest first.
pub(crate) fn list_jobs(conn: &Connection, query: &JobQuery) -> Result<LoadedJobs, StoreError> {
    let filter = Filter::from_query(query);
    load_where(conn, &filter, "DESC", query.limit, query.offset)
}

/// How many jobs match `query` (ignoring `limit` and `offset`).
pub(crate) fn count_jobs(conn: &Connection, query: &JobQuery) -> Result<u64, StoreError> {
    let filter = Filter::from_query(query);
    let sql = format!("SELECT COUNT(*) FROM jobs j WHERE {}", filter.clause);
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(filter.params.iter()), |row| {
            row.get(0)
        })?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Deletes terminal jobs per `policy` (their rasters go by cascade, then
/// batches left without jobs) and returns how many jobs went. Runs on the
/// writer, inside its transaction.
pub(crate) fn prune(
    conn: &Connection,
    policy: Retention,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut deleted = 0;
    if let Some(max_age) = policy.max_age_ms {
        let cutoff = now.plus_millis(max_age.saturating_neg()).as_millis();
        deleted += conn.execute(
            &format!(
                "DELETE FROM jobs WHERE state IN {TERMINAL_SQL} \
                 AND COALESCE(finished_at, state_changed_at) < ?1"
            ),
            [cutoff],
        )?;
    }
    if let Some(keep) = policy.max_terminal {
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        deleted += conn.execute(
            &format!(
                "DELETE FROM jobs WHERE seq IN (SELECT seq FROM jobs WHERE state IN {TERMINAL_SQL} \
                 ORDER BY COALESCE(finished_at, state_changed_at) DESC, seq DESC \
                 LIMIT -1 OFFSET ?1)"
            ),
            [keep],
        )?;
    }
    if deleted > 0 {
        conn.execute(
            "DELETE FROM batches WHERE NOT EXISTS \
             (SELECT 1 FROM jobs WHERE jobs.batch_id = batches.id)",
            [],
        )?;
    }
    Ok(deleted)
}

/// Hands free pages back to the file system (`auto_vacuum=INCREMENTAL`).
pub(crate) fn incremental_vacuum(conn: &Connection) -> Result<(), StoreError> {
    let mut stmt = conn.prepare("PRAGMA incremental_vacuum")?;
    let mut rows = stmt.query([])?;
    while rows.next()?.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use printhub_core::JobState;

    #[test]
    fn terminal_sql_matches_the_core() {
        let expected: Vec<String> = JobState::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .map(|s| format!("'{s}'"))
            .collect();
        assert_eq!(TERMINAL_SQL, format!("({})", expected.join(", ")));
    }
}
