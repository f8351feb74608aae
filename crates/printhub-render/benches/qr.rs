//! QR encoders side by side (issue 17): the renderer's `symbol::qr`
//! (`qrcodegen` with mask 0, the mask then chosen word-at-a-time in
//! `printhub_render::qr`), `fast_qr` (what it used before), `qrcode` (what
//! it used before that) and `qrcodegen` choosing the mask itself (Nayuki's
//! reference implementation: the same symbol as the renderer's, a test holds
//! them equal), each making the full module grid — segment choice, smallest
//! version, Reed–Solomon, all eight masks scored, best kept — for the
//! payloads labels carry, at EC level M. Run with
//! `cargo bench -p printhub-render --bench qr`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

/// A label's QR payloads: the render bench's short URL, an asset URL with a
/// query, and a long one (version 7+, where alignment patterns and version
/// information cost the most).
const PAYLOADS: &[(&str, &str)] = &[
    ("short_url", "https://example.com/items/0042"),
    (
        "asset_url",
        "https://inventory.example.org/hardware/1234?tag=ASSET-000123&loc=Shelf%20A3",
    ),
    (
        "long_text",
        "Workshop shelf A01-0042 / Zone 2, bin 7 / M3x12 DIN 912 A2 socket head cap screws, 200 pieces, reorder at 50, supplier part 0912-0312-A2",
    ),
];

/// Dark modules, so every encoder's grid is read out as the renderer would read it.
fn count(width: usize, dark: impl Fn(usize, usize) -> bool) -> usize {
    (0..width)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .filter(|&(x, y)| dark(x, y))
        .count()
}

fn bench(c: &mut Criterion) {
    for (name, payload) in PAYLOADS {
        let mut group = c.benchmark_group(format!("qr/{name}"));
        group.bench_function("qrcode", |b| {
            b.iter(|| {
                let code = qrcode::QrCode::with_error_correction_level(
                    black_box(payload.as_bytes()),
                    qrcode::EcLevel::M,
                )
                .expect("fits");
                let colors = code.to_colors();
                let width = code.width();
                count(width, |x, y| colors[y * width + x] == qrcode::Color::Dark)
            })
        });
        group.bench_function("fast_qr", |b| {
            b.iter(|| {
                let code = fast_qr::QRBuilder::new(black_box(payload.as_bytes()))
                    .ecl(fast_qr::ECL::M)
                    .build()
                    .expect("fits");
                count(code.size, |x, y| code.data[y * code.size + x].value())
            })
        });
        group.bench_function("qrcodegen", |b| {
            b.iter(|| {
                let code = qrcodegen::QrCode::encode_segments_advanced(
                    &qrcodegen::QrSegment::make_segments(black_box(payload)),
                    qrcodegen::QrCodeEcc::Medium,
                    qrcodegen::Version::MIN,
                    qrcodegen::Version::MAX,
                    None,
                    false,
                )
                .expect("fits");
                let size = code.size();
                count(size as usize, |x, y| code.get_module(x as i32, y as i32))
            })
        });
        group.bench_function("printhub", |b| {
            b.iter(|| {
                let m = printhub_render::symbol::qr(
                    black_box(payload),
                    printhub_render::symbol::EcLevel::M,
                )
                .expect("fits");
                count(m.width, |x, y| m.get(x, y))
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
