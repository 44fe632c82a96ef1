//! The production backends reachable here, each test with its own share:
//! a fresh PostgreSQL database, a Redis database number, a MongoDB database
//! and a Kafka topic prefix. PostgreSQL and Redis must be there (this
//! machine kind runs them); MongoDB and Kafka come from `scripts/test`
//! (`HOMEGUARD_TEST_MONGO_URL`, `HOMEGUARD_TEST_KAFKA_BROKERS`) and are
//! reported as skipped when absent.

use homeguard_ports::contract::test_server;
use sqlx::Connection;

const PG_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct Backends {
    pub pg_db: String,
    pub pg_url: String,
    pub redis_url: String,
    pub mongo_url: Option<String>,
    pub kafka: Option<(String, String)>,
}

pub async fn pg_server() -> sqlx::PgConnection {
    sqlx::PgConnection::connect(PG_SERVER).await.expect("PostgreSQL on 127.0.0.1:5432 is needed for this test")
}

impl Backends {
    /// A new share of every backend; Redis database `redis_db` is flushed.
    pub async fn new(redis_db: u8) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let pg_db = format!("hg_e2e_{id}");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {pg_db}")))
            .execute(&mut pg_server().await)
            .await
            .unwrap();
        let redis_url = format!("redis://127.0.0.1:6379/{redis_db}");
        let mut r = Self::redis(&redis_url).await;
        redis::cmd("FLUSHDB").query_async::<()>(&mut r).await.unwrap();
        let mongo_url = test_server("HOMEGUARD_TEST_MONGO_URL", "a MongoDB-wire server")
            .map(|url| format!("{}/hg_e2e_{id}", url.trim_end_matches('/')));
        let kafka = test_server("HOMEGUARD_TEST_KAFKA_BROKERS", "a Kafka-protocol broker")
            .map(|brokers| (brokers, format!("e2e-{id}.")));
        Self { pg_url: format!("postgres://postgres@127.0.0.1:5432/{pg_db}"), pg_db, redis_url, mongo_url, kafka }
    }

    pub async fn redis(url: &str) -> redis::aio::MultiplexedConnection {
        let client = redis::Client::open(url).unwrap();
        client.get_multiplexed_async_connection().await.expect("Redis on 127.0.0.1:6379 is needed for this test")
    }

    /// The host's environment: every backend of this share.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("POSTGRES_URL", self.pg_url.clone()),
            ("TIMESCALE_URL", self.pg_url.clone()),
            ("REDIS_URL", self.redis_url.clone()),
        ];
        if let Some(url) = &self.mongo_url {
            env.push(("MONGO_URL", url.clone()));
        }
        if let Some((brokers, prefix)) = &self.kafka {
            env.push(("KAFKA_BROKERS", brokers.clone()));
            env.push(("KAFKA_TOPIC_PREFIX", prefix.clone()));
        }
        env
    }

    /// Drops the PostgreSQL database and flushes the Redis database.
    pub async fn clean_up(self) {
        let mut r = Self::redis(&self.redis_url).await;
        redis::cmd("FLUSHDB").query_async::<()>(&mut r).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.pg_db)))
            .execute(&mut pg_server().await)
            .await
            .unwrap();
    }
}

/// `(name, value)` pairs as `Host::start_with` takes them.
pub fn as_env<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}
