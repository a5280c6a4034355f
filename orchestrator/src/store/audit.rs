//! The audit trail (`audit_logs`): who did what, when, from where, and how it ended.
//! Entries are written in the transaction of the change they record (`record` takes any
//! executor, a transaction included), so a change and its entry commit together.

use chrono::{DateTime, Utc};
use domain::{auth::AuditView, ids::UserId};
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

/// A page of the trail, newest first, older than entry `before` when given.
///
/// # Errors
/// Database errors.
pub async fn page(db: impl PgExecutor<'_>, before: Option<i64>, limit: i64) -> Result<Vec<AuditView>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        actor: Option<String>,
        action: String,
        target_type: Option<String>,
        target_id: Option<String>,
        outcome: String,
        client_addr: Option<String>,
        user_agent: Option<String>,
        details: serde_json::Value,
        created_at: DateTime<Utc>,
    }
    // language=PostgreSQL
    let rows: Vec<Row> = sqlx::query_as(
        "select a.id, u.username as actor, a.action, a.target_type, a.target_id, a.outcome, a.client_addr,
                a.user_agent, a.details, a.created_at
         from audit_logs a left join users u on u.id = a.actor_id
         where ($1::bigint is null or a.id < $1)
         order by a.id desc limit $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditView {
            id: r.id,
            actor: r.actor,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            success: r.outcome == "success",
            client_addr: r.client_addr,
            user_agent: r.user_agent,
            details: r.details,
            created_at: r.created_at,
        })
        .collect())
}
