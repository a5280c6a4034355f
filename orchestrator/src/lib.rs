//! Starri, Nexus Forge's orchestrator: everything that does I/O except HTTP.
//!
//! # Layout
//! - [`db`]: connect (creating the database if missing) and migrate.
//! - [`store`]: all SQL, one module per area.
//! - [`bus`]: the in-process event bus, fed from Postgres LISTEN/NOTIFY.
//! - [`scheduler`]: claims, runs and completes tasks durably; housekeeping.
//! - [`planner`]: descriptions to task DAGs.
//! - [`clock`]: the time every scheduling decision uses.

//! - [`llm`]: LLM providers (Gemini, OpenAI-compatible, offline) with retries and a breaker.
//! - [`pipeline`]: the build pipeline, prompt to packaged app.
//! - [`Orchestrator`]: the one handle the server and the server functions call; cheap to
//!   clone. REST handlers and server functions are two doors onto these methods.
//!
//! Dependencies point down only: `domain` <- `orchestrator` <- `app`/`server`. Nothing here
//! knows about axum or Leptos.
#![warn(missing_docs)]

pub mod bus;
pub mod clock;
pub mod db;
pub mod error;

pub mod llm;
pub mod pipeline;
pub mod planner;
pub mod scheduler;
pub mod store;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use domain::{
    agent::RegisterAgentRequest,
    api::{
        AgentView, DecomposeRequest, DecomposeResponse, Decomposition, EventsPage, OrchestratorStatus, Subtask,
        TaskCounts, WorkflowSummary, WorkflowView,
    },
    dag,
    event::CoordinationEvent,
    ids::{UserId, WorkflowId},
    status::{ExecutionMode, WorkflowStatus},
};
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use crate::error::{Error, Result};
use crate::{
    bus::EventBus,
    clock::{Clock, SystemClock},
    planner::{Planner, RulePlanner},
    scheduler::{Handlers, Scheduler, SchedulerConfig},
    store::{
        events::EventFilter,
        workflows::{NewWorkflow, TaskLimits},
    },
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
            }),
        }
    }
}

/// The handlers every orchestrator starts with: `noop`, `generic` and the build pipeline's.
pub fn default_handlers() -> Handlers {
    let mut h = Handlers::new();
    h.insert("noop", scheduler::handler::noop);
    h.insert("generic", generic_task);
    pipeline::register(&mut h);
    h
}

/// The `generic` task (what `decompose` plans): the agent's model writes a short work note
/// for the subtask (offline: a deterministic note that says so).
async fn generic_task(ctx: scheduler::TaskContext) -> std::result::Result<serde_json::Value, scheduler::TaskError> {
    let t = &ctx.task;
    let Some(provider) = ctx.orchestrator.providers().get(t.agent.provider.as_deref()) else {
        return Err(scheduler::TaskError::Fatal(format!(
            "agent {} wants the provider {:?}, which is not configured",
            t.agent.name, t.agent.provider
        )));
    };
    let req = llm::LlmRequest {
        system: pipeline_prompt_generic().into(),
        messages: vec![llm::Message::user(format!(
            "Subtask: {}\nInput: {}",
            t.description, t.input
        ))],
        json: false,
        max_tokens: 800,
        temperature: 0.3,
        model: t.agent.model.clone(),
        purpose: "generic".into(),
        context: serde_json::json!({ "description": t.description, "agent": t.agent.name }),
    };
    let answer = tokio::select! {
        r = provider.complete(&req) => r,
        _ = ctx.cancel.cancelled() => return Err(scheduler::TaskError::Retryable("stopped".into())),
    };
    match answer {
        Ok(r) => Ok(
            serde_json::json!({ "agent": t.agent.name, "provider": provider.name(), "model": r.model, "summary": r.text, "tokens": r.usage.total() }),
        ),
        Err(e) if e.is_retryable() => Err(scheduler::TaskError::Retryable(e.to_string())),
        Err(e) => Err(scheduler::TaskError::Fatal(e.to_string())),
    }
}

fn pipeline_prompt_generic() -> &'static str {
    pipeline::GENERIC_PROMPT
}

/// Longest page of events one request may ask for.
pub const MAX_EVENTS_PAGE: i64 = 1000;

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

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
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

    /// Every agent with its live state.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_agents(&self) -> Result<Vec<AgentView>> {
        store::agents::list(&self.inner.pool).await
    }

    /// Validates and stores an agent; it comes online at this process's next heartbeat.
    ///
    /// # Errors
    /// [`Error::Validation`] naming every bad field; [`Error::Conflict`] for a taken name.
    pub async fn register_agent(&self, req: &RegisterAgentRequest, owner: UserId) -> Result<AgentView> {
        let spec = req.validate()?;
        let mut tx = self.inner.pool.begin().await?;
        let id = store::agents::register(&mut tx, &spec, owner).await?;
        tx.commit().await?;
        // Heartbeat now so the new agent is usable at once rather than at the next beat.
        if self.inner.scheduler.config.agents.is_none() {
            let mut tx = self.inner.pool.begin().await?;
            store::agents::heartbeat(
                &mut tx,
                Some(&[id]),
                &self.inner.scheduler.config.worker_name,
                self.now(),
            )
            .await?;
            tx.commit().await?;
            self.wake_scheduler();
        }
        store::agents::get(&self.inner.pool, id).await
    }

    /// Plans `req` into a workflow, validates the DAG and stores it (status `pending`).
    ///
    /// # Errors
    /// [`Error::BadRequest`] for an empty description or bad constraints;
    /// [`Error::Validation`] when the plan is not a valid DAG.
    pub async fn decompose(&self, req: &DecomposeRequest, owner: UserId) -> Result<DecomposeResponse> {
        if req.description.chars().count() > 20_000 {
            return Err(Error::BadRequest("description may be at most 20,000 characters".into()));
        }
        if req.requirements.len() > 100 {
            return Err(Error::BadRequest("at most 100 requirements are allowed".into()));
        }
        let limits = constraint_limits(&req.constraints)?;
        let plan = self.inner.planner.plan(req)?;
        let dag = dag::validate(plan.tasks)
            .map_err(|e| Error::BadRequest(format!("the plan is not a valid task graph: {e}")))?;
        let strategy = if dag.max_width() > 1 {
            ExecutionMode::Parallel
        } else {
            ExecutionMode::Sequential
        };

        let agents = self.list_agents().await?;
        let mut required_agents: Vec<String> = Vec::new();
        let mut uncovered = 0;
        for t in dag.tasks() {
            let able: Vec<&AgentView> = agents
                .iter()
                .filter(|a| t.required_capabilities.iter().all(|c| a.capabilities.contains(c)))
                .collect();
            if able.is_empty() {
                uncovered += 1;
            }
            // The least-loaded capable agent is the one the scheduler would pick first.
            if let Some(a) = able.iter().min_by_key(|a| (a.current_load, a.name.clone())) {
                if !required_agents.contains(&a.name) {
                    required_agents.push(a.name.clone());
                }
            }
        }
        let confidence = if uncovered > 0 {
            plan.confidence * 0.5
        } else {
            plan.confidence
        };

        let mut tx = self.inner.pool.begin().await?;
        let workflow_id = store::workflows::create(
            &mut tx,
            NewWorkflow {
                owner_id: owner,
                build_id: None,
                name: plan.name,
                description: req.description.trim().to_owned(),
                requirements: req.requirements.clone(),
                constraints: serde_json::Value::Object(req.constraints.clone()),
                execution_strategy: strategy,
                confidence: Some(confidence),
                max_duration: limits.max_duration,
                limits: limits.task,
                dag: &dag,
            },
        )
        .await?;
        tx.commit().await?;

        let subtasks = dag
            .topological_order()
            .map(|i| {
                let t = &dag.tasks()[i];
                Subtask {
                    id: t.id.clone(),
                    description: t.description.clone(),
                    dependencies: t.dependencies.clone(),
                    required_capabilities: t.required_capabilities.clone(),
                    estimated_duration: t.estimated_duration,
                    kind: t.kind.clone(),
                }
            })
            .collect();
        Ok(DecomposeResponse {
            workflow_id,
            decomposition: Decomposition {
                subtasks,
                critical_path: dag.critical_path().into_iter().map(str::to_owned).collect(),
                estimated_duration: dag.critical_path_duration(),
                levels: dag.depth(),
            },
            execution_strategy: strategy,
            required_agents,
            confidence,
        })
    }

    /// Stores a workflow made elsewhere (tests, the build pipeline, benchmarks).
    ///
    /// # Errors
    /// Database errors.
    pub async fn create_workflow(&self, new: NewWorkflow<'_>) -> Result<WorkflowId> {
        let mut tx = self.inner.pool.begin().await?;
        let id = store::workflows::create(&mut tx, new).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Starts a pending workflow and returns at once with its state.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] when it is not pending.
    pub async fn execute_workflow(
        &self,
        id: WorkflowId,
        owner: Option<UserId>,
        mode: ExecutionMode,
    ) -> Result<WorkflowView> {
        let mut tx = self.inner.pool.begin().await?;
        store::workflows::start(&mut tx, id, owner, mode, self.now()).await?;
        tx.commit().await?;
        self.wake_scheduler();
        self.get_workflow(id, owner).await
    }

    /// Cancels a workflow: pending tasks now, running ones as soon as their workers hear.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] when it has already finished.
    pub async fn cancel_workflow(&self, id: WorkflowId, owner: Option<UserId>) -> Result<WorkflowView> {
        let mut tx = self.inner.pool.begin().await?;
        store::workflows::stop(
            &mut tx,
            id,
            owner,
            WorkflowStatus::Cancelled,
            "cancelled on request",
            self.now(),
        )
        .await?;
        tx.commit().await?;
        self.inner.scheduler.cancel_local(id);
        self.get_workflow(id, owner).await
    }

    /// A workflow with every task.
    ///
    /// # Errors
    /// [`Error::NotFound`]; database errors.
    pub async fn get_workflow(&self, id: WorkflowId, owner: Option<UserId>) -> Result<WorkflowView> {
        let mut conn = self.inner.pool.acquire().await?;
        store::workflows::get(&mut conn, id, owner).await
    }

    /// A page of workflows, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_workflows(
        &self,
        owner: Option<UserId>,
        before: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<WorkflowSummary>> {
        store::workflows::list(&self.inner.pool, owner, before, limit.clamp(1, 200)).await
    }

    /// The newest `limit` coordination events, oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn recent_events(&self, limit: i64) -> Result<Vec<CoordinationEvent>> {
        store::events::page(&self.inner.pool, &Default::default(), limit).await
    }

    /// A page of events matching `filter`.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for a limit outside 1 to [`MAX_EVENTS_PAGE`].
    pub async fn events(&self, filter: &EventFilter, limit: i64) -> Result<EventsPage> {
        if !(1..=MAX_EVENTS_PAGE).contains(&limit) {
            return Err(Error::BadRequest(format!(
                "limit must be from 1 to {MAX_EVENTS_PAGE}, not {limit}"
            )));
        }
        let events = store::events::page(&self.inner.pool, filter, limit).await?;
        let next_since = (events.len() as i64 == limit && filter.since.is_some())
            .then(|| events.last().map(|e| e.id))
            .flatten();
        Ok(EventsPage { events, next_since })
    }

    /// Agents, workflows and tasks by state, queue depth, and throughput and latency over
    /// the last `window`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn status(&self, window: Duration) -> Result<OrchestratorStatus> {
        let pool = &self.inner.pool;
        let now = self.now();
        // language=PostgreSQL
        let (agents_registered, agents_active): (i64, i64) =
            sqlx::query_as("select count(*), count(*) filter (where status <> 'offline') from agent_states")
                .fetch_one(pool)
                .await?;
        // language=PostgreSQL
        let workflows: std::collections::BTreeMap<String, i64> =
            sqlx::query_as::<_, (String, i64)>("select status, count(*) from workflows group by status")
                .fetch_all(pool)
                .await?
                .into_iter()
                .collect();
        // language=PostgreSQL
        let by_state: Vec<(String, i64)> = sqlx::query_as("select state, count(*) from tasks group by state")
            .fetch_all(pool)
            .await?;
        let mut tasks = TaskCounts::default();
        for (state, n) in by_state {
            match state.as_str() {
                "pending" => tasks.pending = n,
                "ready" => tasks.ready = n,
                "running" => tasks.running = n,
                "succeeded" => tasks.succeeded = n,
                "failed" => tasks.failed = n,
                "cancelled" => tasks.cancelled = n,
                "skipped" => tasks.skipped = n,
                _ => {}
            }
            tasks.total += n;
        }
        // language=PostgreSQL
        let queue_depth: i64 = sqlx::query_scalar("select count(*) from tasks where state = 'ready' and run_at <= $1")
            .bind(now)
            .fetch_one(pool)
            .await?;
        let since = Utc::now() - chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
        let task_duration_ms = store::metrics::percentiles(pool, "task.duration", since).await?;
        let queue_wait_ms = store::metrics::percentiles(pool, "task.queue_wait", since).await?;
        let window_secs = window.as_secs().max(1) as i64;
        Ok(OrchestratorStatus {
            agents_registered,
            agents_active,
            workflows,
            tasks,
            queue_depth,
            throughput_per_sec: task_duration_ms.count as f64 / window_secs as f64,
            window_secs,
            task_duration_ms,
            queue_wait_ms,
            at: now,
        })
    }

    /// `metric` bucketed by `bucket_secs` since `since`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn metric_series(
        &self,
        metric: &str,
        since: DateTime<Utc>,
        bucket_secs: i64,
    ) -> Result<Vec<domain::api::MetricPoint>> {
        store::metrics::series(&self.inner.pool, metric, since, bucket_secs).await
    }

    /// Appends an audit entry.
    ///
    /// # Errors
    /// Database errors.
    pub async fn audit(&self, entry: &store::audit::AuditEntry) -> Result<()> {
        store::audit::record(&self.inner.pool, entry).await
    }
}

/// Limits taken from a decomposition's constraints.
struct Limits {
    max_duration: Option<Duration>,
    task: TaskLimits,
}

fn constraint_limits(c: &serde_json::Map<String, serde_json::Value>) -> Result<Limits> {
    let positive = |key: &str, max: u64| -> Result<Option<u64>> {
        match c.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if (1..=max).contains(&n) => Ok(Some(n)),
                _ => Err(Error::BadRequest(format!(
                    "constraints.{key} must be a whole number from 1 to {max}, not {v}"
                ))),
            },
        }
    };
    let mut task = TaskLimits::default();
    if let Some(n) = positive("max_attempts", 100)? {
        task.max_attempts = n as i32;
    }
    if let Some(n) = positive("task_timeout_seconds", 86_400)? {
        task.timeout = Duration::from_secs(n);
    }
    let max_duration = positive("max_duration_seconds", 7 * 86_400)?.map(Duration::from_secs);
    Ok(Limits { max_duration, task })
}
