//! The audit log of admin actions (key changes, printer changes made
//! through the API): appended and read through the store. No HTTP here: the
//! errors are the store's.
//!
//! Threading: `Send + Sync`; every call blocks the calling thread on the
//! store (call it in `web::block`).

use std::sync::Arc;

use printhub_store::{AuditRecord, Store, StoreError};

use super::ring::now;

/// The audit log over the store's `audit_log` table.
#[derive(Debug)]
pub struct AuditLog {
    store: Arc<Store>,
}

impl AuditLog {
    /// The log kept in `store`.
    pub fn new(store: Arc<Store>) -> Self {
        AuditLog { store }
    }

    /// Appends one action by `actor` on `target`, stamped now. Blocks.
    pub fn append(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: Option<serde_json::Value>,
    ) -> Result<(), StoreError> {
        let record = AuditRecord {
            id: 0,
            at: now(),
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            detail,
        };
        self.store.append_audit(&record).map(|_| ())
    }

    /// One page of the log, newest first, and its length. Blocks.
    pub fn page(&self, limit: usize, offset: usize) -> Result<(Vec<AuditRecord>, u64), StoreError> {
        self.store.load_audit_log(limit, offset)
    }
}
