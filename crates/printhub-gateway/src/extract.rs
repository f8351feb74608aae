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
//! is 400 naming its JSON pointer. The schema is compiled once per type
//! into a [`Shape`] (what each property and array item may be, `$ref`s and
//! `allOf`/`anyOf`/`oneOf` resolved), so a request's walk looks up only the
//! keys it holds (every batch is walked: issue #17).

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

/// The compiled [`Shape`] of `T`'s JSON Schema, made once per type.
fn shape_of<T: schemars::JsonSchema + 'static>() -> Arc<Shape> {
    static SHAPES: OnceLock<RwLock<HashMap<TypeId, Arc<Shape>>>> = OnceLock::new();
    let shapes = SHAPES.get_or_init(Default::default);
    let id = TypeId::of::<T>();
    if let Some(shape) = shapes.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return Arc::clone(shape);
    }
    let schema = schemars::schema_for!(T).to_value();
    let shape = Arc::new(Shape::compile(&schema));
    shapes
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, Arc::clone(&shape));
    shape
}

/// Where a JSON Schema lets arrays stand, as a graph of nodes (one per
/// schema reached, so recursive types are cycles, not endless trees).
///
/// A node is a schema with its `$ref` followed, together with every
/// subschema it combines (`allOf`, `anyOf`, `oneOf`, depth first): its
/// *branches*. An array may stand at a node when a branch's `type` says
/// `array`, or no branch has a `type`. A value is positional when an array
/// stands at a node that takes none, or an item, property or additional
/// property is positional under any branch's schema for it (in branch
/// order: the first found is reported).
#[derive(Debug)]
struct Shape {
    nodes: Vec<Node>,
}

#[derive(Debug, Default)]
struct Node {
    array_ok: bool,
    /// The branches' `items` schemas.
    items: Vec<usize>,
    /// For each key some branch's `properties` name: per branch, its
    /// schema for the key, else its `additionalProperties` (an object).
    fields: HashMap<String, Vec<usize>>,
    /// For any other key: the branches' `additionalProperties` objects.
    other: Vec<usize>,
}

impl Shape {
    fn compile(root: &Value) -> Shape {
        let mut shape = Shape { nodes: Vec::new() };
        let mut seen = HashMap::new();
        shape.node(root, root, &mut seen);
        shape
    }

    /// The node of `schema`, compiled on first sight (keyed by the
    /// address of the resolved schema inside `root`).
    fn node(&mut self, schema: &Value, root: &Value, seen: &mut HashMap<usize, usize>) -> usize {
        let schema = resolve(schema, root);
        let key = std::ptr::from_ref(schema) as usize;
        if let Some(&id) = seen.get(&key) {
            return id;
        }
        let id = self.nodes.len();
        self.nodes.push(Node::default());
        seen.insert(key, id);
        let mut branches = Vec::new();
        collect_branches(schema, root, &mut branches);
        // An array may stand here when a branch's `type` says so, or no
        // branch has a `type` (as `allows_array` reads it).
        let types: Vec<&Value> = branches.iter().filter_map(|b| b.get("type")).collect();
        let array_ok = types.is_empty()
            || types.iter().any(|t| match t {
                Value::String(t) => t == "array",
                Value::Array(ts) => ts.iter().any(|t| t == "array"),
                _ => false,
            });
        let mut items = Vec::new();
        let mut keys: Vec<&String> = Vec::new();
        for &branch in &branches {
            if let Some(i) = branch.get("items") {
                items.push(self.node(i, root, seen));
            }
            for key in branch
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|p| p.keys())
            {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        let mut fields = HashMap::new();
        for key in keys {
            let mut subs = Vec::new();
            for &branch in &branches {
                let sub = branch
                    .get("properties")
                    .and_then(|p| p.get(key))
                    .or_else(|| additional(branch));
                if let Some(sub) = sub {
                    subs.push(self.node(sub, root, seen));
                }
            }
            fields.insert(key.clone(), subs);
        }
        let mut other = Vec::new();
        for &branch in &branches {
            if let Some(sub) = additional(branch) {
                other.push(self.node(sub, root, seen));
            }
        }
        self.nodes[id] = Node {
            array_ok,
            items,
            fields,
            other,
        };
        id
    }

    /// The JSON pointer of the first array in `value` that stands where
    /// the schema takes only an object, if any.
    fn positional(&self, value: &Value) -> Option<String> {
        let path = self.find(value, 0)?;
        Some(pointer(&path))
    }

    /// The path to the first positional array under `node`, innermost step
    /// first. Nothing is allocated for a value without one.
    fn find<'v>(&self, value: &'v Value, node: usize) -> Option<Vec<Step<'v>>> {
        let node = self.nodes.get(node)?;
        match value {
            Value::Array(items) => {
                if !node.array_ok {
                    return Some(Vec::new());
                }
                items.iter().enumerate().find_map(|(i, item)| {
                    let mut path = node.items.iter().find_map(|&n| self.find(item, n))?;
                    path.push(Step::Index(i));
                    Some(path)
                })
            }
            Value::Object(fields) => fields.iter().find_map(|(key, field)| {
                let subs = node.fields.get(key.as_str()).unwrap_or(&node.other);
                let mut path = subs.iter().find_map(|&n| self.find(field, n))?;
                path.push(Step::Key(key));
                Some(path)
            }),
            _ => None,
        }
    }
}

/// A schema's `additionalProperties` when it is a schema (an object), not
/// a yes or no.
fn additional(branch: &Value) -> Option<&Value> {
    branch.get("additionalProperties").filter(|a| a.is_object())
}

/// `schema` (resolved) and the subschemas it combines, depth first, each
/// resolved: the branches the schema walk visits (depth first), in its order.
fn collect_branches<'a>(schema: &'a Value, root: &'a Value, out: &mut Vec<&'a Value>) {
    let schema = resolve(schema, root);
    // A branch seen already (a cycle, or two paths to one schema) adds
    // nothing: the walk has no side effects.
    if out.iter().any(|b| std::ptr::eq(*b, schema)) {
        return;
    }
    out.push(schema);
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_branches(sub, root, out);
        }
    }
}

/// A path gathered innermost step first, as a JSON pointer (`/` for the
/// whole document).
fn pointer(path: &[Step<'_>]) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let mut pointer = String::new();
    for step in path.iter().rev() {
        pointer.push('/');
        match step {
            Step::Index(i) => pointer.push_str(&i.to_string()),
            Step::Key(k) => pointer.push_str(&k.replace('~', "~0").replace('/', "~1")),
        }
    }
    pointer
}

/// One step of a JSON pointer.
enum Step<'v> {
    Index(usize),
    Key(&'v str),
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
                if let Some(at) = shape_of::<T>().positional(&value) {
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

    /// A recursive type (its schema refers to itself) whose two fields
    /// reach one schema by two paths.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Tree {
        name: String,
        left: Option<Box<Tree>>,
        right: Option<Box<Tree>>,
        children: Option<Vec<Tree>>,
        leaf: Option<Inner>,
        spare: Option<Inner>,
    }

    fn find(body: Value) -> Option<String> {
        shape_of::<Outer>().positional(&body)
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

    /// The walk over the schema itself, as it was before [`Shape`]: what
    /// the compiled walk must agree with.
    fn reference(value: &Value, schema: &Value) -> Option<String> {
        fn walk<'v>(value: &'v Value, schema: &Value, root: &Value) -> Option<Vec<Step<'v>>> {
            let schema = resolve(schema, root);
            match value {
                Value::Array(items) => {
                    if !allows_array(schema, root) {
                        return Some(Vec::new());
                    }
                    items.iter().enumerate().find_map(|(i, item)| {
                        let mut path = any_branch(schema, root, &mut |s| {
                            s.get("items").and_then(|items| walk(item, items, root))
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
                            .and_then(|sub| walk(field, sub, root))
                    })?;
                    path.push(Step::Key(key));
                    Some(path)
                }),
                _ => None,
            }
        }
        walk(value, schema, schema).map(|path| pointer(&path))
    }

    /// Random JSON built from the keys `schema` names anywhere (so the
    /// walk goes deep), plus one it does not.
    fn values(schema: &Value) -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        fn keys_of(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::Object(props)) = m.get("properties") {
                        out.extend(props.keys().cloned());
                    }
                    m.values().for_each(|v| keys_of(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| keys_of(v, out)),
                _ => {}
            }
        }
        let mut keys = vec!["unknown".to_owned()];
        keys_of(schema, &mut keys);
        keys.sort();
        keys.dedup();
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            "[a-z]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 48, 6, move |inner| {
            let keys = keys.clone();
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((proptest::sample::select(keys), inner), 0..5)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn agree<T: schemars::JsonSchema + 'static>(value: &Value) {
        let schema = schemars::schema_for!(T).to_value();
        assert_eq!(
            shape_of::<T>().positional(value),
            reference(value, &schema),
            "{value}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        #[test]
        fn the_compiled_walk_agrees_with_the_schema_walk_on_test_types(
            value in values(&schemars::schema_for!(Outer).to_value())
        ) {
            agree::<Outer>(&value);
        }

        #[test]
        fn the_compiled_walk_agrees_with_the_schema_walk_on_a_recursive_type(
            value in values(&schemars::schema_for!(Tree).to_value())
        ) {
            agree::<Tree>(&value);
        }

        #[test]
        fn the_compiled_walk_agrees_with_the_schema_walk_on_batches(
            value in values(&schemars::schema_for!(crate::dto::BatchRequest).to_value())
        ) {
            agree::<crate::dto::BatchRequest>(&value);
        }

        #[test]
        fn the_compiled_walk_agrees_with_the_schema_walk_on_printers(
            value in values(&schemars::schema_for!(crate::dto::CreatePrinterRequest).to_value())
        ) {
            agree::<crate::dto::CreatePrinterRequest>(&value);
        }

        #[test]
        fn the_compiled_walk_agrees_with_the_schema_walk_on_saved_labels(
            value in values(&schemars::schema_for!(crate::saved::SaveLabelRequest).to_value())
        ) {
            agree::<crate::saved::SaveLabelRequest>(&value);
        }
    }

    #[test]
    fn a_positional_struct_deep_in_a_recursive_type_is_found() {
        use serde_json::json;
        let body = json!({"name": "a", "left": {"name": "b", "children": [
            {"name": "c"}, {"name": "d", "right": {"name": "e", "leaf": [1, null]}}
        ]}});
        assert_eq!(
            shape_of::<Tree>().positional(&body).as_deref(),
            Some("/left/children/1/right/leaf")
        );
        let fine = json!({"name": "a", "left": {"name": "b", "children": [{"name": "c"}]}});
        assert_eq!(shape_of::<Tree>().positional(&fine), None);
    }

    #[test]
    fn a_positional_item_deep_in_a_batch_is_found() {
        use serde_json::json;
        let body = json!({"items": [
            {"content_type": "text", "data": {"text": "a"}},
            {"content_type": "text", "options": ["x"], "data": {"text": "b"}}
        ]});
        let found = shape_of::<crate::dto::BatchRequest>().positional(&body);
        let schema = schemars::schema_for!(crate::dto::BatchRequest).to_value();
        assert_eq!(found, reference(&body, &schema));
        assert_eq!(found.as_deref(), Some("/items/1/options"));
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
