//! The IPP Everywhere listener (`[ipp] listen`): a second HTTP listener
//! whose one route, `POST /ipp/print/{slug}`, takes `application/ipp`
//! messages for the hub printer `slug`. Parsing, checking and the attribute
//! model are `printhub-ipp`'s; this module only authenticates, reads the
//! hub (`HubHandle`), and puts jobs into the same durable queue through the
//! gateway's image path (`Limits::render`, then `HubHandle::submit`), so an
//! IPP job is a hub job like any other.
//!
//! Flow of one request:
//!
//! ```text
//! HTTP body ──► authenticate ──► printhub_ipp::parse ──► check ──► operation
//!   (limit)      (Basic: key)      (400 if malformed)     (IPP status)   │
//!                                                                        ▼
//!            GPA / Validate-Job / Get-Job* : printhub_ipp answers from HubHandle reads
//!            Print-Job : decompress ─► sniff ─► Limits::render ─► HubHandle::submit
//!            Cancel-Job : HubHandle::cancel_job
//! ```
//!
//! Auth: on a loopback listener a request without credentials follows
//! `[auth] anonymous`; elsewhere every request needs HTTP Basic whose
//! password is an API key (the user name is the IPP user). Reads need scope
//! `read`, jobs `print`; a key's printer allow-list is honoured.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine as _;
use printhub_actors::{HubError, HubHandle, JobFilter, PrintRequest};
use printhub_core::JobId;
use printhub_gateway::{Auth, Caller, Limits, Scope};
use printhub_ipp::codec::{Group, Response};
use printhub_ipp::document::{decompress, sniff};
use printhub_ipp::job::{ipp_job_id, is_active, job_attributes};
use printhub_ipp::raster::{decode_pwg, decode_urf, GrayPage, RasterError};
use printhub_ipp::service::{self, error, DocumentFormat, Halftone, JobTicket};
use printhub_ipp::status::code;
use printhub_ipp::{Attribute, Authentication, IppValue, Operation, PrinterInfo, Request};
use printhub_raster::media::Media;
use printhub_raster::model::Model;

/// The operations this listener answers (`operations-supported`).
pub const OPERATIONS: [Operation; 11] = [
    Operation::PrintJob,
    Operation::ValidateJob,
    Operation::CreateJob,
    Operation::SendDocument,
    Operation::CloseJob,
    Operation::IdentifyPrinter,
    Operation::CancelJob,
    Operation::GetJobAttributes,
    Operation::GetJobs,
    Operation::GetPrinterAttributes,
    Operation::CancelMyJobs,
];

/// What every IPP request needs: the engine, the key ring, the image gate.
#[derive(Clone)]
pub struct IppService {
    hub: HubHandle,
    auth: Auth,
    limits: Limits,
    /// Whether the IPP listener is on loopback (anonymous allowed at all).
    loopback: bool,
    /// The web UI's base URL (`printer-more-info`).
    web: String,
    /// The largest request body (attributes and document), in bytes.
    body_limit: usize,
    /// When the listener started (seconds since the epoch).
    started: i32,
    /// Jobs made by Create-Job and waiting for their document, and the
    /// hub job each created id became (in memory: see [`Created`]).
    created: Arc<Mutex<Created>>,
}

/// Create-Job's jobs. A created job has no label yet, so nothing is
/// queued (or stored) until Send-Document brings its document; then it is a
/// hub job like any other, and its created id is an alias of that hub job
/// (kept in memory: after a restart the client's created id is not found,
/// while the hub job and its own IPP id stay).
#[derive(Debug, Default)]
struct Created {
    /// Waiting for a document: id → (printer slug, ticket, submitter, when).
    waiting: HashMap<i32, (String, JobTicket, String, i32)>,
    /// Created ids whose document came: id → hub job.
    aliases: HashMap<i32, JobId>,
}

/// How long a created job waits for its document (`multiple-operation-time-out`).
const CREATED_TIMEOUT_SECS: i32 = 60;

impl std::fmt::Debug for IppService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IppService")
            .field("loopback", &self.loopback)
            .field("web", &self.web)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl IppService {
    /// The service for a built hub listening for IPP on `listen`, with the
    /// web UI at `web_listen`.
    pub fn new(
        running: &crate::serve::Running,
        listen: SocketAddr,
        web_listen: SocketAddr,
        body_limit: usize,
    ) -> Self {
        IppService {
            hub: running.hub.clone(),
            auth: running.auth.clone(),
            limits: running.limits.clone(),
            loopback: listen.ip().is_loopback(),
            web: format!("http://{web_listen}"),
            body_limit,
            started: now_secs(),
            created: Arc::default(),
        }
    }

    /// How clients authenticate here: anonymous on a loopback listener
    /// whose `[auth] anonymous` allows it, HTTP Basic otherwise.
    pub fn authentication(&self) -> Authentication {
        if self.loopback && self.auth.config().anonymous.is_some() {
            Authentication::None
        } else {
            Authentication::Basic
        }
    }

    /// Mounts the IPP route on an app.
    pub fn configure(self) -> impl Fn(&mut web::ServiceConfig) + Clone + 'static {
        let data = web::Data::new(self);
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(data.clone())
                .route("/ipp/print/{slug}", web::post().to(handle))
                .route("/ipp/icons/{slug}.png", web::get().to(icon))
                .default_service(web::to(|| async {
                    HttpResponse::NotFound()
                        .content_type("text/plain")
                        .body("IPP printers are at /ipp/print/{slug}\n")
                }));
        }
    }
}

/// Seconds since the Unix epoch, as IPP's `printer-up-time` clock.
fn now_secs() -> i32 {
    i32::try_from(printhub_gateway::auth::now().as_millis() / 1000).unwrap_or(i32::MAX)
}

/// `printer-icons`: a 128 × 128 PNG of a label on its roll, the same for
/// every printer.
async fn icon() -> HttpResponse {
    use image::ImageEncoder as _;
    let size = 128u32;
    let pixels: Vec<u8> = (0..size * size)
        .map(|i| {
            let (x, y) = (i % size, i / size);
            let border = x < 8 || y < 24 || x >= size - 8 || y >= size - 24;
            let line = (44..52).contains(&y) || (64..72).contains(&y) || (84..92).contains(&y);
            if border || (line && (24..104).contains(&x)) {
                0
            } else {
                255
            }
        })
        .collect();
    let mut out = Vec::new();
    match image::codecs::png::PngEncoder::new(&mut out).write_image(
        &pixels,
        size,
        size,
        image::ExtendedColorType::L8,
    ) {
        Ok(()) => HttpResponse::Ok().content_type("image/png").body(out),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

/// The IPP URI of each registered printer on `listen`, for the start banner.
pub async fn printer_uris(hub: &HubHandle, listen: SocketAddr) -> Vec<String> {
    match hub.list_printers().await {
        Ok(printers) => printers
            .iter()
            .map(|p| format!("ipp://{listen}/ipp/print/{}", p.slug))
            .collect(),
        Err(e) => {
            log::warn!("cannot list printers for their IPP URIs: {e}");
            Vec::new()
        }
    }
}

/// An IPP answer (HTTP 200, `application/ipp`).
fn ipp(response: &Response) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/ipp")
        .body(response.to_bytes())
}

/// A plain HTTP refusal (the message is not IPP at all).
fn plain(status: actix_web::http::StatusCode, text: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain")
        .body(text)
}

fn unauthorized(why: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"printhub\""))
        .content_type("text/plain")
        .body(format!("{why}\n"))
}

/// Who sent `req`: HTTP Basic (password = API key) as a key; no
/// credentials as anonymous on loopback when `[auth] anonymous` allows.
fn authenticate(svc: &IppService, req: &HttpRequest) -> Result<(Caller, Option<String>), String> {
    let peer = req.peer_addr().map(|a| a.ip());
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        if !svc.loopback {
            return Err("an API key is required (HTTP Basic, the key as password)".into());
        }
        let caller = svc
            .auth
            .authenticate(&HeaderMap::new(), peer)
            .map_err(|e| e.detail)?;
        return Ok((caller, None));
    };
    let text = value
        .to_str()
        .map_err(|_| "the Authorization header is not text".to_string())?;
    let (scheme, token) = text.trim().split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err("use HTTP Basic with an API key as the password".into());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .map_err(|_| "the Basic credentials are not base64".to_string())?;
    let decoded = String::from_utf8(decoded)
        .map_err(|_| "the Basic credentials are not UTF-8".to_string())?;
    let (user, key) = decoded
        .split_once(':')
        .ok_or_else(|| "the Basic credentials have no password".to_string())?;
    let mut headers = HeaderMap::new();
    let bearer = HeaderValue::from_str(&format!("Bearer {key}"))
        .map_err(|_| "the API key is not a header value".to_string())?;
    headers.insert(header::AUTHORIZATION, bearer);
    let caller = svc
        .auth
        .authenticate(&headers, peer)
        .map_err(|e| e.detail)?;
    Ok((caller, Some(user.to_string()).filter(|u| !u.is_empty())))
}

async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    slug: web::Path<String>,
    svc: web::Data<IppService>,
) -> HttpResponse {
    let is_ipp = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/ipp"));
    if !is_ipp {
        return plain(
            actix_web::http::StatusCode::BAD_REQUEST,
            "ipp_not_ipp: the body must be application/ipp\n".into(),
        );
    }
    let (caller, basic_user) = match authenticate(&svc, &req) {
        Ok(found) => found,
        Err(why) => return unauthorized(&why),
    };
    let body = match payload.to_bytes_limited(svc.body_limit).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => {
            return plain(
                actix_web::http::StatusCode::BAD_REQUEST,
                format!("ipp_body: {e}\n"),
            )
        }
        Err(_) => {
            // Too large: answered in IPP, with the request id when the header came.
            let response = Response::new((2, 0), code::REQUEST_ENTITY_TOO_LARGE, 0).with_message(
                &format!("The request is larger than {} bytes.", svc.body_limit),
            );
            return ipp(&response);
        }
    };
    let request = match printhub_ipp::parse(&body) {
        Ok(request) => request,
        Err(e) => {
            return plain(
                actix_web::http::StatusCode::BAD_REQUEST,
                format!("{}: {e}\n", e.code()),
            )
        }
    };
    let operation = match service::check(&request) {
        Ok(op) if OPERATIONS.contains(&op) => op,
        Ok(_) => {
            return ipp(&error(
                &request,
                code::OPERATION_NOT_SUPPORTED,
                "This printer does not support that operation.",
            ))
        }
        Err(answer) => return ipp(&answer),
    };
    let host = req.connection_info().host().to_string();
    ipp(&answer(&svc, &request, operation, &slug, &host, &caller, basic_user).await)
}

/// The hub's printer `slug` as IPP sees it.
async fn printer_info(
    svc: &IppService,
    slug: &str,
    host: &str,
) -> Result<(printhub_actors::PrinterInfo, PrinterInfo), HubError> {
    let info = svc.hub.printer(slug).await?;
    let model = Model::by_name(&info.model)
        .ok_or_else(|| HubError::Unavailable(format!("unknown model {}", info.model)))?;
    let no_media = matches!(
        &info.state,
        printhub_core::PrinterState::Stopped { reason } if reason == printhub_core::printer::reason::NO_MEDIA
    );
    // With `media = "auto"` the medium is the one the printer reported (the
    // configured value is the word `auto`, not a catalogue id).
    let media = if no_media {
        None
    } else {
        info.layout_media.as_deref().and_then(Media::by_id)
    };
    let ipp = PrinterInfo {
        uri: format!("ipp://{host}/ipp/print/{}", info.slug),
        name: info.slug.clone(),
        info: info.name.clone(),
        location: String::new(),
        uuid: *info.id.as_uuid(),
        model,
        media,
        state: info.state.clone(),
        accepting: info.enabled,
        queued_job_count: u32::try_from(info.queue_depth + usize::from(info.printing.is_some()))
            .unwrap_or(u32::MAX),
        more_info: format!("{}/", svc.web),
        up_time: now_secs(),
        started: svc.started,
        icon: format!("http://{host}/ipp/icons/{}.png", info.slug),
        authentication: svc.authentication(),
    };
    Ok((info, ipp))
}

async fn answer(
    svc: &IppService,
    request: &Request<'_>,
    operation: Operation,
    slug: &str,
    host: &str,
    caller: &Caller,
    basic_user: Option<String>,
) -> Response {
    let (hub_printer, printer) = match printer_info(svc, slug, host).await {
        Ok(found) => found,
        Err(HubError::PrinterNotFound(_)) => {
            return error(request, code::NOT_FOUND, "There is no such printer.")
        }
        Err(e) => return error(request, code::SERVICE_UNAVAILABLE, &e.to_string()),
    };
    if !caller.may_use(hub_printer.id) {
        return error(
            request,
            code::FORBIDDEN,
            "This API key may not use this printer.",
        );
    }
    let needs = match operation {
        Operation::GetPrinterAttributes | Operation::GetJobAttributes | Operation::GetJobs => {
            Scope::Read
        }
        _ => Scope::Print,
    };
    if caller.require(needs).is_err() {
        return error(
            request,
            code::FORBIDDEN,
            &format!("This needs an API key with scope {}.", needs.as_str()),
        );
    }
    match operation {
        Operation::GetPrinterAttributes => {
            service::get_printer_attributes(request, &printer, &OPERATIONS)
        }
        Operation::ValidateJob => service::validate_job(request, &printer),
        Operation::PrintJob => print_job(svc, request, &printer, caller, basic_user).await,
        Operation::GetJobAttributes => get_job(svc, request, &printer).await,
        Operation::GetJobs => get_jobs(svc, request, &printer, caller).await,
        Operation::CancelJob => cancel_job(svc, request, &printer, caller).await,
        Operation::CancelMyJobs => cancel_my_jobs(svc, request, &printer, caller).await,
        Operation::CreateJob => create_job(svc, request, &printer, caller, basic_user),
        Operation::SendDocument => send_document(svc, request, &printer, caller).await,
        Operation::CloseJob => close_job(svc, request, &printer),
        Operation::IdentifyPrinter => {
            // A Brother label printer has no display, light or sound to
            // drive: the hub records the request (IPP Everywhere requires
            // the operation; `identify-actions-supported` says `display`,
            // the hub's log and web page being the display).
            log::info!("IPP Identify-Printer for {}", printer.name);
            Response::new(
                service::answer_version(request),
                code::OK,
                request.request_id,
            )
        }
    }
}

/// The user a job is recorded for: the key's actor when a key was used,
/// else `ipp:<requesting-user-name>` (or the Basic user), else anonymous.
fn submitter(caller: &Caller, basic_user: Option<String>, ticket: &JobTicket) -> String {
    match &caller.identity {
        printhub_gateway::auth::Identity::Anonymous => ticket
            .user
            .clone()
            .or(basic_user)
            .map_or_else(|| "anonymous".into(), |u| format!("ipp:{u}")),
        _ => caller.actor(),
    }
}

/// Print-Job: the ticket, the document decompressed and sniffed, rendered
/// through the gateway's image path and submitted; the answer names the
/// new job.
async fn print_job(
    svc: &IppService,
    request: &Request<'_>,
    printer: &PrinterInfo,
    caller: &Caller,
    basic_user: Option<String>,
) -> Response {
    let ticket = match JobTicket::read(request, printer) {
        Ok(ticket) => ticket,
        Err(answer) => return answer,
    };
    let submitted_by = submitter(caller, basic_user, &ticket);
    match print_document(svc, request, printer, &ticket, &submitted_by, caller).await {
        Ok(job) => job_answer(request, printer, &ticket, &job, None),
        Err(answer) => answer,
    }
}

/// The answer to a job-creating operation: status (with what was
/// ignored), and the job's id, URI, state and reasons (under `id` when the
/// client knows the job by a created id).
fn job_answer(
    request: &Request<'_>,
    printer: &PrinterInfo,
    ticket: &JobTicket,
    job: &printhub_core::Job,
    id: Option<i32>,
) -> Response {
    let mut response = service::ok_with_ignored(request, ticket);
    let mut attributes: Vec<Attribute> = job_attributes(job, &printer.uri, printer.up_time)
        .into_iter()
        .filter(|a| {
            matches!(
                a.name.as_str(),
                "job-id" | "job-uri" | "job-state" | "job-state-reasons"
            )
        })
        .collect();
    if let Some(id) = id {
        rename_job(&mut attributes, id, &printer.uri);
    }
    response.push_group(Group {
        tag: 0x02,
        attributes,
    });
    response
}

/// Makes a job's attributes name it by the created id `id`.
fn rename_job(attributes: &mut [Attribute], id: i32, printer_uri: &str) {
    for a in attributes.iter_mut() {
        match a.name.as_str() {
            "job-id" => a.values = vec![IppValue::Integer(id)],
            "job-uri" => a.values = vec![IppValue::Uri(format!("{printer_uri}/{id}"))],
            _ => {}
        }
    }
}

/// The document of `request` printed with `ticket`: decompressed, decoded,
/// rendered (all pages before anything is queued) and submitted as
/// `submitted_by`. The hub job (the first, for several pages).
async fn print_document(
    svc: &IppService,
    request: &Request<'_>,
    printer: &PrinterInfo,
    ticket: &JobTicket,
    submitted_by: &str,
    caller: &Caller,
) -> Result<printhub_core::Job, Response> {
    let Some(media) = printer.media else {
        return Err(error(
            request,
            code::NOT_POSSIBLE,
            "The printer has no medium loaded; load one and print again.",
        ));
    };
    let document = match decompress(request.document, ticket.compression, svc.body_limit) {
        Ok(bytes) => bytes,
        Err(e) => return Err(error(request, e.status(), &e.to_string())),
    };
    let format = match sniff(ticket.format, &document) {
        Ok(format) => format,
        Err(e) => return Err(error(request, e.status(), &e.to_string())),
    };
    // Every page as an image file the gateway's image path takes: JPEG and
    // PNG as they came, PWG raster and URF pages as greyscale PNGs.
    let max_pixels = printhub_render::MAX_IMAGE_PIXELS;
    let images = match format {
        DocumentFormat::Jpeg | DocumentFormat::Png | DocumentFormat::Auto => Ok(Ok(vec![document])),
        DocumentFormat::PwgRaster => decode_pwg(&document, max_pixels).map(gray_pngs),
        DocumentFormat::Urf => decode_urf(&document, max_pixels).map(gray_pngs),
    };
    let images = match images {
        Ok(Ok(images)) => images,
        Ok(Err(why)) => return Err(error(request, code::INTERNAL_ERROR, &why)),
        Err(e) => {
            let status = match e {
                RasterError::TooLarge { .. } => code::REQUEST_ENTITY_TOO_LARGE,
                RasterError::Unsupported { .. } => code::DOCUMENT_FORMAT_NOT_SUPPORTED,
                _ => code::DOCUMENT_FORMAT_ERROR,
            };
            return Err(error(request, status, &format!("{}: {e}", e.code())));
        }
    };
    let dither = match ticket.halftone {
        Halftone::Dither => printhub_render::Dither::FloydSteinberg,
        Halftone::Threshold => printhub_render::Dither::Threshold,
    };
    // One label a page, all rendered before anything is queued: a page that
    // cannot print refuses the whole document.
    let mut labels = Vec::with_capacity(images.len());
    for image in images {
        let mut render = printhub_render::RenderRequest::image(image, dither);
        if ticket.landscape {
            render = render.with_orientation(printhub_render::Orientation::Landscape);
        }
        match svc.limits.render(render, printer.model, media).await {
            Ok(label) => labels.push(label),
            Err(e) => return Err(error(request, render_status(e.code.as_str()), &e.detail)),
        }
    }
    let requests: Vec<PrintRequest> = labels
        .into_iter()
        .map(|label| {
            // The printer's defaults for the cut (IPP's `finishings` are not offered).
            let mut print = PrintRequest::new(label)
                .copies(ticket.copies)
                .with_defaults(printhub_core::RequestedOptions::default());
            print.content_type = Some("ipp".into());
            print.submitted_by = Some(submitted_by.to_string());
            print.source_address = caller.source.clone();
            print
        })
        .collect();
    // One page: one hub job. Several: consecutive hub jobs of one batch,
    // all or none; the IPP job is the first.
    let submitted = if requests.len() == 1 {
        let mut requests = requests;
        match requests.pop() {
            Some(print) => svc.hub.submit(&printer.name, print).await,
            None => Err(HubError::Unavailable("no page".into())),
        }
    } else {
        svc.hub
            .submit_batch(&printer.name, requests)
            .await
            .and_then(|(_, jobs)| {
                jobs.into_iter()
                    .next()
                    .ok_or_else(|| HubError::Unavailable("no job returned".into()))
            })
    };
    submitted.map_err(|e| error(request, hub_status(&e), &e.to_string()))
}

/// The `job-id` (or the last segment of `job-uri`) a request names.
fn requested_job_id(request: &Request<'_>) -> Option<i32> {
    match request
        .operation_attribute("job-id")
        .and_then(Attribute::first)
    {
        Some(IppValue::Integer(id)) => Some(*id),
        _ => match request
            .operation_attribute("job-uri")
            .and_then(Attribute::first)
        {
            Some(IppValue::Uri(uri)) => uri.rsplit('/').next().and_then(|s| s.parse().ok()),
            _ => None,
        },
    }
}

/// Create-Job (RFC 8011 §4.2.4): checks the ticket and keeps it until the
/// document comes; nothing is queued yet.
fn create_job(
    svc: &IppService,
    request: &Request<'_>,
    printer: &PrinterInfo,
    caller: &Caller,
    basic_user: Option<String>,
) -> Response {
    let ticket = match JobTicket::read(request, printer) {
        Ok(ticket) => ticket,
        Err(answer) => return answer,
    };
    let submitted_by = submitter(caller, basic_user, &ticket);
    let now = now_secs();
    let id = ipp_job_id(&uuid::Uuid::new_v4());
    let Ok(mut created) = svc.created.lock() else {
        return error(request, code::INTERNAL_ERROR, "The job table is poisoned.");
    };
    created
        .waiting
        .retain(|_, (_, _, _, at)| now - *at < CREATED_TIMEOUT_SECS);
    created.waiting.insert(
        id,
        (printer.name.clone(), ticket.clone(), submitted_by, now),
    );
    drop(created);
    let mut response = service::ok_with_ignored(request, &ticket);
    response.push_group(Group {
        tag: 0x02,
        attributes: waiting_job_attributes(id, printer, now),
    });
    response
}

/// The attributes of a created job still waiting for its document.
fn waiting_job_attributes(id: i32, printer: &PrinterInfo, created: i32) -> Vec<Attribute> {
    vec![
        Attribute::new("job-id", IppValue::Integer(id)),
        Attribute::new("job-printer-uri", IppValue::Uri(printer.uri.clone())),
        Attribute::new("job-state", IppValue::Enum(3)),
        Attribute::new(
            "job-state-reasons",
            IppValue::Keyword("job-incoming".into()),
        ),
        Attribute::new("job-uri", IppValue::Uri(format!("{}/{id}", printer.uri))),
        Attribute::new("time-at-creation", IppValue::Integer(created)),
    ]
}

/// Send-Document (RFC 8011 §4.3.1): the created job's one document
/// (`multiple-document-jobs-supported` is false), printed with the job's
/// ticket and the document's own format and compression.
async fn send_document(
    svc: &IppService,
    request: &Request<'_>,
    printer: &PrinterInfo,
    caller: &Caller,
) -> Response {
    let Some(id) = requested_job_id(request) else {
        return error(request, code::BAD_REQUEST, "The request names no job-id.");
    };
    // RFC 8011 §4.3.1.1: last-document is required.
    if !matches!(
        request
            .operation_attribute("last-document")
            .map(|a| a.values.as_slice()),
        Some([IppValue::Boolean(_)])
    ) {
        return error(
            request,
            code::BAD_REQUEST,
            "Send-Document needs last-document.",
        );
    }
    let waiting = match svc.created.lock() {
        Ok(created) => {
            if created.aliases.contains_key(&id) {
                return error(
                    request,
                    code::MULTIPLE_DOCUMENT_JOBS_NOT_SUPPORTED,
                    "This job already has its document.",
                );
            }
            created.waiting.get(&id).cloned()
        }
        Err(_) => return error(request, code::INTERNAL_ERROR, "The job table is poisoned."),
    };
    let Some((slug, ticket, submitted_by, _)) = waiting.filter(|(slug, ..)| *slug == printer.name)
    else {
        return error(
            request,
            code::NOT_FOUND,
            "There is no such job waiting for a document.",
        );
    };
    let _ = slug;
    let ticket = match ticket.with_document(request) {
        Ok(ticket) => ticket,
        Err(answer) => return answer,
    };
    if request.document.is_empty() {
        // No data: with last-document the job has nothing to print.
        return error(
            request,
            code::BAD_REQUEST,
            "Send-Document carried no document.",
        );
    }
    match print_document(svc, request, printer, &ticket, &submitted_by, caller).await {
        Ok(job) => {
            if let Ok(mut created) = svc.created.lock() {
                created.waiting.remove(&id);
                created.aliases.insert(id, job.id);
            }
            job_answer(request, printer, &ticket, &job, Some(id))
        }
        Err(answer) => answer,
    }
}

/// Close-Job (PWG 5100.11 §5.3): the created job gets no more documents;
/// one that never got any ends there (nothing was queued).
fn close_job(svc: &IppService, request: &Request<'_>, printer: &PrinterInfo) -> Response {
    let Some(id) = requested_job_id(request) else {
        return error(request, code::BAD_REQUEST, "The request names no job-id.");
    };
    let Ok(mut created) = svc.created.lock() else {
        return error(request, code::INTERNAL_ERROR, "The job table is poisoned.");
    };
    if created.aliases.contains_key(&id) {
        return Response::new(
            service::answer_version(request),
            code::OK,
            request.request_id,
        );
    }
    match created.waiting.remove(&id) {
        Some((slug, ..)) if slug == printer.name => Response::new(
            service::answer_version(request),
            code::OK,
            request.request_id,
        ),
        Some(entry) => {
            created.waiting.insert(id, entry);
            error(request, code::NOT_FOUND, "There is no such job.")
        }
        None => error(request, code::NOT_FOUND, "There is no such job."),
    }
}

/// Raster pages as greyscale PNG files.
fn gray_pngs(pages: Vec<GrayPage>) -> Result<Vec<Vec<u8>>, String> {
    use image::ImageEncoder as _;
    pages
        .into_iter()
        .map(|page| {
            let mut out = Vec::new();
            image::codecs::png::PngEncoder::new(&mut out)
                .write_image(
                    &page.pixels,
                    page.width,
                    page.height,
                    image::ExtendedColorType::L8,
                )
                .map_err(|e| format!("cannot re-encode a raster page: {e}"))?;
            Ok(out)
        })
        .collect()
}

/// The IPP status for a renderer refusal (its stable code).
fn render_status(code_name: &str) -> u16 {
    match code_name {
        "unrenderable" | "image_decode" => code::DOCUMENT_FORMAT_ERROR,
        "image_too_large" | "payload_too_large" => code::REQUEST_ENTITY_TOO_LARGE,
        "does_not_fit" | "unsupported_media" | "unprintable" => code::DOCUMENT_UNPRINTABLE,
        "rate_limited" | "queue_full" | "busy" => code::BUSY,
        _ => code::INTERNAL_ERROR,
    }
}

/// The IPP status for an engine refusal.
fn hub_status(e: &HubError) -> u16 {
    match e.code() {
        "printer_not_found" => code::NOT_FOUND,
        "queue_full" => code::BUSY,
        "printer_disabled" => code::NOT_ACCEPTING_JOBS,
        "unavailable" => code::SERVICE_UNAVAILABLE,
        "job_not_found" => code::NOT_FOUND,
        "invalid_job_state" => code::NOT_POSSIBLE,
        _ => code::INTERNAL_ERROR,
    }
}

/// The printer's jobs, newest first, from the store.
async fn jobs_of(
    svc: &IppService,
    printer: &PrinterInfo,
) -> Result<Vec<printhub_core::Job>, HubError> {
    svc.hub
        .list_jobs(JobFilter {
            printer: Some(printer.name.clone()),
            ..JobFilter::default()
        })
        .await
}

/// The hub job the request's `job-id` (or `job-uri`) names: a created id's
/// hub job, or the printer's job with that IPP id.
async fn find_job(
    svc: &IppService,
    request: &Request<'_>,
    printer: &PrinterInfo,
) -> Result<printhub_core::Job, Response> {
    let Some(id) = requested_job_id(request) else {
        return Err(error(
            request,
            code::BAD_REQUEST,
            "The request names no job-id.",
        ));
    };
    let alias = svc
        .created
        .lock()
        .ok()
        .and_then(|created| created.aliases.get(&id).copied());
    let jobs = jobs_of(svc, printer)
        .await
        .map_err(|e| error(request, hub_status(&e), &e.to_string()))?;
    jobs.into_iter()
        .find(|job| Some(job.id) == alias || ipp_job_id(job.id.as_uuid()) == id)
        .ok_or_else(|| error(request, code::NOT_FOUND, "There is no such job."))
}

/// A created job still waiting for its document, if `request` names one.
fn waiting_job(
    svc: &IppService,
    request: &Request<'_>,
    printer: &PrinterInfo,
) -> Option<(i32, i32)> {
    let id = requested_job_id(request)?;
    let created = svc.created.lock().ok()?;
    created
        .waiting
        .get(&id)
        .filter(|(slug, ..)| *slug == printer.name)
        .map(|(.., at)| (id, *at))
}

async fn get_job(svc: &IppService, request: &Request<'_>, printer: &PrinterInfo) -> Response {
    if let Some((id, at)) = waiting_job(svc, request, printer) {
        let mut response = Response::new(
            service::answer_version(request),
            code::OK,
            request.request_id,
        );
        response.push_group(Group {
            tag: 0x02,
            attributes: printhub_ipp::job::select(
                waiting_job_attributes(id, printer, at),
                request.operation_attribute("requested-attributes"),
                false,
            ),
        });
        return response;
    }
    let job = match find_job(svc, request, printer).await {
        Ok(job) => job,
        Err(answer) => return answer,
    };
    let mut response = Response::new(
        service::answer_version(request),
        code::OK,
        request.request_id,
    );
    let mut attributes = job_attributes(&job, &printer.uri, printer.up_time);
    if let Some(id) = requested_job_id(request).filter(|id| *id != ipp_job_id(job.id.as_uuid())) {
        rename_job(&mut attributes, id, &printer.uri);
    }
    response.push_group(Group {
        tag: 0x02,
        attributes: printhub_ipp::job::select(
            attributes,
            request.operation_attribute("requested-attributes"),
            false,
        ),
    });
    response
}

async fn get_jobs(
    svc: &IppService,
    request: &Request<'_>,
    printer: &PrinterInfo,
    caller: &Caller,
) -> Response {
    // my-jobs (RFC 8011 §4.2.6.1): only the requesting user's jobs.
    let my_jobs = matches!(
        request
            .operation_attribute("my-jobs")
            .and_then(Attribute::first),
        Some(IppValue::Boolean(true))
    );
    let user = requesting_user(request);
    let which = match request
        .operation_attribute("which-jobs")
        .and_then(Attribute::first)
    {
        None => "not-completed".to_string(),
        Some(IppValue::Keyword(k))
            if ["completed", "not-completed", "all"].contains(&k.as_str()) =>
        {
            k.clone()
        }
        Some(_) => {
            return error(
                request,
                code::ATTRIBUTES_OR_VALUES_NOT_SUPPORTED,
                "which-jobs must be completed, not-completed or all.",
            )
        }
    };
    let limit = match request
        .operation_attribute("limit")
        .and_then(Attribute::first)
    {
        Some(IppValue::Integer(n)) if *n > 0 => usize::try_from(*n).unwrap_or(usize::MAX),
        _ => usize::MAX,
    };
    let jobs = match jobs_of(svc, printer).await {
        Ok(jobs) => jobs,
        Err(e) => return error(request, hub_status(&e), &e.to_string()),
    };
    let mut response = Response::new(
        service::answer_version(request),
        code::OK,
        request.request_id,
    );
    for job in jobs
        .iter()
        .filter(|job| match which.as_str() {
            "completed" => !is_active(job.state),
            "not-completed" => is_active(job.state),
            _ => true,
        })
        .filter(|job| !my_jobs || is_mine(caller, job, user.as_deref()))
        .take(limit)
    {
        response.push_group(Group {
            tag: 0x02,
            attributes: printhub_ipp::job::select(
                job_attributes(job, &printer.uri, printer.up_time),
                request.operation_attribute("requested-attributes"),
                true,
            ),
        });
    }
    response
}

/// Whether `caller` may cancel `job` (CUPS's `@OWNER` policy, as the API's
/// job routes apply it): a key with scope admin cancels any job, a key the
/// jobs it submitted; anonymous callers are one identity and cancel the
/// anonymous jobs, those submitted over IPP without a key included; with
/// `user` (the IPP `requesting-user-name`) only that user's.
fn may_cancel(caller: &Caller, job: &printhub_core::Job, user: Option<&str>) -> bool {
    if caller.require(Scope::Admin).is_ok() && user.is_none() {
        return true;
    }
    let by = job.spec.submitted_by.as_deref().unwrap_or("anonymous");
    match (&caller.identity, user) {
        (printhub_gateway::auth::Identity::Anonymous, Some(user)) => {
            by.strip_prefix("ipp:") == Some(user)
        }
        (printhub_gateway::auth::Identity::Anonymous, None) => {
            by == "anonymous" || by.starts_with("ipp:")
        }
        _ => caller.submitted(job),
    }
}

/// Whether `job` is the caller's own: a key's jobs are those it submitted;
/// anonymous callers' are those of the IPP user they name (or the
/// anonymous jobs when they name none).
fn is_mine(caller: &Caller, job: &printhub_core::Job, user: Option<&str>) -> bool {
    let by = job.spec.submitted_by.as_deref().unwrap_or("anonymous");
    match (&caller.identity, user) {
        (printhub_gateway::auth::Identity::Anonymous, Some(user)) => {
            by.strip_prefix("ipp:") == Some(user)
        }
        (printhub_gateway::auth::Identity::Anonymous, None) => by == "anonymous",
        _ => caller.submitted(job),
    }
}

/// The request's `requesting-user-name`, if any.
fn requesting_user(request: &Request<'_>) -> Option<String> {
    match request
        .operation_attribute("requesting-user-name")
        .and_then(Attribute::first)
    {
        Some(IppValue::NameWithoutLanguage(s)) => Some(s.clone()),
        Some(IppValue::NameWithLanguage { name, .. }) => Some(name.clone()),
        _ => None,
    }
}

async fn cancel_job(
    svc: &IppService,
    request: &Request<'_>,
    printer: &PrinterInfo,
    caller: &Caller,
) -> Response {
    if let Some((id, _)) = waiting_job(svc, request, printer) {
        if let Ok(mut created) = svc.created.lock() {
            created.waiting.remove(&id);
        }
        return Response::new(
            service::answer_version(request),
            code::OK,
            request.request_id,
        );
    }
    let job = match find_job(svc, request, printer).await {
        Ok(job) => job,
        Err(answer) => return answer,
    };
    if !may_cancel(caller, &job, None) {
        return error(
            request,
            code::FORBIDDEN,
            "Only who submitted the job may cancel it.",
        );
    }
    if !is_active(job.state) {
        return error(request, code::NOT_POSSIBLE, "The job has already ended.");
    }
    match svc.hub.cancel_job(job.id).await {
        Ok(_) => Response::new(
            service::answer_version(request),
            code::OK,
            request.request_id,
        ),
        Err(e) => error(request, hub_status(&e), &e.to_string()),
    }
}

async fn cancel_my_jobs(
    svc: &IppService,
    request: &Request<'_>,
    printer: &PrinterInfo,
    caller: &Caller,
) -> Response {
    let user = requesting_user(request);
    let jobs = match jobs_of(svc, printer).await {
        Ok(jobs) => jobs,
        Err(e) => return error(request, hub_status(&e), &e.to_string()),
    };
    for job in jobs
        .iter()
        .filter(|j| is_active(j.state) && may_cancel(caller, j, user.as_deref()))
    {
        // A job printing a copy ends after it (design §2); one that already
        // ended meanwhile is fine.
        if let Err(e) = svc.hub.cancel_job(job.id).await {
            log::info!("IPP Cancel-My-Jobs: job {}: {e}", job.id);
        }
    }
    Response::new(
        service::answer_version(request),
        code::OK,
        request.request_id,
    )
}
