//! Free text labels (issue #24): geometry on every kind of medium, the
//! alignment, auto-fit and given sizes, bold, the refusals with their codes,
//! and golden images (`tests/data/golden/freetext_*.png`, `UPDATE_GOLDEN=1`).

use crate::golden::read_png;
use crate::support::{assert_geometry, pair};
use printhub_raster::Label;
use printhub_render::{preview_png, render, Align, FreeText, RenderRequest};
use std::path::PathBuf;

const MEDIA: &[(&str, &str)] = &[
    ("PT-P750W", "tze-12"),
    ("PT-P750W", "tze-24"),
    ("PT-P900W", "tze-36"),
    ("QL-820NWB", "dk-62"),
    ("QL-820NWB", "dk-29x90"),
    ("QL-820NWB", "dk-62x29"),
];

fn text(lines: &[&str], size_pt: Option<u16>, bold: bool, align: Align) -> FreeText {
    FreeText {
        lines: lines.iter().map(|l| l.to_string()).collect(),
        size_pt,
        bold,
        align,
    }
}

fn draw(t: &FreeText, model: &str, media: &str) -> Result<Label, printhub_render::RenderError> {
    let (model, media) = pair(model, media);
    render(&RenderRequest::text(t.clone()), model, media)
}

#[test]
fn free_text_renders_within_the_geometry_of_every_medium() {
    for (model, media) in MEDIA {
        for lines in [&["Hello"][..], &["Shelf 4", "Tools"], &["A", "", "C"]] {
            for align in [Align::Left, Align::Center, Align::Right] {
                for bold in [false, true] {
                    let t = text(lines, None, bold, align);
                    let label = draw(&t, model, media)
                        .unwrap_or_else(|e| panic!("{lines:?} on {model} {media}: {e}"));
                    let (m, md) = pair(model, media);
                    assert_geometry(&label, m, md);
                    assert!(!label.black.is_blank(), "{lines:?} on {media}");
                }
            }
        }
    }
}

#[test]
fn alignment_moves_lines_and_changes_nothing_else() {
    // One line on continuous tape: the label is as long as the line, so every alignment is the same label.
    let one: Vec<Label> = [Align::Left, Align::Center, Align::Right]
        .into_iter()
        .map(|a| draw(&text(&["Only"], None, false, a), "PT-P750W", "tze-24").expect("one"))
        .collect();
    assert_eq!(one[0].black, one[1].black);
    assert_eq!(one[1].black, one[2].black);
    // Lines of different lengths: the same length and ink, in different places.
    let two: Vec<Label> = [Align::Left, Align::Center, Align::Right]
        .into_iter()
        .map(|a| {
            draw(
                &text(&["A long first line", "Short"], None, false, a),
                "PT-P750W",
                "tze-24",
            )
            .expect("two")
        })
        .collect();
    for pair in two.windows(2) {
        assert_eq!(pair[0].black.height(), pair[1].black.height());
        assert_eq!(pair[0].black.count_set(), pair[1].black.count_set());
        assert_ne!(pair[0].black, pair[1].black);
    }
}

#[test]
fn auto_fit_gives_fewer_lines_bigger_type_and_a_given_size_is_kept_or_refused() {
    // On tape the label runs as long as its text: one line of a word is longer than the same word among three lines.
    let alone = draw(
        &text(&["WORD"], None, false, Align::Left),
        "PT-P750W",
        "tze-24",
    )
    .expect("alone");
    let among = draw(
        &text(&["WORD", "x", "y"], None, false, Align::Left),
        "PT-P750W",
        "tze-24",
    )
    .expect("among");
    assert!(
        alone.black.height() > among.black.height(),
        "{} vs {}",
        alone.black.height(),
        among.black.height()
    );
    // A given size: bigger points, a longer label; too big for the tape is refused about `size_pt`.
    let small = draw(
        &text(&["WORD"], Some(8), false, Align::Left),
        "PT-P750W",
        "tze-24",
    )
    .expect("8 pt");
    let large = draw(
        &text(&["WORD"], Some(20), false, Align::Left),
        "PT-P750W",
        "tze-24",
    )
    .expect("20 pt");
    assert!(large.black.height() > small.black.height());
    match draw(
        &text(&["WORD"], Some(60), false, Align::Left),
        "PT-P750W",
        "tze-12",
    ) {
        Err(printhub_render::RenderError::DoesNotFit { what, .. }) => assert_eq!(what, "size_pt"),
        other => panic!("{other:?}"),
    }
    // Too many lines for the tape even at the smallest readable size.
    let many: Vec<&str> = vec!["line"; 20];
    match draw(&text(&many, None, false, Align::Left), "PT-P750W", "tze-6") {
        Err(printhub_render::RenderError::DoesNotFit { what, .. }) => assert_eq!(what, "lines"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bold_inks_more_than_regular() {
    let regular = draw(
        &text(&["Bold?"], Some(14), false, Align::Left),
        "QL-820NWB",
        "dk-62",
    )
    .expect("regular");
    let bold = draw(
        &text(&["Bold?"], Some(14), true, Align::Left),
        "QL-820NWB",
        "dk-62",
    )
    .expect("bold");
    assert!(bold.black.count_set() > regular.black.count_set());
}

#[test]
fn bad_free_text_is_refused_with_its_code() {
    let long = "x".repeat(1001);
    for (t, code) in [
        (
            text(&[], None, false, Align::Left),
            "content_type_data_mismatch",
        ),
        (
            text(&["", "  "], None, false, Align::Left),
            "content_type_data_mismatch",
        ),
        (
            text(&["x"; 21], None, false, Align::Left),
            "payload_too_large",
        ),
        (
            text(&[long.as_str()], None, false, Align::Left),
            "payload_too_large",
        ),
        (text(&["x"], Some(3), false, Align::Left), "out_of_range"),
        (text(&["x"], Some(201), false, Align::Left), "out_of_range"),
        (
            text(&["\u{E000}"], None, false, Align::Left),
            "missing_glyphs",
        ),
    ] {
        let err = draw(&t, "PT-P750W", "tze-12").expect_err("refused");
        assert_eq!(err.code(), code, "{t:?}: {err}");
    }
    match text(&[], None, false, Align::Left).check() {
        Err(printhub_render::RenderError::ContentTypeDataMismatch {
            content_type,
            missing,
        }) => {
            assert_eq!(
                (content_type.as_str(), missing),
                ("text", vec!["lines".to_string()])
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn free_text_matches_its_golden_images() {
    let mut failures = Vec::new();
    for (model, media, t, name) in [
        (
            "PT-P750W",
            "tze-12",
            text(&["Cable box 3"], None, true, Align::Left),
            "tze12_bold",
        ),
        (
            "PT-P750W",
            "tze-24",
            text(&["Kitchen", "spices"], None, false, Align::Center),
            "tze24_two_centred",
        ),
        (
            "QL-820NWB",
            "dk-62",
            text(&["Right", "aligned 12 pt"], Some(12), false, Align::Right),
            "dk62_right_12pt",
        ),
        (
            "QL-820NWB",
            "dk-29x90",
            text(&["Die-cut"], None, false, Align::Center),
            "dk29x90_centre",
        ),
    ] {
        let label = draw(&t, model, media).expect("renders");
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/golden")
            .join(format!("freetext_{name}.png"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, preview_png(&label, 1).expect("png")).expect("write golden");
            continue;
        }
        match std::fs::read(&path) {
            Ok(bytes) if read_png(&bytes) == label.black => {}
            Ok(_) => failures.push(format!("{} differs", path.display())),
            Err(_) => failures.push(format!("{} is missing (UPDATE_GOLDEN=1)", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
