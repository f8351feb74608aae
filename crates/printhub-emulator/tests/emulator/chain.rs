//! Chained streams (brother-raster.md §5.1 "Multiple labels"): several
//! copies joined into one stream print as one job on one connection, and
//! the records show it — one job start, `0C` between labels, `1A` at the
//! end — along with when each page printed.

use super::support::*;
use printhub_emulator::{Emulator, EmulatorConfig, Speed};
use printhub_raster::{chain, Command, JobOptions, Media, Model, PageEnd};
use std::time::Duration;

/// Ten one-label copies for a PT-P750W on 12 mm tape, joined.
fn ten_copies_joined() -> (Vec<printhub_raster::Label>, Vec<u8>) {
    let mut labels = Vec::new();
    let mut copies = Vec::new();
    for n in 0..10 {
        let (mut label, bytes) = job("PT-P750W", "tze-12", JobOptions::default(), 1, 40 + n);
        labels.append(&mut label);
        copies.push(bytes);
    }
    let slices: Vec<&[u8]> = copies.iter().map(Vec::as_slice).collect();
    let model = Model::by_name("PT-P750W").expect("model");
    let media = Media::by_id("tze-12").expect("media");
    let joined = chain::join(model, media, &slices).expect("joins");
    (labels, joined.bytes)
}

#[test]
fn a_chained_stream_prints_as_one_job_on_one_connection() {
    let emulator = start("PT-P750W", "tze-12");
    let (labels, bytes) = ten_copies_joined();
    let mut stream = send(&emulator, &bytes);
    // Every label is reported on its own (§5.2): printing, completed, receiving.
    for _ in 0..10 {
        expect_printed(&mut stream);
    }
    assert!(emulator.wait_for_pages(10, TIMEOUT));
    let pages = emulator.pages();
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page.black, labels[i].black, "label {i}");
        assert_eq!((page.meta.job, page.meta.page), (1, i), "one job, in order");
        assert_eq!(page.meta.connection, 1);
        assert!(page.meta.auto_cut && page.meta.cut_at_end && !page.meta.chain);
        let end = if i == 9 {
            PageEnd::PrintFeed
        } else {
            PageEnd::Print
        };
        assert_eq!(page.meta.end, end);
    }
    assert!(emulator.errors().is_empty(), "{:?}", emulator.errors());
    drop(stream);
    let connections = emulator.connections();
    let first = &connections[0];
    assert_eq!(first.number, 1);
    assert_eq!(first.bytes, bytes.len() as u64);
    assert_eq!(
        first.count(|c| *c == Command::Initialize),
        1,
        "never ESC @ inside"
    );
    assert_eq!(first.count(|c| *c == Command::Print), 9);
    assert_eq!(first.count(|c| *c == Command::PrintFeed), 1);
    assert!(
        first.count(|c| matches!(c, Command::Raster { .. } | Command::ZeroRaster)) == 0,
        "raster lines are not recorded"
    );
}

#[test]
fn utilisation_is_print_time_over_wall_time_from_the_first_byte() {
    // 180 lines at 180 dpi = 25.4 mm; at 30 mm/s about 0.85 s, four times faster about 0.21 s.
    let config = EmulatorConfig::new("PT-P750W", "tze-12").speed(Speed::Faster(4));
    let emulator = Emulator::start(config).expect("starts");
    assert_eq!(emulator.utilisation(), None, "nothing printed yet");
    let (_, bytes) = job("PT-P750W", "tze-12", JobOptions::default(), 3, 180);
    let mut stream = send(&emulator, &bytes);
    for _ in 0..3 {
        expect_printed(&mut stream);
    }
    assert!(emulator.wait_for_pages(3, TIMEOUT));
    let utilisation = emulator.utilisation().expect("pages printed");
    assert_eq!(utilisation.pages, 3);
    let nominal = Duration::from_secs_f64(3.0 * 25.4 / 30.0 / 4.0);
    assert!(utilisation.printing >= nominal, "{utilisation:?}");
    assert!(utilisation.printing <= utilisation.wall, "{utilisation:?}");
    assert!(utilisation.busy() > 0.0 && utilisation.busy() <= 1.0);
    for page in emulator.pages() {
        let print = page.print.expect("timed");
        assert!(print.finished >= print.started);
    }
    let connection = &emulator.connections()[0];
    let first_byte = connection.first_byte.expect("bytes came");
    assert!(first_byte >= connection.accepted);
    let first_print = emulator.pages()[0].print.expect("timed");
    assert!(first_print.started >= first_byte);
}
