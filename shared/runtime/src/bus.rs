//! Helpers between the domain's messages and the bus: what each message is
//! keyed and identified by, and decoding deliveries for a handler.

use homeguard_domain::{CommandMessage, Event, Heartbeat, Topic};
use homeguard_ports::{Delivery, OutMessage};
use serde::de::DeserializeOwned;

use crate::error::FnError;

fn out(topic: Topic, key: uuid::Uuid, id: uuid::Uuid, value: &impl serde::Serialize) -> Result<OutMessage, FnError> {
    Ok(OutMessage { topic, key, id, payload: serde_json::to_string(value).map_err(FnError::internal)? })
}

/// A device event on `device.events`, keyed by its device, identified by its event id.
pub fn event_message(e: &Event) -> Result<OutMessage, FnError> {
    out(Topic::DeviceEvents, e.device_id, e.event_id, e)
}

/// A heartbeat on `device.heartbeats`.
pub fn heartbeat_message(h: &Heartbeat) -> Result<OutMessage, FnError> {
    out(Topic::DeviceHeartbeats, h.device_id, h.heartbeat_id, h)
}

/// A command on `device.commands`.
pub fn command_message(c: &CommandMessage) -> Result<OutMessage, FnError> {
    out(Topic::DeviceCommands, c.device_id, c.command_id, c)
}

/// Decodes deliveries for a handler. A message that does not decode can
/// never be handled: it is logged and skipped rather than blocking its topic.
pub fn decode<T: DeserializeOwned>(deliveries: &[Delivery]) -> Vec<T> {
    deliveries
        .iter()
        .filter_map(|d| match serde_json::from_str(&d.payload) {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!(topic = %d.topic, offset = d.offset, id = %d.id, error = %e, "skipping a message that does not decode");
                None
            }
        })
        .collect()
}
