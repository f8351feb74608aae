//! The background checkpointer: copies the WAL back into the database file
//! on its own thread and connection, so the writer never does it inside a
//! commit.
//!
//! SQLite's own auto-checkpoint runs in the `COMMIT` that takes the WAL past
//! 1,000 pages: that commit, and every operation queued behind it, waits
//! for the copy and the database file's fsync. In a fill (issue #17) that
//! was a stall of every submitter several times a second. Here the writer's
//! connection has a WAL hook in place of the auto-checkpoint (installing a
//! hook replaces it): the hook notes the WAL's size, and after a commit that
//! leaves it at [`CHECKPOINT_PAGES`] or more the writer kicks this thread,
//! which runs a `PASSIVE` checkpoint. A passive checkpoint takes no write
//! lock, so the writer keeps committing meanwhile; SQLite restarts the WAL
//! from its start at the first write after a checkpoint that caught up.
//!
//! Durability does not change: a commit is acknowledged after the WAL's
//! fsync, as before; a checkpoint syncs the database file before it counts
//! frames as copied. Explicit checkpoints (`Store::checkpoint`, maintenance)
//! still run on the writer.

use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::writer::Counters;

/// The WAL size, in pages, that starts a checkpoint: SQLite's default for
/// its auto-checkpoint.
pub(crate) const CHECKPOINT_PAGES: i32 = 1000;

thread_local! {
    /// The WAL size after the last commit on this thread's connection, as
    /// the WAL hook reported it (the writer's thread only).
    static WAL_PAGES: Cell<i32> = const { Cell::new(0) };
}

/// The WAL hook: a plain function (SQLite calls it after every commit on
/// the writer's thread), so the size goes through a thread-local.
fn note_wal_size(_wal: &rusqlite::hooks::Wal, pages: std::ffi::c_int) -> rusqlite::Result<()> {
    WAL_PAGES.with(|p| p.set(pages));
    Ok(())
}

/// The writer's end: installed on its connection, asked after each commit.
#[derive(Debug)]
pub(crate) struct Kick {
    tx: SyncSender<()>,
}

impl Kick {
    /// Replaces `conn`'s auto-checkpoint with the size-noting hook.
    pub(crate) fn install(conn: &Connection, tx: SyncSender<()>) -> Kick {
        conn.wal_hook(Some(note_wal_size));
        Kick { tx }
    }

    /// After a commit: wakes the checkpointer when the WAL has grown to
    /// [`CHECKPOINT_PAGES`]. Never waits (a kick already pending is enough).
    pub(crate) fn after_commit(&self) {
        let pages = WAL_PAGES.with(|p| p.replace(0));
        if pages >= CHECKPOINT_PAGES {
            match self.tx.try_send(()) {
                Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
            }
        }
    }
}

/// Starts the checkpointer on `conn` (its own read-write connection to the
/// file): the writer's [`Kick`] end is made from the returned sender. The
/// thread ends when that sender is dropped (the writer stopped).
pub(crate) fn start(
    conn: Connection,
    counters: Arc<Counters>,
) -> std::io::Result<(SyncSender<()>, JoinHandle<()>)> {
    let (tx, rx) = mpsc::sync_channel(1);
    let handle = std::thread::Builder::new()
        .name("printhub-store-checkpoint".into())
        .spawn(move || run(&conn, &rx, &counters))?;
    Ok((tx, handle))
}

fn run(conn: &Connection, kicks: &Receiver<()>, counters: &Counters) {
    while kicks.recv().is_ok() {
        match passive_checkpoint(conn) {
            Ok((wal, copied)) => {
                counters.checkpoints.fetch_add(1, Ordering::AcqRel);
                log::debug!("store: checkpointed {copied} of {wal} WAL pages");
            }
            // A later kick tries again; the WAL only grows meanwhile.
            Err(e) => log::warn!("store: background checkpoint failed: {e}"),
        }
    }
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: the WAL's pages and how many of them
/// are now in the database file.
fn passive_checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}
