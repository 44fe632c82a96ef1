//! The all-in-one local host: every function mounted at the requirements'
//! gateway paths on one port, over the embedded backends in one data dir.

use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use homeguard_runtime::{Ctx, http};
use homeguard_wiring::Config;

/// The service name the host's own endpoints report as.
pub const SERVICE: &str = "homeguard";

/// Every function's routes on one router. Merging panics on a route that
/// two functions claim, so a clash fails the host at start-up (and in tests).
pub fn app(ctx: &Arc<Ctx>) -> Router {
    let app = Router::new()
        .merge(hg_fn_auth::router(ctx))
        .merge(hg_fn_users::router(ctx))
        .merge(hg_fn_devices::router(ctx))
        .merge(http::system_routes(SERVICE, ctx));
    http::finish(app, ctx)
}

/// `homeguard up`: opens the data dir, seeds and serves until a shutdown signal.
pub async fn up(config: Config) -> anyhow::Result<()> {
    let (data_dir, ctx) = homeguard_wiring::prepare(&config).await?;
    let listener = tokio::net::TcpListener::bind((config.bind.as_str(), config.port))
        .await
        .with_context(|| format!("binding {}:{}", config.bind, config.port))?;
    let addr = listener.local_addr()?;
    tracing::info!(service = SERVICE, %addr, data_dir = %data_dir.path().display(), "HomeGuard is up on http://{addr}");
    http::serve(listener, app(&ctx), http::shutdown_signal()).await?;
    tracing::info!(service = SERVICE, "stopped");
    Ok(())
}
