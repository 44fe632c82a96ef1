//! The context every handler runs in: the ports, built once at start-up.

use std::sync::Arc;

use homeguard_ports::{
    AgentMemory, AutomationStore, DeviceStore, EventBus, EventStore, LabelStore, PubSub, RateLimiter, ReadingStore,
    SessionStore, SimClock, StateStore, UserStore,
};

use crate::auth::AuthKeys;
use crate::metrics::Metrics;

/// The ports and shared services of one process. Built by the wiring from
/// configuration; handlers only ever see the traits.
#[derive(Clone)]
pub struct Ctx {
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub devices: Arc<dyn DeviceStore>,
    pub automations: Arc<dyn AutomationStore>,
    pub agent: Arc<dyn AgentMemory>,
    /// Ground truth of simulated anomalies (never for detectors).
    pub labels: Arc<dyn LabelStore>,
    pub events: Arc<dyn EventStore>,
    pub bus: Arc<dyn EventBus>,
    pub readings: Arc<dyn ReadingStore>,
    pub state: Arc<dyn StateStore>,
    pub pubsub: Arc<dyn PubSub>,
    pub limits: Arc<dyn RateLimiter>,
    /// The home's time (simulated in demos); security reads `clock.wall()`.
    pub clock: Arc<SimClock>,
    pub auth: AuthKeys,
    pub metrics: Metrics,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("clock", &self.clock).field("auth", &self.auth).finish_non_exhaustive()
    }
}
