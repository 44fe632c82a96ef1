//! The embedded event bus: a durable log in its own SQLite file.
//!
//! Publishing goes through one writer task that gathers every request
//! waiting at that moment into one transaction (group commit), so that many
//! concurrent publishers cost one commit, not one each. A publish returns
//! only once its transaction has committed: once acknowledged, a message
//! survives a crash of the process.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::Topic;
use homeguard_ports::error::StoreResult;
use homeguard_ports::{DeadLetter, Delivery, EventBus, OutMessage, Position, Published, StoreError};
use sqlx::{Row, SqlitePool};
use tokio::sync::{mpsc, oneshot, watch};

use crate::sqlite::{from_ms, map_err, ms, open_migrated, uuid};

/// The log is one partition: every topic keeps one total order.
const PARTITION: i32 = 0;

/// The most messages one group commit takes.
const MAX_GROUP: usize = 4096;

struct WriteRequest {
    messages: Vec<OutMessage>,
    reply: oneshot::Sender<StoreResult<Vec<Published>>>,
}

pub struct SqliteBus {
    pool: SqlitePool,
    writer: mpsc::Sender<WriteRequest>,
    /// The highest offset appended so far; pollers wait on its changes.
    appended: watch::Receiver<i64>,
    positions: Mutex<HashMap<(String, Topic), i64>>,
}

impl std::fmt::Debug for SqliteBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteBus").finish_non_exhaustive()
    }
}

impl SqliteBus {
    /// Opens (creating if needed) the log at `path`; starts its writer task.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        let pool = open_migrated(path, sqlx::migrate!("./migrations/bus")).await?;
        let last: i64 = sqlx::query_scalar(r#"SELECT COALESCE(MAX("offset"), 0) FROM bus_log"#)
            .fetch_one(&pool)
            .await
            .map_err(map_err)?;
        let (tx, rx) = mpsc::channel(1024);
        let (appended_tx, appended) = watch::channel(last);
        tokio::spawn(write_loop(pool.clone(), rx, appended_tx));
        Ok(Self { pool, writer: tx, appended, positions: Mutex::new(HashMap::new()) })
    }

    /// How many messages of `topic` lie beyond the consumer's committed offset.
    pub async fn lag(&self, consumer: &str, topic: Topic) -> StoreResult<i64> {
        let committed = self.committed(consumer, topic).await?.get(PARTITION).unwrap_or(0);
        sqlx::query_scalar(r#"SELECT COUNT(*) FROM bus_log WHERE topic = ? AND "offset" > ?"#)
            .bind(topic.as_str())
            .bind(committed)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)
    }

    fn position(&self, consumer: &str, topic: Topic) -> Option<i64> {
        self.positions.lock().unwrap_or_else(|p| p.into_inner()).get(&(consumer.to_owned(), topic)).copied()
    }

    fn set_position(&self, consumer: &str, topic: Topic, offset: i64) {
        self.positions.lock().unwrap_or_else(|p| p.into_inner()).insert((consumer.to_owned(), topic), offset);
    }
}

async fn write_loop(pool: SqlitePool, mut rx: mpsc::Receiver<WriteRequest>, appended: watch::Sender<i64>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        let mut count = group[0].messages.len();
        while count < MAX_GROUP {
            match rx.try_recv() {
                Ok(next) => {
                    count += next.messages.len();
                    group.push(next);
                }
                Err(_) => break,
            }
        }
        match write_group(&pool, &group).await {
            Ok((outcomes, max)) => {
                if max > 0 {
                    appended.send_if_modified(|v| {
                        let changed = max > *v;
                        *v = (*v).max(max);
                        changed
                    });
                }
                for (req, out) in group.into_iter().zip(outcomes) {
                    let _ = req.reply.send(Ok(out));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "bus append failed");
                let retryable = e.is_retryable();
                let text = e.to_string();
                for req in group {
                    let err = if retryable {
                        StoreError::Unavailable(text.clone())
                    } else {
                        StoreError::Backend(text.clone())
                    };
                    let _ = req.reply.send(Err(err));
                }
            }
        }
    }
}

/// Rows per INSERT statement: each statement round-trips to SQLite's worker
/// thread, so fewer, larger statements cost far less than one per message.
const ROWS_PER_INSERT: usize = 500;

async fn write_group(pool: &SqlitePool, group: &[WriteRequest]) -> StoreResult<(Vec<Vec<Published>>, i64)> {
    let now = ms(Utc::now());
    let all: Vec<&OutMessage> = group.iter().flat_map(|r| r.messages.iter()).collect();
    let mut offsets: HashMap<(Topic, uuid::Uuid), i64> = HashMap::with_capacity(all.len());
    let mut tx = pool.begin().await.map_err(map_err)?;
    for chunk in all.chunks(ROWS_PER_INSERT) {
        let mut sql = sqlx::QueryBuilder::new("INSERT INTO bus_log (topic, key, id, payload, published_at) ");
        sql.push_values(chunk, |mut row, m| {
            row.push_bind(m.topic.as_str())
                .push_bind(m.key.to_string())
                .push_bind(m.id.to_string())
                .push_bind(m.payload.as_str())
                .push_bind(now);
        });
        sql.push(r#" ON CONFLICT (topic, id) DO NOTHING RETURNING "offset", topic, id"#);
        let rows = sql.build().fetch_all(&mut *tx).await.map_err(map_err)?;
        for r in rows {
            let topic = Topic::parse(r.get("topic")).ok_or_else(|| StoreError::Corrupt("topic".into()))?;
            offsets.insert((topic, uuid(r.get("id"))?), r.get("offset"));
        }
    }
    tx.commit().await.map_err(map_err)?;
    let max = offsets.values().copied().max().unwrap_or(0);
    // A message appears new once: a second copy in the same group is a duplicate.
    let outcomes = group
        .iter()
        .map(|req| {
            req.messages
                .iter()
                .map(|m| match offsets.remove(&(m.topic, m.id)) {
                    Some(offset) => Published::New { partition: PARTITION, offset },
                    None => Published::Duplicate,
                })
                .collect()
        })
        .collect();
    Ok((outcomes, max))
}

/// A message as read back from the log or the dead letters.
fn delivery(topic: Topic, r: &sqlx::sqlite::SqliteRow) -> StoreResult<Delivery> {
    Ok(Delivery {
        topic,
        key: uuid(r.get("key"))?,
        id: uuid(r.get("id"))?,
        payload: r.get::<String, _>("payload").into(),
        partition: PARTITION,
        offset: r.get("offset"),
        published_at: from_ms(r.get("published_at"))?,
    })
}

#[async_trait]
impl EventBus for SqliteBus {
    async fn publish(&self, messages: Vec<OutMessage>) -> StoreResult<Vec<Published>> {
        if messages.is_empty() {
            return Ok(vec![]);
        }
        let (reply, answer) = oneshot::channel();
        self.writer
            .send(WriteRequest { messages, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the bus writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the bus writer has stopped".into()))?
    }

    async fn poll(&self, consumer: &str, topic: Topic, max: usize, wait: Duration) -> StoreResult<Vec<Delivery>> {
        let after = match self.position(consumer, topic) {
            Some(p) => p,
            None => self.committed(consumer, topic).await?.get(PARTITION).unwrap_or(0),
        };
        let deadline = tokio::time::Instant::now() + wait;
        let mut appended = self.appended.clone();
        loop {
            appended.borrow_and_update();
            let rows = sqlx::query(
                r#"SELECT "offset", key, id, payload, published_at FROM bus_log
                   WHERE topic = ? AND "offset" > ? ORDER BY "offset" LIMIT ?"#,
            )
            .bind(topic.as_str())
            .bind(after)
            .bind(max as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
            if !rows.is_empty() {
                let deliveries = rows.iter().map(|r| delivery(topic, r)).collect::<StoreResult<Vec<_>>>()?;
                self.set_position(consumer, topic, deliveries.last().map(|d| d.offset).unwrap_or(after));
                return Ok(deliveries);
            }
            match tokio::time::timeout_at(deadline, appended.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => return Ok(vec![]),
            }
        }
    }

    async fn commit(&self, consumer: &str, topic: Topic, position: &Position) -> StoreResult<()> {
        let Some(offset) = position.get(PARTITION) else {
            return Ok(());
        };
        sqlx::query(
            r#"INSERT INTO bus_offsets (consumer, topic, "offset") VALUES (?, ?, ?)
               ON CONFLICT (consumer, topic) DO UPDATE SET "offset" = MAX("offset", excluded."offset")"#,
        )
        .bind(consumer)
        .bind(topic.as_str())
        .bind(offset)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(map_err)
    }

    async fn committed(&self, consumer: &str, topic: Topic) -> StoreResult<Position> {
        let v: Option<i64> = sqlx::query_scalar(r#"SELECT "offset" FROM bus_offsets WHERE consumer = ? AND topic = ?"#)
            .bind(consumer)
            .bind(topic.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(v.map(|o| Position::at(PARTITION, o)).unwrap_or_default())
    }

    async fn seek(&self, consumer: &str, topic: Topic, position: &Position) -> StoreResult<()> {
        self.set_position(consumer, topic, position.get(PARTITION).unwrap_or(0));
        Ok(())
    }

    async fn dead_letter(&self, consumer: &str, message: &Delivery, reason: &str) -> StoreResult<()> {
        sqlx::query(
            r#"INSERT INTO bus_dead_letters (consumer, topic, "offset", key, id, payload, published_at, reason, dead_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
        )
        .bind(consumer)
        .bind(message.topic.as_str())
        .bind(message.offset)
        .bind(message.key.to_string())
        .bind(message.id.to_string())
        .bind(&*message.payload)
        .bind(ms(message.published_at))
        .bind(reason)
        .bind(ms(Utc::now()))
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(map_err)
    }

    async fn dead_letters(&self, topic: Topic, max: usize) -> StoreResult<Vec<DeadLetter>> {
        let rows = sqlx::query(
            r#"SELECT consumer, "offset", key, id, payload, published_at, reason, dead_at FROM bus_dead_letters
               WHERE topic = ? ORDER BY seq LIMIT ?"#,
        )
        .bind(topic.as_str())
        .bind(i64::try_from(max).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(DeadLetter {
                    message: delivery(topic, r)?,
                    consumer: r.get("consumer"),
                    reason: r.get("reason"),
                    dead_at: from_ms(r.get("dead_at"))?,
                })
            })
            .collect()
    }

    async fn prune(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query(
            r#"DELETE FROM bus_log WHERE published_at < ?
               AND "offset" <= (SELECT MIN(o."offset") FROM bus_offsets o WHERE o.topic = bus_log.topic)"#,
        )
        .bind(ms(before))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    fn detects_duplicates(&self) -> bool {
        true
    }

    async fn health(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(drop).map_err(map_err)
    }
}
