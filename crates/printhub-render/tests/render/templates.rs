//! Declarative templates: the built-ins, every element kind, placeholders,
//! symbols decoded back, red ink and refusals.

use crate::support::{assert_geometry, decode_qr, decode_rxing, pair, sample};
use printhub_render::template::{Template, BUILTIN};
use printhub_render::{render, LabelData, RenderRequest, TemplateRef};
use rxing::BarcodeFormat;

fn data() -> LabelData {
    let mut d = sample("https://example.com/x");
    d.secondary = vec!["2027-04-30".into(), "1 kg".into()];
    d
}

/// Renders inline template JSON `json` with `data` on `(model, media)`.
fn check(
    json: &str,
    data: &LabelData,
    model: &str,
    media: &str,
) -> Result<printhub_raster::Label, printhub_render::RenderError> {
    let (model, media) = pair(model, media);
    let t = Template::from_json(json)?;
    let label = render(
        &RenderRequest::template(TemplateRef::Inline(Box::new(t)), data.clone()),
        model,
        media,
    )?;
    assert_geometry(&label, model, media);
    Ok(label)
}

#[test]
fn every_builtin_renders_and_its_symbol_decodes() {
    for (model, media) in [
        ("PT-P750W", "tze-24"),
        ("QL-820NWB", "dk-62"),
        ("QL-820NWB", "dk-29x90"),
    ] {
        let (m, md) = pair(model, media);
        for (name, _) in BUILTIN {
            let label = render(
                &RenderRequest::template(TemplateRef::Name(name.to_string()), data()),
                m,
                md,
            )
            .unwrap_or_else(|e| panic!("{name} on {media}: {e}"));
            assert_geometry(&label, m, md);
            match *name {
                "product" => assert_eq!(
                    decode_rxing(&label.black, BarcodeFormat::DATA_MATRIX).as_deref(),
                    Some("https://example.com/x"),
                    "{name} on {media}"
                ),
                "shelf" | "plain_text" => assert!(decode_qr(&label.black).is_empty()),
                _ => assert_eq!(
                    decode_qr(&label.black),
                    ["https://example.com/x"],
                    "{name} on {media}"
                ),
            }
        }
    }
}

#[test]
fn a_product_without_a_due_date_prints_its_name_and_grocycode() {
    // Grocy items without a due date (never overdue, batteries without an
    // interval, recipes) leave the due line out instead of failing.
    let data = LabelData {
        title: Some("Sea Salt".into()),
        qr_payload: Some("grcy:p:13".into()),
        ..Default::default()
    };
    for (model, media) in [("PT-P750W", "tze-12"), ("QL-820NWB", "dk-62")] {
        let (m, md) = pair(model, media);
        let request = RenderRequest::template(TemplateRef::Name("product".into()), data.clone());
        let label = render(&request, m, md).unwrap_or_else(|e| panic!("{media}: {e}"));
        assert_geometry(&label, m, md);
        assert_eq!(
            decode_rxing(&label.black, BarcodeFormat::DATA_MATRIX).as_deref(),
            Some("grcy:p:13"),
            "{media}"
        );
        let mut dated = data.clone();
        dated.secondary = vec!["2026-05-01".into()];
        let with_due = render(
            &RenderRequest::template(TemplateRef::Name("product".into()), dated),
            m,
            md,
        )
        .expect("dated");
        assert_ne!(
            with_due.black, label.black,
            "{media}: the due line is drawn when given"
        );
    }
    // The name is still required.
    let err = render(
        &RenderRequest::template(
            TemplateRef::Name("product".into()),
            LabelData {
                qr_payload: Some("grcy:p:13".into()),
                ..Default::default()
            },
        ),
        pair("PT-P750W", "tze-24").0,
        pair("PT-P750W", "tze-24").1,
    )
    .expect_err("no title");
    assert_eq!(err.code(), "content_type_data_mismatch");
}

#[test]
fn linear_barcodes_and_datamatrix_decode_back() {
    let json = r#"{"name": "codes", "length_mm": 60, "elements": [
        {"type": "barcode", "symbology": "code128", "x": 0, "y": 0, "h": "30%", "data": "{primary_id}-42"},
        {"type": "barcode", "symbology": "ean13", "x": 0, "y": "33%", "h": "30%", "data": "400638133393"},
        {"type": "barcode", "symbology": "code39", "x": 0, "y": "67%", "h": "30%", "data": "SHELF 7"}
    ]}"#;
    let label = check(json, &data(), "QL-820NWB", "dk-62").expect("codes");
    // Each symbol alone (dk-62 is portrait: layout y is the raster line).
    let part = |from: usize, to: usize| {
        printhub_raster::Bitmap::from_fn(label.black.width(), to - from, |x, y| {
            label.black.get(x, y + from)
        })
    };
    let h = label.black.height();
    assert_eq!(
        decode_rxing(&part(0, h / 3), BarcodeFormat::CODE_128).as_deref(),
        Some("A01-42")
    );
    assert_eq!(
        decode_rxing(&part(h / 3, 2 * h / 3), BarcodeFormat::EAN_13).as_deref(),
        Some("4006381333931")
    );
    assert_eq!(
        decode_rxing(&part(2 * h / 3, h), BarcodeFormat::CODE_39).as_deref(),
        Some("SHELF 7")
    );

    let json = r#"{"elements": [{"type": "datamatrix", "data": "grcy:p:42:x"}]}"#;
    let label = check(json, &data(), "PT-P750W", "tze-12").expect("datamatrix on 12 mm");
    assert_eq!(
        decode_rxing(&label.black, BarcodeFormat::DATA_MATRIX).as_deref(),
        Some("grcy:p:42:x")
    );
}

#[test]
fn a_barcode_too_dense_for_its_box_is_refused() {
    let json = r#"{"length_mm": 20, "elements": [{"type": "barcode", "symbology": "code128", "data": "ABCDEFGHIJKLMNOP"}]}"#;
    assert_eq!(
        check(json, &data(), "PT-P750W", "tze-12")
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("does_not_fit")
    );
    let json = r#"{"elements": [{"type": "barcode", "symbology": "ean13", "data": "{title}"}]}"#;
    assert_eq!(
        check(json, &data(), "PT-P750W", "tze-12")
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("barcode_charset")
    );
}

#[test]
fn lines_boxes_inversion_and_text_options_draw_inside_the_canvas() {
    let json = r#"{"aspect": 4, "elements": [
        {"type": "box", "thickness_mm": 0.5},
        {"type": "line", "x1": 0, "y1": 0, "x2": "99%", "y2": "90%"},
        {"type": "text", "x": "5%", "w": "40%", "text": "{title} {primary_id} and more words", "wrap": true, "max_lines": 2, "bold": true},
        {"type": "text", "x": "50%", "w": "45%", "size_mm": 3, "text": "right", "align": "right", "valign": "bottom"},
        {"type": "invert", "x": "50%", "y": 0, "w": "10%", "h": "50%"}
    ]}"#;
    let label = check(json, &data(), "PT-P750W", "tze-24").expect("elements");
    assert!(!label.black.is_blank());
    // An element box leaving the canvas is refused, not clipped.
    let json = r#"{"elements": [{"type": "box", "x": "50%", "w": "60%"}]}"#;
    assert_eq!(
        check(json, &data(), "PT-P750W", "tze-24")
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("does_not_fit")
    );
    // Fixed-size text that does not fit without max_lines is refused...
    let json = r#"{"elements": [{"type": "text", "w": "10%", "size_mm": 3, "text": "a long line of text"}]}"#;
    assert_eq!(
        check(json, &data(), "PT-P750W", "tze-24")
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("does_not_fit")
    );
    // ...and cut with an ellipsis with it.
    let json = r#"{"elements": [{"type": "text", "w": "30%", "size_mm": 3, "text": "a long line of text", "max_lines": 1}]}"#;
    assert!(check(json, &data(), "PT-P750W", "tze-24").is_ok());
}

#[test]
fn an_embedded_image_element_renders() {
    use base64::Engine;
    let img = image::GrayImage::from_fn(30, 30, |x, _| image::Luma([if x < 15 { 0 } else { 255 }]));
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
    let json = format!(
        r#"{{"elements": [{{"type": "image", "w": "50%", "data_base64": "{b64}", "dither": "threshold"}}]}}"#
    );
    let label = check(&json, &data(), "PT-P750W", "tze-24").expect("image");
    assert!(!label.black.is_blank());
}

#[test]
fn missing_data_is_listed_once_and_optional_elements_are_skipped() {
    let json = r#"{"name": "t", "elements": [
        {"type": "text", "h": "50%", "text": "{title} {nope}"},
        {"type": "qr", "data": "{qr_payload}"},
        {"type": "text", "y": "50%", "text": "{fields_only}", "optional": true}
    ]}"#;
    let err = check(json, &LabelData::default(), "PT-P750W", "tze-24").expect_err("missing");
    match err {
        printhub_render::RenderError::ContentTypeDataMismatch {
            content_type,
            missing,
        } => {
            assert_eq!(content_type, "template:t");
            assert_eq!(missing, ["title", "nope", "qr_payload"]);
        }
        other => panic!("{other}"),
    }
    let mut d = data();
    d.fields.insert("nope".into(), "ok".into());
    assert!(check(json, &d, "PT-P750W", "tze-24").is_ok());
    assert_eq!(
        Template::from_json("{\"elements\": [{\"type\": \"circle\"}]}")
            .map_err(|e| e.code())
            .err(),
        Some("template_parse")
    );
}

#[test]
fn red_ink_needs_a_two_colour_roll() {
    let json = r#"{"elements": [
        {"type": "text", "h": "50%", "text": "{primary_id}", "ink": "red"},
        {"type": "text", "y": "50%", "text": "{title}"}
    ]}"#;
    let label = check(json, &data(), "QL-820NWB", "dk-62-red").expect("red");
    let red = label.red.as_ref().expect("red layer");
    assert!(!red.is_blank() && !label.black.is_blank());
    assert_eq!(
        check(json, &data(), "QL-820NWB", "dk-62")
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("red_unsupported")
    );
    assert_eq!(
        check(json, &data(), "QL-720NW", "dk-62-red")
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("red_unsupported")
    );
}

#[test]
fn every_builtin_fits_or_refuses_on_every_medium() {
    // One model per head family, every medium it takes: a label of the exact geometry whose
    // QR decodes, or a clear `does_not_fit` — never a clipped label, never another error.
    let mut printed = 0;
    for model in ["PT-P750W", "PT-P900W", "QL-820NWB", "QL-1060N"] {
        let m = printhub_raster::Model::by_name(model).expect("model");
        for media in printhub_raster::MEDIA
            .iter()
            .filter(|md| printhub_raster::geometry(m, md).is_ok())
        {
            for (name, _) in BUILTIN {
                let request = RenderRequest::template(TemplateRef::Name(name.to_string()), data());
                match render(&request, m, media) {
                    Ok(label) => {
                        assert_geometry(&label, m, media);
                        if !matches!(*name, "shelf" | "plain_text" | "product") {
                            assert_eq!(
                                decode_qr(&label.black),
                                ["https://example.com/x"],
                                "{name} on {model} {}",
                                media.id
                            );
                        }
                        printed += 1;
                    }
                    Err(e) => assert_eq!(
                        e.code(),
                        "does_not_fit",
                        "{name} on {model} {}: {e}",
                        media.id
                    ),
                }
            }
        }
    }
    assert!(printed > 100, "most built-ins fit most media ({printed})");
}
