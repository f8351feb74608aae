//! Starts an emulated PT-P750W with 12 mm tape, sends it one label over a
//! plain `TcpStream` the way a host does on port 9100, reads the status
//! blocks back, and prints what the emulator recorded.
//!
//! Run with `cargo run --example emulator`.

use anyhow::{bail, Context};
use printhub_emulator::{Emulator, EmulatorConfig};
use printhub_raster::{
    Bitmap, Encoder, JobOptions, Label, Media, Model, Phase, Status, StatusType,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn main() -> anyhow::Result<()> {
    let emulator = Emulator::start(EmulatorConfig::new("PT-P750W", "tze-12").with_snmp())?;
    println!(
        "emulated PT-P750W with tze-12: tcp {}, snmp {:?}",
        emulator.tcp_addr(),
        emulator.snmp_addr()
    );

    // One 20 mm label (142 lines at 180 dpi): a frame and a diagonal.
    let model = Model::by_name("PT-P750W").context("unknown model")?;
    let media = Media::by_id("tze-12").context("unknown media")?;
    let encoder = Encoder::new(model, media, JobOptions::default())?;
    let (width, height) = (encoder.geometry().printable() as usize, 142);
    let label = Bitmap::from_fn(width, height, |x, y| {
        x == 0 || y == 0 || x + 1 == width || y + 1 == height || x == y * width / height
    });
    let job = encoder.encode(&[Label::black(label.clone())])?;

    let mut stream = TcpStream::connect(emulator.tcp_addr())?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;

    // A careful host asks first; PT models answer a standalone ESC i S on TCP.
    stream.write_all(&[0x1B, b'i', b'S'])?;
    let reply = read_status(&mut stream)?;
    println!(
        "status reply: {:?}, media {:?}, errors {:?}",
        reply.readiness(),
        reply.media().map(|m| m.id),
        reply.errors
    );

    stream.write_all(&job)?;
    println!("sent {} bytes", job.len());
    // Printing, printing completed, then back to receiving; or an error.
    loop {
        let status = read_status(&mut stream)?;
        println!("  <- {:?} (phase {:?})", status.status_type, status.phase);
        match (status.status_type, status.phase) {
            (StatusType::Error, _) => bail!("the printer reported {:?}", status.errors),
            (StatusType::PhaseChange, Phase::Receiving) => break,
            _ => {}
        }
    }
    drop(stream);

    for page in emulator.pages() {
        let meta = &page.meta;
        println!(
            "recorded job {} page {}: {} lines x {} dots on {:?}, auto cut {}, at {}",
            meta.job,
            meta.page,
            meta.raster_lines,
            meta.width_dots,
            meta.media,
            meta.auto_cut,
            meta.timestamp
        );
        println!("  bits equal the label sent: {}", page.black == label);
        println!("  PNG: {} bytes", page.to_png().map_or(0, |png| png.len()));
    }
    for error in emulator.errors() {
        println!("refused: {} ({})", error.code(), error.error);
    }
    emulator.shutdown();
    Ok(())
}

fn read_status(stream: &mut TcpStream) -> anyhow::Result<Status> {
    let mut block = [0u8; 32];
    stream.read_exact(&mut block)?;
    Ok(Status::parse(&block)?)
}
