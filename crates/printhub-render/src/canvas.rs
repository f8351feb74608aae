//! The drawing surface: a layout-frame canvas that writes straight into the
//! raster-frame bitmaps handed to the encoder.
//!
//! Layouts draw in the *layout frame* (x to the right as the label is read,
//! y down). In [`Orientation::Portrait`] that is the raster frame itself. In
//! [`Orientation::Landscape`] the text runs along the tape: layout `(x, y)`
//! lands on raster dot `(H - 1 - y, x)`, the label turned 90° clockwise
//! (`Bitmap::rotate_cw`), so the start of the text leaves the printer first.
//!
//! **Architecture Invariant:** every drawing call checks its whole rectangle
//! against the canvas first and returns [`RenderError::DoesNotFit`] instead of
//! drawing anything partially. Nothing is ever clipped.

use crate::error::RenderError;
use crate::Orientation;
use printhub_raster::{Bitmap, Label};

/// Which ink a drawing uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Ink {
    /// Black (every medium).
    #[default]
    Black,
    /// Red (two-colour rolls on two-colour models only).
    Red,
}

/// An axis-aligned rectangle in layout dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub h: i64,
}

impl Rect {
    pub(crate) const fn new(x: i64, y: i64, w: i64, h: i64) -> Self {
        Rect { x, y, w, h }
    }
}

/// A grid of `cols` × `rows` cells of `cell_w` × `cell_h` dots whose
/// top-left corner is at `(x, y)` in layout dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grid {
    pub x: i64,
    pub y: i64,
    pub cols: usize,
    pub rows: usize,
    pub cell_w: usize,
    pub cell_h: usize,
}

/// A mask placed inside a box drawn by [`Canvas::blit_pieces`]: its
/// top-left corner at `(x, y)` from the box's, in layout dots. The mask is
/// in the raster frame's orientation: as laid out on a portrait canvas,
/// turned clockwise ([`Bitmap::rotate_cw`]) on a landscape one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece<'a> {
    pub mask: &'a Bitmap,
    pub x: i64,
    pub y: i64,
}

/// Where red ink is allowed, and the names to report when it is not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RedPolicy {
    pub allowed: bool,
    pub model: &'static str,
    pub media: &'static str,
}

/// A 1-bit (or black + red) canvas in the layout frame.
#[derive(Debug)]
pub(crate) struct Canvas {
    width: i64,
    height: i64,
    orientation: Orientation,
    origin: (i64, i64),
    black: Bitmap,
    red: Option<Bitmap>,
    red_policy: RedPolicy,
}

impl Canvas {
    /// A blank canvas `width` × `height` in the layout frame.
    pub(crate) fn new(
        width: usize,
        height: usize,
        orientation: Orientation,
        red_policy: RedPolicy,
    ) -> Self {
        let black = match orientation {
            Orientation::Portrait => Bitmap::new(width, height),
            Orientation::Landscape => Bitmap::new(height, width),
        };
        Canvas {
            width: width as i64,
            height: height as i64,
            orientation,
            origin: (0, 0),
            black,
            red: None,
            red_policy,
        }
    }

    /// Moves the origin of later drawing calls by `(dx, dy)`.
    pub(crate) fn translate(&mut self, dx: i64, dy: i64) {
        self.origin.0 += dx;
        self.origin.1 += dy;
    }

    fn check(&self, r: Rect, what: &str) -> Result<Rect, RenderError> {
        let r = Rect::new(r.x + self.origin.0, r.y + self.origin.1, r.w, r.h);
        if r.w < 0
            || r.h < 0
            || r.x < 0
            || r.y < 0
            || r.x + r.w > self.width
            || r.y + r.h > self.height
        {
            return Err(RenderError::does_not_fit(
                what,
                format!(
                    "needs dots {}..{} x {}..{} of a {} x {} canvas",
                    r.x,
                    r.x + r.w,
                    r.y,
                    r.y + r.h,
                    self.width,
                    self.height
                ),
            ));
        }
        Ok(r)
    }

    fn raster(&self, x: i64, y: i64) -> (usize, usize) {
        match self.orientation {
            Orientation::Portrait => (x as usize, y as usize),
            Orientation::Landscape => ((self.height - 1 - y) as usize, x as usize),
        }
    }

    fn plane(&mut self, ink: Ink) -> Result<(), RenderError> {
        if ink == Ink::Red && self.red.is_none() {
            if !self.red_policy.allowed {
                return Err(RenderError::RedUnsupported {
                    model: self.red_policy.model,
                    media: self.red_policy.media,
                });
            }
            self.red = Some(Bitmap::new(self.black.width(), self.black.height()));
        }
        Ok(())
    }

    /// One pixel of `ink` (the drawing calls' reference in tests).
    #[cfg(test)]
    fn put(&mut self, x: i64, y: i64, ink: Ink) {
        let (rx, ry) = self.raster(x, y);
        match ink {
            Ink::Black => {
                self.black.set(rx, ry, true);
                if let Some(red) = &mut self.red {
                    red.set(rx, ry, false);
                }
            }
            Ink::Red => {
                self.black.set(rx, ry, false);
                if let Some(red) = &mut self.red {
                    red.set(rx, ry, true);
                }
            }
        }
    }

    /// `r` (checked, origin applied) in the raster frame: columns and rows.
    fn raster_rect(&self, r: Rect) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let (x, y, w, h) = (r.x as usize, r.y as usize, r.w as usize, r.h as usize);
        match self.orientation {
            Orientation::Portrait => (x..x + w, y..y + h),
            // Layout (x, y) lands on raster (H - 1 - y, x).
            Orientation::Landscape => {
                let right = self.height as usize - y;
                (right - h..right, x..x + w)
            }
        }
    }

    /// Sets (`black`, `red`: `Some(true)`), clears (`Some(false)`) or
    /// leaves (`None`) each plane inside the raster rectangle, a row span at
    /// a time.
    fn span_fill(&mut self, r: Rect, black: Option<bool>, red: Option<bool>) {
        let (columns, rows) = self.raster_rect(r);
        for ry in rows {
            if let Some(ink) = black {
                self.black.fill_span(ry, columns.start, columns.end, ink);
            }
            if let (Some(ink), Some(plane)) = (red, &mut self.red) {
                plane.fill_span(ry, columns.start, columns.end, ink);
            }
        }
    }

    /// Fills `r` with `ink`.
    pub(crate) fn fill(&mut self, r: Rect, ink: Ink, what: &str) -> Result<(), RenderError> {
        let r = self.check(r, what)?;
        self.plane(ink)?;
        let black = ink == Ink::Black;
        self.span_fill(r, Some(black), Some(!black));
        Ok(())
    }

    /// Clears both inks inside `r` (quiet zones).
    pub(crate) fn clear(&mut self, r: Rect, what: &str) -> Result<(), RenderError> {
        let r = self.check(r, what)?;
        self.span_fill(r, Some(false), Some(false));
        Ok(())
    }

    /// Inverts the black ink inside `r` (red ink there is cleared).
    pub(crate) fn invert(&mut self, r: Rect, what: &str) -> Result<(), RenderError> {
        let r = self.check(r, what)?;
        for y in r.y..r.y + r.h {
            for x in r.x..r.x + r.w {
                let (rx, ry) = self.raster(x, y);
                let ink = self.black.get(rx, ry);
                self.black.set(rx, ry, !ink);
                if let Some(red) = &mut self.red {
                    red.set(rx, ry, false);
                }
            }
        }
        Ok(())
    }

    /// Draws every set pixel of `mask` with its top-left corner at `(x, y)`.
    pub(crate) fn blit(
        &mut self,
        mask: &Bitmap,
        x: i64,
        y: i64,
        ink: Ink,
        what: &str,
    ) -> Result<(), RenderError> {
        let r = self.check(
            Rect::new(x, y, mask.width() as i64, mask.height() as i64),
            what,
        )?;
        self.plane(ink)?;
        let black = ink == Ink::Black;
        match self.orientation {
            Orientation::Portrait => self.draw_raster(r, mask, black),
            // A mask column, read from the bottom up, is a raster row: the
            // mask turned clockwise (eight by eight pixels at a time) has
            // the raster rows.
            Orientation::Landscape => self.draw_raster(r, &mask.rotate_cw(), black),
        }
        Ok(())
    }

    /// The canvas's orientation: which way round [`Piece`] masks must be.
    pub(crate) fn orientation(&self) -> Orientation {
        self.orientation
    }

    /// Draws `pieces`, masks placed inside the box `r`, as [`Canvas::blit`]
    /// of one mask of their union would: the box is checked once, then each
    /// piece is drawn straight onto the canvas. A piece reaching outside the
    /// box is `does_not_fit`, and then nothing is drawn.
    pub(crate) fn blit_pieces(
        &mut self,
        r: Rect,
        pieces: &[Piece<'_>],
        ink: Ink,
        what: &str,
    ) -> Result<(), RenderError> {
        let r = self.check(r, what)?;
        // The piece's rectangle in the layout frame, relative to the box.
        let orientation = self.orientation;
        let rect = |piece: &Piece<'_>| {
            let (w, h) = (piece.mask.width() as i64, piece.mask.height() as i64);
            match orientation {
                Orientation::Portrait => Rect::new(piece.x, piece.y, w, h),
                Orientation::Landscape => Rect::new(piece.x, piece.y, h, w),
            }
        };
        for p in pieces.iter().map(rect) {
            if p.x < 0 || p.y < 0 || p.x + p.w > r.w || p.y + p.h > r.h {
                return Err(RenderError::does_not_fit(
                    what,
                    format!(
                        "a piece needs dots {}..{} x {}..{} of a {} x {} box",
                        p.x,
                        p.x + p.w,
                        p.y,
                        p.y + p.h,
                        r.w,
                        r.h
                    ),
                ));
            }
        }
        self.plane(ink)?;
        let black = ink == Ink::Black;
        for piece in pieces {
            let p = rect(piece);
            self.draw_raster(Rect::new(r.x + p.x, r.y + p.y, p.w, p.h), piece.mask, black);
        }
        Ok(())
    }

    /// Draws `raster_mask`, already in the raster frame's orientation (a
    /// layout mask turned clockwise in landscape), over the checked layout
    /// rectangle `r` of its size, a raster row at a time.
    fn draw_raster(&mut self, r: Rect, raster_mask: &Bitmap, black: bool) {
        let (columns, rows) = self.raster_rect(r);
        for (i, ry) in rows.enumerate() {
            let bits = raster_mask.row(i);
            // Blank rows (between letters, in landscape) draw nothing.
            if bits.iter().any(|&b| b != 0) {
                self.draw_row(ry, columns.start, bits, raster_mask.width(), black);
            }
        }
    }

    /// Fills, with `ink`, the dark cells of `grid` (`dark(column, row)`
    /// says which): the modules of a symbol, scaled.
    /// The same as filling each dark cell, but each band of equal raster
    /// rows is built once and drawn down the band in one call.
    pub(crate) fn fill_cells(
        &mut self,
        grid: Grid,
        dark: impl Fn(usize, usize) -> bool,
        ink: Ink,
        what: &str,
    ) -> Result<(), RenderError> {
        let Grid {
            x,
            y,
            cols,
            rows,
            cell_w,
            cell_h,
        } = grid;
        let r = self.check(
            Rect::new(x, y, (cols * cell_w) as i64, (rows * cell_h) as i64),
            what,
        )?;
        self.plane(ink)?;
        let black = ink == Ink::Black;
        let (columns, raster_rows) = self.raster_rect(r);
        // In the raster frame the grid is `lines` bands of `band` equal
        // raster rows, each crossing `cells` cells of `cell` dots.
        let (lines, band, cells, cell) = match self.orientation {
            Orientation::Portrait => (rows, cell_h, cols, cell_w),
            Orientation::Landscape => (cols, cell_w, rows, cell_h),
        };
        let len = cells * cell;
        let mut bits = Bitmap::new(len, 1);
        for line in 0..lines {
            bits.fill_span(0, 0, len, false);
            let mut any = false;
            for c in 0..cells {
                // Landscape: raster row `line` is grid column `line`, its
                // cells grid rows from the bottom up.
                let (gx, gy) = match self.orientation {
                    Orientation::Portrait => (c, line),
                    Orientation::Landscape => (line, cells - 1 - c),
                };
                if dark(gx, gy) {
                    bits.fill_span(0, c * cell, (c + 1) * cell, true);
                    any = true;
                }
            }
            if !any {
                continue;
            }
            let first = raster_rows.start + line * band;
            let band_rows = first..first + band;
            self.black
                .draw_bits_rows(band_rows.clone(), columns.start, bits.row(0), len, black);
            if let Some(red) = &mut self.red {
                red.draw_bits_rows(band_rows, columns.start, bits.row(0), len, !black);
            }
        }
        Ok(())
    }

    /// Draws the first `len` bits of `bits` on raster row `ry` from raster
    /// column `rx` on: set bits become `black` ink (black set and red
    /// cleared) or red ink (the other way round).
    fn draw_row(&mut self, ry: usize, rx: usize, bits: &[u8], len: usize, black: bool) {
        self.black.draw_bits(ry, rx, bits, len, black);
        if let Some(red) = &mut self.red {
            red.draw_bits(ry, rx, bits, len, !black);
        }
    }

    /// Inverts the pixels of `mask` at `(x, y)` (white text on a black area).
    pub(crate) fn blit_inverted(
        &mut self,
        mask: &Bitmap,
        x: i64,
        y: i64,
        what: &str,
    ) -> Result<(), RenderError> {
        let r = self.check(
            Rect::new(x, y, mask.width() as i64, mask.height() as i64),
            what,
        )?;
        for my in 0..mask.height() {
            for mx in 0..mask.width() {
                if mask.get(mx, my) {
                    let (rx, ry) = self.raster(r.x + mx as i64, r.y + my as i64);
                    let ink = self.black.get(rx, ry);
                    self.black.set(rx, ry, !ink);
                }
            }
        }
        Ok(())
    }

    /// The finished label in raster-line order.
    pub(crate) fn into_label(self) -> Label {
        Label {
            black: self.black,
            red: self.red,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLACK_ONLY: RedPolicy = RedPolicy {
        allowed: false,
        model: "M",
        media: "m",
    };

    #[test]
    fn landscape_turns_clockwise_like_the_raster_crate() {
        let mut portrait = Canvas::new(4, 3, Orientation::Portrait, BLACK_ONLY);
        let mut landscape = Canvas::new(4, 3, Orientation::Landscape, BLACK_ONLY);
        for c in [&mut portrait, &mut landscape] {
            c.fill(Rect::new(0, 0, 2, 1), Ink::Black, "t")
                .expect("fits");
            c.fill(Rect::new(3, 2, 1, 1), Ink::Black, "t")
                .expect("fits");
        }
        let p = portrait.into_label().black;
        let l = landscape.into_label().black;
        assert_eq!(p.rotate_cw(), l);
        assert_eq!(l.width(), 3);
        assert_eq!(l.height(), 4);
    }

    #[test]
    fn nothing_is_drawn_partially_outside() {
        let mut c = Canvas::new(10, 10, Orientation::Landscape, BLACK_ONLY);
        let err = c
            .fill(Rect::new(8, 0, 3, 3), Ink::Black, "box")
            .expect_err("outside");
        assert_eq!(err.code(), "does_not_fit");
        let err = c
            .fill(Rect::new(0, 0, 1, 1), Ink::Red, "box")
            .expect_err("no red");
        assert_eq!(err.code(), "red_unsupported");
        assert!(c.into_label().black.is_blank());
    }

    /// The canvas as it drew before spans: pixel by pixel through `put`.
    fn reference(orientation: Orientation, ops: &[(Rect, u8)], mask: &Bitmap) -> Label {
        let red = RedPolicy {
            allowed: true,
            ..BLACK_ONLY
        };
        let mut c = Canvas::new(37, 29, orientation, red);
        c.plane(Ink::Red).expect("red allowed");
        for &(r, op) in ops {
            for y in r.y..r.y + r.h {
                for x in r.x..r.x + r.w {
                    match op {
                        0 => c.put(x, y, Ink::Black),
                        1 => c.put(x, y, Ink::Red),
                        2 => {
                            let (rx, ry) = c.raster(x, y);
                            c.black.set(rx, ry, false);
                            if let Some(red) = &mut c.red {
                                red.set(rx, ry, false);
                            }
                        }
                        _ => {
                            let ink = if op == 3 { Ink::Black } else { Ink::Red };
                            if mask.get((x - r.x) as usize, (y - r.y) as usize) {
                                c.put(x, y, ink);
                            }
                        }
                    }
                }
            }
        }
        c.into_label()
    }

    #[test]
    fn spans_and_masks_draw_what_pixel_by_pixel_drew() {
        // Fills, clears and blits in both inks and both orientations, at odd offsets and
        // sizes that start and end inside bytes, over each other.
        let mask = Bitmap::from_fn(13, 7, |x, y| (x * 5 + y * 3) % 7 < 3 || x == 12);
        let ops = [
            (Rect::new(0, 0, 37, 29), 0),
            (Rect::new(3, 2, 17, 9), 2),
            (Rect::new(5, 4, 13, 7), 3),
            (Rect::new(9, 11, 21, 5), 1),
            (Rect::new(20, 12, 13, 7), 4),
            (Rect::new(1, 17, 35, 3), 0),
            (Rect::new(22, 18, 13, 7), 3),
            (Rect::new(0, 27, 9, 2), 2),
        ];
        for orientation in [Orientation::Portrait, Orientation::Landscape] {
            let red = RedPolicy {
                allowed: true,
                ..BLACK_ONLY
            };
            let mut c = Canvas::new(37, 29, orientation, red);
            c.plane(Ink::Red).expect("red allowed");
            for &(r, op) in &ops {
                match op {
                    0 => c.fill(r, Ink::Black, "t"),
                    1 => c.fill(r, Ink::Red, "t"),
                    2 => c.clear(r, "t"),
                    3 => c.blit(&mask, r.x, r.y, Ink::Black, "t"),
                    _ => c.blit(&mask, r.x, r.y, Ink::Red, "t"),
                }
                .expect("fits");
            }
            assert_eq!(
                c.into_label(),
                reference(orientation, &ops, &mask),
                "{orientation:?}"
            );
        }
    }

    #[test]
    fn cells_draw_what_filling_each_dark_cell_drew() {
        // Grids of odd cell sizes at offsets that start and end inside bytes,
        // over ink already there, in both inks and both orientations.
        let dark = |gx: usize, gy: usize| (gx * 7 + gy * 3 + gx * gy) % 5 < 2;
        let red = RedPolicy {
            allowed: true,
            ..BLACK_ONLY
        };
        for orientation in [Orientation::Portrait, Orientation::Landscape] {
            for (x, y, cols, rows, cw, ch) in [
                (0, 0, 1, 1, 1, 1),
                (3, 2, 7, 5, 3, 2),
                (1, 5, 11, 1, 2, 13),
                (5, 1, 4, 9, 5, 3),
                (0, 0, 37, 29, 1, 1),
            ] {
                for ink in [Ink::Black, Ink::Red] {
                    let mut fast = Canvas::new(37, 29, orientation, red);
                    fast.fill(Rect::new(2, 3, 30, 20), Ink::Red, "t")
                        .expect("fits");
                    fast.fill(Rect::new(0, 10, 37, 4), Ink::Black, "t")
                        .expect("fits");
                    let mut slow = Canvas::new(37, 29, orientation, red);
                    slow.fill(Rect::new(2, 3, 30, 20), Ink::Red, "t")
                        .expect("fits");
                    slow.fill(Rect::new(0, 10, 37, 4), Ink::Black, "t")
                        .expect("fits");
                    fast.fill_cells(
                        Grid {
                            x,
                            y,
                            cols,
                            rows,
                            cell_w: cw,
                            cell_h: ch,
                        },
                        dark,
                        ink,
                        "t",
                    )
                    .expect("fits");
                    for gy in 0..rows {
                        for gx in 0..cols {
                            if dark(gx, gy) {
                                let (cx, cy) = (x + (gx * cw) as i64, y + (gy * ch) as i64);
                                slow.fill(Rect::new(cx, cy, cw as i64, ch as i64), ink, "t")
                                    .expect("fits");
                            }
                        }
                    }
                    assert_eq!(
                        fast.into_label(),
                        slow.into_label(),
                        "{orientation:?} {cols}x{rows} of {cw}x{ch} at ({x}, {y}) {ink:?}"
                    );
                }
            }
        }
        // A grid that does not fit draws nothing and says so.
        let mut c = Canvas::new(10, 10, Orientation::Landscape, BLACK_ONLY);
        let err = c
            .fill_cells(
                Grid {
                    x: 2,
                    y: 2,
                    cols: 3,
                    rows: 3,
                    cell_w: 3,
                    cell_h: 3,
                },
                |_, _| true,
                Ink::Black,
                "qr",
            )
            .expect_err("9 dots from 2 pass 10");
        assert_eq!(err.code(), "does_not_fit");
        assert!(c.into_label().black.is_blank());
    }

    #[test]
    fn pieces_draw_what_a_blit_of_their_union_drew() {
        let red = RedPolicy {
            allowed: true,
            ..BLACK_ONLY
        };
        let a = Bitmap::from_fn(9, 5, |x, y| (x + 2 * y) % 3 == 0);
        let b = Bitmap::from_fn(4, 7, |x, y| x == y % 4 || y == 6);
        // Overlapping pieces at odd offsets, one on the box's far edges.
        let placed = [(&a, 0, 0), (&b, 6, 2), (&a, 8, 8)];
        let (w, h) = (17, 13);
        let union = Bitmap::from_fn(w, h, |x, y| {
            placed
                .iter()
                .any(|&(m, px, py)| x >= px && y >= py && m.get(x - px, y - py))
        });
        for orientation in [Orientation::Portrait, Orientation::Landscape] {
            for ink in [Ink::Black, Ink::Red] {
                let turned: Vec<Bitmap> = placed
                    .iter()
                    .map(|&(m, _, _)| match orientation {
                        Orientation::Portrait => m.clone(),
                        Orientation::Landscape => m.rotate_cw(),
                    })
                    .collect();
                let pieces: Vec<Piece<'_>> = placed
                    .iter()
                    .zip(&turned)
                    .map(|(&(_, x, y), mask)| Piece {
                        mask,
                        x: x as i64,
                        y: y as i64,
                    })
                    .collect();
                let canvas = || {
                    let mut c = Canvas::new(37, 29, orientation, red);
                    c.fill(Rect::new(0, 3, 37, 6), Ink::Red, "t").expect("fits");
                    c.fill(Rect::new(4, 0, 5, 29), Ink::Black, "t")
                        .expect("fits");
                    c
                };
                let (mut fast, mut slow) = (canvas(), canvas());
                fast.blit_pieces(Rect::new(5, 7, w as i64, h as i64), &pieces, ink, "t")
                    .expect("fits");
                slow.blit(&union, 5, 7, ink, "t").expect("fits");
                assert_eq!(
                    fast.into_label(),
                    slow.into_label(),
                    "{orientation:?} {ink:?}"
                );

                // A piece past the box's edge is refused before anything is drawn.
                let mut c = canvas();
                let before = c.black.clone();
                let err = c
                    .blit_pieces(Rect::new(5, 7, w as i64 - 1, h as i64), &pieces, ink, "t")
                    .expect_err("the last piece reaches column 16 of 16");
                assert_eq!(err.code(), "does_not_fit");
                assert_eq!(c.black, before);
            }
        }
    }
}
