//! Request builders and a hub printer to answer for.

use printhub_core::printer::PrinterState;
use printhub_ipp::codec::encode_request;
use printhub_ipp::{Attribute, Authentication, Group, IppValue, PrinterInfo};
use printhub_raster::media::Media;
use printhub_raster::model::Model;

/// The operation group every valid request starts with: charset, language,
/// printer-uri.
pub fn operation_group(extra: Vec<Attribute>) -> Group {
    let mut attributes = vec![
        Attribute::new("attributes-charset", IppValue::Charset("utf-8".into())),
        Attribute::new(
            "attributes-natural-language",
            IppValue::NaturalLanguage("en".into()),
        ),
        Attribute::new(
            "printer-uri",
            IppValue::Uri("ipp://127.0.0.1:8631/ipp/print/ql".into()),
        ),
    ];
    attributes.extend(extra);
    Group {
        tag: 0x01,
        attributes,
    }
}

/// A request's bytes: IPP 2.0, request id 7.
pub fn request(operation: u16, groups: &[Group], document: &[u8]) -> Vec<u8> {
    encode_request((2, 0), operation, 7, groups, document)
}

/// A QL-820NWB with 62 mm continuous DK loaded, idle.
pub fn ql_printer() -> PrinterInfo {
    PrinterInfo {
        uri: "ipp://127.0.0.1:8631/ipp/print/ql".into(),
        name: "ql".into(),
        info: "Shipping labels".into(),
        location: "Workshop".into(),
        uuid: uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0),
        model: Model::by_name("QL-820NWB").expect("model"),
        media: Some(Media::by_id("dk-62").expect("media")),
        state: PrinterState::Idle,
        accepting: true,
        queued_job_count: 2,
        more_info: "http://127.0.0.1:8080/printers/ql".into(),
        up_time: 1_700_000_042,
        started: 1_700_000_000,
        icon: "http://127.0.0.1:8631/ipp/icons/ql.png".into(),
        authentication: Authentication::None,
    }
}

/// A keyword value.
pub fn kw(s: &str) -> IppValue {
    IppValue::Keyword(s.into())
}
