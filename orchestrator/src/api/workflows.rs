//! Workflows: decomposing a description into a validated task DAG, executing and cancelling
//! it, and reading it back. A person sees and acts on their own workflows; an admin on all.

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::{
    api::{AgentView, DecomposeRequest, DecomposeResponse, Decomposition, Subtask, WorkflowSummary, WorkflowView},
    dag,
    ids::WorkflowId,
    limits::{check_text, MAX_DESCRIPTION_CHARS, MAX_REQUIREMENTS, WORKFLOWS_PAGE},
    status::{ExecutionMode, WorkflowStatus},
};

use crate::{
    store::{
        self,
        workflows::{NewWorkflow, TaskLimits},
    },
    Actor, Error, Orchestrator, Result,
};

impl Orchestrator {
    /// Plans `req` into a workflow, validates the DAG and stores it (status `pending`).
    ///
    /// # Errors
    /// [`Error::BadRequest`] for an empty description or bad constraints;
    /// [`Error::Validation`] when the plan is not a valid DAG.
    pub async fn decompose(&self, req: &DecomposeRequest, actor: &Actor) -> Result<DecomposeResponse> {
        let chars = req.description.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            return Err(Error::BadRequest(format!(
                "the description is {chars} characters; at most {MAX_DESCRIPTION_CHARS} are allowed"
            )));
        }
        check_text("description", &req.description)?;
        if req.requirements.len() > MAX_REQUIREMENTS {
            return Err(Error::BadRequest(format!(
                "at most {MAX_REQUIREMENTS} requirements are allowed, not {}",
                req.requirements.len()
            )));
        }
        for r in &req.requirements {
            check_text("requirements", r)?;
        }
        let limits = constraint_limits(&req.constraints)?;
        let plan = self.planner().plan(req)?;
        let dag = dag::validate(plan.tasks)
            .map_err(|e| Error::BadRequest(format!("the plan is not a valid task graph: {e}")))?;
        let strategy = if dag.max_width() > 1 {
            ExecutionMode::Parallel
        } else {
            ExecutionMode::Sequential
        };

        let agents = store::agents::list(self.pool()).await?;
        let mut required_agents: Vec<String> = Vec::new();
        let mut uncovered = 0;
        for t in dag.tasks() {
            let able: Vec<&AgentView> = agents
                .iter()
                .filter(|a| t.required_capabilities.iter().all(|c| a.capabilities.contains(c)))
                .collect();
            if able.is_empty() {
                uncovered += 1;
            }
            // The least-loaded capable agent is the one the scheduler would pick first.
            if let Some(a) = able.iter().min_by_key(|a| (a.current_load, a.name.clone())) {
                if !required_agents.contains(&a.name) {
                    required_agents.push(a.name.clone());
                }
            }
        }
        let confidence = if uncovered > 0 {
            plan.confidence * 0.5
        } else {
            plan.confidence
        };

        let mut tx = self.pool().begin().await?;
        let workflow_id = store::workflows::create(
            &mut tx,
            NewWorkflow {
                owner_id: actor.id(),
                build_id: None,
                name: plan.name,
                description: req.description.trim().to_owned(),
                requirements: req.requirements.clone(),
                constraints: serde_json::Value::Object(req.constraints.clone()),
                execution_strategy: strategy,
                confidence: Some(confidence),
                max_duration: limits.max_duration,
                limits: limits.task,
                dag: &dag,
            },
        )
        .await?;
        store::audit::record(&mut *tx, &actor.audit("workflow.decompose", "workflow", workflow_id)).await?;
        tx.commit().await?;

        let subtasks = dag
            .topological_order()
            .map(|i| {
                let t = &dag.tasks()[i];
                Subtask {
                    id: t.id.clone(),
                    description: t.description.clone(),
                    dependencies: t.dependencies.clone(),
                    required_capabilities: t.required_capabilities.clone(),
                    estimated_duration: t.estimated_duration,
                    kind: t.kind.clone(),
                }
            })
            .collect();
        Ok(DecomposeResponse {
            workflow_id,
            decomposition: Decomposition {
                subtasks,
                critical_path: dag.critical_path().into_iter().map(str::to_owned).collect(),
                estimated_duration: dag.critical_path_duration(),
                levels: dag.depth(),
            },
            execution_strategy: strategy,
            required_agents,
            confidence,
        })
    }

    /// Stores a workflow made elsewhere (tests, the build pipeline, benchmarks).
    ///
    /// # Errors
    /// Database errors.
    pub async fn create_workflow(&self, new: NewWorkflow<'_>) -> Result<WorkflowId> {
        let mut tx = self.pool().begin().await?;
        let id = store::workflows::create(&mut tx, new).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Starts a pending workflow and returns at once with its state.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] when it is not pending.
    pub async fn execute_workflow(&self, id: WorkflowId, actor: &Actor, mode: ExecutionMode) -> Result<WorkflowView> {
        let mut tx = self.pool().begin().await?;
        store::workflows::start(&mut tx, id, actor.scope(), mode, self.now()).await?;
        store::audit::record(&mut *tx, &actor.audit("workflow.execute", "workflow", id)).await?;
        tx.commit().await?;
        self.wake_scheduler();
        self.get_workflow(id, actor).await
    }

    /// Cancels a workflow: pending tasks now, running ones as soon as their workers hear.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::Conflict`] when it has already finished.
    pub async fn cancel_workflow(&self, id: WorkflowId, actor: &Actor) -> Result<WorkflowView> {
        let mut tx = self.pool().begin().await?;
        store::workflows::stop(
            &mut tx,
            id,
            actor.scope(),
            WorkflowStatus::Cancelled,
            "cancelled on request",
            self.now(),
        )
        .await?;
        store::audit::record(&mut *tx, &actor.audit("workflow.cancel", "workflow", id)).await?;
        tx.commit().await?;
        self.scheduler().cancel_local(id);
        self.get_workflow(id, actor).await
    }

    /// A workflow with every task.
    ///
    /// # Errors
    /// [`Error::NotFound`]; database errors.
    pub async fn get_workflow(&self, id: WorkflowId, actor: &Actor) -> Result<WorkflowView> {
        let mut conn = self.pool().acquire().await?;
        store::workflows::get(&mut conn, id, actor.scope()).await
    }

    /// A page of workflows, newest first, older than `before` (the last one's `created_at`).
    ///
    /// # Errors
    /// [`Error::BadRequest`] for a page size outside [`WORKFLOWS_PAGE`].
    pub async fn list_workflows(
        &self,
        actor: &Actor,
        before: Option<DateTime<Utc>>,
        limit: Option<i64>,
    ) -> Result<Vec<WorkflowSummary>> {
        let limit = WORKFLOWS_PAGE.resolve(limit)?;
        store::workflows::list(self.pool(), actor.scope(), before, limit).await
    }
}

/// The most attempts a decomposed task may have: each one of a `generic` task is a model
/// call, so this is the server's ceiling on what one task may spend.
const MAX_GENERIC_ATTEMPTS: u64 = 10;

/// Limits taken from a decomposition's constraints.
struct Limits {
    max_duration: Option<Duration>,
    task: TaskLimits,
}

fn constraint_limits(c: &serde_json::Map<String, serde_json::Value>) -> Result<Limits> {
    let positive = |key: &str, max: u64| -> Result<Option<u64>> {
        match c.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if (1..=max).contains(&n) => Ok(Some(n)),
                _ => Err(Error::BadRequest(format!(
                    "constraints.{key} must be a whole number from 1 to {max}, not {v}"
                ))),
            },
        }
    };
    let mut task = TaskLimits::default();
    if let Some(n) = positive("max_attempts", MAX_GENERIC_ATTEMPTS)? {
        task.max_attempts = n as i32;
    }
    if let Some(n) = positive("task_timeout_seconds", 86_400)? {
        task.timeout = Duration::from_secs(n);
    }
    let max_duration = positive("max_duration_seconds", 7 * 86_400)?.map(Duration::from_secs);
    Ok(Limits { max_duration, task })
}
