//! # printhub-render
//!
//! Label data → the exact 1-bit raster the loaded medium takes. Geometry
//! always comes from `(model, media)` through [`printhub_raster::geometry`]:
//! printable dots across, dpi and die-cut length. The result is a
//! [`printhub_raster::Label`] in raster-line order whose width is exactly the
//! printable width and whose length is one the model accepts, ready for the
//! encoder.
//!
//! ```text
//!  RenderRequest ──┬─ ContentType{content_type, data} ─ content.rs ─┐
//!                  ├─ Template{name | JSON, data} ──── template.rs ─┼─ Frame (frame.rs) ─ Canvas (canvas.rs) ─ Label
//!                  └─ Image{bytes, dither} ─────────── image.rs ────┘        text.rs, symbol.rs draw into it
//! ```
//!
//! Code map: [`data`] (LabelData, the seven content types and their required
//! fields), `frame` (orientation and which axis follows the content),
//! `canvas` (the checked drawing surface), `text` (embedded DejaVu fonts,
//! fitting, wrapping), [`symbol`] (QR, DataMatrix, Code128, EAN-13, Code39
//! via maintained crates), `content` (the seven layouts), [`template`]
//! (declarative JSON templates and the built-in ones), `image` (PNG/JPEG
//! uploads, threshold or Floyd–Steinberg; [`probe`] reads what a decode
//! will cost from the header), [`limits`] (the most text, lines, fields,
//! elements and images a label may ask for) and [`preview_png`].
//!
//! **Architecture Invariant:** pure. No I/O, no clocks, no threads, no files
//! or system fonts: fonts are embedded bytes parsed once per process into a
//! `OnceLock`. **Architecture Invariant:** nothing is ever drawn outside the
//! printable area and nothing is clipped: content that cannot fit is
//! [`RenderError::DoesNotFit`]; a symbol's modules are whole dots, at least
//! [`symbol::MIN_MODULE`]. **Architecture Invariant:** no character is
//! dropped: one no embedded font has is [`RenderError::MissingGlyphs`].
//!
//! ```
//! use printhub_raster::{geometry, Media, Model};
//! use printhub_render::{render, ContentType, LabelData, RenderRequest};
//!
//! let model = Model::by_name("PT-P750W").unwrap();
//! let media = Media::by_id("tze-12").unwrap();
//! let data = LabelData {
//!     primary_id: Some("BOX-0042".into()),
//!     qr_payload: Some("https://example.com/b/42".into()),
//!     ..Default::default()
//! };
//! let label = render(&RenderRequest::content_type(ContentType::QrOneLine, data), model, media).unwrap();
//! assert_eq!(label.black.width(), geometry(model, media).unwrap().printable() as usize);
//! ```
#![forbid(unsafe_code)]

mod canvas;
mod content;
pub mod data;
mod error;
mod frame;
pub mod freetext;
mod glyphs;
mod image;
pub mod limits;
mod preview;
mod qr;
pub mod symbol;
pub mod template;
mod text;

pub use canvas::Ink;
pub use data::{ContentType, Item, LabelData};
pub use error::{RenderCode, RenderError};
pub use frame::default_orientation;
pub use freetext::{Align, FreeText};
pub use image::{probe, Dither, ImageFormat, ImageInfo, MAX_IMAGE_PIXELS};
pub use preview::{preview_png, MAX_PREVIEW_PIXELS, MAX_SCALE};
pub use template::{Template, TemplateRef};

use printhub_raster::{Label, Media, Model};
use serde::{Deserialize, Serialize};

/// How the layout sits on the medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// Text runs along the feed (the usual way on tape and narrow rolls).
    Landscape,
    /// Text runs across the head (wide rolls, short die-cut labels).
    Portrait,
}

/// What to draw.
///
/// Label data serializes (a job keeps it, to be laid out again for another
/// medium, issue #20); an image does not: serializing one is an error, so
/// a job made from an image keeps only its raster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    /// One of the seven semantic content types.
    ContentType {
        /// The content type.
        content_type: ContentType,
        /// Its data.
        data: LabelData,
    },
    /// A declarative template, built-in by name or inline.
    Template {
        /// The template.
        template: TemplateRef,
        /// Data bound to its `{placeholders}`.
        data: LabelData,
    },
    /// Free text: lines with a size, weight and alignment ([`freetext`]).
    Text(FreeText),
    /// An uploaded PNG or JPEG, scaled to the printable width.
    #[serde(skip)]
    Image {
        /// The file's bytes.
        bytes: Vec<u8>,
        /// How grey becomes 1-bit.
        dither: Dither,
    },
}

/// A render request: what to draw, and optionally which way round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderRequest {
    /// What to draw.
    pub content: Content,
    /// Overrides the medium's [`default_orientation`].
    pub orientation: Option<Orientation>,
}

impl RenderRequest {
    /// A content-type label.
    pub fn content_type(content_type: ContentType, data: LabelData) -> Self {
        RenderRequest {
            content: Content::ContentType { content_type, data },
            orientation: None,
        }
    }

    /// A template label.
    pub fn template(template: TemplateRef, data: LabelData) -> Self {
        RenderRequest {
            content: Content::Template { template, data },
            orientation: None,
        }
    }

    /// An image label.
    pub fn image(bytes: Vec<u8>, dither: Dither) -> Self {
        RenderRequest {
            content: Content::Image { bytes, dither },
            orientation: None,
        }
    }

    /// A free text label.
    pub fn text(text: FreeText) -> Self {
        RenderRequest {
            content: Content::Text(text),
            orientation: None,
        }
    }

    /// The same request with an explicit orientation.
    pub fn with_orientation(mut self, orientation: Orientation) -> Self {
        self.orientation = Some(orientation);
        self
    }

    /// Whether rendering decodes images: an upload, or an inline template
    /// with `image` elements (built-in templates have none).
    pub fn has_images(&self) -> bool {
        match &self.content {
            Content::Image { .. } => true,
            Content::Template {
                template: TemplateRef::Inline(t),
                ..
            } => t
                .elements
                .iter()
                .any(|e| matches!(e, template::Element::Image { .. })),
            _ => false,
        }
    }

    /// What decoding this request's images costs, from their headers alone
    /// (embedded ones are base64-decoded, no pixel is). More than
    /// [`limits::MAX_IMAGES`] images is `payload_too_large`; one image over
    /// [`MAX_IMAGE_PIXELS`] is `image_too_large`; a file that is not a PNG or
    /// JPEG is `image_decode`.
    pub fn image_cost(&self) -> Result<ImageCost, RenderError> {
        let mut cost = ImageCost::default();
        let mut add = |bytes: &[u8]| -> Result<(), RenderError> {
            let info = probe(bytes)?;
            if info.pixels() > MAX_IMAGE_PIXELS {
                return Err(RenderError::ImageTooLarge {
                    width: info.width,
                    height: info.height,
                    limit: MAX_IMAGE_PIXELS,
                });
            }
            cost = cost.and(ImageCost {
                images: 1,
                pixels: info.pixels(),
                bytes: info.decode_bytes(),
            });
            Ok(())
        };
        match &self.content {
            Content::Image { bytes, .. } => add(bytes)?,
            Content::Template {
                template: TemplateRef::Inline(t),
                ..
            } => {
                for e in &t.elements {
                    if let template::Element::Image { data_base64, .. } = e {
                        add(&template::decode_base64(data_base64)?)?;
                    }
                }
            }
            _ => {}
        }
        if cost.images > limits::MAX_IMAGES {
            return Err(RenderError::TooLarge {
                field: "template images".into(),
                unit: "images",
                limit: limits::MAX_IMAGES,
                actual: cost.images,
            });
        }
        Ok(cost)
    }
}

/// What decoding images costs ([`RenderRequest::image_cost`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageCost {
    /// Images decoded.
    pub images: usize,
    /// Their pixels, added up.
    pub pixels: u64,
    /// The most memory one of the decodes holds, in bytes
    /// ([`ImageInfo::decode_bytes`]): images are decoded one after another.
    pub bytes: u64,
}

impl ImageCost {
    /// This cost and `other`'s, for work done one after the other (a
    /// template's images, a batch's labels): images and pixels add up, the
    /// memory held at once is the larger.
    pub fn and(self, other: ImageCost) -> ImageCost {
        ImageCost {
            images: self.images + other.images,
            pixels: self.pixels + other.pixels,
            bytes: self.bytes.max(other.bytes),
        }
    }

    /// `payload_too_large` when the pixels add up to more than
    /// [`MAX_IMAGE_PIXELS`]: one request decodes at most that many.
    pub fn check_total(&self) -> Result<(), RenderError> {
        if self.pixels > MAX_IMAGE_PIXELS {
            return Err(RenderError::TooLarge {
                field: "images".into(),
                unit: "pixels",
                limit: usize::try_from(MAX_IMAGE_PIXELS).unwrap_or(usize::MAX),
                actual: usize::try_from(self.pixels).unwrap_or(usize::MAX),
            });
        }
        Ok(())
    }
}

/// Renders `request` for `media` loaded in `model`.
///
/// The label's black (and, for red template elements on a two-colour roll,
/// red) bitmap is exactly `geometry(model, media).printable()` dots wide; its
/// length is the die-cut `label_lines`, or within the model's
/// `min_lines..=max_lines` on continuous media (base resolution).
///
/// A request over a size limit ([`RenderRequest::check_limits`]) is refused
/// first, before anything is laid out.
pub fn render(
    request: &RenderRequest,
    model: &'static Model,
    media: &'static Media,
) -> Result<Label, RenderError> {
    request.check_limits()?;
    match &request.content {
        Content::ContentType { content_type, data } => {
            let frame = frame::Frame::new(model, media, request.orientation)?;
            content::render(&frame, *content_type, data)
        }
        Content::Template { template, data } => {
            let template = template.resolve()?;
            let frame =
                frame::Frame::new(model, media, request.orientation.or(template.orientation))?;
            template::draw(&frame, &template, data)
        }
        Content::Image { bytes, dither } => {
            let frame = frame::Frame::new(model, media, request.orientation)?;
            image::render(&frame, bytes, *dither)
        }
        Content::Text(text) => {
            let frame = frame::Frame::new(model, media, request.orientation)?;
            freetext::render(&frame, text)
        }
    }
}
