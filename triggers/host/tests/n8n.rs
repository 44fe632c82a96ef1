//! The n8n workflows in `infra/n8n/` against the running host: each is a
//! well-formed n8n export (nodes, typed, placed, connected, every node
//! reachable from its trigger); the webhook paths the rules' `n8n` actions
//! post to are the workflows' own, and every field a workflow reads from
//! what HomeGuard sent is in what HomeGuard sends; every API call a
//! workflow makes is one the host serves, made here with a service token
//! as n8n would make it, with each body as the workflow builds it, and
//! every field a later step reads is in the answer. Service tokens
//! themselves: issued once, listed without the token, unable to issue
//! more, revoked at once.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use common::*;
use homeguard_domain::seed::{device_id, user_id};
use serde_json::{Value, json};

const JOHN: &str = "john@demo.com";

fn workflows() -> BTreeMap<String, Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infra/n8n");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).unwrap();
            let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.insert(path.file_stem().unwrap().to_string_lossy().into_owned(), doc);
        }
    }
    out
}

fn nodes(w: &Value) -> &Vec<Value> {
    w["nodes"].as_array().unwrap()
}

fn node<'a>(w: &'a Value, name: &str) -> &'a Value {
    nodes(w).iter().find(|n| n["name"] == name).unwrap_or_else(|| panic!("no node {name}"))
}

fn kind(n: &Value) -> &str {
    n["type"].as_str().unwrap().trim_start_matches("n8n-nodes-base.")
}

/// The nodes `name` feeds, on any output.
fn next<'a>(w: &'a Value, name: &str) -> Vec<&'a str> {
    let outs = w["connections"][name]["main"].as_array().cloned().unwrap_or_default();
    let mut all = vec![];
    for out in outs.iter() {
        for t in out.as_array().unwrap() {
            let target = t["node"].as_str().unwrap();
            all.push(nodes(w).iter().find(|n| n["name"] == target).unwrap()["name"].as_str().unwrap());
        }
    }
    all
}

/// The node feeding `name` (each of ours has one).
fn previous<'a>(w: &'a Value, name: &str) -> Option<&'a str> {
    nodes(w).iter().map(|n| n["name"].as_str().unwrap()).find(|src| next(w, src).contains(&name))
}

/// Each `{{ ... }}` expression in a parameter.
fn expressions(text: &str) -> Vec<&str> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else { break };
        out.push(rest[start + 2..start + len].trim());
        rest = &rest[start + len + 2..];
    }
    out
}

/// The dotted paths an expression reads after `marker` (`.json.body.device.name`).
fn paths_after(expr: &str, marker: &str) -> Vec<Vec<String>> {
    expr.match_indices(marker)
        .map(|(i, _)| {
            expr[i + marker.len()..]
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .next()
                .unwrap_or_default()
                .split('.')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn has_path(v: &Value, path: &[String]) -> bool {
    path.iter().try_fold(v, |v, k| v.get(k)).is_some()
}

/// Every string parameter of a node, flattened.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// What n8n would put in place of an expression, for this test's run.
fn sample(expr: &str, quoted: bool, lock: &str) -> String {
    let text = if expr.contains("device_id") {
        lock.to_owned()
    } else if expr.contains("$now") {
        (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    } else if expr.contains(".mode") {
        "home".into()
    } else if expr.contains(".command") {
        "lock".into()
    } else if expr.contains("severity") {
        "high".into()
    } else if expr.contains("JSON.stringify($json.parameters") {
        return "{}".into();
    } else if expr.starts_with("JSON.stringify(") {
        return "\"A line of text\"".into();
    } else {
        "sample".into()
    };
    if quoted { text } else { format!("\"{text}\"") }
}

/// A parameter with its expressions filled in (in a JSON body, an
/// expression outside a string literal stands for a JSON value).
fn fill(template: &str, lock: &str, json: bool) -> String {
    let mut out = String::new();
    let mut rest = template.strip_prefix('=').unwrap_or(template);
    while let Some(start) = rest.find("{{") {
        let len = rest[start..].find("}}").unwrap();
        let before = &rest[..start];
        // Inside a JSON string when an odd number of unescaped quotes precede it on its line.
        let line = out.rsplit('\n').next().unwrap_or("").to_owned() + before;
        let quoted = !json || line.matches('"').count() % 2 == 1;
        out.push_str(before);
        out.push_str(&sample(rest[start + 2..start + len].trim(), quoted, lock));
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_workflows_are_well_formed_n8n_exports() {
    let all = workflows();
    assert_eq!(
        all.keys().map(String::as_str).collect::<Vec<_>>(),
        ["agent-actions", "daily-summary", "device-offline-escalation", "motion-alert-night"]
    );
    for (file, w) in &all {
        assert!(w["name"].as_str().is_some_and(|n| n.starts_with("HomeGuard: ")), "{file}: name");
        assert!(w["connections"].is_object() && w["settings"].is_object(), "{file}");
        let mut names = BTreeSet::new();
        for n in nodes(w) {
            let name = n["name"].as_str().unwrap();
            assert!(names.insert(name), "{file}: node names are unique ({name})");
            assert!(uuid::Uuid::parse_str(n["id"].as_str().unwrap()).is_ok(), "{file}/{name}: id");
            assert!(n["type"].as_str().unwrap().starts_with("n8n-nodes-base."), "{file}/{name}: type");
            assert!(n["typeVersion"].is_number(), "{file}/{name}: typeVersion");
            let at = n["position"].as_array().unwrap();
            assert!(at.len() == 2 && at.iter().all(Value::is_number), "{file}/{name}: position");
            assert!(n["parameters"].is_object(), "{file}/{name}: parameters");
            if kind(n) == "httpRequest" {
                let url = n["parameters"]["url"].as_str().unwrap();
                assert!(url.starts_with("={{ $env.HOMEGUARD_URL }}/"), "{file}/{name}: calls HomeGuard: {url}");
                assert_eq!(n["parameters"]["genericAuthType"], "httpHeaderAuth", "{file}/{name}");
                assert_eq!(n["credentials"]["httpHeaderAuth"]["name"], "HomeGuard service token", "{file}/{name}");
            }
        }
        for (src, outs) in w["connections"].as_object().unwrap() {
            assert!(names.contains(src.as_str()), "{file}: connection from a missing node {src}");
            for t in outs["main"].as_array().unwrap().iter().flat_map(|o| o.as_array().unwrap()) {
                assert!(names.contains(t["node"].as_str().unwrap()), "{file}: connection to a missing node {t}");
                assert_eq!(t["type"], "main");
            }
        }
        // Every node is reached from the trigger.
        let trigger = nodes(w).iter().find(|n| ["webhook", "scheduleTrigger"].contains(&kind(n))).unwrap();
        let mut seen = BTreeSet::from([trigger["name"].as_str().unwrap()]);
        let mut todo = vec![trigger["name"].as_str().unwrap()];
        while let Some(n) = todo.pop() {
            for m in next(w, n) {
                if seen.insert(m) {
                    todo.push(m);
                }
            }
        }
        assert_eq!(seen, names, "{file}: every node runs");
    }
}

/// A stand-in for n8n's webhook listener: what HomeGuard posted, by path.
type Posted = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

async fn n8n_listener() -> (String, Posted) {
    let got: Posted = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/webhook/{*path}",
        axum::routing::post(
            move |axum::extract::Path(path): axum::extract::Path<String>,
                  headers: HeaderMap,
                  body: axum::body::Bytes| {
                let seen = seen.clone();
                async move {
                    let sig =
                        headers.get("x-homeguard-signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    seen.lock().unwrap().push((path, sig, body.to_vec()));
                    "ok"
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, got)
}

async fn call(token: &str, method: &str, url: &str, body: Option<&Value>) -> (u16, Value) {
    let c = client();
    let req = match method {
        "GET" => c.get(url),
        "POST" => c.post(url),
        other => panic!("method {other}"),
    };
    let req = match body {
        Some(b) => req.json(b),
        None => req,
    };
    let r = req.bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_workflows_match_what_homeguard_sends_and_serves() {
    let (_tmp, dir) = temp_dir();
    let (base, posted) = n8n_listener().await;
    let host = Host::start_with(&dir, Some(SECRET), &[("N8N_WEBHOOK_BASE", base.as_str())]);
    let john = login(&host, JOHN).await;
    let admin = login(&host, "admin@demo.com").await;

    // A service token for n8n: shown once, listed without it.
    let (status, issued) = post(&host, "/auth/tokens", &john, &json!({ "name": "n8n", "days": 30 })).await;
    assert_eq!(status, 201, "{issued}");
    let token = issued["token"].as_str().unwrap().to_owned();
    let (_, listed) = get(&host, "/auth/tokens", &john).await;
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 1, "{listed}");
    assert!(listed["tokens"][0].get("token").is_none(), "never listed: {listed}");
    assert_eq!(listed["tokens"][0]["name"], "n8n");
    let (status, err) = post(&host, "/auth/tokens", &token, &json!({ "name": "more" })).await;
    assert_eq!((status, error_code(&err).as_str()), (403, "FORBIDDEN"), "a token issues no tokens: {err}");
    for (bad, field) in [(json!({ "name": "" }), "name"), (json!({ "name": "x", "days": 0 }), "days")] {
        let (status, err) = post(&host, "/auth/tokens", &john, &bad).await;
        assert_eq!((status, err["error"]["details"]["field"].as_str()), (400, Some(field)), "{err}");
    }

    // The rules' n8n actions post to the workflows' own webhook paths.
    let all = workflows();
    let mut hooks: BTreeMap<String, (&str, &Value)> = BTreeMap::new();
    for (file, w) in &all {
        for n in nodes(w).iter().filter(|n| kind(n) == "webhook") {
            hooks.insert(n["parameters"]["path"].as_str().unwrap().to_owned(), (file.as_str(), w));
        }
    }
    assert_eq!(
        hooks.keys().map(String::as_str).collect::<Vec<_>>(),
        ["homeguard-agent-actions", "homeguard-device-offline", "homeguard-motion-night"]
    );
    let sent_by_rules = ["homeguard-device-offline", "homeguard-motion-night"];
    let actions: Vec<Value> = sent_by_rules.iter().map(|w| json!({ "type": "n8n", "workflow": w })).collect();
    let rule = json!({
        "name": "Tell n8n",
        "trigger": { "type": "device_event", "device_id": device_id(JOHN, "Living Room Motion"), "event_type": "motion_detected" },
        "actions": actions,
    });
    let (status, created) = post(&host, "/automations", &john, &rule).await;
    assert_eq!(status, 201, "{created}");
    let (_, t) = get(&host, "/demo/time", &admin).await;
    let event = json!({
        "event_id": uuid::Uuid::new_v4(),
        "device_id": device_id(JOHN, "Living Room Motion"),
        "event_type": "motion_detected",
        "timestamp": t["now"],
        "payload": { "zone": "living_room" },
    });
    let (status, out) = post(&host, "/ingest/events", &admin, &event).await;
    assert_eq!(status, 202, "{out}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while posted.lock().unwrap().len() < sent_by_rules.len() {
        assert!(Instant::now() < deadline, "n8n was not called: {:?}", posted.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let keys = homeguard_runtime::AuthKeys::new(SECRET.as_bytes(), chrono::Duration::hours(1));
    for (path, signature, body) in posted.lock().unwrap().iter() {
        let (file, w) = hooks.get(path).unwrap_or_else(|| panic!("posted to {path}, which no workflow listens on"));
        assert_eq!(
            *signature,
            homeguard_runtime::auth::webhook_signature(&keys, user_id(JOHN), body),
            "{path}: signed"
        );
        let body: Value = serde_json::from_slice(body).unwrap();
        let trigger = nodes(w).iter().find(|n| kind(n) == "webhook").unwrap()["name"].as_str().unwrap();
        // Every field of the webhook's body that the workflow reads is there.
        let mut read = 0;
        for n in nodes(w) {
            let mut texts = vec![];
            strings(&n["parameters"], &mut texts);
            for e in texts.iter().flat_map(|t| expressions(t)) {
                let mut paths = paths_after(e, &format!("$('{trigger}').item.json.body."));
                if previous(w, n["name"].as_str().unwrap()) == Some(trigger) {
                    paths.extend(paths_after(e, "$json.body."));
                }
                for p in paths {
                    assert!(
                        has_path(&body, &p),
                        "{file}/{}: reads body.{} that HomeGuard does not send: {body}",
                        n["name"],
                        p.join(".")
                    );
                    read += 1;
                }
            }
        }
        assert!(read > 0, "{file} reads what it is sent");
    }

    // Every API call of every workflow, made as n8n would make it.
    let lock = device_id(JOHN, "Front Door Lock").to_string();
    let mut answers: BTreeMap<(String, String), Value> = BTreeMap::new();
    for (file, w) in &all {
        for n in nodes(w).iter().filter(|n| kind(n) == "httpRequest") {
            let name = n["name"].as_str().unwrap();
            let p = &n["parameters"];
            let url = p["url"].as_str().unwrap().replacen("={{ $env.HOMEGUARD_URL }}", &host.base, 1);
            let url = fill(&url, &lock, false);
            let body = p["jsonBody"].as_str().map(|b| {
                let text = fill(b, &lock, true);
                serde_json::from_str::<Value>(&text)
                    .unwrap_or_else(|e| panic!("{file}/{name}: body is not JSON ({e}): {text}"))
            });
            let method = p["method"].as_str().unwrap();
            let (status, answer) = call(&token, method, &url, body.as_ref()).await;
            assert!((200..300).contains(&status), "{file}/{name}: {method} {url} {body:?} answered {status}: {answer}");
            answers.insert((file.clone(), name.to_owned()), answer);
        }
    }
    // Every field a later step reads from an answer is in it.
    for (file, w) in &all {
        for n in nodes(w) {
            let mut texts = vec![];
            strings(&n["parameters"], &mut texts);
            let from = previous(w, n["name"].as_str().unwrap());
            for t in &texts {
                let exprs: Vec<&str> = if kind(n) == "code" { vec![t.as_str()] } else { expressions(t) };
                for e in exprs {
                    if let Some(src) = from.filter(|s| kind(node(w, s)) == "httpRequest") {
                        for p in paths_after(e, "$json.") {
                            let answer = &answers[&(file.clone(), src.to_owned())];
                            assert!(
                                has_path(answer, &p),
                                "{file}/{}: reads {} from {src}: {answer}",
                                n["name"],
                                p.join(".")
                            );
                        }
                    }
                    for (src, answer) in answers.iter().filter(|((f, _), _)| f == file) {
                        let quoted = src.1.replace('\'', "\\'");
                        for p in paths_after(e, &format!("$('{quoted}').first().json.")) {
                            assert!(has_path(answer, &p), "{file}: reads {} from {}: {answer}", p.join("."), src.1);
                        }
                    }
                }
            }
        }
    }
    // What the workflows sent reached john, once per key.
    let (_, list) = get(&host, "/notifications?limit=200", &john).await;
    let titles: BTreeSet<&str> =
        list["notifications"].as_array().unwrap().iter().filter_map(|n| n["title"].as_str()).collect();
    for t in ["Motion at night", "Device offline", "Device still offline", "Your home yesterday"] {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut titles = titles.clone();
        let mut list = list.clone();
        while !titles.contains(t) {
            assert!(Instant::now() < deadline, "{t} not sent: {list}");
            tokio::time::sleep(Duration::from_millis(100)).await;
            list = get(&host, "/notifications?limit=200", &john).await.1;
            titles = list["notifications"].as_array().unwrap().iter().filter_map(|n| n["title"].as_str()).collect();
        }
    }

    // Revoked, the token stops working at once.
    let id = issued["token_id"].as_str().unwrap();
    let r = client().delete(host.url(&format!("/auth/tokens/{id}"))).bearer_auth(&john).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let (status, _) = get(&host, "/home/alarm", &token).await;
    assert_eq!(status, 401);
    let (_, listed) = get(&host, "/auth/tokens", &john).await;
    assert_eq!(listed["tokens"], json!([]));
    host.stop();
}
