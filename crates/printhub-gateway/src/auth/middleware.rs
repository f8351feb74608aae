//! The auth guard [`configure`](crate::configure) wraps around each mounted
//! route: it authenticates the request ([`Auth::authenticate`]), refuses a
//! caller without the route's scope (403 `insufficient_scope`), counts
//! mutations against the caller's rate limit (429 `rate_limited` with
//! `Retry-After`; every counted answer carries the `RateLimit-*` fields of
//! [`RateState`]) and leaves the [`Caller`] in the request's extensions for
//! the handler.
//!
//! **Architecture Invariant:** the scope is decided by the route the router
//! matched, never by reading the request's path. Every row of
//! [`ROUTES`](crate::ROUTES) is mounted as its own resource with a method
//! guard, and that resource is wrapped in a [`RoutePolicy`] built from the
//! same row, so the check runs only after actix has routed the request (on
//! the percent-decoded, normalised path, see [`normalize`]) and can only be
//! the check of the handler it guards. A spelling the router does not match
//! reaches no handler of the table: it falls to the `/api` fallback (which
//! itself needs `read`) or to a plain 404. A handler that finds no
//! [`Caller`] answers 401, never runs unauthenticated.
//!
//! A mutation is any method but `GET`, `HEAD` and `OPTIONS`, except the
//! `POST` routes listed in [`CREATES_NOTHING`](crate::CREATES_NOTHING).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};

use super::{Auth, Caller, RateState, Scope};
use crate::error::{ApiError, ErrorCode};
use crate::CREATES_NOTHING;

/// What a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Nothing (the handler may check a token of its own).
    Public,
    /// A caller with at least this scope.
    Scoped(Scope),
}

/// The policy of one mounted route: the access it needs and whether it
/// counts against the caller's rate limit. Built from the route's row of
/// the table when it is mounted, so it cannot describe another route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RoutePolicy {
    pub(crate) access: Access,
    pub(crate) counted: bool,
}

impl RoutePolicy {
    /// The policy of the route `method` `pattern` needing `scope`
    /// (`None`: public).
    pub(crate) fn of(method: &str, pattern: &str, scope: Option<Scope>) -> RoutePolicy {
        RoutePolicy {
            access: scope.map_or(Access::Public, Access::Scoped),
            counted: counted(method, pattern),
        }
    }

    /// The policy of the `/api` fallback (unknown path or method): at
    /// least `read`, so a 404 or 405 tells an anonymous prober nothing.
    pub(crate) fn api_fallback() -> RoutePolicy {
        RoutePolicy {
            access: Access::Scoped(Scope::Read),
            counted: false,
        }
    }
}

/// Whether the route `method` `pattern` counts against the caller's rate
/// limit: it may change something.
pub(crate) fn counted(method: &str, pattern: &str) -> bool {
    match method {
        "GET" | "HEAD" | "OPTIONS" => false,
        "POST" => !CREATES_NOTHING.contains(&pattern),
        _ => true,
    }
}

/// The guard of one route (see the module doc).
pub(crate) async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
    policy: RoutePolicy,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let mut rate = None;
    if let Access::Scoped(scope) = policy.access {
        match check(&req, scope, policy.counted) {
            Ok((caller, state)) => {
                req.extensions_mut().insert(caller);
                rate = state;
            }
            // Answered here, as problem+json, without reaching the handler.
            Err(e) => {
                let response = e.error_response();
                return Ok(req.into_response(response).map_into_right_body());
            }
        }
    }
    let mut response = next.call(req).await?;
    if let Some(state) = rate {
        let headers = response.headers_mut();
        for (name, value) in state.headers() {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
    Ok(response.map_into_left_body())
}

fn check(
    req: &ServiceRequest,
    scope: Scope,
    counted: bool,
) -> Result<(Caller, Option<RateState>), ApiError> {
    let auth = req.app_data::<web::Data<Auth>>().ok_or_else(|| {
        ApiError::new(
            ErrorCode::Internal,
            "no auth policy configured (add web::Data<Auth> to the app)",
        )
    })?;
    let caller = auth.authenticate(req.headers(), req.peer_addr().map(|a| a.ip()))?;
    caller.require(scope)?;
    let state = if counted {
        auth.check_rate(&caller)?
    } else {
        None
    };
    Ok((caller, state))
}

/// Wraps the whole gateway: rewrites the request's path to its normal form
/// ([`normalize`]) before anything routes it, so every spelling of a route
/// that RFC 3986 calls equivalent (and `//`, a trailing `/`) reaches the
/// same resource and its guard.
pub(crate) async fn normalize_path(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let head = req.head();
    if let Some(path) = normalize(head.uri.path()) {
        let mut parts = head.uri.clone().into_parts();
        let query = parts
            .path_and_query
            .as_ref()
            .and_then(|pq| pq.query())
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        if let Ok(pq) = format!("{path}{query}").parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = actix_web::http::Uri::from_parts(parts) {
                req.match_info_mut().get_mut().update(&uri);
                req.head_mut().uri = uri;
            }
        }
    }
    next.call(req).await
}

/// The normal form of a request path, or `None` when `raw` is already in
/// it: percent-encoded unreserved characters decoded (RFC 3986 §6.2.2.2),
/// the hex digits of every other escape in upper case (§6.2.2.1), `.` and
/// `..` segments removed (§5.2.4), runs of `/` merged and a trailing `/`
/// dropped (except for `/` itself). `%2F` stays an escape: it is a
/// character of a segment, not a separator, so `/api/admin%2Fkeys` is no
/// spelling of `/api/admin/keys`.
pub(crate) fn normalize(raw: &str) -> Option<String> {
    let decoded = decode_unreserved(raw);
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let normal = format!("/{}", segments.join("/"));
    (normal != raw).then_some(normal)
}

/// `raw` with `%XX` of unreserved characters decoded and other escapes'
/// hex digits upper-cased; a `%` not followed by two hex digits is kept.
fn decode_unreserved(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| char::from(b).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                let byte = u8::try_from(hi * 16 + lo).unwrap_or(0);
                if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(byte));
                } else {
                    out.push('%');
                    out.push(char::from(bytes[i + 1]).to_ascii_uppercase());
                    out.push(char::from(bytes[i + 2]).to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        // Paths are ASCII on the wire (the URI parser refuses anything else).
        out.push(char::from(bytes[i]));
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ROUTES;

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
        assert!(counted("POST", "/api/printers/{key}/jobs"));
        assert!(counted("DELETE", "/api/admin/keys/{id}"));
        assert!(counted("PATCH", "/api/render/preview"));
        assert!(!counted("GET", "/api/jobs"));
    }

    #[test]
    fn a_policy_is_the_row_it_was_built_from() {
        for route in ROUTES {
            let policy = RoutePolicy::of(route.method, route.path, route.scope);
            match route.scope {
                None => assert_eq!(policy.access, Access::Public, "{}", route.path),
                Some(s) => assert_eq!(policy.access, Access::Scoped(s), "{}", route.path),
            }
        }
        let keys = ROUTES
            .iter()
            .find(|r| r.method == "POST" && r.path == "/api/admin/keys")
            .map(|r| RoutePolicy::of(r.method, r.path, r.scope));
        assert_eq!(keys.map(|p| p.access), Some(Access::Scoped(Scope::Admin)));
        assert_eq!(
            RoutePolicy::api_fallback().access,
            Access::Scoped(Scope::Read)
        );
    }

    #[test]
    fn equivalent_spellings_have_one_normal_form() {
        // RFC 3986 §6.2.2: case of escapes, decoded unreserved characters,
        // dot segments (§5.2.4); plus merged and trailing slashes.
        let cases = [
            ("/api/admin/%6Beys", Some("/api/admin/keys")),
            ("/api/admin/%6beys", Some("/api/admin/keys")),
            ("/%61pi/%61dmin/keys", Some("/api/admin/keys")),
            ("//api//admin/keys", Some("/api/admin/keys")),
            ("/api/./admin/keys", Some("/api/admin/keys")),
            ("/api/x/../admin/keys", Some("/api/admin/keys")),
            ("/api/%2E/admin/keys", Some("/api/admin/keys")),
            ("/api/admin/keys/", Some("/api/admin/keys")),
            ("/api/admin%2fkeys", Some("/api/admin%2Fkeys")),
            ("/api/admin%2Fkeys", None),
            ("/a%20b", None),
            ("/api/admin/keys", None),
            ("/", None),
            ("/../..", Some("/")),
            ("/%", None),
            ("/%4", None),
            ("/%zz", None),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize(raw).as_deref(), want, "{raw}");
        }
    }
}
