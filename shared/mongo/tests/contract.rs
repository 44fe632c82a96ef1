//! The document contracts, run against a MongoDB-wire server: the one of
//! `HOMEGUARD_TEST_MONGO_URL` (CI starts `nx-27017`, a CRUD-level server on
//! SQLite, and sets it). Without it these tests say they are skipped and why
//! (under `CI`, fail).

use homeguard_mongo::MongoStore;
use homeguard_ports::contract;

async fn mongo() -> Option<MongoStore> {
    let url = contract::test_server("HOMEGUARD_TEST_MONGO_URL", "a MongoDB-wire server")?;
    let name = format!("hg_contract_{}", uuid::Uuid::new_v4().simple());
    Some(MongoStore::open_database(&url, &name).await.unwrap_or_else(|e| panic!("MongoDB at {url}: {e}")))
}

#[tokio::test]
async fn mongo_devices() {
    let Some(store) = mongo().await else { return };
    contract::devices::run(&store).await;
    contract::devices::run_device_keys(&store).await;
    store.database().drop().await.unwrap();
}

#[tokio::test]
async fn mongo_automations() {
    let Some(store) = mongo().await else { return };
    contract::devices::run_automations(&store).await;
    store.database().drop().await.unwrap();
}

#[tokio::test]
async fn mongo_agent_memory() {
    let Some(store) = mongo().await else { return };
    contract::agent::run(&store).await;
    store.database().drop().await.unwrap();
}

#[tokio::test]
async fn mongo_anomaly_labels() {
    let Some(store) = mongo().await else { return };
    contract::labels::run(&store).await;
    store.database().drop().await.unwrap();
}

#[tokio::test]
async fn mongo_homes() {
    let Some(store) = mongo().await else { return };
    contract::homes::run_homes(&store).await;
    store.database().drop().await.unwrap();
}

#[tokio::test]
async fn mongo_runs_and_notifications() {
    let Some(store) = mongo().await else { return };
    contract::automations::run_runs(&store).await;
    contract::automations::run_notifications(&store).await;
    contract::automations::run_reports(&store).await;
    store.database().drop().await.unwrap();
}

#[tokio::test]
async fn mongo_decisions_and_incidents() {
    let Some(store) = mongo().await else { return };
    contract::security::run_decisions(&store).await;
    contract::security::run_incidents(&store).await;
    store.database().drop().await.unwrap();
}
