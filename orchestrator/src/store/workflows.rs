//! Workflows and their task graphs (`workflows`, `tasks`, `task_edges`): create from a
//! validated DAG, start, cancel, finish, and read back.
//!
//! # Transactions and locks
//! Every function that changes state takes the caller's connection (usually a transaction)
//! and appends its coordination events on it, so a change and its events commit together.
//! Functions that change a workflow's status lock its row (`for update`) first; functions that
//! change tasks lock only the tasks they touch. Nothing here waits on a task row lock held by
//! a worker: cancellation changes only tasks that are not running.

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use domain::{
    api::{TaskCounts, WorkflowSummary, WorkflowView},
    dag::{Dag, TaskSpec},
    event::EventKind,
    ids::{BuildId, TaskId, UserId, WorkflowId},
    status::{ExecutionMode, Lifecycle, TaskState, WorkflowStatus},
};
use serde_json::json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{
    builds,
    events::{self, WorkflowRef},
    parse, tasks,
    transition::{self, changed},
};
use crate::{
    clock::after,
    error::{Error, Result},
};

/// Per-task limits applied to every task of a new workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskLimits {
    /// Attempts in all (1 = no retry).
    pub max_attempts: i32,
    /// Longest one attempt may run.
    pub timeout: Duration,
}

impl Default for TaskLimits {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            timeout: Duration::from_secs(300),
        }
    }
}

/// A workflow to store.
#[derive(Debug, Clone)]
pub struct NewWorkflow<'a> {
    /// Whose it is.
    pub owner_id: UserId,
    /// The build it belongs to.
    pub build_id: Option<BuildId>,
    /// Short name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Requirements as given.
    pub requirements: Vec<String>,
    /// Constraints as given (an object).
    pub constraints: serde_json::Value,
    /// The planner's recommendation.
    pub execution_strategy: ExecutionMode,
    /// The planner's confidence, 0 to 1.
    pub confidence: Option<f32>,
    /// Longest the workflow may run once started.
    pub max_duration: Option<Duration>,
    /// Limits for every task.
    pub limits: TaskLimits,
    /// The tasks.
    pub dag: &'a Dag,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Inserts the tasks of `dag` from index `first_new` on (and their edges) into workflow
/// `wf`; tasks before `first_new` already exist, with the ids and states in `existing`.
/// New tasks start `pending`, with one pending dependency per dependency that has not
/// succeeded. Returns the new tasks' ids, in the DAG's order.
pub(crate) async fn insert_tasks(
    conn: &mut PgConnection,
    wf: &WorkflowRef,
    dag: &Dag,
    first_new: usize,
    existing: &HashMap<String, (Uuid, bool)>,
    limits: TaskLimits,
    first_position: i32,
) -> Result<Vec<TaskId>> {
    let tasks = &dag.tasks()[first_new..];
    let mut position = vec![0i32; tasks.len()];
    for (p, i) in dag.topological_order().filter(|&i| i >= first_new).enumerate() {
        position[i - first_new] = first_position + p as i32;
    }
    let all = dag.tasks();
    let done = |d: usize| d < first_new && existing.get(&all[d].id).is_some_and(|(_, ok)| *ok);
    let keys: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    let descriptions: Vec<&str> = tasks.iter().map(|t| t.description.as_str()).collect();
    let kinds: Vec<&str> = tasks.iter().map(|t| t.kind.as_str()).collect();
    let caps: Vec<serde_json::Value> = tasks.iter().map(|t| json!(t.required_capabilities)).collect();
    let deps: Vec<serde_json::Value> = tasks.iter().map(|t| json!(t.dependencies)).collect();
    let pending: Vec<i32> = (first_new..all.len())
        .map(|i| dag.dependencies(i).filter(|&d| !done(d)).count() as i32)
        .collect();
    let levels: Vec<i32> = (first_new..all.len()).map(|i| dag.level(i) as i32).collect();
    let inputs: Vec<&serde_json::Value> = tasks.iter().map(|t| &t.input).collect();
    let estimates: Vec<i32> = tasks
        .iter()
        .map(|t| t.estimated_duration.min(i32::MAX as u32) as i32)
        .collect();
    let timeout_ms = i32::try_from(limits.timeout.as_millis())
        .unwrap_or(i32::MAX)
        .clamp(1, 86_400_000);

    // language=PostgreSQL
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        r#"
        insert into tasks (workflow_id, owner_id, key, description, kind, required_capabilities, dependencies,
                           pending_dependencies, level, position, input, estimated_duration, max_attempts, timeout_ms)
        select $1, $2, u.key, u.description, u.kind,
               array(select jsonb_array_elements_text(u.caps)),
               array(select jsonb_array_elements_text(u.deps)),
               u.pending, u.level, u.position, u.input, u.est, $3, $4
        from unnest($5::text[], $6::text[], $7::text[], $8::jsonb[], $9::jsonb[], $10::int[], $11::int[],
                    $12::int[], $13::jsonb[], $14::int[])
             as u(key, description, kind, caps, deps, pending, level, position, input, est)
        returning id, key
        "#,
    )
    .bind(wf.id.0)
    .bind(wf.owner_id.0)
    .bind(limits.max_attempts)
    .bind(timeout_ms)
    .bind(&keys)
    .bind(&descriptions)
    .bind(&kinds)
    .bind(&caps)
    .bind(&deps)
    .bind(&pending)
    .bind(&levels)
    .bind(&position)
    .bind(&inputs)
    .bind(&estimates)
    .fetch_all(&mut *conn)
    .await?;

    let new_ids: HashMap<&str, Uuid> = rows.iter().map(|(id, k)| (k.as_str(), *id)).collect();
    let id_of = |i: usize| -> Uuid {
        let key = all[i].id.as_str();
        new_ids
            .get(key)
            .copied()
            .or_else(|| existing.get(key).map(|(id, _)| *id))
            .expect("every task has an id")
    };
    let mut from = Vec::new();
    let mut to = Vec::new();
    for i in first_new..all.len() {
        for d in dag.dependencies(i) {
            from.push(id_of(d));
            to.push(id_of(i));
        }
    }
    if !from.is_empty() {
        // language=PostgreSQL
        sqlx::query("insert into task_edges (from_task, to_task) select * from unnest($1::uuid[], $2::uuid[])")
            .bind(&from)
            .bind(&to)
            .execute(&mut *conn)
            .await?;
    }
    Ok(keys.iter().map(|k| TaskId(new_ids[k])).collect())
}

/// Adds `new` tasks to a pending or running workflow (a planning task growing its own
/// workflow). Their dependencies may name existing tasks; the extended graph is validated
/// before anything is written. In a running workflow, new tasks whose dependencies have all
/// succeeded are ready at once.
///
/// # Errors
/// [`Error::Conflict`] when the workflow has finished; [`Error::BadRequest`] when the
/// extended graph is not a valid DAG.
pub async fn extend(
    conn: &mut PgConnection,
    id: WorkflowId,
    new: Vec<TaskSpec>,
    limits: TaskLimits,
    now: DateTime<Utc>,
) -> Result<Vec<TaskId>> {
    let (wf, status, _) = lock(conn, id, None).await?;
    if status.is_terminal() {
        return Err(Error::Conflict(format!(
            "workflow {id} has already finished ({status})"
        )));
    }
    // language=PostgreSQL
    let rows: Vec<(Uuid, String, Vec<String>, String, i32)> = sqlx::query_as(
        "select id, key, dependencies, state, position from tasks where workflow_id = $1 order by position",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?;
    let next_position = rows.iter().map(|r| r.4 + 1).max().unwrap_or(0);
    let existing: HashMap<String, (Uuid, bool)> = rows
        .iter()
        .map(|(tid, key, _, state, _)| (key.clone(), (*tid, state == "succeeded")))
        .collect();
    let first_new = rows.len();
    let mut all: Vec<TaskSpec> = rows
        .into_iter()
        .map(|(_, key, dependencies, _, _)| TaskSpec {
            id: key,
            description: String::new(),
            kind: "existing".into(),
            dependencies,
            required_capabilities: vec![],
            estimated_duration: 0,
            input: serde_json::Value::Null,
        })
        .collect();
    let added: Vec<String> = new.iter().map(|t| t.id.clone()).collect();
    all.extend(new);
    let dag = domain::dag::validate(all)
        .map_err(|e| Error::BadRequest(format!("the extended task graph is invalid: {e}")))?;
    let ids = insert_tasks(conn, &wf, &dag, first_new, &existing, limits, next_position).await?;
    let mut evs = vec![wf.event(EventKind::WorkflowExtended).payload(json!({ "tasks": added }))];
    if status == WorkflowStatus::Running {
        let ids: Vec<Uuid> = ids.iter().map(|t| t.0).collect();
        // language=PostgreSQL
        let ready: Vec<(Uuid, String)> = sqlx::query_as(
            "update tasks set state = 'ready', ready_at = $2, run_at = $2
             where id = any($1) and state = 'pending' and state = any($3) and pending_dependencies = 0
             returning id, key",
        )
        .bind(&ids)
        .bind(now)
        .bind(transition::from(TaskState::Ready))
        .fetch_all(&mut *conn)
        .await?;
        evs.extend(ready.iter().map(|(tid, key)| {
            wf.event(EventKind::TaskReady)
                .task(TaskId(*tid))
                .payload(json!({ "task": key }))
        }));
    }
    events::append(conn, &evs).await?;
    Ok(ids)
}

/// Stores a workflow (status `pending`) with its tasks, and a `workflow.created` event.
///
/// # Errors
/// Database errors.
pub async fn create(conn: &mut PgConnection, new: NewWorkflow<'_>) -> Result<WorkflowId> {
    // language=PostgreSQL
    let id: Uuid = sqlx::query_scalar(
        r#"
        insert into workflows (owner_id, project_id, name, description, requirements, constraints,
                               execution_strategy, confidence, max_duration_ms)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        returning id
        "#,
    )
    .bind(new.owner_id.0)
    .bind(new.build_id.map(|b| b.0))
    .bind(&new.name)
    .bind(&new.description)
    .bind(json!(new.requirements))
    .bind(&new.constraints)
    .bind(new.execution_strategy.as_str())
    .bind(new.confidence)
    .bind(new.max_duration.map(ms))
    .fetch_one(&mut *conn)
    .await?;
    let wf = WorkflowRef {
        id: WorkflowId(id),
        owner_id: new.owner_id,
        build_id: new.build_id,
    };
    insert_tasks(conn, &wf, new.dag, 0, &HashMap::new(), new.limits, 0).await?;
    events::append(
        conn,
        &[wf.event(EventKind::WorkflowCreated)
            .payload(json!({ "name": new.name, "tasks": new.dag.len() }))],
    )
    .await?;
    Ok(wf.id)
}

#[derive(sqlx::FromRow)]
struct Locked {
    owner_id: Uuid,
    project_id: Option<Uuid>,
    status: String,
    max_duration_ms: Option<i64>,
}

/// Locks workflow `id` of `owner` and returns its reference and status.
pub(crate) async fn lock(
    conn: &mut PgConnection,
    id: WorkflowId,
    owner: Option<UserId>,
) -> Result<(WorkflowRef, WorkflowStatus, Option<i64>)> {
    // language=PostgreSQL
    let row: Option<Locked> = sqlx::query_as(
        "select owner_id, project_id, status, max_duration_ms from workflows
         where id = $1 and ($2::uuid is null or owner_id = $2) for update",
    )
    .bind(id.0)
    .bind(owner.map(|o| o.0))
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or_else(|| Error::not_found("workflow", id))?;
    let status = parse(&row.status)?;
    Ok((
        WorkflowRef {
            id,
            owner_id: UserId(row.owner_id),
            build_id: row.project_id.map(BuildId),
        },
        status,
        row.max_duration_ms,
    ))
}

/// Starts a pending workflow: in sequential mode, chains its tasks in topological order;
/// makes every task without pending dependencies ready. Returns how many became ready.
///
/// # Errors
/// [`Error::NotFound`]; [`Error::Conflict`] when the workflow is not pending.
pub async fn start(
    conn: &mut PgConnection,
    id: WorkflowId,
    owner: Option<UserId>,
    mode: ExecutionMode,
    now: DateTime<Utc>,
) -> Result<u64> {
    let (wf, status, max_duration_ms) = lock(conn, id, owner).await?;
    match status {
        WorkflowStatus::Pending => {}
        WorkflowStatus::Running => return Err(Error::Conflict(format!("workflow {id} is already running"))),
        other => {
            return Err(Error::Conflict(format!(
                "workflow {id} has already finished ({other}); create a new one to run it again"
            )))
        }
    }
    if mode == ExecutionMode::Sequential {
        // Each task also waits for the one before it in topological order, so they run one
        // at a time; a failure stops the rest (they are skipped).
        // language=PostgreSQL
        sqlx::query(
            r#"
            insert into task_edges (from_task, to_task)
            select prev_id, id from (
                select id, lag(id) over (order by position) as prev_id from tasks where workflow_id = $1
            ) chain
            where prev_id is not null
            on conflict do nothing
            "#,
        )
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
        // language=PostgreSQL
        sqlx::query(
            "update tasks t set pending_dependencies = (select count(*) from task_edges e where e.to_task = t.id)
             where t.workflow_id = $1",
        )
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    }
    let deadline = max_duration_ms.map(|ms| after(now, Duration::from_millis(ms as u64)));
    // language=PostgreSQL
    let n = sqlx::query(
        "update workflows set status = 'running', mode = $2, started_at = $3, deadline_at = $4
         where id = $1 and status = any($5)",
    )
    .bind(id.0)
    .bind(mode.as_str())
    .bind(now)
    .bind(deadline)
    .bind(transition::from(WorkflowStatus::Running))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    changed(format_args!("workflow {id}"), WorkflowStatus::Running, 1, n)?;
    // language=PostgreSQL
    let ready: Vec<(Uuid, String)> = sqlx::query_as(
        "update tasks set state = 'ready', ready_at = $2, run_at = $2
         where workflow_id = $1 and state = 'pending' and state = any($3) and pending_dependencies = 0
         returning id, key",
    )
    .bind(id.0)
    .bind(now)
    .bind(transition::from(TaskState::Ready))
    .fetch_all(&mut *conn)
    .await?;
    let mut evs = vec![wf.event(EventKind::WorkflowStarted).payload(json!({ "mode": mode }))];
    evs.extend(ready.iter().map(|(tid, key)| {
        wf.event(EventKind::TaskReady)
            .task(TaskId(*tid))
            .payload(json!({ "task": key }))
    }));
    events::append(conn, &evs).await?;
    Ok(ready.len() as u64)
}

/// Ends a workflow early with `status` (`cancelled` or `timeout`): tasks that are not
/// running are cancelled now; running ones are told to stop by the
/// `workflow.cancel_requested` event (their workers also see the status on their next lease
/// renewal) and end as cancelled.
///
/// # Errors
/// [`Error::NotFound`]; [`Error::Conflict`] when the workflow has already finished.
pub async fn stop(
    conn: &mut PgConnection,
    id: WorkflowId,
    owner: Option<UserId>,
    status: WorkflowStatus,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let (wf, current, _) = lock(conn, id, owner).await?;
    if current.is_terminal() {
        return Err(Error::Conflict(format!(
            "workflow {id} has already finished ({current})"
        )));
    }
    // language=PostgreSQL
    let cancelled: Vec<(Uuid, String)> = sqlx::query_as(
        "update tasks set state = 'cancelled', finished_at = $2, error = $3
         where workflow_id = $1 and state in ('pending', 'ready') and state = any($4)
         returning id, key",
    )
    .bind(id.0)
    .bind(now)
    .bind(reason)
    .bind(transition::from(TaskState::Cancelled))
    .fetch_all(&mut *conn)
    .await?;
    // language=PostgreSQL
    let n = sqlx::query("update workflows set status = $2, finished_at = $3 where id = $1 and status = any($4)")
        .bind(id.0)
        .bind(status.as_str())
        .bind(now)
        .bind(transition::from(status))
        .execute(&mut *conn)
        .await?
        .rows_affected();
    changed(format_args!("workflow {id}"), status, 1, n)?;
    builds::finish_for_workflow(conn, &wf, status, Some(reason), now).await?;
    let mut evs = vec![wf
        .event(EventKind::WorkflowCancelRequested)
        .payload(json!({ "reason": reason, "status": status }))];
    evs.extend(cancelled.iter().map(|(tid, key)| {
        wf.event(EventKind::TaskCancelled)
            .task(TaskId(*tid))
            .payload(json!({ "task": key, "error": reason }))
    }));
    evs.push(
        wf.event(EventKind::WorkflowFinished)
            .payload(json!({ "status": status, "reason": reason })),
    );
    events::append(conn, &evs).await?;
    Ok(())
}

/// Gives a running workflow whose tasks have all finished its terminal status: `completed`
/// when every task succeeded, `partial_success` when some did, else `failed`. Safe to call
/// any number of times from any process: only one call finishes it.
///
/// # Errors
/// Database errors.
pub async fn finish_if_done(
    conn: &mut PgConnection,
    id: WorkflowId,
    now: DateTime<Utc>,
) -> Result<Option<WorkflowStatus>> {
    // The `not exists` is re-checked after the row lock is taken, so a task that is still
    // open in another committed transaction keeps the workflow running.
    // language=PostgreSQL
    let row: Option<(String, Uuid, Option<Uuid>, i64, i64, i64)> = sqlx::query_as(
        r#"
        with counts as (
            select count(*) filter (where state = 'succeeded') as ok,
                   count(*) filter (where state in ('failed', 'skipped', 'cancelled')) as bad,
                   count(*) as total
            from tasks where workflow_id = $1
        )
        update workflows w
        set status = case when c.ok = c.total then 'completed' when c.ok > 0 then 'partial_success' else 'failed' end,
            finished_at = $2
        from counts c
        where w.id = $1 and w.status = any($3)
          and not exists (select 1 from tasks t where t.workflow_id = $1 and t.state in ('pending', 'ready', 'running'))
        returning w.status, w.owner_id, w.project_id, c.ok, c.bad, c.total
        "#,
    )
    .bind(id.0)
    .bind(now)
    .bind(WorkflowStatus::sources(&[
        WorkflowStatus::Completed,
        WorkflowStatus::PartialSuccess,
        WorkflowStatus::Failed,
    ]))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((status, owner, project, ok, bad, total)) = row else {
        return Ok(None);
    };
    let status: WorkflowStatus = parse(&status)?;
    let wf = WorkflowRef {
        id,
        owner_id: UserId(owner),
        build_id: project.map(BuildId),
    };
    events::append(
        conn,
        &[wf.event(EventKind::WorkflowFinished)
            .payload(json!({ "status": status, "succeeded": ok, "failed": bad, "total": total }))],
    )
    .await?;
    builds::finish_for_workflow(conn, &wf, status, None, now).await?;
    Ok(Some(status))
}

/// Running workflows past their deadline (at most `limit`), locked for the caller.
pub(crate) async fn overdue(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> Result<Vec<WorkflowId>> {
    // language=PostgreSQL
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select id from workflows where status = 'running' and deadline_at < $1
         order by deadline_at limit $2 for update skip locked",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(ids.into_iter().map(WorkflowId).collect())
}

/// Cancels tasks left pending or ready in workflows that have finished (a safety net; the
/// locks in `tasks::complete` and [`stop`] should leave none). Returns how many.
pub(crate) async fn cancel_orphans(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<u64> {
    // language=PostgreSQL
    let n = sqlx::query(
        "update tasks t set state = 'cancelled', finished_at = $1, error = 'its workflow had already finished'
         from workflows w
         where w.id = t.workflow_id and t.state in ('pending', 'ready') and t.state = any($2)
           and w.status not in ('pending', 'running')",
    )
    .bind(now)
    .bind(transition::from(TaskState::Cancelled))
    .execute(conn)
    .await?
    .rows_affected();
    if n > 0 {
        tracing::warn!(tasks = n, "cancelled tasks left open in finished workflows");
    }
    Ok(n)
}

/// Running workflows with no open task (left over when two last tasks finished at once).
pub(crate) async fn done_but_running(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<WorkflowId>> {
    // language=PostgreSQL
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select w.id from workflows w where w.status = 'running'
           and not exists (select 1 from tasks t where t.workflow_id = w.id and t.state in ('pending', 'ready', 'running'))
         limit $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(ids.into_iter().map(WorkflowId).collect())
}

#[derive(sqlx::FromRow)]
struct WorkflowRow {
    id: Uuid,
    name: String,
    description: String,
    status: String,
    mode: String,
    execution_strategy: String,
    confidence: Option<f32>,
    project_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    deadline_at: Option<DateTime<Utc>>,
    counts: sqlx::types::Json<TaskCounts>,
}

// The per-state counts as one JSON object, so list queries need no second round trip.
// language=PostgreSQL
const COUNTS: &str = r#"
    (select jsonb_build_object(
        'pending', count(*) filter (where t.state = 'pending'),
        'ready', count(*) filter (where t.state = 'ready'),
        'running', count(*) filter (where t.state = 'running'),
        'succeeded', count(*) filter (where t.state = 'succeeded'),
        'failed', count(*) filter (where t.state = 'failed'),
        'cancelled', count(*) filter (where t.state = 'cancelled'),
        'skipped', count(*) filter (where t.state = 'skipped'),
        'total', count(*))
     from tasks t where t.workflow_id = w.id) as counts"#;

/// Workflow `id` with every task, if it exists and (when `owner` is given) is theirs.
///
/// # Errors
/// [`Error::NotFound`]; database errors.
pub async fn get(conn: &mut PgConnection, id: WorkflowId, owner: Option<UserId>) -> Result<WorkflowView> {
    // language=PostgreSQL
    let sql = format!(
        "select w.id, w.name, w.description, w.status, w.mode, w.execution_strategy, w.confidence, w.project_id,
                w.created_at, w.started_at, w.finished_at, w.deadline_at, {COUNTS}
         from workflows w where w.id = $1 and ($2::uuid is null or w.owner_id = $2)"
    );
    let row: WorkflowRow = sqlx::query_as(&sql)
        .bind(id.0)
        .bind(owner.map(|o| o.0))
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| Error::not_found("workflow", id))?;
    let tasks = tasks::of_workflow(&mut *conn, id).await?;
    Ok(WorkflowView {
        workflow_id: WorkflowId(row.id),
        status: parse(&row.status)?,
        mode: parse(&row.mode)?,
        execution_strategy: parse(&row.execution_strategy)?,
        name: row.name,
        description: row.description,
        confidence: row.confidence,
        build_id: row.project_id.map(BuildId),
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        deadline_at: row.deadline_at,
        counts: row.counts.0,
        tasks,
    })
}

/// A page of `owner`'s workflows, newest first, older than `before` when given.
///
/// # Errors
/// Database errors.
pub async fn list(
    db: impl PgExecutor<'_>,
    owner: Option<UserId>,
    before: Option<DateTime<Utc>>,
    limit: i64,
) -> Result<Vec<WorkflowSummary>> {
    // language=PostgreSQL
    let sql = format!(
        "select w.id, w.name, w.description, w.status, w.mode, w.execution_strategy, w.confidence, w.project_id,
                w.created_at, w.started_at, w.finished_at, w.deadline_at, {COUNTS}
         from workflows w
         where ($1::uuid is null or w.owner_id = $1) and ($2::timestamptz is null or w.created_at < $2)
         order by w.created_at desc, w.id desc
         limit $3"
    );
    let rows: Vec<WorkflowRow> = sqlx::query_as(&sql)
        .bind(owner.map(|o| o.0))
        .bind(before)
        .bind(limit)
        .fetch_all(db)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(WorkflowSummary {
                workflow_id: WorkflowId(r.id),
                status: parse(&r.status)?,
                mode: parse(&r.mode)?,
                name: r.name,
                build_id: r.project_id.map(BuildId),
                created_at: r.created_at,
                started_at: r.started_at,
                finished_at: r.finished_at,
                counts: r.counts.0,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use domain::{dag::TaskSpec, ids::LOCAL_USER_ID};
    use sqlx::PgPool;

    use super::*;

    async fn finished_events(pool: &PgPool, id: WorkflowId) -> i64 {
        sqlx::query_scalar(
            "select count(*) from coordination_events where workflow_id = $1 and kind = 'workflow.finished'",
        )
        .bind(id.0)
        .fetch_one(pool)
        .await
        .unwrap()
    }

    #[sqlx::test(migrations = "../migrations")]
    async fn a_workflow_finishes_once_and_a_finished_one_neither_starts_nor_stops(pool: PgPool) {
        let now = Utc::now();
        let mut conn = pool.acquire().await.unwrap();
        let dag = domain::dag::validate(vec![TaskSpec {
            id: "only".into(),
            description: "the only task".into(),
            kind: "noop".into(),
            dependencies: vec![],
            required_capabilities: vec![],
            estimated_duration: 1,
            input: serde_json::Value::Null,
        }])
        .unwrap();
        let id = create(
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
        assert_eq!(
            start(&mut conn, id, None, ExecutionMode::Parallel, now).await.unwrap(),
            1
        );
        assert_eq!(
            finish_if_done(&mut conn, id, now).await.unwrap(),
            None,
            "a task is open"
        );

        sqlx::query("update tasks set state = 'succeeded' where workflow_id = $1")
            .bind(id.0)
            .execute(&mut *conn)
            .await
            .unwrap();
        assert_eq!(
            finish_if_done(&mut conn, id, now).await.unwrap(),
            Some(WorkflowStatus::Completed)
        );
        // Only a running workflow can finish: a second call changes nothing.
        assert_eq!(finish_if_done(&mut conn, id, now).await.unwrap(), None);
        assert_eq!(finished_events(&pool, id).await, 1);

        let again = start(&mut conn, id, None, ExecutionMode::Parallel, now)
            .await
            .unwrap_err();
        assert!(matches!(again, Error::Conflict(_)), "{again}");
        let stop_it = stop(&mut conn, id, None, WorkflowStatus::Cancelled, "late", now)
            .await
            .unwrap_err();
        assert!(matches!(stop_it, Error::Conflict(_)), "{stop_it}");
        let status: String = sqlx::query_scalar("select status from workflows where id = $1")
            .bind(id.0)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(status, "completed");
        assert_eq!(finished_events(&pool, id).await, 1);
    }
}
