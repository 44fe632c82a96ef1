//! The demo homes: three users and their devices, as the requirements'
//! simulator configuration describes them (john 5 devices, sarah 12).
//!
//! Ids are derived from names (UUID v5) so that a seeded home is the same
//! home on every machine, which keeps scenarios and docs reproducible.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::device::{Device, DeviceType, Location};
use crate::home::{PetKind, PetSize};
use crate::user::Role;

/// The password every demo user starts with.
pub const DEMO_PASSWORD: &str = "demo123";

const NAMESPACE: Uuid = Uuid::from_u128(0x6f1d_3c2a_8b4e_4d9f_a1c7_5e2b_9d0f_4a6c);

#[derive(Debug, Clone)]
pub struct SeedUser {
    pub id: Uuid,
    pub email: &'static str,
    pub name: &'static str,
    pub role: Role,
    pub devices: Vec<SeedDevice>,
    pub home: SeedHome,
}

/// What a demo home starts with besides its devices.
#[derive(Debug, Clone)]
pub struct SeedHome {
    pub time_zone: &'static str,
    /// Members' codes: (name, code). Listed in the README.
    pub codes: Vec<(&'static str, &'static str)>,
    pub pets: Vec<(&'static str, PetKind, PetSize)>,
}

/// The id a seeded code or pet of this user has (so a re-run seeds it once).
pub fn item_id(email: &str, what: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{what}:{email}").as_bytes())
}

#[derive(Debug, Clone)]
pub struct SeedDevice {
    pub id: Uuid,
    pub name: &'static str,
    pub device_type: DeviceType,
    pub model: &'static str,
    pub firmware_version: &'static str,
    pub location: Location,
    pub config: Map<String, Value>,
}

impl SeedDevice {
    /// The registry document of this device in `owner`'s home.
    pub fn to_device(&self, owner: Uuid, now: chrono::DateTime<chrono::Utc>) -> Device {
        Device {
            device_id: self.id,
            user_id: owner,
            name: self.name.into(),
            device_type: self.device_type,
            model: self.model.into(),
            firmware_version: self.firmware_version.into(),
            location: self.location.clone(),
            config: self.config.clone(),
            created_at: now,
            updated_at: now,
        }
    }
}

/// The id the demo user with this email has.
pub fn user_id(email: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("user:{email}").as_bytes())
}

/// The id the named demo device of this user has.
pub fn device_id(email: &str, device_name: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("device:{email}:{device_name}").as_bytes())
}

fn device(
    owner: &str,
    name: &'static str,
    device_type: DeviceType,
    model: &'static str,
    firmware_version: &'static str,
    (zone, floor): (&str, i32),
    config: Value,
) -> SeedDevice {
    let mut merged = device_type.default_config();
    if let Value::Object(extra) = config {
        merged.extend(extra);
    }
    SeedDevice {
        id: device_id(owner, name),
        name,
        device_type,
        model,
        firmware_version,
        location: Location { zone: zone.into(), floor },
        config: merged,
    }
}

/// The demo users with their homes.
pub fn demo_users() -> Vec<SeedUser> {
    use DeviceType::*;
    let j = "john@demo.com";
    let s = "sarah@demo.com";
    vec![
        SeedUser {
            id: user_id(j),
            email: j,
            name: "John Smith",
            role: Role::User,
            devices: vec![
                device(
                    j,
                    "Front Door Lock",
                    Lock,
                    "Yale Assure Lock 2",
                    "1.2.3",
                    ("Front Entrance", 1),
                    json!({ "auto_lock_delay": 30, "volume": "medium" }),
                ),
                device(
                    j,
                    "Living Room Motion",
                    Motion,
                    "Philips Hue Motion Sensor",
                    "2.1.0",
                    ("Living Room", 1),
                    json!({ "sensitivity": "high", "pet_immune": false }),
                ),
                device(
                    j,
                    "Hallway Thermostat",
                    Thermostat,
                    "ecobee SmartThermostat Premium",
                    "4.8.7",
                    ("Hallway", 1),
                    json!({ "min_temp": 68, "max_temp": 76 }),
                ),
                device(
                    j,
                    "Garage Door",
                    Door,
                    "Aqara Door and Window Sensor P2",
                    "1.0.4",
                    ("Garage", 1),
                    json!({ "chime": false }),
                ),
                device(
                    j,
                    "Front Porch Camera",
                    Camera,
                    "Ring Video Doorbell Pro 2",
                    "3.4.1",
                    ("Front Porch", 1),
                    json!({ "resolution": "1080p", "doorbell": true }),
                ),
            ],
            home: SeedHome {
                time_zone: "America/New_York",
                codes: vec![("John", "1234")],
                pets: vec![("Milo", PetKind::Cat, PetSize::Small)],
            },
        },
        SeedUser {
            id: user_id(s),
            email: s,
            name: "Sarah Johnson",
            role: Role::User,
            devices: vec![
                device(
                    s,
                    "Front Door Lock",
                    Lock,
                    "August Wi-Fi Smart Lock",
                    "2.6.0",
                    ("Front Entrance", 1),
                    json!({ "auto_lock_delay": 60, "volume": "low" }),
                ),
                device(
                    s,
                    "Back Door Lock",
                    Lock,
                    "Schlage Encode Plus",
                    "1.9.2",
                    ("Back Entrance", 1),
                    json!({ "auto_lock_delay": 120, "volume": "medium" }),
                ),
                device(
                    s,
                    "Back Door",
                    Door,
                    "Ring Alarm Contact Sensor",
                    "1.3.5",
                    ("Back Entrance", 1),
                    json!({ "chime": true }),
                ),
                device(
                    s,
                    "Garage Side Door",
                    Door,
                    "Aqara Door and Window Sensor P2",
                    "1.0.4",
                    ("Garage", 1),
                    json!({ "chime": false }),
                ),
                device(
                    s,
                    "Back Window Sensor",
                    GlassBreak,
                    "Ring Alarm Glass Break Sensor",
                    "1.1.0",
                    ("Kitchen", 1),
                    json!({ "sensitivity": "high" }),
                ),
                device(
                    s,
                    "Bedroom Motion",
                    Motion,
                    "Ring Alarm Motion Detector",
                    "1.4.2",
                    ("Bedroom", 2),
                    json!({ "sensitivity": "medium", "pet_immune": true }),
                ),
                device(
                    s,
                    "Hallway Motion",
                    Motion,
                    "Philips Hue Motion Sensor",
                    "2.1.0",
                    ("Hallway", 1),
                    json!({ "sensitivity": "medium", "pet_immune": true }),
                ),
                device(
                    s,
                    "Living Room Thermostat",
                    Thermostat,
                    "Google Nest Learning Thermostat",
                    "6.2.1",
                    ("Living Room", 1),
                    json!({ "min_temp": 66, "max_temp": 78 }),
                ),
                device(
                    s,
                    "Kitchen Smoke Detector",
                    Smoke,
                    "Google Nest Protect",
                    "3.1.4",
                    ("Kitchen", 1),
                    json!({ "interconnected": true }),
                ),
                device(
                    s,
                    "Upstairs Smoke Detector",
                    Smoke,
                    "First Alert Onelink Safe & Sound",
                    "2.0.3",
                    ("Upstairs Hallway", 2),
                    json!({ "interconnected": true }),
                ),
                device(
                    s,
                    "Front Doorbell Camera",
                    Camera,
                    "Google Nest Doorbell",
                    "1.8.0",
                    ("Front Porch", 1),
                    json!({ "resolution": "2k", "doorbell": true }),
                ),
                device(
                    s,
                    "Backyard Camera",
                    Camera,
                    "Arlo Pro 5S",
                    "1.9.6",
                    ("Backyard", 1),
                    json!({ "resolution": "2k", "night_vision": true }),
                ),
            ],
            home: SeedHome { time_zone: "America/Los_Angeles", codes: vec![("Sarah", "2580")], pets: vec![] },
        },
        SeedUser {
            id: user_id("admin@demo.com"),
            email: "admin@demo.com",
            name: "Admin User",
            role: Role::Admin,
            devices: vec![],
            home: SeedHome { time_zone: "UTC", codes: vec![], pets: vec![] },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn homes_have_the_required_sizes_and_cover_every_type() {
        let users = demo_users();
        let count = |e: &str| users.iter().find(|u| u.email == e).unwrap().devices.len();
        assert_eq!((count("john@demo.com"), count("sarah@demo.com"), count("admin@demo.com")), (5, 12, 0));
        let types: HashSet<_> = users.iter().flat_map(|u| u.devices.iter().map(|d| d.device_type)).collect();
        assert_eq!(types.len(), DeviceType::ALL.len());
        assert_eq!(users.iter().filter(|u| u.role == Role::Admin).count(), 1);
    }

    #[test]
    fn ids_are_unique_stable_and_devices_valid() {
        let users = demo_users();
        let ids: HashSet<_> = users.iter().flat_map(|u| u.devices.iter().map(|d| d.id)).collect();
        assert_eq!(ids.len(), 17);
        assert_eq!(user_id("john@demo.com"), demo_users()[0].id);
        for u in &users {
            for d in &u.devices {
                let doc = d.to_device(u.id, chrono::Utc::now());
                doc.validate().unwrap_or_else(|e| panic!("{}: {e}", d.name));
            }
        }
    }
}
