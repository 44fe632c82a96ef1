//! Device commands and which device types accept which.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::device::DeviceType;
use crate::error::DomainError;

/// Thermostat set points are accepted within this range (°F).
pub const SETPOINT_RANGE_F: (f64, f64) = (50.0, 90.0);

/// HVAC modes a thermostat can be put in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HvacMode {
    Heat,
    Cool,
    Auto,
    Off,
}

/// A validated command for one device.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "command", content = "parameters", rename_all = "snake_case")]
pub enum DeviceCommand {
    Lock,
    Unlock,
    SetTemperature { temperature: f64 },
    SetMode { mode: HvacMode },
    Snapshot,
    StartRecording,
    StopRecording,
    Arm,
    Disarm,
    Test,
    Silence,
}

impl DeviceCommand {
    /// The command names a device type accepts.
    pub fn accepted_by(device: DeviceType) -> &'static [&'static str] {
        match device {
            DeviceType::Lock => &["lock", "unlock"],
            DeviceType::Thermostat => &["set_temperature", "set_mode"],
            DeviceType::Camera => &["snapshot", "start_recording", "stop_recording"],
            DeviceType::Motion | DeviceType::Door | DeviceType::GlassBreak => &["arm", "disarm"],
            DeviceType::Smoke => &["test", "silence"],
        }
    }

    /// Parses `command` with its `parameters` for a device of type `device`.
    pub fn parse(device: DeviceType, command: &str, parameters: &Map<String, Value>) -> Result<Self, DomainError> {
        if !Self::accepted_by(device).contains(&command) {
            return Err(DomainError::invalid("command", format!("a {device} device does not accept '{command}'"))
                .with_details(json!({
                    "field": "command",
                    "device_type": device.as_str(),
                    "allowed": Self::accepted_by(device),
                })));
        }
        let cmd = match command {
            "lock" => Self::Lock,
            "unlock" => Self::Unlock,
            "set_temperature" => {
                let (lo, hi) = SETPOINT_RANGE_F;
                match parameters.get("temperature").and_then(Value::as_f64) {
                    Some(t) if (lo..=hi).contains(&t) => Self::SetTemperature { temperature: t },
                    _ => {
                        return Err(DomainError::invalid(
                            "parameters.temperature",
                            format!("must be a number from {lo} to {hi} (°F)"),
                        ));
                    }
                }
            }
            "set_mode" => {
                let mode = parameters
                    .get("mode")
                    .cloned()
                    .and_then(|m| serde_json::from_value::<HvacMode>(m).ok())
                    .ok_or_else(|| DomainError::invalid("parameters.mode", "must be one of heat, cool, auto, off"))?;
                Self::SetMode { mode }
            }
            "snapshot" => Self::Snapshot,
            "start_recording" => Self::StartRecording,
            "stop_recording" => Self::StopRecording,
            "arm" => Self::Arm,
            "disarm" => Self::Disarm,
            "test" => Self::Test,
            "silence" => Self::Silence,
            _ => unreachable!("accepted_by lists only commands handled here"),
        };
        Ok(cmd)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Lock => "lock",
            Self::Unlock => "unlock",
            Self::SetTemperature { .. } => "set_temperature",
            Self::SetMode { .. } => "set_mode",
            Self::Snapshot => "snapshot",
            Self::StartRecording => "start_recording",
            Self::StopRecording => "stop_recording",
            Self::Arm => "arm",
            Self::Disarm => "disarm",
            Self::Test => "test",
            Self::Silence => "silence",
        }
    }

    /// Commands that lower the home's protection; an agent proposes these
    /// and runs them only once the user confirms.
    pub fn is_security_sensitive(&self) -> bool {
        matches!(self, Self::Unlock | Self::Disarm | Self::Silence | Self::StopRecording)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(v: Value) -> Map<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn each_type_accepts_only_its_commands() {
        for d in DeviceType::ALL {
            for name in DeviceCommand::accepted_by(d) {
                let p = params(json!({ "temperature": 70, "mode": "cool" }));
                assert_eq!(DeviceCommand::parse(d, name, &p).unwrap().name(), *name);
            }
        }
        let err = DeviceCommand::parse(DeviceType::Motion, "unlock", &Map::new()).unwrap_err();
        assert_eq!(err.details["allowed"], json!(["arm", "disarm"]));
    }

    #[test]
    fn setpoints_are_range_checked() {
        let t = DeviceType::Thermostat;
        assert!(DeviceCommand::parse(t, "set_temperature", &params(json!({"temperature": 72}))).is_ok());
        assert!(DeviceCommand::parse(t, "set_temperature", &params(json!({"temperature": 120}))).is_err());
        assert!(DeviceCommand::parse(t, "set_temperature", &params(json!({"temperature": "warm"}))).is_err());
        assert!(DeviceCommand::parse(t, "set_temperature", &Map::new()).is_err());
        assert!(DeviceCommand::parse(t, "set_mode", &params(json!({"mode": "turbo"}))).is_err());
    }

    #[test]
    fn unlock_and_disarm_are_sensitive() {
        assert!(DeviceCommand::Unlock.is_security_sensitive());
        assert!(DeviceCommand::Disarm.is_security_sensitive());
        assert!(!DeviceCommand::Lock.is_security_sensitive());
    }

    #[test]
    fn serializes_as_command_and_parameters() {
        let v = serde_json::to_value(DeviceCommand::SetTemperature { temperature: 71.0 }).unwrap();
        assert_eq!(v, json!({ "command": "set_temperature", "parameters": { "temperature": 71.0 } }));
    }
}
