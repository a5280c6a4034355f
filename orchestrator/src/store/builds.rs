//! Builds (`projects`): a person's prompt and what came of it. A build's status follows
//! its workflow: [`finish_for_workflow`] runs in the same transaction that finishes (or
//! stops) the workflow, so the two can never disagree. A revision is a build with a parent
//! and the app's first build as its root, numbered within the app ([`create_revision`]).

use chrono::{DateTime, Utc};
use domain::{
    api::{BuildConfig, BuildSummary, BuildView, BuildsPage, RevisionInfo, RevisionSummary},
    event::EventKind,
    ids::{BuildId, UserId, WorkflowId},
    spec::{Analysis, AppSpec},
    status::{BuildPhase, BuildStatus, WorkflowStatus},
};
use serde_json::json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{
    artifacts,
    events::{self, NewEvent, WorkflowRef},
    parse, tasks, transition,
};
use crate::error::{Error, Result};

fn event(id: BuildId, owner: UserId, kind: EventKind) -> NewEvent {
    NewEvent::new(kind).build(Some(id)).owner(owner)
}

/// Stores a new build (status `queued`) and appends `build.created`.
///
/// # Errors
/// Database errors.
pub async fn create(conn: &mut PgConnection, owner: UserId, prompt: &str, config: &BuildConfig) -> Result<BuildId> {
    // language=PostgreSQL
    let id: Uuid =
        sqlx::query_scalar("insert into projects (owner_id, prompt, config) values ($1, $2, $3) returning id")
            .bind(owner.0)
            .bind(prompt)
            .bind(serde_json::to_value(config)?)
            .fetch_one(&mut *conn)
            .await?;
    let id = BuildId(id);
    created(conn, id, owner, json!({ "prompt": preview(prompt) })).await?;
    Ok(id)
}

/// The first 120 characters of a prompt, for an event.
fn preview(prompt: &str) -> String {
    prompt.chars().take(120).collect()
}

async fn created(conn: &mut PgConnection, id: BuildId, owner: UserId, payload: serde_json::Value) -> Result<()> {
    events::append(conn, &[event(id, owner, EventKind::BuildCreated).payload(payload)]).await
}

/// Stores a new revision of `parent`'s app (status `queued`): `prompt` is the change asked
/// for, the number is one more than the app's highest so far. Appends `build.created` with
/// the parent and the number. Returns the build and its number.
///
/// # Errors
/// [`Error::NotFound`] when `parent` does not exist; database errors.
pub async fn create_revision(
    conn: &mut PgConnection,
    owner: UserId,
    parent: BuildId,
    prompt: &str,
    config: &BuildConfig,
) -> Result<(BuildId, i32)> {
    // The app's first build, locked: revisions of one app are numbered one at a time.
    // language=PostgreSQL
    let root: Uuid = sqlx::query_scalar(
        "select r.id from projects p join projects r on r.id = coalesce(p.root_id, p.id) where p.id = $1 for update of r",
    )
    .bind(parent.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::not_found("build", parent))?;
    // language=PostgreSQL
    let (id, number): (Uuid, i32) = sqlx::query_as(
        r#"
        insert into projects (owner_id, prompt, config, parent_id, root_id, revision)
        select $1, $2, $3, $4, $5, coalesce(max(revision), 0) + 1
        from projects where coalesce(root_id, id) = $5
        returning id, revision
        "#,
    )
    .bind(owner.0)
    .bind(prompt)
    .bind(serde_json::to_value(config)?)
    .bind(parent.0)
    .bind(root)
    .fetch_one(&mut *conn)
    .await?;
    let id = BuildId(id);
    let payload = json!({ "prompt": preview(prompt), "parent_id": parent, "revision": number });
    created(conn, id, owner, payload).await?;
    Ok((id, number))
}

/// The build a revision was made from (`None` for an app's first build).
///
/// # Errors
/// [`Error::NotFound`]; database errors.
pub async fn parent_of(db: impl PgExecutor<'_>, id: BuildId) -> Result<Option<BuildId>> {
    // language=PostgreSQL
    let parent: Option<Option<Uuid>> = sqlx::query_scalar("select parent_id from projects where id = $1")
        .bind(id.0)
        .fetch_optional(db)
        .await?;
    Ok(parent.ok_or_else(|| Error::not_found("build", id))?.map(BuildId))
}

/// Records what a revision changed (sentences, from `generator::describe_changes`).
///
/// # Errors
/// Database errors.
pub async fn save_changes(conn: &mut PgConnection, id: BuildId, changes: &[String]) -> Result<()> {
    // language=PostgreSQL
    sqlx::query("update projects set changes = $2 where id = $1")
        .bind(id.0)
        .bind(json!(changes))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the browser check's report so far (the build page shows it round by round).
///
/// # Errors
/// Database errors.
pub async fn save_verify(conn: &mut PgConnection, id: BuildId, report: &domain::api::VerifyReport) -> Result<()> {
    // language=PostgreSQL
    sqlx::query("update projects set verify = $2 where id = $1")
        .bind(id.0)
        .bind(json!(report))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records which generation tasks a revision's plan carried over and which run again.
///
/// # Errors
/// Database errors.
pub async fn save_reuse(conn: &mut PgConnection, id: BuildId, reused: &[String], rerun: &[String]) -> Result<()> {
    // language=PostgreSQL
    sqlx::query("update projects set reused = $2, rerun = $3 where id = $1")
        .bind(id.0)
        .bind(reused)
        .bind(rerun)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a build to `phase` with at least `progress` percent (never backwards), starting it
/// if it was queued; appends `build.progress` when something changed.
///
/// # Errors
/// Database errors.
pub async fn advance(
    conn: &mut PgConnection,
    id: BuildId,
    phase: BuildPhase,
    progress: f32,
    now: DateTime<Utc>,
) -> Result<()> {
    // language=PostgreSQL
    let row: Option<(Uuid, String, f32)> = sqlx::query_as(
        r#"
        update projects
        set status = 'running', started_at = coalesce(started_at, $4),
            phase = case when $2 = 'queued' then phase else $2 end,
            progress = greatest(progress, $3)
        where id = $1 and (status = 'running' or status = any($5))
          and (status <> 'running' or phase <> $2 or progress < $3)
        returning owner_id, phase, progress
        "#,
    )
    .bind(id.0)
    .bind(phase.as_str())
    .bind(progress.clamp(0.0, 100.0))
    .bind(now)
    .bind(transition::from(BuildStatus::Running))
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((owner, phase, progress)) = row {
        events::append(
            conn,
            &[event(id, UserId(owner), EventKind::BuildProgress)
                .payload(json!({ "phase": phase, "progress": progress }))],
        )
        .await?;
    }
    Ok(())
}

/// Records the analysis: the spec, the app's name, the reflection notes and the confidence.
///
/// # Errors
/// Database errors.
pub async fn save_analysis(conn: &mut PgConnection, id: BuildId, analysis: &Analysis) -> Result<()> {
    // language=PostgreSQL
    sqlx::query("update projects set spec = $2, name = $3, reflection = $4, confidence = $5 where id = $1")
        .bind(id.0)
        .bind(serde_json::to_value(&analysis.spec)?)
        .bind(analysis.spec.name.chars().take(200).collect::<String>())
        .bind(json!(analysis.reflection))
        .bind(analysis.confidence.clamp(0.0, 1.0))
        .execute(conn)
        .await?;
    Ok(())
}

/// The build's spec (set by the analysis).
///
/// # Errors
/// [`Error::NotFound`]; [`Error::Internal`] when there is no spec yet.
pub async fn spec(db: impl PgExecutor<'_>, id: BuildId) -> Result<AppSpec> {
    let spec: Option<Option<serde_json::Value>> = sqlx::query_scalar("select spec from projects where id = $1")
        .bind(id.0)
        .fetch_optional(db)
        .await?;
    let spec = spec.ok_or_else(|| Error::not_found("build", id))?;
    let spec = spec.ok_or_else(|| Error::Internal(format!("build {id} has no spec yet")))?;
    Ok(serde_json::from_value(spec)?)
}

/// What a build has spent and may spend.
#[derive(Debug, Clone)]
pub struct Usage {
    /// Tokens used.
    pub tokens_used: i64,
    /// Model calls made.
    pub llm_calls: i32,
    /// How its model has done so far.
    pub model: ModelRecord,
    /// Its options (limits and provider).
    pub config: BuildConfig,
    /// Its prompt.
    pub prompt: String,
    /// Whose it is.
    pub owner_id: UserId,
    /// When it was accepted (its time budget counts from here).
    pub created_at: DateTime<Utc>,
}

/// The build's spending so far and its options.
///
/// # Errors
/// [`Error::NotFound`].
pub async fn usage(db: impl PgExecutor<'_>, id: BuildId) -> Result<Usage> {
    #[derive(sqlx::FromRow)]
    struct UsageRow {
        tokens_used: i64,
        llm_calls: i32,
        model_accepted: i32,
        model_failed: i32,
        config: serde_json::Value,
        prompt: String,
        owner_id: Uuid,
        created_at: DateTime<Utc>,
    }
    // language=PostgreSQL
    let row: Option<UsageRow> = sqlx::query_as(
        "select tokens_used, llm_calls, model_accepted, model_failed, config, prompt, owner_id, created_at
         from projects where id = $1",
    )
    .bind(id.0)
    .fetch_optional(db)
    .await?;
    let r = row.ok_or_else(|| Error::not_found("build", id))?;
    Ok(Usage {
        tokens_used: r.tokens_used,
        llm_calls: r.llm_calls,
        model: ModelRecord {
            accepted: r.model_accepted,
            failed: r.model_failed,
        },
        config: serde_json::from_value(r.config).unwrap_or_default(),
        prompt: r.prompt,
        owner_id: UserId(r.owner_id),
        created_at: r.created_at,
    })
}

/// Adds one model call and its tokens to the build's spending; returns the new totals.
///
/// # Errors
/// Database errors.
pub async fn charge(db: impl PgExecutor<'_>, id: BuildId, tokens: u32) -> Result<(i64, i32)> {
    // language=PostgreSQL
    Ok(sqlx::query_as(
        "update projects set tokens_used = tokens_used + $2, llm_calls = llm_calls + 1 where id = $1
         returning tokens_used, llm_calls",
    )
    .bind(id.0)
    .bind(i64::from(tokens))
    .fetch_one(db)
    .await?)
}

/// How a build's model has done: tasks whose answer was accepted, and tasks where it failed
/// (its answer rejected after the repair round, or its call failed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelRecord {
    /// Tasks whose model answer was accepted.
    pub accepted: i32,
    /// Tasks where the model failed.
    pub failed: i32,
}

/// Adds one task's outcome to the build's [`ModelRecord`]; returns the new record.
///
/// # Errors
/// Database errors.
pub async fn record_model(db: impl PgExecutor<'_>, id: BuildId, accepted: bool) -> Result<ModelRecord> {
    // language=PostgreSQL
    let (accepted, failed) = sqlx::query_as(
        "update projects set model_accepted = model_accepted + $2::int, model_failed = model_failed + 1 - $2::int
         where id = $1 returning model_accepted, model_failed",
    )
    .bind(id.0)
    .bind(i32::from(accepted))
    .fetch_one(db)
    .await?;
    Ok(ModelRecord { accepted, failed })
}

/// Gives the build of a workflow that just finished (or was stopped) its final status, in
/// the caller's transaction: completed when the workflow completed, cancelled when it was
/// cancelled, otherwise failed with the first failed task's error (or `reason`).
pub(crate) async fn finish_for_workflow(
    conn: &mut PgConnection,
    wf: &WorkflowRef,
    status: WorkflowStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(build) = wf.build_id else { return Ok(()) };
    let (build_status, error) = match status {
        WorkflowStatus::Completed => (BuildStatus::Completed, None),
        WorkflowStatus::Cancelled => (
            BuildStatus::Cancelled,
            Some(reason.unwrap_or("cancelled on request").to_owned()),
        ),
        WorkflowStatus::Timeout => (
            BuildStatus::Failed,
            Some("the build ran past its time limit".to_owned()),
        ),
        _ => {
            // language=PostgreSQL
            let failed: Option<(String, Option<String>)> = sqlx::query_as(
                "select key, error from tasks where workflow_id = $1 and state = 'failed' order by finished_at, position limit 1",
            )
            .bind(wf.id.0)
            .fetch_optional(&mut *conn)
            .await?;
            let why = match failed {
                Some((key, Some(error))) => format!("task {key} failed: {error}"),
                Some((key, None)) => format!("task {key} failed"),
                None => reason.unwrap_or("the build did not complete").to_owned(),
            };
            (BuildStatus::Failed, Some(why))
        }
    };
    // language=PostgreSQL
    let updated = sqlx::query(
        r#"
        update projects
        set status = $2, error = coalesce($3, error), finished_at = $4,
            phase = case when $2 = 'completed' then 'done' else phase end,
            progress = case when $2 = 'completed' then 100 else progress end
        where id = $1 and status = any($5)
        "#,
    )
    .bind(build.0)
    .bind(build_status.as_str())
    .bind(&error)
    .bind(now)
    .bind(transition::from(build_status))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated > 0 {
        events::append(
            conn,
            &[event(build, wf.owner_id, EventKind::BuildFinished)
                .payload(json!({ "status": build_status, "error": error }))],
        )
        .await?;
        crate::instruments::build_finished(build_status.as_str());
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    prompt: String,
    name: Option<String>,
    status: String,
    phase: String,
    progress: f32,
    config: serde_json::Value,
    spec: Option<serde_json::Value>,
    reflection: serde_json::Value,
    confidence: Option<f32>,
    error: Option<String>,
    tokens_used: i64,
    llm_calls: i32,
    workflow_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    has_index: bool,
    has_package: bool,
    revision: i32,
    parent_id: Option<Uuid>,
    root_id: Option<Uuid>,
    changes: serde_json::Value,
    reused: Vec<String>,
    rerun: Vec<String>,
    verify: Option<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct RevisionRow {
    id: Uuid,
    revision: i32,
    parent_id: Option<Uuid>,
    prompt: String,
    status: String,
    created_at: DateTime<Utc>,
}

/// Most revisions listed with a build.
const MAX_REVISIONS_LISTED: i64 = 500;

/// A build with its tasks and files, if it exists and (when `owner` is given) is theirs.
///
/// # Errors
/// [`Error::NotFound`]; database errors.
pub async fn get(conn: &mut PgConnection, id: BuildId, owner: Option<UserId>, now: DateTime<Utc>) -> Result<BuildView> {
    // language=PostgreSQL
    let row: Row = sqlx::query_as(
        r#"
        select p.id, p.prompt, p.name, p.status, p.phase, p.progress, p.config, p.spec, p.reflection, p.confidence,
               p.error, p.tokens_used, p.llm_calls, w.id as workflow_id, p.created_at, p.started_at, p.finished_at,
               exists (select 1 from artifacts a where a.project_id = p.id and a.path = 'index.html' and a.kind = 'file') as has_index,
               exists (select 1 from artifacts a where a.project_id = p.id and a.kind = 'package') as has_package,
               p.revision, p.parent_id, p.root_id, p.changes, p.reused, p.rerun, p.verify
        from projects p left join workflows w on w.project_id = p.id
        where p.id = $1 and ($2::uuid is null or p.owner_id = $2)
        "#,
    )
    .bind(id.0)
    .bind(owner.map(|o| o.0))
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::not_found("build", id))?;
    let tasks = match row.workflow_id {
        Some(wf) => tasks::of_workflow(conn, WorkflowId(wf)).await?,
        None => Vec::new(),
    };
    let artifacts = artifacts::list(&mut *conn, id).await?;
    let root = row.root_id.unwrap_or(row.id);
    // language=PostgreSQL
    let revisions: Vec<RevisionRow> = sqlx::query_as(
        "select id, revision, parent_id, prompt, status, created_at from projects
         where coalesce(root_id, id) = $1 order by revision limit $2",
    )
    .bind(root)
    .bind(MAX_REVISIONS_LISTED)
    .fetch_all(&mut *conn)
    .await?;
    let revisions = revisions
        .into_iter()
        .map(|r| {
            Ok(RevisionSummary {
                build_id: BuildId(r.id),
                number: r.revision,
                parent_id: r.parent_id.map(BuildId),
                prompt: r.prompt,
                status: parse(&r.status)?,
                created_at: r.created_at,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let end = row.finished_at.unwrap_or(now);
    Ok(BuildView {
        build_id: BuildId(row.id),
        status: parse(&row.status)?,
        phase: parse(&row.phase)?,
        spec: row.spec.map(serde_json::from_value).transpose()?,
        reflection: serde_json::from_value(row.reflection).unwrap_or_default(),
        config: serde_json::from_value(row.config).unwrap_or_default(),
        preview_url: row.has_index.then(|| format!("/preview/{}/", row.id)),
        download_url: row
            .has_package
            .then(|| format!("/api/nexus-forge/build/{}/download", row.id)),
        duration_ms: Some((end - row.created_at).num_milliseconds().max(0)),
        prompt: row.prompt,
        name: row.name,
        progress: row.progress,
        confidence: row.confidence,
        error: row.error,
        tokens_used: row.tokens_used,
        llm_calls: row.llm_calls,
        workflow_id: row.workflow_id.map(WorkflowId),
        tasks,
        artifacts,
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        revision: RevisionInfo {
            number: row.revision,
            parent_id: row.parent_id.map(BuildId),
            root_id: BuildId(root),
            changes: serde_json::from_value(row.changes).unwrap_or_default(),
            reused: row.reused,
            rerun: row.rerun,
        },
        revisions,
        verify: row.verify.and_then(|v| serde_json::from_value(v).ok()),
    })
}

/// Where a page of builds starts: strictly older than this `(created_at, id)`.
pub fn parse_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid)> {
    let bad = || Error::BadRequest(format!("{cursor:?} is not a cursor from a previous page"));
    let (at, id) = cursor.rsplit_once('_').ok_or_else(bad)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad())?.with_timezone(&Utc);
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((at, id))
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: Uuid,
    prompt: String,
    name: Option<String>,
    status: String,
    phase: String,
    progress: f32,
    error: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    revision: i32,
}

/// A page of `owner`'s builds, newest first.
///
/// # Errors
/// Database errors.
pub async fn list(
    db: impl PgExecutor<'_>,
    owner: UserId,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<BuildsPage> {
    // language=PostgreSQL
    let rows: Vec<SummaryRow> = sqlx::query_as(
        r#"
            select id, prompt, name, status, phase, progress, error, created_at, finished_at, revision
            from projects
            where owner_id = $1 and ($2::timestamptz is null or (created_at, id) < ($2, $3))
            order by created_at desc, id desc
            limit $4
            "#,
    )
    .bind(owner.0)
    .bind(before.map(|b| b.0))
    .bind(before.map(|b| b.1))
    .bind(limit + 1)
    .fetch_all(db)
    .await?;
    let more = rows.len() as i64 > limit;
    let builds: Vec<BuildSummary> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| {
            Ok(BuildSummary {
                build_id: BuildId(r.id),
                status: parse(&r.status)?,
                phase: parse(&r.phase)?,
                prompt: r.prompt,
                name: r.name,
                progress: r.progress,
                error: r.error,
                created_at: r.created_at,
                finished_at: r.finished_at,
                revision: r.revision,
            })
        })
        .collect::<Result<_>>()?;
    let next_cursor = if more {
        builds
            .last()
            .map(|b| format!("{}_{}", b.created_at.to_rfc3339(), b.build_id))
    } else {
        None
    };
    Ok(BuildsPage { builds, next_cursor })
}

/// The workflow of a build.
///
/// # Errors
/// [`Error::NotFound`].
pub async fn workflow_of(db: impl PgExecutor<'_>, id: BuildId, owner: Option<UserId>) -> Result<WorkflowId> {
    // language=PostgreSQL
    let wf: Option<Uuid> = sqlx::query_scalar(
        "select w.id from workflows w join projects p on p.id = w.project_id
         where p.id = $1 and ($2::uuid is null or p.owner_id = $2)",
    )
    .bind(id.0)
    .bind(owner.map(|o| o.0))
    .fetch_optional(db)
    .await?;
    wf.map(WorkflowId).ok_or_else(|| Error::not_found("build", id))
}

/// Whether build `id` exists and (when `owner` is given) is theirs.
///
/// # Errors
/// Database errors.
pub async fn exists(db: impl PgExecutor<'_>, id: BuildId, owner: Option<UserId>) -> Result<bool> {
    // language=PostgreSQL
    Ok(sqlx::query_scalar(
        "select exists (select 1 from projects where id = $1 and ($2::uuid is null or owner_id = $2))",
    )
    .bind(id.0)
    .bind(owner.map(|o| o.0))
    .fetch_one(db)
    .await?)
}

/// How many of `owner`'s builds are queued or running.
///
/// # Errors
/// Database errors.
pub async fn active_count(db: impl PgExecutor<'_>, owner: UserId) -> Result<i64> {
    // language=PostgreSQL
    Ok(
        sqlx::query_scalar("select count(*) from projects where owner_id = $1 and status in ('queued', 'running')")
            .bind(owner.0)
            .fetch_one(db)
            .await?,
    )
}

#[cfg(test)]
mod tests {
    use domain::ids::{WorkflowId, LOCAL_USER_ID};
    use sqlx::PgPool;

    use super::*;

    async fn status_and_events(pool: &PgPool, id: BuildId) -> (String, String, i64, i64) {
        sqlx::query_as(
            "select p.status, p.phase,
                    (select count(*) from coordination_events e where e.project_id = p.id and e.kind = 'build.finished'),
                    (select count(*) from coordination_events e where e.project_id = p.id and e.kind = 'build.progress')
             from projects p where p.id = $1",
        )
        .bind(id.0)
        .fetch_one(pool)
        .await
        .unwrap()
    }

    /// The `where` of `advance` and `finish_for_workflow` is the only thing between a finished
    /// build and a second ending, or a queued one and "completed" with nothing run.
    #[sqlx::test(migrations = "../migrations")]
    async fn a_build_changes_status_only_as_can_become_allows(pool: PgPool) {
        let now = Utc::now();
        let mut conn = pool.acquire().await.unwrap();
        let id = create(&mut conn, LOCAL_USER_ID, "a todo list", &BuildConfig::default())
            .await
            .unwrap();
        let wf = WorkflowRef {
            id: WorkflowId(Uuid::new_v4()),
            owner_id: LOCAL_USER_ID,
            build_id: Some(id),
        };

        // queued -> completed is not a transition: nothing changes, nothing is announced.
        finish_for_workflow(&mut conn, &wf, WorkflowStatus::Completed, None, now)
            .await
            .unwrap();
        assert_eq!(
            status_and_events(&pool, id).await,
            ("queued".into(), "queued".into(), 0, 0)
        );

        // queued -> running -> completed.
        advance(&mut conn, id, BuildPhase::Analysis, 10.0, now).await.unwrap();
        assert_eq!(
            status_and_events(&pool, id).await,
            ("running".into(), "analysis".into(), 0, 1)
        );
        finish_for_workflow(&mut conn, &wf, WorkflowStatus::Completed, None, now)
            .await
            .unwrap();
        assert_eq!(
            status_and_events(&pool, id).await,
            ("completed".into(), "done".into(), 1, 1)
        );

        // A finished build neither ends again nor moves on.
        finish_for_workflow(&mut conn, &wf, WorkflowStatus::Cancelled, Some("late"), now)
            .await
            .unwrap();
        advance(&mut conn, id, BuildPhase::Generation, 50.0, now).await.unwrap();
        assert_eq!(
            status_and_events(&pool, id).await,
            ("completed".into(), "done".into(), 1, 1)
        );

        // A queued build may be cancelled.
        let other = create(&mut conn, LOCAL_USER_ID, "a notes app", &BuildConfig::default())
            .await
            .unwrap();
        let wf = WorkflowRef {
            build_id: Some(other),
            ..wf
        };
        finish_for_workflow(&mut conn, &wf, WorkflowStatus::Cancelled, Some("changed my mind"), now)
            .await
            .unwrap();
        assert_eq!(
            status_and_events(&pool, other).await,
            ("cancelled".into(), "queued".into(), 1, 0)
        );
    }
}
