//! Golden images: each content type on four media, compared bit for bit with
//! `tests/data/golden/<model>_<media>_<content_type>.png`. `UPDATE_GOLDEN=1`
//! rewrites them.

use crate::support::{pair, render_ct, sample};
use printhub_raster::Bitmap;
use printhub_render::{preview_png, ContentType};
use std::path::PathBuf;

const MEDIA: &[(&str, &str)] = &[
    ("PT-P750W", "tze-12"),
    ("PT-P750W", "tze-24"),
    ("QL-820NWB", "dk-62"),
    ("QL-820NWB", "dk-29x90"),
];

fn golden_path(model: &str, media: &str, ct: ContentType) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/golden")
        .join(format!(
            "{}_{}_{}.png",
            model.to_lowercase(),
            media,
            ct.as_str()
        ))
}

/// Decodes a golden PNG back into dots (dark pixel = ink).
pub(crate) fn read_png(bytes: &[u8]) -> Bitmap {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    Bitmap::from_fn(w, h, |x, y| buf[(y * w + x) * channels] < 128)
}

/// Renders `ct` on `(model, media)` and compares it with its golden image.
fn check(model: &str, media: &str, ct: ContentType) -> Option<String> {
    let (m, md) = pair(model, media);
    let label = render_ct(ct, sample("https://example.com/x"), m, md).expect("renders");
    let path = golden_path(model, media, ct);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, preview_png(&label, 1).expect("png")).expect("write golden");
        return None;
    }
    let Ok(bytes) = std::fs::read(&path) else {
        return Some(format!(
            "{} is missing (run with UPDATE_GOLDEN=1)",
            path.display()
        ));
    };
    let golden = read_png(&bytes);
    (golden != label.black).then(|| {
        format!(
            "{} differs: golden {golden:?}, rendered {:?}",
            path.display(),
            label.black
        )
    })
}

#[test]
fn content_types_match_their_golden_images() {
    let failures: Vec<String> = MEDIA
        .iter()
        .flat_map(|(model, media)| {
            ContentType::ALL
                .into_iter()
                .filter_map(move |ct| check(model, media, ct))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
