//! PWG raster and URF: round trips of the encoder's pages, hand-made
//! streams for the run codes (PWG 5102.4 §4.4: line repeat, n + 1 repeats
//! for 0..=127, 257 − n literals for 129..=255, 0x80 fills with white), every
//! defect's code, and arbitrary bytes that never panic.

use printhub_ipp::raster::{
    decode_pwg, decode_urf, encode_pwg_gray, encode_urf_gray, GrayPage, PWG_HEADER,
};
use proptest::prelude::*;

const LIMIT: u64 = 1 << 24;

fn page(width: u32, height: u32, f: impl Fn(u32, u32) -> u8) -> GrayPage {
    GrayPage {
        width,
        height,
        dpi: (300, 300),
        pixels: (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect(),
    }
}

/// A PWG header for `width` × `height` in colour space `space` at `bpp` bits.
fn pwg_header(width: u32, height: u32, space: u32, bpc: u32, bpp: u32, bpl: u32) -> Vec<u8> {
    let mut h = vec![0u8; PWG_HEADER];
    let mut put = |at: usize, v: u32| h[at..at + 4].copy_from_slice(&v.to_be_bytes());
    put(276, 300);
    put(280, 300);
    put(372, width);
    put(376, height);
    put(384, bpc);
    put(388, bpp);
    put(392, bpl);
    put(400, space);
    h
}

#[test]
fn gray_pages_round_trip_through_pwg_and_urf() {
    let pages = vec![
        page(300, 7, |x, y| ((x * 7 + y * 13) % 256) as u8),
        page(1, 1, |_, _| 0),
        page(129, 3, |x, _| if x % 2 == 0 { 0 } else { 255 }),
    ];
    assert_eq!(
        decode_pwg(&encode_pwg_gray(&pages), LIMIT),
        Ok(pages.clone())
    );
    assert_eq!(decode_urf(&encode_urf_gray(&pages), LIMIT), Ok(pages));
}

#[test]
fn urf_with_an_unknown_page_count_reads_every_page() {
    // CUPS's rastertopwg streams URF and writes a page count of 0.
    let pages = vec![
        page(40, 3, |x, _| if x < 20 { 0 } else { 255 }),
        page(17, 2, |x, y| ((x + y) * 9) as u8),
    ];
    let mut doc = encode_urf_gray(&pages);
    doc[8..12].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(decode_urf(&doc, LIMIT), Ok(pages.clone()));
    // A known count still stops where it says.
    let mut one = encode_urf_gray(&pages);
    one[8..12].copy_from_slice(&1u32.to_be_bytes());
    assert_eq!(decode_urf(&one, LIMIT), Ok(pages[..1].to_vec()));
    // Unknown count with a page cut short is still truncated.
    assert_eq!(
        decode_urf(&doc[..doc.len() - 1], LIMIT).map_err(|e| e.code()),
        Err("ipp_raster_truncated")
    );
}

#[test]
fn run_codes_repeat_copy_and_fill() {
    // black_1, 16 pixels wide (2 bytes a line), 4 lines:
    // line 0 repeated twice: byte 0xF0 repeated twice (op 1);
    // line 2: literal 0x81 0x00 (op 255 = 2 literals... 257 - 255 = 2);
    // line 3: 0x80 fills white.
    let mut doc = b"RaS2".to_vec();
    doc.extend(pwg_header(16, 4, 3, 1, 1, 2));
    doc.extend([1, 1, 0xF0]);
    doc.extend([0, 255, 0x81, 0x00]);
    doc.extend([0, 0x80]);
    let pages = decode_pwg(&doc, LIMIT).expect("decodes");
    let p = &pages[0];
    let ink = |x: usize, y: usize| p.pixels[y * 16 + x] == 0;
    for y in 0..2 {
        let row: Vec<bool> = (0..16).map(|x| ink(x, y)).collect();
        assert_eq!(
            row,
            [[true; 4], [false; 4], [true; 4], [false; 4]].concat(),
            "line {y}"
        );
    }
    assert!(ink(0, 2) && ink(7, 2) && !ink(1, 2) && (8..16).all(|x| !ink(x, 2)));
    assert!((0..16).all(|x| !ink(x, 3)));
}

#[test]
fn srgb_becomes_grey() {
    // sRGB 24: 2 pixels, red and white.
    let mut doc = b"RaS2".to_vec();
    doc.extend(pwg_header(2, 1, 19, 8, 24, 6));
    doc.extend([0, 255, 255, 0, 0, 255, 255, 255]);
    let pages = decode_pwg(&doc, LIMIT).expect("decodes");
    assert_eq!(pages[0].pixels, [76, 255]);
}

#[test]
fn every_defect_has_its_code() {
    let check = |result: Result<Vec<GrayPage>, printhub_ipp::raster::RasterError>, code: &str| {
        assert_eq!(result.map_err(|e| e.code()), Err(code));
    };
    let good = encode_pwg_gray(&[page(10, 2, |_, _| 0)]);
    check(decode_pwg(b"RaS3", LIMIT), "ipp_raster_bad_magic");
    check(decode_pwg(b"RaS2", LIMIT), "ipp_raster_no_pages");
    check(decode_pwg(&good[..100], LIMIT), "ipp_raster_truncated");
    check(
        decode_pwg(&good[..good.len() - 1], LIMIT),
        "ipp_raster_truncated",
    );
    check(decode_pwg(&good, 19), "ipp_raster_too_large");
    let mut cmyk = b"RaS2".to_vec();
    cmyk.extend(pwg_header(10, 2, 6, 8, 32, 40));
    check(decode_pwg(&cmyk, LIMIT), "ipp_raster_unsupported");
    let mut zero = b"RaS2".to_vec();
    zero.extend(pwg_header(0, 2, 18, 8, 8, 0));
    check(decode_pwg(&zero, LIMIT), "ipp_raster_bad_header");
    let mut bpl = b"RaS2".to_vec();
    bpl.extend(pwg_header(10, 2, 18, 8, 8, 11));
    check(decode_pwg(&bpl, LIMIT), "ipp_raster_bad_header");
    // A run of 20 pixels on a 10-pixel line.
    let mut over = b"RaS2".to_vec();
    over.extend(pwg_header(10, 1, 18, 8, 8, 10));
    over.extend([0, 19, 0]);
    check(decode_pwg(&over, LIMIT), "ipp_raster_overrun");
    check(decode_urf(b"UNIRAS", LIMIT), "ipp_raster_bad_magic");
    check(
        decode_urf(b"UNIRAST\0\0\0\0\0", LIMIT),
        "ipp_raster_no_pages",
    );
    let mut cmyk_urf = b"UNIRAST\0\0\0\0\x01".to_vec();
    let mut header = [0u8; 32];
    header[0] = 32;
    header[1] = 6;
    cmyk_urf.extend(header);
    check(decode_urf(&cmyk_urf, LIMIT), "ipp_raster_unsupported");
}

proptest! {
    #[test]
    fn arbitrary_bytes_after_a_sync_word_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..4096),
        pwg in any::<bool>(),
    ) {
        if pwg {
            let mut doc = b"RaS2".to_vec();
            doc.extend(pwg_header(8, 4, 18, 8, 8, 8));
            doc.extend(tail);
            let _ = decode_pwg(&doc, LIMIT);
        } else {
            let mut doc = b"UNIRAST\0\0\0\0\x01".to_vec();
            let mut header = [0u8; 32];
            header[0] = 8;
            header[15] = 8;
            header[19] = 4;
            header[23] = 1;
            doc.extend(header);
            doc.extend(tail);
            let _ = decode_urf(&doc, LIMIT);
        }
    }

    #[test]
    fn random_grey_pages_round_trip(
        width in 1u32..300,
        height in 1u32..6,
        seed in any::<u64>(),
    ) {
        let p = page(width, height, |x, y| (seed.wrapping_mul(u64::from(x * 31 + y + 1)) >> 7) as u8);
        prop_assert_eq!(decode_pwg(&encode_pwg_gray(std::slice::from_ref(&p)), LIMIT), Ok(vec![p.clone()]));
        prop_assert_eq!(decode_urf(&encode_urf_gray(std::slice::from_ref(&p)), LIMIT), Ok(vec![p]));
    }
}
