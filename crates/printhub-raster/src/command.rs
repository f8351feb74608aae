//! The command vocabulary shared by the encoder and the decoder: byte
//! constants, the 10-byte print-information block and the bit meanings of
//! the mode commands (brother-raster.md §1, §1.1, §1.2).

use serde::Serialize;

/// `ESC` (0x1B).
pub const ESC: u8 = 0x1B;
/// Print command (FF): ends a page that is not the last.
pub const PRINT: u8 = 0x0C;
/// Print with feeding (Ctrl-Z): ends the last page.
pub const PRINT_FEED: u8 = 0x1A;
/// `G`: PT raster transfer, `47 nL nH data`.
pub const RASTER_PT: u8 = 0x47;
/// `g`: QL raster transfer, `67 00 n data`.
pub const RASTER_QL: u8 = 0x67;
/// `w`: QL two-colour raster transfer, `77 c n data`.
pub const RASTER_TWO_COLOUR: u8 = 0x77;
/// `Z`: one blank raster line (compression mode only).
pub const ZERO_RASTER: u8 = 0x5A;
/// `M`: compression mode, `4D n`.
pub const COMPRESSION: u8 = 0x4D;

/// `ESC i z` n1 flag: media type valid.
pub const PI_KIND: u8 = 0x02;
/// `ESC i z` n1 flag: media width valid.
pub const PI_WIDTH: u8 = 0x04;
/// `ESC i z` n1 flag: media length valid.
pub const PI_LENGTH: u8 = 0x08;
/// `ESC i z` n1 flag: prefer print quality.
pub const PI_QUALITY: u8 = 0x40;
/// `ESC i z` n1 flag: printer recovery always on.
pub const PI_RECOVER: u8 = 0x80;

/// `ESC i M` bit 6: auto cut.
pub const MODE_AUTO_CUT: u8 = 0x40;
/// `ESC i M` bit 7: mirror printing (PT).
pub const MODE_MIRROR: u8 = 0x80;

/// `ESC i K` bit 0: two-colour printing (QL-8xx); draft on PT-P900.
pub const ADV_TWO_COLOUR: u8 = 0x01;
/// `ESC i K` bit 2: half cut (PT).
pub const ADV_HALF_CUT: u8 = 0x04;
/// `ESC i K` bit 3: PT "no chain printing" (feed and cut after the last label); QL "cut at end".
pub const ADV_CUT_AT_END: u8 = 0x08;
/// `ESC i K` bit 4: special tape, never cut (PT).
pub const ADV_SPECIAL_TAPE: u8 = 0x10;
/// `ESC i K` bit 6: high resolution along the feed.
pub const ADV_HIGH_RES: u8 = 0x40;
/// `ESC i K` bit 7: do not clear the expansion buffer (PT).
pub const ADV_NO_BUFFER_CLEAR: u8 = 0x80;

/// The ten parameter bytes of `ESC i z` (print information).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PrintInfo {
    /// n1: valid flags (`PI_*`).
    pub flags: u8,
    /// n2: media type.
    pub media_type: u8,
    /// n3: media width in mm.
    pub width_mm: u8,
    /// n4: media length in mm (0 for continuous media).
    pub length_mm: u8,
    /// n5–n8: raster lines in this page (LE u32).
    pub raster_count: u32,
    /// n9: 0 first page, 1 later pages (2 last page on PT-P900).
    pub page: u8,
    /// n10: always 0.
    pub reserved: u8,
}

impl PrintInfo {
    /// Parses the ten parameter bytes.
    pub fn from_bytes(b: &[u8; 10]) -> Self {
        PrintInfo {
            flags: b[0],
            media_type: b[1],
            width_mm: b[2],
            length_mm: b[3],
            raster_count: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            page: b[8],
            reserved: b[9],
        }
    }

    /// The ten parameter bytes.
    pub fn to_bytes(&self) -> [u8; 10] {
        let c = self.raster_count.to_le_bytes();
        [
            self.flags,
            self.media_type,
            self.width_mm,
            self.length_mm,
            c[0],
            c[1],
            c[2],
            c[3],
            self.page,
            self.reserved,
        ]
    }

    /// Whether n1 declares the media type valid.
    pub const fn kind_valid(&self) -> bool {
        self.flags & PI_KIND != 0
    }

    /// Whether n1 declares the width valid.
    pub const fn width_valid(&self) -> bool {
        self.flags & PI_WIDTH != 0
    }

    /// Whether n1 declares the length valid.
    pub const fn length_valid(&self) -> bool {
        self.flags & PI_LENGTH != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_info_round_trips() {
        // Manual example (QL-800 reference; brother-raster.md §1.1): 102 mm continuous → `86 0A 66 00 …`.
        let bytes = [0x86, 0x0A, 0x66, 0x00, 0xF0, 0x00, 0x00, 0x00, 0x00, 0x00];
        let info = PrintInfo::from_bytes(&bytes);
        assert_eq!(info.raster_count, 240);
        assert!(info.kind_valid() && info.width_valid() && !info.length_valid());
        assert_eq!(info.to_bytes(), bytes);
    }
}
