//! The seven semantic content types laid out for one frame.
//!
//! Every type is one row: an optional QR code on the left, spanning the
//! label's height (quiet zone of [`QR_QUIET`] modules, EC level M, or L when
//! M would need modules under 2 dots), then a column of text lines, each
//! fitted to its share of the height and, when the width is fixed, shrunk to
//! the width down to the frame's minimum text size. Line shares: the first
//! line (`primary_id`, bold) 1.25, the title 1.0, the secondary line 0.85.
//!
//! On a free (continuous) length the label is as long as its content; on a
//! portrait continuous roll the height is a fixed fraction of the width
//! ([`portrait_height`]). `qr_with_listing` lists as many items as fit at a
//! readable size (1.25 × the minimum text size) and ends with a `+N more`
//! line for the rest, so nothing is dropped without saying so.

use crate::canvas::{Canvas, Ink};
use crate::data::{ContentType, LabelData};
use crate::error::RenderError;
use crate::frame::{Extent, Frame};
use crate::qr::Draft;
use crate::symbol::{self, EcLevel, Modules, Placement2d};
use crate::text::{self, Line, Style};
use printhub_raster::Label;

/// Quiet zone around content-type QR codes, in modules.
pub const QR_QUIET: usize = 2;

/// Label height as a fraction of the width on portrait continuous rolls.
pub fn portrait_height(content_type: ContentType) -> f32 {
    match content_type {
        ContentType::QrOnly => 0.5,
        ContentType::TextOneLine => 0.22,
        ContentType::TextTwoLines => 0.35,
        _ => 0.4,
    }
}

struct TextSpec {
    text: String,
    style: Style,
    weight: f32,
}

/// Lays out and draws `content_type` with `data` (already checked) in `frame`.
pub(crate) fn render(
    frame: &Frame,
    content_type: ContentType,
    data: &LabelData,
) -> Result<Label, RenderError> {
    content_type.check(data)?;
    let field = |s: &Option<String>| s.clone().unwrap_or_default();
    let bold = Style { bold: true };
    let regular = Style::default();
    let primary = TextSpec {
        text: field(&data.primary_id),
        style: bold,
        weight: 1.25,
    };
    let title = TextSpec {
        text: field(&data.title),
        style: regular,
        weight: 1.0,
    };
    let secondary = TextSpec {
        text: data.secondary.first().cloned().unwrap_or_default(),
        style: regular,
        weight: 0.85,
    };
    let lines = match content_type {
        ContentType::QrOnly => vec![],
        ContentType::QrOneLine | ContentType::TextOneLine => vec![primary],
        ContentType::QrTwoLines | ContentType::TextTwoLines => vec![primary, title],
        ContentType::QrThreeLines => vec![primary, title, secondary],
        ContentType::QrWithListing => vec![primary],
    };
    // Report every character no font has, across all fields, before any sizing.
    let mut missing = Vec::new();
    let mut all_text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    if content_type == ContentType::QrWithListing {
        all_text.extend(data.items.iter().map(|i| i.item.as_str()));
    }
    for t in all_text {
        for c in text::missing_glyphs(t, regular)? {
            if !missing.contains(&c) {
                missing.push(c);
            }
        }
    }
    if !missing.is_empty() {
        return Err(RenderError::MissingGlyphs { chars: missing });
    }

    let fixed_w = frame.width.fixed();
    let height = match frame.height {
        Extent::Fixed(h) => h,
        Extent::Free { min, max } => {
            let w = fixed_w.unwrap_or(min);
            ((w as f32 * portrait_height(content_type)).round() as usize).clamp(min.min(max), max)
        }
    };
    let pad = frame.dots(1.0).max(2);
    let vpad = frame.dots(0.5).max(1);

    // The QR code: as large as the height allows (and at most half a fixed width when text follows).
    let qr = if content_type.has_qr() {
        let payload = data.qr_payload.as_deref().unwrap_or_default();
        let side_w = match (fixed_w, content_type) {
            (Some(w), ContentType::QrOnly) => w,
            (Some(w), _) => w / 2,
            (None, _) => height,
        };
        Some(fit_qr(payload, side_w, height)?)
    } else {
        None
    };
    let qr_w = qr.as_ref().map_or(0, |(_, p)| p.size_w);
    let text_x = if qr.is_some() { qr_w } else { pad };
    let avail_w = fixed_w.map(|w| w.saturating_sub(text_x + pad) as u32);

    // The text column.
    let usable_h = height.saturating_sub(2 * vpad);
    let min_px = frame.min_text_px();
    let mut column: Vec<(Line, usize)> = Vec::new(); // (line, slot height)
    if content_type == ContentType::QrWithListing {
        column = listing(&lines[0], data, usable_h, avail_w, min_px)?;
    } else if !lines.is_empty() {
        let total: f32 = lines.iter().map(|l| l.weight).sum();
        for l in &lines {
            let slot = ((usable_h as f32) * l.weight / total).floor() as usize;
            let line = text::fit_line(&l.text, l.style, avail_w, slot as u32, slot as f32, min_px)?;
            column.push((line, slot));
        }
    }
    let text_w = column
        .iter()
        .map(|(l, _)| l.width as usize)
        .max()
        .unwrap_or(0);
    let content_w = match (fixed_w, content_type) {
        (Some(w), _) => w,
        (None, ContentType::QrOnly) => qr_w,
        (None, _) => text_x + text_w + pad,
    };

    frame.finish(content_w, height, |canvas| {
        if let Some((modules, p)) = &qr {
            let x = if content_type == ContentType::QrOnly {
                (content_w.saturating_sub(p.size_w) / 2) as i64
            } else {
                0
            };
            let y = (height.saturating_sub(p.size_h) / 2) as i64;
            symbol::draw(
                canvas,
                modules,
                symbol::At {
                    x,
                    y,
                    module: p.module,
                    quiet: QR_QUIET,
                    bar_height: None,
                },
                Ink::Black,
                "qr",
            )?;
        }
        let column_h: usize = column.iter().map(|(_, slot)| slot).sum();
        let mut y = (height.saturating_sub(column_h) / 2) as i64;
        for (line, slot) in &column {
            let x = if qr.is_none() && fixed_w.is_some() {
                // Text-only labels of fixed width centre each line.
                (content_w.saturating_sub(line.width as usize) / 2) as i64
            } else {
                text_x as i64
            };
            let top = y + ((*slot as i64 - line.height as i64) / 2).max(0);
            draw_line(canvas, line, x, top)?;
            y += *slot as i64;
        }
        Ok(())
    })
}

/// Draws one laid-out line with its box's top-left corner at `(x, y)`.
pub(crate) fn draw_line(
    canvas: &mut Canvas,
    line: &Line,
    x: i64,
    y: i64,
) -> Result<(), RenderError> {
    line.draw(canvas, x, y, Ink::Black, "text")
}

/// The QR code for `payload` in a `box_w` × `box_h` box: EC M, else L.
///
/// A payload too long for the box is `does_not_fit` about `qr_payload` (the
/// data field a person edits), saying how many of its characters would fit.
pub(crate) fn fit_qr(
    payload: &str,
    box_w: usize,
    box_h: usize,
) -> Result<(Modules, Placement2d), RenderError> {
    match place_qr(payload, box_w, box_h) {
        Ok((draft, placement)) => Ok((draft.finish(), placement)),
        Err(RenderError::DoesNotFit { detail, .. }) => Err(RenderError::DoesNotFit {
            what: "qr_payload".into(),
            detail,
            fits_chars: Some(qr_chars_that_fit(payload, box_w, box_h)),
        }),
        Err(e) => Err(e),
    }
}

/// The first level (M, then L) whose symbol fits the box, its mask not yet
/// chosen: the mask choice is the costly part and only the symbol drawn
/// needs it. A level whose smallest symbol is wider than the box holds is
/// ruled out from the versions' capacities alone, so a payload longer than
/// the box takes is `does_not_fit` (with how many characters fit) rather
/// than `qr_too_large`, which is left for a box that would hold the largest
/// symbol.
fn place_qr(
    payload: &str,
    box_w: usize,
    box_h: usize,
) -> Result<(Draft, Placement2d), RenderError> {
    // The widest symbol the box holds at the smallest module, quiet zone included.
    let across = box_w.min(box_h) / symbol::MIN_MODULE;
    let max_width = across.saturating_sub(2 * QR_QUIET);
    for ec in [EcLevel::M, EcLevel::L] {
        if let Some(draft) = Draft::within(payload, ec, max_width)? {
            let side = draft.width();
            return symbol::place_2d((side, side), QR_QUIET, box_w, box_h, "qr_payload")
                .map(|p| (draft, p));
        }
    }
    Err(RenderError::does_not_fit(
        "qr_payload",
        format!(
            "no QR symbol at EC level M or L is at most {max_width} modules across (+ {QR_QUIET} quiet each side) for the {box_w}x{box_h} dot box at {} dots a module",
            symbol::MIN_MODULE
        ),
    ))
}

/// The longest prefix of `payload`, in characters, whose QR code fits the
/// box (0 when even an empty code does not). A binary search: fitting is
/// monotonic in the length, as a longer payload never needs fewer modules.
pub(crate) fn qr_chars_that_fit(payload: &str, box_w: usize, box_h: usize) -> usize {
    let ends: Vec<usize> = payload
        .char_indices()
        .map(|(i, _)| i)
        .skip(1)
        .chain(std::iter::once(payload.len()))
        .collect();
    let fits = |n: usize| {
        let end = if n == 0 { 0 } else { ends[n - 1] };
        place_qr(&payload[..end], box_w, box_h).is_ok()
    };
    let (mut lo, mut hi) = (0, ends.len());
    if !fits(0) {
        return 0;
    }
    // Invariant: `lo` characters fit; more than `hi` do not.
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

fn listing(
    heading: &TextSpec,
    data: &LabelData,
    usable_h: usize,
    avail_w: Option<u32>,
    min_px: f32,
) -> Result<Vec<(Line, usize)>, RenderError> {
    let n = data.items.len();
    let readable = (min_px * 1.25).ceil();
    let natural = usable_h as f32 / (heading.weight + n as f32);
    let item_h = natural.max(readable).floor() as usize;
    let head_h = ((item_h as f32) * heading.weight).floor() as usize;
    if head_h + item_h > usable_h {
        return Err(RenderError::does_not_fit(
            "items",
            format!(
                "a heading and one item need {} dots; the label has {usable_h}",
                head_h + item_h
            ),
        ));
    }
    let slots = (usable_h - head_h) / item_h.max(1);
    let (shown, more) = if n <= slots {
        (n, 0)
    } else {
        (slots - 1, n - (slots - 1))
    };
    let mut out = vec![(
        text::fit_line(
            &heading.text,
            heading.style,
            avail_w,
            head_h as u32,
            head_h as f32,
            min_px,
        )?,
        head_h,
    )];
    for item in &data.items[..shown] {
        let line = text::fit_line(
            &item.item,
            Style::default(),
            avail_w,
            item_h as u32,
            item_h as f32,
            min_px,
        )?;
        out.push((line, item_h));
    }
    if more > 0 {
        let line = text::fit_line(
            &format!("+{more} more"),
            Style::default(),
            avail_w,
            item_h as u32,
            item_h as f32,
            min_px,
        )?;
        out.push((line, item_h));
    }
    Ok(out)
}
