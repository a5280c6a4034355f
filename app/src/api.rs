//! Server functions: the dashboard's door onto the orchestrator. Each one is thin: parse,
//! call one `Orchestrator` method, map the error. The REST routes in `server/` call the same
//! methods, which apply every rule (page sizes, prompt length, agent names, who may see
//! what) themselves, so both doors answer alike. Ids travel as strings and are parsed with
//! [`domain::ids::parse`] (the parser the REST door uses), so a bad one is the same clear
//! [`AppError::BadRequest`].
//!
//! Every server function has a stable path under `/api/fn/` (its `endpoint`), listed in
//! the README, so scripts can call them with a session or an API token. Reads are `GET`
//! with query parameters; changes are `POST` with a JSON body (the server refuses any other
//! content type for a change, which is what keeps other sites from calling them).
//!
//! Every call but the sign-in ones needs a signed-in person ([`ssr::me`]): without one it
//! is a 401.

use domain::{
    agent::RegisterAgentRequest,
    api::{
        AgentView, BuildDiff, BuildView, BuildsPage, EventQuery, EventsPage, OrchestratorStatus, StartBuildResponse,
        WorkflowSummary, WorkflowView,
    },
    auth::{AuditPage, InvitationView, NewInvitation, NewToken, Person, PersonSummary, TokenView},
    event::CoordinationEvent,
};
use leptos::{
    prelude::*,
    server_fn::codec::{GetUrl, Json},
};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use leptos::prelude::use_context;
    use orchestrator::{Actor, Client, Orchestrator};

    use crate::error::AppError;

    /// The orchestrator the server provided as context.
    pub(crate) fn orchestrator() -> Result<Orchestrator, AppError> {
        use_context::<Orchestrator>().ok_or_else(|| {
            tracing::error!("server function called without an Orchestrator in context");
            AppError::Internal.answered()
        })
    }

    /// The signed-in caller (the server's `identify` step put them on the request), or 401.
    pub(crate) async fn me() -> Result<Actor, AppError> {
        let actor: Option<axum::Extension<Actor>> = leptos_axum::extract().await.ok();
        actor
            .map(|axum::Extension(a)| a)
            .ok_or_else(|| AppError::Unauthorized("sign in first".into()).answered())
    }

    /// The signed-in caller, if any.
    pub(crate) async fn maybe_me() -> Option<Actor> {
        let actor: Option<axum::Extension<Actor>> = leptos_axum::extract().await.ok();
        actor.map(|axum::Extension(a)| a)
    }

    /// Where the request comes from (for sign-in limits and the audit trail).
    pub(crate) async fn client() -> Client {
        let parts: Option<http::request::Parts> = leptos_axum::extract().await.ok();
        let addr: Option<axum::extract::ConnectInfo<std::net::SocketAddr>> = leptos_axum::extract().await.ok();
        let ua = parts
            .as_ref()
            .and_then(|p| p.headers.get(http::header::USER_AGENT))
            .and_then(|v| v.to_str().ok());
        Client::new(addr.map(|a| a.0.ip().to_string()), ua)
    }

    /// The browser session.
    pub(crate) async fn session() -> Result<tower_sessions::Session, AppError> {
        leptos_axum::extract().await.map_err(|e| {
            tracing::error!(error.message = %e, "no session layer");
            AppError::Internal.answered()
        })
    }

    /// Signs `person` in on this browser: a new session id (so one planted before sign-in is
    /// worthless), holding their id.
    pub(crate) async fn start_session(person: &domain::auth::Person) -> Result<(), AppError> {
        let session = session().await?;
        let failed = |e: tower_sessions::session::Error| {
            tracing::error!(error.message = %e, "cannot start a session");
            AppError::Internal.answered()
        };
        session.cycle_id().await.map_err(failed)?;
        session
            .insert(super::USER_KEY, person.id.to_string())
            .await
            .map_err(failed)
    }

    /// Parses an id from the dashboard ([`domain::ids::parse`], as the REST door does).
    pub(crate) fn id<T: From<uuid::Uuid>>(what: &'static str, raw: &str) -> Result<T, AppError> {
        domain::ids::parse(what, raw).map_err(|e| AppError::BadRequest(e.to_string()).answered())
    }
}

/// The session key that holds the signed-in person's id (the server reads it back).
pub const USER_KEY: &str = "user_id";

// ---------------------------------------------------------------------------------------
// Accounts

/// Where a signed-out visitor stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// Nobody can sign in yet: the setup page makes the first admin.
    pub setup_needed: bool,
    /// Anyone may sign up without an invitation.
    pub open_signup: bool,
}

/// The signed-in person, if any.
#[server(prefix = "/api/fn", endpoint = "me", input = GetUrl)]
pub async fn me() -> Result<Option<Person>, AppError> {
    Ok(ssr::maybe_me().await.map(|a| a.person))
}

/// What the sign-in page needs to know.
#[server(prefix = "/api/fn", endpoint = "sign_in_info", input = GetUrl)]
pub async fn sign_in_info() -> Result<Welcome, AppError> {
    let orch = ssr::orchestrator()?;
    Ok(Welcome {
        setup_needed: orch.setup_needed().await?,
        open_signup: orch.open_signup(),
    })
}

/// Makes the first account (an admin) and signs it in; refused once anyone can sign in.
#[server(prefix = "/api/fn", endpoint = "setup", input = Json)]
pub async fn setup(username: String, password: String) -> Result<Person, AppError> {
    let person = ssr::orchestrator()?
        .setup(&username, &password, &ssr::client().await)
        .await?;
    ssr::start_session(&person).await?;
    Ok(person)
}

/// Signs in with a username and password.
#[server(prefix = "/api/fn", endpoint = "sign_in", input = Json)]
pub async fn sign_in(username: String, password: String) -> Result<Person, AppError> {
    let person = ssr::orchestrator()?
        .sign_in(&username, &password, &ssr::client().await)
        .await?;
    ssr::start_session(&person).await?;
    Ok(person)
}

/// Signs out of this browser.
#[server(prefix = "/api/fn", endpoint = "sign_out", input = Json)]
pub async fn sign_out() -> Result<(), AppError> {
    if let Some(me) = ssr::maybe_me().await {
        ssr::orchestrator()?.signed_out(&me).await?;
    }
    if let Err(e) = ssr::session().await?.flush().await {
        tracing::warn!(error.message = %e, "cannot end the session");
    }
    Ok(())
}

/// Makes an account from an invitation code (or without one when sign-up is open) and
/// signs it in.
#[server(prefix = "/api/fn", endpoint = "sign_up", input = Json)]
pub async fn sign_up(code: Option<String>, username: String, password: String) -> Result<Person, AppError> {
    let person = ssr::orchestrator()?
        .sign_up(code.as_deref(), &username, &password, &ssr::client().await)
        .await?;
    ssr::start_session(&person).await?;
    Ok(person)
}

/// Changes the signed-in person's password; their other sessions end.
#[server(prefix = "/api/fn", endpoint = "change_password", input = Json)]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    let me = ssr::me().await?;
    let session = ssr::session().await?;
    let keep = session.id().map(|id| id.to_string());
    ssr::orchestrator()?
        .change_password(&me, &current, &new, keep.as_deref())
        .await?;
    Ok(())
}

/// The signed-in person's API tokens.
#[server(prefix = "/api/fn", endpoint = "list_tokens", input = GetUrl)]
pub async fn list_tokens() -> Result<Vec<TokenView>, AppError> {
    Ok(ssr::orchestrator()?.list_tokens(&ssr::me().await?).await?)
}

/// Makes an API token; the answer holds the secret, shown once.
#[server(prefix = "/api/fn", endpoint = "create_token", input = Json)]
pub async fn create_token(name: String) -> Result<NewToken, AppError> {
    Ok(ssr::orchestrator()?.create_token(&ssr::me().await?, &name).await?)
}

/// Revokes one of the signed-in person's tokens.
#[server(prefix = "/api/fn", endpoint = "revoke_token", input = Json)]
pub async fn revoke_token(id: String) -> Result<(), AppError> {
    let id: uuid::Uuid = ssr::id("token", &id)?;
    Ok(ssr::orchestrator()?.revoke_token(&ssr::me().await?, id).await?)
}

/// Everyone (admins).
#[server(prefix = "/api/fn", endpoint = "list_people", input = GetUrl)]
pub async fn list_people() -> Result<Vec<PersonSummary>, AppError> {
    Ok(ssr::orchestrator()?.list_people(&ssr::me().await?).await?)
}

/// Every invitation (admins).
#[server(prefix = "/api/fn", endpoint = "list_invitations", input = GetUrl)]
pub async fn list_invitations() -> Result<Vec<InvitationView>, AppError> {
    Ok(ssr::orchestrator()?.list_invitations(&ssr::me().await?).await?)
}

/// An invitation (admins); the answer holds the one-time code.
#[server(prefix = "/api/fn", endpoint = "create_invitation", input = Json)]
pub async fn create_invitation(is_admin: bool, note: String) -> Result<NewInvitation, AppError> {
    Ok(ssr::orchestrator()?
        .create_invitation(&ssr::me().await?, is_admin, &note)
        .await?)
}

/// A page of the audit trail, newest first (admins).
#[server(prefix = "/api/fn", endpoint = "audit_trail", input = GetUrl)]
pub async fn audit_trail(before: Option<i64>) -> Result<AuditPage, AppError> {
    Ok(ssr::orchestrator()?.audit_page(&ssr::me().await?, before).await?)
}

// ---------------------------------------------------------------------------------------
// Agents

/// Every agent with its live state (admins).
#[server(prefix = "/api/fn", endpoint = "list_agents", input = GetUrl)]
pub async fn list_agents() -> Result<Vec<AgentView>, AppError> {
    Ok(ssr::orchestrator()?.list_agents(&ssr::me().await?).await?)
}

/// The LLM providers' health: reachable, models, context (asks each model server now).
#[server(prefix = "/api/fn", endpoint = "provider_health", input = GetUrl)]
pub async fn provider_health() -> Result<domain::api::ProvidersView, AppError> {
    Ok(ssr::orchestrator()?.provider_health(&ssr::me().await?).await?)
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

/// Registers an agent (admins). JSON in, so `configuration` keeps its numbers.
#[server(prefix = "/api/fn", endpoint = "register_agent", input = Json)]
pub async fn register_agent(request: RegisterAgentRequest) -> Result<Registration, AppError> {
    use domain::agent::FieldProblem;
    match ssr::orchestrator()?.register_agent(&request, &ssr::me().await?).await {
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

/// Deletes a registered agent (admins).
#[server(prefix = "/api/fn", endpoint = "delete_agent", input = Json)]
pub async fn delete_agent(name: String) -> Result<(), AppError> {
    Ok(ssr::orchestrator()?.delete_agent(&name, &ssr::me().await?).await?)
}

// ---------------------------------------------------------------------------------------
// Events, status, metrics

/// The newest `limit` coordination events the person may see, oldest first.
#[server(prefix = "/api/fn", endpoint = "recent_events", input = GetUrl)]
pub async fn recent_events(limit: i64) -> Result<Vec<CoordinationEvent>, AppError> {
    let query = EventQuery {
        limit: Some(limit),
        exclude_kind: Some("task.progress".into()),
        ..Default::default()
    };
    Ok(ssr::orchestrator()?.events(&query, &ssr::me().await?).await?.events)
}

/// Events matching `query` (the type the REST door takes as query parameters): the newest
/// ones, or those after `since`, oldest first.
#[server(prefix = "/api/fn", endpoint = "find_events", input = GetUrl)]
pub async fn find_events(query: EventQuery) -> Result<EventsPage, AppError> {
    Ok(ssr::orchestrator()?.events(&query, &ssr::me().await?).await?)
}

/// The orchestrator's status over the last minute (admins).
#[server(prefix = "/api/fn", endpoint = "get_status", input = GetUrl)]
pub async fn get_status() -> Result<OrchestratorStatus, AppError> {
    Ok(ssr::orchestrator()?
        .status(std::time::Duration::from_secs(60), &ssr::me().await?)
        .await?)
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
#[server(prefix = "/api/fn", endpoint = "get_server_info", input = GetUrl)]
pub async fn get_server_info() -> Result<ServerInfo, AppError> {
    ssr::me().await?;
    let orch = ssr::orchestrator()?;
    let providers = orch.providers();
    Ok(ServerInfo {
        providers: providers.names().into_iter().map(str::to_owned).collect(),
        default_provider: providers.default_name().to_owned(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

// ---------------------------------------------------------------------------------------
// Builds and workflows

/// Starts a build.
#[server(prefix = "/api/fn", endpoint = "start_build", input = Json)]
pub async fn start_build(prompt: String, provider: Option<String>) -> Result<StartBuildResponse, AppError> {
    use domain::api::{BuildConfig, StartBuildRequest};
    let config = BuildConfig {
        provider: provider.filter(|p| !p.trim().is_empty()),
        ..Default::default()
    };
    Ok(ssr::orchestrator()?
        .start_build(&StartBuildRequest { prompt, config }, &ssr::me().await?)
        .await?)
}

/// A page of the person's builds, newest first.
#[server(prefix = "/api/fn", endpoint = "list_builds", input = GetUrl)]
pub async fn list_builds(cursor: Option<String>) -> Result<BuildsPage, AppError> {
    Ok(ssr::orchestrator()?
        .list_builds(&ssr::me().await?, cursor.as_deref(), None)
        .await?)
}

/// One build with its tasks and files.
#[server(prefix = "/api/fn", endpoint = "get_build", input = GetUrl)]
pub async fn get_build(id: String) -> Result<BuildView, AppError> {
    Ok(ssr::orchestrator()?
        .get_build(ssr::id("build", &id)?, &ssr::me().await?)
        .await?)
}

/// Cancels a build.
#[server(prefix = "/api/fn", endpoint = "cancel_build", input = Json)]
pub async fn cancel_build(id: String) -> Result<BuildView, AppError> {
    Ok(ssr::orchestrator()?
        .cancel_build(ssr::id("build", &id)?, &ssr::me().await?)
        .await?)
}

/// Changes a completed build: starts its next revision (the parent's options).
#[server(prefix = "/api/fn", endpoint = "iterate_build", input = Json)]
pub async fn iterate_build(id: String, prompt: String) -> Result<StartBuildResponse, AppError> {
    use domain::api::IterateRequest;
    Ok(ssr::orchestrator()?
        .iterate_build(
            ssr::id("build", &id)?,
            &IterateRequest { prompt, config: None },
            &ssr::me().await?,
        )
        .await?)
}

/// The files a revision changed, against its parent.
#[server(prefix = "/api/fn", endpoint = "revision_diff", input = GetUrl)]
pub async fn revision_diff(id: String) -> Result<BuildDiff, AppError> {
    Ok(ssr::orchestrator()?
        .build_diff(ssr::id("build", &id)?, &ssr::me().await?)
        .await?)
}

/// Most bytes of a file the code viewer shows.
pub const MAX_VIEWED_BYTES: usize = 512 * 1024;

/// A generated file's text, for the code viewer.
#[server(prefix = "/api/fn", endpoint = "build_file", input = GetUrl)]
pub async fn build_file(id: String, path: String) -> Result<String, AppError> {
    let file = ssr::orchestrator()?
        .build_file(ssr::id("build", &id)?, &ssr::me().await?, &path)
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

/// The person's workflows (everyone's for an admin), newest first.
#[server(prefix = "/api/fn", endpoint = "list_workflows", input = GetUrl)]
pub async fn list_workflows() -> Result<Vec<WorkflowSummary>, AppError> {
    Ok(ssr::orchestrator()?
        .list_workflows(&ssr::me().await?, None, Some(100))
        .await?)
}

/// One workflow with its tasks.
#[server(prefix = "/api/fn", endpoint = "get_workflow", input = GetUrl)]
pub async fn get_workflow(id: String) -> Result<WorkflowView, AppError> {
    Ok(ssr::orchestrator()?
        .get_workflow(ssr::id("workflow", &id)?, &ssr::me().await?)
        .await?)
}

/// Cancels a workflow.
#[server(prefix = "/api/fn", endpoint = "cancel_workflow", input = Json)]
pub async fn cancel_workflow(id: String) -> Result<WorkflowView, AppError> {
    Ok(ssr::orchestrator()?
        .cancel_workflow(ssr::id("workflow", &id)?, &ssr::me().await?)
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

/// Metrics over the last `minutes` (admins).
#[server(prefix = "/api/fn", endpoint = "metrics", input = GetUrl)]
pub async fn metrics(minutes: i64) -> Result<MetricsView, AppError> {
    let minutes = minutes.clamp(5, 24 * 60);
    let me = ssr::me().await?;
    let orch = ssr::orchestrator()?;
    let bucket_secs = (minutes * 60 / 60).max(5);
    let since = chrono::Utc::now() - chrono::Duration::minutes(minutes);
    let series = |metric: &'static str| {
        let (orch, me) = (orch.clone(), me.clone());
        async move { orch.metric_series(metric, since, bucket_secs, &me).await }
    };
    Ok(MetricsView {
        bucket_secs,
        task_duration: series("task.duration").await?,
        queue_wait: series("task.queue_wait").await?,
        queue_depth: series("queue.depth").await?,
        tokens: series("llm.tokens").await?,
    })
}
