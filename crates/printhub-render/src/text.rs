//! Text: embedded fonts, line layout, fitting, wrapping and 1-bit rasterising.
//!
//! Fonts are DejaVu Sans (regular and bold) with DejaVu Sans Mono as the
//! fallback, all shipped as bytes by the `dejavu` crate (Bitstream Vera
//! licence with DejaVu's public-domain changes). They are parsed once per
//! process into a [`OnceLock`]; nothing is read from disk. A character that
//! no embedded font has is never dropped: the whole render fails with
//! [`RenderError::MissingGlyphs`] listing every such character.
//!
//! Glyphs are rasterised anti-aliased by `ab_glyph` and thresholded at 50 %
//! coverage, once per font, size and position: [`crate::glyphs`] caches them. Layout is left-to-right with the fonts' advances (no complex
//! shaping, no bidi): right for Latin, Greek and Cyrillic.

use crate::canvas::{Canvas, Ink, Piece, Rect};
use crate::error::RenderError;
use crate::glyphs;
use crate::Orientation;
use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont};
use printhub_raster::Bitmap;
use std::sync::OnceLock;

/// Coverage at or above which an anti-aliased pixel becomes ink.
const THRESHOLD: f32 = 0.5;

/// The ellipsis appended to text cut at `max_lines`.
pub(crate) const ELLIPSIS: char = '…';

struct Fonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
    fallback: FontRef<'static>,
}

static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();

fn fonts() -> Result<&'static Fonts, RenderError> {
    let loaded = FONTS.get_or_init(|| {
        let load = |bytes: &'static [u8], name: &str| {
            FontRef::try_from_slice(bytes).map_err(|e| format!("{name}: {e}"))
        };
        Ok(Fonts {
            regular: load(dejavu::sans::regular(), "DejaVu Sans")?,
            bold: load(dejavu::sans::bold(), "DejaVu Sans Bold")?,
            fallback: load(dejavu::sans_mono::regular(), "DejaVu Sans Mono")?,
        })
    });
    loaded.as_ref().map_err(|detail| RenderError::Font {
        detail: detail.clone(),
    })
}

impl Fonts {
    /// The fonts to try for a style, in order.
    fn chain(&self, bold: bool) -> [&FontRef<'static>; 3] {
        if bold {
            [&self.bold, &self.regular, &self.fallback]
        } else {
            [&self.regular, &self.bold, &self.fallback]
        }
    }
}

/// Text style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Style {
    pub bold: bool,
}

impl Style {
    /// The glyph cache's name for font `index` of this style's chain.
    fn font_key(self, index: u8) -> u8 {
        u8::from(self.bold) * 3 + index
    }
}

#[derive(Debug, Clone, Copy)]
struct Placed {
    font: u8,
    id: GlyphId,
    x: f32,
}

/// One laid-out line of text at one size.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    style: Style,
    px: f32,
    glyphs: Vec<Placed>,
    /// Distance from the top of the line box to the baseline (whole pixels).
    pub baseline: i32,
    /// Width of the inked box in pixels (includes any overhang).
    pub width: u32,
    /// Height of the line box in pixels (ascent to descent, or more if a glyph overhangs).
    pub height: u32,
    /// Left edge of the inked box relative to the pen origin.
    left: i32,
}

/// Every character of `text` that no embedded font can draw (each once).
pub(crate) fn missing_glyphs(text: &str, style: Style) -> Result<Vec<char>, RenderError> {
    let fonts = fonts()?;
    let mut missing = Vec::new();
    for c in text.chars() {
        let found = !c.is_control() && fonts.chain(style.bold).iter().any(|f| f.glyph_id(c).0 != 0);
        if !found && !missing.contains(&c) {
            missing.push(c);
        }
    }
    Ok(missing)
}

/// Lays out `text` on one line at `px` (the font's ascent-to-descent height in pixels).
pub(crate) fn layout(text: &str, style: Style, px: f32) -> Result<Line, RenderError> {
    let fonts = fonts()?;
    let chain = fonts.chain(style.bold);
    let primary = chain[0].as_scaled(PxScale::from(px));
    let mut glyphs = Vec::with_capacity(text.len());
    let mut missing = Vec::new();
    let mut pen = 0.0f32;
    let mut prev: Option<(u8, GlyphId)> = None;
    for c in text.chars() {
        let hit = if c.is_control() {
            None
        } else {
            chain
                .iter()
                .enumerate()
                .find(|(_, f)| f.glyph_id(c).0 != 0)
                .map(|(i, f)| (i as u8, f.glyph_id(c)))
        };
        let Some((font, id)) = hit else {
            if !missing.contains(&c) {
                missing.push(c);
            }
            continue;
        };
        let scaled = chain[font as usize].as_scaled(PxScale::from(px));
        if let Some((pf, pid)) = prev {
            if pf == font {
                pen += scaled.kern(pid, id);
            }
        }
        glyphs.push(Placed { font, id, x: pen });
        pen += scaled.h_advance(id);
        prev = Some((font, id));
    }
    if !missing.is_empty() {
        return Err(RenderError::MissingGlyphs { chars: missing });
    }
    // The line box: the primary font's ascent/descent, widened by any glyph that overhangs.
    let mut top = -primary.ascent();
    let mut bottom = -primary.descent();
    let mut left = 0.0f32;
    let mut right = pen;
    for g in &glyphs {
        let font = chain[g.font as usize];
        if let Some(glyph) = glyphs::glyph(style.font_key(g.font), font, g.id, px, g.x) {
            let b = glyph.bounds;
            top = top.min(b.min.y);
            bottom = bottom.max(b.max.y);
            left = left.min(b.min.x);
            right = right.max(b.max.x);
        }
    }
    let top = top.floor() as i32;
    let bottom = bottom.ceil() as i32;
    let left = left.floor() as i32;
    let right = right.ceil() as i32;
    Ok(Line {
        style,
        px,
        glyphs,
        baseline: -top,
        width: (right - left).max(0) as u32,
        height: (bottom - top).max(0) as u32,
        left,
    })
}

impl Line {
    /// Rasterises the line into a mask of `width` × `height`, baseline at `baseline`.
    pub(crate) fn render(&self) -> Result<Bitmap, RenderError> {
        let fonts = fonts()?;
        let chain = fonts.chain(self.style.bold);
        let mut mask = Bitmap::new(self.width as usize, self.height as usize);
        for g in &self.glyphs {
            let font = chain[g.font as usize];
            let key = self.style.font_key(g.font);
            let Some(glyph) = glyphs::glyph(key, font, g.id, self.px, g.x) else {
                continue;
            };
            let b = glyph.bounds;
            let ox = b.min.x as i32 - self.left;
            let oy = b.min.y as i32 + self.baseline;
            let ink = glyph.mask(|| glyphs::outline(font, g.id, self.px, g.x), THRESHOLD);
            for y in 0..ink.height() {
                let py = oy + y as i32;
                if py < 0 {
                    continue;
                }
                if let Ok(ox) = usize::try_from(ox) {
                    // The glyph's row, a byte at a time (bits past the mask are dropped).
                    mask.draw_bits(py as usize, ox, ink.row(y), ink.width(), true);
                    continue;
                }
                // A glyph starting left of the box (never, as the box is
                // widened to every glyph): the pixels inside it, one by one.
                for (i, &byte) in ink.row(y).iter().enumerate() {
                    let mut bits = byte;
                    while bits != 0 {
                        let bit = bits.leading_zeros() as usize;
                        bits &= !(0x80 >> bit);
                        let px = ox + (i * 8 + bit) as i32;
                        if px >= 0 {
                            mask.set(px as usize, py as usize, true);
                        }
                    }
                }
            }
        }
        Ok(mask)
    }
}

impl Line {
    /// Draws the line with its box's top-left corner at `(x, y)`: what
    /// [`Canvas::blit`] of [`Line::render`]'s mask draws, but each glyph's
    /// cached mask (turned clockwise, and cached so, on a landscape canvas)
    /// goes straight onto the canvas, without a mask of the whole line.
    pub(crate) fn draw(
        &self,
        canvas: &mut Canvas,
        x: i64,
        y: i64,
        ink: Ink,
        what: &str,
    ) -> Result<(), RenderError> {
        let fonts = fonts()?;
        let chain = fonts.chain(self.style.bold);
        let glyphs: Vec<_> = self
            .glyphs
            .iter()
            .filter_map(|g| {
                let font = chain[g.font as usize];
                let glyph = glyphs::glyph(self.style.font_key(g.font), font, g.id, self.px, g.x)?;
                Some((g, font, glyph))
            })
            .collect();
        let mut pieces = Vec::with_capacity(glyphs.len());
        for (g, font, glyph) in &glyphs {
            let outlined = || glyphs::outline(font, g.id, self.px, g.x);
            let mask = glyph.mask(outlined, THRESHOLD);
            let b = glyph.bounds;
            let (ox, oy) = (b.min.x as i32 - self.left, b.min.y as i32 + self.baseline);
            let fits = ox >= 0
                && oy >= 0
                && ox as usize + mask.width() <= self.width as usize
                && oy as usize + mask.height() <= self.height as usize;
            if !fits {
                // Never with whole-pixel bounds (the box holds every glyph);
                // the line's own mask drops what falls outside it.
                return canvas.blit(&self.render()?, x, y, ink, what);
            }
            let mask = match canvas.orientation() {
                Orientation::Portrait => mask,
                Orientation::Landscape => glyph.turned(outlined, THRESHOLD),
            };
            pieces.push(Piece {
                mask,
                x: i64::from(ox),
                y: i64::from(oy),
            });
        }
        let r = Rect::new(x, y, i64::from(self.width), i64::from(self.height));
        canvas.blit_pieces(r, &pieces, ink, what)
    }
}

/// Lays out `text` at the largest size not above `max_px` whose box fits
/// `max_w` × `max_h` (`max_w = None`: any width), but not below `min_px`.
pub(crate) fn fit_line(
    text: &str,
    style: Style,
    max_w: Option<u32>,
    max_h: u32,
    max_px: f32,
    min_px: f32,
) -> Result<Line, RenderError> {
    let mut px = max_px.min(max_h as f32);
    for _ in 0..24 {
        if px < min_px {
            break;
        }
        let line = layout(text, style, px)?;
        let over_w = max_w.map_or(1.0, |w| w as f32 / line.width.max(1) as f32);
        let over_h = max_h as f32 / line.height.max(1) as f32;
        let ratio = over_w.min(over_h);
        if ratio >= 1.0 {
            return Ok(line);
        }
        // Shrink by the overshoot, and by at least a quarter pixel so the loop ends.
        px = (px * ratio).min(px - 0.25);
    }
    // Make sure the text itself is drawable before reporting the size problem.
    layout(text, style, min_px.max(1.0))?;
    Err(RenderError::does_not_fit(
        format!("text {text:?}"),
        format!(
            "needs a font smaller than the {min_px:.0}-dot minimum to fit {} x {max_h} dots",
            max_w.map_or("any".to_string(), |w| w.to_string())
        ),
    ))
}

/// Breaks `text` into lines no wider than `max_w` at `px`: at spaces where
/// possible, inside a word only when the word alone is too wide. Explicit
/// `\n` always breaks.
pub(crate) fn wrap(
    text: &str,
    style: Style,
    px: f32,
    max_w: u32,
) -> Result<Vec<String>, RenderError> {
    let fits = |s: &str| -> Result<bool, RenderError> { Ok(layout(s, style, px)?.width <= max_w) };
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let mut current = String::new();
        for word in paragraph.split(' ') {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if fits(&candidate)? {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            // The word alone: break it by characters if it is wider than the box.
            let mut piece = String::new();
            for c in word.chars() {
                let mut next = piece.clone();
                next.push(c);
                if !piece.is_empty() && !fits(&next)? {
                    out.push(std::mem::replace(&mut piece, c.to_string()));
                } else {
                    piece = next;
                }
            }
            current = piece;
        }
        out.push(current);
    }
    Ok(out)
}

/// The longest prefix of `text` that, followed by `…`, is no wider than `max_w`.
pub(crate) fn ellipsize(
    text: &str,
    style: Style,
    px: f32,
    max_w: u32,
) -> Result<Line, RenderError> {
    let chars: Vec<char> = text.chars().collect();
    for keep in (0..=chars.len()).rev() {
        let mut s: String = chars[..keep]
            .iter()
            .collect::<String>()
            .trim_end()
            .to_string();
        s.push(ELLIPSIS);
        let line = layout(&s, style, px)?;
        if line.width <= max_w {
            return Ok(line);
        }
    }
    layout(&ELLIPSIS.to_string(), style, px)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accented_greek_and_cyrillic_have_glyphs() {
        let text = "äöüß é ÅÇ Ωμλ Кириллица";
        assert_eq!(
            missing_glyphs(text, Style::default()).expect("fonts"),
            vec![]
        );
        assert_eq!(
            missing_glyphs(text, Style { bold: true }).expect("fonts"),
            vec![]
        );
    }

    #[test]
    fn emoji_are_reported_not_dropped() {
        let err = layout("box 📦 here 🦀 (😀 is in DejaVu)", Style::default(), 20.0)
            .expect_err("no emoji font");
        assert_eq!(err.code(), "missing_glyphs");
        assert_eq!(
            err,
            RenderError::MissingGlyphs {
                chars: vec!['📦', '🦀']
            }
        );
    }

    /// The line drawn as before the glyph cache: every glyph outlined and
    /// rasterised by `ab_glyph` straight into the mask.
    fn drawn_without_cache(line: &Line) -> Bitmap {
        let fonts = fonts().expect("fonts");
        let chain = fonts.chain(line.style.bold);
        let mut mask = Bitmap::new(line.width as usize, line.height as usize);
        for g in &line.glyphs {
            let glyph =
                g.id.with_scale_and_position(line.px, ab_glyph::point(g.x, 0.0));
            if let Some(outlined) = chain[g.font as usize].outline_glyph(glyph) {
                let b = outlined.px_bounds();
                let ox = b.min.x as i32 - line.left;
                let oy = b.min.y as i32 + line.baseline;
                outlined.draw(|x, y, c| {
                    let (px, py) = (ox + x as i32, oy + y as i32);
                    if c >= THRESHOLD && px >= 0 && py >= 0 {
                        mask.set(px as usize, py as usize, true);
                    }
                });
            }
        }
        mask
    }

    #[test]
    fn the_glyph_cache_changes_no_pixel() {
        // Cold and warm (the second render reads every glyph from the cache), at sizes with
        // fractional pen positions, regular and bold, with fallback-font and overhanging glyphs.
        for text in [
            "Workshop shelf",
            "A01-0042",
            "jÅg ƒ Ωμλ ❄ —",
            "Zone 2, bin 7",
        ] {
            for px in [9.0, 13.7, 21.25, 48.0] {
                for bold in [false, true] {
                    let line = layout(text, Style { bold }, px).expect("layout");
                    let expected = drawn_without_cache(&line);
                    assert_eq!(line.render().expect("cold"), expected, "{text} {px} {bold}");
                    assert_eq!(line.render().expect("warm"), expected, "{text} {px} {bold}");
                    let again = layout(text, Style { bold }, px).expect("layout again");
                    assert_eq!(
                        (again.width, again.height, again.baseline),
                        (line.width, line.height, line.baseline)
                    );
                }
            }
        }
    }

    #[test]
    fn drawing_glyphs_straight_onto_the_canvas_is_blitting_the_line_mask() {
        use crate::canvas::RedPolicy;
        let red = RedPolicy {
            allowed: true,
            model: "M",
            media: "m",
        };
        for orientation in [Orientation::Portrait, Orientation::Landscape] {
            for (text, px, bold) in [
                ("Workshop shelf", 21.25, false),
                ("A01-0042", 48.0, true),
                ("jÅg ƒ Ωμλ ❄ —", 13.7, false),
                ("Zone 2, bin 7", 9.0, true),
                ("  ", 12.0, false),
            ] {
                for ink in [Ink::Black, Ink::Red] {
                    let line = layout(text, Style { bold }, px).expect("layout");
                    let canvas = || {
                        let mut c = Canvas::new(300, 80, orientation, red);
                        // Ink of both colours under the text, to be overdrawn.
                        c.fill(Rect::new(0, 0, 300, 9), Ink::Red, "t")
                            .expect("fits");
                        c.fill(Rect::new(0, 20, 300, 7), Ink::Black, "t")
                            .expect("fits");
                        c
                    };
                    let (mut direct, mut blitted) = (canvas(), canvas());
                    line.draw(&mut direct, 3, 5, ink, "text").expect("draws");
                    let mask = line.render().expect("renders");
                    blitted.blit(&mask, 3, 5, ink, "text").expect("blits");
                    assert_eq!(
                        direct.into_label(),
                        blitted.into_label(),
                        "{orientation:?} {text} {px} {bold} {ink:?}"
                    );
                }
            }
        }
        // A line that does not fit draws nothing and says so, as a blit would.
        let line = layout("Workshop shelf", Style::default(), 30.0).expect("layout");
        let mut c = Canvas::new(40, 20, Orientation::Landscape, red);
        let err = line
            .draw(&mut c, 0, 0, Ink::Black, "text")
            .expect_err("too big");
        assert_eq!(err.code(), "does_not_fit");
        assert!(c.into_label().black.is_blank());
    }

    #[test]
    fn the_glyph_cache_is_bounded() {
        // Far more distinct (glyph, size) pairs than it holds: it never grows past its bound.
        for step in 0..(glyphs::CAPACITY / 40 + 20) {
            let px = 6.0 + step as f32 * 0.125;
            layout(
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
                Style::default(),
                px,
            )
            .expect("layout");
        }
        assert_eq!(glyphs::cached(), glyphs::CAPACITY);
    }

    #[test]
    fn fit_line_respects_the_box() {
        let line = fit_line(
            "Workshop shelf 12",
            Style::default(),
            Some(100),
            30,
            30.0,
            6.0,
        )
        .expect("fits");
        assert!(line.width <= 100 && line.height <= 30, "{line:?}");
        let err = fit_line(
            "a very long text indeed",
            Style::default(),
            Some(20),
            30,
            30.0,
            8.0,
        )
        .expect_err("too long");
        assert_eq!(err.code(), "does_not_fit");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_inside_long_words() {
        let width = |s: &String| layout(s, Style::default(), 16.0).expect("layout").width;
        let lines = wrap("alpha beta gamma", Style::default(), 16.0, 60).expect("wrap");
        assert!(lines.len() >= 2);
        assert!(lines.iter().all(|l| width(l) <= 60));
        let lines = wrap("abcdefghijklmnopqrstuvwxyz", Style::default(), 16.0, 60).expect("wrap");
        assert!(lines.len() >= 3 && lines.iter().all(|l| width(l) <= 60));
        assert_eq!(lines.concat(), "abcdefghijklmnopqrstuvwxyz");
    }
}
