//! Prometheus metrics, one registry per process (no global state, so tests
//! running several servers in one process do not share counters).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};

#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    counters: Mutex<HashMap<&'static str, IntCounterVec>>,
}

const HTTP_LABELS: &[&str] = &["service", "method", "endpoint", "status"];

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(Opts::new("http_requests_total", "HTTP requests served"), HTTP_LABELS)
            .expect("valid metric");
        let http_duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to answer an HTTP request")
                .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            HTTP_LABELS,
        )
        .expect("valid metric");
        registry.register(Box::new(http_requests.clone())).expect("registered once");
        registry.register(Box::new(http_duration.clone())).expect("registered once");
        Self { inner: Arc::new(Inner { registry, http_requests, http_duration, counters: Mutex::default() }) }
    }

    /// The registry, for functions that add metrics of their own.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// A counter of the function's own, registered the first time it is
    /// asked for and the same one after (so callers need not keep it).
    pub fn counter(&self, name: &'static str, help: &str, labels: &[&str]) -> IntCounterVec {
        let mut counters = self.inner.counters.lock().unwrap_or_else(|e| e.into_inner());
        counters
            .entry(name)
            .or_insert_with(|| {
                let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
                let _ = self.inner.registry.register(Box::new(c.clone()));
                c
            })
            .clone()
    }

    pub fn observe_http(&self, service: &str, method: &str, endpoint: &str, status: u16, took: Duration) {
        let status = status.to_string();
        let labels = [service, method, endpoint, status.as_str()];
        self.inner.http_requests.with_label_values(&labels).inc();
        self.inner.http_duration.with_label_values(&labels).observe(took.as_secs_f64());
    }

    /// Every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding into a Vec fails only on metric families that could not be registered.
        let _ = TextEncoder::new().encode(&self.inner.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_metrics_render_with_their_labels() {
        let m = Metrics::new();
        m.observe_http("device-service", "GET", "/devices/{id}", 404, Duration::from_millis(3));
        let text = m.render();
        assert!(text.contains(
            r#"http_requests_total{endpoint="/devices/{id}",method="GET",service="device-service",status="404"} 1"#
        ));
        assert!(text.contains("http_request_duration_seconds_bucket"));
    }
}
