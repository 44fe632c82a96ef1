//! Notifications: what reaches a person, from a rule, the alarm, the
//! assistant or the platform, and how each channel delivered it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::automation::Severity;

/// Who sent a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Rule,
    Alarm,
    Agent,
    System,
}

/// How one channel delivered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub channel: String,
    /// `delivered`, `held` (quiet hours), `failed`.
    pub status: String,
    pub attempts: u32,
    pub detail: String,
    pub at: DateTime<Utc>,
}

/// One notification to one person. Its id is derived from what caused it,
/// so that a redelivered request stores it once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub title: String,
    pub body: String,
    pub severity: Severity,
    pub source: Source,
    /// The rule, alarm entry or message that caused it.
    pub source_id: Option<Uuid>,
    /// The channels asked for besides the app (`email`, `push`, `webhook`).
    #[serde(default)]
    pub channels: Vec<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub read_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub deliveries: Vec<Delivery>,
}
