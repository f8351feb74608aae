//! The answers: the checks every request passes (RFC 8011 §4.1),
//! Get-Printer-Attributes from the hub's printer (media, resolutions,
//! state), and Validate-Job's refusals.

use printhub_core::id::Timestamp;
use printhub_core::printer::PrinterState;
use printhub_ipp::codec::{encode_request, Response};
use printhub_ipp::printer::{printer_attributes, state_of};
use printhub_ipp::service::{self, get_printer_attributes, validate_job};
use printhub_ipp::status::code;
use printhub_ipp::{parse, Attribute, Group, IppValue, Operation};
use printhub_raster::media::Media;
use printhub_raster::model::Model;

use crate::support::{kw, operation_group, ql_printer, request};

const GET_PRINTER_ATTRIBUTES: u16 = 0x000b;
const VALIDATE_JOB: u16 = 0x0004;

/// The printer attributes of a response, by name.
fn printer_group(response: &Response) -> &Group {
    response
        .groups
        .iter()
        .find(|g| g.tag == 0x04)
        .expect("a printer attributes group")
}

fn value<'a>(group: &'a Group, name: &str) -> &'a [IppValue] {
    &group
        .get(name)
        .unwrap_or_else(|| panic!("{name} is answered"))
        .values
}

/// Parses `bytes`, checks it, and answers Get-Printer-Attributes.
fn get_attributes(bytes: &[u8]) -> Response {
    let request = parse(bytes).expect("parses");
    assert_eq!(
        service::check(&request),
        Ok(Operation::GetPrinterAttributes)
    );
    get_printer_attributes(&request, &ql_printer(), &Operation::ALL)
}

#[test]
fn requests_that_break_rfc_8011_section_4_1_get_their_status() {
    // (what is wrong, the bytes, the status RFC 8011 §4.1 / ippeveprinter answers)
    let charset = Attribute::new("attributes-charset", IppValue::Charset("utf-8".into()));
    let language = Attribute::new(
        "attributes-natural-language",
        IppValue::NaturalLanguage("en".into()),
    );
    let uri = Attribute::new("printer-uri", IppValue::Uri("ipp://h/ipp/print/ql".into()));
    let group = |attributes: Vec<Attribute>| Group {
        tag: 0x01,
        attributes,
    };
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "version 0.0",
            encode_request(
                (0, 0),
                GET_PRINTER_ATTRIBUTES,
                1,
                &[operation_group(vec![])],
                b"",
            ),
            code::VERSION_NOT_SUPPORTED,
        ),
        (
            "version 3.0",
            encode_request(
                (3, 0),
                GET_PRINTER_ATTRIBUTES,
                1,
                &[operation_group(vec![])],
                b"",
            ),
            code::VERSION_NOT_SUPPORTED,
        ),
        (
            "request id 0",
            encode_request(
                (2, 0),
                GET_PRINTER_ATTRIBUTES,
                0,
                &[operation_group(vec![])],
                b"",
            ),
            code::BAD_REQUEST,
        ),
        (
            "no groups",
            request(GET_PRINTER_ATTRIBUTES, &[], b""),
            code::BAD_REQUEST,
        ),
        (
            "a job group first",
            request(
                GET_PRINTER_ATTRIBUTES,
                &[Group {
                    tag: 0x02,
                    attributes: vec![charset.clone(), language.clone(), uri.clone()],
                }],
                b"",
            ),
            code::BAD_REQUEST,
        ),
        (
            "no charset",
            request(
                GET_PRINTER_ATTRIBUTES,
                &[group(vec![language.clone(), uri.clone()])],
                b"",
            ),
            code::BAD_REQUEST,
        ),
        (
            "language before charset",
            request(
                GET_PRINTER_ATTRIBUTES,
                &[group(vec![language.clone(), charset.clone(), uri.clone()])],
                b"",
            ),
            code::BAD_REQUEST,
        ),
        (
            "no language",
            request(
                GET_PRINTER_ATTRIBUTES,
                &[group(vec![charset.clone(), uri.clone()])],
                b"",
            ),
            code::BAD_REQUEST,
        ),
        (
            "charset as a keyword",
            request(
                GET_PRINTER_ATTRIBUTES,
                &[group(vec![
                    Attribute::new("attributes-charset", kw("utf-8")),
                    language.clone(),
                    uri.clone(),
                ])],
                b"",
            ),
            code::BAD_REQUEST,
        ),
        (
            "charset latin1",
            request(
                GET_PRINTER_ATTRIBUTES,
                &[group(vec![
                    Attribute::new("attributes-charset", IppValue::Charset("iso-8859-1".into())),
                    language.clone(),
                    uri.clone(),
                ])],
                b"",
            ),
            code::CHARSET_NOT_SUPPORTED,
        ),
        (
            "no printer-uri",
            request(
                GET_PRINTER_ATTRIBUTES,
                &[group(vec![charset.clone(), language.clone()])],
                b"",
            ),
            code::BAD_REQUEST,
        ),
        (
            "groups out of order",
            request(
                GET_PRINTER_ATTRIBUTES,
                &[
                    operation_group(vec![]),
                    Group {
                        tag: 0x04,
                        attributes: vec![],
                    },
                    Group {
                        tag: 0x02,
                        attributes: vec![],
                    },
                ],
                b"",
            ),
            code::BAD_REQUEST,
        ),
        (
            "an unknown operation",
            request(0x0099, &[operation_group(vec![])], b""),
            code::OPERATION_NOT_SUPPORTED,
        ),
        (
            "Print-URI, which a label printer does not do",
            request(0x0003, &[operation_group(vec![])], b""),
            code::OPERATION_NOT_SUPPORTED,
        ),
    ];
    for (what, bytes, status) in cases {
        let request = parse(&bytes).expect(what);
        let answer = service::check(&request).expect_err(what);
        assert_eq!(answer.status, status, "{what}");
        assert_eq!(answer.request_id, request.request_id, "{what}");
        // Every answer starts with charset and language (RFC 8011 §4.1.4).
        let first: Vec<_> = answer.groups[0]
            .attributes
            .iter()
            .take(3)
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            first,
            [
                "attributes-charset",
                "attributes-natural-language",
                "status-message"
            ],
            "{what}"
        );
        // And the answer is itself a well-formed message.
        let bytes = answer.to_bytes();
        let reparsed = parse(&bytes).expect("the answer parses");
        assert_eq!(reparsed.operation, status, "{what}");
    }
}

#[test]
fn get_printer_attributes_describes_the_loaded_medium_and_the_model() {
    let answer = get_attributes(&request(
        GET_PRINTER_ATTRIBUTES,
        &[operation_group(vec![])],
        b"",
    ));
    assert_eq!(answer.status, code::OK);
    assert_eq!(answer.version, (2, 0));
    let printer = printer_group(&answer);
    let max = printhub_ipp::media::length_range(Model::by_name("QL-820NWB").expect("model")).1;
    let dk62 = format!("roll_dk-62_62x{}mm", max / 100);
    assert_eq!(value(printer, "media-ready"), [kw(&dk62)]);
    assert_eq!(value(printer, "media-default"), [kw(&dk62)]);
    let IppValue::Collection(ready) = &value(printer, "media-col-ready")[0] else {
        panic!("media-col-ready is a collection")
    };
    assert_eq!(ready["media-size-name"], kw(&dk62));
    assert_eq!(ready["media-top-margin"], IppValue::Integer(0));
    assert!(value(printer, "media-supported").contains(&kw("om_dk-29x90_29x90mm")));
    // The QL-820NWB: 300 dpi, and 300 × 600 in high-resolution mode
    // (brother-raster.md, the head table: "300 × 300; high-res 300 × 600").
    assert_eq!(
        value(printer, "printer-resolution-supported"),
        [
            IppValue::Resolution {
                cross_feed: 300,
                feed: 300,
                units: 3
            },
            IppValue::Resolution {
                cross_feed: 300,
                feed: 600,
                units: 3
            }
        ]
    );
    assert_eq!(
        value(printer, "pwg-raster-document-type-supported"),
        [kw("black_1"), kw("sgray_8"), kw("srgb_8")]
    );
    assert!(value(printer, "urf-supported").contains(&kw("RS300")));
    assert_eq!(value(printer, "printer-state"), [IppValue::Enum(3)]);
    assert_eq!(value(printer, "printer-state-reasons"), [kw("none")]);
    assert_eq!(
        value(printer, "printer-uuid"),
        [IppValue::Uri(
            "urn:uuid:12345678-9abc-def0-1234-56789abcdef0".into()
        )]
    );
    assert_eq!(
        value(printer, "printer-make-and-model"),
        [IppValue::TextWithoutLanguage("Brother QL-820NWB".into())]
    );
    assert_eq!(
        value(printer, "printer-more-info"),
        [IppValue::Uri("http://127.0.0.1:8080/printers/ql".into())]
    );
    assert_eq!(
        value(printer, "ipp-features-supported"),
        [kw("ipp-everywhere")]
    );
    assert_eq!(value(printer, "queued-job-count"), [IppValue::Integer(2)]);
    assert_eq!(
        value(printer, "job-ids-supported"),
        [IppValue::Boolean(true)]
    );
    for margin in ["bottom", "left", "right", "top"] {
        assert_eq!(
            value(printer, &format!("media-{margin}-margin-supported")),
            [IppValue::Integer(0)]
        );
    }
    assert!(
        printer.get("media-col-database").is_none(),
        "media-col-database only when named"
    );
    // The answer round-trips through the codec.
    let bytes = answer.to_bytes();
    let reparsed = parse(&bytes).expect("the answer parses");
    assert_eq!(reparsed.groups, answer.groups);
}

#[test]
fn requested_attributes_select_names_and_groups() {
    let ask = |names: &[&str]| {
        get_attributes(&request(
            GET_PRINTER_ATTRIBUTES,
            &[operation_group(vec![Attribute::set(
                "requested-attributes",
                names.iter().map(|n| kw(n)).collect(),
            )])],
            b"",
        ))
    };
    let answer = ask(&["printer-state", "media-col-database"]);
    let names: Vec<_> = printer_group(&answer)
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["media-col-database", "printer-state"]);
    let database = value(printer_group(&answer), "media-col-database");
    let ql = Model::by_name("QL-820NWB").expect("model");
    assert_eq!(database.len(), printhub_ipp::media::supported(ql).len());

    let template = ask(&["job-template"]);
    let group = printer_group(&template);
    assert!(group.get("copies-supported").is_some());
    assert!(group.get("media-ready").is_some());
    assert!(group.get("printer-resolution-supported").is_some());
    assert!(group.get("printer-state").is_none());

    let description = ask(&["printer-description"]);
    let group = printer_group(&description);
    assert!(group.get("printer-state").is_some());
    assert!(group.get("copies-supported").is_none());
}

#[test]
fn the_hubs_printer_states_map_to_ipp_states_and_reasons() {
    // RFC 8011 §5.4.11 (3 idle, 4 processing, 5 stopped) and §5.4.12 /
    // PWG 5100.9 reason keywords.
    let stopped = |reason: &str| PrinterState::Stopped {
        reason: reason.into(),
    };
    let table: Vec<(PrinterState, i32, Vec<&str>)> = vec![
        (PrinterState::Idle, 3, vec!["none"]),
        (PrinterState::Printing, 4, vec!["none"]),
        (PrinterState::Paused, 5, vec!["paused"]),
        (PrinterState::Disabled, 5, vec!["paused"]),
        (
            PrinterState::Offline {
                since: Timestamp::from_millis(0),
            },
            5,
            vec!["offline-report"],
        ),
        (
            stopped("no_media"),
            5,
            vec!["media-empty-error", "media-needed-error"],
        ),
        (stopped("media_mismatch"), 5, vec!["media-needed-error"]),
        (stopped("printer_cover_open"), 5, vec!["cover-open-error"]),
        (stopped("media_jam"), 5, vec!["media-jam-error"]),
        (stopped("printer_offline"), 5, vec!["offline-report"]),
        (stopped("service_requested"), 5, vec!["other-error"]),
    ];
    for (state, expected, reasons) in table {
        let (ipp_state, ipp_reasons, message) = state_of(&state);
        assert_eq!(ipp_state, expected, "{state}");
        assert_eq!(ipp_reasons, reasons, "{state}");
        assert!(!message.is_empty());
        let mut printer = ql_printer();
        printer.state = state.clone();
        let attributes = printer_attributes(&printer, &Operation::ALL);
        let group = Group {
            tag: 0x04,
            attributes,
        };
        assert_eq!(value(&group, "printer-state"), [IppValue::Enum(expected)]);
    }
}

#[test]
fn no_medium_loaded_is_media_ready_no_value() {
    let mut printer = ql_printer();
    printer.media = None;
    let group = Group {
        tag: 0x04,
        attributes: printer_attributes(&printer, &Operation::ALL),
    };
    assert_eq!(value(&group, "media-ready"), [IppValue::NoValue]);
    assert_eq!(value(&group, "media-col-ready"), [IppValue::NoValue]);
    // A default is still the model's first medium.
    assert!(group.get("media-default").is_some());
}

#[test]
fn a_pt_printer_offers_its_tapes_at_its_resolutions() {
    let mut printer = ql_printer();
    printer.model = Model::by_name("PT-P750W").expect("model");
    printer.media = Some(Media::by_id("tze-12").expect("media"));
    let group = Group {
        tag: 0x04,
        attributes: printer_attributes(&printer, &Operation::ALL),
    };
    let supported = value(&group, "media-supported");
    assert!(supported
        .iter()
        .all(|m| matches!(m, IppValue::Keyword(k) if k.contains("tze-") || k.contains("hs"))));
    // PT-P750W: 180 dpi, 180 × 360 in high-resolution mode (brother-raster.md, the head table).
    assert_eq!(
        value(&group, "printer-resolution-supported")[0],
        IppValue::Resolution {
            cross_feed: 180,
            feed: 180,
            units: 3
        }
    );
    assert_eq!(value(&group, "media-source-supported"), [kw("main")]);
}

/// Validate-Job with `operation` extra operation attributes and `job` job
/// attributes.
fn validate(operation: Vec<Attribute>, job: Vec<Attribute>) -> Response {
    let bytes = request(
        VALIDATE_JOB,
        &[
            operation_group(operation),
            Group {
                tag: 0x02,
                attributes: job,
            },
        ],
        b"",
    );
    let request = parse(&bytes).expect("parses");
    assert_eq!(service::check(&request), Ok(Operation::ValidateJob));
    validate_job(&request, &ql_printer())
}

fn unsupported_names(response: &Response) -> Vec<String> {
    response
        .groups
        .iter()
        .filter(|g| g.tag == 0x05)
        .flat_map(|g| g.attributes.iter().map(|a| a.name.clone()))
        .collect()
}

#[test]
fn validate_job_accepts_what_the_printer_prints() {
    let answer = validate(
        vec![
            Attribute::new(
                "document-format",
                IppValue::MimeMediaType("image/jpeg".into()),
            ),
            Attribute::new("compression", kw("gzip")),
            Attribute::new(
                "requesting-user-name",
                IppValue::NameWithoutLanguage("ann".into()),
            ),
        ],
        vec![
            Attribute::new("copies", IppValue::Integer(3)),
            Attribute::new("print-scaling", kw("fit")),
        ],
    );
    assert_eq!(answer.status, code::OK);
}

#[test]
fn validate_job_refuses_what_the_printer_cannot_print() {
    let fidelity = || Attribute::new("ipp-attribute-fidelity", IppValue::Boolean(true));
    let cases: Vec<(&str, Response, u16, &str)> = vec![
        (
            "PDF",
            validate(
                vec![Attribute::new(
                    "document-format",
                    IppValue::MimeMediaType("application/pdf".into()),
                )],
                vec![],
            ),
            code::DOCUMENT_FORMAT_NOT_SUPPORTED,
            "document-format",
        ),
        (
            "compress",
            validate(vec![Attribute::new("compression", kw("compress"))], vec![]),
            code::COMPRESSION_NOT_SUPPORTED,
            "compression",
        ),
        (
            "0 copies",
            validate(vec![], vec![Attribute::new("copies", IppValue::Integer(0))]),
            code::ATTRIBUTES_OR_VALUES_NOT_SUPPORTED,
            "copies",
        ),
        (
            "1000 copies",
            validate(
                vec![],
                vec![Attribute::new("copies", IppValue::Integer(1000))],
            ),
            code::ATTRIBUTES_OR_VALUES_NOT_SUPPORTED,
            "copies",
        ),
        (
            "A4 with fidelity",
            validate(
                vec![fidelity()],
                vec![Attribute::new("media", kw("iso_a4_210x297mm"))],
            ),
            code::ATTRIBUTES_OR_VALUES_NOT_SUPPORTED,
            "media",
        ),
        (
            "orientation 5 with fidelity",
            validate(
                vec![fidelity()],
                vec![Attribute::new("orientation-requested", IppValue::Enum(5))],
            ),
            code::ATTRIBUTES_OR_VALUES_NOT_SUPPORTED,
            "orientation-requested",
        ),
    ];
    for (what, answer, status, attribute) in cases {
        assert_eq!(answer.status, status, "{what}");
        assert_eq!(unsupported_names(&answer), [attribute], "{what}");
    }
}

#[test]
fn validate_job_without_fidelity_ignores_and_says_so() {
    let answer = validate(
        vec![],
        vec![
            Attribute::new("media", kw("iso_a4_210x297mm")),
            Attribute::new("print-scaling", kw("stretch")),
        ],
    );
    assert_eq!(answer.status, code::OK_IGNORED_OR_SUBSTITUTED);
    assert_eq!(unsupported_names(&answer), ["print-scaling", "media"]);
}

#[test]
fn validate_job_on_a_disabled_printer_is_not_accepting_jobs() {
    let bytes = request(VALIDATE_JOB, &[operation_group(vec![])], b"");
    let request = parse(&bytes).expect("parses");
    let mut printer = ql_printer();
    printer.accepting = false;
    assert_eq!(
        validate_job(&request, &printer).status,
        code::NOT_ACCEPTING_JOBS
    );
}
