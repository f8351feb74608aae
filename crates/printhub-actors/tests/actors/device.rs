//! USB printers: the engine against the emulator's pseudo-device (a raw pty
//! linked where `/dev/usb/lp0` would be), with the link behaviours of TCP —
//! confirmation, wrong media, unplug mid-job, replug — and a device the hub
//! may not open.

use super::support::*;
use printhub_actors::{
    Hub, HubConfig, HubHandle, LinkConfig, MemoryStore, PrintRequest, PrinterConfig, TcpTimeouts,
};
use printhub_core::{Event, JobState, MachineConfig, PrinterState};
use printhub_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Fault, FaultKind, Speed};
use printhub_raster::{Bitmap, Label};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn hub() -> HubHandle {
    let config = HubConfig {
        machine: MachineConfig {
            stopped_poll_ms: 50,
            backoff_initial_ms: 50,
            backoff_max_ms: 200,
            ..MachineConfig::default()
        },
        tcp: TcpTimeouts {
            connect: Duration::from_secs(2),
            write: Duration::from_secs(5),
            confirm: TcpTimeouts::default().confirm,
        },
        link: LinkConfig {
            probe_interval: Duration::from_secs(60),
            preflight_max_age: Duration::ZERO,
        },
        ..HubConfig::default()
    };
    Hub::start(config, Arc::new(MemoryStore::default()))
}

/// A USB-only QL-700 with a 62 mm roll, as a pseudo-device linked at `dir/lp0`.
fn ql700(dir: &Path, speed: Speed) -> EmulatorHandle {
    let config = EmulatorConfig::new("QL-700", "dk-62")
        .speed(speed)
        .device_link(dir.join("lp0"));
    Emulator::start(config).expect("emulator")
}

fn ql700_printer(device: &Path) -> PrinterConfig {
    let mut config = pt_printer("ql", &device.display().to_string());
    config.model = "QL-700".into();
    config.media = "dk-62".into();
    config
}

/// A 62 mm label `lines` long.
fn label(lines: usize) -> PrintRequest {
    PrintRequest::new(Label::black(Bitmap::from_fn(696, lines, |x, y| {
        x == y % 696
    })))
}

fn is_offline(e: &Event) -> bool {
    matches!(e, Event::PrinterStateChanged(c) if matches!(c.to, PrinterState::Offline { .. }))
}

#[actix::test]
async fn a_usb_printer_prints_through_its_device_with_confirmation() {
    let dir = tempfile::tempdir().expect("dir");
    let emu = ql700(dir.path(), Speed::Instant);
    let device = emu.device_link().expect("linked").to_path_buf();
    let hub = hub();
    hub.add_printer(ql700_printer(&device))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let job = hub.submit("ql", label(150)).await.expect("submitted");
    assert_eq!(
        wait_terminal(&mut events, &[job.id]).await,
        [(job.id, JobState::Completed)]
    );
    assert!(
        hub.job(job.id).await.expect("job").confirmed,
        "the printer's per-page status blocks came back through the device"
    );
    assert_eq!(emu.pages().len(), 1);
    let info = hub.printer("ql").await.expect("printer");
    // A QL answers ESC i S over USB (not on TCP): the probe read the loaded roll.
    assert_eq!(info.status.source.as_deref(), Some("device"));
    assert_eq!(info.status.media.as_deref(), Some("dk-62"));
}

#[actix::test]
async fn wrong_media_in_a_usb_printer_stops_it_until_the_roll_is_changed() {
    let dir = tempfile::tempdir().expect("dir");
    let emu = ql700(dir.path(), Speed::Instant);
    emu.set_media(Some("dk-29")).expect("a 29 mm roll");
    let device = emu.device_link().expect("linked").to_path_buf();
    let hub = hub();
    hub.add_printer(ql700_printer(&device))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let job = hub.submit("ql", label(100)).await.expect("submitted");
    wait_for(
        &mut events,
        |e| matches!(e, Event::PrinterStateChanged(c) if c.to.reason() == Some("media_mismatch")),
    )
    .await;
    assert_eq!(hub.job(job.id).await.expect("job").state, JobState::Queued);
    assert!(emu.pages().is_empty());
    emu.set_media(Some("dk-62")).expect("roll change");
    assert_eq!(
        wait_terminal(&mut events, &[job.id]).await,
        [(job.id, JobState::Completed)]
    );
    assert_eq!(emu.pages().len(), 1);
}

#[actix::test]
async fn unplugged_mid_job_is_interrupted_and_queued_jobs_print_when_plugged_back() {
    let dir = tempfile::tempdir().expect("dir");
    // Real speed: a label of 3000 lines (about 25 cm) takes seconds to print, so the
    // printer is unplugged while it prints.
    let emu = ql700(dir.path(), Speed::Real);
    let device = emu.device_link().expect("linked").to_path_buf();
    let hub = hub();
    hub.add_printer(ql700_printer(&device))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let long = hub.submit("ql", label(3000)).await.expect("submitted");
    // The job reached the printer: the emulator has its bytes.
    poll_until(|| emu.connections().iter().any(|c| c.bytes > 10_000)).await;
    emu.set_fault(Fault::TurnedOff);
    assert!(!device.exists(), "the device is gone");
    assert_eq!(
        wait_terminal(&mut events, &[long.id]).await,
        [(long.id, JobState::Interrupted)],
        "unknown outcome: never silently reprinted"
    );
    let queued = hub.submit("ql", label(50)).await.expect("submitted");
    wait_for(&mut events, is_offline).await;
    let info = hub.printer("ql").await.expect("printer");
    assert_eq!(info.status.reason.as_deref(), Some("device_missing"));
    assert_eq!(
        hub.job(queued.id).await.expect("job").state,
        JobState::Queued
    );
    emu.clear_fault(FaultKind::TurnedOff);
    assert!(device.exists(), "plugged back in");
    assert_eq!(
        wait_terminal(&mut events, &[queued.id]).await,
        [(queued.id, JobState::Completed)]
    );
    assert_eq!(
        emu.pages().len(),
        1,
        "only the label after the replug printed"
    );
}

#[actix::test]
async fn a_device_the_hub_may_not_open_is_offline_with_the_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let device = dir.path().join("lp0");
    std::fs::write(&device, b"").expect("a device file");
    std::fs::set_permissions(&device, std::os::unix::fs::PermissionsExt::from_mode(0o000))
        .expect("no access");
    // Root opens anything: the hub's threads (made from this one) run as nobody.
    let root = rustix::process::geteuid().is_root();
    if root {
        rustix::thread::set_thread_res_uid(
            None::<rustix::process::Uid>,
            Some(rustix::process::Uid::from_raw(65534)),
            None::<rustix::process::Uid>,
        )
        .expect("drop to nobody");
    }
    let hub = hub();
    hub.add_printer(ql700_printer(&device))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let job = hub.submit("ql", label(50)).await.expect("submitted");
    wait_for(&mut events, is_offline).await;
    let info = hub.printer("ql").await.expect("printer");
    if root {
        rustix::thread::set_thread_res_uid(
            None::<rustix::process::Uid>,
            Some(rustix::process::Uid::ROOT),
            None::<rustix::process::Uid>,
        )
        .expect("back to root");
    }
    assert!(matches!(info.state, PrinterState::Offline { .. }));
    assert_eq!(
        info.status.reason.as_deref(),
        Some("device_permission_denied")
    );
    assert_eq!(hub.job(job.id).await.expect("job").state, JobState::Queued);
}

/// A job the printer refuses mid-stream is discarded, and the next job on the same
/// device (no connection in between) is decoded from its own start.
#[actix::test]
async fn after_a_refused_job_the_next_one_on_the_device_prints() {
    let dir = tempfile::tempdir().expect("dir");
    let emu = ql700(dir.path(), Speed::Instant);
    emu.set_fault(Fault::EndOfMediaAfter(1));
    let device = emu.device_link().expect("linked").to_path_buf();
    let hub = hub();
    hub.add_printer(ql700_printer(&device))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let mut ids = Vec::new();
    for lines in [100, 110, 120] {
        ids.push(hub.submit("ql", label(lines)).await.expect("submitted").id);
    }
    wait_for(
        &mut events,
        |e| matches!(e, Event::PrinterStateChanged(c) if c.to.reason() == Some("end_of_media")),
    )
    .await;
    assert_eq!(emu.pages().len(), 1);
    assert!(!emu.errors().is_empty(), "the second job was refused");
    emu.clear_fault(FaultKind::EndOfMedia);
    let done = wait_terminal(&mut events, &ids[1..]).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    assert_eq!(emu.pages().len(), 3, "no job lost, none twice");
}
