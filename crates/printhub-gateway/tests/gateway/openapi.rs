//! The OpenAPI document covers every mounted route, and every route in it is mounted.

use crate::support::*;
use actix_web::test::{call_service, TestRequest};

/// Whether an answer came from a handler: anything but a 404 from routing (ours is
/// `not_found` under /api; actix's default elsewhere has no problem body). A handler's
/// own 404 names what is missing (`printer_not_found`…).
fn mounted(status: u16, body: &serde_json::Value) -> bool {
    status != 404
        || body["error_code"]
            .as_str()
            .is_some_and(|code| code != "not_found")
}

#[actix::test]
async fn every_route_is_documented_and_mounted() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let req = TestRequest::get().uri("/api/openapi.json").to_request();
    let (status, _, doc) = parts(call_service(&app, req).await).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    for route in printhub_gateway::ROUTES {
        let op = &doc["paths"][route.path][route.method.to_lowercase()];
        assert!(
            op.is_object(),
            "{} {} is not documented",
            route.method,
            route.path
        );
        let uri = route
            .path
            .replace("{key}", "nope")
            .replace("{app}", "grocy")
            .replace("{token}", "nope")
            .replace("{code}", "not_found")
            .replace("{id}", "00000000-0000-0000-0000-000000000000");
        let method = actix_web::http::Method::from_bytes(route.method.as_bytes()).expect("method");
        let req = TestRequest::default().method(method).uri(&uri).to_request();
        let resp = call_service(&app, req).await;
        if route.response == Some("text/event-stream") {
            // A stream never ends: its headers are the answer.
            assert_eq!(resp.status(), 200, "{} {}", route.method, route.path);
            continue;
        }
        let (status, _, body) = parts(resp).await;
        assert!(
            mounted(status, &body),
            "{} {} is not mounted ({status} {body})",
            route.method,
            route.path
        );
    }
    let documented: usize = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|p| p.as_object().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(documented, printhub_gateway::ROUTES.len());
    // The check tells an unmounted path from a mounted one, in and outside /api.
    for uri in ["/healthz-nope", "/api/nope", "/asset"] {
        let req = TestRequest::get().uri(uri).to_request();
        let (status, _, body) = parts(call_service(&app, req).await).await;
        assert!(!mounted(status, &body), "{uri}: {status} {body}");
    }
    // Which operations count against the rate limit is documented from the same rule.
    let limited = |path: &str, method: &str| doc["paths"][path][method]["x-rate-limited"].clone();
    assert_eq!(limited("/api/render/preview", "post"), false);
    assert_eq!(limited("/api/printers/{key}/jobs", "post"), true);
    assert_eq!(limited("/api/jobs", "get"), false);
}

#[actix::test]
async fn metrics_are_prometheus_text() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let req = TestRequest::get().uri("/metrics").to_request();
    let resp = call_service(&app, req).await;
    assert_eq!(resp.status(), 200);
    let body = String::from_utf8(actix_web::test::read_body(resp).await.to_vec()).expect("utf-8");
    assert!(body.contains("# TYPE printhub_jobs gauge"), "{body}");
    assert!(body.contains("printhub_jobs{state=\"queued\"} 0"), "{body}");
}
