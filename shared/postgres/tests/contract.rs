//! The users and sessions contract, run against a real PostgreSQL: the
//! server of `HOMEGUARD_TEST_POSTGRES_URL`, or the one this machine kind
//! runs on 127.0.0.1:5432. Each test works in a database of its own, made
//! and dropped here, so runs never see each other's rows or migrations.

use homeguard_ports::contract;
use homeguard_postgres::PgStore;
use sqlx::Connection;

fn server() -> String {
    std::env::var("HOMEGUARD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh database on the test server; dropped when the guard goes.
struct TempDb {
    name: String,
    url: String,
}

impl TempDb {
    async fn new() -> Self {
        let server = server();
        let mut admin = sqlx::PgConnection::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {server} is needed for these tests: {e}"));
        let name = format!("hg_contract_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
        let base = server.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(server);
        Self { url: format!("{base}/{name}"), name }
    }

    async fn drop_it(self) {
        let mut admin = sqlx::PgConnection::connect(&server()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn postgres_users_and_sessions() {
    let db = TempDb::new().await;
    let store = PgStore::open(&db.url).await.unwrap();
    contract::users::run(&store, &store).await;
    store.pool().close().await;
    db.drop_it().await;
}

#[tokio::test]
async fn postgres_alarm() {
    let db = TempDb::new().await;
    let store = PgStore::open(&db.url).await.unwrap();
    contract::homes::run_alarm(&store).await;
    store.pool().close().await;
    db.drop_it().await;
}

#[tokio::test]
async fn postgres_migrations_run_twice_and_keep_data() {
    let db = TempDb::new().await;
    let store = PgStore::open(&db.url).await.unwrap();
    contract::users::run(&store, &store).await;
    let before = homeguard_ports::UserStore::list(&store).await.unwrap();
    store.pool().close().await;
    let again = PgStore::open(&db.url).await.unwrap();
    assert_eq!(homeguard_ports::UserStore::list(&again).await.unwrap(), before);
    again.pool().close().await;
    db.drop_it().await;
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_not_a_crash() {
    let store = PgStore::connect_lazy("postgres://postgres@127.0.0.1:1/none").unwrap();
    let err = homeguard_ports::UserStore::health(&store).await.unwrap_err();
    assert!(matches!(err, homeguard_ports::StoreError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn postgres_readings_partitioned_with_a_maintained_rollup() {
    let db = TempDb::new().await;
    let store = homeguard_postgres::PgReadingStore::open(&db.url).await.unwrap();
    assert_eq!(store.mode(), homeguard_postgres::Mode::Partitioned, "plain PostgreSQL has no TimescaleDB here");
    contract::readings::run(&store).await;
    // Retention dropped whole days' partitions and kept the rest.
    let parts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'sensor_readings'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert!(parts >= 1, "today's partition stays");

    // The maintained rollup agrees with the raw readings, also after a cut
    // through the middle of an hour.
    use chrono::{Duration, DurationRound, Utc};
    use homeguard_ports::{Reading, ReadingQuery, ReadingStore};
    let (user, device) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let hour = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::hours(5);
    let at = |m: i64, v: f64| Reading {
        time: hour + Duration::minutes(m),
        device_id: device,
        user_id: user,
        reading_type: "temperature".into(),
        value: v,
        unit: None,
    };
    let batch = [at(0, 70.0), at(20, 72.0), at(40, 74.0), at(70, 71.0), at(20, 99.0)];
    assert_eq!(store.append(&batch).await.unwrap(), 4, "the same time twice counts once, in one batch too");
    let q =
        ReadingQuery { user_id: user, device_id: None, reading_type: None, from: hour, to: hour + Duration::hours(3) };
    let r = store.hourly(&q).await.unwrap();
    assert_eq!((r[0].count, r[0].avg, r[0].min, r[0].max), (3, 72.0, 70.0, 74.0));
    store.delete_before(hour + Duration::minutes(30)).await.unwrap();
    let r = store.hourly(&q).await.unwrap();
    assert_eq!((r[0].count, r[0].avg, r[0].min, r[0].max), (1, 74.0, 74.0, 74.0), "the cut hour is recounted");
    assert_eq!((r[1].count, r[1].avg), (1, 71.0));
    store.pool().close().await;
    db.drop_it().await;
}

/// Runs only where a TimescaleDB server is given (none can run here):
/// `docker run -d -p 5433:5432 -e POSTGRES_PASSWORD=pw timescale/timescaledb:latest-pg16`, then
/// `HOMEGUARD_TEST_TIMESCALE_URL=postgres://postgres:pw@127.0.0.1:5433/postgres cargo test -p homeguard-postgres`.
#[tokio::test]
#[ignore = "needs a TimescaleDB server (none can run here): set HOMEGUARD_TEST_TIMESCALE_URL and run with --ignored"]
async fn timescale_readings_on_a_hypertable() {
    let url = std::env::var("HOMEGUARD_TEST_TIMESCALE_URL").expect("HOMEGUARD_TEST_TIMESCALE_URL");
    let store = homeguard_postgres::PgReadingStore::open(&url).await.unwrap();
    assert_eq!(store.mode(), homeguard_postgres::Mode::Timescale);
    contract::readings::run(&store).await;
}
