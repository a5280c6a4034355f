//! The orchestrator's status and metrics, and the audit trail.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::api::{MetricPoint, OrchestratorStatus};

use crate::{store, store::audit::AuditEntry, Orchestrator, Result};

impl Orchestrator {
    /// Agents, workflows and tasks by state, queue depth, and throughput and latency over
    /// the last `window`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn status(&self, window: Duration) -> Result<OrchestratorStatus> {
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

    /// `metric` bucketed by `bucket_secs` since `since`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn metric_series(
        &self,
        metric: &str,
        since: DateTime<Utc>,
        bucket_secs: i64,
    ) -> Result<Vec<MetricPoint>> {
        store::metrics::series(self.pool(), metric, since, bucket_secs).await
    }

    /// Appends an audit entry.
    ///
    /// # Errors
    /// Database errors.
    pub async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        store::audit::record(self.pool(), entry).await
    }
}
