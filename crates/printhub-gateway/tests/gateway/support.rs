//! Shared helpers: a hub on a scripted transport, the app, requests and waits.

use actix_web::dev::ServiceResponse;
use actix_web::test;
use printhub_actors::{
    Hub, HubConfig, HubHandle, HubStore, JobFilter, MemoryStore, MemoryTransport, PrinterConfig,
    TransportFactory,
};
use printhub_gateway::{Auth, AuthConfig, Scope};
use printhub_store::{Store, StoreConfig};
use serde_json::Value;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Body limit of the test app.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How long a poll or a read waits for what should happen: far above what it
/// takes even on a loaded machine; waits return as soon as it happened.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A hub with one PT-P750W on 12 mm tape called `pt`.
pub async fn hub() -> (HubHandle, MemoryTransport) {
    hub_on(Arc::new(MemoryStore::default())).await
}

/// [`hub`] on the given store.
pub async fn hub_on(store: Arc<dyn HubStore>) -> (HubHandle, MemoryTransport) {
    let transport = MemoryTransport::default();
    let t = transport.clone();
    let factory: TransportFactory = Rc::new(move |_| Ok(Box::new(t.clone())));
    let hub = Hub::start_with(HubConfig::default(), store, factory);
    hub.add_printer(PrinterConfig {
        id: None,
        slug: "pt".into(),
        name: "Test pt".into(),
        model: "PT-P750W".into(),
        media: "tze-12".into(),
        address: "127.0.0.1:9".into(),
        enabled: true,
        snmp: None,
        snmp_community: Some("s3cret-community".into()),
        paused: false,
        defaults: Default::default(),
    })
    .await
    .expect("printer added");
    (hub, transport)
}

/// An auth policy over a fresh in-memory store: anonymous callers get
/// `anonymous` (`None`: keys only), with a default key rate of `rate` a minute.
pub fn auth(anonymous: Option<Scope>, rate: u32) -> Auth {
    let store = Store::open_in_memory(StoreConfig::default()).expect("store");
    Auth::open(
        AuthConfig {
            anonymous,
            rate_limit_per_minute: rate,
            ..AuthConfig::default()
        },
        Arc::new(store),
    )
    .expect("auth")
}

/// Saved labels over a fresh in-memory store of their own.
pub fn saved_labels() -> printhub_gateway::SavedLabels {
    let store = Store::open_in_memory(StoreConfig::default()).expect("store");
    printhub_gateway::SavedLabels::new(Arc::new(store))
}

/// The app under test: anonymous admin (as `make run`), or the given auth
/// policy and event log.
#[macro_export]
macro_rules! app {
    ($hub:expr) => {
        $crate::app!(
            $hub,
            $crate::support::auth(Some(printhub_gateway::Scope::Admin), 600)
        )
    };
    ($hub:expr, $auth:expr) => {
        $crate::app!(
            $hub,
            $auth,
            printhub_gateway::EventLog::start(
                $hub.clone(),
                printhub_gateway::EventConfig::default()
            )
        )
    };
    ($hub:expr, $auth:expr, $events:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data(actix_web::web::Data::new($hub.clone()))
                .app_data(actix_web::web::Data::new($auth.clone()))
                .app_data(actix_web::web::Data::new($events.clone()))
                .app_data(actix_web::web::Data::new(printhub_gateway::GatewayConfig {
                    body_limit: $crate::support::BODY_LIMIT,
                }))
                .app_data(actix_web::web::Data::new(
                    printhub_gateway::Limits::default(),
                ))
                .app_data(actix_web::web::Data::new($crate::support::saved_labels()))
                .configure(printhub_gateway::configure),
        )
        .await
    };
}

/// Status, content type and body (JSON, or `Null` when it is not JSON).
pub async fn parts(resp: ServiceResponse) -> (u16, String, Value) {
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = test::read_body(resp).await;
    (
        status,
        ct,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// Asserts a problem+json answer with `status` and `code`; returns its body.
pub fn assert_problem(got: &(u16, String, Value), status: u16, code: &str) -> Value {
    assert_eq!(
        (got.0, got.2["error_code"].as_str()),
        (status, Some(code)),
        "body: {}",
        got.2
    );
    assert_eq!(got.1, "application/problem+json");
    for field in ["type", "title", "detail"] {
        assert!(got.2[field].is_string(), "{field} in {}", got.2);
    }
    assert_eq!(got.2["status"], status);
    got.2.clone()
}

/// How many jobs the hub has.
pub async fn job_count(hub: &HubHandle) -> usize {
    hub.list_jobs(JobFilter::default())
        .await
        .expect("list")
        .len()
}

/// Polls `GET /api/jobs/{id}` until `state` ([`DEADLINE`] at most).
#[macro_export]
macro_rules! wait_state {
    ($app:expr, $id:expr, $state:expr) => {{
        let deadline = std::time::Instant::now() + $crate::support::DEADLINE;
        loop {
            let req = actix_web::test::TestRequest::get()
                .uri(&format!("/api/jobs/{}", $id))
                .to_request();
            let got = $crate::support::parts(actix_web::test::call_service(&$app, req).await).await;
            if got.2["state"] == $state {
                break got.2;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "job never reached {}: {}",
                $state,
                got.2
            );
            $crate::support::pause().await;
        }
    }};
}

/// A short sleep between polls.
pub async fn pause() {
    actix_rt::time::sleep(Duration::from_millis(20)).await;
}

/// Posts a batch of `items` to `printer`, asserts the 202, and returns the
/// answer (`batch_id`, `job_ids`).
pub async fn post_batch<S>(app: &S, printer: &str, items: Vec<Value>) -> Value
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let req = test::TestRequest::post()
        .uri(&format!("/api/print/{printer}/batch"))
        .set_json(serde_json::json!({ "items": items }))
        .to_request();
    let (status, _, body) = parts(test::call_service(app, req).await).await;
    assert_eq!(status, 202, "{body}");
    body
}

/// A `text_one_line` job body.
pub fn text_job(id: &str) -> Value {
    serde_json::json!({ "content_type": "text_one_line", "data": { "primary_id": id } })
}

/// Adds a second PT-P750W called `pt2`; returns its id.
pub async fn second_printer(hub: &printhub_actors::HubHandle) -> String {
    let info = hub
        .add_printer(PrinterConfig {
            id: None,
            slug: "pt2".into(),
            name: "Second".into(),
            model: "PT-P750W".into(),
            media: "tze-12".into(),
            address: "127.0.0.1:9".into(),
            enabled: true,
            snmp: None,
            snmp_community: None,
            paused: false,
            defaults: Default::default(),
        })
        .await
        .expect("second printer");
    info.id.to_string()
}

/// A new key's secret: `scope`, every printer, no expiry, the default rate limit.
pub fn new_key(auth: &Auth, scope: Scope) -> String {
    auth.create_key(
        printhub_gateway::auth::NewKey {
            name: format!("{} key", scope.as_str()),
            scope,
            printers: None,
            expires_at: None,
            rate_limit_per_minute: None,
        },
        "test",
    )
    .expect("key")
    .1
}
