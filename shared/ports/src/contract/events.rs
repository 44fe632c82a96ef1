//! Contract of [`EventStore`].

use chrono::Duration;
use homeguard_domain::{Event, EventType};
use serde_json::json;
use uuid::Uuid;

use super::now_ms;
use crate::{Cursor, EventQuery, EventStore};

fn event(user: Uuid, device: Uuid, t: EventType, seconds_ago: i64) -> Event {
    Event {
        event_id: Uuid::new_v4(),
        device_id: device,
        user_id: user,
        event_type: t,
        payload: serde_json::from_value(json!({ "zone": "hall", "intensity": 0.5 })).unwrap(),
        timestamp: now_ms() - Duration::seconds(seconds_ago),
        metadata: serde_json::from_value(json!({ "is_simulated": true })).unwrap(),
    }
}

fn ids(events: &[Event]) -> Vec<Uuid> {
    events.iter().map(|e| e.event_id).collect()
}

pub async fn run(store: &dyn EventStore) {
    store.health().await.expect("health");
    let (user, other_user) = (Uuid::new_v4(), Uuid::new_v4());
    let (d1, d2) = (Uuid::new_v4(), Uuid::new_v4());
    let e = [
        event(user, d1, EventType::MotionDetected, 50),
        event(user, d2, EventType::DoorOpen, 40),
        event(user, d1, EventType::MotionStopped, 30),
        event(user, d2, EventType::DoorClosed, 20),
        event(user, d1, EventType::MotionDetected, 10),
    ];
    let foreign = event(other_user, Uuid::new_v4(), EventType::MotionDetected, 5);
    assert_eq!(store.append(&e).await.unwrap(), 5);
    assert_eq!(store.append(std::slice::from_ref(&foreign)).await.unwrap(), 1);
    assert_eq!(store.append(&e[..2]).await.unwrap(), 0, "appending again stores nothing new");
    assert_eq!(store.get(e[1].event_id).await.unwrap(), Some(e[1].clone()), "round trip keeps every field");
    assert!(store.get(Uuid::new_v4()).await.unwrap().is_none());

    let q = |f: &dyn Fn(&mut EventQuery)| {
        let mut q = EventQuery { limit: 100, ..Default::default() };
        f(&mut q);
        q
    };
    let by_user = store.query(&q(&|q| q.user_id = Some(user))).await.unwrap();
    assert_eq!(ids(&by_user), vec![e[4].event_id, e[3].event_id, e[2].event_id, e[1].event_id, e[0].event_id]);
    let by_device = store.query(&q(&|q| q.device_id = Some(d1))).await.unwrap();
    assert_eq!(ids(&by_device), vec![e[4].event_id, e[2].event_id, e[0].event_id]);
    let by_type = store
        .query(&q(&|q| {
            q.user_id = Some(user);
            q.event_type = Some(EventType::MotionDetected)
        }))
        .await
        .unwrap();
    assert_eq!(ids(&by_type), vec![e[4].event_id, e[0].event_id]);
    let global_type = store.query(&q(&|q| q.event_type = Some(EventType::MotionDetected))).await.unwrap();
    assert!(global_type.iter().any(|x| x.event_id == foreign.event_id), "by type spans users");

    let window = store
        .query(&q(&|q| {
            q.user_id = Some(user);
            q.from = Some(e[3].timestamp);
            q.to = Some(e[4].timestamp);
        }))
        .await
        .unwrap();
    assert_eq!(ids(&window), vec![e[3].event_id], "from is inclusive, to exclusive");

    // Paging walks the feed in order without gaps or repeats.
    let mut seen = vec![];
    let mut after = None;
    loop {
        let page = store
            .query(&q(&|q| {
                q.user_id = Some(user);
                q.limit = 2;
                q.after = after;
            }))
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        let last = page.last().unwrap();
        after = Some(Cursor { timestamp: last.timestamp, event_id: last.event_id });
        seen.extend(ids(&page));
    }
    assert_eq!(seen, ids(&by_user));

    // Events at the same millisecond are ordered by id and paged without loss.
    let twins_user = Uuid::new_v4();
    let at = now_ms();
    let mut twins: Vec<Event> =
        (0..3).map(|_| Event { timestamp: at, ..event(twins_user, d1, EventType::DoorOpen, 0) }).collect();
    store.append(&twins).await.unwrap();
    twins.sort_by_key(|e| e.event_id);
    let first = store
        .query(&q(&|q| {
            q.user_id = Some(twins_user);
            q.limit = 1;
        }))
        .await
        .unwrap();
    assert_eq!(ids(&first), vec![twins[0].event_id]);
    let rest = store
        .query(&q(&|q| {
            q.user_id = Some(twins_user);
            q.after = Some(Cursor { timestamp: at, event_id: twins[0].event_id });
        }))
        .await
        .unwrap();
    assert_eq!(ids(&rest), vec![twins[1].event_id, twins[2].event_id]);
}
