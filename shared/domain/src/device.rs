//! Devices: the seven types, their registry document and their current state.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::DomainError;

/// The device types HomeGuard knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    Lock,
    Motion,
    Thermostat,
    Door,
    Camera,
    GlassBreak,
    Smoke,
}

impl DeviceType {
    pub const ALL: [DeviceType; 7] =
        [Self::Lock, Self::Motion, Self::Thermostat, Self::Door, Self::Camera, Self::GlassBreak, Self::Smoke];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lock => "lock",
            Self::Motion => "motion",
            Self::Thermostat => "thermostat",
            Self::Door => "door",
            Self::Camera => "camera",
            Self::GlassBreak => "glass_break",
            Self::Smoke => "smoke",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| {
            DomainError::invalid(
                "type",
                format!("unknown device type '{s}' (lock, motion, thermostat, door, camera, glass_break, smoke)"),
            )
        })
    }

    /// Whether the device runs on a battery (and so reports `battery`).
    pub fn battery_powered(self) -> bool {
        !matches!(self, Self::Thermostat | Self::Camera)
    }

    /// The state a device of this type starts in before it reports anything.
    pub fn initial_state(self) -> DeviceState {
        let mut s = match self {
            Self::Lock => json!({ "state": "locked", "locked": true }),
            Self::Motion => json!({ "state": "idle", "armed": true }),
            Self::Thermostat => json!({
                "state": "idle", "mode": "heat", "temperature": 70.0, "target_temperature": 70.0, "humidity": 40
            }),
            Self::Door => json!({ "state": "closed", "open": false }),
            Self::Camera => json!({ "state": "recording", "recording": true }),
            Self::GlassBreak => json!({ "state": "idle", "armed": true }),
            Self::Smoke => json!({ "state": "clear", "smoke": false }),
        };
        if self.battery_powered() {
            s["battery"] = json!(100);
        }
        match s {
            Value::Object(map) => map.into_iter().collect(),
            _ => unreachable!("state literals are objects"),
        }
    }

    /// The configuration a device of this type gets when none is given.
    pub fn default_config(self) -> Map<String, Value> {
        let v = match self {
            Self::Lock => json!({ "auto_lock_delay": 30, "volume": "medium" }),
            Self::Motion => json!({ "sensitivity": "medium", "pet_immune": false }),
            Self::Thermostat => json!({ "min_temp": 68, "max_temp": 76, "unit": "F" }),
            Self::Door => json!({ "chime": true }),
            Self::Camera => json!({ "resolution": "1080p", "night_vision": true, "motion_zones": [] }),
            Self::GlassBreak => json!({ "sensitivity": "medium" }),
            Self::Smoke => json!({ "interconnected": true }),
        };
        match v {
            Value::Object(map) => map,
            _ => unreachable!("config literals are objects"),
        }
    }
}

impl std::fmt::Display for DeviceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a device is in the home.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub zone: String,
    pub floor: i32,
}

/// A device's registry document (the `devices` collection of the requirements).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    pub device_type: DeviceType,
    pub model: String,
    pub firmware_version: String,
    pub location: Location,
    pub config: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A device's current state: a flat map of fields (the `device:state:{id}` hash).
pub type DeviceState = BTreeMap<String, Value>;

/// What a client sends to register a device.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceDraft {
    pub name: String,
    #[serde(rename = "type")]
    pub device_type: String,
    pub model: String,
    #[serde(default)]
    pub firmware_version: Option<String>,
    pub location: Location,
    #[serde(default)]
    pub config: Option<Map<String, Value>>,
    /// Admins may register a device in another user's home.
    #[serde(default)]
    pub user_id: Option<Uuid>,
}

impl DeviceDraft {
    /// Validates the draft and builds the device it describes.
    pub fn into_device(self, device_id: Uuid, owner: Uuid, now: DateTime<Utc>) -> Result<Device, DomainError> {
        let device_type = DeviceType::parse(self.device_type.trim())?;
        let mut config = device_type.default_config();
        if let Some(given) = self.config {
            config.extend(given);
        }
        let device = Device {
            device_id,
            user_id: owner,
            name: self.name.trim().to_owned(),
            device_type,
            model: self.model.trim().to_owned(),
            firmware_version: self.firmware_version.unwrap_or_else(|| "1.0.0".into()).trim().to_owned(),
            location: Location { zone: self.location.zone.trim().to_owned(), floor: self.location.floor },
            config,
            created_at: now,
            updated_at: now,
        };
        device.validate()?;
        Ok(device)
    }
}

/// A partial update; absent fields are left as they are. The type and owner
/// of a device never change.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicePatch {
    pub name: Option<String>,
    pub model: Option<String>,
    pub firmware_version: Option<String>,
    pub location: Option<Location>,
    /// Merged key by key into the current config; a key set to null is removed.
    pub config: Option<Map<String, Value>>,
}

impl DevicePatch {
    /// Applies the patch, validating the result.
    pub fn apply(self, device: &Device, now: DateTime<Utc>) -> Result<Device, DomainError> {
        let mut next = device.clone();
        if let Some(name) = self.name {
            next.name = name.trim().to_owned();
        }
        if let Some(model) = self.model {
            next.model = model.trim().to_owned();
        }
        if let Some(fw) = self.firmware_version {
            next.firmware_version = fw.trim().to_owned();
        }
        if let Some(loc) = self.location {
            next.location = Location { zone: loc.zone.trim().to_owned(), floor: loc.floor };
        }
        if let Some(config) = self.config {
            for (k, v) in config {
                if v.is_null() {
                    next.config.remove(&k);
                } else {
                    next.config.insert(k, v);
                }
            }
        }
        next.updated_at = now;
        next.validate()?;
        Ok(next)
    }
}

const MAX_TEXT: usize = 100;
const MAX_CONFIG_BYTES: usize = 16 * 1024;
const MAX_CONFIG_KEYS: usize = 64;

fn check_text(field: &str, value: &str) -> Result<(), DomainError> {
    if value.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(DomainError::invalid(field, format!("must be at most {MAX_TEXT} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// Firmware versions look like `1.2.3`, optionally with a suffix (`2.0.1-beta`).
pub fn check_firmware_version(v: &str) -> Result<(), DomainError> {
    let ok = v.len() <= 32
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    if ok { Ok(()) } else { Err(DomainError::invalid("firmware_version", "must look like 1.2.3")) }
}

fn check_number(config: &Map<String, Value>, key: &str, min: f64, max: f64) -> Result<(), DomainError> {
    match config.get(key) {
        None => Ok(()),
        Some(v) => match v.as_f64() {
            Some(n) if (min..=max).contains(&n) => Ok(()),
            _ => Err(DomainError::invalid(&format!("config.{key}"), format!("must be a number from {min} to {max}"))),
        },
    }
}

fn check_choice(config: &Map<String, Value>, key: &str, allowed: &[&str]) -> Result<(), DomainError> {
    match config.get(key) {
        None => Ok(()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        Some(_) => {
            Err(DomainError::invalid(&format!("config.{key}"), format!("must be one of {}", allowed.join(", "))))
        }
    }
}

fn check_bool(config: &Map<String, Value>, key: &str) -> Result<(), DomainError> {
    match config.get(key) {
        None | Some(Value::Bool(_)) => Ok(()),
        Some(_) => Err(DomainError::invalid(&format!("config.{key}"), "must be true or false")),
    }
}

impl Device {
    /// Checks every field of the document.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_text("name", &self.name)?;
        check_text("model", &self.model)?;
        check_firmware_version(&self.firmware_version)?;
        check_text("location.zone", &self.location.zone)?;
        if !(-5..=200).contains(&self.location.floor) {
            return Err(DomainError::invalid("location.floor", "must be from -5 to 200"));
        }
        self.validate_config()
    }

    fn validate_config(&self) -> Result<(), DomainError> {
        let c = &self.config;
        if c.len() > MAX_CONFIG_KEYS {
            return Err(DomainError::invalid("config", format!("must have at most {MAX_CONFIG_KEYS} keys")));
        }
        let size = serde_json::to_vec(c).map(|b| b.len()).unwrap_or(usize::MAX);
        if size > MAX_CONFIG_BYTES {
            return Err(DomainError::invalid("config", format!("must be at most {MAX_CONFIG_BYTES} bytes of JSON")));
        }
        const LEVELS: &[&str] = &["low", "medium", "high"];
        match self.device_type {
            DeviceType::Lock => {
                check_number(c, "auto_lock_delay", 0.0, 3600.0)?;
                check_choice(c, "volume", &["off", "low", "medium", "high"])
            }
            DeviceType::Motion => {
                check_choice(c, "sensitivity", LEVELS)?;
                check_bool(c, "pet_immune")
            }
            DeviceType::Thermostat => {
                check_number(c, "min_temp", 40.0, 95.0)?;
                check_number(c, "max_temp", 40.0, 95.0)?;
                check_choice(c, "unit", &["F", "C"])?;
                let min = c.get("min_temp").and_then(Value::as_f64);
                let max = c.get("max_temp").and_then(Value::as_f64);
                match (min, max) {
                    (Some(lo), Some(hi)) if lo > hi => {
                        Err(DomainError::invalid("config.min_temp", "must not be above config.max_temp"))
                    }
                    _ => Ok(()),
                }
            }
            DeviceType::Door => check_bool(c, "chime"),
            DeviceType::Camera => {
                check_choice(c, "resolution", &["720p", "1080p", "2k", "4k"])?;
                check_bool(c, "night_vision")
            }
            DeviceType::GlassBreak => check_choice(c, "sensitivity", LEVELS),
            DeviceType::Smoke => check_bool(c, "interconnected"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(t: &str) -> DeviceDraft {
        DeviceDraft {
            name: " Front Door Lock ".into(),
            device_type: t.into(),
            model: "Yale Assure Lock 2".into(),
            firmware_version: Some("1.2.3".into()),
            location: Location { zone: "Front Entrance".into(), floor: 1 },
            config: None,
            user_id: None,
        }
    }

    fn build(d: DeviceDraft) -> Result<Device, DomainError> {
        d.into_device(Uuid::new_v4(), Uuid::new_v4(), Utc::now())
    }

    #[test]
    fn every_type_parses_and_has_state_and_config() {
        for t in DeviceType::ALL {
            assert_eq!(DeviceType::parse(t.as_str()).unwrap(), t);
            assert!(t.initial_state().contains_key("state"));
            assert_eq!(t.initial_state().contains_key("battery"), t.battery_powered());
            build(draft(t.as_str())).unwrap();
        }
        assert!(DeviceType::parse("toaster").is_err());
    }

    #[test]
    fn drafts_are_trimmed_and_get_default_config() {
        let d = build(draft("lock")).unwrap();
        assert_eq!(d.name, "Front Door Lock");
        assert_eq!(d.config["auto_lock_delay"], 30);
    }

    #[test]
    fn blank_or_long_names_are_rejected() {
        let mut d = draft("lock");
        d.name = "   ".into();
        assert_eq!(build(d).unwrap_err().details["field"], "name");
        let mut d = draft("lock");
        d.name = "x".repeat(101);
        assert!(build(d).is_err());
    }

    #[test]
    fn floors_and_firmware_are_checked() {
        let mut d = draft("door");
        d.location.floor = 500;
        assert!(build(d).is_err());
        let mut d = draft("door");
        d.firmware_version = Some("latest; DROP".into());
        assert!(build(d).is_err());
    }

    #[test]
    fn config_is_checked_per_type() {
        let mut d = draft("lock");
        d.config = Some(serde_json::from_value(json!({ "auto_lock_delay": -1 })).unwrap());
        assert_eq!(build(d).unwrap_err().details["field"], "config.auto_lock_delay");
        let mut d = draft("thermostat");
        d.config = Some(serde_json::from_value(json!({ "min_temp": 80, "max_temp": 70 })).unwrap());
        assert!(build(d).is_err());
        let mut d = draft("camera");
        d.config = Some(serde_json::from_value(json!({ "custom_key": "kept" })).unwrap());
        assert_eq!(build(d).unwrap().config["custom_key"], "kept");
    }

    #[test]
    fn patches_merge_config_and_keep_type_and_owner() {
        let d = build(draft("lock")).unwrap();
        let patch = DevicePatch {
            name: Some("Back Door Lock".into()),
            config: Some(serde_json::from_value(json!({ "volume": null, "auto_lock_delay": 60 })).unwrap()),
            ..Default::default()
        };
        let next = patch.apply(&d, Utc::now()).unwrap();
        assert_eq!(next.name, "Back Door Lock");
        assert_eq!(next.config["auto_lock_delay"], 60);
        assert!(!next.config.contains_key("volume"));
        assert_eq!((next.device_type, next.user_id, next.device_id), (d.device_type, d.user_id, d.device_id));
        let bad = DevicePatch { name: Some(String::new()), ..Default::default() };
        assert!(bad.apply(&d, Utc::now()).is_err());
    }

    #[test]
    fn unknown_fields_in_a_draft_are_refused() {
        let r: Result<DeviceDraft, _> = serde_json::from_value(json!({
            "name": "x", "type": "lock", "model": "m", "location": {"zone": "z", "floor": 1}, "colour": "red"
        }));
        assert!(r.is_err());
    }
}
