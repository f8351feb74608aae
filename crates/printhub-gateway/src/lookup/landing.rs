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
//! as HTML.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

const PAGE: &str = include_str!("landing.html");

const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                   connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// `GET /asset/{id}`, `/product/{id}`, `/spool/{id}`.
pub(crate) async fn landing(req: HttpRequest) -> HttpResponse {
    let app = match req.path().split('/').nth(1) {
        Some("asset") => "snipeit",
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
