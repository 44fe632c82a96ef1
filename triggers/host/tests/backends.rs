//! The platform on the production backends reachable here: the event bus
//! on Kafka (the broker `scripts/test` starts), users and sessions on
//! PostgreSQL, readings on PostgreSQL's partitioned table, device state,
//! online flags, device sets and the live pub/sub on Redis, devices and the
//! other documents on the MongoDB-wire server `scripts/test` starts, the
//! rest embedded. Same binary, chosen by `KAFKA_BROKERS`, `POSTGRES_URL`,
//! `TIMESCALE_URL`, `REDIS_URL` and `MONGO_URL`.

mod common;

use std::time::Duration;

use common::backends::{Backends, as_env};
use common::*;
use homeguard_domain::seed::device_id;
use serde_json::{Value, json};
use sqlx::Connection;

#[tokio::test]
async fn the_platform_runs_on_the_production_backends_and_keeps_everything_across_a_restart() {
    let backends = Backends::new(7).await;
    let pg_url = backends.pg_url.clone();
    let mut r = Backends::redis(&backends.redis_url).await;
    let (_t, dir) = temp_dir();
    let env = backends.env();
    let env = as_env(&env);
    let host = Host::start_with(&dir, Some(SECRET), &env);
    let on_mongo = env.iter().any(|(k, _)| *k == "MONGO_URL");
    let john = login(&host, "john@demo.com").await;

    // The seed went to PostgreSQL.
    let mut conn = sqlx::PgConnection::connect(&pg_url).await.unwrap();
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&mut conn).await.unwrap();
    assert_eq!(users, 3);
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM user_sessions").fetch_one(&mut conn).await.unwrap();
    assert_eq!(sessions, 1, "john's login is a session row");

    // An event flows to the WebSocket through Redis pub/sub and into the state hash.
    let door = device_id("john@demo.com", "Garage Door");
    let key = device_key(&host, &john, door).await;
    let mut ws = stream(&host, &john, &["events", "devices"]).await;
    let (status, _) =
        post_as_device(&host, "/ingest/heartbeats", &key, &json!({"device_id": door, "battery": 77})).await;
    assert_eq!(status, 202);
    let (status, _) =
        post_as_device(&host, "/ingest/events", &key, &json!({"device_id": door, "event_type": "door_open"})).await;
    assert_eq!(status, 202);
    let mut got_event = false;
    while let Some(m) = next_json(&mut ws, Duration::from_secs(5)).await {
        if m["type"] == "device_event" && m["event_type"] == "door_open" {
            got_event = true;
            break;
        }
    }
    assert!(got_event, "the event reached the stream through Redis");
    let state: std::collections::HashMap<String, String> =
        redis::cmd("HGETALL").arg(format!("device:state:{door}")).query_async(&mut r).await.unwrap();
    assert_eq!(state.get("state").map(String::as_str), Some("open"), "{state:?}");
    let online: Option<String> =
        redis::cmd("GET").arg(format!("device:online:{door}")).query_async(&mut r).await.unwrap();
    assert_eq!(online.as_deref(), Some("1"));
    let members: Vec<String> = redis::cmd("SMEMBERS")
        .arg(format!("user:devices:{}", homeguard_domain::seed::user_id("john@demo.com")))
        .query_async(&mut r)
        .await
        .unwrap();
    assert_eq!(members.len(), 5, "john's device set");
    drop(ws);
    host.stop();

    // A new process on the same backends: the token and the state are still there.
    let host = Host::start_with(&dir, Some(SECRET), &env);
    let (status, devices) = get(&host, &format!("/devices/{door}"), &john).await;
    assert_eq!(status, 200, "the session lives in PostgreSQL: {devices}");
    assert_eq!(devices["state"]["state"], "open", "{devices}");
    let r2 = client().post(host.url("/auth/logout")).bearer_auth(&john).send().await.unwrap();
    assert_eq!(r2.status(), 204);
    let (status, _) = get(&host, "/users/me", &john).await;
    assert_eq!(status, 401, "logout revoked the session in PostgreSQL");
    let (status, body): (u16, Value) = get(&host, "/health/readiness", "").await;
    assert_eq!(status, 200, "{body}");
    host.stop();

    // The heartbeat's battery became a reading in PostgreSQL's partitioned table and its rollup.
    let battery: Option<f64> = sqlx::query_scalar(
        "SELECT value FROM sensor_readings WHERE device_id = $1 AND reading_type = 'battery' ORDER BY time DESC LIMIT 1",
    )
    .bind(door)
    .fetch_optional(&mut conn)
    .await
    .unwrap();
    assert_eq!(battery, Some(77.0));
    let rolled: i64 =
        sqlx::query_scalar("SELECT COALESCE(SUM(event_count), 0)::bigint FROM hourly_readings WHERE device_id = $1")
            .bind(door)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(rolled >= 1, "the adapter keeps the hourly rollup");

    // The embedded database is opened only for ports that live on it: with
    // the devices on MongoDB and the users on PostgreSQL, none does.
    let local_db = dir.join("homeguard.db");
    if on_mongo {
        assert!(!local_db.exists(), "no port is on the embedded database, so it was never opened");
    } else {
        let mut local = sqlx::SqliteConnection::connect(&format!("sqlite:{}", local_db.display())).await.unwrap();
        let local_devices: i64 =
            sqlx::query_scalar("SELECT count(*) FROM devices").fetch_one(&mut local).await.unwrap();
        assert_eq!(local_devices, 17);
        let local_users: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&mut local).await.unwrap();
        assert_eq!(local_users, 0, "users live in PostgreSQL");
    }
    let on_kafka = env.iter().any(|(k, _)| *k == "KAFKA_BROKERS");
    assert_eq!(dir.join("bus.db").exists(), !on_kafka, "the events went through Kafka, not the embedded log");
    drop(conn);
    backends.clean_up().await;
}
