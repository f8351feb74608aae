//! The handlers. Each is extract → convert the DTO to domain →
//! `handle.*().await` → convert to a DTO. Rendering (CPU work) runs in
//! `web::block`, never on the HTTP worker's thread.

use crate::admin::record;
use crate::auth::{Auth, Caller};
use crate::dto::*;
use crate::error::{ApiError, ErrorCode};
use crate::extract::JsonBody;
use crate::limits::{body_timed_out, Limits};
use actix_web::{web, HttpResponse};
use printhub_actors::{HubHandle, JobFilter, PrintRequest, PrinterInfo};
use printhub_core::{BatchId, JobId, JobState};
use printhub_raster::{Label, Media, Model};
use printhub_render::RenderError;

type Hub = web::Data<HubHandle>;
type Key = web::Path<String>;
type AuthData = Option<web::Data<Auth>>;
type ApiResult = Result<HttpResponse, ApiError>;
/// Lookups for `lookup: {app, id}` in label requests (absent: none configured).
type Lookups = Option<web::Data<printhub_lookup::Lookups>>;

fn ok<T: serde::Serialize>(body: T) -> ApiResult {
    Ok(HttpResponse::Ok().json(body))
}

fn accepted<T: serde::Serialize>(body: T) -> ApiResult {
    Ok(HttpResponse::Accepted().json(body))
}

pub(crate) fn job_id(raw: &str) -> Result<JobId, ApiError> {
    raw.parse::<uuid::Uuid>()
        .map(JobId::from_uuid)
        .map_err(|e| ApiError::invalid(format!("invalid job id {raw:?}: {e}")))
}

fn batch_id(raw: &str) -> Result<BatchId, ApiError> {
    raw.parse::<uuid::Uuid>()
        .map(BatchId::from_uuid)
        .map_err(|e| ApiError::invalid(format!("invalid batch id {raw:?}: {e}")))
}

/// The printer `key` names, if the caller may use it (404, then 403).
pub(crate) async fn allowed_printer(
    hub: &HubHandle,
    caller: &Caller,
    key: &str,
) -> Result<PrinterInfo, ApiError> {
    let info = hub.printer(key).await?;
    caller.check_printer(info.id)?;
    Ok(info)
}

/// The job `raw` names, if the caller may use its printer and steer it
/// (404, then 403 `printer_not_allowed`, then 403 `not_job_owner`).
pub(crate) async fn steerable_job(
    hub: &HubHandle,
    caller: &Caller,
    raw: &str,
) -> Result<JobId, ApiError> {
    let job = hub.job_metadata(job_id(raw)?).await?;
    caller.check_printer(job.spec.printer_id)?;
    caller.require_owner(&job)?;
    Ok(job.id)
}

/// A printer's settings for the audit log: never the SNMP community.
fn printer_audit(info: &PrinterInfo) -> serde_json::Value {
    serde_json::json!({
        "slug": info.slug,
        "name": info.name,
        "model": info.model,
        "media": info.media,
        "address": info.address,
        "enabled": info.enabled,
    })
}

// Printers.

/// `GET /api/printers`, and `?slug=` (Label Printer Hub's way to find a
/// printer): the list holds that printer alone, or the answer is 404
/// `printer_not_found`, as it was there.
pub(crate) async fn list_printers(
    hub: Hub,
    caller: Caller,
    query: web::Query<PrintersQuery>,
) -> ApiResult {
    let printers = hub.list_printers().await?;
    let slug = query.into_inner().slug;
    let views: Vec<PrinterView> = printers
        .into_iter()
        .filter(|p| caller.may_use(p.id))
        .filter(|p| slug.as_ref().is_none_or(|s| *s == p.slug))
        .map(PrinterView::from)
        .collect();
    match slug {
        Some(slug) if views.is_empty() => Err(ApiError::new(
            ErrorCode::PrinterNotFound,
            format!("no printer has the slug {slug:?}"),
        )
        .with_detail(serde_json::json!({ "slug": slug }))),
        _ => ok(views),
    }
}

pub(crate) async fn create_printer(
    hub: Hub,
    auth: AuthData,
    caller: Caller,
    body: JsonBody<CreatePrinterRequest>,
) -> ApiResult {
    caller.require_unlimited("add printers")?;
    // Only an address: the engine asks the printer what it is (issue #20).
    let info = hub.add_printer_draft(body.0.into()).await?;
    let detail = printer_audit(&info);
    record(
        auth.as_ref(),
        &caller,
        "printer.create",
        info.id.to_string(),
        Some(detail),
    )
    .await;
    Ok(HttpResponse::Created().json(PrinterView::from(info)))
}

/// `GET /api/printers/probe`: which model answers at an address, with what
/// loaded; registers nothing (the admin page's "Test connection").
pub(crate) async fn probe_printer(
    hub: Hub,
    caller: Caller,
    query: web::Query<ProbeQuery>,
) -> ApiResult {
    caller.require_unlimited("add printers")?;
    let q = query.into_inner();
    ok(ProbeView::from(
        hub.probe_printer(&q.address, q.snmp.as_deref(), q.snmp_community.as_deref())
            .await?,
    ))
}

pub(crate) async fn get_printer(hub: Hub, caller: Caller, key: Key) -> ApiResult {
    ok(PrinterView::from(
        allowed_printer(&hub, &caller, &key).await?,
    ))
}

pub(crate) async fn update_printer(
    hub: Hub,
    auth: AuthData,
    caller: Caller,
    key: Key,
    body: JsonBody<UpdatePrinterRequest>,
) -> ApiResult {
    let before = allowed_printer(&hub, &caller, &key).await?;
    let info = hub
        .update_printer(&before.id.to_string(), body.0.into())
        .await?;
    let detail =
        serde_json::json!({ "before": printer_audit(&before), "after": printer_audit(&info) });
    record(
        auth.as_ref(),
        &caller,
        "printer.update",
        info.id.to_string(),
        Some(detail),
    )
    .await;
    ok(PrinterView::from(info))
}

pub(crate) async fn delete_printer(
    hub: Hub,
    auth: AuthData,
    caller: Caller,
    key: Key,
) -> ApiResult {
    let info = allowed_printer(&hub, &caller, &key).await?;
    hub.remove_printer(&info.id.to_string()).await?;
    let detail = printer_audit(&info);
    record(
        auth.as_ref(),
        &caller,
        "printer.delete",
        info.id.to_string(),
        Some(detail),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}

/// The printer controls: check the caller may use the printer, act,
/// audit the action, answer the printer.
async fn steer<F, Fut>(
    hub: Hub,
    auth: AuthData,
    caller: Caller,
    key: Key,
    action: &'static str,
    act: F,
) -> ApiResult
where
    F: FnOnce(Hub, String) -> Fut,
    Fut: std::future::Future<Output = Result<PrinterInfo, printhub_actors::HubError>>,
{
    let id = allowed_printer(&hub, &caller, &key).await?.id.to_string();
    let info = act(hub, id.clone()).await?;
    record(auth.as_ref(), &caller, action, id, None).await;
    ok(PrinterView::from(info))
}

/// One handler per printer control, each through [`steer`].
macro_rules! printer_controls {
    ($($(#[$doc:meta])* $name:ident => $action:literal, |$hub:ident, $id:ident| $call:expr;)*) => {$(
        $(#[$doc])*
        pub(crate) async fn $name(hub: Hub, auth: AuthData, caller: Caller, key: Key) -> ApiResult {
            steer(hub, auth, caller, key, $action, |$hub, $id| async move { $call }).await
        }
    )*};
}

printer_controls! {
    /// `POST /api/printers/{key}/pause`.
    pause_printer => "printer.pause", |hub, id| hub.pause_printer(&id).await;
    /// `POST /api/printers/{key}/resume`.
    resume_printer => "printer.resume", |hub, id| hub.resume_printer(&id).await;
    /// `POST /api/printers/{key}/enable`.
    enable_printer => "printer.enable", |hub, id| hub.set_printer_enabled(&id, true).await;
    /// `POST /api/printers/{key}/disable`.
    disable_printer => "printer.disable", |hub, id| hub.set_printer_enabled(&id, false).await;
}

pub(crate) async fn printer_status(hub: Hub, caller: Caller, key: Key) -> ApiResult {
    ok(StatusView::from(
        &allowed_printer(&hub, &caller, &key).await?,
    ))
}

pub(crate) async fn printer_queue(hub: Hub, caller: Caller, key: Key) -> ApiResult {
    let id = allowed_printer(&hub, &caller, &key).await?.id.to_string();
    let jobs = hub.queue(&id).await?;
    ok(jobs
        .into_iter()
        .map(|j| JobView::seen_by(j, &caller))
        .collect::<Vec<_>>())
}

pub(crate) async fn clear_queue(hub: Hub, auth: AuthData, caller: Caller, key: Key) -> ApiResult {
    let id = allowed_printer(&hub, &caller, &key).await?.id.to_string();
    let cancelled = hub.clear_queue(&id).await?;
    let detail = serde_json::json!({ "cancelled": cancelled });
    record(
        auth.as_ref(),
        &caller,
        "printer.clear_queue",
        id,
        Some(detail),
    )
    .await;
    ok(ClearedView { cancelled })
}

// Printing.

/// The model of a printer and the medium its labels are laid out for now.
pub(crate) fn printer_media(
    info: &PrinterInfo,
) -> Result<(&'static Model, &'static Media), ApiError> {
    let model = Model::by_name(&info.model).ok_or_else(|| {
        ApiError::new(ErrorCode::Internal, format!("unknown model {}", info.model))
    })?;
    let layout = info.layout_media.as_deref().ok_or_else(|| {
        ApiError::from(printhub_actors::HubError::MediaUnknown(info.slug.clone()))
    })?;
    let media = Media::by_id(layout).ok_or_else(|| {
        ApiError::new(
            ErrorCode::UnsupportedMedia,
            format!("unknown media {layout}"),
        )
    })?;
    Ok((model, media))
}

/// Checks a job request and turns it into what to render plus the print settings.
pub(crate) fn job_parts(
    r: SubmitJobRequest,
) -> Result<(LabelSpec, u32, printhub_core::RequestedOptions), ApiError> {
    let copies = r.copies()?;
    if !(1..=printhub_core::job::MAX_COPIES).contains(&copies) {
        let field = if r.copies.is_some() {
            "copies"
        } else {
            "options.copies"
        };
        return Err(ApiError::invalid(format!(
            "{field} must be 1..={}, got {copies}",
            printhub_core::job::MAX_COPIES,
        ))
        .with_detail(serde_json::json!({ "field": field })));
    }
    let options = r.options.requested()?;
    let spec = label_spec(r.content_type, r.template, r.data, r.orientation, r.text)?;
    Ok((spec, copies, options))
}

pub(crate) fn print_request(
    spec: LabelSpec,
    label: Label,
    copies: u32,
    options: printhub_core::RequestedOptions,
    caller: &Caller,
) -> PrintRequest {
    let mut request = PrintRequest::new(label)
        .copies(copies)
        .with_defaults(options);
    request.content_type = spec.content_type;
    request.template = spec.template;
    request.submitted_by = Some(caller.actor());
    request.source_address = caller.source.clone();
    // Kept with the job to lay it out again if the tape changes (issue #20).
    request.source = Some(spec.render);
    request
}

pub(crate) async fn submit_job(
    hub: Hub,
    caller: Caller,
    key: Key,
    body: JsonBody<SubmitJobRequest>,
    lookups: Lookups,
    limits: Limits,
) -> ApiResult {
    let info = allowed_printer(&hub, &caller, &key).await?;
    let request = crate::lookup::resolve(crate::lookup::get(&lookups), body.0).await?;
    let (spec, copies, options) = job_parts(request)?;
    let (model, media) = printer_media(&info)?;
    let label = limits.render(spec.render.clone(), model, media).await?;
    let job = hub
        .submit(
            &info.id.to_string(),
            print_request(spec, label, copies, options, &caller),
        )
        .await?;
    accepted(JobView::seen_by(job, &caller))
}

/// `POST /api/printers/{key}/jobs` with `multipart/form-data`: a PNG or JPEG
/// in the `file` field, optional `copies` and `dither` (`threshold` or
/// `floyd_steinberg`). The image is scaled to the printable width. The whole
/// form counts against the body limit and must arrive within the body
/// deadline; the decode goes through the image gate ([`Limits::render`]).
pub(crate) async fn submit_image(
    hub: Hub,
    caller: Caller,
    key: Key,
    config: Option<web::Data<crate::GatewayConfig>>,
    limits: Limits,
    form: actix_multipart::Multipart,
) -> ApiResult {
    let limit = config.map_or(crate::GatewayConfig::default().body_limit, |c| c.body_limit);
    let deadline = limits.body_timeout();
    let ImageForm {
        file,
        copies,
        dither,
        ..
    } = tokio::time::timeout(deadline, image_form(form, limit, false))
        .await
        .map_err(|_| body_timed_out(deadline))??;
    let info = allowed_printer(&hub, &caller, &key).await?;
    let (model, media) = printer_media(&info)?;
    let request = printhub_render::RenderRequest::image(file, dither);
    let label = limits.render(request, model, media).await?;
    let mut print = PrintRequest::new(label)
        .copies(copies)
        .with_defaults(printhub_core::RequestedOptions::default());
    print.content_type = Some("image".into());
    print.submitted_by = Some(caller.actor());
    print.source_address = caller.source.clone();
    let job = hub.submit(&info.id.to_string(), print).await?;
    accepted(JobView::seen_by(job, &caller))
}

/// `POST /api/render/preview` with `multipart/form-data` (issue #24): the PNG
/// of exactly the raster the same upload to `POST /api/printers/{key}/jobs`
/// would print, for the print form's image upload. Fields: `file`, optional
/// `dither`, and `printer` (its id or slug). Limits as for the upload, and
/// the preview rate limit.
pub(crate) async fn preview_image(
    hub: Hub,
    caller: Caller,
    config: Option<web::Data<crate::GatewayConfig>>,
    limits: Limits,
    form: actix_multipart::Multipart,
) -> ApiResult {
    limits.check_preview(&caller)?;
    let limit = config.map_or(crate::GatewayConfig::default().body_limit, |c| c.body_limit);
    let deadline = limits.body_timeout();
    let ImageForm {
        file,
        dither,
        printer,
        ..
    } = tokio::time::timeout(deadline, image_form(form, limit, true))
        .await
        .map_err(|_| body_timed_out(deadline))??;
    let key = printer.ok_or_else(|| {
        ApiError::invalid("the form has no `printer` field")
            .with_detail(serde_json::json!({ "field": "printer" }))
    })?;
    let info = allowed_printer(&hub, &caller, &key).await?;
    let (model, media) = printer_media(&info)?;
    let label = limits
        .render(
            printhub_render::RenderRequest::image(file, dither),
            model,
            media,
        )
        .await?;
    let png = web::block(move || printhub_render::preview_png(&label, 1)).await??;
    Ok(HttpResponse::Ok().content_type("image/png").body(png))
}

/// The fields of an image upload or image preview.
struct ImageForm {
    file: Vec<u8>,
    copies: u32,
    dither: printhub_render::Dither,
    /// The printer's id or slug (a preview's form only).
    printer: Option<String>,
}

/// The fields of an image upload: the file, copies and dithering (and, for a
/// preview, `printer`). At most `limit` bytes in all, whatever the number of
/// fields.
async fn image_form(
    mut form: actix_multipart::Multipart,
    limit: usize,
    preview: bool,
) -> Result<ImageForm, ApiError> {
    use futures_util::StreamExt as _;
    let mut file: Option<Vec<u8>> = None;
    let mut copies = 1u32;
    let mut printer = None;
    let mut dither = printhub_render::Dither::FloydSteinberg;
    let mut total = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| ApiError::invalid(format!("multipart: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| ApiError::invalid(format!("multipart: {e}")))?;
            total += chunk.len();
            if total > limit {
                return Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("the upload is larger than {limit} bytes"),
                )
                .with_detail(serde_json::json!({ "limit": limit })));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match name.as_str() {
            "file" => file = Some(bytes),
            "copies" => {
                copies = text()
                    .parse()
                    .ok()
                    .filter(|c| (1..=printhub_core::MAX_COPIES).contains(c))
                    .ok_or_else(|| {
                        ApiError::invalid(format!("copies: {:?} is not 1..=999", text()))
                    })?
            }
            "dither" => {
                dither = match text().as_str() {
                    "threshold" => printhub_render::Dither::Threshold,
                    "floyd_steinberg" => printhub_render::Dither::FloydSteinberg,
                    other => {
                        return Err(ApiError::invalid(format!(
                            "dither: {other:?} is not threshold or floyd_steinberg"
                        )))
                    }
                }
            }
            "printer" if preview => printer = Some(text()),
            other => return Err(ApiError::invalid(format!("unknown form field {other:?}"))),
        }
    }
    let file = file.ok_or_else(|| {
        ApiError::invalid("the form has no `file` field")
            .with_detail(serde_json::json!({ "field": "file" }))
    })?;
    Ok(ImageForm {
        file,
        copies,
        dither,
        printer,
    })
}

pub(crate) async fn submit_batch(
    hub: Hub,
    caller: Caller,
    key: Key,
    body: JsonBody<BatchRequest>,
    lookups: Lookups,
    limits: Limits,
) -> ApiResult {
    let BatchRequest {
        items,
        printer_slug,
        half_cut_override,
    } = body.0;
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ApiError::invalid(format!(
            "a batch holds 1..={MAX_BATCH} items, got {}",
            items.len()
        )));
    }
    let info = allowed_printer(&hub, &caller, &key).await?;
    crate::compat::check_slug(&info, printer_slug.as_deref())?;
    let items = crate::lookup::resolve_batch(crate::lookup::get(&lookups), items)
        .await
        .map_err(|(i, e)| crate::compat::with_missing_fields(e).at_item(i))?;
    let (model, media) = printer_media(&info)?;
    let parts = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            job_parts(item)
                .map(|(spec, copies, mut options)| {
                    if let Some(half_cut) = half_cut_override {
                        options.half_cut = Some(half_cut && model.half_cut);
                    }
                    (spec, copies, options)
                })
                .map_err(|e| crate::compat::with_missing_fields(e).at_item(i))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let renders = parts.iter().map(|(spec, ..)| spec.render.clone()).collect();
    let labels = limits.render_batch(renders, model, media).await?;
    let requests = parts
        .into_iter()
        .zip(labels)
        .map(|((spec, copies, options), label)| {
            print_request(spec, label, copies, options, &caller)
        })
        .collect();
    let (batch_id, jobs) = hub.submit_batch(&info.id.to_string(), requests).await?;
    let queued_at = jobs
        .iter()
        .map(|j| j.created_at)
        .min()
        .unwrap_or_else(crate::auth::now);
    accepted(BatchSubmittedView {
        batch_id,
        printer_id: info.id,
        queued_at: rfc3339(queued_at),
        job_ids: jobs.into_iter().map(|j| j.id).collect(),
    })
}

/// Adds the failing item's index to an error's detail.
pub(crate) async fn get_batch(hub: Hub, caller: Caller, id: web::Path<String>) -> ApiResult {
    let batch = batch_id(&id)?;
    let filter = JobFilter {
        batch: Some(batch),
        printers: caller.printers.as_ref().map(|p| p.to_vec()),
        ..JobFilter::default()
    };
    let mut jobs = hub.list_jobs(filter).await?;
    // Oldest first: the order the batch was submitted in (as far as creation times tell).
    jobs.reverse();
    jobs.sort_by_key(|j| j.created_at);
    let Some(first) = jobs.first() else {
        return Err(ApiError::new(
            ErrorCode::BatchNotFound,
            format!("no batch {batch}"),
        ));
    };
    let printer_id = first.spec.printer_id;
    let created_at = rfc3339(first.created_at);
    let created_by = caller
        .sees_submitter(first)
        .then(|| first.spec.submitted_by.as_deref().map(str::to_owned))
        .flatten();
    let summary = BatchSummary::of(jobs.iter().map(|j| &j.state));
    ok(BatchView {
        batch_id: batch,
        id: batch,
        printer_id,
        created_by,
        created_at,
        total: summary.total,
        all_terminal: summary.all_terminal,
        summary,
        jobs: jobs
            .into_iter()
            .map(|j| JobView::seen_by(j, &caller))
            .collect(),
    })
}

// Jobs.

/// Page size of `GET /api/jobs` when the query names none.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest page size of `GET /api/jobs`.
pub const MAX_LIMIT: usize = 500;

impl TryFrom<JobsQuery> for JobFilter {
    type Error = ApiError;

    fn try_from(q: JobsQuery) -> Result<Self, ApiError> {
        let state = q
            .state
            .map(|s| {
                s.parse::<JobState>()
                    .map_err(|e| ApiError::invalid(e.to_string()))
            })
            .transpose()?;
        let since = q
            .since
            .map(|s| {
                parse_rfc3339(&s).ok_or_else(|| {
                    ApiError::invalid(format!("since: {s:?} is not an RFC 3339 time"))
                })
            })
            .transpose()?;
        Ok(JobFilter {
            printer: crate::dto::one_of("printer", q.printer, "printer_id", q.printer_id)?,
            printers: None,
            state,
            since,
            batch: q.batch.as_deref().map(batch_id).transpose()?,
            offset: q.offset.unwrap_or(0),
            limit: q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        })
    }
}

pub(crate) async fn list_jobs(hub: Hub, caller: Caller, query: web::Query<JobsQuery>) -> ApiResult {
    let mut filter = JobFilter::try_from(query.into_inner())?;
    filter.printers = caller.printers.as_ref().map(|p| p.to_vec());
    let (limit, offset) = (filter.limit, filter.offset);
    let page = hub.page_jobs(filter).await?;
    ok(JobListView {
        jobs: page
            .jobs
            .into_iter()
            .map(|j| JobView::seen_by(j, &caller))
            .collect(),
        limit,
        offset,
        total: page.total,
    })
}

pub(crate) async fn get_job(hub: Hub, caller: Caller, id: web::Path<String>) -> ApiResult {
    let job = hub.job_metadata(job_id(&id)?).await?;
    caller.check_printer(job.spec.printer_id)?;
    ok(JobView::seen_by(job, &caller))
}

pub(crate) async fn cancel_job(hub: Hub, caller: Caller, id: web::Path<String>) -> ApiResult {
    let id = steerable_job(&hub, &caller, &id).await?;
    ok(JobView::seen_by(hub.cancel_job(id).await?, &caller))
}

pub(crate) async fn hold_job(hub: Hub, caller: Caller, id: web::Path<String>) -> ApiResult {
    let id = steerable_job(&hub, &caller, &id).await?;
    ok(JobView::seen_by(hub.hold_job(id).await?, &caller))
}

pub(crate) async fn release_job(hub: Hub, caller: Caller, id: web::Path<String>) -> ApiResult {
    let id = steerable_job(&hub, &caller, &id).await?;
    ok(JobView::seen_by(hub.release_job(id).await?, &caller))
}

pub(crate) async fn reprint_job(hub: Hub, caller: Caller, id: web::Path<String>) -> ApiResult {
    let id = steerable_job(&hub, &caller, &id).await?;
    accepted(JobView::seen_by(hub.reprint_job(id).await?, &caller))
}

pub(crate) async fn retry_job(hub: Hub, caller: Caller, id: web::Path<String>) -> ApiResult {
    let id = steerable_job(&hub, &caller, &id).await?;
    accepted(JobView::seen_by(hub.retry_job(id).await?, &caller))
}

/// `GET /api/jobs/{id}/preview`: the PNG of the raster the job stored (what
/// it prints or printed), decoded with the same decoder the emulator uses.
pub(crate) async fn job_preview(hub: Hub, caller: Caller, id: web::Path<String>) -> ApiResult {
    let job = hub.job(job_id(&id)?).await?;
    caller.check_printer(job.spec.printer_id)?;
    let png = web::block(move || stored_preview(&job)).await??;
    Ok(HttpResponse::Ok().content_type("image/png").body(png))
}

fn stored_preview(job: &printhub_core::Job) -> Result<Vec<u8>, ApiError> {
    let defect = |what: String| ApiError::new(ErrorCode::Internal, what);
    let model = Model::by_name(&job.spec.model)
        .ok_or_else(|| defect(format!("job model {} is unknown", job.spec.model)))?;
    let media = Media::by_id(&job.spec.media_id)
        .ok_or_else(|| defect(format!("job media {} is unknown", job.spec.media_id)))?;
    let window = printhub_raster::geometry(model, media)
        .map_err(|e| defect(e.to_string()))?
        .window;
    let options = printhub_raster::DecoderOptions { model: Some(model) };
    let (_, pages) = printhub_raster::Decoder::decode_all(options, &job.spec.raster)
        .map_err(|e| defect(format!("the stored raster does not decode: {e}")))?;
    let page = pages
        .first()
        .ok_or_else(|| defect("the stored raster has no page".into()))?;
    let label = Label {
        black: page.bitmap(window),
        red: page.red_bitmap(window),
    };
    Ok(printhub_render::preview_png(&label, 1)?)
}

// Rendering.

/// `POST /api/render/preview`: counted against the caller's preview rate
/// limit (not its mutations); `scale` outside `1..=16` is 422
/// `out_of_range`; the label's size limits and the image gate apply as for
/// printing.
pub(crate) async fn preview(
    hub: Hub,
    caller: Caller,
    body: JsonBody<PreviewRequest>,
    lookups: Lookups,
    limits: Limits,
) -> ApiResult {
    limits.check_preview(&caller)?;
    let scale = body.0.scale.unwrap_or(1);
    if !(1..=printhub_render::MAX_SCALE).contains(&scale) {
        return Err(RenderError::OutOfRange {
            field: "scale",
            min: 1,
            max: u64::from(printhub_render::MAX_SCALE),
            actual: u64::from(scale),
        }
        .into());
    }
    let r = crate::lookup::resolve_preview(crate::lookup::get(&lookups), body.0).await?;
    let spec = label_spec(r.content_type, r.template, r.data, r.orientation, r.text)?;
    let (model, media) = match (r.printer, r.model, r.media) {
        (Some(key), None, None) => printer_media(&allowed_printer(&hub, &caller, &key).await?)?,
        (None, Some(model), Some(media)) => (
            Model::by_name(&model).ok_or_else(|| {
                ApiError::invalid(format!("unknown model {model:?}"))
                    .with_detail(serde_json::json!({ "field": "model" }))
            })?,
            Media::by_id(&media).ok_or_else(|| {
                ApiError::invalid(format!("unknown media {media:?}"))
                    .with_detail(serde_json::json!({ "field": "media" }))
            })?,
        ),
        _ => return Err(ApiError::invalid("give either printer, or model and media")),
    };
    let label = limits.render(spec.render, model, media).await?;
    let png = web::block(move || printhub_render::preview_png(&label, scale)).await??;
    Ok(HttpResponse::Ok().content_type("image/png").body(png))
}

pub(crate) async fn list_media() -> ApiResult {
    ok(printhub_raster::MEDIA)
}

pub(crate) async fn list_models() -> ApiResult {
    ok(printhub_raster::MODELS
        .iter()
        .map(ModelView::from)
        .collect::<Vec<_>>())
}

// Ops.

pub(crate) async fn healthz() -> ApiResult {
    ok(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}

pub(crate) async fn openapi() -> ApiResult {
    ok(crate::openapi::document())
}

/// Any path no route took: 405 when the path is a route for other methods
/// (naming them), 404 otherwise.
pub(crate) async fn not_found(req: actix_web::HttpRequest) -> ApiResult {
    // The path as the router saw it (percent-decoded, normalised).
    let path = req.match_info().as_str();
    let allowed = crate::allowed_methods(path);
    if allowed.is_empty() {
        return Err(ApiError::new(ErrorCode::NotFound, "no such route"));
    }
    let allow = allowed.join(", ");
    Err(ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} {path} is not a route; allowed: {allow}", req.method()),
    )
    .with_header("allow", allow))
}

/// Whether `path` fits a route pattern whose `{name}` segments match any one segment.
pub(crate) fn pattern_matches(pattern: &str, path: &str) -> bool {
    let (p, q): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == q.len()
        && p.iter()
            .zip(&q)
            .all(|(a, b)| (a.starts_with('{') && a.ends_with('}') && !b.is_empty()) || a == b)
}
