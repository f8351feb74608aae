//! [`Link`]: the policy of one printer's link, as a sans-io state machine.
//!
//! The [`PrinterMachine`] decides *what* to print and when a chain may go
//! (`Action::Send`); the link decides *how it reaches the printer*: whether
//! the printer's status is fresh enough to trust (the preflight), whether it
//! is reachable, needs nobody and holds the medium the chain was rendered
//! for, when to read the status again, which stream to build ahead while a
//! chain prints (pipelining), and what the printer's status is now. It owns
//! no socket, thread or clock: like quinn-proto's `Connection`, time comes
//! in as `now`, inputs come in through `handle_*` methods, and what the
//! caller must do comes out of [`Link::poll_action`]:
//!
//! ```text
//!   PrinterMachine ── Action::Send{pages} ──► handle_send(now, machine, pages)
//!   PrinterMachine ── Action::QueryStatus ──► request_probe()
//!                                                   │
//!                 ┌─────────── poll_action() ◄──────┘
//!                 ▼
//!   Probe              → read the status    → handle_status(now, machine, status)
//!   Build{pages}       → build the stream   → handle_built(now, machine, pages, stream)
//!   Write{pages, ..}   → write it           → handle_write_progress / handle_write_done
//!   Emit / SaveStatus  → publish / store the printer's status
//!   WakeAt(t)          → timer              → handle_timeout(now)
//! ```
//!
//! The link feeds the machine itself (the `machine` argument): the write's
//! progress and verdict, a refused preflight
//! ([`PrinterMachine::handle_preflight_refused`], never disguised as a write
//! failure), and every status read ([`PrinterMachine::handle_status`]). The
//! caller then drains the machine's actions as usual.
//!
//! The stream type `S` is the caller's (printhub-actors builds byte streams
//! with printhub-raster); the link only keeps track of which chain a stream
//! belongs to and hands it back in `Write`.
//!
//! ```
//! use printhub_core::{
//!     Action, JobId, JobSpec, Link, LinkAction, LinkPolicy, MachineConfig, PrinterId,
//!     PrinterMachine, PrinterStatus, Timestamp, WriteOutcome, WriteReport,
//! };
//!
//! let printer = PrinterId::from_u128(1);
//! let t0 = Timestamp::from_millis(0);
//! let mut machine = PrinterMachine::new(printer, MachineConfig::default());
//! let mut link: Link<&str> = Link::new(printer, LinkPolicy::default(), PrinterStatus::default(), t0);
//! assert_eq!(link.poll_action(), Some(LinkAction::Probe));
//! assert_eq!(link.poll_action(), Some(LinkAction::WakeAt(Timestamp::from_millis(30_000))));
//!
//! // The probe answers: ready, 12 mm tape.
//! let status = PrinterStatus {
//!     reachable: true,
//!     ready: true,
//!     media: Some("tze-12".into()),
//!     ..PrinterStatus::default()
//! };
//! link.handle_status(t0, &mut machine, status);
//! while link.poll_action().is_some() {} // the status events
//!
//! // A job for that tape: the machine asks for a send, the link takes it.
//! let spec = JobSpec::new(printer, "PT-P750W", "tze-12", vec![0x1b, 0x40]);
//! machine.submit(JobId::from_u128(10), spec, t0).expect("accepted");
//! while let Some(action) = machine.poll_action() {
//!     if let Action::Send { pages } = action {
//!         assert!(link.handle_send(t0, &mut machine, pages));
//!     }
//! }
//! // Fresh and fitting: build the stream, then write it.
//! let Some(LinkAction::Build { pages }) = link.poll_action() else { panic!("a build") };
//! link.handle_built(t0, &mut machine, pages, "the bytes");
//! assert!(matches!(link.poll_action(), Some(LinkAction::Write { stream: "the bytes", .. })));
//! let done = WriteReport { sent: 1, printed: 1, outcome: WriteOutcome::Confirmed };
//! link.handle_write_done(t0, &mut machine, done);
//! assert_eq!(machine.job(JobId::from_u128(10)).map(|j| j.copies_printed), Some(1));
//! assert!(!link.is_busy());
//! ```
//!
//! **Architecture Invariant:** a chain is written only after a preflight on
//! a fresh status: a read that answered less than
//! [`LinkPolicy::preflight_max_age_ms`] ago, or a send the printer confirmed
//! on the same medium as recently (its status blocks said exactly that). The
//! status must show the printer reachable, needing nobody, and holding media
//! that fits the chain's medium ([`LinkPolicy::media_fits`]; a status that
//! does not tell the media is no mismatch); a status read that answers
//! while the chain's stream is built is checked again before it is written.
//! A chain is written at most once per `Send`, and only one is being sent at
//! a time.
//!
//! Decisions:
//! - A probe already running when a send needs a fresh status is waited
//!   for rather than doubled: its answer is read after the send was asked
//!   for, and a second read at once would tell nothing newer (and a USB
//!   printer answers a second open with `EBUSY`).
//! - Ages are `now - then` in milliseconds; a read from the future (the
//!   wall clock went back) is not fresh, and a zero `preflight_max_age_ms`
//!   reads the status before every chain.
//! - A stream being built ahead for the chain a send wants is waited for
//!   rather than built twice.
//! - An idle printer is probed every [`LinkPolicy::probe_interval_ms`] on a
//!   fixed cadence from the link's start; a tick that finds a send running
//!   or a drain begun skips its probe.
//! - Only a confirmed send counts as a fresh read: after any other verdict
//!   the next chain probes first.
//! - When the printer moves ([`Link::forget`]), a read already running
//!   describes the old one: its answer is dropped and the status read again.

use std::collections::VecDeque;

use crate::chain::ChainPage;
use crate::event::{Event, MediaChanged, PrinterStatusChanged};
use crate::id::{PrinterId, Timestamp};
use crate::machine::PrinterMachine;
use crate::printer::{reason, ObservedStatus, PreflightRefusal, PrinterStatus, WriteFailure};

/// The timing and media rules of a [`Link`].
#[derive(Debug, Clone, Copy)]
pub struct LinkPolicy {
    /// How often an idle printer's status is read, in milliseconds.
    pub probe_interval_ms: i64,
    /// A chain is sent only after a status read younger than this, in
    /// milliseconds (the preflight); 0 reads before every chain.
    pub preflight_max_age_ms: i64,
    /// Whether a printer reporting `loaded` can print jobs rendered for
    /// `expected` (`fits(expected, loaded)`). printhub-core knows no media
    /// catalogue; the default is equality of ids.
    pub media_fits: fn(expected: &str, loaded: &str) -> bool,
}

impl Default for LinkPolicy {
    /// Probes every 30 s, a preflight read at most 5 s old, media ids equal.
    fn default() -> Self {
        LinkPolicy {
            probe_interval_ms: 30_000,
            preflight_max_age_ms: 5_000,
            media_fits: |expected, loaded| expected == loaded,
        }
    }
}

/// Something the caller of a [`Link`] must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkAction<S> {
    /// Read the printer's status and report it with [`Link::handle_status`].
    Probe,
    /// Build the stream of `pages` (off the caller's hot thread) and hand it
    /// in with [`Link::handle_built`].
    Build {
        /// The chain, in print order.
        pages: Vec<ChainPage>,
    },
    /// Write `stream` (the chain of `pages`) to the printer; report its
    /// progress with [`Link::handle_write_progress`] and its end with
    /// [`Link::handle_write_done`].
    Write {
        /// The chain, in print order.
        pages: Vec<ChainPage>,
        /// Its stream, as the caller built it.
        stream: S,
    },
    /// Store the printer's new status (it changed).
    SaveStatus(PrinterStatus),
    /// Publish an event (`MediaChanged`, `PrinterStatusChanged`).
    Emit(Event),
    /// Call [`Link::handle_timeout`] at (or after) this instant. Replaces earlier requests.
    WakeAt(Timestamp),
}

/// How a write ended, as the caller's transport classified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Every page was written and the printer confirmed it printed.
    Confirmed,
    /// Every page was written; the printer (or its channel) does not confirm.
    Sent,
    /// The write did not get to the end.
    Failed(WriteFailure),
}

/// The end of a write: how far it got and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReport {
    /// Pages (from the first) whose bytes were handed to the printer.
    pub sent: usize,
    /// Pages (from the first) the printer reported printed.
    pub printed: usize,
    /// The verdict.
    pub outcome: WriteOutcome,
}

/// Where the chain being sent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Waiting for a status read to preflight on.
    Preflight,
    /// Preflight passed; waiting for the chain's stream.
    Build,
    /// Written (being written); waiting for its verdict.
    Write,
}

/// The chain the machine asked to send and has not heard the end of.
#[derive(Debug, Clone)]
struct Sending {
    /// The chain's first page: the name the machine knows it by.
    first: ChainPage,
    pages: Vec<ChainPage>,
    /// The medium the chain was rendered for (its first job's).
    media: String,
    stage: Stage,
}

/// One printer's link policy. See the module docs.
#[derive(Debug, Clone)]
pub struct Link<S> {
    printer_id: PrinterId,
    policy: LinkPolicy,
    status: PrinterStatus,
    /// When a status read last answered.
    last_read: Option<Timestamp>,
    /// When the printer last confirmed a whole send, and on which medium.
    confirmed: Option<(Timestamp, String)>,
    /// A status read is running.
    probing: bool,
    /// The running read was started before the printer moved: its answer
    /// is about the old printer and is dropped.
    probe_outdated: bool,
    /// The chain being sent, if any.
    sending: Option<Sending>,
    /// Chains whose streams are being built.
    building: Vec<Vec<ChainPage>>,
    /// A stream built ahead, for the chain expected next.
    prepared: Option<(Vec<ChainPage>, S)>,
    /// When the idle cadence probes next.
    next_probe: Timestamp,
    draining: bool,
    actions: VecDeque<LinkAction<S>>,
}

impl<S> Link<S> {
    /// A link starting now: it knows `status` from before (the store's last
    /// word, not a fresh read), probes at once and then every
    /// `probe_interval_ms`.
    pub fn new(
        printer_id: PrinterId,
        policy: LinkPolicy,
        status: PrinterStatus,
        now: Timestamp,
    ) -> Self {
        let next_probe = now.plus_millis(policy.probe_interval_ms.max(1));
        let mut link = Link {
            printer_id,
            policy,
            status,
            last_read: None,
            confirmed: None,
            probing: false,
            probe_outdated: false,
            sending: None,
            building: Vec::new(),
            prepared: None,
            next_probe,
            draining: false,
            actions: VecDeque::new(),
        };
        link.request_probe();
        link.actions.push_back(LinkAction::WakeAt(next_probe));
        link
    }

    // ---- getters ----------------------------------------------------------

    /// The printer's status as last read (or reported by a write).
    pub fn status(&self) -> &PrinterStatus {
        &self.status
    }

    /// The policy.
    pub fn policy(&self) -> &LinkPolicy {
        &self.policy
    }

    /// A chain is being sent (preflight, build or write): the link has not
    /// yet told the machine how it ended.
    pub fn is_busy(&self) -> bool {
        self.sending.is_some()
    }

    /// [`drain`](Self::drain) was called.
    pub fn is_draining(&self) -> bool {
        self.draining
    }

    /// The chain being sent has passed its preflight (its stream is being
    /// built or written).
    pub fn preflighted(&self) -> bool {
        self.sending
            .as_ref()
            .is_some_and(|s| s.stage != Stage::Preflight)
    }

    /// The pages of the chain being sent, if any.
    pub fn sending(&self) -> Option<&[ChainPage]> {
        self.sending.as_ref().map(|s| s.pages.as_slice())
    }

    // ---- outputs ------------------------------------------------------------

    /// The next thing the caller must do. Drain until `None` after every call.
    pub fn poll_action(&mut self) -> Option<LinkAction<S>> {
        self.actions.pop_front()
    }

    /// When `handle_timeout` should next be called, if at all.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        (!self.draining).then_some(self.next_probe)
    }

    // ---- commands -----------------------------------------------------------

    /// Reads the status (the machine's `QueryStatus`, a resume, the idle
    /// cadence), unless a read is running already.
    pub fn request_probe(&mut self) {
        if !self.probing {
            self.probing = true;
            self.actions.push_back(LinkAction::Probe);
        }
    }

    /// The printer moved (another model, address or status channel): what
    /// the link knew about its freshness is stale, and so is the answer of a
    /// read already running (it is dropped, and the status read again).
    /// Reads the status again unless a chain is being sent.
    pub fn forget(&mut self) {
        self.last_read = None;
        self.confirmed = None;
        self.probe_outdated = self.probing;
        if self.sending.is_none() {
            self.request_probe();
        }
    }

    /// Forgets the stream built ahead: a waiting job was laid out again
    /// (issue #20), so that stream may hold its old raster. The next send
    /// of those pages builds its stream anew.
    pub fn drop_prepared(&mut self) {
        self.prepared = None;
    }

    /// Shutting down: no more probes on the idle cadence and no more timers.
    /// A chain being sent goes on to its end.
    pub fn drain(&mut self) {
        self.draining = true;
    }

    // ---- inputs -------------------------------------------------------------

    /// The machine asked to send the chain of `pages` (`Action::Send`). The
    /// chain is preflighted on a fresh status (read first if needed), then
    /// built (or taken from the stream built ahead) and written. Returns
    /// `false`, doing nothing, if the chain is empty, names a job `machine`
    /// does not know, or another chain is being sent (the machine never
    /// asks for that).
    pub fn handle_send(
        &mut self,
        now: Timestamp,
        machine: &mut PrinterMachine,
        pages: Vec<ChainPage>,
    ) -> bool {
        let Some(first) = pages.first().copied() else {
            return false;
        };
        if self.sending.is_some() || pages.iter().any(|p| machine.job(p.job_id).is_none()) {
            return false;
        }
        let Some(media) = machine
            .job(first.job_id)
            .map(|j| j.spec.media_id.to_string())
        else {
            return false;
        };
        let fresh = self.is_fresh(now, &media);
        self.sending = Some(Sending {
            first,
            pages,
            media,
            stage: Stage::Preflight,
        });
        if fresh {
            self.preflight(now, machine);
        } else {
            self.request_probe();
        }
        true
    }

    /// A status read answered (`status.last_seen` is filled in here). The
    /// status is kept and published if it changed, with a ready printer that
    /// holds other media than the next job's marked `media_mismatch`; a send
    /// waiting for it is preflighted; the machine hears what was observed.
    pub fn handle_status(
        &mut self,
        now: Timestamp,
        machine: &mut PrinterMachine,
        status: PrinterStatus,
    ) {
        self.probing = false;
        if std::mem::take(&mut self.probe_outdated) {
            // About the printer before it moved: read the one there is now.
            self.request_probe();
            return;
        }
        self.record(now, machine, status);
        if self
            .sending
            .as_ref()
            .is_some_and(|s| s.stage == Stage::Preflight)
        {
            self.preflight(now, machine);
        }
        let observed = ObservedStatus {
            reachable: self.status.reachable,
            attention: self.status.reason.clone(),
        };
        machine.handle_status(observed, now);
    }

    /// The stream of `pages` is built. The chain being sent gets it written,
    /// unless a status read that answered meanwhile holds it back; any other
    /// is kept as the stream built ahead (replacing an older one).
    pub fn handle_built(
        &mut self,
        now: Timestamp,
        machine: &mut PrinterMachine,
        pages: Vec<ChainPage>,
        stream: S,
    ) {
        if let Some(i) = self.building.iter().position(|b| *b == pages) {
            self.building.remove(i);
        }
        let wanted = self
            .sending
            .as_ref()
            .is_some_and(|s| s.stage == Stage::Build && s.pages == pages);
        if !wanted {
            self.prepared = Some((pages, stream));
            return;
        }
        // A status read that answered while the stream was built has the last word.
        match self.refusal(now) {
            Some(refusal) => {
                self.prepared = Some((pages, stream));
                self.refuse(now, machine, refusal);
            }
            None => self.write(machine, pages, stream),
        }
    }

    /// How far the write got: `sent` pages handed to the printer, `printed`
    /// reported printed (from the chain's first page). Passed on to the
    /// machine; ignored when no chain is being written.
    pub fn handle_write_progress(
        &mut self,
        now: Timestamp,
        machine: &mut PrinterMachine,
        sent: usize,
        printed: usize,
    ) {
        let Some(sending) = self.sending.as_ref().filter(|s| s.stage == Stage::Write) else {
            return;
        };
        let first = sending.first;
        machine.handle_write_progress(first.job_id, first.copy, sent, printed, now);
    }

    /// The write ended. Its final progress, then its verdict, go to the
    /// machine. A confirmed send counts as a fresh status read on its medium;
    /// a printer that refused for a reason a person must fix has that reason
    /// as its status now. Ignored when no chain is being written.
    pub fn handle_write_done(
        &mut self,
        now: Timestamp,
        machine: &mut PrinterMachine,
        report: WriteReport,
    ) {
        let Some(sending) = self.sending.take_if(|s| s.stage == Stage::Write) else {
            return;
        };
        let first = sending.first;
        machine.handle_write_progress(first.job_id, first.copy, report.sent, report.printed, now);
        self.confirmed =
            (report.outcome == WriteOutcome::Confirmed).then(|| (now, sending.media.clone()));
        match report.outcome {
            WriteOutcome::Confirmed | WriteOutcome::Sent => {
                let confirmed = report.outcome == WriteOutcome::Confirmed;
                machine.handle_write_finished(first.job_id, first.copy, confirmed, now);
            }
            WriteOutcome::Failed(failure) => {
                if let WriteFailure::Attention { reason_code } = &failure {
                    // The printer refused: what it reported is its status now.
                    let mut status = self.status.clone();
                    status.ready = false;
                    status.reason = Some(reason_code.clone());
                    if reason_code == reason::MEDIA_MISMATCH {
                        status.expected_media = Some(sending.media.clone());
                    }
                    self.publish(now, status);
                }
                machine.handle_write_failed(first.job_id, first.copy, failure, now);
            }
        }
    }

    /// A `WakeAt` fired: the idle cadence probes (unless a chain is being
    /// sent or the link drains) and schedules its next tick. Early calls are
    /// ignored.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if self.draining || now < self.next_probe {
            return;
        }
        let interval = self.policy.probe_interval_ms.max(1);
        // Ticks keep their cadence; ticks missed while the caller was late are skipped.
        let behind = now.millis_since(self.next_probe) / interval;
        self.next_probe = self
            .next_probe
            .plus_millis(interval.saturating_mul(behind.saturating_add(1)));
        if self.sending.is_none() {
            self.request_probe();
        }
        self.actions.push_back(LinkAction::WakeAt(self.next_probe));
    }

    // ---- private helpers ----------------------------------------------------

    /// Whether the link may preflight a chain for `media` on what it knows.
    fn is_fresh(&self, now: Timestamp, media: &str) -> bool {
        let young =
            |at: Timestamp| (0..self.policy.preflight_max_age_ms).contains(&now.millis_since(at));
        let confirmed = self
            .confirmed
            .as_ref()
            .is_some_and(|(at, m)| young(*at) && m == media);
        confirmed || self.last_read.is_some_and(young)
    }

    /// Decides the chain being sent on the status known now: held back (the
    /// machine is told), or on to its stream.
    fn preflight(&mut self, now: Timestamp, machine: &mut PrinterMachine) {
        if let Some(refusal) = self.refusal(now) {
            self.refuse(now, machine, refusal);
            return;
        }
        let Some(sending) = self.sending.as_mut() else {
            return;
        };
        sending.stage = Stage::Build;
        let pages = sending.pages.clone();
        if let Some((_, stream)) = self.prepared.take_if(|(p, _)| *p == pages) {
            self.write(machine, pages, stream);
        } else if !self.building.contains(&pages) {
            self.building.push(pages.clone());
            self.actions.push_back(LinkAction::Build { pages });
        }
    }

    /// Why the status known now forbids the chain being sent, if it does:
    /// unreachable, needing a person, or holding other media (which is then
    /// published as `media_mismatch`).
    fn refusal(&mut self, now: Timestamp) -> Option<PreflightRefusal> {
        let sending = self.sending.as_ref()?;
        if !self.status.reachable {
            return Some(PreflightRefusal::Unreachable);
        }
        if let Some(reason_code) = self.status.reason.clone() {
            return Some(PreflightRefusal::Attention { reason_code });
        }
        let mut status = self.status.clone();
        if !mark_mismatch(&mut status, &sending.media, self.policy.media_fits) {
            return None;
        }
        self.publish(now, status);
        Some(PreflightRefusal::Attention {
            reason_code: reason::MEDIA_MISMATCH.into(),
        })
    }

    /// Holds the chain being sent back: nothing of it was written.
    fn refuse(&mut self, now: Timestamp, machine: &mut PrinterMachine, refusal: PreflightRefusal) {
        if let Some(sending) = self.sending.take() {
            let first = sending.first;
            machine.handle_preflight_refused(first.job_id, first.copy, refusal, now);
        }
    }

    /// Writes the chain being sent, then builds ahead the chain the machine
    /// expects to send after it.
    fn write(&mut self, machine: &PrinterMachine, pages: Vec<ChainPage>, stream: S) {
        if let Some(sending) = self.sending.as_mut() {
            sending.stage = Stage::Write;
        }
        self.actions.push_back(LinkAction::Write { pages, stream });
        let Some(next) = machine.next_chain() else {
            return;
        };
        let known = self.prepared.as_ref().is_some_and(|(p, _)| *p == next)
            || self.building.contains(&next);
        if known || next.iter().any(|p| machine.job(p.job_id).is_none()) {
            return;
        }
        self.building.push(next.clone());
        self.actions.push_back(LinkAction::Build { pages: next });
    }

    /// Keeps a status read and publishes it if it changed. A ready printer
    /// whose loaded media is not what the next job was rendered for is
    /// recorded as `media_mismatch` (with the expected media), so that a
    /// re-check finding the same wrong tape changes nothing rather than
    /// starting the job only for the preflight to hold it back again.
    fn record(&mut self, now: Timestamp, machine: &PrinterMachine, mut status: PrinterStatus) {
        self.last_read = Some(now);
        status.last_seen = if status.reachable {
            Some(now)
        } else {
            self.status.last_seen
        };
        if status.reachable && status.reason.is_none() {
            if let Some(expected) = expected_media(machine) {
                mark_mismatch(&mut status, &expected, self.policy.media_fits);
            }
        }
        self.publish(now, status);
    }

    /// Replaces the status; announces `MediaChanged` and (stored first)
    /// `PrinterStatusChanged` only on change (`last_seen` alone is none).
    fn publish(&mut self, now: Timestamp, status: PrinterStatus) {
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
            self.actions
                .push_back(LinkAction::Emit(Event::MediaChanged(MediaChanged {
                    printer_id: self.printer_id,
                    from: before.media,
                    to: self.status.media.clone(),
                    at: now,
                })));
        }
        if changed {
            self.actions
                .push_back(LinkAction::SaveStatus(self.status.clone()));
            self.actions
                .push_back(LinkAction::Emit(Event::PrinterStatusChanged(
                    PrinterStatusChanged {
                        printer_id: self.printer_id,
                        status: self.status.clone(),
                        at: now,
                    },
                )));
        }
    }
}

/// The media of the job printing now, or else of the next one to print.
fn expected_media(machine: &PrinterMachine) -> Option<String> {
    let job = match machine.in_flight() {
        Some(flight) => machine.job(flight.first().job_id),
        None => machine.next_job(),
    };
    job.map(|j| j.spec.media_id.to_string())
}

/// Marks `status` as `media_mismatch` (not ready, the expected media named)
/// if the media it reports cannot print jobs rendered for `expected`;
/// returns whether it did. A status without media is left alone.
fn mark_mismatch(status: &mut PrinterStatus, expected: &str, fits: fn(&str, &str) -> bool) -> bool {
    let wrong = status
        .media
        .as_deref()
        .is_some_and(|loaded| !fits(expected, loaded));
    if wrong {
        status.ready = false;
        status.reason = Some(reason::MEDIA_MISMATCH.into());
        status.expected_media = Some(expected.to_string());
    }
    wrong
}
