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
use homeguard_domain::{DeviceDraft, DevicePatch};
use homeguard_runtime::extract::{Json, Path, Query};
use homeguard_runtime::{Caller, FnError, Function};
use homeguard_usecases::access;
use homeguard_usecases::devices::{CreatedDevice, DeviceView, new_key, views};
use serde::Serialize;
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What the device registry holds: the devices, their state, and the
    /// users (an admin registers into another home by its user id).
    pub struct DevicesCtx { devices, state, users, sessions }
}

/// The function: `/devices` and `/devices/{id}`, `/devices/{id}/key`.
pub fn function() -> Function<DevicesCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Device registry").routes(routes)
}

pub use homeguard_usecases::devices::{DeviceList, ListQuery, get_one, list};

/// A device's new ingest key.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceKey {
    pub device_id: Uuid,
    pub device_key: String,
}

/// Issues a new ingest key for a device the caller owns; the old key stops working.
pub async fn rotate_key(ctx: &DevicesCtx, caller: &Caller, id: Uuid) -> Result<DeviceKey, FnError> {
    access::device(ctx, caller, id).await?;
    let key = new_key();
    if !ctx.devices.set_key_hash(id, &homeguard_runtime::auth::token_hash(&key)).await? {
        return Err(FnError::device_not_found(id));
    }
    tracing::info!(device_id = %id, "device key issued");
    Ok(DeviceKey { device_id: id, device_key: key })
}

/// Registers a device in the caller's home (an admin may name another home).
pub async fn create(ctx: &DevicesCtx, caller: &Caller, draft: DeviceDraft) -> Result<CreatedDevice, FnError> {
    homeguard_usecases::devices::create(ctx, caller, draft).await
}

/// Changes a device's name, model, firmware, location or config.
pub async fn update(ctx: &DevicesCtx, caller: &Caller, id: Uuid, patch: DevicePatch) -> Result<DeviceView, FnError> {
    let current = access::device(ctx, caller, id).await?;
    let next = patch.apply(&current, ctx.clock.now())?;
    if !ctx.devices.update(&next).await? {
        return Err(FnError::device_not_found(id));
    }
    tracing::info!(device_id = %id, "device updated");
    Ok(views(ctx, vec![next]).await?.remove(0))
}

/// Removes a device, its state and its place in its user's set.
pub async fn delete(ctx: &DevicesCtx, caller: &Caller, id: Uuid) -> Result<(), FnError> {
    let device = access::device(ctx, caller, id).await?;
    if !ctx.devices.delete(id).await? {
        return Err(FnError::device_not_found(id));
    }
    ctx.state.remove_user_device(device.user_id, id).await?;
    ctx.state.remove(id).await?;
    tracing::info!(device_id = %id, "device removed");
    Ok(())
}

type S = State<Arc<DevicesCtx>>;

fn routes(_: &Arc<DevicesCtx>) -> Router<Arc<DevicesCtx>> {
    Router::new()
        .route(
            "/devices",
            get(|State(ctx): S, c: Caller, Query(q): Query<ListQuery>| async move {
                list(&*ctx, &c, q).await.map(axum::Json)
            })
            .post(|State(ctx): S, c: Caller, Json(draft): Json<DeviceDraft>| async move {
                create(&ctx, &c, draft).await.map(|v| (StatusCode::CREATED, axum::Json(v)))
            }),
        )
        .route(
            "/devices/{id}",
            get(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                get_one(&*ctx, &c, id).await.map(axum::Json)
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
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_domain::{ErrorCode, Role};
    use homeguard_runtime::Holds;

    fn caller(email: &str, role: Role) -> Caller {
        Caller { user_id: user_id(email), role, session_id: Uuid::new_v4(), expires_at: chrono::Utc::now() }
    }

    #[tokio::test]
    async fn homes_are_private_and_admins_see_all() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = DevicesCtx::from_ctx(&ctx);
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
        let ctx = DevicesCtx::from_ctx(&ctx);
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
        let ctx = DevicesCtx::from_ctx(&ctx);
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
