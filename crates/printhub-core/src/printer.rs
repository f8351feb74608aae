//! Printer-side vocabulary: the [`PrinterState`] a [`PrinterMachine`]
//! reports, and the two kinds of input the transport layer feeds back into
//! it — how a write ended ([`WriteFailure`]) and what a status query saw
//! ([`ObservedStatus`]).
//!
//! The transport (printhub-actors) classifies its I/O errors into these
//! values; the machine decides what they mean for the queue. Plain data.
//!
//! [`PrinterMachine`]: crate::PrinterMachine

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::id::Timestamp;

/// Conventional attention reason codes (design §3 error codes where one exists).
pub mod reason {
    /// No tape or roll loaded.
    pub const NO_MEDIA: &str = "no_media";
    /// The cover is open.
    pub const COVER_OPEN: &str = "printer_cover_open";
    /// The loaded media is not what the job was rendered for.
    pub const MEDIA_MISMATCH: &str = "media_mismatch";
    /// The media jammed.
    pub const MEDIA_JAM: &str = "media_jam";
    /// The printer says it is offline (taken offline at its panel; the
    /// standard printer MIB's `offline` condition). It is reachable, but
    /// takes no job until it is back online.
    pub const PRINTER_OFFLINE: &str = "printer_offline";
    /// The printer asks for service (the standard printer MIB's
    /// `serviceRequested` condition).
    pub const SERVICE_REQUESTED: &str = "service_requested";
    /// Unreachable because the printer's host name does not resolve now (DNS
    /// down, the printer renamed); looked up again on every attempt.
    pub const ADDRESS_UNRESOLVABLE: &str = "address_unresolvable";
    /// Unreachable because the stored address is not `host[:port]` (saved by
    /// an older version); nothing is tried until the address is changed.
    pub const INVALID_ADDRESS: &str = "invalid_address";
    /// Unreachable because the stored configuration cannot drive a printer (a
    /// model this version does not know); nothing is tried until it is changed.
    pub const INVALID_CONFIG: &str = "invalid_config";
}

/// The state of one printer, as the hub sees it (design §2).
///
/// Serialized with an internal `state` tag: `{"state":"idle"}`,
/// `{"state":"stopped","reason":"no_media"}`, `{"state":"offline","since":1700000000000}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PrinterState {
    /// Nothing to print.
    Idle,
    /// A copy is being written.
    Printing,
    /// Paused by a user: the copy in flight (if any) finishes, nothing more is sent.
    Paused,
    /// The printer needs a person (no media, cover open, media mismatch, jam).
    /// The queue is held, nothing is failed; it resumes by itself when status
    /// shows the problem gone, or on `resume`.
    Stopped {
        /// A snake_case reason code (see [`reason`]).
        reason: String,
    },
    /// The printer cannot be reached; reconnects with exponential backoff.
    /// Queued jobs wait, they do not fail.
    Offline {
        /// When it went offline.
        since: Timestamp,
    },
    /// Taken out of service: accepts no jobs and sends nothing until enabled.
    Disabled,
}

impl PrinterState {
    /// The snake_case name (`idle`, `printing`, `paused`, `stopped`, `offline`, `disabled`).
    pub fn name(&self) -> &'static str {
        match self {
            PrinterState::Idle => "idle",
            PrinterState::Printing => "printing",
            PrinterState::Paused => "paused",
            PrinterState::Stopped { .. } => "stopped",
            PrinterState::Offline { .. } => "offline",
            PrinterState::Disabled => "disabled",
        }
    }

    /// The stop reason, for `stopped`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            PrinterState::Stopped { reason } => Some(reason),
            _ => None,
        }
    }
}

impl fmt::Display for PrinterState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrinterState::Stopped { reason } => write!(f, "stopped ({reason})"),
            PrinterState::Offline { since } => write!(f, "offline (since {since})"),
            other => f.write_str(other.name()),
        }
    }
}

/// How a copy's write failed, as classified by the transport.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WriteFailure {
    /// The printer needs a person (no media, cover open, media mismatch, jam),
    /// found before or while the copy was sent, and the copy did not print.
    /// The printer stops with this reason; the job goes back to the head of
    /// the queue with its printed copies kept; nothing fails.
    Attention {
        /// A snake_case reason code (see [`reason`]).
        reason_code: String,
    },
    /// The connection was refused or dropped before the printer accepted any
    /// byte. The printer goes offline; the job goes back to the head of the queue.
    Unreachable,
    /// The printer refused the data. The job fails with this error; the
    /// printer goes on with the next job.
    Rejected {
        /// A snake_case code.
        code: String,
        /// A human-readable message.
        message: String,
    },
    /// The connection dropped after bytes were sent: nobody knows whether the
    /// copy printed. The job becomes `interrupted` and is never reprinted silently.
    Lost,
}

/// Why the preflight held a chain back before any byte of it was written:
/// the printer's fresh status said it could not print it. Unlike a
/// [`WriteFailure`], nothing reached the printer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PreflightRefusal {
    /// The printer did not answer the status read.
    Unreachable,
    /// The printer needs a person, or holds media the chain was not
    /// rendered for (`media_mismatch`).
    Attention {
        /// A snake_case reason code (see [`reason`]).
        reason_code: String,
    },
}

/// What a status query (or a status block the printer sent by itself) saw.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ObservedStatus {
    /// Whether the printer answered.
    pub reachable: bool,
    /// The reason the printer needs a person, if it does.
    #[serde(default)]
    pub attention: Option<String>,
}

impl ObservedStatus {
    /// Reachable and ready.
    pub fn ready() -> Self {
        Self {
            reachable: true,
            attention: None,
        }
    }

    /// Reachable but needing a person for `reason`.
    pub fn attention(reason: impl Into<String>) -> Self {
        Self {
            reachable: true,
            attention: Some(reason.into()),
        }
    }

    /// Did not answer.
    pub fn unreachable() -> Self {
        Self {
            reachable: false,
            attention: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_states_serialize_with_snake_case_names() {
        let cases = [
            (PrinterState::Idle, r#"{"state":"idle"}"#),
            (PrinterState::Printing, r#"{"state":"printing"}"#),
            (PrinterState::Paused, r#"{"state":"paused"}"#),
            (
                PrinterState::Stopped {
                    reason: reason::NO_MEDIA.into(),
                },
                r#"{"state":"stopped","reason":"no_media"}"#,
            ),
            (
                PrinterState::Offline {
                    since: Timestamp::from_millis(42),
                },
                r#"{"state":"offline","since":42}"#,
            ),
            (PrinterState::Disabled, r#"{"state":"disabled"}"#),
        ];
        for (state, json) in cases {
            assert_eq!(serde_json::to_string(&state).expect("serializes"), json);
            let back: PrinterState = serde_json::from_str(json).expect("deserializes");
            assert_eq!(back, state);
            assert!(json.contains(state.name()));
        }
    }
}

/// What a printer last said about itself, from the channels it offers (a
/// status block on TCP, SNMP, or just whether it accepted a connection).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrinterStatus {
    /// It answered the last query.
    pub reachable: bool,
    /// Reachable and nothing needs a person.
    pub ready: bool,
    /// Why a person is needed (`no_media`, `printer_cover_open`, …), if so; on an
    /// unreachable printer, why it cannot be reached when the hub knows
    /// (`address_unresolvable`, `invalid_address`, `invalid_config`).
    pub reason: Option<String>,
    /// The media id it reports loaded (`None`: none, or the channel does not tell).
    pub media: Option<String>,
    /// Every error the printer reports, as stable codes.
    pub errors: Vec<String>,
    /// When it last answered.
    pub last_seen: Option<crate::id::Timestamp>,
    /// Where the status came from (`tcp`, `snmp`, `connect`).
    pub source: Option<String>,
    /// With reason `media_mismatch`: the media the waiting job was rendered for.
    pub expected_media: Option<String>,
}
