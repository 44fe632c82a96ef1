//! The auth function run alone, as its image runs: it serves its routes,
//! its readiness checks the stores of the ports it holds and nothing else,
//! and it never opens a store it does not hold.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn the_function_alone_serves_and_checks_only_what_it_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    {
        // A data dir with the demo homes, as `homeguard seed` leaves it.
        let (_lock, _ctx) = homeguard_wiring::seeded_ctx_in(&dir).await.unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_hg-fn-auth"))
        .args(["--port", "0", "--data-dir"])
        .arg(&dir)
        .env("JWT_SECRET", "auth-alone-secret-auth-alone-secret")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = loop {
        let line = rx.recv_timeout(Duration::from_secs(30)).expect("the function says where it listens");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if let Some(a) = v.get("addr").and_then(|a| a.as_str()) {
            assert_eq!(v["service"], "hg-fn-auth");
            break a.to_owned();
        }
    };
    let base = format!("http://{addr}");
    homeguard_runtime::outbound::install_tls_provider();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();

    let login = serde_json::json!({ "email": "john@demo.com", "password": "demo123" });
    let r = client.post(format!("{base}/auth/login")).json(&login).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = client.get(format!("{base}/health/readiness")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ready: serde_json::Value = r.json().await.unwrap();
    let checks: Vec<&String> = ready["checks"].as_object().unwrap().keys().collect();
    assert_eq!(checks, ["users", "state"], "users and sessions live in the users store, failed-login buckets in state");
    let r = client.get(format!("{base}/devices")).send().await.unwrap();
    assert_eq!(r.status(), 404, "the device registry is another function");
    let _ = child.kill();
    let _ = child.wait();
    for file in ["events.db", "bus.db", "readings.db"] {
        assert!(!dir.join(file).exists(), "{file}: a store it does not hold is never opened");
    }
}
