//! Prints one label through the engine: a hub with one printer, one job,
//! and its progress until the printer confirms it.
//!
//! By default it prints to an emulated PT-P750W it starts itself; pass
//! `host:port model media` to print to a real printer instead, e.g.
//! `cargo run --example print_one_label -- 192.0.2.10:9100 PT-P750W tze-12`.

use anyhow::Context as _;
use printhub_actors::{EventItem, Hub, HubConfig, MemoryStore, PrintRequest, PrinterConfig};
use printhub_core::Event;
use printhub_emulator::{Emulator, EmulatorConfig};
use printhub_raster::{geometry, Bitmap, Label, Media, Model};
use std::sync::Arc;

#[actix::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let emulator;
    let (address, model_name, media_id) = match args.as_slice() {
        [address, model, media] => (address.clone(), model.clone(), media.clone()),
        [] => {
            emulator = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12"))?;
            (
                emulator.tcp_addr().to_string(),
                "PT-P750W".to_string(),
                "tze-12".to_string(),
            )
        }
        _ => anyhow::bail!("usage: print_one_label [host:port model media]"),
    };
    let model = Model::by_name(&model_name).context("unknown model")?;
    let media = Media::by_id(&media_id).context("unknown media")?;
    let width = geometry(model, media)?.printable() as usize;

    let hub = Hub::start(HubConfig::default(), Arc::new(MemoryStore::default()));
    hub.add_printer(PrinterConfig {
        id: None,
        slug: "printer".into(),
        name: model_name.clone(),
        model: model_name,
        media: media_id,
        address,
        enabled: true,
        snmp: None,
        snmp_community: None,
        paused: false,
        defaults: Default::default(),
    })
    .await?;
    let mut events = hub.subscribe();
    let label = Bitmap::from_fn(width, 300, |x, y| x == y % width || y % 50 == 0);
    let job = hub
        .submit("printer", PrintRequest::new(Label::black(label)))
        .await?;
    println!("job {} queued", job.id);
    loop {
        if let EventItem::Event(Event::JobStateChanged(e)) =
            events.next().await.context("hub stopped")?
        {
            println!(
                "{} -> {}",
                e.from.map_or("new".to_string(), |s| s.to_string()),
                e.to
            );
            if e.to.is_terminal() {
                let job = hub.job(job.id).await?;
                println!(
                    "copies printed: {}, confirmed by the printer: {}",
                    job.copies_printed, job.confirmed
                );
                break;
            }
        }
    }
    hub.shutdown().await?;
    Ok(())
}
