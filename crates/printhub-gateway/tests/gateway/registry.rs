//! Adding and changing printers over HTTP (issue #15): every refused
//! request answers its status, `error_code` and field, and leaves nothing
//! behind — the printer as it was, no stored row, no audit entry (neither the
//! admin log nor the store's printer trail), no lost job — also after the hub
//! restarts on the same database.

use crate::support::*;
use actix_web::test::{call_service, TestRequest};
use printhub_actors::{
    Hub, HubConfig, HubHandle, HubStore, MemoryTransport, PrinterConfig, TransportFactory,
};
use printhub_gateway::{Auth, AuthConfig, Scope};
use printhub_store::{Store, StoreConfig};
use serde_json::{json, Value};
use std::rc::Rc;
use std::sync::Arc;

/// An engine on `store` whose printers all use one scripted transport.
fn engine(store: &Arc<Store>) -> HubHandle {
    let transport = MemoryTransport::default();
    let factory: TransportFactory = Rc::new(move |_| Ok(Box::new(transport.clone())));
    let hub_store: Arc<dyn HubStore> = store.clone();
    Hub::start_with(HubConfig::default(), hub_store, factory)
}

/// Anonymous admin over `store`, which also holds the admin audit log.
fn admin(store: &Arc<Store>) -> Auth {
    let config = AuthConfig {
        anonymous: Some(Scope::Admin),
        ..AuthConfig::default()
    };
    Auth::open(config, Arc::clone(store)).expect("auth")
}

macro_rules! call {
    ($app:expr, $method:ident, $uri:expr) => {
        parts(call_service(&$app, TestRequest::$method().uri($uri).to_request()).await).await
    };
    ($app:expr, $method:ident, $uri:expr, $body:expr) => {
        parts(
            call_service(
                &$app,
                TestRequest::$method()
                    .uri($uri)
                    .set_json($body)
                    .to_request(),
            )
            .await,
        )
        .await
    };
}

/// What a refused request must not change.
#[derive(Debug, PartialEq)]
struct Snapshot {
    /// `GET /api/printers` without the live status.
    printers: Vec<Value>,
    /// `GET /api/printers/pt/queue` (job ids).
    queue: Vec<Value>,
    /// `GET /api/admin/audit` total.
    admin_audit: Value,
    /// The store's rows and printer audit trail.
    rows: Vec<PrinterConfig>,
    printer_audit: usize,
}

/// The settings of a printer view (its live status moves on its own).
fn settings(view: &Value) -> Value {
    let keys = [
        "id",
        "slug",
        "name",
        "model",
        "media",
        "address",
        "enabled",
        "queue_depth",
        "state",
    ];
    keys.iter()
        .map(|k| (k.to_string(), view[k].clone()))
        .collect()
}

macro_rules! snapshot {
    ($app:expr, $store:expr) => {{
        let (s, _, list) = call!($app, get, "/api/printers");
        assert_eq!(s, 200, "{list}");
        let got = call!($app, get, "/api/printers/pt/queue");
        assert_eq!(got.0, 200, "{}", got.2);
        let audit = call!($app, get, "/api/admin/audit?limit=500");
        assert_eq!(audit.0, 200, "{}", audit.2);
        Snapshot {
            printers: list
                .as_array()
                .expect("list")
                .iter()
                .map(settings)
                .collect(),
            queue: got
                .2
                .as_array()
                .expect("queue")
                .iter()
                .map(|j| j["id"].clone())
                .collect(),
            admin_audit: audit.2["total"].clone(),
            rows: HubStore::load_printers(&*$store).expect("rows"),
            printer_audit: $store
                .load_printer_audit(None, 10_000)
                .expect("trail")
                .len(),
        }
    }};
}

/// How a good printer body is spoiled, the status, code and field expected.
type Post = (fn(&mut Value), u16, &'static str, Option<&'static str>);

fn printer(slug: &str) -> Value {
    json!({ "slug": slug, "model": "PT-P750W", "media": "tze-12", "address": "127.0.0.1:9" })
}

#[actix::test]
async fn a_refused_printer_request_leaves_nothing_behind_even_after_a_restart() {
    let store = Arc::new(Store::open_in_memory(StoreConfig::default()).expect("store"));
    let hub = engine(&store);
    let auth = admin(&store);
    let app = app!(hub, auth);
    let got = call!(app, post, "/api/printers", printer("pt"));
    assert_eq!(got.0, 201, "{}", got.2);
    let got = call!(app, post, "/api/printers/pt/pause");
    assert_eq!(got.0, 200, "{}", got.2);
    let mut queued = Vec::new();
    for n in 0..2 {
        let got = call!(
            app,
            post,
            "/api/printers/pt/jobs",
            text_job(&format!("J-{n}"))
        );
        assert_eq!(got.0, 202, "{}", got.2);
        queued.push(got.2["id"].clone());
    }
    // A slug only the store holds (another process, or an older version's leftover).
    let ghost = PrinterConfig {
        id: Some(printhub_core::PrinterId::from_u128(0x6057)),
        slug: "ghost".into(),
        name: "Ghost".into(),
        model: "PT-P750W".into(),
        media: "tze-12".into(),
        address: "127.0.0.1:9".into(),
        enabled: true,
        snmp: None,
        snmp_community: None,
        paused: false,
        defaults: Default::default(),
    };
    HubStore::save_printer(&*store, &ghost, "test").expect("ghost row");
    let before = snapshot!(app, store);
    assert_eq!(before.queue, queued);

    let patches = [
        (
            json!({ "address": "::::::" }),
            400,
            "invalid_request",
            Some("address"),
        ),
        (
            json!({ "address": "" }),
            400,
            "invalid_request",
            Some("address"),
        ),
        (
            json!({ "address": ":9100" }),
            400,
            "invalid_request",
            Some("address"),
        ),
        (
            json!({ "address": "pt:0" }),
            400,
            "invalid_request",
            Some("address"),
        ),
        (
            json!({ "address": "pt:65536" }),
            400,
            "invalid_request",
            Some("address"),
        ),
        (
            json!({ "address": "[::1]:9100:1" }),
            400,
            "invalid_request",
            Some("address"),
        ),
        (
            json!({ "address": "no-such-host.invalid" }),
            422,
            "address_unresolvable",
            Some("address"),
        ),
        (
            json!({ "snmp": "no-such-host.invalid:161" }),
            422,
            "address_unresolvable",
            Some("snmp"),
        ),
        (
            json!({ "snmp": "::::::" }),
            400,
            "invalid_request",
            Some("snmp"),
        ),
        (
            json!({ "model": "PT-9999" }),
            400,
            "invalid_request",
            Some("model"),
        ),
        (
            json!({ "media": "no-such-media" }),
            400,
            "invalid_request",
            Some("media"),
        ),
        (
            json!({ "media": "dk-62" }),
            422,
            "unsupported_media",
            Some("media"),
        ),
        // One good field does not get in with a bad one.
        (
            json!({ "name": "Renamed", "address": "10.0.0.9", "media": "dk-62" }),
            422,
            "unsupported_media",
            Some("media"),
        ),
        (
            json!({ "name": "Renamed", "address": "pt.invalid" }),
            422,
            "address_unresolvable",
            Some("address"),
        ),
        // A network QL answers no status on TCP: without SNMP it cannot be `auto` (issue #20).
        (
            json!({ "model": "QL-820NWB", "media": "auto" }),
            422,
            "media_not_reported",
            Some("media"),
        ),
        (json!({ "address": 9100 }), 400, "invalid_request", None),
        (json!({ "colour": "red" }), 400, "invalid_request", None),
    ];
    for (body, status, code, field) in patches {
        let got = call!(app, patch, "/api/printers/pt", &body);
        let problem = assert_problem(&got, status, code);
        if let Some(field) = field {
            assert_eq!(problem["error_detail"]["field"], field, "{body}: {problem}");
        }
        assert_eq!(snapshot!(app, store), before, "PATCH {body}");
    }

    let posts: [Post; 11] = [
        (
            |p| p["address"] = json!("::::::"),
            400,
            "invalid_request",
            Some("address"),
        ),
        (
            |p| p["address"] = json!("pt2:0"),
            400,
            "invalid_request",
            Some("address"),
        ),
        (
            |p| p["address"] = json!("pt2.invalid"),
            422,
            "address_unresolvable",
            Some("address"),
        ),
        (
            |p| p["snmp"] = json!("pt2.invalid:161"),
            422,
            "address_unresolvable",
            Some("snmp"),
        ),
        (
            |p| p["snmp"] = json!("[::1"),
            400,
            "invalid_request",
            Some("snmp"),
        ),
        (
            |p| p["model"] = json!("PT-9999"),
            400,
            "invalid_request",
            Some("model"),
        ),
        (
            |p| p["media"] = json!("dk-62"),
            422,
            "unsupported_media",
            Some("media"),
        ),
        (
            |p| p["slug"] = json!("PT 2"),
            400,
            "invalid_request",
            Some("slug"),
        ),
        (
            |p| {
                p["model"] = json!("QL-820NWB");
                p["media"] = json!("auto");
            },
            422,
            "media_not_reported",
            Some("media"),
        ),
        (|p| p["slug"] = json!("pt"), 409, "printer_exists", None),
        (|p| p["slug"] = json!("ghost"), 409, "printer_exists", None),
    ];
    for (spoil, status, code, field) in posts {
        let mut body = printer("pt2");
        spoil(&mut body);
        let got = call!(app, post, "/api/printers", &body);
        let problem = assert_problem(&got, status, code);
        if let Some(field) = field {
            assert_eq!(problem["error_detail"]["field"], field, "{body}: {problem}");
        }
        assert_eq!(snapshot!(app, store), before, "POST {body}");
        let got = call!(app, get, "/api/printers/pt2");
        assert_problem(&got, 404, "printer_not_found");
    }
    hub.shutdown().await.expect("shutdown");
    drop(app);

    // A restart on the same database: every printer and queued job is back, and the
    // refusals still refuse.
    let hub = engine(&store);
    let app = app!(hub, auth);
    let after = snapshot!(app, store);
    assert_eq!(after.queue, queued, "no job was lost");
    assert_eq!(
        (&after.rows, &after.admin_audit, after.printer_audit),
        (&before.rows, &before.admin_audit, before.printer_audit)
    );
    let slugs: Vec<&Value> = after.printers.iter().map(|p| &p["slug"]).collect();
    assert_eq!(
        slugs,
        [&json!("ghost"), &json!("pt")],
        "the stored-only row is started too"
    );
    let pt = after
        .printers
        .iter()
        .find(|p| p["slug"] == "pt")
        .expect("pt");
    assert_eq!(
        pt,
        &before
            .printers
            .iter()
            .find(|p| p["slug"] == "pt")
            .cloned()
            .expect("pt")
    );
    for id in &queued {
        let got = call!(app, get, &format!("/api/jobs/{}", id.as_str().expect("id")));
        assert_eq!(got.2["state"], "queued", "{}", got.2);
    }
    for slug in ["pt", "ghost"] {
        let got = call!(app, post, "/api/printers", printer(slug));
        assert_problem(&got, 409, "printer_exists");
    }
    // What the refusals never did, an accepted change does: one row change, one entry each.
    let got = call!(
        app,
        patch,
        "/api/printers/pt",
        json!({ "address": "[::1]:9101" })
    );
    assert_eq!(got.0, 200, "{}", got.2);
    assert_eq!(got.2["address"], "[::1]:9101");
    let changed = snapshot!(app, store);
    assert_eq!(changed.printer_audit, before.printer_audit + 1);
    assert_ne!(changed.admin_audit, before.admin_audit);
    hub.shutdown().await.expect("shutdown");
}

/// Issue #26: where printers are added, the USB printer devices of the
/// machine are listed with the model each reports (admin only).
#[actix::test]
async fn usb_devices_are_listed_with_their_models() {
    let (hub, _) = hub().await;
    let dev = tempfile::tempdir().expect("dev");
    let sys = tempfile::tempdir().expect("sys");
    for name in ["lp0", "lp1", "lp2", "hiddev0"] {
        std::fs::write(dev.path().join(name), b"").expect("node");
    }
    for (name, id) in [
        ("lp0", "MFG:Brother;CMD:PT-CBP;MDL:QL-700;CLS:PRINTER;"),
        ("lp1", "MFG:Brother;CMD:PT-CBP;MDL:QL-9999;CLS:PRINTER;"),
    ] {
        std::fs::create_dir_all(sys.path().join(name).join("device")).expect("sysfs");
        std::fs::write(
            sys.path().join(name).join("device/ieee1284_id"),
            format!("{id}\n"),
        )
        .expect("id");
    }
    let auth = auth(None, 600);
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(hub.clone()))
            .app_data(actix_web::web::Data::new(auth.clone()))
            .app_data(actix_web::web::Data::new(
                printhub_gateway::devices::DeviceDirs {
                    dev: dev.path().to_path_buf(),
                    sysfs: sys.path().to_path_buf(),
                },
            ))
            .configure(printhub_gateway::configure),
    )
    .await;
    let admin = new_key(&auth, Scope::Admin);
    let get = |key: &str| {
        TestRequest::get()
            .uri("/api/devices")
            .insert_header(("authorization", format!("Bearer {key}")))
            .to_request()
    };
    let got = parts(call_service(&app, get(&admin)).await).await;
    assert_eq!(got.0, 200, "{}", got.2);
    let dir = dev.path().display();
    assert_eq!(
        got.2,
        json!([
            {"path": format!("{dir}/lp0"), "model": "QL-700", "known_model": true,
             "ieee1284_id": "MFG:Brother;CMD:PT-CBP;MDL:QL-700;CLS:PRINTER;"},
            {"path": format!("{dir}/lp1"), "model": "QL-9999", "known_model": false,
             "ieee1284_id": "MFG:Brother;CMD:PT-CBP;MDL:QL-9999;CLS:PRINTER;"},
            {"path": format!("{dir}/lp2"), "model": null, "known_model": false, "ieee1284_id": null},
        ])
    );
    // Device paths say what hardware the host has: not for print keys.
    let print = new_key(&auth, Scope::Print);
    assert_problem(
        &parts(call_service(&app, get(&print)).await).await,
        403,
        "insufficient_scope",
    );
}
