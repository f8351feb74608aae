//! What lookups answer prints: every looked-up item, with its default
//! template, renders on every medium of each head family to a label whose
//! QR code or DataMatrix decodes to the item's payload — or is refused with
//! `does_not_fit`, never clipped and never another error.

use crate::decode::{decode_datamatrix, decode_qr};
use crate::fake;
use crate::support::{found, lookups};
use printhub_lookup::App;
use printhub_raster::{geometry, Model, MEDIA};
use printhub_render::{render, RenderRequest, TemplateRef};

#[actix_web::test]
async fn every_looked_up_item_fits_or_refuses_on_every_medium() {
    let fake = fake::start();
    let lookups = lookups(&fake);
    let mut items = Vec::new();
    for (app, id) in [
        (App::Snipeit, "A-0042"),
        (App::Grocy, "grcy:p:12:6630ab3c1f2e1"),
        (App::Grocy, "13"),
        (App::Spoolman, "3"),
        (App::Spoolman, "4"),
    ] {
        items.push(found(&lookups, app, id).await);
    }
    // The media most labels go on must take every item.
    let common = [
        ("PT-P750W", "tze-12"),
        ("PT-P750W", "tze-24"),
        ("QL-820NWB", "dk-62"),
        ("QL-820NWB", "dk-29x90"),
    ];
    let mut printed = 0;
    for model in ["PT-P750W", "PT-P900W", "QL-820NWB", "QL-1060N"] {
        let m = Model::by_name(model).expect("model");
        for media in MEDIA.iter().filter(|md| geometry(m, md).is_ok()) {
            for item in &items {
                let request = RenderRequest::template(
                    TemplateRef::Name(item.template.to_string()),
                    item.data.clone(),
                );
                let what = format!("{} {} on {model} {}", item.app, item.id, media.id);
                match render(&request, m, media) {
                    Ok(label) => {
                        assert_eq!(
                            label.black.width(),
                            geometry(m, media).expect("geometry").printable() as usize,
                            "{what}"
                        );
                        let payload = item.data.qr_payload.clone();
                        if item.template == "product" {
                            assert_eq!(decode_datamatrix(&label.black), payload, "{what}");
                        } else {
                            assert_eq!(decode_qr(&label.black), Vec::from_iter(payload), "{what}");
                        }
                        printed += 1;
                    }
                    Err(e) => {
                        assert_eq!(e.code(), "does_not_fit", "{what}: {e}");
                        assert!(!common.contains(&(model, media.id)), "{what}: {e}");
                    }
                }
            }
        }
    }
    assert!(
        printed >= common.len() * items.len(),
        "{printed} labels printed"
    );
}

/// Grocy's webhook labels — a purchase (stock entry, due date, amount), a
/// product label (name and grocycode only) and a battery — print with every
/// built-in template Grocy's fields are mapped onto, on the usual media,
/// never with `content_type_data_mismatch`.
#[test]
fn grocy_labels_print_with_every_template_they_are_mapped_onto() {
    use printhub_lookup::grocy::{template_fits, webhook_label};
    let payloads = [
        serde_json::json!({
            "product": "Whole Milk", "grocycode": "grcy:p:12:6630ab3c1f2e1",
            "details": {"location": {"id": "2", "name": "Fridge"},
                        "quantity_unit_stock": {"id": "3", "name": "Pack"}},
            "stock_entry": {"amount": "1", "location_id": "2", "best_before_date": "2026-05-01"},
            "due_date": "DD: 2026-05-03",
        }),
        serde_json::json!({"product": "Sea Salt", "grocycode": "grcy:p:13"}),
        serde_json::json!({"battery": "Smoke alarm", "grocycode": "grcy:b:2"}),
    ];
    let mut mapped = 0;
    for payload in &payloads {
        let label = webhook_label(payload).expect("payload");
        for (template, _) in printhub_render::template::BUILTIN {
            let Ok(data) = label.data_for(template) else {
                assert!(template_fits(template).is_err(), "{template}");
                continue;
            };
            mapped += 1;
            for (model, media) in [
                ("PT-P750W", "tze-24"),
                ("QL-820NWB", "dk-62"),
                ("QL-820NWB", "dk-29x90"),
            ] {
                let m = Model::by_name(model).expect("model");
                let md = MEDIA.iter().find(|x| x.id == media).expect("media");
                let request =
                    RenderRequest::template(TemplateRef::Name(template.to_string()), data.clone());
                let what = format!("{} with {template} on {model} {media}", label.grocycode);
                match render(&request, m, md) {
                    Ok(_) => {}
                    Err(e) => assert_eq!(e.code(), "does_not_fit", "{what}: {e}"),
                }
            }
        }
    }
    assert_eq!(
        mapped,
        payloads.len() * 6,
        "six templates take Grocy labels"
    );
}
