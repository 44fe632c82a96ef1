-- The assistant's memory (MongoDB's agent_conversations and agent_learnings).
CREATE TABLE agent_conversations (
    user_id    TEXT NOT NULL,
    session_id TEXT NOT NULL,
    context    TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, session_id)
);

CREATE TABLE agent_messages (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,
    session_id TEXT NOT NULL,
    message    TEXT NOT NULL,
    FOREIGN KEY (user_id, session_id) REFERENCES agent_conversations (user_id, session_id) ON DELETE CASCADE
);
CREATE INDEX agent_messages_by_conversation ON agent_messages (user_id, session_id, seq);
CREATE INDEX agent_messages_by_user ON agent_messages (user_id, seq);

CREATE TABLE agent_learnings (
    user_id    TEXT PRIMARY KEY,
    learnings  TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
