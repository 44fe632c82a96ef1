//! Automations through the running host: the requirements' "Night Motion
//! Alert" fires once at night while armed (on both sides of midnight), not
//! by day, not disarmed, not twice for one event, and not again inside its
//! cooldown; its notification is stored and listed, and its webhook reaches
//! a receiver started here, signed with the home's secret.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use common::*;
use homeguard_domain::seed::{device_id, user_id};
use serde_json::{Value, json};

const JOHN: &str = "john@demo.com";

/// What a receiver was sent: each signature header with its body.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A webhook receiver: what it was sent, with the signature header.
async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/webhook/night-motion",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                let sig = headers.get("x-homeguard-signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                seen.lock().unwrap().push((sig, body.to_vec()));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook/night-motion", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

async fn set_time(host: &Host, admin: &str, at: &str) {
    let (status, out) = post(host, "/demo/time", admin, &json!({ "time": at })).await;
    assert_eq!(status, 200, "{out}");
}

async fn motion(host: &Host, admin: &str, event_id: uuid::Uuid, at: &str) {
    let body = json!({
        "event_id": event_id,
        "device_id": device_id(JOHN, "Living Room Motion"),
        "event_type": "motion_detected",
        "timestamp": at,
        "payload": { "zone": "living_room", "signature": "human" },
    });
    let (status, out) = post(host, "/ingest/events", admin, &body).await;
    assert_eq!(status, 202, "{out}");
}

async fn runs(host: &Host, token: &str, rule: &str) -> Vec<Value> {
    let (status, v) = get(host, &format!("/automations/{rule}/runs"), token).await;
    assert_eq!(status, 200, "{v}");
    v["runs"].as_array().unwrap().clone()
}

async fn runs_until(host: &Host, token: &str, rule: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = runs(host, token, rule).await;
        if r.len() >= n && r[0]["status"] != "running" {
            return r;
        }
        assert!(Instant::now() < deadline, "waited for {n} runs: {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn notifications(host: &Host, token: &str) -> Value {
    let (status, v) = get(host, "/notifications", token).await;
    assert_eq!(status, 200, "{v}");
    v
}

#[tokio::test]
async fn night_motion_alert_fires_once_at_night_while_armed() {
    let (_tmp, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, JOHN).await;
    let admin = login(&host, "admin@demo.com").await;
    let (url, received) = receiver().await;
    let sensor = device_id(JOHN, "Living Room Motion");

    // Checked when saved, naming the field.
    let mut rule = json!({
        "name": "Night Motion Alert",
        "trigger": {
            "type": "device_event", "device_id": sensor, "event_type": "motion_detected",
            "conditions": { "time_range": { "start": "22:00", "end": "06:00" }, "arm_state": "armed" }
        },
        "actions": [
            { "type": "notification", "channel": "in_app", "message": "Motion at {device} at {time}", "severity": "high" },
            { "type": "webhook", "url": url }
        ]
    });
    for (path, value, field) in [
        ("/trigger/device_id", json!(device_id("sarah@demo.com", "Back Door")), "trigger.device_id"),
        ("/actions/1/url", json!("ftp://n8n/webhook"), "actions[1].url"),
        ("/actions/1/url", json!("http://"), "actions[1].url"),
        ("/trigger/conditions/time_range/end", json!("6 am"), "trigger.conditions.time_range.end"),
    ] {
        let mut bad = rule.clone();
        *bad.pointer_mut(path).unwrap() = value;
        let (status, err) = post(&host, "/automations", &john, &bad).await;
        assert_eq!((status, err["error"]["details"]["field"].as_str()), (400, Some(field)), "{path}: {err}");
    }
    rule["cooldown_seconds"] = json!(60);
    let (status, created) = post(&host, "/automations", &john, &rule).await;
    assert_eq!(status, 201, "{created}");
    let id = created["automation_id"].as_str().unwrap().to_owned();
    let sarah = login(&host, "sarah@demo.com").await;
    let (status, _) = get(&host, &format!("/automations/{id}"), &sarah).await;
    assert_eq!(status, 404, "another home's rule is not found");

    // 23:30 in New York, armed away.
    set_time(&host, &admin, "2026-12-06T04:29:00Z").await;
    let (status, v) = post(&host, "/home/alarm/arm", &john, &json!({ "mode": "away" })).await;
    assert_eq!(status, 200, "{v}");
    let (status, _) = post(&host, "/demo/time", &admin, &json!({ "advance": "61s" })).await;
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&host, "/home/alarm", &john).await.1["state"] != "armed_away" {
        assert!(Instant::now() < deadline, "the exit delay ends");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut live = stream(&host, &john, &["notifications", "alarm"]).await;
    let first = uuid::Uuid::new_v4();
    motion(&host, &admin, first, "2026-12-06T04:30:05Z").await;
    let r = runs_until(&host, &john, &id, 1).await;
    // The notification reaches john's live stream too.
    let pushed = loop {
        let m = next_json(&mut live, Duration::from_secs(10)).await.expect("a live notification");
        // (The alarm's own incident tells john too: the rule's is the one looked for.)
        if m["type"] == "notification" && m["notification"]["source"] == "rule" {
            break m;
        }
    };
    assert_eq!(pushed["notification"]["body"], "Motion at Living Room Motion at 23:30", "{pushed}");
    assert_eq!(r[0]["status"], "done", "{r:?}");
    assert!(r[0]["conditions"].as_array().unwrap().iter().all(|c| c["ok"] == true), "{r:?}");
    // The same event again: ingest takes it as a duplicate, and nothing fires twice.
    motion(&host, &admin, first, "2026-12-06T04:30:05Z").await;
    // Another motion 20 s later: inside the cooldown, held back.
    motion(&host, &admin, uuid::Uuid::new_v4(), "2026-12-06T04:30:25Z").await;
    let r = runs_until(&host, &john, &id, 2).await;
    assert_eq!((r.len(), r[0]["status"].as_str()), (2, Some("cooldown")), "{r:?}");

    let n = notifications(&host, &john).await;
    let from_rule: Vec<&Value> =
        n["notifications"].as_array().unwrap().iter().filter(|n| n["source"] == "rule").collect();
    assert_eq!(from_rule.len(), 1, "the rule notified once: {n}");
    assert_eq!(from_rule[0]["body"], "Motion at Living Room Motion at 23:30");
    assert_eq!(from_rule[0]["severity"], "high");
    let (_, theirs) = get(&host, "/notifications", &sarah).await;
    assert_eq!(theirs["notifications"], json!([]), "only the owner's");

    // The webhook came once, signed with john's secret.
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one delivery");
    let keys = homeguard_runtime::AuthKeys::new(SECRET.as_bytes(), chrono::Duration::hours(1));
    assert_eq!(got[0].0, homeguard_runtime::auth::webhook_signature(&keys, user_id(JOHN), &got[0].1));
    let body: Value = serde_json::from_slice(&got[0].1).unwrap();
    assert_eq!(
        (body["rule"]["name"].as_str(), body["device"]["name"].as_str()),
        (Some("Night Motion Alert"), Some("Living Room Motion"))
    );

    // 02:00, across midnight: it fires again.
    set_time(&host, &admin, "2026-12-06T07:00:00Z").await;
    motion(&host, &admin, uuid::Uuid::new_v4(), "2026-12-06T07:00:00Z").await;
    let r = runs_until(&host, &john, &id, 3).await;
    assert_eq!(r[0]["status"], "done", "{r:?}");

    // 14:00: not at night, nothing fires (nor is recorded).
    set_time(&host, &admin, "2026-12-06T19:00:00Z").await;
    motion(&host, &admin, uuid::Uuid::new_v4(), "2026-12-06T19:00:00Z").await;
    // 23:45, disarmed: nothing either.
    set_time(&host, &admin, "2026-12-07T04:45:00Z").await;
    let (status, _) = post(&host, "/home/alarm/disarm", &john, &json!({ "code": "1234" })).await;
    assert_eq!(status, 200);
    motion(&host, &admin, uuid::Uuid::new_v4(), "2026-12-07T04:45:00Z").await;
    // A marker the engine judges after those: a second rule on any motion sensor, always.
    let marker = json!({
        "name": "Any motion", "cooldown_seconds": 0,
        "trigger": { "type": "device_event", "device_type": "motion", "event_type": "motion_detected" },
        "actions": [{ "type": "notification", "channel": "in_app", "message": "motion" }]
    });
    let (status, m) = post(&host, "/automations", &john, &marker).await;
    assert_eq!(status, 201, "{m}");
    motion(&host, &admin, uuid::Uuid::new_v4(), "2026-12-07T04:45:30Z").await;
    runs_until(&host, &john, m["automation_id"].as_str().unwrap(), 1).await;
    assert_eq!(runs(&host, &john, &id).await.len(), 3, "not by day, not disarmed");

    // Disabled, it stops; reading marks a notification read.
    let (status, v) = post(&host, &format!("/automations/{id}/disable"), &john, &json!({})).await;
    assert_eq!((status, v["enabled"].as_bool()), (200, Some(false)), "{v}");
    let n = notifications(&host, &john).await;
    let nid = n["notifications"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = post(&host, &format!("/notifications/{nid}/read"), &john, &json!({})).await;
    assert_eq!(status, 204);
    let (status, _) = post(&host, &format!("/notifications/{nid}/read"), &sarah, &json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(notifications(&host, &john).await["unread"].as_u64(), Some(n["unread"].as_u64().unwrap() - 1));
}

/// A receiver that always fails, counting the calls it gets.
async fn failing_receiver() -> (String, Arc<Mutex<usize>>) {
    let hits: Arc<Mutex<usize>> = Arc::default();
    let seen = hits.clone();
    let app = axum::Router::new().route(
        "/webhook/down",
        axum::routing::post(move || {
            let seen = seen.clone();
            async move {
                *seen.lock().unwrap() += 1;
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook/down", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

#[tokio::test]
async fn a_failing_webhook_is_retried_then_cut_off_and_never_blocks_the_notification() {
    let (_tmp, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, JOHN).await;
    let admin = login(&host, "admin@demo.com").await;
    let (url, hits) = failing_receiver().await;
    let rule = json!({
        "name": "Tell n8n", "cooldown_seconds": 0,
        "trigger": { "type": "device_event", "device_id": device_id(JOHN, "Living Room Motion"), "event_type": "motion_detected" },
        "actions": [
            { "type": "webhook", "url": url },
            { "type": "notification", "channel": "in_app", "message": "Motion at {device}" }
        ]
    });
    let (status, created) = post(&host, "/automations", &john, &rule).await;
    assert_eq!(status, 201, "{created}");
    let id = created["automation_id"].as_str().unwrap().to_owned();
    let (_, t) = get(&host, "/demo/time", &admin).await;
    let now: chrono::DateTime<chrono::Utc> = t["now"].as_str().unwrap().parse().unwrap();
    for i in 0..4 {
        let at = (now + chrono::Duration::seconds(i)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        motion(&host, &admin, uuid::Uuid::new_v4(), &at).await;
        let r = runs_until(&host, &john, &id, i as usize + 1).await;
        assert_eq!(r[0]["status"], "failed", "{r:?}");
        assert_eq!(
            (r[0]["actions"][0]["status"].as_str(), r[0]["actions"][1]["status"].as_str()),
            (Some("failed"), Some("done"))
        );
    }
    // Three firings of four attempts each: the breaker opens at the tenth call
    // (10 calls in its window, 60 % of them failed), and the rest fail at once.
    assert_eq!(*hits.lock().unwrap(), 10, "retried 3 times, then cut off");
    let r = runs(&host, &john, &id).await;
    assert!(r[0]["actions"][0]["detail"].as_str().unwrap().contains("circuit open"), "{r:?}");
    assert!(r[3]["actions"][0]["detail"].as_str().unwrap().contains("after 4 attempt(s)"), "{r:?}");
    assert_eq!(notifications(&host, &john).await["unread"].as_u64(), Some(4), "every notification went out");
}

#[tokio::test]
async fn rules_arm_and_raise_the_mode_but_never_disarm() {
    let (_tmp, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, JOHN).await;
    let admin = login(&host, "admin@demo.com").await;
    let rule = json!({
        "name": "Locked up for the night",
        "trigger": { "type": "device_event", "device_id": device_id(JOHN, "Front Door Lock"), "event_type": "locked" },
        "actions": [
            { "type": "arm", "mode": "away", "bypass_open": true },
            { "type": "set_mode", "mode": "home" },
            { "type": "disarm" }
        ]
    });
    let (status, created) = post(&host, "/automations", &john, &rule).await;
    assert_eq!(status, 201, "{created}");
    let id = created["automation_id"].as_str().unwrap().to_owned();
    let (_, t) = get(&host, "/demo/time", &admin).await;
    let body = json!({
        "event_id": uuid::Uuid::new_v4(),
        "device_id": device_id(JOHN, "Front Door Lock"),
        "event_type": "locked",
        "timestamp": t["now"],
        "payload": {},
    });
    let (status, out) = post(&host, "/ingest/events", &admin, &body).await;
    assert_eq!(status, 202, "{out}");
    let r = runs_until(&host, &john, &id, 1).await;
    let actions = r[0]["actions"].as_array().unwrap();
    assert_eq!(actions[0]["status"], "done", "{r:?}");
    assert!(actions[0]["detail"].as_str().unwrap().contains("arming away"), "{r:?}");
    assert_eq!(actions[1]["status"], "failed", "lowering the mode needs a code: {r:?}");
    assert!(actions[1]["detail"].as_str().unwrap().contains("code"), "{r:?}");
    assert_eq!(actions[2]["status"], "done", "{r:?}");
    assert!(actions[2]["detail"].as_str().unwrap().contains("asked the owner"), "{r:?}");
    let (_, alarm) = get(&host, "/home/alarm", &john).await;
    assert_eq!((alarm["state"].as_str(), alarm["arm_mode"].as_str()), (Some("arming"), Some("away")), "{alarm}");
    let (_, history) = get(&host, "/home/alarm/history", &john).await;
    assert!(
        history["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["by"] == "rule \u{201c}Locked up for the night\u{201d}"),
        "the log names the rule: {history}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = notifications(&host, &john).await;
        if n["notifications"].as_array().unwrap().iter().any(|n| n["title"] == "Disarm the alarm?") {
            break;
        }
        assert!(Instant::now() < deadline, "the owner is asked: {n}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    host.stop();
}

/// Takes the online TTL (60 s) of real time: a device that has spoken and
/// then goes silent is told offline within the TTL and a few seconds, and
/// the owner's offline rule tells them.
#[tokio::test]
async fn a_silent_device_goes_offline_within_its_ttl_and_its_rule_tells_the_owner() {
    let (_tmp, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, JOHN).await;
    let garage = device_id(JOHN, "Garage Door");
    let rule = json!({
        "name": "Garage sensor offline",
        "trigger": { "type": "device_offline", "device_id": garage },
        "actions": [{ "type": "notification", "channel": "in_app", "title": "Sensor offline", "message": "{device} stopped reporting", "severity": "high" }]
    });
    let (status, created) = post(&host, "/automations", &john, &rule).await;
    assert_eq!(status, 201, "{created}");
    let key = device_key(&host, &john, garage).await;
    let (status, out) =
        post_as_device(&host, "/ingest/heartbeats", &key, &json!({ "device_id": garage, "battery": 80 })).await;
    assert_eq!(status, 202, "{out}");
    let spoke = Instant::now();
    let mut live = stream(&host, &john, &["notifications"]).await;
    let told = loop {
        let m = next_json(&mut live, Duration::from_secs(80))
            .await
            .expect("a notification within the TTL and a few seconds");
        if m["type"] == "notification" {
            break m;
        }
    };
    let after = spoke.elapsed();
    assert!(after >= Duration::from_secs(59), "not before the TTL: {after:?}");
    assert!(after <= Duration::from_secs(70), "within the TTL and a few seconds: {after:?}");
    assert_eq!(told["notification"]["body"], "Garage Door stopped reporting", "{told}");
    let (_, device) = get(&host, &format!("/devices/{garage}"), &john).await;
    assert_eq!(device["online"], false, "{device}");
    let (_, events) = get(&host, &format!("/events?device_id={garage}&event_type=device_offline"), &john).await;
    assert_eq!(events["events"].as_array().unwrap().len(), 1, "told once: {events}");
    host.stop();
}
