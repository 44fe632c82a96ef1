//! The automations function: a home's rules (`/automations`, in the
//! requirements' document shape, each checked against the home's devices
//! when saved) and the engine that runs them on device events and the
//! alarm's signals and mode changes. Each (rule, input) fires once: the
//! firing is claimed in the run store before its actions run, and each
//! action's own id derives from the firing, so a redelivered input (or a
//! retry after a crash) does nothing twice.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use homeguard_domain::automation::{Automation, NewAutomation};
use homeguard_domain::{ErrorCode, Topic};
use homeguard_runtime::extract::{Json, Path, Query};
use homeguard_runtime::{Caller, FnError, Function};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

pub mod engine;

homeguard_runtime::holds! {
    /// What the automations hold: the rules and their firings, the devices
    /// (what rules name, and commands), their state and the alarm (what
    /// conditions read, and what arm and mode actions change), homes (their
    /// time zone), the bus (commands and notifications go out on it), the
    /// live channels (the alarm's changes are announced on them) and the
    /// users (an admin names a home).
    pub struct AutomationsCtx { automations, runs, devices, state, alarm, homes, bus, pubsub, users, sessions }
}

/// The function: `/automations`; runs rules on `device.events` and `home.alarm`.
pub fn function() -> Function<AutomationsCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Automation rules and their engine")
        .routes(routes)
        .subscribe(Topic::DeviceEvents, |ctx, events| Box::pin(async move { engine::on_events(&ctx, events).await }))
        .subscribe(Topic::HomeAlarm, |ctx, changes| Box::pin(async move { engine::on_alarm(&ctx, changes).await }))
        .every("schedules", std::time::Duration::from_secs(1), |ctx, _| {
            Box::pin(async move { engine::tick(&ctx).await })
        })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeQuery {
    pub user_id: Option<Uuid>,
}

fn not_found(id: Uuid) -> FnError {
    FnError::new(ErrorCode::NotFound, format!("Automation {id} not found"))
}

/// The home a request acts on (see [`homeguard_usecases::access::home`]).
async fn target(ctx: &AutomationsCtx, caller: &Caller, user_id: Option<Uuid>) -> Result<Uuid, FnError> {
    homeguard_usecases::access::home(ctx, caller, user_id).await
}

/// One of the caller's rules (another home's answers 404, as a missing one does).
async fn owned(ctx: &AutomationsCtx, caller: &Caller, id: Uuid) -> Result<Automation, FnError> {
    match ctx.automations.get(id).await? {
        Some(a) if caller.can_access(a.user_id) => Ok(a),
        _ => Err(not_found(id)),
    }
}

#[derive(Debug, Serialize)]
pub struct AutomationList {
    pub automations: Vec<Automation>,
    pub count: usize,
}

pub async fn list(ctx: &AutomationsCtx, home: Uuid) -> Result<AutomationList, FnError> {
    let automations = ctx.automations.list_for_user(home).await?;
    Ok(AutomationList { count: automations.len(), automations })
}

/// The most rules one home may have.
pub const MAX_RULES: usize = 200;

/// What this installation cannot deliver is refused when saved, not when it fires.
fn deliverable(ctx: &AutomationsCtx, a: &Automation) -> Result<(), FnError> {
    for (i, action) in a.actions.iter().enumerate() {
        if let homeguard_domain::AutomationAction::N8n { .. } = action
            && ctx.outbound.n8n_url("").is_none()
        {
            return Err(FnError::invalid(
                &format!("actions[{i}].workflow"),
                "this installation has no n8n (N8N_WEBHOOK_BASE is unset); use a webhook with its full url",
            ));
        }
    }
    Ok(())
}

pub async fn create(ctx: &AutomationsCtx, home: Uuid, draft: NewAutomation) -> Result<Automation, FnError> {
    let devices = ctx.devices.list_for_user(home).await?;
    if ctx.automations.list_for_user(home).await?.len() >= MAX_RULES {
        return Err(FnError::new(ErrorCode::Conflict, format!("A home has at most {MAX_RULES} automations")));
    }
    let a = draft.into_automation(Uuid::now_v7(), home, &devices[..], ctx.clock.now())?;
    deliverable(ctx, &a)?;
    ctx.automations.insert(&a).await?;
    tracing::info!(user_id = %home, automation_id = %a.automation_id, trigger = a.trigger.kind(), "automation created");
    Ok(a)
}

/// `PATCH /automations/{id}`: the fields given replace the rule's
/// (`name`, `enabled`, `trigger`, `actions`, `cooldown_seconds`), and the
/// whole is checked again.
pub async fn update(
    ctx: &AutomationsCtx,
    caller: &Caller,
    id: Uuid,
    patch: Map<String, Value>,
) -> Result<Automation, FnError> {
    let current = owned(ctx, caller, id).await?;
    const FIELDS: [&str; 5] = ["name", "enabled", "trigger", "actions", "cooldown_seconds"];
    if let Some(bad) = patch.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(FnError::invalid(
            bad,
            "is not a field of an automation (name, enabled, trigger, actions, cooldown_seconds)",
        ));
    }
    let mut doc = serde_json::json!({
        "name": current.name,
        "enabled": current.enabled,
        "trigger": current.trigger,
        "actions": current.actions,
        "cooldown_seconds": current.cooldown_seconds,
    });
    for (k, v) in patch {
        doc[k] = v;
    }
    let draft: NewAutomation = serde_json::from_value(doc).map_err(|e| FnError::invalid_shape(e.to_string()))?;
    let devices = ctx.devices.list_for_user(current.user_id).await?;
    let mut next = draft.into_automation(id, current.user_id, &devices[..], ctx.clock.now())?;
    next.created_at = current.created_at;
    deliverable(ctx, &next)?;
    if !ctx.automations.update(&next).await? {
        return Err(not_found(id));
    }
    tracing::info!(automation_id = %id, enabled = next.enabled, "automation updated");
    Ok(next)
}

/// Turns a rule off. Unlike a change, it is not checked again: a rule
/// whose device was removed since can always be stopped.
pub async fn disable(ctx: &AutomationsCtx, caller: &Caller, id: Uuid) -> Result<Automation, FnError> {
    let mut a = owned(ctx, caller, id).await?;
    a.enabled = false;
    a.updated_at = ctx.clock.now();
    if !ctx.automations.update(&a).await? {
        return Err(not_found(id));
    }
    tracing::info!(automation_id = %id, "automation disabled");
    Ok(a)
}

pub async fn delete(ctx: &AutomationsCtx, caller: &Caller, id: Uuid) -> Result<(), FnError> {
    owned(ctx, caller, id).await?;
    if !ctx.automations.delete(id).await? {
        return Err(not_found(id));
    }
    tracing::info!(automation_id = %id, "automation removed");
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    pub limit: Option<usize>,
    pub before: Option<homeguard_domain::page::Cursor>,
}

#[derive(Debug, Serialize)]
pub struct Runs {
    pub runs: Vec<homeguard_domain::automation::AutomationRun>,
    pub next_before: Option<homeguard_domain::page::Cursor>,
}

/// `GET /automations/{id}/runs`: the rule's firings, newest first.
pub async fn runs(ctx: &AutomationsCtx, caller: &Caller, id: Uuid, q: RunsQuery) -> Result<Runs, FnError> {
    owned(ctx, caller, id).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(FnError::invalid("limit", "must be from 1 to 200"));
    }
    let mut runs = ctx.runs.runs(id, q.before, limit).await?;
    let next_before = (runs.len() == limit)
        .then(|| runs.last().map(|r| homeguard_domain::page::Cursor::after(r.at, r.run_id)))
        .flatten();
    // A device_state trigger's clock is not a firing (yet).
    runs.retain(|r| !r.is_watch());
    Ok(Runs { runs, next_before })
}

type S = State<Arc<AutomationsCtx>>;

fn routes(_: &Arc<AutomationsCtx>) -> Router<Arc<AutomationsCtx>> {
    Router::new()
        .route(
            "/automations",
            get(|State(ctx): S, c: Caller, Query(q): Query<HomeQuery>| async move {
                list(&ctx, target(&ctx, &c, q.user_id).await?).await.map(axum::Json)
            })
            .post(|State(ctx): S, c: Caller, Query(q): Query<HomeQuery>, Json(d): Json<NewAutomation>| async move {
                let home = target(&ctx, &c, q.user_id).await?;
                create(&ctx, home, d).await.map(|a| (StatusCode::CREATED, axum::Json(a)))
            }),
        )
        .route(
            "/automations/{id}",
            get(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                owned(&ctx, &c, id).await.map(axum::Json)
            })
            .patch(|State(ctx): S, c: Caller, Path(id): Path<Uuid>, Json(p): Json<Map<String, Value>>| async move {
                update(&ctx, &c, id, p).await.map(axum::Json)
            })
            .delete(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                delete(&ctx, &c, id).await.map(|()| StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/automations/{id}/enable",
            post(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move {
                let patch = Map::from_iter([("enabled".to_owned(), Value::Bool(true))]);
                update(&ctx, &c, id, patch).await.map(axum::Json)
            }),
        )
        .route(
            "/automations/{id}/disable",
            post(|State(ctx): S, c: Caller, Path(id): Path<Uuid>| async move { disable(&ctx, &c, id).await.map(axum::Json) }),
        )
        .route(
            "/automations/{id}/runs",
            get(|State(ctx): S, c: Caller, Path(id): Path<Uuid>, Query(q): Query<RunsQuery>| async move {
                runs(&ctx, &c, id, q).await.map(axum::Json)
            }),
        )
}
