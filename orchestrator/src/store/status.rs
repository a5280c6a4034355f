//! Counts across tables for the orchestrator's status: agents by liveness, workflows by
//! status, tasks by state, builds by status, and the ready queue; and the health probe.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::api::TaskCounts;
use sqlx::PgPool;

use crate::error::Result;

/// What [`counts`] reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Agents registered.
    pub agents_registered: i64,
    /// Agents not offline.
    pub agents_active: i64,
    /// Workflows by status word.
    pub workflows: BTreeMap<String, i64>,
    /// Tasks by state.
    pub tasks: TaskCounts,
    /// Ready tasks that are due.
    pub queue_depth: i64,
}

/// The counts, as of `now` (which decides what is due).
///
/// # Errors
/// Database errors.
pub async fn counts(pool: &PgPool, now: DateTime<Utc>) -> Result<Counts> {
    // language=PostgreSQL
    let (agents_registered, agents_active): (i64, i64) =
        sqlx::query_as("select count(*), count(*) filter (where status <> 'offline') from agent_states")
            .fetch_one(pool)
            .await?;
    // language=PostgreSQL
    let workflows: BTreeMap<String, i64> =
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
    Ok(Counts {
        agents_registered,
        agents_active,
        workflows,
        tasks,
        queue_depth,
    })
}

/// Builds by status word, and how long the oldest due ready task has waited (seconds, 0
/// when none waits): what `/metrics` adds to [`counts`].
///
/// # Errors
/// Database errors.
pub async fn build_counts(pool: &PgPool, now: DateTime<Utc>) -> Result<(BTreeMap<String, i64>, f64)> {
    // language=PostgreSQL
    let builds: BTreeMap<String, i64> =
        sqlx::query_as::<_, (String, i64)>("select status, count(*) from projects group by status")
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    // language=PostgreSQL
    let oldest: Option<f64> = sqlx::query_scalar(
        "select extract(epoch from ($1 - min(coalesce(ready_at, run_at))))::float8 from tasks where state = 'ready' and run_at <= $1",
    )
    .bind(now)
    .fetch_one(pool)
    .await?;
    Ok((builds, oldest.unwrap_or(0.0).max(0.0)))
}

/// A trivial query: whether the database answers at all.
///
/// # Errors
/// The driver's error.
pub async fn ping(pool: &PgPool) -> std::result::Result<(), sqlx::Error> {
    sqlx::query("select 1").execute(pool).await.map(|_| ())
}
