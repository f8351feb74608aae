//! Spoolman's change feed: spools added come through mapped, other events
//! are skipped, a closed feed is reported once (as a feed error) and
//! reconnects, and every connection catches up on the spools added while
//! nothing listened.

use crate::fake::spool_json;
use crate::spoolman_ws::{self, event, Step};
use printhub_lookup::{App, Lookups, LookupsConfig, SourceConfig};
use std::time::Duration;

fn lookups(base: &str) -> Lookups {
    Lookups::new(&LookupsConfig {
        spoolman: Some(SourceConfig::new(base).timeout(crate::support::ANSWERS)),
        ..LookupsConfig::default()
    })
    .expect("lookups")
}

/// Bounds a step so that a broken feed fails the test instead of hanging it.
async fn bounded<T>(f: impl std::future::Future<Output = T>) -> T {
    actix_web::rt::time::timeout(Duration::from_secs(30), f)
        .await
        .expect("the feed answered")
}

#[actix_web::test]
async fn spools_added_come_through_and_the_feed_reconnects() {
    let feed = spoolman_ws::start(vec![
        vec![
            event("updated", "spool", spool_json("3").expect("3")),
            Step::Send("not json".into()),
            event(
                "added",
                "filament",
                serde_json::json!({"id": 9, "name": "New"}),
            ),
            event("added", "spool", spool_json("3").expect("3")),
            Step::Close,
        ],
        vec![event("added", "spool", spool_json("4").expect("4"))],
    ])
    .await;
    let lookups = lookups(&feed.base);
    let mut spools = lookups.spool_feed().expect("configured");
    assert_eq!(
        spools.url(),
        format!("{}api/v1/spool", feed.base.replace("http://", "ws://"))
    );
    let first = bounded(spools.next()).await.expect("spool 3");
    assert_eq!((first.app, first.id.as_str()), (App::Spoolman, "3"));
    assert_eq!(first.data.qr_payload.as_deref(), Some("WEB+SPOOLMAN:S-3"));
    assert_eq!(first.data.secondary, ["Galaxy Black", "742 g"]);
    let closed = bounded(spools.next()).await.expect_err("closed");
    assert_eq!(closed.code(), "feed_failed");
    assert!(
        closed.to_string().starts_with("Spoolman feed: "),
        "{closed}"
    );
    assert!(closed.to_string().contains("closed the feed"), "{closed}");
    let second = bounded(spools.next())
        .await
        .expect("spool 4 after reconnecting");
    assert_eq!(second.title, "PETG");
    assert_eq!(feed.paths(), ["/api/v1/spool", "/api/v1/spool"]);
}

#[actix_web::test]
async fn a_feed_that_cannot_connect_fails_and_an_unconfigured_one_says_so() {
    let lookups = lookups(&crate::fake::closed_port_url());
    let mut spools = lookups.spool_feed().expect("configured");
    let err = bounded(spools.next()).await.expect_err("no server");
    assert_eq!(err.code(), "feed_failed");
    assert!(err.to_string().contains("cannot connect"), "{err}");
    let none = Lookups::new(&LookupsConfig::default()).expect("lookups");
    assert_eq!(
        none.spool_feed().map(|_| ()).map_err(|e| e.code()),
        Err("not_configured")
    );
}

/// Spoolman down for a while: the WebSocket misses what happens meanwhile,
/// so on every connection the feed lists the spools newer than the last one
/// it handed out and hands those out first — once each, in id order.
#[actix_web::test]
async fn every_connection_catches_up_on_spools_added_while_nothing_listened() {
    let spool = |id: u64| {
        let mut s = spool_json("4").expect("4");
        s["id"] = serde_json::json!(id);
        s
    };
    let feed = spoolman_ws::start(vec![
        vec![event("added", "spool", spool(3)), Step::Close],
        vec![event("added", "spool", spool(6))],
    ])
    .await;
    feed.register(spool(1));
    feed.register(spool(2));
    let lookups = lookups(&feed.base);
    let mut spools = lookups.spool_feed().expect("configured");
    // A previous run labelled spool 1: spool 2 came while it was stopped.
    spools.resume_after(1);
    let mut ids = Vec::new();
    for _ in 0..2 {
        ids.push(bounded(spools.next()).await.expect("spool").id);
    }
    assert_eq!(ids, ["2", "3"]);
    let closed = bounded(spools.next()).await.expect_err("closed");
    assert_eq!(closed.code(), "feed_failed");
    // Added while Spoolman's feed was down for us: no event will ever say so.
    feed.register(spool(4));
    feed.register(spool(5));
    for want in ["4", "5", "6"] {
        let got = bounded(spools.next()).await.expect("caught up");
        assert_eq!(got.id, want);
    }
    assert_eq!(spools.cursor(), Some(6));
    let queries = feed.queries();
    assert_eq!(queries.len(), 2, "one list per connection: {queries:?}");
    assert!(
        queries
            .iter()
            .all(|q| q.starts_with("/api/v1/spool?sort=id%3Adesc&limit=")),
        "{queries:?}"
    );
}

/// A first start labels no spool that was already there.
#[actix_web::test]
async fn a_first_start_begins_after_the_newest_spool() {
    let feed = spoolman_ws::start(vec![vec![event(
        "added",
        "spool",
        spool_json("4").expect("4"),
    )]])
    .await;
    feed.register(spool_json("3").expect("3"));
    let lookups = lookups(&feed.base);
    let mut spools = lookups.spool_feed().expect("configured");
    let first = bounded(spools.next()).await.expect("spool 4");
    assert_eq!(first.id, "4", "spool 3 was there before");
}
