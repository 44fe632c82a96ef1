-- Users and sessions (PostgreSQL's users / user_sessions of the requirements).
-- Times are Unix milliseconds (UTC) so that they compare as numbers.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE user_sessions (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX user_sessions_by_expiry ON user_sessions (expires_at);
CREATE INDEX user_sessions_by_user ON user_sessions (user_id);

-- Device and automation documents (MongoDB's collections), kept as JSON with
-- the fields queries filter on pulled out. Row order is registration order.
CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL,
    doc       TEXT NOT NULL,
    -- SHA-256 of the device's ingest key; the key itself is shown once and never stored.
    key_hash  TEXT UNIQUE
);
CREATE INDEX devices_by_user ON devices (user_id);

CREATE TABLE automations (
    automation_id TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    doc           TEXT NOT NULL
);
CREATE INDEX automations_by_user ON automations (user_id);
