//! The one HTTP path every source uses: a pooled `reqwest` client, the
//! source's base URL with percent-encoded path segments appended, its key in
//! the header that app expects, one deadline over connect + headers + body,
//! and a cap on the body size. It answers the status and the body parsed as
//! JSON (or why it is not JSON); each source decides what a status means.
//!
//! Runs on whatever tokio runtime calls it (actix's included): the client
//! spawns its connection tasks on the caller's runtime.

use crate::{App, LookupError, Secret};
use reqwest::{header, StatusCode, Url};
use serde_json::Value;
use std::time::Duration;

/// How a source sends its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `Authorization: Bearer <key>` (Snipe-IT).
    Bearer,
    /// A named header (Grocy's `GROCY-API-KEY`).
    Header(&'static str),
}

/// One configured upstream.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub app: App,
    /// Base URL, ending in `/` (so segments are appended, not replacing its last one).
    pub base: Url,
    pub key: Option<Secret>,
    pub auth: Auth,
    pub timeout: Duration,
}

/// A parsed base URL: http(s), no query or fragment, path ending in `/`.
pub(crate) fn base_url(raw: &str, field: &str) -> Result<Url, LookupError> {
    let bad = |reason: String| LookupError::InvalidConfig {
        field: field.to_string(),
        reason,
    };
    let mut url = Url::parse(raw.trim()).map_err(|e| bad(format!("{raw:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() || url.host().is_none() {
        return Err(bad(format!("{raw:?} is not an http(s) URL with a host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!("{raw:?} must not have a query or fragment")));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

impl Source {
    /// The base URL with `segments` appended, each percent-encoded as one segment.
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// A page of the app (`hardware/3`) as a string: [`Source::url`] of `segments`.
    pub fn page(&self, segments: &[&str]) -> String {
        self.url(segments).to_string()
    }
}

/// An answer: its status and its body as JSON, or why the body is not JSON.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub json: Result<Value, String>,
}

impl Reply {
    /// The JSON of a 2xx answer; anything else is `failed` with the reason.
    pub fn ok_json(self, app: App) -> Result<Value, LookupError> {
        if !self.status.is_success() {
            return Err(self.unexpected(app));
        }
        self.json
            .map_err(|e| LookupError::failed(app, format!("malformed JSON: {e}")))
    }

    /// `failed` for an answer the source does not otherwise handle.
    pub fn unexpected(&self, app: App) -> LookupError {
        let code = self.status.as_u16();
        let reason = match self.status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                format!("HTTP {code}: the API key was rejected (check api_key)")
            }
            s if s.is_server_error() => format!("HTTP {code}: the app had an error"),
            s if s.is_redirection() => {
                format!("HTTP {code}: redirected elsewhere (check base_url)")
            }
            _ => format!("unexpected HTTP {code}"),
        };
        LookupError::failed(app, reason)
    }
}

/// The shared HTTP client and the body cap.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    max_body: usize,
}

impl Fetcher {
    /// A pooled client. Redirects are followed only within the same origin, so a key
    /// sent in a custom header never reaches another host.
    pub fn new(max_body: usize) -> Result<Self, LookupError> {
        let policy = reqwest::redirect::Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            if attempt.previous().len() > 5 {
                attempt.error("more than 5 redirects")
            } else if same_origin {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let client = reqwest::Client::builder()
            .redirect(policy)
            .user_agent(concat!("printhub/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| LookupError::InvalidConfig {
                field: "http_client".into(),
                reason: e.to_string(),
            })?;
        Ok(Fetcher { client, max_body })
    }

    /// The body cap.
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    /// `GET` the source's `segments`, within its timeout, the body at most the cap.
    pub async fn get(&self, source: &Source, segments: &[&str]) -> Result<Reply, LookupError> {
        self.get_query(source, segments, &[]).await
    }

    /// [`Fetcher::get`] with a query string (`sort=id:desc&limit=50`).
    pub async fn get_query(
        &self,
        source: &Source,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Reply, LookupError> {
        let app = source.app;
        let mut url = source.url(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut request = self
            .client
            .get(url)
            .header(header::ACCEPT, "application/json")
            .timeout(source.timeout);
        if let Some(key) = &source.key {
            request = match source.auth {
                Auth::Bearer => request.bearer_auth(key.expose()),
                Auth::Header(name) => request.header(name, key.expose()),
            };
        }
        let max = self.max_body;
        let exchange = async move {
            let mut response = request.send().await.map_err(|e| describe(app, &e))?;
            let status = response.status();
            let too_large =
                || LookupError::failed(app, format!("the answer is larger than {max} bytes"));
            if response.content_length().is_some_and(|n| n > max as u64) {
                return Err(too_large());
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| describe(app, &e))? {
                if body.len() + chunk.len() > max {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            let json = serde_json::from_slice::<Value>(&body).map_err(|e| {
                if body.is_empty() {
                    "empty body".to_string()
                } else {
                    e.to_string()
                }
            });
            Ok(Reply { status, json })
        };
        // The client's own timeout covers the exchange too; this one also bounds
        // anything it might not (a body that trickles forever).
        tokio::time::timeout(source.timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(timed_out(app, source.timeout)))
    }
}

fn timed_out(app: App, timeout: Duration) -> LookupError {
    LookupError::failed(
        app,
        format!("no complete answer within {} ms", timeout.as_millis()),
    )
}

/// A transport error for a person: what failed and the underlying cause.
fn describe(app: App, e: &reqwest::Error) -> LookupError {
    if e.is_timeout() {
        // The per-request timeout fired; the message matches the outer deadline's.
        return LookupError::failed(app, "no complete answer within the timeout");
    }
    let what = if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "the request failed"
    };
    let mut reason = what.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    if let Some(url) = e.url() {
        reason.push_str(&format!(" ({})", url.origin().ascii_serialization()));
    }
    LookupError::failed(app, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(base: &str) -> Source {
        Source {
            app: App::Grocy,
            base: base_url(base, "grocy.base_url").expect("url"),
            key: None,
            auth: Auth::Header("GROCY-API-KEY"),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn segments_are_appended_and_encoded_one_by_one() {
        let s = source("http://h:9283/grocy");
        assert_eq!(
            s.url(&["api", "stock", "products", "by-barcode", "a/b c?"])
                .as_str(),
            "http://h:9283/grocy/api/stock/products/by-barcode/a%2Fb%20c%3F"
        );
        let s = source("https://h/");
        assert_eq!(
            s.url(&["api", "v1", "spool", "3"]).as_str(),
            "https://h/api/v1/spool/3"
        );
    }

    #[test]
    fn bad_base_urls_name_the_field() {
        for bad in ["", "h:80", "ftp://h/", "http://h/?x=1", "mailto:a@b"] {
            let err = base_url(bad, "grocy.base_url").expect_err(bad);
            assert_eq!(err.code(), "invalid_config");
            assert!(err.to_string().starts_with("grocy.base_url: "), "{err}");
        }
    }
}
