//! Unicode text renders with the embedded fonts or is reported, never dropped.

use crate::support::{assert_geometry, pair, render_ct, sample};
use printhub_render::{ContentType, RenderError};

#[test]
fn accented_latin_greek_and_cyrillic_render() {
    let (model, media) = pair("PT-P750W", "tze-24");
    for text in [
        "ä ö ü ß",
        "é è ê Ç",
        "Ωμέγα λ",
        "Кириллица",
        "Grüße aus Köln – Ωμ – Щука",
    ] {
        let mut data = sample("A01");
        data.primary_id = Some(text.into());
        data.title = Some(text.into());
        let label = render_ct(ContentType::QrTwoLines, data, model, media).expect(text);
        assert_geometry(&label, model, media);
    }
}

#[test]
fn emoji_are_reported_with_every_missing_character() {
    let (model, media) = pair("PT-P750W", "tze-24");
    let mut data = sample("A01");
    data.primary_id = Some("Box 📦".into());
    data.title = Some("🦀 and 📦".into());
    let err = render_ct(ContentType::QrTwoLines, data, model, media).expect_err("emoji");
    assert_eq!(err.code(), "missing_glyphs");
    assert_eq!(
        err,
        RenderError::MissingGlyphs {
            chars: vec!['📦', '🦀']
        }
    );
}
