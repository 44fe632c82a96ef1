//! Contract of [`RateLimiter`].

use std::time::Duration;

use uuid::Uuid;

use crate::{Limit, RateLimiter};

pub async fn run(limiter: &dyn RateLimiter) {
    let key = format!("contract:{}", Uuid::new_v4());
    let limit = Limit { capacity: 3, per_second: 10.0 };
    let peek = limiter.acquire(&key, limit, 0).await.unwrap();
    assert!(peek.allowed && peek.remaining == 3, "a new bucket is full: {peek:?}");
    for left in [2, 1, 0] {
        let d = limiter.acquire(&key, limit, 1).await.unwrap();
        assert!(d.allowed, "token {left}");
        assert_eq!(d.remaining, left);
    }
    let denied = limiter.acquire(&key, limit, 1).await.unwrap();
    assert!(!denied.allowed, "an empty bucket refuses");
    assert!(denied.retry_after > Duration::ZERO && denied.retry_after <= Duration::from_millis(100));
    assert!(!limiter.acquire(&key, limit, 0).await.unwrap().allowed, "looking at an empty bucket says so");
    let other = format!("contract:{}", Uuid::new_v4());
    assert!(limiter.acquire(&other, limit, 1).await.unwrap().allowed, "buckets are independent");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(limiter.acquire(&key, limit, 1).await.unwrap().allowed, "tokens come back with time");
}
