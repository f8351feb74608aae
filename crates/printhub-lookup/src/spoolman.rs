//! Spoolman: a filament spool by id (`/api/v1/spool/{id}`) with its filament
//! and the filament's vendor; no authentication.
//!
//! The API as it really answers: an unknown spool is HTTP 404 with
//! `{"message": "..."}`; weights are grams as numbers (absent when the
//! filament's weight is unknown); `extra` values are JSON-encoded strings
//! (`"nfc": "\"04A2…\""`, `"dried": "true"`). Identifiers: Spoolman's QR
//! payload `web+spoolman:s-<id>`, a spool page URL or path (`/spool/show/<id>`)
//! and a bare id.
//!
//! Maps to the `filament_spool` template: vendor and material, colour,
//! remaining weight, the spool id and a QR code with Spoolman's own payload
//! `web+spoolman:s-<id>` (what Spoolman prints and its scanner opens, and
//! short enough for 12 mm tape), or printhub's landing page when
//! `public_url` is set.

use crate::value::{field_name, float, int, number, text};
use crate::{App, Ctx, Found, LookupError};
use printhub_render::LabelData;
use serde_json::Value;
use std::collections::BTreeMap;

const APP: App = App::Spoolman;

/// The template spools print with.
pub const TEMPLATE: &str = "filament_spool";

/// The spool id in Spoolman's QR payload, a spool URL or path, or a bare id.
pub fn parse_id(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let id = if let Some(rest) = s.strip_prefix("web+spoolman:") {
        rest.strip_prefix("s-")
            .ok_or_else(|| format!("{s:?} is not a spool (web+spoolman:s-<id>)"))?
    } else if let Some(i) = s.find("/spool/show/") {
        s[i + "/spool/show/".len()..]
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default()
    } else {
        s
    };
    id.parse().map_err(|_| {
        format!("{s:?} is not a spool id, web+spoolman:s-<id> or a /spool/show/<id> URL")
    })
}

pub(crate) async fn lookup(ctx: &Ctx<'_>, typed: &str) -> Result<Found, LookupError> {
    let id = parse_id(typed).map_err(|reason| LookupError::not_found(APP, typed, reason))?;
    let reply = ctx
        .fetcher
        .get(ctx.source, &["api", "v1", "spool", &id.to_string()])
        .await?;
    if reply.status.as_u16() == 404 {
        if let Some(message) = reply
            .json
            .as_ref()
            .ok()
            .and_then(|j| text(j.get("message")))
        {
            return Err(LookupError::not_found(APP, typed, message));
        }
    }
    let spool = reply.ok_json(APP)?;
    if int(spool.get("id")) != Some(id) {
        return Err(LookupError::failed(
            APP,
            format!("asked for spool {id}, got {:?}", spool.get("id")),
        ));
    }
    if !spool.get("filament").is_some_and(Value::is_object) {
        return Err(LookupError::failed(
            APP,
            format!("spool {id} has no filament"),
        ));
    }
    Ok(found(ctx, id, &spool))
}

/// An `extra` value: JSON-encoded, so `"\"abc\""` is `abc` and `"12"` is `12`.
/// A value that is not valid JSON is kept as sent.
fn extra_value(raw: &Value) -> Option<String> {
    let Value::String(s) = raw else {
        return text(Some(raw));
    };
    match serde_json::from_str::<Value>(s) {
        Ok(Value::String(inner)) => Some(inner).filter(|s| !s.is_empty()),
        Ok(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
        Ok(Value::Null) => None,
        Ok(other) => Some(other.to_string()),
        Err(_) => Some(s.clone()).filter(|s| !s.is_empty()),
    }
}

fn found(ctx: &Ctx<'_>, id: u64, spool: &Value) -> Found {
    let filament = spool.get("filament");
    let f = |key: &str| text(filament.and_then(|f| f.get(key)));
    let vendor = text(
        filament
            .and_then(|f| f.get("vendor"))
            .and_then(|v| v.get("name")),
    );
    let material = f("material");
    let filament_name = f("name");
    let color_hex =
        f("color_hex").map(|h| format!("#{}", h.trim_start_matches('#').to_uppercase()));
    let remaining =
        float(spool.get("remaining_weight")).map(|g| format!("{} g", number(g.round())));
    let title = [vendor.clone(), material.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let title = if title.is_empty() {
        filament_name
            .clone()
            .unwrap_or_else(|| format!("Spool {id}"))
    } else {
        title
    };
    // Spoolman has no colour name: the filament's name usually is one ("Galaxy Black").
    let colour = filament_name
        .clone()
        .or_else(|| color_hex.clone())
        .or_else(|| material.clone())
        .unwrap_or_else(|| "?".into());
    let mut fields = BTreeMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            fields.insert(k.to_string(), v);
        }
    };
    put("spool_id", Some(id.to_string()));
    put("vendor", vendor);
    put("material", material);
    put("filament", filament_name);
    put("colour", Some(colour.clone()));
    put("color_hex", color_hex);
    put("remaining_weight", remaining.clone());
    put("lot_nr", text(spool.get("lot_nr")));
    put("location", text(spool.get("location")));
    put("comment", text(spool.get("comment")));
    put(
        "diameter",
        float(filament.and_then(|f| f.get("diameter"))).map(|d| format!("{} mm", number(d))),
    );
    if let Some(Value::Object(extra)) = spool.get("extra") {
        for (key, raw) in extra {
            let name = field_name("extra_", key);
            if let (Some(v), false) = (extra_value(raw), name == "extra") {
                fields.insert(name, v);
            }
        }
    }
    let page = ctx.source.page(&["spool", "show", &id.to_string()]);
    let data = LabelData {
        title: Some(title.clone()),
        primary_id: Some(id.to_string()),
        // Spoolman's own QR payload: short enough for 12 mm tape, and what its scanner opens.
        qr_payload: Some(match ctx.public {
            Some(_) => ctx.qr_target("spool", &id.to_string(), &page),
            None => format!("web+spoolman:s-{id}"),
        }),
        secondary: std::iter::once(colour).chain(remaining).collect(),
        items: Vec::new(),
        fields,
    };
    Found {
        app: APP,
        id: id.to_string(),
        title,
        data,
        template: TEMPLATE,
        url: Some(page),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identifiers() {
        assert_eq!(parse_id("web+spoolman:s-3"), Ok(3));
        assert_eq!(
            parse_id("https://spoolman.local:7912/spool/show/17"),
            Ok(17)
        );
        assert_eq!(parse_id("/spool/show/17?x"), Ok(17));
        assert_eq!(parse_id(" 5 "), Ok(5));
        assert!(parse_id("web+spoolman:f-3").is_err());
        assert!(parse_id("abc").is_err());
        assert!(parse_id("/spool/show/").is_err());
    }

    #[test]
    fn extra_values_are_json_decoded() {
        assert_eq!(extra_value(&json!("\"04A2B3\"")), Some("04A2B3".into()));
        assert_eq!(extra_value(&json!("12.5")), Some("12.5".into()));
        assert_eq!(extra_value(&json!("true")), Some("true".into()));
        assert_eq!(extra_value(&json!("null")), None);
        assert_eq!(extra_value(&json!("not json")), Some("not json".into()));
        assert_eq!(extra_value(&json!("[1,2]")), Some("[1,2]".into()));
    }
}
