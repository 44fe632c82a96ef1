//! The event store contract on ScyllaDB. No ScyllaDB or Cassandra can run
//! on this machine kind, so the suite is ignored, with the reason, unless a
//! server is given: e.g. `docker run -d -p 9042:9042 scylladb/scylla --smp 1`,
//! then `HOMEGUARD_TEST_SCYLLA_HOSTS=127.0.0.1:9042 scripts/test` (which runs
//! the ignored suites whose server is set) or
//! `HOMEGUARD_TEST_SCYLLA_HOSTS=127.0.0.1:9042 cargo test -p homeguard-scylla -- --ignored`.
//! Each run uses a keyspace of its own.

use homeguard_ports::contract;
use homeguard_scylla::ScyllaEventStore;

async fn scylla() -> ScyllaEventStore {
    let hosts = std::env::var("HOMEGUARD_TEST_SCYLLA_HOSTS").expect("HOMEGUARD_TEST_SCYLLA_HOSTS names a ScyllaDB");
    let keyspace = format!("hg_contract_{}", uuid::Uuid::new_v4().simple());
    ScyllaEventStore::open(&hosts, &keyspace).await.unwrap_or_else(|e| panic!("ScyllaDB at {hosts}: {e}"))
}

#[tokio::test]
#[ignore = "needs a ScyllaDB server (none can run here): set HOMEGUARD_TEST_SCYLLA_HOSTS and run with --ignored"]
async fn scylla_events() {
    contract::events::run(&scylla().await).await;
}

#[tokio::test]
async fn an_unreachable_cluster_is_a_clear_error() {
    let e = ScyllaEventStore::open_with("127.0.0.1:1", "iot_events", 1).await.unwrap_err().to_string();
    assert!(e.contains("scylla"), "{e}");
}

#[tokio::test]
async fn a_keyspace_name_is_checked_before_it_reaches_cql() {
    let e = ScyllaEventStore::open_with("127.0.0.1:1", "x; DROP KEYSPACE y", 1).await.unwrap_err().to_string();
    assert!(e.contains("not a keyspace name"), "{e}");
}
