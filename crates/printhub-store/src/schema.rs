//! The schema, its versioned migrations, and how connections are opened.
//!
//! Migrations are [`rusqlite_migration`] steps keyed on SQLite's
//! `user_version`; [`migrate`] runs the missing ones in one transaction at
//! every open and refuses a database whose version is newer than this build
//! knows (it is never downgraded). A new schema change is a new `M::up` at
//! the end of [`migrations`]; released steps are never edited.
//!
//! Connection settings, and why:
//! - `journal_mode=WAL`: readers never block the writer nor each other.
//! - `synchronous=FULL`: in WAL mode, `NORMAL` syncs only at checkpoints, so
//!   a power loss can roll back transactions that were already acknowledged;
//!   `FULL` syncs the WAL at every commit, so an acknowledged commit survives
//!   anything short of losing the disk. Group commit pays that fsync once
//!   per batch instead of once per job.
//! - `auto_vacuum=INCREMENTAL`, set before the first table exists: pruning
//!   can hand freed pages back to the file system (`PRAGMA incremental_vacuum`).
//! - `foreign_keys=ON`: rasters and batches are tied to their jobs (below).
//! - `busy_timeout`: waits for locks instead of failing at once.
//! - `temp_store=MEMORY` on the writer: statement and savepoint journals
//!   (to undo one statement or one operation: a job update that may change
//!   its batch, a batch applied again with a savepoint per operation) live
//!   in memory, not in a temporary file; writing them there was about 8% of
//!   the hub's CPU under a submit burst when every job upsert kept one
//!   (issue #17; job inserts keep none now). Durability is the WAL's and
//!   is unchanged: such a journal never outlives its transaction.
//!
//! Foreign keys, decided: `jobs.printer_id` is **not** a foreign key.
//! Printers come from configuration as well as from the `printers` table,
//! and a job outlives its printer's removal (its history must stay
//! readable). `job_rasters.job_seq` references `jobs.seq` with `ON DELETE
//! CASCADE` (a pruned job takes its raster with it) and `jobs.batch_id`
//! references `batches.id` (a batch row exists for every batch a job names).
//! Audit and status rows reference nothing, so they survive a printer's
//! deletion.
//!
//! Threading: functions over a `&Connection` the caller owns.

use std::path::PathBuf;

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{Error as MigrationError, MigrationDefinitionError, Migrations, M};

use crate::error::StoreError;

/// Step 1: the initial schema.
const V1: &str = r#"
CREATE TABLE printers (
    id             TEXT PRIMARY KEY NOT NULL,
    slug           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    model          TEXT NOT NULL,
    address        TEXT NOT NULL,
    media          TEXT,
    snmp_community TEXT,
    defaults       TEXT NOT NULL DEFAULT '{}',
    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE printer_audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    printer_id  TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    before_json TEXT,
    after_json  TEXT
) STRICT;
CREATE INDEX printer_audit_printer ON printer_audit (printer_id, id);

CREATE TABLE batches (
    id         TEXT PRIMARY KEY NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE jobs (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    printer_id       TEXT NOT NULL,
    batch_id         TEXT REFERENCES batches (id),
    state            TEXT NOT NULL CHECK (state IN
                         ('queued', 'held', 'printing', 'completed', 'failed', 'cancelled', 'interrupted')),
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    state_changed_at INTEGER NOT NULL,
    error_code       TEXT,
    error_message    TEXT,
    error_detail     TEXT,
    parent_job_id    TEXT,
    retry_count      INTEGER NOT NULL DEFAULT 0,
    copies           INTEGER NOT NULL,
    copies_printed   INTEGER NOT NULL DEFAULT 0,
    confirmed        INTEGER NOT NULL DEFAULT 0,
    content_type     TEXT,
    template         TEXT,
    submitted_by     TEXT,
    source_address   TEXT,
    spec             TEXT NOT NULL
) STRICT;
CREATE INDEX jobs_printer_state_seq ON jobs (printer_id, state, seq);
CREATE INDEX jobs_state_finished ON jobs (state, finished_at);
CREATE INDEX jobs_batch ON jobs (batch_id);

CREATE TABLE job_rasters (
    job_seq INTEGER PRIMARY KEY REFERENCES jobs (seq) ON DELETE CASCADE,
    codec   TEXT NOT NULL,
    len     INTEGER NOT NULL,
    crc32   INTEGER NOT NULL,
    data    BLOB NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    printers     TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER
) STRICT;

CREATE TABLE printer_status (
    printer_id TEXT PRIMARY KEY NOT NULL,
    json       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
"#;

/// The schema steps, oldest first. Version N is the state after step N.
pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1).foreign_key_check(),
        M::up(V2),
        M::up(V3),
        M::up(V4),
    ])
}

/// Version 2: a per-key rate limit and the admin audit log (key and
/// printer changes made through the API, with the actor who made them).
const V2: &str = r#"
ALTER TABLE api_keys ADD COLUMN rate_limit INTEGER;

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT
) STRICT;
"#;

/// Version 3: a one-row heartbeat that readiness checks write (and commit)
/// to prove the database still takes writes.
const V3: &str = r#"
CREATE TABLE heartbeat (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    beats INTEGER NOT NULL
) STRICT;
"#;

/// Version 4, saved labels (issue #24): a print form saved under a name, for one
/// printer or for any (`printer_id` NULL). `name_key` is the name folded to
/// lower case by the store (Unicode, not only ASCII): names are unique
/// whatever their case. `request` is the label request as JSON.
const V4: &str = r#"
CREATE TABLE saved_labels (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    name_key   TEXT NOT NULL UNIQUE,
    printer_id TEXT,
    request    TEXT NOT NULL CHECK (json_valid(request)),
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
"#;

/// The schema version this build writes (the number of migration steps).
pub const SCHEMA_VERSION: i64 = 4;

/// Where the database lives.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    /// A file; opened without URI interpretation, so any path is literal.
    File(PathBuf),
    /// A process-private in-memory database shared by the store's
    /// connections through SQLite's `memdb` VFS (the name is unique).
    Memory(String),
}

impl Location {
    pub(crate) fn display(&self) -> String {
        match self {
            Location::File(path) => path.display().to_string(),
            Location::Memory(uri) => uri.clone(),
        }
    }

    pub(crate) fn is_file(&self) -> bool {
        matches!(self, Location::File(_))
    }

    fn open(&self, flags: OpenFlags) -> rusqlite::Result<Connection> {
        match self {
            Location::File(path) => Connection::open_with_flags(path, flags),
            Location::Memory(uri) => {
                Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
            }
        }
    }
}

/// Opens the writer connection with `flags`, configures it (see the module
/// doc) and migrates the schema.
pub(crate) fn open_writer(
    location: &Location,
    flags: OpenFlags,
    config: &crate::StoreConfig,
) -> Result<Connection, StoreError> {
    let name = location.display();
    let name = name.as_str();
    let open = |e| StoreError::open(name, e);
    let mut conn = location.open(flags).map_err(open)?;
    conn.busy_timeout(config.busy_timeout).map_err(open)?;
    if conn.is_readonly(rusqlite::MAIN_DB).map_err(open)? {
        return Err(StoreError::ReadOnly);
    }
    // Effective only before the first table is created, which is exactly
    // when it matters: a fresh database.
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")
        .map_err(open)?;
    if location.is_file() {
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open)?;
        if !mode.eq_ignore_ascii_case("wal") {
            log::warn!("{name}: journal_mode is {mode}, not wal; readers will wait for commits");
        }
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(open)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(open)?;
    conn.pragma_update(None, "temp_store", "MEMORY")
        .map_err(open)?;
    migrate(&mut conn)?;
    if let Some(pages) = config.max_pages {
        conn.pragma_update(None, "max_page_count", pages)
            .map_err(open)?;
    }
    Ok(conn)
}

/// Opens a read connection: read-only, same busy timeout.
pub(crate) fn open_reader(
    location: &Location,
    config: &crate::StoreConfig,
) -> Result<Connection, StoreError> {
    let name = location.display();
    let name = name.as_str();
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = location
        .open(flags)
        .map_err(|e| StoreError::open(name, e))?;
    conn.busy_timeout(config.busy_timeout)
        .map_err(|e| StoreError::open(name, e))?;
    // Readers look rows up by key; the file system caches the pages. A
    // small page cache per connection keeps a pool of them from holding
    // megabytes after a burst (issue #17).
    conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)
        .map_err(|e| StoreError::open(name, e))?;
    Ok(conn)
}

/// Each read connection's page cache, in KiB (SQLite's default is 2,000).
const READER_CACHE_KIB: i64 = 256;

/// The database's `user_version`.
pub(crate) fn user_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

/// Brings the schema to [`SCHEMA_VERSION`], or explains why not.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::Migration(format!(
            "the database has schema version {found}, but this build of printhub knows \
             versions up to {SCHEMA_VERSION}: it was written by a newer printhub. Refusing \
             to open it (it is never downgraded); run the newer printhub or restore a backup"
        )));
    }
    if found < 0 {
        return Err(StoreError::Migration(format!(
            "the database has an invalid schema version {found}"
        )));
    }
    migrations().to_latest(conn).map_err(|e| match e {
        MigrationError::MigrationDefinition(MigrationDefinitionError::DatabaseTooFarAhead) => {
            StoreError::Migration(format!(
                "the database schema is newer than this build knows ({SCHEMA_VERSION})"
            ))
        }
        MigrationError::RusqliteError { query, err } => match StoreError::from(err) {
            full @ (StoreError::Full | StoreError::ReadOnly) => full,
            other => StoreError::Migration(format!(
                "migrating from schema version {found} to {SCHEMA_VERSION} failed and was \
                 rolled back: {other} (in {query:?})"
            )),
        },
        other => StoreError::Migration(format!(
            "migrating from schema version {found} to {SCHEMA_VERSION} failed and was \
             rolled back: {other}"
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_match_the_version() {
        assert!(migrations().validate().is_ok());
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("migrate");
        assert_eq!(user_version(&conn).expect("version"), SCHEMA_VERSION);
        // A second run is a no-op.
        migrate(&mut conn).expect("migrate again");
    }

    #[test]
    fn the_state_check_lists_exactly_the_core_states() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("migrate");
        for state in printhub_core::JobState::ALL {
            conn.execute(
                "INSERT INTO jobs (id, printer_id, state, created_at, state_changed_at, copies, spec)
                 VALUES (?1, 'p', ?2, 0, 0, 1, '{}')",
                (state.as_str(), state.as_str()),
            )
            .expect("every core state is accepted");
        }
        assert!(conn
            .execute(
                "INSERT INTO jobs (id, printer_id, state, created_at, state_changed_at, copies, spec)
                 VALUES ('x', 'p', 'done', 0, 0, 1, '{}')",
                (),
            )
            .is_err());
    }

    #[test]
    fn the_writer_syncs_every_commit_and_keeps_statement_journals_in_memory() {
        let dir = tempfile::tempdir().expect("tmp");
        let location = Location::File(dir.path().join("printhub.db"));
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let conn = open_writer(&location, flags, &crate::StoreConfig::default()).expect("open");
        let number = |name: &str| -> i64 {
            conn.pragma_query_value(None, name, |row| row.get(0))
                .expect("pragma")
        };
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .expect("journal_mode");
        assert_eq!(mode, "wal");
        // SQLite's numbering: synchronous 2 = FULL, temp_store 2 = MEMORY.
        assert_eq!(number("synchronous"), 2);
        assert_eq!(number("temp_store"), 2);
        assert_eq!(number("foreign_keys"), 1);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("migrate");
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("set");
        let err = migrate(&mut conn).expect_err("refused");
        assert_eq!(err.code(), "store_migration_failed");
        assert!(err.to_string().contains("newer printhub"), "{err}");
        assert_eq!(user_version(&conn).expect("version"), SCHEMA_VERSION + 1);
    }
}
