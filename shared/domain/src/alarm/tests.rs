//! The panel on a virtual clock: every (state, input) pair, then the
//! boundaries of CP-01's rules.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use super::*;

struct Home {
    settings: AlarmSettings,
    zones: BTreeMap<Uuid, Zone>,
    panel: Panel,
    t0: DateTime<Utc>,
}

const FRONT: u128 = 1;
const BACK: u128 = 2;
const PATIO: u128 = 3;
const HALL: u128 = 4;
const BEDROOM: u128 = 5;
const SMOKE: u128 = 6;
const GARAGE: u128 = 7;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

impl Home {
    fn new() -> Self {
        let zone = |n, name: &str, zone_type, delay: Option<u32>, night| Zone {
            device_id: id(n),
            name: name.into(),
            zone_type,
            entry_delay_seconds: delay,
            armed_at_night: night,
        };
        let zones = [
            zone(FRONT, "Front Door", ZoneType::EntryExit, None, false),
            zone(BACK, "Back Door", ZoneType::EntryExit, None, false),
            zone(GARAGE, "Garage Door", ZoneType::EntryExit, Some(10), false),
            zone(PATIO, "Patio Window", ZoneType::PerimeterInstant, None, false),
            zone(HALL, "Hallway Motion", ZoneType::InteriorFollower, None, false),
            zone(BEDROOM, "Landing Motion", ZoneType::InteriorFollower, None, true),
            zone(SMOKE, "Kitchen Smoke", ZoneType::Fire24h, None, false),
        ]
        .into_iter()
        .map(|z| (z.device_id, z))
        .collect();
        Self {
            settings: AlarmSettings::default(),
            zones,
            panel: Panel::default(),
            t0: Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap(),
        }
    }

    fn at(&self, secs: i64) -> DateTime<Utc> {
        self.t0 + Duration::seconds(secs)
    }

    fn arm(&mut self, mode: ArmMode, source: ArmSource, secs: i64) -> Result<Step, DomainError> {
        let now = self.at(secs);
        self.panel.arm(&self.settings, &self.zones, mode, &[], false, source, None, now)
    }

    fn sensor(&mut self, n: u128, change: SensorChange, secs: i64) -> Step {
        let zone = self.zones[&id(n)].clone();
        let now = self.at(secs);
        self.panel.sensor(&self.settings, &zone, change, now)
    }

    fn tick(&mut self, secs: i64) -> Step {
        let now = self.at(secs);
        self.panel.tick(&self.settings, &self.zones, now)
    }

    /// Armed `mode` from the app: exit delay run out with nobody at the door.
    fn armed(mode: ArmMode) -> Self {
        let mut h = Self::new();
        h.arm(mode, ArmSource::App, 0).unwrap();
        h.tick(60);
        assert_eq!(h.panel.state_name(), format!("armed_{}", mode.as_str()));
        h
    }

    fn codes(step: &Step) -> Vec<u16> {
        step.signals.iter().map(|s| s.code).collect()
    }

    fn sent(step: &Step) -> Vec<u16> {
        step.signals.iter().filter(|s| s.dispatch).map(|s| s.code).collect()
    }
}

#[derive(Debug, Clone, Copy)]
enum Input {
    ArmAway,
    Disarm,
    Open(u128),
    Close(u128),
    Trip(u128),
    Smoke,
    Tamper(u128),
    Panic,
    Tick(i64),
}

fn start(phase: &str) -> Home {
    match phase {
        "disarmed" => Home::new(),
        "arming" => {
            let mut h = Home::new();
            h.arm(ArmMode::Away, ArmSource::App, 0).unwrap();
            h
        }
        "armed_away" => Home::armed(ArmMode::Away),
        "armed_home" => Home::armed(ArmMode::Home),
        "pending" => {
            let mut h = Home::armed(ArmMode::Away);
            h.sensor(FRONT, SensorChange::Opened, 70);
            h
        }
        "triggered" => {
            let mut h = Home::armed(ArmMode::Away);
            h.sensor(PATIO, SensorChange::Tripped, 70);
            h
        }
        other => panic!("no start {other}"),
    }
}

/// Every state against every input: where it goes, and the codes it reports
/// at once (inputs happen at T+80 s, past the exit delay of a fresh arming
/// but inside a running entry delay or abort window).
#[test]
fn every_state_answers_every_input() {
    use Input::*;
    let table: &[(&str, Input, &str, &[u16])] = &[
        ("disarmed", ArmAway, "arming", &[]),
        ("disarmed", Disarm, "disarmed", &[]),
        ("disarmed", Open(FRONT), "disarmed", &[]),
        ("disarmed", Trip(HALL), "disarmed", &[]),
        ("disarmed", Trip(PATIO), "disarmed", &[]),
        ("disarmed", Smoke, "triggered", &[110]),
        ("disarmed", Tamper(PATIO), "disarmed", &[383]),
        ("disarmed", Panic, "triggered", &[120]),
        ("disarmed", Tick(90), "disarmed", &[]),
        ("arming", ArmAway, "arming", &[]),
        ("arming", Disarm, "disarmed", &[401]),
        ("arming", Open(FRONT), "arming", &[]),
        ("arming", Trip(HALL), "arming", &[]),
        ("arming", Trip(PATIO), "triggered", &[131]),
        ("arming", Smoke, "triggered", &[110]),
        ("arming", Tamper(PATIO), "triggered", &[137]),
        ("arming", Panic, "triggered", &[120]),
        ("arming", Tick(90), "armed_away", &[401]),
        ("armed_away", ArmAway, "armed_away", &[]),
        ("armed_away", Disarm, "disarmed", &[401]),
        ("armed_away", Open(FRONT), "pending", &[]),
        ("armed_away", Close(FRONT), "armed_away", &[]),
        ("armed_away", Trip(HALL), "triggered", &[132]),
        ("armed_away", Trip(PATIO), "triggered", &[131]),
        ("armed_away", Smoke, "triggered", &[110]),
        ("armed_away", Tamper(PATIO), "triggered", &[137]),
        ("armed_away", Panic, "triggered", &[120]),
        ("armed_away", Tick(90), "armed_away", &[]),
        ("armed_home", Trip(HALL), "armed_home", &[]),
        ("armed_home", Open(BACK), "pending", &[]),
        ("armed_home", Trip(PATIO), "triggered", &[131]),
        ("pending", ArmAway, "pending", &[]),
        ("pending", Disarm, "disarmed", &[401]),
        ("pending", Open(BACK), "pending", &[]),
        ("pending", Trip(HALL), "pending", &[]),
        ("pending", Trip(PATIO), "triggered", &[139]),
        ("pending", Smoke, "triggered", &[110]),
        ("pending", Panic, "triggered", &[120]),
        ("pending", Tick(90), "pending", &[]),
        ("pending", Tick(100), "triggered", &[134]),
        ("triggered", ArmAway, "triggered", &[]),
        ("triggered", Disarm, "disarmed", &[131, 401]),
        ("triggered", Trip(HALL), "triggered", &[139]),
        ("triggered", Smoke, "triggered", &[110]),
        ("triggered", Panic, "triggered", &[120]),
        ("triggered", Tick(90), "triggered", &[]),
        ("triggered", Tick(100), "triggered", &[131, 459]),
    ];
    for (from, input, to, codes) in table {
        let mut h = start(from);
        let at = 80;
        let result = match *input {
            ArmAway => h.arm(ArmMode::Away, ArmSource::App, at).unwrap_or_default(),
            Disarm => h.panel.disarm(None, h.at(at)),
            Open(n) => h.sensor(n, SensorChange::Opened, at),
            Close(n) => h.sensor(n, SensorChange::Closed, at),
            Trip(n) => h.sensor(n, SensorChange::Tripped, at),
            Smoke => h.sensor(SMOKE, SensorChange::Smoke, at),
            Tamper(n) => h.sensor(n, SensorChange::Tamper, at),
            Panic => {
                let now = h.at(at);
                h.panel.panic(&h.settings, None, now)
            }
            Tick(s) => h.tick(s),
        };
        assert_eq!(h.panel.state_name(), *to, "{from} + {input:?}");
        assert_eq!(Home::codes(&result), *codes, "{from} + {input:?}: {:?}", result.signals);
    }
}

#[test]
fn arming_with_an_open_door_names_it_unless_bypassed_or_forced() {
    let mut h = Home::new();
    h.sensor(BACK, SensorChange::Opened, 0);
    h.sensor(PATIO, SensorChange::Opened, 0);
    let e = h.arm(ArmMode::Away, ArmSource::App, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("Back Door") && e.message.contains("Patio Window"), "{}", e.message);
    assert_eq!(e.details["open"].as_array().unwrap().len(), 2);
    assert_eq!(h.panel.state_name(), "disarmed");

    let now = h.at(2);
    let e =
        h.panel.arm(&h.settings, &h.zones, ArmMode::Away, &[id(BACK)], false, ArmSource::App, None, now).unwrap_err();
    assert!(e.message.contains("Patio Window") && !e.message.contains("Back Door"));
    let bypassing =
        h.panel.arm(&h.settings, &h.zones, ArmMode::Away, &[id(BACK), id(PATIO)], false, ArmSource::App, None, now);
    assert_eq!(Home::codes(&bypassing.unwrap()), [570, 570], "each bypass is reported");
    h.tick(62);
    assert_eq!(h.panel.state_name(), "armed_away", "a bypassed open door is no exit error");
    assert!(h.sensor(PATIO, SensorChange::Tripped, 70).signals.is_empty(), "bypassed for this arming cycle");
    h.panel.disarm(None, h.at(80));
    assert!(h.panel.bypassed.is_empty(), "a bypass lasts one arming cycle");

    let now = h.at(90);
    h.panel.arm(&h.settings, &h.zones, ArmMode::Away, &[], true, ArmSource::App, None, now).unwrap();
    assert_eq!(h.panel.bypassed.len(), 2, "force-arm bypasses what is open");
    let unknown =
        Home::new().panel.arm(&h.settings, &h.zones, ArmMode::Away, &[Uuid::nil()], false, ArmSource::App, None, now);
    assert_eq!(unknown.unwrap_err().details["field"], "bypass");
}

#[test]
fn the_exit_door_restarts_the_exit_delay_once() {
    let mut h = Home::new();
    h.arm(ArmMode::Away, ArmSource::Keypad, 0).unwrap();
    h.sensor(FRONT, SensorChange::Opened, 10);
    h.sensor(FRONT, SensorChange::Closed, 12);
    let restarted = h.sensor(FRONT, SensorChange::Opened, 40);
    assert!(restarted.transitions[0].reason.contains("restarted"));
    assert_eq!(h.panel.deadline, Some(h.at(100)));
    h.sensor(FRONT, SensorChange::Closed, 42);
    h.sensor(FRONT, SensorChange::Opened, 50);
    assert_eq!(h.panel.deadline, Some(h.at(100)), "only once");
    h.sensor(FRONT, SensorChange::Closed, 52);
    h.tick(99);
    assert_eq!(h.panel.state_name(), "arming");
    h.tick(100);
    assert_eq!(h.panel.state_name(), "armed_away", "someone went out: away it is");
}

#[test]
fn auto_stay_when_nobody_left_but_never_from_the_app() {
    let mut h = Home::new();
    h.arm(ArmMode::Away, ArmSource::Keypad, 0).unwrap();
    let step = h.tick(60);
    assert_eq!(h.panel.state_name(), "armed_home");
    assert!(step.transitions.iter().any(|t| t.reason.contains("auto-stay")));
    assert_eq!(Home::codes(&step), [441], "armed stay");

    let mut app = Home::new();
    app.arm(ArmMode::Away, ArmSource::App, 0).unwrap();
    app.tick(60);
    assert_eq!(app.panel.state_name(), "armed_away");
}

#[test]
fn an_exit_door_left_open_starts_the_entry_delay_and_reports_an_exit_alarm() {
    let mut h = Home::new();
    h.arm(ArmMode::Away, ArmSource::App, 0).unwrap();
    h.sensor(FRONT, SensorChange::Opened, 55);
    let step = h.tick(60);
    assert_eq!(h.panel.state_name(), "pending");
    assert!(step.transitions[0].reason.contains("Front Door still open"));
    h.tick(90);
    assert_eq!(h.panel.state_name(), "triggered");
    let sent = h.tick(120);
    assert_eq!(Home::sent(&sent), [134, 374, 459], "burglary, exit alarm, recent closing");
}

#[test]
fn interior_sensors_follow_a_running_entry_delay() {
    let mut h = Home::armed(ArmMode::Away);
    h.sensor(FRONT, SensorChange::Opened, 100);
    assert!(h.sensor(HALL, SensorChange::Tripped, 105).signals.is_empty(), "walking to the keypad");
    assert_eq!(h.panel.state_name(), "pending");
    assert!(h.panel.disarm(None, h.at(120)).signals.iter().all(|s| !s.dispatch), "disarmed in time: nothing alarming");
    // Without an entry delay running, the same motion is an alarm.
    let mut h = Home::armed(ArmMode::Away);
    h.sensor(HALL, SensorChange::Tripped, 100);
    assert_eq!(h.panel.state_name(), "triggered");
}

#[test]
fn a_shorter_sensor_delay_shortens_the_running_one() {
    let mut h = Home::armed(ArmMode::Away);
    h.sensor(FRONT, SensorChange::Opened, 100);
    assert_eq!(h.panel.deadline, Some(h.at(130)));
    h.sensor(GARAGE, SensorChange::Opened, 105);
    assert_eq!(h.panel.deadline, Some(h.at(115)), "the garage's own 10 s");
    h.sensor(BACK, SensorChange::Opened, 106);
    assert_eq!(h.panel.deadline, Some(h.at(115)), "a longer one never lengthens it");
}

#[test]
fn night_arms_only_the_interior_zones_chosen_for_it() {
    let mut h = Home::armed(ArmMode::Night);
    h.sensor(HALL, SensorChange::Tripped, 100);
    assert_eq!(h.panel.state_name(), "armed_night", "the hallway is bypassed at night");
    h.sensor(BEDROOM, SensorChange::Tripped, 101);
    assert_eq!(h.panel.state_name(), "triggered", "the landing is armed at night");
}

#[test]
fn the_abort_window_and_the_cancel_window_at_their_edges() {
    // Triggered at T+100 (entry delay from T+70): abort window to T+130.
    let entry = |disarm_at: i64| {
        let mut h = Home::armed(ArmMode::Away);
        h.sensor(FRONT, SensorChange::Opened, 70);
        h.tick(100);
        let mut sent = vec![];
        for s in 101..=disarm_at {
            sent.extend(Home::sent(&h.tick(s)));
        }
        let disarm = h.panel.disarm(None, h.at(disarm_at));
        (sent, disarm)
    };
    let (sent, disarm) = entry(129);
    assert!(sent.is_empty(), "1 s inside the abort window nothing was sent");
    assert_eq!(disarm.signals[0].text, "alarm not sent: disarmed inside the abort window");
    let (sent, disarm) = entry(130);
    assert_eq!(sent, [134, 459], "at the window's end the alarm goes (40 s after arming: a recent closing)");
    assert_eq!(Home::sent(&disarm), [406], "a cancel follows");
    let (_, disarm) = entry(130 + 300);
    assert_eq!(Home::sent(&disarm), [406], "the last second of the cancel window");
    let (_, disarm) = entry(130 + 301);
    assert!(Home::sent(&disarm).is_empty(), "past the cancel window no cancel");

    let mut fire = Home::armed(ArmMode::Away);
    let step = fire.sensor(SMOKE, SensorChange::Smoke, 100);
    assert_eq!(Home::sent(&step), [110], "fire has no abort window");
    assert!(Home::sent(&fire.panel.disarm(None, fire.at(101))).is_empty(), "and no cancel");
}

#[test]
fn a_swinging_zone_is_shut_down_after_its_limit_but_fire_never() {
    let mut h = Home::armed(ArmMode::Away);
    h.sensor(PATIO, SensorChange::Tripped, 100);
    h.sensor(PATIO, SensorChange::Tripped, 110);
    assert_eq!(h.panel.trips[&id(PATIO)], 2);
    let third = h.sensor(PATIO, SensorChange::Tripped, 120);
    assert!(third.signals[0].text.contains("shut down"), "{:?}", third.signals);
    assert!(h.sensor(PATIO, SensorChange::Tripped, 130).signals.is_empty(), "shut down until disarmed");
    h.panel.disarm(None, h.at(140));
    assert!(h.panel.shut_down.is_empty() && h.panel.trips.is_empty());

    let mut h = Home::new();
    for s in 0..5 {
        h.sensor(SMOKE, SensorChange::Smoke, s);
        h.panel.disarm(None, h.at(s));
    }
    let again = h.sensor(SMOKE, SensorChange::Smoke, 10);
    assert_eq!(Home::sent(&again), [110], "fire is never shut down");
}

#[test]
fn after_a_restart_sensors_settle_before_they_count() {
    let mut h = Home::armed(ArmMode::Away);
    let json = serde_json::to_string(&h.panel).unwrap();
    h.panel = serde_json::from_str(&json).unwrap();
    h.panel.restarted(h.at(200));
    assert!(h.sensor(HALL, SensorChange::Tripped, 259).signals.is_empty(), "59 s into settling");
    assert_eq!(h.panel.state_name(), "armed_away", "the arm state resumed");
    h.sensor(HALL, SensorChange::Tripped, 260);
    assert_eq!(h.panel.state_name(), "triggered", "settled");

    // A running entry delay resumes with the deadline it had.
    let mut h = Home::armed(ArmMode::Away);
    h.sensor(FRONT, SensorChange::Opened, 100);
    let mut resumed: Panel = serde_json::from_str(&serde_json::to_string(&h.panel).unwrap()).unwrap();
    resumed.restarted(h.at(110));
    assert_eq!(resumed.deadline, Some(h.at(130)));
    h.panel = resumed;
    h.tick(130);
    assert_eq!(h.panel.state_name(), "triggered");
}

#[test]
fn tamper_is_an_alarm_armed_and_a_trouble_disarmed() {
    let mut h = Home::new();
    assert_eq!(Home::codes(&h.sensor(HALL, SensorChange::Tamper, 0)), [383]);
    assert_eq!(h.panel.state_name(), "disarmed");
    let mut h = Home::armed(ArmMode::Home);
    h.sensor(HALL, SensorChange::Tamper, 100);
    assert_eq!(h.panel.state_name(), "triggered", "even an interior zone bypassed at home");
}

#[test]
fn troubles_are_reported_without_an_alarm() {
    let mut h = Home::armed(ArmMode::Away);
    assert_eq!(Home::codes(&h.sensor(HALL, SensorChange::Offline, 100)), [381]);
    assert_eq!(Home::codes(&h.sensor(HALL, SensorChange::Online, 101)), [381]);
    assert_eq!(Home::codes(&h.sensor(FRONT, SensorChange::LowBattery, 102)), [384]);
    assert_eq!(h.panel.state_name(), "armed_away");
    let mut h = Home::new();
    assert!(h.sensor(HALL, SensorChange::Offline, 0).signals.is_empty(), "offline while disarmed is no trouble");
}

#[test]
fn fire_outranks_burglary_and_the_siren_stops_while_the_alarm_stays() {
    let mut h = Home::armed(ArmMode::Away);
    h.sensor(PATIO, SensorChange::Tripped, 100);
    assert_eq!(h.panel.alarm.as_ref().unwrap().kind, AlarmKind::Burglary);
    h.sensor(SMOKE, SensorChange::Smoke, 105);
    assert_eq!(h.panel.alarm.as_ref().unwrap().kind, AlarmKind::Fire);
    h.sensor(HALL, SensorChange::Tripped, 106);
    assert_eq!(h.panel.alarm.as_ref().unwrap().kind, AlarmKind::Fire, "a burglary never downgrades a fire");
    h.tick(105 + 239);
    assert!(h.panel.siren_until.is_some());
    h.tick(105 + 240);
    assert!(h.panel.siren_until.is_none(), "the siren stops after 4 min");
    assert_eq!(h.panel.state_name(), "triggered", "the home stays in alarm until disarmed");
}

#[test]
fn a_panic_names_who_pressed_it_and_nothing_else_does() {
    let mut h = Home::new();
    h.arm(ArmMode::Away, ArmSource::App, 0).unwrap();
    h.sensor(FRONT, SensorChange::Opened, 55);
    h.tick(60);
    let who = Uuid::from_u128(42);
    let now = h.at(65);
    let step = h.panel.panic(&h.settings, Some(who), now);
    assert_eq!(Home::codes(&step), [120, 374], "the exit error goes with the first alarm sent");
    assert_eq!(step.signals[0].user, Some(who));
    assert_eq!(step.signals[1].user, None);
}

#[test]
fn motion_alone_stays_home_and_a_second_zone_or_a_person_verifies_it() {
    // Motion alone: the household's alarm, never sent to monitoring.
    let mut h = Home::armed(ArmMode::Away);
    let tripped = h.sensor(HALL, SensorChange::Tripped, 70);
    assert_eq!(Home::codes(&tripped), [132]);
    let held = h.tick(100);
    assert_eq!(Home::sent(&held), Vec::<u16>::new(), "unverified: nothing goes out");
    assert!(held.signals[0].text.contains("motion alone"), "{:?}", held.signals);
    assert!(h.panel.alarm.as_ref().unwrap().held);
    assert!(h.tick(130).signals.is_empty(), "said once");
    // A second zone long after the window verifies nothing...
    assert!(h.sensor(BEDROOM, SensorChange::Tripped, 150).signals.is_empty());
    // ...one inside it does, and goes out at once (its abort window passed).
    let verified = h.sensor(HALL, SensorChange::Tripped, 160);
    assert_eq!(Home::sent(&verified), [139]);
    assert!(h.panel.alarm.as_ref().unwrap().verified);

    // A break-in: glass, then motion 3 s later: verified, sent when the abort window ends.
    let mut h = Home::armed(ArmMode::Away);
    assert_eq!(Home::codes(&h.sensor(PATIO, SensorChange::Tripped, 70)), [131]);
    let second = h.sensor(HALL, SensorChange::Tripped, 73);
    assert_eq!((Home::codes(&second), Home::sent(&second)), (vec![139], vec![]), "inside the abort window");
    assert_eq!(Home::sent(&h.tick(100)), [139, 459], "with the recent closing");

    // A camera's person inside the window verifies motion; one outside it does not.
    let mut h = Home::armed(ArmMode::Away);
    h.sensor(HALL, SensorChange::Tripped, 70);
    assert!(h.sensor(GARAGE, SensorChange::Person, 95).signals.is_empty(), "25 s later");
    let seen = h.sensor(GARAGE, SensorChange::Person, 85);
    assert_eq!(Home::codes(&seen), [139]);
    // Disarmed, a person is nobody's business.
    let mut h = Home::new();
    assert!(h.sensor(GARAGE, SensorChange::Person, 10).signals.is_empty());
    assert_eq!(h.panel.person, None);
}
