//! The event bus: durable topics keyed by device (Kafka in production, a log
//! in SQLite embedded), read by named consumers that commit their offsets.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::Topic;
use uuid::Uuid;

use crate::error::StoreResult;

/// A message to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct OutMessage {
    pub topic: Topic,
    /// The partition key: the device id.
    pub key: Uuid,
    /// The message id (event id, heartbeat id, command id): what duplicates share.
    pub id: Uuid,
    /// The message, as JSON.
    pub payload: String,
}

/// What became of a published message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// Appended durably at this offset.
    New(i64),
    /// A message with the same topic and id was published before; not appended.
    Duplicate,
}

/// A message as a consumer receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub topic: Topic,
    pub key: Uuid,
    pub id: Uuid,
    pub payload: Arc<str>,
    pub offset: i64,
    pub published_at: DateTime<Utc>,
}

#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes messages; returns once they are durable, in order, with
    /// one outcome per message.
    async fn publish(&self, messages: Vec<OutMessage>) -> StoreResult<Vec<Published>>;
    /// Up to `max` messages of `topic` after the consumer's position, waiting
    /// up to `wait` for the first. The position starts at the committed
    /// offset and advances with each poll.
    async fn poll(&self, consumer: &str, topic: Topic, max: usize, wait: Duration) -> StoreResult<Vec<Delivery>>;
    /// Records that the consumer has handled `topic` up to and including `offset`.
    async fn commit(&self, consumer: &str, topic: Topic, offset: i64) -> StoreResult<()>;
    /// The consumer's committed offset (0 before its first commit).
    async fn committed(&self, consumer: &str, topic: Topic) -> StoreResult<i64>;
    /// Moves the consumer's position (not its commit) to just after `offset`.
    async fn seek(&self, consumer: &str, topic: Topic, offset: i64) -> StoreResult<()>;
    /// Drops messages older than `before` that every consumer of their topic
    /// has committed; returns how many (Kafka's retention does this itself).
    async fn prune(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// Whether `publish` reports duplicates (a log with an index on ids does;
    /// Kafka does not, and leaves them to the idempotent consumers).
    fn detects_duplicates(&self) -> bool;
    /// Checks that the backend answers.
    async fn health(&self) -> StoreResult<()>;
}
