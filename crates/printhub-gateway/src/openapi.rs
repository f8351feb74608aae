//! The OpenAPI 3.1 document, assembled from [`crate::ROUTES`] (the table
//! `configure` mounts) and hand-written JSON Schemas of the DTOs. Built by
//! hand rather than with a derive crate to keep the build light; a test checks
//! every mounted route is in it.

use crate::ROUTES;
use printhub_render::limits;
use serde_json::{json, Map, Value};

fn string() -> Value {
    json!({ "type": "string" })
}

/// A text field of a label ([`limits::MAX_TEXT_CHARS`]).
fn text() -> Value {
    json!({ "type": "string", "maxLength": limits::MAX_TEXT_CHARS })
}

/// A symbol payload ([`limits::MAX_PAYLOAD_CHARS`]).
fn payload() -> Value {
    json!({ "type": "string", "maxLength": limits::MAX_PAYLOAD_CHARS })
}

fn opt_string() -> Value {
    json!({ "type": ["string", "null"] })
}

fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn object(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": props })
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn array_of(name: &str) -> Value {
    json!({ "type": "array", "items": reference(name) })
}

fn schemas() -> Value {
    let states = json!({ "type": "string", "enum": ["queued", "held", "printing", "completed", "failed", "cancelled", "interrupted"] });
    let label_fields = json!({
        "content_type": { "type": "string", "enum": ["qr_only", "qr_one_line", "qr_two_lines", "qr_three_lines", "text_one_line", "text_two_lines", "qr_with_listing"] },
        "template": { "oneOf": [ string(), { "type": "object" } ] },
        "data": reference("LabelData"),
        "orientation": { "type": "string", "enum": ["landscape", "portrait"] },
        "lookup": reference("LookupRequest"),
    });
    let mut submit = label_fields.clone();
    if let Some(m) = submit.as_object_mut() {
        m.insert(
            "copies".into(),
            json!({ "type": "integer", "minimum": 1, "maximum": 999, "default": 1 }),
        );
        m.insert("options".into(), reference("PrintOptions"));
    }
    let mut preview = label_fields;
    if let Some(m) = preview.as_object_mut() {
        m.insert("printer".into(), string());
        m.insert("model".into(), string());
        m.insert("media".into(), string());
        m.insert(
            "scale".into(),
            json!({ "type": "integer", "minimum": 1, "maximum": printhub_render::MAX_SCALE, "default": 1, "description": "Pixels a dot; outside the range: 422 out_of_range" }),
        );
    }
    let scope = json!({ "type": "string", "enum": ["read", "print", "admin"] });
    let key_view = object(
        &["id", "name", "scope", "created_at"],
        json!({
            "id": string(), "name": string(), "scope": scope.clone(),
            "printers": { "type": "array", "items": string() },
            "created_at": time(), "expires_at": time(), "revoked_at": time(), "last_used_at": time(),
            "rate_limit_per_minute": { "type": "integer" },
        }),
    );
    json!({
        "Problem": object(&["type", "title", "status", "detail", "error_code"], json!({
            "type": string(), "title": string(), "status": { "type": "integer" },
            "detail": string(), "error_code": string(), "error_detail": {},
        })),
        "JobState": states,
        "JobView": object(&["id", "printer_id", "state", "copies", "copies_printed", "confirmed", "created_at", "retry_count"], json!({
            "id": { "type": "string", "format": "uuid" },
            "printer_id": { "type": "string", "format": "uuid" },
            "batch_id": { "type": "string", "format": "uuid" },
            "state": reference("JobState"),
            "content_type": string(), "template": string(),
            "copies": { "type": "integer" }, "copies_printed": { "type": "integer" },
            "confirmed": { "type": "boolean", "description": "The printer confirmed every printed copy; false on a completed job: sent, not confirmed (meaningful once copies_printed > 0)" },
            "created_at": time(), "started_at": time(), "finished_at": time(),
            "error_code": string(), "error_message": string(), "error_detail": {},
            "parent_job_id": { "type": "string", "format": "uuid" },
            "retry_count": { "type": "integer" }, "submitted_by": string(), "source_address": string(),
        })),
        "JobList": array_of("JobView"),
        "JobListView": object(&["jobs", "limit", "offset"], json!({
            "jobs": array_of("JobView"), "limit": { "type": "integer" }, "offset": { "type": "integer" },
        })),
        "StatusView": object(&["state", "reachable", "ready", "errors"], json!({
            "state": string(), "state_reason": string(),
            "offline_since": { "type": "string", "format": "date-time", "description": "When the printer went offline (offline state only)" },
            "reachable": { "type": "boolean" },
            "ready": { "type": "boolean" }, "reason": string(), "media": string(),
            "expected_media": string(), "errors": { "type": "array", "items": string() },
            "last_seen": time(), "source": string(),
        })),
        "PrinterView": object(&["id", "slug", "name", "model", "address", "state", "queue_depth", "enabled", "status"], json!({
            "id": { "type": "string", "format": "uuid" }, "slug": string(), "name": string(),
            "model": string(), "address": string(), "media": string(), "state": string(),
            "state_reason": string(),
            "offline_since": { "type": "string", "format": "date-time", "description": "When the printer went offline (offline state only; last_seen is when it last answered)" },
            "queue_depth": { "type": "integer" },
            "enabled": { "type": "boolean" }, "last_seen": time(), "status": reference("StatusView"),
        })),
        "PrinterList": array_of("PrinterView"),
        "CreatePrinterRequest": object(&["slug", "model", "media", "address"], json!({
            "id": { "type": "string", "format": "uuid" }, "slug": string(), "name": string(),
            "model": string(), "media": string(), "address": string(),
            "enabled": { "type": "boolean", "default": true }, "snmp": opt_string(),
            "snmp_community": { "type": ["string", "null"], "writeOnly": true },
        })),
        "UpdatePrinterRequest": object(&[], json!({
            "name": string(), "model": string(), "media": string(), "address": string(),
        })),
        "PrintOptions": object(&[], json!({
            "cut": { "type": "boolean", "default": true }, "half_cut": { "type": "boolean" },
            "chain": { "type": "boolean" }, "high_res": { "type": "boolean" },
        })),
        "LabelData": {
            "type": "object",
            "additionalProperties": false,
            "description": "Unknown keys are 400; values over their maxLength or maxItems are 413 payload_too_large naming the field",
            "properties": {
                "title": text(), "primary_id": text(), "qr_payload": payload(),
                "secondary": { "type": "array", "maxItems": limits::MAX_LINES, "items": text() },
                "items": { "type": "array", "maxItems": limits::MAX_LINES, "items": {
                    "type": "object", "additionalProperties": false, "required": ["item"],
                    "properties": { "item": text(), "qr_payload": payload() },
                } },
                "fields": {
                    "type": "object", "maxProperties": limits::MAX_FIELDS,
                    "propertyNames": { "maxLength": limits::MAX_NAME_CHARS },
                    "additionalProperties": text(),
                },
            },
        },
        "SubmitJobRequest": object(&[], submit),
        "BatchRequest": object(&["items"], json!({
            "items": { "type": "array", "minItems": 1, "maxItems": crate::dto::MAX_BATCH, "items": reference("SubmitJobRequest") },
        })),
        "BatchSubmittedView": object(&["batch_id", "job_ids"], json!({
            "batch_id": { "type": "string", "format": "uuid" },
            "job_ids": { "type": "array", "items": { "type": "string", "format": "uuid" } },
        })),
        "BatchView": object(&["batch_id", "jobs", "summary", "total", "all_terminal"], json!({
            "batch_id": { "type": "string", "format": "uuid" }, "jobs": array_of("JobView"),
            "summary": { "type": "object", "additionalProperties": { "type": "integer" } },
            "total": { "type": "integer" }, "all_terminal": { "type": "boolean" },
        })),
        "ClearedView": object(&["cancelled"], json!({ "cancelled": { "type": "integer" } })),
        "PreviewRequest": object(&[], preview),
        "MediaList": { "type": "array", "items": { "type": "object" } },
        "WhoAmIView": object(&["anonymous", "name", "scope"], json!({
            "anonymous": { "type": "boolean" }, "key_id": string(), "name": string(),
            "scope": scope.clone(), "printers": { "type": "array", "items": string() },
        })),
        "KeyView": key_view.clone(),
        "KeyList": array_of("KeyView"),
        "KeyCreatedView": { "allOf": [ reference("KeyView"), object(&["key"], json!({ "key": { "type": "string", "description": "The API key; shown only in this answer" } })) ] },
        "CreateKeyRequest": { "type": "object", "additionalProperties": false, "required": ["name", "scope"], "properties": {
            "name": string(), "scope": scope,
            "printers": { "type": "array", "items": string(), "description": "Printer ids or slugs the key may use (absent: all)" },
            "expires_at": time(), "rate_limit_per_minute": { "type": "integer", "minimum": 0 },
        } },
        "AuditList": object(&["items", "total", "limit", "offset"], json!({
            "items": { "type": "array", "items": object(&["id", "at", "actor", "action", "target"], json!({
                "id": { "type": "integer" }, "at": time(), "actor": string(), "action": string(),
                "target": string(), "detail": { "type": "object" },
            })) },
            "total": { "type": "integer" }, "limit": { "type": "integer" }, "offset": { "type": "integer" },
        })),
        "ModelList": { "type": "array", "items": { "type": "object" } },
        // Lookups and webhooks (issue #10).
        "App": { "type": "string", "enum": ["grocy", "snipeit", "spoolman"] },
        "LookupRequest": object(&["app", "id"], json!({
            "app": reference("App"),
            "id": { "type": "string", "description": "As typed or scanned: id, asset tag, barcode, grocycode, web+spoolman:s-<id>, app URL" },
        })),
        "LookupView": object(&["app", "id", "title", "data", "template"], json!({
            "app": reference("App"), "id": string(), "title": string(),
            "data": reference("LabelData"), "template": string(), "url": string(),
        })),
        "IntegrationList": { "type": "array", "items": object(&["app", "configured"], json!({
            "app": reference("App"), "configured": { "type": "boolean" }, "webhook": { "type": "boolean" },
        })) },
        "GrocyWebhookPayload": object(&["grocycode"], json!({
            "product": string(), "battery": string(), "chore": string(), "recipe": string(),
            "grocycode": string(), "details": { "type": "object" }, "stock_entry": { "type": "object" },
            "due_date": string(), "printer": string(), "template": string(),
        })),
        "WebhookFields": { "type": "object", "description": "title, primary_id, qr_payload, secondary, items, and any other field the template uses", "additionalProperties": {} },
    })
}

fn operation(route: &crate::RouteInfo) -> Value {
    let params: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": string() }))
        .chain(query_params(route.method, route.path))
        .collect();
    let ok = match route.response {
        None => json!({ "description": "Done" }),
        Some("text") => {
            json!({ "description": "Prometheus text exposition", "content": { "text/plain": { "schema": { "type": "string" } } } })
        }
        Some("text/event-stream") => {
            json!({ "description": "Server-sent events: `id`, `event` (job.state_changed, job.progressed, printer.state_changed, printer.status_changed, printer.media_changed, stream.reset) and one JSON `data` line each", "content": { "text/event-stream": { "schema": { "type": "string" } } } })
        }
        Some("html") => {
            json!({ "description": "An HTML page", "content": { "text/html": { "schema": { "type": "string" } } } })
        }
        Some("png") => {
            json!({ "description": "The PNG", "content": { "image/png": { "schema": { "type": "string", "contentMediaType": "image/png" } } } })
        }
        Some("object") => {
            json!({ "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } })
        }
        Some(name) => {
            json!({ "description": "OK", "content": { "application/json": { "schema": reference(name) } } })
        }
    };
    let problem = json!({ "description": "Error", "content": { "application/problem+json": { "schema": reference("Problem") } } });
    let mut op = json!({
        "summary": route.summary,
        "operationId": format!("{}_{}", route.method.to_lowercase(), route.path.trim_start_matches('/').replace(['/', '{', '}', '.'], "_")),
        "tags": [route.tag],
        "parameters": params,
        "responses": { route.status.to_string(): ok, "default": problem },
    });
    if let (Some(body), Some(m)) = (route.body, op.as_object_mut()) {
        let mut content = json!({ "application/json": { "schema": reference(body) } });
        if body == "SubmitJobRequest" {
            content["multipart/form-data"] = json!({ "schema": { "type": "object", "required": ["file"], "properties": {
                "file": { "type": "string", "contentMediaType": "image/png", "description": "A PNG or JPEG, scaled to the printable width" },
                "copies": { "type": "integer", "minimum": 1, "maximum": 999 },
                "dither": { "type": "string", "enum": ["threshold", "floyd_steinberg"] },
            } } });
        }
        // Webhooks also take form fields (Grocy without LABEL_PRINTER_HOOK_JSON).
        if route.tag == "webhooks" {
            content["application/x-www-form-urlencoded"] = json!({ "schema": reference(body) });
        }
        m.insert(
            "requestBody".into(),
            json!({ "required": true, "content": content }),
        );
    }
    if let Some(m) = op.as_object_mut() {
        match route.scope {
            Some(scope) => {
                m.insert(
                    "security".into(),
                    json!([{ "bearer": [] }, { "hubKey": [] }]),
                );
                m.insert("x-required-scope".into(), json!(scope.as_str()));
                m.insert(
                    "x-rate-limited".into(),
                    json!(crate::auth::middleware::counted(route.method, route.path)),
                );
            }
            None => {
                m.insert("security".into(), json!([]));
            }
        }
    }
    op
}

/// The query parameters a route reads.
fn query_params(method: &str, path: &str) -> Vec<Value> {
    let q = |name: &str, schema: Value, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": schema, "description": description });
    let int = || json!({ "type": "integer", "minimum": 0 });
    match (method, path) {
        ("GET", "/api/jobs") => vec![
            q("state", string(), "Only jobs in this state"),
            q("printer", string(), "Only this printer (id or slug)"),
            q("batch", string(), "Only this batch"),
            q("since", time(), "Only jobs created at or after this time"),
            q("limit", int(), "Page size (1..=500, default 50)"),
            q("offset", int(), "Jobs to skip"),
        ],
        ("GET", "/api/events") => vec![
            q("printer", string(), "Only this printer (id or slug)"),
            q("job", string(), "Only this job"),
            q("batch", string(), "Only this batch"),
            q(
                "last_event_id",
                int(),
                "Replay after this id (or send the Last-Event-ID header)",
            ),
        ],
        ("GET", "/api/admin/audit") => vec![
            q("limit", int(), "Page size (1..=500, default 50)"),
            q("offset", int(), "Rows to skip"),
        ],
        _ => Vec::new(),
    }
}

/// The OpenAPI 3.1 document of every route in [`crate::ROUTES`].
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(m) = entry.as_object_mut() {
            m.insert(route.method.to_lowercase(), operation(route));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "printhub", "version": env!("CARGO_PKG_VERSION"), "description": "Print hub for Brother label printers (design §3)." },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An API key: Authorization: Bearer phk_..." },
                "hubKey": { "type": "apiKey", "in": "header", "name": "X-Label-Hub-Key" },
            },
        },
    })
}
