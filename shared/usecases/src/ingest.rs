//! Posting events and heartbeats: each item is validated against its
//! device (which the poster must be allowed to post for), the valid ones
//! are published to their topic in one durable append, and each item gets
//! its outcome. Devices post through ingest's HTTP routes; the simulator
//! and the scenario engine post here directly, as [`Poster::System`].

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use homeguard_domain::{Device, Event, EventType, Heartbeat};
use homeguard_ports::{OutMessage, Published};
use homeguard_runtime::ports::{HasBus, HasDevices, Holds};
use homeguard_runtime::{Caller, FnError, bus};
use serde::de::DeserializeOwned;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

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

impl From<Event> for IncomingEvent {
    fn from(e: Event) -> Self {
        Self {
            event_id: Some(e.event_id),
            device_id: e.device_id,
            user_id: Some(e.user_id),
            event_type: e.event_type.as_str().to_owned(),
            payload: Some(e.payload),
            timestamp: Some(e.timestamp),
            metadata: Some(e.metadata),
        }
    }
}

/// A heartbeat as a device posts it.
#[derive(Debug, Clone, Default, Deserialize)]
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

/// A posted item: what it is called in messages, the device it names, and
/// how it becomes its topic's message once that device is known.
pub trait Incoming: DeserializeOwned {
    const WHAT: &'static str;

    fn device_id(&self) -> Uuid;

    /// Validates the item against its device as of `now`; its id and its
    /// bus message.
    fn accept(self, device: &Device, now: DateTime<Utc>) -> Result<(Uuid, OutMessage), FnError>;
}

impl Incoming for IncomingEvent {
    const WHAT: &'static str = "event";

    fn device_id(&self) -> Uuid {
        self.device_id
    }

    fn accept(self, device: &Device, now: DateTime<Utc>) -> Result<(Uuid, OutMessage), FnError> {
        if self.user_id.is_some_and(|u| u != device.user_id) {
            return Err(FnError::invalid("user_id", "does not own this device"));
        }
        let event = Event {
            event_id: self.event_id.unwrap_or_else(Uuid::now_v7),
            device_id: device.device_id,
            user_id: device.user_id,
            event_type: EventType::parse(&self.event_type)?,
            payload: self.payload.unwrap_or_default(),
            timestamp: self.timestamp.unwrap_or(now).trunc_subsecs(3),
            metadata: self.metadata.unwrap_or_default(),
        };
        event.validate(device.device_type, now)?;
        Ok((event.event_id, bus::event_message(&event)?))
    }
}

impl Incoming for IncomingHeartbeat {
    const WHAT: &'static str = "heartbeat";

    fn device_id(&self) -> Uuid {
        self.device_id
    }

    fn accept(self, device: &Device, now: DateTime<Utc>) -> Result<(Uuid, OutMessage), FnError> {
        let hb = Heartbeat {
            heartbeat_id: Uuid::now_v7(),
            device_id: device.device_id,
            user_id: device.user_id,
            timestamp: self.timestamp.unwrap_or(now).trunc_subsecs(3),
            battery: self.battery,
            signal_strength: self.signal_strength,
            firmware_version: self.firmware_version,
        };
        hb.validate(now)?;
        Ok((hb.heartbeat_id, bus::heartbeat_message(&hb)?))
    }
}

/// One posted item: what it says, or why it could not be read.
pub type Item<T> = Result<T, FnError>;

/// Reads one posted JSON item.
pub fn item<T: Incoming>(value: Value) -> Item<T> {
    serde_json::from_value(value)
        .map_err(|e| FnError::invalid_shape(format!("The {} does not have the expected shape: {e}", T::WHAT)))
}

/// One posted body: an object is one item, an array a batch (1 to
/// [`MAX_BATCH`] items). Returns the items and whether it was a batch.
pub fn items<T: Incoming>(body: Value) -> Result<(Vec<Item<T>>, bool), FnError> {
    match body {
        Value::Array(items) if items.is_empty() => Err(FnError::invalid("body", "the batch is empty")),
        Value::Array(items) if items.len() > MAX_BATCH => {
            Err(FnError::invalid("body", format!("a batch holds at most {MAX_BATCH} items")))
        }
        Value::Array(items) => Ok((items.into_iter().map(item).collect(), true)),
        Value::Object(_) => Ok((vec![item(body)], false)),
        _ => Err(FnError::invalid("body", "must be an object or an array of objects")),
    }
}

/// What became of one posted item.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Published (durable) under this id.
    Accepted(Uuid),
    /// Published before under this id; nothing new was stored.
    Duplicate(Uuid),
    /// Refused, and why.
    Rejected(FnError),
}

/// One item's answer, as the API gives it for a post of a single item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Single {
    pub id: Uuid,
    pub status: &'static str,
}

impl Outcome {
    /// The answer to a post of this one item: its id and status, or its error.
    pub fn single(self) -> Result<Single, FnError> {
        let status = self.status();
        match self {
            Self::Accepted(id) | Self::Duplicate(id) => Ok(Single { id, status }),
            Self::Rejected(e) => Err(e),
        }
    }

    pub fn status(&self) -> &'static str {
        match self {
            Self::Accepted(_) => "accepted",
            Self::Duplicate(_) => "duplicate",
            Self::Rejected(_) => "rejected",
        }
    }
}

/// Each item's outcome, in the order posted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
}

impl Report {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.outcomes.iter().filter(|o| f(o)).count()
    }

    pub fn accepted(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Accepted(_)))
    }

    pub fn duplicates(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Duplicate(_)))
    }

    pub fn rejected(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Rejected(_)))
    }

    /// The first refusal, if any.
    pub fn first_error(&self) -> Option<&FnError> {
        self.outcomes.iter().find_map(|o| match o {
            Outcome::Rejected(e) => Some(e),
            _ => None,
        })
    }
}

/// The API's answer to a batch: counts, and per item its index, id, status
/// and, when refused, the error's code, message and details.
impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let results: Vec<Value> = self
            .outcomes
            .iter()
            .enumerate()
            .map(|(index, o)| match o {
                Outcome::Accepted(id) | Outcome::Duplicate(id) => {
                    json!({ "index": index, "id": id, "status": o.status() })
                }
                Outcome::Rejected(e) => json!({
                    "index": index,
                    "status": o.status(),
                    "error": { "code": e.code, "message": e.message, "details": e.details },
                }),
            })
            .collect();
        let mut st = s.serialize_struct("Report", 4)?;
        st.serialize_field("accepted", &self.accepted())?;
        st.serialize_field("duplicates", &self.duplicates())?;
        st.serialize_field("rejected", &self.rejected())?;
        st.serialize_field("results", &results)?;
        st.end()
    }
}

/// Resolves the device an item names, as the poster may post for it.
struct Devices<'a, C> {
    ctx: &'a C,
    poster: &'a Poster,
    cache: HashMap<Uuid, Option<Device>>,
}

impl<C: HasDevices> Devices<'_, C> {
    async fn resolve(&mut self, id: Uuid) -> Result<Device, FnError> {
        match self.poster {
            Poster::Device(d) if d.device_id == id => Ok(d.clone()),
            Poster::Device(d) => Err(FnError::forbidden(format!(
                "This key belongs to device {}; it cannot post for device {id}",
                d.device_id
            ))),
            Poster::Admin(_) | Poster::System(_) => {
                if !self.cache.contains_key(&id) {
                    let found = self.ctx.devices().get(id).await?;
                    self.cache.insert(id, found);
                }
                self.cache[&id].clone().ok_or_else(|| FnError::device_not_found(id))
            }
        }
    }
}

/// Gathers per-item outcomes, then publishes the valid items in one durable
/// append.
#[derive(Default)]
struct Collector {
    outcomes: Vec<Outcome>,
    out: Vec<OutMessage>,
    slots: Vec<usize>,
}

impl Collector {
    /// Records one item; a failure of the platform itself (not of the item)
    /// fails the whole post, so that the sender retries it.
    fn push(&mut self, item: Result<(Uuid, OutMessage), FnError>) -> Result<(), FnError> {
        match item {
            Ok((id, msg)) => {
                self.slots.push(self.outcomes.len());
                self.out.push(msg);
                self.outcomes.push(Outcome::Accepted(id));
            }
            Err(e) if e.is_platform() => return Err(e),
            Err(e) => self.outcomes.push(Outcome::Rejected(e)),
        }
        Ok(())
    }

    async fn finish(mut self, ctx: &impl HasBus) -> Result<Report, FnError> {
        let published = ctx.bus().publish(std::mem::take(&mut self.out)).await?;
        for (slot, p) in self.slots.iter().zip(published) {
            if p == Published::Duplicate
                && let Outcome::Accepted(id) = self.outcomes[*slot]
            {
                self.outcomes[*slot] = Outcome::Duplicate(id);
            }
        }
        Ok(Report { outcomes: self.outcomes })
    }
}

/// Validates each item against the device it names (which the poster must
/// be allowed to post for) and publishes the valid ones to their topic in
/// one durable append; a failure of the platform fails the whole post.
pub async fn post<T: Incoming>(
    ctx: &(impl HasDevices + HasBus + Holds),
    poster: &Poster,
    items: Vec<Item<T>>,
) -> Result<Report, FnError> {
    let now = ctx.clock().now();
    let mut devices = Devices { ctx, poster, cache: HashMap::new() };
    let mut collector = Collector::default();
    for item in items {
        let accepted = async {
            let item = item?;
            let device = devices.resolve(item.device_id()).await?;
            item.accept(&device, now)
        };
        collector.push(accepted.await)?;
    }
    let report = collector.finish(ctx).await?;
    tracing::debug!(
        what = T::WHAT,
        accepted = report.accepted(),
        duplicates = report.duplicates(),
        rejected = report.rejected(),
        "ingested"
    );
    Ok(report)
}

/// Events, on `device.events`.
pub async fn post_events(
    ctx: &(impl HasDevices + HasBus + Holds),
    poster: &Poster,
    items: Vec<Item<IncomingEvent>>,
) -> Result<Report, FnError> {
    post(ctx, poster, items).await
}

/// Heartbeats, on `device.heartbeats`.
pub async fn post_heartbeats(
    ctx: &(impl HasDevices + HasBus + Holds),
    poster: &Poster,
    items: Vec<Item<IncomingHeartbeat>>,
) -> Result<Report, FnError> {
    post(ctx, poster, items).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use homeguard_domain::seed::{device_id, user_id};
    use homeguard_domain::{ErrorCode, Topic};
    use homeguard_runtime::Ctx;

    async fn ctx() -> (tempfile::TempDir, homeguard_wiring::DataDir, std::sync::Arc<Ctx>) {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
        (tmp, dir, ctx)
    }

    fn posted(v: Value) -> Vec<Item<IncomingEvent>> {
        items::<IncomingEvent>(v).unwrap().0
    }

    #[tokio::test]
    async fn each_item_gets_its_outcome_and_only_valid_ones_are_published() {
        let (_tmp, _dir, ctx) = ctx().await;
        let lock = device_id("john@demo.com", "Front Door Lock");
        let id = Uuid::now_v7();
        let body = json!([
            { "event_id": id, "device_id": lock, "event_type": "unlocked" },
            { "device_id": lock, "event_type": "temperature_reading" },
            { "device_id": lock, "event_type": "locked", "colour": "red" },
            { "device_id": Uuid::nil(), "event_type": "locked" },
            { "device_id": lock, "event_type": "locked", "user_id": user_id("sarah@demo.com") },
        ]);
        let report = post_events(&*ctx, &Poster::System("test"), posted(body.clone())).await.unwrap();
        let codes: Vec<_> = report
            .outcomes
            .iter()
            .map(|o| match o {
                Outcome::Rejected(e) => e.code.as_str(),
                o => o.status(),
            })
            .collect();
        assert_eq!(codes, ["accepted", "VALIDATION_ERROR", "VALIDATION_ERROR", "DEVICE_NOT_FOUND", "VALIDATION_ERROR"]);
        assert_eq!(report.outcomes[0], Outcome::Accepted(id));
        assert!(report.first_error().unwrap().message.contains("colour") || codes[2] == "VALIDATION_ERROR");
        let on_bus = ctx.bus.poll("test", Topic::DeviceEvents, 10, std::time::Duration::ZERO).await.unwrap();
        assert_eq!(on_bus.len(), 1);

        let again = post_events(&*ctx, &Poster::System("test"), posted(body)).await.unwrap();
        assert_eq!(again.outcomes[0], Outcome::Duplicate(id), "a redelivered event is told apart");
        assert_eq!((again.accepted(), again.duplicates(), again.rejected()), (0, 1, 4));
        let json = serde_json::to_value(&again).unwrap();
        assert_eq!(json["results"][1]["error"]["code"], "VALIDATION_ERROR");
        assert_eq!(json["results"][0]["status"], "duplicate");
    }

    #[tokio::test]
    async fn a_device_posts_only_for_itself() {
        let (_tmp, _dir, ctx) = ctx().await;
        let lock = device_id("john@demo.com", "Front Door Lock");
        let door = device_id("john@demo.com", "Garage Door");
        let device = ctx.devices.get(lock).await.unwrap().unwrap();
        let beats = vec![
            Ok(IncomingHeartbeat { device_id: lock, battery: Some(90.0), ..Default::default() }),
            Ok(IncomingHeartbeat { device_id: door, ..Default::default() }),
            Ok(IncomingHeartbeat { device_id: lock, battery: Some(120.0), ..Default::default() }),
        ];
        let report = post_heartbeats(&*ctx, &Poster::Device(device), beats).await.unwrap();
        assert!(matches!(report.outcomes[0], Outcome::Accepted(_)));
        assert!(matches!(&report.outcomes[1], Outcome::Rejected(e) if e.code == ErrorCode::Forbidden));
        assert!(matches!(&report.outcomes[2], Outcome::Rejected(e) if e.details["field"] == "battery"));
    }

    #[test]
    fn bodies_are_one_item_or_a_bounded_batch() {
        assert!(!items::<IncomingEvent>(json!({"device_id": Uuid::nil(), "event_type": "x"})).unwrap().1);
        assert!(items::<IncomingEvent>(json!([])).is_err());
        assert!(items::<IncomingEvent>(json!("event")).is_err());
        let too_many = Value::Array(vec![json!({}); MAX_BATCH + 1]);
        assert_eq!(items::<IncomingEvent>(too_many).unwrap_err().details["field"], "body");
        let (one, batch) = items::<IncomingHeartbeat>(json!([{ "device": 1 }])).unwrap();
        assert!(batch);
        assert!(one[0].as_ref().unwrap_err().message.starts_with("The heartbeat does not have the expected shape"));
    }
}
