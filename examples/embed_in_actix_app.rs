//! Embedding the print engine in your own actix application.
//!
//! Your app owns the actix `System`; printhub's actors run inside it. Start
//! the hub with a store, add printers (here an emulated PT-P750W and
//! QL-820NWB on loopback), subscribe to events, print, and shut down cleanly.
//! Your own actors talk to the hub only through the cloneable `HubHandle`.
//!
//! Run with `cargo run --example embed_in_actix_app`.

use actix::prelude::*;
use anyhow::Context as _;
use printhub_actors::{
    EventItem, Hub, HubConfig, HubHandle, MemoryStore, PrintRequest, PrinterConfig,
};
use printhub_core::{Event, JobState};
use printhub_emulator::{Emulator, EmulatorConfig};
use printhub_raster::{Bitmap, Label};
use std::sync::Arc;

/// An actor of "your" application that prints through the hub.
struct Labeller {
    hub: HubHandle,
}

impl Actor for Labeller {
    type Context = Context<Self>;
}

/// Ask the labeller to print `count` shelf labels on `printer`.
#[derive(Message)]
#[rtype(result = "Result<usize, String>")]
struct PrintShelfLabels {
    printer: String,
    width: usize,
    count: usize,
}

impl Handler<PrintShelfLabels> for Labeller {
    type Result = ResponseFuture<Result<usize, String>>;

    fn handle(&mut self, msg: PrintShelfLabels, _ctx: &mut Self::Context) -> Self::Result {
        let hub = self.hub.clone();
        Box::pin(async move {
            let requests = (0..msg.count)
                .map(|n| {
                    // A frame with a bar whose position tells the labels apart.
                    let label = Bitmap::from_fn(msg.width, 200, |x, y| {
                        x < 3
                            || y < 3
                            || x + 3 >= msg.width
                            || y + 3 >= 200
                            || (x / 10 == n && y > 20)
                    });
                    PrintRequest::new(Label::black(label))
                })
                .collect();
            let (_batch, jobs) = hub
                .submit_batch(&msg.printer, requests)
                .await
                .map_err(|e| e.to_string())?;
            Ok(jobs.len())
        })
    }
}

fn printer(slug: &str, model: &str, media: &str, address: String) -> PrinterConfig {
    PrinterConfig {
        id: None,
        slug: slug.into(),
        name: slug.into(),
        model: model.into(),
        media: media.into(),
        address,
        enabled: true,
        snmp: None,
        snmp_community: None,
        paused: false,
        defaults: Default::default(),
    }
}

#[actix::main]
async fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let pt = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12"))?;
    let ql = Emulator::start(EmulatorConfig::new("QL-820NWB", "dk-62"))?;

    // The hub's actors start on this System, like any other actor of the app.
    let hub = Hub::start(HubConfig::default(), Arc::new(MemoryStore::default()));
    hub.add_printer(printer(
        "shelf",
        "PT-P750W",
        "tze-12",
        pt.tcp_addr().to_string(),
    ))
    .await?;
    hub.add_printer(printer(
        "boxes",
        "QL-820NWB",
        "dk-62",
        ql.tcp_addr().to_string(),
    ))
    .await?;
    let mut events = hub.subscribe();

    let labeller = Labeller { hub: hub.clone() }.start();
    let a = labeller
        .send(PrintShelfLabels {
            printer: "shelf".into(),
            width: 70,
            count: 3,
        })
        .await?
        .map_err(anyhow::Error::msg)?;
    let b = labeller
        .send(PrintShelfLabels {
            printer: "boxes".into(),
            width: 696,
            count: 2,
        })
        .await?
        .map_err(anyhow::Error::msg)?;
    println!("queued {a} + {b} labels");

    let mut completed = 0;
    while completed < a + b {
        match events.next().await.context("hub stopped")? {
            EventItem::Event(Event::JobStateChanged(e)) => {
                println!(
                    "job {} on {}: {:?} -> {}",
                    e.job_id, e.printer_id, e.from, e.to
                );
                if e.to == JobState::Completed {
                    completed += 1;
                }
            }
            EventItem::Event(_) => {}
            EventItem::Missed(n) => println!("missed {n} events"),
        }
    }
    println!(
        "the PT emulator printed {} pages, the QL emulator {}",
        pt.pages().len(),
        ql.pages().len()
    );
    hub.shutdown().await?;
    Ok(())
}
