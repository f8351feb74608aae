//! Protocol violations: everything printhub-raster's decoder rejects, plus
//! pages longer than the model feeds and media the job does not match. Each
//! is answered with one error status block, recorded with its byte offset
//! and stable code, prints nothing, and makes the printer discard the rest
//! of the connection; the next connection starts clean.

use crate::support::*;
use printhub_raster::command::{PI_KIND, PI_LENGTH, PI_RECOVER, PI_WIDTH};
use printhub_raster::{ErrorFlags, JobOptions};
use std::io::{Read, Write};
use std::net::Shutdown;

/// Sends `bytes` to a fresh emulator and expects one `COMMUNICATION` error
/// with `code` at `offset`, no page, and silence after it.
fn check(model: &str, media: &str, bytes: &[u8], code: &str, offset: u64) {
    let emulator = start(model, media);
    let mut stream = send(&emulator, bytes);
    expect_error(&mut stream, ErrorFlags::COMMUNICATION);
    expect_silence(&mut stream);
    assert_eq!(expect_recorded_error(&emulator, code), offset, "{code}");
    assert!(emulator.pages().is_empty());
    assert!(emulator.errors()[0]
        .flags
        .contains(ErrorFlags::COMMUNICATION));
}

/// A PT-P750W page header for 12 mm tape with `lines` lines, compression on.
fn pt_page(lines: u32) -> Raw {
    Raw::start(100)
        .print_info(PI_RECOVER | PI_WIDTH, 0x00, 12, 0, lines)
        .compression(0x02)
}

#[test]
fn a_line_wider_than_the_head() {
    let raw = Raw::start(100)
        .print_info(PI_WIDTH, 0x00, 12, 0, 1)
        .compression(0x00);
    let at = raw.len();
    check(
        "PT-P750W",
        "tze-12",
        &raw.pt_line(&[0; 17]).print_feed().0,
        "line_length",
        at,
    );
}

#[test]
fn raster_data_without_print_information() {
    let raw = Raw::start(200);
    let at = raw.len();
    check(
        "QL-820NWB",
        "dk-62",
        &raw.ql_line(&[0; 90]).print_feed().0,
        "missing_print_info",
        at,
    );
}

#[test]
fn a_line_count_that_does_not_match() {
    let raw = pt_page(10).zeros(9);
    let at = raw.len();
    check(
        "PT-P750W",
        "tze-12",
        &raw.print_feed().0,
        "line_count_mismatch",
        at,
    );
}

#[test]
fn compression_on_a_model_without_it() {
    let raw = Raw::start(200).print_info(PI_WIDTH | PI_KIND, 0x0A, 62, 0, 150);
    let at = raw.len();
    check(
        "QL-700",
        "dk-62",
        &raw.compression(0x02).0,
        "compression_not_accepted",
        at,
    );
    // A job compressed for a QL-820NWB fails the same way on a QL-700.
    let emulator = start("QL-700", "dk-62");
    let mut stream = send(&emulator, &simple_job("QL-820NWB", "dk-62"));
    expect_error(&mut stream, ErrorFlags::COMMUNICATION);
    expect_recorded_error(&emulator, "compression_not_accepted");
}

#[test]
fn initialize_inside_a_chain() {
    let emulator = start("PT-P750W", "tze-12");
    let raw = pt_page(31).zeros(31).print();
    let at = raw.len();
    let mut stream = send(&emulator, &raw.bytes(&[0x1B, b'@']).0);
    // The first page ended with 0C and prints; the ESC @ after it breaks the chain.
    expect_printed(&mut stream);
    expect_error(&mut stream, ErrorFlags::COMMUNICATION);
    assert_eq!(
        expect_recorded_error(&emulator, "initialize_inside_job"),
        at
    );
    assert_eq!(emulator.pages().len(), 1);
}

#[test]
fn garbage_bytes() {
    let raw = Raw::start(100);
    let at = raw.len();
    check(
        "PT-P750W",
        "tze-12",
        &raw.bytes(&[0xFF, 0xFE]).0,
        "unknown_command",
        at,
    );
}

#[test]
fn a_page_longer_than_the_model_feeds() {
    // PT-P750W: at most 14172 lines at base resolution (brother-raster.md §2).
    let raw = pt_page(14_173).zeros(14_173);
    let at = raw.len();
    check(
        "PT-P750W",
        "tze-12",
        &raw.print_feed().0,
        "too_many_lines",
        at,
    );
}

#[test]
fn high_resolution_doubles_the_line_limit() {
    let emulator = start("PT-P750W", "tze-12");
    let bytes = pt_page(14_173).advanced(0x40).zeros(14_173).print_feed().0;
    let mut stream = send(&emulator, &bytes);
    expect_printed(&mut stream);
    assert!(emulator.wait_for_pages(1, TIMEOUT));
    assert!(emulator.pages()[0].meta.high_res);
}

#[test]
fn a_stream_that_ends_inside_a_page() {
    let emulator = start("QL-820NWB", "dk-62");
    let bytes = simple_job("QL-820NWB", "dk-62");
    let mut stream = send(&emulator, &bytes[..bytes.len() / 2]);
    // The client closes its side mid-page; the printer still answers on the half-open socket.
    stream.shutdown(Shutdown::Write).expect("half-close");
    expect_error(&mut stream, ErrorFlags::COMMUNICATION);
    expect_recorded_error(&emulator, "truncated");
    assert!(emulator.pages().is_empty());
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("closed after the error");
    assert!(rest.is_empty());
}

#[test]
fn a_two_colour_line_on_a_black_only_model() {
    let raw = Raw::start(200)
        .print_info(PI_WIDTH | PI_KIND, 0x0A, 62, 0, 1)
        .compression(0x00);
    let at = raw.len();
    let bytes = raw.bytes(&[0x77, 0x01, 90]).bytes(&[0; 90]).print_feed().0;
    check("QL-720NW", "dk-62", &bytes, "line_type", at);
}

#[test]
fn the_rest_of_the_connection_is_discarded_and_the_next_starts_clean() {
    let emulator = start("PT-P750W", "tze-12");
    let job = simple_job("PT-P750W", "tze-12");
    let mut bytes = Raw::start(100).bytes(&[0xFF]).0;
    bytes.extend_from_slice(&job);
    bytes.extend_from_slice(&Raw::default().status_request().0);
    let mut stream = send(&emulator, &bytes);
    expect_error(&mut stream, ErrorFlags::COMMUNICATION);
    // Neither the valid job nor the status request after the error is answered.
    expect_silence(&mut stream);
    stream.write_all(&job).expect("the socket stays open");
    expect_silence(&mut stream);
    assert!(emulator.pages().is_empty());
    drop(stream);

    let mut stream = send(&emulator, &job);
    expect_printed(&mut stream);
    assert!(emulator.wait_for_pages(1, TIMEOUT));
    assert_eq!(emulator.errors().len(), 1);
}

/// Media checks at the print information (brother-raster.md §1.1): flagged
/// width, kind and die-cut length must match the loaded medium.
mod media {
    use super::*;

    fn refused(model: &str, loaded: &str, bytes: &[u8], at: u64) {
        let emulator = start(model, loaded);
        let mut stream = send(&emulator, bytes);
        expect_error(&mut stream, ErrorFlags::WRONG_MEDIA);
        expect_silence(&mut stream);
        assert_eq!(expect_recorded_error(&emulator, "media_mismatch"), at);
        assert!(emulator.pages().is_empty());
    }

    #[test]
    fn another_tape_width() {
        let job = simple_job("PT-P750W", "tze-24");
        refused(
            "PT-P750W",
            "tze-12",
            &job,
            first_print_info("PT-P750W", &job),
        );
    }

    #[test]
    fn heat_shrink_job_on_tape_and_tape_job_on_heat_shrink() {
        let tube = simple_job("PT-P750W", "hs-11.7");
        refused(
            "PT-P750W",
            "tze-12",
            &tube,
            first_print_info("PT-P750W", &tube),
        );
        let ptouch_tape =
            Raw::start(100).print_info(PI_RECOVER | PI_WIDTH | PI_KIND, 0x00, 12, 0, 31);
        refused("PT-P750W", "hs-11.7", &ptouch_tape.0, 102);
    }

    #[test]
    fn ptouch_style_type_00_with_the_kind_flag_is_tape() {
        // ptouch sends n1 = 0x86 and n2 = 00 for TZe (brother-raster.md §9).
        let emulator = start("PT-P750W", "tze-12");
        let bytes = Raw::start(100)
            .print_info(PI_RECOVER | PI_WIDTH | PI_KIND, 0x00, 12, 0, 31)
            .compression(0x02)
            .zeros(31)
            .print_feed()
            .0;
        let mut stream = send(&emulator, &bytes);
        expect_printed(&mut stream);
        assert!(emulator.wait_for_pages(1, TIMEOUT));
    }

    #[test]
    fn continuous_job_on_die_cut_labels() {
        let job = simple_job("QL-820NWB", "dk-29");
        refused(
            "QL-820NWB",
            "dk-29x90",
            &job,
            first_print_info("QL-820NWB", &job),
        );
    }

    #[test]
    fn another_die_cut_length() {
        let raw = Raw::start(200).print_info(PI_WIDTH | PI_KIND | PI_LENGTH, 0x0B, 29, 42, 425);
        refused("QL-820NWB", "dk-29x90", &raw.0, 202);
    }

    #[test]
    fn two_colour_job_on_a_black_only_roll() {
        let encoder = encoder(
            "QL-820NWB",
            "dk-62-red",
            JobOptions::default().two_colour(true),
        );
        let width = encoder.geometry().printable() as usize;
        let label = printhub_raster::Label {
            black: pattern(width, 150, 0),
            red: Some(pattern(width, 150, 1)),
        };
        let bytes = encoder.encode(&[label]).expect("encodes");
        let emulator = start("QL-820NWB", "dk-62");
        let mut stream = send(&emulator, &bytes);
        expect_error(&mut stream, ErrorFlags::WRONG_MEDIA);
        expect_recorded_error(&emulator, "media_mismatch");
        assert!(emulator.pages().is_empty());
    }
}
