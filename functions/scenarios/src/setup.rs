//! A scenario's set-up (`setup:`): how the home stands when the timeline
//! starts, the way a real home would (armed for the night, a pet
//! registered, the hallway armed at night, an emergency contact), applied through the same stores
//! and alarm transaction as the app, and undone after the run so that the
//! next one finds the home as it was.

use chrono::Duration;
use homeguard_domain::alarm::Actor;
use homeguard_domain::home::Home;
use homeguard_runtime::{Ctx, FnError};
use indexmap::IndexMap;
use uuid::Uuid;

use crate::engine::Assigned;
use crate::model::Scenario;

/// What a set-up changed, to undo it.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    pets: Vec<Uuid>,
    contacts: Vec<Uuid>,
    /// The home's settings before (when the set-up changed them).
    home: Option<Home>,
    armed: bool,
}

/// The scenario engine, as the alarm's log names it.
fn engine() -> Actor {
    Actor { id: Uuid::nil(), name: "the scenario engine".into() }
}

/// Applies the set-up to the user's home.
pub async fn apply(
    ctx: &Ctx,
    scenario: &Scenario,
    user: Uuid,
    devices: &IndexMap<String, Assigned>,
) -> Result<Applied, FnError> {
    let setup = &scenario.setup;
    let mut applied = Applied::default();
    let now = ctx.clock.now();
    let have = ctx.homes.pets(user).await?;
    for pet in setup.pets.iter().filter(|p| !have.iter().any(|h| h.name.eq_ignore_ascii_case(&p.name))) {
        let pet = pet.clone().check(user, now)?;
        ctx.homes.insert_pet(&pet).await?;
        applied.pets.push(pet.id);
    }
    let have = ctx.homes.contacts(user).await?;
    for contact in setup.contacts.iter().filter(|c| !have.iter().any(|h| h.name.eq_ignore_ascii_case(&c.name))) {
        let contact = contact.clone().check(user, now)?;
        ctx.homes.insert_contact(&contact).await?;
        applied.contacts.push(contact.id);
    }
    if !setup.armed_at_night.is_empty() || setup.wellness.is_some() {
        let mut home = homeguard_usecases::alarm::home_of(ctx, user).await?;
        applied.home = Some(home.clone());
        for role in &setup.armed_at_night {
            if let Some(a) = devices.get(&scenario.roles[*role].name) {
                home.zones.entry(a.device_id).or_default().armed_at_night = true;
            }
        }
        if let Some(w) = &setup.wellness {
            home.wellness = Some(homeguard_domain::wellness::WellnessCheck::new(w.clone(), now)?);
        }
        home.updated_at = now;
        ctx.homes.put(&home).await?;
    }
    if let Some(mode) = setup.alarm {
        let by = engine();
        homeguard_usecases::alarm::change(ctx, user, Some(&by), |r, l, now| {
            if r.is_armed() {
                r.disarm(Some(&by), false, now);
            }
            // Armed as the exit delay ran out, so that the timeline starts armed.
            let exit = l.home.settings.exit_delay() + Duration::seconds(1);
            let mut step = r.arm(&l.home, &l.zones, mode, &[], true, Some(&by), now - exit)?;
            let armed = r.tick(&l.home, &l.zones, now);
            step.transitions.extend(armed.transitions);
            step.signals.extend(armed.signals);
            Ok((step, ()))
        })
        .await?;
        applied.armed = true;
    }
    if setup != &crate::model::Setup::default() {
        tracing::info!(scenario_name = %scenario.name, user_id = %user, pets = applied.pets.len(), armed = applied.armed, "scenario set-up applied");
    }
    Ok(applied)
}

/// Undoes what `apply` changed (what fails is logged: the run is over).
pub async fn undo(ctx: &Ctx, user: Uuid, applied: Applied) {
    let result: Result<(), FnError> = async {
        for id in applied.pets {
            ctx.homes.delete_pet(user, id).await?;
        }
        for id in applied.contacts {
            ctx.homes.delete_contact(user, id).await?;
        }
        if let Some(before) = applied.home
            && let Some(mut now) = ctx.homes.get(user).await?
        {
            now.zones = before.zones;
            now.wellness = before.wellness;
            now.updated_at = ctx.clock.now();
            ctx.homes.put(&now).await?;
        }
        if applied.armed {
            let by = engine();
            homeguard_usecases::alarm::change(ctx, user, Some(&by), |r, _, now| {
                Ok((r.disarm(Some(&by), false, now), ()))
            })
            .await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(user_id = %user, error = %e.message, "undoing a scenario's set-up failed");
    }
}
