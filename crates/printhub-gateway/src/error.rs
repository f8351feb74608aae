//! [`ApiError`], the one `ResponseError` of the gateway. Every failure leaves
//! as `application/problem+json` `{type, title, status, detail, error_code,
//! error_detail?}` (design §3). The status comes from an exhaustive `match`
//! over [`ErrorCode`]. Errors of the crates below arrive with their typed
//! codes ([`HubCode`], [`RenderCode`], [`EncodeCode`], [`CommandCode`],
//! [`StoreCode`], [`LookupCode`]) and become an [`ErrorCode`] through `From`
//! impls that `match` every variant: no string is parsed on the way, and a
//! new code in any crate fails this crate's build until it has an answer.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use printhub_actors::{HubCode, HubError};
use printhub_core::CommandCode;
use printhub_lookup::LookupCode;
use printhub_raster::EncodeCode;
use printhub_render::{RenderCode, RenderError};
use printhub_store::StoreCode;
use serde::Serialize;
use std::fmt;

/// Every error code the gateway answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `printer_not_found` (404).
    PrinterNotFound,
    /// `job_not_found` (404).
    JobNotFound,
    /// `batch_not_found` (404).
    BatchNotFound,
    /// `not_found`: no such route (404).
    NotFound,
    /// `method_not_allowed`: the route exists for other methods (405).
    MethodNotAllowed,
    /// `invalid_job_state` (409).
    InvalidJobState,
    /// `printer_busy` (409).
    PrinterBusy,
    /// `printer_exists` (409).
    PrinterExists,
    /// `printer_disabled` (409).
    PrinterDisabled,
    /// `duplicate_job` (409).
    DuplicateJob,
    /// `queue_full` (429).
    QueueFull,
    /// `rate_limited` (429, with `Retry-After`).
    RateLimited,
    /// `too_many_subscribers`: the event stream's subscriber cap is reached (429).
    TooManySubscribers,
    /// `unauthorized`: no valid credentials (401).
    Unauthorized,
    /// `insufficient_scope`: the caller's scope is too small (403).
    InsufficientScope,
    /// `printer_not_allowed`: the key's allow-list excludes the printer (403).
    PrinterNotAllowed,
    /// `not_job_owner`: a key below `admin` may steer only the jobs it
    /// submitted (CUPS's `@OWNER` policy) (403).
    NotJobOwner,
    /// `key_not_found` (404).
    KeyNotFound,
    /// `invalid_request`: the request does not parse or is malformed (400).
    InvalidRequest,
    /// `payload_too_large` (413).
    PayloadTooLarge,
    /// `content_type_data_mismatch`: required label fields are missing (422).
    ContentTypeDataMismatch,
    /// `unknown_content_type` (422).
    UnknownContentType,
    /// `does_not_fit` (422).
    DoesNotFit,
    /// `unsupported_media` (422).
    UnsupportedMedia,
    /// A label the printer cannot take (`label_width_mismatch`,
    /// `label_length_out_of_range`, `die_cut_length_mismatch`, `invalid_red_layer`,
    /// `unsupported_option`, `invalid_cut_every`, `no_labels`) (422): the
    /// encoder's code. `From<EncodeCode>` never makes it with
    /// `unsupported_media`, which is [`ErrorCode::UnsupportedMedia`].
    Unprintable(EncodeCode),
    /// A label that cannot be drawn (`missing_glyphs`, `template_parse`,
    /// `unknown_template`, `unknown_field`, `qr_too_large`, `barcode_charset`,
    /// `image_decode`, `image_too_large`, `red_unsupported`) (422): the
    /// renderer's code. `From<RenderCode>` makes it with these only.
    Unrenderable(RenderCode),
    /// `unavailable` (503).
    Unavailable,
    /// `shutting_down` (503).
    ShuttingDown,
    /// `store_error` (500).
    StoreError,
    /// `internal_error`: a defect (font, preview encoder, an unknown code) (500).
    Internal,
    // Lookups and webhooks (issue #10).
    /// `lookup_not_found`: the app has no such item (404).
    LookupNotFound,
    /// `lookup_ambiguous`: the identifier names several items (409).
    LookupAmbiguous,
    /// `lookup_not_configured`: the app is not configured on this hub (409).
    LookupNotConfigured,
    /// `lookup_failed`: the app is down, slow, erroring or answered garbage (502).
    LookupFailed,
    /// `origin_not_allowed`: a browser's cross-origin preflight from an origin
    /// the webhook does not accept (403).
    OriginNotAllowed,
    // The printer registry (issue #15).
    /// `address_unresolvable`: a printer's well-formed host name does not
    /// resolve now; `error_detail.field` names `address` or `snmp` (422).
    AddressUnresolvable,
    /// `unsupported_media_type`: a body route got a `Content-Type` it does
    /// not take (JSON routes take `application/json` and `*/*+json`) (415).
    UnsupportedMediaType,
    // What one caller may cost (issue #15).
    /// `request_timeout`: the request body did not arrive in time (408).
    RequestTimeout,
    /// `overloaded`: too much image work is waiting already (503, with `Retry-After`).
    Overloaded,
    /// `out_of_range`: a number outside the range it takes, such as a
    /// preview's `scale` (422, the range in the detail).
    OutOfRange,
    // Label Printer Hub's vocabulary (issue #19).
    /// `printer_slug_mismatch`: a batch's `printer_slug` is not the slug of
    /// the printer in its path (400).
    PrinterSlugMismatch,
    // Media that follows the tape (issue #20).
    /// `media_not_reported`: `media = "auto"` on a printer that does not
    /// report its medium (422).
    MediaNotReported,
    /// `media_unknown`: a label for an `auto` printer that has not reported
    /// any medium yet (409).
    MediaUnknown,
    /// `reprint_invalid`: a finished job's stored request no longer lays
    /// out; `error_detail.reason` has the renderer's code (409).
    ReprintInvalid,
    /// `printer_unreachable`: nothing answered at the address the hub was
    /// asked to identify a printer at (422).
    PrinterUnreachable,
    /// `printer_unidentified`: the printer at the address named no model
    /// the hub knows; `error_detail.said` has what it said (422).
    PrinterUnidentified,
    // Saved labels (issue #24).
    /// `saved_label_exists`: another saved label has that name, whatever
    /// its case (409).
    SavedLabelExists,
    /// `saved_label_not_found` (404).
    SavedLabelNotFound,
}

impl ErrorCode {
    /// Every code, once, with every code that [`ErrorCode::Unprintable`] and
    /// [`ErrorCode::Unrenderable`] carry (the OpenAPI document lists them; a
    /// test keeps this exhaustive).
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::PrinterNotFound,
        ErrorCode::JobNotFound,
        ErrorCode::BatchNotFound,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::InvalidJobState,
        ErrorCode::PrinterBusy,
        ErrorCode::PrinterExists,
        ErrorCode::PrinterDisabled,
        ErrorCode::DuplicateJob,
        ErrorCode::QueueFull,
        ErrorCode::RateLimited,
        ErrorCode::TooManySubscribers,
        ErrorCode::Unauthorized,
        ErrorCode::InsufficientScope,
        ErrorCode::PrinterNotAllowed,
        ErrorCode::NotJobOwner,
        ErrorCode::KeyNotFound,
        ErrorCode::InvalidRequest,
        ErrorCode::PayloadTooLarge,
        ErrorCode::ContentTypeDataMismatch,
        ErrorCode::UnknownContentType,
        ErrorCode::DoesNotFit,
        ErrorCode::UnsupportedMedia,
        ErrorCode::Unprintable(EncodeCode::LabelWidthMismatch),
        ErrorCode::Unprintable(EncodeCode::LabelLengthOutOfRange),
        ErrorCode::Unprintable(EncodeCode::DieCutLengthMismatch),
        ErrorCode::Unprintable(EncodeCode::InvalidRedLayer),
        ErrorCode::Unprintable(EncodeCode::UnsupportedOption),
        ErrorCode::Unprintable(EncodeCode::InvalidCutEvery),
        ErrorCode::Unprintable(EncodeCode::NoLabels),
        ErrorCode::Unrenderable(RenderCode::MissingGlyphs),
        ErrorCode::Unrenderable(RenderCode::TemplateParse),
        ErrorCode::Unrenderable(RenderCode::UnknownTemplate),
        ErrorCode::Unrenderable(RenderCode::UnknownField),
        ErrorCode::Unrenderable(RenderCode::QrTooLarge),
        ErrorCode::Unrenderable(RenderCode::BarcodeCharset),
        ErrorCode::Unrenderable(RenderCode::ImageDecode),
        ErrorCode::Unrenderable(RenderCode::ImageTooLarge),
        ErrorCode::Unrenderable(RenderCode::RedUnsupported),
        ErrorCode::Unavailable,
        ErrorCode::ShuttingDown,
        ErrorCode::StoreError,
        ErrorCode::Internal,
        ErrorCode::LookupNotFound,
        ErrorCode::LookupAmbiguous,
        ErrorCode::LookupNotConfigured,
        ErrorCode::LookupFailed,
        ErrorCode::OriginNotAllowed,
        ErrorCode::AddressUnresolvable,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::RequestTimeout,
        ErrorCode::Overloaded,
        ErrorCode::OutOfRange,
        ErrorCode::PrinterSlugMismatch,
        ErrorCode::MediaNotReported,
        ErrorCode::MediaUnknown,
        ErrorCode::ReprintInvalid,
        ErrorCode::PrinterUnreachable,
        ErrorCode::PrinterUnidentified,
        ErrorCode::SavedLabelExists,
        ErrorCode::SavedLabelNotFound,
    ];
}

impl ErrorCode {
    /// The wire code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::PrinterNotFound => "printer_not_found",
            ErrorCode::JobNotFound => "job_not_found",
            ErrorCode::BatchNotFound => "batch_not_found",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::InvalidJobState => "invalid_job_state",
            ErrorCode::PrinterBusy => "printer_busy",
            ErrorCode::PrinterExists => "printer_exists",
            ErrorCode::PrinterDisabled => "printer_disabled",
            ErrorCode::DuplicateJob => "duplicate_job",
            ErrorCode::QueueFull => "queue_full",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::TooManySubscribers => "too_many_subscribers",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::PrinterNotAllowed => "printer_not_allowed",
            ErrorCode::NotJobOwner => "not_job_owner",
            ErrorCode::KeyNotFound => "key_not_found",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::ContentTypeDataMismatch => "content_type_data_mismatch",
            ErrorCode::UnknownContentType => "unknown_content_type",
            ErrorCode::DoesNotFit => "does_not_fit",
            ErrorCode::UnsupportedMedia => "unsupported_media",
            ErrorCode::Unprintable(code) => code.code(),
            ErrorCode::Unrenderable(code) => code.code(),
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::ShuttingDown => "shutting_down",
            ErrorCode::StoreError => "store_error",
            ErrorCode::Internal => "internal_error",
            ErrorCode::LookupNotFound => "lookup_not_found",
            ErrorCode::LookupAmbiguous => "lookup_ambiguous",
            ErrorCode::LookupNotConfigured => "lookup_not_configured",
            ErrorCode::LookupFailed => "lookup_failed",
            ErrorCode::OriginNotAllowed => "origin_not_allowed",
            ErrorCode::AddressUnresolvable => "address_unresolvable",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::OutOfRange => "out_of_range",
            ErrorCode::PrinterSlugMismatch => "printer_slug_mismatch",
            ErrorCode::MediaNotReported => "media_not_reported",
            ErrorCode::MediaUnknown => "media_unknown",
            ErrorCode::ReprintInvalid => "reprint_invalid",
            ErrorCode::PrinterUnreachable => "printer_unreachable",
            ErrorCode::PrinterUnidentified => "printer_unidentified",
            ErrorCode::SavedLabelExists => "saved_label_exists",
            ErrorCode::SavedLabelNotFound => "saved_label_not_found",
        }
    }

    /// The HTTP status of the code.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::PrinterNotFound
            | ErrorCode::JobNotFound
            | ErrorCode::BatchNotFound
            | ErrorCode::KeyNotFound
            | ErrorCode::SavedLabelNotFound
            | ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::InsufficientScope
            | ErrorCode::PrinterNotAllowed
            | ErrorCode::NotJobOwner
            | ErrorCode::OriginNotAllowed => StatusCode::FORBIDDEN,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::InvalidJobState
            | ErrorCode::PrinterBusy
            | ErrorCode::PrinterExists
            | ErrorCode::PrinterDisabled
            | ErrorCode::SavedLabelExists
            | ErrorCode::DuplicateJob => StatusCode::CONFLICT,
            ErrorCode::QueueFull | ErrorCode::RateLimited | ErrorCode::TooManySubscribers => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ErrorCode::InvalidRequest | ErrorCode::PrinterSlugMismatch => StatusCode::BAD_REQUEST,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::ContentTypeDataMismatch
            | ErrorCode::UnknownContentType
            | ErrorCode::DoesNotFit
            | ErrorCode::UnsupportedMedia
            | ErrorCode::Unprintable(_)
            | ErrorCode::Unrenderable(_)
            | ErrorCode::OutOfRange => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Unavailable | ErrorCode::ShuttingDown | ErrorCode::Overloaded => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::StoreError | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::LookupNotFound => StatusCode::NOT_FOUND,
            ErrorCode::LookupAmbiguous | ErrorCode::LookupNotConfigured => StatusCode::CONFLICT,
            ErrorCode::LookupFailed => StatusCode::BAD_GATEWAY,
            ErrorCode::AddressUnresolvable => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::MediaNotReported
            | ErrorCode::PrinterUnreachable
            | ErrorCode::PrinterUnidentified => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::MediaUnknown | ErrorCode::ReprintInvalid => StatusCode::CONFLICT,
        }
    }
}

impl ErrorCode {
    /// Every code the gateway can answer with (each sub-code of
    /// `Unprintable` and `Unrenderable` once).
    pub fn all() -> Vec<ErrorCode> {
        ErrorCode::ALL.to_vec()
    }

    /// The code named `code`, if the gateway has it (for `/problems/{code}`).
    pub fn named(code: &str) -> Option<ErrorCode> {
        ErrorCode::all().into_iter().find(|c| c.as_str() == code)
    }

    /// The problem's `title`: RFC 9110's name of the status (§15), which
    /// is newer than some reason phrases (`Content Too Large`,
    /// `Unprocessable Content`).
    pub fn title(self) -> &'static str {
        status_title(self.status())
    }

    /// What the code means and what to do about it (served at
    /// `/problems/{code}`).
    pub fn explanation(self) -> &'static str {
        match self {
            ErrorCode::PrinterNotFound => "No printer has that id or slug. List them with GET /api/printers.",
            ErrorCode::JobNotFound => "No job has that id (it may have been pruned by retention).",
            ErrorCode::BatchNotFound => "No batch has that id, or none of its jobs is on a printer the caller may see.",
            ErrorCode::NotFound => "No route has that path. The API is described at /api/openapi.json.",
            ErrorCode::MethodNotAllowed => "The route exists, but not for this method; the Allow header lists the methods it takes.",
            ErrorCode::InvalidJobState => "The job is not in a state that allows this (for example cancelling a completed job).",
            ErrorCode::PrinterBusy => "The printer has work that prevents this (for example removing a printer with queued jobs).",
            ErrorCode::PrinterExists => "Another printer already has that slug or id.",
            ErrorCode::PrinterDisabled => "The printer is disabled; enable it to print.",
            ErrorCode::DuplicateJob => "A job with that id exists already.",
            ErrorCode::QueueFull => "The printer's queue holds as many jobs as it may; wait for some to print (Retry-After).",
            ErrorCode::RateLimited => "The caller has made too many changes for now; wait as long as Retry-After says.",
            ErrorCode::TooManySubscribers => "As many event streams are open as the server or this key allows; close one or retry later.",
            ErrorCode::Unauthorized => "Credentials are missing, malformed, unknown, revoked or expired. Send Authorization: Bearer <key>.",
            ErrorCode::InsufficientScope => "The key's scope is below what this route needs (read < print < admin).",
            ErrorCode::PrinterNotAllowed => "The key is limited to other printers, or to some printers where this reaches all of them.",
            ErrorCode::NotJobOwner => "Below admin, a caller may cancel, hold, release and retry only the jobs it submitted.",
            ErrorCode::KeyNotFound => "No API key has that id.",
            ErrorCode::InvalidRequest => "The request does not parse or breaks a rule of its schema; detail says which field.",
            ErrorCode::PayloadTooLarge => "The body, or a field in it, is larger than the server takes; detail names the limit.",
            ErrorCode::ContentTypeDataMismatch => "The content type needs fields the data lacks; error_detail lists every missing one.",
            ErrorCode::UnknownContentType => "The content type is not one of the seven the renderer knows.",
            ErrorCode::DoesNotFit => "The label does not fit the loaded media; shorten the text or data, or use wider media.",
            ErrorCode::UnsupportedMedia => "The printer model cannot take that tape or roll.",
            ErrorCode::Unprintable(_) => "The raster does not suit the printer (width, length, cut or colour options); detail says how.",
            ErrorCode::Unrenderable(_) => "The label cannot be drawn as asked (template, glyphs, QR or barcode data, image); detail says why.",
            ErrorCode::Unavailable => "A part of the hub this needs is not running; retry later.",
            ErrorCode::ShuttingDown => "The hub is stopping and takes no new work.",
            ErrorCode::StoreError => "The database refused the change (full, read-only or failing); nothing was changed.",
            ErrorCode::Internal => "A defect in printhub; the log has the details. Please report it.",
            ErrorCode::LookupNotFound => "The app (Grocy, Snipe-IT, Spoolman) has no item with that identifier.",
            ErrorCode::LookupAmbiguous => "The identifier names several items in the app; use a more precise one.",
            ErrorCode::LookupNotConfigured => "That app is not configured on this hub.",
            ErrorCode::LookupFailed => "The app did not answer usefully (down, slow, an error or garbage).",
            ErrorCode::OriginNotAllowed => "A browser on that origin may not call this webhook.",
            ErrorCode::AddressUnresolvable => "The printer's host name does not resolve now; check the name (error_detail.field).",
            ErrorCode::UnsupportedMediaType => "The body's Content-Type is not one the route takes; JSON routes take application/json.",
            ErrorCode::RequestTimeout => "The request body did not arrive within the server's body deadline.",
            ErrorCode::Overloaded => "Too much image work is waiting already; retry after Retry-After seconds.",
            ErrorCode::OutOfRange => "A number is outside the range it takes; detail names the range.",
            ErrorCode::PrinterSlugMismatch => "The batch's printer_slug is not the slug of the printer in its path; error_detail has both. Nothing was queued.",
            ErrorCode::MediaNotReported => "media \"auto\" needs a printer that reports its medium (a PT over TCP, any model over USB or with an snmp agent); set a media id instead, or add the snmp agent.",
            ErrorCode::PrinterUnreachable => "Nothing answered at the printer's address (nor at its SNMP agent): check that it is on, the address and port, and that nothing blocks the hub.",
            ErrorCode::PrinterUnidentified => "Something answered at the address, but not as a Brother model printhub supports; error_detail.said has what it said. Give the model yourself if it is one of GET /api/models.",
            ErrorCode::ReprintInvalid => "The job's stored label request no longer lays out (its template or data is refused, or the label does not fit the medium now); error_detail.reason has the renderer's code. Nothing was queued.",
            ErrorCode::MediaUnknown => "The printer's media is \"auto\" and it has not reported a medium yet: check that it is on and loaded, or set its media. Nothing was queued.",
            ErrorCode::SavedLabelExists => "Another saved label already has that name (names are compared whatever their case); error_detail.existing is its id. Choose another name, or replace that label with PUT. Nothing was saved.",
            ErrorCode::SavedLabelNotFound => "No saved label has that id (it may have been deleted). List them with GET /api/saved-labels.",
        }
    }
}

/// RFC 9110 §15's name for `status` (the reason phrases of the `http`
/// crate predate some of them).
pub fn status_title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// An error answered as problem+json.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The stable code (chooses the status).
    pub code: ErrorCode,
    /// A human-readable explanation.
    pub detail: String,
    /// Structured detail (missing fields, the offending item, ...).
    pub error_detail: Option<serde_json::Value>,
    /// Seconds for a `Retry-After` header (429s).
    pub retry_after: Option<u64>,
    /// Further response headers (`Allow` on a 405, the `RateLimit-*` trio).
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        ApiError {
            code,
            detail: detail.into(),
            error_detail: None,
            retry_after: None,
            headers: Vec::new(),
        }
    }

    /// The same error with one more response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// `invalid_request` (400).
    pub fn invalid(detail: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::InvalidRequest, detail)
    }

    /// The same error as the fault of a batch's `item` (0-based): the
    /// message says so and `error_detail.item` names it.
    pub fn at_item(mut self, item: usize) -> Self {
        let mut detail = match self.error_detail.take() {
            Some(serde_json::Value::Object(map)) => map,
            Some(other) => {
                let mut map = serde_json::Map::new();
                map.insert("detail".into(), other);
                map
            }
            None => serde_json::Map::new(),
        };
        detail.insert("item".into(), item.into());
        self.detail = format!("item {item}: {}", self.detail);
        self.error_detail = Some(serde_json::Value::Object(detail));
        self
    }

    /// The same error with a `Retry-After` of `seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The same error with structured detail.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.error_detail = Some(detail);
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

/// The problem+json body.
#[derive(Debug, Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    error_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_detail: Option<&'a serde_json::Value>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let code = self.code.as_str();
        let body = Problem {
            // A relative reference (RFC 9457 §3.1.1): resolved against the
            // request, it is this hub's own explanation page.
            kind: format!("/problems/{code}"),
            title: self.code.title(),
            status: status.as_u16(),
            detail: &self.detail,
            error_code: code,
            error_detail: self.error_detail.as_ref(),
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        for (name, value) in &self.headers {
            response.insert_header((*name, value.as_str()));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        if self.code == ErrorCode::Unauthorized {
            response.insert_header((
                actix_web::http::header::WWW_AUTHENTICATE,
                "Bearer realm=\"printhub\"",
            ));
        }
        response.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        let detail = match &e {
            HubError::InvalidPrinter { field, .. }
            | HubError::AddressUnresolvable { field, .. } => {
                Some(serde_json::json!({ "field": field }))
            }
            HubError::UnsupportedMedia { .. } | HubError::MediaNotReported { .. } => {
                Some(serde_json::json!({ "field": "media" }))
            }
            HubError::ReprintInvalid { reason, .. } => {
                Some(serde_json::json!({ "reason": reason }))
            }
            HubError::PrinterUnreachable { .. } => Some(serde_json::json!({ "field": "address" })),
            HubError::TooManyCopies { limit, .. } => {
                Some(serde_json::json!({ "field": "copies", "limit": limit }))
            }
            HubError::PrinterUnidentified { said } => {
                Some(serde_json::json!({ "field": "address", "said": said }))
            }
            HubError::Command(printhub_core::CommandError::Invalid(v)) => {
                Some(serde_json::json!({ "field": v.field() }))
            }
            _ => None,
        };
        ApiError {
            code: ErrorCode::from(e.kind()),
            detail: e.to_string(),
            error_detail: detail,
            retry_after: None,
            headers: Vec::new(),
        }
    }
}

impl From<RenderError> for ApiError {
    fn from(e: RenderError) -> Self {
        let detail = match &e {
            RenderError::ContentTypeDataMismatch {
                content_type,
                missing,
            } => Some(serde_json::json!({ "content_type": content_type, "missing": missing })),
            RenderError::DoesNotFit {
                what,
                detail,
                fits_chars,
            } => Some(match fits_chars {
                Some(n) => serde_json::json!({ "what": what, "detail": detail, "fits_chars": n }),
                None => serde_json::json!({ "what": what, "detail": detail }),
            }),
            RenderError::ImageTooLarge {
                width,
                height,
                limit,
            } => Some(serde_json::json!({
                "width": width, "height": height, "limit": limit,
            })),
            RenderError::TooLarge {
                field,
                unit,
                limit,
                actual,
            } => Some(serde_json::json!({
                "field": field, "unit": unit, "limit": limit, "actual": actual,
            })),
            RenderError::OutOfRange {
                field,
                min,
                max,
                actual,
            } => Some(serde_json::json!({
                "field": field, "min": min, "max": max, "actual": actual,
            })),
            _ => None,
        };
        ApiError {
            code: ErrorCode::from(e.kind()),
            detail: e.to_string(),
            error_detail: detail,
            retry_after: None,
            headers: Vec::new(),
        }
    }
}

// From each crate's typed code to the answer. Every `match` names every
// variant (no `_` arm): a code added below fails this build until it has one.

impl From<HubCode> for ErrorCode {
    fn from(code: HubCode) -> Self {
        match code {
            HubCode::PrinterNotFound => ErrorCode::PrinterNotFound,
            HubCode::JobNotFound => ErrorCode::JobNotFound,
            HubCode::PrinterExists => ErrorCode::PrinterExists,
            HubCode::PrinterBusy => ErrorCode::PrinterBusy,
            HubCode::InvalidPrinter => ErrorCode::InvalidRequest,
            HubCode::AddressUnresolvable => ErrorCode::AddressUnresolvable,
            HubCode::UnsupportedMedia => ErrorCode::UnsupportedMedia,
            HubCode::MediaNotReported => ErrorCode::MediaNotReported,
            HubCode::MediaUnknown => ErrorCode::MediaUnknown,
            HubCode::ReprintInvalid => ErrorCode::ReprintInvalid,
            HubCode::PrinterUnreachable => ErrorCode::PrinterUnreachable,
            HubCode::PrinterUnidentified => ErrorCode::PrinterUnidentified,
            HubCode::TooManyCopies => ErrorCode::InvalidRequest,
            HubCode::Command(code) => code.into(),
            HubCode::Encode(code) => code.into(),
            HubCode::Store(code) => code.into(),
            HubCode::Unavailable => ErrorCode::Unavailable,
            HubCode::ShuttingDown => ErrorCode::ShuttingDown,
        }
    }
}

impl From<CommandCode> for ErrorCode {
    fn from(code: CommandCode) -> Self {
        match code {
            CommandCode::JobNotFound => ErrorCode::JobNotFound,
            CommandCode::InvalidJobState => ErrorCode::InvalidJobState,
            CommandCode::QueueFull => ErrorCode::QueueFull,
            CommandCode::PrinterDisabled => ErrorCode::PrinterDisabled,
            CommandCode::DuplicateJob => ErrorCode::DuplicateJob,
            CommandCode::InvalidRequest => ErrorCode::InvalidRequest,
        }
    }
}

impl From<EncodeCode> for ErrorCode {
    fn from(code: EncodeCode) -> Self {
        match code {
            EncodeCode::UnsupportedMedia => ErrorCode::UnsupportedMedia,
            EncodeCode::UnsupportedOption
            | EncodeCode::InvalidCutEvery
            | EncodeCode::NoLabels
            | EncodeCode::LabelWidthMismatch
            | EncodeCode::LabelLengthOutOfRange
            | EncodeCode::DieCutLengthMismatch
            | EncodeCode::InvalidRedLayer => ErrorCode::Unprintable(code),
        }
    }
}

impl From<RenderCode> for ErrorCode {
    fn from(code: RenderCode) -> Self {
        match code {
            RenderCode::UnsupportedMedia => ErrorCode::UnsupportedMedia,
            RenderCode::ContentTypeDataMismatch => ErrorCode::ContentTypeDataMismatch,
            RenderCode::DoesNotFit => ErrorCode::DoesNotFit,
            RenderCode::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            RenderCode::OutOfRange => ErrorCode::OutOfRange,
            RenderCode::MissingGlyphs
            | RenderCode::TemplateParse
            | RenderCode::UnknownTemplate
            | RenderCode::UnknownField
            | RenderCode::QrTooLarge
            | RenderCode::BarcodeCharset
            | RenderCode::ImageDecode
            | RenderCode::ImageTooLarge
            | RenderCode::RedUnsupported => ErrorCode::Unrenderable(code),
            // A font that does not parse or a preview that does not encode
            // is a defect of printhub, not of the request.
            RenderCode::FontLoad | RenderCode::PreviewEncode => ErrorCode::Internal,
        }
    }
}

impl From<StoreCode> for ErrorCode {
    /// The store's failures all answer `store_error` (500): a client can do
    /// nothing different for a full disk than for a read-only one, and the
    /// detail names which it was. A taken slug is the registry's
    /// `printer_exists`.
    fn from(code: StoreCode) -> Self {
        match code {
            StoreCode::PrinterExists => ErrorCode::PrinterExists,
            StoreCode::SavedLabelExists => ErrorCode::SavedLabelExists,
            StoreCode::Error
            | StoreCode::OpenFailed
            | StoreCode::MigrationFailed
            | StoreCode::Corrupt
            | StoreCode::Full
            | StoreCode::ReadOnly
            | StoreCode::Closed
            | StoreCode::EncodeFailed
            | StoreCode::Io
            | StoreCode::LegacySchema => ErrorCode::StoreError,
        }
    }
}

impl From<LookupCode> for ErrorCode {
    fn from(code: LookupCode) -> Self {
        match code {
            LookupCode::NotFound => ErrorCode::LookupNotFound,
            LookupCode::Ambiguous => ErrorCode::LookupAmbiguous,
            LookupCode::NotConfigured => ErrorCode::LookupNotConfigured,
            LookupCode::Failed => ErrorCode::LookupFailed,
            // The configuration was checked at start-up; a bad one here is a defect.
            LookupCode::InvalidConfig => ErrorCode::Internal,
        }
    }
}

impl From<crate::auth::KeyError> for ApiError {
    fn from(e: crate::auth::KeyError) -> Self {
        use crate::auth::KeyError;
        match &e {
            KeyError::Invalid { field, message } => ApiError::invalid(message.clone())
                .with_detail(serde_json::json!({ "field": field })),
            KeyError::NotFound(_) => ApiError::new(ErrorCode::KeyNotFound, e.to_string()),
            KeyError::Store(store) => ApiError::new(ErrorCode::from(store.kind()), e.to_string()),
            KeyError::Internal(_) => ApiError::new(ErrorCode::Internal, e.to_string()),
        }
    }
}

impl From<printhub_store::StoreError> for ApiError {
    fn from(e: printhub_store::StoreError) -> Self {
        ApiError::new(ErrorCode::from(e.kind()), e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::new(ErrorCode::Unavailable, format!("render task failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_name_a_status_and_an_explanation() {
        // That ALL holds every variant once is tested with the OpenAPI
        // document (tests/gateway/openapi.rs).
        let all = ErrorCode::all();
        for code in all {
            assert_eq!(ErrorCode::named(code.as_str()), Some(code));
            assert!(code.status().is_client_error() || code.status().is_server_error());
            assert!(!code.explanation().is_empty());
        }
    }

    /// Every code the gateway answers with and its status, spelled out: a
    /// change to either shows here first.
    #[test]
    fn every_code_and_its_status() {
        let expected: &[(&str, u16)] = &[
            ("printer_not_found", 404),
            ("job_not_found", 404),
            ("batch_not_found", 404),
            ("not_found", 404),
            ("method_not_allowed", 405),
            ("invalid_job_state", 409),
            ("printer_busy", 409),
            ("printer_exists", 409),
            ("printer_disabled", 409),
            ("duplicate_job", 409),
            ("queue_full", 429),
            ("rate_limited", 429),
            ("too_many_subscribers", 429),
            ("unauthorized", 401),
            ("insufficient_scope", 403),
            ("printer_not_allowed", 403),
            ("not_job_owner", 403),
            ("key_not_found", 404),
            ("invalid_request", 400),
            ("payload_too_large", 413),
            ("content_type_data_mismatch", 422),
            ("unknown_content_type", 422),
            ("does_not_fit", 422),
            ("unsupported_media", 422),
            ("label_width_mismatch", 422),
            ("label_length_out_of_range", 422),
            ("die_cut_length_mismatch", 422),
            ("invalid_red_layer", 422),
            ("unsupported_option", 422),
            ("invalid_cut_every", 422),
            ("no_labels", 422),
            ("missing_glyphs", 422),
            ("template_parse", 422),
            ("unknown_template", 422),
            ("unknown_field", 422),
            ("qr_too_large", 422),
            ("barcode_charset", 422),
            ("image_decode", 422),
            ("image_too_large", 422),
            ("red_unsupported", 422),
            ("unavailable", 503),
            ("shutting_down", 503),
            ("store_error", 500),
            ("internal_error", 500),
            ("lookup_not_found", 404),
            ("lookup_ambiguous", 409),
            ("lookup_not_configured", 409),
            ("lookup_failed", 502),
            ("origin_not_allowed", 403),
            ("address_unresolvable", 422),
            ("unsupported_media_type", 415),
            ("request_timeout", 408),
            ("overloaded", 503),
            ("out_of_range", 422),
            ("printer_slug_mismatch", 400),
            ("media_not_reported", 422),
            ("media_unknown", 409),
            ("reprint_invalid", 409),
            ("printer_unreachable", 422),
            ("printer_unidentified", 422),
            ("saved_label_exists", 409),
            ("saved_label_not_found", 404),
        ];
        let got: Vec<(&str, u16)> = ErrorCode::ALL
            .iter()
            .map(|c| (c.as_str(), c.status().as_u16()))
            .collect();
        assert_eq!(got, expected);
    }

    /// Every typed code of the crates below, with the `error_code` and status
    /// it is answered with.
    #[test]
    fn every_engine_render_and_lookup_code_has_its_answer() {
        fn answer(code: impl Into<ErrorCode>) -> (&'static str, u16) {
            let code: ErrorCode = code.into();
            assert!(
                ErrorCode::ALL.contains(&code),
                "{} is answered but not listed in ErrorCode::ALL",
                code.as_str()
            );
            (code.as_str(), code.status().as_u16())
        }
        let hub: Vec<(HubCode, (&str, u16))> =
            HubCode::all().into_iter().map(|c| (c, answer(c))).collect();
        let expected_hub = vec![
            (HubCode::PrinterNotFound, ("printer_not_found", 404)),
            (HubCode::JobNotFound, ("job_not_found", 404)),
            (HubCode::PrinterExists, ("printer_exists", 409)),
            (HubCode::PrinterBusy, ("printer_busy", 409)),
            (HubCode::InvalidPrinter, ("invalid_request", 400)),
            (HubCode::AddressUnresolvable, ("address_unresolvable", 422)),
            (HubCode::UnsupportedMedia, ("unsupported_media", 422)),
            (HubCode::MediaNotReported, ("media_not_reported", 422)),
            (HubCode::MediaUnknown, ("media_unknown", 409)),
            (HubCode::ReprintInvalid, ("reprint_invalid", 409)),
            (HubCode::PrinterUnreachable, ("printer_unreachable", 422)),
            (HubCode::PrinterUnidentified, ("printer_unidentified", 422)),
            (HubCode::TooManyCopies, ("invalid_request", 400)),
            (HubCode::Unavailable, ("unavailable", 503)),
            (HubCode::ShuttingDown, ("shutting_down", 503)),
            (
                HubCode::Command(CommandCode::JobNotFound),
                ("job_not_found", 404),
            ),
            (
                HubCode::Command(CommandCode::InvalidJobState),
                ("invalid_job_state", 409),
            ),
            (
                HubCode::Command(CommandCode::QueueFull),
                ("queue_full", 429),
            ),
            (
                HubCode::Command(CommandCode::PrinterDisabled),
                ("printer_disabled", 409),
            ),
            (
                HubCode::Command(CommandCode::DuplicateJob),
                ("duplicate_job", 409),
            ),
            (
                HubCode::Command(CommandCode::InvalidRequest),
                ("invalid_request", 400),
            ),
            (
                HubCode::Encode(EncodeCode::UnsupportedMedia),
                ("unsupported_media", 422),
            ),
            (
                HubCode::Encode(EncodeCode::UnsupportedOption),
                ("unsupported_option", 422),
            ),
            (
                HubCode::Encode(EncodeCode::InvalidCutEvery),
                ("invalid_cut_every", 422),
            ),
            (HubCode::Encode(EncodeCode::NoLabels), ("no_labels", 422)),
            (
                HubCode::Encode(EncodeCode::LabelWidthMismatch),
                ("label_width_mismatch", 422),
            ),
            (
                HubCode::Encode(EncodeCode::LabelLengthOutOfRange),
                ("label_length_out_of_range", 422),
            ),
            (
                HubCode::Encode(EncodeCode::DieCutLengthMismatch),
                ("die_cut_length_mismatch", 422),
            ),
            (
                HubCode::Encode(EncodeCode::InvalidRedLayer),
                ("invalid_red_layer", 422),
            ),
            (HubCode::Store(StoreCode::Error), ("store_error", 500)),
            (HubCode::Store(StoreCode::OpenFailed), ("store_error", 500)),
            (
                HubCode::Store(StoreCode::MigrationFailed),
                ("store_error", 500),
            ),
            (HubCode::Store(StoreCode::Corrupt), ("store_error", 500)),
            (HubCode::Store(StoreCode::Full), ("store_error", 500)),
            (HubCode::Store(StoreCode::ReadOnly), ("store_error", 500)),
            (HubCode::Store(StoreCode::Closed), ("store_error", 500)),
            (
                HubCode::Store(StoreCode::EncodeFailed),
                ("store_error", 500),
            ),
            (
                HubCode::Store(StoreCode::PrinterExists),
                ("printer_exists", 409),
            ),
            (
                HubCode::Store(StoreCode::SavedLabelExists),
                ("saved_label_exists", 409),
            ),
            (HubCode::Store(StoreCode::Io), ("store_error", 500)),
            (
                HubCode::Store(StoreCode::LegacySchema),
                ("store_error", 500),
            ),
        ];
        assert_eq!(hub, expected_hub);
        // The engine's own string and the answer agree wherever the engine
        // names a code the gateway has (all but the store's, which it groups).
        for (code, (wire, _)) in &hub {
            if !matches!(code, HubCode::Store(_)) {
                assert_eq!(code.code(), *wire, "{code:?}");
            }
        }

        let render: Vec<(RenderCode, (&str, u16))> =
            RenderCode::ALL.iter().map(|c| (*c, answer(*c))).collect();
        let expected_render = vec![
            (RenderCode::UnsupportedMedia, ("unsupported_media", 422)),
            (
                RenderCode::ContentTypeDataMismatch,
                ("content_type_data_mismatch", 422),
            ),
            (RenderCode::DoesNotFit, ("does_not_fit", 422)),
            (RenderCode::MissingGlyphs, ("missing_glyphs", 422)),
            (RenderCode::TemplateParse, ("template_parse", 422)),
            (RenderCode::UnknownTemplate, ("unknown_template", 422)),
            (RenderCode::UnknownField, ("unknown_field", 422)),
            (RenderCode::QrTooLarge, ("qr_too_large", 422)),
            (RenderCode::BarcodeCharset, ("barcode_charset", 422)),
            (RenderCode::ImageDecode, ("image_decode", 422)),
            (RenderCode::ImageTooLarge, ("image_too_large", 422)),
            (RenderCode::RedUnsupported, ("red_unsupported", 422)),
            (RenderCode::PayloadTooLarge, ("payload_too_large", 413)),
            (RenderCode::OutOfRange, ("out_of_range", 422)),
            (RenderCode::FontLoad, ("internal_error", 500)),
            (RenderCode::PreviewEncode, ("internal_error", 500)),
        ];
        assert_eq!(render, expected_render);

        let lookup: Vec<(LookupCode, (&str, u16))> =
            LookupCode::ALL.iter().map(|c| (*c, answer(*c))).collect();
        let expected_lookup = vec![
            (LookupCode::NotFound, ("lookup_not_found", 404)),
            (LookupCode::Ambiguous, ("lookup_ambiguous", 409)),
            (LookupCode::NotConfigured, ("lookup_not_configured", 409)),
            (LookupCode::Failed, ("lookup_failed", 502)),
            (LookupCode::InvalidConfig, ("internal_error", 500)),
        ];
        assert_eq!(lookup, expected_lookup);
    }

    #[test]
    fn titles_are_rfc_9110_names() {
        // RFC 9110 §15.5.14 and §15.5.21 renamed 413 and 422.
        assert_eq!(ErrorCode::PayloadTooLarge.title(), "Content Too Large");
        assert_eq!(ErrorCode::DoesNotFit.title(), "Unprocessable Content");
        assert_eq!(ErrorCode::NotFound.title(), "Not Found");
        assert_eq!(
            ErrorCode::UnsupportedMediaType.title(),
            "Unsupported Media Type"
        );
    }
}
