//! Numeric sensor readings over time, and their hourly rollups
//! (a TimescaleDB hypertable and continuous aggregate in production,
//! SQLite embedded).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::StoreResult;

/// One measurement of one quantity by one device.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub time: DateTime<Utc>,
    pub device_id: Uuid,
    pub user_id: Uuid,
    /// `temperature`, `humidity`, `battery`, `signal_strength`, ...
    pub reading_type: String,
    pub value: f64,
    pub unit: Option<String>,
}

/// The readings of one device and type within one hour.
#[derive(Debug, Clone, PartialEq)]
pub struct HourlyRollup {
    pub bucket: DateTime<Utc>,
    pub device_id: Uuid,
    pub reading_type: String,
    pub count: u64,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
}

/// Which readings to read: one home, optionally one device and one type,
/// within `[from, to)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadingQuery {
    pub user_id: Uuid,
    pub device_id: Option<Uuid>,
    pub reading_type: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[async_trait]
pub trait ReadingStore: Send + Sync {
    /// Stores readings; one a device already reported for the same type and
    /// time is kept as it was. Returns how many were new.
    async fn append(&self, readings: &[Reading]) -> StoreResult<u64>;
    /// The readings the query selects, oldest first, at most `limit`.
    async fn readings(&self, query: &ReadingQuery, limit: usize) -> StoreResult<Vec<Reading>>;
    /// Hourly count, average, minimum and maximum, oldest bucket first.
    async fn hourly(&self, query: &ReadingQuery) -> StoreResult<Vec<HourlyRollup>>;
    /// Deletes readings older than `before` (the retention policy); returns how many.
    async fn delete_before(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// Checks that the backend answers.
    async fn health(&self) -> StoreResult<()>;
}
