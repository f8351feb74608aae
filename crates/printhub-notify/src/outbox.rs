//! The durable outbox: one folder per target under the hub's data folder,
//! one file per notification still to deliver, named
//! `<created unix ms, 16 digits>-<sequence, 8 digits>.json` so that name
//! order is creation order. A file holds the exact body that is signed and
//! sent, written to a temporary name, synced and renamed (then the folder
//! synced), so a crash leaves either the whole notification or none.
//! Delivered notifications are removed.
//!
//! Blocking file I/O: callers run these methods off async threads
//! (`spawn_blocking`). An outbox holds at most `capacity` files; beyond
//! that [`Outbox::push`] refuses ([`OutboxError::Full`]), so a target that
//! is down for weeks cannot fill the disk.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use printhub_core::Timestamp;

/// Why the outbox could not take or give a notification.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The folder or a file could not be read or written.
    #[error("outbox {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The outbox holds `capacity` notifications already.
    #[error("outbox {path} is full ({capacity} notifications wait)")]
    Full {
        /// The folder.
        path: PathBuf,
        /// Its capacity.
        capacity: usize,
    },
}

impl OutboxError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            OutboxError::Io { .. } => "outbox_io",
            OutboxError::Full { .. } => "outbox_full",
        }
    }
}

/// One stored notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its file.
    pub path: PathBuf,
    /// The body to send (and sign).
    pub body: String,
    /// When it was stored.
    pub created: Timestamp,
}

/// One target's outbox folder.
#[derive(Debug)]
pub struct Outbox {
    dir: PathBuf,
    capacity: usize,
    len: AtomicUsize,
    seq: AtomicU64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutboxError + '_ {
    move |source| OutboxError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Outbox {
    /// Opens (creating) `dir`; leftovers of interrupted writes are removed.
    pub fn open(dir: &Path, capacity: usize) -> Result<Outbox, OutboxError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let mut len = 0;
        for entry in fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            match path.extension().and_then(|e| e.to_str()) {
                Some("json") => len += 1,
                Some("tmp") => {
                    let _ = fs::remove_file(&path);
                }
                _ => {}
            }
        }
        Ok(Outbox {
            dir: dir.to_path_buf(),
            capacity,
            len: AtomicUsize::new(len),
            seq: AtomicU64::new(0),
        })
    }

    /// How many notifications wait.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::SeqCst)
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stores `body`, durably, before it is first sent.
    pub fn push(&self, body: &str, now: Timestamp) -> Result<Entry, OutboxError> {
        if self.len() >= self.capacity {
            return Err(OutboxError::Full {
                path: self.dir.clone(),
                capacity: self.capacity,
            });
        }
        let seq = self.seq.fetch_add(1, Ordering::SeqCst) % 100_000_000;
        let name = format!("{:016}-{seq:08}", now.as_millis().max(0));
        let path = self.dir.join(format!("{name}.json"));
        let tmp = self.dir.join(format!("{name}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(body.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            fs::File::open(&self.dir)?.sync_all()
        };
        write().map_err(io(&path))?;
        self.len.fetch_add(1, Ordering::SeqCst);
        Ok(Entry {
            path,
            body: body.to_string(),
            created: now,
        })
    }

    /// The oldest waiting notification.
    pub fn oldest(&self) -> Result<Option<Entry>, OutboxError> {
        let mut names: Vec<PathBuf> = fs::read_dir(&self.dir)
            .map_err(io(&self.dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
            .collect();
        names.sort();
        let Some(path) = names.into_iter().next() else {
            return Ok(None);
        };
        let body = fs::read_to_string(&path).map_err(io(&path))?;
        let created = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.split('-').next())
            .and_then(|ms| ms.parse::<i64>().ok())
            .map_or(Timestamp::EPOCH, Timestamp::from_millis);
        Ok(Some(Entry {
            path,
            body,
            created,
        }))
    }

    /// Removes a delivered (or abandoned) notification.
    pub fn remove(&self, entry: &Entry) -> Result<(), OutboxError> {
        match fs::remove_file(&entry.path) {
            Ok(()) => {
                self.len.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&entry.path)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_come_out_in_order_and_survive_reopening() {
        let dir = tempfile::tempdir().expect("tmp");
        let outbox = Outbox::open(dir.path(), 10).expect("open");
        assert!(outbox.oldest().expect("read").is_none());
        outbox
            .push("first", Timestamp::from_millis(5))
            .expect("push");
        outbox
            .push("second", Timestamp::from_millis(5))
            .expect("push");
        outbox
            .push("third", Timestamp::from_millis(6))
            .expect("push");
        // A write that was interrupted before its rename is not a notification.
        fs::write(dir.path().join("0000000000000001-00000000.tmp"), "torn").expect("tmp");
        drop(outbox);
        let outbox = Outbox::open(dir.path(), 10).expect("reopen");
        assert_eq!(outbox.len(), 3);
        let mut bodies = Vec::new();
        while let Some(e) = outbox.oldest().expect("read") {
            bodies.push(e.body.clone());
            outbox.remove(&e).expect("remove");
        }
        assert_eq!(bodies, ["first", "second", "third"]);
        assert!(outbox.is_empty());
    }

    #[test]
    fn a_full_outbox_refuses() {
        let dir = tempfile::tempdir().expect("tmp");
        let outbox = Outbox::open(dir.path(), 1).expect("open");
        outbox.push("a", Timestamp::from_millis(1)).expect("push");
        let err = outbox
            .push("b", Timestamp::from_millis(2))
            .expect_err("full");
        assert_eq!(err.code(), "outbox_full");
    }
}
