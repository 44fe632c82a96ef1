//! One contract suite per port, written once and run by every backend's
//! tests (`contract::devices::run(&store).await`). Ids and emails are random
//! so that runs against a shared server never collide.

pub mod agent;
pub mod bus;
pub mod devices;
pub mod events;
pub mod labels;
pub mod limits;
pub mod pubsub;
pub mod readings;
pub mod state;
pub mod users;

use chrono::{DateTime, SubsecRound, Utc};

/// Now, truncated to milliseconds: every backend keeps at least that.
pub(crate) fn now_ms() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}
