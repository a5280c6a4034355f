//! The audit trail (`audit_logs`): who did what, when, from where, and how it ended.

use chrono::{DateTime, Utc};
use domain::ids::UserId;
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::Result;

/// One audited action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Who (absent for anonymous requests).
    pub actor_id: Option<UserId>,
    /// What: `area.verb` (`agent.register`, `workflow.execute`).
    pub action: String,
    /// The kind of thing acted on.
    pub target_type: Option<String>,
    /// Its id.
    pub target_id: Option<String>,
    /// Whether it worked.
    pub success: bool,
    /// The HTTP status answered.
    pub status_code: Option<u16>,
    /// The client's address.
    pub client_addr: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// Anything else (an object).
    pub details: serde_json::Value,
}

/// Appends an entry.
///
/// # Errors
/// Database errors.
pub async fn record(db: impl PgExecutor<'_>, e: &AuditEntry) -> Result<()> {
    // language=PostgreSQL
    sqlx::query(
        r#"
        insert into audit_logs (actor_id, action, target_type, target_id, outcome, status_code, client_addr, user_agent, details)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        "#,
    )
    .bind(e.actor_id.map(|a| a.0))
    .bind(&e.action)
    .bind(&e.target_type)
    .bind(&e.target_id)
    .bind(if e.success { "success" } else { "failure" })
    .bind(e.status_code.map(|c| c as i16))
    .bind(&e.client_addr)
    .bind(&e.user_agent)
    .bind(&e.details)
    .execute(db)
    .await?;
    Ok(())
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct AuditRow {
    /// Its number.
    pub id: i64,
    /// Who.
    pub actor_id: Option<Uuid>,
    /// What.
    pub action: String,
    /// Target kind.
    pub target_type: Option<String>,
    /// Target id.
    pub target_id: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    /// HTTP status.
    pub status_code: Option<i16>,
    /// From where.
    pub client_addr: Option<String>,
    /// With what.
    pub user_agent: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The newest `limit` entries, newest first.
///
/// # Errors
/// Database errors.
pub async fn recent(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<AuditRow>> {
    // language=PostgreSQL
    Ok(sqlx::query_as(
        "select id, actor_id, action, target_type, target_id, outcome, status_code, client_addr, user_agent, created_at
         from audit_logs order by id desc limit $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?)
}
