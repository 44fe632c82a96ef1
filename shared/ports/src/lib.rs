//! HomeGuard's ports: one object-safe async trait per store role of the
//! architecture, held by functions as `Arc<dyn Port>` in their context.
//!
//! Ports depend on the domain only. Backends (embedded in `homeguard-embedded`,
//! production ones behind cargo features) implement them, and every backend
//! runs the same contract suite from [`contract`] (feature `contract`).

pub mod agent;
pub mod automations;
pub mod breaker;
pub mod bus;
pub mod clock;
pub mod devices;
pub mod error;
pub mod events;
pub mod homes;
pub mod labels;
pub mod limits;
pub mod pubsub;
pub mod readings;
pub mod security;
pub mod state;
pub mod users;

#[cfg(feature = "contract")]
pub mod contract;

pub use agent::AgentMemory;
pub use automations::{NotificationStore, ReportStore, RunStore};
pub use breaker::{Breaker, BreakerConfig};
pub use bus::{DeadLetter, Delivery, EventBus, OutMessage, Position, Published};
pub use clock::{Clock, ClockReading, ManualClock, SimClock, SystemClock};
pub use devices::{AutomationStore, DeviceStore};
pub use error::StoreError;
pub use events::{Cursor, EventQuery, EventStore};
pub use homes::{AlarmStore, HomeStore, LogQuery};
pub use labels::LabelStore;
pub use limits::{Decision, Limit, RateLimiter};
pub use pubsub::{PubSub, PubSubItem, Subscription};
pub use readings::{HourlyRollup, Reading, ReadingQuery, ReadingStore};
pub use security::{DecisionQuery, IncidentQuery, SecurityStore};
pub use state::{StateStore, StateUpdate};
pub use users::{NewUser, Session, SessionStore, UserStore};

// Every port must stay usable as `Arc<dyn Port>`.
fn _assert_object_safe(
    _: &dyn Clock,
    _: &dyn EventBus,
    _: &dyn EventStore,
    _: &dyn PubSub,
    _: &dyn ReadingStore,
    _: &dyn LabelStore,
) {
}
fn _assert_object_safe_stores(
    _: &dyn DeviceStore,
    _: &dyn AutomationStore,
    _: &dyn StateStore,
    _: &dyn UserStore,
    _: &dyn SessionStore,
    _: &dyn RateLimiter,
    _: &dyn AgentMemory,
) {
}
fn _assert_object_safe_homes(_: &dyn HomeStore, _: &dyn AlarmStore, _: &dyn RunStore, _: &dyn NotificationStore) {}
