//! The raw TCP listener (port 9100 on a real printer) and the socket side
//! of a session.
//!
//! Threading: one thread accepts and serves connections **one at a time**,
//! like the printer ("held" connections). While a session is open, a second
//! client's `connect` still succeeds (the kernel completes the handshake and
//! queues it in the listen backlog, and buffers what it sends), but nothing is
//! read from it or sent to it until the first connection closes; then it is
//! accepted and served from its first byte.
//!
//! The thread blocks in `accept` and `read`; the handle wakes it by
//! shutting the open socket down
//! ([`Printer::close_stream`](crate::state::Printer::close_stream)) or, when
//! it waits in `accept`, by connecting to the listener ([`wake`]). Transport faults live
//! here: turned off (the listener is closed and reopened on the same
//! address), dropped connection, hang (and offline, which holds the input
//! the same way), slow and garbled status blocks.
//!
//! Print time: a page starts when its last byte was read and the head is
//! free (the end of the page before), and the thread waits until it ends —
//! a printer takes data in while it prints, so the emulator's own decoding
//! is not counted as the printer waiting for its client. Each page's
//! interval is recorded (`RecordedPage::print`).

use crate::record::{PrintTime, RecordedPage};
use crate::session::{Action, Session};
use crate::state::Shared;
use printhub_raster::Status;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Upper bound for writing one status block to a client that does not read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Read size; a real printer's receive buffer is of this order.
const READ_CHUNK: usize = 16 * 1024;
/// What a garbled status block starts with instead of `80 20 42`.
const GARBLED_HEADER: [u8; 3] = [0xEE, 0xEE, 0xEE];

/// Runs the accept loop until shutdown.
pub(crate) fn run(listener: TcpListener, addr: SocketAddr, shared: Arc<Shared>) {
    let mut listener = Some(listener);
    loop {
        {
            let mut guard = shared.lock();
            if guard.stopping {
                return;
            }
            if guard.faults.turned_off {
                // Turned off: nothing listens, so connections are refused.
                listener = None;
                guard.listening = false;
                shared.notify();
                log::info!("{addr}: turned off");
                let guard = shared.wait_while(guard, None, |p| p.faults.turned_off && !p.stopping);
                if guard.stopping {
                    return;
                }
            }
        }
        let current = match listener.take() {
            Some(current) => current,
            None => match TcpListener::bind(addr) {
                Ok(bound) => {
                    shared.lock().listening = true;
                    shared.notify();
                    log::info!("{addr}: turned on");
                    bound
                }
                Err(e) => {
                    log::error!("{addr}: cannot listen again after being turned on: {e}");
                    return;
                }
            },
        };
        let accepted = current.accept();
        listener = Some(current);
        match accepted {
            Ok((stream, peer)) => {
                let connection = {
                    let mut guard = shared.lock();
                    if guard.stopping {
                        return;
                    }
                    if guard.faults.turned_off {
                        continue;
                    }
                    guard.connections += 1;
                    guard.stream = stream.try_clone().ok();
                    let number = guard.connections;
                    guard.open_connection(number);
                    number
                };
                log::info!("{addr}: connection {connection} from {peer}");
                serve(stream, connection, &shared);
                {
                    let mut guard = shared.lock();
                    guard.stream = None;
                    if let Some(record) = guard.connection_log.back_mut() {
                        record.closed = Some(Instant::now());
                        // Kept for a while: no room beyond its commands.
                        record.commands.shrink_to_fit();
                    }
                }
                shared.notify();
                log::info!("{addr}: connection {connection} closed");
            }
            Err(e) => {
                log::warn!("{addr}: accept failed: {e}");
                // Back off briefly so that a persistent error (no file descriptors) does not spin.
                if !shared.pause(Duration::from_millis(50)) {
                    return;
                }
            }
        }
    }
}

/// Wakes the accept loop by connecting to the listener (an unspecified
/// address is reached through loopback). Errors are expected when nothing listens.
pub(crate) fn wake(addr: SocketAddr) {
    let target = loopback_if_unspecified(addr);
    if let Ok(stream) = TcpStream::connect_timeout(&target, Duration::from_secs(1)) {
        let _ = stream.shutdown(Shutdown::Both);
    }
}

/// `addr` with an unspecified IP replaced by the loopback address of its family.
pub(crate) fn loopback_if_unspecified(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    }
}

/// Serves one connection until the client closes it, a fault closes it, or shutdown.
fn serve(mut stream: TcpStream, connection: u64, shared: &Shared) {
    if let Err(e) = stream.set_write_timeout(Some(WRITE_TIMEOUT)) {
        log::warn!("connection {connection}: cannot set a write timeout: {e}");
    }
    // Status blocks go out as they happen, as a printer sends them: no Nagle delay
    // holding "printing completed" back behind the "printing" block before it.
    if let Err(e) = stream.set_nodelay(true) {
        log::warn!("connection {connection}: cannot disable Nagle: {e}");
    }
    let settings = &shared.settings;
    let mut session = Session::new(settings.model, settings.speed, connection);
    let mut out = Output {
        stream: &mut stream,
        open: true,
    };
    let mut buf = vec![0u8; READ_CHUNK];
    // When the print head is free again (the end of the last page printed).
    let mut head_free: Option<Instant> = None;
    loop {
        if !wait_until_reading(shared) {
            return;
        }
        let read = out.stream.read(&mut buf);
        let received = Instant::now();
        let n = match read {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                log::debug!("connection {connection}: read failed: {e}");
                0
            }
        };
        // A hang set while the read was blocked holds the bytes until it is cleared.
        if !wait_until_reading(shared) {
            return;
        }
        if n == 0 {
            session.handle_eof(SystemTime::now(), &mut shared.lock());
            perform(&mut session, &mut out, shared, received, &mut head_free);
            return;
        }
        let (take, drop_now) = {
            let mut guard = shared.lock();
            if let Some(record) = guard.connection_log.back_mut() {
                record.first_byte.get_or_insert(received);
                record.bytes += n as u64;
            }
            match guard.faults.drop_after {
                Some(left) if left <= n => {
                    guard.faults.drop_after = None;
                    (left, true)
                }
                Some(left) => {
                    guard.faults.drop_after = Some(left - n);
                    (n, false)
                }
                None => (n, false),
            }
        };
        {
            let mut guard = shared.lock();
            let now = SystemTime::now();
            session.handle_input(&buf[..take], now, &mut guard);
            if drop_now {
                session.handle_drop(now);
            }
        }
        perform(&mut session, &mut out, shared, received, &mut head_free);
        if drop_now {
            log::info!("connection {connection}: dropped by the printer (fault)");
            let _ = out.stream.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// Waits while the `Hang` or `Offline` fault holds. Returns `false` if the
/// connection must end (shutdown or turned off).
pub(crate) fn wait_until_reading(shared: &Shared) -> bool {
    let guard = shared.lock();
    let guard = shared.wait_while(guard, None, |p| {
        (p.faults.hang || p.faults.offline) && !p.stopping && !p.faults.turned_off
    });
    !(guard.stopping || guard.faults.turned_off)
}

/// The write side of a session (a socket, or the device's pty master).
pub(crate) struct Output<'a, W: Write> {
    stream: &'a mut W,
    /// Cleared after a failed write: the client is gone, later blocks are not attempted.
    open: bool,
}

impl<'a, W: Write> Output<'a, W> {
    /// Status blocks go to `stream`.
    pub(crate) fn new(stream: &'a mut W) -> Self {
        Output { stream, open: true }
    }
}

/// Performs the session's pending actions in order. `received` is when the
/// bytes that produced them were read, `head_free` when the last page ended.
pub(crate) fn perform<W: Write>(
    session: &mut Session,
    out: &mut Output<'_, W>,
    shared: &Shared,
    received: Instant,
    head_free: &mut Option<Instant>,
) {
    while let Some(action) = session.poll_action() {
        match action {
            Action::Send(status) => send_status(out, status, shared),
            Action::StartPrinting => shared.lock().printing = true,
            Action::Print { page, duration } => {
                // A printer takes data in while it prints: a page starts when its bytes
                // are in and the head is free, not after the emulator has decoded it.
                let start = head_free.map_or(received, |free| free.max(received));
                *head_free = Some(print(*page, start, duration, shared));
            }
            Action::Record(error) => {
                shared.lock().record_error(error);
                shared.notify();
            }
            Action::Command(offset, command) => {
                shared.lock().record_command(offset, command);
            }
            Action::EndedWithoutFeed { job, page } => ended_without_feed(job, page, shared),
        }
    }
}

/// Marks page `page` of job `job` (already printed and recorded: actions
/// run in order) as printed without feed, and rewrites its files.
fn ended_without_feed(job: u64, page: usize, shared: &Shared) {
    let updated = {
        let mut guard = shared.lock();
        let found = guard
            .pages
            .iter_mut()
            .rev()
            .find(|p| p.meta.job == job && p.meta.page == page);
        found.map(|recorded| {
            recorded.meta.printed_without_feed = true;
            recorded.clone()
        })
    };
    shared.notify();
    let Some(recorded) = updated else {
        return;
    };
    log::info!("job {job} ends after page {page} without 1A: printed without feed");
    if let Some(dir) = &shared.settings.out_dir {
        if let Err(e) = recorded.write_to(dir) {
            log::warn!(
                "cannot write page {} to {}: {e}",
                recorded.file_stem(),
                dir.display()
            );
        }
    }
}

/// Prints `page` from `started` for `duration` (waiting until it is done)
/// and records it; returns when the head is free again.
fn print(mut page: RecordedPage, started: Instant, duration: Duration, shared: &Shared) -> Instant {
    let finished = started + duration;
    // A printer turned off (or unplugged) mid-page does not finish it.
    let completed = shared.pause_printing(finished.saturating_duration_since(Instant::now()));
    page.print = Some(PrintTime { started, finished });
    if let Some(dir) = &shared.settings.out_dir {
        if let Err(e) = page.write_to(dir) {
            log::warn!(
                "cannot write page {} to {}: {e}",
                page.file_stem(),
                dir.display()
            );
        }
    }
    log::info!(
        "printed job {} page {} ({} lines on {})",
        page.meta.job,
        page.meta.page,
        page.meta.raster_lines,
        page.meta.media.unwrap_or("unknown media"),
    );
    {
        let mut guard = shared.lock();
        guard.printing = false;
        if completed {
            guard.record_page(page, shared.settings.keep_pages);
        }
    }
    shared.notify();
    finished
}

fn send_status<W: Write>(out: &mut Output<'_, W>, status: Status, shared: &Shared) {
    if !out.open {
        return;
    }
    let (delay, garbled, off) = {
        let guard = shared.lock();
        (
            guard.faults.slow_status,
            guard.faults.garbled_status,
            guard.faults.turned_off,
        )
    };
    // A printer turned off sends nothing more.
    if off {
        out.open = false;
        return;
    }
    if let Some(delay) = delay {
        if !shared.pause(delay) {
            return;
        }
    }
    let mut bytes = status.to_bytes();
    if garbled {
        bytes[..3].copy_from_slice(&GARBLED_HEADER);
    }
    if let Err(e) = out.stream.write_all(&bytes) {
        log::debug!("cannot send a status block: {e}");
        out.open = false;
    }
}
