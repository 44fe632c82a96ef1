//! Sensor readings in their own SQLite file.

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_ports::error::StoreResult;
use homeguard_ports::{HourlyRollup, Reading, ReadingQuery, ReadingStore};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use crate::sqlite::{from_ms, map_err, ms, open_migrated, uuid};

#[derive(Clone, Debug)]
pub struct SqliteReadingStore {
    pool: SqlitePool,
}

impl SqliteReadingStore {
    /// Opens (creating if needed) the reading store at `path` and migrates it.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        Ok(Self { pool: open_migrated(path, sqlx::migrate!("./migrations/readings")).await? })
    }
}

const HOUR_MS: i64 = 3_600_000;

fn filter(sql: &mut QueryBuilder<Sqlite>, q: &ReadingQuery) {
    sql.push(" WHERE user_id = ").push_bind(q.user_id.to_string());
    sql.push(" AND time >= ").push_bind(ms(q.from)).push(" AND time < ").push_bind(ms(q.to));
    if let Some(d) = q.device_id {
        sql.push(" AND device_id = ").push_bind(d.to_string());
    }
    if let Some(t) = &q.reading_type {
        sql.push(" AND reading_type = ").push_bind(t.as_str());
    }
}

#[async_trait]
impl ReadingStore for SqliteReadingStore {
    async fn append(&self, readings: &[Reading]) -> StoreResult<u64> {
        if readings.is_empty() {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let mut stored = 0;
        for chunk in readings.chunks(500) {
            let mut sql = QueryBuilder::<Sqlite>::new(
                "INSERT INTO sensor_readings (time, device_id, user_id, reading_type, value, unit) ",
            );
            sql.push_values(chunk, |mut row, r| {
                row.push_bind(ms(r.time))
                    .push_bind(r.device_id.to_string())
                    .push_bind(r.user_id.to_string())
                    .push_bind(r.reading_type.as_str())
                    .push_bind(r.value)
                    .push_bind(r.unit.as_deref());
            });
            sql.push(" ON CONFLICT DO NOTHING");
            stored += sql.build().execute(&mut *tx).await.map_err(map_err)?.rows_affected();
        }
        tx.commit().await.map_err(map_err)?;
        Ok(stored)
    }

    async fn readings(&self, q: &ReadingQuery, limit: usize) -> StoreResult<Vec<Reading>> {
        let mut sql = QueryBuilder::<Sqlite>::new(
            "SELECT time, device_id, user_id, reading_type, value, unit FROM sensor_readings",
        );
        filter(&mut sql, q);
        sql.push(" ORDER BY time, device_id, reading_type LIMIT ").push_bind(limit as i64);
        let rows = sql.build().fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(Reading {
                    time: from_ms(r.get("time"))?,
                    device_id: uuid(r.get("device_id"))?,
                    user_id: uuid(r.get("user_id"))?,
                    reading_type: r.get("reading_type"),
                    value: r.get("value"),
                    unit: r.get("unit"),
                })
            })
            .collect()
    }

    async fn hourly(&self, q: &ReadingQuery) -> StoreResult<Vec<HourlyRollup>> {
        let mut sql = QueryBuilder::<Sqlite>::new("SELECT (time / ");
        sql.push(HOUR_MS.to_string()).push(") * ").push(HOUR_MS.to_string());
        sql.push(
            " AS bucket, device_id, reading_type, COUNT(*) AS n, AVG(value) AS avg, MIN(value) AS min, MAX(value) AS max
              FROM sensor_readings",
        );
        filter(&mut sql, q);
        sql.push(" GROUP BY bucket, device_id, reading_type ORDER BY bucket, device_id, reading_type");
        let rows = sql.build().fetch_all(&self.pool).await.map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(HourlyRollup {
                    bucket: from_ms(r.get("bucket"))?,
                    device_id: uuid(r.get("device_id"))?,
                    reading_type: r.get("reading_type"),
                    count: r.get::<i64, _>("n") as u64,
                    avg: r.get("avg"),
                    min: r.get("min"),
                    max: r.get("max"),
                })
            })
            .collect()
    }

    async fn delete_before(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sensor_readings WHERE time < ?")
            .bind(ms(before))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn health(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(drop).map_err(map_err)
    }
}
