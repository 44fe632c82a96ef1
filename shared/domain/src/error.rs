//! The stable error codes of the API's error body
//! (`{"error":{"code","message","details","trace_id","timestamp"}}`).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A stable, machine-readable error code. Clients switch on these, so a code
/// is never renamed; new ones may be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The request body or parameters failed validation.
    ValidationError,
    /// The body is not JSON, or not the JSON shape the endpoint takes.
    MalformedRequest,
    /// No credentials, or credentials that are not valid (bad signature, revoked session).
    Unauthorized,
    /// The token was valid once but has expired.
    TokenExpired,
    /// Email and password do not match a user.
    InvalidCredentials,
    /// Authenticated, but not allowed to do this.
    Forbidden,
    /// The device does not exist, or is not the caller's.
    DeviceNotFound,
    /// The user does not exist, or is not visible to the caller.
    UserNotFound,
    /// No such route or resource.
    NotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The resource already exists.
    Conflict,
    /// The body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// The content type is not one the endpoint accepts.
    UnsupportedMediaType,
    /// Too many requests; retry later.
    RateLimited,
    /// An alarm code that is not one of the home's (or not valid now).
    InvalidCode,
    /// Lowering the home's guard needs a code.
    CodeRequired,
    /// Too many wrong codes: the keypad is locked for a while.
    LockedOut,
    /// A dependency is unavailable; retrying may succeed.
    ServiceUnavailable,
    /// An unexpected failure; details are in the logs under the trace id.
    InternalError,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationError => "VALIDATION_ERROR",
            Self::MalformedRequest => "MALFORMED_REQUEST",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::Forbidden => "FORBIDDEN",
            Self::DeviceNotFound => "DEVICE_NOT_FOUND",
            Self::UserNotFound => "USER_NOT_FOUND",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::Conflict => "CONFLICT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::RateLimited => "RATE_LIMITED",
            Self::InvalidCode => "INVALID_CODE",
            Self::CodeRequired => "CODE_REQUIRED",
            Self::LockedOut => "LOCKED_OUT",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule of the domain was broken: a code, a message for a person, and
/// details for a program (which field, which value, what is allowed).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DomainError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
}

impl DomainError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), details: json!({}) }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// A validation failure on one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(ErrorCode::ValidationError, format!("{field}: {message}"))
            .with_details(json!({ "field": field, "reason": message }))
    }

    pub fn device_not_found(id: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::DeviceNotFound, format!("Device with ID {id} not found"))
            .with_details(json!({ "device_id": id.to_string() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_wire_names() {
        for code in [ErrorCode::DeviceNotFound, ErrorCode::ValidationError, ErrorCode::TokenExpired] {
            assert_eq!(serde_json::to_value(code).unwrap(), Value::String(code.as_str().into()));
        }
    }

    #[test]
    fn invalid_names_the_field() {
        let e = DomainError::invalid("name", "must not be empty");
        assert_eq!(e.code, ErrorCode::ValidationError);
        assert_eq!(e.details["field"], "name");
        assert!(e.message.contains("name"));
    }
}
