//! Commit-before-ack, the reopen round trip, `seq` order and replacement,
//! async and sync completion, concurrent readers, draining on close.

use std::sync::Arc;
use std::thread;

use printhub_core::{BatchId, JobCommand, JobError, JobId, PrintOptions, Timestamp};
use printhub_store::{RasterCodec, Store, StoreConfig};

use crate::support::{batch_job, completed, job, printer, raw, seq_of, with_raster, TempStore};

#[test]
fn a_commit_is_on_disk_before_it_is_acknowledged() {
    let t = TempStore::new();
    let jobs: Vec<_> = (1..=3).map(|n| job(n, printer(1))).collect();
    t.store.commit(jobs.clone()).wait().expect("commit");
    // A connection that shares nothing with the store sees every row.
    let conn = t.raw();
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM jobs ORDER BY seq")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let expected: Vec<String> = jobs.iter().map(|j| j.id.to_string()).collect();
    assert_eq!(ids, expected);
    let rasters: i64 = conn
        .query_row("SELECT COUNT(*) FROM job_rasters", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rasters, 3);
}

#[test]
fn the_connection_is_durable_by_configuration() {
    let t = TempStore::new();
    let conn = t.raw();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal mode");
    assert_eq!(mode, "wal");
    let vacuum: i64 = conn
        .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))
        .expect("auto vacuum");
    assert_eq!(vacuum, 2, "incremental");
}

#[test]
fn every_field_survives_close_and_reopen() {
    let t = TempStore::new();
    let p = printer(1);
    let mut full = with_raster(batch_job(1, p, BatchId::from_u128(9)), 100_000, 1);
    full.spec.copies = 3;
    full.spec.options = PrintOptions {
        cut: true,
        half_cut: true,
        chain: true,
        high_res: true,
    };
    full.spec.content_type = Some("qr_two_lines".into());
    full.spec.template = Some("shelf".into());
    full.spec.submitted_by = Some("grocy".into());
    full.apply(JobCommand::Start, Timestamp::from_millis(5))
        .expect("start");
    full.copies_printed = 1;
    full.confirmed = true;
    full.apply(JobCommand::Fail, Timestamp::from_millis(6))
        .expect("fail");
    full.error = Some(Box::new(JobError {
        code: "cover_open".into(),
        message: "the cover is open".into(),
        detail: Some(serde_json::json!({"status": {"errors": ["cover_open"]}, "n": 1.5})),
    }));
    let retry = full
        .retry(JobId::from_u128(2), Timestamp::from_millis(7))
        .expect("retry");
    let printing = {
        let mut j = job(3, printer(2));
        j.apply(JobCommand::Start, Timestamp::from_millis(8))
            .expect("start");
        j
    };
    let held = {
        let mut j = job(4, p);
        j.apply(JobCommand::Hold, Timestamp::from_millis(9))
            .expect("hold");
        j
    };
    let all = vec![full, retry, printing, held];
    t.store.commit(all.clone()).wait().expect("commit");

    let t = t.reopen();
    for j in &all {
        assert_eq!(t.store.load_job(j.id).expect("load").as_ref(), Some(j));
    }
    let loaded = t.store.load_all_jobs().expect("load all");
    assert!(loaded.corrupt.is_empty());
    assert_eq!(loaded.jobs, all, "seq order, every field");
    let mine = t.store.load_printer_jobs(p).expect("printer jobs");
    assert_eq!(
        mine.jobs,
        vec![all[0].clone(), all[1].clone(), all[3].clone()]
    );
    assert_eq!(t.store.load_job(JobId::from_u128(99)).expect("load"), None);
}

#[test]
fn a_replaced_job_keeps_its_seq_and_its_place() {
    let t = TempStore::new();
    let p = printer(1);
    let (a, b, c) = (job(1, p), job(2, p), job(3, p));
    t.store
        .commit(vec![a.clone(), b.clone()])
        .wait()
        .expect("commit");
    t.store.commit(vec![c.clone()]).wait().expect("commit");
    let conn = t.raw();
    let seq_a = seq_of(&conn, a.id);

    let mut a2 = a.clone();
    a2.apply(JobCommand::Hold, Timestamp::from_millis(50))
        .expect("hold");
    t.store.commit(vec![a2.clone()]).wait().expect("replace");
    assert_eq!(seq_of(&conn, a.id), seq_a);

    let d = job(4, p);
    t.store.commit(vec![d.clone()]).wait().expect("commit");
    assert!(seq_of(&conn, d.id) > seq_of(&conn, c.id));
    let loaded = t.store.load_printer_jobs(p).expect("load").jobs;
    assert_eq!(loaded, vec![a2, b, c, d]);
}

#[test]
fn snapshots_of_one_job_in_one_batch_apply_in_order() {
    let t = TempStore::new();
    let first = job(1, printer(1));
    let mut second = first.clone();
    second
        .apply(JobCommand::Start, Timestamp::from_millis(2))
        .expect("start");
    let mut third = second.clone();
    third.copies_printed = 1;
    third
        .apply(JobCommand::Complete, Timestamp::from_millis(3))
        .expect("complete");
    let pause = t.store.pause_writer();
    let commits = vec![
        t.store.commit(vec![first]),
        t.store.commit(vec![second]),
        t.store.commit(vec![third.clone()]),
    ];
    pause.resume();
    for c in commits {
        c.wait().expect("commit");
    }
    assert_eq!(
        t.store.load_job(third.id).expect("load"),
        Some(third.clone())
    );
    assert_eq!(t.store.load_all_jobs().expect("all").jobs, vec![third]);
}

#[tokio::test]
async fn a_commit_can_be_awaited_on_tokio() {
    let t = TempStore::new();
    let j = job(1, printer(1));
    t.store.commit(vec![j.clone()]).await.expect("commit");
    let status = serde_json::json!({"state": "idle"});
    t.store
        .save_printer_status(printer(1), &status, Timestamp::from_millis(1))
        .await
        .expect("status");
    assert_eq!(t.store.load_job(j.id).expect("load"), Some(j));
}

#[test]
fn readers_run_while_the_writer_commits() {
    for in_memory in [false, true] {
        let (_dir, store) = if in_memory {
            (
                None,
                Store::open_in_memory(StoreConfig::default()).expect("open"),
            )
        } else {
            let t = TempStore::new();
            (Some(t.dir), t.store)
        };
        let store = Arc::new(store);
        let writer = {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                for n in 1..=100 {
                    store
                        .commit(vec![job(n, printer(1))])
                        .wait()
                        .expect("commit");
                }
            })
        };
        let mut last = 0;
        while last < 100 {
            let loaded = store.load_all_jobs().expect("load while writing");
            assert!(loaded.corrupt.is_empty());
            assert!(loaded.jobs.len() >= last, "never goes back");
            let ids: Vec<_> = loaded.jobs.iter().map(|j| j.id).collect();
            let expected: Vec<_> = (1..=loaded.jobs.len() as u128)
                .map(JobId::from_u128)
                .collect();
            assert_eq!(ids, expected, "a consistent prefix in seq order");
            last = loaded.jobs.len();
        }
        writer.join().expect("writer");
    }
}

#[test]
fn closing_applies_everything_already_enqueued() {
    let t = TempStore::new();
    let path = t.path.clone();
    let commits: Vec<_> = (1..=50)
        .map(|n| t.store.commit(vec![job(n, printer(1))]))
        .collect();
    let TempStore { dir, store, .. } = t;
    store.close().expect("close");
    for c in commits {
        c.wait().expect("acknowledged before the writer stopped");
    }
    let n: i64 = raw(&path)
        .query_row("SELECT COUNT(*) FROM jobs", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 50);
    drop(dir);
}

#[test]
fn a_store_drops_cleanly_and_rejects_nothing_it_accepted() {
    let t = TempStore::new();
    let c = t.store.commit(vec![completed(job(1, printer(1)), 5)]);
    let reopened = t.reopen();
    c.wait().expect("committed before close");
    assert_eq!(reopened.store.load_all_jobs().expect("load").jobs.len(), 1);
    assert!(matches!(
        reopened.store.load_job(JobId::from_u128(1)),
        Ok(Some(_))
    ));
}

#[test]
fn jobs_of_interleaved_batches_in_one_commit_each_find_their_batch_row() {
    // The writer writes a batch's row once per run of its jobs: a batch
    // that comes back after another one's jobs is still there once.
    let t = TempStore::new();
    let p = printer(1);
    let (a, b) = (BatchId::from_u128(0xa), BatchId::from_u128(0xb));
    let jobs = vec![
        batch_job(1, p, a),
        batch_job(2, p, a),
        batch_job(3, p, b),
        batch_job(4, p, a),
        job(5, p),
    ];
    t.store.commit(jobs).wait().expect("commit");
    let conn = t.raw();
    let batches: Vec<String> = conn
        .prepare("SELECT id FROM batches ORDER BY id")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(batches, vec![a.to_string(), b.to_string()]);
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM jobs j WHERE j.batch_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = j.batch_id)",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(orphans, 0);
    for n in 1..=5 {
        assert!(
            t.store
                .load_job(JobId::from_u128(n))
                .expect("load")
                .is_some(),
            "job {n}"
        );
    }
}

#[test]
fn rasters_stored_with_zlib_read_back_after_the_codec_changes_to_lz4() {
    // A store written before LZ4 became the default (zlib rows) opens with
    // the default and reads every raster as it was; new rows are LZ4, and
    // both kinds sit side by side.
    let p = printer(1);
    let t = TempStore::with_config(StoreConfig {
        raster_codec: RasterCodec::Zlib { level: 6 },
        ..StoreConfig::default()
    });
    let old = with_raster(job(1, p), 20_000, 7);
    t.store.commit(vec![old.clone()]).wait().expect("commit");
    let t = t.reopen();
    let new = with_raster(job(2, p), 20_000, 8);
    t.store.commit(vec![new.clone()]).wait().expect("commit");
    assert_eq!(t.store.load_job(old.id).expect("load"), Some(old));
    assert_eq!(t.store.load_job(new.id).expect("load"), Some(new));
    let codecs: Vec<String> = t
        .raw()
        .prepare("SELECT codec FROM job_rasters ORDER BY job_seq")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(codecs, ["zlib", "lz4"]);
}

#[test]
fn rasters_land_on_their_own_jobs_when_inserts_and_replacements_mix() {
    // The writer inserts a job, or, when one of that id is stored, updates
    // it in place; the raster goes to the seq of the row written (the new
    // rowid, or the stored job's), never to the last rowid of another
    // statement (on a fresh store the first batch row and the first job
    // both have rowid 1).
    let t = TempStore::new();
    let p = printer(1);
    let batch = BatchId::from_u128(7);
    let first = vec![
        with_raster(batch_job(1, p, batch), 300, 1),
        with_raster(batch_job(2, p, batch), 400, 2),
    ];
    t.store.commit(first.clone()).wait().expect("first");
    let conn = t.raw();
    let seqs: Vec<i64> = first.iter().map(|j| seq_of(&conn, j.id)).collect();
    assert!(seqs[0] < seqs[1], "{seqs:?}");

    let mut replaced = with_raster(first[0].clone(), 500, 3);
    replaced
        .apply(JobCommand::Hold, Timestamp::from_millis(50))
        .expect("hold");
    let mixed = vec![
        with_raster(job(3, p), 200, 4),
        replaced.clone(),
        with_raster(batch_job(4, p, BatchId::from_u128(8)), 100, 5),
        with_raster(first[1].clone(), 600, 6),
    ];
    t.store.commit(mixed.clone()).wait().expect("mixed");
    assert_eq!(seq_of(&conn, first[0].id), seqs[0], "replaced in place");
    assert_eq!(seq_of(&conn, first[1].id), seqs[1], "replaced in place");
    for j in &mixed {
        assert_eq!(t.store.load_job(j.id).expect("load").as_ref(), Some(j));
    }
}
