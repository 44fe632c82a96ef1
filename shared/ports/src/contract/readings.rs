//! Contract of [`ReadingStore`].

use chrono::{Duration, DurationRound};
use uuid::Uuid;

use super::now_ms;
use crate::{Reading, ReadingQuery, ReadingStore};

pub async fn run(store: &dyn ReadingStore) {
    store.health().await.expect("health");
    let (user, device, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let hour = now_ms().duration_trunc(Duration::hours(1)).unwrap() - Duration::hours(3);
    let reading = |device: Uuid, minutes: i64, kind: &str, value: f64| Reading {
        time: hour + Duration::minutes(minutes),
        device_id: device,
        user_id: user,
        reading_type: kind.into(),
        value,
        unit: Some("F".into()),
    };
    let all = vec![
        reading(device, 0, "temperature", 70.0),
        reading(device, 20, "temperature", 72.0),
        reading(device, 40, "temperature", 74.0),
        reading(device, 70, "temperature", 71.0),
        reading(device, 10, "humidity", 40.0),
        reading(other, 5, "temperature", 60.0),
    ];
    assert_eq!(store.append(&all).await.unwrap(), 6);
    assert_eq!(store.append(&all[..2]).await.unwrap(), 0, "the same reading twice is kept once");

    let q = ReadingQuery {
        user_id: user,
        device_id: Some(device),
        reading_type: Some("temperature".into()),
        from: hour,
        to: hour + Duration::hours(2),
    };
    let got = store.readings(&q, 100).await.unwrap();
    assert_eq!(got.iter().map(|r| r.value).collect::<Vec<_>>(), vec![70.0, 72.0, 74.0, 71.0], "oldest first");
    assert_eq!(got[0], all[0], "round trip keeps every field");
    assert_eq!(store.readings(&q, 2).await.unwrap().len(), 2);

    let rollups = store.hourly(&q).await.unwrap();
    assert_eq!(rollups.len(), 2);
    assert_eq!((rollups[0].bucket, rollups[0].count, rollups[0].avg), (hour, 3, 72.0));
    assert_eq!((rollups[0].min, rollups[0].max), (70.0, 74.0));
    assert_eq!((rollups[1].bucket, rollups[1].count), (hour + Duration::hours(1), 1));

    let home = ReadingQuery { device_id: None, reading_type: None, ..q.clone() };
    assert_eq!(store.hourly(&home).await.unwrap().len(), 4, "per device and type");
    let stranger = ReadingQuery { user_id: Uuid::new_v4(), ..q.clone() };
    assert!(store.readings(&stranger, 100).await.unwrap().is_empty(), "one home never sees another's");

    assert!(store.delete_before(hour + Duration::minutes(30)).await.unwrap() >= 4);
    assert_eq!(store.readings(&q, 100).await.unwrap().len(), 2);
}
