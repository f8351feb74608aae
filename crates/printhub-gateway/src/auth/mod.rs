//! Who is calling and what they may do (issue #9). [`Auth`] owns the key
//! ring (every API key, loaded from the store at start and kept in step by
//! the admin routes), the anonymous and reverse-proxy policies and the
//! per-caller rate limiters; [`middleware`](crate::auth::middleware) turns
//! each request into a [`Caller`] before any handler runs, and handlers
//! check a caller's printer allow-list with [`Caller::check_printer`].
//!
//! Scopes are ordered: `read` < `print` < `admin`. The scope each route
//! needs is a column of the route table ([`crate::ROUTES`]), so the
//! OpenAPI document and the check cannot disagree.
//!
//! **Architecture Invariant:** a secret (API key, proxy secret, webhook
//! token) is compared in constant time and never stored or returned in
//! clear: keys are kept as SHA-256 digests and shown once, at creation.
//! **Architecture Invariant:** a presented but bad key is always 401, even
//! where anonymous access is allowed: a broken client must not silently
//! drop to the anonymous scope.

pub mod keys;
pub(crate) mod limit;
pub mod middleware;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use printhub_core::{PrinterId, Timestamp};
use printhub_store::{ApiKeyRecord, AuditRecord, Store};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};
use limit::Limiters;
pub use limit::RateState;

/// What a caller may do; ordered (`Read < Print < Admin`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every read: printers, jobs, batches, status, media, events.
    Read,
    /// Reads plus printing and steering jobs and queues.
    Print,
    /// Everything: printers' settings, keys, audit.
    Admin,
}

impl Scope {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Print => "print",
            Scope::Admin => "admin",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "read" => Some(Scope::Read),
            "print" => Some(Scope::Print),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// Who a caller is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No credentials, allowed by the anonymous policy.
    Anonymous,
    /// An API key.
    Key {
        /// The key's public id.
        id: String,
        /// The key's name.
        name: String,
    },
    /// A user named by a trusted reverse proxy (which proved the shared secret).
    Proxy {
        /// The user the proxy named.
        user: String,
    },
}

/// The authenticated caller of one request (in the request's extensions).
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub identity: Identity,
    /// What they may do.
    pub scope: Scope,
    /// The printers they may touch (`None`: all).
    pub printers: Option<Arc<[PrinterId]>>,
    /// The client's address (from the proxy's `X-Forwarded-For` only when
    /// the proxy proved the shared secret; see [`Auth::source_address`]).
    pub source: Option<String>,
}

impl Caller {
    /// The caller as recorded on jobs and audit rows: `anonymous`,
    /// `key:<id>` or `proxy:<user>`.
    pub fn actor(&self) -> String {
        match &self.identity {
            Identity::Anonymous => "anonymous".into(),
            Identity::Key { id, .. } => format!("key:{id}"),
            Identity::Proxy { user } => format!("proxy:{user}"),
        }
    }

    /// Whether the caller may touch `printer`.
    pub fn may_use(&self, printer: PrinterId) -> bool {
        self.printers
            .as_ref()
            .is_none_or(|allowed| allowed.contains(&printer))
    }

    /// `printer_not_allowed` (403) unless the caller may touch `printer`.
    pub fn check_printer(&self, printer: PrinterId) -> Result<(), ApiError> {
        if self.may_use(printer) {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::PrinterNotAllowed,
                format!("this key may not use printer {printer}"),
            ))
        }
    }

    /// `printer_not_allowed` (403) when the caller is limited to some
    /// printers: what it would do (`what`, such as "manage API keys")
    /// reaches beyond them. Adding printers, managing keys and reading the
    /// audit log need a caller without an allow-list, whatever its scope —
    /// otherwise a limited admin key could mint itself an unlimited one.
    pub fn require_unlimited(&self, what: &str) -> Result<(), ApiError> {
        if self.printers.is_none() {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::PrinterNotAllowed,
                format!("a key limited to some printers cannot {what}"),
            ))
        }
    }

    /// Whether the caller submitted `job` (its `submitted_by` is the
    /// caller's [`actor`](Self::actor)).
    pub fn submitted(&self, job: &printhub_core::Job) -> bool {
        job.spec.submitted_by.as_deref() == Some(self.actor().as_str())
    }

    /// `not_job_owner` (403) unless the caller may steer `job` (cancel,
    /// hold, release, retry): admins steer every job, other callers only
    /// the jobs they submitted — CUPS's `@OWNER` policy. Anonymous callers
    /// (allowed on loopback only) are one identity, so they steer the
    /// anonymous jobs.
    pub fn require_owner(&self, job: &printhub_core::Job) -> Result<(), ApiError> {
        if self.scope >= Scope::Admin || self.submitted(job) {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::NotJobOwner,
                format!(
                    "job {} was submitted by another caller; only it or an admin may change it",
                    job.id
                ),
            ))
        }
    }

    /// Whether the caller may see who submitted `job` and from where
    /// (admins and the submitter).
    pub fn sees_submitter(&self, job: &printhub_core::Job) -> bool {
        self.scope >= Scope::Admin || self.submitted(job)
    }

    /// `insufficient_scope` (403) unless the caller has `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scope >= scope {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::InsufficientScope,
                format!(
                    "this needs the {} scope; the caller has {}",
                    scope.as_str(),
                    self.scope.as_str()
                ),
            )
            .with_detail(serde_json::json!({
                "required": scope.as_str(),
                "granted": self.scope.as_str(),
            })))
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(req.extensions().get::<Caller>().cloned().ok_or_else(|| {
            // A route mounted without its guard: refuse, never run as nobody.
            ApiError::new(
                ErrorCode::Unauthorized,
                "this route needs credentials and none were checked",
            )
        }))
    }
}

/// A reverse proxy that authenticates users itself and tells printhub who
/// they are. Its headers count only with the shared secret.
#[derive(Clone)]
pub struct ProxyConfig {
    /// The header naming the user (for example `X-Forwarded-User`).
    pub user_header: String,
    /// The header carrying the shared secret.
    pub secret_header: String,
    /// The shared secret.
    pub secret: String,
    /// The scope a proxied user gets.
    pub scope: Scope,
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("user_header", &self.user_header)
            .field("secret_header", &self.secret_header)
            .field("secret", &printhub_store::REDACTED)
            .field("scope", &self.scope)
            .finish()
    }
}

/// The auth policy.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The scope of callers without credentials (`None`: they get 401).
    /// The binary allows it only on a loopback listen address.
    pub anonymous: Option<Scope>,
    /// A trusted reverse proxy, if any.
    pub proxy: Option<ProxyConfig>,
    /// Mutations per minute for a key without its own limit.
    pub rate_limit_per_minute: u32,
    /// Mutations per minute per anonymous client address (`None`: unlimited).
    pub anonymous_rate_limit_per_minute: Option<u32>,
}

impl Default for AuthConfig {
    /// Keys only, 600 mutations a minute per key.
    fn default() -> Self {
        AuthConfig {
            anonymous: None,
            proxy: None,
            rate_limit_per_minute: 600,
            anonymous_rate_limit_per_minute: None,
        }
    }
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

    fn message(self) -> &'static str {
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

/// A key as the ring holds it.
#[derive(Debug, Clone)]
struct KeyEntry {
    record: ApiKeyRecord,
    scope: Scope,
    printers: Option<Arc<[PrinterId]>>,
    /// The bcrypt hash of a key imported from Label Printer Hub.
    legacy: Option<keys::LegacyHash>,
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
    /// The key as asked for by a person (the API or `printhub keys`), or 400
    /// `invalid_request` naming the field: a name of 1..=100 characters
    /// (trimmed) and an expiry in the future.
    pub fn checked(self) -> Result<NewKey, ApiError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ApiError::invalid("name must be 1..=100 characters")
                .with_detail(serde_json::json!({ "field": "name" })));
        }
        if self.expires_at.is_some_and(|at| at <= now()) {
            return Err(ApiError::invalid("expires_at is in the past")
                .with_detail(serde_json::json!({ "field": "expires_at" })));
        }
        Ok(NewKey {
            name: name.to_owned(),
            ..self
        })
    }
}

/// The auth state shared by every worker (cheap to clone).
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: AuthConfig,
    store: Arc<Store>,
    ring: RwLock<HashMap<String, KeyEntry>>,
    limiters: Limiters,
    touched: Mutex<HashMap<String, Instant>>,
    bcrypt: keys::BcryptCache,
}

/// How often a key's `last_used_at` is written at most.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// Now, as a core timestamp.
pub fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Timestamp::from_millis(i64::try_from(ms).unwrap_or(i64::MAX))
}

fn store_error(e: printhub_store::StoreError) -> ApiError {
    ApiError::new(ErrorCode::StoreError, e.to_string())
}

impl Auth {
    /// Loads every key from `store`. Blocks (call before serving, or in
    /// `web::block`). A stored key whose scope or printers do not decode is
    /// skipped with a warning, never trusted.
    pub fn open(config: AuthConfig, store: Arc<Store>) -> Result<Auth, printhub_store::StoreError> {
        let mut ring = HashMap::new();
        for record in store.load_api_keys()? {
            match entry(record) {
                Ok(e) => {
                    ring.insert(e.record.id.clone(), e);
                }
                Err(why) => log::warn!("ignoring a stored API key: {why}"),
            }
        }
        Ok(Auth {
            inner: Arc::new(Inner {
                limiters: Limiters::default(),
                config,
                store,
                ring: RwLock::new(ring),
                touched: Mutex::new(HashMap::new()),
                bcrypt: keys::BcryptCache::default(),
            }),
        })
    }

    /// Reloads every key from the store, so keys created or revoked by the
    /// `printhub keys` command (another process) take effect. Blocks.
    pub fn reload(&self) -> Result<(), printhub_store::StoreError> {
        let mut ring = HashMap::new();
        for record in self.inner.store.load_api_keys()? {
            if let Ok(e) = entry(record) {
                ring.insert(e.record.id.clone(), e);
            }
        }
        *self.write_ring() = ring;
        Ok(())
    }

    /// The policy.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// Whether any key that still works exists.
    pub fn has_usable_keys(&self) -> bool {
        let at = now();
        self.read_ring()
            .values()
            .any(|e| e.record.revoked_at.is_none() && e.record.expires_at.is_none_or(|x| x > at))
    }

    /// On a first start (no key at all): creates an admin key named
    /// `bootstrap` and returns it, to be printed once. Blocks.
    pub fn bootstrap(&self) -> Result<Option<String>, ApiError> {
        if !self.read_ring().is_empty() {
            return Ok(None);
        }
        let new = NewKey {
            name: "bootstrap".into(),
            scope: Scope::Admin,
            printers: None,
            expires_at: None,
            rate_limit_per_minute: None,
        };
        let (_, key) = self.create_key(new, "bootstrap")?;
        Ok(Some(key))
    }

    /// Creates a key, stores its digest with an audit row, and returns it
    /// with the secret (the only time it exists outside the caller). Blocks.
    pub fn create_key(&self, new: NewKey, actor: &str) -> Result<(KeyInfo, String), ApiError> {
        let minted = keys::mint().map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
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
        self.inner
            .store
            .insert_api_key(&record, &audit)
            .map_err(store_error)?;
        let e = entry(record).map_err(|why| ApiError::new(ErrorCode::Internal, why))?;
        let info = KeyInfo {
            record: e.record.clone(),
            scope: e.scope,
        };
        self.write_ring().insert(minted.id, e);
        Ok((info, minted.key))
    }

    /// Revokes a key at once (its next request is 401) and audits it. Blocks.
    pub fn revoke_key(&self, id: &str, actor: &str) -> Result<KeyInfo, ApiError> {
        let audit = AuditRecord {
            id: 0,
            at: now(),
            actor: actor.into(),
            action: "key.revoke".into(),
            target: id.into(),
            detail: None,
        };
        let record = self
            .inner
            .store
            .revoke_api_key(id, &audit)
            .map_err(store_error)?
            .ok_or_else(|| ApiError::new(ErrorCode::KeyNotFound, format!("no API key {id}")))?;
        let e = entry(record).map_err(|why| ApiError::new(ErrorCode::Internal, why))?;
        let info = KeyInfo {
            record: e.record.clone(),
            scope: e.scope,
        };
        self.write_ring().insert(id.to_owned(), e);
        self.inner.limiters.forget(id);
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

    /// Appends one admin action to the audit log. Blocks.
    pub fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: Option<serde_json::Value>,
    ) -> Result<(), ApiError> {
        let record = AuditRecord {
            id: 0,
            at: now(),
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            detail,
        };
        self.inner
            .store
            .append_audit(&record)
            .map(|_| ())
            .map_err(store_error)
    }

    /// The audit log, newest first, and its length. Blocks.
    pub fn audit_log(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<AuditRecord>, u64), ApiError> {
        self.inner
            .store
            .load_audit_log(limit, offset)
            .map_err(store_error)
    }

    /// Whether `headers` carry the configured proxy's shared secret.
    fn proxy_proven(&self, headers: &HeaderMap) -> Option<&ProxyConfig> {
        self.inner.config.proxy.as_ref().filter(|proxy| {
            headers.get_all(proxy.secret_header.as_str()).count() == 1
                && header(headers, &proxy.secret_header)
                    .is_some_and(|s| keys::same_secret(s, &proxy.secret))
        })
    }

    /// The client's address as jobs record it: the right-most
    /// `X-Forwarded-For` entry when the request came through the trusted
    /// proxy (it proved the shared secret) — the one that proxy appended;
    /// entries to its left are whatever the client sent — else `peer`.
    /// Does not block. Used for every caller the middleware authenticates
    /// and for webhooks (whose token is checked by their handler).
    pub fn source_address(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<String> {
        let forwarded = self
            .proxy_proven(headers)
            .and_then(|_| headers.get_all("x-forwarded-for").last())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        forwarded.or_else(|| peer.map(|p| p.to_string()))
    }

    /// Works out who sent `headers` from `peer`. Does not block.
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Result<Caller, ApiError> {
        let source = self.source_address(headers, peer);
        if let Some(key) = presented_key(headers)? {
            return self.authenticate_key(&key, source);
        }
        if let Some(proxy) = &self.inner.config.proxy {
            if let Some(user) = self.proxied_user(proxy, headers)? {
                return Ok(Caller {
                    identity: Identity::Proxy { user },
                    scope: proxy.scope,
                    printers: None,
                    source,
                });
            }
        }
        match self.inner.config.anonymous {
            Some(scope) => Ok(Caller {
                identity: Identity::Anonymous,
                scope,
                printers: None,
                source,
            }),
            None => Err(unauthorized(
                "an API key is required (Authorization: Bearer <key>)".into(),
            )),
        }
    }

    /// The user the trusted proxy names, `None` when the request carries
    /// neither of its headers. Anything half-way is 401, never a fall-back
    /// to anonymous: a user header without the right secret, a secret
    /// without a user, or either header twice (a client's copy beside the
    /// proxy's).
    fn proxied_user(
        &self,
        proxy: &ProxyConfig,
        headers: &HeaderMap,
    ) -> Result<Option<String>, ApiError> {
        let users = headers.get_all(proxy.user_header.as_str()).count();
        let secrets = headers.get_all(proxy.secret_header.as_str()).count();
        if users == 0 && secrets == 0 {
            return Ok(None);
        }
        if users > 1 || secrets > 1 {
            return Err(unauthorized(format!(
                "{} and {} may each come once",
                proxy.user_header, proxy.secret_header
            )));
        }
        if self.proxy_proven(headers).is_none() {
            return Err(unauthorized(format!(
                "{} needs the proxy's shared secret in {}",
                proxy.user_header, proxy.secret_header
            )));
        }
        let user = header(headers, &proxy.user_header).ok_or_else(|| {
            unauthorized(format!("the proxy sent no {} header", proxy.user_header))
        })?;
        Ok(Some(user.to_owned()))
    }

    fn authenticate_key(&self, key: &str, source: Option<String>) -> Result<Caller, ApiError> {
        let entry = if key.starts_with(keys::LEGACY_KEY_PREFIX) {
            self.legacy_entry(key)?
        } else {
            let (id, secret) = keys::parse(key).map_err(|e| unauthorized(e.to_string()))?;
            let entry = self.read_ring().get(id).cloned();
            let Some(entry) = entry else {
                // Spend the same work as for a known key.
                let _ = keys::verify(secret, "");
                return Err(unauthorized("unknown API key".into()));
            };
            if !keys::verify(secret, &entry.record.hash) {
                return Err(unauthorized("unknown API key".into()));
            }
            entry
        };
        let id = entry.record.id.as_str();
        let at = now();
        if let Some(why) = KeyRefusal::of(&entry.record, at) {
            return Err(unauthorized(why.message().into()));
        }
        self.touch(id, at);
        Ok(Caller {
            identity: Identity::Key {
                id: entry.record.id.clone(),
                name: entry.record.name.clone(),
            },
            scope: entry.scope,
            printers: entry.printers.clone(),
            source,
        })
    }

    /// The imported Label Printer Hub key `key` is (issue #19): the keys
    /// whose stored prefix it starts with, checked with bcrypt through the
    /// cache. A revoked or expired key is refused with that reason once
    /// bcrypt says the key is that one, as printhub's own keys are.
    fn legacy_entry(&self, key: &str) -> Result<KeyEntry, ApiError> {
        let candidates: Vec<KeyEntry> = self
            .read_ring()
            .values()
            .filter(|e| {
                e.legacy
                    .as_ref()
                    .is_some_and(|h| key.starts_with(&h.prefix))
            })
            .cloned()
            .collect();
        let at = now();
        for entry in candidates {
            if let Some(why) = KeyRefusal::of(&entry.record, at) {
                if entry
                    .legacy
                    .as_ref()
                    .is_some_and(|h| self.inner.bcrypt.verify(key, h))
                {
                    return Err(unauthorized(why.message().into()));
                }
                continue;
            }
            if entry
                .legacy
                .as_ref()
                .is_some_and(|h| self.inner.bcrypt.verify(key, h))
            {
                return Ok(entry);
            }
        }
        Err(unauthorized("unknown API key".into()))
    }

    /// Why the key `id` would be refused now, or `None` while it works.
    /// Reads only the in-memory ring (no store, no hashing), so a long-lived
    /// request such as an event stream can ask on every frame.
    pub fn key_refusal(&self, id: &str) -> Option<KeyRefusal> {
        match self.read_ring().get(id) {
            Some(entry) => KeyRefusal::of(&entry.record, now()),
            None => Some(KeyRefusal::Revoked),
        }
    }

    /// Counts one mutation of `caller`: where it stands now (`None` when it
    /// has no limit), or `rate_limited` (429, with the seconds to wait and
    /// the `RateLimit-*` fields) when it has used up its mutations for now.
    pub fn check_rate(&self, caller: &Caller) -> Result<Option<RateState>, ApiError> {
        let (bucket, per_minute) = match &caller.identity {
            Identity::Key { id, .. } => {
                let own = self
                    .read_ring()
                    .get(id)
                    .and_then(|e| e.record.rate_limit_per_minute);
                (
                    format!("key:{id}"),
                    Some(own.unwrap_or(self.inner.config.rate_limit_per_minute)),
                )
            }
            Identity::Proxy { user } => (
                format!("proxy:{user}"),
                Some(self.inner.config.rate_limit_per_minute),
            ),
            Identity::Anonymous => (
                format!("anon:{}", caller.source.as_deref().unwrap_or("?")),
                self.inner.config.anonymous_rate_limit_per_minute,
            ),
        };
        let Some(per_minute) = per_minute else {
            return Ok(None);
        };
        match self.inner.limiters.check(&bucket, per_minute) {
            Ok(state) => Ok(Some(state)),
            Err(state) => Err(state.onto(
                ApiError::new(
                    ErrorCode::RateLimited,
                    format!(
                        "too many changes: {per_minute} a minute allowed; retry in {} s",
                        state.reset
                    ),
                )
                .retry_after(state.reset),
            )),
        }
    }

    fn touch(&self, id: &str, at: Timestamp) {
        let mut touched = self.inner.touched.lock().unwrap_or_else(|e| e.into_inner());
        let due = touched
            .get(id)
            .is_none_or(|last| last.elapsed() >= TOUCH_EVERY);
        if due {
            touched.insert(id.to_owned(), Instant::now());
            // Fire and forget: the write is queued; a lost touch costs nothing.
            drop(self.inner.store.touch_api_key(id, at));
        }
    }

    fn read_ring(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, KeyEntry>> {
        self.inner.ring.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_ring(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, KeyEntry>> {
        self.inner.ring.write().unwrap_or_else(|e| e.into_inner())
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

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The key in `Authorization: Bearer` or `X-Label-Hub-Key`, if any.
fn presented_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    if let Some(value) = headers.get(actix_web::http::header::AUTHORIZATION) {
        let text = value
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not text".into()))?;
        let (scheme, token) = text.trim().split_once(' ').unwrap_or((text, ""));
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(unauthorized(
                "the Authorization header must be `Bearer <key>`".into(),
            ));
        }
        return Ok(Some(token.trim().to_owned()));
    }
    match headers.get("x-label-hub-key") {
        None => Ok(None),
        // Present but empty is a broken client, as an empty Bearer is.
        Some(v) => match v.to_str().map(str::trim) {
            Ok(key) if !key.is_empty() => Ok(Some(key.to_owned())),
            _ => Err(unauthorized(
                "the X-Label-Hub-Key header is empty or not text".into(),
            )),
        },
    }
}

fn unauthorized(detail: String) -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, detail)
}
