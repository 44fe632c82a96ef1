-- Firings that wait (a delay between actions, a device_state trigger's clock).
ALTER TABLE automation_runs ADD COLUMN resume_at INTEGER;
CREATE INDEX automation_runs_due ON automation_runs (resume_at) WHERE resume_at IS NOT NULL;
