//! Live delivery at idle, in a test binary of its own so that no other
//! test's load skews the latency it asserts.

mod common;

use std::time::{Duration, Instant};

use common::*;
use homeguard_domain::seed::device_id;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn an_event_reaches_its_owner_live_and_in_the_feed_and_nobody_else() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, "john@demo.com").await;
    let sarah = login(&host, "sarah@demo.com").await;
    let motion = device_id("john@demo.com", "Living Room Motion");
    let key = device_key(&host, &john, motion).await;

    let mut johns_ws = stream(&host, &john, &["events", "devices"]).await;
    let mut sarahs_ws = stream(&host, &sarah, &["events", "devices"]).await;
    let event_id = Uuid::new_v4();
    let event = json!({
        "event_id": event_id, "device_id": motion, "event_type": "motion_detected",
        "payload": {"zone": "living_room", "intensity": 0.85, "signature": "human"},
        "metadata": {"firmware_version": "2.1.0", "signal_strength": -45, "is_simulated": false}
    });
    let sent = Instant::now();
    let (status, body) = post_as_device(&host, "/ingest/events", &key, &event).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("accepted")), "{body}");

    let pushed = loop {
        let m = next_json(&mut johns_ws, Duration::from_secs(2)).await.expect("pushed to john");
        if m["type"] == "device_event" {
            break m;
        }
    };
    let latency = sent.elapsed();
    assert_eq!(
        (pushed["event_id"].as_str(), pushed["event_type"].as_str()),
        (Some(event_id.to_string().as_str()), Some("motion_detected"))
    );
    assert_eq!(pushed["data"]["signature"], "human");
    assert!(latency < Duration::from_millis(100), "pushed after {latency:?}");
    let state = next_json(&mut johns_ws, Duration::from_secs(2)).await.expect("state change");
    assert_eq!((state["type"].as_str(), state["state"]["state"].as_str()), (Some("device_state"), Some("motion")));

    let (_, feed) = get(&host, "/events?limit=5", &john).await;
    assert_eq!(feed["events"][0]["event_id"], event_id.to_string(), "in the feed at once");
    let (_, theirs) = get(&host, "/events", &sarah).await;
    assert_eq!(theirs["count"], 0, "sarah's feed holds nothing of john's");
    assert!(next_json(&mut sarahs_ws, Duration::from_millis(300)).await.is_none(), "sarah hears nothing");

    let (_, dev) = get(&host, &format!("/devices/{motion}"), &john).await;
    assert_eq!((dev["state"]["state"].as_str(), dev["online"].as_bool()), (Some("motion"), Some(true)));
}
