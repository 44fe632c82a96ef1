//! One contract suite per port, written once and run by every backend's
//! tests (`contract::devices::run(&store).await`). Ids and emails are random
//! so that runs against a shared server never collide.

pub mod agent;
pub mod automations;
pub mod bus;
pub mod devices;
pub mod events;
pub mod homes;
pub mod labels;
pub mod limits;
pub mod pubsub;
pub mod readings;
pub mod security;
pub mod state;
pub mod users;

use chrono::{DateTime, SubsecRound, Utc};

/// The test server named by environment variable `var`, started by
/// `scripts/test`. One rule for every test that needs a server: without the
/// variable the test says it is skipped and why (None), except under `CI`
/// or `scripts/test` (which sets `HOMEGUARD_TEST_SERVERS`), where a server
/// that should have been started and was not is a failure, never a silent pass.
pub fn test_server(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ if std::env::var_os("CI").is_some() || std::env::var_os("HOMEGUARD_TEST_SERVERS").is_some() => {
            panic!("{var} is not set under CI: scripts/test should have started {what} and set it")
        }
        _ => {
            eprintln!("SKIPPED: {var} is not set (scripts/test starts {what} and sets it)");
            None
        }
    }
}

/// A server this machine kind always runs: the one `var` names, else `default`.
pub fn local_server(var: &str, default: &str) -> String {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| default.to_owned())
}

/// Now, truncated to milliseconds: every backend keeps at least that.
pub(crate) fn now_ms() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}
