//! Uploaded images: scaled to the printable width, dithered, limits enforced.

use crate::support::{assert_geometry, pair};
use printhub_render::{render, Dither, RenderRequest};

fn png_bytes(w: u32, h: u32, pixel: impl Fn(u32, u32) -> u8) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |x, y| image::Luma([pixel(x, y)]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode png");
    out
}

#[test]
fn an_image_is_scaled_to_the_printable_width() {
    // A left-half-black 200 x 100 image on 24 mm tape (128 dots, landscape): 256 lines long.
    let bytes = png_bytes(200, 100, |x, _| if x < 100 { 0 } else { 255 });
    let (model, media) = pair("PT-P750W", "tze-24");
    for dither in [Dither::Threshold, Dither::FloydSteinberg] {
        let label =
            render(&RenderRequest::image(bytes.clone(), dither), model, media).expect("image");
        assert_geometry(&label, model, media);
        assert_eq!(label.black.height(), 256);
        // The first half of the label (leading edge) is black, the rest white.
        assert!(label.black.get(64, 10) && !label.black.get(64, 250));
    }
    let (ql, die) = pair("QL-820NWB", "dk-62x29");
    let label = render(&RenderRequest::image(bytes, Dither::Threshold), ql, die).expect("die-cut");
    assert_geometry(&label, ql, die);
}

#[test]
fn bad_and_oversized_images_are_clear_errors() {
    let (model, media) = pair("PT-P750W", "tze-24");
    let err = render(
        &RenderRequest::image(b"GIF89a....".to_vec(), Dither::Threshold),
        model,
        media,
    )
    .expect_err("gif");
    assert_eq!(err.code(), "image_decode");
    let err = render(
        &RenderRequest::image(png_bytes(1, 1, |_, _| 0)[..20].to_vec(), Dither::Threshold),
        model,
        media,
    )
    .expect_err("truncated");
    assert_eq!(err.code(), "image_decode");
    // A 100 000 x 1 000 PNG header (the pixel data is never decoded).
    let mut huge = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut huge, 100_000, 1_000);
        enc.set_color(png::ColorType::Grayscale);
        let mut writer = enc.write_header().expect("header");
        // The start of the image data: decoders read the header without inflating it.
        writer
            .write_chunk(png::chunk::IDAT, &[0x78, 0x9C])
            .expect("idat");
    }
    let err =
        render(&RenderRequest::image(huge, Dither::Threshold), model, media).expect_err("huge");
    assert_eq!(err.code(), "image_too_large");
    // A very wide strip is longer than the tape printer feeds.
    let long = png_bytes(20_000, 10, |_, _| 0);
    let err =
        render(&RenderRequest::image(long, Dither::Threshold), model, media).expect_err("too long");
    assert_eq!(err.code(), "does_not_fit");
}
