//! The security response through the running host: at night, with the
//! hallway armed and a small cat registered, a pet-like motion is held back
//! with its reasons (and counted); the same motion after a window breaks is
//! a verified alarm, which opens one incident whose timeline holds every
//! step in order, tells the household, and is acknowledged, disarmed,
//! closed as a false alarm with a note and reported in Markdown and HTML.
//! Another home's incident is not found; bad input is named.

mod common;

use std::time::{Duration, Instant};

use common::alarm_home::{Home, SARAH};
use common::*;
use homeguard_domain::seed::device_id;
use serde_json::{Value, json};

async fn event(h: &Home, device: &str, event_type: &str, payload: Value) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let body =
        json!({ "event_id": id, "device_id": device_id(SARAH, device), "event_type": event_type, "payload": payload });
    let (status, out) = post(&h.host, "/demo/events", &h.admin, &body).await;
    assert_eq!(status, 202, "{out}");
    id
}

/// Waits for the decision on `event_id`.
async fn decision(h: &Home, event_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, v) = get(&h.host, "/security/decisions?limit=200", &h.sarah).await;
        assert_eq!(status, 200, "{v}");
        if let Some(d) = v["decisions"].as_array().unwrap().iter().find(|d| d["event_id"] == event_id) {
            return d.clone();
        }
        assert!(Instant::now() < deadline, "no decision on {event_id}: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn codes(d: &Value) -> Vec<&str> {
    d["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect()
}

async fn incident_until(h: &Home, id: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, v) = get(&h.host, &format!("/incidents/{id}"), &h.sarah).await;
        assert_eq!(status, 200, "{v}");
        if ok(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "waited for {what}: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const PET: &str = r#"{"zone":"hallway","confidence":0.84,"signature":"pet","estimated_size":"small","height_cm":38}"#;

#[tokio::test]
async fn a_pet_at_night_is_held_back_and_a_breach_opens_an_incident_that_is_documented() {
    let (_tmp, dir) = temp_dir();
    let h = Home::start(&dir).await;
    let john = login(&h.host, "john@demo.com").await;
    let hallway = device_id(SARAH, "Hallway Motion");
    let (status, v) =
        post(&h.host, "/home/pets", &h.sarah, &json!({ "name": "Milo", "kind": "cat", "size": "small" })).await;
    assert_eq!(status, 201, "{v}");
    let patch = json!({ "zones": { hallway.to_string(): { "armed_at_night": true } } });
    let r = client().patch(h.host.url("/home")).bearer_auth(&h.sarah).json(&patch).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Someone left the back door unlocked before going to bed.
    event(&h, "Back Door Lock", "unlocked", json!({})).await;
    let back_lock = device_id(SARAH, "Back Door Lock");
    let deadline = Instant::now() + Duration::from_secs(15);
    while get(&h.host, &format!("/devices/{back_lock}"), &h.sarah).await.1["state"]["locked"] != false {
        assert!(Instant::now() < deadline, "the back door lock never read unlocked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (status, v) = h.arm("night").await;
    assert_eq!(status, 200, "{v}");
    h.advance("61s").await;
    h.state("armed_night").await;

    // The cat in the hallway: held back, with its reasons; the alarm stays armed.
    let pet: Value = serde_json::from_str(PET).unwrap();
    let cat = event(&h, "Hallway Motion", "motion_detected", pet.clone()).await;
    let d = decision(&h, &cat).await;
    assert_eq!(d["outcome"], "suppress", "{d}");
    assert_eq!(codes(&d)[..5], ["arm_state", "pet_registered", "pet_sized", "night", "no_breach"], "{d}");
    assert_eq!(codes(&d)[5..], ["entry_activity"], "and who was about: {d}");
    assert_eq!(d["facts"]["pets"][0]["name"], "Milo");
    assert_eq!(d["facts"]["zone_armed"], true);
    assert_eq!(h.alarm().await["state"], "armed_night", "no alarm");
    let metrics = client().get(h.host.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("agent_false_alarm_prevented_total 1"), "counted once");
    let (_, none) = get(&h.host, "/incidents", &h.sarah).await;
    assert_eq!(none["incidents"], json!([]), "no incident for a pet");

    // The back window breaks, and the same motion follows: a verified alarm.
    let glass = event(&h, "Back Window Sensor", "glass_break", json!({ "intensity": 0.92, "confidence": 0.95 })).await;
    let d = decision(&h, &glass).await;
    assert_eq!((d["outcome"].as_str(), d["signal"].as_u64()), (Some("alarm"), Some(131)), "{d}");
    let motion = event(&h, "Hallway Motion", "motion_detected", pet).await;
    let d = decision(&h, &motion).await;
    assert_eq!(d["outcome"], "verified_alarm", "{d}");
    assert!(codes(&d).contains(&"second_zone") && codes(&d).contains(&"breach"), "{d}");
    assert_eq!(d["facts"]["breach"]["name"], "Back Window Sensor");

    // One incident, its timeline in order, the household told.
    let deadline = Instant::now() + Duration::from_secs(15);
    let listed = loop {
        let (_, v) = get(&h.host, "/incidents?status=open", &h.sarah).await;
        if v["incidents"].as_array().unwrap().len() == 1 {
            break v["incidents"][0].clone();
        }
        assert!(Instant::now() < deadline, "{v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (listed["title"].as_str(), listed["kind"].as_str()),
        (Some("Intrusion: Back Window Sensor"), Some("burglary"))
    );
    let id = listed["id"].as_str().unwrap().to_owned();
    let i = incident_until(&h, &id, "the verification", |v| {
        v["timeline"].as_array().unwrap().iter().any(|t| t["data"]["code"] == 139)
    })
    .await;
    let timeline = i["timeline"].as_array().unwrap();
    let at: Vec<&str> = timeline.iter().map(|t| t["at"].as_str().unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] <= w[1]), "in order: {at:?}");
    let kinds: Vec<&str> = timeline.iter().map(|t| t["kind"].as_str().unwrap()).collect();
    for k in ["decision", "transition", "signal", "notification"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let first_decision = timeline.iter().find(|t| t["kind"] == "decision").unwrap();
    assert_eq!(first_decision["data"]["event_id"], glass, "the breach comes first");
    assert!(!timeline.iter().any(|t| t["data"]["event_id"] == cat), "the cat before it is not part of it");
    let path: Vec<&str> = i["path"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(path, ["Back Window Sensor", "Hallway Motion"]);
    let (_, n) = get(&h.host, "/notifications", &h.sarah).await;
    let told = n["notifications"].as_array().unwrap().iter().find(|n| n["title"] == "Intrusion: Back Window Sensor");
    assert_eq!(told.map(|n| n["severity"].clone()), Some(json!("critical")), "{n}");

    // The break-in playbook ran through the owner's command path: the cameras record, the locks lock.
    let i = incident_until(&h, &id, "the playbook", |v| {
        v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["text"].as_str().unwrap().starts_with("the break-in playbook ran"))
    })
    .await;
    let actions: Vec<(&str, &str)> = i["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "action" && t["data"]["command"].is_string())
        .map(|t| (t["text"].as_str().unwrap(), t["data"]["status"].as_str().unwrap()))
        .collect();
    assert!(
        actions.contains(&("Start the cameras recording: Backyard Camera: start_recording sent", "queued")),
        "{actions:?}"
    );
    assert!(actions.contains(&("Lock what is unlocked: Back Door Lock: lock sent", "queued")), "{actions:?}");
    assert!(!actions.iter().any(|(t, _)| t.contains("Front Door Lock")), "what is locked stays as it is: {actions:?}");
    let camera = device_id(SARAH, "Backyard Camera");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, ev) = get(&h.host, &format!("/events?device_id={camera}"), &h.sarah).await;
        if ev.to_string().contains("start_recording") {
            break;
        }
        assert!(Instant::now() < deadline, "the camera never recorded: {ev}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // What the camera reported is on the incident: what it captured, for whom asked.
    let backyard = |v: &Value| {
        v["timeline"].as_array().unwrap().iter().find(|t| t["text"] == "Backyard Camera started recording").cloned()
    };
    let i = incident_until(&h, &id, "the camera's recording", |v| backyard(v).is_some()).await;
    let capture = backyard(&i).unwrap();
    assert_eq!(capture["kind"], "camera", "{capture}");
    assert!(capture["data"]["command_id"].is_string(), "the playbook's command: {capture}");

    // Another home's incident is not found; an admin sees it.
    let (status, v) = get(&h.host, &format!("/incidents/{id}"), &john).await;
    assert_eq!((status, error_code(&v)), (404, "NOT_FOUND".into()));
    let (status, _) = post(&h.host, &format!("/incidents/{id}/acknowledge"), &john, &json!({})).await;
    assert_eq!(status, 404);
    let (_, theirs) = get(&h.host, "/incidents", &john).await;
    assert_eq!(theirs["incidents"], json!([]));
    let (_, decisions) = get(&h.host, "/security/decisions", &john).await;
    assert!(!decisions.to_string().contains(&glass), "john sees none of sarah's decisions");
    let sarah_id = homeguard_domain::seed::user_id(SARAH);
    let (status, v) = get(&h.host, &format!("/incidents?user_id={sarah_id}"), &h.admin).await;
    assert_eq!((status, v["incidents"][0]["id"].as_str()), (200, Some(id.as_str())));
    let (status, _) = get(&h.host, &format!("/incidents?user_id={sarah_id}"), &john).await;
    assert_eq!(status, 403);

    // Acknowledged, disarmed (the emergency ends), closed as a false alarm with a note.
    let (status, v) = post(&h.host, &format!("/incidents/{id}/acknowledge"), &h.sarah, &json!({})).await;
    assert_eq!(
        (status, v["status"].as_str(), v["acknowledged_by"].as_str()),
        (200, Some("acknowledged"), Some("Sarah Johnson"))
    );
    let (status, _) = h.disarm("2580").await;
    assert_eq!(status, 200);
    incident_until(&h, &id, "the disarm", |v| v["ended_at"].is_string()).await;
    let (status, v) =
        post(&h.host, &format!("/incidents/{id}/resolve"), &h.sarah, &json!({ "outcome": "maybe" })).await;
    assert_eq!((status, v["error"]["details"]["field"].as_str()), (400, Some("outcome")), "{v}");
    let note = "Milo knocked a <glass> off the counter";
    let body = json!({ "outcome": "false_alarm", "note": note });
    let (status, v) = post(&h.host, &format!("/incidents/{id}/resolve"), &h.sarah, &body).await;
    assert_eq!((status, v["status"].as_str()), (200, Some("false_alarm")), "{v}");
    let (status, v) = post(&h.host, &format!("/incidents/{id}/resolve"), &h.sarah, &body).await;
    assert_eq!((status, error_code(&v)), (409, "CONFLICT".into()));
    let i = incident_until(&h, &id, "the note", |v| v["note"] == note).await;
    let texts: Vec<&str> = i["timeline"].as_array().unwrap().iter().map(|t| t["text"].as_str().unwrap()).collect();
    assert!(texts.iter().any(|t| t.contains("disarmed")), "{texts:?}");
    assert!(texts.last().unwrap().starts_with("closed as a false alarm by Sarah Johnson"), "{texts:?}");

    // The report, in Markdown and as a page (what anyone wrote is escaped).
    let r = client()
        .get(h.host.url(&format!("/incidents/{id}/report?format=md")))
        .bearer_auth(&h.sarah)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/markdown; charset=utf-8");
    let md = r.text().await.unwrap();
    assert!(md.starts_with("# Intrusion: Back Window Sensor") && md.contains("## Timeline"), "{md}");
    assert!(md.contains("Milo knocked a \\<glass\\>") && md.contains("1. Back Window Sensor"), "{md}");
    let r = client()
        .get(h.host.url(&format!("/incidents/{id}/report?format=html")))
        .bearer_auth(&h.sarah)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    let html = r.text().await.unwrap();
    assert!(html.contains("<table>") && html.contains("&lt;glass&gt;") && !html.contains("<glass>"), "{html}");
    let (status, v) = get(&h.host, &format!("/incidents/{id}/report?format=pdf"), &h.sarah).await;
    assert_eq!((status, v["error"]["details"]["field"].as_str()), (400, Some("format")));

    // Bad listings are named.
    for (path, field) in [
        ("/security/decisions?outcome=maybe", "outcome"),
        ("/security/decisions?limit=0", "limit"),
        ("/incidents?status=gone", "status"),
    ] {
        let (status, v) = get(&h.host, path, &h.sarah).await;
        assert_eq!((status, v["error"]["details"]["field"].as_str()), (400, Some(field)), "{path}: {v}");
    }
    let (_, suppressed) = get(&h.host, "/security/decisions?outcome=suppress", &h.sarah).await;
    assert_eq!(suppressed["decisions"].as_array().unwrap().len(), 1, "{suppressed}");
    h.host.stop();
}

/// Sarah's home e-mailing through a real SMTP server (its Maildir at
/// `maildir`), with her sister Ana as the emergency contact.
async fn with_ana(dir: &std::path::Path, maildir: &std::path::Path) -> (tokio::process::Child, Home) {
    let (smtp, port) = common::smtp::smtp_server(maildir).await;
    let url = format!("smtp://127.0.0.1:{port}");
    let h = Home::start_with(dir, &[("SMTP_URL", url.as_str())]).await;
    let contact = json!({ "name": "Ana", "relation": "sister", "email": "ana@example.com", "priority": 1 });
    let (status, v) = post(&h.host, "/home/contacts", &h.sarah, &contact).await;
    assert_eq!(status, 201, "{v}");
    (smtp, h)
}

#[tokio::test]
async fn a_fire_runs_its_playbook_and_the_household_chooses_its_steps() {
    let (tmp, dir) = temp_dir();
    let maildir = tmp.path().join("mail");
    let (_smtp, h) = with_ana(&dir, &maildir).await;

    // The playbooks as the household sees them, and what they may not choose.
    let (status, v) = get(&h.host, "/security/playbooks", &h.sarah).await;
    assert_eq!(status, 200);
    assert_eq!(v["playbooks"][0]["kind"], "fire");
    assert_eq!(v["playbooks"][0]["steps"], json!(["unlock_doors", "hvac_off", "notify_contacts"]));
    let home = &h;
    let put = |kind: &str, steps: Value| {
        let path = format!("/security/playbooks/{kind}");
        async move { put(&home.host, &path, &home.sarah, &json!({ "steps": steps })).await }
    };
    let (status, v) = put("fire", json!(["lock_doors"])).await;
    assert_eq!((status, v["error"]["details"]["field"].as_str()), (400, Some("steps[0]")), "{v}");
    let (status, v) = put("fire", json!(["fly"])).await;
    assert_eq!((status, v["error"]["details"]["field"].as_str()), (400, Some("steps[0]")), "{v}");
    let (status, v) = put("flood", json!([])).await;
    assert_eq!((status, v["error"]["details"]["field"].as_str()), (400, Some("kind")), "{v}");
    let (status, v) = put("break_in", json!(["snapshot_cameras"])).await;
    assert_eq!((status, v["playbooks"][1]["steps"].clone()), (200, json!(["snapshot_cameras"])), "{v}");

    // Smoke in the kitchen, disarmed: fire, at once.
    event(&h, "Kitchen Smoke Detector", "smoke_detected", json!({ "smoke_level": 0.8 })).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let i = loop {
        let (_, v) = get(&h.host, "/incidents", &h.sarah).await;
        if let Some(id) = v["incidents"][0]["id"].as_str() {
            let (_, i) = get(&h.host, &format!("/incidents/{id}"), &h.sarah).await;
            if i.to_string().contains("the fire playbook ran") && i.to_string().contains("emergency contact Ana") {
                break i;
            }
        }
        assert!(Instant::now() < deadline, "{v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((i["kind"].as_str(), i["title"].as_str()), (Some("fire"), Some("Fire: Kitchen Smoke Detector")));
    let timeline = i["timeline"].as_array().unwrap();
    let sent: Vec<(&str, &str)> = timeline
        .iter()
        .filter(|t| t["data"]["command"].is_string())
        .map(|t| (t["data"]["command"].as_str().unwrap(), t["data"]["status"].as_str().unwrap()))
        .collect();
    assert_eq!(sent.iter().filter(|c| *c == &("unlock", "queued")).count(), 2, "both locks: {sent:?}");
    assert!(sent.contains(&("set_mode", "queued")), "the thermostat off: {sent:?}");
    let ana = timeline.iter().find(|t| t["data"]["party"] == "emergency_contacts").unwrap();
    assert_eq!(ana["data"]["status"], "delivered", "{ana}");
    let mail = common::smtp::mails_until(&maildir, 1).await;
    let to_ana = mail.iter().find(|m| common::smtp::header(m, "To") == Some("ana@example.com"));
    assert!(to_ana.is_some_and(|m| common::smtp::header(m, "Subject").unwrap().contains("Fire")), "{mail:?}");
    // 110 went to monitoring at once (no abort window), from the alarm.
    let signal = timeline.iter().find(|t| t["data"]["code"] == 110).unwrap();
    assert_eq!(signal["data"]["dispatch"], true, "{signal}");
    let front = device_id(SARAH, "Front Door Lock");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, d) = get(&h.host, &format!("/devices/{front}"), &h.sarah).await;
        if d["state"]["locked"] == false {
            break;
        }
        assert!(Instant::now() < deadline, "the front door stayed locked: {d}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    h.host.stop();
}

/// What an acknowledgement link would acknowledge (no login).
async fn link(h: &Home, token: &str) -> (u16, Value) {
    let r = client().get(h.host.url("/incidents/acknowledge")).query(&[("token", token)]).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Acknowledges from a link (no login).
async fn acknowledge_link(h: &Home, token: &str) -> (u16, Value) {
    let r = client().post(h.host.url("/incidents/acknowledge")).json(&json!({ "token": token })).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn an_alarm_nobody_acknowledges_goes_to_the_emergency_contacts_and_one_acknowledged_does_not() {
    let (tmp, dir) = temp_dir();
    let maildir = tmp.path().join("mail");
    let (_smtp, h) = with_ana(&dir, &maildir).await;
    let open_incident = || async {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let (_, v) = get(&h.host, "/incidents?status=open", &h.sarah).await;
            if let Some(id) = v["incidents"][0]["id"].as_str() {
                return id.to_owned();
            }
            assert!(Instant::now() < deadline, "{v}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let contacts_told = |i: &Value| {
        i["timeline"].as_array().unwrap().iter().filter(|t| t["data"]["party"] == "emergency_contacts").count()
    };

    // Nobody answers: two minutes later the contacts are told.
    h.armed_away().await;
    event(&h, "Back Window Sensor", "glass_break", json!({ "intensity": 0.9 })).await;
    let first = open_incident().await;
    h.advance("105s").await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (_, i) = get(&h.host, &format!("/incidents/{first}"), &h.sarah).await;
    assert_eq!(contacts_told(&i), 0, "not before two minutes: {i}");
    h.advance("15s").await;
    let i = incident_until(&h, &first, "the escalation", |v| contacts_told(v) == 1).await;
    let line = i["timeline"].as_array().unwrap().iter().find(|t| t["data"]["party"] == "emergency_contacts").unwrap();
    assert_eq!(
        (line["text"].as_str(), line["data"]["status"].as_str()),
        (Some("emergency contact Ana (sister): delivered"), Some("delivered"))
    );
    assert!(i.to_string().contains("nobody acknowledged it within 2 min"));
    let to_ana = |maildir: &std::path::Path| {
        common::smtp::mails(maildir).iter().filter(|m| common::smtp::header(m, "To") == Some("ana@example.com")).count()
    };
    common::smtp::mails_until(&maildir, 2).await;
    assert_eq!(to_ana(&maildir), 1, "the household's e-mail and Ana's");
    h.advance("5m").await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (_, i) = get(&h.host, &format!("/incidents/{first}"), &h.sarah).await;
    assert_eq!(contacts_told(&i), 1, "told once");
    assert_eq!(h.disarm("2580").await.0, 200);
    let body = json!({ "outcome": "resolved" });
    assert_eq!(post(&h.host, &format!("/incidents/{first}/resolve"), &h.sarah, &body).await.0, 200);

    // Ana's link is hers, for an incident closed now: it says so.
    let tokens = common::smtp::ack_tokens(&maildir);
    let (_, ana_link) = tokens.iter().find(|(to, _)| to == "ana@example.com").expect("Ana's e-mail has a link");
    let (status, v) = link(&h, ana_link).await;
    assert_eq!(
        (status, v["by"].as_str(), v["incident"]["id"].as_str()),
        (200, Some("Ana (sister), emergency contact"), Some(first.as_str())),
        "{v}"
    );
    let (status, v) = acknowledge_link(&h, ana_link).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("CONFLICT")), "{v}");

    // Acknowledged at once, from the link in the household's e-mail (no
    // login): the chain stops at the household.
    h.armed_away().await;
    event(&h, "Back Window Sensor", "glass_break", json!({ "intensity": 0.9 })).await;
    let second = open_incident().await;
    assert_ne!(second, first, "a new alarm is a new incident");
    common::smtp::mails_until(&maildir, 3).await;
    let tokens = common::smtp::ack_tokens(&maildir);
    let (to, mine) = tokens.last().unwrap();
    assert_eq!(to, SARAH, "{tokens:?}");
    let (status, v) = link(&h, mine).await;
    assert_eq!(
        (status, v["incident"]["id"].as_str(), v["by"].as_str()),
        (200, Some(second.as_str()), Some("Sarah Johnson")),
        "{v}"
    );
    let (status, v) = acknowledge_link(&h, mine).await;
    assert_eq!((status, v["incident"]["status"].as_str()), (200, Some("acknowledged")), "{v}");
    assert_eq!(v["incident"]["acknowledged_by"], "Sarah Johnson");
    assert_eq!(acknowledge_link(&h, mine).await.0, 200, "twice is once");
    // A link that is not ours, or not a link at all, opens nothing.
    let mut forged = mine.clone();
    forged.pop();
    forged.push(if mine.ends_with('A') { 'B' } else { 'A' });
    let (status, v) = acknowledge_link(&h, &forged).await;
    assert_eq!((status, v["error"]["code"].as_str()), (401, Some("UNAUTHORIZED")), "{v}");
    let (status, v) = acknowledge_link(&h, &h.sarah).await;
    assert_eq!(status, 401, "a session token is not a link: {v}");
    let r = client().get(h.host.url("/incidents/acknowledge")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    h.advance("3m").await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (_, i) = get(&h.host, &format!("/incidents/{second}"), &h.sarah).await;
    assert_eq!(contacts_told(&i), 0, "acknowledged: {i}");
    assert_eq!(to_ana(&maildir), 1, "Ana hears nothing of the second");
    h.host.stop();
}

#[tokio::test]
async fn a_quiet_home_asks_the_household_then_the_contacts_and_activity_ends_it() {
    let (tmp, dir) = temp_dir();
    let maildir = tmp.path().join("mail");
    let (_smtp, h) = with_ana(&dir, &maildir).await;
    let home = &h;
    let put = |body: Value| async move { put(&home.host, "/security/wellness", &home.sarah, &body).await };
    let (status, v) = get(&h.host, "/security/wellness", &h.sarah).await;
    assert_eq!((status, v["enabled"].as_bool()), (200, Some(false)), "off until set: {v}");
    let (status, v) = put(json!({ "enabled": true, "hours": 0 })).await;
    assert_eq!((status, v["error"]["details"]["field"].as_str()), (400, Some("hours")), "{v}");
    let (status, v) = put(json!({ "enabled": true, "awake_from": "7am" })).await;
    assert_eq!((status, v["error"]["details"]["field"].as_str()), (400, Some("awake_from")), "{v}");
    // Waking hours from an hour ago for the next 22 hours (whatever time it is at home now).
    let (_, home) = get(&h.host, "/home", &h.sarah).await;
    let hour: u32 = home["local_time"].as_str().unwrap()[11..13].parse().unwrap();
    let (from, until) = (format!("{:02}:00", (hour + 23) % 24), format!("{:02}:00", (hour + 22) % 24));
    let (status, v) = put(json!({ "enabled": true, "hours": 1, "awake_from": from, "awake_until": until })).await;
    assert_eq!((status, v["enabled"].as_bool(), v["hours"].as_u64()), (200, Some(true), Some(1)), "{v}");
    assert_eq!(get(&h.host, "/security/wellness", &h.sarah).await.1["awake_from"], from.as_str());

    let wellness = || async {
        let (_, v) = get(&h.host, "/incidents", &h.sarah).await;
        v["incidents"].as_array().unwrap().iter().find(|i| i["kind"] == "wellness").cloned()
    };
    // Someone moves; then nothing for an hour.
    let moved = event(&h, "Hallway Motion", "motion_detected", json!({ "signature": "human" })).await;
    decision(&h, &moved).await;
    h.advance("58m").await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(wellness().await.is_none(), "not before the hour");
    h.advance("3m").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let id = loop {
        if let Some(i) = wellness().await {
            break i["id"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no wellness incident after an hour of quiet");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (_, i) = get(&h.host, &format!("/incidents/{id}"), &h.sarah).await;
    assert_eq!((i["status"].as_str(), i["severity"].as_str()), (Some("open"), Some("high")), "{i}");
    let text = i.to_string();
    assert!(text.contains("no motion, door or lock activity for 1 h"), "{i}");
    assert!(text.contains("the last was Hallway Motion"), "{i}");
    assert!(text.contains("the household was asked"), "{i}");
    // Asked by e-mail, with the link that answers it.
    common::smtp::mails_until(&maildir, 1).await;
    let tokens = common::smtp::ack_tokens(&maildir);
    assert_eq!(tokens.first().map(|(to, _)| to.as_str()), Some(SARAH), "{tokens:?}");

    // Nobody answers for 15 minutes: Ana is told, once.
    h.advance("16m").await;
    let contacts = |i: &Value| {
        i["timeline"].as_array().unwrap().iter().filter(|t| t["data"]["party"] == "emergency_contacts").count()
    };
    let i = incident_until(&h, &id, "the contacts told", |i| contacts(i) == 1).await;
    assert!(i.to_string().contains("nobody acknowledged it within 15 min"), "{i}");
    let mail = common::smtp::mails_until(&maildir, 2).await;
    assert!(mail.iter().any(|m| common::smtp::header(m, "To") == Some("ana@example.com")), "{mail:?}");

    // She moves again: it ends, and no second one opens while the check runs on.
    event(&h, "Hallway Motion", "motion_detected", json!({ "signature": "human" })).await;
    let i = incident_until(&h, &id, "activity again", |i| i["ended_at"].is_string()).await;
    assert!(i.to_string().contains("activity again: Hallway Motion"), "{i}");
    h.advance("30m").await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let (_, v) = get(&h.host, "/incidents", &h.sarah).await;
    assert_eq!(v["incidents"].as_array().unwrap().iter().filter(|i| i["kind"] == "wellness").count(), 1, "{v}");
    h.host.stop();
}
