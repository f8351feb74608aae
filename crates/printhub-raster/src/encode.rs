//! The job encoder: 1-bit labels in, the complete byte stream a Brother
//! printer takes out.
//!
//! Configuration is a builder ([`JobOptions`]); [`Encoder::new`] validates it
//! against the (model, media) pair once, and [`Encoder::encode`] /
//! [`Encoder::write`] turn a list of labels into one job. The encoder follows
//! Brother's raster command references wherever peer drivers deviate
//! (shared vectors README, "Known deviations"):
//!
//! ```text
//! 00 × invalidate_len | ESC @ | ESC i a 01 (models with mode switching)
//! per label: [ESC i ! 00 (PT-P910BT)] ESC i z … | ESC i M | [ESC i A n] | [ESC i K]
//!            | ESC i d | [M 02/00] | raster lines | 0C (more labels follow) or 1A (last)
//! ```
//!
//! No `ESC i S` inside the job, no `ESC @` between labels (so chains and
//! half-cut strips stay intact), `n9` = 0 for the first label and 1 after
//! (2 for the last label on the PT-P900 family, as its manual says), and
//! PackBits with the overflow rule. Every job ends with `1A`.
//!
//! A label on continuous media (tape, rolls) shorter than the model's
//! minimum length is padded with blank raster lines after its content up to
//! that minimum ([`Encoder::padded_lines`]): the printer feeds at least that
//! much anyway, and the content stays at the leading edge. Die-cut labels
//! must have exactly their label's length, and nothing may exceed the
//! model's maximum.

use crate::bitmap::Bitmap;
use crate::command::*;
use crate::media::{geometry, Geometry, Media, MediaError, MediaKind};
use crate::model::{CompressionSupport, Family, Model};
use crate::packbits;
use thiserror::Error;

/// When the cutter acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CutMode {
    /// Never cut (the label is fed out; tear it off).
    None,
    /// Auto cut after every `n` labels (`ESC i M 40`, `ESC i A n`), and after the last.
    Every(u8),
    /// Cut only after the last label of the job.
    #[default]
    AtEnd,
}

/// Job options, built with chained setters. Defaults: cut after every label,
/// no half cut, no chain, base resolution, the medium's default margin,
/// compression where the model supports it, black only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOptions {
    cut: CutMode,
    half_cut: bool,
    chain: bool,
    high_res: bool,
    margin: Option<u16>,
    mirror: bool,
    compress: Option<bool>,
    two_colour: bool,
    quality: bool,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            cut: CutMode::Every(1),
            half_cut: false,
            chain: false,
            high_res: false,
            margin: None,
            mirror: false,
            compress: None,
            two_colour: false,
            quality: false,
        }
    }
}

impl JobOptions {
    /// Sets when the cutter acts.
    pub fn cut(mut self, cut: CutMode) -> Self {
        self.cut = cut;
        self
    }

    /// Half cut between labels (PT models with a half cutter).
    pub fn half_cut(mut self, on: bool) -> Self {
        self.half_cut = on;
        self
    }

    /// Chain printing: leave the last label in the printer (no final feed and cut),
    /// so the next job does not waste a leading margin.
    pub fn chain(mut self, on: bool) -> Self {
        self.chain = on;
        self
    }

    /// High resolution along the feed. Labels must then carry twice the raster lines.
    pub fn high_res(mut self, on: bool) -> Self {
        self.high_res = on;
        self
    }

    /// Feed margin in dots at base resolution (`ESC i d`); doubled in high resolution.
    pub fn margin(mut self, dots: u16) -> Self {
        self.margin = Some(dots);
        self
    }

    /// Ask the printer to mirror the print (`ESC i M` bit 7, PT only).
    pub fn mirror(mut self, on: bool) -> Self {
        self.mirror = on;
        self
    }

    /// Force compression on or off (default: on where the model supports it).
    pub fn compress(mut self, on: bool) -> Self {
        self.compress = Some(on);
        self
    }

    /// Black and red printing (QL-800 family on DK-22251).
    pub fn two_colour(mut self, on: bool) -> Self {
        self.two_colour = on;
        self
    }

    /// Set the "prefer quality" flag of the print information (QL; not with two colours).
    pub fn quality(mut self, on: bool) -> Self {
        self.quality = on;
        self
    }

    /// The cut mode.
    pub fn cut_mode(&self) -> CutMode {
        self.cut
    }

    /// Whether half cut is on.
    pub fn is_half_cut(&self) -> bool {
        self.half_cut
    }

    /// Whether chain printing is on.
    pub fn is_chain(&self) -> bool {
        self.chain
    }

    /// Whether high resolution is on.
    pub fn is_high_res(&self) -> bool {
        self.high_res
    }

    /// Whether two-colour printing is on.
    pub fn is_two_colour(&self) -> bool {
        self.two_colour
    }
}

/// One label to print: its black layer and, for two-colour jobs, its red layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Black ink; width = printable dots of the medium, one row per raster line.
    pub black: Bitmap,
    /// Red ink (two-colour jobs only), same size as `black`.
    pub red: Option<Bitmap>,
}

impl Label {
    /// A black-only label.
    pub fn black(bitmap: Bitmap) -> Self {
        Label {
            black: bitmap,
            red: None,
        }
    }
}

/// Why a job cannot be encoded. Every variant has a stable [`code`](EncodeError::code).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The model cannot take the medium.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// An option the model does not have.
    #[error("{model} does not support {feature}")]
    Unsupported {
        /// Model name.
        model: &'static str,
        /// The feature asked for.
        feature: &'static str,
    },
    /// `cut every n` outside the model's range.
    #[error("cut every {n} labels is outside {min}..={max} on {model}")]
    CutEvery {
        /// Model name.
        model: &'static str,
        /// The value asked for.
        n: u8,
        /// Smallest accepted.
        min: u8,
        /// Largest accepted.
        max: u8,
    },
    /// The job has no labels.
    #[error("a job needs at least one label")]
    NoLabels,
    /// A label's width is not the printable width of the medium.
    #[error("label {label} is {got} dots wide; {media} prints exactly {expected}")]
    Width {
        /// Label index (0-based).
        label: usize,
        /// Media id.
        media: &'static str,
        /// Printable dots.
        expected: usize,
        /// The label's width.
        got: usize,
    },
    /// A label's length is outside what the encoder takes: no raster line at
    /// all, or more than the model feeds (shorter labels are padded).
    #[error("label {label} has {got} raster lines; the model takes {min}..={max}")]
    Length {
        /// Label index (0-based).
        label: usize,
        /// The label's raster lines.
        got: usize,
        /// Minimum lines the encoder takes (1: shorter continuous labels are padded).
        min: usize,
        /// Maximum lines.
        max: usize,
    },
    /// A die-cut label whose length is not the label's printable length.
    #[error("label {label} has {got} raster lines; a {media} label has exactly {expected}")]
    DieCutLength {
        /// Label index (0-based).
        label: usize,
        /// Media id.
        media: &'static str,
        /// Expected lines.
        expected: usize,
        /// The label's lines.
        got: usize,
    },
    /// A red layer on a black-only job, or a red layer of another size.
    #[error("label {label}: {reason}")]
    RedLayer {
        /// Label index (0-based).
        label: usize,
        /// What is wrong.
        reason: &'static str,
    },
}

impl EncodeError {
    /// The typed code: what callers match on (exhaustively) instead of text.
    pub const fn kind(&self) -> EncodeCode {
        match self {
            EncodeError::Media(MediaError::Unsupported { .. }) => EncodeCode::UnsupportedMedia,
            EncodeError::Unsupported { .. } => EncodeCode::UnsupportedOption,
            EncodeError::CutEvery { .. } => EncodeCode::InvalidCutEvery,
            EncodeError::NoLabels => EncodeCode::NoLabels,
            EncodeError::Width { .. } => EncodeCode::LabelWidthMismatch,
            EncodeError::Length { .. } => EncodeCode::LabelLengthOutOfRange,
            EncodeError::DieCutLength { .. } => EncodeCode::DieCutLengthMismatch,
            EncodeError::RedLayer { .. } => EncodeCode::InvalidRedLayer,
        }
    }

    /// Stable machine code (`self.kind().code()`).
    pub const fn code(&self) -> &'static str {
        self.kind().code()
    }
}

/// The stable code of an [`EncodeError`], one per kind of refusal.
///
/// Deliberately not `#[non_exhaustive]`: a caller that maps codes (the HTTP
/// gateway chooses a status per code) matches every variant, so a new code
/// fails its build until it has been given an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EncodeCode {
    /// `unsupported_media`: the model cannot take the medium.
    UnsupportedMedia,
    /// `unsupported_option`: an option the model does not have.
    UnsupportedOption,
    /// `invalid_cut_every`: `cut every n` outside the model's range.
    InvalidCutEvery,
    /// `no_labels`: the job has no labels.
    NoLabels,
    /// `label_width_mismatch`: a label is not the printable width of the medium.
    LabelWidthMismatch,
    /// `label_length_out_of_range`: a label is longer (or shorter) than the model takes.
    LabelLengthOutOfRange,
    /// `die_cut_length_mismatch`: a die-cut label of the wrong length.
    DieCutLengthMismatch,
    /// `invalid_red_layer`: a red layer the job cannot have.
    InvalidRedLayer,
}

impl EncodeCode {
    /// Every code, once.
    pub const ALL: [EncodeCode; 8] = [
        EncodeCode::UnsupportedMedia,
        EncodeCode::UnsupportedOption,
        EncodeCode::InvalidCutEvery,
        EncodeCode::NoLabels,
        EncodeCode::LabelWidthMismatch,
        EncodeCode::LabelLengthOutOfRange,
        EncodeCode::DieCutLengthMismatch,
        EncodeCode::InvalidRedLayer,
    ];

    /// The stable snake_case string.
    pub const fn code(self) -> &'static str {
        match self {
            EncodeCode::UnsupportedMedia => "unsupported_media",
            EncodeCode::UnsupportedOption => "unsupported_option",
            EncodeCode::InvalidCutEvery => "invalid_cut_every",
            EncodeCode::NoLabels => "no_labels",
            EncodeCode::LabelWidthMismatch => "label_width_mismatch",
            EncodeCode::LabelLengthOutOfRange => "label_length_out_of_range",
            EncodeCode::DieCutLengthMismatch => "die_cut_length_mismatch",
            EncodeCode::InvalidRedLayer => "invalid_red_layer",
        }
    }
}

/// An encoder bound to one (model, medium, options) triple.
#[derive(Debug, Clone)]
pub struct Encoder {
    model: &'static Model,
    media: &'static Media,
    options: JobOptions,
    geometry: Geometry,
    compress: bool,
}

impl Encoder {
    /// Validates the options for `model` and `media`.
    pub fn new(
        model: &'static Model,
        media: &'static Media,
        options: JobOptions,
    ) -> Result<Self, EncodeError> {
        let geometry = geometry(model, media)?;
        let unsupported = |feature| EncodeError::Unsupported {
            model: model.name,
            feature,
        };
        match options.cut {
            CutMode::Every(n) => {
                if !model.auto_cut {
                    return Err(unsupported("an automatic cutter"));
                }
                if let Some((min, max)) = model.cut_every {
                    if n < min || n > max {
                        return Err(EncodeError::CutEvery {
                            model: model.name,
                            n,
                            min,
                            max,
                        });
                    }
                } else if n != 1 {
                    return Err(unsupported("cutting every n labels"));
                }
            }
            CutMode::AtEnd if !model.auto_cut => return Err(unsupported("an automatic cutter")),
            CutMode::AtEnd | CutMode::None => {}
        }
        if options.half_cut && !model.half_cut {
            return Err(unsupported("half cut"));
        }
        if options.chain && !model.chain {
            return Err(unsupported("chain printing"));
        }
        if options.high_res && model.high_res_dpi.is_none() {
            return Err(unsupported("high resolution"));
        }
        if options.mirror && !model.family.is_pt() {
            return Err(unsupported("mirror printing"));
        }
        if options.two_colour {
            if !model.two_colour {
                return Err(unsupported("two-colour printing"));
            }
            if !media.two_colour {
                return Err(unsupported(
                    "two-colour printing on this medium (load DK-22251, dk-62-red)",
                ));
            }
        }
        if options.high_res
            && media.kind.is_pt()
            && media.kind != MediaKind::Tape
            && model.family == Family::Pt560
        {
            // PT-P900 reference: high resolution on laminated TZe only.
            return Err(unsupported("high resolution on heat-shrink tube"));
        }
        let compress = match (options.compress, model.compression) {
            (Some(true), CompressionSupport::Unsupported) => {
                return Err(unsupported("compression"))
            }
            (Some(on), _) => on,
            (None, support) => support != CompressionSupport::Unsupported,
        };
        Ok(Encoder {
            model,
            media,
            options,
            geometry,
            compress,
        })
    }

    /// The geometry labels must match.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Whether lines are PackBits-compressed.
    pub fn compresses(&self) -> bool {
        self.compress
    }

    /// Raster lines the printer feeds for one label: `(min, max)`, equal for
    /// die-cut media. A shorter label on continuous media is padded up to
    /// `min` ([`Encoder::padded_lines`]); a longer one is refused.
    pub fn line_range(&self) -> (usize, usize) {
        let k = if self.options.high_res { 2 } else { 1 };
        if self.geometry.label_lines > 0 {
            let n = self.geometry.label_lines as usize * k;
            (n, n)
        } else {
            (
                self.model.min_lines as usize * k,
                self.model.max_lines as usize * k,
            )
        }
    }

    /// The raster lines a label of `lines` lines is sent with: the model's
    /// minimum when a continuous-media label is shorter (blank lines follow
    /// its content), otherwise `lines` itself. Brother's minimum lengths
    /// (brother-raster.md §2, "Line count limits") are what the printer feeds
    /// at least, whatever it is sent.
    pub fn padded_lines(&self, lines: usize) -> usize {
        if self.geometry.label_lines > 0 || lines == 0 {
            return lines;
        }
        lines.max(self.line_range().0)
    }

    /// Encodes `labels` as one job.
    pub fn encode(&self, labels: &[Label]) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.write(labels, &mut out)?;
        Ok(out)
    }

    /// Appends the job for `labels` to `out`. On error nothing is appended.
    pub fn write(&self, labels: &[Label], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.validate(labels)?;
        let bpl = self.geometry.bytes_per_line;
        let planes = if self.options.two_colour { 2 } else { 1 };
        let lines: usize = labels
            .iter()
            .map(|l| self.padded_lines(l.black.height()))
            .sum();
        out.reserve(self.model.invalidate_len + 64 * labels.len() + lines * planes * (bpl + 4));

        self.write_job_start(out);
        for (i, label) in labels.iter().enumerate() {
            self.write_label(i, i + 1 == labels.len(), label, out);
        }
        Ok(())
    }

    /// The job start, once per stream: invalidate, `ESC @`, `ESC i a 01`
    /// (models with mode switching). Depends only on the model.
    pub(crate) fn write_job_start(&self, out: &mut Vec<u8>) {
        out.resize(out.len() + self.model.invalidate_len, 0x00);
        out.extend_from_slice(&[ESC, b'@']);
        if self.model.mode_switch {
            out.extend_from_slice(&[ESC, b'i', b'a', 0x01]);
        }
    }

    /// One page: its control codes, its raster lines (padded with blank
    /// lines to the model's minimum on continuous media) and `0C` (`1A` when
    /// `last`). `index` is the page's place in the stream. The label must
    /// have passed [`Encoder::validate`].
    pub(crate) fn write_label(&self, index: usize, last: bool, label: &Label, out: &mut Vec<u8>) {
        let bpl = self.geometry.bytes_per_line;
        let mut line = vec![0u8; bpl];
        let mut red_line = vec![0u8; bpl];
        let mut placer = Placer::new(&self.geometry);
        let height = label.black.height();
        let padded = self.padded_lines(height);
        self.write_page_header(index, last, padded, out);
        // A row equal to the one before it (blank bands, the inside of text
        // strokes and frames) encodes to the same bytes: copy them instead of
        // placing and packing the row again.
        let mut previous: Option<(usize, std::ops::Range<usize>)> = None;
        for y in 0..height {
            let same = previous.as_ref().filter(|(row, _)| {
                label.black.row(*row) == label.black.row(y)
                    && label
                        .red
                        .as_ref()
                        .is_none_or(|red| red.row(*row) == red.row(y))
            });
            if let Some((_, bytes)) = same {
                out.extend_from_within(bytes.clone());
                continue;
            }
            let start = out.len();
            placer.place(label.black.row(y), &mut line);
            if self.options.two_colour {
                match &label.red {
                    Some(red) => placer.place(red.row(y), &mut red_line),
                    None => red_line.fill(0),
                }
                self.write_line(Some(0x01), &line, out);
                self.write_line(Some(0x02), &red_line, out);
            } else {
                self.write_line(None, &line, out);
            }
            previous = Some((y, start..out.len()));
        }
        // Padding after the content, so the content stays at the leading edge.
        if height < padded {
            let start = out.len();
            line.fill(0);
            if self.options.two_colour {
                self.write_line(Some(0x01), &line, out);
                self.write_line(Some(0x02), &line, out);
            } else {
                self.write_line(None, &line, out);
            }
            let blank = start..out.len();
            for _ in height + 1..padded {
                out.extend_from_within(blank.clone());
            }
        }
        out.push(if last { PRINT_FEED } else { PRINT });
    }

    /// Checks that `labels` fit this encoder's medium and options.
    pub(crate) fn validate(&self, labels: &[Label]) -> Result<(), EncodeError> {
        if labels.is_empty() {
            return Err(EncodeError::NoLabels);
        }
        let expected = self.geometry.printable() as usize;
        for (i, label) in labels.iter().enumerate() {
            let got = label.black.width();
            if got != expected {
                return Err(EncodeError::Width {
                    label: i,
                    media: self.media.id,
                    expected,
                    got,
                });
            }
            let lines = label.black.height();
            self.validate_lines(i, lines, label.red.is_some())?;
            if let Some(red) = &label.red {
                if red.width() != got || red.height() != lines {
                    return Err(EncodeError::RedLayer {
                        label: i,
                        reason: "the red layer is not the size of the black layer",
                    });
                }
            }
        }
        Ok(())
    }

    /// Checks that label `index`, `lines` raster lines long and with a red
    /// layer or not, fits this encoder's medium and options (its width is
    /// the caller's to check).
    pub(crate) fn validate_lines(
        &self,
        index: usize,
        lines: usize,
        red: bool,
    ) -> Result<(), EncodeError> {
        let (min, max) = self.line_range();
        if self.geometry.label_lines > 0 && lines != min {
            return Err(EncodeError::DieCutLength {
                label: index,
                media: self.media.id,
                expected: min,
                got: lines,
            });
        }
        // Shorter continuous labels are padded up to `min` (die-cut ones were checked above).
        if lines == 0 || lines > max {
            return Err(EncodeError::Length {
                label: index,
                got: lines,
                min: 1,
                max,
            });
        }
        if red && !self.options.two_colour {
            return Err(EncodeError::RedLayer {
                label: index,
                reason: "a red layer needs two-colour printing",
            });
        }
        Ok(())
    }

    /// One page whose raster lines are already encoded for this encoder's
    /// options (`lines`: the bytes of its `lines_count` raster commands, as
    /// [`write_label`](Encoder::write_label) would write them, padding
    /// included): its control codes, those bytes as they are and `0C` (`1A`
    /// when `last`). The chain splices the copies' lines with it.
    pub(crate) fn write_spliced(
        &self,
        index: usize,
        last: bool,
        lines_count: usize,
        lines: &[u8],
        out: &mut Vec<u8>,
    ) {
        self.write_page_header(index, last, lines_count, out);
        out.extend_from_slice(lines);
        out.push(if last { PRINT_FEED } else { PRINT });
    }

    fn write_page_header(&self, index: usize, last: bool, lines: usize, out: &mut Vec<u8>) {
        let model = self.model;
        let media = self.media;
        let options = &self.options;
        if model.needs_status_notify {
            out.extend_from_slice(&[ESC, b'i', b'!', 0x00]);
        }
        let mut flags = PI_RECOVER | PI_WIDTH;
        if media.print_info_type() != 0x00 {
            flags |= PI_KIND;
        }
        if media.kind.is_die_cut() {
            flags |= PI_LENGTH;
        }
        if options.quality && !options.two_colour {
            flags |= PI_QUALITY;
        }
        let page = match (index, last, model.family) {
            (_, true, Family::Pt560) => 2,
            (0, _, _) => 0,
            _ => 1,
        };
        let info = PrintInfo {
            flags,
            media_type: media.print_info_type(),
            width_mm: media.width_mm,
            length_mm: media.length_mm,
            raster_count: lines as u32,
            page,
            reserved: 0,
        };
        out.extend_from_slice(&[ESC, b'i', b'z']);
        out.extend_from_slice(&info.to_bytes());

        let auto_cut = matches!(options.cut, CutMode::Every(_));
        let mut various = 0;
        if auto_cut {
            various |= MODE_AUTO_CUT;
        }
        if options.mirror {
            various |= MODE_MIRROR;
        }
        out.extend_from_slice(&[ESC, b'i', b'M', various]);
        if let (CutMode::Every(n), Some(_)) = (options.cut, model.cut_every) {
            out.extend_from_slice(&[ESC, b'i', b'A', n]);
        }
        if model.expanded_mode {
            let mut advanced = 0;
            if options.two_colour {
                advanced |= ADV_TWO_COLOUR;
            }
            if options.half_cut {
                advanced |= ADV_HALF_CUT;
            }
            if options.cut != CutMode::None && !options.chain {
                advanced |= ADV_CUT_AT_END;
            }
            if options.high_res {
                advanced |= ADV_HIGH_RES;
            }
            out.extend_from_slice(&[ESC, b'i', b'K', advanced]);
        }
        let base = options.margin.unwrap_or(self.geometry.default_margin);
        let margin = if options.high_res {
            base.saturating_mul(2)
        } else {
            base
        };
        let m = margin.to_le_bytes();
        out.extend_from_slice(&[ESC, b'i', b'd', m[0], m[1]]);
        if model.supports_compression() {
            out.extend_from_slice(&[COMPRESSION, if self.compress { 0x02 } else { 0x00 }]);
        }
    }

    fn write_line(&self, colour: Option<u8>, line: &[u8], out: &mut Vec<u8>) {
        let pt = self.model.family.is_pt();
        if self.compress && pt && line.iter().all(|&b| b == 0) {
            out.push(ZERO_RASTER);
            return;
        }
        // Header first with a placeholder length, then the data, then patch the length.
        let header_at = out.len();
        match (colour, pt) {
            (Some(c), _) => out.extend_from_slice(&[RASTER_TWO_COLOUR, c, 0]),
            (None, true) => out.extend_from_slice(&[RASTER_PT, 0, 0]),
            (None, false) => out.extend_from_slice(&[RASTER_QL, 0, 0]),
        }
        let n = if self.compress {
            packbits::encode_into(line, out)
        } else {
            out.extend_from_slice(line);
            line.len()
        };
        if pt && colour.is_none() {
            let len = (n as u16).to_le_bytes();
            out[header_at + 1] = len[0];
            out[header_at + 2] = len[1];
        } else {
            // `g 00 n` / `w c n`: one length byte; at most 164 for the widest head.
            out[header_at + 2] = n as u8;
        }
    }
}

/// Places packed bitmap rows (width = printable dots) into head lines:
/// pixel `x` heats pin `offset + printable − 1 − x` (brother-raster.md §2:
/// the first byte is the head's right-margin end, so the label as read is
/// reversed along the line, as brother_ql and ptouch both produce it).
///
/// Sixty-four pins at a time: the row is copied once into a zero-padded
/// buffer, then each 8-byte word of the line is the 64 pixels that land on
/// it, read at any bit position as one big-endian word and bit-reversed with
/// [`u64::reverse_bits`]. The zero padding on both sides stands for the
/// pins outside the print window, so no word needs a special case.
pub(crate) struct Placer {
    /// `offset + printable − 1`: the pin pixel 0 heats.
    last: usize,
    /// Bytes in one bitmap row.
    stride: usize,
    /// Bytes in one head line.
    line_len: usize,
    /// Zero bytes before the row in `padded`.
    head: usize,
    /// Kept bits of the row's last byte (its padding bits are dropped).
    tail_mask: u8,
    /// `head` zero bytes, the row, then zero bytes up to the last word read.
    padded: Vec<u8>,
}

impl Placer {
    /// A placer for rows of `geometry.printable()` pixels into lines of
    /// `geometry.bytes_per_line` bytes.
    pub(crate) fn new(geometry: &Geometry) -> Self {
        let width = geometry.window.printable as usize;
        let line_len = geometry.bytes_per_line;
        let stride = width.div_ceil(8);
        // The lowest pixel read is `last − 8 × (line_len − 1) − 63`, at least
        // `−(8 × line_len + 56)`: `line_len + 8` bytes of zeros cover it. The
        // highest is `last`, and a read takes 16 bytes from below it.
        let head = line_len + 8;
        let last = (geometry.window.offset as usize + width).saturating_sub(1);
        let tail_bits = width % 8;
        Placer {
            last,
            stride,
            line_len,
            head,
            tail_mask: if tail_bits == 0 {
                0xFF
            } else {
                0xFF << (8 - tail_bits)
            },
            padded: vec![0; head + stride.max(last / 8 + 1) + 24],
        }
    }

    /// Writes the head line for bitmap row `row` (`stride` bytes) into
    /// `line` (`bytes_per_line` bytes); every byte of `line` is overwritten.
    pub(crate) fn place(&mut self, row: &[u8], line: &mut [u8]) {
        let head = self.head;
        let stride = self.stride.min(row.len());
        self.padded[head..head + stride].copy_from_slice(&row[..stride]);
        if stride > 0 {
            self.padded[head + stride - 1] &= self.tail_mask;
        }
        let len = self.line_len.min(line.len());
        let (whole, rest) = line[..len].split_at_mut(len - len % 8);
        for (k, out) in whole.chunks_exact_mut(8).enumerate() {
            out.copy_from_slice(&self.pins(8 * k));
        }
        if !rest.is_empty() {
            let pins = self.pins(whole.len());
            rest.copy_from_slice(&pins[..rest.len()]);
        }
    }

    /// The eight line bytes from byte `i` on, for the row in `padded`.
    fn pins(&self, i: usize) -> [u8; 8] {
        // Pins 8i ..= 8i + 63 are pixels last − 8i down to last − 8i − 63:
        // read those 64 pixels (lowest first, as the row packs them) ...
        let bit = (8 * self.head + self.last) - (i * 8 + 63);
        let at = bit / 8;
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&self.padded[at..at + 16]);
        let window = ((u128::from_be_bytes(bytes) << (bit % 8)) >> 64) as u64;
        // ... and reverse them: the highest pixel lands on the lowest pin.
        window.reverse_bits().to_be_bytes()
    }
}

/// Takes one head line back to a bitmap row of `printable` pixels (the inverse of [`Placer::place`]).
pub(crate) fn extract(line: &[u8], offset: usize, printable: usize, row: &mut Bitmap, y: usize) {
    let last = offset + printable - 1;
    for x in 0..printable {
        let p = last - x;
        if line.get(p / 8).is_some_and(|b| b & (0x80 >> (p % 8)) != 0) {
            row.set(x, y, true);
        }
    }
}

#[cfg(test)]
mod code_tests {
    use super::EncodeCode;

    #[test]
    fn every_encode_code_is_distinct_snake_case() {
        let mut names: Vec<&str> = EncodeCode::ALL.iter().map(|c| c.code()).collect();
        assert!(names
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EncodeCode::ALL.len());
    }
}

#[cfg(test)]
mod place_tests {
    use super::Placer;
    use crate::media::{geometry, Geometry, Window, MEDIA};
    use crate::model::MODELS;
    use proptest::prelude::*;

    /// The placement a byte at a time, as it was written before
    /// [`Placer`]: each byte bit-reversed and shifted onto its pins.
    fn reference(row: &[u8], geometry: &Geometry, line: &mut [u8]) {
        line.fill(0);
        let width = geometry.window.printable as usize;
        let last = geometry.window.offset as usize + width - 1;
        let full = width / 8;
        for (j, &byte) in row.iter().enumerate().take(full) {
            if byte == 0 {
                continue;
            }
            let p0 = last - 8 * j - 7;
            let rev = byte.reverse_bits();
            let (idx, shift) = (p0 / 8, p0 % 8);
            line[idx] |= rev >> shift;
            if shift != 0 {
                line[idx + 1] |= rev << (8 - shift);
            }
        }
        for x in full * 8..width {
            if row[x / 8] & (0x80 >> (x % 8)) != 0 {
                let p = last - x;
                line[p / 8] |= 0x80 >> (p % 8);
            }
        }
    }

    /// `row` with its padding bits cleared, as every `Bitmap` row has them.
    fn clean(mut row: Vec<u8>, width: usize) -> Vec<u8> {
        if !width.is_multiple_of(8) {
            if let Some(last) = row.last_mut() {
                *last &= 0xFF << (8 - width % 8);
            }
        }
        row
    }

    /// Places `rows` one after the other with one placer (so a row must not
    /// leave anything behind for the next) and compares each with the reference.
    fn check(geometry: &Geometry, rows: &[Vec<u8>]) -> Result<(), TestCaseError> {
        let mut placer = Placer::new(geometry);
        let len = geometry.bytes_per_line;
        for row in rows {
            // Start from garbage: every byte of the line must be written.
            let mut fast = vec![0xA5; len];
            placer.place(row, &mut fast);
            let mut slow = vec![0; len];
            reference(row, geometry, &mut slow);
            prop_assert_eq!(&fast, &slow, "{:?}", geometry.window);
        }
        Ok(())
    }

    fn rows(width: usize) -> impl Strategy<Value = Vec<Vec<u8>>> {
        let stride = width.div_ceil(8);
        proptest::collection::vec(
            proptest::collection::vec(prop_oneof![Just(0u8), Just(0xFF), any::<u8>()], stride)
                .prop_map(move |row| clean(row, width)),
            1..4,
        )
    }

    /// A real geometry, for the fields placement does not read.
    fn any_geometry() -> Geometry {
        MODELS
            .iter()
            .flat_map(|m| MEDIA.iter().map(move |d| geometry(m, d)))
            .find_map(Result::ok)
            .unwrap_or_else(|| panic!("no model takes any medium"))
    }

    #[test]
    fn every_real_geometry_places_as_byte_at_a_time() {
        let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
        for model in MODELS {
            for media in MEDIA {
                let Ok(g) = geometry(model, media) else {
                    continue;
                };
                let width = g.window.printable as usize;
                let rows: Vec<Vec<u8>> = [0x00u8, 0xFF, 0x80, 0x01]
                    .iter()
                    .map(|&b| clean(vec![b; width.div_ceil(8)], width))
                    .chain((0..4).map(|_| {
                        let row = (0..width.div_ceil(8))
                            .map(|_| {
                                s ^= s << 13;
                                s ^= s >> 7;
                                s ^= s << 17;
                                s as u8
                            })
                            .collect();
                        clean(row, width)
                    }))
                    .collect();
                check(&g, &rows).unwrap_or_else(|e| panic!("{} {}: {e}", model.name, media.id));
            }
        }
    }

    #[test]
    fn padding_bits_of_a_row_are_not_placed() {
        // A row with every bit set, its padding too: only the window's pins heat.
        for width in [1usize, 7, 9, 62, 70, 695] {
            let mut g = any_geometry();
            g.bytes_per_line = 90;
            g.window = Window {
                offset: 13,
                printable: width as u16,
            };
            let mut line = vec![0; 90];
            Placer::new(&g).place(&vec![0xFF; width.div_ceil(8)], &mut line);
            let mut expected = vec![0; 90];
            reference(
                &clean(vec![0xFF; width.div_ceil(8)], width),
                &g,
                &mut expected,
            );
            assert_eq!(line, expected, "width {width}");
            assert_eq!(
                line.iter().map(|b| b.count_ones() as usize).sum::<usize>(),
                width
            );
        }
    }

    proptest! {
        #[test]
        fn any_window_places_as_byte_at_a_time(
            (geometry, rows) in (1usize..200)
                .prop_flat_map(|bytes| (Just(bytes), 1..=8 * bytes))
                .prop_flat_map(|(bytes, width)| (Just(bytes), Just(width), 0..=8 * bytes - width))
                .prop_flat_map(|(bytes_per_line, width, offset)| {
                    let mut g = any_geometry();
                    g.bytes_per_line = bytes_per_line;
                    g.window = Window { offset: offset as u16, printable: width as u16 };
                    (Just(g), rows(width))
                })
        ) {
            check(&geometry, &rows)?;
        }
    }
}
