//! The device simulator (the requirements' Device Simulator): makes the
//! configured homes feel alive. Motion that peaks at the configured hours,
//! thermostats cycling between their bounds, locks and doors busiest in the
//! morning and evening, a heartbeat per device every 30 s, and now and then
//! an anomaly (battery drain, a device going silent, activity at an odd
//! hour, a temperature spike, a burst of motion) whose ground truth goes to
//! the label store, never into the events.
//!
//! Its events go through ingest like any device's, marked
//! `metadata.is_simulated`. Timestamps and hours follow the home's clock
//! (simulated time in demos); the rate and the heartbeat cadence follow
//! real time, so a fast demo clock does not flood the pipeline.

pub mod config;
pub mod generator;

use std::sync::Arc;
use std::time::Duration;

use homeguard_domain::{DeviceDraft, DeviceType, Location};
use homeguard_runtime::{Caller, Ctx, FnError};
use homeguard_usecases::ingest::{self, IncomingEvent, IncomingHeartbeat, Poster, Report};
use prometheus::IntCounterVec;
use uuid::Uuid;

pub use config::SimulatorConfig;
pub use generator::{Generator, Output, SimDevice};

pub const SERVICE: &str = "device-simulator";

/// How often the simulator produces.
pub const TICK: Duration = Duration::from_millis(100);
/// How often it looks for devices added to or removed from the homes.
pub const REFRESH: Duration = Duration::from_secs(30);

/// Devices the simulator must leave alone (those a scenario is driving).
pub type Hold = Arc<dyn Fn(Uuid) -> bool + Send + Sync>;

/// The device types added, in turn, to a home that has fewer devices than configured.
const MIX: [DeviceType; 8] = [
    DeviceType::Motion,
    DeviceType::Door,
    DeviceType::Lock,
    DeviceType::Thermostat,
    DeviceType::Camera,
    DeviceType::Motion,
    DeviceType::GlassBreak,
    DeviceType::Smoke,
];

/// The devices to simulate: for each configured user, that many of their
/// devices, after adding simulated ones where the home has too few.
pub async fn homes(ctx: &Ctx, cfg: &SimulatorConfig) -> Result<Vec<SimDevice>, FnError> {
    let mut out = vec![];
    for (email, want) in &cfg.devices_per_user {
        let Some((user, _)) = ctx.users.find_by_email(email).await? else {
            tracing::warn!(email = %email, "the simulator's configuration names a user that does not exist");
            continue;
        };
        let mut devices = ctx.devices.list_for_user(user.id).await?;
        for k in devices.len()..*want {
            let device_type = MIX[k % MIX.len()];
            let name = format!("Simulated {} {}", device_type.as_str().replace('_', " "), k + 1);
            let draft = DeviceDraft {
                name: name.clone(),
                device_type: device_type.as_str().into(),
                model: "HomeGuard Simulated Device".into(),
                firmware_version: Some("1.0.0".into()),
                location: Location { zone: format!("Zone {}", k % 6 + 1), floor: 1 },
                config: None,
                user_id: Some(user.id),
            };
            match homeguard_usecases::devices::create(ctx, &Caller::system(), draft).await {
                Ok(created) => devices.push(created.view.device),
                // The home is full: simulate what it has.
                Err(e) if e.code == homeguard_domain::ErrorCode::ValidationError => {
                    tracing::warn!(email = %email, error = %e.message, "no more simulated devices fit this home");
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        devices.sort_by_key(|d| d.created_at);
        out.extend(devices.into_iter().take(*want).map(|d| SimDevice {
            device_id: d.device_id,
            user_id: d.user_id,
            device_type: d.device_type,
            zone: d.location.zone,
        }));
    }
    Ok(out)
}

struct Metrics {
    produced: IntCounterVec,
    anomalies: IntCounterVec,
    target: prometheus::Gauge,
}

impl Metrics {
    fn new(ctx: &Ctx) -> Self {
        let produced = IntCounterVec::new(
            prometheus::Opts::new("simulator_messages_total", "What the simulator produced, by kind and outcome"),
            &["kind", "outcome"],
        )
        .expect("valid metric");
        let anomalies = IntCounterVec::new(
            prometheus::Opts::new("simulator_anomalies_total", "Anomalies the simulator injected"),
            &["kind"],
        )
        .expect("valid metric");
        let target = prometheus::Gauge::new(
            "simulator_target_events_per_second",
            "The event rate the simulator aims at this hour (the configured rate is the day's average)",
        )
        .expect("valid metric");
        let _ = ctx.metrics.registry().register(Box::new(produced.clone()));
        let _ = ctx.metrics.registry().register(Box::new(anomalies.clone()));
        let _ = ctx.metrics.registry().register(Box::new(target.clone()));
        Self { produced, anomalies, target }
    }
}

/// Sends one tick's output through ingest and records its labels.
async fn send(ctx: &Ctx, out: Output, hold: &Hold, m: &Metrics) -> Result<(), FnError> {
    let poster = Poster::System(SERVICE);
    let events: Vec<_> = out.events.into_iter().filter(|e| !hold(e.device_id)).collect();
    let count = |kind: &str, r: &Report| {
        m.produced.with_label_values(&[kind, "accepted"]).inc_by(r.accepted() as u64);
        m.produced.with_label_values(&[kind, "rejected"]).inc_by(r.rejected() as u64);
    };
    for chunk in events.chunks(ingest::MAX_BATCH) {
        let items = chunk.iter().map(|e| Ok(IncomingEvent::from(e.clone()))).collect();
        let r = ingest::post_events(ctx, &poster, items).await?;
        count("event", &r);
        if let Some(first) = r.first_error() {
            tracing::warn!(rejected = r.rejected(), error = %first, "ingest refused simulated events");
        }
    }
    let beats: Vec<_> = out
        .heartbeats
        .iter()
        .filter(|h| !hold(h.device_id))
        .map(|h| IncomingHeartbeat {
            device_id: h.device_id,
            timestamp: Some(h.timestamp),
            battery: h.battery,
            signal_strength: h.signal_strength,
            firmware_version: None,
        })
        .collect();
    for chunk in beats.chunks(ingest::MAX_BATCH) {
        let r = ingest::post_heartbeats(ctx, &poster, chunk.iter().cloned().map(Ok).collect()).await?;
        count("heartbeat", &r);
    }
    for label in out.labels.iter().filter(|l| !hold(l.device_id)) {
        ctx.labels.record(label).await?;
        m.anomalies.with_label_values(&[label.kind.as_str()]).inc();
    }
    Ok(())
}

/// Runs until `shutdown` resolves.
pub async fn run(ctx: Arc<Ctx>, cfg: SimulatorConfig, hold: Hold, shutdown: impl std::future::Future<Output = ()>) {
    let metrics = Metrics::new(&ctx);
    let mut generator = Generator::new(cfg);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut refresh_at = tokio::time::Instant::now();
    let mut last = tokio::time::Instant::now();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(event_rate = generator.config().event_rate, "device simulator started");
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = ticker.tick() => {}
        }
        if tokio::time::Instant::now() >= refresh_at {
            match homes(&ctx, generator.config()).await {
                Ok(devices) => generator.set_devices(devices),
                Err(e) => tracing::warn!(error = %e.message, "the simulator could not list its devices"),
            }
            refresh_at = tokio::time::Instant::now() + REFRESH;
        }
        let now = tokio::time::Instant::now();
        // After a stall, produce at most a second's worth at once.
        let real = now.duration_since(last).as_secs_f64().min(1.0);
        last = now;
        let now = ctx.clock.now();
        metrics.target.set(generator.rate_at(chrono::Timelike::hour(&now)));
        let out = generator.tick(now, real);
        if let Err(e) = send(&ctx, out, &hold, &metrics).await {
            tracing::warn!(error = %e.message, "simulated events were not accepted; the devices move on");
        }
    }
    tracing::info!("device simulator stopped");
}
