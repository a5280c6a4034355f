//! People and their credentials (`users`, `api_tokens`, `invitations`) and the servers'
//! shared secrets (`server_keys`). Passwords arrive here already hashed (argon2, in
//! `crate::api::accounts`); tokens and invitation codes as SHA-256 digests.

use chrono::{DateTime, Utc};
use domain::{
    auth::{InvitationView, Person, PersonSummary, TokenView},
    ids::UserId,
};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::error::{Error, OnConstraint, Result};

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: Uuid,
    username: String,
    display_name: String,
    is_admin: bool,
}

impl From<PersonRow> for Person {
    fn from(r: PersonRow) -> Self {
        Person {
            id: UserId(r.id),
            username: r.username,
            display_name: r.display_name,
            is_admin: r.is_admin,
        }
    }
}

/// What signing in needs to know about an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Login {
    /// The account.
    pub id: Uuid,
    /// Its argon2 hash (PHC string); none for the local user.
    pub password_hash: Option<String>,
    /// Failed sign-ins since the last good one.
    pub failed_logins: i32,
    /// When the last one failed.
    pub last_failed_login_at: Option<DateTime<Utc>>,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
}

/// Whether any account can sign in (has a password); when none can, the setup page makes
/// the first admin.
///
/// # Errors
/// Database errors.
pub async fn any_with_password(db: impl PgExecutor<'_>) -> Result<bool> {
    // language=PostgreSQL
    Ok(
        sqlx::query_scalar("select exists (select 1 from users where password_hash is not null)")
            .fetch_one(db)
            .await?,
    )
}

/// Stores a new account.
///
/// # Errors
/// [`Error::Conflict`] when the username is taken.
pub async fn create(conn: &mut PgConnection, username: &str, password_hash: &str, is_admin: bool) -> Result<Person> {
    // language=PostgreSQL
    let row: PersonRow = sqlx::query_as(
        "insert into users (username, display_name, password_hash, is_admin, password_changed_at)
         values ($1, $1, $2, $3, now())
         returning id, username, display_name, is_admin",
    )
    .bind(username)
    .bind(password_hash)
    .bind(is_admin)
    .fetch_one(&mut *conn)
    .await
    .on_constraint("users_username_key", || {
        Error::Conflict(format!("the username {username:?} is taken"))
    })?;
    Ok(row.into())
}

/// The account `username` as signing in sees it, locked for the caller's transaction (so
/// concurrent failures count one by one).
///
/// # Errors
/// Database errors.
pub async fn login_for_update(conn: &mut PgConnection, username: &str) -> Result<Option<Login>> {
    // language=PostgreSQL
    Ok(sqlx::query_as(
        "select id, password_hash, failed_logins, last_failed_login_at, disabled_at is not null as disabled
         from users where username = $1 for update",
    )
    .bind(username)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Counts a failed sign-in.
///
/// # Errors
/// Database errors.
pub async fn login_failed(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> Result<()> {
    // language=PostgreSQL
    sqlx::query("update users set failed_logins = failed_logins + 1, last_failed_login_at = $2 where id = $1")
        .bind(id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Clears the failure count after a good sign-in.
///
/// # Errors
/// Database errors.
pub async fn login_succeeded(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    // language=PostgreSQL
    sqlx::query("update users set failed_logins = 0, last_failed_login_at = null where id = $1 and failed_logins <> 0")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Replaces an account's password hash, and ends its other sessions.
///
/// # Errors
/// Database errors.
pub async fn set_password(conn: &mut PgConnection, id: UserId, hash: &str, keep_session: Option<&str>) -> Result<()> {
    // language=PostgreSQL
    sqlx::query("update users set password_hash = $2, password_changed_at = now() where id = $1")
        .bind(id.0)
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    // language=PostgreSQL
    sqlx::query("delete from sessions where user_id = $1 and ($2::text is null or id <> $2)")
        .bind(id.0)
        .bind(keep_session)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The current hash of an account's password.
///
/// # Errors
/// Database errors.
pub async fn password_hash(db: impl PgExecutor<'_>, id: UserId) -> Result<Option<String>> {
    // language=PostgreSQL
    Ok(
        sqlx::query_scalar::<_, Option<String>>("select password_hash from users where id = $1")
            .bind(id.0)
            .fetch_optional(db)
            .await?
            .flatten(),
    )
}

/// A person who may act: exists, is not disabled, and can sign in.
///
/// # Errors
/// Database errors.
pub async fn active(db: impl PgExecutor<'_>, id: UserId) -> Result<Option<Person>> {
    // language=PostgreSQL
    let row: Option<PersonRow> = sqlx::query_as(
        "select id, username, display_name, is_admin from users
         where id = $1 and disabled_at is null and password_hash is not null",
    )
    .bind(id.0)
    .fetch_optional(db)
    .await?;
    Ok(row.map(Person::from))
}

/// A person by username.
///
/// # Errors
/// Database errors.
pub async fn by_username(db: impl PgExecutor<'_>, username: &str) -> Result<Option<Person>> {
    // language=PostgreSQL
    let row: Option<PersonRow> =
        sqlx::query_as("select id, username, display_name, is_admin from users where username = $1")
            .bind(username)
            .fetch_optional(db)
            .await?;
    Ok(row.map(Person::from))
}

/// Everyone, oldest account first.
///
/// # Errors
/// Database errors.
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<PersonSummary>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: Uuid,
        username: String,
        display_name: String,
        is_admin: bool,
        created_at: DateTime<Utc>,
        can_sign_in: bool,
        builds: i64,
    }
    // language=PostgreSQL
    let rows: Vec<Row> = sqlx::query_as(
        "select u.id, u.username, u.display_name, u.is_admin, u.created_at,
                u.password_hash is not null and u.disabled_at is null as can_sign_in,
                (select count(*) from projects p where p.owner_id = u.id) as builds
         from users u order by u.created_at, u.username",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PersonSummary {
            person: Person {
                id: UserId(r.id),
                username: r.username,
                display_name: r.display_name,
                is_admin: r.is_admin,
            },
            created_at: r.created_at,
            can_sign_in: r.can_sign_in,
            builds: r.builds,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------
// API tokens

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    name: String,
    prefix: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for TokenView {
    fn from(r: TokenRow) -> Self {
        TokenView {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// Stores a token (its digest).
///
/// # Errors
/// Database errors.
pub async fn insert_token(
    conn: &mut PgConnection,
    user: UserId,
    name: &str,
    digest: &[u8; 32],
    prefix: &str,
) -> Result<TokenView> {
    // language=PostgreSQL
    let row: TokenRow = sqlx::query_as(
        "insert into api_tokens (user_id, name, token_hash, prefix) values ($1, $2, $3, $4)
         returning id, name, prefix, created_at, last_used_at, revoked_at",
    )
    .bind(user.0)
    .bind(name)
    .bind(&digest[..])
    .bind(prefix)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.into())
}

/// A person's tokens, newest first.
///
/// # Errors
/// Database errors.
pub async fn tokens(db: impl PgExecutor<'_>, user: UserId) -> Result<Vec<TokenView>> {
    // language=PostgreSQL
    let rows: Vec<TokenRow> = sqlx::query_as(
        "select id, name, prefix, created_at, last_used_at, revoked_at from api_tokens
         where user_id = $1 order by created_at desc, id",
    )
    .bind(user.0)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(TokenView::from).collect())
}

/// Revokes one of `user`'s tokens; `false` when it is not theirs or already revoked.
///
/// # Errors
/// Database errors.
pub async fn revoke_token(conn: &mut PgConnection, user: UserId, id: Uuid) -> Result<bool> {
    // language=PostgreSQL
    Ok(
        sqlx::query("update api_tokens set revoked_at = now() where id = $1 and user_id = $2 and revoked_at is null")
            .bind(id)
            .bind(user.0)
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// The person a live token belongs to (and the token's id), stamping its last use at most
/// once a minute.
///
/// # Errors
/// Database errors.
pub async fn by_token(db: impl PgExecutor<'_>, digest: &[u8; 32]) -> Result<Option<(Person, Uuid)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        token_id: Uuid,
        id: Uuid,
        username: String,
        display_name: String,
        is_admin: bool,
    }
    // language=PostgreSQL
    let row: Option<Row> = sqlx::query_as(
        r#"
        with hit as (
            select t.id as token_id, t.user_id, t.last_used_at from api_tokens t
            where t.token_hash = $1 and t.revoked_at is null
        ), stamp as (
            update api_tokens set last_used_at = now()
            where id = (select token_id from hit)
              and (last_used_at is null or last_used_at < now() - interval '1 minute')
        )
        select hit.token_id, u.id, u.username, u.display_name, u.is_admin
        from hit join users u on u.id = hit.user_id
        where u.disabled_at is null and u.password_hash is not null
        "#,
    )
    .bind(&digest[..])
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| {
        (
            Person {
                id: UserId(r.id),
                username: r.username,
                display_name: r.display_name,
                is_admin: r.is_admin,
            },
            r.token_id,
        )
    }))
}

// ---------------------------------------------------------------------------------------
// Invitations

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: Uuid,
    is_admin: bool,
    note: String,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    used_by: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<InvitationRow> for InvitationView {
    fn from(r: InvitationRow) -> Self {
        InvitationView {
            id: r.id,
            is_admin: r.is_admin,
            note: r.note,
            expires_at: r.expires_at,
            used_at: r.used_at,
            used_by: r.used_by,
            created_at: r.created_at,
        }
    }
}

/// Stores an invitation (its code's digest).
///
/// # Errors
/// Database errors.
pub async fn insert_invitation(
    conn: &mut PgConnection,
    by: UserId,
    digest: &[u8; 32],
    is_admin: bool,
    note: &str,
    expires_at: DateTime<Utc>,
) -> Result<InvitationView> {
    // language=PostgreSQL
    let row: InvitationRow = sqlx::query_as(
        "insert into invitations (created_by, token_hash, is_admin, note, expires_at) values ($1, $2, $3, $4, $5)
         returning id, is_admin, note, expires_at, used_at, null::text as used_by, created_at",
    )
    .bind(by.0)
    .bind(&digest[..])
    .bind(is_admin)
    .bind(note)
    .bind(expires_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.into())
}

/// Every invitation, newest first.
///
/// # Errors
/// Database errors.
pub async fn invitations(db: impl PgExecutor<'_>) -> Result<Vec<InvitationView>> {
    // language=PostgreSQL
    let rows: Vec<InvitationRow> = sqlx::query_as(
        "select i.id, i.is_admin, i.note, i.expires_at, i.used_at, u.username as used_by, i.created_at
         from invitations i left join users u on u.id = i.used_by
         order by i.created_at desc limit 200",
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(InvitationView::from).collect())
}

/// Takes an unused, unexpired invitation (locked for the caller's transaction): its id and
/// whether it makes an admin.
///
/// # Errors
/// Database errors.
pub async fn take_invitation(
    conn: &mut PgConnection,
    digest: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, bool)>> {
    // language=PostgreSQL
    Ok(sqlx::query_as(
        "select id, is_admin from invitations
         where token_hash = $1 and used_at is null and expires_at > $2 for update",
    )
    .bind(&digest[..])
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Marks an invitation used by `user`.
///
/// # Errors
/// Database errors.
pub async fn use_invitation(conn: &mut PgConnection, id: Uuid, user: UserId) -> Result<()> {
    // language=PostgreSQL
    sqlx::query("update invitations set used_at = now(), used_by = $2 where id = $1")
        .bind(id)
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Server keys

/// The shared secret called `name`, made from `fresh` by whichever process asks first.
///
/// # Errors
/// Database errors.
pub async fn server_key(db: &sqlx::PgPool, name: &str, fresh: &[u8]) -> Result<Vec<u8>> {
    // language=PostgreSQL
    sqlx::query("insert into server_keys (name, secret) values ($1, $2) on conflict (name) do nothing")
        .bind(name)
        .bind(fresh)
        .execute(db)
        .await?;
    // language=PostgreSQL
    Ok(sqlx::query_scalar("select secret from server_keys where name = $1")
        .bind(name)
        .fetch_one(db)
        .await?)
}

/// Serialises first-admin set-ups across processes (a transaction-scoped advisory lock).
///
/// # Errors
/// Database errors.
pub async fn lock_setup(conn: &mut PgConnection) -> Result<()> {
    // language=PostgreSQL
    sqlx::query("select pg_advisory_xact_lock(7302611001)")
        .execute(&mut *conn)
        .await?;
    Ok(())
}
