//! Contract of [`StateStore`].

use std::time::Duration;

use homeguard_domain::DeviceState;
use serde_json::json;
use uuid::Uuid;

use super::now_ms;
use crate::{StateStore, StateUpdate};

fn fields(v: serde_json::Value) -> DeviceState {
    serde_json::from_value(v).unwrap()
}

pub async fn run(store: &dyn StateStore) {
    store.health().await.expect("health");
    state_merges(store).await;
    user_sets(store).await;
    heartbeats_expire(store).await;
}

async fn state_merges(store: &dyn StateStore) {
    let id = Uuid::new_v4();
    assert!(store.get(id).await.unwrap().is_empty(), "unknown device has empty state");
    let s = store.merge(id, &fields(json!({ "state": "locked", "battery": 85 }))).await.unwrap();
    assert_eq!(s, fields(json!({ "state": "locked", "battery": 85 })));
    let s = store.merge(id, &fields(json!({ "state": "unlocked", "signal": -45 }))).await.unwrap();
    assert_eq!(s, fields(json!({ "state": "unlocked", "battery": 85, "signal": -45 })));
    let s = store.merge_missing(id, &fields(json!({ "state": "locked", "armed": true }))).await.unwrap();
    assert_eq!(s["state"], json!("unlocked"), "merge_missing keeps what is set");
    assert_eq!(s["armed"], json!(true), "merge_missing fills what is not");
    assert_eq!(store.get(id).await.unwrap(), s);

    let other = Uuid::new_v4();
    let many = store.get_many(&[other, id]).await.unwrap();
    assert_eq!(many, vec![DeviceState::new(), s]);

    // A batch: merges in order, heartbeats where given.
    let (x, y) = (Uuid::new_v4(), Uuid::new_v4());
    store.merge(y, &fields(json!({ "battery": 50 }))).await.unwrap();
    let now = chrono::Utc::now();
    let updates = [
        StateUpdate {
            device_id: x,
            fields: fields(json!({ "state": "open" })),
            online: Some((now, Duration::from_secs(60))),
        },
        StateUpdate { device_id: y, fields: fields(json!({ "state": "closed" })), online: None },
    ];
    let after = store.apply(&updates).await.unwrap();
    assert_eq!(after, vec![fields(json!({ "state": "open" })), fields(json!({ "state": "closed", "battery": 50 }))]);
    let beats = store.last_heartbeats(&[x, y]).await.unwrap();
    assert_eq!(beats[0].map(|t| t.timestamp_millis()), Some(now.timestamp_millis()));
    assert_eq!(beats[1], None, "no heartbeat given, none recorded");
    assert!(store.apply(&[]).await.unwrap().is_empty());

    for d in [id, x, y] {
        store.remove(d).await.unwrap();
    }
    assert!(store.get(id).await.unwrap().is_empty());
}

async fn user_sets(store: &dyn StateStore) {
    let user = Uuid::new_v4();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    store.add_user_device(user, a).await.unwrap();
    store.add_user_device(user, b).await.unwrap();
    store.add_user_device(user, a).await.unwrap();
    let mut got = store.user_devices(user).await.unwrap();
    got.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(got, want, "a set holds each device once");
    store.remove_user_device(user, a).await.unwrap();
    assert_eq!(store.user_devices(user).await.unwrap(), vec![b]);
    assert!(store.user_devices(Uuid::new_v4()).await.unwrap().is_empty());
}

async fn heartbeats_expire(store: &dyn StateStore) {
    let (short, long, never) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let at = now_ms();
    store.mark_online(short, at, Duration::from_millis(1000)).await.unwrap();
    store.mark_online(long, at, Duration::from_secs(60)).await.unwrap();
    let seen = store.last_heartbeats(&[short, long, never]).await.unwrap();
    assert_eq!(seen, vec![Some(at), Some(at), None]);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let seen = store.last_heartbeats(&[short, long]).await.unwrap();
    assert_eq!(seen, vec![None, Some(at)], "the short heartbeat expired, the long one did not");
    store.remove(long).await.unwrap();
    assert_eq!(store.last_heartbeats(&[long]).await.unwrap(), vec![None], "remove clears the online flag");
}
