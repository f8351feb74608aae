//! Lookups over HTTP: `GET /api/lookup/{app}/{id}` (an item from Grocy,
//! Snipe-IT or Spoolman as a [`LookupView`]), `GET /api/integrations`, the
//! `lookup: {app, id}` field of job, batch and preview requests
//! ([`resolve`]), the webhooks ([`webhook`]) and the QR landing pages
//! ([`landing`]).
//!
//! Reads `web::Data<printhub_lookup::Lookups>` (absent: no app configured)
//! and `web::Data<WebhookConfig>` (absent: no webhook). A lookup error maps by
//! its stable code: `not_found` → 404 `lookup_not_found`, `ambiguous` → 409
//! `lookup_ambiguous`, `not_configured` → 409 `lookup_not_configured`,
//! `failed` → 502 `lookup_failed`.

pub mod landing;
pub mod webhook;

pub use webhook::{print_label, GenericWebhook, GrocyWebhook, WebhookConfig};

use crate::dto::{PreviewRequest, SubmitJobRequest};
use crate::error::{ApiError, ErrorCode};
use actix_web::{web, HttpResponse};
use futures_util::StreamExt as _;
use printhub_lookup::{App, Found, LookupError, Lookups};
use printhub_render::{LabelData, TemplateRef};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// `lookup: {app, id}` in a job, batch item or preview request (parsed
/// from [`LookupWire`], which also takes Label Printer Hub's `identifier`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "LookupWire")]
pub struct LookupRequest {
    /// `grocy`, `snipeit` or `spoolman`.
    pub app: String,
    /// What a person typed or scanned.
    pub id: String,
}

/// `lookup` as it comes: `id`, or Label Printer Hub's name for it,
/// `identifier` (exactly one of them).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = crate::openapi::lookup_rules)]
pub struct LookupWire {
    /// `grocy`, `snipeit` or `spoolman`.
    #[schemars(with = "printhub_lookup::App")]
    pub app: String,
    /// What a person typed or scanned.
    #[serde(default)]
    pub id: Option<String>,
    /// Label Printer Hub's name for `id`.
    #[serde(default)]
    pub identifier: Option<String>,
}

impl TryFrom<LookupWire> for LookupRequest {
    type Error = String;

    fn try_from(w: LookupWire) -> Result<Self, String> {
        match (w.id, w.identifier) {
            (Some(id), None) | (None, Some(id)) => Ok(LookupRequest { app: w.app, id }),
            (Some(_), Some(_)) => Err("lookup: give id or identifier, not both".into()),
            (None, None) => Err("lookup: missing field `id`".into()),
        }
    }
}

/// An item found (`GET /api/lookup/{app}/{id}`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct LookupView {
    pub app: App,
    /// An identifier that finds the same item again.
    pub id: String,
    pub title: String,
    pub data: LabelData,
    /// The built-in template it prints with.
    pub template: String,
    /// The item's page in its app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(url)]
    pub url: Option<String>,
}

impl From<Found> for LookupView {
    fn from(f: Found) -> Self {
        LookupView {
            app: f.app,
            id: f.id,
            title: f.title,
            data: f.data,
            template: f.template.to_string(),
            url: f.url,
        }
    }
}

/// One entry of `GET /api/integrations`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct IntegrationView {
    pub app: App,
    /// Whether lookups in it work on this hub.
    pub configured: bool,
    /// Whether its webhook is set up (Grocy only; `null` for the others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<bool>,
}

impl From<LookupError> for ApiError {
    fn from(e: LookupError) -> Self {
        let code = ErrorCode::from(e.kind());
        let detail = match &e {
            LookupError::NotFound { app, id, reason } => {
                serde_json::json!({ "app": app, "id": id, "reason": reason })
            }
            LookupError::Ambiguous {
                app,
                id,
                candidates,
            } => serde_json::json!({ "app": app, "id": id, "candidates": candidates }),
            LookupError::NotConfigured { app } => serde_json::json!({ "app": app }),
            LookupError::Failed { app, reason } => {
                serde_json::json!({ "app": app, "reason": reason })
            }
            LookupError::InvalidConfig { field, .. } => serde_json::json!({ "field": field }),
        };
        ApiError::new(code, e.to_string()).with_detail(detail)
    }
}

/// The app named in a path or request.
fn app(name: &str) -> Result<App, ApiError> {
    App::from_name(name).ok_or_else(|| {
        ApiError::invalid(format!("unknown app {name:?}")).with_detail(serde_json::json!({
            "field": "app",
            "known": App::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        }))
    })
}

/// Looks up `id` in `app` (`not_configured` when there are no lookups at all).
async fn find(lookups: Option<&Lookups>, app: App, id: &str) -> Result<Found, ApiError> {
    match lookups {
        Some(l) => Ok(l.lookup(app, id).await?),
        None => Err(LookupError::NotConfigured { app }.into()),
    }
}

type MaybeLookups = Option<web::Data<Lookups>>;

/// The lookups in `web::Data`, if the app has them.
pub(crate) fn get(lookups: &MaybeLookups) -> Option<&Lookups> {
    lookups.as_ref().map(|d| d.get_ref())
}

/// `GET /api/lookup/{app}/{id}`.
pub(crate) async fn lookup(
    lookups: MaybeLookups,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (name, id) = path.into_inner();
    let found = find(get(&lookups), app(&name)?, &id).await?;
    Ok(HttpResponse::Ok().json(LookupView::from(found)))
}

/// `GET /api/integrations`: which lookups (and webhooks) this hub offers.
pub(crate) async fn integrations(
    lookups: MaybeLookups,
    webhooks: Option<web::Data<WebhookConfig>>,
) -> Result<HttpResponse, ApiError> {
    let views: Vec<IntegrationView> = App::ALL
        .into_iter()
        .map(|app| IntegrationView {
            app,
            configured: lookups.as_ref().is_some_and(|l| l.is_configured(app)),
            webhook: (app == App::Grocy)
                .then(|| webhooks.as_ref().is_some_and(|w| w.grocy.is_some())),
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

/// The label fields a lookup fills.
struct LabelFields<'a> {
    lookup: &'a mut Option<LookupRequest>,
    content_type: &'a Option<String>,
    template: &'a mut Option<TemplateRef>,
    data: &'a mut Option<LabelData>,
}

impl LabelFields<'_> {
    /// Checks the combination: `lookup` excludes `data`.
    fn take(&mut self) -> Result<Option<LookupRequest>, ApiError> {
        let Some(lookup) = self.lookup.take() else {
            return Ok(None);
        };
        if self.data.is_some() {
            return Err(ApiError::invalid("give either lookup or data, not both")
                .with_detail(serde_json::json!({ "fields": ["lookup", "data"] })));
        }
        if self.content_type.is_some() && self.template.is_some() {
            return Err(
                ApiError::invalid("give either content_type or template, not both")
                    .with_detail(serde_json::json!({ "fields": ["content_type", "template"] })),
            );
        }
        Ok(Some(lookup))
    }

    /// Fills `data` and, unless the request chose a layout, the item's template.
    fn fill(self, found: Found) {
        *self.data = Some(found.data);
        if self.content_type.is_none() && self.template.is_none() {
            *self.template = Some(TemplateRef::Name(found.template.to_string()));
        }
    }
}

fn job_fields(r: &mut SubmitJobRequest) -> LabelFields<'_> {
    LabelFields {
        lookup: &mut r.lookup,
        content_type: &r.content_type,
        template: &mut r.template,
        data: &mut r.data,
    }
}

/// Replaces a job request's `lookup` by the item's data (and its template,
/// unless `content_type` or `template` was given). Without `lookup` it is
/// returned as it came.
pub(crate) async fn resolve(
    lookups: Option<&Lookups>,
    mut request: SubmitJobRequest,
) -> Result<SubmitJobRequest, ApiError> {
    let mut fields = job_fields(&mut request);
    if let Some(l) = fields.take()? {
        let found = find(lookups, app(&l.app)?, &l.id).await?;
        fields.fill(found);
    }
    Ok(request)
}

/// [`resolve`] for a preview request.
pub(crate) async fn resolve_preview(
    lookups: Option<&Lookups>,
    mut request: PreviewRequest,
) -> Result<PreviewRequest, ApiError> {
    let mut fields = LabelFields {
        lookup: &mut request.lookup,
        content_type: &request.content_type,
        template: &mut request.template,
        data: &mut request.data,
    };
    if let Some(l) = fields.take()? {
        let found = find(lookups, app(&l.app)?, &l.id).await?;
        fields.fill(found);
    }
    Ok(request)
}

/// A batch item's failure: its index and the error.
type ItemError = (usize, ApiError);

/// How many lookups of one batch run at once.
const BATCH_CONCURRENCY: usize = 8;

/// [`resolve`] for every batch item: each distinct lookup once, a few at a
/// time; the first failure names its item index.
pub(crate) async fn resolve_batch(
    lookups: Option<&Lookups>,
    mut items: Vec<SubmitJobRequest>,
) -> Result<Vec<SubmitJobRequest>, ItemError> {
    let mut wanted: Vec<(usize, LookupRequest)> = Vec::new();
    for (i, item) in items.iter_mut().enumerate() {
        if let Some(l) = job_fields(item).take().map_err(|e| (i, e))? {
            wanted.push((i, l));
        }
    }
    let mut distinct: Vec<(usize, LookupRequest)> = Vec::new();
    for (i, l) in &wanted {
        if !distinct.iter().any(|(_, d)| d == l) {
            distinct.push((*i, l.clone()));
        }
    }
    let results: Vec<(LookupRequest, Result<Found, ItemError>)> =
        futures_util::stream::iter(distinct)
            .map(|(i, l)| async move {
                let found = match app(&l.app) {
                    Ok(a) => find(lookups, a, &l.id).await,
                    Err(e) => Err(e),
                };
                (l, found.map_err(|e| (i, e)))
            })
            .buffered(BATCH_CONCURRENCY)
            .collect()
            .await;
    let mut found: HashMap<LookupRequest, Found> = HashMap::new();
    for (l, result) in results {
        found.insert(l, result?);
    }
    for (i, l) in wanted {
        if let Some(item) = found.get(&l) {
            job_fields(&mut items[i]).fill(item.clone());
        }
    }
    Ok(items)
}
