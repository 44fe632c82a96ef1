//! A real `homeguard` process on port 0, for end-to-end tests.

#![allow(dead_code, unreachable_pub)]

pub mod alarm_home;
pub mod backends;
pub mod smtp;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

pub const SECRET: &str = "e2e-secret-e2e-secret-e2e-secret-e2e";

pub struct Host {
    pub child: Child,
    pub base: String,
    pub logs: mpsc::Receiver<String>,
}

pub fn command(data_dir: &Path, secret: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_homeguard"));
    cmd.args(["up", "--port", "0", "--data-dir"])
        .arg(data_dir)
        .env_remove("JWT_SECRET")
        .env("RUST_LOG", "info")
        .env("HOMEGUARD_SIMULATOR", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(s) = secret {
        cmd.env("JWT_SECRET", s);
    }
    cmd
}

impl Host {
    /// Starts a host and waits for it to say where it listens.
    pub fn start(data_dir: &Path, secret: Option<&str>) -> Host {
        Self::start_with(data_dir, secret, &[])
    }

    /// Starts a host with extra environment variables.
    pub fn start_with(data_dir: &Path, secret: Option<&str>, env: &[(&str, &str)]) -> Host {
        let mut cmd = command(data_dir, secret);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn homeguard");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = rx.recv_timeout(left).unwrap_or_else(|_| {
                let _ = child.kill();
                let _ = child.wait();
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                panic!("host did not come up: {err}");
            });
            let v: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("log line is not JSON: {line}"));
            if let Some(addr) = v.get("addr").and_then(Value::as_str) {
                return Host { child, base: format!("http://{addr}"), logs: rx };
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "host exited with {status}");
    }

    /// Log lines printed so far.
    pub fn drain_logs(&self) -> Vec<Value> {
        self.logs.try_iter().filter_map(|l| serde_json::from_str(&l).ok()).collect()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::Client {
    homeguard_runtime::outbound::install_tls_provider();
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

pub async fn login(host: &Host, email: &str) -> String {
    let r = client()
        .post(host.url("/auth/login"))
        .json(&json!({ "email": email, "password": "demo123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login {email}");
    let body: Value = r.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

pub async fn get(host: &Host, path: &str, token: &str) -> (u16, Value) {
    let r = client().get(host.url(path)).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub async fn post(host: &Host, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let r = client().post(host.url(path)).bearer_auth(token).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Asserts the error body of the requirements and returns its code.
pub fn error_code(body: &Value) -> String {
    let e = &body["error"];
    for field in ["code", "message", "details", "trace_id", "timestamp"] {
        assert!(!e[field].is_null(), "error body lacks {field}: {body}");
    }
    assert!(chrono::DateTime::parse_from_rfc3339(e["timestamp"].as_str().unwrap()).is_ok());
    e["code"].as_str().unwrap().to_owned()
}

pub fn temp_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    (dir, path)
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the notification stream as a browser would (token in the query)
/// and subscribes to `channels`.
pub async fn stream(host: &Host, token: &str, channels: &[&str]) -> Ws {
    use futures::SinkExt;
    let url = format!("{}/events/stream?token={token}", host.base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
    let hello = next_json(&mut ws, Duration::from_secs(5)).await.expect("hello");
    assert_eq!(hello["type"], "connected");
    let sub = json!({ "action": "subscribe", "channels": channels }).to_string();
    ws.send(tokio_tungstenite::tungstenite::Message::Text(sub.into())).await.unwrap();
    let ack = next_json(&mut ws, Duration::from_secs(5)).await.expect("subscription answer");
    assert_eq!(ack["type"], "subscribed", "{ack}");
    ws
}

/// The next JSON text message within `wait`, or None.
pub async fn next_json(ws: &mut Ws, wait: Duration) -> Option<Value> {
    use futures::StreamExt;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.ok()??.ok()?;
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            return serde_json::from_str(&t).ok();
        }
    }
}

/// Posts JSON with a device key.
pub async fn post_as_device(host: &Host, path: &str, key: &str, body: &Value) -> (u16, Value) {
    let r = client().post(host.url(path)).header("x-device-key", key).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A fresh ingest key for one of the caller's devices.
pub async fn device_key(host: &Host, token: &str, device: uuid::Uuid) -> String {
    let r = client().post(host.url(&format!("/devices/{device}/key"))).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["device_key"].as_str().unwrap().to_owned()
}

pub async fn put(host: &Host, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let r = client().put(host.url(path)).bearer_auth(token).json(body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}
