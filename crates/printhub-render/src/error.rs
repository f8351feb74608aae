//! The one error type of the crate, [`RenderError`], with a stable machine
//! [`code`](RenderError::code) per variant, typed as [`RenderCode`]. The gateway maps codes, never
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
        /// What did not fit: the name of the data field when one field is
        /// the cause (`qr_payload`, `items`), else the element (`text "…"`,
        /// `label`, a template element).
        what: String,
        /// Why, with the numbers.
        detail: String,
        /// How many characters of that field would fit, where the renderer
        /// can tell (a QR code's payload): what a person shortens it to.
        fits_chars: Option<usize>,
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
    /// The typed code: what callers match on (exhaustively) instead of text.
    pub fn kind(&self) -> RenderCode {
        match self {
            // `MediaError` has the one kind (`unsupported_media`).
            RenderError::Media(_) => RenderCode::UnsupportedMedia,
            RenderError::ContentTypeDataMismatch { .. } => RenderCode::ContentTypeDataMismatch,
            RenderError::DoesNotFit { .. } => RenderCode::DoesNotFit,
            RenderError::MissingGlyphs { .. } => RenderCode::MissingGlyphs,
            RenderError::TemplateParse { .. } => RenderCode::TemplateParse,
            RenderError::UnknownTemplate { .. } => RenderCode::UnknownTemplate,
            RenderError::UnknownField { .. } => RenderCode::UnknownField,
            RenderError::QrTooLarge { .. } => RenderCode::QrTooLarge,
            RenderError::BarcodeCharset { .. } => RenderCode::BarcodeCharset,
            RenderError::ImageDecode { .. } => RenderCode::ImageDecode,
            RenderError::ImageTooLarge { .. } => RenderCode::ImageTooLarge,
            RenderError::RedUnsupported { .. } => RenderCode::RedUnsupported,
            RenderError::TooLarge { .. } => RenderCode::PayloadTooLarge,
            RenderError::OutOfRange { .. } => RenderCode::OutOfRange,
            RenderError::Font { .. } => RenderCode::FontLoad,
            RenderError::Preview { .. } => RenderCode::PreviewEncode,
        }
    }

    /// Stable machine code (`self.kind().code()`).
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    pub(crate) fn does_not_fit(what: impl Into<String>, detail: impl Into<String>) -> Self {
        RenderError::DoesNotFit {
            what: what.into(),
            detail: detail.into(),
            fits_chars: None,
        }
    }
}

/// The stable code of a [`RenderError`], one per kind of failure.
///
/// Deliberately not `#[non_exhaustive]`: a caller that maps codes (the HTTP
/// gateway chooses a status per code) matches every variant, so a new code
/// fails its build until it has been given an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RenderCode {
    /// `unsupported_media`: the model cannot take the medium.
    UnsupportedMedia,
    /// `content_type_data_mismatch`: the data lacks required fields.
    ContentTypeDataMismatch,
    /// `does_not_fit`: the content does not fit the printable area.
    DoesNotFit,
    /// `missing_glyphs`: no embedded font has some characters.
    MissingGlyphs,
    /// `template_parse`: the template is not a valid template.
    TemplateParse,
    /// `unknown_template`: no built-in template has that name.
    UnknownTemplate,
    /// `unknown_field`: a placeholder names no label data field.
    UnknownField,
    /// `qr_too_large`: the QR payload is longer than a QR code holds.
    QrTooLarge,
    /// `barcode_charset`: the symbology cannot encode the data.
    BarcodeCharset,
    /// `image_decode`: an image cannot be decoded.
    ImageDecode,
    /// `image_too_large`: an image has more pixels than allowed.
    ImageTooLarge,
    /// `red_unsupported`: red ink on black-only media or model.
    RedUnsupported,
    /// `payload_too_large`: a field, list or template over its limit.
    PayloadTooLarge,
    /// `out_of_range`: a number outside its range.
    OutOfRange,
    /// `font_load`: an embedded font failed to parse (a build defect).
    FontLoad,
    /// `preview_encode`: the PNG preview could not be encoded (a defect).
    PreviewEncode,
}

impl RenderCode {
    /// Every code, once.
    pub const ALL: [RenderCode; 16] = [
        RenderCode::UnsupportedMedia,
        RenderCode::ContentTypeDataMismatch,
        RenderCode::DoesNotFit,
        RenderCode::MissingGlyphs,
        RenderCode::TemplateParse,
        RenderCode::UnknownTemplate,
        RenderCode::UnknownField,
        RenderCode::QrTooLarge,
        RenderCode::BarcodeCharset,
        RenderCode::ImageDecode,
        RenderCode::ImageTooLarge,
        RenderCode::RedUnsupported,
        RenderCode::PayloadTooLarge,
        RenderCode::OutOfRange,
        RenderCode::FontLoad,
        RenderCode::PreviewEncode,
    ];

    /// The stable snake_case string.
    pub const fn code(self) -> &'static str {
        match self {
            RenderCode::UnsupportedMedia => "unsupported_media",
            RenderCode::ContentTypeDataMismatch => "content_type_data_mismatch",
            RenderCode::DoesNotFit => "does_not_fit",
            RenderCode::MissingGlyphs => "missing_glyphs",
            RenderCode::TemplateParse => "template_parse",
            RenderCode::UnknownTemplate => "unknown_template",
            RenderCode::UnknownField => "unknown_field",
            RenderCode::QrTooLarge => "qr_too_large",
            RenderCode::BarcodeCharset => "barcode_charset",
            RenderCode::ImageDecode => "image_decode",
            RenderCode::ImageTooLarge => "image_too_large",
            RenderCode::RedUnsupported => "red_unsupported",
            RenderCode::PayloadTooLarge => "payload_too_large",
            RenderCode::OutOfRange => "out_of_range",
            RenderCode::FontLoad => "font_load",
            RenderCode::PreviewEncode => "preview_encode",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RenderCode;

    #[test]
    fn every_render_code_is_distinct() {
        let mut names: Vec<&str> = RenderCode::ALL.iter().map(|c| c.code()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RenderCode::ALL.len());
    }
}
