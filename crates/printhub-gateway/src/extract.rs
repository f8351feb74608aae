//! [`JsonBody`], the JSON extractor of the gateway, and [`read_body`], what
//! it and the webhooks read bodies with: the body limit comes from
//! [`GatewayConfig`] at request time, a body over it is 413
//! `payload_too_large`; a body that does not arrive within the body deadline
//! ([`Limits::body_timeout`]) is 408 `request_timeout`; JSON that does not
//! parse (or has unknown fields) is 400 `invalid_request` with the parser's
//! message.

use crate::error::{ApiError, ErrorCode};
use crate::limits::{body_timed_out, Limits};
use crate::GatewayConfig;
use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// A JSON request body, parsed into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

/// The body limit of the app (the default when it has no [`GatewayConfig`]).
pub(crate) fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<GatewayConfig>>()
        .map(|c| c.body_limit)
        .unwrap_or_else(|| GatewayConfig::default().body_limit)
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the request body is larger than {limit} bytes"),
    )
    .with_detail(serde_json::json!({ "limit": limit }))
}

/// Reads the whole body of `req`: at most the body limit (413 as soon as it
/// is declared or read past it), within the body deadline (408).
pub(crate) async fn read_body(req: &HttpRequest, payload: Payload) -> Result<Bytes, ApiError> {
    let limit = body_limit(req);
    let deadline = Limits::of(req).body_timeout();
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let read = async move {
        let mut payload = payload;
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk
                .map_err(|e| ApiError::invalid(format!("cannot read the request body: {e}")))?;
            if body.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    tokio::time::timeout(deadline, read)
        .await
        .map_err(|_| body_timed_out(deadline))?
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let bytes = read_body(&req, payload).await?;
            serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
                ApiError::invalid(format!("invalid JSON body: {e}"))
                    .with_detail(serde_json::json!({ "line": e.line(), "column": e.column() }))
            })
        })
    }
}
