//! The QR landing pages `/asset/{id}` (Snipe-IT), `/product/{id}` (Grocy)
//! and `/spool/{id}` (Spoolman): one static, self-contained HTML shell (no
//! external assets) whose script reads the id from the address, fetches
//! `../api/lookup/{app}/{id}` with the key from
//! `sessionStorage["printhub.apiKey"]` (if any) and offers a reprint on a
//! printer from `GET /api/printers`.
//!
//! The server writes nothing from the request into the page (only the app
//! name, from the route), so the shell is public and cacheable; the data it
//! shows comes through the API under the caller's key, set as text, never
//! as HTML. `/loc/{id}` is the location code Label Printer Hub printed; it
//! looked those up as Snipe-IT asset tags, and so does printhub.
//!
//! A visitor without a key (a phone scanning a label) sees the item's name
//! and each enabled printer's state when the hub's [`LandingConfig`] says
//! `public` (`GET /api/landing/{app}/{id}`, [`summary`]): nothing more, no
//! item fields, no reprint — that still needs a key.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use printhub_actors::HubHandle;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

/// Whether the landing pages show an item to a visitor without a key
/// (`[landing] public`). Absent from the app data: not public.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LandingConfig {
    /// The item's name and the printers' states without a key.
    pub public: bool,
}

/// What a visitor without a key sees of a printed code's item.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct LandingView {
    pub app: printhub_lookup::App,
    /// The identifier that finds the item again.
    pub id: String,
    /// The item's name.
    pub title: String,
    /// Every enabled printer: its name and state.
    pub printers: Vec<LandingPrinterView>,
}

/// A printer as a landing page shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct LandingPrinterView {
    pub name: String,
    #[schemars(with = "crate::openapi::PrinterStateName")]
    pub state: String,
}

/// `GET /api/landing/{app}/{id}`: with `[landing] public`, the item's name
/// and the enabled printers' states, to anyone; otherwise 401 (the page then
/// asks for a key and reads `/api/lookup` with it).
pub(crate) async fn summary(
    hub: web::Data<HubHandle>,
    config: Option<web::Data<LandingConfig>>,
    lookups: Option<web::Data<printhub_lookup::Lookups>>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    if !config.is_some_and(|c| c.public) {
        return Err(ApiError::new(
            ErrorCode::Unauthorized,
            "landing pages are not public on this hub ([landing] public = false); use an API key",
        ));
    }
    let (name, id) = path.into_inner();
    let found = super::find(super::get(&lookups), super::app(&name)?, &id).await?;
    let printers = hub
        .list_printers()
        .await?
        .into_iter()
        .filter(|p| p.enabled)
        .map(|p| LandingPrinterView {
            name: p.name,
            state: p.state.name().to_string(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(LandingView {
        app: found.app,
        id: found.id,
        title: found.title,
        printers,
    }))
}

const PAGE: &str = include_str!("landing.html");

const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                   connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// `GET /asset/{id}`, `/product/{id}`, `/spool/{id}`, `/loc/{id}`.
pub(crate) async fn landing(req: HttpRequest) -> HttpResponse {
    let app = match req.path().split('/').nth(1) {
        // Label Printer Hub printed location codes as `/loc/{id}` and looked
        // them up as Snipe-IT asset tags.
        Some("asset") | Some("loc") => "snipeit",
        Some("product") => "grocy",
        _ => "spoolman",
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(PAGE.replace("__APP__", app))
}
