//! The event bus: durable topics keyed by device (Kafka in production, a log
//! in SQLite embedded), read by named consumers that commit their offsets.

use std::collections::BTreeMap;
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
    /// Appended durably at this offset of this partition.
    New { partition: i32, offset: i64 },
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
    /// The partition of the topic (by key: one device's messages share one).
    pub partition: i32,
    /// The offset within the partition.
    pub offset: i64,
    pub published_at: DateTime<Utc>,
}

/// A consumer's place in a topic: for each partition, the last offset it
/// has handled. A partition that is absent has had nothing handled: reading
/// it starts from its first retained message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position(BTreeMap<i32, i64>);

impl Position {
    pub fn new() -> Self {
        Self::default()
    }

    /// A position in one partition.
    pub fn at(partition: i32, offset: i64) -> Self {
        let mut p = Self::new();
        p.set(partition, offset);
        p
    }

    /// The last offset handled in `partition`, if any.
    pub fn get(&self, partition: i32) -> Option<i64> {
        self.0.get(&partition).copied()
    }

    pub fn set(&mut self, partition: i32, offset: i64) {
        self.0.insert(partition, offset);
    }

    /// Moves past a delivery (never back).
    pub fn advance(&mut self, d: &Delivery) {
        let o = self.0.entry(d.partition).or_insert(d.offset);
        *o = (*o).max(d.offset);
    }

    /// The position after `deliveries`, starting from nothing.
    pub fn after(deliveries: &[Delivery]) -> Self {
        let mut p = Self::new();
        deliveries.iter().for_each(|d| p.advance(d));
        p
    }

    /// Whichever is behind, partition by partition (a partition absent from
    /// either is absent: read from its start).
    pub fn min(&self, other: &Self) -> Self {
        Self(self.0.iter().filter_map(|(p, o)| other.get(*p).map(|x| (*p, (*o).min(x)))).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (i32, i64)> + '_ {
        self.0.iter().map(|(p, o)| (*p, *o))
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("start");
        }
        let parts: Vec<String> = self.iter().map(|(p, o)| format!("{p}:{o}")).collect();
        f.write_str(&parts.join(","))
    }
}

/// A message a consumer could never handle, set aside with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// The message as it was delivered (its topic, partition and offset are
    /// where it came from).
    pub message: Delivery,
    /// The consumer that gave up on it.
    pub consumer: String,
    pub reason: String,
    pub dead_at: DateTime<Utc>,
}

#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes messages; returns once they are durable, in order, with
    /// one outcome per message. Messages with one key keep their order.
    async fn publish(&self, messages: Vec<OutMessage>) -> StoreResult<Vec<Published>>;
    /// Up to `max` messages of `topic` after the consumer's position, waiting
    /// up to `wait` for the first. The position starts at the committed
    /// position and advances with each poll. Within a partition, messages
    /// come in offset order.
    async fn poll(&self, consumer: &str, topic: Topic, max: usize, wait: Duration) -> StoreResult<Vec<Delivery>>;
    /// Records that the consumer has handled `topic` up to and including
    /// each partition's offset in `position` (other partitions keep theirs).
    async fn commit(&self, consumer: &str, topic: Topic, position: &Position) -> StoreResult<()>;
    /// The consumer's committed position (empty before its first commit).
    async fn committed(&self, consumer: &str, topic: Topic) -> StoreResult<Position>;
    /// Moves the consumer's read position (not its commit) to just after
    /// `position`; partitions absent from it are read from their start.
    /// Replaying from an offset is a seek.
    async fn seek(&self, consumer: &str, topic: Topic, position: &Position) -> StoreResult<()>;
    /// Sets a message aside that `consumer` can never handle, with the
    /// reason, so that it no longer blocks its topic and is not lost.
    async fn dead_letter(&self, consumer: &str, message: &Delivery, reason: &str) -> StoreResult<()>;
    /// Up to `max` of the messages set aside from `topic`, oldest first.
    async fn dead_letters(&self, topic: Topic, max: usize) -> StoreResult<Vec<DeadLetter>>;
    /// Drops messages older than `before` that every consumer of their topic
    /// has committed; returns how many (Kafka's retention does this itself).
    async fn prune(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// Whether `publish` reports duplicates (a log with an index on ids does;
    /// Kafka does not, and leaves them to the idempotent consumers).
    fn detects_duplicates(&self) -> bool;
    /// Checks that the backend answers.
    async fn health(&self) -> StoreResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(partition: i32, offset: i64) -> Delivery {
        let id = Uuid::new_v4();
        Delivery {
            topic: Topic::DeviceEvents,
            key: id,
            id,
            payload: "{}".into(),
            partition,
            offset,
            published_at: Utc::now(),
        }
    }

    #[test]
    fn positions_advance_and_take_the_minimum_per_partition() {
        let mut a = Position::after(&[at(0, 9), at(1, 5), at(0, 10)]);
        a.advance(&at(1, 3));
        assert_eq!(a.to_string(), "0:10,1:5", "never moves back");
        let mut b = Position::at(0, 7);
        b.set(2, 1);
        assert_eq!(a.min(&b), Position::at(0, 7), "partitions missing from either read from the start");
        assert_eq!(Position::new().to_string(), "start");
    }
}
