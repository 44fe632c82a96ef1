//! Homes, their household and their alarm, in the main SQLite database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::alarm::{AlarmRecord, LogEntry};
use homeguard_domain::home::{Code, Contact, Home, Pet};
use homeguard_ports::error::StoreResult;
use homeguard_ports::{AlarmStore, HomeStore, LogQuery};
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite};
use uuid::Uuid;

use crate::SqliteStore;
use crate::sqlite::{decode, encode, map_err, ms};

impl SqliteStore {
    /// The documents of one home in `table`, in the order given.
    async fn home_docs<T: serde::de::DeserializeOwned>(
        &self,
        table: &'static str,
        user: Uuid,
        order: &'static str,
    ) -> StoreResult<Vec<T>> {
        let sql = format!("SELECT doc FROM {table} WHERE user_id = ? ORDER BY {order}");
        let docs: Vec<String> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(user.to_string())
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn delete_home_doc(&self, table: &'static str, user: Uuid, id: Uuid) -> StoreResult<bool> {
        let sql = format!("DELETE FROM {table} WHERE id = ? AND user_id = ?");
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(user.to_string())
            .execute(self.pool())
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}

#[async_trait]
impl HomeStore for SqliteStore {
    async fn get(&self, user_id: Uuid) -> StoreResult<Option<Home>> {
        let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM homes WHERE user_id = ?")
            .bind(user_id.to_string())
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn put(&self, home: &Home) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO homes (user_id, doc) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET doc = excluded.doc",
        )
        .bind(home.user_id.to_string())
        .bind(encode(home)?)
        .execute(self.pool())
        .await
        .map(drop)
        .map_err(map_err)
    }

    async fn watched(&self) -> StoreResult<Vec<Home>> {
        let docs: Vec<String> =
            sqlx::query_scalar("SELECT doc FROM homes WHERE json_extract(doc, '$.wellness.enabled') = 1")
                .fetch_all(self.pool())
                .await
                .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn insert_code(&self, code: &Code, hash: &str) -> StoreResult<()> {
        sqlx::query("INSERT INTO home_codes (id, user_id, hash, doc) VALUES (?, ?, ?, ?)")
            .bind(code.id.to_string())
            .bind(code.user_id.to_string())
            .bind(hash)
            .bind(encode(code)?)
            .execute(self.pool())
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn codes(&self, user_id: Uuid) -> StoreResult<Vec<Code>> {
        self.home_docs("home_codes", user_id, "rowid").await
    }

    async fn find_code(&self, user_id: Uuid, hashes: &[String]) -> StoreResult<Option<Code>> {
        if hashes.is_empty() {
            return Ok(None);
        }
        let mut q = QueryBuilder::<Sqlite>::new("SELECT doc FROM home_codes WHERE user_id = ");
        q.push_bind(user_id.to_string()).push(" AND hash IN (");
        let mut list = q.separated(", ");
        for h in hashes {
            list.push_bind(h);
        }
        q.push(") ORDER BY rowid LIMIT 1");
        let doc: Option<String> = q.build_query_scalar().fetch_optional(self.pool()).await.map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn use_code(&self, user_id: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let stamp = encode(&at)?;
        let done = sqlx::query(
            "UPDATE home_codes SET doc = json_set(doc, '$.guest.used_at', json(?))
             WHERE id = ? AND user_id = ? AND json_extract(doc, '$.guest') IS NOT NULL
               AND json_extract(doc, '$.guest.used_at') IS NULL",
        )
        .bind(stamp)
        .bind(id.to_string())
        .bind(user_id.to_string())
        .execute(self.pool())
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_code(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.delete_home_doc("home_codes", user_id, id).await
    }

    async fn insert_pet(&self, pet: &Pet) -> StoreResult<()> {
        sqlx::query("INSERT INTO home_pets (id, user_id, doc) VALUES (?, ?, ?)")
            .bind(pet.id.to_string())
            .bind(pet.user_id.to_string())
            .bind(encode(pet)?)
            .execute(self.pool())
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn pets(&self, user_id: Uuid) -> StoreResult<Vec<Pet>> {
        self.home_docs("home_pets", user_id, "rowid").await
    }

    async fn delete_pet(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.delete_home_doc("home_pets", user_id, id).await
    }

    async fn insert_contact(&self, contact: &Contact) -> StoreResult<()> {
        sqlx::query("INSERT INTO home_contacts (id, user_id, priority, doc) VALUES (?, ?, ?, ?)")
            .bind(contact.id.to_string())
            .bind(contact.user_id.to_string())
            .bind(i64::from(contact.priority))
            .bind(encode(contact)?)
            .execute(self.pool())
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn contacts(&self, user_id: Uuid) -> StoreResult<Vec<Contact>> {
        self.home_docs("home_contacts", user_id, "priority, rowid").await
    }

    async fn delete_contact(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool> {
        self.delete_home_doc("home_contacts", user_id, id).await
    }
}

#[async_trait]
impl AlarmStore for SqliteStore {
    async fn load(&self, user_id: Uuid) -> StoreResult<Option<AlarmRecord>> {
        let doc: Option<String> = sqlx::query_scalar("SELECT record FROM alarm_state WHERE user_id = ?")
            .bind(user_id.to_string())
            .fetch_optional(self.pool())
            .await
            .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn save(&self, record: &AlarmRecord, entries: &[LogEntry]) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await.map_err(map_err)?;
        let (user, doc, due) = (record.user_id.to_string(), encode(record)?, record.next_due().map(ms));
        let done = if record.version == 1 {
            sqlx::query(
                "INSERT INTO alarm_state (user_id, version, next_due, armed, record) VALUES (?, 1, ?, ?, ?)
                 ON CONFLICT (user_id) DO NOTHING",
            )
            .bind(&user)
            .bind(due)
            .bind(record.is_armed())
            .bind(&doc)
            .execute(&mut *tx)
            .await
        } else {
            sqlx::query(
                "UPDATE alarm_state SET version = ?, next_due = ?, armed = ?, record = ? WHERE user_id = ? AND version = ?",
            )
            .bind(record.version)
            .bind(due)
            .bind(record.is_armed())
            .bind(&doc)
            .bind(&user)
            .bind(record.version - 1)
            .execute(&mut *tx)
            .await
        }
        .map_err(map_err)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        for e in entries {
            sqlx::query("INSERT INTO alarm_log (id, user_id, at, monitoring_only, entry) VALUES (?, ?, ?, ?, ?)")
                .bind(e.id.to_string())
                .bind(&user)
                .bind(ms(e.at))
                .bind(e.monitoring_only)
                .bind(encode(e)?)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(true)
    }

    async fn due(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT user_id FROM alarm_state WHERE next_due <= ?")
            .bind(ms(now))
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?;
        ids.iter().map(|s| crate::sqlite::uuid(s)).collect()
    }

    async fn armed(&self) -> StoreResult<Vec<Uuid>> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT user_id FROM alarm_state WHERE armed")
            .fetch_all(self.pool())
            .await
            .map_err(map_err)?;
        ids.iter().map(|s| crate::sqlite::uuid(s)).collect()
    }

    async fn log(&self, query: &LogQuery) -> StoreResult<Vec<LogEntry>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT entry FROM alarm_log WHERE user_id = ? AND (? IS NULL OR at < ? OR (at = ? AND id < ?)) AND (? OR NOT monitoring_only)
             ORDER BY at DESC, id DESC LIMIT ?",
        )
        .bind(query.user_id.to_string())
        .bind(query.before.map(|c| ms(c.at)))
        .bind(query.before.map(|c| ms(c.at)))
        .bind(query.before.map(|c| ms(c.at)))
        .bind(query.before.and_then(|c| c.id).map(|id| id.to_string()))
        .bind(query.monitoring)
        .bind(i64::try_from(query.limit).unwrap_or(i64::MAX))
        .fetch_all(self.pool())
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn health(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(self.pool()).await.map(drop).map_err(map_err)
    }
}
