//! Wiring: the only place that picks concrete backends. It reads the typed
//! configuration, opens the data dir, builds the [`Ctx`] of ports and seeds
//! the demo homes. The local host and every function's `main` use it.

pub mod config;
pub mod data_dir;
pub mod seed;

use std::sync::Arc;

use anyhow::Context as _;
use homeguard_embedded::{
    MemoryLimiter, MemoryPubSub, MemoryState, SqliteBus, SqliteEventStore, SqliteReadingStore, SqliteStore,
};
use homeguard_ports::{
    AgentMemory, AutomationStore, DeviceStore, EventBus, EventStore, LabelStore, PubSub, RateLimiter, ReadingStore,
    SessionStore, SimClock, StateStore, UserStore,
};
use homeguard_runtime::{AuthKeys, Ctx, Metrics};

pub use config::Config;
pub use data_dir::DataDir;

/// Builds the context over the backends the configuration names; embedded
/// ones where it names none.
pub async fn build_ctx(config: &Config, data_dir: &DataDir) -> anyhow::Result<Arc<Ctx>> {
    config.check_backends()?;
    let secret = data_dir.jwt_secret(config.jwt_secret.as_deref())?;
    let store = SqliteStore::open(&data_dir.database_path())
        .await
        .with_context(|| format!("opening the database in {}", data_dir.path().display()))?;
    let readings = SqliteReadingStore::open(&data_dir.path().join("readings.db"))
        .await
        .with_context(|| format!("opening the reading store in {}", data_dir.path().display()))?;
    let store = Arc::new(store);
    let (users, sessions) = users_and_sessions(config, &store).await?;
    let (devices, automations, agent, labels) = documents(config, &store).await?;
    let (state, pubsub, limits) = state_pubsub_limits(config).await?;
    Ok(Arc::new(Ctx {
        users,
        sessions,
        devices,
        automations,
        agent,
        labels,
        events: event_store(config, data_dir).await?,
        bus: event_bus(config, data_dir).await?,
        readings: readings_store(config, readings).await?,
        state,
        pubsub,
        limits,
        clock: Arc::new(SimClock::system()),
        auth: AuthKeys::new(&secret, chrono::Duration::seconds(config.token_ttl_seconds as i64)),
        metrics: Metrics::new(),
    }))
}

type UserPorts = (Arc<dyn UserStore>, Arc<dyn SessionStore>);

/// Users and sessions: PostgreSQL when `POSTGRES_URL` is set, else the embedded store.
async fn users_and_sessions(config: &Config, embedded: &Arc<SqliteStore>) -> anyhow::Result<UserPorts> {
    #[cfg(feature = "postgres")]
    if let Some(url) = &config.postgres_url {
        let pg = Arc::new(homeguard_postgres::PgStore::open(url).await.context("connecting to POSTGRES_URL")?);
        tracing::info!(backend = "postgresql", "users and sessions");
        return Ok((pg.clone(), pg));
    }
    let _ = config;
    Ok((embedded.clone(), embedded.clone()))
}

type DocumentPorts = (Arc<dyn DeviceStore>, Arc<dyn AutomationStore>, Arc<dyn AgentMemory>, Arc<dyn LabelStore>);

/// Devices, automations, agent memory and labels: MongoDB when `MONGO_URL` is set, else the embedded store.
async fn documents(config: &Config, embedded: &Arc<SqliteStore>) -> anyhow::Result<DocumentPorts> {
    #[cfg(feature = "mongo")]
    if let Some(url) = &config.mongo_url {
        let mongo = Arc::new(homeguard_mongo::MongoStore::open(url).await.context("connecting to MONGO_URL")?);
        tracing::info!(backend = "mongodb", "devices, automations, agent memory and labels");
        return Ok((mongo.clone(), mongo.clone(), mongo.clone(), mongo));
    }
    let _ = config;
    Ok((embedded.clone(), embedded.clone(), embedded.clone(), embedded.clone()))
}

/// Sensor readings: TimescaleDB (or plain PostgreSQL, partitioned) when
/// `TIMESCALE_URL` is set, else the embedded store.
async fn readings_store(config: &Config, embedded: SqliteReadingStore) -> anyhow::Result<Arc<dyn ReadingStore>> {
    #[cfg(feature = "postgres")]
    if let Some(url) = &config.timescale_url {
        let pg = homeguard_postgres::PgReadingStore::open(url).await.context("connecting to TIMESCALE_URL")?;
        tracing::info!(backend = pg.mode().as_str(), "sensor readings");
        return Ok(Arc::new(pg));
    }
    let _ = config;
    Ok(Arc::new(embedded))
}

/// Raw events: ScyllaDB when `SCYLLA_HOSTS` is set, else the embedded store.
async fn event_store(config: &Config, data_dir: &DataDir) -> anyhow::Result<Arc<dyn EventStore>> {
    #[cfg(feature = "scylla")]
    if let Some(hosts) = &config.scylla_hosts {
        let scylla = homeguard_scylla::ScyllaEventStore::open(hosts, &config.scylla_keyspace)
            .await
            .context("connecting to SCYLLA_HOSTS")?;
        tracing::info!(backend = "scylladb", keyspace = %config.scylla_keyspace, "raw events");
        return Ok(Arc::new(scylla));
    }
    let _ = config;
    let events = SqliteEventStore::open(&data_dir.path().join("events.db"))
        .await
        .with_context(|| format!("opening the event store in {}", data_dir.path().display()))?;
    Ok(Arc::new(events))
}

/// The event bus: Kafka when `KAFKA_BROKERS` is set, else the embedded log.
async fn event_bus(config: &Config, data_dir: &DataDir) -> anyhow::Result<Arc<dyn EventBus>> {
    #[cfg(feature = "kafka")]
    if let Some(brokers) = &config.kafka_brokers {
        let kafka = homeguard_kafka::KafkaBus::open(brokers, &config.kafka_topic_prefix, &config.kafka_client_config.0)
            .await
            .context("connecting to KAFKA_BROKERS")?;
        tracing::info!(backend = "kafka", partitions = homeguard_kafka::PARTITIONS, "event bus");
        return Ok(Arc::new(kafka));
    }
    let _ = config;
    let bus = SqliteBus::open(&data_dir.path().join("bus.db"))
        .await
        .with_context(|| format!("opening the bus log in {}", data_dir.path().display()))?;
    Ok(Arc::new(bus))
}

type SharedPorts = (Arc<dyn StateStore>, Arc<dyn PubSub>, Arc<dyn RateLimiter>);

/// State, pub/sub and rate limits: Redis when `REDIS_URL` is set, else in memory.
async fn state_pubsub_limits(config: &Config) -> anyhow::Result<SharedPorts> {
    #[cfg(feature = "redis")]
    if let Some(url) = &config.redis_url {
        let redis = Arc::new(homeguard_redis::RedisStore::open(url).await.context("connecting to REDIS_URL")?);
        tracing::info!(backend = "redis", "device state, pub/sub and rate limits");
        return Ok((redis.clone(), redis.clone(), redis));
    }
    let _ = config;
    Ok((Arc::new(MemoryState::new()), Arc::new(MemoryPubSub::new()), Arc::new(MemoryLimiter::new())))
}

/// Everything a process needs before it serves: the locked data dir, the
/// context, the demo seed and the warmed state.
pub async fn prepare(config: &Config) -> anyhow::Result<(DataDir, Arc<Ctx>)> {
    let data_dir = DataDir::open(&config.data_dir)?;
    let ctx = build_ctx(config, &data_dir).await?;
    if config.seed_demo {
        seed::ensure_demo(&ctx).await.context("seeding the demo homes")?;
    }
    seed::warm_state(&ctx).await.context("loading device state")?;
    Ok((data_dir, ctx))
}

/// Runs one function as its own server: the thin `main` of each function.
pub async fn serve_function(service: &'static str, router: fn(&Arc<Ctx>) -> axum::Router) -> anyhow::Result<()> {
    let _logs = homeguard_runtime::telemetry::init_logging();
    let config = Config::from_env_and_args();
    let (_data_dir, ctx) = prepare(&config).await?;
    let app = router(&ctx).merge(homeguard_runtime::http::system_routes(service, &ctx));
    let app = homeguard_runtime::http::finish(app, &ctx);
    let listener = tokio::net::TcpListener::bind((config.bind.as_str(), config.port))
        .await
        .with_context(|| format!("binding {}:{}", config.bind, config.port))?;
    tracing::info!(service, addr = %listener.local_addr()?, "serving");
    homeguard_runtime::http::serve(listener, app, homeguard_runtime::http::shutdown_signal()).await?;
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
