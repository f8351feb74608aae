//! The USB side: a pseudo-terminal in raw mode standing in for the kernel's
//! printer device (`/dev/usb/lp0`), with a symlink at the configured path
//! pointing at its slave, so a client opens the link exactly like a device
//! node, writes the job and reads status blocks from the same descriptor.
//!
//! Threading: one thread owns the pty's master side. It waits in `poll` on
//! the master and on a wake pipe the handle writes to (a fault or shutdown),
//! reads what the client wrote, feeds it to a [`Session`] that answers
//! `ESC i S` whatever the model (every model does over USB), and writes the
//! status blocks back through the same actions as the TCP thread
//! ([`tcp::perform`]). The emulator keeps a slave descriptor of its own
//! open, so a client closing the device is not a hang-up the thread would
//! spin on; a USB printer does not see the host close its device either.
//!
//! Jobs on a device have no connection around them: a new session starts at
//! every job start (`ESC @` after at least the model's invalidate length of
//! `00` bytes, which no raster line can hold), so a job refused and discarded
//! does not take the next one with it.
//!
//! Unplugging is the `TurnedOff` fault: the link is removed and the pty
//! closed (the client's next read or write fails); clearing it makes a new
//! pty and links the path to it again (another slave number, as a replugged
//! printer may come back as another `lpN`).

use crate::session::Session;
use crate::state::Shared;
use crate::tcp;
use rustix::event::{PollFd, PollFlags};
use rustix::pty::OpenptFlags;
use std::io::{self, ErrorKind};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// One plugged-in pseudo-device.
pub(crate) struct Pty {
    master: std::fs::File,
    /// Held so that a client closing the device is no hang-up.
    _slave: OwnedFd,
}

/// Makes a raw-mode pty and links `link` to its slave, replacing an old
/// link (never a file that is not a link).
pub(crate) fn plug(link: &Path) -> io::Result<(std::fs::File, OwnedFd, PathBuf)> {
    let master =
        rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    rustix::pty::grantpt(&master)?;
    rustix::pty::unlockpt(&master)?;
    let name = rustix::pty::ptsname(&master, Vec::new())?;
    let slave_path = PathBuf::from(name.to_string_lossy().into_owned());
    let slave = rustix::fs::open(
        name.as_c_str(),
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    // Raw: no echo, no line editing, no output processing (a 0A in the raster
    // must not become 0D 0A), bytes through as they are.
    let mut termios = rustix::termios::tcgetattr(&slave)?;
    termios.make_raw();
    rustix::termios::tcsetattr(&slave, rustix::termios::OptionalActions::Now, &termios)?;
    rustix::io::ioctl_fionbio(&master, true)?;
    unlink(link)?;
    std::os::unix::fs::symlink(&slave_path, link)?;
    Ok((std::fs::File::from(master), slave, slave_path))
}

/// Removes `link` if it is a symlink; refuses to remove anything else.
pub(crate) fn unlink(link: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(link) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::remove_file(link),
        Ok(_) => Err(io::Error::new(
            ErrorKind::AlreadyExists,
            format!("{} exists and is not a symlink", link.display()),
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Finds job starts in a byte stream: `ESC @` after a run of at least
/// `threshold` `00` bytes, across reads.
#[derive(Debug)]
pub(crate) struct JobStarts {
    threshold: usize,
    zeros: usize,
    /// The last byte seen was an `ESC` after enough zeros.
    escape: bool,
}

/// Where a job starts in a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// At the `ESC` at this index.
    At(usize),
    /// At the `ESC` that ended the previous chunk (the chunk starts with its `@`).
    Before,
}

impl JobStarts {
    pub(crate) fn new(threshold: usize) -> Self {
        JobStarts {
            threshold: threshold.max(1),
            zeros: 0,
            escape: false,
        }
    }

    /// Every job start in `data`, in order.
    pub(crate) fn scan(&mut self, data: &[u8]) -> Vec<Start> {
        let mut found = Vec::new();
        for (i, &byte) in data.iter().enumerate() {
            if self.escape && byte == 0x40 {
                found.push(match i {
                    0 => Start::Before,
                    _ => Start::At(i - 1),
                });
            }
            self.escape = byte == 0x1B && self.zeros >= self.threshold;
            self.zeros = if byte == 0 { self.zeros + 1 } else { 0 };
        }
        found
    }
}

/// Runs the device side until shutdown. `wake` is the read end of the pipe
/// the handle writes to after changing a fault or stopping.
pub(crate) fn run(link: PathBuf, first: Option<Pty>, wake: OwnedFd, shared: Arc<Shared>) {
    let mut pty = first;
    loop {
        {
            let mut guard = shared.lock();
            if guard.stopping {
                break;
            }
            if guard.faults.turned_off {
                pty = None;
                if guard.device_present {
                    if let Err(e) = unlink(&link) {
                        log::warn!("{}: cannot remove the link: {e}", link.display());
                    }
                    log::info!("{}: unplugged", link.display());
                }
                guard.device_present = false;
                shared.notify();
                let guard = shared.wait_while(guard, None, |p| p.faults.turned_off && !p.stopping);
                if guard.stopping {
                    break;
                }
            }
        }
        let current = match pty.take() {
            Some(current) => current,
            None => match plug(&link) {
                Ok((master, slave, path)) => {
                    log::info!("{}: plugged in ({})", link.display(), path.display());
                    Pty {
                        master,
                        _slave: slave,
                    }
                }
                Err(e) => {
                    log::error!("{}: cannot make the device: {e}", link.display());
                    break;
                }
            },
        };
        shared.lock().device_present = true;
        shared.notify();
        pty = serve(current, &link, &wake, &shared);
    }
    drop(pty);
    if shared.lock().device_present {
        if let Err(e) = unlink(&link) {
            log::warn!("{}: cannot remove the link: {e}", link.display());
        }
    }
    shared.lock().device_present = false;
    shared.notify();
}

/// Serves the device until it is unplugged (returns `None`) or shutdown
/// (returns the pty, still plugged, for the caller to remove).
fn serve(mut pty: Pty, link: &Path, wake: &OwnedFd, shared: &Shared) -> Option<Pty> {
    let settings = &shared.settings;
    let mut starts = JobStarts::new(settings.model.invalidate_len);
    let mut session = new_session(shared);
    let mut buf = vec![0u8; 16 * 1024];
    let mut head_free: Option<Instant> = None;
    loop {
        {
            let guard = shared.lock();
            if guard.stopping {
                return Some(pty);
            }
            if guard.faults.turned_off {
                return None;
            }
        }
        if !tcp::wait_until_reading(shared) {
            let off = shared.lock().faults.turned_off;
            return if off { None } else { Some(pty) };
        }
        let mut fds = [
            PollFd::new(&pty.master, PollFlags::IN),
            PollFd::new(wake, PollFlags::IN),
        ];
        if let Err(e) = rustix::event::poll(&mut fds, None) {
            if e != rustix::io::Errno::INTR {
                log::error!("{}: poll failed: {e}", link.display());
                return Some(pty);
            }
            continue;
        }
        let (master_ready, woken) = (!fds[0].revents().is_empty(), !fds[1].revents().is_empty());
        if woken {
            let mut sink = [0u8; 64];
            let _ = rustix::io::read(wake, &mut sink);
        }
        if !master_ready {
            continue;
        }
        let n = match std::io::Read::read(&mut pty.master, &mut buf) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                continue
            }
            Err(e) => {
                log::debug!("{}: read failed: {e}", link.display());
                0
            }
        };
        if n == 0 {
            continue;
        }
        let received = Instant::now();
        // A hang set while the bytes were on their way holds them until it is cleared.
        if !tcp::wait_until_reading(shared) {
            let off = shared.lock().faults.turned_off;
            return if off { None } else { Some(pty) };
        }
        let data = &buf[..n];
        let mut from = 0usize;
        for start in starts.scan(data) {
            let at = match start {
                Start::At(at) => at,
                Start::Before => 0,
            };
            feed(
                &mut session,
                &data[from..at],
                &mut pty.master,
                shared,
                received,
                &mut head_free,
            );
            session = new_session(shared);
            if start == Start::Before {
                feed(
                    &mut session,
                    &[0x1B],
                    &mut pty.master,
                    shared,
                    received,
                    &mut head_free,
                );
            }
            from = at;
        }
        feed(
            &mut session,
            &data[from..],
            &mut pty.master,
            shared,
            received,
            &mut head_free,
        );
    }
}

/// A session for the next job on the device, recorded as a connection.
fn new_session(shared: &Shared) -> Session {
    let mut guard = shared.lock();
    guard.connections += 1;
    let number = guard.connections;
    guard.open_connection(number);
    Session::new(shared.settings.model, shared.settings.speed, number).over_usb()
}

/// Hands `data` to the session and performs its actions (status blocks to the master).
fn feed(
    session: &mut Session,
    data: &[u8],
    master: &mut std::fs::File,
    shared: &Shared,
    received: Instant,
    head_free: &mut Option<Instant>,
) {
    if data.is_empty() {
        return;
    }
    let (take, drop_now) = {
        let mut guard = shared.lock();
        if let Some(record) = guard.connection_log.back_mut() {
            record.first_byte.get_or_insert(received);
            record.bytes += data.len() as u64;
        }
        match guard.faults.drop_after {
            Some(left) if left <= data.len() => {
                guard.faults.drop_after = None;
                (left, true)
            }
            Some(left) => {
                guard.faults.drop_after = Some(left - data.len());
                (data.len(), false)
            }
            None => (data.len(), false),
        }
    };
    {
        let mut guard = shared.lock();
        let now = SystemTime::now();
        session.handle_input(&data[..take], now, &mut guard);
        if drop_now {
            session.handle_drop(now);
        }
    }
    // The master is non-blocking: a full buffer (nobody reads the device) fails
    // the write and later blocks are not attempted, as on a closed socket.
    let mut out = tcp::Output::new(master);
    tcp::perform(session, &mut out, shared, received, head_free);
}

/// Wakes the device thread.
pub(crate) fn wake(pipe: &OwnedFd) {
    let _ = rustix::io::write(pipe, &[1]);
}

/// Plugs the device in at start, so the link exists when `Emulator::start` returns.
pub(crate) fn start(link: &Path) -> io::Result<Pty> {
    let (master, slave, path) = plug(link)?;
    log::info!("{}: plugged in ({})", link.display(), path.display());
    Ok(Pty {
        master,
        _slave: slave,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_starts_at_esc_at_after_enough_zeros() {
        let mut starts = JobStarts::new(4);
        let mut job = vec![0u8; 4];
        job.extend_from_slice(&[0x1B, 0x40, 0x1B, 0x69, 0x53]);
        assert_eq!(starts.scan(&job), [Start::At(4)]);
        // Too few zeros: a raster line's data, not a job start.
        assert_eq!(starts.scan(&[0, 0, 0, 0x1B, 0x40]), []);
        // Split across reads.
        assert_eq!(starts.scan(&[0, 0, 0, 0, 0, 0x1B]), []);
        assert_eq!(starts.scan(&[0x40, 0x1B, 0x69]), [Start::Before]);
        // Two jobs in one read.
        let mut two = job.clone();
        two.extend_from_slice(&job);
        assert_eq!(starts.scan(&two), [Start::At(4), Start::At(13)]);
    }

    #[test]
    fn the_link_replaces_only_a_symlink() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").expect("write");
        assert!(unlink(&file).is_err(), "a regular file stays");
        assert!(file.exists());
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).expect("symlink");
        unlink(&link).expect("removed");
        assert!(std::fs::symlink_metadata(&link).is_err());
        unlink(&link).expect("nothing to remove is fine");
    }
}
