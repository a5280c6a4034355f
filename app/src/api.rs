//! Server functions: the dashboard's door onto the orchestrator. Each one is thin: parse,
//! call one `Orchestrator` method, map the error. The REST routes in `server/` call the same
//! methods. Ids travel as strings and are parsed here, so a bad one is a clear
//! [`AppError::BadRequest`] rather than a transport error.

use domain::{
    agent::RegisterAgentRequest,
    api::{
        AgentView, BuildView, BuildsPage, EventsPage, OrchestratorStatus, StartBuildResponse, WorkflowSummary,
        WorkflowView,
    },
    event::CoordinationEvent,
};
use leptos::{prelude::*, server_fn::codec::Json};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use domain::ids::LOCAL_USER_ID;
    use leptos::prelude::use_context;
    use orchestrator::Orchestrator;

    use crate::error::AppError;

    /// The orchestrator the server provided as context.
    pub(crate) fn orchestrator() -> Result<Orchestrator, AppError> {
        use_context::<Orchestrator>().ok_or_else(|| {
            tracing::error!("server function called without an Orchestrator in context");
            AppError::Internal
        })
    }

    /// The person in the browser's session (the local user until accounts exist; also for
    /// a request that has no session).
    pub(crate) async fn me() -> domain::ids::UserId {
        let session: Option<tower_sessions::Session> = leptos_axum::extract().await.ok();
        let id = match session {
            Some(s) => s.get::<String>("user_id").await.ok().flatten(),
            None => None,
        };
        id.and_then(|id| id.parse().ok()).unwrap_or(LOCAL_USER_ID)
    }

    /// Parses an id from the dashboard.
    pub(crate) fn id<T: From<uuid::Uuid>>(what: &str, raw: &str) -> Result<T, AppError> {
        uuid::Uuid::parse_str(raw.trim())
            .map(T::from)
            .map_err(|_| AppError::BadRequest(format!("{raw:?} is not a valid {what} id")))
    }
}

/// Every agent with its live state.
#[server]
pub async fn list_agents() -> Result<Vec<AgentView>, AppError> {
    Ok(ssr::orchestrator()?.list_agents().await?)
}

/// What became of a registration. A refused one is an answer, not a failure: the form shows
/// each problem next to its field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Registration {
    /// Stored, and online.
    Registered(AgentView),
    /// Refused, with a problem per field.
    Rejected {
        /// Summary.
        message: String,
        /// Per field (`agent_id`, `capabilities`, `configuration.max_concurrency`, ...).
        problems: Vec<domain::agent::FieldProblem>,
    },
}

/// Registers an agent. JSON in, so `configuration` keeps its numbers.
#[server(input = Json)]
pub async fn register_agent(request: RegisterAgentRequest) -> Result<Registration, AppError> {
    use domain::agent::FieldProblem;
    match ssr::orchestrator()?.register_agent(&request, ssr::me().await).await {
        Ok(agent) => Ok(Registration::Registered(agent)),
        Err(orchestrator::Error::Validation(v)) => Ok(Registration::Rejected {
            message: v.to_string(),
            problems: v.problems,
        }),
        Err(orchestrator::Error::Conflict(m)) => Ok(Registration::Rejected {
            message: m.clone(),
            problems: vec![FieldProblem {
                field: "agent_id".into(),
                message: m,
            }],
        }),
        Err(e) => Err(e.into()),
    }
}

/// The newest `limit` coordination events, oldest first.
#[server]
pub async fn recent_events(limit: i64) -> Result<Vec<CoordinationEvent>, AppError> {
    Ok(ssr::orchestrator()?.recent_events(limit.clamp(1, 200)).await?)
}

/// Filters of the events page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventQuery {
    /// Kind prefix (`task.`, `build.finished`).
    pub kind: String,
    /// A build id.
    pub build: String,
    /// An agent name.
    pub agent: String,
    /// A workflow id.
    pub workflow: String,
}

/// The newest events matching `query` (at most 200), oldest first.
#[server(input = Json)]
pub async fn find_events(query: EventQuery) -> Result<EventsPage, AppError> {
    use orchestrator::store::events::EventFilter;
    let orch = ssr::orchestrator()?;
    let trimmed = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let agent_id = match trimmed(&query.agent) {
        Some(name) => {
            let agents = orch.list_agents().await?;
            match agents.into_iter().find(|a| a.name.eq_ignore_ascii_case(&name)) {
                Some(a) => Some(a.id),
                None => return Err(AppError::BadRequest(format!("there is no agent called {name:?}"))),
            }
        }
        None => None,
    };
    let filter = EventFilter {
        kind_prefix: trimmed(&query.kind),
        build_id: trimmed(&query.build).map(|b| ssr::id("build", &b)).transpose()?,
        workflow_id: trimmed(&query.workflow).map(|w| ssr::id("workflow", &w)).transpose()?,
        agent_id,
        ..Default::default()
    };
    Ok(orch.events(&filter, 200).await?)
}

/// The orchestrator's status over the last minute.
#[server]
pub async fn get_status() -> Result<OrchestratorStatus, AppError> {
    Ok(ssr::orchestrator()?.status(std::time::Duration::from_secs(60)).await?)
}

/// What the build form needs to offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// Configured LLM providers.
    pub providers: Vec<String>,
    /// The default one.
    pub default_provider: String,
    /// Server version.
    pub version: String,
}

/// Providers and version.
#[server]
pub async fn get_server_info() -> Result<ServerInfo, AppError> {
    let orch = ssr::orchestrator()?;
    let providers = orch.providers();
    Ok(ServerInfo {
        providers: providers.names().into_iter().map(str::to_owned).collect(),
        default_provider: providers.default_name().to_owned(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Starts a build.
#[server]
pub async fn start_build(prompt: String, provider: Option<String>) -> Result<StartBuildResponse, AppError> {
    use domain::api::{BuildConfig, StartBuildRequest};
    let config = BuildConfig {
        provider: provider.filter(|p| !p.trim().is_empty()),
        ..Default::default()
    };
    Ok(ssr::orchestrator()?
        .start_build(&StartBuildRequest { prompt, config }, ssr::me().await)
        .await?)
}

/// A page of the person's builds, newest first.
#[server]
pub async fn list_builds(cursor: Option<String>) -> Result<BuildsPage, AppError> {
    Ok(ssr::orchestrator()?
        .list_builds(ssr::me().await, cursor.as_deref(), 20)
        .await?)
}

/// One build with its tasks and files.
#[server]
pub async fn get_build(id: String) -> Result<BuildView, AppError> {
    Ok(ssr::orchestrator()?
        .get_build(ssr::id("build", &id)?, Some(ssr::me().await))
        .await?)
}

/// Cancels a build.
#[server]
pub async fn cancel_build(id: String) -> Result<BuildView, AppError> {
    Ok(ssr::orchestrator()?
        .cancel_build(ssr::id("build", &id)?, Some(ssr::me().await))
        .await?)
}

/// Most bytes of a file the code viewer shows.
pub const MAX_VIEWED_BYTES: usize = 512 * 1024;

/// A generated file's text, for the code viewer.
#[server]
pub async fn build_file(id: String, path: String) -> Result<String, AppError> {
    let file = ssr::orchestrator()?
        .build_file(ssr::id("build", &id)?, Some(ssr::me().await), &path)
        .await?;
    let mut text = String::from_utf8_lossy(&file.content).into_owned();
    if text.len() > MAX_VIEWED_BYTES {
        let mut cut = MAX_VIEWED_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n… (truncated; download the zip for the whole file)");
    }
    Ok(text)
}

/// The person's workflows, newest first.
#[server]
pub async fn list_workflows() -> Result<Vec<WorkflowSummary>, AppError> {
    Ok(ssr::orchestrator()?
        .list_workflows(Some(ssr::me().await), None, 100)
        .await?)
}

/// One workflow with its tasks.
#[server]
pub async fn get_workflow(id: String) -> Result<WorkflowView, AppError> {
    Ok(ssr::orchestrator()?
        .get_workflow(ssr::id("workflow", &id)?, Some(ssr::me().await))
        .await?)
}

/// Cancels a workflow.
#[server]
pub async fn cancel_workflow(id: String) -> Result<WorkflowView, AppError> {
    Ok(ssr::orchestrator()?
        .cancel_workflow(ssr::id("workflow", &id)?, Some(ssr::me().await))
        .await?)
}

/// Time series for the metrics page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsView {
    /// Bucket width in seconds.
    pub bucket_secs: i64,
    /// Per bucket: tasks finished (count), p50 and p95 duration.
    pub task_duration: Vec<domain::api::MetricPoint>,
    /// Per bucket: queue wait.
    pub queue_wait: Vec<domain::api::MetricPoint>,
    /// Per bucket: ready tasks (sampled).
    pub queue_depth: Vec<domain::api::MetricPoint>,
    /// Per bucket: tokens used.
    pub tokens: Vec<domain::api::MetricPoint>,
}

/// Metrics over the last `minutes`.
#[server]
pub async fn metrics(minutes: i64) -> Result<MetricsView, AppError> {
    let minutes = minutes.clamp(5, 24 * 60);
    let orch = ssr::orchestrator()?;
    let bucket_secs = (minutes * 60 / 60).max(5);
    let since = chrono::Utc::now() - chrono::Duration::minutes(minutes);
    let series = |metric: &'static str| {
        let orch = orch.clone();
        async move { orch.metric_series(metric, since, bucket_secs).await }
    };
    Ok(MetricsView {
        bucket_secs,
        task_duration: series("task.duration").await?,
        queue_wait: series("task.queue_wait").await?,
        queue_depth: series("queue.depth").await?,
        tokens: series("llm.tokens").await?,
    })
}
