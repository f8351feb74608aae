//! Identifiers and time.
//!
//! [`JobId`], [`PrinterId`] and [`BatchId`] are distinct newtypes over
//! [`uuid::Uuid`] so that a job id can never be passed where a printer id is
//! expected. They serialize as the bare UUID string (`serde(transparent)`).
//! This crate never *generates* ids: the caller (an actor, a test) makes them
//! and hands them in, which keeps every state machine here deterministic.
//!
//! [`Timestamp`] is unix time in milliseconds. The core never reads a clock;
//! every method that needs the time takes a `now: Timestamp` argument.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ParseIdError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an existing UUID (the caller generates ids, never this crate).
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// A deterministic id from a number; convenient in tests and examples.
            pub const fn from_u128(value: u128) -> Self {
                Self(Uuid::from_u128(value))
            }

            /// The wrapped UUID.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// Unwraps the UUID.
            pub const fn into_uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|source| ParseIdError { kind: $kind, source })
            }
        }
    };
}

uuid_id!(
    /// Identifies one job (one label design with N copies for one printer).
    JobId,
    "job"
);
uuid_id!(
    /// Identifies one printer known to the hub.
    PrinterId,
    "printer"
);
uuid_id!(
    /// Identifies a batch: a list of jobs submitted together.
    BatchId,
    "batch"
);

/// A point in time: milliseconds since the unix epoch (UTC).
///
/// Ordered, copyable and serialized as a bare integer. Arithmetic saturates
/// instead of overflowing, so no input can make it panic.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// A timestamp from unix milliseconds.
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Unix milliseconds.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This instant plus `millis` (which may be negative), saturating.
    #[must_use]
    pub const fn plus_millis(self, millis: i64) -> Self {
        Self(self.0.saturating_add(millis))
    }

    /// Milliseconds from `earlier` to `self` (negative when `earlier` is later), saturating.
    pub const fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({}ms)", self.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_display_and_serde() {
        let id = JobId::from_u128(0x1234);
        let text = id.to_string();
        assert_eq!(text, "00000000-0000-0000-0000-000000001234");
        assert_eq!(text.parse::<JobId>().expect("ok"), id);
        let json = serde_json::to_string(&id).expect("ok");
        assert_eq!(json, "\"00000000-0000-0000-0000-000000001234\"");
        assert_eq!(serde_json::from_str::<JobId>(&json).expect("ok"), id);
    }

    #[test]
    fn bad_id_is_an_error_value() {
        let err = "not-a-uuid".parse::<PrinterId>().expect_err("must fail");
        assert_eq!(err.code(), "invalid_request");
        assert_eq!(err.kind, "printer");
    }

    #[test]
    fn timestamps_order_and_saturate() {
        let t = Timestamp::from_millis(1_000);
        assert!(t < t.plus_millis(1));
        assert_eq!(t.plus_millis(-500).as_millis(), 500);
        assert_eq!(
            Timestamp::from_millis(i64::MAX).plus_millis(1).as_millis(),
            i64::MAX
        );
        assert_eq!(t.plus_millis(250).millis_since(t), 250);
        assert_eq!(serde_json::to_string(&t).expect("ok"), "1000");
    }
}
