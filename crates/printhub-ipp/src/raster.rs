//! The two raster formats IPP Everywhere clients send, decoded into
//! greyscale pages: PWG raster (PWG 5102.4: CUPS and Android send it) and
//! Apple raster (URF: macOS and iOS send it). Both compress each line the
//! same way (a line-repeat count, then PackBits-like runs of whole pixels,
//! 0x80 filling the rest of the line with white), and differ in their
//! headers.
//!
//! Supported colour spaces are those this printer advertises: PWG `black_1`
//! (1 bit, 1 = ink), `sgray_8` and `srgb_8`; URF `W8` (sGray) and `SRGB24`
//! (sRGB, also DeviceGray/DeviceRGB and Adobe RGB as grey from their
//! channels). Anything else is [`RasterError::Unsupported`].
//!
//! The decoder is written here, not taken from a crate: `print_raster`
//! (one 0.1 release) reads only through async `futures` readers and
//! `pwgraster` (2017, 0.1) only PWG; both formats are small. It never panics:
//! every length is checked, and a page larger than the caller's pixel limit
//! is refused before anything is allocated.
//!
//! Pure: bytes in, pages out.

use thiserror::Error;

/// One decoded page: 8-bit grey, 0 = black, 255 = white, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrayPage {
    /// Pixels across.
    pub width: u32,
    /// Lines.
    pub height: u32,
    /// Resolution across and along, in dots per inch.
    pub dpi: (u32, u32),
    /// `width * height` grey levels.
    pub pixels: Vec<u8>,
}

/// Why a raster document cannot be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RasterError {
    /// The data does not start with the format's sync word.
    #[error("the document does not start with {0}")]
    BadMagic(&'static str),
    /// The data ends inside a header or a line.
    #[error("the raster data ends early (page {page})")]
    Truncated {
        /// The page (1-based).
        page: usize,
    },
    /// A page header with a size or depth that makes no sense.
    #[error("page {page} has a bad header: {what}")]
    BadHeader {
        /// The page (1-based).
        page: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A colour space or depth this printer does not take.
    #[error("page {page}: {what} is not supported")]
    Unsupported {
        /// The page (1-based).
        page: usize,
        /// What.
        what: String,
    },
    /// A page with more pixels than the limit.
    #[error("page {page} has {pixels} pixels, more than {limit}")]
    TooLarge {
        /// The page (1-based).
        page: usize,
        /// Its pixels.
        pixels: u64,
        /// The limit.
        limit: u64,
    },
    /// A run that goes past the end of its line.
    #[error("page {page}, line {line}: a run goes past the end of the line")]
    Overrun {
        /// The page (1-based).
        page: usize,
        /// The line.
        line: u32,
    },
    /// No page at all.
    #[error("the document has no page")]
    NoPages,
}

impl RasterError {
    /// The stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            RasterError::BadMagic(_) => "ipp_raster_bad_magic",
            RasterError::Truncated { .. } => "ipp_raster_truncated",
            RasterError::BadHeader { .. } => "ipp_raster_bad_header",
            RasterError::Unsupported { .. } => "ipp_raster_unsupported",
            RasterError::TooLarge { .. } => "ipp_raster_too_large",
            RasterError::Overrun { .. } => "ipp_raster_overrun",
            RasterError::NoPages => "ipp_raster_no_pages",
        }
    }
}

/// The PWG raster sync word (PWG 5102.4 §4.3).
pub const PWG_SYNC: &[u8; 4] = b"RaS2";
/// The size of a PWG page header (PWG 5102.4 §4.3: 1796 octets).
pub const PWG_HEADER: usize = 1796;
/// The URF file signature.
pub const URF_SYNC: &[u8; 8] = b"UNIRAST\0";

/// How the pixels of a page are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// 1 bit a pixel, 1 = black (PWG `black_1`); runs count bytes.
    Black1,
    /// 8-bit grey, 0 = black (`sgray_8`, URF `W8`).
    Gray8,
    /// 8-bit black (PWG `black_8`), 255 = black.
    Black8,
    /// 24-bit RGB.
    Rgb24,
}

impl Layout {
    /// Bytes in one run unit (one pixel, or 8 pixels for 1-bit).
    const fn unit(self) -> usize {
        match self {
            Layout::Black1 | Layout::Gray8 | Layout::Black8 => 1,
            Layout::Rgb24 => 3,
        }
    }

    /// The white a 0x80 fill writes.
    const fn white(self) -> u8 {
        match self {
            Layout::Black1 | Layout::Black8 => 0x00,
            Layout::Gray8 | Layout::Rgb24 => 0xff,
        }
    }

    /// Bytes in one line of `width` pixels.
    fn line_bytes(self, width: usize) -> usize {
        match self {
            Layout::Black1 => width.div_ceil(8),
            other => width * other.unit(),
        }
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Decodes every page of a PWG raster document. A page with more than
/// `max_pixels` pixels is refused.
pub fn decode_pwg(bytes: &[u8], max_pixels: u64) -> Result<Vec<GrayPage>, RasterError> {
    if !bytes.starts_with(PWG_SYNC) {
        return Err(RasterError::BadMagic("RaS2"));
    }
    let mut pos = 4;
    let mut pages = Vec::new();
    while pos < bytes.len() {
        let page = pages.len() + 1;
        let header = bytes
            .get(pos..pos + PWG_HEADER)
            .ok_or(RasterError::Truncated { page })?;
        pos += PWG_HEADER;
        // PWG 5102.4 §4.3, Table 1: HWResolution at 276, Width at 372,
        // Height at 376, BitsPerColor at 384, BitsPerPixel at 388,
        // BytesPerLine at 392, ColorOrder at 396, ColorSpace at 400.
        let field = |at| be32(header, at).ok_or(RasterError::Truncated { page });
        let dpi = (field(276)?, field(280)?);
        let width = field(372)?;
        let height = field(376)?;
        let bits_per_color = field(384)?;
        let bits_per_pixel = field(388)?;
        let bytes_per_line = field(392)?;
        let color_order = field(396)?;
        let color_space = field(400)?;
        // Colour spaces (PWG 5102.4 Table 3): 3 black, 18 sgray, 19 srgb;
        // 1 rgb and 20 adobe-rgb read like srgb.
        let layout = match (color_space, bits_per_color, bits_per_pixel) {
            (3, 1, 1) => Layout::Black1,
            (3, 8, 8) => Layout::Black8,
            (18, 8, 8) => Layout::Gray8,
            (1 | 19 | 20, 8, 24) => Layout::Rgb24,
            (space, bpc, bpp) => {
                return Err(RasterError::Unsupported {
                    page,
                    what: format!("colour space {space} at {bpc}/{bpp} bits"),
                })
            }
        };
        if color_order != 0 {
            return Err(RasterError::Unsupported {
                page,
                what: "a banded or planar colour order".into(),
            });
        }
        check_size(page, width, height, dpi, max_pixels)?;
        if usize::try_from(bytes_per_line).ok() != Some(layout.line_bytes(width as usize)) {
            return Err(RasterError::BadHeader {
                page,
                what: "BytesPerLine does not match Width",
            });
        }
        let (pixels, next) = decode_lines(bytes, pos, page, width, height, layout)?;
        pos = next;
        pages.push(GrayPage {
            width,
            height,
            dpi,
            pixels,
        });
    }
    if pages.is_empty() {
        return Err(RasterError::NoPages);
    }
    Ok(pages)
}

/// Decodes every page of an Apple raster (URF) document.
pub fn decode_urf(bytes: &[u8], max_pixels: u64) -> Result<Vec<GrayPage>, RasterError> {
    if !bytes.starts_with(URF_SYNC) {
        return Err(RasterError::BadMagic("UNIRAST"));
    }
    // The file header: signature, then the page count (big endian). A
    // streaming writer does not know it yet and writes 0 (CUPS's
    // `rastertopwg` does, as every driverless CUPS queue sends URF): then
    // the pages run to the end of the data.
    let count = be32(bytes, 8).ok_or(RasterError::Truncated { page: 1 })?;
    let count = if count == 0 {
        u64::MAX
    } else {
        u64::from(count)
    };
    let mut pos = 12;
    let mut pages = Vec::new();
    while pos < bytes.len() && (pages.len() as u64) < count {
        let page = pages.len() + 1;
        let header = bytes
            .get(pos..pos + 32)
            .ok_or(RasterError::Truncated { page })?;
        pos += 32;
        // The 32-byte page header: bits per pixel, colour space, duplex,
        // quality, media position and type, then width at 12, height at 16
        // and resolution at 20 (as ippeveprinter and every URF reader read it).
        let bpp = header[0];
        let space = header[1];
        let field = |at| be32(header, at).ok_or(RasterError::Truncated { page });
        let width = field(12)?;
        let height = field(16)?;
        let dpi = field(20)?;
        // Colour spaces: 0 sGray, 1 sRGB, 3 AdobeRGB, 4 DeviceGray, 5 DeviceRGB.
        let layout = match (space, bpp) {
            (0 | 4, 8) => Layout::Gray8,
            (1 | 3 | 5, 24) => Layout::Rgb24,
            (space, bpp) => {
                return Err(RasterError::Unsupported {
                    page,
                    what: format!("URF colour space {space} at {bpp} bits"),
                })
            }
        };
        check_size(page, width, height, (dpi, dpi), max_pixels)?;
        let (pixels, next) = decode_lines(bytes, pos, page, width, height, layout)?;
        pos = next;
        pages.push(GrayPage {
            width,
            height,
            dpi: (dpi, dpi),
            pixels,
        });
    }
    if pages.is_empty() {
        return Err(RasterError::NoPages);
    }
    Ok(pages)
}

fn check_size(
    page: usize,
    width: u32,
    height: u32,
    dpi: (u32, u32),
    max_pixels: u64,
) -> Result<(), RasterError> {
    if width == 0 || height == 0 {
        return Err(RasterError::BadHeader {
            page,
            what: "a zero width or height",
        });
    }
    if dpi.0 == 0 || dpi.1 == 0 {
        return Err(RasterError::BadHeader {
            page,
            what: "a zero resolution",
        });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(RasterError::TooLarge {
            page,
            pixels,
            limit: max_pixels,
        });
    }
    Ok(())
}

/// Decodes `height` compressed lines from `pos`; returns the grey pixels and
/// the position after the page.
fn decode_lines(
    bytes: &[u8],
    mut pos: usize,
    page: usize,
    width: u32,
    height: u32,
    layout: Layout,
) -> Result<(Vec<u8>, usize), RasterError> {
    let truncated = RasterError::Truncated { page };
    let w = width as usize;
    let line_bytes = layout.line_bytes(w);
    let unit = layout.unit();
    let mut out = Vec::with_capacity(w * height as usize);
    let mut line = vec![0u8; line_bytes];
    let mut y = 0u32;
    while y < height {
        // Line repeat: this line counts 1 + repeat times.
        let repeat = u32::from(*bytes.get(pos).ok_or(truncated.clone())?) + 1;
        pos += 1;
        let mut filled = 0;
        while filled < line_bytes {
            let op = *bytes.get(pos).ok_or(truncated.clone())?;
            pos += 1;
            if op == 0x80 {
                line[filled..].fill(layout.white());
                filled = line_bytes;
            } else if op < 0x80 {
                // One unit, repeated op + 1 times.
                let n = (usize::from(op) + 1) * unit;
                let value = bytes.get(pos..pos + unit).ok_or(truncated.clone())?;
                pos += unit;
                let end = filled + n;
                if end > line_bytes {
                    return Err(RasterError::Overrun { page, line: y });
                }
                for chunk in line[filled..end].chunks_mut(unit) {
                    chunk.copy_from_slice(value);
                }
                filled = end;
            } else {
                // 257 - op literal units.
                let n = (257 - usize::from(op)) * unit;
                let end = filled + n;
                if end > line_bytes {
                    return Err(RasterError::Overrun { page, line: y });
                }
                let literal = bytes.get(pos..pos + n).ok_or(truncated.clone())?;
                pos += n;
                line[filled..end].copy_from_slice(literal);
                filled = end;
            }
        }
        let grey = to_gray(&line, w, layout);
        for _ in 0..repeat.min(height - y) {
            out.extend_from_slice(&grey);
        }
        y += repeat.min(height - y);
    }
    Ok((out, pos))
}

/// One line as 8-bit grey (0 black, 255 white).
fn to_gray(line: &[u8], width: usize, layout: Layout) -> Vec<u8> {
    match layout {
        Layout::Gray8 => line[..width].to_vec(),
        Layout::Black8 => line[..width].iter().map(|v| 255 - v).collect(),
        Layout::Black1 => (0..width)
            .map(|x| {
                if line[x / 8] & (0x80 >> (x % 8)) != 0 {
                    0
                } else {
                    255
                }
            })
            .collect(),
        Layout::Rgb24 => line
            .chunks_exact(3)
            .take(width)
            .map(|p| {
                // Rec. 601 luma, integer.
                let (r, g, b) = (u32::from(p[0]), u32::from(p[1]), u32::from(p[2]));
                ((r * 299 + g * 587 + b * 114) / 1000) as u8
            })
            .collect(),
    }
}

/// Encodes pages as PWG raster (tests and tools): uncompressed runs of
/// literal units, one line at a time.
pub fn encode_pwg_gray(pages: &[GrayPage]) -> Vec<u8> {
    let mut out = PWG_SYNC.to_vec();
    for page in pages {
        let mut header = vec![0u8; PWG_HEADER];
        header[..9].copy_from_slice(b"PwgRaster");
        let mut put = |at: usize, v: u32| header[at..at + 4].copy_from_slice(&v.to_be_bytes());
        put(276, page.dpi.0);
        put(280, page.dpi.1);
        put(372, page.width);
        put(376, page.height);
        put(384, 8);
        put(388, 8);
        put(392, page.width);
        put(400, 18);
        out.extend_from_slice(&header);
        encode_lines(&mut out, page);
    }
    out
}

/// Encodes pages as URF sGray 8 (tests and tools).
pub fn encode_urf_gray(pages: &[GrayPage]) -> Vec<u8> {
    let mut out = URF_SYNC.to_vec();
    out.extend_from_slice(&(pages.len() as u32).to_be_bytes());
    for page in pages {
        let mut header = [0u8; 32];
        header[0] = 8;
        header[12..16].copy_from_slice(&page.width.to_be_bytes());
        header[16..20].copy_from_slice(&page.height.to_be_bytes());
        header[20..24].copy_from_slice(&page.dpi.0.to_be_bytes());
        out.extend_from_slice(&header);
        encode_lines(&mut out, page);
    }
    out
}

fn encode_lines(out: &mut Vec<u8>, page: &GrayPage) {
    for line in page.pixels.chunks(page.width as usize) {
        out.push(0);
        for chunk in line.chunks(128) {
            // 257 - n literal units: n = 257 - len.
            out.push((257 - chunk.len()) as u8);
            out.extend_from_slice(chunk);
        }
    }
}
