//! # printhub-store
//!
//! printhub's durable spool: "a job the hub accepted prints, once, after
//! anything short of losing the disk". Jobs, registered printers (with an
//! audit trail), the last status of each printer, batches, API keys and
//! saved labels live
//! in one SQLite file, in WAL mode with `synchronous=FULL`, behind a
//! versioned schema ([`rusqlite_migration`], checked at every open).
//!
//! ```text
//!   any thread ──commit(jobs)──► channel ──► writer thread ──► SQLite (WAL, FULL)
//!        ▲                                   one transaction       │
//!        └──── Commit (await / wait) ◄────── per drained batch     │
//!   any thread ──load_* / list_jobs──► read connection pool ◄──────┘
//! ```
//!
//! Code map:
//! - [`store`]: [`Store`], the handle: open, writes (returning [`Commit`]), reads.
//! - [`writer`]: the writer thread and group commit; [`Commit`], [`WriterPause`], [`WriterStats`].
//! - `read` (private): the pool of read-only connections.
//! - `schema` (private): the migrations and connection settings (WAL, FULL,
//!   foreign keys, and why each), [`SCHEMA_VERSION`].
//! - `codec` (private): `Job` ⇄ row (columns + spec JSON + compressed raster).
//! - [`jobs`]: job SQL: upsert keeping `seq`, two-phase loads, listing, retention.
//! - [`printers`]: printers, audit with redaction, printer status.
//! - [`keys`]: API keys (hashes only) and the admin audit log.
//! - [`saved`]: saved labels (a print form kept under a name, issue #24).
//! - [`legacy`]: reading Label Printer Hub's database for `printhub import`.
//! - [`config`]: [`StoreConfig`], [`RasterCodec`], [`Retention`], [`JobQuery`].
//! - [`error`]: [`StoreError`] and its stable codes.
//!
//! **Architecture Invariant:** this is the only crate that touches SQL.
//! It depends on `printhub-core` for the domain types and on no async
//! runtime: its futures are `futures-channel` oneshots, usable from actix,
//! tokio or a plain thread ([`Commit::wait`]).
//!
//! **Architecture Invariant:** exactly one connection writes, on the
//! writer thread; every write is an operation in its FIFO channel, applied
//! in enqueue order. An operation is acknowledged only after the
//! transaction containing it has committed with `synchronous=FULL`, so an
//! acknowledged write survives a crash or power loss.
//!
//! **Architecture Invariant:** a job's `seq` is assigned at its first
//! insert and never changes or gets reused; loads return jobs in `seq`
//! order, which is submission order.
//!
//! **Architecture Invariant:** a row that cannot be decoded fails alone:
//! multi-row loads report it as a [`CorruptRow`] and return the rest; no
//! corrupt row stops a start-up.
//!
//! **Architecture Invariant:** the store keeps snapshots, it does not
//! decide. Job state transitions, restart recovery (`printing` →
//! `interrupted`) and queue order beyond `seq` belong to `printhub-core`.
//! Retention deletes only terminal jobs.
//!
//! ```
//! use printhub_core::{Job, JobId, JobSpec, PrinterId, Timestamp};
//! use printhub_store::{Store, StoreConfig};
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(&dir.path().join("printhub.db"), StoreConfig::default())?;
//! let printer = PrinterId::from_u128(1);
//! let job = Job::new(
//!     JobId::from_u128(7),
//!     JobSpec::new(printer, "PT-P750W", "tze-12", vec![0x1b, 0x40]),
//!     Timestamp::from_millis(0),
//! );
//! store.commit(vec![job.clone()]).wait()?; // durable from here on
//! assert_eq!(store.load_printer_jobs(printer)?.jobs, vec![job]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod codec;
pub mod config;
pub mod error;
pub mod jobs;
pub mod keys;
pub mod legacy;
pub mod printers;
mod read;
pub mod saved;
mod schema;
pub mod store;
pub mod writer;

pub use config::{JobQuery, RasterCodec, Retention, StoreConfig};
pub use error::{StoreCode, StoreError};
pub use jobs::{CorruptRow, JobMetadata, LoadedJobs, LoadedMetadata, LoadedRestore};
pub use keys::{ApiKeyRecord, AuditRecord};
pub use printers::{
    AuditAction, AuditEntry, LoadedPrinters, PrinterRecord, PrinterStatusRecord, SaveOutcome,
    REDACTED,
};
pub use saved::SavedLabelRecord;
pub use schema::SCHEMA_VERSION;
pub use store::{PageStats, Store};
pub use writer::{Commit, WriterPause, WriterStats, SOLO_JOBS};
