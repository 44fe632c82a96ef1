//! Contract of [`LabelStore`].

use chrono::Duration;
use homeguard_domain::{AnomalyKind, AnomalyLabel};
use uuid::Uuid;

use super::now_ms;
use crate::LabelStore;

pub async fn run(store: &dyn LabelStore) {
    let (user, other) = (Uuid::new_v4(), Uuid::new_v4());
    let t0 = now_ms();
    let label = |user_id, kind, from: i64, to: i64| AnomalyLabel {
        id: Uuid::new_v4(),
        kind,
        device_id: Uuid::new_v4(),
        user_id,
        started_at: t0 + Duration::minutes(from),
        ended_at: t0 + Duration::minutes(to),
        event_ids: vec![Uuid::new_v4(), Uuid::new_v4()],
    };
    let early = label(user, AnomalyKind::BatteryDrain, 0, 10);
    let mut late = label(user, AnomalyKind::Offline, 30, 35);
    late.event_ids.clear();
    let others = label(other, AnomalyKind::MotionBurst, 5, 6);
    for l in [&late, &early, &others] {
        store.record(l).await.unwrap();
    }

    let window = |a: i64, b: i64| (t0 + Duration::minutes(a), t0 + Duration::minutes(b));
    let (from, to) = window(-1, 60);
    assert_eq!(store.labels(Some(user), from, to, 10).await.unwrap(), vec![early.clone(), late.clone()]);
    let all = store.labels(None, from, to, 100).await.unwrap();
    assert!(all.contains(&others) && all.contains(&early), "without a user, every home's labels");
    assert_eq!(store.labels(Some(user), from, to, 1).await.unwrap(), vec![early.clone()], "limit");

    let (from, to) = window(9, 31);
    assert_eq!(
        store.labels(Some(user), from, to, 10).await.unwrap(),
        vec![early.clone(), late.clone()],
        "spans that overlap the window count, at either end"
    );
    let (from, to) = window(11, 30);
    assert!(store.labels(Some(user), from, to, 10).await.unwrap().is_empty(), "the window is half-open");

    let mut ended = early.clone();
    ended.ended_at = t0 + Duration::minutes(20);
    store.record(&ended).await.unwrap();
    let (from, to) = window(-1, 60);
    assert_eq!(store.labels(Some(user), from, to, 10).await.unwrap(), vec![ended, late], "recording again replaces");
}
