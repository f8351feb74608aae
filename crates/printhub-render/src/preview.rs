//! PNG preview of the exact raster: one dot is one pixel (times an integer
//! `scale`), in raster-line order (row 0 leaves the printer first, as the
//! encoder sends it). Black-only labels are 1-bit greyscale PNGs; labels with
//! a red layer are 8-bit RGB with red dots drawn red.

use crate::error::RenderError;
use printhub_raster::Label;

/// Largest accepted preview scale.
pub const MAX_SCALE: u32 = 16;

/// The PNG bytes of `label`, each dot `scale` × `scale` pixels (`1..=16`).
pub fn preview_png(label: &Label, scale: u32) -> Result<Vec<u8>, RenderError> {
    if !(1..=MAX_SCALE).contains(&scale) {
        return Err(RenderError::Preview {
            detail: format!("scale {scale} is outside 1..={MAX_SCALE}"),
        });
    }
    let s = scale as usize;
    let black = &label.black;
    let (w, h) = (black.width() * s, black.height() * s);
    let err = |e: png::EncodingError| RenderError::Preview {
        detail: e.to_string(),
    };
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w as u32, h as u32);
        let data = match &label.red {
            None => {
                encoder.set_color(png::ColorType::Grayscale);
                encoder.set_depth(png::BitDepth::One);
                let stride = w.div_ceil(8);
                let mut data = vec![0xFFu8; stride * h];
                for y in 0..h {
                    for x in 0..w {
                        if black.get(x / s, y / s) {
                            data[y * stride + x / 8] &= !(0x80 >> (x % 8));
                        }
                    }
                }
                // Padding bits stay 1 (white); decoders ignore them.
                data
            }
            Some(red) => {
                encoder.set_color(png::ColorType::Rgb);
                encoder.set_depth(png::BitDepth::Eight);
                let mut data = vec![0xFFu8; w * h * 3];
                for y in 0..h {
                    for x in 0..w {
                        let px = &mut data[(y * w + x) * 3..(y * w + x) * 3 + 3];
                        if black.get(x / s, y / s) {
                            px.copy_from_slice(&[0, 0, 0]);
                        } else if red.get(x / s, y / s) {
                            px.copy_from_slice(&[0xE0, 0, 0]);
                        }
                    }
                }
                data
            }
        };
        let mut writer = encoder.write_header().map_err(err)?;
        writer.write_image_data(&data).map_err(err)?;
        writer.finish().map_err(err)?;
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
        assert_eq!(
            preview_png(&label, 0).map_err(|e| e.code()),
            Err("preview_encode")
        );
    }
}
