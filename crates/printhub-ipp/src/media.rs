//! Brother media as IPP media: PWG 5101.1 self-describing names and the
//! `media-col` collections (PWG 5100.7) of the catalogue's tapes and rolls.
//!
//! A die-cut label is `om_<id>_<w>x<h>mm` ("om" is PWG 5101.1's class for
//! other metric sizes) with a fixed `media-size`. Continuous media (TZe tape,
//! HSe tube, DK continuous rolls) is `roll_<id>_<w>x<max>mm`, where `<max>` is
//! the longest label the model prints, and its `media-size` has a
//! `y-dimension` range from the model's shortest to its longest label, as
//! PWG 5100.7 §6.3 allows for roll media. Dimensions are in hundredths of a
//! millimetre, and every margin is 0: the label bitmap is exactly the
//! printable window.
//!
//! Pure data.

use std::collections::BTreeMap;

use ipp::value::IppValue;
use printhub_raster::media::{geometry, Media, MEDIA};
use printhub_raster::model::Model;

/// The lengths (in 1/100 mm) a model prints on continuous media: its
/// shortest and longest label.
pub fn length_range(model: &Model) -> (i32, i32) {
    let dpi = f64::from(model.dpi());
    let hundredths = |lines: u32| (f64::from(lines) * 2540.0 / dpi).round() as i32;
    (hundredths(model.min_lines), hundredths(model.max_lines))
}

/// The PWG 5101.1 self-describing name of `media` on `model`.
pub fn pwg_name(model: &Model, media: &Media) -> String {
    let id: String = media
        .id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if media.kind.is_die_cut() {
        format!("om_{id}_{}x{}mm", media.width_mm, media.length_mm)
    } else {
        let (_, max) = length_range(model);
        format!("roll_{id}_{}x{}mm", media.width_mm, max / 100)
    }
}

/// The `media-size` collection of `media` on `model`.
pub fn media_size(model: &Model, media: &Media) -> IppValue {
    let mut size = BTreeMap::new();
    size.insert(
        "x-dimension".to_string(),
        IppValue::Integer(i32::from(media.width_mm) * 100),
    );
    let y = if media.kind.is_die_cut() {
        IppValue::Integer(i32::from(media.length_mm) * 100)
    } else {
        let (min, max) = length_range(model);
        IppValue::RangeOfInteger { min, max }
    };
    size.insert("y-dimension".to_string(), y);
    IppValue::Collection(size)
}

/// The `media-col` collection of `media` on `model`: name, size, zero
/// margins, source and type.
pub fn media_col(model: &Model, media: &Media) -> IppValue {
    let mut col = BTreeMap::new();
    col.insert(
        "media-key".to_string(),
        IppValue::Keyword(pwg_name(model, media)),
    );
    col.insert("media-size".to_string(), media_size(model, media));
    col.insert(
        "media-size-name".to_string(),
        IppValue::Keyword(pwg_name(model, media)),
    );
    for margin in [
        "media-bottom-margin",
        "media-left-margin",
        "media-right-margin",
        "media-top-margin",
    ] {
        col.insert(margin.to_string(), IppValue::Integer(0));
    }
    col.insert(
        "media-source".to_string(),
        IppValue::Keyword(media_source(media).to_string()),
    );
    col.insert(
        "media-type".to_string(),
        IppValue::Keyword(media_type(media).to_string()),
    );
    IppValue::Collection(col)
}

/// `media-source`: a roll for DK media, the cassette's "main" for P-touch.
pub fn media_source(media: &Media) -> &'static str {
    if media.kind.is_pt() {
        "main"
    } else {
        "main-roll"
    }
}

/// `media-type` (PWG 5100.7 §6.3 keywords): die-cut and continuous labels.
pub fn media_type(media: &Media) -> &'static str {
    if media.kind.is_die_cut() {
        "labels"
    } else {
        "labels-continuous"
    }
}

/// Every medium `model` can take, in catalogue order.
pub fn supported(model: &'static Model) -> Vec<&'static Media> {
    MEDIA
        .iter()
        .filter(|m| !m.id.is_empty() && geometry(model, m).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str) -> &'static Model {
        Model::by_name(name).expect("model")
    }

    fn media(id: &str) -> &'static Media {
        Media::by_id(id).expect("media")
    }

    #[test]
    fn names_follow_pwg_5101_1_self_describing_form() {
        // PWG 5101.1 §5: class "_" name "_" WxH units; the name part is
        // lowercase letters, digits and "-".
        let ql = model("QL-820NWB");
        assert_eq!(pwg_name(ql, media("dk-29x90")), "om_dk-29x90_29x90mm");
        assert_eq!(pwg_name(ql, media("dk-d24")), "om_dk-d24_24x24mm");
        let (_, max) = length_range(ql);
        assert_eq!(
            pwg_name(ql, media("dk-62")),
            format!("roll_dk-62_62x{}mm", max / 100)
        );
        let pt = model("PT-P750W");
        assert!(pwg_name(pt, media("hs-11.7")).starts_with("roll_hs-11-7_12x"));
        for m in supported(ql).into_iter().chain(supported(pt)) {
            let name = pwg_name(ql, m);
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_x".contains(c)),
                "{name}"
            );
        }
    }

    #[test]
    fn continuous_media_spans_the_models_label_lengths() {
        // The QL head is 300 dpi: its shortest and longest labels in 1/100 mm.
        let ql = model("QL-820NWB");
        let (min, max) = length_range(ql);
        assert_eq!(
            min,
            (f64::from(ql.min_lines) * 2540.0 / 300.0).round() as i32
        );
        assert_eq!(
            max,
            (f64::from(ql.max_lines) * 2540.0 / 300.0).round() as i32
        );
        let IppValue::Collection(size) = media_size(ql, media("dk-62")) else {
            panic!("collection")
        };
        assert_eq!(size["x-dimension"], IppValue::Integer(6200));
        assert_eq!(size["y-dimension"], IppValue::RangeOfInteger { min, max });
        let IppValue::Collection(size) = media_size(ql, media("dk-29x90")) else {
            panic!("collection")
        };
        assert_eq!(size["y-dimension"], IppValue::Integer(9000));
    }

    #[test]
    fn supported_media_are_what_the_raster_geometry_accepts() {
        let pt = model("PT-P750W");
        let names: Vec<_> = supported(pt).iter().map(|m| m.id).collect();
        assert!(names.contains(&"tze-12"));
        assert!(!names.contains(&"dk-62"));
        assert!(!names.contains(&"tze-36"), "the P750W takes up to 24 mm");
        let ql = model("QL-820NWB");
        let names: Vec<_> = supported(ql).iter().map(|m| m.id).collect();
        assert!(names.contains(&"dk-62"));
        assert!(
            !names.contains(&"dk-102"),
            "102 mm rolls fit wide models only"
        );
    }
}
