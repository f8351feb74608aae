//! The streaming decoder: push bytes as they arrive, pull commands and
//! finished pages.
//!
//! It is strict the way a printer is: an unknown command, a raster line that
//! does not fill the head exactly, PackBits that over- or under-runs, raster
//! data before the print information, a `Z` without compression, a page whose
//! line count differs from its print information, `ESC @` in the middle of a
//! multi-page job, or a stream that ends inside a command is a
//! [`DecodeError`] with the byte offset where it happened. After an error the
//! decoder refuses further input (a printer discards the job).
//!
//! It is also as lenient as real printers are with the deviations the peer
//! drivers' vectors show (shared vectors README): `1A` after every page,
//! `n9` = 0 on every page, `ESC i a` before the invalidate, `ESC i S` inside a
//! job, PackBits lines longer than the raw line, `n1` = 0x86 with media type
//! 0x00; and a stream whose last page ends with `0C` and no `1A` (ptouch
//! 1.1.0's `print(label, feed=False)`): a PT printer prints that page on `0C`
//! and waits, so [`Decoder::finish`] accepts it and reports
//! [`Event::EndWithoutFeed`] (the page was printed, not fed out, not cut).
//! The decoder never panics on any input (see the fuzz target).
//!
//! ```text
//! push(bytes) ──► parse complete commands ──► Event::Command(offset, cmd)
//!                     │ raster lines                 │
//!                     ▼                              ▼
//!               page builder ──(0C / 1A)──► Event::Page(Page)
//! finish() ── last page ended with 0C ──► Event::EndWithoutFeed
//! ```

use crate::bitmap::Bitmap;
use crate::command::*;
use crate::encode::extract;
use crate::media::{Media, MediaKind, Window};
use crate::model::{Family, Model};
use crate::packbits::{self, PackBitsError};
use serde::Serialize;
use std::collections::VecDeque;
use thiserror::Error;

/// One decoded command, as it appeared in the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// A run of `00` bytes.
    Invalidate {
        /// Number of bytes.
        len: usize,
    },
    /// `ESC @`.
    Initialize,
    /// `ESC i S`.
    StatusRequest,
    /// `ESC i a n`.
    SwitchMode {
        /// 0 ESC/P, 1 raster, 3 P-touch Template.
        mode: u8,
    },
    /// `ESC i ! n`.
    AutoStatus {
        /// 0 notify, 1 don't.
        value: u8,
    },
    /// `ESC i z n1…n10`.
    PrintInfo(PrintInfo),
    /// `ESC i M n`.
    VariousMode {
        /// Mode bits.
        value: u8,
    },
    /// `ESC i A n`.
    CutEvery {
        /// Cut every n labels.
        value: u8,
    },
    /// `ESC i K n`.
    Advanced {
        /// Mode bits.
        value: u8,
    },
    /// `ESC i d nL nH`.
    Margin {
        /// Dots.
        dots: u16,
    },
    /// `ESC i D n` (darkness, lprint) or `ESC i R n` (older PT raster select): accepted and ignored.
    Setting {
        /// The letter after `ESC i`.
        letter: char,
        /// The parameter byte.
        value: u8,
    },
    /// `M n`.
    Compression {
        /// 0 none, 2 PackBits.
        mode: u8,
    },
    /// `G`, `g` or `w`: one raster line.
    Raster {
        /// 1 black, 2 red (two-colour lines), 1 otherwise.
        colour: u8,
        /// Bytes of line data on the wire.
        len: usize,
        /// Whether the data was PackBits.
        compressed: bool,
    },
    /// `Z`: one blank line.
    ZeroRaster,
    /// `0C`: print, more pages follow.
    Print,
    /// `1A`: print with feeding (last page).
    PrintFeed,
}

/// How a page was ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PageEnd {
    /// `0C`.
    Print,
    /// `1A`.
    PrintFeed,
}

/// A finished page: its parameters and its raster, one head line per raster line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    /// 0-based page number within the stream.
    pub index: usize,
    /// Byte offset of the command that ended the page.
    pub end_offset: u64,
    /// The page's print information.
    pub info: PrintInfo,
    /// Last `ESC i M` value (0 if never sent).
    pub various_mode: u8,
    /// Last `ESC i A` value, if sent.
    pub cut_every: Option<u8>,
    /// Last `ESC i K` value (0 if never sent).
    pub advanced: u8,
    /// Last `ESC i d` value, if sent.
    pub margin: Option<u16>,
    /// Whether compression mode 02 was on.
    pub compressed: bool,
    /// Head family the lines were decoded for.
    pub family: Family,
    /// Raster lines (two-colour: physical lines, i.e. `w` pairs).
    pub lines: usize,
    /// Black plane: `lines × bytes_per_line` bytes.
    #[serde(skip)]
    pub black: Vec<u8>,
    /// Red plane for two-colour pages.
    #[serde(skip)]
    pub red: Option<Vec<u8>>,
    /// How the page ended.
    pub end: PageEnd,
    /// The stream ended right after this page's `0C`, with no `1A`: the
    /// printer printed the page and waits, without feeding it out or cutting
    /// it (ptouch 1.1.0 `print(label, feed=False)`). Known only when the
    /// stream ends: [`Decoder::decode_all`] sets it; a streaming consumer
    /// gets [`Event::EndWithoutFeed`] after the page instead.
    pub printed_without_feed: bool,
}

impl Page {
    /// Bytes per head line.
    pub fn bytes_per_line(&self) -> usize {
        self.family.bytes_per_line()
    }

    /// Head line `y` of the black plane.
    pub fn line(&self, y: usize) -> &[u8] {
        let bpl = self.bytes_per_line();
        &self.black[y * bpl..(y + 1) * bpl]
    }

    /// Whether auto cut is on (`ESC i M` bit 6).
    pub fn auto_cut(&self) -> bool {
        self.various_mode & MODE_AUTO_CUT != 0
    }

    /// Whether mirror printing is on (`ESC i M` bit 7).
    pub fn mirror(&self) -> bool {
        self.various_mode & MODE_MIRROR != 0
    }

    /// Whether half cut is on (PT, `ESC i K` bit 2).
    pub fn half_cut(&self) -> bool {
        self.family.is_pt() && self.advanced & ADV_HALF_CUT != 0
    }

    /// Whether the last label is fed and cut (`ESC i K` bit 3); chain printing otherwise.
    pub fn cut_at_end(&self) -> bool {
        self.advanced & ADV_CUT_AT_END != 0
    }

    /// Whether high resolution is on (`ESC i K` bit 6).
    pub fn high_res(&self) -> bool {
        self.advanced & ADV_HIGH_RES != 0
    }

    /// Whether the page is two-colour.
    pub fn two_colour(&self) -> bool {
        self.red.is_some()
    }

    /// The medium the print information names, for this page's head family.
    pub fn media(&self) -> Option<&'static Media> {
        media_for(self.family, &self.info, self.two_colour())
    }

    /// The print window: the named medium's, or the whole head when no medium matches.
    pub fn window(&self) -> Window {
        self.media()
            .and_then(|m| m.window(self.family))
            .unwrap_or(Window {
                offset: 0,
                printable: self.family.pins(),
            })
    }

    /// The black plane cropped to `window`, as the label reads (the inverse of the encoder's placement).
    pub fn bitmap(&self, window: Window) -> Bitmap {
        plane_bitmap(&self.black, self.bytes_per_line(), self.lines, window)
    }

    /// The red plane cropped to `window`, for two-colour pages.
    pub fn red_bitmap(&self, window: Window) -> Option<Bitmap> {
        self.red
            .as_ref()
            .map(|red| plane_bitmap(red, self.bytes_per_line(), self.lines, window))
    }

    /// First and last set bit over all black lines (bit 0 = MSB of byte 0), if any.
    pub fn set_bit_span(&self) -> Option<(usize, usize)> {
        bit_span(&self.black, self.bytes_per_line())
    }

    /// Whether any bit outside `window` is set in either plane.
    pub fn ink_outside(&self, window: Window) -> bool {
        let (lo, hi) = (
            window.offset as usize,
            window.offset as usize + window.printable as usize,
        );
        let outside = |plane: &Vec<u8>| {
            bit_span(plane, self.bytes_per_line()).is_some_and(|(a, b)| {
                a < lo || b >= hi || {
                    // The span may straddle the window; check every line's bits outside it.
                    plane.chunks(self.bytes_per_line()).any(|line| {
                        (0..lo)
                            .chain(hi..self.family.pins() as usize)
                            .any(|p| line[p / 8] & (0x80 >> (p % 8)) != 0)
                    })
                }
            })
        };
        outside(&self.black) || self.red.as_ref().is_some_and(outside)
    }
}

fn plane_bitmap(plane: &[u8], bpl: usize, lines: usize, window: Window) -> Bitmap {
    let mut bitmap = Bitmap::new(window.printable as usize, lines);
    for y in 0..lines {
        extract(
            &plane[y * bpl..(y + 1) * bpl],
            window.offset as usize,
            window.printable as usize,
            &mut bitmap,
            y,
        );
    }
    bitmap
}

fn bit_span(plane: &[u8], bpl: usize) -> Option<(usize, usize)> {
    let mut span: Option<(usize, usize)> = None;
    for line in plane.chunks(bpl) {
        for (i, &b) in line.iter().enumerate() {
            if b != 0 {
                let first = i * 8 + b.leading_zeros() as usize;
                let last = i * 8 + 7 - b.trailing_zeros() as usize;
                span = Some(match span {
                    None => (first, last),
                    Some((a, z)) => (a.min(first), z.max(last)),
                });
            }
        }
    }
    span
}

/// The medium named by a page's print information on a head of `family`.
pub fn media_for(family: Family, info: &PrintInfo, two_colour: bool) -> Option<&'static Media> {
    let kinds: &[MediaKind] = match (family.is_pt(), info.media_type) {
        (true, 0x11) => &[MediaKind::HeatShrink2],
        (true, 0x17) => &[MediaKind::HeatShrink3],
        (true, _) => &[MediaKind::Tape],
        (false, 0x0B) | (false, 0x4B) => &[MediaKind::DieCut, MediaKind::Round],
        (false, _) if info.length_mm == 0 => &[MediaKind::Continuous],
        (false, _) => &[MediaKind::DieCut, MediaKind::Round],
    };
    crate::media::MEDIA.iter().find(|m| {
        kinds.contains(&m.kind)
            && m.width_mm == info.width_mm
            && (!m.kind.is_die_cut() || m.length_mm == info.length_mm)
            && m.two_colour == (two_colour && m.kind == MediaKind::Continuous)
            && m.window(family).is_some()
    })
}

/// An event the decoder produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete command and the offset of its first byte.
    Command {
        /// Byte offset.
        offset: u64,
        /// The command.
        command: Command,
    },
    /// A finished page.
    Page(Box<Page>),
    /// The stream ended after a page that ended with `0C` (no `1A` came):
    /// that page was printed without feed and cut. Emitted by
    /// [`Decoder::finish`], after every other event.
    EndWithoutFeed {
        /// Index of the page (its [`Page::index`]).
        page: usize,
        /// Byte offset of the `0C` that ended it.
        offset: u64,
    },
}

/// What went wrong, without the offset.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// A byte that starts no known command.
    #[error("unknown command byte 0x{0:02X}")]
    UnknownCommand(u8),
    /// `ESC` followed by an unknown sequence.
    #[error("unknown escape sequence {0}")]
    UnknownEscape(String),
    /// The stream ended inside a command or a page.
    #[error("stream ends inside {0}")]
    Truncated(&'static str),
    /// An uncompressed raster line whose length is not the head's bytes per line.
    #[error("raster line of {got} bytes; the head takes exactly {expected}")]
    LineLength {
        /// Bytes per line of the head.
        expected: usize,
        /// Bytes received.
        got: usize,
    },
    /// A raster line of a length no Brother head has.
    #[error("raster line of {0} bytes fits no Brother head")]
    UnknownLineLength(usize),
    /// PackBits data that does not expand to one line.
    #[error("compressed raster line: {0}")]
    PackBits(PackBitsError),
    /// Raster data before any `ESC i z` in this page.
    #[error("raster data without print information (ESC i z)")]
    MissingPrintInfo,
    /// The page's line count differs from its print information.
    #[error("page has {got} raster lines; its print information declares {declared}")]
    LineCount {
        /// Lines declared in `ESC i z`.
        declared: u32,
        /// Lines received.
        got: usize,
    },
    /// `Z` while compression mode 02 is off.
    #[error("Z (blank line) without compression mode 02")]
    ZeroWithoutCompression,
    /// `M n` with a value other than 0 or 2, or on a model without compression.
    #[error("compression mode {0:02X} not accepted")]
    Compression(u8),
    /// A line type the head family does not take (`G` on QL, `g` on PT, `w` without two colours).
    #[error("{0}")]
    LineType(&'static str),
    /// Two-colour lines out of order (each physical line is `w 01` then `w 02`).
    #[error("two-colour lines out of order: {0}")]
    TwoColourOrder(&'static str),
    /// `ESC @` after `0C` and before the job's last page.
    #[error("ESC @ inside a multi-page job (after 0C, before the last page)")]
    InitializeInsideJob,
    /// Raster data while the printer is switched to a non-raster command mode.
    #[error("raster data while in command mode {0:02X} (not raster)")]
    NotRasterMode(u8),
    /// Input after an earlier error.
    #[error("input after an earlier error")]
    AfterError,
}

impl DecodeErrorKind {
    /// Stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            DecodeErrorKind::UnknownCommand(_) | DecodeErrorKind::UnknownEscape(_) => {
                "unknown_command"
            }
            DecodeErrorKind::Truncated(_) => "truncated",
            DecodeErrorKind::LineLength { .. } | DecodeErrorKind::UnknownLineLength(_) => {
                "line_length"
            }
            DecodeErrorKind::PackBits(_) => "bad_compression",
            DecodeErrorKind::MissingPrintInfo => "missing_print_info",
            DecodeErrorKind::LineCount { .. } => "line_count_mismatch",
            DecodeErrorKind::ZeroWithoutCompression => "zero_without_compression",
            DecodeErrorKind::Compression(_) => "compression_not_accepted",
            DecodeErrorKind::LineType(_) => "line_type",
            DecodeErrorKind::TwoColourOrder(_) => "two_colour_order",
            DecodeErrorKind::InitializeInsideJob => "initialize_inside_job",
            DecodeErrorKind::NotRasterMode(_) => "not_raster_mode",
            DecodeErrorKind::AfterError => "after_error",
        }
    }
}

/// A decoding error and the byte offset where the offending command starts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("at byte {offset}: {kind}")]
pub struct DecodeError {
    /// Offset of the first byte of the offending command.
    pub offset: u64,
    /// What went wrong.
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    /// Stable machine code.
    pub const fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// Every command (with its offset) and every page of a whole stream.
pub type Decoded = (Vec<(u64, Command)>, Vec<Page>);

/// What the decoder knows about the printer in advance.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecoderOptions {
    /// The model the stream is for. Fixes the head family and rejects commands
    /// the model does not take (compression on models without it, `w` without two colours).
    pub model: Option<&'static Model>,
}

/// Streaming, strict decoder. See the module documentation.
#[derive(Debug)]
pub struct Decoder {
    options: DecoderOptions,
    family: Option<Family>,
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]`.
    base: u64,
    events: VecDeque<Event>,
    failed: bool,
    zeros: Option<(u64, usize)>,
    state: JobState,
    pages: usize,
    /// Offset of the command that ended the last page.
    last_page_end: u64,
}

#[derive(Debug, Default)]
struct JobState {
    mode: Option<u8>,
    compression: bool,
    various: u8,
    cut_every: Option<u8>,
    advanced: u8,
    margin: Option<u16>,
    info: Option<PrintInfo>,
    black: Vec<u8>,
    red: Vec<u8>,
    lines: usize,
    /// `Z` lines received before the head family was known.
    deferred_zeros: usize,
    /// A `w 01` line is waiting for its `w 02`.
    red_pending: bool,
    two_colour: bool,
    /// A page ended with `0C`: the job continues.
    mid_job: bool,
}

enum Step {
    /// A command of `len` bytes was parsed.
    Done(usize, Option<Command>),
    /// More bytes are needed.
    Incomplete(&'static str),
}

impl Decoder {
    /// A decoder with the given knowledge of the printer.
    pub fn new(options: DecoderOptions) -> Self {
        Decoder {
            options,
            family: options.model.map(|m| m.family),
            buf: Vec::new(),
            base: 0,
            events: VecDeque::new(),
            failed: false,
            zeros: None,
            state: JobState::default(),
            pages: 0,
            last_page_end: 0,
        }
    }

    /// A decoder for the given model.
    pub fn for_model(model: &'static Model) -> Self {
        Decoder::new(DecoderOptions { model: Some(model) })
    }

    /// The head family, once known (from the model or the first raster line).
    pub fn family(&self) -> Option<Family> {
        self.family
    }

    /// Bytes consumed so far (offset of the next unparsed byte).
    pub fn offset(&self) -> u64 {
        self.base
    }

    /// Whether a page has started (print information or lines received) and not ended.
    pub fn in_page(&self) -> bool {
        self.state.info.is_some() || self.state.lines > 0
    }

    /// Whether the stream is inside a multi-page job (a page ended with `0C`;
    /// at the end of the stream that page was the last, printed without feed).
    pub fn in_job(&self) -> bool {
        self.state.mid_job
    }

    /// Pushes bytes. Complete commands and pages become events; an incomplete
    /// command waits for more input.
    pub fn push(&mut self, data: &[u8]) -> Result<(), DecodeError> {
        if self.failed {
            return Err(DecodeError {
                offset: self.base,
                kind: DecodeErrorKind::AfterError,
            });
        }
        self.buf.extend_from_slice(data);
        let mut pos = 0;
        let result = loop {
            if pos >= self.buf.len() {
                break Ok(());
            }
            let offset = self.base + pos as u64;
            if self.buf[pos] == 0x00 {
                let run = self.buf[pos..].iter().take_while(|&&b| b == 0).count();
                match &mut self.zeros {
                    Some((_, len)) => *len += run,
                    None => self.zeros = Some((offset, run)),
                }
                pos += run;
                continue;
            }
            self.flush_zeros();
            let before = self.events.len();
            match self.step(pos, offset) {
                Ok(Step::Done(len, command)) => {
                    pos += len;
                    // A print command comes before the page it ends, so a consumer
                    // that acts on the page (the emulator prints it) has already seen it.
                    if let Some(command) = command {
                        self.events
                            .insert(before, Event::Command { offset, command });
                    }
                }
                Ok(Step::Incomplete(_)) => break Ok(()),
                Err(kind) => break Err(DecodeError { offset, kind }),
            }
        };
        self.buf.drain(..pos);
        self.base += pos as u64;
        if result.is_err() {
            self.failed = true;
            self.buf.clear();
        }
        result
    }

    /// Declares the end of the stream: an unfinished command or page is an
    /// error. A stream whose last page ended with `0C` is complete: that page
    /// was printed without feed, and [`Event::EndWithoutFeed`] says so.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        if self.failed {
            return Err(DecodeError {
                offset: self.base,
                kind: DecodeErrorKind::AfterError,
            });
        }
        self.flush_zeros();
        let error = if !self.buf.is_empty() {
            let what = match self.step(0, self.base) {
                Ok(Step::Incomplete(what)) => what,
                _ => "a command",
            };
            Some(DecodeErrorKind::Truncated(what))
        } else if self.in_page() {
            Some(DecodeErrorKind::Truncated("a page (no 0C or 1A)"))
        } else {
            if self.state.mid_job {
                // ptouch 1.1.0 `print(label, feed=False)` ends the job with `0C` to save
                // tape: the printer printed the page on `0C` and waits (no feed, no cut).
                self.state.mid_job = false;
                self.events.push_back(Event::EndWithoutFeed {
                    page: self.pages.saturating_sub(1),
                    offset: self.last_page_end,
                });
            }
            None
        };
        match error {
            Some(kind) => {
                self.failed = true;
                Err(DecodeError {
                    offset: self.base,
                    kind,
                })
            }
            None => Ok(()),
        }
    }

    /// The next event, if any.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Decodes a whole stream at once: every command and every page.
    pub fn decode_all(options: DecoderOptions, data: &[u8]) -> Result<Decoded, DecodeError> {
        let mut decoder = Decoder::new(options);
        decoder.push(data)?;
        decoder.finish()?;
        let mut commands = Vec::new();
        let mut pages: Vec<Page> = Vec::new();
        while let Some(event) = decoder.next_event() {
            match event {
                Event::Command { offset, command } => commands.push((offset, command)),
                Event::Page(page) => pages.push(*page),
                Event::EndWithoutFeed { page, .. } => {
                    if let Some(page) = pages.iter_mut().find(|p| p.index == page) {
                        page.printed_without_feed = true;
                    }
                }
            }
        }
        Ok((commands, pages))
    }

    fn flush_zeros(&mut self) {
        if let Some((offset, len)) = self.zeros.take() {
            self.events.push_back(Event::Command {
                offset,
                command: Command::Invalidate { len },
            });
        }
    }

    fn step(&mut self, pos: usize, offset: u64) -> Result<Step, DecodeErrorKind> {
        let b = &self.buf[pos..];
        let need = |n: usize, what| -> Option<Step> {
            if b.len() < n {
                Some(Step::Incomplete(what))
            } else {
                None
            }
        };
        match b[0] {
            ESC => {
                if let Some(s) = need(2, "an ESC command") {
                    return Ok(s);
                }
                match b[1] {
                    b'@' => {
                        // After `0C` the job continues: `ESC @` would break the chain.
                        // Inside a page it is the documented abort: the page is dropped.
                        if self.state.mid_job {
                            return Err(DecodeErrorKind::InitializeInsideJob);
                        }
                        self.state = JobState {
                            mode: self.state.mode,
                            ..JobState::default()
                        };
                        Ok(Step::Done(2, Some(Command::Initialize)))
                    }
                    b'i' => self.step_esc_i(pos),
                    other => Err(DecodeErrorKind::UnknownEscape(format!("1B {other:02X}"))),
                }
            }
            COMPRESSION => {
                if let Some(s) = need(2, "M (compression)") {
                    return Ok(s);
                }
                let mode = b[1];
                let model_ok = self.options.model.is_none_or(|m| m.supports_compression());
                if !(mode == 0 || mode == 2) || !model_ok {
                    return Err(DecodeErrorKind::Compression(mode));
                }
                self.state.compression = mode == 2;
                Ok(Step::Done(2, Some(Command::Compression { mode })))
            }
            RASTER_PT => {
                if let Some(s) = need(3, "G (raster line)") {
                    return Ok(s);
                }
                let n = u16::from_le_bytes([b[1], b[2]]) as usize;
                if let Some(s) = need(3 + n, "G (raster line)") {
                    return Ok(s);
                }
                self.check_raster_allowed()?;
                let data = self.buf[pos + 3..pos + 3 + n].to_vec();
                self.raster_line(b'G', 1, &data)?;
                Ok(Step::Done(
                    3 + n,
                    Some(Command::Raster {
                        colour: 1,
                        len: n,
                        compressed: self.state.compression,
                    }),
                ))
            }
            RASTER_QL | RASTER_TWO_COLOUR => {
                let letter = b[0];
                if let Some(s) = need(3, "g/w (raster line)") {
                    return Ok(s);
                }
                let n = b[2] as usize;
                if let Some(s) = need(3 + n, "g/w (raster line)") {
                    return Ok(s);
                }
                let colour = if letter == RASTER_QL {
                    if b[1] != 0 {
                        return Err(DecodeErrorKind::LineType("g must be followed by 00"));
                    }
                    1
                } else {
                    if b[1] != 1 && b[1] != 2 {
                        return Err(DecodeErrorKind::LineType("w colour must be 01 or 02"));
                    }
                    b[1]
                };
                self.check_raster_allowed()?;
                let data = self.buf[pos + 3..pos + 3 + n].to_vec();
                self.raster_line(letter, colour, &data)?;
                Ok(Step::Done(
                    3 + n,
                    Some(Command::Raster {
                        colour,
                        len: n,
                        compressed: self.state.compression,
                    }),
                ))
            }
            ZERO_RASTER => {
                if !self.state.compression {
                    return Err(DecodeErrorKind::ZeroWithoutCompression);
                }
                self.check_raster_allowed()?;
                match self.family {
                    Some(family) if !family.is_pt() => {
                        return Err(DecodeErrorKind::LineType(
                            "Z is a P-touch command; QL takes no Z",
                        ));
                    }
                    Some(family) => {
                        let bpl = family.bytes_per_line();
                        self.state.black.resize(self.state.black.len() + bpl, 0);
                    }
                    // The head width is not known yet (no model, no line so far): the
                    // blank lines are filled in when it is.
                    None => self.state.deferred_zeros += 1,
                }
                self.state.lines += 1;
                Ok(Step::Done(1, Some(Command::ZeroRaster)))
            }
            PRINT | PRINT_FEED => {
                let end = if b[0] == PRINT {
                    PageEnd::Print
                } else {
                    PageEnd::PrintFeed
                };
                self.end_page(offset, end)?;
                let command = if end == PageEnd::Print {
                    Command::Print
                } else {
                    Command::PrintFeed
                };
                Ok(Step::Done(1, Some(command)))
            }
            other => Err(DecodeErrorKind::UnknownCommand(other)),
        }
    }

    fn step_esc_i(&mut self, pos: usize) -> Result<Step, DecodeErrorKind> {
        let b = &self.buf[pos..];
        if b.len() < 3 {
            return Ok(Step::Incomplete("an ESC i command"));
        }
        let param_len = match b[2] {
            b'S' => 0,
            b'a' | b'!' | b'M' | b'A' | b'K' | b'D' | b'R' => 1,
            b'd' => 2,
            b'z' => 10,
            other => {
                return Err(DecodeErrorKind::UnknownEscape(format!("1B 69 {other:02X}")));
            }
        };
        if b.len() < 3 + param_len {
            return Ok(Step::Incomplete("an ESC i command"));
        }
        let p = &b[3..3 + param_len];
        let command = match b[2] {
            b'S' => Command::StatusRequest,
            b'a' => {
                self.state.mode = Some(p[0]);
                Command::SwitchMode { mode: p[0] }
            }
            b'!' => Command::AutoStatus { value: p[0] },
            b'M' => {
                self.state.various = p[0];
                Command::VariousMode { value: p[0] }
            }
            b'A' => {
                self.state.cut_every = Some(p[0]);
                Command::CutEvery { value: p[0] }
            }
            b'K' => {
                self.state.advanced = p[0];
                Command::Advanced { value: p[0] }
            }
            b'd' => {
                let dots = u16::from_le_bytes([p[0], p[1]]);
                self.state.margin = Some(dots);
                Command::Margin { dots }
            }
            b'z' => {
                let mut raw = [0u8; 10];
                raw.copy_from_slice(p);
                let info = PrintInfo::from_bytes(&raw);
                self.state.info = Some(info);
                Command::PrintInfo(info)
            }
            letter => Command::Setting {
                letter: letter as char,
                value: p[0],
            },
        };
        Ok(Step::Done(3 + param_len, Some(command)))
    }

    fn check_raster_allowed(&self) -> Result<(), DecodeErrorKind> {
        if let Some(mode) = self.state.mode {
            if mode != 0x01 {
                return Err(DecodeErrorKind::NotRasterMode(mode));
            }
        }
        if self.state.info.is_none() {
            return Err(DecodeErrorKind::MissingPrintInfo);
        }
        Ok(())
    }

    fn raster_line(&mut self, letter: u8, colour: u8, data: &[u8]) -> Result<(), DecodeErrorKind> {
        let pt_letter = letter == RASTER_PT;
        // Fix the head family: from the model, or from the first line's length.
        let family = match self.family {
            Some(f) => f,
            None => {
                let len = if self.state.compression {
                    let mut probe = Vec::new();
                    // Expand without a target length to learn it; any error is reported below.
                    let _ = packbits::decode_into(data, usize::MAX, &mut probe);
                    probe.len()
                } else {
                    data.len()
                };
                let family = Family::from_bytes_per_line(len)
                    .filter(|f| f.is_pt() == pt_letter)
                    .ok_or(DecodeErrorKind::UnknownLineLength(len))?;
                self.family = Some(family);
                let zeros = std::mem::take(&mut self.state.deferred_zeros);
                self.state.black.resize(zeros * family.bytes_per_line(), 0);
                family
            }
        };
        if family.is_pt() != pt_letter {
            return Err(DecodeErrorKind::LineType(if pt_letter {
                "G is a P-touch raster line; QL heads take g"
            } else {
                "g/w are QL raster lines; P-touch heads take G"
            }));
        }
        if letter == RASTER_TWO_COLOUR {
            if self.options.model.is_some_and(|m| !m.two_colour) {
                return Err(DecodeErrorKind::LineType(
                    "w (two-colour) on a model without two colours",
                ));
            }
            if self.state.lines > 0 && !self.state.two_colour {
                return Err(DecodeErrorKind::TwoColourOrder(
                    "w line in a black-only page",
                ));
            }
            self.state.two_colour = true;
            match (colour, self.state.red_pending) {
                (1, false) => self.state.red_pending = true,
                (2, true) => self.state.red_pending = false,
                (1, true) => return Err(DecodeErrorKind::TwoColourOrder("w 01 twice in a row")),
                _ => {
                    return Err(DecodeErrorKind::TwoColourOrder(
                        "w 02 without a w 01 before it",
                    ))
                }
            }
        } else if self.state.two_colour {
            return Err(DecodeErrorKind::TwoColourOrder(
                "g line in a two-colour page",
            ));
        }
        let bpl = family.bytes_per_line();
        let plane = if colour == 2 {
            &mut self.state.red
        } else {
            &mut self.state.black
        };
        if self.state.compression {
            packbits::decode_into(data, bpl, plane).map_err(|e| {
                if let PackBitsError::Overrun { .. } | PackBitsError::Underrun { .. } = e {
                    // Keep the plane consistent: drop the partial line.
                    let keep = plane.len() - plane.len() % bpl;
                    plane.truncate(keep);
                }
                DecodeErrorKind::PackBits(e)
            })?;
        } else {
            if data.len() != bpl {
                return Err(DecodeErrorKind::LineLength {
                    expected: bpl,
                    got: data.len(),
                });
            }
            plane.extend_from_slice(data);
        }
        if colour == 1 {
            self.state.lines += 1;
        }
        Ok(())
    }

    fn end_page(&mut self, offset: u64, end: PageEnd) -> Result<(), DecodeErrorKind> {
        let info = self
            .state
            .info
            .take()
            .ok_or(DecodeErrorKind::MissingPrintInfo)?;
        if self.state.red_pending {
            return Err(DecodeErrorKind::TwoColourOrder(
                "page ends after w 01 without its w 02",
            ));
        }
        if self.state.lines != info.raster_count as usize {
            return Err(DecodeErrorKind::LineCount {
                declared: info.raster_count,
                got: self.state.lines,
            });
        }
        let family = match self.family {
            Some(f) => f,
            // No model and no line with data so far: guess the head from the print
            // information (QL media types; PT tape wider than 24 mm needs the 560-pin head).
            None => {
                let family = if matches!(info.media_type, 0x0A | 0x0B | 0x4A | 0x4B) {
                    Family::Ql
                } else if info.width_mm > 24 {
                    Family::Pt560
                } else {
                    Family::Pt128
                };
                let zeros = std::mem::take(&mut self.state.deferred_zeros);
                self.state.black.resize(zeros * family.bytes_per_line(), 0);
                family
            }
        };
        let black = std::mem::take(&mut self.state.black);
        let red = std::mem::take(&mut self.state.red);
        let page = Page {
            index: self.pages,
            end_offset: offset,
            info,
            various_mode: self.state.various,
            cut_every: self.state.cut_every,
            advanced: self.state.advanced,
            margin: self.state.margin,
            compressed: self.state.compression,
            family,
            lines: self.state.lines,
            black,
            red: if self.state.two_colour {
                Some(red)
            } else {
                None
            },
            end,
            printed_without_feed: false,
        };
        self.pages += 1;
        self.last_page_end = offset;
        self.state.lines = 0;
        self.state.two_colour = false;
        self.state.mid_job = end == PageEnd::Print;
        self.events.push_back(Event::Page(Box::new(page)));
        Ok(())
    }
}
