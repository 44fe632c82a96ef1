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

use crate::context::Ctx;
use crate::error::FnError;

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
pub fn route<T, F, Fut>(handler: F) -> MethodRouter<Arc<Ctx>>
where
    T: DeserializeOwned + Send + 'static,
    F: Fn(Arc<Ctx>, Envelope<T>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), FnError>> + Send + 'static,
{
    post(move |State(ctx): State<Arc<Ctx>>, headers: http::HeaderMap, body: Bytes| {
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
