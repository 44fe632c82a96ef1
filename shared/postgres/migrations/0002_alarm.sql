-- Each home's alarm (the panel, its mode and lockout as one JSON record,
-- with a version for optimistic saves) and its signal log. A transition is
-- one transaction: the record and the log lines it added.
CREATE TABLE IF NOT EXISTS alarm_state (
    user_id    UUID PRIMARY KEY,
    version    BIGINT NOT NULL,
    next_due   TIMESTAMPTZ,
    armed      BOOLEAN NOT NULL,
    record     JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS alarm_state_due ON alarm_state (next_due) WHERE next_due IS NOT NULL;

CREATE TABLE IF NOT EXISTS alarm_log (
    id              UUID PRIMARY KEY,
    user_id         UUID NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    code            INTEGER,
    monitoring_only BOOLEAN NOT NULL,
    entry           JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS alarm_log_by_home ON alarm_log (user_id, at DESC, id DESC);
