//! The actors' clock: the one place printhub-actors reads the time. The
//! sans-io machines of printhub-core (`PrinterMachine`, `Link`) never do;
//! every handler and callback reads [`now`] once and passes it in.

use printhub_core::Timestamp;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the system clock is before it).
pub(crate) fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_millis(ms)
}
