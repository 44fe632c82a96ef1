-- Messages a consumer could never handle, set aside with the reason so that
-- they neither block their topic nor get lost.
CREATE TABLE bus_dead_letters (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    consumer     TEXT NOT NULL,
    topic        TEXT NOT NULL,
    "offset"     INTEGER NOT NULL,
    key          TEXT NOT NULL,
    id           TEXT NOT NULL,
    payload      TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    dead_at      INTEGER NOT NULL
);
CREATE INDEX bus_dead_letters_by_topic ON bus_dead_letters (topic, seq);
