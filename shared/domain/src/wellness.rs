//! The wellness check, for a home where someone may need looking after
//! (an elderly parent living alone): when nothing moves for longer than
//! the household chose, during the hours someone is normally up, the
//! household is asked whether all is well, and the emergency contacts
//! after them when nobody answers. Quiet outside those hours is sleep;
//! quiet while the home is armed away is nobody being home.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::event::EventType;

/// The household's wellness check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WellnessCheck {
    pub enabled: bool,
    /// How long without any activity before the household is asked.
    pub hours: u32,
    /// From when, home time, someone is normally up (`HH:MM`).
    pub awake_from: String,
    /// Until when (`HH:MM`; may be past midnight).
    pub awake_until: String,
    /// When it was last turned on or changed: quiet before then does not count.
    pub since: DateTime<Utc>,
}

/// The range of hours a household may choose.
pub const HOURS: std::ops::RangeInclusive<u32> = 1..=24;

/// How long the household has to answer before the emergency contacts
/// are told (longer than an alarm's: a nap, a shower).
pub const CONTACTS_AFTER: Duration = Duration::minutes(15);

/// What the household sends to change it (`PUT /security/wellness`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WellnessInput {
    pub enabled: bool,
    #[serde(default = "default_hours")]
    pub hours: u32,
    #[serde(default = "default_from")]
    pub awake_from: String,
    #[serde(default = "default_until")]
    pub awake_until: String,
}

fn default_hours() -> u32 {
    5
}

fn default_from() -> String {
    "07:00".into()
}

fn default_until() -> String {
    "22:00".into()
}

fn time(field: &str, s: &str) -> Result<NaiveTime, DomainError> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| DomainError::invalid(field, "must be a time of day, HH:MM"))
}

impl WellnessCheck {
    /// The check as the household set it at `now`, each field checked.
    pub fn new(input: WellnessInput, now: DateTime<Utc>) -> Result<Self, DomainError> {
        if !HOURS.contains(&input.hours) {
            return Err(DomainError::invalid("hours", format!("must be from {} to {}", HOURS.start(), HOURS.end())));
        }
        let (from, until) = (time("awake_from", &input.awake_from)?, time("awake_until", &input.awake_until)?);
        if from == until {
            return Err(DomainError::invalid("awake_until", "must differ from awake_from"));
        }
        Ok(Self {
            enabled: input.enabled,
            hours: input.hours,
            awake_from: input.awake_from,
            awake_until: input.awake_until,
            since: now,
        })
    }

    /// Since when the home has been quiet, when that is longer than the
    /// household allows at `now`: the last activity, or the start of the
    /// waking hours when it came before them (or the check's own start).
    /// None: all is well, the check is off, or it is sleeping time.
    pub fn overdue(&self, tz: Tz, last_activity: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (Ok(from), Ok(until)) = (time("awake_from", &self.awake_from), time("awake_until", &self.awake_until))
        else {
            return None;
        };
        if !self.enabled {
            return None;
        }
        let local = now.with_timezone(&tz);
        let t = local.time();
        let awake = if from < until { from <= t && t < until } else { t >= from || t < until };
        if !awake {
            return None;
        }
        // The start of these waking hours: today's `from`, or yesterday's when they began before midnight.
        let day = if t >= from { local.date_naive() } else { local.date_naive() - Duration::days(1) };
        let woke = tz.from_local_datetime(&day.and_time(from)).earliest()?.with_timezone(&Utc);
        let quiet_since = [Some(woke), Some(self.since), last_activity].into_iter().flatten().max()?;
        (now - quiet_since >= Duration::hours(i64::from(self.hours))).then_some(quiet_since)
    }
}

/// Whether an event is someone at home doing something (moving, using a
/// door), which ends the quiet.
pub fn is_activity(t: EventType) -> bool {
    matches!(t, EventType::MotionDetected | EventType::DoorOpen | EventType::DoorClosed | EventType::Unlocked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(hours: u32) -> WellnessCheck {
        let input = WellnessInput { enabled: true, hours, awake_from: "07:00".into(), awake_until: "22:00".into() };
        WellnessCheck::new(input, Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()).unwrap()
    }

    /// `hh:mm` on 1 December 2026 in New York (UTC-5).
    fn ny(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 5, 0, 0).unwrap() + Duration::hours(h.into()) + Duration::minutes(m.into())
    }

    #[test]
    fn quiet_longer_than_allowed_in_waking_hours_is_overdue() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let c = check(5);
        // Up at 7, last moved at 7:35: at 12:34 all is well, at 12:35 it is overdue since 7:35.
        assert_eq!(c.overdue(tz, Some(ny(7, 35)), ny(12, 34)), None);
        assert_eq!(c.overdue(tz, Some(ny(7, 35)), ny(12, 35)), Some(ny(7, 35)));
        // The night does not count: last seen at 21:00, nothing by 06:59 is sleep; from 7:00 the clock starts.
        assert_eq!(c.overdue(tz, Some(ny(21, 0) - Duration::days(1)), ny(6, 59)), None);
        assert_eq!(c.overdue(tz, Some(ny(21, 0) - Duration::days(1)), ny(11, 59)), None);
        assert_eq!(c.overdue(tz, Some(ny(21, 0) - Duration::days(1)), ny(12, 0)), Some(ny(7, 0)));
        // Turned on at 10:00: quiet before then does not count.
        let mut later = c.clone();
        later.since = ny(10, 0);
        assert_eq!(later.overdue(tz, Some(ny(7, 35)), ny(14, 59)), None);
        assert_eq!(later.overdue(tz, None, ny(15, 0)), Some(ny(10, 0)));
        // Off: never.
        let off = WellnessCheck { enabled: false, ..c.clone() };
        assert_eq!(off.overdue(tz, Some(ny(7, 35)), ny(20, 0)), None);
    }

    #[test]
    fn waking_hours_may_run_past_midnight() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let input = WellnessInput { enabled: true, hours: 2, awake_from: "10:00".into(), awake_until: "02:00".into() };
        let c = WellnessCheck::new(input, ny(0, 0) - Duration::days(30)).unwrap();
        // 01:00 is still yesterday's waking hours: quiet since 22:30 is overdue.
        let last = ny(22, 30) - Duration::days(1);
        assert_eq!(c.overdue(tz, Some(last), ny(1, 0)), Some(last));
        assert_eq!(c.overdue(tz, Some(last), ny(3, 0)), None, "asleep");
    }

    #[test]
    fn bad_settings_name_their_field() {
        let now = Utc::now();
        let bad = |hours, from: &str, until: &str| {
            let input = WellnessInput { enabled: true, hours, awake_from: from.into(), awake_until: until.into() };
            WellnessCheck::new(input, now).unwrap_err().details["field"].as_str().unwrap().to_owned()
        };
        assert_eq!(bad(0, "07:00", "22:00"), "hours");
        assert_eq!(bad(25, "07:00", "22:00"), "hours");
        assert_eq!(bad(5, "7am", "22:00"), "awake_from");
        assert_eq!(bad(5, "07:00", "07:00"), "awake_until");
        assert!(is_activity(EventType::MotionDetected) && !is_activity(EventType::TemperatureReading));
    }
}
