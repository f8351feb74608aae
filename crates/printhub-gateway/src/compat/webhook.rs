//! Label Printer Hub's webhooks (issue #19): `POST /api/webhook/spoolman`
//! (`{spool_id, type, quantity?}`) and `POST /api/webhook/grocy`
//! (`{product_id, type, quantity?}`) print the item's label — looked up
//! through the configured lookups, as `POST /print` with a `lookup` does, so
//! a spool prints with its spool template and a product with its product
//! template — on the first enabled printer, and answer `202 {job_id}`.
//!
//! The credential is the `X-API-Key` header, equal to the one configured
//! webhook key ([`LegacyWebhookConfig`], `[compat] webhook_key` or
//! `PRINTER_HUB_WEBHOOK_API_KEY`), compared in constant time
//! ([`crate::auth::keys::same_secret`]). The routes are `public` rows of the
//! route table: the handler checks the key, as printhub's own webhooks check
//! their token. The order of the checks is the order a refusal is cheapest
//! and tells least:
//!
//! ```text
//!  no key configured ─► 503 unavailable      (nothing read)
//!  wrong/missing key ─► 401 "Invalid API key" (nothing read)
//!  over the rate     ─► 429 rate_limit_exceeded (per key, Limits::check_webhook)
//!  body              ─► 422 validation_error  (missing field, an integer id: strict types)
//!  no enabled printer ─► 503 unavailable     (no upstream call)
//!  lookup            ─► 404 lookup_not_found, 409, 502 (as for POST /print)
//!  render + queue    ─► 202 {job_id, status, printer_id}
//! ```
//!
//! Unknown body fields are ignored (as there). `type` (the app's event
//! name) and `quantity` are accepted and written to the log with the job;
//! they change nothing: the reference never said what they did, and
//! printing `quantity` labels for a stock or weight change would surprise.
//!
//! **Architecture Invariant:** a refused call queues nothing: every check
//! comes before `HubHandle::submit`. Threading: plain handlers on the HTTP
//! workers; the lookup is async I/O, the render runs in `web::block`.

use super::LegacyQueuedView;
use crate::dto::SubmitJobRequest;
use crate::error::{ApiError, ErrorCode};
use crate::limits::Limits;
use crate::lookup::LookupRequest;
use actix_web::{web, HttpRequest, HttpResponse};
use printhub_actors::{HubHandle, PrintRequest, PrinterInfo};
use printhub_lookup::{App, Secret};
use serde::Deserialize;

/// The header carrying the webhook key.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// The shortest webhook key accepted, in non-whitespace characters (the
/// reference's rule).
pub const MIN_WEBHOOK_KEY_LEN: usize = 32;

/// Label Printer Hub's webhooks on this hub: read from
/// `web::Data<LegacyWebhookConfig>`; absent, or without a key, both
/// webhooks answer 503 (as there, with an empty key).
#[derive(Debug, Clone, Default)]
pub struct LegacyWebhookConfig {
    /// The value `X-API-Key` must have (redacted in `Debug`).
    pub api_key: Option<Secret>,
    /// Calls a minute (`None`: [`crate::LimitsConfig::webhook_rate_limit_per_minute`]).
    pub rate_limit_per_minute: Option<u32>,
}

/// Why a configured webhook key is refused at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKeyError {
    /// Fewer than [`MIN_WEBHOOK_KEY_LEN`] non-whitespace characters (how many it has).
    TooShort(usize),
}

impl std::fmt::Display for WebhookKeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebhookKeyError::TooShort(n) => write!(
                f,
                "the webhook key needs at least {MIN_WEBHOOK_KEY_LEN} non-whitespace characters \
                 (it has {n}); make one with `printhub keys secret`"
            ),
        }
    }
}

impl std::error::Error for WebhookKeyError {}

impl LegacyWebhookConfig {
    /// The webhooks with `key` as the reference read it: trimmed; empty
    /// means no key (the webhooks answer 503); otherwise it needs
    /// [`MIN_WEBHOOK_KEY_LEN`] non-whitespace characters.
    pub fn with_key(key: Option<&str>) -> Result<LegacyWebhookConfig, WebhookKeyError> {
        let key = key.map(str::trim).filter(|k| !k.is_empty());
        if let Some(k) = key {
            let n = k.chars().filter(|c| !c.is_whitespace()).count();
            if n < MIN_WEBHOOK_KEY_LEN {
                return Err(WebhookKeyError::TooShort(n));
            }
        }
        Ok(LegacyWebhookConfig {
            api_key: key.map(Secret::new),
            rate_limit_per_minute: None,
        })
    }
}

/// `POST /api/webhook/spoolman`: print a Spoolman spool's label.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[schemars(extend("additionalProperties" = true))]
pub struct SpoolmanHookRequest {
    /// The spool's id, as a JSON string (a number is refused, as there).
    pub spool_id: String,
    /// Spoolman's event name; logged with the job, changes nothing.
    #[serde(rename = "type")]
    pub kind: String,
    /// Logged with the job, changes nothing (one label is printed).
    #[serde(default)]
    pub quantity: Option<f64>,
}

/// `POST /api/webhook/grocy`: print a Grocy product's label.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[schemars(extend("additionalProperties" = true))]
pub struct GrocyHookRequest {
    /// The product's id, as a JSON string (a number is refused, as there).
    pub product_id: String,
    /// Grocy's event name; logged with the job, changes nothing.
    #[serde(rename = "type")]
    pub kind: String,
    /// Logged with the job, changes nothing (one label is printed).
    #[serde(default)]
    pub quantity: Option<f64>,
}

/// One posted call, whichever app it came from.
struct Call {
    app: App,
    id: String,
    kind: String,
    quantity: Option<f64>,
}

impl From<SpoolmanHookRequest> for Call {
    fn from(r: SpoolmanHookRequest) -> Self {
        Call {
            app: App::Spoolman,
            id: r.spool_id,
            kind: r.kind,
            quantity: r.quantity,
        }
    }
}

impl From<GrocyHookRequest> for Call {
    fn from(r: GrocyHookRequest) -> Self {
        Call {
            app: App::Grocy,
            id: r.product_id,
            kind: r.kind,
            quantity: r.quantity,
        }
    }
}

type Config = Option<web::Data<LegacyWebhookConfig>>;
type Lookups = Option<web::Data<printhub_lookup::Lookups>>;

/// `POST /api/webhook/spoolman`.
pub(crate) async fn spoolman(
    hub: web::Data<HubHandle>,
    config: Config,
    lookups: Lookups,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    handle::<SpoolmanHookRequest>(&hub, &config, &lookups, &req, payload).await
}

/// `POST /api/webhook/grocy`.
pub(crate) async fn grocy(
    hub: web::Data<HubHandle>,
    config: Config,
    lookups: Lookups,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    handle::<GrocyHookRequest>(&hub, &config, &lookups, &req, payload).await
}

/// Either webhook: [`accept`], then [`print`].
async fn handle<T: HookBody + Into<Call>>(
    hub: &HubHandle,
    config: &Config,
    lookups: &Lookups,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    match accept::<T>(config, req, payload).await? {
        Ok(call) => print(hub, lookups, req, call.into()).await,
        Err(invalid) => Ok(invalid),
    }
}

/// The key, the rate limit and the body: the call, or its 422 answer.
async fn accept<T: HookBody>(
    config: &Config,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Result<T, HttpResponse>, ApiError> {
    let config = config.as_deref().cloned().unwrap_or_default();
    let Some(key) = &config.api_key else {
        return Err(ApiError::new(
            ErrorCode::Unavailable,
            "the webhooks are off: no webhook key is configured \
             ([compat] webhook_key or PRINTER_HUB_WEBHOOK_API_KEY)",
        )
        .with_detail(serde_json::json!({ "reason": "webhook_key_not_configured" })));
    };
    let presented = req
        .headers()
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !crate::auth::keys::same_secret(presented, key.expose()) {
        return Err(ApiError::new(ErrorCode::Unauthorized, "Invalid API key"));
    }
    Limits::of(req).check_webhook("label-printer-hub", config.rate_limit_per_minute)?;
    let body = match crate::lookup::webhook::read_body(req, payload).await {
        Ok(body) => body,
        // What does not parse is a validation error there (FastAPI's 422).
        Err(e) if e.code == ErrorCode::InvalidRequest => {
            return Ok(Err(Invalid::new(e.detail, None, "json_invalid").response()))
        }
        Err(e) => return Err(e),
    };
    if let Err(invalid) = check_fields(&body, T::ID) {
        return Ok(Err(invalid.response()));
    }
    Ok(serde_json::from_value::<T>(body).map_err(|e| {
        Invalid::new(format!("invalid webhook body: {e}"), None, "value_error").response()
    }))
}

/// A webhook body: the name of its id field.
trait HookBody: serde::de::DeserializeOwned {
    /// `spool_id` or `product_id`.
    const ID: &'static str;
}

impl HookBody for SpoolmanHookRequest {
    const ID: &'static str = "spool_id";
}

impl HookBody for GrocyHookRequest {
    const ID: &'static str = "product_id";
}

/// A body the reference's strict schema refuses: what was wrong, the field
/// (if one), and pydantic's name for the error.
#[derive(Debug)]
struct Invalid {
    message: String,
    field: Option<String>,
    kind: &'static str,
}

impl Invalid {
    fn new(message: String, field: Option<&str>, kind: &'static str) -> Invalid {
        Invalid {
            message,
            field: field.map(str::to_owned),
            kind,
        }
    }

    /// 422 `validation_error`, Label Printer Hub's answer (FastAPI's
    /// `{detail: [{loc, msg, type}]}` is under `error_detail.errors`).
    fn response(self) -> HttpResponse {
        let loc = match &self.field {
            Some(f) => serde_json::json!(["body", f]),
            None => serde_json::json!(["body"]),
        };
        let body = serde_json::json!({
            "type": "/problems",
            "title": crate::error::status_title(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY),
            "status": 422,
            "detail": self.message,
            "error_code": VALIDATION_ERROR,
            "error_message": self.message,
            "error_detail": {
                "field": self.field,
                "errors": [{ "loc": loc, "msg": self.message, "type": self.kind }],
            },
        });
        HttpResponse::UnprocessableEntity()
            .content_type("application/problem+json")
            .body(body.to_string())
    }
}

/// The body's fields checked as the reference's strict schema did, so a
/// refusal names its field and what was wrong (pydantic's error types):
/// the id and `type` are required strings, `quantity` an optional number;
/// other fields are ignored.
fn check_fields(body: &serde_json::Value, id: &str) -> Result<(), Invalid> {
    use serde_json::Value;
    let Value::Object(fields) = body else {
        return Err(Invalid::new(
            "the body must be a JSON object".into(),
            None,
            "model_attributes_type",
        ));
    };
    for name in [id, "type"] {
        match fields.get(name) {
            None => {
                return Err(Invalid::new(
                    format!("{name}: field required"),
                    Some(name),
                    "missing",
                ))
            }
            Some(Value::String(_)) => {}
            Some(other) => {
                return Err(Invalid::new(
                    format!("{name}: a string is required, got {other}"),
                    Some(name),
                    "string_type",
                ))
            }
        }
    }
    match fields.get("quantity") {
        None | Some(Value::Null) | Some(Value::Number(_)) => Ok(()),
        Some(other) => Err(Invalid::new(
            format!("quantity: a number is required, got {other}"),
            Some("quantity"),
            "float_type",
        )),
    }
}

/// The code of a body the webhooks refuse (one of [`super::LEGACY_CODES`]).
pub(crate) const VALIDATION_ERROR: &str = "validation_error";

/// The first enabled printer, in slug order (`GET /api/printers`), as
/// Label Printer Hub printed on its first enabled one; none is 503.
async fn first_enabled(hub: &HubHandle) -> Result<PrinterInfo, ApiError> {
    hub.list_printers()
        .await?
        .into_iter()
        .find(|p| p.enabled)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unavailable,
                "no enabled printer: add or enable one to print from the webhooks",
            )
            .with_detail(serde_json::json!({ "reason": "no_enabled_printer" }))
        })
}

/// Looks the item up, renders its label and queues it on the first enabled printer.
async fn print(
    hub: &HubHandle,
    lookups: &Lookups,
    req: &HttpRequest,
    call: Call,
) -> Result<HttpResponse, ApiError> {
    let info = first_enabled(hub).await?;
    let request = SubmitJobRequest {
        content_type: None,
        template: None,
        data: None,
        lookup: Some(LookupRequest {
            app: call.app.as_str().to_string(),
            id: call.id.clone(),
        }),
        text: None,
        orientation: None,
        copies: None,
        options: Default::default(),
    };
    let request = crate::lookup::resolve(crate::lookup::get(lookups), request).await?;
    let (spec, copies, options) = crate::routes::job_parts(request)?;
    let (model, media) = crate::routes::printer_media(&info)?;
    let label = Limits::of(req)
        .render(spec.render.clone(), model, media)
        .await?;
    let mut print = PrintRequest::new(label)
        .copies(copies)
        .with_defaults(options);
    print.content_type = spec.content_type;
    print.template = spec.template;
    // Kept with the job to lay it out again if the tape changes (issue #20).
    print.source = Some(spec.render);
    print.submitted_by = Some(format!("webhook:label-printer-hub/{}", call.app.as_str()));
    print.source_address = crate::lookup::webhook::source_address(req);
    let job = hub.submit(&info.id.to_string(), print).await?;
    log::info!(
        "Label Printer Hub webhook: {} {:?} (type {:?}, quantity {:?}) queued as job {} on {}",
        call.app.as_str(),
        call.id,
        call.kind,
        call.quantity,
        job.id,
        info.slug
    );
    Ok(HttpResponse::Accepted().json(LegacyQueuedView {
        job_id: job.id,
        status: "queued".into(),
        printer_id: info.id,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_trimmed_empty_is_off_and_short_is_refused() {
        let long = "k".repeat(MIN_WEBHOOK_KEY_LEN);
        let c = LegacyWebhookConfig::with_key(Some(&format!("  {long}\n"))).expect("long");
        assert!(c.api_key.as_ref().is_some_and(|k| k.matches(&long)));
        assert!(!format!("{c:?}").contains(&long), "redacted: {c:?}");
        for off in [None, Some(""), Some("   ")] {
            let c = LegacyWebhookConfig::with_key(off).expect("off");
            assert!(c.api_key.is_none(), "{off:?}");
        }
        let short = "k".repeat(MIN_WEBHOOK_KEY_LEN - 1);
        assert_eq!(
            LegacyWebhookConfig::with_key(Some(&short)).map(|_| ()),
            Err(WebhookKeyError::TooShort(MIN_WEBHOOK_KEY_LEN - 1))
        );
        // Whitespace inside does not count.
        let spaced = format!("{} {}", "k".repeat(16), "k".repeat(15));
        assert_eq!(
            LegacyWebhookConfig::with_key(Some(&spaced)).map(|_| ()),
            Err(WebhookKeyError::TooShort(31))
        );
    }

    #[test]
    fn bodies_are_strict_about_types_and_open_to_unknown_fields() {
        let ok: SpoolmanHookRequest = serde_json::from_value(
            serde_json::json!({"spool_id": "3", "type": "updated", "quantity": 2, "extra": 1}),
        )
        .expect("ok");
        assert_eq!(
            (ok.spool_id.as_str(), ok.kind.as_str(), ok.quantity),
            ("3", "updated", Some(2.0))
        );
        for bad in [
            serde_json::json!({"spool_id": 3, "type": "updated"}),
            serde_json::json!({"type": "updated"}),
            serde_json::json!({"spool_id": "3"}),
            serde_json::json!({"spool_id": "3", "type": "x", "quantity": "2"}),
        ] {
            assert!(
                serde_json::from_value::<SpoolmanHookRequest>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        // The checks name the field and what was wrong with it.
        let refused = |body: serde_json::Value| {
            let invalid = check_fields(&body, GrocyHookRequest::ID).expect_err("refused");
            (invalid.field.clone(), invalid.kind)
        };
        let field = |f: &str| Some(f.to_string());
        assert_eq!(
            refused(serde_json::json!({"type": "x"})),
            (field("product_id"), "missing")
        );
        assert_eq!(
            refused(serde_json::json!({"product_id": 12, "type": "x"})),
            (field("product_id"), "string_type")
        );
        assert_eq!(
            refused(serde_json::json!({"product_id": "12", "type": "x", "quantity": "1"})),
            (field("quantity"), "float_type")
        );
        assert_eq!(
            refused(serde_json::json!(["12"])),
            (None, "model_attributes_type")
        );
        let resp = Invalid::new("x".into(), None, "missing").response();
        assert_eq!(resp.status(), 422);
        assert!(check_fields(
            &serde_json::json!({"product_id": "12", "type": "x", "quantity": null, "more": {}}),
            GrocyHookRequest::ID
        )
        .is_ok());
    }
}
