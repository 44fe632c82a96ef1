-- What was reported to monitoring, one line per alarm signal.
CREATE TABLE monitoring_reports (
    id      TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    at      INTEGER NOT NULL,
    doc     TEXT NOT NULL
);
CREATE INDEX monitoring_reports_by_time ON monitoring_reports (at DESC);
CREATE INDEX monitoring_reports_by_user ON monitoring_reports (user_id, at DESC);
