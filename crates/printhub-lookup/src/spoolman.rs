//! Spoolman: a filament spool by id (`/api/v1/spool/{id}`) with its filament
//! and the filament's vendor; no authentication.
//!
//! The API as it really answers: an unknown spool is HTTP 404 with
//! `{"message": "..."}`; weights are grams as numbers (absent when the
//! filament's weight is unknown); `extra` values are JSON-encoded strings
//! (`"nfc": "\"04A2…\""`, `"dried": "true"`). Identifiers: Spoolman's QR
//! payload `WEB+SPOOLMAN:S-<id>` in any case (`web+spoolman:s-<id>` too), a
//! spool page URL or path (`/spool/show/<id>`) and a bare id.
//!
//! Maps to the `filament_spool` template: vendor and material, colour,
//! remaining weight, the spool id and a QR code with Spoolman's own payload
//! `WEB+SPOOLMAN:S-<id>` (what Spoolman prints and its scanner opens; upper
//! case is QR alphanumeric mode, small enough for 12 mm tape), or printhub's landing page when
//! `public_url` is set.
//!
//! [`SpoolFeed`] follows Spoolman's change feed, the WebSocket at
//! `/api/v1/spool`, and yields every spool added (tokio-tungstenite, rustls).

use crate::value::{field_name, float, int, number, text};
use crate::{App, Ctx, Found, LookupError};
use printhub_render::LabelData;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const APP: App = App::Spoolman;

/// The template spools print with.
pub const TEMPLATE: &str = "filament_spool";

/// The spool id in Spoolman's QR payload, a spool URL or path, or a bare id.
pub fn parse_id(s: &str) -> Result<u64, String> {
    let s = s.trim();
    // Spoolman prints `WEB+SPOOLMAN:S-<id>` and its scanner reads any case.
    let scheme = "web+spoolman:";
    let id = if s
        .get(..scheme.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
    {
        let rest = &s[scheme.len()..];
        rest.get(..2)
            .filter(|p| p.eq_ignore_ascii_case("s-"))
            .map(|_| &rest[2..])
            .ok_or_else(|| format!("{s:?} is not a spool (WEB+SPOOLMAN:S-<id>)"))?
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
        // Spoolman's own QR payload, upper case as Spoolman prints it: all
        // QR alphanumeric characters (a smaller code, fine on 12 mm tape),
        // and what its scanner opens.
        qr_payload: Some(match ctx.public {
            Some(_) => ctx.qr_target("spool", &id.to_string(), &page),
            None => format!("WEB+SPOOLMAN:S-{id}"),
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

// The change feed.

/// The shortest and longest wait before reconnecting the feed: short enough
/// that a spool added just after Spoolman comes back is printed within seconds.
const RECONNECT: (Duration, Duration) = (Duration::from_millis(500), Duration::from_secs(5));

/// Spools asked for per page when catching up.
const CATCH_UP_PAGE: usize = 50;

/// The most spools one catch-up hands out (a cursor far behind, e.g. after
/// Spoolman's database was replaced, prints no flood of labels).
const CATCH_UP_MAX: usize = 500;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Why Spoolman's change feed broke (code `feed_failed`): the next
/// [`SpoolFeed::next`] reconnects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Spoolman feed: {reason}")]
pub struct FeedError {
    /// Why, for a person (the feed's URL included).
    pub reason: String,
}

impl FeedError {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        "feed_failed"
    }
}

/// Spoolman's change feed: the WebSocket at `ws(s)://…/api/v1/spool`, on which
/// Spoolman pushes `{"type": "added"|"updated"|"deleted", "resource": "spool",
/// "date": …, "payload": <spool>}`. [`SpoolFeed::next`] answers each spool
/// *added*, mapped as a lookup maps it, in id order; other events are skipped.
///
/// A WebSocket delivers only what happens while it is open, so on every
/// connection the feed catches up: it lists the spools newer than the last
/// one it handed out (`GET /api/v1/spool?sort=id:desc&limit=…&offset=…`,
/// Spoolman's ids only grow) and hands those out first. [`SpoolFeed::resume_after`]
/// sets where to catch up from (the last spool a previous run labelled);
/// without it the first connection starts after Spoolman's newest spool
/// (listed before the WebSocket opens). It
/// reconnects by itself, waiting 0.5 s, then twice as long after each
/// failure (at most 5 s); each failure is answered once as a [`FeedError`].
#[derive(Debug)]
pub struct SpoolFeed {
    url: String,
    fetcher: crate::http::Fetcher,
    source: crate::http::Source,
    public: Option<reqwest::Url>,
    max_message: usize,
    socket: Option<Socket>,
    delay: Duration,
    /// The newest spool id handed out (or the starting point).
    cursor: Option<u64>,
    /// Spools found by a catch-up, oldest first, not yet handed out.
    backlog: std::collections::VecDeque<(u64, Found)>,
}

impl SpoolFeed {
    pub(crate) fn new(
        fetcher: crate::http::Fetcher,
        source: crate::http::Source,
        public: Option<reqwest::Url>,
        max_message: usize,
    ) -> SpoolFeed {
        let mut url = source.url(&["api", "v1", "spool"]);
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        // Both are special schemes, so the change is accepted.
        let _ = url.set_scheme(scheme);
        SpoolFeed {
            url: url.to_string(),
            fetcher,
            source,
            public,
            max_message,
            socket: None,
            delay: Duration::ZERO,
            cursor: None,
            backlog: Default::default(),
        }
    }

    /// The WebSocket URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Hands out only spools newer than `id` (the last spool labelled), those
    /// added while nothing listened included.
    pub fn resume_after(&mut self, id: u64) {
        self.cursor = Some(id);
    }

    /// The newest spool id handed out, or the starting point.
    pub fn cursor(&self) -> Option<u64> {
        self.cursor
    }

    /// The next spool added in Spoolman; a [`FeedError`] when the feed broke
    /// (the next call reconnects and catches up).
    pub async fn next(&mut self) -> Result<Found, FeedError> {
        use futures_util::StreamExt as _;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            if let Some((id, found)) = self.backlog.pop_front() {
                self.cursor = Some(self.cursor.map_or(id, |c| c.max(id)));
                return Ok(found);
            }
            let socket = match &mut self.socket {
                Some(socket) => socket,
                None => {
                    tokio::time::sleep(self.delay).await;
                    if self.cursor.is_none() {
                        // First start: begin after the newest spool (listed
                        // before listening, so none slips between the two).
                        match self.page(0, 1).await {
                            Ok(newest) => {
                                self.cursor = Some(newest.first().map_or(0, |(id, _)| *id))
                            }
                            Err(reason) => {
                                return Err(self.broke(format!("cannot list the spools: {reason}")))
                            }
                        }
                    }
                    let socket = self.connect().await?;
                    // Listen first, then list: a spool added in between is in
                    // both and handed out once (the cursor skips the event).
                    if let Err(reason) = self.catch_up().await {
                        return Err(self.broke(format!("cannot catch up: {reason}")));
                    }
                    self.delay = Duration::ZERO;
                    self.socket = Some(socket);
                    continue;
                }
            };
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    if let Some((id, found)) = self.added(text.as_str()) {
                        if self.cursor.is_some_and(|c| id <= c) {
                            continue;
                        }
                        self.cursor = Some(id);
                        return Ok(found);
                    }
                }
                Some(Ok(Message::Close(_))) | None => {
                    return Err(self.broke("Spoolman closed the feed".to_string()))
                }
                // Pings are answered by the socket itself; binary frames are not Spoolman's.
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(self.broke(format!("the feed broke: {e}"))),
            }
        }
    }

    async fn connect(&mut self) -> Result<Socket, FeedError> {
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(self.max_message))
            .max_frame_size(Some(self.max_message));
        let connect =
            tokio_tungstenite::connect_async_with_config(self.url.as_str(), Some(config), false);
        match tokio::time::timeout(self.source.timeout, connect).await {
            Ok(Ok((socket, _))) => Ok(socket),
            Ok(Err(e)) => Err(self.broke(format!("cannot connect: {e}"))),
            Err(_) => Err(self.broke(format!(
                "no WebSocket handshake within {} ms",
                self.source.timeout.as_millis()
            ))),
        }
    }

    /// Lists the spools newer than the cursor into the backlog, oldest first.
    async fn catch_up(&mut self) -> Result<(), String> {
        let cursor = self.cursor.unwrap_or(0);
        let mut newer = Vec::new();
        let mut offset = 0;
        'pages: loop {
            let page = self.page(offset, CATCH_UP_PAGE).await?;
            for (id, spool) in &page {
                if *id <= cursor || newer.len() >= CATCH_UP_MAX {
                    break 'pages;
                }
                newer.push((*id, spool.clone()));
            }
            if page.len() < CATCH_UP_PAGE {
                break;
            }
            offset += CATCH_UP_PAGE;
        }
        if newer.len() >= CATCH_UP_MAX {
            log::warn!(
                "spoolman feed: more than {CATCH_UP_MAX} spools newer than {cursor}; the oldest are skipped"
            );
        }
        let ctx = Ctx {
            fetcher: &self.fetcher,
            source: &self.source,
            public: self.public.as_ref(),
        };
        let mut found: Vec<(u64, Found)> = newer
            .iter()
            .filter(|(id, spool)| {
                let ok = spool.get("filament").is_some_and(Value::is_object);
                if !ok {
                    log::warn!("spoolman feed: spool {id} has no filament; skipped");
                }
                ok
            })
            .map(|(id, spool)| (*id, found(&ctx, *id, spool)))
            .collect();
        found.sort_by_key(|(id, _)| *id);
        if !found.is_empty() {
            log::info!(
                "spoolman feed: {} spool(s) added while not listening",
                found.len()
            );
        }
        self.backlog.extend(found);
        Ok(())
    }

    /// One page of spools, newest first: `(id, spool)`.
    async fn page(&self, offset: usize, limit: usize) -> Result<Vec<(u64, Value)>, String> {
        let (offset, limit) = (offset.to_string(), limit.to_string());
        let reply = self
            .fetcher
            .get_query(
                &self.source,
                &["api", "v1", "spool"],
                &[("sort", "id:desc"), ("limit", &limit), ("offset", &offset)],
            )
            .await
            .map_err(|e| e.to_string())?;
        let list = reply.ok_json(APP).map_err(|e| e.to_string())?;
        let list = list.as_array().ok_or("the spool list is not a list")?;
        Ok(list
            .iter()
            .filter_map(|spool| int(spool.get("id")).map(|id| (id, spool.clone())))
            .collect())
    }

    /// Drops the socket, lengthens the wait before the next connection.
    fn broke(&mut self, reason: String) -> FeedError {
        self.socket = None;
        self.delay = (self.delay * 2).clamp(RECONNECT.0, RECONNECT.1);
        FeedError {
            reason: format!("{reason} ({}); reconnecting", self.url),
        }
    }

    /// The spool of an `added` spool event.
    fn added(&self, text: &str) -> Option<(u64, Found)> {
        let event: Value = serde_json::from_str(text).ok()?;
        if event.get("type")?.as_str()? != "added" || event.get("resource")?.as_str()? != "spool" {
            return None;
        }
        let spool = event.get("payload")?;
        let id = int(spool.get("id"))?;
        if !spool.get("filament").is_some_and(Value::is_object) {
            log::warn!("spoolman feed: spool {id} has no filament; skipped");
            return None;
        }
        let ctx = Ctx {
            fetcher: &self.fetcher,
            source: &self.source,
            public: self.public.as_ref(),
        };
        Some((id, found(&ctx, id, spool)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identifiers() {
        assert_eq!(parse_id("web+spoolman:s-3"), Ok(3));
        assert_eq!(parse_id("WEB+SPOOLMAN:S-3"), Ok(3));
        assert_eq!(parse_id("Web+Spoolman:s-12"), Ok(12));
        assert!(parse_id("WEB+SPOOLMAN:F-3").is_err());
        assert!(parse_id("WEB+SPOOLMAN:").is_err());
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

    #[test]
    fn the_reconnect_wait_doubles_up_to_five_seconds() {
        let lookups = crate::Lookups::new(&crate::LookupsConfig {
            spoolman: Some(crate::SourceConfig::new("http://127.0.0.1:9/")),
            ..Default::default()
        })
        .expect("lookups");
        let mut feed = lookups.spool_feed().expect("feed");
        let mut waits = Vec::new();
        for _ in 0..6 {
            let e = feed.broke("down".into());
            assert_eq!(e.code(), "feed_failed");
            waits.push(feed.delay.as_millis());
        }
        assert_eq!(waits, [500, 1000, 2000, 4000, 5000, 5000]);
    }
}
