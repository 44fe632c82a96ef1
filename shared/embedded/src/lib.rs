//! HomeGuard's embedded backends, the default when no production backend is
//! configured: SQLite files in the data dir for everything durable (the
//! registry, the raw events, the bus log, each in its own file so their
//! writers never wait on each other), and in-memory state and pub/sub for
//! what Redis holds in production.

mod memory_limits;
mod memory_pubsub;
mod memory_state;
mod sqlite;
mod sqlite_automations;
mod sqlite_bus;
mod sqlite_events;
mod sqlite_homes;
mod sqlite_readings;
mod sqlite_security;

pub use memory_limits::MemoryLimiter;
pub use memory_pubsub::MemoryPubSub;
pub use memory_state::MemoryState;
pub use sqlite::SqliteStore;
pub use sqlite_bus::SqliteBus;
pub use sqlite_events::SqliteEventStore;
pub use sqlite_readings::SqliteReadingStore;
