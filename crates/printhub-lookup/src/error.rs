//! [`LookupError`]: every way a lookup can fail, each with a stable `code()`
//! (typed: [`LookupCode`]) the gateway maps to an HTTP status (never by
//! message text).

use crate::App;

/// A lookup that did not produce an item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The app answered that there is no such item (or the identifier cannot name one).
    #[error("{app}: no item {id:?}: {reason}")]
    NotFound {
        /// The app asked.
        app: App,
        /// The identifier as given.
        id: String,
        /// What the app (or the identifier parser) said.
        reason: String,
    },
    /// The identifier names several items (Snipe-IT asset tags shared by several assets).
    #[error("{app}: {id:?} matches {} items ({}); look one up by its id", candidates.len(), candidates.join(", "))]
    Ambiguous {
        /// The app asked.
        app: App,
        /// The identifier as given.
        id: String,
        /// Identifiers that each name one of the matches.
        candidates: Vec<String>,
    },
    /// The app is not configured on this hub.
    #[error("{app} is not configured (add [integrations.{}] to the configuration)", app.as_str())]
    NotConfigured {
        /// The app asked.
        app: App,
    },
    /// The app could not be asked or gave an unusable answer: unreachable, slow
    /// past the timeout, 5xx, a rejected key, malformed JSON, a body over the cap.
    #[error("{app} lookup failed: {reason}")]
    Failed {
        /// The app asked.
        app: App,
        /// Why, for a person.
        reason: String,
    },
    /// The lookup configuration is invalid.
    #[error("{field}: {reason}")]
    InvalidConfig {
        /// The configuration field, e.g. `grocy.base_url`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl LookupError {
    /// The typed code: what callers match on (exhaustively) instead of text.
    pub fn kind(&self) -> LookupCode {
        match self {
            LookupError::NotFound { .. } => LookupCode::NotFound,
            LookupError::Ambiguous { .. } => LookupCode::Ambiguous,
            LookupError::NotConfigured { .. } => LookupCode::NotConfigured,
            LookupError::Failed { .. } => LookupCode::Failed,
            LookupError::InvalidConfig { .. } => LookupCode::InvalidConfig,
        }
    }

    /// The stable machine code (`self.kind().code()`).
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    /// The app concerned, if any.
    pub fn app(&self) -> Option<App> {
        match self {
            LookupError::NotFound { app, .. }
            | LookupError::Ambiguous { app, .. }
            | LookupError::NotConfigured { app }
            | LookupError::Failed { app, .. } => Some(*app),
            LookupError::InvalidConfig { .. } => None,
        }
    }

    pub(crate) fn not_found(app: App, id: &str, reason: impl Into<String>) -> Self {
        LookupError::NotFound {
            app,
            id: id.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn failed(app: App, reason: impl Into<String>) -> Self {
        LookupError::Failed {
            app,
            reason: reason.into(),
        }
    }
}

/// The stable code of a [`LookupError`].
///
/// Deliberately not `#[non_exhaustive]`: a caller that maps codes (the HTTP
/// gateway chooses a status per code) matches every variant, so a new code
/// fails its build until it has been given an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LookupCode {
    /// `not_found`: the app has no such item.
    NotFound,
    /// `ambiguous`: the identifier names several items.
    Ambiguous,
    /// `not_configured`: the app is not configured on this hub.
    NotConfigured,
    /// `failed`: the app could not be asked or answered unusably.
    Failed,
    /// `invalid_config`: the lookup configuration is invalid.
    InvalidConfig,
}

impl LookupCode {
    /// Every code, once.
    pub const ALL: [LookupCode; 5] = [
        LookupCode::NotFound,
        LookupCode::Ambiguous,
        LookupCode::NotConfigured,
        LookupCode::Failed,
        LookupCode::InvalidConfig,
    ];

    /// The stable snake_case string.
    pub const fn code(self) -> &'static str {
        match self {
            LookupCode::NotFound => "not_found",
            LookupCode::Ambiguous => "ambiguous",
            LookupCode::NotConfigured => "not_configured",
            LookupCode::Failed => "failed",
            LookupCode::InvalidConfig => "invalid_config",
        }
    }
}
