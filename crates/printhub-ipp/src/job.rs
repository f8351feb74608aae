//! Hub jobs seen as IPP jobs (RFC 8011 §5.3): the IPP `job-id` of a hub
//! job, its `job-state` and `job-state-reasons`, and its job attributes,
//! filtered by `requested-attributes` (Get-Job-Attributes, Get-Jobs) and
//! `which-jobs`.
//!
//! A hub job id is a UUID; IPP needs a positive 32-bit integer. The IPP id
//! is the UUID's first 31 bits ([`ipp_job_id`]), so it needs no table and
//! survives restarts; a lookup compares the ids of the printer's jobs. Two
//! v4 UUIDs share 31 bits once in about two billion pairs.
//!
//! Pure: times are arguments.

use ipp::value::IppValue;
use printhub_core::job::{Job, JobState};
use uuid::Uuid;

use crate::codec::Attribute;

/// The IPP `job-id` of the hub job `id`: its first 31 bits, never 0.
pub fn ipp_job_id(id: &Uuid) -> i32 {
    let bytes = id.as_bytes();
    let n = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) & 0x7fff_ffff;
    i32::try_from(n.max(1)).unwrap_or(1)
}

/// `job-state` enum values (RFC 8011 §5.3.7).
pub mod job_state {
    /// pending.
    pub const PENDING: i32 = 3;
    /// pending-held.
    pub const PENDING_HELD: i32 = 4;
    /// processing.
    pub const PROCESSING: i32 = 5;
    /// canceled.
    pub const CANCELED: i32 = 7;
    /// aborted.
    pub const ABORTED: i32 = 8;
    /// completed.
    pub const COMPLETED: i32 = 9;
}

/// The IPP `job-state` and `job-state-reasons` of a hub job state
/// (RFC 8011 §5.3.7, §5.3.8): queued → pending, held → pending-held,
/// printing → processing, completed, cancelled → canceled, failed and
/// interrupted → aborted (an interrupted label may or may not have come out;
/// the hub never reprints it by itself).
pub fn state_of(state: JobState) -> (i32, &'static str) {
    match state {
        JobState::Queued => (job_state::PENDING, "none"),
        JobState::Held => (job_state::PENDING_HELD, "job-hold-until-specified"),
        JobState::Printing => (job_state::PROCESSING, "job-printing"),
        JobState::Completed => (job_state::COMPLETED, "job-completed-successfully"),
        JobState::Cancelled => (job_state::CANCELED, "job-canceled-by-user"),
        JobState::Failed => (job_state::ABORTED, "aborted-by-system"),
        JobState::Interrupted => (job_state::ABORTED, "job-interrupted"),
    }
}

/// Whether a job is in a state `which-jobs=not-completed` lists.
pub fn is_active(state: JobState) -> bool {
    matches!(
        state,
        JobState::Queued | JobState::Held | JobState::Printing
    )
}

fn seconds(t: printhub_core::id::Timestamp) -> i32 {
    i32::try_from(t.as_millis() / 1000).unwrap_or(i32::MAX)
}

/// Every job attribute of `job` on the printer at `printer_uri`.
pub fn job_attributes(job: &Job, printer_uri: &str, printer_up_time: i32) -> Vec<Attribute> {
    let id = ipp_job_id(job.id.as_uuid());
    let (state, reason) = state_of(job.state);
    let name = format!("job {}", job.id);
    let user = job
        .spec
        .submitted_by
        .as_deref()
        .unwrap_or("anonymous")
        .to_string();
    let time_or_none = |t: Option<printhub_core::id::Timestamp>| match t {
        Some(t) => IppValue::Integer(seconds(t)),
        None => IppValue::NoValue,
    };
    let mut a = vec![
        Attribute::new(
            "copies",
            IppValue::Integer(i32::try_from(job.spec.copies).unwrap_or(1)),
        ),
        Attribute::new("job-id", IppValue::Integer(id)),
        Attribute::new(
            "job-impressions-completed",
            IppValue::Integer(i32::try_from(job.copies_printed).unwrap_or(i32::MAX)),
        ),
        Attribute::new("job-name", IppValue::NameWithoutLanguage(name)),
        Attribute::new(
            "job-originating-user-name",
            IppValue::NameWithoutLanguage(user),
        ),
        Attribute::new("job-printer-up-time", IppValue::Integer(printer_up_time)),
        Attribute::new("job-printer-uri", IppValue::Uri(printer_uri.to_string())),
        Attribute::new("job-state", IppValue::Enum(state)),
        Attribute::new("job-state-reasons", IppValue::Keyword(reason.to_string())),
        Attribute::new("job-uri", IppValue::Uri(format!("{printer_uri}/{id}"))),
        Attribute::new("job-uuid", IppValue::Uri(format!("urn:uuid:{}", job.id))),
        Attribute::new(
            "time-at-creation",
            IppValue::Integer(seconds(job.created_at)),
        ),
        Attribute::new("time-at-processing", time_or_none(job.started_at)),
        Attribute::new("time-at-completed", time_or_none(job.finished_at)),
    ];
    if let Some(error) = &job.error {
        a.push(Attribute::new(
            "job-state-message",
            IppValue::TextWithoutLanguage(format!("{}: {}", error.code, error.message)),
        ));
    }
    a.sort_by(|x, y| x.name.cmp(&y.name));
    a
}

/// The attributes `requested-attributes` asks for: names, `all` or
/// `job-description`/`job-template`; none means the RFC 8011 §4.2.6 minimum
/// for Get-Jobs (`job-id`, `job-uri`) when `minimal`, else `all`.
pub fn select(all: Vec<Attribute>, requested: Option<&Attribute>, minimal: bool) -> Vec<Attribute> {
    let wanted: Vec<String> = match requested {
        Some(r) => r
            .values
            .iter()
            .filter_map(|v| match v {
                IppValue::Keyword(k) => Some(k.clone()),
                _ => None,
            })
            .collect(),
        None if minimal => vec!["job-id".into(), "job-uri".into()],
        None => vec!["all".into()],
    };
    let everything = wanted
        .iter()
        .any(|w| w == "all" || w == "job-description" || w == "job-template");
    all.into_iter()
        .filter(|a| everything || wanted.contains(&a.name))
        .collect()
}
