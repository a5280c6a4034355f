//! Configuration: every setting is a flag with an environment variable, and has a default
//! that runs the product locally (local Postgres, offline provider).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;
use orchestrator::llm::{
    gemini::GeminiConfig, openai::OpenAiConfig, resilient::RetryConfig, LlmSettings, SecretString,
};

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

    /// Which LLM provider builds use: offline (built in, deterministic, no network), gemini,
    /// or openai (any OpenAI-compatible endpoint: OpenAI, Ollama, llama.cpp, vLLM).
    #[arg(long, env = "NF_LLM_PROVIDER", default_value = "offline")]
    pub llm_provider: String,

    /// Google Gemini API key; enables the gemini provider.
    #[arg(long, env = "GEMINI_API_KEY", hide_env_values = true, value_parser = secret)]
    pub gemini_api_key: Option<SecretString>,

    /// Gemini model.
    #[arg(long, env = "GEMINI_MODEL", default_value = orchestrator::llm::gemini::DEFAULT_MODEL)]
    pub gemini_model: String,

    /// Gemini API base URL.
    #[arg(long, env = "GEMINI_BASE_URL", default_value = orchestrator::llm::gemini::DEFAULT_BASE_URL)]
    pub gemini_base_url: String,

    /// Thinking tokens Gemini may use on models that think (0 turns thinking off).
    #[arg(long, env = "GEMINI_THINKING_BUDGET")]
    pub gemini_thinking_budget: Option<u32>,

    /// OpenAI-compatible base URL, up to /v1 (for example http://127.0.0.1:11434/v1 for Ollama);
    /// setting it or the key enables the openai provider.
    #[arg(long, env = "OPENAI_BASE_URL")]
    pub openai_base_url: Option<String>,

    /// Key for the OpenAI-compatible endpoint (local servers need none).
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true, value_parser = secret)]
    pub openai_api_key: Option<SecretString>,

    /// Model for the OpenAI-compatible endpoint.
    #[arg(long, env = "OPENAI_MODEL", default_value = orchestrator::llm::openai::DEFAULT_MODEL)]
    pub openai_model: String,

    /// Seconds one model call may take.
    #[arg(long, env = "NF_LLM_TIMEOUT_SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub llm_timeout_secs: u64,

    /// Retries of a model call on 429, 5xx, timeouts and connection failures.
    #[arg(long, env = "NF_LLM_MAX_RETRIES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub llm_max_retries: u32,

    /// Milliseconds each offline answer takes, so a build's phases can be watched.
    #[arg(long, env = "NF_OFFLINE_DELAY_MS", default_value_t = 250)]
    pub offline_delay_ms: u64,
}

fn secret(s: &str) -> Result<SecretString, String> {
    Ok(SecretString::new(s.trim()))
}

impl Config {
    /// The LLM settings these flags describe.
    pub fn llm(&self) -> LlmSettings {
        let timeout = Duration::from_secs(self.llm_timeout_secs);
        let gemini = self
            .gemini_api_key
            .clone()
            .filter(|k| !k.is_empty())
            .map(|api_key| GeminiConfig {
                base_url: self.gemini_base_url.clone(),
                api_key,
                model: self.gemini_model.clone(),
                thinking_budget: self.gemini_thinking_budget,
                timeout,
            });
        let key = self.openai_api_key.clone().filter(|k| !k.is_empty());
        let openai = (self.openai_base_url.is_some() || key.is_some()).then(|| OpenAiConfig {
            base_url: self
                .openai_base_url
                .clone()
                .unwrap_or_else(|| orchestrator::llm::openai::DEFAULT_BASE_URL.into()),
            api_key: key.unwrap_or_default(),
            model: self.openai_model.clone(),
            timeout,
        });
        LlmSettings {
            default_provider: self.llm_provider.clone(),
            gemini,
            openai,
            offline_delay: Duration::from_millis(self.offline_delay_ms),
            retry: RetryConfig {
                max_retries: self.llm_max_retries,
                ..Default::default()
            },
            ..Default::default()
        }
    }

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
            lease: Duration::from_secs(self.lease_secs),
            agents: (!agents.is_empty()).then_some(agents),
            ..Default::default()
        }
    }
}
