//! Fake Grocy, Snipe-IT and Spoolman servers on 127.0.0.1 port 0, answering
//! with the shapes each API documents — quirks included — plus prefixes that
//! misbehave on every path (never answering, trickling, 5xx, garbage, huge
//! bodies, redirects to another origin).
//!
//! Shared by the lookup, gateway and end-to-end tests (`#[path]`-included), so
//! it needs only actix-web, futures-util and serde_json.
//!
//! | prefix          | behaves like |
//! | --------------- | ------------ |
//! | `/grocy/`       | Grocy (key `grocy-test-key` in `GROCY-API-KEY`) |
//! | `/snipe/`       | Snipe-IT (`Authorization: Bearer snipe-test-key`) |
//! | `/spoolman/`    | Spoolman (no auth) |
//! | `/slow/`        | accepts, never answers |
//! | `/trickle/`     | sends headers and part of a body, then nothing |
//! | `/5xx/`         | 503 with an HTML page |
//! | `/garbage/`     | 200 with HTML as `application/json` |
//! | `/huge/`        | 200 with a 3 MiB JSON body (Content-Length set) |
//! | `/huge-chunked/`| 200 with 4 MiB of JSON, chunked (no length) |
//! | `/redirect/`    | 302 to the same path on another origin |
#![allow(dead_code)]

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

pub const GROCY_KEY: &str = "grocy-test-key";
pub const SNIPE_KEY: &str = "snipe-test-key";

/// A running fake.
pub struct Fake {
    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub base: String,
    /// The server, to stop it.
    pub handle: actix_web::dev::ServerHandle,
}

impl Fake {
    /// The base URL of `prefix` (`grocy`, `snipe`, `spoolman`, `slow`, …).
    pub fn url(&self, prefix: &str) -> String {
        format!("{}/{prefix}/", self.base)
    }
}

/// Starts the fake in the current actix system (one worker thread).
pub fn start() -> Fake {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fake");
    let port = listener.local_addr().expect("addr").port();
    let server =
        HttpServer::new(move || App::new().app_data(web::Data::new(port)).configure(routes))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .expect("listen")
            .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Fake {
        base: format!("http://127.0.0.1:{port}"),
        handle,
    }
}

/// A base URL where nothing listens (a port that was free a moment ago).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}/")
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/grocy/api/objects/products/{id}",
        web::get().to(grocy_product),
    )
    .route(
        "/grocy/api/stock/products/by-barcode/{code}",
        web::get().to(grocy_barcode),
    )
    .route(
        "/grocy/api/stock/products/{id}/entries",
        web::get().to(grocy_entries),
    )
    .route("/grocy/api/batteries/{id}", web::get().to(grocy_battery))
    .route("/grocy/api/chores/{id}", web::get().to(grocy_chore))
    .route(
        "/grocy/api/objects/recipes/{id}",
        web::get().to(grocy_recipe),
    )
    .route(
        "/snipe/api/v1/hardware/bytag/{tag:.*}",
        web::get().to(snipe_bytag),
    )
    .route("/snipe/api/v1/hardware/{id}", web::get().to(snipe_by_id))
    .route("/spoolman/api/v1/spool/{id}", web::get().to(spoolman_spool))
    .route("/slow/{tail:.*}", web::get().to(slow))
    .route("/trickle/{tail:.*}", web::get().to(trickle))
    .route("/5xx/{tail:.*}", web::get().to(server_error))
    .route("/garbage/{tail:.*}", web::get().to(garbage))
    .route("/huge/{tail:.*}", web::get().to(huge))
    .route("/huge-chunked/{tail:.*}", web::get().to(huge_chunked))
    .route("/redirect/{tail:.*}", web::get().to(redirect));
}

// Grocy.

fn grocy_denied(req: &HttpRequest) -> Option<HttpResponse> {
    let key = req
        .headers()
        .get("GROCY-API-KEY")
        .and_then(|v| v.to_str().ok());
    (key != Some(GROCY_KEY))
        .then(|| HttpResponse::Unauthorized().json(json!({"error_message": "Unauthorized"})))
}

fn grocy_error(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error_message": message }))
}

/// `GenericEntityApiController::GetObject` on a missing row: 404 (400 in
/// Grocy before 3.x, which the client takes too).
fn grocy_no_object() -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error_message": "Object not found" }))
}

/// Grocy products, numbers as strings as older Grocy versions send them.
pub fn grocy_product_json(id: &str) -> Option<Value> {
    let name = match id {
        "12" => "Whole Milk",
        "13" => "Sea Salt",
        _ => return None,
    };
    Some(json!({
        "id": id, "name": name, "description": null, "product_group_id": "1", "active": "1",
        "location_id": "2", "shopping_location_id": null, "qu_id_purchase": "3", "qu_id_stock": "3",
        "min_stock_amount": "0", "default_best_before_days": "7", "default_best_before_days_after_open": "0",
        "default_best_before_days_after_freezing": "0", "default_best_before_days_after_thawing": "0",
        "picture_file_name": null, "enable_tare_weight_handling": "0", "tare_weight": "0.0",
        "not_check_stock_fulfillment_for_recipes": "0", "parent_product_id": null, "calories": "64",
        "cumulate_min_stock_amount_of_sub_products": "0", "due_type": "1", "quick_consume_amount": "1.0",
        "hide_on_stock_overview": "0", "row_created_timestamp": "2026-01-02 10:00:00",
    }))
}

async fn grocy_product(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    if let Some(denied) = grocy_denied(&req) {
        return denied;
    }
    match grocy_product_json(&id) {
        Some(p) => HttpResponse::Ok().json(p),
        None => grocy_no_object(),
    }
}

fn entry(id: &str, product: &str, stock_id: &str, due: &str, amount: &str) -> Value {
    json!({
        "id": id, "product_id": product, "amount": amount, "best_before_date": due,
        "purchased_date": "2026-04-20", "stock_id": stock_id, "price": "1.09", "open": "0",
        "opened_date": null, "row_created_timestamp": "2026-04-20 18:01:02", "location_id": "2",
        "shopping_location_id": null, "note": null,
    })
}

async fn grocy_entries(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    if let Some(denied) = grocy_denied(&req) {
        return denied;
    }
    match id.as_str() {
        "12" => HttpResponse::Ok().json(json!([
            entry("31", "12", "6630ab3c1f2e1", "2026-05-01", "1"),
            entry("32", "12", "6630ab3c1f2e2", "2026-04-28", "2.5"),
        ])),
        "13" => HttpResponse::Ok().json(json!([entry(
            "40",
            "13",
            "6630ab3c1f2f0",
            "2999-12-31",
            "1"
        )])),
        // `StockService::GetProductStockEntries` does not check the product: an empty list.
        _ => HttpResponse::Ok().json(json!([])),
    }
}

async fn grocy_barcode(req: HttpRequest, code: web::Path<String>) -> HttpResponse {
    if let Some(denied) = grocy_denied(&req) {
        return denied;
    }
    if code.as_str() != "4006381333931" {
        return grocy_error(&format!("No product with barcode {code} found"));
    }
    HttpResponse::Ok().json(json!({
        "product": grocy_product_json("12"),
        "product_barcodes": [{"id": "1", "product_id": "12", "barcode": "4006381333931", "qu_id": "3", "amount": null, "shopping_location_id": null, "last_price": null, "note": null}],
        "last_purchased": "2026-04-20", "last_used": null, "stock_amount": "3.5", "stock_value": "3.27",
        "stock_amount_opened": "0", "stock_amount_aggregated": "3.5", "stock_amount_opened_aggregated": "0",
        "quantity_unit_stock": {"id": "3", "name": "Pack", "name_plural": "Packs"},
        "default_quantity_unit_purchase": {"id": "3", "name": "Pack", "name_plural": "Packs"},
        "last_price": "1.09", "avg_price": "1.09", "next_due_date": "2026-04-28",
        "location": {"id": "2", "name": "Fridge"}, "average_shelf_life_days": 7, "spoil_rate_percent": 0,
        "is_aggregated_amount": "0", "has_childs": false,
    }))
}

async fn grocy_battery(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    if let Some(denied) = grocy_denied(&req) {
        return denied;
    }
    if id.as_str() != "2" {
        return grocy_error("Battery does not exist");
    }
    HttpResponse::Ok().json(json!({
        "battery": {"id": "2", "name": "Smoke alarm hall", "description": null, "used_in": "Hall", "charge_interval_days": "365", "active": "1"},
        "last_charged": "2025-09-01 10:00:00", "charge_cycles_count": "3",
        "next_estimated_charge_time": "2026-09-01 10:00:00",
    }))
}

async fn grocy_chore(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    if let Some(denied) = grocy_denied(&req) {
        return denied;
    }
    if id.as_str() != "4" {
        return grocy_error("Chore does not exist");
    }
    HttpResponse::Ok().json(json!({
        "chore": {"id": "4", "name": "Descale kettle", "period_type": "dynamic-regular", "period_days": "30"},
        "last_tracked": "2026-04-10 08:00:00", "tracked_count": "5", "last_done_by": null,
        "next_estimated_execution_time": "2026-05-10 08:00:00", "next_execution_assigned_user": null,
    }))
}

async fn grocy_recipe(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    if let Some(denied) = grocy_denied(&req) {
        return denied;
    }
    if id.as_str() != "5" {
        return grocy_no_object();
    }
    HttpResponse::Ok().json(json!({"id": "5", "name": "Tomato soup", "description": "", "base_servings": "4", "type": "normal"}))
}

// Snipe-IT.

fn snipe_denied(req: &HttpRequest) -> Option<HttpResponse> {
    let auth = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok());
    (auth != Some(&format!("Bearer {SNIPE_KEY}")))
        .then(|| HttpResponse::Unauthorized().json(json!({"message": "Unauthenticated."})))
}

/// Snipe-IT's "does not exist" answer: HTTP 200.
fn snipe_missing() -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({"status": "error", "messages": "Asset does not exist.", "payload": null}))
}

/// An asset as Snipe-IT's transformer renders it: strings HTML-escaped.
pub fn asset(id: u64, tag: &str, name: &str) -> Value {
    let mut asset = json!({
        "id": id, "name": name, "asset_tag": tag, "serial": "SN&lt;1&gt;",
        "model": {"id": 3, "name": "XPS 13 9340"}, "byod": false, "requestable": false,
        "model_number": "9340", "eol": null, "asset_eol_date": null,
        "status_label": {"id": 1, "name": "Ready to Deploy", "status_type": "deployable", "status_meta": "deployable"},
        "category": {"id": 2, "name": "Laptops"}, "manufacturer": {"id": 1, "name": "Dell"},
        "supplier": null, "notes": null, "order_number": null, "company": null,
        "location": {"id": 4, "name": "Office &amp; Lab"}, "rtd_location": {"id": 4, "name": "Office &amp; Lab"},
    });
    let more = json!({
        "image": null, "qr": null, "alt_barcode": null, "assigned_to": null,
        "warranty_months": null, "warranty_expires": null,
        "created_at": {"datetime": "2026-01-02 10:00:00", "formatted": "2026-01-02 10:00 AM"},
        "updated_at": {"datetime": "2026-01-02 10:00:00", "formatted": "2026-01-02 10:00 AM"},
        "last_audit_date": null, "next_audit_date": null, "deleted_at": null,
        "purchase_date": null, "age": "", "last_checkout": null, "expected_checkin": null,
        "purchase_cost": null, "checkin_counter": 0, "checkout_counter": 0, "requests_counter": 0,
        "user_can_checkout": true, "book_value": null,
        "custom_fields": {"MAC Address": {"field": "_snipeit_mac_address_1", "value": "00:11:22:33:44:55", "field_format": "MAC", "element": "text"}},
        "available_actions": {"checkout": true, "checkin": true, "clone": true, "restore": false, "update": true, "delete": true},
    });
    if let (Value::Object(a), Value::Object(m)) = (&mut asset, more) {
        a.extend(m);
    }
    asset
}

/// Snipe-IT's route is `bytag/{any}` with `where('any', '.*')`: slashes in a
/// tag arrive as they are. Its official images run Apache without
/// `AllowEncodedSlashes`, which answers an encoded slash (`%2F`) with its own
/// 404 page before Laravel sees the request.
async fn snipe_bytag(req: HttpRequest, tag: web::Path<String>) -> HttpResponse {
    if req.uri().path().to_ascii_lowercase().contains("%2f") {
        return HttpResponse::NotFound()
            .content_type("text/html; charset=iso-8859-1")
            .body("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n");
    }
    if let Some(denied) = snipe_denied(&req) {
        return denied;
    }
    match tag.as_str() {
        "IT/0042" => HttpResponse::Ok().json(asset(43, "IT/0042", "Docking station")),
        "A-0042" => {
            HttpResponse::Ok().json(asset(42, "A-0042", "Dell &amp; Sons &quot;XPS&quot; 13"))
        }
        // Two assets share the tag: Snipe-IT answers a list.
        "DUP-1" => HttpResponse::Ok().json(
            json!({"total": 2, "rows": [asset(7, "DUP-1", "First"), asset(8, "DUP-1", "Second")]}),
        ),
        // MySQL compares case-insensitively; only one tag is exactly what was asked.
        "dup-2" => HttpResponse::Ok().json(
            json!({"total": 2, "rows": [asset(9, "DUP-2", "Upper"), asset(10, "dup-2", "Lower")]}),
        ),
        _ => snipe_missing(),
    }
}

async fn snipe_by_id(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    if let Some(denied) = snipe_denied(&req) {
        return denied;
    }
    match id.as_str() {
        "42" => HttpResponse::Ok().json(asset(42, "A-0042", "Dell &amp; Sons &quot;XPS&quot; 13")),
        "77" => HttpResponse::Ok().json(asset(77, "B-77", "Label printer")),
        "50" => {
            let mut a = asset(50, "GONE-50", "Scrapped");
            a["deleted_at"] = json!({"datetime": "2026-02-01 10:00:00", "formatted": "2026-02-01"});
            HttpResponse::Ok().json(a)
        }
        _ => snipe_missing(),
    }
}

// Spoolman.

/// Spool 3: a full one. Spool 4: no vendor, no filament name, unknown weight.
pub fn spool_json(id: &str) -> Option<Value> {
    match id {
        "3" => Some(json!({
            "id": 3, "registered": "2026-01-05T10:00:00Z", "first_used": "2026-01-06T09:00:00Z",
            "last_used": "2026-04-01T20:00:00Z", "price": null,
            "filament": {
                "id": 1, "registered": "2026-01-05T09:00:00Z", "name": "Galaxy Black",
                "vendor": {"id": 1, "registered": "2026-01-05T08:00:00Z", "name": "Prusament", "extra": {}},
                "material": "PLA", "price": 24.99, "density": 1.24, "diameter": 1.75, "weight": 1000.0,
                "spool_weight": 200.0, "article_number": null, "comment": null,
                "settings_extruder_temp": 215, "settings_bed_temp": 60, "color_hex": "1a1a1a", "extra": {},
            },
            "remaining_weight": 742.4, "initial_weight": 1000.0, "spool_weight": 200.0,
            "used_weight": 257.6, "remaining_length": 248000.0, "used_length": 86000.0,
            "location": "Shelf B", "lot_nr": "LOT-9", "comment": "", "archived": false,
            "extra": {"nfc_id": "\"04A2B3\"", "dried": "true"},
        })),
        "4" => Some(json!({
            "id": 4, "registered": "2026-01-05T10:00:00Z", "first_used": null, "last_used": null,
            "filament": {"id": 2, "registered": "2026-01-05T09:00:00Z", "material": "PETG",
                         "density": 1.27, "diameter": 1.75, "color_hex": "ff8800", "extra": {}},
            "used_weight": 0.0, "used_length": 0.0, "archived": false, "extra": {},
        })),
        _ => None,
    }
}

async fn spoolman_spool(id: web::Path<String>) -> HttpResponse {
    match spool_json(&id) {
        Some(s) => HttpResponse::Ok().json(s),
        None => HttpResponse::NotFound()
            .json(json!({"message": format!("No spool with ID {id} found.")})),
    }
}

// Misbehaviour.

async fn slow() -> HttpResponse {
    std::future::pending::<()>().await;
    HttpResponse::Ok().finish()
}

async fn trickle() -> HttpResponse {
    use futures_util::StreamExt as _;
    let first = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(web::Bytes::from_static(b"{\"id\": 3, \"name\": \""))
    });
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(first.chain(futures_util::stream::pending()))
}

async fn server_error() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .content_type("text/html")
        .body("<html><body>502 Bad Gateway</body></html>")
}

async fn garbage() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body("<html>maintenance mode</html>")
}

fn huge_json(bytes: usize) -> String {
    format!("{{\"id\": 3, \"name\": \"{}\"}}", "x".repeat(bytes))
}

async fn huge() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(huge_json(3 << 20))
}

async fn huge_chunked() -> HttpResponse {
    let chunk = web::Bytes::from(vec![b' '; 64 * 1024]);
    let chunks = std::iter::once(web::Bytes::from_static(b"{\"id\": 3"))
        .chain(std::iter::repeat_n(chunk, 64))
        .chain(std::iter::once(web::Bytes::from_static(b"}")))
        .map(Ok::<_, std::io::Error>);
    HttpResponse::Ok()
        .content_type("application/json")
        .streaming(futures_util::stream::iter(chunks))
}

async fn redirect(req: HttpRequest, port: web::Data<u16>) -> HttpResponse {
    let tail = req.match_info().get("tail").unwrap_or_default().to_string();
    HttpResponse::Found()
        .insert_header((
            "Location",
            format!("http://localhost:{}/grocy/{tail}", port.get_ref()),
        ))
        .finish()
}
