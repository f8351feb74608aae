//! Saved labels (issue #24): the routes under `/api/saved-labels` that keep
//! a print form on the hub under a name, for one printer or for any, and
//! give it back to fill the form again. [`SavedLabels`] is the handle the
//! composition root hands in (`web::Data`, over the store); the DTOs are
//! [`SaveLabelRequest`] and [`SavedLabelView`].
//!
//! A label is checked as `POST /api/printers/{key}/jobs` checks its body,
//! without drawing it: the request must parse as a [`SubmitJobRequest`],
//! name a content type or built-in template the renderer knows, carry every
//! field its content type needs, and keep copies, options and sizes within
//! their limits; what would fail there fails here with the same code. A
//! `lookup` is refused: a saved label keeps the label itself. Names are
//! trimmed, 1–100 characters, and unique whatever their case.
//!
//! **Architecture Invariant:** a key limited to some printers sees, saves,
//! replaces and deletes only labels for those printers or for any printer;
//! every change is audited (`saved_label.create|update|delete`) like printer
//! changes. Reads and writes run in `web::block` (the store blocks).

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use printhub_actors::HubHandle;
use printhub_core::PrinterId;
use printhub_store::{SavedLabelRecord, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::admin::record;
use crate::auth::{now, Auth, Caller};
use crate::dto::{rfc3339, SubmitJobRequest};
use crate::error::{ApiError, ErrorCode};
use crate::extract::JsonBody;
use crate::routes::{allowed_printer, job_parts};

/// The longest name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// The saved labels of the hub, over its store (cheap to clone).
#[derive(Debug, Clone)]
pub struct SavedLabels {
    store: Arc<Store>,
}

impl SavedLabels {
    /// The labels kept in `store`.
    pub fn new(store: Arc<Store>) -> SavedLabels {
        SavedLabels { store }
    }
}

/// `POST /api/saved-labels` and `PUT /api/saved-labels/{id}`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveLabelRequest {
    /// What people pick it by: 1–100 characters (leading and trailing
    /// spaces are dropped), unique whatever its case.
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    /// The printer it is for (id or slug); absent or null: any printer.
    #[serde(default)]
    pub printer: Option<String>,
    /// The label: the body `POST /api/printers/{key}/jobs` takes (without
    /// `lookup`), checked as it checks it, without drawing it.
    #[schemars(with = "SubmitJobRequest")]
    pub request: Value,
}

/// A saved label.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct SavedLabelView {
    #[schemars(with = "uuid::Uuid")]
    pub id: String,
    pub name: String,
    /// The printer it was saved for; null: any printer.
    #[schemars(with = "Option<uuid::Uuid>")]
    pub printer_id: Option<String>,
    /// The label request, as saved (the body of a job submission).
    pub request: Value,
    /// Who saved it first (`key:<id>`, `anonymous`, `proxy:<user>`).
    pub created_by: String,
    #[schemars(with = "crate::openapi::DateTime")]
    pub created_at: String,
    #[schemars(with = "crate::openapi::DateTime")]
    pub updated_at: String,
}

impl From<SavedLabelRecord> for SavedLabelView {
    fn from(r: SavedLabelRecord) -> Self {
        SavedLabelView {
            id: r.id,
            name: r.name,
            printer_id: r.printer_id,
            request: r.request,
            created_by: r.created_by,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

type Labels = Option<web::Data<SavedLabels>>;
type ApiResult = Result<HttpResponse, ApiError>;

fn labels_of(labels: Labels) -> Result<web::Data<SavedLabels>, ApiError> {
    labels.ok_or_else(|| {
        ApiError::new(
            ErrorCode::Unavailable,
            "this server keeps no saved labels (it was started without a store)",
        )
    })
}

/// The store's refusals, with the field they are about.
fn store_error(e: StoreError) -> ApiError {
    match &e {
        StoreError::NameTaken { existing, .. } => {
            let existing = existing.clone();
            ApiError::new(ErrorCode::SavedLabelExists, e.to_string())
                .with_detail(json!({ "field": "name", "existing": existing }))
        }
        _ => ApiError::from(e),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorCode::SavedLabelNotFound,
        format!("no saved label has the id {id}"),
    )
    .with_detail(json!({ "id": id }))
}

/// The id in the path, as the store keeps it (a UUID in lower case).
fn label_id(raw: &str) -> Result<String, ApiError> {
    raw.parse::<uuid::Uuid>()
        .map(|u| u.to_string())
        .map_err(|e| {
            ApiError::invalid(format!("invalid saved label id {raw:?}: {e}"))
                .with_detail(json!({ "field": "id" }))
        })
}

/// `printer_not_allowed` (403) unless the caller may use the label's printer
/// (a label for any printer is everyone's).
fn check_label(caller: &Caller, label: &SavedLabelRecord) -> Result<(), ApiError> {
    match printer_of(label) {
        Some(printer) => caller.check_printer(printer),
        None => Ok(()),
    }
}

fn printer_of(label: &SavedLabelRecord) -> Option<PrinterId> {
    label
        .printer_id
        .as_deref()
        .and_then(|p| p.parse::<uuid::Uuid>().ok())
        .map(PrinterId::from_uuid)
}

/// Whether the caller may see `label`.
fn visible(caller: &Caller, label: &SavedLabelRecord) -> bool {
    check_label(caller, label).is_ok()
}

/// The trimmed name, or why it cannot be one.
fn checked_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 {
        return Err(ApiError::invalid("name: give the label a name")
            .with_detail(json!({ "field": "name" })));
    }
    if chars > MAX_NAME_CHARS {
        return Err(ApiError::invalid(format!(
            "name: {chars} characters is too long; at most {MAX_NAME_CHARS}"
        ))
        .with_detail(json!({ "field": "name", "limit": MAX_NAME_CHARS })));
    }
    if name.chars().any(char::is_control) {
        return Err(
            ApiError::invalid("name: line breaks and control characters are not allowed")
                .with_detail(json!({ "field": "name" })),
        );
    }
    Ok(name.to_owned())
}

/// Checks `request` as a job submission is checked, without drawing it.
fn check_request(request: &Value) -> Result<(), ApiError> {
    let parsed: SubmitJobRequest = serde_json::from_value(request.clone()).map_err(|e| {
        ApiError::invalid(format!("request: {e}")).with_detail(json!({ "field": "request" }))
    })?;
    if parsed.lookup.is_some() {
        return Err(ApiError::invalid(
            "request.lookup: a saved label keeps the label itself, not a lookup; \
             look the item up first, then save the label it gives",
        )
        .with_detail(json!({ "field": "request.lookup" })));
    }
    if let Some(printhub_render::TemplateRef::Name(name)) = &parsed.template {
        printhub_render::Template::builtin(name)?;
    }
    job_parts(parsed).map(|_| ())
}

/// The checked name, printer and request of a body.
async fn checked(
    hub: &HubHandle,
    caller: &Caller,
    body: SaveLabelRequest,
) -> Result<(String, Option<PrinterId>, Value), ApiError> {
    let name = checked_name(&body.name)?;
    let printer = match body.printer.as_deref() {
        Some(key) => Some(allowed_printer(hub, caller, key).await?.id),
        None => None,
    };
    check_request(&body.request)?;
    Ok((name, printer, body.request))
}

/// What the audit log keeps of a label: its name and printer (never the request).
fn audit_detail(label: &SavedLabelRecord) -> Value {
    json!({ "name": label.name, "printer_id": label.printer_id })
}

/// `GET /api/saved-labels`: every label the caller may use, by name.
pub(crate) async fn list(labels: Labels, caller: Caller) -> ApiResult {
    let labels = labels_of(labels)?;
    let rows = web::block(move || labels.store.load_saved_labels())
        .await?
        .map_err(store_error)?;
    let views: Vec<SavedLabelView> = rows
        .into_iter()
        .filter(|l| visible(&caller, l))
        .map(SavedLabelView::from)
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Label `raw`, if the caller may use it (400, 404, then 403).
async fn load_allowed(
    labels: &web::Data<SavedLabels>,
    caller: &Caller,
    raw: &str,
) -> Result<SavedLabelRecord, ApiError> {
    let id = label_id(raw)?;
    let store = Arc::clone(&labels.store);
    let key = id.clone();
    let label = web::block(move || store.load_saved_label(&key))
        .await?
        .map_err(store_error)?
        .ok_or_else(|| not_found(&id))?;
    check_label(caller, &label)?;
    Ok(label)
}

/// `GET /api/saved-labels/{id}`.
pub(crate) async fn get(labels: Labels, caller: Caller, id: web::Path<String>) -> ApiResult {
    let labels = labels_of(labels)?;
    let label = load_allowed(&labels, &caller, &id).await?;
    Ok(HttpResponse::Ok().json(SavedLabelView::from(label)))
}

/// `POST /api/saved-labels`.
pub(crate) async fn create(
    hub: web::Data<HubHandle>,
    labels: Labels,
    auth: Option<web::Data<Auth>>,
    caller: Caller,
    body: JsonBody<SaveLabelRequest>,
) -> ApiResult {
    let labels = labels_of(labels)?;
    let (name, printer, request) = checked(&hub, &caller, body.0).await?;
    let at = now();
    let label = SavedLabelRecord {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        printer_id: printer.map(|p| p.to_string()),
        request,
        created_by: caller.actor(),
        created_at: at,
        updated_at: at,
    };
    let stored = label.clone();
    web::block(move || labels.store.insert_saved_label(&stored))
        .await?
        .map_err(store_error)?;
    let detail = audit_detail(&label);
    record(
        auth.as_ref(),
        &caller,
        "saved_label.create",
        label.id.clone(),
        Some(detail),
    )
    .await;
    Ok(HttpResponse::Created().json(SavedLabelView::from(label)))
}

/// `PUT /api/saved-labels/{id}`: a new name, printer and request for a label.
pub(crate) async fn replace(
    hub: web::Data<HubHandle>,
    labels: Labels,
    auth: Option<web::Data<Auth>>,
    caller: Caller,
    id: web::Path<String>,
    body: JsonBody<SaveLabelRequest>,
) -> ApiResult {
    let labels = labels_of(labels)?;
    let before = load_allowed(&labels, &caller, &id).await?;
    let (name, printer, request) = checked(&hub, &caller, body.0).await?;
    let new = SavedLabelRecord {
        name,
        printer_id: printer.map(|p| p.to_string()),
        request,
        updated_at: now(),
        ..before.clone()
    };
    let store = Arc::clone(&labels.store);
    let label = web::block(move || store.replace_saved_label(&new))
        .await?
        .map_err(store_error)?
        .ok_or_else(|| not_found(&before.id))?;
    let detail = json!({ "before": audit_detail(&before), "after": audit_detail(&label) });
    record(
        auth.as_ref(),
        &caller,
        "saved_label.update",
        label.id.clone(),
        Some(detail),
    )
    .await;
    Ok(HttpResponse::Ok().json(SavedLabelView::from(label)))
}

/// `DELETE /api/saved-labels/{id}`.
pub(crate) async fn delete(
    labels: Labels,
    auth: Option<web::Data<Auth>>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult {
    let labels = labels_of(labels)?;
    let label = load_allowed(&labels, &caller, &id).await?;
    let store = Arc::clone(&labels.store);
    let key = label.id.clone();
    web::block(move || store.delete_saved_label(&key))
        .await?
        .map_err(store_error)?
        .ok_or_else(|| not_found(&label.id))?;
    record(
        auth.as_ref(),
        &caller,
        "saved_label.delete",
        label.id.clone(),
        Some(audit_detail(&label)),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded_in_characters() {
        assert_eq!(checked_name("  Shelf 7 ").ok(), Some("Shelf 7".to_string()));
        assert!(checked_name(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        for bad in ["", "   ", "two\nlines"] {
            let err = checked_name(bad).expect_err(bad);
            assert_eq!(err.code, ErrorCode::InvalidRequest);
            assert_eq!(err.error_detail, Some(json!({ "field": "name" })));
        }
        let long = checked_name(&"x".repeat(MAX_NAME_CHARS + 1)).expect_err("long");
        assert_eq!(
            long.error_detail,
            Some(json!({ "field": "name", "limit": MAX_NAME_CHARS }))
        );
    }
}
