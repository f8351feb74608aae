//! Memory and start-up of the real `printhub serve` (`make bench`): the hub
//! runs as a child process with one embedded PT-P750W emulator (instant
//! speed) and its own data folder; this load generator fills the paused
//! printer's queue over HTTP with batches of 10 labels (c=8), reads the
//! child's resident set (`VmRSS` in `/proc/<pid>/status`), restarts it over
//! the full store and times how long until `/readyz` answers 200, then
//! resumes the printer, waits until the queue has drained and reads the
//! resident set again, at once and 15 s later (what the allocator kept).
//!
//! `PRINTHUB_BENCH_QUEUED` sets how many jobs (default 100,000, the most
//! `[printing] max_queue` allows). Figures go to
//! `<target>/printhub-bench/memory.json` for `bench-report`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BATCH: usize = 10;
const CLIENTS: usize = 8;

fn main() {
    let queued: usize = std::env::var("PRINTHUB_BENCH_QUEUED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tmp");
    let api = free_port();
    let emulator = free_port();
    let config = dir.path().join("printhub.toml");
    std::fs::write(
        &config,
        format!(
            r#"listen = "127.0.0.1:{api}"
data_dir = "{data}"

[auth]
anonymous = "admin"

[printing]
max_queue = {max_queue}

[[printer]]
slug = "pt"
model = "PT-P750W"
media = "tze-12"
address = "127.0.0.1:{emulator}"

[[emulator]]
model = "PT-P750W"
media = "tze-12"
tcp_addr = "127.0.0.1:{emulator}"
"#,
            data = dir.path().join("data").display(),
            max_queue = queued.max(1000),
        ),
    )
    .expect("config");
    let base = format!("http://127.0.0.1:{api}");
    let mut hub = Hub::start(&config, &base);
    let idle_rss = hub.rss_mib();
    println!("printhub serve, one emulated PT-P750W; {queued} labels queued in batches of {BATCH} at c={CLIENTS}");
    println!("  idle, empty queue: RSS {idle_rss:.1} MiB");

    let sys = actix_web::rt::System::new();
    sys.block_on(post(&base, "/api/printers/pt/pause"));
    let cpu_before = hub.cpu_seconds();
    let (rate, p99) = sys.block_on(fill(&base, queued));
    // CPU time the hub spent per label queued: steadier than the rate on a
    // shared machine (it does not count the time the hub waited for a core).
    let cpu_per_label_us = (hub.cpu_seconds() - cpu_before) / queued.max(1) as f64 * 1e6;
    println!(
        "  batch of {BATCH} labels, c={CLIENTS}: {rate:.0} req/s ({:.0} labels/s), p99 {p99:.1} ms; hub CPU {cpu_per_label_us:.0} µs per label",
        rate * BATCH as f64
    );
    let full_rss = hub.rss_mib();
    println!("  {queued} queued: RSS {full_rss:.1} MiB");

    hub.stop();
    let restart = Instant::now();
    let mut hub = Hub::start(&config, &base);
    let startup = restart.elapsed();
    let restarted_rss = hub.rss_mib();
    let depth = sys.block_on(queue_depth(&base));
    assert_eq!(depth, queued, "every queued job is back after the restart");
    println!(
        "  restart over the full store: ready in {:.0} ms, RSS {restarted_rss:.1} MiB",
        startup.as_secs_f64() * 1e3
    );

    let drain = Instant::now();
    sys.block_on(async {
        post(&base, "/api/printers/pt/resume").await;
        loop {
            if queue_depth(&base).await == 0 {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let drained_in = drain.elapsed();
    let just_drained = hub.rss_mib();
    // The allocator hands freed pages back over seconds (jemalloc's decay):
    // the figure is the resident set 15 s after the queue emptied.
    std::thread::sleep(Duration::from_secs(15));
    let drained_rss = hub.rss_mib();
    println!(
        "  drained in {:.1} s: RSS {just_drained:.1} MiB at once, {drained_rss:.1} MiB 15 s later",
        drained_in.as_secs_f64()
    );
    hub.stop();
    write_summary(&serde_json::json!({
        "queued": queued,
        "idle_rss_mib": idle_rss,
        "batch_per_second": rate,
        "batch_p99_ms": p99,
        "cpu_per_label_us": cpu_per_label_us,
        "queued_rss_mib": full_rss,
        "startup_ms": startup.as_secs_f64() * 1e3,
        "restarted_rss_mib": restarted_rss,
        "drain_s": drained_in.as_secs_f64(),
        "just_drained_rss_mib": just_drained,
        "drained_rss_mib": drained_rss,
    }));
}

/// The hub as a child process.
struct Hub {
    child: Child,
}

impl Hub {
    /// Starts `printhub serve --config` and waits until `/readyz` answers 200.
    fn start(config: &Path, base: &str) -> Hub {
        let hub = Hub {
            child: Command::new(env!("CARGO_BIN_EXE_printhub"))
                .args(["serve", "--config"])
                .arg(config)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("printhub serve"),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        let url = format!("{base}/readyz");
        while Instant::now() < deadline {
            if http_status(&url) == Some(200) {
                return hub;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("printhub serve was not ready within 120 s");
    }

    /// The child's resident set in MiB.
    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status");
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmRSS");
        kib / 1024.0
    }

    /// The CPU time (user and system) the child has used, in seconds:
    /// `utime` and `stime` of `/proc/<pid>/stat`, in clock ticks.
    fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).expect("/proc stat");
        // The command name (field 2) is in parentheses and may hold spaces;
        // the fields after it start at field 3.
        let rest = &stat[stat.rfind(')').expect("comm") + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 =
            fields[11].parse::<f64>().expect("utime") + fields[12].parse::<f64>().expect("stime");
        ticks / clock_ticks_per_second()
    }

    /// SIGTERM, then waits for the exit (a graceful stop).
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `getconf CLK_TCK` (100 on Linux nearly everywhere), the unit of the
/// times in `/proc/<pid>/stat`.
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A bare HTTP/1.1 GET's status code (no client library: the start-up
/// timing polls in a tight loop outside any runtime).
fn http_status(url: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/')?;
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

async fn post(base: &str, path: &str) {
    let resp = awc::Client::new()
        .post(format!("{base}{path}"))
        .send()
        .await
        .expect("request");
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
}

async fn queue_depth(base: &str) -> usize {
    let mut resp = awc::Client::new()
        .get(format!("{base}/api/printers/pt"))
        .send()
        .await
        .expect("request");
    let view: serde_json::Value = resp.json().await.expect("printer view");
    view["queue_depth"].as_u64().expect("queue_depth") as usize
}

/// Queues `total` labels in batches of [`BATCH`] from [`CLIENTS`] clients;
/// the batch requests per second and their p99 in ms.
async fn fill(base: &str, total: usize) -> (f64, f64) {
    let url = format!("{base}/api/print/pt/batch");
    let batches = total.div_ceil(BATCH);
    // Every body is written before the clock starts: on a 2-core machine
    // the load generator's own JSON work would be taken from the hub.
    let bodies: Vec<actix_web::web::Bytes> = (0..batches)
        .map(|n| {
            let items: Vec<_> = (0..BATCH)
                .map(|i| {
                    let id = n * BATCH + i;
                    serde_json::json!({"content_type": "qr_one_line", "data": {
                        "qr_payload": format!("https://example.invalid/{id}"),
                        "primary_id": format!("BOX-{id}")}})
                })
                .collect();
            serde_json::to_vec(&serde_json::json!({ "items": items }))
                .expect("body")
                .into()
        })
        .collect();
    let bodies = std::rc::Rc::new(bodies);
    let next = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let start = Instant::now();
    let clients = (0..CLIENTS).map(|_| {
        let (url, next, bodies) = (url.clone(), next.clone(), bodies.clone());
        async move {
            let client = awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish();
            let mut latencies = Vec::new();
            loop {
                let n = next.get();
                if n >= batches {
                    return latencies;
                }
                next.set(n + 1);
                let t = Instant::now();
                let mut resp = client
                    .post(&url)
                    .content_type("application/json")
                    .send_body(bodies[n].clone())
                    .await
                    .expect("request");
                assert_eq!(resp.status().as_u16(), 202, "every batch is acknowledged");
                // Read to the end: awc reuses a connection only once its
                // response was read (else every batch would pay a TCP
                // connect, accept and shutdown on the hub's side).
                resp.body().await.expect("the 202's body");
                latencies.push(t.elapsed());
            }
        }
    });
    let mut all: Vec<Duration> = futures_util::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
        .collect();
    let wall = start.elapsed().as_secs_f64();
    all.sort();
    let p99 = all[((all.len() as f64 - 1.0) * 0.99).round() as usize];
    (all.len() as f64 / wall, p99.as_secs_f64() * 1e3)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Leaves the figures in `<target>/printhub-bench/memory.json`.
fn write_summary(figures: &serde_json::Value) {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.parent()?.to_path_buf())
        });
    let Some(dir) = target.map(|t| t.join("printhub-bench")) else {
        return;
    };
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("memory.json"), figures.to_string()));
    if let Err(e) = written {
        eprintln!("cannot write {}: {e}", dir.display());
    }
}
