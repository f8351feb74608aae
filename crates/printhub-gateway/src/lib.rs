//! # printhub-gateway
//!
//! The HTTP edge of printhub (design §3): actix-web routes under `/api` over
//! a [`printhub_actors::HubHandle`] taken from `web::Data`, `*Request`/`*View`
//! DTOs, one [`ApiError`] answered as `application/problem+json`, and an
//! OpenAPI 3.1 document at `/api/openapi.json` built from the same route
//! table ([`ROUTES`]) that [`configure`] mounts.
//!
//! ```text
//!  HTTP ─► JsonBody<*Request> (limit from GatewayConfig) ─► domain (TryFrom / label_spec)
//!       ─► web::block(render) ─► HubHandle::*().await ─► *View ─► JSON
//!                                   │ HubError / RenderError ─► ApiError (problem+json)
//! ```
//!
//! Code map: `routes` (one handler per route), [`dto`] (wire types and
//! conversions), [`error`] (`ApiError`, `ErrorCode` and the status of every
//! code), `extract` ([`JsonBody`]), `openapi` (the document), [`ops`]
//! (`/readyz` with its [`StoreProbe`], `/metrics` with its [`Metrics`]
//! histograms and the latency middleware), [`limits`] (what one caller may
//! cost: the image gate, preview and webhook rate limits, the body deadline),
//! `compat` (Label Printer Hub's old paths, webhooks and error vocabulary,
//! issue #19), [`saved`] (saved labels over the store, issue #24).
//!
//! **Architecture Invariant:** handlers hold no state and no logic beyond
//! conversion; every decision about jobs and printers is the engine's.
//! **Architecture Invariant:** rendering runs in `web::block`, never on an
//! HTTP worker thread. **Architecture Invariant:** a request that fails
//! validation or rendering never reaches `HubHandle::submit*`, so no job is
//! created for it. **Architecture Invariant:** the SNMP community is write-only.
//! **Architecture Invariant:** every render goes through [`Limits::render`]
//! (size limits, then the image gate for renders that decode images), and
//! every request body is read within the body limit and deadline.
#![forbid(unsafe_code)]
// The OpenAPI schemas are one large `json!` literal.
#![recursion_limit = "256"]

mod admin;
pub mod auth;
mod compat;
pub mod devices;
pub mod dto;
pub mod error;
pub mod events;
mod extract;
pub mod limits;
pub mod lookup;
mod openapi;
pub mod ops;
mod problems;
mod routes;
pub mod saved;
pub mod ui;

pub use admin::{AuditListView, AuditView, CreateKeyRequest, KeyCreatedView, KeyView, WhoAmIView};
pub use auth::{Auth, AuthConfig, Caller, ProxyConfig, Scope};
pub use compat::webhook::{LegacyWebhookConfig, WebhookKeyError, MIN_WEBHOOK_KEY_LEN};
pub use error::{ApiError, ErrorCode};
pub use events::{EventConfig, EventLog};
pub use extract::JsonBody;
pub use limits::{DecodePermit, Limits, LimitsConfig};
pub use lookup::landing::LandingConfig;
pub use lookup::{GenericWebhook, GrocyWebhook, WebhookConfig};
pub use openapi::document as openapi_document;
pub use ops::{Metrics, MetricsError, StoreProbe};
pub use saved::{SaveLabelRequest, SavedLabelView, SavedLabels};

use actix_web::http::Method;
use actix_web::web;

/// Gateway settings, read from `web::Data<GatewayConfig>` (defaults apply when absent).
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Largest accepted JSON body, in bytes (larger: 413 `payload_too_large`).
    pub body_limit: usize,
}

impl Default for GatewayConfig {
    /// 1 MiB.
    fn default() -> Self {
        GatewayConfig {
            body_limit: 1024 * 1024,
        }
    }
}

/// One mounted route, as the OpenAPI document describes it.
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo {
    /// The HTTP method (upper case).
    pub method: &'static str,
    /// The path, with `{param}` segments.
    pub path: &'static str,
    /// The scope a caller needs (`None`: public, or a token the handler checks).
    pub scope: Option<Scope>,
    /// One line on what it does.
    pub summary: &'static str,
    /// The success status.
    pub status: u16,
    /// The request body schema name in the document, if any.
    pub body: Option<&'static str>,
    /// The success response schema name, or `png` for `image/png`.
    pub response: Option<&'static str>,
    /// OpenAPI tag.
    pub tag: &'static str,
}

macro_rules! scope {
    (public) => {
        None
    };
    (read) => {
        Some(Scope::Read)
    };
    (print) => {
        Some(Scope::Print)
    };
    (admin) => {
        Some(Scope::Admin)
    };
}

macro_rules! routes {
    ($( $method:ident $path:literal => $handler:path, $scope:ident, $status:literal, $body:expr, $resp:expr, $tag:literal, $summary:literal; )*) => {
        /// Every route [`configure`] mounts.
        pub const ROUTES: &[RouteInfo] = &[$(RouteInfo {
            method: stringify!($method),
            path: $path,
            scope: scope!($scope),
            summary: $summary,
            status: $status,
            body: $body,
            response: $resp,
            tag: $tag,
        }),*];

        /// Mounts each row as its own resource: a method guard, the row's
        /// [`auth::middleware::RoutePolicy`] and the handler.
        fn mount(cfg: &mut web::ServiceConfig) {
            $( {
                let policy = auth::middleware::RoutePolicy::of(stringify!($method), $path, scope!($scope));
                cfg.service(
                    web::resource($path)
                        .guard(method_guard(stringify!($method)))
                        .wrap(actix_web::middleware::from_fn(move |req, next| {
                            auth::middleware::authorize(req, next, policy)
                        }))
                        .route(web::route().to($handler)),
                );
            } )*
        }
    };
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).unwrap_or(Method::GET)
}

/// The method guard of a route: `HEAD` is served wherever `GET` is (RFC
/// 9110 §9.3.2; actix-web sends the head of the GET answer, no body).
fn method_guard(name: &str) -> actix_web::guard::AnyGuard {
    let guard = actix_web::guard::Any(actix_web::guard::Method(method(name)));
    if name == "GET" {
        guard.or(actix_web::guard::Head())
    } else {
        guard
    }
}

/// The methods `path` (as routed: decoded, normalised) is served for:
/// those of every route whose pattern it fits, `HEAD` beside `GET`.
pub(crate) fn allowed_methods(path: &str) -> Vec<&'static str> {
    let mut allowed: Vec<&'static str> = ROUTES
        .iter()
        .filter(|r| routes::pattern_matches(r.path, path))
        .map(|r| r.method)
        .collect();
    if path == "/" || path.starts_with("/ui/") {
        allowed.push("GET");
    }
    if allowed.contains(&"GET") {
        allowed.push("HEAD");
    }
    allowed
}

routes! {
    GET "/api/printers" => routes::list_printers, read, 200, None, Some("PrinterList"), "printers", "List printers";
    POST "/api/printers" => routes::create_printer, admin, 201, Some("CreatePrinterRequest"), Some("PrinterView"), "printers", "Add a printer";
    GET "/api/printers/probe" => routes::probe_printer, admin, 200, None, Some("ProbeView"), "printers", "Ask the printer at an address which model it is and what it holds (registers nothing)";
    GET "/api/printers/{key}" => routes::get_printer, read, 200, None, Some("PrinterView"), "printers", "One printer (by id or slug)";
    PATCH "/api/printers/{key}" => routes::update_printer, admin, 200, Some("UpdatePrinterRequest"), Some("PrinterView"), "printers", "Change a printer, live";
    DELETE "/api/printers/{key}" => routes::delete_printer, admin, 204, None, None, "printers", "Remove a printer with an empty queue";
    POST "/api/printers/{key}/pause" => routes::pause_printer, print, 200, None, Some("PrinterView"), "printers", "Pause after the current copy";
    POST "/api/printers/{key}/resume" => routes::resume_printer, print, 200, None, Some("PrinterView"), "printers", "Resume a paused, stopped or offline printer";
    POST "/api/printers/{key}/enable" => routes::enable_printer, admin, 200, None, Some("PrinterView"), "printers", "Enable a printer";
    POST "/api/printers/{key}/disable" => routes::disable_printer, admin, 200, None, Some("PrinterView"), "printers", "Disable a printer";
    GET "/api/printers/{key}/status" => routes::printer_status, read, 200, None, Some("StatusView"), "printers", "Live status";
    GET "/api/printers/{key}/queue" => routes::printer_queue, read, 200, None, Some("JobList"), "printers", "Queued and held jobs in print order";
    POST "/api/printers/{key}/queue/clear" => routes::clear_queue, print, 200, None, Some("ClearedView"), "printers", "Cancel every queued and held job";
    POST "/api/printers/{key}/jobs" => routes::submit_job, print, 202, Some("SubmitJobRequest"), Some("JobView"), "printing", "Print one label";
    POST "/api/print/{key}/batch" => routes::submit_batch, print, 202, Some("BatchRequest"), Some("BatchSubmittedView"), "printing", "Print 1..500 labels as one batch";
    GET "/api/batches/{id}" => routes::get_batch, read, 200, None, Some("BatchView"), "printing", "A batch's jobs and summary";
    GET "/api/jobs" => routes::list_jobs, read, 200, None, Some("JobListView"), "jobs", "Jobs from the store, newest first, with their total (filters state, printer, batch, since; limit, offset)";
    GET "/api/jobs/{id}" => routes::get_job, read, 200, None, Some("JobView"), "jobs", "One job";
    GET "/api/jobs/{id}/preview" => routes::job_preview, read, 200, None, Some("png"), "jobs", "PNG of the raster the job stored";
    POST "/api/jobs/{id}/cancel" => routes::cancel_job, print, 200, None, Some("JobView"), "jobs", "Cancel a job";
    POST "/api/jobs/{id}/hold" => routes::hold_job, print, 200, None, Some("JobView"), "jobs", "Hold a queued job";
    POST "/api/jobs/{id}/release" => routes::release_job, print, 200, None, Some("JobView"), "jobs", "Release a held job";
    POST "/api/jobs/{id}/reprint" => routes::reprint_job, print, 202, None, Some("JobView"), "jobs", "Print a finished job (completed included) again as a new job: laid out again from its stored request for the medium loaded now, or its raster";
    POST "/api/jobs/{id}/retry" => routes::retry_job, print, 202, None, Some("JobView"), "jobs", "Reprint a failed, interrupted or cancelled job as a new job";
    POST "/api/render/preview" => routes::preview, print, 200, Some("PreviewRequest"), Some("png"), "rendering", "PNG of the exact raster";
    GET "/api/media" => routes::list_media, read, 200, None, Some("MediaList"), "rendering", "Media catalogue";
    GET "/api/models" => routes::list_models, read, 200, None, Some("ModelList"), "rendering", "Model catalogue";
    GET "/api/devices" => devices::list_devices, admin, 200, None, Some("DeviceList"), "printers", "USB printer devices on this machine (/dev/usb/lp*) with the model each reports: a path goes in a printer's address";
    GET "/api/events" => events::stream, read, 200, None, Some("text/event-stream"), "events", "Live events (SSE) with Last-Event-ID replay";
    // Saved labels (issue #24, `saved`).
    GET "/api/saved-labels" => saved::list, read, 200, None, Some("SavedLabelList"), "saved-labels", "Saved labels the caller may use (for its printers or for any), sorted by name";
    POST "/api/saved-labels" => saved::create, print, 201, Some("SaveLabelRequest"), Some("SavedLabelView"), "saved-labels", "Save a label under a name (checked as a job submission is, without drawing it; 409 saved_label_exists for a name taken whatever its case)";
    GET "/api/saved-labels/{id}" => saved::get, read, 200, None, Some("SavedLabelView"), "saved-labels", "One saved label";
    PUT "/api/saved-labels/{id}" => saved::replace, print, 200, Some("SaveLabelRequest"), Some("SavedLabelView"), "saved-labels", "Replace a saved label's name, printer and request";
    DELETE "/api/saved-labels/{id}" => saved::delete, print, 204, None, None, "saved-labels", "Delete a saved label";
    GET "/api/auth/whoami" => admin::whoami, read, 200, None, Some("WhoAmIView"), "auth", "Who the caller is: key, scope, printers";
    GET "/api/admin/keys" => admin::list_keys, admin, 200, None, Some("KeyList"), "admin", "Every API key (never a secret)";
    POST "/api/admin/keys" => admin::create_key, admin, 201, Some("CreateKeyRequest"), Some("KeyCreatedView"), "admin", "Create an API key (the secret is shown once, here)";
    DELETE "/api/admin/keys/{id}" => admin::revoke_key, admin, 200, None, Some("KeyView"), "admin", "Revoke an API key at once";
    GET "/api/admin/audit" => admin::audit_log, admin, 200, None, Some("AuditList"), "admin", "Admin actions, newest first (limit, offset)";
    GET "/api/openapi.json" => routes::openapi, public, 200, None, Some("object"), "ops", "This document";
    GET "/healthz" => routes::healthz, public, 200, None, Some("object"), "ops", "Liveness and version";
    GET "/readyz" => ops::readyz, public, 200, None, Some("object"), "ops", "Readiness: the engine answers, the store commits a write, each enabled printer is reachable (503 with what failed, e.g. store: store_read_only)";
    GET "/problems" => problems::index, public, 200, None, Some("html"), "ops", "Every error code with its status and title (HTML, or JSON with Accept: application/json)";
    GET "/problems/{code}" => problems::explain, public, 200, None, Some("html"), "ops", "What an error code means: the `type` of every problem resolves here";
    GET "/metrics" => ops::metrics, read, 200, None, Some("text"), "ops", "Prometheus metrics: jobs by state, queue depth and state per printer, print duration and HTTP latency histograms";
    // Lookups, webhooks and QR landing pages (issue #10, `lookup`).
    GET "/api/lookup/{app}/{id}" => lookup::lookup, read, 200, None, Some("LookupView"), "lookup", "An item from Grocy, Snipe-IT or Spoolman as label data";
    GET "/api/integrations" => lookup::integrations, read, 200, None, Some("IntegrationList"), "lookup", "Which lookups and webhooks this hub offers";
    POST "/api/webhooks/grocy/{token}" => lookup::webhook::grocy_webhook, public, 202, Some("GrocyWebhookPayload"), Some("JobView"), "webhooks", "Grocy's label-printer webhook (JSON or form); the token authenticates; 202 queued, 200 {\"status\": \"rejected\"} for what a person can fix on the hub (printer missing, disabled, queue full, tape), 4xx only for a wrong token or a payload that can never print";
    OPTIONS "/api/webhooks/grocy/{token}" => lookup::webhook::grocy_webhook_preflight, public, 204, None, None, "webhooks", "CORS preflight for Grocy's client-side webhook call (allowed origins only)";
    POST "/api/webhooks/{token}" => lookup::webhook::generic_webhook, public, 202, Some("WebhookFields"), Some("JobView"), "webhooks", "Print the token's template with the posted fields";
    GET "/asset/{id}" => lookup::landing::landing, public, 200, None, Some("html"), "pages", "QR landing page of a Snipe-IT asset";
    GET "/product/{id}" => lookup::landing::landing, public, 200, None, Some("html"), "pages", "QR landing page of a Grocy product";
    GET "/spool/{id}" => lookup::landing::landing, public, 200, None, Some("html"), "pages", "QR landing page of a Spoolman spool";
    // Label Printer Hub's old-only paths on the same engine (issue #19, `compat`).
    GET "/api/landing/{app}/{id}" => lookup::landing::summary, public, 200, None, Some("LandingView"), "pages", "What a QR landing page shows without a key: the item's name and the enabled printers' states (only with [landing] public = true; else 401)";
    GET "/loc/{id}" => lookup::landing::landing, public, 200, None, Some("html"), "pages", "QR landing page of a location code printed by Label Printer Hub (looked up as a Snipe-IT asset tag, as it did)";
    POST "/print" => compat::print, print, 202, Some("LegacyPrintRequest"), Some("LegacyQueuedView"), "compat", "Label Printer Hub's print: one label on the first enabled printer (by slug) the caller may use";
    GET "/jobs/{id}" => compat::get_job, read, 200, None, Some("LegacyJobView"), "compat", "Label Printer Hub's job status";
    POST "/jobs/{id}/resume" => compat::resume_job, print, 200, None, Some("LegacyJobView"), "compat", "Label Printer Hub's job resume: release a held job, or resume its stopped or paused printer";
    POST "/printer/resume" => compat::resume_printer, print, 200, None, Some("LegacyResumedView"), "compat", "Label Printer Hub's printer resume, on the first enabled printer (by slug) the caller may use";
    POST "/api/webhook/spoolman" => compat::webhook::spoolman, public, 202, Some("SpoolmanHookRequest"), Some("LegacyQueuedView"), "compat", "Label Printer Hub's Spoolman webhook: print the spool's label on the first enabled printer; X-API-Key is the configured webhook key (401 wrong or missing, 503 none configured or no enabled printer, 422 a body its strict schema refuses, 404 no such spool)";
    POST "/api/webhook/grocy" => compat::webhook::grocy, public, 202, Some("GrocyHookRequest"), Some("LegacyQueuedView"), "compat", "Label Printer Hub's Grocy webhook: print the product's label on the first enabled printer; X-API-Key is the configured webhook key (401 wrong or missing, 503 none configured or no enabled printer, 422 a body its strict schema refuses, 404 no such product)";
    GET "/readiness" => compat::readiness, read, 200, None, Some("LegacyReadiness"), "compat", "Label Printer Hub's readiness: ready, degraded (a printer is missing or unreachable) or not-ready (503: the store or the engine fails)";
}

/// `POST` routes of [`ROUTES`] that create and change nothing (a preview
/// renders a PNG and answers it): they are not counted against the caller's
/// mutation rate limit. A test checks every entry is a `POST` route of the
/// table, so a renamed route cannot silently start counting again.
pub const CREATES_NOTHING: &[&str] = &["/api/render/preview"];

/// Whether a request's body is `multipart/form-data` (an image upload).
fn is_multipart(ctx: &actix_web::guard::GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// Mounts every route of [`ROUTES`] behind the auth middleware. Needs
/// `web::Data<HubHandle>` and `web::Data<Auth>` (the policy; without it every
/// non-public route answers 500); reads `web::Data<GatewayConfig>` and
/// `web::Data<EventLog>` (for `/api/events`), `web::Data<printhub_lookup::Lookups>`
/// `web::Data<WebhookConfig>` and `web::Data<LegacyWebhookConfig>` when present, `web::Data<Limits>` (the
/// process-wide default when absent), [`StoreProbe`] (for `/readyz`)
/// and [`Metrics`] (histograms on `/metrics`, HTTP latency of every request),
/// and [`SavedLabels`] (without it `/api/saved-labels` answers 503 `unavailable`). Unknown paths under `/api` answer
/// 404 `not_found` as problem+json; a query string that does not parse is 400
/// `invalid_request`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let upload =
        auth::middleware::RoutePolicy::of("POST", "/api/printers/{key}/jobs", Some(Scope::Print));
    let image_preview =
        auth::middleware::RoutePolicy::of("POST", "/api/render/preview", Some(Scope::Print));
    let fallback = auth::middleware::RoutePolicy::api_fallback();
    cfg.service(
        web::scope("")
            // Label Printer Hub's vocabulary in the errors of its old paths.
            .wrap(actix_web::middleware::from_fn(compat::legacy_errors))
            .wrap(actix_web::middleware::from_fn(ops::observe))
            // Outermost: every later step sees the path in its normal form.
            .wrap(actix_web::middleware::from_fn(
                auth::middleware::normalize_path,
            ))
            .app_data(
                web::QueryConfig::default().error_handler(|err, _| {
                    ApiError::invalid(format!("invalid query: {err}")).into()
                }),
            )
            .app_data(
                web::PathConfig::default().error_handler(|err, _| {
                    ApiError::invalid(format!("invalid path: {err}")).into()
                }),
            )
            // An image upload shares the job route; it is told apart by its multipart body.
            .service(
                web::resource("/api/printers/{key}/jobs")
                    .guard(actix_web::guard::Post())
                    .guard(actix_web::guard::fn_guard(is_multipart))
                    .wrap(actix_web::middleware::from_fn(move |req, next| {
                        auth::middleware::authorize(req, next, upload)
                    }))
                    .route(web::route().to(routes::submit_image)),
            )
            // So does an image preview (the print form's upload), on the preview route.
            .service(
                web::resource("/api/render/preview")
                    .guard(actix_web::guard::Post())
                    .guard(actix_web::guard::fn_guard(is_multipart))
                    .wrap(actix_web::middleware::from_fn(move |req, next| {
                        auth::middleware::authorize(req, next, image_preview)
                    }))
                    .route(web::route().to(routes::preview_image)),
            )
            .configure(mount)
            .configure(ui::configure_ui)
            .service(
                web::resource("/api/{tail:.*}")
                    .wrap(actix_web::middleware::from_fn(move |req, next| {
                        auth::middleware::authorize(req, next, fallback)
                    }))
                    .route(web::route().to(routes::not_found)),
            )
            // Outside /api: 404 or 405 (with Allow) as problem+json too.
            .default_service(web::to(routes::not_found)),
    );
}
