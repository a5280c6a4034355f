//! Status words, one enum per table, each mirrored by a `CHECK` constraint in `migrations/`,
//! and the transitions each status allows. The store refuses a transition that
//! `can_become` rejects: every statement that changes a task's, workflow's or build's status
//! binds [`Lifecycle::sources`] of the new status in its `where`, so a refused transition
//! changes no row (and the store reports it; see `orchestrator::store::transition`).

use crate::string_enum;

string_enum! {
    /// Live state of an agent (`agent_states.status`).
    pub enum AgentStatus {
        /// Registered and heartbeating, not yet measured.
        Online => "online",
        /// Heartbeating with no running task.
        Idle => "idle",
        /// Running at least one task.
        Busy => "busy",
        /// No heartbeat within the timeout: gets no new work.
        Offline => "offline",
    }
}

string_enum! {
    /// What an agent is for (`agents.kind`); capabilities decide what it may run.
    pub enum AgentKind {
        /// Plans builds and workflows (Starri).
        Orchestrator => "orchestrator",
        /// Writes code.
        Coder => "coder",
        /// Designs themes and layouts.
        Designer => "designer",
        /// Produces images and icons.
        AssetGenerator => "asset_generator",
        /// Checks generated output.
        Tester => "tester",
        /// Anything registered through the API that is none of the above.
        Custom => "custom",
    }
}

string_enum! {
    /// State of one task (`tasks.state`).
    pub enum TaskState {
        /// Waiting for its dependencies, or for its workflow to start.
        Pending => "pending",
        /// All dependencies succeeded; may be claimed once `run_at` has passed.
        Ready => "ready",
        /// Claimed by a worker holding a lease.
        Running => "running",
        /// Finished with an output.
        Succeeded => "succeeded",
        /// Failed on its last allowed attempt.
        Failed => "failed",
        /// Stopped because its workflow was cancelled or timed out.
        Cancelled => "cancelled",
        /// Never ran because a dependency failed.
        Skipped => "skipped",
    }
}

impl TaskState {
    /// Whether no further transition is possible.
    pub const fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled | Self::Skipped)
    }

    /// Whether `self -> next` is an allowed transition.
    pub const fn can_become(self, next: Self) -> bool {
        use TaskState::*;
        matches!(
            (self, next),
            (Pending, Ready | Cancelled | Skipped)
                | (Ready, Running | Cancelled | Skipped)
                // Running -> Ready is a retry or a reclaimed lease.
                | (Running, Succeeded | Failed | Cancelled | Ready)
        )
    }
}

string_enum! {
    /// State of a workflow (`workflows.status`).
    pub enum WorkflowStatus {
        /// Created, not executed yet.
        Pending => "pending",
        /// Executing.
        Running => "running",
        /// Every task succeeded.
        Completed => "completed",
        /// Some tasks succeeded, some failed or were skipped.
        PartialSuccess => "partial_success",
        /// No task succeeded, or a required one failed.
        Failed => "failed",
        /// Cancelled by a person or the API.
        Cancelled => "cancelled",
        /// Ran past its deadline.
        Timeout => "timeout",
    }
}

impl WorkflowStatus {
    /// Whether the workflow is over.
    pub const fn is_terminal(self) -> bool {
        !matches!(self, Self::Pending | Self::Running)
    }

    /// Whether `self -> next` is an allowed transition.
    pub const fn can_become(self, next: Self) -> bool {
        use WorkflowStatus::*;
        match self {
            Pending => matches!(next, Running | Cancelled),
            Running => next.is_terminal(),
            _ => false,
        }
    }
}

string_enum! {
    /// How a workflow's ready tasks are run.
    pub enum ExecutionMode {
        /// Every task whose dependencies are done may run at once.
        Parallel => "parallel",
        /// One task at a time, in topological order.
        Sequential => "sequential",
    }
}

string_enum! {
    /// State of a build (`projects.status`).
    pub enum BuildStatus {
        /// Accepted, not started by a worker yet.
        Queued => "queued",
        /// Agents are working on it.
        Running => "running",
        /// The app is assembled and packaged.
        Completed => "completed",
        /// Stopped by an error; `error` says why.
        Failed => "failed",
        /// Cancelled by its owner.
        Cancelled => "cancelled",
    }
}

impl BuildStatus {
    /// Whether the build is over.
    pub const fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }

    /// Whether `self -> next` is an allowed transition.
    pub const fn can_become(self, next: Self) -> bool {
        use BuildStatus::*;
        match self {
            Queued => matches!(next, Running | Failed | Cancelled),
            Running => matches!(next, Completed | Failed | Cancelled),
            _ => false,
        }
    }
}

string_enum! {
    /// Where a build is in the pipeline (`projects.phase`).
    pub enum BuildPhase {
        /// Waiting for a worker.
        Queued => "queued",
        /// Starri turns the prompt into an app spec.
        Analysis => "analysis",
        /// The spec becomes a task DAG.
        Planning => "planning",
        /// Agents write code, design and assets.
        Generation => "generation",
        /// Files are put together and checked.
        Assembly => "assembly",
        /// The app is opened and driven in a real browser.
        Verification => "verification",
        /// The zip is made.
        Packaging => "packaging",
        /// Nothing left to do.
        Done => "done",
    }
}

/// A status with allowed transitions: what the store's `where` clauses are made from.
pub trait Lifecycle: Copy + Eq + 'static {
    /// Every status.
    fn all() -> &'static [Self];
    /// Whether `self -> next` is allowed.
    fn allows(self, next: Self) -> bool;
    /// The word stored in the database.
    fn word(self) -> &'static str;

    /// The words of every status from which each of `targets` may be reached: what a
    /// transition's `where status = any($n)` binds.
    fn sources(targets: &[Self]) -> Vec<&'static str> {
        Self::all()
            .iter()
            .filter(|from| targets.iter().all(|to| from.allows(*to)))
            .map(|from| from.word())
            .collect()
    }
}

macro_rules! lifecycle {
    ($($t:ty),+) => {$(
        impl Lifecycle for $t {
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn allows(self, next: Self) -> bool {
                self.can_become(next)
            }
            fn word(self) -> &'static str {
                self.as_str()
            }
        }
    )+};
}
lifecycle!(TaskState, WorkflowStatus, BuildStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_the_states_can_become_allows() {
        assert_eq!(TaskState::sources(&[TaskState::Running]), ["ready"]);
        assert_eq!(TaskState::sources(&[TaskState::Ready]), ["pending", "running"]);
        assert_eq!(
            TaskState::sources(&[TaskState::Cancelled]),
            ["pending", "ready", "running"]
        );
        assert_eq!(
            TaskState::sources(&[TaskState::Succeeded, TaskState::Failed]),
            ["running"]
        );
        assert_eq!(WorkflowStatus::sources(&[WorkflowStatus::Running]), ["pending"]);
        assert_eq!(
            WorkflowStatus::sources(&[WorkflowStatus::Cancelled]),
            ["pending", "running"]
        );
        assert_eq!(BuildStatus::sources(&[BuildStatus::Completed]), ["running"]);
        assert_eq!(BuildStatus::sources(&[BuildStatus::Failed]), ["queued", "running"]);
        assert!(TaskState::sources(&[TaskState::Pending]).is_empty());
    }

    #[test]
    fn terminal_task_states_allow_no_transition() {
        for from in TaskState::ALL.iter().filter(|s| s.is_terminal()) {
            for to in TaskState::ALL {
                assert!(!from.can_become(*to), "{from} -> {to} must be refused");
            }
        }
    }

    #[test]
    fn a_task_is_retried_by_going_back_to_ready() {
        assert!(TaskState::Running.can_become(TaskState::Ready));
        assert!(!TaskState::Pending.can_become(TaskState::Running));
    }

    #[test]
    fn only_a_running_workflow_can_finish() {
        assert!(WorkflowStatus::Running.can_become(WorkflowStatus::Timeout));
        assert!(!WorkflowStatus::Pending.can_become(WorkflowStatus::Completed));
        assert!(!WorkflowStatus::Completed.can_become(WorkflowStatus::Running));
    }

    #[test]
    fn words_round_trip_through_from_str_and_serde() {
        for s in TaskState::ALL {
            assert_eq!(s.as_str().parse::<TaskState>().unwrap(), *s);
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(serde_json::from_str::<TaskState>(&json).unwrap(), *s);
        }
        let err = "sleeping".parse::<AgentStatus>().unwrap_err();
        assert!(err.to_string().contains("online, idle, busy, offline"));
    }
}
