//! Notifications end to end: a hub on a memory transport, the notifier, and
//! a local HTTP receiver that verifies signatures and can fail or hang.

mod receiver;

use printhub_actors::{
    Hub, HubConfig, HubHandle, MemoryStore, MemoryTransport, PrintRequest, PrinterConfig,
    TransportError, TransportFactory,
};
use printhub_lookup::Secret;
use printhub_notify::{sign, Notifier, NotifyMetrics, Target, TargetSettings};
use receiver::{Behaviour, Receiver};
use serde_json::Value;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);
const SECRET: &str = "a-long-shared-secret-123";

async fn hub() -> (HubHandle, MemoryTransport) {
    let transport = MemoryTransport::default();
    let t = transport.clone();
    let factory: TransportFactory = Rc::new(move |_| Ok(Box::new(t.clone())));
    let hub = Hub::start_with(
        HubConfig::default(),
        Arc::new(MemoryStore::default()),
        factory,
    );
    hub.add_printer(PrinterConfig {
        id: None,
        slug: "pt".into(),
        name: "pt".into(),
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
    .expect("printer");
    (hub, transport)
}

fn target(url: &str, events: &[&str], timeout_s: u64) -> Target {
    Target::parse(
        0,
        &TargetSettings {
            name: Some("ha".into()),
            url: url.into(),
            secret: Secret::new(SECRET),
            events: Some(events.iter().map(|e| e.to_string()).collect()),
            timeout_s: Some(timeout_s),
            ..TargetSettings::default()
        },
    )
    .expect("valid target")
}

fn label() -> PrintRequest {
    PrintRequest::new(printhub_raster::Label::black(printhub_raster::Bitmap::new(
        70, 40,
    )))
}

async fn wait_until(what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The body of a received request, after checking its signature.
fn verified(r: &receiver::Received) -> Value {
    let signature = r.header("x-printhub-signature").expect("signed");
    assert_eq!(
        signature,
        sign(SECRET.as_bytes(), r.body.as_bytes()),
        "signature"
    );
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    serde_json::from_str(&r.body).expect("JSON body")
}

#[actix_rt::test]
async fn a_completed_job_is_notified_with_a_valid_signature() {
    let receiver = Receiver::start(vec![]);
    let (hub, _t) = hub().await;
    let dir = tempfile::tempdir().expect("tmp");
    let metrics = NotifyMetrics::new().expect("metrics");
    let notifier = Notifier::start(
        vec![target(&receiver.url(), &["job_completed"], 5)],
        dir.path(),
        hub.clone(),
        metrics.clone(),
    )
    .expect("start");
    let job = hub.submit("pt", label()).await.expect("submit");
    wait_until("one notification", || receiver.received().len() == 1).await;
    let r = &receiver.received()[0];
    assert_eq!(
        r.header("x-printhub-event").as_deref(),
        Some("job_completed")
    );
    let body = verified(r);
    assert_eq!(body["event"], "job_completed");
    assert_eq!(body["printer"], "pt");
    assert_eq!(body["job"], job.id.to_string());
    let at = body["at"].as_str().expect("at");
    assert!(at.ends_with('Z') && at.len() == 24, "{at}");
    assert!(body.get("reason").is_none());
    wait_until("counted as sent", || metrics.sent_count("ha") == 1).await;
    // A tampered body would not verify.
    assert_ne!(
        r.header("x-printhub-signature").expect("sig"),
        sign(SECRET.as_bytes(), r.body.replace("pt", "ql").as_bytes())
    );
    notifier.shutdown().await;
}

#[actix_rt::test]
async fn a_failed_delivery_is_retried_with_the_same_signed_body() {
    let receiver = Receiver::start(vec![Behaviour::Status(500)]);
    let (hub, _t) = hub().await;
    let dir = tempfile::tempdir().expect("tmp");
    let metrics = NotifyMetrics::new().expect("metrics");
    let notifier = Notifier::start(
        vec![target(&receiver.url(), &["job_completed"], 5)],
        dir.path(),
        hub.clone(),
        metrics.clone(),
    )
    .expect("start");
    hub.submit("pt", label()).await.expect("submit");
    wait_until("the retry", || receiver.received().len() == 2).await;
    let got = receiver.received();
    assert_eq!(
        got[0].body, got[1].body,
        "the same notification, byte for byte"
    );
    verified(&got[1]);
    wait_until("sent after one failure", || metrics.sent_count("ha") == 1).await;
    assert_eq!(metrics.failed_count("ha"), 1);
    notifier.shutdown().await;
}

#[actix_rt::test]
async fn undelivered_notifications_are_delivered_after_a_restart() {
    // Nothing listens on the target's port yet.
    let port = receiver::free_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let dir = tempfile::tempdir().expect("tmp");
    {
        let (hub, _t) = hub().await;
        let metrics = NotifyMetrics::new().expect("metrics");
        let notifier = Notifier::start(
            vec![target(&url, &["job_completed", "job_failed"], 5)],
            dir.path(),
            hub.clone(),
            metrics.clone(),
        )
        .expect("start");
        hub.submit("pt", label()).await.expect("submit");
        wait_until("a failed attempt", || metrics.failed_count("ha") >= 1).await;
        notifier.shutdown().await;
        hub.shutdown().await.expect("hub shutdown");
    }
    // The hub comes back (a new engine, the same data folder) and the target is up.
    let receiver = Receiver::start_on(port, vec![]);
    let (hub, _t) = hub().await;
    let metrics = NotifyMetrics::new().expect("metrics");
    let notifier = Notifier::start(
        vec![target(&url, &["job_completed", "job_failed"], 5)],
        dir.path(),
        hub.clone(),
        metrics.clone(),
    )
    .expect("restart");
    wait_until("the stored notification", || receiver.received().len() == 1).await;
    let body = verified(&receiver.received()[0]);
    assert_eq!(body["event"], "job_completed");
    wait_until("the outbox is empty", || metrics.sent_count("ha") == 1).await;
    let left = std::fs::read_dir(dir.path().join("ha"))
        .expect("outbox")
        .count();
    assert_eq!(left, 0, "delivered notifications leave the outbox");
    notifier.shutdown().await;
}

#[actix_rt::test]
async fn a_hanging_target_never_holds_up_printing() {
    let receiver = Receiver::start(vec![Behaviour::Hang]);
    let (hub, _t) = hub().await;
    let dir = tempfile::tempdir().expect("tmp");
    let metrics = NotifyMetrics::new().expect("metrics");
    let notifier = Notifier::start(
        vec![target(&receiver.url(), &["job_completed"], 1)],
        dir.path(),
        hub.clone(),
        metrics.clone(),
    )
    .expect("start");
    let mut jobs = Vec::new();
    for _ in 0..3 {
        jobs.push(hub.submit("pt", label()).await.expect("submit").id);
    }
    // Every job prints while the target still has not answered the first notification.
    let start = Instant::now();
    for id in &jobs {
        while !hub.job(*id).await.expect("job").state.is_terminal() {
            assert!(start.elapsed() < DEADLINE, "a job never finished");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(metrics.sent_count("ha"), 0);
    // Once the attempt times out it is retried, and all three arrive, in order.
    wait_until("three delivered", || metrics.sent_count("ha") == 3).await;
    let delivered: Vec<String> = receiver
        .received()
        .iter()
        .filter(|r| r.answered)
        .map(|r| verified(r)["job"].as_str().unwrap_or_default().to_string())
        .collect();
    let expected: Vec<String> = jobs.iter().map(|j| j.to_string()).collect();
    assert_eq!(delivered, expected);
    notifier.shutdown().await;
}

#[actix_rt::test]
async fn stops_and_failures_carry_their_reason() {
    let receiver = Receiver::start(vec![]);
    let (hub, transport) = hub().await;
    let dir = tempfile::tempdir().expect("tmp");
    let metrics = NotifyMetrics::new().expect("metrics");
    let notifier = Notifier::start(
        vec![target(
            &receiver.url(),
            &["job_failed", "printer_stopped"],
            5,
        )],
        dir.path(),
        hub.clone(),
        metrics,
    )
    .expect("start");
    transport.push_outcome(Err(TransportError::Rejected {
        code: "media_jam",
        message: "jammed".into(),
    }));
    hub.submit("pt", label()).await.expect("submit");
    wait_until("job_failed", || receiver.received().len() == 1).await;
    let failed = verified(&receiver.received()[0]);
    assert_eq!(failed["event"], "job_failed");
    assert_eq!(failed["reason"], "media_jam");

    transport.push_outcome(Err(TransportError::Attention { reason: "no_media" }));
    hub.submit("pt", label()).await.expect("submit");
    wait_until("printer_stopped", || receiver.received().len() == 2).await;
    let stopped = verified(&receiver.received()[1]);
    assert_eq!(stopped["event"], "printer_stopped");
    assert_eq!(stopped["reason"], "no_media");
    assert_eq!(stopped["printer"], "pt");
    notifier.shutdown().await;
}
