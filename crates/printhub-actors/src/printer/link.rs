//! The printer link side of the printer actor: sending a chain after the
//! preflight (the stream built off the actor thread), turning the
//! transport's progress and verdict into machine inputs, status probes and
//! the machine's timers.
//!
//! Threading: every function here runs on the actor's arbiter and only
//! starts futures (`ctx.spawn`); none awaits I/O.

use super::{now, PrinterActor};
use crate::events::Published;
use crate::transport::{Outgoing, SendOutcome, SendProgress, SendReport, TransportError};
use actix::prelude::*;
use futures_util::StreamExt;
use printhub_core::{
    ChainPage, Event, Job, MediaChanged, ObservedStatus, PrinterStatus, PrinterStatusChanged,
    Timestamp, WriteFailure,
};
use printhub_raster::{chain, Media, Model};
use std::sync::Arc;
use std::time::Duration;

/// What the transport reports while a send runs.
enum LinkEvent {
    Progress(SendProgress),
    Done(SendReport),
}

/// What a `Send` needs to become bytes, taken from the jobs on the actor's thread.
struct StreamPlan {
    model: Option<&'static Model>,
    media: Option<&'static Media>,
    /// The jobs opted in to chaining: join (re-encode) even a single copy, so
    /// the end of the chain is always fed and cut.
    join: bool,
    rasters: Vec<Arc<Vec<u8>>>,
}

/// A copy that could not be joined: it fails (with this code) once the copies before it printed.
struct Refused {
    code: String,
    message: String,
}

impl Refused {
    fn failure(self) -> WriteFailure {
        WriteFailure::Rejected {
            code: self.code,
            message: self.message,
        }
    }
}

/// The stream to write, and the copy (if any) that could not be part of it:
/// `outgoing` holds the copies before it.
struct BuiltStream {
    outgoing: Outgoing,
    refused: Option<Refused>,
}

impl BuiltStream {
    /// Nothing can go: the first copy is refused.
    fn refused(code: &str, message: String) -> Self {
        BuiltStream {
            outgoing: Outgoing {
                bytes: Arc::new(Vec::new()),
                copies: Vec::new(),
            },
            refused: Some(Refused {
                code: code.into(),
                message,
            }),
        }
    }
}

impl StreamPlan {
    /// The plan for `jobs`, one per page (the first one's model, medium and options rule).
    fn of(jobs: &[&Job]) -> Self {
        let head = jobs.first().map(|j| &j.spec);
        StreamPlan {
            model: head.and_then(|s| Model::by_name(&s.model)),
            media: head.and_then(|s| Media::by_id(&s.media_id)),
            join: head.is_some_and(|s| s.options.chain),
            rasters: jobs.iter().map(|j| j.spec.raster.clone()).collect(),
        }
    }

    /// One copy that did not opt in goes as it is; otherwise the copies are
    /// joined into one chained stream. A copy that cannot be joined ends the
    /// stream before it (a single copy is then sent as it is: the printer judges it).
    fn build(self) -> BuiltStream {
        let single = |raster: &Arc<Vec<u8>>, model: Option<&'static Model>| BuiltStream {
            outgoing: match model {
                Some(m) => Outgoing {
                    bytes: raster.clone(),
                    copies: vec![chain::span(m, raster)],
                },
                None => Outgoing::single(raster.clone(), 1),
            },
            refused: None,
        };
        let (Some(model), Some(media)) = (self.model, self.media) else {
            return match self.rasters.as_slice() {
                [one] => single(one, self.model),
                _ => BuiltStream::refused(
                    "unsupported_media",
                    "the job names a model or medium printhub does not know; it cannot be chained"
                        .into(),
                ),
            };
        };
        if self.rasters.len() == 1 && !self.join {
            return single(&self.rasters[0], Some(model));
        }
        let slices: Vec<&[u8]> = self.rasters.iter().map(|r| r.as_slice()).collect();
        match chain::join(model, media, &slices) {
            Ok(joined) => BuiltStream {
                outgoing: Outgoing {
                    bytes: Arc::new(joined.bytes),
                    copies: joined.copies,
                },
                refused: None,
            },
            Err(_) if slices.len() == 1 => single(&self.rasters[0], Some(model)),
            Err(e) => {
                let bad = e.copy().unwrap_or(0);
                let refused = Refused {
                    code: e.code().into(),
                    message: format!("the job cannot be chained: {e}"),
                };
                let before = (bad > 0)
                    .then(|| chain::join(model, media, &slices[..bad]).ok())
                    .flatten();
                match before {
                    Some(joined) => BuiltStream {
                        outgoing: Outgoing {
                            bytes: Arc::new(joined.bytes),
                            copies: joined.copies,
                        },
                        refused: Some(refused),
                    },
                    None => BuiltStream::refused(&refused.code, refused.message),
                }
            }
        }
    }
}

/// A stream built ahead for the chain the machine expects to send next.
pub(super) struct Prepared {
    pages: Vec<ChainPage>,
    stream: BuiltStream,
}

/// `j1#1+j2#1` for logs.
fn show_pages(pages: &[ChainPage]) -> String {
    pages
        .iter()
        .map(|p| format!("{}#{}", p.job_id, p.copy))
        .collect::<Vec<_>>()
        .join("+")
}

impl PrinterActor {
    /// Sends a chain (one copy, or several joined) after the preflight: the
    /// printer's status must be fresh (read again if older than
    /// `preflight_max_age`), reachable, need no person, and report the media
    /// the jobs were rendered for (when its channel reports media at all).
    pub(super) fn start_send(&mut self, pages: Vec<ChainPage>, ctx: &mut Context<Self>) {
        self.busy = true;
        let max_age = self.link.preflight_max_age;
        // A send the printer just confirmed on this medium is as fresh a read as a probe:
        // its status blocks showed it reachable, without errors, printing this medium.
        let media = pages
            .first()
            .and_then(|p| self.machine.job(p.job_id))
            .map(|j| j.spec.media_id.as_str());
        let confirmed = self
            .confirmed
            .as_ref()
            .is_some_and(|(t, m)| t.elapsed() <= max_age && Some(m.as_str()) == media);
        let fresh = confirmed || self.last_probe.is_some_and(|t| t.elapsed() <= max_age);
        if fresh {
            self.preflight_and_send(pages, ctx);
            return;
        }
        self.probing = true;
        let fut = self.transport.probe();
        ctx.spawn(fut.into_actor(self).map(move |status, act, ctx| {
            act.probing = false;
            // While a chain is "in flight" the machine ignores status; only record it.
            act.record_status(status);
            act.preflight_and_send(pages, ctx);
        }));
    }

    fn preflight_and_send(&mut self, pages: Vec<ChainPage>, ctx: &mut Context<Self>) {
        let first = pages.first().copied();
        let jobs: Option<Vec<&Job>> = pages.iter().map(|p| self.machine.job(p.job_id)).collect();
        let (Some(first), Some(jobs)) = (first, jobs) else {
            log::error!(
                "printer {}: asked to send unknown jobs {pages:?}",
                self.config.slug
            );
            self.busy = false;
            return;
        };
        let expected = jobs[0].spec.media_id.clone();
        let plan = StreamPlan::of(&jobs);
        let refusal = if !self.status.reachable {
            Some(WriteFailure::Unreachable)
        } else if let Some(reason) = self.status.reason.clone() {
            Some(WriteFailure::Attention {
                reason_code: reason,
            })
        } else {
            let mut status = self.status.clone();
            if mark_mismatch(&mut status, &expected) {
                self.publish_status(status);
                Some(WriteFailure::Attention {
                    reason_code: printhub_core::reason::MEDIA_MISMATCH.into(),
                })
            } else {
                None
            }
        };
        if let Some(failure) = refusal {
            log::info!(
                "printer {}: {} held back by the preflight: {failure:?}",
                self.config.slug,
                show_pages(&pages)
            );
            self.busy = false;
            self.machine
                .handle_write_failed(first.job_id, first.copy, failure, now());
            self.drive(ctx);
            self.notify_if_drained();
            return;
        }
        // Built ahead while the previous chain printed (pipelining)?
        if let Some(prepared) = self.prepared.take().filter(|p| p.pages == pages) {
            self.write_stream(first, prepared.stream, expected, ctx);
            return;
        }
        // Decoding and re-encoding is CPU work: never on the actor's thread.
        let build = actix_rt::task::spawn_blocking(move || plan.build());
        ctx.spawn(build.into_actor(self).map(move |built, act, ctx| {
            let stream = built.unwrap_or_else(|e| {
                BuiltStream::refused("encoder_failed", format!("stream task failed: {e}"))
            });
            act.write_stream(first, stream, expected, ctx);
        }));
    }

    /// Writes a built stream and feeds the transport's progress and verdict
    /// to the machine, in order; a copy that could not be joined fails after
    /// the copies before it printed.
    fn write_stream(
        &mut self,
        first: ChainPage,
        stream: BuiltStream,
        expected: String,
        ctx: &mut Context<Self>,
    ) {
        let BuiltStream {
            outgoing,
            mut refused,
        } = stream;
        if outgoing.copies.is_empty() {
            // Not even the first copy could go: it fails, the rest goes back to the queue.
            self.busy = false;
            let t = now();
            if let Some(refused) = refused {
                self.machine
                    .handle_write_failed(first.job_id, first.copy, refused.failure(), t);
            }
            self.drive(ctx);
            self.notify_if_drained();
            return;
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let send = self.transport.send(outgoing, tx);
        self.prepare_next(ctx);
        let progress =
            futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)).map(LinkEvent::Progress);
        let done = futures_util::stream::once(send).map(LinkEvent::Done);
        let mut finished = false;
        let events = futures_util::stream::select(progress, done);
        ctx.spawn(
            events
                .into_actor(self)
                .map(move |event, act, ctx| {
                    // The verdict carries the final counts: later progress is stale.
                    if finished {
                        return;
                    }
                    match event {
                        LinkEvent::Progress(p) => {
                            act.machine.handle_write_progress(
                                first.job_id,
                                first.copy,
                                p.sent,
                                p.printed,
                                now(),
                            );
                        }
                        LinkEvent::Done(report) => {
                            finished = true;
                            act.busy = false;
                            act.finish_send(first, report, refused.take(), &expected);
                        }
                    }
                    act.drive(ctx);
                    act.notify_if_drained();
                })
                .finish(),
        );
    }

    /// Builds, off the actor's thread, the stream of the chain the machine
    /// expects to send after the one in flight, so the printer never waits
    /// for the hub between chains. A different chain at send time is built then.
    fn prepare_next(&mut self, ctx: &mut Context<Self>) {
        let Some(pages) = self.machine.next_chain() else {
            return;
        };
        let known = self.prepared.as_ref().is_some_and(|p| p.pages == pages)
            || self.preparing.as_ref() == Some(&pages);
        let jobs: Option<Vec<&Job>> = pages.iter().map(|p| self.machine.job(p.job_id)).collect();
        let Some(plan) = jobs.filter(|_| !known).map(|jobs| StreamPlan::of(&jobs)) else {
            return;
        };
        self.preparing = Some(pages.clone());
        let build = actix_rt::task::spawn_blocking(move || plan.build());
        ctx.spawn(build.into_actor(self).map(move |built, act, _ctx| {
            if act.preparing.as_ref() == Some(&pages) {
                act.preparing = None;
            }
            if let Ok(stream) = built {
                act.prepared = Some(Prepared { pages, stream });
            }
        }));
    }

    /// Hands a finished send to the machine: its final progress, then its verdict.
    fn finish_send(
        &mut self,
        first: ChainPage,
        report: SendReport,
        refused: Option<Refused>,
        expected: &str,
    ) {
        let t = now();
        let SendProgress { sent, printed } = report.progress;
        self.machine
            .handle_write_progress(first.job_id, first.copy, sent, printed, t);
        self.confirmed = match (&report.result, &refused) {
            (Ok(SendOutcome::Confirmed), None) => {
                Some((std::time::Instant::now(), expected.into()))
            }
            _ => None,
        };
        match report.result {
            Ok(outcome) => match refused {
                Some(refused) => {
                    self.machine
                        .handle_write_failed(first.job_id, first.copy, refused.failure(), t)
                }
                None => self.machine.handle_write_finished(
                    first.job_id,
                    first.copy,
                    outcome == SendOutcome::Confirmed,
                    t,
                ),
            },
            Err(e) => {
                log::warn!(
                    "printer {}: send from job {} copy {} ({printed} copies printed): {e}",
                    self.config.slug,
                    first.job_id,
                    first.copy
                );
                if let TransportError::Attention { reason } = &e {
                    // The printer refused: what it reported is its status now.
                    let mut status = self.status.clone();
                    status.ready = false;
                    status.reason = Some(reason.to_string());
                    if *reason == printhub_core::reason::MEDIA_MISMATCH {
                        status.expected_media = Some(expected.to_string());
                    }
                    self.publish_status(status);
                }
                self.machine
                    .handle_write_failed(first.job_id, first.copy, failure(e), t)
            }
        }
    }

    /// Reads the printer's status and hands it to the machine.
    pub(super) fn start_probe(&mut self, ctx: &mut Context<Self>) {
        if self.probing {
            return;
        }
        self.probing = true;
        let fut = self.transport.probe();
        ctx.spawn(fut.into_actor(self).map(|status, act, ctx| {
            act.probing = false;
            act.record_status(status);
            let observed = ObservedStatus {
                reachable: act.status.reachable,
                attention: act.status.reason.clone(),
            };
            act.machine.handle_status(observed, now());
            act.drive(ctx);
        }));
    }

    /// Keeps a fresh status read and publishes it if it changed. A ready
    /// printer whose loaded media is not what the next job was rendered for is
    /// recorded as `media_mismatch` (with the expected media), so that a re-check
    /// finding the same wrong tape changes nothing rather than starting the job
    /// only for the preflight to hold it back again.
    pub(super) fn record_status(&mut self, mut status: PrinterStatus) {
        self.last_probe = Some(std::time::Instant::now());
        status.last_seen = if status.reachable {
            Some(now())
        } else {
            self.status.last_seen
        };
        if status.reachable && status.reason.is_none() {
            if let Some(expected) = self.expected_media() {
                mark_mismatch(&mut status, &expected);
            }
        }
        self.publish_status(status);
    }

    /// The media of the job printing now, or else of the next one to print.
    fn expected_media(&self) -> Option<String> {
        let job = match self.machine.in_flight() {
            Some(flight) => self.machine.job(flight.first().job_id),
            None => self.machine.next_job(),
        };
        job.map(|j| j.spec.media_id.clone())
    }

    /// Replaces the status; emits `PrinterStatusChanged` and `MediaChanged` only on change.
    pub(super) fn publish_status(&mut self, status: PrinterStatus) {
        let t = now();
        let same = |a: &PrinterStatus, b: &PrinterStatus| {
            PrinterStatus {
                last_seen: None,
                ..a.clone()
            } == PrinterStatus {
                last_seen: None,
                ..b.clone()
            }
        };
        let changed = !same(&self.status, &status);
        let media_changed = self.status.media != status.media;
        let before = std::mem::replace(&mut self.status, status);
        if media_changed {
            self.events
                .do_send(Published(Event::MediaChanged(MediaChanged {
                    printer_id: self.id,
                    from: before.media,
                    to: self.status.media.clone(),
                    at: t,
                })));
        }
        if changed {
            self.store.save_printer_status(self.id, &self.status);
            self.events.do_send(Published(Event::PrinterStatusChanged(
                PrinterStatusChanged {
                    printer_id: self.id,
                    status: self.status.clone(),
                    at: t,
                },
            )));
        }
    }

    pub(super) fn schedule_wake(&mut self, at: Timestamp, ctx: &mut Context<Self>) {
        if let Some(handle) = self.wake.take() {
            ctx.cancel_future(handle);
        }
        if self.draining {
            return;
        }
        let delay = at.as_millis().saturating_sub(now().as_millis()).max(0) as u64;
        // Up to 10% jitter, so printers that went offline together do not retry in step.
        let delay = delay + fastrand::u64(0..=delay / 10);
        self.wake = Some(ctx.run_later(Duration::from_millis(delay), |act, ctx| {
            act.wake = None;
            act.machine.handle_timeout(now());
            act.drive(ctx);
        }));
    }
}

/// Whether a printer whose status reports `loaded` can print jobs rendered
/// for `expected`: what the status block can tell (kind, width, length) must
/// agree, what it cannot (a black/red roll reads as the plain one) is no
/// mismatch ([`Media::status_matches`]). Ids outside the catalogue must be equal.
fn media_fits(expected: &str, loaded: &str) -> bool {
    match (Media::by_id(expected), Media::by_id(loaded)) {
        (Some(expected), Some(loaded)) => expected.status_matches(loaded),
        _ => expected == loaded,
    }
}

/// Marks `status` as `media_mismatch` (not ready, the expected media named)
/// if the media it reports cannot print jobs rendered for `expected`;
/// returns whether it did. A status without media is left alone.
fn mark_mismatch(status: &mut PrinterStatus, expected: &str) -> bool {
    let wrong = status
        .media
        .as_deref()
        .is_some_and(|loaded| !media_fits(expected, loaded));
    if wrong {
        status.ready = false;
        status.reason = Some(printhub_core::reason::MEDIA_MISMATCH.into());
        status.expected_media = Some(expected.to_string());
    }
    wrong
}

fn failure(e: TransportError) -> WriteFailure {
    match e {
        TransportError::Unreachable(_) => WriteFailure::Unreachable,
        TransportError::Attention { reason } => WriteFailure::Attention {
            reason_code: reason.to_string(),
        },
        TransportError::Rejected { code, message } => WriteFailure::Rejected {
            code: code.to_string(),
            message,
        },
        TransportError::Lost(_) => WriteFailure::Lost,
    }
}
