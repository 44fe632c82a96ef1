//! Publish/subscribe on named channels (Redis pub/sub in production, in
//! memory embedded). Delivery is best effort to whoever listens now; what
//! must not be lost goes through the event bus instead.

use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Stream;

use crate::error::StoreResult;

/// What a subscription yields.
#[derive(Debug, Clone, PartialEq)]
pub enum PubSubItem {
    /// A message published on one of the subscribed channels.
    Message { channel: Arc<str>, payload: Arc<str> },
    /// The subscriber fell behind and this many messages were dropped for it.
    Lagged(u64),
}

/// A live subscription; dropping it unsubscribes.
pub type Subscription = Pin<Box<dyn Stream<Item = PubSubItem> + Send>>;

#[async_trait]
pub trait PubSub: Send + Sync {
    /// Publishes a message; returns how many subscribers it reached.
    async fn publish(&self, channel: &str, payload: &str) -> StoreResult<usize>;
    /// Publishes several `(channel, payload)` messages in order (in one
    /// round trip where the backend allows).
    async fn publish_many(&self, messages: &[(String, String)]) -> StoreResult<()> {
        for (channel, payload) in messages {
            self.publish(channel, payload).await?;
        }
        Ok(())
    }
    /// Subscribes to the given channels.
    async fn subscribe(&self, channels: &[String]) -> StoreResult<Subscription>;
}
