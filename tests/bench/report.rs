//! `make bench`'s last step: every figure of issue 17's table next to its
//! target and, where there is one, the reference system's figure.
//!
//! It reads what the benchmarks just wrote and measures nothing itself:
//! criterion's median estimates (`<target>/criterion/<id>/new/estimates.json`)
//! the HTTP load generator's summary (`<target>/printhub-bench/http.json`,
//! written by `crates/printhub/benches/http.rs`) and the memory bench's
//! (`memory.json`, `crates/printhub/benches/memory.rs`). A figure no
//! benchmark produced yet is printed as "not measured", never guessed; a
//! memory figure measured with fewer than 100,000 jobs is never "met".

use anyhow::Context;
use std::path::{Path, PathBuf};

/// One criterion benchmark: its id (criterion's directory name: a `/` in a
/// benchmark's name becomes `_`), what it stands for, the target (ns) and
/// the reference system's figure (ns) when known.
struct Timed {
    id: &'static str,
    figure: &'static str,
    target_ns: f64,
    reference: Option<(&'static str, f64)>,
}

const TIMED: &[Timed] = &[
    Timed {
        id: "qr_three_lines_dk-62x100",
        figure: "render, QR + 3 lines on 62x100 mm (QL-820NWB)",
        target_ns: 250_000.0,
        reference: Some(("its layout engine", 5_900_000.0)),
    },
    Timed {
        id: "qr_two_lines_tze-12",
        figure: "render, QR + 2 lines on 12 mm (PT-P750W)",
        target_ns: 100_000.0,
        reference: Some(("its layout engine", 4_660_000.0)),
    },
    Timed {
        id: "encode_ql820nwb_dk62_696x1181",
        figure: "encode 62x100 mm, compressed",
        target_ns: 60_000.0,
        reference: Some(("brother_ql", 27_200_000.0)),
    },
    Timed {
        id: "join_ql820nwb_dk62_20x696x300",
        figure: "join a 20-label chain, 62 mm",
        target_ns: 1_000_000.0,
        reference: None,
    },
];

fn main() -> anyhow::Result<()> {
    let target = target_dir()?;
    println!("issue 17's figures (medians; a shared machine is noisy: read ratios)");
    println!(
        "{:<52} {:>12} {:>12}  vs reference",
        "figure", "now", "target"
    );
    for row in TIMED {
        let now = median_ns(&target, row.id);
        let shown = now.map_or_else(|| "not measured".to_string(), duration);
        let verdict = match now {
            Some(ns) if ns <= row.target_ns => "met",
            Some(_) => "MISSED",
            None => "",
        };
        let reference = match (now, row.reference) {
            (Some(ns), Some((name, r))) => format!("{:.0}x faster than {name}", r / ns),
            _ => String::new(),
        };
        println!(
            "{:<52} {:>12} {:>12}  {verdict:<6} {reference}",
            row.figure,
            shown,
            format!("<= {}", duration(row.target_ns)),
        );
    }
    http(&target)?;
    memory(&target)?;
    Ok(())
}

/// The memory bench's rows (`crates/printhub/benches/memory.rs`): the real
/// `printhub serve` filled with batches, restarted, drained.
fn memory(target: &Path) -> anyhow::Result<()> {
    let path = target.join("printhub-bench").join("memory.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        for figure in [
            "batch of 10 labels, c=8",
            "hub RSS with 100,000 queued jobs",
            "hub RSS after those jobs drained",
            "embedded emulator after those pages",
            "start-up with 100,000 queued jobs",
        ] {
            println!("{figure:<52} {:>12}", "not measured");
        }
        return Ok(());
    };
    let m: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    let f = |key: &str| m[key].as_f64().unwrap_or(f64::NAN);
    let queued = m["queued"].as_u64().unwrap_or(0);
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    let rate = f("batch_per_second");
    println!(
        "{:<52} {:>12} {:>12}  {:<6} {:.0} labels/s, p99 {:.1} ms, hub CPU {:.0} µs/label",
        "batch of 10 labels, c=8",
        format!("{rate:.0}/s"),
        ">= 1,000/s",
        verdict(rate >= 1000.0),
        rate * 10.0,
        f("batch_p99_ms"),
        f("cpu_per_label_us"),
    );
    let rows = [
        (
            format!("hub RSS with {queued} queued jobs"),
            f("queued_rss_mib"),
            "<= 64 MiB",
            f("queued_rss_mib") <= 64.0 && queued >= 100_000,
            format!("after a restart {:.1} MiB", f("restarted_rss_mib")),
        ),
        (
            "hub RSS after those jobs drained".to_string(),
            f("drained_rss_mib"),
            "< 40 MiB",
            f("drained_rss_mib") < 40.0,
            format!(
                "15 s after; {:.1} MiB at once; idle empty hub {:.1} MiB",
                f("just_drained_rss_mib"),
                f("idle_rss_mib")
            ),
        ),
        (
            format!("embedded emulator after {queued} pages"),
            f("drained_rss_mib"),
            "<= 50 MiB",
            f("drained_rss_mib") <= 50.0 && queued >= 40_000,
            "the whole hub's RSS, its emulator inside: an upper bound".to_string(),
        ),
    ];
    for (figure, mib, target, met, note) in rows {
        println!(
            "{figure:<52} {:>12} {target:>12}  {:<6} {note}",
            format!("{mib:.1} MiB"),
            verdict(met),
        );
    }
    let startup = f("startup_ms");
    println!(
        "{:<52} {:>12} {:>12}  {:<6} then drained in {:.1} s",
        format!("start-up with {queued} queued jobs (/readyz 200)"),
        duration(startup * 1e6),
        "<= 1 s",
        verdict(startup <= 1000.0 && queued >= 100_000),
        f("drain_s"),
    );
    Ok(())
}

/// The HTTP load generator's rows: submits/s and p99 at each concurrency.
fn http(target: &Path) -> anyhow::Result<()> {
    let path = target.join("printhub-bench").join("http.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!(
            "{:<52} {:>12}",
            "durable single-label submits over HTTP", "not measured"
        );
        return Ok(());
    };
    let rows: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    for row in rows.as_array().into_iter().flatten() {
        let c = row["concurrency"].as_u64().unwrap_or(0);
        let rate = row["per_second"].as_f64().unwrap_or(0.0);
        let p99 = row["p99_ms"].as_f64().unwrap_or(f64::NAN);
        let (target, p99_max) = match c {
            1 => ("(no target)", f64::INFINITY),
            8 => (">= 5,000/s, p99 < 10 ms", 10.0),
            _ => (">= 5,000/s, p99 < 100 ms", 100.0),
        };
        let verdict = if c == 1 {
            ""
        } else if rate >= 5000.0 && p99 < p99_max {
            "met"
        } else {
            "MISSED"
        };
        let reference = match c {
            8 => format!("{:.0}x the reference API (51 req/s)", rate / 51.0),
            c if c >= 16 => "the reference API answered none".to_string(),
            _ => String::new(),
        };
        println!(
            "{:<52} {:>12} {target:>12}  {verdict:<6} {reference}",
            format!("durable single-label submits over HTTP, c={c}"),
            format!("{rate:.0}/s p99 {p99:.1} ms"),
        );
    }
    Ok(())
}

/// Criterion's median for benchmark `id`, in ns.
fn median_ns(target: &Path, id: &str) -> Option<f64> {
    let path = target
        .join("criterion")
        .join(id)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

/// Cargo's target directory: `CARGO_TARGET_DIR`, else the workspace's `target/`.
fn target_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Ok(PathBuf::from(dir));
    }
    Ok(Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn duration(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else {
        format!("{:.0} µs", ns / 1_000.0)
    }
}
