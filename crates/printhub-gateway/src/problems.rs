//! `GET /problems/{code}`: what an error code means. Every problem+json
//! answer has `type: "/problems/<code>"`, a reference that resolves
//! against the hub itself (RFC 9457 §3.1.1) to this page, generated from
//! the same table as the answers ([`ErrorCode::all`]): the status, RFC
//! 9110's title and an explanation. JSON for clients that ask for it
//! (`Accept: application/json`), a small HTML page otherwise.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::{ApiError, ErrorCode};

/// The explanation of one code, or 404 `not_found`.
pub(crate) async fn explain(
    req: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = ErrorCode::named(&code).ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            "no such error code; every code is listed at /problems",
        )
    })?;
    let wants_json = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let status = code.status().as_u16();
    if wants_json {
        return Ok(HttpResponse::Ok().json(serde_json::json!({
            "error_code": code.as_str(),
            "status": status,
            "title": code.title(),
            "explanation": code.explanation(),
        })));
    }
    // Every string here is printhub's own (the code was looked up, not
    // echoed), but it is escaped all the same.
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{code} — printhub</title></head>\
         <body><h1><code>{code}</code></h1><p>HTTP {status} {title}</p><p>{text}</p>\
         <p><a href=\"/problems\">Every error code</a></p></body></html>",
        code = html_escape::encode_text(code.as_str()),
        title = html_escape::encode_text(code.title()),
        text = html_escape::encode_text(code.explanation()),
    );
    Ok(html(page))
}

/// `GET /problems`: every code with its status and title.
pub(crate) async fn index(req: HttpRequest) -> HttpResponse {
    let all = ErrorCode::all();
    let wants_json = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if wants_json {
        let list: Vec<_> = all
            .iter()
            .map(|c| {
                serde_json::json!({
                    "error_code": c.as_str(),
                    "status": c.status().as_u16(),
                    "title": c.title(),
                    "type": format!("/problems/{}", c.as_str()),
                })
            })
            .collect();
        return HttpResponse::Ok().json(list);
    }
    let rows: String = all
        .iter()
        .map(|c| {
            format!(
                "<li><a href=\"/problems/{code}\"><code>{code}</code></a> — {status} {title}</li>",
                code = html_escape::encode_text(c.as_str()),
                status = c.status().as_u16(),
                title = html_escape::encode_text(c.title()),
            )
        })
        .collect();
    html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error codes — printhub</title></head>\
         <body><h1>printhub error codes</h1><ul>{rows}</ul></body></html>"
    ))
}

fn html(page: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("content-security-policy", "default-src 'none'"))
        .body(page)
}
