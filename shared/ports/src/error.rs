//! The one error type every port returns.

/// A store operation failed. Callers decide from [`StoreError::is_retryable`]
/// whether to answer 5xx (so a broker redelivers) or give up.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record with the same key already exists.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The backend could not be reached or timed out; retrying may succeed.
    #[error("backend unavailable: {0}")]
    Unavailable(String),
    /// The backend refused the operation; retrying will not help.
    #[error("backend error: {0}")]
    Backend(String),
    /// Stored data could not be decoded.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The configuration names a backend this binary was built without.
    #[error("backend not compiled in: {0}")]
    NotCompiledIn(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
