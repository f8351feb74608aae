//! How a printer actor reaches its printer: the [`Transport`] trait and its
//! implementations — [`TcpTransport`] (raw TCP 9100, the only one real
//! printers need) and [`MemoryTransport`] (scripted, for actor tests).
//!
//! A transport sends one copy's complete job stream and reports the printer's
//! verdict. It never decides what happens to the job: it classifies the
//! outcome ([`SendOutcome`] or [`TransportError`]) and the printer's state
//! machine decides. Futures are `!Send` on purpose: they run on the printer
//! actor's arbiter, spawned, never awaited inside a handler.
//!
//! What a TCP send looks like (brother-raster.md §5.2, §5.3):
//!
//! ```text
//! connect ──(refused/timeout: Unreachable)──►
//! write job bytes ──(fails before the first byte: Unreachable; after: Lost)──►
//! read 32-byte status blocks until "printing completed" + phase "receiving" (Confirmed),
//!   an error block (Attention or Rejected), or silence/EOF (Sent, not confirmed)
//! ```

use printhub_core::{ObservedStatus, PrinterStatus};
use printhub_raster::Media;
use printhub_raster::{ErrorFlags, Model, Phase, Reason, Status, StatusType};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A boxed local future, as transports return them.
pub type SendFuture = Pin<Box<dyn Future<Output = Result<SendOutcome, TransportError>>>>;

/// The future of a status probe.
pub type ProbeFuture = Pin<Box<dyn Future<Output = PrinterStatus>>>;

/// What happened to a copy the printer accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// The printer reported "printing completed" for every page.
    Confirmed,
    /// All bytes were written; the printer did not confirm (models or links that never report).
    Sent,
}

/// Why a copy did not print.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    /// The printer could not be reached; nothing was sent.
    #[error("printer unreachable: {0}")]
    Unreachable(String),
    /// The printer needs a person (no media, cover open, wrong media, jam); nothing printed.
    #[error("printer needs attention: {reason}")]
    Attention {
        /// Stable reason code (`no_media`, `printer_cover_open`, `media_mismatch`, …).
        reason: &'static str,
    },
    /// The printer refused the data.
    #[error("printer rejected the job: {message}")]
    Rejected {
        /// Stable code.
        code: &'static str,
        /// Human-readable detail.
        message: String,
    },
    /// The connection broke after data was sent: whether the label came out is unknown.
    #[error("connection lost mid-job: {0}")]
    Lost(String),
}

/// Sends job bytes to one printer.
pub trait Transport: 'static {
    /// Sends one copy's complete job stream (`pages` pages) and reports the outcome.
    fn send(&self, bytes: Arc<Vec<u8>>, pages: usize) -> SendFuture;

    /// Asks the printer how it is: reachable, what needs a person, what media is loaded.
    /// `last_seen` is filled in by the caller.
    fn probe(&self) -> ProbeFuture;
}

/// Resolves `host[:port]`, with `default_port` when none is given (9100 for
/// raw TCP, 161 for SNMP). `None` when the name does not resolve.
pub fn resolve_address(address: &str, default_port: u16) -> Option<SocketAddr> {
    use std::net::ToSocketAddrs;
    let address = address.trim();
    let with_port = if address.contains(':') {
        address.to_string()
    } else {
        format!("{address}:{default_port}")
    };
    with_port.to_socket_addrs().ok()?.next()
}

/// Timeouts of a [`TcpTransport`].
#[derive(Debug, Clone, Copy)]
pub struct TcpTimeouts {
    /// Connecting.
    pub connect: Duration,
    /// Writing the whole job (the printer applies back-pressure while it prints).
    pub write: Duration,
    /// Waiting for each status block after the data is written.
    pub confirm: Duration,
}

impl Default for TcpTimeouts {
    fn default() -> Self {
        TcpTimeouts {
            connect: Duration::from_secs(5),
            write: Duration::from_secs(60),
            confirm: Duration::from_secs(30),
        }
    }
}

/// Raw TCP port 9100: one connection per copy, as the manuals' network flow.
#[derive(Debug, Clone)]
pub struct TcpTransport {
    addr: SocketAddr,
    model: &'static Model,
    timeouts: TcpTimeouts,
    snmp: Option<(SocketAddr, String)>,
}

impl TcpTransport {
    /// A transport to `addr` for a printer of `model`.
    pub fn new(addr: SocketAddr, model: &'static Model, timeouts: TcpTimeouts) -> Self {
        TcpTransport {
            addr,
            model,
            timeouts,
            snmp: None,
        }
    }

    /// Also reads status over SNMP v2c from `addr` with `community` (the only
    /// status channel of network QL models, which do not answer `ESC i S` on TCP).
    pub fn with_snmp(mut self, addr: SocketAddr, community: &str) -> Self {
        self.snmp = Some((addr, community.to_string()));
        self
    }
}

impl Transport for TcpTransport {
    fn send(&self, bytes: Arc<Vec<u8>>, pages: usize) -> SendFuture {
        let this = self.clone();
        Box::pin(async move { this.send_inner(&bytes, pages).await })
    }

    fn probe(&self) -> ProbeFuture {
        let this = self.clone();
        Box::pin(async move { this.probe_inner().await })
    }
}

/// Classifies an error status block.
fn classify(status: &Status) -> TransportError {
    match status.reason() {
        Some(Reason::Communication) | Some(Reason::SystemError) | None => {
            TransportError::Rejected {
                code: "printer_error",
                message: format!("printer reported error flags {:?}", status.errors),
            }
        }
        Some(reason) => TransportError::Attention {
            reason: reason.code(),
        },
    }
}

impl TcpTransport {
    /// Reads the status over the channels this printer offers: the Brother
    /// status block over SNMP where configured, else `ESC i S` on TCP where
    /// the model answers it (PT, brother-raster.md §5.3), else whether it
    /// accepts a connection at all.
    async fn probe_inner(&self) -> PrinterStatus {
        if let Some((addr, community)) = self.snmp.clone() {
            let timeout = self.timeouts.connect;
            let block = actix_rt::task::spawn_blocking(move || {
                snmp_status_block(addr, &community, timeout)
            })
            .await;
            return match block {
                Ok(Some(block)) => status_from_block(self.model, &block, "snmp"),
                _ => PrinterStatus {
                    source: Some("snmp".into()),
                    ..PrinterStatus::default()
                },
            };
        }
        let Ok(mut stream) = self.connect().await else {
            return PrinterStatus {
                source: Some("connect".into()),
                ..PrinterStatus::default()
            };
        };
        if self.model.answers_status_on_tcp && stream.write_all(&[0x1B, 0x69, 0x53]).await.is_ok() {
            let mut block = [0u8; 32];
            if let Ok(Ok(_)) =
                tokio::time::timeout(self.timeouts.confirm, stream.read_exact(&mut block)).await
            {
                return status_from_block(self.model, &block, "tcp");
            }
        }
        // Reachable, nothing more to learn on this channel.
        PrinterStatus {
            reachable: true,
            ready: true,
            source: Some("connect".into()),
            ..PrinterStatus::default()
        }
    }

    /// Connects, retrying once after a short pause: a printer waking from
    /// sleep may refuse the first contact (Label-Printer-Hub field notes).
    async fn connect(&self) -> Result<tokio::net::TcpStream, String> {
        let mut last = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            match tokio::time::timeout(
                self.timeouts.connect,
                tokio::net::TcpStream::connect(self.addr),
            )
            .await
            {
                Ok(Ok(s)) => return Ok(s),
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => {
                    last = format!(
                        "no connection to {} within {:?}",
                        self.addr, self.timeouts.connect
                    )
                }
            }
        }
        Err(last)
    }

    async fn send_inner(&self, bytes: &[u8], pages: usize) -> Result<SendOutcome, TransportError> {
        let mut stream = self.connect().await.map_err(TransportError::Unreachable)?;
        let _ = stream.set_nodelay(true);
        let (mut reader, mut writer) = stream.split();
        // Read status blocks while writing: the printer may report an error mid-stream.
        let mut written = 0usize;
        let write = async {
            for chunk in bytes.chunks(16 * 1024) {
                writer.write_all(chunk).await?;
                written += chunk.len();
            }
            writer.flush().await
        };
        let mut block = [0u8; 32];
        let mut filled = 0usize;
        let write_result = tokio::time::timeout(self.timeouts.write, async {
            tokio::pin!(write);
            loop {
                tokio::select! {
                    r = &mut write => return r.map_err(|e| (e.to_string(), None)),
                    r = reader.read(&mut block[filled..]) => match r {
                        Ok(0) => return Err(("printer closed the connection".to_string(), None)),
                        Ok(n) => {
                            filled += n;
                            if filled == 32 {
                                filled = 0;
                                if let Ok(s) = Status::parse(&block) {
                                    if s.status_type == StatusType::Error {
                                        return Err((String::new(), Some(s)));
                                    }
                                }
                            }
                        }
                        Err(e) => return Err((e.to_string(), None)),
                    }
                }
            }
        })
        .await;
        match write_result {
            Ok(Ok(())) => {}
            Ok(Err((_, Some(status)))) => return Err(classify(&status)),
            Ok(Err((message, None))) => {
                return Err(if written == 0 {
                    TransportError::Unreachable(message)
                } else {
                    TransportError::Lost(message)
                })
            }
            Err(_) => {
                return Err(TransportError::Lost(format!(
                    "printer took more than {:?} to accept the job",
                    self.timeouts.write
                )))
            }
        }
        // Every page: "printing completed", then the phase back to receiving.
        let mut completed = 0usize;
        let mut saw_garbled = false;
        loop {
            let read =
                tokio::time::timeout(self.timeouts.confirm, reader.read(&mut block[filled..]))
                    .await;
            match read {
                Ok(Ok(0)) | Err(_) => {
                    log::debug!(
                        "{} at {}: {completed}/{pages} page(s) confirmed before silence",
                        self.model.name,
                        self.addr
                    );
                    // Network PT and QL models push status blocks during a print (§5.3):
                    // silence from one of them means nobody knows whether it printed.
                    // Blocks we could not read still show it was printing: sent, unconfirmed.
                    if self.model.network && !saw_garbled {
                        return Err(TransportError::Lost(
                            "the printer went silent after the job was sent".into(),
                        ));
                    }
                    return Ok(SendOutcome::Sent);
                }
                Ok(Err(e)) => return Err(TransportError::Lost(e.to_string())),
                Ok(Ok(n)) => {
                    filled += n;
                    if filled < 32 {
                        continue;
                    }
                    filled = 0;
                    let Ok(status) = Status::parse(&block) else {
                        saw_garbled = true;
                        log::warn!(
                            "{} at {}: garbled status block ignored",
                            self.model.name,
                            self.addr
                        );
                        continue;
                    };
                    match status.status_type {
                        StatusType::Error => return Err(classify(&status)),
                        StatusType::TurnedOff => {
                            return Err(TransportError::Lost("printer turned off".into()))
                        }
                        StatusType::PrintingCompleted => completed += 1,
                        StatusType::PhaseChange
                            if status.phase == Phase::Receiving && completed >= pages =>
                        {
                            return Ok(SendOutcome::Confirmed)
                        }
                        _ if status.errors.contains(ErrorFlags::TURNED_OFF) => {
                            return Err(TransportError::Lost("printer turned off".into()))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Brother's status-block object (brother-raster.md §5.3).
const BROTHER_STATUS_OID: [u64; 14] = [1, 3, 6, 1, 4, 1, 2435, 3, 3, 9, 1, 6, 1, 0];

/// Reads the 32-byte status block over SNMP v2c (blocking; run off the actor threads).
fn snmp_status_block(addr: SocketAddr, community: &str, timeout: Duration) -> Option<Vec<u8>> {
    let oid = snmp2::Oid::from(&BROTHER_STATUS_OID[..]).ok()?;
    let mut session =
        snmp2::SyncSession::new_v2c(addr, community.as_bytes(), Some(timeout), 0).ok()?;
    let response = session.get(&oid).ok()?;
    let mut bindings = response.varbinds;
    match bindings.next()? {
        (_, snmp2::Value::OctetString(bytes)) => Some(bytes.to_vec()),
        _ => None,
    }
}

/// Turns a status block into a [`PrinterStatus`]; an unreadable block is "reachable, state unknown".
fn status_from_block(model: &Model, block: &[u8], source: &str) -> PrinterStatus {
    let Ok(status) = Status::parse(block) else {
        // It answered, but not in a form we can read: reachable, state unknown, not a stop.
        return PrinterStatus {
            reachable: true,
            ready: false,
            errors: vec!["garbled_status".into()],
            source: Some(source.into()),
            ..PrinterStatus::default()
        };
    };
    let reason = status.reason().map(|r| r.code().to_string());
    let errors = status_errors(&status);
    let media = (status.media_width_mm != 0)
        .then(|| {
            Media::from_status(
                model.family,
                status.media_width_mm,
                status.media_type,
                status.media_length_mm,
            )
        })
        .flatten()
        .map(|m| m.id.to_string());
    PrinterStatus {
        reachable: true,
        ready: reason.is_none(),
        reason,
        media,
        errors,
        last_seen: None,
        source: Some(source.into()),
        expected_media: None,
    }
}

fn status_errors(status: &Status) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for flag in status.errors.iter() {
        let single = Status {
            errors: flag,
            ..*status
        };
        if let Some(reason) = single.reason() {
            let code = reason.code().to_string();
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    codes
}

/// One send a [`MemoryTransport`] recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedSend {
    /// The bytes sent.
    pub bytes: Arc<Vec<u8>>,
    /// Pages in them.
    pub pages: usize,
}

/// A scripted transport for tests: records every send and answers from a
/// queue of outcomes (default: confirmed), optionally after a gate opens.
#[derive(Debug, Clone, Default)]
pub struct MemoryTransport {
    inner: Rc<RefCell<MemoryInner>>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    sent: Vec<RecordedSend>,
    script: VecDeque<Result<SendOutcome, TransportError>>,
    probe: Option<PrinterStatus>,
    gate: Option<Rc<Gate>>,
}

/// A latch sends wait on while closed.
#[derive(Debug, Default)]
struct Gate {
    open: std::cell::Cell<bool>,
    notify: tokio::sync::Notify,
}

impl Gate {
    async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.open.get() {
                return;
            }
            notified.await;
        }
    }
}

impl MemoryTransport {
    /// Queues the outcome of the next send.
    pub fn push_outcome(&self, outcome: Result<SendOutcome, TransportError>) {
        self.inner.borrow_mut().script.push_back(outcome);
    }

    /// Everything sent so far.
    pub fn sent(&self) -> Vec<RecordedSend> {
        self.inner.borrow().sent.clone()
    }

    /// What probes answer from now on (default: reachable and ready, media unknown).
    pub fn set_probe(&self, observed: ObservedStatus) {
        self.inner.borrow_mut().probe = Some(PrinterStatus {
            reachable: observed.reachable,
            ready: observed.reachable && observed.attention.is_none(),
            reason: observed.attention,
            source: Some("memory".into()),
            ..PrinterStatus::default()
        });
    }

    /// What probes answer from now on, in full.
    pub fn set_status(&self, status: PrinterStatus) {
        self.inner.borrow_mut().probe = Some(status);
    }

    /// Makes every send wait until [`MemoryTransport::open_gate`] is called:
    /// a print that is "in progress" for as long as a test needs.
    pub fn close_gate(&self) {
        self.inner.borrow_mut().gate = Some(Rc::new(Gate::default()));
    }

    /// Lets waiting and future sends finish.
    pub fn open_gate(&self) {
        if let Some(gate) = self.inner.borrow_mut().gate.take() {
            gate.open.set(true);
            gate.notify.notify_waiters();
        }
    }
}

impl Transport for MemoryTransport {
    fn send(&self, bytes: Arc<Vec<u8>>, pages: usize) -> SendFuture {
        let inner = self.inner.clone();
        Box::pin(async move {
            let gate = {
                let mut state = inner.borrow_mut();
                state.sent.push(RecordedSend { bytes, pages });
                state.gate.clone()
            };
            if let Some(gate) = gate {
                gate.wait().await;
            }
            let mut state = inner.borrow_mut();
            state
                .script
                .pop_front()
                .unwrap_or(Ok(SendOutcome::Confirmed))
        })
    }

    fn probe(&self) -> ProbeFuture {
        let status = self.inner.borrow().probe.clone().unwrap_or(PrinterStatus {
            reachable: true,
            ready: true,
            source: Some("memory".into()),
            ..PrinterStatus::default()
        });
        Box::pin(async move { status })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use printhub_raster::{ErrorFlags, Notification, StatusType};

    fn model(name: &str) -> &'static Model {
        Model::by_name(name).expect("model")
    }

    #[test]
    fn addresses_take_a_default_port() {
        assert_eq!(
            resolve_address("127.0.0.1", 9100),
            Some(([127, 0, 0, 1], 9100).into())
        );
        assert_eq!(
            resolve_address(" 127.0.0.1:1161 ", 161),
            Some(([127, 0, 0, 1], 1161).into())
        );
        assert_eq!(resolve_address("no-such-host.invalid", 9100), None);
    }

    #[test]
    fn a_ready_block_reports_the_loaded_media() {
        let pt = model("PT-P750W");
        let block = Status::ready(pt, Media::by_id("tze-12")).to_bytes();
        let status = status_from_block(pt, &block, "tcp");
        assert!(status.reachable && status.ready);
        assert_eq!(status.media.as_deref(), Some("tze-12"));
        assert_eq!(status.reason, None);
        assert!(status.errors.is_empty());
        assert_eq!(status.source.as_deref(), Some("tcp"));
    }

    #[test]
    fn error_bits_become_a_reason_and_every_error_code() {
        // brother-raster.md §7: cover open outranks no media; both are listed.
        let ql = model("QL-820NWB");
        let mut block = Status::ready(ql, None);
        block.errors = ErrorFlags::NO_MEDIA | ErrorFlags::COVER_OPEN;
        let status = status_from_block(ql, &block.to_bytes(), "snmp");
        assert!(status.reachable && !status.ready);
        assert_eq!(status.reason.as_deref(), Some("printer_cover_open"));
        assert_eq!(
            status.errors,
            ["no_media", "printer_cover_open"].map(String::from),
            "in bit order"
        );
        assert_eq!(status.media, None);
    }

    #[test]
    fn a_garbled_block_is_reachable_but_no_reason_to_stop() {
        let status = status_from_block(model("PT-P750W"), &[0xEE; 32], "tcp");
        assert!(status.reachable && !status.ready);
        assert_eq!(
            status.reason, None,
            "garbage is not a person-needed condition"
        );
        assert_eq!(status.errors, ["garbled_status"]);
    }

    #[test]
    fn error_blocks_are_classified_for_the_state_machine() {
        let pt = model("PT-P750W");
        let mut block = Status::ready(pt, Media::by_id("tze-12"));
        block.status_type = StatusType::Error;
        block.errors = ErrorFlags::WRONG_MEDIA;
        assert_eq!(
            classify(&block),
            TransportError::Attention {
                reason: "media_mismatch"
            }
        );
        block.errors = ErrorFlags::CUTTER_JAM;
        assert_eq!(
            classify(&block),
            TransportError::Attention {
                reason: "cutter_jam"
            }
        );
        // A protocol violation is the printer refusing the data, not a person's job.
        block.errors = ErrorFlags::COMMUNICATION;
        assert!(matches!(classify(&block), TransportError::Rejected { .. }));
        block.errors = ErrorFlags::empty();
        block.status_type = StatusType::Notification;
        block.notification = Notification::CoverOpen;
        assert_eq!(
            classify(&block),
            TransportError::Attention {
                reason: "printer_cover_open"
            }
        );
    }
}
