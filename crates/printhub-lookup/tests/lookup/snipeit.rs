//! Snipe-IT: assets by tag and id; 200 + status error is not-found; several
//! matches for one tag; HTML-escaped strings.

use crate::fake;
use crate::support::{error, found, lookups};
use printhub_lookup::{App, LookupError, Lookups, LookupsConfig};

#[actix_web::test]
async fn an_asset_tag_finds_the_asset_with_its_strings_unescaped() {
    let fake = fake::start();
    let item = found(&lookups(&fake), App::Snipeit, "A-0042").await;
    assert_eq!(item.title, "Dell & Sons \"XPS\" 13");
    assert_eq!(item.id, "A-0042");
    assert_eq!(item.template, "asset_tag");
    let page = format!("{}hardware/42", fake.url("snipe"));
    assert_eq!(item.url.as_deref(), Some(page.as_str()));
    assert_eq!(item.data.primary_id.as_deref(), Some("A-0042"));
    assert_eq!(
        item.data.qr_payload.as_deref(),
        Some(page.as_str()),
        "QR to the asset page"
    );
    assert_eq!(item.data.secondary, ["XPS 13 9340", "SN<1>"]);
    assert_eq!(item.data.fields["location"], "Office & Lab");
    assert_eq!(item.data.fields["status"], "Ready to Deploy");
    assert_eq!(item.data.fields["cf_mac_address"], "00:11:22:33:44:55");
}

#[actix_web::test]
async fn an_asset_url_or_a_numeric_tag_that_is_no_tag_finds_by_id() {
    let fake = fake::start();
    let lookups = lookups(&fake);
    let by_url = found(
        &lookups,
        App::Snipeit,
        &format!("{}hardware/42", fake.url("snipe")),
    )
    .await;
    assert_eq!(by_url.id, "A-0042");
    // An id said explicitly.
    let by_id = found(&lookups, App::Snipeit, "id:77").await;
    assert_eq!(
        (by_id.id.as_str(), by_id.title.as_str()),
        ("B-77", "Label printer")
    );
    // "77" is no asset tag, and a mistyped tag must not print asset 77: not found.
    let err = error(&lookups, App::Snipeit, "77", "not_found").await;
    assert!(err.to_string().contains("look up id:77"), "{err}");
}

#[actix_web::test]
async fn a_tag_with_a_slash_is_sent_with_the_slash_as_is() {
    let fake = fake::start();
    let lookups = lookups(&fake);
    // The fake answers `bytag/IT%2F0042` with Apache's 404 page, as Snipe-IT's images do.
    let item = found(&lookups, App::Snipeit, "IT/0042").await;
    assert_eq!(
        (item.id.as_str(), item.title.as_str()),
        ("IT/0042", "Docking station")
    );
    for bad in ["IT//0042", "IT/../42", "/IT"] {
        let err = error(&lookups, App::Snipeit, bad, "not_found").await;
        assert!(err.to_string().contains("between slashes"), "{bad}: {err}");
    }
}

#[actix_web::test]
async fn a_missing_asset_answered_with_http_200_is_not_found() {
    let fake = fake::start();
    let lookups = lookups(&fake);
    for id in [
        "NOPE-1",
        "12345",
        &format!("{}hardware/999", fake.url("snipe")),
    ] {
        let err = error(&lookups, App::Snipeit, id, "not_found").await;
        assert!(err.to_string().contains("Asset does not exist."), "{err}");
    }
    // A deleted asset (Snipe-IT still answers it by id) is not found either.
    let err = error(
        &lookups,
        App::Snipeit,
        &format!("{}hardware/50", fake.url("snipe")),
        "not_found",
    )
    .await;
    assert!(err.to_string().contains("deleted"), "{err}");
}

#[actix_web::test]
async fn a_tag_on_several_assets_is_ambiguous_unless_one_matches_exactly() {
    let fake = fake::start();
    let lookups = lookups(&fake);
    let err = error(&lookups, App::Snipeit, "DUP-1", "ambiguous").await;
    match err {
        LookupError::Ambiguous { candidates, .. } => assert_eq!(
            candidates,
            [7, 8].map(|id| format!("{}hardware/{id}", fake.url("snipe")))
        ),
        other => panic!("{other}"),
    }
    let item = found(&lookups, App::Snipeit, "dup-2").await;
    assert_eq!((item.id.as_str(), item.title.as_str()), ("dup-2", "Lower"));
}

#[actix_web::test]
async fn qr_codes_open_printhubs_landing_page_when_a_public_url_is_set() {
    let fake = fake::start();
    let lookups = Lookups::new(&LookupsConfig {
        public_url: Some("https://hub.example/labels".into()),
        ..crate::support::config(&fake)
    })
    .expect("config");
    let item = found(&lookups, App::Snipeit, "A-0042").await;
    assert_eq!(
        item.data.qr_payload.as_deref(),
        Some("https://hub.example/labels/asset/A-0042")
    );
    let spool = found(&lookups, App::Spoolman, "3").await;
    assert_eq!(
        spool.data.qr_payload.as_deref(),
        Some("https://hub.example/labels/spool/3")
    );
}
