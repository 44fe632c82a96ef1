//! The function runtime: what every HomeGuard function is built on.
//!
//! A function is a protocol-free handler `async fn(&Ctx, Input) -> Result<Output, FnError>`.
//! This crate holds the [`Ctx`] of ports it runs against, the error type and its
//! mapping to the API's error body, authentication, telemetry (JSON logs with a
//! `trace_id`, Prometheus metrics), and the adapters that expose a handler over
//! HTTP and over CloudEvents. It never picks a concrete backend: the wiring does.

pub mod auth;
pub mod bus;
pub mod cloudevents;
pub mod context;
pub mod error;
pub mod extract;
pub mod http;
pub mod metrics;
pub mod telemetry;

pub use auth::{AuthKeys, Caller};
pub use context::Ctx;
pub use error::FnError;
pub use metrics::Metrics;
