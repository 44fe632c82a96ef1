//! Contract of [`EventBus`]. It holds for a log with one partition (the
//! embedded bus) and for a partitioned one shared with other users (Kafka):
//! it only looks at messages with its own keys, and it expects order per key,
//! not across keys.

use std::collections::HashSet;
use std::time::Duration;

use homeguard_domain::Topic;
use uuid::Uuid;

use crate::{Delivery, EventBus, OutMessage, Position, Published};

fn msg(topic: Topic, key: Uuid, n: u32) -> OutMessage {
    OutMessage { topic, key, id: Uuid::new_v4(), payload: format!(r#"{{"n":{n}}}"#) }
}

/// How long the suite waits for messages it knows are there.
const PATIENCE: Duration = Duration::from_secs(20);

/// Polls until `want` messages with one of `keys` have come (or PATIENCE
/// passed), ignoring others; returns them in delivery order.
async fn collect(bus: &dyn EventBus, consumer: &str, topic: Topic, keys: &HashSet<Uuid>, want: usize) -> Vec<Delivery> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut got = Vec::new();
    while got.len() < want && tokio::time::Instant::now() < deadline {
        let batch = bus.poll(consumer, topic, 1000, Duration::from_millis(500)).await.unwrap();
        got.extend(batch.into_iter().filter(|d| keys.contains(&d.key)));
    }
    got
}

/// The ids per key, in the order they came.
fn per_key(ds: &[Delivery], key: Uuid) -> Vec<Uuid> {
    ds.iter().filter(|d| d.key == key).map(|d| d.id).collect()
}

pub async fn run(bus: &dyn EventBus) {
    bus.health().await.expect("health");
    let topic = Topic::DeviceCommands;
    let consumer = format!("contract-{}", Uuid::new_v4());
    assert!(bus.committed(&consumer, topic).await.unwrap().is_empty(), "a new consumer has committed nothing");
    // Skip whatever earlier runs left, so that commits below are this run's.
    loop {
        let old = bus.poll(&consumer, topic, 1000, Duration::from_millis(500)).await.unwrap();
        if old.is_empty() {
            break;
        }
        bus.commit(&consumer, topic, &Position::after(&old)).await.unwrap();
    }

    // Several keys, so that a partitioned bus spreads them.
    let keys: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
    let mine: HashSet<Uuid> = keys.iter().copied().collect();
    let batch: Vec<OutMessage> = (0..12).map(|n| msg(topic, keys[n as usize % 4], n)).collect();
    let out = bus.publish(batch.clone()).await.unwrap();
    assert_eq!(out.len(), 12, "one outcome per message");
    let placed: Vec<(i32, i64)> = out
        .iter()
        .map(|p| match p {
            Published::New { partition, offset } => (*partition, *offset),
            Published::Duplicate => panic!("fresh messages are new"),
        })
        .collect();
    for key in &keys {
        let of_key: Vec<(i32, i64)> =
            batch.iter().zip(&placed).filter(|(m, _)| m.key == *key).map(|(_, p)| *p).collect();
        assert!(of_key.windows(2).all(|w| w[0].0 == w[1].0), "one key, one partition: {of_key:?}");
        assert!(of_key.windows(2).all(|w| w[0].1 < w[1].1), "offsets increase in publish order: {of_key:?}");
    }
    let beat = msg(Topic::DeviceHeartbeats, keys[0], 99);
    bus.publish(vec![beat.clone()]).await.unwrap();

    if bus.detects_duplicates() {
        let again = bus.publish(vec![batch[0].clone()]).await.unwrap();
        assert_eq!(again, vec![Published::Duplicate]);
    }

    // Every message once, each key in order, as published.
    let got = collect(bus, &consumer, topic, &mine, 12).await;
    assert_eq!(got.len(), 12, "every message delivered once: {got:?}");
    for key in &keys {
        let sent: Vec<Uuid> = batch.iter().filter(|m| m.key == *key).map(|m| m.id).collect();
        assert_eq!(per_key(&got, *key), sent, "one key's messages in publish order");
    }
    for d in &got {
        let i = batch.iter().position(|m| m.id == d.id).expect("a published message");
        assert_eq!((d.topic, d.key, &*d.payload), (topic, batch[i].key, batch[i].payload.as_str()));
        assert_eq!((d.partition, d.offset), placed[i], "delivered where publishing said");
    }
    let more = bus.poll(&consumer, topic, 1000, Duration::from_millis(300)).await.unwrap();
    assert!(more.iter().all(|d| !mine.contains(&d.key)), "nothing more: {more:?}");

    // Only what was committed counts after a seek back (as after a restart).
    let handled = Position::after(&got[..5]);
    bus.commit(&consumer, topic, &handled).await.unwrap();
    let committed = bus.committed(&consumer, topic).await.unwrap();
    for (partition, offset) in handled.iter() {
        assert_eq!(committed.get(partition), Some(offset), "committed {handled}, read back {committed}");
    }
    bus.seek(&consumer, topic, &committed).await.unwrap();
    let replay = collect(bus, &consumer, topic, &mine, 7).await;
    let expect: HashSet<Uuid> = got[5..].iter().map(|d| d.id).collect();
    assert_eq!(replay.iter().map(|d| d.id).collect::<HashSet<_>>(), expect, "the uncommitted rest, once");
    assert_eq!(replay.len(), 7);
    for key in &keys {
        let rest: Vec<Uuid> = per_key(&got, *key).into_iter().filter(|id| expect.contains(id)).collect();
        assert_eq!(per_key(&replay, *key), rest, "replayed in order");
    }

    // A waiting poll wakes up when a message arrives.
    let late = msg(topic, keys[1], 42);
    let id = late.id;
    let (woke, _) = tokio::join!(collect(bus, &consumer, topic, &mine, 1), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        bus.publish(vec![late]).await.unwrap()
    });
    assert_eq!(woke.iter().map(|d| d.id).collect::<Vec<_>>(), vec![id]);

    // Consumers are independent: a new one reads from the start.
    let fresh = format!("contract-{}", Uuid::new_v4());
    let all = collect(bus, &fresh, Topic::DeviceHeartbeats, &mine, 1).await;
    assert_eq!(all.iter().map(|d| d.id).collect::<Vec<_>>(), vec![beat.id]);

    // A message that can never be handled is set aside with its reason.
    let reason = format!("payload lacks a field ({})", Uuid::new_v4());
    bus.dead_letter(&consumer, &got[3], &reason).await.unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let letter = loop {
        let letters = bus.dead_letters(topic, 100_000).await.unwrap();
        if let Some(l) = letters.into_iter().find(|l| l.reason == reason) {
            break l;
        }
        assert!(tokio::time::Instant::now() < deadline, "the dead letter was never listed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(letter.consumer, consumer);
    assert_eq!(
        (letter.message.id, letter.message.key, letter.message.topic, &*letter.message.payload),
        (got[3].id, got[3].key, topic, &*got[3].payload)
    );
    assert_eq!(
        (letter.message.partition, letter.message.offset),
        (got[3].partition, got[3].offset),
        "where it came from"
    );
}
