//! SQLite through sqlx: users, sessions, devices and automations.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use homeguard_domain::agent::{ChatMessage, Conversation};
use homeguard_domain::{AnomalyLabel, Automation, Device, Role, User};
use homeguard_ports::error::StoreResult;
use homeguard_ports::{
    AgentMemory, AutomationStore, DeviceStore, LabelStore, NewUser, Session, SessionStore, StoreError, UserStore,
};
use serde_json::{Map, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
// Dynamic SQL below only ever interpolates the static table and column names of `Docs`.
use sqlx::{AssertSqlSafe, Row, SqlitePool};
use uuid::Uuid;

/// Every durable embedded store, in one SQLite database file.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_owned()),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(e.to_string())
        }
        // SQLITE_BUSY / SQLITE_LOCKED: another writer held the lock past the busy timeout.
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("5" | "6" | "517")) => {
            StoreError::Unavailable(db.message().to_owned())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(doc: &str) -> StoreResult<T> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(e.to_string()))
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        Ok(Self { pool: open_migrated(path, sqlx::migrate!("./migrations/main")).await? })
    }

    /// The connection pool, for other embedded stores sharing this database.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(drop).map_err(map_err)
    }
}

/// A pool on one SQLite file in WAL mode, created if missing.
async fn open_pool(path: &Path, connections: u32) -> StoreResult<SqlitePool> {
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(map_err)?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // In WAL mode NORMAL loses nothing on a process crash; only an OS
        // crash or power cut can roll back the last transactions.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    SqlitePoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(map_err)
}

/// A pool on one SQLite file, migrated to the latest schema.
pub(crate) async fn open_migrated(path: &Path, migrator: sqlx::migrate::Migrator) -> StoreResult<SqlitePool> {
    let pool = open_pool(path, 4).await?;
    migrator.run(&pool).await.map_err(|e| StoreError::Backend(format!("migrating {}: {e}", path.display())))?;
    Ok(pool)
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> StoreResult<DateTime<Utc>> {
    Utc.timestamp_millis_opt(v).single().ok_or_else(|| StoreError::Corrupt(format!("timestamp {v}")))
}

pub(crate) fn uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Corrupt(format!("uuid {s:?}: {e}")))
}

fn user_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<User> {
    let role: String = row.get("role");
    Ok(User {
        id: uuid(row.get("id"))?,
        email: row.get("email"),
        name: row.get("name"),
        role: Role::parse(&role).map_err(|e| StoreError::Corrupt(e.message))?,
        created_at: from_ms(row.get("created_at"))?,
        updated_at: from_ms(row.get("updated_at"))?,
    })
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create(&self, user: NewUser) -> StoreResult<User> {
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, name, role, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user.id.to_string())
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(ms(user.now))
        .bind(ms(user.now))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(User {
            id: user.id,
            email: user.email,
            name: user.name,
            role: user.role,
            created_at: from_ms(ms(user.now))?,
            updated_at: from_ms(ms(user.now))?,
        })
    }

    async fn find_by_email(&self, email: &str) -> StoreResult<Option<(User, String)>> {
        let row = sqlx::query("SELECT * FROM users WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| Ok((user_from_row(&r)?, r.get("password_hash")))).transpose()
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT * FROM users WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY created_at, rowid")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter().map(user_from_row).collect()
    }

    async fn health(&self) -> StoreResult<()> {
        self.ping().await
    }
}

fn session_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<Session> {
    Ok(Session {
        id: uuid(row.get("id"))?,
        user_id: uuid(row.get("user_id"))?,
        token_hash: row.get("token_hash"),
        expires_at: from_ms(row.get("expires_at"))?,
        created_at: from_ms(row.get("created_at"))?,
        revoked_at: row.get::<Option<i64>, _>("revoked_at").map(from_ms).transpose()?,
        name: row.get("name"),
    })
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create(&self, s: Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO user_sessions (id, user_id, token_hash, expires_at, created_at, revoked_at, name)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(s.id.to_string())
        .bind(s.user_id.to_string())
        .bind(&s.token_hash)
        .bind(ms(s.expires_at))
        .bind(ms(s.created_at))
        .bind(s.revoked_at.map(ms))
        .bind(&s.name)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(map_err)
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<Session>> {
        let row = sqlx::query("SELECT * FROM user_sessions WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn revoke(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE user_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(ms(at))
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn tokens(&self, user_id: Uuid, now: DateTime<Utc>) -> StoreResult<Vec<Session>> {
        let rows = sqlx::query(
            "SELECT * FROM user_sessions WHERE user_id = ? AND name IS NOT NULL AND revoked_at IS NULL
             AND expires_at > ? ORDER BY created_at DESC, id",
        )
        .bind(user_id.to_string())
        .bind(ms(now))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter().map(session_from_row).collect()
    }

    async fn delete_expired(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM user_sessions WHERE expires_at < ?")
            .bind(ms(before))
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected())
    }
}

/// A JSON document table: `(id, user_id, doc)`, in insertion order.
struct Docs<'a> {
    pool: &'a SqlitePool,
    table: &'static str,
    id_col: &'static str,
}

impl Docs<'_> {
    async fn insert<T: serde::Serialize>(&self, id: Uuid, user: Uuid, doc: &T) -> StoreResult<()> {
        let sql = format!("INSERT INTO {} ({}, user_id, doc) VALUES (?, ?, ?)", self.table, self.id_col);
        sqlx::query(AssertSqlSafe(sql))
            .bind(id.to_string())
            .bind(user.to_string())
            .bind(encode(doc)?)
            .execute(self.pool)
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, id: Uuid) -> StoreResult<Option<T>> {
        let sql = format!("SELECT doc FROM {} WHERE {} = ?", self.table, self.id_col);
        let doc: Option<String> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(id.to_string())
            .fetch_optional(self.pool)
            .await
            .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn list<T: serde::de::DeserializeOwned>(&self, user: Option<Uuid>) -> StoreResult<Vec<T>> {
        let docs: Vec<String> = match user {
            Some(u) => {
                let sql = format!("SELECT doc FROM {} WHERE user_id = ? ORDER BY rowid", self.table);
                sqlx::query_scalar(AssertSqlSafe(sql)).bind(u.to_string()).fetch_all(self.pool).await
            }
            None => {
                let sql = format!("SELECT doc FROM {} ORDER BY rowid", self.table);
                sqlx::query_scalar(AssertSqlSafe(sql)).fetch_all(self.pool).await
            }
        }
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }

    async fn replace<T: serde::Serialize>(&self, id: Uuid, user: Uuid, doc: &T) -> StoreResult<bool> {
        let sql = format!("UPDATE {} SET user_id = ?, doc = ? WHERE {} = ?", self.table, self.id_col);
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(user.to_string())
            .bind(encode(doc)?)
            .bind(id.to_string())
            .execute(self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete(&self, id: Uuid) -> StoreResult<bool> {
        let sql = format!("DELETE FROM {} WHERE {} = ?", self.table, self.id_col);
        let done = sqlx::query(AssertSqlSafe(sql)).bind(id.to_string()).execute(self.pool).await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}

impl SqliteStore {
    fn devices(&self) -> Docs<'_> {
        Docs { pool: &self.pool, table: "devices", id_col: "device_id" }
    }

    fn automations(&self) -> Docs<'_> {
        Docs { pool: &self.pool, table: "automations", id_col: "automation_id" }
    }
}

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn insert(&self, d: &Device) -> StoreResult<()> {
        self.devices().insert(d.device_id, d.user_id, d).await
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<Device>> {
        self.devices().get(id).await
    }

    async fn list_for_user(&self, user_id: Uuid) -> StoreResult<Vec<Device>> {
        self.devices().list(Some(user_id)).await
    }

    async fn list_all(&self) -> StoreResult<Vec<Device>> {
        self.devices().list(None).await
    }

    async fn update(&self, d: &Device) -> StoreResult<bool> {
        self.devices().replace(d.device_id, d.user_id, d).await
    }

    async fn delete(&self, id: Uuid) -> StoreResult<bool> {
        self.devices().delete(id).await
    }

    async fn set_key_hash(&self, id: Uuid, key_hash: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE devices SET key_hash = ? WHERE device_id = ?")
            .bind(key_hash)
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn find_by_key_hash(&self, key_hash: &str) -> StoreResult<Option<Device>> {
        let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM devices WHERE key_hash = ?")
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        doc.as_deref().map(decode).transpose()
    }

    async fn health(&self) -> StoreResult<()> {
        self.ping().await
    }
}

#[async_trait]
impl AutomationStore for SqliteStore {
    async fn insert(&self, a: &Automation) -> StoreResult<()> {
        self.automations().insert(a.automation_id, a.user_id, a).await
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<Automation>> {
        self.automations().get(id).await
    }

    async fn list_for_user(&self, user_id: Uuid) -> StoreResult<Vec<Automation>> {
        self.automations().list(Some(user_id)).await
    }

    async fn update(&self, a: &Automation) -> StoreResult<bool> {
        self.automations().replace(a.automation_id, a.user_id, a).await
    }

    async fn delete(&self, id: Uuid) -> StoreResult<bool> {
        self.automations().delete(id).await
    }
}

// The assistant's memory. Merges use SQLite's `json_patch` (RFC 7396: a
// null removes a key), in one statement, so concurrent merges never race.
#[async_trait]
impl AgentMemory for SqliteStore {
    async fn append(&self, user_id: Uuid, session_id: Uuid, message: &ChatMessage) -> StoreResult<()> {
        let now = ms(message.timestamp);
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(
            "INSERT INTO agent_conversations (user_id, session_id, context, created_at, updated_at)
             VALUES (?, ?, '{}', ?, ?)
             ON CONFLICT (user_id, session_id) DO UPDATE SET updated_at = MAX(updated_at, excluded.updated_at)",
        )
        .bind(user_id.to_string())
        .bind(session_id.to_string())
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query("INSERT INTO agent_messages (user_id, session_id, message) VALUES (?, ?, ?)")
            .bind(user_id.to_string())
            .bind(session_id.to_string())
            .bind(encode(message)?)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    async fn conversation(&self, user_id: Uuid, session_id: Uuid) -> StoreResult<Option<Conversation>> {
        let (u, s) = (user_id.to_string(), session_id.to_string());
        let Some(row) = sqlx::query("SELECT * FROM agent_conversations WHERE user_id = ? AND session_id = ?")
            .bind(&u)
            .bind(&s)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
        else {
            return Ok(None);
        };
        let messages: Vec<String> =
            sqlx::query_scalar("SELECT message FROM agent_messages WHERE user_id = ? AND session_id = ? ORDER BY seq")
                .bind(&u)
                .bind(&s)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        Ok(Some(Conversation {
            user_id,
            session_id,
            messages: messages.iter().map(|m| decode(m)).collect::<StoreResult<_>>()?,
            context: decode(row.get("context"))?,
            created_at: from_ms(row.get("created_at"))?,
            updated_at: from_ms(row.get("updated_at"))?,
        }))
    }

    async fn history(&self, user_id: Uuid, limit: usize) -> StoreResult<Vec<ChatMessage>> {
        let mut messages: Vec<String> =
            sqlx::query_scalar("SELECT message FROM agent_messages WHERE user_id = ? ORDER BY seq DESC LIMIT ?")
                .bind(user_id.to_string())
                .bind(limit as i64)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        messages.reverse();
        messages.iter().map(|m| decode(m)).collect()
    }

    async fn merge_context(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        context: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let patch = encode(context)?;
        sqlx::query(
            "INSERT INTO agent_conversations (user_id, session_id, context, created_at, updated_at)
             VALUES (?, ?, json_patch('{}', ?), ?, ?)
             ON CONFLICT (user_id, session_id) DO UPDATE
             SET context = json_patch(context, ?), updated_at = excluded.updated_at",
        )
        .bind(user_id.to_string())
        .bind(session_id.to_string())
        .bind(&patch)
        .bind(ms(now))
        .bind(ms(now))
        .bind(&patch)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(map_err)
    }

    async fn learnings(&self, user_id: Uuid) -> StoreResult<Map<String, Value>> {
        let doc: Option<String> = sqlx::query_scalar("SELECT learnings FROM agent_learnings WHERE user_id = ?")
            .bind(user_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        doc.as_deref().map(decode).transpose().map(Option::unwrap_or_default)
    }

    async fn merge_learnings(
        &self,
        user_id: Uuid,
        learnings: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let patch = encode(learnings)?;
        sqlx::query(
            "INSERT INTO agent_learnings (user_id, learnings, updated_at) VALUES (?, json_patch('{}', ?), ?)
             ON CONFLICT (user_id) DO UPDATE SET learnings = json_patch(learnings, ?), updated_at = excluded.updated_at",
        )
        .bind(user_id.to_string())
        .bind(&patch)
        .bind(ms(now))
        .bind(&patch)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(map_err)
    }
}

#[async_trait]
impl LabelStore for SqliteStore {
    async fn record(&self, label: &AnomalyLabel) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO anomaly_labels (id, user_id, started_at, ended_at, label) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, ended_at = excluded.ended_at,
             label = excluded.label",
        )
        .bind(label.id.to_string())
        .bind(label.user_id.to_string())
        .bind(ms(label.started_at))
        .bind(ms(label.ended_at))
        .bind(encode(label)?)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(map_err)
    }

    async fn labels(
        &self,
        user_id: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<AnomalyLabel>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT label FROM anomaly_labels
             WHERE (?1 IS NULL OR user_id = ?1) AND started_at < ?3 AND ended_at >= ?2
             ORDER BY started_at, id LIMIT ?4",
        )
        .bind(user_id.map(|u| u.to_string()))
        .bind(ms(from))
        .bind(ms(to))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        docs.iter().map(|d| decode(d)).collect()
    }
}
