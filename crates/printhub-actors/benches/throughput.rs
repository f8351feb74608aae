//! Load generator (`make bench`): jobs per second through
//! `HubHandle` → supervisor → printer actor → raw TCP → emulator (instant
//! speed) with 1, 10 and 100 printers; durable submits on SQLite; how busy
//! a 200-label backlog keeps a PT and a QL printer at real print speed
//! (scaled), with and without chaining; and memory per idle printer actor.
//! Prints medians; the machine is shared, so read ratios between cases
//! rather than absolute numbers.

use printhub_actors::{
    EventItem, Hub, HubConfig, HubHandle, MemoryStore, MemoryTransport, PrinterConfig,
    TransportFactory,
};
use printhub_core::{Event, JobSpec, JobState, MachineConfig, PrintOptions, PrinterId};
use printhub_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Speed};
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
        defaults: Default::default(),
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

/// Labels queued per printer in the utilisation runs.
const BACKLOG: usize = 200;
/// Print time divided by this (Speed::Faster): 200 PT labels take 13 s instead of 132 s.
/// `PRINTHUB_BENCH_FASTER=1` measures at real speed (about 2.5 minutes a run).
fn faster() -> u16 {
    env_number("PRINTHUB_BENCH_FASTER").unwrap_or(10)
}

/// Runs per case (`PRINTHUB_BENCH_RUNS`).
fn runs() -> usize {
    env_number("PRINTHUB_BENCH_RUNS").unwrap_or(3)
}

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok()?.parse().ok()
}
/// (model, media, raster lines of the label).
const UTILISATION_PRINTERS: [(&str, &str, usize); 2] =
    [("PT-P750W", "tze-12", 140), ("QL-820NWB", "dk-62", 300)];

struct UtilisationRun {
    /// Per printer: print time / wall time, from the emulator's records.
    busy: Vec<f64>,
    /// Per printer: how many streams (emulator jobs) the backlog took.
    streams: Vec<usize>,
    /// Per printer: mean idle time between two labels of a stream, and between streams, in ms.
    gaps: Vec<(f64, f64)>,
    wall: f64,
}

/// Queues the backlog on paused printers, resumes them together and reads
/// how busy each emulator was from its records.
async fn utilisation_run(chain: bool) -> UtilisationRun {
    let emulators: Vec<EmulatorHandle> = UTILISATION_PRINTERS
        .iter()
        .map(|(model, media, _)| {
            let speed = match faster() {
                0 | 1 => Speed::Real,
                n => Speed::Faster(n),
            };
            // Every page of the backlog stays in memory to be checked.
            let config = EmulatorConfig::new(model, media)
                .speed(speed)
                .keep_pages(BACKLOG);
            Emulator::start(config).expect("emulator")
        })
        .collect();
    let machine = MachineConfig {
        max_queue: BACKLOG + 1,
        ..MachineConfig::default()
    };
    let config = HubConfig {
        machine,
        event_capacity: 1 << 16,
        ..HubConfig::default()
    };
    let hub = Hub::start(config, Arc::new(MemoryStore::default()));
    let mut events = hub.subscribe();
    let mut slugs = Vec::new();
    for (n, ((model, media, lines), emu)) in UTILISATION_PRINTERS.iter().zip(&emulators).enumerate()
    {
        let mut config = printer(n, emu.tcp_addr().to_string());
        config.model = model.to_string();
        config.media = media.to_string();
        let info = hub.add_printer(config).await.expect("add");
        hub.pause_printer(&info.slug).await.expect("pause");
        let m = Model::by_name(model).expect("model");
        let encoder = Encoder::new(
            m,
            Media::by_id(media).expect("media"),
            JobOptions::default(),
        )
        .expect("options");
        let width = encoder.geometry().printable() as usize;
        let label = Bitmap::from_fn(width, *lines, |x, y| (x * 3 + y) % 7 == 0);
        let raster = Arc::new(encoder.encode(&[Label::black(label)]).expect("encode"));
        let specs = (0..BACKLOG)
            .map(|_| {
                let mut spec = JobSpec::new(info.id, *model, *media, raster.clone());
                spec.options = PrintOptions {
                    cut: true,
                    chain,
                    ..PrintOptions::default()
                };
                spec
            })
            .collect();
        hub.submit_prepared(&info.slug, specs)
            .await
            .expect("submit");
        slugs.push(info.slug);
    }
    let start = Instant::now();
    for slug in &slugs {
        hub.resume_printer(slug).await.expect("resume");
    }
    let total = BACKLOG * slugs.len();
    let mut done = 0;
    while done < total {
        match events.next().await.expect("running") {
            EventItem::Event(Event::JobStateChanged(e)) if e.to == JobState::Completed => done += 1,
            EventItem::Event(Event::JobStateChanged(e)) if e.to.is_terminal() => {
                panic!("job ended {}", e.to)
            }
            EventItem::Missed(n) => panic!("bench subscriber missed {n} events"),
            _ => {}
        }
    }
    let wall = start.elapsed().as_secs_f64();
    hub.shutdown().await.expect("shutdown");
    let mut busy = Vec::new();
    let mut streams = Vec::new();
    let mut gaps = Vec::new();
    for emu in &emulators {
        let pages = emu.pages();
        assert_eq!(pages.len(), BACKLOG, "every label printed once");
        let utilisation = emu.utilisation().expect("pages printed");
        busy.push(utilisation.busy());
        let mut jobs: Vec<u64> = pages.iter().map(|p| p.meta.job).collect();
        jobs.dedup();
        streams.push(jobs.len());
        let (mut within, mut between) = (Vec::new(), Vec::new());
        for pair in pages.windows(2) {
            let (Some(a), Some(b)) = (pair[0].print, pair[1].print) else {
                continue;
            };
            let gap = b
                .started
                .saturating_duration_since(a.finished)
                .as_secs_f64()
                * 1000.0;
            if pair[0].meta.job == pair[1].meta.job {
                within.push(gap);
            } else {
                between.push(gap);
            }
        }
        let mean = |v: &[f64]| {
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        gaps.push((mean(&within), mean(&between)));
    }
    UtilisationRun {
        busy,
        streams,
        gaps,
        wall,
    }
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
    // `cargo bench` passes --bench; a filter argument picks the sections whose name contains
    // it: throughput, durable, utilisation, memory (`cargo bench -p printhub-actors -- utilisation`).
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |section: &str| filter.as_deref().is_none_or(|f| section.contains(f));
    let system = actix::System::new();
    system.block_on(async {
        let raster = Arc::new(raster());
        if wanted("throughput") {
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

        }

        if wanted("durable") {
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

        }

        if wanted("utilisation") {
        // Printer utilisation at real print speed, with and without chaining.
        let (faster, runs) = (faster(), runs());
        let speed = if faster > 1 {
            format!("print time {faster}x faster than real (a lower bound for real speed)")
        } else {
            "real print speed".to_string()
        };
        println!(
            "utilisation: a {BACKLOG}-label backlog on a PT-P750W (12 mm, 19.8 mm labels) and a QL-820NWB \
             (62 mm, 25.4 mm labels) at the same time; {speed}; busy = print time / wall time from first \
             byte to last page (emulator records), median of {runs}"
        );
        for chain in [false, true] {
            let mut busy: Vec<Vec<f64>> = vec![Vec::new(); UTILISATION_PRINTERS.len()];
            let mut streams = vec![0usize; UTILISATION_PRINTERS.len()];
            let mut gaps = vec![(0.0, 0.0); UTILISATION_PRINTERS.len()];
            let mut wall = Vec::new();
            for _ in 0..runs {
                let run = utilisation_run(chain).await;
                for (i, (b, s)) in run.busy.iter().zip(&run.streams).enumerate() {
                    busy[i].push(*b);
                    streams[i] = *s;
                    gaps[i] = run.gaps[i];
                }
                wall.push(run.wall);
            }
            for (i, (model, _, _)) in UTILISATION_PRINTERS.iter().enumerate() {
                println!(
                    "  {:<16} {model:<9}: busy {:>6.2}% (min {:.2}%, max {:.2}%), {} stream(s) per run; \
                     mean idle {:.2} ms between labels of a stream, {:.2} ms between streams",
                    if chain { "with chaining" } else { "without chaining" },
                    100.0 * median(busy[i].clone()),
                    100.0 * busy[i].iter().cloned().fold(f64::INFINITY, f64::min),
                    100.0 * busy[i].iter().cloned().fold(0.0, f64::max),
                    streams[i],
                    gaps[i].0,
                    gaps[i].1,
                );
            }
            println!("  (median wall time of a run {:.1} s)", median(wall));
        }

        }

        if wanted("memory") {
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
        }
    });
}
