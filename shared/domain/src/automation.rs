//! Automation rules in the requirements' document shape: a trigger (with
//! its conditions), the actions to run, and a cooldown. What a rule is
//! checked against when saved, what sets it off, whether its conditions
//! hold, and the record of one firing are all here, as pure code.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::device::{Device, DeviceState, DeviceType};
use crate::error::DomainError;
use crate::event::{Event, EventType};
use crate::mode::HomeMode;

/// A window of the day, `"22:00"` to `"06:00"`; it may wrap past midnight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    pub start: String,
    pub end: String,
}

fn hhmm(s: &str, field: &str) -> Result<NaiveTime, DomainError> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| DomainError::invalid(field, "must be a time such as 22:00"))
}

impl TimeRange {
    pub fn validate(&self, field: &str) -> Result<(), DomainError> {
        hhmm(&self.start, &format!("{field}.start"))?;
        hhmm(&self.end, &format!("{field}.end")).map(drop)
    }

    /// Whether `t` falls inside the window (start inclusive, end exclusive).
    pub fn contains(&self, t: NaiveTime) -> bool {
        let (Ok(start), Ok(end)) = (hhmm(&self.start, ""), hhmm(&self.end, "")) else {
            return false;
        };
        if start <= end { start <= t && t < end } else { t >= start || t < end }
    }
}

/// The state fields a device of `t` sets with fixed values (`open: true`),
/// from what each event type does to its state.
fn reported_state(t: DeviceType) -> Vec<(String, Value)> {
    const BOOKKEEPING: [&str; 5] = ["last_event_type", "last_event_time", "last_event_id", "battery", "signal"];
    let mut out = vec![];
    for et in EventType::ALL.iter().filter(|e| e.emitted_by(t)) {
        let e = Event {
            event_id: Uuid::nil(),
            device_id: Uuid::nil(),
            user_id: Uuid::nil(),
            event_type: *et,
            payload: Map::new(),
            timestamp: DateTime::<Utc>::MIN_UTC,
            metadata: Map::new(),
        };
        for (k, v) in crate::state::state_change(t, &e) {
            if !BOOKKEEPING.contains(&k.as_str()) && !v.is_null() {
                out.push((k, v));
            }
        }
    }
    out
}

/// A cron expression of 5 fields (minute hour day-of-month month
/// day-of-week, `*`, lists, ranges, steps, names such as `mon-fri`).
pub fn parse_cron(expr: &str) -> Result<croner::Cron, DomainError> {
    if expr.split_whitespace().count() != 5 {
        return Err(DomainError::invalid(
            "trigger.cron",
            "must have 5 fields: minute hour day month weekday (0 9 * * mon-fri)",
        ));
    }
    expr.parse::<croner::Cron>()
        .map_err(|e| DomainError::invalid("trigger.cron", format!("is not a cron expression: {e}")))
}

/// A receiver's URL: http or https, with a host, at most 2048 bytes.
pub fn check_webhook_url(url: &str, field: &str) -> Result<(), DomainError> {
    let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).map(|rest| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        authority.rsplit('@').next().unwrap_or_default().to_owned()
    });
    let ok = host.is_some_and(|h| !h.is_empty() && !h.starts_with(':'))
        && url.len() <= 2048
        && !url.contains(|c: char| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(field, "must be an http(s) URL such as https://n8n.example.com/webhook/x"))
    }
}

/// Another device's state that must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateCondition {
    pub device_id: Uuid,
    pub state: Map<String, Value>,
}

/// What must hold when the trigger comes for the actions to run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// In the home's local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_range: Option<TimeRange>,
    /// `armed` (armed in any mode, or in an entry delay or alarm), `disarmed`
    /// (or arming: the exit delay runs), or one state (`armed_away`, `pending`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<HomeMode>,
    /// Days of the week, `mon` to `sun` (local).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_state: Option<StateCondition>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const ARM_STATES: [&str; 11] = [
    "armed",
    "disarmed",
    "arming",
    "armed_home",
    "armed_away",
    "armed_night",
    "armed_vacation",
    "armed_custom",
    "pending",
    "triggered",
    "any",
];

/// What sets a rule off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AutomationTrigger {
    /// An event from one device, or from any device of a type and/or zone.
    DeviceEvent {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_type: Option<DeviceType>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        zone: Option<String>,
        event_type: EventType,
        #[serde(default)]
        conditions: Conditions,
    },
    /// A device staying in a state (`{"open": true}`, as its state
    /// reads) for `for_seconds` on end: a door left open 10 minutes.
    DeviceState {
        device_id: Uuid,
        state: Map<String, Value>,
        for_seconds: u32,
        #[serde(default)]
        conditions: Conditions,
    },
    /// A device going offline (one, or any of the home's).
    DeviceOffline {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_id: Option<Uuid>,
        #[serde(default)]
        conditions: Conditions,
    },
    /// Every day at `at`, home time (`conditions.days` picks days), or
    /// whenever a 5-field `cron` expression (minute hour day month
    /// weekday) matches the home's clock.
    Schedule {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cron: Option<String>,
        #[serde(default)]
        conditions: Conditions,
    },
    /// A signal of the home's alarm: one of `codes` (Contact ID), or any alarm (1xx) when empty.
    AlarmSignal {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        codes: Vec<u16>,
        #[serde(default)]
        conditions: Conditions,
    },
    /// The home entering a mode (any mode when absent).
    ModeChange {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<HomeMode>,
        #[serde(default)]
        conditions: Conditions,
    },
}

impl AutomationTrigger {
    pub fn conditions(&self) -> &Conditions {
        match self {
            Self::DeviceEvent { conditions, .. }
            | Self::DeviceOffline { conditions, .. }
            | Self::DeviceState { conditions, .. }
            | Self::Schedule { conditions, .. }
            | Self::AlarmSignal { conditions, .. }
            | Self::ModeChange { conditions, .. } => conditions,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::DeviceEvent { .. } => "device_event",
            Self::DeviceOffline { .. } => "device_offline",
            Self::DeviceState { .. } => "device_state",
            Self::Schedule { .. } => "schedule",
            Self::AlarmSignal { .. } => "alarm_signal",
            Self::ModeChange { .. } => "mode_change",
        }
    }
}

/// How urgent a notification is; quiet hours hold back what is not urgent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    #[default]
    Normal,
    High,
    /// Alarms, fire, duress: never held back.
    Critical,
}

/// What a rule does, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AutomationAction {
    /// A message to the owner; `{device}`, `{zone}`, `{event}`, `{time}`, `{mode}`, `{rule}` are filled in.
    Notification {
        channel: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(default)]
        severity: Severity,
    },
    /// A POST to an http(s) URL (n8n), signed with the home's secret.
    Webhook { url: String },
    /// The same POST to an n8n workflow's webhook path, under the
    /// installation's `N8N_WEBHOOK_BASE` (`homeguard-motion-night`).
    N8n { workflow: String },
    /// Waits `seconds` before the actions after it.
    Delay { seconds: u32 },
    /// Arms the alarm (no code is needed to arm); with `bypass_open`, the
    /// doors and windows open at that moment are bypassed instead of
    /// refusing.
    Arm {
        mode: crate::alarm::ArmMode,
        #[serde(default)]
        bypass_open: bool,
    },
    /// Puts the home in a mode, upward only (a lower mode needs a code, which
    /// a rule never has).
    SetMode { mode: HomeMode },
    /// Never disarms by itself: asks the owner, who disarms with their code.
    Disarm,
    /// A device command, checked as a user's command is.
    DeviceCommand {
        device_id: Uuid,
        command: String,
        #[serde(default)]
        parameters: Map<String, Value>,
    },
}

impl AutomationAction {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Notification { .. } => "notification",
            Self::Webhook { .. } => "webhook",
            Self::N8n { .. } => "n8n",
            Self::Delay { .. } => "delay",
            Self::Arm { .. } => "arm",
            Self::SetMode { .. } => "set_mode",
            Self::Disarm => "disarm",
            Self::DeviceCommand { .. } => "device_command",
        }
    }
}

/// The channels a notification action may name.
pub const CHANNELS: &[&str] = &["in_app", "push", "email", "webhook"];
const MAX_ACTIONS: usize = 20;
/// A rule's default cooldown: it fires at most once a minute.
pub const DEFAULT_COOLDOWN_SECONDS: u32 = 60;

/// An automation as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Automation {
    pub automation_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub enabled: bool,
    pub trigger: AutomationTrigger,
    pub actions: Vec<AutomationAction>,
    /// After firing, the rule holds back for this long.
    #[serde(default = "default_cooldown")]
    pub cooldown_seconds: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn default_cooldown() -> u32 {
    DEFAULT_COOLDOWN_SECONDS
}

/// What a client sends to create an automation (and, whole, to replace one).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAutomation {
    pub name: String,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    pub trigger: AutomationTrigger,
    pub actions: Vec<AutomationAction>,
    #[serde(default = "default_cooldown")]
    pub cooldown_seconds: u32,
}

fn enabled_by_default() -> bool {
    true
}

/// What a rule is checked against when saved: the home's devices.
pub trait Devices {
    fn device(&self, id: Uuid) -> Option<&Device>;
}

impl Devices for [Device] {
    fn device(&self, id: Uuid) -> Option<&Device> {
        self.iter().find(|d| d.device_id == id)
    }
}

impl NewAutomation {
    pub fn into_automation(
        self,
        id: Uuid,
        owner: Uuid,
        devices: &(impl Devices + ?Sized),
        now: DateTime<Utc>,
    ) -> Result<Automation, DomainError> {
        let a = Automation {
            automation_id: id,
            user_id: owner,
            name: self.name.trim().to_owned(),
            enabled: self.enabled,
            trigger: self.trigger,
            actions: self.actions,
            cooldown_seconds: self.cooldown_seconds,
            created_at: now,
            updated_at: now,
        };
        a.validate(devices)?;
        Ok(a)
    }
}

fn known<'d>(devices: &'d (impl Devices + ?Sized), id: Uuid, field: &str) -> Result<&'d Device, DomainError> {
    devices.device(id).ok_or_else(|| DomainError::invalid(field, format!("{id} is not a device of this home")))
}

impl Conditions {
    fn validate(&self, devices: &(impl Devices + ?Sized)) -> Result<(), DomainError> {
        const F: &str = "trigger.conditions";
        if let Some(range) = &self.time_range {
            range.validate(&format!("{F}.time_range"))?;
        }
        if let Some(state) = &self.arm_state
            && !ARM_STATES.contains(&state.as_str())
        {
            return Err(DomainError::invalid(
                &format!("{F}.arm_state"),
                "must be armed, disarmed, or a state (armed_away, armed_home, armed_night, pending, triggered, ...)",
            ));
        }
        if let Some(bad) = self.days.iter().find(|d| !DAYS.contains(&d.as_str())) {
            return Err(DomainError::invalid(&format!("{F}.days"), format!("'{bad}' is not a day (mon to sun)")));
        }
        if let Some(s) = &self.device_state {
            known(devices, s.device_id, &format!("{F}.device_state.device_id"))?;
            if s.state.is_empty() {
                return Err(DomainError::invalid(&format!("{F}.device_state.state"), "must name a field"));
            }
        }
        Ok(())
    }
}

impl Automation {
    /// Checks the rule, naming the field of what is wrong: unknown devices,
    /// an event or command the device's type does not have, a malformed
    /// time, a webhook that is not http(s).
    pub fn validate(&self, devices: &(impl Devices + ?Sized)) -> Result<(), DomainError> {
        if self.name.is_empty() || self.name.chars().count() > 100 {
            return Err(DomainError::invalid("name", "must be 1 to 100 characters"));
        }
        if self.cooldown_seconds > 86_400 {
            return Err(DomainError::invalid("cooldown_seconds", "must be from 0 to 86400"));
        }
        match &self.trigger {
            AutomationTrigger::DeviceEvent { device_id, device_type, zone, event_type, .. } => {
                let of_type = match device_id {
                    Some(id) => Some(known(devices, *id, "trigger.device_id")?.device_type),
                    None => *device_type,
                };
                if let Some(t) = of_type
                    && !event_type.emitted_by(t)
                {
                    return Err(DomainError::invalid(
                        "trigger.event_type",
                        format!("a {t} device does not emit '{}'", event_type.as_str()),
                    ));
                }
                if zone.as_ref().is_some_and(|z| z.trim().is_empty()) {
                    return Err(DomainError::invalid("trigger.zone", "must not be empty"));
                }
            }
            AutomationTrigger::DeviceState { device_id, state, for_seconds, .. } => {
                let device = known(devices, *device_id, "trigger.device_id")?;
                if !(10..=604_800).contains(for_seconds) {
                    return Err(DomainError::invalid("trigger.for_seconds", "must be from 10 s to 7 days (604800)"));
                }
                if state.is_empty() || state.len() > 10 {
                    return Err(DomainError::invalid(
                        "trigger.state",
                        "must name 1 to 10 fields of the device's state",
                    ));
                }
                let reported = reported_state(device.device_type);
                if let Some((k, v)) = state.iter().find(|(k, v)| !reported.iter().any(|(rk, rv)| rk == *k && rv == *v))
                {
                    let mut can: Vec<String> = reported.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                    can.sort();
                    can.dedup();
                    return Err(DomainError::invalid(
                        "trigger.state",
                        format!(
                            "a {} never reports {k}: {v}; it reports {}",
                            device.device_type.as_str(),
                            can.join(", ")
                        ),
                    ));
                }
            }
            AutomationTrigger::DeviceOffline { device_id: Some(id), .. } => {
                known(devices, *id, "trigger.device_id")?;
            }
            AutomationTrigger::Schedule { at, cron, .. } => match (at, cron) {
                (Some(at), None) => drop(hhmm(at, "trigger.at")?),
                (None, Some(c)) => drop(parse_cron(c)?),
                _ => return Err(DomainError::invalid("trigger.at", "give either at (HH:MM) or cron, not both")),
            },
            AutomationTrigger::DeviceOffline { .. }
            | AutomationTrigger::AlarmSignal { .. }
            | AutomationTrigger::ModeChange { .. } => {}
        }
        self.trigger.conditions().validate(devices)?;
        if self.actions.is_empty() || self.actions.len() > MAX_ACTIONS {
            return Err(DomainError::invalid("actions", format!("must hold 1 to {MAX_ACTIONS} actions")));
        }
        for (i, action) in self.actions.iter().enumerate() {
            let field = |f: &str| format!("actions[{i}].{f}");
            match action {
                AutomationAction::Notification { channel, message, title, .. } => {
                    if !CHANNELS.contains(&channel.as_str()) {
                        return Err(DomainError::invalid(&field("channel"), "must be in_app, push, email or webhook"));
                    }
                    if message.trim().is_empty() || message.chars().count() > 500 {
                        return Err(DomainError::invalid(&field("message"), "must be 1 to 500 characters"));
                    }
                    if title.as_ref().is_some_and(|t| t.chars().count() > 100) {
                        return Err(DomainError::invalid(&field("title"), "must be at most 100 characters"));
                    }
                }
                AutomationAction::Webhook { url } => check_webhook_url(url, &field("url"))?,
                AutomationAction::Arm { .. } | AutomationAction::SetMode { .. } | AutomationAction::Disarm => {}
                AutomationAction::Delay { seconds } => {
                    if !(1..=86_400).contains(seconds) {
                        return Err(DomainError::invalid(&field("seconds"), "must be from 1 s to a day (86400)"));
                    }
                    if i + 1 == self.actions.len() {
                        return Err(DomainError::invalid(&field("seconds"), "a delay must come before another action"));
                    }
                }
                AutomationAction::N8n { workflow } => {
                    let ok = !workflow.is_empty()
                        && workflow.len() <= 200
                        && !workflow.starts_with('/')
                        && workflow.chars().all(|c| c.is_ascii_alphanumeric() || "-_/".contains(c));
                    if !ok {
                        return Err(DomainError::invalid(
                            &field("workflow"),
                            "must be an n8n webhook path such as homeguard-motion-night (letters, digits, - _ /)",
                        ));
                    }
                }
                AutomationAction::DeviceCommand { device_id, command, parameters } => {
                    let device = known(devices, *device_id, &field("device_id"))?;
                    crate::command::DeviceCommand::parse(device.device_type, command, parameters).map_err(|e| {
                        let f = e.details.get("field").and_then(Value::as_str).unwrap_or("command").to_owned();
                        let reason =
                            e.details.get("reason").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| {
                                e.message.strip_prefix(&format!("{f}: ")).unwrap_or(&e.message).to_owned()
                            });
                        DomainError::invalid(&field(&f), reason)
                    })?;
                }
            }
        }
        Ok(())
    }
}

/// What came in that may set rules off.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    Event {
        event: &'a Event,
        device: &'a Device,
    },
    Signal {
        code: u16,
        id: Uuid,
        at: DateTime<Utc>,
    },
    Mode {
        to: HomeMode,
        id: Uuid,
        at: DateTime<Utc>,
    },
    /// A device that entered a state with `event` and has stayed in it
    /// for `for_seconds` since.
    Held {
        event: &'a Event,
        device: &'a Device,
        for_seconds: u32,
    },
    /// A minute of the home's clock (`HH:MM`, local, and the local date
    /// and time at its start), for schedules.
    Minute {
        local: &'a str,
        wall: chrono::NaiveDateTime,
        key: &'a str,
        at: DateTime<Utc>,
    },
}

impl Input<'_> {
    /// What makes a firing of one rule by this input unique: a redelivered
    /// input fires nothing new.
    pub fn key(&self) -> String {
        match self {
            Self::Event { event, .. } => format!("event:{}", event.event_id),
            Self::Held { event, .. } => format!("held:{}", event.event_id),
            Self::Signal { id, .. } => format!("signal:{id}"),
            Self::Mode { id, .. } => format!("mode:{id}"),
            Self::Minute { key, .. } => format!("schedule:{key}"),
        }
    }

    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Event { event, .. } => event.timestamp,
            Self::Held { event, for_seconds, .. } => event.timestamp + chrono::Duration::seconds((*for_seconds).into()),
            Self::Signal { at, .. } | Self::Mode { at, .. } | Self::Minute { at, .. } => *at,
        }
    }

    /// The device involved, if any.
    pub fn device(&self) -> Option<&Device> {
        match self {
            Self::Event { device, .. } | Self::Held { device, .. } => Some(device),
            _ => None,
        }
    }
}

/// What the conditions are judged against.
#[derive(Debug, Clone)]
pub struct Situation<'a> {
    /// The input's moment on the home's wall clock.
    pub local_time: NaiveTime,
    pub weekday: Weekday,
    /// The alarm's state (`disarmed`, `armed_away`, ...).
    pub arm_state: &'a str,
    pub mode: HomeMode,
    pub states: &'a BTreeMap<Uuid, DeviceState>,
}

impl<'a> Situation<'a> {
    pub fn at(
        local: DateTime<impl chrono::TimeZone>,
        arm_state: &'a str,
        mode: HomeMode,
        states: &'a BTreeMap<Uuid, DeviceState>,
    ) -> Self {
        Situation { local_time: local.time(), weekday: local.weekday(), arm_state, mode, states }
    }
}

/// One condition as judged, for the rule's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judged {
    pub condition: String,
    pub ok: bool,
    pub detail: String,
}

fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        _ => a == b,
    }
}

/// What an event does to a `device_state` rule's watch of its device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    /// The device is now in the state: the clock starts (unless it runs).
    Enters,
    /// It left the state: the clock stops.
    Leaves,
}

impl Automation {
    /// For a `device_state` rule, what `event` of `device` does to its watch.
    pub fn watch(&self, device: &Device, event: &Event) -> Option<Watch> {
        let AutomationTrigger::DeviceState { device_id, state, .. } = &self.trigger else { return None };
        if *device_id != device.device_id || !self.enabled {
            return None;
        }
        let effect = crate::state::state_change(device.device_type, event);
        if state.iter().any(|(k, v)| effect.get(k).is_some_and(|e| e != v)) {
            Some(Watch::Leaves)
        } else if state.iter().all(|(k, v)| effect.get(k) == Some(v)) {
            Some(Watch::Enters)
        } else {
            None
        }
    }

    /// Whether `input` is what this rule's trigger waits for.
    pub fn triggered_by(&self, input: &Input) -> bool {
        match (&self.trigger, input) {
            (
                AutomationTrigger::DeviceEvent { device_id, device_type, zone, event_type, .. },
                Input::Event { event, device },
            ) => {
                event.event_type == *event_type
                    && device_id.is_none_or(|id| id == device.device_id)
                    && device_type.is_none_or(|t| t == device.device_type)
                    && zone.as_ref().is_none_or(|z| device.location.zone.eq_ignore_ascii_case(z.trim()))
            }
            (AutomationTrigger::DeviceState { device_id, .. }, Input::Held { device, .. }) => {
                *device_id == device.device_id
            }
            (AutomationTrigger::DeviceOffline { device_id, .. }, Input::Event { event, device }) => {
                event.event_type == EventType::DeviceOffline && device_id.is_none_or(|id| id == device.device_id)
            }
            (AutomationTrigger::AlarmSignal { codes, .. }, Input::Signal { code, .. }) => {
                if codes.is_empty() {
                    (100..200).contains(code)
                } else {
                    codes.contains(code)
                }
            }
            (AutomationTrigger::ModeChange { mode, .. }, Input::Mode { to, .. }) => mode.is_none_or(|m| m == *to),
            (AutomationTrigger::Schedule { at: Some(at), .. }, Input::Minute { local, .. }) => at == local,
            (AutomationTrigger::Schedule { cron: Some(c), .. }, Input::Minute { wall, .. }) => {
                parse_cron(c).is_ok_and(|c| c.is_time_matching(wall).unwrap_or(false))
            }
            _ => false,
        }
    }

    /// Judges each condition of the trigger.
    pub fn judge(&self, s: &Situation) -> Vec<Judged> {
        let c = self.trigger.conditions();
        let mut out = vec![];
        let mut push = |condition: &str, ok: bool, detail: String| {
            out.push(Judged { condition: condition.into(), ok, detail });
        };
        if let Some(r) = &c.time_range {
            let now = s.local_time.format("%H:%M").to_string();
            push("time_range", r.contains(s.local_time), format!("{now} home time, window {}-{}", r.start, r.end));
        }
        if let Some(want) = &c.arm_state {
            // The exit delay is not armed yet: people are still leaving.
            let armed = !matches!(s.arm_state, "disarmed" | "arming");
            let ok = match want.as_str() {
                "any" => true,
                "armed" => armed,
                "disarmed" => !armed,
                exact => exact == s.arm_state,
            };
            push("arm_state", ok, format!("the alarm is {}, wanted {want}", s.arm_state));
        }
        if let Some(m) = c.mode {
            push("mode", m == s.mode, format!("the home is in {} mode, wanted {}", s.mode.as_str(), m.as_str()));
        }
        if !c.days.is_empty() {
            let today = DAYS[s.weekday.num_days_from_monday() as usize];
            push("days", c.days.iter().any(|d| d == today), format!("today is {today}"));
        }
        if let Some(want) = &c.device_state {
            let have = s.states.get(&want.device_id);
            let wrong: Vec<String> = want
                .state
                .iter()
                .filter(|(k, v)| !have.and_then(|h| h.get(*k)).is_some_and(|h| same(h, v)))
                .map(|(k, v)| format!("{k} is {}, wanted {v}", have.and_then(|h| h.get(k)).unwrap_or(&Value::Null)))
                .collect();
            let detail = if wrong.is_empty() { "holds".to_owned() } else { wrong.join("; ") };
            push("device_state", wrong.is_empty(), detail);
        }
        out
    }
}

/// Fills a message's placeholders.
pub fn render(template: &str, rule: &Automation, input: &Input, s: &Situation) -> String {
    let (device, zone, event) = match input {
        Input::Event { event, device } | Input::Held { event, device, .. } => {
            (device.name.clone(), device.location.zone.clone(), event.event_type.as_str().to_owned())
        }
        Input::Signal { code, .. } => (String::new(), String::new(), format!("alarm signal {code}")),
        Input::Mode { to, .. } => (String::new(), String::new(), format!("{} mode", to.as_str())),
        Input::Minute { .. } => (String::new(), String::new(), "schedule".into()),
    };
    template
        .replace("{device}", &device)
        .replace("{zone}", &zone)
        .replace("{event}", &event)
        .replace("{time}", &s.local_time.format("%H:%M").to_string())
        .replace("{mode}", s.mode.as_str())
        .replace("{rule}", &rule.name)
}

/// How one action of a firing went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionOutcome {
    pub action: String,
    /// `done`, `failed`, or `pending` (not run yet).
    pub status: String,
    pub detail: String,
}

/// Why a firing ran its actions or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Claimed; the actions run.
    Running,
    Done,
    /// Some action failed (the others ran).
    Failed,
    /// Held back by the rule's cooldown.
    Cooldown,
    /// Waiting until `resume_at`: a delay between actions, or a
    /// `device_state` trigger's clock (a watch, not yet a firing).
    Waiting,
}

/// One firing of a rule: claimed once per (rule, input), then completed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutomationRun {
    pub run_id: Uuid,
    pub automation_id: Uuid,
    pub user_id: Uuid,
    pub trigger: Value,
    pub at: DateTime<Utc>,
    pub conditions: Vec<Judged>,
    pub status: RunStatus,
    pub actions: Vec<ActionOutcome>,
    /// When a waiting run goes on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_at: Option<DateTime<Utc>>,
}

impl AutomationRun {
    /// Whether it ran actions (what a cooldown counts from): not a
    /// cooldown's hold, nor a watch that has run nothing yet.
    pub fn fired(&self) -> bool {
        match self.status {
            RunStatus::Running | RunStatus::Done | RunStatus::Failed => true,
            RunStatus::Cooldown => false,
            RunStatus::Waiting => self.actions.iter().any(|a| a.status == "done"),
        }
    }

    /// A `device_state` trigger's clock, not yet a firing.
    pub fn is_watch(&self) -> bool {
        self.status == RunStatus::Waiting && self.trigger.get("watch") == Some(&Value::Bool(true))
    }
}

/// The id of a firing of `rule` by the input with `key`: the same on every delivery.
pub fn run_id(rule: Uuid, key: &str) -> Uuid {
    Uuid::new_v5(&rule, key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Location;
    use chrono::TimeZone;
    use serde_json::json;

    fn motion() -> Device {
        Device {
            device_id: Uuid::from_u128(1),
            user_id: Uuid::nil(),
            name: "Living Room Motion".into(),
            device_type: DeviceType::Motion,
            model: "m".into(),
            firmware_version: "1.0.0".into(),
            location: Location { zone: "Living Room".into(), floor: 1 },
            config: Map::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn night_motion() -> Value {
        json!({
            "name": "Night Motion Alert",
            "trigger": {
                "type": "device_event",
                "device_id": Uuid::from_u128(1),
                "event_type": "motion_detected",
                "conditions": { "time_range": { "start": "22:00", "end": "06:00" }, "arm_state": "armed" }
            },
            "actions": [
                { "type": "notification", "channel": "push", "message": "Motion at {device} ({zone}) at {time}" },
                { "type": "webhook", "url": "http://n8n:5678/webhook/night-motion" }
            ]
        })
    }

    fn build(v: Value) -> Result<Automation, DomainError> {
        let new: NewAutomation = serde_json::from_value(v).map_err(|e| DomainError::invalid("body", e.to_string()))?;
        new.into_automation(Uuid::new_v4(), Uuid::nil(), &[motion()][..], Utc::now())
    }

    #[test]
    fn the_requirements_example_is_valid_and_fires_at_night_when_armed() {
        let a = build(night_motion()).unwrap();
        assert_eq!((a.enabled, a.actions.len(), a.cooldown_seconds), (true, 2, 60));
        let device = motion();
        let event = Event {
            event_id: Uuid::new_v4(),
            device_id: device.device_id,
            user_id: Uuid::nil(),
            event_type: EventType::MotionDetected,
            payload: Map::new(),
            timestamp: Utc::now(),
            metadata: Map::new(),
        };
        let input = Input::Event { event: &event, device: &device };
        assert!(a.triggered_by(&input));
        let states = BTreeMap::new();
        let t = |h, m| chrono_tz::America::New_York.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap();
        let all_ok = |s: &Situation| a.judge(s).iter().all(|j| j.ok);
        assert!(all_ok(&Situation::at(t(23, 30), "armed_away", HomeMode::Away, &states)));
        assert!(all_ok(&Situation::at(t(2, 0), "armed_night", HomeMode::Sleep, &states)), "across midnight");
        assert!(!all_ok(&Situation::at(t(14, 0), "armed_away", HomeMode::Away, &states)));
        assert!(!all_ok(&Situation::at(t(23, 30), "disarmed", HomeMode::Home, &states)));
        assert!(!all_ok(&Situation::at(t(23, 30), "arming", HomeMode::Away, &states)), "not during the exit delay");
        let s = Situation::at(t(23, 30), "armed_away", HomeMode::Away, &states);
        assert_eq!(
            render("Motion at {device} ({zone}) at {time}", &a, &input, &s),
            "Motion at Living Room Motion (Living Room) at 23:30"
        );
        let mut other = event.clone();
        other.event_type = EventType::MotionStopped;
        assert!(!a.triggered_by(&Input::Event { event: &other, device: &device }));
        assert_eq!(run_id(a.automation_id, &input.key()), run_id(a.automation_id, &input.key()));
    }

    #[test]
    fn time_ranges_wrap_midnight() {
        let r = TimeRange { start: "22:00".into(), end: "06:00".into() };
        let t = |s| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        assert!(r.contains(t("23:30")) && r.contains(t("02:00")));
        assert!(!r.contains(t("12:00")) && !r.contains(t("06:00")));
        let day = TimeRange { start: "08:00".into(), end: "17:00".into() };
        assert!(day.contains(t("08:00")) && !day.contains(t("17:00")));
    }

    #[test]
    fn bad_rules_are_refused_naming_the_field() {
        let cases: [(&str, Value, &str); 8] = [
            ("/trigger/conditions/time_range/start", json!("25:00"), "trigger.conditions.time_range.start"),
            ("/actions", json!([]), "actions"),
            ("/actions/1/url", json!("file:///etc/passwd"), "actions[1].url"),
            ("/actions/0/channel", json!("pigeon"), "actions[0].channel"),
            ("/trigger/device_id", json!(Uuid::from_u128(9)), "trigger.device_id"),
            ("/trigger/event_type", json!("door_open"), "trigger.event_type"),
            ("/trigger/conditions/arm_state", json!("sort of"), "trigger.conditions.arm_state"),
            ("/cooldown_seconds", json!(100_000), "cooldown_seconds"),
        ];
        for (path, value, field) in cases {
            let mut v = night_motion();
            match v.pointer_mut(path) {
                Some(slot) => *slot = value,
                None => {
                    let (parent, key) = path.rsplit_once('/').unwrap();
                    v.pointer_mut(if parent.is_empty() { "" } else { parent }).unwrap()[key] = value;
                }
            }
            let e = build(v).unwrap_err();
            assert_eq!(e.details["field"], field, "{path}: {e:?}");
        }
        let mut v = night_motion();
        v["actions"] = json!([{ "type": "device_command", "device_id": Uuid::from_u128(1), "command": "unlock" }]);
        assert_eq!(build(v).unwrap_err().details["field"], "actions[0].command", "a motion sensor does not unlock");
    }

    #[test]
    fn schedules_run_at_a_time_or_by_cron_on_the_homes_clock() {
        let schedule = |trigger: Value| {
            build(
                json!({ "name": "s", "trigger": trigger, "actions": [{ "type": "notification", "channel": "in_app", "message": "m" }] }),
            )
        };
        let weekdays = schedule(json!({ "type": "schedule", "cron": "30 7 * * mon-fri" })).unwrap();
        let daily = schedule(json!({ "type": "schedule", "at": "07:30" })).unwrap();
        let minute = |y, m, d, h, min| {
            let wall = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap();
            (wall, wall.format("%H:%M").to_string())
        };
        let fires = |a: &Automation, (wall, local): (chrono::NaiveDateTime, String)| {
            a.triggered_by(&Input::Minute { local: &local, wall, key: "k", at: Utc::now() })
        };
        // Tuesday 1 December 2026 and Saturday 5 December.
        assert!(fires(&weekdays, minute(2026, 12, 1, 7, 30)));
        assert!(!fires(&weekdays, minute(2026, 12, 1, 7, 31)));
        assert!(!fires(&weekdays, minute(2026, 12, 5, 7, 30)), "not at the weekend");
        assert!(fires(&daily, minute(2026, 12, 5, 7, 30)));
        for (bad, why) in [
            (json!({ "type": "schedule", "cron": "61 * * * *" }), "trigger.cron"),
            (json!({ "type": "schedule", "cron": "* * * *" }), "trigger.cron"),
            (json!({ "type": "schedule", "cron": "0 9 * * 1", "at": "09:00" }), "trigger.at"),
            (json!({ "type": "schedule" }), "trigger.at"),
        ] {
            assert_eq!(schedule(bad.clone()).unwrap_err().details["field"], why, "{bad}");
        }
    }

    #[test]
    fn state_durations_delays_and_alarm_actions_are_checked_when_saved() {
        let door = Device { device_type: DeviceType::Door, device_id: Uuid::from_u128(2), ..motion() };
        let build = |v: Value| {
            let new: NewAutomation =
                serde_json::from_value(v).map_err(|e| DomainError::invalid("body", e.to_string()))?;
            new.into_automation(Uuid::new_v4(), Uuid::nil(), &[motion(), door.clone()][..], Utc::now())
        };
        let note = json!({ "type": "notification", "channel": "in_app", "message": "m" });
        let held = |state: Value, secs: u32| json!({ "name": "n", "trigger": { "type": "device_state", "device_id": Uuid::from_u128(2), "state": state, "for_seconds": secs }, "actions": [note] });
        let a = build(held(json!({ "open": true }), 600)).unwrap();
        let e = |t| Event {
            event_id: Uuid::new_v4(),
            device_id: door.device_id,
            user_id: Uuid::nil(),
            event_type: t,
            payload: Map::new(),
            timestamp: Utc::now(),
            metadata: Map::new(),
        };
        assert_eq!(a.watch(&door, &e(EventType::DoorOpen)), Some(Watch::Enters));
        assert_eq!(a.watch(&door, &e(EventType::DoorClosed)), Some(Watch::Leaves));
        assert_eq!(a.watch(&door, &e(EventType::TamperDetected)), None, "says nothing of the state");
        assert_eq!(a.watch(&motion(), &e(EventType::DoorOpen)), None, "another device");
        let field = |v| build(v).unwrap_err().details["field"].clone();
        let refused = build(held(json!({ "opn": true }), 600)).unwrap_err();
        assert_eq!(refused.details["field"], "trigger.state");
        assert!(refused.to_string().contains("open: true"), "names what a door reports: {refused}");
        assert_eq!(field(held(json!({ "open": true }), 5)), "trigger.for_seconds");
        assert_eq!(field(held(json!({}), 600)), "trigger.state");
        let with = |actions: Value| json!({ "name": "n", "trigger": { "type": "mode_change" }, "actions": actions });
        assert_eq!(
            field(with(json!([note, { "type": "delay", "seconds": 60 }]))),
            "actions[1].seconds",
            "nothing after it"
        );
        assert_eq!(field(with(json!([{ "type": "delay", "seconds": 0 }, note]))), "actions[0].seconds");
        assert!(build(with(json!([{ "type": "delay", "seconds": 60 }, note]))).is_ok());
        assert!(build(with(json!([{ "type": "arm", "mode": "night" }, { "type": "set_mode", "mode": "vacation" }, { "type": "disarm" }]))).is_ok());
        assert!(build(with(json!([{ "type": "arm", "mode": "sideways" }]))).is_err());
    }
}
