-- Homes and their household (code hashes stay in this table: they are
-- looked up, never returned), and each home's alarm with its log.
CREATE TABLE homes (
    user_id TEXT PRIMARY KEY,
    doc     TEXT NOT NULL
);

CREATE TABLE home_codes (
    id      TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    hash    TEXT NOT NULL,
    doc     TEXT NOT NULL,
    UNIQUE (user_id, hash)
);

CREATE TABLE home_pets (
    id      TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    doc     TEXT NOT NULL
);
CREATE INDEX home_pets_by_user ON home_pets (user_id);

CREATE TABLE home_contacts (
    id       TEXT PRIMARY KEY,
    user_id  TEXT NOT NULL,
    priority INTEGER NOT NULL,
    doc      TEXT NOT NULL
);
CREATE INDEX home_contacts_by_user ON home_contacts (user_id, priority);

CREATE TABLE alarm_state (
    user_id  TEXT PRIMARY KEY,
    version  INTEGER NOT NULL,
    -- When the record must be looked at even if nothing happens (ms), if ever.
    next_due INTEGER,
    armed    INTEGER NOT NULL,
    record   TEXT NOT NULL
);
CREATE INDEX alarm_state_due ON alarm_state (next_due) WHERE next_due IS NOT NULL;

CREATE TABLE alarm_log (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    at              INTEGER NOT NULL,
    monitoring_only INTEGER NOT NULL,
    entry           TEXT NOT NULL
);
CREATE INDEX alarm_log_by_home ON alarm_log (user_id, at DESC, id DESC);
