//! The all-in-one local host: every function mounted at the requirements'
//! gateway paths on one port, over the embedded backends in one data dir.

use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use hg_fn_scenarios::{HeldDevices, Library};
use hg_fn_simulator::SimulatorConfig;
use homeguard_runtime::{Ctx, Declared, Holds, Port, http};
use homeguard_wiring::Config;

pub mod consumers;
pub mod knative;
pub mod scenario;
pub mod ui;

/// The service name the host's own endpoints report as.
pub const SERVICE: &str = "homeguard";

/// Every function of the platform: a new function is its crate under
/// `functions/` and one line here (and its dependency line in this crate's
/// Cargo.toml). Its routes, its consumers and its Knative manifests follow
/// from its declaration. `demo` is what the scenario engine runs.
pub fn functions(demo: &Demo) -> Vec<Box<dyn Declared>> {
    vec![
        Box::new(hg_fn_auth::function()),
        Box::new(hg_fn_users::function()),
        Box::new(hg_fn_devices::function()),
        Box::new(hg_fn_ingest::function()),
        Box::new(hg_fn_events::function()),
        Box::new(hg_fn_state::function()),
        Box::new(hg_fn_readings::function()),
        Box::new(hg_fn_commands::function()),
        Box::new(hg_fn_alarm::function()),
        Box::new(hg_fn_automations::function()),
        Box::new(hg_fn_notifications::function()),
        Box::new(hg_fn_monitoring::function()),
        Box::new(hg_fn_security::function()),
        Box::new(hg_fn_notify::function()),
        Box::new(hg_fn_scenarios::function(demo.library.clone(), demo.held.clone())),
    ]
}

/// Every function's public routes on one router, and the web app in `ui`
/// (a built `ui/dist`) for what they do not take. Merging panics on a route
/// that two functions claim, so a clash fails the host at start-up (and in tests).
pub fn app(ctx: &Arc<Ctx>, functions: &[Box<dyn Declared>], ui: Option<&std::path::Path>) -> Router {
    let app = functions.iter().fold(Router::new(), |app, f| app.merge(f.http(ctx)));
    let app = http::finish_with(app.merge(http::system_routes(SERVICE, ctx, Port::ALL)), ctx, ui::fallback(ui));
    match ui::built(ui) {
        Some(dir) => app.layer(axum::middleware::from_fn_with_state(dir, ui::pages_first)),
        None => app,
    }
}

/// How long the bus log keeps what every consumer has handled.
pub const BUS_RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// Rebuilds the state the previous run held in memory: each device's
/// latest stored events are folded in, and the state consumer goes back to
/// where the event store's consumer was, replaying what may not have been
/// folded yet (the fold ignores what it has seen).
async fn restore_state(ctx: &Ctx) -> anyhow::Result<()> {
    use homeguard_domain::Topic;
    let state = hg_fn_state::StateCtx::from_ctx(ctx);
    let folded = hg_fn_state::rebuild(&state).await.map_err(|e| anyhow::anyhow!("rebuilding device state: {e}"))?;
    let stored = ctx.bus.committed(hg_fn_events::NAME, Topic::DeviceEvents).await?;
    let applied = ctx.bus.committed(hg_fn_state::NAME, Topic::DeviceEvents).await?;
    let from = stored.min(&applied);
    ctx.bus.seek(hg_fn_state::NAME, Topic::DeviceEvents, &from).await?;
    tracing::info!(folded, replay_from = %from, "device state restored");
    Ok(())
}

/// Retention: the bus log and old readings, every ten minutes.
async fn prune_bus(ctx: Arc<Ctx>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.changed() => return,
        }
        match ctx.bus.prune(ctx.clock.wall() - BUS_RETENTION).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(pruned = n, "pruned the bus log"),
            Err(e) => tracing::warn!(error = %e, "pruning the bus log failed"),
        }
        match ctx.readings.delete_before(ctx.clock.wall() - hg_fn_readings::RETENTION).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "applied the readings retention"),
            Err(e) => tracing::warn!(error = %e, "applying the readings retention failed"),
        }
    }
}

/// Whether the device simulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// `homeguard up`'s settings: the shared configuration plus the host's own.
#[derive(Debug, Clone, clap::Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub config: Config,
    #[command(flatten)]
    pub demo: DemoArgs,
    /// Run the device simulator.
    #[arg(long, env = "HOMEGUARD_SIMULATOR", value_enum, default_value = "on")]
    pub simulator: Switch,
    /// A YAML file with a `simulator:` block (the requirements' format); unset: its defaults.
    #[arg(long, env = "HOMEGUARD_SIMULATOR_CONFIG")]
    pub simulator_config: Option<std::path::PathBuf>,
    /// The built web app to serve at `/` (`scripts/run` builds it there).
    #[arg(long, env = "HOMEGUARD_UI_DIR", default_value = "ui/dist")]
    pub ui_dir: std::path::PathBuf,
}

/// What the scenario engine runs: the scenarios, and the devices its runs
/// hold (the simulator leaves those alone).
#[derive(Debug, Default)]
pub struct Demo {
    pub library: Library,
    pub held: Arc<HeldDevices>,
}

/// Where scenarios come from.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// A folder of scenario files (`*.yaml`) to load beside the built-in ones.
    #[arg(long, env = "HOMEGUARD_SCENARIOS_DIR")]
    pub scenarios_dir: Option<std::path::PathBuf>,
}

impl DemoArgs {
    /// The scenarios, with every file that failed to load logged.
    pub fn library(&self) -> Library {
        let lib = Library::load(self.scenarios_dir.as_deref());
        for e in &lib.errors {
            tracing::error!(file = %e.file, line = e.line, column = e.column, problem = %e.message, "scenario file rejected");
        }
        lib
    }
}

/// The processing side of the host: state restored, one consumer per
/// subscription of each function, their periodic jobs, retention. Stops when `stopped` turns true.
pub async fn pipeline(
    ctx: &Arc<Ctx>,
    functions: &[Box<dyn Declared>],
    stopped: &tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    restore_state(ctx).await?;
    let consumers = functions.iter().flat_map(|f| f.consumers(ctx)).collect();
    let mut tasks = consumers::spawn_all(ctx, consumers, stopped);
    tasks.extend(functions.iter().flat_map(|f| f.tickers(ctx)).map(|t| tokio::spawn(t.run(stopped.clone()))));
    tasks.push(tokio::spawn(prune_bus(ctx.clone(), stopped.clone())));
    Ok(tasks)
}

/// `homeguard up`: opens the data dir, seeds and serves until a shutdown signal.
pub async fn up(args: UpArgs) -> anyhow::Result<()> {
    let simulator = match (&args.simulator, &args.simulator_config) {
        (Switch::Off, _) => None,
        (Switch::On, None) => Some(SimulatorConfig::default()),
        (Switch::On, Some(path)) => Some(SimulatorConfig::from_file(path).map_err(anyhow::Error::msg)?),
    };
    let config = args.config;
    let (data_dir, ctx) = homeguard_wiring::prepare(&config).await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let demo = Demo { library: args.demo.library(), held: Arc::default() };
    let functions = functions(&demo);
    let mut tasks = pipeline(&ctx, &functions, &stopped).await?;
    if let Some(sim) = simulator {
        let held = demo.held.clone();
        let hold: hg_fn_simulator::Hold = Arc::new(move |id| held.contains(id));
        let mut stopped = stopped.clone();
        let shutdown = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        tasks.push(tokio::spawn(hg_fn_simulator::run(ctx.clone(), sim, hold, shutdown)));
    }
    let listener = tokio::net::TcpListener::bind((config.bind.as_str(), config.port))
        .await
        .with_context(|| format!("binding {}:{}", config.bind, config.port))?;
    let addr = listener.local_addr()?;
    tracing::info!(service = SERVICE, %addr, data_dir = %data_dir.path().display(), "HomeGuard is up on http://{addr}");
    http::serve(listener, app(&ctx, &functions, Some(&args.ui_dir)), http::shutdown_signal()).await?;
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
    tracing::info!(service = SERVICE, "stopped");
    Ok(())
}
