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

    /// An item that is not of the shape an endpoint takes.
    pub fn invalid_shape(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationError, message)
    }

    /// Whether the platform failed (a store is down, a bug), rather than the
    /// input being wrong: the sender should retry, a batch should not be
    /// judged item by item, a consumer should not set the message aside.
    pub fn is_platform(&self) -> bool {
        self.retryable || matches!(self.code, ErrorCode::ServiceUnavailable | ErrorCode::InternalError)
    }

    /// The HTTP status it is answered with.
    pub fn status(&self) -> http::StatusCode {
        status_of(self.code)
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

/// The HTTP status each error code is answered with (the edge's concern:
/// the domain only names the codes).
pub fn status_of(code: ErrorCode) -> http::StatusCode {
    use http::StatusCode as S;
    match code {
        ErrorCode::ValidationError | ErrorCode::MalformedRequest => S::BAD_REQUEST,
        ErrorCode::Unauthorized | ErrorCode::TokenExpired | ErrorCode::InvalidCredentials => S::UNAUTHORIZED,
        ErrorCode::Forbidden | ErrorCode::InvalidCode | ErrorCode::CodeRequired => S::FORBIDDEN,
        ErrorCode::DeviceNotFound | ErrorCode::UserNotFound | ErrorCode::NotFound => S::NOT_FOUND,
        ErrorCode::MethodNotAllowed => S::METHOD_NOT_ALLOWED,
        ErrorCode::Conflict => S::CONFLICT,
        ErrorCode::PayloadTooLarge => S::PAYLOAD_TOO_LARGE,
        ErrorCode::UnsupportedMediaType => S::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::RateLimited | ErrorCode::LockedOut => S::TOO_MANY_REQUESTS,
        ErrorCode::InternalError => S::INTERNAL_SERVER_ERROR,
        ErrorCode::ServiceUnavailable => S::SERVICE_UNAVAILABLE,
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
        if matches!(self.code, ErrorCode::ServiceUnavailable | ErrorCode::RateLimited | ErrorCode::LockedOut) {
            let seconds = self.details.get("retry_after_seconds").and_then(serde_json::Value::as_u64).unwrap_or(1);
            response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_http_semantics() {
        assert_eq!(status_of(ErrorCode::InvalidCredentials), 401);
        assert_eq!(status_of(ErrorCode::DeviceNotFound), 404);
        assert_eq!(status_of(ErrorCode::MalformedRequest), 400);
        assert_eq!(status_of(ErrorCode::ServiceUnavailable), 503);
    }

    #[test]
    fn platform_failures_are_told_from_bad_input() {
        assert!(!FnError::invalid("name", "must not be empty").is_platform());
        assert!(FnError::from(StoreError::Unavailable("down".into())).is_platform());
        assert!(FnError::new(ErrorCode::InternalError, "bug").is_platform());
        assert!(!FnError::device_not_found("x").is_platform());
    }
}
