//! The scenario engine (the requirements' Scenario Engine): demo scenarios
//! from `scenarios/*.yaml` replayed through the real pipeline for one home,
//! the simulated clock, single-event injection, and a verifier that judges
//! what the system did against each scenario's expectations.
//!
//! Everything here is admin-only except listing the scenarios and reading
//! the clock.

pub mod engine;
pub mod model;
pub mod setup;
pub mod verify;

use std::sync::Arc;

use axum::extract::Extension;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Router, body::Bytes};
use chrono::{DateTime, Utc};
use homeguard_ports::ClockReading;
use homeguard_runtime::extract::{Json, Path};
use homeguard_runtime::{Caller, Ctx, FnError, Function};
use homeguard_usecases::ingest::{self, Poster};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

pub use engine::{Engine, HeldDevices, RunStatus, StartInput};
pub use model::{Library, Scenario, ScenarioError};

/// The function: an engine over `library`, which runs its scenarios through
/// the whole platform (so it holds every port) and owns the simulated
/// clock, marking the devices its runs drive in `held`. Runs and the clock
/// live in its process: it runs as a single replica.
pub fn function(library: Library, held: Arc<HeldDevices>) -> Function<Ctx> {
    Function::new(env!("CARGO_PKG_NAME"), "Demo scenarios, simulated clock and verifier")
        .always_on()
        .routes(move |ctx: &Arc<Ctx>| routes(&Engine::new(ctx.clone(), library.clone(), held.clone())))
}

/// One scenario as listed.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioSummary {
    pub name: String,
    pub description: String,
    pub duration: String,
    pub duration_seconds: f64,
    /// The part of the timeline that lies in the past (injected at once).
    pub history_seconds: f64,
    pub speed: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_at: Option<String>,
    pub steps: usize,
    pub expectations: usize,
    pub running: bool,
    /// Capabilities this build lacks for every expectation to pass.
    pub lacks: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioList {
    pub scenarios: Vec<ScenarioSummary>,
    /// Scenario files that failed to load.
    pub invalid: Vec<ScenarioError>,
}

/// `GET /demo/scenarios`.
pub fn list(engine: &Engine) -> ScenarioList {
    let lib = engine.library();
    ScenarioList {
        scenarios: lib
            .scenarios
            .values()
            .map(|s| ScenarioSummary {
                name: s.name.clone(),
                description: s.description.clone(),
                duration: model::format_duration(s.duration),
                duration_seconds: s.duration.num_milliseconds() as f64 / 1000.0,
                history_seconds: s.history.num_milliseconds() as f64 / 1000.0,
                speed: s.speed,
                start_at: s.start_at.map(|t| t.format("%H:%M").to_string()),
                steps: s.steps.len(),
                expectations: s.expectations.len(),
                running: engine.is_running(&s.name),
                lacks: verify::lacking(s),
            })
            .collect(),
        invalid: lib.errors.clone(),
    }
}

/// `POST /demo/time`: set, move or reset the home's clock.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeInput {
    #[serde(default)]
    pub time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub advance: Option<String>,
    #[serde(default)]
    pub speed: Option<f64>,
    #[serde(default)]
    pub reset: bool,
}

pub fn set_time(ctx: &Ctx, engine: &Engine, input: TimeInput) -> Result<ClockReading, FnError> {
    if let Some(name) = engine.clock_in_use() {
        return Err(FnError::new(
            homeguard_domain::ErrorCode::Conflict,
            format!("Scenario '{name}' is running the simulated clock; stop it first"),
        ));
    }
    let given = [input.time.is_some(), input.advance.is_some(), input.reset].iter().filter(|b| **b).count();
    if given > 1 {
        return Err(FnError::invalid("body", "give one of time, advance or reset"));
    }
    if given == 0 && input.speed.is_none() {
        return Err(FnError::invalid("body", "give time, advance, speed or reset"));
    }
    let advance = match &input.advance {
        Some(text) => match model::parse_duration(text) {
            Ok(d) if d > chrono::Duration::zero() && d <= model::MAX_DURATION => Some(d),
            Ok(_) => return Err(FnError::invalid("advance", "must be longer than zero and at most 31d")),
            Err(e) => return Err(FnError::invalid("advance", e)),
        },
        None => None,
    };
    let max = homeguard_ports::clock::MAX_SPEED;
    if let Some(s) = input.speed
        && !(s.is_finite() && s > 0.0 && s <= max)
    {
        return Err(FnError::invalid("speed", format!("must be above 0 and at most {max}")));
    }
    if let Some(t) = input.time {
        let wall = ctx.clock.wall();
        if (t - wall).abs() > model::MAX_DURATION {
            return Err(FnError::invalid("time", "must be within 31 days of the real time"));
        }
    }
    let clock = &ctx.clock;
    if input.reset {
        clock.reset();
    }
    if let Some(t) = input.time {
        clock.set(t);
    }
    if let Some(d) = advance {
        clock.advance(d);
    }
    if let Some(s) = input.speed {
        clock.set_speed(s);
    }
    let reading = clock.reading();
    tracing::info!(now = %reading.now, speed = reading.speed, simulated = reading.simulated, "home clock changed");
    Ok(reading)
}

/// `POST /demo/events`: one event, as a device would post it, marked simulated.
pub async fn inject(ctx: &Ctx, caller: &Caller, mut event: Map<String, Value>) -> Result<Value, FnError> {
    let metadata = event.entry("metadata").or_insert_with(|| json!({}));
    match metadata {
        Value::Object(m) => {
            m.insert("is_simulated".into(), Value::Bool(true));
        }
        _ => return Err(FnError::invalid("metadata", "must be an object")),
    }
    event.entry("event_id").or_insert_with(|| json!(Uuid::now_v7()));
    let poster = Poster::Admin(caller.clone());
    let item = ingest::item(Value::Object(event));
    let report = ingest::post_events(ctx, &poster, vec![item]).await?;
    let outcome = report.outcomes.into_iter().next();
    let single = outcome.ok_or_else(|| FnError::internal("ingest answered nothing for one event"))?.single()?;
    serde_json::to_value(single).map_err(FnError::internal)
}

/// `GET /demo/labels`: the simulator's ground truth, for measuring detectors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelQuery {
    #[serde(default)]
    pub user_id: Option<Uuid>,
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
    #[serde(default)]
    pub limit: Option<usize>,
}

/// The most labels one answer holds.
pub const MAX_LABELS: usize = 1000;

pub async fn labels(ctx: &Ctx, q: LabelQuery) -> Result<Value, FnError> {
    let to = q.to.unwrap_or_else(|| ctx.clock.now() + chrono::Duration::minutes(1));
    let from = q.from.unwrap_or(to - chrono::Duration::days(1));
    if from >= to {
        return Err(FnError::invalid("from", "must be before to"));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=MAX_LABELS).contains(&limit) {
        return Err(FnError::invalid("limit", format!("must be from 1 to {MAX_LABELS}")));
    }
    let labels = ctx.labels.labels(q.user_id, from, to, limit).await?;
    Ok(json!({ "labels": labels, "count": labels.len(), "from": from, "to": to }))
}

fn start_input(body: &Bytes) -> Result<StartInput, FnError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(StartInput::default());
    }
    serde_json::from_slice(body).map_err(|e| FnError::malformed(format!("The body is not a valid start request: {e}")))
}

type E = Extension<Arc<Engine>>;

/// The HTTP routes under `/demo`.
fn routes(engine: &Arc<Engine>) -> Router<Arc<Ctx>> {
    Router::new()
        .route("/demo/scenarios", get(|_: Caller, Extension(engine): E| async move { axum::Json(list(&engine)) }))
        .route(
            "/demo/scenarios/{name}/start",
            post(|caller: Caller, Extension(engine): E, Path(name): Path<String>, body: Bytes| async move {
                caller.require_admin()?;
                engine.scenario(&name)?;
                let input = start_input(&body)?;
                let status = engine.start(&name, input, &caller).await?;
                Ok::<_, FnError>((StatusCode::ACCEPTED, axum::Json(status)))
            }),
        )
        .route(
            "/demo/scenarios/{name}/stop",
            post(|caller: Caller, Extension(engine): E, Path(name): Path<String>| async move {
                caller.require_admin()?;
                engine.stop(&name).await.map(axum::Json)
            }),
        )
        .route(
            "/demo/scenarios/{name}/status",
            get(|caller: Caller, Extension(engine): E, Path(name): Path<String>| async move {
                caller.require_admin()?;
                Ok::<_, FnError>(axum::Json(match engine.status(&name)? {
                    Some(s) => serde_json::to_value(s).map_err(FnError::internal)?,
                    None => json!({ "scenario": name, "status": "idle" }),
                }))
            }),
        )
        .route(
            "/demo/labels",
            get(
                |caller: Caller,
                 axum::extract::State(ctx): axum::extract::State<Arc<Ctx>>,
                 homeguard_runtime::extract::Query(q): homeguard_runtime::extract::Query<LabelQuery>| async move {
                    caller.require_admin()?;
                    labels(&ctx, q).await.map(axum::Json)
                },
            ),
        )
        .route(
            "/demo/events",
            post(
                |caller: Caller,
                 axum::extract::State(ctx): axum::extract::State<Arc<Ctx>>,
                 Json(event): Json<Map<String, Value>>| async move {
                    caller.require_admin()?;
                    inject(&ctx, &caller, event).await.map(|v| (StatusCode::ACCEPTED, axum::Json(v)))
                },
            ),
        )
        .route(
            "/demo/time",
            get(|_: Caller, axum::extract::State(ctx): axum::extract::State<Arc<Ctx>>| async move {
                axum::Json(ctx.clock.reading())
            })
            .post(
                |caller: Caller,
                 axum::extract::State(ctx): axum::extract::State<Arc<Ctx>>,
                 Extension(engine): E,
                 Json(input): Json<TimeInput>| async move {
                    caller.require_admin()?;
                    set_time(&ctx, &engine, input).map(axum::Json)
                },
            ),
        )
        .layer(Extension(engine.clone()))
}
