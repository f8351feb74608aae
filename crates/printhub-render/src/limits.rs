//! What one label may ask for (issue #15): the longest text, the most lines,
//! fields, template elements and images. A request over a limit is refused
//! before anything is laid out or decoded, by counting characters and
//! entries only, as [`RenderError::TooLarge`] (`payload_too_large`) naming
//! the field and the limit, so a huge value costs no more than reading it.
//!
//! | what | limit |
//! | ---- | ----- |
//! | `title`, `primary_id`, each `secondary` line, each item, each `fields` value, a template element's `text` | [`MAX_TEXT_CHARS`] characters |
//! | `qr_payload` (also an item's), a template element's `data` | [`MAX_PAYLOAD_CHARS`] characters (the most a QR code holds) |
//! | `secondary` lines, `items` | [`MAX_LINES`] each |
//! | `fields` entries | [`MAX_FIELDS`], names at most [`MAX_NAME_CHARS`] characters |
//! | template `name` | [`MAX_NAME_CHARS`] characters |
//! | template elements | [`MAX_ELEMENTS`] |
//! | images in one label | [`MAX_IMAGES`]; pixels in one request: [`crate::MAX_IMAGE_PIXELS`] |

use crate::data::LabelData;
use crate::error::RenderError;
use crate::template::{Element, Template, TemplateRef};
use crate::{Content, RenderRequest};

/// The longest text field, in characters (Unicode scalar values).
pub const MAX_TEXT_CHARS: usize = 1_000;
/// The longest symbol payload, in characters: a QR code holds at most 7089 digits.
pub const MAX_PAYLOAD_CHARS: usize = 7_089;
/// The most `secondary` lines, and the most `items`.
pub const MAX_LINES: usize = 100;
/// The most entries in `fields`.
pub const MAX_FIELDS: usize = 64;
/// The longest name (a `fields` key, a template name), in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The most elements in a template.
pub const MAX_ELEMENTS: usize = 64;
/// The most images in one label (template `image` elements, or the upload).
pub const MAX_IMAGES: usize = 4;

fn too_large(field: String, unit: &'static str, limit: usize, actual: usize) -> RenderError {
    RenderError::TooLarge {
        field,
        unit,
        limit,
        actual,
    }
}

/// `field` holds at most `limit` characters (a linear count, no layout).
fn chars(field: impl FnOnce() -> String, value: &str, limit: usize) -> Result<(), RenderError> {
    // At most one character per byte: most values need no counting at all.
    if value.len() > limit {
        let actual = value.chars().count();
        if actual > limit {
            return Err(too_large(field(), "characters", limit, actual));
        }
    }
    Ok(())
}

fn count(field: &str, unit: &'static str, n: usize, limit: usize) -> Result<(), RenderError> {
    if n > limit {
        return Err(too_large(field.into(), unit, limit, n));
    }
    Ok(())
}

impl crate::FreeText {
    /// At most [`crate::freetext::MAX_FREE_LINES`] lines of at most
    /// [`MAX_TEXT_CHARS`] characters; the error names the first over its limit.
    pub fn check_limits(&self) -> Result<(), RenderError> {
        count(
            "text.lines",
            "lines",
            self.lines.len(),
            crate::freetext::MAX_FREE_LINES,
        )?;
        for (i, line) in self.lines.iter().enumerate() {
            chars(|| format!("text.lines[{i}]"), line, MAX_TEXT_CHARS)?;
        }
        Ok(())
    }
}

impl LabelData {
    /// Checks every field against the limits of this module; the error names
    /// the first field over its limit (`data.secondary[2]`, `data.fields.due`).
    pub fn check_limits(&self) -> Result<(), RenderError> {
        for (name, value, limit) in [
            ("title", &self.title, MAX_TEXT_CHARS),
            ("primary_id", &self.primary_id, MAX_TEXT_CHARS),
            ("qr_payload", &self.qr_payload, MAX_PAYLOAD_CHARS),
        ] {
            if let Some(v) = value {
                chars(|| format!("data.{name}"), v, limit)?;
            }
        }
        count("data.secondary", "lines", self.secondary.len(), MAX_LINES)?;
        for (i, line) in self.secondary.iter().enumerate() {
            chars(|| format!("data.secondary[{i}]"), line, MAX_TEXT_CHARS)?;
        }
        count("data.items", "items", self.items.len(), MAX_LINES)?;
        for (i, item) in self.items.iter().enumerate() {
            chars(
                || format!("data.items[{i}].item"),
                &item.item,
                MAX_TEXT_CHARS,
            )?;
            if let Some(p) = &item.qr_payload {
                chars(
                    || format!("data.items[{i}].qr_payload"),
                    p,
                    MAX_PAYLOAD_CHARS,
                )?;
            }
        }
        count("data.fields", "entries", self.fields.len(), MAX_FIELDS)?;
        for (name, value) in &self.fields {
            chars(|| "data.fields (a name)".into(), name, MAX_NAME_CHARS)?;
            chars(|| format!("data.fields.{name}"), value, MAX_TEXT_CHARS)?;
        }
        Ok(())
    }
}

impl Template {
    /// Checks the name, the element count, every element's text and data and
    /// the number of images against the limits of this module.
    pub fn check_limits(&self) -> Result<(), RenderError> {
        chars(|| "template.name".into(), &self.name, MAX_NAME_CHARS)?;
        count(
            "template.elements",
            "elements",
            self.elements.len(),
            MAX_ELEMENTS,
        )?;
        let mut images = 0;
        for (i, e) in self.elements.iter().enumerate() {
            match e {
                Element::Text { text, .. } => {
                    chars(
                        || format!("template.elements[{i}].text"),
                        text,
                        MAX_TEXT_CHARS,
                    )?;
                }
                Element::Qr { data, .. }
                | Element::Datamatrix { data, .. }
                | Element::Barcode { data, .. } => {
                    chars(
                        || format!("template.elements[{i}].data"),
                        data,
                        MAX_PAYLOAD_CHARS,
                    )?;
                }
                Element::Image { .. } => images += 1,
                Element::Line { .. } | Element::Box { .. } | Element::Invert { .. } => {}
            }
        }
        count("template images", "images", images, MAX_IMAGES)
    }
}

impl RenderRequest {
    /// Checks the request against the limits of this module (data, an inline
    /// template; a built-in one is within them). Cheap: counts, no layout,
    /// no decoding. [`crate::render`] checks it first too.
    pub fn check_limits(&self) -> Result<(), RenderError> {
        match &self.content {
            Content::ContentType { data, .. } => data.check_limits(),
            Content::Template { template, data } => {
                match template {
                    TemplateRef::Name(name) => chars(|| "template".into(), name, MAX_NAME_CHARS)?,
                    TemplateRef::Inline(t) => t.check_limits()?,
                }
                data.check_limits()
            }
            Content::Image { .. } => Ok(()),
            Content::Text(text) => text.check_limits(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Item;

    fn field_of(e: RenderError) -> (String, usize, usize) {
        match e {
            RenderError::TooLarge {
                field,
                limit,
                actual,
                ..
            } => (field, limit, actual),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn text_at_the_limit_passes_and_one_more_names_the_field() {
        let mut data = LabelData {
            primary_id: Some("é".repeat(MAX_TEXT_CHARS)),
            ..LabelData::default()
        };
        data.check_limits().expect("exactly the limit");
        data.primary_id = Some("é".repeat(MAX_TEXT_CHARS + 1));
        let err = data.check_limits().expect_err("one more");
        assert_eq!(err.code(), "payload_too_large");
        assert_eq!(
            field_of(err),
            ("data.primary_id".into(), MAX_TEXT_CHARS, MAX_TEXT_CHARS + 1)
        );
        data.primary_id = Some("x".repeat(8 << 20));
        assert_eq!(
            field_of(data.check_limits().expect_err("huge")),
            ("data.primary_id".into(), MAX_TEXT_CHARS, 8 << 20)
        );
    }

    #[test]
    fn lists_fields_and_nested_values_are_limited() {
        let long = "y".repeat(MAX_TEXT_CHARS + 1);
        let cases: Vec<(LabelData, &str)> = vec![
            (
                LabelData {
                    secondary: vec!["ok".into(), long.clone()],
                    ..LabelData::default()
                },
                "data.secondary[1]",
            ),
            (
                LabelData {
                    secondary: vec!["a".into(); MAX_LINES + 1],
                    ..LabelData::default()
                },
                "data.secondary",
            ),
            (
                LabelData {
                    items: vec![Item {
                        item: long.clone(),
                        qr_payload: None,
                    }],
                    ..LabelData::default()
                },
                "data.items[0].item",
            ),
            (
                LabelData {
                    qr_payload: Some("9".repeat(MAX_PAYLOAD_CHARS + 1)),
                    ..LabelData::default()
                },
                "data.qr_payload",
            ),
            (
                LabelData {
                    fields: [("due".to_string(), long.clone())].into(),
                    ..LabelData::default()
                },
                "data.fields.due",
            ),
            (
                LabelData {
                    fields: (0..=MAX_FIELDS)
                        .map(|i| (format!("f{i}"), "v".into()))
                        .collect(),
                    ..LabelData::default()
                },
                "data.fields",
            ),
        ];
        for (data, field) in cases {
            assert_eq!(field_of(data.check_limits().expect_err(field)).0, field);
        }
        // A QR payload may be longer than a text field.
        LabelData {
            qr_payload: Some("9".repeat(MAX_PAYLOAD_CHARS)),
            ..LabelData::default()
        }
        .check_limits()
        .expect("a full QR code");
    }

    #[test]
    fn templates_are_limited_in_elements_images_and_text() {
        let element = |json: &str| -> Element { serde_json::from_str(json).expect("element") };
        let text = element(r#"{"type":"text","text":"{title}"}"#);
        let image = element(r#"{"type":"image","data_base64":""}"#);
        let mut t = Template {
            name: "t".into(),
            orientation: None,
            length_mm: None,
            aspect: None,
            elements: vec![text.clone(); MAX_ELEMENTS],
        };
        t.check_limits().expect("at the limit");
        t.elements.push(text);
        assert_eq!(
            field_of(t.check_limits().expect_err("65")),
            ("template.elements".into(), MAX_ELEMENTS, MAX_ELEMENTS + 1)
        );
        t.elements = vec![image; MAX_IMAGES + 1];
        assert_eq!(
            field_of(t.check_limits().expect_err("images")).0,
            "template images"
        );
        t.elements = vec![element(&format!(
            r#"{{"type":"text","text":"{}"}}"#,
            "z".repeat(MAX_TEXT_CHARS + 1)
        ))];
        assert_eq!(
            field_of(t.check_limits().expect_err("text")).0,
            "template.elements[0].text"
        );
    }
}
