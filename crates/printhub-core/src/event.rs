//! Events a [`PrinterMachine`](crate::PrinterMachine) publishes, past tense.
//!
//! The machine hands them out as [`Action::Emit`](crate::Action::Emit); the
//! printer actor forwards them to whoever subscribed (the SSE stream, the
//! batch tracker). A job's `Persist` action always comes before the event
//! that announces the change, so a subscriber never hears of a state the
//! store does not have yet. Plain data, serializable.

use serde::{Deserialize, Serialize};

use crate::id::{BatchId, JobId, PrinterId, Timestamp};
use crate::job::JobState;
use crate::printer::{PrinterState, PrinterStatus};

/// Everything the core publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A job changed state (or, with `from: None`, was created).
    JobStateChanged(JobStateChanged),
    /// A copy of a job was written to the printer.
    JobProgressed(JobProgressed),
    /// A printer changed state.
    PrinterStateChanged(PrinterStateChanged),
    /// What a printer reports about itself changed (reachability, readiness, errors).
    PrinterStatusChanged(PrinterStatusChanged),
    /// The media loaded in a printer changed (a tape change).
    MediaChanged(MediaChanged),
}

impl Event {
    /// The job the event is about, if any.
    pub fn job_id(&self) -> Option<JobId> {
        match self {
            Event::JobStateChanged(e) => Some(e.job_id),
            Event::JobProgressed(e) => Some(e.job_id),
            Event::PrinterStateChanged(_)
            | Event::PrinterStatusChanged(_)
            | Event::MediaChanged(_) => None,
        }
    }

    /// The printer the event is about.
    pub fn printer_id(&self) -> PrinterId {
        match self {
            Event::JobStateChanged(e) => e.printer_id,
            Event::JobProgressed(e) => e.printer_id,
            Event::PrinterStateChanged(e) => e.printer_id,
            Event::PrinterStatusChanged(e) => e.printer_id,
            Event::MediaChanged(e) => e.printer_id,
        }
    }

    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            Event::JobStateChanged(e) => e.at,
            Event::JobProgressed(e) => e.at,
            Event::PrinterStateChanged(e) => e.at,
            Event::PrinterStatusChanged(e) => e.at,
            Event::MediaChanged(e) => e.at,
        }
    }
}

/// A job moved from one state to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStateChanged {
    /// The job.
    pub job_id: JobId,
    /// Its printer.
    pub printer_id: PrinterId,
    /// Its batch, if any.
    pub batch_id: Option<BatchId>,
    /// The previous state; `None` when the job was just created.
    pub from: Option<JobState>,
    /// The new state.
    pub to: JobState,
    /// When.
    pub at: Timestamp,
}

/// One more copy of a job was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobProgressed {
    /// The job.
    pub job_id: JobId,
    /// Its printer.
    pub printer_id: PrinterId,
    /// Its batch, if any.
    pub batch_id: Option<BatchId>,
    /// Copies written so far.
    pub copies_printed: u32,
    /// Copies asked for.
    pub copies: u32,
    /// When.
    pub at: Timestamp,
}

/// A printer moved from one state to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterStateChanged {
    /// The printer.
    pub printer_id: PrinterId,
    /// The previous state.
    pub from: PrinterState,
    /// The new state.
    pub to: PrinterState,
    /// When.
    pub at: Timestamp,
}

/// A printer's reported status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrinterStatusChanged {
    /// The printer.
    pub printer_id: PrinterId,
    /// The new status.
    pub status: PrinterStatus,
    /// When it was observed.
    pub at: Timestamp,
}

/// The media loaded in a printer changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaChanged {
    /// The printer.
    pub printer_id: PrinterId,
    /// The media id before (`None`: none or unknown).
    pub from: Option<String>,
    /// The media id now (`None`: none or unknown).
    pub to: Option<String>,
    /// When it was observed.
    pub at: Timestamp,
}
