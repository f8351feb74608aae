//! Malformed streams: each is an error with a stable code and the byte offset
//! of the offending command, never a panic and never a page.

use printhub_raster::{
    Bitmap, Decoder, DecoderOptions, Encoder, Event, JobOptions, Label, Media, Model,
};

/// A valid single-page PT-P750W job (tze-12, 31 lines, uncompressed) and its parts' offsets.
fn pt_job(compress: bool) -> Vec<u8> {
    let model = Model::by_name("PT-P750W").expect("model");
    let media = Media::by_id("tze-12").expect("media");
    let e = Encoder::new(model, media, JobOptions::default().compress(compress)).expect("ok");
    e.encode(&[Label::black(Bitmap::from_fn(70, 31, |x, y| {
        (x + y) % 5 == 0
    }))])
    .expect("encodes")
}

/// Offset of the first raster line in `pt_job`: 100 invalidate + ESC @ + ESC i a + ESC i z +
/// ESC i M + ESC i A + ESC i K + ESC i d + M.
const FIRST_LINE: usize = 100 + 2 + 4 + 13 + 4 + 4 + 4 + 5 + 2;

fn check(model: Option<&str>, bytes: &[u8], code: &str, offset: u64) {
    check_after_pages(model, bytes, code, offset, 0);
}

/// As [`check`], where `pages` complete pages precede the error (a printer prints those).
fn check_after_pages(
    model: Option<&str>,
    bytes: &[u8],
    code: &str,
    offset: u64,
    pages_before: usize,
) {
    let options = DecoderOptions {
        model: model.map(|m| Model::by_name(m).expect("model")),
    };
    let mut decoder = Decoder::new(options);
    let err = decoder
        .push(bytes)
        .and_then(|()| decoder.finish())
        .expect_err("must fail");
    assert_eq!((err.code(), err.offset), (code, offset), "{err}");
    let mut pages = 0;
    while let Some(event) = decoder.next_event() {
        pages += matches!(event, Event::Page(_)) as usize;
    }
    assert_eq!(
        pages, pages_before,
        "no page may come out of the broken part of a stream"
    );
    // The error is sticky: more input is refused.
    assert_eq!(
        decoder.push(&[0x1A]).expect_err("sticky").code(),
        "after_error"
    );
}

#[test]
fn the_valid_job_decodes() {
    let (_, pages) = Decoder::decode_all(DecoderOptions::default(), &pt_job(false)).expect("valid");
    assert_eq!(pages.len(), 1);
}

#[test]
fn truncated_anywhere_is_an_error() {
    let job = pt_job(true);
    // Inside a command (ESC i z cut short).
    check(None, &job[..110], "truncated", 106);
    // Inside a raster line's data.
    check(None, &job[..FIRST_LINE + 5], "truncated", FIRST_LINE as u64);
    // Between lines: the page never ends.
    let end = job.len() - 1;
    check(None, &job[..end], "truncated", end as u64);
    // Every cut point fails cleanly (no panic), except after the last byte.
    for cut in 1..job.len() {
        let mut d = Decoder::new(DecoderOptions::default());
        let ok = d.push(&job[..cut]).and_then(|()| d.finish()).is_ok();
        // Only cuts inside the invalidate run or right after ESC @ / ESC i a 01 leave nothing unfinished.
        assert_eq!(ok, cut <= 100 || cut == 102 || cut == 106, "cut at {cut}");
    }
}

#[test]
fn unknown_commands_are_errors() {
    let mut job = pt_job(false);
    job.insert(102, 0x99);
    check(None, &job, "unknown_command", 102);
    let mut job = pt_job(false);
    job.splice(102..102, [0x1B, 0x69, 0x58, 0x47]);
    check(None, &job, "unknown_command", 102);
    check(None, &[0x1B, 0x41], "unknown_command", 0);
}

#[test]
fn line_longer_than_the_head_is_an_error() {
    let mut job = pt_job(false);
    // `G 11 00` + 17 bytes on a 16-byte head.
    job[FIRST_LINE + 1] = 0x11;
    job.insert(FIRST_LINE + 3, 0x00);
    check(Some("PT-P750W"), &job, "line_length", FIRST_LINE as u64);
}

#[test]
fn unknown_line_length_without_a_model_is_an_error() {
    let mut job = pt_job(false);
    job[FIRST_LINE + 1] = 0x11;
    job.insert(FIRST_LINE + 3, 0x00);
    check(None, &job, "line_length", FIRST_LINE as u64);
}

#[test]
fn compressed_overrun_and_underrun_are_errors() {
    let job = pt_job(true);
    // Replace the first line with `G 02 00 F0 00` (17 zeros on a 16-byte head).
    let line_len = 3 + u16::from_le_bytes([job[FIRST_LINE + 1], job[FIRST_LINE + 2]]) as usize;
    let mut over = job.clone();
    over.splice(
        FIRST_LINE..FIRST_LINE + line_len,
        [0x47, 0x02, 0x00, 0xF0, 0x00],
    );
    check(
        Some("PT-P750W"),
        &over,
        "bad_compression",
        FIRST_LINE as u64,
    );
    let mut under = job;
    under.splice(
        FIRST_LINE..FIRST_LINE + line_len,
        [0x47, 0x02, 0x00, 0xF2, 0x00],
    );
    check(
        Some("PT-P750W"),
        &under,
        "bad_compression",
        FIRST_LINE as u64,
    );
}

#[test]
fn line_count_mismatch_is_an_error() {
    let mut job = pt_job(false);
    // Declare 32 lines, send 31.
    job[100 + 2 + 4 + 7] = 32;
    check(None, &job, "line_count_mismatch", job.len() as u64 - 1);
}

#[test]
fn raster_before_print_information_is_an_error() {
    let job = pt_job(false);
    let mut missing = job[..106].to_vec();
    missing.extend_from_slice(&job[119..]);
    check(
        None,
        &missing,
        "missing_print_info",
        (FIRST_LINE - 13) as u64,
    );
}

#[test]
fn blank_line_without_compression_is_an_error() {
    let mut job = pt_job(false);
    job.insert(FIRST_LINE, 0x5A);
    check(None, &job, "zero_without_compression", FIRST_LINE as u64);
}

#[test]
fn compression_on_a_model_without_it_is_an_error() {
    check(
        Some("QL-700"),
        &[0x1B, 0x40, 0x4D, 0x02],
        "compression_not_accepted",
        2,
    );
    check(None, &[0x4D, 0x01], "compression_not_accepted", 0);
}

#[test]
fn initialize_inside_a_multi_page_job_is_an_error() {
    let model = Model::by_name("PT-P750W").expect("model");
    let media = Media::by_id("tze-12").expect("media");
    let e = Encoder::new(model, media, JobOptions::default().chain(true)).expect("ok");
    let label = Label::black(Bitmap::new(70, 31));
    let job = e.encode(&[label.clone(), label]).expect("encodes");
    let (commands, _) = Decoder::decode_all(DecoderOptions::default(), &job).expect("valid");
    let print = commands
        .iter()
        .find(|(_, c)| *c == printhub_raster::Command::Print)
        .map(|(offset, _)| *offset as usize)
        .expect("0C between pages");
    let mut broken = job[..=print].to_vec();
    broken.extend_from_slice(&[0x1B, 0x40]);
    broken.extend_from_slice(&job[print + 1..]);
    check_after_pages(None, &broken, "initialize_inside_job", print as u64 + 1, 1);
}

#[test]
fn a_stream_may_end_after_0c_but_not_inside_the_next_page() {
    // ptouch 1.1.0 `print(label, feed=False)` ends a job with `0C` (derived vectors README):
    // complete, the page printed without feed. Once the next page has started (its
    // ESC i z, or a line), the end of the stream is still a truncated page.
    let model = Model::by_name("PT-P750W").expect("model");
    let media = Media::by_id("tze-12").expect("media");
    let e = Encoder::new(model, media, JobOptions::default()).expect("ok");
    let label = Label::black(Bitmap::from_fn(70, 31, |x, y| x == y));
    let job = e.encode(&[label.clone(), label]).expect("encodes");
    let (commands, _) = Decoder::decode_all(DecoderOptions::default(), &job).expect("valid");
    let print = commands
        .iter()
        .find(|(_, c)| *c == printhub_raster::Command::Print)
        .map(|(offset, _)| *offset as usize)
        .expect("0C between pages");
    let (_, pages) =
        Decoder::decode_all(DecoderOptions::default(), &job[..=print]).expect("ends after 0C");
    assert_eq!(pages.len(), 1);
    assert!(pages[0].printed_without_feed);
    // The next page's ESC i z (13 bytes) complete, then its first line cut short.
    let next = print + 1;
    check_after_pages(None, &job[..next + 13], "truncated", next as u64 + 13, 1);
    check_after_pages(None, &job[..next + 5], "truncated", next as u64, 1);
}

#[test]
fn wrong_line_types_are_errors() {
    // `g` on a PT head, `w` on a model without two colours, `w 02` before `w 01`.
    let header = [
        0x1B, 0x69, 0x7A, 0x86, 0x0A, 0x3E, 0x00, 0x01, 0, 0, 0, 0, 0,
    ];
    let mut ql_line_on_pt = header.to_vec();
    ql_line_on_pt.extend_from_slice(&[0x67, 0x00, 0x10]);
    ql_line_on_pt.extend_from_slice(&[0; 16]);
    check(Some("PT-P750W"), &ql_line_on_pt, "line_type", 13);
    let mut w_on_ql700 = header.to_vec();
    w_on_ql700.extend_from_slice(&[0x77, 0x01, 0x5A]);
    w_on_ql700.extend_from_slice(&[0; 90]);
    check(Some("QL-700"), &w_on_ql700, "line_type", 13);
    let mut red_first = header.to_vec();
    red_first.extend_from_slice(&[0x77, 0x02, 0x5A]);
    red_first.extend_from_slice(&[0; 90]);
    check(Some("QL-820NWB"), &red_first, "two_colour_order", 13);
}

#[test]
fn raster_in_a_non_raster_mode_is_an_error() {
    let mut job = pt_job(false);
    job[105] = 0x00; // ESC i a 00: ESC/P mode.
    check(None, &job, "not_raster_mode", FIRST_LINE as u64);
}

#[test]
fn garbage_never_panics() {
    // A few thousand pseudo-random streams, with and without a model: errors or pages, never a panic.
    let mut s: u64 = 0x9E3779B97F4A7C15;
    for round in 0..3000 {
        let len = (round % 200) + 1;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                // Bias towards command bytes so that parsing goes deep.
                [
                    0x1B, 0x69, 0x7A, 0x47, 0x67, 0x77, 0x5A, 0x4D, 0x02, 0x0C, 0x1A, 0x00,
                ][(s % 12) as usize]
                    ^ if s & 0x100 == 0 { 0 } else { (s >> 16) as u8 }
            })
            .collect();
        for model in [
            None,
            Model::by_name("QL-820NWB"),
            Model::by_name("PT-P750W"),
        ] {
            let mut d = Decoder::new(DecoderOptions { model });
            let _ = d.push(&bytes).and_then(|()| d.finish());
            while d.next_event().is_some() {}
        }
    }
}
