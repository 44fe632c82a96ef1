//! Extractors that answer bad input with the API's error body instead of
//! axum's plain-text rejections.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use homeguard_domain::ErrorCode;
use serde::de::DeserializeOwned;

use crate::error::FnError;

/// A JSON body. Invalid JSON is `MALFORMED_REQUEST`, JSON of the wrong shape
/// `VALIDATION_ERROR`, a missing content type 415, an oversized body 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

fn json_rejection(r: JsonRejection) -> FnError {
    match r {
        JsonRejection::JsonSyntaxError(e) => {
            FnError::malformed(format!("The body is not valid JSON: {}", e.body_text()))
        }
        JsonRejection::JsonDataError(e) => FnError::new(ErrorCode::ValidationError, clean(&e.body_text())),
        JsonRejection::MissingJsonContentType(_) => {
            FnError::new(ErrorCode::UnsupportedMediaType, "Send the body as JSON with 'Content-Type: application/json'")
        }
        other if other.status() == http::StatusCode::PAYLOAD_TOO_LARGE => {
            FnError::new(ErrorCode::PayloadTooLarge, "The body is too large")
        }
        other => FnError::malformed(other.body_text()),
    }
}

/// serde's messages prefixed with axum's generic sentence; keep the useful part.
fn clean(text: &str) -> String {
    let text = text.strip_prefix("Failed to deserialize the JSON body into the target type: ").unwrap_or(text);
    format!("The body does not have the expected shape: {text}")
}

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = FnError;

    async fn from_request(req: Request, state: &S) -> Result<Self, FnError> {
        axum::Json::<T>::from_request(req, state).await.map(|axum::Json(v)| Json(v)).map_err(json_rejection)
    }
}

/// Query parameters; bad ones are `VALIDATION_ERROR`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = FnError;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, FnError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|r: QueryRejection| {
                let text = r.body_text();
                let text = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text);
                FnError::new(ErrorCode::ValidationError, format!("Invalid query parameters: {text}"))
            })
    }
}

/// Path parameters; ones that do not parse (a device id that is not a UUID)
/// are `VALIDATION_ERROR`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = FnError;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, FnError> {
        axum::extract::Path::<T>::from_request_parts(parts, state).await.map(|axum::extract::Path(v)| Path(v)).map_err(
            |r: PathRejection| {
                FnError::new(ErrorCode::ValidationError, format!("Invalid path parameter: {}", r.body_text()))
            },
        )
    }
}
