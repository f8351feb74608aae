//! Snipe-IT: hardware assets by asset tag (`/api/v1/hardware/bytag/{tag}`)
//! or by id (`/api/v1/hardware/{id}`), with `Authorization: Bearer <token>`.
//!
//! The API as it really answers: a missing asset is HTTP **200** with
//! `{"status":"error","messages":"Asset does not exist.","payload":null}`;
//! `bytag` answers one asset object, or `{"total": n, "rows": [...]}` when
//! several assets carry the tag; every string is HTML-escaped (`&amp;`,
//! `&#039;`); the `bytag/{any}` route takes a tag's slashes as they are
//! (`bytag/IT/0042`; Apache without `AllowEncodedSlashes` answers 404 to
//! `%2F`). Identifiers: a Snipe-IT asset URL (`…/hardware/42`) and `id:42`
//! are ids; anything else is a tag — a tag of digits that matches no asset
//! is not found (with a hint to `id:`), never silently read as an id.
//!
//! Maps to the `asset_tag` template: the tag, the name and a QR code to the
//! asset's page.

use crate::http::Reply;
use crate::value::{field_name, int, unescaped};
use crate::{App, Ctx, Found, LookupError};
use printhub_render::LabelData;
use serde_json::Value;
use std::collections::BTreeMap;

const APP: App = App::Snipeit;

/// The template assets print with.
pub const TEMPLATE: &str = "asset_tag";

/// What a Snipe-IT identifier names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetId {
    /// An asset id (from a Snipe-IT URL).
    Id(u64),
    /// An asset tag.
    Tag(String),
}

/// Parses `id:<n>` (an asset id, said explicitly), a Snipe-IT asset URL
/// (`https://snipe.example/hardware/42`) or else an asset tag — digits too:
/// a numeric tag that matches no asset is not found, never read as an id
/// (a mistyped tag must not print another asset).
pub fn parse_id(s: &str) -> AssetId {
    let s = s.trim();
    if let Some(id) = s
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("id:"))
        .and_then(|_| s[3..].trim().parse().ok())
    {
        return AssetId::Id(id);
    }
    if s.starts_with("http://") || s.starts_with("https://") {
        let path = s.split(['?', '#']).next().unwrap_or_default();
        let mut segments = path.trim_end_matches('/').rsplit('/');
        if let (Some(id), Some("hardware")) = (segments.next(), segments.next()) {
            if let Ok(id) = id.parse() {
                return AssetId::Id(id);
            }
        }
    }
    AssetId::Tag(s.to_string())
}

pub(crate) async fn lookup(ctx: &Ctx<'_>, typed: &str) -> Result<Found, LookupError> {
    let asset = match parse_id(typed) {
        AssetId::Id(id) => by_id(ctx, typed, id).await?,
        AssetId::Tag(tag) => match by_tag(ctx, typed, &tag).await {
            Err(LookupError::NotFound { app, id, reason })
                if !tag.is_empty() && tag.bytes().all(|b| b.is_ascii_digit()) =>
            {
                return Err(LookupError::NotFound {
                    app,
                    id,
                    reason: format!(
                        "{reason} (no asset has the tag {tag:?}; for the asset with id {tag} look up id:{tag})"
                    ),
                })
            }
            other => other?,
        },
    };
    Ok(found(ctx, &asset))
}

async fn by_id(ctx: &Ctx<'_>, typed: &str, id: u64) -> Result<Value, LookupError> {
    let reply = ctx
        .fetcher
        .get(ctx.source, &["api", "v1", "hardware", &id.to_string()])
        .await?;
    let asset = answer(reply, typed)?;
    if asset.get("rows").is_some() {
        return Err(LookupError::failed(APP, "expected one asset, got a list"));
    }
    check_asset(asset, typed)
}

async fn by_tag(ctx: &Ctx<'_>, typed: &str, tag: &str) -> Result<Value, LookupError> {
    // Snipe-IT's route is `bytag/{any}` with `.*`, and its images' Apache
    // answers 404 to an encoded slash: a tag's slashes go as they are.
    let parts: Vec<&str> = tag.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err(LookupError::not_found(
            APP,
            typed,
            "an asset tag with an empty, `.` or `..` part between slashes cannot be looked up",
        ));
    }
    let mut segments = vec!["api", "v1", "hardware", "bytag"];
    segments.extend(parts);
    let reply = ctx.fetcher.get(ctx.source, &segments).await?;
    let answer = answer(reply, typed)?;
    let Some(rows) = answer.get("rows") else {
        return check_asset(answer, typed);
    };
    // Several assets carry the tag: the one whose tag is exactly it, if only one is.
    let rows: Vec<&Value> = rows
        .as_array()
        .ok_or_else(|| LookupError::failed(APP, "`rows` is not a list"))?
        .iter()
        .filter(|r| r.get("deleted_at").is_none_or(Value::is_null))
        .collect();
    let exact: Vec<&Value> = rows
        .iter()
        .copied()
        .filter(|r| unescaped(r.get("asset_tag")).as_deref() == Some(tag))
        .collect();
    match (exact.as_slice(), rows.as_slice()) {
        ([one], _) | ([], [one]) => check_asset((*one).clone(), typed),
        (_, []) => Err(LookupError::not_found(APP, typed, "no asset with this tag")),
        (_, many) => Err(LookupError::Ambiguous {
            app: APP,
            id: typed.to_string(),
            candidates: many
                .iter()
                .filter_map(|r| int(r.get("id")))
                .map(|id| ctx.source.page(&["hardware", &id.to_string()]))
                .collect(),
        }),
    }
}

/// A Snipe-IT answer: `{"status":"error"}` (on 200 or 404) is not-found.
fn answer(reply: Reply, typed: &str) -> Result<Value, LookupError> {
    if let Ok(json) = &reply.json {
        if json.get("status").and_then(Value::as_str) == Some("error")
            && matches!(reply.status.as_u16(), 200 | 404)
        {
            let message = unescaped(json.get("messages"))
                .unwrap_or_else(|| "the asset does not exist".to_string());
            return Err(LookupError::not_found(APP, typed, message));
        }
    }
    reply.ok_json(APP)
}

fn check_asset(asset: Value, typed: &str) -> Result<Value, LookupError> {
    if int(asset.get("id")).is_none() {
        return Err(LookupError::failed(APP, "the asset has no id"));
    }
    if asset.get("deleted_at").is_some_and(|d| !d.is_null()) {
        return Err(LookupError::not_found(APP, typed, "the asset was deleted"));
    }
    Ok(asset)
}

/// `object.name` of a nested `{id, name}` (model, category, status_label, …).
fn nested_name(asset: &Value, key: &str) -> Option<String> {
    unescaped(asset.get(key).and_then(|v| v.get("name")))
}

fn found(ctx: &Ctx<'_>, asset: &Value) -> Found {
    let id = int(asset.get("id")).unwrap_or_default().to_string();
    let tag = unescaped(asset.get("asset_tag")).unwrap_or_else(|| id.clone());
    let model = nested_name(asset, "model");
    let name = unescaped(asset.get("name"))
        .or_else(|| model.clone())
        .unwrap_or_else(|| tag.clone());
    let serial = unescaped(asset.get("serial"));
    let mut fields = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            fields.insert(k.to_string(), v);
        }
    };
    put("asset_id", Some(id.clone()));
    put("asset_tag", Some(tag.clone()));
    put("name", Some(name.clone()));
    put("serial", serial.clone());
    put("model", model.clone());
    put("model_number", unescaped(asset.get("model_number")));
    for key in [
        "manufacturer",
        "category",
        "company",
        "location",
        "supplier",
    ] {
        put(key, nested_name(asset, key));
    }
    put("status", nested_name(asset, "status_label"));
    put(
        "assigned_to",
        unescaped(asset.get("assigned_to").and_then(|a| a.get("name"))),
    );
    // Custom fields: {"MAC Address": {"field": "_snipeit_mac_1", "value": "…"}} → cf_mac_address.
    if let Some(Value::Object(custom)) = asset.get("custom_fields") {
        for (label, field) in custom {
            let name = field_name("cf_", &html_escape::decode_html_entities(label));
            if let (Some(value), false) = (unescaped(field.get("value")), name == "cf") {
                fields.insert(name, value);
            }
        }
    }
    let page = ctx.source.page(&["hardware", &id]);
    let data = LabelData {
        title: Some(name.clone()),
        primary_id: Some(tag.clone()),
        qr_payload: Some(ctx.qr_target("asset", &tag, &page)),
        secondary: [model, serial].into_iter().flatten().collect(),
        items: Vec::new(),
        fields,
    };
    Found {
        app: APP,
        id: tag,
        title: name,
        data,
        template: TEMPLATE,
        url: Some(page),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(
            parse_id("https://snipe.example/hardware/42"),
            AssetId::Id(42)
        );
        assert_eq!(
            parse_id("http://snipe.example/sub/hardware/42/?tab=1"),
            AssetId::Id(42)
        );
        assert_eq!(
            parse_id("https://snipe.example/hardware/bytag"),
            AssetId::Tag("https://snipe.example/hardware/bytag".into())
        );
        assert_eq!(parse_id(" A-0042 "), AssetId::Tag("A-0042".into()));
        assert_eq!(parse_id("00042"), AssetId::Tag("00042".into()));
        assert_eq!(parse_id("id:42"), AssetId::Id(42));
        assert_eq!(parse_id(" ID: 42"), AssetId::Id(42));
        assert_eq!(parse_id("id:x"), AssetId::Tag("id:x".into()));
        assert_eq!(parse_id("IT/0042"), AssetId::Tag("IT/0042".into()));
    }
}
