//! The event store function (the requirements' Event Processor, storage
//! half): it stores every device event in the event store's three views,
//! idempotently on `event_id`, and answers `GET /events`, the caller's feed.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use homeguard_domain::{Event, EventType};
use homeguard_ports::{Cursor, EventQuery};
use homeguard_runtime::cloudevents::{self, Envelope};
use homeguard_runtime::extract::Query;
use homeguard_runtime::{Caller, Ctx, FnError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const SERVICE: &str = "event-processor";

/// The ports this function depends on (its readiness checks them; the
/// production backends of the others are never connected).
pub const USES: &[homeguard_runtime::http::Port] = {
    use homeguard_runtime::http::Port;
    &[Port::Events, Port::Devices]
};

/// The consumer name this handler commits its offsets under.
pub const CONSUMER: &str = "event-store";

/// Stores events; ones already stored are skipped, so redelivery is harmless.
#[tracing::instrument(skip_all, fields(events = events.len()))]
pub async fn store(ctx: &Ctx, events: Vec<Event>) -> Result<(), FnError> {
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
pub async fn feed(ctx: &Ctx, caller: &Caller, q: FeedQuery) -> Result<Feed, FnError> {
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
        match ctx.devices.get(device).await? {
            Some(d) if caller.can_access(d.user_id) => {}
            // Deleted devices keep their history; only an admin may still read it.
            None if caller.is_admin() => {}
            _ => return Err(FnError::device_not_found(device)),
        }
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

/// The HTTP routes (the feed).
pub fn router(ctx: &Arc<Ctx>) -> Router {
    let routes = Router::new().route(
        "/events",
        get(|State(ctx): State<Arc<Ctx>>, c: Caller, Query(q): Query<FeedQuery>| async move {
            feed(&ctx, &c, q).await.map(axum::Json)
        }),
    );
    homeguard_runtime::http::mount(SERVICE, ctx, routes)
}

/// The CloudEvents route Knative delivers `device.events` to.
pub fn cloudevents_router(ctx: &Arc<Ctx>) -> Router {
    let routes = Router::new().route(
        "/ce/device-events",
        cloudevents::route(|ctx: Arc<Ctx>, e: Envelope<Event>| async move { store(&ctx, vec![e.data]).await }),
    );
    homeguard_runtime::http::mount(SERVICE, ctx, routes)
}

/// Everything this function serves as its own image.
pub fn service(ctx: &Arc<Ctx>) -> Router {
    router(ctx).merge(cloudevents_router(ctx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use homeguard_domain::seed::{device_id, user_id};
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
            let req = Request::post("/ce/device-events")
                .header("content-type", "application/cloudevents+json")
                .body(Body::from(body.clone()))
                .unwrap();
            assert_eq!(service(&ctx).oneshot(req).await.unwrap().status(), StatusCode::ACCEPTED);
        }
        let query = EventQuery { device_id: Some(e.device_id), limit: 10, ..Default::default() };
        assert_eq!(ctx.events.query(&query).await.unwrap(), vec![e]);

        let bad = Request::post("/ce/device-events")
            .header("content-type", "application/cloudevents+json")
            .body(Body::from(r#"{"specversion":"1.0","id":"x","type":"t","source":"/s","data":{"nope":1}}"#))
            .unwrap();
        assert_eq!(service(&ctx).oneshot(bad).await.unwrap().status(), StatusCode::BAD_REQUEST, "never redelivered");
    }
}
