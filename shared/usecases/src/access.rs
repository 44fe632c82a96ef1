//! Who may see what.

use homeguard_domain::Device;
use homeguard_runtime::ports::HasDevices;
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

/// Whether the caller may read the history of device `id`: theirs, or, for
/// an admin, any device, even one deleted since (history outlives it).
pub async fn device_history(ctx: &impl HasDevices, caller: &Caller, id: Uuid) -> Result<(), FnError> {
    match ctx.devices().get(id).await? {
        Some(d) if caller.can_access(d.user_id) => Ok(()),
        None if caller.is_admin() => Ok(()),
        _ => Err(FnError::device_not_found(id)),
    }
}
