//! The hub as a child process for the crash test (`tests/e2e.rs`): a SQLite
//! store, one PT-P750W at the given address, and either a stream of
//! submissions (each acknowledged on stdout as `ACK <job id> <n>` once
//! `submit` returned) or, with `--recover`, a restart that waits until every
//! stored job is terminal and prints `FINAL <job id> <state> <copies printed>`.
//!
//! Labels carry their number `n` in binary on their first raster line, so
//! the parent can tell from the emulator's pages which job printed.
//!
//! The re-layout variant (issue #20): `--relayout JOBS` registers the printer
//! with `media = "auto"`, paused, and queues free text labels made from label
//! data (`ACK`), then reports `RELAID <k>` as the jobs are laid out again
//! after the parent swapped the tape; `--recover-relayout` restarts, resumes
//! the printer and prints `FINAL <job id> <state> <copies printed> <media>`.

use anyhow::{bail, Context};
use printhub_actors::{EventItem, Hub, HubConfig, JobFilter, PrintRequest, PrinterConfig};
use printhub_core::PrinterId;
use printhub_raster::{Bitmap, Label};
use std::io::Write;
use std::sync::Arc;

/// The label for job number `n`: bit i of `n` is dot i of line 0; a frame below.
pub fn numbered_label(n: u32) -> Label {
    Label::black(Bitmap::from_fn(70, 40, |x, y| {
        if y == 0 {
            x < 32 && (n >> x) & 1 == 1
        } else {
            y == 39 || x == 69
        }
    }))
}

#[actix::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [db, printer, flag, rest @ ..] = args.as_slice() {
        if flag == "--relayout" || flag == "--recover-relayout" {
            let jobs = rest.first().map(|n| n.parse::<u32>()).transpose()?;
            return relayout(db, printer, jobs).await;
        }
    }
    let (db, printer, mode) = match args.as_slice() {
        [db, printer, flag] if flag == "--recover" => (db.clone(), printer.clone(), None),
        [db, printer, jobs] => (db.clone(), printer.clone(), Some(jobs.parse::<u32>()?)),
        _ => bail!("usage: crash-child DB PRINTER_ADDR (JOBS | --recover | --relayout JOBS | --recover-relayout)"),
    };
    let store = printhub_store::Store::open(db.as_ref(), printhub_store::StoreConfig::default())
        .context("open the store")?;
    let hub = Hub::start(HubConfig::default(), Arc::new(store));
    // The printer registry is stored: on a restart the printer is back already.
    if hub.printer("pt").await.is_ok() {
        eprintln!("printer restored from the store");
    } else {
        hub.add_printer(PrinterConfig {
            id: Some(PrinterId::from_u128(1)),
            slug: "pt".into(),
            name: "crash test".into(),
            model: "PT-P750W".into(),
            media: "tze-12".into(),
            address: printer,
            enabled: true,
            snmp: None,
            snmp_community: None,
            paused: false,
            defaults: Default::default(),
        })
        .await?;
    }
    let mut out = std::io::stdout().lock();
    match mode {
        Some(jobs) => {
            for n in 0..jobs {
                let job = hub
                    .submit("pt", PrintRequest::new(numbered_label(n)))
                    .await?;
                writeln!(out, "ACK {} {n}", job.id)?;
                out.flush()?;
            }
            writeln!(out, "ALL-SUBMITTED")?;
            out.flush()?;
            // Keep printing until the parent kills us.
            std::future::pending::<()>().await;
        }
        None => {
            let mut events = hub.subscribe();
            loop {
                let jobs = hub.list_jobs(JobFilter::default()).await?;
                if jobs.iter().all(|j| j.state.is_terminal()) {
                    for j in jobs {
                        writeln!(out, "FINAL {} {} {}", j.id, j.state, j.copies_printed)?;
                    }
                    out.flush()?;
                    return Ok(());
                }
                // Wait for the next change rather than polling.
                match events.next().await {
                    Some(EventItem::Event(_)) | Some(EventItem::Missed(_)) => {}
                    None => bail!("hub stopped"),
                }
            }
        }
    }
    Ok(())
}

/// The re-layout crash variant: `jobs` = `Some(n)` queues `n` labels on a
/// paused `auto` printer and reports re-layouts until killed; `None`
/// restarts, resumes and waits until every job is terminal.
async fn relayout(db: &str, printer: &str, jobs: Option<u32>) -> anyhow::Result<()> {
    use printhub_render::{FreeText, RenderRequest};
    let store = printhub_store::Store::open(db.as_ref(), printhub_store::StoreConfig::default())
        .context("open the store")?;
    let mut config = HubConfig::default();
    // The tape swap is seen within a fifth of a second.
    config.link.probe_interval = std::time::Duration::from_millis(200);
    let hub = Hub::start(config, Arc::new(store));
    let mut out = std::io::stdout().lock();
    let Some(jobs) = jobs else {
        hub.resume_printer("pt").await?;
        let mut events = hub.subscribe();
        loop {
            let all = hub.list_jobs(JobFilter::default()).await?;
            if all.iter().all(|j| j.state.is_terminal()) {
                for j in all {
                    writeln!(
                        out,
                        "FINAL {} {} {} {}",
                        j.id, j.state, j.copies_printed, j.spec.media_id
                    )?;
                }
                out.flush()?;
                return Ok(());
            }
            match events.next().await {
                Some(EventItem::Event(_)) | Some(EventItem::Missed(_)) => {}
                None => bail!("hub stopped"),
            }
        }
    };
    hub.add_printer(PrinterConfig {
        id: Some(PrinterId::from_u128(1)),
        slug: "pt".into(),
        name: "crash test".into(),
        model: "PT-P750W".into(),
        media: "auto".into(),
        address: printer.to_string(),
        enabled: true,
        snmp: None,
        snmp_community: None,
        paused: false,
        defaults: Default::default(),
    })
    .await?;
    hub.pause_printer("pt").await?;
    // Wait for the first status read: labels are laid out for what it reports.
    let media = loop {
        if let Some(media) = hub.printer("pt").await?.layout_media {
            break media;
        }
        actix::clock::sleep(std::time::Duration::from_millis(20)).await;
    };
    let model = printhub_raster::Model::by_name("PT-P750W").context("model")?;
    let medium = printhub_raster::Media::by_id(&media).context("media")?;
    for n in 0..jobs {
        // A few lines, auto-fitted: laying it out takes some work.
        let request = RenderRequest::text(FreeText {
            lines: (0..4)
                .map(|k| format!("#{n} line {k} of the crash test"))
                .collect(),
            ..FreeText::default()
        });
        let label = printhub_render::render(&request, model, medium)?;
        let mut print = PrintRequest::new(label);
        print.source = Some(request);
        let job = hub.submit("pt", print).await?;
        writeln!(out, "ACK {} {n}", job.id)?;
        out.flush()?;
    }
    writeln!(out, "ALL-SUBMITTED {media}")?;
    out.flush()?;
    // Report how many are laid out for another medium, until killed.
    let mut last = 0;
    loop {
        let relaid = hub
            .queue("pt")
            .await?
            .iter()
            .filter(|j| j.spec.media_id != media)
            .count();
        if relaid != last {
            writeln!(out, "RELAID {relaid}")?;
            out.flush()?;
            last = relaid;
        }
        actix::clock::sleep(std::time::Duration::from_millis(2)).await;
    }
}
