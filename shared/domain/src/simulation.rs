//! The device simulator's ground truth: which anomalies it injected, when,
//! into which device's events. Kept apart from the events themselves, so
//! that a detector scored against these labels never sees them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The kinds of anomaly the simulator injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// The battery falls far faster than it should.
    BatteryDrain,
    /// The device stops reporting (no events, no heartbeats) for a while.
    Offline,
    /// Activity at an hour the home is normally quiet.
    OddHourActivity,
    /// A thermostat reads far outside its usual band.
    TemperatureSpike,
    /// A burst of motion far denser than the home's pattern.
    MotionBurst,
}

impl AnomalyKind {
    pub const ALL: [AnomalyKind; 5] =
        [Self::BatteryDrain, Self::Offline, Self::OddHourActivity, Self::TemperatureSpike, Self::MotionBurst];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BatteryDrain => "battery_drain",
            Self::Offline => "offline",
            Self::OddHourActivity => "odd_hour_activity",
            Self::TemperatureSpike => "temperature_spike",
            Self::MotionBurst => "motion_burst",
        }
    }
}

/// One injected anomaly: its kind, the device, the time span and the events
/// it consists of (none for `Offline`, which is an absence).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyLabel {
    pub id: Uuid,
    pub kind: AnomalyKind,
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub event_ids: Vec<Uuid>,
}
