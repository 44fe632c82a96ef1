//! The live pub/sub channels: the device state handler publishes on them,
//! the notification stream (and later the agent) listens. Named once here.

use uuid::Uuid;

/// Every event of one home (`device_event` messages).
pub fn user_events(user: Uuid) -> String {
    format!("events:user:{user}")
}

/// Every event of every home, for admins.
pub const GLOBAL_EVENTS: &str = "events:global";

/// One device's new state (`device_state` messages).
pub fn device_state(device: Uuid) -> String {
    format!("device:state:{device}")
}

/// One home's alarm: its state after each change (`alarm` messages).
pub fn home_alarm(user: Uuid) -> String {
    format!("alarm:user:{user}")
}

/// One person's notifications (`notification` messages).
pub fn user_notifications(user: Uuid) -> String {
    format!("notifications:user:{user}")
}

/// The assistant's replies to one user.
pub fn agent_responses(user: Uuid) -> String {
    format!("agent:response:{user}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_the_requirements_ones() {
        let id = Uuid::nil();
        assert_eq!(user_events(id), "events:user:00000000-0000-0000-0000-000000000000");
        assert_eq!(device_state(id), "device:state:00000000-0000-0000-0000-000000000000");
        assert_eq!(agent_responses(id), "agent:response:00000000-0000-0000-0000-000000000000");
    }
}
