//! Shared helpers: temporary stores, job factories, raw SQL access.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use printhub_core::{BatchId, Job, JobCommand, JobId, JobSpec, PrinterId, Timestamp};
use printhub_store::{Store, StoreConfig};
use tempfile::TempDir;

/// A store on a fresh file, with the directory that holds it.
pub struct TempStore {
    pub dir: TempDir,
    pub path: PathBuf,
    pub store: Store,
}

impl TempStore {
    pub fn new() -> Self {
        Self::with_config(StoreConfig::default())
    }

    pub fn with_config(config: StoreConfig) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("printhub.db");
        let store = Store::open(&path, config).expect("open store");
        Self { dir, path, store }
    }

    /// Closes the store and opens the same file again.
    pub fn reopen(self) -> Self {
        let TempStore { dir, path, store } = self;
        store.close().expect("close");
        let store = Store::open(&path, StoreConfig::default()).expect("reopen");
        Self { dir, path, store }
    }

    /// A separate, plain SQLite connection to the same file.
    pub fn raw(&self) -> rusqlite::Connection {
        raw(&self.path)
    }
}

pub fn raw(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("raw open");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy timeout");
    conn
}

pub fn printer(n: u128) -> PrinterId {
    PrinterId::from_u128(n)
}

/// Deterministic, poorly compressible bytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A queued job `n` for `printer`, created at `n` ms, with a small raster.
pub fn job(n: u128, printer: PrinterId) -> Job {
    let raster: Vec<u8> = (0..256u32)
        .map(|i| ((i as u128 * 31 + n) % 251) as u8)
        .collect();
    let spec = JobSpec::new(printer, "PT-P750W", "tze-12", raster);
    Job::new(JobId::from_u128(n), spec, Timestamp::from_millis(n as i64))
}

/// Job `n` in batch `batch`.
pub fn batch_job(n: u128, printer: PrinterId, batch: BatchId) -> Job {
    let mut j = job(n, printer);
    j.spec.batch_id = Some(batch);
    j
}

/// `job` moved to `completed` at `at`.
pub fn completed(mut job: Job, at: i64) -> Job {
    job.apply(JobCommand::Start, Timestamp::from_millis(at))
        .expect("start");
    job.copies_printed = job.spec.copies;
    job.apply(JobCommand::Complete, Timestamp::from_millis(at))
        .expect("complete");
    job
}

/// `job` with a raster of `len` noisy bytes.
pub fn with_raster(mut job: Job, len: usize, seed: u64) -> Job {
    job.spec.raster = Arc::new(noise(len, seed));
    job
}

/// The `seq` the database gave `id`.
pub fn seq_of(conn: &rusqlite::Connection, id: JobId) -> i64 {
    conn.query_row(
        "SELECT seq FROM jobs WHERE id = ?1",
        [id.to_string()],
        |r| r.get(0),
    )
    .expect("seq")
}
