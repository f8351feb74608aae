//! Per-caller rate limits on mutations, with `governor` (GCRA): one
//! limiter per bucket (`key:<id>`, `proxy:<user>`, `anon:<address>`), each
//! allowing `n` a minute with a burst of `n`. Reads are never counted (the
//! middleware only asks for mutating methods).
//!
//! Every counted answer says where the caller stands ([`RateState`]): the
//! `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` fields of
//! the IETF draft (draft-ietf-httpapi-ratelimit-headers), where `Reset` is
//! the seconds until the whole burst is available again (GCRA refills one
//! cell every `60 / n` s), and on a 429 the seconds until the next cell,
//! which is also its `Retry-After`.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

type Limiter = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

/// The limiters, created on first use.
#[derive(Default)]
pub(crate) struct Limiters {
    buckets: Mutex<HashMap<String, (u32, Arc<Limiter>)>>,
}

/// Where a caller stands against its limit after a counted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateState {
    /// Mutations allowed a minute (and the burst).
    pub limit: u32,
    /// Mutations the caller may still make at once.
    pub remaining: u32,
    /// Seconds until the whole burst is available again (on a refusal: until
    /// the next mutation is).
    pub reset: u64,
}

impl RateState {
    /// The three response header fields that carry it (names in the lower
    /// case HTTP/2 requires; HTTP/1.1 names are case-insensitive).
    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            ("ratelimit-limit", self.limit.to_string()),
            ("ratelimit-remaining", self.remaining.to_string()),
            ("ratelimit-reset", self.reset.to_string()),
        ]
    }
}

impl RateState {
    /// `error` carrying these fields (a 429's).
    pub(crate) fn onto(&self, error: crate::error::ApiError) -> crate::error::ApiError {
        self.headers()
            .into_iter()
            .fold(error, |error, (name, value)| error.with_header(name, value))
    }
}

fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl Limiters {
    /// Takes one cell from `bucket` (`per_minute` a minute) and says what is
    /// left, or says how long to wait for the next one (`remaining` 0).
    pub(crate) fn check(&self, bucket: &str, per_minute: u32) -> Result<RateState, RateState> {
        let limiter = {
            let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
            match buckets.get(bucket) {
                Some((n, limiter)) if *n == per_minute => Arc::clone(limiter),
                _ => {
                    let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
                    let limiter = Arc::new(
                        RateLimiter::direct(Quota::per_minute(n))
                            .with_middleware::<StateInformationMiddleware>(),
                    );
                    buckets.insert(bucket.to_owned(), (per_minute, Arc::clone(&limiter)));
                    limiter
                }
            }
        };
        if per_minute == 0 {
            return Err(RateState {
                limit: 0,
                remaining: 0,
                reset: 60,
            });
        }
        match limiter.check() {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity().min(per_minute);
                let refill = Duration::from_secs(60) / per_minute;
                Ok(RateState {
                    limit: per_minute,
                    remaining,
                    reset: whole_seconds(refill * (per_minute - remaining)),
                })
            }
            Err(not_until) => Err(RateState {
                limit: per_minute,
                remaining: 0,
                reset: whole_seconds(not_until.wait_time_from(DefaultClock::default().now()))
                    .max(1),
            }),
        }
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
        for i in 0..3u32 {
            let state = limiters.check("key:a", 3).expect("within the burst");
            assert_eq!(state.limit, 3);
            assert_eq!(state.remaining, 2 - i, "call {i}");
            // 3 a minute: one cell every 20 s; full again after 20 s per used cell.
            let used = u64::from(i + 1);
            assert!(
                state.reset <= 20 * used && state.reset > 20 * used - 2,
                "call {i}: {state:?}"
            );
        }
        let refused = limiters.check("key:a", 3).expect_err("fourth call");
        assert_eq!(refused.remaining, 0);
        assert!(refused.reset > 10 && refused.reset <= 20, "{refused:?}");
        assert!(limiters.check("key:b", 3).is_ok(), "buckets are separate");
    }

    #[test]
    fn zero_a_minute_allows_nothing() {
        let limiters = Limiters::default();
        assert!(limiters.check("anon:x", 0).is_err());
    }
}
