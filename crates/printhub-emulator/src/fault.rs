//! Injectable faults: what a test can make the printer do wrong, and the
//! bookkeeping of which faults are armed or have fired.
//!
//! Faults are set and cleared through the handle at any time; the session
//! and the agent read them under the shared lock at the moment they decide
//! (see `state.rs`). Some faults are conditions the printer reports until
//! cleared (cover open, no media, a system error, a cutter jam or end of
//! media once they have happened; offline, which only the standard printer
//! MIB can tell); some change the transport (turned off, dropped
//! connection, hang, slow or garbled status blocks); cooling stretches the
//! next page's print and says so.

use printhub_raster::ErrorFlags;
use std::time::Duration;

/// A fault to inject with [`EmulatorHandle::set_fault`](crate::EmulatorHandle::set_fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The media compartment is empty: status reports no media and
    /// `NO_MEDIA`; every page fails with `NO_MEDIA`. Clearing it puts the
    /// configured medium back.
    NoMedia,
    /// The cover is open: status reports `COVER_OPEN`; every page fails with it.
    CoverOpen,
    /// The cutter jams at the next page whose print asks for a cut (auto cut
    /// or cut at end): that page fails with `CUTTER_JAM`, and status reports
    /// `CUTTER_JAM` from then on until the fault is cleared.
    CutterJam,
    /// The printer is off: the TCP listener is closed (connections are
    /// refused), an open connection is closed, and the SNMP agent stops
    /// answering. Clearing it reopens the listener on the same address.
    TurnedOff,
    /// The printer closes the connection after this many more received bytes
    /// (of the open connection, or the next one). Fires once.
    DropAfter(usize),
    /// The printer stops reading from the socket but keeps it open; reading
    /// resumes when the fault is cleared.
    Hang,
    /// Every status block is sent this much later (on TCP, and SNMP
    /// replies that carry the Brother status object).
    SlowStatus(Duration),
    /// Every status block is replaced by 32 bytes that do not start
    /// `80 20 42` (on TCP, and the SNMP Brother status object). Pages still print.
    GarbledStatus,
    /// The roll ends after this many more labels: the next page after them
    /// fails with `END_OF_MEDIA`, and status reports it until cleared.
    EndOfMediaAfter(u32),
    /// The head overheats on the next page that prints: the printer sends
    /// the notification "cooling started" (status type 05, notification 03,
    /// brother-raster.md §5.2, §7), prints this much longer, then sends
    /// "cooling finished" (04) before "printing completed". Fires once.
    Cooling(Duration),
    /// The printer is offline (taken offline at its panel): the standard
    /// printer MIB reports `offline` (hrPrinterDetectedErrorState bit 6,
    /// RFC 2790) and hrPrinterStatus `other`. Brother's status block has no
    /// such field and is unchanged. Like [`Fault::Hang`], nothing is read
    /// from the socket until the fault is cleared: an offline printer takes
    /// no job.
    Offline,
    /// The printer needs service: status reports `SYSTEM` ("system error",
    /// error information 2 bit 7, brother-raster.md §7) and every page fails
    /// with it; the standard printer MIB reports `serviceRequested`
    /// (hrPrinterDetectedErrorState bit 7, RFC 2790).
    SystemError,
}

/// The kind of a [`Fault`], to clear it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// [`Fault::NoMedia`].
    NoMedia,
    /// [`Fault::CoverOpen`].
    CoverOpen,
    /// [`Fault::CutterJam`].
    CutterJam,
    /// [`Fault::TurnedOff`].
    TurnedOff,
    /// [`Fault::DropAfter`].
    DropAfter,
    /// [`Fault::Hang`].
    Hang,
    /// [`Fault::SlowStatus`].
    SlowStatus,
    /// [`Fault::GarbledStatus`].
    GarbledStatus,
    /// [`Fault::EndOfMediaAfter`].
    EndOfMedia,
    /// [`Fault::Cooling`].
    Cooling,
    /// [`Fault::Offline`].
    Offline,
    /// [`Fault::SystemError`].
    SystemError,
}

impl Fault {
    /// The kind of this fault.
    pub const fn kind(&self) -> FaultKind {
        match self {
            Fault::NoMedia => FaultKind::NoMedia,
            Fault::CoverOpen => FaultKind::CoverOpen,
            Fault::CutterJam => FaultKind::CutterJam,
            Fault::TurnedOff => FaultKind::TurnedOff,
            Fault::DropAfter(_) => FaultKind::DropAfter,
            Fault::Hang => FaultKind::Hang,
            Fault::SlowStatus(_) => FaultKind::SlowStatus,
            Fault::GarbledStatus => FaultKind::GarbledStatus,
            Fault::EndOfMediaAfter(_) => FaultKind::EndOfMedia,
            Fault::Cooling(_) => FaultKind::Cooling,
            Fault::Offline => FaultKind::Offline,
            Fault::SystemError => FaultKind::SystemError,
        }
    }
}

/// A fault that waits for a trigger and then stays until cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Latch {
    /// Not injected.
    #[default]
    Off,
    /// Injected; fires at its trigger.
    Armed,
    /// Fired; reported until cleared.
    Fired,
}

/// The faults in force. Read and changed under the shared lock.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    pub no_media: bool,
    pub cover_open: bool,
    pub cutter_jam: Latch,
    pub turned_off: bool,
    pub drop_after: Option<usize>,
    pub hang: bool,
    pub slow_status: Option<Duration>,
    pub garbled_status: bool,
    /// Labels left before the roll ends, while armed.
    pub labels_left: Option<u32>,
    pub end_of_media: Latch,
    /// Extra print time of the next page, with cooling notifications around it.
    pub cooling: Option<Duration>,
    pub offline: bool,
    pub system_error: bool,
}

impl Faults {
    /// Injects `fault`, replacing one of the same kind.
    pub fn set(&mut self, fault: Fault) {
        match fault {
            Fault::NoMedia => self.no_media = true,
            Fault::CoverOpen => self.cover_open = true,
            Fault::CutterJam => self.cutter_jam = Latch::Armed,
            Fault::TurnedOff => self.turned_off = true,
            Fault::DropAfter(n) => self.drop_after = Some(n),
            Fault::Hang => self.hang = true,
            Fault::SlowStatus(delay) => self.slow_status = Some(delay),
            Fault::GarbledStatus => self.garbled_status = true,
            Fault::EndOfMediaAfter(n) => {
                self.labels_left = Some(n);
                self.end_of_media = Latch::Armed;
            }
            Fault::Cooling(delay) => self.cooling = Some(delay),
            Fault::Offline => self.offline = true,
            Fault::SystemError => self.system_error = true,
        }
    }

    /// Clears every fault of `kind`.
    pub fn clear(&mut self, kind: FaultKind) {
        match kind {
            FaultKind::NoMedia => self.no_media = false,
            FaultKind::CoverOpen => self.cover_open = false,
            FaultKind::CutterJam => self.cutter_jam = Latch::Off,
            FaultKind::TurnedOff => self.turned_off = false,
            FaultKind::DropAfter => self.drop_after = None,
            FaultKind::Hang => self.hang = false,
            FaultKind::SlowStatus => self.slow_status = None,
            FaultKind::GarbledStatus => self.garbled_status = false,
            FaultKind::EndOfMedia => {
                self.labels_left = None;
                self.end_of_media = Latch::Off;
            }
            FaultKind::Cooling => self.cooling = None,
            FaultKind::Offline => self.offline = false,
            FaultKind::SystemError => self.system_error = false,
        }
    }

    /// The faults in force, as they were injected (a fired cutter jam or end
    /// of media is still listed; a fired drop is not).
    pub fn list(&self) -> Vec<Fault> {
        let mut faults = Vec::new();
        if self.no_media {
            faults.push(Fault::NoMedia);
        }
        if self.cover_open {
            faults.push(Fault::CoverOpen);
        }
        if self.cutter_jam != Latch::Off {
            faults.push(Fault::CutterJam);
        }
        if self.turned_off {
            faults.push(Fault::TurnedOff);
        }
        if let Some(n) = self.drop_after {
            faults.push(Fault::DropAfter(n));
        }
        if self.hang {
            faults.push(Fault::Hang);
        }
        if let Some(delay) = self.slow_status {
            faults.push(Fault::SlowStatus(delay));
        }
        if self.garbled_status {
            faults.push(Fault::GarbledStatus);
        }
        if self.end_of_media != Latch::Off {
            faults.push(Fault::EndOfMediaAfter(self.labels_left.unwrap_or(0)));
        }
        if let Some(delay) = self.cooling {
            faults.push(Fault::Cooling(delay));
        }
        if self.offline {
            faults.push(Fault::Offline);
        }
        if self.system_error {
            faults.push(Fault::SystemError);
        }
        faults
    }

    /// The error conditions the printer reports in every status block
    /// (media presence is added by the caller, who knows the loaded medium).
    pub fn condition_flags(&self) -> ErrorFlags {
        let mut flags = ErrorFlags::empty();
        if self.no_media {
            flags |= ErrorFlags::NO_MEDIA;
        }
        if self.cover_open {
            flags |= ErrorFlags::COVER_OPEN;
        }
        if self.cutter_jam == Latch::Fired {
            flags |= ErrorFlags::CUTTER_JAM;
        }
        if self.end_of_media == Latch::Fired {
            flags |= ErrorFlags::END_OF_MEDIA;
        }
        if self.system_error {
            flags |= ErrorFlags::SYSTEM;
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latched_faults_report_only_after_firing() {
        let mut faults = Faults::default();
        faults.set(Fault::CutterJam);
        faults.set(Fault::EndOfMediaAfter(2));
        assert_eq!(faults.condition_flags(), ErrorFlags::empty());
        faults.cutter_jam = Latch::Fired;
        faults.end_of_media = Latch::Fired;
        assert_eq!(
            faults.condition_flags(),
            ErrorFlags::CUTTER_JAM | ErrorFlags::END_OF_MEDIA
        );
        faults.clear(FaultKind::CutterJam);
        faults.clear(FaultKind::EndOfMedia);
        assert_eq!(faults.condition_flags(), ErrorFlags::empty());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn every_fault_lists_and_clears_by_its_kind() {
        let all = [
            Fault::NoMedia,
            Fault::CoverOpen,
            Fault::CutterJam,
            Fault::TurnedOff,
            Fault::DropAfter(3),
            Fault::Hang,
            Fault::SlowStatus(Duration::from_millis(5)),
            Fault::GarbledStatus,
            Fault::EndOfMediaAfter(4),
            Fault::Cooling(Duration::from_millis(7)),
            Fault::Offline,
            Fault::SystemError,
        ];
        let mut faults = Faults::default();
        for fault in all {
            faults.set(fault);
        }
        assert_eq!(faults.list(), all.to_vec());
        for fault in all {
            faults.clear(fault.kind());
        }
        assert!(faults.list().is_empty());
    }
}
