//! The functions' declarations: what the host, each function's own server
//! and the Knative manifests are built from.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use homeguard_domain::seed::{device_id, user_id};
use homeguard_domain::{Event, EventType, Topic};
use homeguard_host::{Demo, functions, knative};
use homeguard_runtime::function::cloudevents_path;
use homeguard_runtime::{Declared, Function, bus};
use tower::ServiceExt;

async fn ctx() -> (tempfile::TempDir, homeguard_wiring::DataDir, Arc<homeguard_runtime::Ctx>) {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, ctx) = homeguard_wiring::seeded_ctx_in(tmp.path()).await.unwrap();
    (tmp, dir, ctx)
}

fn cloudevent(path: &str, data: serde_json::Value) -> Request<Body> {
    let event = serde_json::json!({
        "specversion": "1.0", "id": "x", "type": "dev.homeguard.test", "source": "/test",
        "datacontenttype": "application/json", "data": data,
    });
    Request::post(path)
        .header("content-type", "application/cloudevents+json")
        .body(Body::from(event.to_string()))
        .unwrap()
}

/// Each subscription is served by its function's own server at its
/// CloudEvents path (which decodes the topic's messages: data of the wrong
/// shape is refused for good), and no function takes a topic it does not
/// declare.
#[tokio::test]
async fn every_declared_subscription_is_served_by_its_functions_router() {
    let (_tmp, _dir, ctx) = ctx().await;
    let mut consumed = HashSet::new();
    for f in functions(&Demo::default()) {
        let server = f.server(&ctx);
        let topics = f.topics();
        assert_eq!(f.consumers(&ctx).len(), topics.len(), "{}: one consumer per subscription", f.name());
        for topic in Topic::ALL {
            let res = server.clone().oneshot(cloudevent(&cloudevents_path(topic), serde_json::json!({"x": 1}))).await;
            let status = res.unwrap().status();
            if topics.contains(&topic) {
                assert_eq!(status, StatusCode::BAD_REQUEST, "{} serves {topic} and decodes it", f.name());
                consumed.insert(topic);
            } else {
                assert_eq!(status, StatusCode::NOT_FOUND, "{} does not take {topic}", f.name());
            }
        }
    }
    let expected =
        [Topic::DeviceEvents, Topic::DeviceHeartbeats, Topic::DeviceCommands, Topic::HomeAlarm, Topic::Notifications];
    assert_eq!(consumed, expected.into_iter().collect(), "what the pipeline consumes");
}

#[test]
fn functions_are_named_by_their_crates_once() {
    let all = functions(&Demo::default());
    let names: HashSet<_> = all.iter().map(|f| f.name()).collect();
    assert_eq!(names.len(), all.len(), "no two functions share a name");
    for f in &all {
        assert!(f.name().starts_with("hg-fn-"), "{} is its crate's name", f.name());
        for t in f.topics() {
            assert!(knative::source_name(f.name(), t).len() <= 63, "a KafkaSource name is a DNS label");
        }
        assert!(!f.holds().is_empty(), "{} holds what it uses", f.name());
    }
    assert_eq!(all.iter().filter(|f| f.dead_letter_sink()).count(), 1, "one dead-letter sink");
}

#[test]
fn the_committed_manifests_are_the_generated_ones() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knative");
    for (file, text) in knative::manifests(&functions(&Demo::default())) {
        let committed = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        assert!(
            committed == text,
            "knative/{file} differs from the functions' declarations; regenerate it with `cargo run -p homeguard-host -- knative --out knative`"
        );
    }
}

// A bus handler as a new capability would add it (CONTRIBUTING.md shows the
// same): a context of what it holds, a handler, and a declaration. Handed
// to the host's pipeline, it consumes its topic in-process.
homeguard_runtime::holds! {
    struct CounterCtx { events }
}

static COUNTED: AtomicUsize = AtomicUsize::new(0);

async fn count(_ctx: &CounterCtx, events: Vec<Event>) -> Result<(), homeguard_runtime::FnError> {
    COUNTED.fetch_add(events.len(), Ordering::SeqCst);
    Ok(())
}

fn counter() -> Function<CounterCtx> {
    Function::new("hg-fn-counter", "Counts device events")
        .subscribe(Topic::DeviceEvents, |ctx, events| Box::pin(async move { count(&ctx, events).await }))
}

#[tokio::test]
async fn a_declared_handler_is_all_the_host_needs_to_consume_a_topic() {
    let (_tmp, _dir, ctx) = ctx().await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let declared: Vec<Box<dyn Declared>> = vec![Box::new(counter())];
    let tasks = homeguard_host::pipeline(&ctx, &declared, &stopped).await.unwrap();
    let event = Event {
        event_id: uuid::Uuid::now_v7(),
        device_id: device_id("john@demo.com", "Garage Door"),
        user_id: user_id("john@demo.com"),
        event_type: EventType::DoorOpen,
        payload: Default::default(),
        timestamp: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3),
        metadata: Default::default(),
    };
    let garbage = homeguard_ports::OutMessage {
        topic: Topic::DeviceEvents,
        key: event.device_id,
        id: uuid::Uuid::now_v7(),
        payload: "{\"not\": \"an event\"}".into(),
    };
    ctx.bus.publish(vec![bus::event_message(&event).unwrap(), garbage]).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while COUNTED.load(Ordering::SeqCst) < 1 || ctx.bus.dead_letters(Topic::DeviceEvents, 10).await.unwrap().is_empty()
    {
        assert!(tokio::time::Instant::now() < deadline, "the handler got the event and the garbage was set aside");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let letters = ctx.bus.dead_letters(Topic::DeviceEvents, 10).await.unwrap();
    assert_eq!(letters[0].consumer, "hg-fn-counter");
    assert!(letters[0].reason.contains("does not decode"), "{}", letters[0].reason);
    let _ = stop.send(true);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(COUNTED.load(Ordering::SeqCst), 1);
}

homeguard_runtime::holds! {
    struct PickyCtx {}
}

static PICKY_HANDLED: AtomicUsize = AtomicUsize::new(0);

/// Refuses events with `poison` for good, fails as if its store were down
/// on events with `down`, takes the rest.
async fn picky(_ctx: &PickyCtx, events: Vec<Event>) -> Result<(), homeguard_runtime::FnError> {
    use homeguard_runtime::FnError;
    if events.iter().any(|e| e.payload.contains_key("poison")) {
        return Err(FnError::invalid("payload", "is poisoned"));
    }
    if events.iter().any(|e| e.payload.contains_key("down")) {
        return Err(homeguard_ports::StoreError::Unavailable("the store is down".into()).into());
    }
    PICKY_HANDLED.fetch_add(events.len(), Ordering::SeqCst);
    Ok(())
}

/// One delivery policy: a refused message alone is set aside (the rest of
/// its batch is handled), one that keeps failing is retried three times,
/// then set aside with the reason; neither stops the topic.
#[tokio::test]
async fn failing_messages_are_retried_then_set_aside_without_stopping_the_topic() {
    let (_tmp, _dir, ctx) = ctx().await;
    let picky = Function::<PickyCtx>::new("hg-fn-picky", "Refuses some events")
        .subscribe(Topic::DeviceEvents, |ctx, events| Box::pin(async move { picky(&ctx, events).await }));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let declared: Vec<Box<dyn Declared>> = vec![Box::new(picky)];
    let event = |key: Option<&str>| {
        let mut payload = serde_json::Map::new();
        if let Some(k) = key {
            payload.insert(k.into(), true.into());
        }
        let e = Event {
            event_id: uuid::Uuid::now_v7(),
            device_id: device_id("john@demo.com", "Garage Door"),
            user_id: user_id("john@demo.com"),
            event_type: EventType::DoorOpen,
            payload,
            timestamp: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3),
            metadata: Default::default(),
        };
        bus::event_message(&e).unwrap()
    };
    let batch = vec![event(None), event(Some("poison")), event(None), event(Some("down")), event(None)];
    ctx.bus.publish(batch).await.unwrap();
    let started = std::time::Instant::now();
    let tasks = homeguard_host::pipeline(&ctx, &declared, &stopped).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while ctx.bus.dead_letters(Topic::DeviceEvents, 10).await.unwrap().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "both bad messages are set aside");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut reasons: Vec<String> =
        ctx.bus.dead_letters(Topic::DeviceEvents, 10).await.unwrap().into_iter().map(|l| l.reason).collect();
    reasons.sort();
    assert!(reasons[0].contains("is poisoned"), "{reasons:?}");
    assert!(reasons[1].starts_with("still failing after 3 retries"), "{reasons:?}");
    assert!(started.elapsed() >= Duration::from_millis(700), "three retries back off 100, 200 and 400 ms");
    while PICKY_HANDLED.load(Ordering::SeqCst) < 3 {
        assert!(tokio::time::Instant::now() < deadline, "the good messages are handled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(PICKY_HANDLED.load(Ordering::SeqCst), 3);
}

/// The guide for the next engineer stays true: every file and folder it
/// names exists.
#[test]
fn the_contributing_guide_names_only_what_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let guide = std::fs::read_to_string(root.join("CONTRIBUTING.md")).unwrap();
    let mut named = 0;
    for token in guide.split('`').skip(1).step_by(2) {
        let path = token.trim_end_matches('/');
        let is_path = ["shared/", "functions/", "triggers/", "scripts/", "knative", "scenarios", "loadtest"]
            .iter()
            .any(|p| path.starts_with(p))
            && !path.contains(['<', '*', ' ', ','])
            && !path.contains(".rs:");
        if is_path {
            named += 1;
            assert!(root.join(path).exists(), "CONTRIBUTING.md names {path}, which does not exist");
        }
    }
    assert!(named >= 10, "the guide names its places ({named} found)");
}
