//! [`StoreError`]: every way the store can fail, each with a stable machine
//! code ([`StoreError::code`], typed as [`StoreCode`] by
//! [`StoreError::kind`]) that the gateway maps to an HTTP status.
//!
//! The error is `Clone`: one failed transaction answers every
//! [`Commit`](crate::Commit) that was in it, so the SQLite error is shared
//! behind an `Arc` instead of being owned by one caller.
//!
//! SQLite failures are classified where they are converted
//! ([`From<rusqlite::Error>`]): `SQLITE_FULL` becomes [`StoreError::Full`]
//! and `SQLITE_READONLY` becomes [`StoreError::ReadOnly`], so callers match
//! on what happened rather than on SQLite's numbers.
//!
//! Threading: plain data, `Send + Sync`.

use std::sync::Arc;

use rusqlite::ErrorCode;
use thiserror::Error;

/// A store failure.
#[derive(Debug, Clone, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An SQLite call failed in a way no more specific variant describes.
    #[error("sqlite error: {0}")]
    Sqlite(#[source] Arc<rusqlite::Error>),
    /// The database file could not be opened as a printhub database.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The path that was opened.
        path: String,
        /// Why it failed.
        #[source]
        source: Arc<rusqlite::Error>,
    },
    /// The schema could not be brought to this build's version: a migration
    /// failed (and was rolled back), or the database was written by a newer
    /// printhub. The database is never downgraded.
    #[error("database migration: {0}")]
    Migration(String),
    /// A stored row could not be decoded. Loads that return many rows report
    /// these per row instead (see [`CorruptRow`](crate::CorruptRow)).
    #[error("stored row {id} is corrupt: {reason}")]
    Corrupt {
        /// The row's id (a job or printer id, or `seq N` when even the id is unreadable).
        id: String,
        /// What could not be decoded.
        reason: String,
    },
    /// The disk, or the size cap set by [`StoreConfig::max_pages`](crate::StoreConfig::max_pages),
    /// is full. The transaction was rolled back; reads keep working, and
    /// writes work again once space is freed (for example by pruning).
    #[error("the database is full (disk full or size cap reached); nothing was written")]
    Full,
    /// The database cannot be written (read-only file, directory or mount).
    #[error("the database is read-only; nothing was written")]
    ReadOnly,
    /// The store's writer has stopped (the store was closed).
    #[error("the store is closed")]
    Closed,
    /// A value could not be encoded for storage.
    #[error("cannot encode {what}: {reason}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// Another printer already uses this slug.
    #[error("printer slug {slug:?} is already used by printer {existing}")]
    SlugTaken {
        /// The slug asked for.
        slug: String,
        /// The id of the printer that has it.
        existing: String,
    },
    /// Another saved label already has this name (whatever its case).
    #[error("a saved label is already called {name:?} (label {existing})")]
    NameTaken {
        /// The name asked for.
        name: String,
        /// The id of the label that has it.
        existing: String,
    },
    /// An operating-system call failed (starting the writer thread).
    #[error("i/o error: {0}")]
    Io(#[source] Arc<std::io::Error>),
    /// A database to import is not one printhub reads (not Label Printer
    /// Hub's, or at another schema version): what was found.
    #[error("{0}")]
    Legacy(String),
}

impl StoreError {
    /// The typed code: what callers match on (exhaustively) instead of text.
    pub fn kind(&self) -> StoreCode {
        match self {
            StoreError::Sqlite(_) => StoreCode::Error,
            StoreError::Open { .. } => StoreCode::OpenFailed,
            StoreError::Migration(_) => StoreCode::MigrationFailed,
            StoreError::Corrupt { .. } => StoreCode::Corrupt,
            StoreError::Full => StoreCode::Full,
            StoreError::ReadOnly => StoreCode::ReadOnly,
            StoreError::Closed => StoreCode::Closed,
            StoreError::Encode { .. } => StoreCode::EncodeFailed,
            StoreError::SlugTaken { .. } => StoreCode::PrinterExists,
            StoreError::NameTaken { .. } => StoreCode::SavedLabelExists,
            StoreError::Io(_) => StoreCode::Io,
            StoreError::Legacy(_) => StoreCode::LegacySchema,
        }
    }

    /// The stable snake_case machine code (`self.kind().code()`).
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// The error for opening `path`, keeping `Full`/`ReadOnly` classification.
    pub(crate) fn open(path: &str, e: rusqlite::Error) -> StoreError {
        match StoreError::from(e) {
            StoreError::Sqlite(source) => StoreError::Open {
                path: path.to_owned(),
                source,
            },
            other => other,
        }
    }

    /// A corrupt-row error.
    pub(crate) fn corrupt(id: impl Into<String>, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            id: id.into(),
            reason: reason.into(),
        }
    }
}

/// The stable code of a [`StoreError`], one per kind of failure.
///
/// Deliberately not `#[non_exhaustive]`: a caller that maps codes (the HTTP
/// gateway chooses a status per code) matches every variant, so a new code
/// fails its build until it has been given an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StoreCode {
    /// `store_error`: an SQLite failure no other code describes.
    Error,
    /// `store_open_failed`: the file is not a printhub database.
    OpenFailed,
    /// `store_migration_failed`: the schema could not be brought up to date.
    MigrationFailed,
    /// `store_corrupt`: a stored row cannot be decoded.
    Corrupt,
    /// `store_full`: the disk or the size cap is full.
    Full,
    /// `store_read_only`: the database cannot be written.
    ReadOnly,
    /// `store_closed`: the writer has stopped.
    Closed,
    /// `store_encode_failed`: a value could not be encoded for storage.
    EncodeFailed,
    /// `printer_exists`: another printer has the slug.
    PrinterExists,
    /// `saved_label_exists`: another saved label has the name.
    SavedLabelExists,
    /// `store_io`: an operating-system call failed.
    Io,
    /// `legacy_schema`: a Label Printer Hub database printhub cannot import
    /// (another schema version, or rows it cannot read).
    LegacySchema,
}

impl StoreCode {
    /// Every code, once.
    pub const ALL: [StoreCode; 12] = [
        StoreCode::Error,
        StoreCode::OpenFailed,
        StoreCode::MigrationFailed,
        StoreCode::Corrupt,
        StoreCode::Full,
        StoreCode::ReadOnly,
        StoreCode::Closed,
        StoreCode::EncodeFailed,
        StoreCode::PrinterExists,
        StoreCode::SavedLabelExists,
        StoreCode::Io,
        StoreCode::LegacySchema,
    ];

    /// The stable snake_case string.
    pub const fn code(self) -> &'static str {
        match self {
            StoreCode::Error => "store_error",
            StoreCode::OpenFailed => "store_open_failed",
            StoreCode::MigrationFailed => "store_migration_failed",
            StoreCode::Corrupt => "store_corrupt",
            StoreCode::Full => "store_full",
            StoreCode::ReadOnly => "store_read_only",
            StoreCode::Closed => "store_closed",
            StoreCode::EncodeFailed => "store_encode_failed",
            StoreCode::PrinterExists => "printer_exists",
            StoreCode::SavedLabelExists => "saved_label_exists",
            StoreCode::Io => "store_io",
            StoreCode::LegacySchema => "legacy_schema",
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::Full,
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly,
            _ => StoreError::Sqlite(Arc::new(e)),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Io(Arc::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn sqlite_codes_are_classified() {
        let cases = [
            (rusqlite::ffi::SQLITE_FULL, "store_full"),
            (rusqlite::ffi::SQLITE_READONLY, "store_read_only"),
            (rusqlite::ffi::SQLITE_BUSY, "store_error"),
            (rusqlite::ffi::SQLITE_CORRUPT, "store_error"),
        ];
        for (code, expected) in cases {
            assert_eq!(StoreError::from(failure(code)).code(), expected, "{code}");
        }
        assert_eq!(
            StoreError::open("x.db", failure(rusqlite::ffi::SQLITE_NOTADB)).code(),
            "store_open_failed"
        );
        assert_eq!(
            StoreError::open("x.db", failure(rusqlite::ffi::SQLITE_READONLY)).code(),
            "store_read_only"
        );
    }

    #[test]
    fn every_variant_has_a_distinct_code() {
        let errors = [
            StoreError::Sqlite(Arc::new(failure(rusqlite::ffi::SQLITE_BUSY))),
            StoreError::open("x", failure(rusqlite::ffi::SQLITE_NOTADB)),
            StoreError::Migration("m".into()),
            StoreError::corrupt("j", "r"),
            StoreError::Full,
            StoreError::ReadOnly,
            StoreError::Closed,
            StoreError::Encode {
                what: "job",
                reason: "r".into(),
            },
            StoreError::SlugTaken {
                slug: "s".into(),
                existing: "e".into(),
            },
            StoreError::NameTaken {
                name: "n".into(),
                existing: "e".into(),
            },
            StoreError::from(std::io::Error::other("x")),
            StoreError::Legacy("schema 0000".into()),
        ];
        let mut codes: Vec<_> = errors.iter().map(StoreError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        // Every typed code is some variant's, and its string is that variant's code.
        let mut kinds: Vec<StoreCode> = errors.iter().map(StoreError::kind).collect();
        kinds.sort_unstable();
        assert_eq!(kinds, {
            let mut all = StoreCode::ALL.to_vec();
            all.sort_unstable();
            all
        });
    }
}
