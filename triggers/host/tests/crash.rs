//! Durability: the host is killed with SIGKILL while it ingests under load;
//! after a restart, every event that was answered 202 is in the event store,
//! once, and has reached the state handler too. On the embedded backends,
//! and on every production backend reachable here (Kafka, PostgreSQL, Redis,
//! the MongoDB-wire server).

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use homeguard_domain::seed::device_id;
use serde_json::{Value, json};
use uuid::Uuid;

const DEVICES: [(&str, &str, &str); 5] = [
    ("Front Door Lock", "locked", "{}"),
    ("Living Room Motion", "motion_detected", r#"{"intensity": 0.5}"#),
    ("Hallway Thermostat", "temperature_reading", r#"{"temperature": 70.5}"#),
    ("Garage Door", "door_open", "{}"),
    ("Front Porch Camera", "person_detected", "{}"),
];

/// What the load saw acknowledged: per device, event id -> timestamp (ms).
type Acked = Arc<Mutex<HashMap<Uuid, Vec<(Uuid, i64)>>>>;

async fn load(
    base: String,
    key: String,
    device: Uuid,
    event_type: &'static str,
    payload: Value,
    start_ms: i64,
    acked: Acked,
) {
    let c = client();
    for round in 0i64.. {
        let batch: Vec<(Uuid, i64, Value)> = (0..20)
            .map(|i| {
                let id = Uuid::new_v4();
                let ts = start_ms + round * 20 + i;
                let at = chrono::DateTime::from_timestamp_millis(ts).unwrap().to_rfc3339();
                (id, ts, json!({"event_id": id, "device_id": device, "event_type": event_type, "payload": payload, "timestamp": at}))
            })
            .collect();
        let body: Vec<&Value> = batch.iter().map(|(_, _, v)| v).collect();
        let sent = c.post(format!("{base}/ingest/events")).header("x-device-key", &key).json(&body).send().await;
        let Ok(r) = sent else { return };
        if r.status() != 202 {
            return;
        }
        let Ok(answer) = r.json::<Value>().await else { return };
        let mut acked = acked.lock().unwrap();
        for (res, (id, ts, _)) in answer["results"].as_array().unwrap().iter().zip(&batch) {
            assert_eq!(res["status"], "accepted");
            acked.entry(device).or_default().push((*id, *ts));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_sigkill() {
    let (_t, dir) = temp_dir();
    survive_sigkill(&dir, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_events_survive_sigkill_on_kafka_and_the_production_stores() {
    let backends = common::backends::Backends::new(8).await;
    if backends.kafka.is_none() {
        eprintln!("SKIPPED: this test is about Kafka");
        return backends.clean_up().await;
    }
    let (_t, dir) = temp_dir();
    let env = backends.env();
    survive_sigkill(&dir, &common::backends::as_env(&env)).await;
    backends.clean_up().await;
}

/// Loads the host at `dir` (with `env`), kills it, restarts it and checks
/// that every acknowledged event was stored once and applied.
async fn survive_sigkill(dir: &std::path::Path, env: &[(&str, &str)]) {
    let mut host = Host::start_with(dir, Some(SECRET), env);
    let john = login(&host, "john@demo.com").await;
    let acked: Acked = Arc::default();
    let start_ms = (chrono::Utc::now() - chrono::Duration::minutes(30)).timestamp_millis();
    let mut tasks = vec![];
    for (n, (name, event_type, payload)) in DEVICES.iter().enumerate() {
        let device = device_id("john@demo.com", name);
        let key = device_key(&host, &john, device).await;
        // Two senders per device, on disjoint timestamps.
        for lane in 0..2i64 {
            let payload: Value = serde_json::from_str(payload).unwrap();
            let start = start_ms + (n as i64 * 2 + lane) * 10_000_000;
            tasks.push(tokio::spawn(load(
                host.base.clone(),
                key.clone(),
                device,
                event_type,
                payload,
                start,
                acked.clone(),
            )));
        }
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    host.child.kill().expect("SIGKILL");
    host.child.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let total: usize = acked.values().map(Vec::len).sum();
    assert!(total >= 200, "the load was too light to mean anything: {total} events");

    let host = Host::start_with(dir, Some(SECRET), env);
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    for (device, events) in &acked {
        let want: HashSet<Uuid> = events.iter().map(|(id, _)| *id).collect();
        let newest = events.iter().map(|(_, ts)| *ts).max().unwrap();
        loop {
            let mut stored = Vec::new();
            let mut path = format!("/events?device_id={device}&limit=500");
            loop {
                let (status, page) = get(&host, &path, &john).await;
                assert_eq!(status, 200, "{page}");
                stored.extend(
                    page["events"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| Uuid::parse_str(e["event_id"].as_str().unwrap()).unwrap()),
                );
                match page["next_cursor"].as_str() {
                    Some(c) => path = format!("/events?device_id={device}&limit=500&cursor={c}"),
                    None => break,
                }
            }
            let (_, dev) = get(&host, &format!("/devices/{device}"), &john).await;
            let applied = dev["state"]["last_event_time"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.timestamp_millis())
                .unwrap_or(0);
            let unique: HashSet<Uuid> = stored.iter().copied().collect();
            assert_eq!(unique.len(), stored.len(), "device {device}: an event is stored twice");
            let missing = want.difference(&unique).count();
            if missing == 0 && applied >= newest {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "device {device}: {missing} of {} acknowledged events missing; state at {applied}, newest acked {newest}",
                want.len()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    eprintln!("{total} acknowledged events, all stored once and applied after SIGKILL");
}
