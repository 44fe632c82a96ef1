//! Notifications through the running host, to real receivers started
//! here: e-mail reaches an SMTP server (Python's aiosmtpd) with the right
//! recipient and subject; quiet hours hold a low-severity one until they
//! end at home and let an alarm through; a rule's webhook reaches an https
//! receiver (a certificate of its own, trusted through `SSL_CERT_FILE`),
//! signed; with the SMTP server gone, e-mail fails after its retries and is
//! recorded while the webhook and the app still deliver.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::smtp::{header, mails, mails_until, smtp_server};
use common::*;
use homeguard_domain::seed::{device_id, user_id};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const JOHN: &str = "john@demo.com";

/// A certificate for 127.0.0.1 and its key, made with openssl.
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(made.success());
    (cert, key)
}

const HTTPS_RECEIVER: &str = r#"
import http.server, json, ssl, sys
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        print(json.dumps({"path": self.path, "signature": self.headers.get("x-homeguard-signature"),
                          "body": body.decode()}), flush=True)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = tls.wrap_socket(server.socket, server_side=True)
print(json.dumps({"port": server.server_address[1]}), flush=True)
server.serve_forever()
"#;

/// An https receiver; yields each POST it gets.
async fn https_receiver(cert: &Path, key: &Path) -> (Child, u16, tokio::sync::mpsc::UnboundedReceiver<Value>) {
    let mut child = Command::new("python3")
        .args(["-c", HTTPS_RECEIVER])
        .arg(cert)
        .arg(key)
        .kill_on_drop(true)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = tx.send(serde_json::from_str(&line).unwrap());
        }
    });
    (child, first["port"].as_u64().unwrap() as u16, rx)
}

async fn set_time(host: &Host, admin: &str, at: &str) {
    let (status, out) = post(host, "/demo/time", admin, &json!({ "time": at })).await;
    assert_eq!(status, 200, "{out}");
}

async fn motion(host: &Host, admin: &str, at: &str) {
    let body = json!({
        "event_id": uuid::Uuid::new_v4(),
        "device_id": device_id(JOHN, "Living Room Motion"),
        "event_type": "motion_detected",
        "timestamp": at,
        "payload": { "zone": "living_room" },
    });
    let (status, out) = post(host, "/ingest/events", admin, &body).await;
    assert_eq!(status, 202, "{out}");
}

/// The e-mail delivery of john's notification titled `title`, once it has
/// the status `want`.
async fn email_delivery(host: &Host, token: &str, title: &str, want: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, list) = get(host, "/notifications?limit=200", token).await;
        let found = list["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["title"] == title)
            .find_map(|n| n["deliveries"].as_array().unwrap().iter().find(|d| d["channel"] == "email").cloned());
        if let Some(d) = found.filter(|d| d["status"] == want) {
            return d;
        }
        assert!(Instant::now() < deadline, "no {want} e-mail for {title:?}: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn email_reaches_a_real_smtp_server_and_quiet_hours_hold_what_is_not_urgent() {
    let (tmp, dir) = temp_dir();
    let maildir = tmp.path().join("mail");
    let (mut smtp, smtp_port) = smtp_server(&maildir).await;
    let (cert, key) = certificate(tmp.path());
    let (_https, https_port, mut hooks) = https_receiver(&cert, &key).await;
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let env = [
        ("SMTP_URL", smtp_url.as_str()),
        ("SMTP_FROM", "HomeGuard <alerts@homeguard.test>"),
        ("SSL_CERT_FILE", cert.to_str().unwrap()),
    ];
    let host = Host::start_with(&dir, Some(SECRET), &env);
    let john = login(&host, JOHN).await;
    let admin = login(&host, "admin@demo.com").await;

    // Settings: checked by field; the account's address; the signing secret.
    for (bad, field) in [
        (json!({ "quiet_hours": { "start": "22:00", "end": "22:00" } }), "quiet_hours.end"),
        (json!({ "quiet_hours": { "start": "10 pm", "end": "07:00" } }), "quiet_hours.start"),
        (json!({ "webhook_url": "ftp://n8n/x" }), "webhook_url"),
    ] {
        let (status, err) = put(&host, "/notifications/settings", &john, &bad).await;
        assert_eq!((status, err["error"]["details"]["field"].as_str()), (400, Some(field)), "{err}");
    }
    let (status, err) = put(&host, "/notifications/settings", &john, &json!({ "pager": true })).await;
    assert_eq!((status, error_code(&err).as_str()), (400, "VALIDATION_ERROR"), "{err}");
    let quiet = json!({ "email": true, "quiet_hours": { "start": "22:00", "end": "07:00" } });
    let (status, settings) = put(&host, "/notifications/settings", &john, &quiet).await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!((settings["email_address"].as_str(), settings["email_available"].as_bool()), (Some(JOHN), Some(true)));
    let keys = homeguard_runtime::AuthKeys::new(SECRET.as_bytes(), chrono::Duration::hours(1));
    assert_eq!(settings["webhook_secret"], homeguard_runtime::auth::webhook_secret(&keys, user_id(JOHN)));
    let (_, again) = get(&host, "/notifications/settings", &john).await;
    assert_eq!(again, settings);

    // One motion, two notifications by e-mail (a low one and an alarm) and an https webhook.
    let rule = json!({
        "name": "Downstairs at night",
        "trigger": { "type": "device_event", "device_id": device_id(JOHN, "Living Room Motion"), "event_type": "motion_detected" },
        "actions": [
            { "type": "notification", "channel": "email", "title": "Motion downstairs", "message": "{device} at {time}", "severity": "low" },
            { "type": "notification", "channel": "email", "title": "Intruder?", "message": "{device} at {time}", "severity": "critical" },
            { "type": "webhook", "url": format!("https://127.0.0.1:{https_port}/webhook/downstairs") }
        ]
    });
    let (status, created) = post(&host, "/automations", &john, &rule).await;
    assert_eq!(status, 201, "{created}");

    // 23:30 in New York: inside john's quiet hours.
    let mut live = stream(&host, &john, &["notifications"]).await;
    set_time(&host, &admin, "2026-12-06T04:30:00Z").await;
    motion(&host, &admin, "2026-12-06T04:30:00Z").await;
    let got = mails_until(&maildir, 1).await;
    assert_eq!(header(&got[0], "To"), Some(JOHN));
    assert_eq!(header(&got[0], "From"), Some("HomeGuard <alerts@homeguard.test>"));
    assert_eq!(header(&got[0], "Subject"), Some("[HomeGuard] Intruder?"), "the alarm goes at once: {got:?}");
    let sent = email_delivery(&host, &john, "Intruder?", "delivered").await;
    assert_eq!(sent["attempts"], 1, "{sent}");
    let held = email_delivery(&host, &john, "Motion downstairs", "held").await;

    // The app is told how the alarm's e-mail went.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let m = next_json(&mut live, Duration::from_secs(20)).await.expect("live messages");
        let n = &m["notification"];
        if m["type"] == "notification_updated" && n["title"] == "Intruder?" {
            let email = n["deliveries"].as_array().unwrap().iter().find(|d| d["channel"] == "email").unwrap();
            assert_eq!(email["status"], "delivered", "{m}");
            break;
        }
        assert!(Instant::now() < deadline, "no live update of the delivery");
    }
    assert!(held["detail"].as_str().unwrap().contains("07:00"), "{held}");

    // The webhook came over https, signed with john's secret.
    let hook = tokio::time::timeout(Duration::from_secs(20), hooks.recv()).await.expect("webhook").unwrap();
    assert_eq!(hook["path"], "/webhook/downstairs");
    let body = hook["body"].as_str().unwrap();
    assert_eq!(hook["signature"], homeguard_runtime::auth::webhook_signature(&keys, user_id(JOHN), body.as_bytes()));

    // Held through the night: the clock's passes leave it.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(mails(&maildir).len(), 1, "the low one waits for the morning");

    // 07:01 at home: the quiet hours are over and it goes.
    set_time(&host, &admin, "2026-12-06T12:01:00Z").await;
    let got = mails_until(&maildir, 2).await;
    assert_eq!(header(&got[1], "Subject"), Some("[HomeGuard] Motion downstairs"));
    assert_eq!(header(&got[1], "To"), Some(JOHN));
    email_delivery(&host, &john, "Motion downstairs", "delivered").await;

    // The SMTP server goes away: e-mail fails after its retries and says
    // so; the app and the webhook still deliver.
    smtp.kill().await.unwrap();
    set_time(&host, &admin, "2026-12-06T15:00:00Z").await;
    motion(&host, &admin, "2026-12-06T15:00:00Z").await;
    let hook = tokio::time::timeout(Duration::from_secs(20), hooks.recv()).await.expect("webhook").unwrap();
    assert_eq!(hook["path"], "/webhook/downstairs");
    let deadline = Instant::now() + Duration::from_secs(30);
    let failed = loop {
        let (_, list) = get(&host, "/notifications?limit=200", &john).await;
        let n = list["notifications"].as_array().unwrap();
        let newest = n.iter().find(|n| n["title"] == "Intruder?").unwrap();
        let email = newest["deliveries"].as_array().unwrap().iter().find(|d| d["channel"] == "email").unwrap();
        if n.len() == 4 && email["status"] == "failed" {
            break newest.clone();
        }
        assert!(Instant::now() < deadline, "{list}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let deliveries = failed["deliveries"].as_array().unwrap();
    assert_eq!(deliveries[0]["channel"], "in_app");
    assert_eq!(deliveries[0]["status"], "delivered");
    let email = &deliveries[1];
    assert_eq!(email["attempts"], 4, "the first try and 3 retries: {email}");
    assert!(email["detail"].as_str().unwrap().to_lowercase().contains("connect"), "{email}");
    let text = client().get(host.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains(r#"notifications_delivered_total{channel="email",status="failed"}"#), "{text}");
    host.stop();
}
