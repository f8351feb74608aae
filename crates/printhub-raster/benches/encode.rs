//! Encoder and decoder throughput on realistic labels (issue 2's targets):
//! a 62 × 100 mm QL label (696 × 1181 dots) and a 24 × 100 mm PT label
//! (128 × 709 dots at 180 dpi), compressed. Run with `make bench`.

use criterion::{criterion_group, criterion_main, Criterion};
use printhub_raster::{
    chain, Bitmap, Decoder, DecoderOptions, Encoder, JobOptions, Label, Media, Model,
};
use std::hint::black_box;

/// A label that looks like a real one: a frame, a few text-like bands of
/// strokes and a QR-like block of noise, so PackBits sees runs and literals.
fn label(width: usize, height: usize) -> Bitmap {
    let mut s: u32 = 0x1234_5678;
    Bitmap::from_fn(width, height, |x, y| {
        let frame = x < 4 || y < 4 || x >= width - 4 || y >= height - 4;
        let text = (y / 40) % 3 == 1 && (x / 6) % 4 != 3 && (x * 7 + y * 3) % 11 < 5;
        let qr = x > width * 2 / 3 && y < height / 3 && {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s & 1 == 1
        };
        frame || text || qr
    })
}

fn bench(c: &mut Criterion) {
    let cases = [
        ("ql820nwb_dk62_696x1181", "QL-820NWB", "dk-62", 1181usize),
        ("ptp750w_tze24_128x709", "PT-P750W", "tze-24", 709usize),
    ];
    for (name, model, media, lines) in cases {
        let model = Model::by_name(model).expect("model");
        let media = Media::by_id(media).expect("media");
        let encoder = Encoder::new(model, media, JobOptions::default()).expect("options");
        let width = encoder.geometry().printable() as usize;
        let labels = [Label::black(label(width, lines))];
        let mut out = Vec::new();
        c.bench_function(&format!("encode/{name}"), |b| {
            b.iter(|| {
                out.clear();
                encoder.write(black_box(&labels), &mut out).expect("encode");
                black_box(out.len())
            })
        });
        let job = encoder.encode(&labels).expect("encode");
        c.bench_function(&format!("decode/{name}"), |b| {
            b.iter(|| {
                let decoded =
                    Decoder::decode_all(DecoderOptions { model: Some(model) }, black_box(&job))
                        .expect("decode");
                black_box(decoded.1.len())
            })
        });
    }
}

/// Joining a chain of 20 one-label copies (the engine's default chain size).
fn bench_join(c: &mut Criterion) {
    let cases = [
        ("ql820nwb_dk62_20x696x300", "QL-820NWB", "dk-62", 300usize),
        ("ptp750w_tze12_20x70x140", "PT-P750W", "tze-12", 140usize),
    ];
    for (name, model, media, lines) in cases {
        let model = Model::by_name(model).expect("model");
        let media = Media::by_id(media).expect("media");
        let encoder = Encoder::new(model, media, JobOptions::default()).expect("options");
        let width = encoder.geometry().printable() as usize;
        let copies: Vec<Vec<u8>> = (0..20)
            .map(|_| {
                encoder
                    .encode(&[Label::black(label(width, lines))])
                    .expect("encode")
            })
            .collect();
        let slices: Vec<&[u8]> = copies.iter().map(Vec::as_slice).collect();
        c.bench_function(&format!("join/{name}"), |b| {
            b.iter(|| {
                let chain = chain::join(model, media, black_box(&slices)).expect("join");
                black_box(chain.bytes.len())
            })
        });
    }
}

criterion_group!(benches, bench, bench_join);
criterion_main!(benches);
