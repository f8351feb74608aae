//! The web UI (issue #11): static assets embedded in the binary with
//! `include_bytes!` and served at `/` (the page shell) and `/ui/*` (ES
//! modules, CSS, and `catalogue.json`, the content types and built-in
//! templates generated from `printhub-render` so the form never drifts from
//! what the renderer accepts). No file system, no build step, no CDN.
//!
//! Every answer carries a strong `ETag` (a hash of the bytes) with
//! `Cache-Control: no-cache`, so a browser revalidates and gets `304 Not
//! Modified` until the binary changes. The shell sets a strict
//! Content-Security-Policy: only this origin's scripts, styles and API.
//!
//! **Architecture Invariant:** the UI is a client of the public HTTP API and
//! nothing else; this module mounts no `/api` route and reads no engine state.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

/// Mounts `GET /` and `GET /ui/{path}`. An unknown asset is a plain 404.
pub fn configure_ui(cfg: &mut web::ServiceConfig) {
    let get_or_head = || {
        web::route()
            .guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
    };
    cfg.route("/", get_or_head().to(index))
        .route("/ui/{path:.*}", get_or_head().to(asset));
}

/// One embedded file.
#[derive(Debug)]
struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! assets {
    ($( $path:literal => $ty:expr, )*) => {
        const ASSETS: &[Asset] = &[$(Asset {
            path: $path,
            content_type: $ty,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/ui/", $path)),
        }),*];
    };
}

const JS: &str = "text/javascript; charset=utf-8";

assets! {
    "index.html" => "text/html; charset=utf-8",
    "css/app.css" => "text/css; charset=utf-8",
    "icon.svg" => "image/svg+xml",
    "js/app.js" => JS,
    "js/api.js" => JS,
    "js/sse.js" => JS,
    "js/dom.js" => JS,
    "js/format.js" => JS,
    "js/messages.js" => JS,
    "js/pages/dashboard.js" => JS,
    "js/pages/print.js" => JS,
    "js/pages/jobs.js" => JS,
    "js/pages/job.js" => JS,
    "js/pages/admin.js" => JS,
    "js/pages/signin.js" => JS,
}

/// The shell may load only this origin's code and talk only to this origin;
/// images may also be `blob:` (previews) and `data:`.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob: data:; media-src 'self' blob: mediastream:; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

async fn index(req: HttpRequest) -> HttpResponse {
    match ASSETS.iter().find(|a| a.path == "index.html") {
        Some(a) => {
            let mut resp = respond(&req, a.content_type, a.bytes, etag_of(a.path, a.bytes));
            resp.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            resp
        }
        None => not_found(),
    }
}

async fn asset(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    if path == "catalogue.json" {
        let (bytes, etag) = catalogue();
        return respond(&req, "application/json", bytes, etag.clone());
    }
    match ASSETS
        .iter()
        .find(|a| a.path == path && a.path != "index.html")
    {
        Some(a) => respond(&req, a.content_type, a.bytes, etag_of(a.path, a.bytes)),
        None => not_found(),
    }
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("no such asset")
}

/// The asset, or `304` when the request's `If-None-Match` names its ETag.
fn respond(
    req: &HttpRequest,
    content_type: &str,
    bytes: &'static [u8],
    etag: String,
) -> HttpResponse {
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    if fresh {
        builder.finish()
    } else {
        builder.content_type(content_type).body(bytes)
    }
}

/// A strong ETag for embedded bytes, computed once per asset.
fn etag_of(path: &'static str, bytes: &[u8]) -> String {
    static TAGS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| ASSETS.iter().map(|a| (a.path, hash_tag(a.bytes))).collect());
    tags.iter()
        .find(|(p, _)| *p == path)
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| hash_tag(bytes))
}

fn hash_tag(bytes: &[u8]) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    format!("\"{:016x}-{}\"", hasher.finish(), bytes.len())
}

/// `catalogue.json`: every content type with its required fields, and every
/// built-in template with the data fields its placeholders use (required
/// unless the element is `optional`).
fn catalogue() -> &'static (&'static [u8], String) {
    static CATALOGUE: OnceLock<(&'static [u8], String)> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let content_types: Vec<_> = printhub_render::ContentType::ALL
            .iter()
            .map(|c| {
                // A content type prints the first further line only (printhub-render `content`).
                let lines = if c.required().contains(&"secondary") { 1 } else { 0 };
                serde_json::json!({ "name": c.as_str(), "required": c.required(), "secondary_lines": lines })
            })
            .collect();
        let templates: Vec<_> = printhub_render::template::BUILTIN
            .iter()
            .map(|(name, json)| {
                serde_json::json!({
                    "name": name,
                    "fields": template_fields(json),
                    "secondary_lines": secondary_lines(json),
                })
            })
            .collect();
        let body = serde_json::json!({ "content_types": content_types, "templates": templates });
        let bytes: &'static [u8] = Vec::leak(serde_json::to_vec(&body).unwrap_or_default());
        (bytes, hash_tag(bytes))
    })
}

/// The data fields a template's placeholders name, in first-use order, each
/// `{name, required}`. `{secondary.1}` names `secondary`.
fn template_fields(json: &str) -> Vec<serde_json::Value> {
    let template: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let mut fields: Vec<(String, bool)> = Vec::new();
    let elements = template["elements"].as_array().cloned().unwrap_or_default();
    for element in &elements {
        let optional = element["optional"].as_bool().unwrap_or(false);
        for key in ["text", "data"] {
            let Some(text) = element[key].as_str() else {
                continue;
            };
            for name in placeholders(text) {
                match fields.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, required)) => *required |= !optional,
                    None => fields.push((name, !optional)),
                }
            }
        }
    }
    fields
        .into_iter()
        .map(|(name, required)| serde_json::json!({ "name": name, "required": required }))
        .collect()
}

/// How many further lines (`secondary`) a template prints: one past the
/// highest `{secondary.N}` it names (`{secondary}` is the first), so the form
/// can say that lines past it are not printed.
fn secondary_lines(json: &str) -> usize {
    let template: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let elements = template["elements"].as_array().cloned().unwrap_or_default();
    let mut lines = 0;
    for element in &elements {
        for key in ["text", "data"] {
            let Some(text) = element[key].as_str() else {
                continue;
            };
            let mut rest = text;
            while let Some(start) = rest.find("{secondary") {
                rest = &rest[start + "{secondary".len()..];
                let index = if let Some(n) = rest.strip_prefix('.') {
                    n.split('}').next().and_then(|n| n.parse::<usize>().ok())
                } else if rest.starts_with('}') {
                    Some(0)
                } else {
                    None
                };
                if let Some(i) = index {
                    lines = lines.max(i + 1);
                }
            }
        }
    }
    lines
}

/// `{name}` and `{name.n}` placeholders of a template string, as `name`.
fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        rest = &rest[start + 1..];
        let Some(end) = rest.find('}') else { break };
        let inner = &rest[..end];
        let name = inner.split('.').next().unwrap_or_default();
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push(name.to_string());
        }
        rest = &rest[end + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{test as web_test, App};

    async fn get(path: &str, etag: Option<&str>) -> (u16, Option<String>, Option<String>, Vec<u8>) {
        let app = web_test::init_service(App::new().configure(configure_ui)).await;
        let mut req = web_test::TestRequest::get().uri(path);
        if let Some(tag) = etag {
            req = req.insert_header((header::IF_NONE_MATCH, tag));
        }
        let resp = web_test::call_service(&app, req.to_request()).await;
        let status = resp.status().as_u16();
        let header_of = |name| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (ty, tag) = (header_of(header::CONTENT_TYPE), header_of(header::ETAG));
        let body = web_test::read_body(resp).await.to_vec();
        (status, ty, tag, body)
    }

    #[actix_web::test]
    async fn the_shell_is_html_with_a_strict_policy_and_revalidates_to_304() {
        let app = web_test::init_service(App::new().configure(configure_ui)).await;
        let resp =
            web_test::call_service(&app, web_test::TestRequest::get().uri("/").to_request()).await;
        assert_eq!(resp.status(), 200);
        let csp = resp
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .expect("csp");
        assert!(csp.to_str().expect("ascii").contains("script-src 'self'"));
        assert_eq!(
            resp.headers().get(header::CACHE_CONTROL).expect("cc"),
            "no-cache"
        );
        let tag = resp
            .headers()
            .get(header::ETAG)
            .expect("etag")
            .to_str()
            .expect("ascii")
            .to_string();
        let (status, _, again, body) = get("/", Some(&tag)).await;
        assert_eq!((status, again.as_deref()), (304, Some(tag.as_str())));
        assert!(body.is_empty());
        let (status, _, _, _) = get("/", Some("\"other\"")).await;
        assert_eq!(status, 200, "a stale tag gets the page");
    }

    #[actix_web::test]
    async fn every_asset_is_served_with_its_type_and_unknown_ones_are_404() {
        for asset in ASSETS.iter().filter(|a| a.path != "index.html") {
            let (status, ty, tag, body) = get(&format!("/ui/{}", asset.path), None).await;
            assert_eq!(status, 200, "{}", asset.path);
            assert_eq!(ty.as_deref(), Some(asset.content_type), "{}", asset.path);
            assert!(tag.is_some());
            assert_eq!(body, asset.bytes);
        }
        for missing in [
            "/ui/nope.js",
            "/ui/",
            "/ui/js",
            "/ui/index.html",
            "/ui/../Cargo.toml",
        ] {
            let (status, ty, _, _) = get(missing, None).await;
            assert_eq!(status, 404, "{missing}");
            assert_eq!(ty.as_deref(), Some("text/plain; charset=utf-8"));
        }
    }

    #[actix_web::test]
    async fn the_catalogue_lists_every_content_type_and_builtin_template() {
        let (status, ty, _, body) = get("/ui/catalogue.json", None).await;
        assert_eq!((status, ty.as_deref()), (200, Some("application/json")));
        let doc: serde_json::Value = serde_json::from_slice(&body).expect("json");
        let names = |key: &str| -> Vec<String> {
            doc[key]
                .as_array()
                .expect("list")
                .iter()
                .map(|x| x["name"].as_str().expect("name").to_string())
                .collect()
        };
        let content_types: Vec<String> = printhub_render::ContentType::ALL
            .iter()
            .map(|c| c.as_str().to_string())
            .collect();
        assert_eq!(names("content_types"), content_types);
        let templates: Vec<String> = printhub_render::template::BUILTIN
            .iter()
            .map(|(n, _)| (*n).to_string())
            .collect();
        assert_eq!(names("templates"), templates);
        let asset_tag = &doc["templates"][0];
        assert_eq!(asset_tag["name"], "asset_tag");
        assert_eq!(
            asset_tag["fields"][0],
            serde_json::json!({"name": "qr_payload", "required": true})
        );
    }

    /// How many further lines each layout prints, so the form can warn
    /// about lines typed past it (issue #24).
    #[actix_web::test]
    async fn the_catalogue_says_how_many_further_lines_each_layout_prints() {
        let (_, _, _, body) = get("/ui/catalogue.json", None).await;
        let doc: serde_json::Value = serde_json::from_slice(&body).expect("json");
        let lines = |key: &str, name: &str| {
            doc[key]
                .as_array()
                .expect("list")
                .iter()
                .find(|x| x["name"] == name)
                .map(|x| x["secondary_lines"].clone())
        };
        assert_eq!(lines("content_types", "qr_three_lines"), Some(1.into()));
        assert_eq!(lines("content_types", "qr_two_lines"), Some(0.into()));
        // `{secondary}` and `{secondary.1}`: two lines.
        assert_eq!(lines("templates", "filament_spool"), Some(2.into()));
        assert_eq!(lines("templates", "product"), Some(1.into()));
        assert_eq!(
            secondary_lines(r#"{"elements":[{"text":"{secondary.3} {secondaryx}"}]}"#),
            4
        );
        assert_eq!(secondary_lines(r#"{"elements":[{"text":"{title}"}]}"#), 0);
    }

    /// Every module a page imports and every file the shell links is embedded.
    #[test]
    fn every_referenced_file_is_embedded() {
        let known = |p: &str| ASSETS.iter().any(|a| a.path == p);
        for asset in ASSETS {
            let text = std::str::from_utf8(asset.bytes).expect("utf-8");
            let dir = asset.path.rsplit_once('/').map_or("", |(d, _)| d);
            for quote in ['\'', '"'] {
                for piece in text.split(quote).skip(1).step_by(2) {
                    let target = if let Some(abs) = piece.strip_prefix("/ui/") {
                        abs.to_string()
                    } else if piece.starts_with("./") || piece.starts_with("../") {
                        resolve(dir, piece)
                    } else {
                        continue;
                    };
                    if target.ends_with(".js")
                        || target.ends_with(".css")
                        || target.ends_with(".svg")
                    {
                        assert!(
                            known(&target),
                            "{} refers to {piece} ({target}), which is not embedded",
                            asset.path
                        );
                    }
                }
            }
        }
    }

    fn resolve(dir: &str, relative: &str) -> String {
        let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        for seg in relative.split('/') {
            match seg {
                "." => {}
                ".." => {
                    parts.pop();
                }
                other => parts.push(other),
            }
        }
        parts.join("/")
    }

    #[test]
    fn placeholders_name_the_data_field() {
        assert_eq!(
            placeholders("Due {secondary.1} / {title}"),
            ["secondary", "title"]
        );
        assert_eq!(placeholders("#{primary_id}"), ["primary_id"]);
        assert!(placeholders("no braces {").is_empty());
    }

    #[test]
    fn template_fields_mark_optional_elements() {
        let fields = template_fields(
            r#"{"elements":[{"type":"text","text":"{title}","optional":true},{"type":"qr","data":"{qr_payload}"}]}"#,
        );
        assert_eq!(
            fields,
            [
                serde_json::json!({"name": "title", "required": false}),
                serde_json::json!({"name": "qr_payload", "required": true}),
            ]
        );
    }
}
