-- Each rule's firings (claimed once per rule and input) and the notifications.
CREATE TABLE automation_runs (
    run_id        TEXT PRIMARY KEY,
    automation_id TEXT NOT NULL,
    at            INTEGER NOT NULL,
    fired         INTEGER NOT NULL,
    doc           TEXT NOT NULL
);
CREATE INDEX automation_runs_by_rule ON automation_runs (automation_id, at DESC);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read       INTEGER NOT NULL DEFAULT 0,
    doc        TEXT NOT NULL
);
CREATE INDEX notifications_by_user ON notifications (user_id, created_at DESC);
