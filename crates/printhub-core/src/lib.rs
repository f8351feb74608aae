//! # printhub-core
//!
//! printhub's domain, as plain data and pure state machines: the ids
//! ([`JobId`], [`PrinterId`], [`BatchId`], [`Timestamp`]), what to print
//! ([`JobSpec`]), the persisted [`Job`] record and its state machine
//! ([`JobState::transition`]), one printer's queue and state
//! ([`PrinterMachine`]), the policy of its link ([`Link`]), the [`event`]s it publishes and the error values
//! with stable codes ([`TransitionError`], [`CommandError`], [`ValidationError`]).
//!
//! Code map:
//! - [`id`]: identifier newtypes and milliseconds time.
//! - [`job`]: `JobSpec`, `Job`, `JobState`, `JobCommand` — design §2's job vocabulary.
//! - [`printer`]: `PrinterState`, and the I/O outcomes fed back in (`WriteFailure`, `ObservedStatus`).
//! - [`machine`]: `PrinterMachine`, the per-printer queue, with its `Action` outputs.
//! - [`link`]: `Link`, the printer link's policy (preflight freshness and media,
//!   probe cadence, the stream built ahead), with its `LinkAction` outputs.
//! - [`chain`]: which queued jobs go to the printer together as one chained stream.
//! - [`defaults`]: a printer's print defaults, the options a job gets when it does not say.
//! - [`event`]: the published, past-tense events.
//! - [`error`]: every error value and its `code()`.
//!
//! **Architecture Invariant:** no I/O, no clocks, no threads, no randomness,
//! no global state. Time is always a `now` argument and ids are made by the
//! caller, so every behaviour here is reproducible in a unit test. Inputs
//! go in through commands and `handle_*` methods; outputs come out of
//! `poll_*` methods (the quinn-proto shape). Nothing here panics on any
//! input: illegal moves are error values.
//!
//! **Architecture Invariant:** there is exactly one job state machine
//! ([`JobState::transition`]) and one queue per printer ([`PrinterMachine`]);
//! the actors and the store hold copies only as snapshots announced by
//! [`Action::Persist`].
//!
//! ```
//! use printhub_core::{Action, JobId, JobSpec, MachineConfig, PrinterId, PrinterMachine, Timestamp};
//!
//! let printer = PrinterId::from_u128(1);
//! let mut machine = PrinterMachine::new(printer, MachineConfig::default());
//! let spec = JobSpec::new(printer, "PT-P750W", "tze-12", vec![0x1b, 0x40]).with_copies(2);
//! let job = JobId::from_u128(10);
//! machine.submit(job, spec, Timestamp::from_millis(0)).expect("accepted");
//!
//! let mut sends = Vec::new();
//! let mut now = Timestamp::from_millis(0);
//! loop {
//!     let mut sent = None;
//!     while let Some(action) = machine.poll_action() {
//!         if let Action::Send { pages } = action {
//!             sent = Some((pages[0].job_id, pages[0].copy));
//!         }
//!     }
//!     let Some((job_id, copy)) = sent else { break };
//!     sends.push(copy);
//!     now = now.plus_millis(500);
//!     machine.handle_write_finished(job_id, copy, true, now);
//! }
//! assert_eq!(sends, [1, 2]);
//! assert_eq!(machine.job(job).map(|j| j.copies_printed), Some(2));
//! ```
#![forbid(unsafe_code)]

pub mod chain;
pub mod defaults;
pub mod error;
pub mod event;
pub mod id;
pub mod job;
pub mod link;
pub mod machine;
pub mod name;
pub mod printer;

pub use chain::{ChainPage, InFlight};
pub use defaults::{CutDefault, DefaultsError, ModelTraits, PrinterDefaults, RequestedOptions};
pub use error::{CommandCode, CommandError, ParseIdError, TransitionError, ValidationError};
pub use event::{
    Event, JobProgressed, JobStateChanged, MediaChanged, PrinterStateChanged, PrinterStatusChanged,
};
pub use id::{BatchId, JobId, PrinterId, Timestamp};
pub use job::{
    released_raster, Job, JobCommand, JobError, JobSpec, JobState, LabelRequest, PrintOptions,
    UnknownJobState, MAX_COPIES,
};
pub use link::{Link, LinkAction, LinkPolicy, WriteOutcome, WriteReport};
pub use machine::{
    Action, CancelOutcome, InitialState, MachineConfig, MediaFits, PrinterMachine, RestoredJob,
    MEDIA_MISMATCH,
};
pub use name::{Name, Names};
pub use printer::{
    reason, ObservedStatus, PreflightRefusal, PrinterState, PrinterStatus, WriteFailure,
};
