//! The function runtime: what every HomeGuard function is built on.
//!
//! A function is a protocol-free handler `async fn(&C, Input) -> Result<Output, FnError>`
//! over the context `C` of the ports it holds. This crate declares the ports
//! once ([`ports`]), holds what a function is ([`function`]), the error type and its
//! mapping to the API's error body, authentication, telemetry (JSON logs with a
//! `trace_id`, Prometheus metrics), and the adapters that expose a handler over
//! HTTP and over CloudEvents. It never picks a concrete backend: the wiring does.

pub mod auth;
pub mod bus;
pub mod cloudevents;
pub mod error;
pub mod extract;
pub mod function;
pub mod http;
pub mod metrics;
pub mod outbound;
pub mod ports;
pub mod telemetry;

pub use auth::{AuthKeys, Caller};
pub use error::FnError;
pub use function::{Declared, Function};
pub use metrics::Metrics;
pub use ports::{Ctx, Holds, Port};
