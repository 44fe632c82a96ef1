//! The device registry's use cases that others share: a device as the API
//! shows it, listing and reading them (the API and the AI tools), and
//! registering one (the app, the simulator's extra devices, a scenario's
//! missing roles).

use chrono::{DateTime, Utc};
use homeguard_domain::{Device, DeviceDraft, DeviceState, DomainError, ErrorCode};
use homeguard_runtime::ports::{HasDevices, HasState, HasUsers, Holds};
use homeguard_runtime::{Caller, FnError, auth};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access;

/// How many devices one home may register.
pub const MAX_DEVICES_PER_HOME: usize = 200;

/// A device as the API shows it: its document, its current state, and
/// whether it has sent a heartbeat recently.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceView {
    #[serde(flatten)]
    pub device: Device,
    pub state: DeviceState,
    pub online: bool,
    pub last_heartbeat: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct DeviceList {
    pub devices: Vec<DeviceView>,
    pub count: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// One home's devices; other users than the caller need an admin.
    pub user_id: Option<Uuid>,
    /// Only devices of this type.
    #[serde(rename = "type")]
    pub device_type: Option<String>,
}

/// The caller's devices; for an admin every home's, or one home's with `user_id`.
pub async fn list(ctx: &(impl HasDevices + HasState), caller: &Caller, q: ListQuery) -> Result<DeviceList, FnError> {
    let type_filter = q.device_type.as_deref().map(homeguard_domain::DeviceType::parse).transpose()?;
    let devices = match q.user_id {
        Some(user) if !caller.can_access(user) => {
            return Err(FnError::forbidden("Only an admin may list another home's devices"));
        }
        Some(user) => ctx.devices().list_for_user(user).await?,
        None if caller.is_admin() => ctx.devices().list_all().await?,
        None => ctx.devices().list_for_user(caller.user_id).await?,
    };
    let devices: Vec<_> = devices.into_iter().filter(|d| type_filter.is_none_or(|t| d.device_type == t)).collect();
    let devices = views(ctx, devices).await?;
    Ok(DeviceList { count: devices.len(), devices })
}

/// One device the caller may see, with its state (another home's: not found).
pub async fn get_one(ctx: &(impl HasDevices + HasState), caller: &Caller, id: Uuid) -> Result<DeviceView, FnError> {
    let device = access::device(ctx, caller, id).await?;
    Ok(views(ctx, vec![device]).await?.remove(0))
}

/// The devices with their current state and online flags, in two reads.
pub async fn views(ctx: &impl HasState, devices: Vec<Device>) -> Result<Vec<DeviceView>, FnError> {
    let ids: Vec<Uuid> = devices.iter().map(|d| d.device_id).collect();
    let states = ctx.state().get_many(&ids).await?;
    let beats = ctx.state().last_heartbeats(&ids).await?;
    Ok(devices
        .into_iter()
        .zip(states.into_iter().zip(beats))
        .map(|(device, (state, beat))| DeviceView { device, state, online: beat.is_some(), last_heartbeat: beat })
        .collect())
}

/// A newly registered device, with the key it posts events with. The key is
/// shown this once; only its hash is kept.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedDevice {
    #[serde(flatten)]
    pub view: DeviceView,
    pub device_key: String,
}

/// A fresh ingest key: 244 random bits from the OS generator, behind a
/// prefix that makes a leaked key easy to recognise.
pub fn new_key() -> String {
    format!("hgk_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// Registers a device in the caller's home (an admin may name another home).
pub async fn create(
    ctx: &(impl HasDevices + HasUsers + HasState + Holds),
    caller: &Caller,
    draft: DeviceDraft,
) -> Result<CreatedDevice, FnError> {
    let owner = match draft.user_id {
        Some(u) if u != caller.user_id => {
            caller.require_admin()?;
            if ctx.users().get(u).await?.is_none() {
                return Err(DomainError::new(ErrorCode::UserNotFound, format!("User with ID {u} not found")).into());
            }
            u
        }
        _ => caller.user_id,
    };
    let device = draft.into_device(Uuid::new_v4(), owner, ctx.clock().now())?;
    if ctx.devices().list_for_user(owner).await?.len() >= MAX_DEVICES_PER_HOME {
        return Err(FnError::invalid("user_id", format!("a home may have at most {MAX_DEVICES_PER_HOME} devices")));
    }
    ctx.devices().insert(&device).await?;
    let device_key = new_key();
    ctx.devices().set_key_hash(device.device_id, &auth::token_hash(&device_key)).await?;
    ctx.state().add_user_device(owner, device.device_id).await?;
    ctx.state().merge_missing(device.device_id, &device.device_type.initial_state()).await?;
    tracing::info!(device_id = %device.device_id, device_type = %device.device_type, "device registered");
    Ok(CreatedDevice { view: views(ctx, vec![device]).await?.remove(0), device_key })
}
