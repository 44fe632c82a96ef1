//! Current device state, online flags and each user's device set (Redis in
//! production, in memory embedded).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::DeviceState;
use std::time::Duration;
use uuid::Uuid;

use crate::error::StoreResult;

/// One device's change within a batch: fields to set and, optionally, a
/// heartbeat to record (its time, and how long it keeps the device online).
#[derive(Debug, Clone, PartialEq)]
pub struct StateUpdate {
    pub device_id: Uuid,
    pub fields: DeviceState,
    pub online: Option<(DateTime<Utc>, Duration)>,
}

#[async_trait]
pub trait StateStore: Send + Sync {
    /// The device's state hash (`device:state:{id}`); empty when unknown.
    async fn get(&self, device_id: Uuid) -> StoreResult<DeviceState>;
    /// The states of several devices, in the order asked.
    async fn get_many(&self, device_ids: &[Uuid]) -> StoreResult<Vec<DeviceState>>;
    /// Sets the given fields (HSET); returns the whole state afterwards.
    async fn merge(&self, device_id: Uuid, fields: &DeviceState) -> StoreResult<DeviceState>;
    /// Sets only the fields that are not set yet; returns the whole state afterwards.
    async fn merge_missing(&self, device_id: Uuid, fields: &DeviceState) -> StoreResult<DeviceState>;
    /// Applies a batch of updates (as `merge` then `mark_online` each, in
    /// one round trip where the backend allows); returns each device's whole
    /// state afterwards, in order.
    async fn apply(&self, updates: &[StateUpdate]) -> StoreResult<Vec<DeviceState>> {
        let mut out = Vec::with_capacity(updates.len());
        for u in updates {
            out.push(self.merge(u.device_id, &u.fields).await?);
            if let Some((at, ttl)) = u.online {
                self.mark_online(u.device_id, at, ttl).await?;
            }
        }
        Ok(out)
    }
    /// Forgets a device's state and online flag.
    async fn remove(&self, device_id: Uuid) -> StoreResult<()>;
    /// Records a heartbeat (`device:online:{id}`), which expires after `ttl`.
    async fn mark_online(&self, device_id: Uuid, at: DateTime<Utc>, ttl: Duration) -> StoreResult<()>;
    /// The last heartbeat of each device, or None where it has expired.
    async fn last_heartbeats(&self, device_ids: &[Uuid]) -> StoreResult<Vec<Option<DateTime<Utc>>>>;
    /// Adds a device to its user's set (`user:devices:{user_id}`).
    async fn add_user_device(&self, user_id: Uuid, device_id: Uuid) -> StoreResult<()>;
    /// Removes a device from its user's set.
    async fn remove_user_device(&self, user_id: Uuid, device_id: Uuid) -> StoreResult<()>;
    /// The user's device set.
    async fn user_devices(&self, user_id: Uuid) -> StoreResult<Vec<Uuid>>;
    /// Checks that the backend answers.
    async fn health(&self) -> StoreResult<()>;
}
