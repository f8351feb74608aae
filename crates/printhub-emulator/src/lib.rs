//! # printhub-emulator
//!
//! A faithful fake Brother PT/QL label printer on loopback, for tests,
//! demos and `make run`. It listens on raw TCP (the printer's port 9100),
//! decodes what it receives with printhub-raster's strict streaming
//! [`Decoder`](printhub_raster::Decoder), answers with 32-byte
//! [`Status`] blocks as the real models do, records
//! every printed page (bitmaps, PNG, JSON metadata) and every refused input
//! (with the decoder's stable error code), serves the SNMP objects peers
//! read, and lets a test inject faults at runtime.
//!
//! ```text
//!  client ──TCP──► tcp.rs: accept (one connection at a time; the next waits in the backlog)
//!                     │ read chunks (faults: hang, drop after N bytes, turned off)
//!                     ▼
//!                 session.rs (sans-io): Decoder::push ─► events ─► checks
//!                     │   ESC i S ───────────────► Send(reply)            (PT only)
//!                     │   ESC i z / page ── media, conditions, faults ──► error? ─► Record + Send(error), discard
//!                     │   page (0C / 1A) ─► Send(printing) ─► Print ─► Send(completed) ─► Send(receiving)
//!                     ▼
//!                 tcp.rs performs actions: status blocks (faults: slow, garbled), print time,
//!                     │                    record page / error, write <time>-<job>-<page>.png + .json
//!                     ▼
//!                 state.rs: Mutex<Printer> + Condvar ◄── EmulatorHandle (media, faults, records, wait_for_*)
//!                     ▲
//!  client ──UDP──► snmp.rs: v2c GET / GETNEXT / GETBULK over the printer state (rasn-snmp)
//! ```
//!
//! Code map: [`config`] (what a config file holds, validated against the
//! model and media tables), `fault` ([`Fault`], [`FaultKind`]), `session`
//! (the printer logic of one connection), `tcp` (listener, sockets,
//! transport faults), `snmp` (the agent), [`record`] (pages and errors,
//! PNG and JSON), `state` (the shared state and its condition variable).
//!
//! **Architecture Invariant:** the protocol lives in printhub-raster. This
//! crate parses nothing by hand: the stream goes through its `Decoder`,
//! status blocks are its `Status`, media come from its tables; SNMP messages
//! go through `rasn-snmp`.
//!
//! **Architecture Invariant:** runtime-agnostic. Plain `std::net` sockets
//! and two `std::thread`s (TCP, SNMP); no async runtime, so it works from a
//! plain `#[test]`, tokio and actix tests alike. Waiting for records is a
//! `Condvar` wait with a deadline, never sleep-polling.
//!
//! **Architecture Invariant:** faithful in what it refuses. A page is
//! recorded only if the printer would print it; every refusal is recorded
//! with its byte offset and code and answered with an error status block,
//! after which the rest of the connection is discarded (the printer
//! discards its buffer). No input panics.
//!
//! ```
//! use printhub_emulator::{Emulator, EmulatorConfig};
//! use printhub_raster::{Bitmap, Encoder, JobOptions, Label, Media, Model, Status, StatusType};
//! use std::io::{Read, Write};
//! use std::time::Duration;
//!
//! let emulator = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12")).unwrap();
//! let model = Model::by_name("PT-P750W").unwrap();
//! let encoder = Encoder::new(model, Media::by_id("tze-12").unwrap(), JobOptions::default()).unwrap();
//! let label = Bitmap::from_fn(encoder.geometry().printable() as usize, 100, |x, y| x == y);
//! let job = encoder.encode(&[Label::black(label.clone())]).unwrap();
//!
//! let mut stream = std::net::TcpStream::connect(emulator.tcp_addr()).unwrap();
//! stream.write_all(&job).unwrap();
//! let mut block = [0u8; 32];
//! for expected in [StatusType::PhaseChange, StatusType::PrintingCompleted, StatusType::PhaseChange] {
//!     stream.read_exact(&mut block).unwrap();
//!     assert_eq!(Status::parse(&block).unwrap().status_type, expected);
//! }
//! assert!(emulator.wait_for_pages(1, Duration::from_secs(5)));
//! assert_eq!(emulator.pages()[0].black, label);
//! ```
#![forbid(unsafe_code)]

pub mod config;
mod device;
mod fault;
pub mod record;
mod session;
mod snmp;
mod state;
mod tcp;

pub use config::{ConfigError, EmulatorConfig, Speed, DEFAULT_KEEP_PAGES};
pub use fault::{Fault, FaultKind};
pub use record::{
    JobError, PageMeta, PrintTime, RecordedConnection, RecordedError, RecordedPage, Utilisation,
};

use printhub_raster::{Media, Model, Status};
use state::{Settings, Shared};
use std::io;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The OIDs the SNMP agent serves.
pub mod oid {
    pub use crate::snmp::{
        BROTHER_DEVICE_ID, BROTHER_STATUS, HR_DEVICE_DESCR, HR_PRINTER_ERROR_STATE,
        HR_PRINTER_STATUS, PRT_INPUT_MEDIA_TYPE, SYS_DESCR,
    };
}

/// How long `set_fault(TurnedOff)` / `clear_fault(TurnedOff)` wait for the
/// listener to close or reopen before returning anyway.
const LISTENER_CHANGE_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts emulated printers. See the crate documentation.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// Validates `config`, binds the TCP listener (and the SNMP socket), and
    /// starts serving. A config the model and media tables reject is an
    /// [`io::ErrorKind::InvalidInput`] error whose inner error is a [`ConfigError`].
    ///
    /// Like the printer, the emulator serves one TCP connection at a time
    /// ("held" connections): a second client's `connect` succeeds, but it
    /// waits in the listen backlog, unread and unanswered, until the first
    /// connection closes.
    pub fn start(config: EmulatorConfig) -> io::Result<EmulatorHandle> {
        let (model, media) = config.validate()?;
        if let Some(dir) = &config.out_dir {
            std::fs::create_dir_all(dir)?;
        }
        let listener = TcpListener::bind(config.tcp_addr)?;
        let tcp_addr = listener.local_addr()?;
        let snmp_socket = config.snmp_addr.map(UdpSocket::bind).transpose()?;
        let snmp_addr = snmp_socket
            .as_ref()
            .map(UdpSocket::local_addr)
            .transpose()?;
        let settings = Settings {
            model,
            speed: config.speed,
            out_dir: config.out_dir.clone(),
            keep_pages: config.keep_pages,
            community: config.community.clone(),
            brother_status: config.snmp_brother_status,
        };
        let shared = Arc::new(Shared::new(settings, media));
        let mut handle = EmulatorHandle {
            shared: Arc::clone(&shared),
            tcp_addr,
            snmp_addr,
            device: None,
            threads: Vec::new(),
        };
        if let Some(link) = &config.device_link {
            let pty = device::start(link)?;
            shared.lock().device_present = true;
            let (wake_read, wake_write) = rustix::pipe::pipe()?;
            let device_shared = Arc::clone(&shared);
            let thread_link = link.clone();
            handle.device = Some(Device {
                link: link.clone(),
                wake: wake_write,
            });
            handle.threads.push(
                std::thread::Builder::new()
                    .name("emulator-device".into())
                    .spawn(move || device::run(thread_link, Some(pty), wake_read, device_shared))?,
            );
        }
        let tcp_shared = Arc::clone(&shared);
        handle.threads.push(
            std::thread::Builder::new()
                .name(format!("emulator-tcp-{}", tcp_addr.port()))
                .spawn(move || tcp::run(listener, tcp_addr, tcp_shared))?,
        );
        if let Some(socket) = snmp_socket {
            let snmp_shared = Arc::clone(&shared);
            handle.threads.push(
                std::thread::Builder::new()
                    .name(format!("emulator-snmp-{}", socket.local_addr()?.port()))
                    .spawn(move || snmp::run(socket, snmp_shared))?,
            );
        }
        log::info!(
            "emulating a {} with {} on tcp {tcp_addr}{}",
            model.name,
            media.id,
            snmp_addr.map_or(String::new(), |a| format!(", snmp {a}")),
        );
        Ok(handle)
    }
}

/// A running emulator. Dropping it shuts the emulator down.
#[derive(Debug)]
pub struct EmulatorHandle {
    shared: Arc<Shared>,
    tcp_addr: SocketAddr,
    snmp_addr: Option<SocketAddr>,
    device: Option<Device>,
    threads: Vec<JoinHandle<()>>,
}

/// The USB pseudo-device's link and the pipe that wakes its thread.
#[derive(Debug)]
struct Device {
    link: std::path::PathBuf,
    wake: std::os::fd::OwnedFd,
}

impl EmulatorHandle {
    /// The address the TCP listener is bound to.
    pub fn tcp_addr(&self) -> SocketAddr {
        self.tcp_addr
    }

    /// The path linked to the USB pseudo-device, if there is one.
    pub fn device_link(&self) -> Option<&std::path::Path> {
        self.device.as_ref().map(|d| d.link.as_path())
    }

    /// Whether the USB pseudo-device is plugged in (its link exists).
    pub fn device_present(&self) -> bool {
        self.shared.lock().device_present
    }

    /// The address the SNMP agent is bound to, if it runs.
    pub fn snmp_addr(&self) -> Option<SocketAddr> {
        self.snmp_addr
    }

    /// The emulated model.
    pub fn model(&self) -> &'static Model {
        self.shared.settings.model
    }

    /// The medium the printer senses (`None` without media or under the `NoMedia` fault).
    pub fn media(&self) -> Option<&'static Media> {
        self.shared.lock().media()
    }

    /// Changes the loaded medium (a tape or roll change); `None` empties the printer.
    /// Refuses media the model cannot take.
    pub fn set_media(&self, id: Option<&str>) -> Result<(), ConfigError> {
        let media = id
            .map(|id| config::resolve_media(self.model(), id))
            .transpose()?;
        self.shared.lock().loaded = media;
        self.shared.notify();
        log::info!("media changed to {}", media.map_or("none", |m| m.id));
        Ok(())
    }

    /// Injects `fault`, replacing one of the same kind. `TurnedOff` returns
    /// once the listener is closed, so a connection attempt after it is refused.
    pub fn set_fault(&self, fault: Fault) {
        log::info!("fault injected: {fault:?}");
        {
            let mut guard = self.shared.lock();
            guard.faults.set(fault);
            if fault == Fault::TurnedOff {
                guard.close_stream();
            }
        }
        self.shared.notify();
        self.wake_device();
        if fault == Fault::TurnedOff {
            tcp::wake(self.tcp_addr);
            self.wait_listening(false);
            self.wait_device(false);
        }
    }

    /// Clears the fault of `kind`. Clearing `TurnedOff` returns once the
    /// listener accepts connections again.
    pub fn clear_fault(&self, kind: FaultKind) {
        log::info!("fault cleared: {kind:?}");
        let was_off = {
            let mut guard = self.shared.lock();
            let was_off = guard.faults.turned_off;
            guard.faults.clear(kind);
            was_off && !guard.faults.turned_off
        };
        self.shared.notify();
        self.wake_device();
        if was_off {
            self.wait_listening(true);
            self.wait_device(true);
        }
    }

    /// Clears every fault.
    pub fn clear_faults(&self) {
        for fault in self.faults() {
            self.clear_fault(fault.kind());
        }
    }

    /// The faults in force.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.lock().faults.list()
    }

    /// The pages printed so far, in order: the last
    /// [`keep_pages`](EmulatorConfig::keep_pages) of them (every page until
    /// that many were printed; older ones are only in `out_dir`).
    pub fn pages(&self) -> Vec<RecordedPage> {
        self.shared.lock().pages.iter().cloned().collect()
    }

    /// How many pages were printed since start, the ones no longer kept in memory included.
    pub fn pages_printed(&self) -> usize {
        self.shared.lock().printed
    }

    /// The refused inputs so far, in order (the last 1,000: memory stays
    /// bounded however long the emulator runs).
    pub fn errors(&self) -> Vec<RecordedError> {
        self.shared.lock().errors.iter().cloned().collect()
    }

    /// The connections served so far (the open one included), in order:
    /// when it was open, how many bytes came, and its commands. The last
    /// 256 connections, each with its last 5,000–10,000 commands, are
    /// kept, so an emulator serving jobs for weeks stays bounded.
    pub fn connections(&self) -> Vec<RecordedConnection> {
        self.shared.lock().connection_log.iter().cloned().collect()
    }

    /// How busy the printer has been: the print time of every page still
    /// kept in memory against the wall time from the first byte of the connection
    /// that printed the first of them to the end of the last. `None` before
    /// the first page.
    pub fn utilisation(&self) -> Option<Utilisation> {
        let guard = self.shared.lock();
        let first = guard.pages.front()?;
        let start = guard
            .connection_log
            .iter()
            .find(|c| c.number == first.meta.connection)
            .and_then(|c| c.first_byte.or(Some(c.accepted)))
            .or(first.print.map(|p| p.started))?;
        let end = guard
            .pages
            .iter()
            .filter_map(|p| p.print)
            .map(|p| p.finished)
            .max()?;
        let printing = guard
            .pages
            .iter()
            .filter_map(|p| p.print)
            .map(|p| p.duration())
            .sum();
        Some(Utilisation {
            pages: guard.pages.len(),
            printing,
            wall: end.saturating_duration_since(start),
        })
    }

    /// Waits until at least `n` pages were printed since start (see
    /// [`pages_printed`](EmulatorHandle::pages_printed)) or `timeout` passes;
    /// returns whether they were.
    pub fn wait_for_pages(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let guard = self
            .shared
            .wait_while(self.shared.lock(), Some(deadline), |p| p.printed < n);
        guard.printed >= n
    }

    /// Waits until at least `n` errors are recorded or `timeout` passes; returns whether they are.
    pub fn wait_for_errors(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let guard = self
            .shared
            .wait_while(self.shared.lock(), Some(deadline), |p| p.errors.len() < n);
        guard.errors.len() >= n
    }

    /// The status block the printer would send now in reply to `ESC i S`
    /// (also what SNMP serves), whether or not the model answers it on TCP.
    pub fn status(&self) -> Status {
        self.shared.lock().reply()
    }

    /// Stops the emulator: closes the open connection and the sockets and
    /// joins the threads. Dropping the handle does the same.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn wait_listening(&self, listening: bool) {
        let deadline = Instant::now() + LISTENER_CHANGE_TIMEOUT;
        let guard = self
            .shared
            .wait_while(self.shared.lock(), Some(deadline), |p| {
                p.listening != listening && !p.stopping
            });
        if guard.listening != listening {
            log::warn!(
                "the listener did not {} in time",
                if listening { "reopen" } else { "close" }
            );
        }
    }

    fn wake_device(&self) {
        if let Some(device) = &self.device {
            device::wake(&device.wake);
        }
    }

    /// Waits until the pseudo-device is `present` (or not), when there is one.
    fn wait_device(&self, present: bool) {
        if self.device.is_none() {
            return;
        }
        let deadline = Instant::now() + LISTENER_CHANGE_TIMEOUT;
        let guard = self
            .shared
            .wait_while(self.shared.lock(), Some(deadline), |p| {
                p.device_present != present && !p.stopping
            });
        if guard.device_present != present {
            log::warn!(
                "the device was not {} in time",
                if present { "plugged in" } else { "unplugged" }
            );
        }
    }

    fn stop(&mut self) {
        if self.threads.is_empty() {
            return;
        }
        {
            let mut guard = self.shared.lock();
            guard.stopping = true;
            guard.close_stream();
        }
        self.shared.notify();
        self.wake_device();
        tcp::wake(self.tcp_addr);
        if let Some(addr) = self.snmp_addr {
            snmp::wake(addr);
        }
        for thread in self.threads.drain(..) {
            if thread.join().is_err() {
                log::error!("an emulator thread panicked");
            }
        }
        log::info!("emulator on {} stopped", self.tcp_addr);
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handle_can_be_shared_across_threads() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<EmulatorHandle>();
        send_sync::<RecordedPage>();
    }

    #[test]
    fn a_rejected_config_is_an_invalid_input_error() {
        let err = Emulator::start(EmulatorConfig::new("PT-P750W", "dk-62")).expect_err("refused");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let inner = err.get_ref().and_then(|e| e.downcast_ref::<ConfigError>());
        assert_eq!(inner.map(ConfigError::code), Some("unsupported_media"));
    }
}
