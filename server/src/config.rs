//! Configuration: every setting is a flag with an environment variable, and has a default
//! that runs the product locally (local Postgres, offline provider).

use std::{net::SocketAddr, path::PathBuf};

use clap::Parser;

/// Nexus Forge: type the app you want; a team of AI agents builds it while you watch.
#[derive(Debug, Clone, Parser)]
#[command(name = "nexus-forge", version, about, long_about = None)]
pub struct Config {
    /// Postgres to use. The database is created if it does not exist, and migrated.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/nexus_forge"
    )]
    pub database_url: String,

    /// Address and port to serve the dashboard, the API and /ws on.
    #[arg(long, env = "NF_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Most Postgres connections this process opens.
    #[arg(long, env = "NF_DB_MAX_CONNECTIONS", default_value_t = 16, value_parser = clap::value_parser!(u32).range(2..=500))]
    pub db_max_connections: u32,

    /// Folder with the compiled site (the wasm, JS and CSS made by `cargo leptos build`).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Log filter, in `tracing` syntax (`info`, `server=debug,sqlx=warn`, ...).
    #[arg(long = "log", env = "NF_LOG", default_value = "info,sqlx=warn")]
    pub log: String,

    /// Seconds to let in-flight work finish after SIGINT/SIGTERM before exiting.
    #[arg(long, env = "NF_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// Most tasks this process runs at once.
    #[arg(long, env = "NF_CONCURRENCY", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// Agents this process runs, by name, comma separated; empty means every registered
    /// agent. Agents no process runs stop heartbeating, go offline and get no work.
    #[arg(long, env = "NF_AGENTS", value_delimiter = ',')]
    pub agents: Vec<String>,

    /// Seconds a claimed task's lease lasts; renewed while it runs. When a process dies, its
    /// tasks run again elsewhere after at most this long.
    #[arg(long, env = "NF_LEASE_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub lease_secs: u64,
}

impl Config {
    /// The scheduler settings these flags describe.
    pub fn scheduler(&self) -> orchestrator::scheduler::SchedulerConfig {
        let agents: Vec<String> = self
            .agents
            .iter()
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect();
        orchestrator::scheduler::SchedulerConfig {
            concurrency: self.concurrency as usize,
            lease: std::time::Duration::from_secs(self.lease_secs),
            agents: (!agents.is_empty()).then_some(agents),
            ..Default::default()
        }
    }
}
