//! The state, pub/sub and rate-limit contracts, run against a real Redis:
//! the server of `HOMEGUARD_TEST_REDIS_URL`, or the one this machine kind
//! runs on 127.0.0.1:6379. Every key and channel the suites touch holds a
//! random id, so runs sharing the server never meet.

use homeguard_ports::contract;
use homeguard_redis::RedisStore;

fn redis_url() -> String {
    homeguard_ports::contract::local_server("HOMEGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/")
}

async fn redis() -> RedisStore {
    let url = redis_url();
    RedisStore::open(&url).await.unwrap_or_else(|e| panic!("Redis at {url} is needed for these tests: {e}"))
}

#[tokio::test]
async fn redis_device_state() {
    contract::state::run(&redis().await).await;
}

#[tokio::test]
async fn redis_pubsub() {
    contract::pubsub::run(&redis().await).await;
}

#[tokio::test]
async fn redis_rate_limits() {
    contract::limits::run(&redis().await).await;
}

#[tokio::test]
async fn redis_keys_are_the_requirements_names() {
    use homeguard_ports::StateStore;
    let store = redis().await;
    let (device, user) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let mut state = homeguard_domain::DeviceState::new();
    state.insert("state".into(), serde_json::json!("locked"));
    state.insert("battery".into(), serde_json::json!(85));
    store.merge(device, &state).await.unwrap();
    store.mark_online(device, chrono::Utc::now(), std::time::Duration::from_secs(60)).await.unwrap();
    store.add_user_device(user, device).await.unwrap();

    let client = redis::Client::open(redis_url()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let fields: std::collections::HashMap<String, String> =
        redis::cmd("HGETALL").arg(format!("device:state:{device}")).query_async(&mut c).await.unwrap();
    assert_eq!(fields["state"], "locked", "readable by any Redis client");
    assert_eq!(fields["battery"], "85");
    let online: String = redis::cmd("GET").arg(format!("device:online:{device}")).query_async(&mut c).await.unwrap();
    assert_eq!(online, "1");
    let ttl: i64 = redis::cmd("TTL").arg(format!("device:online:{device}")).query_async(&mut c).await.unwrap();
    assert!((55..=60).contains(&ttl), "online for 60 s: {ttl}");
    let members: Vec<String> =
        redis::cmd("SMEMBERS").arg(format!("user:devices:{user}")).query_async(&mut c).await.unwrap();
    assert_eq!(members, vec![device.to_string()]);
    store.remove(device).await.unwrap();
    store.remove_user_device(user, device).await.unwrap();
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    let err = RedisStore::open_with("redis://127.0.0.1:1/", 1).await;
    assert!(matches!(err, Err(homeguard_ports::StoreError::Unavailable(_))), "{err:?}");
}
