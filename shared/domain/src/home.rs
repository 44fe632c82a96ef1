//! A home as its alarm panel needs it: the time zone every time of day is
//! read in, the alarm settings, each sensor's zone, the household's codes
//! (members', duress, guests'), pets and emergency contacts, with the rules
//! each is checked by.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::alarm::{AlarmSettings, Zone, ZoneType};
use crate::device::Device;
use crate::error::DomainError;

/// When a party ends unless the home says otherwise: 2 AM, local time.
pub const PARTY_ENDS_AT: &str = "02:00";

/// A home's own settings (one per user; the demo homes are seeded with them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Home {
    pub user_id: Uuid,
    /// An IANA time zone (`America/New_York`): every time of day is local to it.
    pub time_zone: String,
    pub settings: AlarmSettings,
    /// Whether the `home` mode arms stay (armed_home) rather than disarming.
    #[serde(default)]
    pub home_mode_arms: bool,
    /// When a party ends by default, local `HH:MM`.
    #[serde(default = "party_default")]
    pub party_ends_at: String,
    /// Each sensor's zone where it differs from its type's default.
    #[serde(default)]
    pub zones: BTreeMap<Uuid, ZoneSetting>,
    /// Which steps each emergency playbook takes (absent: the defaults).
    #[serde(default)]
    pub playbooks: crate::playbook::Playbooks,
    /// The wellness check (none: never set, off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wellness: Option<crate::wellness::WellnessCheck>,
    pub updated_at: DateTime<Utc>,
}

fn party_default() -> String {
    PARTY_ENDS_AT.into()
}

/// One sensor's zone settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneSetting {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_type: Option<ZoneType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_delay_seconds: Option<u32>,
    #[serde(default)]
    pub armed_at_night: bool,
}

/// Parses an IANA time zone name.
pub fn parse_time_zone(name: &str) -> Result<Tz, DomainError> {
    name.parse::<Tz>().map_err(|_| {
        DomainError::invalid("time_zone", format!("'{name}' is not an IANA time zone (e.g. Europe/Paris)"))
    })
}

fn parse_hhmm(field: &str, s: &str) -> Result<NaiveTime, DomainError> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| DomainError::invalid(field, "must be a time of day, HH:MM"))
}

impl Home {
    /// A home with the default settings.
    pub fn new(user_id: Uuid, time_zone: &str, now: DateTime<Utc>) -> Result<Self, DomainError> {
        parse_time_zone(time_zone)?;
        Ok(Self {
            user_id,
            time_zone: time_zone.into(),
            settings: AlarmSettings::default(),
            home_mode_arms: false,
            party_ends_at: party_default(),
            zones: BTreeMap::new(),
            playbooks: crate::playbook::Playbooks::default(),
            wellness: None,
            updated_at: now,
        })
    }

    pub fn tz(&self) -> Tz {
        self.time_zone.parse().unwrap_or(Tz::UTC)
    }

    /// `t` on the home's wall clock.
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<Tz> {
        t.with_timezone(&self.tz())
    }

    /// The next time it is `hhmm` at home after `now` (a party's end).
    pub fn next_local(&self, hhmm: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        let at = parse_hhmm("party_ends_at", hhmm).unwrap_or(NaiveTime::MIN);
        let tz = self.tz();
        let today = self.local(now).date_naive();
        (0..3)
            .filter_map(|d| {
                let day = today + Duration::days(d);
                tz.from_local_datetime(&day.and_time(at)).earliest().map(|t| t.with_timezone(&Utc))
            })
            .find(|t| *t > now)
            .unwrap_or(now + Duration::days(1))
    }

    /// The panel's zones: each sensor of the home with its zone type (its
    /// own setting, else its type's default) and entry delay.
    pub fn zones_of(&self, devices: &[Device]) -> BTreeMap<Uuid, Zone> {
        devices
            .iter()
            .map(|d| {
                let setting = self.zones.get(&d.device_id).cloned().unwrap_or_default();
                let default = ZoneType::default_for(d.device_type, &format!("{} {}", d.name, d.location.zone));
                let zone = Zone {
                    device_id: d.device_id,
                    name: d.name.clone(),
                    zone_type: setting.zone_type.unwrap_or(default),
                    entry_delay_seconds: setting.entry_delay_seconds,
                    armed_at_night: setting.armed_at_night,
                };
                (d.device_id, zone)
            })
            .collect()
    }

    /// Applies an owner's change (the JSON body of `PATCH /home`): only the
    /// fields given change; settings merge field by field; every value is
    /// checked, naming the field. `devices` are the home's sensors.
    pub fn patch(&mut self, body: &Map<String, Value>, devices: &BTreeSet<Uuid>) -> Result<(), DomainError> {
        const FIELDS: [&str; 4] = ["time_zone", "settings", "home_mode_arms", "party_ends_at"];
        for key in body.keys() {
            if !FIELDS.contains(&key.as_str()) && key != "zones" {
                return Err(DomainError::invalid(key, "is not a setting of a home"));
            }
        }
        let mut next = self.clone();
        if let Some(v) = body.get("time_zone") {
            let name = v.as_str().ok_or_else(|| DomainError::invalid("time_zone", "must be a string"))?;
            parse_time_zone(name)?;
            next.time_zone = name.into();
        }
        if let Some(v) = body.get("home_mode_arms") {
            next.home_mode_arms =
                v.as_bool().ok_or_else(|| DomainError::invalid("home_mode_arms", "must be true or false"))?;
        }
        if let Some(v) = body.get("party_ends_at") {
            let s = v.as_str().ok_or_else(|| DomainError::invalid("party_ends_at", "must be HH:MM"))?;
            parse_hhmm("party_ends_at", s)?;
            next.party_ends_at = s.into();
        }
        if let Some(v) = body.get("settings") {
            let patch = v.as_object().ok_or_else(|| DomainError::invalid("settings", "must be an object"))?;
            let mut merged = serde_json::to_value(&next.settings).unwrap_or_default();
            if let Some(m) = merged.as_object_mut() {
                for (k, v) in patch {
                    m.insert(k.clone(), v.clone());
                }
            }
            next.settings = serde_json::from_value(merged).map_err(|e| {
                let field = patch.keys().find(|k| !SETTINGS.contains(&k.as_str())).cloned();
                match field {
                    Some(f) => DomainError::invalid(&format!("settings.{f}"), "is not an alarm setting"),
                    None => DomainError::invalid("settings", format!("{e}")),
                }
            })?;
            next.settings.validate().map_err(|e| prefix("settings", e))?;
        }
        if let Some(v) = body.get("zones") {
            let zones =
                v.as_object().ok_or_else(|| DomainError::invalid("zones", "must map device ids to settings"))?;
            for (id, setting) in zones {
                let field = format!("zones.{id}");
                let device = Uuid::parse_str(id)
                    .ok()
                    .filter(|d| devices.contains(d))
                    .ok_or_else(|| DomainError::invalid(&field, "is not a sensor of this home"))?;
                if setting.is_null() {
                    next.zones.remove(&device);
                    continue;
                }
                let s: ZoneSetting = serde_json::from_value(setting.clone())
                    .map_err(|e| DomainError::invalid(&field, format!("{e}")))?;
                if let Some(d) = s.entry_delay_seconds
                    && !(30..=240).contains(&d)
                {
                    return Err(DomainError::invalid(
                        &format!("{field}.entry_delay_seconds"),
                        "must be from 30 to 240",
                    ));
                }
                next.zones.insert(device, s);
            }
        }
        *self = next;
        Ok(())
    }
}

const SETTINGS: [&str; 7] = [
    "exit_delay_seconds",
    "entry_delay_seconds",
    "entry_delay_by_mode",
    "abort_window_seconds",
    "siren_seconds",
    "cross_zone_seconds",
    "swinger_limit",
];

/// The same error with its field under `parent`.
fn prefix(parent: &str, e: DomainError) -> DomainError {
    match e.details.get("field").and_then(Value::as_str) {
        Some(f) => {
            let reason = e.details.get("reason").and_then(Value::as_str).unwrap_or_default().to_owned();
            DomainError::invalid(&format!("{parent}.{f}"), reason)
        }
        None => e,
    }
}

/// Whose a code is and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    Member,
    /// Disarms like a member's code, and silently tells monitoring (121).
    Duress,
    Guest,
}

/// What a code may do beyond arming (which needs no code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    #[serde(default = "yes")]
    pub disarm: bool,
    /// Change the home to a less-armed mode.
    #[serde(default = "yes")]
    pub change_mode: bool,
}

fn yes() -> bool {
    true
}

impl Default for Permissions {
    fn default() -> Self {
        Self { disarm: true, change_mode: true }
    }
}

/// When a guest's code works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuestWindow {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub single_use: bool,
    pub used_at: Option<DateTime<Utc>>,
}

/// A guest code's standing at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuestStatus {
    Scheduled,
    Active,
    Expired,
    Used,
}

impl GuestWindow {
    pub fn status(&self, now: DateTime<Utc>) -> GuestStatus {
        if self.single_use && self.used_at.is_some() {
            GuestStatus::Used
        } else if now < self.starts_at {
            GuestStatus::Scheduled
        } else if now >= self.ends_at {
            GuestStatus::Expired
        } else {
            GuestStatus::Active
        }
    }
}

/// A code of a home, as stored beside its hash (which never leaves the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Code {
    pub id: Uuid,
    pub user_id: Uuid,
    /// Whose it is: a member, or the guest.
    pub name: String,
    pub kind: CodeKind,
    pub permissions: Permissions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest: Option<GuestWindow>,
    pub created_at: DateTime<Utc>,
}

fn name_field(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(DomainError::invalid("name", "must be 1 to 60 characters"));
    }
    Ok(name.to_owned())
}

/// `POST /home/codes`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCode {
    pub name: String,
    pub code: String,
    #[serde(default = "member")]
    pub kind: CodeKind,
    #[serde(default)]
    pub permissions: Permissions,
}

fn member() -> CodeKind {
    CodeKind::Member
}

impl NewCode {
    /// The code record (the secret stays with the caller, to be hashed).
    pub fn check(self, user_id: Uuid, now: DateTime<Utc>) -> Result<(Code, String), DomainError> {
        if self.kind == CodeKind::Guest {
            return Err(DomainError::invalid("kind", "guest codes are made at /home/guests"));
        }
        crate::alarm::codes::check_form(&self.code)?;
        let code = Code {
            id: Uuid::now_v7(),
            user_id,
            name: name_field(&self.name)?,
            kind: self.kind,
            permissions: self.permissions,
            guest: None,
            created_at: now,
        };
        Ok((code, self.code))
    }
}

/// `POST /home/guests`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGuest {
    pub name: String,
    pub code: String,
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub single_use: bool,
}

/// The longest a guest code may last.
pub const GUEST_MAX_DAYS: i64 = 90;

impl NewGuest {
    pub fn check(self, user_id: Uuid, now: DateTime<Utc>) -> Result<(Code, String), DomainError> {
        crate::alarm::codes::check_form(&self.code)?;
        let starts_at = self.starts_at.unwrap_or(now);
        if self.ends_at <= starts_at {
            return Err(DomainError::invalid("ends_at", "must be after starts_at"));
        }
        if self.ends_at <= now {
            return Err(DomainError::invalid("ends_at", "is in the past"));
        }
        if self.ends_at - starts_at > Duration::days(GUEST_MAX_DAYS) {
            return Err(DomainError::invalid("ends_at", format!("a guest code lasts at most {GUEST_MAX_DAYS} days")));
        }
        let code = Code {
            id: Uuid::now_v7(),
            user_id,
            name: name_field(&self.name)?,
            kind: CodeKind::Guest,
            permissions: Permissions { disarm: true, change_mode: false },
            guest: Some(GuestWindow { starts_at, ends_at: self.ends_at, single_use: self.single_use, used_at: None }),
            created_at: now,
        };
        Ok((code, self.code))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PetKind {
    Cat,
    Dog,
    Other,
}

/// How big a pet is: what a motion sensor's pet immunity is rated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PetSize {
    Small,
    Medium,
    Large,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pet {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub kind: PetKind,
    pub size: PetSize,
    pub created_at: DateTime<Utc>,
}

/// `POST /home/pets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPet {
    pub name: String,
    pub kind: PetKind,
    pub size: PetSize,
}

impl NewPet {
    pub fn check(self, user_id: Uuid, now: DateTime<Utc>) -> Result<Pet, DomainError> {
        Ok(Pet {
            id: Uuid::now_v7(),
            user_id,
            name: name_field(&self.name)?,
            kind: self.kind,
            size: self.size,
            created_at: now,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub relation: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Who is called first (1) to last (10).
    pub priority: u8,
    pub created_at: DateTime<Utc>,
}

/// `POST /home/contacts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub name: String,
    #[serde(default)]
    pub relation: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub priority: Option<u8>,
}

impl NewContact {
    pub fn check(self, user_id: Uuid, now: DateTime<Utc>) -> Result<Contact, DomainError> {
        let blank = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let (phone, email) = (blank(self.phone), blank(self.email));
        if phone.is_none() && email.is_none() {
            return Err(DomainError::invalid("phone", "give a phone number or an email"));
        }
        if let Some(p) = &phone {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            let allowed = p.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if !allowed || !(7..=15).contains(&digits) {
                return Err(DomainError::invalid("phone", "must be a phone number (7 to 15 digits, e.g. +1 555 0100)"));
            }
        }
        if let Some(e) = &email {
            let ok = e.len() <= 254
                && e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'));
            if !ok || e.contains(char::is_whitespace) {
                return Err(DomainError::invalid("email", "must be an email address"));
            }
        }
        let priority = self.priority.unwrap_or(1);
        if !(1..=10).contains(&priority) {
            return Err(DomainError::invalid("priority", "must be from 1 to 10"));
        }
        let relation = blank(self.relation);
        if relation.as_ref().is_some_and(|r| r.chars().count() > 60) {
            return Err(DomainError::invalid("relation", "must be at most 60 characters"));
        }
        Ok(Contact {
            id: Uuid::now_v7(),
            user_id,
            name: name_field(&self.name)?,
            relation,
            phone,
            email,
            priority,
            created_at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn home() -> Home {
        Home::new(Uuid::nil(), "America/New_York", Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()).unwrap()
    }

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_patch_changes_what_it_names_and_names_what_it_refuses() {
        let mut h = home();
        let sensor = Uuid::from_u128(7);
        let devices = BTreeSet::from([sensor]);
        h.patch(&body(json!({ "settings": { "exit_delay_seconds": 90 }, "time_zone": "Europe/Paris" })), &devices)
            .unwrap();
        assert_eq!((h.settings.exit_delay_seconds, h.settings.entry_delay_seconds), (90, 30));
        assert_eq!(h.time_zone, "Europe/Paris");
        let cases = [
            (json!({ "settings": { "exit_delay_seconds": 10 } }), "settings.exit_delay_seconds"),
            (json!({ "settings": { "loudness": 3 } }), "settings.loudness"),
            (json!({ "time_zone": "Mars/Olympus" }), "time_zone"),
            (json!({ "party_ends_at": "25:00" }), "party_ends_at"),
            (json!({ "colour": "red" }), "colour"),
            (json!({ "zones": { Uuid::from_u128(8).to_string(): {} } }), &*format!("zones.{}", Uuid::from_u128(8))),
            (
                json!({ "zones": { sensor.to_string(): { "entry_delay_seconds": 5 } } }),
                &*format!("zones.{sensor}.entry_delay_seconds"),
            ),
        ];
        for (patch, field) in cases {
            let before = h.clone();
            let e = h.patch(&body(patch.clone()), &devices).unwrap_err();
            assert_eq!(e.details["field"], field, "{patch}");
            assert_eq!(h, before, "a refused patch changes nothing");
        }
        h.patch(&body(json!({ "zones": { sensor.to_string(): { "zone_type": "perimeter_instant" } } })), &devices)
            .unwrap();
        assert_eq!(h.zones[&sensor].zone_type, Some(ZoneType::PerimeterInstant));
    }

    #[test]
    fn a_party_ends_at_the_next_local_two_am() {
        let h = home();
        // 12:00 UTC is 07:00 in New York: the party ends at 02:00 EST the next day, 07:00 UTC.
        let end = h.next_local("02:00", Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 12, 2, 7, 0, 0).unwrap());
        // 01:00 local (06:00 UTC): an hour to go.
        let end = h.next_local("02:00", Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 12, 2, 7, 0, 0).unwrap());
    }

    #[test]
    fn guest_windows_and_contacts_are_checked() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let g = |starts: i64, ends: i64| NewGuest {
            name: "Alice".into(),
            code: "5821".into(),
            starts_at: Some(now + Duration::hours(starts)),
            ends_at: now + Duration::hours(ends),
            single_use: false,
        };
        assert_eq!(g(2, 1).check(Uuid::nil(), now).unwrap_err().details["field"], "ends_at");
        let (code, _) = g(1, 5).check(Uuid::nil(), now).unwrap();
        let w = code.guest.unwrap();
        assert_eq!(w.status(now), GuestStatus::Scheduled);
        assert_eq!(w.status(now + Duration::hours(2)), GuestStatus::Active);
        assert_eq!(w.status(now + Duration::hours(5)), GuestStatus::Expired);
        let c = |phone: Option<&str>, email: Option<&str>| NewContact {
            name: "Mum".into(),
            relation: None,
            phone: phone.map(Into::into),
            email: email.map(Into::into),
            priority: None,
        };
        assert_eq!(c(None, None).check(Uuid::nil(), now).unwrap_err().details["field"], "phone");
        assert_eq!(c(Some("call me"), None).check(Uuid::nil(), now).unwrap_err().details["field"], "phone");
        assert_eq!(c(None, Some("mum@")).check(Uuid::nil(), now).unwrap_err().details["field"], "email");
        assert_eq!(c(Some("+1 555 0100 22"), None).check(Uuid::nil(), now).unwrap().priority, 1);
    }
}
