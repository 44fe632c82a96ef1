//! The one typed configuration, parsed once from flags and the environment.

use std::path::PathBuf;

use clap::Parser;
use homeguard_runtime::ports::Store;

/// Settings shared by the local host and every function binary.
#[derive(Debug, Clone, Parser)]
pub struct Config {
    /// Port to serve HTTP on.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address to bind.
    #[arg(long, env = "HOMEGUARD_BIND", default_value = "127.0.0.1")]
    pub bind: String,
    /// Directory holding all embedded state.
    #[arg(long, env = "HOMEGUARD_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// JWT signing secret; when unset, one is generated on first start and kept in the data dir.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Lifetime of a login token, in seconds.
    #[arg(long, env = "JWT_TTL_SECONDS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(60..=2_592_000))]
    pub token_ttl_seconds: u64,
    /// Seed the demo homes on first start.
    #[arg(long, env = "HOMEGUARD_SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,
    /// PostgreSQL for users and sessions (unset: embedded SQLite).
    #[arg(long, env = "POSTGRES_URL", hide_env_values = true)]
    pub postgres_url: Option<String>,
    /// MongoDB for devices and automations (unset: embedded SQLite).
    #[arg(long, env = "MONGO_URL", hide_env_values = true)]
    pub mongo_url: Option<String>,
    /// Redis for state and pub/sub (unset: in memory).
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// ScyllaDB hosts for raw events (unset: embedded SQLite).
    #[arg(long, env = "SCYLLA_HOSTS")]
    pub scylla_hosts: Option<String>,
    /// The ScyllaDB keyspace of the raw events (created if missing).
    #[arg(long, env = "SCYLLA_KEYSPACE", default_value = "iot_events")]
    pub scylla_keyspace: String,
    /// Kafka brokers for the event bus, comma-separated `host:port` (unset: embedded log).
    #[arg(long, env = "KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// A prefix for every Kafka topic name (several installations or test runs on one cluster).
    #[arg(long, env = "KAFKA_TOPIC_PREFIX", default_value = "")]
    pub kafka_topic_prefix: String,
    /// librdkafka settings for every Kafka client, `key=value` separated by
    /// commas (e.g. `fetch.wait.max.ms=20` or SASL settings); they override
    /// the adapter's defaults but not its guarantees (idempotent producer,
    /// acks=all, commits only after handling).
    #[arg(long, env = "KAFKA_CLIENT_CONFIG", hide_env_values = true, value_parser = parse_pairs, default_value = "")]
    pub kafka_client_config: Pairs,
    /// TimescaleDB for readings (unset: embedded SQLite).
    #[arg(long, env = "TIMESCALE_URL", hide_env_values = true)]
    pub timescale_url: Option<String>,
    /// The SMTP relay e-mail notifications go through: `smtp://host:25`,
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or
    /// `smtps://host:465` (unset: e-mail is not sent, and each e-mail
    /// delivery is recorded as failed for that reason).
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Where n8n serves its workflows' webhooks; rules' `n8n` actions POST
    /// to `<base>/<workflow>` (unset: such actions are refused when saved).
    #[arg(long, env = "N8N_WEBHOOK_BASE")]
    pub n8n_webhook_base: Option<String>,
    /// The central station's SIA DC-09 receiver, `host:port` (unset: alarms
    /// are reported to the platform's own monitoring log, for admins).
    #[arg(long, env = "MONITORING_DC09")]
    pub monitoring_dc09: Option<String>,
    /// The account number at the central station (3-16 hex digits).
    #[arg(long, env = "MONITORING_ACCOUNT")]
    pub monitoring_account: Option<String>,
    /// The line's AES key (16, 24 or 32 hex characters; unset: a clear line).
    #[arg(long, env = "MONITORING_KEY", hide_env_values = true)]
    pub monitoring_key: Option<String>,
    /// Where people reach the app (links in e-mails point there; unset:
    /// `http://localhost:<PORT>`, right for the local host alone).
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The sender of e-mail notifications.
    #[arg(long, env = "SMTP_FROM", default_value = "HomeGuard <homeguard@localhost>")]
    pub smtp_from: String,
}

/// `key=value` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pairs(pub Vec<(String, String)>);

fn parse_pairs(s: &str) -> Result<Pairs, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.trim().to_owned())),
            _ => Err(format!("'{p}' is not key=value")),
        })
        .collect::<Result<_, _>>()
        .map(Pairs)
}

impl Config {
    /// Parses the process's flags and environment.
    pub fn from_env_and_args() -> Self {
        Self::parse()
    }

    /// Fails with a clear message when a production backend is configured
    /// for one of `stores` that this build does not include (a typed error,
    /// not a panic). A function's image is built with the backends of the
    /// stores it holds; the settings of the others do not concern it.
    pub fn check_backends(&self, stores: &[Store]) -> anyhow::Result<()> {
        let configured = [
            ("POSTGRES_URL", Store::Users, self.postgres_url.is_some() && !cfg!(feature = "postgres")),
            ("MONGO_URL", Store::Devices, self.mongo_url.is_some() && !cfg!(feature = "mongo")),
            ("REDIS_URL", Store::State, self.redis_url.is_some() && !cfg!(feature = "redis")),
            ("SCYLLA_HOSTS", Store::Events, self.scylla_hosts.is_some() && !cfg!(feature = "scylla")),
            ("KAFKA_BROKERS", Store::Bus, self.kafka_brokers.is_some() && !cfg!(feature = "kafka")),
            ("TIMESCALE_URL", Store::Readings, self.timescale_url.is_some() && !cfg!(feature = "postgres")),
        ];
        let missing: Vec<_> = configured
            .iter()
            .filter(|(_, store, set)| *set && stores.contains(store))
            .map(|(name, ..)| *name)
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            anyhow::bail!(
                "{} is set, but this binary was built without that backend (a cargo feature of homeguard-wiring); unset it to run on the embedded stores",
                missing.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_embedded_on_8080() {
        let c = Config::try_parse_from(["x"]).unwrap();
        assert_eq!(c.port, 8080);
        assert!(c.seed_demo);
        assert!(c.check_backends(Store::ALL).is_ok());
    }

    #[test]
    fn the_default_build_has_every_backend() {
        let c = Config::try_parse_from([
            "x",
            "--postgres-url=postgres://p",
            "--mongo-url=mongodb://m",
            "--redis-url=redis://r",
            "--scylla-hosts=s:9042",
            "--kafka-brokers=k:9092",
            "--timescale-url=postgres://t",
        ])
        .unwrap();
        assert!(c.check_backends(Store::ALL).is_ok());
    }

    #[test]
    fn kafka_client_settings_are_key_value_pairs() {
        let c = Config::try_parse_from(["x", "--kafka-client-config", "fetch.wait.max.ms=20, linger.ms=0"]).unwrap();
        assert_eq!(
            c.kafka_client_config.0,
            vec![("fetch.wait.max.ms".into(), "20".into()), ("linger.ms".into(), "0".into())]
        );
        assert!(Config::try_parse_from(["x"]).unwrap().kafka_client_config.0.is_empty());
        let e = Config::try_parse_from(["x", "--kafka-client-config", "linger.ms"]).unwrap_err().to_string();
        assert!(e.contains("not key=value"), "{e}");
    }

    #[test]
    fn token_lifetimes_are_bounded() {
        assert!(Config::try_parse_from(["x", "--token-ttl-seconds", "5"]).is_err());
    }
}
