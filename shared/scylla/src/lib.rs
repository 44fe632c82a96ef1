//! Raw events on ScyllaDB (or Cassandra): the requirements' keyspace and
//! three tables, one per way the events are read, each partitioned by day:
//!
//! - `events_by_device ((device_id, event_date), event_time DESC, event_id)`
//! - `events_by_user ((user_id, event_date), event_time DESC, event_id)`
//! - `events_by_type ((event_type, event_date), event_time DESC, event_id)`
//!
//! plus what the port needs beyond them: a `metadata` column in each (the
//! event's metadata, JSON), `user_id` in `events_by_device` (to rebuild the
//! event), and `events_by_id`, one row per event, for reading one event and
//! for telling a new event from a redelivered one.
//!
//! Writes go through prepared statements, many events at once; a new event
//! is written to the three views first and to `events_by_id` last, so that an event counts as
//! stored only once every view has it (a failed write is retried whole by
//! the bus). Reads walk day partitions newest first, several days at once,
//! with the driver's paging inside each day, and stop as soon as the page is
//! full. Without a lower bound a page looks back [`LOOKBACK_DAYS`] days from
//! its upper bound, so that a feed of a quiet device costs a bounded number
//! of partition reads.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use futures::{StreamExt, TryStreamExt};
use homeguard_domain::{Event, EventType};
use homeguard_ports::error::StoreResult;
use homeguard_ports::{Breaker, EventQuery, EventStore, StoreError};
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::statement::prepared::PreparedStatement;
use uuid::Uuid;

/// How far back a page looks when the query gives no lower bound.
pub const LOOKBACK_DAYS: i64 = 90;
/// How many day partitions are read at once.
const DAYS_AT_ONCE: usize = 8;
/// Rows per page of the driver's paging.
const PAGE_SIZE: i32 = 500;
/// Events written at once (each to its four tables).
const WRITES_AT_ONCE: usize = 32;
/// Event ids per `IN (...)` lookup.
const IDS_PER_LOOKUP: usize = 100;

/// The columns every read returns, in this order.
type Row = (DateTime<Utc>, Uuid, Uuid, Uuid, String, String, Option<String>);
const COLUMNS: &str = "event_time, event_id, device_id, user_id, event_type, payload, metadata";

/// The day partitions of one view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Device,
    User,
    Type,
}

/// Raw events on a ScyllaDB cluster.
pub struct ScyllaEventStore {
    session: Session,
    insert: [PreparedStatement; 4],
    select: [PreparedStatement; 3],
    by_id: PreparedStatement,
    known: PreparedStatement,
    breaker: Breaker,
}

impl std::fmt::Debug for ScyllaEventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScyllaEventStore")
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("scylla: {e}"))
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("scylla: {e}"))
}

/// The statements creating the keyspace and tables (idempotent).
fn schema(keyspace: &str, replication_factor: u32) -> Vec<String> {
    let ks = keyspace;
    vec![
        format!(
            "CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': {replication_factor}}}"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {ks}.events_by_device (device_id UUID, event_date DATE, event_time TIMESTAMP, event_id UUID, user_id UUID, event_type TEXT, payload TEXT, metadata TEXT, PRIMARY KEY ((device_id, event_date), event_time, event_id)) WITH CLUSTERING ORDER BY (event_time DESC, event_id ASC)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {ks}.events_by_user (user_id UUID, event_date DATE, event_time TIMESTAMP, event_id UUID, device_id UUID, event_type TEXT, payload TEXT, metadata TEXT, PRIMARY KEY ((user_id, event_date), event_time, event_id)) WITH CLUSTERING ORDER BY (event_time DESC, event_id ASC)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {ks}.events_by_type (event_type TEXT, event_date DATE, event_time TIMESTAMP, event_id UUID, device_id UUID, user_id UUID, payload TEXT, metadata TEXT, PRIMARY KEY ((event_type, event_date), event_time, event_id)) WITH CLUSTERING ORDER BY (event_time DESC, event_id ASC)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {ks}.events_by_id (event_id UUID PRIMARY KEY, event_time TIMESTAMP, device_id UUID, user_id UUID, event_type TEXT, payload TEXT, metadata TEXT)"
        ),
    ]
}

impl ScyllaEventStore {
    /// Connects to `hosts` (comma-separated `host:port`), retrying with the
    /// requirements' backoff, creates the keyspace and tables if missing,
    /// and prepares the statements.
    pub async fn open(hosts: &str, keyspace: &str) -> StoreResult<Self> {
        Self::open_with(hosts, keyspace, 5).await
    }

    /// As [`open`](Self::open), giving up after `attempts` tries.
    pub async fn open_with(hosts: &str, keyspace: &str, attempts: u32) -> StoreResult<Self> {
        if keyspace.is_empty() || !keyspace.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(StoreError::Backend(format!("not a keyspace name: {keyspace:?}")));
        }
        let nodes: Vec<&str> = hosts.split(',').map(str::trim).filter(|h| !h.is_empty()).collect();
        let mut wait = Duration::from_secs(1);
        let mut attempt = 1;
        let session = loop {
            let built =
                SessionBuilder::new().known_nodes(&nodes).connection_timeout(Duration::from_secs(5)).build().await;
            match built {
                Ok(s) => break s,
                Err(e) if attempt >= attempts => return Err(unavailable(e)),
                Err(e) => {
                    tracing::warn!(attempt, error = %e, retry_in = ?wait, "ScyllaDB is not reachable yet");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(8));
                    attempt += 1;
                }
            }
        };
        for stmt in schema(keyspace, 1) {
            session.query_unpaged(stmt, &[]).await.map_err(unavailable)?;
        }
        session.await_schema_agreement().await.map_err(unavailable)?;
        let ks = keyspace;
        let prepare = |cql: String| {
            let session = &session;
            async move {
                let mut p = session.prepare(cql).await.map_err(unavailable)?;
                p.set_page_size(PAGE_SIZE);
                Ok::<_, StoreError>(p)
            }
        };
        let insert = [
            prepare(format!("INSERT INTO {ks}.events_by_device (device_id, event_date, event_time, event_id, user_id, event_type, payload, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")).await?,
            prepare(format!("INSERT INTO {ks}.events_by_user (user_id, event_date, event_time, event_id, device_id, event_type, payload, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")).await?,
            prepare(format!("INSERT INTO {ks}.events_by_type (event_type, event_date, event_time, event_id, device_id, user_id, payload, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")).await?,
            prepare(format!("INSERT INTO {ks}.events_by_id (event_id, event_time, device_id, user_id, event_type, payload, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)")).await?,
        ];
        let range = "event_date = ? AND event_time >= ? AND event_time < ?";
        let select = [
            prepare(format!("SELECT {COLUMNS} FROM {ks}.events_by_device WHERE device_id = ? AND {range}")).await?,
            prepare(format!("SELECT {COLUMNS} FROM {ks}.events_by_user WHERE user_id = ? AND {range}")).await?,
            prepare(format!("SELECT {COLUMNS} FROM {ks}.events_by_type WHERE event_type = ? AND {range}")).await?,
        ];
        let by_id = prepare(format!("SELECT {COLUMNS} FROM {ks}.events_by_id WHERE event_id = ?")).await?;
        let known = prepare(format!("SELECT event_id FROM {ks}.events_by_id WHERE event_id IN ?")).await?;
        tracing::info!(keyspace, "raw events on ScyllaDB");
        Ok(Self { session, insert, select, by_id, known, breaker: Breaker::new("scylladb") })
    }

    /// Which of `ids` are stored already.
    async fn known(&self, ids: &[Uuid]) -> StoreResult<HashSet<Uuid>> {
        let mut found = HashSet::new();
        for chunk in ids.chunks(IDS_PER_LOOKUP) {
            let rows = self.session.execute_unpaged(&self.known, (chunk,)).await.map_err(unavailable)?;
            let rows = rows.into_rows_result().map_err(corrupt)?;
            for row in rows.rows::<(Uuid,)>().map_err(corrupt)? {
                found.insert(row.map_err(corrupt)?.0);
            }
        }
        Ok(found)
    }

    async fn write(&self, e: &Event) -> StoreResult<()> {
        let date = e.timestamp.date_naive();
        let (kind, payload) = (e.event_type.as_str(), serde_json::Value::Object(e.payload.clone()).to_string());
        let metadata = serde_json::Value::Object(e.metadata.clone()).to_string();
        let t = e.timestamp;
        let views = futures::future::try_join3(
            self.session.execute_unpaged(
                &self.insert[0],
                (e.device_id, date, t, e.event_id, e.user_id, kind, &payload, &metadata),
            ),
            self.session.execute_unpaged(
                &self.insert[1],
                (e.user_id, date, t, e.event_id, e.device_id, kind, &payload, &metadata),
            ),
            self.session.execute_unpaged(
                &self.insert[2],
                (kind, date, t, e.event_id, e.device_id, e.user_id, &payload, &metadata),
            ),
        );
        views.await.map_err(unavailable)?;
        self.session
            .execute_unpaged(&self.insert[3], (e.event_id, t, e.device_id, e.user_id, kind, &payload, &metadata))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Up to `scan.limit` wanted rows of one day partition, newest first.
    async fn day(&self, scan: &Scan<'_>, key: Key, date: NaiveDate) -> StoreResult<Vec<Event>> {
        let stmt = self.select[scan.view as usize].clone();
        let (from, to) = (scan.from, scan.to);
        let pager = match key {
            Key::Id(id) => self.session.execute_iter(stmt, (id, date, from, to)).await,
            Key::Type(t) => self.session.execute_iter(stmt, (t.as_str(), date, from, to)).await,
        }
        .map_err(unavailable)?;
        let rows = pager.rows_stream::<Row>().map_err(corrupt)?;
        let mut out = Vec::new();
        let mut rows = std::pin::pin!(rows);
        while out.len() < scan.limit {
            let Some(row) = rows.try_next().await.map_err(unavailable)? else { break };
            let e = event(row)?;
            if (scan.keep)(&e) {
                out.push(e);
            }
        }
        Ok(out)
    }
}

/// One query's walk over day partitions: the view, the time range
/// `[from, to)`, how many rows it wants and which it keeps.
struct Scan<'a> {
    view: View,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
    keep: &'a (dyn Fn(&Event) -> bool + Sync),
}

/// A partition key of a view.
#[derive(Debug, Clone, Copy)]
enum Key {
    Id(Uuid),
    Type(EventType),
}

fn event((timestamp, event_id, device_id, user_id, kind, payload, metadata): Row) -> StoreResult<Event> {
    let object = |s: &str| match serde_json::from_str(s).map_err(corrupt)? {
        serde_json::Value::Object(m) => Ok(m),
        _ => Err(corrupt("not a JSON object")),
    };
    Ok(Event {
        event_id,
        device_id,
        user_id,
        event_type: EventType::parse(&kind).map_err(corrupt)?,
        payload: object(&payload)?,
        timestamp,
        metadata: metadata.as_deref().map(object).transpose()?.unwrap_or_default(),
    })
}

/// Newest first, ties by event id (the clustering order of the views).
fn order(a: &Event, b: &Event) -> std::cmp::Ordering {
    b.timestamp.cmp(&a.timestamp).then(a.event_id.cmp(&b.event_id))
}

#[async_trait]
impl EventStore for ScyllaEventStore {
    async fn append(&self, events: &[Event]) -> StoreResult<u64> {
        self.breaker
            .call(async {
                let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
                let mut known = self.known(&ids).await?;
                // A redelivered event, or one twice in the batch, is written once.
                let fresh: Vec<&Event> = events.iter().filter(|e| known.insert(e.event_id)).collect();
                for chunk in fresh.chunks(WRITES_AT_ONCE) {
                    futures::future::try_join_all(chunk.iter().map(|e| self.write(e))).await?;
                }
                Ok(fresh.len() as u64)
            })
            .await
    }

    async fn query(&self, q: &EventQuery) -> StoreResult<Vec<Event>> {
        self.breaker
            .call(async {
                if q.limit == 0 {
                    return Ok(vec![]);
                }
                let (view, keys): (View, Vec<Key>) = match (q.device_id, q.user_id, q.event_type) {
                    (Some(d), _, _) => (View::Device, vec![Key::Id(d)]),
                    (None, Some(u), _) => (View::User, vec![Key::Id(u)]),
                    (None, None, Some(t)) => (View::Type, vec![Key::Type(t)]),
                    (None, None, None) => (View::Type, EventType::ALL.iter().map(|t| Key::Type(*t)).collect()),
                };
                // [from, to): the cursor's own millisecond stays in, its ties are filtered below.
                let mut to = q.to.unwrap_or_else(|| Utc::now() + chrono::Duration::days(7));
                if let Some(c) = q.after {
                    to = to.min(c.timestamp + chrono::Duration::milliseconds(1));
                }
                let from = q.from.unwrap_or(to - chrono::Duration::days(LOOKBACK_DAYS));
                if from >= to {
                    return Ok(vec![]);
                }
                let keep = |e: &Event| {
                    q.user_id.is_none_or(|u| e.user_id == u)
                        && q.event_type.is_none_or(|t| e.event_type == t)
                        && q.after.is_none_or(|c| {
                            e.timestamp < c.timestamp || (e.timestamp == c.timestamp && e.event_id > c.event_id)
                        })
                };
                let scan = Scan { view, from, to, limit: q.limit, keep: &keep };
                let last = (to - chrono::Duration::milliseconds(1)).date_naive();
                let days = (0..).map(|n| last - chrono::Duration::days(n)).take_while(|d| *d >= from.date_naive());
                let limit = q.limit;
                let mut pages = futures::stream::iter(days)
                    .map(|date| {
                        let (keys, scan) = (keys.clone(), &scan);
                        async move {
                            let mut day = Vec::new();
                            for key in keys {
                                day.extend(self.day(scan, key, date).await?);
                            }
                            day.sort_by(order);
                            day.truncate(limit);
                            Ok::<_, StoreError>(day)
                        }
                    })
                    .buffered(DAYS_AT_ONCE);
                let mut out = Vec::with_capacity(limit);
                while out.len() < limit {
                    let Some(day) = pages.next().await else { break };
                    out.extend(day?);
                }
                out.truncate(limit);
                Ok(out)
            })
            .await
    }

    async fn get(&self, event_id: Uuid) -> StoreResult<Option<Event>> {
        self.breaker
            .call(async {
                let rows = self.session.execute_unpaged(&self.by_id, (event_id,)).await.map_err(unavailable)?;
                let rows = rows.into_rows_result().map_err(corrupt)?;
                rows.maybe_first_row::<Row>().map_err(corrupt)?.map(event).transpose()
            })
            .await
    }

    async fn health(&self) -> StoreResult<()> {
        self.breaker
            .call(async {
                self.session.query_unpaged("SELECT now() FROM system.local", &[]).await.map(drop).map_err(unavailable)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_is_the_requirements_tables_and_the_id_table() {
        let s = schema("iot_events", 1).join("\n");
        for table in ["events_by_device", "events_by_user", "events_by_type", "events_by_id"] {
            assert!(s.contains(&format!("iot_events.{table} (")), "{table}");
        }
        assert!(s.contains("PRIMARY KEY ((device_id, event_date), event_time, event_id)"));
        assert!(s.contains("PRIMARY KEY ((user_id, event_date), event_time, event_id)"));
        assert!(s.contains("PRIMARY KEY ((event_type, event_date), event_time, event_id)"));
        assert_eq!(s.matches("CLUSTERING ORDER BY (event_time DESC, event_id ASC)").count(), 3);
        assert!(s.contains("'replication_factor': 1"));
    }

    #[test]
    fn order_is_newest_first_then_by_id() {
        let at = |ms: i64, id: u128| Event {
            event_id: Uuid::from_u128(id),
            device_id: Uuid::nil(),
            user_id: Uuid::nil(),
            event_type: EventType::ALL[0],
            payload: Default::default(),
            timestamp: DateTime::from_timestamp_millis(ms).unwrap(),
            metadata: Default::default(),
        };
        let mut v = [at(1, 2), at(2, 9), at(1, 1)];
        v.sort_by(order);
        assert_eq!(v.iter().map(|e| e.event_id.as_u128()).collect::<Vec<_>>(), vec![9, 1, 2]);
    }
}
