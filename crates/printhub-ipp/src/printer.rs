//! The attribute model of one hub printer seen as an IPP Everywhere printer
//! (RFC 8011 §5.4, PWG 5100.14): [`PrinterInfo`] is the plain data the
//! wiring reads from the hub (model, loaded medium, state, queue depth), and
//! [`printer_attributes`] turns it into every printer attribute, which
//! [`select`] filters by `requested-attributes`.
//!
//! Media come from [`crate::media`]; the printer state maps the hub's
//! [`PrinterState`] onto `printer-state` and `printer-state-reasons`
//! ([`state_of`]). Pure: no I/O, no clock (the up-time is an argument).

use ipp::value::IppValue;
use printhub_core::printer::{reason, PrinterState};
use printhub_raster::media::Media;
use printhub_raster::model::Model;
use uuid::Uuid;

use crate::codec::Attribute;
use crate::media;
use crate::status::Operation;

/// The document formats a hub printer takes (PWG 5100.14 §5.2: PWG raster
/// and JPEG are required, URF is what Apple clients send).
pub const DOCUMENT_FORMATS: [&str; 5] = [
    "application/octet-stream",
    "image/jpeg",
    "image/png",
    "image/pwg-raster",
    "image/urf",
];

/// The `compression` values accepted on a document.
pub const COMPRESSIONS: [&str; 3] = ["deflate", "gzip", "none"];

/// The largest `copies` a job may ask for (the hub's per-job limit).
pub const MAX_COPIES: i32 = 100;

/// How clients authenticate on this listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    /// Anonymous (a loopback listener whose `[auth] anonymous` allows it).
    None,
    /// HTTP Basic with an API key as the password.
    Basic,
}

/// What the hub knows about one printer, as plain data.
#[derive(Debug, Clone)]
pub struct PrinterInfo {
    /// `printer-uri-supported`: `ipp://HOST:PORT/ipp/print/{slug}`.
    pub uri: String,
    /// `printer-name`: the hub's slug.
    pub name: String,
    /// `printer-info`: the hub's display name.
    pub info: String,
    /// `printer-location` (may be empty).
    pub location: String,
    /// `printer-uuid`: the hub's printer id.
    pub uuid: Uuid,
    /// The printer's model.
    pub model: &'static Model,
    /// The medium loaded now, if known.
    pub media: Option<&'static Media>,
    /// The hub's printer state.
    pub state: PrinterState,
    /// Whether the printer takes new jobs (false when disabled).
    pub accepting: bool,
    /// Jobs waiting or printing.
    pub queued_job_count: u32,
    /// `printer-more-info`: the printer's web page.
    pub more_info: String,
    /// Now, in seconds since the Unix epoch: `printer-up-time` and every
    /// `time-at-*` use this one clock.
    pub up_time: i32,
    /// When the hub started, on the same clock (`printer-config-change-time`,
    /// `printer-state-change-time`: the hub keeps no older history).
    pub started: i32,
    /// `printer-icons`: the URI of the printer's icon (PNG).
    pub icon: String,
    /// How clients authenticate.
    pub authentication: Authentication,
}

/// `printer-state` enum values (RFC 8011 §5.4.11).
pub mod printer_state {
    /// idle.
    pub const IDLE: i32 = 3;
    /// processing.
    pub const PROCESSING: i32 = 4;
    /// stopped.
    pub const STOPPED: i32 = 5;
}

/// The IPP view of the hub's printer state: `printer-state`,
/// `printer-state-reasons` and a `printer-state-message`.
///
/// The hub's stop reasons map onto RFC 8011 §5.4.12 / PWG 5100.9 keywords:
/// no media → `media-empty-error` and `media-needed-error`, the wrong medium
/// → `media-needed-error`, cover open → `cover-open-error`, jam →
/// `media-jam-error`, the printer's own offline → `offline-report`; an
/// unreachable printer is `stopped` with `offline-report` (its jobs wait),
/// a paused or disabled one is `stopped` with `paused`.
pub fn state_of(state: &PrinterState) -> (i32, Vec<&'static str>, String) {
    match state {
        PrinterState::Idle => (printer_state::IDLE, vec!["none"], "Ready.".into()),
        PrinterState::Printing => (printer_state::PROCESSING, vec!["none"], "Printing.".into()),
        PrinterState::Paused => (
            printer_state::STOPPED,
            vec!["paused"],
            "Paused by a user.".into(),
        ),
        PrinterState::Disabled => (
            printer_state::STOPPED,
            vec!["paused"],
            "Disabled: takes no jobs.".into(),
        ),
        PrinterState::Offline { .. } => (
            printer_state::STOPPED,
            vec!["offline-report"],
            "The printer cannot be reached; jobs wait.".into(),
        ),
        PrinterState::Stopped { reason: why } => {
            let reasons = match why.as_str() {
                reason::NO_MEDIA => vec!["media-empty-error", "media-needed-error"],
                reason::MEDIA_MISMATCH => vec!["media-needed-error"],
                reason::COVER_OPEN => vec!["cover-open-error"],
                reason::MEDIA_JAM => vec!["media-jam-error"],
                reason::PRINTER_OFFLINE => vec!["offline-report"],
                _ => vec!["other-error"],
            };
            (printer_state::STOPPED, reasons, format!("Stopped: {why}."))
        }
    }
}

/// The resolutions a model prints (dots per inch, cross-feed × feed): its
/// base resolution, then its high-resolution mode where it has one.
pub fn resolutions(model: &Model) -> Vec<(i32, i32)> {
    let base = i32::from(model.dpi());
    let mut all = vec![(base, base)];
    if let Some(high) = model.high_res_dpi {
        all.push((base, i32::from(high)));
    }
    all
}

fn resolution(dpi: (i32, i32)) -> IppValue {
    // Units 3: dots per inch (RFC 8010 §3.9).
    IppValue::Resolution {
        cross_feed: dpi.0,
        feed: dpi.1,
        units: 3,
    }
}

fn kw(s: &str) -> IppValue {
    IppValue::Keyword(s.to_string())
}

fn kws(list: &[&str]) -> Vec<IppValue> {
    list.iter().map(|s| kw(s)).collect()
}

fn text(s: &str) -> IppValue {
    IppValue::TextWithoutLanguage(s.to_string())
}

/// The `urf-supported` keywords (Apple's URF, as LPrint and ippeveprinter
/// advertise them): version, 8-bit white ("W8"), sRGB 24-bit, one copy
/// per pass, the base resolution.
pub fn urf_supported(model: &Model) -> Vec<IppValue> {
    urf_keywords(model)
        .into_iter()
        .map(IppValue::Keyword)
        .collect()
}

/// [`urf_supported`] as plain strings (DNS-SD's `URF` key lists the same).
pub fn urf_keywords(model: &Model) -> Vec<String> {
    ["V1.4", "W8", "SRGB24", "CP1", "DM1"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("RS{}", model.dpi())])
        .collect()
}

/// `printer-make-and-model` (and DNS-SD's `ty`).
pub fn make_and_model(model: &Model) -> String {
    format!("Brother {}", model.name)
}

/// Labels a minute: 100 mm labels at the model's feed speed.
pub fn pages_per_minute(model: &Model) -> i32 {
    (i32::from(model.speed_mm_s) * 60 / 100).max(1)
}

/// `printer-supply` (PWG 5100.13 §6.6.4, the printer MIB's supply table as
/// text): the loaded tape or roll, its level unknown but present (-3), or
/// empty (0) when nothing is loaded.
pub fn supply(media: Option<&Media>) -> IppValue {
    let level = if media.is_some() { -3 } else { 0 };
    IppValue::OctetString(format!(
        "index=1;class=supplyThatIsConsumed;type=other;unit=other;maxcapacity=-2;level={level};colorantname=black;"
    ))
}

/// An RFC 2579 DateAndTime (RFC 8010 §3.9 `dateTime`) in UTC for `secs`
/// since the Unix epoch.
pub fn date_time(secs: i32) -> IppValue {
    let secs = i64::from(secs.max(0));
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Days to civil date (proleptic Gregorian), H. Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    IppValue::DateTime {
        year: u16::try_from(year).unwrap_or(u16::MAX),
        month: month as u8,
        day: day as u8,
        hour: (rem / 3600) as u8,
        minutes: (rem / 60 % 60) as u8,
        seconds: (rem % 60) as u8,
        deci_seconds: 0,
        utc_dir: '+',
        utc_hours: 0,
        utc_mins: 0,
    }
}

/// Attributes that belong to the "job-template" group of
/// `requested-attributes` (RFC 8011 §5.2: the `-default`, `-supported` and
/// `-ready` attributes of job template attributes).
const TEMPLATE_PREFIXES: [&str; 12] = [
    "copies-",
    "finishings-",
    "media-",
    "multiple-document-handling-",
    "orientation-requested-",
    "output-bin-",
    "page-ranges-",
    "print-color-mode-",
    "print-content-optimize-",
    "print-quality-",
    "print-scaling-",
    "sides-",
];

fn is_template(name: &str) -> bool {
    name.starts_with("printer-resolution-")
        || name == "job-hold-until-default"
        || name == "job-hold-until-supported"
        || TEMPLATE_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Every printer attribute of `printer`, for the operations `operations`
/// this listener answers.
pub fn printer_attributes(printer: &PrinterInfo, operations: &[Operation]) -> Vec<Attribute> {
    let model = printer.model;
    let supported = media::supported(model);
    let (state, reasons, message) = state_of(&printer.state);
    let resolutions = resolutions(model);
    let base = resolutions[0];
    let media_default = printer.media.or_else(|| supported.first().copied());

    let mut a = vec![
        Attribute::new("charset-configured", IppValue::Charset("utf-8".into())),
        Attribute::new("color-supported", IppValue::Boolean(false)),
        Attribute::set("overrides-supported", kws(&["document-number", "pages"])),
        Attribute::new(
            "pages-per-minute",
            IppValue::Integer(pages_per_minute(model)),
        ),
        Attribute::new("preferred-attributes-supported", IppValue::Boolean(false)),
        Attribute::new("print-rendering-intent-default", kw("auto")),
        Attribute::new("print-rendering-intent-supported", kw("auto")),
        Attribute::new(
            "printer-config-change-date-time",
            date_time(printer.started),
        ),
        Attribute::new(
            "printer-config-change-time",
            IppValue::Integer(printer.started),
        ),
        Attribute::new("printer-current-time", date_time(printer.up_time)),
        Attribute::new(
            "printer-device-id",
            text(&format!(
                "MFG:Brother;MDL:{};CMD:PWGRaster,URF,JPEG,PNG;",
                model.name
            )),
        ),
        // RFC 8010 §3.5.2 out-of-band "unknown" (0x12): no location is configured.
        Attribute::new(
            "printer-geo-location",
            IppValue::Other {
                tag: 0x12,
                data: Default::default(),
            },
        ),
        Attribute::new("printer-get-attributes-supported", kw("document-format")),
        Attribute::new("printer-icons", IppValue::Uri(printer.icon.clone())),
        Attribute::new("printer-organization", text("")),
        Attribute::new("printer-organizational-unit", text("")),
        Attribute::new("printer-state-change-date-time", date_time(printer.started)),
        Attribute::new(
            "printer-state-change-time",
            IppValue::Integer(printer.started),
        ),
        Attribute::new("printer-supply", supply(printer.media)),
        Attribute::new(
            "printer-supply-description",
            text(printer.media.map_or("No medium loaded", |m| m.name)),
        ),
        Attribute::new(
            "printer-supply-info-uri",
            IppValue::Uri(printer.more_info.clone()),
        ),
        Attribute::set(
            "charset-supported",
            vec![
                IppValue::Charset("us-ascii".into()),
                IppValue::Charset("utf-8".into()),
            ],
        ),
        Attribute::set("compression-supported", kws(&COMPRESSIONS)),
        Attribute::new("copies-default", IppValue::Integer(1)),
        Attribute::new(
            "copies-supported",
            IppValue::RangeOfInteger {
                min: 1,
                max: MAX_COPIES,
            },
        ),
        Attribute::new(
            "document-format-default",
            IppValue::MimeMediaType("application/octet-stream".into()),
        ),
        Attribute::set(
            "document-format-supported",
            DOCUMENT_FORMATS
                .iter()
                .map(|f| IppValue::MimeMediaType((*f).to_string()))
                .collect(),
        ),
        Attribute::new("finishings-default", IppValue::Enum(3)),
        Attribute::new("finishings-supported", IppValue::Enum(3)),
        Attribute::new(
            "generated-natural-language-supported",
            IppValue::NaturalLanguage("en".into()),
        ),
        Attribute::new("identify-actions-default", kw("display")),
        Attribute::new("identify-actions-supported", kw("display")),
        Attribute::set("ipp-features-supported", kws(&["ipp-everywhere"])),
        Attribute::set("ipp-versions-supported", kws(&["1.1", "2.0"])),
        Attribute::new("job-ids-supported", IppValue::Boolean(true)),
        Attribute::set(
            "job-creation-attributes-supported",
            kws(&[
                "copies",
                "media",
                "media-col",
                "orientation-requested",
                "print-color-mode",
                "print-content-optimize",
                "print-quality",
                "print-scaling",
                "printer-resolution",
            ]),
        ),
        Attribute::new("job-hold-until-default", kw("no-hold")),
        Attribute::new("job-hold-until-supported", kw("no-hold")),
        Attribute::new("media-bottom-margin-supported", IppValue::Integer(0)),
        Attribute::new("media-left-margin-supported", IppValue::Integer(0)),
        Attribute::new("media-right-margin-supported", IppValue::Integer(0)),
        Attribute::new("media-top-margin-supported", IppValue::Integer(0)),
        Attribute::set(
            "media-col-supported",
            kws(&[
                "media-bottom-margin",
                "media-left-margin",
                "media-right-margin",
                "media-size",
                "media-size-name",
                "media-source",
                "media-top-margin",
                "media-type",
            ]),
        ),
        Attribute::set(
            "media-supported",
            supported
                .iter()
                .map(|m| kw(&media::pwg_name(model, m)))
                .collect(),
        ),
        Attribute::set(
            "media-size-supported",
            supported
                .iter()
                .map(|m| media::media_size(model, m))
                .collect(),
        ),
        Attribute::set(
            "media-col-database",
            supported
                .iter()
                .map(|m| media::media_col(model, m))
                .collect(),
        ),
        Attribute::new(
            "media-source-supported",
            kw(if model.family.is_pt() {
                "main"
            } else {
                "main-roll"
            }),
        ),
        Attribute::set(
            "media-type-supported",
            kws(&["labels", "labels-continuous"]),
        ),
        Attribute::new(
            "multiple-document-handling-default",
            kw("separate-documents-collated-copies"),
        ),
        Attribute::new(
            "multiple-document-handling-supported",
            kw("separate-documents-collated-copies"),
        ),
        Attribute::new("multiple-document-jobs-supported", IppValue::Boolean(false)),
        Attribute::new("multiple-operation-time-out", IppValue::Integer(60)),
        Attribute::new("multiple-operation-time-out-action", kw("abort-job")),
        Attribute::new(
            "natural-language-configured",
            IppValue::NaturalLanguage("en".into()),
        ),
        Attribute::set(
            "operations-supported",
            operations
                .iter()
                .map(|op| IppValue::Enum(i32::from(op.id())))
                .collect(),
        ),
        Attribute::new("orientation-requested-default", IppValue::Enum(3)),
        Attribute::set(
            "orientation-requested-supported",
            vec![IppValue::Enum(3), IppValue::Enum(4)],
        ),
        Attribute::new("output-bin-default", kw("face-up")),
        Attribute::new("output-bin-supported", kw("face-up")),
        Attribute::new("pdl-override-supported", kw("attempted")),
        Attribute::new("print-color-mode-default", kw("monochrome")),
        Attribute::set("print-color-mode-supported", kws(&["auto", "monochrome"])),
        Attribute::new("print-content-optimize-default", kw("auto")),
        Attribute::set(
            "print-content-optimize-supported",
            kws(&["auto", "graphic", "photo", "text", "text-and-graphic"]),
        ),
        Attribute::new("print-quality-default", IppValue::Enum(4)),
        Attribute::set(
            "print-quality-supported",
            vec![IppValue::Enum(3), IppValue::Enum(4), IppValue::Enum(5)],
        ),
        Attribute::new("print-scaling-default", kw("auto-fit")),
        Attribute::set(
            "print-scaling-supported",
            kws(&["auto", "auto-fit", "fill", "fit", "none"]),
        ),
        Attribute::new("printer-info", text(&printer.info)),
        Attribute::new(
            "printer-is-accepting-jobs",
            IppValue::Boolean(printer.accepting),
        ),
        Attribute::new("printer-kind", kw("labels")),
        Attribute::new("printer-location", text(&printer.location)),
        Attribute::new("printer-make-and-model", text(&make_and_model(model))),
        Attribute::new(
            "printer-more-info",
            IppValue::Uri(printer.more_info.clone()),
        ),
        Attribute::new(
            "printer-name",
            IppValue::NameWithoutLanguage(printer.name.clone()),
        ),
        Attribute::new("printer-resolution-default", resolution(base)),
        Attribute::set(
            "printer-resolution-supported",
            resolutions.iter().copied().map(resolution).collect(),
        ),
        Attribute::new("printer-state", IppValue::Enum(state)),
        Attribute::new("printer-state-message", text(&message)),
        Attribute::set("printer-state-reasons", kws(&reasons)),
        Attribute::new("printer-up-time", IppValue::Integer(printer.up_time.max(1))),
        Attribute::new("printer-uri-supported", IppValue::Uri(printer.uri.clone())),
        Attribute::new(
            "printer-uuid",
            IppValue::Uri(format!("urn:uuid:{}", printer.uuid)),
        ),
        Attribute::new("pwg-raster-document-resolution-supported", resolution(base)),
        Attribute::new("pwg-raster-document-sheet-back", kw("normal")),
        Attribute::set(
            "pwg-raster-document-type-supported",
            kws(&["black_1", "sgray_8", "srgb_8"]),
        ),
        Attribute::new(
            "queued-job-count",
            IppValue::Integer(i32::try_from(printer.queued_job_count).unwrap_or(i32::MAX)),
        ),
        Attribute::new("sides-default", kw("one-sided")),
        Attribute::new("sides-supported", kw("one-sided")),
        Attribute::new(
            "uri-authentication-supported",
            kw(match printer.authentication {
                Authentication::None => "none",
                Authentication::Basic => "basic",
            }),
        ),
        Attribute::new("uri-security-supported", kw("none")),
        Attribute::set("urf-supported", urf_supported(model)),
        Attribute::set(
            "which-jobs-supported",
            kws(&["completed", "not-completed", "all"]),
        ),
    ];
    if let Some(m) = media_default {
        a.push(Attribute::new(
            "media-default",
            kw(&media::pwg_name(model, m)),
        ));
        a.push(Attribute::new(
            "media-col-default",
            media::media_col(model, m),
        ));
    }
    // What is loaded now: nothing when the printer has no medium (or does
    // not say), which is what `media-ready`'s no-value means.
    match printer.media {
        Some(m) => {
            a.push(Attribute::new(
                "media-ready",
                kw(&media::pwg_name(model, m)),
            ));
            a.push(Attribute::new(
                "media-col-ready",
                media::media_col(model, m),
            ));
        }
        None => {
            a.push(Attribute::new("media-ready", IppValue::NoValue));
            a.push(Attribute::new("media-col-ready", IppValue::NoValue));
        }
    }
    a.sort_by(|x, y| x.name.cmp(&y.name));
    a
}

/// The attributes `requested-attributes` asks for (RFC 8011 §4.2.5.1):
/// names and the groups `all`, `printer-description`, `job-template`; no
/// `requested-attributes` means `all`. `media-col-database` is large and,
/// as in CUPS, only returned when named.
pub fn select(all: Vec<Attribute>, requested: Option<&Attribute>) -> Vec<Attribute> {
    let wanted: Vec<&str> = match requested {
        None => vec!["all"],
        Some(r) => r
            .values
            .iter()
            .filter_map(|v| match v {
                IppValue::Keyword(k) => Some(k.as_str()),
                _ => None,
            })
            .collect(),
    };
    let everything = wanted.contains(&"all");
    let description = everything || wanted.contains(&"printer-description");
    let template = everything || wanted.contains(&"job-template");
    all.into_iter()
        .filter(|a| {
            if wanted.contains(&a.name.as_str()) {
                return true;
            }
            if a.name == "media-col-database" {
                return false;
            }
            if is_template(&a.name) {
                template
            } else {
                description
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_time_is_utc_civil_time() {
        // (seconds since the epoch, year, month, day, hour, minute, second)
        let table = [
            (0, 1970, 1, 1, 0, 0, 0),
            (951_782_400, 2000, 2, 29, 0, 0, 0),
            (1_700_000_000, 2023, 11, 14, 22, 13, 20),
            (i32::MAX, 2038, 1, 19, 3, 14, 7),
        ];
        for (secs, year, month, day, hour, minutes, seconds) in table {
            let IppValue::DateTime {
                year: y,
                month: mo,
                day: d,
                hour: h,
                minutes: mi,
                seconds: s,
                utc_dir,
                ..
            } = date_time(secs)
            else {
                panic!("dateTime")
            };
            assert_eq!(
                (y, mo, d, h, mi, s),
                (year, month, day, hour, minutes, seconds),
                "{secs}"
            );
            assert_eq!(utc_dir, '+');
        }
    }
}
