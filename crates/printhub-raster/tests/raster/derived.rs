//! The derived vectors (`tests/data/derived`, made by its `derive.py` from
//! the peer vectors; its README says how): peer behaviour the shared vectors
//! do not show, which printers print, so the decoder must accept it.
//!
//! - ptouch 1.1.0 `print(label, feed=False)` ends the last label with `0C`
//!   and no `1A`: a PT printer prints it and waits, not fed out, not cut.
//! - brother_ql 0.9.4 sends labels shorter than the model's minimum length
//!   (120 lines for the QL-1060N, whose minimum is 295: brother-raster.md §2).
//!   Decoded, such a page is re-encoded by printhub padded to the minimum.

use super::support::{data, read_png, Rgb};
use super::vectors::{check_page_against_input, Case, CASES};
use printhub_raster::{
    chain, Command, Decoder, DecoderOptions, Encoder, Event, JobOptions, Label, Media, Model, Page,
    PageEnd,
};

fn bytes(path: &str) -> Vec<u8> {
    std::fs::read(data(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn case(dir: &str) -> &'static Case {
    CASES.iter().find(|c| c.dir == dir).expect("peer vector")
}

fn model(name: &str) -> &'static Model {
    Model::by_name(name).expect("model")
}

fn decode(model: Option<&'static Model>, stream: &[u8]) -> (Vec<(u64, Command)>, Vec<Page>) {
    Decoder::decode_all(DecoderOptions { model }, stream).expect("the printer prints it")
}

/// The input picture of page `index` of peer vector `dir`.
fn input(dir: &str, index: usize) -> Rgb {
    let file = if index == 0 {
        "input.png".to_string()
    } else {
        format!("input_{}.png", index + 1)
    };
    read_png(&data(&format!("vectors/{dir}/{file}")))
}

#[test]
fn a_job_whose_last_page_ends_with_0c_is_printed_without_feed() {
    // ptouch 1.1.0 `LabelPrinter.print(label, feed=False)` writes `0C` where `1A` would be
    // (derived/README.md): the page prints, and the printer neither feeds nor cuts it.
    for (dir, source) in [
        ("ptp750w_12mm_frames_l_nofeed", "ptp750w_12mm_frames_l"),
        ("ptp750w_12mm_strip2_nofeed", "ptp750w_12mm_strip2_halfcut"),
    ] {
        let stream = bytes(&format!("derived/{dir}/output.bin"));
        let peer = case(source);
        let pt = model(peer.model);
        for options in [Some(pt), None] {
            let (commands, pages) = decode(options, &stream);
            let (_, fed) = decode(options, &bytes(&format!("vectors/{source}/output.bin")));
            assert_eq!(pages.len(), fed.len(), "{dir}");
            let last = pages.len() - 1;
            for (page, fed) in pages.iter().zip(&fed) {
                check_page_against_input(peer, page, &input(source, page.index));
                assert_eq!(page.black, fed.black, "{dir} page {}", page.index);
                assert_eq!(page.info, fed.info);
                assert_eq!(page.end, PageEnd::Print, "{dir}: every page ends with 0C");
                assert_eq!(page.printed_without_feed, page.index == last, "{dir}");
                // The source ends its last page with 1A: fed out and cut as usual.
                assert!(!fed.printed_without_feed);
            }
            assert_eq!(
                commands.last(),
                Some(&(stream.len() as u64 - 1, Command::Print))
            );
        }
    }
}

#[test]
fn a_streaming_decoder_reports_the_end_without_feed_after_the_page() {
    let stream = bytes("derived/ptp750w_12mm_strip2_nofeed/output.bin");
    let mut decoder = Decoder::new(DecoderOptions::default());
    decoder.push(&stream).expect("valid");
    let mut before = Vec::new();
    while let Some(event) = decoder.next_event() {
        before.push(event);
    }
    // Until the stream ends, the 0C may still be followed by another page.
    assert!(decoder.in_job());
    assert!(!before
        .iter()
        .any(|e| matches!(e, Event::EndWithoutFeed { .. })));
    decoder.finish().expect("a complete job");
    let end = stream.len() as u64 - 1;
    assert_eq!(
        decoder.next_event(),
        Some(Event::EndWithoutFeed {
            page: 1,
            offset: end
        })
    );
    assert_eq!(decoder.next_event(), None);
    assert!(!decoder.in_job());
    // The page itself came out at its 0C, not yet knowing it was the last.
    let Some(Event::Page(page)) = before.last() else {
        panic!("the last event before finish is the page: {before:?}")
    };
    assert_eq!((page.index, page.end_offset), (1, end));
    assert!(!page.printed_without_feed);
}

#[test]
fn a_hand_built_ptouch_job_without_feed_decodes() {
    // ptouch 1.1.0 byte layout (vectors README "Command sequences"): constructor
    // `00 × 200, ESC @`; print(): `ESC i a 01`, `ESC i z 86 00 0C 00 <count> 00 00`,
    // `ESC i M 40`, `ESC i A 01`, `ESC i K 0C`, `ESC i d 0E 00`, `M 02`, lines (`Z` for a
    // blank one), then `1A`, or `0C` with feed=False.
    let mut stream = vec![0u8; 200];
    stream.extend_from_slice(&[0x1B, 0x40, 0x1B, 0x69, 0x61, 0x01]);
    stream.extend_from_slice(&[0x1B, 0x69, 0x7A, 0x86, 0x00, 0x0C, 0x00, 2, 0, 0, 0, 0, 0]);
    stream.extend_from_slice(&[0x1B, 0x69, 0x4D, 0x40, 0x1B, 0x69, 0x41, 0x01]);
    stream.extend_from_slice(&[0x1B, 0x69, 0x4B, 0x0C, 0x1B, 0x69, 0x64, 0x0E, 0x00]);
    stream.extend_from_slice(&[0x4D, 0x02, 0x5A, 0x47, 0x02, 0x00, 0xF1, 0xFF, 0x0C]);
    let (_, pages) = decode(Some(model("PT-P750W")), &stream);
    assert_eq!(pages.len(), 1);
    let page = &pages[0];
    assert_eq!((page.lines, page.end), (2, PageEnd::Print));
    assert!(page.printed_without_feed);
    assert!(page.half_cut() && page.auto_cut() && page.cut_at_end());
    assert_eq!(page.line(1), [0xFF; 16]);
    // The same job with 1A is fed as usual.
    *stream.last_mut().expect("byte") = 0x1A;
    let (_, pages) = decode(Some(model("PT-P750W")), &stream);
    assert!(!pages[0].printed_without_feed);
}

#[test]
fn a_short_brother_ql_label_decodes_and_is_re_encoded_padded_to_the_minimum() {
    // brother_ql 0.9.4 sends a 120-line (10 mm) label on 102 mm continuous roll for the
    // QL-1060N; the model's minimum is 295 lines (brother_ql's and brother_ql_next's model
    // tables, brother-raster.md §2 "Line count limits"). The printer feeds at least its
    // minimum anyway, so printhub pads the label after its content instead of refusing it.
    let source = case("ql1060n_102_frames_l_comp");
    let ql = model("QL-1060N");
    assert_eq!(ql.min_lines, 295);
    let (_, pages) = decode(Some(ql), &bytes("derived/ql1060n_102_short_120/output.bin"));
    assert_eq!(pages.len(), 1);
    let page = &pages[0];
    assert_eq!((page.lines, page.end), (120, PageEnd::PrintFeed));
    assert_eq!(page.media().map(|m| m.id), Some("dk-102"));
    let full = input(source.dir, 0);
    let top = Rgb {
        width: full.width,
        height: 120,
        pixels: full.pixels[..full.width * 120].to_vec(),
    };
    check_page_against_input(source, page, &top);

    let media = Media::by_id("dk-102").expect("media");
    let encoder = Encoder::new(ql, media, JobOptions::default()).expect("options");
    let label = page.bitmap(page.window());
    assert_eq!(encoder.padded_lines(label.height()), 295);
    let job = encoder
        .encode(&[Label::black(label.clone())])
        .expect("padded, not refused");
    assert_eq!(job.last(), Some(&0x1A), "the encoder always ends with 1A");
    let (_, again) = decode(Some(ql), &job);
    assert_eq!(again[0].lines, 295);
    assert_eq!(again[0].info.raster_count, 295);
    let padded = again[0].bitmap(again[0].window());
    for y in 0..295 {
        for x in 0..label.width() {
            let want = y < 120 && label.get(x, y);
            assert_eq!(padded.get(x, y), want, "line {y} dot {x}");
        }
    }
}

#[test]
fn copies_that_end_without_feed_or_short_join_a_chain_that_ends_fed() {
    // A chain is an encoder stream (chain.rs): one job start, 0C between labels, 1A at the
    // end, every continuous label at least the model's minimum.
    let pt = model("PT-P750W");
    let tze = Media::by_id("tze-12").expect("media");
    let nofeed = bytes("derived/ptp750w_12mm_frames_l_nofeed/output.bin");
    let joined = chain::join(pt, tze, &[&nofeed, &nofeed]).expect("joins");
    let (_, pages) = decode(Some(pt), &joined.bytes);
    assert_eq!(
        pages.iter().map(|p| p.end).collect::<Vec<_>>(),
        [PageEnd::Print, PageEnd::PrintFeed]
    );
    assert!(pages.iter().all(|p| !p.printed_without_feed));
    assert_eq!(chain::span(pt, &nofeed).pages, 1);

    let ql = model("QL-1060N");
    let short = bytes("derived/ql1060n_102_short_120/output.bin");
    let dk = Media::by_id("dk-102").expect("media");
    let joined = chain::join(ql, dk, &[&short]).expect("joins, padded");
    let (_, pages) = decode(Some(ql), &joined.bytes);
    assert_eq!(pages[0].lines, 295);
    // 295 lines + 35 dots of feed at both ends at 300 dpi = 30.9 mm: the printer feeds
    // its minimum, not the 120 lines it was sent.
    assert_eq!(chain::span(ql, &short).feed_mm, 31);
}
