//! The verifier: after a run, reads back what the system actually did (from
//! its own stores) and judges each expectation of the scenario, with the
//! evidence. An expectation whose capability is not built yet is reported
//! as unverifiable, naming what it needs; nothing passes by default.

use chrono::{DateTime, Utc};
use homeguard_domain::agent::ChatRole;
use homeguard_domain::incident::Incident;
use homeguard_domain::security::{Decision, Outcome};
use homeguard_ports::{DecisionQuery, EventQuery, IncidentQuery};
use homeguard_runtime::Ctx;
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::engine::{RunStatus, Trace};
use crate::model::{Expectation, ExpectedCommand, ExpectedState, Party, Scenario};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Fail,
    /// The capability that would record the answer is not built yet.
    Unverifiable,
}

/// The judgement of one expectation.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub expectation: Value,
    /// The line of the scenario file it is written on (0: the engine's own check).
    pub line: u64,
    pub status: CheckStatus,
    pub evidence: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<&'static str>,
}

/// The judgement of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Every check passed.
    pub passed: bool,
    pub passed_checks: usize,
    pub failed_checks: usize,
    pub unverifiable_checks: usize,
    pub checks: Vec<Check>,
}

/// What each capability not built yet is called in reports.
pub const NEEDS_ESCALATION: &str = "telling guests";
pub const NEEDS_PREDICTIONS: &str = "predictive maintenance";
pub const NEEDS_ANOMALY: &str = "anomaly detection";
pub const NEEDS_AGENT: &str = "the AI agent (chat turns)";
pub const NEEDS_ACTIONS: &str = "automated responses (the agent or rules acting on events)";

/// The capability an expectation depends on that this build lacks, if any.
pub fn missing_capability(e: &Expectation) -> Option<&'static str> {
    use Expectation as E;
    match e {
        E::ShouldNotify(parties) if parties.contains(&Party::Guest) => Some(NEEDS_ESCALATION),
        E::ShouldNotify(_) | E::ShouldNotifyMonitoring(_) => None,
        E::Prediction(_) => Some(NEEDS_PREDICTIONS),
        E::AnomalyDetected(_) => Some(NEEDS_ANOMALY),
        E::ShouldAlert(_)
        | E::ShouldSuppressAlert(_)
        | E::ShouldDocumentIncident(_)
        | E::Commands(_)
        | E::AutomationCreated(_)
        | E::AgentReplyMentions(_)
        | E::DeviceState(_)
        | E::Mode(_) => None,
    }
}

/// What a scenario still lacks to pass: the capabilities its expectations
/// need that are not built, plus the agent when it has chat steps.
pub fn lacking(scenario: &Scenario) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = scenario.expectations.iter().filter_map(|(e, _)| missing_capability(e)).collect();
    let chats = scenario.steps.iter().any(|s| matches!(s.action, crate::model::Action::Chat { .. }));
    let replies = scenario.expectations.iter().any(|(e, _)| matches!(e, Expectation::AgentReplyMentions(_)));
    if chats || replies {
        out.push(NEEDS_AGENT);
    }
    // Commands come from the playbooks, rules or the agent, and are judged as they are; an
    // automation the system must create on its own comes from the agent.
    let acts = scenario.expectations.iter().any(|(e, _)| matches!(e, Expectation::AutomationCreated(true)));
    if acts {
        out.push(NEEDS_ACTIONS);
    }
    out.sort_unstable();
    out.dedup();
    out
}

struct Window {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

fn check(e: &Expectation, line: u64, status: CheckStatus, evidence: String, needs: Option<&'static str>) -> Check {
    Check { expectation: serde_json::to_value(e).unwrap_or(Value::Null), line, status, evidence, needs }
}

fn pass_if(ok: bool) -> CheckStatus {
    if ok { CheckStatus::Pass } else { CheckStatus::Fail }
}

/// Judges a finished run.
pub async fn verify(ctx: &Ctx, scenario: &Scenario, run: &RunStatus, trace: &Trace) -> Verdict {
    let window = Window { from: run.timeline_start, to: ctx.clock.now() + chrono::Duration::seconds(1) };
    let mut checks = vec![delivered(ctx, trace).await];
    for (e, line) in &scenario.expectations {
        let c = match (e, missing_capability(e)) {
            (_, Some(needs)) => {
                check(e, *line, CheckStatus::Unverifiable, "nothing in this build records it".into(), Some(needs))
            }
            (Expectation::DeviceState(want), None) => device_state(ctx, run, want, e, *line).await,
            (Expectation::Mode(want), None) => mode(ctx, run, &window, want, e, *line).await,
            (Expectation::Commands(want), None) => commands(ctx, run, trace, &window, want, e, *line).await,
            (Expectation::AutomationCreated(want), None) => automations(ctx, run, &window, *want, e, *line).await,
            (Expectation::ShouldNotify(parties), None) => notified(ctx, run, &window, parties, e, *line).await,
            (Expectation::ShouldNotifyMonitoring(want), None) => {
                let (reports, evidence) = monitoring(ctx, run, &window).await;
                check(e, *line, pass_if(reports.is_empty() != *want), evidence, None)
            }
            (Expectation::ShouldAlert(want), None) => {
                let (alarms, evidence) = alerts(ctx, run, &window).await;
                check(e, *line, pass_if(alarms == *want), evidence, None)
            }
            (Expectation::ShouldSuppressAlert(want), None) => {
                let (held, evidence) = suppressed(ctx, run, &window).await;
                check(e, *line, pass_if(held == *want), evidence, None)
            }
            (Expectation::ShouldDocumentIncident(want), None) => {
                let (written, evidence) = documented(ctx, run, &window).await;
                check(e, *line, pass_if(written == *want), evidence, None)
            }
            (Expectation::AgentReplyMentions(words), None) => replies(ctx, run, &window, words, trace, e, *line).await,
            (_, None) => check(e, *line, CheckStatus::Unverifiable, "no check is written for this".into(), None),
        };
        checks.push(c);
    }
    let count = |s: CheckStatus| checks.iter().filter(|c| c.status == s).count();
    Verdict {
        passed: checks.iter().all(|c| c.status == CheckStatus::Pass),
        passed_checks: count(CheckStatus::Pass),
        failed_checks: count(CheckStatus::Fail),
        unverifiable_checks: count(CheckStatus::Unverifiable),
        checks,
    }
}

/// The engine's own check: every injected event reached the event store,
/// and ingest refused none.
async fn delivered(ctx: &Ctx, trace: &Trace) -> Check {
    let mut stored = 0;
    for id in &trace.event_ids {
        if matches!(ctx.events.get(*id).await, Ok(Some(_))) {
            stored += 1;
        }
    }
    let total = trace.event_ids.len();
    let mut evidence = format!("{stored} of {total} injected events are in the event store");
    if trace.rejected > 0 {
        evidence.push_str(&format!("; ingest refused {} steps (see skipped)", trace.rejected));
    }
    Check {
        expectation: json!({ "events_delivered": true }),
        line: 0,
        status: pass_if(stored == total && trace.rejected == 0),
        evidence,
        needs: None,
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => a == b,
    }
}

/// The home ends the run in `want` mode: read from the alarm's own record,
/// with the mode changes of the run's log as evidence.
async fn mode(ctx: &Ctx, run: &RunStatus, window: &Window, want: &str, e: &Expectation, line: u64) -> Check {
    let record = match ctx.alarm.load(run.user_id).await {
        Ok(r) => r,
        Err(err) => return check(e, line, CheckStatus::Fail, format!("reading the alarm failed: {err}"), None),
    };
    let now = record.as_ref().map_or("home", |r| r.mode.as_str());
    let query = homeguard_ports::LogQuery {
        user_id: run.user_id,
        before: Some(window.to.into()),
        limit: 200,
        monitoring: false,
    };
    let changes: Vec<String> = ctx
        .alarm
        .log(&query)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.at >= window.from && l.to.as_deref().is_some_and(|t| t.starts_with("mode:")))
        .map(|l| l.text)
        .rev()
        .collect();
    let evidence = match changes.is_empty() {
        true => format!("the home is in {now} mode; its mode did not change during the run"),
        false => format!("the home is in {now} mode; during the run: {}", changes.join("; ")),
    };
    check(e, line, pass_if(now == want), evidence, None)
}

async fn device_state(ctx: &Ctx, run: &RunStatus, want: &ExpectedState, e: &Expectation, line: u64) -> Check {
    let Some(device) = run.devices.get(&want.device) else {
        return check(e, line, CheckStatus::Fail, format!("no device was assigned to '{}'", want.device), None);
    };
    let state = match ctx.state.get(device.device_id).await {
        Ok(s) => s,
        Err(err) => return check(e, line, CheckStatus::Fail, format!("reading the state failed: {err}"), None),
    };
    let mut wrong = vec![];
    for (k, v) in &want.state {
        match state.get(k) {
            Some(have) if same(have, v) => {}
            Some(have) => wrong.push(format!("{k} is {have}, expected {v}")),
            None => wrong.push(format!("{k} is not set, expected {v}")),
        }
    }
    let seen: Map<String, Value> =
        want.state.keys().filter_map(|k| state.get(k).map(|v| (k.clone(), v.clone()))).collect();
    let evidence = if wrong.is_empty() {
        format!("{} ({}) has {}", device.name, want.device, Value::Object(seen))
    } else {
        format!("{} ({}): {}", device.name, want.device, wrong.join("; "))
    };
    check(e, line, pass_if(wrong.is_empty()), evidence, None)
}

async fn commands(
    ctx: &Ctx,
    run: &RunStatus,
    trace: &Trace,
    window: &Window,
    want: &[ExpectedCommand],
    e: &Expectation,
    line: u64,
) -> Check {
    let mut missing = vec![];
    let mut found = vec![];
    for cmd in want {
        let Some(device) = run.devices.get(&cmd.device) else {
            missing.push(format!("{} (no device assigned)", cmd.device));
            continue;
        };
        let query = EventQuery {
            device_id: Some(device.device_id),
            from: Some(window.from),
            to: Some(window.to),
            limit: 1000,
            ..EventQuery::default()
        };
        let events = ctx.events.query(&query).await.unwrap_or_default();
        let issued = events.iter().find(|ev| {
            let m = &ev.metadata;
            let own = m
                .get("command_id")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<Uuid>().ok())
                .is_some_and(|id| trace.own_commands.contains(&id));
            m.get("command").and_then(Value::as_str) == Some(cmd.command.as_str())
                && m.get("command_id").is_some()
                && !own
                && cmd
                    .parameters
                    .iter()
                    .all(|(k, v)| m.get("parameters").and_then(|p| p.get(k)).is_some_and(|have| same(have, v)))
        });
        match issued {
            Some(ev) => found.push(format!("{} on {} at {}", cmd.command, cmd.device, ev.timestamp.to_rfc3339())),
            None => missing.push(format!("{} on {}", cmd.command, cmd.device)),
        }
    }
    let evidence = if missing.is_empty() {
        format!("the system sent: {}", found.join(", "))
    } else {
        format!("no command from the system for: {}", missing.join(", "))
    };
    check(e, line, pass_if(missing.is_empty()), evidence, None)
}

async fn automations(ctx: &Ctx, run: &RunStatus, window: &Window, want: bool, e: &Expectation, line: u64) -> Check {
    let all = match ctx.automations.list_for_user(run.user_id).await {
        Ok(a) => a,
        Err(err) => return check(e, line, CheckStatus::Fail, format!("reading automations failed: {err}"), None),
    };
    let new: Vec<&str> = all
        .iter()
        .filter(|a| a.created_at >= window.from && a.created_at <= window.to)
        .map(|a| a.name.as_str())
        .collect();
    let evidence = if new.is_empty() {
        "no automation was created during the run".to_owned()
    } else {
        format!("created during the run: {}", new.join(", "))
    };
    check(e, line, pass_if(new.is_empty() != want), evidence, None)
}

/// What the household was told during the run (notifications to the home's owner).
async fn told(ctx: &Ctx, run: &RunStatus, window: &Window) -> Vec<String> {
    let list = ctx.notifications.list(run.user_id, false, Some(window.to.into()), 200).await.unwrap_or_default();
    list.iter()
        .filter(|n| n.created_at >= window.from)
        .map(|n| format!("\u{201c}{}\u{201d} ({:?})", n.title, n.severity))
        .collect()
}

/// What was reported to monitoring during the run, with the evidence.
async fn monitoring(ctx: &Ctx, run: &RunStatus, window: &Window) -> (Vec<u16>, String) {
    let list = ctx.reports.list(Some(run.user_id), Some(window.to.into()), 200).await.unwrap_or_default();
    let during: Vec<_> = list.iter().filter(|r| r.at >= window.from).collect();
    let codes = during.iter().map(|r| r.code).collect();
    let evidence = if during.is_empty() {
        "nothing was reported to monitoring during the run".to_owned()
    } else {
        let each: Vec<String> = during.iter().map(|r| format!("{} ({}, {})", r.code, r.text, r.status)).collect();
        format!("reported to monitoring: {}", each.join("; "))
    };
    (codes, evidence)
}

/// The security response's decisions on the home's events during the run, oldest first.
async fn decided(ctx: &Ctx, run: &RunStatus, window: &Window) -> Vec<Decision> {
    let q = DecisionQuery { user_id: Some(run.user_id), outcome: None, before: Some(window.to.into()), limit: 1000 };
    let mut out: Vec<Decision> =
        ctx.security.decisions(&q).await.unwrap_or_default().into_iter().filter(|d| d.at >= window.from).collect();
    out.reverse();
    out
}

/// The incidents opened for the home during the run.
async fn opened(ctx: &Ctx, run: &RunStatus, window: &Window) -> Vec<Incident> {
    let q = IncidentQuery { user_id: Some(run.user_id), status: None, before: Some(window.to.into()), limit: 200 };
    ctx.security.incidents(&q).await.unwrap_or_default().into_iter().filter(|i| i.opened_at >= window.from).collect()
}

/// Whether an alert was raised: an alarm decided on an event, or an incident opened.
async fn alerts(ctx: &Ctx, run: &RunStatus, window: &Window) -> (bool, String) {
    let decisions = decided(ctx, run, window).await;
    let alarms: Vec<String> = decisions
        .iter()
        .filter(|d| d.outcome.is_alarm())
        .map(|d| format!("{} ({})", d.summary, d.outcome.as_str()))
        .collect();
    let incidents: Vec<String> =
        opened(ctx, run, window).await.iter().map(|i| format!("incident \u{201c}{}\u{201d}", i.title)).collect();
    let raised = !alarms.is_empty() || !incidents.is_empty();
    let evidence = if raised {
        format!("raised: {}", alarms.into_iter().chain(incidents).collect::<Vec<_>>().join("; "))
    } else {
        format!("no alert was raised; {} decisions during the run, none an alarm", decisions.len())
    };
    (raised, evidence)
}

/// Whether a would-be alarm was held back, with the reasons.
async fn suppressed(ctx: &Ctx, run: &RunStatus, window: &Window) -> (bool, String) {
    let decisions = decided(ctx, run, window).await;
    let held: Vec<String> = decisions
        .iter()
        .filter(|d| d.outcome == Outcome::Suppress)
        .map(|d| {
            let why: Vec<&str> = d.reasons.iter().skip(1).map(|r| r.text.as_str()).collect();
            format!("{} ({})", d.summary, why.join("; "))
        })
        .collect();
    let evidence = match held.first() {
        Some(first) => format!("{} held back; the first: {first}", held.len()),
        None => format!("nothing was held back; {} decisions during the run", decisions.len()),
    };
    (!held.is_empty(), evidence)
}

/// Whether an incident was documented during the run.
async fn documented(ctx: &Ctx, run: &RunStatus, window: &Window) -> (bool, String) {
    let incidents = opened(ctx, run, window).await;
    let each: Vec<String> = incidents
        .iter()
        .map(|i| format!("\u{201c}{}\u{201d} ({}, {} timeline entries)", i.title, i.status.as_str(), i.timeline.len()))
        .collect();
    let evidence = if each.is_empty() {
        "no incident was opened during the run".to_owned()
    } else {
        format!("incidents: {}", each.join("; "))
    };
    (!incidents.is_empty(), evidence)
}

async fn notified(ctx: &Ctx, run: &RunStatus, window: &Window, parties: &[Party], e: &Expectation, line: u64) -> Check {
    let mut missing = vec![];
    let mut evidence = vec![];
    if parties.contains(&Party::User) {
        let told = told(ctx, run, window).await;
        if told.is_empty() {
            missing.push("the user");
            evidence.push("the user was not notified during the run".to_owned());
        } else {
            evidence.push(format!("the user was told: {}", told.join(", ")));
        }
    }
    if parties.contains(&Party::EmergencyContacts) {
        let reached: Vec<String> = opened(ctx, run, window)
            .await
            .iter()
            .flat_map(|i| i.timeline.iter())
            .filter(|t| t.data.get("party").and_then(Value::as_str) == Some("emergency_contacts"))
            .map(|t| t.text.clone())
            .collect();
        if !reached.iter().any(|t| t.ends_with(": delivered")) {
            missing.push("the emergency contacts");
        }
        evidence.push(match reached.is_empty() {
            true => "no emergency contact was told during the run".to_owned(),
            false => reached.join(", "),
        });
    }
    if parties.contains(&Party::Monitoring) {
        let (codes, said) = monitoring(ctx, run, window).await;
        if codes.is_empty() {
            missing.push("monitoring");
        }
        evidence.push(said);
    }
    check(e, line, pass_if(missing.is_empty()), evidence.join("; "), None)
}

async fn replies(
    ctx: &Ctx,
    run: &RunStatus,
    window: &Window,
    words: &[String],
    trace: &Trace,
    e: &Expectation,
    line: u64,
) -> Check {
    let history = ctx.agent.history(run.user_id, 500).await.unwrap_or_default();
    let said: Vec<String> = history
        .iter()
        .filter(|m| m.role == ChatRole::Assistant && m.timestamp >= window.from && m.timestamp <= window.to)
        .map(|m| m.content.to_lowercase())
        .collect();
    let needs = (trace.chats_undelivered > 0).then_some(NEEDS_AGENT);
    if said.is_empty() {
        return check(e, line, CheckStatus::Fail, "the agent said nothing during the run".into(), needs);
    }
    let text = said.join("\n");
    let absent: Vec<&str> = words.iter().map(String::as_str).filter(|w| !text.contains(&w.to_lowercase())).collect();
    let evidence = if absent.is_empty() {
        format!("{} replies mention {}", said.len(), words.join(", "))
    } else {
        format!("{} replies, none mentions {}", said.len(), absent.join(", "))
    };
    check(e, line, pass_if(absent.is_empty()), evidence, needs)
}
