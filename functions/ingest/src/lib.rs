//! The ingest function (the requirements' Device Ingest Service): devices
//! post events and heartbeats, users send commands; each is validated,
//! published durably to its topic, and only then acknowledged with 202.
//!
//! Devices authenticate with the key issued when they were registered
//! (`X-Device-Key`); an admin token may post for any device.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, SubsecRound, Utc};
use homeguard_domain::{CommandMessage, Device, DeviceCommand, DomainError, ErrorCode, Event, EventType, Heartbeat};
use homeguard_ports::{OutMessage, Published};
use homeguard_runtime::extract::{Json, Path};
use homeguard_runtime::{Caller, Ctx, FnError, auth, bus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

pub const SERVICE: &str = "device-ingest-service";

/// The ports this function depends on (its readiness checks them; the
/// production backends of the others are never connected).
pub const USES: &[homeguard_runtime::http::Port] = {
    use homeguard_runtime::http::Port;
    &[Port::Devices, Port::State, Port::Bus]
};

/// The most items one batch may hold.
pub const MAX_BATCH: usize = 1000;

/// Who is posting: one device (by its key), or an admin for any device.
#[derive(Debug, Clone)]
pub enum Poster {
    Device(Device),
    Admin(Caller),
    /// An in-process producer (the simulator, the scenario engine), posting
    /// for any device; never reachable from a request.
    System(&'static str),
}

/// How long a device key stays known to ingest after it was looked up. A
/// device posts many times a second under load, so this saves a registry
/// query per post; it is also the longest a rotated or deleted device's old
/// key can keep posting to an instance that saw it just before.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);
const KEY_CACHE_MAX: usize = 100_000;

static KEY_CACHE: LazyLock<Mutex<HashMap<String, (Device, Instant)>>> = LazyLock::new(Mutex::default);

async fn device_by_key(ctx: &Ctx, key: &str) -> Result<Option<Device>, FnError> {
    let hash = auth::token_hash(key);
    {
        let cache = KEY_CACHE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((device, at)) = cache.get(&hash)
            && at.elapsed() < KEY_CACHE_TTL
        {
            return Ok(Some(device.clone()));
        }
    }
    let found = ctx.devices.find_by_key_hash(&hash).await?;
    let mut cache = KEY_CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() >= KEY_CACHE_MAX {
        cache.retain(|_, (_, at)| at.elapsed() < KEY_CACHE_TTL);
        if cache.len() >= KEY_CACHE_MAX {
            cache.clear();
        }
    }
    match &found {
        Some(device) => cache.insert(hash, (device.clone(), Instant::now())),
        None => cache.remove(&hash),
    };
    Ok(found)
}

/// Authenticates a poster from `X-Device-Key` or an admin bearer token.
pub async fn poster(ctx: &Ctx, headers: &HeaderMap) -> Result<Poster, FnError> {
    if let Some(key) = headers.get("x-device-key") {
        let key = key.to_str().map_err(|_| FnError::unauthorized("Malformed X-Device-Key header"))?;
        return match device_by_key(ctx, key.trim()).await? {
            Some(device) => Ok(Poster::Device(device)),
            None => Err(FnError::unauthorized("Unknown device key")),
        };
    }
    let token = auth::bearer_token(headers)
        .map_err(|_| FnError::unauthorized("Send the device's key in X-Device-Key, or an admin bearer token"))?;
    let caller = auth::authenticate(ctx, token).await?;
    if !caller.is_admin() {
        return Err(FnError::forbidden("Only devices (X-Device-Key) and admins may post to ingest"));
    }
    Ok(Poster::Admin(caller))
}

/// Resolves the device an item names, as the poster may post for it.
struct Devices<'a> {
    ctx: &'a Ctx,
    poster: &'a Poster,
    cache: HashMap<Uuid, Option<Device>>,
}

impl Devices<'_> {
    async fn resolve(&mut self, id: Uuid) -> Result<Device, FnError> {
        match self.poster {
            Poster::Device(d) if d.device_id == id => Ok(d.clone()),
            Poster::Device(d) => Err(FnError::forbidden(format!(
                "This key belongs to device {}; it cannot post for device {id}",
                d.device_id
            ))),
            Poster::Admin(_) | Poster::System(_) => {
                if !self.cache.contains_key(&id) {
                    let found = self.ctx.devices.get(id).await?;
                    self.cache.insert(id, found);
                }
                self.cache[&id].clone().ok_or_else(|| FnError::device_not_found(id))
            }
        }
    }
}

/// An event as a device posts it: the event schema, where the event id,
/// user id, timestamp, payload and metadata may be left for ingest to fill.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingEvent {
    #[serde(default)]
    pub event_id: Option<Uuid>,
    pub device_id: Uuid,
    #[serde(default)]
    pub user_id: Option<Uuid>,
    pub event_type: String,
    #[serde(default)]
    pub payload: Option<Map<String, Value>>,
    #[serde(default)]
    pub timestamp: Option<DateTime<Utc>>,
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

/// A heartbeat as a device posts it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingHeartbeat {
    pub device_id: Uuid,
    #[serde(default)]
    pub timestamp: Option<DateTime<Utc>>,
    #[serde(default)]
    pub battery: Option<f64>,
    #[serde(default)]
    pub signal_strength: Option<i32>,
    #[serde(default)]
    pub firmware_version: Option<String>,
}

/// What became of one posted item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemResult {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

/// The answer to a post: counts, and one result per item.
#[derive(Debug, Clone, Serialize)]
pub struct IngestOutput {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub results: Vec<ItemResult>,
}

fn error_value(e: &FnError) -> Value {
    json!({ "code": e.code, "message": e.message, "details": e.details })
}

/// Turns one posted event into a validated domain event.
async fn validate_event(devices: &mut Devices<'_>, raw: Value, now: DateTime<Utc>) -> Result<Event, FnError> {
    let item: IncomingEvent = serde_json::from_value(raw).map_err(|e| {
        FnError::new(ErrorCode::ValidationError, format!("The event does not have the expected shape: {e}"))
    })?;
    let device = devices.resolve(item.device_id).await?;
    if item.user_id.is_some_and(|u| u != device.user_id) {
        return Err(FnError::invalid("user_id", "does not own this device"));
    }
    let event = Event {
        event_id: item.event_id.unwrap_or_else(Uuid::now_v7),
        device_id: device.device_id,
        user_id: device.user_id,
        event_type: EventType::parse(&item.event_type)?,
        payload: item.payload.unwrap_or_default(),
        timestamp: item.timestamp.unwrap_or(now).trunc_subsecs(3),
        metadata: item.metadata.unwrap_or_default(),
    };
    event.validate(device.device_type, now)?;
    Ok(event)
}

async fn validate_heartbeat(devices: &mut Devices<'_>, raw: Value, now: DateTime<Utc>) -> Result<Heartbeat, FnError> {
    let item: IncomingHeartbeat = serde_json::from_value(raw).map_err(|e| {
        FnError::new(ErrorCode::ValidationError, format!("The heartbeat does not have the expected shape: {e}"))
    })?;
    let device = devices.resolve(item.device_id).await?;
    let hb = Heartbeat {
        heartbeat_id: Uuid::now_v7(),
        device_id: device.device_id,
        user_id: device.user_id,
        timestamp: item.timestamp.unwrap_or(now).trunc_subsecs(3),
        battery: item.battery,
        signal_strength: item.signal_strength,
        firmware_version: item.firmware_version,
    };
    hb.validate(now)?;
    Ok(hb)
}

/// One posted item or many: a JSON array is a batch.
fn items(body: Value) -> Result<(Vec<Value>, bool), FnError> {
    match body {
        Value::Array(items) if items.is_empty() => Err(FnError::invalid("body", "the batch is empty")),
        Value::Array(items) if items.len() > MAX_BATCH => {
            Err(FnError::invalid("body", format!("a batch holds at most {MAX_BATCH} items")))
        }
        Value::Array(items) => Ok((items, true)),
        Value::Object(_) => Ok((vec![body], false)),
        _ => Err(FnError::invalid("body", "must be an object or an array of objects")),
    }
}

/// Gathers per-item outcomes, then publishes the valid items in one durable
/// append and reports per item.
#[derive(Default)]
struct Collector {
    results: Vec<ItemResult>,
    out: Vec<OutMessage>,
    slots: Vec<usize>,
}

impl Collector {
    /// Records one item; a failure of the platform itself (not of the item)
    /// fails the whole request, so that the sender retries it.
    fn push(&mut self, index: usize, item: Result<(Uuid, OutMessage), FnError>) -> Result<(), FnError> {
        match item {
            Ok((id, msg)) => {
                self.slots.push(self.results.len());
                self.out.push(msg);
                self.results.push(ItemResult { index, id: Some(id), status: "accepted", error: None });
            }
            Err(e) if e.code == ErrorCode::ServiceUnavailable || e.code == ErrorCode::InternalError => return Err(e),
            Err(e) => {
                self.results.push(ItemResult { index, id: None, status: "rejected", error: Some(error_value(&e)) })
            }
        }
        Ok(())
    }

    async fn finish(mut self, ctx: &Ctx) -> Result<IngestOutput, FnError> {
        let published = ctx.bus.publish(std::mem::take(&mut self.out)).await?;
        for (slot, p) in self.slots.iter().zip(published) {
            if p == Published::Duplicate {
                self.results[*slot].status = "duplicate";
            }
        }
        let count = |s: &str| self.results.iter().filter(|r| r.status == s).count();
        Ok(IngestOutput {
            accepted: count("accepted"),
            duplicates: count("duplicate"),
            rejected: count("rejected"),
            results: self.results,
        })
    }
}

/// Answers a single item with its own status, a batch with 202 unless every
/// item was rejected.
pub fn answer(out: IngestOutput, batch: bool) -> Result<(StatusCode, axum::Json<Value>), FnError> {
    if !batch && let Some(r) = out.results.first() {
        if let Some(err) = &r.error {
            let code: ErrorCode = serde_json::from_value(err["code"].clone()).unwrap_or(ErrorCode::ValidationError);
            let message = err["message"].as_str().unwrap_or("rejected").to_owned();
            return Err(FnError::new(code, message).with_details(err["details"].clone()));
        }
        return Ok((StatusCode::ACCEPTED, axum::Json(json!({ "id": r.id, "status": r.status }))));
    }
    if out.rejected == out.results.len() {
        return Err(FnError::new(ErrorCode::ValidationError, "Every item of the batch was rejected")
            .with_details(json!({ "results": out.results })));
    }
    Ok((StatusCode::ACCEPTED, axum::Json(serde_json::to_value(out).map_err(FnError::internal)?)))
}

/// `POST /ingest/events`.
pub async fn ingest_events(ctx: &Ctx, poster: &Poster, body: Value) -> Result<(IngestOutput, bool), FnError> {
    let (raw, batch) = items(body)?;
    let now = ctx.clock.now();
    let mut devices = Devices { ctx, poster, cache: HashMap::new() };
    let mut collector = Collector::default();
    for (index, item) in raw.into_iter().enumerate() {
        let event = validate_event(&mut devices, item, now).await;
        collector.push(index, event.and_then(|e| Ok((e.event_id, bus::event_message(&e)?))))?;
    }
    let out = collector.finish(ctx).await?;
    tracing::debug!(accepted = out.accepted, duplicates = out.duplicates, rejected = out.rejected, "events ingested");
    Ok((out, batch))
}

/// `POST /ingest/heartbeats`.
pub async fn ingest_heartbeats(ctx: &Ctx, poster: &Poster, body: Value) -> Result<(IngestOutput, bool), FnError> {
    let (raw, batch) = items(body)?;
    let now = ctx.clock.now();
    let mut devices = Devices { ctx, poster, cache: HashMap::new() };
    let mut collector = Collector::default();
    for (index, item) in raw.into_iter().enumerate() {
        let hb = validate_heartbeat(&mut devices, item, now).await;
        collector.push(index, hb.and_then(|h| Ok((h.heartbeat_id, bus::heartbeat_message(&h)?))))?;
    }
    Ok((collector.finish(ctx).await?, batch))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandInput {
    pub command: String,
    #[serde(default)]
    pub parameters: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommandOutput {
    pub command_id: Uuid,
    pub device_id: Uuid,
    pub command: String,
    pub status: &'static str,
}

/// `POST /devices/{id}/command`: checks ownership and that the device's type
/// takes the command, then queues it on `device.commands`.
pub async fn send_command(
    ctx: &Ctx,
    caller: &Caller,
    device_id: Uuid,
    input: CommandInput,
) -> Result<CommandOutput, FnError> {
    let device = match ctx.devices.get(device_id).await? {
        Some(d) if caller.can_access(d.user_id) => d,
        _ => return Err(DomainError::device_not_found(device_id).into()),
    };
    let cmd = DeviceCommand::parse(device.device_type, input.command.trim(), &input.parameters)?;
    let msg = CommandMessage::new(Uuid::now_v7(), device_id, device.user_id, caller.user_id, &cmd, ctx.clock.now());
    ctx.bus.publish(vec![bus::command_message(&msg)?]).await?;
    tracing::info!(device_id = %device_id, command = cmd.name(), command_id = %msg.command_id, "command queued");
    Ok(CommandOutput { command_id: msg.command_id, device_id, command: msg.command, status: "queued" })
}

type S = State<Arc<Ctx>>;

pub fn router(ctx: &Arc<Ctx>) -> Router {
    let routes = Router::new()
        .route(
            "/ingest/events",
            post(|State(ctx): S, headers: HeaderMap, Json(body): Json<Value>| async move {
                let poster = poster(&ctx, &headers).await?;
                let (out, batch) = ingest_events(&ctx, &poster, body).await?;
                answer(out, batch)
            }),
        )
        .route(
            "/ingest/heartbeats",
            post(|State(ctx): S, headers: HeaderMap, Json(body): Json<Value>| async move {
                let poster = poster(&ctx, &headers).await?;
                let (out, batch) = ingest_heartbeats(&ctx, &poster, body).await?;
                answer(out, batch)
            }),
        )
        .route(
            "/devices/{id}/command",
            post(|State(ctx): S, caller: Caller, Path(id): Path<Uuid>, Json(input): Json<CommandInput>| async move {
                send_command(&ctx, &caller, id, input).await.map(|o| (StatusCode::ACCEPTED, axum::Json(o)))
            }),
        );
    homeguard_runtime::http::mount(SERVICE, ctx, routes)
}

/// Where Knative's KafkaSources send what a function could never handle
/// (their dead-letter sink): on to the bus's dead-letter topic, with the reason.
pub fn cloudevents_router(ctx: &Arc<Ctx>) -> Router {
    let routes =
        Router::new().route("/ce/dead-letters/{topic}/{consumer}", homeguard_runtime::cloudevents::dead_letter_route());
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
    use axum::http::Request;
    use homeguard_domain::Topic;
    use tower::ServiceExt;

    /// What a KafkaSource sends its dead-letter sink after the function
    /// refused an event: the original event plus Knative's error attributes.
    #[tokio::test]
    async fn knative_dead_letters_reach_the_dead_letter_topic_with_the_reason() {
        let tmp = tempfile::tempdir().unwrap();
        let (_dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        let (id, device) = (Uuid::new_v4(), Uuid::new_v4());
        let ce = json!({
            "specversion": "1.0",
            "id": "partition:2/offset:41",
            "type": "dev.knative.kafka.event",
            "source": "/apis/v1/namespaces/homeguard-apps/kafkasources/device-events-to-event-store#device.events",
            "subject": "partition:2#41",
            "key": device.to_string(),
            "kafkaheaderid": id.to_string(),
            "knativeerrorcode": "400",
            "knativeerrordest": "http://hg-fn-events.homeguard-apps.svc.cluster.local/ce/device-events",
            "knativeerrordata": "eyJlcnJvciI6eyJjb2RlIjoiVkFMSURBVElPTl9FUlJPUiJ9fQ==",
            "datacontenttype": "application/json",
            "data": {"device_id": device, "event_type": "door_open"},
        });
        let post = |path: &str, body: String| {
            Request::post(path).header("content-type", "application/cloudevents+json").body(Body::from(body)).unwrap()
        };
        let res = service(&ctx).oneshot(post("/ce/dead-letters/device.events/event-store", ce.to_string())).await;
        assert_eq!(res.unwrap().status(), StatusCode::ACCEPTED);

        let letters = ctx.bus.dead_letters(Topic::DeviceEvents, 10).await.unwrap();
        assert_eq!(letters.len(), 1);
        let l = &letters[0];
        assert_eq!((l.consumer.as_str(), l.message.id, l.message.key), ("event-store", id, device));
        assert_eq!(l.message.offset, 41);
        assert!(l.reason.contains("HTTP 400") && l.reason.contains("VALIDATION_ERROR"), "{}", l.reason);
        assert!(l.reason.contains("hg-fn-events"), "{}", l.reason);
        assert_eq!(serde_json::from_str::<Value>(&l.message.payload).unwrap()["event_type"], "door_open");

        let unknown = service(&ctx).oneshot(post("/ce/dead-letters/device.nope/event-store", ce.to_string())).await;
        assert_eq!(unknown.unwrap().status(), StatusCode::NOT_FOUND);
        let garbage = service(&ctx).oneshot(post("/ce/dead-letters/device.events/event-store", "{".into())).await;
        assert_eq!(garbage.unwrap().status(), StatusCode::BAD_REQUEST);
    }
}
