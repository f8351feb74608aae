//! The operations endpoints and what feeds them: `/readyz` (the engine, the
//! store's writability through a [`StoreProbe`], each enabled printer's
//! reachability) and `/metrics` (gauges read from the engine at scrape time,
//! plus the histograms of a [`Metrics`] registry: print duration of
//! completed jobs and HTTP latency per route pattern).
//!
//! Both [`StoreProbe`] and [`Metrics`] are made by the composition root and
//! handed in as `web::Data`, so the store stays free of HTTP types and every
//! app (and every test) has its own registry: nothing here is process-global.
//! HTTP latency is recorded by [`observe`], which [`configure`](crate::configure)
//! wraps around the whole gateway scope; it labels by the matched route
//! pattern (`/api/jobs/{id}`), never the raw path, and by method and status
//! class, so the number of series is bounded by the route table.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use printhub_actors::{EventItem, HubHandle};
use printhub_core::{Event, JobState};
use printhub_store::Store;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::error::{ApiError, ErrorCode};

/// How `/readyz` learns whether the store still takes writes: each call
/// commits the store's one-row heartbeat ([`Store::probe_writable`]), within
/// `timeout`. Without one in the app data, `/readyz` reports the store as
/// `"unchecked"` and does not count it.
#[derive(Debug, Clone)]
pub struct StoreProbe {
    store: Arc<Store>,
    timeout: Duration,
}

impl StoreProbe {
    /// A probe of `store` that gives up (reports `"timeout"`) after 5 s.
    pub fn new(store: Arc<Store>) -> StoreProbe {
        StoreProbe {
            store,
            timeout: Duration::from_secs(5),
        }
    }

    /// The same probe with another deadline.
    pub fn with_timeout(self, timeout: Duration) -> StoreProbe {
        StoreProbe { timeout, ..self }
    }

    /// `"ok"`, the store error's stable code, or `"timeout"`.
    pub(crate) async fn check(&self) -> &'static str {
        match actix_web::rt::time::timeout(self.timeout, self.store.probe_writable()).await {
            Ok(Ok(())) => "ok",
            Ok(Err(e)) => e.code(),
            Err(_) => "timeout",
        }
    }
}

/// A metrics registry could not be built (a bad metric definition).
#[derive(Debug, thiserror::Error)]
#[error("metrics registry: {0}")]
pub struct MetricsError(#[from] prometheus::Error);

impl MetricsError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        "metrics_registry"
    }
}

/// The histograms behind `/metrics` (cheap to clone; one per app, shared by
/// every worker).
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    http: HistogramVec,
    http_total: IntCounterVec,
    print: HistogramVec,
    /// Jobs that ended, by printer: one counter per [`FINISHED_STATES`].
    finished: [IntCounterVec; 4],
    labels: IntCounterVec,
}

/// The final states with a `printhub_jobs_<state>_total` counter.
const FINISHED_STATES: [JobState; 4] = [
    JobState::Completed,
    JobState::Failed,
    JobState::Cancelled,
    JobState::Interrupted,
];

/// Print durations: a label takes seconds, a long batch job minutes.
const PRINT_BUCKETS: &[f64] = &[
    0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

impl Metrics {
    /// A fresh registry with the HTTP latency and print duration histograms.
    pub fn new() -> Result<Metrics, MetricsError> {
        let registry = Registry::new();
        let http = HistogramVec::new(
            HistogramOpts::new(
                "printhub_http_request_duration_seconds",
                "Time to answer an HTTP request (to the response head), by method, route pattern and status class.",
            ),
            &["method", "route", "status"],
        )?;
        let print = HistogramVec::new(
            HistogramOpts::new(
                "printhub_print_duration_seconds",
                "From a job's first copy starting to print to its completion (finished_at - started_at), by printer.",
            )
            .buckets(PRINT_BUCKETS.to_vec()),
            &["printer"],
        )?;
        let http_total = IntCounterVec::new(
            Opts::new(
                "printhub_http_requests_total",
                "HTTP requests answered, by method, route pattern and status class.",
            ),
            &["method", "route", "status"],
        )?;
        let finished = FINISHED_STATES.map(|state| {
            IntCounterVec::new(
                Opts::new(
                    format!("printhub_jobs_{}_total", state.as_str()),
                    format!(
                        "Jobs that ended {} since the hub started, by printer.",
                        state.as_str()
                    ),
                ),
                &["printer"],
            )
        });
        let [a, b, c, d] = finished;
        let finished = [a?, b?, c?, d?];
        let labels = IntCounterVec::new(
            Opts::new(
                "printhub_labels_printed_total",
                "Labels (copies) printed since the hub started, by printer, counted when their job ends.",
            ),
            &["printer"],
        )?;
        let build = IntGauge::with_opts(
            Opts::new("printhub_build_info", "printhub's version; always 1.")
                .const_label("version", env!("CARGO_PKG_VERSION")),
        )?;
        build.set(1);
        registry.register(Box::new(http.clone()))?;
        registry.register(Box::new(http_total.clone()))?;
        registry.register(Box::new(print.clone()))?;
        for counter in &finished {
            registry.register(Box::new(counter.clone()))?;
        }
        registry.register(Box::new(labels.clone()))?;
        registry.register(Box::new(build))?;
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(Metrics {
            inner: Arc::new(Inner {
                registry,
                http,
                http_total,
                print,
                finished,
                labels,
            }),
        })
    }

    /// Adds another crate's series (MQTT, notifications) to this registry,
    /// so `/metrics` shows them with the rest.
    pub fn register(
        &self,
        collector: Box<dyn prometheus::core::Collector>,
    ) -> Result<(), MetricsError> {
        Ok(self.inner.registry.register(collector)?)
    }

    /// [`Metrics::new`], following `hub`'s events on the current actix/tokio
    /// runtime to record the print duration of every job that completes.
    pub fn start(hub: HubHandle) -> Result<Metrics, MetricsError> {
        let metrics = Metrics::new()?;
        let recorder = metrics.clone();
        let mut events = hub.subscribe();
        actix_web::rt::spawn(async move {
            while let Some(item) = events.next().await {
                match item {
                    EventItem::Event(Event::JobStateChanged(change)) if change.to.is_terminal() => {
                        recorder.record_end(&hub, change.job_id, change.to).await;
                    }
                    EventItem::Event(_) => {}
                    EventItem::Missed(n) => {
                        log::warn!("metrics fell {n} engine events behind; print durations missed");
                    }
                }
            }
        });
        Ok(metrics)
    }

    /// Counts a job that ended in `state` (and its printed labels), and
    /// the print duration of a completed one.
    async fn record_end(&self, hub: &HubHandle, job_id: printhub_core::JobId, state: JobState) {
        let Ok(job) = hub.job_metadata(job_id).await else {
            return; // Pruned already: nothing to count.
        };
        let printer = hub
            .printer(&job.spec.printer_id.to_string())
            .await
            .map_or_else(|_| job.spec.printer_id.to_string(), |p| p.slug);
        if let Some(i) = FINISHED_STATES.iter().position(|s| *s == state) {
            self.inner.finished[i]
                .with_label_values(&[printer.as_str()])
                .inc();
        }
        self.inner
            .labels
            .with_label_values(&[printer.as_str()])
            .inc_by(u64::from(job.copies_printed));
        if state != JobState::Completed {
            return;
        }
        let (Some(started), Some(finished)) = (job.started_at, job.finished_at) else {
            return;
        };
        let seconds = finished.millis_since(started).max(0) as f64 / 1000.0;
        self.inner
            .print
            .with_label_values(&[printer.as_str()])
            .observe(seconds);
    }

    fn observe_http(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let labels = [method_label(method), route, class];
        self.inner.http.with_label_values(&labels).observe(seconds);
        self.inner.http_total.with_label_values(&labels).inc();
    }

    /// The registry in Prometheus text format.
    fn encode(&self) -> Result<String, MetricsError> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.inner.registry.gather(), &mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// The method as a label: the standard ones by name, any extension method as
/// `OTHER` (a client could otherwise invent series).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Middleware: times every request to its response head and records it in
/// the app's [`Metrics`] (none in the app data: records nothing). Paths no
/// route pattern matches share the route label `unmatched`.
pub(crate) async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().clone();
    let started = Instant::now();
    let res = next.call(req).await;
    if let Some(metrics) = metrics {
        let seconds = started.elapsed().as_secs_f64();
        let (status, route) = match &res {
            Ok(res) => (res.status().as_u16(), res.request().match_pattern()),
            // An error that became no response: answered as its status.
            Err(e) => (e.as_response_error().status_code().as_u16(), None),
        };
        let route = route.unwrap_or_else(|| "unmatched".to_owned());
        metrics.observe_http(&method, &route, status, seconds);
    }
    res
}

type Hub = web::Data<HubHandle>;

/// Every printer state (design §2), so each printer has one series per state.
const PRINTER_STATES: [&str; 6] = [
    "idle", "printing", "paused", "stopped", "offline", "disabled",
];

/// `/readyz`: 200 when the engine answers, the store commits and every
/// enabled printer is reachable; 503 (with what failed) otherwise.
pub(crate) async fn readyz(hub: Hub, probe: Option<web::Data<StoreProbe>>) -> HttpResponse {
    let store = match &probe {
        Some(probe) => probe.check().await,
        None => "unchecked",
    };
    let store_ready = matches!(store, "ok" | "unchecked");
    let printers = match hub.list_printers().await {
        Ok(p) => p,
        Err(e) => {
            return HttpResponse::ServiceUnavailable().json(serde_json::json!({
                "ready": false, "engine": e.code(), "store": store, "printers": [],
            }))
        }
    };
    let checks: Vec<_> = printers
        .iter()
        .map(|p| {
            serde_json::json!({
                "slug": p.slug,
                "state": p.state.name(),
                "reachable": p.status.reachable,
                "ready": !p.enabled || p.status.reachable,
            })
        })
        .collect();
    let ready = store_ready && printers.iter().all(|p| !p.enabled || p.status.reachable);
    let body = serde_json::json!({
        "ready": ready, "engine": "ok", "store": store, "printers": checks,
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus text: jobs the engine remembers by state, and per printer its
/// queue depth, state and reachability (read at scrape time), then the
/// [`Metrics`] histograms when the app has them.
pub(crate) async fn metrics(
    hub: Hub,
    caller: crate::auth::Caller,
    registry: Option<web::Data<Metrics>>,
) -> Result<HttpResponse, ApiError> {
    // Every series covers the whole hub (totals, every printer): a key
    // limited to some printers would learn about the others.
    caller.require_unlimited("read the metrics (they cover every printer)")?;
    use std::fmt::Write as _;
    let printers = hub.list_printers().await?;
    // What the engine holds in memory: the gauge counts live work and
    // recent history, not the store's whole history.
    let counts = hub.job_counts().await?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP printhub_jobs Jobs the engine remembers, by state."
    );
    let _ = writeln!(out, "# TYPE printhub_jobs gauge");
    for (state, n) in counts {
        let _ = writeln!(out, "printhub_jobs{{state=\"{state}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP printhub_queue_depth Queued and held jobs per printer."
    );
    let _ = writeln!(out, "# TYPE printhub_queue_depth gauge");
    for p in &printers {
        let _ = writeln!(
            out,
            "printhub_queue_depth{{printer=\"{}\"}} {}",
            p.slug, p.queue_depth
        );
    }
    let _ = writeln!(
        out,
        "# HELP printhub_printer_state 1 for the state each printer is in, 0 for the others (one series per state, for alerts)."
    );
    let _ = writeln!(out, "# TYPE printhub_printer_state gauge");
    for p in &printers {
        for state in PRINTER_STATES {
            let _ = writeln!(
                out,
                "printhub_printer_state{{printer=\"{}\",state=\"{state}\"}} {}",
                p.slug,
                u8::from(p.state.name() == state)
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP printhub_printer_reachable Whether the printer answered its last status read."
    );
    let _ = writeln!(out, "# TYPE printhub_printer_reachable gauge");
    for p in &printers {
        let _ = writeln!(
            out,
            "printhub_printer_reachable{{printer=\"{}\"}} {}",
            p.slug,
            u8::from(p.status.reachable)
        );
    }
    if let Some(registry) = registry {
        let text = registry
            .encode()
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        out.push_str(&text);
    }
    Ok(HttpResponse::Ok()
        .content_type(prometheus::TEXT_FORMAT)
        .body(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_and_method_maps_to_a_bounded_label() {
        let metrics = Metrics::new().expect("metrics");
        for status in [101, 204, 304, 429, 503, 999] {
            metrics.observe_http(&Method::GET, "/x", status, 0.01);
        }
        let odd = Method::from_bytes(b"BREW").expect("method");
        metrics.observe_http(&odd, "/x", 200, 0.01);
        let text = metrics.encode().expect("encode");
        for class in ["1xx", "2xx", "3xx", "4xx", "5xx"] {
            assert!(
                text.contains(&format!("status=\"{class}\"")),
                "{class}: {text}"
            );
        }
        assert!(text.contains("method=\"OTHER\""), "{text}");
        assert!(!text.contains("BREW"), "{text}");
    }

    #[test]
    fn two_registries_do_not_share_observations() {
        let a = Metrics::new().expect("a");
        let b = Metrics::new().expect("b");
        a.observe_http(&Method::GET, "/x", 200, 0.5);
        assert!(a
            .encode()
            .expect("a")
            .contains("printhub_http_request_duration_seconds_count"));
        assert!(
            !b.encode().expect("b").contains("_count{"),
            "fresh registry is empty"
        );
    }
}
