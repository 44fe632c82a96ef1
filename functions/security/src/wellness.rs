//! The wellness check's clock and its settings: a home whose check is on,
//! quiet for longer than its household allows in waking hours (nobody
//! away, see [`WellnessCheck::overdue`]), opens a wellness incident that
//! asks the household whether all is well (acknowledging answers it); when
//! nobody answers, the escalation tells the emergency contacts. Activity
//! again ends it.

use chrono::{DateTime, Duration, Utc};
use homeguard_domain::incident::{Incident, IncidentKind, Item, ItemKind};
use homeguard_domain::notification::{Notification, Source};
use homeguard_domain::security::Decision;
use homeguard_domain::wellness::{WellnessCheck, WellnessInput, is_activity};
use homeguard_domain::{DeviceType, HomeMode};
use homeguard_ports::DecisionQuery;
use homeguard_runtime::{Caller, FnError, bus};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::SecurityCtx;

/// How far back the last activity is looked for (the newest decisions).
const LOOK_BACK: usize = 200;

/// Looks at every home whose check is on; one home's failure does not
/// keep the others from being looked at.
pub async fn check(ctx: &SecurityCtx) -> Result<(), FnError> {
    let now = ctx.clock.now();
    for home in ctx.homes.watched().await? {
        if let Err(e) = check_home(ctx, &home, now).await {
            tracing::warn!(user_id = %home.user_id, error = %e.message, "a wellness check failed");
        }
    }
    Ok(())
}

fn span(d: Duration) -> String {
    let minutes = d.num_minutes();
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

async fn check_home(ctx: &SecurityCtx, home: &homeguard_domain::home::Home, now: DateTime<Utc>) -> Result<(), FnError> {
    let Some(check) = &home.wellness else { return Ok(()) };
    let user = home.user_id;
    // Nobody is home: the quiet is expected.
    if let Some(r) = ctx.alarm.load(user).await?
        && (matches!(r.mode, HomeMode::Away | HomeMode::Vacation) || r.panel.state_name() == "armed_away")
    {
        return Ok(());
    }
    let q = DecisionQuery { user_id: Some(user), outcome: None, before: None, limit: LOOK_BACK };
    let recent = ctx.security.decisions(&q).await?;
    let last: Option<&Decision> = recent.iter().find(|d| is_activity(d.event_type));
    let Some(quiet_since) = check.overdue(home.tz(), last.map(|d| d.at), now) else { return Ok(()) };
    let cause = Uuid::new_v5(&user, format!("wellness:{}", quiet_since.timestamp()).as_bytes());
    let quiet = span(now - quiet_since);
    let mut incident = Incident::open(user, IncidentKind::Wellness, cause, &format!("nothing for {quiet}"), now);
    if ctx.security.incident(incident.id).await?.is_some() {
        return Ok(());
    }
    if ctx
        .security
        .active_incidents(user)
        .await?
        .iter()
        .any(|i| i.kind == IncidentKind::Wellness && i.ended_at.is_none())
    {
        return Ok(());
    }
    let local = home.local(quiet_since).format("%H:%M");
    let seen = match last {
        Some(d) if d.at == quiet_since => format!("the last was {} at {local}", d.device_name),
        _ => format!("none since {local}"),
    };
    // Are the motion sensors themselves alive? Then the quiet is real.
    let devices = ctx.devices.list_for_user(user).await?;
    let motion: Vec<Uuid> =
        devices.iter().filter(|d| d.device_type == DeviceType::Motion).map(|d| d.device_id).collect();
    let heard = ctx.state.last_heartbeats(&motion).await?.into_iter().flatten().filter(|t| *t >= quiet_since).count();
    let sensors = match (motion.len(), heard) {
        (0, _) => "the home has no motion sensor".to_owned(),
        (n, h) if h == n => format!("every motion sensor ({n}) kept reporting meanwhile"),
        (n, 0) => format!("none of the {n} motion sensors has reported since either: it may be them"),
        (n, h) => format!("{h} of the {n} motion sensors reported meanwhile"),
    };
    incident.add(Item {
        id: Uuid::new_v5(&incident.id, b"quiet"),
        at: now,
        kind: ItemKind::Decision,
        text: format!(
            "no motion, door or lock activity for {quiet} in waking hours ({}-{}); {seen}; {sensors}",
            check.awake_from, check.awake_until
        ),
        by: None,
        data: json!({
            "outcome": "wellness",
            "quiet_since": quiet_since,
            "hours": check.hours,
            "last_activity": last.map(|d| json!({ "device_id": d.device_id, "device_name": d.device_name, "event_type": d.event_type, "at": d.at })),
            "motion_sensors": motion.len(),
            "motion_sensors_reporting": heard,
        }),
    });
    let minutes = IncidentKind::Wellness.contacts_after().num_minutes();
    let told = Notification::new(
        Uuid::new_v5(&incident.id, b"household"),
        user,
        Source::System,
        Some(incident.id),
        "Is everyone all right at home?",
        format!(
            "Nothing has moved at home for {quiet} ({seen}). If all is well, acknowledge this; otherwise HomeGuard tells the emergency contacts in {minutes} min."
        ),
        homeguard_domain::automation::Severity::Critical,
        now,
    )
    .on(vec!["email".into(), "webhook".into()])
    .acknowledging(incident.id);
    incident.add(Item {
        id: told.id,
        at: now,
        kind: ItemKind::Notification,
        text: format!("the household was asked: {}", told.title),
        by: None,
        data: json!({ "notification_id": told.id, "severity": told.severity }),
    });
    if ctx.security.save_incident(&incident).await? {
        ctx.bus.publish(vec![bus::notification_message(&told)?]).await?;
        tracing::warn!(user_id = %user, incident_id = %incident.id, quiet = %quiet, "wellness check: the household is asked");
    }
    Ok(())
}

/// Someone moved again: the running wellness incident ends (nobody else is
/// told); the household still closes it.
pub async fn activity(ctx: &SecurityCtx, user: Uuid, decisions: &[Decision]) -> Result<(), FnError> {
    let Some(first) = decisions.iter().find(|d| is_activity(d.event_type)) else { return Ok(()) };
    let running = ctx.security.active_incidents(user).await?;
    for i in
        running.iter().filter(|i| i.kind == IncidentKind::Wellness && i.ended_at.is_none() && i.opened_at <= first.at)
    {
        crate::update(ctx, i.id, |i| {
            i.add(Item {
                id: first.id,
                at: first.at,
                kind: ItemKind::Decision,
                text: format!("activity again: {} ({})", first.device_name, first.event_type.as_str()),
                by: None,
                data: json!({ "event_id": first.event_id, "device_id": first.device_id, "event_type": first.event_type }),
            });
            i.ended_at = Some(first.at);
            i.contacts_due_at = None;
        })
        .await?;
        tracing::info!(user_id = %user, incident_id = %i.id, "wellness check: activity again");
    }
    Ok(())
}

/// The wellness check as the household sees it.
#[derive(Debug, Serialize)]
pub struct WellnessView {
    pub enabled: bool,
    pub hours: u32,
    pub awake_from: String,
    pub awake_until: String,
    pub since: Option<DateTime<Utc>>,
    /// Minutes the household has to answer before the emergency contacts are told.
    pub contacts_after_minutes: i64,
}

fn view(c: Option<&WellnessCheck>) -> WellnessView {
    let contacts_after_minutes = IncidentKind::Wellness.contacts_after().num_minutes();
    match c {
        Some(c) => WellnessView {
            enabled: c.enabled,
            hours: c.hours,
            awake_from: c.awake_from.clone(),
            awake_until: c.awake_until.clone(),
            since: Some(c.since),
            contacts_after_minutes,
        },
        None => WellnessView {
            enabled: false,
            hours: 5,
            awake_from: "07:00".into(),
            awake_until: "22:00".into(),
            since: None,
            contacts_after_minutes,
        },
    }
}

/// `GET /security/wellness`: the caller's home's.
pub async fn get(ctx: &SecurityCtx, caller: &Caller) -> Result<WellnessView, FnError> {
    Ok(view(ctx.homes.get(caller.user_id).await?.and_then(|h| h.wellness).as_ref()))
}

/// `PUT /security/wellness`: turns it on or off, with its hours.
pub async fn put(ctx: &SecurityCtx, caller: &Caller, input: WellnessInput) -> Result<WellnessView, FnError> {
    let now = ctx.clock.now();
    let check = WellnessCheck::new(input, now)?;
    let mut home = match ctx.homes.get(caller.user_id).await? {
        Some(h) => h,
        None => homeguard_domain::home::Home::new(caller.user_id, "UTC", now)?,
    };
    home.wellness = Some(check);
    home.updated_at = now;
    ctx.homes.put(&home).await?;
    tracing::info!(user_id = %caller.user_id, enabled = home.wellness.as_ref().is_some_and(|c| c.enabled), "wellness check changed");
    Ok(view(home.wellness.as_ref()))
}
