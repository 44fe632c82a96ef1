//! The CloudEvents adapter: a handler exposed the way Knative Eventing
//! (KafkaSource, Broker Trigger) delivers events over HTTP, in binary or
//! structured mode.
//!
//! Answers: 2xx when the event was handled (or was a duplicate), 4xx when
//! it can never be handled (so it is not redelivered), 5xx when a retry may
//! succeed (so the platform redelivers).

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use chrono::{DateTime, Utc};
use cloudevents::event::Data;
use cloudevents::{AttributesReader, Event};
use homeguard_domain::ErrorCode;
use serde::de::DeserializeOwned;

use crate::error::FnError;
use crate::ports::{HasBus, Holds};

/// A decoded CloudEvent: its attributes and its typed data.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<T> {
    pub id: String,
    pub ty: String,
    pub source: String,
    pub subject: Option<String>,
    pub time: Option<DateTime<Utc>>,
    pub data: T,
}

/// Decodes a CloudEvent (binary or structured mode) from an HTTP request.
pub fn decode<T: DeserializeOwned>(headers: &http::HeaderMap, body: Bytes) -> Result<Envelope<T>, FnError> {
    let event: Event = cloudevents::binding::http::to_event(headers, body.to_vec())
        .map_err(|e| FnError::malformed(format!("Not a CloudEvent: {e}")))?;
    let data = match event.data() {
        Some(Data::Json(v)) => serde_json::from_value(v.clone()),
        Some(Data::Binary(b)) => serde_json::from_slice(b),
        Some(Data::String(s)) => serde_json::from_str(s),
        None => return Err(FnError::malformed("The CloudEvent carries no data")),
    }
    .map_err(|e| FnError::new(ErrorCode::ValidationError, format!("The CloudEvent's data has the wrong shape: {e}")))?;
    Ok(Envelope {
        id: event.id().to_owned(),
        ty: event.ty().to_owned(),
        source: event.source().to_string(),
        subject: event.subject().map(str::to_owned),
        time: event.time().copied(),
        data,
    })
}

/// The answer to a delivery: 202 when handled, the error body otherwise with
/// a status that tells the platform whether to redeliver.
pub fn respond(result: Result<(), FnError>) -> Response {
    match result {
        Ok(()) => http::StatusCode::ACCEPTED.into_response(),
        Err(e) => {
            let status = if e.retryable { http::StatusCode::SERVICE_UNAVAILABLE } else { e.status() };
            (status, axum::Json(e.body())).into_response()
        }
    }
}

/// A POST route that decodes CloudEvents carrying `T` and hands them to `handler`.
pub fn route<S, T, F, Fut>(handler: F) -> MethodRouter<Arc<S>>
where
    S: Send + Sync + 'static,
    T: DeserializeOwned + Send + 'static,
    F: Fn(Arc<S>, Envelope<T>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), FnError>> + Send + 'static,
{
    post(move |State(ctx): State<Arc<S>>, headers: http::HeaderMap, body: Bytes| {
        let handler = handler.clone();
        async move {
            match decode::<T>(&headers, body) {
                Ok(envelope) => respond(handler(ctx, envelope).await),
                Err(e) => respond(Err(e)),
            }
        }
    })
}

/// The CloudEvent a device event travels as: type per event type, source per
/// device, id = event id, subject = device id, time = event time.
pub fn for_event(e: &homeguard_domain::Event) -> Result<Event, FnError> {
    use cloudevents::EventBuilder;
    cloudevents::EventBuilderV10::new()
        .id(e.event_id.to_string())
        .ty(format!("{}.{}", homeguard_domain::Topic::DeviceEvents.cloudevent_type(), e.event_type.as_str()))
        .source(format!("/devices/{}", e.device_id))
        .subject(e.device_id.to_string())
        .time(e.timestamp)
        .data("application/json", serde_json::to_value(e).map_err(FnError::internal)?)
        .build()
        .map_err(FnError::internal)
}

/// The CloudEvent of any bus delivery (Knative's KafkaSource does the same
/// for Kafka records): type per topic, source per device key, id = message id.
pub fn for_delivery(d: &homeguard_ports::Delivery) -> Result<Event, FnError> {
    use cloudevents::EventBuilder;
    let data: serde_json::Value = serde_json::from_str(&d.payload).map_err(FnError::internal)?;
    cloudevents::EventBuilderV10::new()
        .id(d.id.to_string())
        .ty(d.topic.cloudevent_type())
        .source(format!("/devices/{}", d.key))
        .subject(d.key.to_string())
        .time(d.published_at)
        .data("application/json", data)
        .build()
        .map_err(FnError::internal)
}

/// Where Knative sends what a function could not handle: the KafkaSource
/// of `topic` for `consumer` names this route (with both in the path) as
/// its dead-letter sink, and the message goes to the bus's dead letters with
/// the reason Knative gives (`knativeerrorcode`, `knativeerrordata`,
/// `knativeerrordest`), as the local host's consumers do for their own.
/// Kafka's coordinates come from what KafkaSource puts in the event where
/// present (the `key` extension, `partition:P#O` as subject, the `id` header
/// as `kafkaheaderid`), else from the payload.
pub fn dead_letter_route<S: HasBus + Holds>() -> MethodRouter<Arc<S>> {
    post(
        |State(ctx): State<Arc<S>>,
         axum::extract::Path((topic, consumer)): axum::extract::Path<(String, String)>,
         headers: http::HeaderMap,
         body: Bytes| async move { respond(dead_letter(&*ctx, &topic, &consumer, &headers, body).await) },
    )
}

/// Where the dead-letter sink is served.
pub const DEAD_LETTER_PATH: &str = "/ce/dead-letters/{topic}/{consumer}";

async fn dead_letter(
    ctx: &impl HasBus,
    topic: &str,
    consumer: &str,
    headers: &http::HeaderMap,
    body: Bytes,
) -> Result<(), FnError> {
    use base64::Engine as _;
    let topic = homeguard_domain::Topic::parse(topic)
        .ok_or_else(|| FnError::new(ErrorCode::NotFound, format!("No topic '{topic}'")))?;
    if consumer.is_empty() || consumer.len() > 63 || !consumer.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(FnError::new(ErrorCode::ValidationError, format!("Not a consumer name: '{consumer}'")));
    }
    let event: Event = cloudevents::binding::http::to_event(headers, body.to_vec())
        .map_err(|e| FnError::malformed(format!("Not a CloudEvent: {e}")))?;
    let payload = match event.data() {
        Some(Data::Json(v)) => v.to_string(),
        Some(Data::Binary(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(Data::String(s)) => s.clone(),
        None => String::new(),
    };
    let ext = |name: &str| event.extension(name).map(|v| v.to_string());
    let json: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
    let field = |names: &[&str]| names.iter().find_map(|n| json.get(*n).and_then(|v| v.as_str()).map(str::to_owned));
    let uuid = |s: Option<String>| s.and_then(|s| uuid::Uuid::parse_str(&s).ok());
    let id = uuid(ext("kafkaheaderid"))
        .or_else(|| uuid(field(&["event_id", "heartbeat_id", "command_id"])))
        .or_else(|| uuid(Some(event.id().to_owned())))
        .unwrap_or_else(|| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, event.id().as_bytes()));
    let key = uuid(ext("key")).or_else(|| uuid(field(&["device_id"]))).unwrap_or_default();
    let (partition, offset) = event
        .subject()
        .and_then(|s| s.strip_prefix("partition:"))
        .and_then(|s| s.split_once('#'))
        .and_then(|(p, o)| Some((p.parse().ok()?, o.parse().ok()?)))
        .unwrap_or((-1, -1));
    let data = ext("knativeerrordata")
        .map(|d| match base64::engine::general_purpose::STANDARD.decode(&d) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(_) => d,
        })
        .unwrap_or_default();
    let mut reason = format!(
        "delivery to {} failed with {}",
        ext("knativeerrordest").unwrap_or_else(|| "the function".into()),
        ext("knativeerrorcode").map_or_else(|| "an error".to_owned(), |c| format!("HTTP {c}"))
    );
    if !data.is_empty() {
        reason.push_str(": ");
        reason.extend(data.chars().take(1000));
    }
    let message = homeguard_ports::Delivery {
        topic,
        key,
        id,
        payload: payload.into(),
        partition,
        offset,
        published_at: event.time().copied().unwrap_or_else(Utc::now),
    };
    tracing::error!(consumer, topic = %topic, id = %id, reason, "setting aside a message Knative could not deliver");
    ctx.bus().dead_letter(consumer, &message, &reason).await?;
    Ok(())
}
