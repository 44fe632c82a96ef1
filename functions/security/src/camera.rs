//! What the cameras captured while an incident was going on (a snapshot, a
//! recording started or stopped: what a playbook asked of them, or what
//! the household did from the app) goes on that incident's timeline, with
//! what the camera reported (its image or clip reference, when it gives one).

use std::collections::BTreeMap;

use homeguard_domain::incident::{IncidentKind, Item, ItemKind};
use homeguard_domain::{Event, EventType};
use homeguard_runtime::FnError;
use serde_json::json;
use uuid::Uuid;

use crate::SecurityCtx;

/// Whether an event is a camera's capture.
pub fn is_capture(t: EventType) -> bool {
    matches!(t, EventType::SnapshotTaken | EventType::RecordingStarted | EventType::RecordingStopped)
}

fn words(t: EventType) -> &'static str {
    match t {
        EventType::SnapshotTaken => "took a snapshot",
        EventType::RecordingStarted => "started recording",
        _ => "stopped recording",
    }
}

/// Adds each capture to its home's live incident (an alarm's; a wellness
/// check has no cameras to ask); captures outside any incident are the
/// camera's own history only.
#[tracing::instrument(skip_all, fields(events = events.len()))]
pub async fn on_events(ctx: &SecurityCtx, events: Vec<Event>) -> Result<(), FnError> {
    let mut by_home: BTreeMap<Uuid, Vec<Event>> = BTreeMap::new();
    for e in events.into_iter().filter(|e| is_capture(e.event_type)) {
        by_home.entry(e.user_id).or_default().push(e);
    }
    for (home, captures) in by_home {
        let active = ctx.security.active_incidents(home).await?;
        for e in captures {
            let Some(incident) = active
                .iter()
                .filter(|i| i.kind != IncidentKind::Wellness && i.opened_at <= e.timestamp && i.live(e.timestamp))
                .max_by_key(|i| i.opened_at)
            else {
                continue;
            };
            let name = ctx.devices.get(e.device_id).await?.map_or_else(|| "A camera".to_owned(), |d| d.name);
            let item = Item {
                id: e.event_id,
                at: e.timestamp,
                kind: ItemKind::Camera,
                text: format!("{name} {}", words(e.event_type)),
                by: None,
                data: json!({
                    "device_id": e.device_id,
                    "event_type": e.event_type,
                    "payload": e.payload,
                    "command_id": e.metadata.get("command_id"),
                }),
            };
            crate::update(ctx, incident.id, |i| {
                i.add(item.clone());
            })
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_are_snapshots_and_recordings() {
        assert!(is_capture(EventType::SnapshotTaken) && is_capture(EventType::RecordingStopped));
        assert!(!is_capture(EventType::PersonDetected), "a sighting is a decision's, not a capture");
        assert_eq!(words(EventType::RecordingStarted), "started recording");
    }
}
