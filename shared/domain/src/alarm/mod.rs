//! The alarm panel of one home, as pure code driven by commands, sensor
//! changes and the clock (the home's clock: simulated in demos). It follows
//! ANSI/SIA CP-01 as `../shared/ALARM.md` gathers it: exit delay (restarted
//! once by the exit door, auto-stay, exit error), entry delay per mode and
//! per sensor, zone types, abort and cancel windows, swinger shutdown,
//! bypass for one arming cycle, force-arm, 24-hour fire, panic, tamper,
//! troubles, and settling after a restart. What it decides comes out as
//! transitions and Contact ID signals; storing them, codes and their
//! lockout, and the bus are the functions' concern.

pub mod codes;
pub mod record;
pub mod settings;
pub mod zone;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

pub use record::{Actor, AlarmRecord, EntryKind, LogEntry};
pub use settings::AlarmSettings;
pub use zone::{SensorChange, ZoneType};

use crate::error::{DomainError, ErrorCode};
use settings::{CANCEL_WINDOW, RECENT_CLOSING, RESTART_SETTLING};

/// How the home is armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArmMode {
    /// Stay: perimeter and entry doors, interior bypassed.
    Home,
    Away,
    /// Perimeter, entry doors and the interior zones chosen for the night.
    Night,
    /// Away, for days.
    Vacation,
    /// Perimeter only (a party).
    Custom,
}

impl ArmMode {
    pub const ALL: [ArmMode; 5] = [Self::Home, Self::Away, Self::Night, Self::Vacation, Self::Custom];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Away => "away",
            Self::Night => "night",
            Self::Vacation => "vacation",
            Self::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| {
            DomainError::invalid("mode", format!("unknown arm mode '{s}' (away, home, night, vacation, custom)"))
        })
    }

    /// Whether entry/exit doors count in this mode (a party leaves them to the guests).
    fn entry_armed(self) -> bool {
        self != Self::Custom
    }

    /// Whether an interior zone counts in this mode.
    fn interior_armed(self, zone: &Zone) -> bool {
        match self {
            Self::Away | Self::Vacation => true,
            Self::Night => zone.armed_at_night,
            Self::Home | Self::Custom => false,
        }
    }
}

/// Where the panel stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Disarmed,
    /// The exit delay runs.
    Arming,
    Armed,
    /// The entry delay runs.
    Pending,
    Triggered,
}

/// One sensor as the panel sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    pub device_id: Uuid,
    pub name: String,
    pub zone_type: ZoneType,
    /// A sensor's own entry delay (a later, shorter one shortens a running delay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_delay_seconds: Option<u32>,
    /// An interior zone armed in night mode.
    #[serde(default)]
    pub armed_at_night: bool,
}

/// Who armed: at the keypad (auto-stay applies) or from the app or remotely (it never does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArmSource {
    Keypad,
    App,
}

/// What an alarm is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    Tamper,
    Burglary,
    Panic,
    /// Outranks every other kind.
    Fire,
}

/// The alarm of the current arming cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub kind: AlarmKind,
    /// The Contact ID event code it is reported with.
    pub code: u16,
    pub zone: Option<Uuid>,
    pub at: DateTime<Utc>,
    /// Disarming before this means nothing is sent.
    pub abort_until: Option<DateTime<Utc>>,
    /// When it was reported to monitoring (None while inside the abort window).
    pub sent_at: Option<DateTime<Utc>>,
    /// The exit door was still open when the exit delay ended (374).
    #[serde(default)]
    pub exit_error: bool,
    /// A second zone or a camera's person confirmed it (reported as 139).
    #[serde(default)]
    pub verified: bool,
    /// Motion alone, past its abort window: kept here, not sent, unless confirmed.
    #[serde(default)]
    pub held: bool,
}

/// A zone that tripped while armed, for cross-zone verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trip {
    pub zone: Uuid,
    pub at: DateTime<Utc>,
}

/// How many trips of an arming cycle are kept for verification.
const TRIPS_KEPT: usize = 32;

/// The qualifier of a Contact ID event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Qualifier {
    /// A new event (or an opening: a disarm).
    Event,
    /// A restore (or a closing: an arm).
    Restore,
    Status,
}

/// One signal for the home's log and, where it is an alarm, for monitoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Contact ID event code (130 burglary, 110 fire, 401 open/close, ...).
    pub code: u16,
    pub qualifier: Qualifier,
    pub zone: Option<Uuid>,
    /// Who, where a person caused it (never their code).
    pub user: Option<Uuid>,
    pub at: DateTime<Utc>,
    /// In words, for the household's history.
    pub text: String,
    /// Whether it goes to monitoring now (an alarm past its abort window, fire, panic, a cancel).
    pub dispatch: bool,
    /// Seen only by monitoring and admins, never by the household (duress).
    #[serde(default)]
    pub monitoring_only: bool,
}

/// A change of phase or mode, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub from: String,
    pub to: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// What one input did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub transitions: Vec<Transition>,
    pub signals: Vec<Signal>,
    /// What the security response decided on the events of the step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<crate::security::Decision>,
}

/// One home's panel. Serializable: it is stored after every step, so that it
/// survives a restart with its deadlines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Panel {
    pub phase: Phase,
    /// The mode being armed or armed (None when disarmed).
    pub mode: Option<ArmMode>,
    pub source: Option<ArmSource>,
    /// The end of the running exit or entry delay.
    pub deadline: Option<DateTime<Utc>>,
    pub armed_at: Option<DateTime<Utc>>,
    /// Doors and windows open now (they block arming).
    pub open: BTreeSet<Uuid>,
    /// Bypassed for this arming cycle.
    pub bypassed: BTreeSet<Uuid>,
    /// Trips per zone this arming cycle, and the zones shut down for it.
    pub trips: BTreeMap<Uuid, u32>,
    pub shut_down: BTreeSet<Uuid>,
    /// Exit delay: an entry/exit door was opened, then closed, then whether
    /// the delay was restarted already.
    pub exit_door_opened: bool,
    pub exit_door_cycled: bool,
    pub exit_restarted: bool,
    pub exit_error: bool,
    /// The entry/exit zone whose opening started the entry delay.
    pub entry_zone: Option<Uuid>,
    pub alarm: Option<Alarm>,
    pub siren_until: Option<DateTime<Utc>>,
    /// Nothing is judged as a trigger before this (after a restart).
    pub settle_until: Option<DateTime<Utc>>,
    /// The zones that tripped this arming cycle (newest last), and the last
    /// camera that saw a person while armed.
    #[serde(default)]
    pub recent: Vec<Trip>,
    #[serde(default)]
    pub person: Option<Trip>,
}

impl Default for Panel {
    fn default() -> Self {
        Self {
            phase: Phase::Disarmed,
            mode: None,
            source: None,
            deadline: None,
            armed_at: None,
            open: BTreeSet::new(),
            bypassed: BTreeSet::new(),
            trips: BTreeMap::new(),
            shut_down: BTreeSet::new(),
            exit_door_opened: false,
            exit_door_cycled: false,
            exit_restarted: false,
            exit_error: false,
            entry_zone: None,
            alarm: None,
            siren_until: None,
            settle_until: None,
            recent: vec![],
            person: None,
        }
    }
}

/// The 409 of arming while doors or windows are open, naming each.
fn cannot_arm(blocking: &[&Zone]) -> DomainError {
    let names: Vec<&str> = blocking.iter().map(|z| z.name.as_str()).collect();
    DomainError::new(ErrorCode::Conflict, format!("Cannot arm: {} open", names.join(", "))).with_details(json!({
        "open": blocking.iter().map(|z| json!({ "device_id": z.device_id, "name": z.name })).collect::<Vec<_>>()
    }))
}

/// What raises an alarm: its kind, its Contact ID code, the zone and the person.
struct Raised {
    kind: AlarmKind,
    code: u16,
    zone: Option<Uuid>,
    user: Option<Uuid>,
}

fn signal(
    code: u16,
    qualifier: Qualifier,
    zone: Option<Uuid>,
    user: Option<Uuid>,
    at: DateTime<Utc>,
    text: impl Into<String>,
) -> Signal {
    Signal { code, qualifier, zone, user, at, text: text.into(), dispatch: false, monitoring_only: false }
}

impl Panel {
    /// The state as the API names it: `disarmed`, `arming`, `armed_away`, ..., `pending`, `triggered`.
    pub fn state_name(&self) -> String {
        match (self.phase, self.mode) {
            (Phase::Armed, Some(m)) => format!("armed_{}", m.as_str()),
            (Phase::Disarmed, _) => "disarmed".into(),
            (Phase::Arming, _) => "arming".into(),
            (Phase::Pending, _) => "pending".into(),
            (Phase::Triggered, _) => "triggered".into(),
            (Phase::Armed, None) => "armed".into(),
        }
    }

    fn go(&mut self, step: &mut Step, phase: Phase, reason: impl Into<String>, at: DateTime<Utc>) {
        let from = self.state_name();
        self.phase = phase;
        let to = self.state_name();
        if from != to {
            step.transitions.push(Transition { from, to, reason: reason.into(), at });
        }
    }

    /// Forgets the arming cycle (mode, delays, bypasses, trips, the alarm),
    /// keeping what the sensors say and any settling after a restart.
    fn new_cycle(&mut self) {
        *self = Panel { open: std::mem::take(&mut self.open), settle_until: self.settle_until, ..Panel::default() };
    }

    fn armed(&self) -> bool {
        !matches!(self.phase, Phase::Disarmed)
    }

    /// Whether a sensor counts as it stands: fire always; the others by
    /// the arm mode, unless bypassed or shut down.
    pub fn counts(&self, zone: &Zone) -> bool {
        if zone.zone_type == ZoneType::Fire24h {
            return true;
        }
        let Some(mode) = self.mode.filter(|_| self.armed()) else { return false };
        if self.bypassed.contains(&zone.device_id) || self.shut_down.contains(&zone.device_id) {
            return false;
        }
        match zone.zone_type {
            ZoneType::PerimeterInstant => true,
            ZoneType::EntryExit => mode.entry_armed(),
            ZoneType::InteriorFollower => mode.interior_armed(zone),
            ZoneType::Fire24h | ZoneType::None => false,
        }
    }

    fn settling(&self, now: DateTime<Utc>) -> bool {
        self.settle_until.is_some_and(|t| now < t)
    }

    /// The doors and windows that block arming in `mode`: open, a perimeter
    /// zone or (where the mode arms them) an entry/exit zone, not bypassed.
    pub fn blocking<'z>(&self, zones: &'z BTreeMap<Uuid, Zone>, mode: ArmMode, bypass: &[Uuid]) -> Vec<&'z Zone> {
        self.open
            .iter()
            .filter(|id| !bypass.contains(id))
            .filter_map(|id| zones.get(id))
            .filter(|z| match z.zone_type {
                ZoneType::PerimeterInstant => true,
                ZoneType::EntryExit => mode.entry_armed(),
                _ => false,
            })
            .collect()
    }

    /// Starts arming in `mode`: the exit delay runs. Refused (409, naming
    /// each) while a door or window is open, unless bypassed or `force`d
    /// (force bypasses what is open, for this arming cycle).
    #[allow(clippy::too_many_arguments)]
    pub fn arm(
        &mut self,
        settings: &AlarmSettings,
        zones: &BTreeMap<Uuid, Zone>,
        mode: ArmMode,
        bypass: &[Uuid],
        force: bool,
        source: ArmSource,
        user: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Step, DomainError> {
        if self.phase != Phase::Disarmed {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                format!("The alarm is {}; disarm it first", self.state_name()),
            ));
        }
        if let Some(unknown) = bypass.iter().find(|id| !zones.contains_key(id)) {
            return Err(DomainError::invalid("bypass", format!("{unknown} is not a sensor of this home")));
        }
        let blocking = self.blocking(zones, mode, bypass);
        if !blocking.is_empty() && !force {
            return Err(cannot_arm(&blocking));
        }
        let mut step = Step::default();
        let mut bypassed: BTreeSet<Uuid> = bypass.iter().copied().collect();
        bypassed.extend(blocking.iter().map(|z| z.device_id));
        for id in &bypassed {
            let name = zones.get(id).map_or("a sensor", |z| z.name.as_str());
            step.signals.push(signal(570, Qualifier::Event, Some(*id), user, now, format!("{name} bypassed")));
        }
        self.new_cycle();
        self.mode = Some(mode);
        self.source = Some(source);
        self.bypassed = bypassed;
        self.deadline = Some(now + settings.exit_delay());
        self.go(&mut step, Phase::Arming, format!("arming {}: exit delay", mode.as_str()), now);
        Ok(step)
    }

    /// Disarms (the caller checked the code): from any state, cancelling a
    /// running delay; an alarm inside its abort window is never sent, one
    /// sent inside the cancel window is followed by a cancel (406).
    pub fn disarm(&mut self, user: Option<Uuid>, now: DateTime<Utc>) -> Step {
        let mut step = Step::default();
        if !self.armed() && self.alarm.is_none() {
            return step;
        }
        if let Some(alarm) = &self.alarm {
            match alarm.sent_at {
                None if alarm.abort_until.is_some_and(|t| now < t) => {
                    step.signals.push(signal(
                        alarm.code,
                        Qualifier::Status,
                        alarm.zone,
                        user,
                        now,
                        "alarm not sent: disarmed inside the abort window",
                    ));
                }
                Some(sent) if now - sent <= CANCEL_WINDOW && alarm.kind != AlarmKind::Fire => {
                    let mut cancel = signal(
                        406,
                        Qualifier::Event,
                        alarm.zone,
                        user,
                        now,
                        "cancel: disarmed after the alarm was sent",
                    );
                    cancel.dispatch = true;
                    step.signals.push(cancel);
                }
                _ => {}
            }
        }
        step.signals.push(signal(401, Qualifier::Event, None, user, now, "disarmed"));
        let reason = if self.alarm.is_some() { "disarmed, ending the alarm" } else { "disarmed" };
        self.go(&mut step, Phase::Disarmed, reason, now);
        self.new_cycle();
        step
    }

    /// A panic from the app or a panic button: an alarm at once, always.
    pub fn panic(&mut self, settings: &AlarmSettings, user: Option<Uuid>, now: DateTime<Utc>) -> Step {
        let mut step = Step::default();
        let alarm = Raised { kind: AlarmKind::Panic, code: 120, zone: None, user };
        self.raise(&mut step, settings, alarm, now, "panic");
        step
    }

    /// After a restart of the platform: the state and its deadlines resume,
    /// and nothing is judged as a trigger while sensors settle.
    pub fn restarted(&mut self, now: DateTime<Utc>) {
        self.settle_until = Some(now + RESTART_SETTLING);
    }

    /// Raises (or escalates) an alarm: sent at once unless it has an abort window.
    fn raise(&mut self, step: &mut Step, settings: &AlarmSettings, raised: Raised, now: DateTime<Utc>, why: &str) {
        let Raised { kind, code, zone, user } = raised;
        if self.alarm.as_ref().is_some_and(|a| a.kind >= kind) {
            return;
        }
        let abortable = matches!(kind, AlarmKind::Burglary | AlarmKind::Tamper) && settings.abort_window_seconds > 0;
        let verified = kind == AlarmKind::Burglary && self.confirmation(settings).is_some();
        let code = if verified { 139 } else { code };
        let alarm = Alarm {
            kind,
            code,
            zone,
            at: now,
            abort_until: abortable.then(|| now + settings.abort_window()),
            sent_at: (!abortable).then_some(now),
            exit_error: self.exit_error,
            verified,
            held: false,
        };
        let why = if verified { format!("{why}, verified by a second zone") } else { why.to_owned() };
        let mut s = signal(code, Qualifier::Event, zone, user, now, why.clone());
        s.dispatch = !abortable;
        step.signals.push(s);
        if !abortable {
            self.extra_reports(step, &alarm, now);
        }
        self.alarm = Some(alarm);
        self.deadline = None;
        self.siren_until = Some(now + settings.siren());
        self.go(step, Phase::Triggered, why, now);
    }

    /// Two different zones that tripped inside the cross-zone window of
    /// each other this arming cycle, or a zone and a camera's person: the
    /// intrusion is verified. The confirming zone (or camera), if so.
    pub fn confirmation(&self, settings: &AlarmSettings) -> Option<Uuid> {
        let window = chrono::Duration::seconds(settings.cross_zone_seconds.into());
        let near = |a: &Trip, b: &Trip| a.zone != b.zone && (a.at - b.at).abs() <= window;
        for (i, later) in self.recent.iter().enumerate().rev() {
            if let Some(p) = self.person.as_ref().filter(|p| near(later, p)) {
                return Some(p.zone);
            }
            if self.recent[..i].iter().any(|earlier| near(later, earlier)) {
                return Some(later.zone);
            }
        }
        None
    }

    /// Records a trip for verification.
    fn tripped(&mut self, zone: Uuid, now: DateTime<Utc>) {
        self.recent.push(Trip { zone, at: now });
        if self.recent.len() > TRIPS_KEPT {
            self.recent.remove(0);
        }
    }

    /// A standing burglary alarm that is not verified yet, confirmed now:
    /// reported as 139 (at once when its abort window passed already).
    fn verify(&mut self, step: &mut Step, settings: &AlarmSettings, now: DateTime<Utc>) {
        let Some(by) = self.confirmation(settings) else { return };
        let Some(alarm) = self.alarm.as_mut().filter(|a| a.kind == AlarmKind::Burglary && !a.verified) else {
            return;
        };
        alarm.verified = true;
        alarm.code = 139;
        let send = alarm.sent_at.is_some() || alarm.held;
        let mut s =
            signal(139, Qualifier::Event, Some(by), None, now, "intrusion verified: a second zone confirmed it");
        s.dispatch = send;
        if alarm.held {
            alarm.held = false;
            alarm.sent_at = Some(now);
            s.text = "intrusion verified: a second zone confirmed it; sent to monitoring".into();
        }
        step.signals.push(s);
    }

    /// What accompanies an alarm report: exit error (374), recent closing (459).
    fn extra_reports(&self, step: &mut Step, alarm: &Alarm, now: DateTime<Utc>) {
        if alarm.exit_error {
            let mut s = signal(374, Qualifier::Event, alarm.zone, None, now, "exit alarm: the exit door stayed open");
            s.dispatch = true;
            step.signals.push(s);
        }
        if self.armed_at.is_some_and(|a| alarm.at - a <= RECENT_CLOSING) && alarm.kind == AlarmKind::Burglary {
            let mut s = signal(
                459,
                Qualifier::Event,
                alarm.zone,
                None,
                now,
                "recent closing: an alarm within 2 minutes of arming",
            );
            s.dispatch = true;
            step.signals.push(s);
        }
    }

    /// Counts a trip of `zone` this arming cycle; false once the zone is
    /// shut down (it swung past the limit).
    fn count_trip(&mut self, settings: &AlarmSettings, zone: &Zone, step: &mut Step, now: DateTime<Utc>) -> bool {
        if self.shut_down.contains(&zone.device_id) {
            return false;
        }
        let n = self.trips.entry(zone.device_id).or_default();
        *n += 1;
        if *n > settings.swinger_limit {
            self.shut_down.insert(zone.device_id);
            step.signals.push(signal(
                570,
                Qualifier::Status,
                Some(zone.device_id),
                None,
                now,
                format!("{} shut down: tripped more than {} times", zone.name, settings.swinger_limit),
            ));
            return false;
        }
        true
    }

    /// A sensor changed.
    pub fn sensor(&mut self, settings: &AlarmSettings, zone: &Zone, change: SensorChange, now: DateTime<Utc>) -> Step {
        let mut step = Step::default();
        let id = zone.device_id;
        match change {
            SensorChange::Opened => {
                self.open.insert(id);
            }
            SensorChange::Closed => {
                self.open.remove(&id);
            }
            _ => {}
        }
        match change {
            SensorChange::LowBattery => {
                step.signals.push(signal(
                    384,
                    Qualifier::Event,
                    Some(id),
                    None,
                    now,
                    format!("{}: low battery", zone.name),
                ));
                return step;
            }
            SensorChange::Offline if self.armed() => {
                step.signals.push(signal(
                    381,
                    Qualifier::Event,
                    Some(id),
                    None,
                    now,
                    format!("{} stopped reporting while armed", zone.name),
                ));
                return step;
            }
            SensorChange::Online if self.armed() => {
                step.signals.push(signal(
                    381,
                    Qualifier::Restore,
                    Some(id),
                    None,
                    now,
                    format!("{} reports again", zone.name),
                ));
                return step;
            }
            SensorChange::Closed => {
                // The exit door opened and closed during the exit delay: someone left.
                if self.phase == Phase::Arming && self.exit_door_opened && zone.zone_type == ZoneType::EntryExit {
                    self.exit_door_cycled = true;
                }
                return step;
            }
            SensorChange::Offline | SensorChange::Online => return step,
            _ => {}
        }
        if self.settling(now) {
            return step;
        }
        if change == SensorChange::Person {
            if self.armed() {
                self.person = Some(Trip { zone: id, at: now });
                self.verify(&mut step, settings, now);
            }
            return step;
        }
        if change == SensorChange::Smoke || zone.zone_type == ZoneType::Fire24h {
            if matches!(change, SensorChange::Smoke | SensorChange::Tripped) {
                self.raise(
                    &mut step,
                    settings,
                    Raised { kind: AlarmKind::Fire, code: 110, zone: Some(id), user: None },
                    now,
                    &format!("fire: {}", zone.name),
                );
            }
            return step;
        }
        if change == SensorChange::Tamper {
            if self.armed() {
                if self.count_trip(settings, zone, &mut step, now) {
                    self.raise(
                        &mut step,
                        settings,
                        Raised { kind: AlarmKind::Tamper, code: 137, zone: Some(id), user: None },
                        now,
                        &format!("tamper: {}", zone.name),
                    );
                }
            } else {
                step.signals.push(signal(
                    383,
                    Qualifier::Event,
                    Some(id),
                    None,
                    now,
                    format!("{}: tamper (disarmed: a trouble)", zone.name),
                ));
            }
            return step;
        }
        if !self.armed() || self.bypassed.contains(&id) || self.shut_down.contains(&id) {
            return step;
        }
        let Some(mode) = self.mode else { return step };
        if zone.zone_type == ZoneType::EntryExit && !mode.entry_armed() {
            return step;
        }
        match (self.phase, zone.zone_type) {
            (_, ZoneType::None) => {}
            (Phase::Arming, ZoneType::EntryExit) => {
                if change == SensorChange::Opened {
                    if self.exit_door_cycled && !self.exit_restarted {
                        self.exit_restarted = true;
                        self.deadline = Some(now + settings.exit_delay());
                        step.transitions.push(Transition {
                            from: "arming".into(),
                            to: "arming".into(),
                            reason: format!("{} opened again: exit delay restarted", zone.name),
                            at: now,
                        });
                    }
                    self.exit_door_opened = true;
                }
            }
            // Walking out: interior sensors do not count during the exit delay.
            (Phase::Arming, ZoneType::InteriorFollower) => {}
            (Phase::Arming | Phase::Armed | Phase::Pending | Phase::Triggered, ZoneType::PerimeterInstant) => {
                if self.count_trip(settings, zone, &mut step, now) {
                    self.tripped(id, now);
                    self.verify(&mut step, settings, now);
                    self.raise(
                        &mut step,
                        settings,
                        Raised { kind: AlarmKind::Burglary, code: 131, zone: Some(id), user: None },
                        now,
                        &format!("burglary: {} (perimeter)", zone.name),
                    );
                }
            }
            (Phase::Armed, ZoneType::EntryExit) => {
                if self.count_trip(settings, zone, &mut step, now) {
                    self.tripped(id, now);
                    let delay = self.entry_delay(settings, mode, zone);
                    self.deadline = Some(now + delay);
                    self.entry_zone = Some(id);
                    self.go(&mut step, Phase::Pending, format!("{} opened: entry delay", zone.name), now);
                }
            }
            (Phase::Pending, ZoneType::EntryExit) => {
                self.tripped(id, now);
                // A later sensor with a shorter delay of its own shortens the running one.
                let candidate = now + self.entry_delay(settings, mode, zone);
                if self.deadline.is_some_and(|d| candidate < d) {
                    self.deadline = Some(candidate);
                }
            }
            // Interior sensors follow a running entry delay (and count toward verifying it).
            (Phase::Pending, ZoneType::InteriorFollower) => {
                if mode.interior_armed(zone) {
                    self.tripped(id, now);
                }
            }
            (Phase::Armed | Phase::Triggered, ZoneType::InteriorFollower) => {
                if mode.interior_armed(zone) && self.count_trip(settings, zone, &mut step, now) {
                    self.tripped(id, now);
                    self.verify(&mut step, settings, now);
                    self.raise(
                        &mut step,
                        settings,
                        Raised { kind: AlarmKind::Burglary, code: 132, zone: Some(id), user: None },
                        now,
                        &format!("burglary: {} (interior)", zone.name),
                    );
                }
            }
            (Phase::Triggered, ZoneType::EntryExit) => {
                if self.count_trip(settings, zone, &mut step, now) {
                    self.tripped(id, now);
                    self.verify(&mut step, settings, now);
                }
            }
            (Phase::Disarmed, _) | (_, ZoneType::Fire24h) => {}
        }
        step
    }

    fn entry_delay(&self, settings: &AlarmSettings, mode: ArmMode, zone: &Zone) -> chrono::Duration {
        let mode_delay = settings.entry_delay(mode);
        match zone.entry_delay_seconds {
            Some(s) => chrono::Duration::seconds(s.into()).min(mode_delay),
            None => mode_delay,
        }
    }

    /// The clock moved: ends a delay that ran out, sends an alarm whose
    /// abort window passed, stops the siren.
    pub fn tick(&mut self, settings: &AlarmSettings, zones: &BTreeMap<Uuid, Zone>, now: DateTime<Utc>) -> Step {
        let mut step = Step::default();
        let due = self.deadline.is_some_and(|d| now >= d);
        match self.phase {
            Phase::Arming if due => self.end_exit_delay(&mut step, settings, zones, now),
            Phase::Pending if due => {
                let zone = self.entry_zone;
                self.raise(
                    &mut step,
                    settings,
                    Raised { kind: AlarmKind::Burglary, code: 134, zone, user: None },
                    now,
                    "burglary: not disarmed within the entry delay",
                );
            }
            _ => {}
        }
        if let Some(alarm) = self.alarm.as_mut()
            && alarm.sent_at.is_none()
            && !alarm.verified
            && alarm.code == 132
            && alarm.abort_until.is_some_and(|t| now >= t)
        {
            // Motion alone is unverified: the household hears it, monitoring does not.
            alarm.abort_until = None;
            alarm.held = true;
            step.signals.push(signal(
                132,
                Qualifier::Status,
                alarm.zone,
                None,
                now,
                "alarm not sent to monitoring: motion alone, not confirmed by a second zone or a camera",
            ));
        }
        if let Some(alarm) = self.alarm.clone()
            && alarm.sent_at.is_none()
            && alarm.abort_until.is_some_and(|t| now >= t)
        {
            let mut s = signal(
                alarm.code,
                Qualifier::Event,
                alarm.zone,
                None,
                now,
                "alarm sent to monitoring: not disarmed within the abort window",
            );
            s.dispatch = true;
            step.signals.push(s);
            let mut sent = alarm;
            sent.sent_at = Some(now);
            self.extra_reports(&mut step, &sent, now);
            self.alarm = Some(sent);
        }
        if self.siren_until.is_some_and(|t| now >= t) {
            self.siren_until = None;
        }
        step
    }

    fn end_exit_delay(
        &mut self,
        step: &mut Step,
        settings: &AlarmSettings,
        zones: &BTreeMap<Uuid, Zone>,
        now: DateTime<Utc>,
    ) {
        let Some(mut mode) = self.mode else { return };
        self.armed_at = Some(now);
        let exit_open = self
            .open
            .iter()
            .filter(|_| mode.entry_armed())
            .filter(|id| !self.bypassed.contains(id))
            .find(|id| zones.get(id).is_some_and(|z| z.zone_type == ZoneType::EntryExit))
            .copied();
        if let Some(door) = exit_open {
            // Exit error: the door stayed open; the entry delay runs, and an
            // alarm that follows carries 374.
            self.exit_error = true;
            self.entry_zone = Some(door);
            self.trips.insert(door, 1);
            let name = zones.get(&door).map_or("the exit door", |z| z.name.as_str()).to_owned();
            let zone = zones.get(&door).cloned();
            self.deadline =
                Some(now + zone.map_or(settings.entry_delay(mode), |z| self.entry_delay(settings, mode, &z)));
            self.go(step, Phase::Pending, format!("exit error: {name} still open when the exit delay ended"), now);
            return;
        }
        if mode == ArmMode::Away && self.source == Some(ArmSource::Keypad) && !self.exit_door_cycled {
            // Nobody left: arm stay instead.
            mode = ArmMode::Home;
            self.mode = Some(mode);
            step.transitions.push(Transition {
                from: "arming".into(),
                to: "arming".into(),
                reason: "auto-stay: no one went out through an entry door".into(),
                at: now,
            });
        }
        self.deadline = None;
        let code = if matches!(mode, ArmMode::Home | ArmMode::Night) { 441 } else { 401 };
        step.signals.push(signal(code, Qualifier::Restore, None, None, now, format!("armed {}", mode.as_str())));
        self.go(step, Phase::Armed, format!("exit delay ended: armed {}", mode.as_str()), now);
    }
}

#[cfg(test)]
mod tests;
