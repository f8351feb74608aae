//! TIFF PackBits, as Brother printers take it: one raster line at a time.
//!
//! A header byte `h` read as `i8`: `0..=127` copies the next `h + 1` bytes
//! (literal), `-127..=-1` repeats the next byte `1 - h` times, `-128` is a
//! no-op in standard PackBits (never emitted here; decoded as a no-op).
//!
//! The encoder follows the manuals (brother-raster.md §3): pairs of equal
//! bytes become a repeat run only where that does not cost a byte, runs and
//! literals go up to 128, and the *overflow rule* applies — when the packed
//! form would be longer than the raw line plus one byte, the line is sent as
//! one literal (two for lines longer than 128 bytes).

use thiserror::Error;

/// Why a packed line did not expand to the expected length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PackBitsError {
    /// A run or literal needs more bytes than the packed data has.
    #[error("packed data ends inside a run at byte {at}")]
    Truncated {
        /// Offset of the header byte of the unfinished run.
        at: usize,
    },
    /// Expansion produced more bytes than the line holds.
    #[error("packed data expands past {expected} bytes (run at byte {at})")]
    Overrun {
        /// The line length expected.
        expected: usize,
        /// Offset of the header byte of the run that overflowed.
        at: usize,
    },
    /// Expansion produced fewer bytes than the line holds.
    #[error("packed data expands to {got} bytes, not {expected}")]
    Underrun {
        /// The line length expected.
        expected: usize,
        /// Bytes produced.
        got: usize,
    },
}

/// Largest run or literal one header can describe.
const MAX_RUN: usize = 128;

/// Appends the PackBits form of `line` to `out` and returns how many bytes
/// were written. Applies the manuals' overflow rule.
pub fn encode_into(line: &[u8], out: &mut Vec<u8>) -> usize {
    let start = out.len();
    encode_runs(line, out);
    let limit = line.len() + line.len().div_ceil(MAX_RUN);
    if out.len() - start > limit {
        out.truncate(start);
        write_literals(line, out);
    }
    out.len() - start
}

/// Returns the PackBits form of `line`.
pub fn encode(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len() + 2);
    encode_into(line, &mut out);
    out
}

/// Expands `packed` into `out`, which must end up exactly `expected` bytes longer.
pub fn decode_into(packed: &[u8], expected: usize, out: &mut Vec<u8>) -> Result<(), PackBitsError> {
    let start = out.len();
    let mut i = 0;
    while i < packed.len() {
        let at = i;
        let header = packed[i] as i8;
        i += 1;
        let produced = out.len() - start;
        match header {
            0..=127 => {
                let n = header as usize + 1;
                let Some(chunk) = packed.get(i..i + n) else {
                    return Err(PackBitsError::Truncated { at });
                };
                if produced + n > expected {
                    return Err(PackBitsError::Overrun { expected, at });
                }
                out.extend_from_slice(chunk);
                i += n;
            }
            -128 => {}
            _ => {
                let n = (1 - header as isize) as usize;
                let Some(&byte) = packed.get(i) else {
                    return Err(PackBitsError::Truncated { at });
                };
                if produced + n > expected {
                    return Err(PackBitsError::Overrun { expected, at });
                }
                out.resize(out.len() + n, byte);
                i += 1;
            }
        }
    }
    let got = out.len() - start;
    if got != expected {
        return Err(PackBitsError::Underrun { expected, got });
    }
    Ok(())
}

/// Expands `packed` into a new line of exactly `expected` bytes.
pub fn decode(packed: &[u8], expected: usize) -> Result<Vec<u8>, PackBitsError> {
    let mut out = Vec::with_capacity(expected);
    decode_into(packed, expected, &mut out)?;
    Ok(out)
}

fn write_literals(line: &[u8], out: &mut Vec<u8>) {
    for chunk in line.chunks(MAX_RUN) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
}

/// Greedy run/literal split. A run of three or more equal bytes is always a
/// repeat; a run of two is a repeat unless it sits between literal bytes,
/// where folding it into the literal is one byte shorter.
fn encode_runs(line: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    let mut literal_start: Option<usize> = None;
    while i < line.len() {
        let byte = line[i];
        let run = run_at(line, i);
        let ends_line = i + run == line.len();
        let is_repeat = run >= 3 || (run == 2 && (literal_start.is_none() || ends_line));
        if is_repeat {
            if let Some(start) = literal_start.take() {
                write_literals(&line[start..i], out);
            }
            out.push((1i16 - run as i16) as i8 as u8);
            out.push(byte);
            i += run;
        } else {
            if literal_start.is_none() {
                literal_start = Some(i);
            }
            i = next_repeat(line, i + run);
        }
    }
    if let Some(start) = literal_start {
        write_literals(&line[start..], out);
    }
}

/// Inside a literal, where the next repeat can start, from `from` on: the
/// first three equal bytes in a row, else the last two bytes (a pair that
/// ends the line is a repeat). Every byte before it is literal — a pair
/// inside a literal folds into it — so the caller skips straight there.
/// Scans eight positions at a time: byte `k` of `(a ^ b) | (a ^ c)` is zero
/// exactly when bytes `k`, `k + 1` and `k + 2` are equal.
fn next_repeat(line: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let word = |at: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&line[at..at + 8]);
        u64::from_le_bytes(bytes)
    };
    let mut k = from;
    while k + 10 <= line.len() {
        let a = word(k);
        let v = (a ^ word(k + 1)) | (a ^ word(k + 2));
        // The lowest flagged byte is the first zero byte (the borrow only
        // ever flags bytes above a zero one).
        let zero = v.wrapping_sub(ONES) & !v & HIGHS;
        if zero != 0 {
            return k + (zero.trailing_zeros() / 8) as usize;
        }
        k += 8;
    }
    while k + 2 < line.len() {
        if line[k] == line[k + 1] && line[k] == line[k + 2] {
            return k;
        }
        k += 1;
    }
    // No three in a row: the last two bytes (or `from`, past them).
    k
}

/// How many bytes from `line[i]` on equal it (at least 1, at most
/// [`MAX_RUN`]), compared eight at a time where they can be.
fn run_at(line: &[u8], i: usize) -> usize {
    let byte = line[i];
    // Most bytes of a busy line start no run: say so before setting up words.
    if line.get(i + 1) != Some(&byte) {
        return 1;
    }
    let rest = &line[i..line.len().min(i + MAX_RUN)];
    let word = [byte; 8];
    let whole = rest
        .chunks_exact(8)
        .take_while(|chunk| *chunk == word)
        .count()
        * 8;
    whole + rest[whole..].iter().take_while(|&&b| b == byte).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn manual_worked_example_round_trips() {
        // Brother raster command references (PT-P900 v1.02 and QL-800 "TIFF compression"
        // example; brother-raster.md §3 and §8 check 5): 20 × 00, then 22 22 23 BA BF A2 22 2B
        // ⇄ ED 00  FF 22  05 23 BA BF A2 22 2B.
        let mut raw = vec![0u8; 20];
        raw.extend_from_slice(&[0x22, 0x22, 0x23, 0xBA, 0xBF, 0xA2, 0x22, 0x2B]);
        let packed = [
            0xED, 0x00, 0xFF, 0x22, 0x05, 0x23, 0xBA, 0xBF, 0xA2, 0x22, 0x2B,
        ];
        assert_eq!(encode(&raw), packed);
        assert_eq!(decode(&packed, raw.len()), Ok(raw));
    }

    #[test]
    fn blank_lines_pack_to_one_run() {
        // §3: all-blank 90-byte line `A7 00`, 16-byte `F1 00`, 70-byte `BB 00`;
        // 162 bytes need two runs (128 + 34): `81 00 DF 00`.
        assert_eq!(encode(&[0; 90]), [0xA7, 0x00]);
        assert_eq!(encode(&[0; 16]), [0xF1, 0x00]);
        assert_eq!(encode(&[0; 70]), [0xBB, 0x00]);
        assert_eq!(encode(&[0; 162]), [0x81, 0x00, 0xDF, 0x00]);
        // python-packbits' split of 162 zeros (127 + 35) decodes just as well.
        assert_eq!(decode(&[0x82, 0x00, 0xDE, 0x00], 162), Ok(vec![0; 162]));
    }

    #[test]
    fn incompressible_lines_become_one_literal() {
        // PT-P900 manual (brother-raster.md §3): a line that would pack to more than 70 bytes
        // is sent as one 71-byte literal. No equal neighbours: nothing to pack.
        let line: Vec<u8> = (0..70u8).map(|i| i.wrapping_mul(37) | 1).collect();
        let packed = encode(&line);
        assert_eq!(packed.len(), 71);
        assert_eq!(packed[0], 69);
        assert_eq!(&packed[1..], &line[..]);
        // 162-byte lines cannot be one literal (128 max): two literals, 164 bytes.
        let wide: Vec<u8> = (0..162u16)
            .map(|i| (i as u8).wrapping_mul(37) | 1)
            .collect();
        let packed = encode(&wide);
        assert_eq!(packed.len(), 164);
        assert_eq!((packed[0], packed[129]), (127, 33));
        assert_eq!(decode(&packed, 162), Ok(wide));
    }

    #[test]
    fn worst_case_patterns_stay_within_the_overflow_bound() {
        // The pattern that grows python-packbits' output to 4/3 of the line (§3: `FF FF 00`
        // repeated, 90 → 120 bytes) must stay within raw + 1 here.
        let line: Vec<u8> = (0..90).map(|i| if i % 3 == 2 { 0 } else { 0xFF }).collect();
        let packed = encode(&line);
        assert!(packed.len() <= 91, "{}", packed.len());
        assert_eq!(decode(&packed, 90), Ok(line));
    }

    #[test]
    fn no_op_header_is_skipped() {
        assert_eq!(decode(&[0x80, 0xFE, 0x07], 3), Ok(vec![7, 7, 7]));
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert_eq!(
            decode(&[0x03, 1, 2], 4),
            Err(PackBitsError::Truncated { at: 0 })
        );
        assert_eq!(
            decode(&[0x00, 1, 0xFE], 4),
            Err(PackBitsError::Truncated { at: 2 })
        );
        assert_eq!(
            decode(&[0xFD, 0], 3),
            Err(PackBitsError::Overrun { expected: 3, at: 0 })
        );
        assert_eq!(
            decode(&[0xFF, 0], 3),
            Err(PackBitsError::Underrun {
                expected: 3,
                got: 2
            })
        );
        assert_eq!(
            decode(&[], 1),
            Err(PackBitsError::Underrun {
                expected: 1,
                got: 0
            })
        );
    }

    fn line_strategy() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![Just(16usize), Just(70usize), Just(90usize), Just(162usize)].prop_flat_map(
            |len| proptest::collection::vec(prop_oneof![Just(0u8), Just(0xFFu8), any::<u8>()], len),
        )
    }

    /// The greedy split byte at a time, as it was written before runs were
    /// compared eight bytes at a time: the output must not change.
    fn reference_runs(line: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        let mut literal_start: Option<usize> = None;
        while i < line.len() {
            let byte = line[i];
            let mut run = 1;
            while i + run < line.len() && line[i + run] == byte && run < MAX_RUN {
                run += 1;
            }
            let ends_line = i + run == line.len();
            if run >= 3 || (run == 2 && (literal_start.is_none() || ends_line)) {
                if let Some(start) = literal_start.take() {
                    write_literals(&line[start..i], out);
                }
                out.push((1i16 - run as i16) as i8 as u8);
                out.push(byte);
            } else if literal_start.is_none() {
                literal_start = Some(i);
            }
            i += run;
        }
        if let Some(start) = literal_start {
            write_literals(&line[start..], out);
        }
    }

    proptest! {
        #[test]
        fn word_at_a_time_runs_split_as_byte_at_a_time(
            line in prop_oneof![
                line_strategy(),
                // Runs of every length (to past 128) between literals.
                proptest::collection::vec((any::<u8>(), 1usize..140), 1..8).prop_map(|segments| {
                    segments.into_iter().flat_map(|(b, n)| std::iter::repeat_n(b, n)).collect()
                }),
            ]
        ) {
            let mut fast = Vec::new();
            encode_runs(&line, &mut fast);
            let mut slow = Vec::new();
            reference_runs(&line, &mut slow);
            prop_assert_eq!(fast, slow);
        }

        #[test]
        fn round_trip_and_bounded(line in line_strategy()) {
            let packed = encode(&line);
            prop_assert_eq!(decode(&packed, line.len()), Ok(line.clone()));
            // §8 check 6: never longer than the raw line + 1 (+2 for 162-byte lines)
            // and never a 0x80 header.
            prop_assert!(packed.len() <= line.len() + line.len().div_ceil(128));
            let mut i = 0;
            while i < packed.len() {
                let h = packed[i] as i8;
                prop_assert_ne!(h, -128);
                i += if h >= 0 { h as usize + 2 } else { 2 };
            }
        }
    }
}
