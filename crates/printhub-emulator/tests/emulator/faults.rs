//! Injected faults: each one makes the printer answer as the real one does
//! (an error status block, a closed or silent connection, late or garbled
//! blocks), records nothing it would not print, and can be cleared.

use crate::support::*;
use printhub_emulator::{Emulator, EmulatorConfig, Fault, FaultKind, Speed};
use printhub_raster::{
    CutMode, Decoder, DecoderOptions, ErrorFlags, JobOptions, Model, Notification, Phase, Status,
    StatusType,
};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Sends a one-label job, expects an error block with `flags`, and checks the records.
fn expect_job_refused(
    emulator: &printhub_emulator::EmulatorHandle,
    media: &str,
    flags: ErrorFlags,
    code: &str,
) {
    let mut stream = send(emulator, &simple_job(emulator.model().name, media));
    expect_error(&mut stream, flags);
    expect_silence(&mut stream);
    expect_recorded_error(emulator, code);
    assert!(emulator.pages().is_empty());
}

/// Sends a one-label job on a new connection and expects it printed.
fn expect_job_prints(emulator: &printhub_emulator::EmulatorHandle, media: &str) {
    let before = emulator.pages().len();
    let mut stream = send(emulator, &simple_job(emulator.model().name, media));
    expect_printed(&mut stream);
    assert!(emulator.wait_for_pages(before + 1, TIMEOUT));
}

#[test]
fn no_media() {
    let emulator = start("PT-P750W", "tze-12");
    emulator.set_fault(Fault::NoMedia);
    assert_eq!(emulator.status().errors, ErrorFlags::NO_MEDIA);
    assert_eq!(emulator.status().media_width_mm, 0);
    expect_job_refused(&emulator, "tze-12", ErrorFlags::NO_MEDIA, "no_media");
    emulator.clear_fault(FaultKind::NoMedia);
    assert_eq!(emulator.media().map(|m| m.id), Some("tze-12"));
    expect_job_prints(&emulator, "tze-12");
}

#[test]
fn cover_open() {
    let emulator = start("QL-820NWB", "dk-62");
    emulator.set_fault(Fault::CoverOpen);
    expect_job_refused(
        &emulator,
        "dk-62",
        ErrorFlags::COVER_OPEN,
        "printer_cover_open",
    );
    assert!(emulator.status().errors.contains(ErrorFlags::COVER_OPEN));
    emulator.clear_fault(FaultKind::CoverOpen);
    expect_job_prints(&emulator, "dk-62");
}

#[test]
fn cover_opened_between_two_pages_fails_the_second() {
    let emulator = start("PT-P750W", "tze-12");
    let (_, bytes) = job("PT-P750W", "tze-12", JobOptions::default(), 2, 100);
    let model = Model::by_name("PT-P750W");
    let (_, pages) = Decoder::decode_all(DecoderOptions { model }, &bytes).expect("valid job");
    let split = pages[0].end_offset as usize + 1;

    let mut stream = send(&emulator, &bytes[..split]);
    expect_printed(&mut stream);
    emulator.set_fault(Fault::CoverOpen);
    stream.write_all(&bytes[split..]).expect("send");
    expect_error(&mut stream, ErrorFlags::COVER_OPEN);
    expect_recorded_error(&emulator, "printer_cover_open");
    assert_eq!(emulator.pages().len(), 1);
    assert_eq!(emulator.errors()[0].job, 1);
}

#[test]
fn media_mismatch_after_a_tape_change() {
    let emulator = start("PT-P750W", "tze-12");
    emulator.set_media(Some("tze-24")).expect("fits");
    expect_job_refused(
        &emulator,
        "tze-12",
        ErrorFlags::WRONG_MEDIA,
        "media_mismatch",
    );
    expect_job_prints(&emulator, "tze-24");
}

#[test]
fn cutter_jam_fires_at_the_next_cut() {
    let emulator = start("PT-P750W", "tze-12");
    emulator.set_fault(Fault::CutterJam);
    // A page that never cuts prints; the jam waits for a cut.
    let (_, uncut) = job(
        "PT-P750W",
        "tze-12",
        JobOptions::default().cut(CutMode::None),
        1,
        100,
    );
    let mut stream = send(&emulator, &uncut);
    expect_printed(&mut stream);
    drop(stream);
    assert_eq!(emulator.status().errors, ErrorFlags::empty());

    let mut stream = send(&emulator, &simple_job("PT-P750W", "tze-12"));
    expect_error(&mut stream, ErrorFlags::CUTTER_JAM);
    expect_recorded_error(&emulator, "cutter_jam");
    assert_eq!(emulator.pages().len(), 1);
    assert_eq!(emulator.status().errors, ErrorFlags::CUTTER_JAM);
    drop(stream);
    // The jam stays until cleared: the next job is refused at once.
    let mut stream = send(&emulator, &simple_job("PT-P750W", "tze-12"));
    expect_error(&mut stream, ErrorFlags::CUTTER_JAM);
    drop(stream);
    emulator.clear_fault(FaultKind::CutterJam);
    expect_job_prints(&emulator, "tze-12");
}

#[test]
fn turned_off_refuses_connections_and_closes_the_open_one() {
    let emulator =
        Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12").with_snmp()).expect("starts");
    let mut open = connect(&emulator);
    emulator.set_fault(Fault::TurnedOff);
    expect_closed(&mut open);
    assert!(
        TcpStream::connect(emulator.tcp_addr()).is_err(),
        "connections are refused"
    );
    let snmp_addr = emulator.snmp_addr().expect("snmp runs");
    let mut session =
        snmp2::SyncSession::new_v2c(snmp_addr, b"public", Some(SILENCE), 0).expect("client");
    let sys_descr = snmp2::Oid::from(
        printhub_emulator::oid::SYS_DESCR
            .iter()
            .map(|&a| u64::from(a))
            .collect::<Vec<_>>()
            .as_slice(),
    )
    .expect("oid");
    assert!(session.get(&sys_descr).is_err(), "SNMP is silent");
    assert!(emulator.pages().is_empty() && emulator.errors().is_empty());

    emulator.clear_fault(FaultKind::TurnedOff);
    expect_job_prints(&emulator, "tze-12");
    let mut session =
        snmp2::SyncSession::new_v2c(snmp_addr, b"public", Some(TIMEOUT), 0).expect("client");
    assert!(session.get(&sys_descr).is_ok(), "SNMP answers again");
}

#[test]
fn connection_dropped_after_n_bytes() {
    let emulator = start("QL-820NWB", "dk-62");
    emulator.set_fault(Fault::DropAfter(500));
    let mut stream = connect(&emulator);
    // The printer may close before the whole job is written; the write error is expected.
    let _ = stream.write_all(&simple_job("QL-820NWB", "dk-62"));
    expect_closed(&mut stream);
    assert_eq!(expect_recorded_error(&emulator, "connection_dropped"), 500);
    assert!(emulator.pages().is_empty());
    // The fault fires once; the next connection prints.
    assert!(emulator.faults().is_empty());
    expect_job_prints(&emulator, "dk-62");
}

#[test]
fn hang_stops_reading_until_cleared() {
    let emulator = start("PT-P750W", "tze-12");
    emulator.set_fault(Fault::Hang);
    let mut stream = send(&emulator, &simple_job("PT-P750W", "tze-12"));
    expect_silence(&mut stream);
    assert!(emulator.pages().is_empty());
    emulator.clear_fault(FaultKind::Hang);
    expect_printed(&mut stream);
    assert!(emulator.wait_for_pages(1, TIMEOUT));
}

#[test]
fn offline_takes_no_job_until_back_online() {
    // Only the standard printer MIB can say "offline" (RFC 2790); Brother's block is unchanged.
    let emulator = start("PT-P750W", "tze-12");
    emulator.set_fault(Fault::Offline);
    assert!(emulator.status().errors.is_empty());
    let mut stream = send(&emulator, &simple_job("PT-P750W", "tze-12"));
    expect_silence(&mut stream);
    assert!(emulator.pages().is_empty());
    assert!(emulator.errors().is_empty());
    emulator.clear_fault(FaultKind::Offline);
    expect_printed(&mut stream);
    assert!(emulator.wait_for_pages(1, TIMEOUT));
}

#[test]
fn a_system_error_refuses_every_page_until_cleared() {
    // Error information 2 bit 7, "system error" (brother-raster.md §7): the printer needs
    // service.
    let emulator = start("QL-820NWB", "dk-62");
    emulator.set_fault(Fault::SystemError);
    assert_eq!(emulator.status().errors, ErrorFlags::SYSTEM);
    expect_job_refused(&emulator, "dk-62", ErrorFlags::SYSTEM, "system_error");
    emulator.clear_fault(FaultKind::SystemError);
    assert!(emulator.status().errors.is_empty());
    expect_job_prints(&emulator, "dk-62");
}

#[test]
fn slow_status_delays_every_block() {
    let emulator = start("PT-P750W", "tze-12");
    let delay = Duration::from_millis(150);
    emulator.set_fault(Fault::SlowStatus(delay));
    let started = Instant::now();
    let mut stream = send(&emulator, &Raw::start(100).status_request().0);
    assert_eq!(read_status(&mut stream).status_type, StatusType::Reply);
    assert!(started.elapsed() >= delay);
    let started = Instant::now();
    stream
        .write_all(&simple_job("PT-P750W", "tze-12"))
        .expect("send");
    expect_printed(&mut stream);
    assert!(started.elapsed() >= 3 * delay, "three blocks, each late");
}

#[test]
fn garbled_status_blocks_do_not_parse() {
    let emulator = start("PT-P750W", "tze-12");
    emulator.set_fault(Fault::GarbledStatus);
    let mut stream = send(&emulator, &Raw::start(100).status_request().0);
    let block = read_block(&mut stream);
    assert_ne!(&block[..3], &[0x80, 0x20, 0x42]);
    assert_eq!(
        Status::parse(&block).map_err(|e| e.code()),
        Err("status_header")
    );
    // Only the reports are garbled: the page itself prints, with three garbled blocks.
    stream
        .write_all(&simple_job("PT-P750W", "tze-12"))
        .expect("send");
    for _ in 0..3 {
        assert!(Status::parse(&read_block(&mut stream)).is_err());
    }
    assert!(emulator.wait_for_pages(1, TIMEOUT));
    drop(stream);
    emulator.clear_fault(FaultKind::GarbledStatus);
    expect_job_prints(&emulator, "tze-12");
}

#[test]
fn end_of_media_after_n_labels() {
    let emulator = start("QL-820NWB", "dk-29x90");
    emulator.set_fault(Fault::EndOfMediaAfter(1));
    let (_, bytes) = job("QL-820NWB", "dk-29x90", JobOptions::default(), 2, 0);
    let mut stream = send(&emulator, &bytes);
    expect_printed(&mut stream);
    expect_error(&mut stream, ErrorFlags::END_OF_MEDIA);
    expect_recorded_error(&emulator, "end_of_media");
    assert_eq!(emulator.pages().len(), 1);
    assert_eq!(emulator.status().errors, ErrorFlags::END_OF_MEDIA);
    drop(stream);
    let mut stream = send(&emulator, &simple_job("QL-820NWB", "dk-29x90"));
    expect_error(&mut stream, ErrorFlags::END_OF_MEDIA);
    drop(stream);
    emulator.clear_fault(FaultKind::EndOfMedia);
    expect_job_prints(&emulator, "dk-29x90");
}

#[test]
fn real_speed_takes_the_page_length_over_the_model_speed() {
    let config = EmulatorConfig::new("PT-P750W", "tze-12").speed(Speed::Real);
    let emulator = Emulator::start(config).expect("starts");
    // 180 lines at 180 dpi = 25.4 mm; at 30 mm/s that is about 0.85 s.
    let (_, bytes) = job("PT-P750W", "tze-12", JobOptions::default(), 1, 180);
    let started = Instant::now();
    let mut stream = send(&emulator, &bytes);
    assert_eq!(
        read_status(&mut stream).status_type,
        StatusType::PhaseChange
    );
    assert_eq!(
        read_status(&mut stream).status_type,
        StatusType::PrintingCompleted
    );
    assert!(
        started.elapsed() >= Duration::from_millis(840),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn cooling_is_notified_around_the_next_page_only() {
    let emulator = start("QL-820NWB", "dk-62");
    emulator.set_fault(Fault::Cooling(Duration::from_millis(50)));
    let mut stream = send(&emulator, &simple_job("QL-820NWB", "dk-62"));
    // §5.2 item 5, §7 byte 22: cooling started (03) and finished (04) are type 05
    // notifications; the page completes after them.
    let seen: Vec<(StatusType, Notification, Phase)> = (0..5)
        .map(|_| {
            let s = read_status(&mut stream);
            (s.status_type, s.notification, s.phase)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (StatusType::PhaseChange, Notification::None, Phase::Printing),
            (
                StatusType::Notification,
                Notification::CoolingStarted,
                Phase::Printing
            ),
            (
                StatusType::Notification,
                Notification::CoolingFinished,
                Phase::Printing
            ),
            (
                StatusType::PrintingCompleted,
                Notification::None,
                Phase::Printing
            ),
            (
                StatusType::PhaseChange,
                Notification::None,
                Phase::Receiving
            ),
        ]
    );
    assert!(emulator.wait_for_pages(1, TIMEOUT));
    assert!(emulator.faults().is_empty(), "it fires once");
    drop(stream);
    expect_job_prints(&emulator, "dk-62");
}
