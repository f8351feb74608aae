//! Plain-data inputs: how to open the store ([`StoreConfig`]), what to prune
//! ([`Retention`]) and which jobs to list ([`JobQuery`]).
//!
//! Threading: plain data, `Send + Sync`.

use std::time::Duration;

use printhub_core::{BatchId, JobState, PrinterId, Timestamp};

/// How the store opens and runs its database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// How long a connection waits for a lock held by another connection
    /// (SQLite `busy_timeout`) before failing with a busy error.
    pub busy_timeout: Duration,
    /// The most queued operations (one [`Store::commit`](crate::Store::commit)
    /// call is one operation) the writer puts into one transaction. `1`
    /// turns group commit off: one transaction, and one fsync, per operation.
    /// `0` is treated as `1`.
    pub max_batch: usize,
    /// How many idle read connections are kept open for reuse.
    pub read_connections: usize,
    /// A size cap in database pages (SQLite `max_page_count`, set on the
    /// writer connection at every open; it is not stored in the file). Writes
    /// that would grow the database beyond it fail with
    /// [`StoreError::Full`](crate::StoreError::Full), exactly like a full disk.
    pub max_pages: Option<u32>,
    /// How stored rasters are compressed. Rows written with any codec are
    /// read back whatever this says.
    pub raster_codec: RasterCodec,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            max_batch: 1024,
            read_connections: 4,
            max_pages: None,
            raster_codec: RasterCodec::Lz4,
        }
    }
}

/// How a raster is compressed in `job_rasters` (its `codec` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RasterCodec {
    /// Stored as it is (`raw`).
    Raw,
    /// LZ4 block format (`lz4`), the default. Rasters are already
    /// PackBits-compressed; on the 12 mm QR label raster of the `codec`
    /// bench (2,873 bytes) LZ4 keeps 1,145 bytes in 2.5 µs where zlib level
    /// 1, its compressor reused, keeps 991 in 6.7–7.1 µs (medians on one machine; with the thread's
    /// caches shared with everything else an actor does, zlib's 128 KiB
    /// hash table reset costs more). The compression runs on the printer's
    /// actor thread for every job it queues (issue #17).
    Lz4,
    /// zlib (`zlib`) at `level`, 1 fastest ..= 9 smallest: the smallest
    /// rows, for a store that holds many jobs and queues few.
    Zlib {
        /// 1..=9 (a level outside is taken as the nearest).
        level: u32,
    },
}

/// Which terminal jobs [`Store::prune`](crate::Store::prune) deletes.
///
/// A terminal job (completed, failed, cancelled, interrupted) is deleted
/// when it finished more than `max_age_ms` before `now`, or when it is not
/// among the `max_terminal` most recently finished terminal jobs. Queued,
/// held and printing jobs are never deleted. `None` disables a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    /// Delete terminal jobs that finished more than this many milliseconds ago.
    pub max_age_ms: Option<i64>,
    /// Keep at most this many terminal jobs (the most recently finished).
    pub max_terminal: Option<usize>,
}

/// A filter for [`Store::list_jobs`](crate::Store::list_jobs) and
/// [`Store::count_jobs`](crate::Store::count_jobs). Every set field must
/// match; results are newest first (highest `seq` first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobQuery {
    /// Only jobs for this printer.
    pub printer: Option<PrinterId>,
    /// Only jobs for one of these printers (an API key's allow-list;
    /// `Some` of an empty list matches nothing).
    pub printers: Option<Vec<PrinterId>>,
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only jobs of this batch.
    pub batch: Option<BatchId>,
    /// Only jobs created at or after this instant.
    pub since: Option<Timestamp>,
    /// At most this many jobs (`None`: all). Ignored by `count_jobs`.
    pub limit: Option<usize>,
    /// Skip this many matching jobs first. Ignored by `count_jobs`.
    pub offset: usize,
}
