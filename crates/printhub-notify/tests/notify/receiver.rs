//! A minimal HTTP/1.1 receiver on loopback (std threads): records every
//! request and answers from a script (then 200), or never answers.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// This status.
    Status(u16),
    /// Never answer (the connection is kept open).
    Hang,
}

/// One request.
#[derive(Debug, Clone)]
pub struct Received {
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
    /// Whether it was answered 2xx.
    pub answered: bool,
}

impl Received {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

#[derive(Debug, Default)]
struct State {
    script: VecDeque<Behaviour>,
    received: Vec<Received>,
    held: Vec<TcpStream>,
}

/// The receiver; it stops accepting when dropped (its thread is detached).
#[derive(Debug)]
pub struct Receiver {
    port: u16,
    state: Arc<Mutex<State>>,
}

/// A port nothing listens on (right now).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

impl Receiver {
    /// Listens on a free port.
    pub fn start(script: Vec<Behaviour>) -> Receiver {
        Receiver::listen(TcpListener::bind("127.0.0.1:0").expect("bind"), script)
    }

    /// Listens on `port`.
    pub fn start_on(port: u16, script: Vec<Behaviour>) -> Receiver {
        Receiver::listen(
            TcpListener::bind(("127.0.0.1", port)).expect("bind"),
            script,
        )
    }

    fn listen(listener: TcpListener, script: Vec<Behaviour>) -> Receiver {
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(Mutex::new(State {
            script: script.into(),
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Receiver { port, state }
    }

    /// `http://127.0.0.1:<port>/hook`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("lock").received.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let Ok(writer) = stream.try_clone() else {
        return;
    };
    let mut writer = writer;
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let mut s = state.lock().expect("lock");
        let behaviour = s.script.pop_front().unwrap_or(Behaviour::Status(200));
        let status = match behaviour {
            Behaviour::Status(code) => code,
            Behaviour::Hang => {
                s.received.push(Received {
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                    answered: false,
                });
                if let Ok(held) = writer.try_clone() {
                    s.held.push(held);
                }
                return;
            }
        };
        s.received.push(Received {
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            answered: (200..300).contains(&status),
        });
        drop(s);
        let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}
