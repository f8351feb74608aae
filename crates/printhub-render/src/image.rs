//! Uploaded images: PNG or JPEG of any size up to [`MAX_IMAGE_PIXELS`],
//! decoded in memory (the `image` crate, PNG and JPEG only), flattened onto
//! white, scaled so that its height (landscape) or width (portrait) is the
//! printable width, and turned into 1 bit by a 50 % threshold or
//! Floyd–Steinberg error diffusion. On die-cut labels the image is scaled to
//! fit inside the label and centred. An image that does not decode, or is
//! larger than the limit, is a clear error; one whose scaled length exceeds
//! the model's maximum is `does_not_fit`.

use crate::canvas::Ink;
use crate::error::RenderError;
use crate::frame::{Extent, Frame};
use image::{imageops, GrayImage, ImageReader, Limits};
use printhub_raster::{Bitmap, Label};
use serde::{Deserialize, Serialize};

/// The largest image accepted, in pixels (width × height).
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// How grey levels become ink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Dither {
    /// Darker than 50 % grey is ink (logos, line art, text).
    Threshold,
    /// Floyd–Steinberg error diffusion (photos).
    #[default]
    FloydSteinberg,
}

/// Decodes `bytes` into a greyscale image composited on white.
pub(crate) fn decode(bytes: &[u8]) -> Result<GrayImage, RenderError> {
    let fail = |e: &dyn std::fmt::Display| RenderError::ImageDecode {
        detail: e.to_string(),
    };
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| fail(&e))?;
    if !matches!(
        reader.format(),
        Some(image::ImageFormat::Png | image::ImageFormat::Jpeg)
    ) {
        return Err(RenderError::ImageDecode {
            detail: "not a PNG or JPEG file".into(),
        });
    }
    let (width, height) = reader.into_dimensions().map_err(|e| fail(&e))?;
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(RenderError::ImageTooLarge {
            width,
            height,
            limit: MAX_IMAGE_PIXELS,
        });
    }
    reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| fail(&e))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 8);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| fail(&e))?.into_rgba8();
    let mut grey = GrayImage::new(img.width(), img.height());
    for (x, y, p) in img.enumerate_pixels() {
        let [r, g, b, a] = p.0;
        let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
        // Composite on white: transparent pixels are paper.
        let a = u32::from(a);
        let v = (luma * a + 255 * (255 - a)) / 255;
        grey.put_pixel(x, y, image::Luma([v as u8]));
    }
    Ok(grey)
}

/// `grey` scaled to `w` × `h` and turned into ink.
pub(crate) fn to_bitmap(grey: &GrayImage, w: usize, h: usize, dither: Dither) -> Bitmap {
    let scaled = if (grey.width() as usize, grey.height() as usize) == (w, h) {
        grey.clone()
    } else {
        imageops::resize(grey, w as u32, h as u32, imageops::FilterType::Triangle)
    };
    let mut out = Bitmap::new(w, h);
    match dither {
        Dither::Threshold => {
            for (x, y, p) in scaled.enumerate_pixels() {
                out.set(x as usize, y as usize, p.0[0] < 128);
            }
        }
        Dither::FloydSteinberg => {
            let mut err: Vec<f32> = scaled.pixels().map(|p| f32::from(p.0[0])).collect();
            for y in 0..h {
                for x in 0..w {
                    let i = y * w + x;
                    let old = err[i];
                    let ink = old < 128.0;
                    out.set(x, y, ink);
                    let e = old - if ink { 0.0 } else { 255.0 };
                    if x + 1 < w {
                        err[i + 1] += e * 7.0 / 16.0;
                    }
                    if y + 1 < h {
                        if x > 0 {
                            err[i + w - 1] += e * 3.0 / 16.0;
                        }
                        err[i + w] += e * 5.0 / 16.0;
                        if x + 1 < w {
                            err[i + w + 1] += e / 16.0;
                        }
                    }
                }
            }
        }
    }
    out
}

/// The size of a `iw` × `ih` image fitted into a `box_w` × `box_h` box (aspect kept, at least 1 dot).
pub(crate) fn fit_size(
    iw: u32,
    ih: u32,
    box_w: Option<usize>,
    box_h: Option<usize>,
) -> (usize, usize) {
    let (iw, ih) = (f64::from(iw.max(1)), f64::from(ih.max(1)));
    let scale = match (box_w, box_h) {
        (Some(w), Some(h)) => (w as f64 / iw).min(h as f64 / ih),
        (Some(w), None) => w as f64 / iw,
        (None, Some(h)) => h as f64 / ih,
        (None, None) => 1.0,
    };
    (
        ((iw * scale).floor() as usize).max(1),
        ((ih * scale).floor() as usize).max(1),
    )
}

/// An uploaded image as the whole label.
pub(crate) fn render(frame: &Frame, bytes: &[u8], dither: Dither) -> Result<Label, RenderError> {
    let grey = decode(bytes)?;
    let (w, h) = fit_size(
        grey.width(),
        grey.height(),
        frame.width.fixed(),
        frame.height.fixed(),
    );
    // Refuse absurd lengths before allocating them.
    for (extent, n) in [(frame.width, w), (frame.height, h)] {
        if let Extent::Free { max, .. } = extent {
            if n > max {
                return Err(RenderError::does_not_fit(
                    "image",
                    format!("scaled to the printable width it is {n} raster lines long; the model prints at most {max}"),
                ));
            }
        }
    }
    let bitmap = to_bitmap(&grey, w, h, dither);
    frame.finish(w, h, |canvas| {
        canvas.blit(&bitmap, 0, 0, Ink::Black, "image")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_a_decode_error() {
        assert_eq!(
            decode(b"not an image").map_err(|e| e.code()).err(),
            Some("image_decode")
        );
    }

    #[test]
    fn fit_keeps_the_aspect() {
        assert_eq!(fit_size(200, 100, None, Some(70)), (140, 70));
        assert_eq!(fit_size(200, 100, Some(696), Some(271)), (542, 271));
    }

    #[test]
    fn mid_grey_dithers_to_about_half_ink() {
        let grey = GrayImage::from_pixel(40, 40, image::Luma([128]));
        let b = to_bitmap(&grey, 40, 40, Dither::FloydSteinberg);
        let ink = b.count_set();
        assert!((700..900).contains(&ink), "{ink}");
        assert!(to_bitmap(&grey, 40, 40, Dither::Threshold).is_blank());
    }
}
