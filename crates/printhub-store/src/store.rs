//! [`Store`]: the handle the rest of printhub uses. It owns the writer
//! thread (every write goes through it, see [`crate::writer`]) and the pool
//! of read connections (every read runs on the caller's thread, see
//! the private `read` module).
//!
//! Threading: `Store` is `Send + Sync`; share it behind an `Arc`. Writes
//! return a [`Commit`] at once (await it, or `wait` on it); the synchronous
//! convenience methods and every read block the calling thread, so call
//! them from a store actor, a blocking-task pool or a plain thread, never on
//! an async executor's thread. Dropping the store (or [`Store::close`])
//! lets the writer finish everything already enqueued, then joins it.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use printhub_core::{Job, JobId, PrinterId, Timestamp};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::codec::JobRow;
use crate::config::{JobQuery, RasterCodec, Retention, StoreConfig};
use crate::error::StoreError;
use crate::jobs::{self, LoadedJobs, LoadedMetadata, LoadedRestore};
use crate::keys::{self, ApiKeyRecord, AuditRecord};
use crate::printers::{
    self, AuditEntry, LoadedPrinters, PrinterRecord, PrinterStatusRecord, SaveOutcome,
};
use crate::read::Readers;
use crate::saved::{self, SavedLabelRecord};
use crate::schema::{self, Location};
use crate::writer::{Commit, Counters, Mode, Op, PauseSwitch, Writer, WriterPause, WriterStats};

/// The size of the database, in pages (for metrics and retention tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageStats {
    /// The page size in bytes.
    pub page_size: u64,
    /// Pages in the database (used and free).
    pub page_count: u64,
    /// Free pages not yet handed back to the file system.
    pub freelist_count: u64,
}

/// The durable spool: jobs, printers, audit and status in one SQLite file.
#[derive(Debug)]
pub struct Store {
    location: Location,
    raster_codec: RasterCodec,
    sender: Mutex<Option<Sender<Op>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Readers,
    pause: Arc<PauseSwitch>,
    counters: Arc<Counters>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, migrates it to
    /// this build's schema and starts the writer thread.
    ///
    /// Fails with [`StoreError::Migration`] when the database was written
    /// by a newer printhub or a migration fails, [`StoreError::ReadOnly`]
    /// when the file cannot be written, and [`StoreError::Open`] when it is
    /// not a usable database.
    ///
    /// The database holds key digests, upstream settings and who printed
    /// what: it is created (or tightened) to mode 0600 before SQLite opens
    /// it, and SQLite gives its `-wal` and `-shm` files the mode of the
    /// database file.
    pub fn open(path: &Path, config: StoreConfig) -> Result<Store, StoreError> {
        private_file(path)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let side = std::path::PathBuf::from(side);
            if side.exists() {
                private_file(&side)?;
            }
        }
        let location = Location::File(path.to_path_buf());
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Self::open_at(location, flags, config)
    }

    /// Opens a fresh database that lives in memory for as long as the store
    /// (for tests and demos). Same schema and behaviour, minus durability
    /// and WAL (readers briefly wait for commits instead).
    pub fn open_in_memory(config: StoreConfig) -> Result<Store, StoreError> {
        let n = MEMORY_DATABASES.fetch_add(1, Ordering::Relaxed);
        let uri = format!("file:/printhub-{}-{n}?vfs=memdb", std::process::id());
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Self::open_at(Location::Memory(uri), flags, config)
    }

    pub(crate) fn open_at(
        location: Location,
        flags: OpenFlags,
        config: StoreConfig,
    ) -> Result<Store, StoreError> {
        let conn = schema::open_writer(&location, flags, &config)?;
        let (sender, rx) = mpsc::channel();
        let pause = Arc::new(PauseSwitch::default());
        let counters = Arc::new(Counters::default());
        let writer = Writer {
            conn,
            rx,
            max_batch: config.max_batch,
            pause: Arc::clone(&pause),
            counters: Arc::clone(&counters),
        };
        let handle = std::thread::Builder::new()
            .name("printhub-store-writer".into())
            .spawn(move || writer.run())?;
        let store = Store {
            location: location.clone(),
            raster_codec: config.raster_codec,
            sender: Mutex::new(Some(sender)),
            writer: Mutex::new(Some(handle)),
            readers: Readers::new(location, config),
            pause,
            counters,
        };
        // Fail now, not at the first read, if readers cannot open.
        store.readers.with(|_| Ok(()))?;
        Ok(store)
    }

    /// Where the database lives (a path, or the in-memory database's URI).
    pub fn location(&self) -> String {
        self.location.display()
    }

    // ---- writes ---------------------------------------------------------

    /// Enqueues job snapshots (each inserted, or replacing the stored job of
    /// the same id while keeping its `seq`) and returns the [`Commit`] that
    /// resolves once the transaction containing them has committed. The
    /// jobs of one call are written together or not at all. Calls are
    /// applied, and resolve, in the order they were enqueued, which for
    /// calls from one thread is the order they were made. The raster is
    /// compressed on the calling thread before the call enqueues.
    pub fn commit(&self, jobs: Vec<Job>) -> Commit {
        let rows = match jobs
            .iter()
            .map(|job| JobRow::encode(job, self.raster_codec))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(rows) => rows,
            Err(e) => return Commit::ready(Err(e)),
        };
        let n = rows.len() as u64;
        self.submit(Mode::Transaction, n, move |conn| {
            jobs::upsert_jobs(conn, &rows)
        })
    }

    /// Registers or updates a printer and audits the change (`actor` is who
    /// made it). The store sets `created_at` (kept on update) and
    /// `updated_at`. Fails with [`StoreError::SlugTaken`] when another
    /// printer has the slug. Blocks until committed.
    pub fn save_printer(
        &self,
        printer: &PrinterRecord,
        actor: &str,
        now: Timestamp,
    ) -> Result<SaveOutcome, StoreError> {
        let printer = printer.clone();
        let actor = actor.to_owned();
        self.submit(Mode::Transaction, 0, move |conn| {
            printers::save_printer(conn, &printer, &actor, now)
        })
        .wait()
    }

    /// Removes a printer (and its last status) and audits it. Its jobs and
    /// audit rows stay. `Ok(false)` when there was no such printer. Blocks
    /// until committed.
    pub fn delete_printer(
        &self,
        id: PrinterId,
        actor: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let actor = actor.to_owned();
        self.submit(Mode::Transaction, 0, move |conn| {
            printers::delete_printer(conn, id, &actor, now)
        })
        .wait()
    }

    /// Stores a new API key and audits it in the same transaction. Blocks
    /// until committed.
    pub fn insert_api_key(
        &self,
        key: &ApiKeyRecord,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let key = key.clone();
        let audit = audit.clone();
        self.submit(Mode::Transaction, 0, move |conn| {
            keys::insert_key(conn, &key)?;
            keys::append_audit(conn, &audit).map(|_| ())
        })
        .wait()
    }

    /// Revokes a key (keeping the first revocation time) and audits it.
    /// `Ok(None)` when there is no such key (nothing is audited then).
    /// Blocks until committed.
    pub fn revoke_api_key(
        &self,
        id: &str,
        audit: &AuditRecord,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let id = id.to_owned();
        let audit = audit.clone();
        self.submit(Mode::Transaction, 0, move |conn| {
            let key = keys::revoke_key(conn, &id, audit.at)?;
            if key.is_some() {
                keys::append_audit(conn, &audit)?;
            }
            Ok(key)
        })
        .wait()
    }

    /// Records that a key was used at `now`. Returns at once.
    pub fn touch_api_key(&self, id: &str, now: Timestamp) -> Commit {
        let id = id.to_owned();
        self.submit(Mode::Transaction, 0, move |conn| {
            keys::touch_key(conn, &id, now)
        })
    }

    /// Appends one admin action to the audit log. Blocks until committed.
    pub fn append_audit(&self, record: &AuditRecord) -> Result<i64, StoreError> {
        let record = record.clone();
        self.submit(Mode::Transaction, 0, move |conn| {
            keys::append_audit(conn, &record)
        })
        .wait()
    }

    /// Stores a new saved label. Fails with [`StoreError::NameTaken`] when
    /// another label has the name (whatever its case). Blocks until committed.
    pub fn insert_saved_label(&self, label: &SavedLabelRecord) -> Result<(), StoreError> {
        let label = label.clone();
        self.submit(Mode::Transaction, 0, move |conn| {
            saved::insert(conn, &label)
        })
        .wait()
    }

    /// Replaces the name, printer and request of the saved label with
    /// `label.id` (its creator and creation time are kept) and returns it
    /// as stored; `Ok(None)` when there is no such label,
    /// [`StoreError::NameTaken`] when another label has the name. Blocks
    /// until committed.
    pub fn replace_saved_label(
        &self,
        label: &SavedLabelRecord,
    ) -> Result<Option<SavedLabelRecord>, StoreError> {
        let label = label.clone();
        self.submit(Mode::Transaction, 0, move |conn| {
            saved::replace(conn, &label)
        })
        .wait()
    }

    /// Deletes saved label `id` and returns it; `Ok(None)` when there was
    /// none. Blocks until committed.
    pub fn delete_saved_label(&self, id: &str) -> Result<Option<SavedLabelRecord>, StoreError> {
        let id = id.to_owned();
        self.submit(Mode::Transaction, 0, move |conn| saved::delete(conn, &id))
            .wait()
    }

    /// Stores the last status seen for `printer` (replacing the previous).
    /// Returns at once; the [`Commit`] resolves when it is durable.
    pub fn save_printer_status(
        &self,
        printer: PrinterId,
        status: &serde_json::Value,
        now: Timestamp,
    ) -> Commit {
        let status = status.to_string();
        self.submit(Mode::Transaction, 0, move |conn| {
            printers::save_status(conn, printer, &status, now)
        })
    }

    /// Deletes terminal jobs per `policy` (never queued, held or printing
    /// ones) with their rasters, then returns the freed pages to the file
    /// system (`incremental_vacuum`) and runs a passive checkpoint, which
    /// never waits for readers. Returns how many jobs were deleted. Blocks
    /// until done.
    pub fn prune(&self, policy: Retention, now: Timestamp) -> Result<usize, StoreError> {
        let deleted = self
            .submit(Mode::Transaction, 0, move |conn| {
                let deleted = jobs::prune(conn, policy, now)?;
                if deleted > 0 {
                    jobs::incremental_vacuum(conn)?;
                }
                Ok(deleted)
            })
            .wait()?;
        if deleted > 0 {
            self.run_checkpoint("PASSIVE")?;
        }
        Ok(deleted)
    }

    /// Proves the database still takes writes: bumps the one-row heartbeat
    /// through the writer like any other write, so the returned [`Commit`]
    /// resolves only once a real transaction (WAL write and fsync) has
    /// committed, or fails with the error a job commit would get now
    /// ([`StoreError::ReadOnly`], [`StoreError::Full`], ...). Concurrent
    /// probes share a group commit with each other and with jobs, so polling
    /// it costs at most one small row per commit. Returns at once.
    pub fn probe_writable(&self) -> Commit {
        self.submit(Mode::Transaction, 0, |conn: &Connection| {
            conn.execute(
                "INSERT INTO heartbeat (id, beats) VALUES (1, 1) \
                 ON CONFLICT (id) DO UPDATE SET beats = beats + 1",
                [],
            )?;
            Ok(())
        })
    }

    /// Copies the WAL into the database file and truncates the WAL. SQLite
    /// also checkpoints on its own as the WAL grows (without truncating);
    /// this is for maintenance and shutdown. It waits for open reads, up to
    /// the busy timeout, and holds the writer meanwhile.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.run_checkpoint("TRUNCATE")
    }

    fn run_checkpoint(&self, mode: &'static str) -> Result<(), StoreError> {
        if !self.location.is_file() {
            return Ok(());
        }
        self.submit(Mode::Direct, 0, move |conn: &Connection| {
            let mut stmt = conn.prepare(&format!("PRAGMA wal_checkpoint({mode})"))?;
            let mut rows = stmt.query([])?;
            while rows.next()?.is_some() {}
            Ok(())
        })
        .wait()
    }

    /// Resolves once everything enqueued before it has been applied (a
    /// barrier; writes nothing).
    pub fn flush(&self) -> Commit {
        self.submit(Mode::Direct, 0, |_conn: &Connection| Ok(()))
    }

    /// Holds the writer until the returned guard is dropped: operations keep
    /// queueing (their commits stay pending) but none is applied. For tests
    /// that need a deterministic batch, and for maintenance.
    pub fn pause_writer(&self) -> WriterPause<'_> {
        WriterPause::new(&self.pause)
    }

    /// What the writer has done since the store opened.
    pub fn stats(&self) -> WriterStats {
        self.counters.snapshot()
    }

    /// Fault injection for tests: makes the write connection refuse writes
    /// (`PRAGMA query_only`), as a database on a read-only mount would.
    #[doc(hidden)]
    pub fn simulate_read_only(&self, read_only: bool) -> Result<(), StoreError> {
        self.submit(Mode::Direct, 0, move |conn: &Connection| {
            conn.pragma_update(None, "query_only", read_only)?;
            Ok(())
        })
        .wait()
    }

    /// Stops the writer after everything enqueued has been applied, and
    /// reports whether it stopped cleanly. Dropping the store does the same
    /// without reporting.
    pub fn close(self) -> Result<(), StoreError> {
        self.shutdown()
    }

    fn shutdown(&self) -> Result<(), StoreError> {
        // Dropping the only sender ends the writer's loop once the channel
        // is empty.
        drop(self.sender.lock().unwrap_or_else(|e| e.into_inner()).take());
        let handle = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        match handle {
            Some(handle) => handle.join().map_err(|_| {
                StoreError::from(std::io::Error::other("the store writer thread panicked"))
            }),
            None => Ok(()),
        }
    }

    fn submit<T, F>(&self, mode: Mode, jobs: u64, f: F) -> Commit<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (op, commit) = Op::new(mode, jobs, f);
        let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        match sender.as_ref() {
            Some(sender) => match sender.send(op) {
                Ok(()) => self.counters.count_enqueued(),
                Err(mpsc::SendError(op)) => op.reject(StoreError::Closed),
            },
            None => op.reject(StoreError::Closed),
        }
        commit
    }

    // ---- reads ----------------------------------------------------------

    /// One job. A row that cannot be decoded is [`StoreError::Corrupt`].
    pub fn load_job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.readers.with(|conn| jobs::load_job(conn, id))
    }

    /// One job without its raster (`raster_released`), `None` for an
    /// unknown id: what shows a job or brings a parked one back, with no
    /// raster blob read.
    pub fn load_job_metadata_one(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.readers
            .with(|conn| jobs::load_job_metadata_one(conn, id))
    }

    /// [`Store::load_job_metadata_one`] for many jobs in one read
    /// transaction: those of `ids` the store has, in `ids` order, and the
    /// rows that failed to decode (an unknown id is neither).
    pub fn load_job_metadata_many(&self, ids: &[JobId]) -> Result<LoadedJobs, StoreError> {
        self.readers
            .snapshot(|conn| jobs::load_job_metadata_many(conn, ids))
    }

    /// Every job of `printer`, in `seq` (submission) order, plus the rows
    /// that failed to decode.
    pub fn load_printer_jobs(&self, printer: PrinterId) -> Result<LoadedJobs, StoreError> {
        self.readers
            .snapshot(|conn| jobs::load_printer_jobs(conn, printer))
    }

    /// Every job of `printer` (of every printer with `None`), in `seq`
    /// order, without rasters, plus the rows that failed to decode: what a
    /// start-up needs to rebuild its queues, in one statement that reads no
    /// raster blob. A job's raster comes with [`Store::load_raster`] when it
    /// is about to print.
    pub fn load_job_metadata(
        &self,
        printer: Option<PrinterId>,
    ) -> Result<LoadedMetadata, StoreError> {
        self.readers
            .snapshot(|conn| jobs::load_metadata(conn, printer))
    }

    /// What printer `printer` restarts from: its jobs in `seq` order
    /// without rasters, the queued ones beyond the first `whole_queued` to
    /// print as their places only (id, creation time, copies printed; no
    /// label request decoded), plus the rows that failed to decode. A long
    /// queue restarts in memory bounded by its head.
    pub fn load_restore(
        &self,
        printer: PrinterId,
        whole_queued: usize,
    ) -> Result<LoadedRestore, StoreError> {
        self.readers
            .snapshot(|conn| jobs::load_restore(conn, printer, whole_queued))
    }

    /// The raster of job `id`, its length and CRC-32 checked; `None` for an
    /// unknown job. A missing or damaged raster is [`StoreError::Corrupt`].
    pub fn load_raster(&self, id: JobId) -> Result<Option<Arc<Vec<u8>>>, StoreError> {
        self.readers.with(|conn| jobs::load_raster(conn, id))
    }

    /// The id and printer of every waiting or printing job, then of the
    /// newest `keep_ended` jobs that have ended (oldest first), each with
    /// whether it has ended; no job is decoded (rows whose ids do not parse
    /// are left out).
    pub fn load_job_index(
        &self,
        keep_ended: usize,
    ) -> Result<Vec<(JobId, PrinterId, bool)>, StoreError> {
        self.readers
            .with(|conn| jobs::load_job_index(conn, keep_ended))
    }

    /// The printer of job `id` (one column read); `None` for an unknown job.
    pub fn load_job_printer(&self, id: JobId) -> Result<Option<PrinterId>, StoreError> {
        self.readers.with(|conn| jobs::load_job_printer(conn, id))
    }

    /// Every job, in `seq` order, plus the rows that failed to decode.
    pub fn load_all_jobs(&self) -> Result<LoadedJobs, StoreError> {
        self.readers.snapshot(jobs::load_all_jobs)
    }

    /// Jobs matching `query`, newest first, plus the rows that failed to decode.
    pub fn list_jobs(&self, query: &JobQuery) -> Result<LoadedJobs, StoreError> {
        self.readers.snapshot(|conn| jobs::list_jobs(conn, query))
    }

    /// How many jobs match `query` (its `limit` and `offset` are ignored).
    pub fn count_jobs(&self, query: &JobQuery) -> Result<u64, StoreError> {
        self.readers.with(|conn| jobs::count_jobs(conn, query))
    }

    /// One page of [`Store::list_jobs`] and how many jobs match in all
    /// ([`Store::count_jobs`]), read in one read transaction so the two
    /// agree.
    pub fn page_jobs(&self, query: &JobQuery) -> Result<(LoadedJobs, u64), StoreError> {
        self.readers.snapshot(|conn| {
            let page = jobs::list_jobs(conn, query)?;
            let total = jobs::count_jobs(conn, query)?;
            Ok((page, total))
        })
    }

    /// One registered printer.
    pub fn load_printer(&self, id: PrinterId) -> Result<Option<PrinterRecord>, StoreError> {
        self.readers.with(|conn| printers::load_printer(conn, id))
    }

    /// Every registered printer, oldest first, plus rows that failed to decode.
    pub fn load_printers(&self) -> Result<LoadedPrinters, StoreError> {
        self.readers.with(printers::load_printers)
    }

    /// Audit rows, newest first: of one printer, or of all when `None`.
    pub fn load_printer_audit(
        &self,
        printer: Option<PrinterId>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.readers
            .with(|conn| printers::load_audit(conn, printer, limit))
    }

    /// Every API key, oldest first.
    pub fn load_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.readers.with(keys::load_keys)
    }

    /// The admin audit log, newest first, and its total length.
    pub fn load_audit_log(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<AuditRecord>, u64), StoreError> {
        self.readers
            .with(|conn| keys::load_audit_log(conn, limit, offset))
    }

    /// Saved label `id`, if there is one.
    pub fn load_saved_label(&self, id: &str) -> Result<Option<SavedLabelRecord>, StoreError> {
        self.readers.with(|conn| saved::load(conn, id))
    }

    /// Every saved label, sorted by name (whatever its case), then id.
    pub fn load_saved_labels(&self) -> Result<Vec<SavedLabelRecord>, StoreError> {
        self.readers.with(saved::load_all)
    }

    /// The last status saved for `printer`.
    pub fn load_printer_status(
        &self,
        printer: PrinterId,
    ) -> Result<Option<PrinterStatusRecord>, StoreError> {
        self.readers
            .with(|conn| printers::load_status(conn, printer))
    }

    /// The last status of every printer that has one.
    pub fn load_all_printer_status(&self) -> Result<Vec<PrinterStatusRecord>, StoreError> {
        self.readers.with(printers::load_all_status)
    }

    /// How many writability probes have committed since the database was
    /// created ([`Store::probe_writable`]).
    pub fn heartbeats(&self) -> Result<u64, StoreError> {
        self.readers.with(|conn| {
            let beats: Option<i64> = conn
                .query_row("SELECT beats FROM heartbeat WHERE id = 1", [], |r| r.get(0))
                .optional()?;
            Ok(beats.map_or(0, |b| u64::try_from(b).unwrap_or(0)))
        })
    }

    /// The database's size in pages.
    pub fn page_stats(&self) -> Result<PageStats, StoreError> {
        self.readers.with(|conn| {
            let get = |pragma: &str| -> Result<u64, StoreError> {
                let n: i64 = conn.pragma_query_value(None, pragma, |r| r.get(0))?;
                Ok(u64::try_from(n).unwrap_or(0))
            };
            Ok(PageStats {
                page_size: get("page_size")?,
                page_count: get("page_count")?,
                freelist_count: get("freelist_count")?,
            })
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.readers.with(schema::user_version)
    }
}

/// Distinguishes in-memory databases opened by one process.
static MEMORY_DATABASES: AtomicU64 = AtomicU64::new(0);

impl Drop for Store {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            log::error!("store: {e}");
        }
    }
}

/// Creates `path` with mode 0600 if it does not exist, or takes every right
/// but the owner's read and write from an existing file.
#[cfg(unix)]
fn private_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Only take rights away: a file made read-only stays so.
            let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
            if mode & !0o600 != 0 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o600))?;
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Other systems keep their default permissions.
#[cfg(not(unix))]
fn private_file(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handles_cross_threads() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<Store>();
        send::<Commit>();
        send::<Commit<usize>>();
        send_sync::<StoreError>();
    }

    #[test]
    fn a_database_that_opens_read_only_is_refused_with_read_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ro.db");
        drop(Store::open(&path, StoreConfig::default()).expect("create"));
        // As when the file or its mount is read-only: SQLite can only open it
        // for reading (root ignores file modes, so ask for read-only directly).
        let err = Store::open_at(
            Location::File(path.clone()),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            StoreConfig::default(),
        )
        .expect_err("refused");
        assert!(matches!(err, StoreError::ReadOnly), "{err:?}");
        assert_eq!(err.code(), "store_read_only");
    }

    #[test]
    fn the_in_memory_store_works_and_is_private() {
        let a = Store::open_in_memory(StoreConfig::default()).expect("open a");
        let b = Store::open_in_memory(StoreConfig::default()).expect("open b");
        let job = Job::new(
            JobId::from_u128(1),
            printhub_core::JobSpec::new(PrinterId::from_u128(1), "PT-P750W", "tze-12", vec![1]),
            Timestamp::from_millis(1),
        );
        a.commit(vec![job.clone()]).wait().expect("commit");
        assert_eq!(a.load_job(job.id).expect("load"), Some(job.clone()));
        assert_eq!(b.load_job(job.id).expect("load"), None);
        assert_eq!(a.schema_version().expect("version"), schema::SCHEMA_VERSION);
    }

    #[test]
    fn writes_after_close_are_refused_with_closed() {
        let store = Store::open_in_memory(StoreConfig::default()).expect("open");
        store.shutdown().expect("shutdown");
        let err = store.commit(Vec::new()).wait().expect_err("closed");
        assert!(matches!(err, StoreError::Closed));
    }
}
