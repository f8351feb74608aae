//! [`UnusableTransport`]: the transport of a stored configuration that can
//! reach no printer.

use super::{
    Outgoing, ProbeFuture, ProgressSink, SendFuture, SendProgress, SendReport, Transport,
    TransportError,
};
use printhub_core::PrinterStatus;

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
