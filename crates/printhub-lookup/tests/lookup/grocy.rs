//! Grocy: products by id, grocycode (with a stock entry) and barcode;
//! batteries, chores, recipes; 400 + error_message is not-found.

use crate::fake;
use crate::support::{error, found, lookups};
use printhub_lookup::{App, LookupError, Lookups, LookupsConfig, SourceConfig};

#[actix_web::test]
async fn a_grocycode_with_a_stock_entry_prints_that_entrys_due_date() {
    let fake = fake::start();
    let lookups = lookups(&fake);
    let item = found(&lookups, App::Grocy, "grcy:p:12:6630ab3c1f2e1").await;
    assert_eq!(item.title, "Whole Milk");
    assert_eq!(item.id, "grcy:p:12:6630ab3c1f2e1");
    assert_eq!(item.template, "product");
    assert_eq!(
        item.data.qr_payload.as_deref(),
        Some("grcy:p:12:6630ab3c1f2e1")
    );
    assert_eq!(item.data.secondary, ["2026-05-01"]);
    assert_eq!(item.data.fields["amount"], "1");
    assert_eq!(item.data.fields["stock_id"], "6630ab3c1f2e1");
    assert_eq!(
        item.url.as_deref(),
        Some(format!("{}product/12", fake.url("grocy")).as_str())
    );
}

#[actix_web::test]
async fn a_product_id_prints_the_soonest_due_date_and_never_prints_none() {
    let fake = fake::start();
    let lookups = lookups(&fake);
    for id in [
        "12",
        "grcy:p:12",
        &format!("{}product/12", fake.url("grocy")),
    ] {
        let item = found(&lookups, App::Grocy, id).await;
        assert_eq!(item.id, "grcy:p:12", "{id}");
        assert_eq!(
            item.data.secondary,
            ["2026-04-28"],
            "{id}: the sooner of two entries"
        );
    }
    // 2999-12-31 is Grocy's "never overdue".
    let salt = found(&lookups, App::Grocy, "13").await;
    assert_eq!(salt.title, "Sea Salt");
    assert!(salt.data.secondary.is_empty());
}

#[actix_web::test]
async fn a_barcode_finds_its_product() {
    let fake = fake::start();
    let item = found(&lookups(&fake), App::Grocy, "4006381333931").await;
    assert_eq!(
        (item.title.as_str(), item.id.as_str()),
        ("Whole Milk", "grcy:p:12")
    );
    assert_eq!(item.data.secondary, ["2026-04-28"]);
    assert_eq!(item.data.fields["barcode"], "4006381333931");
}

#[actix_web::test]
async fn batteries_chores_and_recipes_have_grocycodes_too() {
    let fake = fake::start();
    let lookups = lookups(&fake);
    let battery = found(&lookups, App::Grocy, "grcy:b:2").await;
    assert_eq!(battery.title, "Smoke alarm hall");
    assert_eq!(battery.data.secondary, ["2026-09-01"]);
    assert_eq!(battery.data.qr_payload.as_deref(), Some("grcy:b:2"));
    let chore = found(&lookups, App::Grocy, "grcy:c:4").await;
    assert_eq!(
        (chore.title.as_str(), chore.data.secondary[0].as_str()),
        ("Descale kettle", "2026-05-10")
    );
    let recipe = found(&lookups, App::Grocy, "grcy:r:5").await;
    assert_eq!(recipe.title, "Tomato soup");
    assert!(recipe.data.secondary.is_empty());
}

#[actix_web::test]
async fn unknown_ids_barcodes_and_stock_entries_are_not_found_with_grocys_message() {
    let fake = fake::start();
    let lookups = lookups(&fake);
    for (id, message) in [
        ("99", "Object not found"),
        ("grcy:p:99", "Object not found"),
        (
            "0000000000000",
            "No product with barcode 0000000000000 found",
        ),
        ("grcy:b:9", "Battery does not exist"),
        ("grcy:c:9", "Chore does not exist"),
        ("grcy:r:9", "Object not found"),
        ("grcy:p:12:spent", "no stock entry \"spent\""),
        ("grcy:z:1", "unknown grocycode kind"),
    ] {
        let err = error(&lookups, App::Grocy, id, "not_found").await;
        assert!(err.to_string().contains(message), "{id}: {err}");
    }
}

#[actix_web::test]
async fn a_wrong_key_fails_and_says_so() {
    let fake = fake::start();
    let lookups = Lookups::new(&LookupsConfig {
        grocy: Some(
            SourceConfig::new(fake.url("grocy"))
                .api_key("wrong")
                .timeout(crate::support::ANSWERS),
        ),
        ..LookupsConfig::default()
    })
    .expect("config");
    let err = error(&lookups, App::Grocy, "12", "failed").await;
    assert!(
        matches!(&err, LookupError::Failed { reason, .. } if reason.contains("API key was rejected")),
        "{err}"
    );
    assert!(
        !err.to_string().contains("wrong"),
        "the key is not in the message"
    );
}
