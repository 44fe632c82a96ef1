//! Sarah's home and its alarm through a running host, for the tests that
//! drive the panel (arming, doors, the home's clock, codes).

use std::time::{Duration, Instant};

use homeguard_domain::seed::device_id;
use serde_json::{Value, json};

use super::*;

pub const SARAH: &str = "sarah@demo.com";

pub struct Home {
    pub host: Host,
    pub sarah: String,
    pub admin: String,
}

impl Home {
    pub async fn start(dir: &std::path::Path) -> Self {
        Self::start_with(dir, &[]).await
    }

    /// With extra environment variables.
    pub async fn start_with(dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let host = Host::start_with(dir, Some(SECRET), env);
        let sarah = login(&host, SARAH).await;
        let admin = login(&host, "admin@demo.com").await;
        Self { host, sarah, admin }
    }

    pub async fn alarm(&self) -> Value {
        let (status, v) = get(&self.host, "/home/alarm", &self.sarah).await;
        assert_eq!(status, 200, "{v}");
        v
    }

    /// Waits until the alarm satisfies `ok` (consumers and the clock run on their own).
    pub async fn until(&self, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let v = self.alarm().await;
            if ok(&v) {
                return v;
            }
            assert!(Instant::now() < deadline, "waited for {what}: {v}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn state(&self, state: &str) -> Value {
        self.until(state, |v| v["state"] == state).await
    }

    pub async fn door(&self, name: &str, event_type: &str) {
        let body = json!({ "device_id": device_id(SARAH, name), "event_type": event_type });
        let (status, out) = post(&self.host, "/demo/events", &self.admin, &body).await;
        assert_eq!(status, 202, "{out}");
    }

    pub async fn advance(&self, by: &str) {
        let (status, out) = post(&self.host, "/demo/time", &self.admin, &json!({ "advance": by })).await;
        assert_eq!(status, 200, "{out}");
    }

    pub async fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let (_, t) = get(&self.host, "/demo/time", &self.admin).await;
        t["now"].as_str().unwrap().parse().unwrap()
    }

    pub async fn arm(&self, mode: &str) -> (u16, Value) {
        post(&self.host, "/home/alarm/arm", &self.sarah, &json!({ "mode": mode })).await
    }

    /// Arms away and lets the exit delay run out on the home's clock.
    pub async fn armed_away(&self) {
        let (status, v) = self.arm("away").await;
        assert_eq!((status, v["state"].as_str()), (200, Some("arming")), "{v}");
        self.advance("61s").await;
        self.state("armed_away").await;
    }

    /// The disarm's raw answer, byte for byte.
    pub async fn disarm_raw(&self, code: &str) -> (u16, String) {
        let r = client()
            .post(self.host.url("/home/alarm/disarm"))
            .bearer_auth(&self.sarah)
            .json(&json!({ "code": code }))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn disarm(&self, code: &str) -> (u16, Value) {
        let (status, text) = self.disarm_raw(code).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn history(&self, token: &str, query: &str) -> Vec<Value> {
        let (status, v) = get(&self.host, &format!("/home/alarm/history?limit=200{query}"), token).await;
        assert_eq!(status, 200, "{v}");
        v["entries"].as_array().unwrap().clone()
    }
}
