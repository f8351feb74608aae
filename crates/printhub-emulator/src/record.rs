//! What the emulator remembers: printed pages (bitmaps, a PNG rendering,
//! JSON metadata and when they printed), refused input (errors with their
//! stable codes) and connections (when they were open, what commands came).
//!
//! Records are plain values built by the session and appended to the shared
//! state by the TCP thread; this module also writes them to the optional
//! output folder. It owns no threads and holds no locks.

use printhub_raster::{Bitmap, Command, DecodeError, ErrorFlags, Page, PageEnd, Reason};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};
use thiserror::Error;

/// A page the emulator printed.
#[derive(Debug, Clone)]
pub struct RecordedPage {
    /// Metadata, as written to `<time>-<job>-<page>.json`.
    pub meta: PageMeta,
    /// Black ink inside the print window; row = raster line.
    pub black: Bitmap,
    /// Red ink inside the print window (two-colour pages).
    pub red: Option<Bitmap>,
    /// The page as the decoder produced it (whole head lines, print information, modes).
    pub page: Page,
    /// When the printer printed it (set by the TCP side for every page it records).
    pub print: Option<PrintTime>,
}

/// The interval a page spent printing: from the "printing" phase change to
/// "printing completed" (zero long at instant speed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintTime {
    /// Printing started.
    pub started: Instant,
    /// Printing finished.
    pub finished: Instant,
}

impl PrintTime {
    /// How long the page took.
    pub fn duration(&self) -> Duration {
        self.finished.saturating_duration_since(self.started)
    }
}

/// One TCP connection the printer served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedConnection {
    /// Connection number, counted from 1 (as in [`PageMeta::connection`]).
    pub number: u64,
    /// When the printer accepted it (began serving it).
    pub accepted: Instant,
    /// When its first byte was read.
    pub first_byte: Option<Instant>,
    /// When it was closed.
    pub closed: Option<Instant>,
    /// Bytes read from it.
    pub bytes: u64,
    /// Every command decoded from it but raster lines (`G`, `g`, `w`, `Z`),
    /// with its byte offset: job starts, print information, modes, page ends.
    pub commands: Vec<(u64, Command)>,
}

impl RecordedConnection {
    /// How many of its commands match `pred`.
    pub fn count(&self, pred: impl Fn(&Command) -> bool) -> usize {
        self.commands.iter().filter(|(_, c)| pred(c)).count()
    }
}

/// How busy the printer was: time spent printing pages against the wall
/// time from the first byte of the first connection that printed to the
/// last page finished. See [`EmulatorHandle::utilisation`](crate::EmulatorHandle::utilisation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utilisation {
    /// Pages counted: the ones still kept in memory.
    pub pages: usize,
    /// Sum of their print times.
    pub printing: Duration,
    /// From the first byte to the end of the last page.
    pub wall: Duration,
}

impl Utilisation {
    /// `printing / wall`, between 0 and 1 (0 for an empty wall time).
    pub fn busy(&self) -> f64 {
        if self.wall.is_zero() {
            return 0.0;
        }
        (self.printing.as_secs_f64() / self.wall.as_secs_f64()).min(1.0)
    }
}

/// Metadata of a printed page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageMeta {
    /// Model name of the emulated printer.
    pub model: &'static str,
    /// Medium the page was printed on (the one its print information names,
    /// or the loaded one when it names none).
    pub media: Option<&'static str>,
    /// Raster lines of the page.
    pub raster_lines: usize,
    /// Dots across the print window (the PNG width).
    pub width_dots: usize,
    /// Auto cut (`ESC i M` bit 6).
    pub auto_cut: bool,
    /// Half cut (PT, `ESC i K` bit 2).
    pub half_cut: bool,
    /// Cut at end (`ESC i K` bit 3).
    pub cut_at_end: bool,
    /// Chain printing: the last label stays in the printer (`ESC i K` bit 3 clear).
    pub chain: bool,
    /// High resolution along the feed (`ESC i K` bit 6).
    pub high_res: bool,
    /// Black and red page.
    pub two_colour: bool,
    /// Mirror printing (PT, `ESC i M` bit 7).
    pub mirror: bool,
    /// Lines were PackBits-compressed.
    pub compressed: bool,
    /// Feed margin in dots (`ESC i d`), if sent.
    pub margin: Option<u16>,
    /// Whether the head line had ink outside the print window (it is not in the PNG).
    pub ink_outside: bool,
    /// How the page ended.
    pub end: PageEnd,
    /// The page ended with `0C` and the connection ended with no `1A` after
    /// it (ptouch's `print(label, feed=False)`): printed, then left in the
    /// printer, not fed out and not cut. Set when the connection ends.
    pub printed_without_feed: bool,
    /// Job number, counted from 1 over the emulator's life. A job starts at
    /// the first page of a connection or after a page ended with `1A`.
    pub job: u64,
    /// Page index within its job, from 0.
    pub page: usize,
    /// Connection number, counted from 1.
    pub connection: u64,
    /// When the page was printed, RFC 3339 in UTC.
    pub timestamp: String,
}

impl RecordedPage {
    /// File stem of this page in the output folder: `<time>-<job>-<page>`.
    /// `<time>` is when the page was decoded (`20261128T101502.123Z`): job numbers
    /// start again at 1 with every emulator run, and the time keeps the pages of an
    /// earlier run (a restarted `make run`) from being overwritten, in print order.
    pub fn file_stem(&self) -> String {
        let time: String = self
            .meta
            .timestamp
            .chars()
            .filter(|c| !matches!(c, '-' | ':'))
            .collect();
        format!("{time}-{}-{}", self.meta.job, self.meta.page)
    }

    /// The page as a PNG: white background, black ink black, red ink red;
    /// one image row per raster line, cropped to the print window. `None` for
    /// an empty page (PNG has no zero-sized images).
    pub fn to_png(&self) -> Option<Vec<u8>> {
        render_png(&self.black, self.red.as_ref())
    }

    /// Writes `<time>-<job>-<page>.png` and `.json` into `dir` and returns their paths.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        let stem = self.file_stem();
        if let Some(png) = self.to_png() {
            let path = dir.join(format!("{stem}.png"));
            std::fs::write(&path, png)?;
            written.push(path);
        }
        let json = serde_json::to_vec_pretty(&self.meta).map_err(std::io::Error::other)?;
        let path = dir.join(format!("{stem}.json"));
        std::fs::write(&path, json)?;
        written.push(path);
        Ok(written)
    }
}

/// Input the emulator refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedError {
    /// What went wrong.
    pub error: JobError,
    /// The error flags of the status block sent for it (empty if none was sent).
    pub flags: ErrorFlags,
    /// Job number the failing page belonged to (0 if no page had started).
    pub job: u64,
    /// Connection number, counted from 1.
    pub connection: u64,
    /// When it happened, RFC 3339 in UTC.
    pub timestamp: String,
}

impl RecordedError {
    /// Stable machine code (the decoder's code for protocol violations).
    pub fn code(&self) -> &'static str {
        self.error.code()
    }

    /// Byte offset within the connection's stream where the failing command starts.
    pub fn offset(&self) -> u64 {
        self.error.offset()
    }
}

/// Why a page was not printed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JobError {
    /// The stream breaks the raster protocol (the decoder's verdict, including a truncated stream).
    #[error("protocol violation {0}")]
    Protocol(#[from] DecodeError),
    /// A page longer than the model feeds.
    #[error("at byte {offset}: page of {lines} raster lines; the model prints at most {max}")]
    TooManyLines {
        /// Offset of the print command.
        offset: u64,
        /// Lines in the page.
        lines: usize,
        /// The model's maximum (doubled in high resolution).
        max: usize,
    },
    /// The page asks for another medium than the loaded one.
    #[error("at byte {offset}: the job asks for {wanted}, but {loaded} is loaded")]
    WrongMedia {
        /// Offset of the command that declared the medium.
        offset: u64,
        /// What the job declared, in words.
        wanted: String,
        /// Id of the loaded medium.
        loaded: &'static str,
    },
    /// The printer is in an error condition (no media, cover open, cutter jam, end of media).
    #[error("at byte {offset}: the printer reports {flags:?}")]
    Condition {
        /// Offset of the command that was refused.
        offset: u64,
        /// The conditions.
        flags: ErrorFlags,
        /// The most urgent of them.
        reason: Reason,
    },
    /// The printer closed the connection (the `DropAfter` fault).
    #[error("at byte {offset}: the printer dropped the connection")]
    ConnectionDropped {
        /// Bytes received before the drop.
        offset: u64,
    },
}

impl JobError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            JobError::Protocol(e) => e.code(),
            JobError::TooManyLines { .. } => "too_many_lines",
            JobError::WrongMedia { .. } => "media_mismatch",
            JobError::Condition { reason, .. } => reason.code(),
            JobError::ConnectionDropped { .. } => "connection_dropped",
        }
    }

    /// Byte offset within the connection's stream.
    pub fn offset(&self) -> u64 {
        match self {
            JobError::Protocol(e) => e.offset,
            JobError::TooManyLines { offset, .. }
            | JobError::WrongMedia { offset, .. }
            | JobError::Condition { offset, .. }
            | JobError::ConnectionDropped { offset } => *offset,
        }
    }
}

/// Formats `time` as RFC 3339 in UTC with milliseconds.
pub(crate) fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// Palette indices of the PNG.
const WHITE: u8 = 0;
const BLACK: u8 = 1;
const RED: u8 = 2;

fn render_png(black: &Bitmap, red: Option<&Bitmap>) -> Option<Vec<u8>> {
    let (width, height) = (black.width(), black.height());
    if width == 0 || height == 0 {
        return None;
    }
    // Two bits a pixel, four pixels a byte, MSB first (PNG's packing).
    let stride = width.div_ceil(4);
    let mut pixels = vec![0u8; stride * height];
    for y in 0..height {
        for x in 0..width {
            let ink = if black.get(x, y) {
                BLACK
            } else if red.is_some_and(|r| r.get(x, y)) {
                RED
            } else {
                WHITE
            };
            pixels[y * stride + x / 4] |= ink << (6 - 2 * (x % 4));
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(
        &mut out,
        u32::try_from(width).ok()?,
        u32::try_from(height).ok()?,
    );
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Two);
    encoder.set_palette(vec![0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00]);
    let result = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels));
    match result {
        Ok(()) => Some(out),
        Err(e) => {
            log::warn!("cannot encode a {width}x{height} page as PNG: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_has_the_three_inks() {
        let black = Bitmap::from_fn(5, 2, |x, _| x == 0);
        let red = Bitmap::from_fn(5, 2, |x, y| x == 0 || (x == 4 && y == 1));
        let png = render_png(&black, Some(&red)).expect("png");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().expect("header");
        let info = reader.info().clone();
        assert_eq!((info.width, info.height), (5, 2));
        assert_eq!(info.color_type, png::ColorType::Indexed);
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        reader.next_frame(&mut buf).expect("frame");
        // Row 1: black, white, white, white, red → indices 1 0 0 0 | 2.
        let stride = 2;
        assert_eq!(&buf[stride..2 * stride], &[0b0100_0000, 0b1000_0000]);
        assert!(render_png(&Bitmap::new(0, 3), None).is_none());
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        assert_eq!(timestamp(t), "2023-11-14T22:13:20.123Z");
    }
}
