//! The bus contract, run against a Kafka-protocol broker: the one of
//! `HOMEGUARD_TEST_KAFKA_BROKERS` (scripts/test starts tansu and sets it).
//! Without it these tests say they are skipped and why (under `CI`, fail).

use std::time::Duration;

use homeguard_domain::Topic;
use homeguard_kafka::{KafkaBus, PARTITIONS};
use homeguard_ports::{EventBus, OutMessage, Published, contract};

async fn kafka() -> Option<KafkaBus> {
    let brokers = contract::test_server("HOMEGUARD_TEST_KAFKA_BROKERS", "a Kafka-protocol broker")?;
    // Topics of this run's own, so that runs sharing the broker never meet.
    let prefix = format!("contract-{}.", uuid::Uuid::new_v4().simple());
    Some(KafkaBus::open(&brokers, &prefix, &[]).await.unwrap_or_else(|e| panic!("Kafka at {brokers}: {e}")))
}

#[tokio::test]
async fn kafka_bus() {
    let Some(bus) = kafka().await else { return };
    contract::bus::run(&bus).await;
}

#[tokio::test]
async fn devices_spread_over_the_partitions_and_each_keeps_one() {
    let Some(bus) = kafka().await else { return };
    let keys: Vec<uuid::Uuid> = (0..30).map(|_| uuid::Uuid::new_v4()).collect();
    let messages: Vec<OutMessage> = keys
        .iter()
        .chain(&keys)
        .map(|k| OutMessage { topic: Topic::DeviceAlerts, key: *k, id: uuid::Uuid::new_v4(), payload: "{}".into() })
        .collect();
    let out = bus.publish(messages).await.unwrap();
    let partition = |p: &Published| match p {
        Published::New { partition, .. } => *partition,
        Published::Duplicate => panic!("Kafka does not detect duplicates"),
    };
    let used: std::collections::BTreeSet<i32> = out.iter().map(partition).collect();
    assert_eq!(used.len(), PARTITIONS as usize, "30 devices use every partition: {used:?}");
    for i in 0..keys.len() {
        assert_eq!(partition(&out[i]), partition(&out[i + keys.len()]), "a device stays in its partition");
    }
}

#[tokio::test]
async fn an_unreachable_cluster_is_a_clear_error() {
    let started = std::time::Instant::now();
    let e = KafkaBus::open_with("127.0.0.1:1", "", &[], 1).await.unwrap_err().to_string();
    assert!(e.contains("kafka"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(30), "fails within its timeout");
}
