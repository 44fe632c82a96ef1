//! The home's settings and household: time zone, alarm delays and zones,
//! members' and duress codes, guests, pets and emergency contacts.

use std::collections::BTreeSet;

use chrono::{DateTime, SecondsFormat, Utc};
use homeguard_domain::alarm::{AlarmSettings, ZoneType, codes};
use homeguard_domain::home::{
    Code, CodeKind, Contact, GuestStatus, Home, NewCode, NewContact, NewGuest, NewPet, Permissions, Pet,
};
use homeguard_domain::{DeviceType, ErrorCode};
use homeguard_ports::StoreError;
use homeguard_runtime::FnError;
use homeguard_runtime::auth::code_hash;
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::AlarmCtx;
pub use homeguard_usecases::alarm::{DEFAULT_TIME_ZONE, home_of};

#[derive(Debug, Serialize)]
pub struct ZoneView {
    pub device_id: Uuid,
    pub name: String,
    pub device_type: DeviceType,
    pub zone_type: ZoneType,
    pub entry_delay_seconds: Option<u32>,
    pub armed_at_night: bool,
}

/// `GET /home`.
#[derive(Debug, Serialize)]
pub struct HomeView {
    pub user_id: Uuid,
    pub time_zone: String,
    /// Now on the home's wall clock.
    pub local_time: String,
    pub settings: AlarmSettings,
    pub home_mode_arms: bool,
    pub party_ends_at: String,
    pub warnings: Vec<String>,
    pub zones: Vec<ZoneView>,
}

async fn home_view(ctx: &AlarmCtx, home: Home) -> Result<HomeView, FnError> {
    let devices = ctx.devices.list_for_user(home.user_id).await?;
    let zones = home.zones_of(&devices);
    let zones = devices
        .iter()
        .filter_map(|d| zones.get(&d.device_id).map(|z| (d, z)))
        .map(|(d, z)| ZoneView {
            device_id: d.device_id,
            name: d.name.clone(),
            device_type: d.device_type,
            zone_type: z.zone_type,
            entry_delay_seconds: z.entry_delay_seconds,
            armed_at_night: z.armed_at_night,
        })
        .collect();
    Ok(HomeView {
        user_id: home.user_id,
        local_time: home.local(ctx.clock.now()).to_rfc3339_opts(SecondsFormat::Secs, false),
        warnings: home.settings.warnings(),
        time_zone: home.time_zone,
        settings: home.settings,
        home_mode_arms: home.home_mode_arms,
        party_ends_at: home.party_ends_at,
        zones,
    })
}

pub async fn get_home(ctx: &AlarmCtx, user: &Uuid) -> Result<HomeView, FnError> {
    let home = home_of(ctx, *user).await?;
    home_view(ctx, home).await
}

/// `PATCH /home`: what is given changes, each value checked and named when refused.
pub async fn patch_home(ctx: &AlarmCtx, user: &Uuid, body: &Map<String, Value>) -> Result<HomeView, FnError> {
    let mut home = home_of(ctx, *user).await?;
    let devices: BTreeSet<Uuid> = ctx.devices.list_for_user(*user).await?.iter().map(|d| d.device_id).collect();
    home.patch(body, &devices)?;
    home.updated_at = ctx.clock.now();
    ctx.homes.put(&home).await?;
    tracing::info!(user_id = %user, fields = ?body.keys().collect::<Vec<_>>(), "home settings changed");
    home_view(ctx, home).await
}

/// A member's or duress code, as listed (never the code).
#[derive(Debug, Serialize)]
pub struct CodeView {
    pub id: Uuid,
    pub name: String,
    pub kind: CodeKind,
    pub permissions: Permissions,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct Codes {
    pub codes: Vec<CodeView>,
}

fn code_view(c: Code) -> CodeView {
    CodeView { id: c.id, name: c.name, kind: c.kind, permissions: c.permissions, created_at: c.created_at }
}

/// A guest's code, as listed.
#[derive(Debug, Serialize)]
pub struct GuestView {
    pub id: Uuid,
    pub name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub single_use: bool,
    pub used_at: Option<DateTime<Utc>>,
    pub status: GuestStatus,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct Guests {
    pub guests: Vec<GuestView>,
}

fn guest_view(c: Code, now: DateTime<Utc>) -> Option<GuestView> {
    let w = c.guest?;
    Some(GuestView {
        id: c.id,
        name: c.name,
        status: w.status(now),
        starts_at: w.starts_at,
        ends_at: w.ends_at,
        single_use: w.single_use,
        used_at: w.used_at,
        created_at: c.created_at,
    })
}

pub async fn codes(ctx: &AlarmCtx, user: Uuid) -> Result<Codes, FnError> {
    let all = ctx.homes.codes(user).await?;
    Ok(Codes { codes: all.into_iter().filter(|c| c.kind != CodeKind::Guest).map(code_view).collect() })
}

pub async fn guests(ctx: &AlarmCtx, user: Uuid) -> Result<Guests, FnError> {
    let now = ctx.clock.now();
    let all = ctx.homes.codes(user).await?;
    Ok(Guests { guests: all.into_iter().filter_map(|c| guest_view(c, now)).collect() })
}

fn too_close() -> FnError {
    FnError::new(ErrorCode::Conflict, "code: too close to another code of this home (equal, or a last digit within 2)")
        .with_details(serde_json::json!({ "field": "code" }))
}

/// Stores a code, refusing one equal to another code of the home or one
/// whose last digit is within 2 of another's (found by their hashes).
async fn store_code(ctx: &AlarmCtx, code: &Code, secret: &str) -> Result<(), FnError> {
    let home = code.user_id;
    let (head, last) = secret.split_at(secret.len() - 1);
    let last = i32::from(last.as_bytes()[0] - b'0');
    let near: Vec<String> = (last - 2..=last + 2)
        .filter(|d| (0..=9).contains(d))
        .map(|d| format!("{head}{d}"))
        .inspect(|n| debug_assert!(codes::too_close(secret, n)))
        .map(|n| code_hash(&ctx.auth, home, &n))
        .collect();
    if ctx.homes.find_code(home, &near).await?.is_some() {
        return Err(too_close());
    }
    match ctx.homes.insert_code(code, &code_hash(&ctx.auth, home, secret)).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(_)) => Err(too_close()),
        Err(e) => Err(e.into()),
    }
}

pub async fn create_code(ctx: &AlarmCtx, user: Uuid, draft: NewCode) -> Result<CodeView, FnError> {
    let (code, secret) = draft.check(user, ctx.clock.now())?;
    store_code(ctx, &code, &secret).await?;
    tracing::info!(user_id = %user, code_id = %code.id, kind = ?code.kind, "alarm code added");
    Ok(code_view(code))
}

pub async fn create_guest(ctx: &AlarmCtx, user: Uuid, draft: NewGuest) -> Result<GuestView, FnError> {
    let now = ctx.clock.now();
    let (code, secret) = draft.check(user, now)?;
    store_code(ctx, &code, &secret).await?;
    tracing::info!(user_id = %user, code_id = %code.id, "guest code added");
    guest_view(code, now).ok_or_else(|| FnError::internal("a guest code without its window"))
}

fn not_found(what: &str, id: Uuid) -> FnError {
    FnError::new(ErrorCode::NotFound, format!("No {what} {id} in this home"))
}

/// Deletes a member's or duress code (`guest` false) or a guest's code.
pub async fn delete_code(ctx: &AlarmCtx, user: Uuid, id: Uuid, guest: bool) -> Result<(), FnError> {
    let what = if guest { "guest code" } else { "code" };
    let is_kind = |c: &Code| (c.kind == CodeKind::Guest) == guest;
    let codes = ctx.homes.codes(user).await?;
    if !codes.iter().any(|c| c.id == id && is_kind(c)) || !ctx.homes.delete_code(user, id).await? {
        return Err(not_found(what, id));
    }
    tracing::info!(user_id = %user, code_id = %id, guest, "alarm code removed");
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct Pets {
    pub pets: Vec<Pet>,
}

pub async fn pets(ctx: &AlarmCtx, user: Uuid) -> Result<Pets, FnError> {
    Ok(Pets { pets: ctx.homes.pets(user).await? })
}

pub async fn create_pet(ctx: &AlarmCtx, user: Uuid, draft: NewPet) -> Result<Pet, FnError> {
    let pet = draft.check(user, ctx.clock.now())?;
    ctx.homes.insert_pet(&pet).await?;
    Ok(pet)
}

pub async fn delete_pet(ctx: &AlarmCtx, user: Uuid, id: Uuid) -> Result<(), FnError> {
    if !ctx.homes.delete_pet(user, id).await? {
        return Err(not_found("pet", id));
    }
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct Contacts {
    pub contacts: Vec<Contact>,
}

pub async fn contacts(ctx: &AlarmCtx, user: Uuid) -> Result<Contacts, FnError> {
    Ok(Contacts { contacts: ctx.homes.contacts(user).await? })
}

pub async fn create_contact(ctx: &AlarmCtx, user: Uuid, draft: NewContact) -> Result<Contact, FnError> {
    let contact = draft.check(user, ctx.clock.now())?;
    ctx.homes.insert_contact(&contact).await?;
    Ok(contact)
}

pub async fn delete_contact(ctx: &AlarmCtx, user: Uuid, id: Uuid) -> Result<(), FnError> {
    if !ctx.homes.delete_contact(user, id).await? {
        return Err(not_found("contact", id));
    }
    Ok(())
}
