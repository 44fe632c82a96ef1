//! Back-pressure: a client that stops reading must not slow the pipeline
//! or the other clients. Heavy, so in a test binary of its own.

mod common;

use std::time::{Duration, Instant};

use common::*;
use homeguard_domain::seed::device_id;
use serde_json::{Value, json};

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_with_a_reason_and_slows_nobody() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let admin = login(&host, "admin@demo.com").await;
    let sarah = login(&host, "sarah@demo.com").await;
    let mut stalled = stream(&host, &sarah, &["events"]).await;
    let mut reader = stream(&host, &sarah, &["events"]).await;
    let counted = tokio::spawn(async move {
        let mut n = 0;
        while n < 20_000 {
            match next_json(&mut reader, Duration::from_secs(20)).await {
                Some(m) if m["type"] == "device_event" => n += 1,
                Some(_) => {}
                None => break,
            }
        }
        n
    });

    // 20,000 events (several MB of messages) while one client reads nothing.
    let camera = device_id("sarah@demo.com", "Backyard Camera");
    let started = Instant::now();
    for _ in 0..20 {
        let batch: Vec<Value> = (0..1000)
            .map(|i| json!({"device_id": camera, "event_type": "motion_detected", "payload": {"pad": "x".repeat(200), "i": i}}))
            .collect();
        let r = client().post(host.url("/ingest/events")).bearer_auth(&admin).json(&batch).send().await.unwrap();
        assert_eq!(r.status(), 202);
    }
    assert_eq!(counted.await.unwrap(), 20_000, "a client that reads gets everything");
    assert!(started.elapsed() < Duration::from_secs(20), "the pipeline was held up: {:?}", started.elapsed());

    // The stalled client finds, after what was already sent, a close with a reason.
    let close = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(msg) = stalled.next().await {
            match msg {
                Ok(Message::Close(frame)) => return frame,
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("the stalled client is closed");
    let frame = close.expect("with a close frame");
    assert_eq!(u16::from(frame.code), 1013);
    assert!(frame.reason.contains("too slow"), "{}", frame.reason);
}
