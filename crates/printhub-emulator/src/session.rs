//! One TCP connection's (or one USB job's) printer logic, sans-io: bytes in, actions out.
//!
//! The session feeds the stream to printhub-raster's strict [`Decoder`] and
//! acts on its events the way a Brother printer does: it answers `ESC i S`
//! (PT models only on TCP, brother-raster.md §5.3; every model over USB), checks each page's print
//! information against the loaded medium and the printer's conditions,
//! and turns every finished page into "printing" → "printing completed" →
//! "receiving" status blocks around the printed page (with "cooling
//! started"/"cooling finished" notifications inside when the head overheats).
//! A page prints on `0C` as on `1A`; when the connection then ends with no
//! `1A` (ptouch's `print(label, feed=False)`), the page is recorded as
//! printed without feed (not fed out, not cut) and the printer waits. On any error it emits
//! the error record and an error status block and then discards the rest of
//! the connection (§5.2: the printer discards its buffer).
//!
//! It does no I/O and reads no clock: the TCP thread passes the bytes, the
//! time and the locked printer state in, and performs the actions
//! ([`Session::poll_action`]) in order afterwards.

use crate::config::Speed;
use crate::fault::Latch;
use crate::record::{timestamp, JobError, PageMeta, RecordedError, RecordedPage};
use crate::state::Printer;
use printhub_raster::command::ADV_TWO_COLOUR;
use printhub_raster::{
    Command, DecodeError, Decoder, DecoderOptions, ErrorFlags, Event, Media, MediaKind, Model,
    Notification, Page, PageEnd, Phase, PrintInfo, Status, StatusType, Window,
};
use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

/// Something the TCP thread must do, in order.
#[derive(Debug)]
pub(crate) enum Action {
    /// Write this status block to the socket.
    Send(Status),
    /// The printer starts printing (SNMP reports "printing" from here).
    StartPrinting,
    /// Print a page: the printer is busy for `duration`, then the page is
    /// recorded and printing ends.
    Print {
        page: Box<RecordedPage>,
        duration: Duration,
    },
    /// Record a refused page or stream.
    Record(RecordedError),
    /// Record a command of the connection (every command but raster lines).
    Command(u64, Command),
    /// The connection ended after page `page` of job `job` ended with `0C`:
    /// mark that recorded page as printed without feed.
    EndedWithoutFeed { job: u64, page: usize },
}

/// The job a page belongs to.
#[derive(Debug, Clone, Copy)]
struct Job {
    number: u64,
    /// Index the next page of the job gets.
    next_page: usize,
}

/// One connection's state. See the module documentation.
#[derive(Debug)]
pub(crate) struct Session {
    model: &'static Model,
    speed: Speed,
    connection: u64,
    decoder: Decoder,
    /// Bytes received so far (the decoder may hold an incomplete command of them).
    received: u64,
    job: Option<Job>,
    discarding: bool,
    /// Answers `ESC i S`: PT models on TCP, every model over USB.
    answers_status: bool,
    actions: VecDeque<Action>,
}

impl Session {
    pub fn new(model: &'static Model, speed: Speed, connection: u64) -> Self {
        Session {
            model,
            speed,
            connection,
            decoder: Decoder::new(DecoderOptions { model: Some(model) }),
            received: 0,
            job: None,
            discarding: false,
            answers_status: model.answers_status_on_tcp,
            actions: VecDeque::new(),
        }
    }

    /// The session of a USB link: every model answers `ESC i S` there.
    pub fn over_usb(mut self) -> Self {
        self.answers_status = true;
        self
    }

    /// Handles bytes received from the client.
    pub fn handle_input(&mut self, data: &[u8], now: SystemTime, printer: &mut Printer) {
        self.received += data.len() as u64;
        if self.discarding {
            return;
        }
        let pushed = self.decoder.push(data);
        // Events before a decoding error are valid and come first, as on the wire.
        while let Some(event) = self.decoder.next_event() {
            self.handle_event(event, now, printer);
            if self.discarding {
                return;
            }
        }
        if let Err(error) = pushed {
            self.protocol_error(error, now, printer);
        }
    }

    /// Handles the client closing its side: an unfinished command or page is
    /// a `truncated` error (answered in case the client only half-closed); a
    /// last page that ended with `0C` stays printed, without feed.
    pub fn handle_eof(&mut self, now: SystemTime, printer: &mut Printer) {
        if self.discarding {
            return;
        }
        let finished = self.decoder.finish();
        while let Some(event) = self.decoder.next_event() {
            self.handle_event(event, now, printer);
            if self.discarding {
                return;
            }
        }
        if let Err(error) = finished {
            self.protocol_error(error, now, printer);
        }
    }

    /// Handles the printer dropping the connection (the `DropAfter` fault).
    pub fn handle_drop(&mut self, now: SystemTime) {
        if self.discarding {
            return;
        }
        let error = JobError::ConnectionDropped {
            offset: self.received,
        };
        self.record(error, ErrorFlags::empty(), now);
        self.discard();
    }

    /// The next action to perform.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    fn handle_event(&mut self, event: Event, now: SystemTime, printer: &mut Printer) {
        if let Event::Command { offset, command } = &event {
            if !matches!(command, Command::Raster { .. } | Command::ZeroRaster) {
                self.actions
                    .push_back(Action::Command(*offset, command.clone()));
            }
        }
        match event {
            Event::Command { offset, command } => match command {
                // Network QL models do not answer a standalone ESC i S on TCP (§5.3);
                // every model answers it over USB.
                Command::StatusRequest if self.answers_status => {
                    self.actions.push_back(Action::Send(printer.reply()));
                }
                Command::VariousMode { value } => printer.mode = value,
                Command::PrintInfo(info) => self.handle_print_info(offset, &info, now, printer),
                Command::Advanced { value } => {
                    let two_colour = !self.model.family.is_pt() && value & ADV_TWO_COLOUR != 0;
                    if two_colour && self.model.two_colour {
                        if let Some(loaded) = printer.media().filter(|m| !m.two_colour) {
                            let wanted = "a black/red roll (two-colour printing)".to_string();
                            self.wrong_media(offset, wanted, loaded, now, printer);
                        }
                    }
                }
                _ => {}
            },
            Event::Page(page) => self.handle_page(*page, now, printer),
            // The job is over: its last page printed on `0C` and is not fed out or cut.
            Event::EndWithoutFeed { .. } => {
                if let Some(job) = self.job.take() {
                    self.actions.push_back(Action::EndedWithoutFeed {
                        job: job.number,
                        page: job.next_page.saturating_sub(1),
                    });
                }
            }
        }
    }

    fn handle_print_info(
        &mut self,
        offset: u64,
        info: &PrintInfo,
        now: SystemTime,
        printer: &mut Printer,
    ) {
        if self.job.is_none() {
            self.job = Some(start_job(printer));
        }
        if self.condition_error(offset, now, printer) {
            return;
        }
        if let Some(loaded) = printer.media() {
            if let Some(wanted) = media_mismatch(self.model, loaded, info) {
                self.wrong_media(offset, wanted, loaded, now, printer);
            }
        }
    }

    fn handle_page(&mut self, page: Page, now: SystemTime, printer: &mut Printer) {
        let offset = page.end_offset;
        if self.condition_error(offset, now, printer) {
            return;
        }
        let max = self.model.max_lines as usize * if page.high_res() { 2 } else { 1 };
        if page.lines > max {
            let error = JobError::TooManyLines {
                offset,
                lines: page.lines,
                max,
            };
            self.fail(error, ErrorFlags::COMMUNICATION, now, printer);
            return;
        }
        if page.two_colour() {
            if let Some(loaded) = printer.media().filter(|m| !m.two_colour) {
                let wanted = "a black/red roll (two-colour lines)".to_string();
                self.wrong_media(offset, wanted, loaded, now, printer);
                return;
            }
        }
        let faults = &mut printer.faults;
        if faults.cutter_jam == Latch::Armed && (page.auto_cut() || page.cut_at_end()) {
            faults.cutter_jam = Latch::Fired;
            self.condition_error(offset, now, printer);
            return;
        }
        if faults.end_of_media == Latch::Armed {
            match faults.labels_left {
                Some(0) | None => {
                    faults.end_of_media = Latch::Fired;
                    faults.labels_left = Some(0);
                    self.condition_error(offset, now, printer);
                    return;
                }
                Some(n) => faults.labels_left = Some(n - 1),
            }
        }
        // The decoder only ends pages that had print information, which started the job.
        let job = match self.job.take() {
            Some(job) => job,
            None => start_job(printer),
        };
        let recorded = self.record_page(page, job, now, printer);
        if recorded.page.end == PageEnd::Print {
            self.job = Some(Job {
                next_page: job.next_page + 1,
                ..job
            });
        }
        let mut duration = self.print_time(&recorded.page);
        // An overheating head (the Cooling fault, once): notified, and the page takes longer.
        let cooling = printer.faults.cooling.take();
        self.actions.push_back(Action::StartPrinting);
        self.actions.push_back(Action::Send(
            printer.status(StatusType::PhaseChange, Phase::Printing),
        ));
        if let Some(delay) = cooling {
            let mut started = printer.status(StatusType::Notification, Phase::Printing);
            started.notification = Notification::CoolingStarted;
            self.actions.push_back(Action::Send(started));
            duration += delay;
        }
        self.actions.push_back(Action::Print {
            page: Box::new(recorded),
            duration,
        });
        if cooling.is_some() {
            let mut finished = printer.status(StatusType::Notification, Phase::Printing);
            finished.notification = Notification::CoolingFinished;
            self.actions.push_back(Action::Send(finished));
        }
        self.actions.push_back(Action::Send(
            printer.status(StatusType::PrintingCompleted, Phase::Printing),
        ));
        self.actions.push_back(Action::Send(
            printer.status(StatusType::PhaseChange, Phase::Receiving),
        ));
    }

    fn record_page(
        &self,
        page: Page,
        job: Job,
        now: SystemTime,
        printer: &Printer,
    ) -> RecordedPage {
        let media = page.media().or(printer.media());
        let window = media.and_then(|m| m.window(page.family)).unwrap_or(Window {
            offset: 0,
            printable: page.family.pins(),
        });
        let black = page.bitmap(window);
        let red = page.red_bitmap(window);
        let meta = PageMeta {
            model: self.model.name,
            media: media.map(|m| m.id),
            raster_lines: page.lines,
            width_dots: window.printable as usize,
            auto_cut: page.auto_cut(),
            half_cut: page.half_cut(),
            cut_at_end: page.cut_at_end(),
            chain: !page.cut_at_end(),
            high_res: page.high_res(),
            two_colour: page.two_colour(),
            mirror: page.mirror(),
            compressed: page.compressed,
            margin: page.margin,
            ink_outside: page.ink_outside(window),
            end: page.end,
            // Known only when the connection ends (`Action::EndedWithoutFeed`).
            printed_without_feed: false,
            job: job.number,
            page: job.next_page,
            connection: self.connection,
            timestamp: timestamp(now),
        };
        RecordedPage {
            meta,
            black,
            red,
            page,
            // The TCP side times the print.
            print: None,
        }
    }

    /// How long the page takes at the model's nominal speed (zero in instant
    /// mode, divided by the factor when faster).
    fn print_time(&self, page: &Page) -> Duration {
        let factor = match self.speed {
            Speed::Instant => return Duration::ZERO,
            Speed::Real => 1.0,
            Speed::Faster(factor) => f64::from(factor.max(1)),
        };
        if self.model.speed_mm_s == 0 {
            return Duration::ZERO;
        }
        let dpi = if page.high_res() {
            self.model.high_res_dpi.unwrap_or(self.model.dpi())
        } else {
            self.model.dpi()
        };
        let length_mm = page.lines as f64 / f64::from(dpi) * 25.4;
        Duration::from_secs_f64(length_mm / f64::from(self.model.speed_mm_s) / factor)
    }

    /// Fails the page if the printer is in an error condition. Returns whether it did.
    fn condition_error(&mut self, offset: u64, now: SystemTime, printer: &mut Printer) -> bool {
        let flags = printer.condition_flags();
        let mut status = printer.status(StatusType::Error, Phase::Receiving);
        status.errors = flags;
        match status.reason() {
            Some(reason) => {
                self.fail(
                    JobError::Condition {
                        offset,
                        flags,
                        reason,
                    },
                    flags,
                    now,
                    printer,
                );
                true
            }
            None => false,
        }
    }

    fn wrong_media(
        &mut self,
        offset: u64,
        wanted: String,
        loaded: &'static Media,
        now: SystemTime,
        printer: &mut Printer,
    ) {
        let error = JobError::WrongMedia {
            offset,
            wanted,
            loaded: loaded.id,
        };
        self.fail(error, ErrorFlags::WRONG_MEDIA, now, printer);
    }

    fn protocol_error(&mut self, error: DecodeError, now: SystemTime, printer: &mut Printer) {
        self.fail(
            JobError::Protocol(error),
            ErrorFlags::COMMUNICATION,
            now,
            printer,
        );
    }

    /// Records `error`, answers with an error status block carrying `flags`
    /// (and the printer's standing conditions), and discards the rest of the connection.
    fn fail(&mut self, error: JobError, flags: ErrorFlags, now: SystemTime, printer: &mut Printer) {
        let flags = flags | printer.condition_flags();
        log::warn!("connection {}: {error}", self.connection);
        self.record(error, flags, now);
        let mut status = printer.status(StatusType::Error, Phase::Receiving);
        status.errors = flags;
        self.actions.push_back(Action::Send(status));
        self.discard();
    }

    fn record(&mut self, error: JobError, flags: ErrorFlags, now: SystemTime) {
        self.actions.push_back(Action::Record(RecordedError {
            error,
            flags,
            job: self.job.map_or(0, |j| j.number),
            connection: self.connection,
            timestamp: timestamp(now),
        }));
    }

    fn discard(&mut self) {
        self.discarding = true;
        self.job = None;
    }
}

/// Opens a new job with the next job number.
fn start_job(printer: &mut Printer) -> Job {
    let number = printer.next_job;
    printer.next_job += 1;
    Job {
        number,
        next_page: 0,
    }
}

/// What the print information declares that the loaded medium is not, if anything.
fn media_mismatch(model: &Model, loaded: &Media, info: &PrintInfo) -> Option<String> {
    if info.width_valid() && info.width_mm != loaded.width_mm {
        return Some(format!("{} mm wide media", info.width_mm));
    }
    if info.kind_valid() && !kind_matches(model, loaded.kind, info.media_type) {
        return Some(format!("media type 0x{:02X}", info.media_type));
    }
    if info.length_valid() && loaded.kind.is_die_cut() && info.length_mm != loaded.length_mm {
        return Some(format!("{} mm long labels", info.length_mm));
    }
    None
}

/// Whether `ESC i z` n2 names the kind of the loaded medium (brother-raster.md §1.1).
fn kind_matches(model: &Model, loaded: MediaKind, media_type: u8) -> bool {
    if model.family.is_pt() {
        match media_type {
            // 00 "not specified" (ptouch sends it with the kind flag), laminated, non-laminated.
            0x00 | 0x01 | 0x03 => loaded == MediaKind::Tape,
            0x11 => loaded == MediaKind::HeatShrink2,
            0x17 => loaded == MediaKind::HeatShrink3,
            _ => false,
        }
    } else {
        match media_type {
            0x0A | 0x4A => loaded == MediaKind::Continuous,
            0x0B | 0x4B => loaded.is_die_cut(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(flags: u8, media_type: u8, width_mm: u8, length_mm: u8) -> PrintInfo {
        PrintInfo {
            flags,
            media_type,
            width_mm,
            length_mm,
            raster_count: 100,
            page: 0,
            reserved: 0,
        }
    }

    fn mismatch(model: &str, loaded: &str, info: PrintInfo) -> bool {
        let model = Model::by_name(model).expect("model");
        let loaded = Media::by_id(loaded).expect("media");
        media_mismatch(model, loaded, &info).is_some()
    }

    #[test]
    fn print_information_is_checked_only_where_flagged() {
        use printhub_raster::command::{PI_KIND, PI_LENGTH, PI_WIDTH};
        // ptouch: n1 = 0x86 with n2 = 00 on TZe tape is accepted (§9).
        assert!(!mismatch("PT-P750W", "tze-12", info(0x86, 0x00, 12, 0)));
        assert!(mismatch("PT-P750W", "tze-12", info(PI_WIDTH, 0x00, 24, 0)));
        assert!(!mismatch("PT-P750W", "tze-12", info(0, 0x00, 24, 0)));
        assert!(mismatch(
            "PT-P750W",
            "hs-11.7",
            info(PI_KIND | PI_WIDTH, 0x00, 12, 0)
        ));
        assert!(!mismatch(
            "PT-P750W",
            "hs-11.7",
            info(PI_KIND | PI_WIDTH, 0x11, 12, 0)
        ));
        assert!(mismatch("PT-P750W", "tze-12", info(PI_KIND, 0x11, 12, 0)));
        // QL: brother_ql's n1 = 0xCE checks kind, width and length.
        assert!(!mismatch("QL-820NWB", "dk-29x90", info(0xCE, 0x0B, 29, 90)));
        assert!(mismatch("QL-820NWB", "dk-29x90", info(0xCE, 0x0B, 29, 42)));
        assert!(mismatch("QL-820NWB", "dk-29x90", info(0xCE, 0x0A, 29, 0)));
        assert!(mismatch("QL-820NWB", "dk-62", info(0xCE, 0x0B, 62, 29)));
        assert!(!mismatch(
            "QL-820NWB",
            "dk-62",
            info(PI_LENGTH | PI_WIDTH, 0x0A, 62, 0)
        ));
    }
}
