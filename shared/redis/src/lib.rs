//! Redis for what must be shared and fast: device state hashes, online
//! flags with a TTL, each user's device set, the pub/sub channels and the
//! rate-limit buckets, under the key names of the requirements:
//!
//! - `device:state:{device_id}`: a hash of the state's fields;
//! - `device:online:{device_id}` = `"1"`, expiring after the heartbeat TTL,
//!   with the heartbeat's time beside it in `device:heartbeat:{device_id}`
//!   (same TTL);
//! - `user:devices:{user_id}`: a set of device ids;
//! - `ratelimit:{key}`: a token bucket (`tokens`, `ts`), refilled in a Lua
//!   script on Redis's own clock so that every replica shares one bucket.
//!
//! Hash values are kept readable: a string is stored as is (unless it would
//! read back as another JSON value, then it is quoted), anything else as
//! JSON. Commands go through a `ConnectionManager`, which reconnects on its
//! own; each subscription has a connection of its own.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use homeguard_domain::DeviceState;
use homeguard_ports::error::StoreResult;
use homeguard_ports::{
    Breaker, Decision, Limit, PubSub, PubSubItem, RateLimiter, StateStore, StateUpdate, StoreError, Subscription,
};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use serde_json::Value;
use uuid::Uuid;

/// State, online flags, device sets, pub/sub and rate limits on one Redis.
#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    conn: ConnectionManager,
    breaker: Arc<Breaker>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisStore")
    }
}

fn map_err(e: redis::RedisError) -> StoreError {
    if e.is_io_error() || e.is_connection_refusal() || e.is_connection_dropped() || e.is_timeout() {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Backend(e.to_string())
    }
}

fn state_key(id: Uuid) -> String {
    format!("device:state:{id}")
}
fn online_key(id: Uuid) -> String {
    format!("device:online:{id}")
}
fn heartbeat_key(id: Uuid) -> String {
    format!("device:heartbeat:{id}")
}
fn user_key(id: Uuid) -> String {
    format!("user:devices:{id}")
}

/// The commands recording a heartbeat: the online flag and the heartbeat's
/// time, both expiring after `ttl`.
fn heartbeat_commands(pipe: &mut redis::Pipeline, device_id: Uuid, at: DateTime<Utc>, ttl: Duration) {
    let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
    pipe.cmd("SET").arg(online_key(device_id)).arg("1").arg("PX").arg(ms).ignore();
    pipe.cmd("SET").arg(heartbeat_key(device_id)).arg(at.timestamp_millis()).arg("PX").arg(ms).ignore();
}

/// A state value as a hash field.
fn encode(v: &Value) -> String {
    match v {
        Value::String(s) if serde_json::from_str::<Value>(s).is_err() => s.clone(),
        other => other.to_string(),
    }
}

/// A hash field as a state value.
fn decode(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned()))
}

fn state_of(fields: BTreeMap<String, String>) -> DeviceState {
    fields.into_iter().map(|(k, v)| (k, decode(&v))).collect()
}

impl RedisStore {
    /// Connects to `url` (five attempts, backing off 1, 2, 4, 8 s) and checks it answers.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_with(url, 5).await
    }

    /// Connects with at most `attempts` attempts.
    pub async fn open_with(url: &str, attempts: u32) -> StoreResult<Self> {
        let client = redis::Client::open(url).map_err(|e| StoreError::Backend(format!("REDIS_URL: {e}")))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(2);
        let mut wait = Duration::from_secs(1);
        for attempt in 1.. {
            match client.get_connection_manager_with_config(config.clone()).await {
                Ok(conn) => return Ok(Self { client, conn, breaker: Arc::new(Breaker::new("redis")) }),
                Err(e) if attempt < attempts => {
                    tracing::warn!(attempt, error = %e, "Redis is not reachable yet; retrying");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                Err(e) => return Err(map_err(e)),
            }
        }
        unreachable!("the loop returns")
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

#[async_trait]
impl StateStore for RedisStore {
    async fn get(&self, device_id: Uuid) -> StoreResult<DeviceState> {
        self.breaker
            .call(async {
                let fields: BTreeMap<String, String> =
                    self.conn().hgetall(state_key(device_id)).await.map_err(map_err)?;
                Ok(state_of(fields))
            })
            .await
    }

    async fn get_many(&self, device_ids: &[Uuid]) -> StoreResult<Vec<DeviceState>> {
        self.breaker
            .call(async {
                if device_ids.is_empty() {
                    return Ok(vec![]);
                }
                let mut pipe = redis::pipe();
                for id in device_ids {
                    pipe.hgetall(state_key(*id));
                }
                let all: Vec<BTreeMap<String, String>> = pipe.query_async(&mut self.conn()).await.map_err(map_err)?;
                Ok(all.into_iter().map(state_of).collect())
            })
            .await
    }

    async fn merge(&self, device_id: Uuid, fields: &DeviceState) -> StoreResult<DeviceState> {
        self.breaker
            .call(async {
                let key = state_key(device_id);
                let mut pipe = redis::pipe();
                pipe.atomic();
                if !fields.is_empty() {
                    let pairs: Vec<(&str, String)> = fields.iter().map(|(k, v)| (k.as_str(), encode(v))).collect();
                    pipe.hset_multiple(&key, &pairs).ignore();
                }
                pipe.hgetall(&key);
                let (all,): (BTreeMap<String, String>,) = pipe.query_async(&mut self.conn()).await.map_err(map_err)?;
                Ok(state_of(all))
            })
            .await
    }

    async fn merge_missing(&self, device_id: Uuid, fields: &DeviceState) -> StoreResult<DeviceState> {
        self.breaker
            .call(async {
                let key = state_key(device_id);
                let mut pipe = redis::pipe();
                pipe.atomic();
                for (k, v) in fields {
                    pipe.hset_nx(&key, k, encode(v)).ignore();
                }
                pipe.hgetall(&key);
                let (all,): (BTreeMap<String, String>,) = pipe.query_async(&mut self.conn()).await.map_err(map_err)?;
                Ok(state_of(all))
            })
            .await
    }

    async fn apply(&self, updates: &[StateUpdate]) -> StoreResult<Vec<DeviceState>> {
        self.breaker
            .call(async {
                if updates.is_empty() {
                    return Ok(vec![]);
                }
                // One round trip for the whole batch: each device's fields, its
                // heartbeat, then its whole hash.
                let mut pipe = redis::pipe();
                for u in updates {
                    let key = state_key(u.device_id);
                    if !u.fields.is_empty() {
                        let pairs: Vec<(&str, String)> =
                            u.fields.iter().map(|(k, v)| (k.as_str(), encode(v))).collect();
                        pipe.hset_multiple(&key, &pairs).ignore();
                    }
                    if let Some((at, ttl)) = u.online {
                        heartbeat_commands(&mut pipe, u.device_id, at, ttl);
                    }
                    pipe.hgetall(&key);
                }
                let all: Vec<BTreeMap<String, String>> = pipe.query_async(&mut self.conn()).await.map_err(map_err)?;
                Ok(all.into_iter().map(state_of).collect())
            })
            .await
    }

    async fn remove(&self, device_id: Uuid) -> StoreResult<()> {
        self.breaker
            .call(async {
                let keys = [state_key(device_id), online_key(device_id), heartbeat_key(device_id)];
                self.conn().del::<_, ()>(&keys).await.map_err(map_err)
            })
            .await
    }

    async fn mark_online(&self, device_id: Uuid, at: DateTime<Utc>, ttl: Duration) -> StoreResult<()> {
        self.breaker
            .call(async {
                let mut pipe = redis::pipe();
                pipe.atomic();
                heartbeat_commands(&mut pipe, device_id, at, ttl);
                pipe.query_async::<()>(&mut self.conn()).await.map_err(map_err)
            })
            .await
    }

    async fn last_heartbeats(&self, device_ids: &[Uuid]) -> StoreResult<Vec<Option<DateTime<Utc>>>> {
        self.breaker
            .call(async {
                if device_ids.is_empty() {
                    return Ok(vec![]);
                }
                let mut pipe = redis::pipe();
                for id in device_ids {
                    pipe.get(online_key(*id)).get(heartbeat_key(*id));
                }
                let values: Vec<Option<String>> = pipe.query_async(&mut self.conn()).await.map_err(map_err)?;
                Ok(values
                    .chunks(2)
                    .map(|pair| match (&pair[0], &pair[1]) {
                        (Some(_), Some(ms)) => {
                            ms.parse::<i64>().ok().and_then(|ms| Utc.timestamp_millis_opt(ms).single())
                        }
                        _ => None,
                    })
                    .collect())
            })
            .await
    }

    async fn add_user_device(&self, user_id: Uuid, device_id: Uuid) -> StoreResult<()> {
        self.breaker
            .call(async {
                self.conn().sadd::<_, _, ()>(user_key(user_id), device_id.to_string()).await.map_err(map_err)
            })
            .await
    }

    async fn remove_user_device(&self, user_id: Uuid, device_id: Uuid) -> StoreResult<()> {
        self.breaker
            .call(async {
                self.conn().srem::<_, _, ()>(user_key(user_id), device_id.to_string()).await.map_err(map_err)
            })
            .await
    }

    async fn user_devices(&self, user_id: Uuid) -> StoreResult<Vec<Uuid>> {
        self.breaker
            .call(async {
                let ids: Vec<String> = self.conn().smembers(user_key(user_id)).await.map_err(map_err)?;
                let mut out: Vec<Uuid> = ids
                    .iter()
                    .map(|s| {
                        Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("user:devices member {s:?}: {e}")))
                    })
                    .collect::<StoreResult<_>>()?;
                out.sort();
                Ok(out)
            })
            .await
    }

    async fn health(&self) -> StoreResult<()> {
        self.breaker
            .call(async { redis::cmd("PING").query_async::<String>(&mut self.conn()).await.map(drop).map_err(map_err) })
            .await
    }
}

#[async_trait]
impl PubSub for RedisStore {
    async fn publish(&self, channel: &str, payload: &str) -> StoreResult<usize> {
        self.breaker.call(async { self.conn().publish(channel, payload).await.map_err(map_err) }).await
    }

    async fn publish_many(&self, messages: &[(String, String)]) -> StoreResult<()> {
        self.breaker
            .call(async {
                if messages.is_empty() {
                    return Ok(());
                }
                let mut pipe = redis::pipe();
                for (channel, payload) in messages {
                    pipe.publish(channel, payload).ignore();
                }
                pipe.query_async::<()>(&mut self.conn()).await.map_err(map_err)
            })
            .await
    }

    async fn subscribe(&self, channels: &[String]) -> StoreResult<Subscription> {
        self.breaker
            .call(async {
                let mut sub = self.client.get_async_pubsub().await.map_err(map_err)?;
                for c in channels {
                    sub.subscribe(c).await.map_err(map_err)?;
                }
                let stream = sub.into_on_message().map(|msg| PubSubItem::Message {
                    channel: Arc::from(msg.get_channel_name()),
                    payload: Arc::from(msg.get_payload::<String>().unwrap_or_default()),
                });
                Ok(Box::pin(stream) as Subscription)
            })
            .await
    }
}

/// The token bucket, atomically on Redis's clock. Returns whether the cost
/// was taken and the tokens left (as a string: Lua numbers come back as
/// integers otherwise).
const BUCKET: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or capacity
local ts = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local need = math.max(cost, 1)
local allowed = 0
if tokens >= need then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
local full_in = 60000
if rate > 0 then full_in = math.ceil(capacity / rate * 1000) + 1000 end
redis.call('PEXPIRE', KEYS[1], full_in)
return {allowed, tostring(tokens)}
";

#[async_trait]
impl RateLimiter for RedisStore {
    async fn acquire(&self, key: &str, limit: Limit, cost: u32) -> StoreResult<Decision> {
        self.breaker
            .call(async {
                static SCRIPT: std::sync::LazyLock<redis::Script> =
                    std::sync::LazyLock::new(|| redis::Script::new(BUCKET));
                let (allowed, left): (i64, String) = SCRIPT
                    .key(format!("ratelimit:{key}"))
                    .arg(limit.capacity)
                    .arg(limit.per_second)
                    .arg(cost)
                    .invoke_async(&mut self.conn())
                    .await
                    .map_err(map_err)?;
                let left: f64 = left.parse().map_err(|_| StoreError::Corrupt(format!("bucket {key}: {left}")))?;
                let retry_after = if left >= 1.0 || limit.per_second <= 0.0 {
                    Duration::ZERO
                } else {
                    Duration::from_secs_f64((1.0 - left) / limit.per_second)
                };
                Ok(Decision { allowed: allowed == 1, remaining: left.max(0.0) as u32, retry_after })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_back_as_written_and_stay_readable() {
        for v in [json!("locked"), json!(85), json!(-45.5), json!(true), json!(null), json!("85"), json!("true")] {
            assert_eq!(decode(&encode(&v)), v, "{v}");
        }
        assert_eq!(encode(&json!("locked")), "locked", "plain strings are stored as they are");
        assert_eq!(encode(&json!(85)), "85");
        assert_eq!(encode(&json!("85")), "\"85\"", "a string that looks like a number is quoted");
        assert_eq!(decode(&encode(&json!({"a": [1, 2]}))), json!({"a": [1, 2]}));
    }
}
