//! The printer's shared state: loaded medium, faults, phase, records, and
//! the one `Mutex` + `Condvar` pair every thread synchronises on.
//!
//! Threading: the TCP thread, the SNMP thread and the handle (any test
//! thread) lock [`Shared::lock`] briefly; nobody holds the lock across I/O or
//! a pause. Every change that a waiter could be waiting for (a record
//! appended, a fault set or cleared, shutdown) is followed by
//! [`Shared::notify`]; waits are `Condvar` waits with a deadline, never
//! sleep-polling.

use crate::config::Speed;
use crate::fault::Faults;
use crate::record::{RecordedConnection, RecordedError, RecordedPage};
use printhub_raster::{Command, ErrorFlags, Media, Model, Phase, Status, StatusType};
use std::collections::VecDeque;
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Connections kept in the log (the newest): an emulator that runs for
/// weeks keeps a bounded log however many jobs it serves (issue #17).
pub(crate) const KEEP_CONNECTIONS: usize = 256;
/// Commands kept per connection: a USB device link is one long session.
pub(crate) const KEEP_COMMANDS: usize = 10_000;
/// Refused inputs kept (the newest).
pub(crate) const KEEP_ERRORS: usize = 1000;

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub model: &'static Model,
    pub speed: Speed,
    pub out_dir: Option<PathBuf>,
    /// Printed pages kept in memory (the last ones).
    pub keep_pages: usize,
    pub community: String,
    pub brother_status: bool,
}

/// State shared by the threads and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub settings: Settings,
    state: Mutex<Printer>,
    changed: Condvar,
}

/// The mutable printer state.
#[derive(Debug)]
pub(crate) struct Printer {
    pub model: &'static Model,
    /// The SNMP agent serves Brother's status-block object (a setting, kept here for the agent).
    pub brother_status: bool,
    /// The medium in the printer (the `NoMedia` fault hides it without forgetting it).
    pub loaded: Option<&'static Media>,
    pub faults: Faults,
    /// A page is printing (between the "printing" phase change and "printing completed").
    pub printing: bool,
    /// Last `ESC i M` value received (status byte 15).
    pub mode: u8,
    /// The last [`Settings::keep_pages`] printed pages, oldest first.
    pub pages: VecDeque<RecordedPage>,
    /// Pages printed since start, the ones no longer kept included.
    pub printed: usize,
    /// The last [`KEEP_ERRORS`] refused inputs, oldest first.
    pub errors: VecDeque<RecordedError>,
    /// Number the next job gets.
    pub next_job: u64,
    /// Connections accepted so far.
    pub connections: u64,
    /// The last [`KEEP_CONNECTIONS`] connections served, in order.
    pub connection_log: VecDeque<RecordedConnection>,
    /// The open session's socket, so that a fault or shutdown can close it from outside.
    pub stream: Option<TcpStream>,
    /// The TCP listener is open (false while turned off).
    pub listening: bool,
    /// The USB pseudo-device and its link exist (false without one, or unplugged).
    pub device_present: bool,
    pub stopping: bool,
}

impl Printer {
    /// The medium the printer senses (none while the `NoMedia` fault is set).
    pub fn media(&self) -> Option<&'static Media> {
        if self.faults.no_media {
            None
        } else {
            self.loaded
        }
    }

    /// The error conditions every status block reports.
    pub fn condition_flags(&self) -> ErrorFlags {
        let mut flags = self.faults.condition_flags();
        if self.media().is_none() {
            flags |= ErrorFlags::NO_MEDIA;
        }
        flags
    }

    /// A status block of `status_type` from the current state.
    pub fn status(&self, status_type: StatusType, phase: Phase) -> Status {
        let mut status = Status::ready(self.model, self.media());
        status.errors = self.condition_flags();
        status.status_type = status_type;
        status.phase = phase;
        status.mode = self.mode;
        status
    }

    /// The reply to `ESC i S` (and the SNMP status block).
    pub fn reply(&self) -> Status {
        let phase = if self.printing {
            Phase::Printing
        } else {
            Phase::Receiving
        };
        self.status(StatusType::Reply, phase)
    }

    /// Records a printed page, forgetting the oldest beyond the last `keep` (they are in `out_dir`, if any).
    pub fn record_page(&mut self, page: RecordedPage, keep: usize) {
        self.printed += 1;
        self.pages.push_back(page);
        while self.pages.len() > keep {
            self.pages.pop_front();
        }
    }

    /// Records a new connection (`number`), forgetting the oldest beyond
    /// [`KEEP_CONNECTIONS`].
    pub fn open_connection(&mut self, number: u64) {
        if self.connection_log.len() >= KEEP_CONNECTIONS {
            self.connection_log.pop_front();
        }
        self.connection_log.push_back(RecordedConnection {
            number,
            accepted: Instant::now(),
            first_byte: None,
            closed: None,
            bytes: 0,
            commands: Vec::new(),
        });
    }

    /// Records a command of the open connection; a connection that has
    /// decoded [`KEEP_COMMANDS`] of them keeps the newer half of them.
    pub fn record_command(&mut self, offset: u64, command: Command) {
        if let Some(record) = self.connection_log.back_mut() {
            if record.commands.len() >= KEEP_COMMANDS {
                record.commands.drain(..KEEP_COMMANDS / 2);
            }
            record.commands.push((offset, command));
        }
    }

    /// Records a refused input, forgetting the oldest beyond [`KEEP_ERRORS`].
    pub fn record_error(&mut self, error: RecordedError) {
        if self.errors.len() >= KEEP_ERRORS {
            self.errors.pop_front();
        }
        self.errors.push_back(error);
    }

    /// Shuts the open session's socket down, waking its blocked read.
    pub fn close_stream(&mut self) {
        if let Some(stream) = self.stream.take() {
            // The session may have closed it already; either way it is closed now.
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

impl Shared {
    pub fn new(settings: Settings, media: &'static Media) -> Self {
        let printer = Printer {
            model: settings.model,
            brother_status: settings.brother_status,
            loaded: Some(media),
            faults: Faults::default(),
            printing: false,
            mode: 0,
            pages: VecDeque::new(),
            printed: 0,
            errors: VecDeque::new(),
            next_job: 1,
            connections: 0,
            connection_log: VecDeque::new(),
            stream: None,
            listening: true,
            device_present: false,
            stopping: false,
        };
        Shared {
            settings,
            state: Mutex::new(printer),
            changed: Condvar::new(),
        }
    }

    /// Locks the state. A thread that panicked while holding the lock left
    /// plain data behind, so the state is used as it is.
    pub fn lock(&self) -> MutexGuard<'_, Printer> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes every waiter to re-check its condition.
    pub fn notify(&self) {
        self.changed.notify_all();
    }

    /// Waits while `busy` holds, at most until `deadline` (forever if `None`).
    /// Returns the guard; the caller re-checks its condition.
    pub fn wait_while<'a>(
        &self,
        mut guard: MutexGuard<'a, Printer>,
        deadline: Option<Instant>,
        mut busy: impl FnMut(&Printer) -> bool,
    ) -> MutexGuard<'a, Printer> {
        while busy(&guard) {
            match deadline {
                None => {
                    guard = self
                        .changed
                        .wait(guard)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    guard = self
                        .changed
                        .wait_timeout(guard, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
        guard
    }

    /// Lets a page's print time pass, cut short by shutdown or by the printer
    /// being turned off (unplugged). Returns `false` if it was cut short.
    pub fn pause_printing(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        let guard = self.wait_while(self.lock(), Some(deadline), |p| {
            !p.stopping && !p.faults.turned_off
        });
        !(guard.stopping || guard.faults.turned_off)
    }

    /// Lets `duration` pass (print time, a slow status), cut short by
    /// shutdown. Returns `false` if the emulator is stopping.
    pub fn pause(&self, duration: Duration) -> bool {
        if duration.is_zero() {
            return !self.lock().stopping;
        }
        let deadline = Instant::now() + duration;
        let guard = self.wait_while(self.lock(), Some(deadline), |p| !p.stopping);
        !guard.stopping
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared {
        let model = Model::by_name("PT-P750W").expect("model");
        let settings = Settings {
            model,
            speed: Speed::Instant,
            out_dir: None,
            keep_pages: 100,
            community: "public".into(),
            brother_status: false,
        };
        Shared::new(settings, Media::by_id("tze-12").expect("media"))
    }

    #[test]
    fn the_connection_log_keeps_the_newest_connections_and_commands() {
        // An emulator serving jobs for weeks must not grow without bound (issue #17):
        // 100,000 jobs once kept 30 MiB of connection records in the hub's process.
        let shared = shared();
        let mut printer = shared.lock();
        for number in 1..=(KEEP_CONNECTIONS as u64 + 5) {
            printer.open_connection(number);
            printer.record_command(0, Command::Initialize);
        }
        assert_eq!(printer.connection_log.len(), KEEP_CONNECTIONS);
        assert_eq!(printer.connection_log.front().map(|c| c.number), Some(6));
        assert_eq!(
            printer.connection_log.back().map(|c| c.number),
            Some(KEEP_CONNECTIONS as u64 + 5)
        );
        // One long session (a USB link) keeps its newest commands.
        for offset in 0..(KEEP_COMMANDS as u64 + 1) {
            printer.record_command(offset, Command::StatusRequest);
        }
        let last = printer.connection_log.back().expect("open connection");
        assert!(last.commands.len() <= KEEP_COMMANDS);
        assert!(last.commands.len() > KEEP_COMMANDS / 2);
        assert_eq!(
            last.commands.last().map(|c| c.0),
            Some(KEEP_COMMANDS as u64)
        );
    }

    #[test]
    fn only_the_newest_refused_inputs_are_kept() {
        let shared = shared();
        let mut printer = shared.lock();
        for job in 1..=(KEEP_ERRORS as u64 + 3) {
            printer.record_error(crate::record::RecordedError {
                error: crate::record::JobError::TooManyLines {
                    offset: 0,
                    lines: 2,
                    max: 1,
                },
                flags: ErrorFlags::empty(),
                job,
                connection: 1,
                timestamp: String::new(),
            });
        }
        assert_eq!(printer.errors.len(), KEEP_ERRORS);
        assert_eq!(printer.errors.front().map(|e| e.job), Some(4));
        assert_eq!(
            printer.errors.back().map(|e| e.job),
            Some(KEEP_ERRORS as u64 + 3)
        );
    }
}
