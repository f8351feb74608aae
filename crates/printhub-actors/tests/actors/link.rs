//! The printer link against emulator faults: preflight, status channels
//! (ESC i S on PT, SNMP on QL), recovery by itself, and what happens to the
//! job in flight. No job is lost or printed twice.

use super::support::*;
use printhub_actors::{
    Hub, HubConfig, HubHandle, LinkConfig, MemoryStore, PrintRequest, PrinterConfig, TcpTimeouts,
};
use printhub_core::{Event, JobId, JobState, MachineConfig, PrinterState};
use printhub_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Fault, FaultKind, Speed};
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
    emu.set_fault(Fault::NoMedia);
    let next = hub
        .submit(
            "ql",
            PrintRequest::new(Label::black(Bitmap::from_fn(696, 150, |x, _| x == 1))),
        )
        .await
        .expect("submitted");
    stopped_with(&mut events, "no_media").await;
    assert_eq!(state_of(&hub, next.id).await, JobState::Queued);
    emu.clear_fault(FaultKind::NoMedia);
    assert_eq!(
        wait_terminal(&mut events, &[next.id]).await,
        [(next.id, JobState::Completed)]
    );
    assert_eq!(emu.pages().len(), 2);
}
