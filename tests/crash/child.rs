//! The hub as a child process for the crash test (`tests/e2e.rs`): a SQLite
//! store, one PT-P750W at the given address, and either a stream of
//! submissions (each acknowledged on stdout as `ACK <job id> <n>` once
//! `submit` returned) or, with `--recover`, a restart that waits until every
//! stored job is terminal and prints `FINAL <job id> <state> <copies printed>`.
//!
//! Labels carry their number `n` in binary on their first raster line, so
//! the parent can tell from the emulator's pages which job printed.

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
    let (db, printer, mode) = match args.as_slice() {
        [db, printer, flag] if flag == "--recover" => (db.clone(), printer.clone(), None),
        [db, printer, jobs] => (db.clone(), printer.clone(), Some(jobs.parse::<u32>()?)),
        _ => bail!("usage: crash-child DB PRINTER_ADDR (JOBS | --recover)"),
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
