-- Sensor readings (TimescaleDB's sensor_readings hypertable). Hourly
-- rollups are computed by query here; TimescaleDB keeps them as a
-- continuous aggregate. Times are Unix milliseconds.
CREATE TABLE sensor_readings (
    time         INTEGER NOT NULL,
    device_id    TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    reading_type TEXT NOT NULL,
    value        REAL NOT NULL,
    unit         TEXT,
    PRIMARY KEY (device_id, reading_type, time)
);
CREATE INDEX sensor_readings_by_user ON sensor_readings (user_id, time);
CREATE INDEX sensor_readings_by_time ON sensor_readings (time);
