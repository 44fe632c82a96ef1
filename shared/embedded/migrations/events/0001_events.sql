-- Raw device events. ScyllaDB keeps three tables (by device, by user, by
-- type, each partitioned by date); here one table with an index per view.
CREATE TABLE events (
    event_id   TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_date TEXT NOT NULL,   -- YYYY-MM-DD (UTC): the partition in ScyllaDB
    ts         INTEGER NOT NULL, -- Unix milliseconds
    payload    TEXT NOT NULL,
    metadata   TEXT NOT NULL
);
CREATE INDEX events_by_device ON events (device_id, ts DESC, event_id);
CREATE INDEX events_by_user ON events (user_id, ts DESC, event_id);
CREATE INDEX events_by_type ON events (event_type, ts DESC, event_id);
CREATE INDEX events_by_time ON events (ts DESC, event_id);
