//! Wire types: `*Request` DTOs parsed from JSON (`deny_unknown_fields`, "low")
//! and `*View` DTOs answered (design §3 field names), with the conversions to
//! and from the engine's domain types ("high").

use crate::error::{ApiError, ErrorCode};
use printhub_actors::{PrinterDraft, PrinterInfo, PrinterPatch, ProbedPrinter};
use printhub_core::{
    BatchId, Job, JobId, JobState, PrinterDefaults, PrinterId, PrinterState, PrinterStatus,
    RequestedOptions, Timestamp,
};
use printhub_render::{ContentType, LabelData, Orientation, RenderRequest, TemplateRef};
use serde::{Deserialize, Serialize};
use std::time::{Duration, UNIX_EPOCH};

/// The most items one batch may hold.
pub const MAX_BATCH: usize = 500;

/// RFC 3339 UTC with `Z`, millisecond precision.
pub fn rfc3339(ts: Timestamp) -> String {
    let ms = u64::try_from(ts.as_millis()).unwrap_or(0);
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// An RFC 3339 date-time with any offset (`Z`, `+01:00`, `-05:30`), also
/// before 1970, as a timestamp; `None` when `text` is not one.
///
/// A space where the offset's `+` belongs is read as `+`: a `+` left
/// unescaped in a query string arrives as a space.
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let at: jiff::Timestamp = text.parse().ok().or_else(|| {
        let (head, offset) = text.rsplit_once(' ')?;
        format!("{head}+{offset}").parse().ok()
    })?;
    Some(Timestamp::from_millis(at.as_millisecond()))
}

/// A job (design §3 `JobView`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct JobView {
    #[schemars(with = "uuid::Uuid")]
    pub id: JobId,
    #[schemars(with = "uuid::Uuid")]
    pub printer_id: PrinterId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<uuid::Uuid>")]
    pub batch_id: Option<BatchId>,
    #[schemars(with = "crate::openapi::JobStateName")]
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(description = "The content type it was drawn with (or `image` for an upload)")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        description = "The template it was drawn with (`inline` for an unnamed inline template)"
    )]
    pub template: Option<String>,
    /// The label's main text, for lists: its title, else its primary id,
    /// QR payload or first line (free text: its first line with text), cut
    /// to 80 characters. Absent for images, raw rasters and IPP documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub copies: u32,
    pub copies_printed: u32,
    /// Whether the printer confirmed every printed copy ("printing
    /// completed" for each page). `false` on a `completed` job: sent, not
    /// confirmed (a printer or link that does not report). Meaningful once
    /// `copies_printed > 0`.
    #[serde(default)]
    pub confirmed: bool,
    #[schemars(with = "crate::openapi::DateTime")]
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_detail: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<uuid::Uuid>")]
    pub parent_job_id: Option<JobId>,
    pub retry_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<String>,
    /// The address the job was submitted from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_address: Option<String>,
    /// Each time the hub laid the job out again for the medium loaded
    /// while it waited (issue #20), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relayouts: Vec<RelayoutView>,
}

/// One re-layout of a waiting job for another medium.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct RelayoutView {
    /// The medium it was laid out for before.
    pub from_media: String,
    /// The medium it is laid out for now.
    pub to_media: String,
    #[schemars(with = "crate::openapi::DateTime")]
    pub at: String,
}

impl JobView {
    /// `job` as `caller` may see it: who submitted it and from where
    /// (`submitted_by`, `source_address`) only for admins and for the
    /// submitter itself.
    pub fn seen_by(job: Job, caller: &crate::auth::Caller) -> JobView {
        let sees = caller.sees_submitter(&job);
        let view = JobView::from(job);
        if sees {
            view
        } else {
            view.without_submitter()
        }
    }

    /// The view without `submitted_by` and `source_address` (what every
    /// event-stream subscriber may see; the job route shows them to those
    /// allowed).
    pub fn without_submitter(self) -> JobView {
        JobView {
            submitted_by: None,
            source_address: None,
            ..self
        }
    }
}

impl From<Job> for JobView {
    fn from(job: Job) -> Self {
        let (error_code, error_message, error_detail) = match job.error {
            Some(e) => (Some(e.code), Some(e.message), e.detail),
            None => (None, None, None),
        };
        JobView {
            id: job.id,
            printer_id: job.spec.printer_id,
            batch_id: job.spec.batch_id,
            state: job.state.as_str().to_string(),
            content_type: job.spec.content_type.map(String::from),
            template: job.spec.template.map(String::from),
            title: job
                .spec
                .request
                .as_ref()
                .and_then(|r| main_text(&r.to_value())),
            copies: job.spec.copies,
            copies_printed: job.copies_printed,
            confirmed: job.confirmed,
            created_at: rfc3339(job.created_at),
            started_at: job.started_at.map(rfc3339),
            finished_at: job.finished_at.map(rfc3339),
            error_code,
            error_message,
            error_detail,
            parent_job_id: job.parent_job_id,
            retry_count: job.retry_count,
            submitted_by: job.spec.submitted_by.map(String::from),
            source_address: job.spec.source_address.map(String::from),
            relayouts: job
                .spec
                .relayouts
                .into_iter()
                .map(|r| RelayoutView {
                    from_media: r.from_media,
                    to_media: r.to_media,
                    at: rfc3339(r.at),
                })
                .collect(),
        }
    }
}

/// The longest [`JobView::title`], in characters.
const TITLE_CHARS: usize = 80;

/// The main text of a stored label request (the renderer's JSON, see
/// `printhub_render::RenderRequest`): the first non-blank of title,
/// primary id, QR payload and further lines for label data, the first line
/// with text for free text.
fn main_text(request: &serde_json::Value) -> Option<String> {
    let content = request.get("content")?;
    let text = |v: Option<&serde_json::Value>| {
        v.and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let found = if let Some(free) = content.get("text") {
        free.get("lines")?
            .as_array()?
            .iter()
            .find_map(|line| text(Some(line)))
    } else {
        let data = content
            .get("content_type")
            .or_else(|| content.get("template"))?
            .get("data")?;
        ["title", "primary_id", "qr_payload"]
            .iter()
            .find_map(|k| text(data.get(*k)))
            .or_else(|| {
                data.get("secondary")?
                    .as_array()?
                    .iter()
                    .find_map(|line| text(Some(line)))
            })
    }?;
    Some(if found.chars().count() > TITLE_CHARS {
        let cut: String = found.chars().take(TITLE_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        found
    })
}

/// What a printer last reported (live status).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct StatusView {
    #[schemars(with = "crate::openapi::PrinterStateName")]
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    /// When the printer went offline (only in the `offline` state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub offline_since: Option<String>,
    pub reachable: bool,
    pub ready: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The media the printer reports loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_media: Option<String>,
    pub errors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub last_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl StatusView {
    fn new(info: &PrinterInfo) -> Self {
        let s: &PrinterStatus = &info.status;
        StatusView {
            state: info.state.name().to_string(),
            state_reason: info.state.reason().map(str::to_string),
            offline_since: match info.state {
                PrinterState::Offline { since } => Some(rfc3339(since)),
                _ => None,
            },
            reachable: s.reachable,
            ready: s.ready,
            reason: s.reason.clone(),
            media: s.media.clone(),
            expected_media: s.expected_media.clone(),
            errors: s.errors.clone(),
            last_seen: s.last_seen.map(rfc3339),
            source: s.source.clone(),
        }
    }
}

impl From<&PrinterInfo> for StatusView {
    fn from(info: &PrinterInfo) -> Self {
        StatusView::new(info)
    }
}

/// A printer (design §3 `PrinterView`, plus its live `status`). Never holds the SNMP community.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct PrinterView {
    #[schemars(with = "uuid::Uuid")]
    pub id: PrinterId,
    #[schemars(with = "crate::openapi::Slug")]
    pub slug: String,
    pub name: String,
    pub model: String,
    pub address: String,
    /// The media setting: a media id (pinned) or `auto` (what the printer reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
    /// The medium labels are laid out for now: the pinned one, or with `auto`
    /// the one the printer reports (the last one reported while the tape is
    /// out; absent until it has reported one, when printing is 409 `media_unknown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout_media: Option<String>,
    #[schemars(with = "crate::openapi::PrinterStateName")]
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    /// When the printer went offline (only in the `offline` state; not
    /// `last_seen`, which is the last time it answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub offline_since: Option<String>,
    pub queue_depth: usize,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub last_seen: Option<String>,
    pub status: StatusView,
    /// Present while the printer is stopped because it holds other media
    /// than the next job was laid out for (issue #20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_for: Option<MediaWaitView>,
    /// Its print defaults.
    #[serde(default)]
    pub defaults: PrinterDefaults,
}

/// What a printer stopped with `media_mismatch` waits for, and what resolves it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct MediaWaitView {
    /// The job it waits to print.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<uuid::Uuid>")]
    pub job_id: Option<printhub_core::JobId>,
    /// The medium that job was laid out for.
    pub needed_media: String,
    /// The medium the printer holds (absent: it does not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loaded_media: Option<String>,
    /// What resolves it: `load_media` (put `needed_media` in; it goes on by
    /// itself), `relayout` (`PATCH /api/printers/{key}` with `media` =
    /// `loaded_media`, or `auto`: waiting jobs made from label data are laid
    /// out again, the others held), `hold` and `cancel` (the job).
    pub actions: Vec<String>,
}

impl MediaWaitView {
    /// The wait of a printer stopped for its medium, if it is.
    fn of(info: &PrinterInfo) -> Option<MediaWaitView> {
        if info.state.reason() != Some(printhub_core::reason::MEDIA_MISMATCH) {
            return None;
        }
        let needed = info.status.expected_media.clone()?;
        let mut actions = vec!["load_media".to_string()];
        if info.status.media.is_some() {
            actions.push("relayout".into());
        }
        if info.next_job.is_some() {
            actions.extend(["hold".to_string(), "cancel".to_string()]);
        }
        Some(MediaWaitView {
            job_id: info.next_job,
            needed_media: needed,
            loaded_media: info.status.media.clone(),
            actions,
        })
    }
}

impl From<PrinterInfo> for PrinterView {
    fn from(info: PrinterInfo) -> Self {
        let status = StatusView::new(&info);
        let waiting_for = MediaWaitView::of(&info);
        PrinterView {
            id: info.id,
            slug: info.slug,
            name: info.name,
            model: info.model,
            address: info.address,
            media: (!info.media.is_empty()).then_some(info.media),
            layout_media: info.layout_media,
            state: status.state.clone(),
            state_reason: status.state_reason.clone(),
            offline_since: status.offline_since.clone(),
            queue_depth: info.queue_depth,
            enabled: info.enabled,
            last_seen: status.last_seen.clone(),
            status,
            waiting_for,
            defaults: info.defaults,
        }
    }
}

/// The longest printer name, in characters (longer: 400 naming the limit).
pub const MAX_PRINTER_NAME_CHARS: usize = 100;

/// A printer `name` of at most [`MAX_PRINTER_NAME_CHARS`] characters.
fn printer_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let name = Option::<String>::deserialize(d)?;
    match name.as_deref().map(|n| n.chars().count()) {
        Some(n) if n > MAX_PRINTER_NAME_CHARS => Err(serde::de::Error::custom(format!(
            "name has {n} characters; at most {MAX_PRINTER_NAME_CHARS} are allowed"
        ))),
        _ => Ok(name),
    }
}

/// `POST /api/printers`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePrinterRequest {
    #[serde(default)]
    #[schemars(with = "Option<uuid::Uuid>")]
    pub id: Option<PrinterId>,
    /// Absent: one made from the model's name (`ql-820nwb`, `ql-820nwb-2`…).
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::Slug>")]
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "printer_name")]
    pub name: Option<String>,
    /// Absent: the hub asks the printer at `address` (and `snmp`) which model
    /// it is (`ESC i S` on TCP, the device id over SNMP); nothing answering is
    /// 422 `printer_unreachable`, an answer naming no known model 422
    /// `printer_unidentified`.
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::ModelName>")]
    pub model: Option<String>,
    /// Absent: `auto` (the medium the printer reports).
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::PrinterMediaSetting>")]
    pub media: Option<String>,
    #[schemars(
        description = "The printer's raw TCP address, `host[:port]` (port 9100 by default)"
    )]
    pub address: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    #[schemars(
        description = "SNMP agent `host[:port]` (port 161 by default); absent or empty: no SNMP"
    )]
    pub snmp: Option<String>,
    #[serde(default)]
    #[schemars(extend("writeOnly" = true), description = "SNMP community (write-only: never answered)")]
    pub snmp_community: Option<String>,
    /// Print defaults (absent: the hub's).
    #[serde(default)]
    pub defaults: PrinterDefaults,
}

fn yes() -> bool {
    true
}

impl From<CreatePrinterRequest> for PrinterDraft {
    fn from(r: CreatePrinterRequest) -> Self {
        PrinterDraft {
            id: r.id,
            slug: r.slug,
            name: r.name,
            model: r.model,
            media: r.media,
            address: r.address,
            enabled: r.enabled,
            snmp: r.snmp,
            snmp_community: r.snmp_community,
            defaults: r.defaults,
        }
    }
}

/// `GET /api/printers/probe`: where to ask.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeQuery {
    /// The printer's raw TCP address, `host[:port]` (port 9100 by default).
    pub address: String,
    /// Its SNMP agent, `host[:port]` (port 161 by default); absent: the hub
    /// asks TCP first, then port 161 of the same host.
    #[serde(default)]
    pub snmp: Option<String>,
    /// The SNMP community (default `public`).
    #[serde(default)]
    pub snmp_community: Option<String>,
}

/// What a printer said about itself: the model and medium a printer added
/// with this address alone would be registered with.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct ProbeView {
    /// A slug no printer has yet.
    #[schemars(with = "crate::openapi::Slug")]
    pub slug: String,
    #[schemars(with = "crate::openapi::ModelName")]
    pub model: String,
    /// The medium it reported loaded (a media id), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
    /// The channel that answered: `tcp` (`ESC i S`) or `snmp`.
    pub source: String,
    /// What it said, as it said it (its device id, or its status block's codes).
    pub said: String,
    /// The SNMP agent that answered, when SNMP did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snmp: Option<String>,
}

impl From<ProbedPrinter> for ProbeView {
    fn from(p: ProbedPrinter) -> Self {
        ProbeView {
            slug: p.slug,
            model: p.model,
            media: p.media,
            source: p.source,
            said: p.said,
            snmp: p.snmp,
        }
    }
}

/// `PATCH /api/printers/{key}`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePrinterRequest {
    #[serde(default, deserialize_with = "printer_name")]
    pub name: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::ModelName>")]
    pub model: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::PrinterMediaSetting>")]
    pub media: Option<String>,
    #[serde(default)]
    #[schemars(
        description = "The printer's raw TCP address, `host[:port]` (port 9100 by default)"
    )]
    pub address: Option<String>,
    /// SNMP agent `host[:port]`; an empty string turns SNMP off.
    #[serde(default)]
    pub snmp: Option<String>,
    /// SNMP community (write-only: never answered).
    #[serde(default)]
    #[schemars(extend("writeOnly" = true))]
    pub snmp_community: Option<String>,
    /// New print defaults, replacing them all (absent fields: the defaults').
    #[serde(default)]
    pub defaults: Option<PrinterDefaults>,
}

impl From<UpdatePrinterRequest> for PrinterPatch {
    fn from(r: UpdatePrinterRequest) -> Self {
        PrinterPatch {
            name: r.name,
            model: r.model,
            media: r.media,
            address: r.address,
            snmp: r.snmp,
            snmp_community: r.snmp_community,
            defaults: r.defaults,
        }
    }
}

/// Cut options; absent fields take the printer's defaults (`defaults` of
/// the printer: by default a full cut after each label, and on PT models a
/// batch as one half-cut strip).
///
/// Label Printer Hub's names are read too (issue #19): `auto_cut` for `cut`,
/// `high_resolution` for `high_res`, `last_page: false` for `chain: true`
/// (no feed after the label, so the next one follows it) and `copies` for the
/// request's own `copies`. A request gives one name of each pair: both is
/// 400 `invalid_request` naming the two fields.
#[derive(Debug, Clone, Copy, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = crate::openapi::options_rules)]
pub struct OptionsRequest {
    #[serde(default)]
    pub cut: Option<bool>,
    #[serde(default)]
    pub half_cut: Option<bool>,
    #[serde(default)]
    pub chain: Option<bool>,
    #[serde(default)]
    pub high_res: Option<bool>,
    /// Label Printer Hub's name for `cut`.
    #[serde(default)]
    pub auto_cut: Option<bool>,
    /// Label Printer Hub's name for `high_res`.
    #[serde(default)]
    pub high_resolution: Option<bool>,
    /// Label Printer Hub's option: `false` chains the label to the next one
    /// (`chain: true`); `true` (its default) changes nothing.
    #[serde(default)]
    pub last_page: Option<bool>,
    /// Label Printer Hub's place for the request's `copies`.
    #[serde(default, deserialize_with = "some")]
    #[schemars(with = "u32", range(min = 1, max = printhub_core::MAX_COPIES), description = "Label Printer Hub's place for `copies` (1..=999; not both)")]
    pub copies: Option<u32>,
}

/// A value that is present and not `null` (a field that may be absent but,
/// when given, must hold a value).
fn some<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// The one value of an option given under its name or its alias, or 400
/// naming both when it is given under both.
pub(crate) fn one_of<T>(
    name: &str,
    value: Option<T>,
    alias: &str,
    aliased: Option<T>,
) -> Result<Option<T>, ApiError> {
    match (value, aliased) {
        (Some(_), Some(_)) => Err(ApiError::invalid(format!(
            "{name} and {alias} are the same option; give one"
        ))
        .with_detail(serde_json::json!({ "fields": [name, alias] }))),
        (v, a) => Ok(v.or(a)),
    }
}

impl OptionsRequest {
    /// The options the request gives, with the aliases resolved (400 when
    /// an option is given under both its names); what it leaves out comes
    /// from the printer's defaults ([`printhub_core::PrinterDefaults`]).
    pub fn requested(self) -> Result<RequestedOptions, ApiError> {
        let cut = one_of("options.cut", self.cut, "options.auto_cut", self.auto_cut)?;
        let high_res = one_of(
            "options.high_res",
            self.high_res,
            "options.high_resolution",
            self.high_resolution,
        )?;
        let chain = one_of(
            "options.chain",
            self.chain,
            "options.last_page",
            self.last_page.map(|last| !last),
        )?;
        Ok(RequestedOptions {
            cut,
            half_cut: self.half_cut,
            chain,
            high_res,
        })
    }
}

/// `POST /api/printers/{key}/jobs` and each batch item.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = crate::openapi::label_rules)]
pub struct SubmitJobRequest {
    #[serde(default)]
    #[schemars(with = "Option<printhub_render::ContentType>")]
    pub content_type: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::TemplateRefSchema>")]
    pub template: Option<TemplateRef>,
    #[serde(default)]
    pub data: Option<LabelData>,
    /// An item to look up instead of `data` (its template unless one is given).
    #[serde(default)]
    pub lookup: Option<crate::lookup::LookupRequest>,
    /// A free text label instead of a content type or template (issue #24).
    #[serde(default)]
    pub text: Option<printhub_render::FreeText>,
    #[serde(default)]
    pub orientation: Option<Orientation>,
    #[serde(default, deserialize_with = "some")]
    #[schemars(with = "u32", range(min = 1, max = printhub_core::MAX_COPIES), description = "Copies, 1..=999 (default 1); a whole number written without a fraction (`998.0` is refused: 400 invalid_request). Or `options.copies` (not both).")]
    pub copies: Option<u32>,
    #[serde(default)]
    pub options: OptionsRequest,
}

impl SubmitJobRequest {
    /// The copies asked for, under `copies` or `options.copies` (default
    /// 1; both is 400 `invalid_request`). The range is checked by the caller.
    pub fn copies(&self) -> Result<u32, ApiError> {
        Ok(one_of("copies", self.copies, "options.copies", self.options.copies)?.unwrap_or(1))
    }
}

/// What to draw, validated: exactly one content source.
#[derive(Debug, Clone)]
pub struct LabelSpec {
    /// The render request.
    pub render: RenderRequest,
    /// The content type name, for the job record.
    pub content_type: Option<String>,
    /// The template name, for the job record.
    pub template: Option<String>,
}

/// Checks "exactly one of `{content_type, data}` or `{template, data}`" (a
/// `lookup` was turned into `data` and a template before, by
/// `crate::lookup::resolve`) and
/// that a content type's data has every required field (all missing listed),
/// and that the data and an inline template are within the size limits of
/// [`printhub_render::limits`] (413 `payload_too_large` naming the field).
pub fn label_spec(
    content_type: Option<String>,
    template: Option<TemplateRef>,
    data: Option<LabelData>,
    orientation: Option<Orientation>,
    text: Option<printhub_render::FreeText>,
) -> Result<LabelSpec, ApiError> {
    if let Some(text) = text {
        // Free text (issue #24) stands alone: no content type, template or data beside it.
        let beside: Vec<&str> = [
            ("content_type", content_type.is_some()),
            ("template", template.is_some()),
            ("data", data.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect();
        if !beside.is_empty() {
            let mut fields = vec!["text"];
            fields.extend(beside);
            return Err(ApiError::invalid(format!(
                "give text alone, without {}",
                fields[1..].join(" or ")
            ))
            .with_detail(serde_json::json!({ "fields": fields })));
        }
        text.check()?;
        let render = RenderRequest::text(text);
        return Ok(LabelSpec {
            render: match orientation {
                Some(o) => render.with_orientation(o),
                None => render,
            },
            content_type: Some("text".into()),
            template: None,
        });
    }
    let data = data.unwrap_or_default();
    let spec = match (content_type, template) {
        (Some(name), None) => {
            let ct = ContentType::from_name(&name).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::UnknownContentType,
                    format!("unknown content type {name:?}"),
                )
                .with_detail(serde_json::json!({
                    "content_type": name,
                    "known": ContentType::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                }))
            })?;
            ct.check(&data)?;
            LabelSpec {
                render: RenderRequest::content_type(ct, data),
                content_type: Some(name),
                template: None,
            }
        }
        (None, Some(template)) => {
            let name = match &template {
                TemplateRef::Name(n) => n.clone(),
                TemplateRef::Inline(t) if t.name.is_empty() => "inline".to_string(),
                TemplateRef::Inline(t) => t.name.clone(),
            };
            LabelSpec {
                render: RenderRequest::template(template, data),
                content_type: None,
                template: Some(name),
            }
        }
        (Some(_), Some(_)) => {
            return Err(
                ApiError::invalid("give either content_type or template, not both")
                    .with_detail(serde_json::json!({ "fields": ["content_type", "template"] })),
            )
        }
        (None, None) => {
            return Err(
                ApiError::invalid("the label needs content_type or template")
                    .with_detail(serde_json::json!({ "missing": ["content_type|template"] })),
            )
        }
    };
    // The size limits, before anything is drawn (a huge value costs a count).
    spec.render.check_limits()?;
    Ok(match orientation {
        Some(o) => LabelSpec {
            render: spec.render.with_orientation(o),
            content_type: spec.content_type,
            template: spec.template,
        },
        None => spec,
    })
}

/// `POST /api/print/{key}/batch`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    #[schemars(length(min = 1, max = MAX_BATCH))]
    pub items: Vec<SubmitJobRequest>,
    /// The printer's slug, as Label Printer Hub's clients send it: when
    /// given it must be the slug of the printer in the path (else 400
    /// `printer_slug_mismatch`, nothing queued).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub printer_slug: Option<String>,
    /// Label Printer Hub's batch-wide half cut: when given, every item's
    /// `options.half_cut` is this value where the model can half-cut (and
    /// off where it cannot).
    #[serde(default)]
    pub half_cut_override: Option<bool>,
}

/// The answer to a batch submission.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct BatchSubmittedView {
    #[schemars(with = "uuid::Uuid")]
    pub batch_id: BatchId,
    /// The printer the batch is queued on.
    #[schemars(with = "uuid::Uuid")]
    pub printer_id: PrinterId,
    /// When the batch was committed to the queue.
    #[schemars(with = "crate::openapi::DateTime")]
    pub queued_at: String,
    /// One job per item, in item order.
    #[schemars(with = "Vec<uuid::Uuid>")]
    pub job_ids: Vec<JobId>,
}

/// How many of a batch's jobs are in each state: every printhub state
/// (zeros included), and Label Printer Hub's summary beside them (`done`
/// counts completed jobs; `total`; `all_terminal`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct BatchSummary {
    pub queued: usize,
    pub held: usize,
    pub printing: usize,
    pub completed: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub interrupted: usize,
    /// Completed jobs (Label Printer Hub's name for `completed`).
    pub done: usize,
    /// The batch's jobs.
    pub total: usize,
    /// Whether every job is in a terminal state (completed, failed, cancelled, interrupted).
    pub all_terminal: bool,
}

impl BatchSummary {
    /// The summary of `states`.
    pub fn of<'a>(states: impl IntoIterator<Item = &'a JobState>) -> BatchSummary {
        let mut s = BatchSummary {
            all_terminal: true,
            ..BatchSummary::default()
        };
        for state in states {
            let count = match state {
                JobState::Queued => &mut s.queued,
                JobState::Held => &mut s.held,
                JobState::Printing => &mut s.printing,
                JobState::Completed => &mut s.completed,
                JobState::Failed => &mut s.failed,
                JobState::Cancelled => &mut s.cancelled,
                JobState::Interrupted => &mut s.interrupted,
            };
            *count += 1;
            s.total += 1;
            s.all_terminal &= state.is_terminal();
        }
        s.done = s.completed;
        s
    }
}

/// A batch with its jobs and a count per state. Carries both printhub's
/// names (`batch_id`, `total` and `all_terminal` at the top) and Label
/// Printer Hub's (`id`, `printer_id`, `created_by`, `created_at`, `summary`
/// with `done`, `total` and `all_terminal`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct BatchView {
    #[schemars(with = "uuid::Uuid")]
    pub batch_id: BatchId,
    /// The batch id again (Label Printer Hub's name).
    #[schemars(with = "uuid::Uuid")]
    pub id: BatchId,
    /// The printer the batch was queued on.
    #[schemars(with = "uuid::Uuid")]
    pub printer_id: PrinterId,
    /// Who submitted it (shown to admins and the submitter, as on jobs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// When its first job was queued.
    #[schemars(with = "crate::openapi::DateTime")]
    pub created_at: String,
    /// Its jobs, oldest first.
    pub jobs: Vec<JobView>,
    pub summary: BatchSummary,
    pub total: usize,
    pub all_terminal: bool,
}

/// `GET /api/printers` query. Not closed: the route read no query before,
/// and a parameter it does not know is still ignored.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct PrintersQuery {
    /// Only the printer with this slug, disabled or not (Label Printer Hub's
    /// filter; no such printer the caller may see: 404 printer_not_found).
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::Slug>")]
    pub slug: Option<String>,
}

/// `GET /api/jobs` query.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobsQuery {
    #[serde(default)]
    #[schemars(
        with = "Option<crate::openapi::JobStateName>",
        description = "Only jobs in this state"
    )]
    pub state: Option<String>,
    #[serde(default)]
    #[schemars(
        with = "Option<crate::openapi::PrinterKey>",
        description = "Only this printer (id or slug)"
    )]
    pub printer: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<uuid::Uuid>", description = "Only this batch")]
    pub batch: Option<String>,
    #[serde(default)]
    #[schemars(description = "Page size (default 50; clamped to 1..=500)")]
    pub limit: Option<usize>,
    #[serde(default)]
    #[schemars(description = "Jobs to skip")]
    pub offset: Option<usize>,
    /// Only jobs created at or after this RFC 3339 time.
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub since: Option<String>,
    /// Label Printer Hub's name for `printer` (not both).
    #[serde(default)]
    #[schemars(with = "Option<uuid::Uuid>")]
    pub printer_id: Option<String>,
}

/// A page of jobs, newest first, read from the store (every job it keeps,
/// not only the printers' recent history).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct JobListView {
    pub jobs: Vec<JobView>,
    pub limit: usize,
    pub offset: usize,
    /// How many jobs match the filters, on every page together.
    pub total: u64,
}

/// `POST /api/render/preview`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = crate::openapi::preview_rules)]
pub struct PreviewRequest {
    #[serde(default)]
    #[schemars(with = "Option<printhub_render::ContentType>")]
    pub content_type: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::TemplateRefSchema>")]
    pub template: Option<TemplateRef>,
    #[serde(default)]
    pub data: Option<LabelData>,
    /// An item to look up instead of `data`.
    #[serde(default)]
    pub lookup: Option<crate::lookup::LookupRequest>,
    /// A free text label instead of a content type or template (issue #24).
    #[serde(default)]
    pub text: Option<printhub_render::FreeText>,
    #[serde(default)]
    pub orientation: Option<Orientation>,
    #[serde(default)]
    #[schemars(
        with = "Option<crate::openapi::PrinterKey>",
        description = "Render for this printer's model and media (id or slug); or give model and media"
    )]
    pub printer: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::ModelName>")]
    pub model: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<crate::openapi::MediaId>")]
    pub media: Option<String>,
    #[serde(default)]
    #[schemars(
        range(min = 1, max = 16),
        description = "Pixels per dot, 1..=16 (default 1)"
    )]
    pub scale: Option<u32>,
}

/// The queue clear answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct ClearedView {
    pub cancelled: usize,
}

/// A model of the catalogue.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ModelView {
    pub name: &'static str,
    pub family: printhub_raster::Family,
    pub auto_cut: bool,
    pub half_cut: bool,
    pub chain: bool,
    pub two_colour: bool,
    /// Dots per inch across and along the media (a preview's raster lines
    /// over this is the label's length).
    pub dpi: u16,
    pub high_res_dpi: Option<u16>,
    pub network: bool,
    pub max_media_mm: u8,
    /// Media ids this model takes.
    pub media: Vec<&'static str>,
}

impl From<&'static printhub_raster::Model> for ModelView {
    fn from(m: &'static printhub_raster::Model) -> Self {
        ModelView {
            name: m.name,
            family: m.family,
            auto_cut: m.auto_cut,
            half_cut: m.half_cut,
            chain: m.chain,
            two_colour: m.two_colour,
            dpi: m.dpi(),
            high_res_dpi: m.high_res_dpi,
            network: m.network,
            max_media_mm: m.max_media_mm,
            media: printhub_raster::MEDIA
                .iter()
                .filter(|media| printhub_raster::geometry(m, media).is_ok())
                .map(|media| media.id)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use printhub_core::{JobId, PrinterId, PrinterStatus};

    fn info(state: PrinterState, next_job: Option<JobId>, loaded: Option<&str>) -> PrinterInfo {
        PrinterInfo {
            id: PrinterId::from_u128(1),
            slug: "pt".into(),
            name: "pt".into(),
            model: "PT-P750W".into(),
            media: "tze-12".into(),
            layout_media: Some("tze-12".into()),
            address: "127.0.0.1:9".into(),
            enabled: true,
            state,
            queue_depth: 1,
            printing: None,
            next_job,
            status: PrinterStatus {
                reachable: true,
                reason: Some("media_mismatch".into()),
                media: loaded.map(str::to_string),
                expected_media: Some("tze-12".into()),
                ..PrinterStatus::default()
            },
            defaults: Default::default(),
        }
    }

    #[test]
    fn a_jobs_title_is_the_main_text_of_its_stored_request() {
        use printhub_render::{ContentType, FreeText, LabelData, RenderRequest, TemplateRef};
        let json = |r: RenderRequest| serde_json::to_value(r).expect("json");
        let data = |title: Option<&str>, id: Option<&str>, lines: &[&str]| LabelData {
            title: title.map(str::to_owned),
            primary_id: id.map(str::to_owned),
            secondary: lines.iter().map(|l| l.to_string()).collect(),
            ..LabelData::default()
        };
        let cases = [
            (
                RenderRequest::content_type(
                    ContentType::QrTwoLines,
                    data(Some("Flour"), Some("B-1"), &[]),
                ),
                Some("Flour"),
            ),
            (
                RenderRequest::content_type(
                    ContentType::TextOneLine,
                    data(Some("  "), Some("B-1"), &[]),
                ),
                Some("B-1"),
            ),
            (
                RenderRequest::template(
                    TemplateRef::Name("asset_tag".into()),
                    data(None, None, &["", "shelf 3"]),
                ),
                Some("shelf 3"),
            ),
            (
                RenderRequest::text(FreeText {
                    lines: vec!["".into(), "Fragile".into()],
                    ..FreeText::default()
                }),
                Some("Fragile"),
            ),
            (
                RenderRequest::content_type(ContentType::QrOnly, LabelData::default()),
                None,
            ),
        ];
        for (request, want) in cases {
            assert_eq!(
                main_text(&json(request.clone())).as_deref(),
                want,
                "{request:?}"
            );
        }
        // Long text is cut, on a character boundary, with an ellipsis.
        let long = "é".repeat(200);
        let title = main_text(&json(RenderRequest::content_type(
            ContentType::TextOneLine,
            data(Some(&long), None, &[]),
        )))
        .expect("title");
        assert_eq!(title.chars().count(), TITLE_CHARS);
        assert!(title.ends_with('…'));
        // Whatever else is stored is no title.
        assert_eq!(main_text(&serde_json::json!({"content_type": "x"})), None);
        assert_eq!(main_text(&serde_json::json!([1, 2])), None);
    }

    #[test]
    fn a_printer_stopped_for_its_medium_says_what_it_waits_for_and_what_resolves_it() {
        let stopped = || PrinterState::Stopped {
            reason: "media_mismatch".into(),
        };
        let job = JobId::from_u128(7);
        let view = PrinterView::from(info(stopped(), Some(job), Some("tze-24")));
        let wait = view.waiting_for.expect("waits");
        assert_eq!(wait.job_id, Some(job));
        assert_eq!(wait.needed_media, "tze-12");
        assert_eq!(wait.loaded_media.as_deref(), Some("tze-24"));
        assert_eq!(wait.actions, ["load_media", "relayout", "hold", "cancel"]);
        // Without a reported medium there is nothing to lay out for.
        let view = PrinterView::from(info(stopped(), Some(job), None));
        assert_eq!(
            view.waiting_for.expect("waits").actions,
            ["load_media", "hold", "cancel"]
        );
        // Another reason, or no stop: nothing to say.
        let other = PrinterState::Stopped {
            reason: "no_media".into(),
        };
        assert_eq!(
            PrinterView::from(info(other, Some(job), None)).waiting_for,
            None
        );
        assert_eq!(
            PrinterView::from(info(PrinterState::Idle, None, None)).waiting_for,
            None
        );
    }
}
