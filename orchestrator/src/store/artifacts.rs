//! A build's artifacts: its generated files (stored, listed, served, packaged, and copied
//! from a parent build for a revision's carried-over tasks), its zip, and the browser
//! check's screenshots (replaced each round).

use domain::{
    api::ArtifactInfo,
    ids::{BuildId, TaskId, UserId},
};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgExecutor};

use crate::error::Result;

/// `file`: part of the app. `package`: the zip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// A file of the generated app.
    File,
    /// The downloadable zip.
    Package,
    /// A page of the app as the browser check saw it (`screenshots/<page>.png`).
    Screenshot,
}

impl ArtifactKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Package => "package",
            Self::Screenshot => "screenshot",
        }
    }
}

/// One file to store.
#[derive(Debug, Clone)]
pub struct NewArtifact<'a> {
    /// Relative path.
    pub path: &'a str,
    /// Its content type.
    pub content_type: &'a str,
    /// Its bytes.
    pub content: &'a [u8],
}

/// Stores (or replaces) files of `build`, made by `task`.
///
/// # Errors
/// Database errors (a path the schema refuses is one).
pub async fn put(
    conn: &mut PgConnection,
    build: BuildId,
    owner: UserId,
    task: Option<TaskId>,
    kind: ArtifactKind,
    files: &[NewArtifact<'_>],
) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let paths: Vec<&str> = files.iter().map(|f| f.path).collect();
    let types: Vec<&str> = files.iter().map(|f| f.content_type).collect();
    let contents: Vec<&[u8]> = files.iter().map(|f| f.content).collect();
    let hashes: Vec<String> = files.iter().map(|f| hex(&Sha256::digest(f.content))).collect();
    // language=PostgreSQL
    sqlx::query(
        r#"
        insert into artifacts (project_id, owner_id, task_id, kind, path, content_type, content, sha256)
        select $1, $2, $3, $4, u.path, u.content_type, u.content, u.sha256
        from unnest($5::text[], $6::text[], $7::bytea[], $8::text[]) as u(path, content_type, content, sha256)
        on conflict (project_id, path) do update
        set content_type = excluded.content_type, content = excluded.content, sha256 = excluded.sha256,
            task_id = excluded.task_id, kind = excluded.kind
        "#,
    )
    .bind(build.0)
    .bind(owner.0)
    .bind(task.map(|t| t.0))
    .bind(kind.as_str())
    .bind(&paths)
    .bind(&types)
    .bind(&contents)
    .bind(&hashes)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes every artifact of `build` of `kind` (a new round of screenshots replaces the
/// last one's).
///
/// # Errors
/// Database errors.
pub async fn delete_kind(conn: &mut PgConnection, build: BuildId, kind: ArtifactKind) -> Result<()> {
    // language=PostgreSQL
    sqlx::query("delete from artifacts where project_id = $1 and kind = $2")
        .bind(build.0)
        .bind(kind.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Copies the files task `key` made in build `from` into `build` as made by `task` (a
/// revision carrying a task over), and returns their paths, none when `from` has no such
/// files (its task rows are gone, say).
///
/// # Errors
/// Database errors.
pub async fn copy_from_task(
    conn: &mut PgConnection,
    from: BuildId,
    key: &str,
    build: BuildId,
    owner: UserId,
    task: TaskId,
) -> Result<Vec<String>> {
    // language=PostgreSQL
    Ok(sqlx::query_scalar(
        r#"
        insert into artifacts (project_id, owner_id, task_id, kind, path, content_type, content, sha256)
        select $3, $4, $5, a.kind, a.path, a.content_type, a.content, a.sha256
        from artifacts a join tasks t on t.id = a.task_id
        where a.project_id = $1 and a.kind = 'file' and t.key = $2
        on conflict (project_id, path) do update
        set content_type = excluded.content_type, content = excluded.content, sha256 = excluded.sha256,
            task_id = excluded.task_id, kind = excluded.kind
        returning path
        "#,
    )
    .bind(from.0)
    .bind(key)
    .bind(build.0)
    .bind(owner.0)
    .bind(task.0)
    .fetch_all(conn)
    .await?)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored file's content.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stored {
    /// Relative path.
    pub path: String,
    /// Content type.
    pub content_type: String,
    /// Bytes.
    pub content: Vec<u8>,
    /// SHA-256, hex.
    pub sha256: String,
}

/// One file of `build` of `kind`, if it exists.
///
/// # Errors
/// Database errors.
pub async fn get(db: impl PgExecutor<'_>, build: BuildId, kind: ArtifactKind, path: &str) -> Result<Option<Stored>> {
    // language=PostgreSQL
    Ok(sqlx::query_as(
        "select path, content_type, content, sha256 from artifacts where project_id = $1 and kind = $2 and path = $3",
    )
    .bind(build.0)
    .bind(kind.as_str())
    .bind(path)
    .fetch_optional(db)
    .await?)
}

/// Every file of `build` of `kind`, by path.
///
/// # Errors
/// Database errors.
pub async fn all(db: impl PgExecutor<'_>, build: BuildId, kind: ArtifactKind) -> Result<Vec<Stored>> {
    // language=PostgreSQL
    Ok(sqlx::query_as(
        "select path, content_type, content, sha256 from artifacts where project_id = $1 and kind = $2 order by path",
    )
    .bind(build.0)
    .bind(kind.as_str())
    .fetch_all(db)
    .await?)
}

/// The app's files of `build` (not the zip), without their content.
///
/// # Errors
/// Database errors.
pub async fn list(db: impl PgExecutor<'_>, build: BuildId) -> Result<Vec<ArtifactInfo>> {
    // language=PostgreSQL
    let rows: Vec<(String, String, i32, String)> = sqlx::query_as(
        "select path, content_type, size_bytes, sha256 from artifacts where project_id = $1 and kind = 'file' order by path",
    )
    .bind(build.0)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(path, content_type, size_bytes, sha256)| ArtifactInfo {
            path,
            content_type,
            size_bytes,
            sha256,
        })
        .collect())
}
