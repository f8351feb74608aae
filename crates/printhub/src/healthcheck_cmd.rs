//! `printhub healthcheck`: exits 0 if and only if the hub's `/healthz`
//! answers 200, for a container's `HEALTHCHECK` (an image `FROM scratch`
//! has no curl) and for scripts. Plain HTTP/1.1 over a `TcpStream` with a
//! deadline on connect, write and read: the check talks to this host's own
//! listener and needs nothing else.

use crate::cli::HealthcheckArgs;
use crate::config::Config;
use anyhow::{bail, Context};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long each step may take.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Runs `printhub healthcheck`.
pub fn healthcheck(args: &HealthcheckArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let addr = match &args.address {
        Some(text) => text
            .to_socket_addrs()
            .with_context(|| format!("--address: {text:?} is not host:port"))?
            .next()
            .with_context(|| format!("--address: {text:?} names no address"))?,
        None => {
            let config = match &args.config {
                Some(path) => Config::from_file(path)?,
                None => Config::demo(std::path::Path::new("var")),
            }
            .with_env(|k| std::env::var(k).ok())?;
            local(config.listen)
        }
    };
    let status = probe(addr).with_context(|| format!("http://{addr}/healthz"))?;
    if status != 200 {
        bail!("http://{addr}/healthz answered {status}");
    }
    writeln!(out, "ok: http://{addr}/healthz answered 200")?;
    Ok(())
}

/// Where to reach a listener bound to `listen` from this host: an
/// unspecified address (`0.0.0.0`, `[::]`) is reached on loopback.
fn local(listen: SocketAddr) -> SocketAddr {
    match listen {
        SocketAddr::V4(a) if a.ip().is_unspecified() => {
            SocketAddr::from(([127, 0, 0, 1], a.port()))
        }
        SocketAddr::V6(a) if a.ip().is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, a.port()))
        }
        other => other,
    }
}

/// The status code `GET /healthz` gets from `addr`.
fn probe(addr: SocketAddr) -> anyhow::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).context("cannot connect")?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    // One write: a request sent in pieces may meet a server that answers and
    // closes after the first, and the unread rest turns the close into a reset.
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: printhub-healthcheck\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    // The status line is all that is needed.
    while !head.ends_with(b"\r\n") && head.len() < 256 {
        if stream.read(&mut byte).context("no answer")? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&head);
    let mut parts = line.split_whitespace();
    match (
        parts.next(),
        parts.next().and_then(|c| c.parse::<u16>().ok()),
    ) {
        (Some(version), Some(code)) if version.starts_with("HTTP/1.") => Ok(code),
        _ => bail!("not an HTTP answer: {:?}", line.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-shot server answering `answer` to the first request.
    fn serve_once(answer: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                // Read the whole request first: closing with unread bytes
                // would reset the connection under the client's read.
                let mut request = Vec::new();
                let mut buf = [0u8; 512];
                while !request.ends_with(b"\r\n\r\n") {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = conn.write_all(answer.as_bytes());
            }
        });
        addr
    }

    #[test]
    fn only_a_200_is_healthy() {
        let ok = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
        assert_eq!(probe(ok).expect("answer"), 200);
        let down = serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\n");
        assert_eq!(probe(down).expect("answer"), 503);
        let garbage = serve_once("SSH-2.0-OpenSSH\r\n");
        assert!(probe(garbage).is_err());
        // Nobody listening.
        let closed = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr");
        assert!(probe(closed).is_err());
    }

    #[test]
    fn an_unspecified_listen_address_is_checked_on_loopback() {
        assert_eq!(
            local("0.0.0.0:8080".parse().expect("addr")),
            "127.0.0.1:8080".parse().expect("addr")
        );
        assert_eq!(
            local("[::]:8080".parse().expect("addr")),
            "[::1]:8080".parse().expect("addr")
        );
        assert_eq!(
            local("192.0.2.1:80".parse().expect("addr")),
            "192.0.2.1:80".parse().expect("addr")
        );
    }
}
