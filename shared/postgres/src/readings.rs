//! Sensor readings on PostgreSQL, in one of two modes, chosen at start-up
//! and reported in the logs:
//!
//! - **TimescaleDB** (the extension is available): the requirements'
//!   `sensor_readings` hypertable with its indexes, the `hourly_readings`
//!   continuous aggregate, compression after 7 days and retention after 90.
//! - **Plain PostgreSQL**: the same table partitioned natively by day (the
//!   adapter creates each day's partition before writing to it and drops
//!   whole days for retention), and an `hourly_readings` rollup table the
//!   adapter keeps up to date with every new reading.
//!
//! Reads are the same in both modes: raw readings from `sensor_readings`;
//! hourly rollups from the raw table with TimescaleDB (its continuous
//! aggregate serves dashboards), from the maintained rollup otherwise.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Duration, DurationRound, NaiveDate, Utc};
use homeguard_ports::error::StoreResult;
use homeguard_ports::{Breaker, HourlyRollup, Reading, ReadingQuery, ReadingStore, StoreError};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{AssertSqlSafe, Postgres, QueryBuilder, Row};

use crate::{connect, map_err, ms};

/// Which kind of server the readings live on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Timescale,
    Partitioned,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timescale => "timescaledb",
            Self::Partitioned => "postgresql-partitioned",
        }
    }
}

/// Readings on PostgreSQL or TimescaleDB.
#[derive(Debug)]
pub struct PgReadingStore {
    pool: PgPool,
    mode: Mode,
    /// Days whose partition is known to exist (plain mode).
    days: Mutex<HashSet<NaiveDate>>,
    breaker: Breaker,
}

const TIMESCALE_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS sensor_readings (
        time TIMESTAMPTZ NOT NULL, device_id UUID NOT NULL, user_id UUID NOT NULL,
        reading_type VARCHAR(50) NOT NULL, value DOUBLE PRECISION NOT NULL, unit VARCHAR(20))",
    "SELECT create_hypertable('sensor_readings', 'time', if_not_exists => TRUE)",
    "CREATE UNIQUE INDEX IF NOT EXISTS sensor_readings_once ON sensor_readings (device_id, reading_type, time)",
    "CREATE INDEX IF NOT EXISTS idx_sensor_device ON sensor_readings (device_id, time DESC)",
    "CREATE INDEX IF NOT EXISTS idx_sensor_user ON sensor_readings (user_id, time DESC)",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS hourly_readings WITH (timescaledb.continuous) AS
        SELECT time_bucket('1 hour', time) AS bucket, device_id, reading_type,
               COUNT(*) AS event_count, AVG(value) AS avg_value, MIN(value) AS min_value, MAX(value) AS max_value
        FROM sensor_readings GROUP BY bucket, device_id, reading_type WITH NO DATA",
    "SELECT add_continuous_aggregate_policy('hourly_readings', start_offset => INTERVAL '3 days',
        end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '15 minutes', if_not_exists => TRUE)",
    "ALTER TABLE sensor_readings SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id')",
    "SELECT add_compression_policy('sensor_readings', INTERVAL '7 days', if_not_exists => TRUE)",
    "SELECT add_retention_policy('sensor_readings', INTERVAL '90 days', if_not_exists => TRUE)",
];

const PARTITIONED_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS sensor_readings (
        time TIMESTAMPTZ NOT NULL, device_id UUID NOT NULL, user_id UUID NOT NULL,
        reading_type VARCHAR(50) NOT NULL, value DOUBLE PRECISION NOT NULL, unit VARCHAR(20),
        PRIMARY KEY (device_id, reading_type, time)) PARTITION BY RANGE (time)",
    "CREATE INDEX IF NOT EXISTS idx_sensor_device ON sensor_readings (device_id, time DESC)",
    "CREATE INDEX IF NOT EXISTS idx_sensor_user ON sensor_readings (user_id, time DESC)",
    "CREATE TABLE IF NOT EXISTS hourly_readings (
        bucket TIMESTAMPTZ NOT NULL, device_id UUID NOT NULL, user_id UUID NOT NULL,
        reading_type VARCHAR(50) NOT NULL, event_count BIGINT NOT NULL, sum_value DOUBLE PRECISION NOT NULL,
        min_value DOUBLE PRECISION NOT NULL, max_value DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (device_id, reading_type, bucket))",
    "CREATE INDEX IF NOT EXISTS hourly_readings_by_user ON hourly_readings (user_id, bucket)",
];

fn day_of(t: DateTime<Utc>) -> NaiveDate {
    t.date_naive()
}

fn partition_name(day: NaiveDate) -> String {
    format!("sensor_readings_{}", day.format("%Y%m%d"))
}

fn filter(sql: &mut QueryBuilder<Postgres>, q: &ReadingQuery, time_col: &str) {
    sql.push(" WHERE user_id = ").push_bind(q.user_id);
    sql.push(format!(" AND {time_col} >= ")).push_bind(q.from);
    sql.push(format!(" AND {time_col} < ")).push_bind(q.to);
    if let Some(d) = q.device_id {
        sql.push(" AND device_id = ").push_bind(d);
    }
    if let Some(t) = &q.reading_type {
        sql.push(" AND reading_type = ").push_bind(t.clone());
    }
}

fn rollup(r: &PgRow, avg: f64) -> HourlyRollup {
    HourlyRollup {
        bucket: r.get("bucket"),
        device_id: r.get("device_id"),
        reading_type: r.get("reading_type"),
        count: r.get::<i64, _>("n") as u64,
        avg,
        min: r.get("min"),
        max: r.get("max"),
    }
}

/// Folds newly stored readings into the hourly rollup: summed per bucket
/// first (one statement may not update a row twice), then merged.
async fn fold(tx: &mut sqlx::Transaction<'_, Postgres>, new: &[PgRow]) -> StoreResult<()> {
    type Key = (DateTime<Utc>, uuid::Uuid, String);
    let mut agg: BTreeMap<Key, (uuid::Uuid, i64, f64, f64, f64)> = BTreeMap::new();
    for r in new {
        let time: DateTime<Utc> = r.get("time");
        let bucket = time.duration_trunc(Duration::hours(1)).unwrap_or(time);
        let value: f64 = r.get("value");
        let key = (bucket, r.get("device_id"), r.get("reading_type"));
        let e = agg.entry(key).or_insert((r.get("user_id"), 0, 0.0, f64::INFINITY, f64::NEG_INFINITY));
        e.1 += 1;
        e.2 += value;
        e.3 = e.3.min(value);
        e.4 = e.4.max(value);
    }
    let mut up = QueryBuilder::<Postgres>::new(
        "INSERT INTO hourly_readings AS h (bucket, device_id, user_id, reading_type, event_count, sum_value, min_value, max_value) ",
    );
    up.push_values(agg, |mut row, ((bucket, device, kind), (user, n, sum, min, max))| {
        row.push_bind(bucket)
            .push_bind(device)
            .push_bind(user)
            .push_bind(kind)
            .push_bind(n)
            .push_bind(sum)
            .push_bind(min)
            .push_bind(max);
    });
    up.push(
        " ON CONFLICT (device_id, reading_type, bucket) DO UPDATE SET
          event_count = h.event_count + excluded.event_count,
          sum_value = h.sum_value + excluded.sum_value,
          min_value = LEAST(h.min_value, excluded.min_value),
          max_value = GREATEST(h.max_value, excluded.max_value)",
    );
    up.build().execute(&mut **tx).await.map(drop).map_err(map_err)
}

impl PgReadingStore {
    /// Opens the readings on `url`: TimescaleDB when the extension can be
    /// had, native partitioning otherwise.
    pub async fn open(url: &str) -> StoreResult<Self> {
        // Only the readings schema: the users tables stay in their own database.
        let pool = connect(url).await?;
        let timescale = sqlx::query("CREATE EXTENSION IF NOT EXISTS timescaledb").execute(&pool).await.is_ok();
        let (mode, schema) =
            if timescale { (Mode::Timescale, TIMESCALE_SCHEMA) } else { (Mode::Partitioned, PARTITIONED_SCHEMA) };
        for stmt in schema {
            sqlx::query(AssertSqlSafe(*stmt))
                .execute(&pool)
                .await
                .map_err(|e| StoreError::Backend(format!("readings schema ({}): {e}", mode.as_str())))?;
        }
        tracing::info!(mode = mode.as_str(), "sensor readings on PostgreSQL");
        Ok(Self { pool, mode, days: Mutex::default(), breaker: Breaker::new("timescaledb") })
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Makes sure each day's partition exists (plain mode).
    async fn partitions(&self, readings: &[Reading]) -> StoreResult<()> {
        let wanted: Vec<NaiveDate> = {
            let known = self.days.lock().unwrap_or_else(|p| p.into_inner());
            let mut days: Vec<NaiveDate> =
                readings.iter().map(|r| day_of(r.time)).filter(|d| !known.contains(d)).collect();
            days.sort();
            days.dedup();
            days
        };
        for day in wanted {
            let next = day + Duration::days(1);
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS {} PARTITION OF sensor_readings FOR VALUES FROM ('{day}') TO ('{next}')",
                partition_name(day)
            );
            match sqlx::query(AssertSqlSafe(sql)).execute(&self.pool).await {
                Ok(_) => {}
                // Another writer created it between our check and ours.
                Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P07") => {}
                Err(e) => return Err(map_err(e)),
            }
            self.days.lock().unwrap_or_else(|p| p.into_inner()).insert(day);
        }
        Ok(())
    }
}

#[async_trait]
impl ReadingStore for PgReadingStore {
    async fn append(&self, readings: &[Reading]) -> StoreResult<u64> {
        self.breaker
            .call(async {
                if readings.is_empty() {
                    return Ok(0);
                }
                if self.mode == Mode::Partitioned {
                    self.partitions(readings).await?;
                }
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                let mut stored = 0;
                for chunk in readings.chunks(1000) {
                    let mut sql = QueryBuilder::<Postgres>::new(
                        "INSERT INTO sensor_readings (time, device_id, user_id, reading_type, value, unit) ",
                    );
                    sql.push_values(chunk, |mut row, r| {
                        row.push_bind(ms(r.time))
                            .push_bind(r.device_id)
                            .push_bind(r.user_id)
                            .push_bind(r.reading_type.clone())
                            .push_bind(r.value)
                            .push_bind(r.unit.clone());
                    });
                    sql.push(" ON CONFLICT DO NOTHING RETURNING time, device_id, user_id, reading_type, value");
                    let new = sql.build().fetch_all(&mut *tx).await.map_err(map_err)?;
                    stored += new.len() as u64;
                    if self.mode == Mode::Partitioned && !new.is_empty() {
                        fold(&mut tx, &new).await?;
                    }
                }
                tx.commit().await.map_err(map_err)?;
                Ok(stored)
            })
            .await
    }

    async fn readings(&self, q: &ReadingQuery, limit: usize) -> StoreResult<Vec<Reading>> {
        self.breaker
            .call(async {
                let mut sql = QueryBuilder::<Postgres>::new(
                    "SELECT time, device_id, user_id, reading_type, value, unit FROM sensor_readings",
                );
                filter(&mut sql, q, "time");
                sql.push(" ORDER BY time, device_id, reading_type LIMIT ").push_bind(limit as i64);
                let rows = sql.build().fetch_all(&self.pool).await.map_err(map_err)?;
                Ok(rows
                    .iter()
                    .map(|r| Reading {
                        time: r.get("time"),
                        device_id: r.get("device_id"),
                        user_id: r.get("user_id"),
                        reading_type: r.get("reading_type"),
                        value: r.get("value"),
                        unit: r.get("unit"),
                    })
                    .collect())
            })
            .await
    }

    async fn hourly(&self, q: &ReadingQuery) -> StoreResult<Vec<HourlyRollup>> {
        self.breaker.call(async {
            match self.mode {
                Mode::Timescale => {
                    let mut sql = QueryBuilder::<Postgres>::new(
                        "SELECT time_bucket('1 hour', time) AS bucket, device_id, reading_type, COUNT(*) AS n,
                                AVG(value) AS avg, MIN(value) AS min, MAX(value) AS max FROM sensor_readings",
                    );
                    filter(&mut sql, q, "time");
                    sql.push(" GROUP BY bucket, device_id, reading_type ORDER BY bucket, device_id, reading_type");
                    let rows = sql.build().fetch_all(&self.pool).await.map_err(map_err)?;
                    Ok(rows.iter().map(|r| rollup(r, r.get("avg"))).collect())
                }
                Mode::Partitioned => {
                    // Buckets that start within the window, as the raw query would group them.
                    let q = ReadingQuery { from: q.from.duration_trunc(Duration::hours(1)).unwrap_or(q.from), ..q.clone() };
                    let mut sql = QueryBuilder::<Postgres>::new(
                        "SELECT bucket, device_id, reading_type, event_count AS n, sum_value, min_value AS min, max_value AS max
                         FROM hourly_readings",
                    );
                    filter(&mut sql, &q, "bucket");
                    sql.push(" ORDER BY bucket, device_id, reading_type");
                    let rows = sql.build().fetch_all(&self.pool).await.map_err(map_err)?;
                    Ok(rows
                        .iter()
                        .map(|r| {
                            let n: i64 = r.get("n");
                            let sum: f64 = r.get("sum_value");
                            rollup(r, if n > 0 { sum / n as f64 } else { 0.0 })
                        })
                        .collect())
                }
            }
        })
        .await
    }

    async fn delete_before(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.breaker.call(async {
            let done = sqlx::query("DELETE FROM sensor_readings WHERE time < $1")
                .bind(before)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
            if self.mode == Mode::Partitioned {
                let hour = before.duration_trunc(Duration::hours(1)).unwrap_or(before);
                sqlx::query("DELETE FROM hourly_readings WHERE bucket < $1")
                    .bind(hour)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                // The bucket the cut falls in: recount it from what is left.
                sqlx::query(
                    "WITH left_over AS (
                        SELECT device_id, reading_type, COUNT(*) AS n, SUM(value) AS s, MIN(value) AS lo, MAX(value) AS hi
                        FROM sensor_readings WHERE time >= $1 AND time < $1 + INTERVAL '1 hour'
                        GROUP BY device_id, reading_type)
                     UPDATE hourly_readings h SET event_count = l.n, sum_value = l.s, min_value = l.lo, max_value = l.hi
                     FROM left_over l
                     WHERE h.bucket = $1 AND h.device_id = l.device_id AND h.reading_type = l.reading_type",
                )
                .bind(hour)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                sqlx::query(
                    "DELETE FROM hourly_readings h WHERE h.bucket = $1 AND NOT EXISTS (
                        SELECT 1 FROM sensor_readings s WHERE s.device_id = h.device_id AND s.reading_type = h.reading_type
                        AND s.time >= $1 AND s.time < $1 + INTERVAL '1 hour')",
                )
                .bind(hour)
                .execute(&self.pool)
                .await
                .map_err(map_err)?;
                // Whole days before the cut: their partitions go.
                let old: Vec<String> = sqlx::query_scalar(
                    "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                     JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'sensor_readings'",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                let cut = day_of(before);
                for name in old {
                    let day =
                        name.strip_prefix("sensor_readings_").and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok());
                    if let Some(day) = day.filter(|d| *d < cut) {
                        sqlx::query(AssertSqlSafe(format!("DROP TABLE IF EXISTS {}", partition_name(day))))
                            .execute(&self.pool)
                            .await
                            .map_err(map_err)?;
                        self.days.lock().unwrap_or_else(|p| p.into_inner()).remove(&day);
                    }
                }
            }
            Ok(done.rows_affected())
        })
        .await
    }

    async fn health(&self) -> StoreResult<()> {
        self.breaker.call(async { sqlx::query("SELECT 1").execute(&self.pool).await.map(drop).map_err(map_err) }).await
    }
}
