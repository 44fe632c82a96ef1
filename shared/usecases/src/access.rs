//! Who may see what.

use homeguard_domain::Device;
use homeguard_runtime::ports::{HasDevices, HasUsers};
use homeguard_runtime::{Caller, FnError};
use uuid::Uuid;

/// A device the caller may see; 404 for anyone else's, exactly as for a
/// missing one, so that ids of other homes cannot even be probed.
pub async fn device(ctx: &impl HasDevices, caller: &Caller, id: Uuid) -> Result<Device, FnError> {
    match ctx.devices().get(id).await? {
        Some(d) if caller.can_access(d.user_id) => Ok(d),
        _ => Err(FnError::device_not_found(id)),
    }
}

/// The home a request acts on: the caller's, or for an admin the one
/// `user_id` names (which must be a user; anyone else naming another home
/// is refused).
pub async fn home(ctx: &impl HasUsers, caller: &Caller, user_id: Option<Uuid>) -> Result<Uuid, FnError> {
    match user_id {
        None => Ok(caller.user_id),
        Some(u) if u == caller.user_id => Ok(u),
        Some(_) if !caller.is_admin() => Err(FnError::forbidden("Only an admin may act on another home")),
        Some(u) => match ctx.users().get(u).await? {
            Some(_) => Ok(u),
            None => Err(FnError::new(homeguard_domain::ErrorCode::UserNotFound, format!("No user {u}"))),
        },
    }
}

/// Whether the caller may read the history of device `id`: theirs, or, for
/// an admin, any device, even one deleted since (history outlives it).
pub async fn device_history(ctx: &impl HasDevices, caller: &Caller, id: Uuid) -> Result<(), FnError> {
    match ctx.devices().get(id).await? {
        Some(d) if caller.can_access(d.user_id) => Ok(()),
        None if caller.is_admin() => Ok(()),
        _ => Err(FnError::device_not_found(id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_domain::{ErrorCode, Role};

    fn caller(email: &str, role: Role) -> Caller {
        Caller { user_id: user_id(email), role, session_id: Uuid::new_v4(), expires_at: chrono::Utc::now() }
    }

    #[tokio::test]
    async fn another_homes_device_is_as_missing_as_a_missing_one() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let (john, admin) = (caller("john@demo.com", Role::User), caller("admin@demo.com", Role::Admin));
        let sarahs = device_id("sarah@demo.com", "Back Door Lock");
        let gone = Uuid::new_v4();
        assert_eq!(device(&*ctx, &john, sarahs).await.unwrap_err(), FnError::device_not_found(sarahs));
        assert_eq!(device(&*ctx, &john, gone).await.unwrap_err(), FnError::device_not_found(gone));
        assert_eq!(device(&*ctx, &admin, sarahs).await.unwrap().name, "Back Door Lock");
        assert!(device(&*ctx, &john, device_id("john@demo.com", "Garage Door")).await.is_ok());

        assert_eq!(device_history(&*ctx, &john, gone).await.unwrap_err().code, ErrorCode::DeviceNotFound);
        assert!(device_history(&*ctx, &admin, gone).await.is_ok(), "an admin reads a deleted device's history");
        assert!(device_history(&*ctx, &john, sarahs).await.is_err());
    }
}
