//! Wire types: `*Request` DTOs parsed from JSON (`deny_unknown_fields`, "low")
//! and `*View` DTOs answered (design §3 field names), with the conversions to
//! and from the engine's domain types ("high").

use crate::error::{ApiError, ErrorCode};
use printhub_actors::{PrinterConfig, PrinterInfo, PrinterPatch};
use printhub_core::{
    BatchId, Job, JobId, PrintOptions, PrinterId, PrinterState, PrinterStatus, Timestamp,
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
            content_type: job.spec.content_type,
            template: job.spec.template,
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
            submitted_by: job.spec.submitted_by,
            source_address: job.spec.source_address,
        }
    }
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
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
}

impl From<PrinterInfo> for PrinterView {
    fn from(info: PrinterInfo) -> Self {
        let status = StatusView::new(&info);
        PrinterView {
            id: info.id,
            slug: info.slug,
            name: info.name,
            model: info.model,
            address: info.address,
            media: (!info.media.is_empty()).then_some(info.media),
            state: status.state.clone(),
            state_reason: status.state_reason.clone(),
            offline_since: status.offline_since.clone(),
            queue_depth: info.queue_depth,
            enabled: info.enabled,
            last_seen: status.last_seen.clone(),
            status,
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
    #[schemars(with = "crate::openapi::Slug")]
    pub slug: String,
    #[serde(default, deserialize_with = "printer_name")]
    pub name: Option<String>,
    #[schemars(with = "crate::openapi::ModelName")]
    pub model: String,
    #[schemars(with = "crate::openapi::MediaId")]
    pub media: String,
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
}

fn yes() -> bool {
    true
}

impl From<CreatePrinterRequest> for PrinterConfig {
    fn from(r: CreatePrinterRequest) -> Self {
        PrinterConfig {
            id: r.id,
            name: r.name.unwrap_or_else(|| r.slug.clone()),
            slug: r.slug,
            model: r.model,
            media: r.media,
            address: r.address,
            enabled: r.enabled,
            // As in a PATCH, an empty SNMP address means no SNMP.
            snmp: r.snmp.filter(|s| !s.trim().is_empty()),
            snmp_community: r.snmp_community,
            paused: false,
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
    #[schemars(with = "Option<crate::openapi::MediaId>")]
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
        }
    }
}

/// Cut options; absent fields take the printer defaults (cut on, the rest off).
#[derive(Debug, Clone, Copy, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionsRequest {
    #[serde(default)]
    pub cut: Option<bool>,
    #[serde(default)]
    pub half_cut: Option<bool>,
    #[serde(default)]
    pub chain: Option<bool>,
    #[serde(default)]
    pub high_res: Option<bool>,
}

impl From<OptionsRequest> for PrintOptions {
    fn from(o: OptionsRequest) -> Self {
        PrintOptions {
            cut: o.cut.unwrap_or(true),
            half_cut: o.half_cut.unwrap_or(false),
            chain: o.chain.unwrap_or(false),
            high_res: o.high_res.unwrap_or(false),
        }
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
    #[serde(default)]
    pub orientation: Option<Orientation>,
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = printhub_core::MAX_COPIES), description = "Copies, 1..=999; a whole number written without a fraction (`998.0` is refused: 400 invalid_request)")]
    pub copies: u32,
    #[serde(default)]
    pub options: OptionsRequest,
}

fn one() -> u32 {
    1
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
) -> Result<LabelSpec, ApiError> {
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
}

/// The answer to a batch submission.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct BatchSubmittedView {
    #[schemars(with = "uuid::Uuid")]
    pub batch_id: BatchId,
    #[schemars(with = "Vec<uuid::Uuid>")]
    pub job_ids: Vec<JobId>,
}

/// A batch with its jobs and a count per state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct BatchView {
    #[schemars(with = "uuid::Uuid")]
    pub batch_id: BatchId,
    pub jobs: Vec<JobView>,
    #[schemars(
        description = "How many of the batch's jobs are in each state (every state, zeros included)"
    )]
    pub summary: std::collections::BTreeMap<String, usize>,
    pub total: usize,
    pub all_terminal: bool,
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
