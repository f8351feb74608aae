//! Free text labels (issue #24): one or more lines of text, as typed, with a
//! size (points, or auto-fit to the label), bold or regular, and an alignment.
//! What brother_ql_web users print most.
//!
//! Layout: the lines share the label's height across the media (less 0.5 mm
//! margins) in equal slots, top to bottom; every line uses the same font size
//! (auto: the largest size at which every line fits its slot, and, on a fixed
//! width, the width; given: `size_pt` points, refused with `does_not_fit`
//! about `size_pt` when the lines do not fit at it). On continuous media the
//! label is as long as its longest line plus 1 mm margins; alignment places
//! each line within that length (or the fixed width). Blank lines keep their
//! slot (a spacer). Like everything in this crate: no I/O.

use crate::content::draw_line;
use crate::error::RenderError;
use crate::frame::Frame;
use crate::text::{self, Line, Style};
use printhub_raster::Label;
use serde::{Deserialize, Serialize};

/// At most this many lines.
pub const MAX_FREE_LINES: usize = 20;
/// Smallest and largest `size_pt`.
pub const SIZE_PT_RANGE: (u16, u16) = (4, 200);

/// Where each line sits along the label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// From the leading edge.
    #[default]
    Left,
    /// Centred.
    Center,
    /// To the trailing edge.
    Right,
}

/// A free text label.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FreeText {
    /// The lines, top to bottom (at least one with text; blank ones are spacers).
    pub lines: Vec<String>,
    /// The font size in points (1/72 inch, the line's height); absent: as large as fits.
    #[serde(default)]
    pub size_pt: Option<u16>,
    /// Bold type.
    #[serde(default)]
    pub bold: bool,
    /// Where each line sits along the label.
    #[serde(default)]
    pub align: Align,
}

impl FreeText {
    /// The request's own checks, before any layout: some text (else
    /// `content_type_data_mismatch` missing `lines`), the size limits (at
    /// most [`MAX_FREE_LINES`] lines of at most `MAX_TEXT_CHARS` characters:
    /// `payload_too_large`), a size within [`SIZE_PT_RANGE`] (`out_of_range`).
    pub fn check(&self) -> Result<(), RenderError> {
        if self.lines.iter().all(|l| l.trim().is_empty()) {
            return Err(RenderError::ContentTypeDataMismatch {
                content_type: "text".into(),
                missing: vec!["lines".into()],
            });
        }
        self.check_limits()?;
        if let Some(pt) = self.size_pt {
            let (min, max) = SIZE_PT_RANGE;
            if !(min..=max).contains(&pt) {
                return Err(RenderError::OutOfRange {
                    field: "size_pt",
                    min: u64::from(min),
                    max: u64::from(max),
                    actual: u64::from(pt),
                });
            }
        }
        Ok(())
    }
}

/// Lays out and draws `text` in `frame`.
pub(crate) fn render(frame: &Frame, text: &FreeText) -> Result<Label, RenderError> {
    text.check()?;
    let style = Style { bold: text.bold };
    let mut missing = Vec::new();
    for line in &text.lines {
        for c in text::missing_glyphs(line, style)? {
            if !missing.contains(&c) {
                missing.push(c);
            }
        }
    }
    if !missing.is_empty() {
        return Err(RenderError::MissingGlyphs { chars: missing });
    }
    let n = text.lines.len();
    let fixed_w = frame.width.fixed();
    let pad = frame.dots(1.0).max(2);
    let vpad = frame.dots(0.5).max(1);
    let given_px = text
        .size_pt
        .map(|pt| f32::from(pt) * f32::from(frame.dpi) / 72.0);
    // Across the media: fixed by the medium, or (a portrait continuous roll)
    // the lines' height at the given size (1.25 × the size a line), 6 mm a
    // line when auto.
    let height = match frame.height.fixed() {
        Some(h) => h,
        None => {
            // A line box is the size plus room for accents and descenders.
            let line = given_px
                .map_or(frame.dots(6.0) as f32, |px| px * 1.25)
                .ceil() as usize;
            n * line + 2 * vpad
        }
    };
    let usable_h = height.saturating_sub(2 * vpad);
    let slot = usable_h / n;
    let avail_w = fixed_w.map(|w| w.saturating_sub(2 * pad) as u32);
    let fits = |px: f32| -> Result<bool, RenderError> {
        for l in &text.lines {
            let line = text::layout(l, style, px)?;
            if line.height as usize > slot || avail_w.is_some_and(|w| line.width > w) {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let px = match given_px {
        Some(px) => px,
        None => {
            // The largest size (to a quarter dot) at which every line fits.
            let (mut lo, mut hi) = (frame.min_text_px(), slot as f32);
            if hi < lo || !fits(lo)? {
                return Err(RenderError::DoesNotFit {
                    what: "lines".into(),
                    detail: format!(
                        "{n} line(s) need a font smaller than the {lo:.0}-dot minimum to fit {slot} dots a line{}",
                        avail_w.map_or(String::new(), |w| format!(" and {w} across")),
                    ),
                    fits_chars: None,
                });
            }
            if fits(hi)? {
                lo = hi;
            }
            while hi - lo > 0.25 {
                let mid = (lo + hi) / 2.0;
                if fits(mid)? {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            lo
        }
    };
    if !fits(px)? {
        return Err(RenderError::DoesNotFit {
            what: "size_pt".into(),
            detail: format!(
                "{n} line(s) at {} pt do not fit {slot} dots a line{}",
                text.size_pt.unwrap_or_default(),
                avail_w.map_or(String::new(), |w| format!(" and {w} across")),
            ),
            fits_chars: None,
        });
    }
    let lines: Vec<Line> = text
        .lines
        .iter()
        .map(|l| text::layout(l, style, px))
        .collect::<Result<_, _>>()?;
    let widest = lines.iter().map(|l| l.width as usize).max().unwrap_or(0);
    let content_w = fixed_w.unwrap_or(widest + 2 * pad);
    let top = (height.saturating_sub(slot * n) / 2) as i64;
    frame.finish(content_w, height, |canvas| {
        for (i, line) in lines.iter().enumerate() {
            if line.width == 0 {
                continue;
            }
            let w = line.width as usize;
            let x = match text.align {
                Align::Left => pad,
                Align::Center => content_w.saturating_sub(w) / 2,
                Align::Right => content_w.saturating_sub(w + pad),
            } as i64;
            let y = top + (i * slot) as i64 + ((slot as i64 - line.height as i64) / 2).max(0);
            draw_line(canvas, line, x, y)?;
        }
        Ok(())
    })
}
