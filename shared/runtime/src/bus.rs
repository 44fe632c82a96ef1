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

/// A change of a home's alarm on `home.alarm`, keyed by the home's user id.
pub fn alarm_message(user: uuid::Uuid, id: uuid::Uuid, value: &impl serde::Serialize) -> Result<OutMessage, FnError> {
    out(Topic::HomeAlarm, user, id, value)
}

/// A notification to deliver on `notifications`, keyed by its recipient.
pub fn notification_message(n: &homeguard_domain::notification::Notification) -> Result<OutMessage, FnError> {
    out(Topic::Notifications, n.user_id, n.id, n)
}

/// A command on `device.commands`.
pub fn command_message(c: &CommandMessage) -> Result<OutMessage, FnError> {
    out(Topic::DeviceCommands, c.device_id, c.command_id, c)
}

/// A message that could not be handed to its handler, and why.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub message: Delivery,
    pub reason: String,
}

/// Deliveries decoded for a handler, and those that do not decode.
#[derive(Debug)]
pub struct Decoded<T> {
    pub items: Vec<T>,
    pub rejected: Vec<Rejected>,
}

/// Decodes deliveries for a handler. A message that does not decode can
/// never be handled: it is returned as rejected (for the dead-letter topic)
/// rather than blocking its topic.
pub fn decode<T: DeserializeOwned>(deliveries: &[Delivery]) -> Decoded<T> {
    let mut out = Decoded { items: Vec::with_capacity(deliveries.len()), rejected: Vec::new() };
    for d in deliveries {
        match serde_json::from_str(&d.payload) {
            Ok(v) => out.items.push(v),
            Err(e) => out.rejected.push(Rejected { message: d.clone(), reason: format!("does not decode: {e}") }),
        }
    }
    out
}
