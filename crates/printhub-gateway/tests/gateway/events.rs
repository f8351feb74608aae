//! `GET /api/events` (issue #9): a job's whole life in order, replay with
//! `Last-Event-ID`, the gap signal, filters and the allow-list, the
//! subscriber cap, heartbeats, and a stalled client that does not hold up
//! printing.

use crate::support::*;
use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::test::{call_service, TestRequest};
use printhub_gateway::auth::NewKey;
use printhub_gateway::{EventConfig, EventLog, Scope};
use serde_json::Value;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// One parsed SSE frame.
#[derive(Debug, Clone)]
struct Frame {
    id: Option<u64>,
    event: String,
    data: Value,
}

/// Reads frames from a streaming response.
struct Reader {
    body: actix_web::body::BoxBody,
    buffer: String,
}

impl Reader {
    fn new(resp: ServiceResponse) -> Self {
        assert_eq!(resp.status(), 200);
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert_eq!(ct, "text/event-stream");
        Reader {
            body: resp.into_body(),
            buffer: String::new(),
        }
    }

    /// The next frame (comments included as event `:`), within [`DEADLINE`].
    async fn next(&mut self) -> Frame {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..end + 2).collect();
                if let Some(frame) = parse(&raw) {
                    return frame;
                }
                continue;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let chunk = actix_rt::time::timeout(
                remaining,
                std::future::poll_fn(|cx| Pin::new(&mut self.body).poll_next(cx)),
            )
            .await
            .expect("an event before the deadline")
            .expect("the stream is open")
            .expect("a chunk");
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("utf-8"));
        }
    }

    /// Asserts the stream ends (within 10 s) without another frame.
    async fn end(&mut self) {
        assert_eq!(self.buffer, "", "a frame before the end");
        let next = actix_rt::time::timeout(
            Duration::from_secs(10),
            std::future::poll_fn(|cx| Pin::new(&mut self.body).poll_next(cx)),
        )
        .await
        .expect("the stream ends within 10 s");
        if let Some(chunk) = next {
            panic!("a frame after the last one: {chunk:?}");
        }
    }

    /// The next frame that is an event (skipping `retry:` and comments).
    async fn event(&mut self) -> Frame {
        loop {
            let f = self.next().await;
            if f.event != ":" && f.event != "retry" {
                return f;
            }
        }
    }
}

fn parse(raw: &str) -> Option<Frame> {
    let mut frame = Frame {
        id: None,
        event: "message".into(),
        data: Value::Null,
    };
    let mut any = false;
    for line in raw.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            return Some(Frame {
                id: None,
                event: ":".into(),
                data: Value::String(comment.trim().into()),
            });
        } else if let Some(v) = line.strip_prefix("id: ") {
            frame.id = v.parse().ok();
        } else if let Some(v) = line.strip_prefix("event: ") {
            frame.event = v.into();
        } else if let Some(v) = line.strip_prefix("data: ") {
            frame.data = serde_json::from_str(v).expect("JSON data");
        } else if line.starts_with("retry: ") {
            frame.event = "retry".into();
        }
        any = true;
    }
    any.then_some(frame)
}

async fn submit(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = ServiceResponse,
        Error = actix_web::Error,
    >,
    id: &str,
) -> String {
    let req = TestRequest::post()
        .uri("/api/printers/pt/jobs")
        .set_json(text_job(id))
        .to_request();
    let got = parts(call_service(app, req).await).await;
    assert_eq!(got.0, 202, "{}", got.2);
    got.2["id"].as_str().expect("id").to_string()
}

/// Submits `n` text labels as one batch; the job ids, in order.
async fn submit_text_batch(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = ServiceResponse,
        Error = actix_web::Error,
    >,
    prefix: &str,
    n: usize,
) -> Vec<Value> {
    let items: Vec<Value> = (0..n).map(|i| text_job(&format!("{prefix}-{i}"))).collect();
    let req = TestRequest::post()
        .uri("/api/print/pt/batch")
        .set_json(serde_json::json!({ "items": items }))
        .to_request();
    let got = parts(call_service(app, req).await).await;
    assert_eq!(got.0, 202, "{}", got.2);
    let submitted = got.2["job_ids"].as_array().expect("job ids").clone();
    assert_eq!(submitted.len(), n);
    submitted
}

/// Reads events until `n` jobs were heard queued, each with its own view
/// and nothing lost, ids growing; the jobs' ids, in the order heard.
async fn hear_queued(reader: &mut Reader, n: usize, mut last_id: u64) -> Vec<Value> {
    let mut heard = Vec::new();
    while heard.len() < n {
        let f = reader.event().await;
        assert_ne!(f.event, "stream.reset", "nothing lost: {f:?}");
        let id = f.id.expect("id");
        assert!(id > last_id, "in order: {id} after {last_id}");
        last_id = id;
        assert_eq!(f.data["id"], id, "the data repeats the id");
        if f.event != "job.state_changed" {
            continue;
        }
        assert_eq!(f.data["to"], "queued", "{f:?}");
        assert_eq!(f.data["job"]["id"], f.data["job_id"], "its own view: {f:?}");
        assert_eq!(f.data["job"]["state"], "queued", "{f:?}");
        assert!(f.data["at"].as_str().is_some_and(|a| a.ends_with('Z')));
        heard.push(f.data["job_id"].clone());
    }
    heard
}

fn stream(uri: &str) -> actix_http::Request {
    TestRequest::get().uri(uri).to_request()
}

#[actix::test]
async fn a_jobs_whole_life_arrives_in_order_and_replays_after_a_reconnect() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    let mut reader = Reader::new(call_service(&app, stream("/api/events")).await);
    let id = submit(&app, "LIFE").await;
    let mut seen = Vec::new();
    loop {
        let f = reader.event().await;
        if f.data["job_id"] == id.as_str() {
            seen.push(f.clone());
        }
        if f.event == "job.state_changed" && f.data["to"] == "completed" {
            break;
        }
    }
    let changes: Vec<(Value, Value)> = seen
        .iter()
        .filter(|f| f.event == "job.state_changed")
        .map(|f| (f.data["from"].clone(), f.data["to"].clone()))
        .collect();
    assert_eq!(
        changes,
        [
            (Value::Null, "queued".into()),
            ("queued".into(), "printing".into()),
            ("printing".into(), "completed".into()),
        ]
    );
    let ids: Vec<u64> = seen.iter().map(|f| f.id.expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "monotonic: {ids:?}");
    for f in &seen {
        assert_eq!(f.data["id"], f.id.expect("id"), "the data repeats the id");
        assert_eq!(f.data["type"], f.event.as_str());
        assert!(f.data["printer_id"].is_string());
    }
    assert_eq!(
        seen[0].data["job"]["id"],
        id.as_str(),
        "carries the job view"
    );
    assert!(seen.iter().any(|f| f.event == "job.progressed"));

    // Reconnect after the first event: everything after it, same ids, in order.
    let req = TestRequest::get()
        .uri(&format!("/api/events?job={id}"))
        .insert_header(("last-event-id", ids[0].to_string()))
        .to_request();
    let mut replay = Reader::new(call_service(&app, req).await);
    let mut replayed = Vec::new();
    while replayed.len() < ids.len() - 1 {
        replayed.push(replay.event().await.id.expect("id"));
    }
    assert_eq!(replayed, ids[1..]);
}

#[actix::test]
async fn an_id_the_buffer_no_longer_holds_is_a_reset() {
    let (hub, _) = hub().await;
    let app = app!(hub);
    submit(&app, "A").await;
    let req = TestRequest::get()
        .uri("/api/events")
        .insert_header(("last-event-id", "1"))
        .to_request();
    let mut reader = Reader::new(call_service(&app, req).await);
    let f = reader.event().await;
    assert_eq!(f.event, "stream.reset");
    assert_eq!(f.data["reason"], "gap");
    assert_eq!(f.data["last_event_id"], 1);
    let req = TestRequest::get()
        .uri("/api/events")
        .insert_header(("last-event-id", "soon"))
        .to_request();
    assert_problem(
        &parts(call_service(&app, req).await).await,
        400,
        "invalid_request",
    );
}

#[actix::test]
async fn filters_pick_printer_and_job_and_unknown_ones_are_errors() {
    let (hub, transport) = hub().await;
    let app = app!(hub);
    transport.close_gate();
    let first = submit(&app, "ONE").await;
    wait_state!(app, first, "printing");
    let mut only_first =
        Reader::new(call_service(&app, stream(&format!("/api/events?job={first}"))).await);
    let mut on_pt = Reader::new(call_service(&app, stream("/api/events?printer=pt")).await);
    let second = submit(&app, "TWO").await;
    transport.open_gate();
    wait_state!(app, second, "completed");
    // The printer's stream hears the second job from its start. The first job's start
    // (its printing, the printer's state change) may still be on its way through the
    // event log (it looks each job up) when the stream opens: those come first, and
    // are the printer's too.
    let pt = hub.printer("pt").await.expect("pt").id.to_string();
    let f = loop {
        let f = on_pt.event().await;
        assert_eq!(f.data["printer_id"], pt.as_str(), "{f:?}");
        if f.data["job_id"] == second.as_str() {
            break f;
        }
        assert_ne!(f.data["to"], "completed", "before TWO was queued: {f:?}");
    };
    assert_eq!(f.data["to"], "queued", "{f:?}");
    loop {
        let f = only_first.event().await;
        assert_eq!(f.data["job_id"], first.as_str(), "{f:?}");
        if f.data["to"] == "completed" {
            break;
        }
    }
    for uri in [
        "/api/events?printer=nope",
        "/api/events?job=00000000-0000-0000-0000-000000000000",
    ] {
        let got = parts(call_service(&app, stream(uri)).await).await;
        assert_eq!(got.0, 404, "{uri}: {}", got.2);
    }
    let got = parts(call_service(&app, stream("/api/events?job=x")).await).await;
    assert_problem(&got, 400, "invalid_request");
    let got = parts(call_service(&app, stream("/api/events?colour=red")).await).await;
    assert_problem(&got, 400, "invalid_request");
}

#[actix::test]
async fn the_subscriber_cap_answers_429_and_frees_slots() {
    let (hub, _) = hub().await;
    let events = EventLog::start(
        hub.clone(),
        EventConfig {
            max_subscribers: 1,
            ..EventConfig::default()
        },
    );
    let app = app!(hub, auth(Some(Scope::Admin), 600), events);
    let first = Reader::new(call_service(&app, stream("/api/events")).await);
    let resp = call_service(&app, stream("/api/events")).await;
    assert!(resp.headers().contains_key("retry-after"));
    assert_problem(&parts(resp).await, 429, "too_many_subscribers");
    drop(first);
    let _again = Reader::new(call_service(&app, stream("/api/events")).await);
}

#[actix::test]
async fn heartbeats_keep_an_idle_stream_alive() {
    let (hub, _) = hub().await;
    let events = EventLog::start(
        hub.clone(),
        EventConfig {
            heartbeat: Duration::from_millis(30),
            ..EventConfig::default()
        },
    );
    let app = app!(hub, auth(Some(Scope::Admin), 600), events);
    let mut reader = Reader::new(call_service(&app, stream("/api/events")).await);
    loop {
        let f = reader.next().await;
        if f.event == ":" {
            assert_eq!(f.data, "heartbeat");
            break;
        }
    }
}

#[actix::test]
async fn a_stalled_client_does_not_hold_up_printing_and_learns_it_lagged() {
    let (hub, _) = hub().await;
    let events = EventLog::start(
        hub.clone(),
        EventConfig {
            client_backlog: 4,
            ..EventConfig::default()
        },
    );
    let app = app!(hub, auth(Some(Scope::Admin), 600), events);
    // Opened and never read while 20 jobs print.
    let mut stalled = Reader::new(call_service(&app, stream("/api/events")).await);
    let mut ids = Vec::new();
    for n in 0..20 {
        ids.push(submit(&app, &format!("S{n}")).await);
    }
    for id in &ids {
        wait_state!(app, id, "completed");
    }
    // When it finally reads, it is told it fell behind, and the stream ends.
    loop {
        let f = stalled.event().await;
        if f.event == "stream.reset" {
            assert_eq!(f.data["reason"], "lagged");
            break;
        }
    }
}

#[actix::test]
async fn a_limited_key_hears_only_its_printers() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let app = app!(hub, auth);
    second_printer(&hub).await;
    let pt = hub.printer("pt").await.expect("pt").id;
    let (_, key) = auth
        .create_key(
            NewKey {
                name: "pt only".into(),
                scope: Scope::Read,
                printers: Some(vec![pt]),
                expires_at: None,
                rate_limit_per_minute: None,
            },
            "test",
        )
        .expect("key");
    let admin = auth
        .create_key(
            NewKey {
                name: "admin".into(),
                scope: Scope::Admin,
                printers: None,
                expires_at: None,
                rate_limit_per_minute: None,
            },
            "test",
        )
        .expect("key")
        .1;
    let req = TestRequest::get()
        .uri("/api/events")
        .insert_header(("authorization", format!("Bearer {key}")))
        .to_request();
    let mut reader = Reader::new(call_service(&app, req).await);
    for slug in ["pt2", "pt"] {
        let req = TestRequest::post()
            .uri(&format!("/api/printers/{slug}/jobs"))
            .insert_header(("authorization", format!("Bearer {admin}")))
            .set_json(text_job(slug))
            .to_request();
        assert_eq!(call_service(&app, req).await.status(), 202);
    }
    let f = reader.event().await;
    assert_eq!(
        f.data["printer_id"],
        pt.to_string(),
        "pt2's events were filtered out"
    );
}

#[actix::test]
async fn a_burst_of_submits_arrives_whole_each_with_its_job_view() {
    // 200 labels in one batch: 200 events at once, most of them about jobs
    // the printer has already parked (issue #17). Every one arrives, in
    // order, with its job's view; nothing is lost to a lag.
    let (hub, _) = hub().await;
    hub.pause_printer("pt").await.expect("paused");
    let app = app!(hub);
    let mut reader = Reader::new(call_service(&app, stream("/api/events")).await);
    let submitted = submit_text_batch(&app, "BURST", 200).await;
    let heard = hear_queued(&mut reader, submitted.len(), 0).await;
    assert_eq!(heard, submitted, "every job, in the order submitted");
}

#[actix::test]
async fn events_logged_while_nobody_listened_replay_with_their_job_views() {
    // With no stream open the log keeps events undescribed (issue #17); a
    // client that comes back with Last-Event-ID still gets each of them
    // with its job's view, in order, ids unchanged.
    let (hub, _) = hub().await;
    hub.pause_printer("pt").await.expect("paused");
    let app = app!(hub);
    let mut reader = Reader::new(call_service(&app, stream("/api/events")).await);
    let first = submit(&app, "BEFORE").await;
    let mark = loop {
        let f = reader.event().await;
        if f.data["job_id"] == first.as_str() {
            break f.id.expect("id");
        }
    };
    drop(reader);
    let submitted = submit_text_batch(&app, "QUIET", 40).await;
    let req = TestRequest::get()
        .uri("/api/events")
        .insert_header(("last-event-id", mark.to_string()))
        .to_request();
    let mut replay = Reader::new(call_service(&app, req).await);
    let heard = hear_queued(&mut replay, submitted.len(), mark).await;
    assert_eq!(heard, submitted, "every job, in the order submitted");
}

#[actix::test]
async fn a_batch_filter_hears_only_that_batchs_jobs() {
    let (hub, transport) = hub().await;
    let app = app!(hub);
    transport.close_gate();
    let req = TestRequest::post()
        .uri("/api/print/pt/batch")
        .set_json(serde_json::json!({ "items": [text_job("B1"), text_job("B2")] }))
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.0, 202, "{}", got.2);
    let batch = got.2["batch_id"].as_str().expect("batch").to_string();
    let mut reader =
        Reader::new(call_service(&app, stream(&format!("/api/events?batch={batch}"))).await);
    let single = submit(&app, "ALONE").await;
    transport.open_gate();
    wait_state!(app, single, "completed");
    let mut completed = 0;
    while completed < 2 {
        let f = reader.event().await;
        assert_eq!(f.data["batch_id"], batch.as_str(), "{f:?}");
        assert_ne!(f.data["job_id"], single.as_str());
        if f.data["to"] == "completed" {
            completed += 1;
        }
    }
}

#[actix::test]
async fn a_stream_ends_with_a_reset_when_its_key_is_revoked() {
    let (hub, _) = hub().await;
    let auth = auth(None, 600);
    let events = EventLog::start(
        hub.clone(),
        EventConfig {
            heartbeat: Duration::from_millis(30),
            ..EventConfig::default()
        },
    );
    let app = app!(hub, auth, events);
    let (admin, doomed) = (new_key(&auth, Scope::Admin), new_key(&auth, Scope::Read));
    let open = |key: &str| {
        TestRequest::get()
            .uri("/api/events")
            .insert_header(("authorization", format!("Bearer {key}")))
            .to_request()
    };
    let mut revoked = Reader::new(call_service(&app, open(&doomed)).await);
    let mut kept = Reader::new(call_service(&app, open(&admin)).await);
    // Both streams are up: each gets a heartbeat.
    for reader in [&mut revoked, &mut kept] {
        while reader.next().await.event != ":" {}
    }
    let id = doomed.split('_').nth(1).expect("key id");
    let req = TestRequest::delete()
        .uri(&format!("/api/admin/keys/{id}"))
        .insert_header(("authorization", format!("Bearer {admin}")))
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_eq!(got.0, 200, "{}", got.2);
    // The revoked key's stream says why in its last frame, then ends.
    let deadline = Instant::now() + Duration::from_secs(10);
    let reset = loop {
        let f = revoked.next().await;
        if f.event == "stream.reset" {
            break f;
        }
        assert!(Instant::now() < deadline, "still streaming: {f:?}");
    };
    assert_eq!(reset.data["reason"], "revoked", "{:?}", reset.data);
    revoked.end().await;
    // The other key's stream carries on.
    while kept.next().await.event != ":" {}
    // The same check tells an expired key by its reason.
    let (expired, _) = auth
        .create_key(
            NewKey {
                name: "expired".into(),
                scope: Scope::Read,
                printers: None,
                expires_at: Some(printhub_core::Timestamp::from_millis(1)),
                rate_limit_per_minute: None,
            },
            "test",
        )
        .expect("key");
    let refusal = |id: &str| auth.key_refusal(id).map(|r| r.as_str());
    assert_eq!(refusal(&expired.record.id), Some("expired"));
    assert_eq!(refusal(id), Some("revoked"));
    assert_eq!(refusal(admin.split('_').nth(1).expect("id")), None);
}
