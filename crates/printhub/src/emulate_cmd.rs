//! `printhub emulate`, `printhub send` and `printhub run` (the `make run`
//! demo): emulated printers on loopback (and USB pseudo-devices) and a
//! minimal raw-TCP sender.

use crate::cli::{EmulateArgs, RunArgs, SendArgs, SpeedArg};
use anyhow::{bail, Context};
use printhub_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Speed};
use printhub_raster::{Decoder, DecoderOptions, Phase, Status, StatusType};
use serde::Deserialize;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

/// A `printhub emulate --config` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmulateFile {
    /// One entry per emulated printer.
    pub printer: Vec<EmulatorConfig>,
}

/// Reads an emulator config file (TOML).
pub fn read_config(path: &Path) -> anyhow::Result<Vec<EmulatorConfig>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: EmulateFile = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid emulator config", path.display()))?;
    if file.printer.is_empty() {
        bail!("{} lists no [[printer]]", path.display());
    }
    for (i, config) in file.printer.iter().enumerate() {
        config
            .validate()
            .with_context(|| format!("{}: printer {}", path.display(), i + 1))?;
    }
    Ok(file.printer)
}

fn start_all(
    configs: Vec<EmulatorConfig>,
    out: &mut dyn Write,
) -> anyhow::Result<Vec<EmulatorHandle>> {
    let mut handles = Vec::new();
    for config in configs {
        let (model, media) = config.validate()?;
        let (model, media) = (model.name, media.id);
        let handle = Emulator::start(config)
            .with_context(|| format!("cannot start the {model} emulator"))?;
        let snmp = handle
            .snmp_addr()
            .map(|a| format!(", SNMP on udp://{a}"))
            .unwrap_or_default();
        let usb = handle
            .device_link()
            .map(|p| format!(", USB device at {}", p.display()))
            .unwrap_or_default();
        writeln!(
            out,
            "emulated {model} with {media} listening on tcp://{}{snmp}{usb}",
            handle.tcp_addr()
        )?;
        handles.push(handle);
    }
    out.flush()?;
    Ok(handles)
}

fn wait(for_seconds: Option<u64>) {
    match for_seconds {
        Some(s) => std::thread::sleep(Duration::from_secs(s)),
        None => loop {
            std::thread::park();
        },
    }
}

/// `printhub emulate`.
pub fn emulate(args: &EmulateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let configs = match &args.config {
        Some(path) => read_config(path)?,
        None => {
            let (Some(model), Some(media)) = (&args.model, &args.media) else {
                bail!("--model and --media are required without --config");
            };
            let mut config = EmulatorConfig::new(model, media)
                .tcp_addr(args.listen)
                .keep_pages(args.keep_pages)
                .speed(match args.speed {
                    SpeedArg::Instant => Speed::Instant,
                    SpeedArg::Real => Speed::Real,
                });
            if let Some(snmp) = args.snmp {
                config = config.snmp_addr(snmp);
            }
            if let Some(dir) = &args.out_dir {
                config = config.out_dir(dir);
            }
            if let Some(link) = &args.device_link {
                config = config.device_link(link);
            }
            vec![config]
        }
    };
    let handles = std::sync::Arc::new(start_all(configs, out)?);
    if let Some(addr) = args.control {
        let bound = crate::emulate_control::serve(addr, handles.clone())?;
        writeln!(
            out,
            "control on tcp://{bound} (`media [<n>] <id|none>` swaps the loaded media, `show` lists it)"
        )?;
        out.flush()?;
    }
    wait(None);
    drop(handles);
    Ok(())
}

/// `printhub run`: the `make run` demo.
pub fn run_demo(args: &RunArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let dir = args.data_dir.join("emulator");
    let configs = vec![
        EmulatorConfig::new("PT-P750W", "tze-12")
            .tcp_addr(([127, 0, 0, 1], 9100).into())
            .snmp_addr(([127, 0, 0, 1], 1161).into())
            .out_dir(dir.join("pt-p750w"))
            .speed(Speed::Real),
        EmulatorConfig::new("QL-820NWB", "dk-62")
            .tcp_addr(([127, 0, 0, 1], 9101).into())
            .snmp_addr(([127, 0, 0, 1], 1162).into())
            .out_dir(dir.join("ql-820nwb"))
            .speed(Speed::Real),
    ];
    let _handles = start_all(configs, out)?;
    writeln!(
        out,
        "\nprinthub's HTTP API and web UI are not built yet (see README); the emulated printers are.\n\
         Print a label to them from another terminal, for example:\n\
         \n  target/release/printhub raster encode --model QL-820NWB --media dk-62 --input label.png --output job.bin\n  \
         target/release/printhub send job.bin --to 127.0.0.1:9101\n\
         \nPrinted pages appear as PNG + JSON under {}. Stop with Ctrl-C.",
        dir.display()
    )?;
    out.flush()?;
    wait(args.for_seconds);
    Ok(())
}

/// `printhub send`: writes a job to raw TCP and reports the status blocks the printer sends back.
pub fn send(args: &SendArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(&args.job).with_context(|| format!("cannot read {}", args.job.display()))?;
    // Count the pages first: a file that is not a valid job is not sent.
    let (_, pages) = Decoder::decode_all(DecoderOptions::default(), &bytes)
        .with_context(|| format!("{} is not a valid job", args.job.display()))?;
    send_job(&bytes, pages.len(), &args.to, args.timeout, out)
}

/// Sends a complete job of `pages` pages to `to` (port 9100 by default) and
/// follows the printer's status blocks until it is ready again, refuses the
/// job (an error) or falls silent for `timeout_secs`.
pub fn send_job(
    bytes: &[u8],
    pages: usize,
    to: &str,
    timeout_secs: u64,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let addr = crate::status_cmd::resolve(to, 9100)?;
    let timeout = Duration::from_secs(timeout_secs.max(1));
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream
        .write_all(bytes)
        .with_context(|| format!("cannot send to {addr}"))?;
    writeln!(
        out,
        "sent {} bytes ({} page(s)) to {addr}",
        bytes.len(),
        pages
    )?;
    let mut completed = 0;
    let mut block = [0u8; 32];
    loop {
        if let Err(e) = stream.read_exact(&mut block) {
            writeln!(
                out,
                "no further status from the printer ({e}); {completed}/{} page(s) confirmed",
                pages
            )?;
            return Ok(());
        }
        let status = match Status::parse(&block) {
            Ok(s) => s,
            Err(e) => {
                writeln!(out, "unreadable status block: {e}")?;
                continue;
            }
        };
        match status.status_type {
            StatusType::Error => bail!(
                "the printer refused the job: {}",
                status
                    .reason()
                    .map_or("error".to_string(), |r| r.code().to_string())
            ),
            StatusType::PrintingCompleted => {
                completed += 1;
                writeln!(out, "page {completed}/{} printed", pages)?;
            }
            StatusType::PhaseChange if status.phase == Phase::Receiving && completed >= pages => {
                writeln!(out, "done: the printer is ready again")?;
                return Ok(());
            }
            _ => {}
        }
    }
}
