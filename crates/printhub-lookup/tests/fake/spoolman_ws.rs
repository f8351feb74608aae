//! A fake Spoolman change feed: a WebSocket server on 127.0.0.1 port 0 that
//! plays one scripted session per connection (text frames, then a close or
//! an open, silent socket) and records the path each client asked for.
//! Events have Spoolman's shape: `{"type", "resource", "date", "payload"}`.
//!
//! Like Spoolman, the same path answers plain HTTP too: `GET /api/v1/spool`
//! with `sort=id:desc`, `limit` and `offset` lists the spools registered
//! (newest first, `x-total-count` set). A spool is registered when an
//! `added` event for it is sent, or by [`FakeFeed::register`] (added while
//! no client listened: no event).
#![allow(dead_code)]

use futures_util::SinkExt as _;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;

/// One step of a session.
#[derive(Debug, Clone)]
pub enum Step {
    /// A text frame.
    Send(String),
    /// A close frame, then the connection ends.
    Close,
}

/// A running feed.
pub struct FakeFeed {
    /// `http://127.0.0.1:<port>/`: what `[integrations.spoolman] base_url` takes.
    pub base: String,
    paths: Arc<Mutex<Vec<String>>>,
    queries: Arc<Mutex<Vec<String>>>,
    spools: Arc<Mutex<Vec<Value>>>,
}

impl FakeFeed {
    /// The paths the clients connected to, in order.
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().expect("paths").clone()
    }

    /// The request targets of the plain HTTP requests (the spool lists), in order.
    pub fn queries(&self) -> Vec<String> {
        self.queries.lock().expect("queries").clone()
    }

    /// Registers a spool without an event (added while no client listened).
    pub fn register(&self, spool: Value) {
        self.spools.lock().expect("spools").push(spool);
    }
}

/// Answers one plain HTTP request: the spool list, as Spoolman's `find`.
async fn answer_http(
    mut stream: tokio::net::TcpStream,
    spools: Arc<Mutex<Vec<Value>>>,
    queries: Arc<Mutex<Vec<String>>>,
) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let target = head.split(' ').nth(1).unwrap_or_default().to_string();
    queries.lock().expect("queries").push(target.clone());
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let (status, body, total) = if path == "/api/v1/spool" {
        let mut list = spools.lock().expect("spools").clone();
        list.sort_by_key(|s| s["id"].as_u64().unwrap_or_default());
        if param("sort").as_deref() == Some("id%3Adesc")
            || param("sort").as_deref() == Some("id:desc")
        {
            list.reverse();
        }
        let total = list.len();
        let offset: usize = param("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
        let limit: usize = param("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(usize::MAX);
        let page: Vec<Value> = list.into_iter().skip(offset).take(limit).collect();
        ("200 OK", Value::from(page).to_string(), total)
    } else {
        (
            "404 Not Found",
            json!({"detail": "Not Found"}).to_string(),
            0,
        )
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-total-count: {total}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Whether the request waiting on `stream` asks for a WebSocket (peeked, not read).
async fn is_upgrade(stream: &tokio::net::TcpStream) -> bool {
    let mut buf = vec![0u8; 8192];
    loop {
        let Ok(n) = stream.peek(&mut buf).await else {
            return false;
        };
        let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
        if head.contains("\r\n\r\n") || n == buf.len() || n == 0 {
            return head.contains("upgrade: websocket");
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

/// A Spoolman event as text.
pub fn event(kind: &str, resource: &str, payload: Value) -> Step {
    Step::Send(
        json!({"type": kind, "resource": resource, "date": "2026-04-20T18:00:00Z", "payload": payload})
            .to_string(),
    )
}

/// Starts the feed in the current actix system; connection `n` plays `sessions[n]`.
pub async fn start(sessions: Vec<Vec<Step>>) -> FakeFeed {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind feed");
    let port = listener.local_addr().expect("addr").port();
    let paths = Arc::new(Mutex::new(Vec::new()));
    let queries = Arc::new(Mutex::new(Vec::new()));
    let spools = Arc::new(Mutex::new(Vec::new()));
    let recorded = paths.clone();
    let (asked, registered) = (queries.clone(), spools.clone());
    let mut sessions: VecDeque<Vec<Step>> = sessions.into();
    actix_web::rt::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            if !is_upgrade(&stream).await {
                actix_web::rt::spawn(answer_http(stream, registered.clone(), asked.clone()));
                continue;
            }
            let steps = sessions.pop_front().unwrap_or_default();
            let recorded = recorded.clone();
            let registered = registered.clone();
            actix_web::rt::spawn(async move {
                // The handshake callback's error type is tungstenite's, large by design.
                #[allow(clippy::result_large_err)]
                let record = |req: &Request, resp: Response| {
                    recorded
                        .lock()
                        .expect("paths")
                        .push(req.uri().path().to_string());
                    Ok(resp)
                };
                let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, record).await
                else {
                    return;
                };
                for step in steps {
                    match step {
                        Step::Send(text) => {
                            if let Ok(event) = serde_json::from_str::<Value>(&text) {
                                if event["type"] == "added" && event["resource"] == "spool" {
                                    registered
                                        .lock()
                                        .expect("spools")
                                        .push(event["payload"].clone());
                                }
                            }
                            if socket.send(Message::text(text)).await.is_err() {
                                return;
                            }
                        }
                        Step::Close => {
                            let _ = socket.close(None).await;
                            return;
                        }
                    }
                }
                // Stay connected and silent until the client goes.
                use futures_util::StreamExt as _;
                while let Some(Ok(_)) = socket.next().await {}
            });
        }
    });
    FakeFeed {
        base: format!("http://127.0.0.1:{port}/"),
        paths,
        queries,
        spools,
    }
}
