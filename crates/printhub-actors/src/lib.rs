//! # printhub-actors
//!
//! The print engine on actix. Each printer is a [`PrinterActor`] that owns
//! one `printhub_core::PrinterMachine` (its queue and job state machine), one
//! `printhub_core::Link` (the policy of its link: preflight, probes, the
//! stream built ahead, its status) and one [`Transport`]; the [`Supervisor`] owns the registry, routes every
//! command to the right printer, restarts a printer actor that stopped and
//! fans events out; callers use the typed [`HubHandle`], whose async methods
//! return domain `Result`s and never expose actix types.
//!
//! ```text
//!  HubHandle ──send──► Supervisor ──forward the same message──► PrinterActor ──► PrinterMachine (core, sans-io)
//!   (encode in            │ registry, slug/job index,                 │  actions: Persist ─► HubStore
//!    spawn_blocking)      │ restarts, Published ─► broadcast          │           Emit ─► Recipient<Published>
//!                         ▼                                           │           WakeAt ─► ctx.run_later
//!                   EventStream × N  ◄────────────────────────────────┘           Send{pages}, QueryStatus ─► Link (core, sans-io)
//!                                                                       link actions: Probe ─► ctx.spawn(transport.probe)
//!                                                                                     Build ─► spawn_blocking(join the copies)
//!                                                                                     Write ─► ctx.spawn(transport.send)
//!                                         handle_status/built/write_progress/write_done ◄─┘ (the Link feeds the machine)
//! ```
//!
//! **Architecture Invariant:** this is the only crate that depends on
//! actix. Nothing above it sees a message struct or a `MailboxError`.
//!
//! **Architecture Invariant:** the actix mailbox is not the print queue. The
//! queue is the `PrinterMachine`; every state change goes through it, and its
//! `Persist` actions reach the [`HubStore`] before a caller gets a reply or a
//! subscriber an event.
//!
//! **Architecture Invariant:** a printer actor never holds its mailbox across
//! I/O. Sends and status probes run as spawned futures that report back, so
//! pause, cancel, status and list are answered while a label prints. CPU work
//! (raster encoding, joining a chain) runs in `spawn_blocking`, never on an
//! actor thread.
#![forbid(unsafe_code)]

pub mod address;
mod clock;
pub mod device;
pub mod events;
pub mod handle;
mod job_index;
pub mod printer;
pub mod store;
pub mod supervisor;
pub mod transport;

pub use address::{AddressError, Endpoint, Host, Target};
pub use device::DeviceTransport;
pub use events::{EventItem, EventStream, Published};
pub use handle::{
    model_traits, Hub, HubConfig, HubHandle, JobFilter, LinkConfig, NameCheck, PrintRequest,
    ProbedPrinter, Retention,
};
pub use printer::PrinterActor;
pub use store::{HubStore, JobPage, JobQuery, MemoryStore, SavePrinterError, StoreError};
pub use supervisor::{Supervisor, TransportFactory};
pub use transport::{
    resolve_address, MemoryTransport, Outgoing, ProgressSink, SendOutcome, SendProgress,
    SendReport, TcpTimeouts, TcpTransport, Transport, TransportError,
};

use printhub_core::{CommandCode, CommandError, JobId, PrinterDefaults, PrinterId, PrinterState};
use printhub_raster::EncodeCode;
use printhub_store::StoreCode;
use thiserror::Error;

/// What a printer is: the registry entry callers create and edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterConfig {
    /// Stable id; `None` to have one made when the printer is added.
    pub id: Option<PrinterId>,
    /// Unique, URL-safe short name (`[a-z0-9-]`, 1–64 characters).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Brother model name (`PT-P750W`).
    pub model: String,
    /// Loaded media id (`tze-12`), pinned; or [`AUTO_MEDIA`] (`auto`): the
    /// medium is what the printer's status channel reports.
    pub media: String,
    /// `host[:port]` of the printer's raw TCP port (port defaults to 9100): an IP
    /// literal or a DNS name, looked up again on every connection ([`Endpoint`]);
    /// or, for a USB printer, the absolute path of its device (`/dev/usb/lp0`,
    /// [`Target::Device`]).
    pub address: String,
    /// Whether the printer prints.
    pub enabled: bool,
    /// `host[:port]` of the printer's SNMP v2c agent (port defaults to 161), if status
    /// should be read over SNMP (the only status channel of network QL models).
    pub snmp: Option<String>,
    /// SNMP community (default `public`). A secret: never shown back.
    pub snmp_community: Option<String>,
    /// Paused by a user: kept across restarts, so a restart never starts a printer
    /// somebody stopped on purpose.
    pub paused: bool,
    /// Print defaults: the options a job gets when its request does not
    /// say, the copies limit and the queue timeout (issue #20).
    pub defaults: PrinterDefaults,
}

/// A printer to add where the hub fills in what is left out (issue #20):
/// without `model` it asks the printer at `address` (and `snmp`) which model
/// it is ([`HubHandle::probe_printer`]), without `slug` it makes one from the
/// model's name, without `media` it follows the printer (`auto`), and
/// without `name` the name is the slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterDraft {
    /// Stable id; `None` to have one made.
    pub id: Option<PrinterId>,
    /// Short name; `None`: from the model's name.
    pub slug: Option<String>,
    /// Display name; `None`: the slug.
    pub name: Option<String>,
    /// Brother model name; `None`: what the printer says.
    pub model: Option<String>,
    /// Media id or [`AUTO_MEDIA`]; `None`: [`AUTO_MEDIA`].
    pub media: Option<String>,
    /// As [`PrinterConfig::address`].
    pub address: String,
    /// Whether the printer prints.
    pub enabled: bool,
    /// As [`PrinterConfig::snmp`]; empty: none. Without it, a printer
    /// identified over the SNMP agent of its host reads its status there.
    pub snmp: Option<String>,
    /// As [`PrinterConfig::snmp_community`].
    pub snmp_community: Option<String>,
    /// Print defaults.
    pub defaults: PrinterDefaults,
}

/// Slugs that name routes, not printers (`GET /api/printers/probe`).
pub const RESERVED_SLUGS: &[&str] = &["probe"];

/// The `media` setting of a printer whose medium is what it reports loaded
/// (`ESC i S` on PT, the Brother status block or printer MIB over SNMP).
pub const AUTO_MEDIA: &str = "auto";

impl PrinterConfig {
    /// Whether its medium follows what the printer reports ([`AUTO_MEDIA`]).
    pub fn media_is_auto(&self) -> bool {
        self.media.eq_ignore_ascii_case(AUTO_MEDIA)
    }
}

/// A partial update of a [`PrinterConfig`]; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrinterPatch {
    /// New display name.
    pub name: Option<String>,
    /// New model.
    pub model: Option<String>,
    /// New loaded media.
    pub media: Option<String>,
    /// New address.
    pub address: Option<String>,
    /// New SNMP agent address (`Some("")`: no SNMP).
    pub snmp: Option<String>,
    /// New SNMP community.
    pub snmp_community: Option<String>,
    /// New print defaults (replacing them all).
    pub defaults: Option<PrinterDefaults>,
}

/// A printer as callers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterInfo {
    /// Its id.
    pub id: PrinterId,
    /// Unique short name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Model name.
    pub model: String,
    /// The `media` setting: a media id (pinned) or [`AUTO_MEDIA`].
    pub media: String,
    /// The medium new labels are laid out for: the pinned `media`, or with
    /// [`AUTO_MEDIA`] the last medium the printer reported (kept while it
    /// reports none, so a label sent while the tape is out waits for it;
    /// `None` until it has reported one).
    pub layout_media: Option<String>,
    /// `host:port`.
    pub address: String,
    /// Whether it prints.
    pub enabled: bool,
    /// Its state machine's state.
    pub state: PrinterState,
    /// Queued plus held jobs.
    pub queue_depth: usize,
    /// The job being printed, if any.
    pub printing: Option<JobId>,
    /// The job that would be sent next (the first queued one not waiting
    /// for its layout), if any: what a stopped printer waits to print.
    pub next_job: Option<JobId>,
    /// What the printer last reported about itself.
    pub status: printhub_core::PrinterStatus,
    /// Its print defaults.
    pub defaults: PrinterDefaults,
}

/// Every way an engine call can fail. [`HubError::code`] is stable, and
/// [`HubError::kind`] is the same code typed ([`HubCode`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HubError {
    /// No printer with that id or slug.
    #[error("no printer {0:?}")]
    PrinterNotFound(String),
    /// No job with that id.
    #[error("no job {0}")]
    JobNotFound(JobId),
    /// A printer with that slug exists already.
    #[error("a printer with slug {0:?} exists already")]
    PrinterExists(String),
    /// A printer that still has jobs cannot be removed.
    #[error("printer {0:?} still has queued or printing jobs; clear its queue first")]
    PrinterBusy(String),
    /// The printer configuration is invalid.
    #[error("invalid printer {field}: {message}")]
    InvalidPrinter {
        /// The offending field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// A well-formed host name of the printer (`address` or `snmp`) does not
    /// resolve now; refused when a person adds or changes a printer, so a typo
    /// shows at once ([`NameCheck::Now`]).
    #[error("printer {field}: {message}")]
    AddressUnresolvable {
        /// The offending field.
        field: &'static str,
        /// The name and what the resolver said.
        message: String,
    },
    /// The model cannot take the media (DK on a PT, 36 mm tape on a 24 mm head…).
    #[error("invalid printer media: {message}")]
    UnsupportedMedia {
        /// Why, from the raster crate's geometry check.
        message: String,
    },
    /// `media = "auto"` on a printer that does not report its medium (a
    /// network model that answers no status on TCP, without SNMP).
    #[error("invalid printer media: {message}")]
    MediaNotReported {
        /// Why, naming the model and the missing channel.
        message: String,
    },
    /// A label for a printer with `media = "auto"` that has not reported any
    /// medium yet: there is nothing to lay it out for.
    #[error("printer {0:?} has not reported the medium it holds yet; check that it is on and loaded, or set its media")]
    MediaUnknown(String),
    /// A finished job's stored request no longer lays out, so it cannot be
    /// printed again from it (issue #20).
    #[error("the job cannot be printed again: {message} ({reason})")]
    ReprintInvalid {
        /// The renderer's or encoder's code (`unknown_template`, `does_not_fit`, ...).
        reason: String,
        /// What it said.
        message: String,
    },
    /// Nothing answered at a printer's address when the hub asked which
    /// model it is (adding a printer by its address).
    #[error("no printer answered: {message}")]
    PrinterUnreachable {
        /// Where the hub asked, and what happened.
        message: String,
    },
    /// Something answered at the address, but not as a model the hub knows.
    #[error("the printer did not identify as a model printhub supports: it said {said}")]
    PrinterUnidentified {
        /// What it said (its device id, or its status block's codes).
        said: String,
    },
    /// A job asks for more copies than its printer's copies limit.
    #[error("copies must be at most {limit} on this printer, got {copies}")]
    TooManyCopies {
        /// What the job asked for.
        copies: u32,
        /// The printer's limit (`defaults.max_copies`).
        limit: u32,
    },
    /// The state machine refused the command.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The label cannot be encoded for the printer's model and media.
    #[error(transparent)]
    Encode(#[from] printhub_raster::EncodeError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine did not answer in time or has stopped.
    #[error("the print engine is unavailable: {0}")]
    Unavailable(String),
    /// The engine is shutting down and takes no new work.
    #[error("the print engine is shutting down")]
    ShuttingDown,
}

impl HubError {
    /// The typed code, carrying the code of the crate that failed (the
    /// store's, the encoder's, the state machine's): what the HTTP gateway
    /// maps to a status with an exhaustive `match`.
    pub fn kind(&self) -> HubCode {
        match self {
            HubError::PrinterNotFound(_) => HubCode::PrinterNotFound,
            HubError::JobNotFound(_) => HubCode::JobNotFound,
            HubError::PrinterExists(_) => HubCode::PrinterExists,
            HubError::PrinterBusy(_) => HubCode::PrinterBusy,
            HubError::InvalidPrinter { .. } => HubCode::InvalidPrinter,
            HubError::AddressUnresolvable { .. } => HubCode::AddressUnresolvable,
            HubError::UnsupportedMedia { .. } => HubCode::UnsupportedMedia,
            HubError::MediaNotReported { .. } => HubCode::MediaNotReported,
            HubError::MediaUnknown(_) => HubCode::MediaUnknown,
            HubError::ReprintInvalid { .. } => HubCode::ReprintInvalid,
            HubError::PrinterUnreachable { .. } => HubCode::PrinterUnreachable,
            HubError::PrinterUnidentified { .. } => HubCode::PrinterUnidentified,
            HubError::TooManyCopies { .. } => HubCode::TooManyCopies,
            HubError::Command(e) => HubCode::Command(e.kind()),
            HubError::Encode(e) => HubCode::Encode(e.kind()),
            HubError::Store(e) => HubCode::Store(e.code),
            HubError::Unavailable(_) => HubCode::Unavailable,
            HubError::ShuttingDown => HubCode::ShuttingDown,
        }
    }

    /// Stable machine code (design §3 where one exists): `self.kind().code()`.
    pub fn code(&self) -> &'static str {
        self.kind().code()
    }
}

/// The stable code of a [`HubError`]. Failures of the crates below keep
/// their own typed code ([`CommandCode`], [`EncodeCode`], [`StoreCode`]), so
/// nothing on the way to the HTTP edge turns a code into text and back.
///
/// Deliberately not `#[non_exhaustive]`: a caller that maps codes (the HTTP
/// gateway chooses a status per code) matches every variant, so a new code
/// fails its build until it has been given an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HubCode {
    /// `printer_not_found`.
    PrinterNotFound,
    /// `job_not_found`.
    JobNotFound,
    /// `printer_exists`.
    PrinterExists,
    /// `printer_busy`.
    PrinterBusy,
    /// `invalid_request`: a printer configuration field is invalid.
    InvalidPrinter,
    /// `address_unresolvable`.
    AddressUnresolvable,
    /// `unsupported_media`: the model cannot take the media.
    UnsupportedMedia,
    /// `media_not_reported`: `media = "auto"` on a printer that reports no medium.
    MediaNotReported,
    /// `media_unknown`: an `auto` printer has not reported its medium yet.
    MediaUnknown,
    /// `reprint_invalid`: a finished job's stored request no longer lays out.
    ReprintInvalid,
    /// `printer_unreachable`: nothing answered at the address asked.
    PrinterUnreachable,
    /// `printer_unidentified`: the printer named no model the hub knows.
    PrinterUnidentified,
    /// `invalid_request`: more copies than the printer's limit.
    TooManyCopies,
    /// The state machine refused the command: its code.
    Command(CommandCode),
    /// The label cannot be encoded: the encoder's code.
    Encode(EncodeCode),
    /// The store failed: the store's code. The engine's string for every
    /// one of them is `store_error` ([`HubCode::code`]).
    Store(StoreCode),
    /// `unavailable`.
    Unavailable,
    /// `shutting_down`.
    ShuttingDown,
}

impl HubCode {
    /// The stable snake_case string. Every store failure is `store_error`
    /// (the store's own code is in [`HubCode::Store`]); command and encoder
    /// failures are their crate's code.
    pub const fn code(self) -> &'static str {
        match self {
            HubCode::PrinterNotFound => "printer_not_found",
            HubCode::JobNotFound => "job_not_found",
            HubCode::PrinterExists => "printer_exists",
            HubCode::PrinterBusy => "printer_busy",
            HubCode::InvalidPrinter => "invalid_request",
            HubCode::AddressUnresolvable => "address_unresolvable",
            HubCode::UnsupportedMedia => "unsupported_media",
            HubCode::MediaNotReported => "media_not_reported",
            HubCode::MediaUnknown => "media_unknown",
            HubCode::ReprintInvalid => "reprint_invalid",
            HubCode::PrinterUnreachable => "printer_unreachable",
            HubCode::PrinterUnidentified => "printer_unidentified",
            HubCode::TooManyCopies => "invalid_request",
            HubCode::Command(c) => c.code(),
            HubCode::Encode(c) => c.code(),
            HubCode::Store(_) => "store_error",
            HubCode::Unavailable => "unavailable",
            HubCode::ShuttingDown => "shutting_down",
        }
    }

    /// Every code, once, with every code of the crates it carries.
    pub fn all() -> Vec<HubCode> {
        let mut all = vec![
            HubCode::PrinterNotFound,
            HubCode::JobNotFound,
            HubCode::PrinterExists,
            HubCode::PrinterBusy,
            HubCode::InvalidPrinter,
            HubCode::AddressUnresolvable,
            HubCode::UnsupportedMedia,
            HubCode::MediaNotReported,
            HubCode::MediaUnknown,
            HubCode::ReprintInvalid,
            HubCode::PrinterUnreachable,
            HubCode::PrinterUnidentified,
            HubCode::TooManyCopies,
            HubCode::Unavailable,
            HubCode::ShuttingDown,
        ];
        all.extend(CommandCode::ALL.map(HubCode::Command));
        all.extend(EncodeCode::ALL.map(HubCode::Encode));
        all.extend(StoreCode::ALL.map(HubCode::Store));
        all
    }
}

impl HubError {
    /// The error for printer field `field` whose address `e` refused.
    pub fn address(field: &'static str, e: AddressError) -> Self {
        match e {
            AddressError::Invalid { .. } => HubError::InvalidPrinter {
                field,
                message: e.to_string(),
            },
            AddressError::Unresolvable { .. } => HubError::AddressUnresolvable {
                field,
                message: e.to_string(),
            },
        }
    }
}

impl From<SavePrinterError> for HubError {
    fn from(e: SavePrinterError) -> Self {
        match e {
            SavePrinterError::SlugTaken(slug) => HubError::PrinterExists(slug),
            SavePrinterError::Store(e) => HubError::Store(e),
        }
    }
}

impl From<actix::MailboxError> for HubError {
    fn from(e: actix::MailboxError) -> Self {
        HubError::Unavailable(e.to_string())
    }
}

mod config_check {
    //! Validation of printer configuration fields: syntax and the catalogue,
    //! never the network (names are resolved by the caller that needs it).
    use super::{HubError, PrinterConfig, RESERVED_SLUGS};
    use crate::address::{Endpoint, Target, RAW_PORT, SNMP_PORT};
    use printhub_raster::{geometry, Media, Model};

    /// Checks and resolves the fields of a printer configuration.
    pub(crate) trait PrinterConfigFields {
        /// The model and media, validated against each other, the slug's syntax
        /// and the syntax of both addresses. The media is `None` for
        /// [`AUTO_MEDIA`](super::AUTO_MEDIA), allowed only where the printer
        /// reports its medium.
        fn validate(&self) -> Result<(&'static Model, Option<&'static Media>), HubError>;
        /// The printer's target (raw TCP endpoint or device) and the SNMP
        /// endpoint (if any), parsed, not resolved.
        fn endpoints(&self) -> Result<(Target, Option<Endpoint>), HubError>;
    }

    impl PrinterConfigFields for PrinterConfig {
        fn validate(&self) -> Result<(&'static Model, Option<&'static Media>), HubError> {
            let invalid = |field, message: String| HubError::InvalidPrinter { field, message };
            let slug_ok = !self.slug.is_empty()
                && self.slug.len() <= 64
                && self
                    .slug
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !slug_ok {
                return Err(invalid(
                    "slug",
                    format!("{:?} is not 1-64 characters of a-z, 0-9 and -", self.slug),
                ));
            }
            if RESERVED_SLUGS.contains(&self.slug.as_str()) {
                return Err(invalid(
                    "slug",
                    format!("{:?} is reserved (a route under /api/printers)", self.slug),
                ));
            }
            if uuid::Uuid::parse_str(&self.slug).is_ok() {
                return Err(invalid(
                    "slug",
                    "a slug must not look like a printer id".into(),
                ));
            }
            let model = Model::by_name(&self.model)
                .ok_or_else(|| invalid("model", format!("unknown model {:?}", self.model)))?;
            self.defaults
                .validate()
                .map_err(|e| invalid("defaults", e.to_string()))?;
            let (target, snmp) = self.endpoints()?;
            if self.media_is_auto() {
                // Every model answers `ESC i S` over USB; over the network only
                // those that answer it on TCP, or any model through SNMP.
                let reports = matches!(target, Target::Device(_))
                    || model.answers_status_on_tcp
                    || snmp.is_some();
                if !reports {
                    return Err(HubError::MediaNotReported {
                        message: format!(
                            "media \"auto\" needs a printer that reports its medium: the {} \
                             answers no status over TCP, so give it an `snmp` agent or set its media",
                            model.name
                        ),
                    });
                }
                return Ok((model, None));
            }
            let media = Media::by_id(&self.media).ok_or_else(|| {
                invalid(
                    "media",
                    format!("unknown media {:?} (a media id or \"auto\")", self.media),
                )
            })?;
            geometry(model, media).map_err(|e| HubError::UnsupportedMedia {
                message: e.to_string(),
            })?;
            Ok((model, Some(media)))
        }

        fn endpoints(&self) -> Result<(Target, Option<Endpoint>), HubError> {
            let raw = Target::parse(&self.address, RAW_PORT)
                .map_err(|e| HubError::address("address", e))?;
            let snmp = self
                .snmp
                .as_deref()
                .map(|s| Endpoint::parse(s, SNMP_PORT).map_err(|e| HubError::address("snmp", e)))
                .transpose()?;
            Ok((raw, snmp))
        }
    }
}
