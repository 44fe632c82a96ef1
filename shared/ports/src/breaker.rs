//! A circuit breaker for a backend: after [`Breaker::THRESHOLD`]
//! consecutive failures that say the backend is unreachable
//! ([`StoreError::Unavailable`]), calls fail at once for a cool-down instead
//! of each waiting for its own timeout; then one trial call goes through,
//! and its outcome closes the circuit again or reopens it for another
//! cool-down. Other errors (a constraint, a bad document) say nothing about
//! the backend's health and do not count.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{StoreError, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// The cool-down is over and one trial call is out (another may go
    /// when this one has not answered within a cool-down).
    Trial {
        since: Instant,
    },
}

/// One backend's breaker; shared by every call to it.
#[derive(Debug)]
pub struct Breaker {
    backend: &'static str,
    cool_down: Duration,
    state: Mutex<State>,
}

impl Breaker {
    /// Consecutive unavailability failures that open the circuit.
    pub const THRESHOLD: u32 = 5;
    /// How long an open circuit fails calls at once.
    pub const COOL_DOWN: Duration = Duration::from_secs(10);

    pub fn new(backend: &'static str) -> Self {
        Self::with_cool_down(backend, Self::COOL_DOWN)
    }

    pub fn with_cool_down(backend: &'static str, cool_down: Duration) -> Self {
        Self { backend, cool_down, state: Mutex::new(State::Closed { failures: 0 }) }
    }

    /// Whether calls currently fail at once.
    pub fn is_open(&self) -> bool {
        matches!(*self.lock(), State::Open { until } if Instant::now() < until)
    }

    /// Runs `call` unless the circuit is open, and learns from its outcome.
    pub async fn call<T>(&self, call: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        self.admit()?;
        let result = call.await;
        self.record(result.as_ref().err());
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn admit(&self) -> StoreResult<()> {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Ok(()),
            State::Open { until } if Instant::now() >= until => {
                *state = State::Trial { since: Instant::now() };
                tracing::info!(backend = self.backend, "circuit half-open: trying the backend again");
                Ok(())
            }
            State::Open { until } => Err(StoreError::Unavailable(format!(
                "{} is failing; circuit open for another {} ms",
                self.backend,
                until.saturating_duration_since(Instant::now()).as_millis()
            ))),
            State::Trial { since } if since.elapsed() >= self.cool_down => {
                *state = State::Trial { since: Instant::now() };
                Ok(())
            }
            State::Trial { .. } => {
                Err(StoreError::Unavailable(format!("{} is failing; a trial call is out", self.backend)))
            }
        }
    }

    fn record(&self, error: Option<&StoreError>) {
        let down = matches!(error, Some(StoreError::Unavailable(_)));
        let mut state = self.lock();
        *state = match (*state, down) {
            (State::Trial { .. }, false) => {
                tracing::info!(backend = self.backend, "circuit closed: the backend answers again");
                State::Closed { failures: 0 }
            }
            (State::Closed { .. }, false) => State::Closed { failures: 0 },
            (State::Closed { failures }, true) if failures + 1 < Self::THRESHOLD => {
                State::Closed { failures: failures + 1 }
            }
            (State::Closed { .. } | State::Trial { .. }, true) => {
                tracing::warn!(backend = self.backend, error = %error.expect("a failure"), cool_down_ms = self.cool_down.as_millis() as u64, "circuit open: failing calls at once");
                State::Open { until: Instant::now() + self.cool_down }
            }
            // Calls admitted before the circuit opened finish while it is open.
            (open @ State::Open { .. }, _) => open,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down() -> StoreResult<()> {
        Err(StoreError::Unavailable("connection refused".into()))
    }

    #[tokio::test]
    async fn opens_after_consecutive_outages_fails_fast_then_tries_once() {
        let b = Breaker::with_cool_down("test", Duration::from_millis(50));
        for _ in 0..Breaker::THRESHOLD {
            assert!(b.call(async { down() }).await.is_err());
        }
        assert!(b.is_open());
        let mut ran = false;
        let e = b
            .call(async {
                ran = true;
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(!ran, "an open circuit does not call the backend");
        assert!(e.to_string().contains("circuit open"), "{e}");

        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(b.call(async { down() }).await.is_err(), "the trial fails");
        assert!(b.is_open(), "a failed trial reopens the circuit");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(b.call(async { Ok(()) }).await.is_ok(), "the trial succeeds");
        assert!(!b.is_open());
        assert!(b.call(async { Ok(()) }).await.is_ok());
    }

    #[tokio::test]
    async fn other_errors_and_successes_keep_it_closed() {
        let b = Breaker::new("test");
        for _ in 0..10 {
            let _ = b.call(async { Err::<(), _>(StoreError::Conflict("taken".into())) }).await;
            let _ = b.call(async { down() }).await;
            let _ = b.call(async { Ok(()) }).await;
        }
        assert!(!b.is_open(), "failures that are not consecutive, or not outages, never open it");
    }
}
