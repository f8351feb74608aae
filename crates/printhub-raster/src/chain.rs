//! Chaining: several one-copy job streams for the same model and medium
//! joined into one stream, so consecutive labels print without a new job
//! start (and its leader feed) between them.
//!
//! [`join`] decodes every copy with the strict [`Decoder`] (a copy comes from
//! the store: it is checked, never trusted) and writes each page again with
//! the [`Encoder`]'s page header for its place in the chain. The raster
//! lines are *spliced*: the decoder says where each page's lines lie in its
//! copy, and those bytes are copied as they are instead of being placed and
//! packed again — they are what the encoder wrote for the same options,
//! because a page's options (compression, two colours, mirror, high
//! resolution) are kept in the chain. A page is written again from its
//! decoded bitmap instead, as before, when splicing could differ from what
//! the encoder writes: its lines are interleaved with other commands, it
//! needs padding to the model's minimum length, or it has ink outside the
//! medium's print window. A chain of encoder-written copies is therefore
//! byte for byte the stream the encoder writes for all their labels as one
//! job (a property test says so). The joined stream follows
//! brother-raster.md §5.1 ("Multiple labels"):
//!
//! ```text
//! 00 × invalidate | ESC @ | ESC i a 01             once, at the start (never ESC @ inside)
//! label 1 (its control codes, lines) | 0C          n9 = 0
//! label 2 …                          | 0C          n9 = 1
//! last label                         | 1A          n9 = 1 (2 on the PT-P900 family)
//! ```
//!
//! Each label keeps what its copy asked for between labels: auto cut
//! (`ESC i M` bit 6, with `ESC i A n` "cut every n labels", §1, §5.1 step 5)
//! where the copy cut, a half cut (`ESC i K` bit 2, §1.2) where it asked for
//! one, no cut otherwise. The end of the chain is always fed and cut on a
//! model with a cutter: `ESC i K` bit 3 ("no chain printing": feed and cut
//! after the last label, §1.2) is set, so nothing is left in the printer when
//! the chain ends — a copy encoded for printer-side chain printing (bit 3
//! clear) loses that flag here, and so does a copy that ends without feed
//! (`0C` and no `1A`, [`Page::printed_without_feed`]). High resolution,
//! margin, mirror, compression, print quality and two colours are kept per
//! label; a continuous-media label shorter than the model's minimum is
//! padded to it, as the encoder pads every label.
//!
//! Pure: no I/O; the caller runs it off any latency-sensitive thread.

use crate::command::PI_QUALITY;
use crate::decode::{Command, DecodeError, Decoder, DecoderOptions, Page};
use crate::encode::{CutMode, EncodeError, Encoder, JobOptions, Label};
use crate::media::{geometry, Media, Window};
use crate::model::Model;
use std::ops::Range;
use thiserror::Error;

/// A chained stream and where each copy ends in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    /// The stream to send.
    pub bytes: Vec<u8>,
    /// One entry per copy joined, in order.
    pub copies: Vec<CopySpan>,
}

/// Where one copy lies in a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopySpan {
    /// Offset just past the copy's last page terminator (`0C` or `1A`).
    pub end: usize,
    /// How many pages (labels) the copy holds; the printer reports each.
    pub pages: usize,
    /// How far the copy feeds the medium, in mm, rounded up: its raster
    /// lines and feed margins (`ESC i d`, counted at both ends) at the
    /// resolution along the feed each page asks for; 0 when unknown. What a
    /// sender needs to bound how long the printer may take to print it.
    pub feed_mm: u32,
}

/// Why copies cannot be chained. Every variant has a stable [`code`](ChainError::code).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ChainError {
    /// Nothing to join.
    #[error("a chain needs at least one copy")]
    NoCopies,
    /// A copy is not a valid stream for the model.
    #[error("copy {copy} is not a valid {model} stream: {source}")]
    Decode {
        /// Copy index (0-based).
        copy: usize,
        /// Model name.
        model: &'static str,
        /// The decoder's verdict.
        source: DecodeError,
    },
    /// A copy holds no page.
    #[error("copy {copy} holds no page")]
    EmptyCopy {
        /// Copy index (0-based).
        copy: usize,
    },
    /// A page is for another medium than the chain's.
    #[error("copy {copy} page {page} is for {found}, the chain is for {expected}")]
    Media {
        /// Copy index (0-based).
        copy: usize,
        /// Page index within the copy (0-based).
        page: usize,
        /// The chain's medium.
        expected: &'static str,
        /// What the page's print information names.
        found: String,
    },
    /// A page's settings cannot be encoded for the chain.
    #[error("copy {copy}: {source}")]
    Encode {
        /// Copy index (0-based).
        copy: usize,
        /// The encoder's verdict.
        source: EncodeError,
    },
}

impl ChainError {
    /// The copy (0-based) at fault, if one is.
    pub const fn copy(&self) -> Option<usize> {
        match self {
            ChainError::NoCopies => None,
            ChainError::Decode { copy, .. }
            | ChainError::EmptyCopy { copy }
            | ChainError::Media { copy, .. }
            | ChainError::Encode { copy, .. } => Some(*copy),
        }
    }

    /// Stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            ChainError::NoCopies => "no_labels",
            ChainError::Decode { .. } => "invalid_copy",
            ChainError::EmptyCopy { .. } => "invalid_copy",
            ChainError::Media { .. } => "chain_media_mismatch",
            ChainError::Encode { source, .. } => source.code(),
        }
    }
}

/// Joins one-copy streams for `model` on `media` into one chained stream
/// (see the module documentation). On error nothing is returned.
pub fn join(
    model: &'static Model,
    media: &'static Media,
    copies: &[&[u8]],
) -> Result<Chain, ChainError> {
    if copies.is_empty() {
        return Err(ChainError::NoCopies);
    }
    // The chain's medium fixes the print window (a black page on a black/red roll
    // names the plain roll of the same size: same stock, same window).
    let window = geometry(model, media)
        .map_err(|e| ChainError::Encode {
            copy: 0,
            source: e.into(),
        })?
        .window;
    // Decode and check everything first: labels, each with the options it keeps
    // and either the bytes of its lines (spliced) or its bitmap (written again).
    let mut labels: Vec<(usize, Body<'_>, usize)> = Vec::new();
    let mut encoders: Vec<(JobOptions, Encoder)> = Vec::new();
    let mut counts = Vec::with_capacity(copies.len());
    let mut feeds = Vec::with_capacity(copies.len());
    for (copy, stream) in copies.iter().enumerate() {
        let options = DecoderOptions { model: Some(model) };
        let (commands, pages) =
            Decoder::decode_all(options, stream).map_err(|source| ChainError::Decode {
                copy,
                model: model.name,
                source,
            })?;
        if pages.is_empty() {
            return Err(ChainError::EmptyCopy { copy });
        }
        counts.push(pages.len());
        feeds.push(pages.iter().map(|p| feed_mm(model, p)).sum());
        let spans = line_spans(&commands, pages.len());
        for (index, page) in pages.iter().enumerate() {
            let named = page.media();
            if !named.is_some_and(|m| same_stock(m, media)) {
                return Err(ChainError::Media {
                    copy,
                    page: index,
                    expected: media.id,
                    found: named.map_or_else(
                        || format!("an unknown medium ({} mm)", page.info.width_mm),
                        |m| m.id.to_string(),
                    ),
                });
            }
            // One encoder per distinct set of options, each checked against the model and medium.
            let options = label_options(model, page);
            let at = match encoders.iter().position(|(o, _)| *o == options) {
                Some(at) => at,
                None => {
                    let encoder = Encoder::new(model, media, options.clone())
                        .map_err(|source| ChainError::Encode { copy, source })?;
                    encoders.push((options, encoder));
                    encoders.len() - 1
                }
            };
            let encoder = &encoders[at].1;
            encoder
                .validate_lines(0, page.lines, page.two_colour())
                .map_err(|source| ChainError::Encode { copy, source })?;
            let splice = spans[index].clone().filter(|_| {
                encoder.padded_lines(page.lines) == page.lines && !ink_outside(page, window)
            });
            let body = match splice {
                Some(span) => Body::Lines(page.lines, &stream[span]),
                None => Body::Label(Label {
                    black: page.bitmap(window),
                    red: page.red_bitmap(window),
                }),
            };
            labels.push((copy, body, at));
        }
    }
    let total: usize = copies.iter().map(|c| c.len()).sum();
    let mut bytes = Vec::with_capacity(total);
    encoders[labels[0].2].1.write_job_start(&mut bytes);
    let mut spans = Vec::with_capacity(copies.len());
    let last = labels.len() - 1;
    for (i, (copy, body, at)) in labels.iter().enumerate() {
        let encoder = &encoders[*at].1;
        match body {
            Body::Label(label) => encoder.write_label(i, i == last, label, &mut bytes),
            Body::Lines(count, lines) => {
                encoder.write_spliced(i, i == last, *count, lines, &mut bytes)
            }
        }
        let copy_ends = labels.get(i + 1).is_none_or(|(next, _, _)| next != copy);
        if copy_ends {
            spans.push(CopySpan {
                end: bytes.len(),
                pages: counts[*copy],
                feed_mm: feeds[*copy],
            });
        }
    }
    Ok(Chain {
        bytes,
        copies: spans,
    })
}

/// What a label of the chain is written from.
enum Body<'a> {
    /// Its raster line count and the bytes of those lines in its copy, spliced as they are.
    Lines(usize, &'a [u8]),
    /// Its decoded bitmap, placed and packed again.
    Label(Label),
}

/// Where each page's raster lines lie in its stream, for the pages whose
/// lines can be spliced: one unbroken run of raster commands (`G`, `g`,
/// `w`, `Z`) that ends right at the page's terminator. `None` for a page
/// whose lines are interleaved with other commands (a compression switch, a
/// setting, a run of `00`) or that has no line: it is written again instead.
fn line_spans(commands: &[(u64, Command)], pages: usize) -> Vec<Option<Range<usize>>> {
    let mut spans = Vec::with_capacity(pages);
    let mut start: Option<u64> = None;
    let mut broken = false;
    for (offset, command) in commands {
        match command {
            Command::Raster { .. } | Command::ZeroRaster => {
                if start.is_none() {
                    start = Some(*offset);
                }
            }
            Command::Print | Command::PrintFeed => {
                let span = start
                    .filter(|_| !broken)
                    .and_then(|s| Some(usize::try_from(s).ok()?..usize::try_from(*offset).ok()?));
                spans.push(span);
                start = None;
                broken = false;
            }
            _ => broken |= start.is_some(),
        }
    }
    // The decoder ends every page with a terminator, so there is one span per page.
    spans.resize(pages, None);
    spans
}

/// Where the one copy in `stream` lies: the whole stream, with as many
/// pages as the decoder finds (one if it cannot decode it: the printer
/// will judge the bytes).
pub fn span(model: &'static Model, stream: &[u8]) -> CopySpan {
    let options = DecoderOptions { model: Some(model) };
    let (pages, feed_mm) = Decoder::decode_all(options, stream)
        .map(|(_, pages)| (pages.len(), pages.iter().map(|p| feed_mm(model, p)).sum()))
        .unwrap_or((1, 0));
    CopySpan {
        end: stream.len(),
        pages: pages.max(1),
        feed_mm,
    }
}

/// How far `page` feeds the medium on `model`, in mm, rounded up: raster
/// lines (at least the model's minimum on continuous media: the printer
/// feeds that much whatever it is sent, §2 "Line count limits") plus the
/// feed margin at both ends, at the page's resolution along the feed
/// (brother-raster.md §4 dpi column, §1 `ESC i d`).
fn feed_mm(model: &Model, page: &Page) -> u32 {
    let (dpi, k) = if page.high_res() {
        (model.high_res_dpi.unwrap_or(model.dpi()), 2)
    } else {
        (model.dpi(), 1)
    };
    let continuous = page.media().is_none_or(|m| !m.kind.is_die_cut());
    let lines = if continuous {
        page.lines.max(model.min_lines as usize * k)
    } else {
        page.lines
    };
    let dots = lines as u64 + 2 * u64::from(page.margin.unwrap_or(0));
    let tenths_mm = (dots * 254).div_ceil(u64::from(dpi.max(1)));
    u32::try_from(tenths_mm.div_ceil(10)).unwrap_or(u32::MAX)
}

/// Whether any bit of `page` outside `window` is set, in either plane: the
/// same answer as [`Page::ink_outside`], looking only at the bytes that hold
/// pins outside the window (a few per line, not the whole line).
fn ink_outside(page: &Page, window: Window) -> bool {
    let bpl = page.bytes_per_line();
    let (lo, hi) = (
        usize::from(window.offset),
        usize::from(window.offset) + usize::from(window.printable),
    );
    // Per byte of a line, the bits that are pins outside the window (bit 7 of byte 0 is pin 0).
    let outside: Vec<(usize, u8)> = (0..bpl)
        .filter_map(|i| {
            let mask = (0..8)
                .filter(|b| !(lo..hi).contains(&(i * 8 + b)))
                .fold(0u8, |m, b| m | (0x80 >> b));
            (mask != 0).then_some((i, mask))
        })
        .collect();
    let inked = |plane: &[u8]| {
        plane
            .chunks_exact(bpl)
            .any(|line| outside.iter().any(|&(i, mask)| line[i] & mask != 0))
    };
    inked(&page.black) || page.red.as_deref().is_some_and(inked)
}

/// Whether two media are the same stock (kind and size; a black/red roll is
/// the same stock as the plain roll of its size).
fn same_stock(a: &Media, b: &Media) -> bool {
    a.kind == b.kind && a.width_mm == b.width_mm && a.length_mm == b.length_mm
}

/// The encoder options that reproduce `page` as a label inside a chain.
fn label_options(model: &Model, page: &Page) -> JobOptions {
    let cut = if page.auto_cut() {
        match model.cut_every {
            Some(_) => CutMode::Every(page.cut_every.unwrap_or(1)),
            None => CutMode::Every(1),
        }
    } else if model.auto_cut {
        // No cut between labels; the end of the chain is still fed and cut.
        CutMode::AtEnd
    } else {
        CutMode::None
    };
    let high_res = page.high_res();
    let mut options = JobOptions::default()
        .cut(cut)
        .half_cut(page.half_cut())
        .chain(false)
        .high_res(high_res)
        .mirror(page.mirror())
        .compress(page.compressed)
        .two_colour(page.two_colour())
        .quality(page.info.flags & PI_QUALITY != 0);
    if let Some(margin) = page.margin {
        options = options.margin(if high_res { margin / 2 } else { margin });
    }
    options
}
