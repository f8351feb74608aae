//! [`MemoryTransport`]: a scripted transport for actor tests. It records
//! every send and answers from a queue of outcomes; sends can be held at a
//! gate for as long as a test needs a print "in progress".

use super::{
    Outgoing, ProbeFuture, ProgressSink, SendFuture, SendOutcome, SendProgress, SendReport,
    Transport, TransportError,
};
use printhub_core::{ObservedStatus, PrinterStatus};
use printhub_raster::CopySpan;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

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
