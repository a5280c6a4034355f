//! The orchestrator's status and metrics: the whole server's, so for admins only.
//!
//! The status is a snapshot: computed (four aggregate queries and two percentile queries) at
//! most once per [`STATUS_FRESH`] and per window, by one caller while the others wait for it
//! and share its answer, so a dashboard polled by many people, or a load balancer asking
//! every few milliseconds, costs the database the same as one caller.

use std::{collections::BTreeMap, time::Duration};

use chrono::{DateTime, Utc};
use domain::api::{MetricPoint, OrchestratorStatus};

use crate::{store, Actor, Orchestrator, Result};

/// How long a computed status is served before the next caller computes it again.
pub const STATUS_FRESH: Duration = Duration::from_millis(100);

/// The last status computed, with its window and when it was computed.
#[derive(Default)]
pub(crate) struct StatusSnapshot(tokio::sync::Mutex<Option<(std::time::Instant, Duration, OrchestratorStatus)>>);

/// Totals read at scrape time ([`Orchestrator::gauges`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gauges {
    /// Agents registered.
    pub agents_registered: i64,
    /// Agents not offline.
    pub agents_active: i64,
    /// Workflows by status word.
    pub workflows: BTreeMap<String, i64>,
    /// Tasks by state.
    pub tasks: domain::api::TaskCounts,
    /// Builds by status word.
    pub builds: BTreeMap<String, i64>,
    /// Ready tasks that are due.
    pub queue_depth: i64,
    /// How long the oldest due ready task has waited, in seconds.
    pub oldest_ready_secs: f64,
    /// Connections this process's pool holds.
    pub db_connections: u32,
    /// Of those, idle.
    pub db_idle: u32,
    /// The pool's ceiling.
    pub db_max: u32,
}

impl Orchestrator {
    /// Agents, workflows and tasks by state, queue depth, and throughput and latency over
    /// the last `window` (the whole server's: admins only).
    ///
    /// # Errors
    /// [`crate::Error::Forbidden`] for a non-admin.
    pub async fn status(&self, window: Duration, actor: &Actor) -> Result<OrchestratorStatus> {
        actor.require_admin("see the orchestrator's status")?;
        // Held while computing: whoever comes meanwhile waits and takes this answer.
        let mut last = self.inner.status_snapshot.0.lock().await;
        if let Some((at, w, status)) = &*last {
            if *w == window && at.elapsed() < STATUS_FRESH {
                return Ok(status.clone());
            }
        }
        let status = self.compute_status(window).await?;
        *last = Some((std::time::Instant::now(), window, status.clone()));
        Ok(status)
    }

    async fn compute_status(&self, window: Duration) -> Result<OrchestratorStatus> {
        let now = self.now();
        let counts = store::status::counts(self.pool(), now).await?;
        let since = Utc::now() - chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
        let task_duration_ms = store::metrics::percentiles(self.pool(), "task.duration", since).await?;
        let queue_wait_ms = store::metrics::percentiles(self.pool(), "task.queue_wait", since).await?;
        let window_secs = window.as_secs().max(1) as i64;
        Ok(OrchestratorStatus {
            agents_registered: counts.agents_registered,
            agents_active: counts.agents_active,
            workflows: counts.workflows,
            tasks: counts.tasks,
            queue_depth: counts.queue_depth,
            throughput_per_sec: task_duration_ms.count as f64 / window_secs as f64,
            window_secs,
            task_duration_ms,
            queue_wait_ms,
            at: now,
        })
    }

    /// What `/metrics` reads from Postgres at scrape time: totals every instance shares
    /// (tasks by state, builds by status, the ready queue) and this process's pool (admins
    /// only; the unauthenticated metrics listener acts as [`Actor::system`]).
    ///
    /// # Errors
    /// [`crate::Error::Forbidden`] for a non-admin.
    pub async fn gauges(&self, actor: &Actor) -> Result<Gauges> {
        actor.require_admin("see the metrics")?;
        let now = self.now();
        let counts = store::status::counts(self.pool(), now).await?;
        let (builds, oldest_ready_secs) = store::status::build_counts(self.pool(), now).await?;
        let pool = self.pool();
        Ok(Gauges {
            agents_registered: counts.agents_registered,
            agents_active: counts.agents_active,
            workflows: counts.workflows,
            tasks: counts.tasks,
            builds,
            queue_depth: counts.queue_depth,
            oldest_ready_secs,
            db_connections: pool.size(),
            db_idle: pool.num_idle() as u32,
            db_max: pool.options().get_max_connections(),
        })
    }

    /// `metric` bucketed by `bucket_secs` since `since` (the whole server's: admins only).
    ///
    /// # Errors
    /// [`crate::Error::Forbidden`] for a non-admin.
    pub async fn metric_series(
        &self,
        metric: &str,
        since: DateTime<Utc>,
        bucket_secs: i64,
        actor: &Actor,
    ) -> Result<Vec<MetricPoint>> {
        actor.require_admin("see the metrics")?;
        store::metrics::series(self.pool(), metric, since, bucket_secs).await
    }
}
