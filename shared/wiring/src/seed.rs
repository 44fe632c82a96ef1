//! The demo seed: written once into a new data dir, and the state warm-up
//! run on every start.

use homeguard_domain::home::{Code, CodeKind, Home, Permissions, Pet};
use homeguard_domain::seed::{DEMO_PASSWORD, demo_users, item_id};
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

/// Gives each demo home its time zone, codes and pets, once: a home that
/// exists (seeded before, or changed by its owner since) is left alone.
/// Codes and pets go in before the home, with ids of their own, so that an
/// interrupted start seeds the rest next time.
pub async fn ensure_demo_homes(ctx: &Ctx) -> anyhow::Result<()> {
    let now = ctx.clock.now();
    for user in demo_users() {
        if ctx.homes.get(user.id).await?.is_some() {
            continue;
        }
        let seed = &user.home;
        for (name, secret) in &seed.codes {
            let code = Code {
                id: item_id(user.email, &format!("code:{name}")),
                user_id: user.id,
                name: (*name).into(),
                kind: CodeKind::Member,
                permissions: Permissions::default(),
                guest: None,
                created_at: now,
            };
            ignore_conflict(ctx.homes.insert_code(&code, &auth::code_hash(&ctx.auth, user.id, secret)).await)?;
        }
        for (name, kind, size) in &seed.pets {
            let pet = Pet {
                id: item_id(user.email, &format!("pet:{name}")),
                user_id: user.id,
                name: (*name).into(),
                kind: *kind,
                size: *size,
                created_at: now,
            };
            ignore_conflict(ctx.homes.insert_pet(&pet).await)?;
        }
        let home = Home::new(user.id, seed.time_zone, now).map_err(|e| anyhow::anyhow!("{}", e.message))?;
        ctx.homes.put(&home).await?;
    }
    Ok(())
}

fn ignore_conflict(r: Result<(), StoreError>) -> anyhow::Result<()> {
    match r {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
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
