//! The event store function (the requirements' Event Processor, storage
//! half): it stores every device event in the event store's three views,
//! idempotently on `event_id`, and answers `GET /events`, the caller's feed.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use homeguard_domain::Topic;
use homeguard_domain::{Event, EventType};
use homeguard_ports::{Cursor, EventQuery};
use homeguard_runtime::extract::Query;
use homeguard_runtime::{Caller, FnError, Function};
use homeguard_usecases::access;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What the event store holds: the events, and the registry and
    /// sessions to check who may read a device's history.
    pub struct EventsCtx { events, devices, sessions }
}

/// The function: stores `device.events`; `GET /events`.
pub fn function() -> Function<EventsCtx> {
    Function::new(NAME, "Event store and feed")
        .always_on()
        .routes(routes)
        .subscribe(Topic::DeviceEvents, |ctx, events| Box::pin(async move { store(&ctx, events).await }))
}

/// Its name, also its consumer group (the host restores state from its position).
pub const NAME: &str = env!("CARGO_PKG_NAME");

/// Stores events; ones already stored are skipped, so redelivery is harmless.
#[tracing::instrument(skip_all, fields(events = events.len()))]
pub async fn store(ctx: &EventsCtx, events: Vec<Event>) -> Result<(), FnError> {
    let stored = ctx.events.append(&events).await?;
    if stored < events.len() as u64 {
        tracing::debug!(duplicates = events.len() as u64 - stored, "skipped events stored before");
    }
    Ok(())
}

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    pub device_id: Option<Uuid>,
    pub event_type: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
    /// Admins only: one home's feed (without it, an admin sees every home).
    pub user_id: Option<Uuid>,
}

#[derive(Debug, Serialize)]
pub struct Feed {
    pub events: Vec<Event>,
    pub count: usize,
    pub next_cursor: Option<String>,
}

/// `GET /events`: the caller's events, newest first, filtered and paged.
pub async fn feed(ctx: &EventsCtx, caller: &Caller, q: FeedQuery) -> Result<Feed, FnError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(FnError::invalid("limit", format!("must be from 1 to {MAX_LIMIT}")));
    }
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from >= to
    {
        return Err(FnError::invalid("from", "must be before to"));
    }
    let after = q
        .cursor
        .as_deref()
        .map(|c| Cursor::decode(c).ok_or_else(|| FnError::invalid("cursor", "is not a cursor this API returned")))
        .transpose()?;
    let event_type = q.event_type.as_deref().map(EventType::parse).transpose()?;
    let user_id = match q.user_id {
        Some(u) if u != caller.user_id => {
            caller.require_admin()?;
            Some(u)
        }
        Some(u) => Some(u),
        None if caller.is_admin() => None,
        None => Some(caller.user_id),
    };
    if let Some(device) = q.device_id {
        access::device_history(ctx, caller, device).await?;
    }
    let query =
        EventQuery { user_id, device_id: q.device_id, event_type, from: q.from, to: q.to, after, limit: limit + 1 };
    let mut events = ctx.events.query(&query).await?;
    let next_cursor = if events.len() > limit {
        events.truncate(limit);
        events.last().map(|e| Cursor { timestamp: e.timestamp, event_id: e.event_id }.encode())
    } else {
        None
    };
    Ok(Feed { count: events.len(), events, next_cursor })
}

fn routes(_: &Arc<EventsCtx>) -> Router<Arc<EventsCtx>> {
    Router::new().route(
        "/events",
        get(|State(ctx): State<Arc<EventsCtx>>, c: Caller, Query(q): Query<FeedQuery>| async move {
            feed(&ctx, &c, q).await.map(axum::Json)
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_runtime::{Declared, cloudevents};
    use tower::ServiceExt;

    /// A device event delivered as Knative delivers it (a structured-mode
    /// CloudEvent), twice: stored once, answered 202 both times.
    #[tokio::test]
    async fn cloudevents_deliveries_are_stored_once() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let e = Event {
            event_id: Uuid::now_v7(),
            device_id: device_id("john@demo.com", "Garage Door"),
            user_id: user_id("john@demo.com"),
            event_type: EventType::DoorOpen,
            payload: Default::default(),
            timestamp: chrono::SubsecRound::trunc_subsecs(Utc::now(), 3),
            metadata: Default::default(),
        };
        let ce = cloudevents::for_event(&e).unwrap();
        let body = serde_json::to_string(&ce).unwrap();
        for _ in 0..2 {
            let req = Request::post("/ce/device.events")
                .header("content-type", "application/cloudevents+json")
                .body(Body::from(body.clone()))
                .unwrap();
            assert_eq!(function().server(&ctx).oneshot(req).await.unwrap().status(), StatusCode::ACCEPTED);
        }
        let query = EventQuery { device_id: Some(e.device_id), limit: 10, ..Default::default() };
        assert_eq!(ctx.events.query(&query).await.unwrap(), vec![e]);

        let bad = Request::post("/ce/device.events")
            .header("content-type", "application/cloudevents+json")
            .body(Body::from(r#"{"specversion":"1.0","id":"x","type":"t","source":"/s","data":{"nope":1}}"#))
            .unwrap();
        assert_eq!(
            function().server(&ctx).oneshot(bad).await.unwrap().status(),
            StatusCode::BAD_REQUEST,
            "never redelivered"
        );
    }
}
