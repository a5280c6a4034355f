//! `/api/orchestrator/*` and `/api/coordination/events`: agents, decomposition, workflow
//! execution, events and status. Thin: parse, call the orchestrator, shape the answer.

use std::time::Duration;

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{delete, get, post},
    Json, Router,
};
use domain::{
    agent::{FieldProblem, RegisterAgentRequest, ValidationErrors},
    api::{
        AgentView, DecomposeRequest, DecomposeResponse, EventQuery, EventsPage, ExecuteRequest, OrchestratorStatus,
        ProvidersView, RegisterAgentResponse, WorkflowSummary, WorkflowView,
    },
    ids::{self, WorkflowId},
    status::ExecutionMode,
};
use serde::Deserialize;

use crate::{
    auth::Caller,
    error::{ApiError, ApiJson},
    state::AppState,
};

/// The orchestrator's REST routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/orchestrator/status", get(status))
        .route("/api/orchestrator/agents", get(list_agents))
        .route("/api/orchestrator/providers", get(providers))
        .route("/api/orchestrator/agents/register", post(register_agent))
        .route("/api/orchestrator/agents/{name}", delete(delete_agent))
        .route("/api/orchestrator/tasks/decompose", post(decompose))
        .route("/api/orchestrator/workflows", get(list_workflows))
        .route("/api/orchestrator/workflows/{id}", get(get_workflow))
        .route("/api/orchestrator/workflows/{id}/execute", post(execute_workflow))
        .route("/api/orchestrator/workflows/{id}/cancel", post(cancel_workflow))
        .route("/api/coordination/events", get(events))
}

/// Parses a path id, answering 400 for something that is not a UUID.
/// An id from a path: [`domain::ids::parse`], the parser every door uses.
pub(crate) fn parse_id<T: From<uuid::Uuid>>(what: &'static str, raw: &str) -> Result<T, ApiError> {
    ids::parse(what, raw).map_err(|e| ApiError::BadRequest(e.to_string()))
}

async fn status(State(state): State<AppState>, Caller(me): Caller) -> Result<Json<OrchestratorStatus>, ApiError> {
    Ok(Json(state.orchestrator.status(Duration::from_secs(60), &me).await?))
}

/// The LLM providers' health: reachable, models, context (asks each server now).
async fn providers(State(state): State<AppState>, Caller(me): Caller) -> Result<Json<ProvidersView>, ApiError> {
    Ok(Json(state.orchestrator.provider_health(&me).await?))
}

/// `GET /api/orchestrator/agents`.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct Agents {
    /// Every registered agent.
    agents: Vec<AgentView>,
}

async fn list_agents(State(state): State<AppState>, Caller(me): Caller) -> Result<Json<Agents>, ApiError> {
    Ok(Json(Agents {
        agents: state.orchestrator.list_agents(&me).await?,
    }))
}

async fn delete_agent(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.orchestrator.delete_agent(&name, &me).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn register_agent(
    State(state): State<AppState>,
    Caller(me): Caller,
    ApiJson(req): ApiJson<RegisterAgentRequest>,
) -> Result<(StatusCode, Json<RegisterAgentResponse>), ApiError> {
    let agent = state.orchestrator.register_agent(&req, &me).await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisterAgentResponse {
            status: "registered".into(),
            agent_id: agent.name.clone(),
            agent,
        }),
    ))
}

async fn decompose(
    State(state): State<AppState>,
    Caller(me): Caller,
    ApiJson(req): ApiJson<DecomposeRequest>,
) -> Result<(StatusCode, Json<DecomposeResponse>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(state.orchestrator.decompose(&req, &me).await?),
    ))
}

/// Paging of a list (its query parameters).
#[derive(Deserialize, schemars::JsonSchema)]
pub(crate) struct ListQuery {
    /// Page size (default 50, at most 200).
    limit: Option<i64>,
    /// Only workflows created before this time (the last one of the previous page).
    before: Option<chrono::DateTime<chrono::Utc>>,
}

/// `GET /api/orchestrator/workflows`.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct Workflows {
    /// Newest first.
    workflows: Vec<WorkflowSummary>,
}

async fn list_workflows(
    State(state): State<AppState>,
    Caller(me): Caller,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Workflows>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let workflows = state.orchestrator.list_workflows(&me, q.before, q.limit).await?;
    Ok(Json(Workflows { workflows }))
}

async fn get_workflow(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<Json<WorkflowView>, ApiError> {
    let id: WorkflowId = parse_id("workflow", &id)?;
    Ok(Json(state.orchestrator.get_workflow(id, &me).await?))
}

async fn execute_workflow(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<WorkflowView>), ApiError> {
    let id: WorkflowId = parse_id("workflow", &id)?;
    // The body is optional: no body means the defaults.
    let req: ExecuteRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ExecuteRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("the body is not a valid execute request: {e}")))?
    };
    let mode = match req.mode {
        None => ExecutionMode::Parallel,
        Some(m) => m.trim().parse::<ExecutionMode>().map_err(|e| {
            ApiError::Orchestrator(orchestrator::Error::Validation(ValidationErrors {
                problems: vec![FieldProblem {
                    field: "mode".into(),
                    message: e.to_string(),
                }],
            }))
        })?,
    };
    let view = state.orchestrator.execute_workflow(id, &me, mode).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

async fn cancel_workflow(
    State(state): State<AppState>,
    Caller(me): Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<WorkflowView>), ApiError> {
    let id: WorkflowId = parse_id("workflow", &id)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(state.orchestrator.cancel_workflow(id, &me).await?),
    ))
}

async fn events(
    State(state): State<AppState>,
    Caller(me): Caller,
    q: Result<Query<EventQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<EventsPage>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    Ok(Json(state.orchestrator.events(&q, &me).await?))
}
