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
