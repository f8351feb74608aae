//! The 32-byte status block Brother printers send (reply to `ESC i S`,
//! phase changes, printing completed, errors, notifications): parse, build,
//! and the derived readiness the hub acts on (brother-raster.md §7).
//!
//! Parsing follows the peers' rule: exactly 32 bytes starting `80 20 42`,
//! anything else is an error; unknown enum values are kept as `Unknown(n)`
//! rather than failing.

use crate::media::Media;
use crate::model::Model;
use bitflags::bitflags;
use serde::Serialize;
use thiserror::Error;

/// Length of a status block.
pub const STATUS_LEN: usize = 32;

bitflags! {
    /// Error information 1 (byte 8, low byte) and 2 (byte 9, high byte).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct ErrorFlags: u16 {
        /// Byte 8 bit 0: no media.
        const NO_MEDIA = 0x0001;
        /// Byte 8 bit 1: end of media (QL die-cut, PT-P900).
        const END_OF_MEDIA = 0x0002;
        /// Byte 8 bit 2: cutter jam.
        const CUTTER_JAM = 0x0004;
        /// Byte 8 bit 3: weak batteries (PT).
        const WEAK_BATTERY = 0x0008;
        /// Byte 8 bit 4: printer in use (QL-560/650TD/1050).
        const IN_USE = 0x0010;
        /// Byte 8 bit 5: printer turned off (QL).
        const TURNED_OFF = 0x0020;
        /// Byte 8 bit 6: high-voltage adapter (PT).
        const HIGH_VOLTAGE_ADAPTER = 0x0040;
        /// Byte 8 bit 7: fan motor error (QL-1050/1060N).
        const FAN_MOTOR = 0x0080;
        /// Byte 9 bit 0: replace media / wrong media.
        const WRONG_MEDIA = 0x0100;
        /// Byte 9 bit 1: expansion buffer full.
        const EXPANSION_BUFFER_FULL = 0x0200;
        /// Byte 9 bit 2: communication error.
        const COMMUNICATION = 0x0400;
        /// Byte 9 bit 3: communication buffer full.
        const COMMUNICATION_BUFFER_FULL = 0x0800;
        /// Byte 9 bit 4: cover open.
        const COVER_OPEN = 0x1000;
        /// Byte 9 bit 5: overheating (PT) / cancel key (QL).
        const OVERHEATING = 0x2000;
        /// Byte 9 bit 6: media cannot be fed (QL) / black mark not detected (P900).
        const FEED_ERROR = 0x4000;
        /// Byte 9 bit 7: system error.
        const SYSTEM = 0x8000;
    }
}

/// Byte 18: why the block was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusType {
    /// 00: reply to `ESC i S`.
    Reply,
    /// 01: printing completed (page accepted).
    PrintingCompleted,
    /// 02: error occurred; the printer discarded its buffer.
    Error,
    /// 03: exit IF mode (unused).
    ExitIfMode,
    /// 04: turned off.
    TurnedOff,
    /// 05: notification (byte 22).
    Notification,
    /// 06: phase change (bytes 19–21).
    PhaseChange,
    /// Any other value.
    Unknown(u8),
}

impl StatusType {
    /// The wire value.
    pub const fn to_byte(self) -> u8 {
        match self {
            StatusType::Reply => 0x00,
            StatusType::PrintingCompleted => 0x01,
            StatusType::Error => 0x02,
            StatusType::ExitIfMode => 0x03,
            StatusType::TurnedOff => 0x04,
            StatusType::Notification => 0x05,
            StatusType::PhaseChange => 0x06,
            StatusType::Unknown(b) => b,
        }
    }

    /// Parses the wire value.
    pub const fn from_byte(b: u8) -> Self {
        match b {
            0x00 => StatusType::Reply,
            0x01 => StatusType::PrintingCompleted,
            0x02 => StatusType::Error,
            0x03 => StatusType::ExitIfMode,
            0x04 => StatusType::TurnedOff,
            0x05 => StatusType::Notification,
            0x06 => StatusType::PhaseChange,
            b => StatusType::Unknown(b),
        }
    }
}

/// Byte 19: phase type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// 00: receiving ("editing"): ready for data.
    Receiving,
    /// 01: printing.
    Printing,
    /// Any other value.
    Unknown(u8),
}

impl Phase {
    /// The wire value.
    pub const fn to_byte(self) -> u8 {
        match self {
            Phase::Receiving => 0x00,
            Phase::Printing => 0x01,
            Phase::Unknown(b) => b,
        }
    }

    /// Parses the wire value.
    pub const fn from_byte(b: u8) -> Self {
        match b {
            0x00 => Phase::Receiving,
            0x01 => Phase::Printing,
            b => Phase::Unknown(b),
        }
    }
}

/// Byte 22: notification number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notification {
    /// 00: none.
    None,
    /// 01: cover open.
    CoverOpen,
    /// 02: cover closed.
    CoverClosed,
    /// 03: cooling started.
    CoolingStarted,
    /// 04: cooling finished.
    CoolingFinished,
    /// Any other value (05–08: peel wait / pause on other models).
    Unknown(u8),
}

impl Notification {
    /// The wire value.
    pub const fn to_byte(self) -> u8 {
        match self {
            Notification::None => 0x00,
            Notification::CoverOpen => 0x01,
            Notification::CoverClosed => 0x02,
            Notification::CoolingStarted => 0x03,
            Notification::CoolingFinished => 0x04,
            Notification::Unknown(b) => b,
        }
    }

    /// Parses the wire value.
    pub const fn from_byte(b: u8) -> Self {
        match b {
            0x00 => Notification::None,
            0x01 => Notification::CoverOpen,
            0x02 => Notification::CoverClosed,
            0x03 => Notification::CoolingStarted,
            0x04 => Notification::CoolingFinished,
            b => Notification::Unknown(b),
        }
    }
}

/// Why a status block could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StatusError {
    /// Not 32 bytes.
    #[error("a status block is 32 bytes, got {0}")]
    Length(usize),
    /// Does not start with `80 20 42`.
    #[error("status block header {0:02X?} is not 80 20 42")]
    Header([u8; 3]),
}

impl StatusError {
    /// Stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            StatusError::Length(_) => "status_length",
            StatusError::Header(_) => "status_header",
        }
    }
}

/// A decoded status block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Byte 3: series code (0x30 PT, 0x34 QL-7xx/8xx).
    pub series: u8,
    /// Byte 4: model code.
    pub model_code: u8,
    /// Byte 6: battery level (PT-P900) or reserved.
    pub battery: u8,
    /// Byte 7: extended error (PT-P900).
    pub extended_error: u8,
    /// Bytes 8–9: error flags.
    pub errors: ErrorFlags,
    /// Byte 10: media width in mm (0 = none).
    pub media_width_mm: u8,
    /// Byte 11: media type.
    pub media_type: u8,
    /// Byte 14: QL-720NW fixed 0x3F; CAPS: QL-8xx cassette id.
    pub byte14: u8,
    /// Byte 15: last `ESC i M` value.
    pub mode: u8,
    /// Byte 17: media length in mm (die-cut).
    pub media_length_mm: u8,
    /// Byte 18: status type.
    pub status_type: StatusType,
    /// Byte 19: phase type.
    pub phase: Phase,
    /// Bytes 20–21: phase number, big-endian.
    pub phase_number: u16,
    /// Byte 22: notification.
    pub notification: Notification,
    /// Byte 24: tape colour (PT).
    pub tape_colour: u8,
    /// Byte 25: text colour (PT).
    pub text_colour: u8,
}

/// What the hub should conclude from a status block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum Readiness {
    /// No error, receiving phase: data may be sent.
    Ready,
    /// Printing: wait for the phase to return to receiving.
    Busy,
    /// A person must act.
    NeedsAttention(Reason),
    /// The printer reported it is turning off.
    TurnedOff,
}

/// Why a printer needs attention, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Cover open.
    CoverOpen,
    /// No media loaded.
    NoMedia,
    /// Media ran out.
    EndOfMedia,
    /// Wrong media for the job.
    WrongMedia,
    /// Cutter jam.
    CutterJam,
    /// Media cannot be fed.
    FeedError,
    /// Overheating.
    Overheating,
    /// Cooling (notification).
    Cooling,
    /// Weak battery.
    WeakBattery,
    /// Another host is using the printer.
    InUse,
    /// Fan motor error.
    FanMotor,
    /// High-voltage adapter connected.
    HighVoltageAdapter,
    /// Communication error or buffer overflow.
    Communication,
    /// System error.
    SystemError,
}

impl Reason {
    /// Stable machine code (matches the hub's error codes where one exists).
    pub const fn code(self) -> &'static str {
        match self {
            Reason::CoverOpen => "printer_cover_open",
            Reason::NoMedia => "no_media",
            Reason::EndOfMedia => "end_of_media",
            Reason::WrongMedia => "media_mismatch",
            Reason::CutterJam => "cutter_jam",
            Reason::FeedError => "feed_error",
            Reason::Overheating => "overheating",
            Reason::Cooling => "cooling",
            Reason::WeakBattery => "weak_battery",
            Reason::InUse => "printer_in_use",
            Reason::FanMotor => "fan_motor_error",
            Reason::HighVoltageAdapter => "high_voltage_adapter",
            Reason::Communication => "communication_error",
            Reason::SystemError => "system_error",
        }
    }
}

const REASONS: &[(ErrorFlags, Reason)] = &[
    (ErrorFlags::COVER_OPEN, Reason::CoverOpen),
    (ErrorFlags::NO_MEDIA, Reason::NoMedia),
    (ErrorFlags::END_OF_MEDIA, Reason::EndOfMedia),
    (ErrorFlags::WRONG_MEDIA, Reason::WrongMedia),
    (ErrorFlags::CUTTER_JAM, Reason::CutterJam),
    (ErrorFlags::FEED_ERROR, Reason::FeedError),
    (ErrorFlags::OVERHEATING, Reason::Overheating),
    (ErrorFlags::WEAK_BATTERY, Reason::WeakBattery),
    (ErrorFlags::IN_USE, Reason::InUse),
    (ErrorFlags::FAN_MOTOR, Reason::FanMotor),
    (ErrorFlags::HIGH_VOLTAGE_ADAPTER, Reason::HighVoltageAdapter),
    (ErrorFlags::COMMUNICATION, Reason::Communication),
    (ErrorFlags::COMMUNICATION_BUFFER_FULL, Reason::Communication),
    (ErrorFlags::EXPANSION_BUFFER_FULL, Reason::Communication),
    (ErrorFlags::SYSTEM, Reason::SystemError),
];

impl Status {
    /// A "ready" reply from `model` with `media` loaded (or none).
    pub fn ready(model: &Model, media: Option<&Media>) -> Self {
        let mut status = Status {
            series: model.family.series_code(),
            model_code: model.status_codes.first().copied().unwrap_or(0),
            battery: if model.family.is_pt() { 0x04 } else { 0x30 },
            extended_error: 0,
            errors: ErrorFlags::empty(),
            media_width_mm: 0,
            media_type: 0,
            byte14: 0,
            mode: 0,
            media_length_mm: 0,
            status_type: StatusType::Reply,
            phase: Phase::Receiving,
            phase_number: 0,
            notification: Notification::None,
            tape_colour: 0,
            text_colour: 0,
        };
        status.set_media(model, media);
        status
    }

    /// Sets the media bytes (10, 11, 17, and PT colours) for `media` loaded in `model`.
    pub fn set_media(&mut self, model: &Model, media: Option<&Media>) {
        match media {
            Some(m) => {
                self.media_width_mm = m.width_mm;
                self.media_type = m.status_type(model);
                self.media_length_mm = m.length_mm;
                if model.family.is_pt() {
                    // White tape, black text (heat-shrink: white tube).
                    self.tape_colour = if m.kind == crate::media::MediaKind::Tape {
                        0x01
                    } else {
                        0x70
                    };
                    self.text_colour = 0x08;
                }
            }
            None => {
                self.media_width_mm = 0;
                self.media_type = 0;
                self.media_length_mm = 0;
                self.tape_colour = 0;
                self.text_colour = 0;
            }
        }
    }

    /// Parses a 32-byte block.
    pub fn parse(bytes: &[u8]) -> Result<Self, StatusError> {
        if bytes.len() != STATUS_LEN {
            return Err(StatusError::Length(bytes.len()));
        }
        if bytes[0..3] != [0x80, 0x20, 0x42] {
            return Err(StatusError::Header([bytes[0], bytes[1], bytes[2]]));
        }
        Ok(Status {
            series: bytes[3],
            model_code: bytes[4],
            battery: bytes[6],
            extended_error: bytes[7],
            errors: ErrorFlags::from_bits_retain(u16::from_le_bytes([bytes[8], bytes[9]])),
            media_width_mm: bytes[10],
            media_type: bytes[11],
            byte14: bytes[14],
            mode: bytes[15],
            media_length_mm: bytes[17],
            status_type: StatusType::from_byte(bytes[18]),
            phase: Phase::from_byte(bytes[19]),
            phase_number: u16::from_be_bytes([bytes[20], bytes[21]]),
            notification: Notification::from_byte(bytes[22]),
            tape_colour: bytes[24],
            text_colour: bytes[25],
        })
    }

    /// The 32 bytes of this block.
    pub fn to_bytes(&self) -> [u8; STATUS_LEN] {
        let mut b = [0u8; STATUS_LEN];
        b[0] = 0x80;
        b[1] = 0x20;
        b[2] = 0x42;
        b[3] = self.series;
        b[4] = self.model_code;
        b[5] = 0x30;
        b[6] = self.battery;
        b[7] = self.extended_error;
        let e = self.errors.bits().to_le_bytes();
        b[8] = e[0];
        b[9] = e[1];
        b[10] = self.media_width_mm;
        b[11] = self.media_type;
        b[14] = self.byte14;
        b[15] = self.mode;
        b[17] = self.media_length_mm;
        b[18] = self.status_type.to_byte();
        b[19] = self.phase.to_byte();
        b[20..22].copy_from_slice(&self.phase_number.to_be_bytes());
        b[22] = self.notification.to_byte();
        b[24] = self.tape_colour;
        b[25] = self.text_colour;
        b
    }

    /// The model this block comes from, if known.
    pub fn model(&self) -> Option<&'static Model> {
        Model::from_status_code(self.series, self.model_code)
    }

    /// The medium loaded, if the printer reports one printhub knows.
    pub fn media(&self) -> Option<&'static Media> {
        let family = self.model()?.family;
        if self.media_width_mm == 0 {
            return None;
        }
        Media::from_status(
            family,
            self.media_width_mm,
            self.media_type,
            self.media_length_mm,
        )
    }

    /// The most urgent reason a person must act, if any.
    pub fn reason(&self) -> Option<Reason> {
        if let Some((_, reason)) = REASONS.iter().find(|(flag, _)| self.errors.contains(*flag)) {
            return Some(*reason);
        }
        if self.status_type == StatusType::Notification {
            match self.notification {
                Notification::CoverOpen => return Some(Reason::CoverOpen),
                Notification::CoolingStarted => return Some(Reason::Cooling),
                _ => {}
            }
        }
        None
    }

    /// What the hub should conclude.
    pub fn readiness(&self) -> Readiness {
        if self.status_type == StatusType::TurnedOff || self.errors.contains(ErrorFlags::TURNED_OFF)
        {
            return Readiness::TurnedOff;
        }
        if let Some(reason) = self.reason() {
            return Readiness::NeedsAttention(reason);
        }
        if self.phase == Phase::Printing {
            return Readiness::Busy;
        }
        Readiness::Ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(series: u8, model: u8) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[..6].copy_from_slice(&[0x80, 0x20, 0x42, series, model, 0x30]);
        b
    }

    #[test]
    fn parser_rejects_wrong_length_and_header() {
        // brother-raster.md §8 check 15: reject lengths ≠ 32 or a header ≠ 80 20 42.
        assert_eq!(
            Status::parse(&[0x80, 0x20, 0x42]),
            Err(StatusError::Length(3))
        );
        assert_eq!(Status::parse(&[0; 33]), Err(StatusError::Length(33)));
        let mut b = block(0x34, 0x41);
        b[2] = 0x43;
        assert_eq!(
            Status::parse(&b),
            Err(StatusError::Header([0x80, 0x20, 0x43]))
        );
    }

    #[test]
    fn ql820nwb_is_recognised_with_its_media() {
        // §8 check 15: `80 20 42 34 41 30 …` is a QL-820NWB; 0A/4A continuous, 0B/4B die-cut.
        let mut b = block(0x34, 0x41);
        b[10] = 62;
        b[11] = 0x4A;
        let s = Status::parse(&b).expect("valid");
        assert_eq!(s.model().map(|m| m.name), Some("QL-820NWB"));
        assert_eq!(s.media().map(|m| m.id), Some("dk-62"));
        b[10] = 29;
        b[11] = 0x0B;
        b[17] = 90;
        assert_eq!(
            Status::parse(&b).expect("valid").media().map(|m| m.id),
            Some("dk-29x90")
        );
        assert_eq!(s.readiness(), Readiness::Ready);
    }

    #[test]
    fn every_error_bit_maps_to_a_distinct_flag() {
        // §7 error information 1 and 2; §8 check 15.
        let table: &[(usize, u8, ErrorFlags)] = &[
            (8, 0x01, ErrorFlags::NO_MEDIA),
            (8, 0x02, ErrorFlags::END_OF_MEDIA),
            (8, 0x04, ErrorFlags::CUTTER_JAM),
            (8, 0x08, ErrorFlags::WEAK_BATTERY),
            (8, 0x10, ErrorFlags::IN_USE),
            (8, 0x20, ErrorFlags::TURNED_OFF),
            (8, 0x40, ErrorFlags::HIGH_VOLTAGE_ADAPTER),
            (8, 0x80, ErrorFlags::FAN_MOTOR),
            (9, 0x01, ErrorFlags::WRONG_MEDIA),
            (9, 0x02, ErrorFlags::EXPANSION_BUFFER_FULL),
            (9, 0x04, ErrorFlags::COMMUNICATION),
            (9, 0x08, ErrorFlags::COMMUNICATION_BUFFER_FULL),
            (9, 0x10, ErrorFlags::COVER_OPEN),
            (9, 0x20, ErrorFlags::OVERHEATING),
            (9, 0x40, ErrorFlags::FEED_ERROR),
            (9, 0x80, ErrorFlags::SYSTEM),
        ];
        let mut seen = ErrorFlags::empty();
        for &(byte, bit, flag) in table {
            let mut b = block(0x30, 0x68);
            b[byte] = bit;
            let s = Status::parse(&b).expect("valid");
            assert_eq!(s.errors, flag, "byte {byte} bit {bit:02X}");
            assert!(!seen.intersects(flag));
            seen |= flag;
            assert_eq!(s.to_bytes(), b);
            let readiness = s.readiness();
            if flag == ErrorFlags::TURNED_OFF {
                assert_eq!(readiness, Readiness::TurnedOff);
            } else {
                assert!(
                    matches!(readiness, Readiness::NeedsAttention(_)),
                    "{flag:?}"
                );
            }
        }
        assert_eq!(seen, ErrorFlags::all());
    }

    #[test]
    fn status_types_phases_and_notifications_round_trip() {
        for v in 0..=8u8 {
            assert_eq!(StatusType::from_byte(v).to_byte(), v);
            assert_eq!(Phase::from_byte(v).to_byte(), v);
            assert_eq!(Notification::from_byte(v).to_byte(), v);
        }
        assert_eq!(StatusType::from_byte(0x02), StatusType::Error);
        assert_eq!(StatusType::from_byte(0x06), StatusType::PhaseChange);
        assert_eq!(StatusType::from_byte(0x07), StatusType::Unknown(0x07));
        assert_eq!(Notification::from_byte(0x03), Notification::CoolingStarted);
    }

    #[test]
    fn readiness_follows_phase_and_notifications() {
        let model = Model::by_name("PT-P750W").expect("model");
        let media = Media::by_id("tze-12");
        let mut s = Status::ready(model, media);
        assert_eq!(s.readiness(), Readiness::Ready);
        assert_eq!(s.media().map(|m| m.id), Some("tze-12"));
        s.phase = Phase::Printing;
        s.status_type = StatusType::PhaseChange;
        assert_eq!(s.readiness(), Readiness::Busy);
        s.status_type = StatusType::Notification;
        s.notification = Notification::CoverOpen;
        assert_eq!(s.readiness(), Readiness::NeedsAttention(Reason::CoverOpen));
        s.notification = Notification::CoolingStarted;
        assert_eq!(s.readiness(), Readiness::NeedsAttention(Reason::Cooling));
        s.status_type = StatusType::TurnedOff;
        assert_eq!(s.readiness(), Readiness::TurnedOff);
        // Cover open outranks no media.
        let mut s = Status::ready(model, None);
        s.errors = ErrorFlags::NO_MEDIA | ErrorFlags::COVER_OPEN;
        assert_eq!(s.reason(), Some(Reason::CoverOpen));
        assert_eq!(s.reason().map(Reason::code), Some("printer_cover_open"));
    }

    #[test]
    fn built_blocks_parse_back() {
        for model in crate::model::MODELS {
            for media in crate::media::MEDIA {
                if crate::media::geometry(model, media).is_err() || model.status_codes.is_empty() {
                    continue;
                }
                let s = Status::ready(model, Some(media));
                let parsed = Status::parse(&s.to_bytes()).expect("valid");
                assert_eq!(parsed, s);
                if !media.two_colour {
                    assert_eq!(
                        parsed.media().map(|m| m.id),
                        Some(media.id),
                        "{} {}",
                        model.name,
                        media.id
                    );
                }
            }
        }
    }
}
