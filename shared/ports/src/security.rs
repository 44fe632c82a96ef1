//! The security response's records: its decisions on events, and the
//! incidents it opens and adds to (MongoDB's `security_decisions` and
//! `incidents` in production, SQLite documents embedded).

use async_trait::async_trait;
use homeguard_domain::incident::{Incident, IncidentStatus};
use homeguard_domain::security::{Decision, Outcome};
use uuid::Uuid;

use crate::error::StoreResult;

/// Which decisions to read: newest first, strictly before `before`.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionQuery {
    /// One home's, or every home's.
    pub user_id: Option<Uuid>,
    pub outcome: Option<Outcome>,
    /// Strictly after this place in the listing (newest first).
    pub before: Option<homeguard_domain::page::Cursor>,
    pub limit: usize,
}

/// Which incidents to read: newest opened first, strictly before `before`.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentQuery {
    pub user_id: Option<Uuid>,
    pub status: Option<IncidentStatus>,
    pub before: Option<homeguard_domain::page::Cursor>,
    pub limit: usize,
}

#[async_trait]
pub trait SecurityStore: Send + Sync {
    /// Records decisions, each once (in one write where the store can):
    /// the ids of those that were not there already.
    async fn put_decisions(&self, decisions: &[Decision]) -> StoreResult<Vec<Uuid>>;
    async fn decisions(&self, query: &DecisionQuery) -> StoreResult<Vec<Decision>>;
    /// Saves an incident whole if the stored one is at `incident.version - 1`
    /// (or there is none, for version 1): false when another change came
    /// first (read it again and redo the change).
    async fn save_incident(&self, incident: &Incident) -> StoreResult<bool>;
    async fn incident(&self, id: Uuid) -> StoreResult<Option<Incident>>;
    async fn incidents(&self, query: &IncidentQuery) -> StoreResult<Vec<Incident>>;
    /// The home's incidents still open or acknowledged (not yet resolved), newest first.
    async fn active_incidents(&self, user_id: Uuid) -> StoreResult<Vec<Incident>>;
}
