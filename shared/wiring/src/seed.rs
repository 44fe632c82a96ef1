//! The demo seed: written once into a new data dir, and the state warm-up
//! run on every start.

use homeguard_domain::seed::{DEMO_PASSWORD, demo_users};
use homeguard_ports::{NewUser, StoreError};
use homeguard_runtime::{Ctx, auth};

/// Seeds the demo homes unless users exist already. Devices go in before
/// users, so that a start interrupted half-way seeds the rest next time,
/// and a home the user has changed since is never re-seeded.
pub async fn ensure_demo(ctx: &Ctx) -> anyhow::Result<()> {
    if !ctx.users.list().await?.is_empty() {
        return Ok(());
    }
    let now = ctx.clock.now();
    let users = demo_users();
    for user in &users {
        for d in &user.devices {
            let device = d.to_device(user.id, now);
            match ctx.devices.insert(&device).await {
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    for user in users {
        let password_hash = auth::hash_password(DEMO_PASSWORD).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let new = NewUser {
            id: user.id,
            email: user.email.into(),
            name: user.name.into(),
            role: user.role,
            password_hash,
            now,
        };
        match ctx.users.create(new).await {
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!("seeded the demo homes");
    Ok(())
}

/// Fills the state store from the registry: each user's device set, and the
/// initial state of any device that has none yet (in-memory state starts
/// empty on every start).
pub async fn warm_state(ctx: &Ctx) -> anyhow::Result<()> {
    let devices = ctx.devices.list_all().await?;
    for d in &devices {
        ctx.state.add_user_device(d.user_id, d.device_id).await?;
        ctx.state.merge_missing(d.device_id, &d.device_type.initial_state()).await?;
    }
    tracing::info!(devices = devices.len(), "device state loaded");
    Ok(())
}
