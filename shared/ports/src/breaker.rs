//! A circuit breaker for a backend, configured as the requirements give it
//! (their `DefaultCBConfig`): while closed it counts the calls of each
//! 10-second window and opens when a window has seen at least 10 calls of
//! which at least 60 % found the backend unreachable
//! ([`StoreError::Unavailable`]); open, it fails calls at once for 30 s
//! instead of letting each wait for its own timeout; then it lets 3 trial
//! calls through, closing again when all 3 succeed and reopening at the
//! first that fails. Other errors (a constraint, a bad document) mean the
//! backend answered, and count as successes.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{StoreError, StoreResult};

/// The breaker's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    /// Trial calls let through once the open period is over.
    pub max_requests: u32,
    /// The window over which a closed breaker counts calls.
    pub interval: Duration,
    /// How long an open breaker fails calls at once.
    pub timeout: Duration,
    /// The fewest calls in a window that may open the breaker.
    pub min_requests: u32,
    /// The share of failed calls in a window that opens it.
    pub failure_ratio: f64,
}

impl BreakerConfig {
    /// The requirements' `DefaultCBConfig`.
    pub const DEFAULT: Self = Self {
        max_requests: 3,
        interval: Duration::from_secs(10),
        timeout: Duration::from_secs(30),
        min_requests: 10,
        failure_ratio: 0.6,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        since: Instant,
        requests: u32,
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// Trial calls let through so far, and how many of them succeeded.
    HalfOpen {
        admitted: u32,
        succeeded: u32,
    },
}

/// One backend's breaker; shared by every call to it.
#[derive(Debug)]
pub struct Breaker {
    backend: &'static str,
    config: BreakerConfig,
    state: Mutex<State>,
}

impl Breaker {
    pub fn new(backend: &'static str) -> Self {
        Self::with_config(backend, BreakerConfig::DEFAULT)
    }

    pub fn with_config(backend: &'static str, config: BreakerConfig) -> Self {
        let state = State::Closed { since: Instant::now(), requests: 0, failures: 0 };
        Self { backend, config, state: Mutex::new(state) }
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
        let now = Instant::now();
        match *state {
            State::Closed { since, .. } if now.duration_since(since) >= self.config.interval => {
                *state = State::Closed { since: now, requests: 0, failures: 0 };
                Ok(())
            }
            State::Closed { .. } => Ok(()),
            State::Open { until } if now < until => Err(StoreError::Unavailable(format!(
                "{} is failing; circuit open for another {} ms",
                self.backend,
                until.duration_since(now).as_millis()
            ))),
            State::Open { .. } => {
                tracing::info!(backend = self.backend, "circuit half-open: trying the backend again");
                *state = State::HalfOpen { admitted: 1, succeeded: 0 };
                Ok(())
            }
            State::HalfOpen { admitted, succeeded } if admitted < self.config.max_requests => {
                *state = State::HalfOpen { admitted: admitted + 1, succeeded };
                Ok(())
            }
            State::HalfOpen { .. } => {
                Err(StoreError::Unavailable(format!("{} is failing; its trial calls are out", self.backend)))
            }
        }
    }

    fn record(&self, error: Option<&StoreError>) {
        let failed = matches!(error, Some(StoreError::Unavailable(_)));
        let mut state = self.lock();
        let open = |state: &mut State| {
            tracing::warn!(backend = self.backend, error = %error.map(ToString::to_string).unwrap_or_default(), open_for_ms = self.config.timeout.as_millis() as u64, "circuit open: failing calls at once");
            *state = State::Open { until: Instant::now() + self.config.timeout };
        };
        match *state {
            State::Closed { since, requests, failures } => {
                let (requests, failures) = (requests + 1, failures + u32::from(failed));
                let ratio = f64::from(failures) / f64::from(requests);
                if requests >= self.config.min_requests && ratio >= self.config.failure_ratio {
                    open(&mut state);
                } else {
                    *state = State::Closed { since, requests, failures };
                }
            }
            State::HalfOpen { .. } if failed => open(&mut state),
            State::HalfOpen { admitted, succeeded } if succeeded + 1 >= self.config.max_requests => {
                tracing::info!(backend = self.backend, admitted, "circuit closed: the backend answers again");
                *state = State::Closed { since: Instant::now(), requests: 0, failures: 0 };
            }
            State::HalfOpen { admitted, succeeded } => *state = State::HalfOpen { admitted, succeeded: succeeded + 1 },
            // Calls admitted before the circuit opened finish while it is open.
            State::Open { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down() -> StoreResult<()> {
        Err(StoreError::Unavailable("connection refused".into()))
    }

    fn quick() -> BreakerConfig {
        BreakerConfig { timeout: Duration::from_millis(50), ..BreakerConfig::DEFAULT }
    }

    #[test]
    fn the_default_is_the_requirements_configuration() {
        let c = BreakerConfig::DEFAULT;
        assert_eq!((c.max_requests, c.interval, c.timeout), (3, Duration::from_secs(10), Duration::from_secs(30)));
        assert_eq!((c.min_requests, c.failure_ratio), (10, 0.6));
    }

    #[tokio::test]
    async fn opens_at_60_percent_of_10_calls_fails_fast_then_tries_3() {
        let b = Breaker::with_config("test", quick());
        for _ in 0..3 {
            let _ = b.call(async { Ok(()) }).await;
        }
        for _ in 0..6 {
            let _ = b.call(async { down() }).await;
        }
        assert!(!b.is_open(), "9 calls are too few, whatever their ratio");
        let _ = b.call(async { down() }).await;
        assert!(b.is_open(), "7 failures of 10 open it");
        let mut ran = false;
        let e = b
            .call(async {
                ran = true;
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(!ran, "an open circuit does not call the backend");
        assert!(e.is_retryable() && e.to_string().contains("circuit open"), "{e}");

        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(b.call(async { down() }).await.is_err(), "a trial fails");
        assert!(b.is_open(), "a failed trial reopens the circuit");
        tokio::time::sleep(Duration::from_millis(60)).await;
        for _ in 0..3 {
            assert!(b.call(async { Ok(()) }).await.is_ok());
        }
        assert!(!b.is_open(), "three good trials close it");
        for _ in 0..9 {
            let _ = b.call(async { down() }).await;
        }
        assert!(!b.is_open(), "closing starts a fresh count");
    }

    #[tokio::test]
    async fn other_errors_and_a_healthy_share_keep_it_closed() {
        let b = Breaker::new("test");
        for _ in 0..20 {
            let _ = b.call(async { Err::<(), _>(StoreError::Conflict("taken".into())) }).await;
            let _ = b.call(async { down() }).await;
        }
        assert!(!b.is_open(), "half the calls failing is under 60 %; a refusal is an answer");
    }

    #[tokio::test]
    async fn a_window_forgets_the_one_before() {
        let b = Breaker::with_config("test", BreakerConfig { interval: Duration::from_millis(30), ..quick() });
        for _ in 0..9 {
            let _ = b.call(async { down() }).await;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
        let _ = b.call(async { down() }).await;
        assert!(!b.is_open(), "the failures of an old window do not count");
    }
}
