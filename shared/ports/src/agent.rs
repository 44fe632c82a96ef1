//! The assistant's memory: conversations and per-user learnings (MongoDB's
//! `agent_conversations` and `agent_learnings` in production, SQLite JSON
//! documents embedded).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use homeguard_domain::agent::{ChatMessage, Conversation};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::StoreResult;

#[async_trait]
pub trait AgentMemory: Send + Sync {
    /// Appends a message to a conversation, starting it when new.
    async fn append(&self, user_id: Uuid, session_id: Uuid, message: &ChatMessage) -> StoreResult<()>;
    /// One conversation of one user.
    async fn conversation(&self, user_id: Uuid, session_id: Uuid) -> StoreResult<Option<Conversation>>;
    /// The user's latest messages across conversations, oldest first, at most `limit`.
    async fn history(&self, user_id: Uuid, limit: usize) -> StoreResult<Vec<ChatMessage>>;
    /// Merges keys into a conversation's context (null removes a key).
    async fn merge_context(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        context: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// What the assistant has learned of the user (empty when nothing yet).
    async fn learnings(&self, user_id: Uuid) -> StoreResult<Map<String, Value>>;
    /// Merges keys into the user's learnings (null removes a key).
    async fn merge_learnings(
        &self,
        user_id: Uuid,
        learnings: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}
