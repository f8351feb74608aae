//! Print commands and their answers. Pure: [`parse_print`] turns a payload
//! from `<base>/<slug>/print` into a [`PrintCommand`] or a [`Problem`]
//! naming what is wrong, and [`Answer`] is what goes back on
//! `<base>/<slug>/print/result`.
//!
//! A command (JSON object; unknown fields are refused):
//!
//! ```json
//! {"template": "shelf", "fields": {"title": "Pantry", "primary_id": "A-3"},
//!  "copies": 2, "request_id": "ha-42"}
//! {"content_type": "qr_one_line", "data": {"qr_payload": "https://x/7", "primary_id": "BOX-7"}}
//! ```
//!
//! Exactly one of `template` (a built-in name, or an inline template
//! object) and `content_type`; the label's data as `data` (LabelData:
//! `title`, `primary_id`, `qr_payload`, `secondary`, `items`, `fields`)
//! and/or `fields` (a flat object: those names, and every other scalar as a
//! template `{placeholder}`); `copies` 1–999 (default 1); `options` (`cut`,
//! `half_cut`, `chain`, `high_res`); `request_id` (a string of up to 128
//! characters, or a number) is echoed in the answer.
//!
//! With MQTT 5 a command may also carry the request/response properties
//! ([`ReplyTo`]): the answer goes to its response topic (checked by
//! [`Topics::check_response_topic`](crate::topics::Topics::check_response_topic);
//! a refused one refuses the command) and carries its correlation data back.
//! [`answer_topic`] decides where an answer goes.

use printhub_core::{JobId, PrintOptions, RequestedOptions, MAX_COPIES};
use printhub_render::{ContentType, Item, LabelData, RenderRequest, TemplateRef};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::topics::Topics;

/// The largest command payload accepted (inline templates may embed images).
pub const MAX_COMMAND_BYTES: usize = 256 * 1024;

/// The longest `request_id`.
pub const MAX_REQUEST_ID: usize = 128;

/// A valid print command.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintCommand {
    /// Echoed in the answer.
    pub request_id: Option<String>,
    /// What to render.
    pub render: RenderRequest,
    /// The content type's name, for the job's record.
    pub content_type: Option<String>,
    /// The template's name (`inline` for an inline one), for the job's record.
    pub template: Option<String>,
    /// Copies, 1..=999.
    pub copies: u32,
    /// Cut and chaining options as the command gave them; without
    /// `options`, none: the printer's defaults apply (issue #20), as over HTTP.
    pub options: RequestedOptions,
}

/// Why a command was not queued: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `invalid_request`, `content_type_data_mismatch`, `printer_not_allowed`, ...
    pub code: String,
    /// What is wrong, naming the field.
    pub detail: String,
}

impl Problem {
    /// A problem with `code`.
    pub fn new(code: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            code: code.into(),
            detail: detail.into(),
        }
    }

    fn invalid(detail: impl Into<String>) -> Problem {
        Problem::new("invalid_request", detail)
    }
}

/// MQTT 5's request/response properties of a command: where to answer and
/// what to answer with. Both empty with MQTT 3.1.1.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyTo {
    /// The command's Response Topic.
    pub response_topic: Option<String>,
    /// The command's Correlation Data, returned unchanged with the answer.
    pub correlation_data: Option<Vec<u8>>,
}

/// Where the answer to a command for `slug` goes: its response topic when it
/// has an acceptable one, else `<base>/<slug>/print/result`. A response
/// topic that is refused is an error: the command is refused (its answer
/// goes to `.../print/result`).
pub fn answer_topic(topics: &Topics, slug: &str, reply: &ReplyTo) -> Result<String, Problem> {
    match &reply.response_topic {
        None => Ok(topics.print_result(slug)),
        Some(topic) => match topics.check_response_topic(topic) {
            Ok(()) => Ok(topic.clone()),
            Err(detail) => Err(Problem::invalid(detail)),
        },
    }
}

/// The wire form (`deny_unknown_fields`: a misspelt field is an error).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default)]
    request_id: Option<Value>,
    #[serde(default)]
    template: Option<Value>,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    data: Option<LabelData>,
    #[serde(default)]
    fields: Option<Map<String, Value>>,
    #[serde(default)]
    copies: Option<u32>,
    #[serde(default)]
    options: Option<PrintOptions>,
}

/// The `request_id` of a payload, if it is a JSON object that has one; so
/// that even a refused command's answer can be matched to it.
pub fn request_id_of(payload: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(payload).ok()?;
    request_id(value.get("request_id")?).ok()
}

fn request_id(value: &Value) -> Result<String, Problem> {
    let id = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(Problem::invalid("request_id: must be a string or a number")),
    };
    if id.chars().count() > MAX_REQUEST_ID {
        return Err(Problem::invalid(format!(
            "request_id: at most {MAX_REQUEST_ID} characters"
        )));
    }
    Ok(id)
}

/// Parses and checks a print command (see the module doc).
pub fn parse_print(payload: &[u8]) -> Result<PrintCommand, Problem> {
    if payload.len() > MAX_COMMAND_BYTES {
        return Err(Problem::new(
            "payload_too_large",
            format!("a print command is at most {MAX_COMMAND_BYTES} bytes"),
        ));
    }
    let value: Value = serde_json::from_slice(payload)
        .map_err(|e| Problem::invalid(format!("not a print command: {e}")))?;
    if !value.is_object() {
        return Err(Problem::invalid(
            "not a print command: it must be a JSON object",
        ));
    }
    let wire: Wire = serde_json::from_value(value)
        .map_err(|e| Problem::invalid(format!("not a print command: {e}")))?;
    let request_id = wire.request_id.as_ref().map(request_id).transpose()?;
    let copies = wire.copies.unwrap_or(1);
    if !(1..=MAX_COPIES).contains(&copies) {
        return Err(Problem::invalid(format!(
            "copies: {copies} is not between 1 and {MAX_COPIES}"
        )));
    }
    let mut data = wire.data.unwrap_or_default();
    if let Some(fields) = wire.fields {
        merge_fields(&mut data, fields)?;
    }
    let options = wire.options.map(RequestedOptions::from).unwrap_or_default();
    let (render, content_type, template) = match (wire.template, wire.content_type) {
        (Some(_), Some(_)) => {
            return Err(Problem::invalid(
                "template, content_type: give one of them, not both",
            ))
        }
        (None, None) => {
            return Err(Problem::invalid(
                "template, content_type: give one of them (a built-in template name, an inline template, or a content type)",
            ))
        }
        (None, Some(name)) => {
            let ct = ContentType::from_name(&name).ok_or_else(|| {
                let known: Vec<&str> = ContentType::ALL.iter().map(|c| c.as_str()).collect();
                Problem::invalid(format!(
                    "content_type: unknown {name:?} (known: {})",
                    known.join(", ")
                ))
            })?;
            ct.check(&data)
                .map_err(|e| Problem::new(e.code(), e.to_string()))?;
            (RenderRequest::content_type(ct, data), Some(name), None)
        }
        (Some(t), None) => {
            let template: TemplateRef = serde_json::from_value(t)
                .map_err(|e| Problem::invalid(format!("template: {e}")))?;
            // Unknown names and bad inline templates are refused before anything is queued.
            let resolved = template
                .resolve()
                .map_err(|e| Problem::new(e.code(), format!("template: {e}")))?;
            let name = match &template {
                TemplateRef::Name(n) => n.clone(),
                TemplateRef::Inline(_) if !resolved.name.is_empty() => resolved.name.clone(),
                TemplateRef::Inline(_) => "inline".to_string(),
            };
            drop(resolved);
            (RenderRequest::template(template, data), None, Some(name))
        }
    };
    Ok(PrintCommand {
        request_id,
        render,
        content_type,
        template,
        copies,
        options,
    })
}

/// `fields` into label data: the LabelData names go to their fields, every
/// other scalar becomes a template field; objects and nulls are refused.
fn merge_fields(data: &mut LabelData, fields: Map<String, Value>) -> Result<(), Problem> {
    let text = |key: &str, v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(Problem::invalid(format!(
            "fields.{key}: must be a string, number or boolean"
        ))),
    };
    for (key, value) in fields {
        match key.as_str() {
            "title" => data.title = Some(text(&key, &value)?),
            "primary_id" => data.primary_id = Some(text(&key, &value)?),
            "qr_payload" => data.qr_payload = Some(text(&key, &value)?),
            "secondary" | "items" => {
                let list = match &value {
                    Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                };
                let texts = list
                    .iter()
                    .map(|v| text(&key, v))
                    .collect::<Result<Vec<_>, _>>()?;
                if key == "secondary" {
                    data.secondary = texts;
                } else {
                    data.items = texts
                        .into_iter()
                        .map(|item| Item {
                            item,
                            qr_payload: None,
                        })
                        .collect();
                }
            }
            _ => {
                let v = text(&key, &value)?;
                data.fields.insert(key, v);
            }
        }
    }
    Ok(())
}

/// What goes back on the result topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The job is queued (durably).
    Queued {
        /// The command's `request_id`.
        request_id: Option<String>,
        /// The new job.
        job_id: JobId,
        /// Its state when queued (`queued`, or `held` ...).
        state: String,
    },
    /// Nothing was queued.
    Refused {
        /// The command's `request_id`, when it could be read.
        request_id: Option<String>,
        /// Why.
        problem: Problem,
    },
}

impl Answer {
    /// The JSON payload: `{"request_id", "ok": true, "job_id", "state"}` or
    /// `{"request_id", "ok": false, "error_code", "detail"}`.
    pub fn to_json(&self) -> String {
        match self {
            Answer::Queued {
                request_id,
                job_id,
                state,
            } => json!({
                "request_id": request_id,
                "ok": true,
                "job_id": job_id.to_string(),
                "state": state,
            }),
            Answer::Refused {
                request_id,
                problem,
            } => json!({
                "request_id": request_id,
                "ok": false,
                "error_code": problem.code,
                "detail": problem.detail,
            }),
        }
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use printhub_render::Content;

    fn refused(payload: &str) -> Problem {
        parse_print(payload.as_bytes()).expect_err(payload)
    }

    #[test]
    fn a_template_with_fields_parses() {
        let cmd = parse_print(
            br#"{"template":"shelf","fields":{"title":"Pantry","primary_id":7,"zone":"B","secondary":["x","y"]},"copies":2,"request_id":"ha-1"}"#,
        )
        .expect("valid");
        assert_eq!(cmd.request_id.as_deref(), Some("ha-1"));
        assert_eq!(cmd.copies, 2);
        assert_eq!(cmd.template.as_deref(), Some("shelf"));
        assert_eq!(
            cmd.options,
            RequestedOptions::default(),
            "no options: the printer's defaults, as over HTTP"
        );
        let Content::Template { template, data } = &cmd.render.content else {
            panic!("a template request");
        };
        assert_eq!(template, &TemplateRef::Name("shelf".into()));
        assert_eq!(data.title.as_deref(), Some("Pantry"));
        assert_eq!(data.primary_id.as_deref(), Some("7"));
        assert_eq!(data.secondary, ["x", "y"]);
        assert_eq!(data.fields["zone"], "B");
    }

    #[test]
    fn a_content_type_with_data_parses() {
        let cmd = parse_print(
            br#"{"content_type":"qr_one_line","data":{"qr_payload":"https://x/7","primary_id":"BOX-7"},"request_id":42,"options":{"cut":false}}"#,
        )
        .expect("valid");
        assert_eq!(cmd.request_id.as_deref(), Some("42"));
        assert_eq!(cmd.content_type.as_deref(), Some("qr_one_line"));
        assert_eq!(cmd.copies, 1);
        assert_eq!(cmd.options.cut, Some(false));
    }

    #[test]
    fn an_inline_template_parses_and_a_broken_one_is_refused() {
        let cmd = parse_print(
            br#"{"template":{"name":"mine","aspect":4.0,"elements":[{"type":"text","x":0,"y":0,"w":"100%","h":"100%","text":"{title}"}]},"fields":{"title":"Hi"}}"#,
        )
        .expect("valid inline template");
        assert_eq!(cmd.template.as_deref(), Some("mine"));
        let p = refused(r#"{"template":{"elements":[{"type":"hologram"}]}}"#);
        assert_eq!(p.code, "invalid_request");
        assert!(p.detail.starts_with("template"), "{p:?}");
    }

    #[test]
    fn malformed_commands_name_the_problem() {
        let cases: &[(&str, &str, &str)] = &[
            ("not json", "invalid_request", "not a print command"),
            ("[1,2]", "invalid_request", "a JSON object"),
            (
                r#"{"template":"shelf","colour":"red"}"#,
                "invalid_request",
                "colour",
            ),
            (
                r#"{"fields":{"title":"x"}}"#,
                "invalid_request",
                "give one of them",
            ),
            (
                r#"{"template":"shelf","content_type":"qr_only"}"#,
                "invalid_request",
                "not both",
            ),
            (
                r#"{"content_type":"hologram"}"#,
                "invalid_request",
                "content_type: unknown",
            ),
            (r#"{"template":"nope"}"#, "unknown_template", "template"),
            (r#"{"template":5}"#, "invalid_request", "template"),
            (
                r#"{"template":"shelf","copies":0}"#,
                "invalid_request",
                "copies",
            ),
            (
                r#"{"template":"shelf","copies":1000}"#,
                "invalid_request",
                "copies",
            ),
            (
                r#"{"template":"shelf","copies":-1}"#,
                "invalid_request",
                "not a print command",
            ),
            (
                r#"{"template":"shelf","fields":{"title":{"a":1}}}"#,
                "invalid_request",
                "fields.title",
            ),
            (
                r#"{"template":"shelf","request_id":[1]}"#,
                "invalid_request",
                "request_id",
            ),
            (
                r#"{"content_type":"qr_one_line","data":{"primary_id":"x"}}"#,
                "content_type_data_mismatch",
                "qr_payload",
            ),
        ];
        for (payload, code, needle) in cases {
            let p = refused(payload);
            assert_eq!(&p.code, code, "{payload}: {p:?}");
            assert!(
                p.detail.contains(needle),
                "{payload}: {p:?} should say {needle:?}"
            );
        }
        let long = format!(
            r#"{{"template":"shelf","request_id":"{}"}}"#,
            "x".repeat(129)
        );
        assert!(refused(&long).detail.contains("request_id"));
        let huge = vec![b' '; MAX_COMMAND_BYTES + 1];
        assert_eq!(
            parse_print(&huge).expect_err("huge").code,
            "payload_too_large"
        );
    }

    #[test]
    fn a_refused_command_still_echoes_its_request_id() {
        assert_eq!(
            request_id_of(br#"{"request_id":"r-9","template":5}"#).as_deref(),
            Some("r-9")
        );
        assert_eq!(request_id_of(b"garbage"), None);
    }

    #[test]
    fn answers_go_to_the_response_topic_when_there_is_an_acceptable_one() {
        let t = Topics::new("printhub", "homeassistant");
        let none = ReplyTo::default();
        assert_eq!(
            answer_topic(&t, "pt", &none).as_deref(),
            Ok("printhub/pt/print/result")
        );
        let correlation_only = ReplyTo {
            response_topic: None,
            correlation_data: Some(vec![1, 2]),
        };
        assert_eq!(
            answer_topic(&t, "pt", &correlation_only).as_deref(),
            Ok("printhub/pt/print/result")
        );
        let mine = ReplyTo {
            response_topic: Some("ha/replies/7".into()),
            correlation_data: None,
        };
        assert_eq!(answer_topic(&t, "pt", &mine).as_deref(), Ok("ha/replies/7"));
        let loop_back = ReplyTo {
            response_topic: Some("printhub/pt/print".into()),
            correlation_data: None,
        };
        let p = answer_topic(&t, "pt", &loop_back).expect_err("refused");
        assert_eq!(p.code, "invalid_request");
        assert!(p.detail.starts_with("response_topic"), "{p:?}");
    }

    #[test]
    fn answers_serialize_as_documented() {
        let ok = Answer::Queued {
            request_id: Some("r1".into()),
            job_id: JobId::from_u128(7),
            state: "queued".into(),
        };
        let v: Value = serde_json::from_str(&ok.to_json()).expect("json");
        assert_eq!(
            v,
            json!({"request_id":"r1","ok":true,"job_id":"00000000-0000-0000-0000-000000000007","state":"queued"})
        );
        let no = Answer::Refused {
            request_id: None,
            problem: Problem::new("printer_not_allowed", "printer ql is not exposed over MQTT"),
        };
        let v: Value = serde_json::from_str(&no.to_json()).expect("json");
        assert_eq!(
            v,
            json!({"request_id":null,"ok":false,"error_code":"printer_not_allowed","detail":"printer ql is not exposed over MQTT"})
        );
    }
}
