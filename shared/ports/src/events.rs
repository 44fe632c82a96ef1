//! Raw device events, readable by device, by user and by type (ScyllaDB's
//! three tables in production, SQLite embedded).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::{Event, EventType};
use uuid::Uuid;

use crate::error::StoreResult;

/// A position in a newest-first listing: the last event a page ended on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub timestamp: DateTime<Utc>,
    pub event_id: Uuid,
}

impl Cursor {
    /// The opaque form handed to clients.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.timestamp.timestamp_millis(), self.event_id.simple())
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (ms, id) = s.split_once('_')?;
        let timestamp = DateTime::from_timestamp_millis(ms.parse().ok()?)?;
        Some(Self { timestamp, event_id: Uuid::parse_str(id).ok()? })
    }
}

/// Which events to list. Results are newest first, ties by event id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventQuery {
    pub user_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    pub event_type: Option<EventType>,
    /// Inclusive lower bound on the event time.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound on the event time.
    pub to: Option<DateTime<Utc>>,
    /// Continue after this position.
    pub after: Option<Cursor>,
    pub limit: usize,
}

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Stores events; one already stored (same event id) is left as it is.
    /// Returns how many were new.
    async fn append(&self, events: &[Event]) -> StoreResult<u64>;
    /// The events the query selects, newest first.
    async fn query(&self, query: &EventQuery) -> StoreResult<Vec<Event>>;
    /// One event by id.
    async fn get(&self, event_id: Uuid) -> StoreResult<Option<Event>>;
    /// Checks that the backend answers.
    async fn health(&self) -> StoreResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c =
            Cursor { timestamp: DateTime::from_timestamp_millis(1_705_329_125_123).unwrap(), event_id: Uuid::new_v4() };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in ["", "abc", "12_notauuid", "x_0b8c8a9e3f7e4c558f592d3c0e9b6a21"] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
