//! Users and their login sessions (PostgreSQL in production, SQLite embedded).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::{Role, User};
use uuid::Uuid;

use crate::error::StoreResult;

/// A user to create; the password arrives already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub now: DateTime<Utc>,
}

/// A login session; the token itself is never stored, only its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// A service token's name (n8n, a script); none for a login.
    pub name: Option<String>,
}

impl Session {
    /// Whether the session may still authenticate requests at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user; `Conflict` when the email or id is taken.
    async fn create(&self, user: NewUser) -> StoreResult<User>;
    /// The user with this (normalized) email, with their password hash.
    async fn find_by_email(&self, email: &str) -> StoreResult<Option<(User, String)>>;
    /// The user with this id.
    async fn get(&self, id: Uuid) -> StoreResult<Option<User>>;
    /// Every user, oldest first.
    async fn list(&self) -> StoreResult<Vec<User>>;
    /// Checks that the backend answers.
    async fn health(&self) -> StoreResult<()>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Records a new session.
    async fn create(&self, session: Session) -> StoreResult<()>;
    /// The session with this id, active or not.
    async fn get(&self, id: Uuid) -> StoreResult<Option<Session>>;
    /// Revokes a session; true when it was active until now.
    async fn revoke(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Deletes sessions that expired before `before`; returns how many.
    /// A user's service tokens that still work at `now`, newest first.
    async fn tokens(&self, user_id: Uuid, now: DateTime<Utc>) -> StoreResult<Vec<Session>>;
    async fn delete_expired(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}
