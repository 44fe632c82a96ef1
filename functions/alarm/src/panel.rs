//! The panel's endpoints, its judgement of device events and its clock.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use homeguard_domain::alarm::record::Household;
use homeguard_domain::alarm::record::guest_refused;
use homeguard_domain::alarm::{Actor, AlarmRecord, ArmMode, Step, Transition, codes};
use homeguard_domain::home::{Code, CodeKind, GuestStatus};
use homeguard_domain::security::{self, Decision, Outcome, PetFact};
use homeguard_domain::{ErrorCode, Event, HomeMode};
use homeguard_runtime::{Caller, FnError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::AlarmCtx;
use homeguard_usecases::alarm::{AlarmView, EntryView, change, change_with, entry_view, home_of, load, view};

pub async fn get_alarm(ctx: &AlarmCtx, home: Uuid) -> Result<AlarmView, FnError> {
    let l = load(ctx, home).await?;
    Ok(view(&l, ctx.clock.now()))
}

/// The account acting in the app, by name.
async fn app_actor(ctx: &AlarmCtx, caller: &Caller) -> Result<Actor, FnError> {
    let name = ctx.users.get(caller.user_id).await?.map(|u| u.name).unwrap_or_else(|| "an admin".into());
    Ok(Actor { id: caller.user_id, name })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmBody {
    pub mode: String,
    #[serde(default)]
    pub bypass: Vec<Uuid>,
    #[serde(default)]
    pub force: bool,
}

/// `POST /home/alarm/arm`: no code is needed to arm.
pub async fn arm(ctx: &AlarmCtx, caller: &Caller, home: Uuid, body: ArmBody) -> Result<AlarmView, FnError> {
    let mode = ArmMode::parse(&body.mode)?;
    let by = app_actor(ctx, caller).await?;
    let (l, ()) = change(ctx, home, Some(&by), |r, l, now| {
        let step = r.arm(&l.home, &l.zones, mode, &body.bypass, body.force, Some(&by), now)?;
        Ok((step, ()))
    })
    .await?;
    tracing::info!(user_id = %home, mode = mode.as_str(), "arming");
    Ok(view(&l, ctx.clock.now()))
}

/// `POST /home/alarm/panic`.
pub async fn panic(ctx: &AlarmCtx, caller: &Caller, home: Uuid) -> Result<AlarmView, FnError> {
    let by = app_actor(ctx, caller).await?;
    let (l, ()) = change(ctx, home, Some(&by), |r, l, now| Ok((r.panic(&l.home, Some(&by), now), ()))).await?;
    tracing::warn!(user_id = %home, "panic");
    Ok(view(&l, ctx.clock.now()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    pub code: String,
}

/// What a code is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Disarm,
    ChangeMode,
}

fn locked_out(until: DateTime<Utc>, now: DateTime<Utc>) -> FnError {
    let seconds = (until - now).num_seconds().max(1);
    FnError::new(ErrorCode::LockedOut, format!("Too many wrong codes; try again in {} min", (seconds + 59) / 60))
        .with_details(json!({
            "retry_after_seconds": seconds,
            "locked_until": until.to_rfc3339_opts(SecondsFormat::Secs, true),
        }))
}

/// The code of the home `code` is, checked for `need`: a wrong one counts
/// toward the lockout; a guest's works inside its window (and once, if
/// single use), and is refused and logged outside it.
async fn check_code(ctx: &AlarmCtx, home: Uuid, code: &str, need: Need) -> Result<(Code, Actor), FnError> {
    codes::check_form(code)?;
    let now = ctx.clock.now();
    if let Some(until) = ctx.alarm.load(home).await?.and_then(|r| r.locked(now)) {
        return Err(locked_out(until, now));
    }
    let hash = homeguard_runtime::auth::code_hash(&ctx.auth, home, code);
    let Some(found) = ctx.homes.find_code(home, &[hash]).await? else {
        let (_, locked) = change(ctx, home, None, |r, _, now| Ok((r.wrong_code(now), r.locked(now)))).await?;
        tracing::info!(user_id = %home, "a wrong alarm code");
        return Err(match locked {
            Some(until) => locked_out(until, now),
            None => FnError::new(ErrorCode::InvalidCode, "Wrong code"),
        });
    };
    let actor = Actor { id: found.id, name: found.name.clone() };
    if let Some(window) = &found.guest {
        let status = window.status(now);
        let usable =
            status == GuestStatus::Active && (!window.single_use || ctx.homes.use_code(home, found.id, now).await?);
        if !usable {
            let why = match status {
                GuestStatus::Scheduled => "not valid yet",
                GuestStatus::Expired => "expired",
                GuestStatus::Used | GuestStatus::Active => "used already",
            };
            change(ctx, home, Some(&actor), |_, _, now| Ok((guest_refused(&actor, why, now), ()))).await?;
            tracing::info!(user_id = %home, guest = %found.id, why, "a guest code refused");
            return Err(FnError::new(ErrorCode::InvalidCode, format!("{}'s guest code is {why}", found.name))
                .with_details(json!({ "starts_at": window.starts_at, "ends_at": window.ends_at })));
        }
    }
    let allowed = match need {
        Need::Disarm => found.permissions.disarm,
        Need::ChangeMode => found.permissions.change_mode,
    };
    if !allowed {
        let what = if need == Need::Disarm { "disarm" } else { "lower the home's mode" };
        return Err(FnError::forbidden(format!("{}'s code may not {what}", found.name)));
    }
    let actor = match found.kind {
        CodeKind::Guest => Actor { id: found.id, name: format!("{} (guest)", found.name) },
        _ => actor,
    };
    Ok((found, actor))
}

/// `POST /home/alarm/disarm`. A duress code answers exactly as its
/// member's code does; only monitoring hears of it.
pub async fn disarm(ctx: &AlarmCtx, home: Uuid, body: CodeBody) -> Result<AlarmView, FnError> {
    let (code, by) = check_code(ctx, home, &body.code, Need::Disarm).await?;
    let duress = code.kind == CodeKind::Duress;
    let (l, ()) = change(ctx, home, Some(&by), |r, _, now| {
        r.right_code();
        Ok((r.disarm(Some(&by), duress, now), ()))
    })
    .await?;
    tracing::info!(user_id = %home, code_id = %by.id, "disarmed");
    Ok(view(&l, ctx.clock.now()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeBody {
    pub mode: String,
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub code: Option<String>,
}

/// `POST /home/mode`: up needs no code; down (to a less guarded mode) does.
pub async fn set_mode(ctx: &AlarmCtx, caller: &Caller, home: Uuid, body: ModeBody) -> Result<AlarmView, FnError> {
    let mode = HomeMode::parse(&body.mode)?;
    let current = ctx.alarm.load(home).await?.unwrap_or_else(|| AlarmRecord::new(home, ctx.clock.now()));
    let by = if current.is_downward(mode) {
        let Some(code) = &body.code else {
            return Err(FnError::new(
                ErrorCode::CodeRequired,
                format!("Changing from {} to {} needs a code", current.mode.as_str(), mode.as_str()),
            ));
        };
        check_code(ctx, home, code, Need::ChangeMode).await?.1
    } else {
        app_actor(ctx, caller).await?
    };
    let (l, ()) = change(ctx, home, Some(&by), |r, l, now| {
        if r.is_downward(mode) && body.code.is_none() {
            return Err(FnError::new(ErrorCode::CodeRequired, "The mode changed meanwhile; this change needs a code"));
        }
        r.right_code();
        Ok((r.set_mode(&l.home, &l.zones, mode, body.until, false, Some(&by), now)?, ()))
    })
    .await?;
    tracing::info!(user_id = %home, mode = mode.as_str(), "home mode changed");
    Ok(view(&l, ctx.clock.now()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    pub user_id: Option<Uuid>,
    pub limit: Option<usize>,
    pub before: Option<homeguard_domain::page::Cursor>,
}

#[derive(Debug, Serialize)]
pub struct History {
    pub entries: Vec<EntryView>,
    /// Pass as `before` for the older entries (none: this was the last page).
    pub next_before: Option<homeguard_domain::page::Cursor>,
}

/// The most entries one page holds.
pub const MAX_HISTORY: usize = 200;

/// `GET /home/alarm/history`: newest first. What only monitoring sees
/// (duress) is shown to admins alone.
pub async fn history(ctx: &AlarmCtx, caller: &Caller, home: Uuid, q: &HistoryQuery) -> Result<History, FnError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_HISTORY).contains(&limit) {
        return Err(FnError::invalid("limit", format!("must be from 1 to {MAX_HISTORY}")));
    }
    let query = homeguard_ports::LogQuery { user_id: home, before: q.before, limit, monitoring: caller.is_admin() };
    let entries = ctx.alarm.log(&query).await?;
    let devices = ctx.devices.list_for_user(home).await?;
    let zones = home_of(ctx, home).await?.zones_of(&devices);
    let next_before = (entries.len() == limit)
        .then(|| entries.last().map(|e| homeguard_domain::page::Cursor::after(e.at, e.id)))
        .flatten();
    Ok(History { entries: entries.iter().map(|e| entry_view(e, &zones, caller.is_admin())).collect(), next_before })
}

/// What the security response weighs of a home's household: its pets,
/// the guests whose code is valid now, and its learned preference about
/// pet motion (the assistant's memory, `alert_preferences`).
async fn household(ctx: &AlarmCtx, home: Uuid) -> Result<Household, FnError> {
    let now = ctx.clock.now();
    // Three reads, at once: this is on the way from a sensor's event to its decision.
    let (pets, guests, learnings) = tokio::try_join!(
        async { ctx.homes.pets(home).await.map_err(FnError::from) },
        async { ctx.homes.codes(home).await.map_err(FnError::from) },
        async { ctx.agent.learnings(home).await.map_err(FnError::from) },
    )?;
    Ok(Household {
        pets: pets.into_iter().map(|p| PetFact { name: p.name, kind: p.kind, size: p.size }).collect(),
        guests: guests
            .into_iter()
            .filter(|c| c.guest.as_ref().is_some_and(|g| g.status(now) == GuestStatus::Active))
            .map(|c| c.name)
            .collect(),
        suppress_pet_motion: learnings
            .get("alert_preferences")
            .and_then(|p| p.get("suppress_pet_motion"))
            .and_then(serde_json::Value::as_bool),
    })
}

/// Judges device events and decides what each means: each home's in one change.
#[tracing::instrument(skip_all, fields(events = events.len()))]
pub async fn on_events(ctx: &AlarmCtx, events: Vec<Event>) -> Result<(), FnError> {
    let mut by_home: BTreeMap<Uuid, Vec<Event>> = BTreeMap::new();
    for e in events.into_iter().filter(|e| security::relevant(e.event_type)) {
        by_home.entry(e.user_id).or_default().push(e);
    }
    for (home, events) in by_home {
        let household = household(ctx, home).await?;
        let judge = |r: &mut AlarmRecord, l: &homeguard_usecases::alarm::Loaded, now| {
            let mut step = Step::default();
            for e in &events {
                let s = r.judge(&l.home, &l.zones, &household, e, now);
                step.transitions.extend(s.transitions);
                step.signals.extend(s.signals);
                step.decisions.extend(s.decisions);
            }
            Ok((step, ()))
        };
        change_with(ctx, home, None, judge, async |decisions: &[Decision]| record(ctx, decisions).await).await?;
    }
    Ok(())
}

/// Records the decisions (each once, in one write), right where they are
/// made: the security response acts on them from `home.alarm`.
async fn record(ctx: &AlarmCtx, decisions: &[Decision]) -> Result<(), FnError> {
    if decisions.is_empty() {
        return Ok(());
    }
    let wall = ctx.clock.wall();
    let recorded: Vec<Decision> = decisions.iter().map(|d| Decision { recorded_at: Some(wall), ..d.clone() }).collect();
    let new = ctx.security.put_decisions(&recorded).await?;
    for d in recorded.iter().filter(|d| new.contains(&d.id)) {
        ctx.metrics
            .counter("security_decisions_total", "Decisions of the security response, by outcome", &["outcome"])
            .with_label_values(&[d.outcome.as_str()])
            .inc();
        if d.outcome == Outcome::Suppress {
            ctx.metrics
                .counter(
                    "agent_false_alarm_prevented_total",
                    "Would-be alarms recognised as false alarms and held back",
                    &[],
                )
                .with_label_values::<&str>(&[])
                .inc();
        }
        if d.outcome != Outcome::Log {
            let reasons: Vec<&str> = d.reasons.iter().map(|r| r.code.as_str()).collect();
            tracing::info!(user_id = %d.user_id, event_id = %d.event_id, outcome = d.outcome.as_str(), reasons = ?reasons, "security decision");
        }
    }
    Ok(())
}

/// The panel's clock. Its first run after a start tells every armed home
/// that the platform restarted (sensors settle before they are judged);
/// every run moves the homes that are due: delays and windows that ran
/// out, modes that ended.
pub async fn tick(ctx: &AlarmCtx, run: u64) -> Result<(), FnError> {
    let now = ctx.clock.now();
    if run == 0 {
        for home in ctx.alarm.armed().await? {
            change(ctx, home, None, |r, _, now| {
                r.restarted(now);
                let state = r.panel.state_name();
                let reason = "the platform restarted: sensors settle for 60 s before they are judged".to_owned();
                Ok((
                    Step {
                        transitions: vec![Transition { from: state.clone(), to: state, reason, at: now }],
                        ..Step::default()
                    },
                    (),
                ))
            })
            .await?;
        }
    }
    for home in ctx.alarm.due(now).await? {
        change(ctx, home, None, |r, l, now| Ok((r.tick(&l.home, &l.zones, now), ()))).await?;
    }
    Ok(())
}
