//! The security response's decisions and incidents, in the main SQLite database.

use async_trait::async_trait;
use homeguard_domain::incident::Incident;
use homeguard_domain::security::Decision;
use homeguard_ports::error::StoreResult;
use homeguard_ports::{DecisionQuery, IncidentQuery, SecurityStore};
use uuid::Uuid;

use crate::SqliteStore;
use crate::sqlite::{decode, encode, map_err, ms};

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl SecurityStore for SqliteStore {
    async fn put_decisions(&self, decisions: &[Decision]) -> StoreResult<Vec<Uuid>> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        let mut new = vec![];
        for d in decisions {
            let done = sqlx::query(
                "INSERT INTO security_decisions (id, user_id, at, outcome, doc) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(d.id.to_string())
            .bind(d.user_id.to_string())
            .bind(ms(d.at))
            .bind(d.outcome.as_str())
            .bind(encode(d)?)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            if done.rows_affected() == 1 {
                new.push(d.id);
            }
        }
        tx.commit().await.map_err(map_err)?;
        Ok(new)
    }

    async fn decisions(&self, q: &DecisionQuery) -> StoreResult<Vec<Decision>> {
        let user = q.user_id.map(|u| u.to_string());
        let outcome = q.outcome.map(|o| o.as_str());
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM security_decisions
             WHERE (? IS NULL OR user_id = ?) AND (? IS NULL OR outcome = ?)
               AND (? IS NULL OR at < ? OR (at = ? AND id < ?))
             ORDER BY at DESC, id DESC LIMIT ?",
        )
        .bind(&user)
        .bind(&user)
        .bind(outcome)
        .bind(outcome)
        .bind(q.before.map(|c| ms(c.at)))
        .bind(q.before.map(|c| ms(c.at)))
        .bind(q.before.map(|c| ms(c.at)))
        .bind(q.before.and_then(|c| c.id).map(|id| id.to_string()))
        .bind(limit(q.limit))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn save_incident(&self, i: &Incident) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO incidents (id, user_id, opened_at, status, version, doc) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, version = excluded.version, doc = excluded.doc
             WHERE incidents.version = excluded.version - 1",
        )
        .bind(i.id.to_string())
        .bind(i.user_id.to_string())
        .bind(ms(i.opened_at))
        .bind(i.status.as_str())
        .bind(i.version)
        .bind(encode(i)?)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn incident(&self, id: Uuid) -> StoreResult<Option<Incident>> {
        self.doc_by_id("SELECT doc FROM incidents WHERE id = ?", id).await
    }

    async fn incidents(&self, q: &IncidentQuery) -> StoreResult<Vec<Incident>> {
        let user = q.user_id.map(|u| u.to_string());
        let status = q.status.map(|s| s.as_str());
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM incidents
             WHERE (? IS NULL OR user_id = ?) AND (? IS NULL OR status = ?) AND (? IS NULL OR opened_at < ? OR (opened_at = ? AND id < ?))
             ORDER BY opened_at DESC, id DESC LIMIT ?",
        )
        .bind(&user)
        .bind(&user)
        .bind(status)
        .bind(status)
        .bind(q.before.map(|c| ms(c.at)))
        .bind(q.before.map(|c| ms(c.at)))
        .bind(q.before.map(|c| ms(c.at)))
        .bind(q.before.and_then(|c| c.id).map(|id| id.to_string()))
        .bind(limit(q.limit))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn active_incidents(&self, user_id: Uuid) -> StoreResult<Vec<Incident>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM incidents WHERE user_id = ? AND status IN ('open', 'acknowledged')
             ORDER BY opened_at DESC, id DESC LIMIT 50",
        )
        .bind(user_id.to_string())
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }
}
