//! The port contracts, run against the embedded backends.

use homeguard_embedded::{MemoryPubSub, MemoryState, SqliteStore};
use homeguard_ports::contract;

async fn sqlite() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("contract.db")).await.unwrap();
    (dir, store)
}

#[tokio::test]
async fn sqlite_users_and_sessions() {
    let (_dir, store) = sqlite().await;
    contract::users::run(&store, &store).await;
}

#[tokio::test]
async fn sqlite_devices() {
    let (_dir, store) = sqlite().await;
    contract::devices::run(&store).await;
}

#[tokio::test]
async fn sqlite_automations() {
    let (_dir, store) = sqlite().await;
    contract::devices::run_automations(&store).await;
}

#[tokio::test]
async fn sqlite_anomaly_labels() {
    let (_dir, store) = sqlite().await;
    contract::labels::run(&store).await;
}

#[tokio::test]
async fn sqlite_keeps_data_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reopen.db");
    let store = SqliteStore::open(&path).await.unwrap();
    contract::devices::run(&store).await;
    let before = homeguard_ports::DeviceStore::list_all(&store).await.unwrap();
    store.pool().close().await;
    let again = SqliteStore::open(&path).await.unwrap();
    assert_eq!(homeguard_ports::DeviceStore::list_all(&again).await.unwrap(), before);
}

#[tokio::test]
async fn memory_state() {
    contract::state::run(&MemoryState::new()).await;
}

#[tokio::test]
async fn memory_pubsub() {
    contract::pubsub::run(&MemoryPubSub::new()).await;
}

#[tokio::test]
async fn sqlite_device_keys() {
    let (_dir, store) = sqlite().await;
    contract::devices::run_device_keys(&store).await;
}

#[tokio::test]
async fn sqlite_events() {
    let dir = tempfile::tempdir().unwrap();
    let store = homeguard_embedded::SqliteEventStore::open(&dir.path().join("events.db")).await.unwrap();
    contract::events::run(&store).await;
}

#[tokio::test]
async fn sqlite_bus() {
    let dir = tempfile::tempdir().unwrap();
    let bus = homeguard_embedded::SqliteBus::open(&dir.path().join("bus.db")).await.unwrap();
    contract::bus::run(&bus).await;
}

#[tokio::test]
async fn sqlite_bus_survives_reopen_and_prunes_only_what_all_consumers_have() {
    use homeguard_domain::Topic;
    use homeguard_ports::{EventBus, OutMessage};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bus.db");
    let key = uuid::Uuid::new_v4();
    let msgs: Vec<_> = (0..10)
        .map(|n| OutMessage { topic: Topic::DeviceEvents, key, id: uuid::Uuid::new_v4(), payload: format!("{n}") })
        .collect();
    {
        let bus = homeguard_embedded::SqliteBus::open(&path).await.unwrap();
        bus.publish(msgs.clone()).await.unwrap();
        let got = bus.poll("a", Topic::DeviceEvents, 4, std::time::Duration::ZERO).await.unwrap();
        bus.commit("a", Topic::DeviceEvents, &homeguard_ports::Position::after(&got)).await.unwrap();
        bus.poll("b", Topic::DeviceEvents, 100, std::time::Duration::ZERO).await.unwrap();
    }
    let bus = homeguard_embedded::SqliteBus::open(&path).await.unwrap();
    let rest = bus.poll("a", Topic::DeviceEvents, 100, std::time::Duration::ZERO).await.unwrap();
    assert_eq!(rest.iter().map(|d| d.id).collect::<Vec<_>>(), msgs[4..].iter().map(|m| m.id).collect::<Vec<_>>());
    assert_eq!(bus.lag("a", Topic::DeviceEvents).await.unwrap(), 6);
    bus.commit("b", Topic::DeviceEvents, &homeguard_ports::Position::after(&rest[..2])).await.unwrap();
    let future = chrono::Utc::now() + chrono::Duration::hours(1);
    assert_eq!(bus.prune(future).await.unwrap(), 4, "only what the slowest consumer (a) has committed");
}

#[tokio::test]
async fn sqlite_readings() {
    let dir = tempfile::tempdir().unwrap();
    let store = homeguard_embedded::SqliteReadingStore::open(&dir.path().join("readings.db")).await.unwrap();
    contract::readings::run(&store).await;
}

#[tokio::test]
async fn memory_limiter() {
    contract::limits::run(&homeguard_embedded::MemoryLimiter::new()).await;
}

#[tokio::test]
async fn sqlite_agent_memory() {
    let (_dir, store) = sqlite().await;
    contract::agent::run(&store).await;
}

#[tokio::test]
async fn sqlite_homes() {
    let (_dir, store) = sqlite().await;
    contract::homes::run_homes(&store).await;
}

#[tokio::test]
async fn sqlite_alarm() {
    let (_dir, store) = sqlite().await;
    contract::homes::run_alarm(&store).await;
}

#[tokio::test]
async fn sqlite_runs() {
    let (_dir, store) = sqlite().await;
    contract::automations::run_runs(&store).await;
}

#[tokio::test]
async fn sqlite_reports() {
    let (_dir, store) = sqlite().await;
    contract::automations::run_reports(&store).await;
}

#[tokio::test]
async fn sqlite_decisions() {
    let (_dir, store) = sqlite().await;
    contract::security::run_decisions(&store).await;
}

#[tokio::test]
async fn sqlite_incidents() {
    let (_dir, store) = sqlite().await;
    contract::security::run_incidents(&store).await;
}

#[tokio::test]
async fn sqlite_notifications() {
    let (_dir, store) = sqlite().await;
    contract::automations::run_notifications(&store).await;
}
