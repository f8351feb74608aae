//! [`Scope`]: what a caller may do, ordered `read` < `print` < `admin`.
//! Plain data shared by the key ring (a key's scope) and the HTTP side (the
//! scope a route needs).

use serde::{Deserialize, Serialize};

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
