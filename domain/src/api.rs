//! Request and response bodies shared by the REST API, the server functions and the
//! dashboard. Field names follow the seed API (`workflow_id`, `build_id`, `status`, ...).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    agent::Capability,
    ids::{AgentId, BuildId, EventId, TaskId, WorkflowId},
    status::{AgentKind, AgentStatus, BuildPhase, BuildStatus, ExecutionMode, TaskState, WorkflowStatus},
};

/// Every error response: `{"error": "<kind>", "message": "<for a person>", "request_id": ...}`,
/// plus the problems of a validation failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    /// Machine-readable kind (`not_found`, `conflict`, `validation`, `bad_request`, `internal`).
    pub error: String,
    /// For a person.
    pub message: String,
    /// Field-level problems, when the request failed validation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<crate::agent::FieldProblem>,
    /// The request's id (also in the `x-request-id` header and the server's log line), to
    /// quote when reporting the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// An agent with its live state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AgentView {
    /// Its id.
    pub id: AgentId,
    /// Unique name (the seed's `agent_id`).
    pub name: String,
    /// What it is for.
    pub kind: AgentKind,
    /// What it can do.
    pub capabilities: Vec<Capability>,
    /// Tasks it may run at once.
    pub max_concurrency: i32,
    /// LLM provider, if set.
    pub provider: Option<String>,
    /// Model, if set.
    pub model: Option<String>,
    /// Seeded by a migration rather than registered.
    pub builtin: bool,
    /// Live status.
    pub status: AgentStatus,
    /// Tasks running now.
    pub current_load: i32,
    /// Last heartbeat, if any.
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: String,
    /// `up` or `down`.
    pub database: String,
    /// Why the database is down, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_error: Option<String>,
    /// Server version.
    pub version: String,
}

/// `POST /api/orchestrator/agents/register` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RegisterAgentResponse {
    /// Always `registered`.
    pub status: String,
    /// The agent's name, as sent.
    pub agent_id: String,
    /// The stored agent.
    pub agent: AgentView,
}

/// `POST /api/orchestrator/tasks/decompose` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DecomposeRequest {
    /// What to do; must not be empty.
    #[serde(default)]
    pub description: String,
    /// Things the result must have, one per entry.
    #[serde(default)]
    pub requirements: Vec<String>,
    /// Limits: `max_duration_seconds`, `max_attempts`, `task_timeout_seconds`, `deploy`.
    #[serde(default)]
    pub constraints: serde_json::Map<String, serde_json::Value>,
}

/// One planned subtask, in the seed's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Subtask {
    /// Unique within the workflow.
    pub id: String,
    /// What to do.
    pub description: String,
    /// Ids of subtasks that must finish first.
    pub dependencies: Vec<String>,
    /// What the agent must be able to do.
    pub required_capabilities: Vec<Capability>,
    /// Estimated seconds.
    pub estimated_duration: u32,
    /// Which handler runs it.
    pub kind: String,
}

/// The planned DAG.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Decomposition {
    /// The subtasks, in topological order.
    pub subtasks: Vec<Subtask>,
    /// Subtask ids along the longest chain.
    pub critical_path: Vec<String>,
    /// Estimated seconds along the critical path.
    pub estimated_duration: u64,
    /// Number of dependency levels.
    pub levels: u32,
}

/// `POST /api/orchestrator/tasks/decompose` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DecomposeResponse {
    /// The stored workflow (status `pending`).
    pub workflow_id: WorkflowId,
    /// The plan.
    pub decomposition: Decomposition,
    /// `parallel` when the DAG has independent branches, else `sequential`.
    pub execution_strategy: ExecutionMode,
    /// Names of registered agents that can run at least one subtask.
    pub required_agents: Vec<String>,
    /// 0 to 1: how well the description was understood.
    pub confidence: f32,
}

/// `POST /api/orchestrator/workflows/{id}/execute` body (may be empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ExecuteRequest {
    /// `parallel` (default) or `sequential`.
    #[serde(default)]
    pub mode: Option<String>,
}

/// How many tasks of a workflow are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TaskCounts {
    /// Waiting on dependencies.
    pub pending: i64,
    /// Claimable.
    pub ready: i64,
    /// Running.
    pub running: i64,
    /// Done.
    pub succeeded: i64,
    /// Failed for good.
    pub failed: i64,
    /// Cancelled.
    pub cancelled: i64,
    /// Skipped (a dependency failed).
    pub skipped: i64,
    /// All of them.
    pub total: i64,
}

impl TaskCounts {
    /// Finished tasks (any terminal state).
    pub fn finished(&self) -> i64 {
        self.succeeded + self.failed + self.cancelled + self.skipped
    }
}

/// One task with its execution state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TaskView {
    /// Its id.
    pub id: TaskId,
    /// Its key within the workflow (the subtask id).
    pub key: String,
    /// What to do.
    pub description: String,
    /// Handler.
    pub kind: String,
    /// State.
    pub state: TaskState,
    /// Keys of its dependencies.
    pub dependencies: Vec<String>,
    /// Capabilities required.
    pub required_capabilities: Vec<Capability>,
    /// Dependency level (0 = no dependencies).
    pub level: i32,
    /// Index in topological order.
    pub position: i32,
    /// The agent that ran (or runs) it.
    pub agent: Option<String>,
    /// Attempts made.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Last error.
    pub error: Option<String>,
    /// Input given to the handler.
    pub input: serde_json::Value,
    /// Result, once succeeded.
    pub output: Option<serde_json::Value>,
    /// When it became ready (its dependencies were done).
    pub ready_at: Option<DateTime<Utc>>,
    /// When the current or last attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a terminal state.
    pub finished_at: Option<DateTime<Utc>>,
    /// `finished_at - started_at` in ms.
    pub duration_ms: Option<i64>,
}

/// A workflow with every task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WorkflowView {
    /// Its id.
    pub workflow_id: WorkflowId,
    /// Short name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Status.
    pub status: WorkflowStatus,
    /// How it runs.
    pub mode: ExecutionMode,
    /// The planner's recommendation.
    pub execution_strategy: ExecutionMode,
    /// Planner's confidence.
    pub confidence: Option<f32>,
    /// The build it belongs to, if any.
    pub build_id: Option<BuildId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Started executing.
    pub started_at: Option<DateTime<Utc>>,
    /// Reached a terminal status.
    pub finished_at: Option<DateTime<Utc>>,
    /// Times out at.
    pub deadline_at: Option<DateTime<Utc>>,
    /// Tasks per state.
    pub counts: TaskCounts,
    /// Every task, in topological order.
    pub tasks: Vec<TaskView>,
}

/// A workflow without its tasks, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WorkflowSummary {
    /// Its id.
    pub workflow_id: WorkflowId,
    /// Short name.
    pub name: String,
    /// Status.
    pub status: WorkflowStatus,
    /// How it runs.
    pub mode: ExecutionMode,
    /// The build it belongs to, if any.
    pub build_id: Option<BuildId>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Started.
    pub started_at: Option<DateTime<Utc>>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Tasks per state.
    pub counts: TaskCounts,
}

/// Which coordination events to read: the one query type both doors pass (REST as query
/// parameters, server functions as JSON). Ids and the agent stay text here; the orchestrator
/// parses them, so a bad one gets the same message from either door.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct EventQuery {
    /// Only events after this id (oldest first, paging forward); without it, the newest.
    pub since: Option<i64>,
    /// Page size (see [`crate::limits::EVENTS_PAGE`]).
    pub limit: Option<i64>,
    /// Kind prefix (`task.`, `build.finished`).
    pub kind: Option<String>,
    /// Leave out kinds with this prefix (`task.progress`: a slow model's many progress
    /// lines would crowd out the rest of a build's history).
    pub exclude_kind: Option<String>,
    /// A build id.
    pub build_id: Option<String>,
    /// A workflow id.
    pub workflow_id: Option<String>,
    /// An agent, by name (any case) or id.
    pub agent: Option<String>,
}

/// A page of coordination events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct EventsPage {
    /// Oldest first.
    pub events: Vec<crate::event::CoordinationEvent>,
    /// Pass as `since` to get the next page; absent when this page was not full.
    pub next_since: Option<EventId>,
}

/// Percentiles of a measurement, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Percentiles {
    /// Samples in the window.
    pub count: i64,
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
}

/// `GET /api/orchestrator/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OrchestratorStatus {
    /// Agents registered.
    pub agents_registered: i64,
    /// Agents not offline.
    pub agents_active: i64,
    /// Workflows per status.
    pub workflows: std::collections::BTreeMap<String, i64>,
    /// Tasks per state.
    pub tasks: TaskCounts,
    /// Ready tasks whose time has come (the backlog).
    pub queue_depth: i64,
    /// Tasks finished per second over the window.
    pub throughput_per_sec: f64,
    /// The window, in seconds.
    pub window_secs: i64,
    /// Task run time over the window.
    pub task_duration_ms: Percentiles,
    /// Ready-to-started wait over the window.
    pub queue_wait_ms: Percentiles,
    /// When this was computed.
    pub at: DateTime<Utc>,
}

/// Limits and choices for one build (all optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BuildConfig {
    /// `offline`, `gemini` or `openai`; the server's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// A model for that provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Most tokens the build may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Most model calls the build may make.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_llm_calls: Option<u32>,
    /// Wall-clock seconds the build may spend on models; after that its remaining model
    /// tasks use the offline generator (the server's `--build-max-secs` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_seconds: Option<u64>,
    /// Tasks in which the model may fail (its answer still rejected after a repair, or its
    /// call failing) before the build stops asking it, while it has succeeded in fewer
    /// tasks than it failed: the remaining model tasks, and calls still running, use the
    /// offline generator (2 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_model_failures: Option<u32>,
}

/// `POST /api/nexus-forge/build` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StartBuildRequest {
    /// What to build, in a person's words (1 to 20,000 characters).
    #[serde(default)]
    pub prompt: String,
    /// Options.
    #[serde(default)]
    pub config: BuildConfig,
}

/// `POST /api/nexus-forge/build` answer (202).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StartBuildResponse {
    /// The new build.
    pub build_id: BuildId,
    /// `queued`.
    pub status: BuildStatus,
    /// Where to watch it live (subscribe to the build's topic).
    pub websocket_url: String,
}

/// One stored file of a build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ArtifactInfo {
    /// Relative path (`js/app.js`).
    pub path: String,
    /// Its content type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i32,
    /// SHA-256, hex.
    pub sha256: String,
}

/// A build in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BuildView {
    /// Its id.
    pub build_id: BuildId,
    /// The prompt.
    pub prompt: String,
    /// The app's name, once analysed.
    pub name: Option<String>,
    /// Status.
    pub status: BuildStatus,
    /// Phase.
    pub phase: BuildPhase,
    /// 0 to 100.
    pub progress: f32,
    /// Options it was started with.
    pub config: BuildConfig,
    /// The app spec, once analysed.
    pub spec: Option<crate::spec::AppSpec>,
    /// What the reflection pass noted.
    pub reflection: Vec<String>,
    /// How sure the analysis is, 0 to 1.
    pub confidence: Option<f32>,
    /// Why it failed.
    pub error: Option<String>,
    /// Tokens used so far.
    pub tokens_used: i64,
    /// Model calls so far.
    pub llm_calls: i32,
    /// Its workflow.
    pub workflow_id: Option<WorkflowId>,
    /// Every task of that workflow.
    pub tasks: Vec<TaskView>,
    /// Generated files (without the zip).
    pub artifacts: Vec<ArtifactInfo>,
    /// Where the app is served, once assembled.
    pub preview_url: Option<String>,
    /// Where the zip is, once packaged.
    pub download_url: Option<String>,
    /// Accepted.
    pub created_at: DateTime<Utc>,
    /// Started.
    pub started_at: Option<DateTime<Utc>>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// `finished_at - created_at` (or until now), in ms.
    pub duration_ms: Option<i64>,
    /// Which revision of its app this build is, and what it changed.
    pub revision: RevisionInfo,
    /// Every revision of the app, oldest first (this one included).
    pub revisions: Vec<RevisionSummary>,
    /// The browser check of the assembled app (absent until it ran).
    #[serde(default)]
    pub verify: Option<VerifyReport>,
}

/// The policy every generated app runs under, in the preview and in the browser check: an
/// opaque origin (no cookies, no dashboard API), scripts and forms allowed for the app
/// itself, nothing fetched from anywhere but its own files, no network calls, no form
/// submissions leaving the page, no framing by other sites.
pub const PREVIEW_CSP: &str =
    "sandbox allow-scripts allow-forms; default-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'none'; form-action 'none'; frame-ancestors 'self'; base-uri 'none'; \
     object-src 'none'";

/// What the browser check (`verify`) found, round by round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct VerifyReport {
    /// `running`, `passed`, `failed` (problems left after the repairs) or `skipped`.
    pub outcome: String,
    /// Why it was skipped (no browser, turned off, the browser failed).
    pub reason: Option<String>,
    /// Every round: the first check, then one after each repair.
    pub rounds: Vec<VerifyRound>,
    /// The screenshots of the last round (artifact paths, `screenshots/<page>.png`).
    pub screenshots: Vec<String>,
}

/// One pass of the browser over the app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct VerifyRound {
    /// 1, 2, ...
    pub round: u32,
    /// No problem found.
    pub passed: bool,
    /// Each page as driven.
    pub pages: Vec<VerifyPage>,
    /// Everything that went wrong: console and page errors, failed requests, flows.
    pub problems: Vec<VerifyProblem>,
    /// What was sent back after this round (empty when it passed).
    pub repairs: Vec<VerifyRepair>,
    /// How long the round took, in ms.
    pub duration_ms: u64,
}

/// One page of the app in one round.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct VerifyPage {
    /// The page's id (`#/<id>`); `phone` for the narrow-screen check.
    pub page: String,
    /// Its title.
    pub title: String,
    /// Its kind (`list`, `board`, `calendar`, ...).
    pub kind: String,
    /// What was done there: `opened`, `created`, `listed`, `searched`, `deleted`, `measured`.
    pub steps: Vec<String>,
    /// Whether it went without a problem.
    pub passed: bool,
    /// Its screenshot (artifact path), if one was taken.
    pub screenshot: Option<String>,
}

/// One problem the browser saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct VerifyProblem {
    /// The page it happened on.
    pub page: String,
    /// `page_error`, `console_error`, `failed_request` or `flow`.
    pub kind: String,
    /// What happened.
    pub message: String,
    /// The generated file it points at, when it can be told (`js/entities/<name>.js`).
    pub module: Option<String>,
}

/// A module sent back to the task that made it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct VerifyRepair {
    /// The generation task (`entity-<name>`).
    pub task: String,
    /// The file replaced.
    pub module: String,
    /// `model` (asked again with the browser's report) or `offline` (the offline generator's module).
    pub via: String,
    /// Why it came to that (a fallback's reason).
    pub note: Option<String>,
}

/// Where a build stands among its app's revisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RevisionInfo {
    /// 1 for an app's first build, then 2, 3, ... in the order they were asked for.
    pub number: i32,
    /// The build this one was made from (absent on a first build).
    pub parent_id: Option<BuildId>,
    /// The app's first build.
    pub root_id: BuildId,
    /// What differs from the parent's spec, one sentence each (empty on a first build).
    pub changes: Vec<String>,
    /// Generation tasks carried over from the parent with their files (keys).
    pub reused: Vec<String>,
    /// Generation tasks that ran again because their inputs changed (keys).
    pub rerun: Vec<String>,
}

/// One revision of an app, for the list on the build page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RevisionSummary {
    /// The revision's build.
    pub build_id: BuildId,
    /// Its number.
    pub number: i32,
    /// The build it was made from.
    pub parent_id: Option<BuildId>,
    /// The request: the first build's prompt, or the change asked for.
    pub prompt: String,
    /// Status.
    pub status: BuildStatus,
    /// Accepted.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/nexus-forge/build/{id}/iterate` body: a change to a completed build.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IterateRequest {
    /// The change, in a person's words ("add a notes field to recipes", "make it green").
    #[serde(default)]
    pub prompt: String,
    /// Options; the parent build's when absent.
    #[serde(default)]
    pub config: Option<BuildConfig>,
}

/// How one file differs between a revision and its parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FileDiff {
    /// Relative path.
    pub path: String,
    /// `added`, `removed` or `changed`.
    pub change: String,
    /// Lines added.
    pub added: u32,
    /// Lines removed.
    pub removed: u32,
    /// A unified diff (3 lines of context), empty when the file is too large to show.
    pub unified: String,
}

/// `GET /api/nexus-forge/build/{id}/diff`: the files a revision changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BuildDiff {
    /// The build.
    pub build_id: BuildId,
    /// What it is compared with (absent on a first build, which has no diff).
    pub parent_id: Option<BuildId>,
    /// Files that differ, by path.
    pub files: Vec<FileDiff>,
    /// Files that are the same in both.
    pub unchanged: u32,
}

/// A build without its tasks and files, for lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BuildSummary {
    /// Its id.
    pub build_id: BuildId,
    /// The prompt.
    pub prompt: String,
    /// The app's name, once analysed.
    pub name: Option<String>,
    /// Status.
    pub status: BuildStatus,
    /// Phase.
    pub phase: BuildPhase,
    /// 0 to 100.
    pub progress: f32,
    /// Why it failed.
    pub error: Option<String>,
    /// Accepted.
    pub created_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Which revision of its app it is (1 for a first build).
    pub revision: i32,
}

/// `GET /api/nexus-forge/builds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BuildsPage {
    /// Newest first.
    pub builds: Vec<BuildSummary>,
    /// Pass as `cursor` for the next page; absent on the last one.
    pub next_cursor: Option<String>,
}

/// One bucket of a measurement's time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MetricPoint {
    /// Bucket start.
    pub at: DateTime<Utc>,
    /// Samples in the bucket.
    pub count: i64,
    /// Their sum.
    pub sum: f64,
    /// Their median.
    pub p50: Option<f64>,
    /// Their 95th percentile.
    pub p95: Option<f64>,
    /// Their largest.
    pub max: Option<f64>,
}

/// `GET /api/orchestrator/providers`: one configured LLM provider, as last checked (at
/// most 10 s ago).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProviderHealth {
    /// `offline`, `gemini` or `openai`.
    pub name: String,
    /// Whether builds use it unless they name another.
    pub default: bool,
    /// Whether it answered (the offline provider always does).
    pub reachable: bool,
    /// The model builds use.
    pub model: String,
    /// The models the server lists (empty when it lists none or was not asked).
    pub models: Vec<String>,
    /// The context size the server reports for the model, in tokens, when it says.
    pub reported_context: Option<u32>,
    /// The context size configured on this server (`--llm-context-tokens`).
    pub configured_context: u32,
    /// What requests are sized for: the smaller of the two.
    pub context_tokens: u32,
    /// Whether the smallest pipeline request fits that context.
    pub fits: bool,
    /// What went wrong, for a person (unreachable, context too small, ...).
    pub problem: Option<String>,
}

/// `GET /api/orchestrator/providers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProvidersView {
    /// Every configured provider, the default first.
    pub providers: Vec<ProviderHealth>,
}
