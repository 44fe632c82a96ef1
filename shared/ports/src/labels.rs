//! Ground-truth labels of simulated anomalies, written by the simulator and
//! read only by whoever measures detection quality; never by a detector.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::AnomalyLabel;
use uuid::Uuid;

use crate::error::StoreResult;

#[async_trait]
pub trait LabelStore: Send + Sync {
    /// Records one label; recording the same id again replaces it.
    async fn record(&self, label: &AnomalyLabel) -> StoreResult<()>;
    /// Labels whose span overlaps `[from, to)`, of one user or of everyone,
    /// oldest first, at most `limit`.
    async fn labels(
        &self,
        user_id: Option<Uuid>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<AnomalyLabel>>;
}
