//! The one error type of the crate, [`RenderError`], with a stable machine
//! [`code`](RenderError::code) per variant. The gateway maps codes, never
//! message strings, to HTTP statuses.

use printhub_raster::MediaError;
use thiserror::Error;

/// Why a label cannot be rendered. Every variant has a stable [`code`](RenderError::code).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The model cannot take the medium at all.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// The data lacks fields the content type (or template) needs; every missing field is listed.
    #[error("{content_type} needs {}", missing.join(", "))]
    ContentTypeDataMismatch {
        /// The content type, or `template:<name>` for a template.
        content_type: String,
        /// Every missing field, in a stable order.
        missing: Vec<String>,
    },
    /// The content cannot be drawn inside the printable area (or the model's length range).
    #[error("{what} does not fit: {detail}")]
    DoesNotFit {
        /// What did not fit (`qr`, `text "…"`, `label`).
        what: String,
        /// Why, with the numbers.
        detail: String,
    },
    /// Characters that no embedded font has a glyph for.
    #[error("no embedded font has a glyph for {}", chars.iter().map(|c| format!("U+{:04X}", *c as u32)).collect::<Vec<_>>().join(", "))]
    MissingGlyphs {
        /// The characters, each once, in order of first appearance.
        chars: Vec<char>,
    },
    /// A template is not valid JSON or not a valid template.
    #[error("template: {message}")]
    TemplateParse {
        /// The parser's message.
        message: String,
    },
    /// No built-in template has this name.
    #[error("no built-in template is called {name:?}")]
    UnknownTemplate {
        /// The name asked for.
        name: String,
    },
    /// A `{placeholder}` names no field of the label data.
    #[error("template placeholder {{{field}}} names no label data field")]
    UnknownField {
        /// The placeholder name.
        field: String,
    },
    /// The QR payload is longer than the largest QR code holds.
    #[error("the QR payload ({len} bytes) is longer than a QR code holds")]
    QrTooLarge {
        /// Payload length in bytes.
        len: usize,
    },
    /// The data cannot be encoded in a barcode symbology (wrong characters or length).
    #[error("{symbology} cannot encode {data:?}: {detail}")]
    BarcodeCharset {
        /// `code128`, `ean13`, `code39` or `datamatrix`.
        symbology: &'static str,
        /// The data.
        data: String,
        /// Why.
        detail: String,
    },
    /// An uploaded or embedded image cannot be decoded.
    #[error("image: {detail}")]
    ImageDecode {
        /// The decoder's message.
        detail: String,
    },
    /// An image is larger than the pixel limit.
    #[error("image of {width}x{height} pixels exceeds the limit of {limit} pixels")]
    ImageTooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The limit (pixels in total).
        limit: u64,
    },
    /// A field, list or template is larger than printhub takes (see
    /// [`crate::limits`]); checked before anything is drawn.
    #[error("{field} has {actual} {unit}; at most {limit} are allowed")]
    TooLarge {
        /// What is too large (`data.primary_id`, `template.elements`).
        field: String,
        /// What was counted (`characters`, `elements`, `images`, ...).
        unit: &'static str,
        /// The most allowed.
        limit: usize,
        /// How many there are.
        actual: usize,
    },
    /// A number outside the range it takes (a preview's `scale`).
    #[error("{field} must be {min}..={max}, got {actual}")]
    OutOfRange {
        /// The parameter.
        field: &'static str,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
        /// What was asked for.
        actual: u64,
    },
    /// Red ink asked for on media or a model that prints black only.
    #[error("red ink needs a two-colour roll on a two-colour model ({media} on {model})")]
    RedUnsupported {
        /// Model name.
        model: &'static str,
        /// Media id.
        media: &'static str,
    },
    /// An embedded font failed to parse (a build defect, never the caller's fault).
    #[error("embedded font: {detail}")]
    Font {
        /// The parser's message.
        detail: String,
    },
    /// The PNG preview could not be encoded.
    #[error("preview: {detail}")]
    Preview {
        /// The encoder's message.
        detail: String,
    },
}

impl RenderError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            RenderError::Media(e) => e.code(),
            RenderError::ContentTypeDataMismatch { .. } => "content_type_data_mismatch",
            RenderError::DoesNotFit { .. } => "does_not_fit",
            RenderError::MissingGlyphs { .. } => "missing_glyphs",
            RenderError::TemplateParse { .. } => "template_parse",
            RenderError::UnknownTemplate { .. } => "unknown_template",
            RenderError::UnknownField { .. } => "unknown_field",
            RenderError::QrTooLarge { .. } => "qr_too_large",
            RenderError::BarcodeCharset { .. } => "barcode_charset",
            RenderError::ImageDecode { .. } => "image_decode",
            RenderError::ImageTooLarge { .. } => "image_too_large",
            RenderError::RedUnsupported { .. } => "red_unsupported",
            RenderError::TooLarge { .. } => "payload_too_large",
            RenderError::OutOfRange { .. } => "out_of_range",
            RenderError::Font { .. } => "font_load",
            RenderError::Preview { .. } => "preview_encode",
        }
    }

    pub(crate) fn does_not_fit(what: impl Into<String>, detail: impl Into<String>) -> Self {
        RenderError::DoesNotFit {
            what: what.into(),
            detail: detail.into(),
        }
    }
}
