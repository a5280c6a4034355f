//! Configuration: every setting is a flag with an environment variable, and has a default
//! that runs the product locally (local Postgres, offline provider). API keys are the
//! exception: they come only from the environment or a file (`GEMINI_API_KEY` or
//! `GEMINI_API_KEY_FILE`, `OPENAI_API_KEY` or `OPENAI_API_KEY_FILE`), never from a flag
//! that `ps` would show.
//!
//! The same binary has scripted set-up commands (`nexus-forge admin create-user`,
//! `nexus-forge admin create-token`), which use the same `DATABASE_URL`.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};
use orchestrator::llm::{
    gemini::GeminiConfig, openai::OpenAiConfig, resilient::RetryConfig, LlmSettings, SecretString,
};

pub use crate::telemetry::LogFormat;

/// Nexus Forge: type the app you want; a team of AI agents builds it while you watch.
#[derive(Debug, Clone, Parser)]
#[command(name = "nexus-forge", version, about, long_about = None)]
pub struct Cli {
    /// What to do (without one: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The server's settings.
    #[command(flatten)]
    pub config: Config,
}

/// The binary's commands besides serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Set up people without a browser (migrates the database first if needed).
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// `nexus-forge admin …`.
#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Create an account.
    CreateUser {
        /// The sign-in name (letters, digits, `_`, `.`, `-`).
        #[arg(long)]
        username: String,
        /// A file holding the password (its first line; use `-` for standard input).
        #[arg(long)]
        password_file: PathBuf,
        /// Make the account an admin.
        #[arg(long)]
        admin: bool,
    },
    /// Create an API token for an account and print it (the only line on standard output).
    CreateToken {
        /// Whose token.
        #[arg(long)]
        username: String,
        /// What to call it.
        #[arg(long)]
        name: String,
    },
}

/// Who may connect, from where, and how sessions are kept.
#[derive(Debug, Clone, Args)]
pub struct SecurityConfig {
    /// The address people use to reach this server (`https://forge.example.com`). Requests
    /// for any other host are refused (DNS rebinding), and its origin is the one allowed
    /// to make changes. Without it, only localhost names and the listen address are served.
    #[arg(long, env = "NF_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// More origins allowed to make changes and open /ws (comma separated).
    #[arg(long, env = "NF_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origin: Vec<String>,

    /// Mark session cookies `Secure` (also on when --public-url is https).
    #[arg(long, env = "NF_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Let anyone sign up without an invitation.
    #[arg(long, env = "NF_OPEN_SIGNUP")]
    pub open_signup: bool,

    /// Requests one signed-in person may make per minute.
    #[arg(long, env = "NF_RATE_PER_PERSON", default_value_t = 1200, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_per_person: u32,

    /// Requests one address may make per minute.
    #[arg(long, env = "NF_RATE_PER_IP", default_value_t = 2400, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_per_ip: u32,

    /// Builds one person may start per hour.
    #[arg(long, env = "NF_BUILDS_PER_HOUR", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..))]
    pub builds_per_hour: u32,

    /// Builds one person may have queued or running at once.
    #[arg(long, env = "NF_MAX_CONCURRENT_BUILDS", default_value_t = 4, value_parser = clap::value_parser!(i64).range(1..))]
    pub max_concurrent_builds: i64,

    /// The largest token budget a build may have.
    #[arg(long, env = "NF_MAX_BUILD_TOKENS", default_value_t = 2_000_000)]
    pub max_build_tokens: u64,

    /// The most model calls a build may make.
    #[arg(long, env = "NF_MAX_BUILD_LLM_CALLS", default_value_t = 500)]
    pub max_build_llm_calls: u32,

    /// Wall-clock seconds a build may spend on models (the default and the most a build's
    /// `config.max_seconds` may ask for); after it, the rest of the build uses the offline
    /// generator and completes.
    #[arg(long, env = "NF_BUILD_MAX_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..))]
    pub build_max_secs: u64,

    /// Sign-in attempts one address may make per minute.
    #[arg(long, env = "NF_LOGINS_PER_MINUTE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub logins_per_minute: u32,

    /// /ws connections one person may hold open.
    #[arg(long, env = "NF_WS_PER_PERSON", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    pub ws_per_person: u32,

    /// Seconds a request may take before it is answered 408.
    #[arg(long, env = "NF_REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_secs: u64,

    /// Milliseconds one SQL statement may run (Postgres `statement_timeout`).
    #[arg(long, env = "NF_STATEMENT_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(100..))]
    pub statement_timeout_ms: u64,

    /// Days audit entries are kept.
    #[arg(long, env = "NF_RETAIN_AUDIT_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u64).range(1..))]
    pub retain_audit_days: u64,

    /// Days coordination events are kept.
    #[arg(long, env = "NF_RETAIN_EVENTS_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u64).range(1..))]
    pub retain_events_days: u64,

    /// Days measurements are kept.
    #[arg(long, env = "NF_RETAIN_METRICS_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u64).range(1..))]
    pub retain_metrics_days: u64,

    /// Days the files of a finished build are kept.
    #[arg(long, env = "NF_RETAIN_ARTIFACTS_DAYS", default_value_t = 365, value_parser = clap::value_parser!(u64).range(1..))]
    pub retain_artifacts_days: u64,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            allowed_origin: vec![],
            secure_cookies: false,
            open_signup: false,
            rate_per_person: 1200,
            rate_per_ip: 2400,
            builds_per_hour: 60,
            max_concurrent_builds: 4,
            max_build_tokens: 2_000_000,
            max_build_llm_calls: 500,
            build_max_secs: 900,
            logins_per_minute: 10,
            ws_per_person: 16,
            request_timeout_secs: 30,
            statement_timeout_ms: 30_000,
            retain_audit_days: 365,
            retain_events_days: 365,
            retain_metrics_days: 365,
            retain_artifacts_days: 365,
        }
    }
}

/// The server's settings.
#[derive(Debug, Clone, Args)]
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

    /// Folder with the compiled site (the wasm, JS and CSS made by `scripts/build`).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Log filter, in `tracing` syntax (`info`, `server=debug,sqlx=warn`, ...).
    #[arg(long = "log", env = "NF_LOG", default_value = "info,sqlx=warn")]
    pub log: String,

    /// How log lines are written: `text` for a terminal, `json` (one object per line, with
    /// the request id, build, task and agent as fields) for a log collector.
    #[arg(long, env = "NF_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Also serve `/metrics` on this address, without sign-in, for a Prometheus scraper on a
    /// private network (on the main listener it needs an admin's session or token).
    #[arg(long, env = "NF_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Seconds to let in-flight work finish after SIGINT/SIGTERM before exiting.
    #[arg(long, env = "NF_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// Most tasks this process runs at once.
    #[arg(long, env = "NF_CONCURRENCY", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// Events each /ws connection may fall behind the live feed before it is told to resync
    /// (the size of the process's in-memory event buffer).
    #[arg(long, env = "NF_EVENT_BUFFER", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(16..=1_000_000))]
    pub event_buffer: u32,

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

    /// Google Gemini API key (from `GEMINI_API_KEY` or `GEMINI_API_KEY_FILE` only); enables
    /// the gemini provider.
    #[arg(skip)]
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

    /// Key for the OpenAI-compatible endpoint (from `OPENAI_API_KEY` or
    /// `OPENAI_API_KEY_FILE` only; local servers need none).
    #[arg(skip)]
    pub openai_api_key: Option<SecretString>,

    /// Model for the OpenAI-compatible endpoint.
    #[arg(long, env = "OPENAI_MODEL", default_value = orchestrator::llm::openai::DEFAULT_MODEL)]
    pub openai_model: String,

    /// Seconds a model call may wait for its answer to start (and for a whole answer that
    /// is not streamed). A streamed answer that keeps arriving may take up to five times
    /// this.
    #[arg(long, env = "NF_LLM_TIMEOUT_SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub llm_timeout_secs: u64,

    /// Seconds a streamed answer may go silent, once it has started sending, before the call
    /// fails.
    #[arg(long, env = "NF_LLM_STALL_SECS", default_value_t = orchestrator::llm::openai::DEFAULT_STALL.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub llm_stall_secs: u64,

    /// The context window requests are sized for, in tokens (prompt plus answer). A model
    /// server that reports a smaller one (llama.cpp, Ollama) wins.
    #[arg(long, env = "NF_LLM_CONTEXT_TOKENS", default_value_t = orchestrator::llm::DEFAULT_CONTEXT_TOKENS, value_parser = clap::value_parser!(u32).range(256..))]
    pub llm_context_tokens: u32,

    /// Retries of a model call on 429, 5xx, timeouts and connection failures.
    #[arg(long, env = "NF_LLM_MAX_RETRIES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub llm_max_retries: u32,

    /// Milliseconds each offline answer takes, so a build's phases can be watched.
    #[arg(long, env = "NF_OFFLINE_DELAY_MS", default_value_t = 250)]
    pub offline_delay_ms: u64,

    /// Check every build in a headless browser after it is assembled (`on`), or not (`off`:
    /// each build's `verify` is skipped with a `build.verify_skipped` event).
    #[arg(long, env = "NF_VERIFY", value_enum, default_value_t = Switch::On)]
    pub verify: Switch,

    /// The Chromium executable for the browser check (default: `chromium`,
    /// `chromium-browser` or `google-chrome` on `PATH`; none found skips the check).
    #[arg(long, env = "NF_CHROMIUM")]
    pub chromium: Option<PathBuf>,

    /// Seconds one browser check of one app may take (waiting for a tab included).
    #[arg(long, env = "NF_VERIFY_SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(5..=3600))]
    pub verify_secs: u64,

    /// Apps checked in the browser at once (its tabs); more wait their turn.
    #[arg(long, env = "NF_VERIFY_TABS", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub verify_tabs: u32,

    /// Accounts, origins, limits and retention.
    #[command(flatten)]
    pub security: SecurityConfig,
}

/// A secret from the environment: `NAME`, or the first line of the file `NAME_FILE`.
///
/// # Errors
/// The file is named but cannot be read.
pub fn secret_from_env(name: &str) -> Result<Option<SecretString>, String> {
    if let Ok(path) = std::env::var(format!("{name}_FILE")) {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {name}_FILE ({path}): {e}"))?;
        let line = text.lines().next().unwrap_or("").trim().to_owned();
        return Ok((!line.is_empty()).then(|| SecretString::new(line)));
    }
    Ok(std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .map(SecretString::new))
}

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    /// On.
    On,
    /// Off.
    Off,
}

impl Config {
    /// How builds are checked in a browser.
    pub fn verify(&self) -> orchestrator::verify::VerifySettings {
        use orchestrator::verify::{BrowserChoice, VerifySettings};
        VerifySettings {
            browser: match (self.verify, &self.chromium) {
                (Switch::Off, _) => BrowserChoice::Off,
                (Switch::On, Some(path)) => BrowserChoice::Path(path.clone()),
                (Switch::On, None) => BrowserChoice::Auto,
            },
            tabs: self.verify_tabs as usize,
            time_limit: std::time::Duration::from_secs(self.verify_secs),
        }
    }

    /// Fills in what flags do not carry: the API keys, from the environment or files.
    ///
    /// # Errors
    /// A key file that cannot be read.
    pub fn with_secrets_from_env(mut self) -> Result<Self, String> {
        self.gemini_api_key = secret_from_env("GEMINI_API_KEY")?;
        self.openai_api_key = secret_from_env("OPENAI_API_KEY")?;
        Ok(self)
    }

    /// The rate limits and ceilings the orchestrator enforces.
    pub fn limits(&self) -> orchestrator::LimitSettings {
        let s = &self.security;
        orchestrator::LimitSettings {
            builds_per_hour: s.builds_per_hour,
            max_concurrent_builds: s.max_concurrent_builds,
            logins_per_minute: s.logins_per_minute,
            max_build_tokens: s.max_build_tokens,
            max_build_llm_calls: s.max_build_llm_calls,
            build_max_secs: s.build_max_secs,
        }
    }

    /// How long old rows are kept.
    pub fn retention(&self) -> orchestrator::Retention {
        let days = |d: u64| Duration::from_secs(d.saturating_mul(86_400));
        let s = &self.security;
        orchestrator::Retention {
            audit: days(s.retain_audit_days),
            events: days(s.retain_events_days),
            metrics: days(s.retain_metrics_days),
            artifacts: days(s.retain_artifacts_days),
        }
    }

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
            stall: Duration::from_secs(self.llm_stall_secs),
        });
        LlmSettings {
            default_provider: self.llm_provider.clone(),
            gemini,
            openai,
            offline_delay: Duration::from_millis(self.offline_delay_ms),
            context_tokens: self.llm_context_tokens,
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
