-- The embedded event bus: one durable log for every topic, with each
-- consumer's committed offset. (topic, id) is unique, so a message published
-- twice is appended once.
CREATE TABLE bus_log (
    "offset"     INTEGER PRIMARY KEY AUTOINCREMENT,
    topic        TEXT NOT NULL,
    key          TEXT NOT NULL,
    id           TEXT NOT NULL,
    payload      TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    UNIQUE (topic, id)
);
CREATE INDEX bus_log_by_topic ON bus_log (topic, "offset");

CREATE TABLE bus_offsets (
    consumer TEXT NOT NULL,
    topic    TEXT NOT NULL,
    "offset" INTEGER NOT NULL,
    PRIMARY KEY (consumer, topic)
);
