//! The label's frame: orientation, dpi and which of the two layout axes is
//! fixed by the medium and which follows the content, all taken from
//! `printhub_raster::geometry(model, media)`, never from the tape width alone.
//!
//! | medium | default orientation | layout width (x) | layout height (y) |
//! | --- | --- | --- | --- |
//! | TZe / HSe tape | landscape | free: `min_lines..=max_lines` | printable dots |
//! | DK continuous < 50 mm | landscape | free | printable dots |
//! | DK continuous ≥ 50 mm | portrait | printable dots | free |
//! | DK die-cut, longer than wide | landscape | `label_lines` | printable dots |
//! | DK die-cut otherwise, round | portrait | printable dots | `label_lines` |
//!
//! An explicit orientation overrides the default. A free axis shorter than
//! the model's minimum is padded (content centred); longer than its maximum
//! is `does_not_fit`. Rendering is at the base resolution (`geometry.dpi`
//! both ways); high-resolution mode is not used by this crate.

use crate::canvas::{Canvas, RedPolicy};
use crate::error::RenderError;
use crate::Orientation;
use printhub_raster::{geometry, Label, Media, MediaKind, Model};

/// One axis of the layout frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extent {
    /// Set by the medium.
    Fixed(usize),
    /// Follows the content, within the model's line range.
    Free { min: usize, max: usize },
}

impl Extent {
    pub(crate) fn fixed(self) -> Option<usize> {
        match self {
            Extent::Fixed(n) => Some(n),
            Extent::Free { .. } => None,
        }
    }
}

/// The frame every layout draws in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    pub orientation: Orientation,
    pub dpi: u16,
    pub width: Extent,
    pub height: Extent,
    pub red: RedPolicy,
}

/// The default orientation for `media` whose printable width is `printable` dots.
pub fn default_orientation(media: &Media, printable: usize) -> Orientation {
    match media.kind {
        MediaKind::Tape | MediaKind::HeatShrink2 | MediaKind::HeatShrink3 => Orientation::Landscape,
        MediaKind::DieCut | MediaKind::Round => {
            if media.label_lines as usize > printable {
                Orientation::Landscape
            } else {
                Orientation::Portrait
            }
        }
        MediaKind::Continuous => {
            if media.width_mm < 50 {
                Orientation::Landscape
            } else {
                Orientation::Portrait
            }
        }
    }
}

impl Frame {
    /// The frame for `media` on `model`.
    pub(crate) fn new(
        model: &'static Model,
        media: &'static Media,
        orientation: Option<Orientation>,
    ) -> Result<Frame, RenderError> {
        let g = geometry(model, media)?;
        let printable = g.printable() as usize;
        let orientation = orientation.unwrap_or_else(|| default_orientation(media, printable));
        let along = if g.label_lines > 0 {
            Extent::Fixed(g.label_lines as usize)
        } else {
            Extent::Free {
                min: model.min_lines as usize,
                max: model.max_lines as usize,
            }
        };
        let across = Extent::Fixed(printable);
        let (width, height) = match orientation {
            Orientation::Landscape => (along, across),
            Orientation::Portrait => (across, along),
        };
        Ok(Frame {
            orientation,
            dpi: g.dpi,
            width,
            height,
            red: RedPolicy {
                allowed: media.two_colour && model.two_colour,
                model: model.name,
                media: media.id,
            },
        })
    }

    /// `mm` millimetres in dots (rounded).
    pub(crate) fn dots(&self, mm: f32) -> usize {
        (mm * f32::from(self.dpi) / 25.4).round().max(0.0) as usize
    }

    /// The smallest text (line box height in dots) a layout may shrink to: 1.2 mm, at least 8 dots.
    pub(crate) fn min_text_px(&self) -> f32 {
        (1.2 * f32::from(self.dpi) / 25.4).max(8.0)
    }

    /// Resolves the canvas for content of `content_w` × `content_h` dots, lets
    /// `draw` paint it (content-relative coordinates) and returns the label.
    pub(crate) fn finish(
        &self,
        content_w: usize,
        content_h: usize,
        draw: impl FnOnce(&mut Canvas) -> Result<(), RenderError>,
    ) -> Result<Label, RenderError> {
        let (w, dx) = resolve(self.width, content_w, "label length")?;
        let (h, dy) = resolve(self.height, content_h, "label length")?;
        let mut canvas = Canvas::new(w, h, self.orientation, self.red);
        canvas.translate(dx as i64, dy as i64);
        draw(&mut canvas)?;
        Ok(canvas.into_label())
    }
}

fn resolve(extent: Extent, content: usize, what: &str) -> Result<(usize, usize), RenderError> {
    match extent {
        Extent::Fixed(n) => {
            if content > n {
                return Err(RenderError::does_not_fit(
                    what,
                    format!("content needs {content} dots; the label has {n}"),
                ));
            }
            Ok((n, (n - content) / 2))
        }
        Extent::Free { min, max } => {
            if content > max {
                return Err(RenderError::does_not_fit(
                    what,
                    format!("content needs {content} raster lines; the model prints at most {max}"),
                ));
            }
            let n = content.max(min);
            Ok((n, (n - content) / 2))
        }
    }
}
