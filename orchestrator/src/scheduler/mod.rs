//! The scheduler: every server process runs one. It claims ready tasks from Postgres, runs
//! them on their handlers under a lease, records outcomes in batches, and does the
//! housekeeping that makes execution durable.
//!
//! # Parts (each a tokio task, all stopped by the shutdown token)
//! - **claimer**: while this process has free slots (`concurrency`), claims up to
//!   `claim_batch` tasks at once (`store::tasks::claim`), spawns each on its handler, and
//!   otherwise sleeps until woken: by a local change, by a `task.ready` event from any
//!   process (LISTEN/NOTIFY through the bus), or by the poll interval.
//! - **executors**: one per running task. The handler runs in its own task (so a panic is an
//!   error, not a crash), bounded by the task's timeout and its cancellation token.
//! - **completer**: takes outcomes from a channel and writes them in batches
//!   (`store::tasks::complete`), retrying on deadlocks and while Postgres is away so no
//!   outcome is lost; then finishes workflows that have no open task left.
//! - **lease keeper**: renews the leases of running tasks every third of the lease; a task
//!   whose lease was lost or whose workflow stopped is told to stop.
//! - **maintenance**: heartbeats the agents this process runs, marks agents with stale
//!   heartbeats offline, requeues tasks whose lease expired (a crashed process's work runs
//!   again elsewhere), times out workflows past their deadline, finishes workflows left
//!   running with nothing to do.
//! - **bus listener**: wakes the claimer on `task.ready`; on `workflow.cancel_requested`
//!   cancels this process's running tasks of that workflow.

pub mod handler;

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use domain::{
    event::EventKind,
    ids::{AgentId, TaskId, WorkflowId},
    retry::RetryPolicy,
};
use tokio::{
    sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore},
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use self::handler::{HandlerFuture, Handlers, TaskContext, TaskError, TaskHandler};
use crate::{
    error::{Error, Result},
    instruments,
    store::{
        self,
        tasks::{ClaimRequest, ClaimedTask, Completion, Outcome},
    },
    Orchestrator,
};

/// How one process schedules.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// This process's name, recorded on the tasks it claims and the agents it heartbeats.
    pub worker_name: String,
    /// Most tasks running at once in this process.
    pub concurrency: usize,
    /// Most tasks claimed in one transaction.
    pub claim_batch: usize,
    /// Most outcomes written in one transaction.
    pub completion_batch: usize,
    /// Lease length; renewed every third of it while the task runs.
    pub lease: Duration,
    /// Longest the claimer sleeps without being woken.
    pub poll_interval: Duration,
    /// How often the maintenance pass runs.
    pub maintenance_interval: Duration,
    /// How often this process heartbeats its agents.
    pub heartbeat_interval: Duration,
    /// An agent whose last heartbeat is older than this is marked offline.
    pub agent_ttl: Duration,
    /// Names of the agents this process runs; `None` for every registered agent.
    pub agents: Option<Vec<String>>,
    /// Backoff between attempts.
    pub retry: RetryPolicy,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            worker_name: default_worker_name(),
            concurrency: 64,
            claim_batch: 64,
            completion_batch: 512,
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(250),
            maintenance_interval: Duration::from_secs(1),
            heartbeat_interval: Duration::from_secs(2),
            agent_ttl: Duration::from_secs(15),
            agents: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// `host-pid-xxxx`: unique enough to tell processes apart in the tables.
pub fn default_worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "nexus".into());
    format!(
        "{host}-{}-{}",
        std::process::id(),
        &Uuid::new_v4().simple().to_string()[..4]
    )
}

struct Running {
    lease_id: Uuid,
    workflow_id: WorkflowId,
    cancel: CancellationToken,
}

/// A finished attempt on its way to the database, holding its slot until it is written.
struct Done {
    completion: Completion,
    /// The task's handler kind, and how long the attempt ran (for `/metrics`).
    kind: String,
    took: Duration,
    _permit: OwnedSemaphorePermit,
}

/// The per-process scheduler state shared by its parts.
pub(crate) struct Scheduler {
    pub(crate) config: SchedulerConfig,
    pub(crate) handlers: Handlers,
    slots: Arc<Semaphore>,
    wake: Notify,
    running: Mutex<HashMap<TaskId, Running>>,
    /// The ids of `config.agents`, resolved once and refreshed at each heartbeat.
    hosted: Mutex<Option<Vec<AgentId>>>,
    /// When this process last pruned old rows (retention).
    last_prune: Mutex<Option<std::time::Instant>>,
}

impl Scheduler {
    pub(crate) fn new(config: SchedulerConfig, handlers: Handlers) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(config.concurrency.max(1))),
            config,
            handlers,
            wake: Notify::new(),
            running: Mutex::new(HashMap::new()),
            hosted: Mutex::new(None),
            last_prune: Mutex::new(None),
        }
    }

    /// Whether a retention sweep is due (one every ten minutes per process).
    fn prune_due(&self) -> bool {
        let mut last = self.last_prune.lock().unwrap_or_else(|e| e.into_inner());
        let due = last.is_none_or(|t| t.elapsed() >= Duration::from_secs(600));
        if due {
            *last = Some(std::time::Instant::now());
        }
        due
    }

    /// Wakes the claimer (new ready tasks, freed slots).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<TaskId, Running>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tells this process's running tasks of `workflow` to stop (other processes hear of it
    /// through the `workflow.cancel_requested` event).
    pub(crate) fn cancel_local(&self, workflow: WorkflowId) -> usize {
        self.cancel_workflow_tasks(workflow)
    }

    fn cancel_workflow_tasks(&self, workflow: WorkflowId) -> usize {
        let running = self.running();
        let mut n = 0;
        for r in running.values().filter(|r| r.workflow_id == workflow) {
            r.cancel.cancel();
            n += 1;
        }
        n
    }

    /// Number of tasks running in this process.
    pub(crate) fn in_flight(&self) -> usize {
        self.running().len()
    }
}

/// Starts every part of the scheduler on `set`.
pub(crate) fn spawn(orch: &Orchestrator, set: &mut JoinSet<()>, shutdown: CancellationToken) {
    let (tx, rx) = mpsc::unbounded_channel::<Done>();
    set.spawn(claimer(orch.clone(), tx, shutdown.clone()));
    set.spawn(completer(orch.clone(), rx, shutdown.clone()));
    set.spawn(lease_keeper(orch.clone(), shutdown.clone()));
    set.spawn(maintenance(orch.clone(), shutdown.clone()));
    set.spawn(bus_listener(orch.clone(), shutdown));
}

/// Rate-limits a repeated failure's log line to one per streak.
#[derive(Default)]
struct Trouble(bool);

impl Trouble {
    fn failed(&mut self, what: &str, e: &Error) {
        if !self.0 {
            tracing::warn!(error.message = %e, "{what} failed; will keep retrying");
            self.0 = true;
        }
    }
    fn ok(&mut self, what: &str) {
        if self.0 {
            tracing::info!("{what} works again");
            self.0 = false;
        }
    }
}

/// The ids of the agents this process runs (`None`: all), from the cache unless `refresh`.
async fn hosted_agents(orch: &Orchestrator, refresh: bool) -> Result<Option<Vec<AgentId>>> {
    let s = orch.scheduler();
    let Some(names) = &s.config.agents else { return Ok(None) };
    if !refresh {
        if let Some(ids) = s.hosted.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(Some(ids));
        }
    }
    let ids = store::agents::ids_by_name(orch.pool(), names).await?;
    *s.hosted.lock().unwrap_or_else(|e| e.into_inner()) = Some(ids.clone());
    Ok(Some(ids))
}

async fn claimer(orch: Orchestrator, done: mpsc::UnboundedSender<Done>, shutdown: CancellationToken) {
    let s = orch.scheduler().clone();
    let mut trouble = Trouble::default();
    let mut backoff = Duration::from_millis(50);
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let free = s.slots.available_permits();
        if free == 0 {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = s.wake.notified() => {}
                _ = tokio::time::sleep(s.config.poll_interval) => {}
            }
            continue;
        }
        let claimed = async {
            if !store::tasks::any_due(orch.pool(), orch.now()).await? {
                return Ok(Vec::new());
            }
            let agents = hosted_agents(&orch, false).await?;
            let mut tx = orch.pool().begin().await?;
            let req = ClaimRequest {
                limit: free.min(s.config.claim_batch),
                lease: s.config.lease,
                worker: &s.config.worker_name,
                agents: agents.as_deref(),
                now: orch.now(),
            };
            let claimed = store::tasks::claim(&mut tx, &req).await?;
            tx.commit().await?;
            Ok::<_, Error>(claimed)
        }
        .await;
        match claimed {
            Ok(tasks) if !tasks.is_empty() => {
                trouble.ok("claiming tasks");
                backoff = Duration::from_millis(50);
                for task in tasks {
                    let permit = match s.slots.clone().try_acquire_owned() {
                        Ok(p) => p,
                        // Cannot happen (we claimed at most `free`); wait rather than overrun.
                        Err(_) => match s.slots.clone().acquire_owned().await {
                            Ok(p) => p,
                            Err(_) => return,
                        },
                    };
                    tokio::spawn(execute(orch.clone(), task, permit, done.clone()));
                }
            }
            Ok(_) => {
                trouble.ok("claiming tasks");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = s.wake.notified() => {}
                    _ = tokio::time::sleep(s.config.poll_interval) => {}
                }
            }
            Err(e) => {
                trouble.failed("claiming tasks", &e);
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

async fn execute(
    orch: Orchestrator,
    task: ClaimedTask,
    permit: OwnedSemaphorePermit,
    done: mpsc::UnboundedSender<Done>,
) {
    let s = orch.scheduler().clone();
    let cancel = CancellationToken::new();
    s.running().insert(
        task.id,
        Running {
            lease_id: task.lease_id,
            workflow_id: task.workflow_id,
            cancel: cancel.clone(),
        },
    );
    let (task_id, lease_id, timeout) = (task.id, task.lease_id, task.timeout);
    let kind = task.kind.clone();
    instruments::task_started(&kind, task.queued_for);
    let started = std::time::Instant::now();
    let outcome = match s.handlers.get(&task.kind) {
        None => Outcome::Failed {
            error: format!("no handler is registered for tasks of kind `{}`", task.kind),
            retryable: false,
        },
        Some(handler) => {
            // Every log line the handler writes carries these (and `--log-format json` shows
            // them as fields).
            let span = tracing::info_span!(
                "task",
                task = %task.id.0,
                build = %task.build_id.map(|b| b.0.to_string()).unwrap_or_default(),
                agent = %task.agent.name,
                kind = %task.kind,
            );
            // One deadline: what the handler is told and when it is stopped.
            let deadline = tokio::time::Instant::now() + timeout;
            let ctx = TaskContext {
                task,
                cancel: cancel.clone(),
                env: orch.task_env(),
                deadline,
            };
            // Its own task: a panicking handler becomes a failed attempt.
            let mut run = tokio::spawn(tracing::Instrument::instrument(handler.run(ctx), span));
            tokio::select! {
                joined = &mut run => match joined {
                    Ok(Ok(output)) => Outcome::Succeeded(output),
                    Ok(Err(TaskError::Retryable(e))) => Outcome::Failed { error: e, retryable: true },
                    Ok(Err(TaskError::Fatal(e))) => Outcome::Failed { error: e, retryable: false },
                    Err(join) => Outcome::Failed { error: format!("the handler crashed: {join}"), retryable: false },
                },
                _ = tokio::time::sleep_until(deadline) => {
                    cancel.cancel();
                    run.abort();
                    Outcome::Failed { error: format!("timed out after {} ms", timeout.as_millis()), retryable: true }
                }
                _ = cancel.cancelled() => {
                    run.abort();
                    Outcome::Cancelled("stopped because its workflow was cancelled or its lease was lost".into())
                }
            }
        }
    };
    let _ = done.send(Done {
        completion: Completion {
            task_id,
            lease_id,
            outcome,
        },
        kind,
        took: started.elapsed(),
        _permit: permit,
    });
}

fn is_retryable_db(e: &Error) -> bool {
    match e {
        Error::Database(sqlx::Error::Database(db)) => matches!(db.code().as_deref(), Some("40P01" | "40001")),
        e => e.is_unavailable(),
    }
}

async fn completer(orch: Orchestrator, mut rx: mpsc::UnboundedReceiver<Done>, shutdown: CancellationToken) {
    let s = orch.scheduler().clone();
    let mut trouble = Trouble::default();
    loop {
        let first = tokio::select! {
            d = rx.recv() => d,
            // Keep writing outcomes of tasks that were already running when shutdown began.
            _ = shutdown.cancelled(), if s.in_flight() == 0 => return,
        };
        let Some(first) = first else { return };
        let mut batch = vec![first];
        while batch.len() < s.config.completion_batch {
            match rx.try_recv() {
                Ok(d) => batch.push(d),
                Err(_) => break,
            }
        }
        let completions: Vec<Completion> = batch.iter().map(|d| d.completion.clone()).collect();
        let mut backoff = Duration::from_millis(20);
        let result = loop {
            let attempt = async {
                let mut tx = orch.pool().begin().await?;
                let out = store::tasks::complete(&mut tx, &completions, &s.config.retry, orch.now()).await?;
                tx.commit().await?;
                Ok::<_, Error>(out)
            }
            .await;
            match attempt {
                Ok(out) => break Some(out),
                Err(e) if is_retryable_db(&e) => {
                    trouble.failed("recording task outcomes", &e);
                    // If shutdown outlasts the grace period the process exits; the leases then
                    // expire and the tasks run again elsewhere, so nothing is lost.
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
                Err(e) => {
                    tracing::error!(error.cause_chain = ?e, error.message = %e, "cannot record task outcomes; their leases will expire and they will run again");
                    break None;
                }
            }
        };
        trouble.ok("recording task outcomes");
        if result.is_some() {
            for d in &batch {
                let outcome = match d.completion.outcome {
                    Outcome::Succeeded(_) => "succeeded",
                    Outcome::Failed { .. } => "failed",
                    Outcome::Cancelled(_) => "cancelled",
                };
                instruments::task_finished(&d.kind, outcome, d.took);
            }
        }
        {
            let mut running = s.running();
            for c in &completions {
                running.remove(&c.task_id);
            }
        }
        drop(batch);
        s.wake();
        if let Some(out) = result {
            if !out.lost.is_empty() {
                tracing::info!(
                    tasks = out.lost.len(),
                    "ignored outcomes of tasks whose lease had been taken over"
                );
            }
            finish_workflows(&orch, out.touched_workflows).await;
        }
    }
}

/// Finishes each of `workflows` that has no open task left.
async fn finish_workflows(orch: &Orchestrator, workflows: HashSet<WorkflowId>) {
    for id in workflows {
        let r = async {
            let mut tx = orch.pool().begin().await?;
            let status = store::workflows::finish_if_done(&mut tx, id, orch.now()).await?;
            tx.commit().await?;
            Ok::<_, Error>(status)
        }
        .await;
        if let Err(e) = r {
            // The maintenance pass finishes it later.
            tracing::debug!(error.message = %e, workflow = %id, "finishing workflow deferred");
        }
    }
}

async fn lease_keeper(orch: Orchestrator, shutdown: CancellationToken) {
    let s = orch.scheduler().clone();
    let mut every = tokio::time::interval((s.config.lease / 3).max(Duration::from_millis(50)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut trouble = Trouble::default();
    loop {
        tokio::select! {
            _ = shutdown.cancelled(), if s.in_flight() == 0 => return,
            _ = every.tick() => {}
        }
        let held: Vec<(TaskId, Uuid)> = s.running().iter().map(|(id, r)| (*id, r.lease_id)).collect();
        if held.is_empty() {
            continue;
        }
        let r = async {
            let mut conn = orch.pool().acquire().await?;
            store::tasks::renew_leases(&mut conn, &held, s.config.lease, orch.now()).await
        }
        .await;
        match r {
            Ok(stop) => {
                trouble.ok("renewing leases");
                let running = s.running();
                for id in stop {
                    if let Some(r) = running.get(&id) {
                        r.cancel.cancel();
                    }
                }
            }
            Err(e) => trouble.failed("renewing leases", &e),
        }
    }
}

async fn maintenance(orch: Orchestrator, shutdown: CancellationToken) {
    let s = orch.scheduler().clone();
    let mut every = tokio::time::interval(s.config.maintenance_interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_beat: Option<tokio::time::Instant> = None;
    let mut trouble = Trouble::default();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let beat = last_beat.is_none_or(|t| t.elapsed() >= s.config.heartbeat_interval);
        match maintain(&orch, beat).await {
            Ok(()) => {
                trouble.ok("maintenance");
                if beat {
                    last_beat = Some(tokio::time::Instant::now());
                }
            }
            Err(e) => trouble.failed("maintenance", &e),
        }
    }
}

/// One maintenance pass (also called directly by tests).
pub(crate) async fn maintain(orch: &Orchestrator, heartbeat: bool) -> Result<()> {
    let s = orch.scheduler();
    let now = orch.now();
    if heartbeat {
        let agents = hosted_agents(orch, true).await?;
        let mut tx = orch.pool().begin().await?;
        store::agents::heartbeat(&mut tx, agents.as_deref(), &s.config.worker_name, now).await?;
        tx.commit().await?;
    }
    {
        let mut tx = orch.pool().begin().await?;
        store::agents::mark_stale_offline(&mut tx, s.config.agent_ttl, now).await?;
        tx.commit().await?;
    }
    let mut touched = HashSet::new();
    loop {
        let mut tx = orch.pool().begin().await?;
        let out = store::tasks::expire_leases(&mut tx, &s.config.retry, now, 500).await?;
        tx.commit().await?;
        let n = out.touched_workflows.len() + out.released + out.lost.len();
        touched.extend(out.touched_workflows);
        if out.released > 0 {
            s.wake();
        }
        if n == 0 {
            break;
        }
        if out.released < 500 {
            break;
        }
    }
    {
        let mut tx = orch.pool().begin().await?;
        let overdue = store::workflows::overdue(&mut tx, now, 100).await?;
        for id in &overdue {
            store::workflows::stop(
                &mut tx,
                *id,
                None,
                domain::status::WorkflowStatus::Timeout,
                "the workflow ran past its deadline",
                now,
            )
            .await?;
        }
        tx.commit().await?;
        for id in overdue {
            s.cancel_workflow_tasks(id);
        }
    }
    touched.extend(store::workflows::done_but_running(orch.pool(), 100).await?);
    {
        let mut conn = orch.pool().acquire().await?;
        store::workflows::cancel_orphans(&mut conn, now).await?;
    }
    if heartbeat {
        let mut tx = orch.pool().begin().await?;
        store::metrics::sample_queue_depth(&mut tx, now, Duration::from_secs(5)).await?;
        tx.commit().await?;
        store::sessions::delete_expired(orch.pool()).await?;
        if s.prune_due() {
            prune(orch, now).await?;
        }
    }
    finish_workflows(orch, touched).await;
    Ok(())
}

/// Deletes rows older than the retention settings keep, and forgets idle rate-limit keys.
pub(crate) async fn prune(orch: &Orchestrator, now: chrono::DateTime<chrono::Utc>) -> Result<u64> {
    let r = orch.retention();
    let ago = |d: Duration| now - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    let cutoffs = store::retention::Cutoffs {
        audit: ago(r.audit),
        events: ago(r.events),
        metrics: ago(r.metrics),
        artifacts: ago(r.artifacts),
    };
    orch.limiters().forget_idle();
    let mut total = 0;
    loop {
        let n = store::retention::prune(orch.pool(), &cutoffs, 5_000).await?;
        total += n;
        if n < 5_000 {
            return Ok(total);
        }
    }
}

async fn bus_listener(orch: Orchestrator, shutdown: CancellationToken) {
    let s = orch.scheduler().clone();
    let mut rx = orch.bus().subscribe();
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => return,
            e = rx.recv() => e,
        };
        match event {
            Ok(e) => match e.kind {
                EventKind::TaskReady | EventKind::TaskRetryScheduled | EventKind::WorkflowStarted => s.wake(),
                EventKind::WorkflowCancelRequested => {
                    if let Some(wf) = e.workflow_id {
                        s.cancel_workflow_tasks(wf);
                    }
                }
                _ => {}
            },
            // Missed events: wake up and let the lease keeper catch cancellations.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => s.wake(),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}
