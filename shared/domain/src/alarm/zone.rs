//! Zone types: how each sensor counts when the home is armed.

use serde::{Deserialize, Serialize};

use crate::device::DeviceType;
use crate::event::EventType;

/// How a sensor behaves when armed (`../shared/ALARM.md`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneType {
    /// Entry doors and their locks: delayed by the entry delay.
    EntryExit,
    /// Other doors and windows, glass-break: an alarm at once when armed.
    PerimeterInstant,
    /// Motion: an alarm when armed away, unless an entry delay runs (then it
    /// follows it); bypassed at home and at night.
    InteriorFollower,
    /// Smoke, heat, CO: always armed, its own alarm that outranks burglary.
    Fire24h,
    /// Not a security zone (thermostats, cameras).
    #[default]
    None,
}

impl ZoneType {
    /// The default for a device type; a door sensor or lock whose zone or
    /// name says it is an entry (front, back, garage, entrance) is entry/exit,
    /// any other door or window is perimeter.
    pub fn default_for(device_type: DeviceType, name_and_zone: &str) -> Self {
        let words = name_and_zone.to_ascii_lowercase();
        let entry =
            ["front", "back", "garage", "entrance", "entry", "main", "side door"].iter().any(|w| words.contains(w))
                && !words.contains("window");
        match device_type {
            DeviceType::Lock => Self::EntryExit,
            DeviceType::Door if entry => Self::EntryExit,
            DeviceType::Door | DeviceType::GlassBreak => Self::PerimeterInstant,
            DeviceType::Motion => Self::InteriorFollower,
            DeviceType::Smoke => Self::Fire24h,
            DeviceType::Thermostat | DeviceType::Camera => Self::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EntryExit => "entry_exit",
            Self::PerimeterInstant => "perimeter_instant",
            Self::InteriorFollower => "interior_follower",
            Self::Fire24h => "fire_24h",
            Self::None => "none",
        }
    }
}

/// What a device event means to the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorChange {
    /// A door or window opened (it now blocks arming until closed).
    Opened,
    Closed,
    /// A lock unlocked: someone is coming in (an entry, not an open door).
    Unlocked,
    /// Motion, or glass breaking.
    Tripped,
    Smoke,
    Tamper,
    /// A camera saw a person (it verifies an intrusion; it never raises one).
    Person,
    Offline,
    Online,
    LowBattery,
}

impl SensorChange {
    /// The change an event reports, if it is one the panel cares about.
    pub fn of(event_type: EventType) -> Option<Self> {
        Some(match event_type {
            EventType::DoorOpen | EventType::DoorHeldOpen => Self::Opened,
            EventType::DoorClosed => Self::Closed,
            EventType::Unlocked => Self::Unlocked,
            EventType::MotionDetected | EventType::GlassBreak => Self::Tripped,
            EventType::SmokeDetected | EventType::HeatDetected | EventType::CoDetected => Self::Smoke,
            EventType::TamperDetected => Self::Tamper,
            EventType::PersonDetected => Self::Person,
            EventType::DeviceOffline => Self::Offline,
            EventType::DeviceOnline => Self::Online,
            EventType::BatteryLow => Self::LowBattery,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_make_the_normal_way_out_just_work() {
        assert_eq!(ZoneType::default_for(DeviceType::Door, "Front Door / Entrance"), ZoneType::EntryExit);
        assert_eq!(ZoneType::default_for(DeviceType::Door, "Patio Door / Living Room"), ZoneType::PerimeterInstant);
        assert_eq!(ZoneType::default_for(DeviceType::Lock, "Anything"), ZoneType::EntryExit);
        assert_eq!(ZoneType::default_for(DeviceType::Motion, "Hallway"), ZoneType::InteriorFollower);
        assert_eq!(ZoneType::default_for(DeviceType::Smoke, "Kitchen"), ZoneType::Fire24h);
        assert_eq!(ZoneType::default_for(DeviceType::GlassBreak, "Front Window"), ZoneType::PerimeterInstant);
        assert_eq!(ZoneType::default_for(DeviceType::Door, "Back Window Sensor / Kitchen"), ZoneType::PerimeterInstant);
        assert_eq!(SensorChange::of(EventType::DoorHeldOpen), Some(SensorChange::Opened));
        assert_eq!(SensorChange::of(EventType::TemperatureReading), None);
    }
}
