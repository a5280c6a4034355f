//! The coordination event log (`coordination_events`): append in the caller's transaction,
//! read pages of it back (a row of a kind this version does not know is skipped, not an error;
//! a [`Page`] still counts it and ends at its id, so readers page past it).

use chrono::{DateTime, Utc};
use domain::{
    event::{CoordinationEvent, EventKind},
    ids::{AgentId, BuildId, EventId, TaskId, UserId, WorkflowId},
};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::error::{Error, Result};

/// An event to append; the database assigns `id` and `created_at`.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// The workflow it concerns.
    pub workflow_id: Option<WorkflowId>,
    /// The task it concerns.
    pub task_id: Option<TaskId>,
    /// The agent it concerns.
    pub agent_id: Option<AgentId>,
    /// The build it concerns.
    pub build_id: Option<BuildId>,
    /// Whose it is.
    pub owner_id: Option<UserId>,
    /// Details.
    pub payload: serde_json::Value,
}

impl NewEvent {
    /// An event of `kind` about nothing in particular yet; fill in with the builder methods.
    pub fn new(kind: EventKind) -> Self {
        Self {
            kind,
            workflow_id: None,
            task_id: None,
            agent_id: None,
            build_id: None,
            owner_id: None,
            payload: serde_json::json!({}),
        }
    }
    /// Sets the workflow.
    pub fn workflow(mut self, id: WorkflowId) -> Self {
        self.workflow_id = Some(id);
        self
    }
    /// Sets the task.
    pub fn task(mut self, id: TaskId) -> Self {
        self.task_id = Some(id);
        self
    }
    /// Sets the agent.
    pub fn agent(mut self, id: AgentId) -> Self {
        self.agent_id = Some(id);
        self
    }
    /// Sets the build.
    pub fn build(mut self, id: Option<BuildId>) -> Self {
        self.build_id = id;
        self
    }
    /// Sets the owner.
    pub fn owner(mut self, id: UserId) -> Self {
        self.owner_id = Some(id);
        self
    }
    /// Sets the payload (an object).
    pub fn payload(mut self, payload: serde_json::Value) -> Self {
        self.payload = payload;
        self
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: i64,
    kind: String,
    workflow_id: Option<Uuid>,
    task_id: Option<Uuid>,
    agent_id: Option<Uuid>,
    project_id: Option<Uuid>,
    owner_id: Option<Uuid>,
    payload: serde_json::Value,
    created_at: DateTime<Utc>,
}

impl TryFrom<EventRow> for CoordinationEvent {
    type Error = Error;
    fn try_from(r: EventRow) -> Result<Self> {
        Ok(CoordinationEvent {
            id: EventId(r.id),
            kind: r
                .kind
                .parse()
                .map_err(|e| Error::Internal(format!("event {}: {e}", r.id)))?,
            workflow_id: r.workflow_id.map(WorkflowId),
            task_id: r.task_id.map(TaskId),
            agent_id: r.agent_id.map(AgentId),
            build_id: r.project_id.map(BuildId),
            owner_id: r.owner_id.map(UserId),
            payload: r.payload,
            created_at: r.created_at,
        })
    }
}

const COLUMNS: &str = "id, kind, workflow_id, task_id, agent_id, project_id, owner_id, payload, created_at";

/// Appends `n` bare rows of `kind` (any text, known to this version or not) in one
/// statement and returns their ids: the bus tests need kinds `EventKind` does not have,
/// bursts, and inserts held in an open transaction.
///
/// # Errors
/// Database errors.
#[cfg(test)]
pub(crate) async fn insert_bare(conn: &mut PgConnection, kind: &str, n: i64) -> Result<Vec<i64>> {
    // language=PostgreSQL
    Ok(
        sqlx::query_scalar("insert into coordination_events (kind) select $1 from generate_series(1, $2) returning id")
            .bind(kind)
            .bind(n)
            .fetch_all(conn)
            .await?,
    )
}

/// Appends events in one statement (so one NOTIFY), in the given order.
///
/// # Errors
/// Database errors.
pub async fn append(conn: &mut PgConnection, events: &[NewEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut kinds = Vec::with_capacity(events.len());
    let mut workflows = Vec::with_capacity(events.len());
    let mut tasks = Vec::with_capacity(events.len());
    let mut agents = Vec::with_capacity(events.len());
    let mut builds = Vec::with_capacity(events.len());
    let mut owners = Vec::with_capacity(events.len());
    let mut payloads = Vec::with_capacity(events.len());
    for e in events {
        kinds.push(e.kind.as_str());
        workflows.push(e.workflow_id.map(|i| i.0));
        tasks.push(e.task_id.map(|i| i.0));
        agents.push(e.agent_id.map(|i| i.0));
        builds.push(e.build_id.map(|i| i.0));
        owners.push(e.owner_id.map(|i| i.0));
        payloads.push(&e.payload);
    }
    // `with ordinality` keeps the ids in the order of the slice.
    // language=PostgreSQL
    sqlx::query(
        r#"
        insert into coordination_events (kind, workflow_id, task_id, agent_id, project_id, owner_id, payload)
        select kind, workflow_id, task_id, agent_id, project_id, owner_id, payload
        from unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::jsonb[])
             with ordinality as e(kind, workflow_id, task_id, agent_id, project_id, owner_id, payload, n)
        order by n
        "#,
    )
    .bind(&kinds)
    .bind(&workflows)
    .bind(&tasks)
    .bind(&agents)
    .bind(&builds)
    .bind(&owners)
    .bind(&payloads)
    .execute(conn)
    .await?;
    Ok(())
}

/// Filter for [`page`].
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only events with a greater id.
    pub since: Option<EventId>,
    /// Only events up to and including this id.
    pub until: Option<EventId>,
    /// Only this workflow's events.
    pub workflow_id: Option<WorkflowId>,
    /// Only this build's events.
    pub build_id: Option<BuildId>,
    /// Only kinds that start with this (`task.`, `build.finished`).
    pub kind_prefix: Option<String>,
    /// No kinds that start with this.
    pub exclude_kind_prefix: Option<String>,
    /// Only events that concern this agent.
    pub agent_id: Option<AgentId>,
    /// Only this person's events (events that belong to nobody are left out too).
    pub owner: Option<UserId>,
}

/// A page of events, and where the next one starts.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The events, oldest first; rows of a kind this version does not know are left out.
    pub events: Vec<CoordinationEvent>,
    /// Rows read, unknown kinds included: a full page (as many as asked for) may have more
    /// after it, whatever `events.len()` is.
    pub rows: usize,
    /// The id of the last row read, unknown kinds included: where the next page starts.
    pub last_id: Option<EventId>,
}

/// Up to `limit` events matching `filter`, oldest first when `since` is given, else the
/// newest `limit` (still returned oldest first).
///
/// # Errors
/// Database errors.
pub async fn page(db: impl PgExecutor<'_>, filter: &EventFilter, limit: i64) -> Result<Page> {
    let rows = page_by_id(db, filter, limit).await?;
    Ok(Page {
        rows: rows.len(),
        last_id: rows.last().map(|(id, _)| EventId(*id)),
        events: rows.into_iter().filter_map(|(_, event)| event).collect(),
    })
}

/// Like [`page`], with every row's id: an event of a kind this version does not know (a newer
/// version wrote it, during a rolling upgrade) comes back as `(id, None)` instead of failing
/// the whole page, so readers that follow ids (the bus) step over it rather than stop there.
///
/// # Errors
/// Database errors.
pub async fn page_by_id(
    db: impl PgExecutor<'_>,
    filter: &EventFilter,
    limit: i64,
) -> Result<Vec<(i64, Option<CoordinationEvent>)>> {
    let newest_first = filter.since.is_none();
    // language=PostgreSQL
    let sql = format!(
        r#"
        select {COLUMNS} from coordination_events
        where ($1::bigint is null or id > $1)
          and ($2::bigint is null or id <= $2)
          and ($3::uuid is null or workflow_id = $3)
          and ($4::uuid is null or project_id = $4)
          and ($5::text is null or starts_with(kind, $5))
          and ($6::uuid is null or agent_id = $6)
          and ($8::uuid is null or owner_id = $8)
          and ($9::text is null or not starts_with(kind, $9))
        order by id {}
        limit $7
        "#,
        if newest_first { "desc" } else { "asc" }
    );
    let rows: Vec<EventRow> = sqlx::query_as(&sql)
        .bind(filter.since.map(|i| i.0))
        .bind(filter.until.map(|i| i.0))
        .bind(filter.workflow_id.map(|i| i.0))
        .bind(filter.build_id.map(|i| i.0))
        .bind(filter.kind_prefix.as_deref())
        .bind(filter.agent_id.map(|i| i.0))
        .bind(limit)
        .bind(filter.owner.map(|o| o.0))
        .bind(filter.exclude_kind_prefix.as_deref())
        .fetch_all(db)
        .await?;
    let mut events: Vec<(i64, Option<CoordinationEvent>)> = rows
        .into_iter()
        .map(|row| {
            let id = row.id;
            match CoordinationEvent::try_from(row) {
                Ok(event) => (id, Some(event)),
                Err(e) => {
                    tracing::debug!(error.message = %e, "skipping an event this version cannot read");
                    (id, None)
                }
            }
        })
        .collect();
    if newest_first {
        events.reverse();
    }
    Ok(events)
}

/// The newest event id, or 0 when the log is empty.
///
/// # Errors
/// Database errors.
pub async fn latest_id(db: impl PgExecutor<'_>) -> Result<EventId> {
    let id: Option<i64> = sqlx::query_scalar("select max(id) from coordination_events")
        .fetch_one(db)
        .await?;
    Ok(EventId(id.unwrap_or(0)))
}

/// What the events of a workflow carry: its owner and its build.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkflowRef {
    pub(crate) id: WorkflowId,
    pub(crate) owner_id: UserId,
    pub(crate) build_id: Option<BuildId>,
}

impl WorkflowRef {
    pub(crate) fn event(&self, kind: EventKind) -> NewEvent {
        NewEvent::new(kind)
            .workflow(self.id)
            .owner(self.owner_id)
            .build(self.build_id)
    }
}
