//! Builds: starting one (one transaction: the build, its workflow with the first tasks,
//! started), reading and listing them, cancelling, and their files and zip. What a build
//! then does is the pipeline's (`crate::pipeline`).

use domain::{
    api::{BuildView, BuildsPage, StartBuildRequest, StartBuildResponse},
    dag,
    ids::{BuildId, UserId},
    limits::{check_prompt, BUILDS_PAGE},
    status::{BuildStatus, ExecutionMode, WorkflowStatus},
};

use crate::{
    pipeline,
    store::{
        self,
        artifacts::{ArtifactKind, Stored},
        workflows::NewWorkflow,
    },
    Error, Orchestrator, Result,
};

impl Orchestrator {
    /// Accepts a build: stores it with its workflow's first tasks and starts it, all in one
    /// transaction, and returns at once.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for an empty or oversized prompt, an unknown provider or bad
    /// limits.
    pub async fn start_build(&self, req: &StartBuildRequest, owner: UserId) -> Result<StartBuildResponse> {
        let prompt = check_prompt(&req.prompt)?;
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
        let dag = dag::validate(pipeline::first_tasks()).map_err(|e| Error::Internal(e.to_string()))?;
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
                max_duration: Some(pipeline::MAX_BUILD_DURATION),
                limits: pipeline::BUILD_TASK_LIMITS,
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
    /// [`Error::BadRequest`] for a cursor that is not from a previous page or a page size
    /// outside [`BUILDS_PAGE`].
    pub async fn list_builds(&self, owner: UserId, cursor: Option<&str>, limit: Option<i64>) -> Result<BuildsPage> {
        let limit = BUILDS_PAGE.resolve(limit)?;
        let before = cursor
            .filter(|c| !c.is_empty())
            .map(store::builds::parse_cursor)
            .transpose()?;
        store::builds::list(self.pool(), owner, before, limit).await
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
        if store::builds::exists(self.pool(), id, owner).await? {
            Ok(())
        } else {
            Err(Error::not_found("build", id))
        }
    }
}
