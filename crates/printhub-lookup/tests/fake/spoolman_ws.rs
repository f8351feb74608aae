//! A fake Spoolman change feed: a WebSocket server on 127.0.0.1 port 0 that
//! plays one scripted session per connection (text frames, then a close or
//! an open, silent socket) and records the path each client asked for.
//! Events have Spoolman's shape: `{"type", "resource", "date", "payload"}`.
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
}

impl FakeFeed {
    /// The paths the clients connected to, in order.
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().expect("paths").clone()
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
    let recorded = paths.clone();
    let mut sessions: VecDeque<Vec<Step>> = sessions.into();
    actix_web::rt::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let steps = sessions.pop_front().unwrap_or_default();
            let recorded = recorded.clone();
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
    }
}
