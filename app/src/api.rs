//! Server functions: the dashboard's door onto the orchestrator. Each one is thin: parse,
//! call one `Orchestrator` method, map the error. The REST routes in `server/` call the same
//! methods, which apply every rule (page sizes, prompt length, agent names) themselves, so
//! both doors answer alike. Ids travel as strings and are parsed with
//! [`domain::ids::parse`] (the parser the REST door uses), so a bad one is the same clear
//! [`AppError::BadRequest`].
//!
//! Every server function has a stable path under `/api/fn/` (its `endpoint`), listed in
//! the README, so scripts can call them: `POST /api/fn/<name>` with a form-encoded body
//! (`Json` ones with a JSON body); answers are JSON.

use domain::{
    agent::RegisterAgentRequest,
    api::{
        AgentView, BuildView, BuildsPage, EventQuery, EventsPage, OrchestratorStatus, StartBuildResponse,
        WorkflowSummary, WorkflowView,
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
            AppError::Internal.answered()
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

    /// Parses an id from the dashboard ([`domain::ids::parse`], as the REST door does).
    pub(crate) fn id<T: From<uuid::Uuid>>(what: &'static str, raw: &str) -> Result<T, AppError> {
        domain::ids::parse(what, raw).map_err(|e| AppError::BadRequest(e.to_string()).answered())
    }
}

/// Every agent with its live state.
#[server(prefix = "/api/fn", endpoint = "list_agents")]
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
#[server(prefix = "/api/fn", endpoint = "register_agent", input = Json)]
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
#[server(prefix = "/api/fn", endpoint = "recent_events")]
pub async fn recent_events(limit: i64) -> Result<Vec<CoordinationEvent>, AppError> {
    let query = domain::api::EventQuery {
        limit: Some(limit),
        ..Default::default()
    };
    Ok(ssr::orchestrator()?.events(&query).await?.events)
}

/// Events matching `query` (the type the REST door takes as query parameters): the newest
/// ones, or those after `since`, oldest first.
#[server(prefix = "/api/fn", endpoint = "find_events", input = Json)]
pub async fn find_events(query: EventQuery) -> Result<EventsPage, AppError> {
    Ok(ssr::orchestrator()?.events(&query).await?)
}

/// The orchestrator's status over the last minute.
#[server(prefix = "/api/fn", endpoint = "get_status")]
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
#[server(prefix = "/api/fn", endpoint = "get_server_info")]
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
#[server(prefix = "/api/fn", endpoint = "start_build")]
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
#[server(prefix = "/api/fn", endpoint = "list_builds")]
pub async fn list_builds(cursor: Option<String>) -> Result<BuildsPage, AppError> {
    Ok(ssr::orchestrator()?
        .list_builds(ssr::me().await, cursor.as_deref(), None)
        .await?)
}

/// One build with its tasks and files.
#[server(prefix = "/api/fn", endpoint = "get_build")]
pub async fn get_build(id: String) -> Result<BuildView, AppError> {
    Ok(ssr::orchestrator()?
        .get_build(ssr::id("build", &id)?, Some(ssr::me().await))
        .await?)
}

/// Cancels a build.
#[server(prefix = "/api/fn", endpoint = "cancel_build")]
pub async fn cancel_build(id: String) -> Result<BuildView, AppError> {
    Ok(ssr::orchestrator()?
        .cancel_build(ssr::id("build", &id)?, Some(ssr::me().await))
        .await?)
}

/// Most bytes of a file the code viewer shows.
pub const MAX_VIEWED_BYTES: usize = 512 * 1024;

/// A generated file's text, for the code viewer.
#[server(prefix = "/api/fn", endpoint = "build_file")]
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
#[server(prefix = "/api/fn", endpoint = "list_workflows")]
pub async fn list_workflows() -> Result<Vec<WorkflowSummary>, AppError> {
    Ok(ssr::orchestrator()?
        .list_workflows(Some(ssr::me().await), None, Some(100))
        .await?)
}

/// One workflow with its tasks.
#[server(prefix = "/api/fn", endpoint = "get_workflow")]
pub async fn get_workflow(id: String) -> Result<WorkflowView, AppError> {
    Ok(ssr::orchestrator()?
        .get_workflow(ssr::id("workflow", &id)?, Some(ssr::me().await))
        .await?)
}

/// Cancels a workflow.
#[server(prefix = "/api/fn", endpoint = "cancel_workflow")]
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
#[server(prefix = "/api/fn", endpoint = "metrics")]
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
