//! How a printer actor reaches its printer: the [`Transport`] trait and its
//! implementations — [`TcpTransport`] (raw TCP 9100, the only one real
//! printers need) and [`MemoryTransport`] (scripted, for actor tests).
//!
//! A transport sends one stream — one copy's job stream, or a chain of copies
//! joined into one ([`Outgoing`]) — and reports how far it got, copy by copy
//! ([`SendProgress`], live through a [`ProgressSink`] and final in the
//! [`SendReport`]), and the printer's verdict. It never decides what happens
//! to the jobs: it classifies the outcome ([`SendOutcome`] or
//! [`TransportError`]) and the printer's state machine decides. Futures are
//! `!Send` on purpose: they run on the printer actor's arbiter, spawned,
//! never awaited inside a handler.
//!
//! What a TCP send looks like (brother-raster.md §5.2, §5.3):
//!
//! ```text
//! connect ──(refused/timeout: Unreachable)──►
//! write the stream, at most PACING_COPIES copies ahead of the printer's "printing
//!   completed" reports on models that send them ──(fails before the first byte:
//!   Unreachable; after: Lost; no byte accepted within the write timeout: Lost)──►
//! meanwhile read 32-byte status blocks: "printing completed" per label (a copy is
//!   printed when all its labels are), until the last one + phase "receiving"
//!   (Confirmed), an error block (Attention or Rejected), or silence/EOF (Lost on
//!   models that report, else Sent, not confirmed)
//! ```
//!
//! Pacing keeps what a dropped connection leaves uncertain small: only the
//! copy printing and the next one (fully received, so the printer never waits
//! for the hub) may have reached the printer unconfirmed; the copies behind
//! them were never sent and go back to the queue.

use crate::address::Endpoint;
use printhub_core::{ObservedStatus, PrinterStatus};
use printhub_raster::{CopySpan, Media};
use printhub_raster::{ErrorFlags, Model, Notification, Phase, Reason, Status, StatusType};
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
pub type SendFuture = Pin<Box<dyn Future<Output = SendReport>>>;

/// Where progress reports go while a send runs.
pub type ProgressSink = tokio::sync::mpsc::UnboundedSender<SendProgress>;

/// On models that report every page, how many copies may be written ahead
/// of the printer's confirmations: the one printing and the next.
pub const PACING_COPIES: usize = 2;

/// One stream to send: its bytes and where each copy ends in them.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The stream.
    pub bytes: Arc<Vec<u8>>,
    /// One entry per copy, in order (a single copy: one entry).
    pub copies: Vec<CopySpan>,
}

impl Outgoing {
    /// One copy's stream as it is, spanning all of it.
    pub fn single(bytes: Arc<Vec<u8>>, pages: usize) -> Self {
        let end = bytes.len();
        Outgoing {
            bytes,
            copies: vec![CopySpan {
                end,
                pages: pages.max(1),
                feed_mm: 0,
            }],
        }
    }
}

/// How far a send got, counted in copies from the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendProgress {
    /// Copies whose bytes (through their last page's terminator) were handed to the printer.
    pub sent: usize,
    /// Copies the printer reported printed ("printing completed" for each of their pages).
    pub printed: usize,
}

/// How a send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReport {
    /// How far it got.
    pub progress: SendProgress,
    /// The verdict: every copy printed (confirmed or only sent), or why not.
    pub result: Result<SendOutcome, TransportError>,
}

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
    /// Sends one stream (one copy, or a chain of copies), reporting progress
    /// to `progress` as it goes, and reports the outcome.
    fn send(&self, outgoing: Outgoing, progress: ProgressSink) -> SendFuture;

    /// Asks the printer how it is: reachable, what needs a person, what media is loaded.
    /// `last_seen` is filled in by the caller.
    fn probe(&self) -> ProbeFuture;
}

/// Resolves `host[:port]`, with `default_port` when none is given (9100 for
/// raw TCP, 161 for SNMP), blocking. `None` when the address is malformed or
/// the name does not resolve ([`Endpoint`] tells which).
pub fn resolve_address(address: &str, default_port: u16) -> Option<SocketAddr> {
    Endpoint::parse(address, default_port)
        .ok()?
        .resolve_blocking()
        .ok()?
        .into_iter()
        .next()
}

/// Timeouts of a [`TcpTransport`].
#[derive(Debug, Clone, Copy)]
pub struct TcpTimeouts {
    /// Connecting.
    pub connect: Duration,
    /// The most a write may wait for the printer to accept more bytes (it
    /// applies back-pressure while it prints); no progress for this long is a hang.
    pub write: Duration,
    /// Waiting for each status block after the data is written, on top of
    /// the expected print time of the copies in flight (see [`silence_limit`]).
    pub confirm: Duration,
}

/// How much longer than the datasheet speed (`Model::speed_mm_s`) a print
/// may take before silence counts: nominal speeds are best cases, and
/// printers slow down for dense labels, high resolution and heat.
pub const PRINT_TIME_MARGIN: f64 = 2.0;

/// How much longer a send waits while the printer says it is cooling
/// (between the notifications "cooling started" and "cooling finished",
/// brother-raster.md §5.2 item 5: wait for "cooling finished"). No source
/// gives how long a head takes to cool; the bound only keeps a printer that
/// dies while cooling from holding the send forever.
pub const COOLING_WAIT: Duration = Duration::from_secs(300);

/// How long a send may hear nothing (no status block, no byte accepted)
/// while `in_flight_mm` of labels are written but not reported printed:
/// the configured `base`, plus their print time at the model's nominal
/// speed times [`PRINT_TIME_MARGIN`]. A PT at 30 mm/s prints a metre in
/// about 33 s, so a fixed limit would call a long label lost while it prints.
pub fn silence_limit(base: Duration, model: &Model, in_flight_mm: u32) -> Duration {
    if model.speed_mm_s == 0 {
        return base;
    }
    let print = f64::from(in_flight_mm) / f64::from(model.speed_mm_s) * PRINT_TIME_MARGIN;
    base.saturating_add(Duration::from_secs_f64(print))
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
///
/// A host name is looked up again on every connection and every SNMP read
/// (never cached here), so a printer that moved to another address, or whose
/// name did not resolve when the hub started, is found as soon as DNS says
/// so; until then a probe reports it unreachable with the reason
/// `address_unresolvable`.
#[derive(Debug, Clone)]
pub struct TcpTransport {
    addr: Endpoint,
    model: &'static Model,
    timeouts: TcpTimeouts,
    snmp: Option<(Endpoint, String)>,
}

impl TcpTransport {
    /// A transport to `addr` (a socket address or an unresolved [`Endpoint`]) for
    /// a printer of `model`.
    pub fn new(addr: impl Into<Endpoint>, model: &'static Model, timeouts: TcpTimeouts) -> Self {
        TcpTransport {
            addr: addr.into(),
            model,
            timeouts,
            snmp: None,
        }
    }

    /// Also reads status over SNMP v2c from `addr` with `community` (the only
    /// status channel of network QL models, which do not answer `ESC i S` on TCP).
    pub fn with_snmp(mut self, addr: impl Into<Endpoint>, community: &str) -> Self {
        self.snmp = Some((addr.into(), community.to_string()));
        self
    }
}

/// Why a connection was not made.
#[derive(Debug)]
enum NoConnection {
    /// The host name does not resolve now.
    Unresolvable(String),
    /// Refused, timed out, unreachable.
    Failed(String),
}

impl std::fmt::Display for NoConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoConnection::Unresolvable(e) | NoConnection::Failed(e) => f.write_str(e),
        }
    }
}

impl Transport for TcpTransport {
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
    /// status block over SNMP where configured (or, from an agent without
    /// that object, the standard printer MIB), else `ESC i S` on TCP where
    /// the model answers it (PT, brother-raster.md §5.3), else whether it
    /// accepts a connection at all. An SNMP read that fails (no answer: a
    /// wrong community or a blocked port; or neither object) is not the
    /// printer being away: the TCP channel decides, and the status lists
    /// `snmp_failed`.
    async fn probe_inner(&self) -> PrinterStatus {
        let Some((addr, community)) = self.snmp.clone() else {
            return self.probe_tcp().await;
        };
        let timeout = self.timeouts.connect;
        let read = match addr.resolve(timeout).await {
            Ok(found) => {
                // One agent: the first address the name has.
                let agent = found[0];
                actix_rt::task::spawn_blocking(move || snmp_read(agent, &community, timeout))
                    .await
                    .unwrap_or_else(|e| Err(format!("SNMP task failed: {e}")))
            }
            Err(e) => Err(e.to_string()),
        };
        match read {
            Ok(SnmpReading::Block(block)) => status_from_block(self.model, &block, "snmp"),
            Ok(SnmpReading::Mib(mib)) => status_from_mib(self.model, &mib),
            Err(e) => {
                log::warn!(
                    "{} at {}: SNMP status read from {addr} failed ({e}); probing TCP",
                    self.model.name,
                    self.addr
                );
                let mut status = self.probe_tcp().await;
                status.errors.push(SNMP_FAILED.into());
                status
            }
        }
    }

    /// The TCP side of a probe: connect, and `ESC i S` where the model answers it.
    async fn probe_tcp(&self) -> PrinterStatus {
        let mut stream = match self.connect().await {
            Ok(stream) => stream,
            Err(NoConnection::Unresolvable(e)) => {
                log::warn!("{} at {}: {e}", self.model.name, self.addr);
                return PrinterStatus {
                    reason: Some(printhub_core::reason::ADDRESS_UNRESOLVABLE.into()),
                    source: Some("resolve".into()),
                    ..PrinterStatus::default()
                };
            }
            Err(NoConnection::Failed(_)) => {
                return PrinterStatus {
                    source: Some("connect".into()),
                    ..PrinterStatus::default()
                }
            }
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

    /// Resolves the address (again, every time), then connects to the first
    /// of its addresses that answers, retrying once after a short pause: a
    /// printer waking from sleep may refuse the first contact
    /// (Label-Printer-Hub field notes).
    async fn connect(&self) -> Result<tokio::net::TcpStream, NoConnection> {
        let found = self
            .addr
            .resolve(self.timeouts.connect)
            .await
            .map_err(|e| NoConnection::Unresolvable(e.to_string()))?;
        let mut last = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            for addr in &found {
                match tokio::time::timeout(
                    self.timeouts.connect,
                    tokio::net::TcpStream::connect(addr),
                )
                .await
                {
                    Ok(Ok(s)) => return Ok(s),
                    Ok(Err(e)) => last = format!("{addr}: {e}"),
                    Err(_) => {
                        last = format!("no connection to {addr} within {:?}", self.timeouts.connect)
                    }
                }
            }
        }
        Err(NoConnection::Failed(last))
    }

    async fn send_inner(
        &self,
        out: &Outgoing,
        link: &mut LinkProgress,
    ) -> Result<SendOutcome, TransportError> {
        let mut stream = self
            .connect()
            .await
            .map_err(|e| TransportError::Unreachable(e.to_string()))?;
        let _ = stream.set_nodelay(true);
        let (mut reader, mut writer) = stream.split();
        let link_to = Link {
            model: self.model,
            timeouts: self.timeouts,
            reports: self.model.network,
            name: self.addr.to_string(),
        };
        drive(&mut reader, &mut writer, out, link, &link_to).await
    }
}

/// What [`drive`] needs to know about the link a stream is sent over.
pub(crate) struct Link {
    /// The printer's model.
    pub model: &'static Model,
    /// Write and confirmation limits.
    pub timeouts: TcpTimeouts,
    /// The printer reports every page on this link (network models over TCP,
    /// every model over USB): writes are paced, and silence is `Lost`.
    pub reports: bool,
    /// The address or device path, for logs.
    pub name: String,
}

/// Writes `out` to `writer` while reading 32-byte status blocks from
/// `reader`, pacing and classifying as the module documentation describes.
/// Shared by the TCP and the device transport: only how the two halves are
/// obtained differs.
pub(crate) async fn drive<R, W>(
    reader: &mut R,
    writer: &mut W,
    out: &Outgoing,
    link: &mut LinkProgress,
    to: &Link,
) -> Result<SendOutcome, TransportError>
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let model = to.model;
    let bytes = out.bytes.as_slice();
    let mut written = 0usize;
    let mut block = [0u8; 32];
    let mut filled = 0usize;
    let broken = |message: String, written: usize| {
        if written == 0 {
            TransportError::Unreachable(message)
        } else {
            TransportError::Lost(message)
        }
    };
    loop {
        // Pace on links that report each page, while their reports are readable.
        let limit = if to.reports && !link.saw_garbled {
            link.write_limit(PACING_COPIES).min(bytes.len())
        } else {
            bytes.len()
        };
        if written < limit {
            let end = limit.min(written + WRITE_CHUNK);
            // The printer stops reading while its buffer is full of labels it prints.
            let write_limit = link.silence_limit(to.timeouts.write, model, written);
            tokio::select! {
                biased;
                read = reader.read(&mut block[filled..]) => match read {
                    Ok(0) => return Err(broken("printer closed the connection".into(), written)),
                    Ok(n) => {
                        filled += n;
                        if filled == block.len() {
                            filled = 0;
                            if let Some(done) = link.status_block(&block, model, written == bytes.len())? {
                                return Ok(done);
                            }
                        }
                    }
                    Err(e) => return Err(broken(e.to_string(), written)),
                },
                write = tokio::time::timeout(write_limit, writer.write(&bytes[written..end])) => match write {
                    Ok(Ok(0)) => return Err(broken("printer accepts no more data".into(), written)),
                    Ok(Ok(n)) => {
                        written += n;
                        link.written(written);
                    }
                    Ok(Err(e)) => return Err(broken(e.to_string(), written)),
                    Err(_) => {
                        return Err(TransportError::Lost(format!(
                            "printer accepted no data for {write_limit:?}"
                        )))
                    }
                },
            }
            continue;
        }
        if written == bytes.len() {
            let _ = writer.flush().await;
        }
        // Everything allowed is written: wait for the printer, as long as the
        // labels it holds may take to print on top of the configured wait.
        let confirm_limit = link.silence_limit(to.timeouts.confirm, model, written);
        let read = tokio::time::timeout(confirm_limit, reader.read(&mut block[filled..])).await;
        match read {
            Ok(Ok(0)) | Err(_) => {
                log::debug!(
                    "{} at {}: {}/{} copies confirmed before silence",
                    model.name,
                    to.name,
                    link.progress.printed,
                    out.copies.len()
                );
                // Network PT and QL models push status blocks during a print (§5.3),
                // as every model does over USB: silence from one of them means nobody
                // knows whether it printed. Blocks we could not read still show it
                // was printing: sent, unconfirmed.
                if (to.reports && !link.saw_garbled) || written < bytes.len() {
                    return Err(TransportError::Lost(
                        "the printer went silent after data was sent".into(),
                    ));
                }
                return Ok(SendOutcome::Sent);
            }
            Ok(Err(e)) => return Err(TransportError::Lost(e.to_string())),
            Ok(Ok(n)) => {
                filled += n;
                if filled < block.len() {
                    continue;
                }
                filled = 0;
                if let Some(done) = link.status_block(&block, model, written == bytes.len())? {
                    return Ok(done);
                }
            }
        }
    }
}

/// Bytes handed to the socket per write call.
const WRITE_CHUNK: usize = 16 * 1024;

/// What a TCP send has seen so far, and where progress reports go.
pub(crate) struct LinkProgress {
    /// Byte offset just past each copy.
    ends: Vec<usize>,
    /// Labels reported printed after which each copy is printed.
    labels_after: Vec<usize>,
    /// How far each copy feeds the medium (mm; 0 unknown).
    feeds_mm: Vec<u32>,
    labels_printed: usize,
    pub(crate) progress: SendProgress,
    saw_garbled: bool,
    /// Between "cooling started" and "cooling finished": still printing, only slower.
    cooling: bool,
    sink: ProgressSink,
}

impl LinkProgress {
    pub(crate) fn new(out: &Outgoing, sink: ProgressSink) -> Self {
        let mut total = 0;
        let labels_after = out
            .copies
            .iter()
            .map(|c| {
                total += c.pages.max(1);
                total
            })
            .collect();
        LinkProgress {
            ends: out.copies.iter().map(|c| c.end).collect(),
            labels_after,
            feeds_mm: out.copies.iter().map(|c| c.feed_mm).collect(),
            labels_printed: 0,
            progress: SendProgress::default(),
            saw_garbled: false,
            cooling: false,
            sink,
        }
    }

    /// How far the stream may be written: `ahead` copies past the last printed one.
    fn write_limit(&self, ahead: usize) -> usize {
        let copies = self
            .progress
            .printed
            .saturating_add(ahead)
            .min(self.ends.len());
        match copies.checked_sub(1) {
            Some(last) => self.ends[last],
            None => 0,
        }
    }

    /// How far the copies the printer holds and has not reported printed
    /// feed (mm): those not printed whose first byte is among the `written` ones.
    fn in_flight_mm(&self, written: usize) -> u32 {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.feeds_mm)
            .skip(self.progress.printed)
            .take_while(|(start, _)| *start < written)
            .map(|(_, feed)| *feed)
            .sum()
    }

    /// How long the send may hear nothing now: [`silence_limit`] for the
    /// copies in flight, and [`COOLING_WAIT`] more while the printer cools.
    fn silence_limit(&self, base: Duration, model: &Model, written: usize) -> Duration {
        let limit = silence_limit(base, model, self.in_flight_mm(written));
        if self.cooling {
            limit.saturating_add(COOLING_WAIT)
        } else {
            limit
        }
    }

    fn written(&mut self, written: usize) {
        let sent = self.ends.iter().take_while(|end| **end <= written).count();
        if sent > self.progress.sent {
            self.progress.sent = sent;
            let _ = self.sink.send(self.progress);
        }
    }

    /// Acts on one status block: an error ends the send, a printed label is
    /// counted, and "receiving" after the last label confirms it all.
    fn status_block(
        &mut self,
        block: &[u8; 32],
        model: &Model,
        all_written: bool,
    ) -> Result<Option<SendOutcome>, TransportError> {
        let Ok(status) = Status::parse(block) else {
            self.saw_garbled = true;
            log::warn!("{}: garbled status block ignored", model.name);
            return Ok(None);
        };
        match status.status_type {
            StatusType::Error => Err(classify(&status)),
            StatusType::TurnedOff => Err(TransportError::Lost("printer turned off".into())),
            StatusType::PrintingCompleted => {
                self.labels_printed += 1;
                let printed = self
                    .labels_after
                    .iter()
                    .take_while(|after| **after <= self.labels_printed)
                    .count();
                if printed > self.progress.printed {
                    self.progress.printed = printed;
                    self.progress.sent = self.progress.sent.max(printed);
                    let _ = self.sink.send(self.progress);
                }
                Ok(None)
            }
            StatusType::PhaseChange
                if status.phase == Phase::Receiving
                    && all_written
                    && self.progress.printed >= self.ends.len() =>
            {
                Ok(Some(SendOutcome::Confirmed))
            }
            _ if status.errors.contains(ErrorFlags::TURNED_OFF) => {
                Err(TransportError::Lost("printer turned off".into()))
            }
            StatusType::Notification => {
                match status.notification {
                    Notification::CoolingStarted => {
                        log::info!("{}: cooling; waiting for it to finish", model.name);
                        self.cooling = true;
                    }
                    Notification::CoolingFinished => self.cooling = false,
                    _ => {}
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }
}

/// Brother's status-block object (brother-raster.md §5.3).
const BROTHER_STATUS_OID: [u64; 14] = [1, 3, 6, 1, 4, 1, 2435, 3, 3, 9, 1, 6, 1, 0];

/// The error a probe lists when the SNMP status read failed and TCP decided.
pub const SNMP_FAILED: &str = "snmp_failed";

/// hrPrinterDetectedErrorState.1 (RFC 3805 / HOST-RESOURCES-MIB, brother-raster.md §5.3).
const HR_PRINTER_ERROR_STATE_OID: [u64; 12] = [1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2, 1];
/// prtInputMediaType.1.1 (Printer MIB, brother-raster.md §5.3).
const PRT_INPUT_MEDIA_TYPE_OID: [u64; 13] = [1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 12, 1, 1];

/// What an SNMP status read found.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SnmpReading {
    /// Brother's 32-byte status block.
    Block(Vec<u8>),
    /// The agent has no Brother status object; the standard printer MIB answered.
    Mib(MibReading),
}

/// The standard printer-MIB objects the hub reads when Brother's is missing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct MibReading {
    /// hrPrinterDetectedErrorState: a bit string, bit 0 = MSB of byte 0.
    error_state: Option<Vec<u8>>,
    /// prtInputMediaType: text like `12mm(0.47")`, `62mmx29mm(2.4"x1.1")`, `24mm(0.94")Dia`.
    media_type: Option<String>,
}

/// Reads the status over SNMP v2c (blocking; run off the actor threads): the
/// Brother status block, or where the agent has no such object the standard
/// printer MIB; or says why neither.
fn snmp_read(addr: SocketAddr, community: &str, timeout: Duration) -> Result<SnmpReading, String> {
    let oid = |arcs: &'static [u64]| {
        snmp2::Oid::from(arcs).map_err(|e| format!("bad OID {arcs:?}: {e:?}"))
    };
    let brother = oid(&BROTHER_STATUS_OID)?;
    let mut session = snmp2::SyncSession::new_v2c(addr, community.as_bytes(), Some(timeout), 0)
        .map_err(|e| format!("no SNMP session: {e}"))?;
    let missing = {
        let response = session
            .get(&brother)
            .map_err(|e| format!("no answer: {e}"))?;
        let mut bindings = response.varbinds;
        match bindings.next() {
            Some((_, snmp2::Value::OctetString(bytes))) => {
                return Ok(SnmpReading::Block(bytes.to_vec()))
            }
            Some((_, other)) => format!("{other:?}"),
            None => "an empty response".to_string(),
        }
    };
    let error_state = oid(&HR_PRINTER_ERROR_STATE_OID)?;
    let media_type = oid(&PRT_INPUT_MEDIA_TYPE_OID)?;
    let response = session
        .get_many(&[&error_state, &media_type])
        .map_err(|e| format!("no Brother status ({missing}), and no printer MIB: {e}"))?;
    let mut mib = MibReading::default();
    for (name, value) in response.varbinds {
        let snmp2::Value::OctetString(bytes) = value else {
            continue;
        };
        if name == error_state {
            mib.error_state = Some(bytes.to_vec());
        } else if name == media_type {
            mib.media_type = Some(String::from_utf8_lossy(bytes).into_owned());
        }
    }
    if mib == MibReading::default() {
        return Err(format!(
            "no Brother status ({missing}) and no printer MIB objects"
        ));
    }
    Ok(SnmpReading::Mib(mib))
}

/// hrPrinterDetectedErrorState bits of byte 0 (RFC 2790: bit 0 is the MSB;
/// lowPaper, noPaper, lowToner, noToner, doorOpen, jammed, offline,
/// serviceRequested; brother-raster.md §5.3) that stop the printer, most
/// urgent first, as the status block's reasons rank them (its system error
/// comes last). A jam cannot be told from a cutter jam here. An offline
/// printer or one asking for service is sent no job, like one whose status
/// block shows an error; lowPaper (and the toner bits) need nobody yet.
const MIB_REASONS: [(u8, &str); 5] = [
    (0x08, printhub_core::reason::COVER_OPEN),
    (0x40, printhub_core::reason::NO_MEDIA),
    (0x04, printhub_core::reason::MEDIA_JAM),
    (0x02, printhub_core::reason::PRINTER_OFFLINE),
    (0x01, printhub_core::reason::SERVICE_REQUESTED),
];

/// Turns the standard printer MIB into a [`PrinterStatus`] (source `snmp_mib`).
fn status_from_mib(model: &Model, mib: &MibReading) -> PrinterStatus {
    let byte = mib
        .error_state
        .as_ref()
        .and_then(|bits| bits.first().copied())
        .unwrap_or(0);
    let errors: Vec<String> = MIB_REASONS
        .iter()
        .filter(|(bit, _)| byte & bit != 0)
        .map(|(_, code)| code.to_string())
        .collect();
    let reason = errors.first().cloned();
    let media = mib
        .media_type
        .as_deref()
        .and_then(|text| media_from_mib_text(model, text))
        .map(|m| m.id.to_string());
    answered(reason, errors, media, "snmp_mib")
}

/// A status read that got an answer: ready unless it gave a reason to stop.
fn answered(
    reason: Option<String>,
    errors: Vec<String>,
    media: Option<String>,
    source: &str,
) -> PrinterStatus {
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

/// The medium a prtInputMediaType text names for `model`: `12mm(…)` is tape
/// (PT) or a continuous roll (QL), `62mmx29mm(…)` die-cut labels,
/// `24mm(…)Dia` round ones; `None` for an empty or unknown text.
fn media_from_mib_text(model: &Model, text: &str) -> Option<&'static Media> {
    // The size comes before the inches in parentheses.
    let size = text.split('(').next()?.trim();
    let mm = |part: &str| part.trim().strip_suffix("mm")?.trim().parse::<u8>().ok();
    let (width, length) = match size.split_once('x') {
        Some((w, l)) => (mm(w)?, mm(l)?),
        None => {
            let w = mm(size)?;
            (
                w,
                if text.trim_end().ends_with("Dia") {
                    w
                } else {
                    0
                },
            )
        }
    };
    let status_type = match (model.family.is_pt(), length) {
        (true, _) => 0x01,
        (false, 0) => 0x0A,
        (false, _) => 0x0B,
    };
    Media::from_status(model.family, width, status_type, length)
}

/// Turns a status block into a [`PrinterStatus`]; an unreadable block is "reachable, state unknown".
pub(crate) fn status_from_block(model: &Model, block: &[u8], source: &str) -> PrinterStatus {
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
    answered(reason, errors, media, source)
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

/// The transport of a stored printer whose configuration cannot reach any
/// printer (a malformed address saved by an older version, a model this
/// version does not know). It sends nothing and reports the printer
/// unreachable with `reason`, so the printer is offline with its queue kept
/// and listed until its configuration is changed.
#[derive(Debug, Clone)]
pub(crate) struct UnusableTransport {
    reason: &'static str,
    message: String,
}

impl UnusableTransport {
    /// Reports `reason` (a `printhub_core::reason` code) and refuses sends with `message`.
    pub(crate) fn new(reason: &'static str, message: String) -> Self {
        UnusableTransport { reason, message }
    }
}

impl Transport for UnusableTransport {
    fn send(&self, _outgoing: Outgoing, _progress: ProgressSink) -> SendFuture {
        let result = Err(TransportError::Unreachable(self.message.clone()));
        Box::pin(std::future::ready(SendReport {
            progress: SendProgress::default(),
            result,
        }))
    }

    fn probe(&self) -> ProbeFuture {
        Box::pin(std::future::ready(PrinterStatus {
            reason: Some(self.reason.into()),
            source: Some("config".into()),
            ..PrinterStatus::default()
        }))
    }
}

/// One send a [`MemoryTransport`] recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedSend {
    /// The bytes sent.
    pub bytes: Arc<Vec<u8>>,
    /// Where each copy ends in them.
    pub copies: Vec<CopySpan>,
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
    script: VecDeque<Scripted>,
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

/// A scripted send outcome.
#[derive(Debug, Clone)]
enum Scripted {
    /// Every copy, or none: progress follows from the result.
    Outcome(Result<SendOutcome, TransportError>),
    /// Exactly this report.
    Report(SendReport),
}

impl MemoryTransport {
    /// Queues the outcome of the next send: success prints every copy; an
    /// unreachable printer got nothing; any other failure got every copy
    /// sent and none printed.
    pub fn push_outcome(&self, outcome: Result<SendOutcome, TransportError>) {
        self.inner
            .borrow_mut()
            .script
            .push_back(Scripted::Outcome(outcome));
    }

    /// Queues the exact report of the next send (a chain that failed part-way).
    pub fn push_report(&self, report: SendReport) {
        self.inner
            .borrow_mut()
            .script
            .push_back(Scripted::Report(report));
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
    fn send(&self, outgoing: Outgoing, progress: ProgressSink) -> SendFuture {
        let inner = self.inner.clone();
        Box::pin(async move {
            let copies = outgoing.copies.len();
            let gate = {
                let mut state = inner.borrow_mut();
                state.sent.push(RecordedSend {
                    bytes: outgoing.bytes,
                    copies: outgoing.copies,
                });
                state.gate.clone()
            };
            if let Some(gate) = gate {
                gate.wait().await;
            }
            let scripted = inner.borrow_mut().script.pop_front();
            let report = match scripted {
                Some(Scripted::Report(report)) => report,
                Some(Scripted::Outcome(result)) => {
                    let progress = match &result {
                        Ok(SendOutcome::Confirmed) => SendProgress {
                            sent: copies,
                            printed: copies,
                        },
                        Ok(SendOutcome::Sent) => SendProgress {
                            sent: copies,
                            printed: 0,
                        },
                        Err(TransportError::Unreachable(_)) => SendProgress::default(),
                        Err(_) => SendProgress {
                            sent: copies,
                            printed: 0,
                        },
                    };
                    SendReport { progress, result }
                }
                None => SendReport {
                    progress: SendProgress {
                        sent: copies,
                        printed: copies,
                    },
                    result: Ok(SendOutcome::Confirmed),
                },
            };
            let _ = progress.send(report.progress);
            report
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
    fn the_silence_limit_grows_with_the_labels_in_flight() {
        // A PT prints about 30 mm/s (Model::speed_mm_s): a metre of tape takes about 33 s,
        // longer than the default 30 s wait, so the wait is the base plus twice that.
        let pt = model("PT-P750W");
        assert_eq!(pt.speed_mm_s, 30);
        let base = TcpTimeouts::default().confirm;
        assert_eq!(silence_limit(base, pt, 0), base, "nothing in flight");
        let metre = silence_limit(base, pt, 1000);
        assert!(
            metre > base + Duration::from_secs(1000 / 30),
            "longer than base + print time: {metre:?}"
        );
        assert_eq!(
            metre,
            base + Duration::from_secs_f64(1000.0 / 30.0 * PRINT_TIME_MARGIN)
        );
        // A faster QL needs less for the same length.
        assert!(silence_limit(base, model("QL-820NWB"), 1000) < metre);
    }

    #[test]
    fn the_copies_in_flight_are_those_started_and_not_reported_printed() {
        let copies = [(100, 100), (250, 200), (400, 300)]
            .map(|(end, feed_mm)| CopySpan {
                end,
                pages: 1,
                feed_mm,
            })
            .to_vec();
        let out = Outgoing {
            bytes: Arc::new(vec![0; 400]),
            copies,
        };
        let (sink, _rx) = tokio::sync::mpsc::unbounded_channel();
        let mut link = LinkProgress::new(&out, sink);
        assert_eq!(link.in_flight_mm(0), 0, "nothing written");
        assert_eq!(link.in_flight_mm(50), 100, "the first copy started");
        assert_eq!(link.in_flight_mm(100), 100, "the first copy whole");
        assert_eq!(link.in_flight_mm(101), 300, "the second started");
        assert_eq!(link.in_flight_mm(400), 600, "all written");
        link.progress.printed = 1;
        assert_eq!(link.in_flight_mm(400), 500, "the first reported printed");
        link.progress.printed = 3;
        assert_eq!(link.in_flight_mm(400), 0, "all printed");
    }

    #[test]
    fn cooling_extends_the_silence_limit_until_it_finishes() {
        // brother-raster.md §5.2 item 5: wait for "cooling finished" before going on.
        let ql = model("QL-820NWB");
        let out = Outgoing::single(Arc::new(vec![0; 10]), 1);
        let (sink, _rx) = tokio::sync::mpsc::unbounded_channel();
        let mut link = LinkProgress::new(&out, sink);
        let base = Duration::from_secs(1);
        assert_eq!(link.silence_limit(base, ql, 10), base);
        let mut block = Status::ready(ql, Media::by_id("dk-62"));
        block.status_type = StatusType::Notification;
        block.phase = Phase::Printing;
        block.notification = Notification::CoolingStarted;
        assert_eq!(link.status_block(&block.to_bytes(), ql, true), Ok(None));
        assert_eq!(link.silence_limit(base, ql, 10), base + COOLING_WAIT);
        block.notification = Notification::CoolingFinished;
        assert_eq!(link.status_block(&block.to_bytes(), ql, true), Ok(None));
        assert_eq!(link.silence_limit(base, ql, 10), base);
    }

    #[test]
    fn the_printer_mib_gives_reasons_and_media() {
        let ql = model("QL-820NWB");
        let mib = |bits: u8, text: &str| MibReading {
            error_state: Some(vec![bits, 0]),
            media_type: Some(text.into()),
        };
        let ready = status_from_mib(ql, &mib(0, "62mm(2.4\")"));
        assert!(ready.reachable && ready.ready);
        assert_eq!(ready.media.as_deref(), Some("dk-62"));
        assert_eq!(ready.source.as_deref(), Some("snmp_mib"));
        // doorOpen (0x08) outranks noPaper (0x40); both are listed.
        let both = status_from_mib(ql, &mib(0x48, ""));
        assert_eq!(both.reason.as_deref(), Some("printer_cover_open"));
        assert_eq!(both.errors, ["printer_cover_open", "no_media"]);
        assert_eq!(both.media, None, "an empty text: no media");
        let jam = status_from_mib(ql, &mib(0x04, "29mmx90mm(1.1\"x3.5\")"));
        assert_eq!(jam.reason.as_deref(), Some("media_jam"));
        assert_eq!(jam.media.as_deref(), Some("dk-29x90"));
        // RFC 2790 hrPrinterDetectedErrorState: "Bits are numbered starting with the most
        // significant bit of the first byte being bit 0"; offline is bit 6 (0x02) and
        // serviceRequested bit 7 (0x01). Either stops the printer, as a status block's
        // error does; lowPaper (bit 0, 0x80) needs nobody yet.
        let offline = status_from_mib(ql, &mib(0x82, "62mm(2.4\")"));
        assert_eq!(offline.reason.as_deref(), Some("printer_offline"));
        assert!(offline.reachable && !offline.ready);
        assert_eq!(offline.media.as_deref(), Some("dk-62"));
        let service = status_from_mib(ql, &mib(0x01, ""));
        assert_eq!(service.reason.as_deref(), Some("service_requested"));
        assert!(!service.ready);
        let both = status_from_mib(ql, &mib(0x03, ""));
        assert_eq!(both.errors, ["printer_offline", "service_requested"]);
        // The second byte (inputTrayMissing … overduePreventMaint) stops nothing.
        let second = MibReading {
            error_state: Some(vec![0x00, 0xFF]),
            media_type: None,
        };
        assert_eq!(status_from_mib(ql, &second).reason, None);
        assert_eq!(status_from_mib(ql, &mib(0x80, "")).reason, None);
    }

    #[test]
    fn prt_input_media_type_texts_name_catalogue_media() {
        let named = |model_name: &str, text: &str| {
            media_from_mib_text(model(model_name), text).map(|m| m.id)
        };
        // Label-Printer-Hub's example and the emulator's Brother-style names.
        assert_eq!(named("PT-P750W", "12mm(0.47\")"), Some("tze-12"));
        assert_eq!(named("QL-820NWB", "62mm(2.4\")"), Some("dk-62"));
        assert_eq!(
            named("QL-820NWB", "62mmx100mm(2.4\"x3.9\")"),
            Some("dk-62x100")
        );
        assert_eq!(named("QL-820NWB", "24mm(0.94\")Dia"), Some("dk-d24"));
        assert_eq!(named("QL-820NWB", ""), None);
        assert_eq!(named("QL-820NWB", "A4"), None);
        assert_eq!(
            named("PT-P750W", "36mm(1.4\")"),
            None,
            "wider than the head"
        );
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
