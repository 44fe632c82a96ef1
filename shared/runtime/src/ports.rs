//! The ports, declared once. The table at the bottom of this file is the one
//! place a new port is added: it gives the port its field name, its trait,
//! the store it lives in (what readiness checks) and its doc line, and from
//! it come
//!
//! - [`Ctx`], every port of the process, as the wiring builds them (each
//!   backend connects, or its SQLite file opens, on first use);
//! - [`Port`], the ports by name, and the [`Store`] each lives in;
//! - one `Has…` trait per port ([`HasDevices`], ...), which shared use cases
//!   take as bounds, so that each says exactly which ports it needs.
//!
//! A function holds only some ports: it declares them with [`holds!`], which
//! makes a context struct of just those fields (plus the clock, the token
//! keys and the metrics every function has). What a function holds is then
//! what its code can touch, checked by the compiler, and what its readiness
//! checks and its binary connects: nothing is listed twice.

use std::sync::Arc;

pub use homeguard_ports::SimClock;
use homeguard_ports::{
    AgentMemory, AlarmStore, AutomationStore, DeviceStore, EventBus, EventStore, HomeStore, LabelStore,
    NotificationStore, PubSub, RateLimiter, ReadingStore, ReportStore, RunStore, SecurityStore, SessionStore,
    StateStore, UserStore,
};

use crate::auth::AuthKeys;
use crate::metrics::Metrics;
use crate::outbound::Outbound;

/// The stores behind the ports: readiness checks each store a function's
/// ports live in, once (users and sessions share one database, state,
/// pub/sub and rate limits one Redis, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Store {
    Users,
    Devices,
    State,
    Events,
    Bus,
    Readings,
}

impl Store {
    pub const ALL: &'static [Store] =
        &[Store::Users, Store::Devices, Store::State, Store::Events, Store::Bus, Store::Readings];

    /// The name readiness reports it under.
    pub fn name(self) -> &'static str {
        match self {
            Store::Users => "users",
            Store::Devices => "devices",
            Store::State => "state",
            Store::Events => "events",
            Store::Bus => "bus",
            Store::Readings => "readings",
        }
    }

    /// The cargo feature of `homeguard-wiring` with this store's production backend.
    pub fn backend_feature(self) -> &'static str {
        match self {
            Store::Users | Store::Readings => "postgres",
            Store::Devices => "mongo",
            Store::State => "redis",
            Store::Events => "scylla",
            Store::Bus => "kafka",
        }
    }

    /// Whether the store answers, through the port that carries its health check.
    pub async fn health(self, ctx: &Ctx) -> homeguard_ports::error::StoreResult<()> {
        match self {
            Store::Users => ctx.users.health().await,
            Store::Devices => ctx.devices.health().await,
            Store::State => ctx.state.health().await,
            Store::Events => ctx.events.health().await,
            Store::Bus => ctx.bus.health().await,
            Store::Readings => ctx.readings.health().await,
        }
    }
}

/// What every function has besides its ports.
pub trait Holds: Send + Sync + 'static {
    /// The ports held, in declaration order.
    const HELD: &'static [Port];
    /// Takes the held ports out of the process's context.
    fn from_ctx(ctx: &Ctx) -> Self;
    /// The home's clock (simulated in demos); security reads `clock().wall()`.
    fn clock(&self) -> &Arc<SimClock>;
    /// The keys tokens are signed and checked with.
    fn auth(&self) -> &AuthKeys;
    fn metrics(&self) -> &Metrics;
    /// Webhooks and e-mail out of the platform.
    fn outbound(&self) -> &Arc<Outbound>;
}

/// The distinct stores behind `ports`, in [`Store::ALL`] order.
pub fn stores_of(ports: &[Port]) -> Vec<Store> {
    Store::ALL.iter().copied().filter(|s| ports.iter().any(|p| p.store() == *s)).collect()
}

macro_rules! ports {
    ($( $(#[doc = $doc:literal])* $field:ident: $Variant:ident, $Has:ident, dyn $Trait:ident, $store:ident; )*) => {
        /// A port, by the name of its field.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Port {
            $( $(#[doc = $doc])* $Variant, )*
        }

        impl Port {
            pub const ALL: &'static [Port] = &[$(Port::$Variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Port::$Variant => stringify!($field)),* }
            }

            /// The store this port lives in.
            pub fn store(self) -> Store {
                match self { $(Port::$Variant => Store::$store),* }
            }
        }

        /// Every port of the process and the services every function
        /// shares. Built once by the wiring; the host and the use cases
        /// that drive the whole platform (the scenario engine, the
        /// simulator) run on it, each function on the part it holds.
        #[derive(Clone)]
        pub struct Ctx {
            $( $(#[doc = $doc])* pub $field: Arc<dyn $Trait>, )*
            /// The home's time (simulated in demos); security reads `clock.wall()`.
            pub clock: Arc<SimClock>,
            pub auth: AuthKeys,
            pub metrics: Metrics,
            /// Webhooks and e-mail out of the platform.
            pub outbound: Arc<Outbound>,
        }

        impl Holds for Ctx {
            const HELD: &'static [Port] = Port::ALL;
            fn from_ctx(ctx: &Ctx) -> Self {
                ctx.clone()
            }
            fn clock(&self) -> &Arc<SimClock> {
                &self.clock
            }
            fn auth(&self) -> &AuthKeys {
                &self.auth
            }
            fn metrics(&self) -> &Metrics {
                &self.metrics
            }
            fn outbound(&self) -> &Arc<Outbound> {
                &self.outbound
            }
        }

        $(
            #[doc = concat!("A context holding the `", stringify!($field), "` port.")]
            pub trait $Has {
                fn $field(&self) -> &Arc<dyn $Trait>;
            }

            impl $Has for Ctx {
                fn $field(&self) -> &Arc<dyn $Trait> {
                    &self.$field
                }
            }
        )*

        /// Each port's type by its field name, for [`holds!`].
        #[allow(non_camel_case_types)]
        pub mod types {
            use super::*;
            $( pub type $field = Arc<dyn $Trait>; )*
        }

        /// Each port by its field name, for [`holds!`].
        #[allow(non_upper_case_globals)]
        pub mod names {
            use super::*;
            $( pub const $field: Port = Port::$Variant; )*
        }

        /// Each port's `Has…` trait by its field name, for [`holds!`].
        pub mod has {
            $( pub use super::$Has as $field; )*
        }
    };
}

ports! {
    /// Users and their password hashes.
    users: Users, HasUsers, dyn UserStore, Users;
    /// Login sessions (a token works while its session is active).
    sessions: Sessions, HasSessions, dyn SessionStore, Users;
    /// Rate-limit buckets (failed logins, ...).
    limits: Limits, HasLimits, dyn RateLimiter, State;
    /// The device registry.
    devices: Devices, HasDevices, dyn DeviceStore, Devices;
    /// Automation rules.
    automations: Automations, HasAutomations, dyn AutomationStore, Devices;
    /// The assistant's conversations.
    agent: Agent, HasAgent, dyn AgentMemory, Devices;
    /// Ground truth of simulated anomalies (never for detectors).
    labels: Labels, HasLabels, dyn LabelStore, Devices;
    /// Homes: time zone, alarm settings, codes (as hashes), guests, pets, contacts.
    homes: Homes, HasHomes, dyn HomeStore, Devices;
    /// Each home's alarm and its signal log.
    alarm: Alarm, HasAlarm, dyn AlarmStore, Users;
    /// Each automation rule's firings.
    runs: Runs, HasRuns, dyn RunStore, Devices;
    /// Notifications and how they were delivered.
    notifications: Notifications, HasNotifications, dyn NotificationStore, Devices;
    /// What was reported to monitoring, and how it was taken.
    reports: Reports, HasReports, dyn ReportStore, Devices;
    /// The security response's decisions and incidents.
    security: Security, HasSecurity, dyn SecurityStore, Devices;
    /// Raw device events, by device, user and type.
    events: Events, HasEvents, dyn EventStore, Events;
    /// The event bus: topics, partitions, consumer positions, dead letters.
    bus: Bus, HasBus, dyn EventBus, Bus;
    /// Sensor readings as time series, and their hourly rollups.
    readings: Readings, HasReadings, dyn ReadingStore, Readings;
    /// Devices' current state, online flags and each home's device set.
    state: State, HasState, dyn StateStore, State;
    /// Live pub/sub channels (the notification stream listens).
    pubsub: PubSub, HasPubSub, dyn PubSub, State;
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("clock", &self.clock).field("auth", &self.auth).finish_non_exhaustive()
    }
}

/// Declares what a function holds: a context struct with just those ports
/// (by their field names in [`Ctx`]), plus `clock`, `auth` and `metrics`.
///
/// ```ignore
/// homeguard_runtime::holds! {
///     /// What the auth function holds.
///     pub struct AuthCtx { users, sessions, limits }
/// }
/// ```
#[macro_export]
macro_rules! holds {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($field:ident),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone)]
        $vis struct $name {
            $( pub $field: $crate::ports::types::$field, )*
            /// The home's clock (simulated in demos); security reads `clock.wall()`.
            pub clock: ::std::sync::Arc<$crate::ports::SimClock>,
            pub auth: $crate::AuthKeys,
            pub metrics: $crate::Metrics,
            /// Webhooks and e-mail out of the platform.
            pub outbound: ::std::sync::Arc<$crate::outbound::Outbound>,
        }

        $(
            impl $crate::ports::has::$field for $name {
                fn $field(&self) -> &$crate::ports::types::$field {
                    &self.$field
                }
            }
        )*

        impl $crate::ports::Holds for $name {
            const HELD: &'static [$crate::ports::Port] = &[$($crate::ports::names::$field),*];
            fn from_ctx(ctx: &$crate::Ctx) -> Self {
                Self {
                    $( $field: ctx.$field.clone(), )*
                    clock: ctx.clock.clone(),
                    auth: ctx.auth.clone(),
                    metrics: ctx.metrics.clone(),
                    outbound: ctx.outbound.clone(),
                }
            }
            fn clock(&self) -> &::std::sync::Arc<$crate::ports::SimClock> {
                &self.clock
            }
            fn auth(&self) -> &$crate::AuthKeys {
                &self.auth
            }
            fn metrics(&self) -> &$crate::Metrics {
                &self.metrics
            }
            fn outbound(&self) -> &::std::sync::Arc<$crate::outbound::Outbound> {
                &self.outbound
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("holds", &<Self as $crate::ports::Holds>::HELD)
                    .finish_non_exhaustive()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::holds! {
        /// A context for the test.
        struct Sample { sessions, pubsub, limits }
    }

    #[test]
    fn a_context_holds_what_it_declares_and_checks_their_stores() {
        assert_eq!(Sample::HELD, &[Port::Sessions, Port::PubSub, Port::Limits]);
        assert_eq!(stores_of(Sample::HELD), vec![Store::Users, Store::State]);
        assert_eq!(stores_of(Port::ALL), Store::ALL, "every store has a port");
        assert_eq!(Port::ALL.iter().map(|p| p.name()).collect::<std::collections::HashSet<_>>().len(), 18);
    }
}
