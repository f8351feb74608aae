//! Label Printer Hub compatibility (issue #19): what the reference system's
//! clients send and key on, mapped onto printhub's own types and engine.
//!
//! - On the paths printhub shares with it (`/api/print/{key}/batch`,
//!   `/api/batches/{id}`, `/api/printers`, `/api/jobs`, `/api/events`), the
//!   DTOs read its field names as aliases and answer a superset of both
//!   shapes; this module holds what those handlers share: `printer_slug`
//!   checked against the printer, and its name for the missing fields of a
//!   `content_type_data_mismatch`.
//! - Its old-only paths (`POST /print`, `GET /jobs/{id}`, `POST
//!   /jobs/{id}/resume`, `POST /printer/resume`, `GET /readiness`) are
//!   handlers here, mounted as rows of the one route table (scope, OpenAPI,
//!   security matrix), answering its shapes; [`legacy_errors`] gives their
//!   problems its error vocabulary.
//! - Its webhooks (`POST /api/webhook/spoolman`, `POST /api/webhook/grocy`,
//!   authenticated by `X-API-Key`) are in [`webhook`].
//!
//! **Architecture Invariant:** nothing here keeps state or decides about jobs;
//! every request ends in the same `HubHandle` calls as printhub's own routes,
//! behind the same auth guard. Threading: plain handlers on the HTTP workers.

use crate::auth::Caller;
use crate::dto::{rfc3339, OptionsRequest, SubmitJobRequest};
use crate::error::{ApiError, ErrorCode};
use crate::extract::JsonBody;
use crate::limits::Limits;
use crate::lookup::LookupRequest;
use crate::ops::StoreProbe;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use printhub_actors::HubHandle;
use printhub_actors::PrinterInfo;
use printhub_core::{Job, JobState, PrinterState};
use printhub_render::LabelData;
use serde::{Deserialize, Serialize};

pub(crate) mod webhook;

/// 400 `printer_slug_mismatch` when a batch names a `printer_slug` that is
/// not the slug of the printer its path resolved to.
pub(crate) fn check_slug(info: &PrinterInfo, printer_slug: Option<&str>) -> Result<(), ApiError> {
    match printer_slug {
        Some(given) if given != info.slug => Err(ApiError::new(
            ErrorCode::PrinterSlugMismatch,
            format!(
                "printer_slug {given:?} is not the slug of printer {} ({:?})",
                info.id, info.slug
            ),
        )
        .with_detail(serde_json::json!({
            "printer_slug": given,
            "expected": info.slug,
            "printer_id": info.id.to_string(),
        }))),
        _ => Ok(()),
    }
}

/// A `content_type_data_mismatch` with Label Printer Hub's
/// `error_detail.missing_fields` beside printhub's `missing` (the same list);
/// any other error as it is.
pub(crate) fn with_missing_fields(mut e: ApiError) -> ApiError {
    if e.code == ErrorCode::ContentTypeDataMismatch {
        if let Some(serde_json::Value::Object(detail)) = e.error_detail.as_mut() {
            if let Some(missing) = detail.get("missing").cloned() {
                detail.insert("missing_fields".into(), missing);
            }
        }
    }
    e
}

// The old-only paths: `POST /print`, `GET /jobs/{id}`, `POST /jobs/{id}/resume`,
// `POST /printer/resume`, `GET /readiness` (the landing page `/loc/{id}` is
// in `lookup::landing`, the webhooks in `webhook`).

/// The old-only paths, as mounted: their error answers carry Label Printer
/// Hub's vocabulary ([`legacy_errors`]).
pub(crate) const LEGACY_PATHS: &[&str] = &[
    "/print",
    "/jobs/{id}",
    "/jobs/{id}/resume",
    "/printer/resume",
    "/readiness",
    "/api/webhook/spoolman",
    "/api/webhook/grocy",
];

/// Label Printer Hub's error codes that printhub's own routes do not use,
/// with their status: on the old-only paths they replace printhub's code
/// in the first column of [`LEGACY_RENAMES`], or are answered as such.
pub(crate) const LEGACY_CODES: &[(&str, u16)] = &[
    ("rate_limit_exceeded", 429),
    ("invalid_state", 409),
    ("already_active", 409),
    ("integration_lookup_failed", 502),
    (webhook::VALIDATION_ERROR, 422),
];

/// printhub's code → Label Printer Hub's, on the old-only paths.
const LEGACY_RENAMES: &[(&str, &str)] = &[
    ("rate_limited", "rate_limit_exceeded"),
    ("invalid_job_state", "invalid_state"),
    ("lookup_failed", "integration_lookup_failed"),
];

/// The code an old-only path answers for printhub's `code`.
pub(crate) fn legacy_code(code: &str) -> &str {
    LEGACY_RENAMES
        .iter()
        .find(|(ours, _)| *ours == code)
        .map_or(code, |(_, theirs)| theirs)
}

/// Whether `path` (normalised, as routed) is one of [`LEGACY_PATHS`].
pub(crate) fn is_legacy(path: &str) -> bool {
    LEGACY_PATHS
        .iter()
        .any(|p| crate::routes::pattern_matches(p, path))
}

/// Wraps the gateway: an error answered on an old-only path (by its handler
/// or by the auth guard) keeps printhub's problem+json and gains what Label
/// Printer Hub's clients read: its code where the vocabulary differs
/// (`rate_limit_exceeded`, `invalid_state`, `integration_lookup_failed`),
/// `error_message` (its flat shape), `missing_fields` beside `missing`, and
/// `error` + `slug` on `printer_disabled` (its special body). Every other
/// answer passes untouched.
pub(crate) async fn legacy_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let legacy = is_legacy(req.path());
    let resp = next.call(req).await?;
    let problem = resp
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !legacy || !problem {
        return Ok(resp.map_into_boxed_body());
    }
    let (req, res) = resp.into_parts();
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("unreadable error body"))?;
    let out = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut value) => {
            legacy_problem(&mut value);
            serde_json::to_vec(&value).unwrap_or_else(|_| bytes.to_vec())
        }
        Err(_) => bytes.to_vec(),
    };
    Ok(ServiceResponse::new(
        req,
        head.set_body(out).map_into_boxed_body(),
    ))
}

/// Adds Label Printer Hub's fields to a problem body (see [`legacy_errors`]).
fn legacy_problem(value: &mut serde_json::Value) {
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    let code = obj
        .get("error_code")
        .and_then(|c| c.as_str())
        .unwrap_or_default()
        .to_string();
    obj.insert("error_code".into(), legacy_code(&code).into());
    if let Some(detail) = obj.get("detail").cloned() {
        obj.insert("error_message".into(), detail);
    }
    if let Some(serde_json::Value::Object(detail)) = obj.get_mut("error_detail") {
        if let Some(missing) = detail.get("missing").cloned() {
            detail.insert("missing_fields".into(), missing);
        }
    }
    if code == "printer_disabled" {
        let slug = obj.get("error_detail").and_then(|d| d.get("slug")).cloned();
        if let Some(slug) = slug {
            obj.insert("error".into(), "printer_disabled".into());
            obj.insert("slug".into(), slug);
        }
    }
}

/// A problem answered by an old-only handler in Label Printer Hub's own
/// vocabulary (one of [`LEGACY_CODES`]).
fn legacy_refusal(status: u16, code: &str, message: String) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::CONFLICT);
    let body = serde_json::json!({
        "type": "/problems",
        "title": crate::error::status_title(status),
        "status": status.as_u16(),
        "detail": message,
        "error_code": code,
        "error_message": message,
    });
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(body.to_string())
}

/// The printer the old-only routes print on and resume: Label Printer Hub
/// used its first enabled printer; printhub takes the first enabled one the
/// caller may use, in slug order (`GET /api/printers`). With none enabled it
/// is 409 `printer_disabled` naming the first disabled one; with none at
/// all, 404 `printer_not_found`.
async fn first_printer(hub: &HubHandle, caller: &Caller) -> Result<PrinterInfo, ApiError> {
    let printers: Vec<PrinterInfo> = hub
        .list_printers()
        .await?
        .into_iter()
        .filter(|p| caller.may_use(p.id))
        .collect();
    if let Some(p) = printers.iter().find(|p| p.enabled) {
        return Ok(p.clone());
    }
    match printers.first() {
        Some(p) => Err(ApiError::new(
            ErrorCode::PrinterDisabled,
            format!("printer {:?} is disabled", p.slug),
        )
        .with_detail(serde_json::json!({ "slug": p.slug }))),
        None => Err(ApiError::new(
            ErrorCode::PrinterNotFound,
            "no printer is set up on this hub",
        )),
    }
}

/// `POST /print`: Label Printer Hub's `PrintRequest`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LegacyPrintRequest {
    /// One of the seven content types.
    #[schemars(with = "printhub_render::ContentType")]
    pub content_type: String,
    /// The label's fields (or `lookup`).
    #[serde(default)]
    pub data: Option<LabelData>,
    /// An item to look up instead of `data`.
    #[serde(default)]
    pub lookup: Option<LookupRequest>,
    /// Copies and cut options, under either hub's names.
    #[serde(default)]
    pub options: OptionsRequest,
}

/// The answer to `POST /print`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct LegacyQueuedView {
    #[schemars(with = "uuid::Uuid")]
    pub job_id: printhub_core::JobId,
    /// Always `queued`: the job is committed to the queue.
    #[schemars(with = "QueuedName")]
    pub status: String,
    /// The printer it went to (printhub's addition).
    #[schemars(with = "uuid::Uuid")]
    pub printer_id: printhub_core::PrinterId,
}

struct QueuedName;

impl schemars::JsonSchema for QueuedName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "QueuedName".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "const": "queued" })
    }
}

/// A job as `GET /jobs/{id}` answered it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct LegacyJobView {
    #[schemars(with = "uuid::Uuid")]
    pub job_id: printhub_core::JobId,
    /// Label Printer Hub's state name (see [`legacy_status`]).
    #[schemars(with = "LegacyStatusName")]
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub error_detail: Option<serde_json::Value>,
    #[schemars(with = "crate::openapi::DateTime")]
    pub created_at: String,
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub started_at: Option<String>,
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub finished_at: Option<String>,
    /// printhub's own state name (its addition).
    #[schemars(with = "crate::openapi::JobStateName")]
    pub state: String,
}

/// Label Printer Hub's job states.
const LEGACY_STATUSES: [&str; 6] = [
    "queued",
    "paused",
    "printing",
    "completed",
    "failed",
    "cancelled",
];

struct LegacyStatusName;

impl schemars::JsonSchema for LegacyStatusName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LegacyJobStatus".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": LEGACY_STATUSES })
    }
}

/// A printhub state in Label Printer Hub's words: `held` is its `paused`,
/// and `interrupted` (the hub stopped mid-print; nobody knows whether the
/// label came out) is `failed` — the terminal state its clients know, with
/// the job's `error_code` saying why.
pub(crate) fn legacy_status(state: JobState) -> &'static str {
    match state {
        JobState::Queued => "queued",
        JobState::Held => "paused",
        JobState::Printing => "printing",
        JobState::Completed => "completed",
        JobState::Failed | JobState::Interrupted => "failed",
        JobState::Cancelled => "cancelled",
    }
}

impl From<Job> for LegacyJobView {
    fn from(job: Job) -> Self {
        let (error_code, error_message, error_detail) = match job.error {
            Some(e) => (Some(e.code), Some(e.message), e.detail),
            None => (None, None, None),
        };
        LegacyJobView {
            job_id: job.id,
            status: legacy_status(job.state).into(),
            error_code,
            error_message,
            error_detail,
            created_at: rfc3339(job.created_at),
            started_at: job.started_at.map(rfc3339),
            finished_at: job.finished_at.map(rfc3339),
            state: job.state.as_str().into(),
        }
    }
}

/// The answer to `POST /printer/resume`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct LegacyResumedView {
    #[schemars(with = "uuid::Uuid")]
    pub printer_id: printhub_core::PrinterId,
    /// Always `active`.
    #[schemars(with = "ActiveName")]
    pub state: String,
}

struct ActiveName;

impl schemars::JsonSchema for ActiveName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ActiveName".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "const": "active" })
    }
}

type Hub = web::Data<HubHandle>;

/// `POST /print`: one label on the first printer ([`first_printer`]), the
/// same checks, render and queue as `POST /api/printers/{key}/jobs`.
pub(crate) async fn print(
    hub: Hub,
    caller: Caller,
    body: JsonBody<LegacyPrintRequest>,
    lookups: Option<web::Data<printhub_lookup::Lookups>>,
    limits: Limits,
) -> Result<HttpResponse, ApiError> {
    let r = body.0;
    let request = SubmitJobRequest {
        content_type: Some(r.content_type),
        template: None,
        data: r.data,
        lookup: r.lookup,
        text: None,
        orientation: None,
        copies: None,
        options: r.options,
    };
    let info = first_printer(&hub, &caller).await?;
    let request = crate::lookup::resolve(crate::lookup::get(&lookups), request).await?;
    let (spec, copies, options) = crate::routes::job_parts(request)?;
    let (model, media) = crate::routes::printer_media(&info)?;
    let label = limits.render(spec.render.clone(), model, media).await?;
    let job = hub
        .submit(
            &info.id.to_string(),
            crate::routes::print_request(spec, label, copies, options, &caller),
        )
        .await?;
    Ok(HttpResponse::Accepted().json(LegacyQueuedView {
        job_id: job.id,
        status: "queued".into(),
        printer_id: info.id,
    }))
}

/// The job `raw` names for an old-only path: one that is not a UUID is
/// unknown (404, as it was there), never 400.
async fn legacy_job(hub: &HubHandle, caller: &Caller, raw: &str) -> Result<Job, ApiError> {
    let id = crate::routes::job_id(raw)
        .map_err(|_| ApiError::new(ErrorCode::JobNotFound, format!("job not found: {raw}")))?;
    let job = hub.job_metadata(id).await?;
    caller.check_printer(job.spec.printer_id)?;
    Ok(job)
}

/// `GET /jobs/{id}`: the job from the store (Label Printer Hub knew only
/// the jobs in memory since its last start; printhub knows every job its
/// retention keeps).
pub(crate) async fn get_job(
    hub: Hub,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = legacy_job(&hub, &caller, &id).await?;
    Ok(HttpResponse::Ok().json(LegacyJobView::from(job)))
}

/// `POST /jobs/{id}/resume`: a paused (held) job is released, keeping its
/// place; a queued job whose printer stopped for a person (or was paused)
/// resumes that printer. Anything else is 409 `invalid_state`. As on
/// `/api/jobs/{id}/release`, a key below admin steers only its own jobs.
pub(crate) async fn resume_job(
    hub: Hub,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let job = legacy_job(&hub, &caller, &id).await?;
    caller.require_owner(&job)?;
    let job = match job.state {
        JobState::Held => hub.release_job(job.id).await?,
        JobState::Queued => {
            let printer = hub.printer(&job.spec.printer_id.to_string()).await?;
            match printer.state {
                PrinterState::Paused
                | PrinterState::Stopped { .. }
                | PrinterState::Offline { .. } => {
                    hub.resume_printer(&printer.id.to_string()).await?;
                    hub.job_metadata(job.id).await?
                }
                _ => return Ok(not_paused(&job)),
            }
        }
        _ => return Ok(not_paused(&job)),
    };
    Ok(HttpResponse::Ok().json(LegacyJobView::from(job)))
}

fn not_paused(job: &Job) -> HttpResponse {
    legacy_refusal(
        409,
        "invalid_state",
        format!(
            "job {} is {} ({}), not paused",
            job.id,
            legacy_status(job.state),
            job.state
        ),
    )
}

/// `POST /printer/resume`: resumes the first printer ([`first_printer`])
/// when it is paused, stopped for a person or offline; 409
/// `already_active` when it prints or waits for work.
pub(crate) async fn resume_printer(hub: Hub, caller: Caller) -> Result<HttpResponse, ApiError> {
    let info = first_printer(&hub, &caller).await?;
    match info.state {
        PrinterState::Paused | PrinterState::Stopped { .. } | PrinterState::Offline { .. } => {
            let info = hub.resume_printer(&info.id.to_string()).await?;
            Ok(HttpResponse::Ok().json(LegacyResumedView {
                printer_id: info.id,
                state: "active".into(),
            }))
        }
        _ => Ok(legacy_refusal(
            409,
            "already_active",
            format!(
                "printer {:?} is already active ({})",
                info.slug,
                info.state.name()
            ),
        )),
    }
}

/// One check of `GET /readiness`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct LegacyCheck {
    /// `ok`, `fail` or `skipped`.
    #[schemars(with = "CheckStatus")]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

struct CheckStatus;

impl schemars::JsonSchema for CheckStatus {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LegacyCheckStatus".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": ["ok", "fail", "skipped", "stale"] })
    }
}

/// The answer to `GET /readiness` (200, or 503 when `not-ready`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct LegacyReadinessView {
    /// `ready`, `degraded` (a printer is missing or unreachable) or
    /// `not-ready` (the store or the engine fails: 503).
    #[schemars(with = "ReadinessName")]
    pub status: String,
    /// `database`, `engine`, `printer_runtime` and one `printer:<slug>` per enabled printer.
    pub checks: std::collections::BTreeMap<String, LegacyCheck>,
    pub version: String,
}

struct ReadinessName;

impl schemars::JsonSchema for ReadinessName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LegacyReadinessStatus".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": ["ready", "degraded", "not-ready"] })
    }
}

fn check(ok: bool, detail: Option<String>) -> LegacyCheck {
    LegacyCheck {
        status: if ok { "ok" } else { "fail" }.into(),
        detail,
    }
}

/// `GET /readiness`: Label Printer Hub's readiness in its shape, from the
/// checks `/readyz` makes. The store (a real write, when the app has a
/// [`StoreProbe`]) and the engine are critical (`not-ready`, 503); a
/// missing or unreachable enabled printer makes the hub `degraded` (200).
pub(crate) async fn readiness(hub: Hub, probe: Option<web::Data<StoreProbe>>) -> HttpResponse {
    let mut checks = std::collections::BTreeMap::new();
    let store = match &probe {
        Some(probe) => probe.check().await,
        None => "unchecked",
    };
    let database = match store {
        "ok" => check(true, None),
        "unchecked" => LegacyCheck {
            status: "skipped".into(),
            detail: Some("no store probe in this app".into()),
        },
        code => check(false, Some(code.into())),
    };
    let mut critical = database.status == "fail";
    checks.insert("database".to_string(), database);
    let mut degraded = false;
    match hub.list_printers().await {
        Ok(printers) => {
            checks.insert("engine".into(), check(true, None));
            let enabled: Vec<&PrinterInfo> = printers.iter().filter(|p| p.enabled).collect();
            degraded |= enabled.is_empty();
            checks.insert(
                "printer_runtime".into(),
                check(
                    !enabled.is_empty(),
                    enabled.is_empty().then(|| "no enabled printer".to_string()),
                ),
            );
            for p in enabled {
                let ok = p.status.reachable;
                degraded |= !ok;
                let detail = (!ok).then(|| {
                    p.status
                        .reason
                        .clone()
                        .unwrap_or_else(|| p.state.name().to_string())
                });
                checks.insert(format!("printer:{}", p.slug), check(ok, detail));
            }
        }
        Err(e) => {
            critical = true;
            checks.insert("engine".into(), check(false, Some(e.code().into())));
        }
    }
    let status = if critical {
        "not-ready"
    } else if degraded {
        "degraded"
    } else {
        "ready"
    };
    let body = LegacyReadinessView {
        status: status.into(),
        checks,
        version: env!("CARGO_PKG_VERSION").into(),
    };
    if critical {
        HttpResponse::ServiceUnavailable().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}
