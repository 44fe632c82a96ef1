//! End to end through the real `homeguard` binary: login, the device
//! registry, ownership, the error body, restart and the data dir lock.

mod common;

use common::*;
use homeguard_domain::Role;
use homeguard_runtime::AuthKeys;
use homeguard_runtime::auth::{Claims, issue_token};
use serde_json::{Value, json};

#[tokio::test]
async fn users_see_their_own_homes_and_nothing_else() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));

    let john = login(&host, "john@demo.com").await;
    let sarah = login(&host, "sarah@demo.com").await;
    let admin = login(&host, "admin@demo.com").await;

    let (status, body) = get(&host, "/devices", &john).await;
    assert_eq!(status, 200);
    assert_eq!(body["count"], 5);
    let johns = body["devices"].as_array().unwrap();
    assert_eq!(johns.len(), 5);
    let first = &johns[0];
    for field in
        ["device_id", "user_id", "name", "type", "model", "firmware_version", "location", "config", "state", "online"]
    {
        assert!(!first[field].is_null(), "device lacks {field}: {first}");
    }
    assert!(first["location"]["zone"].is_string() && first["location"]["floor"].is_i64());

    let (_, body) = get(&host, "/devices", &sarah).await;
    assert_eq!(body["count"], 12);
    let sarahs_device = body["devices"][0]["device_id"].as_str().unwrap().to_owned();

    let (status, body) = get(&host, &format!("/devices/{sarahs_device}"), &john).await;
    assert_eq!(status, 404);
    assert_eq!(error_code(&body), "DEVICE_NOT_FOUND");
    let (status, body) = get(&host, &format!("/devices/{sarahs_device}"), &sarah).await;
    assert_eq!(status, 200);
    assert_eq!(body["device_id"], sarahs_device.as_str());

    let (status, body) = get(&host, "/devices", &admin).await;
    assert_eq!((status, body["count"].as_u64()), (200, Some(17)), "admin sees every home");
    let sarah_id = homeguard_domain::seed::user_id("sarah@demo.com");
    let (_, body) = get(&host, &format!("/devices?user_id={sarah_id}"), &admin).await;
    assert_eq!(body["count"], 12);
    let (status, body) = get(&host, &format!("/devices?user_id={sarah_id}"), &john).await;
    assert_eq!((status, error_code(&body).as_str()), (403, "FORBIDDEN"));

    let (status, me) = get(&host, "/users/me", &john).await;
    assert_eq!(status, 200);
    assert_eq!((me["email"].as_str(), me["role"].as_str()), (Some("john@demo.com"), Some("user")));
    assert!(me.get("password_hash").is_none(), "the hash never leaves the store");
    let (status, _) = get(&host, "/users", &john).await;
    assert_eq!(status, 403, "only admins list users");
    let (status, users) = get(&host, "/users", &admin).await;
    assert_eq!((status, users["count"].as_u64()), (200, Some(3)));
}

#[tokio::test]
async fn bad_requests_get_the_error_body() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let c = client();

    let r = c
        .post(host.url("/auth/login"))
        .json(&json!({"email": "john@demo.com", "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(&r.json().await.unwrap()), "INVALID_CREDENTIALS");
    let r = c
        .post(host.url("/auth/login"))
        .json(&json!({"email": "nobody@demo.com", "password": "demo123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        error_code(&r.json().await.unwrap()),
        "INVALID_CREDENTIALS",
        "unknown email looks like a wrong password"
    );

    let r = c
        .post(host.url("/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(&r.json().await.unwrap()), "MALFORMED_REQUEST");
    let r = c.post(host.url("/auth/login")).json(&json!({"email": "john@demo.com"})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(&r.json().await.unwrap()), "VALIDATION_ERROR");
    let r =
        c.post(host.url("/auth/login")).json(&json!({"email": "not-an-email", "password": "x"})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = c.post(host.url("/auth/login")).body("email=john").send().await.unwrap();
    assert_eq!(r.status(), 415);

    let r = c.get(host.url("/devices")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(&r.json().await.unwrap()), "UNAUTHORIZED");
    let (status, body) = get(&host, "/devices", "garbage.token.here").await;
    assert_eq!((status, error_code(&body).as_str()), (401, "UNAUTHORIZED"));

    let keys = AuthKeys::new(SECRET.as_bytes(), chrono::Duration::hours(1));
    let now = chrono::Utc::now().timestamp();
    let user = homeguard_domain::seed::user_id("john@demo.com");
    let expired = Claims { sub: user, role: Role::User, sid: uuid::Uuid::new_v4(), iat: now - 7200, exp: now - 3600 };
    let (status, body) = get(&host, "/devices", &issue_token(&keys, &expired).unwrap()).await;
    assert_eq!((status, error_code(&body).as_str()), (401, "TOKEN_EXPIRED"));
    let forged = Claims { sub: user, role: Role::Admin, sid: uuid::Uuid::new_v4(), iat: now, exp: now + 3600 };
    let (status, _) = get(&host, "/devices", &issue_token(&keys, &forged).unwrap()).await;
    assert_eq!(status, 401, "a well-signed token without a session is refused");

    let john = login(&host, "john@demo.com").await;
    let (status, body) = get(&host, "/devices/not-a-uuid", &john).await;
    assert_eq!((status, error_code(&body).as_str()), (400, "VALIDATION_ERROR"));
    let (status, body) = get(&host, "/no/such/route", &john).await;
    assert_eq!((status, error_code(&body).as_str()), (404, "NOT_FOUND"));
    let r = c.put(host.url("/devices")).bearer_auth(&john).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(error_code(&r.json().await.unwrap()), "METHOD_NOT_ALLOWED");

    let r = c
        .get(host.url("/devices/00000000-0000-0000-0000-000000000001"))
        .bearer_auth(&john)
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-trace-id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736", "trace id taken from traceparent");

    // The server answers before reading the whole body and closes that
    // connection, so this goes on a client of its own.
    let huge = "x".repeat(2 * 1024 * 1024);
    let r = client()
        .post(host.url("/devices"))
        .bearer_auth(&john)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    // Logout revokes the token at once.
    let r = c.post(host.url("/auth/logout")).bearer_auth(&john).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let (status, body) = get(&host, "/devices", &john).await;
    assert_eq!((status, error_code(&body).as_str()), (401, "UNAUTHORIZED"));

    // Every request left a JSON log line carrying its trace id.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let logs = host.drain_logs();
    assert!(
        logs.iter().any(|l| l["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736" && l["message"] == "request completed"),
        "no access log with the caller's trace id"
    );
    assert!(logs.iter().all(|l| !l.to_string().contains(SECRET)), "the secret reached the logs");
}

#[tokio::test]
async fn devices_can_be_registered_changed_and_removed() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let john = login(&host, "john@demo.com").await;
    let sarah = login(&host, "sarah@demo.com").await;
    let c = client();

    let draft = json!({
        "name": "Back Door Lock", "type": "lock", "model": "Schlage Encode Plus",
        "firmware_version": "1.9.2", "location": {"zone": "Back Entrance", "floor": 1},
        "config": {"auto_lock_delay": 45}
    });
    let r = c.post(host.url("/devices")).bearer_auth(&john).json(&draft).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["device_id"].as_str().unwrap().to_owned();
    assert_eq!(created["state"]["state"], "locked", "a new lock starts locked");
    assert_eq!(created["config"]["volume"], "medium", "defaults fill the config");
    let (_, list) = get(&host, "/devices", &john).await;
    assert_eq!(list["count"], 6);

    let mut bad = draft.clone();
    bad["type"] = json!("toaster");
    let r = c.post(host.url("/devices")).bearer_auth(&john).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["field"], "type");

    let r = c
        .patch(host.url(&format!("/devices/{id}")))
        .bearer_auth(&sarah)
        .json(&json!({"name": "Mine now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "sarah cannot touch john's device");
    let r = c
        .patch(host.url(&format!("/devices/{id}")))
        .bearer_auth(&john)
        .json(&json!({"name": "Patio Door Lock", "config": {"auto_lock_delay": 10}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(
        (updated["name"].as_str(), updated["config"]["auto_lock_delay"].as_i64()),
        (Some("Patio Door Lock"), Some(10))
    );
    let r = c
        .patch(host.url(&format!("/devices/{id}")))
        .bearer_auth(&john)
        .json(&json!({"type": "camera"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "the type of a device never changes");

    let r = c.delete(host.url(&format!("/devices/{id}"))).bearer_auth(&sarah).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = c.delete(host.url(&format!("/devices/{id}"))).bearer_auth(&john).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let (status, _) = get(&host, &format!("/devices/{id}"), &john).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn restarts_keep_everything_and_a_second_host_is_refused() {
    let (_t, dir) = temp_dir();
    // No JWT_SECRET: the host generates one and keeps it in the data dir.
    let host = Host::start(&dir, None);
    let john = login(&host, "john@demo.com").await;
    let r = client()
        .post(host.url("/devices"))
        .bearer_auth(&john)
        .json(&json!({"name": "Attic Smoke", "type": "smoke", "model": "Google Nest Protect", "location": {"zone": "Attic", "floor": 3}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    let second = command(&dir, None).output().expect("run a second host");
    assert!(!second.status.success(), "a second host on the same data dir must fail");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("already in use"), "unclear refusal: {stderr}");

    host.stop();
    let host = Host::start(&dir, None);
    let (status, body) = get(&host, "/devices", &john).await;
    assert_eq!(status, 200, "the token from before the restart still works");
    assert_eq!(body["count"], 6, "nothing lost, nothing seeded twice");
    let (_, admin_view) = get(&host, "/devices", &login(&host, "admin@demo.com").await).await;
    assert_eq!(admin_view["count"], 18);
}

#[tokio::test]
async fn health_and_metrics_are_served() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let c = client();
    let r = c.get(host.url("/health/liveness")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c.get(host.url("/health/readiness")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ready = r.json::<Value>().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let mut checked: Vec<&String> = ready["checks"].as_object().unwrap().keys().collect();
    checked.sort();
    assert_eq!(checked, ["bus", "devices", "events", "readings", "state", "users"], "the host checks every port");
    let john = login(&host, "john@demo.com").await;
    get(&host, "/devices", &john).await;
    let text = c.get(host.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        text.contains(
            r#"http_requests_total{endpoint="/devices",method="GET",service="hg-fn-devices",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(
        r#"http_request_duration_seconds_count{endpoint="/auth/login",method="POST",service="hg-fn-auth",status="200"}"#
    ));
}

#[tokio::test]
async fn password_guessing_is_throttled() {
    let (_t, dir) = temp_dir();
    let host = Host::start(&dir, Some(SECRET));
    let c = client();
    let attempt = |password: &'static str| {
        c.post(host.url("/auth/login")).json(&json!({"email": "sarah@demo.com", "password": password})).send()
    };
    for _ in 0..5 {
        assert_eq!(attempt("guess").await.unwrap().status(), 401);
    }
    let r = attempt("demo123").await.unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert_eq!(error_code(&r.json().await.unwrap()), "RATE_LIMITED");
    login(&host, "john@demo.com").await;
}
