-- Ground truth of the anomalies the simulator injected (never read by a detector).
CREATE TABLE anomaly_labels (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at   INTEGER NOT NULL,
    label      TEXT NOT NULL
);
CREATE INDEX anomaly_labels_by_user ON anomaly_labels (user_id, started_at);
CREATE INDEX anomaly_labels_by_time ON anomaly_labels (started_at);
