//! Scenario files: their YAML format (see `scenarios/README.md`), loaded
//! and checked up front, so that a mistake is reported with the file, line
//! and problem before anything runs.

use std::path::Path;

use chrono::{Duration, NaiveTime};
use homeguard_domain::alarm::ArmMode;
use homeguard_domain::home::{NewContact, NewPet, PetKind, PetSize};
use homeguard_domain::{DeviceCommand, DeviceType, EventType, HomeMode};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

/// The longest timeline a scenario may have.
pub const MAX_DURATION: Duration = Duration::days(31);
/// The most history a scenario may have (events may be at most 30 days old).
pub const MAX_HISTORY: Duration = Duration::days(29);
/// The most steps a scenario may have once repeats are expanded.
pub const MAX_STEPS: usize = 20_000;

/// A problem with a scenario file, located.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScenarioError {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Someone the system may notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    User,
    EmergencyContacts,
    Guest,
    Monitoring,
}

/// A command the system itself must have sent (not one the scenario sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCommand {
    pub device: String,
    pub command: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub parameters: Map<String, Value>,
}

/// A device state the home must end in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedState {
    pub device: String,
    pub state: Map<String, Value>,
}

/// One item of `expected_agent_behavior`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expectation {
    ShouldAlert(bool),
    ShouldSuppressAlert(bool),
    ShouldNotifyMonitoring(bool),
    ShouldNotify(Vec<Party>),
    ShouldDocumentIncident(bool),
    Commands(Vec<ExpectedCommand>),
    Mode(String),
    AutomationCreated(bool),
    Prediction(String),
    AnomalyDetected(bool),
    AgentReplyMentions(Vec<String>),
    DeviceState(ExpectedState),
}

/// How the home stands when the timeline starts: the set-up a real home
/// would have (undone after the run).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Setup {
    /// Armed in this arm mode, the exit delay already over.
    pub alarm: Option<ArmMode>,
    /// The roles whose sensor is armed at night.
    pub armed_at_night: Vec<usize>,
    /// Pets registered when the home has none of that name.
    pub pets: Vec<NewPet>,
    /// Emergency contacts added when the home has none of that name.
    pub contacts: Vec<NewContact>,
    /// The wellness check, set so for the run.
    pub wellness: Option<homeguard_domain::wellness::WellnessInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSetup {
    #[serde(default)]
    alarm: Option<String>,
    #[serde(default)]
    armed_at_night: Vec<String>,
    #[serde(default)]
    pets: Vec<RawPet>,
    #[serde(default)]
    contacts: Vec<NewContact>,
    #[serde(default)]
    wellness: Option<homeguard_domain::wellness::WellnessInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPet {
    name: String,
    kind: PetKind,
    size: PetSize,
}

/// A role the scenario's steps name, to be filled by one of the user's devices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Role {
    pub name: String,
    pub device_type: DeviceType,
    /// Lower-case words looked for in a device's name or zone.
    pub matches: Vec<String>,
    /// The name a created device gets.
    pub create_name: String,
    pub zone: String,
    pub create: bool,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    Event { event_type: EventType, payload: Map<String, Value> },
    Heartbeat { payload: Map<String, Value> },
    Command { command: String, parameters: Map<String, Value> },
    Chat { message: String },
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Offset from the start of the timeline.
    #[serde(serialize_with = "ser_duration")]
    pub at: Duration,
    /// The role's index in [`Scenario::roles`] (none for chat).
    pub role: Option<usize>,
    pub action: Action,
    /// Where the step is written, for reports.
    pub line: u64,
}

fn ser_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.num_milliseconds() as f64 / 1000.0)
}

/// A loaded, checked scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub duration: Duration,
    pub speed: f64,
    pub start_at: Option<NaiveTime>,
    pub history: Duration,
    pub setup: Setup,
    pub roles: Vec<Role>,
    /// In time order (a stable sort of the file's order).
    pub steps: Vec<Step>,
    pub expectations: Vec<(Expectation, u64)>,
    pub file: String,
}

impl Scenario {
    pub fn role(&self, name: &str) -> Option<usize> {
        self.roles.iter().position(|r| r.name == name)
    }

    /// Whether the run moves the shared clock (faster time or a time of day).
    pub fn moves_clock(&self, speed: f64) -> bool {
        speed != 1.0 || self.start_at.is_some()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    description: String,
    duration: Spanned<String>,
    #[serde(default)]
    speed: Option<Spanned<f64>>,
    #[serde(default)]
    start_at: Option<Spanned<String>>,
    #[serde(default)]
    history: Option<Spanned<String>>,
    #[serde(default)]
    setup: Option<Spanned<RawSetup>>,
    #[serde(default)]
    devices: IndexMap<String, Spanned<RawRole>>,
    events: Vec<Spanned<RawStep>>,
    #[serde(default)]
    expected_agent_behavior: Vec<Spanned<Expectation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    #[serde(rename = "type")]
    device_type: String,
    #[serde(default)]
    r#match: Option<Vec<String>>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    zone: Option<String>,
    #[serde(default)]
    create: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    at: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    device: Option<String>,
    #[serde(default)]
    payload: Option<Map<String, Value>>,
    #[serde(default)]
    repeat: Option<Repeat>,
    #[serde(default)]
    command: Option<String>,
    #[serde(default)]
    parameters: Option<Map<String, Value>>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Repeat {
    every: String,
    count: u32,
}

/// Parses `500ms`, `30s`, `5m`, `2h`, `1d` and sums of them (`1h30m`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("'{text}' is not a duration (write e.g. 500ms, 30s, 5m, 2h, 1d or 1h30m)");
    let s = text.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::zero();
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Duration::try_milliseconds(n),
            "s" => Duration::try_seconds(n),
            "m" => Duration::try_minutes(n),
            "h" => Duration::try_hours(n),
            "d" => Duration::try_days(n),
            _ => None,
        }
        .ok_or_else(bad)?;
        total = total.checked_add(&part).ok_or_else(bad)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// Formats a duration the way scenario files write them.
pub fn format_duration(d: Duration) -> String {
    let ms = d.num_milliseconds();
    if ms % 1000 != 0 {
        return format!("{:.1}s", ms as f64 / 1000.0);
    }
    let mut secs = ms / 1000;
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if secs > 0 || out.is_empty() {
        out.push_str(&format!("{secs}s"));
    }
    out
}

struct Ctx<'a> {
    file: &'a str,
    errors: Vec<ScenarioError>,
}

impl Ctx<'_> {
    fn err(&mut self, line: u64, column: u64, message: impl Into<String>) {
        self.errors.push(ScenarioError { file: self.file.to_owned(), line, column, message: message.into() });
    }
}

/// Loads one scenario from its YAML text; `file` names it in errors.
/// Every problem found is reported, not only the first.
pub fn parse(file: &str, text: &str) -> Result<Scenario, Vec<ScenarioError>> {
    let raw: RawScenario = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
        let message = e.without_snippet().to_string();
        vec![ScenarioError { file: file.to_owned(), line, column, message }]
    })?;
    let mut cx = Ctx { file, errors: vec![] };
    let scenario = check(&mut cx, raw);
    if cx.errors.is_empty() { Ok(scenario) } else { Err(cx.errors) }
}

fn at_of<T>(s: &Spanned<T>) -> (u64, u64) {
    (s.referenced.line(), s.referenced.column())
}

fn check(cx: &mut Ctx<'_>, raw: RawScenario) -> Scenario {
    let stem = Path::new(cx.file).file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
    let (l, c) = at_of(&raw.name);
    let name = raw.name.value.trim().to_owned();
    if name.is_empty() || !name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_') {
        cx.err(l, c, format!("name '{name}' must be lower-case letters, digits and underscores"));
    } else if cx.file.ends_with(".yaml") && stem != name {
        cx.err(l, c, format!("name '{name}' must match the file name '{stem}.yaml'"));
    }

    let (l, c) = at_of(&raw.duration);
    let duration = match parse_duration(&raw.duration.value) {
        Ok(d) if d <= Duration::zero() => {
            cx.err(l, c, "duration must be longer than zero");
            Duration::seconds(1)
        }
        Ok(d) if d > MAX_DURATION => {
            cx.err(l, c, format!("duration may be at most {}", format_duration(MAX_DURATION)));
            MAX_DURATION
        }
        Ok(d) => d,
        Err(e) => {
            cx.err(l, c, format!("duration: {e}"));
            Duration::seconds(1)
        }
    };

    let speed = match &raw.speed {
        None => 1.0,
        Some(s) if s.value.is_finite() && s.value > 0.0 && s.value <= homeguard_ports::clock::MAX_SPEED => s.value,
        Some(s) => {
            let (l, c) = at_of(s);
            cx.err(l, c, format!("speed must be above 0 and at most {}", homeguard_ports::clock::MAX_SPEED));
            1.0
        }
    };

    let start_at = raw.start_at.as_ref().and_then(|s| match NaiveTime::parse_from_str(s.value.trim(), "%H:%M") {
        Ok(t) => Some(t),
        Err(_) => {
            let (l, c) = at_of(s);
            cx.err(l, c, format!("start_at '{}' must be a time of day as HH:MM", s.value));
            None
        }
    });

    let history = match &raw.history {
        None => Duration::zero(),
        Some(h) => {
            let (l, c) = at_of(h);
            match parse_duration(&h.value) {
                Ok(d) if d > MAX_HISTORY => {
                    cx.err(l, c, format!("history may be at most {}", format_duration(MAX_HISTORY)));
                    Duration::zero()
                }
                Ok(d) if d >= duration => {
                    cx.err(l, c, "history must be shorter than the duration");
                    Duration::zero()
                }
                Ok(d) => d,
                Err(e) => {
                    cx.err(l, c, format!("history: {e}"));
                    Duration::zero()
                }
            }
        }
    };

    let roles = check_roles(cx, &raw.devices);
    let setup = raw.setup.as_ref().map(|s| check_setup(cx, s, &roles)).unwrap_or_default();
    let steps = check_steps(cx, &raw.events, &roles, duration);
    let expectations = check_expectations(cx, raw.expected_agent_behavior, &roles);

    Scenario {
        name,
        description: raw.description,
        duration,
        speed,
        start_at,
        history,
        setup,
        roles,
        steps,
        expectations,
        file: cx.file.to_owned(),
    }
}

fn check_setup(cx: &mut Ctx<'_>, raw: &Spanned<RawSetup>, roles: &[Role]) -> Setup {
    let (l, c) = at_of(raw);
    let raw = &raw.value;
    let alarm = raw.alarm.as_deref().and_then(|a| match ArmMode::parse(a) {
        Ok(m) => Some(m),
        Err(_) => {
            cx.err(l, c, format!("setup.alarm: unknown arm mode '{a}' (away, home, night, vacation, custom)"));
            None
        }
    });
    let mut armed_at_night = vec![];
    for name in &raw.armed_at_night {
        match roles.iter().position(|r| &r.name == name) {
            Some(i) if roles[i].device_type == DeviceType::Motion => armed_at_night.push(i),
            Some(_) => cx.err(l, c, format!("setup.armed_at_night: '{name}' is not a motion sensor")),
            None => cx.err(l, c, format!("setup.armed_at_night: '{name}' is not one of the roles under devices:")),
        }
    }
    let mut pets = vec![];
    for p in &raw.pets {
        let pet = NewPet { name: p.name.clone(), kind: p.kind, size: p.size };
        match pet.clone().check(uuid::Uuid::nil(), chrono::DateTime::UNIX_EPOCH) {
            Ok(_) => pets.push(pet),
            Err(e) => cx.err(l, c, format!("setup.pets: {}", e.message)),
        }
    }
    let mut contacts = vec![];
    for contact in &raw.contacts {
        match contact.clone().check(uuid::Uuid::nil(), chrono::DateTime::UNIX_EPOCH) {
            Ok(_) => contacts.push(contact.clone()),
            Err(e) => cx.err(l, c, format!("setup.contacts: {}", e.message)),
        }
    }
    let wellness = raw.wellness.clone().filter(|w| {
        match homeguard_domain::wellness::WellnessCheck::new(w.clone(), chrono::DateTime::UNIX_EPOCH) {
            Ok(_) => true,
            Err(e) => {
                let field = e.details.get("field").and_then(|f| f.as_str()).unwrap_or_default().to_owned();
                cx.err(l, c, format!("setup.wellness.{field}: {}", e.message));
                false
            }
        }
    });
    Setup { alarm, armed_at_night, pets, contacts, wellness }
}

fn check_roles(cx: &mut Ctx<'_>, devices: &IndexMap<String, Spanned<RawRole>>) -> Vec<Role> {
    let mut roles = vec![];
    for (name, raw) in devices {
        let (l, c) = at_of(raw);
        let r = &raw.value;
        let Ok(device_type) = DeviceType::parse(&r.device_type) else {
            cx.err(
                l,
                c,
                format!(
                    "role '{name}': unknown device type '{}' (lock, motion, thermostat, door, camera, glass_break, smoke)",
                    r.device_type
                ),
            );
            continue;
        };
        let matches: Vec<String> = match &r.r#match {
            Some(words) => words.iter().map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()).collect(),
            None => name.split('_').map(str::to_owned).filter(|w| w.len() > 2).collect(),
        };
        let create_name = r.name.clone().unwrap_or_else(|| {
            name.split('_')
                .map(|w| {
                    let mut ch = w.chars();
                    ch.next().map(|f| f.to_uppercase().chain(ch).collect::<String>()).unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" ")
        });
        let zone = r.zone.clone().unwrap_or_else(|| create_name.clone());
        roles.push(Role { name: name.clone(), device_type, matches, create_name, zone, create: r.create });
    }
    roles
}

fn check_steps(cx: &mut Ctx<'_>, events: &[Spanned<RawStep>], roles: &[Role], duration: Duration) -> Vec<Step> {
    let mut steps = vec![];
    if events.is_empty() {
        cx.err(1, 1, "events: a scenario needs at least one step");
    }
    let mut previous: Vec<usize> = vec![];
    for raw in events {
        let (line, col) = at_of(raw);
        let s = &raw.value;
        let at = match parse_duration(&s.at) {
            Ok(a) if a > duration => {
                cx.err(
                    line,
                    col,
                    format!("at {} is after the end of the scenario ({})", s.at, format_duration(duration)),
                );
                continue;
            }
            Ok(a) => a,
            Err(e) => {
                cx.err(line, col, format!("at: {e}"));
                continue;
            }
        };
        let kind = s.kind.trim();
        let needs_device = kind != "chat";
        let role = if needs_device {
            match &s.device {
                Some(d) => match roles.iter().position(|r| r.name == *d) {
                    Some(i) => Some(i),
                    None => {
                        cx.err(line, col, format!("device '{d}' is not one of the roles under devices:"));
                        continue;
                    }
                },
                // The most recent step's device that can do this.
                None => match previous.iter().rev().copied().find(|&i| step_fits(kind, roles[i].device_type)) {
                    Some(i) => Some(i),
                    None => {
                        cx.err(
                            line,
                            col,
                            format!("type {kind}: name the device (no earlier step's device can do this)"),
                        );
                        continue;
                    }
                },
            }
        } else {
            None
        };
        let payload = s.payload.clone().unwrap_or_default();
        let action = match kind {
            "chat" => match &s.message {
                Some(m) if !m.trim().is_empty() => Action::Chat { message: m.trim().to_owned() },
                _ => {
                    cx.err(line, col, "a chat step needs a message");
                    continue;
                }
            },
            "heartbeat" => Action::Heartbeat { payload },
            "command" => {
                let Some(command) = s.command.clone() else {
                    cx.err(line, col, "a command step needs a command");
                    continue;
                };
                let parameters = s.parameters.clone().unwrap_or_default();
                let device_type = roles[role.unwrap_or_default()].device_type;
                if let Err(e) = DeviceCommand::parse(device_type, &command, &parameters) {
                    cx.err(line, col, format!("command {command}: {}", e.message));
                    continue;
                }
                Action::Command { command, parameters }
            }
            other => {
                let Ok(event_type) = EventType::parse(other) else {
                    cx.err(line, col, format!("type '{other}' is not an event type, heartbeat, command or chat"));
                    continue;
                };
                let device_type = roles[role.unwrap_or_default()].device_type;
                if !event_type.emitted_by(device_type) {
                    cx.err(line, col, format!("a {device_type} device does not emit '{other}'"));
                    continue;
                }
                Action::Event { event_type, payload }
            }
        };
        if let Some(i) = role {
            previous.push(i);
        }
        let (every, count) = match &s.repeat {
            None => (Duration::zero(), 1),
            Some(r) => match parse_duration(&r.every) {
                Ok(e) if e > Duration::zero() && r.count >= 1 => (e, r.count),
                Ok(_) => {
                    cx.err(line, col, "repeat needs every > 0 and count >= 1");
                    continue;
                }
                Err(e) => {
                    cx.err(line, col, format!("repeat.every: {e}"));
                    continue;
                }
            },
        };
        let last = at + every * (count as i32 - 1);
        if last > duration {
            cx.err(
                line,
                col,
                format!("the last repeat, at {}, is after the end of the scenario", format_duration(last)),
            );
            continue;
        }
        if steps.len() + count as usize > MAX_STEPS {
            cx.err(line, col, format!("a scenario may have at most {MAX_STEPS} steps, repeats included"));
            break;
        }
        for k in 0..count {
            steps.push(Step { at: at + every * k as i32, role, action: action.clone(), line });
        }
    }
    steps.sort_by_key(|s| s.at);
    steps
}

/// Whether a step of this kind can be sent to a device of this type.
fn step_fits(kind: &str, device_type: DeviceType) -> bool {
    match kind {
        "heartbeat" => true,
        "command" => !DeviceCommand::accepted_by(device_type).is_empty(),
        other => EventType::parse(other).is_ok_and(|t| t.emitted_by(device_type)),
    }
}

fn check_expectations(cx: &mut Ctx<'_>, raw: Vec<Spanned<Expectation>>, roles: &[Role]) -> Vec<(Expectation, u64)> {
    let mut out = vec![];
    for e in raw {
        let (l, c) = at_of(&e);
        let role = |cx: &mut Ctx<'_>, name: &str| -> Option<DeviceType> {
            let found = roles.iter().find(|r| r.name == name).map(|r| r.device_type);
            if found.is_none() {
                cx.err(l, c, format!("device '{name}' is not one of the roles under devices:"));
            }
            found
        };
        match &e.value {
            Expectation::Commands(list) => {
                for cmd in list {
                    if let Some(t) = role(cx, &cmd.device)
                        && !DeviceCommand::accepted_by(t).contains(&cmd.command.as_str())
                    {
                        cx.err(l, c, format!("a {t} device does not take the command '{}'", cmd.command));
                    }
                }
            }
            Expectation::DeviceState(s) => {
                role(cx, &s.device);
                if s.state.is_empty() {
                    cx.err(l, c, "device_state needs at least one field under state:");
                }
            }
            Expectation::Mode(m) => {
                if let Err(err) = HomeMode::parse(m) {
                    cx.err(l, c, err.message);
                }
            }
            Expectation::AgentReplyMentions(words) if words.iter().any(|w| w.trim().is_empty()) => {
                cx.err(l, c, "agent_reply_mentions: words must not be empty");
            }
            _ => {}
        }
        out.push((e.value, l));
    }
    out
}

/// The scenarios shipped with HomeGuard, compiled in so that every binary
/// has them wherever it runs.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("vacation_mode.yaml", include_str!("../../../scenarios/vacation_mode.yaml")),
    ("break_in.yaml", include_str!("../../../scenarios/break_in.yaml")),
    ("false_alarm_pet.yaml", include_str!("../../../scenarios/false_alarm_pet.yaml")),
    ("guest_arrival.yaml", include_str!("../../../scenarios/guest_arrival.yaml")),
    ("low_battery.yaml", include_str!("../../../scenarios/low_battery.yaml")),
    ("unusual_pattern.yaml", include_str!("../../../scenarios/unusual_pattern.yaml")),
    ("party_mode.yaml", include_str!("../../../scenarios/party_mode.yaml")),
    ("fire_emergency.yaml", include_str!("../../../scenarios/fire_emergency.yaml")),
    ("package_delivery.yaml", include_str!("../../../scenarios/package_delivery.yaml")),
    ("wellness_check.yaml", include_str!("../../../scenarios/wellness_check.yaml")),
    ("energy_insight.yaml", include_str!("../../../scenarios/energy_insight.yaml")),
    ("day_in_life.yaml", include_str!("../../../scenarios/day_in_life.yaml")),
];

/// Every scenario available, and the files that failed to load.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub scenarios: IndexMap<String, Scenario>,
    pub errors: Vec<ScenarioError>,
}

impl Library {
    /// The built-in scenarios, then the `*.yaml` files of `dir` (when given),
    /// which replace a built-in one of the same name.
    pub fn load(dir: Option<&Path>) -> Self {
        let mut lib = Self::default();
        for (file, text) in BUILT_IN {
            lib.add(&format!("scenarios/{file}"), text);
        }
        if let Some(dir) = dir {
            let mut files: Vec<_> = match std::fs::read_dir(dir) {
                Ok(entries) => entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                    .collect(),
                Err(e) => {
                    lib.errors.push(ScenarioError {
                        file: dir.display().to_string(),
                        line: 0,
                        column: 0,
                        message: format!("cannot read the folder: {e}"),
                    });
                    vec![]
                }
            };
            files.sort();
            for path in files {
                let name = path.display().to_string();
                match std::fs::read_to_string(&path) {
                    Ok(text) => lib.add(&name, &text),
                    Err(e) => lib.errors.push(ScenarioError {
                        file: name,
                        line: 0,
                        column: 0,
                        message: format!("cannot read the file: {e}"),
                    }),
                }
            }
        }
        lib
    }

    fn add(&mut self, file: &str, text: &str) {
        match parse(file, text) {
            Ok(s) => {
                self.scenarios.insert(s.name.clone(), s);
            }
            Err(errors) => self.errors.extend(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_format() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::seconds(30));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::milliseconds(500));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("2d").unwrap(), Duration::days(2));
        for bad in ["", "s", "10", "10x", "1.5h", "-3s", "h1"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_duration(Duration::minutes(90)), "1h30m");
        assert_eq!(format_duration(Duration::seconds(5)), "5s");
        assert_eq!(format_duration(Duration::zero()), "0s");
    }

    #[test]
    fn every_built_in_scenario_loads() {
        let lib = Library::load(None);
        assert!(lib.errors.is_empty(), "{:#?}", lib.errors);
        assert_eq!(lib.scenarios.len(), 12);
        for s in lib.scenarios.values() {
            assert!(!s.steps.is_empty() && !s.expectations.is_empty(), "{}", s.name);
            assert!(s.steps.windows(2).all(|w| w[0].at <= w[1].at), "{} steps in time order", s.name);
        }
        let day = &lib.scenarios["day_in_life"];
        assert_eq!(day.duration, Duration::hours(24));
        assert_eq!(day.speed, 288.0, "a day in five minutes");
    }

    const GOOD: &str = "name: demo
description: d
duration: 10s
devices:
  door:
    type: door
events:
  - at: 0s
    type: door_open
    device: door
  - at: 2s
    type: door_closed
expected_agent_behavior:
  - should_alert: false
  - device_state: { device: door, state: { open: false } }
";

    #[test]
    fn a_step_without_a_device_takes_the_previous_one() {
        let s = parse("demo.yaml", GOOD).unwrap();
        assert_eq!(s.steps[1].role, Some(0));
        assert_eq!(s.expectations.len(), 2);
        assert_eq!(s.expectations[1].1, 15, "expectations keep their line");
    }

    fn first_error(text: &str) -> ScenarioError {
        parse("scenarios/demo.yaml", text).unwrap_err().remove(0)
    }

    #[test]
    fn mistakes_are_reported_with_file_line_and_problem() {
        let e = first_error(&GOOD.replace("type: door_closed", "type: unlocked\n    device: door"));
        assert_eq!((e.file.as_str(), e.line), ("scenarios/demo.yaml", 11));
        assert!(e.message.contains("door device does not emit 'unlocked'"), "{e}");

        let e = first_error(&GOOD.replace("type: door_closed", "type: unlocked"));
        assert!(e.message.contains("name the device"), "{e}");

        let e = first_error(&GOOD.replace("device: door\n  - at: 2s", "device: window\n  - at: 2s"));
        assert_eq!(e.line, 8);
        assert!(e.message.contains("'window' is not one of the roles"), "{e}");

        let e = first_error(&GOOD.replace("at: 2s", "at: 20s"));
        assert_eq!(e.line, 11);
        assert!(e.message.contains("after the end"), "{e}");

        let e = first_error(&GOOD.replace("duration: 10s", "duration: ten seconds"));
        assert_eq!(e.line, 3);

        let e = first_error(&GOOD.replace("should_alert: false", "should_alarm: false"));
        assert_eq!(e.line, 14, "{e}");
        assert!(e.message.contains("should_alarm"), "{e}");

        let e = first_error(&GOOD.replace("    type: door\n", "    type: window\n"));
        assert_eq!(e.line, 6, "{e}");
        assert!(e.message.contains("unknown device type 'window'"), "{e}");

        let e = first_error("name: demo\ndescription: [unclosed\n");
        assert_eq!(e.file, "scenarios/demo.yaml");
        assert!(e.line >= 2, "{e}");

        let e = first_error(&GOOD.replace("name: demo", "name: other"));
        assert!(e.message.contains("must match the file name"), "{e}");
    }

    #[test]
    fn a_setup_is_checked_against_the_roles() {
        let lib = Library::load(None);
        let pet = &lib.scenarios["false_alarm_pet"].setup;
        assert_eq!(pet.alarm, Some(ArmMode::Night));
        assert_eq!((pet.armed_at_night.len(), pet.pets[0].name.as_str()), (1, "Milo"));
        let with =
            |setup: &str| GOOD.replace("devices:\n", &format!("setup:\n{setup}devices:\n  hall:\n    type: motion\n"));
        let s = parse("demo.yaml", &with("  alarm: away\n  armed_at_night: [hall]\n")).unwrap();
        assert_eq!((s.setup.alarm, s.setup.armed_at_night.clone()), (Some(ArmMode::Away), vec![0]));
        for (setup, problem) in [
            ("  alarm: asleep\n", "unknown arm mode 'asleep'"),
            ("  armed_at_night: [door]\n", "'door' is not a motion sensor"),
            ("  armed_at_night: [attic]\n", "'attic' is not one of the roles"),
            ("  pets: [{ name: '', kind: cat, size: small }]\n", "setup.pets"),
            ("  contacts: [{ name: Ana }]\n", "give a phone number or an email"),
        ] {
            let e = first_error(&with(setup));
            assert!(e.message.contains(problem), "{setup}: {e}");
            assert_eq!(e.line, 5, "{e}");
        }
        assert!(parse("demo.yaml", &with("  pets: [{ name: Rex, kind: dragon, size: small }]\n")).is_err());
    }

    #[test]
    fn repeats_expand_and_must_fit() {
        let text =
            GOOD.replace("    type: door_closed\n", "    type: door_closed\n    repeat: { every: 2s, count: 5 }\n");
        let s = parse("demo.yaml", &text).unwrap();
        assert_eq!(s.steps.len(), 6);
        assert_eq!(s.steps.last().unwrap().at, Duration::seconds(10));
        let text =
            GOOD.replace("    type: door_closed\n", "    type: door_closed\n    repeat: { every: 2s, count: 6 }\n");
        assert!(first_error(&text).message.contains("last repeat"));
    }
}
