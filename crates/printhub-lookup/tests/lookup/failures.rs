//! Every way an upstream misbehaves ends as `failed` with a reason, within
//! the source's timeout; an app that is not configured is `not_configured`.

use crate::fake;
use crate::support::{error, ANSWERS, SHORT};
use printhub_lookup::{App, LookupError, Lookups, LookupsConfig, SourceConfig};
use std::time::Duration;

/// Every app pointed at `base` with `timeout`.
fn pointed_at(base: &str, timeout: Duration) -> Lookups {
    let source = |key: Option<&str>| {
        let s = SourceConfig::new(base).timeout(timeout);
        match key {
            Some(k) => s.api_key(k),
            None => s,
        }
    };
    Lookups::new(&LookupsConfig {
        grocy: Some(source(Some(fake::GROCY_KEY))),
        snipeit: Some(source(Some(fake::SNIPE_KEY))),
        spoolman: Some(source(None)),
        ..LookupsConfig::default()
    })
    .expect("config")
}

/// Looks `id` up in every app at `base` (with `timeout`); each must fail with a
/// reason containing `why`.
async fn check(base: &str, timeout: Duration, why: &str) {
    let lookups = pointed_at(base, timeout);
    for (app, id) in [
        (App::Grocy, "12"),
        (App::Snipeit, "A-0042"),
        (App::Spoolman, "3"),
    ] {
        // The outer bound only keeps a broken build from hanging the suite; it is
        // above the timeout the lookup itself is allowed.
        let err = tokio_timeout(error(&lookups, app, id, "failed")).await;
        match &err {
            LookupError::Failed { reason, .. } => {
                assert!(
                    reason.contains(why),
                    "{app} at {base}: {reason:?} should say {why:?}"
                )
            }
            other => panic!("{other}"),
        }
    }
}

async fn tokio_timeout<T>(f: impl std::future::Future<Output = T>) -> T {
    actix_web::rt::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("the lookup returned")
}

#[actix_web::test]
async fn an_upstream_that_never_answers_times_out() {
    let fake = fake::start();
    check(&fake.url("slow"), SHORT, "no complete answer within").await;
}

#[actix_web::test]
async fn a_body_that_stops_halfway_times_out() {
    let fake = fake::start();
    check(&fake.url("trickle"), SHORT, "no complete answer within").await;
}

#[actix_web::test]
async fn an_upstream_that_is_down_fails_with_the_cause() {
    check(&fake::closed_port_url(), ANSWERS, "cannot connect").await;
}

#[actix_web::test]
async fn server_errors_fail_with_the_status() {
    let fake = fake::start();
    check(&fake.url("5xx"), ANSWERS, "HTTP 503").await;
}

#[actix_web::test]
async fn malformed_json_fails() {
    let fake = fake::start();
    check(&fake.url("garbage"), ANSWERS, "malformed JSON").await;
}

#[actix_web::test]
async fn huge_bodies_are_cut_off_at_the_cap_with_or_without_a_length() {
    let fake = fake::start();
    check(&fake.url("huge"), ANSWERS, "larger than 1048576 bytes").await;
    check(
        &fake.url("huge-chunked"),
        ANSWERS,
        "larger than 1048576 bytes",
    )
    .await;
    // Under a larger cap the same chunked answer is read whole.
    let lookups = Lookups::new(&LookupsConfig {
        spoolman: Some(SourceConfig::new(fake.url("huge-chunked")).timeout(ANSWERS)),
        max_body: 8 << 20,
        ..LookupsConfig::default()
    })
    .expect("config");
    let err = error(&lookups, App::Spoolman, "3", "failed").await;
    assert!(
        err.to_string().contains("spool"),
        "read whole, then it is no spool: {err}"
    );
}

#[actix_web::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let fake = fake::start();
    check(&fake.url("redirect"), ANSWERS, "redirected elsewhere").await;
}

#[actix_web::test]
async fn an_app_that_is_not_configured_says_so() {
    let lookups = Lookups::new(&LookupsConfig::default()).expect("config");
    for app in App::ALL {
        assert!(!lookups.is_configured(app));
        let err = error(&lookups, app, "1", "not_configured").await;
        assert!(
            err.to_string()
                .contains(&format!("[integrations.{}]", app.as_str())),
            "{err}"
        );
    }
}
