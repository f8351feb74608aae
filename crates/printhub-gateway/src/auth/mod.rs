//! Who is calling and what they may do (issue #9). [`Auth`] holds the key
//! ring ([`ring`]: every API key, loaded from the store at start and kept in
//! step by the admin routes; no HTTP in it, its errors are [`KeyError`]s),
//! the audit log ([`audit`]), the anonymous and reverse-proxy policies and the
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

pub mod audit;
pub mod keys;
pub(crate) mod limit;
pub mod middleware;
pub mod ring;
mod scope;

pub use audit::AuditLog;
pub use ring::{now, KeyError, KeyInfo, KeyRefusal, KeyRing, NewKey};
pub use scope::Scope;

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use printhub_core::PrinterId;
use printhub_store::{AuditRecord, Store};

use crate::error::{ApiError, ErrorCode};
use limit::Limiters;
pub use limit::RateState;

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
    ring: KeyRing,
    audit: AuditLog,
    limiters: Limiters,
    bcrypt: keys::BcryptCache,
}

impl Auth {
    /// Loads every key from `store`. Blocks (call before serving, or in
    /// `web::block`). A stored key whose scope or printers do not decode is
    /// skipped with a warning, never trusted.
    pub fn open(config: AuthConfig, store: Arc<Store>) -> Result<Auth, printhub_store::StoreError> {
        Ok(Auth {
            inner: Arc::new(Inner {
                limiters: Limiters::default(),
                bcrypt: keys::BcryptCache::default(),
                config,
                ring: KeyRing::open(Arc::clone(&store))?,
                audit: AuditLog::new(store),
            }),
        })
    }

    /// Reloads every key from the store, so keys created or revoked by the
    /// `printhub keys` command (another process) take effect. Blocks.
    pub fn reload(&self) -> Result<(), printhub_store::StoreError> {
        self.inner.ring.reload()
    }

    /// The policy.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// The key ring.
    pub fn ring(&self) -> &KeyRing {
        &self.inner.ring
    }

    /// Whether any key that still works exists.
    pub fn has_usable_keys(&self) -> bool {
        self.inner.ring.has_usable_keys()
    }

    /// On a first start (no key at all): creates an admin key named
    /// `bootstrap` and returns it, to be printed once. Blocks.
    pub fn bootstrap(&self) -> Result<Option<String>, KeyError> {
        if !self.inner.ring.is_empty() {
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

    /// Creates a key (see [`KeyRing::create_key`]). Blocks.
    pub fn create_key(&self, new: NewKey, actor: &str) -> Result<(KeyInfo, String), KeyError> {
        self.inner.ring.create_key(new, actor)
    }

    /// Revokes a key at once (its next request is 401), audits it and
    /// forgets its rate limiter. Blocks.
    pub fn revoke_key(&self, id: &str, actor: &str) -> Result<KeyInfo, KeyError> {
        let info = self.inner.ring.revoke_key(id, actor)?;
        self.inner.limiters.forget(id);
        Ok(info)
    }

    /// Every key, oldest first (digests only).
    pub fn list_keys(&self) -> Vec<KeyInfo> {
        self.inner.ring.list_keys()
    }

    /// Appends one admin action to the audit log. Blocks.
    pub fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: Option<serde_json::Value>,
    ) -> Result<(), printhub_store::StoreError> {
        self.inner.audit.append(actor, action, target, detail)
    }

    /// The audit log, newest first, and its length. Blocks.
    pub fn audit_log(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<AuditRecord>, u64), printhub_store::StoreError> {
        self.inner.audit.page(limit, offset)
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
            let entry = self.inner.ring.get(id);
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
        self.inner.ring.touch(id, at);
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
    fn legacy_entry(&self, key: &str) -> Result<ring::KeyEntry, ApiError> {
        let at = now();
        for entry in self.inner.ring.legacy_candidates(key) {
            let is_it = entry
                .legacy
                .as_ref()
                .is_some_and(|h| self.inner.bcrypt.verify(key, h));
            if !is_it {
                continue;
            }
            if let Some(why) = KeyRefusal::of(&entry.record, at) {
                return Err(unauthorized(why.message().into()));
            }
            return Ok(entry);
        }
        Err(unauthorized("unknown API key".into()))
    }

    /// Why the key `id` would be refused now, or `None` while it works.
    /// Reads only the in-memory ring (no store, no hashing), so a long-lived
    /// request such as an event stream can ask on every frame.
    pub fn key_refusal(&self, id: &str) -> Option<KeyRefusal> {
        self.inner.ring.refusal(id)
    }

    /// Counts one mutation of `caller`: where it stands now (`None` when it
    /// has no limit), or `rate_limited` (429, with the seconds to wait and
    /// the `RateLimit-*` fields) when it has used up its mutations for now.
    pub fn check_rate(&self, caller: &Caller) -> Result<Option<RateState>, ApiError> {
        let (bucket, per_minute) = match &caller.identity {
            Identity::Key { id, .. } => {
                let own = self
                    .inner
                    .ring
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
