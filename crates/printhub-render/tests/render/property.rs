//! Nothing is ever drawn outside the printable area: over every model ×
//! media × content type with random data, a render is either a label of
//! exactly the right size or a clear error, never a panic.

use crate::support::assert_geometry;
use printhub_raster::{geometry, MEDIA, MODELS};
use printhub_render::{render, ContentType, LabelData, RenderRequest};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9 ]{0,12}",
        "[äöüßéΩμКи ]{1,8}",
        Just("Box 📦".to_string()),
        "[A-Z]{20,60}",
    ]
}

fn data() -> impl Strategy<Value = LabelData> {
    (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of("[a-z0-9:/.]{0,60}"),
        proptest::collection::vec(text(), 0..3),
        proptest::collection::vec(text(), 0..12),
    )
        .prop_map(
            |(title, primary_id, qr_payload, secondary, items)| LabelData {
                title,
                primary_id,
                qr_payload,
                secondary,
                items: items
                    .into_iter()
                    .map(|item| printhub_render::Item {
                        item,
                        qr_payload: None,
                    })
                    .collect(),
                ..Default::default()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn labels_fit_exactly_or_fail_cleanly(
        model in 0..MODELS.len(),
        media in 0..MEDIA.len(),
        ct in 0..ContentType::ALL.len(),
        data in data(),
    ) {
        let (model, media, ct) = (&MODELS[model], &MEDIA[media], ContentType::ALL[ct]);
        match render(&RenderRequest::content_type(ct, data), model, media) {
            Ok(label) => assert_geometry(&label, model, media),
            Err(e) => {
                let allowed = ["does_not_fit", "content_type_data_mismatch", "missing_glyphs", "unsupported_media"];
                prop_assert!(allowed.contains(&e.code()), "{} on {} {}: {e}", ct, model.name, media.id);
                if e.code() == "unsupported_media" {
                    prop_assert!(geometry(model, media).is_err());
                }
            }
        }
    }
}
