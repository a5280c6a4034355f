//! The build pipeline: a prompt becomes a working app.
//!
//! # Shape
//! A build owns one workflow. Starting a build stores it with two tasks, `analysis` and
//! `plan`, and starts the workflow in the same transaction; nothing slow happens in the
//! request. Then, each task a scheduler claim away:
//!
//! ```text
//! analysis (Starri)  prompt -> app spec, reflection pass, confidence
//!   plan (Starri)    spec -> the rest of the DAG, validated before it is added:
//!     design (Gemini-Designer)   css/styles.css
//!     assets (Imagen-Asset-Gen)  assets/logo.svg, icons, favicon
//!     shell (Jules-CodeGen)      js/store.js, js/config.js, js/app.js
//!     entity-<name> (Jules)      js/entities/<name>.js, one per entity
//!       check (Jules, testing)   every file through a real parser, nothing missing
//!         assemble (Jules)       index.html
//!           package (Jules)      <app>.zip
//! ```
//! Files are stored as artifacts in Postgres as each task finishes. The build's phase and
//! progress move with its tasks (`build.progress` events); its final status follows the
//! workflow's in the same transaction (`store::builds::finish_for_workflow`). A crashed
//! server's tasks are reclaimed when their leases expire, so a build survives a restart;
//! cancelling a build cancels its workflow.
//!
//! # Modules
//! - `handlers`: one handler per task kind.
//! - `model`: model calls with validation, repair prompts, offline fallback and budgets.
//! - `prompts`: what models are asked.
//! - `package`: the zip.

mod handlers;
pub mod model;
mod package;
mod prompts;

use domain::{
    agent::Capability,
    api::{BuildView, BuildsPage, StartBuildRequest, StartBuildResponse},
    dag::{self, TaskSpec},
    ids::{BuildId, UserId},
    status::{BuildStatus, ExecutionMode, WorkflowStatus},
};
use serde_json::Value;

pub(crate) use self::handlers::register;
use crate::{
    error::{Error, Result},
    store::{
        self,
        artifacts::{ArtifactKind, Stored},
        workflows::NewWorkflow,
    },
    Orchestrator,
};

/// Turns a database failure inside a build task into a retryable task error: the task
/// runs again (with backoff) rather than failing the build on a passing outage.
pub(crate) trait RetryOnError<T> {
    fn retry(self) -> std::result::Result<T, crate::scheduler::TaskError>;
}

impl<T> RetryOnError<T> for Result<T> {
    fn retry(self) -> std::result::Result<T, crate::scheduler::TaskError> {
        self.map_err(|e| crate::scheduler::TaskError::Retryable(e.to_string()))
    }
}

impl<T> RetryOnError<T> for std::result::Result<T, sqlx::Error> {
    fn retry(self) -> std::result::Result<T, crate::scheduler::TaskError> {
        self.map_err(|e| crate::scheduler::TaskError::Retryable(Error::from(e).to_string()))
    }
}

/// The system prompt of `generic` tasks.
pub(crate) const GENERIC_PROMPT: &str = prompts::GENERIC;

/// Longest prompt accepted, in characters: what the analysis reads.
pub const MAX_PROMPT_CHARS: usize = generator::MAX_PROMPT_CHARS;
/// Longest a build may run.
pub const MAX_BUILD_DURATION: std::time::Duration = std::time::Duration::from_secs(30 * 60);

fn first_tasks() -> Vec<TaskSpec> {
    let caps = [Capability::DataAnalysis, Capability::TextGeneration];
    vec![
        TaskSpec {
            id: "analysis".into(),
            description: "Analyse the prompt into an app spec, then review it".into(),
            kind: "build_analysis".into(),
            dependencies: vec![],
            required_capabilities: caps.to_vec(),
            estimated_duration: 20,
            input: Value::Null,
        },
        TaskSpec {
            id: "plan".into(),
            description: "Plan the generation tasks from the spec".into(),
            kind: "build_plan".into(),
            dependencies: vec!["analysis".into()],
            required_capabilities: caps.to_vec(),
            estimated_duration: 5,
            input: Value::Null,
        },
    ]
}

impl Orchestrator {
    /// Accepts a build: stores it with its workflow's first tasks and starts it, all in one
    /// transaction, and returns at once.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for an empty or oversized prompt, an unknown provider or bad
    /// limits.
    pub async fn start_build(&self, req: &StartBuildRequest, owner: UserId) -> Result<StartBuildResponse> {
        let prompt = req.prompt.trim();
        if prompt.is_empty() {
            return Err(Error::BadRequest(
                "prompt must not be empty: describe the app you want".into(),
            ));
        }
        let chars = prompt.chars().count();
        if chars > MAX_PROMPT_CHARS {
            return Err(Error::BadRequest(format!(
                "the prompt is {chars} characters; at most {MAX_PROMPT_CHARS} are allowed"
            )));
        }
        let mut config = req.config.clone();
        if let Some(p) = &config.provider {
            let p = p.trim().to_lowercase();
            if self.providers().get(Some(&p)).is_none() {
                return Err(Error::BadRequest(format!(
                    "the provider {p:?} is not configured on this server; configured: {}",
                    self.providers().names().join(", ")
                )));
            }
            config.provider = Some(p);
        }
        if config.max_tokens.is_some_and(|t| !(1_000..=100_000_000).contains(&t)) {
            return Err(Error::BadRequest(
                "config.max_tokens must be from 1,000 to 100,000,000".into(),
            ));
        }
        if config.max_llm_calls.is_some_and(|c| c == 0 || c > 10_000) {
            return Err(Error::BadRequest(
                "config.max_llm_calls must be from 1 to 10,000".into(),
            ));
        }
        let dag = dag::validate(first_tasks()).map_err(|e| Error::Internal(e.to_string()))?;
        let mut tx = self.pool().begin().await?;
        let build = store::builds::create(&mut tx, owner, prompt, &config).await?;
        let name: String = prompt.chars().take(60).collect();
        let workflow = store::workflows::create(
            &mut tx,
            NewWorkflow {
                owner_id: owner,
                build_id: Some(build),
                name: format!("Build: {name}"),
                description: prompt.to_owned(),
                requirements: vec![],
                constraints: serde_json::json!({}),
                execution_strategy: ExecutionMode::Parallel,
                confidence: None,
                max_duration: Some(MAX_BUILD_DURATION),
                limits: handlers::BUILD_TASK_LIMITS,
                dag: &dag,
            },
        )
        .await?;
        store::workflows::start(&mut tx, workflow, None, ExecutionMode::Parallel, self.now()).await?;
        tx.commit().await?;
        self.wake_scheduler();
        Ok(StartBuildResponse {
            build_id: build,
            status: BuildStatus::Queued,
            websocket_url: "/ws".into(),
        })
    }

    /// A build with its tasks and files.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub async fn get_build(&self, id: BuildId, owner: Option<UserId>) -> Result<BuildView> {
        let mut conn = self.pool().acquire().await?;
        store::builds::get(&mut conn, id, owner, self.now()).await
    }

    /// A page of `owner`'s builds, newest first, after `cursor` (from the previous page).
    ///
    /// # Errors
    /// [`Error::BadRequest`] for a cursor that is not from a previous page.
    pub async fn list_builds(&self, owner: UserId, cursor: Option<&str>, limit: i64) -> Result<BuildsPage> {
        let before = cursor
            .filter(|c| !c.is_empty())
            .map(store::builds::parse_cursor)
            .transpose()?;
        store::builds::list(self.pool(), owner, before, limit.clamp(1, 100)).await
    }

    /// Cancels a build (its workflow): queued work stops at once, running tasks are told to.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] when it has already finished.
    pub async fn cancel_build(&self, id: BuildId, owner: Option<UserId>) -> Result<BuildView> {
        let workflow = store::builds::workflow_of(self.pool(), id, owner).await?;
        let mut tx = self.pool().begin().await?;
        let stopped = store::workflows::stop(
            &mut tx,
            workflow,
            owner,
            WorkflowStatus::Cancelled,
            "cancelled on request",
            self.now(),
        )
        .await;
        match stopped {
            Ok(()) => {}
            Err(Error::Conflict(_)) => {
                let view = self.get_build(id, owner).await?;
                return Err(Error::Conflict(format!(
                    "build {id} has already finished ({})",
                    view.status
                )));
            }
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        self.scheduler().cancel_local(workflow);
        self.get_build(id, owner).await
    }

    /// One file of a build's app (`""` means `index.html`).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown build or path.
    pub async fn build_file(&self, id: BuildId, owner: Option<UserId>, path: &str) -> Result<Stored> {
        let path = if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.to_owned()
        };
        self.ensure_build(id, owner).await?;
        store::artifacts::get(self.pool(), id, ArtifactKind::File, &path)
            .await?
            .ok_or_else(|| Error::not_found("file", format!("{path} of build {id}")))
    }

    /// A build's zip.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] when it is not packaged yet.
    pub async fn build_package(&self, id: BuildId, owner: Option<UserId>) -> Result<Stored> {
        self.ensure_build(id, owner).await?;
        let mut all = store::artifacts::all(self.pool(), id, ArtifactKind::Package).await?;
        all.pop().ok_or_else(|| {
            Error::Conflict(format!(
                "build {id} is not packaged yet; the zip is made when it completes"
            ))
        })
    }

    async fn ensure_build(&self, id: BuildId, owner: Option<UserId>) -> Result<()> {
        // language=PostgreSQL
        let found: bool = sqlx::query_scalar(
            "select exists (select 1 from projects where id = $1 and ($2::uuid is null or owner_id = $2))",
        )
        .bind(id.0)
        .bind(owner.map(|o| o.0))
        .fetch_one(self.pool())
        .await?;
        if found {
            Ok(())
        } else {
            Err(Error::not_found("build", id))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_plan_is_a_valid_dag_with_one_task_per_entity() {
        for prompt in generator::SAMPLE_PROMPTS {
            let spec = generator::analyze(prompt).spec;
            let mut tasks = first_tasks();
            tasks.extend(handlers::generation_tasks(&spec));
            let dag = dag::validate(tasks).unwrap_or_else(|e| panic!("{prompt}: {e}"));
            let entities = dag.tasks().iter().filter(|t| t.kind == "build_entity").count();
            assert_eq!(entities, spec.entities.len(), "{prompt}");
            assert_eq!(dag.critical_path().last(), Some(&"package"));
        }
    }
}
