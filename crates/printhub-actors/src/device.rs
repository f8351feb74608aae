//! USB printers through the kernel's printer device: the [`DeviceTransport`]
//! for a character device such as `/dev/usb/lp0` (the `usblp` driver), or a
//! stable symlink to one, or the emulator's pseudo-terminal link.
//!
//! A printer on USB has one byte stream in each direction on one file
//! descriptor: what the hub writes goes to the printer, and a read returns
//! the 32-byte status blocks it sends back (every model reports each page
//! over USB, so sends are paced and confirmed as over TCP; the write and
//! read loop is the TCP transport's, `transport::drive`). The device is
//! opened non-blocking and registered with the runtime (a `usblp` read
//! blocks until the printer answers, so a blocking read would hold a thread
//! with no way to time it out), for each send and each probe, and closed
//! after: a device that disappeared (unplugged, turned off) and came back,
//! perhaps as another `lpN` behind the same symlink, is found again by the
//! next probe with nothing to reset.
//!
//! **Invariant:** one open at a time. `usblp` refuses a second open of the
//! same device (`EBUSY`), so a probe waits for a send in progress and the
//! other way round (one lock per transport).
//!
//! **Invariant:** a device the hub cannot open is an unreachable printer with
//! a reason (`device_missing`, `device_permission_denied`), never a panic:
//! the printer is offline, its queue kept, until the device is there.
//!
//! **Invariant:** job bytes go only to a printer's character device (`usblp`,
//! major 180; a parallel port, 6; a pty slave, the emulator's). A path that
//! names anything else (a regular file, a disk) is opened without truncating,
//! checked, and closed unwritten: `device_not_a_printer`.
//!
//! Status on USB: `ESC i S` after an invalidate and `ESC @` (every model
//! answers it on USB, network QL models included), read with the confirm
//! timeout. Bytes left unread by an earlier send are drained first, so a
//! probe never mistakes a stale block for the answer.

use crate::transport::{
    drive, status_from_block, Link, LinkProgress, Outgoing, ProbeFuture, ProgressSink, SendFuture,
    SendReport, TcpTimeouts, Transport, TransportError,
};
use printhub_core::PrinterStatus;
use printhub_raster::Model;
use std::io::{ErrorKind, Read};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::pipe;

/// The reason a probe gives when the device node does not exist (unplugged,
/// turned off, the symlink gone).
pub const DEVICE_MISSING: &str = "device_missing";

/// The reason a probe gives when the hub may not open the device.
pub const DEVICE_PERMISSION_DENIED: &str = "device_permission_denied";

/// The reason a probe gives when the device exists but cannot be opened for
/// another reason (busy with another program, an I/O error).
pub const DEVICE_UNAVAILABLE: &str = "device_unavailable";

/// The reason a probe gives when the path is not a printer device (a
/// regular file, a disk, a terminal the hub must not write jobs to).
pub const DEVICE_NOT_A_PRINTER: &str = "device_not_a_printer";

/// Character-device majors a job may be written to: USB devices (`usblp`'s
/// `/dev/usb/lpN` is 180), parallel-port printers (6), and pseudo-terminal
/// slaves (136–143: the emulator's pseudo-device).
fn printer_major(major: u32) -> bool {
    matches!(major, 180 | 6 | 136..=143)
}

/// `ESC i S`: status information request.
const STATUS_REQUEST: [u8; 3] = [0x1B, 0x69, 0x53];
/// `ESC @`: initialise.
const INITIALISE: [u8; 2] = [0x1B, 0x40];

/// Why a device could not be opened. [`DeviceError::code`] is stable.
#[derive(Debug, Error)]
pub enum DeviceError {
    /// No such file (the printer unplugged or off, the symlink gone).
    #[error("{path}: no such device (unplugged or turned off?)")]
    Missing {
        /// The configured path.
        path: String,
    },
    /// The hub's user may not open it.
    #[error("{path}: permission denied: add the service user to the lp group")]
    PermissionDenied {
        /// The configured path.
        path: String,
    },
    /// Not a character device of a printer: nothing is written to it.
    #[error("{path}: not a printer device (a /dev/usb/lp* character device)")]
    NotAPrinter {
        /// The configured path.
        path: String,
    },
    /// Anything else (busy, I/O error, not registrable for readiness).
    #[error("{path}: {source}")]
    Unavailable {
        /// The configured path.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl DeviceError {
    /// Stable machine code (also the probe's reason).
    pub fn code(&self) -> &'static str {
        match self {
            DeviceError::Missing { .. } => DEVICE_MISSING,
            DeviceError::PermissionDenied { .. } => DEVICE_PERMISSION_DENIED,
            DeviceError::NotAPrinter { .. } => DEVICE_NOT_A_PRINTER,
            DeviceError::Unavailable { .. } => DEVICE_UNAVAILABLE,
        }
    }

    fn from_io(path: &Path, e: std::io::Error) -> Self {
        let path = path.display().to_string();
        match e.kind() {
            ErrorKind::NotFound => DeviceError::Missing { path },
            ErrorKind::PermissionDenied => DeviceError::PermissionDenied { path },
            _ => DeviceError::Unavailable { path, source: e },
        }
    }
}

/// A printer on a character device (`/dev/usb/lp0`). See the module documentation.
#[derive(Debug, Clone)]
pub struct DeviceTransport {
    path: PathBuf,
    model: &'static Model,
    timeouts: TcpTimeouts,
    /// Held while the device is open: one open at a time.
    busy: Rc<tokio::sync::Mutex<()>>,
}

/// The two halves of an open device.
struct Opened {
    reader: pipe::Receiver,
    writer: pipe::Sender,
}

impl DeviceTransport {
    /// A transport to the device at `path` for a printer of `model`
    /// (`timeouts.connect` is unused: opening a device does not wait).
    pub fn new(path: impl Into<PathBuf>, model: &'static Model, timeouts: TcpTimeouts) -> Self {
        DeviceTransport {
            path: path.into(),
            model,
            timeouts,
            busy: Rc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The device path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the device read-write, non-blocking, not as a controlling
    /// terminal, drains what an earlier use left unread, and registers both
    /// directions with the runtime.
    fn open(&self) -> Result<Opened, DeviceError> {
        let flags = (rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(flags as i32)
            .open(&self.path)
            .map_err(|e| DeviceError::from_io(&self.path, e))?;
        let unavailable = |source| DeviceError::Unavailable {
            path: self.path.display().to_string(),
            source,
        };
        // Only a printer's character device is written to: an address edited to
        // name a file or a disk must not get job bytes (opening changed nothing).
        let meta = file.metadata().map_err(unavailable)?;
        let printer =
            meta.file_type().is_char_device() && printer_major(rustix::fs::major(meta.rdev()));
        if !printer {
            return Err(DeviceError::NotAPrinter {
                path: self.path.display().to_string(),
            });
        }
        drain(&file);
        let fd: OwnedFd = file.into();
        let write_fd = fd.try_clone().map_err(unavailable)?;
        let reader = pipe::Receiver::from_owned_fd_unchecked(fd).map_err(unavailable)?;
        let writer = pipe::Sender::from_owned_fd_unchecked(write_fd).map_err(unavailable)?;
        Ok(Opened { reader, writer })
    }

    async fn send_inner(
        &self,
        out: &Outgoing,
        link: &mut LinkProgress,
    ) -> Result<crate::SendOutcome, TransportError> {
        let _open = self.busy.lock().await;
        let Opened {
            mut reader,
            mut writer,
        } = self
            .open()
            .map_err(|e| TransportError::Unreachable(e.to_string()))?;
        let to = Link {
            model: self.model,
            timeouts: self.timeouts,
            reports: true,
            name: self.path.display().to_string(),
        };
        drive(&mut reader, &mut writer, out, link, &to).await
    }

    async fn probe_inner(&self) -> PrinterStatus {
        let _open = self.busy.lock().await;
        let Opened {
            mut reader,
            mut writer,
        } = match self.open() {
            Ok(opened) => opened,
            Err(e) => {
                log::warn!("{}: {e}", self.model.name);
                return PrinterStatus {
                    reason: Some(e.code().into()),
                    source: Some("device".into()),
                    ..PrinterStatus::default()
                };
            }
        };
        let mut request = vec![0u8; self.model.invalidate_len];
        request.extend_from_slice(&INITIALISE);
        request.extend_from_slice(&STATUS_REQUEST);
        let asked = tokio::time::timeout(self.timeouts.write, writer.write_all(&request)).await;
        if !matches!(asked, Ok(Ok(()))) {
            log::warn!(
                "{} at {}: the status request was not accepted",
                self.model.name,
                self.path.display()
            );
            return PrinterStatus {
                source: Some("device".into()),
                ..PrinterStatus::default()
            };
        }
        let mut block = [0u8; 32];
        match tokio::time::timeout(self.timeouts.confirm, reader.read_exact(&mut block)).await {
            Ok(Ok(_)) => status_from_block(self.model, &block, "device"),
            Ok(Err(e)) => {
                log::warn!("{} at {}: {e}", self.model.name, self.path.display());
                PrinterStatus {
                    source: Some("device".into()),
                    ..PrinterStatus::default()
                }
            }
            Err(_) => {
                log::warn!(
                    "{} at {}: no status block within {:?}",
                    self.model.name,
                    self.path.display(),
                    self.timeouts.confirm
                );
                PrinterStatus {
                    source: Some("device".into()),
                    ..PrinterStatus::default()
                }
            }
        }
    }
}

/// Reads and drops whatever is waiting on a non-blocking device.
fn drain(mut file: &std::fs::File) {
    let mut buf = [0u8; 512];
    let mut dropped = 0usize;
    // Bounded: a device that never stops talking is not drained forever.
    for _ in 0..64 {
        match file.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => dropped += n,
        }
    }
    if dropped > 0 {
        log::debug!("dropped {dropped} stale bytes from the device");
    }
}

impl Transport for DeviceTransport {
    fn send(&self, outgoing: Outgoing, progress: ProgressSink) -> SendFuture {
        let this = self.clone();
        Box::pin(async move {
            let mut link = LinkProgress::new(&outgoing, progress);
            let result = this.send_inner(&outgoing, &mut link).await;
            SendReport {
                progress: link.progress,
                result,
            }
        })
    }

    fn probe(&self) -> ProbeFuture {
        let this = self.clone();
        Box::pin(async move { this.probe_inner().await })
    }
}

/// Whether a printer's `address` names a device (an absolute path) rather
/// than `host[:port]`.
pub fn is_device_path(address: &str) -> bool {
    address.trim_start().starts_with('/')
}

/// The model an IEEE 1284 device id names (its `MDL:` or `MODEL:` field):
/// `MFG:Brother;CMD:PT-CBP;MDL:QL-700;CLS:PRINTER;` names `QL-700`.
pub fn model_from_ieee1284(id: &str) -> Option<&str> {
    id.split(';').find_map(|field| {
        let (key, value) = field.split_once(':')?;
        let key = key.trim();
        (key.eq_ignore_ascii_case("MDL") || key.eq_ignore_ascii_case("MODEL"))
            .then(|| value.trim())
            .filter(|v| !v.is_empty())
    })
}

/// A printer device found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDevice {
    /// The device node (`/dev/usb/lp0`).
    pub path: PathBuf,
    /// The IEEE 1284 device id the printer gave, if the kernel has it.
    pub ieee1284_id: Option<String>,
}

impl FoundDevice {
    /// The model its device id names.
    pub fn model(&self) -> Option<&str> {
        self.ieee1284_id.as_deref().and_then(model_from_ieee1284)
    }
}

/// The `lp*` devices under `dev` (`/dev/usb`), each with the device id the
/// kernel read from it (`sysfs/lpN/device/ieee1284_id`, sysfs being
/// `/sys/class/usbmisc`), sorted by path.
pub fn find_devices(dev: &Path, sysfs: &Path) -> Vec<FoundDevice> {
    let Ok(entries) = std::fs::read_dir(dev) else {
        return Vec::new();
    };
    let mut found: Vec<FoundDevice> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            name.strip_prefix("lp")?.parse::<u32>().ok()?;
            let id = std::fs::read_to_string(sysfs.join(&name).join("device/ieee1284_id"))
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            Some(FoundDevice {
                path: entry.path(),
                ieee1284_id: id,
            })
        })
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_comes_from_the_mdl_field() {
        let ql = "MFG:Brother;CMD:PT-CBP;MDL:QL-700;CLS:PRINTER;";
        assert_eq!(model_from_ieee1284(ql), Some("QL-700"));
        assert_eq!(
            model_from_ieee1284("MANUFACTURER:Brother;COMMAND SET:PT-CBP;MODEL:PT-P700;"),
            Some("PT-P700")
        );
        assert_eq!(model_from_ieee1284("MFG:Brother;CMD:PT-CBP;"), None);
        assert_eq!(model_from_ieee1284("MDL:;"), None);
        assert_eq!(model_from_ieee1284(""), None);
    }

    #[test]
    fn devices_are_found_with_their_ids() {
        let dev = tempfile::tempdir().expect("dev");
        let sys = tempfile::tempdir().expect("sys");
        for name in ["lp1", "lp0", "hiddev0", "lpx"] {
            std::fs::write(dev.path().join(name), b"").expect("node");
        }
        std::fs::create_dir_all(sys.path().join("lp0/device")).expect("sysfs");
        std::fs::write(
            sys.path().join("lp0/device/ieee1284_id"),
            "MFG:Brother;CMD:PT-CBP;MDL:QL-570;CLS:PRINTER;\n",
        )
        .expect("id");
        let found = find_devices(dev.path(), sys.path());
        let names: Vec<_> = found.iter().map(|f| f.path.file_name()).collect();
        assert_eq!(names, [Some("lp0".as_ref()), Some("lp1".as_ref())]);
        assert_eq!(found[0].model(), Some("QL-570"));
        assert_eq!(found[1].ieee1284_id, None);
        assert!(find_devices(&dev.path().join("none"), sys.path()).is_empty());
    }

    #[test]
    fn open_errors_have_stable_codes_and_say_what_to_do() {
        let path = Path::new("/dev/usb/lp0");
        let denied = DeviceError::from_io(path, ErrorKind::PermissionDenied.into());
        assert_eq!(denied.code(), "device_permission_denied");
        assert_eq!(
            denied.to_string(),
            "/dev/usb/lp0: permission denied: add the service user to the lp group"
        );
        let missing = DeviceError::from_io(path, ErrorKind::NotFound.into());
        assert_eq!(missing.code(), "device_missing");
        let busy = DeviceError::from_io(path, std::io::Error::from_raw_os_error(16));
        assert_eq!(busy.code(), "device_unavailable");
    }

    #[test]
    fn only_printer_devices_are_written_to() {
        assert!(printer_major(180), "usblp");
        assert!(printer_major(136), "a pty slave");
        assert!(!printer_major(1), "/dev/mem, /dev/null");
        assert!(!printer_major(4), "a virtual console");
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("db.sqlite");
        std::fs::write(&file, b"precious").expect("write");
        let model = Model::by_name("QL-700").expect("model");
        let transport = DeviceTransport::new(&file, model, TcpTimeouts::default());
        assert!(matches!(
            transport.open().map(|_| ()),
            Err(DeviceError::NotAPrinter { .. })
        ));
        assert_eq!(std::fs::read(&file).expect("read"), b"precious");
    }

    #[test]
    fn absolute_paths_are_devices_and_host_names_are_not() {
        assert!(is_device_path("/dev/usb/lp0"));
        assert!(is_device_path("/dev/printers/ql700"));
        assert!(!is_device_path("192.168.1.20:9100"));
        assert!(!is_device_path("printer.local"));
    }
}
