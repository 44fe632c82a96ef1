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
