//! The HTTP adapter: mounting a function's routes with telemetry, the health
//! and metrics endpoints every function serves, and the server loop.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use homeguard_domain::ErrorCode;
use serde_json::json;
use tokio::net::TcpListener;

use crate::error::FnError;
use crate::ports::{Ctx, Holds, Port, stores_of};
use crate::telemetry::{Observe, observe};

/// The largest request body any endpoint takes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

fn observe_layer(service: &'static str, ctx: &impl Holds) -> Observe {
    Observe { service, clock: ctx.clock().base(), metrics: ctx.metrics().clone() }
}

/// Mounts one function's routes: its telemetry (labelled `service`), the
/// error body for a wrong method, and the context.
pub fn mount<S: Holds>(service: &'static str, ctx: &Arc<S>, routes: Router<Arc<S>>) -> Router {
    routes
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(observe_layer(service, &**ctx), observe))
        .with_state(ctx.clone())
}

async fn method_not_allowed(method: http::Method, uri: http::Uri) -> FnError {
    FnError::new(ErrorCode::MethodNotAllowed, format!("{} is not allowed on {}", method, uri.path()))
}

/// The answer to a path no route takes: the error body, 404.
pub async fn not_found(method: http::Method, uri: http::Uri) -> FnError {
    FnError::new(ErrorCode::NotFound, format!("No route for {} {}", method, uri.path()))
}

/// `/health/liveness`, `/health/readiness` (each store behind the ports
/// in `holds`, once) and `/metrics`.
pub fn system_routes(service: &'static str, ctx: &Arc<Ctx>, holds: &'static [Port]) -> Router {
    let routes = Router::new()
        .route("/health/liveness", get(|| async { axum::Json(json!({ "status": "ok" })) }))
        .route("/health/readiness", get(move |State(ctx): State<Arc<Ctx>>| readiness(ctx, holds)))
        .route("/metrics", get(metrics));
    mount(service, ctx, routes)
}

async fn readiness(ctx: Arc<Ctx>, holds: &'static [Port]) -> Response {
    let stores = stores_of(holds);
    let mut checks = Vec::with_capacity(stores.len());
    for store in stores {
        checks.push((store.name(), store.health(&ctx).await));
    }
    let ready = checks.iter().all(|(_, r)| r.is_ok());
    let detail: serde_json::Map<_, _> = checks
        .iter()
        .map(|(name, r)| {
            if let Err(e) = r {
                tracing::warn!(check = name, error = %e, "readiness check failed");
            }
            (name.to_string(), json!(if r.is_ok() { "ok" } else { "failing" }))
        })
        .collect();
    let status = if ready { http::StatusCode::OK } else { http::StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({ "status": if ready { "ready" } else { "not_ready" }, "checks": detail });
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(ctx): State<Arc<Ctx>>) -> Response {
    ([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], ctx.metrics.render()).into_response()
}

/// Finishes an app: the 404 error body for unknown routes and the body limit.
pub fn finish(app: Router, ctx: &Arc<Ctx>) -> Router {
    finish_with(app, ctx, Router::new().fallback(not_found))
}

/// Finishes an app whose unknown routes go to `fallback` (a router with a
/// fallback of its own, such as the local host's web app), observed as the
/// `gateway` service.
pub fn finish_with(app: Router, ctx: &Arc<Ctx>, fallback: Router) -> Router {
    let fallback = fallback.layer(from_fn_with_state(observe_layer("gateway", &**ctx), observe));
    app.merge(fallback).layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// How long in-flight requests and open streams get to finish after a
/// shutdown signal before the server closes them.
pub const DRAIN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Serves `app` on `listener` until `shutdown` resolves, then drains
/// in-flight requests for at most [`DRAIN_GRACE`]: long-lived connections
/// (WebSocket streams) would otherwise hold a stopping server forever.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut graceful = stopping.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = graceful.wait_for(|s| *s).await;
    });
    let deadline = async move {
        shutdown.await;
        let _ = stop.send(true);
        tokio::time::sleep(DRAIN_GRACE).await;
    };
    tokio::select! {
        served = server => served,
        () = deadline => {
            tracing::warn!("connections still open after the drain grace; closing them");
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM (what Kubernetes sends before killing a pod).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; draining");
}
