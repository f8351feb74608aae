//! Status on TCP: PT models answer a standalone `ESC i S`, QL models do not
//! (brother-raster.md §5.3); the reply follows the loaded medium and the
//! printer's conditions.

use crate::support::*;
use printhub_raster::{ErrorFlags, Phase, Readiness, StatusType};

#[test]
fn pt_p750w_answers_a_status_request() {
    let emulator = start("PT-P750W", "tze-12");
    let mut stream = send(&emulator, &Raw::start(100).status_request().0);
    let status = read_status(&mut stream);
    assert_eq!(status.status_type, StatusType::Reply);
    assert_eq!(status.phase, Phase::Receiving);
    assert_eq!(status.readiness(), Readiness::Ready);
    assert_eq!(status.model().map(|m| m.name), Some("PT-P750W"));
    assert_eq!(status.media().map(|m| m.id), Some("tze-12"));
    assert_eq!(status, emulator.status());
    expect_silence(&mut stream);
}

#[test]
fn pt_p900w_answers_a_bare_status_request() {
    // Label-Printer-Hub's hardware notes: no invalidate or initialise needed first.
    let emulator = start("PT-P900W", "tze-24");
    let mut stream = send(&emulator, &Raw::default().status_request().0);
    let status = read_status(&mut stream);
    assert_eq!(status.status_type, StatusType::Reply);
    assert_eq!(status.media_width_mm, 24);
}

#[test]
fn ql_820nwb_does_not_answer_but_still_prints() {
    let emulator = start("QL-820NWB", "dk-62");
    let mut stream = send(&emulator, &Raw::start(400).status_request().0);
    expect_silence(&mut stream);
    // The connection is alive: a job on it prints and reports its phases.
    use std::io::Write;
    stream
        .write_all(&simple_job("QL-820NWB", "dk-62"))
        .expect("send");
    expect_printed(&mut stream);
    assert!(emulator.wait_for_pages(1, TIMEOUT));
}

#[test]
fn the_reply_follows_a_tape_change_and_an_empty_printer() {
    let emulator = start("PT-P750W", "tze-12");
    emulator
        .set_media(Some("tze-24"))
        .expect("the P750W takes 24 mm");
    let mut stream = send(&emulator, &Raw::default().status_request().0);
    assert_eq!(
        read_status(&mut stream).media().map(|m| m.id),
        Some("tze-24")
    );

    emulator.set_media(None).expect("empty");
    use std::io::Write;
    stream
        .write_all(&Raw::default().status_request().0)
        .expect("send");
    let status = read_status(&mut stream);
    assert_eq!(status.media_width_mm, 0);
    assert_eq!(status.errors, ErrorFlags::NO_MEDIA);
    assert!(emulator.media().is_none());

    let refused = emulator
        .set_media(Some("tze-36"))
        .expect_err("36 mm does not fit");
    assert_eq!(refused.code(), "unsupported_media");
    assert_eq!(
        emulator.set_media(Some("dk-99")).map_err(|e| e.code()),
        Err("unknown_media")
    );
}

#[test]
fn the_reply_echoes_the_last_various_mode() {
    let emulator = start("PT-P750W", "tze-12");
    let bytes = Raw::start(100)
        .bytes(&[0x1B, b'i', b'M', 0x40])
        .status_request()
        .0;
    let mut stream = send(&emulator, &bytes);
    assert_eq!(read_status(&mut stream).mode, 0x40);
}
