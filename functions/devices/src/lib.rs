//! The device registry function (the requirements' Device Service):
//! list, read, register, update and remove devices, each shown with its
//! current state from the state port. A user sees only their own home;
//! another home's device answers 404, as if it did not exist. Admins see
//! every home.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use homeguard_domain::{Device, DeviceDraft, DevicePatch, DeviceState, DomainError, ErrorCode};
use homeguard_runtime::extract::{Json, Path, Query};
use homeguard_runtime::{Caller, Ctx, FnError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const SERVICE: &str = "device-service";

/// The ports this function depends on (its readiness checks them; the
/// production backends of the others are never connected).
pub const USES: &[homeguard_runtime::http::Port] = {
    use homeguard_runtime::http::Port;
    &[Port::Devices, Port::State]
};

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

async fn views(ctx: &Ctx, devices: Vec<Device>) -> Result<Vec<DeviceView>, FnError> {
    let ids: Vec<Uuid> = devices.iter().map(|d| d.device_id).collect();
    let states = ctx.state.get_many(&ids).await?;
    let beats = ctx.state.last_heartbeats(&ids).await?;
    Ok(devices
        .into_iter()
        .zip(states.into_iter().zip(beats))
        .map(|(device, (state, beat))| DeviceView { device, state, online: beat.is_some(), last_heartbeat: beat })
        .collect())
}

/// The caller's devices; for an admin every home's, or one home's with `user_id`.
pub async fn list(ctx: &Ctx, caller: &Caller, q: ListQuery) -> Result<DeviceList, FnError> {
    let type_filter = q.device_type.as_deref().map(homeguard_domain::DeviceType::parse).transpose()?;
    let devices = match q.user_id {
        Some(user) if !caller.can_access(user) => {
            return Err(FnError::forbidden("Only an admin may list another home's devices"));
        }
        Some(user) => ctx.devices.list_for_user(user).await?,
        None if caller.is_admin() => ctx.devices.list_all().await?,
        None => ctx.devices.list_for_user(caller.user_id).await?,
    };
    let devices: Vec<_> = devices.into_iter().filter(|d| type_filter.is_none_or(|t| d.device_type == t)).collect();
    let devices = views(ctx, devices).await?;
    Ok(DeviceList { count: devices.len(), devices })
}

/// A device the caller may see; 404 for anyone else's, so ids of other homes
/// cannot even be probed.
pub async fn owned(ctx: &Ctx, caller: &Caller, id: Uuid) -> Result<Device, FnError> {
    match ctx.devices.get(id).await? {
        Some(d) if caller.can_access(d.user_id) => Ok(d),
        _ => Err(FnError::device_not_found(id)),
    }
}

pub async fn get_one(ctx: &Ctx, caller: &Caller, id: Uuid) -> Result<DeviceView, FnError> {
    let device = owned(ctx, caller, id).await?;
    Ok(views(ctx, vec![device]).await?.remove(0))
}

/// A newly registered device, with the key it posts events with. The key is
/// shown this once; only its hash is kept.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedDevice {
    #[serde(flatten)]
    pub view: DeviceView,
    pub device_key: String,
}

/// A device's new ingest key.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceKey {
    pub device_id: Uuid,
    pub device_key: String,
}

/// A fresh ingest key: 244 random bits from the OS generator, behind a
/// prefix that makes a leaked key easy to recognise.
fn new_key() -> String {
    format!("hgk_{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// Issues a new ingest key for a device the caller owns; the old key stops working.
pub async fn rotate_key(ctx: &Ctx, caller: &Caller, id: Uuid) -> Result<DeviceKey, FnError> {
    owned(ctx, caller, id).await?;
    let key = new_key();
    if !ctx.devices.set_key_hash(id, &homeguard_runtime::auth::token_hash(&key)).await? {
        return Err(FnError::device_not_found(id));
    }
    tracing::info!(device_id = %id, "device key issued");
    Ok(DeviceKey { device_id: id, device_key: key })
}

/// Registers a device in the caller's home (an admin may name another home).
pub async fn create(ctx: &Ctx, caller: &Caller, draft: DeviceDraft) -> Result<CreatedDevice, FnError> {
    let owner = match draft.user_id {
        Some(u) if u != caller.user_id => {
            caller.require_admin()?;
            if ctx.users.get(u).await?.is_none() {
                return Err(DomainError::new(ErrorCode::UserNotFound, format!("User with ID {u} not found")).into());
            }
            u
        }
        _ => caller.user_id,
    };
    let device = draft.into_device(Uuid::new_v4(), owner, ctx.clock.now())?;
    if ctx.devices.list_for_user(owner).await?.len() >= MAX_DEVICES_PER_HOME {
        return Err(FnError::invalid("user_id", format!("a home may have at most {MAX_DEVICES_PER_HOME} devices")));
    }
    ctx.devices.insert(&device).await?;
    let device_key = new_key();
    ctx.devices.set_key_hash(device.device_id, &homeguard_runtime::auth::token_hash(&device_key)).await?;
    ctx.state.add_user_device(owner, device.device_id).await?;
    ctx.state.merge_missing(device.device_id, &device.device_type.initial_state()).await?;
    tracing::info!(device_id = %device.device_id, device_type = %device.device_type, "device registered");
    Ok(CreatedDevice { view: views(ctx, vec![device]).await?.remove(0), device_key })
}

/// Changes a device's name, model, firmware, location or config.
pub async fn update(ctx: &Ctx, caller: &Caller, id: Uuid, patch: DevicePatch) -> Result<DeviceView, FnError> {
    let current = owned(ctx, caller, id).await?;
    let next = patch.apply(&current, ctx.clock.now())?;
    if !ctx.devices.update(&next).await? {
        return Err(FnError::device_not_found(id));
    }
    tracing::info!(device_id = %id, "device updated");
    Ok(views(ctx, vec![next]).await?.remove(0))
}

/// Removes a device, its state and its place in its user's set.
pub async fn delete(ctx: &Ctx, caller: &Caller, id: Uuid) -> Result<(), FnError> {
    let device = owned(ctx, caller, id).await?;
    if !ctx.devices.delete(id).await? {
        return Err(FnError::device_not_found(id));
    }
    ctx.state.remove_user_device(device.user_id, id).await?;
    ctx.state.remove(id).await?;
    tracing::info!(device_id = %id, "device removed");
    Ok(())
}

type S = State<Arc<Ctx>>;

pub fn router(ctx: &Arc<Ctx>) -> Router {
    let routes =
        Router::new()
            .route(
                "/devices",
                get(|State(ctx): S, c: Caller, Query(q): Query<ListQuery>| async move {
                    list(&ctx, &c, q).await.map(axum::Json)
                })
                .post(|State(ctx): S, c: Caller, Json(draft): Json<DeviceDraft>| async move {
                    create(&ctx, &c, draft).await.map(|v| (StatusCode::CREATED, axum::Json(v)))
                }),
            )
            .route(
                "/devices/{id}",
                get(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                    get_one(&ctx, &c, id).await.map(axum::Json)
                })
                .patch(|State(ctx): S, c: Caller, Path(id): Path<Uuid>, Json(p): Json<DevicePatch>| async move {
                    update(&ctx, &c, id, p).await.map(axum::Json)
                })
                .delete(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                    delete(&ctx, &c, id).await.map(|()| StatusCode::NO_CONTENT)
                }),
            )
            .route(
                "/devices/{id}/key",
                post(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                    rotate_key(&ctx, &c, id).await.map(axum::Json)
                }),
            );
    homeguard_runtime::http::mount(SERVICE, ctx, routes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use homeguard_domain::Role;
    use homeguard_domain::seed::{device_id, user_id};

    fn caller(email: &str, role: Role) -> Caller {
        Caller { user_id: user_id(email), role, session_id: Uuid::new_v4(), expires_at: Utc::now() }
    }

    #[tokio::test]
    async fn homes_are_private_and_admins_see_all() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let john = caller("john@demo.com", Role::User);
        let admin = caller("admin@demo.com", Role::Admin);
        let sarahs = device_id("sarah@demo.com", "Back Door Lock");

        assert_eq!(list(&ctx, &john, ListQuery::default()).await.unwrap().count, 5);
        let err = get_one(&ctx, &john, sarahs).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::DeviceNotFound);
        assert_eq!(get_one(&ctx, &admin, sarahs).await.unwrap().device.name, "Back Door Lock");
        assert_eq!(list(&ctx, &admin, ListQuery::default()).await.unwrap().count, 17);
        let locks = ListQuery { device_type: Some("lock".into()), ..Default::default() };
        assert_eq!(list(&ctx, &admin, locks).await.unwrap().count, 3);
        let bad = ListQuery { device_type: Some("toaster".into()), ..Default::default() };
        assert_eq!(list(&ctx, &john, bad).await.unwrap_err().code, ErrorCode::ValidationError);
        assert!(delete(&ctx, &john, sarahs).await.is_err());
        assert!(get_one(&ctx, &admin, sarahs).await.is_ok(), "a refused delete changes nothing");
    }

    #[tokio::test]
    async fn state_follows_the_registry() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let john = caller("john@demo.com", Role::User);
        let draft: DeviceDraft = serde_json::from_value(serde_json::json!({
            "name": "Kitchen Motion", "type": "motion", "model": "Aqara P1", "location": {"zone": "Kitchen", "floor": 1}
        }))
        .unwrap();
        let view = create(&ctx, &john, draft).await.unwrap().view;
        let id = view.device.device_id;
        assert_eq!(view.state["state"], "idle");
        assert!(!view.online, "no heartbeat yet");
        assert!(ctx.state.user_devices(john.user_id).await.unwrap().contains(&id));

        delete(&ctx, &john, id).await.unwrap();
        assert!(!ctx.state.user_devices(john.user_id).await.unwrap().contains(&id));
        assert!(ctx.state.get(id).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn only_admins_register_into_other_homes() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let draft = |owner: Uuid| -> DeviceDraft {
            serde_json::from_value(serde_json::json!({
                "name": "Gift Camera", "type": "camera", "model": "Arlo Pro 5S",
                "location": {"zone": "Porch", "floor": 1}, "user_id": owner
            }))
            .unwrap()
        };
        let sarah = user_id("sarah@demo.com");
        let john = caller("john@demo.com", Role::User);
        assert_eq!(create(&ctx, &john, draft(sarah)).await.unwrap_err().code, ErrorCode::Forbidden);
        let admin = caller("admin@demo.com", Role::Admin);
        assert_eq!(create(&ctx, &admin, draft(sarah)).await.unwrap().view.device.user_id, sarah);
        assert_eq!(create(&ctx, &admin, draft(Uuid::new_v4())).await.unwrap_err().code, ErrorCode::UserNotFound);
    }
}
