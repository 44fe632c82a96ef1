//! HomeGuard's embedded backends, the default when no production backend is
//! configured: one SQLite database in the data dir for everything durable,
//! and in-memory state and pub/sub for what Redis holds in production.

mod memory_pubsub;
mod memory_state;
mod sqlite;

pub use memory_pubsub::MemoryPubSub;
pub use memory_state::MemoryState;
pub use sqlite::SqliteStore;
