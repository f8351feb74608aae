//! Shared helpers: media pairs, label geometry checks and symbol decoders.

use printhub_raster::{geometry, Bitmap, Label, Media, Model};
use printhub_render::{render, ContentType, LabelData, RenderError, RenderRequest};

/// The (model, media) pair named.
pub fn pair(model: &str, media: &str) -> (&'static Model, &'static Media) {
    (
        Model::by_name(model).expect("model"),
        Media::by_id(media).expect("media"),
    )
}

/// Asserts `label` is exactly what `media` on `model` prints: width == printable,
/// length == die-cut lines or within the model's range.
pub fn assert_geometry(label: &Label, model: &'static Model, media: &'static Media) {
    let g = geometry(model, media).expect("geometry");
    assert_eq!(
        label.black.width(),
        g.printable() as usize,
        "{} on {}",
        media.id,
        model.name
    );
    let lines = label.black.height();
    if g.label_lines > 0 {
        assert_eq!(
            lines, g.label_lines as usize,
            "{} on {}",
            media.id, model.name
        );
    } else {
        assert!(
            (model.min_lines as usize..=model.max_lines as usize).contains(&lines),
            "{lines} lines for {} on {}",
            media.id,
            model.name
        );
    }
    if let Some(red) = &label.red {
        assert_eq!((red.width(), red.height()), (label.black.width(), lines));
    }
}

/// Every QR code `rqrr` finds in `bitmap`, decoded.
pub fn decode_qr(bitmap: &Bitmap) -> Vec<String> {
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(bitmap.width(), bitmap.height(), |x, y| {
            if bitmap.get(x, y) {
                0
            } else {
                255
            }
        });
    img.detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, s)| s))
        .collect()
}

/// The one symbol of `format` `rxing` finds in `bitmap`, decoded.
pub fn decode_rxing(bitmap: &Bitmap, format: rxing::BarcodeFormat) -> Option<String> {
    // A white border, as the tape around the printable area.
    let border = 16;
    let (w, h) = (bitmap.width() + 2 * border, bitmap.height() + 2 * border);
    let mut luma = vec![255u8; w * h];
    for y in 0..bitmap.height() {
        for x in 0..bitmap.width() {
            if bitmap.get(x, y) {
                luma[(y + border) * w + x + border] = 0;
            }
        }
    }
    rxing::helpers::detect_in_luma(luma, w as u32, h as u32, Some(format))
        .ok()
        .map(|r| r.getText().to_string())
}

/// Sample data that satisfies every content type.
pub fn sample(payload: &str) -> LabelData {
    LabelData {
        title: Some("Workshop".into()),
        primary_id: Some("A01".into()),
        qr_payload: Some(payload.into()),
        secondary: vec!["Zone 2".into()],
        items: vec![
            printhub_render::Item {
                item: "M3 screws".into(),
                qr_payload: None,
            },
            printhub_render::Item {
                item: "M4 nuts".into(),
                qr_payload: None,
            },
        ],
        ..Default::default()
    }
}

/// Renders a content type.
pub fn render_ct(
    ct: ContentType,
    data: LabelData,
    model: &'static Model,
    media: &'static Media,
) -> Result<Label, RenderError> {
    render(&RenderRequest::content_type(ct, data), model, media)
}
