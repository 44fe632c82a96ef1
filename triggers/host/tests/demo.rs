//! The demo surface through the real binary: the scenario API and its
//! guards, the simulated clock, single-event injection, scenario files that
//! fail to load, and the device simulator.

mod common;

use std::time::{Duration, Instant};

use common::*;
use homeguard_domain::seed::device_id;
use serde_json::{Value, json};

/// Polls a run's status until it has finished (verified) or `wait` passes.
async fn finished(host: &Host, admin: &str, name: &str, wait: Duration) -> Value {
    let deadline = Instant::now() + wait;
    loop {
        let (status, body) = get(host, &format!("/demo/scenarios/{name}/status"), admin).await;
        assert_eq!(status, 200, "{body}");
        if ["completed", "stopped", "failed"].contains(&body["status"].as_str().unwrap_or_default()) {
            return body;
        }
        assert!(Instant::now() < deadline, "{name} did not finish: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn check<'a>(verdict: &'a Value, key: &str) -> Vec<&'a Value> {
    verdict["checks"].as_array().unwrap().iter().filter(|c| c["expectation"].get(key).is_some()).collect()
}

#[tokio::test]
async fn scenarios_are_admin_only_except_the_list_and_run_through_the_pipeline() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, "john@demo.com").await;
    let sarah = login(&host, "sarah@demo.com").await;
    let admin = login(&host, "admin@demo.com").await;

    let (status, list) = get(&host, "/demo/scenarios", &john).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["scenarios"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 12, "{names:?}");
    for name in ["break_in", "false_alarm_pet", "day_in_life", "energy_insight", "fire_emergency"] {
        assert!(names.contains(&name), "{name}");
    }
    assert_eq!(list["invalid"], json!([]));
    let (status, _) = get(&host, "/demo/scenarios", "garbage").await;
    assert_eq!(status, 401);

    let body = json!({});
    for (path, get_it) in [
        ("/demo/scenarios/break_in/start", false),
        ("/demo/scenarios/break_in/stop", false),
        ("/demo/scenarios/break_in/status", true),
        ("/demo/events", false),
        ("/demo/time", false),
        ("/demo/labels", true),
    ] {
        let (status, err) = if get_it { get(&host, path, &john).await } else { post(&host, path, &john, &body).await };
        assert_eq!(status, 403, "{path}: {err}");
        assert_eq!(error_code(&err), "FORBIDDEN");
    }

    let (status, err) = post(&host, "/demo/scenarios/no_such_thing/start", &admin, &body).await;
    assert_eq!((status, error_code(&err).as_str()), (404, "NOT_FOUND"), "{err}");
    let (status, _) = get(&host, "/demo/scenarios/no_such_thing/status", &admin).await;
    assert_eq!(status, 404);
    for (bad, code) in [
        (json!({"speed": -1}), "VALIDATION_ERROR"),
        (json!({"speed": 1e9}), "VALIDATION_ERROR"),
        (json!({"user": "nobody@demo.com"}), "USER_NOT_FOUND"),
        (json!({"user": "not an email"}), "VALIDATION_ERROR"),
    ] {
        let (status, err) = post(&host, "/demo/scenarios/break_in/start", &admin, &bad).await;
        assert_eq!(error_code(&err), code, "{bad}: {status} {err}");
    }
    let r = client()
        .post(host.url("/demo/scenarios/break_in/start"))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{\"speed\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let (status, run) =
        post(&host, "/demo/scenarios/break_in/start", &admin, &json!({"user": "sarah@demo.com", "speed": 20})).await;
    assert_eq!(status, 202, "{run}");
    assert_eq!(run["status"], "running");
    assert_eq!(run["user"], "sarah@demo.com");
    assert!(run["progress"].as_str().unwrap().starts_with("T+"), "{run}");
    let devices = run["devices"].as_object().unwrap();
    assert_eq!(devices["back_window_sensor"]["name"], "Back Window Sensor");
    assert!(devices.values().all(|d| d["created"] == false), "sarah's home has every role: {run}");
    let (status, err) = post(&host, "/demo/scenarios/break_in/start", &admin, &json!({})).await;
    assert_eq!((status, error_code(&err).as_str()), (409, "CONFLICT"));

    let done = finished(&host, &admin, "break_in", Duration::from_secs(30)).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["progress"], "T+1m of 1m");
    assert_eq!(done["events_injected"], 9);
    let verdict = &done["verdict"];
    assert_eq!(verdict["checks"].as_array().unwrap().len(), 8, "one per expectation, plus delivery: {verdict}");
    assert_eq!(check(verdict, "events_delivered")[0]["status"], "pass", "{verdict}");
    for c in check(verdict, "device_state") {
        assert_eq!(c["status"], "pass", "{c}");
    }
    // Armed away by the scenario's set-up: the alarm, its incident, and the playbook's camera.
    for c in check(verdict, "should_alert").into_iter().chain(check(verdict, "should_document_incident")) {
        assert_eq!(c["status"], "pass", "{c}");
    }
    let cmds = check(verdict, "commands");
    assert_eq!(cmds[0]["status"], "pass", "the break-in playbook starts the camera: {verdict}");
    let (_, alarm) = get(&host, "/home/alarm", &sarah).await;
    assert_eq!(alarm["state"], "disarmed", "the set-up is undone after the run: {alarm}");

    // The events are sarah's, marked as the scenario's, and nobody else's.
    let (_, feed) = get(&host, "/events?limit=100", &sarah).await;
    let ours: Vec<&Value> =
        feed["events"].as_array().unwrap().iter().filter(|e| e["metadata"]["scenario"] == "break_in").collect();
    assert_eq!(ours.len(), 9, "{feed}");
    assert!(ours.iter().all(|e| e["metadata"]["is_simulated"] == true));
    let (_, feed) = get(&host, "/events?limit=100", &john).await;
    assert_eq!(feed["count"], 0, "john's home saw nothing: {feed}");

    let metrics = client().get(host.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(r#"scenario_executions_total{scenario_name="break_in",status="completed"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"scenario_events_injected_total{scenario_name="break_in"} 9"#));
    host.stop();
}

#[tokio::test]
async fn a_run_can_be_stopped_and_owns_the_clock_while_it_runs() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let admin = login(&host, "admin@demo.com").await;

    let (_, idle) = get(&host, "/demo/scenarios/package_delivery/status", &admin).await;
    assert_eq!(idle["status"], "idle");

    // Six hours at 120x from the next 07:00: it runs the clock.
    let (status, run) = post(&host, "/demo/scenarios/wellness_check/start", &admin, &json!({})).await;
    assert_eq!(status, 202, "{run}");
    assert_eq!(run["speed"], 120.0);
    let (_, time) = get(&host, "/demo/time", &admin).await;
    assert_eq!((time["speed"].as_f64(), time["simulated"].as_bool()), (Some(120.0), Some(true)), "{time}");
    // 07:00 on john's clock (his home's time zone).
    let john = login(&host, "john@demo.com").await;
    let (_, home) = get(&host, "/home", &john).await;
    let hour: u32 = home["local_time"].as_str().unwrap()[11..13].parse().unwrap();
    assert!(hour == 7, "the clock moved to 07:00 at home: {home} {time}");
    let (status, err) = post(&host, "/demo/time", &admin, &json!({"speed": 2})).await;
    assert_eq!((status, error_code(&err).as_str()), (409, "CONFLICT"), "{err}");
    let (status, err) = post(&host, "/demo/scenarios/break_in/start", &admin, &json!({})).await;
    assert_eq!(status, 409, "another run cannot start beside a clock-running one: {err}");

    tokio::time::sleep(Duration::from_millis(600)).await;
    let (status, stopped) = post(&host, "/demo/scenarios/wellness_check/stop", &admin, &json!({})).await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(stopped["status"], "stopped");
    assert!(stopped["verdict"]["checks"].as_array().is_some_and(|c| !c.is_empty()), "{stopped}");
    let elapsed = stopped["elapsed_seconds"].as_f64().unwrap();
    assert!((30.0..6.0 * 3600.0).contains(&elapsed), "stopped part-way: {stopped}");
    let (status, err) = post(&host, "/demo/scenarios/wellness_check/stop", &admin, &json!({})).await;
    assert_eq!((status, error_code(&err).as_str()), (409, "CONFLICT"));

    let (_, time) = get(&host, "/demo/time", &admin).await;
    assert_eq!(time["speed"], 1.0, "the run gave the clock back: {time}");
    assert!(time["offset_seconds"].as_f64().unwrap() > 0.0, "and its lead is kept: {time}");
    host.stop();
}

#[tokio::test]
async fn the_home_clock_moves_for_the_home_and_not_for_security() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, "john@demo.com").await;
    let admin = login(&host, "admin@demo.com").await;

    let (status, time) = get(&host, "/demo/time", &john).await;
    assert_eq!((status, time["simulated"].as_bool()), (200, Some(false)), "{time}");
    for bad in [
        json!({}),
        json!({"advance": "soon"}),
        json!({"advance": "40d"}),
        json!({"speed": 0}),
        json!({"time": "2020-01-01T00:00:00Z"}),
        json!({"reset": true, "advance": "1h"}),
        json!({"colour": "red"}),
    ] {
        let (status, err) = post(&host, "/demo/time", &admin, &bad).await;
        assert_eq!(status, 400, "{bad}: {err}");
        error_code(&err);
    }
    let (status, time) = post(&host, "/demo/time", &admin, &json!({"advance": "2d"})).await;
    assert_eq!(status, 200, "{time}");
    let offset = time["offset_seconds"].as_f64().unwrap();
    assert!((2.0 * 86_400.0 - 5.0..2.0 * 86_400.0 + 5.0).contains(&offset), "{time}");

    // Tokens live on real time: two simulated days later john is still in.
    let (status, me) = get(&host, "/users/me", &john).await;
    assert_eq!(status, 200, "{me}");

    // An injected event is stamped with the home's time and marked simulated.
    let door = device_id("john@demo.com", "Garage Door");
    let (status, out) =
        post(&host, "/demo/events", &admin, &json!({"device_id": door, "event_type": "door_open"})).await;
    assert_eq!(status, 202, "{out}");
    // The event store consumes the bus asynchronously: wait for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let feed = loop {
        let (_, feed) = get(&host, &format!("/events?device_id={door}"), &john).await;
        if feed["count"] == 1 || Instant::now() > deadline {
            break feed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let event = &feed["events"][0];
    assert_eq!(event["metadata"]["is_simulated"], true, "{feed}");
    let stamped: chrono::DateTime<chrono::Utc> = event["timestamp"].as_str().unwrap().parse().unwrap();
    assert!(stamped > chrono::Utc::now() + chrono::Duration::days(1), "stamped in the home's time: {event}");
    let (status, err) =
        post(&host, "/demo/events", &admin, &json!({"device_id": door, "event_type": "unlocked"})).await;
    assert_eq!((status, err["error"]["details"]["field"].as_str()), (400, Some("event_type")), "{err}");

    let (_, time) = post(&host, "/demo/time", &admin, &json!({"reset": true})).await;
    assert_eq!(time["simulated"], false, "{time}");
    assert!(time["offset_seconds"].as_f64().unwrap().abs() < 1.0);
    host.stop();
}

#[tokio::test]
async fn a_broken_scenario_file_is_reported_with_file_line_and_problem() {
    let (_t, dir) = temp_dir();
    let extra = tempfile::tempdir().unwrap();
    std::fs::write(
        extra.path().join("front_door_check.yaml"),
        "name: front_door_check\ndescription: a door opens\nduration: 5s\ndevices:\n  door:\n    type: door\nevents:\n  - at: 0s\n    type: door_open\n    device: door\nexpected_agent_behavior:\n  - device_state: { device: door, state: { open: true } }\n",
    )
    .unwrap();
    std::fs::write(
        extra.path().join("broken.yaml"),
        "name: broken\ndescription: x\nduration: 5s\ndevices:\n  door:\n    type: door\nevents:\n  - at: 1s\n    type: unlocked\n    device: door\n",
    )
    .unwrap();
    let dir_text = extra.path().to_string_lossy().into_owned();
    let host = Host::start_with(&dir, Some(SECRET), &[("HOMEGUARD_SCENARIOS_DIR", &dir_text)]);
    let admin = login(&host, "admin@demo.com").await;
    let (_, list) = get(&host, "/demo/scenarios", &admin).await;
    assert_eq!(list["scenarios"].as_array().unwrap().len(), 13, "the good extra file loads");
    let invalid = &list["invalid"][0];
    assert!(invalid["file"].as_str().unwrap().ends_with("broken.yaml"), "{list}");
    assert_eq!(invalid["line"], 8);
    assert!(invalid["message"].as_str().unwrap().contains("does not emit 'unlocked'"), "{invalid}");

    let (status, run) = post(&host, "/demo/scenarios/front_door_check/start", &admin, &json!({"speed": 10})).await;
    assert_eq!(status, 202, "{run}");
    let done = finished(&host, &admin, "front_door_check", Duration::from_secs(20)).await;
    assert_eq!(done["verdict"]["passed"], true, "a scenario whose expectations this build can meet passes: {done}");
    host.stop();

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_homeguard"))
        .args(["scenario", "list", "--scenarios-dir", &dir_text])
        .env("HOMEGUARD_SIMULATOR", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.yaml:8:") && err.contains("does not emit 'unlocked'"), "{err}");
}

#[tokio::test]
async fn the_simulator_brings_the_demo_homes_to_life() {
    let (_t, dir) = temp_dir();
    let conf = tempfile::tempdir().unwrap();
    let file = conf.path().join("sim.yaml");
    std::fs::write(
        &file,
        "simulator:\n  event_rate: 150\n  anomaly_rate: 0.1\n  heartbeat_seconds: 1\n  seed: 11\n  devices_per_user:\n    john@demo.com: 7\n    sarah@demo.com: 12\n",
    )
    .unwrap();
    let file_text = file.to_string_lossy().into_owned();
    let host = Host::start_with(
        &dir,
        Some(SECRET),
        &[("HOMEGUARD_SIMULATOR", "on"), ("HOMEGUARD_SIMULATOR_CONFIG", &file_text)],
    );
    let john = login(&host, "john@demo.com").await;
    let admin = login(&host, "admin@demo.com").await;
    // The rate follows the home's hour: run at a busy one (tomorrow 18:00, so
    // that the clock only moves forward), whatever the hour of the test.
    let busy = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive().and_hms_opt(18, 0, 0).unwrap().and_utc();
    let (status, clock) = post(&host, "/demo/time", &admin, &json!({ "time": busy.to_rfc3339() })).await;
    assert_eq!(status, 200, "{clock}");
    tokio::time::sleep(Duration::from_secs(3)).await;

    let (_, devices) = get(&host, "/devices", &john).await;
    let list = devices["devices"].as_array().unwrap();
    assert_eq!(list.len(), 7, "john's home was topped up to the configured 7 devices: {devices}");
    assert!(list.iter().all(|d| d["online"] == true), "heartbeats keep every device online: {devices}");
    let (_, feed) = get(&host, "/events?limit=200", &john).await;
    assert!(feed["count"].as_u64().unwrap() > 20, "{feed}");
    assert!(feed["events"].as_array().unwrap().iter().all(|e| e["metadata"]["is_simulated"] == true));

    let (status, labels) = get(&host, "/demo/labels?limit=1000", &admin).await;
    assert_eq!(status, 200, "{labels}");
    assert!(labels["count"].as_u64().unwrap() > 5, "anomalies at 10% leave labels: {labels}");
    let label = &labels["labels"][0];
    for key in ["id", "kind", "device_id", "user_id", "started_at", "ended_at", "event_ids"] {
        assert!(!label[key].is_null(), "{key}: {label}");
    }

    let metrics = client().get(host.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let value = |name: &str| -> f64 {
        metrics.lines().find(|l| l.starts_with(name)).and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap_or(0.0)
    };
    assert!(value(r#"simulator_messages_total{kind="event",outcome="accepted"}"#) > 200.0, "{metrics}");
    assert_eq!(value(r#"simulator_messages_total{kind="event",outcome="rejected"}"#), 0.0, "{metrics}");
    host.stop();
}
