//! Connecting to Postgres: create the database when it is missing, open a pool, run the
//! migrations embedded from `migrations/`. Several processes may start on one fresh
//! database at once: a lost race to create it is fine, and sqlx's migrator holds an
//! advisory lock while it migrates, so each migration runs once. Errors are one line for a
//! person ("cannot reach Postgres at 127.0.0.1:5432: connection refused"), never a panic.

use std::{str::FromStr, time::Duration};

use sqlx::{
    migrate::MigrateDatabase,
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool, Postgres,
};

/// The migrations in `migrations/`, embedded at compile time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// `postgres://user@host:port/database`.
    pub url: String,
    /// Most connections in the pool.
    pub max_connections: u32,
    /// How long to wait for a free connection (or a new one) before failing.
    pub acquire_timeout: Duration,
    /// How long one statement may run (Postgres `statement_timeout`).
    pub statement_timeout: Duration,
}

/// A start-up failure, already phrased for a person.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(pub String);

fn describe(url: &str) -> String {
    PgConnectOptions::from_str(url)
        .map(|o| {
            format!(
                "Postgres at {}:{} (database {})",
                o.get_host(),
                o.get_port(),
                o.get_database().unwrap_or("<default>")
            )
        })
        .unwrap_or_else(|_| "Postgres".into())
}

fn root_cause(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => io.to_string(),
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    }
}

/// Creates the database if needed, connects a pool and applies pending migrations.
///
/// # Errors
/// [`ConnectError`] with one line naming the server and the cause.
pub async fn connect_and_migrate(cfg: &DbConfig) -> Result<PgPool, ConnectError> {
    if !(cfg.url.starts_with("postgres://") || cfg.url.starts_with("postgresql://")) {
        return Err(ConnectError(
            "DATABASE_URL must be a postgres:// or postgresql:// URL".into(),
        ));
    }
    let opts = PgConnectOptions::from_str(&cfg.url)
        .map_err(|e| ConnectError(format!("DATABASE_URL is not a valid Postgres URL: {e}")))?
        .options([("statement_timeout", format!("{}ms", cfg.statement_timeout.as_millis()))]);
    let target = describe(&cfg.url);

    let exists = Postgres::database_exists(&cfg.url)
        .await
        .map_err(|e| ConnectError(format!("cannot reach {target}: {}", root_cause(&e))))?;
    if !exists {
        tracing::info!("creating the database for {target}");
        if let Err(e) = Postgres::create_database(&cfg.url).await {
            // Another process starting at the same moment may have made it first (Postgres
            // then says 42P04, or 23505 on its catalogue): fine, as long as it is there now.
            if !Postgres::database_exists(&cfg.url).await.unwrap_or(false) {
                return Err(ConnectError(format!(
                    "cannot create the database on {target}: {}",
                    root_cause(&e)
                )));
            }
        }
    }

    let pool = PgPoolOptions::new()
        .max_connections(cfg.max_connections)
        .acquire_timeout(cfg.acquire_timeout)
        .connect_with(opts)
        .await
        .map_err(|e| ConnectError(format!("cannot connect to {target}: {}", root_cause(&e))))?;

    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| ConnectError(format!("cannot migrate {target}: {e}")))?;
    Ok(pool)
}

/// Whether the database answers a trivial query within `timeout`.
///
/// # Errors
/// The reason it does not, for `/healthz`.
pub async fn ping(pool: &PgPool, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, crate::store::status::ping(pool)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(root_cause(&e)),
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}
