//! `printhub raster encode|decode|inspect`: conformance tools over
//! printhub-raster, usable on any job file (ours or another driver's).
//!
//! `encode` pads an image shorter than the model's minimum length on
//! continuous media (the encoder does, and says so: a note, `padded_to` in
//! `--json`); `decode` and `inspect` accept a job whose last page ends with
//! `0C` and say that page was printed without feed.

use crate::cli::{DecodeArgs, EncodeArgs, InspectArgs, Rotate};
use crate::image_io::{load_layers, page_png, write_atomic};
use anyhow::{bail, Context};
use printhub_raster::command::{PI_KIND, PI_LENGTH, PI_QUALITY, PI_RECOVER, PI_WIDTH};
use printhub_raster::{
    Bitmap, Command, CutMode, Decoder, DecoderOptions, Encoder, Event, JobOptions, Label, Media,
    Model, Page, PageEnd,
};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Looks a model up by name, with a hint on failure.
pub fn model(name: &str) -> anyhow::Result<&'static Model> {
    Model::by_name(name)
        .with_context(|| format!("unknown model {name:?} (see `printhub models list`)"))
}

/// Looks a medium up by id, with a hint on failure.
pub fn media(id: &str) -> anyhow::Result<&'static Media> {
    Media::by_id(id).with_context(|| format!("unknown media {id:?} (see `printhub media list`)"))
}

/// `printhub raster encode`.
pub fn encode(args: &EncodeArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let model = model(&args.model)?;
    let media = media(&args.media)?;
    let cut = if args.no_cut || (!args.cut && !model.auto_cut) {
        CutMode::None
    } else {
        CutMode::Every(1)
    };
    let mut options = JobOptions::default()
        .cut(cut)
        .half_cut(args.half_cut)
        .chain(args.chain)
        .high_res(args.high_res)
        .two_colour(args.red);
    if args.no_compress {
        options = options.compress(false);
    }
    let encoder = Encoder::new(model, media, options)?;
    let layers = load_layers(&args.input, args.red)?;
    let printable = encoder.geometry().printable() as usize;
    let (w, h) = (layers.black.width(), layers.black.height());
    let turn = match args.rotate {
        Rotate::None => false,
        Rotate::Quarter => true,
        Rotate::Auto if w == printable => false,
        Rotate::Auto if h == printable => true,
        Rotate::Auto => bail!(
            "{} is {w}×{h} px; {} on {} prints {printable} dots across: make the image {printable} px wide (or high, to have it turned)",
            args.input.display(),
            model.name,
            media.id
        ),
    };
    let orient = |b: Bitmap| if turn { b.rotate_cw() } else { b };
    let label = Label {
        black: orient(layers.black),
        red: layers.red.map(orient),
    };
    let labels = vec![label; args.copies as usize];
    let job = encoder.encode(&labels)?;
    write_atomic(&args.output, &job)?;
    let lines = labels[0].black.height();
    let sent = encoder.padded_lines(lines);
    let summary = EncodeJson {
        output: args.output.display().to_string(),
        model: model.name,
        media: media.id,
        labels: labels.len(),
        lines,
        width_dots: printable,
        padded_to: (sent != lines).then_some(sent),
        bytes: job.len(),
    };
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &summary)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "wrote {}: {} label(s) of {lines} lines × {printable} dots, {} bytes ({} on {})",
        summary.output, summary.labels, summary.bytes, model.name, media.id
    )?;
    if let Some(padded) = summary.padded_to {
        writeln!(
            out,
            "note: {lines} lines is shorter than the {} minimum of {padded} on {}: each label is padded with {} blank lines after its content (the printer feeds that much anyway)",
            model.name,
            media.id,
            padded - lines
        )?;
    }
    Ok(())
}

/// What `raster encode --json` prints about the job it wrote.
#[derive(Debug, Serialize)]
pub struct EncodeJson {
    /// The job file.
    pub output: String,
    /// Model name.
    pub model: &'static str,
    /// Media id.
    pub media: &'static str,
    /// Labels (copies) in the job.
    pub labels: usize,
    /// Raster lines of each label, as drawn.
    pub lines: usize,
    /// Dots across each label.
    pub width_dots: usize,
    /// Raster lines each label is sent with, when it was padded to the
    /// model's minimum length (continuous media); `null` when not padded.
    pub padded_to: Option<usize>,
    /// Size of the job file.
    pub bytes: usize,
}

fn decoder_options(model_name: Option<&str>) -> anyhow::Result<DecoderOptions> {
    Ok(DecoderOptions {
        model: model_name.map(model).transpose()?,
    })
}

fn read_job(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The JSON written next to each decoded page.
#[derive(Debug, Serialize)]
pub struct PageJson {
    /// 1-based page number.
    pub page: usize,
    /// Media id the print information names, if printhub knows it.
    pub media: Option<&'static str>,
    /// Head family.
    pub family: printhub_raster::Family,
    /// Raster lines.
    pub lines: usize,
    /// Dots across the PNG (the print window).
    pub width_dots: u16,
    /// Pins before the window, from bit 0 of the line.
    pub window_offset: u16,
    /// The `ESC i z` parameters.
    pub print_info: printhub_raster::PrintInfo,
    /// Auto cut (`ESC i M` bit 6).
    pub auto_cut: bool,
    /// `ESC i A` value.
    pub cut_every: Option<u8>,
    /// Half cut.
    pub half_cut: bool,
    /// Feed and cut after the last label; false means chain printing.
    pub cut_at_end: bool,
    /// High resolution along the feed.
    pub high_res: bool,
    /// Mirror printing.
    pub mirror: bool,
    /// Feed margin in dots.
    pub margin: Option<u16>,
    /// PackBits compression on.
    pub compressed: bool,
    /// Black and red.
    pub two_colour: bool,
    /// `print` (0C) or `print_feed` (1A).
    pub end: PageEnd,
    /// The job ended with this page's `0C` and no `1A`: the printer printed
    /// it and did not feed it out or cut it (ptouch `print(feed=False)`).
    pub printed_without_feed: bool,
    /// Whether any dot outside the print window was set (it would print off the medium).
    pub ink_outside_window: bool,
}

impl PageJson {
    /// Describes a decoded page.
    pub fn new(page: &Page) -> Self {
        let window = page.window();
        PageJson {
            page: page.index + 1,
            media: page.media().map(|m| m.id),
            family: page.family,
            lines: page.lines,
            width_dots: window.printable,
            window_offset: window.offset,
            print_info: page.info,
            auto_cut: page.auto_cut(),
            cut_every: page.cut_every,
            half_cut: page.half_cut(),
            cut_at_end: page.cut_at_end(),
            high_res: page.high_res(),
            mirror: page.mirror(),
            margin: page.margin,
            compressed: page.compressed,
            two_colour: page.two_colour(),
            end: page.end,
            printed_without_feed: page.printed_without_feed,
            ink_outside_window: page.ink_outside(window),
        }
    }
}

/// `printhub raster decode`.
pub fn decode(args: &DecodeArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let options = decoder_options(args.model.as_deref())?;
    let bytes = read_job(&args.job)?;
    let (_, pages) = Decoder::decode_all(options, &bytes)
        .with_context(|| format!("{} is not a valid job", args.job.display()))?;
    if pages.is_empty() {
        bail!("{} holds no page", args.job.display());
    }
    // Everything is decoded and encoded in memory first: a bad job writes nothing.
    let mut files = Vec::new();
    for page in &pages {
        let window = page.window();
        let black = page.bitmap(window);
        let red = page.red_bitmap(window);
        let png = page_png(&black, red.as_ref())?;
        let json = serde_json::to_vec_pretty(&PageJson::new(page))?;
        files.push((page.index + 1, png, json));
    }
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create {}", args.out_dir.display()))?;
    for (n, png, json) in files {
        write_atomic(&args.out_dir.join(format!("page-{n}.png")), &png)?;
        write_atomic(&args.out_dir.join(format!("page-{n}.json")), &json)?;
    }
    for page in &pages {
        let window = page.window();
        writeln!(
            out,
            "page-{}.png: {} lines × {} dots ({}){}",
            page.index + 1,
            page.lines,
            window.printable,
            page.media().map_or("unknown media", |m| m.id),
            if page.printed_without_feed {
                ", printed without feed (the job ends with 0C, no 1A: not fed out, not cut)"
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

/// `printhub raster inspect`: one line per command; on a malformed stream the
/// commands before the error are printed, then the command fails.
pub fn inspect(args: &InspectArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let options = decoder_options(args.model.as_deref())?;
    let bytes = read_job(&args.job)?;
    let mut decoder = Decoder::new(options);
    let result = decoder.push(&bytes).and_then(|()| decoder.finish());
    let events: Vec<Event> = std::iter::from_fn(|| decoder.next_event()).collect();
    // Whether a page was the last, ended without feed, is known only at the end of the stream.
    let unfed = events.iter().find_map(|e| match e {
        Event::EndWithoutFeed { page, offset } => Some((*page, *offset)),
        _ => None,
    });
    for event in events {
        match event {
            Event::Command {
                offset,
                command: Command::Print,
            } if unfed.is_some_and(|(_, at)| at == offset) => writeln!(
                out,
                "{offset:>8}  0C  print (the job ends here, no 1A: printed without feed)"
            )?,
            Event::Command { offset, command } => {
                writeln!(out, "{offset:>8}  {}", describe(&command))?
            }
            Event::Page(page) => writeln!(
                out,
                "{:>8}  -- page {} done: {} lines, {}, {}",
                "",
                page.index + 1,
                page.lines,
                page.media().map_or("unknown media", |m| m.id),
                if unfed.is_some_and(|(index, _)| index == page.index) {
                    "last page, printed without feed (0C, no 1A: not fed out, not cut)"
                } else if page.end == PageEnd::Print {
                    "more pages follow"
                } else {
                    "last page"
                }
            )?,
            Event::EndWithoutFeed { .. } => {}
        }
    }
    result.with_context(|| format!("{} is not a valid job", args.job.display()))?;
    Ok(())
}

fn flag_names(flags: u8) -> String {
    let names: Vec<&str> = [
        (PI_KIND, "kind"),
        (PI_WIDTH, "width"),
        (PI_LENGTH, "length"),
        (PI_QUALITY, "quality"),
        (PI_RECOVER, "recover"),
    ]
    .iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, name)| *name)
    .collect();
    names.join("+")
}

/// One human-readable line for a command.
pub fn describe(command: &Command) -> String {
    match command {
        Command::Invalidate { len } => format!("00 ×{len}  invalidate"),
        Command::Initialize => "1B 40  initialize".into(),
        Command::StatusRequest => "1B 69 53  status request".into(),
        Command::SwitchMode { mode } => {
            let name = match mode {
                0 => "ESC/P",
                1 => "raster",
                3 => "P-touch Template",
                _ => "unknown",
            };
            format!("1B 69 61 {mode:02X}  switch command mode: {name}")
        }
        Command::AutoStatus { value } => format!(
            "1B 69 21 {value:02X}  automatic status notification {}",
            if *value == 0 { "on" } else { "off" }
        ),
        Command::PrintInfo(info) => format!(
            "1B 69 7A …  print information: valid {} (0x{:02X}), media type 0x{:02X}, width {} mm, length {} mm, {} lines, page {}",
            flag_names(info.flags),
            info.flags,
            info.media_type,
            info.width_mm,
            info.length_mm,
            info.raster_count,
            info.page
        ),
        Command::VariousMode { value } => format!(
            "1B 69 4D {value:02X}  various mode: auto cut {}, mirror {}",
            on_off(value & 0x40 != 0),
            on_off(value & 0x80 != 0)
        ),
        Command::CutEvery { value } => format!("1B 69 41 {value:02X}  cut every {value} label(s)"),
        Command::Advanced { value } => format!(
            "1B 69 4B {value:02X}  advanced mode: two-colour/draft {}, half cut {}, cut at end {}, high resolution {}",
            on_off(value & 0x01 != 0),
            on_off(value & 0x04 != 0),
            on_off(value & 0x08 != 0),
            on_off(value & 0x40 != 0)
        ),
        Command::Margin { dots } => format!("1B 69 64 …  margin {dots} dots"),
        Command::Setting { letter, value } => format!("1B 69 {:02X} {value:02X}  setting {letter}", *letter as u32),
        Command::Compression { mode } => format!(
            "4D {mode:02X}  compression {}",
            if *mode == 2 { "TIFF/PackBits" } else { "off" }
        ),
        Command::Raster { colour, len, compressed } => {
            let kind = match colour {
                2 => "red raster line",
                _ => "raster line",
            };
            format!("{kind}, {len} bytes{}", if *compressed { " packed" } else { "" })
        }
        Command::ZeroRaster => "5A  blank raster line".into(),
        Command::Print => "0C  print (more pages follow)".into(),
        Command::PrintFeed => "1A  print with feeding (last page)".into(),
    }
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}
