//! The audit trail (`audit_logs`): who did what, when, from where, and how it ended.

use domain::ids::UserId;
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;

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
