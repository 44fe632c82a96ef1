//! The simulator's configuration: the `simulator:` block of the
//! requirements, read from a YAML file, with the requirements' values as
//! defaults.

use std::path::Path;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// How busy motion sensors are at their peak hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Low,
    Medium,
    High,
}

impl Frequency {
    /// How much likelier motion is at a peak hour than at another waking hour.
    pub fn peak_factor(self) -> f64 {
        match self {
            Self::Low => 1.5,
            Self::Medium => 3.0,
            Self::High => 5.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MotionPattern {
    #[serde(default = "default_motion_peaks")]
    pub peak_hours: Vec<u32>,
    #[serde(default = "default_frequency")]
    pub frequency: Frequency,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermostatPattern {
    #[serde(default = "default_min_temp")]
    pub min_temp: f64,
    #[serde(default = "default_max_temp")]
    pub max_temp: f64,
    #[serde(default = "default_cycle")]
    pub cycle_minutes: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockPattern {
    /// Morning and evening peaks of locking and unlocking.
    #[serde(default = "default_lock_peaks")]
    pub peak_hours: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patterns {
    #[serde(default = "default_motion")]
    pub motion: MotionPattern,
    #[serde(default = "default_thermostat")]
    pub thermostat: ThermostatPattern,
    #[serde(default = "default_locks")]
    pub locks: LockPattern,
}

/// The `simulator:` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorConfig {
    /// Device events per second across all simulated devices at the busiest
    /// hour; quieter hours get proportionally fewer (heartbeats come on top).
    #[serde(default = "default_rate")]
    pub event_rate: f64,
    /// Whose homes are simulated, and with how many devices; a home with
    /// fewer gets simulated devices added.
    #[serde(default = "default_devices")]
    pub devices_per_user: IndexMap<String, usize>,
    /// The chance that a generated event starts an anomaly instead.
    #[serde(default = "default_anomaly_rate")]
    pub anomaly_rate: f64,
    #[serde(default = "default_heartbeat")]
    pub heartbeat_seconds: f64,
    #[serde(default = "default_patterns")]
    pub patterns: Patterns,
    /// Fixes the random sequence (reproducible runs).
    #[serde(default)]
    pub seed: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct File {
    simulator: SimulatorConfig,
}

fn default_motion_peaks() -> Vec<u32> {
    vec![8, 9, 17, 18, 19, 20]
}
fn default_lock_peaks() -> Vec<u32> {
    vec![7, 8, 17, 18]
}
fn default_frequency() -> Frequency {
    Frequency::High
}
fn default_min_temp() -> f64 {
    68.0
}
fn default_max_temp() -> f64 {
    76.0
}
fn default_cycle() -> f64 {
    30.0
}
fn default_rate() -> f64 {
    10.0
}
fn default_anomaly_rate() -> f64 {
    0.01
}
fn default_heartbeat() -> f64 {
    30.0
}
fn default_devices() -> IndexMap<String, usize> {
    IndexMap::from([("john@demo.com".into(), 5), ("sarah@demo.com".into(), 12)])
}
fn default_motion() -> MotionPattern {
    MotionPattern { peak_hours: default_motion_peaks(), frequency: default_frequency() }
}
fn default_thermostat() -> ThermostatPattern {
    ThermostatPattern { min_temp: default_min_temp(), max_temp: default_max_temp(), cycle_minutes: default_cycle() }
}
fn default_locks() -> LockPattern {
    LockPattern { peak_hours: default_lock_peaks() }
}
fn default_patterns() -> Patterns {
    Patterns { motion: default_motion(), thermostat: default_thermostat(), locks: default_locks() }
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            event_rate: default_rate(),
            devices_per_user: default_devices(),
            anomaly_rate: default_anomaly_rate(),
            heartbeat_seconds: default_heartbeat(),
            patterns: default_patterns(),
            seed: None,
        }
    }
}

/// The most events a second the simulator may be asked for.
pub const MAX_EVENT_RATE: f64 = 100_000.0;
/// The most devices one simulated home may have (a home's limit).
pub const MAX_DEVICES_PER_USER: usize = homeguard_usecases::devices::MAX_DEVICES_PER_HOME;

impl SimulatorConfig {
    /// Reads the `simulator:` block of a YAML file.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_yaml(&path.display().to_string(), &text)
    }

    pub fn from_yaml(name: &str, text: &str) -> Result<Self, String> {
        let file: File = serde_saphyr::from_str(text).map_err(|e| {
            let at = e.location().map(|l| format!("{}:{}", l.line(), l.column())).unwrap_or_else(|| "1:1".into());
            format!("{name}:{at}: {}", e.without_snippet())
        })?;
        file.simulator.validate().map_err(|e| format!("{name}: simulator.{e}"))?;
        Ok(file.simulator)
    }

    pub fn validate(&self) -> Result<(), String> {
        if !(self.event_rate.is_finite() && (0.0..=MAX_EVENT_RATE).contains(&self.event_rate)) {
            return Err(format!("event_rate must be from 0 to {MAX_EVENT_RATE}"));
        }
        if !(0.0..=1.0).contains(&self.anomaly_rate) {
            return Err("anomaly_rate must be from 0 to 1".into());
        }
        if !(self.heartbeat_seconds.is_finite() && self.heartbeat_seconds >= 1.0) {
            return Err("heartbeat_seconds must be at least 1".into());
        }
        for (email, n) in &self.devices_per_user {
            if *n > MAX_DEVICES_PER_USER {
                return Err(format!("devices_per_user.{email} may be at most {MAX_DEVICES_PER_USER}"));
            }
        }
        let hours = self.patterns.motion.peak_hours.iter().chain(&self.patterns.locks.peak_hours);
        if let Some(h) = hours.into_iter().find(|h| **h > 23) {
            return Err(format!("patterns: peak hour {h} is not an hour of the day (0-23)"));
        }
        let t = &self.patterns.thermostat;
        if !(t.min_temp.is_finite() && t.max_temp.is_finite() && t.min_temp <= t.max_temp) {
            return Err("patterns.thermostat: min_temp must be at most max_temp".into());
        }
        if !(-40.0..=150.0).contains(&t.min_temp) || !(-40.0..=150.0).contains(&t.max_temp) {
            return Err("patterns.thermostat: temperatures must be from -40 to 150".into());
        }
        if !(t.cycle_minutes.is_finite() && t.cycle_minutes >= 1.0) {
            return Err("patterns.thermostat.cycle_minutes must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_requirements_block_reads_as_is() {
        let yaml = "simulator:
  event_rate: 10 # events per second across all devices
  devices_per_user:
    john@demo.com: 5
    sarah@demo.com: 12
  anomaly_rate: 0.01
  patterns:
    motion:
      peak_hours: [8, 9, 17, 18, 19, 20]
      frequency: high
    thermostat:
      min_temp: 68
      max_temp: 76
      cycle_minutes: 30
";
        let c = SimulatorConfig::from_yaml("sim.yaml", yaml).unwrap();
        assert_eq!(c, SimulatorConfig::default());
    }

    #[test]
    fn mistakes_are_named() {
        let e = SimulatorConfig::from_yaml("sim.yaml", "simulator:\n  event_rat: 10\n").unwrap_err();
        assert!(e.starts_with("sim.yaml:2:") && e.contains("event_rat"), "{e}");
        let e = SimulatorConfig::from_yaml("sim.yaml", "simulator:\n  event_rate: -1\n").unwrap_err();
        assert!(e.contains("event_rate must be"), "{e}");
        let e =
            SimulatorConfig::from_yaml("sim.yaml", "simulator:\n  patterns:\n    motion:\n      peak_hours: [25]\n")
                .unwrap_err();
        assert!(e.contains("peak hour 25"), "{e}");
    }
}
