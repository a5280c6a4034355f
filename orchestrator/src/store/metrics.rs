//! Measurements (`performance_metrics`): task durations, queue waits, tokens. Appended in
//! the same transaction as the change they measure; summarised for the status endpoint.

use chrono::{DateTime, Utc};
use domain::{
    api::{MetricPoint, Percentiles},
    ids::{AgentId, BuildId, TaskId, WorkflowId},
};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::error::Result;

/// One measurement to append.
#[derive(Debug, Clone)]
pub struct NewMetric {
    /// Name (`task.duration`, `task.queue_wait`, `llm.tokens`).
    pub metric: &'static str,
    /// Value in `unit`.
    pub value: f64,
    /// `ms`, `count`, `tokens`, `bytes` or `ratio`.
    pub unit: &'static str,
    /// Its workflow.
    pub workflow_id: Option<WorkflowId>,
    /// Its task.
    pub task_id: Option<TaskId>,
    /// Its agent.
    pub agent_id: Option<AgentId>,
    /// Its build.
    pub build_id: Option<BuildId>,
    /// Anything else (an object).
    pub labels: serde_json::Value,
}

impl NewMetric {
    /// A measurement in milliseconds.
    pub fn ms(metric: &'static str, value: f64) -> Self {
        Self::new(metric, value, "ms")
    }

    /// A measurement in `unit`.
    pub fn new(metric: &'static str, value: f64, unit: &'static str) -> Self {
        Self {
            metric,
            value,
            unit,
            workflow_id: None,
            task_id: None,
            agent_id: None,
            build_id: None,
            labels: serde_json::json!({}),
        }
    }
    /// Sets the task.
    pub fn task(mut self, id: TaskId) -> Self {
        self.task_id = Some(id);
        self
    }
    /// Sets the workflow.
    pub fn workflow(mut self, id: WorkflowId) -> Self {
        self.workflow_id = Some(id);
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
    /// Sets the labels.
    pub fn labels(mut self, labels: serde_json::Value) -> Self {
        self.labels = labels;
        self
    }
}

/// Appends measurements in one statement.
///
/// # Errors
/// Database errors.
pub async fn record(conn: &mut PgConnection, metrics: &[NewMetric]) -> Result<()> {
    if metrics.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = metrics.iter().map(|m| m.metric).collect();
    let values: Vec<f64> = metrics.iter().map(|m| m.value).collect();
    let units: Vec<&str> = metrics.iter().map(|m| m.unit).collect();
    let workflows: Vec<Option<Uuid>> = metrics.iter().map(|m| m.workflow_id.map(|i| i.0)).collect();
    let tasks: Vec<Option<Uuid>> = metrics.iter().map(|m| m.task_id.map(|i| i.0)).collect();
    let agents: Vec<Option<Uuid>> = metrics.iter().map(|m| m.agent_id.map(|i| i.0)).collect();
    let builds: Vec<Option<Uuid>> = metrics.iter().map(|m| m.build_id.map(|i| i.0)).collect();
    let labels: Vec<&serde_json::Value> = metrics.iter().map(|m| &m.labels).collect();
    // language=PostgreSQL
    sqlx::query(
        r#"
        insert into performance_metrics (metric, value, unit, workflow_id, task_id, agent_id, project_id, labels)
        select * from unnest($1::text[], $2::float8[], $3::text[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[], $8::jsonb[])
        "#,
    )
    .bind(&names)
    .bind(&values)
    .bind(&units)
    .bind(&workflows)
    .bind(&tasks)
    .bind(&agents)
    .bind(&builds)
    .bind(&labels)
    .execute(conn)
    .await?;
    Ok(())
}

/// Count and p50/p95/p99 of `metric` recorded since `since`.
///
/// # Errors
/// Database errors.
pub async fn percentiles(db: impl PgExecutor<'_>, metric: &str, since: DateTime<Utc>) -> Result<Percentiles> {
    // language=PostgreSQL
    let (count, p50, p95, p99): (i64, Option<f64>, Option<f64>, Option<f64>) = sqlx::query_as(
        r#"
        select count(*),
               percentile_cont(0.5) within group (order by value),
               percentile_cont(0.95) within group (order by value),
               percentile_cont(0.99) within group (order by value)
        from performance_metrics where metric = $1 and created_at >= $2
        "#,
    )
    .bind(metric)
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok(Percentiles { count, p50, p95, p99 })
}

#[derive(sqlx::FromRow)]
struct PointRow {
    at: DateTime<Utc>,
    count: i64,
    sum: f64,
    p50: Option<f64>,
    p95: Option<f64>,
    max: Option<f64>,
}

/// `metric` bucketed by `bucket_secs` since `since`, oldest first.
///
/// # Errors
/// Database errors.
pub async fn series(
    db: impl PgExecutor<'_>,
    metric: &str,
    since: DateTime<Utc>,
    bucket_secs: i64,
) -> Result<Vec<MetricPoint>> {
    // language=PostgreSQL
    let rows: Vec<PointRow> = sqlx::query_as(
        r#"
        select to_timestamp(floor(extract(epoch from created_at) / $3) * $3) as at, count(*) as count, sum(value) as sum,
               percentile_cont(0.5) within group (order by value) as p50,
               percentile_cont(0.95) within group (order by value) as p95,
               max(value) as max
        from performance_metrics where metric = $1 and created_at >= $2
        group by 1 order by 1
        "#,
    )
    .bind(metric)
    .bind(since)
    .bind(bucket_secs.max(1) as f64)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MetricPoint {
            at: r.at,
            count: r.count,
            sum: r.sum,
            p50: r.p50,
            p95: r.p95,
            max: r.max,
        })
        .collect())
}

/// Records the number of due ready tasks as `queue.depth`, at most once per `every` across
/// all processes (the first process to get the advisory lock in a period samples it).
///
/// # Errors
/// Database errors.
pub async fn sample_queue_depth(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    every: std::time::Duration,
) -> Result<bool> {
    // language=PostgreSQL
    let sampled: Option<i64> = sqlx::query_scalar(
        r#"
        insert into performance_metrics (metric, value, unit)
        select 'queue.depth', (select count(*) from tasks where state = 'ready' and run_at <= $1), 'count'
        where pg_try_advisory_xact_lock(7233)
          and not exists (select 1 from performance_metrics where metric = 'queue.depth' and created_at > now() - $2::interval)
        returning id
        "#,
    )
    .bind(now)
    .bind(format!("{} milliseconds", every.as_millis()))
    .fetch_optional(conn)
    .await?;
    Ok(sampled.is_some())
}
