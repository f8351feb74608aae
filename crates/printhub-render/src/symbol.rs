//! Machine-readable symbols as module grids: QR (`qrcodegen`, its mask
//! chosen in [`crate::qr`]), DataMatrix
//! (`datamatrix`) and the linear Code128, EAN-13 and Code39 (`barcoders`).
//! No symbology is hand-rolled here; this module only turns each crate's
//! output into a [`Modules`] grid and scales it by a whole number of dots per
//! module, so every module is the same size and nothing is resampled.
//!
//! Sizing rule: a module is at least [`MIN_MODULE`] dots; a symbol that needs
//! smaller modules to fit its box is [`RenderError::DoesNotFit`], never shrunk
//! below that or clipped.

use crate::canvas::{Canvas, Grid, Ink, Rect};
use crate::error::RenderError;
use serde::{Deserialize, Serialize};

/// Smallest module (QR/DataMatrix cell, barcode narrow bar) in dots.
pub const MIN_MODULE: usize = 2;

/// QR error-correction level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum EcLevel {
    /// ~7 % recovery.
    L,
    /// ~15 % recovery.
    M,
    /// ~25 % recovery.
    Q,
    /// ~30 % recovery.
    H,
}

/// A linear symbology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Linear {
    /// Code 128 (printable ASCII; all-digit data of even length uses set C).
    Code128,
    /// EAN-13 (12 digits, check digit added, or 13 digits with a valid check digit).
    Ean13,
    /// Code 39 (upper-case letters, digits, `-. $/+%`).
    Code39,
}

impl Linear {
    /// The symbology's name in errors and templates.
    pub const fn name(self) -> &'static str {
        match self {
            Linear::Code128 => "code128",
            Linear::Ean13 => "ean13",
            Linear::Code39 => "code39",
        }
    }

    /// Quiet zone on each side, in modules.
    pub const fn quiet(self) -> usize {
        match self {
            Linear::Ean13 => 11,
            Linear::Code128 | Linear::Code39 => 10,
        }
    }
}

/// A grid of dark/light modules (`height == 1` for linear symbols).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modules {
    /// Modules across.
    pub width: usize,
    /// Modules down (1 for a linear barcode).
    pub height: usize,
    /// Row-major, `true` = dark.
    pub dark: Vec<bool>,
}

impl Modules {
    /// Whether module `(x, y)` is dark.
    pub fn get(&self, x: usize, y: usize) -> bool {
        self.dark.get(y * self.width + x).copied().unwrap_or(false)
    }
}

/// The QR code for `payload` at `ec`: the smallest version that holds it,
/// the mode its characters allow, and the mask with the lowest ISO/IEC 18004
/// penalty.
pub fn qr(payload: &str, ec: EcLevel) -> Result<Modules, RenderError> {
    Ok(crate::qr::Draft::new(payload, ec)?.finish())
}

/// The DataMatrix (ECC 200, square or rectangular as the encoder chooses) for `payload`.
pub fn datamatrix(payload: &str) -> Result<Modules, RenderError> {
    let code = datamatrix::DataMatrix::encode_str(payload, datamatrix::SymbolList::default())
        .map_err(|e| RenderError::BarcodeCharset {
            symbology: "datamatrix",
            data: payload.to_string(),
            detail: format!("{e:?}"),
        })?;
    let bitmap = code.bitmap();
    let (width, height) = (bitmap.width(), bitmap.height());
    let mut dark = vec![false; width * height];
    for (x, y) in bitmap.pixels() {
        if let Some(cell) = dark.get_mut(y * width + x) {
            *cell = true;
        }
    }
    Ok(Modules {
        width,
        height,
        dark,
    })
}

/// The bars of a linear barcode for `data`.
pub fn linear(kind: Linear, data: &str) -> Result<Modules, RenderError> {
    let charset = |detail: String| RenderError::BarcodeCharset {
        symbology: kind.name(),
        data: data.to_string(),
        detail,
    };
    let bars = match kind {
        Linear::Code128 => {
            if !data.chars().all(|c| (' '..='~').contains(&c)) || data.is_empty() {
                return Err(charset(
                    "Code128 here takes 1 or more printable ASCII characters".into(),
                ));
            }
            let all_digits = data.chars().all(|c| c.is_ascii_digit());
            let prefixed = if all_digits && data.len() % 2 == 0 {
                format!("\u{0106}{data}")
            } else {
                format!("\u{0181}{data}")
            };
            barcoders::sym::code128::Code128::new(prefixed)
                .map_err(|e| charset(e.to_string()))?
                .encode()
        }
        Linear::Ean13 => {
            if !data.chars().all(|c| c.is_ascii_digit()) || !(data.len() == 12 || data.len() == 13)
            {
                return Err(charset("EAN-13 takes 12 or 13 digits".into()));
            }
            if data.len() == 13 && ean_check_digit(&data[..12]) != data.as_bytes()[12] - b'0' {
                return Err(charset(
                    "the 13th digit is not the EAN-13 check digit".into(),
                ));
            }
            barcoders::sym::ean13::EAN13::new(&data[..12])
                .map_err(|e| charset(e.to_string()))?
                .encode()
        }
        Linear::Code39 => barcoders::sym::code39::Code39::new(data)
            .map_err(|e| charset(e.to_string()))?
            .encode(),
    };
    Ok(Modules {
        width: bars.len(),
        height: 1,
        dark: bars.into_iter().map(|b| b == 1).collect(),
    })
}

/// The EAN-13 check digit of 12 digits.
pub fn ean_check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// How a 2-D symbol is placed in a box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement2d {
    /// Dots per module.
    pub module: usize,
    /// The symbol's size in dots, quiet zone included.
    pub size_w: usize,
    /// The symbol's size in dots, quiet zone included.
    pub size_h: usize,
}

/// The largest whole module size for a `width` × `height` module symbol with
/// `quiet` modules around it in `box_w` × `box_h`.
pub(crate) fn place_2d(
    (width, height): (usize, usize),
    quiet: usize,
    box_w: usize,
    box_h: usize,
    what: &str,
) -> Result<Placement2d, RenderError> {
    let across = width + 2 * quiet;
    let down = height + 2 * quiet;
    let module = (box_w / across).min(box_h / down);
    if module < MIN_MODULE {
        return Err(RenderError::does_not_fit(
            what,
            format!(
                "{width}x{height} modules + {quiet} quiet need {}x{} dots at {MIN_MODULE} dots a module; the box is {box_w}x{box_h}",
                across * MIN_MODULE,
                down * MIN_MODULE
            ),
        ));
    }
    Ok(Placement2d {
        module,
        size_w: across * module,
        size_h: down * module,
    })
}

/// Where and how large a symbol is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At {
    /// Left edge of the quiet zone.
    pub x: i64,
    /// Top edge of the quiet zone (2-D) or of the bars (linear).
    pub y: i64,
    /// Dots per module.
    pub module: usize,
    /// Quiet zone in modules.
    pub quiet: usize,
    /// Bar height in dots for linear symbols; `None` for 2-D symbols.
    pub bar_height: Option<usize>,
}

/// Draws `m` as `at` says: its quiet zone's top-left corner at `(at.x, at.y)`.
pub(crate) fn draw(
    canvas: &mut Canvas,
    m: &Modules,
    at: At,
    ink: Ink,
    what: &str,
) -> Result<(), RenderError> {
    let At {
        x,
        y,
        module,
        quiet,
        bar_height,
    } = at;
    let module = module as i64;
    let q = quiet as i64 * module;
    let (rows, row_h) = match bar_height {
        Some(h) => (1, h as i64),
        None => (m.height, module),
    };
    // The quiet zone is part of the symbol: it must fit and be blank.
    let extra = if bar_height.is_some() { 0 } else { 2 * q };
    canvas.clear(
        Rect::new(
            x,
            y,
            m.width as i64 * module + 2 * q,
            rows as i64 * row_h + extra,
        ),
        what,
    )?;
    let top = if bar_height.is_some() { y } else { y + q };
    canvas.fill_cells(
        Grid {
            x: x + q,
            y: top,
            cols: m.width,
            rows,
            cell_w: module as usize,
            cell_h: row_h as usize,
        },
        |mx, my| m.get(mx, my),
        ink,
        what,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ean_check_digit_matches_a_known_code() {
        // 4006381333931 is a well-known EAN-13.
        assert_eq!(ean_check_digit("400638133393"), 1);
        assert!(linear(Linear::Ean13, "4006381333931").is_ok());
        let err = linear(Linear::Ean13, "4006381333932").expect_err("bad check");
        assert_eq!(err.code(), "barcode_charset");
    }

    #[test]
    fn symbols_refuse_what_they_cannot_encode() {
        assert_eq!(
            linear(Linear::Code39, "lower").map_err(|e| e.code()),
            Err("barcode_charset")
        );
        assert_eq!(
            linear(Linear::Code128, "Grüße").map_err(|e| e.code()),
            Err("barcode_charset")
        );
        assert_eq!(
            linear(Linear::Ean13, "12ab").map_err(|e| e.code()),
            Err("barcode_charset")
        );
        let long = "x".repeat(3000);
        assert_eq!(
            qr(&long, EcLevel::H).map_err(|e| e.code()),
            Err("qr_too_large")
        );
    }

    #[test]
    fn qr_modules_are_at_least_two_dots() {
        let m = qr("https://example.com/x", EcLevel::M).expect("qr");
        let p = place_2d((m.width, m.height), 2, 70, 70, "qr").expect("fits 70 dots");
        assert!(p.module >= MIN_MODULE);
        assert!(place_2d((m.width, m.height), 2, 50, 50, "qr").is_err());
    }
}
