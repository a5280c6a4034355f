//! The work queue: claiming ready tasks for agents, recording outcomes, renewing and
//! expiring leases. The scheduler calls these; nothing else changes a running task.
//!
//! # Transactions, locks, and timeouts
//! - [`claim`] locks the state rows of the agents it may assign to (in id order), then counts
//!   their running tasks in a separate statement, so the count sees every claim committed
//!   before the lock was granted: an agent never exceeds `max_concurrency`, across any
//!   number of processes. Ready tasks are then taken with `for update skip locked`, only
//!   those some agent with a free slot can run, so a task nobody can run never blocks the
//!   queue behind it.
//! - A running task holds a lease (`lease_id`, `lease_expires_at`). [`complete`] accepts an
//!   outcome only from the current lease holder, so a task completes at most once even if a
//!   slow worker reports after its lease was taken over.
//! - [`complete`] takes a batch: successes are written with a few set-based statements
//!   whatever the batch size, which is what lets one worker process thousands of tasks a
//!   second. Dependents are released in the same transaction.
//! - [`complete`] holds a share lock on the workflows of the tasks it completes, so it
//!   decides "retry" or "cancelled" on the workflow's committed status: a workflow being
//!   stopped at the same moment waits for it (or it for the stop) instead of a retry
//!   resurrecting a task in a workflow that has just finished.
//! - Every status change binds `transition::from` of the new state in its `where`, so only
//!   the transitions `TaskState::can_become` allows can happen; an outcome for a task that
//!   is no longer running is reported back as lost. Claiming, releasing and skipping write
//!   their source state as a literal for the planner and check it with
//!   `transition::written` first.
//! - Concurrent completions in different processes can deadlock on shared dependents;
//!   callers retry the transaction (see `scheduler`), which is safe because nothing was
//!   committed.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use chrono::{DateTime, Utc};
use domain::{
    api::TaskView,
    event::EventKind,
    ids::{AgentId, BuildId, TaskId, UserId, WorkflowId},
    retry::RetryPolicy,
    status::{AgentStatus, Lifecycle, TaskState, WorkflowStatus},
};
use rand::Rng;
use serde_json::json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{
    events::{self, NewEvent, WorkflowRef},
    metrics::{self, NewMetric},
    parse,
    transition::{self, changed},
};
use crate::{
    clock::after,
    error::{Error, Result},
};

/// The agent a task was claimed for.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedAgent {
    /// Its id.
    pub id: AgentId,
    /// Its name.
    pub name: String,
    /// LLM provider, if set.
    pub provider: Option<String>,
    /// Model, if set.
    pub model: Option<String>,
    /// Its configuration object.
    pub configuration: serde_json::Value,
}

/// A task claimed by this process, with what the handler needs.
#[derive(Debug, Clone)]
pub struct ClaimedTask {
    /// Its id.
    pub id: TaskId,
    /// The lease this claim holds; outcomes must quote it.
    pub lease_id: Uuid,
    /// Its workflow.
    pub workflow_id: WorkflowId,
    /// Whose it is.
    pub owner_id: UserId,
    /// The build it belongs to.
    pub build_id: Option<BuildId>,
    /// Key within the workflow.
    pub key: String,
    /// Handler.
    pub kind: String,
    /// What to do.
    pub description: String,
    /// Handler input.
    pub input: serde_json::Value,
    /// This attempt's number (1-based).
    pub attempt: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Longest this attempt may run.
    pub timeout: Duration,
    /// How long it waited in the ready queue before this claim.
    pub queued_for: Option<Duration>,
    /// The agent it runs as.
    pub agent: ClaimedAgent,
}

/// Parameters of one claim.
#[derive(Debug, Clone)]
pub struct ClaimRequest<'a> {
    /// Most tasks to claim.
    pub limit: usize,
    /// Lease length; renewed by the worker while the task runs.
    pub lease: Duration,
    /// This process's name, recorded on the task.
    pub worker: &'a str,
    /// Agents this process runs; `None` for all.
    pub agents: Option<&'a [AgentId]>,
    /// The time.
    pub now: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AgentSlot {
    id: Uuid,
    name: String,
    capabilities: Vec<String>,
    max_concurrency: i32,
    provider: Option<String>,
    model: Option<String>,
    configuration: serde_json::Value,
    status: String,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: Uuid,
    workflow_id: Uuid,
    owner_id: Uuid,
    project_id: Option<Uuid>,
    key: String,
    kind: String,
    description: String,
    input: serde_json::Value,
    attempts: i32,
    max_attempts: i32,
    timeout_ms: i32,
    ready_at: Option<DateTime<Utc>>,
    agent_id: Uuid,
    lease_id: Uuid,
}

/// Whether any ready task is due: a cheap, lock-free check that lets an idle claimer skip
/// the claim transaction.
///
/// # Errors
/// Database errors.
pub async fn any_due(db: impl sqlx::PgExecutor<'_>, now: DateTime<Utc>) -> Result<bool> {
    // language=PostgreSQL
    Ok(
        sqlx::query_scalar("select exists (select 1 from tasks where state = 'ready' and run_at <= $1)")
            .bind(now)
            .fetch_one(db)
            .await?,
    )
}

/// Claims up to `req.limit` ready tasks, each for an online agent that holds every
/// capability it requires and has a free slot. Run it in a transaction and commit.
///
/// # Errors
/// Database errors.
pub async fn claim(conn: &mut PgConnection, req: &ClaimRequest<'_>) -> Result<Vec<ClaimedTask>> {
    if req.limit == 0 {
        return Ok(Vec::new());
    }
    let hosted: Option<Vec<Uuid>> = req.agents.map(|a| a.iter().map(|a| a.0).collect());
    // language=PostgreSQL
    let agents: Vec<AgentSlot> = sqlx::query_as(
        r#"
        select a.id, a.name, a.capabilities, a.max_concurrency, a.provider, a.model, a.configuration, s.status
        from agents a join agent_states s on s.agent_id = a.id
        where s.status <> 'offline' and ($1::uuid[] is null or a.id = any($1))
        order by a.id
        for update of s
        "#,
    )
    .bind(&hosted)
    .fetch_all(&mut *conn)
    .await?;
    if agents.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = agents.iter().map(|a| a.id).collect();
    // A separate statement: its snapshot is taken after the locks above were granted.
    // language=PostgreSQL
    let running: HashMap<Uuid, i64> = sqlx::query_as::<_, (Uuid, i64)>(
        "select agent_id, count(*) from tasks where state = 'running' and agent_id = any($1) group by agent_id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let mut free: HashMap<Uuid, i64> = agents
        .iter()
        .map(|a| {
            (
                a.id,
                i64::from(a.max_concurrency) - running.get(&a.id).copied().unwrap_or(0),
            )
        })
        .filter(|(_, f)| *f > 0)
        .collect();
    if free.is_empty() {
        return Ok(Vec::new());
    }
    let free_ids: Vec<Uuid> = free.keys().copied().collect();
    let slots: i64 = free.values().sum();
    let limit = (req.limit as i64).min(slots);
    // `state = 'ready'` as a literal: it is `tasks_ready_idx`'s predicate.
    transition::written(&[TaskState::Ready], TaskState::Running)?;

    // language=PostgreSQL
    let candidates: Vec<(Uuid, Vec<String>)> = sqlx::query_as(
        r#"
        select t.id, t.required_capabilities from tasks t
        where t.state = 'ready' and t.run_at <= $1
          and exists (select 1 from agents a where a.id = any($2) and t.required_capabilities <@ a.capabilities)
          and exists (select 1 from workflows w where w.id = t.workflow_id and w.status = 'running')
        order by t.priority desc, t.run_at, t.id
        limit $3
        for update of t skip locked
        "#,
    )
    .bind(req.now)
    .bind(&free_ids)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }

    // Least-loaded eligible agent first; ties by id for determinism.
    let caps: HashMap<Uuid, HashSet<&str>> = agents
        .iter()
        .map(|a| (a.id, a.capabilities.iter().map(String::as_str).collect()))
        .collect();
    let mut task_ids = Vec::new();
    let mut agent_ids = Vec::new();
    let mut lease_ids = Vec::new();
    for (task, required) in &candidates {
        let best = free
            .iter()
            .filter(|(id, f)| **f > 0 && required.iter().all(|c| caps[*id].contains(c.as_str())))
            .max_by_key(|(id, f)| (**f, std::cmp::Reverse(**id)))
            .map(|(id, _)| *id);
        if let Some(agent) = best {
            *free.get_mut(&agent).expect("chosen from free") -= 1;
            task_ids.push(*task);
            agent_ids.push(agent);
            lease_ids.push(Uuid::new_v4());
        }
    }
    if task_ids.is_empty() {
        return Ok(Vec::new());
    }

    // Agent load after this claim (we hold these rows' locks), and which agents turn busy.
    let mut load: HashMap<Uuid, i64> = HashMap::new();
    for a in &agent_ids {
        *load.entry(*a).or_default() += 1;
    }
    let (load_ids, load_values): (Vec<Uuid>, Vec<i32>) = load
        .iter()
        .map(|(id, n)| {
            (
                *id,
                (running.get(id).copied().unwrap_or(0) + n).min(i64::from(i32::MAX)) as i32,
            )
        })
        .unzip();
    let by_id: HashMap<Uuid, &AgentSlot> = agents.iter().map(|a| (a.id, a)).collect();
    let turning_busy: Vec<&AgentSlot> = load_ids
        .iter()
        .map(|id| by_id[id])
        .filter(|a| a.status != AgentStatus::Busy.as_str())
        .collect();

    // One statement does the rest: claim the tasks, set the agents' load, append the events
    // and the queue-wait measurements. Fewer round trips is what keeps enqueue-to-start low.
    // language=PostgreSQL
    let rows: Vec<ClaimedRow> = sqlx::query_as(
        r#"
        with upd as (
            update tasks t
            set state = 'running', attempts = t.attempts + 1, agent_id = u.agent_id, lease_id = u.lease_id,
                lease_owner = $4, lease_expires_at = $5, started_at = $6, finished_at = null
            from unnest($1::uuid[], $2::uuid[], $3::uuid[]) as u(id, agent_id, lease_id), workflows w
            where t.id = u.id and w.id = t.workflow_id and t.state = any($12)
            returning t.id, t.workflow_id, t.owner_id, w.project_id, t.key, t.kind, t.description, t.input,
                      t.attempts, t.max_attempts, t.timeout_ms, t.ready_at, t.agent_id, t.lease_id
        ), agent_load as (
            update agent_states s set current_load = l.load, status = 'busy'
            from unnest($7::uuid[], $8::int[]) as l(id, load) where s.agent_id = l.id
            returning s.agent_id
        ), agent_events as (
            insert into coordination_events (kind, agent_id, payload)
            select 'agent.status_changed', c.id, jsonb_build_object('agent', c.name, 'from', c.old, 'to', 'busy')
            from unnest($9::uuid[], $10::text[], $11::text[]) as c(id, name, old)
            returning id
        ), task_events as (
            insert into coordination_events (kind, workflow_id, task_id, agent_id, project_id, owner_id, payload)
            select 'task.started', upd.workflow_id, upd.id, upd.agent_id, upd.project_id, upd.owner_id,
                   jsonb_build_object('task', upd.key, 'agent', a.name, 'attempt', upd.attempts)
            from upd join agents a on a.id = upd.agent_id
            order by upd.id
            returning id
        ), waits as (
            insert into performance_metrics (metric, value, unit, workflow_id, task_id, agent_id)
            select 'task.queue_wait', extract(epoch from ($6 - upd.ready_at)) * 1000, 'ms',
                   upd.workflow_id, upd.id, upd.agent_id
            from upd where upd.ready_at is not null
            returning id
        )
        select * from upd
        "#,
    )
    .bind(&task_ids)
    .bind(&agent_ids)
    .bind(&lease_ids)
    .bind(req.worker)
    .bind(after(req.now, req.lease))
    .bind(req.now)
    .bind(&load_ids)
    .bind(&load_values)
    .bind(turning_busy.iter().map(|a| a.id).collect::<Vec<_>>())
    .bind(turning_busy.iter().map(|a| a.name.as_str()).collect::<Vec<_>>())
    .bind(turning_busy.iter().map(|a| a.status.as_str()).collect::<Vec<_>>())
    .bind(transition::from(TaskState::Running))
    .fetch_all(&mut *conn)
    .await?;
    changed("claimed tasks", TaskState::Running, task_ids.len(), rows.len() as u64)?;

    Ok(rows
        .into_iter()
        .map(|r| {
            let a = by_id[&r.agent_id];
            ClaimedTask {
                id: TaskId(r.id),
                lease_id: r.lease_id,
                workflow_id: WorkflowId(r.workflow_id),
                owner_id: UserId(r.owner_id),
                build_id: r.project_id.map(BuildId),
                key: r.key,
                kind: r.kind,
                description: r.description,
                input: r.input,
                attempt: r.attempts,
                max_attempts: r.max_attempts,
                timeout: Duration::from_millis(r.timeout_ms.max(1) as u64),
                queued_for: r.ready_at.and_then(|at| (req.now - at).to_std().ok()),
                agent: ClaimedAgent {
                    id: AgentId(a.id),
                    name: a.name.clone(),
                    provider: a.provider.clone(),
                    model: a.model.clone(),
                    configuration: a.configuration.clone(),
                },
            }
        })
        .collect())
}

/// What a handler made of a task.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Done, with this output.
    Succeeded(serde_json::Value),
    /// Failed; retried (with backoff) while attempts remain, if `retryable`.
    Failed {
        /// For a person.
        error: String,
        /// Whether another attempt could succeed.
        retryable: bool,
    },
    /// Stopped on request.
    Cancelled(String),
}

/// One outcome reported by the holder of a lease.
#[derive(Debug, Clone)]
pub struct Completion {
    /// The task.
    pub task_id: TaskId,
    /// The lease the reporter holds.
    pub lease_id: Uuid,
    /// What happened.
    pub outcome: Outcome,
}

/// What a batch of completions changed.
#[derive(Debug, Default, Clone)]
pub struct Completed {
    /// Workflows that had a task reach a terminal state (candidates for finishing).
    pub touched_workflows: HashSet<WorkflowId>,
    /// Tasks whose lease had been lost; their outcomes were ignored.
    pub lost: Vec<TaskId>,
    /// Tasks that became ready (dependents released, or retries scheduled).
    pub released: usize,
}

/// A task touched as a side effect (released or skipped), with what its event needs.
#[derive(sqlx::FromRow)]
struct Touched {
    id: Uuid,
    key: String,
    state: String,
    workflow_id: Uuid,
    owner_id: Uuid,
    project_id: Option<Uuid>,
}

impl Touched {
    fn event(&self, kind: EventKind) -> NewEvent {
        WorkflowRef {
            id: WorkflowId(self.workflow_id),
            owner_id: UserId(self.owner_id),
            build_id: self.project_id.map(BuildId),
        }
        .event(kind)
        .task(TaskId(self.id))
        .payload(json!({ "task": self.key }))
    }
}

#[derive(sqlx::FromRow)]
struct Held {
    id: Uuid,
    lease_id: Option<Uuid>,
    workflow_id: Uuid,
    owner_id: Uuid,
    project_id: Option<Uuid>,
    key: String,
    attempts: i32,
    max_attempts: i32,
    agent_id: Option<Uuid>,
    started_at: Option<DateTime<Utc>>,
    wf_status: String,
}

impl Held {
    fn wf(&self) -> WorkflowRef {
        WorkflowRef {
            id: WorkflowId(self.workflow_id),
            owner_id: UserId(self.owner_id),
            build_id: self.project_id.map(BuildId),
        }
    }
    fn event(&self, kind: EventKind) -> NewEvent {
        let e = self.wf().event(kind).task(TaskId(self.id));
        match self.agent_id {
            Some(a) => e.agent(AgentId(a)),
            None => e,
        }
    }
}

/// Records a batch of outcomes in one transaction (run it in one and commit): successes
/// release their dependents, retryable failures go back to the queue after a backoff,
/// final failures skip everything downstream. Outcomes whose lease is no longer current are
/// ignored and listed in [`Completed::lost`]. After committing, call
/// `workflows::finish_if_done` for each touched workflow.
///
/// # Errors
/// Database errors (including deadlocks, which the caller retries).
pub async fn complete(
    conn: &mut PgConnection,
    batch: &[Completion],
    policy: &RetryPolicy,
    now: DateTime<Utc>,
) -> Result<Completed> {
    complete_inner(conn, batch, policy, now, false).await
}

async fn complete_inner(
    conn: &mut PgConnection,
    batch: &[Completion],
    policy: &RetryPolicy,
    now: DateTime<Utc>,
    lease_expired: bool,
) -> Result<Completed> {
    let mut out = Completed::default();
    if batch.is_empty() {
        return Ok(out);
    }
    let ids: Vec<Uuid> = batch.iter().map(|c| c.task_id.0).collect();
    // language=PostgreSQL
    let held: Vec<Held> = sqlx::query_as(
        r#"
        select t.id, t.lease_id, t.workflow_id, t.owner_id, w.project_id, t.key, t.attempts, t.max_attempts,
               t.agent_id, t.started_at, w.status as wf_status
        from tasks t join workflows w on w.id = t.workflow_id
        where t.id = any($1) and t.state = any($2)
        order by t.id
        for update of t for share of w
        "#,
    )
    .bind(&ids)
    .bind(TaskState::sources(&[
        TaskState::Succeeded,
        TaskState::Failed,
        TaskState::Cancelled,
        TaskState::Ready,
    ]))
    .fetch_all(&mut *conn)
    .await?;
    let held: HashMap<Uuid, Held> = held.into_iter().map(|h| (h.id, h)).collect();

    let mut succeeded: Vec<(&Held, &serde_json::Value)> = Vec::new();
    let mut retry: Vec<(&Held, &str)> = Vec::new();
    let mut failed: Vec<(&Held, &str)> = Vec::new();
    let mut cancelled: Vec<(&Held, &str)> = Vec::new();
    for c in batch {
        let Some(h) = held.get(&c.task_id.0).filter(|h| h.lease_id == Some(c.lease_id)) else {
            out.lost.push(c.task_id);
            continue;
        };
        let wf_running = h.wf_status == WorkflowStatus::Running.as_str();
        match &c.outcome {
            Outcome::Succeeded(v) => succeeded.push((h, v)),
            Outcome::Cancelled(why) => cancelled.push((h, why)),
            Outcome::Failed { error, .. } if !wf_running => cancelled.push((h, error)),
            Outcome::Failed { error, retryable } if *retryable && h.attempts < h.max_attempts => retry.push((h, error)),
            Outcome::Failed { error, .. } => failed.push((h, error)),
        }
    }

    let mut evs: Vec<NewEvent> = Vec::new();
    let mut measurements: Vec<NewMetric> = Vec::new();

    if !succeeded.is_empty() {
        let ids: Vec<Uuid> = succeeded.iter().map(|(h, _)| h.id).collect();
        let outputs: Vec<&serde_json::Value> = succeeded.iter().map(|(_, v)| *v).collect();
        // language=PostgreSQL
        let n = sqlx::query(
            r#"
            update tasks t set state = 'succeeded', output = u.output, error = null, finished_at = $3,
                   lease_id = null, lease_owner = null, lease_expires_at = null
            from unnest($1::uuid[], $2::jsonb[]) as u(id, output)
            where t.id = u.id and t.state = any($4)
            "#,
        )
        .bind(&ids)
        .bind(&outputs)
        .bind(now)
        .bind(transition::from(TaskState::Succeeded))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        changed("tasks", TaskState::Succeeded, ids.len(), n)?;
        for (h, _) in &succeeded {
            let duration = h
                .started_at
                .map(|s| (now - s).num_microseconds().unwrap_or(0) as f64 / 1000.0);
            evs.push(
                h.event(EventKind::TaskSucceeded)
                    .payload(json!({ "task": h.key, "duration_ms": duration })),
            );
            if let Some(d) = duration {
                let m = NewMetric::ms("task.duration", d)
                    .task(TaskId(h.id))
                    .workflow(WorkflowId(h.workflow_id));
                measurements.push(match h.agent_id {
                    Some(a) => m.agent(AgentId(a)),
                    None => m,
                });
            }
            out.touched_workflows.insert(WorkflowId(h.workflow_id));
        }
        // Release dependents: each loses one pending dependency per succeeded parent.
        transition::written(&[TaskState::Pending], TaskState::Ready)?;
        // language=PostgreSQL
        let released: Vec<Touched> = sqlx::query_as(
            r#"
            with c as (
                select e.to_task as id, count(*)::int as n from task_edges e where e.from_task = any($1) group by e.to_task
            ), locked as (
                select d.id from tasks d join c on c.id = d.id where d.state = 'pending'
                order by d.id for update of d
            )
            update tasks d
            set pending_dependencies = d.pending_dependencies - c.n,
                state = case when d.pending_dependencies = c.n then 'ready' else 'pending' end,
                ready_at = case when d.pending_dependencies = c.n then $2 else d.ready_at end,
                run_at = case when d.pending_dependencies = c.n then $2 else d.run_at end
            from c, workflows w
            where d.id = c.id and d.id in (select id from locked) and w.id = d.workflow_id
            returning d.id, d.key, d.state, d.workflow_id, d.owner_id, w.project_id
            "#,
        )
        .bind(&ids)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
        for t in released.iter().filter(|t| t.state == "ready") {
            out.released += 1;
            evs.push(t.event(EventKind::TaskReady));
        }
    }

    for (h, error) in &retry {
        let delay = policy.delay(h.attempts.max(1) as u32, rand::rng().random::<f64>());
        let run_at = after(now, delay);
        // language=PostgreSQL
        let n = sqlx::query(
            "update tasks set state = 'ready', error = $2, run_at = $3, ready_at = $3,
                    lease_id = null, lease_owner = null, lease_expires_at = null
             where id = $1 and state = any($4)",
        )
        .bind(h.id)
        .bind(*error)
        .bind(run_at)
        .bind(transition::from(TaskState::Ready))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        changed(format_args!("task {}", h.key), TaskState::Ready, 1, n)?;
        out.released += 1;
        evs.push(h.event(EventKind::TaskRetryScheduled).payload(json!({
            "task": h.key, "error": error, "attempt": h.attempts, "retry_in_ms": delay.as_millis() as u64,
        })));
    }

    if !failed.is_empty() {
        let ids: Vec<Uuid> = failed.iter().map(|(h, _)| h.id).collect();
        let errors: Vec<&str> = failed.iter().map(|(_, e)| *e).collect();
        // language=PostgreSQL
        let n = sqlx::query(
            "update tasks t set state = 'failed', error = u.error, finished_at = $3,
                    lease_id = null, lease_owner = null, lease_expires_at = null
             from unnest($1::uuid[], $2::text[]) as u(id, error) where t.id = u.id and t.state = any($4)",
        )
        .bind(&ids)
        .bind(&errors)
        .bind(now)
        .bind(transition::from(TaskState::Failed))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        changed("tasks", TaskState::Failed, ids.len(), n)?;
        for (h, error) in &failed {
            evs.push(
                h.event(EventKind::TaskFailed)
                    .payload(json!({ "task": h.key, "error": error, "attempt": h.attempts })),
            );
            out.touched_workflows.insert(WorkflowId(h.workflow_id));
        }
        // Everything downstream of a failed task can never run.
        transition::written(&[TaskState::Pending], TaskState::Skipped)?;
        // language=PostgreSQL
        let skipped: Vec<Touched> = sqlx::query_as(
            r#"
            with recursive down(id) as (
                select e.to_task from task_edges e where e.from_task = any($1)
                union
                select e.to_task from task_edges e join down on e.from_task = down.id
            )
            update tasks t set state = 'skipped', finished_at = $2, error = 'a task it depends on failed'
            from down, workflows w
            where t.id = down.id and t.state = 'pending' and w.id = t.workflow_id
            returning t.id, t.key, t.state, t.workflow_id, t.owner_id, w.project_id
            "#,
        )
        .bind(&ids)
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
        evs.extend(skipped.iter().map(|t| t.event(EventKind::TaskSkipped)));
    }

    for (h, why) in &cancelled {
        // language=PostgreSQL
        let n = sqlx::query(
            "update tasks set state = 'cancelled', error = $2, finished_at = $3,
                    lease_id = null, lease_owner = null, lease_expires_at = null
             where id = $1 and state = any($4)",
        )
        .bind(h.id)
        .bind(*why)
        .bind(now)
        .bind(transition::from(TaskState::Cancelled))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        changed(format_args!("task {}", h.key), TaskState::Cancelled, 1, n)?;
        evs.push(
            h.event(EventKind::TaskCancelled)
                .payload(json!({ "task": h.key, "error": why })),
        );
        out.touched_workflows.insert(WorkflowId(h.workflow_id));
    }

    if lease_expired {
        for c in batch {
            if let Some(h) = held.get(&c.task_id.0) {
                evs.push(
                    h.event(EventKind::TaskLeaseExpired)
                        .payload(json!({ "task": h.key, "attempt": h.attempts })),
                );
            }
        }
    }
    events::append(conn, &evs).await?;
    metrics::record(conn, &measurements).await?;
    Ok(out)
}

/// Extends the leases of running tasks this process holds. Returns the tasks it should stop:
/// those whose lease was lost, and those whose workflow is no longer running.
///
/// # Errors
/// Database errors.
pub async fn renew_leases(
    conn: &mut PgConnection,
    held: &[(TaskId, Uuid)],
    lease: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<TaskId>> {
    if held.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = held.iter().map(|(t, _)| t.0).collect();
    let leases: Vec<Uuid> = held.iter().map(|(_, l)| *l).collect();
    // language=PostgreSQL
    let renewed: Vec<(Uuid, String)> = sqlx::query_as(
        r#"
        update tasks t set lease_expires_at = $3
        from unnest($1::uuid[], $2::uuid[]) as u(id, lease_id), workflows w
        where t.id = u.id and t.lease_id = u.lease_id and t.state = 'running' and w.id = t.workflow_id
        returning t.id, w.status
        "#,
    )
    .bind(&ids)
    .bind(&leases)
    .bind(after(now, lease))
    .fetch_all(&mut *conn)
    .await?;
    let keep: HashSet<Uuid> = renewed
        .iter()
        .filter(|(_, s)| s == WorkflowStatus::Running.as_str())
        .map(|(id, _)| *id)
        .collect();
    Ok(held
        .iter()
        .filter(|(t, _)| !keep.contains(&t.0))
        .map(|(t, _)| *t)
        .collect())
}

/// Puts back tasks whose lease expired (their worker died or hung): another attempt is
/// scheduled if attempts remain, otherwise the task fails. Run in a transaction.
///
/// # Errors
/// Database errors.
pub async fn expire_leases(
    conn: &mut PgConnection,
    policy: &RetryPolicy,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Completed> {
    // language=PostgreSQL
    let expired: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "select id, lease_id from tasks where state = 'running' and lease_expires_at < $1
         order by lease_expires_at limit $2 for update skip locked",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let batch: Vec<Completion> = expired
        .into_iter()
        .map(|(id, lease_id)| Completion {
            task_id: TaskId(id),
            lease_id,
            outcome: Outcome::Failed {
                error: "lease expired: the worker running it stopped responding".into(),
                retryable: true,
            },
        })
        .collect();
    complete_inner(conn, &batch, policy, now, true).await
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: Uuid,
    key: String,
    description: String,
    kind: String,
    state: String,
    dependencies: Vec<String>,
    required_capabilities: Vec<String>,
    level: i32,
    position: i32,
    agent: Option<String>,
    attempts: i32,
    max_attempts: i32,
    error: Option<String>,
    input: serde_json::Value,
    output: Option<serde_json::Value>,
    ready_at: Option<DateTime<Utc>>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<TaskRow> for TaskView {
    type Error = Error;
    fn try_from(r: TaskRow) -> Result<Self> {
        Ok(TaskView {
            id: TaskId(r.id),
            state: parse(&r.state)?,
            required_capabilities: r
                .required_capabilities
                .iter()
                .map(|c| parse(c))
                .collect::<Result<_>>()?,
            duration_ms: match (r.started_at, r.finished_at) {
                (Some(s), Some(f)) => Some((f - s).num_milliseconds()),
                _ => None,
            },
            key: r.key,
            description: r.description,
            kind: r.kind,
            dependencies: r.dependencies,
            level: r.level,
            position: r.position,
            agent: r.agent,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            error: r.error,
            input: r.input,
            output: r.output,
            ready_at: r.ready_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        })
    }
}

/// Every task of `workflow`, in the graph's display order.
///
/// # Errors
/// Database errors.
pub async fn of_workflow(conn: &mut PgConnection, workflow: WorkflowId) -> Result<Vec<TaskView>> {
    // language=PostgreSQL
    let rows: Vec<TaskRow> = sqlx::query_as(
        r#"
        select t.id, t.key, t.description, t.kind, t.state, t.dependencies, t.required_capabilities, t.level,
               t.position, a.name as agent, t.attempts, t.max_attempts, t.error, t.input, t.output, t.ready_at,
               t.started_at, t.finished_at
        from tasks t left join agents a on a.id = t.agent_id
        where t.workflow_id = $1
        order by t.position
        "#,
    )
    .bind(workflow.0)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(TaskView::try_from).collect()
}

/// The task states of workflow `id`, by key (for tests and checks).
///
/// # Errors
/// Database errors.
pub async fn task_states(db: impl PgExecutor<'_>, id: WorkflowId) -> Result<Vec<(String, TaskState)>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("select key, state from tasks where workflow_id = $1 order by position")
            .bind(id.0)
            .fetch_all(db)
            .await?;
    rows.into_iter().map(|(k, s)| Ok((k, parse(&s)?))).collect()
}

/// How many of `workflow`'s tasks of the given kinds have succeeded (counting `current` as
/// done), and how many there are: a build's generation progress.
///
/// # Errors
/// Database errors.
pub async fn kinds_done(
    db: impl PgExecutor<'_>,
    workflow: WorkflowId,
    current: TaskId,
    kinds: &[&str],
) -> Result<(i64, i64)> {
    // language=PostgreSQL
    Ok(sqlx::query_as(
        "select count(*) filter (where state = 'succeeded' or id = $2), count(*) from tasks
         where workflow_id = $1 and kind = any($3)",
    )
    .bind(workflow.0)
    .bind(current.0)
    .bind(kinds)
    .fetch_one(db)
    .await?)
}

/// The id of `workflow`'s task called `key`, if it has one.
///
/// # Errors
/// Database errors.
pub async fn find_key(db: impl PgExecutor<'_>, workflow: WorkflowId, key: &str) -> Result<Option<TaskId>> {
    // language=PostgreSQL
    Ok(
        sqlx::query_scalar("select id from tasks where workflow_id = $1 and key = $2")
            .bind(workflow.0)
            .bind(key)
            .fetch_optional(db)
            .await?
            .map(TaskId),
    )
}

#[cfg(test)]
mod tests {
    use domain::{agent::Capability, dag::TaskSpec, ids::LOCAL_USER_ID, status::ExecutionMode};
    use serde_json::json;
    use sqlx::PgPool;

    use super::*;
    use crate::store::workflows::{self, NewWorkflow, TaskLimits};

    /// An online agent with one capability; returns its id.
    async fn agent(pool: &PgPool, name: &str, capability: Capability, concurrency: i32) -> Uuid {
        let id: Uuid = sqlx::query_scalar(
            "insert into agents (name, kind, capabilities, max_concurrency, owner_id)
             values ($1, 'custom', array[$2], $3, $4) returning id",
        )
        .bind(name)
        .bind(capability.as_str())
        .bind(concurrency)
        .bind(LOCAL_USER_ID.0)
        .fetch_one(pool)
        .await
        .unwrap();
        sqlx::query("insert into agent_states (agent_id, status) values ($1, 'online')")
            .bind(id)
            .execute(pool)
            .await
            .unwrap();
        id
    }

    /// A task needing `cap`, after `deps`.
    fn spec(key: &str, cap: Capability, deps: &[&str]) -> TaskSpec {
        TaskSpec {
            id: key.into(),
            description: String::new(),
            kind: "noop".into(),
            dependencies: deps.iter().map(|d| (*d).into()).collect(),
            required_capabilities: vec![cap],
            estimated_duration: 1,
            input: serde_json::Value::Null,
        }
    }

    /// A running workflow of independent tasks, each `(key, required capability, priority)`.
    async fn workflow(pool: &PgPool, tasks: &[(&str, Capability, i16)]) {
        workflow_of(pool, tasks.iter().map(|(key, cap, _)| spec(key, *cap, &[])).collect()).await;
        for (key, _, priority) in tasks {
            sqlx::query("update tasks set priority = $2 where key = $1")
                .bind(key)
                .bind(priority)
                .execute(pool)
                .await
                .unwrap();
        }
    }

    /// A running workflow of these tasks.
    async fn workflow_of(pool: &PgPool, specs: Vec<TaskSpec>) {
        let now = Utc::now();
        let dag = domain::dag::validate(specs).unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let id = workflows::create(
            &mut conn,
            NewWorkflow {
                owner_id: LOCAL_USER_ID,
                build_id: None,
                name: "w".into(),
                description: String::new(),
                requirements: vec![],
                constraints: json!({}),
                execution_strategy: ExecutionMode::Parallel,
                confidence: None,
                max_duration: None,
                limits: TaskLimits::default(),
                dag: &dag,
            },
        )
        .await
        .unwrap();
        workflows::start(&mut conn, id, None, ExecutionMode::Parallel, now)
            .await
            .unwrap();
    }

    /// Claims up to `limit` tasks and returns them whole.
    async fn claimed(pool: &PgPool, limit: usize) -> Vec<ClaimedTask> {
        claimed_at(pool, limit, Utc::now() + chrono::Duration::seconds(1)).await
    }

    async fn claimed_at(pool: &PgPool, limit: usize, now: DateTime<Utc>) -> Vec<ClaimedTask> {
        let mut tx = pool.begin().await.unwrap();
        let claimed = claim(
            &mut tx,
            &ClaimRequest {
                limit,
                lease: Duration::from_secs(30),
                worker: "test",
                agents: None,
                now,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        claimed
    }

    async fn claim_one(pool: &PgPool) -> Vec<(String, String)> {
        claim_up_to(pool, 1).await
    }

    /// One claim of up to `limit` tasks: what was claimed, by key, with the agent's name.
    async fn claim_up_to(pool: &PgPool, limit: usize) -> Vec<(String, String)> {
        let mut tx = pool.begin().await.unwrap();
        let claimed = claim(
            &mut tx,
            &ClaimRequest {
                limit,
                lease: Duration::from_secs(30),
                worker: "test",
                agents: None,
                now: Utc::now() + chrono::Duration::seconds(1),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        claimed.into_iter().map(|t| (t.key, t.agent.name)).collect()
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn work_only_a_full_agent_could_do_does_not_block_work_a_free_agent_can(pool: PgPool) {
        // The coder is busy with `first`; `second` (coding, more urgent) must wait for it,
        // and must not keep the designer's task from being claimed meanwhile.
        agent(&pool, "coder", Capability::CodeGeneration, 1).await;
        workflow(&pool, &[("first", Capability::CodeGeneration, 20)]).await;
        assert_eq!(claim_one(&pool).await, [("first".into(), "coder".into())]);
        agent(&pool, "designer", Capability::UiDesign, 1).await;
        workflow(
            &pool,
            &[
                ("second", Capability::CodeGeneration, 10),
                ("styles", Capability::UiDesign, 0),
            ],
        )
        .await;

        assert_eq!(claim_one(&pool).await, [("styles".into(), "designer".into())]);
        assert_eq!(claim_one(&pool).await, [], "only the busy coder can run `second`");
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_task_goes_only_to_an_agent_with_its_capabilities_however_idle_another_is(pool: PgPool) {
        // The coder has more free slots than the designer, and the designer's task still
        // goes to the designer.
        agent(&pool, "coder", Capability::CodeGeneration, 5).await;
        agent(&pool, "designer", Capability::UiDesign, 1).await;
        workflow(&pool, &[("styles", Capability::UiDesign, 0)]).await;
        assert_eq!(claim_one(&pool).await, [("styles".into(), "designer".into())]);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn one_claim_gives_no_agent_more_tasks_than_its_free_slots(pool: PgPool) {
        agent(&pool, "one", Capability::CodeGeneration, 1).await;
        agent(&pool, "two", Capability::CodeGeneration, 1).await;
        workflow(
            &pool,
            &[
                ("a", Capability::CodeGeneration, 0),
                ("b", Capability::CodeGeneration, 0),
                ("c", Capability::CodeGeneration, 0),
            ],
        )
        .await;
        let mut agents: Vec<String> = claim_up_to(&pool, 3).await.into_iter().map(|(_, a)| a).collect();
        agents.sort();
        assert_eq!(agents, ["one", "two"], "one task each, the third waits");
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_claim_records_the_agents_load_and_says_once_that_it_turned_busy(pool: PgPool) {
        let wide = agent(&pool, "wide", Capability::CodeGeneration, 3).await;
        workflow(
            &pool,
            &[
                ("a", Capability::CodeGeneration, 0),
                ("b", Capability::CodeGeneration, 0),
                ("c", Capability::CodeGeneration, 0),
            ],
        )
        .await;
        let state = || async {
            sqlx::query_as::<_, (String, i32, i64)>(
                "select s.status, s.current_load,
                        (select count(*) from coordination_events e
                         where e.kind = 'agent.status_changed' and e.agent_id = s.agent_id
                           and e.payload->>'from' = 'online' and e.payload->>'to' = 'busy')
                 from agent_states s where s.agent_id = $1",
            )
            .bind(wide)
            .fetch_one(&pool)
            .await
            .unwrap()
        };

        assert_eq!(claim_up_to(&pool, 2).await.len(), 2);
        assert_eq!(state().await, ("busy".into(), 2, 1));
        // Already busy: its load grows, and no second "turned busy".
        assert_eq!(claim_up_to(&pool, 2).await.len(), 1);
        assert_eq!(state().await, ("busy".into(), 3, 1));
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn free_slots_elsewhere_do_not_let_a_full_agent_take_more(pool: PgPool) {
        // Two slots in all, but only one can run code: the second coding task waits.
        agent(&pool, "coder", Capability::CodeGeneration, 1).await;
        agent(&pool, "designer", Capability::UiDesign, 1).await;
        workflow(
            &pool,
            &[
                ("a", Capability::CodeGeneration, 0),
                ("b", Capability::CodeGeneration, 0),
            ],
        )
        .await;
        assert_eq!(claim_up_to(&pool, 2).await.len(), 1);
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_failure_reported_after_the_workflow_stopped_cancels_the_task_instead_of_retrying_it(pool: PgPool) {
        agent(&pool, "coder", Capability::CodeGeneration, 2).await;
        workflow(&pool, &[("a", Capability::CodeGeneration, 0)]).await;
        let task = claimed(&pool, 1).await.remove(0);
        // The workflow is cancelled while the task runs; its handler then fails, retryably
        // (as a handler stopped mid-call does).
        sqlx::query("update workflows set status = 'cancelled'")
            .execute(&pool)
            .await
            .unwrap();
        let mut tx = pool.begin().await.unwrap();
        let done = complete(
            &mut tx,
            &[Completion {
                task_id: task.id,
                lease_id: task.lease_id,
                outcome: Outcome::Failed {
                    error: "stopped".into(),
                    retryable: true,
                },
            }],
            &RetryPolicy::default(),
            Utc::now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert!(done.lost.is_empty());
        let state: String = sqlx::query_scalar("select state from tasks where id = $1")
            .bind(task.id.0)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(state, "cancelled", "a stopped workflow's task is not retried");
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_success_records_how_long_the_task_ran(pool: PgPool) {
        agent(&pool, "coder", Capability::CodeGeneration, 1).await;
        workflow(&pool, &[("a", Capability::CodeGeneration, 0)]).await;
        let started = Utc::now() + chrono::Duration::seconds(1);
        let task = claimed_at(&pool, 1, started).await.remove(0);
        let mut tx = pool.begin().await.unwrap();
        complete(
            &mut tx,
            &[Completion {
                task_id: task.id,
                lease_id: task.lease_id,
                outcome: Outcome::Succeeded(json!({ "ok": true })),
            }],
            &RetryPolicy::default(),
            started + chrono::Duration::milliseconds(1_500),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let (event, metric): (f64, f64) = sqlx::query_as(
            "select (select (payload->>'duration_ms')::float8 from coordination_events
                     where kind = 'task.succeeded' and task_id = $1),
                    (select value from performance_metrics where metric = 'task.duration' and task_id = $1)",
        )
        .bind(task.id.0)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!((event, metric), (1_500.0, 1_500.0));
        // And the workflow's task list says so.
        let mut conn = pool.acquire().await.unwrap();
        let view = of_workflow(&mut conn, task.workflow_id).await.unwrap().remove(0);
        assert_eq!(view.duration_ms, Some(1_500));
    }

    /// Reports one outcome for a claimed task; returns what the completion changed.
    async fn report(pool: &PgPool, task: &ClaimedTask, outcome: Outcome) -> Completed {
        let mut tx = pool.begin().await.unwrap();
        let done = complete(
            &mut tx,
            &[Completion {
                task_id: task.id,
                lease_id: task.lease_id,
                outcome,
            }],
            &RetryPolicy::default(),
            Utc::now() + chrono::Duration::seconds(2),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        done
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_task_is_released_by_its_last_dependency_and_a_retry_is_released_too(pool: PgPool) {
        agent(&pool, "coder", Capability::CodeGeneration, 3).await;
        let code = Capability::CodeGeneration;
        workflow_of(
            &pool,
            vec![spec("a", code, &[]), spec("b", code, &[]), spec("c", code, &["a", "b"])],
        )
        .await;
        let ready_events = || async {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from coordination_events where kind = 'task.ready' and payload->>'task' = 'c'",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        };
        let mut first = claimed(&pool, 2).await;
        first.sort_by(|x, y| x.key.cmp(&y.key));
        assert_eq!(first.len(), 2);

        let done = report(&pool, &first[0], Outcome::Succeeded(json!(null))).await;
        assert_eq!((done.released, ready_events().await), (0, 0), "c still waits for b");
        let done = report(&pool, &first[1], Outcome::Succeeded(json!(null))).await;
        assert_eq!(
            (done.released, ready_events().await),
            (1, 1),
            "b was c's last dependency"
        );

        // Released as of the report's time (two seconds ahead).
        let c = claimed_at(&pool, 1, Utc::now() + chrono::Duration::seconds(3))
            .await
            .remove(0);
        assert_eq!(c.key, "c");
        let failed = Outcome::Failed {
            error: "flaky".into(),
            retryable: true,
        };
        assert_eq!(report(&pool, &c, failed).await.released, 1, "the retry is ready again");
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn renewing_leases_names_the_tasks_to_stop_and_extends_the_rest(pool: PgPool) {
        agent(&pool, "coder", Capability::CodeGeneration, 4).await;
        let code = Capability::CodeGeneration;
        workflow_of(&pool, vec![spec("kept", code, &[]), spec("lost", code, &[])]).await;
        workflow_of(&pool, vec![spec("stopped", code, &[])]).await;
        let tasks = claimed(&pool, 3).await;
        let by_key = |k: &str| tasks.iter().find(|t| t.key == k).unwrap();
        let (kept, lost, stopped) = (by_key("kept"), by_key("lost"), by_key("stopped"));
        sqlx::query("update workflows set status = 'cancelled' where id = $1")
            .bind(stopped.workflow_id.0)
            .execute(&pool)
            .await
            .unwrap();
        let later = Utc::now() + chrono::Duration::seconds(60);
        let held = [
            (kept.id, kept.lease_id),
            (lost.id, Uuid::new_v4()),
            (stopped.id, stopped.lease_id),
        ];
        let mut conn = pool.acquire().await.unwrap();
        let mut stop = renew_leases(&mut conn, &held, Duration::from_secs(30), later)
            .await
            .unwrap();
        stop.sort_by_key(|t| t.0);
        let mut expected = vec![lost.id, stopped.id];
        expected.sort_by_key(|t| t.0);
        assert_eq!(stop, expected, "the lost lease and the stopped workflow's task");
        let expires: DateTime<Utc> = sqlx::query_scalar("select lease_expires_at from tasks where id = $1")
            .bind(kept.id.0)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(expires > later, "the kept lease runs from the renewal: {expires}");
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn generation_progress_counts_the_succeeded_tasks_of_the_kinds_and_the_current_one(pool: PgPool) {
        agent(&pool, "coder", Capability::CodeGeneration, 4).await;
        let code = Capability::CodeGeneration;
        workflow_of(
            &pool,
            vec![spec("a", code, &[]), spec("b", code, &[]), spec("c", code, &[])],
        )
        .await;
        let mut tasks = claimed(&pool, 3).await;
        tasks.sort_by(|x, y| x.key.cmp(&y.key));
        report(&pool, &tasks[0], Outcome::Succeeded(json!(null))).await;
        let wf = tasks[0].workflow_id;
        assert_eq!(kinds_done(&pool, wf, tasks[1].id, &["noop"]).await.unwrap(), (2, 3));
        assert_eq!(kinds_done(&pool, wf, tasks[1].id, &["other"]).await.unwrap(), (0, 0));
        let c = tasks.iter().find(|t| t.key == "c").unwrap().id;
        assert_eq!(find_key(&pool, wf, "c").await.unwrap(), Some(c));
        assert_eq!(find_key(&pool, wf, "d").await.unwrap(), None);
    }
}
