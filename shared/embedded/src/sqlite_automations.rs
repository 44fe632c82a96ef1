//! Rule firings and notifications, in the main SQLite database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::automation::{AutomationRun, RunStatus};
use homeguard_domain::dc09::Report;
use homeguard_domain::notification::{Delivery, Notification, Preferences};
use homeguard_domain::page::Cursor;
use homeguard_ports::error::StoreResult;
use homeguard_ports::{NotificationStore, ReportStore, RunStore};
use uuid::Uuid;

use crate::SqliteStore;
use crate::sqlite::{decode, encode, from_ms, map_err, ms};

fn resume_at(run: &AutomationRun) -> Option<i64> {
    run.resume_at.filter(|_| run.status == RunStatus::Waiting).map(ms)
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl SqliteStore {
    /// The document a `... WHERE key = ?` query finds, if any.
    pub(crate) async fn doc_by_id<T: serde::de::DeserializeOwned>(
        &self,
        sql: &'static str,
        id: Uuid,
    ) -> StoreResult<Option<T>> {
        let doc: Option<String> =
            sqlx::query_scalar(sql).bind(id.to_string()).fetch_optional(self.pool()).await.map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    /// The documents a `... <= ? ... LIMIT ?` query selects at `now`.
    async fn due_docs<T: serde::de::DeserializeOwned>(
        &self,
        sql: &'static str,
        now: DateTime<Utc>,
        n: usize,
    ) -> StoreResult<Vec<T>> {
        let docs: Vec<String> =
            sqlx::query_scalar(sql).bind(ms(now)).bind(limit(n)).fetch_all(self.pool()).await.map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }
}

#[async_trait]
impl RunStore for SqliteStore {
    async fn claim(&self, run: &AutomationRun) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO automation_runs (run_id, automation_id, at, fired, resume_at, doc) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (run_id) DO NOTHING",
        )
        .bind(run.run_id.to_string())
        .bind(run.automation_id.to_string())
        .bind(ms(run.at))
        .bind(run.fired())
        .bind(resume_at(run))
        .bind(encode(run)?)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn finish(&self, run: &AutomationRun) -> StoreResult<()> {
        sqlx::query("UPDATE automation_runs SET fired = ?, resume_at = ?, doc = ? WHERE run_id = ?")
            .bind(run.fired())
            .bind(resume_at(run))
            .bind(encode(run)?)
            .bind(run.run_id.to_string())
            .execute(self.pool())
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn get(&self, run_id: Uuid) -> StoreResult<Option<AutomationRun>> {
        self.doc_by_id("SELECT doc FROM automation_runs WHERE run_id = ?", run_id).await
    }

    async fn due(&self, now: DateTime<Utc>, n: usize) -> StoreResult<Vec<AutomationRun>> {
        self.due_docs(
            "SELECT doc FROM automation_runs WHERE resume_at IS NOT NULL AND resume_at <= ? ORDER BY resume_at LIMIT ?",
            now,
            n,
        )
        .await
    }

    async fn discard(&self, run_id: Uuid) -> StoreResult<()> {
        sqlx::query("DELETE FROM automation_runs WHERE run_id = ?")
            .bind(run_id.to_string())
            .execute(self.pool())
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn runs(&self, automation_id: Uuid, before: Option<Cursor>, n: usize) -> StoreResult<Vec<AutomationRun>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM automation_runs WHERE automation_id = ? AND (? IS NULL OR at < ? OR (at = ? AND run_id < ?))
             ORDER BY at DESC, run_id DESC LIMIT ?",
        )
        .bind(automation_id.to_string())
        .bind(before.map(|c| ms(c.at)))
        .bind(before.map(|c| ms(c.at)))
        .bind(before.map(|c| ms(c.at)))
        .bind(before.and_then(|c| c.id).map(|id| id.to_string()))
        .bind(limit(n))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn last_fired(&self, automation_id: Uuid) -> StoreResult<Option<DateTime<Utc>>> {
        let at: Option<i64> =
            sqlx::query_scalar("SELECT MAX(at) FROM automation_runs WHERE automation_id = ? AND fired")
                .bind(automation_id.to_string())
                .fetch_one(self.pool())
                .await
                .map_err(map_err)?;
        at.map(from_ms).transpose()
    }
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn insert(&self, n: &Notification) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO notifications (id, user_id, created_at, read, due_at, doc) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(n.id.to_string())
        .bind(n.user_id.to_string())
        .bind(ms(n.created_at))
        .bind(n.read_at.is_some())
        .bind(n.next_delivery_at.map(ms))
        .bind(encode(n)?)
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<Notification>> {
        self.doc_by_id("SELECT doc FROM notifications WHERE id = ?", id).await
    }

    async fn set_deliveries(
        &self,
        id: Uuid,
        deliveries: &[Delivery],
        next_delivery_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE notifications SET due_at = ?,
                doc = json_set(doc, '$.deliveries', json(?), '$.next_delivery_at', json(?))
             WHERE id = ?",
        )
        .bind(next_delivery_at.map(ms))
        .bind(encode(&deliveries)?)
        .bind(encode(&next_delivery_at)?)
        .bind(id.to_string())
        .execute(self.pool())
        .await
        .map(drop)
        .map_err(map_err)
    }

    async fn due(&self, now: DateTime<Utc>, n: usize) -> StoreResult<Vec<Notification>> {
        self.due_docs(
            "SELECT doc FROM notifications WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at LIMIT ?",
            now,
            n,
        )
        .await
    }

    async fn list(
        &self,
        user_id: Uuid,
        unread_only: bool,
        before: Option<Cursor>,
        n: usize,
    ) -> StoreResult<Vec<Notification>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM notifications WHERE user_id = ? AND (? = 0 OR read = 0) AND (? IS NULL OR created_at < ? OR (created_at = ? AND id < ?))
             ORDER BY created_at DESC, id DESC LIMIT ?",
        )
        .bind(user_id.to_string())
        .bind(unread_only)
        .bind(before.map(|c| ms(c.at)))
        .bind(before.map(|c| ms(c.at)))
        .bind(before.map(|c| ms(c.at)))
        .bind(before.and_then(|c| c.id).map(|id| id.to_string()))
        .bind(limit(n))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn mark_read(&self, user_id: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE notifications SET read = 1, doc = json_set(doc, '$.read_at', json(?))
             WHERE id = ? AND user_id = ? AND read = 0",
        )
        .bind(encode(&at)?)
        .bind(id.to_string())
        .bind(user_id.to_string())
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 1 {
            return Ok(true);
        }
        // Read already: still theirs.
        let theirs: Option<i64> = sqlx::query_scalar("SELECT 1 FROM notifications WHERE id = ? AND user_id = ?")
            .bind(id.to_string())
            .bind(user_id.to_string())
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?;
        Ok(theirs.is_some())
    }

    async fn unread(&self, user_id: Uuid) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read = 0")
            .bind(user_id.to_string())
            .fetch_one(self.pool())
            .await
            .map_err(map_err)?;
        Ok(n as u64)
    }

    async fn preferences(&self, user_id: Uuid) -> StoreResult<Option<Preferences>> {
        self.doc_by_id("SELECT doc FROM notification_preferences WHERE user_id = ?", user_id).await
    }

    async fn set_preferences(&self, user_id: Uuid, preferences: &Preferences) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO notification_preferences (user_id, doc) VALUES (?, ?)
             ON CONFLICT (user_id) DO UPDATE SET doc = excluded.doc",
        )
        .bind(user_id.to_string())
        .bind(encode(preferences)?)
        .execute(self.pool())
        .await
        .map(drop)
        .map_err(map_err)
    }
}

#[async_trait]
impl ReportStore for SqliteStore {
    async fn put(&self, r: &Report) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO monitoring_reports (id, user_id, at, doc) VALUES (?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
        )
        .bind(r.id.to_string())
        .bind(r.user_id.to_string())
        .bind(ms(r.at))
        .bind(encode(r)?)
        .execute(self.pool())
        .await
        .map(drop)
        .map_err(map_err)
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<Report>> {
        self.doc_by_id("SELECT doc FROM monitoring_reports WHERE id = ?", id).await
    }

    async fn list(&self, user_id: Option<Uuid>, before: Option<Cursor>, n: usize) -> StoreResult<Vec<Report>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM monitoring_reports WHERE (? IS NULL OR user_id = ?) AND (? IS NULL OR at < ? OR (at = ? AND id < ?))
             ORDER BY at DESC, id DESC LIMIT ?",
        )
        .bind(user_id.map(|u| u.to_string()))
        .bind(user_id.map(|u| u.to_string()))
        .bind(before.map(|c| ms(c.at)))
        .bind(before.map(|c| ms(c.at)))
        .bind(before.map(|c| ms(c.at)))
        .bind(before.and_then(|c| c.id).map(|id| id.to_string()))
        .bind(limit(n))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }
}
