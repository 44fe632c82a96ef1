//! Each rule's firings and the notifications (MongoDB in production,
//! SQLite JSON documents embedded).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::automation::AutomationRun;
use homeguard_domain::notification::{Delivery, Notification, Preferences};
use homeguard_domain::page::Cursor;
use uuid::Uuid;

use crate::error::StoreResult;

#[async_trait]
pub trait RunStore: Send + Sync {
    /// Records a firing if none has its id yet: false when it was claimed
    /// before (the input was delivered again).
    async fn claim(&self, run: &AutomationRun) -> StoreResult<bool>;
    /// Replaces a claimed firing with its outcome.
    async fn finish(&self, run: &AutomationRun) -> StoreResult<()>;
    async fn get(&self, run_id: Uuid) -> StoreResult<Option<AutomationRun>>;
    /// Waiting firings whose `resume_at` has come, the longest waiting first.
    async fn due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<AutomationRun>>;
    /// Forgets a run (a watch whose state did not last).
    async fn discard(&self, run_id: Uuid) -> StoreResult<()>;
    /// One rule's firings, newest first, strictly after the place `before` names.
    async fn runs(&self, automation_id: Uuid, before: Option<Cursor>, limit: usize) -> StoreResult<Vec<AutomationRun>>;
    /// When the rule last ran its actions (a cooldown's hold does not count).
    async fn last_fired(&self, automation_id: Uuid) -> StoreResult<Option<DateTime<Utc>>>;
}

#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Stores a notification once: false when one has its id already.
    async fn insert(&self, n: &Notification) -> StoreResult<bool>;
    async fn get(&self, id: Uuid) -> StoreResult<Option<Notification>>;
    /// Records how its channels delivered it and when a delivery is next
    /// due (its read mark is left as it is).
    async fn set_deliveries(
        &self,
        id: Uuid,
        deliveries: &[Delivery],
        next_delivery_at: Option<DateTime<Utc>>,
    ) -> StoreResult<()>;
    /// Notifications with a delivery due at `now`, the longest waiting first.
    async fn due(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<Notification>>;
    /// One person's notifications, newest first, strictly after the place `before` names.
    async fn list(
        &self,
        user_id: Uuid,
        unread_only: bool,
        before: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<Notification>>;
    /// Marks one read; false when it is not theirs (or does not exist).
    async fn mark_read(&self, user_id: Uuid, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    async fn unread(&self, user_id: Uuid) -> StoreResult<u64>;
    /// How a person wants to be reached (none: never set).
    async fn preferences(&self, user_id: Uuid) -> StoreResult<Option<Preferences>>;
    async fn set_preferences(&self, user_id: Uuid, preferences: &Preferences) -> StoreResult<()>;
}

/// What was reported to monitoring (the central station, or the
/// platform's own log when there is none).
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Records a report, replacing an earlier attempt at the same signal.
    async fn put(&self, report: &homeguard_domain::dc09::Report) -> StoreResult<()>;
    async fn get(&self, id: Uuid) -> StoreResult<Option<homeguard_domain::dc09::Report>>;
    /// Newest first, strictly after the place `before` names; one home's or all.
    async fn list(
        &self,
        user_id: Option<Uuid>,
        before: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<homeguard_domain::dc09::Report>>;
}
