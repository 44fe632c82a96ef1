//! Device state, online flags and user device sets, in memory.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::DeviceState;
use homeguard_ports::StateStore;
use homeguard_ports::error::StoreResult;
use tokio::time::Instant;
use uuid::Uuid;

/// What Redis holds in production. Online flags expire on the monotonic
/// clock, as Redis TTLs do, so a simulated clock in a demo never marks
/// devices offline.
#[derive(Debug, Default)]
pub struct MemoryState {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    states: HashMap<Uuid, DeviceState>,
    online: HashMap<Uuid, (DateTime<Utc>, Instant)>,
    user_devices: HashMap<Uuid, HashSet<Uuid>>,
}

impl MemoryState {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain maps behind, still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl StateStore for MemoryState {
    async fn get(&self, device_id: Uuid) -> StoreResult<DeviceState> {
        Ok(self.lock().states.get(&device_id).cloned().unwrap_or_default())
    }

    async fn get_many(&self, device_ids: &[Uuid]) -> StoreResult<Vec<DeviceState>> {
        let inner = self.lock();
        Ok(device_ids.iter().map(|id| inner.states.get(id).cloned().unwrap_or_default()).collect())
    }

    async fn merge(&self, device_id: Uuid, fields: &DeviceState) -> StoreResult<DeviceState> {
        let mut inner = self.lock();
        let state = inner.states.entry(device_id).or_default();
        state.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(state.clone())
    }

    async fn merge_missing(&self, device_id: Uuid, fields: &DeviceState) -> StoreResult<DeviceState> {
        let mut inner = self.lock();
        let state = inner.states.entry(device_id).or_default();
        for (k, v) in fields {
            state.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Ok(state.clone())
    }

    async fn remove(&self, device_id: Uuid) -> StoreResult<()> {
        let mut inner = self.lock();
        inner.states.remove(&device_id);
        inner.online.remove(&device_id);
        Ok(())
    }

    async fn mark_online(&self, device_id: Uuid, at: DateTime<Utc>, ttl: Duration) -> StoreResult<()> {
        self.lock().online.insert(device_id, (at, Instant::now() + ttl));
        Ok(())
    }

    async fn last_heartbeats(&self, device_ids: &[Uuid]) -> StoreResult<Vec<Option<DateTime<Utc>>>> {
        let now = Instant::now();
        let inner = self.lock();
        Ok(device_ids
            .iter()
            .map(|id| inner.online.get(id).filter(|(_, expires)| *expires > now).map(|(at, _)| *at))
            .collect())
    }

    async fn add_user_device(&self, user_id: Uuid, device_id: Uuid) -> StoreResult<()> {
        self.lock().user_devices.entry(user_id).or_default().insert(device_id);
        Ok(())
    }

    async fn remove_user_device(&self, user_id: Uuid, device_id: Uuid) -> StoreResult<()> {
        if let Some(set) = self.lock().user_devices.get_mut(&user_id) {
            set.remove(&device_id);
        }
        Ok(())
    }

    async fn user_devices(&self, user_id: Uuid) -> StoreResult<Vec<Uuid>> {
        Ok(self.lock().user_devices.get(&user_id).map(|s| s.iter().copied().collect()).unwrap_or_default())
    }

    async fn health(&self) -> StoreResult<()> {
        Ok(())
    }
}
