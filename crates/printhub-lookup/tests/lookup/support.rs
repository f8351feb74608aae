//! Lookups configured against the fake.

use crate::fake::{Fake, GROCY_KEY, SNIPE_KEY};
use printhub_lookup::{App, Found, LookupError, Lookups, LookupsConfig, SourceConfig};
use std::time::Duration;

/// Every app configured against `fake` with the right keys.
pub fn lookups(fake: &Fake) -> Lookups {
    Lookups::new(&config(fake)).expect("valid config")
}

/// The configuration behind [`lookups`].
pub fn config(fake: &Fake) -> LookupsConfig {
    LookupsConfig {
        grocy: Some(
            SourceConfig::new(fake.url("grocy"))
                .api_key(GROCY_KEY)
                .timeout(ANSWERS),
        ),
        snipeit: Some(
            SourceConfig::new(fake.url("snipe"))
                .api_key(SNIPE_KEY)
                .timeout(ANSWERS),
        ),
        spoolman: Some(SourceConfig::new(fake.url("spoolman")).timeout(ANSWERS)),
        ..LookupsConfig::default()
    }
}

/// Looks up and expects an item.
pub async fn found(lookups: &Lookups, app: App, id: &str) -> Found {
    lookups
        .lookup(app, id)
        .await
        .unwrap_or_else(|e| panic!("{app} {id:?}: {e}"))
}

/// Looks up and expects an error with `code`; returns it.
pub async fn error(lookups: &Lookups, app: App, id: &str, code: &str) -> LookupError {
    let err = lookups
        .lookup(app, id)
        .await
        .expect_err(&format!("{app} {id:?} should fail"));
    assert_eq!(err.code(), code, "{app} {id:?}: {err}");
    err
}

/// A short timeout for the upstreams that never finish answering (`slow`, `trickle`).
pub const SHORT: Duration = Duration::from_millis(300);

/// The timeout of every upstream that does answer, well-behaved or not (an
/// error status, garbage, a body over the cap, a redirect): far above what an
/// answer takes even on a loaded machine, so the answer and not the clock
/// decides the outcome.
pub const ANSWERS: Duration = Duration::from_secs(20);
