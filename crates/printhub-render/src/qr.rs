//! QR symbols (ISO/IEC 18004:2015) and the choice of their data mask.
//!
//! `qrcodegen` makes the symbol — segment mode, smallest version that holds
//! the payload, Reed–Solomon blocks, module placement — with data mask 0.
//! This module then chooses the mask the standard asks for (§7.8.3: of the
//! eight, the one whose masked symbol has the lowest penalty) without
//! building and scanning eight symbols module by module: the other seven
//! are derived from the first by flipping the data modules where the two
//! masks' patterns differ and rewriting the format information (§7.9), and
//! each is scored as bit rows and bit columns a machine word at a time.
//! The per-version pieces (which modules carry data, each mask's flips) are
//! computed once per version and kept.
//!
//! The scoring follows the penalty rules as the reference implementations
//! read them (runs and blocks over every module, function patterns included;
//! a finder-like pattern counts on each side that has four light modules,
//! the quiet zone counting as light; scaled 1:1:3:1:1 patterns count too),
//! so the chosen mask is the one `qrcodegen` itself would choose — a test
//! holds the two to the same symbol for random payloads.
//!
//! [`Draft`] splits the work so a caller that only needs the symbol's size
//! (does it fit the box?) does not pay for the mask choice.

use crate::error::RenderError;
use crate::symbol::{EcLevel, Modules};
use std::sync::OnceLock;

/// Words in the widest bit line: 177 modules (version 40) fit in 192 bits.
const WORDS: usize = 3;

/// Penalty weights, ISO/IEC 18004:2015 §7.8.3.1 Table 11: N1 (a run of five
/// or more same-coloured modules scores N1 plus one per module beyond five),
/// N2 (each 2×2 block of one colour), N3 (each 1:1:3:1:1 finder-like
/// pattern with four light modules on one side), N4 (each 5 % step away from
/// half dark).
const N1: u32 = 3;
const N2: u32 = 3;
const N3: u32 = 40;
const N4: u32 = 10;

/// One row or column of a symbol as bits: module `i` is bit `i`; every
/// other bit is light (0), as the quiet zone is. A symbol is scored in the
/// narrowest type its lines fit: `u64` up to version 11, `u128` up to 27,
/// [`Wide`] beyond.
trait Bits: Copy + Default + Eq + std::fmt::Debug {
    /// The line whose bits are `words`, low word first (bits the type
    /// cannot hold are dropped).
    fn from_words(words: [u64; WORDS]) -> Self;
    fn set(&mut self, bit: usize);
    fn get(self, bit: usize) -> bool;
    fn and(self, o: Self) -> Self;
    fn or(self, o: Self) -> Self;
    fn and_not(self, o: Self) -> Self;
    fn xor(self, o: Self) -> Self;
    fn not(self) -> Self;
    fn ones(self) -> u32;
    fn is_empty(self) -> bool;
    /// Bit `i` of the result is bit `i + k` of `self` (`0 < k < 64`).
    fn down(self, k: u32) -> Self;
    /// Bit `i` of the result is bit `i - k` of `self` (`0 < k < 64`).
    fn up(self, k: u32) -> Self;

    /// Bits `0..n`: the modules of a line `n` long.
    fn span(n: usize) -> Self {
        let mut l = Self::default();
        for i in 0..n {
            l.set(i);
        }
        l
    }
}

macro_rules! native_bits {
    ($t:ty) => {
        impl Bits for $t {
            fn from_words(words: [u64; WORDS]) -> Self {
                // Truncation is the point: the type holds the low bits.
                #[allow(clippy::cast_lossless)]
                let low = words[0] as $t;
                let high = if <$t>::BITS > 64 {
                    (words[1] as $t).checked_shl(64).unwrap_or(0)
                } else {
                    0
                };
                low | high
            }
            fn set(&mut self, bit: usize) {
                *self |= 1 << bit;
            }
            fn get(self, bit: usize) -> bool {
                (self >> bit) & 1 == 1
            }
            fn and(self, o: Self) -> Self {
                self & o
            }
            fn or(self, o: Self) -> Self {
                self | o
            }
            fn and_not(self, o: Self) -> Self {
                self & !o
            }
            fn xor(self, o: Self) -> Self {
                self ^ o
            }
            fn not(self) -> Self {
                !self
            }
            fn ones(self) -> u32 {
                self.count_ones()
            }
            fn is_empty(self) -> bool {
                self == 0
            }
            fn down(self, k: u32) -> Self {
                self >> k
            }
            fn up(self, k: u32) -> Self {
                self << k
            }
        }
    };
}

native_bits!(u64);
native_bits!(u128);

/// A line of up to 192 bits in three words, low word first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Wide([u64; WORDS]);

impl Bits for Wide {
    fn from_words(words: [u64; WORDS]) -> Self {
        Wide(words)
    }
    fn set(&mut self, bit: usize) {
        self.0[bit / 64] |= 1 << (bit % 64);
    }
    fn get(self, bit: usize) -> bool {
        (self.0[bit / 64] >> (bit % 64)) & 1 == 1
    }
    fn and(self, o: Self) -> Self {
        Wide([self.0[0] & o.0[0], self.0[1] & o.0[1], self.0[2] & o.0[2]])
    }
    fn or(self, o: Self) -> Self {
        Wide([self.0[0] | o.0[0], self.0[1] | o.0[1], self.0[2] | o.0[2]])
    }
    fn and_not(self, o: Self) -> Self {
        Wide([
            self.0[0] & !o.0[0],
            self.0[1] & !o.0[1],
            self.0[2] & !o.0[2],
        ])
    }
    fn xor(self, o: Self) -> Self {
        Wide([self.0[0] ^ o.0[0], self.0[1] ^ o.0[1], self.0[2] ^ o.0[2]])
    }
    fn not(self) -> Self {
        Wide([!self.0[0], !self.0[1], !self.0[2]])
    }
    fn ones(self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
    fn is_empty(self) -> bool {
        self.0 == [0; WORDS]
    }
    fn down(self, k: u32) -> Self {
        let [a, b, c] = self.0;
        Wide([
            (a >> k) | (b << (64 - k)),
            (b >> k) | (c << (64 - k)),
            c >> k,
        ])
    }
    fn up(self, k: u32) -> Self {
        let [a, b, c] = self.0;
        Wide([
            a << k,
            (b << k) | (a >> (64 - k)),
            (c << k) | (b >> (64 - k)),
        ])
    }
}

/// The data mask condition for module (row `i`, column `j`): where it holds,
/// a data module is inverted. ISO/IEC 18004:2015 §7.8.2 Table 10.
fn mask_condition(mask: u8, i: usize, j: usize) -> bool {
    match mask {
        0 => (i + j) % 2 == 0,
        1 => i % 2 == 0,
        2 => j % 3 == 0,
        3 => (i + j) % 3 == 0,
        4 => (i / 2 + j / 3) % 2 == 0,
        5 => (i * j) % 2 + (i * j) % 3 == 0,
        6 => ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        _ => ((i + j) % 2 + (i * j) % 3) % 2 == 0,
    }
}

/// Row/column centres of the alignment patterns per version (2..=40).
/// ISO/IEC 18004:2015 Annex E, Table E.1.
const ALIGNMENT: [&[usize]; 39] = [
    &[6, 18],
    &[6, 22],
    &[6, 26],
    &[6, 30],
    &[6, 34],
    &[6, 22, 38],
    &[6, 24, 42],
    &[6, 26, 46],
    &[6, 28, 50],
    &[6, 30, 54],
    &[6, 32, 58],
    &[6, 34, 62],
    &[6, 26, 46, 66],
    &[6, 26, 48, 70],
    &[6, 26, 50, 74],
    &[6, 30, 54, 78],
    &[6, 30, 56, 82],
    &[6, 30, 58, 86],
    &[6, 34, 62, 90],
    &[6, 28, 50, 72, 94],
    &[6, 26, 50, 74, 98],
    &[6, 30, 54, 78, 102],
    &[6, 28, 54, 80, 106],
    &[6, 32, 58, 84, 110],
    &[6, 30, 58, 86, 114],
    &[6, 34, 62, 90, 118],
    &[6, 26, 50, 74, 98, 122],
    &[6, 30, 54, 78, 102, 126],
    &[6, 26, 52, 78, 104, 130],
    &[6, 30, 56, 82, 108, 134],
    &[6, 34, 60, 86, 112, 138],
    &[6, 30, 58, 86, 114, 142],
    &[6, 34, 62, 90, 118, 146],
    &[6, 30, 54, 78, 102, 126, 150],
    &[6, 24, 50, 76, 102, 128, 154],
    &[6, 28, 54, 80, 106, 132, 158],
    &[6, 32, 58, 84, 110, 136, 162],
    &[6, 26, 54, 82, 110, 138, 166],
    &[6, 30, 58, 86, 114, 142, 170],
];

/// Which modules of a `version` symbol are function patterns (finders with
/// their separators, timing, alignment, format and version information,
/// the dark module), row-major. ISO/IEC 18004:2015 §6.3.
fn function_modules(version: usize) -> Vec<bool> {
    let n = 17 + 4 * version;
    let mut f = vec![false; n * n];
    let mut mark = |rows: std::ops::Range<usize>, cols: std::ops::Range<usize>| {
        for r in rows {
            for c in cols.clone() {
                f[r * n + c] = true;
            }
        }
    };
    // Finder, separator and format information around three corners.
    mark(0..9, 0..9);
    mark(0..9, n - 8..n);
    mark(n - 8..n, 0..9);
    // Timing patterns.
    mark(6..7, 0..n);
    mark(0..n, 6..7);
    if version >= 2 {
        let centres = ALIGNMENT[version - 2];
        let last = centres.len() - 1;
        for (a, &r) in centres.iter().enumerate() {
            for (b, &c) in centres.iter().enumerate() {
                let on_finder = (a == 0 && (b == 0 || b == last)) || (a == last && b == 0);
                if !on_finder {
                    mark(r - 2..r + 3, c - 2..c + 3);
                }
            }
        }
    }
    if version >= 7 {
        mark(0..6, n - 11..n - 8);
        mark(n - 11..n - 8, 0..6);
    }
    f
}

/// Where bit `i` (0 = least significant) of the 15-bit format information
/// sits, as (row, column), for both copies. ISO/IEC 18004:2015 §7.9.1
/// Figure 25.
fn format_cells(n: usize) -> [[(usize, usize); 15]; 2] {
    let mut cells = [[(0, 0); 15]; 2];
    for (i, cell) in cells[0].iter_mut().enumerate() {
        *cell = match i {
            0..=5 => (i, 8),
            6 => (7, 8),
            7 => (8, 8),
            8 => (8, 7),
            _ => (8, 14 - i),
        };
    }
    for (i, cell) in cells[1].iter_mut().enumerate() {
        *cell = if i < 8 {
            (8, n - 1 - i)
        } else {
            (n - 15 + i, 8)
        };
    }
    cells
}

/// The 15-bit format information for `ec` and `mask`: five data bits, ten
/// BCH(15,5) bits (generator 0x537), XOR 0x5412. ISO/IEC 18004:2015 §7.9.1
/// (level indicators: L 01, M 00, Q 11, H 10, Table 12).
fn format_bits(ec: EcLevel, mask: u8) -> u32 {
    let level: u32 = match ec {
        EcLevel::L => 0b01,
        EcLevel::M => 0b00,
        EcLevel::Q => 0b11,
        EcLevel::H => 0b10,
    };
    let data = (level << 3) | u32::from(mask);
    let mut rem = data << 10;
    for bit in (10..15).rev() {
        if (rem >> bit) & 1 == 1 {
            rem ^= 0x537 << (bit - 10);
        }
    }
    ((data << 10) | rem) ^ 0x5412
}

/// What a version's symbols share: the data-module flips taking mask 0 to
/// each mask, by rows and by columns, and where the format bits sit.
#[derive(Debug)]
struct Tables {
    n: usize,
    flip_rows: Vec<[Wide; 8]>,
    flip_cols: Vec<[Wide; 8]>,
    format: [[(usize, usize); 15]; 2],
}

impl Tables {
    fn build(version: usize) -> Tables {
        let n = 17 + 4 * version;
        let function = function_modules(version);
        let mut flip_rows = vec![[Wide::default(); 8]; n];
        let mut flip_cols = vec![[Wide::default(); 8]; n];
        for r in 0..n {
            for c in 0..n {
                if function[r * n + c] {
                    continue;
                }
                for mask in 1..8u8 {
                    if mask_condition(0, r, c) != mask_condition(mask, r, c) {
                        flip_rows[r][mask as usize].set(c);
                        flip_cols[c][mask as usize].set(r);
                    }
                }
            }
        }
        Tables {
            n,
            flip_rows,
            flip_cols,
            format: format_cells(n),
        }
    }

    /// The tables for `version` (1..=40), built on first use.
    fn of(version: usize) -> &'static Tables {
        static TABLES: [OnceLock<Tables>; 40] = [const { OnceLock::new() }; 40];
        TABLES[version - 1].get_or_init(|| Tables::build(version))
    }
}

/// `qrcodegen`'s name for `ec`.
fn ecc(ec: EcLevel) -> qrcodegen::QrCodeEcc {
    match ec {
        EcLevel::L => qrcodegen::QrCodeEcc::Low,
        EcLevel::M => qrcodegen::QrCodeEcc::Medium,
        EcLevel::Q => qrcodegen::QrCodeEcc::Quartile,
        EcLevel::H => qrcodegen::QrCodeEcc::High,
    }
}

/// A QR symbol made with mask 0 whose mask is not chosen yet: its size is
/// known, so a caller that may still reject it (does it fit the box?) pays
/// for the mask choice only with [`Draft::finish`].
pub(crate) struct Draft {
    code: qrcodegen::QrCode,
    ec: EcLevel,
}

impl std::fmt::Debug for Draft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Draft")
            .field("version", &self.code.version().value())
            .field("ec", &self.ec)
            .finish()
    }
}

impl Draft {
    /// The symbol for `payload` at `ec`: the smallest version that holds it,
    /// the segment mode its characters allow, EC level as asked (not boosted).
    pub(crate) fn new(payload: &str, ec: EcLevel) -> Result<Draft, RenderError> {
        Draft::within(payload, ec, usize::MAX)?
            .ok_or(RenderError::QrTooLarge { len: payload.len() })
    }

    /// [`Draft::new`] for a symbol at most `max_width` modules across:
    /// `None` when no version that narrow holds the payload (found from the
    /// versions' capacities, before any Reed–Solomon or placement work).
    pub(crate) fn within(
        payload: &str,
        ec: EcLevel,
        max_width: usize,
    ) -> Result<Option<Draft>, RenderError> {
        // A version `v` symbol is 17 + 4v modules across (§5.3.1).
        let widest = max_width.saturating_sub(17) / 4;
        let Ok(widest @ 1..) = u8::try_from(widest.min(40)) else {
            return Ok(None);
        };
        match qrcodegen::QrCode::encode_segments_advanced(
            &qrcodegen::QrSegment::make_segments(payload),
            ecc(ec),
            qrcodegen::Version::MIN,
            qrcodegen::Version::new(widest),
            Some(qrcodegen::Mask::new(0)),
            false,
        ) {
            Ok(code) => Ok(Some(Draft { code, ec })),
            Err(_) if widest < 40 => Ok(None),
            Err(_) => Err(RenderError::QrTooLarge { len: payload.len() }),
        }
    }

    /// Modules across (and down).
    pub(crate) fn width(&self) -> usize {
        usize::try_from(self.code.size()).unwrap_or(0)
    }

    /// The symbol with the mask of lowest penalty (the first of equals).
    pub(crate) fn finish(self) -> Modules {
        match self.code.version().value() {
            ..=11 => Masked::<u64>::new(&self).finish(),
            12..=27 => Masked::<u128>::new(&self).finish(),
            _ => Masked::<Wide>::new(&self).finish(),
        }
    }
}

/// A mask-0 symbol by rows and columns with its format bits cleared, and
/// scratch lines to derive each mask's symbol in.
struct Masked<B> {
    tables: &'static Tables,
    ec: EcLevel,
    rows: Vec<B>,
    cols: Vec<B>,
    span: B,
    scratch_rows: Vec<B>,
    scratch_cols: Vec<B>,
}

impl<B: Bits> Masked<B> {
    fn new(draft: &Draft) -> Masked<B> {
        let version = usize::from(draft.code.version().value());
        let tables = Tables::of(version);
        let n = tables.n;
        let mut rows = vec![B::default(); n];
        let mut cols = vec![B::default(); n];
        for (r, row) in rows.iter_mut().enumerate() {
            for (c, col) in cols.iter_mut().enumerate() {
                // Both indices are below 177: the casts cannot truncate.
                if draft.code.get_module(c as i32, r as i32) {
                    row.set(c);
                    col.set(r);
                }
            }
        }
        for &(r, c) in tables.format.iter().flatten() {
            let (mut in_row, mut in_col) = (B::default(), B::default());
            in_row.set(c);
            in_col.set(r);
            rows[r] = rows[r].and_not(in_row);
            cols[c] = cols[c].and_not(in_col);
        }
        Masked {
            tables,
            ec: draft.ec,
            scratch_rows: rows.clone(),
            scratch_cols: cols.clone(),
            rows,
            cols,
            span: B::span(n),
        }
    }

    fn finish(mut self) -> Modules {
        let mut best = (u32::MAX, 0);
        for mask in 0..8u8 {
            let p = self.penalty(mask);
            if p < best.0 {
                best = (p, mask);
            }
        }
        self.modules(best.1)
    }

    /// Derives the symbol under `mask` into the scratch rows and columns.
    fn derive(&mut self, mask: u8) {
        let m = usize::from(mask);
        let t = self.tables;
        for ((out, &l), f) in self
            .scratch_rows
            .iter_mut()
            .zip(&self.rows)
            .zip(&t.flip_rows)
        {
            *out = l.xor(B::from_words(f[m].0));
        }
        for ((out, &l), f) in self
            .scratch_cols
            .iter_mut()
            .zip(&self.cols)
            .zip(&t.flip_cols)
        {
            *out = l.xor(B::from_words(f[m].0));
        }
        let bits = format_bits(self.ec, mask);
        for copy in &t.format {
            for (i, &(r, c)) in copy.iter().enumerate() {
                if (bits >> i) & 1 == 1 {
                    self.scratch_rows[r].set(c);
                    self.scratch_cols[c].set(r);
                }
            }
        }
    }

    fn penalty(&mut self, mask: u8) -> u32 {
        self.derive(mask);
        penalty(&self.scratch_rows, &self.scratch_cols, self.span)
    }

    fn modules(&mut self, mask: u8) -> Modules {
        self.derive(mask);
        let n = self.tables.n;
        let dark = self
            .scratch_rows
            .iter()
            .flat_map(|&row| (0..n).map(move |c| row.get(c)))
            .collect();
        Modules {
            width: n,
            height: n,
            dark,
        }
    }
}

/// The §7.8.3 penalty of a symbol given by its rows and its columns (the
/// same modules), `span` marking a line's modules.
fn penalty<B: Bits>(rows: &[B], cols: &[B], span: B) -> u32 {
    let n = rows.len();
    let lines: u32 = rows
        .iter()
        .chain(cols)
        .map(|&l| line_penalty(l, span, n))
        .sum();
    let blocks: u32 = rows
        .windows(2)
        .map(|pair| block_count(pair[0], pair[1], span))
        .sum();
    let dark: u32 = rows.iter().map(|l| l.ones()).sum();
    lines + N2 * blocks + N4 * balance_steps(dark, (n * n) as u32)
}

/// Five in a row from each bit: where bits `i..i + 5` are all set.
fn fives<B: Bits>(same: B) -> B {
    same.and(same.down(1))
        .and(same.down(2))
        .and(same.down(3))
        .and(same.down(4))
}

/// N1 for runs given their windows of five: each run of `len` ≥ 5 scores
/// `N1 + (len - 5)`; it holds `len - 4` windows, so the sum is the windows
/// plus `N1 - 1` per run (a run starts where a window has none before it).
fn runs_score<B: Bits>(windows: B) -> u32 {
    windows.ones() + (N1 - 1) * windows.and_not(windows.up(1)).ones()
}

/// N1 and N3 of one row or column.
fn line_penalty<B: Bits>(line: B, span: B, n: usize) -> u32 {
    let dark5 = fives(line);
    let light5 = fives(line.not().and(span));
    runs_score(dark5) + runs_score(light5) + N3 * finder_like(line, dark5, n)
}

/// N1 over one line.
#[cfg(test)]
fn run_penalty<B: Bits>(line: B, span: B) -> u32 {
    runs_score(fives(line)) + runs_score(fives(line.not().and(span)))
}

/// N2: 2×2 blocks of one colour with their top-left in `top`.
fn block_count<B: Bits>(top: B, bottom: B, span: B) -> u32 {
    let left = span.and(span.down(1));
    let same_down = top.xor(bottom).not();
    let same_across_top = top.xor(top.down(1)).not();
    let same_across_bottom = bottom.xor(bottom.down(1)).not();
    same_down
        .and(same_across_top)
        .and(same_across_bottom)
        .and(left)
        .ones()
}

/// N4: how many whole 5 % steps the dark share is beyond 45–55 %: the
/// smallest `k` with (45 − 5k) % ≤ dark/total ≤ (55 + 5k) %.
fn balance_steps(dark: u32, total: u32) -> u32 {
    let off = (i64::from(dark) * 20 - i64::from(total) * 10).unsigned_abs();
    let total = u64::from(total);
    // `off < 10 * total`, so the quotient is at most 10.
    off.div_ceil(total).saturating_sub(1) as u32
}

/// N3 matches in one line: 1:1:3:1:1 (dark:light:dark:light:dark) with
/// four light modules before it or after it and at least one on the other
/// side; with four on both sides it counts twice. The ratio scales: a
/// pattern `u` modules wide needs runs `u, u, 3u, u, u` and `4u` light.
/// Widths 1 to 3 are found a word at a time (`dark5`: the line's windows of
/// five dark; a wider pattern needs a dark run of six or more); a line with
/// a dark run of twelve or more is counted run by run.
fn finder_like<B: Bits>(line: B, dark5: B, n: usize) -> u32 {
    let six = dark5.and(dark5.down(1));
    if six.is_empty() {
        return finder_like_scaled(line, 1);
    }
    if !six.and(six.down(6)).is_empty() {
        return finder_like_by_runs(line, n);
    }
    let nine = six.and(six.down(3));
    finder_like_scaled(line, 1)
        + finder_like_scaled(line, 2)
        + if nine.is_empty() {
            0
        } else {
            finder_like_scaled(line, 3)
        }
}

/// [`finder_like`] for patterns `u` modules wide (`1 <= u <= 3`), a word
/// at a time. Light is tested as "no dark module in the window", so the
/// quiet zone beyond either end of the line reads as light however far the
/// window reaches.
fn finder_like_scaled<B: Bits>(line: B, u: u32) -> u32 {
    let light = line.not();
    // Where a core starts: u dark, u light, 3u dark, u light, u dark.
    let mut core = line;
    for k in 1..7 * u {
        let dark = !(u..2 * u).contains(&k) && !(5 * u..6 * u).contains(&k);
        core = core.and(if dark { line.down(k) } else { light.down(k) });
    }
    // Whether one of the `w` modules before the bit (`ahead == false`) or
    // the `w` from `7u` after it holds a dark one. Shifts bring in light.
    let dark_near = |w: u32, ahead: bool| {
        let shifted = |k: u32| {
            if ahead {
                line.down(7 * u + k)
            } else {
                line.up(k + 1)
            }
        };
        (1..w).fold(shifted(0), |any, k| any.or(shifted(k)))
    };
    let before = core
        .and_not(dark_near(4 * u, false))
        .and_not(dark_near(u, true));
    let after = core
        .and_not(dark_near(u, false))
        .and_not(dark_near(4 * u, true));
    before.ones() + after.ones()
}

/// [`finder_like`] for patterns of any module width `u`: runs `u, u, 3u, u,
/// u` with `4u` light on one side and `u` on the other. The quiet zone
/// beyond either end is light and as long as needed.
fn finder_like_by_runs<B: Bits>(line: B, n: usize) -> u32 {
    // Run lengths, alternating, starting and ending with a light run that
    // takes in the quiet zone. At most n + 2 runs.
    let quiet = n;
    let mut runs = [0usize; 192];
    let mut len = 1;
    runs[0] = quiet;
    let mut dark = false;
    for i in 0..n {
        let d = line.get(i);
        if d != dark {
            len += 1;
            dark = d;
        }
        runs[len - 1] += 1;
    }
    if dark {
        len += 1;
    }
    runs[len - 1] += quiet;
    let runs = &runs[..len];
    // Dark runs sit at odd indices.
    let mut count = 0;
    for j in (1..len.saturating_sub(5)).step_by(2) {
        let u = runs[j];
        let core = runs[j + 1] == u && runs[j + 2] == 3 * u && runs[j + 3] == u && runs[j + 4] == u;
        if !core {
            continue;
        }
        let (before, after) = (runs[j - 1], runs[j + 5]);
        count +=
            u32::from(before >= 4 * u && after >= u) + u32::from(after >= 4 * u && before >= u);
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64: reproducible pseudo-random test inputs.
    fn next(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    /// `n` modules as `0`/`1`, dark where `dark()` says so.
    fn modules_of(n: usize, mut dark: impl FnMut() -> bool) -> String {
        (0..n).map(|_| if dark() { '1' } else { '0' }).collect()
    }

    fn line_of(modules: &str) -> (Wide, usize) {
        let mut l = Wide::default();
        for (i, c) in modules.chars().enumerate() {
            if c == '1' {
                l.set(i);
            }
        }
        (l, modules.len())
    }

    /// Module by module, as §7.8.3 words it: the reference the word-at-a-time
    /// scorer is held to.
    fn runs_by_module(modules: &str) -> u32 {
        let b = modules.as_bytes();
        let mut score = 0;
        let mut i = 0;
        while i < b.len() {
            let mut j = i;
            while j < b.len() && b[j] == b[i] {
                j += 1;
            }
            if j - i >= 5 {
                score += N1 + (j - i - 5) as u32;
            }
            i = j;
        }
        score
    }

    #[test]
    fn runs_score_three_plus_one_per_module_beyond_five() {
        // §7.8.3.1 Table 11, feature 1: N1 + i for 5 + i adjacent modules.
        for (modules, want) in [
            ("1111", 0),
            ("11111", 3),
            ("1111111", 5),
            ("000001111100000", 9),
            ("101010101", 0),
            ("0000000000000000000000", 20),
        ] {
            let (l, n) = line_of(modules);
            assert_eq!(run_penalty(l, Wide::span(n)), want, "{modules}");
        }
    }

    #[test]
    fn runs_agree_with_a_module_by_module_count() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let n = 21 + (seed % 157) as usize;
            // Runs are likelier with a bias towards dark.
            let modules = modules_of(n, || next(&mut seed) % 5 < 3);
            let (l, n) = line_of(&modules);
            assert_eq!(
                run_penalty(l, Wide::span(n)),
                runs_by_module(&modules),
                "{modules}"
            );
        }
    }

    #[test]
    fn finder_like_patterns_need_four_light_on_one_side() {
        // §7.8.3.1 Table 11, feature 3: 1:1:3:1:1 preceded or followed by
        // four light modules; the quiet zone beyond the edge is light.
        for (modules, want) in [
            ("0000101110100000", 2),
            ("0000101110101", 1),
            ("10101110100001", 1),
            ("1001011101001", 0),
            ("1011101", 2),
            ("1011101000", 2),
            ("110111010000", 0),
            // Two modules wide: 2:2:6:2:2 with two light before, eight after.
            ("100110011111100110000000011", 1),
            // Three wide with the quiet zone on both sides.
            ("111000111111111000111", 2),
            // Four wide: counted run by run.
            ("11110000111111111111000011110000000000000000", 2),
            // A run of 6 that is no core.
            ("000011111100000", 0),
            ("1111111", 0),
        ] {
            let (l, n) = line_of(modules);
            assert_eq!(finder_like(l, fives(l), n), want, "{modules}");
            assert_eq!(finder_like_by_runs(l, n), want, "{modules} by runs");
        }
    }

    #[test]
    fn finder_like_word_at_a_time_agrees_with_run_by_run() {
        let mut seed = 0x0bad_5eed_1234_5678u64;
        for case in 0..4000 {
            let n = 21 + (case % 157);
            // Long runs are likelier: each module repeats the last one more often than not.
            let mut dark = false;
            let modules = modules_of(n, || {
                dark ^= next(&mut seed) % 7 < 2;
                dark
            });
            let (l, n) = line_of(&modules);
            assert_eq!(
                finder_like(l, fives(l), n),
                finder_like_by_runs(l, n),
                "{modules}"
            );
            if n <= 64 {
                let (mut narrow, mut wide) = (0u64, Wide::default());
                for (i, c) in modules.chars().enumerate() {
                    if c == '1' {
                        narrow.set(i);
                        wide.set(i);
                    }
                }
                assert_eq!(
                    finder_like(narrow, fives(narrow), n) + run_penalty(narrow, u64::span(n)),
                    finder_like(wide, fives(wide), n) + run_penalty(wide, Wide::span(n)),
                    "{modules} in one word"
                );
            }
        }
    }

    #[test]
    fn balance_counts_whole_steps_away_from_half() {
        // §7.8.3.1 Table 11, feature 4: 10 points per 5 % beyond 45–55 %.
        assert_eq!(balance_steps(50, 100), 0);
        assert_eq!(balance_steps(55, 100), 0);
        assert_eq!(balance_steps(56, 100), 1);
        assert_eq!(balance_steps(44, 100), 1);
        assert_eq!(balance_steps(40, 100), 1);
        assert_eq!(balance_steps(39, 100), 2);
        assert_eq!(balance_steps(0, 100), 9);
    }

    #[test]
    fn format_bits_match_the_standard_table() {
        // ISO/IEC 18004:2015 Annex C, Table C.1: EC level M mask 0 is
        // 101010000010010, L mask 0 is 111011111000100, H mask 7 is 000100000111011.
        assert_eq!(format_bits(EcLevel::M, 0), 0b101010000010010);
        assert_eq!(format_bits(EcLevel::L, 0), 0b111011111000100);
        assert_eq!(format_bits(EcLevel::H, 7), 0b000100000111011);
    }

    /// The symbol `qrcodegen` makes itself, with `mask` or (`None`) the one
    /// its own penalty scoring chooses.
    fn reference(payload: &str, ec: EcLevel, mask: Option<u8>) -> Modules {
        let code = qrcodegen::QrCode::encode_segments_advanced(
            &qrcodegen::QrSegment::make_segments(payload),
            ecc(ec),
            qrcodegen::Version::MIN,
            qrcodegen::Version::MAX,
            mask.map(qrcodegen::Mask::new),
            false,
        )
        .expect("fits");
        let n = usize::try_from(code.size()).expect("size");
        Modules {
            width: n,
            height: n,
            dark: (0..n * n)
                .map(|i| code.get_module((i % n) as i32, (i / n) as i32))
                .collect(),
        }
    }

    /// The shortest payload of repeated letters that needs `version` at `ec`
    /// (the version grows with the length, so a binary search finds it).
    fn payload_for(version: u8, ec: EcLevel) -> String {
        let text = |len: usize| -> String {
            (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect()
        };
        let version_of =
            |len: usize| Draft::new(&text(len), ec).map_or(u8::MAX, |d| d.code.version().value());
        let (mut lo, mut hi) = (1usize, 3000usize);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if version_of(mid) >= version {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        assert_eq!(version_of(lo), version, "a payload needs version {version}");
        text(lo)
    }

    #[test]
    fn every_mask_derived_from_mask_0_is_the_symbol_qrcodegen_makes_with_it() {
        for version in 1..=40u8 {
            let ec = [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H][usize::from(version) % 4];
            let payload = payload_for(version, ec);
            let draft = Draft::new(&payload, ec).expect("fits");
            let mut wide = Masked::<Wide>::new(&draft);
            let mut narrow = (version <= 11).then(|| Masked::<u64>::new(&draft));
            let mut mid = (version <= 27).then(|| Masked::<u128>::new(&draft));
            for mask in 0..8u8 {
                let theirs = reference(&payload, ec, Some(mask));
                assert_eq!(wide.modules(mask), theirs, "version {version} mask {mask}");
                if let Some(m) = narrow.as_mut() {
                    assert_eq!(
                        m.modules(mask),
                        theirs,
                        "u64, version {version} mask {mask}"
                    );
                    assert_eq!(m.penalty(mask), wide.penalty(mask), "u64 penalty");
                }
                if let Some(m) = mid.as_mut() {
                    assert_eq!(
                        m.modules(mask),
                        theirs,
                        "u128, version {version} mask {mask}"
                    );
                    assert_eq!(m.penalty(mask), wide.penalty(mask), "u128 penalty");
                }
            }
        }
    }

    #[test]
    fn a_width_cap_rules_out_exactly_the_versions_wider_than_it() {
        for (payload, ec) in [
            ("https://example.invalid/12345", EcLevel::M),
            ("https://example.invalid/12345", EcLevel::L),
            ("0123456789012345678901234567890123456789", EcLevel::H),
        ] {
            let full = Draft::new(payload, ec).expect("fits");
            let width = full.width();
            let capped = Draft::within(payload, ec, width).expect("no error");
            assert_eq!(
                capped.map(|d| d.finish()),
                Some(Draft::new(payload, ec).expect("fits").finish())
            );
            // Three modules narrower than the symbol: the next smaller version's width + 1.
            assert!(Draft::within(payload, ec, width - 3)
                .expect("no error")
                .is_none());
            assert!(Draft::within(payload, ec, 20).expect("no error").is_none());
        }
        // Too long for version 40 at H: the cap below 177 says "not within",
        // no cap says the payload is too large for any QR.
        let long = "x".repeat(3000);
        assert!(Draft::within(&long, EcLevel::H, 100)
            .expect("no error")
            .is_none());
        assert_eq!(
            Draft::within(&long, EcLevel::H, 177)
                .map_err(|e| e.kind())
                .err(),
            Some(crate::RenderCode::QrTooLarge)
        );
    }

    #[test]
    fn the_chosen_mask_is_the_one_qrcodegen_chooses() {
        // Payloads of every mode (numeric, alphanumeric, bytes, UTF-8) and
        // lengths across versions 1..=~25, at every level.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        const ALPHABETS: [&str; 4] = [
            "0123456789",
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:",
            "abcdefghijklmnopqrstuvwxyz0123456789/?=&.-_:",
            "äöüß€日本語ラベル-0123",
        ];
        for case in 0..400 {
            let alphabet: Vec<char> = ALPHABETS[case % 4].chars().collect();
            let len = 1 + (next(&mut seed) % 400) as usize;
            let payload: String = (0..len)
                .map(|_| alphabet[(next(&mut seed) % alphabet.len() as u64) as usize])
                .collect();
            let ec = [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H][(case / 4) % 4];
            let Ok(ours) = crate::symbol::qr(&payload, ec) else {
                continue;
            };
            assert_eq!(ours, reference(&payload, ec, None), "{payload:?} at {ec:?}");
        }
    }
}
