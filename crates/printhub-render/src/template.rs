//! Declarative label templates (JSON) and the built-in ones.
//!
//! A template is a canvas with elements drawn in order:
//!
//! ```json
//! {
//!   "name": "asset_tag",
//!   "aspect": 3.0,
//!   "elements": [
//!     {"type": "qr", "x": 0, "y": 0, "w": "100%h", "h": "100%", "data": "{qr_payload}", "ec": "M"},
//!     {"type": "text", "x": "100%h", "w": "100%", "h": "55%", "text": "{primary_id}", "bold": true},
//!     {"type": "text", "x": "100%h", "y": "55%", "h": "45%", "text": "{title}", "optional": true}
//!   ]
//! }
//! ```
//!
//! **Canvas.** The fixed axes come from the medium (printable dots, die-cut
//! length). A free axis (continuous media) is `length_mm` long, or sized so
//! that width / height = `aspect` (default 3 when the width is free, as along
//! a tape, and 2 when the height is free, as down a wide roll). A canvas
//! shorter than the model's minimum length is centred on a longer label.
//!
//! **Lengths** (`x`, `y`, `w`, `h`, line ends): a number is millimetres;
//! `"40%"` is a share of the canvas along the same axis; `"40%w"` / `"40%h"`
//! a share of the canvas width / height; `"12dots"` whole dots. `w` and `h`
//! default to the rest of the canvas, clipped at nothing: an element box
//! that leaves the canvas is `does_not_fit`.
//!
//! **Elements.** `text` (`text`, `size_mm` or auto-fit to the box, `align`
//! left/center/right, `valign` top/middle/bottom, `wrap`, `max_lines` — text
//! that still does not fit is cut with `…` when `max_lines` is set, else
//! `does_not_fit` —, `bold`, `inverted` for white on black), `qr` (`data`,
//! `ec` L/M/Q/H, `quiet_zone` modules), `datamatrix` (`data`, `quiet_zone`),
//! `barcode` (`symbology` code128/ean13/code39, `data`), `image`
//! (`data_base64` PNG/JPEG, `dither`), `line` (`x1 y1 x2 y2`, `thickness_mm`),
//! `box` (`thickness_mm`, `fill`) and `invert` (inverts what is under it).
//! Every element takes `ink` (`black`/`red`; red needs a two-colour roll) and
//! `optional` (skip the element when a placeholder it uses has no data,
//! instead of failing).
//!
//! **Placeholders** in `text` and `data`: `{title}`, `{primary_id}`,
//! `{qr_payload}`, `{secondary}` (the first), `{secondary.N}`, `{items}` (one
//! per line), `{items.N}`, `{item_count}`, and any key of
//! [`LabelData::fields`]; `{{`/`}}` are literal braces. All data missing
//! across non-optional elements is reported at once as
//! `content_type_data_mismatch` with content type `template:<name>`.

use crate::canvas::{Canvas, Ink, Rect};
use crate::data::LabelData;
use crate::error::RenderError;
use crate::frame::{Extent, Frame};
use crate::image::{self as img, Dither};
use crate::symbol::{self, EcLevel, Linear, MIN_MODULE};
use crate::text::{self, Line, Style};
use crate::Orientation;
use base64::Engine;
use printhub_raster::Label;
use serde::{Deserialize, Serialize};

/// A template by built-in name or inline. In JSON: a string names a built-in, an object is inline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TemplateRef {
    /// A built-in template (see [`BUILTIN`]).
    Name(String),
    /// An inline template.
    Inline(Box<Template>),
}

/// A declarative template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Name (for errors).
    #[serde(default)]
    pub name: String,
    /// Preferred orientation; the request's orientation wins, then the medium's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation: Option<Orientation>,
    /// Length of the free axis on continuous media, in mm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_mm: Option<f32>,
    /// Canvas width / height when the free axis has no `length_mm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect: Option<f32>,
    /// Elements, drawn in order.
    pub elements: Vec<Element>,
}

/// A length: mm, a share of the canvas, or dots (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum Length {
    /// Millimetres.
    Mm(f32),
    /// `"40%"`, `"40%w"`, `"40%h"` or `"12dots"`.
    Expr(String),
}

/// The box an element occupies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Area {
    /// Left edge.
    #[serde(default = "zero")]
    pub x: Length,
    /// Top edge.
    #[serde(default = "zero")]
    pub y: Length,
    /// Width (default: to the right edge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<Length>,
    /// Height (default: to the bottom edge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<Length>,
}

fn zero() -> Length {
    Length::Mm(0.0)
}
fn default_quiet() -> usize {
    2
}
fn default_ec() -> EcLevel {
    EcLevel::M
}
fn default_thickness() -> f32 {
    0.3
}

/// Horizontal alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// Left.
    #[default]
    Left,
    /// Centred.
    Center,
    /// Right.
    Right,
}

/// Vertical alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum VAlign {
    /// Top.
    Top,
    /// Middle.
    #[default]
    Middle,
    /// Bottom.
    Bottom,
}

/// One template element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Element {
    /// Text.
    Text {
        /// Box.
        #[serde(flatten)]
        area: Area,
        /// Text with placeholders.
        text: String,
        /// Line height in mm; absent: the largest size that fits the box.
        #[serde(default)]
        size_mm: Option<f32>,
        /// Horizontal alignment.
        #[serde(default)]
        align: Align,
        /// Vertical alignment.
        #[serde(default)]
        valign: VAlign,
        /// Wrap at spaces to the box width.
        #[serde(default)]
        wrap: bool,
        /// At most this many lines; more is cut with `…`.
        #[serde(default)]
        max_lines: Option<usize>,
        /// Bold.
        #[serde(default)]
        bold: bool,
        /// White text on a filled box.
        #[serde(default)]
        inverted: bool,
        /// Ink.
        #[serde(default)]
        ink: Ink,
        /// Skip when data is missing.
        #[serde(default)]
        optional: bool,
    },
    /// QR code.
    Qr {
        /// Box.
        #[serde(flatten)]
        area: Area,
        /// Payload with placeholders.
        data: String,
        /// Error-correction level.
        #[serde(default = "default_ec")]
        ec: EcLevel,
        /// Quiet zone in modules.
        #[serde(default = "default_quiet")]
        quiet_zone: usize,
        /// Ink.
        #[serde(default)]
        ink: Ink,
        /// Skip when data is missing.
        #[serde(default)]
        optional: bool,
    },
    /// DataMatrix (ECC 200).
    Datamatrix {
        /// Box.
        #[serde(flatten)]
        area: Area,
        /// Payload with placeholders.
        data: String,
        /// Quiet zone in modules.
        #[serde(default = "default_quiet")]
        quiet_zone: usize,
        /// Ink.
        #[serde(default)]
        ink: Ink,
        /// Skip when data is missing.
        #[serde(default)]
        optional: bool,
    },
    /// A linear barcode, bars as tall as the box.
    Barcode {
        /// Box.
        #[serde(flatten)]
        area: Area,
        /// Symbology.
        symbology: Linear,
        /// Data with placeholders.
        data: String,
        /// Ink.
        #[serde(default)]
        ink: Ink,
        /// Skip when data is missing.
        #[serde(default)]
        optional: bool,
    },
    /// An embedded PNG/JPEG, fitted into the box (aspect kept) and centred.
    Image {
        /// Box.
        #[serde(flatten)]
        area: Area,
        /// The file, base64.
        data_base64: String,
        /// Dithering.
        #[serde(default)]
        dither: Dither,
        /// Ink.
        #[serde(default)]
        ink: Ink,
    },
    /// A straight line.
    Line {
        /// Start x.
        x1: Length,
        /// Start y.
        y1: Length,
        /// End x.
        x2: Length,
        /// End y.
        y2: Length,
        /// Thickness in mm.
        #[serde(default = "default_thickness")]
        thickness_mm: f32,
        /// Ink.
        #[serde(default)]
        ink: Ink,
    },
    /// A rectangle outline, or filled.
    Box {
        /// Box.
        #[serde(flatten)]
        area: Area,
        /// Outline thickness in mm.
        #[serde(default = "default_thickness")]
        thickness_mm: f32,
        /// Fill instead of outline.
        #[serde(default)]
        fill: bool,
        /// Ink.
        #[serde(default)]
        ink: Ink,
    },
    /// Inverts everything drawn so far inside the box.
    Invert {
        /// Box.
        #[serde(flatten)]
        area: Area,
    },
}

/// The built-in templates: `(name, JSON)`.
pub const BUILTIN: &[(&str, &str)] = &[
    ("asset_tag", include_str!("templates/asset_tag.json")),
    ("product", include_str!("templates/product.json")),
    (
        "filament_spool",
        include_str!("templates/filament_spool.json"),
    ),
    ("storage_box", include_str!("templates/storage_box.json")),
    ("shelf", include_str!("templates/shelf.json")),
    ("plain_text", include_str!("templates/plain_text.json")),
    ("qr_only", include_str!("templates/qr_only.json")),
];

impl Template {
    /// Parses a template from JSON.
    pub fn from_json(json: &str) -> Result<Template, RenderError> {
        serde_json::from_str(json).map_err(|e| RenderError::TemplateParse {
            message: e.to_string(),
        })
    }

    /// The built-in template called `name`.
    pub fn builtin(name: &str) -> Result<Template, RenderError> {
        let (_, json) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            RenderError::UnknownTemplate {
                name: name.to_string(),
            }
        })?;
        Template::from_json(json)
    }
}

/// Expands `{placeholders}` in `s`; names with no data go to `missing`.
pub fn expand(s: &str, data: &LabelData, missing: &mut Vec<String>) -> Result<String, RenderError> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    name.push(c);
                }
                if !closed {
                    return Err(RenderError::TemplateParse {
                        message: format!("unclosed placeholder {{{name}"),
                    });
                }
                match lookup(&name, data)? {
                    Some(v) if !v.is_empty() => out.push_str(&v),
                    _ => {
                        if !missing.contains(&name) {
                            missing.push(name);
                        }
                    }
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn lookup(name: &str, data: &LabelData) -> Result<Option<String>, RenderError> {
    let unknown = || RenderError::UnknownField {
        field: name.to_string(),
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Err(unknown());
    }
    let (head, index) = match name.split_once('.') {
        Some((h, i)) => (h, Some(i.parse::<usize>().map_err(|_| unknown())?)),
        None => (name, None),
    };
    Ok(match (head, index) {
        ("title", None) => data.title.clone(),
        ("primary_id", None) => data.primary_id.clone(),
        ("qr_payload", None) => data.qr_payload.clone(),
        ("secondary", i) => data.secondary.get(i.unwrap_or(0)).cloned(),
        ("items", None) => Some(
            data.items
                .iter()
                .map(|i| i.item.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ("items", Some(i)) => data.items.get(i).map(|i| i.item.clone()),
        ("item_count", None) => Some(data.items.len().to_string()),
        (_, None) => data.fields.get(name).cloned(),
        (_, Some(_)) => return Err(unknown()),
    })
}

impl TemplateRef {
    /// The template itself: the built-in one named, or the inline one.
    pub fn resolve(&self) -> Result<std::borrow::Cow<'_, Template>, RenderError> {
        match self {
            TemplateRef::Name(name) => Ok(std::borrow::Cow::Owned(Template::builtin(name)?)),
            TemplateRef::Inline(t) => Ok(std::borrow::Cow::Borrowed(t.as_ref())),
        }
    }
}

struct Ctx<'a> {
    frame: &'a Frame,
    w: i64,
    h: i64,
}

impl Ctx<'_> {
    fn len(&self, l: &Length, along: i64) -> Result<i64, RenderError> {
        let bad = |s: &str| RenderError::TemplateParse {
            message: format!(
                "bad length {s:?} (use mm, \"40%\", \"40%w\", \"40%h\" or \"12dots\")"
            ),
        };
        Ok(match l {
            Length::Mm(mm) => self.frame.dots(*mm) as i64,
            Length::Expr(s) => {
                let s = s.trim();
                let pct = |num: &str, of: i64| -> Result<i64, RenderError> {
                    let v: f64 = num.trim().parse().map_err(|_| bad(s))?;
                    // Floor, so that boxes whose shares add up to 100 % stay inside.
                    Ok((v / 100.0 * of as f64 + 1e-9).floor() as i64)
                };
                if let Some(n) = s.strip_suffix("%w") {
                    pct(n, self.w)?
                } else if let Some(n) = s.strip_suffix("%h") {
                    pct(n, self.h)?
                } else if let Some(n) = s.strip_suffix('%') {
                    pct(n, along)?
                } else if let Some(n) = s.strip_suffix("dots") {
                    n.trim().parse::<i64>().map_err(|_| bad(s))?
                } else {
                    return Err(bad(s));
                }
            }
        })
    }

    fn rect(&self, a: &Area, what: &str) -> Result<Rect, RenderError> {
        let x = self.len(&a.x, self.w)?;
        let y = self.len(&a.y, self.h)?;
        let w = match &a.w {
            Some(l) => self.len(l, self.w)?,
            None => self.w - x,
        };
        let h = match &a.h {
            Some(l) => self.len(l, self.h)?,
            None => self.h - y,
        };
        let r = Rect::new(x, y, w, h);
        if w <= 0 || h <= 0 || x < 0 || y < 0 || x + w > self.w || y + h > self.h {
            return Err(RenderError::does_not_fit(
                what,
                format!(
                    "its box {x},{y} {w}x{h} leaves the {}x{} canvas",
                    self.w, self.h
                ),
            ));
        }
        Ok(r)
    }
}

pub(crate) fn draw(frame: &Frame, t: &Template, data: &LabelData) -> Result<Label, RenderError> {
    let name = if t.name.is_empty() {
        "inline"
    } else {
        t.name.as_str()
    };
    // A free axis is `length_mm` long, or such that width / height = aspect.
    let free = |n: usize, min: usize, max: usize| -> Result<usize, RenderError> {
        let n = t.length_mm.map_or(n, |mm| frame.dots(mm));
        if n > max {
            return Err(RenderError::does_not_fit(
                "template",
                format!("{n} raster lines; the model prints at most {max}"),
            ));
        }
        Ok(n.max(min.min(1)).max(1))
    };
    let (w, h) = match (frame.width, frame.height) {
        (Extent::Fixed(w), Extent::Fixed(h)) => (w, h),
        (Extent::Free { min, max }, Extent::Fixed(h)) => {
            let aspect = t.aspect.unwrap_or(3.0);
            (free((h as f32 * aspect).round() as usize, min, max)?, h)
        }
        (Extent::Fixed(w), Extent::Free { min, max }) => {
            let aspect = t.aspect.unwrap_or(2.0).max(0.01);
            (w, free((w as f32 / aspect).round() as usize, min, max)?)
        }
        (Extent::Free { min, .. }, Extent::Free { .. }) => (min, min),
    };
    let ctx = Ctx {
        frame,
        w: w as i64,
        h: h as i64,
    };

    // First pass: expand placeholders, collect missing data and glyphs.
    let mut missing_all = Vec::new();
    let mut missing_glyphs = Vec::new();
    let mut expanded: Vec<Option<String>> = Vec::with_capacity(t.elements.len());
    for e in &t.elements {
        let (source, optional, style) = match e {
            Element::Text {
                text,
                optional,
                bold,
                ..
            } => (Some(text), *optional, Style { bold: *bold }),
            Element::Qr { data, optional, .. }
            | Element::Datamatrix { data, optional, .. }
            | Element::Barcode { data, optional, .. } => (Some(data), *optional, Style::default()),
            _ => (None, false, Style::default()),
        };
        let Some(source) = source else {
            expanded.push(None);
            continue;
        };
        let mut missing = Vec::new();
        let value = expand(source, data, &mut missing)?;
        if !missing.is_empty() {
            if !optional {
                for m in missing {
                    if !missing_all.contains(&m) {
                        missing_all.push(m);
                    }
                }
            }
            expanded.push(None);
            continue;
        }
        if matches!(e, Element::Text { .. }) {
            for c in text::missing_glyphs(&value.replace('\n', ""), style)? {
                if !missing_glyphs.contains(&c) {
                    missing_glyphs.push(c);
                }
            }
        }
        expanded.push(Some(value));
    }
    if !missing_all.is_empty() {
        return Err(RenderError::ContentTypeDataMismatch {
            content_type: format!("template:{name}"),
            missing: missing_all,
        });
    }
    if !missing_glyphs.is_empty() {
        return Err(RenderError::MissingGlyphs {
            chars: missing_glyphs,
        });
    }

    frame.finish(w, h, |canvas| {
        for (e, value) in t.elements.iter().zip(&expanded) {
            draw_element(&ctx, canvas, e, value.as_deref())?;
        }
        Ok(())
    })
}

fn draw_element(
    ctx: &Ctx<'_>,
    canvas: &mut Canvas,
    e: &Element,
    value: Option<&str>,
) -> Result<(), RenderError> {
    match e {
        Element::Text {
            area,
            size_mm,
            align,
            valign,
            wrap,
            max_lines,
            bold,
            inverted,
            ink,
            ..
        } => {
            let Some(value) = value else { return Ok(()) };
            let r = ctx.rect(area, "text")?;
            let style = Style { bold: *bold };
            let lines = fit_text(ctx, value, style, r, *size_mm, *wrap, *max_lines)?;
            let pitch = lines.iter().map(|l| l.height).max().unwrap_or(0) as i64;
            let total = pitch * lines.len() as i64;
            let mut y = r.y
                + match valign {
                    VAlign::Top => 0,
                    VAlign::Middle => (r.h - total) / 2,
                    VAlign::Bottom => r.h - total,
                };
            if *inverted {
                canvas.fill(r, *ink, "text")?;
            }
            for line in &lines {
                let x = r.x
                    + match align {
                        Align::Left => 0,
                        Align::Center => (r.w - line.width as i64) / 2,
                        Align::Right => r.w - line.width as i64,
                    };
                if *inverted {
                    canvas.blit_inverted(&line.render()?, x, y, "text")?;
                } else {
                    line.draw(canvas, x, y, *ink, "text")?;
                }
                y += pitch;
            }
            Ok(())
        }
        Element::Qr {
            area,
            ec,
            quiet_zone,
            ink,
            ..
        } => {
            let Some(value) = value else { return Ok(()) };
            let r = ctx.rect(area, "qr")?;
            let m = symbol::qr(value, *ec)?;
            draw_2d(canvas, &m, r, *quiet_zone, *ink, "qr")
        }
        Element::Datamatrix {
            area,
            quiet_zone,
            ink,
            ..
        } => {
            let Some(value) = value else { return Ok(()) };
            let r = ctx.rect(area, "datamatrix")?;
            let m = symbol::datamatrix(value)?;
            draw_2d(canvas, &m, r, *quiet_zone, *ink, "datamatrix")
        }
        Element::Barcode {
            area,
            symbology,
            ink,
            ..
        } => {
            let Some(value) = value else { return Ok(()) };
            let r = ctx.rect(area, symbology.name())?;
            let m = symbol::linear(*symbology, value)?;
            let across = m.width + 2 * symbology.quiet();
            let module = r.w as usize / across;
            if module < MIN_MODULE {
                return Err(RenderError::does_not_fit(
                    symbology.name(),
                    format!(
                        "{across} modules need {} dots at {MIN_MODULE} dots a module; the box is {} wide",
                        across * MIN_MODULE,
                        r.w
                    ),
                ));
            }
            let x = r.x + (r.w - (across * module) as i64) / 2;
            symbol::draw(
                canvas,
                &m,
                symbol::At {
                    x,
                    y: r.y,
                    module,
                    quiet: symbology.quiet(),
                    bar_height: Some(r.h as usize),
                },
                *ink,
                symbology.name(),
            )
        }
        Element::Image {
            area,
            data_base64,
            dither,
            ink,
        } => {
            let r = ctx.rect(area, "image")?;
            let bytes = decode_base64(data_base64)?;
            let grey = img::decode(&bytes)?;
            let (w, h) = img::fit_size(
                grey.width(),
                grey.height(),
                Some(r.w as usize),
                Some(r.h as usize),
            );
            let bitmap = img::to_bitmap(&grey, w, h, *dither);
            canvas.blit(
                &bitmap,
                r.x + (r.w - w as i64) / 2,
                r.y + (r.h - h as i64) / 2,
                *ink,
                "image",
            )
        }
        Element::Line {
            x1,
            y1,
            x2,
            y2,
            thickness_mm,
            ink,
        } => {
            let (x1, y1) = (ctx.len(x1, ctx.w)?, ctx.len(y1, ctx.h)?);
            let (x2, y2) = (ctx.len(x2, ctx.w)?, ctx.len(y2, ctx.h)?);
            let t = (ctx.frame.dots(*thickness_mm) as i64).max(1);
            // Bresenham, stamping a t × t square whose top-left is the point.
            let (dx, dy) = ((x2 - x1).abs(), -(y2 - y1).abs());
            let (sx, sy) = (if x1 < x2 { 1 } else { -1 }, if y1 < y2 { 1 } else { -1 });
            let (mut x, mut y, mut err) = (x1, y1, dx + dy);
            loop {
                canvas.fill(Rect::new(x, y, t, t), *ink, "line")?;
                if x == x2 && y == y2 {
                    break;
                }
                let e2 = 2 * err;
                if e2 >= dy {
                    err += dy;
                    x += sx;
                }
                if e2 <= dx {
                    err += dx;
                    y += sy;
                }
            }
            Ok(())
        }
        Element::Box {
            area,
            thickness_mm,
            fill,
            ink,
        } => {
            let r = ctx.rect(area, "box")?;
            if *fill {
                return canvas.fill(r, *ink, "box");
            }
            let t = (ctx.frame.dots(*thickness_mm) as i64)
                .max(1)
                .min(r.w)
                .min(r.h);
            canvas.fill(Rect::new(r.x, r.y, r.w, t), *ink, "box")?;
            canvas.fill(Rect::new(r.x, r.y + r.h - t, r.w, t), *ink, "box")?;
            canvas.fill(Rect::new(r.x, r.y, t, r.h), *ink, "box")?;
            canvas.fill(Rect::new(r.x + r.w - t, r.y, t, r.h), *ink, "box")
        }
        Element::Invert { area } => {
            let r = ctx.rect(area, "invert")?;
            canvas.invert(r, "invert")
        }
    }
}

fn draw_2d(
    canvas: &mut Canvas,
    m: &symbol::Modules,
    r: Rect,
    quiet: usize,
    ink: Ink,
    what: &str,
) -> Result<(), RenderError> {
    let p = symbol::place_2d((m.width, m.height), quiet, r.w as usize, r.h as usize, what)?;
    let x = r.x + (r.w - p.size_w as i64) / 2;
    let y = r.y + (r.h - p.size_h as i64) / 2;
    symbol::draw(
        canvas,
        m,
        symbol::At {
            x,
            y,
            module: p.module,
            quiet,
            bar_height: None,
        },
        ink,
        what,
    )
}

/// The file an `image` element embeds.
pub(crate) fn decode_base64(data: &str) -> Result<Vec<u8>, RenderError> {
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| RenderError::ImageDecode {
            detail: format!("base64: {e}"),
        })
}

/// Lays out a text element in `r`: at `size_mm`, or the largest size that fits.
fn fit_text(
    ctx: &Ctx<'_>,
    value: &str,
    style: Style,
    r: Rect,
    size_mm: Option<f32>,
    wrap: bool,
    max_lines: Option<usize>,
) -> Result<Vec<Line>, RenderError> {
    let (bw, bh) = (r.w as u32, r.h as u32);
    let min_px = ctx.frame.min_text_px();
    let try_size = |px: f32| -> Result<(Vec<String>, Vec<Line>, bool), RenderError> {
        let strings: Vec<String> = if wrap {
            text::wrap(value, style, px, bw)?
        } else {
            value.split('\n').map(str::to_string).collect()
        };
        let lines: Vec<Line> = strings
            .iter()
            .map(|s| text::layout(s, style, px))
            .collect::<Result<_, _>>()?;
        let pitch = lines.iter().map(|l| l.height).max().unwrap_or(0);
        let fits = lines.iter().all(|l| l.width <= bw)
            && pitch as usize * lines.len() <= bh as usize
            && max_lines.is_none_or(|m| lines.len() <= m);
        Ok((strings, lines, fits))
    };
    let final_px = match size_mm {
        Some(mm) => ctx.frame.dots(mm).max(1) as f32,
        None => {
            let mut px = bh as f32;
            loop {
                if try_size(px)?.2 {
                    return Ok(try_size(px)?.1);
                }
                let next = (px * 0.92).min(px - 0.5);
                if next < min_px {
                    break min_px;
                }
                px = next;
            }
        }
    };
    let (strings, lines, fits) = try_size(final_px)?;
    if fits {
        return Ok(lines);
    }
    let Some(max) = max_lines else {
        return Err(RenderError::does_not_fit(
            format!("text {value:?}"),
            format!("needs more than a {bw}x{bh}-dot box at {final_px:.0} dots (set max_lines to cut it with …)"),
        ));
    };
    // Cut: as many lines as the box and max_lines allow, the last one ending in "…".
    let pitch = text::layout("Ág", style, final_px)?.height.max(1);
    let room = ((bh / pitch) as usize).min(max);
    if room == 0 {
        return Err(RenderError::does_not_fit(
            format!("text {value:?}"),
            format!("one line needs {pitch} dots; the box is {bh} high"),
        ));
    }
    let mut out: Vec<Line> = Vec::with_capacity(room);
    for (i, s) in strings.iter().take(room).enumerate() {
        let last = i + 1 == room;
        let line = text::layout(s, style, final_px)?;
        if (last && strings.len() > room) || line.width > bw {
            let rest = if last {
                strings[i..].join(" ")
            } else {
                s.clone()
            };
            out.push(text::ellipsize(&rest, style, final_px, bw)?);
        } else {
            out.push(line);
        }
    }
    if out.iter().any(|l| l.width > bw || l.height > bh) {
        return Err(RenderError::does_not_fit(
            format!("text {value:?}"),
            format!("box {bw}x{bh}"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses() {
        for (name, _) in BUILTIN {
            let t = Template::builtin(name).expect(name);
            assert_eq!(t.name, *name);
        }
        assert_eq!(
            Template::builtin("nope").map_err(|e| e.code()).err(),
            Some("unknown_template")
        );
    }

    #[test]
    fn placeholders_expand_and_report() {
        let data: LabelData = serde_json::from_str(
            r#"{"title":"T","secondary":["a","b"],"items":[{"item":"x"},{"item":"y"}],"fields":{"due":"2027"}}"#,
        )
        .expect("json");
        let mut missing = vec![];
        let s = expand(
            "{title}|{secondary.1}|{items}|{item_count}|{due}|{{x}}",
            &data,
            &mut missing,
        )
        .expect("ok");
        assert_eq!(s, "T|b|x\ny|2|2027|{x}");
        assert!(missing.is_empty());
        expand("{primary_id} {qr_payload} {nope}", &data, &mut missing).expect("ok");
        assert_eq!(missing, ["primary_id", "qr_payload", "nope"]);
        assert_eq!(
            expand("{a b}", &data, &mut missing)
                .map_err(|e| e.code())
                .err(),
            Some("unknown_field")
        );
        assert_eq!(
            expand("{title.2}", &data, &mut missing)
                .map_err(|e| e.code())
                .err(),
            Some("unknown_field")
        );
        assert_eq!(
            expand("{title", &data, &mut missing)
                .map_err(|e| e.code())
                .err(),
            Some("template_parse")
        );
    }
}
