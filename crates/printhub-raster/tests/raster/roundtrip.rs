//! Property tests: for every model × medium it takes and any valid option
//! set, `decode(encode(labels))` gives back the labels bit for bit (a
//! continuous-media label shorter than the model's minimum comes back padded
//! with blank lines after its content), and the stream passes the
//! conformance checks of brother-raster.md §8.

use printhub_raster::command::{ADV_CUT_AT_END, ADV_HALF_CUT, ADV_HIGH_RES, ADV_TWO_COLOUR};
use printhub_raster::{
    geometry, Bitmap, Command, CutMode, Decoder, DecoderOptions, Encoder, JobOptions, Label, Media,
    Model, PageEnd, MEDIA, MODELS,
};
use proptest::prelude::*;

/// Deterministic pseudo-random bitmap (xorshift), dense or sparse.
fn noise(width: usize, height: usize, seed: u64, density: u8) -> Bitmap {
    let mut s = seed | 1;
    Bitmap::from_fn(width, height, |_, _| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s & 0xFF) < density as u64
    })
}

/// `bitmap` with each row shown `k` times (the first `height` rows of it), as
/// text strokes and frames repeat rows: the encoder copies a repeated row's
/// bytes instead of packing it again, and must not mix up the layers.
fn band(bitmap: &Bitmap, k: usize) -> Bitmap {
    Bitmap::from_fn(bitmap.width(), bitmap.height(), |x, y| bitmap.get(x, y / k))
}

/// `bitmap` with blank rows added after its last up to `height` rows.
fn pad(bitmap: &Bitmap, height: usize) -> Bitmap {
    Bitmap::from_fn(bitmap.width(), height, |x, y| {
        y < bitmap.height() && bitmap.get(x, y)
    })
}

fn pairs() -> Vec<(&'static Model, &'static Media)> {
    MODELS
        .iter()
        .flat_map(|m| MEDIA.iter().map(move |d| (m, d)))
        .filter(|(m, d)| geometry(m, d).is_ok())
        .collect()
}

#[derive(Debug, Clone)]
struct Options {
    cut: u8,
    half_cut: bool,
    chain: bool,
    high_res: bool,
    compress: bool,
    two_colour: bool,
    margin: Option<u16>,
}

fn options_for(model: &Model, media: &Media, o: &Options) -> JobOptions {
    let cut = match (o.cut % 3, model.auto_cut) {
        (_, false) => CutMode::None,
        (0, _) => CutMode::None,
        (1, _) => CutMode::AtEnd,
        _ => CutMode::Every(model.cut_every.map_or(1, |(lo, hi)| lo.max(o.cut.min(hi)))),
    };
    let mut opts = JobOptions::default()
        .cut(cut)
        .half_cut(o.half_cut && model.half_cut)
        .chain(o.chain && model.chain)
        .high_res(
            o.high_res
                && model.high_res_dpi.is_some()
                && !(model.family.is_pt() && media.kind != printhub_raster::MediaKind::Tape),
        )
        .compress(o.compress && model.supports_compression())
        .two_colour(o.two_colour && model.two_colour && media.two_colour);
    if let Some(m) = o.margin {
        opts = opts.margin(m);
    }
    opts
}

fn check_round_trip(
    pair: usize,
    o: Options,
    pages: usize,
    seed: u64,
    density: u8,
) -> Result<(), TestCaseError> {
    let all = pairs();
    let (model, media) = all[pair % all.len()];
    let opts = options_for(model, media, &o);
    let encoder = Encoder::new(model, media, opts.clone())
        .map_err(|e| TestCaseError::fail(format!("{}/{}: {e}", model.name, media.id)))?;
    let width = encoder.geometry().printable() as usize;
    let (min, max) = encoder.line_range();
    let labels: Vec<Label> = (0..pages)
        .map(|i| {
            // Half of the continuous labels are shorter than the model's minimum (padded).
            let lines = if min == max {
                min
            } else {
                match (seed as usize + i * 7) % 48 {
                    n @ 0..24 => min + n,
                    n => 1 + (n - 24) * (min - 1) / 24,
                }
            };
            // Rows repeat in bands of 1..=3 (black) and 1..=2 (red), independently.
            let black = band(
                &noise(width, lines.min(max), seed.wrapping_add(i as u64), density),
                1 + (seed as usize + i) % 3,
            );
            let red = opts.is_two_colour().then(|| {
                band(
                    &noise(width, lines.min(max), seed ^ 0xABCD, density / 2),
                    1 + (seed as usize / 3) % 2,
                )
            });
            Label { black, red }
        })
        .collect();
    let job = encoder
        .encode(&labels)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;

    let (commands, decoded) = Decoder::decode_all(DecoderOptions { model: Some(model) }, &job)
        .map_err(|e| TestCaseError::fail(format!("{}/{}: {e}", model.name, media.id)))?;
    prop_assert_eq!(decoded.len(), labels.len());
    let geometry = encoder.geometry();
    // §8 check 1: the job starts with the model's invalidate run, then ESC @.
    prop_assert_eq!(
        &commands[0].1,
        &Command::Invalidate {
            len: model.invalidate_len
        }
    );
    prop_assert_eq!(&commands[1].1, &Command::Initialize);
    // §8 check 7: M 02 iff compression requested and supported; no M at all on models without it.
    let has_m2 = commands
        .iter()
        .any(|(_, c)| *c == Command::Compression { mode: 2 });
    let has_m = commands
        .iter()
        .any(|(_, c)| matches!(c, Command::Compression { .. }));
    prop_assert_eq!(has_m2, encoder.compresses());
    prop_assert_eq!(has_m, model.supports_compression());
    // Never ESC i S inside our jobs (vectors README: follow the manuals).
    prop_assert!(!commands.iter().any(|(_, c)| *c == Command::StatusRequest));

    for (i, (page, label)) in decoded.iter().zip(&labels).enumerate() {
        let last = i + 1 == labels.len();
        // A black-only page on DK-22251 declares the same print information as plain 62 mm.
        let declared = if media.two_colour && !opts.is_two_colour() {
            "dk-62"
        } else {
            media.id
        };
        prop_assert_eq!(page.media().map(|m| m.id), Some(declared));
        prop_assert_eq!(page.window(), geometry.window);
        // Short continuous labels are padded to the model's minimum after their content.
        let padded = encoder.padded_lines(label.black.height());
        prop_assert_eq!(
            padded,
            label.black.height().max(if min == max { 0 } else { min })
        );
        prop_assert_eq!(page.bitmap(geometry.window), pad(&label.black, padded));
        prop_assert_eq!(
            page.red_bitmap(geometry.window),
            label.red.as_ref().map(|red| pad(red, padded))
        );
        // §8 check 8: no bit outside the window is ever set.
        prop_assert!(!page.ink_outside(geometry.window));
        // §8 check 2 and 9: count matches, 0C between pages and 1A after the last, n9 per manual.
        prop_assert_eq!(page.info.raster_count as usize, padded);
        prop_assert!(!page.printed_without_feed);
        prop_assert_eq!(
            page.end,
            if last {
                PageEnd::PrintFeed
            } else {
                PageEnd::Print
            }
        );
        let n9 = match (i, last, model.family) {
            (_, true, printhub_raster::Family::Pt560) => 2,
            (0, _, _) => 0,
            _ => 1,
        };
        prop_assert_eq!(page.info.page, n9);
        prop_assert_eq!(page.info.width_mm, media.width_mm);
        // §8 check 10: auto cut ⇔ ESC i M bit 6 ⇔ ESC i A present.
        let auto = matches!(opts.cut_mode(), CutMode::Every(_));
        prop_assert_eq!(page.auto_cut(), auto);
        prop_assert_eq!(page.cut_every.is_some(), auto && model.cut_every.is_some());
        if model.expanded_mode {
            prop_assert_eq!(page.advanced & ADV_HALF_CUT != 0, opts.is_half_cut());
            prop_assert_eq!(page.advanced & ADV_HIGH_RES != 0, opts.is_high_res());
            prop_assert_eq!(page.advanced & ADV_TWO_COLOUR != 0, opts.is_two_colour());
            prop_assert_eq!(
                page.advanced & ADV_CUT_AT_END != 0,
                opts.cut_mode() != CutMode::None && !opts.is_chain()
            );
        }
        let k = if opts.is_high_res() { 2 } else { 1 };
        let margin = o.margin.unwrap_or(geometry.default_margin) * k;
        prop_assert_eq!(page.margin, Some(margin));
    }
    // §8 check 6: no compressed line longer than bytes-per-line + 1 (+2 for 162-byte lines).
    let bound = geometry.bytes_per_line + geometry.bytes_per_line.div_ceil(128);
    let too_long = commands
        .iter()
        .any(|(_, c)| matches!(c, Command::Raster { len, .. } if *len > bound));
    prop_assert!(!too_long, "a raster line exceeds {} bytes", bound);
    Ok(())
}

fn options() -> impl Strategy<Value = Options> {
    (
        any::<u8>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0u16..200),
    )
        .prop_map(
            |(cut, half_cut, chain, high_res, compress, two_colour, margin)| Options {
                cut,
                half_cut,
                chain,
                high_res,
                compress,
                two_colour,
                margin,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn encode_decode_round_trip(pair in 0usize..1000, o in options(), pages in 1usize..4, seed in any::<u64>(), density in prop_oneof![Just(0u8), Just(20u8), Just(128u8), Just(255u8)]) {
        check_round_trip(pair, o, pages, seed, density)?;
    }
}

#[test]
fn every_model_and_medium_round_trips_once() {
    // Exhaustive over the pairs (the property test samples them with random options).
    let n = pairs().len();
    for pair in 0..n {
        let o = Options {
            cut: 2,
            half_cut: true,
            chain: false,
            high_res: false,
            compress: true,
            two_colour: true,
            margin: None,
        };
        check_round_trip(pair, o, 2, pair as u64 * 7919, 60).expect("round trip");
    }
}

#[test]
fn encoder_rejects_bad_labels_and_options() {
    let ql = Model::by_name("QL-820NWB").expect("model");
    let pt = Model::by_name("PT-P750W").expect("model");
    let dk62 = Media::by_id("dk-62").expect("media");
    let tze12 = Media::by_id("tze-12").expect("media");
    let e = Encoder::new(ql, dk62, JobOptions::default()).expect("ok");
    let code = |r: Result<Vec<u8>, printhub_raster::EncodeError>| r.expect_err("must fail").code();
    assert_eq!(code(e.encode(&[])), "no_labels");
    assert_eq!(
        code(e.encode(&[Label::black(Bitmap::new(695, 200))])),
        "label_width_mismatch"
    );
    // Shorter than the model's minimum (150 on QL-820NWB) is padded, not refused; an empty
    // label has nothing to print.
    assert_eq!(e.padded_lines(149), 150);
    assert!(e.encode(&[Label::black(Bitmap::new(696, 149))]).is_ok());
    assert_eq!(
        code(e.encode(&[Label::black(Bitmap::new(696, 0))])),
        "label_length_out_of_range"
    );
    assert_eq!(
        code(e.encode(&[Label::black(Bitmap::new(696, 11812))])),
        "label_length_out_of_range"
    );
    let red = Label {
        black: Bitmap::new(696, 200),
        red: Some(Bitmap::new(696, 200)),
    };
    assert_eq!(code(e.encode(&[red])), "invalid_red_layer");
    let die = Encoder::new(
        ql,
        Media::by_id("dk-29x90").expect("media"),
        JobOptions::default(),
    )
    .expect("ok");
    assert_eq!(
        code(die.encode(&[Label::black(Bitmap::new(306, 990))])),
        "die_cut_length_mismatch"
    );

    let err = |m, d, o| Encoder::new(m, d, o).expect_err("must fail").code();
    assert_eq!(
        err(ql, dk62, JobOptions::default().half_cut(true)),
        "unsupported_option"
    );
    assert_eq!(
        err(ql, dk62, JobOptions::default().two_colour(true)),
        "unsupported_option"
    );
    assert_eq!(
        err(ql, dk62, JobOptions::default().mirror(true)),
        "unsupported_option"
    );
    assert_eq!(
        err(pt, tze12, JobOptions::default().cut(CutMode::Every(100))),
        "invalid_cut_every"
    );
    assert_eq!(err(pt, dk62, JobOptions::default()), "unsupported_media");
    let ql700 = Model::by_name("QL-700").expect("model");
    assert_eq!(
        err(ql700, dk62, JobOptions::default().compress(true)),
        "unsupported_option"
    );
    let p710 = Model::by_name("PT-P710BT").expect("model");
    assert_eq!(
        err(p710, tze12, JobOptions::default().half_cut(true)),
        "unsupported_option"
    );
    // Nothing is appended to the caller's buffer on error.
    let mut out = vec![1, 2, 3];
    assert!(e.write(&[], &mut out).is_err());
    assert_eq!(out, [1, 2, 3]);
}

/// The command that ends a page (0C / 1A) is reported before the page it ends, fed in one
/// push or byte by byte: a consumer acting on the page (the emulator prints it and answers
/// "printing completed") has recorded the command by then.
#[test]
fn the_print_command_comes_before_its_page() {
    let model = Model::by_name("PT-P750W").expect("model");
    let media = Media::by_id("tze-12").expect("media");
    let encoder = Encoder::new(model, media, JobOptions::default()).expect("options");
    let label = || Label::black(noise(70, 80, 7, 90));
    let bytes = encoder.encode(&[label(), label()]).expect("encodes");
    for chunk in [bytes.len(), 1] {
        let mut decoder = Decoder::new(DecoderOptions::default());
        let mut order = Vec::new();
        for part in bytes.chunks(chunk) {
            decoder.push(part).expect("valid");
            while let Some(event) = decoder.next_event() {
                match event {
                    printhub_raster::Event::Command {
                        command: c @ (Command::Print | Command::PrintFeed),
                        ..
                    } => order.push(format!("{c:?}")),
                    printhub_raster::Event::Page(page) => {
                        order.push(format!("page {:?}", page.end))
                    }
                    printhub_raster::Event::Command { .. }
                    | printhub_raster::Event::EndWithoutFeed { .. } => {}
                }
            }
        }
        decoder.finish().expect("complete");
        assert_eq!(
            order,
            ["Print", "page Print", "PrintFeed", "page PrintFeed"],
            "chunk {chunk}"
        );
    }
}
