//! Error values of the core, each with a stable machine code.
//!
//! Nothing in this crate panics on bad input: an illegal job transition is a
//! [`TransitionError`], a rejected control command is a [`CommandError`], an
//! unusable job description is a [`ValidationError`]. Every one exposes
//! `code()`, a stable snake_case string; [`CommandError::kind`] gives it
//! typed ([`CommandCode`]), and the gateway maps that to an HTTP status with
//! an exhaustive `match` (it never matches on strings). Where design §3 already names
//! a code (`job_not_found`, `invalid_job_state`, `queue_full`,
//! `invalid_request`) that code is used.

use thiserror::Error;

use crate::id::{JobId, PrinterId};
use crate::job::{JobCommand, JobState};

/// A job cannot take `command` in state `from` (design §2). HTTP 409.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("cannot {command} a job that is {from}")]
pub struct TransitionError {
    /// The state the job was in.
    pub from: JobState,
    /// The command or trigger that is not allowed there.
    pub command: JobCommand,
}

impl TransitionError {
    /// Always `invalid_job_state`.
    pub fn code(&self) -> &'static str {
        "invalid_job_state"
    }
}

/// A [`JobSpec`](crate::JobSpec) that cannot be printed as described.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// `copies` is 0.
    #[error("copies must be at least 1")]
    NoCopies,
    /// `copies` is above [`MAX_COPIES`](crate::MAX_COPIES).
    #[error("copies must be at most {max}, got {copies}")]
    TooManyCopies {
        /// The requested number of copies.
        copies: u32,
        /// The limit.
        max: u32,
    },
    /// The encoded raster stream has no bytes.
    #[error("the raster stream is empty")]
    EmptyRaster,
    /// `media_id` is empty: the job must say what media it was rendered for.
    #[error("media_id must name the media the job was rendered for")]
    MissingMedia,
    /// `model` is empty.
    #[error("model must name the printer model the job was rendered for")]
    MissingModel,
}

impl ValidationError {
    /// Always `invalid_request` (design §3); [`field`](Self::field) says which field.
    pub fn code(&self) -> &'static str {
        "invalid_request"
    }

    /// The name of the offending `JobSpec` field.
    pub fn field(&self) -> &'static str {
        match self {
            ValidationError::NoCopies | ValidationError::TooManyCopies { .. } => "copies",
            ValidationError::EmptyRaster => "raster",
            ValidationError::MissingMedia => "media_id",
            ValidationError::MissingModel => "model",
        }
    }
}

/// A control command on a [`PrinterMachine`](crate::PrinterMachine) was refused.
/// Nothing changed when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The job is not known to this printer (never submitted here, or pruned from history).
    #[error("job {job_id} not found")]
    JobNotFound {
        /// The id that was asked for.
        job_id: JobId,
    },
    /// The job's state does not allow the command (design §2). HTTP 409.
    #[error("job {job_id}: cannot {command} a job that is {from}")]
    InvalidJobState {
        /// The job.
        job_id: JobId,
        /// Its state.
        from: JobState,
        /// The refused command.
        command: JobCommand,
    },
    /// The printer's queue already holds `limit` queued or held jobs. HTTP 429.
    #[error("the printer's queue is full ({limit} jobs)")]
    QueueFull {
        /// The configured limit.
        limit: usize,
    },
    /// The printer is disabled; it accepts no new jobs and cannot be resumed until enabled.
    #[error("printer {printer_id} is disabled")]
    PrinterDisabled {
        /// The printer.
        printer_id: PrinterId,
    },
    /// A job with this id already exists on this printer.
    #[error("job {job_id} already exists")]
    DuplicateJob {
        /// The id that is taken.
        job_id: JobId,
    },
    /// The job spec names another printer than the machine it was submitted to.
    #[error("job is for printer {requested}, not {printer_id}")]
    WrongPrinter {
        /// This machine's printer.
        printer_id: PrinterId,
        /// The printer the spec names.
        requested: PrinterId,
    },
    /// The job spec is invalid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

impl CommandError {
    /// The typed code: what callers match on (exhaustively) instead of text.
    pub fn kind(&self) -> CommandCode {
        match self {
            CommandError::JobNotFound { .. } => CommandCode::JobNotFound,
            CommandError::InvalidJobState { .. } => CommandCode::InvalidJobState,
            CommandError::QueueFull { .. } => CommandCode::QueueFull,
            CommandError::PrinterDisabled { .. } => CommandCode::PrinterDisabled,
            CommandError::DuplicateJob { .. } => CommandCode::DuplicateJob,
            CommandError::WrongPrinter { .. } | CommandError::Invalid(_) => {
                CommandCode::InvalidRequest
            }
        }
    }

    /// The stable machine code (`self.kind().code()`).
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }

    pub(crate) fn from_transition(job_id: JobId, e: TransitionError) -> Self {
        CommandError::InvalidJobState {
            job_id,
            from: e.from,
            command: e.command,
        }
    }
}

/// The stable code of a [`CommandError`].
///
/// Deliberately not `#[non_exhaustive]`: a caller that maps codes (the HTTP
/// gateway chooses a status per code) matches every variant, so a new code
/// fails its build until it has been given an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CommandCode {
    /// `job_not_found`.
    JobNotFound,
    /// `invalid_job_state`.
    InvalidJobState,
    /// `queue_full`.
    QueueFull,
    /// `printer_disabled`.
    PrinterDisabled,
    /// `duplicate_job`.
    DuplicateJob,
    /// `invalid_request`: the job spec is invalid or names another printer.
    InvalidRequest,
}

impl CommandCode {
    /// Every code, once.
    pub const ALL: [CommandCode; 6] = [
        CommandCode::JobNotFound,
        CommandCode::InvalidJobState,
        CommandCode::QueueFull,
        CommandCode::PrinterDisabled,
        CommandCode::DuplicateJob,
        CommandCode::InvalidRequest,
    ];

    /// The stable snake_case string.
    pub const fn code(self) -> &'static str {
        match self {
            CommandCode::JobNotFound => "job_not_found",
            CommandCode::InvalidJobState => "invalid_job_state",
            CommandCode::QueueFull => "queue_full",
            CommandCode::PrinterDisabled => "printer_disabled",
            CommandCode::DuplicateJob => "duplicate_job",
            CommandCode::InvalidRequest => "invalid_request",
        }
    }
}

/// A string that is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid {kind} id: {source}")]
pub struct ParseIdError {
    /// Which kind of id was being parsed (`job`, `printer`, `batch`).
    pub kind: &'static str,
    /// What the UUID parser said.
    #[source]
    pub source: uuid::Error,
}

impl ParseIdError {
    /// Always `invalid_request`.
    pub fn code(&self) -> &'static str {
        "invalid_request"
    }
}
