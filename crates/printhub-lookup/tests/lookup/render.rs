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
