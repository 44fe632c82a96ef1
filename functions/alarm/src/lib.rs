//! The alarm function: each home's panel (arm, disarm, panic, home modes,
//! the clock that runs its delays), the codes that disarm it (members',
//! duress, guests', with the wrong-code lockout), and the home's settings
//! and household (time zone, delays, zones, pets, emergency contacts).
//!
//! Every change is one saved transition (the record and the log lines it
//! added, in one transaction), then announced: on `home.alarm` for
//! monitoring and the security response, and on the household's live
//! channel without what only monitoring sees (duress).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use homeguard_domain::Topic;
use homeguard_runtime::extract::{Json, Path, Query};
use homeguard_runtime::{Caller, FnError, Function};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

pub mod household;
pub mod panel;

homeguard_runtime::holds! {
    /// What the alarm holds: homes and their household, the alarm and its
    /// log, the devices (its zones) and their state (what is open), the bus
    /// and the live channels it announces on, the users (an admin names
    /// a home by its user id), and the assistant's memory (the household's
    /// learned alert preferences, which the decisions weigh) and the
    /// security response's store (where its decisions are recorded).
    pub struct AlarmCtx { homes, alarm, devices, state, bus, pubsub, users, sessions, agent, security }
}

/// How often the alarm's clock looks for delays and windows that ran out
/// (in real time: at a demo's speed 60 a tick is 15 s of the home's time).
pub const TICK: Duration = Duration::from_millis(250);

/// The function: `/home`, `/home/alarm/...`, `/home/mode`, `/home/codes`,
/// `/home/guests`, `/home/pets`, `/home/contacts`; it judges
/// `device.events` and runs the panel's clock.
pub fn function() -> Function<AlarmCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Alarm panel, home modes, codes and household")
        .routes(routes)
        .subscribe(Topic::DeviceEvents, |ctx, events| Box::pin(async move { panel::on_events(&ctx, events).await }))
        .every("alarm clock", TICK, |ctx, run| Box::pin(async move { panel::tick(&ctx, run).await }))
}

/// Whose home a request is about.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeQuery {
    /// Another home: admins only.
    pub user_id: Option<Uuid>,
}

/// The home a request acts on (see [`homeguard_usecases::access::home`]).
pub async fn target(ctx: &AlarmCtx, caller: &Caller, user_id: Option<Uuid>) -> Result<Uuid, FnError> {
    homeguard_usecases::access::home(ctx, caller, user_id).await
}

type S = State<Arc<AlarmCtx>>;
type Q = Query<HomeQuery>;

fn routes(_: &Arc<AlarmCtx>) -> Router<Arc<AlarmCtx>> {
    Router::new()
        .route(
            "/home",
            get(|State(ctx): S, c: Caller, Query(q): Q| async move {
                household::get_home(&ctx, &target(&ctx, &c, q.user_id).await?).await.map(axum::Json)
            })
            .patch(
                |State(ctx): S, c: Caller, Query(q): Q, Json(body): Json<Map<String, Value>>| async move {
                    household::patch_home(&ctx, &target(&ctx, &c, q.user_id).await?, &body).await.map(axum::Json)
                },
            ),
        )
        .route(
            "/home/alarm",
            get(|State(ctx): S, c: Caller, Query(q): Q| async move {
                panel::get_alarm(&ctx, target(&ctx, &c, q.user_id).await?).await.map(axum::Json)
            }),
        )
        .route(
            "/home/alarm/arm",
            post(|State(ctx): S, c: Caller, Query(q): Q, Json(b): Json<panel::ArmBody>| async move {
                panel::arm(&ctx, &c, target(&ctx, &c, q.user_id).await?, b).await.map(axum::Json)
            }),
        )
        .route(
            "/home/alarm/disarm",
            post(|State(ctx): S, c: Caller, Query(q): Q, Json(b): Json<panel::CodeBody>| async move {
                panel::disarm(&ctx, target(&ctx, &c, q.user_id).await?, b).await.map(axum::Json)
            }),
        )
        .route(
            "/home/alarm/panic",
            post(|State(ctx): S, c: Caller, Query(q): Q| async move {
                panel::panic(&ctx, &c, target(&ctx, &c, q.user_id).await?).await.map(axum::Json)
            }),
        )
        .route(
            "/home/alarm/history",
            get(|State(ctx): S, c: Caller, Query(q): Query<panel::HistoryQuery>| async move {
                let home = target(&ctx, &c, q.user_id).await?;
                panel::history(&ctx, &c, home, &q).await.map(axum::Json)
            }),
        )
        .route(
            "/home/mode",
            post(|State(ctx): S, c: Caller, Query(q): Q, Json(b): Json<panel::ModeBody>| async move {
                panel::set_mode(&ctx, &c, target(&ctx, &c, q.user_id).await?, b).await.map(axum::Json)
            }),
        )
        .route(
            "/home/codes",
            get(|State(ctx): S, c: Caller, Query(q): Q| async move {
                household::codes(&ctx, target(&ctx, &c, q.user_id).await?).await.map(axum::Json)
            })
            .post(
                |State(ctx): S, c: Caller, Query(q): Q, Json(b): Json<homeguard_domain::home::NewCode>| async move {
                    let home = target(&ctx, &c, q.user_id).await?;
                    household::create_code(&ctx, home, b).await.map(|v| (StatusCode::CREATED, axum::Json(v)))
                },
            ),
        )
        .route(
            "/home/codes/{id}",
            delete(|State(ctx): S, c: Caller, Query(q): Q, Path(id): Path<Uuid>| async move {
                let home = target(&ctx, &c, q.user_id).await?;
                household::delete_code(&ctx, home, id, false).await.map(|()| StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/home/guests",
            get(|State(ctx): S, c: Caller, Query(q): Q| async move {
                household::guests(&ctx, target(&ctx, &c, q.user_id).await?).await.map(axum::Json)
            })
            .post(
                |State(ctx): S, c: Caller, Query(q): Q, Json(b): Json<homeguard_domain::home::NewGuest>| async move {
                    let home = target(&ctx, &c, q.user_id).await?;
                    household::create_guest(&ctx, home, b).await.map(|v| (StatusCode::CREATED, axum::Json(v)))
                },
            ),
        )
        .route(
            "/home/guests/{id}",
            delete(|State(ctx): S, c: Caller, Query(q): Q, Path(id): Path<Uuid>| async move {
                let home = target(&ctx, &c, q.user_id).await?;
                household::delete_code(&ctx, home, id, true).await.map(|()| StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/home/pets",
            get(|State(ctx): S, c: Caller, Query(q): Q| async move {
                household::pets(&ctx, target(&ctx, &c, q.user_id).await?).await.map(axum::Json)
            })
            .post(
                |State(ctx): S, c: Caller, Query(q): Q, Json(b): Json<homeguard_domain::home::NewPet>| async move {
                    let home = target(&ctx, &c, q.user_id).await?;
                    household::create_pet(&ctx, home, b).await.map(|v| (StatusCode::CREATED, axum::Json(v)))
                },
            ),
        )
        .route(
            "/home/pets/{id}",
            delete(|State(ctx): S, c: Caller, Query(q): Q, Path(id): Path<Uuid>| async move {
                let home = target(&ctx, &c, q.user_id).await?;
                household::delete_pet(&ctx, home, id).await.map(|()| StatusCode::NO_CONTENT)
            }),
        )
        .route(
            "/home/contacts",
            get(|State(ctx): S, c: Caller, Query(q): Q| async move {
                household::contacts(&ctx, target(&ctx, &c, q.user_id).await?).await.map(axum::Json)
            })
            .post(
                |State(ctx): S, c: Caller, Query(q): Q, Json(b): Json<homeguard_domain::home::NewContact>| async move {
                    let home = target(&ctx, &c, q.user_id).await?;
                    household::create_contact(&ctx, home, b).await.map(|v| (StatusCode::CREATED, axum::Json(v)))
                },
            ),
        )
        .route(
            "/home/contacts/{id}",
            delete(|State(ctx): S, c: Caller, Query(q): Q, Path(id): Path<Uuid>| async move {
                let home = target(&ctx, &c, q.user_id).await?;
                household::delete_contact(&ctx, home, id).await.map(|()| StatusCode::NO_CONTENT)
            }),
        )
}
