//! HTTP load generator (`make bench`): durable single-label submits over
//! loopback HTTP — request → gateway (render) → engine → SQLite commit →
//! 202 — at concurrency 1, 8 and 256, with p50/p99 latency. The printer is
//! paused so only submits are measured. Numbers from a shared 2-core
//! machine: read the ratios between concurrency levels.

use printhub_actors::{Hub, HubConfig, MemoryTransport, PrinterConfig, TransportFactory};
use printhub_core::MachineConfig;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The allocator `printhub` ships with (see `main.rs`), so the bench
/// measures the path as it runs.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    // `PRINTHUB_BENCH_REQUESTS`: submits per concurrency level (default 10,000).
    let total: usize = std::env::var("PRINTHUB_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("tmp");
    actix_web::rt::System::new().block_on(async move {
        let store = printhub_store::Store::open(&dir.path().join("bench.db"), printhub_store::StoreConfig::default()).expect("store");
        let factory: TransportFactory = Rc::new(|_| Ok(Box::new(MemoryTransport::default())));
        let machine = MachineConfig { max_queue: 1_000_000, ..MachineConfig::default() };
        let store = Arc::new(store);
        // Anonymous admin on loopback, as `make run`: the auth layer runs on every request.
        let auth = printhub_gateway::Auth::open(
            printhub_gateway::AuthConfig { anonymous: Some(printhub_gateway::Scope::Admin), ..Default::default() },
            store.clone(),
        )
        .expect("auth");
        let hub_store: Arc<dyn printhub_actors::HubStore> = store;
        let hub = Hub::start_with(HubConfig { machine, ..HubConfig::default() }, hub_store, factory);
        hub.add_printer(PrinterConfig {
            id: None,
            slug: "pt".into(),
            name: "bench".into(),
            model: "PT-P750W".into(),
            media: "tze-12".into(),
            address: "127.0.0.1:9".into(),
            enabled: true,
            snmp: None,
            snmp_community: None,
            paused: true,
            defaults: Default::default(),
        })
        .await
        .expect("printer");
        let server_hub = hub.clone();
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(actix_web::web::Data::new(server_hub.clone()))
                .app_data(actix_web::web::Data::new(auth.clone()))
                .configure(printhub_gateway::configure)
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .expect("bind");
        let addr = server.addrs()[0];
        actix_web::rt::spawn(server.run());
        let url = format!("http://{addr}/api/printers/pt/jobs");
        // Written once, before any clock starts: the load generator shares
        // the machine with the hub.
        let body: actix_web::web::Bytes = serde_json::to_vec(&serde_json::json!({"content_type": "qr_one_line", "data": {"qr_payload": "https://example.invalid/1", "primary_id": "BOX-1"}})).expect("body").into();
        println!("durable single-label submits over loopback HTTP (render + commit + 202)");
        let mut rows = Vec::new();
        for concurrency in [1usize, 8, 256] {
            let per_client = (total / concurrency).max(4);
            let start = Instant::now();
            let clients = (0..concurrency).map(|_| {
                let (url, body) = (url.clone(), body.clone());
                async move {
                    let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
                    let mut latencies = Vec::with_capacity(per_client);
                    for _ in 0..per_client {
                        let t = Instant::now();
                        let mut resp = client
                            .post(&url)
                            .content_type("application/json")
                            .send_body(body.clone())
                            .await
                            .expect("request");
                        assert_eq!(resp.status().as_u16(), 202, "every submit is acknowledged");
                        // Read to the end, as a client that wants the job id
                        // does: awc reuses a connection only once its
                        // response was read (else every request would pay a
                        // TCP connect, accept and shutdown).
                        resp.body().await.expect("the 202's body");
                        latencies.push(t.elapsed());
                    }
                    latencies
                }
            });
            let mut all: Vec<Duration> = futures_util::future::join_all(clients).await.into_iter().flatten().collect();
            let wall = start.elapsed().as_secs_f64();
            all.sort();
            println!(
                "  concurrency {concurrency:>3}: {:>6.0} submits/s, p50 {:>6.1} ms, p99 {:>6.1} ms ({} requests)",
                all.len() as f64 / wall,
                percentile(&all, 0.50).as_secs_f64() * 1e3,
                percentile(&all, 0.99).as_secs_f64() * 1e3,
                all.len()
            );
            rows.push(serde_json::json!({
                "concurrency": concurrency,
                "per_second": all.len() as f64 / wall,
                "p50_ms": percentile(&all, 0.50).as_secs_f64() * 1e3,
                "p99_ms": percentile(&all, 0.99).as_secs_f64() * 1e3,
                "requests": all.len(),
            }));
        }
        write_summary(&serde_json::Value::Array(rows));
    });
}

/// Leaves the figures for `make bench`'s report (`bench-report`) in
/// `<target>/printhub-bench/http.json`.
fn write_summary(rows: &serde_json::Value) {
    // The bench runs from <target>/release/deps/.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.parent()?.to_path_buf())
        });
    let Some(dir) = target.map(|t| t.join("printhub-bench")) else {
        return;
    };
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("http.json"), rows.to_string()));
    if let Err(e) = written {
        eprintln!("cannot write {}: {e}", dir.display());
    }
}
