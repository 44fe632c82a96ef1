//! Rate-limit buckets (Redis in production, in memory embedded).

use std::time::Duration;

use async_trait::async_trait;

use crate::error::StoreResult;

/// A token bucket: holds at most `capacity` tokens, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub capacity: u32,
    pub per_second: f64,
}

/// The answer of a bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Whether the tokens asked for were there (and, when `cost` > 0, taken).
    pub allowed: bool,
    /// Whole tokens left.
    pub remaining: u32,
    /// How long until one more token is there (zero when one is).
    pub retry_after: Duration,
}

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Takes `cost` tokens from the bucket `key` when it holds them; a cost
    /// of 0 only looks.
    async fn acquire(&self, key: &str, limit: Limit, cost: u32) -> StoreResult<Decision>;
}
