//! A home's alarm settings: the CP-01 timers, with the ranges a user may
//! set them within (`../shared/ALARM.md`).

use std::collections::BTreeMap;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::ArmMode;
use crate::error::DomainError;

/// Seconds, as the API and the documents carry durations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmSettings {
    /// Exit delay, 45-255 s (default 60).
    pub exit_delay_seconds: u32,
    /// Entry delay, 30-240 s (default 30); per mode where given.
    pub entry_delay_seconds: u32,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub entry_delay_by_mode: BTreeMap<ArmMode, u32>,
    /// Abort window after the entry delay ends, 0-45 s (default 30).
    pub abort_window_seconds: u32,
    /// Siren time, 60-600 s (default 240).
    pub siren_seconds: u32,
    /// Two zones inside this window verify an intrusion, 5-120 s (default 20).
    pub cross_zone_seconds: u32,
    /// Trips of one zone per arming before it is shut down, 1-6 (default 2).
    pub swinger_limit: u32,
}

impl Default for AlarmSettings {
    fn default() -> Self {
        Self {
            exit_delay_seconds: 60,
            entry_delay_seconds: 30,
            entry_delay_by_mode: BTreeMap::new(),
            abort_window_seconds: 30,
            siren_seconds: 240,
            cross_zone_seconds: 20,
            swinger_limit: 2,
        }
    }
}

/// The cancel window: a disarm after the abort window but inside this long
/// after the alarm was sent is followed by a cancel (406).
pub const CANCEL_WINDOW: Duration = Duration::minutes(5);
/// After a restart, nothing is judged as a trigger for this long.
pub const RESTART_SETTLING: Duration = Duration::seconds(60);
/// An alarm this soon after arming is flagged as a recent closing (459).
pub const RECENT_CLOSING: Duration = Duration::minutes(2);
/// Entry delay plus abort window above this draws a warning.
pub const ENTRY_PLUS_ABORT_WARNING: u32 = 60;

fn within(field: &str, value: u32, lo: u32, hi: u32) -> Result<(), DomainError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(DomainError::invalid(field, format!("must be from {lo} to {hi}")))
    }
}

impl AlarmSettings {
    /// Refuses a timer outside its CP-01 range, naming the field.
    pub fn validate(&self) -> Result<(), DomainError> {
        within("exit_delay_seconds", self.exit_delay_seconds, 45, 255)?;
        within("entry_delay_seconds", self.entry_delay_seconds, 30, 240)?;
        for (mode, seconds) in &self.entry_delay_by_mode {
            within(&format!("entry_delay_by_mode.{}", mode.as_str()), *seconds, 30, 240)?;
        }
        within("abort_window_seconds", self.abort_window_seconds, 0, 45)?;
        within("siren_seconds", self.siren_seconds, 60, 600)?;
        within("cross_zone_seconds", self.cross_zone_seconds, 5, 120)?;
        within("swinger_limit", self.swinger_limit, 1, 6)
    }

    /// What a user should hear about settings that are valid but unwise.
    pub fn warnings(&self) -> Vec<String> {
        let worst = ArmMode::ALL.iter().map(|m| self.entry_delay_seconds_for(*m)).max().unwrap_or(0);
        if worst + self.abort_window_seconds > ENTRY_PLUS_ABORT_WARNING {
            vec![format!(
                "entry delay plus abort window is {} s; professional panels keep it at or under {ENTRY_PLUS_ABORT_WARNING} s",
                worst + self.abort_window_seconds
            )]
        } else {
            vec![]
        }
    }

    pub fn exit_delay(&self) -> Duration {
        Duration::seconds(self.exit_delay_seconds.into())
    }

    fn entry_delay_seconds_for(&self, mode: ArmMode) -> u32 {
        self.entry_delay_by_mode.get(&mode).copied().unwrap_or(self.entry_delay_seconds)
    }

    /// The entry delay in `mode`.
    pub fn entry_delay(&self, mode: ArmMode) -> Duration {
        Duration::seconds(self.entry_delay_seconds_for(mode).into())
    }

    pub fn abort_window(&self) -> Duration {
        Duration::seconds(self.abort_window_seconds.into())
    }

    pub fn siren(&self) -> Duration {
        Duration::seconds(self.siren_seconds.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_every_bound_is_enforced() {
        let ok = AlarmSettings::default();
        ok.validate().unwrap();
        assert!(ok.warnings().is_empty(), "30 s + 30 s is the limit, not over it");
        type Case = (&'static str, fn(&mut AlarmSettings, u32), u32, u32);
        let cases: [Case; 6] = [
            ("exit_delay_seconds", |s, v| s.exit_delay_seconds = v, 45, 255),
            ("entry_delay_seconds", |s, v| s.entry_delay_seconds = v, 30, 240),
            ("abort_window_seconds", |s, v| s.abort_window_seconds = v, 0, 45),
            ("siren_seconds", |s, v| s.siren_seconds = v, 60, 600),
            ("cross_zone_seconds", |s, v| s.cross_zone_seconds = v, 5, 120),
            ("swinger_limit", |s, v| s.swinger_limit = v, 1, 6),
        ];
        for (field, set, lo, hi) in cases {
            for (value, valid) in
                [(lo, true), (hi, true), (hi + 1, false)].into_iter().chain((lo > 0).then(|| (lo - 1, false)))
            {
                let mut s = AlarmSettings::default();
                set(&mut s, value);
                match s.validate() {
                    Ok(()) => assert!(valid, "{field} = {value} should be refused"),
                    Err(e) => {
                        assert!(!valid, "{field} = {value} should be allowed");
                        assert_eq!(e.details["field"], field);
                    }
                }
            }
        }
        let mut s = AlarmSettings::default();
        s.entry_delay_by_mode.insert(ArmMode::Night, 20);
        assert_eq!(s.validate().unwrap_err().details["field"], "entry_delay_by_mode.night");
        s.entry_delay_by_mode.insert(ArmMode::Night, 45);
        s.validate().unwrap();
        assert_eq!(s.entry_delay(ArmMode::Night), Duration::seconds(45));
        assert_eq!(s.entry_delay(ArmMode::Away), Duration::seconds(30));
        assert_eq!(s.warnings().len(), 1, "45 s + 30 s is over a minute");
    }
}
