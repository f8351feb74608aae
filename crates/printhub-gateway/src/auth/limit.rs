//! Per-caller rate limits on mutations, with `governor` (GCRA): one
//! limiter per bucket (`key:<id>`, `proxy:<user>`, `anon:<address>`), each
//! allowing `n` a minute with a burst of `n`. Reads are never counted (the
//! middleware only asks for mutating methods).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// The limiters, created on first use.
#[derive(Default)]
pub(crate) struct Limiters {
    buckets: Mutex<HashMap<String, (u32, Arc<DefaultDirectRateLimiter>)>>,
}

impl Limiters {
    /// Takes one cell from `bucket` (`per_minute` a minute), or says how
    /// long to wait for the next one.
    pub(crate) fn check(&self, bucket: &str, per_minute: u32) -> Result<(), Duration> {
        let limiter = {
            let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
            match buckets.get(bucket) {
                Some((n, limiter)) if *n == per_minute => Arc::clone(limiter),
                _ => {
                    let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
                    let limiter = Arc::new(RateLimiter::direct(Quota::per_minute(n)));
                    buckets.insert(bucket.to_owned(), (per_minute, Arc::clone(&limiter)));
                    limiter
                }
            }
        };
        if per_minute == 0 {
            return Err(Duration::from_secs(60));
        }
        limiter
            .check()
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Drops the limiter of a revoked key.
    pub(crate) fn forget(&self, key_id: &str) {
        self.buckets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&format!("key:{key_id}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_says_how_long_to_wait() {
        let limiters = Limiters::default();
        for i in 0..3 {
            assert!(limiters.check("key:a", 3).is_ok(), "call {i}");
        }
        let wait = limiters.check("key:a", 3).expect_err("fourth call");
        // 3 a minute: one cell every 20 s.
        assert!(
            wait > Duration::from_secs(10) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(limiters.check("key:b", 3).is_ok(), "buckets are separate");
    }

    #[test]
    fn zero_a_minute_allows_nothing() {
        let limiters = Limiters::default();
        assert!(limiters.check("anon:x", 0).is_err());
    }
}
