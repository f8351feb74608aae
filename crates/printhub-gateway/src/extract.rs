//! [`JsonBody`], the JSON extractor of the gateway, and [`read_body`], what
//! it and the webhooks read bodies with: the body limit comes from
//! [`GatewayConfig`] at request time, a body over it is 413
//! `payload_too_large`; a body that does not arrive within the body deadline
//! ([`Limits::body_timeout`]) is 408 `request_timeout`; JSON that does not
//! parse (or has unknown fields) is 400 `invalid_request` with the parser's
//! message.
//!
//! Before the body is read, its `Content-Type` must be JSON
//! (`application/json` or any `application/*+json`, parameters such as
//! `charset` allowed): anything else, or none, is 415
//! `unsupported_media_type` naming what is accepted (RFC 9110 §15.5.16).
//! Every request body is a JSON object and so is every object inside it:
//! serde would also take a struct in its positional form (`["k", "read"]`
//! for `{"name": "k", "scope": "read"}`), so before deserializing, the body
//! is walked against the type's own JSON Schema (the one the OpenAPI
//! document publishes) and an array where the schema allows only an object
//! is 400 naming its JSON pointer.

use crate::error::{ApiError, ErrorCode};
use crate::limits::{body_timed_out, Limits};
use crate::GatewayConfig;
use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::any::TypeId;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};

/// A JSON request body, parsed into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// The body limit of the app (the default when it has no [`GatewayConfig`]).
pub(crate) fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<GatewayConfig>>()
        .map(|c| c.body_limit)
        .unwrap_or_else(|| GatewayConfig::default().body_limit)
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the request body is larger than {limit} bytes"),
    )
    .with_detail(serde_json::json!({ "limit": limit }))
}

/// Reads the whole body of `req`: at most the body limit (413 as soon as it
/// is declared or read past it), within the body deadline (408).
pub(crate) async fn read_body(req: &HttpRequest, payload: Payload) -> Result<Bytes, ApiError> {
    let limit = body_limit(req);
    let deadline = Limits::of(req).body_timeout();
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let read = async move {
        let mut payload = payload;
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk
                .map_err(|e| ApiError::invalid(format!("cannot read the request body: {e}")))?;
            if body.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    tokio::time::timeout(deadline, read)
        .await
        .map_err(|_| body_timed_out(deadline))?
}

/// The media types a JSON body may be sent as (for the 415's detail).
pub const JSON_MEDIA_TYPES: [&str; 2] = ["application/json", "application/*+json"];

/// `Ok` when `content_type` (the header's value) is JSON.
pub(crate) fn require_json(content_type: Option<&str>) -> Result<(), ApiError> {
    let essence = content_type
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    let json = essence.as_deref().is_some_and(|e| {
        e == "application/json"
            || e.strip_prefix("application/")
                .is_some_and(|sub| sub.ends_with("+json") && sub.len() > "+json".len())
    });
    if json {
        return Ok(());
    }
    let what = match content_type {
        Some(v) => format!("a body of type {v:?}"),
        None => "a body without a Content-Type".to_owned(),
    };
    Err(ApiError::new(
        ErrorCode::UnsupportedMediaType,
        format!("{what} is not accepted here: send application/json"),
    )
    .with_detail(serde_json::json!({ "accepted": JSON_MEDIA_TYPES }))
    .with_header("accept-post", JSON_MEDIA_TYPES.join(", ")))
}

/// The JSON Schema of `T`, made once per type.
fn schema_of<T: schemars::JsonSchema + 'static>() -> Arc<Value> {
    static SCHEMAS: OnceLock<RwLock<HashMap<TypeId, Arc<Value>>>> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(Default::default);
    let id = TypeId::of::<T>();
    if let Some(schema) = schemas.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return Arc::clone(schema);
    }
    let schema = Arc::new(schemars::schema_for!(T).to_value());
    schemas
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, Arc::clone(&schema));
    schema
}

/// The JSON pointer of the first array in `value` that stands where
/// `schema` takes only an object, if any.
fn positional(value: &Value, schema: &Value, root: &Value) -> Option<String> {
    let path = find_positional(value, schema, root)?;
    if path.is_empty() {
        return Some("/".to_owned());
    }
    // The path was gathered on the way out: innermost step first.
    let mut pointer = String::new();
    for step in path.iter().rev() {
        pointer.push('/');
        match step {
            Step::Index(i) => pointer.push_str(&i.to_string()),
            Step::Key(k) => pointer.push_str(&k.replace('~', "~0").replace('/', "~1")),
        }
    }
    Some(pointer)
}

/// One step of a JSON pointer.
enum Step<'v> {
    Index(usize),
    Key(&'v str),
}

/// The path to the first positional array, innermost step first. Nothing
/// is allocated for a body without one (every batch walks this, issue #17).
fn find_positional<'v>(value: &'v Value, schema: &Value, root: &Value) -> Option<Vec<Step<'v>>> {
    let schema = resolve(schema, root);
    match value {
        Value::Array(items) => {
            if !allows_array(schema, root) {
                return Some(Vec::new());
            }
            items.iter().enumerate().find_map(|(i, item)| {
                let mut path = any_branch(schema, root, &mut |s| {
                    s.get("items")
                        .and_then(|items| find_positional(item, items, root))
                })?;
                path.push(Step::Index(i));
                Some(path)
            })
        }
        Value::Object(fields) => fields.iter().find_map(|(key, field)| {
            let mut path = any_branch(schema, root, &mut |s| {
                s.get("properties")
                    .and_then(|p| p.get(key))
                    .or_else(|| s.get("additionalProperties").filter(|a| a.is_object()))
                    .and_then(|sub| find_positional(field, sub, root))
            })?;
            path.push(Step::Key(key));
            Some(path)
        }),
        _ => None,
    }
}

/// `schema` with its `$ref` (to the document's `$defs`) followed.
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..16 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(pointer) => match pointer.strip_prefix('#').and_then(|p| root.pointer(p)) {
                Some(target) => schema = target,
                None => break,
            },
            None => break,
        }
    }
    schema
}

/// The first answer of `f` over `schema` and the subschemas it combines
/// (`allOf`, `anyOf`, `oneOf`), depth first.
fn any_branch<'a, R>(
    schema: &'a Value,
    root: &'a Value,
    f: &mut dyn FnMut(&'a Value) -> Option<R>,
) -> Option<R> {
    let schema = resolve(schema, root);
    if let Some(found) = f(schema) {
        return Some(found);
    }
    ["allOf", "anyOf", "oneOf"].iter().find_map(|key| {
        schema
            .get(*key)
            .and_then(Value::as_array)?
            .iter()
            .find_map(|sub| any_branch(sub, root, f))
    })
}

/// Whether an array may stand where `schema` is: said so by a `type`, or
/// no branch says what type it takes.
fn allows_array(schema: &Value, root: &Value) -> bool {
    let mut typed = false;
    let array = any_branch(schema, root, &mut |s| {
        let t = s.get("type")?;
        typed = true;
        let array = match t {
            Value::String(t) => t == "array",
            Value::Array(ts) => ts.iter().any(|t| t == "array"),
            _ => false,
        };
        array.then_some(())
    });
    array.is_some() || !typed
}

impl<T: DeserializeOwned + schemars::JsonSchema + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let content_type = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap_or("(not text)"));
            require_json(content_type)?;
            let bytes = read_body(&req, payload).await?;
            let parse_error = |e: serde_json::Error| {
                ApiError::invalid(format!("invalid JSON body: {e}"))
                    .with_detail(serde_json::json!({ "line": e.line(), "column": e.column() }))
            };
            // Only a body with an array in it can hold a positional struct.
            if bytes.contains(&b'[') {
                let value: Value = serde_json::from_slice(&bytes).map_err(parse_error)?;
                let schema = schema_of::<T>();
                if let Some(at) = positional(&value, &schema, &schema) {
                    return Err(ApiError::invalid(format!(
                        "invalid JSON body: an array at {at} where an object is expected"
                    ))
                    .with_detail(serde_json::json!({ "pointer": at })));
                }
                return serde_json::from_value(value)
                    .map(JsonBody)
                    .map_err(|e| ApiError::invalid(format!("invalid JSON body: {e}")));
            }
            serde_json::from_slice(&bytes)
                .map(JsonBody)
                .map_err(parse_error)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types_are_accepted_with_parameters_and_in_any_case() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/merge-patch+json",
            "application/problem+json",
        ] {
            assert!(require_json(Some(ok)).is_ok(), "{ok}");
        }
    }

    #[test]
    fn other_media_types_and_none_are_415_naming_the_accepted_ones() {
        for bad in [
            Some("text/plain"),
            Some("application/xml"),
            Some("application/x-www-form-urlencoded"),
            Some("application/+json"),
            Some("text/json"),
            Some(""),
            None,
        ] {
            let e = require_json(bad).expect_err("refused");
            assert_eq!(e.code, ErrorCode::UnsupportedMediaType, "{bad:?}");
            assert!(e.detail.contains("application/json"), "{bad:?}");
        }
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Inner {
        a: u32,
        b: Option<String>,
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Inner>,
        list: Option<Vec<Inner>>,
        tags: Option<Vec<String>>,
        map: Option<HashMap<String, Inner>>,
    }

    fn find(body: Value) -> Option<String> {
        let schema = schema_of::<Outer>();
        positional(&body, &schema, &schema)
    }

    #[test]
    fn a_struct_in_positional_form_is_found_at_any_depth() {
        use serde_json::json;
        assert_eq!(find(json!(["k", null])), Some("/".into()));
        assert_eq!(
            find(json!({"name": "k", "inner": [1, "x"]})),
            Some("/inner".into())
        );
        assert_eq!(
            find(json!({"name": "k", "list": [{"a": 1}, [2]]})),
            Some("/list/1".into())
        );
        assert_eq!(
            find(json!({"name": "k", "map": {"a/b": [1]}})),
            Some("/map/a~1b".into())
        );
    }

    #[test]
    fn real_arrays_and_objects_pass() {
        use serde_json::json;
        assert_eq!(
            find(
                json!({"name": "k", "inner": {"a": 1}, "list": [{"a": 1}], "tags": ["x"], "map": {"m": {"a": 2}}})
            ),
            None
        );
        assert_eq!(find(json!({"name": "k", "inner": null})), None);
    }
}
