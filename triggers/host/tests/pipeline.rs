//! The event pipeline end to end, through the real binary: ingest, the
//! durable bus, the handlers, the feed and the live stream.

mod common;

use std::time::{Duration, Instant};

use common::*;
use homeguard_domain::seed::device_id;
use serde_json::{Value, json};
use uuid::Uuid;

#[tokio::test]
async fn duplicates_are_kept_once_and_bad_events_not_at_all() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, "john@demo.com").await;
    let door = device_id("john@demo.com", "Garage Door");
    let key = device_key(&host, &john, door).await;
    let mut ws = stream(&host, &john, &["events"]).await;

    let event = json!({"event_id": Uuid::new_v4(), "device_id": door, "event_type": "door_open"});
    let (s1, b1) = post_as_device(&host, "/ingest/events", &key, &event).await;
    let (s2, b2) = post_as_device(&host, "/ingest/events", &key, &event).await;
    assert_eq!((s1, b1["status"].as_str()), (202, Some("accepted")));
    assert_eq!((s2, b2["status"].as_str()), (202, Some("duplicate")));
    assert!(next_json(&mut ws, Duration::from_secs(2)).await.is_some(), "pushed once");
    assert!(next_json(&mut ws, Duration::from_millis(300)).await.is_none(), "and only once");
    let (_, feed) = get(&host, &format!("/events?device_id={door}"), &john).await;
    assert_eq!(feed["count"], 1, "stored once");

    for (bad, field) in [
        (json!({"device_id": door, "event_type": "unlocked"}), "event_type"),
        (json!({"device_id": door, "event_type": "door_open", "timestamp": "2099-01-01T00:00:00Z"}), "timestamp"),
        (json!({"device_id": door, "event_type": "door_open", "payload": {"blob": "x".repeat(10_000)}}), "payload"),
        (json!({"device_id": door, "event_type": "door_open", "event_id": "not-a-uuid"}), ""),
        (json!({"device_id": door, "event_type": "door_open", "colour": "red"}), ""),
    ] {
        let (status, body) = post_as_device(&host, "/ingest/events", &key, &bad).await;
        assert_eq!(status, 400, "{bad} -> {body}");
        assert_eq!(error_code(&body), "VALIDATION_ERROR");
        if !field.is_empty() {
            assert_eq!(body["error"]["details"]["field"], field);
        }
    }
    let (status, body) = post_as_device(&host, "/ingest/events", &key, &json!([])).await;
    assert_eq!((status, error_code(&body).as_str()), (400, "VALIDATION_ERROR"));
    let r = client()
        .post(host.url("/ingest/events"))
        .header("x-device-key", &key)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Another device's key cannot speak for this one; no key is 401; a user token 403.
    let lock = device_id("john@demo.com", "Front Door Lock");
    let lock_key = device_key(&host, &john, lock).await;
    let (status, _) =
        post_as_device(&host, "/ingest/events", &lock_key, &json!({"device_id": door, "event_type": "door_open"}))
            .await;
    assert_eq!(status, 403);
    let (status, _) =
        post_as_device(&host, "/ingest/events", "hgk_wrong", &json!({"device_id": door, "event_type": "door_open"}))
            .await;
    assert_eq!(status, 401);
    let r = client()
        .post(host.url("/ingest/events"))
        .bearer_auth(&john)
        .json(&json!({"device_id": door, "event_type": "door_open"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, feed) = get(&host, &format!("/events?device_id={door}"), &john).await;
    assert_eq!(feed["count"], 1, "nothing rejected was stored");
}

#[tokio::test]
async fn batches_report_per_item_and_admins_may_post_for_any_device() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let admin = login(&host, "admin@demo.com").await;
    let thermostat = device_id("sarah@demo.com", "Living Room Thermostat");
    let batch = json!([
        {"device_id": thermostat, "event_type": "temperature_reading", "payload": {"temperature": 71.5}},
        {"device_id": thermostat, "event_type": "temperature_reading", "payload": {"temperature": 900}},
        {"device_id": Uuid::new_v4(), "event_type": "temperature_reading", "payload": {"temperature": 70}},
        {"device_id": thermostat, "event_type": "humidity_reading", "payload": {"humidity": 41}}
    ]);
    let r = client().post(host.url("/ingest/events")).bearer_auth(&admin).json(&batch).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let body: Value = r.json().await.unwrap();
    assert_eq!((body["accepted"].as_u64(), body["rejected"].as_u64()), (Some(2), Some(2)), "{body}");
    let statuses: Vec<_> =
        body["results"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap().to_owned()).collect();
    assert_eq!(statuses, ["accepted", "rejected", "rejected", "accepted"]);
    assert_eq!(body["results"][2]["error"]["code"], "DEVICE_NOT_FOUND");

    let hb = json!({"device_id": thermostat, "battery": 77, "signal_strength": -52});
    let r = client().post(host.url("/ingest/heartbeats")).bearer_auth(&admin).json(&hb).send().await.unwrap();
    assert_eq!(r.status(), 202);

    let sarah = login(&host, "sarah@demo.com").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, dev) = get(&host, &format!("/devices/{thermostat}"), &sarah).await;
        if dev["state"]["humidity"] == 41 && dev["online"] == true {
            assert_eq!(dev["state"]["temperature"], 71.5);
            break;
        }
        assert!(Instant::now() < deadline, "state never caught up: {dev}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn commands_are_carried_out_as_the_device_would() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, "john@demo.com").await;
    let sarah = login(&host, "sarah@demo.com").await;
    let lock = device_id("john@demo.com", "Front Door Lock");
    let thermostat = device_id("john@demo.com", "Hallway Thermostat");
    let mut ws = stream(&host, &john, &["events", &format!("device:{lock}")]).await;
    let c = client();

    let r = c
        .post(host.url(&format!("/devices/{lock}/command")))
        .bearer_auth(&john)
        .json(&json!({"command": "unlock"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let queued: Value = r.json().await.unwrap();
    assert_eq!(queued["status"], "queued");
    let pushed = next_json(&mut ws, Duration::from_secs(3)).await.expect("the lock reports");
    assert_eq!((pushed["type"].as_str(), pushed["event_type"].as_str()), (Some("device_event"), Some("unlocked")));
    assert_eq!(pushed["metadata"]["command_id"], queued["command_id"]);
    let (_, dev) = get(&host, &format!("/devices/{lock}"), &john).await;
    assert_eq!(dev["state"]["state"], "unlocked");

    let r = c
        .post(host.url(&format!("/devices/{thermostat}/command")))
        .bearer_auth(&john)
        .json(&json!({"command": "set_temperature", "parameters": {"temperature": 74}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, dev) = get(&host, &format!("/devices/{thermostat}"), &john).await;
        if dev["state"]["target_temperature"] == 74.0 && dev["state"]["temperature"] == 71.0 {
            assert_eq!(dev["state"]["state"], "heating", "moving toward its set point");
            break;
        }
        assert!(Instant::now() < deadline, "thermostat never moved: {dev}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    for (device, body, status, code) in [
        (
            thermostat,
            json!({"command": "set_temperature", "parameters": {"temperature": 120}}),
            400,
            "VALIDATION_ERROR",
        ),
        (lock, json!({"command": "set_temperature", "parameters": {"temperature": 70}}), 400, "VALIDATION_ERROR"),
        (lock, json!({"command": "explode"}), 400, "VALIDATION_ERROR"),
    ] {
        let r = c
            .post(host.url(&format!("/devices/{device}/command")))
            .bearer_auth(&john)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status);
        assert_eq!(error_code(&r.json().await.unwrap()), code);
    }
    let r = c
        .post(host.url(&format!("/devices/{lock}/command")))
        .bearer_auth(&sarah)
        .json(&json!({"command": "unlock"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "sarah cannot unlock john's door");
}

#[tokio::test]
async fn the_feed_pages_filters_and_guards_its_subscriptions() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, "john@demo.com").await;
    let admin = login(&host, "admin@demo.com").await;
    let camera = device_id("john@demo.com", "Front Porch Camera");
    let key = device_key(&host, &john, camera).await;
    let now = chrono::Utc::now();
    let batch: Vec<Value> = (0..12)
        .map(|i| {
            let t = if i % 3 == 0 { "person_detected" } else { "motion_detected" };
            json!({"device_id": camera, "event_type": t, "timestamp": (now - chrono::Duration::seconds(60 - i)).to_rfc3339()})
        })
        .collect();
    let (status, body) = post_as_device(&host, "/ingest/events", &key, &json!(batch)).await;
    assert_eq!((status, body["accepted"].as_u64()), (202, Some(12)));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut seen = vec![];
    let mut path = "/events?limit=5".to_owned();
    loop {
        let (status, page) = get(&host, &path, &john).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(page["events"].as_array().unwrap().iter().map(|e| e["timestamp"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/events?limit=5&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 12);
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let (_, people) = get(&host, "/events?event_type=person_detected", &john).await;
    assert_eq!(people["count"], 4);
    let from = (now - chrono::Duration::seconds(55)).to_rfc3339();
    let (_, recent) = get(&host, &format!("/events?from={}", from.replace('+', "%2B")), &john).await;
    assert_eq!(recent["count"], 7);
    let (_, everyone) = get(&host, "/events", &admin).await;
    assert_eq!(everyone["count"], 12, "admins see every home");
    for bad in [
        "/events?limit=0",
        "/events?limit=501",
        "/events?cursor=nonsense",
        "/events?event_type=teleport",
        "/events?from=yesterday",
    ] {
        let (status, body) = get(&host, bad, &john).await;
        assert_eq!((status, error_code(&body).as_str()), (400, "VALIDATION_ERROR"), "{bad}");
    }
    let sarahs = device_id("sarah@demo.com", "Back Door");
    let (status, _) = get(&host, &format!("/events?device_id={sarahs}"), &john).await;
    assert_eq!(status, 404);

    // Only admins hear the whole platform; nobody hears another home's device.
    use futures::SinkExt;
    let mut ws = stream(&host, &john, &["events"]).await;
    for channel in ["global".to_owned(), format!("device:{sarahs}"), "gossip".to_owned()] {
        let msg = json!({"action": "subscribe", "channels": [channel]}).to_string();
        ws.send(tokio_tungstenite::tungstenite::Message::Text(msg.into())).await.unwrap();
        let answer = next_json(&mut ws, Duration::from_secs(2)).await.unwrap();
        assert_eq!(answer["type"], "error", "{channel}: {answer}");
    }
    stream(&host, &admin, &["global"]).await;
    let r = client().get(host.url("/events/stream")).send().await.unwrap();
    assert_eq!(r.status(), 401, "the stream needs a token");
}

#[tokio::test]
async fn a_host_with_open_streams_still_stops_on_sigterm() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, "john@demo.com").await;
    let _ws = stream(&host, &john, &["events"]).await;
    let started = Instant::now();
    host.stop();
    assert!(started.elapsed() < Duration::from_secs(15), "stopping took {:?}", started.elapsed());
}
