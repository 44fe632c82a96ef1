//! The security response's judgement of one event: what it means (an
//! alarm, a verified alarm, a false alarm held back, a trouble, or nothing
//! to act on) and why, in words and as data. The panel says *that* a zone
//! tripped and what it would do; this weighs the context (arm state and
//! mode, the home's clock, registered pets and their size, a breach of the
//! perimeter, a second zone or a camera's person inside the cross-zone
//! window, expected guests, who is home, the household's preferences).
//! Pure: everything it weighs is handed to it, so it decides without a
//! network call, in microseconds, when everything else is down.

use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::alarm::ZoneType;
use crate::automation::Severity;
use crate::event::EventType;
use crate::home::{PetKind, PetSize};

/// What an event means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// An alarm: a breach, fire, tamper while armed, or motion alone.
    Alarm,
    /// An intrusion confirmed by a second zone or a camera's person.
    VerifiedAlarm,
    /// A would-be alarm recognised as a false alarm and held back.
    Suppress,
    /// Something is wrong with the system, not the home (battery, offline, tamper while disarmed).
    Trouble,
    /// Recorded; nothing to act on.
    Log,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [Self::Alarm, Self::VerifiedAlarm, Self::Suppress, Self::Trouble, Self::Log];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alarm => "alarm",
            Self::VerifiedAlarm => "verified_alarm",
            Self::Suppress => "suppress",
            Self::Trouble => "trouble",
            Self::Log => "log",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Whether it is an alarm of either kind.
    pub fn is_alarm(self) -> bool {
        matches!(self, Self::Alarm | Self::VerifiedAlarm)
    }
}

/// One reason, as data (`code`) and in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub text: String,
}

fn reason(code: &str, text: impl Into<String>) -> Reason {
    Reason { code: code.into(), text: text.into() }
}

/// What a motion sensor or camera said about what it saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sighting {
    /// `human`, `pet`, ... as the sensor classified it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_size: Option<PetSize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

impl Sighting {
    /// What an event's payload says, if it says anything of it.
    pub fn of(payload: &Map<String, Value>) -> Option<Self> {
        let text = |k: &str| payload.get(k).and_then(Value::as_str).map(str::to_owned);
        let s = Self {
            signature: text("signature"),
            estimated_size: text("estimated_size").and_then(|v| serde_json::from_value(Value::String(v)).ok()),
            height_cm: payload.get("height_cm").and_then(Value::as_f64),
            confidence: payload.get("confidence").and_then(Value::as_f64),
        };
        (s != Self::default()).then_some(s)
    }

    /// The size of what was seen: as the sensor estimated it, or from its height.
    pub fn size(&self) -> Option<PetSize> {
        self.estimated_size.or_else(|| {
            self.height_cm.map(|h| match h {
                h if h <= 45.0 => PetSize::Small,
                h if h <= 70.0 => PetSize::Medium,
                _ => PetSize::Large,
            })
        })
    }

    /// Whether the sensor says it was a person.
    pub fn human(&self) -> bool {
        self.signature.as_deref() == Some("human") || self.height_cm.is_some_and(|h| h > 100.0)
    }
}

/// A registered pet, as the decision saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PetFact {
    pub name: String,
    pub kind: PetKind,
    pub size: PetSize,
}

/// Something that happened shortly before: which device (or who), how long ago.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recent {
    pub name: String,
    pub seconds_ago: i64,
}

/// Everything the decision weighed, as data (the default: nothing known).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// The alarm's state when the event came (`disarmed`, `armed_night`, `pending`, ...).
    pub arm_state: String,
    /// The home's mode (`home`, `sleep`, `away`, ...).
    pub mode: String,
    pub zone_type: ZoneType,
    /// Whether the sensor counts in the current arm state.
    pub zone_armed: bool,
    /// The home's wall clock, `HH:MM`.
    pub local_time: String,
    /// Night: 22:00-06:00 at home, or armed for the night.
    pub night: bool,
    pub pets: Vec<PetFact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sighting: Option<Sighting>,
    /// A door, window or glass-break tripped in this arming cycle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breach: Option<Recent>,
    /// Another zone that tripped inside the cross-zone window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub second_zone: Option<Recent>,
    /// A camera that saw a person inside the cross-zone window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person_seen: Option<Recent>,
    pub cross_zone_seconds: u32,
    /// Guests whose code is valid now.
    pub guests_expected: Vec<String>,
    /// The last disarm (who), and the last entry door or lock activity: someone is home.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_disarm: Option<Recent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_entry: Option<Recent>,
    /// The anomaly score of the event, where one was computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anomaly_score: Option<f64>,
    /// The household's learned wish about pet motion (`alert_preferences.suppress_pet_motion`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppress_pet_motion: Option<bool>,
}

/// What the panel did with the event, as the decision reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PanelSaw {
    /// The Contact ID code of an alarm the event raised (131 perimeter, 132 interior, 110 fire, ...).
    pub raised: Option<u16>,
    /// The event confirmed an alarm (139).
    pub verified: bool,
    /// A trouble it reported (381, 383, 384).
    pub trouble: Option<u16>,
    /// In words, what the panel did otherwise (`entry delay`, ...), or why it did nothing.
    pub note: Option<String>,
}

/// What a decision concluded: its outcome, its reasons, and whom to tell at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub summary: String,
    pub reasons: Vec<Reason>,
    /// Tell the household, with this severity (alarms are escalated separately).
    pub notify: Option<Severity>,
}

/// One decision, as it is recorded and read at `GET /security/decisions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Derived from the event: a redelivered event decides nothing twice.
    pub id: Uuid,
    pub user_id: Uuid,
    pub event_id: Uuid,
    pub event_type: EventType,
    pub device_id: Uuid,
    pub device_name: String,
    pub at: DateTime<Utc>,
    pub outcome: Outcome,
    pub summary: String,
    pub reasons: Vec<Reason>,
    pub facts: Facts,
    /// The Contact ID code the alarm raised or reported with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notify: Option<Severity>,
    /// When the security response recorded it (the wall clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<DateTime<Utc>>,
}

impl Decision {
    /// The id of the decision on `event_id`.
    pub fn id_for(event_id: Uuid) -> Uuid {
        Uuid::new_v5(&event_id, b"security-decision")
    }
}

/// The hours that count as night on the home's clock.
pub fn is_night(local: DateTime<chrono_tz::Tz>) -> bool {
    let h = local.hour();
    !(6..22).contains(&h)
}

/// Whether an event type is one the security response decides on.
pub fn relevant(t: EventType) -> bool {
    use EventType as E;
    crate::alarm::SensorChange::of(t).is_some()
        || matches!(t, E::PersonDetected | E::PackageDetected | E::DoorbellPressed | E::VehicleDetected)
}

fn ago(r: &Recent) -> String {
    match r.seconds_ago {
        s if s < 90 => format!("{s} s ago"),
        s if s < 5400 => format!("{} min ago", (s + 30) / 60),
        s => format!("{} h ago", (s + 1800) / 3600),
    }
}

fn size_word(s: PetSize) -> &'static str {
    match s {
        PetSize::Small => "small",
        PetSize::Medium => "medium",
        PetSize::Large => "large",
    }
}

fn kind_word(k: PetKind) -> &'static str {
    match k {
        PetKind::Cat => "cat",
        PetKind::Dog => "dog",
        PetKind::Other => "pet",
    }
}

/// Why a motion that would raise an alarm is the household's pet, or why
/// it is not (the reasons against, when a pet is registered).
fn pet_activity(f: &Facts, device: &str) -> Result<Vec<Reason>, Vec<Reason>> {
    let mut against = vec![];
    let largest = f.pets.iter().map(|p| p.size).max();
    let Some(largest) = largest else { return Err(against) };
    let pets: Vec<String> =
        f.pets.iter().map(|p| format!("{} ({} {})", p.name, size_word(p.size), kind_word(p.kind))).collect();
    let mut why = vec![reason("pet_registered", format!("the household has {}", pets.join(", ")))];
    match f.sighting.as_ref() {
        Some(s) if s.human() => {
            against.push(reason("human_signature", format!("{device} saw a person, not an animal")))
        }
        Some(s) => match s.size() {
            Some(size) if size <= largest => why.push(reason(
                "pet_sized",
                format!(
                    "{device} saw something {}{}, the size of a registered pet",
                    size_word(size),
                    s.signature.as_deref().map(|g| format!(" with a {g} signature")).unwrap_or_default()
                ),
            )),
            Some(size) => against.push(reason(
                "larger_than_pets",
                format!("{device} saw something {}, larger than any registered pet", size_word(size)),
            )),
            None => against.push(reason("size_unknown", format!("{device} did not say how large it was"))),
        },
        None => against.push(reason("size_unknown", format!("{device} did not say what it saw"))),
    }
    if f.night {
        why.push(reason("night", format!("{} at home, night", f.local_time)));
    } else {
        against.push(reason("daytime", format!("{} at home: pet activity is only assumed at night", f.local_time)));
    }
    match &f.breach {
        None => why.push(reason("no_breach", "no door, window or glass-break tripped")),
        Some(b) => against.push(reason("breach", format!("{} tripped {}", b.name, ago(b)))),
    }
    if let Some(z) = &f.second_zone {
        against.push(reason("second_zone", format!("{} tripped too, {}", z.name, ago(z))));
    }
    if let Some(p) = &f.person_seen {
        against.push(reason("person_seen", format!("{} saw a person {}", p.name, ago(p))));
    }
    if f.suppress_pet_motion == Some(false) {
        against.push(reason("preference", "the household asked to be alarmed by pet-like motion too"));
    }
    if against.is_empty() { Ok(why) } else { Err(against) }
}

/// The context of an alarm in words: who is home, guests, the anomaly score.
fn context(f: &Facts) -> Vec<Reason> {
    let mut out = vec![];
    if let Some(d) = &f.last_disarm {
        out.push(reason("recent_disarm", format!("last disarmed by {} {}", d.name, ago(d))));
    }
    if let Some(e) = &f.last_entry {
        out.push(reason("entry_activity", format!("{} was last used {}", e.name, ago(e))));
    }
    if !f.guests_expected.is_empty() {
        out.push(reason("guests_expected", format!("guests expected now: {}", f.guests_expected.join(", "))));
    }
    if let Some(score) = f.anomaly_score {
        out.push(reason("anomaly_score", format!("anomaly score {score:.2}")));
    }
    out
}

fn state_words(f: &Facts) -> Reason {
    reason("arm_state", format!("the alarm is {} ({} mode), {} at home", f.arm_state, f.mode, f.local_time))
}

/// Decides what an event means, from what the panel did with it and the
/// facts around it.
pub fn decide(event_type: EventType, device: &str, facts: &Facts, panel: &PanelSaw) -> Verdict {
    use EventType as E;
    let mut reasons = vec![state_words(facts)];
    let verdict = |outcome, summary: String, mut reasons: Vec<Reason>, notify| {
        reasons.extend(context(facts));
        Verdict { outcome, summary, reasons, notify }
    };
    if let Some(code) = panel.raised.filter(|c| (110..=119).contains(c) || *c == 162) {
        reasons.push(reason("fire", "fire is always armed: reported at once, without an abort window"));
        return verdict(Outcome::Alarm, format!("Fire: {device} (Contact ID {code})"), reasons, None);
    }
    if panel.raised == Some(132) && !panel.verified {
        match pet_activity(facts, device) {
            Ok(why) => {
                reasons.extend(why);
                return verdict(
                    Outcome::Suppress,
                    format!("Pet activity at {device}: not an alarm"),
                    reasons,
                    Some(Severity::Low),
                );
            }
            Err(against) => reasons.extend(against),
        }
    }
    if panel.verified || panel.raised == Some(139) {
        if let Some(z) = &facts.second_zone {
            reasons.push(reason(
                "second_zone",
                format!("{} tripped {} (inside {} s)", z.name, ago(z), facts.cross_zone_seconds),
            ));
        }
        if let Some(p) = &facts.person_seen {
            reasons.push(reason("person_seen", format!("{} saw a person {}", p.name, ago(p))));
        }
        if let Some(b) = &facts.breach {
            reasons.push(reason("breach", format!("{} tripped {}", b.name, ago(b))));
        }
        return verdict(Outcome::VerifiedAlarm, format!("Intrusion verified at {device}"), reasons, None);
    }
    if let Some(code) = panel.raised {
        let what = match code {
            131 => "a door, window or glass-break tripped while armed: a breach",
            132 => "motion alone: an alarm here, sent to monitoring only once a second zone or a camera confirms it",
            134 => "an entry door and no disarm",
            137 => "tampered with while armed",
            _ => "an alarm",
        };
        reasons.push(reason("alarm", what));
        return verdict(Outcome::Alarm, format!("Alarm: {device}"), reasons, None);
    }
    if let Some(code) = panel.trouble {
        let what = match code {
            381 => "a sensor stopped reporting while armed",
            383 => "tampered with while disarmed",
            384 => "its battery is low",
            _ => "a trouble",
        };
        reasons.push(reason("trouble", what));
        return verdict(Outcome::Trouble, format!("Trouble: {device}, {what}"), reasons, Some(Severity::Normal));
    }
    let away = matches!(facts.mode.as_str(), "away" | "vacation");
    let (summary, notify) = match event_type {
        E::PackageDetected => (format!("A package was left at {device}"), Some(Severity::Normal)),
        E::DoorbellPressed => (format!("Someone rang at {device}"), Some(Severity::Low)),
        E::PersonDetected if away => (format!("{device} saw a person while the home is empty"), Some(Severity::Normal)),
        E::PersonDetected => (format!("{device} saw a person"), None),
        E::VehicleDetected => (format!("{device} saw a vehicle"), None),
        _ => (format!("{device}: {}", event_type.as_str().replace('_', " ")), None),
    };
    let why = match (&panel.note, facts.zone_armed) {
        (Some(n), _) => n.clone(),
        (None, _) if facts.arm_state == "disarmed" => "disarmed: not judged as an intrusion".into(),
        (None, false) => format!("{device} does not count in {}", facts.arm_state),
        (None, true) => "nothing to act on".into(),
    };
    reasons.push(reason("logged", why));
    verdict(Outcome::Log, summary, reasons, notify)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn night_facts() -> Facts {
        Facts {
            arm_state: "armed_night".into(),
            mode: "sleep".into(),
            zone_type: ZoneType::InteriorFollower,
            zone_armed: true,
            local_time: "02:00".into(),
            night: true,
            pets: vec![PetFact { name: "Milo".into(), kind: PetKind::Cat, size: PetSize::Small }],
            sighting: Some(Sighting {
                signature: Some("pet".into()),
                estimated_size: Some(PetSize::Small),
                height_cm: Some(40.0),
                confidence: Some(0.84),
            }),
            cross_zone_seconds: 20,
            ..Facts::default()
        }
    }

    fn motion_alone() -> PanelSaw {
        PanelSaw { raised: Some(132), ..PanelSaw::default() }
    }

    #[test]
    fn a_small_pet_at_night_without_a_breach_is_held_back_with_its_reasons() {
        let v = decide(EventType::MotionDetected, "Living Room Motion", &night_facts(), &motion_alone());
        assert_eq!(v.outcome, Outcome::Suppress, "{v:?}");
        let codes: Vec<&str> = v.reasons.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["arm_state", "pet_registered", "pet_sized", "night", "no_breach"]);
        assert!(v.reasons[1].text.contains("Milo (small cat)"), "{:?}", v.reasons);
        assert_eq!(v.notify, Some(Severity::Low), "told quietly, never woken");
    }

    #[test]
    fn the_same_motion_is_an_alarm_when_anything_speaks_against_a_pet() {
        type Change = Box<dyn Fn(&mut Facts)>;
        let cases: Vec<(&str, Change)> = vec![
            ("breach", Box::new(|f| f.breach = Some(Recent { name: "Patio Door".into(), seconds_ago: 40 }))),
            ("no pet", Box::new(|f| f.pets.clear())),
            ("a person", Box::new(|f| f.sighting.as_mut().unwrap().signature = Some("human".into()))),
            ("larger", Box::new(|f| f.sighting.as_mut().unwrap().estimated_size = Some(PetSize::Large))),
            ("daytime", Box::new(|f| f.night = false)),
            ("second zone", Box::new(|f| f.second_zone = Some(Recent { name: "Hallway".into(), seconds_ago: 5 }))),
            ("preference", Box::new(|f| f.suppress_pet_motion = Some(false))),
            ("nothing said", Box::new(|f| f.sighting = None)),
        ];
        for (name, change) in cases {
            let mut f = night_facts();
            change(&mut f);
            let v = decide(EventType::MotionDetected, "Living Room Motion", &f, &motion_alone());
            assert_eq!(v.outcome, Outcome::Alarm, "{name}: {v:?}");
            assert!(v.reasons.iter().any(|r| r.code == "alarm"), "{name}: {v:?}");
        }
        // The size comes from the height when the sensor gives no estimate.
        let mut f = night_facts();
        f.sighting = Some(Sighting { height_cm: Some(38.0), ..Sighting::default() });
        assert_eq!(decide(EventType::MotionDetected, "M", &f, &motion_alone()).outcome, Outcome::Suppress);
    }

    #[test]
    fn verification_fire_troubles_and_the_rest() {
        let mut f = night_facts();
        f.second_zone = Some(Recent { name: "Back Window Sensor".into(), seconds_ago: 3 });
        let v = decide(
            EventType::MotionDetected,
            "Living Room Motion",
            &f,
            &PanelSaw { raised: None, verified: true, ..PanelSaw::default() },
        );
        assert_eq!(v.outcome, Outcome::VerifiedAlarm);
        assert!(v.reasons.iter().any(|r| r.text.contains("Back Window Sensor tripped 3 s ago (inside 20 s)")));
        let fire = decide(
            EventType::SmokeDetected,
            "Kitchen Smoke",
            &f,
            &PanelSaw { raised: Some(110), ..PanelSaw::default() },
        );
        assert_eq!(fire.outcome, Outcome::Alarm);
        let battery = decide(
            EventType::BatteryLow,
            "Front Door Lock",
            &f,
            &PanelSaw { trouble: Some(384), ..PanelSaw::default() },
        );
        assert_eq!((battery.outcome, battery.notify), (Outcome::Trouble, Some(Severity::Normal)));
        let mut away = night_facts();
        away.mode = "away".into();
        away.arm_state = "armed_away".into();
        let package = decide(EventType::PackageDetected, "Front Porch Camera", &away, &PanelSaw::default());
        assert_eq!((package.outcome, package.notify), (Outcome::Log, Some(Severity::Normal)));
        let person = decide(EventType::PersonDetected, "Front Porch Camera", &away, &PanelSaw::default());
        assert_eq!(person.notify, Some(Severity::Normal));
        let mut disarmed = night_facts();
        disarmed.arm_state = "disarmed".into();
        disarmed.zone_armed = false;
        let log = decide(EventType::MotionDetected, "Living Room Motion", &disarmed, &PanelSaw::default());
        assert_eq!(log.outcome, Outcome::Log);
        assert_eq!(log.reasons.last().unwrap().text, "disarmed: not judged as an intrusion");
    }
}
