-- Service tokens: long-lived sessions with a name, for n8n and scripts.
ALTER TABLE user_sessions ADD COLUMN IF NOT EXISTS name TEXT;
