//! The key ring: every API key, loaded from the store (digests only, never
//! a secret) and kept in step with it; creating, revoking and listing keys,
//! each change stored with its audit row. [`KeyRing`] knows nothing of HTTP:
//! its errors are [`KeyError`] values with stable codes, which the HTTP side
//! answers (`From<KeyError> for ApiError`) and `printhub keys` prints.
//!
//! Threading: `KeyRing` is `Send + Sync`; lookups read an in-memory map
//! (no store, no hashing); changes and reloads write through the store and
//! block the calling thread (call them in `web::block` or before serving).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use printhub_core::{PrinterId, Timestamp};
use printhub_store::{ApiKeyRecord, AuditRecord, Store, StoreError};

use super::keys;
use super::scope::Scope;

/// Now, as a core timestamp.
pub fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Timestamp::from_millis(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// Why a key change or a key request was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A field of a new key breaks its rule.
    #[error("{message}")]
    Invalid {
        /// The field (`name`, `expires_at`).
        field: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// No key has that id.
    #[error("no API key {0}")]
    NotFound(String),
    /// The store refused the change; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A key could not be minted, or a stored key could not be read back:
    /// a defect, not the caller's fault.
    #[error("{0}")]
    Internal(String),
}

impl KeyError {
    /// The stable machine code (`invalid_request`, `key_not_found`, the
    /// store's code, `internal_error`).
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Invalid { .. } => "invalid_request",
            KeyError::NotFound(_) => "key_not_found",
            KeyError::Store(e) => e.code(),
            KeyError::Internal(_) => "internal_error",
        }
    }
}

/// A key as the ring holds it.
#[derive(Debug, Clone)]
pub(crate) struct KeyEntry {
    pub(crate) record: ApiKeyRecord,
    pub(crate) scope: Scope,
    pub(crate) printers: Option<Arc<[PrinterId]>>,
    /// The bcrypt hash of a key imported from Label Printer Hub.
    pub(crate) legacy: Option<keys::LegacyHash>,
}

/// Why a key that was accepted before is refused now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// Revoked (or gone from the store).
    Revoked,
    /// Past its `expires_at`.
    Expired,
}

impl KeyRefusal {
    /// The wire name (`revoked`, `expired`), as in an event stream's final
    /// `stream.reset`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRefusal::Revoked => "revoked",
            KeyRefusal::Expired => "expired",
        }
    }

    pub(crate) fn message(self) -> &'static str {
        match self {
            KeyRefusal::Revoked => "this API key was revoked",
            KeyRefusal::Expired => "this API key has expired",
        }
    }

    /// Why `record` is refused at `at`, if it is.
    pub fn of(record: &ApiKeyRecord, at: Timestamp) -> Option<KeyRefusal> {
        if record.revoked_at.is_some() {
            Some(KeyRefusal::Revoked)
        } else if record.expires_at.is_some_and(|x| x <= at) {
            Some(KeyRefusal::Expired)
        } else {
            None
        }
    }
}

/// A key's public description (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The stored record (holds the digest, not the secret).
    pub record: ApiKeyRecord,
    /// Its scope.
    pub scope: Scope,
}

/// What a new key should be.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// A name for people.
    pub name: String,
    /// Its scope.
    pub scope: Scope,
    /// The printers it may touch (`None`: all).
    pub printers: Option<Vec<PrinterId>>,
    /// When it stops working.
    pub expires_at: Option<Timestamp>,
    /// Mutations per minute (`None`: the server's default).
    pub rate_limit_per_minute: Option<u32>,
}

impl NewKey {
    /// The key as asked for by a person (the API or `printhub keys`), or
    /// [`KeyError::Invalid`] naming the field: a name of 1..=100 characters
    /// (trimmed) and an expiry in the future.
    pub fn checked(self) -> Result<NewKey, KeyError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(KeyError::Invalid {
                field: "name",
                message: "name must be 1..=100 characters".into(),
            });
        }
        if self.expires_at.is_some_and(|at| at <= now()) {
            return Err(KeyError::Invalid {
                field: "expires_at",
                message: "expires_at is in the past".into(),
            });
        }
        Ok(NewKey {
            name: name.to_owned(),
            ..self
        })
    }
}

/// The key ring over the store's `api_keys` table (cheap to share behind
/// an `Arc`; [`Auth`](super::Auth) holds one).
pub struct KeyRing {
    store: Arc<Store>,
    ring: RwLock<HashMap<String, KeyEntry>>,
    touched: Mutex<HashMap<String, Instant>>,
    /// Held across a store write and the ring update that follows it, and
    /// across a reload's read and its swap: otherwise a reload that read
    /// the store just before a key was created would put back a ring
    /// without it (the new key "unknown" until the next reload).
    writes: Mutex<()>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &self.read_ring().len())
            .finish_non_exhaustive()
    }
}

/// How often a key's `last_used_at` is written at most.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

impl KeyRing {
    /// Loads every key from `store`. Blocks. A stored key whose scope or
    /// printers do not decode is skipped with a warning, never trusted.
    pub fn open(store: Arc<Store>) -> Result<KeyRing, StoreError> {
        let mut ring = HashMap::new();
        for record in store.load_api_keys()? {
            match entry(record) {
                Ok(e) => {
                    ring.insert(e.record.id.clone(), e);
                }
                Err(why) => log::warn!("ignoring a stored API key: {why}"),
            }
        }
        Ok(KeyRing {
            store,
            ring: RwLock::new(ring),
            touched: Mutex::new(HashMap::new()),
            writes: Mutex::new(()),
        })
    }

    /// Reloads every key from the store, so keys created or revoked by the
    /// `printhub keys` command (another process) take effect. Blocks.
    pub fn reload(&self) -> Result<(), StoreError> {
        let _writes = self.lock_writes();
        let mut ring = HashMap::new();
        for record in self.store.load_api_keys()? {
            if let Ok(e) = entry(record) {
                ring.insert(e.record.id.clone(), e);
            }
        }
        *self.write_ring() = ring;
        Ok(())
    }

    /// Whether the ring holds no key at all (working or not).
    pub fn is_empty(&self) -> bool {
        self.read_ring().is_empty()
    }

    /// Whether any key that still works exists.
    pub fn has_usable_keys(&self) -> bool {
        let at = now();
        self.read_ring()
            .values()
            .any(|e| e.record.revoked_at.is_none() && e.record.expires_at.is_none_or(|x| x > at))
    }

    /// Creates a key, stores its digest with an audit row, and returns it
    /// with the secret (the only time it exists outside the caller). Blocks.
    pub fn create_key(&self, new: NewKey, actor: &str) -> Result<(KeyInfo, String), KeyError> {
        let minted = keys::mint().map_err(|e| KeyError::Internal(e.to_string()))?;
        let at = now();
        let record = ApiKeyRecord {
            id: minted.id.clone(),
            name: new.name.clone(),
            hash: minted.hash,
            scope: new.scope.as_str().into(),
            printers: new
                .printers
                .as_ref()
                .map(|p| p.iter().map(ToString::to_string).collect()),
            created_at: at,
            expires_at: new.expires_at,
            revoked_at: None,
            last_used_at: None,
            rate_limit_per_minute: new.rate_limit_per_minute,
        };
        let audit = AuditRecord {
            id: 0,
            at,
            actor: actor.into(),
            action: "key.create".into(),
            target: minted.id.clone(),
            detail: Some(serde_json::json!({
                "name": new.name,
                "scope": new.scope.as_str(),
                "printers": record.printers,
                "expires_at": new.expires_at.map(crate::dto::rfc3339),
                "rate_limit_per_minute": new.rate_limit_per_minute,
            })),
        };
        let _writes = self.lock_writes();
        self.store.insert_api_key(&record, &audit)?;
        let e = entry(record).map_err(KeyError::Internal)?;
        let info = KeyInfo {
            record: e.record.clone(),
            scope: e.scope,
        };
        self.write_ring().insert(minted.id, e);
        Ok((info, minted.key))
    }

    /// Revokes a key at once (its next request is 401) and audits it. Blocks.
    pub fn revoke_key(&self, id: &str, actor: &str) -> Result<KeyInfo, KeyError> {
        let audit = AuditRecord {
            id: 0,
            at: now(),
            actor: actor.into(),
            action: "key.revoke".into(),
            target: id.into(),
            detail: None,
        };
        let _writes = self.lock_writes();
        let record = self
            .store
            .revoke_api_key(id, &audit)?
            .ok_or_else(|| KeyError::NotFound(id.to_owned()))?;
        let e = entry(record).map_err(KeyError::Internal)?;
        let info = KeyInfo {
            record: e.record.clone(),
            scope: e.scope,
        };
        self.write_ring().insert(id.to_owned(), e);
        Ok(info)
    }

    /// Every key, oldest first (digests only).
    pub fn list_keys(&self) -> Vec<KeyInfo> {
        let mut keys: Vec<KeyInfo> = self
            .read_ring()
            .values()
            .map(|e| KeyInfo {
                record: e.record.clone(),
                scope: e.scope,
            })
            .collect();
        keys.sort_by(|a, b| {
            (a.record.created_at, &a.record.id).cmp(&(b.record.created_at, &b.record.id))
        });
        keys
    }

    /// The key `id` as the ring holds it. Does not block.
    pub(crate) fn get(&self, id: &str) -> Option<KeyEntry> {
        self.read_ring().get(id).cloned()
    }

    /// The imported Label Printer Hub keys whose stored prefix `key` starts
    /// with (issue #19). Does not block.
    pub(crate) fn legacy_candidates(&self, key: &str) -> Vec<KeyEntry> {
        self.read_ring()
            .values()
            .filter(|e| {
                e.legacy
                    .as_ref()
                    .is_some_and(|h| key.starts_with(&h.prefix))
            })
            .cloned()
            .collect()
    }

    /// Why the key `id` would be refused now, or `None` while it works.
    /// Reads only the in-memory ring (no store, no hashing).
    pub fn refusal(&self, id: &str) -> Option<KeyRefusal> {
        match self.read_ring().get(id) {
            Some(entry) => KeyRefusal::of(&entry.record, now()),
            None => Some(KeyRefusal::Revoked),
        }
    }

    /// Records that the key `id` was used at `at`, at most every
    /// [`TOUCH_EVERY`] (fire and forget: a lost touch costs nothing).
    pub(crate) fn touch(&self, id: &str, at: Timestamp) {
        let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
        let due = touched
            .get(id)
            .is_none_or(|last| last.elapsed() >= TOUCH_EVERY);
        if due {
            touched.insert(id.to_owned(), Instant::now());
            drop(self.store.touch_api_key(id, at));
        }
    }

    fn read_ring(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, KeyEntry>> {
        self.ring.read().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_writes(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write_ring(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, KeyEntry>> {
        self.ring.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn entry(record: ApiKeyRecord) -> Result<KeyEntry, String> {
    let scope = Scope::parse(&record.scope)
        .ok_or_else(|| format!("key {}: unknown scope {:?}", record.id, record.scope))?;
    let printers = match &record.printers {
        Some(list) => Some(
            list.iter()
                .map(|p| {
                    p.parse::<PrinterId>()
                        .map_err(|e| format!("key {}: printer {p:?}: {e}", record.id))
                })
                .collect::<Result<Vec<_>, _>>()?
                .into(),
        ),
        None => None,
    };
    let legacy = keys::LegacyHash::parse(&record.hash);
    Ok(KeyEntry {
        record,
        scope,
        printers,
        legacy,
    })
}
