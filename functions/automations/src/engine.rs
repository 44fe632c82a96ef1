//! The rule engine: what comes in (device events, the alarm's signals and
//! mode changes) against each enabled rule of the home, and the firing of
//! those whose trigger and conditions hold: once per (rule, input).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Timelike, Utc};
use homeguard_domain::alarm::{Actor, EntryKind, LogEntry};
use homeguard_domain::automation::{
    ActionOutcome, Automation, AutomationAction, AutomationRun, AutomationTrigger, Input, RunStatus, Situation, Watch,
    render, run_id,
};
use homeguard_domain::notification::{Notification, Source};
use homeguard_domain::{Device, Event, HomeMode, Role};
use homeguard_runtime::{Caller, FnError, bus};
use homeguard_usecases::alarm;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::AutomationsCtx;

/// A change of a home's alarm as `home.alarm` carries it.
#[derive(Debug, Clone, Deserialize)]
pub struct AlarmChange {
    pub user_id: Uuid,
    pub state: String,
    pub mode: HomeMode,
    #[serde(default)]
    pub entries: Vec<LogEntry>,
}

/// What one home's rules are judged with.
struct Home {
    user_id: Uuid,
    rules: Vec<Automation>,
    devices: Vec<Device>,
    tz: chrono_tz::Tz,
}

/// The home's enabled rules that `wanted` picks, with its devices and time
/// zone; none (and nothing more read) when no rule is picked.
async fn home(ctx: &AutomationsCtx, user_id: Uuid, wanted: fn(&Automation) -> bool) -> Result<Option<Home>, FnError> {
    let rules: Vec<Automation> =
        ctx.automations.list_for_user(user_id).await?.into_iter().filter(|a| a.enabled && wanted(a)).collect();
    if rules.is_empty() {
        return Ok(None);
    }
    home_with(ctx, user_id, rules).await.map(Some)
}

/// A home judged by `rules`: its devices and time zone read for them.
async fn home_with(ctx: &AutomationsCtx, user_id: Uuid, rules: Vec<Automation>) -> Result<Home, FnError> {
    let devices = ctx.devices.list_for_user(user_id).await?;
    let tz = ctx.homes.get(user_id).await?.map_or(chrono_tz::Tz::UTC, |h| h.tz());
    Ok(Home { user_id, rules, devices, tz })
}

/// The alarm's state and the home's mode now.
async fn alarm_now(ctx: &AutomationsCtx, user: Uuid) -> Result<(String, HomeMode), FnError> {
    Ok(match ctx.alarm.load(user).await? {
        Some(r) => (r.panel.state_name(), r.mode),
        None => ("disarmed".into(), HomeMode::Home),
    })
}

/// The state of the devices the home's rules' conditions read.
async fn states_for(
    ctx: &AutomationsCtx,
    rules: &[Automation],
) -> Result<BTreeMap<Uuid, homeguard_domain::DeviceState>, FnError> {
    let ids: Vec<Uuid> =
        rules.iter().filter_map(|r| r.trigger.conditions().device_state.as_ref().map(|c| c.device_id)).collect();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(ids.iter().copied().zip(ctx.state.get_many(&ids).await?).collect())
}

/// Judges device events: each home's in turn, each event against each rule.
#[tracing::instrument(skip_all, fields(events = events.len()))]
pub async fn on_events(ctx: &AutomationsCtx, events: Vec<Event>) -> Result<(), FnError> {
    let mut by_home: BTreeMap<Uuid, Vec<&Event>> = BTreeMap::new();
    for e in &events {
        by_home.entry(e.user_id).or_default().push(e);
    }
    for (user, events) in by_home {
        let Some(h) = home(ctx, user, |_| true).await? else { continue };
        let (arm_state, mode) = alarm_now(ctx, user).await?;
        let states = states_for(ctx, &h.rules).await?;
        for e in events {
            let Some(device) = h.devices.iter().find(|d| d.device_id == e.device_id) else { continue };
            let input = Input::Event { event: e, device };
            let s = Situation::at(e.timestamp.with_timezone(&h.tz), &arm_state, mode, &states);
            run_rules(ctx, &h, &input, &s).await?;
            watch(ctx, &h, e, device).await?;
        }
    }
    Ok(())
}

/// Judges the alarm's signals and mode changes (never what only monitoring sees).
#[tracing::instrument(skip_all, fields(changes = changes.len()))]
pub async fn on_alarm(ctx: &AutomationsCtx, changes: Vec<AlarmChange>) -> Result<(), FnError> {
    for change in changes {
        let Some(h) = home(ctx, change.user_id, |_| true).await? else { continue };
        let states = states_for(ctx, &h.rules).await?;
        for entry in change.entries.iter().filter(|e| !e.monitoring_only) {
            let input = match (entry.kind, entry.code, entry.to.as_deref().and_then(|t| t.strip_prefix("mode:"))) {
                (EntryKind::Signal, Some(code), _) => Input::Signal { code, id: entry.id, at: entry.at },
                (EntryKind::Transition, _, Some(mode)) => match HomeMode::parse(mode) {
                    Ok(to) => Input::Mode { to, id: entry.id, at: entry.at },
                    Err(_) => continue,
                },
                _ => continue,
            };
            let s = Situation::at(entry.at.with_timezone(&h.tz), &change.state, change.mode, &states);
            run_rules(ctx, &h, &input, &s).await?;
        }
    }
    Ok(())
}

/// Schedules: each home's rules due at this minute of its clock (and the
/// one before, so that a tick that comes late, or a demo clock running
/// fast, misses none; a minute fires once all the same).
pub async fn tick(ctx: &AutomationsCtx) -> Result<(), FnError> {
    let now = ctx.clock.now();
    let is_schedule = |r: &Automation| matches!(r.trigger, homeguard_domain::AutomationTrigger::Schedule { .. });
    for user in ctx.users.list().await? {
        let Some(h) = home(ctx, user.id, is_schedule).await? else { continue };
        let (arm_state, mode) = alarm_now(ctx, user.id).await?;
        let states = states_for(ctx, &h.rules).await?;
        for at in [now - Duration::minutes(1), now] {
            let local = at.with_timezone(&h.tz);
            let (hhmm, key) = (local.format("%H:%M").to_string(), local.format("%Y-%m-%d %H:%M").to_string());
            let wall = local.naive_local();
            let wall = wall.with_second(0).and_then(|w| w.with_nanosecond(0)).unwrap_or(wall);
            let input = Input::Minute { local: &hhmm, wall, key: &key, at };
            let s = Situation::at(local, &arm_state, mode, &states);
            run_rules(ctx, &h, &input, &s).await?;
        }
    }
    resume_due(ctx).await
}

/// The id of a `device_state` rule's clock for one device: one at a time
/// (the device entering the state again while it runs keeps the start).
fn watch_id(rule: &Automation, device: Uuid) -> Uuid {
    run_id(rule.automation_id, &format!("watch:{device}"))
}

/// Starts or stops the clocks of `device_state` rules as `event` moves
/// the device into or out of their state.
async fn watch(ctx: &AutomationsCtx, h: &Home, event: &Event, device: &Device) -> Result<(), FnError> {
    for rule in &h.rules {
        let (Some(w), AutomationTrigger::DeviceState { for_seconds, .. }) = (rule.watch(device, event), &rule.trigger)
        else {
            continue;
        };
        let id = watch_id(rule, device.device_id);
        match w {
            Watch::Enters => {
                let held = Input::Held { event, device, for_seconds: *for_seconds };
                let mut trigger = trigger_of(&held);
                trigger["watch"] = json!(true);
                let clock = AutomationRun {
                    run_id: id,
                    automation_id: rule.automation_id,
                    user_id: h.user_id,
                    trigger,
                    at: event.timestamp,
                    conditions: vec![],
                    status: RunStatus::Waiting,
                    actions: vec![],
                    resume_at: Some(held.at()),
                };
                if ctx.runs.claim(&clock).await? {
                    tracing::info!(automation_id = %rule.automation_id, device_id = %device.device_id, until = %held.at(), "watching a device's state");
                }
            }
            Watch::Leaves => {
                if ctx.runs.get(id).await?.is_some_and(|r| r.is_watch()) {
                    ctx.runs.discard(id).await?;
                    tracing::info!(automation_id = %rule.automation_id, device_id = %device.device_id, "the state did not last");
                }
            }
        }
    }
    Ok(())
}

/// An input rebuilt from what a waiting run recorded of it.
enum Recorded {
    Event { event: Event, device: Device },
    Held { event: Event, device: Device, for_seconds: u32 },
    Signal { code: u16, id: Uuid, at: DateTime<Utc> },
    Mode { to: HomeMode, id: Uuid, at: DateTime<Utc> },
    Minute { local: String, wall: chrono::NaiveDateTime, key: String, at: DateTime<Utc> },
}

impl Recorded {
    fn of(run: &AutomationRun, devices: &[Device], tz: chrono_tz::Tz) -> Option<Self> {
        let t = &run.trigger;
        let key = t["key"].as_str()?;
        let (kind, rest) = key.split_once(':')?;
        let event = || -> Option<(Event, Device)> {
            let event: Event = serde_json::from_value(t["event"].clone()).ok()?;
            let device = devices.iter().find(|d| d.device_id == event.device_id)?.clone();
            Some((event, device))
        };
        Some(match kind {
            "event" => event().map(|(event, device)| Self::Event { event, device })?,
            "held" => {
                let for_seconds = u32::try_from(t["for_seconds"].as_u64()?).ok()?;
                event().map(|(event, device)| Self::Held { event, device, for_seconds })?
            }
            "signal" => {
                Self::Signal { code: u16::try_from(t["code"].as_u64()?).ok()?, id: rest.parse().ok()?, at: run.at }
            }
            "mode" => {
                Self::Mode { to: serde_json::from_value(t["mode"].clone()).ok()?, id: rest.parse().ok()?, at: run.at }
            }
            "schedule" => {
                let local = run.at.with_timezone(&tz);
                Self::Minute {
                    local: local.format("%H:%M").to_string(),
                    wall: local.naive_local(),
                    key: rest.to_owned(),
                    at: run.at,
                }
            }
            _ => return None,
        })
    }

    fn input(&self) -> Input<'_> {
        match self {
            Self::Event { event, device } => Input::Event { event, device },
            Self::Held { event, device, for_seconds } => Input::Held { event, device, for_seconds: *for_seconds },
            Self::Signal { code, id, at } => Input::Signal { code: *code, id: *id, at: *at },
            Self::Mode { to, id, at } => Input::Mode { to: *to, id: *id, at: *at },
            Self::Minute { local, wall, key, at } => Input::Minute { local, wall: *wall, key, at: *at },
        }
    }
}

/// Runs whose wait is over: a `device_state` clock that ran out (the
/// device stayed in the state: the rule's conditions are judged now and it
/// fires), or a firing whose delay is over (its next actions run).
async fn resume_due(ctx: &AutomationsCtx) -> Result<(), FnError> {
    let now = ctx.clock.now();
    for run in ctx.runs.due(now, 100).await? {
        let rule = ctx.automations.get(run.automation_id).await?.filter(|r| r.enabled);
        let Some(rule) = rule else {
            if run.is_watch() {
                ctx.runs.discard(run.run_id).await?;
            } else {
                let mut run = run;
                for a in run.actions.iter_mut().filter(|a| !["done", "failed"].contains(&a.status.as_str())) {
                    a.status = "skipped".into();
                    a.detail = "the rule was disabled or deleted meanwhile".into();
                }
                (run.status, run.resume_at) = (RunStatus::Failed, None);
                ctx.runs.finish(&run).await?;
            }
            continue;
        };
        let h = home_with(ctx, run.user_id, vec![rule.clone()]).await?;
        let tz = h.tz;
        let Some(recorded) = Recorded::of(&run, &h.devices, tz) else {
            tracing::warn!(run_id = %run.run_id, "a waiting run's input cannot be read back; dropped");
            ctx.runs.discard(run.run_id).await?;
            continue;
        };
        let input = recorded.input();
        let (arm_state, mode) = alarm_now(ctx, run.user_id).await?;
        let states = states_for(ctx, &h.rules).await?;
        let s = Situation::at(now.with_timezone(&tz), &arm_state, mode, &states);
        if run.is_watch() {
            let judged = rule.judge(&s);
            if judged.iter().all(|j| j.ok) {
                fire(ctx, &h, &rule, &input, &s, judged).await?;
            }
            ctx.runs.discard(run.run_id).await?;
        } else {
            run_actions(ctx, &h, &rule, &input, &s, run).await?;
        }
    }
    Ok(())
}

async fn run_rules(ctx: &AutomationsCtx, h: &Home, input: &Input<'_>, s: &Situation<'_>) -> Result<(), FnError> {
    for rule in h.rules.iter().filter(|r| r.triggered_by(input)) {
        let judged = rule.judge(s);
        if judged.iter().all(|j| j.ok) {
            fire(ctx, h, rule, input, s, judged).await?;
        }
    }
    Ok(())
}

fn trigger_of(input: &Input) -> Value {
    let mut t = json!({ "key": input.key(), "at": input.at() });
    match input {
        Input::Event { event, device } => {
            t["type"] = json!("device_event");
            t["event_id"] = json!(event.event_id);
            t["event_type"] = json!(event.event_type);
            t["device_id"] = json!(device.device_id);
            t["device"] = json!(device.name);
            t["event"] = json!(event);
        }
        Input::Held { event, device, for_seconds } => {
            t["type"] = json!("device_state");
            t["since"] = json!(event.timestamp);
            t["for_seconds"] = json!(for_seconds);
            t["event_type"] = json!(event.event_type);
            t["device_id"] = json!(device.device_id);
            t["device"] = json!(device.name);
            t["event"] = json!(event);
        }
        Input::Signal { code, .. } => {
            t["type"] = json!("alarm_signal");
            t["code"] = json!(code);
        }
        Input::Mode { to, .. } => {
            t["type"] = json!("mode_change");
            t["mode"] = json!(to);
        }
        Input::Minute { local, .. } => {
            t["type"] = json!("schedule");
            t["at_local"] = json!(local);
        }
    }
    t
}

/// Fires `rule` for `input` once: a firing already done is left alone, one
/// cut short (a crash mid-way) runs its remaining actions again with the
/// same ids, and a firing inside the cooldown is recorded as held back.
async fn fire(
    ctx: &AutomationsCtx,
    h: &Home,
    rule: &Automation,
    input: &Input<'_>,
    s: &Situation<'_>,
    judged: Vec<homeguard_domain::automation::Judged>,
) -> Result<(), FnError> {
    let id = run_id(rule.automation_id, &input.key());
    let run = match ctx.runs.get(id).await? {
        // Done, held back, or waiting for its delay (the clock resumes it).
        Some(r) if r.status != RunStatus::Running => return Ok(()),
        Some(r) => r,
        None => {
            let mut run = AutomationRun {
                run_id: id,
                automation_id: rule.automation_id,
                user_id: h.user_id,
                trigger: trigger_of(input),
                at: input.at(),
                conditions: judged,
                status: RunStatus::Running,
                actions: rule
                    .actions
                    .iter()
                    .map(|a| ActionOutcome { action: a.kind().into(), status: "pending".into(), detail: String::new() })
                    .collect(),
                resume_at: None,
            };
            let last = ctx.runs.last_fired(rule.automation_id).await?;
            let cooldown = Duration::seconds(rule.cooldown_seconds.into());
            if let Some(last) = last
                && input.at() >= last
                && input.at() - last < cooldown
            {
                run.status = RunStatus::Cooldown;
                for a in &mut run.actions {
                    a.status = "skipped".into();
                    a.detail = format!("held back: the rule fired {} s before", (input.at() - last).num_seconds());
                }
                ctx.runs.claim(&run).await?;
                return Ok(());
            }
            if !ctx.runs.claim(&run).await? {
                return Ok(());
            }
            run
        }
    };
    run_actions(ctx, h, rule, input, s, run).await
}

/// Runs a firing's actions that have not run, in order, up to the end or
/// to a delay (which records the run as waiting and stops; the clock
/// resumes it after the delay).
async fn run_actions(
    ctx: &AutomationsCtx,
    h: &Home,
    rule: &Automation,
    input: &Input<'_>,
    s: &Situation<'_>,
    mut run: AutomationRun,
) -> Result<(), FnError> {
    let id = run.run_id;
    for (i, action) in rule.actions.iter().enumerate() {
        let status = run.actions.get(i).map(|a| a.status.clone()).unwrap_or_default();
        if status == "done" || status == "failed" {
            continue;
        }
        if let AutomationAction::Delay { seconds } = action {
            let slot = ActionOutcome { action: "delay".into(), status: String::new(), detail: String::new() };
            if status == "waiting" {
                if let Some(a) = run.actions.get_mut(i) {
                    *a = ActionOutcome { status: "done".into(), detail: format!("waited {seconds} s"), ..slot };
                }
                continue;
            }
            let until = ctx.clock.now() + Duration::seconds((*seconds).into());
            let detail = format!("until {}", until.with_timezone(&h.tz).format("%H:%M:%S"));
            if let Some(a) = run.actions.get_mut(i) {
                *a = ActionOutcome { status: "waiting".into(), detail, ..slot };
            }
            (run.status, run.resume_at) = (RunStatus::Waiting, Some(until));
            ctx.runs.finish(&run).await?;
            tracing::info!(user_id = %h.user_id, automation_id = %rule.automation_id, run_id = %id, until = %until, "automation waiting");
            return Ok(());
        }
        let (status, detail) = match act(ctx, h, rule, input, s, &run, i, action).await {
            Ok(Ok(detail)) => ("done", detail),
            Ok(Err(why)) => ("failed", why),
            // The platform is down: the input comes again, and the firing resumes here.
            Err(e) if e.is_platform() => return Err(e),
            Err(e) => ("failed", e.message),
        };
        if let Some(slot) = run.actions.get_mut(i) {
            *slot = ActionOutcome { action: action.kind().into(), status: status.into(), detail };
        }
    }
    run.status = if run.actions.iter().any(|a| a.status == "failed") { RunStatus::Failed } else { RunStatus::Done };
    run.resume_at = None;
    ctx.runs.finish(&run).await?;
    tracing::info!(user_id = %h.user_id, automation_id = %rule.automation_id, run_id = %id, status = ?run.status, "automation fired");
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn act(
    ctx: &AutomationsCtx,
    h: &Home,
    rule: &Automation,
    input: &Input<'_>,
    s: &Situation<'_>,
    run: &AutomationRun,
    i: usize,
    action: &AutomationAction,
) -> Result<Result<String, String>, FnError> {
    let action_id = Uuid::new_v5(&run.run_id, format!("action-{i}").as_bytes());
    match action {
        AutomationAction::Notification { channel, message, title, severity } => {
            let title = title.as_deref().map_or_else(|| rule.name.clone(), |t| render(t, rule, input, s));
            let channels = if channel == "in_app" { vec![] } else { vec![channel.clone()] };
            let n = Notification::new(
                action_id,
                h.user_id,
                Source::Rule,
                Some(rule.automation_id),
                title,
                render(message, rule, input, s),
                *severity,
                ctx.clock.now(),
            )
            .on(channels);
            ctx.bus.publish(vec![bus::notification_message(&n)?]).await?;
            Ok(Ok(format!("notification {action_id} sent")))
        }
        AutomationAction::DeviceCommand { device_id, command, parameters } => {
            let owner = Caller {
                user_id: h.user_id,
                role: Role::User,
                session_id: run.run_id,
                expires_at: DateTime::<Utc>::MAX_UTC,
            };
            let input =
                homeguard_usecases::commands::CommandInput { command: command.clone(), parameters: parameters.clone() };
            match homeguard_usecases::commands::send_once(ctx, &owner, *device_id, input, action_id).await {
                Ok(out) => Ok(Ok(format!("command {} queued", out.command_id))),
                Err(e) if e.is_platform() => Err(e),
                Err(e) => Ok(Err(e.message)),
            }
        }
        // Run by `run_actions` itself.
        AutomationAction::Delay { seconds } => Ok(Ok(format!("waited {seconds} s"))),
        AutomationAction::Arm { mode, bypass_open } => {
            let by = rule_actor(rule);
            let changed = alarm::change(ctx, h.user_id, Some(&by), |r, l, now| {
                let open: Vec<Uuid> = if *bypass_open { r.panel.open.iter().copied().collect() } else { vec![] };
                Ok((r.arm(&l.home, &l.zones, *mode, &open, false, Some(&by), now)?, ()))
            })
            .await;
            Ok(alarm_outcome(changed, format!("arming {}", mode.as_str())))
        }
        AutomationAction::SetMode { mode } => {
            let by = rule_actor(rule);
            let changed = alarm::change(ctx, h.user_id, Some(&by), |r, l, now| {
                if r.is_downward(*mode) {
                    return Err(FnError::new(
                        homeguard_domain::ErrorCode::CodeRequired,
                        format!(
                            "from {} to {} needs the owner's code, which a rule never has",
                            r.mode.as_str(),
                            mode.as_str()
                        ),
                    ));
                }
                Ok((r.set_mode(&l.home, &l.zones, *mode, None, false, Some(&by), now)?, ()))
            })
            .await;
            Ok(alarm_outcome(changed, format!("home mode {}", mode.as_str())))
        }
        AutomationAction::Disarm => {
            let body = format!(
                "The rule \u{201c}{}\u{201d} would disarm the alarm now. A rule never disarms by itself: if you agree, disarm it with your code.",
                rule.name
            );
            let n = Notification::new(
                action_id,
                h.user_id,
                Source::Rule,
                Some(rule.automation_id),
                "Disarm the alarm?",
                body,
                homeguard_domain::notification::Severity::High,
                ctx.clock.now(),
            );
            ctx.bus.publish(vec![bus::notification_message(&n)?]).await?;
            Ok(Ok(format!("asked the owner to disarm with their code (notification {action_id})")))
        }
        AutomationAction::Webhook { url } => Ok(deliver(ctx, h, rule, input, run, url, action_id).await),
        AutomationAction::N8n { workflow } => match ctx.outbound.n8n_url(workflow) {
            Some(url) => Ok(deliver(ctx, h, rule, input, run, &url, action_id).await),
            None => Ok(Err("N8N_WEBHOOK_BASE is no longer set on this installation".into())),
        },
    }
}

/// A rule as the alarm's log names who changed it.
fn rule_actor(rule: &Automation) -> Actor {
    Actor { id: rule.automation_id, name: format!("rule \u{201c}{}\u{201d}", rule.name) }
}

/// How an alarm change by a rule went, in words for its run.
fn alarm_outcome(changed: Result<(alarm::Loaded, ()), FnError>, what: String) -> Result<String, String> {
    match changed {
        Ok((l, ())) => Ok(format!("{what}: the alarm is {}", l.record.panel.state_name())),
        Err(e) => Err(format!("{what} refused: {}", e.message)),
    }
}

/// POSTs the firing as a signed webhook (retried, behind the receiver's
/// breaker): the rule, the home, the trigger, the device and event, the
/// conditions as judged.
async fn deliver(
    ctx: &AutomationsCtx,
    h: &Home,
    rule: &Automation,
    input: &Input<'_>,
    run: &AutomationRun,
    url: &str,
    id: Uuid,
) -> Result<String, String> {
    let body = json!({
        "rule": { "id": rule.automation_id, "name": rule.name },
        "home": { "user_id": h.user_id, "time_zone": h.tz.name() },
        "trigger": run.trigger,
        "device": input.device(),
        "event": match input { Input::Event { event, .. } | Input::Held { event, .. } => json!(event), _ => Value::Null },
        "conditions": run.conditions,
        "run_id": run.run_id,
        "sent_at": ctx.clock.now(),
    });
    let home = h.user_id;
    let bytes = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    let headers = [
        ("x-homeguard-signature", homeguard_runtime::auth::webhook_signature(&ctx.auth, home, &bytes)),
        ("x-homeguard-delivery", id.to_string()),
    ];
    match ctx.outbound.post_json(url, &bytes, &headers).await {
        Ok(sent) => Ok(format!("delivered ({}) after {} attempt(s)", sent.detail, sent.attempts)),
        Err(failed) => Err(format!("webhook failed after {} attempt(s): {}", failed.attempts, failed.detail)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homeguard_domain::Topic;
    use homeguard_domain::automation::NewAutomation;
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_runtime::Holds;

    async fn setup() -> (tempfile::TempDir, AutomationsCtx, Automation, Event) {
        let dir = tempfile::tempdir().unwrap();
        let (_data, full) = homeguard_wiring::seeded_ctx_in(dir.path()).await.unwrap();
        let ctx = AutomationsCtx::from_ctx(&full);
        let john = user_id("john@demo.com");
        let lock = device_id("john@demo.com", "Front Door Lock");
        let draft: NewAutomation = serde_json::from_value(json!({
            "name": "Lock up on motion",
            "trigger": { "type": "device_event", "device_type": "motion", "event_type": "motion_detected" },
            "actions": [
                { "type": "notification", "channel": "in_app", "message": "{device}: locking {zone}" },
                { "type": "device_command", "device_id": lock, "command": "lock" }
            ]
        }))
        .unwrap();
        let rule = crate::create(&ctx, john, draft).await.unwrap();
        let event = Event {
            event_id: Uuid::new_v4(),
            device_id: device_id("john@demo.com", "Living Room Motion"),
            user_id: john,
            event_type: homeguard_domain::EventType::MotionDetected,
            payload: Default::default(),
            timestamp: ctx.clock.now(),
            metadata: Default::default(),
        };
        (dir, ctx, rule, event)
    }

    async fn published(ctx: &AutomationsCtx, topic: Topic) -> usize {
        ctx.bus.poll("test", topic, 100, std::time::Duration::from_millis(50)).await.unwrap().len()
    }

    #[tokio::test]
    async fn an_event_delivered_twice_fires_each_rule_once() {
        let (_dir, ctx, rule, event) = setup().await;
        on_events(&ctx, vec![event.clone()]).await.unwrap();
        on_events(&ctx, vec![event.clone(), event]).await.unwrap();
        let runs = ctx.runs.runs(rule.automation_id, None, 10).await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].status, RunStatus::Done, "{runs:?}");
        assert_eq!(published(&ctx, Topic::Notifications).await, 1);
        assert_eq!(published(&ctx, Topic::DeviceCommands).await, 1);
    }

    #[tokio::test]
    async fn a_firing_cut_short_resumes_with_the_same_ids() {
        let (_dir, ctx, rule, event) = setup().await;
        // A crash after the claim and the first action: the second is still pending.
        let key = format!("event:{}", event.event_id);
        let id = run_id(rule.automation_id, &key);
        let pending = |s: &str| ActionOutcome { action: "x".into(), status: s.into(), detail: String::new() };
        let cut = AutomationRun {
            run_id: id,
            automation_id: rule.automation_id,
            user_id: rule.user_id,
            trigger: json!({ "key": key }),
            at: event.timestamp,
            conditions: vec![],
            status: RunStatus::Running,
            actions: vec![pending("done"), pending("pending")],
            resume_at: None,
        };
        assert!(ctx.runs.claim(&cut).await.unwrap());
        on_events(&ctx, vec![event]).await.unwrap();
        let run = ctx.runs.get(id).await.unwrap().unwrap();
        assert_eq!(run.status, RunStatus::Done);
        assert_eq!(published(&ctx, Topic::Notifications).await, 0, "the done action is not run again");
        assert_eq!(published(&ctx, Topic::DeviceCommands).await, 1, "the pending one runs");
    }
}

#[cfg(test)]
mod schedule_tests {
    use super::*;
    use homeguard_domain::automation::NewAutomation;
    use homeguard_domain::seed::user_id;
    use homeguard_runtime::Holds;

    #[tokio::test]
    async fn a_schedule_fires_once_in_its_minute_of_the_homes_clock() {
        let dir = tempfile::tempdir().unwrap();
        let (_data, full) = homeguard_wiring::seeded_ctx_in(dir.path()).await.unwrap();
        let ctx = AutomationsCtx::from_ctx(&full);
        let john = user_id("john@demo.com");
        let local = ctx.clock.now().with_timezone(&chrono_tz::America::New_York);
        let at = local.format("%H:%M").to_string();
        let later = (local + Duration::hours(3)).format("%H:%M").to_string();
        let rule = |at: &str| -> NewAutomation {
            serde_json::from_value(json!({
                "name": format!("At {at}"),
                "trigger": { "type": "schedule", "at": at },
                "actions": [{ "type": "notification", "channel": "in_app", "message": "It is {time}" }]
            }))
            .unwrap()
        };
        let now_rule = crate::create(&ctx, john, rule(&at)).await.unwrap();
        let later_rule = crate::create(&ctx, john, rule(&later)).await.unwrap();
        tick(&ctx).await.unwrap();
        tick(&ctx).await.unwrap();
        assert_eq!(ctx.runs.runs(now_rule.automation_id, None, 10).await.unwrap().len(), 1, "once in its minute");
        assert!(ctx.runs.runs(later_rule.automation_id, None, 10).await.unwrap().is_empty(), "not before its time");
    }
}

#[cfg(test)]
mod waiting_tests {
    use super::*;
    use homeguard_domain::EventType;
    use homeguard_domain::automation::NewAutomation;
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_runtime::Holds;

    const JOHN: &str = "john@demo.com";

    async fn setup(rule: Value) -> (tempfile::TempDir, AutomationsCtx, Automation) {
        let dir = tempfile::tempdir().unwrap();
        let (_data, full) = homeguard_wiring::seeded_ctx_in(dir.path()).await.unwrap();
        let ctx = AutomationsCtx::from_ctx(&full);
        ctx.clock.set("2026-12-01T15:00:00Z".parse().unwrap());
        let draft: NewAutomation = serde_json::from_value(rule).unwrap();
        let rule = crate::create(&ctx, user_id(JOHN), draft).await.unwrap();
        (dir, ctx, rule)
    }

    fn garage(ctx: &AutomationsCtx, event_type: EventType) -> Event {
        Event {
            event_id: Uuid::new_v4(),
            device_id: device_id(JOHN, "Garage Door"),
            user_id: user_id(JOHN),
            event_type,
            payload: Default::default(),
            timestamp: ctx.clock.now(),
            metadata: Default::default(),
        }
    }

    async fn notifications(ctx: &AutomationsCtx) -> usize {
        ctx.bus
            .poll("test", homeguard_domain::Topic::Notifications, 100, std::time::Duration::from_millis(50))
            .await
            .unwrap()
            .len()
    }

    fn left_open() -> Value {
        json!({
            "name": "Garage left open",
            "trigger": { "type": "device_state", "device_id": device_id(JOHN, "Garage Door"), "state": { "open": true }, "for_seconds": 600 },
            "actions": [{ "type": "notification", "channel": "in_app", "message": "{device} has been open for 10 minutes" }]
        })
    }

    #[tokio::test]
    async fn a_door_left_open_fires_once_when_its_time_is_up_and_not_when_it_closed_before() {
        let (_dir, ctx, rule) = setup(left_open()).await;
        // Opened, and closed after 5 minutes: nothing.
        on_events(&ctx, vec![garage(&ctx, EventType::DoorOpen)]).await.unwrap();
        ctx.clock.advance(Duration::minutes(5));
        on_events(&ctx, vec![garage(&ctx, EventType::DoorClosed)]).await.unwrap();
        ctx.clock.advance(Duration::minutes(6));
        tick(&ctx).await.unwrap();
        assert_eq!(notifications(&ctx).await, 0, "it closed in time");
        // Opened (twice: the second does not restart the clock) and left open.
        let opened = garage(&ctx, EventType::DoorOpen);
        on_events(&ctx, vec![opened.clone()]).await.unwrap();
        ctx.clock.advance(Duration::minutes(4));
        on_events(&ctx, vec![garage(&ctx, EventType::DoorOpen), opened]).await.unwrap();
        ctx.clock.advance(Duration::minutes(5));
        tick(&ctx).await.unwrap();
        assert_eq!(notifications(&ctx).await, 0, "9 minutes is not 10");
        assert!(ctx.runs.runs(rule.automation_id, None, 10).await.unwrap().iter().all(|r| r.is_watch()));
        ctx.clock.advance(Duration::minutes(1));
        tick(&ctx).await.unwrap();
        tick(&ctx).await.unwrap();
        assert_eq!(notifications(&ctx).await, 1, "10 minutes after the first opening, once");
        let runs = ctx.runs.runs(rule.automation_id, None, 10).await.unwrap();
        assert_eq!(runs.len(), 1, "the clock is gone, the firing stays: {runs:?}");
        assert_eq!((runs[0].status, runs[0].trigger["type"].as_str()), (RunStatus::Done, Some("device_state")));
    }

    #[tokio::test]
    async fn a_delay_holds_the_actions_after_it_until_its_time() {
        let (_dir, ctx, rule) = setup(json!({
            "name": "Lock the garage side later",
            "cooldown_seconds": 0,
            "trigger": { "type": "device_event", "device_id": device_id(JOHN, "Garage Door"), "event_type": "door_open" },
            "actions": [
                { "type": "notification", "channel": "in_app", "message": "Garage opened" },
                { "type": "delay", "seconds": 120 },
                { "type": "device_command", "device_id": device_id(JOHN, "Front Door Lock"), "command": "lock" }
            ]
        }))
        .await;
        let opened = garage(&ctx, EventType::DoorOpen);
        on_events(&ctx, vec![opened.clone()]).await.unwrap();
        let commands = |ctx: &AutomationsCtx| {
            let bus = ctx.bus.clone();
            async move {
                bus.poll("test", homeguard_domain::Topic::DeviceCommands, 100, std::time::Duration::from_millis(50))
                    .await
                    .unwrap()
                    .len()
            }
        };
        assert_eq!((notifications(&ctx).await, commands(&ctx).await), (1, 0));
        let run = &ctx.runs.runs(rule.automation_id, None, 10).await.unwrap()[0];
        assert_eq!((run.status, run.actions[1].status.as_str()), (RunStatus::Waiting, "waiting"));
        on_events(&ctx, vec![opened]).await.unwrap();
        ctx.clock.advance(Duration::seconds(119));
        tick(&ctx).await.unwrap();
        assert_eq!((notifications(&ctx).await, commands(&ctx).await), (0, 0), "redelivered and early: nothing");
        ctx.clock.advance(Duration::seconds(1));
        tick(&ctx).await.unwrap();
        tick(&ctx).await.unwrap();
        assert_eq!((notifications(&ctx).await, commands(&ctx).await), (0, 1), "after the delay, the lock, once");
        let run = &ctx.runs.runs(rule.automation_id, None, 10).await.unwrap()[0];
        assert_eq!(run.status, RunStatus::Done, "{run:?}");
        assert!(run.actions.iter().all(|a| a.status == "done"), "{run:?}");
    }
}
