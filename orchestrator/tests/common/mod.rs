//! Shared helpers for the orchestrator's integration tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use domain::{
    agent::Capability,
    api::WorkflowView,
    dag::{self, TaskSpec},
    ids::{WorkflowId, LOCAL_USER_ID},
    status::ExecutionMode,
};
use orchestrator::{
    scheduler::SchedulerConfig,
    store::workflows::{NewWorkflow, TaskLimits},
    Actor, Orchestrator,
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Scheduler settings that make tests fast.
pub fn fast_config(name: &str) -> SchedulerConfig {
    SchedulerConfig {
        worker_name: name.into(),
        poll_interval: Duration::from_millis(20),
        maintenance_interval: Duration::from_millis(50),
        heartbeat_interval: Duration::from_millis(100),
        ..Default::default()
    }
}

pub fn spec(id: &str, kind: &str, deps: &[&str]) -> TaskSpec {
    TaskSpec {
        id: id.into(),
        description: format!("task {id}"),
        kind: kind.into(),
        dependencies: deps.iter().map(|d| d.to_string()).collect(),
        required_capabilities: vec![],
        estimated_duration: 1,
        input: serde_json::Value::Null,
    }
}

pub fn with_caps(mut t: TaskSpec, caps: &[Capability]) -> TaskSpec {
    t.required_capabilities = caps.to_vec();
    t
}

pub fn with_input(mut t: TaskSpec, input: serde_json::Value) -> TaskSpec {
    t.input = input;
    t
}

pub async fn create(
    orch: &Orchestrator,
    tasks: Vec<TaskSpec>,
    limits: TaskLimits,
    max_duration: Option<Duration>,
) -> WorkflowId {
    let dag = dag::validate(tasks).expect("a valid DAG");
    orch.create_workflow(NewWorkflow {
        owner_id: LOCAL_USER_ID,
        build_id: None,
        name: "test".into(),
        description: "a test workflow".into(),
        requirements: vec![],
        constraints: serde_json::json!({}),
        execution_strategy: ExecutionMode::Parallel,
        confidence: None,
        max_duration,
        limits,
        dag: &dag,
    })
    .await
    .expect("create workflow")
}

/// A running orchestrator process and how to stop it.
pub struct Process {
    pub orch: Orchestrator,
    pub shutdown: CancellationToken,
    pub tasks: JoinSet<()>,
}

impl Process {
    pub async fn start(orch: Orchestrator) -> Self {
        let shutdown = CancellationToken::new();
        let tasks = orch.spawn_background(shutdown.clone());
        // Let the first heartbeat bring the agents online.
        orch.maintain().await.expect("maintain");
        Self { orch, shutdown, tasks }
    }

    /// A crash: every background task stops at once, nothing is written.
    pub fn kill(mut self) {
        self.tasks.abort_all();
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Polls until the workflow is in a terminal status.
pub async fn wait_finished(orch: &Orchestrator, id: WorkflowId, within: Duration) -> WorkflowView {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let wf = orch.get_workflow(id, &Actor::system()).await.expect("get workflow");
        if wf.status.is_terminal() && wf.counts.running == 0 {
            return wf;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("workflow did not finish in {within:?}: {:?} {:?}", wf.status, wf.counts);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
