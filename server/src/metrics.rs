//! `GET /metrics`: Prometheus text format, for an admin (session or bearer token) on the main
//! listener, and without sign-in on `--metrics-listen ADDR` for a scraper on a private
//! network.
//!
//! Three sources meet in one page:
//! - this process's counters and timings, recorded through the `metrics` facade and rendered
//!   by `metrics-exporter-prometheus`: HTTP requests by route and status ([`track`]), the
//!   WebSocket feed ([`ws_opened`], [`ws_message`]), and the orchestrator's own (tasks, builds,
//!   model calls; see `orchestrator::instruments`);
//! - totals every instance shares, read from Postgres when scraped
//!   ([`orchestrator::Gauges`]): tasks by state, builds by status, the ready queue;
//! - this process's database pool.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `nf_http_requests_total` | counter | `method`, `route` (the route's pattern), `status` |
//! | `nf_http_request_duration_seconds` | histogram | `method`, `route` |
//! | `nf_ws_clients` | gauge | |
//! | `nf_ws_messages_total` | counter | `direction` (sent, received) |
//! | `nf_tasks` | gauge | `state` |
//! | `nf_builds` | gauge | `status` |
//! | `nf_workflows` | gauge | `status` |
//! | `nf_agents` | gauge | `liveness` (registered, active) |
//! | `nf_queue_depth` | gauge | |
//! | `nf_queue_oldest_wait_seconds` | gauge | |
//! | `nf_db_pool_connections` | gauge | `state` (idle, in_use, max) |
//!
//! The recorder is global (one per process); a second server in the same process (the
//! tests) shares it.

use std::{sync::OnceLock, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use domain::status::{BuildStatus, WorkflowStatus};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use orchestrator::{Actor, Gauges, Orchestrator};

use crate::{auth::Caller, error::ApiError, state::AppState};

/// Histogram buckets (seconds): a millisecond to a quarter of an hour, so HTTP calls, tasks
/// and slow model calls all land inside the range.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0,
];

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .expect("the bucket list is not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics shows only the database's totals");
        }
        handle
    })
}

/// Keeps the recorder's histograms bounded (what its own HTTP listener would do); runs until
/// `stop`.
pub async fn upkeep(stop: tokio_util::sync::CancellationToken) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => handle().run_upkeep(),
        }
    }
}

/// Counts and times every request by its route's pattern (never the raw path, which would
/// make a series per build id).
pub async fn track(req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    histogram!("nf_http_request_duration_seconds", "method" => method.clone(), "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    counter!("nf_http_requests_total", "method" => method, "route" => route, "status" => status).increment(1);
    response
}

/// A WebSocket client connected (`+1`) or left (`-1`).
pub fn ws_opened(delta: f64) {
    gauge!("nf_ws_clients").increment(delta);
}

/// A WebSocket message went out (`sent`) or came in (`received`).
pub fn ws_message(direction: &'static str) {
    counter!("nf_ws_messages_total", "direction" => direction).increment(1);
}

/// The page: the database's totals set as gauges, then everything rendered.
async fn render(orchestrator: &Orchestrator, actor: &Actor) -> Result<Response, ApiError> {
    let g = orchestrator.gauges(actor).await?;
    // Setting the gauges and rendering them is one step: two scrapes at once (both listeners,
    // or two servers in one test process) must not mix their numbers.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let text = {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        set_gauges(&g);
        handle().render()
    };
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}

fn set_gauges(g: &Gauges) {
    let tasks = [
        ("pending", g.tasks.pending),
        ("ready", g.tasks.ready),
        ("running", g.tasks.running),
        ("succeeded", g.tasks.succeeded),
        ("failed", g.tasks.failed),
        ("cancelled", g.tasks.cancelled),
        ("skipped", g.tasks.skipped),
    ];
    for (state, n) in tasks {
        gauge!("nf_tasks", "state" => state).set(n as f64);
    }
    // Every status shows, at 0 when no row has it: a series that stopped being set would
    // keep its last value (the exporter remembers it), not drop to 0.
    let count =
        |by: &std::collections::BTreeMap<String, i64>, status: &str| by.get(status).copied().unwrap_or(0) as f64;
    for status in BuildStatus::ALL.iter().map(|s| s.as_str()) {
        gauge!("nf_builds", "status" => status).set(count(&g.builds, status));
    }
    for status in WorkflowStatus::ALL.iter().map(|s| s.as_str()) {
        gauge!("nf_workflows", "status" => status).set(count(&g.workflows, status));
    }
    gauge!("nf_agents", "liveness" => "registered").set(g.agents_registered as f64);
    gauge!("nf_agents", "liveness" => "active").set(g.agents_active as f64);
    gauge!("nf_queue_depth").set(g.queue_depth as f64);
    gauge!("nf_queue_oldest_wait_seconds").set(g.oldest_ready_secs);
    gauge!("nf_db_pool_connections", "state" => "idle").set(f64::from(g.db_idle));
    gauge!("nf_db_pool_connections", "state" => "in_use").set(f64::from(g.db_connections.saturating_sub(g.db_idle)));
    gauge!("nf_db_pool_connections", "state" => "max").set(f64::from(g.db_max));
}

/// `/metrics` on the main listener: admins only.
pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(for_admin))
}

async fn for_admin(State(state): State<AppState>, Caller(me): Caller) -> Result<Response, ApiError> {
    render(&state.orchestrator, &me).await
}

/// `/metrics` on its own listener (`--metrics-listen`): no sign-in, so bind it to a private
/// address only.
pub fn open_router(orchestrator: Orchestrator) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let orchestrator = orchestrator.clone();
            async move { render(&orchestrator, &Actor::system()).await }
        }),
    )
}
