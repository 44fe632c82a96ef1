//! Telemetry: JSON logs with a `trace_id` on every line of a request, the
//! trace id taken from the caller's W3C `traceparent` when there is one, and
//! the HTTP metrics of the requirements.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{SecondsFormat, Utc};
use homeguard_ports::Clock;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::prelude::*;

use crate::metrics::Metrics;

/// Keeps the log writer running; logs still buffered are written when it drops.
#[must_use = "logs are lost unless the guard lives until the process ends"]
pub struct LogGuard(#[allow(dead_code)] tracing_appender::non_blocking::WorkerGuard);

/// Sets up JSON logging to stdout for a binary; `RUST_LOG` filters (default
/// `info`). Lines are written by a background thread through a buffer that
/// is flushed whenever no more lines are waiting, so a busy server does not
/// pay a system call per line. Libraries never call this: they only instrument.
pub fn init_logging() -> LogGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let (writer, guard) = tracing_appender::non_blocking(std::io::BufWriter::new(std::io::stdout()));
    let _ = tracing_subscriber::registry().with(filter).with(tracing_flat_json::FlatJsonLayer::new(writer)).try_init();
    LogGuard(guard)
}

#[derive(Clone)]
struct RequestScope {
    trace_id: Arc<str>,
    clock: Arc<dyn Clock>,
}

tokio::task_local! {
    static REQUEST: RequestScope;
}

/// A fresh trace id: 32 lowercase hex digits, as W3C trace context has them.
pub fn new_trace_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The trace id of a W3C `traceparent` header (`00-<trace-id>-<parent-id>-<flags>`),
/// when the header is well formed and the id is not all zeros.
pub fn parse_traceparent(header: &str) -> Option<String> {
    let mut parts = header.trim().split('-');
    let (version, trace, parent, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let ok = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && trace.bytes().any(|b| b != b'0')
        && hex(parent, 16)
        && hex(flags, 2);
    ok.then(|| trace.to_owned())
}

/// The trace id of the request being served (a new one outside a request),
/// and the current time as the error body shows it.
pub fn current_trace_and_time() -> (String, String) {
    let (trace, now) =
        REQUEST.try_with(|r| (r.trace_id.to_string(), r.clock.now())).unwrap_or_else(|_| (new_trace_id(), Utc::now()));
    (trace, now.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// The trace id of the request being served, if any.
pub fn current_trace_id() -> Option<String> {
    REQUEST.try_with(|r| r.trace_id.to_string()).ok()
}

/// What the [`observe`] middleware needs: which service it reports as.
#[derive(Clone)]
pub struct Observe {
    pub service: &'static str,
    pub clock: Arc<dyn Clock>,
    pub metrics: Metrics,
}

/// Per-request telemetry: a span carrying `trace_id` (so every log line of
/// the request has it), one access log line, and the HTTP metrics labelled
/// with the matched route (never the raw path, which would explode cardinality).
pub async fn observe(State(o): State<Observe>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let trace_id = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_traceparent)
        .unwrap_or_else(new_trace_id);
    let method = req.method().clone();
    let endpoint =
        req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let span = tracing::info_span!(
        "request",
        service = o.service,
        trace_id = %trace_id,
        method = %method,
        endpoint = %endpoint,
        user_id = tracing::field::Empty,
    );
    let scope = RequestScope { trace_id: Arc::from(trace_id.as_str()), clock: o.clock.clone() };
    let mut response = REQUEST.scope(scope, next.run(req).instrument(span.clone())).await;

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    o.metrics.observe_http(o.service, method.as_str(), &endpoint, status, elapsed);
    let quiet = endpoint.starts_with("/health") || endpoint == "/metrics";
    span.in_scope(|| {
        let duration_ms = elapsed.as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::error!(status, duration_ms, "request failed");
        } else if quiet {
            tracing::debug!(status, duration_ms, "request completed");
        } else {
            tracing::info!(status, duration_ms, "request completed");
        }
    });
    if let Ok(v) = http::HeaderValue::from_str(&trace_id) {
        response.headers_mut().insert("x-trace-id", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_yields_its_trace_id() {
        let h = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(parse_traceparent(h).as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    }

    #[test]
    fn malformed_traceparents_are_ignored() {
        for h in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            assert_eq!(parse_traceparent(h), None, "{h:?}");
        }
    }

    #[test]
    fn new_trace_ids_are_w3c_shaped() {
        let id = new_trace_id();
        assert!(parse_traceparent(&format!("00-{id}-00f067aa0ba902b7-01")).is_some());
    }
}
