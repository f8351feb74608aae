//! The command line: clap definitions (the "low" layer that mirrors what the
//! user typed) and [`run`], which dispatches to the command modules. Every
//! command returns `anyhow::Result`; `main` prints a failure as one line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// printhub: a print hub for Brother PT and QL label printers.
#[derive(Debug, Parser)]
#[command(name = "printhub", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Encode, decode and inspect Brother raster jobs.
    #[command(subcommand)]
    Raster(RasterCommand),
    /// The media catalogue.
    #[command(subcommand)]
    Media(MediaCommand),
    /// The model table.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Run emulated Brother printers on this machine (TCP 9100 raster + SNMP).
    Emulate(EmulateArgs),
    /// Send a job file to a printer on raw TCP 9100 and print its status replies.
    Send(SendArgs),
    /// Render a label (content type or template + data) to a preview PNG, and
    /// optionally to the print job, without a printer.
    Render(RenderArgs),
    /// Render a label and print it straight to a printer on raw TCP 9100 (no server).
    Print(PrintArgs),
    /// The `make run` demo: two emulated printers (PT-P750W on tze-12, QL-820NWB on dk-62).
    Run(RunArgs),
    /// Read a printer's status over the channels it offers (ESC i S on PT, SNMP on QL).
    Status(StatusArgs),
    /// List the USB printer devices (/dev/usb/lp*) and the model each reports.
    Devices(DevicesArgs),
    /// Run the hub: engine, SQLite spool and HTTP API (without --config: the `make run` demo
    /// with two emulated printers and the API on 127.0.0.1:8080).
    Serve(ServeArgs),
    /// API keys: create (shown once), list, revoke — straight in the database.
    Keys(KeysArgs),
    /// Import another hub's printers, API keys and job history into the database.
    Import(ImportArgs),
    /// Exit 0 if the running hub's /healthz answers 200 (a container's HEALTHCHECK).
    Healthcheck(HealthcheckArgs),
}

/// `printhub healthcheck`
#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// The `printhub serve` configuration whose `listen` to check (and
    /// `PRINTHUB_LISTEN`); without it: 127.0.0.1:8080.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Check this host:port instead.
    #[arg(long)]
    pub address: Option<String>,
}

/// `printhub import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The `printhub serve` configuration whose data_dir holds the database
    /// (without it: ./var, as `make run`).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// What to import.
    #[command(subcommand)]
    pub source: ImportSource,
}

/// `printhub import …`
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// Label Printer Hub v0.11's SQLite database (its /data/printer-hub.db):
    /// printers (same ids and slugs), API keys (lh_pat_ keys keep working),
    /// job history. Idempotent; stop both hubs first.
    #[command(name = "label-printer-hub")]
    LabelPrinterHub {
        /// The database file.
        path: PathBuf,
        /// Print what would be imported and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `printhub keys`
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// The `printhub serve` configuration whose data_dir holds the database
    /// (without it: ./var, as `make run`).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// `printhub keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it (the only time it is shown).
    Create {
        /// A name for people ("inventory app").
        #[arg(long)]
        name: String,
        /// read, print or admin.
        #[arg(long, default_value = "print")]
        scope: String,
        /// Limit the key to this printer (slug or id); repeat for more.
        #[arg(long)]
        printer: Vec<String>,
        /// When the key stops working (RFC 3339).
        #[arg(long)]
        expires: Option<String>,
        /// Mutations a minute (default: the server's).
        #[arg(long)]
        rate_limit: Option<u32>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id.
    Revoke {
        /// The key id (the 32 hex digits after `phk_`).
        id: String,
    },
    /// Print a new random secret (256 bits, URL-safe) for `[auth.proxy]
    /// secret` or a webhook token; touches no database.
    Secret,
}

/// `printhub serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration (listen, data_dir, body_limit, [[printer]], [[emulator]], [retention]).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// `printhub status`
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Printer address, host[:port] (port 9100 if omitted), or a USB printer's device
    /// (/dev/usb/lp0).
    pub address: String,
    /// The printer's model (decides which channels it answers on).
    #[arg(long)]
    pub model: String,
    /// SNMP v2c agent, host[:port] (port 161 if omitted); the status channel of network QL models.
    #[arg(long)]
    pub snmp: Option<String>,
    /// SNMP community.
    #[arg(long, default_value = "public")]
    pub community: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `printhub devices`
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Where the kernel's printer devices are.
    #[arg(long, default_value = "/dev/usb")]
    pub dev: PathBuf,
    /// Where their sysfs entries (with `device/ieee1284_id`) are.
    #[arg(long, default_value = "/sys/class/usbmisc")]
    pub sysfs: PathBuf,
}

/// `printhub emulate`
#[derive(Debug, Args)]
pub struct EmulateArgs {
    /// Model to emulate (ignored with --config).
    #[arg(long, required_unless_present = "config")]
    pub model: Option<String>,
    /// Loaded media (ignored with --config).
    #[arg(long, required_unless_present = "config")]
    pub media: Option<String>,
    /// Raw TCP listen address.
    #[arg(long, default_value = "127.0.0.1:9100")]
    pub listen: std::net::SocketAddr,
    /// SNMP v2c (UDP) listen address; no SNMP agent without it.
    #[arg(long)]
    pub snmp: Option<std::net::SocketAddr>,
    /// Folder for printed pages (PNG + JSON per page).
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// Print speed: `instant`, or `real` (the model's nominal mm/s).
    #[arg(long, value_enum, default_value = "real")]
    pub speed: SpeedArg,
    /// Also be a USB printer: link this path to a raw-mode pseudo-terminal that the hub
    /// opens like /dev/usb/lp0 (`device = "PATH"` in its `[[printer]]`).
    #[arg(long)]
    pub device_link: Option<PathBuf>,
    /// How many of the last printed pages stay in memory; older ones are only in --out-dir.
    #[arg(long, default_value_t = printhub_emulator::DEFAULT_KEEP_PAGES)]
    pub keep_pages: usize,
    /// A TOML file with several printers: `[[printer]]` tables with model, media, tcp_addr,
    /// snmp_addr, community, out_dir, keep_pages, speed, device_link.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Listen on this loopback address for control lines: `media [<n>] <id|none>`
    /// swaps the loaded tape or roll of a running emulator, `show` lists them.
    #[arg(long)]
    pub control: Option<std::net::SocketAddr>,
}

/// Emulated print speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SpeedArg {
    /// Pages complete as soon as they are received.
    Instant,
    /// Pages take as long as on the real model.
    Real,
}

/// `printhub send`
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The job file (from `printhub raster encode`).
    pub job: PathBuf,
    /// Printer address, host:port (port 9100 on real printers).
    #[arg(long)]
    pub to: String,
    /// Seconds to wait for each status block.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
}

/// What to draw and for which printer: shared by `render` and `print`.
#[derive(Debug, Args)]
pub struct LabelArgs {
    /// Printer model, e.g. PT-P750W or QL-820NWB.
    #[arg(long)]
    pub model: String,
    /// Media id, e.g. tze-12 or dk-62 (see `printhub media list`).
    #[arg(long)]
    pub media: String,
    /// A content type: qr_only, qr_one_line, qr_two_lines, text_one_line,
    /// text_two_lines, barcode_code128, image_only (as the HTTP API).
    #[arg(
        long,
        conflicts_with = "template",
        required_unless_present = "template"
    )]
    pub content_type: Option<String>,
    /// A built-in template name, or a template JSON file.
    #[arg(long)]
    pub template: Option<String>,
    /// The label's data as JSON (`{"primary_id":"BOX-7","qr_payload":"…"}`),
    /// or `@file.json`.
    #[arg(long, default_value = "{}")]
    pub data: String,
}

/// `printhub render`
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The label.
    #[command(flatten)]
    pub label: LabelArgs,
    /// Where to write the preview PNG (one pixel per dot, `--scale` to enlarge).
    #[arg(long)]
    pub out: PathBuf,
    /// Pixels per dot in the preview (1-16).
    #[arg(long, default_value_t = 1)]
    pub scale: u32,
    /// Also write the print job (what `printhub send` takes).
    #[arg(long)]
    pub job: Option<PathBuf>,
}

/// `printhub print`
#[derive(Debug, Args)]
pub struct PrintArgs {
    /// The label.
    #[command(flatten)]
    pub label: LabelArgs,
    /// Printer address, host:port (port 9100 on real printers).
    #[arg(long)]
    pub to: String,
    /// Copies (1-100).
    #[arg(long, default_value_t = 1)]
    pub copies: u32,
    /// Seconds to wait for each status block.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
}

/// `printhub run`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Folder for everything the demo writes.
    #[arg(long, default_value = "var")]
    pub data_dir: PathBuf,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    pub for_seconds: Option<u64>,
}

/// `printhub raster …`
#[derive(Debug, Subcommand)]
pub enum RasterCommand {
    /// Turn a PNG/JPEG label image into a complete print job.
    Encode(EncodeArgs),
    /// Decode a job into page-N.png and page-N.json files.
    Decode(DecodeArgs),
    /// Print one line per command of a job.
    Inspect(InspectArgs),
}

/// How to orient the input image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Rotate {
    /// Turn the image 90° clockwise when its height, not its width, matches the printable dots.
    Auto,
    /// Use the image as it is: each row is one raster line.
    #[value(name = "0")]
    None,
    /// Turn the image 90° clockwise (a landscape tape label).
    #[value(name = "90")]
    Quarter,
}

/// `printhub raster encode`
#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// Printer model, e.g. PT-P750W or QL-820NWB.
    #[arg(long)]
    pub model: String,
    /// Media id, e.g. tze-12 or dk-62 (see `printhub media list`).
    #[arg(long)]
    pub media: String,
    /// Label image (PNG or JPEG). Pixels darker than 50% grey print black.
    #[arg(long)]
    pub input: PathBuf,
    /// Where to write the job.
    #[arg(long)]
    pub output: PathBuf,
    /// Orientation of the input.
    #[arg(long, value_enum, default_value = "auto")]
    pub rotate: Rotate,
    /// Send raster lines uncompressed.
    #[arg(long)]
    pub no_compress: bool,
    /// Cut after every label (the default where the model has a cutter).
    #[arg(long, overrides_with = "no_cut")]
    pub cut: bool,
    /// Do not cut.
    #[arg(long, overrides_with = "cut")]
    pub no_cut: bool,
    /// Half cut between labels (PT models with a half cutter).
    #[arg(long)]
    pub half_cut: bool,
    /// Chain printing: leave the last label in the printer.
    #[arg(long)]
    pub chain: bool,
    /// High resolution along the feed (the image must have twice the lines).
    #[arg(long)]
    pub high_res: bool,
    /// Black and red printing: red pixels go to the red layer (QL-8xx on dk-62-red).
    #[arg(long)]
    pub red: bool,
    /// Number of copies (labels in the job).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=999))]
    pub copies: u16,
    /// Describe the job written as JSON (instead of the one-line summary).
    #[arg(long)]
    pub json: bool,
}

/// `printhub raster decode`
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The job file.
    pub job: PathBuf,
    /// Folder for page-N.png and page-N.json (created if missing).
    #[arg(long)]
    pub out_dir: PathBuf,
    /// Decode strictly for this model (default: infer the head from the lines).
    #[arg(long)]
    pub model: Option<String>,
}

/// `printhub raster inspect`
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The job file.
    pub job: PathBuf,
    /// Decode strictly for this model (default: infer the head from the lines).
    #[arg(long)]
    pub model: Option<String>,
}

/// `printhub media …`
#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// List media, optionally only those a model takes.
    List {
        /// Only media this model takes, with their geometry on it.
        #[arg(long)]
        model: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `printhub models …`
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List every model printhub knows.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Raster(RasterCommand::Encode(args)) => crate::raster_cmd::encode(&args, &mut out),
        Command::Raster(RasterCommand::Decode(args)) => crate::raster_cmd::decode(&args, &mut out),
        Command::Raster(RasterCommand::Inspect(args)) => {
            crate::raster_cmd::inspect(&args, &mut out)
        }
        Command::Media(MediaCommand::List { model, json }) => {
            crate::catalogue::media_list(model.as_deref(), json, &mut out)
        }
        Command::Models(ModelsCommand::List { json }) => {
            crate::catalogue::models_list(json, &mut out)
        }
        Command::Emulate(args) => crate::emulate_cmd::emulate(&args, &mut out),
        Command::Send(args) => crate::emulate_cmd::send(&args, &mut out),
        Command::Render(args) => crate::label_cmd::render(&args, &mut out),
        Command::Print(args) => crate::label_cmd::print(&args, &mut out),
        Command::Run(args) => crate::emulate_cmd::run_demo(&args, &mut out),
        Command::Status(args) => crate::status_cmd::status(&args, &mut out),
        Command::Devices(args) => crate::status_cmd::devices(&args, &mut out),
        Command::Keys(args) => crate::keys_cmd::keys(&args, &mut out),
        Command::Import(args) => crate::import_cmd::import(&args, &mut out),
        Command::Healthcheck(args) => crate::healthcheck_cmd::healthcheck(&args, &mut out),
        Command::Serve(args) => {
            let config = match &args.config {
                Some(path) => crate::config::Config::from_file(path)?,
                None => crate::config::Config::demo(std::path::Path::new("var")),
            }
            .with_env(|k| std::env::var(k).ok())?;
            config.validate()?;
            drop(out);
            crate::serve::serve(config)
        }
    }
}
