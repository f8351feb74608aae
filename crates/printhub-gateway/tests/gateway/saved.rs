//! Saved labels (issue #24): save, list, read, replace and delete over HTTP,
//! each change audited; every bad input answers its status, code and field
//! and saves nothing (malformed JSON, no name, a name too long or taken in
//! another case, an unknown layout, missing fields, a lookup, an unknown
//! id); a read key may not save and a key limited to one printer neither
//! saves for nor sees another printer's labels.

use crate::support::*;
use actix_web::test::{call_service, TestRequest};
use printhub_gateway::auth::NewKey;
use printhub_gateway::{Auth, AuthConfig, SavedLabels, Scope};
use printhub_store::{Store, StoreConfig};
use serde_json::{json, Value};
use std::sync::Arc;

/// Auth and saved labels over one in-memory store (keys only: no anonymous access).
fn auth_and_labels() -> (Auth, SavedLabels, Arc<Store>) {
    let store = Arc::new(Store::open_in_memory(StoreConfig::default()).expect("store"));
    let auth = Auth::open(
        AuthConfig {
            anonymous: None,
            rate_limit_per_minute: 600,
            ..AuthConfig::default()
        },
        Arc::clone(&store),
    )
    .expect("auth");
    (auth, SavedLabels::new(Arc::clone(&store)), store)
}

macro_rules! saved_app {
    ($hub:expr, $auth:expr, $labels:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data(actix_web::web::Data::new($hub.clone()))
                .app_data(actix_web::web::Data::new($auth.clone()))
                .app_data(actix_web::web::Data::new($labels.clone()))
                .app_data(actix_web::web::Data::new(printhub_gateway::GatewayConfig {
                    body_limit: BODY_LIMIT,
                }))
                .configure(printhub_gateway::configure),
        )
        .await
    };
}

fn key(auth: &Auth, scope: Scope, printers: Option<Vec<printhub_core::PrinterId>>) -> String {
    auth.create_key(
        NewKey {
            name: format!("{} key", scope.as_str()),
            scope,
            printers,
            expires_at: None,
            rate_limit_per_minute: None,
        },
        "test",
    )
    .expect("key")
    .1
}

fn bearer(key: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {key}"))
}

fn label_request(id: &str) -> Value {
    json!({
        "content_type": "qr_one_line",
        "data": { "primary_id": id, "qr_payload": "https://example.invalid/box" },
        "copies": 2,
        "options": { "cut": false },
    })
}

async fn call<S>(
    app: &S,
    key: &str,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (u16, String, Value)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = TestRequest::default()
        .method(method)
        .uri(uri)
        .insert_header(bearer(key));
    if let Some(body) = body {
        req = req.set_json(body);
    }
    parts(call_service(app, req.to_request()).await).await
}

/// The names of the labels `key` sees.
async fn names<S>(app: &S, key: &str) -> Vec<String>
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let (status, _, list) = call(app, key, "GET", "/api/saved-labels", None).await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .expect("a list")
        .iter()
        .map(|l| l["name"].as_str().expect("name").to_string())
        .collect()
}

#[actix::test]
async fn a_label_is_saved_listed_read_replaced_and_deleted_and_each_change_audited() {
    let (hub, _) = hub().await;
    let (auth, labels, store) = auth_and_labels();
    let app = saved_app!(hub, auth, labels);
    let print = key(&auth, Scope::Print, None);
    let admin = key(&auth, Scope::Admin, None);
    let pt = hub.printer("pt").await.expect("pt").id.to_string();

    let body =
        json!({ "name": "  Shelf 7 ", "printer": "pt", "request": label_request("SHELF-7") });
    let (status, _, created) = call(&app, &print, "POST", "/api/saved-labels", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["name"], "Shelf 7", "trimmed");
    assert_eq!(created["printer_id"], pt.as_str());
    assert_eq!(created["request"], label_request("SHELF-7"), "kept as sent");
    assert!(created["created_by"]
        .as_str()
        .expect("by")
        .starts_with("key:"));
    assert_eq!(created["created_at"], created["updated_at"]);
    // For any printer, and a name sorted before it whatever its case.
    let any = json!({ "name": "box", "request": { "text": { "lines": ["Box", "12"] } } });
    let (status, _, any_label) = call(&app, &print, "POST", "/api/saved-labels", Some(any)).await;
    assert_eq!(status, 201, "{any_label}");
    assert_eq!(any_label["printer_id"], Value::Null);
    assert_eq!(names(&app, &print).await, ["box", "Shelf 7"]);
    // Read one.
    let (status, _, got) = call(
        &app,
        &print,
        "GET",
        &format!("/api/saved-labels/{id}"),
        None,
    )
    .await;
    assert_eq!((status, &got), (200, &created));
    // Replace: a new name, printer and request; who created it stays.
    let new = json!({ "name": "Shelf 7, template", "request": { "template": "shelf", "data": { "title": "Shelf 7", "primary_id": "S7" } } });
    let (status, _, replaced) = call(
        &app,
        &admin,
        "PUT",
        &format!("/api/saved-labels/{id}"),
        Some(new),
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["name"], "Shelf 7, template");
    assert_eq!(replaced["printer_id"], Value::Null);
    assert_eq!(replaced["request"]["template"], "shelf");
    assert_eq!(replaced["created_by"], created["created_by"]);
    assert_eq!(replaced["created_at"], created["created_at"]);
    // Kept in the store.
    let row = store.load_saved_label(&id).expect("load").expect("stored");
    assert_eq!(row.name, "Shelf 7, template");
    // Delete, then it is gone.
    let (status, _, _) = call(
        &app,
        &print,
        "DELETE",
        &format!("/api/saved-labels/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let gone = call(
        &app,
        &print,
        "GET",
        &format!("/api/saved-labels/{id}"),
        None,
    )
    .await;
    assert_problem(&gone, 404, "saved_label_not_found");
    assert_eq!(names(&app, &print).await, ["box"]);
    // Each change is in the audit log, with the label's name.
    let (status, _, audit) = call(&app, &admin, "GET", "/api/admin/audit?limit=10", None).await;
    assert_eq!(status, 200, "{audit}");
    let rows: Vec<(String, String, Value)> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|r| {
            r["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("saved_label."))
        })
        .map(|r| {
            (
                r["action"].as_str().unwrap_or_default().to_string(),
                r["target"].as_str().unwrap_or_default().to_string(),
                r["detail"].clone(),
            )
        })
        .collect();
    let any_id = any_label["id"].as_str().expect("id").to_string();
    assert_eq!(
        rows,
        vec![
            (
                "saved_label.delete".into(),
                id.clone(),
                json!({ "name": "Shelf 7, template", "printer_id": null })
            ),
            (
                "saved_label.update".into(),
                id.clone(),
                json!({
                    "before": { "name": "Shelf 7", "printer_id": pt },
                    "after": { "name": "Shelf 7, template", "printer_id": null },
                })
            ),
            (
                "saved_label.create".into(),
                any_id,
                json!({ "name": "box", "printer_id": null })
            ),
            (
                "saved_label.create".into(),
                id.clone(),
                json!({ "name": "Shelf 7", "printer_id": pt })
            ),
        ]
    );
}

#[actix::test]
async fn every_bad_input_is_refused_with_its_code_and_field_and_saves_nothing() {
    let (hub, _) = hub().await;
    let (auth, labels, _store) = auth_and_labels();
    let app = saved_app!(hub, auth, labels);
    let print = key(&auth, Scope::Print, None);
    let saved = json!({ "name": "Shelf 7", "request": label_request("SHELF-7") });
    let (status, _, first) = call(&app, &print, "POST", "/api/saved-labels", Some(saved)).await;
    assert_eq!(status, 201, "{first}");
    let first_id = first["id"].as_str().expect("id").to_string();

    // Malformed JSON.
    let req = TestRequest::post()
        .uri("/api/saved-labels")
        .insert_header(bearer(&print))
        .insert_header(("content-type", "application/json"))
        .set_payload("{\"name\": \"x\", ")
        .to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_problem(&got, 400, "invalid_request");

    let long = "x".repeat(101);
    let cases: Vec<(&str, Value, u16, &str, Option<&str>)> = vec![
        (
            "no name",
            json!({ "request": label_request("A") }),
            400,
            "invalid_request",
            None,
        ),
        (
            "an empty name",
            json!({ "name": "   ", "request": label_request("A") }),
            400,
            "invalid_request",
            Some("name"),
        ),
        (
            "a name too long",
            json!({ "name": long, "request": label_request("A") }),
            400,
            "invalid_request",
            Some("name"),
        ),
        (
            "a name taken in another case",
            json!({ "name": "SHELF 7", "request": label_request("A") }),
            409,
            "saved_label_exists",
            Some("name"),
        ),
        (
            "no request",
            json!({ "name": "A" }),
            400,
            "invalid_request",
            None,
        ),
        (
            "an unknown field",
            json!({ "name": "A", "request": label_request("A"), "colour": "red" }),
            400,
            "invalid_request",
            None,
        ),
        (
            "an unknown field in the request",
            json!({ "name": "A", "request": { "content_type": "qr_only", "data": { "qr_payload": "x" }, "colour": "red" } }),
            400,
            "invalid_request",
            Some("request"),
        ),
        (
            "an unknown content type",
            json!({ "name": "A", "request": { "content_type": "poster", "data": {} } }),
            422,
            "unknown_content_type",
            None,
        ),
        (
            "an unknown template",
            json!({ "name": "A", "request": { "template": "poster", "data": {} } }),
            422,
            "unknown_template",
            None,
        ),
        (
            "missing fields",
            json!({ "name": "A", "request": { "content_type": "qr_one_line", "data": { "title": "x" } } }),
            422,
            "content_type_data_mismatch",
            None,
        ),
        (
            "no layout",
            json!({ "name": "A", "request": { "data": { "title": "x" } } }),
            400,
            "invalid_request",
            None,
        ),
        (
            "copies out of range",
            json!({ "name": "A", "request": { "content_type": "qr_only", "data": { "qr_payload": "x" }, "copies": 1000 } }),
            400,
            "invalid_request",
            Some("copies"),
        ),
        (
            "a lookup",
            json!({ "name": "A", "request": { "lookup": { "app": "grocy", "id": "1" } } }),
            400,
            "invalid_request",
            Some("request.lookup"),
        ),
        (
            "an unknown printer",
            json!({ "name": "A", "printer": "nope", "request": label_request("A") }),
            404,
            "printer_not_found",
            None,
        ),
    ];
    for (what, body, status, code, field) in cases {
        let got = call(
            &app,
            &print,
            "POST",
            "/api/saved-labels",
            Some(body.clone()),
        )
        .await;
        let problem = assert_problem(&got, status, code);
        if let Some(field) = field {
            assert_eq!(problem["error_detail"]["field"], field, "{what}: {problem}");
        }
        // A replace is checked the same way.
        let got = call(
            &app,
            &print,
            "PUT",
            &format!("/api/saved-labels/{first_id}"),
            Some(body),
        )
        .await;
        if code == "saved_label_exists" {
            // Its own name in another case is no conflict for the label itself.
            assert_eq!(got.0, 200, "{what}: {}", got.2);
        } else {
            assert_problem(&got, status, code);
        }
    }
    // The duplicate names the label that has it.
    let dup = call(
        &app,
        &print,
        "POST",
        "/api/saved-labels",
        Some(json!({ "name": "shelf 7", "request": label_request("B") })),
    )
    .await;
    // (the replace above renamed it "SHELF 7"; any case conflicts)
    let problem = assert_problem(&dup, 409, "saved_label_exists");
    assert_eq!(problem["error_detail"]["existing"], first_id.as_str());
    assert_eq!(names(&app, &print).await, ["SHELF 7"], "nothing else saved");
    // Unknown and malformed ids.
    let unknown = "00000000-0000-4000-8000-000000000000";
    for method in ["GET", "DELETE"] {
        let got = call(
            &app,
            &print,
            method,
            &format!("/api/saved-labels/{unknown}"),
            None,
        )
        .await;
        assert_problem(&got, 404, "saved_label_not_found");
        let got = call(&app, &print, method, "/api/saved-labels/not-a-uuid", None).await;
        assert_problem(&got, 400, "invalid_request");
    }
    let got = call(
        &app,
        &print,
        "PUT",
        &format!("/api/saved-labels/{unknown}"),
        Some(json!({ "name": "A", "request": label_request("A") })),
    )
    .await;
    assert_problem(&got, 404, "saved_label_not_found");
    assert_eq!(names(&app, &print).await, ["SHELF 7"]);
}

#[actix::test]
async fn a_read_key_may_not_save_and_a_limited_key_keeps_to_its_printers() {
    let (hub, _) = hub().await;
    let pt2 = second_printer(&hub).await;
    let (auth, labels, _store) = auth_and_labels();
    let app = saved_app!(hub, auth, labels);
    let pt = hub.printer("pt").await.expect("pt").id;
    let print = key(&auth, Scope::Print, None);
    let read = key(&auth, Scope::Read, None);
    let limited = key(&auth, Scope::Print, Some(vec![pt]));
    let other = json!({ "name": "On pt2", "printer": "pt2", "request": label_request("P2") });
    let (status, _, on_pt2) = call(&app, &print, "POST", "/api/saved-labels", Some(other)).await;
    assert_eq!(status, 201, "{on_pt2}");
    assert_eq!(on_pt2["printer_id"], pt2.as_str());
    let on_pt2 = on_pt2["id"].as_str().expect("id").to_string();

    // A read key lists, but may not save, replace or delete.
    assert_eq!(names(&app, &read).await, ["On pt2"]);
    let body = json!({ "name": "Mine", "request": label_request("R") });
    let got = call(&app, &read, "POST", "/api/saved-labels", Some(body.clone())).await;
    assert_problem(&got, 403, "insufficient_scope");
    let got = call(
        &app,
        &read,
        "PUT",
        &format!("/api/saved-labels/{on_pt2}"),
        Some(body.clone()),
    )
    .await;
    assert_problem(&got, 403, "insufficient_scope");
    let got = call(
        &app,
        &read,
        "DELETE",
        &format!("/api/saved-labels/{on_pt2}"),
        None,
    )
    .await;
    assert_problem(&got, 403, "insufficient_scope");

    // A key limited to pt may not save for pt2 (by slug or id), nor see,
    // replace or delete pt2's label; for pt or any printer it may.
    for printer in ["pt2", pt2.as_str()] {
        let body = json!({ "name": "Sneaky", "printer": printer, "request": label_request("S") });
        let got = call(&app, &limited, "POST", "/api/saved-labels", Some(body)).await;
        assert_problem(&got, 403, "printer_not_allowed");
    }
    assert_eq!(names(&app, &limited).await, Vec::<String>::new());
    for method in ["GET", "DELETE"] {
        let got = call(
            &app,
            &limited,
            method,
            &format!("/api/saved-labels/{on_pt2}"),
            None,
        )
        .await;
        assert_problem(&got, 403, "printer_not_allowed");
    }
    let got = call(
        &app,
        &limited,
        "PUT",
        &format!("/api/saved-labels/{on_pt2}"),
        Some(json!({ "name": "Moved", "printer": "pt", "request": label_request("M") })),
    )
    .await;
    assert_problem(&got, 403, "printer_not_allowed");
    for (name, printer) in [("Mine on pt", Some("pt")), ("Mine anywhere", None)] {
        let body = json!({ "name": name, "printer": printer, "request": label_request("L") });
        let (status, _, got) = call(&app, &limited, "POST", "/api/saved-labels", Some(body)).await;
        assert_eq!(status, 201, "{got}");
    }
    assert_eq!(names(&app, &limited).await, ["Mine anywhere", "Mine on pt"]);
    assert_eq!(
        names(&app, &print).await,
        ["Mine anywhere", "Mine on pt", "On pt2"]
    );
}

#[actix::test]
async fn without_a_store_the_routes_say_they_are_unavailable() {
    let (hub, _) = hub().await;
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(hub.clone()))
            .app_data(actix_web::web::Data::new(auth(Some(Scope::Admin), 600)))
            .configure(printhub_gateway::configure),
    )
    .await;
    let req = TestRequest::get().uri("/api/saved-labels").to_request();
    let got = parts(call_service(&app, req).await).await;
    assert_problem(&got, 503, "unavailable");
}
