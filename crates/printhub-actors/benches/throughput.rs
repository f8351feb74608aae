//! Load generator (`make bench`): jobs per second through
//! `HubHandle` → supervisor → printer actor → raw TCP → emulator (instant
//! speed) with 1, 10 and 100 printers, and memory per idle printer actor.
//! Prints the median of five runs per case; the machine is shared, so read
//! ratios between cases rather than absolute numbers.

use printhub_actors::{
    EventItem, Hub, HubConfig, HubHandle, MemoryStore, MemoryTransport, PrinterConfig,
    TransportFactory,
};
use printhub_core::{Event, JobSpec, JobState, MachineConfig, PrinterId};
use printhub_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use printhub_raster::{Bitmap, Encoder, JobOptions, Label, Media, Model};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn printer(n: usize, address: String) -> PrinterConfig {
    PrinterConfig {
        id: None,
        slug: format!("p{n}"),
        name: format!("Printer {n}"),
        model: "PT-P750W".into(),
        media: "tze-12".into(),
        address,
        enabled: true,
        snmp: None,
        snmp_community: None,
        paused: false,
    }
}

fn raster() -> Vec<u8> {
    let model = Model::by_name("PT-P750W").expect("model");
    let media = Media::by_id("tze-12").expect("media");
    let encoder = Encoder::new(model, media, JobOptions::default()).expect("options");
    let label = Bitmap::from_fn(70, 140, |x, y| (x * 3 + y) % 7 == 0);
    encoder.encode(&[Label::black(label)]).expect("encode")
}

async fn run_once(
    hub: &HubHandle,
    printers: &[(String, PrinterId)],
    jobs_per_printer: usize,
    raster: &Arc<Vec<u8>>,
) -> f64 {
    let mut events = hub.subscribe();
    let total = printers.len() * jobs_per_printer;
    let start = Instant::now();
    for _ in 0..jobs_per_printer {
        for (slug, id) in printers {
            let spec = JobSpec::new(*id, "PT-P750W", "tze-12", raster.clone());
            hub.submit_prepared(slug, vec![spec]).await.expect("submit");
        }
    }
    let mut done = 0;
    while done < total {
        match events.next().await.expect("running") {
            EventItem::Event(Event::JobStateChanged(e)) if e.to == JobState::Completed => done += 1,
            EventItem::Event(Event::JobStateChanged(e)) if e.to.is_terminal() => {
                panic!("job ended {}", e.to)
            }
            EventItem::Missed(n) => {
                panic!("bench subscriber missed {n} events; raise event_capacity")
            }
            _ => {}
        }
    }
    total as f64 / start.elapsed().as_secs_f64()
}

async fn durable_submits(
    max_batch: usize,
    concurrency: usize,
    total: usize,
    raster: &Arc<Vec<u8>>,
) -> f64 {
    let dir = tempfile::tempdir().expect("tmp");
    let config = printhub_store::StoreConfig {
        max_batch,
        ..printhub_store::StoreConfig::default()
    };
    let store =
        Arc::new(printhub_store::Store::open(&dir.path().join("bench.db"), config).expect("store"));
    let factory: TransportFactory = Rc::new(|_| Ok(Box::new(MemoryTransport::default())));
    let machine = MachineConfig {
        max_queue: total + 1,
        ..MachineConfig::default()
    };
    let hub = Hub::start_with(
        HubConfig {
            machine,
            ..HubConfig::default()
        },
        store,
        factory,
    );
    let info = hub
        .add_printer(printer(0, "127.0.0.1:9".into()))
        .await
        .expect("add");
    hub.pause_printer(&info.slug).await.expect("pause");
    let start = Instant::now();
    let per_task = total / concurrency;
    let tasks = (0..concurrency).map(|_| {
        let hub = hub.clone();
        let slug = info.slug.clone();
        let id = info.id;
        let raster = raster.clone();
        async move {
            for _ in 0..per_task {
                let spec = JobSpec::new(id, "PT-P750W", "tze-12", raster.clone());
                hub.submit_prepared(&slug, vec![spec])
                    .await
                    .expect("durable submit");
            }
        }
    });
    futures_util::future::join_all(tasks).await;
    let rate = (per_task * concurrency) as f64 / start.elapsed().as_secs_f64();
    hub.shutdown().await.expect("shutdown");
    rate
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn rss_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

fn main() {
    // `cargo bench` passes --bench; a filter argument is accepted and ignored.
    let system = actix::System::new();
    system.block_on(async {
        let raster = Arc::new(raster());
        println!("engine throughput: jobs/s through HubHandle -> actor -> TCP -> emulator (instant), median of 5");
        for printers in [1usize, 10, 100] {
            let emulators: Vec<EmulatorHandle> = (0..printers)
                .map(|_| Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).expect("emulator"))
                .collect();
            let config = HubConfig { event_capacity: 1 << 16, ..HubConfig::default() };
            let hub = Hub::start(config, Arc::new(MemoryStore::default()));
            let mut slugs = Vec::new();
            for (n, emu) in emulators.iter().enumerate() {
                let info = hub.add_printer(printer(n, emu.tcp_addr().to_string())).await.expect("add");
                slugs.push((info.slug, info.id));
            }
            let per_printer = (1000 / printers).max(10);
            let runs: Vec<f64> = {
                let mut v = Vec::new();
                for _ in 0..5 {
                    v.push(run_once(&hub, &slugs, per_printer, &raster).await);
                }
                v
            };
            println!(
                "  {printers:>3} printer(s), {:>4} jobs/run: median {:>7.0} jobs/s (min {:.0}, max {:.0})",
                per_printer * printers,
                median(runs.clone()),
                runs.iter().cloned().fold(f64::INFINITY, f64::min),
                runs.iter().cloned().fold(0.0, f64::max)
            );
            hub.shutdown().await.expect("shutdown");
        }

        // Durable submits through HubHandle on the SQLite spool: group commit vs one
        // transaction per job (max_batch = 1). The printer is paused: only submits are timed.
        println!("durable submits/s through HubHandle on SQLite (fsync per commit), median of 5");
        for concurrency in [1usize, 8, 32] {
            let mut line = format!("  {concurrency:>2} concurrent submitter(s):");
            for (label, max_batch) in [("group commit", 1024usize), ("one transaction per job", 1)] {
                let mut runs = Vec::new();
                for _ in 0..5 {
                    runs.push(durable_submits(max_batch, concurrency, 800, &raster).await);
                }
                line.push_str(&format!("  {label} {:>6.0}", median(runs)));
            }
            println!("{line}");
        }

        // Printer utilisation at real print speed: a backlog on one PT-P750W. Busy time is the
        // emulator's print time per label (length / nominal speed); utilisation = busy / wall.
        {
            let emu = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12").speed(printhub_emulator::Speed::Real)).expect("emulator");
            let hub = Hub::start(HubConfig { event_capacity: 1 << 16, ..HubConfig::default() }, Arc::new(MemoryStore::default()));
            let info = hub.add_printer(printer(0, emu.tcp_addr().to_string())).await.expect("add");
            const BACKLOG: usize = 60;
            let lines = 140usize; // the bench label: 140 lines at 180 dpi = 19.8 mm
            let per_label = lines as f64 * 25.4 / 180.0 / f64::from(Model::by_name("PT-P750W").expect("model").speed_mm_s);
            hub.pause_printer(&info.slug).await.expect("pause");
            for _ in 0..BACKLOG {
                let spec = JobSpec::new(info.id, "PT-P750W", "tze-12", raster.clone());
                hub.submit_prepared(&info.slug, vec![spec]).await.expect("submit");
            }
            let mut events = hub.subscribe();
            let start = Instant::now();
            hub.resume_printer(&info.slug).await.expect("resume");
            let mut done = 0;
            while done < BACKLOG {
                if let EventItem::Event(Event::JobStateChanged(e)) = events.next().await.expect("running") {
                    if e.to == JobState::Completed {
                        done += 1;
                    }
                }
            }
            let wall = start.elapsed().as_secs_f64();
            let busy = per_label * BACKLOG as f64;
            println!(
                "utilisation at real speed: {BACKLOG}-label backlog on a PT-P750W kept it busy {:.1}% of the time ({busy:.1} s printing in {wall:.1} s)",
                100.0 * busy / wall
            );
            hub.shutdown().await.expect("shutdown");
        }

        // Memory per idle printer actor (memory transport, empty queue).
        let transport = MemoryTransport::default();
        let factory: TransportFactory = Rc::new(move |_| Ok(Box::new(transport.clone())));
        let machine = MachineConfig::default();
        let hub = Hub::start_with(HubConfig { machine, ..HubConfig::default() }, Arc::new(MemoryStore::default()), factory);
        tokio::time::sleep(Duration::from_millis(10)).await;
        let before = rss_kib();
        const IDLE: usize = 2000;
        for n in 0..IDLE {
            hub.add_printer(printer(n, "127.0.0.1:9".into())).await.expect("add");
        }
        let after = rss_kib();
        if let (Some(b), Some(a)) = (before, after) {
            println!("memory: {IDLE} idle printer actors add {} KiB RSS, {:.1} KiB each", a.saturating_sub(b), a.saturating_sub(b) as f64 / IDLE as f64);
        }
    });
}
