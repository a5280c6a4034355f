//! `cargo bench -p orchestrator`: the orchestrator's speed on this machine, against the
//! Postgres at `BENCH_DATABASE_URL` (default: the local one). Creates and drops its own
//! database. Prints a Markdown table; the README's "Benchmarks" section has the method and
//! the last results.
//!
//! 1. **Throughput**: a layered DAG of no-op tasks (each depends on one task of the level
//!    before) runs through the whole path: claim -> no-op handler -> complete -> release
//!    dependents, with events, metrics and the bus bridge all on.
//! 2. **Enqueue-to-start latency**: one task made ready at a time on an idle system; from the
//!    commit that made it ready to its handler starting. Measured twice: woken in-process,
//!    and woken only by LISTEN/NOTIFY from another process (a second orchestrator).
//! 3. **DAG validation** of a random 10,000-task graph (about 3 dependencies each).

use std::{
    str::FromStr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use domain::{
    agent::RegisterAgentRequest,
    dag::{self, TaskSpec},
    ids::{WorkflowId, LOCAL_USER_ID},
    status::{ExecutionMode, WorkflowStatus},
};
use orchestrator::{
    scheduler::{SchedulerConfig, TaskContext},
    store::{
        self,
        workflows::{NewWorkflow, TaskLimits},
    },
    Actor, Orchestrator,
};
use sqlx::{
    migrate::MigrateDatabase,
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool, Postgres,
};
use tokio_util::sync::CancellationToken;

fn noop_spec(id: String, deps: Vec<String>) -> TaskSpec {
    TaskSpec {
        id,
        description: String::new(),
        kind: "noop".into(),
        dependencies: deps,
        required_capabilities: vec![],
        estimated_duration: 1,
        input: serde_json::Value::Null,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn pool(url: &str, max: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(max)
        .connect_with(PgConnectOptions::from_str(url).unwrap())
        .await
        .unwrap()
}

fn config(name: &str) -> SchedulerConfig {
    SchedulerConfig {
        worker_name: name.into(),
        concurrency: 512,
        claim_batch: 256,
        completion_batch: 1024,
        ..SchedulerConfig::default()
    }
}

async fn create(orch: &Orchestrator, tasks: Vec<TaskSpec>) -> WorkflowId {
    let dag = dag::validate(tasks).unwrap();
    orch.create_workflow(NewWorkflow {
        owner_id: LOCAL_USER_ID,
        build_id: None,
        name: "bench".into(),
        description: "bench".into(),
        requirements: vec![],
        constraints: serde_json::json!({}),
        execution_strategy: ExecutionMode::Parallel,
        confidence: None,
        max_duration: None,
        limits: TaskLimits::default(),
        dag: &dag,
    })
    .await
    .unwrap()
}

/// Polls the workflow's own row: `get_workflow` would load all its tasks every 5 ms, and
/// that query (25-80 ms for 20,000 tasks) would take CPU from the workers being measured.
async fn wait_done(db: &PgPool, id: WorkflowId) -> WorkflowStatus {
    loop {
        let status: String = sqlx::query_scalar("select status from workflows where id = $1")
            .bind(id.0)
            .fetch_one(db)
            .await
            .unwrap();
        let status: WorkflowStatus = status.parse().unwrap();
        if status != WorkflowStatus::Running {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn throughput(url: &str, levels: usize, width: usize, scheduler: SchedulerConfig) -> (f64, usize, Duration) {
    let db = pool(url, 24).await;
    let orch = Orchestrator::builder(db.clone()).scheduler(scheduler).build();
    let shutdown = CancellationToken::new();
    let mut bg = orch.spawn_background(shutdown.clone());
    orch.maintain().await.unwrap();
    let mut tasks = Vec::with_capacity(levels * width);
    for l in 0..levels {
        for w in 0..width {
            let deps = if l == 0 {
                vec![]
            } else {
                vec![format!("{}-{}", l - 1, (w * 7) % width)]
            };
            tasks.push(noop_spec(format!("{l}-{w}"), deps));
        }
    }
    let n = tasks.len();
    let wf = create(&orch, tasks).await;
    let start = Instant::now();
    orch.execute_workflow(wf, &Actor::system(), ExecutionMode::Parallel)
        .await
        .unwrap();
    let status = wait_done(&db, wf).await;
    let took = start.elapsed();
    assert_eq!(status, WorkflowStatus::Completed);
    shutdown.cancel();
    while bg.join_next().await.is_some() {}
    (n as f64 / took.as_secs_f64(), n, took)
}

async fn latency(url: &str, samples: usize, cross_process: bool) -> Vec<f64> {
    let started: Arc<Mutex<Option<Instant>>> = Default::default();
    let seen = started.clone();
    let runner_pool = pool(url, 8).await;
    let runner = Orchestrator::builder(runner_pool.clone())
        .scheduler(SchedulerConfig {
            poll_interval: Duration::from_secs(5),
            ..config("bench-runner")
        })
        .handler("mark", move |_ctx: TaskContext| {
            let seen = seen.clone();
            async move {
                *seen.lock().unwrap() = Some(Instant::now());
                Ok(serde_json::Value::Null)
            }
        })
        .build();
    let shutdown = CancellationToken::new();
    let mut bg = runner.spawn_background(shutdown.clone());
    runner.maintain().await.unwrap();
    // The enqueuer: the same process, or another one that runs no agents.
    let enqueuer_pool = if cross_process {
        pool(url, 4).await
    } else {
        runner_pool.clone()
    };
    let enqueuer = if cross_process {
        Orchestrator::builder(enqueuer_pool.clone())
            .scheduler(SchedulerConfig {
                agents: Some(vec![]),
                ..config("bench-enqueuer")
            })
            .build()
    } else {
        runner.clone()
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut out = Vec::with_capacity(samples);
    for i in 0..samples {
        let wf = create(
            &enqueuer,
            vec![TaskSpec {
                kind: "mark".into(),
                ..noop_spec(format!("t{i}"), vec![])
            }],
        )
        .await;
        *started.lock().unwrap() = None;
        let mut tx = enqueuer_pool.begin().await.unwrap();
        store::workflows::start(&mut tx, wf, None, ExecutionMode::Parallel, enqueuer.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let t0 = Instant::now();
        if !cross_process {
            enqueuer.wake_scheduler();
        }
        let t1 = loop {
            if let Some(t) = *started.lock().unwrap() {
                break t;
            }
            tokio::time::sleep(Duration::from_micros(100)).await;
        };
        out.push(t1.saturating_duration_since(t0).as_secs_f64() * 1000.0);
        wait_done(&runner_pool, wf).await;
    }
    shutdown.cancel();
    while bg.join_next().await.is_some() {}
    out.sort_by(|a, b| a.partial_cmp(b).unwrap());
    out
}

fn validation(n: usize, runs: usize) -> Vec<f64> {
    // A deterministic pseudo-random DAG: each task depends on up to 3 earlier ones.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let tasks: Vec<TaskSpec> = (0..n)
        .map(|i| {
            let deps = if i == 0 {
                vec![]
            } else {
                (0..3).map(|_| format!("task-{}", next() as usize % i)).collect()
            };
            noop_spec(format!("task-{i}"), deps)
        })
        .collect();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let input = tasks.clone();
        let t = Instant::now();
        let dag = dag::validate(input).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(dag.len(), n);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let base = std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let url = format!("{base}/nf_bench_{}", std::process::id());
    Postgres::create_database(&url)
        .await
        .expect("create the bench database");
    let setup = pool(&url, 2).await;
    orchestrator::db::MIGRATOR.run(&setup).await.unwrap();
    // One agent that can run anything, wide enough not to be the limit.
    let bench_agent = RegisterAgentRequest {
        agent_id: "bench-agent".into(),
        agent_type: "custom".into(),
        capabilities: vec!["code_generation".into()],
        configuration: serde_json::json!({ "max_concurrency": 1000 })
            .as_object()
            .unwrap()
            .clone(),
    };
    Orchestrator::new(setup.clone())
        .register_agent(&bench_agent, &Actor::system())
        .await
        .unwrap();

    println!("| measurement | result |\n| --- | --- |");
    let v = validation(10_000, 50);
    println!(
        "| DAG validation, 10,000 tasks / ~30,000 edges | p50 {:.2} ms, p99 {:.2} ms |",
        percentile(&v, 0.5),
        percentile(&v, 0.99)
    );

    let (rate, n, took) = throughput(&url, 20, 1_000, config("bench-throughput")).await;
    println!(
        "| throughput, {n} no-op tasks in 20 dependent levels (concurrency 512, claim batch 256, completion batch 1024) | {rate:.0} tasks/s ({:.1} s) |",
        took.as_secs_f64()
    );
    let defaults = SchedulerConfig {
        worker_name: "bench-defaults".into(),
        ..SchedulerConfig::default()
    };
    let (rate, n, took) = throughput(&url, 20, 1_000, defaults).await;
    println!(
        "| the same at the server's defaults (concurrency 64, claim batch 64, completion batch 512) | {rate:.0} tasks/s ({:.1} s) for {n} |",
        took.as_secs_f64()
    );

    let local = latency(&url, 300, false).await;
    println!(
        "| enqueue-to-start, same process (300 samples) | p50 {:.2} ms, p99 {:.2} ms |",
        percentile(&local, 0.5),
        percentile(&local, 0.99)
    );
    let remote = latency(&url, 300, true).await;
    println!(
        "| enqueue-to-start, other process via NOTIFY (300 samples) | p50 {:.2} ms, p99 {:.2} ms |",
        percentile(&remote, 0.5),
        percentile(&remote, 0.99)
    );

    setup.close().await;
    let _ = Postgres::force_drop_database(&url).await;
}
