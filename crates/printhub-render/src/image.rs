//! Uploaded and embedded images: PNG or JPEG of up to [`MAX_IMAGE_PIXELS`],
//! decoded in memory to greyscale composited on white, scaled so that its
//! height (landscape) or width (portrait) is the printable width, and turned
//! into 1 bit by a 50 % threshold or Floyd–Steinberg error diffusion. On
//! die-cut labels the image is scaled to fit inside the label and centred.
//! An image that does not decode, or is larger than the limit, is a clear
//! error; one whose scaled length exceeds the model's maximum is
//! `does_not_fit`.
//!
//! What a decode costs is known from the header alone ([`probe`],
//! [`ImageInfo::decode_bytes`]), so a caller can budget memory before it
//! starts (the gateway's image gate does). The decoders keep that cost low:
//! PNG rows are read one at a time (16-bit samples cut to 8, palettes
//! expanded) straight into the greyscale image, interlaced ones too, so a
//! PNG holds one byte a pixel whatever its format; JPEG goes through the
//! `image` crate (its limits set), then to greyscale. Scaling and dithering
//! run row by row (a triangle filter, as `image`'s `Triangle`, and
//! Floyd–Steinberg with one row of look-ahead), so they hold a few rows, not
//! a second copy of the picture.

use crate::canvas::Ink;
use crate::error::RenderError;
use crate::frame::{Extent, Frame};
use image::{DynamicImage, GrayImage, ImageReader, Limits};
use printhub_raster::{Bitmap, Label};
use serde::{Deserialize, Serialize};

/// The largest image accepted, in pixels (width × height).
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// Memory a decode needs beside the pixels: row buffers, resampling
/// weights, the scaled bitmap (at most the longest label a model prints).
const DECODE_OVERHEAD: u64 = 8 << 20;

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

/// An image file format printhub decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// PNG (any bit depth, palette, alpha, interlaced or not).
    Png,
    /// JPEG (baseline or progressive).
    Jpeg,
}

/// What an image's header says: enough to know what decoding it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// The format.
    pub format: ImageFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Colour components per pixel as stored (JPEG: 1, 3 or 4; PNG: 1).
    pub components: u8,
    /// A progressive JPEG (its coefficients are held whole while decoding).
    pub progressive: bool,
}

impl ImageInfo {
    /// Width × height.
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// The most memory decoding and scaling this image holds at once, in
    /// bytes: the greyscale picture (one byte a pixel), for JPEG the decoded
    /// colour picture beside it (and a progressive one's coefficients, two
    /// bytes a sample), plus a fixed allowance for rows and the bitmap.
    pub fn decode_bytes(&self) -> u64 {
        let per_pixel = match self.format {
            ImageFormat::Png => 1,
            ImageFormat::Jpeg => {
                let samples = u64::from(self.components.max(3));
                let coefficients = if self.progressive { 2 * samples } else { 0 };
                1 + samples + coefficients
            }
        };
        self.pixels() * per_pixel + DECODE_OVERHEAD
    }
}

fn decode_error(detail: impl std::fmt::Display) -> RenderError {
    RenderError::ImageDecode {
        detail: detail.to_string(),
    }
}

/// Reads the header of a PNG or JPEG: format, size, how it is stored.
/// Decodes no pixels. Anything else is `image_decode`.
pub fn probe(bytes: &[u8]) -> Result<ImageInfo, RenderError> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let header = decoder.read_header_info().map_err(decode_error)?;
        Ok(ImageInfo {
            format: ImageFormat::Png,
            width: header.width,
            height: header.height,
            components: 1,
            progressive: false,
        })
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg_header(bytes)
    } else {
        Err(decode_error("not a PNG or JPEG file"))
    }
}

/// The JPEG frame header (SOFn): size, components, progressive or not.
fn jpeg_header(bytes: &[u8]) -> Result<ImageInfo, RenderError> {
    let truncated = || decode_error("JPEG: no frame header (the file is cut short)");
    let be16 = |at: usize| -> Result<usize, RenderError> {
        match bytes.get(at..at + 2) {
            Some(&[a, b]) => Ok(usize::from(a) << 8 | usize::from(b)),
            _ => Err(truncated()),
        }
    };
    let mut at = 2; // after SOI
    loop {
        if bytes.get(at) != Some(&0xFF) {
            return Err(match bytes.get(at) {
                None => truncated(),
                Some(_) => decode_error("JPEG: a marker was expected"),
            });
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1; // fill bytes
        }
        let marker = *bytes.get(at).ok_or_else(truncated)?;
        at += 1;
        match marker {
            0x01 | 0xD0..=0xD8 => {}
            0xD9 | 0xDA => return Err(decode_error("JPEG: no frame header before the image data")),
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let (height, width) = (be16(at + 3)?, be16(at + 5)?);
                let components = *bytes.get(at + 7).ok_or_else(truncated)?;
                if width == 0 || height == 0 || components == 0 {
                    return Err(decode_error(format!(
                        "JPEG: a {width}x{height} frame with {components} components"
                    )));
                }
                return Ok(ImageInfo {
                    format: ImageFormat::Jpeg,
                    width: width as u32,
                    height: height as u32,
                    components,
                    progressive: matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE),
                });
            }
            _ => at += be16(at)?,
        }
    }
}

/// Decodes `bytes` into a greyscale image composited on white.
pub(crate) fn decode(bytes: &[u8]) -> Result<GrayImage, RenderError> {
    let info = probe(bytes)?;
    if info.pixels() > MAX_IMAGE_PIXELS {
        return Err(RenderError::ImageTooLarge {
            width: info.width,
            height: info.height,
            limit: MAX_IMAGE_PIXELS,
        });
    }
    match info.format {
        ImageFormat::Png => decode_png(bytes),
        ImageFormat::Jpeg => decode_jpeg(bytes),
    }
}

/// 0.299 R + 0.587 G + 0.114 B, composited on white by `a`.
fn grey(r: u8, g: u8, b: u8, a: u8) -> u8 {
    let luma = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
    let a = u32::from(a);
    ((luma * a + 255 * (255 - a)) / 255) as u8
}

/// One decoded row of `channels`-sample pixels into grey levels.
fn grey_row(row: &[u8], channels: usize, out: &mut [u8]) {
    for (px, o) in row.chunks_exact(channels).zip(out.iter_mut()) {
        *o = match *px {
            [v] => v,
            [v, a] => grey(v, v, v, a),
            [r, g, b] => grey(r, g, b, 255),
            [r, g, b, a, ..] => grey(r, g, b, a),
            [] => 255,
        };
    }
}

fn decode_png(bytes: &[u8]) -> Result<GrayImage, RenderError> {
    // Row buffers and chunk data; the picture itself is ours.
    let limits = png::Limits { bytes: 32 << 20 };
    let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), limits);
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(decode_error)?;
    let (width, height) = (reader.info().width, reader.info().height);
    let channels = reader.output_color_type().0.samples();
    let w = width as usize;
    let mut pixels = vec![255u8; w * height as usize];
    let mut line = vec![255u8; w];
    let mut y = 0;
    while let Some(row) = reader.next_interlaced_row().map_err(decode_error)? {
        let n = row.data().len() / channels;
        grey_row(row.data(), channels, &mut line[..n]);
        match row.interlace() {
            png::InterlaceInfo::Adam7(pass) => {
                png::expand_interlaced_row(&mut pixels, w, &line[..n], pass, 8);
            }
            png::InterlaceInfo::Null(_) => {
                if let Some(dest) = pixels.get_mut(y * w..(y + 1) * w) {
                    dest.copy_from_slice(&line);
                }
                y += 1;
            }
        }
    }
    GrayImage::from_raw(width, height, pixels)
        .ok_or_else(|| decode_error("PNG: the decoded size does not match the header"))
}

fn decode_jpeg(bytes: &[u8]) -> Result<GrayImage, RenderError> {
    let mut reader =
        ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Jpeg);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_IMAGE_PIXELS * 4);
    reader.limits(limits);
    let img = reader.decode().map_err(decode_error)?;
    let (width, height) = (img.width(), img.height());
    let (channels, raw) = match img {
        DynamicImage::ImageLuma8(grey) => return Ok(grey),
        DynamicImage::ImageLumaA8(buf) => (2, buf.into_raw()),
        DynamicImage::ImageRgb8(buf) => (3, buf.into_raw()),
        DynamicImage::ImageRgba8(buf) => (4, buf.into_raw()),
        other => (4, other.into_rgba8().into_raw()),
    };
    let mut pixels = vec![255u8; width as usize * height as usize];
    for (row, out) in raw
        .chunks_exact(width as usize * channels)
        .zip(pixels.chunks_exact_mut(width as usize))
    {
        grey_row(row, channels, out);
    }
    GrayImage::from_raw(width, height, pixels)
        .ok_or_else(|| decode_error("JPEG: the decoded size does not match the header"))
}

/// Which input samples one output sample is made of, and their weights.
struct Taps {
    first: usize,
    weights: Vec<f32>,
}

/// The taps of a triangle filter from `input` samples to `output` (as
/// `image::imageops::resize` with `FilterType::Triangle` computes them, so
/// the result is the same, sample for sample).
fn taps(input: usize, output: usize) -> Vec<Taps> {
    let ratio = input as f32 / output as f32;
    let sratio = ratio.max(1.0);
    let support = sratio; // the triangle's support is 1
    (0..output)
        .map(|out| {
            let centre = (out as f32 + 0.5) * ratio;
            let left = ((centre - support).floor() as i64).clamp(0, input as i64 - 1);
            let right = ((centre + support).ceil() as i64).clamp(left + 1, input as i64);
            let centre = centre - 0.5;
            let mut weights: Vec<f32> = (left..right)
                .map(|i| {
                    let x = ((i as f32 - centre) / sratio).abs();
                    if x < 1.0 {
                        1.0 - x
                    } else {
                        0.0
                    }
                })
                .collect();
            let sum: f32 = weights.iter().sum();
            for w in &mut weights {
                *w /= sum;
            }
            Taps {
                first: left as usize,
                weights,
            }
        })
        .collect()
}

/// `grey` scaled to `w` × `h`, one row at a time.
struct Scaler<'a> {
    grey: &'a GrayImage,
    rows: Vec<Taps>,
    cols: Vec<Taps>,
    column: Vec<f32>,
}

impl<'a> Scaler<'a> {
    fn new(grey: &'a GrayImage, w: usize, h: usize) -> Self {
        let (iw, ih) = (grey.width() as usize, grey.height() as usize);
        let same = (iw, ih) == (w, h);
        Scaler {
            grey,
            rows: if same { Vec::new() } else { taps(ih, h) },
            cols: if same { Vec::new() } else { taps(iw, w) },
            column: vec![0.0; if same { 0 } else { iw }],
        }
    }

    /// Row `y` of the scaled image, as grey levels.
    fn row(&mut self, y: usize, out: &mut [f32]) {
        let iw = self.grey.width() as usize;
        let raw = self.grey.as_raw();
        let Some(taps) = self.rows.get(y) else {
            for (o, v) in out.iter_mut().zip(&raw[y * iw..(y + 1) * iw]) {
                *o = f32::from(*v);
            }
            return;
        };
        self.column.iter_mut().for_each(|c| *c = 0.0);
        for (i, w) in taps.weights.iter().enumerate() {
            let line = &raw[(taps.first + i) * iw..(taps.first + i + 1) * iw];
            for (c, v) in self.column.iter_mut().zip(line) {
                *c += f32::from(*v) * w;
            }
        }
        for (o, t) in out.iter_mut().zip(&self.cols) {
            let mut sum = 0.0;
            for (i, w) in t.weights.iter().enumerate() {
                sum += self.column[t.first + i] * w;
            }
            *o = sum.clamp(0.0, 255.0).round();
        }
    }
}

/// `grey` scaled to `w` × `h` and turned into ink.
pub(crate) fn to_bitmap(grey: &GrayImage, w: usize, h: usize, dither: Dither) -> Bitmap {
    let mut out = Bitmap::new(w, h);
    if w == 0 || h == 0 || grey.width() == 0 || grey.height() == 0 {
        return out;
    }
    let mut scaler = Scaler::new(grey, w, h);
    let mut row = vec![0f32; w];
    match dither {
        Dither::Threshold => {
            for y in 0..h {
                scaler.row(y, &mut row);
                for (x, v) in row.iter().enumerate() {
                    out.set(x, y, *v < 128.0);
                }
            }
        }
        Dither::FloydSteinberg => {
            // The error of the next row starts from its grey levels, as if the
            // whole image were one error buffer.
            let mut next = vec![0f32; w];
            scaler.row(0, &mut row);
            for y in 0..h {
                if y + 1 < h {
                    scaler.row(y + 1, &mut next);
                }
                for x in 0..w {
                    let old = row[x];
                    let ink = old < 128.0;
                    out.set(x, y, ink);
                    let e = old - if ink { 0.0 } else { 255.0 };
                    if x + 1 < w {
                        row[x + 1] += e * 7.0 / 16.0;
                    }
                    if y + 1 < h {
                        if x > 0 {
                            next[x - 1] += e * 3.0 / 16.0;
                        }
                        next[x] += e * 5.0 / 16.0;
                        if x + 1 < w {
                            next[x + 1] += e / 16.0;
                        }
                    }
                }
                std::mem::swap(&mut row, &mut next);
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

    /// `rows` (filter byte included) as a zlib stream of stored blocks.
    fn zlib_stored(rows: &[u8]) -> Vec<u8> {
        let mut out = vec![0x78, 0x01];
        let mut blocks = rows.chunks(65_535).peekable();
        while let Some(block) = blocks.next() {
            out.push(u8::from(blocks.peek().is_none()));
            let len = block.len() as u16;
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&(!len).to_le_bytes());
            out.extend_from_slice(block);
        }
        let (mut a, mut b) = (1u32, 0u32);
        for &byte in rows {
            a = (a + u32::from(byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        out.extend_from_slice(&(b << 16 | a).to_be_bytes());
        out
    }

    /// `pixel(x, y)` as RGBA, encoded as a PNG of `color` and `depth`,
    /// interlaced (Adam7, written by hand: the `png` crate's encoder does not
    /// interlace) or not.
    fn png_of(
        w: u32,
        h: u32,
        color: png::ColorType,
        depth: png::BitDepth,
        interlaced: bool,
        pixel: impl Fn(u32, u32) -> [u8; 4],
    ) -> Vec<u8> {
        let samples = |x: u32, y: u32| -> Vec<u8> {
            let [r, g, b, a] = pixel(x, y);
            let channels: &[u8] = match color {
                png::ColorType::Grayscale => &[r],
                png::ColorType::GrayscaleAlpha => &[r, a],
                png::ColorType::Rgb => &[r, g, b],
                _ => &[r, g, b, a],
            };
            channels
                .iter()
                // 16 bits: v * 257, whose high byte is v.
                .flat_map(|&v| {
                    std::iter::repeat_n(
                        v,
                        if depth == png::BitDepth::Sixteen {
                            2
                        } else {
                            1
                        },
                    )
                })
                .collect()
        };
        let mut out = Vec::new();
        let mut info = png::Info::with_size(w, h);
        info.color_type = color;
        info.bit_depth = depth;
        info.interlaced = interlaced;
        let mut writer = png::Encoder::with_info(&mut out, info)
            .expect("info")
            .write_header()
            .expect("header");
        if interlaced {
            const PASSES: [(u32, u32, u32, u32); 7] = [
                (0, 0, 8, 8),
                (4, 0, 8, 8),
                (0, 4, 4, 8),
                (2, 0, 4, 4),
                (0, 2, 2, 4),
                (1, 0, 2, 2),
                (0, 1, 1, 2),
            ];
            let mut rows = Vec::new();
            for (x0, y0, dx, dy) in PASSES {
                if x0 >= w {
                    continue;
                }
                for y in (y0..h).step_by(dy as usize) {
                    rows.push(0); // filter: none
                    for x in (x0..w).step_by(dx as usize) {
                        rows.extend(samples(x, y));
                    }
                }
            }
            writer
                .write_chunk(png::chunk::IDAT, &zlib_stored(&rows))
                .expect("idat");
        } else {
            let mut data = Vec::new();
            for y in 0..h {
                for x in 0..w {
                    data.extend(samples(x, y));
                }
            }
            writer.write_image_data(&data).expect("data");
        }
        writer.finish().expect("finish");
        out
    }

    /// The grey image as the `image` crate decodes it, then composited on white.
    fn reference_grey(bytes: &[u8]) -> GrayImage {
        let img = image::load_from_memory(bytes)
            .expect("decodes")
            .into_rgba8();
        GrayImage::from_fn(img.width(), img.height(), |x, y| {
            let [r, g, b, a] = img.get_pixel(x, y).0;
            image::Luma([grey(r, g, b, a)])
        })
    }

    fn pattern(x: u32, y: u32) -> [u8; 4] {
        [
            (x * 7 + y * 3) as u8,
            (x * 13) as u8,
            (y * 29) as u8,
            ((x + y) * 11) as u8,
        ]
    }

    #[test]
    fn every_png_kind_decodes_to_the_grey_the_image_crate_gives() {
        use png::{BitDepth, ColorType};
        for color in [
            ColorType::Grayscale,
            ColorType::GrayscaleAlpha,
            ColorType::Rgb,
            ColorType::Rgba,
        ] {
            for depth in [BitDepth::Eight, BitDepth::Sixteen] {
                for interlaced in [false, true] {
                    let bytes = png_of(37, 23, color, depth, interlaced, pattern);
                    let ours = decode(&bytes).expect("decodes");
                    assert_eq!(
                        ours,
                        reference_grey(&bytes),
                        "{color:?} {depth:?} interlaced {interlaced}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_palette_png_decodes_through_its_palette() {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, 4, 2);
            encoder.set_color(png::ColorType::Indexed);
            encoder.set_depth(png::BitDepth::Two);
            encoder.set_palette(vec![0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255]);
            let mut writer = encoder.write_header().expect("header");
            // Indices 0 1 2 3 / 3 2 1 0, two bits each.
            writer
                .write_image_data(&[0b0001_1011, 0b1110_0100])
                .expect("data");
        }
        let grey = decode(&out).expect("decodes");
        assert_eq!(grey, reference_grey(&out));
        assert_eq!(grey.as_raw()[..4], [0, 255, 76, 29]);
    }

    #[test]
    fn a_jpeg_decodes_to_the_grey_the_image_crate_gives() {
        let img = image::RgbImage::from_fn(40, 30, |x, y| {
            let [r, g, b, _] = pattern(x, y);
            image::Rgb([r, g, b])
        });
        let mut bytes = Vec::new();
        img.write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Jpeg,
        )
        .expect("jpeg");
        assert_eq!(decode(&bytes).expect("decodes"), reference_grey(&bytes));
        let info = probe(&bytes).expect("header");
        assert_eq!(
            (
                info.format,
                info.width,
                info.height,
                info.components,
                info.progressive
            ),
            (ImageFormat::Jpeg, 40, 30, 3, false)
        );
    }

    #[test]
    fn the_header_tells_what_a_decode_costs() {
        let bytes = png_of(
            600,
            500,
            png::ColorType::Rgba,
            png::BitDepth::Sixteen,
            false,
            pattern,
        );
        let info = probe(&bytes).expect("header");
        assert_eq!(
            (info.format, info.width, info.height),
            (ImageFormat::Png, 600, 500)
        );
        // One byte a pixel, whatever the PNG stores (here 8 bytes a pixel).
        assert_eq!(info.decode_bytes(), 300_000 + DECODE_OVERHEAD);
        // A progressive JPEG holds its coefficients too: SOI, an APP0 segment, SOF2.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB];
        jpeg.extend_from_slice(&[0xFF, 0xC2, 0x00, 0x11, 0x08, 0x0F, 0xA0, 0x17, 0x70, 0x03]);
        let info = probe(&jpeg).expect("header");
        assert_eq!(
            (info.width, info.height, info.components, info.progressive),
            (6000, 4000, 3, true)
        );
        assert_eq!(
            info.decode_bytes(),
            24_000_000 * (1 + 3 + 6) + DECODE_OVERHEAD
        );
        for bad in [
            &b"GIF89a"[..],
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x00],
            &[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02],
            &[
                0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x00, 0x17, 0x70, 0x03,
            ],
        ] {
            assert_eq!(probe(bad).map_err(|e| e.code()).err(), Some("image_decode"));
        }
    }

    /// The scaling and dithering printhub had before it streamed rows: the
    /// `image` crate's triangle resize of the whole picture, then
    /// Floyd–Steinberg over one error buffer.
    fn reference_bitmap(grey: &GrayImage, w: usize, h: usize, dither: Dither) -> Bitmap {
        let scaled = image::imageops::resize(
            grey,
            w as u32,
            h as u32,
            image::imageops::FilterType::Triangle,
        );
        let mut out = Bitmap::new(w, h);
        let mut err: Vec<f32> = scaled.pixels().map(|p| f32::from(p.0[0])).collect();
        for y in 0..h {
            for x in 0..w {
                let i = y * w + x;
                let old = err[i];
                let ink = old < 128.0;
                out.set(x, y, ink);
                if dither == Dither::Threshold {
                    continue;
                }
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
        out
    }

    #[test]
    fn row_by_row_scaling_gives_the_same_dots_as_the_whole_picture() {
        let grey = GrayImage::from_fn(233, 151, |x, y| {
            image::Luma([((x * x + 3 * y) % 256) as u8])
        });
        for (w, h) in [
            (233, 151),
            (64, 41),
            (128, 83),
            (500, 324),
            (7, 300),
            (1, 1),
        ] {
            for dither in [Dither::Threshold, Dither::FloydSteinberg] {
                assert!(
                    to_bitmap(&grey, w, h, dither) == reference_bitmap(&grey, w, h, dither),
                    "{w}x{h} {dither:?}"
                );
            }
        }
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
