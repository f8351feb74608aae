//! Durable commits per second (`cargo bench -p printhub-store`): group
//! commit versus one transaction (one fsync) per job, on a temporary
//! database file (WAL, `synchronous=FULL`, as in production).
//!
//! Each producer thread commits one job at a time and waits for its own
//! `Commit` before the next, as a printer actor does. Every case runs five
//! times on a fresh file (interleaved with the other cases) and prints the
//! median, the spread and how many transactions the jobs took. The
//! machine is shared and fsync cost depends on the disk, so read ratios
//! between the cases rather than absolute numbers.

use std::sync::Arc;
use std::thread;
use std::time::Instant;

use printhub_core::{Job, JobId, JobSpec, PrinterId, Timestamp};
use printhub_store::{Store, StoreConfig};

const RUNS: usize = 5;

/// A raster of `len` bytes shaped like a PackBits-compressed PT label:
/// runs of zero and 0xff with some detail.
fn raster(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match i % 16 {
                0..=5 => 0,
                6..=9 => 0xff,
                _ => (x >> 32) as u8,
            }
        })
        .collect()
}

struct Case {
    name: String,
    producers: usize,
    jobs_per_producer: usize,
    max_batch: usize,
    raster_len: usize,
}

/// Returns (jobs per second, transactions) for one run on a fresh file.
fn run_once(case: &Case) -> (f64, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(
        &dir.path().join("bench.db"),
        StoreConfig {
            max_batch: case.max_batch,
            ..StoreConfig::default()
        },
    )
    .expect("open");
    let store = Arc::new(store);
    let spec = JobSpec::new(
        PrinterId::from_u128(1),
        "PT-P750W",
        "tze-12",
        raster(case.raster_len, case.producers as u64),
    );
    let started = Instant::now();
    thread::scope(|s| {
        for p in 0..case.producers {
            let store = Arc::clone(&store);
            let spec = spec.clone();
            s.spawn(move || {
                for i in 0..case.jobs_per_producer {
                    let id = JobId::from_u128((p * 1_000_000 + i) as u128 + 1);
                    let job = Job::new(id, spec.clone(), Timestamp::from_millis(i as i64));
                    store.commit(vec![job]).wait().expect("commit");
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let jobs = (case.producers * case.jobs_per_producer) as f64;
    (jobs / elapsed, store.stats().transactions)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let mut cases = Vec::new();
    for (producers, jobs_per_producer) in [(1, 200), (8, 100), (32, 50)] {
        for (mode, max_batch) in [("group commit", 1024), ("one transaction per job", 1)] {
            cases.push(Case {
                name: format!("{producers:>2} producers, 6 KiB raster, {mode}"),
                producers,
                jobs_per_producer,
                max_batch,
                raster_len: 6 * 1024,
            });
        }
    }
    for (mode, max_batch) in [("group commit", 1024), ("one transaction per job", 1)] {
        cases.push(Case {
            name: format!(" 8 producers, 64 B raster, {mode}"),
            producers: 8,
            jobs_per_producer: 100,
            max_batch,
            raster_len: 64,
        });
    }
    println!("durable commits per second (median of {RUNS} runs, fresh file each)");
    // Runs are interleaved across cases so that every case sees the same
    // spread of disk conditions on this shared machine.
    let mut results: Vec<Vec<(f64, u64)>> = vec![Vec::new(); cases.len()];
    for _ in 0..RUNS {
        for (case, runs) in cases.iter().zip(results.iter_mut()) {
            runs.push(run_once(case));
        }
    }
    for (case, runs) in cases.iter().zip(results) {
        let rates: Vec<f64> = runs.iter().map(|r| r.0).collect();
        let min = rates.iter().copied().fold(f64::INFINITY, f64::min);
        let max = rates.iter().copied().fold(0.0, f64::max);
        let jobs = case.producers * case.jobs_per_producer;
        let txs = median(runs.iter().map(|r| r.1 as f64).collect());
        println!(
            "{:<52} {:>7.0} jobs/s  (min {:>7.0}, max {:>7.0}; {jobs} jobs in ~{txs:.0} transactions)",
            case.name,
            median(rates),
            min,
            max,
        );
    }
}
