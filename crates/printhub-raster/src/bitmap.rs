//! A packed 1-bit image: the unit the encoder takes and the decoder returns.
//!
//! Row `y` is one raster line, printed in order (row 0 leaves the printer
//! first). Pixel `(x, y)` set means "heat this dot". Rows are packed MSB
//! first into `stride = ceil(width / 8)` bytes; padding bits are always 0.
//! The bitmap is laid out as a person reads the printed label: column 0 is on
//! the left when the label is held with its leading edge at the top.

/// A 1-bit image, row-major, MSB first.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitmap {
    width: usize,
    height: usize,
    stride: usize,
    data: Vec<u8>,
}

impl std::fmt::Debug for Bitmap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Bitmap({}x{}, {} set)",
            self.width,
            self.height,
            self.count_set()
        )
    }
}

impl Bitmap {
    /// A blank bitmap of `width` × `height` pixels.
    pub fn new(width: usize, height: usize) -> Self {
        let stride = width.div_ceil(8);
        Bitmap {
            width,
            height,
            stride,
            data: vec![0; stride * height],
        }
    }

    /// Builds a bitmap from a predicate over every pixel.
    pub fn from_fn(width: usize, height: usize, mut ink: impl FnMut(usize, usize) -> bool) -> Self {
        let mut bitmap = Bitmap::new(width, height);
        for y in 0..height {
            for x in 0..width {
                if ink(x, y) {
                    bitmap.set(x, y, true);
                }
            }
        }
        bitmap
    }

    /// Width in pixels (dots across the line).
    #[inline]
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels (raster lines).
    #[inline]
    pub fn height(&self) -> usize {
        self.height
    }

    /// Bytes per packed row.
    #[inline]
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Whether pixel `(x, y)` is ink. Out-of-range pixels are blank.
    #[inline]
    pub fn get(&self, x: usize, y: usize) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        self.data[y * self.stride + x / 8] & (0x80 >> (x % 8)) != 0
    }

    /// Sets or clears pixel `(x, y)`; out-of-range pixels are ignored.
    #[inline]
    pub fn set(&mut self, x: usize, y: usize, ink: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let byte = &mut self.data[y * self.stride + x / 8];
        let mask = 0x80 >> (x % 8);
        if ink {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    }

    /// Sets (`ink`) or clears pixels `x0..x1` of row `y`, a byte at a time
    /// where the run covers whole bytes. Pixels outside the bitmap are ignored.
    pub fn fill_span(&mut self, y: usize, x0: usize, x1: usize, ink: bool) {
        let x1 = x1.min(self.width);
        if y >= self.height || x0 >= x1 {
            return;
        }
        let row = &mut self.data[y * self.stride..(y + 1) * self.stride];
        let (first, last) = (x0 / 8, (x1 - 1) / 8);
        let head = 0xFFu8 >> (x0 % 8);
        let tail = 0xFFu8 << (7 - (x1 - 1) % 8);
        let apply = |byte: &mut u8, mask: u8| {
            if ink {
                *byte |= mask;
            } else {
                *byte &= !mask;
            }
        };
        if first == last {
            apply(&mut row[first], head & tail);
            return;
        }
        apply(&mut row[first], head);
        row[first + 1..last].fill(if ink { 0xFF } else { 0x00 });
        apply(&mut row[last], tail);
    }

    /// Sets (`ink`) or clears, on row `y` from pixel `x` on, every pixel
    /// whose bit is set among the first `len` bits of `bits` (packed MSB
    /// first, like a [`Bitmap::row`]): a row of a mask drawn eight bytes at
    /// a time. Pixels outside the bitmap are ignored.
    pub fn draw_bits(&mut self, y: usize, x: usize, bits: &[u8], len: usize, ink: bool) {
        self.draw_bits_rows(y..y.saturating_add(1), x, bits, len, ink);
    }

    /// [`Bitmap::draw_bits`] on every row of `rows`: the same bits drawn
    /// down a band of rows (a scaled symbol module), eight bytes at a time.
    pub fn draw_bits_rows(
        &mut self,
        rows: std::ops::Range<usize>,
        x: usize,
        bits: &[u8],
        len: usize,
        ink: bool,
    ) {
        let rows = rows.start.min(self.height)..rows.end.min(self.height);
        if rows.is_empty() || x >= self.width {
            return;
        }
        let len = len.min(self.width - x).min(bits.len() * 8);
        if len == 0 {
            return;
        }
        let n = len.div_ceil(8);
        // Eight source bytes at a time, as one big-endian word; the last one
        // to eight bytes make the last word, without the bits past `len`.
        let (body, last) = bits[..n].split_at(8 * ((n - 1) / 8));
        let keep = len - 8 * body.len();
        let last_word = last
            .iter()
            .enumerate()
            .fold(0u64, |word, (i, &b)| word | u64::from(b) << (56 - 8 * i))
            & (u64::MAX << (64 - keep));
        let shift = (x % 8) as u32;
        for y in rows {
            // `x + len <= width` keeps the `n` bytes from `x / 8` on within
            // the row; what is shifted past them lands on the byte after.
            let row = &mut self.data[y * self.stride + x / 8..(y + 1) * self.stride];
            draw_words(row, body, last_word, shift, ink);
        }
    }

    /// The packed bytes of row `y`.
    #[inline]
    pub fn row(&self, y: usize) -> &[u8] {
        &self.data[y * self.stride..(y + 1) * self.stride]
    }

    /// Number of ink pixels.
    pub fn count_set(&self) -> usize {
        self.data.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// Whether no pixel is ink.
    pub fn is_blank(&self) -> bool {
        self.data.iter().all(|&b| b == 0)
    }

    /// This bitmap turned 90° clockwise (a landscape tape label becomes raster lines).
    ///
    /// Pixel `(x, y)` of the result is pixel `(y, height − 1 − x)` of this
    /// one: row `y` of the result is column `y` read from the bottom up.
    /// Turned eight by eight pixels at a time: eight source rows, taken
    /// bottom-up, and one byte column of them form an 8 × 8 block that one
    /// bit transpose makes into eight bytes of the result.
    pub fn rotate_cw(&self) -> Bitmap {
        let mut out = Bitmap::new(self.height, self.width);
        let blank = vec![0u8; self.stride];
        for bx in 0..out.stride {
            // Result pixels 8bx ..= 8bx + 7 across come from source rows
            // height − 1 − 8bx downwards; those below row 0 are blank.
            let rows: [&[u8]; 8] = std::array::from_fn(|k| match 8 * bx + k {
                i if i < self.height => self.row(self.height - 1 - i),
                _ => &blank,
            });
            for j in 0..self.stride {
                let block = rows
                    .iter()
                    .fold(0u64, |word, row| word << 8 | u64::from(row[j]));
                if block == 0 {
                    continue;
                }
                for (i, byte) in transpose8(block).to_be_bytes().into_iter().enumerate() {
                    // Source columns past the width are padding: no result row.
                    let y = 8 * j + i;
                    if y < out.height {
                        out.data[y * out.stride + bx] = byte;
                    }
                }
            }
        }
        out
    }

    /// This bitmap turned 90° counter-clockwise.
    pub fn rotate_ccw(&self) -> Bitmap {
        Bitmap::from_fn(self.height, self.width, |x, y| {
            self.get(self.width - 1 - y, x)
        })
    }

    /// Renders the bitmap as text, `#` for ink and `.` for blank, one line per row (for tests).
    pub fn to_ascii(&self) -> String {
        let mut s = String::with_capacity((self.width + 1) * self.height);
        for y in 0..self.height {
            for x in 0..self.width {
                s.push(if self.get(x, y) { '#' } else { '.' });
            }
            s.push('\n');
        }
        s
    }
}

/// Draws, from the start of `row`, the words of `body` (whole 8-byte
/// chunks) and then `last`, all shifted right by `shift` bits (under 8):
/// sets (`ink`) or clears the bits they have set. The caller has checked
/// that `row` holds every byte with a bit to draw.
fn draw_words(row: &mut [u8], body: &[u8], last: u64, shift: u32, ink: bool) {
    let apply = |byte: &mut [u8; 8], word: u64| {
        let old = u64::from_be_bytes(*byte);
        *byte = if ink { old | word } else { old & !word }.to_be_bytes();
    };
    let mut carry = 0u64;
    let mut at = 0;
    for chunk in body.chunks_exact(8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        let word = u64::from_be_bytes(bytes);
        let out = carry | word >> shift;
        // The bits shifted out, for the next word: `word << (64 − shift)`,
        // in three steps so that a shift of 0 carries nothing (a single
        // shift by 64 would overflow). `shift` < 8: they fit one byte.
        carry = (word << 7) << (7 - shift) << 50;
        if let Some(dest) = row
            .get_mut(at..at + 8)
            .and_then(|d| <&mut [u8; 8]>::try_from(d).ok())
        {
            apply(dest, out);
        }
        at += 8;
    }
    let out = carry | last >> shift;
    let carry = ((last << 7) << (7 - shift) << 50) >> 56;
    let rest = row.get_mut(at..).unwrap_or_default();
    let apply_byte = |byte: &mut u8, mask: u8| {
        if ink {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    };
    match rest.split_first_chunk_mut::<8>() {
        // Room for the whole last word: one read-modify-write, then the carry.
        Some((word, after)) => {
            apply(word, out);
            if let Some(byte) = after.first_mut() {
                apply_byte(byte, carry as u8);
            }
        }
        // The row ends inside the last word (whose bits past it are blank).
        None => {
            for (byte, mask) in rest.iter_mut().zip(out.to_be_bytes()) {
                apply_byte(byte, mask);
            }
        }
    }
}

/// Transposes an 8 × 8 bit matrix held as eight bytes, row 0 in the most
/// significant byte and column 0 in each byte's most significant bit: bit
/// `c` of row `r` becomes bit `r` of row `c` (Hacker's Delight, 7-3:
/// three rounds of swapping 1 × 1, 2 × 2 and 4 × 4 sub-blocks).
pub(crate) fn transpose8(mut x: u64) -> u64 {
    let t = (x ^ (x >> 7)) & 0x00AA_00AA_00AA_00AA;
    x ^= t ^ (t << 7);
    let t = (x ^ (x >> 14)) & 0x0000_CCCC_0000_CCCC;
    x ^= t ^ (t << 14);
    let t = (x ^ (x >> 28)) & 0x0000_0000_F0F0_F0F0;
    x ^ t ^ (t << 28)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every span of a 21-pixel row, set on a blank row and cleared on a full one,
    /// is what setting pixel by pixel gives.
    #[test]
    fn fill_span_is_pixel_by_pixel() {
        for x0 in 0..=21 {
            for x1 in x0..=23 {
                for ink in [true, false] {
                    let mut fast = Bitmap::from_fn(21, 2, |_, _| !ink);
                    let mut slow = fast.clone();
                    fast.fill_span(1, x0, x1, ink);
                    for x in x0..x1 {
                        slow.set(x, 1, ink);
                    }
                    assert_eq!(fast, slow, "{x0}..{x1} {ink}");
                    assert_eq!(fast.row(0), slow.row(0), "row 0 untouched");
                }
            }
        }
    }

    /// Drawing a mask row at every offset, ink and clear, is what setting its pixels one by one gives.
    #[test]
    fn draw_bits_is_pixel_by_pixel() {
        let bits = [0b1011_0011, 0b0110_1101, 0b1110_0000];
        for x in 0..=22 {
            for len in [0, 1, 5, 8, 11, 19, 24] {
                for ink in [true, false] {
                    let mut fast = Bitmap::from_fn(22, 1, |x, _| !ink && x % 3 != 0);
                    let mut slow = fast.clone();
                    fast.draw_bits(0, x, &bits, len, ink);
                    for i in 0..len {
                        if bits[i / 8] & (0x80 >> (i % 8)) != 0 {
                            slow.set(x + i, 0, ink);
                        }
                    }
                    assert_eq!(fast, slow, "x {x} len {len} {ink}");
                    assert_eq!(fast.row(0)[2] & 0x03, 0, "padding bits stay blank");
                }
            }
        }
    }

    /// Pixel by pixel, as `rotate_cw` was written before blocks.
    fn rotate_cw_reference(b: &Bitmap) -> Bitmap {
        Bitmap::from_fn(b.height(), b.width(), |x, y| b.get(y, b.height() - 1 - x))
    }

    #[test]
    fn transpose8_swaps_rows_and_columns() {
        let mut s: u64 = 0x0123_4567_89AB_CDEF;
        for _ in 0..1000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let t = transpose8(s);
            for r in 0..8 {
                for c in 0..8 {
                    let bit = |x: u64, r: usize, c: usize| x >> (63 - 8 * r - c) & 1;
                    assert_eq!(bit(t, c, r), bit(s, r, c), "{s:#x} ({r}, {c})");
                }
            }
        }
    }

    #[test]
    fn rotate_cw_in_blocks_is_pixel_by_pixel() {
        // Every size up to 19 × 19 (blocks cut at every offset), dense and
        // sparse, and a text-line-sized one.
        let noise = |seed: usize, density: u32| {
            let mut s = 0x2545_F491u32 ^ seed as u32;
            move |_: usize, _: usize| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                s % 100 < density
            }
        };
        for w in 0..20 {
            for h in 0..20 {
                for density in [10, 50, 100] {
                    let b = Bitmap::from_fn(w, h, noise(w * 32 + h, density));
                    let turned = b.rotate_cw();
                    assert_eq!(turned, rotate_cw_reference(&b), "{w} x {h}");
                    assert_eq!(turned.rotate_ccw(), b, "{w} x {h} back");
                }
            }
        }
        let b = Bitmap::from_fn(613, 71, noise(1, 30));
        assert_eq!(b.rotate_cw(), rotate_cw_reference(&b));
    }

    /// Long masks (the word loop, a carry into the last byte and none past
    /// the row) drawn at every offset, ink and clear.
    #[test]
    fn long_draw_bits_is_pixel_by_pixel() {
        let bits: Vec<u8> = (0..9u8).map(|i| i.wrapping_mul(73) ^ 0xA5).collect();
        for width in [64, 70, 77] {
            for x in 0..width {
                for len in [9, 50, 63, 64, 72] {
                    for ink in [true, false] {
                        let mut fast = Bitmap::from_fn(width, 2, |x, _| !ink && x % 5 != 0);
                        let mut slow = fast.clone();
                        fast.draw_bits(1, x, &bits, len, ink);
                        for i in 0..len {
                            if bits[i / 8] & (0x80 >> (i % 8)) != 0 {
                                slow.set(x + i, 1, ink);
                            }
                        }
                        assert_eq!(fast, slow, "width {width} x {x} len {len} {ink}");
                    }
                }
            }
        }
    }

    /// A band of rows (clipped at the bottom) gets what drawing each row gives.
    #[test]
    fn draw_bits_rows_is_draw_bits_on_each_row() {
        let bits = [0xC3, 0x5A, 0xFF, 0x81, 0x7E, 0x00, 0x99, 0x24, 0xE7, 0x18];
        for (rows, x, len) in [(1..4, 3, 80), (0..6, 0, 64), (4..9, 9, 70), (2..2, 1, 8)] {
            for ink in [true, false] {
                let before = Bitmap::from_fn(83, 6, |x, y| !ink && (x + y) % 3 != 0);
                let mut fast = before.clone();
                let mut slow = before.clone();
                fast.draw_bits_rows(rows.clone(), x, &bits, len, ink);
                for y in rows.clone() {
                    slow.draw_bits(y, x, &bits, len, ink);
                }
                assert_eq!(fast, slow, "{rows:?} x {x} len {len} {ink}");
                // Exactly the rows of the band that exist were drawn on.
                let drawn = (0..6).filter(|&y| fast.row(y) != before.row(y)).count();
                assert_eq!(drawn, rows.end.min(6) - rows.start.min(6), "{rows:?}");
            }
        }
    }

    #[test]
    fn set_get_and_rotate() {
        let mut b = Bitmap::new(3, 2);
        b.set(0, 0, true);
        b.set(2, 1, true);
        assert_eq!(b.to_ascii(), "#..\n..#\n");
        assert_eq!(b.rotate_cw().to_ascii(), ".#\n..\n#.\n");
        assert_eq!(b.rotate_cw().rotate_ccw(), b);
        assert_eq!(b.row(1), &[0x20]);
        assert_eq!(b.count_set(), 2);
        b.set(0, 0, false);
        assert!(!b.get(0, 0));
        assert!(!b.get(7, 7));
    }
}
