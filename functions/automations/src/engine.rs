//! The rule engine: what comes in (device events, the alarm's signals and
//! mode changes) against each enabled rule of the home, and the firing of
//! those whose trigger and conditions hold: once per (rule, input).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use homeguard_domain::alarm::{EntryKind, LogEntry};
use homeguard_domain::automation::{
    ActionOutcome, Automation, AutomationAction, AutomationRun, Input, RunStatus, Situation, render, run_id,
};
use homeguard_domain::notification::{Notification, Source};
use homeguard_domain::{Device, Event, HomeMode, Role};
use homeguard_runtime::{Caller, FnError, bus};
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
    let devices = ctx.devices.list_for_user(user_id).await?;
    let tz = ctx.homes.get(user_id).await?.map_or(chrono_tz::Tz::UTC, |h| h.tz());
    Ok(Some(Home { user_id, rules, devices, tz }))
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
            let input = Input::Minute { local: &hhmm, key: &key, at };
            let s = Situation::at(local, &arm_state, mode, &states);
            run_rules(ctx, &h, &input, &s).await?;
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
    let mut run = match ctx.runs.get(id).await? {
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
    for (i, action) in rule.actions.iter().enumerate() {
        if run.actions.get(i).is_some_and(|a| a.status == "done") {
            continue;
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
            let n = Notification {
                id: action_id,
                user_id: h.user_id,
                title: title.as_deref().map_or_else(|| rule.name.clone(), |t| render(t, rule, input, s)),
                body: render(message, rule, input, s),
                severity: *severity,
                source: Source::Rule,
                source_id: Some(rule.automation_id),
                channels: if channel == "in_app" { vec![] } else { vec![channel.clone()] },
                created_at: ctx.clock.now(),
                read_at: None,
                deliveries: vec![],
                next_delivery_at: None,
            };
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
        AutomationAction::Webhook { url } => Ok(deliver(ctx, h, rule, input, run, url, action_id).await),
        AutomationAction::N8n { workflow } => match ctx.outbound.n8n_url(workflow) {
            Some(url) => Ok(deliver(ctx, h, rule, input, run, &url, action_id).await),
            None => Ok(Err("N8N_WEBHOOK_BASE is no longer set on this installation".into())),
        },
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
        "event": match input { Input::Event { event, .. } => json!(event), _ => Value::Null },
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
