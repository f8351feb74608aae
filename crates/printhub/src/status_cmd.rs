//! `printhub status`: one status read of a printer, through the same
//! transport the engine uses (so what it shows is what the hub sees).

use crate::cli::StatusArgs;
use crate::raster_cmd::model;
use anyhow::Context;
use printhub_actors::{TcpTimeouts, TcpTransport, Transport};
use std::io::Write;
use std::net::SocketAddr;

/// Resolves `host[:port]` for the CLI (the engine's resolver, with a readable error).
pub fn resolve(address: &str, default_port: u16) -> anyhow::Result<SocketAddr> {
    printhub_actors::resolve_address(address, default_port)
        .with_context(|| format!("cannot resolve {address}"))
}

/// `printhub status`.
pub fn status(args: &StatusArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let model = model(&args.model)?;
    let mut transport =
        TcpTransport::new(resolve(&args.address, 9100)?, model, TcpTimeouts::default());
    if let Some(snmp) = &args.snmp {
        transport = transport.with_snmp(resolve(snmp, 161)?, &args.community);
    }
    let status = actix_rt::System::new().block_on(transport.probe());
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &status)?;
        writeln!(out)?;
        return Ok(());
    }
    let state = match (status.reachable, &status.reason) {
        (false, _) => "unreachable".to_string(),
        (true, Some(reason)) => format!("needs attention: {reason}"),
        (true, None) => "ready".to_string(),
    };
    writeln!(out, "{} at {}: {state}", model.name, args.address)?;
    writeln!(
        out,
        "  media:  {}",
        status.media.as_deref().unwrap_or("not reported")
    )?;
    if !status.errors.is_empty() {
        writeln!(out, "  errors: {}", status.errors.join(", "))?;
    }
    writeln!(out, "  source: {}", status.source.as_deref().unwrap_or("-"))?;
    Ok(())
}
