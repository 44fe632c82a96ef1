//! The readings function: keeps every number devices report (temperatures,
//! humidity, set points, battery levels, signal strength) as time series
//! in the reading store, for analytics, energy insights and battery
//! predictions. Idempotent: a reading is keyed by device, type and time.

use std::sync::Arc;

use axum::Router;
use chrono::{DateTime, Utc};
use homeguard_domain::state::{heartbeat_readings, readings_of};
use homeguard_domain::{Event, Heartbeat};
use homeguard_ports::Reading;
use homeguard_runtime::cloudevents::{self, Envelope};
use homeguard_runtime::{Ctx, FnError};
use uuid::Uuid;

pub const SERVICE: &str = "readings";

/// The ports this function depends on (its readiness checks them; the
/// production backends of the others are never connected).
pub const USES: &[homeguard_runtime::http::Port] = {
    use homeguard_runtime::http::Port;
    &[Port::Devices, Port::Readings]
};

/// The consumer name this handler commits its offsets under.
pub const CONSUMER: &str = "readings";

/// How long readings are kept (the requirements' retention policy).
pub const RETENTION: chrono::Duration = chrono::Duration::days(90);

type Sample = (&'static str, f64, Option<&'static str>);

fn reading(time: DateTime<Utc>, device_id: Uuid, user_id: Uuid, (kind, value, unit): Sample) -> Reading {
    Reading { time, device_id, user_id, reading_type: kind.into(), value, unit: unit.map(Into::into) }
}

/// Stores the readings that events carry.
pub async fn on_events(ctx: &Ctx, events: Vec<Event>) -> Result<(), FnError> {
    let readings: Vec<Reading> = events
        .iter()
        .flat_map(|e| readings_of(e).into_iter().map(|s| reading(e.timestamp, e.device_id, e.user_id, s)))
        .collect();
    if !readings.is_empty() {
        ctx.readings.append(&readings).await?;
    }
    Ok(())
}

/// Stores the readings that heartbeats carry.
pub async fn on_heartbeats(ctx: &Ctx, heartbeats: Vec<Heartbeat>) -> Result<(), FnError> {
    let readings: Vec<Reading> = heartbeats
        .iter()
        .flat_map(|h| heartbeat_readings(h).into_iter().map(|s| reading(h.timestamp, h.device_id, h.user_id, s)))
        .collect();
    if !readings.is_empty() {
        ctx.readings.append(&readings).await?;
    }
    Ok(())
}

/// The CloudEvents routes Knative delivers `device.events` and
/// `device.heartbeats` to.
pub fn service(ctx: &Arc<Ctx>) -> Router {
    let routes = Router::new()
        .route(
            "/ce/device-events",
            cloudevents::route(|ctx: Arc<Ctx>, e: Envelope<Event>| async move { on_events(&ctx, vec![e.data]).await }),
        )
        .route(
            "/ce/heartbeats",
            cloudevents::route(|ctx: Arc<Ctx>, h: Envelope<Heartbeat>| async move {
                on_heartbeats(&ctx, vec![h.data]).await
            }),
        );
    homeguard_runtime::http::mount(SERVICE, ctx, routes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use homeguard_domain::EventType;
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_ports::ReadingQuery;

    #[tokio::test]
    async fn numbers_become_time_series_once() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let (john, thermostat) = (user_id("john@demo.com"), device_id("john@demo.com", "Hallway Thermostat"));
        let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3);
        let e = Event {
            event_id: Uuid::now_v7(),
            device_id: thermostat,
            user_id: john,
            event_type: EventType::TemperatureReading,
            payload: serde_json::from_value(serde_json::json!({ "temperature": 71.5 })).unwrap(),
            timestamp: now,
            metadata: Default::default(),
        };
        on_events(&ctx, vec![e.clone(), e]).await.unwrap();
        let hb = Heartbeat {
            heartbeat_id: Uuid::now_v7(),
            device_id: thermostat,
            user_id: john,
            timestamp: now,
            battery: Some(88.0),
            signal_strength: None,
            firmware_version: None,
        };
        on_heartbeats(&ctx, vec![hb]).await.unwrap();
        let q = ReadingQuery {
            user_id: john,
            device_id: Some(thermostat),
            reading_type: None,
            from: now - chrono::Duration::minutes(1),
            to: now + chrono::Duration::minutes(1),
        };
        let got = ctx.readings.readings(&q, 10).await.unwrap();
        let kinds: Vec<_> = got.iter().map(|r| (r.reading_type.as_str(), r.value)).collect();
        assert_eq!(kinds, vec![("battery", 88.0), ("temperature", 71.5)]);
    }
}
