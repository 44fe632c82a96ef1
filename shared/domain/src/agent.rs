//! The assistant's memory: conversations and what it has learned of a user.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::DomainError;

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    User,
    Assistant,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: ChatRole,
    pub content: String,
    /// Tool calls that really ran for this reply (assistant messages only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions_taken: Vec<String>,
    pub timestamp: DateTime<Utc>,
}

/// The longest message the assistant takes.
pub const MAX_MESSAGE_CHARS: usize = 4000;

impl ChatMessage {
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.content.trim().is_empty() {
            return Err(DomainError::invalid("message", "must not be empty"));
        }
        if self.content.chars().count() > MAX_MESSAGE_CHARS {
            return Err(DomainError::invalid("message", format!("must be at most {MAX_MESSAGE_CHARS} characters")));
        }
        Ok(())
    }
}

/// A conversation (the `agent_conversations` collection of the requirements).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub messages: Vec<ChatMessage>,
    /// What the assistant keeps in mind across turns (`vacation_mode`, `return_date`, ...).
    pub context: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_bounded() {
        let m = |c: &str| ChatMessage {
            role: ChatRole::User,
            content: c.into(),
            actions_taken: vec![],
            timestamp: Utc::now(),
        };
        assert!(m("I'm leaving for vacation tomorrow").validate().is_ok());
        assert!(m("   ").validate().is_err());
        assert!(m(&"x".repeat(MAX_MESSAGE_CHARS + 1)).validate().is_err());
    }
}
