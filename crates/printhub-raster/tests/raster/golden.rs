//! Golden byte streams derived by hand from Brother's raster command
//! references (brother-raster.md §1, §5.1, §8). Each expected stream is
//! spelled out command by command with the section it follows, so a change in
//! the encoder's bytes has to be argued against the manual, not just re-blessed.

use printhub_raster::{Bitmap, CutMode, Encoder, JobOptions, Label, Media, Model};

fn encoder(model: &str, media: &str, options: JobOptions) -> Encoder {
    let model = Model::by_name(model).expect("model");
    let media = Media::by_id(media).expect("media");
    Encoder::new(model, media, options).expect("valid options")
}

/// Builds an expected stream from labelled pieces.
#[derive(Default)]
struct Expect(Vec<u8>);

impl Expect {
    fn bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    fn repeat(mut self, b: &[u8], n: usize) -> Self {
        for _ in 0..n {
            self.0.extend_from_slice(b);
        }
        self
    }
}

/// Compares two streams and reports the first differing offset.
fn check(got: &[u8], want: &[u8]) {
    if let Some(i) = got.iter().zip(want).position(|(a, b)| a != b) {
        panic!(
            "first difference at byte {i}: got {:02X?}, want {:02X?}",
            &got[i..(i + 16).min(got.len())],
            &want[i..(i + 16).min(want.len())]
        );
    }
    assert_eq!(got.len(), want.len(), "lengths differ");
}

#[test]
fn pt_p750w_tze12_uncompressed_single_label() {
    // PT-E550W/P750W/P710BT reference: invalidate 100 × 00, ESC @, ESC i a 01; per page
    // ESC i z with n1 = 0x84 (recover + width; the manual's example), n2 = 00, n3 = 12 mm,
    // count LE32, n9 = 0; ESC i M 40 (auto cut); ESC i A 01; ESC i K 08 (no chain: feed and
    // cut at end); ESC i d 0E 00 (2 mm at 180 dpi, manual example); M 00; 31 × `G 10 00` +
    // 16 bytes (§8 check 4); 1A (last page, §8 check 9).
    let e = encoder("PT-P750W", "tze-12", JobOptions::default().compress(false));
    // One dot at label column 0 of every line: pin 29 + 70 − 1 − 0 = 98 → byte 12, bit 2 (0x20).
    let label = Bitmap::from_fn(70, 31, |x, _| x == 0);
    let mut line = [0u8; 16];
    line[12] = 0x20;
    let mut raster = vec![0x47, 0x10, 0x00];
    raster.extend_from_slice(&line);
    let want = Expect::default()
        .repeat(&[0x00], 100)
        .bytes(&[0x1B, 0x40])
        .bytes(&[0x1B, 0x69, 0x61, 0x01])
        .bytes(&[
            0x1B, 0x69, 0x7A, 0x84, 0x00, 0x0C, 0x00, 31, 0, 0, 0, 0x00, 0x00,
        ])
        .bytes(&[0x1B, 0x69, 0x4D, 0x40])
        .bytes(&[0x1B, 0x69, 0x41, 0x01])
        .bytes(&[0x1B, 0x69, 0x4B, 0x08])
        .bytes(&[0x1B, 0x69, 0x64, 0x0E, 0x00])
        .bytes(&[0x4D, 0x00])
        .repeat(&raster, 31)
        .bytes(&[0x1A]);
    check(&e.encode(&[Label::black(label)]).expect("encodes"), &want.0);
}

#[test]
fn ql820nwb_dk62_compressed_240_blank_lines() {
    // QL-800/810W/820NWB reference and §8 check 3: 62 mm continuous, 240 lines →
    // `1B 69 7A 86 0A 3E 00 F0 00 00 00 00 00` (n1 = recover + width + kind, as the manual's
    // 102 mm example `86 0A 66 00`), margin `1B 69 64 23 00` (35 dots = 3 mm), invalidate 400
    // (§1 for QL-8xx), compression `4D 02`, blank lines `67 00 02 A7 00` (§3: 90 zeros = A7 00).
    let e = encoder("QL-820NWB", "dk-62", JobOptions::default());
    let label = Bitmap::new(696, 240);
    let want = Expect::default()
        .repeat(&[0x00], 400)
        .bytes(&[0x1B, 0x40, 0x1B, 0x69, 0x61, 0x01])
        .bytes(&[
            0x1B, 0x69, 0x7A, 0x86, 0x0A, 0x3E, 0x00, 0xF0, 0x00, 0x00, 0x00, 0x00, 0x00,
        ])
        .bytes(&[
            0x1B, 0x69, 0x4D, 0x40, 0x1B, 0x69, 0x41, 0x01, 0x1B, 0x69, 0x4B, 0x08,
        ])
        .bytes(&[0x1B, 0x69, 0x64, 0x23, 0x00, 0x4D, 0x02])
        .repeat(&[0x67, 0x00, 0x02, 0xA7, 0x00], 240)
        .bytes(&[0x1A]);
    check(&e.encode(&[Label::black(label)]).expect("encodes"), &want.0);
}

#[test]
fn ql820nwb_die_cut_29x90_declares_its_length() {
    // §8 check 3: 29×90 die-cut → n2 = 0B, n3 = 1D, n4 = 5A, 991 lines; die-cut margin 0.
    // n1 = 0x8E: recover + length + width + kind (§1.1).
    let e = encoder("QL-820NWB", "dk-29x90", JobOptions::default());
    let job = e
        .encode(&[Label::black(Bitmap::new(306, 991))])
        .expect("encodes");
    let at = 400 + 2 + 4;
    assert_eq!(
        &job[at..at + 13],
        &[0x1B, 0x69, 0x7A, 0x8E, 0x0B, 0x1D, 0x5A, 0xDF, 0x03, 0x00, 0x00, 0x00, 0x00]
    );
    let margin = job
        .windows(5)
        .position(|w| w[..3] == [0x1B, 0x69, 0x64])
        .expect("margin");
    assert_eq!(&job[margin..margin + 5], &[0x1B, 0x69, 0x64, 0x00, 0x00]);
}

#[test]
fn ql700_sends_no_mode_switch_and_no_compression_command() {
    // QL-500…1060N reference: QL-700 takes neither ESC i a nor M (§1, §3, §8 check 7);
    // lines are `67 00 5A` + 90 bytes (§8 check 4). Invalidate 200.
    let e = encoder("QL-700", "dk-62", JobOptions::default());
    let job = e
        .encode(&[Label::black(Bitmap::new(696, 150))])
        .expect("encodes");
    let want_head = Expect::default()
        .repeat(&[0x00], 200)
        .bytes(&[0x1B, 0x40])
        .bytes(&[0x1B, 0x69, 0x7A, 0x86, 0x0A, 0x3E, 0x00, 150, 0, 0, 0, 0, 0])
        .bytes(&[
            0x1B, 0x69, 0x4D, 0x40, 0x1B, 0x69, 0x41, 0x01, 0x1B, 0x69, 0x4B, 0x08,
        ])
        .bytes(&[0x1B, 0x69, 0x64, 0x23, 0x00]);
    check(&job[..want_head.0.len()], &want_head.0);
    let mut line = vec![0x67, 0x00, 0x5A];
    line.extend_from_slice(&[0; 90]);
    assert_eq!(&job[want_head.0.len()..want_head.0.len() + 93], &line[..]);
    assert_eq!(job.len(), want_head.0.len() + 150 * 93 + 1);
}

#[test]
fn pt_p900w_half_cut_chain_strip_of_two() {
    // PT-P900 reference: invalidate 200; n9 = 0 first page, 2 last page (that manual only);
    // 0C between labels and 1A after the last (§5.1 step 10); ESC i K 04 = half cut with
    // chain (bit 3 clear: the last label stays in the printer); ESC i A 01; margin 28 (2 mm
    // at 360 dpi); blank lines with compression are `Z` (§2, ptouch).
    let e = encoder(
        "PT-P900W",
        "tze-24",
        JobOptions::default().half_cut(true).chain(true),
    );
    let label = Label::black(Bitmap::new(320, 57));
    let job = e.encode(&[label.clone(), label]).expect("encodes");
    let page = |n9: u8, end: u8| {
        Expect::default()
            .bytes(&[
                0x1B, 0x69, 0x7A, 0x84, 0x00, 0x18, 0x00, 57, 0, 0, 0, n9, 0x00,
            ])
            .bytes(&[
                0x1B, 0x69, 0x4D, 0x40, 0x1B, 0x69, 0x41, 0x01, 0x1B, 0x69, 0x4B, 0x04,
            ])
            .bytes(&[0x1B, 0x69, 0x64, 0x1C, 0x00, 0x4D, 0x02])
            .repeat(&[0x5A], 57)
            .bytes(&[end])
            .0
    };
    let want = Expect::default()
        .repeat(&[0x00], 200)
        .bytes(&[0x1B, 0x40, 0x1B, 0x69, 0x61, 0x01])
        .bytes(&page(0, 0x0C))
        .bytes(&page(2, 0x1A));
    check(&job, &want.0);
}

#[test]
fn ql820nwb_two_colour_sends_w_pairs() {
    // QL-800 reference §8 check 11: ESC i K bit 0 (09 with cut at end), each physical line is
    // `w 01 n …` then `w 02 n …`; the count is physical lines. No PI_QUALITY in two-colour
    // mode (CAPS: the datasheet forbids it).
    let e = encoder(
        "QL-820NWB",
        "dk-62-red",
        JobOptions::default().two_colour(true).quality(true),
    );
    let black = Bitmap::from_fn(696, 150, |x, _| x == 695);
    let red = Bitmap::from_fn(696, 150, |x, _| x == 0);
    let job = e
        .encode(&[Label {
            black,
            red: Some(red),
        }])
        .expect("encodes");
    let at = 400 + 6;
    assert_eq!(
        &job[at..at + 8],
        &[0x1B, 0x69, 0x7A, 0x86, 0x0A, 0x3E, 0x00, 150]
    );
    assert!(job.windows(4).any(|w| w == [0x1B, 0x69, 0x4B, 0x09]));
    // Label column 695 → pin 12 (byte 1, 0x08); column 0 → pin 707 (byte 88, 0x10).
    // Black: 00 08 then 88 zeros → PackBits `01 00 08` (2 literals) `A9 00` (88 × 00).
    // Red: 88 zeros, 10 00 → `A9 00` `01 10 00`.
    let black_line = [0x77, 0x01, 0x05, 0x01, 0x00, 0x08, 0xA9, 0x00];
    let red_line = [0x77, 0x02, 0x05, 0xA9, 0x00, 0x01, 0x10, 0x00];
    let first_line = job
        .windows(3)
        .position(|w| w == [0x77, 0x01, black_line[2]])
        .expect("w 01 line");
    assert_eq!(&job[first_line..first_line + 8], &black_line);
    assert_eq!(&job[first_line + 8..first_line + 16], &red_line);
}

#[test]
fn pt_p750w_high_resolution_doubles_margin_and_count() {
    // §2 and §8 check 12: PT-P750W high resolution (180 × 360 dpi): ESC i K bit 6, the
    // margin and the raster count are at the doubled resolution.
    let e = encoder(
        "PT-P750W",
        "tze-12",
        JobOptions::default().high_res(true).cut(CutMode::None),
    );
    let job = e
        .encode(&[Label::black(Bitmap::new(70, 62))])
        .expect("encodes");
    let at = 100 + 6;
    assert_eq!(
        &job[at..at + 13],
        &[0x1B, 0x69, 0x7A, 0x84, 0x00, 0x0C, 0x00, 62, 0, 0, 0, 0, 0]
    );
    // Cut off: ESC i M 00, no ESC i A, ESC i K without bit 3 (§8 check 10).
    assert_eq!(
        &job[at + 13..at + 30],
        &[
            0x1B, 0x69, 0x4D, 0x00, 0x1B, 0x69, 0x4B, 0x40, 0x1B, 0x69, 0x64, 0x1C, 0x00, 0x4D,
            0x02, 0x5A, 0x5A
        ]
    );
    // Below 2 × 31 lines the label is padded to 62 (PT-P750W minimum 31 at base resolution,
    // brother_ql's table, brother-raster.md §2): the same job as a blank 62-line label.
    let short = e
        .encode(&[Label::black(Bitmap::new(70, 61))])
        .expect("padded");
    assert_eq!(short, job);
}

#[test]
fn ql1060n_pads_a_short_continuous_label_to_the_minimum_after_its_content() {
    // Minimum label length on the QL-1050/1060N: 295 raster lines (brother_ql and
    // brother_ql_next model tables, brother-raster.md §2 "Line count limits"; §8 check 14).
    // The printer feeds at least that much on continuous media whatever it is sent, so a
    // 120-line (10 mm) label goes out as 295 lines: its 120 lines first (the leading edge),
    // then 175 blank ones; the count in ESC i z is 295 (§8 check 2). Uncompressed lines are
    // `67 00 A2` + 162 bytes (§8 check 4); a dot at label column 0 heats pin
    // 56 + 1164 − 1 = 1219 (byte 152, 0x10; §2 wide QL offset 12 + 44).
    let e = encoder("QL-1060N", "dk-102", JobOptions::default().compress(false));
    let label = Bitmap::from_fn(1164, 120, |x, _| x == 0);
    assert_eq!(e.padded_lines(120), 295);
    let mut inked = vec![0x67, 0x00, 0xA2];
    inked.extend_from_slice(&[0; 162]);
    inked[3 + 152] = 0x10;
    let mut blank = vec![0x67, 0x00, 0xA2];
    blank.extend_from_slice(&[0; 162]);
    let want = Expect::default()
        .repeat(&[0x00], 200)
        .bytes(&[0x1B, 0x40, 0x1B, 0x69, 0x61, 0x01])
        .bytes(&[
            0x1B, 0x69, 0x7A, 0x86, 0x0A, 0x66, 0x00, 0x27, 0x01, 0x00, 0x00, 0x00, 0x00,
        ])
        .bytes(&[
            0x1B, 0x69, 0x4D, 0x40, 0x1B, 0x69, 0x41, 0x01, 0x1B, 0x69, 0x4B, 0x08,
        ])
        .bytes(&[0x1B, 0x69, 0x64, 0x23, 0x00, 0x4D, 0x00])
        .repeat(&inked, 120)
        .repeat(&blank, 175)
        .bytes(&[0x1A]);
    check(&e.encode(&[Label::black(label)]).expect("padded"), &want.0);
    // Die-cut labels have exactly their length (§6.3), and nothing exceeds the maximum.
    let die = encoder("QL-1060N", "dk-102x51", JobOptions::default());
    let short = die.encode(&[Label::black(Bitmap::new(1164, 120))]);
    assert_eq!(
        short.expect_err("die-cut").code(),
        "die_cut_length_mismatch"
    );
    assert_eq!(
        die.padded_lines(120),
        120,
        "die-cut labels are never padded"
    );
    let long = e.encode(&[Label::black(Bitmap::new(1164, 35_434))]);
    assert_eq!(
        long.expect_err("too long").code(),
        "label_length_out_of_range"
    );
}

#[test]
fn only_the_pt_p910bt_asks_for_status_notifications() {
    // §10 "ESC i ! default": 0 (notify) per the PT-E550W-family manual, 1 (don't) per the
    // PT-P900 manual, which says the PT-P910BT needs `ESC i ! 00` to notify (§1, §5.1
    // step 2). printhub sends `1B 69 21 00` before each page's ESC i z on the PT-P910BT
    // only, and relies on the default elsewhere.
    let label = |w| Label::black(Bitmap::new(w, 57));
    let p910 = encoder("PT-P910BT", "tze-24", JobOptions::default());
    let job = p910.encode(&[label(320), label(320)]).expect("encodes");
    let notify = [0x1B, 0x69, 0x21, 0x00, 0x1B, 0x69, 0x7A];
    assert_eq!(job.windows(7).filter(|w| *w == notify).count(), 2);
    for (model, media, width) in [
        ("PT-P900W", "tze-24", 320),
        ("PT-P750W", "tze-12", 70),
        ("QL-820NWB", "dk-62", 696),
    ] {
        let job = encoder(model, media, JobOptions::default())
            .encode(&[Label::black(Bitmap::new(width, 300))])
            .expect("encodes");
        assert!(
            !job.windows(3).any(|w| w == [0x1B, 0x69, 0x21]),
            "{model} sends no ESC i !"
        );
    }
}
