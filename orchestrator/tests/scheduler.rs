//! The durable executor against a real Postgres: contention, crashes, retries, timeouts,
//! cancellation, ordering, offline agents and events.

mod common;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{create, fast_config, spec, wait_finished, with_caps, with_input, Process};
use domain::{
    agent::Capability,
    event::EventKind,
    ids::TaskId,
    retry::RetryPolicy,
    status::{ExecutionMode, TaskState, WorkflowStatus},
};
use orchestrator::{
    clock::ManualClock,
    scheduler::{SchedulerConfig, TaskContext, TaskError},
    store::{
        self,
        events::EventFilter,
        tasks::{Completion, Outcome},
        workflows::TaskLimits,
    },
    Actor, Orchestrator,
};
use sqlx::PgPool;

type Counts = Arc<Mutex<HashMap<TaskId, u32>>>;

/// Sets its flag when dropped: tells a test that a handler's future was dropped.
struct SetOnDrop(Arc<Mutex<bool>>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = true;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_thousand_tasks_on_eight_workers_each_complete_exactly_once(pool: PgPool) {
    // Arrange: eight scheduler processes sharing one database, each counting what it runs.
    let runs: Counts = Default::default();
    let mut procs = Vec::new();
    for i in 0..8 {
        let runs = runs.clone();
        // Each process has its own pool, as separate servers would.
        let own = sqlx::postgres::PgPoolOptions::new()
            .max_connections(6)
            .connect_with((*pool.connect_options()).clone())
            .await
            .unwrap();
        let orch = Orchestrator::builder(own)
            .scheduler(SchedulerConfig {
                concurrency: 4,
                claim_batch: 8,
                ..fast_config(&format!("worker-{i}"))
            })
            .handler("count", move |ctx: TaskContext| {
                let runs = runs.clone();
                async move {
                    *runs.lock().unwrap().entry(ctx.task.id).or_default() += 1;
                    Ok(serde_json::Value::Null)
                }
            })
            .build();
        procs.push(Process::start(orch).await);
    }
    let tasks = (0..1000).map(|i| spec(&format!("t{i}"), "count", &[])).collect();
    let orch = procs[0].orch.clone();
    let wf = create(&orch, tasks, TaskLimits::default(), None).await;

    // Act
    orch.execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();
    let done = wait_finished(&orch, wf, Duration::from_secs(120)).await;

    // Assert: all succeeded, each ran once, none lost.
    assert_eq!(done.status, WorkflowStatus::Completed);
    assert_eq!(done.counts.succeeded, 1000);
    {
        let runs = runs.lock().unwrap();
        assert_eq!(runs.len(), 1000);
        assert!(runs.values().all(|&n| n == 1), "some task ran more than once");
    }
    let started: i64 =
        sqlx::query_scalar("select count(*) from coordination_events where kind = 'task.started' and workflow_id = $1")
            .bind(wf.0)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(started, 1000);
    for p in procs {
        p.stop().await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_killed_workers_task_runs_again_elsewhere_and_completes_once(pool: PgPool) {
    // Arrange: process A hangs on the task; its lease is short.
    let a = Orchestrator::builder(pool.clone())
        .scheduler(SchedulerConfig {
            lease: Duration::from_millis(600),
            ..fast_config("a")
        })
        .handler("work", |_ctx: TaskContext| async move {
            std::future::pending::<()>().await;
            Ok(serde_json::Value::Null)
        })
        .build();
    let a = Process::start(a).await;
    let wf = create(&a.orch, vec![spec("only", "work", &[])], TaskLimits::default(), None).await;
    a.orch
        .execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();
    let mut claimed = false;
    for _ in 0..100 {
        let states = store::tasks::task_states(&pool, wf).await.unwrap();
        if states[0].1 == TaskState::Running {
            claimed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(claimed, "process A never claimed the task");
    let first_lease: uuid::Uuid = sqlx::query_scalar("select lease_id from tasks where workflow_id = $1")
        .bind(wf.0)
        .fetch_one(&pool)
        .await
        .unwrap();

    // Act: A dies without a word; B takes the task over and holds it until told to finish.
    a.kill();
    let ran_on_b = Arc::new(Mutex::new(0));
    let counter = ran_on_b.clone();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let b_gate = gate.clone();
    let b = Orchestrator::builder(pool.clone())
        .scheduler(fast_config("b"))
        .handler("work", move |_ctx: TaskContext| {
            let counter = counter.clone();
            let gate = b_gate.clone();
            async move {
                *counter.lock().unwrap() += 1;
                let _ = gate.acquire().await;
                Ok(serde_json::json!({ "by": "b" }))
            }
        })
        .build();
    let b = Process::start(b).await;
    wait_state(&pool, wf, "only", TaskState::Running, 2).await;

    // A's report arrives late, while B's attempt is running: it is refused and changes nothing.
    let mut tx = pool.begin().await.unwrap();
    let late = store::tasks::complete(
        &mut tx,
        &[Completion {
            task_id: TaskId(held_task(&pool, wf).await),
            lease_id: first_lease,
            outcome: Outcome::Succeeded(serde_json::json!("late")),
        }],
        &RetryPolicy::default(),
        b.orch.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(late.lost.len(), 1, "the late report must be refused");
    assert!(late.touched_workflows.is_empty());
    let (state, lease, output): (String, Option<uuid::Uuid>, Option<serde_json::Value>) =
        sqlx::query_as("select state, lease_id, output from tasks where workflow_id = $1")
            .bind(wf.0)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(state, "running", "B's attempt goes on");
    assert!(lease.is_some_and(|l| l != first_lease), "B holds a new lease");
    assert_eq!(output, None);

    // B finishes.
    gate.add_permits(1);
    let done = wait_finished(&b.orch, wf, Duration::from_secs(30)).await;

    // Assert: finished once, on B, on the second attempt, with B's output.
    assert_eq!(done.status, WorkflowStatus::Completed);
    assert_eq!(*ran_on_b.lock().unwrap(), 1);
    assert_eq!(done.tasks[0].attempts, 2);
    assert_eq!(done.tasks[0].output, Some(serde_json::json!({ "by": "b" })));
    let expired: i64 = sqlx::query_scalar(
        "select count(*) from coordination_events where kind = 'task.lease_expired' and workflow_id = $1",
    )
    .bind(wf.0)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(expired, 1);
    let succeeded: i64 = sqlx::query_scalar(
        "select count(*) from coordination_events where kind = 'task.succeeded' and workflow_id = $1",
    )
    .bind(wf.0)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(succeeded, 1);
    b.stop().await;
}

async fn held_task(pool: &PgPool, wf: domain::ids::WorkflowId) -> uuid::Uuid {
    sqlx::query_scalar("select id from tasks where workflow_id = $1")
        .bind(wf.0)
        .fetch_one(pool)
        .await
        .unwrap()
}

fn flaky_orchestrator(pool: &PgPool, clock: &ManualClock, fail_times: u32) -> Orchestrator {
    Orchestrator::builder(pool.clone())
        .clock(clock.clone())
        .scheduler(SchedulerConfig {
            retry: RetryPolicy {
                base_delay_ms: 10_000,
                max_delay_ms: 600_000,
                jitter: 0.0,
            },
            ..fast_config("flaky")
        })
        .handler("flaky", move |ctx: TaskContext| async move {
            if ctx.task.attempt as u32 <= fail_times {
                Err(TaskError::Retryable(format!("attempt {} failed", ctx.task.attempt)))
            } else {
                Ok(serde_json::json!("finally"))
            }
        })
        .handler("fatal", |_ctx: TaskContext| async move {
            Err(TaskError::Fatal("cannot ever work".into()))
        })
        .build()
}

/// Task `key`'s state word and attempts.
async fn state_of(pool: &PgPool, wf: domain::ids::WorkflowId, key: &str) -> (String, i32) {
    sqlx::query_as("select state, attempts from tasks where workflow_id = $1 and key = $2")
        .bind(wf.0)
        .bind(key)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn wait_state(pool: &PgPool, wf: domain::ids::WorkflowId, key: &str, state: TaskState, attempts: i32) {
    for _ in 0..300 {
        let (s, a) = state_of(pool, wf, key).await;
        if s == state.as_str() && a == attempts {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{key} never reached {state} after {attempts} attempts");
}

/// Checks, again and again for `window`, that task `key` stays in `state` after `attempts`
/// attempts: for what must *not* happen (a retry before it is due, work for an offline agent).
async fn stays(
    pool: &PgPool,
    wf: domain::ids::WorkflowId,
    key: &str,
    state: TaskState,
    attempts: i32,
    window: Duration,
) {
    let end = tokio::time::Instant::now() + window;
    while tokio::time::Instant::now() < end {
        let (s, a) = state_of(pool, wf, key).await;
        assert!(
            s == state.as_str() && a == attempts,
            "{key} left {state} (attempt {attempts}): now {s} after {a} attempts"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failing_task_is_retried_with_exponential_backoff_on_the_clock(pool: PgPool) {
    let clock = ManualClock::default();
    let p = Process::start(flaky_orchestrator(&pool, &clock, 2)).await;
    let wf = create(
        &p.orch,
        vec![spec("t", "flaky", &[])],
        TaskLimits {
            max_attempts: 3,
            ..Default::default()
        },
        None,
    )
    .await;
    p.orch
        .execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();

    // First attempt fails; the next is due in 10 s and does not run before.
    wait_state(&pool, wf, "t", TaskState::Ready, 1).await;
    stays(&pool, wf, "t", TaskState::Ready, 1, Duration::from_millis(200)).await;
    clock.advance(Duration::from_millis(9_999));
    p.orch.wake_scheduler();
    stays(&pool, wf, "t", TaskState::Ready, 1, Duration::from_millis(200)).await;

    // At 10 s it runs and fails again; the next delay doubles to 20 s.
    clock.advance(Duration::from_millis(1));
    p.orch.wake_scheduler();
    wait_state(&pool, wf, "t", TaskState::Ready, 2).await;
    clock.advance(Duration::from_secs(20));
    p.orch.wake_scheduler();
    let done = wait_finished(&p.orch, wf, Duration::from_secs(10)).await;

    assert_eq!(done.status, WorkflowStatus::Completed);
    assert_eq!(done.tasks[0].attempts, 3);
    let delays: Vec<i64> = sqlx::query_scalar(
        "select (payload->>'retry_in_ms')::bigint from coordination_events where kind = 'task.retry_scheduled' and workflow_id = $1 order by id",
    )
    .bind(wf.0)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(delays, [10_000, 20_000]);
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn exhausted_retries_fail_the_task_and_skip_what_depends_on_it(pool: PgPool) {
    let clock = ManualClock::default();
    let p = Process::start(flaky_orchestrator(&pool, &clock, 99)).await;
    let tasks = vec![
        spec("a", "flaky", &[]),
        spec("b", "noop", &["a"]),
        spec("c", "noop", &["b"]),
        spec("free", "noop", &[]),
    ];
    let wf = create(
        &p.orch,
        tasks,
        TaskLimits {
            max_attempts: 2,
            ..Default::default()
        },
        None,
    )
    .await;
    p.orch
        .execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();
    wait_state(&pool, wf, "a", TaskState::Ready, 1).await;
    clock.advance(Duration::from_secs(10));
    p.orch.wake_scheduler();
    let done = wait_finished(&p.orch, wf, Duration::from_secs(10)).await;

    let state = |k: &str| done.tasks.iter().find(|t| t.key == k).unwrap().state;
    assert_eq!(state("a"), TaskState::Failed);
    assert_eq!(state("b"), TaskState::Skipped);
    assert_eq!(state("c"), TaskState::Skipped);
    assert_eq!(state("free"), TaskState::Succeeded);
    assert_eq!(done.status, WorkflowStatus::PartialSuccess);
    assert_eq!(
        done.tasks.iter().find(|t| t.key == "a").unwrap().error.as_deref(),
        Some("attempt 2 failed")
    );
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_fatal_error_is_not_retried(pool: PgPool) {
    let clock = ManualClock::default();
    let p = Process::start(flaky_orchestrator(&pool, &clock, 0)).await;
    let wf = create(
        &p.orch,
        vec![spec("f", "fatal", &[])],
        TaskLimits {
            max_attempts: 5,
            ..Default::default()
        },
        None,
    )
    .await;
    p.orch
        .execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();
    let done = wait_finished(&p.orch, wf, Duration::from_secs(10)).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(done.tasks[0].attempts, 1);
    assert_eq!(done.tasks[0].error.as_deref(), Some("cannot ever work"));
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_attempt_that_runs_past_its_timeout_fails(pool: PgPool) {
    let orch = Orchestrator::builder(pool.clone())
        .scheduler(fast_config("t"))
        .handler("hang", |_ctx: TaskContext| async move {
            std::future::pending::<()>().await;
            Ok(serde_json::Value::Null)
        })
        .build();
    let p = Process::start(orch).await;
    let limits = TaskLimits {
        max_attempts: 1,
        timeout: Duration::from_millis(300),
    };
    let wf = create(&p.orch, vec![spec("slow", "hang", &[])], limits, None).await;
    p.orch
        .execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();
    let done = wait_finished(&p.orch, wf, Duration::from_secs(10)).await;
    assert_eq!(done.status, WorkflowStatus::Failed);
    assert_eq!(done.tasks[0].error.as_deref(), Some("timed out after 300 ms"));
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn cancelling_stops_running_tasks_and_cancels_pending_ones(pool: PgPool) {
    let stopped = Arc::new(Mutex::new(false));
    let flag = stopped.clone();
    let orch = Orchestrator::builder(pool.clone())
        .scheduler(fast_config("c"))
        .handler("wait", move |_ctx: TaskContext| {
            // Ignores its cancellation token: only the executor dropping it stops it.
            let stopped = SetOnDrop(flag.clone());
            async move {
                let _stopped = stopped;
                std::future::pending::<()>().await;
                Ok(serde_json::Value::Null)
            }
        })
        .build();
    let p = Process::start(orch).await;
    let wf = create(
        &p.orch,
        vec![spec("long", "wait", &[]), spec("after", "noop", &["long"])],
        TaskLimits::default(),
        None,
    )
    .await;
    p.orch
        .execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();
    wait_state(&pool, wf, "long", TaskState::Running, 1).await;

    let view = p.orch.cancel_workflow(wf, &Actor::system()).await.unwrap();
    assert_eq!(view.status, WorkflowStatus::Cancelled);
    assert_eq!(
        view.tasks.iter().find(|t| t.key == "after").unwrap().state,
        TaskState::Cancelled
    );

    wait_state(&pool, wf, "long", TaskState::Cancelled, 1).await;
    let done = wait_finished(&p.orch, wf, Duration::from_secs(10)).await;
    assert_eq!(done.status, WorkflowStatus::Cancelled);
    assert_eq!(done.tasks[0].state, TaskState::Cancelled);
    // The running handler was stopped (it does not run on unobserved).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !*stopped.lock().unwrap() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the running handler was never stopped"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let again = p.orch.cancel_workflow(wf, &Actor::system()).await.unwrap_err();
    assert!(matches!(again, orchestrator::Error::Conflict(_)), "{again}");
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_workflow_past_its_deadline_times_out(pool: PgPool) {
    let clock = ManualClock::default();
    let orch = Orchestrator::builder(pool.clone())
        .clock(clock.clone())
        .scheduler(fast_config("d"))
        .handler("wait", |ctx: TaskContext| async move {
            ctx.cancel.cancelled().await;
            Err(TaskError::Retryable("stopped".into()))
        })
        .build();
    let p = Process::start(orch).await;
    let wf = create(
        &p.orch,
        vec![spec("w", "wait", &[]), spec("x", "noop", &["w"])],
        TaskLimits::default(),
        Some(Duration::from_secs(60)),
    )
    .await;
    p.orch
        .execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();
    wait_state(&pool, wf, "w", TaskState::Running, 1).await;
    clock.advance(Duration::from_secs(61));
    p.orch.maintain().await.unwrap();
    let done = wait_finished(&p.orch, wf, Duration::from_secs(10)).await;
    assert_eq!(done.status, WorkflowStatus::Timeout);
    assert!(
        done.tasks.iter().all(|t| t.state == TaskState::Cancelled),
        "{:?}",
        done.tasks
    );
    p.stop().await;
}

type Spans = Arc<Mutex<Vec<(String, std::time::Instant, std::time::Instant)>>>;

async fn run_recorded(pool: &PgPool, mode: ExecutionMode) -> Vec<(String, std::time::Instant, std::time::Instant)> {
    let spans: Spans = Default::default();
    let log = spans.clone();
    let orch = Orchestrator::builder(pool.clone())
        .scheduler(fast_config("r"))
        .handler("record", move |ctx: TaskContext| {
            let log = log.clone();
            async move {
                let start = std::time::Instant::now();
                tokio::time::sleep(Duration::from_millis(150)).await;
                log.lock()
                    .unwrap()
                    .push((ctx.task.key.clone(), start, std::time::Instant::now()));
                Ok(serde_json::Value::Null)
            }
        })
        .build();
    let p = Process::start(orch).await;
    let tasks = vec![
        spec("a", "record", &[]),
        spec("b", "record", &[]),
        spec("c", "record", &["a"]),
        spec("d", "record", &[]),
    ];
    let wf = create(&p.orch, tasks, TaskLimits::default(), None).await;
    p.orch.execute_workflow(wf, &Actor::system(), mode).await.unwrap();
    let done = wait_finished(&p.orch, wf, Duration::from_secs(20)).await;
    assert_eq!(done.status, WorkflowStatus::Completed);
    assert_eq!(done.mode, mode);
    p.stop().await;
    let spans = spans.lock().unwrap().clone();
    spans
}

#[sqlx::test(migrations = "../migrations")]
async fn sequential_mode_runs_one_task_at_a_time_in_topological_order(pool: PgPool) {
    let mut spans = run_recorded(&pool, ExecutionMode::Sequential).await;
    spans.sort_by_key(|s| s.1);
    let order: Vec<&str> = spans.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(order, ["a", "b", "d", "c"]);
    for w in spans.windows(2) {
        assert!(w[0].2 <= w[1].1, "{} overlapped {}", w[0].0, w[1].0);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn parallel_mode_overlaps_independent_tasks_and_respects_dependencies(pool: PgPool) {
    let spans = run_recorded(&pool, ExecutionMode::Parallel).await;
    let get = |k: &str| spans.iter().find(|s| s.0 == k).unwrap().clone();
    let (a, b, c, d) = (get("a"), get("b"), get("c"), get("d"));
    assert!(a.1 < b.2 && b.1 < a.2, "a and b should overlap");
    assert!(b.1 < d.2 && d.1 < b.2, "b and d should overlap");
    assert!(c.1 >= a.2, "c must start after a ends");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_offline_agent_gets_no_work_until_it_comes_back(pool: PgPool) {
    // Arrange: this process runs every agent but Imagen, the only one that makes images.
    let clock = ManualClock::default();
    let hosts = |agents: Option<Vec<String>>| {
        Orchestrator::builder(pool.clone())
            .clock(clock.clone())
            .scheduler(SchedulerConfig {
                agents,
                agent_ttl: Duration::from_secs(15),
                ..fast_config("o")
            })
            .build()
    };
    let p = Process::start(hosts(Some(vec![
        "Starri-Orchestrator".into(),
        "Jules-CodeGen".into(),
        "Gemini-Designer".into(),
    ])))
    .await;
    sqlx::query("update agent_states s set status = 'idle', last_heartbeat_at = $1 from agents a where a.id = s.agent_id and a.name = 'Imagen-Asset-Gen'")
        .bind(p.orch.now())
        .execute(&pool)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(16));
    p.orch.maintain().await.unwrap();
    let imagen = p
        .orch
        .list_agents(&Actor::system())
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.name == "Imagen-Asset-Gen")
        .unwrap();
    assert_eq!(imagen.status, domain::status::AgentStatus::Offline);

    let tasks = vec![
        with_caps(spec("logo", "noop", &[]), &[Capability::ImageGeneration]),
        with_caps(spec("code", "noop", &[]), &[Capability::CodeGeneration]),
    ];
    let wf = create(&p.orch, tasks, TaskLimits::default(), None).await;
    p.orch
        .execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();
    wait_state(&pool, wf, "code", TaskState::Succeeded, 1).await;

    // Assert: the image task waits.
    stays(&pool, wf, "logo", TaskState::Ready, 0, Duration::from_millis(300)).await;

    // A process that runs Imagen comes up: the task runs, on Imagen.
    let q = Process::start(hosts(Some(vec!["Imagen-Asset-Gen".into()]))).await;
    let done = wait_finished(&q.orch, wf, Duration::from_secs(10)).await;
    assert_eq!(done.status, WorkflowStatus::Completed);
    assert_eq!(
        done.tasks.iter().find(|t| t.key == "logo").unwrap().agent.as_deref(),
        Some("Imagen-Asset-Gen")
    );
    p.stop().await;
    q.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_agent_never_runs_more_than_its_concurrency(pool: PgPool) {
    let peak = Arc::new(Mutex::new((0usize, 0usize)));
    let mut procs = Vec::new();
    for i in 0..3 {
        let peak = peak.clone();
        let orch = Orchestrator::builder(pool.clone())
            .scheduler(SchedulerConfig {
                agents: Some(vec!["Gemini-Designer".into()]),
                ..fast_config(&format!("p{i}"))
            })
            .handler("design", move |_ctx: TaskContext| {
                let peak = peak.clone();
                async move {
                    {
                        let mut p = peak.lock().unwrap();
                        p.0 += 1;
                        p.1 = p.1.max(p.0);
                    }
                    tokio::time::sleep(Duration::from_millis(40)).await;
                    peak.lock().unwrap().0 -= 1;
                    Ok(serde_json::Value::Null)
                }
            })
            .build();
        procs.push(Process::start(orch).await);
    }
    let tasks = (0..40)
        .map(|i| with_caps(spec(&format!("d{i}"), "design", &[]), &[Capability::UiDesign]))
        .collect();
    let wf = create(&procs[0].orch, tasks, TaskLimits::default(), None).await;
    procs[0]
        .orch
        .execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();
    let done = wait_finished(&procs[0].orch, wf, Duration::from_secs(60)).await;
    assert_eq!(done.status, WorkflowStatus::Completed);
    // Gemini-Designer's max_concurrency is 4 (seeded), across all three processes.
    assert!(peak.lock().unwrap().1 <= 4, "peak {}", peak.lock().unwrap().1);
    assert!(done.tasks.iter().all(|t| t.agent.as_deref() == Some("Gemini-Designer")));
    for p in procs {
        p.stop().await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn events_arrive_in_order_on_the_bus_and_the_log_agrees_with_the_final_state(pool: PgPool) {
    let orch = Orchestrator::builder(pool.clone()).scheduler(fast_config("e")).build();
    let p = Process::start(orch).await;
    let mut rx = p.orch.bus().subscribe();
    let tasks = vec![
        spec("a", "noop", &[]),
        spec("b", "noop", &["a"]),
        spec("c", "noop", &["a"]),
        with_input(spec("d", "generic", &["b", "c"]), serde_json::json!({})),
    ];
    let wf = create(&p.orch, tasks, TaskLimits::default(), None).await;
    p.orch
        .execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();

    let mut seen = Vec::new();
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("events keep coming")
            .unwrap();
        if e.workflow_id != Some(wf) {
            continue;
        }
        let last = e.kind == EventKind::WorkflowFinished;
        seen.push((*e).clone());
        if last {
            break;
        }
    }
    assert!(seen.windows(2).all(|w| w[0].id < w[1].id), "bus events out of order");

    let logged = store::events::page(
        &pool,
        &EventFilter {
            workflow_id: Some(wf),
            since: Some(domain::ids::EventId(0)),
            ..Default::default()
        },
        1000,
    )
    .await
    .unwrap()
    .events;
    let bus_ids: Vec<_> = seen.iter().map(|e| e.id).collect();
    let log_ids: Vec<_> = logged.iter().map(|e| e.id).collect();
    assert_eq!(bus_ids, log_ids[log_ids.len() - bus_ids.len()..]);

    // Replaying the log gives each task's final state.
    let view = p.orch.get_workflow(wf, &Actor::system()).await.unwrap();
    let mut last_state: HashMap<TaskId, TaskState> = HashMap::new();
    for e in &logged {
        let state = match e.kind {
            EventKind::TaskReady => TaskState::Ready,
            EventKind::TaskStarted => TaskState::Running,
            EventKind::TaskSucceeded => TaskState::Succeeded,
            EventKind::TaskFailed => TaskState::Failed,
            _ => continue,
        };
        last_state.insert(e.task_id.unwrap(), state);
    }
    for t in &view.tasks {
        assert_eq!(last_state.get(&t.id), Some(&t.state), "task {}", t.key);
    }
    assert_eq!(view.status, WorkflowStatus::Completed);
    let out = view
        .tasks
        .iter()
        .find(|t| t.key == "d")
        .unwrap()
        .output
        .clone()
        .unwrap();
    assert!(out["summary"].as_str().unwrap().contains("task d"));
    p.stop().await;
}
