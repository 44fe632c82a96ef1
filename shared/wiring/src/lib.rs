//! Wiring: the only place that picks concrete backends. It reads the typed
//! configuration, opens the data dir, builds the [`Ctx`] of ports and seeds
//! the demo homes. The local host and every function's `main` use it.

pub mod config;
pub mod data_dir;
pub mod lazy;
pub mod seed;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use homeguard_embedded::{
    MemoryLimiter, MemoryPubSub, MemoryState, SqliteBus, SqliteEventStore, SqliteReadingStore, SqliteStore,
};
use homeguard_ports::{
    AgentMemory, AlarmStore, AutomationStore, DeviceStore, EventBus, EventStore, HomeStore, LabelStore,
    NotificationStore, PubSub, RateLimiter, ReadingStore, ReportStore, RunStore, SecurityStore, SessionStore, SimClock,
    StateStore, UserStore,
};
use homeguard_runtime::outbound::Outbound;
use homeguard_runtime::ports::{Port, Store};
use homeguard_runtime::{AuthKeys, Ctx, Declared, Metrics};

pub use config::Config;
pub use data_dir::DataDir;
pub use lazy::Lazy;

/// The embedded stores of one data dir, each opened on first use: a process
/// whose ports are all on production backends never opens a SQLite file.
struct Embedded {
    dir: PathBuf,
    store: std::sync::OnceLock<Arc<Lazy<SqliteStore>>>,
}

impl Embedded {
    fn new(data_dir: &DataDir) -> Self {
        Self { dir: data_dir.path().to_owned(), store: std::sync::OnceLock::new() }
    }

    /// Users, sessions, devices, automations, agent memory and labels share one database.
    fn store(&self) -> Arc<Lazy<SqliteStore>> {
        let path = self.dir.join(data_dir::DATABASE_FILE);
        self.store
            .get_or_init(|| {
                Lazy::new("embedded database", move || {
                    let path = path.clone();
                    async move { SqliteStore::open(&path).await }
                })
            })
            .clone()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// A port on a backend the configuration names but this binary was built
/// without: every call fails with that, as a typed error (never a silent
/// fall-back to embedded storage). A function never calls the ports it
/// does not hold, so only a misbuilt image meets it.
#[cfg(not(all(feature = "postgres", feature = "mongo", feature = "redis", feature = "kafka", feature = "scylla")))]
fn not_compiled_in<T: Send + Sync + 'static>(variable: &'static str, feature: &'static str) -> Arc<Lazy<T>> {
    Lazy::new(variable, move || async move {
        Err(homeguard_ports::StoreError::NotCompiledIn(format!(
            "{variable} is set, but this binary was built without the `{feature}` backend"
        )))
    })
}

/// Builds the context over the backends the configuration names, embedded
/// ones where it names none. Nothing is connected or opened here: each
/// backend opens the first time one of its ports is used.
pub async fn build_ctx(config: &Config, data_dir: &DataDir) -> anyhow::Result<Arc<Ctx>> {
    let secret = data_dir.jwt_secret(config.jwt_secret.as_deref())?;
    let embedded = Embedded::new(data_dir);
    let (users, sessions, alarm) = relational(config, &embedded);
    let (devices, automations, agent, labels, homes, runs, notifications, reports, security) =
        documents(config, &embedded);
    let (state, pubsub, limits) = state_pubsub_limits(config);
    Ok(Arc::new(Ctx {
        users,
        sessions,
        limits,
        devices,
        automations,
        agent,
        labels,
        homes,
        alarm,
        runs,
        notifications,
        reports,
        security,
        events: event_store(config, &embedded),
        bus: event_bus(config, &embedded),
        readings: readings_store(config, &embedded),
        state,
        pubsub,
        clock: Arc::new(SimClock::system()),
        auth: AuthKeys::new(&secret, chrono::Duration::seconds(config.token_ttl_seconds as i64)),
        metrics: Metrics::new(),
        outbound: Arc::new(
            Outbound::new(config.smtp_url.as_deref(), &config.smtp_from)
                .and_then(|o| o.with_n8n(config.n8n_webhook_base.as_deref()))
                .and_then(|o| o.with_public_url(config.public_url.as_deref(), config.port))
                .and_then(|o| {
                    o.with_monitoring(
                        config.monitoring_dc09.as_deref(),
                        config.monitoring_account.as_deref(),
                        config.monitoring_key.as_deref(),
                    )
                })
                .map_err(anyhow::Error::msg)?,
        ),
    }))
}

type RelationalPorts = (Arc<dyn UserStore>, Arc<dyn SessionStore>, Arc<dyn AlarmStore>);

/// Users, sessions and the alarm: PostgreSQL when `POSTGRES_URL` is set, else the embedded store.
fn relational(config: &Config, embedded: &Embedded) -> RelationalPorts {
    if let Some(url) = config.postgres_url.clone() {
        #[cfg(feature = "postgres")]
        {
            let pg = Lazy::new("POSTGRES_URL", move || {
                let url = url.clone();
                async move {
                    let pg = homeguard_postgres::PgStore::open(&url).await?;
                    tracing::info!(backend = "postgresql", "users, sessions and the alarm");
                    Ok(pg)
                }
            });
            return (pg.clone(), pg.clone(), pg);
        }
        #[cfg(not(feature = "postgres"))]
        {
            let _ = url;
            let missing = not_compiled_in::<SqliteStore>("POSTGRES_URL", "postgres");
            return (missing.clone(), missing.clone(), missing);
        }
    }
    let store = embedded.store();
    (store.clone(), store.clone(), store)
}

type DocumentPorts = (
    Arc<dyn DeviceStore>,
    Arc<dyn AutomationStore>,
    Arc<dyn AgentMemory>,
    Arc<dyn LabelStore>,
    Arc<dyn HomeStore>,
    Arc<dyn RunStore>,
    Arc<dyn NotificationStore>,
    Arc<dyn ReportStore>,
    Arc<dyn SecurityStore>,
);

/// Every document port on one store.
fn document_ports<T>(s: Arc<T>) -> DocumentPorts
where
    T: DeviceStore
        + AutomationStore
        + AgentMemory
        + LabelStore
        + HomeStore
        + RunStore
        + NotificationStore
        + ReportStore
        + SecurityStore
        + 'static,
{
    (s.clone(), s.clone(), s.clone(), s.clone(), s.clone(), s.clone(), s.clone(), s.clone(), s)
}

/// Devices, automations, agent memory, labels, homes, rule firings and notifications: MongoDB when `MONGO_URL` is set, else the embedded store.
fn documents(config: &Config, embedded: &Embedded) -> DocumentPorts {
    if let Some(url) = config.mongo_url.clone() {
        #[cfg(feature = "mongo")]
        {
            let mongo = Lazy::new("MONGO_URL", move || {
                let url = url.clone();
                async move {
                    let mongo = homeguard_mongo::MongoStore::open(&url).await?;
                    tracing::info!(
                        backend = "mongodb",
                        "devices, automations, agent memory, labels, homes, rule firings, notifications, monitoring reports, security decisions and incidents"
                    );
                    Ok(mongo)
                }
            });
            return document_ports(mongo);
        }
        #[cfg(not(feature = "mongo"))]
        {
            let _ = url;
            let missing = not_compiled_in::<SqliteStore>("MONGO_URL", "mongo");
            return document_ports(missing);
        }
    }
    document_ports(embedded.store())
}

/// Sensor readings: TimescaleDB (or plain PostgreSQL, partitioned) when
/// `TIMESCALE_URL` is set, else the embedded store.
fn readings_store(config: &Config, embedded: &Embedded) -> Arc<dyn ReadingStore> {
    if let Some(url) = config.timescale_url.clone() {
        #[cfg(feature = "postgres")]
        return Lazy::new("TIMESCALE_URL", move || {
            let url = url.clone();
            async move {
                let pg = homeguard_postgres::PgReadingStore::open(&url).await?;
                tracing::info!(backend = pg.mode().as_str(), "sensor readings");
                Ok(pg)
            }
        });
        #[cfg(not(feature = "postgres"))]
        {
            let _ = url;
            return not_compiled_in::<SqliteReadingStore>("TIMESCALE_URL", "postgres");
        }
    }
    let path = embedded.file("readings.db");
    Lazy::new("embedded readings", move || {
        let path = path.clone();
        async move { SqliteReadingStore::open(&path).await }
    })
}

/// Raw events: ScyllaDB when `SCYLLA_HOSTS` is set, else the embedded store.
fn event_store(config: &Config, embedded: &Embedded) -> Arc<dyn EventStore> {
    if let Some(hosts) = config.scylla_hosts.clone() {
        #[cfg(feature = "scylla")]
        {
            let keyspace = config.scylla_keyspace.clone();
            return Lazy::new("SCYLLA_HOSTS", move || {
                let (hosts, keyspace) = (hosts.clone(), keyspace.clone());
                async move {
                    let scylla = homeguard_scylla::ScyllaEventStore::open(&hosts, &keyspace).await?;
                    tracing::info!(backend = "scylladb", keyspace, "raw events");
                    Ok(scylla)
                }
            });
        }
        #[cfg(not(feature = "scylla"))]
        {
            let _ = hosts;
            return not_compiled_in::<SqliteEventStore>("SCYLLA_HOSTS", "scylla");
        }
    }
    let path = embedded.file("events.db");
    Lazy::new("embedded event store", move || {
        let path = path.clone();
        async move { SqliteEventStore::open(&path).await }
    })
}

/// The event bus: Kafka when `KAFKA_BROKERS` is set, else the embedded log.
fn event_bus(config: &Config, embedded: &Embedded) -> Arc<dyn EventBus> {
    if let Some(brokers) = config.kafka_brokers.clone() {
        #[cfg(feature = "kafka")]
        {
            let (prefix, client) = (config.kafka_topic_prefix.clone(), config.kafka_client_config.0.clone());
            let lazy = Lazy::new("KAFKA_BROKERS", move || {
                let (brokers, prefix, client) = (brokers.clone(), prefix.clone(), client.clone());
                async move {
                    let kafka = homeguard_kafka::KafkaBus::open(&brokers, &prefix, &client).await?;
                    tracing::info!(backend = "kafka", partitions = homeguard_kafka::PARTITIONS, "event bus");
                    Ok(kafka)
                }
            });
            return Arc::new(lazy::LazyBus { lazy, detects_duplicates: false });
        }
        #[cfg(not(feature = "kafka"))]
        {
            let _ = brokers;
            let lazy = not_compiled_in::<SqliteBus>("KAFKA_BROKERS", "kafka");
            return Arc::new(lazy::LazyBus { lazy, detects_duplicates: false });
        }
    }
    let path = embedded.file("bus.db");
    let lazy = Lazy::new("embedded bus log", move || {
        let path = path.clone();
        async move { SqliteBus::open(&path).await }
    });
    Arc::new(lazy::LazyBus { lazy, detects_duplicates: true })
}

type SharedPorts = (Arc<dyn StateStore>, Arc<dyn PubSub>, Arc<dyn RateLimiter>);

/// State, pub/sub and rate limits: Redis when `REDIS_URL` is set, else in memory.
fn state_pubsub_limits(config: &Config) -> SharedPorts {
    if let Some(url) = config.redis_url.clone() {
        #[cfg(feature = "redis")]
        {
            let redis = Lazy::new("REDIS_URL", move || {
                let url = url.clone();
                async move {
                    let redis = homeguard_redis::RedisStore::open(&url).await?;
                    tracing::info!(backend = "redis", "device state, pub/sub and rate limits");
                    Ok(redis)
                }
            });
            return (redis.clone(), redis.clone(), redis);
        }
        #[cfg(not(feature = "redis"))]
        {
            let _ = url;
            let (state, pubsub, limits) = (
                not_compiled_in::<MemoryState>("REDIS_URL", "redis"),
                not_compiled_in::<MemoryPubSub>("REDIS_URL", "redis"),
                not_compiled_in::<MemoryLimiter>("REDIS_URL", "redis"),
            );
            return (state, pubsub, limits);
        }
    }
    (Arc::new(MemoryState::new()), Arc::new(MemoryPubSub::new()), Arc::new(MemoryLimiter::new()))
}

/// Everything the local host needs before it serves: the locked data dir,
/// the context, the demo seed and the warmed state. It holds every port, so
/// it checks here that each configured backend is compiled in.
pub async fn prepare(config: &Config) -> anyhow::Result<(DataDir, Arc<Ctx>)> {
    config.check_backends(Store::ALL)?;
    let data_dir = DataDir::open(&config.data_dir)?;
    let ctx = build_ctx(config, &data_dir).await?;
    if config.seed_demo {
        seed::ensure_demo(&ctx).await.context("seeding the demo homes")?;
        seed::ensure_demo_homes(&ctx).await.context("seeding the demo homes' settings")?;
    }
    seed::warm_state(&ctx).await.context("loading device state")?;
    Ok((data_dir, ctx))
}

/// The whole `main` of a function's binary: its server, configured from
/// the environment and flags, until a shutdown signal; the exit code says
/// how it ended.
pub fn main(function: impl Declared + 'static) -> std::process::ExitCode {
    main_with(Config::from_env_and_args(), |_| function)
}

/// [`main`] with the configuration given, and the function made over the
/// context (for a function that needs it, such as the scenario engine).
pub fn main_with<F: Declared + 'static>(config: Config, make: impl FnOnce(&Arc<Ctx>) -> F) -> std::process::ExitCode {
    let _logs = homeguard_runtime::telemetry::init_logging();
    let name = std::env::args()
        .next()
        .and_then(|a| Some(std::path::Path::new(&a).file_name()?.to_string_lossy().into_owned()));
    let name = name.unwrap_or_else(|| "homeguard function".into());
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .and_then(|rt| rt.block_on(serve(config, make)));
    exit_code(&name, result)
}

/// Runs one function as its own server until a shutdown signal. Its
/// readiness checks the stores of the ports it holds, and only those
/// backends are ever connected. The demo seed runs where
/// `HOMEGUARD_SEED_DEMO` is on (off in production) and the function holds
/// what the seed writes (users and devices); device state is warmed where
/// it holds the state and the registry.
pub async fn serve<F: Declared + 'static>(config: Config, make: impl FnOnce(&Arc<Ctx>) -> F) -> anyhow::Result<()> {
    let data_dir = DataDir::open(&config.data_dir)?;
    let ctx = build_ctx(&config, &data_dir).await?;
    let function = make(&ctx);
    let holds = function.holds();
    config.check_backends(&homeguard_runtime::ports::stores_of(holds))?;
    let has = |p: &[Port]| p.iter().all(|p| holds.contains(p));
    if config.seed_demo && has(&[Port::Users, Port::Devices]) {
        seed::ensure_demo(&ctx).await.context("seeding the demo homes")?;
    }
    if config.seed_demo && has(&[Port::Homes]) {
        seed::ensure_demo_homes(&ctx).await.context("seeding the demo homes' settings")?;
    }
    if has(&[Port::State, Port::Devices]) {
        seed::warm_state(&ctx).await.context("loading device state")?;
    }
    let name = function.name();
    let app = function.server(&ctx).merge(homeguard_runtime::http::system_routes(name, &ctx, holds));
    let app = homeguard_runtime::http::finish(app, &ctx);
    let listener = tokio::net::TcpListener::bind((config.bind.as_str(), config.port))
        .await
        .with_context(|| format!("binding {}:{}", config.bind, config.port))?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let jobs: Vec<_> = function.tickers(&ctx).into_iter().map(|t| tokio::spawn(t.run(stopped.clone()))).collect();
    tracing::info!(service = name, addr = %listener.local_addr()?, "serving");
    homeguard_runtime::http::serve(listener, app, homeguard_runtime::http::shutdown_signal()).await?;
    let _ = stop.send(true);
    for j in jobs {
        let _ = j.await;
    }
    Ok(())
}

/// Turns a binary's result into its exit code, printing a failure as one
/// clear line (with its causes) rather than a debug dump.
pub fn exit_code(name: &str, result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "exiting on error");
            eprintln!("{name}: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A context over fresh embedded stores in `dir`, seeded with the demo homes:
/// what handler tests run against.
pub async fn seeded_ctx_in(dir: &std::path::Path) -> anyhow::Result<(DataDir, Arc<Ctx>)> {
    use clap::Parser as _;
    let config = Config::try_parse_from([
        "test",
        "--data-dir",
        &dir.to_string_lossy(),
        "--jwt-secret",
        "handler-tests-secret-handler-tests-secret",
    ])?;
    prepare(&config).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    /// Production backends open on first use: a context over unreachable
    /// servers builds at once, and each port fails alone, as unavailable,
    /// when it is used.
    #[tokio::test]
    async fn production_backends_connect_on_first_use() {
        let tmp = tempfile::tempdir().unwrap();
        let config = Config::try_parse_from([
            "test",
            "--data-dir",
            &tmp.path().join("data").to_string_lossy(),
            "--jwt-secret",
            "wiring-tests-secret-wiring-tests-secret",
            "--scylla-hosts=127.0.0.1:1",
            "--kafka-brokers=127.0.0.1:1",
        ])
        .unwrap();
        let data_dir = DataDir::open(&config.data_dir).unwrap();
        let started = std::time::Instant::now();
        let ctx = build_ctx(&config, &data_dir).await.unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "nothing was contacted");
        assert!(!data_dir.database_path().exists(), "no SQLite file is opened before an embedded port is used");
        assert!(ctx.users.health().await.is_ok(), "the embedded ports work");
        assert!(data_dir.database_path().exists());
        let e = ctx.events.health().await.unwrap_err();
        assert!(e.is_retryable() && e.to_string().contains("scylla"), "{e}");
        assert!(!data_dir.path().join("events.db").exists(), "no embedded event store beside ScyllaDB");
        assert!(!ctx.bus.detects_duplicates(), "known before Kafka is reached");
    }
}
