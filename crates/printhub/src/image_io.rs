//! Image files in and out of 1-bit bitmaps: thresholding a PNG/JPEG into
//! black (and red) layers, and writing decoded pages back as PNG. File writes
//! go through a temporary file and a rename, so nothing is half-written.

use anyhow::Context;
use printhub_raster::Bitmap;
use std::path::Path;

/// The layers of a label image.
#[derive(Debug)]
pub struct Layers {
    /// Pixels darker than 50% grey (and not red, when red is split out).
    pub black: Bitmap,
    /// Red pixels, when asked for.
    pub red: Option<Bitmap>,
}

/// Whether an RGB pixel is "red ink": clearly red, not dark, not grey.
fn is_red([r, g, b]: [u8; 3]) -> bool {
    r >= 128 && (g as u16) < (r as u16) / 2 && (b as u16) < (r as u16) / 2
}

/// Perceived luminance (ITU-R BT.601), 0–255.
fn luma([r, g, b]: [u8; 3]) -> u8 {
    ((r as u32 * 299 + g as u32 * 587 + b as u32 * 114) / 1000) as u8
}

/// Reads an image file and splits it into ink layers. Transparent pixels are paper.
pub fn load_layers(path: &Path, split_red: bool) -> anyhow::Result<Layers> {
    let image = image::open(path)
        .with_context(|| format!("cannot read image {}", path.display()))?
        .to_rgba8();
    let (w, h) = (image.width() as usize, image.height() as usize);
    let pixel = |x: usize, y: usize| {
        let p = image.get_pixel(x as u32, y as u32).0;
        if p[3] < 128 {
            [255, 255, 255]
        } else {
            [p[0], p[1], p[2]]
        }
    };
    let red = split_red.then(|| Bitmap::from_fn(w, h, |x, y| is_red(pixel(x, y))));
    let black = Bitmap::from_fn(w, h, |x, y| {
        let p = pixel(x, y);
        luma(p) < 128 && !(split_red && is_red(p))
    });
    Ok(Layers { black, red })
}

/// Encodes a page as PNG bytes: white paper, black ink, red ink red.
pub fn page_png(black: &Bitmap, red: Option<&Bitmap>) -> anyhow::Result<Vec<u8>> {
    let (w, h) = (black.width() as u32, black.height() as u32);
    let image = image::RgbImage::from_fn(w, h, |x, y| {
        let (x, y) = (x as usize, y as usize);
        if black.get(x, y) {
            image::Rgb([0, 0, 0])
        } else if red.is_some_and(|r| r.get(x, y)) {
            image::Rgb([255, 0, 0])
        } else {
            image::Rgb([255, 255, 255])
        }
    });
    let mut bytes = Vec::new();
    if red.is_some() {
        image.write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
    } else {
        image::DynamicImage::ImageRgb8(image).to_luma8().write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
    }
    .context("cannot encode PNG")?;
    Ok(bytes)
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_split_black_and_red() {
        assert!(luma([0, 0, 0]) < 128);
        assert!(luma([127, 127, 127]) < 128);
        assert!(luma([128, 128, 128]) >= 128);
        assert!(is_red([255, 0, 0]));
        assert!(is_red([200, 40, 30]));
        assert!(!is_red([128, 128, 128]));
        assert!(!is_red([0, 0, 0]));
        assert!(!is_red([255, 200, 200]));
    }
}
