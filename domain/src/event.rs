//! Coordination events: one append-only row per state change, with a global increasing id.
//! The same shape is the live feed's message, the replay after a reconnect, and a build's
//! history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    ids::{AgentId, BuildId, EventId, TaskId, UserId, WorkflowId},
    string_enum,
};

string_enum! {
    /// What happened. Stored as text (`coordination_events.kind`, checked to be
    /// `area.word`), so adding a kind needs no migration.
    pub enum EventKind {
        /// An agent was registered.
        AgentRegistered => "agent.registered",
        /// An agent was deleted (payload: `agent`).
        AgentDeleted => "agent.deleted",
        /// An agent's status changed (payload: `from`, `to`).
        AgentStatusChanged => "agent.status_changed",
        /// A workflow was stored.
        WorkflowCreated => "workflow.created",
        /// A workflow started executing (payload: `mode`).
        WorkflowStarted => "workflow.started",
        /// New tasks were added to a running workflow (payload: `tasks`).
        WorkflowExtended => "workflow.extended",
        /// Someone asked to cancel a workflow; running tasks are told to stop.
        WorkflowCancelRequested => "workflow.cancel_requested",
        /// A workflow reached a terminal status (payload: `status`).
        WorkflowFinished => "workflow.finished",
        /// A task's dependencies are done.
        TaskReady => "task.ready",
        /// A worker claimed a task for an agent (payload: `attempt`, `agent`).
        TaskStarted => "task.started",
        /// A task finished (payload: `duration_ms`).
        TaskSucceeded => "task.succeeded",
        /// An attempt failed and another is scheduled (payload: `error`, `retry_in_ms`).
        TaskRetryScheduled => "task.retry_scheduled",
        /// A task failed for good (payload: `error`).
        TaskFailed => "task.failed",
        /// A task was cancelled.
        TaskCancelled => "task.cancelled",
        /// A task will not run because a dependency failed.
        TaskSkipped => "task.skipped",
        /// A worker's lease ran out; the task goes back to the queue.
        TaskLeaseExpired => "task.lease_expired",
        /// A model is still writing a task's answer (payload: `task`, `purpose`, `tokens`
        /// so far, `elapsed_ms`); at most about one a second per call.
        TaskProgress => "task.progress",
        /// A build was accepted.
        BuildCreated => "build.created",
        /// A build moved to another phase or made progress (payload: `phase`, `progress`).
        BuildProgress => "build.progress",
        /// The offline generator was used instead of a model (payload: `task`, `purpose`,
        /// `reason`: rejected output, a failed call, a context too small, the time budget).
        BuildFallback => "build.fallback",
        /// A round of the browser check ended (payload: `round`, `passed`, `problems`,
        /// `pages`, `repairs`: the tasks whose modules go back to be made again).
        BuildVerified => "build.verified",
        /// The browser check did not run (payload: `reason`: turned off, no browser
        /// installed, the browser failed or ran out of time); the build goes on.
        BuildVerifySkipped => "build.verify_skipped",
        /// A module the browser check found broken was made again (payload: `task`,
        /// `module`, `via`: `model` or `offline`, `round`, `report`).
        BuildRepaired => "build.repaired",
        /// A build reached a terminal status (payload: `status`, `error`).
        BuildFinished => "build.finished",
    }
}

impl EventKind {
    /// The area before the dot: `agent`, `workflow`, `task` or `build`.
    pub fn area(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or_default()
    }
}

/// One coordination event as stored and as sent to browsers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CoordinationEvent {
    /// Global, increasing.
    pub id: EventId,
    /// What happened.
    pub kind: EventKind,
    /// The workflow it concerns, if any.
    pub workflow_id: Option<WorkflowId>,
    /// The task it concerns, if any.
    pub task_id: Option<TaskId>,
    /// The agent it concerns, if any.
    pub agent_id: Option<AgentId>,
    /// The build it concerns, if any.
    pub build_id: Option<BuildId>,
    /// Whose it is; `None` for system-wide events (agents).
    pub owner_id: Option<UserId>,
    /// Details that depend on `kind`.
    pub payload: serde_json::Value,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}
