//! The readings function: keeps every number devices report (temperatures,
//! humidity, set points, battery levels, signal strength) as time series
//! in the reading store, for analytics, energy insights and battery
//! predictions. Idempotent: a reading is keyed by device, type and time.

use chrono::{DateTime, Utc};
use homeguard_domain::state::{heartbeat_readings, readings_of};
use homeguard_domain::{Event, Heartbeat, Topic};
use homeguard_ports::Reading;
use homeguard_runtime::{FnError, Function};
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What the readings handler holds: the reading store alone.
    pub struct ReadingsCtx { readings }
}

/// The function: the numbers of `device.events` and `device.heartbeats`.
pub fn function() -> Function<ReadingsCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Sensor readings as time series")
        .always_on()
        .subscribe(Topic::DeviceEvents, |ctx, events| Box::pin(async move { on_events(&ctx, events).await }))
        .subscribe(Topic::DeviceHeartbeats, |ctx, beats| Box::pin(async move { on_heartbeats(&ctx, beats).await }))
}

/// How long readings are kept (the requirements' retention policy).
pub const RETENTION: chrono::Duration = chrono::Duration::days(90);

type Sample = (&'static str, f64, Option<&'static str>);

fn reading(time: DateTime<Utc>, device_id: Uuid, user_id: Uuid, (kind, value, unit): Sample) -> Reading {
    Reading { time, device_id, user_id, reading_type: kind.into(), value, unit: unit.map(Into::into) }
}

/// Stores the readings that events carry.
pub async fn on_events(ctx: &ReadingsCtx, events: Vec<Event>) -> Result<(), FnError> {
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
pub async fn on_heartbeats(ctx: &ReadingsCtx, heartbeats: Vec<Heartbeat>) -> Result<(), FnError> {
    let readings: Vec<Reading> = heartbeats
        .iter()
        .flat_map(|h| heartbeat_readings(h).into_iter().map(|s| reading(h.timestamp, h.device_id, h.user_id, s)))
        .collect();
    if !readings.is_empty() {
        ctx.readings.append(&readings).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use homeguard_domain::EventType;
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_ports::ReadingQuery;
    use homeguard_runtime::Holds;

    #[tokio::test]
    async fn numbers_become_time_series_once() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = ReadingsCtx::from_ctx(&ctx);
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
