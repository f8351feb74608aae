//! The codec: one table row per malformed-message class (RFC 8010 §3 says
//! what is well formed), round trips of random messages, and arbitrary or
//! mutated bytes that must never panic.

use std::collections::BTreeMap;

use printhub_ipp::codec::{encode_request, MAX_COLLECTION_DEPTH};
use printhub_ipp::{parse, Attribute, Group, IppValue};
use proptest::prelude::*;

use crate::support::{operation_group, request};

/// Header: IPP 2.0, Get-Printer-Attributes, request id 1.
const HEADER: [u8; 8] = [2, 0, 0, 0x0b, 0, 0, 0, 1];

/// One encoded attribute (tag, name, value), as RFC 8010 §3.1.4 lays it out.
fn attr(tag: u8, name: &str, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend_from_slice(&(name.len() as u16).to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    out.extend_from_slice(value);
    out
}

/// Header, operation group with charset, `body`, then end-of-attributes.
fn message(body: &[Vec<u8>]) -> Vec<u8> {
    let mut out = HEADER.to_vec();
    out.push(0x01);
    out.extend(attr(0x47, "attributes-charset", b"utf-8"));
    for part in body {
        out.extend_from_slice(part);
    }
    out.push(0x03);
    out
}

/// Asserts that `bytes` fails to parse with `code`.
fn check(bytes: &[u8], code: &str) {
    match parse(bytes) {
        Ok(request) => panic!("expected {code}, parsed {request:?}"),
        Err(e) => assert_eq!(e.code(), code, "{e}"),
    }
}

#[test]
fn every_malformed_message_class_has_its_code() {
    let beg = |name: &str| attr(0x34, name, b"");
    let end = || attr(0x37, "", b"");
    let member = |name: &str| attr(0x4a, "", name.as_bytes());
    let int = |name: &str| attr(0x21, name, &7i32.to_be_bytes());

    check(&HEADER[..7], "ipp_short_header");
    check(&[], "ipp_short_header");
    // No end-of-attributes: the message stops after the charset.
    let mut no_end = message(&[]);
    no_end.pop();
    check(&no_end, "ipp_missing_end");
    check(&HEADER, "ipp_missing_end");
    // A name or value that runs past the end.
    let mut cut_name = HEADER.to_vec();
    cut_name.extend_from_slice(&[0x01, 0x47, 0x00, 0x20, b'a']);
    check(&cut_name, "ipp_truncated");
    let mut cut_value = HEADER.to_vec();
    cut_value.extend_from_slice(&[0x01, 0x47, 0x00, 0x01, b'a', 0x00, 0x05, b'u']);
    check(&cut_value, "ipp_truncated");
    let mut cut_length = HEADER.to_vec();
    cut_length.extend_from_slice(&[0x01, 0x47, 0x00]);
    check(&cut_length, "ipp_truncated");
    // Reserved delimiters (RFC 8010 §3.5.1: 0x00 and 0x0b–0x0f) and the extension tag.
    for tag in [0x00, 0x0b, 0x0f, 0x7f] {
        let mut bytes = HEADER.to_vec();
        bytes.extend_from_slice(&[tag, 0x03]);
        check(&bytes, "ipp_reserved_tag");
    }
    // An attribute before any group.
    let mut outside = HEADER.to_vec();
    outside.extend(attr(0x47, "attributes-charset", b"utf-8"));
    outside.push(0x03);
    check(&outside, "ipp_outside_group");
    // An additional value (empty name) at the start of a group.
    let mut orphan = HEADER.to_vec();
    orphan.push(0x01);
    orphan.extend(attr(0x44, "", b"all"));
    orphan.push(0x03);
    check(&orphan, "ipp_orphan_value");
    // Fixed-size values of the wrong size (RFC 8010 §3.9).
    for (tag, len) in [
        (0x21, 3),
        (0x21, 5),
        (0x23, 2),
        (0x22, 2),
        (0x22, 0),
        (0x31, 10),
        (0x32, 8),
        (0x33, 7),
        (0x37, 1),
    ] {
        check(
            &message(&[attr(tag, "x", &vec![0; len])]),
            "ipp_bad_value_length",
        );
    }
    // With-language strings whose inner lengths do not add up.
    check(
        &message(&[attr(0x35, "x", &[0, 2, b'e', b'n', 0, 9, b'h', b'i'])]),
        "ipp_bad_value_length",
    );
    check(&message(&[attr(0x36, "x", &[0])]), "ipp_bad_value_length");
    check(&message(&[attr(0x22, "x", &[2])]), "ipp_bad_boolean");
    check(&message(&[attr(0x44, "x", &[0xff, 0xfe])]), "ipp_not_utf8");
    // A name that is not UTF-8: tag, name length 2, 0xc3 0x28, value "a".
    check(
        &message(&[vec![0x44, 0, 2, 0xc3, 0x28, 0, 1, b'a']]),
        "ipp_not_utf8",
    );
    check(
        &message(&[int("copies"), int("copies")]),
        "ipp_duplicate_attribute",
    );
    // Collections (RFC 8010 §3.1.6).
    check(&message(&[end()]), "ipp_bad_collection");
    check(&message(&[member("media-size")]), "ipp_bad_collection");
    check(&message(&[beg("media-col"), int("")]), "ipp_bad_collection");
    check(
        &message(&[beg("media-col"), int("named")]),
        "ipp_bad_collection",
    );
    check(
        &message(&[
            beg("media-col"),
            member("a"),
            int(""),
            member("a"),
            int(""),
            end(),
        ]),
        "ipp_bad_collection",
    );
    check(
        &message(&[beg("media-col"), member("a"), end()]),
        "ipp_bad_collection",
    );
    check(
        &message(&[beg("media-col"), member(""), int(""), end()]),
        "ipp_bad_collection",
    );
    check(
        &message(&[beg("media-col"), member("a"), vec![0x02]]),
        "ipp_bad_collection",
    );
    // A collection left open when the message ends.
    let mut open = message(&[beg("media-col"), member("a")]);
    open.pop();
    check(&open, "ipp_missing_end");
    let mut deep = vec![beg("media-col")];
    for _ in 0..MAX_COLLECTION_DEPTH {
        deep.push(member("a"));
        deep.push(beg(""));
    }
    check(&message(&deep), "ipp_too_deep");
}

#[test]
fn a_well_formed_request_keeps_order_values_and_document() {
    let bytes = request(
        0x0002,
        &[
            operation_group(vec![
                Attribute::new("job-name", IppValue::NameWithoutLanguage("box".into())),
                Attribute::set(
                    "requested-attributes",
                    vec![
                        IppValue::Keyword("job-id".into()),
                        IppValue::Keyword("job-state".into()),
                    ],
                ),
            ]),
            Group {
                tag: 0x02,
                attributes: vec![Attribute::new("copies", IppValue::Integer(3))],
            },
        ],
        b"\xff\xd8 the document",
    );
    let parsed = parse(&bytes).expect("parses");
    assert_eq!(parsed.version, (2, 0));
    assert_eq!(parsed.operation, 0x0002);
    assert_eq!(parsed.request_id, 7);
    let names: Vec<_> = parsed.groups[0]
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "attributes-charset",
            "attributes-natural-language",
            "printer-uri",
            "job-name",
            "requested-attributes"
        ]
    );
    assert_eq!(
        parsed.groups[0].attributes[4].values.len(),
        2,
        "a 1setOf keeps every value"
    );
    assert_eq!(
        parsed.job_attribute("copies").and_then(|a| a.first()),
        Some(&IppValue::Integer(3))
    );
    assert_eq!(parsed.document, b"\xff\xd8 the document");
}

#[test]
fn nested_collections_with_multi_valued_members_parse() {
    // media-col { media-size { x-dimension 6200, y-dimension 100..200 },
    //             media-type "labels", media-source-properties 1,2 }
    let mut size = BTreeMap::new();
    size.insert("x-dimension".to_string(), IppValue::Integer(6200));
    size.insert(
        "y-dimension".to_string(),
        IppValue::RangeOfInteger { min: 100, max: 200 },
    );
    let mut col = BTreeMap::new();
    col.insert("media-size".to_string(), IppValue::Collection(size));
    col.insert("media-type".to_string(), IppValue::Keyword("labels".into()));
    col.insert(
        "multi".to_string(),
        IppValue::Array(vec![IppValue::Integer(1), IppValue::Integer(2)]),
    );
    let value = IppValue::Collection(col);
    let bytes = request(
        0x0004,
        &[
            operation_group(vec![]),
            Group {
                tag: 0x02,
                attributes: vec![Attribute::new("media-col", value.clone())],
            },
        ],
        b"",
    );
    let parsed = parse(&bytes).expect("parses");
    assert_eq!(
        parsed.job_attribute("media-col").and_then(|a| a.first()),
        Some(&value)
    );
}

fn leaf() -> impl Strategy<Value = IppValue> {
    prop_oneof![
        any::<i32>().prop_map(IppValue::Integer),
        any::<i32>().prop_map(IppValue::Enum),
        any::<bool>().prop_map(IppValue::Boolean),
        "[a-z0-9-]{0,16}".prop_map(IppValue::Keyword),
        "\\PC{0,24}".prop_map(IppValue::TextWithoutLanguage),
        "\\PC{0,24}".prop_map(IppValue::NameWithoutLanguage),
        ("[a-z]{2}", "\\PC{0,12}")
            .prop_map(|(language, text)| IppValue::TextWithLanguage { language, text }),
        "[a-z:/.0-9]{1,30}".prop_map(IppValue::Uri),
        (any::<i32>(), any::<i32>()).prop_map(|(min, max)| IppValue::RangeOfInteger { min, max }),
        (any::<i32>(), any::<i32>(), 3i8..=4).prop_map(|(cross_feed, feed, units)| {
            IppValue::Resolution {
                cross_feed,
                feed,
                units,
            }
        }),
        Just(IppValue::NoValue),
    ]
}

fn value() -> impl Strategy<Value = IppValue> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        // The `ipp` crate writes every value of a member's 1setOf with the
        // first value's tag, so member sets are of one syntax.
        let member = prop_oneof![
            inner,
            proptest::collection::vec(any::<i32>().prop_map(IppValue::Integer), 2..4)
                .prop_map(IppValue::Array),
            proptest::collection::vec("[a-z-]{1,8}".prop_map(IppValue::Keyword), 2..4)
                .prop_map(IppValue::Array),
        ];
        proptest::collection::btree_map("[a-z-]{1,10}", member, 1..4).prop_map(IppValue::Collection)
    })
}

fn groups() -> impl Strategy<Value = Vec<Group>> {
    let group = (
        prop_oneof![Just(0x01u8), Just(0x02), Just(0x04), Just(0x05)],
        proptest::collection::btree_map(
            "[a-z-]{1,20}",
            proptest::collection::vec(value(), 1..4),
            0..6,
        ),
    )
        .prop_map(|(tag, attributes)| Group {
            tag,
            attributes: attributes
                .into_iter()
                .map(|(name, values)| Attribute { name, values })
                .collect(),
        });
    proptest::collection::vec(group, 0..4)
}

proptest! {
    #[test]
    fn encode_then_parse_is_the_identity(
        groups in groups(),
        operation in any::<u16>(),
        request_id in any::<u32>(),
        document in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let bytes = encode_request((2, 0), operation, request_id, &groups, &document);
        let parsed = parse(&bytes).expect("a message the encoder wrote parses");
        prop_assert_eq!(parsed.operation, operation);
        prop_assert_eq!(parsed.request_id, request_id);
        prop_assert_eq!(parsed.groups, groups);
        prop_assert_eq!(parsed.document, &document[..]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn mutated_messages_never_panic_and_cuts_are_errors(
        groups in groups(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = encode_request((1, 1), 0x000b, 1, &groups, b"");
        let mut mutated = bytes.clone();
        for (at, byte) in flips {
            let i = at.index(mutated.len());
            mutated[i] = byte;
        }
        let _ = parse(&mutated);
        // Any strict prefix of a message without a document is cut before
        // its end-of-attributes tag.
        let end = cut.index(bytes.len());
        prop_assert!(parse(&bytes[..end]).is_err());
    }
}
