//! The printer actor's driver of its [`Link`]: it performs what the link
//! asks for — status probes, stream builds, writes, status events, the
//! link's timer — and feeds the outcomes back in. Every decision (when a
//! status read is fresh enough, whether the printer may take a chain, which
//! stream to build ahead, what the status is now) is the link's, in
//! printhub-core, where it is tested without a clock; this module only
//! turns transport results into link inputs.
//!
//! Threading: every function here runs on the actor's arbiter and only
//! starts futures (`ctx.spawn`, `spawn_blocking` for stream builds); none
//! awaits I/O.

use super::stream::{BuiltStream, StreamPlan};
use super::PrinterActor;
use crate::clock::now;
use crate::events::Published;
use crate::handle::LinkConfig;
use crate::transport::{SendOutcome, SendProgress, SendReport, TransportError};
use actix::prelude::*;
use futures_util::StreamExt;
use printhub_core::{
    ChainPage, Job, Link, LinkAction, LinkPolicy, Timestamp, WriteFailure, WriteOutcome,
    WriteReport,
};
use printhub_raster::Media;
use std::sync::Arc;
use std::time::Duration;

/// The link of a printer actor: its streams are printhub-raster byte streams.
pub(super) type PrinterLink = Link<BuiltStream>;

/// The link's policy from the hub's settings, with the media catalogue's
/// rule for what a status block can tell apart.
pub(super) fn policy(config: &LinkConfig) -> LinkPolicy {
    let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    LinkPolicy {
        probe_interval_ms: millis(config.probe_interval),
        preflight_max_age_ms: millis(config.preflight_max_age),
        media_fits,
    }
}

/// What the transport reports while a send runs.
enum WriteEvent {
    Progress(SendProgress),
    Done(SendReport),
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
    /// Performs the link's actions, then the machine's (the link may have
    /// fed it), and tells a waiting drain if everything is done.
    pub(super) fn settle(&mut self, ctx: &mut Context<Self>) {
        self.perform_link(ctx);
        self.drive(ctx);
        self.notify_if_drained();
    }

    /// Performs the link's pending actions, in order.
    pub(super) fn perform_link(&mut self, ctx: &mut Context<Self>) {
        while let Some(action) = self.link.poll_action() {
            match action {
                LinkAction::Probe => self.start_probe(ctx),
                LinkAction::Build { pages } => self.start_build(pages, ctx),
                LinkAction::Write { pages, stream } => self.start_write(pages, stream, ctx),
                LinkAction::SaveStatus(status) => {
                    if status.media.is_some() {
                        self.last_media.clone_from(&status.media);
                    }
                    self.store.save_printer_status(self.id, &status)
                }
                LinkAction::Emit(event) => self.events.do_send(Published(event)),
                LinkAction::WakeAt(at) => self.schedule_link_wake(at, ctx),
            }
        }
    }

    /// The machine's `Send`: the link preflights and sends the chain.
    pub(super) fn send_chain(&mut self, pages: Vec<ChainPage>, ctx: &mut Context<Self>) {
        let shown = show_pages(&pages);
        if !self.link.handle_send(now(), &mut self.machine, pages) {
            log::error!(
                "printer {}: asked to send {shown}, which it cannot (unknown jobs, or a send running)",
                self.config.slug
            );
        } else if !self.link.is_busy() {
            log::info!(
                "printer {}: {shown} held back by the preflight: {}",
                self.config.slug,
                self.link
                    .status()
                    .reason
                    .as_deref()
                    .unwrap_or("unreachable")
            );
        }
        self.perform_link(ctx);
    }

    /// Reads the printer's status and hands it to the link.
    fn start_probe(&mut self, ctx: &mut Context<Self>) {
        let fut = self.transport.probe();
        ctx.spawn(fut.into_actor(self).map(|status, act, ctx| {
            if act.config.media_is_auto() && status.media.is_some() {
                // The queue follows the tape before the link judges the next
                // job against it, so a swap never stops the printer.
                act.machine
                    .set_media(status.media.clone(), media_fits, now());
            }
            act.link.handle_status(now(), &mut act.machine, status);
            act.settle(ctx);
        }));
    }

    /// Builds the stream of `pages` off the actor's thread (decoding and
    /// re-encoding is CPU work) and hands it to the link.
    fn start_build(&mut self, pages: Vec<ChainPage>, ctx: &mut Context<Self>) {
        let jobs: Option<Vec<&Job>> = pages.iter().map(|p| self.machine.job(p.job_id)).collect();
        let Some(plan) = jobs.map(|jobs| StreamPlan::of(&jobs)) else {
            let stream = BuiltStream::refused(
                "encoder_failed",
                "a job of the chain is no longer known to the printer".into(),
            );
            self.link
                .handle_built(now(), &mut self.machine, pages, stream);
            return;
        };
        // The rasters it is built from: a job laid out again meanwhile
        // (issue #20) makes the stream stale, and it is built again.
        let rasters: Vec<Option<Arc<Vec<u8>>>> = pages
            .iter()
            .map(|p| self.machine.job(p.job_id).map(|j| j.spec.raster.clone()))
            .collect();
        let store = self.store.clone();
        let build = actix_rt::task::spawn_blocking(move || plan.build_with(store.as_ref()));
        ctx.spawn(build.into_actor(self).map(move |built, act, ctx| {
            let stale = pages.iter().zip(&rasters).any(|(p, used)| {
                let now = act.machine.job(p.job_id).map(|j| &j.spec.raster);
                matches!((now, used), (Some(now), Some(used)) if !Arc::ptr_eq(now, used))
            });
            if stale {
                act.start_build(pages, ctx);
                return;
            }
            let stream = built.unwrap_or_else(|e| {
                BuiltStream::refused("encoder_failed", format!("stream task failed: {e}"))
            });
            act.link
                .handle_built(now(), &mut act.machine, pages, stream);
            act.settle(ctx);
        }));
    }

    /// Writes a built stream and feeds the transport's progress and verdict
    /// to the link, in order; a copy that could not be joined fails after
    /// the copies before it printed.
    fn start_write(&mut self, pages: Vec<ChainPage>, stream: BuiltStream, ctx: &mut Context<Self>) {
        let BuiltStream {
            outgoing,
            mut refused,
        } = stream;
        if outgoing.copies.is_empty() {
            // Not even the first copy could go: it fails, the rest goes back to the queue.
            let failure = refused
                .map(|r| r.failure())
                .unwrap_or(WriteFailure::Rejected {
                    code: "encoder_failed".into(),
                    message: "the chain's stream is empty".into(),
                });
            let report = WriteReport {
                sent: 0,
                printed: 0,
                outcome: WriteOutcome::Failed(failure),
            };
            self.link
                .handle_write_done(now(), &mut self.machine, report);
            return;
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let send = self.transport.send(outgoing, tx);
        let progress =
            futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)).map(WriteEvent::Progress);
        let done = futures_util::stream::once(send).map(WriteEvent::Done);
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
                        WriteEvent::Progress(p) => {
                            act.link.handle_write_progress(
                                now(),
                                &mut act.machine,
                                p.sent,
                                p.printed,
                            );
                        }
                        WriteEvent::Done(report) => {
                            finished = true;
                            let report = act.write_report(&pages, report, refused.take());
                            act.link.handle_write_done(now(), &mut act.machine, report);
                        }
                    }
                    act.settle(ctx);
                })
                .finish(),
        );
    }

    /// The transport's report of a send, for the link: a copy that could not
    /// be joined fails once the copies before it printed.
    fn write_report(
        &self,
        pages: &[ChainPage],
        report: SendReport,
        refused: Option<super::stream::Refused>,
    ) -> WriteReport {
        let SendProgress { sent, printed } = report.progress;
        let outcome = match (report.result, refused) {
            (Ok(_), Some(refused)) => WriteOutcome::Failed(refused.failure()),
            (Ok(SendOutcome::Confirmed), None) => WriteOutcome::Confirmed,
            (Ok(SendOutcome::Sent), None) => WriteOutcome::Sent,
            (Err(e), _) => {
                log::warn!(
                    "printer {}: send of {} ({printed} copies printed): {e}",
                    self.config.slug,
                    show_pages(pages),
                );
                WriteOutcome::Failed(failure(e))
            }
        };
        WriteReport {
            sent,
            printed,
            outcome,
        }
    }

    /// The link's timer (its idle probe cadence).
    fn schedule_link_wake(&mut self, at: Timestamp, ctx: &mut Context<Self>) {
        if let Some(handle) = self.link_wake.take() {
            ctx.cancel_future(handle);
        }
        let delay = at.as_millis().saturating_sub(now().as_millis()).max(0) as u64;
        self.link_wake = Some(ctx.run_later(Duration::from_millis(delay), |act, ctx| {
            act.link_wake = None;
            act.link.handle_timeout(now());
            act.settle(ctx);
        }));
    }

    /// The machine's timer (re-checks of a stopped printer, reconnects).
    pub(super) fn schedule_wake(&mut self, at: Timestamp, ctx: &mut Context<Self>) {
        if let Some(handle) = self.wake.take() {
            ctx.cancel_future(handle);
        }
        if self.link.is_draining() {
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
pub(super) fn media_fits(expected: &str, loaded: &str) -> bool {
    match (Media::by_id(expected), Media::by_id(loaded)) {
        (Some(expected), Some(loaded)) => expected.status_matches(loaded),
        _ => expected == loaded,
    }
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
