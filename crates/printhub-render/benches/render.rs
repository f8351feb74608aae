//! Render benchmarks: a 62 × 100 mm die-cut QR + three lines label on a
//! QL-820NWB and a 12 mm tape QR + two lines label on a PT-P750W. Target:
//! under 2 ms each (release). Run with `cargo bench -p printhub-render`.

use criterion::{criterion_group, criterion_main, Criterion};
use printhub_raster::{Media, Model};
use printhub_render::{render, ContentType, LabelData, RenderRequest};
use std::hint::black_box;

fn data() -> LabelData {
    LabelData {
        title: Some("Workshop shelf".into()),
        primary_id: Some("A01-0042".into()),
        qr_payload: Some("https://example.com/items/0042".into()),
        secondary: vec!["Zone 2, bin 7".into()],
        ..Default::default()
    }
}

fn bench(c: &mut Criterion) {
    let cases = [
        (
            "qr_three_lines_dk-62x100",
            "QL-820NWB",
            "dk-62x100",
            ContentType::QrThreeLines,
        ),
        (
            "qr_two_lines_tze-12",
            "PT-P750W",
            "tze-12",
            ContentType::QrTwoLines,
        ),
    ];
    for (name, model, media, ct) in cases {
        let (Some(model), Some(media)) = (Model::by_name(model), Media::by_id(media)) else {
            panic!("unknown model or media in {name}");
        };
        let request = RenderRequest::content_type(ct, data());
        c.bench_function(name, |b| {
            b.iter(|| render(black_box(&request), model, media).expect("renders"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
