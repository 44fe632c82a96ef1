//! The event bus's topics and the messages that travel on them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::command::DeviceCommand;
use crate::error::DomainError;

/// A topic of the bus. Device messages are keyed by device id, so that one
/// device's messages stay in order; the alarm's by the home's user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Topic {
    #[serde(rename = "device.events")]
    DeviceEvents,
    #[serde(rename = "device.heartbeats")]
    DeviceHeartbeats,
    #[serde(rename = "device.alerts")]
    DeviceAlerts,
    #[serde(rename = "device.commands")]
    DeviceCommands,
    /// The alarm's transitions and signals.
    #[serde(rename = "home.alarm")]
    HomeAlarm,
    /// Notifications to deliver, keyed by their recipient.
    #[serde(rename = "notifications")]
    Notifications,
}

impl Topic {
    pub const ALL: [Topic; 6] = [
        Self::DeviceEvents,
        Self::DeviceHeartbeats,
        Self::DeviceAlerts,
        Self::DeviceCommands,
        Self::HomeAlarm,
        Self::Notifications,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeviceEvents => "device.events",
            Self::DeviceHeartbeats => "device.heartbeats",
            Self::DeviceAlerts => "device.alerts",
            Self::DeviceCommands => "device.commands",
            Self::HomeAlarm => "home.alarm",
            Self::Notifications => "notifications",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The CloudEvents type prefix of this topic's messages.
    pub fn cloudevent_type(self) -> &'static str {
        match self {
            Self::DeviceEvents => "dev.homeguard.device.event",
            Self::DeviceHeartbeats => "dev.homeguard.device.heartbeat",
            Self::DeviceAlerts => "dev.homeguard.device.alert",
            Self::DeviceCommands => "dev.homeguard.device.command",
            Self::HomeAlarm => "dev.homeguard.home.alarm",
            Self::Notifications => "dev.homeguard.notification",
        }
    }
}

impl std::fmt::Display for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A device's periodic sign of life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    pub heartbeat_id: Uuid,
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub timestamp: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_strength: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
}

impl Heartbeat {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), DomainError> {
        if self.timestamp > now + crate::event::MAX_CLOCK_SKEW {
            return Err(DomainError::invalid("timestamp", "is in the future"));
        }
        if self.battery.is_some_and(|b| !(0.0..=100.0).contains(&b)) {
            return Err(DomainError::invalid("battery", "must be from 0 to 100"));
        }
        if self.signal_strength.is_some_and(|s| !(-130..=0).contains(&s)) {
            return Err(DomainError::invalid("signal_strength", "must be from -130 to 0 dBm"));
        }
        if let Some(fw) = &self.firmware_version {
            crate::device::check_firmware_version(fw)?;
        }
        Ok(())
    }
}

/// A command on its way to a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandMessage {
    pub command_id: Uuid,
    pub device_id: Uuid,
    pub user_id: Uuid,
    /// Who asked: the user, or the agent acting for them.
    pub issued_by: Uuid,
    pub command: String,
    #[serde(default)]
    pub parameters: Map<String, Value>,
    pub timestamp: DateTime<Utc>,
}

impl CommandMessage {
    pub fn new(
        command_id: Uuid,
        device_id: Uuid,
        user_id: Uuid,
        issued_by: Uuid,
        cmd: &DeviceCommand,
        now: DateTime<Utc>,
    ) -> Self {
        let v = serde_json::to_value(cmd).unwrap_or(Value::Null);
        let parameters = v.get("parameters").and_then(Value::as_object).cloned().unwrap_or_default();
        Self { command_id, device_id, user_id, issued_by, command: cmd.name().to_owned(), parameters, timestamp: now }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_have_their_kafka_names() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), Value::String(t.as_str().into()));
        }
    }

    #[test]
    fn heartbeats_are_checked() {
        let now = Utc::now();
        let hb = Heartbeat {
            heartbeat_id: Uuid::new_v4(),
            device_id: Uuid::new_v4(),
            user_id: Uuid::new_v4(),
            timestamp: now,
            battery: Some(85.0),
            signal_strength: Some(-45),
            firmware_version: Some("1.2.3".into()),
        };
        assert!(hb.validate(now).is_ok());
        assert!(Heartbeat { battery: Some(101.0), ..hb.clone() }.validate(now).is_err());
        assert!(Heartbeat { signal_strength: Some(20), ..hb.clone() }.validate(now).is_err());
        assert!(Heartbeat { timestamp: now + chrono::Duration::hours(1), ..hb }.validate(now).is_err());
    }

    #[test]
    fn commands_carry_their_parameters() {
        let now = Utc::now();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let m = CommandMessage::new(a, b, a, a, &DeviceCommand::SetTemperature { temperature: 71.0 }, now);
        assert_eq!(m.command, "set_temperature");
        assert_eq!(m.parameters["temperature"], 71.0);
        assert!(CommandMessage::new(a, b, a, a, &DeviceCommand::Lock, now).parameters.is_empty());
    }
}
