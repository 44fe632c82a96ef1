//! A home's settings and household (MongoDB in production, SQLite JSON
//! documents embedded), and its alarm state with the signal log
//! (PostgreSQL in production, SQLite embedded).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::alarm::{AlarmRecord, LogEntry};
use homeguard_domain::home::{Code, Contact, Home, Pet};
use uuid::Uuid;

use crate::error::StoreResult;

/// Homes and their household. Code hashes go in and are looked up, but
/// never come back out.
#[async_trait]
pub trait HomeStore: Send + Sync {
    async fn get(&self, user_id: Uuid) -> StoreResult<Option<Home>>;
    /// Stores the home (replacing it).
    async fn put(&self, home: &Home) -> StoreResult<()>;
    /// The homes whose wellness check is on.
    async fn watched(&self) -> StoreResult<Vec<Home>>;

    /// Stores a code with the keyed hash of its secret; `Conflict` when the
    /// home has a code with this hash already.
    async fn insert_code(&self, code: &Code, hash: &str) -> StoreResult<()>;
    /// One home's codes (members', duress and guests'), oldest first.
    async fn codes(&self, user_id: Uuid) -> StoreResult<Vec<Code>>;
    /// The home's code whose hash is one of `hashes` (the first found).
    async fn find_code(&self, user_id: Uuid, hashes: &[String]) -> StoreResult<Option<Code>>;
    /// Marks a single-use code used, once: false when it was used already
    /// (or is not the home's).
    async fn use_code(&self, user_id: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Deletes one of the home's codes; false when it has no such code.
    async fn delete_code(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool>;

    async fn insert_pet(&self, pet: &Pet) -> StoreResult<()>;
    async fn pets(&self, user_id: Uuid) -> StoreResult<Vec<Pet>>;
    async fn delete_pet(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool>;

    async fn insert_contact(&self, contact: &Contact) -> StoreResult<()>;
    /// The home's emergency contacts, by priority then age.
    async fn contacts(&self, user_id: Uuid) -> StoreResult<Vec<Contact>>;
    async fn delete_contact(&self, user_id: Uuid, id: Uuid) -> StoreResult<bool>;
}

/// Which part of a home's log to read, newest first.
#[derive(Debug, Clone)]
pub struct LogQuery {
    pub user_id: Uuid,
    /// Entries strictly after this place (newest first).
    pub before: Option<homeguard_domain::page::Cursor>,
    pub limit: usize,
    /// Include what only monitoring and admins see (duress).
    pub monitoring: bool,
}

/// The alarm of each home and its log.
#[async_trait]
pub trait AlarmStore: Send + Sync {
    async fn load(&self, user_id: Uuid) -> StoreResult<Option<AlarmRecord>>;
    /// Saves `record` and appends `entries`, in one transaction, if the
    /// stored record still has the version `record.version - 1` (none when
    /// the version is 1): false, with nothing written, when another save
    /// came first.
    async fn save(&self, record: &AlarmRecord, entries: &[LogEntry]) -> StoreResult<bool>;
    /// The homes whose record is due to be looked at by `now`.
    async fn due(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>>;
    /// The homes whose alarm is not disarmed.
    async fn armed(&self) -> StoreResult<Vec<Uuid>>;
    async fn log(&self, query: &LogQuery) -> StoreResult<Vec<LogEntry>>;
    async fn health(&self) -> StoreResult<()>;
}
