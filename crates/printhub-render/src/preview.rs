//! PNG preview of the exact raster: one dot is one pixel (times an integer
//! `scale`), in raster-line order (row 0 leaves the printer first, as the
//! encoder sends it). Black-only labels are 1-bit greyscale PNGs; labels with
//! a red layer are 8-bit RGB with red dots drawn red.

use crate::error::RenderError;
use printhub_raster::Label;
use std::io::Write;

/// Largest accepted preview scale.
pub const MAX_SCALE: u32 = 16;

/// The most pixels a preview may have (width × height after scaling): a
/// larger one is `does_not_fit` before any of it is drawn.
pub const MAX_PREVIEW_PIXELS: u64 = 64_000_000;

/// The PNG bytes of `label`, each dot `scale` × `scale` pixels (`1..=16`,
/// else `out_of_range`; at most [`MAX_PREVIEW_PIXELS`], else
/// `does_not_fit`). Rows are encoded one at a time: the only large buffer
/// is the compressed PNG.
pub fn preview_png(label: &Label, scale: u32) -> Result<Vec<u8>, RenderError> {
    if !(1..=MAX_SCALE).contains(&scale) {
        return Err(RenderError::OutOfRange {
            field: "scale",
            min: 1,
            max: u64::from(MAX_SCALE),
            actual: u64::from(scale),
        });
    }
    let s = scale as usize;
    let black = &label.black;
    let (w, h) = (black.width() * s, black.height() * s);
    let pixels = w as u64 * h as u64;
    if pixels > MAX_PREVIEW_PIXELS {
        return Err(RenderError::does_not_fit(
            "preview",
            format!(
                "at scale {scale} the preview is {w}x{h} = {pixels} pixels; at most {MAX_PREVIEW_PIXELS} (use a smaller scale)"
            ),
        ));
    }
    let err = |e: png::EncodingError| RenderError::Preview {
        detail: e.to_string(),
    };
    let io = |e: std::io::Error| RenderError::Preview {
        detail: e.to_string(),
    };
    let (width, height) = (
        u32::try_from(w).map_err(|e| RenderError::Preview {
            detail: e.to_string(),
        })?,
        u32::try_from(h).map_err(|e| RenderError::Preview {
            detail: e.to_string(),
        })?,
    );
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        match &label.red {
            None => {
                encoder.set_color(png::ColorType::Grayscale);
                encoder.set_depth(png::BitDepth::One);
            }
            Some(_) => {
                encoder.set_color(png::ColorType::Rgb);
                encoder.set_depth(png::BitDepth::Eight);
            }
        }
        let mut writer = encoder.write_header().map_err(err)?;
        let mut stream = writer.stream_writer().map_err(err)?;
        let mut row = Vec::new();
        for y in 0..h {
            row.clear();
            match &label.red {
                None => {
                    // Padding bits stay 1 (white); decoders ignore them.
                    row.resize(w.div_ceil(8), 0xFF);
                    for x in 0..w {
                        if black.get(x / s, y / s) {
                            row[x / 8] &= !(0x80 >> (x % 8));
                        }
                    }
                }
                Some(red) => {
                    row.resize(w * 3, 0xFF);
                    for x in 0..w {
                        let px = &mut row[x * 3..x * 3 + 3];
                        if black.get(x / s, y / s) {
                            px.copy_from_slice(&[0, 0, 0]);
                        } else if red.get(x / s, y / s) {
                            px.copy_from_slice(&[0xE0, 0, 0]);
                        }
                    }
                }
            }
            stream.write_all(&row).map_err(io)?;
        }
        stream.finish().map_err(err)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use printhub_raster::Bitmap;

    #[test]
    fn preview_is_one_pixel_per_dot_times_scale() {
        let label = Label::black(Bitmap::from_fn(10, 3, |x, y| x == y));
        let png_bytes = preview_png(&label, 2).expect("png");
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let reader = decoder.read_info().expect("header");
        assert_eq!((reader.info().width, reader.info().height), (20, 6));
        for scale in [0, MAX_SCALE + 1, 100_000] {
            assert_eq!(
                preview_png(&label, scale).map_err(|e| e.code()),
                Err("out_of_range"),
                "{scale}"
            );
        }
        // The pixel cap is checked before anything is drawn.
        let long = Label::black(Bitmap::new(1000, 5000));
        assert_eq!(
            preview_png(&long, 16).map_err(|e| e.code()),
            Err("does_not_fit")
        );
        assert!(preview_png(&long, 1).is_ok());
    }
}
