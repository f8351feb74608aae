//! What a label says: [`LabelData`] (design §3) and the seven semantic
//! [`ContentType`]s with the fields each one requires.
//!
//! Required fields are those of the reference system, so clients keep
//! working unchanged:
//!
//! | content type     | required                                   | drawn as |
//! | ---------------- | ------------------------------------------ | -------- |
//! | `qr_only`        | `qr_payload`                               | QR |
//! | `qr_one_line`    | `qr_payload`, `primary_id`                 | QR + primary_id (bold) |
//! | `qr_two_lines`   | `qr_payload`, `primary_id`, `title`        | QR + primary_id (bold) / title |
//! | `qr_three_lines` | `qr_payload`, `primary_id`, `title`, `secondary` | QR + primary_id / title / secondary[0] |
//! | `text_one_line`  | `primary_id`                               | primary_id (bold) |
//! | `text_two_lines` | `primary_id`, `title`                      | primary_id (bold) / title |
//! | `qr_with_listing`| `qr_payload`, `primary_id`, `items`        | QR + primary_id (bold) / one line per item, `+N more` when the list is longer than fits |
//!
//! A field counts as missing when it is absent, an empty string or an empty
//! list; [`ContentType::check`] lists every missing field in one error.

use crate::error::RenderError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The data a label is made from (design §3), as clients and lookups send it.
///
/// Unknown keys are refused (a typo such as `primary_idd` must not print a
/// label without the field); extra values for templates go in `fields`.
/// Sizes are bounded by [`crate::limits`] ([`LabelData::check_limits`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct LabelData {
    /// A title (product name, location name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The main identifier (asset tag, box id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_id: Option<String>,
    /// What the QR code (or DataMatrix) encodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_payload: Option<String>,
    /// Further lines (due date, zone, …).
    #[serde(default)]
    pub secondary: Vec<String>,
    /// Listed items (storage box contents).
    #[serde(default)]
    pub items: Vec<Item>,
    /// Extra named values that templates may use as `{name}` (not used by content types).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// One listed item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Item {
    /// The item's text.
    pub item: String,
    /// A payload for the item (kept for clients; the `qr_with_listing` content type lists text only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_payload: Option<String>,
}

/// The seven semantic content types of design §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    /// A QR code alone.
    QrOnly,
    /// A QR code and one line.
    QrOneLine,
    /// A QR code and two lines.
    QrTwoLines,
    /// A QR code and three lines.
    QrThreeLines,
    /// One line of text.
    TextOneLine,
    /// Two lines of text.
    TextTwoLines,
    /// A QR code, a heading and a list of items.
    QrWithListing,
}

impl ContentType {
    /// Every content type, in the order of design §3.
    pub const ALL: [ContentType; 7] = [
        ContentType::QrOnly,
        ContentType::QrOneLine,
        ContentType::QrTwoLines,
        ContentType::QrThreeLines,
        ContentType::TextOneLine,
        ContentType::TextTwoLines,
        ContentType::QrWithListing,
    ];

    /// The stable snake_case name (`qr_two_lines`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ContentType::QrOnly => "qr_only",
            ContentType::QrOneLine => "qr_one_line",
            ContentType::QrTwoLines => "qr_two_lines",
            ContentType::QrThreeLines => "qr_three_lines",
            ContentType::TextOneLine => "text_one_line",
            ContentType::TextTwoLines => "text_two_lines",
            ContentType::QrWithListing => "qr_with_listing",
        }
    }

    /// Parses the snake_case name.
    pub fn from_name(name: &str) -> Option<ContentType> {
        ContentType::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The fields this content type requires, in the order they are reported.
    pub const fn required(self) -> &'static [&'static str] {
        match self {
            ContentType::QrOnly => &["qr_payload"],
            ContentType::QrOneLine => &["qr_payload", "primary_id"],
            ContentType::QrTwoLines => &["qr_payload", "primary_id", "title"],
            ContentType::QrThreeLines => &["qr_payload", "primary_id", "title", "secondary"],
            ContentType::TextOneLine => &["primary_id"],
            ContentType::TextTwoLines => &["primary_id", "title"],
            ContentType::QrWithListing => &["qr_payload", "primary_id", "items"],
        }
    }

    /// Whether the layout has a QR code.
    pub const fn has_qr(self) -> bool {
        !matches!(self, ContentType::TextOneLine | ContentType::TextTwoLines)
    }

    /// Checks that `data` has every required field; the error lists all that are missing.
    pub fn check(self, data: &LabelData) -> Result<(), RenderError> {
        let missing: Vec<String> = self
            .required()
            .iter()
            .filter(|field| !data.has(field))
            .map(|field| (*field).to_string())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(RenderError::ContentTypeDataMismatch {
                content_type: self.as_str().to_string(),
                missing,
            })
        }
    }
}

impl std::fmt::Display for ContentType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn present(s: &Option<String>) -> bool {
    s.as_deref().is_some_and(|s| !s.is_empty())
}

impl LabelData {
    /// Whether the named core field is set and non-empty.
    pub fn has(&self, field: &str) -> bool {
        match field {
            "title" => present(&self.title),
            "primary_id" => present(&self.primary_id),
            "qr_payload" => present(&self.qr_payload),
            "secondary" => self.secondary.first().is_some_and(|s| !s.is_empty()),
            "items" => !self.items.is_empty(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ct: ContentType, data: &str, expect: &[&str]) {
        let data: LabelData = serde_json::from_str(data).expect("json");
        let missing = match ct.check(&data) {
            Ok(()) => vec![],
            Err(RenderError::ContentTypeDataMismatch { missing, .. }) => missing,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(missing, expect, "{ct}");
    }

    #[test]
    fn every_missing_field_is_listed_once() {
        use ContentType::*;
        check(QrOnly, "{}", &["qr_payload"]);
        check(
            QrThreeLines,
            "{}",
            &["qr_payload", "primary_id", "title", "secondary"],
        );
        check(
            QrThreeLines,
            r#"{"primary_id":"A","title":"","secondary":[""]}"#,
            &["qr_payload", "title", "secondary"],
        );
        check(TextTwoLines, r#"{"primary_id":"A","title":"B"}"#, &[]);
        check(
            QrWithListing,
            r#"{"qr_payload":"x","primary_id":"p","items":[]}"#,
            &["items"],
        );
        check(
            QrWithListing,
            r#"{"qr_payload":"x","primary_id":"p","items":[{"item":"a"}]}"#,
            &[],
        );
    }

    #[test]
    fn unknown_keys_are_refused_and_name_the_key() {
        let err = serde_json::from_str::<LabelData>(r#"{"primary_idd":"A"}"#).expect_err("a typo");
        assert!(err.to_string().contains("primary_idd"), "{err}");
        let err = serde_json::from_str::<LabelData>(r#"{"items":[{"item":"a","qty":2}]}"#)
            .expect_err("inside an item");
        assert!(err.to_string().contains("qty"), "{err}");
        serde_json::from_str::<LabelData>(r#"{"primary_id":"A","fields":{"anything":"goes"}}"#)
            .expect("template values go in fields");
    }

    #[test]
    fn names_round_trip() {
        for ct in ContentType::ALL {
            assert_eq!(ContentType::from_name(ct.as_str()), Some(ct));
            let json = serde_json::to_string(&ct).expect("json");
            assert_eq!(json, format!("\"{}\"", ct.as_str()));
        }
    }
}
