//! Device documents and automation rules (MongoDB in production, SQLite
//! JSON documents embedded).

use async_trait::async_trait;
use homeguard_domain::{Automation, Device};
use uuid::Uuid;

use crate::error::StoreResult;

#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a new device; `Conflict` when the id is taken.
    async fn insert(&self, device: &Device) -> StoreResult<()>;
    /// The device with this id, whoever owns it.
    async fn get(&self, id: Uuid) -> StoreResult<Option<Device>>;
    /// One user's devices, in registration order.
    async fn list_for_user(&self, user_id: Uuid) -> StoreResult<Vec<Device>>;
    /// Every device of every home, in registration order.
    async fn list_all(&self) -> StoreResult<Vec<Device>>;
    /// Replaces a device document; false when there is no such device.
    async fn update(&self, device: &Device) -> StoreResult<bool>;
    /// Deletes a device; false when there was no such device.
    async fn delete(&self, id: Uuid) -> StoreResult<bool>;
    /// Sets the hash of the device's ingest key (replacing any earlier one);
    /// false when there is no such device.
    async fn set_key_hash(&self, id: Uuid, key_hash: &str) -> StoreResult<bool>;
    /// The device whose ingest key has this hash.
    async fn find_by_key_hash(&self, key_hash: &str) -> StoreResult<Option<Device>>;
    /// Checks that the backend answers.
    async fn health(&self) -> StoreResult<()>;
}

#[async_trait]
pub trait AutomationStore: Send + Sync {
    /// Stores a new automation; `Conflict` when the id is taken.
    async fn insert(&self, automation: &Automation) -> StoreResult<()>;
    /// The automation with this id.
    async fn get(&self, id: Uuid) -> StoreResult<Option<Automation>>;
    /// One user's automations, oldest first.
    async fn list_for_user(&self, user_id: Uuid) -> StoreResult<Vec<Automation>>;
    /// Replaces an automation; false when there is no such automation.
    async fn update(&self, automation: &Automation) -> StoreResult<bool>;
    /// Deletes an automation; false when there was none.
    async fn delete(&self, id: Uuid) -> StoreResult<bool>;
}
