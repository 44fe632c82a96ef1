//! Runs scenarios: maps roles onto a home's devices, replays the timeline
//! through ingest with precise timing on the simulated clock, and keeps each
//! run's progress and verdict.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use homeguard_domain::{Device, DeviceDraft, Location};
use homeguard_runtime::{Caller, Ctx, FnError};
use homeguard_usecases::commands::{self, CommandInput};
use homeguard_usecases::ingest::{self, IncomingEvent, IncomingHeartbeat, Outcome, Poster};
use indexmap::IndexMap;
use prometheus::IntCounterVec;
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::watch;
use tokio::time::Instant;
use uuid::Uuid;

use crate::model::{Action, Library, Role, Scenario, format_duration};
use crate::verify::{self, Verdict};

/// Who scenario runs are for when a start names nobody.
pub const DEFAULT_USER: &str = "john@demo.com";
const PRODUCER: &str = "scenario-engine";
/// How long a finished run waits for its events to reach the stores.
const SETTLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);
/// Extra time after the events landed for handlers that react to them.
const REACTION_GRACE: std::time::Duration = std::time::Duration::from_millis(300);

/// The devices scenarios are driving right now; the simulator leaves them alone.
#[derive(Debug, Default)]
pub struct HeldDevices(RwLock<HashSet<Uuid>>);

impl HeldDevices {
    pub fn contains(&self, id: Uuid) -> bool {
        self.0.read().unwrap_or_else(|p| p.into_inner()).contains(&id)
    }

    fn hold(&self, ids: &[Uuid]) {
        self.0.write().unwrap_or_else(|p| p.into_inner()).extend(ids.iter().copied());
    }

    fn release(&self, ids: &[Uuid]) {
        let mut set = self.0.write().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            set.remove(id);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Verifying,
    Completed,
    Stopped,
    Failed,
}

/// The device a role was given.
#[derive(Debug, Clone, Serialize)]
pub struct Assigned {
    pub device_id: Uuid,
    pub name: String,
    pub created: bool,
}

/// A step that did not do what it says, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub line: u64,
    pub at: String,
    pub reason: String,
}

/// Where a run stands (the answer of `GET /demo/scenarios/{name}/status`).
#[derive(Debug, Clone, Serialize)]
pub struct RunStatus {
    pub scenario: String,
    pub run_id: Uuid,
    pub status: RunState,
    pub user: String,
    pub user_id: Uuid,
    pub speed: f64,
    /// The simulated time the timeline starts at (history included).
    pub timeline_start: DateTime<Utc>,
    pub elapsed_seconds: f64,
    pub duration_seconds: f64,
    /// "T+5s of 30s".
    pub progress: String,
    pub events_injected: u64,
    pub steps_done: usize,
    pub steps_total: usize,
    pub devices: IndexMap<String, Assigned>,
    pub skipped: Vec<Skipped>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// What a run records as it goes, for the verifier.
#[derive(Debug, Default, Clone)]
pub struct Trace {
    pub event_ids: Vec<Uuid>,
    pub own_commands: HashSet<Uuid>,
    pub chats_undelivered: usize,
    pub rejected: usize,
}

struct Run {
    status: Arc<Mutex<RunStatus>>,
    started: Instant,
    history: Duration,
    duration: Duration,
    moves_clock: bool,
    stop: watch::Sender<bool>,
    done: watch::Receiver<bool>,
}

impl Run {
    fn is_live(&self) -> bool {
        !*self.done.borrow()
    }
}

/// How a run is started.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartInput {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub speed: Option<f64>,
}

struct Metrics {
    executions: IntCounterVec,
    injected: IntCounterVec,
}

/// The scenario engine of one process.
pub struct Engine {
    ctx: Arc<Ctx>,
    library: Library,
    runs: Mutex<HashMap<String, Run>>,
    held: Arc<HeldDevices>,
    metrics: Metrics,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("scenarios", &self.library.scenarios.len()).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn not_found(name: &str) -> FnError {
    FnError::new(homeguard_domain::ErrorCode::NotFound, format!("No scenario named '{name}'"))
}

fn conflict(message: impl Into<String>) -> FnError {
    FnError::new(homeguard_domain::ErrorCode::Conflict, message)
}

impl Engine {
    /// An engine over `library`; the devices its runs drive are marked in
    /// `held` (the simulator leaves those alone).
    pub fn new(ctx: Arc<Ctx>, library: Library, held: Arc<HeldDevices>) -> Arc<Self> {
        let executions = IntCounterVec::new(
            prometheus::Opts::new("scenario_executions_total", "Scenario runs, by how they ended"),
            &["scenario_name", "status"],
        )
        .expect("valid metric");
        let injected = IntCounterVec::new(
            prometheus::Opts::new("scenario_events_injected_total", "Events scenarios injected"),
            &["scenario_name"],
        )
        .expect("valid metric");
        // A second engine on the same registry (tests) keeps the first one's counters.
        let _ = ctx.metrics.registry().register(Box::new(executions.clone()));
        let _ = ctx.metrics.registry().register(Box::new(injected.clone()));
        Arc::new(Self { ctx, library, runs: Mutex::default(), held, metrics: Metrics { executions, injected } })
    }

    pub fn library(&self) -> &Library {
        &self.library
    }

    pub fn held(&self) -> Arc<HeldDevices> {
        self.held.clone()
    }

    pub fn scenario(&self, name: &str) -> Result<&Scenario, FnError> {
        self.library.scenarios.get(name).ok_or_else(|| not_found(name))
    }

    /// Whether a run of this scenario is under way.
    pub fn is_running(&self, name: &str) -> bool {
        lock(&self.runs).get(name).is_some_and(Run::is_live)
    }

    /// Whether a running scenario is steering the clock.
    pub fn clock_in_use(&self) -> Option<String> {
        lock(&self.runs).iter().find(|(_, r)| r.is_live() && r.moves_clock).map(|(n, _)| n.clone())
    }

    /// Starts a run; answers once the roles are filled and the first step is scheduled.
    pub async fn start(self: &Arc<Self>, name: &str, input: StartInput, actor: &Caller) -> Result<RunStatus, FnError> {
        let scenario = self.scenario(name)?.clone();
        let speed = input.speed.unwrap_or(scenario.speed);
        let max = homeguard_ports::clock::MAX_SPEED;
        if !(speed.is_finite() && speed > 0.0 && speed <= max) {
            return Err(FnError::invalid("speed", format!("must be above 0 and at most {max}")));
        }
        let email = homeguard_domain::user::normalize_email(input.user.as_deref().unwrap_or(DEFAULT_USER))?;
        let Some((user, _)) = self.ctx.users.find_by_email(&email).await? else {
            return Err(FnError::new(homeguard_domain::ErrorCode::UserNotFound, format!("No user with email {email}")));
        };
        let moves_clock = scenario.moves_clock(speed);
        {
            let runs = lock(&self.runs);
            if runs.get(name).is_some_and(Run::is_live) {
                return Err(conflict(format!("Scenario '{name}' is already running; stop it first")));
            }
            let live: Vec<&String> = runs.iter().filter(|(_, r)| r.is_live()).map(|(n, _)| n).collect();
            if let Some(other) = runs.iter().find(|(_, r)| r.is_live() && r.moves_clock).map(|(n, _)| n) {
                return Err(conflict(format!("Scenario '{other}' is running the simulated clock; stop it first")));
            }
            if moves_clock && let Some(other) = live.first() {
                return Err(conflict(format!(
                    "Scenario '{name}' runs the simulated clock (speed {speed}, or a time of day) and cannot run beside '{other}'; stop it first"
                )));
            }
        }
        let devices = self.assign(&scenario, user.id, actor).await?;

        let clock = &self.ctx.clock;
        if let Some(t) = scenario.start_at {
            let tz = self.ctx.homes.get(user.id).await?.map_or(chrono_tz::Tz::UTC, |h| h.tz());
            clock.advance(until_next(clock.now(), t, tz));
        }
        let applied = crate::setup::apply(&self.ctx, &scenario, user.id, &devices).await?;
        if speed != 1.0 {
            clock.set_speed(speed);
        }
        let timeline_start = clock.now() - scenario.history;
        let run_id = Uuid::now_v7();
        let status = Arc::new(Mutex::new(RunStatus {
            scenario: scenario.name.clone(),
            run_id,
            status: RunState::Running,
            user: email,
            user_id: user.id,
            speed,
            timeline_start,
            elapsed_seconds: scenario.history.num_milliseconds() as f64 / 1000.0,
            duration_seconds: scenario.duration.num_milliseconds() as f64 / 1000.0,
            progress: String::new(),
            events_injected: 0,
            steps_done: 0,
            steps_total: scenario.steps.len(),
            devices: devices.clone(),
            skipped: vec![],
            error: None,
            verdict: None,
        }));
        let ids: Vec<Uuid> = devices.values().map(|a| a.device_id).collect();
        self.held.hold(&ids);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (done_tx, done_rx) = watch::channel(false);
        let started = Instant::now();
        let run = Run {
            status: status.clone(),
            started,
            history: scenario.history,
            duration: scenario.duration,
            moves_clock,
            stop: stop_tx,
            done: done_rx,
        };
        lock(&self.runs).insert(scenario.name.clone(), run);
        tracing::info!(scenario_name = %scenario.name, run_id = %run_id, user_id = %user.id, speed, "scenario started");

        let engine = self.clone();
        tokio::spawn(async move {
            let caller = Caller {
                user_id: user.id,
                role: user.role,
                session_id: Uuid::nil(),
                expires_at: DateTime::<Utc>::MAX_UTC,
            };
            let outcome = engine.play(&scenario, &status, &caller, started, stop_rx).await;
            if speed != 1.0 {
                engine.ctx.clock.set_speed(1.0);
            }
            engine.held.release(&ids);
            let (state, trace) = match outcome {
                Ok((stopped, trace)) => (if stopped { RunState::Stopped } else { RunState::Completed }, trace),
                Err((e, trace)) => {
                    lock(&status).error = Some(e.message.clone());
                    (RunState::Failed, trace)
                }
            };
            lock(&status).status = RunState::Verifying;
            engine.settle(&trace).await;
            let snapshot = lock(&status).clone();
            let verdict = verify::verify(&engine.ctx, &scenario, &snapshot, &trace).await;
            crate::setup::undo(&engine.ctx, snapshot.user_id, applied).await;
            let label = match state {
                RunState::Completed => "completed",
                RunState::Stopped => "stopped",
                _ => "failed",
            };
            engine.metrics.executions.with_label_values(&[scenario.name.as_str(), label]).inc();
            tracing::info!(
                scenario_name = %scenario.name,
                run_id = %run_id,
                status = label,
                passed = verdict.passed,
                "scenario finished"
            );
            {
                let mut s = lock(&status);
                s.status = state;
                s.verdict = Some(verdict);
            }
            let _ = done_tx.send(true);
        });
        Ok(self.status(name)?.expect("the run was just recorded"))
    }

    /// Where the latest run of a scenario stands; `None` when it never ran.
    pub fn status(&self, name: &str) -> Result<Option<RunStatus>, FnError> {
        self.scenario(name)?;
        let runs = lock(&self.runs);
        let Some(run) = runs.get(name) else { return Ok(None) };
        let mut s = lock(&run.status).clone();
        let elapsed = if s.status == RunState::Running {
            let real = Duration::from_std(run.started.elapsed()).unwrap_or_default();
            let sim = Duration::milliseconds((real.num_milliseconds() as f64 * s.speed) as i64);
            (run.history + sim).min(run.duration)
        } else {
            Duration::milliseconds((s.elapsed_seconds * 1000.0) as i64)
        };
        s.elapsed_seconds = elapsed.num_milliseconds() as f64 / 1000.0;
        s.progress = format!("T+{} of {}", format_duration(elapsed), format_duration(run.duration));
        Ok(Some(s))
    }

    /// Stops a running scenario; answers once it has stopped and been verified.
    pub async fn stop(&self, name: &str) -> Result<RunStatus, FnError> {
        self.scenario(name)?;
        let mut done = {
            let runs = lock(&self.runs);
            match runs.get(name) {
                Some(r) if r.is_live() => {
                    let _ = r.stop.send(true);
                    r.done.clone()
                }
                _ => return Err(conflict(format!("Scenario '{name}' is not running"))),
            }
        };
        let _ = done.wait_for(|d| *d).await;
        Ok(self.status(name)?.expect("a stopped run is recorded"))
    }

    /// Waits until the latest run of `name` has finished and been verified.
    pub async fn wait(&self, name: &str) -> Result<RunStatus, FnError> {
        let done = lock(&self.runs).get(name).map(|r| r.done.clone());
        if let Some(mut done) = done {
            let _ = done.wait_for(|d| *d).await;
        }
        self.status(name)?.ok_or_else(|| conflict(format!("Scenario '{name}' has not run")))
    }

    /// Fills each role with one of the user's devices: one whose name or
    /// zone has a role's word first, then any device of the type; creates a
    /// device only where the role allows it.
    async fn assign(
        &self,
        scenario: &Scenario,
        user_id: Uuid,
        actor: &Caller,
    ) -> Result<IndexMap<String, Assigned>, FnError> {
        let devices = self.ctx.devices.list_for_user(user_id).await?;
        let (picks, missing) = pick_devices(&scenario.roles, &devices);
        let mut out = IndexMap::new();
        for (i, role) in scenario.roles.iter().enumerate() {
            if let Some(d) = picks[i] {
                out.insert(
                    role.name.clone(),
                    Assigned { device_id: d.device_id, name: d.name.clone(), created: false },
                );
                continue;
            }
            debug_assert!(missing.contains(&i));
            if !role.create {
                return Err(conflict(format!(
                    "This home has no {} device for the role '{}' of scenario '{}', and the scenario does not create one",
                    role.device_type, role.name, scenario.name
                ))
                .with_details(json!({ "role": role.name, "device_type": role.device_type.as_str() })));
            }
            let draft = DeviceDraft {
                name: role.create_name.clone(),
                device_type: role.device_type.as_str().to_owned(),
                model: "HomeGuard Simulated Device".into(),
                firmware_version: Some("1.0.0".into()),
                location: Location { zone: role.zone.clone(), floor: 1 },
                config: None,
                user_id: Some(user_id),
            };
            let created = homeguard_usecases::devices::create(&*self.ctx, actor, draft).await?;
            tracing::info!(scenario_name = %scenario.name, role = %role.name, device_id = %created.view.device.device_id, "device created for a scenario role");
            out.insert(
                role.name.clone(),
                Assigned { device_id: created.view.device.device_id, name: role.create_name.clone(), created: true },
            );
        }
        Ok(out)
    }

    /// Plays the timeline; `Ok(true)` when stopped early.
    async fn play(
        &self,
        scenario: &Scenario,
        status: &Mutex<RunStatus>,
        user: &Caller,
        started: Instant,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(bool, Trace), (FnError, Trace)> {
        let (run_id, timeline_start, speed, devices) = {
            let s = lock(status);
            (s.run_id, s.timeline_start, s.speed, s.devices.clone())
        };
        let real_offset = |at: Duration| {
            let live = (at - scenario.history).max(Duration::zero());
            std::time::Duration::from_secs_f64(live.num_milliseconds() as f64 / 1000.0 / speed)
        };
        let device_of = |i: Option<usize>| i.map(|i| devices[i].device_id);
        let mut trace = Trace::default();
        let mut next = 0;
        let steps = &scenario.steps;
        loop {
            let due = if next < steps.len() {
                started + real_offset(steps[next].at)
            } else {
                started + real_offset(scenario.duration)
            };
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = stop.wait_for(|s| *s) => {
                    self.finish_clock(status, started, scenario, true);
                    return Ok((true, trace));
                }
            }
            if next >= steps.len() {
                break;
            }
            let now = Instant::now();
            let mut end = next;
            while end < steps.len() && started + real_offset(steps[end].at) <= now {
                end += 1;
            }
            let group = &steps[next..end];
            let mut events = vec![];
            let mut heartbeats = vec![];
            for step in group {
                let at = timeline_start + step.at;
                match &step.action {
                    Action::Event { event_type, payload } => {
                        let id = Uuid::now_v7();
                        events.push((
                            step,
                            Some(id),
                            json!({
                                "event_id": id,
                                "device_id": device_of(step.role),
                                "event_type": event_type.as_str(),
                                "payload": payload,
                                "timestamp": at,
                                "metadata": { "is_simulated": true, "scenario": scenario.name, "scenario_run": run_id },
                            }),
                        ));
                    }
                    Action::Heartbeat { payload } => {
                        let mut hb = Map::new();
                        hb.insert("device_id".into(), json!(device_of(step.role)));
                        hb.insert("timestamp".into(), json!(at));
                        for key in ["battery", "signal_strength", "firmware_version"] {
                            if let Some(v) = payload.get(key) {
                                hb.insert(key.into(), v.clone());
                            }
                        }
                        heartbeats.push((step, None, Value::Object(hb)));
                    }
                    Action::Command { command, parameters } => {
                        let input = CommandInput { command: command.clone(), parameters: parameters.clone() };
                        let device = device_of(step.role).unwrap_or_default();
                        match commands::send(&*self.ctx, user, device, input).await {
                            Ok(out) => {
                                trace.own_commands.insert(out.command_id);
                            }
                            Err(e) if e.is_platform() => return Err((e, trace)),
                            Err(e) => self.skip(status, step, format!("command refused: {}", e.message)),
                        }
                    }
                    Action::Chat { .. } => {
                        trace.chats_undelivered += 1;
                        self.skip(status, step, "not delivered: the agent (chat) is not part of this build yet".into());
                    }
                }
            }
            for (kind, items) in [(Kind::Event, &events), (Kind::Heartbeat, &heartbeats)] {
                if let Err(e) = self.send(kind, items, scenario, status, &mut trace).await {
                    return Err((e, trace));
                }
            }
            lock(status).steps_done = end;
            next = end;
        }
        self.finish_clock(status, started, scenario, false);
        Ok((false, trace))
    }

    /// Posts a group's events or heartbeats through ingest in batches and
    /// records what was stored and what was refused; only a failure of the
    /// platform itself (worth stopping the run for) is returned.
    async fn send(
        &self,
        kind: Kind,
        items: &[(&crate::model::Step, Option<Uuid>, Value)],
        scenario: &Scenario,
        status: &Mutex<RunStatus>,
        trace: &mut Trace,
    ) -> Result<(), FnError> {
        let poster = Poster::System(PRODUCER);
        for chunk in items.chunks(ingest::MAX_BATCH) {
            let values = chunk.iter().map(|(_, _, v)| v.clone());
            let sent = match kind {
                Kind::Event => {
                    let items = values.map(ingest::item::<IncomingEvent>).collect();
                    ingest::post_events(&*self.ctx, &poster, items).await
                }
                Kind::Heartbeat => {
                    let items = values.map(ingest::item::<IncomingHeartbeat>).collect();
                    ingest::post_heartbeats(&*self.ctx, &poster, items).await
                }
            };
            match sent {
                Ok(report) => {
                    for (outcome, (step, id, _)) in report.outcomes.iter().zip(chunk) {
                        if let Outcome::Rejected(e) = outcome {
                            trace.rejected += 1;
                            self.skip(status, step, format!("{} rejected by ingest: {}", kind.as_str(), e.message));
                        } else if let Some(id) = id {
                            trace.event_ids.push(*id);
                        }
                    }
                    if kind == Kind::Event {
                        let accepted = report.accepted() as u64;
                        self.metrics.injected.with_label_values(&[scenario.name.as_str()]).inc_by(accepted);
                        lock(status).events_injected += accepted;
                    }
                }
                Err(e) if e.is_platform() => return Err(e),
                Err(e) => {
                    trace.rejected += chunk.len();
                    for (step, _, _) in chunk {
                        self.skip(status, step, format!("{} rejected by ingest: {}", kind.as_str(), e.message));
                    }
                }
            }
        }
        Ok(())
    }

    /// Records where the timeline stood when the run ended.
    fn finish_clock(&self, status: &Mutex<RunStatus>, started: Instant, scenario: &Scenario, stopped: bool) {
        let mut s = lock(status);
        let elapsed = if stopped {
            let real = started.elapsed().as_secs_f64();
            (scenario.history.num_milliseconds() as f64 / 1000.0 + real * s.speed).min(s.duration_seconds)
        } else {
            s.duration_seconds
        };
        s.elapsed_seconds = elapsed;
    }

    fn skip(&self, status: &Mutex<RunStatus>, step: &crate::model::Step, reason: String) {
        tracing::warn!(line = step.line, reason = %reason, "scenario step skipped");
        lock(status).skipped.push(Skipped { line: step.line, at: format_duration(step.at), reason });
    }

    /// Waits (bounded) until every injected event is in the event store, then
    /// a little longer for the handlers that react to them.
    async fn settle(&self, trace: &Trace) {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        let mut pending: Vec<Uuid> = trace.event_ids.clone();
        while !pending.is_empty() && Instant::now() < deadline {
            let mut still = vec![];
            for id in pending {
                if !matches!(self.ctx.events.get(id).await, Ok(Some(_))) {
                    still.push(id);
                }
            }
            pending = still;
            if !pending.is_empty() {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        tokio::time::sleep(REACTION_GRACE).await;
    }
}

/// What a batch sent to ingest holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Event,
    Heartbeat,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Heartbeat => "heartbeat",
        }
    }
}

/// How far ahead the next `at` o'clock (UTC) is; a full day when it is now.
/// How long until the next `at` on a clock in `tz` (a time a DST change
/// skips is taken an hour later).
pub fn until_next(now: DateTime<Utc>, at: NaiveTime, tz: chrono_tz::Tz) -> Duration {
    let local = now.with_timezone(&tz).date_naive();
    let on = |day: chrono::NaiveDate| {
        let t = day.and_time(at);
        tz.from_local_datetime(&t)
            .earliest()
            .or_else(|| tz.from_local_datetime(&(t + Duration::hours(1))).earliest())
            .map(|d| d.with_timezone(&Utc))
    };
    let next = [local, local + Duration::days(1), local + Duration::days(2)]
        .into_iter()
        .filter_map(on)
        .find(|t| *t > now)
        .unwrap_or(now);
    next - now
}

fn words_match(role: &Role, device: &Device) -> bool {
    let hay = format!("{} {}", device.name, device.location.zone).to_lowercase();
    role.matches.iter().any(|w| hay.contains(w.as_str()))
}

/// Picks a distinct device for each role: first every role whose words
/// match a device (in file order), then the rest take any remaining device
/// of their type, unless they may create a better-fitting one.
pub fn pick_devices<'a>(roles: &[Role], devices: &'a [Device]) -> (Vec<Option<&'a Device>>, Vec<usize>) {
    let mut picks: Vec<Option<&Device>> = vec![None; roles.len()];
    let mut taken: HashSet<Uuid> = HashSet::new();
    for (i, role) in roles.iter().enumerate() {
        if let Some(d) = devices
            .iter()
            .find(|d| d.device_type == role.device_type && !taken.contains(&d.device_id) && words_match(role, d))
        {
            taken.insert(d.device_id);
            picks[i] = Some(d);
        }
    }
    let mut missing = vec![];
    for (i, role) in roles.iter().enumerate() {
        if picks[i].is_some() {
            continue;
        }
        let any = if role.create {
            None
        } else {
            devices.iter().find(|d| d.device_type == role.device_type && !taken.contains(&d.device_id))
        };
        match any {
            Some(d) => {
                taken.insert(d.device_id);
                picks[i] = Some(d);
            }
            None => missing.push(i),
        }
    }
    (picks, missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use homeguard_domain::seed;

    fn home(email: &str) -> Vec<Device> {
        let now = Utc::now();
        let user = seed::demo_users().into_iter().find(|u| u.email == email).unwrap();
        user.devices.iter().map(|d| d.to_device(user.id, now)).collect()
    }

    fn names(picks: &[Option<&Device>]) -> Vec<Option<String>> {
        picks.iter().map(|p| p.map(|d| d.name.clone())).collect()
    }

    #[test]
    fn roles_take_matching_devices_and_create_only_when_allowed() {
        let lib = Library::load(None);
        let break_in = &lib.scenarios["break_in"];
        let sarah = home("sarah@demo.com");
        let (picks, missing) = pick_devices(&break_in.roles, &sarah);
        assert!(missing.is_empty(), "sarah's home has every device a break-in needs");
        let by_role: HashMap<&str, String> =
            break_in.roles.iter().zip(&picks).map(|(r, d)| (r.name.as_str(), d.unwrap().name.clone())).collect();
        assert_eq!(by_role["back_window_sensor"], "Back Window Sensor");
        assert_eq!(by_role["bedroom_motion"], "Bedroom Motion");
        assert_eq!(by_role["back_door"], "Back Door");

        let john = home("john@demo.com");
        let (picks, missing) = pick_devices(&break_in.roles, &john);
        let created: Vec<&str> = missing.iter().map(|&i| break_in.roles[i].name.as_str()).collect();
        assert_eq!(created, ["back_window_sensor", "bedroom_motion", "back_door"], "{:?}", names(&picks));
        let ids: HashSet<Uuid> = picks.iter().flatten().map(|d| d.device_id).collect();
        assert_eq!(ids.len(), picks.iter().flatten().count(), "no device serves two roles");
    }

    #[test]
    fn next_time_of_day_is_ahead_and_within_a_day() {
        let now = "2026-11-27T17:30:00Z".parse::<DateTime<Utc>>().unwrap();
        let two = NaiveTime::from_hms_opt(2, 0, 0).unwrap();
        assert_eq!(until_next(now, two, chrono_tz::Tz::UTC), Duration::minutes(8 * 60 + 30));
        let same = NaiveTime::from_hms_opt(17, 30, 0).unwrap();
        assert_eq!(until_next(now, same, chrono_tz::Tz::UTC), Duration::days(1));
        // On the home's clock: 02:00 in New York is 07:00 UTC (EST).
        assert_eq!(until_next(now, two, chrono_tz::Tz::America__New_York), Duration::minutes(13 * 60 + 30));
        // 02:30 does not exist on 8 March 2026 in New York: an hour later.
        let spring = "2026-03-08T05:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let half = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        assert_eq!(until_next(spring, half, chrono_tz::Tz::America__New_York), Duration::minutes(150));
    }
}
