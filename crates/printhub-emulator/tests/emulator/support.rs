//! Shared helpers: starting emulators, talking to them like a client,
//! encoding labels with printhub-raster, and hand-built raw streams for
//! protocol violations.
//!
//! Timeouts are upper bounds only (a test never sleeps to synchronise); the
//! one short timeout, [`SILENCE`], bounds the reads that assert "no answer".

use printhub_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use printhub_raster::command::{
    COMPRESSION, ESC, PRINT, PRINT_FEED, RASTER_PT, RASTER_QL, ZERO_RASTER,
};
use printhub_raster::{
    Bitmap, Encoder, ErrorFlags, JobOptions, Label, Media, Model, Phase, PrintInfo, Status,
    StatusType,
};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Upper bound for anything that should happen: far above what it takes even on
/// a loaded machine (waits and reads return as soon as it happened).
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// How long a read waits to conclude that no answer comes.
pub const SILENCE: Duration = Duration::from_millis(300);

/// Starts an emulator of `model` with `media`, instant printing, no SNMP.
pub fn start(model: &str, media: &str) -> EmulatorHandle {
    Emulator::start(EmulatorConfig::new(model, media)).expect("emulator starts")
}

/// Opens a client connection with read and write timeouts of [`TIMEOUT`].
pub fn connect(emulator: &EmulatorHandle) -> TcpStream {
    let stream = TcpStream::connect(emulator.tcp_addr()).expect("connect");
    stream
        .set_read_timeout(Some(TIMEOUT))
        .expect("read timeout");
    stream
        .set_write_timeout(Some(TIMEOUT))
        .expect("write timeout");
    stream
}

/// Connects and sends `bytes`.
pub fn send(emulator: &EmulatorHandle, bytes: &[u8]) -> TcpStream {
    let mut stream = connect(emulator);
    stream.write_all(bytes).expect("send");
    stream
}

/// Reads one 32-byte block.
pub fn read_block(stream: &mut TcpStream) -> [u8; 32] {
    let mut block = [0u8; 32];
    stream.read_exact(&mut block).expect("a 32-byte block");
    block
}

/// Reads and parses one status block.
pub fn read_status(stream: &mut TcpStream) -> Status {
    Status::parse(&read_block(stream)).expect("a valid status block")
}

/// Asserts that nothing arrives within [`SILENCE`] (and that the connection stays open).
pub fn expect_silence(stream: &mut TcpStream) {
    stream
        .set_read_timeout(Some(SILENCE))
        .expect("read timeout");
    let mut byte = [0u8; 1];
    match stream.read(&mut byte) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!("expected no answer, got {other:?}"),
    }
    stream
        .set_read_timeout(Some(TIMEOUT))
        .expect("read timeout");
}

/// Asserts that the printer closed the connection.
pub fn expect_closed(stream: &mut TcpStream) {
    let mut buf = [0u8; 64];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("the connection is still open")
            }
            // A reset also means closed (the printer closed with unread input).
            Err(_) => return,
            Ok(_) => continue,
        }
    }
}

/// Reads the three blocks a printed page produces: printing, completed, receiving.
pub fn expect_printed(stream: &mut TcpStream) {
    let printing = read_status(stream);
    assert_eq!(
        (printing.status_type, printing.phase),
        (StatusType::PhaseChange, Phase::Printing)
    );
    let completed = read_status(stream);
    assert_eq!(completed.status_type, StatusType::PrintingCompleted);
    let receiving = read_status(stream);
    assert_eq!(
        (receiving.status_type, receiving.phase),
        (StatusType::PhaseChange, Phase::Receiving)
    );
    for status in [printing, completed, receiving] {
        assert!(status.errors.is_empty(), "{status:?}");
    }
}

/// Reads one block and asserts it is an error status carrying `flags`.
pub fn expect_error(stream: &mut TcpStream, flags: ErrorFlags) -> Status {
    let status = read_status(stream);
    assert_eq!(status.status_type, StatusType::Error, "{status:?}");
    assert!(
        status.errors.contains(flags),
        "expected {flags:?} in {:?}",
        status.errors
    );
    status
}

/// Asserts that exactly one error was recorded, with `code`, and returns its offset.
pub fn expect_recorded_error(emulator: &EmulatorHandle, code: &str) -> u64 {
    assert!(emulator.wait_for_errors(1, TIMEOUT), "an error is recorded");
    let errors = emulator.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code(), code, "{}", errors[0].error);
    errors[0].offset()
}

/// A deterministic test pattern: a diagonal, a frame and sparse dots.
pub fn pattern(width: usize, height: usize, seed: usize) -> Bitmap {
    Bitmap::from_fn(width, height, |x, y| {
        x == y % width
            || x == 0
            || y == 0
            || x + 1 == width
            || (x * 7 + y * 13 + seed).is_multiple_of(11)
    })
}

/// An encoder for `model` on `media` with `options`.
pub fn encoder(model: &str, media: &str, options: JobOptions) -> Encoder {
    let model = Model::by_name(model).expect("model");
    let media = Media::by_id(media).expect("media");
    Encoder::new(model, media, options).expect("valid options")
}

/// `count` black labels of `height` lines (the die-cut length if the medium has one) and their job.
pub fn job(
    model: &str,
    media: &str,
    options: JobOptions,
    count: usize,
    height: usize,
) -> (Vec<Label>, Vec<u8>) {
    let encoder = encoder(model, media, options);
    let (min, max) = encoder.line_range();
    let height = height.clamp(min, max);
    let width = encoder.geometry().printable() as usize;
    let labels: Vec<Label> = (0..count)
        .map(|i| Label::black(pattern(width, height, i)))
        .collect();
    let bytes = encoder.encode(&labels).expect("encodes");
    (labels, bytes)
}

/// A one-label job with default options.
pub fn simple_job(model: &str, media: &str) -> Vec<u8> {
    job(model, media, JobOptions::default(), 1, 200).1
}

/// A hand-built byte stream, for input printhub-raster's encoder would never produce.
#[derive(Debug, Default)]
pub struct Raw(pub Vec<u8>);

impl Raw {
    /// Invalidate and initialise, as a job starts.
    pub fn start(n: usize) -> Self {
        let mut raw = Raw(vec![0; n]);
        raw.0.extend_from_slice(&[ESC, b'@']);
        raw
    }

    /// Appends arbitrary bytes.
    pub fn bytes(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }

    /// `ESC i S`.
    pub fn status_request(self) -> Self {
        self.bytes(&[ESC, b'i', b'S'])
    }

    /// `ESC i z` with the given fields.
    pub fn print_info(
        self,
        flags: u8,
        media_type: u8,
        width_mm: u8,
        length_mm: u8,
        lines: u32,
    ) -> Self {
        let info = PrintInfo {
            flags,
            media_type,
            width_mm,
            length_mm,
            raster_count: lines,
            page: 0,
            reserved: 0,
        };
        self.bytes(&[ESC, b'i', b'z']).bytes(&info.to_bytes())
    }

    /// `ESC i K n`.
    pub fn advanced(self, value: u8) -> Self {
        self.bytes(&[ESC, b'i', b'K', value])
    }

    /// `M n`.
    pub fn compression(self, mode: u8) -> Self {
        self.bytes(&[COMPRESSION, mode])
    }

    /// An uncompressed PT line (`G`) of `data`.
    pub fn pt_line(self, data: &[u8]) -> Self {
        let len = (data.len() as u16).to_le_bytes();
        self.bytes(&[RASTER_PT, len[0], len[1]]).bytes(data)
    }

    /// An uncompressed QL line (`g 00 n`) of `data`.
    pub fn ql_line(self, data: &[u8]) -> Self {
        self.bytes(&[RASTER_QL, 0, data.len() as u8]).bytes(data)
    }

    /// `n` blank lines (`Z`).
    pub fn zeros(mut self, n: usize) -> Self {
        self.0.resize(self.0.len() + n, ZERO_RASTER);
        self
    }

    /// `0C`.
    pub fn print(self) -> Self {
        self.bytes(&[PRINT])
    }

    /// `1A`.
    pub fn print_feed(self) -> Self {
        self.bytes(&[PRINT_FEED])
    }

    /// The current length (the offset of the next byte).
    pub fn len(&self) -> u64 {
        self.0.len() as u64
    }
}

/// Offset of the first `ESC i z` in a valid job for `model`.
pub fn first_print_info(model: &str, bytes: &[u8]) -> u64 {
    let options = printhub_raster::DecoderOptions {
        model: Model::by_name(model),
    };
    let (commands, _) = printhub_raster::Decoder::decode_all(options, bytes).expect("a valid job");
    commands
        .iter()
        .find(|(_, c)| matches!(c, printhub_raster::Command::PrintInfo(_)))
        .map(|(offset, _)| *offset)
        .expect("the job has print information")
}
