//! `homeguard-bench`: drives the event pipeline of a real `homeguard` host
//! (a release build, in its own process, on a fresh data dir) and prints:
//!
//! - a bare-HTTP baseline measured in the same run (`GET /health/liveness`);
//! - sustained end-to-end throughput: events accepted by ingest, stored by
//!   the event store and pushed to a connected WebSocket, with one event per
//!   request and with batches;
//! - latency from ingest to the WebSocket at a paced rate (p50, p99, max);
//! - latency from ingest to the security response's decision recorded, at
//!   a paced rate of security-relevant events.
//!
//! Run it with `scripts/bench` (builds both in release mode first).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use futures::{SinkExt, StreamExt};
use homeguard_domain::seed::device_id;
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};

#[derive(Debug, Parser)]
#[command(about = "Measure HomeGuard's event pipeline end to end")]
struct Args {
    /// The homeguard binary to run.
    #[arg(long, default_value = "target/release/homeguard")]
    host_bin: PathBuf,
    /// Seconds each phase drives load.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections in the throughput phases.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Events per request in the batched phase.
    #[arg(long, default_value_t = 50)]
    batch: usize,
    /// Events per second in the latency phase.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// The simulator's configured event rate in the simulator phase.
    #[arg(long, default_value_t = 10_000.0)]
    sim_rate: f64,
    /// Devices in each of the two simulated homes in the simulator phase.
    #[arg(long, default_value_t = 100)]
    sim_devices: usize,
    /// Environment for the hosts the driver starts, `KEY=VALUE`, repeatable
    /// (e.g. `--host-env REDIS_URL=redis://127.0.0.1:6379/3` to measure on Redis).
    #[arg(long = "host-env", value_parser = parse_env)]
    host_env: Vec<(String, String)>,
    /// The consumer whose handled count says the event store caught up
    /// (the event store function's name; `event-store` before it took it).
    #[arg(long, default_value = "hg-fn-events")]
    drain_consumer: String,
    /// The phases to run.
    #[arg(long, value_delimiter = ',', default_value = "baseline,single,batched,latency,decisions,simulator")]
    phases: Vec<String>,
    /// The host's log filter (it must keep the host's start-up line).
    #[arg(long, default_value = "info")]
    host_log: String,
}

const SECRET: &str = "bench-secret-bench-secret-bench-secret-xx";
const DEVICES: [(&str, &str); 5] = [
    ("Front Door Lock", "locked"),
    ("Living Room Motion", "motion_detected"),
    ("Hallway Thermostat", "temperature_reading"),
    ("Garage Door", "door_open"),
    ("Front Porch Camera", "person_detected"),
];

struct Host {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).ok_or_else(|| format!("{s}: expected KEY=VALUE"))
}

fn start_host(
    bin: &PathBuf,
    log: &str,
    simulator: Option<&std::path::Path>,
    env: &[(String, String)],
) -> anyhow::Result<Host> {
    let dir = tempfile::tempdir()?;
    let mut cmd = Command::new(bin);
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    match simulator {
        Some(config) => cmd.env("HOMEGUARD_SIMULATOR", "on").env("HOMEGUARD_SIMULATOR_CONFIG", config),
        None => cmd.env("HOMEGUARD_SIMULATOR", "off"),
    };
    let mut child = cmd
        .args(["up", "--port", "0", "--data-dir"])
        .arg(dir.path().join("data"))
        .env("JWT_SECRET", SECRET)
        .env("RUST_LOG", log)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {} (build it with cargo build --release)", bin.display()))?;
    let mut lines = BufReader::new(child.stdout.take().context("host stdout")?).lines();
    let base = loop {
        let line = lines.next().context("host exited before listening")??;
        if let Some(addr) =
            serde_json::from_str::<Value>(&line).ok().and_then(|v| v["addr"].as_str().map(str::to_owned))
        {
            break format!("http://{addr}");
        }
    };
    // Keep draining the host's logs, as a log shipper would.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    Ok(Host { child, base, _dir: dir })
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().pool_max_idle_per_host(1024).timeout(Duration::from_secs(30)).build().expect("client")
}

fn event(device: uuid::Uuid, event_type: &str, seq: u64) -> Value {
    let mut payload = json!({ "bench_seq": seq });
    if event_type == "temperature_reading" {
        payload["temperature"] = json!(70.5);
    }
    json!({ "device_id": device, "event_type": event_type, "payload": payload })
}

/// A WebSocket client subscribed to john's events, timestamping each arrival.
async fn listen(base: &str, token: &str) -> anyhow::Result<mpsc::UnboundedReceiver<(u64, Instant)>> {
    let url = format!("{}/events/stream?token={token}", base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    let sub = json!({ "action": "subscribe", "channels": ["events"] }).to_string();
    ws.send(tokio_tungstenite::tungstenite::Message::Text(sub.into())).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            let now = Instant::now();
            match msg {
                tokio_tungstenite::tungstenite::Message::Text(t) => {
                    if let Ok(v) = serde_json::from_str::<Value>(&t)
                        && let Some(seq) = v["data"]["bench_seq"].as_u64()
                    {
                        let _ = tx.send((seq, now));
                    }
                }
                tokio_tungstenite::tungstenite::Message::Close(frame) => {
                    eprintln!("websocket closed by the host: {frame:?}");
                    break;
                }
                _ => {}
            }
        }
    });
    Ok(rx)
}

/// The value of the first metric line starting with `prefix` and containing `part`.
async fn metric(base: &str, prefix: &str, part: &str) -> f64 {
    let mut text = String::new();
    for _ in 0..5 {
        match client().get(format!("{base}/metrics")).send().await {
            Ok(r) if r.status().is_success() => {
                text = r.text().await.unwrap_or_default();
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    text.lines()
        .find(|l| l.starts_with(prefix) && l.contains(part))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or(0.0)
}

async fn stored(base: &str, consumer: &str) -> u64 {
    metric(base, "bus_messages_handled_total", &format!(r#"consumer="{consumer}""#)).await as u64
}

const ACCEPTED: &str = r#"kind="event",outcome="accepted""#;

/// The simulator at `rate` on a host of its own: what it produced and what
/// the pipeline stored, against the rate it aimed at (its own baseline).
async fn simulator(args: &Args) -> anyhow::Result<()> {
    let conf = tempfile::tempdir()?;
    let file = conf.path().join("simulator.yaml");
    let homes = format!("  devices_per_user:\n    john@demo.com: {0}\n    sarah@demo.com: {0}\n", args.sim_devices);
    std::fs::write(&file, format!("simulator:\n  event_rate: {}\n  anomaly_rate: 0.01\n{homes}", args.sim_rate))?;
    let host = start_host(&args.host_bin, &args.host_log, Some(&file), &args.host_env)?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (a0, s0, t0) = (
        metric(&host.base, "simulator_messages_total", ACCEPTED).await,
        stored(&host.base, &args.drain_consumer).await,
        Instant::now(),
    );
    let target = metric(&host.base, "simulator_target_events_per_second", "").await;
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    let (a1, s1, secs) = (
        metric(&host.base, "simulator_messages_total", ACCEPTED).await,
        stored(&host.base, &args.drain_consumer).await,
        t0.elapsed().as_secs_f64(),
    );
    let rejected = metric(&host.base, "simulator_messages_total", r#"kind="event",outcome="rejected""#).await;
    let produced = (a1 - a0) / secs;
    let end_to_end = (s1 - s0) as f64 / secs;
    println!(
        "simulator  configured {:.0} ev/s (aiming at {target:.0} ev/s this hour)  ingested {produced:>8.0} ev/s ({:.2} of aim)  stored {end_to_end:>8.0} ev/s  rejected {rejected:.0}",
        args.sim_rate,
        produced / target
    );
    Ok(())
}

struct Setup {
    base: String,
    /// The consumer that says the event store caught up.
    consumer: String,
    keys: Vec<(uuid::Uuid, &'static str, String)>,
    pushed: mpsc::UnboundedReceiver<(u64, Instant)>,
    token: String,
}

async fn setup(host: &Host, consumer: &str) -> anyhow::Result<Setup> {
    let c = client();
    let login: Value = c
        .post(format!("{}/auth/login", host.base))
        .json(&json!({ "email": "john@demo.com", "password": "demo123" }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().context("login")?.to_owned();
    let mut keys = vec![];
    for (name, event_type) in DEVICES {
        let id = device_id("john@demo.com", name);
        let r: Value =
            c.post(format!("{}/devices/{id}/key", host.base)).bearer_auth(&token).send().await?.json().await?;
        keys.push((id, event_type, r["device_key"].as_str().context("device key")?.to_owned()));
    }
    let pushed = listen(&host.base, &token).await?;
    Ok(Setup { base: host.base.clone(), consumer: consumer.to_owned(), keys, pushed, token })
}

/// Requests per second of the cheapest endpoint, at the same concurrency.
async fn baseline(base: &str, concurrency: usize, secs: u64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (c, url, done) = (client(), format!("{base}/health/liveness"), done.clone());
            tokio::spawn(async move {
                while Instant::now() < end {
                    if c.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

struct Throughput {
    requests_per_sec: f64,
    accepted_per_sec: f64,
    end_to_end_per_sec: f64,
    accepted: u64,
    drain: Duration,
}

/// Sends as fast as `concurrency` connections allow for `secs`, then waits
/// until everything accepted has been stored and pushed.
async fn throughput(
    s: &mut Setup,
    concurrency: usize,
    batch: usize,
    secs: u64,
    seq_base: u64,
) -> anyhow::Result<Throughput> {
    let stored_before = stored(&s.base, &s.consumer).await;
    let seq = Arc::new(AtomicU64::new(seq_base));
    let accepted = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let end = started + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            let (device, event_type, key) = s.keys[i % s.keys.len()].clone();
            let (c, url) = (client(), format!("{}/ingest/events", s.base));
            let (seq, accepted, requests) = (seq.clone(), accepted.clone(), requests.clone());
            tokio::spawn(async move {
                while Instant::now() < end {
                    let body = if batch == 1 {
                        event(device, event_type, seq.fetch_add(1, Ordering::Relaxed))
                    } else {
                        let first = seq.fetch_add(batch as u64, Ordering::Relaxed);
                        Value::Array((0..batch as u64).map(|n| event(device, event_type, first + n)).collect())
                    };
                    match c.post(&url).header("x-device-key", &key).json(&body).send().await {
                        Ok(r) if r.status() == 202 => {
                            requests.fetch_add(1, Ordering::Relaxed);
                            accepted.fetch_add(batch as u64, Ordering::Relaxed);
                        }
                        Ok(r) => eprintln!("ingest answered {}", r.status()),
                        Err(e) => eprintln!("ingest failed: {e}"),
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let sending = started.elapsed();
    let accepted = accepted.load(Ordering::Relaxed);
    let mut pushed = 0u64;
    let mut last_push = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(120);
    while pushed < accepted {
        match tokio::time::timeout_at(deadline.into(), s.pushed.recv()).await {
            Ok(Some((_, at))) => {
                pushed += 1;
                last_push = at;
            }
            _ => bail!("only {pushed} of {accepted} accepted events reached the WebSocket"),
        }
    }
    while stored(&s.base, &s.consumer).await < stored_before + accepted {
        if Instant::now() > deadline {
            bail!("the event store did not catch up");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let finished = last_push.max(Instant::now());
    let total = finished - started;
    Ok(Throughput {
        requests_per_sec: requests.load(Ordering::Relaxed) as f64 / sending.as_secs_f64(),
        accepted_per_sec: accepted as f64 / sending.as_secs_f64(),
        end_to_end_per_sec: accepted as f64 / total.as_secs_f64(),
        accepted,
        drain: total.saturating_sub(sending),
    })
}

struct Latency {
    sent: u64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    ack_p50: Duration,
    ack_p99: Duration,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1).min(sorted.len() - 1)]
}

/// One event per request at a fixed rate (open loop: the schedule does not
/// wait for answers), measuring ingest -> WebSocket for each.
async fn latency(s: &mut Setup, rate: u64, secs: u64, seq_base: u64) -> anyhow::Result<Latency> {
    while s.pushed.try_recv().is_ok() {}
    let sends: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let acks: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let total = rate * secs;
    let c = client();
    let url = format!("{}/ingest/events", s.base);
    let mut ticker = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut inflight = vec![];
    for n in 0..total {
        ticker.tick().await;
        let seq = seq_base + n;
        let (device, event_type, key) = s.keys[(n as usize) % s.keys.len()].clone();
        let (c, url, sends, acks) = (c.clone(), url.clone(), sends.clone(), acks.clone());
        inflight.push(tokio::spawn(async move {
            let at = Instant::now();
            sends.lock().await.insert(seq, at);
            if let Ok(r) = c.post(&url).header("x-device-key", &key).json(&event(device, event_type, seq)).send().await
                && r.status() == 202
            {
                acks.lock().await.push(at.elapsed());
            }
        }));
    }
    for t in inflight {
        let _ = t.await;
    }
    let mut lat = Vec::with_capacity(total as usize);
    let deadline = Instant::now() + Duration::from_secs(30);
    while (lat.len() as u64) < total {
        match tokio::time::timeout_at(deadline.into(), s.pushed.recv()).await {
            Ok(Some((seq, at))) => {
                if let Some(sent) = sends.lock().await.get(&seq) {
                    lat.push(at - *sent);
                }
            }
            _ => bail!("only {} of {total} events reached the WebSocket", lat.len()),
        }
    }
    lat.sort();
    let mut acks = acks.lock().await.clone();
    acks.sort();
    Ok(Latency {
        sent: total,
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
        max: *lat.last().unwrap_or(&Duration::ZERO),
        ack_p50: percentile(&acks, 0.50),
        ack_p99: percentile(&acks, 0.99),
    })
}

/// What the security response has decided so far (every outcome).
async fn decided(base: &str) -> u64 {
    let mut text = String::new();
    if let Ok(r) = client().get(format!("{base}/metrics")).send().await {
        text = r.text().await.unwrap_or_default();
    }
    text.lines()
        .filter(|l| l.starts_with("security_decisions_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Security-relevant events (motion, a door, a camera's person: each one
/// the security response decides on) at a fixed rate, one per request,
/// measuring from the request's start to the decision recorded (its
/// `recorded_at`, the host's wall clock, which is this machine's).
async fn decisions(s: &Setup, rate: u64, secs: u64, seq_base: u64) -> anyhow::Result<Latency> {
    let relevant: Vec<_> = s
        .keys
        .iter()
        .filter(|(_, t, _)| ["motion_detected", "door_open", "person_detected"].contains(t))
        .cloned()
        .collect();
    let before = decided(&s.base).await;
    let sends: Arc<Mutex<HashMap<String, std::time::SystemTime>>> = Arc::default();
    let acks: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let total = rate * secs;
    let c = client();
    let url = format!("{}/ingest/events", s.base);
    let mut ticker = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut inflight = vec![];
    for n in 0..total {
        ticker.tick().await;
        let (device, event_type, key) = relevant[(n as usize) % relevant.len()].clone();
        let (c, url, sends, acks) = (c.clone(), url.clone(), sends.clone(), acks.clone());
        inflight.push(tokio::spawn(async move {
            let id = uuid::Uuid::new_v4().to_string();
            let mut body = event(device, event_type, seq_base + n);
            body["event_id"] = json!(id);
            let at = Instant::now();
            sends.lock().await.insert(id, std::time::SystemTime::now());
            if let Ok(r) = c.post(&url).header("x-device-key", &key).json(&body).send().await
                && r.status() == 202
            {
                acks.lock().await.push(at.elapsed());
            }
        }));
    }
    for t in inflight {
        let _ = t.await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while decided(&s.base).await < before + total {
        if Instant::now() > deadline {
            bail!("only {} of {total} events were decided on", decided(&s.base).await - before);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sends = sends.lock().await;
    let mut lat = Vec::with_capacity(total as usize);
    let mut cursor: Option<String> = None;
    while (lat.len() as u64) < total {
        let mut url = format!("{}/security/decisions?limit=200", s.base);
        if let Some(b) = &cursor {
            url.push_str(&format!("&before={}", b.replace('+', "%2B")));
        }
        let page: Value = c.get(url).bearer_auth(&s.token).send().await?.json().await?;
        let list = page["decisions"].as_array().context("decisions")?;
        for d in list {
            let (Some(id), Some(at)) = (d["event_id"].as_str(), d["recorded_at"].as_str()) else { continue };
            if let Some(sent) = sends.get(id) {
                let recorded = std::time::SystemTime::from(chrono::DateTime::parse_from_rfc3339(at)?);
                lat.push(recorded.duration_since(*sent).unwrap_or_default());
            }
        }
        match page["next_before"].as_str() {
            Some(b) => cursor = Some(b.to_owned()),
            None => break,
        }
    }
    lat.sort();
    let mut acks = acks.lock().await.clone();
    acks.sort();
    Ok(Latency {
        sent: lat.len() as u64,
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
        max: *lat.last().unwrap_or(&Duration::ZERO),
        ack_p50: percentile(&acks, 0.50),
        ack_p99: percentile(&acks, 0.99),
    })
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let host = start_host(&args.host_bin, &args.host_log, None, &args.host_env)?;
    let run = |phase: &str| args.phases.iter().any(|p| p == phase);
    let mut s = setup(&host, &args.drain_consumer).await?;
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!(
        "HomeGuard pipeline benchmark: {cpus} CPUs, {}s per phase, {} connections",
        args.seconds, args.concurrency
    );

    let mut bare = f64::NAN;
    if run("baseline") {
        bare = baseline(&s.base, args.concurrency, args.seconds).await;
        println!("baseline   GET /health/liveness             {bare:>10.0} req/s");
    }
    if run("single") {
        let single = throughput(&mut s, args.concurrency, 1, args.seconds, 0).await?;
        println!(
            "single     1 event/request   ingest {:>8.0} ev/s ({:.0} req/s, {:.2} of baseline)  end to end {:>8.0} ev/s  ({} events, drained in {})",
            single.accepted_per_sec,
            single.requests_per_sec,
            single.requests_per_sec / bare,
            single.end_to_end_per_sec,
            single.accepted,
            ms(single.drain)
        );
    }
    if run("batched") {
        let batched = throughput(&mut s, args.concurrency, args.batch, args.seconds, 100_000_000).await?;
        println!(
            "batched    {} events/request  ingest {:>8.0} ev/s ({:.0} req/s)  end to end {:>8.0} ev/s  ({} events, drained in {})",
            args.batch,
            batched.accepted_per_sec,
            batched.requests_per_sec,
            batched.end_to_end_per_sec,
            batched.accepted,
            ms(batched.drain)
        );
    }
    if run("latency") {
        let l = latency(&mut s, args.rate, args.seconds, 200_000_000).await?;
        println!(
            "latency    {} ev/s paced, {} events: ingest -> WebSocket p50 {} p99 {} max {}; HTTP 202 p50 {} p99 {}",
            args.rate,
            l.sent,
            ms(l.p50),
            ms(l.p99),
            ms(l.max),
            ms(l.ack_p50),
            ms(l.ack_p99)
        );
    }
    if run("decisions") {
        let l = decisions(&s, args.rate, args.seconds, 300_000_000).await?;
        println!(
            "decisions  {} ev/s paced, {} events: ingest -> decision recorded p50 {} p99 {} max {}; HTTP 202 p50 {} p99 {}",
            args.rate,
            l.sent,
            ms(l.p50),
            ms(l.p99),
            ms(l.max),
            ms(l.ack_p50),
            ms(l.ack_p99)
        );
    }
    if run("simulator") {
        drop(s);
        drop(host);
        simulator(&args).await?;
    }
    Ok(())
}
