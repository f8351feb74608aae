//! The printer link against emulator faults: preflight, status channels
//! (ESC i S on PT, SNMP on QL), recovery by itself, and what happens to the
//! job in flight. No job is lost or printed twice.

use super::support::*;
use printhub_actors::{
    Hub, HubConfig, HubHandle, LinkConfig, MemoryStore, PrintRequest, PrinterConfig, TcpTimeouts,
};
use printhub_core::{Event, JobId, JobState, MachineConfig, PrinterState};
use printhub_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Fault, FaultKind, Speed};
use printhub_raster::Command;
use printhub_raster::{Bitmap, Label};
use std::sync::Arc;
use std::time::Duration;

/// A hub that re-checks stopped printers quickly. The printer gets the default
/// 30 s to answer: an emulator on a loaded machine can be late by far more than
/// it takes, and a late answer must not read as silence (a send would be
/// `interrupted`, a probe would learn no media).
fn hub() -> HubHandle {
    hub_with_confirm(TcpTimeouts::default().confirm)
}

/// The same, giving up on silence after `confirm`: for the tests where silence is
/// the scenario.
fn hub_with_confirm(confirm: Duration) -> HubHandle {
    let config = HubConfig {
        machine: MachineConfig {
            stopped_poll_ms: 50,
            backoff_initial_ms: 50,
            backoff_max_ms: 200,
            ..MachineConfig::default()
        },
        tcp: TcpTimeouts {
            connect: Duration::from_secs(2),
            write: Duration::from_secs(2),
            confirm,
        },
        link: LinkConfig {
            probe_interval: Duration::from_secs(60),
            preflight_max_age: Duration::ZERO,
        },
        ..HubConfig::default()
    };
    Hub::start(config, Arc::new(MemoryStore::default()))
}

fn pt(speed: Speed) -> EmulatorHandle {
    Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12").speed(speed)).expect("emulator")
}

async fn stopped_with(events: &mut printhub_actors::EventStream, reason: &str) {
    wait_for(
        events,
        |e| matches!(e, Event::PrinterStateChanged(c) if c.to.reason() == Some(reason)),
    )
    .await;
}

async fn state_of(hub: &HubHandle, id: JobId) -> JobState {
    hub.job(id).await.expect("job").state
}

#[actix::test]
async fn preflight_catches_wrong_tape_and_the_queue_continues_when_it_is_changed() {
    let emu = pt(Speed::Instant);
    let hub = hub();
    let mut config: PrinterConfig = pt_printer("pt", &emu.tcp_addr().to_string());
    config.media = "tze-24".into();
    hub.add_printer(config).await.expect("added");
    let mut events = hub.subscribe();
    let label = Label::black(Bitmap::from_fn(128, 40, |x, _| x == 5));
    let job = hub
        .submit("pt", PrintRequest::new(label))
        .await
        .expect("submitted");
    stopped_with(&mut events, "media_mismatch").await;
    let info = hub.printer("pt").await.expect("printer");
    assert_eq!(
        info.status.media.as_deref(),
        Some("tze-12"),
        "ESC i S reports the loaded tape"
    );
    assert_eq!(info.status.expected_media.as_deref(), Some("tze-24"));
    assert_eq!(
        state_of(&hub, job.id).await,
        JobState::Queued,
        "nothing failed"
    );
    assert!(
        emu.errors().is_empty(),
        "the preflight held the job back: the printer never saw it"
    );
    // While nobody changes the tape, each re-check finds the same mismatch: the printer
    // stays stopped and the job stays queued (no printing/queued flicker on every poll).
    let status_requests = || {
        emu.connections()
            .iter()
            .map(|c| c.count(|c| *c == Command::StatusRequest))
            .sum::<usize>()
    };
    let checked = status_requests();
    poll_until(|| status_requests() >= checked + 3).await;
    hub.pause_printer("pt").await.expect("paused");
    let quiet = events_until(
        &mut events,
        |e| matches!(e, Event::PrinterStateChanged(c) if c.to == PrinterState::Paused),
    )
    .await;
    assert!(
        quiet.is_empty(),
        "re-checks that find the same wrong tape change nothing: {quiet:?}"
    );
    hub.resume_printer("pt").await.expect("resumed");
    // A person loads 24 mm tape: the printer is re-checked and continues by itself (no resume).
    emu.set_media(Some("tze-24")).expect("tape change");
    assert_eq!(
        wait_terminal(&mut events, &[job.id]).await,
        [(job.id, JobState::Completed)]
    );
    assert_eq!(emu.pages().len(), 1);
    let info = hub.printer("pt").await.expect("printer");
    assert_eq!(info.status.media.as_deref(), Some("tze-24"));
    assert_eq!(info.status.reason, None);
}

#[actix::test]
async fn cover_open_and_no_media_stop_the_printer_until_cleared() {
    for (fault, kind, reason) in [
        (Fault::CoverOpen, FaultKind::CoverOpen, "printer_cover_open"),
        (Fault::NoMedia, FaultKind::NoMedia, "no_media"),
    ] {
        let emu = pt(Speed::Instant);
        emu.set_fault(fault);
        let hub = hub();
        hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
            .await
            .expect("added");
        let mut events = hub.subscribe();
        let ids = submit_many(&hub, "pt", 0, 2).await;
        stopped_with(&mut events, reason).await;
        for id in &ids {
            assert_eq!(
                state_of(&hub, *id).await,
                JobState::Queued,
                "{reason}: jobs wait"
            );
        }
        emu.clear_fault(kind);
        let done = wait_terminal(&mut events, &ids).await;
        assert!(
            done.iter().all(|(_, s)| *s == JobState::Completed),
            "{reason}: {done:?}"
        );
        assert_eq!(emu.pages().len(), 2, "{reason}: each job exactly once");
    }
}

#[actix::test]
async fn a_connection_dropped_mid_job_interrupts_that_job_only() {
    let emu = pt(Speed::Instant);
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    emu.set_fault(Fault::DropAfter(300));
    let ids = submit_many(&hub, "pt", 0, 2).await;
    let done = wait_terminal(&mut events, &ids).await;
    assert_eq!(
        done[0],
        (ids[0], JobState::Interrupted),
        "unknown outcome: never silently reprinted"
    );
    assert_eq!(done[1], (ids[1], JobState::Completed));
    assert_eq!(emu.pages().len(), 1);
    // A user retry prints it.
    let retry = hub.retry_job(ids[0]).await.expect("retry");
    assert_eq!(
        wait_terminal(&mut events, &[retry.id]).await,
        [(retry.id, JobState::Completed)]
    );
}

#[actix::test]
async fn a_hung_printer_is_detected_and_the_job_is_interrupted() {
    let emu = pt(Speed::Instant);
    // Silence is the scenario: a short wait for it, and nothing can answer late.
    let hub = hub_with_confirm(Duration::from_millis(800));
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    emu.set_fault(Fault::Hang);
    let job = hub.submit("pt", request(1)).await.expect("submitted");
    assert_eq!(
        wait_terminal(&mut events, &[job.id]).await,
        [(job.id, JobState::Interrupted)]
    );
    assert!(emu.pages().is_empty());
}

#[actix::test]
async fn end_of_media_stops_the_printer_with_the_rest_queued() {
    let emu = pt(Speed::Instant);
    emu.set_fault(Fault::EndOfMediaAfter(2));
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let ids = submit_many(&hub, "pt", 0, 4).await;
    stopped_with(&mut events, "end_of_media").await;
    assert_eq!(emu.pages().len(), 2);
    assert_eq!(state_of(&hub, ids[2]).await, JobState::Queued);
    assert_eq!(state_of(&hub, ids[3]).await, JobState::Queued);
    emu.clear_fault(FaultKind::EndOfMedia);
    let done = wait_terminal(&mut events, &ids[2..]).await;
    assert!(done.iter().all(|(_, s)| *s == JobState::Completed));
    assert_eq!(emu.pages().len(), 4, "no job lost, none twice");
}

#[actix::test]
async fn a_printer_turned_off_goes_offline_and_prints_when_back() {
    let emu = pt(Speed::Instant);
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    emu.set_fault(Fault::TurnedOff);
    let job = hub.submit("pt", request(1)).await.expect("submitted");
    wait_for(&mut events, |e| matches!(e, Event::PrinterStateChanged(c) if matches!(c.to, PrinterState::Offline { .. }))).await;
    assert_eq!(state_of(&hub, job.id).await, JobState::Queued);
    emu.clear_fault(FaultKind::TurnedOff);
    assert_eq!(
        wait_terminal(&mut events, &[job.id]).await,
        [(job.id, JobState::Completed)]
    );
    assert_eq!(emu.pages().len(), 1);
}

#[actix::test]
async fn garbled_status_still_prints_unconfirmed() {
    let emu = pt(Speed::Instant);
    emu.set_fault(Fault::GarbledStatus);
    // The hub waits for silence after the garbled blocks; the first of them must come
    // within this on a loaded machine, or the send is a silent one (interrupted).
    let hub = hub_with_confirm(Duration::from_secs(3));
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let job = hub.submit("pt", request(1)).await.expect("submitted");
    assert_eq!(
        wait_terminal(&mut events, &[job.id]).await,
        [(job.id, JobState::Completed)]
    );
    let job = hub.job(job.id).await.expect("job");
    assert!(!job.confirmed, "the view says it was sent, not confirmed");
    // Nothing the hub saw says the page is recorded yet (the blocks were unreadable): poll.
    assert_eq!(printed(&emu, 1).await.len(), 1);
}

#[actix::test]
async fn a_ql_that_never_answers_esc_i_s_prints_with_status_from_snmp() {
    let emu =
        Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62").with_snmp()).expect("emulator");
    let hub = hub();
    let mut config = pt_printer("ql", &emu.tcp_addr().to_string());
    config.model = "QL-820NWB".into();
    config.media = "dk-62".into();
    config.snmp = emu.snmp_addr().map(|a| a.to_string());
    hub.add_printer(config).await.expect("added");
    let mut events = hub.subscribe();
    let label = Label::black(Bitmap::from_fn(696, 150, |x, y| x == y));
    let job = hub
        .submit("ql", PrintRequest::new(label))
        .await
        .expect("submitted");
    assert_eq!(
        wait_terminal(&mut events, &[job.id]).await,
        [(job.id, JobState::Completed)]
    );
    let info = hub.printer("ql").await.expect("printer");
    assert_eq!(info.status.source.as_deref(), Some("snmp"));
    assert_eq!(info.status.media.as_deref(), Some("dk-62"));
    assert!(hub.job(job.id).await.expect("job").confirmed);
    // The roll runs out: SNMP tells, the job waits, and printing resumes when it is back.
    let fault = (Fault::NoMedia, FaultKind::NoMedia, "no_media");
    a_fault_holds_the_next_label(&hub, &mut events, &emu, fault, 696).await;
    assert_eq!(emu.pages().len(), 2);
}

/// With `fault` set on the emulator, a label `width` dots wide submitted to `ql` stops
/// the printer with the fault's reason and waits queued; once the fault is cleared it
/// prints.
async fn a_fault_holds_the_next_label(
    hub: &HubHandle,
    events: &mut printhub_actors::EventStream,
    emu: &EmulatorHandle,
    (fault, kind, reason): (Fault, FaultKind, &str),
    width: usize,
) {
    emu.set_fault(fault);
    let next = hub
        .submit(
            "ql",
            PrintRequest::new(Label::black(Bitmap::from_fn(width, 150, |x, _| x == 1))),
        )
        .await
        .expect("submitted");
    stopped_with(events, reason).await;
    assert_eq!(state_of(hub, next.id).await, JobState::Queued, "{reason}");
    emu.clear_fault(kind);
    assert_eq!(
        wait_terminal(events, &[next.id]).await,
        [(next.id, JobState::Completed)]
    );
}

/// A QL-820NWB printer configured for `media`, reading status over the emulator's SNMP agent.
fn ql_printer(slug: &str, emu: &EmulatorHandle, media: &str) -> PrinterConfig {
    let mut config = pt_printer(slug, &emu.tcp_addr().to_string());
    config.model = "QL-820NWB".into();
    config.media = media.into();
    config.snmp = emu.snmp_addr().map(|a| a.to_string());
    config
}

/// A 62 mm label with red ink (a two-colour job).
fn red_and_black_label() -> Label {
    Label {
        black: Bitmap::from_fn(696, 150, |x, y| x == y),
        red: Some(Bitmap::from_fn(696, 150, |x, _| x == 10)),
    }
}

#[actix::test]
async fn a_loaded_two_colour_roll_prints_red_and_black_jobs_and_plain_ones() {
    // The status block has no two-colour field (brother-raster.md §7): a loaded
    // DK-22251 reports as the plain 62 mm roll, which is no reason to hold a job back.
    let emu = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62-red").with_snmp())
        .expect("emulator");
    let hub = hub();
    hub.add_printer(ql_printer("red", &emu, "dk-62-red"))
        .await
        .expect("added");
    hub.add_printer(ql_printer("plain", &emu, "dk-62"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let two = hub
        .submit("red", PrintRequest::new(red_and_black_label()))
        .await
        .expect("submitted");
    assert_eq!(
        wait_terminal(&mut events, &[two.id]).await,
        [(two.id, JobState::Completed)]
    );
    let info = hub.printer("red").await.expect("printer");
    assert_eq!(info.status.source.as_deref(), Some("snmp"));
    assert_eq!(
        info.status.media.as_deref(),
        Some("dk-62"),
        "what SNMP can tell"
    );
    assert_eq!(info.status.reason, None);
    assert!(hub.job(two.id).await.expect("job").confirmed);
    // A black-only job for the plain roll prints on the red/black roll too.
    let plain = hub
        .submit(
            "plain",
            PrintRequest::new(Label::black(Bitmap::from_fn(696, 150, |x, _| x == 1))),
        )
        .await
        .expect("submitted");
    assert_eq!(
        wait_terminal(&mut events, &[plain.id]).await,
        [(plain.id, JobState::Completed)]
    );
    let pages = emu.pages();
    assert_eq!(pages.len(), 2, "each job exactly once");
    assert!(pages[0].meta.two_colour && pages[0].red.is_some());
    assert!(!pages[1].meta.two_colour);
    assert!(emu.errors().is_empty(), "{:?}", emu.errors());
}

#[actix::test]
async fn a_two_colour_job_on_a_plain_roll_waits_until_the_red_roll_is_loaded() {
    // The hub cannot see the difference, the printer can: it refuses two-colour data
    // on a plain roll (WRONG_MEDIA), the printer stops and the job waits, not failed.
    let emu =
        Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62").with_snmp()).expect("emulator");
    let hub = hub();
    hub.add_printer(ql_printer("red", &emu, "dk-62-red"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let job = hub
        .submit("red", PrintRequest::new(red_and_black_label()))
        .await
        .expect("submitted");
    stopped_with(&mut events, "media_mismatch").await;
    assert_eq!(state_of(&hub, job.id).await, JobState::Queued);
    assert!(emu.pages().is_empty());
    emu.set_media(Some("dk-62-red")).expect("roll change");
    assert_eq!(
        wait_terminal(&mut events, &[job.id]).await,
        [(job.id, JobState::Completed)]
    );
    let pages = emu.pages();
    assert_eq!(pages.len(), 1, "printed once");
    assert!(pages[0].meta.two_colour);
}

#[actix::test]
async fn a_failed_snmp_read_falls_back_to_tcp_and_the_printer_still_prints() {
    // The agent answers only "public": the printer's configured community gets silence.
    // Its port 9100 works, so it is reachable and prints; the status says SNMP failed.
    for (model, media, label, source, reported) in [
        (
            "QL-820NWB",
            "dk-62",
            Label::black(Bitmap::from_fn(696, 150, |x, y| x == y)),
            "connect",
            None,
        ),
        ("PT-P750W", "tze-12", marked_label(3), "tcp", Some("tze-12")),
    ] {
        let emu = Emulator::start(EmulatorConfig::new(model, media).with_snmp()).expect("emulator");
        let hub = hub();
        let mut config = pt_printer("p", &emu.tcp_addr().to_string());
        config.model = model.into();
        config.media = media.into();
        config.snmp = emu.snmp_addr().map(|a| a.to_string());
        config.snmp_community = Some("not-the-community".into());
        hub.add_printer(config).await.expect("added");
        let mut events = hub.subscribe();
        let job = hub
            .submit("p", PrintRequest::new(label))
            .await
            .expect("submitted");
        assert_eq!(
            wait_terminal(&mut events, &[job.id]).await,
            [(job.id, JobState::Completed)],
            "{model}"
        );
        assert_eq!(emu.pages().len(), 1, "{model}: printed once");
        let status = hub.printer("p").await.expect("printer").status;
        assert!(status.reachable, "{model}: {status:?}");
        assert_eq!(status.errors, ["snmp_failed"], "{model}");
        assert_eq!(status.source.as_deref(), Some(source), "{model}");
        assert_eq!(status.media.as_deref(), reported, "{model}");
    }
}

#[actix::test]
async fn a_cutter_jam_stops_the_printer_and_the_queue_continues_once_it_is_cleared() {
    let emu = pt(Speed::Instant);
    // The cutter jams at the first page that asks for a cut (every job cuts by default).
    emu.set_fault(Fault::CutterJam);
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let ids = submit_many(&hub, "pt", 0, 3).await;
    stopped_with(&mut events, "cutter_jam").await;
    for id in &ids {
        assert_eq!(
            state_of(&hub, *id).await,
            JobState::Queued,
            "a jam needs a person: jobs wait, none fails"
        );
    }
    assert!(emu.pages().is_empty(), "the jammed page did not print");
    let errors = emu.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]
        .flags
        .contains(printhub_raster::ErrorFlags::CUTTER_JAM));
    let status = hub.printer("pt").await.expect("printer").status;
    assert_eq!(status.reason.as_deref(), Some("cutter_jam"));
    // Re-checks find the jam until a person clears it; then the queue goes on by itself.
    emu.clear_fault(FaultKind::CutterJam);
    let done = wait_terminal(&mut events, &ids).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    let marks: Vec<usize> = emu
        .pages()
        .iter()
        .map(|page| {
            (0..70)
                .find(|n| page.black == marked_label(*n).black)
                .expect("a marked label")
        })
        .collect();
    assert_eq!(marks, [0, 1, 2], "each label exactly once, in order");
    let status = hub.printer("pt").await.expect("printer").status;
    assert_eq!(status.reason, None);
}

#[actix::test]
async fn a_label_that_prints_longer_than_the_confirm_wait_is_confirmed_not_interrupted() {
    // 2000 lines of 12 mm tape feed 287 mm: 9.6 s at the PT's 30 mm/s, 1.2 s at eight
    // times that. The configured wait for a status block is far shorter; the link adds the
    // expected print time of the label in flight, so the silence while it prints is no loss.
    let emu = pt(Speed::Faster(8));
    let config = HubConfig {
        tcp: TcpTimeouts {
            connect: Duration::from_secs(2),
            write: Duration::from_secs(2),
            confirm: Duration::from_millis(200),
        },
        link: LinkConfig {
            probe_interval: Duration::from_secs(60),
            preflight_max_age: Duration::ZERO,
        },
        ..HubConfig::default()
    };
    let hub = Hub::start(config, Arc::new(MemoryStore::default()));
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let long = Label::black(Bitmap::from_fn(70, 2000, |x, y| x == y % 70));
    let job = hub
        .submit("pt", PrintRequest::new(long))
        .await
        .expect("submitted");
    assert_eq!(
        wait_terminal(&mut events, &[job.id]).await,
        [(job.id, JobState::Completed)]
    );
    assert!(hub.job(job.id).await.expect("job").confirmed);
    assert_eq!(emu.pages().len(), 1);
}

#[actix::test]
async fn a_printer_that_cools_mid_label_is_waited_for_not_interrupted() {
    // §5.2 item 5: "cooling started" ... "cooling finished" is still printing. The emulator
    // stays silent for 2 s in between, longer than this hub's wait for a 40-line label
    // (800 ms + its print time); the link waits for "cooling finished".
    let emu = pt(Speed::Instant);
    emu.set_fault(Fault::Cooling(Duration::from_secs(2)));
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let ids = submit_many(&hub, "pt", 0, 2).await;
    let done = wait_terminal(&mut events, &ids).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    for id in &ids {
        assert!(hub.job(*id).await.expect("job").confirmed);
    }
    assert_eq!(emu.pages().len(), 2, "each once");
    assert!(emu.faults().is_empty(), "the cooling happened");
}

#[actix::test]
async fn an_agent_without_the_brother_status_object_is_read_through_the_printer_mib() {
    // The standard printer MIB tells the loaded roll and what needs a person, so the
    // preflight still holds a job for another roll back before the printer sees it.
    let emu = Emulator::start(
        EmulatorConfig::new("QL-820NWB", "dk-62")
            .with_snmp()
            .without_brother_status(),
    )
    .expect("emulator");
    let hub = hub();
    hub.add_printer(ql_printer("ql", &emu, "dk-29"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let job = hub
        .submit(
            "ql",
            PrintRequest::new(Label::black(Bitmap::from_fn(306, 150, |x, y| x == y))),
        )
        .await
        .expect("submitted");
    stopped_with(&mut events, "media_mismatch").await;
    let status = hub.printer("ql").await.expect("printer").status;
    assert_eq!(status.source.as_deref(), Some("snmp_mib"));
    assert_eq!(status.media.as_deref(), Some("dk-62"));
    assert_eq!(status.expected_media.as_deref(), Some("dk-29"));
    assert!(status.errors.is_empty(), "{:?}", status.errors);
    assert_eq!(state_of(&hub, job.id).await, JobState::Queued);
    assert!(
        emu.errors().is_empty(),
        "held back before the printer saw it"
    );
    // The right roll goes in: the MIB says so and the job prints.
    emu.set_media(Some("dk-29")).expect("roll change");
    assert_eq!(
        wait_terminal(&mut events, &[job.id]).await,
        [(job.id, JobState::Completed)]
    );
    // An open cover shows as such, and the next job waits for it.
    let fault = (Fault::CoverOpen, FaultKind::CoverOpen, "printer_cover_open");
    a_fault_holds_the_next_label(&hub, &mut events, &emu, fault, 306).await;
    assert_eq!(emu.pages().len(), 2);
}

#[actix::test]
async fn an_offline_printer_or_one_asking_for_service_is_sent_nothing_until_cleared() {
    // The standard printer MIB's hrPrinterDetectedErrorState offline (bit 6) and
    // serviceRequested (bit 7) (RFC 2790) stop the printer with a reason, as the status
    // block's errors do: the job stays queued, the printer never sees it, and it prints
    // once the condition clears.
    let emu = Emulator::start(
        EmulatorConfig::new("QL-820NWB", "dk-62")
            .with_snmp()
            .without_brother_status(),
    )
    .expect("emulator");
    let hub = hub();
    hub.add_printer(ql_printer("ql", &emu, "dk-62"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let sends = || emu.connections().iter().filter(|c| c.bytes > 0).count();
    for (fault, kind, reason) in [
        (Fault::Offline, FaultKind::Offline, "printer_offline"),
        (
            Fault::SystemError,
            FaultKind::SystemError,
            "service_requested",
        ),
    ] {
        let sent = sends();
        emu.set_fault(fault);
        let job = hub
            .submit(
                "ql",
                PrintRequest::new(Label::black(Bitmap::from_fn(696, 150, |x, _| x == 1))),
            )
            .await
            .expect("submitted");
        stopped_with(&mut events, reason).await;
        let status = hub.printer("ql").await.expect("printer").status;
        assert_eq!(status.source.as_deref(), Some("snmp_mib"), "{reason}");
        assert_eq!(status.reason.as_deref(), Some(reason));
        assert!(status.reachable && !status.ready, "{reason}: {status:?}");
        assert_eq!(state_of(&hub, job.id).await, JobState::Queued, "{reason}");
        assert_eq!(
            sends(),
            sent,
            "{reason}: nothing was sent while the printer said so"
        );
        emu.clear_fault(kind);
        assert_eq!(
            wait_terminal(&mut events, &[job.id]).await,
            [(job.id, JobState::Completed)],
            "{reason}"
        );
    }
    assert_eq!(emu.pages().len(), 2, "each job exactly once");
    assert!(emu.errors().is_empty(), "{:?}", emu.errors());
}
