//! The alarm through the running host: arming against open doors, the
//! entry delay on the home's clock, codes (duress, lockout, guests), home
//! modes that end on their own, and a SIGKILL in the middle of a countdown.

mod common;

use std::time::Duration;

use common::alarm_home::{Home, SARAH};
use common::*;
use homeguard_domain::seed::{device_id, user_id};
use serde_json::{Value, json};

fn codes(entries: &[Value]) -> Vec<u64> {
    entries.iter().filter_map(|e| e["code"].as_u64()).collect()
}

#[tokio::test]
async fn the_panel_arms_delays_triggers_and_disarms_through_the_host() {
    let (_tmp, dir) = temp_dir();
    let h = Home::start(&dir).await;
    let v = h.alarm().await;
    assert_eq!((v["state"].as_str(), v["mode"].as_str()), (Some("disarmed"), Some("home")), "{v}");
    let (_, home) = get(&h.host, "/home", &h.sarah).await;
    assert_eq!(home["time_zone"], "America/Los_Angeles", "{home}");

    // An open back door blocks arming and is named; bypassing it arms.
    h.door("Back Door", "door_open").await;
    h.until("the back door open", |v| v["open"].as_array().is_some_and(|o| !o.is_empty())).await;
    let (status, err) = h.arm("away").await;
    assert_eq!((status, error_code(&err).as_str()), (409, "CONFLICT"), "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("Back Door"), "{err}");
    let back = device_id(SARAH, "Back Door");
    assert_eq!(err["error"]["details"]["open"][0]["device_id"], json!(back), "{err}");
    let body = json!({ "mode": "away", "bypass": [back] });
    let (status, v) = post(&h.host, "/home/alarm/arm", &h.sarah, &body).await;
    assert_eq!((status, v["state"].as_str()), (200, Some("arming")), "{v}");
    assert_eq!(v["bypassed"][0]["name"], "Back Door");
    assert!(v["seconds_left"].as_i64().unwrap() > 50, "{v}");
    let (status, v) = h.disarm("2580").await;
    assert_eq!((status, v["state"].as_str(), v["reason"].as_str()), (200, Some("disarmed"), Some("disarmed by Sarah")));
    h.door("Back Door", "door_closed").await;
    h.until("the back door closed", |v| v["open"] == json!([])).await;

    // Armed away, the back door starts the entry delay; not disarmed, it triggers.
    h.armed_away().await;
    h.door("Back Door", "door_open").await;
    let v = h.state("pending").await;
    assert!(v["deadline"].is_string() && v["seconds_left"].as_i64().unwrap() <= 30, "{v}");
    h.advance("31s").await;
    let v = h.state("triggered").await;
    assert_eq!((v["alarm"]["kind"].as_str(), v["alarm"]["code"].as_u64()), (Some("burglary"), Some(134)), "{v}");
    assert_eq!(v["alarm"]["sent"], false, "inside the abort window: {v}");
    let (status, _) = h.disarm("2580").await;
    assert_eq!(status, 200);
    let entries = h.history(&h.sarah, "").await;
    assert!(entries.iter().any(|e| e["text"].as_str().unwrap().contains("alarm not sent")), "{entries:?}");
    h.door("Back Door", "door_closed").await;
    h.until("closed", |v| v["open"] == json!([])).await;

    // Disarmed in time: nothing alarming.
    h.armed_away().await;
    let since = h.history(&h.sarah, "").await.len();
    h.door("Back Door", "door_open").await;
    h.state("pending").await;
    h.advance("10s").await;
    let (status, _) = h.disarm("2580").await;
    assert_eq!(status, 200);
    h.advance("60s").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let entries = h.history(&h.sarah, "").await;
    let new = &entries[..entries.len() - since];
    assert!(codes(new).iter().all(|c| !(100..200).contains(c) && *c != 406), "nothing alarming: {new:?}");
    assert_eq!(h.alarm().await["state"], "disarmed");
    h.door("Back Door", "door_closed").await;
    h.until("the back door closed again", |v| v["open"] == json!([])).await;

    // A code without the disarm permission is refused; another home's objects are not found.
    let kid = json!({ "name": "Kid", "code": "9051", "permissions": { "disarm": false, "change_mode": false } });
    let (status, _) = post(&h.host, "/home/codes", &h.sarah, &kid).await;
    assert_eq!(status, 201);
    h.armed_away().await;
    let (status, err) = h.disarm("9051").await;
    assert_eq!((status, error_code(&err).as_str()), (403, "FORBIDDEN"), "{err}");
    let (status, _) = h.disarm("2580").await;
    assert_eq!(status, 200);
    let john = login(&h.host, "john@demo.com").await;
    let (_, pets) = get(&h.host, "/home/pets", &john).await;
    let milo = pets["pets"][0]["id"].as_str().unwrap().to_owned();
    let r = client().delete(h.host.url(&format!("/home/pets/{milo}"))).bearer_auth(&h.sarah).send().await.unwrap();
    assert_eq!(r.status(), 404, "sarah cannot remove john's cat");
    let (status, _) = get(&h.host, &format!("/home/alarm?user_id={}", user_id("john@demo.com")), &h.sarah).await;
    assert_eq!(status, 403);
    let (status, v) = get(&h.host, &format!("/home/alarm?user_id={}", user_id(SARAH)), &h.admin).await;
    assert_eq!((status, v["state"].as_str()), (200, Some("disarmed")));
}

#[tokio::test]
async fn codes_duress_lockout_and_guests() {
    let (_tmp, dir) = temp_dir();
    let h = Home::start(&dir).await;
    // A code too close to another is refused; the duress code is named like its member.
    for near in ["2580", "2582", "2581"] {
        let (status, err) =
            post(&h.host, "/home/codes", &h.sarah, &json!({ "name": "Sarah", "code": near, "kind": "duress" })).await;
        assert_eq!((status, err["error"]["details"]["field"].as_str()), (409, Some("code")), "{near}: {err}");
    }
    let (status, created) =
        post(&h.host, "/home/codes", &h.sarah, &json!({ "name": "Sarah", "code": "7391", "kind": "duress" })).await;
    assert_eq!(status, 201, "{created}");
    assert!(created.get("code").is_none() && !created.to_string().contains("7391"), "never returned: {created}");

    // Duress disarms exactly like the code: the same bytes back.
    h.armed_away().await;
    let normal = h.disarm_raw("2580").await;
    h.armed_away().await;
    let duress = h.disarm_raw("7391").await;
    assert_eq!(normal.0, 200, "{}", normal.1);
    assert_eq!(normal, duress, "a duress disarm answers byte for byte as a normal one");
    let household = h.history(&h.sarah, "").await;
    assert!(!codes(&household).contains(&121), "the household never sees duress: {household:?}");
    let seen = h.history(&h.admin, &format!("&user_id={}", user_id(SARAH))).await;
    let duress = seen.iter().find(|e| e["code"] == 121).expect("admins see the duress signal");
    assert_eq!((duress["monitoring_only"].as_bool(), duress["dispatch"].as_bool()), (Some(true), Some(true)));

    // Five wrong codes lock the keypad, even for the right code, until the lockout ends.
    h.armed_away().await;
    for i in 0..4 {
        let (status, err) = h.disarm("0000").await;
        assert_eq!((status, error_code(&err).as_str()), (403, "INVALID_CODE"), "wrong code {i}: {err}");
    }
    let (status, err) = h.disarm("0000").await;
    assert_eq!((status, error_code(&err).as_str()), (429, "LOCKED_OUT"), "{err}");
    assert!(err["error"]["details"]["retry_after_seconds"].as_i64().unwrap() > 800, "{err}");
    let (status, _) = h.disarm("2580").await;
    assert_eq!(status, 429, "locked even for the right code");
    assert!(codes(&h.history(&h.sarah, "").await).contains(&461));
    h.advance("16m").await;
    let (status, v) = h.disarm("2580").await;
    assert_eq!((status, v["state"].as_str()), (200, Some("disarmed")), "{v}");

    // A guest code works inside its window, and is refused (and reported) outside it.
    let now = h.now().await;
    let guest = json!({
        "name": "Alice", "code": "4826",
        "starts_at": now + chrono::Duration::hours(1), "ends_at": now + chrono::Duration::hours(3),
    });
    let (status, g) = post(&h.host, "/home/guests", &h.sarah, &guest).await;
    assert_eq!((status, g["status"].as_str()), (201, Some("scheduled")), "{g}");
    h.armed_away().await;
    let (status, err) = h.disarm("4826").await;
    assert_eq!((status, error_code(&err).as_str()), (403, "INVALID_CODE"), "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("not valid yet"), "{err}");
    assert!(h.history(&h.sarah, "").await.iter().any(|e| e["code"] == 421 && e["by"] == "Alice"));
    h.advance("1h").await;
    let (status, v) = h.disarm("4826").await;
    assert_eq!((status, v["reason"].as_str()), (200, Some("disarmed by Alice (guest)")), "{v}");
    h.advance("3h").await;
    h.armed_away().await;
    let (status, err) = h.disarm("4826").await;
    assert!(status == 403 && err["error"]["message"].as_str().unwrap().contains("expired"), "{err}");
    let (_, guests) = get(&h.host, "/home/guests", &h.sarah).await;
    assert_eq!(guests["guests"][0]["status"], "expired");
    let id = guests["guests"][0]["id"].as_str().unwrap();
    let r = client().delete(h.host.url(&format!("/home/guests/{id}"))).bearer_auth(&h.sarah).send().await.unwrap();
    assert_eq!(r.status(), 204);
}

#[tokio::test]
async fn party_and_vacation_modes_end_on_their_own() {
    let (_tmp, dir) = temp_dir();
    let h = Home::start(&dir).await;
    // Start at 19:00 in Los Angeles.
    let (status, _) = post(&h.host, "/demo/time", &h.admin, &json!({ "time": "2026-12-05T03:00:00Z" })).await;
    assert_eq!(status, 200);
    let (status, v) = post(&h.host, "/home/mode", &h.sarah, &json!({ "mode": "party" })).await;
    assert_eq!((status, v["mode"].as_str(), v["arm_mode"].as_str()), (200, Some("party"), Some("custom")), "{v}");
    assert_eq!(v["mode_until"], "2026-12-05T10:00:00Z", "02:00 in Los Angeles: {v}");
    assert_eq!(v["return_mode"], "home");
    h.advance("61s").await;
    h.state("armed_custom").await;
    // Guests at the back door raise nothing.
    h.door("Back Door", "door_open").await;
    h.door("Back Door", "door_closed").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.alarm().await["state"], "armed_custom");
    // Leaving the party early is a step down: it needs a code.
    let (status, err) = post(&h.host, "/home/mode", &h.sarah, &json!({ "mode": "home" })).await;
    assert_eq!((status, error_code(&err).as_str()), (403, "CODE_REQUIRED"), "{err}");
    h.advance("7h").await;
    let v = h.until("the party's end", |v| v["mode"] == "home").await;
    assert_eq!((v["state"].as_str(), v["mode_until"].clone()), (Some("disarmed"), Value::Null), "{v}");
    assert!(v["reason"].as_str().unwrap().contains("party mode ended"), "{v}");

    let back = h.now().await + chrono::Duration::days(14);
    let (status, v) = post(&h.host, "/home/mode", &h.sarah, &json!({ "mode": "vacation", "until": back })).await;
    assert_eq!((status, v["arm_mode"].as_str()), (200, Some("vacation")), "{v}");
    h.advance("61s").await;
    h.state("armed_vacation").await;
    h.advance("15d").await;
    let v = h.until("the return", |v| v["mode"] == "home").await;
    assert_eq!(v["state"], "disarmed", "{v}");
    let entries = h.history(&h.sarah, "").await;
    assert!(entries.iter().any(|e| e["to"] == "mode:vacation") && entries.iter().any(|e| e["to"] == "mode:party"));
}

#[tokio::test]
async fn a_countdown_survives_sigkill_with_its_deadline() {
    let (_tmp, dir) = temp_dir();
    let h = Home::start(&dir).await;
    let (status, v) = h.arm("away").await;
    assert_eq!(status, 200, "{v}");
    let deadline = v["deadline"].clone();
    let Home { mut host, .. } = h;
    host.child.kill().expect("SIGKILL");
    host.child.wait().unwrap();
    drop(host);
    let h = Home::start(&dir).await;
    let v = h.alarm().await;
    assert_eq!((v["state"].as_str(), &v["deadline"]), (Some("arming"), &deadline), "resumed: {v}");
    assert_eq!(v["settling"], true, "sensors settle after a restart: {v}");
    // Glass breaking would be an alarm at once while arming; settling, it is not judged.
    h.door("Back Window Sensor", "glass_break").await;
    h.door("Back Door", "door_open").await;
    h.until("the back door open", |v| v["open"].as_array().is_some_and(|o| !o.is_empty())).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.alarm().await["state"], "arming");
    h.door("Back Door", "door_closed").await;
    h.until("the back door closed", |v| v["open"] == json!([])).await;
    h.advance("61s").await;
    h.state("armed_away").await;
}
