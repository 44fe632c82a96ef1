//! Time, as a port: the system clock in production, a manual clock in tests,
//! the scenario engine's simulated clock in demos.

use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// Where "now" comes from. Everything that reads the time reads it here.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The home's clock: the machine's time, or a simulated time that an admin
/// set for a demo and that may run faster than real time.
///
/// Simulated time only ever moves forward on its own: changing the speed
/// keeps the current reading, so state that refuses to go back in time
/// (device state, event order) stays consistent. Security (token expiry,
/// sessions, throttling) reads [`SimClock::wall`], never simulated time, so
/// no demo setting can revive an expired token.
#[derive(Debug)]
pub struct SimClock {
    base: Arc<dyn Clock>,
    setting: RwLock<Setting>,
}

#[derive(Debug, Clone, Copy)]
struct Setting {
    /// Real time at which the simulated reading was `sim_anchor`.
    real_anchor: DateTime<Utc>,
    sim_anchor: DateTime<Utc>,
    speed: f64,
    simulated: bool,
}

/// What the home's clock reads and how it runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClockReading {
    pub now: DateTime<Utc>,
    pub wall: DateTime<Utc>,
    pub speed: f64,
    pub simulated: bool,
    /// How far the home's time is ahead of the machine's, in seconds.
    pub offset_seconds: f64,
}

/// The fastest a simulated clock may run (a day in five seconds).
pub const MAX_SPEED: f64 = 20_000.0;

impl SimClock {
    pub fn new(base: Arc<dyn Clock>) -> Self {
        let now = base.now();
        Self { base, setting: RwLock::new(Setting { real_anchor: now, sim_anchor: now, speed: 1.0, simulated: false }) }
    }

    /// Over the machine's clock.
    pub fn system() -> Self {
        Self::new(Arc::new(SystemClock))
    }

    /// The home's time (so callers need not import [`Clock`]).
    pub fn now(&self) -> DateTime<Utc> {
        Self::sim_at(&self.read(), self.base.now())
    }

    /// The machine's time, whatever the simulation says.
    pub fn wall(&self) -> DateTime<Utc> {
        self.base.now()
    }

    /// The clock the machine's time comes from.
    pub fn base(&self) -> Arc<dyn Clock> {
        self.base.clone()
    }

    fn read(&self) -> Setting {
        *self.setting.read().unwrap_or_else(|p| p.into_inner())
    }

    fn sim_at(s: &Setting, real: DateTime<Utc>) -> DateTime<Utc> {
        if s.speed == 1.0 {
            return s.sim_anchor + (real - s.real_anchor);
        }
        let elapsed = (real - s.real_anchor).num_microseconds().unwrap_or(i64::MAX) as f64;
        s.sim_anchor + Duration::microseconds((elapsed * s.speed) as i64)
    }

    /// Where the clock stands.
    pub fn reading(&self) -> ClockReading {
        let s = self.read();
        let wall = self.base.now();
        let now = Self::sim_at(&s, wall);
        ClockReading {
            now,
            wall,
            speed: s.speed,
            simulated: s.simulated,
            offset_seconds: (now - wall).num_milliseconds() as f64 / 1000.0,
        }
    }

    /// Sets the home's time (it runs on from there at the current speed).
    pub fn set(&self, to: DateTime<Utc>) {
        let wall = self.base.now();
        let mut s = self.setting.write().unwrap_or_else(|p| p.into_inner());
        s.real_anchor = wall;
        s.sim_anchor = to;
        s.simulated = true;
    }

    /// Changes how fast the home's time runs, from its current reading.
    pub fn set_speed(&self, speed: f64) {
        let speed = if speed.is_finite() { speed.clamp(f64::MIN_POSITIVE, MAX_SPEED) } else { 1.0 };
        let wall = self.base.now();
        let mut s = self.setting.write().unwrap_or_else(|p| p.into_inner());
        let now = Self::sim_at(&s, wall);
        s.real_anchor = wall;
        s.sim_anchor = now;
        s.speed = speed;
        s.simulated = s.simulated || speed != 1.0;
    }

    /// Moves the home's time forward by `by` (never back).
    pub fn advance(&self, by: Duration) {
        if by > Duration::zero() {
            let now = self.now();
            self.set(now + by);
        }
    }

    /// Back to the machine's time at normal speed.
    pub fn reset(&self) {
        let wall = self.base.now();
        *self.setting.write().unwrap_or_else(|p| p.into_inner()) =
            Setting { real_anchor: wall, sim_anchor: wall, speed: 1.0, simulated: false };
    }
}

impl Clock for SimClock {
    fn now(&self) -> DateTime<Utc> {
        SimClock::now(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_clock_follows_its_base_until_set() {
        let start = Utc::now();
        let base = Arc::new(ManualClock::new(start));
        let c = SimClock::new(base.clone());
        assert_eq!(c.now(), start);
        assert!(!c.reading().simulated);
        base.advance(Duration::seconds(10));
        assert_eq!(c.now(), start + Duration::seconds(10));

        let night = start + Duration::hours(5);
        c.set(night);
        assert_eq!(c.now(), night);
        assert_eq!(c.wall(), start + Duration::seconds(10));
        base.advance(Duration::seconds(2));
        assert_eq!(c.now(), night + Duration::seconds(2));

        c.set_speed(60.0);
        assert_eq!(c.now(), night + Duration::seconds(2), "a new speed keeps the reading");
        base.advance(Duration::seconds(1));
        assert_eq!(c.now(), night + Duration::seconds(62));
        c.set_speed(1.0);
        base.advance(Duration::seconds(1));
        assert_eq!(c.now(), night + Duration::seconds(63), "back to normal speed, the lead is kept");
        assert!(c.reading().offset_seconds > 5.0 * 3600.0);

        c.reset();
        assert_eq!(c.now(), c.wall());
        assert!(!c.reading().simulated);
    }

    #[test]
    fn sim_clock_speed_is_bounded() {
        let c = SimClock::new(Arc::new(ManualClock::new(Utc::now())));
        c.set_speed(f64::NAN);
        assert_eq!(c.reading().speed, 1.0);
        c.set_speed(1e12);
        assert_eq!(c.reading().speed, MAX_SPEED);
    }

    #[test]
    fn manual_clock_moves_when_told() {
        let start = Utc::now();
        let c = ManualClock::new(start);
        assert_eq!(c.now(), start);
        c.advance(Duration::seconds(90));
        assert_eq!(c.now(), start + Duration::seconds(90));
        c.set(start);
        assert_eq!(c.now(), start);
    }
}
