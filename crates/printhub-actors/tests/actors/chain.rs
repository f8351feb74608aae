//! Chaining through the engine: jobs that opted in reach the emulator as one
//! stream (one connection, one job, one `ESC @`), chains stop where options
//! or media change, and a fault mid-chain loses nothing and prints nothing
//! twice (brother-raster.md §5.1, §5.2; docs/protocol-decisions.md "Chaining").

use super::support::*;
use printhub_actors::{
    Hub, HubConfig, HubHandle, LinkConfig, MemoryStore, MemoryTransport, PrintRequest,
    PrinterPatch, SendProgress, SendReport, TcpTimeouts, TransportError, TransportFactory,
};
use printhub_core::{Event, JobId, JobState, MachineConfig, PrintOptions, PrinterState};
use printhub_emulator::{
    Emulator, EmulatorConfig, EmulatorHandle, Fault, FaultKind, RecordedPage, Speed,
};
use printhub_raster::{Bitmap, Command, Label, PageEnd};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// A hub that re-checks stopped printers quickly. The printer gets the default
/// time to answer: an emulator on a loaded machine can be late by far more than
/// it takes, and a late answer must not read as silence (`interrupted`).
fn hub() -> HubHandle {
    let config = HubConfig {
        machine: MachineConfig {
            stopped_poll_ms: 50,
            backoff_initial_ms: 50,
            backoff_max_ms: 200,
            ..MachineConfig::default()
        },
        tcp: TcpTimeouts::default(),
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

/// `marked_label(n)`, opted in to chaining, cut after the label.
fn chained(n: usize) -> PrintRequest {
    with_options(request(n), true, true)
}

fn with_options(mut request: PrintRequest, cut: bool, chain: bool) -> PrintRequest {
    request.options = PrintOptions {
        cut,
        chain,
        ..PrintOptions::default()
    }
    .into();
    request
}

async fn submit_batch(hub: &HubHandle, requests: Vec<PrintRequest>) -> Vec<JobId> {
    let (_, jobs) = hub.submit_batch("pt", requests).await.expect("submitted");
    jobs.iter().map(|j| j.id).collect()
}

/// The emulator's pages grouped by the job (stream) they came in: `(job, label marks)`.
fn streams(pages: &[RecordedPage]) -> Vec<Vec<usize>> {
    let mut out: Vec<(u64, Vec<usize>)> = Vec::new();
    for page in pages {
        let mark = mark_of(page);
        match out.last_mut() {
            Some((job, marks)) if *job == page.meta.job => marks.push(mark),
            _ => out.push((page.meta.job, vec![mark])),
        }
    }
    out.into_iter().map(|(_, marks)| marks).collect()
}

/// Which `marked_label(n)` (n < 70) a page shows.
fn mark_of(page: &RecordedPage) -> usize {
    (0..70)
        .find(|n| page.black == marked_label(*n).black)
        .expect("a marked label")
}

#[actix::test]
async fn a_batch_of_ten_jobs_is_one_chain_at_the_emulator() {
    let emu = pt(Speed::Instant);
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let ids = submit_batch(&hub, (0..10).map(chained).collect()).await;
    let done = wait_terminal(&mut events, &ids).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    let pages = emu.pages();
    assert_eq!(
        streams(&pages),
        [(0..10).collect::<Vec<_>>()],
        "one job, in order"
    );
    let connection = pages[0].meta.connection;
    for (i, page) in pages.iter().enumerate() {
        assert_eq!((page.meta.connection, page.meta.page), (connection, i));
        // Cut after every label (the jobs asked for it), the last one fed and cut (§1.2, §8 check 10).
        assert!(page.meta.auto_cut && page.meta.cut_at_end, "page {i}");
        let end = if i == 9 {
            PageEnd::PrintFeed
        } else {
            PageEnd::Print
        };
        assert_eq!(page.meta.end, end, "page {i}");
    }
    let record = emu
        .connections()
        .into_iter()
        .find(|c| c.number == connection)
        .expect("the chain's connection");
    assert_eq!(
        record.count(|c| *c == Command::Initialize),
        1,
        "never ESC @ inside a chain"
    );
    assert_eq!(record.count(|c| *c == Command::Print), 9);
    assert_eq!(record.count(|c| *c == Command::PrintFeed), 1);
    assert!(emu.errors().is_empty(), "{:?}", emu.errors());
    for id in ids {
        let job = hub.job(id).await.expect("job");
        assert!(job.confirmed, "each page confirmed by the printer");
        assert_eq!(job.copies_printed, 1);
    }
}

#[actix::test]
async fn jobs_queued_on_a_paused_printer_go_as_one_chain_on_resume() {
    let emu = pt(Speed::Instant);
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    hub.pause_printer("pt").await.expect("paused");
    let mut events = hub.subscribe();
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            hub.submit("pt", chained(n).copies(2))
                .await
                .expect("queued")
                .id,
        );
    }
    hub.resume_printer("pt").await.expect("resumed");
    wait_terminal(&mut events, &ids).await;
    let marks: Vec<usize> = (0..5).flat_map(|n| [n, n]).collect();
    assert_eq!(
        streams(&emu.pages()),
        [marks],
        "copies and jobs in one chain"
    );
}

#[actix::test]
async fn chaining_stops_where_the_options_change() {
    let emu = pt(Speed::Instant);
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let requests = vec![
        chained(0),
        chained(1),
        chained(2),
        with_options(request(3), false, true),
        with_options(request(4), false, true),
        with_options(request(5), true, false),
        chained(6),
        chained(7),
    ];
    let ids = submit_batch(&hub, requests).await;
    wait_terminal(&mut events, &ids).await;
    let pages = emu.pages();
    assert_eq!(
        streams(&pages),
        [vec![0, 1, 2], vec![3, 4], vec![5], vec![6, 7]]
    );
    let by_mark: HashMap<usize, &RecordedPage> = pages.iter().map(|p| (mark_of(p), p)).collect();
    // Not cut between labels when the jobs did not ask for it; the chain's end still is.
    assert!(!by_mark[&3].meta.auto_cut && by_mark[&3].meta.end == PageEnd::Print);
    assert!(!by_mark[&4].meta.auto_cut && by_mark[&4].meta.cut_at_end);
    assert_eq!(by_mark[&4].meta.end, PageEnd::PrintFeed);
    // The job that did not opt in went as it was encoded: its own job, cut.
    assert!(by_mark[&5].meta.auto_cut && by_mark[&5].meta.cut_at_end);
    assert!(emu.errors().is_empty(), "{:?}", emu.errors());
}

#[actix::test]
async fn a_media_change_starts_a_new_chain_behind_the_preflight() {
    let emu = pt(Speed::Instant);
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    hub.pause_printer("pt").await.expect("paused");
    let mut events = hub.subscribe();
    let mut ids = vec![
        hub.submit("pt", chained(0)).await.expect("queued").id,
        hub.submit("pt", chained(1)).await.expect("queued").id,
    ];
    // The printer is now said to hold 24 mm tape: new jobs are rendered for it.
    let patch = PrinterPatch {
        media: Some("tze-24".into()),
        ..PrinterPatch::default()
    };
    hub.update_printer("pt", patch).await.expect("updated");
    let wide = |n: usize| {
        let label = Label::black(Bitmap::from_fn(128, 40, move |x, y| x == n || y == n));
        with_options(PrintRequest::new(label), true, true)
    };
    ids.push(hub.submit("pt", wide(10)).await.expect("queued").id);
    ids.push(hub.submit("pt", wide(11)).await.expect("queued").id);
    // Setting the medium held the 12 mm jobs (raw rasters cannot be laid out
    // again, issue #20); the 24 mm ones wait for their tape.
    for id in &ids[..2] {
        let job = hub.job(*id).await.expect("job");
        assert_eq!(job.state, JobState::Held);
        let error = job.error.expect("why");
        assert_eq!(error.code, "media_mismatch");
        assert_eq!(error.detail.expect("detail")["needed_media"], "tze-12");
    }
    hub.resume_printer("pt").await.expect("resumed");
    wait_for(
        &mut events,
        |e| matches!(e, Event::PrinterStateChanged(c) if c.to.reason() == Some("media_mismatch")),
    )
    .await;
    assert_eq!(hub.job(ids[2]).await.expect("job").state, JobState::Queued);
    assert!(emu.pages().is_empty(), "nothing on the wrong tape");
    emu.set_media(Some("tze-24")).expect("tape change");
    let done = wait_terminal(&mut events, &ids[2..]).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    // Back to 12 mm, set and loaded: the held jobs come back by themselves.
    emu.set_media(Some("tze-12")).expect("tape change");
    let patch = PrinterPatch {
        media: Some("tze-12".into()),
        ..PrinterPatch::default()
    };
    hub.update_printer("pt", patch).await.expect("updated");
    let done = wait_terminal(&mut events, &ids[..2]).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    let jobs: Vec<Vec<u64>> = {
        let pages = emu.pages();
        let mut jobs: Vec<Vec<u64>> = Vec::new();
        for page in &pages {
            match jobs.last_mut() {
                Some(j) if j[0] == page.meta.job => j.push(page.meta.job),
                _ => jobs.push(vec![page.meta.job]),
            }
        }
        jobs
    };
    assert_eq!(jobs.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);
    assert_eq!(emu.pages()[0].meta.media, Some("tze-24"));
    assert_eq!(emu.pages()[2].meta.media, Some("tze-12"));
}

#[actix::test]
async fn end_of_media_mid_chain_stops_and_the_rest_prints_once_after_a_new_roll() {
    let emu = pt(Speed::Instant);
    emu.set_fault(Fault::EndOfMediaAfter(4));
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let ids = submit_batch(&hub, (0..10).map(chained).collect()).await;
    wait_for(
        &mut events,
        |e| matches!(e, Event::PrinterStateChanged(c) if c.to.reason() == Some("end_of_media")),
    )
    .await;
    // What printed counts; the page the printer refused and everything after it waits, in order.
    for (i, id) in ids.iter().enumerate() {
        let expected = if i < 4 {
            JobState::Completed
        } else {
            JobState::Queued
        };
        assert_eq!(hub.job(*id).await.expect("job").state, expected, "job {i}");
    }
    let queue: Vec<JobId> = hub
        .queue("pt")
        .await
        .expect("queue")
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(queue, ids[4..]);
    emu.clear_fault(FaultKind::EndOfMedia);
    let done = wait_terminal(&mut events, &ids[4..]).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    assert_eq!(
        streams(&emu.pages()),
        [vec![0, 1, 2, 3], vec![4, 5, 6, 7, 8, 9]],
        "every label once, in order"
    );
}

#[actix::test]
async fn a_connection_dropped_mid_chain_interrupts_only_what_may_have_printed() {
    let emu = pt(Speed::Instant);
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    // Drop in the middle of the sixth label of the chain: the bytes the hub sends for
    // it are the joined stream of the ten labels.
    let model = printhub_raster::Model::by_name("PT-P750W").expect("model");
    let media = printhub_raster::Media::by_id("tze-12").expect("media");
    let encoder =
        printhub_raster::Encoder::new(model, media, printhub_raster::JobOptions::default())
            .expect("options");
    let copies: Vec<Vec<u8>> = (0..10)
        .map(|n| encoder.encode(&[marked_label(n)]).expect("encodes"))
        .collect();
    let slices: Vec<&[u8]> = copies.iter().map(Vec::as_slice).collect();
    let joined = printhub_raster::chain::join(model, media, &slices).expect("joins");
    emu.set_fault(Fault::DropAfter(joined.copies[4].end + 20));
    let ids = submit_batch(&hub, (0..10).map(chained).collect()).await;
    let done: HashMap<JobId, JobState> =
        wait_terminal(&mut events, &ids).await.into_iter().collect();
    let printed: Vec<usize> = emu.pages().iter().map(mark_of).collect();
    let mut seen = printed.clone();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen.len(),
        printed.len(),
        "no label printed twice: {printed:?}"
    );
    let interrupted: Vec<usize> = (0..10)
        .filter(|i| done[&ids[*i]] == JobState::Interrupted)
        .collect();
    for (i, id) in ids.iter().enumerate() {
        match done[id] {
            JobState::Completed => assert!(printed.contains(&i), "job {i} completed, printed once"),
            JobState::Interrupted => assert!(!printed.contains(&i), "job {i}: it was cut off"),
            other => panic!("job {i} ended {other}"),
        }
    }
    // The five labels before the drop printed and were confirmed; the one cut off (and at
    // most the one written behind it) is interrupted; the rest went again in a new chain.
    assert!(
        (0..5).all(|i| done[&ids[i]] == JobState::Completed),
        "{done:?}"
    );
    assert!(
        interrupted.contains(&5) && interrupted.len() <= 2,
        "{interrupted:?}"
    );
    assert!(
        (7..10).all(|i| done[&ids[i]] == JobState::Completed),
        "{done:?}"
    );
    assert_eq!(emu.errors().len(), 1, "the drop");
}

#[actix::test]
async fn cancel_of_a_job_not_yet_in_a_chain_keeps_it_off_the_printer() {
    // 200 lines at 180 dpi and 30 mm/s: about 0.9 s a label, so the chain is on the printer
    // while the next job is submitted and cancelled.
    let emu = pt(Speed::Real);
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    let long = |n: usize| {
        let label = Label::black(Bitmap::from_fn(70, 200, move |x, y| x == n || y == n));
        with_options(PrintRequest::new(label), true, true)
    };
    let ids = submit_batch(&hub, (0..3).map(long).collect()).await;
    wait_for(&mut events, |e| matches!(e, Event::JobStateChanged(c) if c.job_id == ids[0] && c.to == JobState::Printing)).await;
    // A job in the chain is on the printer: its cancel is refused (it prints).
    let err = hub.cancel_job(ids[1]).await.expect_err("in the chain");
    assert_eq!(err.code(), "invalid_job_state");
    // A job that is not in the chain is cancelled now and never printed.
    let late = hub.submit("pt", long(9)).await.expect("queued");
    let cancelled = hub.cancel_job(late.id).await.expect("cancelled");
    assert_eq!(cancelled.state, JobState::Cancelled);
    let done = wait_terminal(&mut events, &ids).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    let info = hub.printer("pt").await.expect("printer");
    assert_eq!(info.queue_depth, 0);
    let pages = emu.pages();
    assert_eq!(pages.len(), 3, "the cancelled job never printed");
    assert!(pages.iter().all(|p| p.meta.job == pages[0].meta.job));
    wait_for(
        &mut events,
        |e| matches!(e, Event::PrinterStateChanged(c) if c.to == PrinterState::Idle),
    )
    .await;
    assert_eq!(emu.pages().len(), 3);
}

#[actix::test]
async fn a_chain_that_fails_part_way_keeps_what_printed_and_sends_the_rest_again() {
    let transport = MemoryTransport::default();
    let t = transport.clone();
    let factory: TransportFactory = Rc::new(move |_| Ok(Box::new(t.clone())));
    let config = HubConfig {
        machine: MachineConfig {
            stopped_poll_ms: 20,
            ..MachineConfig::default()
        },
        ..HubConfig::default()
    };
    let hub = Hub::start_with(config, Arc::new(MemoryStore::default()), factory);
    hub.add_printer(pt_printer("pt", "127.0.0.1:9"))
        .await
        .expect("added");
    let mut events = hub.subscribe();
    // Three copies written, one printed, then the printer reports no tape.
    transport.push_report(SendReport {
        progress: SendProgress {
            sent: 3,
            printed: 1,
        },
        result: Err(TransportError::Attention { reason: "no_media" }),
    });
    let ids = submit_batch(&hub, (0..3).map(chained).collect()).await;
    let done = wait_terminal(&mut events, &ids).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    let sent = transport.sent();
    assert_eq!(
        sent.iter().map(|s| s.copies.len()).collect::<Vec<_>>(),
        [3, 2],
        "the rest went again as one chain"
    );
    for id in &ids {
        assert_eq!(hub.job(*id).await.expect("job").copies_printed, 1);
    }
}

#[actix::test]
async fn job_and_batch_ids_are_time_ordered_uuids() {
    // UUIDv7 (RFC 9562 §5.7): the store's unique index on ids grows at its
    // end; ids still sort in submission order across batches.
    let emu = pt(Speed::Instant);
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added");
    let (first_batch, first) = hub
        .submit_batch("pt", (0..5).map(request).collect())
        .await
        .expect("submitted");
    let (second_batch, second) = hub
        .submit_batch("pt", (5..10).map(request).collect())
        .await
        .expect("submitted");
    let ids: Vec<uuid::Uuid> = first
        .iter()
        .chain(&second)
        .map(|j| *j.id.as_uuid())
        .collect();
    assert!(ids.iter().all(|id| id.get_version_num() == 7), "{ids:?}");
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "submission order: {ids:?}"
    );
    assert_eq!(first_batch.as_uuid().get_version_num(), 7);
    assert!(first_batch.as_uuid() < second_batch.as_uuid());
}
