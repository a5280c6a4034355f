//! Retention: deleting what is older than the operator keeps (audit entries, coordination
//! events, measurements, the files of finished builds). The maintenance pass calls
//! [`prune`]; each statement deletes in bounded batches so a big backlog never holds long
//! locks.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::error::Result;

/// Cut-off times: rows created before these go.
#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    /// `audit_logs`.
    pub audit: DateTime<Utc>,
    /// `coordination_events`.
    pub events: DateTime<Utc>,
    /// `performance_metrics`.
    pub metrics: DateTime<Utc>,
    /// `artifacts` of finished builds.
    pub artifacts: DateTime<Utc>,
}

/// Deletes up to `batch` rows of each kind older than its cut-off; returns how many went.
///
/// # Errors
/// Database errors.
pub async fn prune(pool: &PgPool, c: &Cutoffs, batch: i64) -> Result<u64> {
    let mut n = 0;
    // language=PostgreSQL
    for (sql, at) in [
        (
            "delete from audit_logs where id in (select id from audit_logs where created_at < $1 limit $2)",
            c.audit,
        ),
        (
            "delete from coordination_events where id in
               (select id from coordination_events where created_at < $1 limit $2)",
            c.events,
        ),
        (
            "delete from performance_metrics where id in
               (select id from performance_metrics where created_at < $1 limit $2)",
            c.metrics,
        ),
        (
            "delete from artifacts where id in
               (select a.id from artifacts a join projects p on p.id = a.project_id
                where a.created_at < $1 and p.finished_at is not null limit $2)",
            c.artifacts,
        ),
    ] {
        n += sqlx::query(sql)
            .bind(at)
            .bind(batch)
            .execute(pool)
            .await?
            .rows_affected();
    }
    Ok(n)
}
