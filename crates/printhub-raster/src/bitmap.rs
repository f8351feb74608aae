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
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels (raster lines).
    pub fn height(&self) -> usize {
        self.height
    }

    /// Bytes per packed row.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Whether pixel `(x, y)` is ink. Out-of-range pixels are blank.
    pub fn get(&self, x: usize, y: usize) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        self.data[y * self.stride + x / 8] & (0x80 >> (x % 8)) != 0
    }

    /// Sets or clears pixel `(x, y)`; out-of-range pixels are ignored.
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

    /// The packed bytes of row `y`.
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
    pub fn rotate_cw(&self) -> Bitmap {
        Bitmap::from_fn(self.height, self.width, |x, y| {
            self.get(y, self.height - 1 - x)
        })
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

#[cfg(test)]
mod tests {
    use super::*;

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
