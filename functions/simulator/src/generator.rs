//! The pure part of the simulator: given the devices, the configuration and
//! the passing of time, which events, heartbeats and anomalies happen. No
//! I/O and a seeded random source, so the patterns are tested directly.

use std::f64::consts::PI;

use chrono::{DateTime, Duration, SubsecRound, Timelike, Utc};
use homeguard_domain::{AnomalyKind, AnomalyLabel, DeviceType, Event, EventType, Heartbeat};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::config::SimulatorConfig;

/// One simulated device.
#[derive(Debug, Clone, PartialEq)]
pub struct SimDevice {
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub device_type: DeviceType,
    pub zone: String,
}

#[derive(Debug, Clone)]
struct Live {
    dev: SimDevice,
    battery: f64,
    on: bool,
    /// Real seconds (of the simulator's own running time) of the next heartbeat.
    next_heartbeat: f64,
    /// Silent until this simulated time (an `Offline` anomaly).
    offline_until: Option<DateTime<Utc>>,
}

/// What one tick produced.
#[derive(Debug, Default)]
pub struct Output {
    pub events: Vec<Event>,
    pub heartbeats: Vec<Heartbeat>,
    /// Ground truth of anomalies started in this tick; kept apart from the events.
    pub labels: Vec<AnomalyLabel>,
}

/// The simulator's state over its devices.
#[derive(Debug)]
pub struct Generator {
    cfg: SimulatorConfig,
    devices: Vec<Live>,
    rng: StdRng,
    budget: f64,
    running: f64,
    last: Option<DateTime<Utc>>,
}

fn payload(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl Generator {
    pub fn new(cfg: SimulatorConfig) -> Self {
        let rng = match cfg.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        Self { cfg, devices: vec![], rng, budget: 0.0, running: 0.0, last: None }
    }

    pub fn config(&self) -> &SimulatorConfig {
        &self.cfg
    }

    pub fn device_count(&self) -> usize {
        self.devices.len()
    }

    /// Replaces the device list, keeping what is known of devices that stay.
    pub fn set_devices(&mut self, devices: Vec<SimDevice>) {
        let period = self.cfg.heartbeat_seconds;
        let mut next = Vec::with_capacity(devices.len());
        for dev in devices {
            match self.devices.iter().position(|l| l.dev.device_id == dev.device_id) {
                Some(i) => next.push(self.devices.swap_remove(i)),
                None => {
                    // Spread the first heartbeats over one period.
                    let first = self.running + self.rng.random::<f64>() * period;
                    let battery = 60.0 + self.rng.random::<f64>() * 40.0;
                    next.push(Live { dev, battery, on: false, next_heartbeat: first, offline_until: None });
                }
            }
        }
        self.devices = next;
    }

    /// How likely a device of this type is to be the next to report, at this hour.
    fn weight(&self, device_type: DeviceType, hour: u32) -> f64 {
        let p = &self.cfg.patterns;
        let night = hour < 6;
        match device_type {
            DeviceType::Motion => {
                let base = if night { 0.15 } else { 1.0 };
                if p.motion.peak_hours.contains(&hour) { base * p.motion.frequency.peak_factor() } else { base }
            }
            DeviceType::Lock | DeviceType::Door => {
                let base = if night { 0.05 } else { 0.4 };
                if p.locks.peak_hours.contains(&hour) { base * 6.0 } else { base }
            }
            DeviceType::Thermostat => 0.6,
            DeviceType::Camera => {
                if night {
                    0.1
                } else {
                    0.5
                }
            }
            DeviceType::GlassBreak | DeviceType::Smoke => 0.02,
        }
    }

    /// How busy the home is at this hour: the sum of its devices' weights.
    fn activity(&self, hour: u32) -> f64 {
        self.devices.iter().map(|d| self.weight(d.dev.device_type, hour)).sum()
    }

    /// Events a second at this hour: the configured rate at the home's
    /// busiest hour, proportionally less at quieter ones (never more).
    pub fn rate_at(&self, hour: u32) -> f64 {
        let peak = (0..24).map(|h| self.activity(h)).fold(0.0, f64::max);
        if peak <= 0.0 { self.cfg.event_rate } else { self.cfg.event_rate * self.activity(hour) / peak }
    }

    /// The thermostat's reading on its cycle between the configured bounds.
    pub fn cycle_temperature(&self, at: DateTime<Utc>) -> f64 {
        let t = &self.cfg.patterns.thermostat;
        let minutes = at.timestamp() as f64 / 60.0;
        let phase = (minutes % t.cycle_minutes) / t.cycle_minutes;
        t.min_temp + (t.max_temp - t.min_temp) * (1.0 - (2.0 * PI * phase).cos()) / 2.0
    }

    /// Advances by `real` seconds of running time, at simulated time `now`.
    pub fn tick(&mut self, now: DateTime<Utc>, real: f64) -> Output {
        let now = now.trunc_subsecs(3);
        let since = self.last.filter(|l| *l < now).unwrap_or(now);
        self.last = Some(now);
        self.running += real.max(0.0);
        let mut out = Output::default();
        for d in &mut self.devices {
            if d.offline_until.is_some_and(|t| t <= now) {
                d.offline_until = None;
            }
        }
        self.heartbeats(now, &mut out);
        self.budget += self.rate_at(now.hour()) * real.max(0.0);
        let n = self.budget.floor();
        self.budget -= n;
        let hour = now.hour();
        let weights: Vec<f64> = self
            .devices
            .iter()
            .map(|d| if d.offline_until.is_some() { 0.0 } else { self.weight(d.dev.device_type, hour) })
            .collect();
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return out;
        }
        for k in 0..n as u64 {
            // Spread over the (simulated) time since the last tick, ending now.
            let at = (since + (now - since) * (k as i32 + 1) / n as i32).trunc_subsecs(3);
            let mut pick = self.rng.random::<f64>() * total;
            let mut i = 0;
            while i + 1 < weights.len() && pick >= weights[i] {
                pick -= weights[i];
                i += 1;
            }
            if self.rng.random::<f64>() < self.cfg.anomaly_rate {
                self.anomaly(i, at, &mut out);
            } else {
                let (event_type, body) = self.routine(i, at);
                let e = self.event(i, event_type, body, at);
                out.events.push(e);
            }
        }
        out
    }

    fn heartbeats(&mut self, now: DateTime<Utc>, out: &mut Output) {
        let period = self.cfg.heartbeat_seconds;
        for d in &mut self.devices {
            if self.running < d.next_heartbeat {
                continue;
            }
            // Behind by more than a period (a stall): resume the cadence from now.
            d.next_heartbeat = if self.running - d.next_heartbeat > period {
                self.running + period
            } else {
                d.next_heartbeat + period
            };
            if d.offline_until.is_some() {
                continue;
            }
            if d.dev.device_type.battery_powered() {
                d.battery = (d.battery - 0.001).max(1.0);
            }
            out.heartbeats.push(Heartbeat {
                heartbeat_id: Uuid::now_v7(),
                device_id: d.dev.device_id,
                user_id: d.dev.user_id,
                timestamp: now,
                battery: d.dev.device_type.battery_powered().then_some((d.battery * 10.0).round() / 10.0),
                signal_strength: Some(-45 - (d.dev.device_id.as_bytes()[0] % 30) as i32),
                firmware_version: None,
            });
        }
    }

    fn event(&self, i: usize, event_type: EventType, payload: Map<String, Value>, at: DateTime<Utc>) -> Event {
        let d = &self.devices[i].dev;
        Event {
            event_id: Uuid::now_v7(),
            device_id: d.device_id,
            user_id: d.user_id,
            event_type,
            payload,
            timestamp: at,
            metadata: payload_meta(),
        }
    }

    /// A device's everyday behaviour.
    fn routine(&mut self, i: usize, at: DateTime<Utc>) -> (EventType, Map<String, Value>) {
        let temperature = self.cycle_temperature(at);
        let noise = self.rng.random::<f64>() - 0.5;
        let roll = self.rng.random::<f64>();
        let d = &mut self.devices[i];
        let zone = d.dev.zone.to_lowercase().replace(' ', "_");
        d.on = !d.on;
        let on = d.on;
        match d.dev.device_type {
            DeviceType::Motion => {
                if on {
                    let signature = if roll < 0.85 { "human" } else { "pet" };
                    (
                        EventType::MotionDetected,
                        payload(json!({ "zone": zone, "confidence": 0.7 + roll * 0.29, "signature": signature })),
                    )
                } else {
                    (EventType::MotionStopped, payload(json!({ "zone": zone })))
                }
            }
            DeviceType::Lock => {
                let method = if roll < 0.5 {
                    "keypad"
                } else if roll < 0.8 {
                    "app"
                } else {
                    "auto"
                };
                let t = if on { EventType::Unlocked } else { EventType::Locked };
                (t, payload(json!({ "method": method, "battery": (d.battery * 10.0).round() / 10.0 })))
            }
            DeviceType::Door => {
                (if on { EventType::DoorOpen } else { EventType::DoorClosed }, payload(json!({ "zone": zone })))
            }
            DeviceType::Thermostat => {
                if roll < 0.85 {
                    let t = ((temperature + noise * 0.4) * 10.0).round() / 10.0;
                    (EventType::TemperatureReading, payload(json!({ "temperature": t, "unit": "F" })))
                } else {
                    (EventType::HumidityReading, payload(json!({ "humidity": (38.0 + roll * 10.0).round() })))
                }
            }
            DeviceType::Camera => match (on, roll) {
                (true, r) if r < 0.5 => {
                    (EventType::MotionDetected, payload(json!({ "zone": zone, "confidence": 0.8 })))
                }
                (true, r) if r < 0.8 => {
                    (EventType::PersonDetected, payload(json!({ "zone": zone, "confidence": 0.75 + r * 0.2 })))
                }
                (true, _) => (EventType::VehicleDetected, payload(json!({ "zone": zone, "confidence": 0.8 }))),
                (false, _) => (EventType::MotionStopped, payload(json!({ "zone": zone }))),
            },
            DeviceType::GlassBreak => {
                (if on { EventType::Disarmed } else { EventType::Armed }, payload(json!({ "method": "schedule" })))
            }
            DeviceType::Smoke => (EventType::SelfTest, payload(json!({ "result": "pass" }))),
        }
    }

    /// Starts an anomaly on device `i` (or a fitting one), recording its label.
    fn anomaly(&mut self, i: usize, at: DateTime<Utc>, out: &mut Output) {
        let hour = at.hour();
        let t = self.devices[i].dev.device_type;
        // At most a tenth of the devices (at least one) are silent at once,
        // so that a high event rate cannot switch a whole home off.
        let silent = self.devices.iter().filter(|d| d.offline_until.is_some()).count();
        let may_go_offline = silent < (self.devices.len() / 10).max(1);
        let kind = match t {
            DeviceType::Thermostat if self.rng.random::<f64>() < 0.5 => AnomalyKind::TemperatureSpike,
            DeviceType::Motion if self.rng.random::<f64>() < 0.5 => AnomalyKind::MotionBurst,
            DeviceType::Lock | DeviceType::Door if (1..5).contains(&hour) => AnomalyKind::OddHourActivity,
            _ if may_go_offline && self.rng.random::<f64>() < 0.5 => AnomalyKind::Offline,
            _ if t.battery_powered() => AnomalyKind::BatteryDrain,
            DeviceType::Thermostat => AnomalyKind::TemperatureSpike,
            _ => AnomalyKind::MotionBurst,
        };
        let mut label = AnomalyLabel {
            id: Uuid::new_v4(),
            kind,
            device_id: self.devices[i].dev.device_id,
            user_id: self.devices[i].dev.user_id,
            started_at: at,
            ended_at: at,
            event_ids: vec![],
        };
        let push = |g: &Generator, out: &mut Output, label: &mut AnomalyLabel, t: EventType, p: Value, at| {
            let e = g.event(i, t, payload(p), at);
            label.event_ids.push(e.event_id);
            out.events.push(e);
        };
        match kind {
            AnomalyKind::BatteryDrain => {
                let d = &mut self.devices[i];
                d.battery = (d.battery * 0.2).clamp(3.0, 15.0).round();
                let level = d.battery;
                push(self, out, &mut label, EventType::BatteryLow, json!({ "battery": level }), at);
            }
            AnomalyKind::Offline => {
                let minutes = 2 + self.rng.random_range(0..4);
                let until = at + Duration::minutes(minutes);
                self.devices[i].offline_until = Some(until);
                label.ended_at = until;
            }
            AnomalyKind::OddHourActivity => {
                let (first, second) = if t == DeviceType::Lock {
                    (EventType::Unlocked, EventType::Locked)
                } else {
                    (EventType::DoorOpen, EventType::DoorClosed)
                };
                push(self, out, &mut label, first, json!({ "method": "keypad" }), at);
                let later = at + Duration::seconds(40);
                push(self, out, &mut label, second, json!({ "method": "keypad" }), later);
                label.ended_at = later;
            }
            AnomalyKind::TemperatureSpike => {
                let spike = self.cfg.patterns.thermostat.max_temp + 15.0 + self.rng.random::<f64>() * 5.0;
                let spike = (spike.min(150.0) * 10.0).round() / 10.0;
                push(
                    self,
                    out,
                    &mut label,
                    EventType::TemperatureReading,
                    json!({ "temperature": spike, "unit": "F" }),
                    at,
                );
            }
            AnomalyKind::MotionBurst => {
                for k in 0..12 {
                    let when = at + Duration::milliseconds(250 * k);
                    let t = if k % 2 == 0 { EventType::MotionDetected } else { EventType::MotionStopped };
                    push(self, out, &mut label, t, json!({ "confidence": 0.9 }), when);
                }
                label.ended_at = at + Duration::milliseconds(250 * 11);
            }
        }
        out.labels.push(label);
    }
}

fn payload_meta() -> Map<String, Value> {
    payload(json!({ "is_simulated": true, "source": "device-simulator" }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn home() -> Vec<SimDevice> {
        let user = Uuid::new_v4();
        let types = [
            DeviceType::Lock,
            DeviceType::Motion,
            DeviceType::Motion,
            DeviceType::Thermostat,
            DeviceType::Door,
            DeviceType::Camera,
            DeviceType::Smoke,
            DeviceType::GlassBreak,
        ];
        types
            .iter()
            .map(|t| SimDevice { device_id: Uuid::new_v4(), user_id: user, device_type: *t, zone: "Hallway".into() })
            .collect()
    }

    fn config(rate: f64, anomalies: f64) -> SimulatorConfig {
        SimulatorConfig { event_rate: rate, anomaly_rate: anomalies, seed: Some(7), ..SimulatorConfig::default() }
    }

    type Day = (Vec<Event>, Vec<Heartbeat>, Vec<AnomalyLabel>, Vec<SimDevice>);

    /// Replays one simulated day in one-second ticks.
    fn day(cfg: SimulatorConfig) -> Day {
        day_with(cfg).1
    }

    /// The day, and how many events its hourly rates call for.
    fn day_with(cfg: SimulatorConfig) -> (f64, Day) {
        let devices = home();
        let mut g = Generator::new(cfg);
        g.set_devices(devices.clone());
        let start: DateTime<Utc> = "2026-11-27T00:00:00Z".parse().unwrap();
        let (mut events, mut beats, mut labels) = (vec![], vec![], vec![]);
        for s in 0..86_400 {
            let out = g.tick(start + Duration::seconds(s), 1.0);
            events.extend(out.events);
            beats.extend(out.heartbeats);
            labels.extend(out.labels);
        }
        let expected = (0..24).map(|h| g.rate_at(h) * 3600.0).sum::<f64>();
        (expected, (events, beats, labels, devices))
    }

    #[test]
    fn motion_peaks_at_the_configured_hours_and_locks_at_morning_and_evening() {
        let cfg = config(0.5, 0.0);
        let peaks = cfg.patterns.motion.peak_hours.clone();
        let (expected, (events, ..)) = day_with(cfg);
        let got = events.len() as f64;
        assert!((got - expected).abs() < 0.01 * expected, "{got} events against {expected:.0} expected");
        assert!(expected < 0.5 * 86_400.0, "0.5 a second at the busiest hour, less at others");
        let mut motion = [0usize; 24];
        let mut locks = [0usize; 24];
        for e in &events {
            match e.event_type {
                EventType::MotionDetected if e.payload.contains_key("signature") => {
                    motion[e.timestamp.hour() as usize] += 1
                }
                EventType::Locked | EventType::Unlocked => locks[e.timestamp.hour() as usize] += 1,
                _ => {}
            }
        }
        let mean = |hours: &mut dyn Iterator<Item = usize>, of: &[usize; 24]| {
            let v: Vec<usize> = hours.map(|h| of[h]).collect();
            v.iter().sum::<usize>() as f64 / v.len() as f64
        };
        let peak = mean(&mut peaks.iter().map(|h| *h as usize), &motion);
        let day_off = mean(&mut (6..24).filter(|h| !peaks.contains(&(*h as u32))), &motion);
        let night = mean(&mut (0..6), &motion);
        assert!(peak > 2.5 * day_off, "peak hours {peak:.0}/h against other waking hours {day_off:.0}/h");
        assert!(day_off > 3.0 * night, "waking hours {day_off:.0}/h against night {night:.0}/h");
        let lock_peak = mean(&mut [7usize, 8, 17, 18].into_iter(), &locks);
        let lock_other = mean(&mut [10usize, 11, 12, 13, 14, 15, 21, 22].into_iter(), &locks);
        assert!(lock_peak > 3.0 * lock_other, "locks {lock_peak:.0}/h at peaks against {lock_other:.0}/h");
    }

    #[test]
    fn every_device_beats_every_thirty_seconds() {
        let (_, beats, _, devices) = day(config(0.0, 0.0));
        let mut by_device: HashMap<Uuid, Vec<DateTime<Utc>>> = HashMap::new();
        for b in &beats {
            by_device.entry(b.device_id).or_default().push(b.timestamp);
        }
        assert_eq!(by_device.len(), devices.len());
        for times in by_device.values() {
            assert!((2879..=2881).contains(&times.len()), "{} beats in a day", times.len());
            for w in times.windows(2) {
                assert_eq!((w[1] - w[0]).num_seconds(), 30);
            }
        }
    }

    #[test]
    fn the_busiest_hour_runs_at_the_configured_rate() {
        let mut g = Generator::new(config(100.0, 0.0));
        g.set_devices(home());
        let rates: Vec<f64> = (0..24).map(|h| g.rate_at(h)).collect();
        let max = rates.iter().copied().fold(0.0, f64::max);
        assert!((max - 100.0).abs() < 1e-9, "{rates:?}");
        assert!(rates[3] < 20.0, "nights are quiet: {rates:?}");
    }

    #[test]
    fn a_high_anomaly_rate_never_silences_the_whole_home() {
        let mut g = Generator::new(config(500.0, 1.0));
        g.set_devices(home());
        let t0: DateTime<Utc> = "2026-11-27T12:00:00Z".parse().unwrap();
        let mut produced = 0;
        for s in 0..60 {
            produced += g.tick(t0 + Duration::seconds(s), 1.0).events.len();
            assert!(g.devices.iter().filter(|d| d.offline_until.is_some()).count() <= 1);
        }
        assert!(produced > 10_000, "every tick still produces: {produced}");
    }

    #[test]
    fn thermostat_cycles_between_its_bounds() {
        let g = Generator::new(config(1.0, 0.0));
        let t0: DateTime<Utc> = "2026-11-27T00:00:00Z".parse().unwrap();
        let temps: Vec<f64> = (0..30).map(|m| g.cycle_temperature(t0 + Duration::minutes(m))).collect();
        assert!((temps[0] - 68.0).abs() < 1e-9, "starts at the minimum: {}", temps[0]);
        assert!((temps[15] - 76.0).abs() < 1e-9, "half a cycle later at the maximum: {}", temps[15]);
        assert!(temps.iter().all(|t| (68.0..=76.0).contains(t)));
        assert!((g.cycle_temperature(t0 + Duration::minutes(30)) - 68.0).abs() < 1e-9, "a full cycle later");
    }

    #[test]
    fn anomalies_come_at_the_configured_rate_with_labels_not_in_the_events() {
        let (events, _, labels, _) = day(config(0.5, 0.01));
        let routine = events.len() - labels.iter().map(|l| l.event_ids.len()).sum::<usize>();
        let rate = labels.len() as f64 / (routine + labels.len()) as f64;
        assert!((0.007..0.013).contains(&rate), "anomaly rate {rate:.4}");
        let ids: std::collections::HashSet<Uuid> = events.iter().map(|e| e.event_id).collect();
        for l in &labels {
            assert!(l.event_ids.iter().all(|id| ids.contains(id)), "labels point at real events");
            assert!(l.ended_at >= l.started_at);
        }
        for e in &events {
            assert_eq!(e.metadata["is_simulated"], true);
            assert!(!e.metadata.contains_key("anomaly") && !e.payload.contains_key("anomaly"), "no label leaks");
        }
        let kinds: std::collections::HashSet<AnomalyKind> = labels.iter().map(|l| l.kind).collect();
        assert!(kinds.len() >= 4, "several kinds of anomaly: {kinds:?}");
    }

    #[test]
    fn simulated_events_pass_the_event_rules() {
        let (events, _, _, devices) = day(config(0.2, 0.05));
        let types: HashMap<Uuid, DeviceType> = devices.iter().map(|d| (d.device_id, d.device_type)).collect();
        for e in &events {
            e.validate(types[&e.device_id], e.timestamp).unwrap_or_else(|err| panic!("{e:?}: {err}"));
        }
    }
}
