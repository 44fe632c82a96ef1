//! [`FnError`], what every handler returns on failure, and its one mapping to
//! the API's error body.

use axum::Json;
use axum::response::{IntoResponse, Response};
use homeguard_domain::{DomainError, ErrorCode};
use homeguard_ports::StoreError;
use serde_json::{Value, json};

use crate::telemetry;

/// A handler failed. `code` decides the HTTP status; `retryable` decides
/// whether a broker should redeliver the event that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct FnError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
    pub retryable: bool,
}

impl FnError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: json!({}), retryable: false }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedRequest, message)
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        DomainError::invalid(field, message).into()
    }

    pub fn device_not_found(id: impl std::fmt::Display) -> Self {
        DomainError::device_not_found(id).into()
    }

    /// An unexpected failure: logged here once with its cause, answered opaquely.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::InternalError, "An internal error occurred; quote the trace_id when reporting it")
    }

    pub fn status(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.code.http_status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The error body of the requirements, stamped with the current trace id.
    pub fn body(&self) -> Value {
        let (trace_id, timestamp) = telemetry::current_trace_and_time();
        json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "details": self.details,
                "trace_id": trace_id,
                "timestamp": timestamp,
            }
        })
    }
}

impl std::fmt::Display for FnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for FnError {}

impl From<DomainError> for FnError {
    fn from(e: DomainError) -> Self {
        Self { code: e.code, message: e.message, details: e.details, retryable: false }
    }
}

impl From<StoreError> for FnError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => {
                Self::new(ErrorCode::Conflict, "The resource already exists").with_details(json!({ "conflict": what }))
            }
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "store unavailable");
                Self {
                    retryable: true,
                    ..Self::new(ErrorCode::ServiceUnavailable, "A backing store is unavailable; retry shortly")
                }
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for FnError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        if self.code == ErrorCode::ServiceUnavailable || self.code == ErrorCode::RateLimited {
            let seconds = self.details.get("retry_after_seconds").and_then(serde_json::Value::as_u64).unwrap_or(1);
            response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds.max(1)));
        }
        response
    }
}
