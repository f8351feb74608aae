//! The send loop the TCP and the device transport share ([`drive`]): the
//! stream is written at most [`PACING_COPIES`] copies ahead of the printer's
//! reports on links that report each page, status blocks are read while it
//! is written, and silence counts only after the configured wait plus the
//! expected print time of the labels in flight ([`silence_limit`]).

use super::{
    Outgoing, ProgressSink, SendOutcome, SendProgress, TcpTimeouts, TransportError, PACING_COPIES,
};
use printhub_raster::{ErrorFlags, Model, Notification, Phase, Reason, Status, StatusType};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How much longer than the datasheet speed (`Model::speed_mm_s`) a print
/// may take before silence counts: nominal speeds are best cases, and
/// printers slow down for dense labels, high resolution and heat.
pub const PRINT_TIME_MARGIN: f64 = 2.0;

/// How much longer a send waits while the printer says it is cooling
/// (between the notifications "cooling started" and "cooling finished",
/// brother-raster.md §5.2 item 5: wait for "cooling finished"). No source
/// gives how long a head takes to cool; the bound only keeps a printer that
/// dies while cooling from holding the send forever.
pub const COOLING_WAIT: Duration = Duration::from_secs(300);

/// How long a send may hear nothing (no status block, no byte accepted)
/// while `in_flight_mm` of labels are written but not reported printed:
/// the configured `base`, plus their print time at the model's nominal
/// speed times [`PRINT_TIME_MARGIN`]. A PT at 30 mm/s prints a metre in
/// about 33 s, so a fixed limit would call a long label lost while it prints.
pub fn silence_limit(base: Duration, model: &Model, in_flight_mm: u32) -> Duration {
    if model.speed_mm_s == 0 {
        return base;
    }
    let print = f64::from(in_flight_mm) / f64::from(model.speed_mm_s) * PRINT_TIME_MARGIN;
    base.saturating_add(Duration::from_secs_f64(print))
}

/// Classifies an error status block.
fn classify(status: &Status) -> TransportError {
    match status.reason() {
        Some(Reason::Communication) | Some(Reason::SystemError) | None => {
            TransportError::Rejected {
                code: "printer_error",
                message: format!("printer reported error flags {:?}", status.errors),
            }
        }
        Some(reason) => TransportError::Attention {
            reason: reason.code(),
        },
    }
}

/// What [`drive`] needs to know about the channel a stream is sent over.
pub(crate) struct Channel {
    /// The printer's model.
    pub model: &'static Model,
    /// Write and confirmation limits.
    pub timeouts: TcpTimeouts,
    /// The printer reports every page on this link (network models over TCP,
    /// every model over USB): writes are paced, and silence is `Lost`.
    pub reports: bool,
    /// The address or device path, for logs.
    pub name: String,
}

/// Writes `out` to `writer` while reading 32-byte status blocks from
/// `reader`, pacing and classifying as the module documentation describes.
/// Shared by the TCP and the device transport: only how the two halves are
/// obtained differs.
pub(crate) async fn drive<R, W>(
    reader: &mut R,
    writer: &mut W,
    out: &Outgoing,
    link: &mut LinkProgress,
    to: &Channel,
) -> Result<SendOutcome, TransportError>
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let model = to.model;
    let bytes = out.bytes.as_slice();
    let mut written = 0usize;
    let mut block = [0u8; 32];
    let mut filled = 0usize;
    let broken = |message: String, written: usize| {
        if written == 0 {
            TransportError::Unreachable(message)
        } else {
            TransportError::Lost(message)
        }
    };
    loop {
        // Pace on links that report each page, while their reports are readable.
        let limit = if to.reports && !link.saw_garbled {
            link.write_limit(PACING_COPIES).min(bytes.len())
        } else {
            bytes.len()
        };
        if written < limit {
            let end = limit.min(written + WRITE_CHUNK);
            // The printer stops reading while its buffer is full of labels it prints.
            let write_limit = link.silence_limit(to.timeouts.write, model, written);
            tokio::select! {
                biased;
                read = reader.read(&mut block[filled..]) => match read {
                    Ok(0) => return Err(broken("printer closed the connection".into(), written)),
                    Ok(n) => {
                        filled += n;
                        if filled == block.len() {
                            filled = 0;
                            if let Some(done) = link.status_block(&block, model, written == bytes.len())? {
                                return Ok(done);
                            }
                        }
                    }
                    Err(e) => return Err(broken(e.to_string(), written)),
                },
                write = tokio::time::timeout(write_limit, writer.write(&bytes[written..end])) => match write {
                    Ok(Ok(0)) => return Err(broken("printer accepts no more data".into(), written)),
                    Ok(Ok(n)) => {
                        written += n;
                        link.written(written);
                    }
                    Ok(Err(e)) => return Err(broken(e.to_string(), written)),
                    Err(_) => {
                        return Err(TransportError::Lost(format!(
                            "printer accepted no data for {write_limit:?}"
                        )))
                    }
                },
            }
            continue;
        }
        if written == bytes.len() {
            let _ = writer.flush().await;
        }
        // Everything allowed is written: wait for the printer, as long as the
        // labels it holds may take to print on top of the configured wait.
        let confirm_limit = link.silence_limit(to.timeouts.confirm, model, written);
        let read = tokio::time::timeout(confirm_limit, reader.read(&mut block[filled..])).await;
        match read {
            Ok(Ok(0)) | Err(_) => {
                log::debug!(
                    "{} at {}: {}/{} copies confirmed before silence",
                    model.name,
                    to.name,
                    link.progress.printed,
                    out.copies.len()
                );
                // Network PT and QL models push status blocks during a print (§5.3),
                // as every model does over USB: silence from one of them means nobody
                // knows whether it printed. Blocks we could not read still show it
                // was printing: sent, unconfirmed.
                if (to.reports && !link.saw_garbled) || written < bytes.len() {
                    return Err(TransportError::Lost(
                        "the printer went silent after data was sent".into(),
                    ));
                }
                return Ok(SendOutcome::Sent);
            }
            Ok(Err(e)) => return Err(TransportError::Lost(e.to_string())),
            Ok(Ok(n)) => {
                filled += n;
                if filled < block.len() {
                    continue;
                }
                filled = 0;
                if let Some(done) = link.status_block(&block, model, written == bytes.len())? {
                    return Ok(done);
                }
            }
        }
    }
}

/// Bytes handed to the socket per write call.
const WRITE_CHUNK: usize = 16 * 1024;

/// What a TCP send has seen so far, and where progress reports go.
pub(crate) struct LinkProgress {
    /// Byte offset just past each copy.
    ends: Vec<usize>,
    /// Labels reported printed after which each copy is printed.
    labels_after: Vec<usize>,
    /// How far each copy feeds the medium (mm; 0 unknown).
    feeds_mm: Vec<u32>,
    labels_printed: usize,
    pub(crate) progress: SendProgress,
    saw_garbled: bool,
    /// Between "cooling started" and "cooling finished": still printing, only slower.
    cooling: bool,
    sink: ProgressSink,
}

impl LinkProgress {
    pub(crate) fn new(out: &Outgoing, sink: ProgressSink) -> Self {
        let mut total = 0;
        let labels_after = out
            .copies
            .iter()
            .map(|c| {
                total += c.pages.max(1);
                total
            })
            .collect();
        LinkProgress {
            ends: out.copies.iter().map(|c| c.end).collect(),
            labels_after,
            feeds_mm: out.copies.iter().map(|c| c.feed_mm).collect(),
            labels_printed: 0,
            progress: SendProgress::default(),
            saw_garbled: false,
            cooling: false,
            sink,
        }
    }

    /// How far the stream may be written: `ahead` copies past the last printed one.
    fn write_limit(&self, ahead: usize) -> usize {
        let copies = self
            .progress
            .printed
            .saturating_add(ahead)
            .min(self.ends.len());
        match copies.checked_sub(1) {
            Some(last) => self.ends[last],
            None => 0,
        }
    }

    /// How far the copies the printer holds and has not reported printed
    /// feed (mm): those not printed whose first byte is among the `written` ones.
    fn in_flight_mm(&self, written: usize) -> u32 {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.feeds_mm)
            .skip(self.progress.printed)
            .take_while(|(start, _)| *start < written)
            .map(|(_, feed)| *feed)
            .sum()
    }

    /// How long the send may hear nothing now: [`silence_limit`] for the
    /// copies in flight, and [`COOLING_WAIT`] more while the printer cools.
    fn silence_limit(&self, base: Duration, model: &Model, written: usize) -> Duration {
        let limit = silence_limit(base, model, self.in_flight_mm(written));
        if self.cooling {
            limit.saturating_add(COOLING_WAIT)
        } else {
            limit
        }
    }

    fn written(&mut self, written: usize) {
        let sent = self.ends.iter().take_while(|end| **end <= written).count();
        if sent > self.progress.sent {
            self.progress.sent = sent;
            let _ = self.sink.send(self.progress);
        }
    }

    /// Acts on one status block: an error ends the send, a printed label is
    /// counted, and "receiving" after the last label confirms it all.
    fn status_block(
        &mut self,
        block: &[u8; 32],
        model: &Model,
        all_written: bool,
    ) -> Result<Option<SendOutcome>, TransportError> {
        let Ok(status) = Status::parse(block) else {
            self.saw_garbled = true;
            log::warn!("{}: garbled status block ignored", model.name);
            return Ok(None);
        };
        match status.status_type {
            StatusType::Error => Err(classify(&status)),
            StatusType::TurnedOff => Err(TransportError::Lost("printer turned off".into())),
            StatusType::PrintingCompleted => {
                self.labels_printed += 1;
                let printed = self
                    .labels_after
                    .iter()
                    .take_while(|after| **after <= self.labels_printed)
                    .count();
                if printed > self.progress.printed {
                    self.progress.printed = printed;
                    self.progress.sent = self.progress.sent.max(printed);
                    let _ = self.sink.send(self.progress);
                }
                Ok(None)
            }
            StatusType::PhaseChange
                if status.phase == Phase::Receiving
                    && all_written
                    && self.progress.printed >= self.ends.len() =>
            {
                Ok(Some(SendOutcome::Confirmed))
            }
            _ if status.errors.contains(ErrorFlags::TURNED_OFF) => {
                Err(TransportError::Lost("printer turned off".into()))
            }
            StatusType::Notification => {
                match status.notification {
                    Notification::CoolingStarted => {
                        log::info!("{}: cooling; waiting for it to finish", model.name);
                        self.cooling = true;
                    }
                    Notification::CoolingFinished => self.cooling = false,
                    _ => {}
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::tests::model;
    use printhub_raster::{CopySpan, Media};
    use std::sync::Arc;

    #[test]
    fn the_silence_limit_grows_with_the_labels_in_flight() {
        // A PT prints about 30 mm/s (Model::speed_mm_s): a metre of tape takes about 33 s,
        // longer than the default 30 s wait, so the wait is the base plus twice that.
        let pt = model("PT-P750W");
        assert_eq!(pt.speed_mm_s, 30);
        let base = TcpTimeouts::default().confirm;
        assert_eq!(silence_limit(base, pt, 0), base, "nothing in flight");
        let metre = silence_limit(base, pt, 1000);
        assert!(
            metre > base + Duration::from_secs(1000 / 30),
            "longer than base + print time: {metre:?}"
        );
        assert_eq!(
            metre,
            base + Duration::from_secs_f64(1000.0 / 30.0 * PRINT_TIME_MARGIN)
        );
        // A faster QL needs less for the same length.
        assert!(silence_limit(base, model("QL-820NWB"), 1000) < metre);
    }

    #[test]
    fn the_copies_in_flight_are_those_started_and_not_reported_printed() {
        let copies = [(100, 100), (250, 200), (400, 300)]
            .map(|(end, feed_mm)| CopySpan {
                end,
                pages: 1,
                feed_mm,
            })
            .to_vec();
        let out = Outgoing {
            bytes: Arc::new(vec![0; 400]),
            copies,
        };
        let (sink, _rx) = tokio::sync::mpsc::unbounded_channel();
        let mut link = LinkProgress::new(&out, sink);
        assert_eq!(link.in_flight_mm(0), 0, "nothing written");
        assert_eq!(link.in_flight_mm(50), 100, "the first copy started");
        assert_eq!(link.in_flight_mm(100), 100, "the first copy whole");
        assert_eq!(link.in_flight_mm(101), 300, "the second started");
        assert_eq!(link.in_flight_mm(400), 600, "all written");
        link.progress.printed = 1;
        assert_eq!(link.in_flight_mm(400), 500, "the first reported printed");
        link.progress.printed = 3;
        assert_eq!(link.in_flight_mm(400), 0, "all printed");
    }

    #[test]
    fn cooling_extends_the_silence_limit_until_it_finishes() {
        // brother-raster.md §5.2 item 5: wait for "cooling finished" before going on.
        let ql = model("QL-820NWB");
        let out = Outgoing::single(Arc::new(vec![0; 10]), 1);
        let (sink, _rx) = tokio::sync::mpsc::unbounded_channel();
        let mut link = LinkProgress::new(&out, sink);
        let base = Duration::from_secs(1);
        assert_eq!(link.silence_limit(base, ql, 10), base);
        let mut block = Status::ready(ql, Media::by_id("dk-62"));
        block.status_type = StatusType::Notification;
        block.phase = Phase::Printing;
        block.notification = Notification::CoolingStarted;
        assert_eq!(link.status_block(&block.to_bytes(), ql, true), Ok(None));
        assert_eq!(link.silence_limit(base, ql, 10), base + COOLING_WAIT);
        block.notification = Notification::CoolingFinished;
        assert_eq!(link.status_block(&block.to_bytes(), ql, true), Ok(None));
        assert_eq!(link.silence_limit(base, ql, 10), base);
    }

    #[test]
    fn error_blocks_are_classified_for_the_state_machine() {
        let pt = model("PT-P750W");
        let mut block = Status::ready(pt, Media::by_id("tze-12"));
        block.status_type = StatusType::Error;
        block.errors = ErrorFlags::WRONG_MEDIA;
        assert_eq!(
            classify(&block),
            TransportError::Attention {
                reason: "media_mismatch"
            }
        );
        block.errors = ErrorFlags::CUTTER_JAM;
        assert_eq!(
            classify(&block),
            TransportError::Attention {
                reason: "cutter_jam"
            }
        );
        // A protocol violation is the printer refusing the data, not a person's job.
        block.errors = ErrorFlags::COMMUNICATION;
        assert!(matches!(classify(&block), TransportError::Rejected { .. }));
        block.errors = ErrorFlags::empty();
        block.status_type = StatusType::Notification;
        block.notification = Notification::CoverOpen;
        assert_eq!(
            classify(&block),
            TransportError::Attention {
                reason: "printer_cover_open"
            }
        );
    }
}
