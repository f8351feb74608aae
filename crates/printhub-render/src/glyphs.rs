//! The glyph cache: each glyph outlined and rasterised once per font, size
//! and position, then reused by every label that draws it again.
//!
//! A label printer draws the same few strings over and over (a batch of
//! shelf labels shares its title and secondary lines; [`fit_line`] lays the
//! same text out again at each size it tries), and outlining and
//! rasterising a glyph with `ab_glyph` costs far more than copying its bits.
//! The cache is keyed by everything that decides the glyph's pixels — the
//! font, the glyph, the size and the exact pen position (its fraction of a
//! pixel changes the anti-aliasing) — so a cached glyph is bit for bit what
//! drawing it again would give: the cache never changes a pixel.
//!
//! What is cached per glyph: its pixel bounds (all that layout needs) and,
//! once the glyph is first drawn, its 1-bit mask (coverage at or above the
//! threshold), packed like a [`Bitmap`], and that mask turned clockwise once
//! the glyph is first drawn on a landscape canvas. The cache is bounded
//! ([`CAPACITY`] glyphs, least recently used dropped first; an entry is at
//! most a few hundred bytes) and shared by every thread that renders: one
//! `Mutex` held only to look up or insert an `Arc`, never while a glyph is
//! rasterised.
//!
//! [`fit_line`]: crate::text::fit_line

use ab_glyph::{Font, FontRef, GlyphId, OutlinedGlyph, Rect};
use lru::LruCache;
use printhub_raster::Bitmap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Glyphs kept at most, over every font and size.
pub(crate) const CAPACITY: usize = 8192;

/// What decides a glyph's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct GlyphKey {
    /// Which embedded font (an index the text module gives each one).
    pub font: u8,
    /// The glyph in that font.
    pub id: u16,
    /// The size in pixels, as `f32` bits.
    pub px: u32,
    /// The pen position along the line, as `f32` bits.
    pub x: u32,
}

/// One glyph as the text module needs it.
#[derive(Debug)]
pub(crate) struct Glyph {
    /// Pixel bounds at the cached position (`ab_glyph`'s `px_bounds`).
    pub bounds: Rect,
    /// Ink at or above the coverage threshold, relative to `bounds.min`;
    /// drawn on first use.
    mask: OnceLock<Bitmap>,
    /// `mask` turned 90° clockwise, for landscape canvases; turned on first use.
    turned: OnceLock<Bitmap>,
}

impl Glyph {
    /// The glyph's 1-bit mask, rasterised from `outlined` (the same glyph
    /// at the same position) the first time it is asked for.
    pub fn mask(
        &self,
        outlined: impl FnOnce() -> Option<OutlinedGlyph>,
        threshold: f32,
    ) -> &Bitmap {
        self.mask.get_or_init(|| {
            let width = (self.bounds.max.x - self.bounds.min.x).max(0.0) as usize;
            let height = (self.bounds.max.y - self.bounds.min.y).max(0.0) as usize;
            let mut mask = Bitmap::new(width, height);
            if let Some(outlined) = outlined() {
                outlined.draw(|x, y, c| {
                    if c >= threshold {
                        mask.set(x as usize, y as usize, true);
                    }
                });
            }
            mask
        })
    }

    /// [`Glyph::mask`] turned 90° clockwise ([`Bitmap::rotate_cw`]): the
    /// glyph as a landscape canvas's raster rows take it.
    pub fn turned(
        &self,
        outlined: impl FnOnce() -> Option<OutlinedGlyph>,
        threshold: f32,
    ) -> &Bitmap {
        self.turned
            .get_or_init(|| self.mask(outlined, threshold).rotate_cw())
    }
}

type Cache = Mutex<LruCache<GlyphKey, Option<Arc<Glyph>>>>;

static CACHE: OnceLock<Cache> = OnceLock::new();

fn cache() -> &'static Cache {
    CACHE.get_or_init(|| {
        let capacity = NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN);
        Mutex::new(LruCache::new(capacity))
    })
}

/// The glyph `id` of `font` at `px` with its pen at `x` (`None` for a glyph
/// without an outline, such as a space): from the cache, or outlined now and
/// cached.
pub(crate) fn glyph(
    key_font: u8,
    font: &FontRef<'static>,
    id: GlyphId,
    px: f32,
    x: f32,
) -> Option<Arc<Glyph>> {
    let key = GlyphKey {
        font: key_font,
        id: id.0,
        px: px.to_bits(),
        x: x.to_bits(),
    };
    let lock = || cache().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = lock().get(&key) {
        return found.clone();
    }
    // Outlined outside the lock: another thread may do the same glyph at
    // once, and both get the same pixels.
    let glyph = outline(font, id, px, x).map(|outlined| {
        Arc::new(Glyph {
            bounds: outlined.px_bounds(),
            mask: OnceLock::new(),
            turned: OnceLock::new(),
        })
    });
    lock().put(key, glyph.clone());
    glyph
}

/// `ab_glyph`'s outline of glyph `id` of `font` at `px` with its pen at `x`.
pub(crate) fn outline(
    font: &FontRef<'static>,
    id: GlyphId,
    px: f32,
    x: f32,
) -> Option<OutlinedGlyph> {
    font.outline_glyph(id.with_scale_and_position(px, ab_glyph::point(x, 0.0)))
}

/// Glyphs in the cache now.
#[cfg(test)]
pub(crate) fn cached() -> usize {
    cache().lock().unwrap_or_else(PoisonError::into_inner).len()
}
