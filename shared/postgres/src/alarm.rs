//! Each home's alarm and its signal log: one transaction per transition
//! (the record, bumped by version, and the log lines it added).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::alarm::{AlarmRecord, LogEntry};
use homeguard_ports::error::StoreResult;
use homeguard_ports::{AlarmStore, LogQuery, UserStore};
use sqlx::types::Json;
use uuid::Uuid;

use crate::{PgStore, map_err};

#[async_trait]
impl AlarmStore for PgStore {
    async fn load(&self, user_id: Uuid) -> StoreResult<Option<AlarmRecord>> {
        self.breaker
            .call(async {
                let r: Option<Json<AlarmRecord>> =
                    sqlx::query_scalar("SELECT record FROM alarm_state WHERE user_id = $1")
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(map_err)?;
                Ok(r.map(|j| j.0))
            })
            .await
    }

    async fn save(&self, record: &AlarmRecord, entries: &[LogEntry]) -> StoreResult<bool> {
        self.breaker
            .call(async {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                let done = if record.version == 1 {
                    sqlx::query(
                        "INSERT INTO alarm_state (user_id, version, next_due, armed, record) VALUES ($1, 1, $2, $3, $4)
                         ON CONFLICT (user_id) DO NOTHING",
                    )
                    .bind(record.user_id)
                    .bind(record.next_due())
                    .bind(record.is_armed())
                    .bind(Json(record))
                    .execute(&mut *tx)
                    .await
                } else {
                    sqlx::query(
                        "UPDATE alarm_state SET version = $1, next_due = $2, armed = $3, record = $4, updated_at = NOW()
                         WHERE user_id = $5 AND version = $6",
                    )
                    .bind(record.version)
                    .bind(record.next_due())
                    .bind(record.is_armed())
                    .bind(Json(record))
                    .bind(record.user_id)
                    .bind(record.version - 1)
                    .execute(&mut *tx)
                    .await
                }
                .map_err(map_err)?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                for e in entries {
                    sqlx::query(
                        "INSERT INTO alarm_log (id, user_id, at, code, monitoring_only, entry) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(e.id)
                    .bind(record.user_id)
                    .bind(e.at)
                    .bind(e.code.map(i32::from))
                    .bind(e.monitoring_only)
                    .bind(Json(e))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                }
                tx.commit().await.map_err(map_err)?;
                Ok(true)
            })
            .await
    }

    async fn due(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
        self.breaker
            .call(async {
                sqlx::query_scalar("SELECT user_id FROM alarm_state WHERE next_due <= $1")
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)
            })
            .await
    }

    async fn armed(&self) -> StoreResult<Vec<Uuid>> {
        self.breaker
            .call(async {
                sqlx::query_scalar("SELECT user_id FROM alarm_state WHERE armed")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)
            })
            .await
    }

    async fn log(&self, query: &LogQuery) -> StoreResult<Vec<LogEntry>> {
        self.breaker
            .call(async {
                let rows: Vec<Json<LogEntry>> = sqlx::query_scalar(
                    "SELECT entry FROM alarm_log WHERE user_id = $1
                       AND ($2::timestamptz IS NULL OR at < $2 OR (at = $2 AND id < $5))
                       AND ($3 OR NOT monitoring_only)
                     ORDER BY at DESC, id DESC LIMIT $4",
                )
                .bind(query.user_id)
                .bind(query.before.map(|c| c.at))
                .bind(query.monitoring)
                .bind(i64::try_from(query.limit).unwrap_or(i64::MAX))
                .bind(query.before.and_then(|c| c.id))
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(rows.into_iter().map(|j| j.0).collect())
            })
            .await
    }

    async fn health(&self) -> StoreResult<()> {
        UserStore::health(self).await
    }
}
