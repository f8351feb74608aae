//! The IPP message codec (RFC 8010 §3): a strict reader that turns one
//! request's bytes into ordered attribute groups plus the document data that
//! follows them, and the writer that turns a [`Response`] back into bytes.
//!
//! Values are the `ipp` crate's [`IppValue`] and are decoded and encoded by
//! it. The grouping is done here rather than by `ipp::parser::IppParser`,
//! which keeps each group in a hash map (so duplicate attributes merge
//! silently and the order RFC 8011 §4.1.4 requires cannot be checked), drops
//! values that come before any group, and panics inside `IppValue::parse` on a
//! fixed-size value that is too short. This reader checks every length for
//! its tag before handing the bytes to `IppValue::parse`, so no input panics:
//! every defect is a [`ParseError`] with a stable code.
//!
//! Pure: bytes in, values out; no I/O.

use std::collections::BTreeMap;

use bytes::Bytes;
use ipp::model::{DelimiterTag, IppVersion, ValueTag};
use ipp::value::IppValue;
use ipp::IppHeader;
use thiserror::Error;

/// Collections nested deeper than this are refused (media-col is 2 deep).
pub const MAX_COLLECTION_DEPTH: usize = 16;

/// Why a message is not a well-formed IPP request. Answered with HTTP 400
/// and nothing queued.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// Fewer than the 8 header bytes (version, operation, request id).
    #[error("the message is shorter than the 8-byte IPP header")]
    ShortHeader,
    /// A tag, name or value runs past the end of the message.
    #[error("the message ends inside an attribute at byte {offset}")]
    Truncated {
        /// Where the cut attribute starts.
        offset: usize,
    },
    /// The attributes never reach `end-of-attributes-tag` (0x03).
    #[error("the message has no end-of-attributes tag")]
    MissingEnd,
    /// A delimiter tag RFC 8010 reserves, or an extension tag (0x7F).
    #[error("tag 0x{tag:02x} at byte {offset} is reserved")]
    ReservedTag {
        /// The tag.
        tag: u8,
        /// Where it is.
        offset: usize,
    },
    /// An attribute before the first group delimiter.
    #[error("an attribute at byte {offset} comes before any attribute group")]
    OutsideGroup {
        /// Where it is.
        offset: usize,
    },
    /// A value with an empty name that follows no attribute.
    #[error("an additional value at byte {offset} follows no attribute")]
    OrphanValue {
        /// Where it is.
        offset: usize,
    },
    /// A fixed-size value of the wrong length, or a with-language string
    /// whose inner lengths do not add up.
    #[error("value tag 0x{tag:02x} at byte {offset} has a bad length {len}")]
    BadValueLength {
        /// The value tag.
        tag: u8,
        /// Where it is.
        offset: usize,
        /// The length it declared.
        len: usize,
    },
    /// A boolean other than 0 or 1.
    #[error("boolean at byte {offset} is neither 0 nor 1")]
    BadBoolean {
        /// Where it is.
        offset: usize,
    },
    /// A name or string value that is not UTF-8.
    #[error("the text at byte {offset} is not UTF-8")]
    NotUtf8 {
        /// Where it is.
        offset: usize,
    },
    /// The same attribute twice in one group (RFC 8011 §4.1.3 lets a
    /// printer refuse it; CUPS does).
    #[error("attribute {name} appears twice in one group")]
    DuplicateAttribute {
        /// The attribute.
        name: String,
    },
    /// `endCollection` without `begCollection`, `memberAttrName` outside a
    /// collection, a member value before its name, a named value inside a
    /// collection, a member twice, or a collection left open.
    #[error("malformed collection at byte {offset}: {what}")]
    BadCollection {
        /// Where it is.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// Collections nested deeper than [`MAX_COLLECTION_DEPTH`].
    #[error("collections nest deeper than {MAX_COLLECTION_DEPTH}")]
    TooDeep,
}

impl ParseError {
    /// The stable machine code.
    pub const fn code(&self) -> &'static str {
        match self {
            ParseError::ShortHeader => "ipp_short_header",
            ParseError::Truncated { .. } => "ipp_truncated",
            ParseError::MissingEnd => "ipp_missing_end",
            ParseError::ReservedTag { .. } => "ipp_reserved_tag",
            ParseError::OutsideGroup { .. } => "ipp_outside_group",
            ParseError::OrphanValue { .. } => "ipp_orphan_value",
            ParseError::BadValueLength { .. } => "ipp_bad_value_length",
            ParseError::BadBoolean { .. } => "ipp_bad_boolean",
            ParseError::NotUtf8 { .. } => "ipp_not_utf8",
            ParseError::DuplicateAttribute { .. } => "ipp_duplicate_attribute",
            ParseError::BadCollection { .. } => "ipp_bad_collection",
            ParseError::TooDeep => "ipp_too_deep",
        }
    }
}

/// One attribute: its name and its values in wire order (a `1setOf` has
/// several). A collection is an [`IppValue::Collection`] whose multi-valued
/// members are [`IppValue::Array`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// Its values, at least one.
    pub values: Vec<IppValue>,
}

impl Attribute {
    /// An attribute with one value.
    pub fn new(name: &str, value: IppValue) -> Self {
        Attribute {
            name: name.to_string(),
            values: vec![value],
        }
    }

    /// An attribute with several values (a `1setOf`); `values` must not be empty.
    pub fn set(name: &str, values: Vec<IppValue>) -> Self {
        Attribute {
            name: name.to_string(),
            values,
        }
    }

    /// The first value.
    pub fn first(&self) -> Option<&IppValue> {
        self.values.first()
    }
}

/// One attribute group, in wire order.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The group's delimiter tag (0x01 operation, 0x02 job, 0x04 printer,
    /// 0x05 unsupported, or another RFC 8010 group tag).
    pub tag: u8,
    /// The attributes in wire order.
    pub attributes: Vec<Attribute>,
}

impl Group {
    /// An empty group.
    pub fn new(tag: DelimiterTag) -> Self {
        Group {
            tag: tag as u8,
            attributes: Vec::new(),
        }
    }

    /// The attribute called `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// A parsed request: header, groups in order, and the document data after
/// `end-of-attributes-tag`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request<'a> {
    /// `(major, minor)`.
    pub version: (u8, u8),
    /// The operation id.
    pub operation: u16,
    /// The request id (RFC 8011 §4.1.1: 1 or more in a valid request).
    pub request_id: u32,
    /// The attribute groups in wire order.
    pub groups: Vec<Group>,
    /// The document data (may be empty).
    pub document: &'a [u8],
}

impl Request<'_> {
    /// The first group with `tag`.
    pub fn group(&self, tag: DelimiterTag) -> Option<&Group> {
        self.groups.iter().find(|g| g.tag == tag as u8)
    }

    /// An operation attribute.
    pub fn operation_attribute(&self, name: &str) -> Option<&Attribute> {
        self.group(DelimiterTag::OperationAttributes)
            .and_then(|g| g.get(name))
    }

    /// A job template attribute (job group).
    pub fn job_attribute(&self, name: &str) -> Option<&Attribute> {
        self.group(DelimiterTag::JobAttributes)
            .and_then(|g| g.get(name))
    }
}

/// A response ready to be written: status, request id and groups in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// `(major, minor)`, echoing the request's where it is supported.
    pub version: (u8, u8),
    /// The status code (RFC 8011 §4.1.6 / the IANA registry).
    pub status: u16,
    /// The request id being answered.
    pub request_id: u32,
    /// The groups, operation group first.
    pub groups: Vec<Group>,
}

impl Response {
    /// A response whose operation group already holds `attributes-charset`
    /// and `attributes-natural-language`, first and second (RFC 8011 §4.1.4).
    pub fn new(version: (u8, u8), status: u16, request_id: u32) -> Self {
        let mut operation = Group::new(DelimiterTag::OperationAttributes);
        operation.attributes.push(Attribute::new(
            "attributes-charset",
            IppValue::Charset("utf-8".into()),
        ));
        operation.attributes.push(Attribute::new(
            "attributes-natural-language",
            IppValue::NaturalLanguage("en".into()),
        ));
        Response {
            version,
            status,
            request_id,
            groups: vec![operation],
        }
    }

    /// Adds `status-message` to the operation group.
    pub fn with_message(mut self, message: &str) -> Self {
        self.groups[0].attributes.push(Attribute::new(
            "status-message",
            IppValue::TextWithoutLanguage(message.to_string()),
        ));
        self
    }

    /// Appends a group.
    pub fn push_group(&mut self, group: Group) {
        self.groups.push(group);
    }

    /// The operation group.
    pub fn operation_group_mut(&mut self) -> &mut Group {
        &mut self.groups[0]
    }

    /// The message's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let version = IppVersion(u16::from(self.version.0) << 8 | u16::from(self.version.1));
        let mut out = IppHeader::new(version, self.status, self.request_id)
            .to_bytes()
            .to_vec();
        for group in &self.groups {
            out.push(group.tag);
            for attribute in &group.attributes {
                write_attribute(&mut out, attribute);
            }
        }
        out.push(DelimiterTag::EndOfAttributes as u8);
        out
    }
}

/// Writes one attribute: the first value under its name, the others as
/// additional values (empty name), as RFC 8010 §3.1.5 lays out a `1setOf`.
pub fn write_attribute(out: &mut Vec<u8>, attribute: &Attribute) {
    for (i, value) in attribute.values.iter().enumerate() {
        out.push(value.to_tag());
        let name: &[u8] = if i == 0 {
            attribute.name.as_bytes()
        } else {
            &[]
        };
        out.extend_from_slice(&(name.len() as u16).to_be_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&value.to_bytes());
    }
}

/// Encodes a request (the client side: tests, and the round trip).
pub fn encode_request(
    version: (u8, u8),
    operation: u16,
    request_id: u32,
    groups: &[Group],
    document: &[u8],
) -> Vec<u8> {
    let mut out = Response {
        version,
        status: operation,
        request_id,
        groups: groups.to_vec(),
    }
    .to_bytes();
    out.extend_from_slice(document);
    out
}

/// A collection being read: its members so far and the member whose values
/// are being read.
struct Frame {
    members: BTreeMap<String, Vec<IppValue>>,
    current: Option<String>,
}

/// Parses one request strictly. The document is everything after
/// `end-of-attributes-tag`.
pub fn parse(bytes: &[u8]) -> Result<Request<'_>, ParseError> {
    if bytes.len() < 8 {
        return Err(ParseError::ShortHeader);
    }
    let version = (bytes[0], bytes[1]);
    let operation = u16::from_be_bytes([bytes[2], bytes[3]]);
    let request_id = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let mut pos = 8;
    let mut groups: Vec<Group> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let Some(&tag) = bytes.get(pos) else {
            return Err(ParseError::MissingEnd);
        };
        let at = pos;
        if tag < 0x10 {
            pos += 1;
            if !stack.is_empty() {
                return Err(ParseError::BadCollection {
                    offset: at,
                    what: "a group starts inside an open collection",
                });
            }
            match tag {
                0x03 => {
                    return Ok(Request {
                        version,
                        operation,
                        request_id,
                        groups,
                        document: &bytes[pos..],
                    })
                }
                // RFC 8010 §3.5.1: operation, job, printer, unsupported,
                // subscription, event-notification, resource, document, system.
                0x01 | 0x02 | 0x04..=0x0a => groups.push(Group {
                    tag,
                    attributes: Vec::new(),
                }),
                _ => return Err(ParseError::ReservedTag { tag, offset: at }),
            }
            continue;
        }
        if tag == 0x7f {
            return Err(ParseError::ReservedTag { tag, offset: at });
        }
        let (name, value, next) =
            read_name_value(bytes, pos + 1).ok_or(ParseError::Truncated { offset: at })?;
        pos = next;
        let name = std::str::from_utf8(name).map_err(|_| ParseError::NotUtf8 { offset: at })?;
        let Some(group) = groups.last_mut() else {
            return Err(ParseError::OutsideGroup { offset: at });
        };
        check_value(tag, value, at)?;

        if let Some(frame) = stack.last_mut() {
            // Inside a collection: member names, then member values, all
            // with empty attribute names (RFC 8010 §3.1.6).
            if !name.is_empty() {
                return Err(ParseError::BadCollection {
                    offset: at,
                    what: "a named attribute inside a collection",
                });
            }
            if tag == ValueTag::MemberAttrName as u8 {
                let member =
                    std::str::from_utf8(value).map_err(|_| ParseError::NotUtf8 { offset: at })?;
                if member.is_empty() {
                    return Err(ParseError::BadCollection {
                        offset: at,
                        what: "an empty member name",
                    });
                }
                if frame.members.contains_key(member) {
                    return Err(ParseError::BadCollection {
                        offset: at,
                        what: "a member appears twice",
                    });
                }
                frame.members.insert(member.to_string(), Vec::new());
                frame.current = Some(member.to_string());
                continue;
            }
            if frame.current.is_none() {
                return Err(ParseError::BadCollection {
                    offset: at,
                    what: "a member value before its member name",
                });
            }
            if tag == ValueTag::BegCollection as u8 {
                if stack.len() >= MAX_COLLECTION_DEPTH {
                    return Err(ParseError::TooDeep);
                }
                stack.push(Frame {
                    members: BTreeMap::new(),
                    current: None,
                });
                continue;
            }
            if tag == ValueTag::EndCollection as u8 {
                let done = close_frame(&mut stack, at)?;
                push_value(&mut stack, group, done, at)?;
                continue;
            }
            let parsed = decode_value(tag, value, at)?;
            if let Some(frame) = stack.last_mut() {
                if let Some(current) = &frame.current {
                    if let Some(values) = frame.members.get_mut(current) {
                        values.push(parsed);
                    }
                }
            }
            continue;
        }

        // At the top level of a group.
        if tag == ValueTag::MemberAttrName as u8 {
            return Err(ParseError::BadCollection {
                offset: at,
                what: "a member name outside a collection",
            });
        }
        if tag == ValueTag::EndCollection as u8 {
            return Err(ParseError::BadCollection {
                offset: at,
                what: "an end without a begin",
            });
        }
        if name.is_empty() {
            if group.attributes.is_empty() {
                return Err(ParseError::OrphanValue { offset: at });
            }
        } else {
            if group.attributes.iter().any(|a| a.name == name) {
                return Err(ParseError::DuplicateAttribute {
                    name: name.to_string(),
                });
            }
            group.attributes.push(Attribute {
                name: name.to_string(),
                values: Vec::new(),
            });
        }
        if tag == ValueTag::BegCollection as u8 {
            stack.push(Frame {
                members: BTreeMap::new(),
                current: None,
            });
            continue;
        }
        let parsed = decode_value(tag, value, at)?;
        if let Some(last) = group.attributes.last_mut() {
            last.values.push(parsed);
        }
    }
}

/// Reads `name-length name value-length value` from `pos`.
fn read_name_value(bytes: &[u8], pos: usize) -> Option<(&[u8], &[u8], usize)> {
    let name_len = usize::from(u16::from_be_bytes([*bytes.get(pos)?, *bytes.get(pos + 1)?]));
    let name = bytes.get(pos + 2..pos + 2 + name_len)?;
    let vpos = pos + 2 + name_len;
    let value_len = usize::from(u16::from_be_bytes([
        *bytes.get(vpos)?,
        *bytes.get(vpos + 1)?,
    ]));
    let value = bytes.get(vpos + 2..vpos + 2 + value_len)?;
    Some((name, value, vpos + 2 + value_len))
}

/// Checks a value's length against its tag (RFC 8010 §3.9) so that
/// `IppValue::parse` never reads past it.
fn check_value(tag: u8, value: &[u8], at: usize) -> Result<(), ParseError> {
    let bad = || ParseError::BadValueLength {
        tag,
        offset: at,
        len: value.len(),
    };
    let fixed = |n: usize| if value.len() == n { Ok(()) } else { Err(bad()) };
    match tag {
        0x21 | 0x23 => fixed(4),
        0x22 => {
            fixed(1)?;
            if value[0] > 1 {
                return Err(ParseError::BadBoolean { offset: at });
            }
            Ok(())
        }
        0x31 => fixed(11),
        0x32 => fixed(9),
        0x33 => fixed(8),
        0x35 | 0x36 => {
            // language-length language text-length text
            let lang = value.get(..2).ok_or_else(bad)?;
            let lang_len = usize::from(u16::from_be_bytes([lang[0], lang[1]]));
            let text = value.get(2 + lang_len..2 + lang_len + 2).ok_or_else(bad)?;
            let text_len = usize::from(u16::from_be_bytes([text[0], text[1]]));
            if 2 + lang_len + 2 + text_len != value.len() {
                return Err(bad());
            }
            if std::str::from_utf8(value).is_err() {
                return Err(ParseError::NotUtf8 { offset: at });
            }
            Ok(())
        }
        0x37 => fixed(0),
        // Strings whose syntax is UTF-8 (or US-ASCII) text.
        0x41 | 0x42 | 0x44..=0x49 | 0x4a => {
            if std::str::from_utf8(value).is_err() {
                return Err(ParseError::NotUtf8 { offset: at });
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Decodes a checked value with the `ipp` crate.
fn decode_value(tag: u8, value: &[u8], at: usize) -> Result<IppValue, ParseError> {
    // The length was checked for the tag, so `IppValue::parse` reads inside it.
    IppValue::parse(tag, Bytes::copy_from_slice(value)).map_err(|_| ParseError::BadValueLength {
        tag,
        offset: at,
        len: value.len(),
    })
}

/// Pops the innermost collection and makes it a value.
fn close_frame(stack: &mut Vec<Frame>, at: usize) -> Result<IppValue, ParseError> {
    let frame = stack.pop().ok_or(ParseError::BadCollection {
        offset: at,
        what: "an end without a begin",
    })?;
    let mut map = BTreeMap::new();
    for (name, mut values) in frame.members {
        let value = match values.len() {
            0 => {
                return Err(ParseError::BadCollection {
                    offset: at,
                    what: "a member without a value",
                })
            }
            1 => values.remove(0),
            _ => IppValue::Array(values),
        };
        map.insert(name, value);
    }
    Ok(IppValue::Collection(map))
}

/// Adds a finished collection to its parent: the enclosing collection's
/// current member, or the group's last attribute.
fn push_value(
    stack: &mut [Frame],
    group: &mut Group,
    value: IppValue,
    at: usize,
) -> Result<(), ParseError> {
    if let Some(frame) = stack.last_mut() {
        let current = frame.current.as_ref().ok_or(ParseError::BadCollection {
            offset: at,
            what: "a member value before its member name",
        })?;
        if let Some(values) = frame.members.get_mut(current) {
            values.push(value);
        }
        return Ok(());
    }
    match group.attributes.last_mut() {
        Some(last) => {
            last.values.push(value);
            Ok(())
        }
        None => Err(ParseError::OrphanValue { offset: at }),
    }
}
