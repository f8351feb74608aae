//! `media = "auto"` (issue #20): a printer's medium is what it reports, and
//! labels are laid out for it; a printer that reports nothing cannot be
//! `auto`, and nothing is queued for an `auto` printer that has not said
//! what it holds.

use super::support::*;
use printhub_actors::{
    Hub, HubConfig, HubHandle, LinkConfig, MemoryStore, PrintRequest, PrinterConfig, AUTO_MEDIA,
};
use printhub_core::JobState;
use printhub_emulator::{Emulator, EmulatorConfig, Speed};
use printhub_raster::{geometry, Bitmap, Label, Media, Model};
use std::sync::Arc;

/// An engine on a memory store that reads idle printers' status often, so
/// a tape swap is seen soon (the deadlines below are only upper bounds).
fn hub() -> HubHandle {
    let config = HubConfig {
        link: LinkConfig {
            probe_interval: std::time::Duration::from_millis(100),
            ..LinkConfig::default()
        },
        ..HubConfig::default()
    };
    Hub::start(config, Arc::new(MemoryStore::default()))
}

/// A label exactly as wide as `media` prints on `model`, marked in column `n`.
fn label_for(model: &str, media: &str, n: usize) -> Label {
    let model = Model::by_name(model).expect("model");
    let media = Media::by_id(media).expect("media");
    let width = usize::from(geometry(model, media).expect("fits").printable());
    Label::black(Bitmap::from_fn(width, 40, |x, _| x == n % width))
}

/// Waits until `slug` lays labels out for `media`.
async fn laid_out_for(hub: &HubHandle, slug: &str, media: &str) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let info = hub.printer(slug).await.expect("printer");
        if info.layout_media.as_deref() == Some(media) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{slug} never laid out for {media}: {info:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[actix::test]
async fn an_auto_printer_prints_on_the_tape_it_reports_and_follows_a_swap() {
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24").speed(Speed::Instant))
        .expect("emulator");
    let hub = hub();
    let mut config = pt_printer("pt", &emu.tcp_addr().to_string());
    config.media = AUTO_MEDIA.into();
    let added = hub.add_printer(config).await.expect("added");
    assert_eq!(added.media, "auto", "the setting is kept as given");
    laid_out_for(&hub, "pt", "tze-24").await;
    let mut events = hub.subscribe();
    let wide = hub
        .submit("pt", PrintRequest::new(label_for("PT-P750W", "tze-24", 5)))
        .await
        .expect("a 24 mm label for the 24 mm tape");
    assert_eq!(wide.spec.media_id, "tze-24");
    let done = wait_terminal(&mut events, &[wide.id]).await;
    assert_eq!(done, vec![(wide.id, JobState::Completed)]);

    // Somebody puts 12 mm tape in: the next label is laid out for it.
    emu.set_media(Some("tze-12")).expect("swap");
    laid_out_for(&hub, "pt", "tze-12").await;
    let narrow = hub
        .submit("pt", PrintRequest::new(label_for("PT-P750W", "tze-12", 7)))
        .await
        .expect("a 12 mm label for the 12 mm tape");
    assert_eq!(narrow.spec.media_id, "tze-12");
    let done = wait_terminal(&mut events, &[narrow.id]).await;
    assert_eq!(done, vec![(narrow.id, JobState::Completed)]);
    let pages = emu.pages();
    let media: Vec<_> = pages.iter().map(|p| p.meta.media).collect();
    assert_eq!(media, vec![Some("tze-24"), Some("tze-12")]);
    assert!(emu.errors().is_empty(), "{:?}", emu.errors());

    // A label laid out for the old tape is refused, not queued.
    let before = hub.list_jobs(Default::default()).await.expect("list").len();
    let stale = hub
        .submit("pt", PrintRequest::new(label_for("PT-P750W", "tze-24", 9)))
        .await
        .expect_err("a 24 mm label on 12 mm tape");
    assert_eq!(stale.code(), "label_width_mismatch");
    let after = hub.list_jobs(Default::default()).await.expect("list").len();
    assert_eq!(before, after, "nothing queued");
    hub.shutdown().await.expect("shutdown");
}

#[actix::test]
async fn auto_media_needs_a_printer_that_reports_its_medium() {
    let hub = hub();
    let ql = |slug: &str, snmp: Option<&str>| PrinterConfig {
        model: "QL-820NWB".into(),
        media: AUTO_MEDIA.into(),
        snmp: snmp.map(str::to_string),
        ..pt_printer(slug, "127.0.0.1:9")
    };
    // A network QL answers no `ESC i S` on TCP (brother-raster.md §5.3): it
    // reports only over SNMP.
    let err = hub
        .add_printer(ql("ql", None))
        .await
        .expect_err("no status channel");
    assert_eq!(err.code(), "media_not_reported");
    assert!(err.to_string().contains("QL-820NWB"), "{err}");
    assert!(hub.list_printers().await.expect("list").is_empty());
    hub.add_printer(ql("ql", Some("127.0.0.1:9")))
        .await
        .expect("with SNMP it reports");

    // Changing a PT (which answers on TCP) to a QL without SNMP is refused as a whole.
    let mut pt = pt_printer("pt", "127.0.0.1:9");
    pt.media = "AUTO".into();
    hub.add_printer(pt).await.expect("auto, read ignoring case");
    let err = hub
        .update_printer(
            "pt",
            printhub_actors::PrinterPatch {
                model: Some("QL-820NWB".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("the QL cannot report over TCP");
    assert_eq!(err.code(), "media_not_reported");
    assert_eq!(hub.printer("pt").await.expect("pt").model, "PT-P750W");

    // A pinned medium the model cannot take stays `unsupported_media`.
    let mut pinned = pt_printer("pt2", "127.0.0.1:9");
    pinned.media = "dk-62".into();
    let err = hub.add_printer(pinned).await.expect_err("DK on a PT");
    assert_eq!(err.code(), "unsupported_media");
    hub.shutdown().await.expect("shutdown");
}

#[actix::test]
async fn nothing_is_queued_for_an_auto_printer_that_has_not_reported_a_medium() {
    let hub = hub();
    // Nothing listens on port 9: the printer never reports.
    let mut config = pt_printer("pt", "127.0.0.1:9");
    config.media = AUTO_MEDIA.into();
    let info = hub.add_printer(config).await.expect("added");
    assert_eq!(info.layout_media, None);
    let err = hub
        .submit("pt", request(1))
        .await
        .expect_err("nothing to lay out for");
    assert_eq!(err.code(), "media_unknown");
    assert!(hub
        .list_jobs(Default::default())
        .await
        .expect("list")
        .is_empty());
    assert_eq!(hub.printer("pt").await.expect("pt").queue_depth, 0);
    hub.shutdown().await.expect("shutdown");
}

/// A text label laid out for `media` on a PT-P750W, keeping what it was made from.
fn text_request(media: &str, id: &str) -> PrintRequest {
    let source = printhub_render::RenderRequest::content_type(
        printhub_render::ContentType::TextOneLine,
        printhub_render::LabelData {
            primary_id: Some(id.into()),
            ..Default::default()
        },
    );
    let model = Model::by_name("PT-P750W").expect("model");
    let medium = Media::by_id(media).expect("media");
    let label = printhub_render::render(&source, model, medium).expect("renders");
    let mut request = PrintRequest::new(label);
    request.source = Some(source);
    request
}

/// Waits until `job` satisfies `done`; returns it.
async fn job_until(
    hub: &HubHandle,
    job: printhub_core::JobId,
    mut done: impl FnMut(&printhub_core::Job) -> bool,
) -> printhub_core::Job {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let got = hub.job(job).await.expect("job");
        if done(&got) {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job never got there: {:?} {:?} {}",
            got.state,
            got.error,
            got.spec.media_id
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[actix::test]
async fn a_tape_swap_lays_waiting_labels_out_again_holds_images_and_prints_the_rest() {
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12").speed(Speed::Instant))
        .expect("emulator");
    let hub = hub();
    let mut config = pt_printer("pt", &emu.tcp_addr().to_string());
    config.media = AUTO_MEDIA.into();
    hub.add_printer(config).await.expect("added");
    laid_out_for(&hub, "pt", "tze-12").await;
    hub.pause_printer("pt")
        .await
        .expect("paused: the jobs wait");
    let first = hub
        .submit("pt", text_request("tze-12", "A-1"))
        .await
        .expect("a");
    let image = hub
        .submit("pt", PrintRequest::new(label_for("PT-P750W", "tze-12", 3)))
        .await
        .expect("image");
    let last = hub
        .submit("pt", text_request("tze-12", "C-3"))
        .await
        .expect("c");
    assert!(first.spec.request.is_some(), "label data is kept");
    assert!(
        image.spec.request.is_none(),
        "an image has nothing to lay out again"
    );

    // 24 mm tape goes in while they wait.
    emu.set_media(Some("tze-24")).expect("swap");
    for id in [first.id, last.id] {
        let job = job_until(&hub, id, |j| j.spec.media_id == "tze-24").await;
        assert_eq!(job.state, JobState::Queued, "laid out again, still waiting");
    }
    let held = job_until(&hub, image.id, |j| j.state == JobState::Held).await;
    let error = held.error.expect("why it is held");
    assert_eq!(error.code, "media_mismatch");
    let detail = error.detail.expect("detail");
    assert_eq!(detail["needed_media"], "tze-12");
    assert_eq!(detail["loaded_media"], "tze-24");

    // The image waits; the labels behind it print on the new tape.
    let mut events = hub.subscribe();
    hub.resume_printer("pt").await.expect("resumed");
    let done = wait_terminal(&mut events, &[first.id, last.id]).await;
    assert!(
        done.iter().all(|(_, s)| *s == JobState::Completed),
        "{done:?}"
    );
    let pages = emu.pages();
    assert_eq!(pages.len(), 2, "{pages:?}");
    let wide = usize::from(
        geometry(
            Model::by_name("PT-P750W").expect("model"),
            Media::by_id("tze-24").expect("media"),
        )
        .expect("fits")
        .printable(),
    );
    for page in &pages {
        assert_eq!(page.meta.media, Some("tze-24"));
        assert_eq!(page.black.width(), wide, "laid out for 24 mm");
    }
    assert_eq!(
        hub.job(image.id).await.expect("image").state,
        JobState::Held,
        "nothing printed it on the wrong tape"
    );

    // The 12 mm tape back: the image is released by itself and prints.
    emu.set_media(Some("tze-12")).expect("swap back");
    let done = wait_terminal(&mut events, &[image.id]).await;
    assert_eq!(done, vec![(image.id, JobState::Completed)]);
    let job = hub.job(image.id).await.expect("image");
    assert_eq!(job.error, None, "the hold's reason went with it");
    assert_eq!(emu.pages().len(), 3);
    assert!(emu.errors().is_empty(), "{:?}", emu.errors());
    hub.shutdown().await.expect("shutdown");
}

#[actix::test]
async fn a_printer_stuck_on_a_job_for_other_tape_goes_on_once_its_medium_is_set() {
    // The case: a pinned 12 mm printer holding 24 mm tape stops with
    // `media_mismatch`; setting its media to the tape it holds lays the
    // waiting label out again and the printer goes on by itself.
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-24").speed(Speed::Instant))
        .expect("emulator");
    let hub = hub();
    hub.add_printer(pt_printer("pt", &emu.tcp_addr().to_string()))
        .await
        .expect("added, pinned to 12 mm");
    let mut events = hub.subscribe();
    let job = hub
        .submit("pt", text_request("tze-12", "B-7"))
        .await
        .expect("job");
    let image = hub
        .submit("pt", PrintRequest::new(label_for("PT-P750W", "tze-12", 1)))
        .await
        .expect("image");
    wait_for(&mut events, |e| {
        matches!(e, printhub_core::Event::PrinterStateChanged(c)
            if c.to.reason() == Some("media_mismatch"))
    })
    .await;
    assert_eq!(hub.job(job.id).await.expect("job").state, JobState::Queued);

    hub.update_printer(
        "pt",
        printhub_actors::PrinterPatch {
            media: Some("tze-24".into()),
            ..Default::default()
        },
    )
    .await
    .expect("media set to the tape loaded");
    let done = wait_terminal(&mut events, &[job.id]).await;
    assert_eq!(done, vec![(job.id, JobState::Completed)]);
    let image = job_until(&hub, image.id, |j| j.state == JobState::Held).await;
    assert_eq!(
        image.error.map(|e| e.code).as_deref(),
        Some("media_mismatch")
    );
    let printer = hub.printer("pt").await.expect("printer");
    assert!(
        !matches!(printer.state, printhub_core::PrinterState::Stopped { .. }),
        "{:?}",
        printer.state
    );
    assert_eq!(emu.pages().len(), 1);
    assert_eq!(emu.pages()[0].meta.media, Some("tze-24"));
    hub.shutdown().await.expect("shutdown");
}

#[actix::test]
async fn a_stored_request_survives_a_restart_and_is_laid_out_for_the_tape_found_then() {
    // The re-layout itself is in memory only: a hub that stops before (or
    // while) laying a job out finds it queued with its old raster, and lays
    // it out again for the medium it finds; nothing is lost or printed twice.
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("hub.db");
    let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12").speed(Speed::Instant))
        .expect("emulator");
    /// The engine of [`hub`] on the SQLite file `db`.
    fn config(db: &std::path::Path) -> HubHandle {
        let store =
            printhub_store::Store::open(db, printhub_store::StoreConfig::default()).expect("store");
        let config = HubConfig {
            link: LinkConfig {
                probe_interval: std::time::Duration::from_millis(100),
                ..LinkConfig::default()
            },
            ..HubConfig::default()
        };
        Hub::start(config, Arc::new(store))
    }
    let (db1, addr) = (db.clone(), emu.tcp_addr().to_string());
    let (job, request) = std::thread::spawn(move || {
        actix::System::new().block_on(async move {
            let hub = config(&db1);
            let mut printer = pt_printer("pt", &addr);
            printer.media = AUTO_MEDIA.into();
            hub.add_printer(printer).await.expect("added");
            laid_out_for(&hub, "pt", "tze-12").await;
            hub.pause_printer("pt").await.expect("paused");
            let job = hub
                .submit("pt", text_request("tze-12", "KEEP-1"))
                .await
                .expect("job");
            hub.shutdown().await.expect("shutdown");
            (job.id, job.spec.request)
        })
    })
    .join()
    .expect("run 1");
    assert!(request.is_some());

    // The tape changes while the hub is down.
    emu.set_media(Some("tze-24")).expect("swap");
    let hub = config(&db);
    let stored = hub.job(job).await.expect("job");
    assert_eq!(
        stored.spec.request, request,
        "the request is stored with the job"
    );
    let laid_out = job_until(&hub, job, |j| j.spec.media_id == "tze-24").await;
    assert_eq!(laid_out.state, JobState::Queued);
    let mut events = hub.subscribe();
    hub.resume_printer("pt").await.expect("resumed");
    let done = wait_terminal(&mut events, &[job]).await;
    assert_eq!(done, vec![(job, JobState::Completed)]);
    let pages = emu.pages();
    assert_eq!(pages.len(), 1, "printed once");
    assert_eq!(pages[0].meta.media, Some("tze-24"));
    hub.shutdown().await.expect("shutdown");
}
