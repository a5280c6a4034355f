//! Starri, Nexus Forge's orchestrator: everything that does I/O except HTTP.
//!
//! # Layout
//! - [`Orchestrator`] (this file): the one handle the server and the server functions hold,
//!   cheap to clone, and its wiring (builder, background work, default task handlers).
//! - `api`: the calls both doors make (REST and server functions), one module per area
//!   (agents, workflows, builds, events, sessions, status) as `impl Orchestrator` blocks;
//!   every limit and parse rule is applied there, once.
//! - [`db`]: connect (creating the database if missing) and migrate.
//! - [`store`]: all SQL, one module per table family.
//! - [`bus`]: the in-process event bus, fed from Postgres LISTEN/NOTIFY.
//! - [`scheduler`]: claims, runs and completes tasks durably; housekeeping.
//! - [`planner`]: descriptions to task DAGs.
//! - [`clock`]: the time every scheduling decision uses.
//! - [`llm`]: LLM providers (Gemini, OpenAI-compatible, offline) with retries and a breaker;
//!   requests sized for the model's context, streaming with a stall clock, health probes.
//! - [`pipeline`]: the build pipeline's task handlers, prompt to packaged app (the pure
//!   parts, analysis and files, are the `generator` crate's).
//! - [`verify`]: the browser check of an assembled app (headless Chromium over CDP).
//! - `diff`: how a revision's files differ from its parent's (unified diffs).
//! - `generic`: the handler of `generic` tasks (what `decompose` plans).
//! - `instruments`: the counters and timings `/metrics` shows (through the `metrics` facade).
//!
//! Dependencies point down only: `domain` <- `generator` <- `orchestrator` <- `app`/`server`.
//! Nothing here knows about axum or Leptos. Task handlers get a narrow
//! [`scheduler::TaskContext`], never the whole orchestrator.
#![warn(missing_docs)]

pub mod actor;
mod api;
pub mod bus;
pub mod clock;
pub mod db;
mod diff;
pub mod error;
mod generic;
pub(crate) mod instruments;
pub mod limits;
pub mod llm;
pub mod pipeline;
pub mod planner;
pub mod scheduler;
pub mod store;
pub mod verify;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use crate::{
    actor::{Actor, Client, Credential},
    api::{visible_to, AccountSettings, Gauges, SessionRecord, IDENTITY_FRESH, STATUS_FRESH},
    error::{Error, Result},
    limits::LimitSettings,
    store::audit::AuditEntry,
};
use crate::{
    bus::EventBus,
    clock::{Clock, SystemClock},
    limits::Limiters,
    planner::{Planner, RulePlanner},
    scheduler::{handler::TaskEnv, Handlers, Scheduler, SchedulerConfig},
};

/// The orchestrator handle: a cheap clone around shared state.
#[derive(Clone)]
pub struct Orchestrator {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    bus: EventBus,
    clock: Arc<dyn Clock>,
    planner: Arc<dyn Planner>,
    scheduler: Arc<Scheduler>,
    providers: llm::Providers,
    accounts: AccountSettings,
    limiters: Limiters,
    retention: Retention,
    /// The key that signs preview links, loaded (or made) on first use.
    preview_key: tokio::sync::OnceCell<Vec<u8>>,
    /// The last status computed (`api::status`): one computation at a time, reused while fresh.
    status_snapshot: api::StatusSnapshot,
    /// Tokens, sessions and people recently looked up (`api::identity_cache`).
    identities: api::Identities,
    /// The browser check's shared browser and tab pool.
    verifier: Arc<verify::Verifier>,
}

/// How long old rows are kept before the maintenance pass deletes them.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Audit entries.
    pub audit: Duration,
    /// Coordination events.
    pub events: Duration,
    /// Measurements.
    pub metrics: Duration,
    /// Files and zips of finished builds.
    pub artifacts: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        let year = Duration::from_secs(365 * 86_400);
        Self {
            audit: year,
            events: year,
            metrics: year,
            artifacts: year,
        }
    }
}

/// Builds an [`Orchestrator`].
pub struct OrchestratorBuilder {
    pool: PgPool,
    clock: Arc<dyn Clock>,
    planner: Arc<dyn Planner>,
    scheduler: SchedulerConfig,
    handlers: Handlers,
    bus_capacity: usize,
    providers: Option<llm::Providers>,
    accounts: AccountSettings,
    limits: LimitSettings,
    retention: Retention,
    verify: verify::VerifySettings,
}

impl OrchestratorBuilder {
    /// Uses `clock` for every scheduling decision (tests: `ManualClock`).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Uses `planner` for `decompose`.
    pub fn planner(mut self, planner: impl Planner) -> Self {
        self.planner = Arc::new(planner);
        self
    }

    /// Scheduler settings.
    pub fn scheduler(mut self, config: SchedulerConfig) -> Self {
        self.scheduler = config;
        self
    }

    /// Registers a task handler for `kind` (replacing the default one, if any).
    pub fn handler(mut self, kind: &str, handler: impl scheduler::TaskHandler) -> Self {
        self.handlers.insert(kind, handler);
        self
    }

    /// The LLM providers (default: only the offline one, answering at once).
    pub fn providers(mut self, providers: llm::Providers) -> Self {
        self.providers = Some(providers);
        self
    }

    /// Sign-up rules.
    pub fn accounts(mut self, accounts: AccountSettings) -> Self {
        self.accounts = accounts;
        self
    }

    /// Rate limits and ceilings.
    pub fn limits(mut self, limits: LimitSettings) -> Self {
        self.limits = limits;
        self
    }

    /// How long old rows are kept.
    pub fn retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// How builds are checked in a browser (default: Chromium from `PATH` when there is one).
    pub fn verify(mut self, settings: verify::VerifySettings) -> Self {
        self.verify = settings;
        self
    }

    /// How far a bus subscriber may fall behind before it must resync.
    pub fn bus_capacity(mut self, capacity: usize) -> Self {
        self.bus_capacity = capacity;
        self
    }

    /// The orchestrator. Nothing runs until [`Orchestrator::spawn_background`].
    pub fn build(self) -> Orchestrator {
        Orchestrator {
            inner: Arc::new(Inner {
                pool: self.pool,
                bus: EventBus::new(self.bus_capacity),
                clock: self.clock,
                planner: self.planner,
                scheduler: Arc::new(Scheduler::new(self.scheduler, self.handlers)),
                providers: self
                    .providers
                    .unwrap_or_else(|| llm::Providers::offline(Duration::ZERO)),
                accounts: self.accounts,
                limiters: Limiters::new(self.limits),
                retention: self.retention,
                preview_key: tokio::sync::OnceCell::new(),
                status_snapshot: Default::default(),
                identities: Default::default(),
                verifier: Arc::new(verify::Verifier::new(self.verify)),
            }),
        }
    }
}

/// The handlers every orchestrator starts with: `noop`, `generic` and the build pipeline's.
pub fn default_handlers() -> Handlers {
    let mut h = Handlers::new();
    h.insert("noop", scheduler::handler::noop);
    h.insert("generic", generic::run);
    pipeline::register(&mut h);
    h
}

impl Orchestrator {
    /// A builder with the system clock, the rule planner, default scheduler settings and the
    /// default handlers.
    pub fn builder(pool: PgPool) -> OrchestratorBuilder {
        OrchestratorBuilder {
            pool,
            clock: Arc::new(SystemClock),
            planner: Arc::new(RulePlanner),
            scheduler: SchedulerConfig::default(),
            handlers: default_handlers(),
            bus_capacity: 4096,
            providers: None,
            accounts: AccountSettings::default(),
            limits: LimitSettings::default(),
            retention: Retention::default(),
            verify: verify::VerifySettings::default(),
        }
    }

    /// An orchestrator with every default.
    pub fn new(pool: PgPool) -> Self {
        Self::builder(pool).build()
    }

    /// Starts this process's background work (event bridge, scheduler); it stops when
    /// `shutdown` is cancelled and the returned set is drained.
    pub fn spawn_background(&self, shutdown: CancellationToken) -> JoinSet<()> {
        let mut set = JoinSet::new();
        set.spawn(
            self.inner
                .bus
                .clone()
                .run_bridge(self.inner.pool.clone(), shutdown.clone()),
        );
        scheduler::spawn(self, &mut set, shutdown);
        set
    }

    /// The connection pool: for the store, inside this crate only.
    pub(crate) fn pool(&self) -> &PgPool {
        &self.inner.pool
    }

    /// This process's event bus.
    pub fn bus(&self) -> &EventBus {
        &self.inner.bus
    }

    /// The time, by this orchestrator's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub(crate) fn scheduler(&self) -> &Arc<Scheduler> {
        &self.inner.scheduler
    }

    pub(crate) fn limiters(&self) -> &Limiters {
        &self.inner.limiters
    }

    pub(crate) fn retention(&self) -> &Retention {
        &self.inner.retention
    }

    pub(crate) fn planner(&self) -> &dyn Planner {
        self.inner.planner.as_ref()
    }

    /// What task handlers get besides their task.
    pub(crate) fn task_env(&self) -> TaskEnv {
        TaskEnv {
            pool: self.inner.pool.clone(),
            clock: self.inner.clock.clone(),
            providers: self.inner.providers.clone(),
            verifier: self.inner.verifier.clone(),
        }
    }

    /// Stops the browser check's browser and closes the connection pool (at shutdown,
    /// after the background work has stopped).
    pub async fn close(&self) {
        self.inner.verifier.shutdown().await;
        self.inner.pool.close().await;
    }

    /// The LLM providers.
    pub fn providers(&self) -> &llm::Providers {
        &self.inner.providers
    }

    /// Runs one maintenance pass now (heartbeats, expired leases, deadlines); the
    /// scheduler does this every second on its own.
    ///
    /// # Errors
    /// Database errors.
    pub async fn maintain(&self) -> Result<()> {
        scheduler::maintain(self, true).await
    }

    /// Deletes what is older than the retention settings keep, now (the maintenance pass
    /// does this every ten minutes); returns how many rows went.
    ///
    /// # Errors
    /// Database errors.
    pub async fn prune_old(&self) -> Result<u64> {
        scheduler::prune(self, self.now()).await
    }

    /// Wakes this process's claimer (after moving a `ManualClock`, for instance).
    pub fn wake_scheduler(&self) {
        self.inner.scheduler.wake();
    }

    /// Whether Postgres answers within `timeout`.
    ///
    /// # Errors
    /// Why it does not.
    pub async fn ping(&self, timeout: Duration) -> std::result::Result<(), String> {
        db::ping(&self.inner.pool, timeout).await
    }
}
