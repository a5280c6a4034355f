//! Agents and their live state (`agents`, `agent_states`).

use chrono::{DateTime, Utc};
use domain::{
    agent::AgentSpec,
    api::AgentView,
    event::EventKind,
    ids::{AgentId, UserId},
    status::AgentStatus,
};
use serde_json::json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::events::{self, NewEvent};
use crate::error::{Error, OnConstraint, Result};

#[derive(sqlx::FromRow)]
struct AgentRow {
    id: Uuid,
    name: String,
    kind: String,
    capabilities: Vec<String>,
    max_concurrency: i32,
    provider: Option<String>,
    model: Option<String>,
    builtin: bool,
    status: String,
    current_load: i32,
    last_heartbeat_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<AgentRow> for AgentView {
    type Error = Error;
    fn try_from(r: AgentRow) -> Result<Self> {
        let bad = |e: domain::UnknownWord| Error::Internal(format!("agent {}: {e}", r.name));
        Ok(AgentView {
            id: AgentId(r.id),
            kind: r.kind.parse().map_err(bad)?,
            capabilities: r
                .capabilities
                .iter()
                .map(|c| c.parse())
                .collect::<Result<_, _>>()
                .map_err(bad)?,
            status: r.status.parse().map_err(bad)?,
            name: r.name,
            max_concurrency: r.max_concurrency,
            provider: r.provider,
            model: r.model,
            builtin: r.builtin,
            current_load: r.current_load,
            last_heartbeat_at: r.last_heartbeat_at,
            created_at: r.created_at,
        })
    }
}

/// Every agent with its live state, built-in ones first, then by name.
///
/// # Errors
/// Database errors.
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<AgentView>> {
    // language=PostgreSQL
    let rows: Vec<AgentRow> = sqlx::query_as(
        r#"
        select a.id, a.name, a.kind, a.capabilities, a.max_concurrency, a.provider, a.model,
               a.builtin, s.status, s.current_load, s.last_heartbeat_at, a.created_at
        from agents a
        join agent_states s on s.agent_id = a.id
        order by a.builtin desc, a.name
        "#,
    )
    .fetch_all(db)
    .await?;
    rows.into_iter().map(AgentView::try_from).collect()
}

/// Stores a validated agent (status `offline` until its first heartbeat) and appends
/// `agent.registered`.
///
/// # Errors
/// [`Error::Conflict`] when the name is taken; database errors.
pub async fn register(conn: &mut PgConnection, spec: &AgentSpec, owner: UserId) -> Result<AgentId> {
    // language=PostgreSQL
    let id: Uuid = sqlx::query_scalar(
        r#"
        insert into agents (name, kind, capabilities, max_concurrency, provider, model, configuration, owner_id)
        values ($1, $2, $3, $4, $5, $6, $7, $8)
        returning id
        "#,
    )
    .bind(spec.name.as_str())
    .bind(spec.kind.as_str())
    .bind(spec.capabilities.iter().map(|c| c.as_str()).collect::<Vec<_>>())
    .bind(spec.max_concurrency)
    .bind(&spec.provider)
    .bind(&spec.model)
    .bind(&spec.configuration)
    .bind(owner.0)
    .fetch_one(&mut *conn)
    .await
    .on_constraint("agents_name_key", || {
        Error::Conflict(format!("an agent named {} is already registered", spec.name))
    })?;
    // language=PostgreSQL
    sqlx::query("insert into agent_states (agent_id) values ($1)")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    events::append(
        conn,
        &[NewEvent::new(EventKind::AgentRegistered)
            .agent(AgentId(id))
            .payload(json!({
                "agent": spec.name.as_str(),
                "kind": spec.kind,
                "capabilities": spec.capabilities,
            }))],
    )
    .await?;
    Ok(AgentId(id))
}

/// Deletes a registered (not built-in) agent that runs nothing, and appends
/// `agent.deleted`; returns its name.
///
/// # Errors
/// [`Error::NotFound`]; [`Error::Conflict`] for a built-in agent or one running tasks.
pub async fn delete(conn: &mut PgConnection, id: AgentId) -> Result<String> {
    // language=PostgreSQL
    let row: Option<(String, bool, bool)> = sqlx::query_as(
        "select a.name, a.builtin, exists (select 1 from tasks t where t.agent_id = a.id and t.state = 'running')
         from agents a where a.id = $1 for update",
    )
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((name, builtin, busy)) = row else {
        return Err(Error::not_found("agent", id));
    };
    if builtin {
        return Err(Error::Conflict(format!("{name} is built in and cannot be deleted")));
    }
    if busy {
        return Err(Error::Conflict(format!(
            "{name} is running tasks; cancel them or wait before deleting it"
        )));
    }
    // language=PostgreSQL
    sqlx::query("delete from agents where id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await?;
    events::append(
        conn,
        &[NewEvent::new(EventKind::AgentDeleted)
            .agent(id)
            .payload(json!({ "agent": name }))],
    )
    .await?;
    Ok(name)
}

/// One agent with its live state.
///
/// # Errors
/// [`Error::NotFound`]; database errors.
pub async fn get(db: impl PgExecutor<'_>, id: AgentId) -> Result<AgentView> {
    // language=PostgreSQL
    let row: Option<AgentRow> = sqlx::query_as(
        r#"
        select a.id, a.name, a.kind, a.capabilities, a.max_concurrency, a.provider, a.model,
               a.builtin, s.status, s.current_load, s.last_heartbeat_at, a.created_at
        from agents a join agent_states s on s.agent_id = a.id
        where a.id = $1
        "#,
    )
    .bind(id.0)
    .fetch_optional(db)
    .await?;
    row.ok_or_else(|| Error::not_found("agent", id))?.try_into()
}

/// Ids of agents by name (unknown names are left out).
///
/// # Errors
/// Database errors.
pub async fn ids_by_name(db: impl PgExecutor<'_>, names: &[String]) -> Result<Vec<AgentId>> {
    let ids: Vec<Uuid> = sqlx::query_scalar("select id from agents where name = any($1)")
        .bind(names)
        .fetch_all(db)
        .await?;
    Ok(ids.into_iter().map(AgentId).collect())
}

/// The heartbeat of this process for the agents it runs (`None`: all): stamps them, brings
/// offline ones back, and sets each one's load and `busy`/`idle` from its running tasks.
/// Appends `agent.status_changed` for every status that changed.
///
/// # Errors
/// Database errors.
pub async fn heartbeat(
    conn: &mut PgConnection,
    agents: Option<&[AgentId]>,
    host: &str,
    now: DateTime<Utc>,
) -> Result<usize> {
    let ids: Option<Vec<Uuid>> = agents.map(|a| a.iter().map(|a| a.0).collect());
    // `skip locked`: an agent being claimed for right now is clearly alive; its load is
    // set by the claim and refreshed on the next beat.
    // language=PostgreSQL
    let changed: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        r#"
        with load as (
            select a.id, coalesce((select count(*) from tasks t where t.state = 'running' and t.agent_id = a.id), 0)::int as n
            from agents a where ($1::uuid[] is null or a.id = any($1))
        ), target as (
            select s.agent_id, s.status as old from agent_states s join load on load.id = s.agent_id
            order by s.agent_id for update of s skip locked
        )
        update agent_states s
        set last_heartbeat_at = $2, host = $3, current_load = load.n,
            status = case when load.n > 0 then 'busy' else 'idle' end
        from load, target, agents a
        where s.agent_id = load.id and target.agent_id = s.agent_id and a.id = s.agent_id
        returning s.agent_id, a.name, target.old, s.status
        "#,
    )
    .bind(&ids)
    .bind(now)
    .bind(host)
    .fetch_all(&mut *conn)
    .await?;
    let evs: Vec<NewEvent> = changed
        .iter()
        .filter(|(_, _, old, new)| old != new)
        .map(|(id, name, old, new)| {
            NewEvent::new(EventKind::AgentStatusChanged)
                .agent(AgentId(*id))
                .payload(json!({ "agent": name, "from": old, "to": new }))
        })
        .collect();
    events::append(conn, &evs).await?;
    Ok(changed.len())
}

/// Marks offline every agent whose last heartbeat is older than `ttl`, so it gets no new
/// work. Returns how many were marked.
///
/// # Errors
/// Database errors.
pub async fn mark_stale_offline(
    conn: &mut PgConnection,
    ttl: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<usize> {
    let cutoff = now - chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
    // language=PostgreSQL
    let gone: Vec<(Uuid, String, String)> = sqlx::query_as(
        r#"
        with stale as (
            select s.agent_id, s.status as old from agent_states s
            where s.status <> 'offline' and (s.last_heartbeat_at is null or s.last_heartbeat_at < $1)
            for update skip locked
        )
        update agent_states s set status = 'offline', current_load = 0
        from stale, agents a
        where s.agent_id = stale.agent_id and a.id = s.agent_id
        returning s.agent_id, a.name, stale.old
        "#,
    )
    .bind(cutoff)
    .fetch_all(&mut *conn)
    .await?;
    let evs: Vec<NewEvent> = gone
        .iter()
        .map(|(id, name, old)| {
            NewEvent::new(EventKind::AgentStatusChanged)
                .agent(AgentId(*id))
                .payload(
                    json!({ "agent": name, "from": old, "to": AgentStatus::Offline, "reason": "heartbeat stopped" }),
                )
        })
        .collect();
    events::append(conn, &evs).await?;
    Ok(gone.len())
}
