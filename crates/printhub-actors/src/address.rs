//! Printer addresses: the `host[:port]` text users write for a printer's raw
//! TCP port and its SNMP agent, checked in two separate steps.
//!
//! [`Endpoint::parse`] checks the syntax and never touches the network: a
//! host is an IP literal (IPv6 in brackets when a port follows) or a DNS
//! name of letters, digits, `-` and `_` labels; a port is 1–65535. What fails
//! here can never work, so it is refused wherever it comes from.
//! [`Endpoint::resolve`] looks the name up, bounded in time; what fails there
//! may work later (DNS down, a printer renamed). The engine resolves names
//! when a person adds or changes a printer (a typo shows at once), and the
//! TCP transport resolves again on every connection, so a printer whose name
//! stops resolving is offline with the reason and comes back by itself.
//! Names under `.invalid` never resolve (RFC 6761 §6.4: resolvers answer them
//! negatively at once), so they are refused without a lookup.
//!
//! A printer on USB has a device path instead (`/dev/usb/lp0`, or a stable
//! symlink to it): an address that starts with `/` is a [`Target::Device`],
//! never looked up, opened by the device transport on every use.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use thiserror::Error;

/// The printer's raw TCP port when an address names none.
pub const RAW_PORT: u16 = 9100;

/// The SNMP agent's port when an address names none.
pub const SNMP_PORT: u16 = 161;

/// How long a name lookup may take before it counts as unresolvable.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an address cannot be used. [`AddressError::code`] is stable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddressError {
    /// Not `host[:port]`: it can never work.
    #[error("{address:?} is not a host[:port] address: {why}")]
    Invalid {
        /// The text given.
        address: String,
        /// What is wrong with it.
        why: String,
    },
    /// A well-formed name that does not resolve now.
    #[error("{host:?} does not resolve: {why}")]
    Unresolvable {
        /// The host name.
        host: String,
        /// The resolver's answer.
        why: String,
    },
}

impl AddressError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            AddressError::Invalid { .. } => "invalid_address",
            AddressError::Unresolvable { .. } => "address_unresolvable",
        }
    }
}

/// Where a printer's `address` points: the network or a local device.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// `host[:port]`: raw TCP.
    Network(Endpoint),
    /// An absolute path of a character device (`/dev/usb/lp0`) or a link to one.
    Device(std::path::PathBuf),
}

impl Target {
    /// A device path when `text` starts with `/`, else [`Endpoint::parse`].
    pub fn parse(text: &str, default_port: u16) -> Result<Target, AddressError> {
        let trimmed = text.trim();
        if trimmed.starts_with('/') {
            if trimmed.len() < 2 || trimmed.contains('\0') {
                return Err(AddressError::Invalid {
                    address: text.to_string(),
                    why: "a device path names a file, like /dev/usb/lp0".into(),
                });
            }
            return Ok(Target::Device(trimmed.into()));
        }
        Endpoint::parse(text, default_port).map(Target::Network)
    }
}

/// The host part of an address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// An IP literal: nothing to look up.
    Ip(IpAddr),
    /// A DNS name, looked up on every [`Endpoint::resolve`].
    Name(String),
}

/// A syntactically valid `host:port`, not resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    host: Host,
    port: u16,
}

impl From<SocketAddr> for Endpoint {
    fn from(addr: SocketAddr) -> Self {
        Endpoint {
            host: Host::Ip(addr.ip()),
            port: addr.port(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}:{}", self.port),
            Host::Name(name) => write!(f, "{name}:{}", self.port),
        }
    }
}

impl Endpoint {
    /// The same host on another port (its SNMP agent, say).
    pub fn with_port(&self, port: u16) -> Endpoint {
        Endpoint {
            host: self.host.clone(),
            port,
        }
    }

    /// Parses `host[:port]` (surrounding blanks ignored), with `default_port`
    /// when none is given (9100 for raw TCP, 161 for SNMP). No lookup.
    pub fn parse(text: &str, default_port: u16) -> Result<Endpoint, AddressError> {
        let address = text.trim();
        let invalid = |why: &str| AddressError::Invalid {
            address: text.to_string(),
            why: why.to_string(),
        };
        if address.is_empty() {
            return Err(invalid("it is empty"));
        }
        if let Some(rest) = address.strip_prefix('[') {
            let (ip, after) = rest
                .split_once(']')
                .ok_or_else(|| invalid("a `[` without its `]`"))?;
            let ip: Ipv6Addr = ip
                .parse()
                .map_err(|_| invalid("brackets hold an IPv6 address"))?;
            let port = match after {
                "" => default_port,
                _ => port(after.strip_prefix(':').ok_or_else(|| {
                    invalid("only `:port` may follow the bracketed IPv6 address")
                })?)
                .map_err(|why| invalid(&why))?,
            };
            return Ok(Endpoint {
                host: Host::Ip(IpAddr::V6(ip)),
                port,
            });
        }
        if let Ok(ip) = address.parse::<IpAddr>() {
            return Ok(Endpoint {
                host: Host::Ip(ip),
                port: default_port,
            });
        }
        let (host, port) = match address.split_once(':') {
            None => (address, default_port),
            Some((_, rest)) if rest.contains(':') => {
                return Err(invalid(
                    "too many `:` (an IPv6 address with a port is written [::1]:9100)",
                ))
            }
            Some((host, p)) => (host, port(p).map_err(|why| invalid(&why))?),
        };
        if host.is_empty() {
            return Err(invalid("the host is empty"));
        }
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Ok(Endpoint {
                host: Host::Ip(IpAddr::V4(ip)),
                port,
            });
        }
        check_name(host).map_err(|why| invalid(&why))?;
        Ok(Endpoint {
            host: Host::Name(host.to_string()),
            port,
        })
    }

    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every address the host has now (one for an IP literal), looking the
    /// name up at most [`RESOLVE_TIMEOUT`] (or `limit`, if shorter).
    pub async fn resolve(&self, limit: Duration) -> Result<Vec<SocketAddr>, AddressError> {
        let name = match self.named()? {
            None => return Ok(self.literal().into_iter().collect()),
            Some(name) => name,
        };
        let unresolvable = |why: String| AddressError::Unresolvable {
            host: name.to_string(),
            why,
        };
        let limit = limit.min(RESOLVE_TIMEOUT);
        let found = tokio::time::timeout(limit, tokio::net::lookup_host((name, self.port)))
            .await
            .map_err(|_| unresolvable(format!("no answer within {limit:?}")))?
            .map_err(|e| unresolvable(e.to_string()))?;
        let found: Vec<SocketAddr> = found.collect();
        if found.is_empty() {
            return Err(unresolvable("no address".into()));
        }
        Ok(found)
    }

    /// As [`Endpoint::resolve`], blocking the calling thread (no time bound
    /// but the system resolver's own).
    pub fn resolve_blocking(&self) -> Result<Vec<SocketAddr>, AddressError> {
        use std::net::ToSocketAddrs;
        let name = match self.named()? {
            None => return Ok(self.literal().into_iter().collect()),
            Some(name) => name,
        };
        let unresolvable = |why: String| AddressError::Unresolvable {
            host: name.to_string(),
            why,
        };
        let found: Vec<SocketAddr> = (name, self.port)
            .to_socket_addrs()
            .map_err(|e| unresolvable(e.to_string()))?
            .collect();
        if found.is_empty() {
            return Err(unresolvable("no address".into()));
        }
        Ok(found)
    }

    fn literal(&self) -> Option<SocketAddr> {
        match self.host {
            Host::Ip(ip) => Some(SocketAddr::new(ip, self.port)),
            Host::Name(_) => None,
        }
    }

    /// The name to look up (`None` for an IP literal); a `.invalid` name fails at once.
    fn named(&self) -> Result<Option<&str>, AddressError> {
        let Host::Name(name) = &self.host else {
            return Ok(None);
        };
        let lower = name.trim_end_matches('.').to_ascii_lowercase();
        if lower == "invalid" || lower.ends_with(".invalid") {
            return Err(AddressError::Unresolvable {
                host: name.clone(),
                why: "names under .invalid never resolve (RFC 6761)".into(),
            });
        }
        Ok(Some(name))
    }
}

/// A port: 1–65535, digits only.
fn port(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p != 0 && text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("port {text:?} is not 1-65535"))
}

/// A DNS host name: at most 253 characters (one trailing dot allowed) of
/// 1–63 character labels of letters, digits, `-` and `_`, none starting or
/// ending with `-`, and not all digits in the last label (that would be a
/// malformed IPv4 address, RFC 1123 §2.1).
fn check_name(host: &str) -> Result<(), String> {
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.len() > 253 {
        return Err("the host name is longer than 253 characters".into());
    }
    let mut last = "";
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "{host:?} has a label that is empty or longer than 63"
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "{host:?} is not a host name (letters, digits, `-`, `_` and dots)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("{host:?} has a label starting or ending with `-`"));
        }
        last = label;
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{host:?} is not a valid IPv4 address"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_addresses_parse_with_their_port() {
        let cases = [
            ("127.0.0.1", "127.0.0.1:9100"),
            (" 127.0.0.1:1161 ", "127.0.0.1:1161"),
            ("::1", "[::1]:9100"),
            ("[::1]", "[::1]:9100"),
            ("[fe80::1]:9101", "[fe80::1]:9101"),
            ("printer", "printer:9100"),
            ("ql-820.lab.example.", "ql-820.lab.example.:9100"),
            ("Label_Printer.local:65535", "Label_Printer.local:65535"),
        ];
        for (text, shown) in cases {
            let endpoint = Endpoint::parse(text, 9100).expect(text);
            assert_eq!(endpoint.to_string(), shown, "{text}");
        }
    }

    #[test]
    fn malformed_addresses_are_invalid_before_any_lookup() {
        for text in [
            "",
            "   ",
            "::::::",
            ":9100",
            "printer:",
            "printer:0",
            "printer:65536",
            "printer:+80",
            "printer:91OO",
            "printer:9100:1",
            "http://printer:9100",
            "printer/queue",
            "pr inter",
            "-printer",
            "printer-.lab",
            "lab..example",
            "1.2.3.999",
            "[::1",
            "[printer]:9100",
            "[::1]9100",
            "[::1]:0",
        ] {
            let err = Endpoint::parse(text, 9100).expect_err(text);
            assert_eq!(err.code(), "invalid_address", "{text}: {err}");
        }
        let long = format!("{}.example", "a".repeat(64));
        assert!(Endpoint::parse(&long, 9100).is_err());
    }

    #[test]
    fn invalid_names_never_resolve_and_literals_need_no_lookup() {
        for text in ["no-such-host.invalid", "printer.INVALID.", "invalid:161"] {
            let endpoint = Endpoint::parse(text, 9100).expect("well-formed");
            let err = endpoint.resolve_blocking().expect_err(text);
            assert_eq!(err.code(), "address_unresolvable", "{text}");
        }
        let literal = Endpoint::parse("[::1]:9", 9100).expect("literal");
        assert_eq!(
            literal.resolve_blocking().expect("no lookup"),
            vec![SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], 9))]
        );
    }

    #[actix_rt::test]
    async fn async_resolution_agrees() {
        let endpoint = Endpoint::parse("printer.invalid:9100", 9100).expect("well-formed");
        let err = endpoint
            .resolve(Duration::from_secs(1))
            .await
            .expect_err("never resolves");
        assert!(err.to_string().contains("printer.invalid"), "{err}");
        let literal = Endpoint::parse("10.0.0.7", 161).expect("literal");
        assert_eq!(
            literal.resolve(Duration::from_secs(1)).await.expect("ip"),
            vec![SocketAddr::from(([10, 0, 0, 7], 161))]
        );
    }
}
