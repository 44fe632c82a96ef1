//! The readings function: keeps every number devices report (temperatures,
//! humidity, set points, battery levels, signal strength) as time series
//! in the reading store, for analytics, energy insights and battery
//! predictions. Idempotent: a reading is keyed by device, type and time.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use homeguard_domain::state::{heartbeat_readings, readings_of};
use homeguard_domain::{Event, Heartbeat, Topic};
use homeguard_ports::{Reading, ReadingQuery};
use homeguard_runtime::extract::{Path, Query};
use homeguard_runtime::{Caller, FnError, Function};
use homeguard_usecases::access;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What the readings function holds: the reading store, and the
    /// registry and sessions to check who may read a device's series.
    pub struct ReadingsCtx { readings, devices, sessions }
}

/// The function: the numbers of `device.events` and `device.heartbeats`;
/// `GET /devices/{id}/readings`.
pub fn function() -> Function<ReadingsCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Sensor readings as time series")
        .always_on()
        .routes(routes)
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

/// The most raw readings one answer holds.
pub const MAX_POINTS: usize = 10_000;
/// The longest window one query may span.
pub const MAX_WINDOW: chrono::Duration = chrono::Duration::days(31);

/// `GET /devices/{id}/readings`: one quantity of one device over a window
/// (default: the last 24 hours), raw or in hourly buckets.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesQuery {
    /// `temperature`, `humidity`, `battery`, `signal_strength`, `target_temperature`, ...
    #[serde(rename = "type")]
    pub reading_type: String,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// `raw` (default) or `hour`.
    pub resolution: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Point {
    pub time: DateTime<Utc>,
    pub value: f64,
}

#[derive(Debug, Serialize)]
pub struct Bucket {
    pub bucket: DateTime<Utc>,
    pub count: u64,
    pub avg: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Serialize)]
pub struct Series {
    pub device_id: Uuid,
    #[serde(rename = "type")]
    pub reading_type: String,
    pub unit: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub resolution: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<Vec<Point>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buckets: Option<Vec<Bucket>>,
}

pub async fn series(ctx: &ReadingsCtx, caller: &Caller, device_id: Uuid, q: SeriesQuery) -> Result<Series, FnError> {
    let device = access::device(ctx, caller, device_id).await?;
    let kind = q.reading_type.trim();
    if kind.is_empty() || kind.len() > 64 || !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return Err(FnError::invalid("type", "must name a reading, such as temperature or battery"));
    }
    let to = q.to.unwrap_or_else(|| ctx.clock.now());
    let from = q.from.unwrap_or(to - chrono::Duration::hours(24));
    if from >= to {
        return Err(FnError::invalid("from", "must be before to"));
    }
    if to - from > MAX_WINDOW {
        return Err(FnError::invalid("from", "the window spans at most 31 days"));
    }
    let query = ReadingQuery {
        user_id: device.user_id,
        device_id: Some(device_id),
        reading_type: Some(kind.to_owned()),
        from,
        to,
    };
    let mut out = Series {
        device_id,
        reading_type: kind.to_owned(),
        unit: None,
        from,
        to,
        resolution: "raw",
        points: None,
        buckets: None,
    };
    match q.resolution.as_deref().unwrap_or("raw") {
        "raw" => {
            let readings = ctx.readings.readings(&query, MAX_POINTS).await?;
            out.unit = readings.iter().find_map(|r| r.unit.clone());
            out.points = Some(readings.into_iter().map(|r| Point { time: r.time, value: r.value }).collect());
        }
        "hour" => {
            let rollups = ctx.readings.hourly(&query).await?;
            out.resolution = "hour";
            out.buckets = Some(
                rollups
                    .into_iter()
                    .map(|r| Bucket { bucket: r.bucket, count: r.count, avg: r.avg, min: r.min, max: r.max })
                    .collect(),
            );
        }
        _ => return Err(FnError::invalid("resolution", "must be raw or hour")),
    }
    Ok(out)
}

fn routes(_: &Arc<ReadingsCtx>) -> Router<Arc<ReadingsCtx>> {
    Router::new().route(
        "/devices/{id}/readings",
        get(
            |State(ctx): State<Arc<ReadingsCtx>>, c: Caller, Path(id): Path<Uuid>, Query(q): Query<SeriesQuery>| async move {
                series(&ctx, &c, id, q).await.map(axum::Json)
            },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use homeguard_domain::EventType;
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_domain::{ErrorCode, Role};
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

    #[tokio::test]
    async fn a_device_series_is_read_by_its_home_only_raw_or_hourly() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let ctx = ReadingsCtx::from_ctx(&ctx);
        let (john, thermostat) = (user_id("john@demo.com"), device_id("john@demo.com", "Hallway Thermostat"));
        let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3);
        let readings: Vec<Reading> = (0..3)
            .map(|i| Reading {
                time: now - chrono::Duration::minutes(10 * (3 - i)),
                device_id: thermostat,
                user_id: john,
                reading_type: "temperature".into(),
                value: 70.0 + i as f64,
                unit: Some("F".into()),
            })
            .collect();
        ctx.readings.append(&readings).await.unwrap();
        let caller = |email: &str, role| Caller {
            user_id: user_id(email),
            role,
            session_id: Uuid::new_v4(),
            expires_at: chrono::Utc::now(),
        };
        let q = |resolution: Option<&str>| SeriesQuery {
            reading_type: "temperature".into(),
            to: Some(now + chrono::Duration::minutes(1)),
            resolution: resolution.map(Into::into),
            ..Default::default()
        };
        let raw = series(&ctx, &caller("john@demo.com", Role::User), thermostat, q(None)).await.unwrap();
        let values: Vec<f64> = raw.points.unwrap().iter().map(|p| p.value).collect();
        assert_eq!((values, raw.unit.as_deref()), (vec![70.0, 71.0, 72.0], Some("F")));
        let hourly = series(&ctx, &caller("john@demo.com", Role::User), thermostat, q(Some("hour"))).await.unwrap();
        let buckets = hourly.buckets.unwrap();
        assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), 3);
        assert!(buckets.iter().all(|b| b.min >= 70.0 && b.max <= 72.0));

        let sarah = caller("sarah@demo.com", Role::User);
        assert_eq!(series(&ctx, &sarah, thermostat, q(None)).await.unwrap_err().code, ErrorCode::DeviceNotFound);
        let john = caller("john@demo.com", Role::User);
        let bad = SeriesQuery { reading_type: "DROP TABLE".into(), ..Default::default() };
        assert_eq!(series(&ctx, &john, thermostat, bad).await.unwrap_err().details["field"], "type");
        let wide = SeriesQuery { from: Some(now - chrono::Duration::days(40)), ..q(None) };
        assert_eq!(series(&ctx, &john, thermostat, wide).await.unwrap_err().details["field"], "from");
        let odd = q(Some("minute"));
        assert_eq!(series(&ctx, &john, thermostat, odd).await.unwrap_err().details["field"], "resolution");
    }
}
