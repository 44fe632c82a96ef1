//! Automation rules: a trigger, optional conditions, and the actions to run.

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::DomainError;
use crate::event::EventType;
use crate::mode::HomeMode;

/// A window of the day, `"22:00"` to `"06:00"`; it may wrap past midnight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeRange {
    pub start: String,
    pub end: String,
}

impl TimeRange {
    fn parse(s: &str, field: &str) -> Result<NaiveTime, DomainError> {
        NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| DomainError::invalid(field, "must be a time such as 22:00"))
    }

    pub fn validate(&self) -> Result<(), DomainError> {
        Self::parse(&self.start, "trigger.conditions.time_range.start")?;
        Self::parse(&self.end, "trigger.conditions.time_range.end").map(drop)
    }

    /// Whether `t` falls inside the window (start inclusive, end exclusive).
    pub fn contains(&self, t: NaiveTime) -> bool {
        let (Ok(start), Ok(end)) = (Self::parse(&self.start, ""), Self::parse(&self.end, "")) else {
            return false;
        };
        if start <= end { start <= t && t < end } else { t >= start || t < end }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_range: Option<TimeRange>,
    /// `armed` or `disarmed`: the home's arm state derived from its mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<HomeMode>,
}

/// What starts an automation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AutomationTrigger {
    /// An event from one device (or any of the user's devices when `device_id` is absent).
    DeviceEvent {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_id: Option<Uuid>,
        event_type: EventType,
        #[serde(default)]
        conditions: Conditions,
    },
    /// A time of day, every day.
    Schedule { at: String },
    /// The home entering a mode.
    ModeChange { mode: HomeMode },
}

/// What an automation does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AutomationAction {
    Notification {
        channel: String,
        message: String,
    },
    Webhook {
        url: String,
    },
    DeviceCommand {
        device_id: Uuid,
        command: String,
        #[serde(default)]
        parameters: Map<String, Value>,
    },
    SetMode {
        mode: HomeMode,
    },
}

/// An automation as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Automation {
    pub automation_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub enabled: bool,
    pub trigger: AutomationTrigger,
    pub actions: Vec<AutomationAction>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a client sends to create an automation.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAutomation {
    pub name: String,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    pub trigger: AutomationTrigger,
    pub actions: Vec<AutomationAction>,
}

fn enabled_by_default() -> bool {
    true
}

const CHANNELS: &[&str] = &["push", "email", "sms", "in_app"];
const MAX_ACTIONS: usize = 20;

impl NewAutomation {
    pub fn into_automation(self, id: Uuid, owner: Uuid, now: DateTime<Utc>) -> Result<Automation, DomainError> {
        let a = Automation {
            automation_id: id,
            user_id: owner,
            name: self.name.trim().to_owned(),
            enabled: self.enabled,
            trigger: self.trigger,
            actions: self.actions,
            created_at: now,
            updated_at: now,
        };
        a.validate()?;
        Ok(a)
    }
}

impl Automation {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.name.is_empty() || self.name.chars().count() > 100 {
            return Err(DomainError::invalid("name", "must be 1 to 100 characters"));
        }
        match &self.trigger {
            AutomationTrigger::DeviceEvent { conditions, .. } => {
                if let Some(range) = &conditions.time_range {
                    range.validate()?;
                }
                if let Some(state) = &conditions.arm_state
                    && state != "armed"
                    && state != "disarmed"
                {
                    return Err(DomainError::invalid("trigger.conditions.arm_state", "must be armed or disarmed"));
                }
            }
            AutomationTrigger::Schedule { at } => {
                TimeRange::parse(at, "trigger.at")?;
            }
            AutomationTrigger::ModeChange { .. } => {}
        }
        if self.actions.is_empty() || self.actions.len() > MAX_ACTIONS {
            return Err(DomainError::invalid("actions", format!("must hold 1 to {MAX_ACTIONS} actions")));
        }
        for action in &self.actions {
            match action {
                AutomationAction::Notification { channel, message } => {
                    if !CHANNELS.contains(&channel.as_str()) {
                        return Err(DomainError::invalid("actions.channel", "must be push, email, sms or in_app"));
                    }
                    if message.trim().is_empty() || message.len() > 500 {
                        return Err(DomainError::invalid("actions.message", "must be 1 to 500 characters"));
                    }
                }
                AutomationAction::Webhook { url } => {
                    let ok = (url.starts_with("http://") || url.starts_with("https://")) && url.len() <= 2048;
                    if !ok {
                        return Err(DomainError::invalid("actions.url", "must be an http(s) URL"));
                    }
                }
                AutomationAction::DeviceCommand { command, .. } => {
                    if command.is_empty() {
                        return Err(DomainError::invalid("actions.command", "must not be empty"));
                    }
                }
                AutomationAction::SetMode { .. } => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn night_motion() -> Value {
        json!({
            "name": "Night Motion Alert",
            "trigger": {
                "type": "device_event",
                "device_id": "0b8c8a9e-3f7e-4c55-8f59-2d3c0e9b6a21",
                "event_type": "motion_detected",
                "conditions": { "time_range": { "start": "22:00", "end": "06:00" }, "arm_state": "armed" }
            },
            "actions": [
                { "type": "notification", "channel": "push", "message": "Motion detected at night!" },
                { "type": "webhook", "url": "http://n8n:5678/webhook/night-motion" }
            ]
        })
    }

    fn build(v: Value) -> Result<Automation, DomainError> {
        let new: NewAutomation = serde_json::from_value(v).map_err(|e| DomainError::invalid("body", e.to_string()))?;
        new.into_automation(Uuid::new_v4(), Uuid::new_v4(), Utc::now())
    }

    #[test]
    fn the_requirements_example_is_valid() {
        let a = build(night_motion()).unwrap();
        assert!(a.enabled);
        assert_eq!(a.actions.len(), 2);
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
    fn bad_rules_are_rejected() {
        let mut v = night_motion();
        v["trigger"]["conditions"]["time_range"]["start"] = json!("25:00");
        assert!(build(v).is_err());
        let mut v = night_motion();
        v["actions"] = json!([]);
        assert!(build(v).is_err());
        let mut v = night_motion();
        v["actions"][1]["url"] = json!("file:///etc/passwd");
        assert!(build(v).is_err());
        let mut v = night_motion();
        v["actions"][0]["channel"] = json!("pigeon");
        assert!(build(v).is_err());
        let mut v = night_motion();
        v["trigger"]["event_type"] = json!("teleported");
        assert!(build(v).is_err());
    }
}
