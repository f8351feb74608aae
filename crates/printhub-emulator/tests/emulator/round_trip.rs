//! Every head family: encode with printhub-raster, send over TCP, and the
//! recorded page holds exactly the bits that went in.

use crate::support::*;
use printhub_emulator::{Emulator, EmulatorConfig};
use printhub_raster::{CutMode, JobOptions, Label, PageEnd};

/// Sends `labels` encoded as `bytes` to a fresh emulator of `model` with
/// `media` and checks the recorded pages against them.
fn check(model: &str, media: &str, labels: &[Label], bytes: &[u8]) {
    let emulator = start(model, media);
    let mut stream = send(&emulator, bytes);
    for _ in labels {
        expect_printed(&mut stream);
    }
    assert!(emulator.wait_for_pages(labels.len(), TIMEOUT));
    let pages = emulator.pages();
    assert_eq!(pages.len(), labels.len());
    for (i, (page, label)) in pages.iter().zip(labels).enumerate() {
        assert_eq!(page.black, label.black, "{model} {media} page {i} black");
        assert_eq!(page.red, label.red, "{model} {media} page {i} red");
        assert_eq!(page.meta.model, emulator.model().name);
        assert_eq!(page.meta.media, Some(media));
        assert_eq!(page.meta.raster_lines, label.black.height());
        assert_eq!(page.meta.width_dots, label.black.width());
        assert_eq!(
            (page.meta.job, page.meta.page, page.meta.connection),
            (1, i, 1)
        );
        assert!(!page.meta.ink_outside);
        let last = i + 1 == labels.len();
        assert_eq!(
            page.meta.end,
            if last {
                PageEnd::PrintFeed
            } else {
                PageEnd::Print
            }
        );
    }
    assert!(emulator.errors().is_empty(), "{:?}", emulator.errors());
}

fn check_job(model: &str, media: &str, options: JobOptions, count: usize, height: usize) {
    let (labels, bytes) = job(model, media, options, count, height);
    check(model, media, &labels, &bytes);
}

#[test]
fn pt_p750w_on_12_mm_tape() {
    check_job("PT-P750W", "tze-12", JobOptions::default(), 2, 120);
}

#[test]
fn pt_p750w_high_resolution_half_cut_chain() {
    let options = JobOptions::default()
        .high_res(true)
        .half_cut(true)
        .chain(true);
    let (labels, bytes) = job("PT-P750W", "tze-12", options, 2, 240);
    check("PT-P750W", "tze-12", &labels, &bytes);
}

#[test]
fn pt_p900w_on_24_mm_tape() {
    check_job("PT-P900W", "tze-24", JobOptions::default(), 2, 150);
}

#[test]
fn ql_820nwb_on_62_mm_continuous() {
    check_job("QL-820NWB", "dk-62", JobOptions::default(), 2, 300);
}

#[test]
fn ql_820nwb_on_29x90_die_cut() {
    check_job("QL-820NWB", "dk-29x90", JobOptions::default(), 2, 0);
}

#[test]
fn ql_820nwb_two_colour_on_62_mm_black_red() {
    let encoder = encoder(
        "QL-820NWB",
        "dk-62-red",
        JobOptions::default().two_colour(true),
    );
    let width = encoder.geometry().printable() as usize;
    let labels: Vec<Label> = (0..2)
        .map(|i| Label {
            black: pattern(width, 200, i),
            red: Some(pattern(width, 200, i + 5)),
        })
        .collect();
    let bytes = encoder.encode(&labels).expect("encodes");
    check("QL-820NWB", "dk-62-red", &labels, &bytes);
    // brother-raster.md §8 check 11 is what the decoder enforced; the record says two-colour.
}

#[test]
fn ql_1060n_on_102_mm_continuous() {
    check_job("QL-1060N", "dk-102", JobOptions::default(), 2, 300);
}

#[test]
fn ql_700_uncompressed() {
    let (labels, bytes) = job("QL-700", "dk-62", JobOptions::default(), 2, 200);
    check("QL-700", "dk-62", &labels, &bytes);
}

#[test]
fn metadata_follows_the_job_options() {
    let emulator = start("PT-P750W", "tze-12");
    let options = JobOptions::default()
        .cut(CutMode::AtEnd)
        .half_cut(true)
        .margin(20);
    let mut stream = send(&emulator, &job("PT-P750W", "tze-12", options, 1, 100).1);
    expect_printed(&mut stream);
    let meta = emulator.pages()[0].meta.clone();
    assert!(!meta.auto_cut && meta.half_cut && meta.cut_at_end && !meta.chain && !meta.high_res);
    assert!(meta.compressed && !meta.two_colour && !meta.mirror);
    assert_eq!(meta.margin, Some(20));
}

#[test]
fn jobs_are_numbered_across_connections_and_1a() {
    let emulator = start("QL-820NWB", "dk-62");
    // Two jobs on one connection, then one on the next connection.
    let one = simple_job("QL-820NWB", "dk-62");
    let mut stream = send(&emulator, &[one.clone(), one.clone()].concat());
    expect_printed(&mut stream);
    expect_printed(&mut stream);
    drop(stream);
    let mut stream = send(&emulator, &one);
    expect_printed(&mut stream);
    let numbers: Vec<_> = emulator
        .pages()
        .iter()
        .map(|p| (p.meta.job, p.meta.page, p.meta.connection))
        .collect();
    assert_eq!(numbers, [(1, 0, 1), (2, 0, 1), (3, 0, 2)]);
}

#[test]
fn pages_are_written_to_the_output_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = EmulatorConfig::new("QL-820NWB", "dk-62-red").out_dir(dir.path());
    let emulator = Emulator::start(config).expect("starts");
    let encoder = encoder(
        "QL-820NWB",
        "dk-62-red",
        JobOptions::default().two_colour(true),
    );
    let width = encoder.geometry().printable() as usize;
    let label = Label {
        black: pattern(width, 150, 1),
        red: Some(pattern(width, 150, 2)),
    };
    let mut stream = send(
        &emulator,
        &encoder
            .encode(std::slice::from_ref(&label))
            .expect("encodes"),
    );
    expect_printed(&mut stream);

    let written = |suffix: &str| {
        let names: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
            .expect("out dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        assert_eq!(names.len(), 1, "one {suffix}: {names:?}");
        names[0].clone()
    };
    let json_path = written("-1-0.json");
    let stem = json_path
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("stem")
        .to_string();
    // `<time>-<job>-<page>`: the decode time, compact, so a restarted run never overwrites.
    assert!(
        stem.len() == "20261128T101502.123Z-1-0".len() && stem.as_bytes()[8] == b'T',
        "{stem}"
    );
    let json = std::fs::read(&json_path).expect("metadata written");
    let meta: serde_json::Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(meta["model"], "QL-820NWB");
    assert_eq!(meta["media"], "dk-62-red");
    assert_eq!(meta["raster_lines"], 150);
    assert_eq!(meta["two_colour"], true);
    assert_eq!(
        (meta["job"].clone(), meta["page"].clone()),
        (1.into(), 0.into())
    );
    assert!(meta["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));

    let png = std::fs::read(written("-1-0.png")).expect("png written");
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .expect("png header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    reader.next_frame(&mut pixels).expect("png data");
    let info = reader.info();
    assert_eq!((info.width as usize, info.height as usize), (width, 150));
    let palette = info.palette.clone().expect("palette");
    // Two bits a pixel: check every pixel's colour against the label.
    let stride = width.div_ceil(4);
    for y in 0..150 {
        for x in 0..width {
            let index = (pixels[y * stride + x / 4] >> (6 - 2 * (x % 4))) & 3;
            let rgb = &palette[3 * index as usize..3 * index as usize + 3];
            let expected: &[u8] = if label.black.get(x, y) {
                &[0, 0, 0]
            } else if label.red.as_ref().is_some_and(|r| r.get(x, y)) {
                &[0xFF, 0, 0]
            } else {
                &[0xFF, 0xFF, 0xFF]
            };
            assert_eq!(rgb, expected, "pixel {x},{y}");
        }
    }
}

#[test]
fn a_client_that_sends_and_closes_without_reading_still_prints() {
    // brother_ql's network backend writes the job and returns at once (brother-raster.md §5.3).
    let emulator = start("QL-820NWB", "dk-62");
    let (labels, bytes) = job("QL-820NWB", "dk-62", JobOptions::default(), 3, 200);
    drop(send(&emulator, &bytes));
    assert!(emulator.wait_for_pages(3, TIMEOUT));
    let pages = emulator.pages();
    assert!(pages
        .iter()
        .zip(&labels)
        .all(|(page, label)| page.black == label.black));
    assert!(emulator.errors().is_empty(), "{:?}", emulator.errors());
}

/// A derived vector of printhub-raster's tests (`tests/data/derived`, see its README).
fn derived(case: &str) -> Vec<u8> {
    let path = format!(
        "{}/../printhub-raster/tests/data/derived/{case}/output.bin",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn a_job_whose_last_page_ends_with_0c_prints_without_feed() {
    // ptouch 1.1.0 `print(label, feed=False)` ends the last label with 0C and no 1A (to
    // save tape between jobs): a PT printer prints it on 0C and waits, not fed, not cut.
    let dir = tempfile::tempdir().expect("temp dir");
    let config = EmulatorConfig::new("PT-P750W", "tze-12").out_dir(dir.path());
    let emulator = Emulator::start(config).expect("starts");
    let mut stream = send(&emulator, &derived("ptp750w_12mm_strip2_nofeed"));
    expect_printed(&mut stream);
    expect_printed(&mut stream);
    stream
        .shutdown(std::net::Shutdown::Write)
        .expect("half-close");
    // Nothing more to say: no error block, the printer closes the connection.
    expect_closed(&mut stream);
    assert!(emulator.errors().is_empty(), "{:?}", emulator.errors());
    let pages = emulator.pages();
    assert_eq!(pages.len(), 2);
    let meta = |i: usize| &pages[i].meta;
    assert_eq!((meta(0).end, meta(1).end), (PageEnd::Print, PageEnd::Print));
    assert!(!meta(0).printed_without_feed, "more pages followed it");
    assert!(meta(1).printed_without_feed);
    assert_eq!((meta(0).job, meta(1).job), (1, 1));
    assert_eq!(pages[1].black.height(), 96);
    // The page's JSON says so too.
    let json = std::fs::read_dir(dir.path())
        .expect("out dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.to_string_lossy().ends_with("-1-1.json"))
        .expect("page 1 of job 1");
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(json).expect("json")).expect("parses");
    assert_eq!(meta["printed_without_feed"], true);
    assert_eq!(meta["end"], "print");

    // The next job, with its 1A, is fed as usual.
    let mut stream = send(&emulator, &simple_job("PT-P750W", "tze-12"));
    expect_printed(&mut stream);
    assert!(emulator.wait_for_pages(3, TIMEOUT));
    let next = &emulator.pages()[2].meta;
    assert_eq!((next.job, next.end), (2, PageEnd::PrintFeed));
    assert!(!next.printed_without_feed);
}

#[test]
fn only_the_last_keep_pages_stay_in_memory_and_every_page_is_in_the_output_folder() {
    // Memory stays bounded however long the emulator runs: 3 + 4 pages with keep_pages = 3
    // leave the last 3 in memory, and all 7 in out_dir.
    let (keep, more) = (3, 4);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = EmulatorConfig::new("PT-P750W", "tze-12")
        .out_dir(dir.path())
        .keep_pages(keep);
    let emulator = Emulator::start(config).expect("starts");
    let (labels, bytes) = job("PT-P750W", "tze-12", JobOptions::default(), keep + more, 80);
    let mut stream = send(&emulator, &bytes);
    for _ in &labels {
        expect_printed(&mut stream);
    }
    assert!(emulator.wait_for_pages(keep + more, TIMEOUT));
    assert_eq!(emulator.pages_printed(), keep + more);
    let pages = emulator.pages();
    let numbers: Vec<usize> = pages.iter().map(|p| p.meta.page).collect();
    assert_eq!(numbers, [4, 5, 6], "the last {keep}, oldest first");
    for (page, label) in pages.iter().zip(&labels[more..]) {
        assert_eq!(page.black, label.black);
    }
    let pngs = std::fs::read_dir(dir.path())
        .expect("out dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "png"))
        })
        .count();
    assert_eq!(pngs, keep + more, "every page is on disk");
    assert!(emulator.errors().is_empty(), "{:?}", emulator.errors());
}

#[test]
fn keep_pages_defaults_to_100_and_is_read_from_a_config() {
    assert_eq!(EmulatorConfig::new("PT-P750W", "tze-12").keep_pages, 100);
    let parse = |json: &str| serde_json::from_str::<EmulatorConfig>(json).expect("parses");
    let set = parse(r#"{"model": "PT-P750W", "media": "tze-12", "keep_pages": 5}"#);
    assert_eq!(set.keep_pages, 5);
    let default = parse(r#"{"model": "PT-P750W", "media": "tze-12"}"#);
    assert_eq!(default.keep_pages, printhub_emulator::DEFAULT_KEEP_PAGES);
    let refused = serde_json::from_str::<EmulatorConfig>(
        r#"{"model": "PT-P750W", "media": "tze-12", "keep_pages": -1}"#,
    );
    assert!(refused.is_err(), "a negative count is refused");
}
