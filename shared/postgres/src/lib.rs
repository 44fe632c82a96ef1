//! PostgreSQL for users and sessions (the requirements' `users` and
//! `user_sessions`) and each home's alarm ([`alarm`]), through sqlx with plain queries and embedded
//! migrations. The pool connects lazily and reconnects on its own, so a
//! database that is down at start-up or restarts later costs requests
//! `SERVICE_UNAVAILABLE`, not the process.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use homeguard_domain::{Role, User};
use homeguard_ports::error::StoreResult;
use std::sync::Arc;

use homeguard_ports::{Breaker, NewUser, Session, SessionStore, StoreError, UserStore};
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use uuid::Uuid;

pub mod alarm;
pub mod readings;

pub use readings::{Mode, PgReadingStore};

/// Users and sessions on one PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    breaker: Arc<Breaker>,
}

pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_owned()),
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::Conflict(db.message().to_owned()),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

/// PostgreSQL keeps microseconds; the ports promise milliseconds.
pub(crate) fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(3)
}

impl PgStore {
    /// A lazily connecting pool on `url`; nothing is contacted yet.
    pub fn connect_lazy(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy(url)
            .map_err(|e| StoreError::Backend(format!("PostgreSQL URL: {e}")))?;
        Ok(Self { pool, breaker: Arc::new(Breaker::new("postgresql")) })
    }

    /// Connects (retrying with backoff) and migrates the users and sessions schema.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let pool = connect(url).await?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrating PostgreSQL: {e}")))?;
        Ok(Self { pool, breaker: Arc::new(Breaker::new("postgresql")) })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn is_transient(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::PoolTimedOut | sqlx::Error::Io(_))
}

/// A pool on `url` that answered, after at most five attempts backing off
/// 1, 2, 4, 8 s; each store then sets up only its own schema.
pub(crate) async fn connect(url: &str) -> StoreResult<PgPool> {
    let pool = PgStore::connect_lazy(url)?.pool;
    let mut wait = Duration::from_secs(1);
    for attempt in 1.. {
        match sqlx::query("SELECT 1").execute(&pool).await {
            Ok(_) => return Ok(pool),
            Err(e) if attempt < 5 && is_transient(&e) => {
                tracing::warn!(attempt, error = %e, "PostgreSQL is not reachable yet; retrying");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => return Err(map_err(e)),
        }
    }
    unreachable!("the loop returns")
}

fn user_from_row(row: &PgRow) -> StoreResult<User> {
    let role: String = row.get("role");
    Ok(User {
        id: row.get("id"),
        email: row.get("email"),
        name: row.get("name"),
        role: Role::parse(&role).map_err(|e| StoreError::Corrupt(e.message))?,
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    })
}

#[async_trait]
impl UserStore for PgStore {
    async fn create(&self, user: NewUser) -> StoreResult<User> {
        self.breaker
            .call(async {
                let row = sqlx::query(
                    "INSERT INTO users (id, email, password_hash, name, role, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *",
                )
                .bind(user.id)
                .bind(&user.email)
                .bind(&user.password_hash)
                .bind(&user.name)
                .bind(user.role.as_str())
                .bind(ms(user.now))
                .fetch_one(&self.pool)
                .await
                .map_err(map_err)?;
                user_from_row(&row)
            })
            .await
    }

    async fn find_by_email(&self, email: &str) -> StoreResult<Option<(User, String)>> {
        self.breaker
            .call(async {
                let row = sqlx::query("SELECT * FROM users WHERE email = $1")
                    .bind(email)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.map(|r| Ok((user_from_row(&r)?, r.get("password_hash")))).transpose()
            })
            .await
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<User>> {
        self.breaker
            .call(async {
                let row = sqlx::query("SELECT * FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.as_ref().map(user_from_row).transpose()
            })
            .await
    }

    async fn list(&self) -> StoreResult<Vec<User>> {
        self.breaker
            .call(async {
                let rows = sqlx::query("SELECT * FROM users ORDER BY created_at, id")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(user_from_row).collect()
            })
            .await
    }

    async fn health(&self) -> StoreResult<()> {
        self.breaker.call(async { sqlx::query("SELECT 1").execute(&self.pool).await.map(drop).map_err(map_err) }).await
    }
}

fn session_from_row(row: &PgRow) -> Session {
    Session {
        id: row.get("id"),
        user_id: row.get("user_id"),
        token_hash: row.get("token_hash"),
        expires_at: row.get("expires_at"),
        created_at: row.get("created_at"),
        revoked_at: row.get("revoked_at"),
        name: row.get("name"),
    }
}

#[async_trait]
impl SessionStore for PgStore {
    async fn create(&self, s: Session) -> StoreResult<()> {
        self.breaker
            .call(async {
                sqlx::query(
                    "INSERT INTO user_sessions (id, user_id, token_hash, expires_at, created_at, revoked_at, name)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(s.id)
                .bind(s.user_id)
                .bind(&s.token_hash)
                .bind(ms(s.expires_at))
                .bind(ms(s.created_at))
                .bind(s.revoked_at.map(ms))
                .bind(&s.name)
                .execute(&self.pool)
                .await
                .map(drop)
                .map_err(map_err)
            })
            .await
    }

    async fn get(&self, id: Uuid) -> StoreResult<Option<Session>> {
        self.breaker
            .call(async {
                let row = sqlx::query("SELECT * FROM user_sessions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(row.as_ref().map(session_from_row))
            })
            .await
    }

    async fn revoke(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        self.breaker
            .call(async {
                let done = sqlx::query("UPDATE user_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                    .bind(ms(at))
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(done.rows_affected() == 1)
            })
            .await
    }

    async fn tokens(&self, user_id: Uuid, now: DateTime<Utc>) -> StoreResult<Vec<Session>> {
        self.breaker
            .call(async {
                let rows = sqlx::query(
                    "SELECT * FROM user_sessions WHERE user_id = $1 AND name IS NOT NULL AND revoked_at IS NULL
                     AND expires_at > $2 ORDER BY created_at DESC, id",
                )
                .bind(user_id)
                .bind(ms(now))
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                Ok(rows.iter().map(session_from_row).collect())
            })
            .await
    }

    async fn delete_expired(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.breaker
            .call(async {
                let done = sqlx::query("DELETE FROM user_sessions WHERE expires_at < $1")
                    .bind(ms(before))
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(done.rows_affected())
            })
            .await
    }
}
