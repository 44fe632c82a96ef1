//! Channel pub/sub in memory, on one broadcast channel per channel name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use homeguard_ports::error::StoreResult;
use homeguard_ports::{PubSub, PubSubItem, Subscription};
use tokio::sync::broadcast;

type Message = (Arc<str>, Arc<str>);

/// How many messages a subscriber may fall behind before it loses some:
/// a few of the state handler's batches (up to 512 events each, published
/// at once), so that a listener keeping up on average survives a burst.
const CHANNEL_CAPACITY: usize = 4096;

#[derive(Debug, Default)]
pub struct MemoryPubSub {
    channels: Mutex<HashMap<Arc<str>, broadcast::Sender<Message>>>,
}

impl MemoryPubSub {
    pub fn new() -> Self {
        Self::default()
    }
}

fn receive(rx: broadcast::Receiver<Message>) -> BoxStream<'static, PubSubItem> {
    stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok((channel, payload)) => Some((PubSubItem::Message { channel, payload }, rx)),
            Err(broadcast::error::RecvError::Lagged(n)) => Some((PubSubItem::Lagged(n), rx)),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    })
    .boxed()
}

#[async_trait]
impl PubSub for MemoryPubSub {
    async fn publish(&self, channel: &str, payload: &str) -> StoreResult<usize> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        // The map's key is the channel's name, shared with every message.
        let Some((name, tx)) = channels.get_key_value(channel) else { return Ok(0) };
        match tx.send((name.clone(), Arc::from(payload))) {
            Ok(n) => Ok(n),
            Err(_) => {
                // Every subscriber has gone: forget the channel.
                channels.remove(channel);
                Ok(0)
            }
        }
    }

    async fn subscribe(&self, names: &[String]) -> StoreResult<Subscription> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        let receivers: Vec<_> = names
            .iter()
            .map(|name| {
                let tx =
                    channels.entry(Arc::from(name.as_str())).or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0);
                receive(tx.subscribe())
            })
            .collect();
        Ok(Box::pin(stream::select_all(receivers)))
    }
}
