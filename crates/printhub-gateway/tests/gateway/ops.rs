//! The operations endpoints: `/readyz` with a store probe (writable, then
//! read-only, then writable again) and `/metrics` with the print duration and
//! HTTP latency histograms, in valid Prometheus text.

use crate::support::*;
use actix_web::test::{call_service, read_body, TestRequest};
use printhub_gateway::{Metrics, StoreProbe};
use printhub_store::{Store, StoreConfig};
use std::collections::HashMap;
use std::sync::Arc;

/// The app of `app!` plus a store probe and a metrics registry.
macro_rules! ops_app {
    ($hub:expr, $probe:expr, $metrics:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data(actix_web::web::Data::new($hub.clone()))
                .app_data(actix_web::web::Data::new(auth(
                    Some(printhub_gateway::Scope::Admin),
                    600,
                )))
                .app_data(actix_web::web::Data::new($probe))
                .app_data(actix_web::web::Data::new($metrics))
                .configure(printhub_gateway::configure),
        )
        .await
    };
}

/// Submits one text label to `pt` and waits until it completed; returns its id.
macro_rules! print_one {
    ($app:expr) => {{
        let req = TestRequest::post()
            .uri("/api/printers/pt/jobs")
            .set_json(text_job("OPS-1"))
            .to_request();
        let (status, _, job) = parts(call_service(&$app, req).await).await;
        assert_eq!(status, 202, "{job}");
        let id = job["id"].as_str().expect("id").to_string();
        wait_state!($app, id, "completed");
        id
    }};
}

#[actix::test]
async fn readyz_fails_with_the_store_code_while_the_store_is_read_only() {
    let (hub, _) = hub().await;
    let store = Arc::new(Store::open_in_memory(StoreConfig::default()).expect("store"));
    let metrics = Metrics::new().expect("metrics");
    let app = ops_app!(hub, StoreProbe::new(Arc::clone(&store)), metrics);
    // A completed print: the printer has answered, so only the store decides.
    print_one!(app);
    let ready = || TestRequest::get().uri("/readyz").to_request();
    let (status, _, body) = parts(call_service(&app, ready()).await).await;
    assert_eq!((status, &body["store"]), (200, &"ok".into()), "{body}");
    assert_eq!(body["ready"], true, "{body}");
    assert_eq!(body["printers"][0]["ready"], true, "{body}");
    let beats = store.heartbeats().expect("beats");
    assert!(beats >= 1, "the probe committed a write");

    store.simulate_read_only(true).expect("fault on");
    let (status, _, body) = parts(call_service(&app, ready()).await).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["ready"], false, "{body}");
    assert_eq!(body["store"], "store_read_only", "{body}");
    assert_eq!(body["engine"], "ok", "{body}");
    assert_eq!(
        body["printers"][0]["ready"], true,
        "the printer is fine: {body}"
    );
    assert_eq!(store.heartbeats().expect("beats"), beats, "nothing written");

    store.simulate_read_only(false).expect("fault off");
    let (status, _, body) = parts(call_service(&app, ready()).await).await;
    assert_eq!((status, &body["store"]), (200, &"ok".into()), "{body}");
}

#[actix::test]
async fn readyz_without_a_probe_says_the_store_is_unchecked() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let req = TestRequest::get().uri("/readyz").to_request();
    let (_, _, body) = parts(call_service(&app, req).await).await;
    assert_eq!(body["store"], "unchecked", "{body}");
}

/// The samples of a Prometheus text exposition, checked line by line:
/// every sample belongs to a family declared by `# HELP` and `# TYPE` before
/// it, names and labels are well-formed, values are numbers, and histogram
/// buckets are cumulative with `+Inf` equal to `_count`.
fn parse_exposition(text: &str) -> HashMap<String, f64> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut samples = HashMap::new();
    let valid_name = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().expect("name");
            assert!(valid_name(name), "{line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("type");
            assert!(
                ["gauge", "counter", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                types.insert(name.to_string(), kind.to_string()).is_none(),
                "declared twice: {line}"
            );
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "stray line {line:?}"
        );
        let (series, value) = line.rsplit_once(' ').expect("value");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        let name = series.split('{').next().expect("name");
        assert!(valid_name(name), "{line}");
        if let Some(labels) = series.strip_prefix(name) {
            if !labels.is_empty() {
                let inner = labels
                    .strip_prefix('{')
                    .and_then(|l| l.strip_suffix('}'))
                    .unwrap_or_else(|| panic!("labels: {line}"));
                for pair in inner.split("\",").filter(|p| !p.is_empty()) {
                    let (k, v) = pair
                        .split_once("=\"")
                        .unwrap_or_else(|| panic!("label: {line}"));
                    assert!(valid_name(k), "{line}");
                    assert!(!v.contains('\n'), "{line}");
                }
            }
        }
        let family = ["_bucket", "_count", "_sum"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| types.get(*f).is_some_and(|k| k == "histogram"))
            })
            .unwrap_or(name);
        assert!(types.contains_key(family), "sample before its TYPE: {line}");
        assert!(
            samples.insert(series.to_string(), value).is_none(),
            "duplicate {line}"
        );
    }
    // Buckets are cumulative and end at the count.
    for (series, count) in samples.iter().filter(|(s, _)| s.contains("_count")) {
        let (family, labels) = series.split_once("_count").expect("count");
        let labels = labels.trim_start_matches('{').trim_end_matches('}');
        let mut buckets: Vec<(f64, f64)> = samples
            .iter()
            .filter_map(|(s, v)| {
                let rest = s.strip_prefix(&format!("{family}_bucket{{"))?;
                let rest = rest.strip_prefix(labels)?;
                let le = rest
                    .trim_start_matches(',')
                    .strip_prefix("le=\"")?
                    .strip_suffix("\"}")?;
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                };
                Some((le, *v))
            })
            .collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(!buckets.is_empty(), "no buckets for {series}");
        assert!(
            buckets.windows(2).all(|w| w[0].1 <= w[1].1),
            "not cumulative: {series}"
        );
        assert_eq!(
            buckets.last().map(|b| (b.0, b.1)),
            Some((f64::INFINITY, *count)),
            "{series}"
        );
    }
    samples
}

#[actix::test]
async fn metrics_show_print_duration_and_http_latency_per_route_pattern() {
    let (hub, _) = hub().await;
    let store = Arc::new(Store::open_in_memory(StoreConfig::default()).expect("store"));
    let metrics = Metrics::start(hub.clone()).expect("metrics");
    let app = ops_app!(hub, StoreProbe::new(store), metrics);
    let id = print_one!(app);
    for uri in [
        format!("/api/jobs/{id}"),
        "/api/no-such-route".into(),
        "/healthz".into(),
    ] {
        let req = TestRequest::get().uri(&uri).to_request();
        call_service(&app, req).await;
    }
    // The completion is recorded by a task following the engine's events: poll.
    let deadline = std::time::Instant::now() + DEADLINE;
    let (text, samples) = loop {
        let req = TestRequest::get().uri("/metrics").to_request();
        let resp = call_service(&app, req).await;
        assert_eq!(resp.status(), 200);
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert_eq!(ct, "text/plain; version=0.0.4");
        let text = String::from_utf8(read_body(resp).await.to_vec()).expect("utf-8");
        let samples = parse_exposition(&text);
        if samples.contains_key("printhub_print_duration_seconds_count{printer=\"pt\"}") {
            break (text, samples);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no print duration: {text}"
        );
        pause().await;
    };
    assert!(
        text.contains("# TYPE printhub_print_duration_seconds histogram"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE printhub_http_request_duration_seconds histogram"),
        "{text}"
    );
    assert_eq!(
        samples["printhub_print_duration_seconds_count{printer=\"pt\"}"], 1.0,
        "{text}"
    );
    let http = |method: &str, route: &str, status: &str| {
        samples
            .get(&format!(
                "printhub_http_request_duration_seconds_count{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
            ))
            .copied()
            .unwrap_or(0.0)
    };
    assert!(
        http("GET", "/api/jobs/{id}", "2xx") >= 2.0,
        "polled and fetched: {text}"
    );
    assert_eq!(
        http("POST", "/api/printers/{key}/jobs", "2xx"),
        1.0,
        "{text}"
    );
    assert_eq!(http("GET", "/api/{tail:.*}", "4xx"), 1.0, "{text}");
    assert_eq!(http("GET", "/healthz", "2xx"), 1.0, "{text}");
    assert!(!text.contains(&id), "raw paths never become labels: {text}");
    assert!(!text.contains("no-such-route"), "{text}");
    // The gauges are still there.
    assert!(
        text.contains("printhub_jobs{state=\"completed\"} 1"),
        "{text}"
    );
}
