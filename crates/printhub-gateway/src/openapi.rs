//! The OpenAPI 3.1 document at `/api/openapi.json`. Its paths come from
//! [`crate::ROUTES`], the table `configure` mounts; its schemas are derived
//! from the DTO types themselves with `schemars` (JSON Schema 2020-12, the
//! dialect of OpenAPI 3.1), so a field, an enum value or a
//! `deny_unknown_fields` (`additionalProperties: false`) cannot drift from
//! what the server parses and answers. Request bodies use the schemas of
//! deserialization, answers those of serialization (a field always sent is
//! `required`, answers are closed with `additionalProperties: false`).
//!
//! What a Rust type cannot say lives here, next to the DTOs that name it in
//! `#[schemars(with = ...)]` or `#[schemars(transform = ...)]`: the marker
//! types of strings with a rule (a printer key is a UUID or a slug; model,
//! media, job and printer state names, taken from the catalogues and the
//! engine), the cross-field rules of a label request ([`label_rules`],
//! [`preview_rules`]), the bounds of unsigned integers. The few bodies that
//! are not DTOs (the webhooks' open payloads, `/healthz`, `/readyz`, the
//! problem, the SSE events) are written here and checked against real
//! answers by the tests.
//!
//! Every operation lists its error responses, each with the `Problem`
//! schema narrowed to the `error_code` values it can carry (also as
//! `x-error-codes`), from the rules of [`error_codes`]; `x-problem-codes`
//! at the top is the catalogue of every [`ErrorCode`] with its status.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use printhub_core::JobState;
use schemars::generate::{Contract, SchemaGenerator, SchemaSettings};
use schemars::transform::transform_subschemas;
use schemars::{JsonSchema, Schema};
use serde_json::{json, Map, Value};

use crate::error::ErrorCode;
use crate::{RouteInfo, ROUTES};

/// Where the schemas live in the document.
const COMPONENTS: &str = "#/components/schemas/";

/// Error codes the server is gaining in parallel work, documented ahead of
/// the [`ErrorCode`] variant: `(code, status)`.
pub(crate) const PENDING_CODES: &[(&str, u16)] = &[];

/// The codes that no one route answers: the router's own (no such path, or
/// a path without that method).
pub(crate) const ROUTER_CODES: &[&str] = &["not_found", "method_not_allowed"];

fn schema(value: Value) -> Schema {
    Schema::try_from(value).unwrap_or_default()
}

/// A component reference.
fn reference(name: &str) -> Value {
    json!({ "$ref": format!("{COMPONENTS}{name}") })
}

// Marker types: strings with a rule, named by the DTOs in `#[schemars(with = ...)]`.

/// An RFC 3339 time in UTC, 1970 or later: what the server answers (with
/// milliseconds) and what it reads (`humantime`: `Z` or `+00:00` only; an
/// earlier or another offset's time is 400 `invalid_request`).
pub(crate) struct DateTime;

const DATE_TIME_PATTERN: &str = "^(19[7-9][0-9]|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\\.[0-9]+)?(Z|\\+00:00)$";

impl JsonSchema for DateTime {
    fn schema_name() -> Cow<'static, str> {
        "DateTime".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schema(json!({ "type": "string", "format": "date-time", "pattern": DATE_TIME_PATTERN }))
    }
}

/// A job state name.
pub(crate) struct JobStateName;

impl JsonSchema for JobStateName {
    fn schema_name() -> Cow<'static, str> {
        "JobState".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = JobState::ALL.iter().map(|s| s.as_str()).collect();
        schema(json!({ "type": "string", "enum": names }))
    }
}

/// Every name [`PrinterState::name`] gives (a test checks it against every state).
pub(crate) const PRINTER_STATES: [&str; 6] = [
    "idle", "printing", "paused", "stopped", "offline", "disabled",
];

/// A printer state name.
pub(crate) struct PrinterStateName;

impl JsonSchema for PrinterStateName {
    fn schema_name() -> Cow<'static, str> {
        "PrinterState".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schema(json!({ "type": "string", "enum": PRINTER_STATES }))
    }
}

/// A UUID as the server writes it (hyphenated); the server also reads the
/// other forms `uuid` parses.
const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// The slug rule of the engine's printer check (`config_check` in
/// printhub-actors): 1-64 of `a-z`, `0-9`, `-`, and not something that parses
/// as a UUID (hyphenated or 32 hex digits).
pub(crate) const SLUG_PATTERN: &str = "^[a-z0-9-]{1,64}$";
const UUID_LIKE_SLUG: &str =
    "^([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$";

/// A printer slug.
pub(crate) struct Slug;

impl JsonSchema for Slug {
    fn schema_name() -> Cow<'static, str> {
        "Slug".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schema(json!({
            "type": "string",
            "pattern": SLUG_PATTERN,
            "not": { "pattern": UUID_LIKE_SLUG },
            "description": "1-64 characters of a-z, 0-9 and -, not shaped like a UUID (else 400 invalid_request)",
        }))
    }
}

/// A printer named by id or slug.
pub(crate) struct PrinterKey;

impl JsonSchema for PrinterKey {
    fn schema_name() -> Cow<'static, str> {
        "PrinterKey".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let slug = generator.subschema_for::<Slug>();
        schema(json!({
            "description": "A printer's id or its slug",
            "anyOf": [
                { "type": "string", "format": "uuid", "pattern": UUID_PATTERN },
                slug,
            ],
        }))
    }
}

/// A model of the catalogue.
pub(crate) struct ModelName;

impl JsonSchema for ModelName {
    fn schema_name() -> Cow<'static, str> {
        "ModelName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = printhub_raster::MODELS.iter().map(|m| m.name).collect();
        schema(json!({
            "type": "string",
            "enum": names,
            "description": "A model of GET /api/models (read ignoring case and punctuation; unknown: 400 invalid_request)",
        }))
    }
}

/// A medium of the catalogue.
pub(crate) struct MediaId;

impl JsonSchema for MediaId {
    fn schema_name() -> Cow<'static, str> {
        "MediaId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let ids: Vec<&str> = printhub_raster::MEDIA.iter().map(|m| m.id).collect();
        schema(json!({
            "type": "string",
            "enum": ids,
            "description": "A medium of GET /api/media (read ignoring case; unknown: 400 invalid_request; one the model cannot take: 422 unsupported_media)",
        }))
    }
}

/// A printer's `media` setting: a medium of the catalogue, pinned, or
/// `auto` (issue #20).
pub(crate) struct PrinterMediaSetting;

impl JsonSchema for PrinterMediaSetting {
    fn schema_name() -> Cow<'static, str> {
        "PrinterMediaSetting".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut ids: Vec<&str> = printhub_raster::MEDIA.iter().map(|m| m.id).collect();
        ids.push(printhub_actors::AUTO_MEDIA);
        schema(json!({
            "type": "string",
            "enum": ids,
            "description": "A medium of GET /api/media, pinned (labels are laid out for it and a printer reporting other media stops with media_mismatch; one the model cannot take: 422 unsupported_media), or \"auto\": the medium is what the printer reports loaded (a PT over TCP, any model over USB or with an snmp agent; a printer that reports nothing: 422 media_not_reported)",
        }))
    }
}

/// The public id of an API key.
pub(crate) struct KeyId;

impl JsonSchema for KeyId {
    fn schema_name() -> Cow<'static, str> {
        "KeyId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schema(json!({
            "type": "string",
            "pattern": "^[0-9a-f]{32}$",
            "description": "The public part of an API key (`phk_<id>_<secret>`)",
        }))
    }
}

/// `template`: a built-in by name, or an inline template.
pub(crate) struct TemplateRefSchema;

impl JsonSchema for TemplateRefSchema {
    fn schema_name() -> Cow<'static, str> {
        "TemplateRef".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = printhub_render::template::BUILTIN
            .iter()
            .map(|(name, _)| *name)
            .collect();
        let inline = generator.subschema_for::<printhub_render::Template>();
        schema(json!({
            "description": "A built-in template by name (another name: 422 unknown_template), or an inline template",
            "anyOf": [{ "type": "string", "enum": names }, inline],
        }))
    }
}

// Cross-field rules.

/// `field` is given and not `null`.
fn present(field: &str) -> Value {
    json!({ "required": [field], "properties": { field: { "not": { "type": "null" } } } })
}

/// What a label field must hold for a content type to have it (`LabelData::has`).
fn filled(field: &str) -> Value {
    match field {
        "secondary" => {
            json!({ "type": "array", "minItems": 1, "prefixItems": [{ "type": "string", "minLength": 1 }] })
        }
        "items" => json!({ "type": "array", "minItems": 1 }),
        _ => json!({ "type": "string", "minLength": 1 }),
    }
}

fn push_rules(schema: &mut Schema, rules: Vec<Value>, note: &str) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    match obj.get_mut("allOf").and_then(Value::as_array_mut) {
        Some(all) => all.extend(rules),
        None => {
            obj.insert("allOf".into(), Value::Array(rules));
        }
    }
    let description = match obj.get("description").and_then(Value::as_str) {
        Some(d) => format!("{d}\n\n{note}"),
        None => note.to_string(),
    };
    obj.insert("description".into(), description.into());
}

/// The label rules of a job, batch item or preview request: `content_type`
/// xor `template` (or neither with `lookup`, which brings the item's
/// template), `lookup` xor `data` (400 `invalid_request` otherwise), and the
/// data fields each content type needs (422 `content_type_data_mismatch`).
pub(crate) fn label_rules(schema: &mut Schema) {
    let mut rules = vec![
        json!({ "not": { "allOf": [present("content_type"), present("template")] } }),
        json!({ "anyOf": [present("content_type"), present("template"), present("lookup"), present("text")] }),
        json!({ "not": { "allOf": [present("lookup"), present("data")] } }),
        // Free text (issue #24) stands alone.
        json!({ "not": { "allOf": [present("text"), { "anyOf": [
            present("content_type"), present("template"), present("data"), present("lookup"),
        ] }] } }),
    ];
    if schema
        .get("properties")
        .and_then(|p| p.get("copies"))
        .is_some()
    {
        rules.push(json!({ "not": { "allOf": [
            present("copies"),
            { "required": ["options"], "properties": { "options": present("copies") } },
        ] } }));
    }
    for ct in printhub_render::ContentType::ALL {
        let fields = ct.required();
        let props: Map<String, Value> = fields.iter().map(|f| (f.to_string(), filled(f))).collect();
        rules.push(json!({
            "if": { "required": ["content_type"], "properties": { "content_type": { "const": ct.as_str() } } },
            "then": { "anyOf": [
                present("lookup"),
                { "required": ["data"], "properties": { "data": { "type": "object", "required": fields, "properties": props } } },
            ] },
        }));
    }
    push_rules(
        schema,
        rules,
        "Exactly one of `content_type` and `template`, or neither with `lookup` (the item's template), \
         or `text` alone (a free text label); `lookup` excludes `data` (400 invalid_request otherwise). A content type needs its data fields \
         (422 content_type_data_mismatch lists the missing ones).",
    );
}

/// `a` and `b` are not both given (Label Printer Hub's name of an option
/// beside printhub's: 400 `invalid_request`).
fn not_both(a: &str, b: &str) -> Value {
    json!({ "not": { "allOf": [present(a), present(b)] } })
}

/// The options' aliases: one name of each pair.
pub(crate) fn options_rules(schema: &mut Schema) {
    let rules = vec![
        not_both("cut", "auto_cut"),
        not_both("high_res", "high_resolution"),
        not_both("chain", "last_page"),
    ];
    push_rules(
        schema,
        rules,
        "Label Printer Hub's names are read too: `auto_cut` (= `cut`), `high_resolution` (= `high_res`), \
         `last_page: false` (= `chain: true`), `copies` (= the request's `copies`); one name of each pair \
         (400 invalid_request otherwise).",
    );
}

/// `lookup`: `id`, or Label Printer Hub's `identifier`, exactly one.
pub(crate) fn lookup_rules(schema: &mut Schema) {
    let rules = vec![json!({ "oneOf": [present("id"), present("identifier")] })];
    push_rules(
        schema,
        rules,
        "Exactly one of `id` and `identifier` (Label Printer Hub's name; 400 invalid_request otherwise).",
    );
}

/// [`label_rules`] plus: `printer`, or `model` and `media` (400 otherwise).
pub(crate) fn preview_rules(schema: &mut Schema) {
    label_rules(schema);
    let rules = vec![json!({ "oneOf": [
        { "allOf": [present("printer")], "not": { "anyOf": [present("model"), present("media")] } },
        { "allOf": [present("model"), present("media")], "not": present("printer") },
    ] })];
    push_rules(
        schema,
        rules,
        "Either `printer`, or `model` and `media` (400 invalid_request otherwise).",
    );
}

// Generator-wide transforms.

/// The largest value of each unsigned format schemars writes: a larger
/// number does not parse (400).
fn unsigned_bounds(schema: &mut Schema) {
    transform_subschemas(&mut unsigned_bounds, schema);
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let max = match obj.get("format").and_then(Value::as_str) {
        Some("uint32") => json!(u32::MAX),
        Some("uint64") | Some("uint") => json!(u64::MAX),
        _ => return,
    };
    obj.entry("maximum").or_insert(max);
}

/// Answers carry no field their type does not list.
fn closed(schema: &mut Schema) {
    transform_subschemas(&mut closed, schema);
    if let Some(obj) = schema.as_object_mut() {
        if obj.contains_key("properties") && !obj.contains_key("additionalProperties") {
            obj.insert("additionalProperties".into(), false.into());
        }
    }
}

fn generator(contract: Contract) -> SchemaGenerator {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
        s.contract = contract.clone();
    });
    let settings = settings.with_transform(unsigned_bounds as fn(&mut Schema));
    match contract {
        Contract::Serialize => settings.with_transform(closed as fn(&mut Schema)),
        _ => settings,
    }
    .into_generator()
}

/// The two generators, and the component names their schemas went under.
struct Schemas {
    requests: SchemaGenerator,
    answers: SchemaGenerator,
    /// Named schemas written here (not derived).
    own: Map<String, Value>,
}

impl Schemas {
    fn new() -> Schemas {
        Schemas {
            requests: generator(Contract::Deserialize),
            answers: generator(Contract::Serialize),
            own: Map::new(),
        }
    }

    /// The schema of a request body named in [`ROUTES`].
    fn request(&mut self, name: &str) -> Value {
        let g = &mut self.requests;
        let schema = match name {
            "CreatePrinterRequest" => g.subschema_for::<crate::dto::CreatePrinterRequest>(),
            "UpdatePrinterRequest" => g.subschema_for::<crate::dto::UpdatePrinterRequest>(),
            "SubmitJobRequest" => g.subschema_for::<crate::dto::SubmitJobRequest>(),
            "BatchRequest" => g.subschema_for::<crate::dto::BatchRequest>(),
            "PreviewRequest" => g.subschema_for::<crate::dto::PreviewRequest>(),
            "LegacyPrintRequest" => g.subschema_for::<crate::compat::LegacyPrintRequest>(),
            "SpoolmanHookRequest" => {
                g.subschema_for::<crate::compat::webhook::SpoolmanHookRequest>()
            }
            "GrocyHookRequest" => g.subschema_for::<crate::compat::webhook::GrocyHookRequest>(),
            "CreateKeyRequest" => g.subschema_for::<crate::admin::CreateKeyRequest>(),
            "SaveLabelRequest" => g.subschema_for::<crate::saved::SaveLabelRequest>(),
            "GrocyWebhookPayload" => return self.own(name, grocy_payload()),
            "WebhookFields" => return self.own(name, webhook_fields()),
            other => return self.own(other, json!({ "description": "Undocumented" })),
        };
        schema.to_value()
    }

    /// The schema of an answer named in [`ROUTES`].
    fn answer(&mut self, name: &str) -> Value {
        let g = &mut self.answers;
        let schema = match name {
            "PrinterView" => g.subschema_for::<crate::dto::PrinterView>(),
            "ProbeView" => g.subschema_for::<crate::dto::ProbeView>(),
            "PrinterList" => g.subschema_for::<Vec<crate::dto::PrinterView>>(),
            "StatusView" => g.subschema_for::<crate::dto::StatusView>(),
            "JobView" => g.subschema_for::<crate::dto::JobView>(),
            "JobList" => g.subschema_for::<Vec<crate::dto::JobView>>(),
            "JobListView" => g.subschema_for::<crate::dto::JobListView>(),
            "ClearedView" => g.subschema_for::<crate::dto::ClearedView>(),
            "BatchSubmittedView" => g.subschema_for::<crate::dto::BatchSubmittedView>(),
            "BatchView" => g.subschema_for::<crate::dto::BatchView>(),
            "MediaList" => g.subschema_for::<Vec<printhub_raster::Media>>(),
            "ModelList" => g.subschema_for::<Vec<crate::dto::ModelView>>(),
            "DeviceList" => g.subschema_for::<Vec<crate::devices::DeviceView>>(),
            "WhoAmIView" => g.subschema_for::<crate::admin::WhoAmIView>(),
            "KeyList" => g.subschema_for::<Vec<crate::admin::KeyView>>(),
            "KeyView" => g.subschema_for::<crate::admin::KeyView>(),
            "KeyCreatedView" => g.subschema_for::<crate::admin::KeyCreatedView>(),
            "AuditList" => g.subschema_for::<crate::admin::AuditListView>(),
            "SavedLabelView" => g.subschema_for::<crate::saved::SavedLabelView>(),
            "SavedLabelList" => g.subschema_for::<Vec<crate::saved::SavedLabelView>>(),
            "LookupView" => g.subschema_for::<crate::lookup::LookupView>(),
            "LandingView" => g.subschema_for::<crate::lookup::landing::LandingView>(),
            "IntegrationList" => g.subschema_for::<Vec<crate::lookup::IntegrationView>>(),
            "LegacyQueuedView" => g.subschema_for::<crate::compat::LegacyQueuedView>(),
            "LegacyJobView" => g.subschema_for::<crate::compat::LegacyJobView>(),
            "LegacyResumedView" => g.subschema_for::<crate::compat::LegacyResumedView>(),
            "LegacyReadiness" => g.subschema_for::<crate::compat::LegacyReadinessView>(),
            "Health" => return self.own(name, health()),
            "Readiness" => return self.own(name, readiness()),
            other => return self.own(other, json!({ "description": "Undocumented" })),
        };
        let value = schema.to_value();
        // A list gets a name of its own, as the route table calls it.
        if value.get("$ref").is_some() {
            value
        } else {
            self.own(name, value)
        }
    }

    /// The schema of a query string (its properties become parameters).
    fn query<T: JsonSchema>(&mut self) -> Value {
        self.requests.subschema_for::<T>().to_value()
    }

    fn own(&mut self, name: &str, schema: Value) -> Value {
        self.own.insert(name.to_string(), schema);
        reference(name)
    }

    /// Every component: requests' and answers' schemas (an answer's that
    /// differs from a request's of the same name is renamed `<name>View`),
    /// then the ones written here.
    fn into_components(mut self, paths: &mut Map<String, Value>) -> Map<String, Value> {
        let mut components = self.requests.take_definitions(true);
        let answers = self.answers.take_definitions(true);
        let renamed: BTreeMap<String, String> = answers
            .iter()
            .filter(|(name, schema)| components.get(*name).is_some_and(|s| s != *schema))
            .map(|(name, _)| (name.clone(), format!("{name}View")))
            .collect();
        for (name, mut schema) in answers {
            rename_refs(&mut schema, &renamed);
            let name = renamed.get(&name).cloned().unwrap_or(name);
            components.insert(name, schema);
        }
        for (name, mut schema) in std::mem::take(&mut self.own) {
            rename_refs(&mut schema, &renamed);
            components.insert(name, schema);
        }
        // Answers in the paths point at the renamed schemas too.
        for op in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in op.values_mut() {
                if let Some(responses) = op.get_mut("responses") {
                    rename_refs(responses, &renamed);
                }
            }
        }
        components
    }
}

fn rename_refs(value: &mut Value, renamed: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                if let Some(new) = r
                    .strip_prefix(COMPONENTS)
                    .and_then(|name| renamed.get(name))
                {
                    *r = format!("{COMPONENTS}{new}");
                }
            }
            map.values_mut().for_each(|v| rename_refs(v, renamed));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

// Schemas of bodies that are not DTOs.

/// Grocy's label-printer webhook body (parsed by `printhub_lookup::grocy`).
fn grocy_payload() -> Value {
    json!({
        "type": "object",
        "description": "What Grocy posts to LABEL_PRINTER_WEBHOOK (JSON with LABEL_PRINTER_HOOK_JSON, form fields in PHP bracket notation otherwise): the item's name under one of product, battery, chore or recipe, its grocycode, and every LABEL_PRINTER_PARAMS entry as a top-level field (printer and template choose where and how it prints; the rest become template fields). Open: Grocy's payload grows between versions. One that is not a label payload is 400 invalid_request.",
        "required": ["grocycode"],
        "anyOf": [
            { "required": ["product"] }, { "required": ["battery"] },
            { "required": ["chore"] }, { "required": ["recipe"] },
        ],
        "properties": {
            "product": { "type": "string" }, "battery": { "type": "string" },
            "chore": { "type": "string" }, "recipe": { "type": "string" },
            "grocycode": { "type": "string", "pattern": "^grcy:", "description": "grcy:p:<id>[:<stock id>], grcy:b:<id>, grcy:c:<id> or grcy:r:<id>" },
            "details": { "type": "object" }, "stock_entry": { "type": "object" },
            "due_date": { "type": "string" },
            "printer": { "type": "string", "description": "The printer (id or slug); else the configured one (none: 400)" },
            "template": { "type": "string", "description": "A built-in template; else the configured one or `product`" },
        },
        "additionalProperties": true,
    })
}

/// A generic webhook's body (`label_data` in `lookup::webhook`).
fn webhook_fields() -> Value {
    let scalar = json!({ "type": ["string", "number", "boolean"] });
    json!({
        "type": "object",
        "description": "The fields of the token's template: title, primary_id, qr_payload, secondary (a string or a list), items (strings or {item, qr_payload}), and any other scalar as a template field (objects and arrays there are ignored). Open by design: a script posts what its template uses. JSON, or form fields.",
        "properties": {
            "title": scalar, "primary_id": scalar, "qr_payload": scalar,
            "secondary": { "anyOf": [scalar, { "type": "array" }, { "type": "object" }] },
            "items": { "anyOf": [scalar, { "type": "array" }, { "type": "object" }] },
        },
        "additionalProperties": true,
    })
}

/// `/healthz` (`routes::healthz`).
fn health() -> Value {
    json!({
        "type": "object", "required": ["status", "version"], "additionalProperties": false,
        "properties": { "status": { "const": "ok" }, "version": { "type": "string" } },
    })
}

/// `/readyz` (`ops::readyz`), 200 or 503.
fn readiness() -> Value {
    json!({
        "type": "object", "required": ["ready", "engine", "store", "printers"], "additionalProperties": false,
        "properties": {
            "ready": { "type": "boolean" },
            "engine": { "type": "string", "description": "`ok`, or the engine error's code" },
            "store": { "type": "string", "description": "`ok`, `unchecked`, `timeout` or the store error's code (e.g. store_read_only)" },
            "printers": { "type": "array", "items": {
                "type": "object", "required": ["slug", "state", "reachable", "ready"], "additionalProperties": false,
                "properties": {
                    "slug": reference("Slug"), "state": reference("PrinterState"),
                    "reachable": { "type": "boolean" },
                    "ready": { "type": "boolean", "description": "Disabled, or reachable" },
                },
            } },
        },
    })
}

/// The problem+json body (`error::Problem`).
fn problem() -> Value {
    json!({
        "type": "object",
        "required": ["type", "title", "status", "detail", "error_code"],
        "additionalProperties": false,
        "properties": {
            "type": { "type": "string", "format": "uri-reference", "description": "/problems/<error_code>: resolved against the hub, it explains the code" },
            "title": { "type": "string", "description": "The status's reason phrase" },
            "status": { "type": "integer", "minimum": 400, "maximum": 599 },
            "detail": { "type": "string" },
            "error_code": { "type": "string", "enum": all_codes().keys().collect::<Vec<_>>() },
            "error_detail": { "description": "Structured detail: the offending field, the missing fields, a batch item's index…" },
            "error_message": { "type": "string", "description": "`detail` again, on Label Printer Hub's old paths only (its flat error shape)" },
            "error": { "const": "printer_disabled", "description": "On Label Printer Hub's old paths only, with `slug`: its body for a disabled printer" },
            "slug": { "type": "string", "description": "The disabled printer (with `error`)" },
        },
    })
}

// The SSE events (`events::describe`, `EventLog::publish`, `events::reset_frame`).

#[derive(JsonSchema)]
#[allow(dead_code)]
struct Envelope {
    /// The event's type (as in the `event:` line).
    r#type: String,
    /// The `id:` line; 0 on a reset sent to one client.
    id: u64,
    #[schemars(with = "DateTime")]
    at: String,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
struct PrinterEnvelope {
    #[serde(flatten)]
    envelope: Envelope,
    #[schemars(with = "uuid::Uuid")]
    printer_id: String,
}

/// `job.state_changed`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct JobStateChangedEvent {
    #[serde(flatten)]
    envelope: PrinterEnvelope,
    #[schemars(with = "uuid::Uuid")]
    job_id: String,
    #[schemars(with = "Option<uuid::Uuid>")]
    batch_id: Option<String>,
    /// The state before (`null` for a new job).
    #[schemars(with = "Option<JobStateName>")]
    from: Option<String>,
    /// The state the event is about.
    #[schemars(with = "JobStateName")]
    to: String,
    /// The job, read after the change (it may already show a later state); `null` if it is gone.
    job: Option<crate::dto::JobView>,
}

/// `job.progressed`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct JobProgressedEvent {
    #[serde(flatten)]
    envelope: PrinterEnvelope,
    #[schemars(with = "uuid::Uuid")]
    job_id: String,
    #[schemars(with = "Option<uuid::Uuid>")]
    batch_id: Option<String>,
    copies_printed: u32,
    copies: u32,
}

/// `printer.state_changed`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct PrinterStateChangedEvent {
    #[serde(flatten)]
    envelope: PrinterEnvelope,
    #[schemars(with = "PrinterStateName")]
    from: String,
    #[schemars(with = "PrinterStateName")]
    to: String,
    /// Why it stopped (`stopped` only).
    reason: Option<String>,
    /// The printer now; `null` if it is gone.
    printer: Option<crate::dto::PrinterView>,
}

/// `printer.status_changed`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct PrinterStatusChangedEvent {
    #[serde(flatten)]
    envelope: PrinterEnvelope,
    /// The live status now; `null` if the printer is gone.
    status: Option<crate::dto::StatusView>,
}

/// `printer.media_changed`.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct MediaChangedEvent {
    #[serde(flatten)]
    envelope: PrinterEnvelope,
    /// The media before (`null`: none or unknown).
    from: Option<String>,
    /// The media now (`null`: none or unknown).
    to: Option<String>,
}

/// `stream.reset`: refetch state (`gap`: events were lost, or the id is from
/// another run; `lagged`: this client or the log fell behind; `revoked` /
/// `expired`: the key stopped working and the stream ends).
#[derive(JsonSchema)]
#[allow(dead_code)]
struct StreamResetEvent {
    #[serde(flatten)]
    envelope: Envelope,
    #[schemars(with = "ResetReason")]
    reason: String,
    /// The last event id this client was sent or asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_event_id: Option<u64>,
}

struct ResetReason;

impl JsonSchema for ResetReason {
    fn schema_name() -> Cow<'static, str> {
        "ResetReason".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schema(json!({ "type": "string", "enum": ["gap", "lagged", "revoked", "expired"] }))
    }
}

/// Every SSE event type with its data schema.
fn events(s: &mut Schemas) -> Value {
    let g = &mut s.answers;
    let events = [
        (
            "job.state_changed",
            g.subschema_for::<JobStateChangedEvent>(),
        ),
        ("job.progressed", g.subschema_for::<JobProgressedEvent>()),
        (
            "printer.state_changed",
            g.subschema_for::<PrinterStateChangedEvent>(),
        ),
        (
            "printer.status_changed",
            g.subschema_for::<PrinterStatusChangedEvent>(),
        ),
        (
            "printer.media_changed",
            g.subschema_for::<MediaChangedEvent>(),
        ),
        ("stream.reset", g.subschema_for::<StreamResetEvent>()),
    ];
    let map: Map<String, Value> = events
        .into_iter()
        .map(|(kind, schema)| {
            let mut schema = schema.to_value();
            // The `type` field of each event's data is its name.
            if let Some(name) = schema["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix(COMPONENTS))
            {
                let name = name.to_string();
                if let Some(Value::Object(def)) = g.definitions_mut().get_mut(&name) {
                    if let Some(Value::Object(props)) = def.get_mut("properties") {
                        props.insert("type".into(), json!({ "const": kind }));
                    }
                }
            } else {
                schema = json!({ "description": "Undocumented" });
            }
            (kind.to_string(), schema)
        })
        .collect();
    Value::Object(map)
}

// Error responses.

/// Every error code with its status: [`ErrorCode::ALL`] and [`PENDING_CODES`].
pub(crate) fn all_codes() -> BTreeMap<&'static str, u16> {
    ErrorCode::ALL
        .iter()
        .map(|c| (c.as_str(), c.status().as_u16()))
        .chain(PENDING_CODES.iter().copied())
        .chain(crate::compat::LEGACY_CODES.iter().copied())
        .collect()
}

/// The codes that answer 422 for a label that cannot be drawn or printed.
fn render_codes() -> Vec<&'static str> {
    let mut codes = vec![
        "content_type_data_mismatch",
        "unknown_content_type",
        "does_not_fit",
        "unsupported_media",
        // Laid out for a printer whose media is `auto` and that has reported none yet.
        "media_unknown",
    ];
    codes.extend(ErrorCode::ALL.iter().filter_map(|c| match c {
        ErrorCode::Unprintable(_) | ErrorCode::Unrenderable(_) => Some(c.as_str()),
        _ => None,
    }));
    codes
}

const LOOKUP_CODES: [&str; 5] = [
    "invalid_request",
    "lookup_not_found",
    "lookup_ambiguous",
    "lookup_not_configured",
    "lookup_failed",
];

/// What queues a job can be refused with.
const SUBMIT_CODES: [&str; 5] = [
    "printer_disabled",
    "queue_full",
    "duplicate_job",
    "unavailable",
    "shutting_down",
];

/// The error codes a route can answer, by what the route does: its scope
/// and rate limit (the auth middleware), its path parameters, query and
/// body (the extractors), and what its handler asks the engine.
pub(crate) fn error_codes(route: &RouteInfo) -> BTreeSet<&'static str> {
    let (method, path) = (route.method, route.path);
    let mut codes: BTreeSet<&'static str> = BTreeSet::new();
    let mut add = |list: &[&'static str]| codes.extend(list.iter().copied());
    if route.scope.is_some() {
        add(&["unauthorized", "insufficient_scope"]);
        if crate::auth::middleware::counted(method, path) {
            add(&["rate_limited"]);
        }
    }
    // Label Printer Hub's webhooks read their body as printhub's own do.
    let webhook = route.tag == "webhooks" || path.starts_with("/api/webhook/");
    if route.body.is_some() && !webhook {
        add(&[
            "invalid_request",
            "payload_too_large",
            "unsupported_media_type",
            "request_timeout",
        ]);
    }
    if webhook && method == "POST" {
        add(&["request_timeout", "rate_limited"]);
    }
    if !query_params(method, path).is_empty() {
        add(&["invalid_request"]);
    }
    if path.contains("{key}") {
        add(&["printer_not_found", "printer_not_allowed", "unavailable"]);
    }
    if path.starts_with("/api/jobs/{id}") {
        add(&[
            "invalid_request",
            "job_not_found",
            "printer_not_allowed",
            "unavailable",
        ]);
        if method == "POST" {
            add(&["not_job_owner", "invalid_job_state", "store_error"]);
        }
        if path.ends_with("/retry") {
            add(&SUBMIT_CODES);
        }
        if path.ends_with("/reprint") {
            add(&SUBMIT_CODES);
            add(&["reprint_invalid", "media_unknown", "printer_not_found"]);
        }
    }
    if route.scope.is_some() && method != "GET" {
        // Every change is stored (and audited).
        add(&["store_error"]);
    }
    match (method, path) {
        ("GET", "/api/printers") => add(&["printer_not_found", "unavailable"]),
        ("GET", "/metrics") => add(&["unavailable"]),
        ("GET", "/api/jobs") => add(&["printer_not_found", "unavailable"]),
        ("POST", "/api/printers") => add(&[
            "printer_not_allowed",
            "printer_exists",
            "unsupported_media",
            "media_not_reported",
            "address_unresolvable",
            "printer_unreachable",
            "printer_unidentified",
            "unavailable",
        ]),
        ("GET", "/api/printers/probe") => add(&[
            "printer_not_allowed",
            "address_unresolvable",
            "printer_unreachable",
            "printer_unidentified",
            "unavailable",
        ]),
        ("PATCH", "/api/printers/{key}") => add(&[
            "unsupported_media",
            "media_not_reported",
            "address_unresolvable",
        ]),
        ("DELETE", "/api/printers/{key}") => add(&["printer_busy"]),
        ("POST", "/api/printers/{key}/jobs") | ("POST", "/api/print/{key}/batch") => {
            if path == "/api/print/{key}/batch" {
                add(&["printer_slug_mismatch"]);
            }
            add(&["overloaded"]);
            add(&SUBMIT_CODES);
            add(&render_codes());
            add(&LOOKUP_CODES);
        }
        ("POST", "/api/render/preview") => {
            add(&["out_of_range", "overloaded", "rate_limited"]);
            add(&render_codes());
            add(&LOOKUP_CODES);
            add(&["printer_not_found", "printer_not_allowed", "unavailable"]);
        }
        ("POST", "/api/webhook/spoolman") | ("POST", "/api/webhook/grocy") => {
            add(&[
                "unauthorized",
                crate::compat::webhook::VALIDATION_ERROR,
                "payload_too_large",
                "overloaded",
                "printer_not_found",
            ]);
            add(&SUBMIT_CODES);
            add(&render_codes());
            add(&[
                "lookup_not_found",
                "lookup_ambiguous",
                "lookup_not_configured",
                "lookup_failed",
            ]);
        }
        ("GET", "/api/batches/{id}") => add(&["invalid_request", "batch_not_found", "unavailable"]),
        ("GET", "/api/events") => add(&[
            "printer_not_found",
            "job_not_found",
            "printer_not_allowed",
            "too_many_subscribers",
            "unavailable",
        ]),
        ("GET", "/api/admin/keys") | ("GET", "/api/admin/audit") => {
            add(&["printer_not_allowed", "store_error"])
        }
        ("POST", "/api/admin/keys") => {
            add(&["printer_not_allowed", "printer_not_found", "unavailable"])
        }
        ("DELETE", "/api/admin/keys/{id}") => add(&["printer_not_allowed", "key_not_found"]),
        // Saved labels (issue #24): the store is read even by GETs, and
        // without a store the routes answer `unavailable`.
        ("GET", "/api/saved-labels") => add(&["store_error", "unavailable"]),
        ("GET", "/api/saved-labels/{id}") | ("DELETE", "/api/saved-labels/{id}") => add(&[
            "invalid_request",
            "saved_label_not_found",
            "printer_not_allowed",
            "store_error",
            "unavailable",
        ]),
        ("POST", "/api/saved-labels") | ("PUT", "/api/saved-labels/{id}") => {
            if method == "PUT" {
                add(&["saved_label_not_found"]);
            }
            // Checked as a submission is, without drawing: no media, no fit.
            add(&[
                "saved_label_exists",
                "printer_not_found",
                "printer_not_allowed",
                "content_type_data_mismatch",
                "unknown_content_type",
                "unknown_template",
                "payload_too_large",
                "out_of_range",
                "unavailable",
            ]);
        }
        ("GET", "/api/lookup/{app}/{id}") => add(&LOOKUP_CODES),
        ("GET", "/api/landing/{app}/{id}") => {
            add(&["unauthorized", "unavailable"]);
            add(&LOOKUP_CODES);
        }
        ("POST", "/api/webhooks/grocy/{token}") | ("POST", "/api/webhooks/{token}") => {
            add(&[
                "unauthorized",
                "invalid_request",
                "payload_too_large",
                "printer_not_found",
                "store_error",
            ]);
            add(&SUBMIT_CODES);
            add(&render_codes());
        }
        ("OPTIONS", "/api/webhooks/grocy/{token}") => {
            add(&["unauthorized", "origin_not_allowed", "invalid_request"])
        }
        ("POST", "/print") => {
            add(&["printer_not_found", "printer_disabled", "overloaded"]);
            add(&SUBMIT_CODES);
            add(&render_codes());
            add(&LOOKUP_CODES);
        }
        ("GET", "/jobs/{id}") => add(&["job_not_found", "printer_not_allowed", "unavailable"]),
        ("POST", "/jobs/{id}/resume") => add(&[
            "job_not_found",
            "printer_not_allowed",
            "not_job_owner",
            "invalid_state",
            "invalid_job_state",
            "printer_not_found",
            "unavailable",
        ]),
        ("POST", "/printer/resume") => add(&[
            "printer_not_found",
            "printer_disabled",
            "already_active",
            "unavailable",
        ]),
        _ => {}
    }
    // Label Printer Hub's old paths answer in its vocabulary.
    if crate::compat::is_legacy(path) {
        codes = codes.into_iter().map(crate::compat::legacy_code).collect();
    }
    codes
}

/// The error responses of a route: one per status, each with its codes.
fn error_responses(route: &RouteInfo) -> Map<String, Value> {
    let statuses = all_codes();
    let mut by_status: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for code in error_codes(route) {
        let status = statuses.get(code).copied().unwrap_or(500);
        by_status.entry(status).or_default().push(code);
    }
    // Any route can meet a defect.
    by_status.entry(500).or_default().push("internal_error");
    by_status
        .into_iter()
        .map(|(status, mut codes)| {
            codes.sort_unstable();
            codes.dedup();
            let mut response = json!({
                "description": codes.join(", "),
                "x-error-codes": codes,
                "content": { "application/problem+json": { "schema": {
                    "$ref": format!("{COMPONENTS}Problem"),
                    "properties": { "status": { "const": status }, "error_code": { "enum": codes } },
                } } },
            });
            match status {
                401 => {
                    response["headers"] = json!({ "WWW-Authenticate": { "schema": { "type": "string" }, "description": "Bearer realm=\"printhub\" (credentials) " } })
                }
                429 => {
                    response["headers"] = json!({
                        "Retry-After": { "schema": { "type": "integer", "minimum": 0 }, "description": "Seconds to wait (rate_limited, too_many_subscribers)" },
                        "RateLimit-Limit": { "schema": { "type": "integer", "minimum": 0 }, "description": "rate_limited: mutations allowed a minute (draft-ietf-httpapi-ratelimit-headers)" },
                        "RateLimit-Remaining": { "schema": { "type": "integer", "minimum": 0 }, "description": "rate_limited: 0" },
                        "RateLimit-Reset": { "schema": { "type": "integer", "minimum": 0 }, "description": "rate_limited: seconds until the next mutation is allowed (as Retry-After)" },
                    })
                }
                _ => {}
            }
            (status.to_string(), response)
        })
        .collect()
}

// Operations.

/// A path parameter's schema.
fn path_param(path: &str, name: &str) -> Value {
    match (name, path) {
        ("key", _) => reference("PrinterKey"),
        ("app", _) => reference("App"),
        ("id", p) if p.starts_with("/api/jobs/") || p.starts_with("/api/batches/") => {
            json!({ "type": "string", "format": "uuid", "pattern": UUID_PATTERN })
        }
        ("id", "/api/admin/keys/{id}") => reference("KeyId"),
        ("id", "/api/saved-labels/{id}") => {
            json!({ "type": "string", "format": "uuid", "pattern": UUID_PATTERN })
        }
        ("id", "/api/lookup/{app}/{id}") | ("id", "/api/landing/{app}/{id}") => {
            json!({ "type": "string", "description": "As typed or scanned: id, asset tag, barcode, grocycode, web+spoolman:s-<id>, the item's URL" })
        }
        ("token", _) => {
            json!({ "type": "string", "description": "The webhook's token (the credential; a wrong one is 401)" })
        }
        _ => json!({ "type": "string" }),
    }
}

/// The query string a route reads, as its DTO's schema.
fn query_schema(s: &mut Schemas, method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        ("GET", "/api/printers") => Some(s.query::<crate::dto::PrintersQuery>()),
        ("GET", "/api/jobs") => Some(s.query::<crate::dto::JobsQuery>()),
        ("GET", "/api/events") => Some(s.query::<crate::events::EventsQuery>()),
        ("GET", "/api/admin/audit") => Some(s.query::<crate::admin::AuditQuery>()),
        ("GET", "/api/printers/probe") => Some(s.query::<crate::dto::ProbeQuery>()),
        _ => None,
    }
}

/// The names of the query parameters a route reads (for [`error_codes`]).
fn query_params(method: &str, path: &str) -> &'static [&'static str] {
    match (method, path) {
        ("GET", "/api/jobs") => &[
            "state",
            "printer",
            "printer_id",
            "batch",
            "since",
            "limit",
            "offset",
        ],
        ("GET", "/api/events") => &["printer", "printer_id", "job", "batch", "last_event_id"],
        ("GET", "/api/admin/audit") => &["limit", "offset"],
        ("GET", "/api/printers/probe") => &["address", "snmp", "snmp_community"],
        _ => &[],
    }
}

/// A nullable schema without its `null` (query parameters are absent, never null).
fn non_null(schema: &Value) -> Value {
    let mut out = schema.clone();
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        let rest: Vec<&Value> = any.iter().filter(|s| s["type"] != "null").collect();
        if rest.len() == 1 && any.len() == 2 {
            out = rest[0].clone();
            if let (Some(d), Some(m)) = (schema.get("description"), out.as_object_mut()) {
                m.insert("description".into(), d.clone());
            }
            return out;
        }
    }
    if let Some(types) = schema.get("type").and_then(Value::as_array) {
        let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        out["type"] = match rest.as_slice() {
            [one] => one.clone(),
            _ => Value::Array(rest),
        };
    }
    out
}

fn parameters(s: &mut Schemas, route: &RouteInfo) -> Vec<Value> {
    let mut params: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": path_param(route.path, name) }))
        .collect();
    if let Some(query) = query_schema(s, route.method, route.path) {
        let definitions = s.requests.definitions();
        let resolved = query["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix(COMPONENTS))
            .and_then(|name| definitions.get(name))
            .unwrap_or(&query);
        if let Some(props) = resolved["properties"].as_object() {
            for (name, schema) in props {
                let mut bounded = Schema::try_from(non_null(schema)).unwrap_or_default();
                unsigned_bounds(&mut bounded);
                let mut schema = bounded.to_value();
                let description = schema
                    .as_object_mut()
                    .and_then(|m| {
                        m.remove("default");
                        m.remove("description")
                    })
                    .unwrap_or_else(|| json!(""));
                let required = resolved["required"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|n| n == name.as_str()));
                params.push(json!({ "name": name, "in": "query", "required": required, "schema": schema, "description": description }));
            }
        }
    }
    if route.path.starts_with("/api/webhook/") {
        params.push(json!({
            "name": crate::compat::webhook::API_KEY_HEADER, "in": "header", "required": true,
            "schema": { "type": "string" },
            "description": "The webhook key ([compat] webhook_key, PRINTER_HUB_WEBHOOK_API_KEY); wrong or missing: 401",
        }));
    }
    if route.path == "/api/events" {
        params.push(json!({
            "name": "Last-Event-ID", "in": "header", "required": false,
            "schema": { "type": "string", "pattern": "^\\s*[0-9]+\\s*$" },
            "description": "Replay the buffered events after this id (wins over last_event_id; not a number: 400)",
        }));
    }
    params
}

fn success(s: &mut Schemas, route: &RouteInfo) -> Value {
    let json_body = |schema: Value| json!({ "description": "OK", "content": { "application/json": { "schema": schema } } });
    match (route.path, route.response) {
        ("/healthz", _) => json_body(s.answer("Health")),
        ("/readyz", _) => json_body(s.answer("Readiness")),
        (_, None) => json!({ "description": "Done" }),
        (_, Some("text")) => {
            json!({ "description": "Prometheus text exposition", "content": { "text/plain": { "schema": { "type": "string" } } } })
        }
        (_, Some("text/event-stream")) => {
            let events = events(s);
            json!({
                "description": "Server-sent events: a `retry:` line, then per event an `id:` line, an `event:` line with its type and one JSON `data:` line (the schema of each type is in `x-events`); a `: heartbeat` comment every 15 s. A `stream.reset` has no `id:` line when it is meant for this client only.",
                "content": { "text/event-stream": {
                    "schema": { "type": "string" },
                    "x-events": events,
                } },
            })
        }
        (_, Some("html")) => {
            json!({ "description": "An HTML page", "content": { "text/html": { "schema": { "type": "string" } } } })
        }
        (_, Some("png")) => {
            json!({ "description": "The PNG", "content": { "image/png": { "schema": { "type": "string", "contentMediaType": "image/png" } } } })
        }
        (_, Some("object")) => json_body(json!({ "type": "object" })),
        (_, Some(name)) => json_body(s.answer(name)),
    }
}

fn operation(s: &mut Schemas, route: &RouteInfo) -> Value {
    let mut responses = error_responses(route);
    responses.insert(route.status.to_string(), success(s, route));
    if route.path == "/readyz" {
        responses.insert(
            "503".into(),
            json!({ "description": "Not ready: what failed", "content": { "application/json": { "schema": reference("Readiness") } } }),
        );
    }
    if route.path == "/readiness" {
        responses.insert(
            "503".into(),
            json!({ "description": "not-ready: the store or the engine fails", "content": { "application/json": { "schema": reference("LegacyReadinessView") } } }),
        );
    }
    let mut op = json!({
        "summary": route.summary,
        "operationId": format!("{}_{}", route.method.to_lowercase(), route.path.trim_start_matches('/').replace(['/', '{', '}', '.'], "_")),
        "tags": [route.tag],
        "parameters": parameters(s, route),
        "responses": responses,
    });
    if let Some(body) = route.body {
        let schema = s.request(body);
        let mut content = json!({ "application/json": { "schema": schema } });
        if body == "SubmitJobRequest" {
            content["multipart/form-data"] = json!({ "schema": {
                "type": "object", "required": ["file"], "additionalProperties": false,
                "properties": {
                    "file": { "type": "string", "contentMediaType": "image/png", "description": "A PNG or JPEG, scaled to the printable width" },
                    "copies": { "type": "integer", "minimum": 1, "maximum": printhub_core::MAX_COPIES },
                    "dither": reference("Dither"),
                },
            } });
            let _ = s.requests.subschema_for::<printhub_render::Dither>();
        }
        // The print form's image upload previews through the same route (issue #24).
        if body == "PreviewRequest" {
            content["multipart/form-data"] = json!({ "schema": {
                "type": "object", "required": ["file", "printer"], "additionalProperties": false,
                "properties": {
                    "file": { "type": "string", "contentMediaType": "image/png", "description": "A PNG or JPEG, scaled to the printable width as an upload to the job route is" },
                    "printer": { "type": "string", "description": "The printer's id or slug" },
                    "dither": reference("Dither"),
                },
            } });
            let _ = s.requests.subschema_for::<printhub_render::Dither>();
        }
        // Webhooks also take form fields (Grocy without LABEL_PRINTER_HOOK_JSON).
        if route.tag == "webhooks" {
            content["application/x-www-form-urlencoded"] = json!({ "schema": reference(body) });
        }
        op["requestBody"] = json!({ "required": true, "content": content });
    }
    match route.scope {
        Some(scope) => {
            let counted = crate::auth::middleware::counted(route.method, route.path);
            op["security"] = json!([{ "bearer": [] }, { "hubKey": [] }]);
            op["x-required-scope"] = json!(scope.as_str());
            op["x-rate-limited"] = json!(counted);
            if counted {
                op["responses"][route.status.to_string()]["headers"] = json!({
                    "RateLimit-Limit": { "schema": { "type": "integer", "minimum": 0 }, "description": "Mutations the caller may make a minute (absent when it has no limit)" },
                    "RateLimit-Remaining": { "schema": { "type": "integer", "minimum": 0 }, "description": "Mutations the caller may still make at once" },
                    "RateLimit-Reset": { "schema": { "type": "integer", "minimum": 0 }, "description": "Seconds until the caller's whole burst is available again" },
                });
            }
        }
        None => op["security"] = json!([]),
    }
    op
}

/// The catalogue of every error code: status and the routes' common meaning.
fn problem_codes() -> Value {
    let map: Map<String, Value> = all_codes()
        .into_iter()
        .map(|(code, status)| {
            let mut entry = json!({ "status": status });
            if ROUTER_CODES.contains(&code) {
                entry["description"] = json!("Answered by the router for any path: no such route (not_found), or not for this method (method_not_allowed)");
            }
            (code.to_string(), entry)
        })
        .collect();
    Value::Object(map)
}

/// The OpenAPI 3.1 document of every route in [`crate::ROUTES`].
pub fn document() -> Value {
    let mut s = Schemas::new();
    let mut paths = Map::new();
    for route in ROUTES {
        let op = operation(&mut s, route);
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(m) = entry.as_object_mut() {
            m.insert(route.method.to_lowercase(), op);
        }
    }
    s.own.insert("Problem".into(), problem());
    let schemas = s.into_components(&mut paths);
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": { "title": "printhub", "version": env!("CARGO_PKG_VERSION"), "description": "Print hub for Brother label printers (design §3)." },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API key: Authorization: Bearer phk_..." },
                "hubKey": { "type": "apiKey", "in": "header", "name": "X-Label-Hub-Key" },
            },
        },
        "x-problem-codes": problem_codes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use printhub_core::PrinterState;

    #[test]
    fn the_printer_states_are_every_name_the_engine_gives() {
        // The match fails to compile when a state is added; the list then needs it.
        fn name_listed(state: &PrinterState) -> bool {
            match state {
                PrinterState::Idle
                | PrinterState::Printing
                | PrinterState::Paused
                | PrinterState::Stopped { .. }
                | PrinterState::Offline { .. }
                | PrinterState::Disabled => PRINTER_STATES.contains(&state.name()),
            }
        }
        let states = [
            PrinterState::Idle,
            PrinterState::Printing,
            PrinterState::Paused,
            PrinterState::Stopped {
                reason: "cover_open".into(),
            },
            PrinterState::Offline {
                since: printhub_core::Timestamp::EPOCH,
            },
            PrinterState::Disabled,
        ];
        assert!(states.iter().all(name_listed));
        assert_eq!(states.len(), PRINTER_STATES.len());
    }
}
