//! Read connections: a small pool of read-only connections used from the
//! caller's thread. In WAL mode each read sees the last committed state and
//! neither waits for the writer nor makes it wait.
//!
//! A read that needs a consistent view across several statements (the
//! two-phase job loads) runs inside [`Readers::snapshot`], one read
//! transaction.
//!
//! Threading: `Readers` is `Send + Sync`; a connection is used by one thread
//! at a time (it is taken out of the pool for the duration of the call).
//! Reads block the calling thread: call them from a store actor, a
//! blocking-task pool or a plain thread, not on an async executor's thread.

use std::sync::Mutex;

use rusqlite::Connection;

use crate::config::StoreConfig;
use crate::error::StoreError;
use crate::schema::{self, Location};

/// Idle read connections, opened on demand.
#[derive(Debug)]
pub(crate) struct Readers {
    location: Location,
    config: StoreConfig,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(location: Location, config: StoreConfig) -> Self {
        Self {
            location,
            config,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on a pooled read connection.
    pub(crate) fn with<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => schema::open_reader(&self.location, &self.config)?,
        };
        let result = f(&conn);
        if conn.is_autocommit() {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < self.config.read_connections {
                idle.push(conn);
            }
        }
        result
    }

    /// Runs `f` inside one read transaction, so every statement in it sees
    /// the same committed state.
    pub(crate) fn snapshot<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.with(|conn| {
            conn.execute_batch("BEGIN DEFERRED")?;
            let result = f(conn);
            // A read transaction has nothing to keep; ending it can only
            // fail if it is already gone.
            let _ = conn.execute_batch("ROLLBACK");
            result
        })
    }
}
