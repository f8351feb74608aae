//! [`JsonBody`], the JSON extractor of the gateway: the body limit comes from
//! [`GatewayConfig`] at request time, a body over it is 413
//! `payload_too_large`, JSON that does not parse (or has unknown fields) is
//! 400 `invalid_request` with the parser's message.

use crate::error::{ApiError, ErrorCode};
use crate::GatewayConfig;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// A JSON request body, parsed into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<GatewayConfig>>()
            .map(|c| c.body_limit)
            .unwrap_or_else(|| GatewayConfig::default().body_limit);
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let payload = web::Payload::from_request(req, payload);
        Box::pin(async move {
            let too_large = || {
                ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("the request body is larger than {limit} bytes"),
                )
                .with_detail(serde_json::json!({ "limit": limit }))
            };
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let bytes = payload
                .await
                .map_err(|e| ApiError::invalid(format!("cannot read the request body: {e}")))?
                .to_bytes_limited(limit)
                .await
                .map_err(|_| too_large())?
                .map_err(|e| ApiError::invalid(format!("cannot read the request body: {e}")))?;
            serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
                ApiError::invalid(format!("invalid JSON body: {e}"))
                    .with_detail(serde_json::json!({ "line": e.line(), "column": e.column() }))
            })
        })
    }
}
