//! Raw events in their own SQLite file, so that storing them never waits on
//! the bus's or the registry's writers.

use std::path::Path;

use async_trait::async_trait;
use homeguard_domain::{Event, EventType};
use homeguard_ports::error::StoreResult;
use homeguard_ports::{EventQuery, EventStore, StoreError};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use uuid::Uuid;

use crate::sqlite::{decode, encode, from_ms, map_err, ms, open_migrated, uuid};

#[derive(Clone, Debug)]
pub struct SqliteEventStore {
    pool: SqlitePool,
}

impl SqliteEventStore {
    /// Opens (creating if needed) the event store at `path` and migrates it.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        Ok(Self { pool: open_migrated(path, sqlx::migrate!("./migrations/events")).await? })
    }
}

const COLUMNS: &str = "SELECT event_id, device_id, user_id, event_type, ts, payload, metadata FROM events";

fn event_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<Event> {
    let event_type: String = row.get("event_type");
    Ok(Event {
        event_id: uuid(row.get("event_id"))?,
        device_id: uuid(row.get("device_id"))?,
        user_id: uuid(row.get("user_id"))?,
        event_type: EventType::parse(&event_type).map_err(|e| StoreError::Corrupt(e.message))?,
        payload: decode(row.get("payload"))?,
        timestamp: from_ms(row.get("ts"))?,
        metadata: decode(row.get("metadata"))?,
    })
}

#[async_trait]
impl EventStore for SqliteEventStore {
    async fn append(&self, events: &[Event]) -> StoreResult<u64> {
        if events.is_empty() {
            return Ok(0);
        }
        let rows: Vec<_> =
            events.iter().map(|e| Ok((e, encode(&e.payload)?, encode(&e.metadata)?))).collect::<StoreResult<_>>()?;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let mut stored = 0;
        // 8 values a row: well inside SQLite's limit on bound parameters.
        for chunk in rows.chunks(500) {
            let mut sql = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (event_id, device_id, user_id, event_type, event_date, ts, payload, metadata) ",
            );
            sql.push_values(chunk, |mut row, (e, payload, metadata)| {
                row.push_bind(e.event_id.to_string())
                    .push_bind(e.device_id.to_string())
                    .push_bind(e.user_id.to_string())
                    .push_bind(e.event_type.as_str())
                    .push_bind(e.timestamp.format("%Y-%m-%d").to_string())
                    .push_bind(ms(e.timestamp))
                    .push_bind(payload.as_str())
                    .push_bind(metadata.as_str());
            });
            sql.push(" ON CONFLICT (event_id) DO NOTHING");
            stored += sql.build().execute(&mut *tx).await.map_err(map_err)?.rows_affected();
        }
        tx.commit().await.map_err(map_err)?;
        Ok(stored)
    }

    async fn query(&self, q: &EventQuery) -> StoreResult<Vec<Event>> {
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(COLUMNS);
        sql.push(" WHERE 1 = 1");
        if let Some(u) = q.user_id {
            sql.push(" AND user_id = ").push_bind(u.to_string());
        }
        if let Some(d) = q.device_id {
            sql.push(" AND device_id = ").push_bind(d.to_string());
        }
        if let Some(t) = q.event_type {
            sql.push(" AND event_type = ").push_bind(t.as_str());
        }
        if let Some(from) = q.from {
            sql.push(" AND ts >= ").push_bind(ms(from));
        }
        if let Some(to) = q.to {
            sql.push(" AND ts < ").push_bind(ms(to));
        }
        if let Some(c) = q.after {
            let (t, id) = (ms(c.timestamp), c.event_id.to_string());
            sql.push(" AND (ts < ")
                .push_bind(t)
                .push(" OR (ts = ")
                .push_bind(t)
                .push(" AND event_id > ")
                .push_bind(id)
                .push("))");
        }
        sql.push(" ORDER BY ts DESC, event_id ASC LIMIT ").push_bind(q.limit as i64);
        let rows = sql.build().fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn get(&self, event_id: Uuid) -> StoreResult<Option<Event>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{COLUMNS} WHERE event_id = ?")))
            .bind(event_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(event_from_row).transpose()
    }

    async fn health(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(drop).map_err(map_err)
    }
}
