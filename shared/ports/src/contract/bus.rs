//! Contract of [`EventBus`].

use std::time::Duration;

use homeguard_domain::Topic;
use uuid::Uuid;

use crate::{EventBus, OutMessage, Published};

fn msg(topic: Topic, key: Uuid, n: u32) -> OutMessage {
    OutMessage { topic, key, id: Uuid::new_v4(), payload: format!(r#"{{"n":{n}}}"#) }
}

const WAIT: Duration = Duration::from_millis(200);

pub async fn run(bus: &dyn EventBus) {
    bus.health().await.expect("health");
    let consumer = format!("contract-{}", Uuid::new_v4());
    let key = Uuid::new_v4();
    let start = bus.committed(&consumer, Topic::DeviceCommands).await.unwrap();
    // Drain whatever earlier runs left, so the test sees only its own messages.
    loop {
        let old = bus.poll(&consumer, Topic::DeviceCommands, 1000, Duration::from_millis(50)).await.unwrap();
        match old.last() {
            Some(last) => bus.commit(&consumer, Topic::DeviceCommands, last.offset).await.unwrap(),
            None => break,
        }
    }
    assert!(bus.committed(&consumer, Topic::DeviceCommands).await.unwrap() >= start);

    let batch: Vec<_> = (0..5).map(|n| msg(Topic::DeviceCommands, key, n)).collect();
    let other_topic = msg(Topic::DeviceHeartbeats, key, 99);
    let out = bus.publish(batch.clone()).await.unwrap();
    assert_eq!(out.len(), 5);
    let offsets: Vec<i64> = out
        .iter()
        .map(|p| match p {
            Published::New(o) => *o,
            Published::Duplicate => panic!("fresh messages are new"),
        })
        .collect();
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "offsets increase in publish order");
    bus.publish(vec![other_topic]).await.unwrap();

    if bus.detects_duplicates() {
        let again = bus.publish(vec![batch[0].clone()]).await.unwrap();
        assert_eq!(again, vec![Published::Duplicate]);
    }

    let first = bus.poll(&consumer, Topic::DeviceCommands, 3, WAIT).await.unwrap();
    assert_eq!(first.iter().map(|d| d.id).collect::<Vec<_>>(), batch[..3].iter().map(|m| m.id).collect::<Vec<_>>());
    assert!(first.iter().all(|d| d.topic == Topic::DeviceCommands && d.key == key));
    assert_eq!(&*first[0].payload, batch[0].payload.as_str());
    let second = bus.poll(&consumer, Topic::DeviceCommands, 10, WAIT).await.unwrap();
    assert_eq!(second.iter().map(|d| d.id).collect::<Vec<_>>(), batch[3..].iter().map(|m| m.id).collect::<Vec<_>>());
    assert!(bus.poll(&consumer, Topic::DeviceCommands, 10, WAIT).await.unwrap().is_empty(), "nothing more");

    // Only what was committed counts after a seek back (as after a restart).
    bus.commit(&consumer, Topic::DeviceCommands, first[2].offset).await.unwrap();
    assert_eq!(bus.committed(&consumer, Topic::DeviceCommands).await.unwrap(), first[2].offset);
    bus.seek(&consumer, Topic::DeviceCommands, first[2].offset).await.unwrap();
    let replay = bus.poll(&consumer, Topic::DeviceCommands, 10, WAIT).await.unwrap();
    assert_eq!(replay.iter().map(|d| d.id).collect::<Vec<_>>(), batch[3..].iter().map(|m| m.id).collect::<Vec<_>>());

    // A waiting poll wakes up when a message arrives.
    let late = msg(Topic::DeviceCommands, key, 7);
    let id = late.id;
    let (got, _) = tokio::join!(bus.poll(&consumer, Topic::DeviceCommands, 10, Duration::from_secs(5)), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        bus.publish(vec![late]).await.unwrap()
    });
    assert_eq!(got.unwrap().iter().map(|d| d.id).collect::<Vec<_>>(), vec![id]);

    // Consumers are independent.
    let fresh = format!("contract-{}", Uuid::new_v4());
    let all = bus.poll(&fresh, Topic::DeviceHeartbeats, 100_000, WAIT).await.unwrap();
    assert!(all.iter().any(|d| d.key == key), "a new consumer reads from the start");
}
