//! How a printer actor reaches its printer: the [`Transport`] trait, what
//! goes in and comes out of a send, and its implementations — [`TcpTransport`]
//! (raw TCP 9100, `tcp`), the USB device transport (`crate::device`), and
//! [`MemoryTransport`] (scripted, for actor tests, `memory`).
//!
//! Modules, by concern: `send` is the send loop both real transports share
//! (pacing, status blocks during a print, when silence counts); `tcp` the TCP
//! connection and its probe; `identify` what model answers at an address
//! (adding a printer by its address); `snmp` the SNMP status read (Brother's status
//! object, else the standard printer MIB); `status` a status block turned
//! into a [`PrinterStatus`]; `unusable` the transport of a configuration that
//! reaches nothing; `memory` the scripted one.
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
use printhub_core::PrinterStatus;
use printhub_raster::CopySpan;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use thiserror::Error;

mod identify;
mod memory;
mod send;
mod snmp;
mod status;
mod tcp;
mod unusable;

pub use identify::{identify, propose_slug, Identified, Unidentified};
pub use memory::{MemoryTransport, RecordedSend};
pub(crate) use send::{drive, Channel, LinkProgress};
pub use send::{silence_limit, COOLING_WAIT, PRINT_TIME_MARGIN};
pub use snmp::{DEFAULT_COMMUNITY, SNMP_FAILED};
pub(crate) use status::status_from_block;
pub use tcp::{TcpTimeouts, TcpTransport};
pub(crate) use unusable::UnusableTransport;

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A model of the catalogue, by name (the transport modules' tests share it).
    pub(crate) fn model(name: &str) -> &'static printhub_raster::Model {
        printhub_raster::Model::by_name(name).expect("model")
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
}
