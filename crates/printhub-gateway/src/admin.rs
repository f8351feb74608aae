//! Auth and admin routes: `whoami`, API keys (create shows the secret once;
//! list and revoke never do) and the audit log, with their wire types.
//! Keys and the audit log span every printer, so they need an admin caller
//! without a printer allow-list (403 `printer_not_allowed` otherwise, as for
//! adding a printer).
//! Key and audit changes go through [`Auth`] (which persists them through
//! the store) in `web::block`, never on an HTTP worker's thread.

use actix_web::{web, HttpResponse};
use printhub_actors::HubHandle;
use printhub_core::PrinterId;
use serde::{Deserialize, Serialize};

use crate::auth::{Auth, Caller, Identity, KeyInfo, NewKey, Scope};
use crate::dto::rfc3339;
use crate::error::{ApiError, ErrorCode};
use crate::extract::JsonBody;

type ApiResult = Result<HttpResponse, ApiError>;

/// Who the caller is (`GET /api/auth/whoami`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct WhoAmIView {
    pub anonymous: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    pub name: String,
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        with = "Option<Vec<uuid::Uuid>>",
        description = "The printers the key may use (absent: all)"
    )]
    pub printers: Option<Vec<PrinterId>>,
}

/// An API key without its secret.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct KeyView {
    #[schemars(with = "crate::openapi::KeyId")]
    pub id: String,
    pub name: String,
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        with = "Option<Vec<uuid::Uuid>>",
        description = "The printers the key may use (absent: all)"
    )]
    pub printers: Option<Vec<String>>,
    #[schemars(with = "crate::openapi::DateTime")]
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub revoked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::openapi::DateTime>")]
    pub last_used_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_per_minute: Option<u32>,
}

impl From<KeyInfo> for KeyView {
    fn from(info: KeyInfo) -> Self {
        let r = info.record;
        KeyView {
            id: r.id,
            name: r.name,
            scope: info.scope,
            printers: r.printers,
            created_at: rfc3339(r.created_at),
            expires_at: r.expires_at.map(rfc3339),
            revoked_at: r.revoked_at.map(rfc3339),
            last_used_at: r.last_used_at.map(rfc3339),
            rate_limit_per_minute: r.rate_limit_per_minute,
        }
    }
}

/// A new key: the view plus the key itself, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct KeyCreatedView {
    #[serde(flatten)]
    pub view: KeyView,
    #[schemars(description = "The API key, `phk_<id>_<secret>`: shown only in this answer")]
    pub key: String,
}

/// `POST /api/admin/keys`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    #[schemars(
        length(min = 1, max = 100),
        description = "1..=100 characters once trimmed (blank: 400 invalid_request)"
    )]
    pub name: String,
    pub scope: Scope,
    #[serde(default)]
    #[schemars(
        with = "Option<Vec<crate::openapi::PrinterKey>>",
        description = "Printers (ids or slugs) the key may use; absent: all. An unknown one is 404 printer_not_found"
    )]
    pub printers: Option<Vec<String>>,
    /// RFC 3339; must be in the future.
    #[serde(default)]
    #[schemars(
        with = "Option<crate::openapi::DateTime>",
        description = "RFC 3339, in the future (a past time: 400 invalid_request)"
    )]
    pub expires_at: Option<String>,
    #[serde(default)]
    #[schemars(description = "Mutations a minute this key may make (absent: unlimited)")]
    pub rate_limit_per_minute: Option<u32>,
}

/// One audit row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct AuditView {
    pub id: i64,
    #[schemars(with = "crate::openapi::DateTime")]
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

/// A page of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct AuditListView {
    pub items: Vec<AuditView>,
    pub total: u64,
    pub limit: usize,
    pub offset: usize,
}

/// `?limit&offset` of the audit log.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    #[schemars(description = "Page size (default 50; clamped to 1..=500)")]
    pub limit: Option<usize>,
    #[serde(default)]
    #[schemars(description = "Rows to skip")]
    pub offset: Option<usize>,
}

/// Key management needs an admin without a printer allow-list.
const MANAGE_KEYS: &str = "manage API keys";

fn auth_of(auth: Option<web::Data<Auth>>) -> Result<web::Data<Auth>, ApiError> {
    auth.ok_or_else(|| ApiError::new(ErrorCode::Internal, "no auth policy configured"))
}

pub(crate) async fn whoami(caller: Caller) -> ApiResult {
    let (anonymous, key_id, name) = match &caller.identity {
        Identity::Anonymous => (true, None, "anonymous".to_string()),
        Identity::Key { id, name } => (false, Some(id.clone()), name.clone()),
        Identity::Proxy { user } => (false, None, user.clone()),
    };
    Ok(HttpResponse::Ok().json(WhoAmIView {
        anonymous,
        key_id,
        name,
        scope: caller.scope,
        printers: caller.printers.as_ref().map(|p| p.to_vec()),
    }))
}

pub(crate) async fn list_keys(auth: Option<web::Data<Auth>>, caller: Caller) -> ApiResult {
    caller.require_unlimited(MANAGE_KEYS)?;
    let auth = auth_of(auth)?;
    let keys: Vec<KeyView> = auth.list_keys().into_iter().map(KeyView::from).collect();
    Ok(HttpResponse::Ok().json(keys))
}

pub(crate) async fn create_key(
    auth: Option<web::Data<Auth>>,
    hub: web::Data<HubHandle>,
    caller: Caller,
    body: JsonBody<CreateKeyRequest>,
) -> ApiResult {
    caller.require_unlimited(MANAGE_KEYS)?;
    let auth = auth_of(auth)?;
    let r = body.0;
    let expires_at = match r.expires_at.as_deref() {
        Some(text) => {
            let at = crate::dto::parse_rfc3339(text).ok_or_else(|| {
                ApiError::invalid(format!("expires_at is not an RFC 3339 time: {text:?}"))
                    .with_detail(serde_json::json!({ "field": "expires_at" }))
            })?;
            Some(at)
        }
        None => None,
    };
    let printers = match r.printers {
        Some(keys) => {
            let mut ids = Vec::with_capacity(keys.len());
            for key in keys {
                let info = hub.printer(&key).await.map_err(|e| {
                    ApiError::from(e)
                        .with_detail(serde_json::json!({ "field": "printers", "printer": key }))
                })?;
                if !ids.contains(&info.id) {
                    ids.push(info.id);
                }
            }
            Some(ids)
        }
        None => None,
    };
    let new = NewKey {
        name: r.name,
        scope: r.scope,
        printers,
        expires_at,
        rate_limit_per_minute: r.rate_limit_per_minute,
    }
    .checked()?;
    let actor = caller.actor();
    let (info, key) = web::block(move || auth.create_key(new, &actor)).await??;
    Ok(HttpResponse::Created().json(KeyCreatedView {
        view: KeyView::from(info),
        key,
    }))
}

pub(crate) async fn revoke_key(
    auth: Option<web::Data<Auth>>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult {
    caller.require_unlimited(MANAGE_KEYS)?;
    let auth = auth_of(auth)?;
    let id = id.into_inner();
    let actor = caller.actor();
    let info = web::block(move || auth.revoke_key(&id, &actor)).await??;
    Ok(HttpResponse::Ok().json(KeyView::from(info)))
}

pub(crate) async fn audit_log(
    auth: Option<web::Data<Auth>>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> ApiResult {
    caller.require_unlimited("read the audit log")?;
    let auth = auth_of(auth)?;
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let offset = query.offset.unwrap_or(0);
    let (rows, total) = web::block(move || auth.audit_log(limit, offset)).await??;
    Ok(HttpResponse::Ok().json(AuditListView {
        items: rows
            .into_iter()
            .map(|r| AuditView {
                id: r.id,
                at: rfc3339(r.at),
                actor: r.actor,
                action: r.action,
                target: r.target,
                detail: r.detail,
            })
            .collect(),
        total,
        limit,
        offset,
    }))
}

/// Records an admin action made through the API (printer changes); a failure
/// to audit is logged, not answered: the change itself already happened.
pub(crate) async fn record(
    auth: Option<&web::Data<Auth>>,
    caller: &Caller,
    action: &'static str,
    target: String,
    detail: Option<serde_json::Value>,
) {
    let Some(auth) = auth.cloned() else {
        return;
    };
    let actor = caller.actor();
    let result = web::block(move || auth.audit(&actor, action, &target, detail)).await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::error!("audit {action}: {e}"),
        Err(e) => log::error!("audit {action}: {e}"),
    }
}
