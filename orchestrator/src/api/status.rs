//! The orchestrator's status and metrics: the whole server's, so for admins only.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::api::{MetricPoint, OrchestratorStatus};

use crate::{store, Actor, Orchestrator, Result};

impl Orchestrator {
    /// Agents, workflows and tasks by state, queue depth, and throughput and latency over
    /// the last `window` (the whole server's: admins only).
    ///
    /// # Errors
    /// [`crate::Error::Forbidden`] for a non-admin.
    pub async fn status(&self, window: Duration, actor: &Actor) -> Result<OrchestratorStatus> {
        actor.require_admin("see the orchestrator's status")?;
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
