//! The ingest function (the requirements' Device Ingest Service): devices
//! post events and heartbeats, users send commands; each is validated,
//! published durably to its topic, and only then acknowledged with 202.
//! The rules live in [`homeguard_usecases::ingest`] and
//! [`homeguard_usecases::commands`]; this is their HTTP face.
//!
//! Devices authenticate with the key issued when they were registered
//! (`X-Device-Key`); an admin token may post for any device. It is also the
//! dead-letter sink of the KafkaSources.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use homeguard_domain::{Device, ErrorCode};
use homeguard_runtime::extract::{Json, Path};
use homeguard_runtime::{Caller, FnError, Function, auth};
use homeguard_usecases::commands::{self, CommandInput};
use homeguard_usecases::ingest::{self, Poster, Report};
use serde_json::{Value, json};
use uuid::Uuid;

homeguard_runtime::holds! {
    /// What ingest holds: the registry (device keys, owners and types), the
    /// bus it publishes to, and sessions (admins post with a token).
    pub struct IngestCtx { devices, bus, sessions }
}

/// The function: `POST /ingest/events`, `POST /ingest/heartbeats`,
/// `POST /devices/{id}/command`, and the KafkaSources' dead-letter sink.
pub fn function() -> Function<IngestCtx> {
    Function::new(env!("CARGO_PKG_NAME"), "Event, heartbeat and command ingest")
        .always_on()
        .routes(routes)
        .dead_letters()
}

/// How long a device key stays known to ingest after it was looked up. A
/// device posts many times a second under load, so this saves a registry
/// query per post; it is also the longest a rotated or deleted device's old
/// key can keep posting to an instance that saw it just before.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);
const KEY_CACHE_MAX: usize = 100_000;

static KEY_CACHE: LazyLock<Mutex<HashMap<String, (Device, Instant)>>> = LazyLock::new(Mutex::default);

async fn device_by_key(ctx: &IngestCtx, key: &str) -> Result<Option<Device>, FnError> {
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
pub async fn poster(ctx: &IngestCtx, headers: &HeaderMap) -> Result<Poster, FnError> {
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

/// Answers a single item with its own status (its error, when refused), a
/// batch with 202 and every item's outcome unless every item was refused.
pub fn answer(report: Report, batch: bool) -> Result<(StatusCode, axum::Json<Value>), FnError> {
    if !batch && let Some(outcome) = report.outcomes.first() {
        let single = outcome.clone().single()?;
        return Ok((StatusCode::ACCEPTED, axum::Json(serde_json::to_value(single).map_err(FnError::internal)?)));
    }
    let body = serde_json::to_value(&report).map_err(FnError::internal)?;
    if report.rejected() == report.outcomes.len() {
        return Err(FnError::new(ErrorCode::ValidationError, "Every item of the batch was rejected")
            .with_details(json!({ "results": body["results"] })));
    }
    Ok((StatusCode::ACCEPTED, axum::Json(body)))
}

type S = State<Arc<IngestCtx>>;

fn routes(_: &Arc<IngestCtx>) -> Router<Arc<IngestCtx>> {
    Router::new()
        .route(
            "/ingest/events",
            post(|State(ctx): S, headers: HeaderMap, Json(body): Json<Value>| async move {
                let poster = poster(&ctx, &headers).await?;
                let (items, batch) = ingest::items(body)?;
                answer(ingest::post_events(&*ctx, &poster, items).await?, batch)
            }),
        )
        .route(
            "/ingest/heartbeats",
            post(|State(ctx): S, headers: HeaderMap, Json(body): Json<Value>| async move {
                let poster = poster(&ctx, &headers).await?;
                let (items, batch) = ingest::items(body)?;
                answer(ingest::post_heartbeats(&*ctx, &poster, items).await?, batch)
            }),
        )
        .route(
            "/devices/{id}/command",
            post(|State(ctx): S, caller: Caller, Path(id): Path<Uuid>, Json(input): Json<CommandInput>| async move {
                commands::send(&*ctx, &caller, id, input).await.map(|o| (StatusCode::ACCEPTED, axum::Json(o)))
            }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use homeguard_domain::Topic;
    use homeguard_runtime::Declared;
    use homeguard_usecases::ingest::Outcome;
    use tower::ServiceExt;

    fn server(ctx: &Arc<homeguard_runtime::Ctx>) -> Router {
        function().server(ctx)
    }

    /// A single item is answered with its own outcome (a refusal with its
    /// own error and status); a batch with every outcome, unless all failed.
    #[test]
    fn single_items_answer_for_themselves_and_batches_for_all() {
        let id = Uuid::now_v7();
        let refused = FnError::device_not_found(id);
        let one = |o: Outcome| Report { outcomes: vec![o] };
        let (status, body) = answer(one(Outcome::Duplicate(id)), false).unwrap();
        assert_eq!((status, body.0["status"].as_str()), (StatusCode::ACCEPTED, Some("duplicate")));
        assert_eq!(answer(one(Outcome::Rejected(refused.clone())), false).unwrap_err(), refused);
        let mixed = Report { outcomes: vec![Outcome::Accepted(id), Outcome::Rejected(refused.clone())] };
        let (_, body) = answer(mixed, true).unwrap();
        assert_eq!((body.0["accepted"].as_u64(), body.0["rejected"].as_u64()), (Some(1), Some(1)));
        let all_bad = answer(Report { outcomes: vec![Outcome::Rejected(refused)] }, true).unwrap_err();
        assert_eq!(all_bad.code, ErrorCode::ValidationError);
        assert_eq!(all_bad.details["results"][0]["error"]["code"], "DEVICE_NOT_FOUND");
    }

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
        let res = server(&ctx).oneshot(post("/ce/dead-letters/device.events/event-store", ce.to_string())).await;
        assert_eq!(res.unwrap().status(), StatusCode::ACCEPTED);

        let letters = ctx.bus.dead_letters(Topic::DeviceEvents, 10).await.unwrap();
        assert_eq!(letters.len(), 1);
        let l = &letters[0];
        assert_eq!((l.consumer.as_str(), l.message.id, l.message.key), ("event-store", id, device));
        assert_eq!(l.message.offset, 41);
        assert!(l.reason.contains("HTTP 400") && l.reason.contains("VALIDATION_ERROR"), "{}", l.reason);
        assert!(l.reason.contains("hg-fn-events"), "{}", l.reason);
        assert_eq!(serde_json::from_str::<Value>(&l.message.payload).unwrap()["event_type"], "door_open");

        let unknown = server(&ctx).oneshot(post("/ce/dead-letters/device.nope/event-store", ce.to_string())).await;
        assert_eq!(unknown.unwrap().status(), StatusCode::NOT_FOUND);
        let garbage = server(&ctx).oneshot(post("/ce/dead-letters/device.events/event-store", "{".into())).await;
        assert_eq!(garbage.unwrap().status(), StatusCode::BAD_REQUEST);
    }
}
