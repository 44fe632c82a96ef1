//! The security response: what the alarm's decisions and signals mean for
//! the household. It consumes `home.alarm` (every change of a home's alarm,
//! with the decisions the panel's judgement of each event came with, which
//! the alarm records where it makes them; `GET /security/decisions` reads
//! them), tells the
//! household what it should know (a package, a trouble, pet activity held
//! back, quietly), and opens one incident per alarm or emergency, adding to
//! its timeline as things happen: each decision with its reasons and the
//! motion path, the alarm's transitions and signals, the notifications, the
//! disarm and by whom, and what monitoring acknowledged. Each new incident
//! runs its playbook; one nobody acknowledges in time goes on to the
//! emergency contacts. The household acknowledges and resolves incidents,
//! chooses the playbooks' steps and reads the reports.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use homeguard_domain::alarm::{EntryKind, LogEntry, Qualifier};
use homeguard_domain::automation::Severity;
use homeguard_domain::incident::{Incident, IncidentKind, IncidentStatus, Item, ItemKind};
use homeguard_domain::notification::{Notification, Source};
use homeguard_domain::playbook::{PlaybookKind, Playbooks, Step};
use homeguard_domain::security::{Decision, Outcome};
use homeguard_domain::{ErrorCode, Topic};
use homeguard_ports::{DecisionQuery, IncidentQuery};
use homeguard_runtime::extract::{Json, Path, Query};
use homeguard_runtime::{Caller, FnError, Function, bus};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

pub mod camera;
pub mod playbook;
pub mod wellness;

homeguard_runtime::holds! {
    /// What the security response holds: its decisions and incidents, the
    /// monitoring reports (what the central station acknowledged), the
    /// homes (their clock, for reports), the users (who acknowledged), the
    /// devices (zone names, the playbooks' doors and cameras) and their
    /// state (which locks are locked, which sensors report), the bus
    /// (notifications, commands), and the alarm (whether anyone is home,
    /// for the wellness check).
    pub struct SecurityCtx { security, reports, homes, users, devices, state, bus, sessions, alarm }
}

/// The function: consumes `home.alarm`; `/security/decisions` and `/incidents`.
pub fn function() -> Function<SecurityCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Security response: decisions on events, incidents and their escalation")
        .routes(routes)
        .subscribe(Topic::HomeAlarm, |ctx, changes| Box::pin(async move { on_alarm(&ctx, changes).await }))
        .subscribe(Topic::DeviceEvents, |ctx, events| Box::pin(async move { camera::on_events(&ctx, events).await }))
        .every("escalation", ESCALATION, |ctx, _| Box::pin(async move { escalate(&ctx).await }))
}

/// A change of a home's alarm as `home.alarm` carries it.
#[derive(Debug, Clone, Deserialize)]
pub struct AlarmChange {
    pub user_id: Uuid,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub entries: Vec<LogEntry>,
    #[serde(default)]
    pub decisions: Vec<Decision>,
}

/// Handles each change in order (one home's changes arrive in order: the topic is keyed by home).
#[tracing::instrument(skip_all, fields(changes = changes.len()))]
pub async fn on_alarm(ctx: &SecurityCtx, changes: Vec<AlarmChange>) -> Result<(), FnError> {
    let decisions: Vec<&Decision> = changes.iter().flat_map(|c| &c.decisions).collect();
    tell(ctx, &decisions).await?;
    for change in &changes {
        wellness::activity(ctx, change.user_id, &change.decisions).await?;
        incidents(ctx, change).await?;
    }
    Ok(())
}

/// Tells the household what it should know of each decision (alarms are
/// the incident's to tell); a redelivered one is the same notification.
async fn tell(ctx: &SecurityCtx, decisions: &[&Decision]) -> Result<(), FnError> {
    let mut told = vec![];
    for d in decisions {
        if let Some(n) = notice(ctx, d) {
            told.push(bus::notification_message(&n)?);
        }
    }
    if !told.is_empty() {
        ctx.bus.publish(told).await?;
    }
    Ok(())
}

/// What the household is told of a decision that is not an alarm, if anything.
fn notice(ctx: &SecurityCtx, d: &Decision) -> Option<Notification> {
    if let Some(severity) = d.notify.filter(|_| !d.outcome.is_alarm()) {
        let body = format!(
            "{} at {} home time. {}",
            d.summary,
            d.facts.local_time,
            d.reasons.iter().skip(1).map(|r| r.text.as_str()).collect::<Vec<_>>().join("; ")
        );
        return Some(Notification::new(
            Uuid::new_v5(&d.id, b"household"),
            d.user_id,
            Source::System,
            Some(d.id),
            d.summary.clone(),
            body,
            severity,
            ctx.clock.now(),
        ));
    }
    None
}

/// What opens an incident: an alarm decided on an event, or an alarm the
/// panel raised on its own (the entry delay ran out, panic, fire) — never
/// what only monitoring sees (duress: nothing on the home's side differs).
fn opener(change: &AlarmChange) -> Option<(IncidentKind, Uuid, DateTime<Utc>, String)> {
    let decided = change.decisions.iter().filter(|d| d.outcome.is_alarm()).map(|d| {
        let kind = d.signal.and_then(IncidentKind::of_code).unwrap_or(IncidentKind::Burglary);
        (kind, d.id, d.at, d.device_name.clone())
    });
    let raised = change
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Signal && e.qualifier == Some(Qualifier::Event) && !e.monitoring_only)
        .filter_map(|e| Some((IncidentKind::of_code(e.code?)?, e.id, e.at, e.text.clone())));
    decided.chain(raised).next()
}

/// The lines a change adds to its incident.
fn items(change: &AlarmChange) -> Vec<Item> {
    let decisions = change.decisions.iter().map(|d| Item {
        id: d.id,
        at: d.at,
        kind: ItemKind::Decision,
        text: d.summary.clone(),
        by: None,
        data: json!({
            "outcome": d.outcome,
            "event_id": d.event_id,
            "event_type": d.event_type,
            "device_id": d.device_id,
            "signal": d.signal,
            "reasons": d.reasons,
            "facts": d.facts,
        }),
    });
    let entries = change.entries.iter().filter(|e| !e.monitoring_only).map(|e| Item {
        id: e.id,
        at: e.at,
        kind: match e.kind {
            EntryKind::Signal => ItemKind::Signal,
            EntryKind::Transition => ItemKind::Transition,
        },
        text: match (&e.from, &e.to) {
            (Some(from), Some(to)) if from != to => format!("{from} \u{2192} {to}: {}", e.text),
            _ => e.text.clone(),
        },
        by: e.by.clone(),
        data: json!({
            "code": e.code,
            "qualifier": e.qualifier,
            "zone": e.zone,
            "dispatch": e.dispatch,
            "to": e.to,
        }),
    });
    decisions.chain(entries).collect()
}

/// How often a change to an incident is tried again when another came first.
const ATTEMPTS: usize = 8;

/// Opens or adds to the home's incident.
async fn incidents(ctx: &SecurityCtx, change: &AlarmChange) -> Result<(), FnError> {
    // Activity in a disarmed home that changed nothing of its alarm belongs to no incident.
    let quiet = change.entries.is_empty() && change.decisions.iter().all(|d| d.outcome == Outcome::Log);
    if quiet && change.state == "disarmed" {
        return Ok(());
    }
    let opens = opener(change);
    let lines = items(change);
    if lines.is_empty() {
        return Ok(());
    }
    for _ in 0..ATTEMPTS {
        // A wellness check is its own incident: an alarm neither joins nor ends it.
        let active: Vec<Incident> = ctx
            .security
            .active_incidents(change.user_id)
            .await?
            .into_iter()
            .filter(|i| i.kind != IncidentKind::Wellness)
            .collect();
        // A new alarm after the last one was disarmed is a new incident; its aftermath is not.
        let running = active.iter().find(|i| i.ended_at.is_none());
        let current = match (running, &opens) {
            (Some(i), _) => Some(i.clone()),
            (None, Some(_)) => None,
            (None, None) => active.iter().find(|i| i.live(change.at)).cloned(),
        };
        let (mut incident, new) = match (current, &opens) {
            (Some(i), _) => (i, false),
            (None, Some((kind, cause, at, where_))) => {
                (Incident::open(change.user_id, *kind, *cause, where_, *at), true)
            }
            (None, None) => return Ok(()),
        };
        let before = incident.clone();
        if let Some((kind, _, _, where_)) = &opens {
            incident.escalate(*kind, where_);
        }
        for line in &lines {
            incident.add(line.clone());
        }
        for d in change.decisions.iter().filter(|d| d.outcome != Outcome::Log || d.facts.zone_armed) {
            if d.outcome != Outcome::Trouble {
                incident.walked(d.device_id, &d.device_name, d.at);
            }
        }
        if change.state == "disarmed" && incident.ended_at.is_none() {
            incident.ended_at = Some(change.at);
        }
        let told = if new { Some(tell_household(&incident, ctx.clock.now())) } else { None };
        if let Some(n) = &told {
            incident.add(Item {
                id: n.id,
                at: n.created_at,
                kind: ItemKind::Notification,
                text: format!("the household was told: {}", n.title),
                by: None,
                data: json!({ "notification_id": n.id, "severity": n.severity }),
            });
        }
        if incident == before {
            return Ok(());
        }
        incident.version += 1;
        if ctx.security.save_incident(&incident).await? {
            if let Some(n) = told {
                ctx.bus.publish(vec![bus::notification_message(&n)?]).await?;
                tracing::warn!(user_id = %incident.user_id, incident_id = %incident.id, kind = incident.kind.as_str(), "incident opened");
            }
            if let Some(kind) = playbook::pending(&incident) {
                let lines = playbook::run(ctx, &incident, kind).await?;
                update(ctx, incident.id, |i| {
                    for l in &lines {
                        i.add(l.clone());
                    }
                })
                .await?;
            }
            return Ok(());
        }
    }
    Err(busy())
}

/// Another change kept coming first: the caller (or the bus) tries again.
fn busy() -> FnError {
    FnError { retryable: true, ..FnError::new(ErrorCode::ServiceUnavailable, "The incident is changing; try again") }
}

/// Changes an incident over whatever changed it meanwhile (`f` is applied
/// again to the newer one).
async fn update(ctx: &SecurityCtx, id: Uuid, f: impl Fn(&mut Incident)) -> Result<(), FnError> {
    saved(ctx, id, |i| {
        f(i);
        Ok(())
    })
    .await
    .map(drop)
}

/// Applies `f` to incident `id` as stored and saves it over the version it
/// was read at, starting again from the newer one when another change was
/// saved first (so `f` must only change the incident it is given). None:
/// there is no such incident.
async fn saved(
    ctx: &SecurityCtx,
    id: Uuid,
    f: impl Fn(&mut Incident) -> Result<(), FnError>,
) -> Result<Option<Incident>, FnError> {
    for _ in 0..ATTEMPTS {
        let Some(mut incident) = ctx.security.incident(id).await? else { return Ok(None) };
        let before = incident.clone();
        f(&mut incident)?;
        if incident == before {
            return Ok(Some(incident));
        }
        incident.version += 1;
        if ctx.security.save_incident(&incident).await? {
            tracing::info!(user_id = %incident.user_id, incident_id = %id, status = incident.status.as_str(), "incident changed");
            return Ok(Some(incident));
        }
    }
    Err(busy())
}

/// How often the escalation looks for incidents nobody acknowledged.
pub const ESCALATION: std::time::Duration = std::time::Duration::from_secs(5);

/// The escalation's clock: an open incident nobody acknowledged within
/// [`homeguard_domain::incident::CONTACTS_AFTER`], with the alarm still
/// standing, goes to the emergency contacts (unless its playbook told them).
pub async fn escalate(ctx: &SecurityCtx) -> Result<(), FnError> {
    wellness::check(ctx).await?;
    let now = ctx.clock.now();
    let q = IncidentQuery { user_id: None, status: Some(IncidentStatus::Open), before: None, limit: MAX_PAGE };
    for incident in ctx.security.incidents(&q).await?.into_iter().filter(|i| i.contacts_due(now)) {
        let told =
            incident.timeline.iter().any(|t| t.data.get("party").and_then(Value::as_str) == Some("emergency_contacts"));
        let mut lines = vec![];
        if !told {
            let minutes = incident.kind.contacts_after().num_minutes();
            lines.push(Item {
                id: Uuid::new_v5(&incident.id, b"escalated"),
                at: now,
                kind: ItemKind::Action,
                text: format!("nobody acknowledged it within {minutes} min: the emergency contacts are told"),
                by: None,
                data: json!({ "step": "notify_contacts", "status": "escalated" }),
            });
            lines.extend(playbook::contacts(ctx, &incident).await?);
            tracing::warn!(user_id = %incident.user_id, incident_id = %incident.id, "incident escalated to the emergency contacts");
        }
        update(ctx, incident.id, |i| {
            for l in &lines {
                i.add(l.clone());
            }
            i.contacts_due_at = None;
        })
        .await?;
    }
    Ok(())
}

/// The household's first notice of an incident: on every channel, never held.
fn tell_household(i: &Incident, now: DateTime<Utc>) -> Notification {
    let body = match i.kind {
        IncidentKind::Fire => "Fire alarm at home. Get everyone out; the fire service is being told.".to_owned(),
        _ => format!("{}. Open HomeGuard to acknowledge, or disarm if it is you.", i.title),
    };
    Notification::new(
        Uuid::new_v5(&i.id, b"household"),
        i.user_id,
        Source::Alarm,
        Some(i.id),
        i.title.clone(),
        body,
        i.severity.max(Severity::High),
        now,
    )
    .on(vec!["email".into(), "webhook".into()])
    .acknowledging(i.id)
}

/// The most a page holds.
pub const MAX_PAGE: usize = 200;

fn page_limit(limit: Option<usize>) -> Result<usize, FnError> {
    let limit = limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(FnError::invalid("limit", format!("must be from 1 to {MAX_PAGE}")));
    }
    Ok(limit)
}

/// The home a listing reads: the caller's, or for an admin another's (or every home's).
fn listed_home(caller: &Caller, user_id: Option<Uuid>) -> Result<Option<Uuid>, FnError> {
    match user_id {
        Some(u) if u != caller.user_id => {
            caller.require_admin()?;
            Ok(Some(u))
        }
        Some(u) => Ok(Some(u)),
        None if caller.is_admin() => Ok(None),
        None => Ok(Some(caller.user_id)),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionsQuery {
    pub user_id: Option<Uuid>,
    pub outcome: Option<String>,
    pub before: Option<homeguard_domain::page::Cursor>,
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct Decisions {
    pub decisions: Vec<Decision>,
    /// Pass as `before` for the next page (a cursor: the last one's time and id).
    pub next_before: Option<homeguard_domain::page::Cursor>,
}

/// `GET /security/decisions`: newest first; `outcome` filters.
pub async fn decisions(ctx: &SecurityCtx, caller: &Caller, q: DecisionsQuery) -> Result<Decisions, FnError> {
    let limit = page_limit(q.limit)?;
    let outcome = match q.outcome.as_deref() {
        None => None,
        Some(s) => Some(Outcome::parse(s).ok_or_else(|| {
            FnError::invalid(
                "outcome",
                format!("unknown outcome '{s}' (alarm, verified_alarm, suppress, trouble, log)"),
            )
        })?),
    };
    let query = DecisionQuery { user_id: listed_home(caller, q.user_id)?, outcome, before: q.before, limit };
    let decisions = ctx.security.decisions(&query).await?;
    let next_before = (decisions.len() == limit)
        .then(|| decisions.last().map(|d| homeguard_domain::page::Cursor::after(d.at, d.id)))
        .flatten();
    Ok(Decisions { decisions, next_before })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentsQuery {
    pub user_id: Option<Uuid>,
    pub status: Option<String>,
    pub before: Option<homeguard_domain::page::Cursor>,
    pub limit: Option<usize>,
}

/// An incident in a listing: without its timeline.
#[derive(Debug, Serialize)]
pub struct IncidentSummary {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: IncidentKind,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub title: String,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub events: usize,
}

impl From<&Incident> for IncidentSummary {
    fn from(i: &Incident) -> Self {
        Self {
            id: i.id,
            user_id: i.user_id,
            kind: i.kind,
            severity: i.severity,
            status: i.status,
            title: i.title.clone(),
            opened_at: i.opened_at,
            updated_at: i.updated_at,
            ended_at: i.ended_at,
            acknowledged_by: i.acknowledged_by.clone(),
            events: i.timeline.len(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Incidents {
    pub incidents: Vec<IncidentSummary>,
    pub next_before: Option<homeguard_domain::page::Cursor>,
}

/// `GET /incidents`: newest first; `status` filters.
pub async fn list(ctx: &SecurityCtx, caller: &Caller, q: IncidentsQuery) -> Result<Incidents, FnError> {
    let limit = page_limit(q.limit)?;
    let status = q.status.as_deref().map(|s| IncidentStatus::parse("status", s)).transpose()?;
    let query = IncidentQuery { user_id: listed_home(caller, q.user_id)?, status, before: q.before, limit };
    let found = ctx.security.incidents(&query).await?;
    let next_before = (found.len() == limit)
        .then(|| found.last().map(|i| homeguard_domain::page::Cursor::after(i.opened_at, i.id)))
        .flatten();
    Ok(Incidents { incidents: found.iter().map(IncidentSummary::from).collect(), next_before })
}

/// The incident, if the caller may see it (another home's is not found).
async fn owned(ctx: &SecurityCtx, caller: &Caller, id: Uuid) -> Result<Incident, FnError> {
    match ctx.security.incident(id).await? {
        Some(i) if i.user_id == caller.user_id || caller.is_admin() => Ok(i),
        _ => Err(not_found(id)),
    }
}

/// `GET /incidents/{id}`: the incident whole, each signal sent to
/// monitoring with what the central station answered.
pub async fn get_one(ctx: &SecurityCtx, caller: &Caller, id: Uuid) -> Result<Value, FnError> {
    let mut incident = owned(ctx, caller, id).await?;
    for item in incident.timeline.iter_mut().filter(|i| i.kind == ItemKind::Signal) {
        if item.data.get("dispatch") == Some(&Value::Bool(true))
            && let Some(r) = ctx.reports.get(item.id).await?
            && let Some(data) = item.data.as_object_mut()
        {
            data.insert(
                "monitoring".into(),
                json!({ "status": r.status, "attempts": r.attempts, "detail": r.detail, "sent_at": r.sent_at }),
            );
        }
    }
    Ok(serde_json::to_value(incident).unwrap_or(Value::Null))
}

async fn person(ctx: &SecurityCtx, caller: &Caller) -> Result<String, FnError> {
    Ok(ctx.users.get(caller.user_id).await?.map(|u| u.name).unwrap_or_else(|| "an admin".into()))
}

fn not_found(id: Uuid) -> FnError {
    FnError::new(ErrorCode::NotFound, format!("Incident {id} not found"))
}

/// Changes an incident the caller may see, over the version it was read at.
async fn change(
    ctx: &SecurityCtx,
    caller: &Caller,
    id: Uuid,
    f: impl Fn(&mut Incident, &str, DateTime<Utc>) -> Result<(), FnError>,
) -> Result<IncidentSummary, FnError> {
    let by = person(ctx, caller).await?;
    let mine = |i: &mut Incident| {
        if !caller.can_access(i.user_id) {
            return Err(not_found(id));
        }
        f(i, &by, ctx.clock.now())
    };
    saved(ctx, id, mine).await?.map(|i| IncidentSummary::from(&i)).ok_or_else(|| not_found(id))
}

/// The incident an acknowledgement link is for, and whom it was sent to.
#[derive(Debug, Serialize)]
pub struct LinkView {
    pub incident: IncidentSummary,
    pub by: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkQuery {
    pub token: String,
}

/// An acknowledgement link's incident, checked: signed by us, not expired,
/// and for an incident of the home it names.
async fn linked(ctx: &SecurityCtx, token: &str) -> Result<(homeguard_runtime::auth::AckClaims, Incident), FnError> {
    let claims = homeguard_runtime::auth::verify_ack(&ctx.auth, token, ctx.clock.wall())?;
    match ctx.security.incident(claims.inc).await? {
        Some(i) if i.user_id == claims.sub => Ok((claims, i)),
        _ => Err(not_found(claims.inc)),
    }
}

/// `GET /incidents/acknowledge?token=`: what a link in an alarm's e-mail
/// would acknowledge (the app shows it before the person confirms).
pub async fn link(ctx: &SecurityCtx, token: &str) -> Result<LinkView, FnError> {
    let (claims, incident) = linked(ctx, token).await?;
    Ok(LinkView { incident: IncidentSummary::from(&incident), by: claims.by })
}

/// `POST /incidents/acknowledge` with the link's token: acknowledges the
/// incident for the person the link was sent to (no login: the signed link
/// is the proof), which stops its escalation.
pub async fn acknowledge_by_link(ctx: &SecurityCtx, token: &str) -> Result<LinkView, FnError> {
    let (claims, incident) = linked(ctx, token).await?;
    let by = claims.by.as_str();
    let saved = saved(ctx, incident.id, |i| Ok(i.acknowledge(by, ctx.clock.now())?)).await?;
    let incident = saved.ok_or_else(|| not_found(incident.id))?;
    tracing::info!(user_id = %incident.user_id, incident_id = %incident.id, "incident acknowledged from a link");
    Ok(LinkView { incident: IncidentSummary::from(&incident), by: claims.by })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    pub outcome: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    pub format: Option<String>,
}

/// `GET /incidents/{id}/report`: Markdown (`format=md`, the default) or a page (`html`).
pub async fn report(
    ctx: &SecurityCtx,
    caller: &Caller,
    id: Uuid,
    q: ReportQuery,
) -> Result<axum::response::Response, FnError> {
    let incident = owned(ctx, caller, id).await?;
    let tz = ctx.homes.get(incident.user_id).await?.map(|h| h.tz()).unwrap_or(chrono_tz::Tz::UTC);
    let disposition = |ext: &str| format!("inline; filename=\"incident-{id}.{ext}\"");
    match q.format.as_deref().unwrap_or("md") {
        "md" | "markdown" => Ok((
            [
                (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, disposition("md")),
            ],
            incident.markdown(tz),
        )
            .into_response()),
        "html" => Ok((
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, disposition("html")),
                (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'".to_owned()),
            ],
            incident.html(tz),
        )
            .into_response()),
        other => Err(FnError::invalid("format", format!("unknown format '{other}' (md, html)"))),
    }
}

/// One playbook as the household sees it.
#[derive(Debug, Serialize)]
pub struct PlaybookView {
    pub kind: PlaybookKind,
    pub steps: Vec<Step>,
    /// Every step it may take, in words.
    pub available: Vec<StepView>,
    /// What happens besides, whatever the steps.
    pub always: &'static str,
}

#[derive(Debug, Serialize)]
pub struct StepView {
    pub step: Step,
    pub words: &'static str,
}

#[derive(Debug, Serialize)]
pub struct PlaybooksView {
    pub playbooks: Vec<PlaybookView>,
}

fn playbooks_view(p: &Playbooks) -> PlaybooksView {
    PlaybooksView {
        playbooks: PlaybookKind::ALL
            .into_iter()
            .map(|kind| PlaybookView {
                kind,
                steps: p.steps(kind),
                available: kind.available().iter().map(|s| StepView { step: *s, words: s.words() }).collect(),
                always: kind.always(),
            })
            .collect(),
    }
}

/// `GET /security/playbooks`: the caller's home's.
pub async fn get_playbooks(ctx: &SecurityCtx, caller: &Caller) -> Result<PlaybooksView, FnError> {
    let home = ctx.homes.get(caller.user_id).await?;
    Ok(playbooks_view(&home.map(|h| h.playbooks).unwrap_or_default()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookBody {
    pub steps: Vec<String>,
}

/// `PUT /security/playbooks/{kind}`: the steps it takes, each named when refused.
pub async fn put_playbook(
    ctx: &SecurityCtx,
    caller: &Caller,
    kind: &str,
    body: PlaybookBody,
) -> Result<PlaybooksView, FnError> {
    let kind = PlaybookKind::parse(kind)?;
    let mut steps = vec![];
    for (i, s) in body.steps.iter().enumerate() {
        let step: Step = serde_json::from_value(Value::String(s.clone())).map_err(|_| {
            let names: Vec<&str> = kind.available().iter().map(|s| s.as_str()).collect();
            FnError::invalid(&format!("steps[{i}]"), format!("unknown step '{s}' ({})", names.join(", ")))
        })?;
        steps.push(step);
    }
    let now = ctx.clock.now();
    let mut home = match ctx.homes.get(caller.user_id).await? {
        Some(h) => h,
        None => homeguard_domain::home::Home::new(caller.user_id, "UTC", now)?,
    };
    home.playbooks.set(kind, steps)?;
    home.updated_at = now;
    ctx.homes.put(&home).await?;
    tracing::info!(user_id = %caller.user_id, playbook = kind.as_str(), "playbook changed");
    Ok(playbooks_view(&home.playbooks))
}

type S = State<Arc<SecurityCtx>>;

fn routes(_: &Arc<SecurityCtx>) -> Router<Arc<SecurityCtx>> {
    Router::new()
        .route("/security/playbooks", get(|State(ctx): S, c: Caller| async move { get_playbooks(&ctx, &c).await.map(axum::Json) }))
        .route(
            "/security/playbooks/{kind}",
            axum::routing::put(|State(ctx): S, c: Caller, Path(kind): Path<String>, Json(body): Json<PlaybookBody>| async move {
                put_playbook(&ctx, &c, &kind, body).await.map(axum::Json)
            }),
        )
        .route(
            "/security/wellness",
            get(|State(ctx): S, c: Caller| async move { wellness::get(&ctx, &c).await.map(axum::Json) }).put(
                |State(ctx): S, c: Caller, Json(body): Json<homeguard_domain::wellness::WellnessInput>| async move {
                    wellness::put(&ctx, &c, body).await.map(axum::Json)
                },
            ),
        )
        .route(
            "/security/decisions",
            get(|State(ctx): S, c: Caller, Query(q): Query<DecisionsQuery>| async move {
                decisions(&ctx, &c, q).await.map(axum::Json)
            }),
        )
        .route(
            "/incidents",
            get(|State(ctx): S, c: Caller, Query(q): Query<IncidentsQuery>| async move {
                list(&ctx, &c, q).await.map(axum::Json)
            }),
        )
        .route(
            "/incidents/acknowledge",
            get(|State(ctx): S, Query(q): Query<LinkQuery>| async move { link(&ctx, &q.token).await.map(axum::Json) })
                .post(|State(ctx): S, Json(q): Json<LinkQuery>| async move {
                    acknowledge_by_link(&ctx, &q.token).await.map(axum::Json)
                }),
        )
        .route(
            "/incidents/{id}",
            get(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                get_one(&ctx, &c, id).await.map(axum::Json)
            }),
        )
        .route(
            "/incidents/{id}/acknowledge",
            post(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                change(&ctx, &c, id, |i, by, now| Ok(i.acknowledge(by, now)?)).await.map(axum::Json)
            }),
        )
        .route(
            "/incidents/{id}/resolve",
            post(|State(ctx): S, c: Caller, Path(id): Path<Uuid>, Json(body): Json<ResolveBody>| async move {
                let outcome = IncidentStatus::parse("outcome", &body.outcome)?;
                change(&ctx, &c, id, |i, by, now| Ok(i.resolve(outcome, body.note.clone(), by, now)?))
                    .await
                    .map(axum::Json)
            }),
        )
        .route(
            "/incidents/{id}/report",
            get(|State(ctx): S, c: Caller, Path(id): Path<Uuid>, Query(q): Query<ReportQuery>| async move {
                report(&ctx, &c, id, q).await
            }),
        )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use homeguard_domain::alarm::ZoneType;
    use homeguard_domain::security::{Facts, Reason};

    use super::*;

    fn entry(code: u16, qualifier: Qualifier, monitoring_only: bool) -> LogEntry {
        LogEntry {
            id: Uuid::new_v4(),
            user_id: Uuid::nil(),
            at: Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap(),
            kind: EntryKind::Signal,
            code: Some(code),
            qualifier: Some(qualifier),
            text: format!("signal {code}"),
            from: None,
            to: None,
            zone: None,
            by: None,
            dispatch: true,
            monitoring_only,
        }
    }

    fn decision(outcome: Outcome, signal: Option<u16>) -> Decision {
        let event_id = Uuid::new_v4();
        Decision {
            id: Decision::id_for(event_id),
            user_id: Uuid::nil(),
            event_id,
            event_type: homeguard_domain::EventType::GlassBreak,
            device_id: Uuid::new_v4(),
            device_name: "Back Window Sensor".into(),
            at: Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap(),
            outcome,
            summary: "Alarm: Back Window Sensor".into(),
            reasons: vec![Reason { code: "alarm".into(), text: "a breach".into() }],
            facts: Facts {
                arm_state: "armed_away".into(),
                mode: "away".into(),
                zone_type: ZoneType::PerimeterInstant,
                zone_armed: true,
                local_time: "02:00".into(),
                night: true,
                cross_zone_seconds: 20,
                ..Facts::default()
            },
            signal,
            notify: None,
            recorded_at: None,
        }
    }

    fn change(entries: Vec<LogEntry>, decisions: Vec<Decision>) -> AlarmChange {
        AlarmChange { user_id: Uuid::nil(), at: Utc::now(), state: "triggered".into(), entries, decisions }
    }

    #[test]
    fn alarms_open_incidents_and_nothing_the_household_must_not_see_does() {
        let alarm = decision(Outcome::Alarm, Some(131));
        let (kind, cause, _, where_) = opener(&change(vec![], vec![alarm.clone()])).unwrap();
        assert_eq!((kind, cause, where_.as_str()), (IncidentKind::Burglary, alarm.id, "Back Window Sensor"));
        assert_eq!(opener(&change(vec![], vec![decision(Outcome::Alarm, Some(110))])).unwrap().0, IncidentKind::Fire);
        // The entry delay running out opens one on its own; duress never does; a restore or a trouble neither.
        assert_eq!(
            opener(&change(vec![entry(134, Qualifier::Event, false)], vec![])).unwrap().0,
            IncidentKind::Burglary
        );
        assert!(opener(&change(vec![entry(121, Qualifier::Event, true)], vec![])).is_none());
        assert!(opener(&change(vec![entry(131, Qualifier::Restore, false)], vec![])).is_none());
        assert!(opener(&change(vec![entry(384, Qualifier::Event, false)], vec![])).is_none());
        assert!(opener(&change(vec![], vec![decision(Outcome::Suppress, Some(132))])).is_none());
        // What a change adds: every decision, and every entry but what only monitoring sees.
        let lines =
            items(&change(vec![entry(131, Qualifier::Event, false), entry(121, Qualifier::Event, true)], vec![alarm]));
        let kinds: Vec<ItemKind> = lines.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, [ItemKind::Decision, ItemKind::Signal]);
        assert_eq!(lines[0].data["reasons"][0]["text"], "a breach");
    }
}
