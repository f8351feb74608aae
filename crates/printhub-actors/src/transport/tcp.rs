//! [`TcpTransport`]: raw TCP port 9100 and, where configured, SNMP status.
//! One connection per send (one copy, or a chain of copies joined into one
//! stream), written by the shared send loop ([`drive`]).

use super::snmp::{snmp_read, status_from_mib, SnmpReading, SNMP_FAILED};
use super::status::status_from_block;
use super::{
    drive, Channel, LinkProgress, Outgoing, ProbeFuture, ProgressSink, SendFuture, SendOutcome,
    SendReport, Transport, TransportError,
};
use crate::address::Endpoint;
use printhub_core::PrinterStatus;
use printhub_raster::Model;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

impl Default for TcpTimeouts {
    fn default() -> Self {
        TcpTimeouts {
            connect: Duration::from_secs(5),
            write: Duration::from_secs(60),
            confirm: Duration::from_secs(30),
        }
    }
}

/// Raw TCP port 9100: one connection per send (a copy, or a chain of copies
/// joined into one stream), as the manuals' network flow.
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
pub(super) enum NoConnection {
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
        if self.model.answers_status_on_tcp {
            if let Ok(block) = request_status(&mut stream, self.timeouts.confirm).await {
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

    /// Connects to the printer, retrying once after a short pause: a
    /// printer waking from sleep may refuse the first contact
    /// (Label-Printer-Hub field notes).
    async fn connect(&self) -> Result<tokio::net::TcpStream, NoConnection> {
        connect(&self.addr, self.timeouts.connect, 2).await
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
        let link_to = Channel {
            model: self.model,
            timeouts: self.timeouts,
            reports: self.model.reports_each_page_over_tcp(),
            name: self.addr.to_string(),
        };
        drive(&mut reader, &mut writer, out, link, &link_to).await
    }
}

/// Resolves `addr` (again, every time), then connects to the first of its
/// addresses that answers, each within `timeout`; `rounds` rounds, 300 ms
/// apart.
pub(super) async fn connect(
    addr: &Endpoint,
    timeout: Duration,
    rounds: u32,
) -> Result<tokio::net::TcpStream, NoConnection> {
    let found = addr
        .resolve(timeout)
        .await
        .map_err(|e| NoConnection::Unresolvable(e.to_string()))?;
    let mut last = String::new();
    for round in 0..rounds.max(1) {
        if round > 0 {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        for addr in &found {
            match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
                Ok(Ok(s)) => return Ok(s),
                Ok(Err(e)) => last = format!("{addr}: {e}"),
                Err(_) => last = format!("no connection to {addr} within {timeout:?}"),
            }
        }
    }
    Err(NoConnection::Failed(last))
}

/// `ESC i S` on `stream` (brother-raster.md §5.3): the 32-byte status
/// block, or why none came within `timeout`.
pub(super) async fn request_status(
    stream: &mut tokio::net::TcpStream,
    timeout: Duration,
) -> Result<[u8; 32], String> {
    stream
        .write_all(&[0x1B, 0x69, 0x53])
        .await
        .map_err(|e| format!("status request not sent: {e}"))?;
    let mut block = [0u8; 32];
    match tokio::time::timeout(timeout, stream.read_exact(&mut block)).await {
        Ok(Ok(_)) => Ok(block),
        Ok(Err(e)) => Err(format!("no status block ({e})")),
        Err(_) => Err(format!("no status within {timeout:?}")),
    }
}
