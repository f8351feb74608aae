//! `printhub status`: one status read of a printer, through the same
//! transport the engine uses (so what it shows is what the hub sees); and
//! `printhub devices`: the USB printer devices on this machine and the
//! model each names in its IEEE 1284 device id.

use crate::cli::{DevicesArgs, StatusArgs};
use crate::raster_cmd::model;
use anyhow::Context;
use printhub_actors::{DeviceTransport, TcpTimeouts, TcpTransport, Transport};
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
    let transport: Box<dyn Transport> = if printhub_actors::device::is_device_path(&args.address) {
        Box::new(DeviceTransport::new(
            args.address.trim(),
            model,
            TcpTimeouts::default(),
        ))
    } else {
        let mut transport =
            TcpTransport::new(resolve(&args.address, 9100)?, model, TcpTimeouts::default());
        if let Some(snmp) = &args.snmp {
            transport = transport.with_snmp(resolve(snmp, 161)?, &args.community);
        }
        Box::new(transport)
    };
    let status = actix_rt::System::new().block_on(transport.probe());
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &status)?;
        writeln!(out)?;
        return Ok(());
    }
    let state = match (status.reachable, &status.reason) {
        (false, Some(reason)) => format!("unreachable: {reason}"),
        (false, None) => "unreachable".to_string(),
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

/// `printhub devices`.
pub fn devices(args: &DevicesArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let found = printhub_actors::device::find_devices(&args.dev, &args.sysfs);
    if found.is_empty() {
        writeln!(
            out,
            "no USB printer devices (lp*) under {}",
            args.dev.display()
        )?;
        return Ok(());
    }
    for device in found {
        let model = match device.model() {
            Some(name) if printhub_raster::Model::by_name(name).is_some() => name.to_string(),
            Some(name) => format!("{name} (not a model printhub knows)"),
            None => "model unknown (no IEEE 1284 id)".to_string(),
        };
        writeln!(out, "{}  {model}", device.path.display())?;
    }
    Ok(())
}
