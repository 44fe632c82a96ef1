//! The event store function (the requirements' Event Processor, storage
//! half): it stores every device event in the event store's three views,
//! idempotently on `event_id`, and answers `GET /events`, the caller's feed.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use homeguard_domain::Event;
use homeguard_domain::Topic;
use homeguard_runtime::extract::Query;
use homeguard_runtime::{Caller, FnError, Function};

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

pub use homeguard_usecases::events::{DEFAULT_LIMIT, Feed, FeedQuery, MAX_LIMIT, feed};

fn routes(_: &Arc<EventsCtx>) -> Router<Arc<EventsCtx>> {
    Router::new().route(
        "/events",
        get(|State(ctx): State<Arc<EventsCtx>>, c: Caller, Query(q): Query<FeedQuery>| async move {
            feed(&*ctx, &c, q).await.map(axum::Json)
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use chrono::Utc;
    use homeguard_domain::EventType;
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_ports::EventQuery;
    use homeguard_runtime::{Declared, cloudevents};
    use tower::ServiceExt;
    use uuid::Uuid;

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
