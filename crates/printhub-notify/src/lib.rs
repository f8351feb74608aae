//! # printhub-notify
//!
//! Outbound notifications (issue #22): when a job completes, fails or is
//! interrupted, or a printer stops, goes offline or comes back, printhub
//! POSTs a small signed JSON body to each `[[notify]]` target that asked for
//! it.
//!
//! ```text
//!  HubHandle::subscribe ─► follower ─► Rules (sans-io, offline timer) ─► Notice::body ─► Outbox (file, fsync)
//!                                                                                         │ wake
//!                                          target ◄─ POST + X-Printhub-Signature ◄─ delivery task (per target,
//!                                                                                    oldest first, retry with backoff)
//! ```
//!
//! Code map: [`config`] (targets, events), [`body`] (the JSON body and the
//! HMAC-SHA256 signature), [`rules`] (which event makes which notice, when),
//! [`outbox`] (the durable per-target queue of bodies), [`notifier`] (the
//! tasks: following events, delivering), [`metrics`].
//!
//! **Architecture Invariant:** `config`, `body` and `rules` do no I/O and
//! read no clock (time is an argument); `outbox` and `notifier` are the edge.
//!
//! **Architecture Invariant:** a notification never slows printing: the
//! follower reads the engine's bounded broadcast (falling behind loses
//! events, counted, never blocks the engine), file writes run in
//! `spawn_blocking`, and each target has its own delivery task with a
//! per-attempt timeout, so a hanging target delays only its own queue.
//!
//! **Architecture Invariant:** a due notification is on disk before its
//! first attempt and removed only after a 2xx (or after a day of failures),
//! so a restart loses none; delivery is at least once, and the body's `id`
//! lets receivers drop a repeat.
#![forbid(unsafe_code)]

pub mod body;
pub mod config;
pub mod metrics;
pub mod notifier;
pub mod outbox;
pub mod rules;

pub use body::{sign, Notice, SIGNATURE_HEADER};
pub use config::{parse_targets, NotifyEvent, Target, TargetSettings};
pub use metrics::NotifyMetrics;
pub use notifier::{Notifier, NotifyHandle};

use thiserror::Error;

/// Every way notifications can fail to start. [`NotifyError::code`] is stable.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// A `[[notify]]` setting is invalid.
    #[error("{field}: {reason}")]
    InvalidConfig {
        /// `notify[i].<field>`.
        field: String,
        /// Why.
        reason: String,
    },
    /// An outbox folder cannot be used.
    #[error(transparent)]
    Outbox(#[from] outbox::OutboxError),
    /// The HTTP client cannot be built.
    #[error("notify HTTP client: {0}")]
    Http(String),
}

impl NotifyError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            NotifyError::InvalidConfig { .. } => "invalid_config",
            NotifyError::Outbox(e) => e.code(),
            NotifyError::Http(_) => "notify_http",
        }
    }
}
