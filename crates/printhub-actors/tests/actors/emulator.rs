//! The engine against emulated printers over real TCP on loopback.

use super::support::*;
use printhub_actors::{Hub, HubConfig, HubHandle, MemoryStore, PrinterConfig};
use printhub_core::{Event, JobState, PrinterState};
use printhub_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Speed};
use printhub_raster::{Bitmap, Label};
use std::sync::Arc;

fn emulator(model: &str, media: &str, speed: Speed) -> EmulatorHandle {
    Emulator::start(EmulatorConfig::new(model, media).speed(speed)).expect("emulator")
}

fn hub() -> HubHandle {
    Hub::start(HubConfig::default(), Arc::new(MemoryStore::default()))
}

#[actix::test]
async fn many_jobs_to_two_printers_arrive_in_order_exactly_once() {
    let a = emulator("PT-P750W", "tze-12", Speed::Instant);
    let b = emulator("PT-P750W", "tze-12", Speed::Instant);
    let hub = hub();
    hub.add_printer(pt_printer("a", &a.tcp_addr().to_string()))
        .await
        .expect("a");
    hub.add_printer(pt_printer("b", &b.tcp_addr().to_string()))
        .await
        .expect("b");
    let mut events = hub.subscribe();
    const N: usize = 25;
    // Interleave submissions to both printers.
    let mut ids = Vec::new();
    for i in 0..N {
        ids.push(hub.submit("a", request(i)).await.expect("a").id);
        ids.push(hub.submit("b", request(100 + i)).await.expect("b").id);
    }
    let done = wait_terminal(&mut events, &ids).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    for (emu, first) in [(&a, 0), (&b, 100)] {
        let pages = emu.pages();
        assert_eq!(pages.len(), N, "each job exactly once");
        for (i, page) in pages.iter().enumerate() {
            assert_eq!(
                page.black,
                marked_label(first + i).black,
                "page {i} in submission order"
            );
        }
        assert!(emu.errors().is_empty(), "{:?}", emu.errors());
    }
    let job = hub.job(ids[0]).await.expect("job");
    assert!(job.confirmed, "the emulator confirms printing-completed");
}

#[actix::test]
async fn pause_and_list_are_answered_during_a_real_speed_print() {
    // 1000 lines on a PT-P750W at real speed: about 4.7 s of printing per copy, far
    // more than answering takes even on a loaded machine.
    let emu = emulator("PT-P750W", "tze-12", Speed::Real);
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let label = Label::black(Bitmap::from_fn(70, 1000, |x, y| (x + y) % 9 == 0));
    let job = hub
        .submit("pt", printhub_actors::PrintRequest::new(label).copies(3))
        .await
        .expect("submitted");
    wait_for(&mut events, |e| matches!(e, Event::JobStateChanged(c) if c.job_id == job.id && c.to == JobState::Printing)).await;
    assert!(!hub
        .list_jobs(Default::default())
        .await
        .expect("list")
        .is_empty());
    let paused = hub.pause_printer("pt").await.expect("pause while printing");
    // Answered without waiting for the copy: the printer has not finished it yet.
    assert!(emu.pages().is_empty(), "answered while printing");
    assert_eq!(
        paused.printing,
        Some(job.id),
        "the current copy is still printing"
    );
    assert_eq!(paused.state, PrinterState::Paused);
    wait_for(&mut events, |e| matches!(e, Event::JobStateChanged(c) if c.job_id == job.id && c.to == JobState::Queued)).await;
    let job = hub.job(job.id).await.expect("job");
    assert_eq!(
        (job.state, job.copies_printed),
        (JobState::Queued, 1),
        "the copy in flight finished, nothing more"
    );
    assert_eq!(emu.pages().len(), 1);
}

#[actix::test]
async fn wrong_media_stops_the_printer_and_the_job_waits() {
    let emu = emulator("PT-P750W", "tze-12", Speed::Instant);
    let hub = hub();
    let mut config: PrinterConfig = pt_printer("pt", &emu.tcp_addr().to_string());
    config.media = "tze-24".into();
    hub.add_printer(config).await.expect("added");
    let mut events = hub.subscribe();
    let label = Label::black(Bitmap::from_fn(128, 40, |x, _| x == 3));
    let job = hub
        .submit("pt", printhub_actors::PrintRequest::new(label))
        .await
        .expect("submitted");
    wait_for(&mut events, |e| matches!(e, Event::PrinterStateChanged(c) if matches!(c.to, PrinterState::Stopped { .. }))).await;
    assert_eq!(
        hub.printer("pt").await.expect("printer").state.reason(),
        Some("media_mismatch")
    );
    assert_eq!(
        hub.job(job.id).await.expect("job").state,
        JobState::Queued,
        "nothing failed"
    );
    assert!(emu.pages().is_empty());
    // The user loads 24 mm tape and resumes.
    emu.set_media(Some("tze-24")).expect("tape change");
    hub.resume_printer("pt").await.expect("resume");
    assert_eq!(
        wait_terminal(&mut events, &[job.id]).await,
        [(job.id, JobState::Completed)]
    );
    assert_eq!(emu.pages().len(), 1);
}

#[actix::test]
async fn an_unreachable_printer_goes_offline_and_keeps_its_jobs() {
    // Bind and drop a listener to get a loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let hub = hub();
    hub.add_printer(pt_printer("pt", &format!("127.0.0.1:{port}")))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let job = hub.submit("pt", request(1)).await.expect("submitted");
    wait_for(&mut events, |e| matches!(e, Event::PrinterStateChanged(c) if matches!(c.to, PrinterState::Offline { .. }))).await;
    assert_eq!(hub.job(job.id).await.expect("job").state, JobState::Queued);
}
