//! Token buckets in memory, on the monotonic clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use homeguard_ports::error::StoreResult;
use homeguard_ports::{Decision, Limit, RateLimiter};
use tokio::time::Instant;

#[derive(Debug, Default)]
pub struct MemoryLimiter {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// Buckets untouched this long are full again and can be forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(3600);
const MAX_BUCKETS: usize = 100_000;

impl MemoryLimiter {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl RateLimiter for MemoryLimiter {
    async fn acquire(&self, key: &str, limit: Limit, cost: u32) -> StoreResult<Decision> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, (_, at)| now.duration_since(*at) < FORGET_AFTER);
        }
        let capacity = f64::from(limit.capacity);
        let (tokens, at) = buckets.get(key).copied().unwrap_or((capacity, now));
        let tokens = (tokens + now.duration_since(at).as_secs_f64() * limit.per_second).min(capacity);
        // Looking (cost 0) asks whether one token is there.
        let allowed = tokens >= f64::from(cost.max(1));
        let left = if allowed { tokens - f64::from(cost) } else { tokens };
        buckets.insert(key.to_owned(), (left, now));
        let retry_after = if left >= 1.0 || limit.per_second <= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - left) / limit.per_second)
        };
        Ok(Decision { allowed, remaining: left.max(0.0) as u32, retry_after })
    }
}
