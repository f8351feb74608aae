//! Spoolman: spools by id, QR payload or page URL; JSON-encoded extra values.

use crate::fake;
use crate::support::{error, found, lookups};
use printhub_lookup::App;

#[actix_web::test]
async fn every_spool_identifier_finds_the_spool() {
    let fake = fake::start();
    let lookups = lookups(&fake);
    let page = format!("{}spool/show/3", fake.url("spoolman"));
    for id in [
        "3",
        "web+spoolman:s-3",
        "WEB+SPOOLMAN:S-3",
        "/spool/show/3",
        page.as_str(),
    ] {
        let item = found(&lookups, App::Spoolman, id).await;
        assert_eq!(item.id, "3", "{id}");
        assert_eq!(item.url.as_deref(), Some(page.as_str()));
    }
}

#[actix_web::test]
async fn a_spool_maps_vendor_material_colour_weight_and_extras() {
    let fake = fake::start();
    let item = found(&lookups(&fake), App::Spoolman, "3").await;
    assert_eq!(item.title, "Prusament PLA");
    assert_eq!(item.template, "filament_spool");
    assert_eq!(item.data.primary_id.as_deref(), Some("3"));
    assert_eq!(item.data.secondary, ["Galaxy Black", "742 g"]);
    assert_eq!(
        item.data.qr_payload.as_deref(),
        Some("WEB+SPOOLMAN:S-3"),
        "Spoolman's own QR"
    );
    let f = &item.data.fields;
    assert_eq!(f["color_hex"], "#1A1A1A");
    assert_eq!(f["extra_nfc_id"], "04A2B3", "JSON-encoded string decoded");
    assert_eq!(f["extra_dried"], "true");
    assert_eq!(f["diameter"], "1.75 mm");
    assert_eq!(f["location"], "Shelf B");
}

#[actix_web::test]
async fn a_spool_without_vendor_name_or_weight_still_maps() {
    let fake = fake::start();
    let item = found(&lookups(&fake), App::Spoolman, "web+spoolman:s-4").await;
    assert_eq!(item.title, "PETG");
    assert_eq!(
        item.data.secondary,
        ["#FF8800"],
        "colour from the hex, no weight"
    );
}

#[actix_web::test]
async fn unknown_spools_and_other_identifiers_are_not_found() {
    let fake = fake::start();
    let lookups = lookups(&fake);
    let err = error(&lookups, App::Spoolman, "99", "not_found").await;
    assert!(
        err.to_string().contains("No spool with ID 99 found."),
        "{err}"
    );
    for id in ["web+spoolman:f-3", "blue", "   "] {
        error(&lookups, App::Spoolman, id, "not_found").await;
    }
}
