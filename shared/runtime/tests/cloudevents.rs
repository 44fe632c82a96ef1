//! The CloudEvents adapter, driven as Knative Eventing delivers: binary and
//! structured mode, with the answers that decide redelivery.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use homeguard_domain::ErrorCode;
use homeguard_embedded::{
    MemoryLimiter, MemoryPubSub, MemoryState, SqliteBus, SqliteEventStore, SqliteReadingStore, SqliteStore,
};
use homeguard_ports::SimClock;
use homeguard_runtime::cloudevents::{self, Envelope};
use homeguard_runtime::{AuthKeys, Ctx, FnError, Metrics};
use serde::Deserialize;
use tower::ServiceExt;

#[derive(Debug, Deserialize)]
struct Ping {
    n: i64,
}

async fn handle(_ctx: Arc<Ctx>, e: Envelope<Ping>) -> Result<(), FnError> {
    match e.data.n {
        n if n < 0 => Err(FnError::invalid("n", "must not be negative")),
        0 => Err(FnError { retryable: true, ..FnError::new(ErrorCode::ServiceUnavailable, "store down") }),
        _ => {
            assert_eq!((e.ty.as_str(), e.subject.as_deref()), ("dev.homeguard.ping", Some("dev-1")));
            Ok(())
        }
    }
}

async fn app() -> (tempfile::TempDir, axum::Router) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("db")).await.unwrap());
    let ctx = Arc::new(Ctx {
        users: store.clone(),
        sessions: store.clone(),
        devices: store.clone(),
        automations: store.clone(),
        agent: store.clone(),
        labels: store.clone(),
        homes: store.clone(),
        alarm: store.clone(),
        runs: store.clone(),
        notifications: store.clone(),
        reports: store.clone(),
        security: store,
        events: Arc::new(SqliteEventStore::open(&dir.path().join("events")).await.unwrap()),
        bus: Arc::new(SqliteBus::open(&dir.path().join("bus")).await.unwrap()),
        readings: Arc::new(SqliteReadingStore::open(&dir.path().join("readings")).await.unwrap()),
        state: Arc::new(MemoryState::new()),
        pubsub: Arc::new(MemoryPubSub::new()),
        limits: Arc::new(MemoryLimiter::new()),
        clock: Arc::new(SimClock::system()),
        auth: AuthKeys::new(b"cloudevents-test-secret-cloudevents", chrono::Duration::hours(1)),
        metrics: Metrics::new(),
        outbound: std::sync::Arc::new(homeguard_runtime::outbound::Outbound::without_mail()),
    });
    let routes = axum::Router::new().route("/", cloudevents::route(handle));
    (dir, homeguard_runtime::http::mount("test", &ctx, routes))
}

fn binary(data: &str) -> Request<Body> {
    Request::post("/")
        .header("ce-specversion", "1.0")
        .header("ce-id", "evt-1")
        .header("ce-type", "dev.homeguard.ping")
        .header("ce-source", "/devices/dev-1")
        .header("ce-subject", "dev-1")
        .header("content-type", "application/json")
        .body(Body::from(data.to_owned()))
        .unwrap()
}

fn structured(data: serde_json::Value) -> Request<Body> {
    let event = serde_json::json!({
        "specversion": "1.0", "id": "evt-2", "type": "dev.homeguard.ping",
        "source": "/devices/dev-1", "subject": "dev-1", "datacontenttype": "application/json", "data": data
    });
    Request::post("/")
        .header("content-type", "application/cloudevents+json")
        .body(Body::from(event.to_string()))
        .unwrap()
}

#[tokio::test]
async fn handled_events_are_accepted_in_both_modes() {
    let (_d, app) = app().await;
    assert_eq!(app.clone().oneshot(binary(r#"{"n": 1}"#)).await.unwrap().status(), StatusCode::ACCEPTED);
    assert_eq!(app.oneshot(structured(serde_json::json!({"n": 2}))).await.unwrap().status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn events_that_can_never_be_handled_are_4xx() {
    let (_d, app) = app().await;
    assert_eq!(app.clone().oneshot(binary(r#"{"n": -1}"#)).await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.clone().oneshot(binary(r#"{"wrong": true}"#)).await.unwrap().status(), StatusCode::BAD_REQUEST);
    let not_ce = Request::post("/").header("content-type", "application/json").body(Body::from("{}")).unwrap();
    assert_eq!(app.oneshot(not_ce).await.unwrap().status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn retryable_failures_are_5xx_with_the_error_body() {
    let (_d, app) = app().await;
    let r = app.oneshot(structured(serde_json::json!({"n": 0}))).await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "SERVICE_UNAVAILABLE");
    assert!(v["error"]["trace_id"].as_str().is_some_and(|t| t.len() == 32));
}
