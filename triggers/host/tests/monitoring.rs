//! Reporting to a monitoring center through the running host, to a real
//! SIA DC-09 receiver started here (pysiaalarm, as Home Assistant runs it)
//! on an encrypted line: a burglary is reported once its abort window has
//! passed and acknowledged, with its zone; a disarm inside the abort window
//! sends nothing; duress reaches the receiver while the household's side is
//! a normal disarm; a panic is reported at once, its cancel after; the line
//! is supervised; admins alone read the reports.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::alarm_home::Home;
use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const ACCOUNT: &str = "5A17";
const KEY: &str = "A1B2C3D4E5F60718";

/// The receiver and what it has taken, line by line.
async fn receiver() -> (Child, u16, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sia_receiver.py");
    let mut child = Command::new("python3")
        .arg(script)
        .args([ACCOUNT, KEY])
        .kill_on_drop(true)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
    let first = first.ok().and_then(|l| l.ok().flatten()).unwrap_or_else(|| {
        panic!("the SIA receiver did not start: `python3 -m pip install pysiaalarm` (scripts/test installs it)")
    });
    let port = serde_json::from_str::<Value>(&first).unwrap()["port"].as_u64().unwrap() as u16;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = tx.send(serde_json::from_str(&line).unwrap());
        }
    });
    (child, port, rx)
}

/// The next event message the receiver took (supervision aside).
async fn next_event(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Value>) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("a report").unwrap();
        if m["message_type"] == "ADM-CID" {
            return m;
        }
    }
}

fn drain_events(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Value>) -> Vec<Value> {
    let mut out = vec![];
    while let Ok(m) = rx.try_recv() {
        if m["message_type"] == "ADM-CID" {
            out.push(m);
        }
    }
    out
}

/// What monitoring has recorded, as an admin reads it.
async fn reports(h: &Home) -> Value {
    let (status, v) = get(&h.host, "/monitoring/reports", &h.admin).await;
    assert_eq!(status, 200, "{v}");
    v
}

#[tokio::test]
async fn alarms_reach_a_real_dc09_receiver_and_are_acknowledged() {
    let (_tmp, dir) = temp_dir();
    let (_receiver, port, mut taken) = receiver().await;
    let line = format!("127.0.0.1:{port}");
    let env = [("MONITORING_DC09", line.as_str()), ("MONITORING_ACCOUNT", ACCOUNT), ("MONITORING_KEY", KEY)];
    let h = Home::start_with(&dir, &env).await;
    let (status, _) = get(&h.host, "/monitoring/reports", &h.sarah).await;
    assert_eq!(status, 403, "admins alone read what monitoring sees");

    // A break-in: the entry delay runs out, then the abort window: reported, acknowledged.
    h.armed_away().await;
    h.door("Back Door", "door_open").await;
    h.state("pending").await;
    h.advance("31s").await;
    let v = h.state("triggered").await;
    assert_eq!(v["alarm"]["sent"], false, "{v}");
    assert!(drain_events(&mut taken).is_empty(), "nothing inside the abort window");
    h.advance("31s").await;
    let burglary = next_event(&mut taken).await;
    assert_eq!(
        (burglary["account"].as_str(), burglary["event_type"].as_str(), burglary["code"].as_str()),
        (Some(ACCOUNT), Some("134"), Some("BA")),
        "{burglary}"
    );
    assert_eq!((burglary["encrypted"].as_bool(), burglary["response"].as_str()), (Some(true), Some("ACK")));
    assert_ne!(burglary["ri"], "000", "the back door's zone: {burglary}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let report = loop {
        let r = reports(&h).await;
        if let Some(rep) = r["reports"].as_array().unwrap().iter().find(|r| r["code"] == 134) {
            break rep.clone();
        }
        assert!(Instant::now() < deadline, "{r}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(report["status"], "acknowledged", "{report}");
    assert!(report["detail"].as_str().unwrap().contains("ACK"), "{report}");
    let (status, _) = h.disarm_raw("2580").await;
    assert_eq!(status, 200);
    h.door("Back Door", "door_closed").await;
    // With it, "recent closing" (an alarm within 2 minutes of arming), then the disarm's cancel.
    let mut after = vec![];
    while after.last().is_none_or(|m: &Value| m["event_type"] != "406") {
        after.push(next_event(&mut taken).await);
        assert!(after.len() <= 3, "a cancel follows the disarm: {after:?}");
    }
    let codes: Vec<&str> = after.iter().filter_map(|m| m["event_type"].as_str()).collect();
    assert_eq!(codes, ["459", "406"], "{after:?}");

    // Disarmed inside the abort window: nothing reaches the receiver.
    h.armed_away().await;
    h.door("Back Door", "door_open").await;
    h.state("pending").await;
    h.advance("31s").await;
    h.state("triggered").await;
    let (status, _) = h.disarm_raw("2580").await;
    assert_eq!(status, 200);
    h.door("Back Door", "door_closed").await;
    h.advance("2m").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(drain_events(&mut taken).is_empty(), "a disarm inside the abort window sends nothing");

    // Duress: the household's answer is a normal disarm's; monitoring gets 121.
    let (status, _) =
        post(&h.host, "/home/codes", &h.sarah, &json!({ "name": "Sarah", "code": "7391", "kind": "duress" })).await;
    assert_eq!(status, 201);
    h.armed_away().await;
    let (status, normal_body) = {
        let (s, b) = h.disarm_raw("2580").await;
        (s, b)
    };
    assert_eq!(status, 200);
    h.armed_away().await;
    let (status, duress_body) = h.disarm_raw("7391").await;
    assert_eq!((status, duress_body), (200, normal_body), "nothing on the household's side differs");
    let duress = next_event(&mut taken).await;
    assert_eq!((duress["event_type"].as_str(), duress["code"].as_str()), (Some("121"), Some("HA")), "{duress}");

    // A panic goes at once.
    let (status, _) = post(&h.host, "/home/alarm/panic", &h.sarah, &json!({})).await;
    assert_eq!(status, 200);
    let panic = next_event(&mut taken).await;
    assert_eq!(panic["event_type"], "120", "{panic}");
    let r = reports(&h).await;
    assert_eq!(r["receiver"], line.as_str());
    let codes: Vec<u64> = r["reports"].as_array().unwrap().iter().filter_map(|r| r["code"].as_u64()).collect();
    for code in [134, 459, 406, 121, 120] {
        assert!(codes.contains(&code), "{code} recorded: {r}");
    }
    assert!(r["reports"].as_array().unwrap().iter().all(|r| r["status"] == "acknowledged"), "{r}");
    h.host.stop();
}

#[tokio::test]
async fn without_a_central_station_admins_read_the_reports_here() {
    let (_tmp, dir) = temp_dir();
    let h = Home::start(&dir).await;
    let (status, _) = post(&h.host, "/home/alarm/panic", &h.sarah, &json!({})).await;
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = reports(&h).await;
        if let Some(rep) = r["reports"].as_array().unwrap().iter().find(|r| r["code"] == 120) {
            assert_eq!((rep["status"].as_str(), r["receiver"].as_str()), (Some("local"), None), "{r}");
            break;
        }
        assert!(Instant::now() < deadline, "{r}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    h.host.stop();
}
