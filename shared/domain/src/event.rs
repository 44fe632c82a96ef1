//! The event schema of the requirements and the rules an incoming event
//! must pass: which event types each device type may emit, timestamps that
//! make sense, and bounded payloads.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::device::DeviceType;
use crate::error::DomainError;

macro_rules! event_types {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// Every event type a device can emit.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum EventType { $($variant),+ }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$variant => $name),+ }
            }
        }
    };
}

event_types! {
    // any device
    BatteryLow => "battery_low",
    TamperDetected => "tamper_detected",
    DeviceOffline => "device_offline",
    DeviceOnline => "device_online",
    // locks
    Locked => "locked",
    Unlocked => "unlocked",
    LockJammed => "lock_jammed",
    CodeEntered => "code_entered",
    // arming of sensors
    Armed => "armed",
    Disarmed => "disarmed",
    // motion (and cameras)
    MotionDetected => "motion_detected",
    MotionStopped => "motion_stopped",
    // thermostats
    TemperatureReading => "temperature_reading",
    HumidityReading => "humidity_reading",
    SetpointChanged => "setpoint_changed",
    HvacModeChanged => "hvac_mode_changed",
    // doors
    DoorOpen => "door_open",
    DoorClosed => "door_closed",
    DoorHeldOpen => "door_held_open",
    // cameras
    PersonDetected => "person_detected",
    PackageDetected => "package_detected",
    VehicleDetected => "vehicle_detected",
    DoorbellPressed => "doorbell_pressed",
    SnapshotTaken => "snapshot_taken",
    RecordingStarted => "recording_started",
    RecordingStopped => "recording_stopped",
    // glass-break sensors
    GlassBreak => "glass_break",
    // smoke and heat
    SmokeDetected => "smoke_detected",
    SmokeCleared => "smoke_cleared",
    HeatDetected => "heat_detected",
    CoDetected => "co_detected",
    SelfTest => "self_test",
    AlarmSilenced => "alarm_silenced",
}

impl EventType {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| DomainError::invalid("event_type", format!("unknown event type '{s}'")))
    }

    /// Whether a device of type `device` may emit this event.
    pub fn emitted_by(self, device: DeviceType) -> bool {
        use EventType as E;
        match self {
            E::BatteryLow => device.battery_powered(),
            E::TamperDetected | E::DeviceOffline | E::DeviceOnline => true,
            E::Locked | E::Unlocked | E::LockJammed | E::CodeEntered => device == DeviceType::Lock,
            E::Armed | E::Disarmed => {
                matches!(device, DeviceType::Motion | DeviceType::Door | DeviceType::GlassBreak)
            }
            E::MotionDetected | E::MotionStopped => matches!(device, DeviceType::Motion | DeviceType::Camera),
            E::TemperatureReading | E::HumidityReading | E::SetpointChanged | E::HvacModeChanged => {
                device == DeviceType::Thermostat
            }
            E::DoorOpen | E::DoorClosed | E::DoorHeldOpen => device == DeviceType::Door,
            E::PersonDetected
            | E::PackageDetected
            | E::VehicleDetected
            | E::DoorbellPressed
            | E::SnapshotTaken
            | E::RecordingStarted
            | E::RecordingStopped => device == DeviceType::Camera,
            E::GlassBreak => device == DeviceType::GlassBreak,
            E::SmokeDetected | E::SmokeCleared | E::HeatDetected | E::CoDetected | E::SelfTest | E::AlarmSilenced => {
                device == DeviceType::Smoke
            }
        }
    }

    /// The event types a device of type `device` may emit.
    pub fn for_device(device: DeviceType) -> Vec<EventType> {
        Self::ALL.iter().copied().filter(|t| t.emitted_by(device)).collect()
    }

    /// Events that signal a possible threat to the home or its people.
    pub fn is_security_relevant(self) -> bool {
        use EventType as E;
        matches!(
            self,
            E::GlassBreak
                | E::SmokeDetected
                | E::HeatDetected
                | E::CoDetected
                | E::TamperDetected
                | E::LockJammed
                | E::DoorHeldOpen
        )
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A device event (the JSON event schema of the requirements).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub event_id: Uuid,
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub event_type: EventType,
    #[serde(default)]
    pub payload: Map<String, Value>,
    pub timestamp: DateTime<Utc>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

/// How far ahead of the receiver's clock a device clock may run.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);
/// How old an event may be (devices buffer while offline, but not forever).
pub const MAX_EVENT_AGE: Duration = Duration::days(30);
/// The largest payload accepted, in bytes of JSON.
pub const MAX_PAYLOAD_BYTES: usize = 8 * 1024;
const MAX_METADATA_BYTES: usize = 2 * 1024;

fn check_unit_interval(payload: &Map<String, Value>, key: &str) -> Result<(), DomainError> {
    match payload.get(key) {
        None => Ok(()),
        Some(v) => match v.as_f64() {
            Some(n) if (0.0..=1.0).contains(&n) => Ok(()),
            _ => Err(DomainError::invalid(&format!("payload.{key}"), "must be a number from 0 to 1")),
        },
    }
}

fn check_range(payload: &Map<String, Value>, key: &str, min: f64, max: f64, required: bool) -> Result<(), DomainError> {
    match payload.get(key) {
        None if required => Err(DomainError::invalid(&format!("payload.{key}"), "is required")),
        None => Ok(()),
        Some(v) => match v.as_f64() {
            Some(n) if (min..=max).contains(&n) => Ok(()),
            _ => Err(DomainError::invalid(&format!("payload.{key}"), format!("must be a number from {min} to {max}"))),
        },
    }
}

impl Event {
    /// Checks the event against the emitting device's type and the receiver's clock.
    pub fn validate(&self, device_type: DeviceType, now: DateTime<Utc>) -> Result<(), DomainError> {
        if self.event_id.is_nil() {
            return Err(DomainError::invalid("event_id", "must be a non-nil UUID"));
        }
        if !self.event_type.emitted_by(device_type) {
            return Err(DomainError::invalid(
                "event_type",
                format!("a {device_type} device does not emit '{}'", self.event_type),
            )
            .with_details(serde_json::json!({
                "field": "event_type",
                "device_type": device_type.as_str(),
                "allowed": EventType::for_device(device_type).iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            })));
        }
        if self.timestamp > now + MAX_CLOCK_SKEW {
            return Err(DomainError::invalid("timestamp", "is in the future"));
        }
        if self.timestamp < now - MAX_EVENT_AGE {
            return Err(DomainError::invalid("timestamp", "is more than 30 days old"));
        }
        let size = serde_json::to_vec(&self.payload).map(|b| b.len()).unwrap_or(usize::MAX);
        if size > MAX_PAYLOAD_BYTES {
            return Err(DomainError::invalid("payload", format!("must be at most {MAX_PAYLOAD_BYTES} bytes of JSON")));
        }
        let size = serde_json::to_vec(&self.metadata).map(|b| b.len()).unwrap_or(usize::MAX);
        if size > MAX_METADATA_BYTES {
            return Err(DomainError::invalid(
                "metadata",
                format!("must be at most {MAX_METADATA_BYTES} bytes of JSON"),
            ));
        }
        self.validate_payload()
    }

    fn validate_payload(&self) -> Result<(), DomainError> {
        let p = &self.payload;
        check_unit_interval(p, "intensity")?;
        check_unit_interval(p, "confidence")?;
        check_range(p, "battery", 0.0, 100.0, self.event_type == EventType::BatteryLow)?;
        match self.event_type {
            EventType::TemperatureReading => check_range(p, "temperature", -40.0, 150.0, true),
            EventType::HumidityReading => check_range(p, "humidity", 0.0, 100.0, true),
            EventType::SetpointChanged => check_range(p, "target_temperature", 40.0, 95.0, true),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(t: EventType, payload: Value) -> Event {
        Event {
            event_id: Uuid::new_v4(),
            device_id: Uuid::new_v4(),
            user_id: Uuid::new_v4(),
            event_type: t,
            payload: serde_json::from_value(payload).unwrap(),
            timestamp: Utc::now(),
            metadata: Map::new(),
        }
    }

    #[test]
    fn names_round_trip_through_serde_and_parse() {
        for t in EventType::ALL {
            assert_eq!(serde_json::to_value(t).unwrap(), json!(t.as_str()));
            assert_eq!(EventType::parse(t.as_str()).unwrap(), *t);
        }
    }

    #[test]
    fn every_device_type_emits_something_and_every_event_has_an_emitter() {
        for d in DeviceType::ALL {
            assert!(EventType::for_device(d).len() >= 3, "{d} emits too little");
        }
        for t in EventType::ALL {
            assert!(DeviceType::ALL.iter().any(|d| t.emitted_by(*d)), "{t} has no emitter");
        }
    }

    #[test]
    fn devices_only_emit_their_own_event_types() {
        let now = Utc::now();
        assert!(event(EventType::MotionDetected, json!({})).validate(DeviceType::Motion, now).is_ok());
        let err = event(EventType::Unlocked, json!({})).validate(DeviceType::Motion, now).unwrap_err();
        assert_eq!(err.details["field"], "event_type");
        assert!(err.details["allowed"].as_array().unwrap().contains(&json!("motion_detected")));
        assert!(event(EventType::BatteryLow, json!({"battery": 12})).validate(DeviceType::Camera, now).is_err());
    }

    #[test]
    fn timestamps_must_be_plausible() {
        let now = Utc::now();
        let mut e = event(EventType::DoorOpen, json!({}));
        e.timestamp = now + Duration::hours(1);
        assert!(e.validate(DeviceType::Door, now).is_err());
        e.timestamp = now - Duration::days(31);
        assert!(e.validate(DeviceType::Door, now).is_err());
        e.timestamp = now + Duration::seconds(30);
        assert!(e.validate(DeviceType::Door, now).is_ok());
    }

    #[test]
    fn payloads_are_bounded_and_checked() {
        let now = Utc::now();
        let big = event(EventType::DoorOpen, json!({ "blob": "x".repeat(MAX_PAYLOAD_BYTES) }));
        assert!(big.validate(DeviceType::Door, now).is_err());
        let bad = event(EventType::MotionDetected, json!({ "intensity": 3 }));
        assert!(bad.validate(DeviceType::Motion, now).is_err());
        let missing = event(EventType::TemperatureReading, json!({}));
        assert!(missing.validate(DeviceType::Thermostat, now).is_err());
        let ok = event(EventType::TemperatureReading, json!({ "temperature": 71.5 }));
        assert!(ok.validate(DeviceType::Thermostat, now).is_ok());
        let nil = Event { event_id: Uuid::nil(), ..ok };
        assert!(nil.validate(DeviceType::Thermostat, now).is_err());
    }

    #[test]
    fn the_requirements_example_parses() {
        let e: Event = serde_json::from_value(json!({
            "event_id": "7f0c1d4e-8a55-4f7b-9a7c-0e5c7c1f2a11",
            "device_id": "0b8c8a9e-3f7e-4c55-8f59-2d3c0e9b6a21",
            "user_id": "5d1f0b2a-9c3e-4e7a-b6d8-1a2b3c4d5e6f",
            "event_type": "motion_detected",
            "payload": { "zone": "living_room", "intensity": 0.85, "signature": "human" },
            "timestamp": "2024-01-15T14:32:05.123Z",
            "metadata": { "firmware_version": "1.2.3", "signal_strength": -45, "is_simulated": false }
        }))
        .unwrap();
        assert_eq!(e.event_type, EventType::MotionDetected);
    }
}
