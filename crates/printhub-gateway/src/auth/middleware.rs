//! The auth middleware [`configure`](crate::configure) wraps around every
//! route: it finds the scope the route needs in [`ROUTES`](crate::ROUTES),
//! authenticates the request ([`Auth::authenticate`]), refuses a caller
//! without that scope (403 `insufficient_scope`), counts mutations against
//! the caller's rate limit (429 `rate_limited` with `Retry-After`) and
//! leaves the [`Caller`] in the request's extensions for the handler. A
//! mutation is any method but `GET`, `HEAD` and `OPTIONS`, except the `POST`
//! routes listed in [`CREATES_NOTHING`](crate::CREATES_NOTHING).
//!
//! Paths outside `/api` (the web UI, QR landing pages, `/healthz`,
//! `/readyz`) and routes the table marks public pass without credentials;
//! any other `/api` path — known or not — needs at least `read`, so a 404
//! or 405 tells an anonymous prober nothing.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};

use super::{Auth, Caller, Scope};
use crate::error::{ApiError, ErrorCode};
use crate::{CREATES_NOTHING, ROUTES};

/// What a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Nothing (the handler may check a token of its own).
    Public,
    /// A caller with at least this scope.
    Scoped(Scope),
}

/// The access `method` on `path` needs.
pub(crate) fn access(method: &Method, path: &str) -> Access {
    let route = ROUTES
        .iter()
        .find(|r| r.method == method.as_str() && matches(r.path, path));
    match route {
        Some(route) => route.scope.map_or(Access::Public, Access::Scoped),
        None if path == "/api" || path.starts_with("/api/") => Access::Scoped(Scope::Read),
        None => Access::Public,
    }
}

/// Whether `path` fits `pattern` (`{name}` matches one non-empty segment).
fn matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) => {
                let param = w.starts_with('{') && w.ends_with('}');
                if !(param && !h.is_empty() || w == h) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Whether `method` on `path` counts against the caller's rate limit: it
/// may change something.
pub(crate) fn counted(method: &str, path: &str) -> bool {
    match method {
        "GET" | "HEAD" | "OPTIONS" => false,
        "POST" => !CREATES_NOTHING.iter().any(|p| matches(p, path)),
        _ => true,
    }
}

/// The middleware function (see the module doc).
pub(crate) async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Access::Scoped(scope) = access(req.method(), req.path()) {
        match check(&req, scope) {
            Ok(caller) => {
                req.extensions_mut().insert(caller);
            }
            // Answered here, as problem+json, without reaching the handler.
            Err(e) => {
                let response = e.error_response();
                return Ok(req.into_response(response).map_into_right_body());
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn check(req: &ServiceRequest, scope: Scope) -> Result<Caller, ApiError> {
    let auth = req.app_data::<web::Data<Auth>>().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Internal,
            "no auth policy configured (add web::Data<Auth> to the app)",
        )
    })?;
    let caller = auth.authenticate(req.headers(), req.peer_addr().map(|a| a.ip()))?;
    caller.require(scope)?;
    if counted(req.method().as_str(), req.path()) {
        auth.check_rate(&caller)?;
    }
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        assert!(matches("/api/jobs/{id}", "/api/jobs/abc"));
        assert!(!matches("/api/jobs/{id}", "/api/jobs/"));
        assert!(!matches("/api/jobs/{id}", "/api/jobs/abc/cancel"));
        assert!(matches("/api/jobs/{id}/cancel", "/api/jobs/abc/cancel"));
        assert!(!matches("/api/jobs", "/api/jobsx"));
    }

    #[test]
    fn routes_that_create_nothing_are_post_routes_of_the_table() {
        for path in CREATES_NOTHING {
            let route = ROUTES
                .iter()
                .find(|r| r.path == *path && r.method == "POST");
            assert!(
                route.is_some_and(|r| r.scope.is_some()),
                "{path} is not a scoped POST route of ROUTES"
            );
            assert!(!counted("POST", path), "{path}");
        }
        assert!(counted("POST", "/api/printers/pt/jobs"));
        assert!(counted("POST", "/api/render/preview/x"));
        assert!(counted("DELETE", "/api/admin/keys/x"));
        assert!(counted("PATCH", "/api/render/preview"));
        assert!(!counted("GET", "/api/jobs"));
    }

    #[test]
    fn every_route_class_needs_what_the_table_says() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(access(&get, "/api/jobs"), Access::Scoped(Scope::Read));
        assert_eq!(
            access(&post, "/api/jobs/x/cancel"),
            Access::Scoped(Scope::Print)
        );
        assert_eq!(access(&post, "/api/printers"), Access::Scoped(Scope::Admin));
        assert_eq!(
            access(&Method::PATCH, "/api/printers/pt"),
            Access::Scoped(Scope::Admin)
        );
        assert_eq!(
            access(&get, "/api/admin/keys"),
            Access::Scoped(Scope::Admin)
        );
        assert_eq!(
            access(&get, "/api/nothing/here"),
            Access::Scoped(Scope::Read)
        );
        assert_eq!(access(&get, "/healthz"), Access::Public);
        assert_eq!(access(&get, "/"), Access::Public);
        assert_eq!(access(&get, "/metrics"), Access::Scoped(Scope::Read));
    }
}
