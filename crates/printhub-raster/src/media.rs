//! The media catalogue (TZe tape, HSe heat-shrink tube, DK rolls) and the
//! geometry of each (model, media) pair: which pins of the head print, how
//! long a die-cut label is, what the print-information command declares.
//!
//! Media ids are stable, lowercase and part of the public contract
//! (`tze-12`, `hs-11.7`, `dk-62`, `dk-29x90`, `dk-d24`). Whether a model can
//! take a medium is decided here: [`geometry`] answers `Err` rather than a
//! clipped window.
//!
//! Window convention (`docs/brother-raster.md` §2, §6, §10): Brother's head
//! figures put the *right* margin at the first byte of a raster line, so the
//! print window starts `offset` bits after the line's first bit (bit 0 = MSB
//! of byte 0). For the symmetric 128-pin TZe rows and QL rolls this agrees
//! with every peer; for the PT-P900 family it follows the manual's figure
//! (24 mm → bits 128…447), which is 16 pins away from ptouch (112…431). HSe
//! 2:1 on 128 pins uses the manual table (rust-ptouch), HSe 3:1 on 128 pins
//! the only source there is, ptouch's tested windows.

use crate::model::{Family, Model};
use serde::Serialize;
use thiserror::Error;

/// What kind of medium a roll or cassette holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum MediaKind {
    /// TZe laminated tape (continuous).
    Tape,
    /// HSe heat-shrink tube, 2:1.
    HeatShrink2,
    /// HSe heat-shrink tube, 3:1.
    HeatShrink3,
    /// DK continuous roll.
    Continuous,
    /// DK die-cut labels (rectangular).
    DieCut,
    /// DK die-cut round labels.
    Round,
}

impl MediaKind {
    /// Whether the medium is P-touch tape or tube (as opposed to a DK roll).
    pub const fn is_pt(self) -> bool {
        matches!(
            self,
            MediaKind::Tape | MediaKind::HeatShrink2 | MediaKind::HeatShrink3
        )
    }

    /// Whether each label has a fixed length (die-cut or round).
    pub const fn is_die_cut(self) -> bool {
        matches!(self, MediaKind::DieCut | MediaKind::Round)
    }
}

/// A print window across the head: `printable` dots starting `offset` bits
/// after the first bit of the raster line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// Blank pins before the window, counted from bit 0 of the line.
    pub offset: u16,
    /// Printable dots across.
    pub printable: u16,
}

/// One medium in the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Media {
    /// Stable lowercase id (`tze-12`, `dk-29x90`).
    pub id: &'static str,
    /// Human-readable name.
    pub name: &'static str,
    /// Kind of medium.
    pub kind: MediaKind,
    /// Width byte of `ESC i z` n3 and status byte 10 (mm).
    pub width_mm: u8,
    /// Length byte of `ESC i z` n4 and status byte 17 (mm; 0 for continuous media).
    pub length_mm: u8,
    /// Black/red two-colour roll (DK-22251).
    pub two_colour: bool,
    /// Window on a 128-pin PT head, if the medium fits one.
    #[serde(skip)]
    pub pt128: Option<Window>,
    /// Window on a 560-pin PT head, if the medium fits one.
    #[serde(skip)]
    pub pt560: Option<Window>,
    /// Window on a 720-pin QL head (the 1296-pin wide head adds 44 pins), if a DK roll.
    #[serde(skip)]
    pub ql: Option<Window>,
    /// Printable length of one die-cut label in raster lines at 300 dpi (0 for continuous).
    pub label_lines: u32,
    /// Whether only wide (1296-pin) QL models take this roll.
    pub wide_only: bool,
}

/// Extra pins before every window on the 1296-pin QL head (brother_ql
/// `additional_offset_r`; brother-raster.md §4, §6.3).
pub const QL_WIDE_EXTRA_OFFSET: u16 = 44;

impl Media {
    /// Finds a medium by id, ignoring case.
    pub fn by_id(id: &str) -> Option<&'static Media> {
        MEDIA.iter().find(|m| m.id.eq_ignore_ascii_case(id.trim()))
    }

    /// The window of this medium on a head of `family`, if it fits that head at all.
    pub fn window(&self, family: Family) -> Option<Window> {
        match family {
            Family::Pt128 => self.pt128,
            Family::Pt560 => self.pt560,
            Family::Ql => self.ql.filter(|_| !self.wide_only),
            Family::QlWide => self.ql.map(|w| Window {
                offset: w.offset + QL_WIDE_EXTRA_OFFSET,
                printable: w.printable,
            }),
        }
    }

    /// Media type byte for `ESC i z` n2 (§1.1): QL 0x0A continuous, 0x0B die-cut;
    /// PT 0x00 for TZe (kind not declared, as in the manual's example), 0x11 HSe 2:1, 0x17 HSe 3:1.
    pub const fn print_info_type(&self) -> u8 {
        match self.kind {
            MediaKind::Tape => 0x00,
            MediaKind::HeatShrink2 => 0x11,
            MediaKind::HeatShrink3 => 0x17,
            MediaKind::Continuous => 0x0A,
            MediaKind::DieCut | MediaKind::Round => 0x0B,
        }
    }

    /// Media type byte a printer of `model` reports in status byte 11 with this medium loaded (§7).
    pub fn status_type(&self, model: &Model) -> u8 {
        let base = match self.kind {
            MediaKind::Tape => return 0x01,
            MediaKind::HeatShrink2 => return 0x11,
            MediaKind::HeatShrink3 => return 0x17,
            MediaKind::Continuous => 0x0A,
            MediaKind::DieCut | MediaKind::Round => 0x0B,
        };
        if model.media_codes_4x {
            base | 0x40
        } else {
            base
        }
    }

    /// Whether a printer holding this medium may report `reported` — the
    /// medium [`Media::from_status`] read from its status block — so that a
    /// job rendered for this medium can go.
    ///
    /// The status block tells width (byte 10), kind (byte 11) and label
    /// length (byte 17) only (brother-raster.md §7), and `from_status` names
    /// the first catalogue entry with those. What the block cannot tell is not
    /// a mismatch: a black/red DK-22251 roll reads as `dk-62` (no manual
    /// defines a two-colour bit; a single field note of a QL-800 reporting
    /// byte 25 = 0x81 is not enough to rely on), TZe laminated and
    /// non-laminated tape are one kind, and round labels report die-cut
    /// (0x0B). Kind, width and length must agree; the printer itself still
    /// refuses two-colour data on a plain roll (`WRONG_MEDIA`, §7 byte 9).
    pub fn status_matches(&self, reported: &Media) -> bool {
        fn reportable(kind: MediaKind) -> MediaKind {
            match kind {
                MediaKind::Round => MediaKind::DieCut,
                other => other,
            }
        }
        reportable(self.kind) == reportable(reported.kind)
            && self.width_mm == reported.width_mm
            && self.length_mm == reported.length_mm
    }

    /// Finds the medium a printer reports (status bytes 10, 11 and 17) for a head of `family`.
    pub fn from_status(
        family: Family,
        width_mm: u8,
        status_type: u8,
        length_mm: u8,
    ) -> Option<&'static Media> {
        let kind = match status_type {
            0x01 | 0x03 | 0x04 | 0x15 => MediaKind::Tape,
            0x11 => MediaKind::HeatShrink2,
            0x17 => MediaKind::HeatShrink3,
            0x0A | 0x4A => MediaKind::Continuous,
            0x0B | 0x4B => MediaKind::DieCut,
            _ => return None,
        };
        MEDIA.iter().find(|m| {
            let kind_matches =
                m.kind == kind || (kind == MediaKind::DieCut && m.kind == MediaKind::Round);
            kind_matches
                && m.width_mm == width_mm
                && m.length_mm == length_mm
                && !m.two_colour
                && m.window(family).is_some()
        })
    }
}

/// Why a model cannot take a medium.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The medium does not fit this model's head or media path at all.
    #[error("{model} cannot take {media}: {reason}")]
    Unsupported {
        /// Model name.
        model: &'static str,
        /// Media id.
        media: &'static str,
        /// Why, in a few words.
        reason: &'static str,
    },
}

impl MediaError {
    /// Stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            MediaError::Unsupported { .. } => "unsupported_media",
        }
    }
}

/// The geometry of one (model, medium) pair: everything the encoder and
/// decoder need to place dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Geometry {
    /// Head family.
    pub family: Family,
    /// Pins on the head.
    pub pins: u16,
    /// Bytes in one uncompressed raster line.
    pub bytes_per_line: usize,
    /// Dots per inch across and (at base resolution) along the feed.
    pub dpi: u16,
    /// Print window across the head.
    pub window: Window,
    /// Printable length of one die-cut label in raster lines at base resolution; 0 for continuous media.
    pub label_lines: u32,
    /// Default feed margin (`ESC i d`) in dots at base resolution.
    pub default_margin: u16,
}

impl Geometry {
    /// Printable dots across (the width of the bitmap the encoder takes).
    pub const fn printable(&self) -> u16 {
        self.window.printable
    }
}

/// The geometry of `media` on `model`, or why the model cannot take it.
pub fn geometry(model: &'static Model, media: &'static Media) -> Result<Geometry, MediaError> {
    let unsupported = |reason| MediaError::Unsupported {
        model: model.name,
        media: media.id,
        reason,
    };
    if media.wide_only && model.family == Family::Ql {
        return Err(unsupported("102 mm rolls fit wide QL models only"));
    }
    let window = media.window(model.family).ok_or_else(|| {
        unsupported(match (model.family.is_pt(), media.kind.is_pt()) {
            (true, false) => "DK rolls fit QL printers only",
            (false, true) => "tape and tube fit P-touch printers only",
            _ => "the medium is wider than the head",
        })
    })?;
    if media.width_mm > model.max_media_mm {
        return Err(unsupported("the medium is wider than the model takes"));
    }
    if model.name == "PT-P910BT"
        && matches!(media.kind, MediaKind::HeatShrink2 | MediaKind::HeatShrink3)
    {
        // PT-P900 reference: the P910BT takes no HSe tube.
        return Err(unsupported("the PT-P910BT takes no heat-shrink tube"));
    }
    let default_margin = match model.family {
        // 2 mm: the E550W-family manual's example (14 dots) and ptouch's default on P900 (28 dots).
        Family::Pt128 => 14,
        Family::Pt560 => 28,
        // 3 mm on continuous rolls (manual example, brother_ql), 0 on die-cut labels;
        // brother_ql keeps 35 for the 12 mm round label.
        Family::Ql | Family::QlWide => {
            if media.kind.is_die_cut() && media.id != "dk-d12" {
                0
            } else {
                35
            }
        }
    };
    Ok(Geometry {
        family: model.family,
        pins: model.family.pins(),
        bytes_per_line: model.family.bytes_per_line(),
        dpi: model.family.dpi(),
        window,
        label_lines: media.label_lines,
        default_margin,
    })
}

const fn w(offset: u16, printable: u16) -> Option<Window> {
    Some(Window { offset, printable })
}

const TAPE: Media = Media {
    id: "",
    name: "",
    kind: MediaKind::Tape,
    width_mm: 0,
    length_mm: 0,
    two_colour: false,
    pt128: None,
    pt560: None,
    ql: None,
    label_lines: 0,
    wide_only: false,
};

const DK: Media = Media {
    kind: MediaKind::Continuous,
    ..TAPE
};

/// The whole catalogue. PT windows: §6.1 (128 pins) and §6.2 (560 pins,
/// offset = the manual's right margin). QL windows and label lengths: §6.3.
pub static MEDIA: &[Media] = &[
    Media {
        id: "tze-3.5",
        name: "TZe 3.5 mm tape",
        width_mm: 4,
        pt128: w(52, 24),
        pt560: w(264, 48),
        ..TAPE
    },
    Media {
        id: "tze-6",
        name: "TZe 6 mm tape",
        width_mm: 6,
        pt128: w(48, 32),
        pt560: w(256, 64),
        ..TAPE
    },
    Media {
        id: "tze-9",
        name: "TZe 9 mm tape",
        width_mm: 9,
        pt128: w(39, 50),
        pt560: w(235, 106),
        ..TAPE
    },
    Media {
        id: "tze-12",
        name: "TZe 12 mm tape",
        width_mm: 12,
        pt128: w(29, 70),
        pt560: w(213, 150),
        ..TAPE
    },
    Media {
        id: "tze-18",
        name: "TZe 18 mm tape",
        width_mm: 18,
        pt128: w(8, 112),
        pt560: w(171, 234),
        ..TAPE
    },
    Media {
        id: "tze-24",
        name: "TZe 24 mm tape",
        width_mm: 24,
        pt128: w(0, 128),
        pt560: w(128, 320),
        ..TAPE
    },
    Media {
        id: "tze-36",
        name: "TZe 36 mm tape",
        width_mm: 36,
        pt560: w(61, 454),
        ..TAPE
    },
    Media {
        id: "hs-5.8",
        name: "HSe 5.8 mm heat-shrink tube 2:1",
        kind: MediaKind::HeatShrink2,
        width_mm: 6,
        pt128: w(50, 28),
        pt560: w(260, 56),
        ..TAPE
    },
    Media {
        id: "hs-8.8",
        name: "HSe 8.8 mm heat-shrink tube 2:1",
        kind: MediaKind::HeatShrink2,
        width_mm: 9,
        pt128: w(40, 48),
        pt560: w(240, 96),
        ..TAPE
    },
    Media {
        id: "hs-11.7",
        name: "HSe 11.7 mm heat-shrink tube 2:1",
        kind: MediaKind::HeatShrink2,
        width_mm: 12,
        pt128: w(31, 66),
        pt560: w(222, 132),
        ..TAPE
    },
    Media {
        id: "hs-17.7",
        name: "HSe 17.7 mm heat-shrink tube 2:1",
        kind: MediaKind::HeatShrink2,
        width_mm: 18,
        pt128: w(11, 106),
        pt560: w(182, 212),
        ..TAPE
    },
    Media {
        id: "hs-23.6",
        name: "HSe 23.6 mm heat-shrink tube 2:1",
        kind: MediaKind::HeatShrink2,
        width_mm: 24,
        pt128: w(0, 128),
        pt560: w(160, 256),
        ..TAPE
    },
    Media {
        id: "hs3-5.2",
        name: "HSe 5.2 mm heat-shrink tube 3:1",
        kind: MediaKind::HeatShrink3,
        width_mm: 5,
        pt128: w(56, 20),
        pt560: w(268, 40),
        ..TAPE
    },
    Media {
        id: "hs3-9",
        name: "HSe 9.0 mm heat-shrink tube 3:1",
        kind: MediaKind::HeatShrink3,
        width_mm: 9,
        pt128: w(44, 44),
        pt560: w(244, 88),
        ..TAPE
    },
    Media {
        id: "hs3-11.2",
        name: "HSe 11.2 mm heat-shrink tube 3:1",
        kind: MediaKind::HeatShrink3,
        width_mm: 11,
        pt128: w(41, 50),
        pt560: w(238, 100),
        ..TAPE
    },
    Media {
        id: "hs3-21",
        name: "HSe 21 mm heat-shrink tube 3:1",
        kind: MediaKind::HeatShrink3,
        width_mm: 21,
        pt128: w(6, 120),
        pt560: w(168, 240),
        ..TAPE
    },
    Media {
        id: "hs3-31",
        name: "HSe 31 mm heat-shrink tube 3:1",
        kind: MediaKind::HeatShrink3,
        width_mm: 31,
        pt560: w(108, 360),
        ..TAPE
    },
    Media {
        id: "dk-12",
        name: "DK 12 mm continuous (DK-22214)",
        width_mm: 12,
        ql: w(29, 106),
        ..DK
    },
    Media {
        id: "dk-29",
        name: "DK 29 mm continuous (DK-22210)",
        width_mm: 29,
        ql: w(6, 306),
        ..DK
    },
    Media {
        id: "dk-38",
        name: "DK 38 mm continuous (DK-22225)",
        width_mm: 38,
        ql: w(12, 413),
        ..DK
    },
    Media {
        id: "dk-50",
        name: "DK 50 mm continuous (DK-22223)",
        width_mm: 50,
        ql: w(12, 554),
        ..DK
    },
    Media {
        id: "dk-54",
        name: "DK 54 mm continuous (DK-N55224)",
        width_mm: 54,
        ql: w(0, 590),
        ..DK
    },
    Media {
        id: "dk-62",
        name: "DK 62 mm continuous (DK-22205)",
        width_mm: 62,
        ql: w(12, 696),
        ..DK
    },
    Media {
        id: "dk-62-red",
        name: "DK 62 mm black/red continuous (DK-22251)",
        width_mm: 62,
        two_colour: true,
        ql: w(12, 696),
        ..DK
    },
    Media {
        id: "dk-102",
        name: "DK 102 mm continuous (DK-22243)",
        width_mm: 102,
        ql: w(12, 1164),
        wide_only: true,
        ..DK
    },
    Media {
        id: "dk-17x54",
        name: "DK 17 x 54 mm die-cut (DK-11204)",
        kind: MediaKind::DieCut,
        width_mm: 17,
        length_mm: 54,
        ql: w(0, 165),
        label_lines: 566,
        ..DK
    },
    Media {
        id: "dk-17x87",
        name: "DK 17 x 87 mm die-cut (DK-11203)",
        kind: MediaKind::DieCut,
        width_mm: 17,
        length_mm: 87,
        ql: w(0, 165),
        label_lines: 956,
        ..DK
    },
    Media {
        id: "dk-23x23",
        name: "DK 23 x 23 mm die-cut (DK-11221)",
        kind: MediaKind::DieCut,
        width_mm: 23,
        length_mm: 23,
        ql: w(42, 202),
        label_lines: 202,
        ..DK
    },
    Media {
        id: "dk-29x42",
        name: "DK 29 x 42 mm die-cut (DK-11215)",
        kind: MediaKind::DieCut,
        width_mm: 29,
        length_mm: 42,
        ql: w(6, 306),
        label_lines: 425,
        ..DK
    },
    Media {
        id: "dk-29x90",
        name: "DK 29 x 90 mm die-cut (DK-11201)",
        kind: MediaKind::DieCut,
        width_mm: 29,
        length_mm: 90,
        ql: w(6, 306),
        label_lines: 991,
        ..DK
    },
    Media {
        id: "dk-38x90",
        name: "DK 38 x 90 mm die-cut (DK-11208)",
        kind: MediaKind::DieCut,
        width_mm: 38,
        length_mm: 90,
        ql: w(12, 413),
        label_lines: 991,
        ..DK
    },
    Media {
        id: "dk-39x48",
        name: "DK 39 x 48 mm die-cut (DK-11219)",
        kind: MediaKind::DieCut,
        width_mm: 39,
        length_mm: 48,
        ql: w(6, 425),
        label_lines: 495,
        ..DK
    },
    Media {
        id: "dk-52x29",
        name: "DK 52 x 29 mm die-cut",
        kind: MediaKind::DieCut,
        width_mm: 52,
        length_mm: 29,
        ql: w(0, 578),
        label_lines: 271,
        ..DK
    },
    Media {
        id: "dk-62x29",
        name: "DK 62 x 29 mm die-cut (DK-11209)",
        kind: MediaKind::DieCut,
        width_mm: 62,
        length_mm: 29,
        ql: w(12, 696),
        label_lines: 271,
        ..DK
    },
    Media {
        id: "dk-62x100",
        name: "DK 62 x 100 mm die-cut (DK-11202)",
        kind: MediaKind::DieCut,
        width_mm: 62,
        length_mm: 100,
        ql: w(12, 696),
        label_lines: 1109,
        ..DK
    },
    Media {
        id: "dk-102x51",
        name: "DK 102 x 51 mm die-cut (DK-11240)",
        kind: MediaKind::DieCut,
        width_mm: 102,
        length_mm: 51,
        ql: w(12, 1164),
        label_lines: 526,
        wide_only: true,
        ..DK
    },
    Media {
        id: "dk-102x152",
        name: "DK 102 x 152 mm die-cut (DK-11241)",
        kind: MediaKind::DieCut,
        width_mm: 102,
        length_mm: 153,
        ql: w(12, 1164),
        label_lines: 1660,
        wide_only: true,
        ..DK
    },
    Media {
        id: "dk-d12",
        name: "DK 12 mm round (DK-11219)",
        kind: MediaKind::Round,
        width_mm: 12,
        length_mm: 12,
        ql: w(113, 94),
        label_lines: 94,
        ..DK
    },
    Media {
        id: "dk-d24",
        name: "DK 24 mm round (DK-11218)",
        kind: MediaKind::Round,
        width_mm: 24,
        length_mm: 24,
        ql: w(42, 236),
        label_lines: 236,
        ..DK
    },
    Media {
        id: "dk-d58",
        name: "DK 58 mm round (DK-11207)",
        kind: MediaKind::Round,
        width_mm: 58,
        length_mm: 58,
        ql: w(51, 618),
        label_lines: 618,
        ..DK
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MODELS;

    fn geo(model: &str, media: &str) -> Result<Geometry, MediaError> {
        let model = Model::by_name(model).expect("model");
        let media = Media::by_id(media).expect("media");
        geometry(model, media)
    }

    #[test]
    fn ids_are_unique_lowercase_and_windows_fit_their_heads() {
        for (i, m) in MEDIA.iter().enumerate() {
            assert_eq!(m.id, m.id.to_ascii_lowercase());
            assert!(MEDIA[i + 1..].iter().all(|o| o.id != m.id), "{}", m.id);
            for family in [Family::Pt128, Family::Pt560, Family::Ql, Family::QlWide] {
                if let Some(w) = m.window(family) {
                    assert!(
                        w.offset + w.printable <= family.pins(),
                        "{} on {family:?}",
                        m.id
                    );
                    assert!(w.printable > 0);
                }
            }
            assert_eq!(m.kind.is_die_cut(), m.label_lines > 0, "{}", m.id);
        }
    }

    #[test]
    fn issue_media_ids_are_all_present() {
        let ids = "tze-3.5 tze-6 tze-9 tze-12 tze-18 tze-24 tze-36 hs-5.8 hs-8.8 hs-11.7 hs-17.7 hs-23.6 \
                   hs3-5.2 hs3-9 hs3-11.2 hs3-21 dk-12 dk-29 dk-38 dk-50 dk-54 dk-62 dk-62-red dk-102 \
                   dk-17x54 dk-17x87 dk-23x23 dk-29x42 dk-29x90 dk-38x90 dk-39x48 dk-52x29 dk-62x29 \
                   dk-62x100 dk-102x51 dk-102x152 dk-d12 dk-d24 dk-d58";
        for id in ids.split_whitespace() {
            assert!(Media::by_id(id).is_some(), "{id}");
        }
    }

    #[test]
    fn windows_match_the_conformance_checks() {
        // brother-raster.md §8 check 8: QL 62 mm → bits 12…707; 29 mm → 6…311; 12 mm → 29…134;
        // QL-1060N 62 mm → 56…751; PT 128-pin 12 mm → 29…98, 24 mm → 0…127.
        let span = |model: &str, media: &str| {
            let g = geo(model, media).expect("fits");
            (g.window.offset, g.window.offset + g.window.printable - 1)
        };
        assert_eq!(span("QL-820NWB", "dk-62"), (12, 707));
        assert_eq!(span("QL-820NWB", "dk-29"), (6, 311));
        assert_eq!(span("QL-820NWB", "dk-12"), (29, 134));
        assert_eq!(span("QL-1060N", "dk-62"), (56, 751));
        assert_eq!(span("PT-P750W", "tze-12"), (29, 98));
        assert_eq!(span("PT-P750W", "tze-24"), (0, 127));
        // PT-P900 manual v1.02 §6.2, read with the right margin at the first byte: 24 mm → 128…447.
        assert_eq!(span("PT-P900W", "tze-24"), (128, 447));
        // Wide QL 102 mm: 12 + 44 offset, 1164 dots (brother_ql label table).
        assert_eq!(span("QL-1060N", "dk-102"), (56, 1219));
    }

    #[test]
    fn models_refuse_media_they_cannot_take() {
        // A 36 mm tape on a 24 mm head is an error, not a clipped label (issue 2).
        let err = geo("PT-P750W", "tze-36").expect_err("36 mm on 128 pins");
        assert_eq!(err.code(), "unsupported_media");
        assert!(geo("PT-P750W", "dk-62").is_err());
        assert!(geo("QL-820NWB", "tze-12").is_err());
        assert!(geo("QL-820NWB", "dk-102").is_err());
        assert!(geo("QL-1060N", "dk-102").is_ok());
        assert!(geo("PT-P910BT", "hs-11.7").is_err());
        assert!(geo("PT-P900W", "tze-36").is_ok());
        assert!(geo("PT-P900W", "hs3-31").is_ok());
    }

    #[test]
    fn every_model_takes_some_media() {
        for model in MODELS {
            assert!(
                MEDIA.iter().any(|m| geometry(model, m).is_ok()),
                "{}",
                model.name
            );
        }
    }

    #[test]
    fn die_cut_labels_carry_their_length() {
        // §8 check 3: 29×90 die-cut → n3 = 0x1D, n4 = 0x5A, 991 lines, margin 0.
        let g = geo("QL-820NWB", "dk-29x90").expect("fits");
        let m = Media::by_id("dk-29x90").expect("media");
        assert_eq!((m.width_mm, m.length_mm), (0x1D, 0x5A));
        assert_eq!(g.label_lines, 991);
        assert_eq!(g.default_margin, 0);
        assert_eq!(geo("QL-820NWB", "dk-62").expect("fits").default_margin, 35);
        // §6.3: "39x90" is 38 mm wide; 102x152 declares 153 mm.
        assert_eq!(Media::by_id("dk-38x90").map(|m| m.width_mm), Some(0x26));
        assert_eq!(Media::by_id("dk-102x152").map(|m| m.length_mm), Some(0x99));
    }

    #[test]
    fn status_media_codes_round_trip() {
        let ql800 = Model::by_name("QL-820NWB").expect("model");
        let ql720 = Model::by_name("QL-720NW").expect("model");
        let dk = Media::by_id("dk-29x90").expect("media");
        assert_eq!(dk.status_type(ql800), 0x4B);
        assert_eq!(dk.status_type(ql720), 0x0B);
        assert_eq!(
            Media::from_status(Family::Ql, 29, 0x4B, 90).map(|m| m.id),
            Some("dk-29x90")
        );
        assert_eq!(
            Media::from_status(Family::Ql, 62, 0x0A, 0).map(|m| m.id),
            Some("dk-62")
        );
        assert_eq!(
            Media::from_status(Family::Pt128, 12, 0x01, 0).map(|m| m.id),
            Some("tze-12")
        );
        assert_eq!(
            Media::from_status(Family::Pt128, 12, 0x11, 0).map(|m| m.id),
            Some("hs-11.7")
        );
        assert_eq!(Media::from_status(Family::Pt128, 36, 0x01, 0), None);
    }

    #[test]
    fn a_two_colour_roll_matches_the_plain_roll_it_reports_as() {
        // brother-raster.md §7: the status block has width (10), kind (11) and length (17),
        // and no two-colour field, so a loaded DK-22251 reads as the plain 62 mm roll.
        let ql = Model::by_name("QL-820NWB").expect("model");
        let red = Media::by_id("dk-62-red").expect("media");
        let block = crate::Status::ready(ql, Some(red));
        let reported = Media::from_status(
            ql.family,
            block.media_width_mm,
            block.media_type,
            block.media_length_mm,
        )
        .expect("a 62 mm continuous roll");
        assert_eq!(reported.id, "dk-62");
        assert!(red.status_matches(reported), "red/black is not observable");
        let plain = Media::by_id("dk-62").expect("media");
        assert!(plain.status_matches(reported));
        assert!(red.status_matches(plain) && plain.status_matches(red));
    }

    #[test]
    fn media_the_status_tells_apart_do_not_match() {
        let id = |id: &str| Media::by_id(id).expect("media");
        // Width (byte 10).
        assert!(!id("dk-62-red").status_matches(id("dk-29")));
        assert!(!id("tze-24").status_matches(id("tze-12")));
        // Kind (byte 11): continuous vs die-cut, tape vs heat-shrink.
        assert!(!id("dk-62-red").status_matches(id("dk-62x29")));
        assert!(!id("tze-12").status_matches(id("hs-11.7")));
        // Length (byte 17).
        assert!(!id("dk-62x29").status_matches(id("dk-62x100")));
        // Round labels report die-cut (0x0B) with their diameter as width and length.
        assert!(id("dk-d24").status_matches(id("dk-d24")));
        assert!(id("dk-62x29").status_matches(id("dk-62x29")));
    }

    #[test]
    fn every_medium_matches_what_a_printer_holding_it_reports() {
        for model in MODELS.iter().filter(|m| !m.status_codes.is_empty()) {
            for media in MEDIA.iter().filter(|m| geometry(model, m).is_ok()) {
                let block = crate::Status::ready(model, Some(media));
                let reported = Media::from_status(
                    model.family,
                    block.media_width_mm,
                    block.media_type,
                    block.media_length_mm,
                );
                let Some(reported) = reported else {
                    panic!("{} with {} reports nothing", model.name, media.id)
                };
                assert!(
                    media.status_matches(reported),
                    "{} with {} reports {}",
                    model.name,
                    media.id,
                    reported.id
                );
            }
        }
    }
}
