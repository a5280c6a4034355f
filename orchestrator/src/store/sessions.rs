//! Browser sessions (`sessions`), for the server's tower-sessions store. The data is a
//! JSON object; `user_id` mirrors its `user_id` key.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::Result;

fn user_of(data: &serde_json::Value) -> Option<Uuid> {
    data.get("user_id")
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// Stores a new session; `false` when the id is taken (the caller picks another).
///
/// # Errors
/// Database errors.
pub async fn insert_new(
    db: impl PgExecutor<'_>,
    id: &str,
    data: &serde_json::Value,
    expires_at: DateTime<Utc>,
) -> Result<bool> {
    // language=PostgreSQL
    let inserted = sqlx::query(
        "insert into sessions (id, user_id, data, expires_at) values ($1, $2, $3, $4) on conflict (id) do nothing",
    )
    .bind(id)
    .bind(user_of(data))
    .bind(data)
    .bind(expires_at)
    .execute(db)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Stores or replaces a session.
///
/// # Errors
/// Database errors.
pub async fn save(
    db: impl PgExecutor<'_>,
    id: &str,
    data: &serde_json::Value,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    // language=PostgreSQL
    sqlx::query(
        "insert into sessions (id, user_id, data, expires_at) values ($1, $2, $3, $4)
         on conflict (id) do update set user_id = excluded.user_id, data = excluded.data, expires_at = excluded.expires_at",
    )
    .bind(id)
    .bind(user_of(data))
    .bind(data)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// A session that has not expired: its data and expiry.
///
/// # Errors
/// Database errors.
pub async fn load(db: impl PgExecutor<'_>, id: &str) -> Result<Option<(serde_json::Value, DateTime<Utc>)>> {
    // language=PostgreSQL
    Ok(
        sqlx::query_as("select data, expires_at from sessions where id = $1 and expires_at > now()")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

/// Forgets a session.
///
/// # Errors
/// Database errors.
pub async fn delete(db: impl PgExecutor<'_>, id: &str) -> Result<()> {
    sqlx::query("delete from sessions where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes expired sessions; returns how many.
///
/// # Errors
/// Database errors.
pub async fn delete_expired(db: impl PgExecutor<'_>) -> Result<u64> {
    Ok(sqlx::query("delete from sessions where expires_at <= now()")
        .execute(db)
        .await?
        .rows_affected())
}
