//! Chaining: one-copy streams joined into one stream (brother-raster.md
//! §5.1 "Multiple labels", §1.2 `ESC i K`, §8 checks 1, 9 and 10). Each test
//! decodes the joined stream with the strict decoder and checks the commands
//! and pages a printer would act on.

use printhub_raster::chain::{self, CopySpan};
use printhub_raster::{
    Bitmap, Command, CutMode, Decoder, DecoderOptions, Encoder, JobOptions, Label, Media, Model,
    Page, PageEnd,
};
use proptest::prelude::*;

fn model(name: &str) -> &'static Model {
    Model::by_name(name).expect("model")
}

fn media(id: &str) -> &'static Media {
    Media::by_id(id).expect("media")
}

/// One copy's stream of `label` with `options`.
fn copy(model_name: &str, media_id: &str, options: JobOptions, label: &Label) -> Vec<u8> {
    Encoder::new(model(model_name), media(media_id), options)
        .expect("valid options")
        .encode(std::slice::from_ref(label))
        .expect("encodes")
}

/// A label `width` dots across and `lines` long, marked with `n`.
fn marked(width: usize, lines: usize, n: usize) -> Label {
    Label::black(Bitmap::from_fn(width, lines, |x, y| {
        x == n % width || y == n % lines
    }))
}

/// Joins `copies` and decodes the result strictly for the model.
fn join_and_decode(
    model_name: &str,
    media_id: &str,
    copies: &[Vec<u8>],
) -> (Vec<u8>, Vec<CopySpan>, Vec<Command>, Vec<Page>) {
    let slices: Vec<&[u8]> = copies.iter().map(Vec::as_slice).collect();
    let joined = chain::join(model(model_name), media(media_id), &slices).expect("joins");
    let options = DecoderOptions {
        model: Some(model(model_name)),
    };
    let (commands, pages) = Decoder::decode_all(options, &joined.bytes).expect("decodes strictly");
    let commands = commands.into_iter().map(|(_, c)| c).collect();
    (joined.bytes, joined.copies, commands, pages)
}

fn count(commands: &[Command], pred: impl Fn(&Command) -> bool) -> usize {
    commands.iter().filter(|c| pred(c)).count()
}

#[test]
fn ten_labels_with_auto_cut_make_one_job_that_cuts_after_every_label() {
    // §5.1: the job start (invalidate + ESC @ + ESC i a 01) once, then per label its control
    // codes; 0C between labels, 1A after the last (§8 check 9); auto cut on every label:
    // ESC i M 40, ESC i A 01 and ESC i K bit 3 (§8 check 10).
    let labels: Vec<Label> = (0..10).map(|n| marked(70, 60, n)).collect();
    let copies: Vec<Vec<u8>> = labels
        .iter()
        .map(|l| copy("PT-P750W", "tze-12", JobOptions::default(), l))
        .collect();
    let (bytes, spans, commands, pages) = join_and_decode("PT-P750W", "tze-12", &copies);
    assert_eq!(count(&commands, |c| *c == Command::Initialize), 1);
    assert_eq!(
        commands[..2],
        [Command::Invalidate { len: 100 }, Command::Initialize],
        "the stream starts like a job (§8 check 1)"
    );
    assert_eq!(
        count(&commands, |c| matches!(c, Command::Invalidate { .. })),
        1
    );
    assert_eq!(pages.len(), 10);
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page.bitmap(page.window()), labels[i].black, "label {i}");
        assert_eq!(page.info.page, u8::from(i > 0), "n9 of label {i} (§1.1)");
        assert!(page.auto_cut() && page.cut_every == Some(1) && page.cut_at_end());
        assert_eq!(
            page.end,
            if i == 9 {
                PageEnd::PrintFeed
            } else {
                PageEnd::Print
            }
        );
    }
    // Each copy's span ends right after its page's terminator.
    assert_eq!(spans.len(), 10);
    for (span, page) in spans.iter().zip(&pages) {
        assert_eq!(
            *span,
            CopySpan {
                end: page.end_offset as usize + 1,
                pages: 1,
                // 60 lines + 2 mm (14 dots) feed at each end, at 180 dpi: 12.4 mm.
                feed_mm: 13,
            }
        );
    }
    assert_eq!(spans[9].end, bytes.len());
}

#[test]
fn labels_without_cut_are_not_cut_between_but_the_chain_end_is_fed_and_cut() {
    // A copy encoded without any cut (ESC i M 00, ESC i K bit 3 clear) keeps "no cut" between
    // labels; the chain sets bit 3 ("feed and cut after the last label", §1.2).
    let labels: Vec<Label> = (0..3).map(|n| marked(70, 40, n)).collect();
    let copies: Vec<Vec<u8>> = labels
        .iter()
        .map(|l| {
            copy(
                "PT-P750W",
                "tze-12",
                JobOptions::default().cut(CutMode::None),
                l,
            )
        })
        .collect();
    let (_, _, _, pages) = join_and_decode("PT-P750W", "tze-12", &copies);
    for page in &pages {
        assert!(!page.auto_cut(), "no cut between labels");
        assert_eq!(
            page.cut_every, None,
            "ESC i A only with auto cut (§5.1 step 5)"
        );
        assert!(page.cut_at_end(), "the last label is fed and cut");
        assert!(!page.half_cut());
    }
}

#[test]
fn half_cut_labels_are_half_cut_between_and_fully_cut_at_the_end() {
    // §1.2 typical value 0C: half cut + cut at end.
    let options = JobOptions::default().cut(CutMode::AtEnd).half_cut(true);
    let copies: Vec<Vec<u8>> = (0..3)
        .map(|n| copy("PT-P750W", "tze-12", options.clone(), &marked(70, 40, n)))
        .collect();
    let (_, _, commands, pages) = join_and_decode("PT-P750W", "tze-12", &copies);
    assert!(commands
        .iter()
        .filter(|c| matches!(c, Command::Advanced { .. }))
        .all(|c| *c == Command::Advanced { value: 0x0C }));
    assert!(pages
        .iter()
        .all(|p| p.half_cut() && !p.auto_cut() && p.cut_at_end()));
}

#[test]
fn copies_encoded_for_printer_side_chain_printing_end_fed_and_cut_in_a_chain() {
    // ESC i K bit 3 clear ("chain": leave the last label in the printer) would strand the last
    // label of the chain; the joined stream feeds and cuts it.
    let options = JobOptions::default().chain(true);
    let copies: Vec<Vec<u8>> = (0..2)
        .map(|n| copy("PT-P750W", "tze-12", options.clone(), &marked(70, 40, n)))
        .collect();
    let alone = Decoder::decode_all(DecoderOptions::default(), &copies[0])
        .expect("decodes")
        .1;
    assert!(
        !alone[0].cut_at_end(),
        "the copy itself leaves the label in"
    );
    let (_, _, _, pages) = join_and_decode("PT-P750W", "tze-12", &copies);
    assert!(pages.iter().all(|p| p.auto_cut() && p.cut_at_end()));
}

#[test]
fn the_pt_p900_family_marks_the_last_label_of_the_chain() {
    // PT-P900 reference: n9 = 2 on the last page (brother-raster.md §1.1, §10).
    let copies: Vec<Vec<u8>> = (0..3)
        .map(|n| {
            copy(
                "PT-P900W",
                "tze-24",
                JobOptions::default(),
                &marked(320, 80, n),
            )
        })
        .collect();
    let (_, _, _, pages) = join_and_decode("PT-P900W", "tze-24", &copies);
    let n9: Vec<u8> = pages.iter().map(|p| p.info.page).collect();
    assert_eq!(n9, [0, 1, 2]);
}

#[test]
fn copies_of_several_labels_and_two_colours_keep_their_pages() {
    // A two-colour copy and a black copy on a black/red roll, the first with two labels.
    let ql = "QL-820NWB";
    let red = Label {
        black: Bitmap::from_fn(696, 150, |x, _| x == 3),
        red: Some(Bitmap::from_fn(696, 150, |_, y| y == 7)),
    };
    let black = marked(696, 150, 9);
    let two = Encoder::new(
        model(ql),
        media("dk-62-red"),
        JobOptions::default().two_colour(true),
    )
    .expect("options")
    .encode(&[red.clone(), red.clone()])
    .expect("encodes");
    let one = copy(ql, "dk-62-red", JobOptions::default(), &black);
    let (_, spans, _, pages) = join_and_decode(ql, "dk-62-red", &[two, one]);
    assert_eq!(spans.iter().map(|s| s.pages).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(pages.len(), 3);
    assert!(pages[0].two_colour() && pages[1].two_colour() && !pages[2].two_colour());
    let window = pages[0].window();
    assert_eq!(pages[1].red_bitmap(window), red.red);
    assert_eq!(pages[2].bitmap(window), black.black);
}

#[test]
fn bad_input_is_refused_with_a_code_and_nothing_joined() {
    let pt = model("PT-P750W");
    let tze12 = media("tze-12");
    let good = copy(
        "PT-P750W",
        "tze-12",
        JobOptions::default(),
        &marked(70, 40, 1),
    );
    let other = copy(
        "PT-P750W",
        "tze-24",
        JobOptions::default(),
        &marked(128, 40, 1),
    );
    let cases: [(&[&[u8]], &str); 4] = [
        (&[], "no_labels"),
        (&[&good, &[0x1B, 0x40, 0x47]], "invalid_copy"),
        (&[&good, &[0x00; 200]], "invalid_copy"),
        (&[&good, &other], "chain_media_mismatch"),
    ];
    for (copies, code) in cases {
        let err = chain::join(pt, tze12, copies).expect_err(code);
        assert_eq!(err.code(), code, "{err}");
    }
    // A copy for another head does not decode for this model.
    let ql = copy(
        "QL-820NWB",
        "dk-62",
        JobOptions::default(),
        &marked(696, 150, 1),
    );
    let err = chain::join(pt, tze12, &[&good, &ql]).expect_err("a QL stream");
    assert_eq!(err.code(), "invalid_copy");
    assert!(err.to_string().contains("copy 1"), "{err}");
}

#[test]
fn lines_that_cannot_be_spliced_are_written_again_from_the_decoded_label() {
    // A copy with ink outside the tape's print window (a pin the medium does not reach), and a
    // copy whose lines are interleaved with a compression switch: neither is spliced; each is
    // written again from its decoded label, as the encoder writes it.
    let pt = model("PT-P750W");
    let tze12 = media("tze-12");
    let label = marked(70, 60, 5);
    let raw = JobOptions::default().compress(false);
    let mut stray = copy("PT-P750W", "tze-12", raw.clone(), &label);
    // The first `G` line's first byte is pins 0..=7, outside 12 mm tape's window (§2).
    let at = stray.iter().position(|&b| b == b'G').expect("a G line") + 3;
    stray[at] |= 0x80;
    let options = DecoderOptions { model: Some(pt) };
    let (_, pages) = Decoder::decode_all(options, &stray).expect("still a valid stream");
    assert!(
        pages[0].ink_outside(pages[0].window()),
        "the copy has stray ink"
    );

    let mut switched = copy("PT-P750W", "tze-12", raw.clone(), &label);
    let at = switched.iter().rposition(|&b| b == b'G').expect("a G line");
    switched.splice(at..at, [b'M', 0x00]);

    let joined = chain::join(pt, tze12, &[&stray, &switched]).expect("joins");
    let expected = Encoder::new(pt, tze12, raw)
        .expect("options")
        .encode(&[label.clone(), label])
        .expect("encodes");
    assert_eq!(
        joined.bytes, expected,
        "the stray ink is cropped, the switch dropped"
    );
}

#[test]
fn a_single_copy_span_counts_its_pages() {
    let pt = model("PT-P750W");
    let two = Encoder::new(pt, media("tze-12"), JobOptions::default())
        .expect("options")
        .encode(&[marked(70, 40, 1), marked(70, 40, 2)])
        .expect("encodes");
    assert_eq!(
        chain::span(pt, &two),
        CopySpan {
            end: two.len(),
            pages: 2,
            // Each page: 40 lines + 14 dots of feed at both ends = 68 dots at 180 dpi, 9.6 mm.
            feed_mm: 20,
        }
    );
    assert_eq!(chain::span(pt, &[1, 2, 3]).pages, 1, "unreadable: one page");
    assert_eq!(
        chain::span(pt, &[1, 2, 3]).feed_mm,
        0,
        "unreadable: unknown"
    );
}

#[test]
fn a_span_knows_how_far_its_copy_feeds() {
    // Lines and feed margins (§1 ESC i d) over the dpi along the feed (§4), rounded up.
    let feed = |name: &str, media_id: &str, options: JobOptions, label: &Label| {
        let m = model(name);
        chain::span(m, &copy(name, media_id, options, label)).feed_mm
    };
    // QL 62 mm continuous: 150 lines + 35 dots at both ends at 300 dpi = 18.6 mm.
    let ql = feed(
        "QL-820NWB",
        "dk-62",
        JobOptions::default(),
        &marked(696, 150, 1),
    );
    assert_eq!(ql, 19);
    // A 2000-line PT label: (2000 + 28) / 180 dpi = 286.2 mm.
    let long = feed(
        "PT-P750W",
        "tze-12",
        JobOptions::default(),
        &marked(70, 2000, 1),
    );
    assert_eq!(long, 287);
    // High resolution doubles lines and margin at 360 dpi along the feed: the same length.
    let high = feed(
        "PT-P750W",
        "tze-12",
        JobOptions::default().high_res(true),
        &marked(70, 4000, 1),
    );
    assert_eq!(high, 287);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any chain of copies decodes to exactly their labels, in order, with one job start,
    /// `0C` between labels and `1A` after the last, on every head family.
    #[test]
    fn joined_copies_decode_to_the_same_labels(
        family in 0usize..4,
        spec in proptest::collection::vec((1usize..3, 0usize..1000, any::<bool>(), any::<bool>()), 1..6),
    ) {
        let (model_name, media_id, width, lines) = [
            ("PT-P750W", "tze-12", 70, 40),
            ("PT-P900W", "tze-36", 454, 60),
            ("QL-820NWB", "dk-62", 696, 150),
            ("QL-1110NWB", "dk-102", 1164, 320),
        ][family];
        let mut expected = Vec::new();
        let mut copies = Vec::new();
        for (labels, mark, cut, compress) in spec {
            let m = model(model_name);
            let options = JobOptions::default()
                .cut(if cut { CutMode::Every(1) } else { CutMode::None })
                .compress(compress && m.supports_compression());
            let labels: Vec<Label> = (0..labels).map(|k| marked(width, lines, mark + k)).collect();
            let stream = Encoder::new(m, media(media_id), options)
                .expect("options")
                .encode(&labels)
                .expect("encodes");
            expected.extend(labels.into_iter().map(|l| (l.black, cut)));
            copies.push(stream);
        }
        let (_, spans, commands, pages) = join_and_decode(model_name, media_id, &copies);
        prop_assert_eq!(count(&commands, |c| *c == Command::Initialize), 1);
        prop_assert_eq!(spans.len(), copies.len());
        prop_assert_eq!(pages.len(), expected.len());
        for (i, (page, (black, cut))) in pages.iter().zip(&expected).enumerate() {
            prop_assert_eq!(&page.bitmap(page.window()), black);
            prop_assert_eq!(page.auto_cut(), *cut);
            prop_assert!(page.cut_at_end());
            let last = i + 1 == expected.len();
            prop_assert_eq!(page.end, if last { PageEnd::PrintFeed } else { PageEnd::Print });
        }
    }

    /// A chain of encoder-written copies is byte for byte the stream the encoder writes for
    /// all their labels as one job (the options each label keeps, `ESC i K` bit 3 set at the
    /// end): joining splices the copies' lines and writes only the page headers again.
    #[test]
    fn a_chain_of_encoder_copies_is_the_encoder_stream_of_all_their_labels(
        family in 0usize..4,
        spec in proptest::collection::vec((1usize..3, 0usize..1000), 1..6),
        cut in any::<bool>(),
        compress in any::<bool>(),
        high_res in any::<bool>(),
    ) {
        let (model_name, media_id, width, lines) = [
            ("PT-P750W", "tze-12", 70, 40),
            ("PT-P900W", "tze-36", 454, 60),
            ("QL-820NWB", "dk-62", 696, 150),
            ("QL-1110NWB", "dk-102", 1164, 320),
        ][family];
        let m = model(model_name);
        let options = JobOptions::default()
            .cut(if cut { CutMode::Every(1) } else { CutMode::None })
            .compress(compress && m.supports_compression())
            .high_res(high_res && m.high_res_dpi.is_some());
        let encoder = Encoder::new(m, media(media_id), options.clone()).expect("options");
        let mut all = Vec::new();
        let mut copies = Vec::new();
        for (labels, mark) in spec {
            let labels: Vec<Label> = (0..labels).map(|k| marked(width, lines, mark + k)).collect();
            copies.push(encoder.encode(&labels).expect("encodes"));
            all.extend(labels);
        }
        let slices: Vec<&[u8]> = copies.iter().map(Vec::as_slice).collect();
        let joined = chain::join(m, media(media_id), &slices).expect("joins");
        // No cut between labels still feeds and cuts the chain's end on a model with a cutter.
        let chained = if !cut && m.auto_cut { options.cut(CutMode::AtEnd) } else { options };
        let expected = Encoder::new(m, media(media_id), chained)
            .expect("options")
            .encode(&all)
            .expect("encodes");
        prop_assert_eq!(joined.bytes, expected);
    }
}
