-- When a notification's next delivery is due (quiet hours' end, a retry
-- after a crash), and how each person wants to be reached.
ALTER TABLE notifications ADD COLUMN due_at INTEGER;
CREATE INDEX notifications_due ON notifications (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE notification_preferences (
    user_id TEXT PRIMARY KEY,
    doc     TEXT NOT NULL
);
