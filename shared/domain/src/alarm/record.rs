//! One home's alarm as it is stored: the panel, the home mode on top of it
//! (with when a mode ends and what it returns to), the wrong-code lockout,
//! and the events already judged (deliveries are at least once). Every
//! command and input goes through here, returns what happened as a
//! [`Step`], and leaves the record ready to be saved in one transaction
//! with the log entries of that step.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    ArmMode, ArmSource, Panel, Phase, Qualifier, SensorChange, Signal, Step, Transition, Trip, Zone, ZoneType, signal,
};
use crate::error::DomainError;
use crate::event::Event;
use crate::home::Home;
use crate::mode::HomeMode;
use crate::security::{self, Decision, Facts, Outcome, PanelSaw, PetFact, Recent, Sighting};

/// Wrong codes that lock the keypad: this many inside [`LOCKOUT_WINDOW`]...
pub const LOCKOUT_AFTER: usize = 5;
pub const LOCKOUT_WINDOW: Duration = Duration::minutes(15);
/// ...lock it this long (reported as 461).
pub const LOCKOUT: Duration = Duration::minutes(15);
/// How many recent event ids are kept to judge each event once.
const SEEN: usize = 256;

/// Who did something: a member or guest by their code, or the account in the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmRecord {
    pub user_id: Uuid,
    pub panel: Panel,
    pub mode: HomeMode,
    /// When the current mode ends on its own (vacation's return, party's end).
    pub mode_until: Option<DateTime<Utc>>,
    /// The mode the home goes back to then.
    pub return_mode: Option<HomeMode>,
    /// Why the alarm is as it is, in words.
    pub reason: String,
    pub wrong_codes: Vec<DateTime<Utc>>,
    pub lockout_until: Option<DateTime<Utc>>,
    pub seen: VecDeque<Uuid>,
    /// The last disarm (by whom) and the last use of an entry door or lock:
    /// what the security response knows of who is home.
    #[serde(default)]
    pub last_disarm: Option<Seen>,
    #[serde(default)]
    pub last_entry: Option<Seen>,
    /// Bumped by every save: a save over a newer record is refused.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// Who or what was seen, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub name: String,
    pub at: DateTime<Utc>,
}

impl Seen {
    fn recent(&self, now: DateTime<Utc>) -> Recent {
        Recent { name: self.name.clone(), seconds_ago: (now - self.at).num_seconds().max(0) }
    }
}

/// How long who is home (a disarm, an entry) counts as context.
const PRESENCE: Duration = Duration::hours(12);

/// What the security response weighs besides the panel: the household's
/// pets, the guests whose code is valid now, and its learned preference.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Household {
    pub pets: Vec<PetFact>,
    pub guests: Vec<String>,
    pub suppress_pet_motion: Option<bool>,
}

/// What a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Transition,
    Signal,
}

/// One line of a home's alarm log: a transition or a signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: Uuid,
    pub user_id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: EntryKind,
    /// The Contact ID event code of a signal.
    pub code: Option<u16>,
    pub qualifier: Option<Qualifier>,
    pub text: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub zone: Option<Uuid>,
    /// Who (their name; never their code).
    pub by: Option<String>,
    /// Sent to monitoring.
    pub dispatch: bool,
    /// Seen by monitoring and admins only.
    pub monitoring_only: bool,
}

impl HomeMode {
    /// The arm state a mode puts the panel in (`home` disarms, unless the home arms stay at home).
    pub fn arm_mode(self, home_mode_arms: bool) -> Option<ArmMode> {
        match self {
            Self::Home => home_mode_arms.then_some(ArmMode::Home),
            Self::Away => Some(ArmMode::Away),
            Self::Sleep => Some(ArmMode::Night),
            Self::Vacation => Some(ArmMode::Vacation),
            Self::Party => Some(ArmMode::Custom),
        }
    }

    /// The mode an arm state stands for.
    pub fn of_arm_mode(mode: ArmMode) -> Self {
        match mode {
            ArmMode::Home => Self::Home,
            ArmMode::Away => Self::Away,
            ArmMode::Night => Self::Sleep,
            ArmMode::Vacation => Self::Vacation,
            ArmMode::Custom => Self::Party,
        }
    }

    /// How guarded a mode is: a change to a lower rank needs a code.
    pub fn rank(self) -> u8 {
        match self {
            Self::Home => 0,
            Self::Party => 1,
            Self::Sleep => 2,
            Self::Away => 3,
            Self::Vacation => 4,
        }
    }
}

impl AlarmRecord {
    pub fn new(user_id: Uuid, now: DateTime<Utc>) -> Self {
        Self {
            user_id,
            panel: Panel::default(),
            mode: HomeMode::Home,
            mode_until: None,
            return_mode: None,
            reason: "disarmed".into(),
            wrong_codes: vec![],
            lockout_until: None,
            seen: VecDeque::new(),
            last_disarm: None,
            last_entry: None,
            version: 0,
            updated_at: now,
        }
    }

    /// The next moment the record must be looked at even if nothing happens:
    /// a delay's end, an abort window's end, a mode's end.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        let p = &self.panel;
        let abort = p.alarm.as_ref().filter(|a| a.sent_at.is_none()).and_then(|a| a.abort_until);
        [p.deadline, abort, p.siren_until, self.mode_until].into_iter().flatten().min()
    }

    /// Whether the alarm counts as armed: anything but disarmed, or an alarm still standing.
    pub fn is_armed(&self) -> bool {
        self.panel.phase != Phase::Disarmed || self.panel.alarm.is_some()
    }

    /// Until when the keypad is locked, if it is.
    pub fn locked(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.lockout_until.filter(|t| now < *t)
    }

    /// Counts a wrong code; the fifth inside the window locks the keypad (461).
    pub fn wrong_code(&mut self, now: DateTime<Utc>) -> Step {
        let mut step = Step::default();
        self.wrong_codes.retain(|t| now - *t < LOCKOUT_WINDOW);
        self.wrong_codes.push(now);
        if self.wrong_codes.len() >= LOCKOUT_AFTER {
            self.wrong_codes.clear();
            self.lockout_until = Some(now + LOCKOUT);
            let mut s = signal(
                461,
                Qualifier::Event,
                None,
                None,
                now,
                format!("{LOCKOUT_AFTER} wrong codes: keypad locked for {} min", LOCKOUT.num_minutes()),
            );
            s.dispatch = true;
            step.signals.push(s);
        }
        step
    }

    /// A code that was right resets the count of wrong ones.
    pub fn right_code(&mut self) {
        self.wrong_codes.clear();
    }

    fn after(&mut self, step: &Step, now: DateTime<Utc>) {
        if let Some(t) = step.transitions.last() {
            self.reason = t.reason.clone();
        }
        self.updated_at = now;
    }

    /// Arms from the app (or a mode change): the exit delay runs.
    #[allow(clippy::too_many_arguments)]
    pub fn arm(
        &mut self,
        home: &Home,
        zones: &BTreeMap<Uuid, Zone>,
        mode: ArmMode,
        bypass: &[Uuid],
        force: bool,
        by: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> Result<Step, DomainError> {
        let step = self.panel.arm(&home.settings, zones, mode, bypass, force, ArmSource::App, by.map(|a| a.id), now)?;
        self.mode = HomeMode::of_arm_mode(mode);
        self.mode_until = None;
        self.return_mode = None;
        self.after(&step, now);
        if let Some(a) = by {
            self.reason = format!("arming {} by {}: exit delay", mode.as_str(), a.name);
        }
        Ok(step)
    }

    /// Disarms (the code was checked): a duress code does exactly this, and
    /// also tells monitoring, silently (121, no abort window).
    pub fn disarm(&mut self, by: Option<&Actor>, duress: bool, now: DateTime<Utc>) -> Step {
        let mut step = self.panel.disarm(by.map(|a| a.id), now);
        if duress {
            let mut s = signal(121, Qualifier::Event, None, by.map(|a| a.id), now, "duress: disarmed under duress");
            s.dispatch = true;
            s.monitoring_only = true;
            step.signals.push(s);
        }
        self.mode = HomeMode::Home;
        self.mode_until = None;
        self.return_mode = None;
        self.updated_at = now;
        self.last_disarm = Some(Seen { name: by.map_or_else(|| "the system".into(), |a| a.name.clone()), at: now });
        self.reason = match by {
            Some(a) => format!("disarmed by {}", a.name),
            None => "disarmed".into(),
        };
        step
    }

    pub fn panic(&mut self, home: &Home, by: Option<&Actor>, now: DateTime<Utc>) -> Step {
        let step = self.panel.panic(&home.settings, by.map(|a| a.id), now);
        self.after(&step, now);
        if let Some(a) = by {
            self.reason = format!("panic raised by {}", a.name);
        }
        step
    }

    /// Whether going to `mode` lowers the home's guard (it needs a code).
    pub fn is_downward(&self, mode: HomeMode) -> bool {
        mode.rank() < self.mode.rank() || (self.panel.alarm.is_some() && mode.arm_mode(false).is_none())
    }

    /// Changes the home's mode, arming or disarming the panel to match. A
    /// mode that ends (`until`; a party by default at the home's party end)
    /// returns the home to the mode it was in.
    #[allow(clippy::too_many_arguments)]
    pub fn set_mode(
        &mut self,
        home: &Home,
        zones: &BTreeMap<Uuid, Zone>,
        mode: HomeMode,
        until: Option<DateTime<Utc>>,
        force: bool,
        by: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> Result<Step, DomainError> {
        if let Some(u) = until
            && u <= now
        {
            return Err(DomainError::invalid("until", "must be in the future"));
        }
        let until = match (mode, until) {
            (HomeMode::Party, None) => Some(home.next_local(&home.party_ends_at, now)),
            _ => until,
        };
        let target = mode.arm_mode(home.home_mode_arms);
        let current = match self.panel.phase {
            Phase::Disarmed => None,
            _ => self.panel.mode,
        };
        let before = self.mode;
        let mut step = Step::default();
        if current != target || self.panel.alarm.is_some() {
            if let Some(arm) = target {
                // Refuse before changing anything: an open door blocks the new arm state.
                let blocking = self.panel.blocking(zones, arm, &[]);
                if !blocking.is_empty() && !force {
                    return Err(super::cannot_arm(&blocking));
                }
            }
            if current.is_some() || self.panel.alarm.is_some() {
                let off = self.panel.disarm(by.map(|a| a.id), now);
                step.transitions.extend(off.transitions);
                step.signals.extend(off.signals);
            }
            if let Some(arm) = target {
                let on =
                    self.panel.arm(&home.settings, zones, arm, &[], force, ArmSource::App, by.map(|a| a.id), now)?;
                step.transitions.extend(on.transitions);
                step.signals.extend(on.signals);
            }
        }
        let returns_to = if self.mode_until.is_some() { self.return_mode } else { Some(before) };
        self.mode = mode;
        self.mode_until = until;
        self.return_mode = until.and(returns_to);
        let who = by.map(|a| format!(" by {}", a.name)).unwrap_or_default();
        let ends = until.map(|u| format!(" until {}", home.local(u).format("%a %d %b %H:%M"))).unwrap_or_default();
        self.reason = format!("{} mode{who}{ends}", mode.as_str());
        self.updated_at = now;
        step.transitions.push(Transition {
            from: format!("mode:{}", before.as_str()),
            to: format!("mode:{}", mode.as_str()),
            reason: self.reason.clone(),
            at: now,
        });
        Ok(step)
    }

    /// A sensor's event, judged once however often it is delivered.
    pub fn sensor(
        &mut self,
        home: &Home,
        zone: &Zone,
        change: SensorChange,
        event_id: Uuid,
        now: DateTime<Utc>,
    ) -> Step {
        if self.seen.contains(&event_id) {
            return Step::default();
        }
        self.seen.push_back(event_id);
        while self.seen.len() > SEEN {
            self.seen.pop_front();
        }
        let step = self.panel.sensor(&home.settings, zone, change, now);
        self.after(&step, now);
        step
    }

    /// A device's event, judged by the panel and then decided on by the
    /// security response (`crate::security`), once however often it is
    /// delivered. A would-be alarm the decision holds back (a registered
    /// pet) leaves the panel as it was; every decision is in the step.
    pub fn judge(
        &mut self,
        home: &Home,
        zones: &BTreeMap<Uuid, Zone>,
        household: &Household,
        event: &Event,
        now: DateTime<Utc>,
    ) -> Step {
        let Some(zone) = zones.get(&event.device_id) else { return Step::default() };
        if !security::relevant(event.event_type) || self.seen.contains(&event.event_id) {
            return Step::default();
        }
        let facts = self.facts(home, zones, zone, household, event, now);
        let mut trial = self.clone();
        let mut step = match SensorChange::of(event.event_type) {
            Some(change) => trial.sensor(home, zone, change, event.event_id, now),
            None => {
                trial.seen.push_back(event.event_id);
                Step::default()
            }
        };
        let saw = panel_saw(&step, self.panel.phase, &trial.panel);
        let verdict = security::decide(event.event_type, &zone.name, &facts, &saw);
        if verdict.outcome == Outcome::Suppress {
            // The trip never happened as far as the panel is concerned.
            trial.panel = self.panel.clone();
            trial.reason = self.reason.clone();
            step = Step::default();
        }
        *self = trial;
        if matches!(SensorChange::of(event.event_type), Some(SensorChange::Opened | SensorChange::Unlocked))
            && zone.zone_type == ZoneType::EntryExit
        {
            self.last_entry = Some(Seen { name: zone.name.clone(), at: now });
        }
        let signal = step.signals.iter().find(|s| s.qualifier == Qualifier::Event).map(|s| s.code).or(saw.raised);
        step.decisions.push(Decision {
            id: Decision::id_for(event.event_id),
            user_id: self.user_id,
            event_id: event.event_id,
            event_type: event.event_type,
            device_id: event.device_id,
            device_name: zone.name.clone(),
            at: now,
            outcome: verdict.outcome,
            summary: verdict.summary,
            reasons: verdict.reasons,
            facts,
            signal: signal.filter(|_| verdict.outcome != Outcome::Log),
            notify: verdict.notify,
            recorded_at: None,
        });
        step
    }

    /// The facts around an event, before the panel judges it.
    fn facts(
        &self,
        home: &Home,
        zones: &BTreeMap<Uuid, Zone>,
        zone: &Zone,
        household: &Household,
        event: &Event,
        now: DateTime<Utc>,
    ) -> Facts {
        let p = &self.panel;
        let window = Duration::seconds(home.settings.cross_zone_seconds.into());
        let name = |id: Uuid| zones.get(&id).map_or_else(|| "a removed sensor".to_owned(), |z| z.name.clone());
        let ago = |t: &Trip| Recent { name: name(t.zone), seconds_ago: (now - t.at).num_seconds().max(0) };
        let breach = p
            .recent
            .iter()
            .rev()
            .find(|t| {
                zones
                    .get(&t.zone)
                    .is_some_and(|z| matches!(z.zone_type, ZoneType::PerimeterInstant | ZoneType::EntryExit))
            })
            .map(ago);
        let second_zone = p.recent.iter().rev().find(|t| t.zone != zone.device_id && now - t.at <= window).map(ago);
        let person_seen = p.person.as_ref().filter(|t| now - t.at <= window).map(ago);
        let local = home.local(now);
        let armed_night = p.mode == Some(ArmMode::Night) && p.phase != Phase::Disarmed;
        Facts {
            arm_state: p.state_name(),
            mode: self.mode.as_str().into(),
            zone_type: zone.zone_type,
            zone_armed: p.counts(zone),
            local_time: local.format("%H:%M").to_string(),
            night: armed_night || security::is_night(local),
            pets: household.pets.clone(),
            sighting: Sighting::of(&event.payload),
            breach,
            second_zone,
            person_seen,
            cross_zone_seconds: home.settings.cross_zone_seconds,
            guests_expected: household.guests.clone(),
            last_disarm: self.last_disarm.as_ref().filter(|s| now - s.at <= PRESENCE).map(|s| s.recent(now)),
            last_entry: self.last_entry.as_ref().filter(|s| now - s.at <= PRESENCE).map(|s| s.recent(now)),
            anomaly_score: event.payload.get("anomaly_score").and_then(serde_json::Value::as_f64),
            suppress_pet_motion: household.suppress_pet_motion,
        }
    }

    /// The clock moved: the panel's delays and windows, and a mode that ended.
    pub fn tick(&mut self, home: &Home, zones: &BTreeMap<Uuid, Zone>, now: DateTime<Utc>) -> Step {
        let mut step = self.panel.tick(&home.settings, zones, now);
        self.after(&step, now);
        if self.mode_until.is_some_and(|t| now >= t) {
            let back = self.return_mode.unwrap_or(HomeMode::Home);
            let ended = self.mode;
            // Nobody is there to choose: what is open is bypassed for this cycle.
            if let Ok(s) = self.set_mode(home, zones, back, None, true, None, now) {
                step.transitions.extend(s.transitions);
                step.signals.extend(s.signals);
                self.reason = format!("{} mode ended: back to {}", ended.as_str(), back.as_str());
            }
        }
        if self.lockout_until.is_some_and(|t| now >= t) {
            self.lockout_until = None;
        }
        step
    }

    /// After a restart of the platform: nothing is judged while sensors settle.
    pub fn restarted(&mut self, now: DateTime<Utc>) {
        self.panel.restarted(now);
    }

    /// The log entries of `step`, with who did it where a person did.
    pub fn entries(&self, step: &Step, by: Option<&Actor>) -> Vec<LogEntry> {
        let name_of = |user: Option<Uuid>| by.filter(|a| Some(a.id) == user).map(|a| a.name.clone());
        let transitions = step.transitions.iter().map(|t| LogEntry {
            id: Uuid::now_v7(),
            user_id: self.user_id,
            at: t.at,
            kind: EntryKind::Transition,
            code: None,
            qualifier: None,
            text: t.reason.clone(),
            from: Some(t.from.clone()),
            to: Some(t.to.clone()),
            zone: None,
            by: by.map(|a| a.name.clone()),
            dispatch: false,
            monitoring_only: false,
        });
        let signals = step.signals.iter().map(|s: &Signal| LogEntry {
            id: Uuid::now_v7(),
            user_id: self.user_id,
            at: s.at,
            kind: EntryKind::Signal,
            code: Some(s.code),
            qualifier: Some(s.qualifier),
            text: s.text.clone(),
            from: None,
            to: None,
            zone: s.zone,
            by: name_of(s.user),
            dispatch: s.dispatch,
            monitoring_only: s.monitoring_only,
        });
        transitions.chain(signals).collect()
    }
}

/// What the panel did with an event, read from its step.
fn panel_saw(step: &Step, before: Phase, after: &Panel) -> PanelSaw {
    let new = |s: &&Signal| s.qualifier == Qualifier::Event;
    let raised = step.signals.iter().filter(new).map(|s| s.code).find(|c| matches!(c, 110..=139 | 162) && *c != 121);
    let verified = step.signals.iter().filter(new).any(|s| s.code == 139);
    let trouble = step.signals.iter().filter(new).map(|s| s.code).find(|c| matches!(c, 381 | 383 | 384));
    let note = step.transitions.last().map(|t| t.reason.clone()).or_else(|| match (before, after.phase) {
        (Phase::Arming, _) => Some("the exit delay runs: walking out".to_owned()),
        (Phase::Pending, _) => Some("the entry delay runs: disarm to stop it".to_owned()),
        (Phase::Triggered, _) => Some("the alarm is already raised".to_owned()),
        _ => None,
    });
    PanelSaw { raised, verified, trouble, note }
}

/// A refused guest code, for the log: 421 (access denied), with the guest's name.
pub fn guest_refused(guest: &Actor, why: &str, now: DateTime<Utc>) -> Step {
    let text = format!("guest code of {} refused: {why}", guest.name);
    Step { signals: vec![signal(421, Qualifier::Event, None, Some(guest.id), now, text)], ..Step::default() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    use crate::error::ErrorCode;

    use crate::alarm::ZoneType;

    fn setup() -> (Home, BTreeMap<Uuid, Zone>, AlarmRecord, DateTime<Utc>) {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 1, 23, 0, 0).unwrap(); // 18:00 in New York
        let home = Home::new(Uuid::nil(), "America/New_York", t0).unwrap();
        let zone = |n: u128, name: &str, zone_type| {
            (
                Uuid::from_u128(n),
                Zone {
                    device_id: Uuid::from_u128(n),
                    name: name.into(),
                    zone_type,
                    entry_delay_seconds: None,
                    armed_at_night: false,
                },
            )
        };
        let zones = BTreeMap::from([
            zone(1, "Back Door", ZoneType::EntryExit),
            zone(2, "Patio Window", ZoneType::PerimeterInstant),
            zone(3, "Hallway Motion", ZoneType::InteriorFollower),
        ]);
        (home, zones, AlarmRecord::new(Uuid::nil(), t0), t0)
    }

    #[test]
    fn a_party_arms_the_perimeter_only_and_ends_at_two_am_back_in_the_mode_before() {
        let (home, zones, mut r, t0) = setup();
        r.set_mode(&home, &zones, HomeMode::Party, None, false, None, t0).unwrap();
        assert_eq!(
            (r.mode, r.panel.mode, r.return_mode),
            (HomeMode::Party, Some(ArmMode::Custom), Some(HomeMode::Home))
        );
        assert_eq!(r.mode_until, Some(Utc.with_ymd_and_hms(2026, 12, 2, 7, 0, 0).unwrap()), "02:00 EST");
        let later = t0 + Duration::minutes(5);
        r.tick(&home, &zones, later);
        assert_eq!(r.panel.state_name(), "armed_custom");
        // Guests use the back door and fill the hall: nothing.
        for (n, change) in [(1, SensorChange::Opened), (3, SensorChange::Tripped), (1, SensorChange::Closed)] {
            let s = r.sensor(&home, &zones[&Uuid::from_u128(n)], change, Uuid::new_v4(), later);
            assert!(s.signals.is_empty() && s.transitions.is_empty(), "{change:?}: {s:?}");
        }
        // The patio window is perimeter: an alarm.
        let s = r.sensor(&home, &zones[&Uuid::from_u128(2)], SensorChange::Opened, Uuid::new_v4(), later);
        assert_eq!(s.signals[0].code, 131);
        r.disarm(None, false, later);
        r.sensor(&home, &zones[&Uuid::from_u128(2)], SensorChange::Closed, Uuid::new_v4(), later);
        r.set_mode(&home, &zones, HomeMode::Party, None, false, None, later).unwrap();
        let end = r.mode_until.unwrap();
        r.tick(&home, &zones, end - Duration::seconds(1));
        assert_eq!(r.mode, HomeMode::Party);
        r.tick(&home, &zones, end);
        assert_eq!((r.mode, r.panel.phase), (HomeMode::Home, Phase::Disarmed), "{}", r.reason);
        assert!(r.reason.contains("party mode ended"), "{}", r.reason);
    }

    #[test]
    fn five_wrong_codes_lock_the_keypad_for_fifteen_minutes() {
        let (_, _, mut r, t0) = setup();
        for i in 0..4 {
            assert!(r.wrong_code(t0 + Duration::minutes(i)).signals.is_empty());
        }
        // The first wrong code is 15 minutes old by now: it no longer counts.
        assert!(r.wrong_code(t0 + Duration::minutes(15)).signals.is_empty(), "four inside the window");
        let s = r.wrong_code(t0 + Duration::minutes(15));
        assert_eq!(s.signals[0].code, 461);
        let at = t0 + Duration::minutes(15);
        assert_eq!(r.locked(at), Some(at + LOCKOUT));
        assert_eq!(r.locked(at + LOCKOUT), None);
    }

    #[test]
    fn a_duress_disarm_differs_only_in_what_monitoring_sees() {
        let (home, zones, mut r, t0) = setup();
        let john = Actor { id: Uuid::from_u128(9), name: "John".into() };
        let mut twin = r.clone();
        r.arm(&home, &zones, ArmMode::Away, &[], false, None, t0).unwrap();
        twin.arm(&home, &zones, ArmMode::Away, &[], false, None, t0).unwrap();
        let normal = r.disarm(Some(&john), false, t0 + Duration::seconds(5));
        let duress = twin.disarm(Some(&john), true, t0 + Duration::seconds(5));
        assert_eq!(r.reason, twin.reason);
        assert_eq!(r.panel, twin.panel);
        let household = |s: &Step| s.signals.iter().filter(|s| !s.monitoring_only).cloned().collect::<Vec<_>>();
        assert_eq!(household(&normal), household(&duress));
        let secret: Vec<_> = duress.signals.iter().filter(|s| s.monitoring_only).collect();
        assert_eq!((secret.len(), secret[0].code, secret[0].dispatch), (1, 121, true));
        let entries = twin.entries(&duress, Some(&john));
        assert!(entries.iter().any(|e| e.code == Some(121) && e.monitoring_only && e.by.as_deref() == Some("John")));
    }

    #[test]
    fn an_event_delivered_twice_is_judged_once() {
        let (home, zones, mut r, t0) = setup();
        r.arm(&home, &zones, ArmMode::Away, &[], false, None, t0).unwrap();
        r.tick(&home, &zones, t0 + Duration::seconds(61));
        let id = Uuid::new_v4();
        let hall = &zones[&Uuid::from_u128(3)];
        let first = r.sensor(&home, hall, SensorChange::Tripped, id, t0 + Duration::seconds(70));
        assert_eq!(first.signals[0].code, 132);
        assert_eq!(r.sensor(&home, hall, SensorChange::Tripped, id, t0 + Duration::seconds(71)), Step::default());
        assert_eq!(r.panel.trips[&hall.device_id], 1);
    }

    fn event(device: u128, event_type: crate::event::EventType, payload: serde_json::Value) -> Event {
        Event {
            event_id: Uuid::new_v4(),
            device_id: Uuid::from_u128(device),
            user_id: Uuid::nil(),
            event_type,
            payload: payload.as_object().cloned().unwrap_or_default(),
            timestamp: Utc::now(),
            metadata: serde_json::Map::new(),
        }
    }

    #[test]
    fn a_pet_is_held_back_without_touching_the_panel_and_a_breach_makes_it_an_alarm() {
        use crate::event::EventType as E;
        use crate::home::{PetKind, PetSize};
        let (home, mut zones, mut r, t0) = setup();
        zones.get_mut(&Uuid::from_u128(3)).unwrap().armed_at_night = true;
        let cat = Household {
            pets: vec![PetFact { name: "Milo".into(), kind: PetKind::Cat, size: PetSize::Small }],
            ..Household::default()
        };
        r.arm(&home, &zones, ArmMode::Night, &[], false, None, t0).unwrap();
        r.tick(&home, &zones, t0 + Duration::seconds(61));
        let at = t0 + Duration::seconds(70);
        let pet = serde_json::json!({ "signature": "pet", "estimated_size": "small" });
        let before = r.panel.clone();
        let e = event(3, E::MotionDetected, pet.clone());
        let s = r.judge(&home, &zones, &cat, &e, at);
        assert!(s.signals.is_empty() && s.transitions.is_empty(), "{s:?}");
        assert_eq!(s.decisions[0].outcome, Outcome::Suppress);
        assert_eq!(s.decisions[0].id, Decision::id_for(e.event_id));
        assert!(s.decisions[0].facts.night, "armed for the night");
        assert_eq!(r.panel, before, "no trip counted, nothing raised");
        assert_eq!(r.judge(&home, &zones, &cat, &e, at), Step::default(), "judged once");
        // Without the pet registered, the same motion is an alarm (motion alone).
        let mut twin = r.clone();
        let s = twin.judge(&home, &zones, &Household::default(), &event(3, E::MotionDetected, pet.clone()), at);
        assert_eq!((s.decisions[0].outcome, s.decisions[0].signal), (Outcome::Alarm, Some(132)));
        // The patio window opens, then the cat's motion: a verified alarm.
        let s = r.judge(&home, &zones, &cat, &event(2, E::DoorOpen, serde_json::json!({})), at);
        assert_eq!((s.decisions[0].outcome, s.decisions[0].signal), (Outcome::Alarm, Some(131)));
        let s = r.judge(&home, &zones, &cat, &event(3, E::MotionDetected, pet), at + Duration::seconds(4));
        let d = &s.decisions[0];
        assert_eq!((d.outcome, d.signal), (Outcome::VerifiedAlarm, Some(139)), "{d:?}");
        assert_eq!(d.facts.breach.as_ref().map(|b| b.name.as_str()), Some("Patio Window"));
        // A camera's package while disarmed: logged, and the household told.
        r.disarm(None, false, at + Duration::seconds(10));
        assert_eq!(r.last_disarm.as_ref().map(|s| s.name.as_str()), Some("the system"));
        let s = r.judge(
            &home,
            &zones,
            &cat,
            &event(3, E::PackageDetected, serde_json::json!({})),
            at + Duration::seconds(20),
        );
        assert_eq!(
            (s.decisions[0].outcome, s.decisions[0].notify),
            (Outcome::Log, Some(crate::automation::Severity::Normal))
        );
        assert_eq!(s.decisions[0].facts.last_disarm.as_ref().map(|l| l.seconds_ago), Some(10));
        // An event of a device the home does not have, or one nobody decides on, is nothing.
        assert_eq!(
            r.judge(&home, &zones, &cat, &event(99, E::MotionDetected, serde_json::json!({})), at),
            Step::default()
        );
        assert_eq!(
            r.judge(&home, &zones, &cat, &event(3, E::TemperatureReading, serde_json::json!({})), at),
            Step::default()
        );
    }

    #[test]
    fn going_down_a_mode_is_known() {
        let (home, zones, mut r, t0) = setup();
        r.set_mode(&home, &zones, HomeMode::Away, None, false, None, t0).unwrap();
        assert!(r.is_downward(HomeMode::Home) && r.is_downward(HomeMode::Party));
        assert!(!r.is_downward(HomeMode::Vacation) && !r.is_downward(HomeMode::Away));
        // An open back door blocks away, and nothing changes.
        r.disarm(None, false, t0);
        r.sensor(&home, &zones[&Uuid::from_u128(1)], SensorChange::Opened, Uuid::new_v4(), t0);
        let before = r.clone();
        let e = r.set_mode(&home, &zones, HomeMode::Away, None, false, None, t0).unwrap_err();
        assert_eq!(e.code, ErrorCode::Conflict);
        assert_eq!(e.details["open"][0]["name"], "Back Door");
        assert_eq!(r, before);
        // A party leaves the entry doors to the guests: it arms.
        r.set_mode(&home, &zones, HomeMode::Party, None, false, None, t0).unwrap();
    }
}
