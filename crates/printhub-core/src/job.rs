//! Jobs: what to print ([`JobSpec`]), the persisted record ([`Job`]) and
//! the job state machine ([`JobState::transition`]).
//!
//! The states and the legal moves between them are fixed by design §2 and
//! live in exactly one function, [`JobState::transition`]; everything else
//! (the printer queue, restart recovery, the store) goes through it. An
//! illegal move is a [`TransitionError`] value, never a panic.
//!
//! ```text
//! queued   ──start──────────────► printing ──complete──► completed
//! queued   ──hold───────────────► held     ──release───► queued (its original place)
//! queued, held ──cancel─────────► cancelled
//! printing ──fail───────────────► failed
//! printing ──interrupt──────────► interrupted
//! printing ──cancel (copies left)► cancelled  (after the copy in flight)
//! printing ──requeue────────────► queued     (head of the queue, copies kept)
//! failed, interrupted, cancelled ──retry──► unchanged; a NEW queued job
//! ```
//!
//! `requeue` (printing → queued) is the one move design §2 does not list: it
//! is how a recoverable printer problem (the printer needs a person, or is
//! unreachable before it accepted a byte) puts the job back at the head of
//! the queue without failing it, as §2's "stopped ... nothing is failed"
//! and "offline ... queued jobs wait, they do not fail" require. The printer
//! queue also uses it when the printer is paused or disabled between two
//! copies of a job, so that `printing` always means "a copy is in flight".
//!
//! Threading: plain data, no interior mutability; `Send + Sync`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::name::Name;
use serde::{Deserialize, Serialize};

use crate::error::{TransitionError, ValidationError};
use crate::id::{BatchId, JobId, PrinterId, Timestamp};

/// The most copies one job may ask for.
pub const MAX_COPIES: u32 = 999;

/// Print options the raster was encoded with (design §3 `options`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PrintOptions {
    /// Full cut after each label.
    pub cut: bool,
    /// Half cut (PT models with a half cutter).
    pub half_cut: bool,
    /// Chaining (opt-in): the job may be sent in one stream with the queued
    /// jobs next to it that have the same model, medium and options — no job
    /// start, leader feed or (unless `cut`) cut between their labels, the last
    /// label of the chain fed and cut ([`crate::chain`]). Off: the job is sent
    /// on its own, one copy per stream.
    pub chain: bool,
    /// High resolution (doubled feed-direction resolution).
    pub high_res: bool,
}

/// What to print: one label design, already encoded, for one printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    /// The printer the job is for.
    pub printer_id: PrinterId,
    /// The batch the job was submitted with, if any.
    #[serde(default)]
    pub batch_id: Option<BatchId>,
    /// The complete encoded byte stream for ONE copy. The engine sends it once
    /// per copy, one transport write per copy, so a cancel can stop between
    /// copies. Shared, so a retry reprints the very same bytes without copying.
    /// Serialized as base64 in human-readable formats and as bytes otherwise.
    #[serde(with = "raster_bytes")]
    pub raster: Arc<Vec<u8>>,
    /// How many copies to print, 1..=[`MAX_COPIES`].
    pub copies: u32,
    /// The media the raster was rendered for (a catalogue id such as `tze-12`).
    pub media_id: Name,
    /// The printer model the raster was rendered for (such as `PT-P750W`).
    pub model: Name,
    /// Options the raster was encoded with.
    #[serde(default)]
    pub options: PrintOptions,
    /// The built-in content type used to lay the label out, if any.
    #[serde(default)]
    pub content_type: Option<Name>,
    /// The template used to lay the label out, if any.
    #[serde(default)]
    pub template: Option<Name>,
    /// Who submitted the job (an API key name, `grocy`, ...).
    #[serde(default)]
    pub submitted_by: Option<Name>,
    /// Where the submission came from (the client's IP address), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_address: Option<Name>,
    /// What the label was made from, when it was made from label data (a
    /// content type or template with its data, lookups resolved), as the
    /// renderer's JSON: the hub lays the job out again from it when the
    /// printer's medium changes while it waits (issue #20). `None` for jobs
    /// made from an image or a raw raster, which cannot be laid out again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<LabelRequest>,
    /// Each time the hub laid the job out again for another medium while it
    /// waited (issue #20), oldest first: the job's timeline shows them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relayouts: Vec<Relayout>,
}

/// One re-layout of a waiting job for the medium loaded now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relayout {
    /// The medium it was laid out for before.
    pub from_media: String,
    /// The medium it is laid out for now.
    pub to_media: String,
    /// When.
    pub at: Timestamp,
}

impl JobSpec {
    /// A one-copy spec with default options and no metadata.
    pub fn new(
        printer_id: PrinterId,
        model: impl Into<Name>,
        media_id: impl Into<Name>,
        raster: impl Into<Arc<Vec<u8>>>,
    ) -> Self {
        Self {
            printer_id,
            batch_id: None,
            raster: raster.into(),
            copies: 1,
            media_id: media_id.into(),
            model: model.into(),
            options: PrintOptions::default(),
            content_type: None,
            template: None,
            submitted_by: None,
            source_address: None,
            request: None,
            relayouts: Vec::new(),
        }
    }

    /// The same spec with `copies` copies.
    #[must_use]
    pub fn with_copies(mut self, copies: u32) -> Self {
        self.copies = copies;
        self
    }

    /// The same spec in batch `batch_id`.
    #[must_use]
    pub fn with_batch(mut self, batch_id: BatchId) -> Self {
        self.batch_id = Some(batch_id);
        self
    }

    /// Whether the raster's bytes are in the store only: the printer
    /// released them from memory ([`PrinterMachine::release_raster`]
    /// (crate::PrinterMachine::release_raster)) and reads them back just
    /// before they print. A submitted spec never has an empty raster
    /// ([`validate`](Self::validate) refuses it), so an empty raster on a
    /// job the hub holds always means "released", never "nothing to print".
    pub fn raster_released(&self) -> bool {
        self.raster.is_empty()
    }

    /// Checks that the spec can be printed as described.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.copies == 0 {
            return Err(ValidationError::NoCopies);
        }
        if self.copies > MAX_COPIES {
            return Err(ValidationError::TooManyCopies {
                copies: self.copies,
                max: MAX_COPIES,
            });
        }
        if self.raster.is_empty() {
            return Err(ValidationError::EmptyRaster);
        }
        if self.media_id.trim().is_empty() {
            return Err(ValidationError::MissingMedia);
        }
        if self.model.trim().is_empty() {
            return Err(ValidationError::MissingModel);
        }
        Ok(())
    }
}

/// A label request as [`JobSpec::request`] keeps it: compact JSON text,
/// shared, parsed only when it is used (a re-layout, a job's title). A
/// parsed `serde_json::Value` costs kilobytes per job in map nodes; the text
/// costs its length, which is what lets a long queue stay small (issue #17).
/// Serializes as the JSON value it holds, and reads from any JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRequest(Arc<str>);

impl LabelRequest {
    /// The compact JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The request as a JSON value (parsed now).
    pub fn to_value(&self) -> serde_json::Value {
        // Made only from a value, so it always parses.
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

impl LabelRequest {
    /// `value` as a label request (its JSON, through a `Value` so the text
    /// is the same as a stored request read back).
    pub fn of<T: Serialize>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_value(value).map(|v| LabelRequest::from(&v))
    }
}

impl From<&serde_json::Value> for LabelRequest {
    fn from(value: &serde_json::Value) -> Self {
        // `Display` of a value is its compact JSON.
        LabelRequest(value.to_string().into())
    }
}

impl From<serde_json::Value> for LabelRequest {
    fn from(value: serde_json::Value) -> Self {
        LabelRequest::from(&value)
    }
}

impl Serialize for LabelRequest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Borrowed as a raw value: written as it is, no tree built.
        let raw: &serde_json::value::RawValue =
            serde_json::from_str(&self.0).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for LabelRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Through a `Value`: any deserializer (the store reads specs with
        // `from_value`), and the text comes out compact.
        serde_json::Value::deserialize(d).map(LabelRequest::from)
    }
}

/// The raster of a job whose bytes are in the store only (see
/// [`JobSpec::raster_released`]): one shared empty buffer, so releasing a
/// raster allocates nothing and every released raster is the same `Arc`.
pub fn released_raster() -> Arc<Vec<u8>> {
    static RELEASED: std::sync::OnceLock<Arc<Vec<u8>>> = std::sync::OnceLock::new();
    RELEASED.get_or_init(|| Arc::new(Vec::new())).clone()
}

/// Why a job failed or was interrupted (design §2: `error_code`, `error_message`, `error_detail`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobError {
    /// A stable snake_case code (`connection_lost`, a printer's rejection code, ...).
    pub code: String,
    /// A human-readable message.
    pub message: String,
    /// Structured detail, if any.
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
}

impl JobError {
    /// An error without detail.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            detail: None,
        }
    }
}

/// The state of a job. One vocabulary everywhere: REST, events, database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting in its printer's queue.
    Queued,
    /// Kept in the queue, at its place, but skipped until released.
    Held,
    /// A copy of it is being sent to the printer.
    Printing,
    /// Every copy was printed. Terminal.
    Completed,
    /// The printer refused it. Terminal (retry makes a new job).
    Failed,
    /// Cancelled by a user. Terminal.
    Cancelled,
    /// The outcome of a copy is unknown (connection lost mid-copy, or the hub
    /// stopped while printing). Never reprinted silently. Terminal.
    Interrupted,
}

/// A command or trigger that moves a job between [`JobState`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobCommand {
    /// The printer starts sending the job (queued → printing).
    Start,
    /// A user holds the job (queued → held).
    Hold,
    /// A user releases the job (held → queued, at its original place).
    Release,
    /// A user cancels the job. `copies_left` counts the copies that would still
    /// be sent after the one in flight; it matters only for a printing job,
    /// which may be cancelled only when it is above zero (the job then ends
    /// `cancelled` after the current copy). Ignored for queued and held jobs.
    Cancel {
        /// Copies not yet sent after the one in flight.
        copies_left: u32,
    },
    /// The last copy was written (printing → completed).
    Complete,
    /// The printer refused the job (printing → failed).
    Fail,
    /// The outcome of the copy in flight is unknown (printing → interrupted).
    Interrupt,
    /// A recoverable printer problem: back to the head of the queue (printing → queued).
    Requeue,
    /// A user asks for a reprint. The job itself does not move (failed,
    /// interrupted and cancelled stay what they are); a new job is made.
    Retry,
    /// The job waited in the queue longer than its printer's queue timeout
    /// (queued → failed, error `queue_timeout`; issue #20).
    Expire,
    /// A user asks to print a finished job again, completed included
    /// (issue #20). The job itself does not move; a new job is made from its
    /// stored request, laid out for the medium now, or from its raster.
    Reprint,
}

impl JobState {
    /// Every state, in declaration order.
    pub const ALL: [JobState; 7] = [
        JobState::Queued,
        JobState::Held,
        JobState::Printing,
        JobState::Completed,
        JobState::Failed,
        JobState::Cancelled,
        JobState::Interrupted,
    ];

    /// The state after `command`, or why it is not allowed. This is the only
    /// definition of the job state machine (design §2).
    ///
    /// Decision: `retry` is allowed from `failed`, `interrupted` and
    /// `cancelled` (a job cancelled by mistake can be reprinted without
    /// re-rendering), not from `completed` (printing again is a new
    /// submission, not a retry).
    pub fn transition(self, command: JobCommand) -> Result<JobState, TransitionError> {
        use JobCommand as C;
        use JobState as S;
        let next = match (self, command) {
            (S::Queued, C::Start) => S::Printing,
            (S::Queued, C::Hold) => S::Held,
            (S::Queued, C::Expire) => S::Failed,
            (S::Queued | S::Held, C::Cancel { .. }) => S::Cancelled,
            (S::Held, C::Release) => S::Queued,
            (S::Printing, C::Complete) => S::Completed,
            (S::Printing, C::Fail) => S::Failed,
            (S::Printing, C::Interrupt) => S::Interrupted,
            (S::Printing, C::Requeue) => S::Queued,
            (S::Printing, C::Cancel { copies_left }) if copies_left > 0 => S::Cancelled,
            (S::Failed | S::Interrupted | S::Cancelled, C::Retry) => self,
            (S::Completed | S::Failed | S::Interrupted | S::Cancelled, C::Reprint) => self,
            _ => {
                return Err(TransitionError {
                    from: self,
                    command,
                })
            }
        };
        Ok(next)
    }

    /// Completed, failed, cancelled and interrupted are terminal.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Failed | JobState::Cancelled | JobState::Interrupted
        )
    }

    /// Queued or held: the job waits in its printer's queue.
    pub fn is_waiting(self) -> bool {
        matches!(self, JobState::Queued | JobState::Held)
    }

    /// The snake_case name used in JSON, SQL and events.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Held => "held",
            JobState::Printing => "printing",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
            JobState::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string is not one of the seven job state names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job state {0:?}")]
pub struct UnknownJobState(pub String);

impl FromStr for JobState {
    type Err = UnknownJobState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownJobState(s.to_owned()))
    }
}

impl JobCommand {
    /// The command's name (`cancel` for every `Cancel`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobCommand::Start => "start",
            JobCommand::Hold => "hold",
            JobCommand::Release => "release",
            JobCommand::Cancel { .. } => "cancel",
            JobCommand::Complete => "complete",
            JobCommand::Fail => "fail",
            JobCommand::Interrupt => "interrupt",
            JobCommand::Requeue => "requeue",
            JobCommand::Retry => "retry",
            JobCommand::Expire => "expire",
            JobCommand::Reprint => "reprint",
        }
    }
}

impl fmt::Display for JobCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job as the hub records it: the spec plus its progress. The store
/// persists it whole; [`PrinterMachine`](crate::PrinterMachine) owns the live copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The job's id.
    pub id: JobId,
    /// What to print.
    pub spec: JobSpec,
    /// Where the job is in its life.
    pub state: JobState,
    /// When it was submitted (or, for a retry, created).
    pub created_at: Timestamp,
    /// When its first copy started.
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    /// When it reached a terminal state.
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    /// When its state last changed (every transition records a timestamp).
    pub state_changed_at: Timestamp,
    /// Why it failed or was interrupted. Boxed: most jobs never have one,
    /// and a waiting job should cost a pointer for it, not 80 bytes (#17).
    #[serde(default)]
    pub error: Option<Box<JobError>>,
    /// The job this one retries.
    #[serde(default)]
    pub parent_job_id: Option<JobId>,
    /// How many retries lie between this job and the original (0 for an original).
    #[serde(default)]
    pub retry_count: u32,
    /// Copies written to the printer so far.
    #[serde(default)]
    pub copies_printed: u32,
    /// Whether the printer confirmed every printed copy (rather than the hub
    /// only having sent it). Meaningful once `copies_printed > 0`.
    #[serde(default)]
    pub confirmed: bool,
}

impl Job {
    /// A new queued job. The caller validates the spec (see [`JobSpec::validate`]).
    pub fn new(id: JobId, spec: JobSpec, now: Timestamp) -> Self {
        Self {
            id,
            spec,
            state: JobState::Queued,
            created_at: now,
            started_at: None,
            finished_at: None,
            state_changed_at: now,
            error: None,
            parent_job_id: None,
            retry_count: 0,
            copies_printed: 0,
            confirmed: false,
        }
    }

    /// The retry of this job: a new queued job with the same spec (the very
    /// same raster bytes), `parent_job_id` = this job, `retry_count + 1`.
    /// Fails unless this job's state allows [`JobCommand::Retry`].
    pub fn retry(&self, new_id: JobId, now: Timestamp) -> Result<Job, TransitionError> {
        self.state.transition(JobCommand::Retry)?;
        let mut job = Job::new(new_id, self.spec.clone(), now);
        // A new job: the old one's re-layouts are its own history.
        job.spec.relayouts.clear();
        job.parent_job_id = Some(self.id);
        job.retry_count = self.retry_count.saturating_add(1);
        Ok(job)
    }

    /// Applies `command` through [`JobState::transition`] and records its
    /// timestamps. Returns the previous state. On error nothing changes.
    pub fn apply(
        &mut self,
        command: JobCommand,
        now: Timestamp,
    ) -> Result<JobState, TransitionError> {
        let from = self.state;
        let to = from.transition(command)?;
        self.state = to;
        if to != from {
            self.state_changed_at = now;
        }
        if to == JobState::Printing && self.started_at.is_none() {
            self.started_at = Some(now);
        }
        if to.is_terminal() && !from.is_terminal() {
            self.finished_at = Some(now);
        }
        Ok(from)
    }

    /// Copies not yet printed.
    pub fn copies_remaining(&self) -> u32 {
        self.spec.copies.saturating_sub(self.copies_printed)
    }
}

/// Serde for the shared raster: base64 in human-readable formats (JSON),
/// plain bytes in binary ones.
mod raster_bytes {
    use std::fmt;
    use std::sync::Arc;

    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use serde::de::{self, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(raster: &Arc<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&STANDARD.encode(raster.as_slice()))
        } else {
            s.serialize_bytes(raster)
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Vec<u8>>, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(RasterVisitor).map(Arc::new)
        } else {
            d.deserialize_byte_buf(RasterVisitor).map(Arc::new)
        }
    }

    struct RasterVisitor;

    impl<'de> Visitor<'de> for RasterVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a base64 string or a byte array")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
            STANDARD.decode(v).map_err(E::custom)
        }

        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }

        fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(v)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
            while let Some(byte) = seq.next_element::<u8>()? {
                out.push(byte);
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> JobSpec {
        JobSpec::new(PrinterId::from_u128(1), "PT-P750W", "tze-12", vec![1, 2, 3])
    }

    #[test]
    fn validate_table() {
        type Edit = fn(&mut JobSpec);
        let cases: &[(&str, Edit, Option<ValidationError>)] = &[
            ("valid", |_| {}, None),
            ("max copies", |s| s.copies = MAX_COPIES, None),
            (
                "zero copies",
                |s| s.copies = 0,
                Some(ValidationError::NoCopies),
            ),
            (
                "too many copies",
                |s| s.copies = MAX_COPIES + 1,
                Some(ValidationError::TooManyCopies {
                    copies: MAX_COPIES + 1,
                    max: MAX_COPIES,
                }),
            ),
            (
                "empty raster",
                |s| s.raster = Arc::new(Vec::new()),
                Some(ValidationError::EmptyRaster),
            ),
            (
                "no media",
                |s| s.media_id = " ".into(),
                Some(ValidationError::MissingMedia),
            ),
            (
                "no model",
                |s| s.model = Name::default(),
                Some(ValidationError::MissingModel),
            ),
        ];
        for (name, edit, expected) in cases {
            let mut s = spec();
            edit(&mut s);
            assert_eq!(s.validate().err(), *expected, "{name}");
            if let Some(e) = expected {
                assert_eq!(e.code(), "invalid_request", "{name}");
            }
        }
    }

    #[test]
    fn job_round_trips_through_json_with_base64_raster() {
        let mut job = Job::new(
            JobId::from_u128(7),
            spec().with_copies(2),
            Timestamp::from_millis(5),
        );
        job.error = Some(Box::new(JobError {
            code: "no_media".into(),
            message: "no tape".into(),
            detail: Some(serde_json::json!({"media": "tze-12"})),
        }));
        let json = serde_json::to_value(&job).expect("serializes");
        assert_eq!(json["spec"]["raster"], "AQID");
        assert_eq!(json["state"], "queued");
        let back: Job = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, job);
        // A byte array is accepted too.
        let mut json = serde_json::to_value(&job).expect("serializes");
        json["spec"]["raster"] = serde_json::json!([1, 2, 3]);
        let back: Job = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back.spec.raster.as_slice(), &[1, 2, 3]);
    }

    #[test]
    fn state_names_round_trip() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
            assert_eq!(
                serde_json::to_string(&state).expect("serializes"),
                format!("\"{state}\"")
            );
        }
        assert!("done".parse::<JobState>().is_err());
    }

    #[test]
    fn retry_shares_the_raster_and_links_the_parent() {
        let mut job = Job::new(JobId::from_u128(1), spec(), Timestamp::from_millis(0));
        assert!(job
            .retry(JobId::from_u128(2), Timestamp::from_millis(1))
            .is_err());
        job.apply(JobCommand::Start, Timestamp::from_millis(1))
            .expect("start");
        job.apply(JobCommand::Fail, Timestamp::from_millis(2))
            .expect("fail");
        let retry = job
            .retry(JobId::from_u128(2), Timestamp::from_millis(3))
            .expect("retry");
        assert!(Arc::ptr_eq(&retry.spec.raster, &job.spec.raster));
        assert_eq!(retry.parent_job_id, Some(job.id));
        assert_eq!(retry.retry_count, 1);
        assert_eq!(retry.state, JobState::Queued);
        assert_eq!(job.finished_at, Some(Timestamp::from_millis(2)));
        assert_eq!(job.started_at, Some(Timestamp::from_millis(1)));
    }
}
