//! The event bus on Kafka (rdkafka, with its bundled librdkafka).
//!
//! - Topics: the requirements' four (`device.events`, `device.heartbeats`,
//!   `device.alerts`, `device.commands`), each with a dead-letter topic beside
//!   it (`device.events.dlq`, ...), all under an optional prefix (for
//!   several installations or test runs on one cluster). Missing topics are created at start-up
//!   with [`PARTITIONS`] partitions and as many replicas as there are brokers
//!   (at most three).
//! - Publishing: an idempotent producer with `acks=all`; messages are keyed
//!   by device id (the Java client's murmur2 partitioner, so that any Kafka
//!   client puts a device in the same partition) and carry their message id
//!   in the `id` header. `publish` returns once every message is acknowledged.
//! - Consuming: each named consumer is a Kafka consumer group, reading every
//!   partition of its topic (assigned, not subscribed: the all-in-one host is
//!   the group's only member, and on Knative the KafkaSource consumes
//!   instead). Positions are committed to Kafka only when the caller commits,
//!   after its handler succeeded; a seek replays from any offset.
//! - Duplicates are not detected at publishing; consumers are idempotent.
//! - Dead letters go to `{topic}.dlq` with the consumer, the reason and where
//!   the message came from in headers.
//!
//! librdkafka's own calls that block (commits, metadata, offsets) run on
//! tokio's blocking threads; its log lines go to `tracing`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use futures::FutureExt;
use homeguard_domain::Topic;
use homeguard_ports::error::StoreResult;
use homeguard_ports::{Breaker, DeadLetter, Delivery, EventBus, OutMessage, Position, Published, StoreError};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{CommitMode, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio::sync::Mutex;
use uuid::Uuid;

/// Partitions of a topic the adapter creates (the requirements start at 3).
pub const PARTITIONS: i32 = 3;
/// How long a broker request may take before the call fails as unavailable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The header holding a message's id.
const ID: &str = "id";

/// librdkafka's log lines, through `tracing`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Logs;

impl ClientContext for Logs {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, line: &str) {
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical | RDKafkaLogLevel::Error => {
                tracing::error!(target: "librdkafka", facility, "{line}")
            }
            RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", facility, "{line}"),
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => tracing::info!(target: "librdkafka", facility, "{line}"),
            RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", facility, "{line}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::warn!(target: "librdkafka", error = %error, "{reason}");
    }
}

impl ConsumerContext for Logs {}

type Reader = StreamConsumer<Logs>;
/// A (consumer, topic)'s reader; a seek swaps in a new one.
type Slot = Arc<Mutex<Arc<Reader>>>;

/// The event bus on a Kafka cluster.
pub struct KafkaBus {
    brokers: String,
    /// Settings every client starts from: the brokers, then the caller's
    /// librdkafka overrides.
    base: ClientConfig,
    prefix: String,
    producer: FutureProducer<Logs>,
    /// One consumer per (consumer name, topic), created on first use.
    readers: std::sync::Mutex<HashMap<(String, Topic), Slot>>,
    partitions: std::sync::Mutex<HashMap<String, i32>>,
    breaker: Breaker,
}

impl std::fmt::Debug for KafkaBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaBus").field("brokers", &self.brokers).finish_non_exhaustive()
    }
}

fn map_err(e: KafkaError) -> StoreError {
    match e.rdkafka_error_code() {
        Some(RDKafkaErrorCode::MessageSizeTooLarge | RDKafkaErrorCode::InvalidMessage) => {
            StoreError::Backend(e.to_string())
        }
        _ => StoreError::Unavailable(format!("kafka: {e}")),
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, KafkaError> + Send + 'static) -> StoreResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Unavailable(format!("kafka call did not finish: {e}")))?
        .map_err(map_err)
}

fn ms_time(ms: Option<i64>) -> DateTime<Utc> {
    ms.and_then(|m| Utc.timestamp_millis_opt(m).single()).unwrap_or_else(Utc::now)
}

fn header<'a>(m: &'a BorrowedMessage<'_>, name: &str) -> Option<&'a str> {
    m.headers()?.iter().find(|h| h.key == name).and_then(|h| std::str::from_utf8(h.value?).ok())
}

/// A message as the port delivers it. A key or id that is not a UUID (a
/// message some other producer wrote) comes through as the nil UUID: the
/// handlers read the payload, and reject what they cannot use.
fn delivery(topic: Topic, m: &BorrowedMessage<'_>) -> Delivery {
    let parse = |s: Option<&str>| s.and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default();
    Delivery {
        topic,
        key: parse(m.key().and_then(|k| std::str::from_utf8(k).ok())),
        id: parse(header(m, ID)),
        payload: String::from_utf8_lossy(m.payload().unwrap_or_default()).into(),
        partition: m.partition(),
        offset: m.offset(),
        published_at: ms_time(m.timestamp().to_millis()),
    }
}

impl KafkaBus {
    /// Connects to `brokers` (comma-separated `host:port`), waiting for the
    /// cluster with the requirements' backoff, and creates missing topics
    /// (named with `prefix` in front). `client` holds librdkafka settings
    /// that override the adapter's own (e.g. `fetch.wait.max.ms`, or
    /// `security.protocol` and SASL settings).
    pub async fn open(brokers: &str, prefix: &str, client: &[(String, String)]) -> StoreResult<Self> {
        Self::open_with(brokers, prefix, client, 5).await
    }

    /// As [`open`](Self::open), giving up after `attempts` tries.
    pub async fn open_with(
        brokers: &str,
        prefix: &str,
        client: &[(String, String)],
        attempts: u32,
    ) -> StoreResult<Self> {
        let mut base = ClientConfig::new();
        base.set("bootstrap.servers", brokers)
            .set("client.id", "homeguard")
            .set("socket.timeout.ms", "10000")
            .set("log_level", "4");
        let with = |defaults: &[(&str, &str)]| {
            let mut c = base.clone();
            for (k, v) in defaults {
                c.set(*k, *v);
            }
            for (k, v) in client {
                c.set(k, v);
            }
            c
        };
        // Durable and in order whatever the overrides: idempotent, acks=all.
        let producer: FutureProducer<Logs> =
            with(&[("partitioner", "murmur2_random"), ("linger.ms", "2"), ("message.timeout.ms", "15000")])
                .set("enable.idempotence", "true")
                .set("acks", "all")
                .create_with_context(Logs)
                .map_err(map_err)?;
        let bus = Self {
            brokers: brokers.to_owned(),
            base: with(&[]),
            prefix: prefix.to_owned(),
            producer,
            readers: Default::default(),
            partitions: Default::default(),
            breaker: Breaker::new("kafka"),
        };
        let mut wait = Duration::from_secs(1);
        for attempt in 1..=attempts {
            match bus.create_topics().await {
                Ok(()) => return Ok(bus),
                Err(e) if attempt == attempts => return Err(e),
                Err(e) => {
                    tracing::warn!(attempt, error = %e, retry_in = ?wait, "Kafka is not reachable yet");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(8));
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    /// The Kafka topic of `topic`.
    pub fn topic_name(&self, topic: Topic) -> String {
        format!("{}{}", self.prefix, topic.as_str())
    }

    /// The dead-letter topic of `topic`.
    pub fn dead_letter_topic(&self, topic: Topic) -> String {
        format!("{}{}.dlq", self.prefix, topic.as_str())
    }

    /// A consumer's or admin client's settings: the adapter's `defaults`,
    /// unless the caller's overrides set them.
    fn config(&self, defaults: &[(&str, &str)]) -> ClientConfig {
        let mut c = self.base.clone();
        for (k, v) in defaults {
            if c.get(k).is_none() {
                c.set(*k, *v);
            }
        }
        c
    }

    /// Creates the topics and their dead-letter topics that do not exist yet.
    async fn create_topics(&self) -> StoreResult<()> {
        let producer = self.producer.clone();
        let brokers = blocking(move || producer.client().fetch_metadata(None, REQUEST_TIMEOUT)).await?.brokers().len();
        let replicas = brokers.clamp(1, 3) as i32;
        let names: Vec<String> =
            Topic::ALL.iter().flat_map(|t| [self.topic_name(*t), self.dead_letter_topic(*t)]).collect();
        let topics: Vec<NewTopic<'_>> =
            names.iter().map(|n| NewTopic::new(n, PARTITIONS, TopicReplication::Fixed(replicas))).collect();
        let admin: AdminClient<Logs> = self.config(&[]).create_with_context(Logs).map_err(map_err)?;
        let results = admin
            .create_topics(&topics, &AdminOptions::new().operation_timeout(Some(REQUEST_TIMEOUT)))
            .await
            .map_err(map_err)?;
        for r in results {
            match r {
                Ok(name) => tracing::info!(topic = name, partitions = PARTITIONS, replicas, "created Kafka topic"),
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((name, code)) => {
                    return Err(StoreError::Unavailable(format!("creating Kafka topic {name}: {code}")));
                }
            }
        }
        Ok(())
    }

    /// How many partitions `topic` has (asked once, then remembered).
    async fn partition_count(&self, topic: &str) -> StoreResult<i32> {
        if let Some(n) = self.partitions.lock().unwrap_or_else(|p| p.into_inner()).get(topic) {
            return Ok(*n);
        }
        let producer = self.producer.clone();
        let name = topic.to_owned();
        let metadata = blocking(move || producer.client().fetch_metadata(Some(&name), REQUEST_TIMEOUT)).await?;
        let n = metadata
            .topics()
            .iter()
            .find(|t| t.name() == topic)
            .map(|t| t.partitions().len() as i32)
            .filter(|n| *n > 0)
            .ok_or_else(|| StoreError::Unavailable(format!("Kafka topic {topic} has no partitions yet")))?;
        self.partitions.lock().unwrap_or_else(|p| p.into_inner()).insert(topic.to_owned(), n);
        Ok(n)
    }

    /// A consumer of `topic` in group `group`, reading every partition from
    /// `position` (each partition just after its offset; absent ones from
    /// the group's committed offset, or the start).
    async fn reader(&self, group: &str, topic: &str, position: Option<&Position>) -> StoreResult<Arc<Reader>> {
        let partitions = self.partition_count(topic).await?;
        // Offsets are committed only by `commit`, after the handler succeeded.
        let reader: Reader = self
            .config(&[("auto.offset.reset", "earliest"), ("fetch.wait.max.ms", "100")])
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .create_with_context(Logs)
            .map_err(map_err)?;
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            let offset = match position {
                None => Offset::Stored,
                Some(pos) => pos.get(p).map_or(Offset::Beginning, |o| Offset::Offset(o + 1)),
            };
            tpl.add_partition_offset(topic, p, offset).map_err(map_err)?;
        }
        reader.assign(&tpl).map_err(map_err)?;
        Ok(Arc::new(reader))
    }

    /// The (consumer, topic) reader's slot, creating the reader on first use.
    async fn slot(&self, consumer: &str, topic: Topic) -> StoreResult<Slot> {
        let key = (consumer.to_owned(), topic);
        if let Some(s) = self.readers.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(s.clone());
        }
        let reader = self.reader(consumer, &self.topic_name(topic), None).await?;
        let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        Ok(readers.entry(key).or_insert_with(|| Arc::new(Mutex::new(reader))).clone())
    }
}

/// Up to `max` messages: waits up to `wait` for the first, then takes what
/// is already fetched.
async fn take(reader: &Reader, topic: Topic, max: usize, wait: Duration) -> StoreResult<Vec<Delivery>> {
    let mut out = Vec::new();
    let first = match tokio::time::timeout(wait, reader.recv()).await {
        Err(_) => return Ok(out),
        Ok(r) => r.map_err(map_err)?,
    };
    out.push(delivery(topic, &first));
    while out.len() < max {
        match reader.recv().now_or_never() {
            Some(Ok(m)) => out.push(delivery(topic, &m)),
            Some(Err(e)) => {
                tracing::warn!(topic = %topic, error = %e, "Kafka consumer error after a partial batch");
                break;
            }
            None => break,
        }
    }
    Ok(out)
}

#[async_trait]
impl EventBus for KafkaBus {
    async fn publish(&self, messages: Vec<OutMessage>) -> StoreResult<Vec<Published>> {
        self.breaker
            .call(async {
                let sends = messages.iter().map(|m| {
                    let (key, id, name) = (m.key.to_string(), m.id.to_string(), self.topic_name(m.topic));
                    let producer = &self.producer;
                    async move {
                        let record = FutureRecord::to(&name)
                            .key(&key)
                            .payload(&m.payload)
                            .headers(OwnedHeaders::new().insert(Header { key: ID, value: Some(&id) }));
                        producer.send(record, REQUEST_TIMEOUT).await
                    }
                });
                futures::future::join_all(sends)
                    .await
                    .into_iter()
                    .map(|r| match r {
                        Ok(d) => Ok(Published::New { partition: d.partition, offset: d.offset }),
                        Err((e, _)) => Err(map_err(e)),
                    })
                    .collect()
            })
            .await
    }

    async fn poll(&self, consumer: &str, topic: Topic, max: usize, wait: Duration) -> StoreResult<Vec<Delivery>> {
        self.breaker
            .call(async {
                let slot = self.slot(consumer, topic).await?;
                let reader = slot.lock().await;
                take(&reader, topic, max, wait).await
            })
            .await
    }

    async fn commit(&self, consumer: &str, topic: Topic, position: &Position) -> StoreResult<()> {
        self.breaker
            .call(async {
                if position.is_empty() {
                    return Ok(());
                }
                let (name, mut tpl) = (self.topic_name(topic), TopicPartitionList::new());
                for (p, o) in position.iter() {
                    tpl.add_partition_offset(&name, p, Offset::Offset(o + 1)).map_err(map_err)?;
                }
                let reader = self.slot(consumer, topic).await?.lock().await.clone();
                blocking(move || reader.commit(&tpl, CommitMode::Sync)).await
            })
            .await
    }

    async fn committed(&self, consumer: &str, topic: Topic) -> StoreResult<Position> {
        self.breaker
            .call(async {
                let name = self.topic_name(topic);
                let partitions = self.partition_count(&name).await?;
                let mut tpl = TopicPartitionList::new();
                for p in 0..partitions {
                    tpl.add_partition(&name, p);
                }
                let reader = self.slot(consumer, topic).await?.lock().await.clone();
                let got = blocking(move || reader.committed_offsets(tpl, REQUEST_TIMEOUT)).await?;
                let mut position = Position::new();
                for e in got.elements() {
                    if let Offset::Offset(next) = e.offset()
                        && next > 0
                    {
                        position.set(e.partition(), next - 1);
                    }
                }
                Ok(position)
            })
            .await
    }

    async fn seek(&self, consumer: &str, topic: Topic, position: &Position) -> StoreResult<()> {
        self.breaker
            .call(async {
                let fresh = self.reader(consumer, &self.topic_name(topic), Some(position)).await?;
                let slot = self.slot(consumer, topic).await?;
                *slot.lock().await = fresh;
                Ok(())
            })
            .await
    }

    async fn dead_letter(&self, consumer: &str, message: &Delivery, reason: &str) -> StoreResult<()> {
        self.breaker
            .call(async {
                let topic = self.dead_letter_topic(message.topic);
                let (key, id) = (message.key.to_string(), message.id.to_string());
                let (partition, offset) = (message.partition.to_string(), message.offset.to_string());
                let published = message.published_at.timestamp_millis().to_string();
                let headers = OwnedHeaders::new()
                    .insert(Header { key: ID, value: Some(&id) })
                    .insert(Header { key: "consumer", value: Some(consumer) })
                    .insert(Header { key: "reason", value: Some(reason) })
                    .insert(Header { key: "source-partition", value: Some(&partition) })
                    .insert(Header { key: "source-offset", value: Some(&offset) })
                    .insert(Header { key: "published-at", value: Some(&published) });
                let record = FutureRecord::to(&topic).key(&key).payload(&*message.payload).headers(headers);
                self.producer.send(record, REQUEST_TIMEOUT).await.map(drop).map_err(|(e, _)| map_err(e))
            })
            .await
    }

    async fn dead_letters(&self, topic: Topic, max: usize) -> StoreResult<Vec<DeadLetter>> {
        self.breaker
            .call(async {
                let name = self.dead_letter_topic(topic);
                let partitions = self.partition_count(&name).await?;
                let reader = self.reader("homeguard-dead-letter-reader", &name, Some(&Position::new())).await?;
                // Read each partition up to its end as it is now.
                let mut remaining = 0;
                for p in 0..partitions {
                    let (r, n) = (reader.clone(), name.clone());
                    let (low, high) = blocking(move || r.fetch_watermarks(&n, p, REQUEST_TIMEOUT)).await?;
                    remaining += (high - low).max(0);
                }
                let mut letters = Vec::new();
                let deadline = tokio::time::Instant::now() + REQUEST_TIMEOUT;
                while remaining > 0 && letters.len() < max && tokio::time::Instant::now() < deadline {
                    let Ok(m) = tokio::time::timeout_at(deadline, reader.recv()).await else { break };
                    let m = m.map_err(map_err)?;
                    remaining -= 1;
                    let number = |h: &str| header(&m, h).and_then(|v| v.parse::<i64>().ok());
                    let mut message = delivery(topic, &m);
                    message.partition = number("source-partition").unwrap_or(-1) as i32;
                    message.offset = number("source-offset").unwrap_or(-1);
                    message.published_at = ms_time(number("published-at"));
                    letters.push(DeadLetter {
                        message,
                        consumer: header(&m, "consumer").unwrap_or_default().to_owned(),
                        reason: header(&m, "reason").unwrap_or_default().to_owned(),
                        dead_at: ms_time(m.timestamp().to_millis()),
                    });
                }
                letters.sort_by_key(|l| l.dead_at);
                Ok(letters)
            })
            .await
    }

    async fn prune(&self, _before: DateTime<Utc>) -> StoreResult<u64> {
        self.breaker
            .call(async {
                // Kafka's retention drops old segments itself.
                Ok(0)
            })
            .await
    }

    fn detects_duplicates(&self) -> bool {
        false
    }

    async fn health(&self) -> StoreResult<()> {
        self.breaker
            .call(async {
                let producer = self.producer.clone();
                blocking(move || producer.client().fetch_metadata(None, Duration::from_secs(3))).await.map(drop)
            })
            .await
    }
}
