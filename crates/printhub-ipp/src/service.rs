//! What the printer answers, operation by operation, as pure functions of
//! the parsed [`Request`] and the printer's [`PrinterInfo`]: the checks
//! every request passes first ([`check`], RFC 8011 §4.1), the job ticket a
//! job-creating request carries ([`JobTicket::read`]), Get-Printer-Attributes
//! and Validate-Job. Operations that act on the hub's queue are answered by
//! the wiring with the hub's answer, from the same ticket.
//!
//! Pure: no I/O.

use ipp::model::DelimiterTag;
use ipp::value::IppValue;

use crate::codec::{Attribute, Group, Request, Response};
use crate::media;
use crate::printer::{self, PrinterInfo, COMPRESSIONS, DOCUMENT_FORMATS, MAX_COPIES};
use crate::status::{code, Operation};

/// The version to answer with: the request's when this printer speaks it
/// (1.x, 2.x), 1.1 otherwise.
pub fn answer_version(request: &Request) -> (u8, u8) {
    match request.version {
        (1 | 2, _) => request.version,
        _ => (1, 1),
    }
}

/// An error answer with a `status-message`.
pub fn error(request: &Request, status: u16, message: &str) -> Response {
    Response::new(answer_version(request), status, request.request_id).with_message(message)
}

/// The checks every request passes before its operation runs (RFC 8011
/// §4.1.1–§4.1.5, in the order CUPS's `ippeveprinter` makes them): a
/// supported version, a request id, the operation group first with
/// `attributes-charset` then `attributes-natural-language`, a supported
/// charset, a target (`printer-uri` or `job-uri`), groups in order, and an
/// operation this printer knows.
pub fn check(request: &Request) -> Result<Operation, Response> {
    if !matches!(request.version.0, 1 | 2) {
        return Err(error(
            request,
            code::VERSION_NOT_SUPPORTED,
            "Only IPP 1.1 and 2.0 are supported.",
        ));
    }
    if request.request_id == 0 {
        return Err(error(request, code::BAD_REQUEST, "The request-id is 0."));
    }
    let bad = |message: &str| Err(error(request, code::BAD_REQUEST, message));
    if request
        .groups
        .windows(2)
        .any(|pair| pair[1].tag < pair[0].tag)
    {
        return bad("The attribute groups are out of order.");
    }
    let Some(operation) = request
        .groups
        .first()
        .filter(|g| g.tag == DelimiterTag::OperationAttributes as u8)
    else {
        return bad("The request has no operation attributes.");
    };
    let charset = match operation.attributes.first() {
        Some(Attribute { name, values }) if name == "attributes-charset" => match values.as_slice()
        {
            [IppValue::Charset(c)] => c.to_ascii_lowercase(),
            _ => return bad("attributes-charset is not one charset."),
        },
        _ => return bad("attributes-charset is not the first operation attribute."),
    };
    match operation.attributes.get(1) {
        Some(Attribute { name, values })
            if name == "attributes-natural-language"
                && matches!(values.as_slice(), [IppValue::NaturalLanguage(_)]) => {}
        _ => return bad("attributes-natural-language is not the second operation attribute."),
    }
    if charset != "utf-8" && charset != "us-ascii" {
        return Err(error(
            request,
            code::CHARSET_NOT_SUPPORTED,
            "Only utf-8 and us-ascii are supported.",
        ));
    }
    let target = ["printer-uri", "job-uri"].iter().any(|name| {
        operation
            .get(name)
            .is_some_and(|a| matches!(a.values.as_slice(), [IppValue::Uri(_)]))
    });
    if !target {
        return bad("The request has no printer-uri or job-uri.");
    }
    Operation::from_id(request.operation).ok_or_else(|| {
        error(
            request,
            code::OPERATION_NOT_SUPPORTED,
            "This printer does not support that operation.",
        )
    })
}

/// Get-Printer-Attributes (RFC 8011 §4.2.5): the attributes
/// `requested-attributes` names.
pub fn get_printer_attributes(
    request: &Request,
    printer: &PrinterInfo,
    operations: &[Operation],
) -> Response {
    let all = printer::printer_attributes(printer, operations);
    let selected = printer::select(all, request.operation_attribute("requested-attributes"));
    let mut response = Response::new(answer_version(request), code::OK, request.request_id);
    response.push_group(Group {
        tag: DelimiterTag::PrinterAttributes as u8,
        attributes: selected,
    });
    response
}

/// A document format this printer decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentFormat {
    /// `application/octet-stream`: sniffed from the first bytes.
    Auto,
    /// `image/jpeg`.
    Jpeg,
    /// `image/png`.
    Png,
    /// `image/pwg-raster` (PWG 5102.4).
    PwgRaster,
    /// `image/urf` (Apple raster).
    Urf,
}

impl DocumentFormat {
    /// The format named by a MIME type, if supported.
    pub fn from_mime(mime: &str) -> Option<DocumentFormat> {
        match mime.to_ascii_lowercase().as_str() {
            "application/octet-stream" => Some(DocumentFormat::Auto),
            "image/jpeg" => Some(DocumentFormat::Jpeg),
            "image/png" => Some(DocumentFormat::Png),
            "image/pwg-raster" => Some(DocumentFormat::PwgRaster),
            "image/urf" => Some(DocumentFormat::Urf),
            _ => None,
        }
    }
}

/// Document compression (RFC 8011 §5.4.32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Sent as is.
    None,
    /// RFC 1951 deflate.
    Deflate,
    /// RFC 1952 gzip.
    Gzip,
}

/// `print-scaling` (PWG 5100.16 §6.2.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaling {
    /// `fit` when the page does not fit, `none` otherwise (auto-fit), or
    /// `fill` for a borderless page (auto); on a label both mean fit.
    Auto,
    /// Scale to fit inside the printable area, keeping the aspect.
    Fit,
    /// Scale to fill the printable width, cropping the length.
    Fill,
    /// Print at the document's size.
    None,
}

/// How a page image becomes 1-bit dots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halftone {
    /// A fixed threshold: crisp text and barcodes (`text`, `graphic`,
    /// draft quality, and `auto`).
    Threshold,
    /// Error diffusion: photos (`photo`, or high quality of `auto`).
    Dither,
}

/// What a job-creating request asks for, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct JobTicket {
    /// The document's format.
    pub format: DocumentFormat,
    /// The document's compression.
    pub compression: Compression,
    /// Copies of the document (1..=[`MAX_COPIES`]).
    pub copies: u32,
    /// `print-scaling`.
    pub scaling: Scaling,
    /// Threshold or dither.
    pub halftone: Halftone,
    /// `orientation-requested` landscape (4): rotate the page a quarter turn.
    pub landscape: bool,
    /// `job-name`, if given.
    pub name: Option<String>,
    /// `requesting-user-name`, if given.
    pub user: Option<String>,
    /// Attributes ignored or substituted (answered in the unsupported group
    /// with `successful-ok-ignored-or-substituted-attributes`).
    pub ignored: Vec<Attribute>,
}

impl JobTicket {
    /// Reads and checks the ticket of Print-Job, Validate-Job or Create-Job
    /// (RFC 8011 §4.2.1–§4.2.4): the printer takes jobs, the format and
    /// compression are supported, `copies` is in range, and a requested
    /// medium is one the printer has loaded. With `ipp-attribute-fidelity`
    /// an unsupported value fails the request; without, it is ignored and
    /// reported.
    pub fn read(request: &Request, printer: &PrinterInfo) -> Result<JobTicket, Response> {
        if !printer.accepting {
            return Err(error(
                request,
                code::NOT_ACCEPTING_JOBS,
                "The printer is not accepting jobs.",
            ));
        }
        let op = |name: &str| request.operation_attribute(name).and_then(|a| a.first());
        let job = |name: &str| request.job_attribute(name).and_then(|a| a.first());
        let fidelity = matches!(op("ipp-attribute-fidelity"), Some(IppValue::Boolean(true)));

        let format = read_format(request)?.unwrap_or(DocumentFormat::Auto);
        let compression = read_compression(request)?.unwrap_or(Compression::None);

        let mut ignored = Vec::new();
        let mut refuse = |name: &str| -> Result<(), Response> {
            let attribute = request.job_attribute(name);
            if fidelity {
                return Err(unsupported(
                    request,
                    code::ATTRIBUTES_OR_VALUES_NOT_SUPPORTED,
                    &format!("The value of {name} is not supported."),
                    attribute,
                ));
            }
            if let Some(a) = attribute {
                ignored.push(a.clone());
            }
            Ok(())
        };

        let copies = match job("copies") {
            None => 1,
            Some(IppValue::Integer(n)) if (1..=MAX_COPIES).contains(n) => n.unsigned_abs(),
            Some(_) => {
                // A copies value out of range is refused whatever the
                // fidelity: printing 1 instead of 1000 labels is not a
                // substitution anyone expects.
                return Err(unsupported(
                    request,
                    code::ATTRIBUTES_OR_VALUES_NOT_SUPPORTED,
                    &format!("copies must be 1 to {MAX_COPIES}."),
                    request.job_attribute("copies"),
                ));
            }
        };
        let scaling = match job("print-scaling") {
            None => Scaling::Auto,
            Some(IppValue::Keyword(k)) => match k.as_str() {
                "auto" | "auto-fit" => Scaling::Auto,
                "fit" => Scaling::Fit,
                "fill" => Scaling::Fill,
                "none" => Scaling::None,
                _ => {
                    refuse("print-scaling")?;
                    Scaling::Auto
                }
            },
            Some(_) => {
                refuse("print-scaling")?;
                Scaling::Auto
            }
        };
        let optimize = match job("print-content-optimize") {
            Some(IppValue::Keyword(k)) => k.as_str(),
            _ => "auto",
        };
        let high_quality = matches!(job("print-quality"), Some(IppValue::Enum(5)));
        let halftone = match optimize {
            "photo" => Halftone::Dither,
            "auto" if high_quality => Halftone::Dither,
            _ => Halftone::Threshold,
        };
        if let Some(value) = job("print-quality") {
            if !matches!(value, IppValue::Enum(3..=5)) {
                refuse("print-quality")?;
            }
        }
        let landscape = match job("orientation-requested") {
            None | Some(IppValue::Enum(3)) => false,
            Some(IppValue::Enum(4)) => true,
            Some(_) => {
                refuse("orientation-requested")?;
                false
            }
        };
        // The medium: only the loaded one prints (a label printer has one
        // roll); asking for another is refused or ignored.
        let loaded = printer.media.map(|m| media::pwg_name(printer.model, m));
        if let Some(value) = job("media") {
            let matches = matches!((value, &loaded), (IppValue::Keyword(k), Some(l)) if k == l);
            if !matches {
                refuse("media")?;
            }
        }
        if let Some(IppValue::Collection(col)) = job("media-col") {
            if let Some(IppValue::Keyword(size_name)) = col.get("media-size-name") {
                if loaded.as_deref() != Some(size_name.as_str()) {
                    refuse("media-col")?;
                }
            }
        }
        let text = |value: Option<&IppValue>| match value {
            Some(IppValue::NameWithoutLanguage(s)) | Some(IppValue::TextWithoutLanguage(s)) => {
                Some(s.clone())
            }
            Some(IppValue::NameWithLanguage { name, .. }) => Some(name.clone()),
            _ => None,
        };
        Ok(JobTicket {
            format,
            compression,
            copies,
            scaling,
            halftone,
            landscape,
            name: text(op("job-name")),
            user: text(op("requesting-user-name")),
            ignored,
        })
    }
}

/// The request's `document-format`, if given (Print-Job, Validate-Job,
/// Send-Document).
fn read_format(request: &Request) -> Result<Option<DocumentFormat>, Response> {
    let op = |name: &str| request.operation_attribute(name).and_then(|a| a.first());
    Ok(Some(match op("document-format") {
        None => return Ok(None),
        Some(IppValue::MimeMediaType(mime)) => match DocumentFormat::from_mime(mime) {
            Some(format) => format,
            None => {
                return Err(unsupported(
                    request,
                    code::DOCUMENT_FORMAT_NOT_SUPPORTED,
                    &format!(
                        "Document format {mime} is not supported (supported: {}).",
                        DOCUMENT_FORMATS.join(", ")
                    ),
                    request.operation_attribute("document-format"),
                ))
            }
        },
        Some(_) => {
            return Err(error(
                request,
                code::BAD_REQUEST,
                "document-format is not a MIME type.",
            ))
        }
    }))
}

/// The request's `compression`, if given.
fn read_compression(request: &Request) -> Result<Option<Compression>, Response> {
    let op = |name: &str| request.operation_attribute(name).and_then(|a| a.first());
    Ok(Some(match op("compression") {
        None => return Ok(None),
        Some(IppValue::Keyword(k)) => match k.as_str() {
            "none" => Compression::None,
            "deflate" => Compression::Deflate,
            "gzip" => Compression::Gzip,
            other => {
                return Err(unsupported(
                    request,
                    code::COMPRESSION_NOT_SUPPORTED,
                    &format!(
                        "Compression {other} is not supported (supported: {}).",
                        COMPRESSIONS.join(", ")
                    ),
                    request.operation_attribute("compression"),
                ))
            }
        },
        Some(_) => {
            return Err(error(
                request,
                code::BAD_REQUEST,
                "compression is not a keyword.",
            ))
        }
    }))
}

impl JobTicket {
    /// The ticket with a Send-Document's own `document-format` and
    /// `compression` (RFC 8011 §4.3.1: they describe that document).
    pub fn with_document(mut self, request: &Request) -> Result<JobTicket, Response> {
        if let Some(format) = read_format(request)? {
            self.format = format;
        }
        if let Some(compression) = read_compression(request)? {
            self.compression = compression;
        }
        Ok(self)
    }
}

/// An error answer that returns the offending attribute in the unsupported
/// group (RFC 8011 §4.1.7).
fn unsupported(
    request: &Request,
    status: u16,
    message: &str,
    attribute: Option<&Attribute>,
) -> Response {
    let mut response = error(request, status, message);
    if let Some(a) = attribute {
        response.push_group(Group {
            tag: DelimiterTag::UnsupportedAttributes as u8,
            attributes: vec![a.clone()],
        });
    }
    response
}

/// Validate-Job (RFC 8011 §4.2.3): the answer Print-Job would give before
/// it reads the document.
pub fn validate_job(request: &Request, printer: &PrinterInfo) -> Response {
    match JobTicket::read(request, printer) {
        Err(response) => response,
        Ok(ticket) => ok_with_ignored(request, &ticket),
    }
}

/// `successful-ok`, or `successful-ok-ignored-or-substituted-attributes`
/// with the ignored attributes in the unsupported group.
pub fn ok_with_ignored(request: &Request, ticket: &JobTicket) -> Response {
    if ticket.ignored.is_empty() {
        return Response::new(answer_version(request), code::OK, request.request_id);
    }
    let mut response = Response::new(
        answer_version(request),
        code::OK_IGNORED_OR_SUBSTITUTED,
        request.request_id,
    );
    response.push_group(Group {
        tag: DelimiterTag::UnsupportedAttributes as u8,
        attributes: ticket.ignored.clone(),
    });
    response
}
