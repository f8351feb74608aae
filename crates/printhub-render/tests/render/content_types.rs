//! The seven content types on real media: geometry, QR round trip, refusals.

use crate::support::{assert_geometry, decode_qr, pair, render_ct, sample};
use printhub_render::{ContentType, LabelData, Orientation, RenderRequest};

const MEDIA: &[(&str, &str)] = &[
    ("PT-P750W", "tze-12"),
    ("PT-P750W", "tze-24"),
    ("PT-P900W", "tze-12"),
    ("PT-P900W", "tze-36"),
    ("QL-820NWB", "dk-12"),
    ("QL-820NWB", "dk-29"),
    ("QL-820NWB", "dk-62"),
    ("QL-820NWB", "dk-29x90"),
    ("QL-820NWB", "dk-62x29"),
    ("QL-820NWB", "dk-62x100"),
    ("QL-1060N", "dk-102"),
];

/// Renders `ct` on `(model, media)` and checks geometry and that every QR decodes to the payload.
fn check(ct: ContentType, model: &str, media: &str, payload: &str) {
    let (model, media) = pair(model, media);
    let label = render_ct(ct, sample(payload), model, media)
        .unwrap_or_else(|e| panic!("{ct} on {} {}: {e}", model.name, media.id));
    assert_geometry(&label, model, media);
    assert!(!label.black.is_blank());
    if ct.has_qr() {
        assert_eq!(
            decode_qr(&label.black),
            vec![payload.to_string()],
            "{ct} on {} {}",
            model.name,
            media.id
        );
    } else {
        assert!(decode_qr(&label.black).is_empty());
    }
}

#[test]
fn every_content_type_renders_and_its_qr_decodes_on_every_sample_medium() {
    for (model, media) in MEDIA {
        for ct in ContentType::ALL {
            check(ct, model, media, "https://example.com/x");
        }
    }
}

#[test]
fn the_smallest_tape_each_qr_type_supports() {
    // tze-9 on 180 dpi is 50 dots: a version-1 QR (21 + 2×2 quiet modules) at 2 dots a module.
    for ct in ContentType::ALL.into_iter().filter(|c| c.has_qr()) {
        check(ct, "PT-P750W", "tze-9", "A01");
    }
    // tze-12 at 180 dpi (70 dots) takes a version-3 QR at 2 dots a module.
    check(
        ContentType::QrOneLine,
        "PT-P750W",
        "tze-12",
        "https://example.com/items/0042",
    );
}

#[test]
fn a_qr_that_needs_modules_under_two_dots_is_refused() {
    let (model, media) = pair("PT-P750W", "tze-6");
    let err = render_ct(ContentType::QrOnly, sample("A01"), model, media).expect_err("32 dots");
    assert_eq!(err.code(), "does_not_fit");
    let (model, media) = pair("PT-P750W", "tze-12");
    let long = "https://example.com/".repeat(10);
    let err = render_ct(ContentType::QrOnly, sample(&long), model, media).expect_err("too dense");
    assert_eq!(err.code(), "does_not_fit");
    // Text-only types still print on the narrowest tape.
    let (model, tze6) = pair("PT-P750W", "tze-6");
    let label =
        render_ct(ContentType::TextOneLine, sample("x"), model, tze6).expect("text on 6 mm");
    assert_eq!(label.black.width(), 32);
}

#[test]
fn a_qr_payload_too_long_for_the_tape_names_its_field_and_how_much_fits() {
    // Issue #24: the refusal is about the field a person edits, and says how
    // many of its characters fit, so the form can say "shorten it to N".
    for (model, media) in [
        ("PT-P750W", "tze-12"),
        ("PT-P750W", "tze-9"),
        ("QL-820NWB", "dk-12"),
    ] {
        let (model, media) = pair(model, media);
        for ct in [ContentType::QrOnly, ContentType::QrOneLine] {
            let long = "https://example.com/".repeat(10);
            let err = render_ct(ct, sample(&long), model, media).expect_err("too dense");
            let fits = match err {
                printhub_render::RenderError::DoesNotFit {
                    what, fits_chars, ..
                } => {
                    assert_eq!(what, "qr_payload");
                    fits_chars.expect("a count")
                }
                other => panic!("{other}"),
            };
            assert!(fits > 0 && fits < long.len(), "{fits}");
            // Exactly that many characters fit, and one more does not.
            let cut = &long[..fits];
            check_fits(ct, model, media, cut);
            let over = &long[..fits + 1];
            let err = render_ct(ct, sample(over), model, media).expect_err("one more");
            assert_eq!(err.code(), "does_not_fit", "{}", media.id);
        }
    }
}

#[test]
fn a_qr_payload_longer_than_any_symbol_on_a_small_tape_does_not_fit_rather_than_qr_too_large() {
    // 3,000 characters exceed even a version-40 symbol; on 12 mm tape what
    // the person can act on is how much of it the tape takes.
    let (model, media) = pair("PT-P750W", "tze-12");
    let short = "https://example.com/".repeat(10);
    let huge = "https://example.com/".repeat(150);
    let fits =
        |payload: &str| match render_ct(ContentType::QrOneLine, sample(payload), model, media) {
            Err(printhub_render::RenderError::DoesNotFit { fits_chars, .. }) => fits_chars,
            other => panic!("{other:?}"),
        };
    assert_eq!(fits(&huge), fits(&short));
    assert!(fits(&huge).is_some_and(|n| n > 0));
}

fn check_fits(
    ct: ContentType,
    model: &'static printhub_raster::Model,
    media: &'static printhub_raster::Media,
    payload: &str,
) {
    let label = render_ct(ct, sample(payload), model, media)
        .unwrap_or_else(|e| panic!("{payload:?} on {}: {e}", media.id));
    assert_eq!(decode_qr(&label.black), vec![payload.to_string()]);
}

#[test]
fn missing_fields_are_listed_in_one_error() {
    let (model, media) = pair("PT-P750W", "tze-12");
    let err = render_ct(
        ContentType::QrThreeLines,
        LabelData::default(),
        model,
        media,
    )
    .expect_err("empty");
    assert_eq!(err.code(), "content_type_data_mismatch");
    match err {
        printhub_render::RenderError::ContentTypeDataMismatch {
            content_type,
            missing,
        } => {
            assert_eq!(content_type, "qr_three_lines");
            assert_eq!(missing, ["qr_payload", "primary_id", "title", "secondary"]);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn continuous_labels_follow_the_content_and_die_cut_labels_do_not() {
    let (model, tape) = pair("PT-P750W", "tze-12");
    let mut data = sample("A01");
    let short = render_ct(ContentType::TextOneLine, data.clone(), model, tape).expect("short");
    data.primary_id = Some("A much longer identifier".into());
    let long = render_ct(ContentType::TextOneLine, data.clone(), model, tape).expect("long");
    assert!(long.black.height() > short.black.height());
    // Far too long for the model's maximum length (and as long as a text field may be).
    data.primary_id = Some("W".repeat(printhub_render::limits::MAX_TEXT_CHARS));
    let err =
        render_ct(ContentType::TextOneLine, data.clone(), model, tape).expect_err("max lines");
    assert_eq!(err.code(), "does_not_fit");
    // On a die-cut label the same text cannot grow the label: it is refused.
    let (ql, die) = pair("QL-820NWB", "dk-29x90");
    data.primary_id = Some("W".repeat(200));
    let err = render_ct(ContentType::TextOneLine, data, ql, die).expect_err("die-cut");
    assert_eq!(err.code(), "does_not_fit");
}

#[test]
fn orientation_can_be_overridden() {
    let (model, media) = pair("QL-820NWB", "dk-62");
    let req = RenderRequest::content_type(ContentType::QrTwoLines, sample("A01"));
    let portrait = printhub_render::render(&req, model, media).expect("default portrait");
    let landscape = printhub_render::render(
        &req.clone().with_orientation(Orientation::Landscape),
        model,
        media,
    )
    .expect("landscape");
    assert_geometry(&portrait, model, media);
    assert_geometry(&landscape, model, media);
    assert_ne!(portrait.black.height(), landscape.black.height());
    assert_eq!(decode_qr(&landscape.black), ["A01"]);
}

#[test]
fn listing_says_how_many_items_it_could_not_show() {
    let (model, media) = pair("PT-P750W", "tze-12");
    let mut data = sample("A01");
    data.items = (0..30)
        .map(|i| printhub_render::Item {
            item: format!("item {i}"),
            qr_payload: None,
        })
        .collect();
    let label = render_ct(ContentType::QrWithListing, data, model, media).expect("listing");
    assert_geometry(&label, model, media);
    assert_eq!(decode_qr(&label.black), ["A01"]);
}

#[test]
fn unsupported_media_is_the_raster_crates_error() {
    let (model, media) = pair("PT-P750W", "dk-62");
    let err = render_ct(ContentType::QrOnly, sample("A01"), model, media).expect_err("dk on pt");
    assert_eq!(err.code(), "unsupported_media");
}
