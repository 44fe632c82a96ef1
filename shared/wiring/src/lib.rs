//! Wiring: the only place that picks concrete backends. It reads the typed
//! configuration, opens the data dir, builds the [`Ctx`] of ports and seeds
//! the demo homes. The local host and every function's `main` use it.

pub mod config;
pub mod data_dir;
pub mod lazy;
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
use homeguard_runtime::http::Port;
use homeguard_runtime::{AuthKeys, Ctx, Metrics};

pub use config::Config;
pub use data_dir::DataDir;
pub use lazy::Lazy;

/// Builds the context over the backends the configuration names; embedded
/// ones where it names none.
pub async fn build_ctx(config: &Config, data_dir: &DataDir) -> anyhow::Result<Arc<Ctx>> {
    config.check_backends()?;
    let secret = data_dir.jwt_secret(config.jwt_secret.as_deref())?;
    let store = SqliteStore::open(&data_dir.database_path())
        .await
        .with_context(|| format!("opening the database in {}", data_dir.path().display()))?;
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
        readings: readings_store(config, data_dir).await?,
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
    if let Some(url) = config.postgres_url.clone() {
        let pg = Lazy::new("POSTGRES_URL", move || {
            let url = url.clone();
            async move {
                let pg = homeguard_postgres::PgStore::open(&url).await?;
                tracing::info!(backend = "postgresql", "users and sessions");
                Ok(pg)
            }
        });
        return Ok((pg.clone(), pg));
    }
    let _ = config;
    Ok((embedded.clone(), embedded.clone()))
}

type DocumentPorts = (Arc<dyn DeviceStore>, Arc<dyn AutomationStore>, Arc<dyn AgentMemory>, Arc<dyn LabelStore>);

/// Devices, automations, agent memory and labels: MongoDB when `MONGO_URL` is set, else the embedded store.
async fn documents(config: &Config, embedded: &Arc<SqliteStore>) -> anyhow::Result<DocumentPorts> {
    #[cfg(feature = "mongo")]
    if let Some(url) = config.mongo_url.clone() {
        let mongo = Lazy::new("MONGO_URL", move || {
            let url = url.clone();
            async move {
                let mongo = homeguard_mongo::MongoStore::open(&url).await?;
                tracing::info!(backend = "mongodb", "devices, automations, agent memory and labels");
                Ok(mongo)
            }
        });
        return Ok((mongo.clone(), mongo.clone(), mongo.clone(), mongo));
    }
    let _ = config;
    Ok((embedded.clone(), embedded.clone(), embedded.clone(), embedded.clone()))
}

/// Sensor readings: TimescaleDB (or plain PostgreSQL, partitioned) when
/// `TIMESCALE_URL` is set, else the embedded store.
async fn readings_store(config: &Config, data_dir: &DataDir) -> anyhow::Result<Arc<dyn ReadingStore>> {
    #[cfg(feature = "postgres")]
    if let Some(url) = config.timescale_url.clone() {
        return Ok(Lazy::new("TIMESCALE_URL", move || {
            let url = url.clone();
            async move {
                let pg = homeguard_postgres::PgReadingStore::open(&url).await?;
                tracing::info!(backend = pg.mode().as_str(), "sensor readings");
                Ok(pg)
            }
        }));
    }
    let _ = config;
    let readings = SqliteReadingStore::open(&data_dir.path().join("readings.db"))
        .await
        .with_context(|| format!("opening the reading store in {}", data_dir.path().display()))?;
    Ok(Arc::new(readings))
}

/// Raw events: ScyllaDB when `SCYLLA_HOSTS` is set, else the embedded store.
async fn event_store(config: &Config, data_dir: &DataDir) -> anyhow::Result<Arc<dyn EventStore>> {
    #[cfg(feature = "scylla")]
    if let Some(hosts) = config.scylla_hosts.clone() {
        let keyspace = config.scylla_keyspace.clone();
        return Ok(Lazy::new("SCYLLA_HOSTS", move || {
            let (hosts, keyspace) = (hosts.clone(), keyspace.clone());
            async move {
                let scylla = homeguard_scylla::ScyllaEventStore::open(&hosts, &keyspace).await?;
                tracing::info!(backend = "scylladb", keyspace, "raw events");
                Ok(scylla)
            }
        }));
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
    if let Some(brokers) = config.kafka_brokers.clone() {
        let (prefix, client) = (config.kafka_topic_prefix.clone(), config.kafka_client_config.0.clone());
        let lazy = Lazy::new("KAFKA_BROKERS", move || {
            let (brokers, prefix, client) = (brokers.clone(), prefix.clone(), client.clone());
            async move {
                let kafka = homeguard_kafka::KafkaBus::open(&brokers, &prefix, &client).await?;
                tracing::info!(backend = "kafka", partitions = homeguard_kafka::PARTITIONS, "event bus");
                Ok(kafka)
            }
        });
        return Ok(Arc::new(lazy::LazyBus { lazy, detects_duplicates: false }));
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
    if let Some(url) = config.redis_url.clone() {
        let redis = Lazy::new("REDIS_URL", move || {
            let url = url.clone();
            async move {
                let redis = homeguard_redis::RedisStore::open(&url).await?;
                tracing::info!(backend = "redis", "device state, pub/sub and rate limits");
                Ok(redis)
            }
        });
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
/// `uses` names the ports it depends on: its readiness checks them, and the
/// production backends of the others are never connected (they open on
/// first use). The demo seed runs where `HOMEGUARD_SEED_DEMO` is on (off in
/// production); device state is warmed only by a function that keeps it.
pub async fn serve_function(
    service: &'static str,
    router: fn(&Arc<Ctx>) -> axum::Router,
    uses: &'static [Port],
) -> anyhow::Result<()> {
    let _logs = homeguard_runtime::telemetry::init_logging();
    let config = Config::from_env_and_args();
    let data_dir = DataDir::open(&config.data_dir)?;
    let ctx = build_ctx(&config, &data_dir).await?;
    if config.seed_demo {
        seed::ensure_demo(&ctx).await.context("seeding the demo homes")?;
    }
    if uses.contains(&Port::State) {
        seed::warm_state(&ctx).await.context("loading device state")?;
    }
    let app = router(&ctx).merge(homeguard_runtime::http::system_routes(service, &ctx, uses));
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
        assert!(ctx.users.health().await.is_ok(), "the embedded ports work");
        let e = ctx.events.health().await.unwrap_err();
        assert!(e.is_retryable() && e.to_string().contains("scylla"), "{e}");
        assert!(!data_dir.path().join("events.db").exists(), "no embedded event store beside ScyllaDB");
        assert!(!ctx.bus.detects_duplicates(), "known before Kafka is reached");
    }
}
