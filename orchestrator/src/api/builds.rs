//! Builds: starting one (one transaction: the build, its workflow with the first tasks,
//! started), changing a completed one (a revision: the same, made from its parent),
//! reading and listing them, cancelling, their files and zip, and a revision's diff. What a build
//! then does is the pipeline's (`crate::pipeline`).

use domain::{
    api::{BuildConfig, BuildDiff, BuildView, BuildsPage, IterateRequest, StartBuildRequest, StartBuildResponse},
    dag,
    ids::{BuildId, UserId},
    limits::{check_prompt, BUILDS_PAGE},
    status::{BuildStatus, ExecutionMode, WorkflowStatus},
};

use crate::{
    diff, pipeline,
    store::{
        self,
        artifacts::{ArtifactKind, Stored},
        workflows::NewWorkflow,
    },
    Actor, Error, Orchestrator, Result,
};

impl Orchestrator {
    /// Refuses a build whose model is known (from an earlier probe) to have a context too
    /// small for the pipeline's smallest request. Nothing is asked over the network here.
    fn check_context(&self, config: &domain::api::BuildConfig) -> Result<()> {
        let Some(provider) = self.providers().get(config.provider.as_deref()) else {
            return Ok(());
        };
        if provider.name() == "offline" {
            return Ok(());
        }
        let model = config.model.clone().unwrap_or_else(|| provider.model().to_owned());
        let context = self.providers().effective_context(provider.known_context(&model));
        let needed = pipeline::smallest_request_tokens();
        if context < needed {
            return Err(Error::BadRequest(crate::llm::context::too_small_for_a_build(
                &model, context, needed,
            )));
        }
        Ok(())
    }

    /// A build's options, checked against this server's providers and ceilings (the time
    /// budget defaults to the ceiling).
    fn checked_config(&self, mut config: BuildConfig) -> Result<BuildConfig> {
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
        let ceilings = &self.limiters().settings;
        if config
            .max_tokens
            .is_some_and(|t| !(1_000..=ceilings.max_build_tokens).contains(&t))
        {
            return Err(Error::BadRequest(format!(
                "config.max_tokens must be from 1000 to {} (this server's ceiling)",
                ceilings.max_build_tokens
            )));
        }
        if config
            .max_llm_calls
            .is_some_and(|c| c == 0 || c > ceilings.max_build_llm_calls)
        {
            return Err(Error::BadRequest(format!(
                "config.max_llm_calls must be from 1 to {} (this server's ceiling)",
                ceilings.max_build_llm_calls
            )));
        }
        if config.max_model_failures.is_some_and(|n| !(1..=1_000).contains(&n)) {
            return Err(Error::BadRequest(
                "config.max_model_failures must be from 1 to 1000".into(),
            ));
        }
        match config.max_seconds {
            Some(s) if s == 0 || s > ceilings.build_max_secs => {
                return Err(Error::BadRequest(format!(
                    "config.max_seconds must be from 1 to {} (this server's ceiling)",
                    ceilings.build_max_secs
                )))
            }
            Some(_) => {}
            None => config.max_seconds = Some(ceilings.build_max_secs),
        }
        self.check_context(&config)?;
        Ok(config)
    }

    /// Refuses another build when the person has too many running or starts them too fast.
    async fn admit(&self, owner: UserId) -> Result<()> {
        let ceilings = &self.limiters().settings;
        let running = store::builds::active_count(self.pool(), owner).await?;
        if running >= ceilings.max_concurrent_builds {
            return Err(Error::limit(
                format!("you have {running} builds queued or running, the most at once; wait for one to finish"),
                Some(std::time::Duration::from_secs(10)),
            ));
        }
        self.limiters().build_started(owner.0)
    }

    /// Stores a build's workflow with `first` tasks and starts it (in `tx`).
    async fn start_workflow(
        &self,
        tx: &mut sqlx::PgConnection,
        build: BuildId,
        owner: UserId,
        prompt: &str,
        config: &BuildConfig,
        first: Vec<domain::dag::TaskSpec>,
    ) -> Result<()> {
        let dag = dag::validate(first).map_err(|e| Error::Internal(e.to_string()))?;
        let name: String = prompt.chars().take(60).collect();
        let workflow = store::workflows::create(
            &mut *tx,
            NewWorkflow {
                owner_id: owner,
                build_id: Some(build),
                name: format!("Build: {name}"),
                description: prompt.to_owned(),
                requirements: vec![],
                constraints: serde_json::json!({}),
                execution_strategy: ExecutionMode::Parallel,
                confidence: None,
                // The hard stop stays well behind the build's own time budget, after which
                // the offline generator finishes the build in seconds.
                max_duration: Some(pipeline::MAX_BUILD_DURATION.max(
                    std::time::Duration::from_secs(config.max_seconds.unwrap_or_default())
                        + std::time::Duration::from_secs(10 * 60),
                )),
                limits: pipeline::BUILD_TASK_LIMITS,
                dag: &dag,
            },
        )
        .await?;
        store::workflows::start(&mut *tx, workflow, None, ExecutionMode::Parallel, self.now()).await?;
        Ok(())
    }

    /// The answer to a build just committed: counted, the scheduler woken.
    fn accepted(&self, build: BuildId) -> StartBuildResponse {
        crate::instruments::build_started();
        self.wake_scheduler();
        StartBuildResponse {
            build_id: build,
            status: BuildStatus::Queued,
            websocket_url: "/ws".into(),
        }
    }

    /// Accepts a build: stores it with its workflow's first tasks and starts it, all in one
    /// transaction, and returns at once.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for an empty or oversized prompt, an unknown provider,
    /// budgets above the server's ceilings, or a model whose context is known to be too
    /// small; [`Error::LimitExceeded`] when the person starts
    /// builds too fast or has too many running.
    pub async fn start_build(&self, req: &StartBuildRequest, actor: &Actor) -> Result<StartBuildResponse> {
        let prompt = check_prompt(&req.prompt)?;
        let owner = actor.id();
        let config = self.checked_config(req.config.clone())?;
        self.admit(owner).await?;
        let mut tx = self.pool().begin().await?;
        let build = store::builds::create(&mut tx, owner, prompt, &config).await?;
        self.start_workflow(&mut tx, build, owner, prompt, &config, pipeline::first_tasks())
            .await?;
        let mut audit = actor.audit("build.start", "build", build);
        audit.details["provider"] = config.provider.clone().into();
        store::audit::record(&mut *tx, &audit).await?;
        tx.commit().await?;
        Ok(self.accepted(build))
    }

    /// Changes a completed build: a new build of the same app (its next revision), made
    /// from `parent` as `req.prompt` asks; see `crate::pipeline` for what runs again.
    ///
    /// # Errors
    /// As [`Orchestrator::start_build`]; [`Error::NotFound`] for an unknown (or someone
    /// else's) build; [`Error::Conflict`] when it has not completed; [`Error::Validation`]
    /// when the build would use the offline provider and the request changes nothing it
    /// can read (a model might, so with one the build runs).
    pub async fn iterate_build(
        &self,
        parent: BuildId,
        req: &IterateRequest,
        actor: &Actor,
    ) -> Result<StartBuildResponse> {
        let prompt = check_prompt(&req.prompt)?;
        let owner = actor.id();
        let view = {
            let mut conn = self.pool().acquire().await?;
            store::builds::get(&mut conn, parent, actor.scope(), self.now()).await?
        };
        if view.status != BuildStatus::Completed {
            return Err(Error::Conflict(format!(
                "build {parent} is {}; only a completed build can be changed",
                view.status
            )));
        }
        let spec = view
            .spec
            .ok_or_else(|| Error::Internal(format!("the completed build {parent} has no spec")))?;
        let config = self.checked_config(req.config.clone().unwrap_or(view.config))?;
        let offline = self
            .providers()
            .get(config.provider.as_deref())
            .is_none_or(|p| p.name() == "offline");
        if offline && generator::describe_changes(&spec, &generator::revise(prompt, spec.clone()).spec).is_empty() {
            return Err(Error::Validation(domain::agent::ValidationErrors {
                problems: vec![domain::agent::FieldProblem {
                    field: "prompt".into(),
                    message: format!(
                        "nothing in {prompt:?} changes the app that the offline generator can tell; name what to \
                         change, for example \"add a notes field to {}\", \"make it green\", \"add a page for \
                         suppliers\" or \"remove the tags\"",
                        spec.entities
                            .first()
                            .map_or("records".to_string(), |e| e.plural.to_lowercase())
                    ),
                }],
            }));
        }
        self.admit(owner).await?;
        let mut tx = self.pool().begin().await?;
        let (build, number) = store::builds::create_revision(&mut tx, owner, parent, prompt, &config).await?;
        self.start_workflow(&mut tx, build, owner, prompt, &config, pipeline::revision_first_tasks())
            .await?;
        let mut audit = actor.audit("build.iterate", "build", build);
        audit.details["parent"] = serde_json::json!(parent);
        audit.details["revision"] = number.into();
        store::audit::record(&mut *tx, &audit).await?;
        tx.commit().await?;
        Ok(self.accepted(build))
    }

    /// A build with its tasks and files; its `preview_url` is a signed link (see
    /// [`Orchestrator::preview_link`]).
    ///
    /// # Errors
    /// [`Error::NotFound`] when it does not exist or is not the actor's.
    pub async fn get_build(&self, id: BuildId, actor: &Actor) -> Result<BuildView> {
        let mut conn = self.pool().acquire().await?;
        let mut view = store::builds::get(&mut conn, id, actor.scope(), self.now()).await?;
        if view.preview_url.is_some() {
            view.preview_url = Some(self.preview_link(id).await?);
        }
        Ok(view)
    }

    /// A page of the actor's builds, newest first, after `cursor` (from the previous page).
    ///
    /// # Errors
    /// [`Error::BadRequest`] for a cursor that is not from a previous page or a page size
    /// outside [`BUILDS_PAGE`].
    pub async fn list_builds(&self, actor: &Actor, cursor: Option<&str>, limit: Option<i64>) -> Result<BuildsPage> {
        let limit = BUILDS_PAGE.resolve(limit)?;
        let before = cursor
            .filter(|c| !c.is_empty())
            .map(store::builds::parse_cursor)
            .transpose()?;
        store::builds::list(self.pool(), actor.id(), before, limit).await
    }

    /// Cancels a build (its workflow): queued work stops at once, running tasks are told to.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] when it has already finished.
    pub async fn cancel_build(&self, id: BuildId, actor: &Actor) -> Result<BuildView> {
        let workflow = store::builds::workflow_of(self.pool(), id, actor.scope()).await?;
        let mut tx = self.pool().begin().await?;
        let stopped = store::workflows::stop(
            &mut tx,
            workflow,
            actor.scope(),
            WorkflowStatus::Cancelled,
            "cancelled on request",
            self.now(),
        )
        .await;
        match stopped {
            Ok(()) => {}
            Err(Error::Conflict(_)) => {
                let view = self.get_build(id, actor).await?;
                return Err(Error::Conflict(format!(
                    "build {id} has already finished ({})",
                    view.status
                )));
            }
            Err(e) => return Err(e),
        }
        store::audit::record(&mut *tx, &actor.audit("build.cancel", "build", id)).await?;
        tx.commit().await?;
        self.scheduler().cancel_local(workflow);
        self.get_build(id, actor).await
    }

    /// One file of a build's app (`""` means `index.html`), for its owner (the code viewer).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown (or someone else's) build or path.
    pub async fn build_file(&self, id: BuildId, actor: &Actor, path: &str) -> Result<Stored> {
        self.ensure_build(id, actor).await?;
        self.stored_file(id, path).await
    }

    /// One file of a build's app, for whoever holds a valid preview link: the sandboxed
    /// preview's requests carry no cookies, so the link itself is the permission.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a bad or expired link, an unknown build or path (the same
    /// answer, so a link cannot be probed).
    pub async fn preview_file(&self, id: BuildId, capability: &str, path: &str) -> Result<Stored> {
        if !self.preview_allows(id, capability).await? {
            return Err(Error::not_found("preview", id));
        }
        self.stored_file(id, path).await
    }

    async fn stored_file(&self, id: BuildId, path: &str) -> Result<Stored> {
        let path = if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.to_owned()
        };
        store::artifacts::get(self.pool(), id, ArtifactKind::File, &path)
            .await?
            .ok_or_else(|| Error::not_found("file", format!("{path} of build {id}")))
    }

    /// A build's zip.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] when it is not packaged yet.
    pub async fn build_package(&self, id: BuildId, actor: &Actor) -> Result<Stored> {
        self.ensure_build(id, actor).await?;
        let mut all = store::artifacts::all(self.pool(), id, ArtifactKind::Package).await?;
        all.pop().ok_or_else(|| {
            Error::Conflict(format!(
                "build {id} is not packaged yet; the zip is made when it completes"
            ))
        })
    }

    /// One of a build's screenshots from the browser check (`name` as in the build's
    /// `verify.screenshots`, with or without the `screenshots/` folder).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown (or someone else's) build or screenshot.
    pub async fn build_screenshot(&self, id: BuildId, name: &str, actor: &Actor) -> Result<Stored> {
        self.ensure_build(id, actor).await?;
        let name = name.strip_prefix("screenshots/").unwrap_or(name);
        let path = format!("screenshots/{name}");
        store::artifacts::get(self.pool(), id, ArtifactKind::Screenshot, &path)
            .await?
            .ok_or_else(|| Error::not_found("screenshot", name))
    }

    /// How a revision's files differ from its parent's: one entry per added, removed or
    /// changed file, with a unified diff (3 lines of context). A first build has no parent
    /// and an empty list.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown (or someone else's) build.
    pub async fn build_diff(&self, id: BuildId, actor: &Actor) -> Result<BuildDiff> {
        self.ensure_build(id, actor).await?;
        let Some(parent) = store::builds::parent_of(self.pool(), id).await? else {
            return Ok(BuildDiff {
                build_id: id,
                parent_id: None,
                files: Vec::new(),
                unchanged: 0,
            });
        };
        let new = store::artifacts::all(self.pool(), id, ArtifactKind::File).await?;
        let old = store::artifacts::all(self.pool(), parent, ArtifactKind::File).await?;
        Ok(diff::files(id, parent, &old, &new))
    }

    async fn ensure_build(&self, id: BuildId, actor: &Actor) -> Result<()> {
        if store::builds::exists(self.pool(), id, actor.scope()).await? {
            Ok(())
        } else {
            Err(Error::not_found("build", id))
        }
    }
}
