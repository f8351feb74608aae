//! Webhooks: `POST /api/webhooks/grocy/{token}` takes Grocy's label-printer
//! payload (JSON with `LABEL_PRINTER_HOOK_JSON`, form-encoded otherwise) and
//! `POST /api/webhooks/{token}` prints a configured template with the posted
//! fields (Home Assistant, scripts). The token in the URL is the credential
//! (Grocy cannot send headers): compared in constant time, a wrong one is 401
//! `unauthorized` before the body is read, and nothing is queued.
//!
//! Grocy's answers: Grocy's `WebhookRunner` lets any 4xx/5xx or timeout
//! surface in Grocy's own API call (a "one label per unit" purchase stops
//! half way), so the Grocy webhook answers 202 with the job when the label is
//! queued, 200 `{"status": "rejected", "code", "detail"}` (logged as a
//! warning) when it is refused for a reason a person can fix on the hub later
//! (no printer configured, an unknown or disabled printer, a full queue, tape
//! it does not fit on), and 4xx only for a wrong token or a payload that can
//! never print (not a Grocy label, a template Grocy's fields do not map onto).
//!
//! Neither calls an upstream: the payload carries the data, so a webhook is
//! render + durable enqueue and is answered well inside Grocy's 2 s timeout.
//! Each token has its own rate limit ([`Limits::check_webhook`]: the hook's
//! `rate_limit_per_minute`, else the configured default), checked after the
//! token and before the body is read; the body has the gateway's size limit
//! and deadline, and the label its size limits ([`crate::limits`]).
//! Jobs record `submitted_by` = `webhook:grocy` or `webhook:<name>`, and
//! the caller's address as the middleware would for any other route
//! ([`Auth::source_address`]: the trusted proxy's `X-Forwarded-For` when it
//! proved its secret, else the peer).

use crate::auth::Auth;
use crate::dto::JobView;
use crate::error::{ApiError, ErrorCode};
use crate::limits::Limits;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use printhub_actors::{HubHandle, PrintRequest};
use printhub_lookup::{grocy, Secret};
use printhub_render::{Item, LabelData, RenderRequest, TemplateRef};
use serde_json::{Map, Value};

/// The webhooks this hub accepts.
#[derive(Debug, Clone, Default)]
pub struct WebhookConfig {
    /// Grocy's label-printer webhook.
    pub grocy: Option<GrocyWebhook>,
    /// Generic webhooks, each with its own token.
    pub hooks: Vec<GenericWebhook>,
}

/// `[integrations.grocy]` webhook settings.
#[derive(Debug, Clone)]
pub struct GrocyWebhook {
    /// The token in the webhook URL.
    pub token: Secret,
    /// The printer (id or slug) when the payload names none.
    pub printer: Option<String>,
    /// The template when the payload names none (default `product`).
    pub template: Option<String>,
    /// Browser origins (`scheme://host[:port]`) allowed to call the webhook
    /// cross-origin: Grocy with `LABEL_PRINTER_RUN_SERVER = false` posts from
    /// the user's browser on Grocy's page, not from its server.
    pub allowed_origins: Vec<String>,
    /// Calls a minute (`None`: [`crate::LimitsConfig::webhook_rate_limit_per_minute`]).
    pub rate_limit_per_minute: Option<u32>,
}

/// One `[[webhook]]`.
#[derive(Debug, Clone)]
pub struct GenericWebhook {
    /// Its name (recorded as `webhook:<name>`).
    pub name: String,
    /// The token in its URL.
    pub token: Secret,
    /// The printer (id or slug).
    pub printer: String,
    /// The built-in template it prints.
    pub template: String,
    /// Calls a minute (`None`: [`crate::LimitsConfig::webhook_rate_limit_per_minute`]).
    pub rate_limit_per_minute: Option<u32>,
}

fn unauthorized() -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, "unknown webhook token")
}

fn grocy_hook<'a>(
    webhooks: &'a Option<web::Data<WebhookConfig>>,
    token: &str,
) -> Result<&'a GrocyWebhook, ApiError> {
    webhooks
        .as_ref()
        .and_then(|w| w.grocy.as_ref())
        .filter(|g| g.token.matches(token))
        .ok_or_else(unauthorized)
}

/// The request's `Origin` if the hook accepts it for cross-origin calls.
fn allowed_origin(req: &HttpRequest, hook: &GrocyWebhook) -> Option<HeaderValue> {
    let origin = req.headers().get(header::ORIGIN)?;
    let text = origin.to_str().ok()?;
    hook.allowed_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(text))
        .then(|| origin.clone())
}

/// `OPTIONS /api/webhooks/grocy/{token}`: the CORS preflight a browser sends
/// before Grocy's client-side webhook call (JSON bodies are not a "simple"
/// request). 204 with the CORS headers for an allowed origin; 403
/// `origin_not_allowed` otherwise; a wrong token is 401 as for the POST.
///
/// Written here rather than with `actix-cors`: the allowed origins are runtime
/// configuration ([`WebhookConfig`] app data) of this one route, which a
/// middleware built at `configure` time cannot see.
pub(crate) async fn grocy_webhook_preflight(
    webhooks: Option<web::Data<WebhookConfig>>,
    token: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let hook = grocy_hook(&webhooks, &token)?;
    let origin = allowed_origin(&req, hook).ok_or_else(|| {
        ApiError::new(
            ErrorCode::OriginNotAllowed,
            "this origin may not call the webhook from a browser: add it to \
             integrations.grocy.webhook_origins",
        )
    })?;
    let method_ok = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .is_some_and(|m| m.as_bytes() == b"POST");
    if !method_ok {
        return Err(ApiError::invalid(
            "a preflight for this webhook asks for POST (Access-Control-Request-Method)",
        ));
    }
    Ok(HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
        .insert_header((header::VARY, "Origin"))
        .finish())
}

/// `POST /api/webhooks/grocy/{token}`. From an allowed browser origin the
/// answer (success or problem) carries `Access-Control-Allow-Origin`, so
/// Grocy's page can read it.
pub(crate) async fn grocy_webhook(
    hub: web::Data<HubHandle>,
    webhooks: Option<web::Data<WebhookConfig>>,
    token: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let hook = grocy_hook(&webhooks, &token)?;
    let origin = allowed_origin(&req, hook);
    let mut response = match grocy_print(&hub, hook, &req, payload).await {
        Ok(response) => response,
        Err(e) => actix_web::ResponseError::error_response(&e),
    };
    if let Some(origin) = origin {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    Ok(response)
}

async fn grocy_print(
    hub: &HubHandle,
    hook: &GrocyWebhook,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let limits = Limits::of(req);
    limits.check_webhook("grocy", hook.rate_limit_per_minute)?;
    let body = read_body(req, payload).await?;
    let label = grocy::webhook_label(&body).map_err(|e| {
        ApiError::invalid(format!("not a Grocy label payload: {e}"))
            .with_detail(serde_json::json!({ "source": "grocy" }))
    })?;
    let template = label
        .template
        .clone()
        .or_else(|| hook.template.clone())
        .unwrap_or_else(|| grocy::TEMPLATE.to_string());
    // A template that cannot take Grocy's fields never prints: 422.
    let data = label.data_for(&template).map_err(|reason| {
        ApiError::new(ErrorCode::ContentTypeDataMismatch, reason)
            .with_detail(serde_json::json!({ "field": "template", "template": template }))
    })?;
    let Some(printer) = label.printer.clone().or_else(|| hook.printer.clone()) else {
        return Ok(grocy_rejected(
            &label,
            ApiError::invalid(
                "no printer: set integrations.grocy.printer or a `printer` in Grocy's LABEL_PRINTER_PARAMS",
            )
            .with_detail(serde_json::json!({ "field": "printer" })),
        ));
    };
    let by = Submitter {
        by: "webhook:grocy",
        source: source_address(req),
    };
    let job = match submit_label(hub, &limits, &printer, &template, data, by).await {
        Ok(job) => job,
        Err(e) if fixable_later(e.code) => return Ok(grocy_rejected(&label, e)),
        Err(e) => return Err(e),
    };
    log::info!(
        "grocy webhook: {:?} ({}) queued as job {} on {printer}",
        label.title,
        label.grocycode,
        job.id
    );
    Ok(HttpResponse::Accepted().json(job))
}

/// Whether a Grocy label refused with `code` could print once a person fixes
/// the hub (a printer configured, enabled, its queue drained, other tape
/// loaded): Grocy stops a "one label per unit" purchase half way on any
/// 4xx/5xx, so these answer 200 `{"status": "rejected", …}` instead.
fn fixable_later(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::PrinterNotFound
            | ErrorCode::PrinterDisabled
            | ErrorCode::QueueFull
            | ErrorCode::UnsupportedMedia
            | ErrorCode::MediaUnknown
            | ErrorCode::DoesNotFit
    )
}

/// 200 for a Grocy label not queued for a reason a person can fix later:
/// the problem's code and detail, logged as a warning.
fn grocy_rejected(label: &grocy::WebhookLabel, e: ApiError) -> HttpResponse {
    log::warn!(
        "grocy webhook: {:?} ({}) not printed: {} ({})",
        label.title,
        label.grocycode,
        e.detail,
        e.code.as_str()
    );
    HttpResponse::Ok().json(serde_json::json!({
        "status": "rejected",
        "code": e.code.as_str(),
        "detail": e.detail,
        "error_detail": e.error_detail,
        "grocycode": label.grocycode,
    }))
}

/// `POST /api/webhooks/{token}`.
pub(crate) async fn generic_webhook(
    hub: web::Data<HubHandle>,
    webhooks: Option<web::Data<WebhookConfig>>,
    token: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Every token is compared, so the time taken does not tell which one was close.
    let mut matched = None;
    for hook in webhooks.iter().flat_map(|w| w.hooks.iter()) {
        if hook.token.matches(&token) && matched.is_none() {
            matched = Some(hook);
        }
    }
    let hook = matched.ok_or_else(unauthorized)?;
    let limits = Limits::of(&req);
    limits.check_webhook(&hook.name, hook.rate_limit_per_minute)?;
    let body = read_body(&req, payload).await?;
    let data = label_data(body)?;
    let name = format!("webhook:{}", hook.name);
    let by = Submitter {
        by: &name,
        source: source_address(&req),
    };
    let job = submit_label(&hub, &limits, &hook.printer, &hook.template, data, by).await?;
    Ok(HttpResponse::Accepted().json(job))
}

/// Renders the built-in `template` with `data` for `printer` (id or slug)
/// and queues it, recording `submitted_by` (the Spoolman watcher: no
/// request, so no source address).
pub async fn print_label(
    hub: &HubHandle,
    printer: &str,
    template: &str,
    data: LabelData,
    submitted_by: &str,
) -> Result<JobView, ApiError> {
    let by = Submitter {
        by: submitted_by,
        source: None,
    };
    submit_label(hub, &Limits::process_default(), printer, template, data, by).await
}

/// Who a label is printed for: `submitted_by` and the source address.
struct Submitter<'a> {
    by: &'a str,
    source: Option<String>,
}

/// The address a webhook request came from (see the module doc).
pub(crate) fn source_address(req: &HttpRequest) -> Option<String> {
    let peer = req.peer_addr().map(|a| a.ip());
    match req.app_data::<web::Data<Auth>>() {
        Some(auth) => auth.source_address(req.headers(), peer),
        None => peer.map(|p| p.to_string()),
    }
}

async fn submit_label(
    hub: &HubHandle,
    limits: &Limits,
    printer: &str,
    template: &str,
    data: LabelData,
    submitter: Submitter<'_>,
) -> Result<JobView, ApiError> {
    let request = RenderRequest::template(TemplateRef::Name(template.to_string()), data);
    request.check_limits()?;
    let info = hub.printer(printer).await?;
    let (model, media) = crate::routes::printer_media(&info)?;
    let label = limits.render(request.clone(), model, media).await?;
    let mut print = PrintRequest::new(label);
    // Kept with the job to lay it out again if the tape changes (issue #20).
    print.source = Some(request);
    print.template = Some(template.to_string());
    print.submitted_by = Some(submitter.by.to_string());
    print.source_address = submitter.source;
    let job = hub.submit(&info.id.to_string(), print).await?;
    Ok(JobView::from(job))
}

/// The body as JSON: parsed as JSON when sent as JSON, else as form fields
/// (PHP bracket notation nested, as Grocy sends them).
pub(crate) async fn read_body(req: &HttpRequest, payload: web::Payload) -> Result<Value, ApiError> {
    let body = crate::extract::read_body(req, payload.into_inner()).await?;
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // `curl -d '{…}'` sends JSON labelled as a form: a body that is a JSON object is JSON.
    let looks_like_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if content_type.starts_with("application/json")
        || content_type.ends_with("+json")
        || (looks_like_json && serde_json::from_slice::<Value>(&body).is_ok())
    {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::invalid(format!("invalid JSON body: {e}"))
                .with_detail(serde_json::json!({ "line": e.line(), "column": e.column() }))
        })
    } else if content_type.is_empty()
        || content_type.starts_with("application/x-www-form-urlencoded")
    {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
            .map_err(|e| ApiError::invalid(format!("invalid form body: {e}")))?;
        Ok(grocy::form_to_json(pairs))
    } else {
        Err(ApiError::invalid(format!(
            "unsupported content type {content_type:?}: send JSON or form fields"
        ))
        .with_detail(serde_json::json!({ "field": "content-type" })))
    }
}

/// Posted fields as label data: `title`, `primary_id`, `qr_payload`,
/// `secondary` (a string or a list), `items` (strings or `{item}`), and every
/// other scalar as a template field.
fn label_data(body: Value) -> Result<LabelData, ApiError> {
    let Value::Object(fields) = body else {
        return Err(ApiError::invalid("the body must be an object of fields"));
    };
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let list = |v: &Value| -> Vec<Value> {
        match v {
            Value::Array(a) => a.clone(),
            Value::Object(o) => o.values().cloned().collect::<Vec<_>>(),
            other => vec![other.clone()],
        }
    };
    let mut data = LabelData::default();
    let mut extra = Map::new();
    for (key, value) in fields {
        match key.as_str() {
            "title" => data.title = text(&value),
            "primary_id" => data.primary_id = text(&value),
            "qr_payload" => data.qr_payload = text(&value),
            "secondary" => data.secondary = list(&value).iter().filter_map(text).collect(),
            "items" => {
                data.items = list(&value)
                    .iter()
                    .filter_map(|v| {
                        text(v)
                            .or_else(|| v.get("item").and_then(text))
                            .map(|item| Item {
                                item,
                                qr_payload: v.get("qr_payload").and_then(text),
                            })
                    })
                    .collect()
            }
            _ => {
                extra.insert(key, value);
            }
        }
    }
    for (key, value) in extra {
        if let Some(v) = text(&value) {
            data.fields.insert(key, v);
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn posted_fields_become_label_data() {
        let data = label_data(json!({
            "title": "Freezer", "primary_id": 7, "qr_payload": "https://x/7",
            "secondary": "Zone 2", "items": ["peas", {"item": "soup", "qr_payload": "s"}],
            "temperature": -18, "ok": true, "nested": {"a": 1},
        }))
        .expect("fields");
        assert_eq!(data.title.as_deref(), Some("Freezer"));
        assert_eq!(data.primary_id.as_deref(), Some("7"));
        assert_eq!(data.secondary, ["Zone 2"]);
        assert_eq!(data.items.len(), 2);
        assert_eq!(data.items[1].qr_payload.as_deref(), Some("s"));
        assert_eq!(data.fields["temperature"], "-18");
        assert_eq!(data.fields["ok"], "true");
        assert!(!data.fields.contains_key("nested"));
        assert!(label_data(json!([1])).is_err());
    }
}
