//! Running an incident's playbook: each step through the same validated
//! command path as a user's (the owner's), each result a line of the
//! incident's timeline, once however often the incident is seen again.

use chrono::{DateTime, Utc};
use homeguard_domain::incident::{Incident, IncidentKind, Item, ItemKind};
use homeguard_domain::playbook::{PlaybookKind, Step};
use homeguard_domain::{Device, DeviceType, Role};
use homeguard_runtime::{Caller, FnError};
use homeguard_usecases::commands::{CommandInput, send_once};
use homeguard_usecases::incidents::ack_link;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::SecurityCtx;

/// The line that says a playbook ran (its id marks it as done).
fn marker(incident: &Incident, kind: PlaybookKind) -> Uuid {
    Uuid::new_v5(&incident.id, format!("playbook:{}", kind.as_str()).as_bytes())
}

/// Whether the incident's playbook still has to run.
pub fn pending(incident: &Incident) -> Option<PlaybookKind> {
    let kind = PlaybookKind::of(incident.kind)?;
    let id = marker(incident, kind);
    (!incident.timeline.iter().any(|i| i.id == id)).then_some(kind)
}

fn line(incident: &Incident, key: &str, at: DateTime<Utc>, text: String, data: Value) -> Item {
    Item { id: Uuid::new_v5(&incident.id, key.as_bytes()), at, kind: ItemKind::Action, text, by: None, data }
}

/// The command each device of a step gets, if any.
fn command(step: Step, device: &Device, locked: Option<bool>) -> Option<(&'static str, Map<String, Value>)> {
    let none = Map::new;
    match (step, device.device_type) {
        (Step::UnlockDoors, DeviceType::Lock) => Some(("unlock", none())),
        (Step::LockDoors, DeviceType::Lock) if locked != Some(true) => Some(("lock", none())),
        (Step::HvacOff, DeviceType::Thermostat) => {
            Some(("set_mode", json!({ "mode": "off" }).as_object().cloned().unwrap_or_default()))
        }
        (Step::RecordCameras, DeviceType::Camera) => Some(("start_recording", none())),
        (Step::SnapshotCameras, DeviceType::Camera) => Some(("snapshot", none())),
        _ => None,
    }
}

/// Runs `kind` for the incident and returns the lines it adds.
pub async fn run(ctx: &SecurityCtx, incident: &Incident, kind: PlaybookKind) -> Result<Vec<Item>, FnError> {
    let user = incident.user_id;
    let steps = ctx.homes.get(user).await?.map_or_else(|| kind.defaults(), |h| h.playbooks.steps(kind));
    let devices = ctx.devices.list_for_user(user).await?;
    let ids: Vec<Uuid> = devices.iter().map(|d| d.device_id).collect();
    let states = ctx.state.get_many(&ids).await?;
    let owner =
        Caller { user_id: user, role: Role::User, session_id: incident.id, expires_at: DateTime::<Utc>::MAX_UTC };
    let mut out = vec![];
    for step in &steps {
        if *step == Step::NotifyContacts {
            out.extend(contacts(ctx, incident).await?);
            continue;
        }
        let mut any = false;
        for (device, state) in devices.iter().zip(&states) {
            let locked = state.get("locked").and_then(Value::as_bool);
            let Some((name, parameters)) = command(*step, device, locked) else { continue };
            any = true;
            let key = format!("{}:{}", step.as_str(), device.device_id);
            let command_id = Uuid::new_v5(&incident.id, key.as_bytes());
            let input = CommandInput { command: name.into(), parameters };
            let (status, detail) = match send_once(ctx, &owner, device.device_id, input, command_id).await {
                Ok(_) => ("queued", format!("{name} sent")),
                Err(e) if e.is_platform() => return Err(e),
                Err(e) => ("failed", e.message),
            };
            let text = format!("{}: {}: {detail}", step.words(), device.name);
            let data = json!({ "step": step, "device_id": device.device_id, "command": name, "command_id": command_id, "status": status });
            out.push(line(incident, &key, ctx.clock.now(), text, data));
        }
        if !any {
            let takes = devices.iter().any(|d| command(*step, d, None).is_some());
            let why =
                if takes { "nothing to do (every lock is locked already)" } else { "no device of this home takes it" };
            let text = format!("{}: {why}", step.words());
            let data = json!({ "step": step, "status": "skipped" });
            out.push(line(incident, step.as_str(), ctx.clock.now(), text, data));
        }
    }
    let words: Vec<&str> = steps.iter().map(|s| s.words()).collect();
    let summary = if words.is_empty() { "no steps chosen".to_owned() } else { words.join(", ") };
    out.push(Item {
        id: marker(incident, kind),
        at: ctx.clock.now(),
        kind: ItemKind::Action,
        text: format!("the {} playbook ran: {summary}", kind.as_str().replace('_', "-")),
        by: None,
        data: json!({ "playbook": kind, "steps": steps }),
    });
    tracing::info!(user_id = %user, incident_id = %incident.id, playbook = kind.as_str(), steps = steps.len(), "playbook ran");
    Ok(out)
}

/// E-mails each emergency contact, recording what became of each.
pub async fn contacts(ctx: &SecurityCtx, incident: &Incident) -> Result<Vec<Item>, FnError> {
    let household = ctx.users.get(incident.user_id).await?.map_or_else(|| "a HomeGuard home".into(), |u| u.name);
    let mut out = vec![];
    for c in ctx.homes.contacts(incident.user_id).await? {
        let key = format!("contact:{}", c.id);
        let who = match &c.relation {
            Some(r) => format!("{} ({r})", c.name),
            None => c.name.clone(),
        };
        let (status, detail) = match &c.email {
            None => (
                "skipped",
                format!("no e-mail address{}", c.phone.as_ref().map(|p| format!("; call {p}")).unwrap_or_default()),
            ),
            Some(address) => {
                let subject = format!("[HomeGuard] {} at {household}'s home", incident.title);
                let by = format!("{who}, emergency contact");
                let link =
                    ack_link(&ctx.auth, &ctx.outbound, incident.user_id, incident.id, (&by, c.id), ctx.clock.wall())?;
                let opened = incident.opened_at.format("%Y-%m-%d %H:%M:%S");
                let what = match incident.kind {
                    IncidentKind::Wellness => format!(
                        "Nothing has moved at {household}'s home for a long while (HomeGuard's wellness check, {opened} UTC), and nobody in the household answered HomeGuard's question whether all is well."
                    ),
                    _ => format!("HomeGuard raised this alarm at {opened} UTC and told the household."),
                };
                let body = format!(
                    "{}\n\nYou are an emergency contact of {household}. {what}\nPlease try to reach them.\n\nOnce you have, acknowledge it here (the household sees that you did):\n{link}\n",
                    incident.title,
                );
                let id = Uuid::new_v5(&incident.id, key.as_bytes());
                match ctx.outbound.email(address, &subject, &body, id).await {
                    Ok(a) => ("delivered", a.detail),
                    Err(a) => ("failed", a.detail),
                }
            }
        };
        let data = json!({ "party": "emergency_contacts", "contact_id": c.id, "status": status, "detail": detail });
        let item = Item {
            id: Uuid::new_v5(&incident.id, key.as_bytes()),
            at: ctx.clock.now(),
            kind: ItemKind::Notification,
            text: format!("emergency contact {who}: {status}"),
            by: None,
            data,
        };
        out.push(item);
    }
    if out.is_empty() {
        out.push(line(
            incident,
            "contacts",
            ctx.clock.now(),
            "E-mail the emergency contacts: the home has none".into(),
            json!({ "step": Step::NotifyContacts, "status": "skipped" }),
        ));
    }
    Ok(out)
}
