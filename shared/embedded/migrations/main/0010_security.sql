-- The security response's decisions on events, and its incidents.
CREATE TABLE security_decisions (
    id      TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    at      INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    doc     TEXT NOT NULL
);
CREATE INDEX security_decisions_by_time ON security_decisions (at DESC);
CREATE INDEX security_decisions_by_user ON security_decisions (user_id, at DESC);

CREATE TABLE incidents (
    id        TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    status    TEXT NOT NULL,
    version   INTEGER NOT NULL,
    doc       TEXT NOT NULL
);
CREATE INDEX incidents_by_time ON incidents (opened_at DESC);
CREATE INDEX incidents_by_user ON incidents (user_id, status, opened_at DESC);
