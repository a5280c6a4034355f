//! Local models: a whole build against a fake OpenAI-compatible server (axum, in-process)
//! that reports its context like llama.cpp (`/props`), lists its models, streams its
//! answers slowly or stalls, and records every request.

use std::{
    convert::Infallible,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::State,
    http::header,
    response::IntoResponse,
    routing::{get, post},
    Json, Router,
};
use orchestrator::llm::context::{estimate_tokens, TOKENS_PER_MESSAGE};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{spawn_app_with, test_config, TestApp};

/// How the fake model answers.
#[derive(Clone, Copy)]
enum Pace {
    /// `chunks` content chunks, `every` apart, then `[DONE]`.
    Slow { chunks: usize, every: Duration },
    /// One chunk, then nothing (the connection stays open).
    Stall,
}

#[derive(Clone)]
struct Fake {
    context: u32,
    pace: Pace,
    /// A pace for the requests whose system prompt starts with this, instead.
    special: Option<(&'static str, Pace)>,
    requests: Arc<Mutex<Vec<Value>>>,
    /// The system prompts of the answers streamed to their end (`[DONE]` sent).
    finished: Arc<Mutex<Vec<String>>>,
}

async fn props(State(f): State<Fake>) -> Json<Value> {
    Json(json!({ "default_generation_settings": { "n_ctx": f.context }, "total_slots": 1 }))
}

async fn models() -> Json<Value> {
    Json(json!({ "object": "list", "data": [{ "id": "fake-local", "object": "model" }] }))
}

fn chunk(content: &str) -> String {
    format!(
        "data: {}\n\n",
        json!({ "object": "chat.completion.chunk", "model": "fake-local",
                "choices": [{ "index": 0, "delta": { "content": content }, "finish_reason": null }] })
    )
}

async fn chat(State(f): State<Fake>, Json(body): Json<Value>) -> impl IntoResponse {
    let system = body["messages"][0]["content"].as_str().unwrap_or("").to_owned();
    f.requests.lock().unwrap().push(body);
    let pace = match f.special {
        Some((start, pace)) if system.starts_with(start) => pace,
        _ => f.pace,
    };
    let finished = f.finished.clone();
    let stream = futures::stream::unfold(0usize, move |i| {
        let (finished, system) = (finished.clone(), system.clone());
        async move {
            let item = match pace {
                Pace::Slow { chunks, every } => {
                    if i > chunks {
                        return None;
                    }
                    if i > 0 {
                        tokio::time::sleep(every).await;
                    }
                    if i == chunks {
                        finished.lock().unwrap().push(system);
                        "data: [DONE]\n\n".to_owned()
                    } else {
                        // Plausible but not what the validators want: every task repairs, then
                        // falls back, as SmolLM2 does.
                        chunk(&format!("word{i} "))
                    }
                }
                Pace::Stall => {
                    if i > 0 {
                        std::future::pending::<()>().await;
                    }
                    // A keep-alive comment and one token, then silence.
                    format!(": keep-alive\n\n{}", chunk("{\"name\":"))
                }
            };
            Some((Ok::<_, Infallible>(item), i + 1))
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(stream),
    )
}

/// Starts the fake on 127.0.0.1:0; returns its base URL (with `/v1`) and its request log.
async fn fake_model(context: u32, pace: Pace) -> (String, Arc<Mutex<Vec<Value>>>) {
    let f = start_fake(Fake {
        context,
        pace,
        special: None,
        requests: Default::default(),
        finished: Default::default(),
    })
    .await;
    (f.0, f.1.requests)
}

async fn start_fake(fake: Fake) -> (String, Fake) {
    let app = Router::new()
        .route("/props", get(props))
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/v1"), fake)
}

/// The server with the openai provider pointed at `base`.
async fn app_with_model(pool: PgPool, base: &str, tweak: impl FnOnce(&mut crate::helpers::Config)) -> TestApp {
    let mut config = test_config(String::new());
    config.llm_provider = "openai".into();
    config.openai_base_url = Some(base.to_owned());
    config.openai_model = "fake-local".into();
    config.llm_max_retries = 0;
    tweak(&mut config);
    spawn_app_with(config, pool).await
}

async fn start(app: &TestApp, config: Value) -> String {
    let res = app
        .post_json(
            "/api/nexus-forge/build",
            &json!({ "prompt": "a reading list with books and authors", "config": config }),
        )
        .await;
    let status = res.status();
    let b: Value = res.json().await.unwrap();
    assert_eq!(status, 202, "{b}");
    b["build_id"].as_str().unwrap().to_owned()
}

async fn wait_done(app: &TestApp, id: &str, within: Duration) -> Value {
    crate::helpers::wait_build(&app.client, &app.url(&format!("/api/nexus-forge/build/{id}")), within).await
}

async fn events(pool: &PgPool, build: &str, kind: &str) -> Vec<Value> {
    sqlx::query_scalar("select payload from coordination_events where kind = $1 and project_id = $2::uuid order by id")
        .bind(kind)
        .bind(build)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Estimated prompt tokens of a recorded request, the way the orchestrator estimates.
fn prompt_estimate(body: &Value) -> u32 {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| estimate_tokens(m["content"].as_str().unwrap()) + TOKENS_PER_MESSAGE)
        .sum()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_slow_local_model_gets_requests_sized_for_its_context_and_shows_progress(pool: PgPool) {
    let (base, requests) = fake_model(
        4096,
        Pace::Slow {
            chunks: 5,
            every: Duration::from_millis(250),
        },
    )
    .await;
    // Configured larger than the model: the 4096 its server reports must win.
    let app = app_with_model(pool.clone(), &base, |c| c.llm_context_tokens = 16_384).await;

    // The providers' health: reachable, its models, the context it reports.
    let res = app.get("/api/orchestrator/providers").await;
    assert_eq!(res.status(), 200);
    let health: Value = res.json().await.unwrap();
    let openai = health["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "openai")
        .unwrap_or_else(|| panic!("{health}"))
        .clone();
    assert_eq!(
        health["providers"][0]["name"], "openai",
        "the default comes first: {health}"
    );
    assert_eq!(openai["reachable"], true, "{openai}");
    assert_eq!(openai["models"], json!(["fake-local"]), "{openai}");
    assert_eq!(openai["reported_context"], 4096, "{openai}");
    assert_eq!(openai["configured_context"], 16_384, "{openai}");
    assert_eq!(openai["context_tokens"], 4096, "{openai}");
    assert_eq!(openai["fits"], true, "{openai}");

    let started = Instant::now();
    // Every answer is rejected: without a high failure limit the build would stop asking
    // after two tasks, and this test wants every kind of request.
    let id = start(&app, json!({ "max_model_failures": 1000 })).await;
    let b = wait_done(&app, &id, Duration::from_secs(90)).await;
    assert_eq!(b["status"], "completed", "{b}");
    let took = started.elapsed();

    let requests = requests.lock().unwrap().clone();
    // analysis (with its repair), reflection, stylesheet, logo, icons and the entities: no
    // repair after the first failure, as the model has failed more than it succeeded.
    let systems: std::collections::HashSet<&str> = requests
        .iter()
        .map(|r| r["messages"][0]["content"].as_str().unwrap())
        .collect();
    assert_eq!(systems.len(), 6, "every kind of request was made");
    assert!(requests.len() > systems.len(), "{} requests", requests.len());
    for r in &requests {
        let max_tokens = r["max_tokens"]
            .as_u64()
            .unwrap_or_else(|| panic!("a request without max_tokens: {r}"));
        assert!(max_tokens >= 256, "{max_tokens}");
        assert_eq!(r["stream"], true);
        let prompt = u64::from(prompt_estimate(r));
        assert!(
            prompt + max_tokens <= 4096,
            "a request exceeds the context: {prompt} prompt + {max_tokens} answer tokens"
        );
    }
    // Repairs quote the rejected answer and still fit.
    assert!(requests.iter().any(|r| r["messages"].as_array().unwrap().len() == 4));

    let progress = events(&pool, &id, "task.progress").await;
    assert!(!progress.is_empty(), "no task.progress events");
    assert!(progress
        .iter()
        .all(|p| p["tokens"].as_u64().unwrap() > 0 && p["task"].is_string()));
    // A build's history without them: what the build page's event log asks for.
    let page: Value = app
        .get(&format!(
            "/api/coordination/events?build_id={id}&exclude_kind=task.progress&limit=1000"
        ))
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        !kinds.contains(&"task.progress") && kinds.contains(&"build.finished"),
        "{kinds:?}"
    );
    // Throttled: at most about one a second per call, so fewer than the chunks sent.
    assert!(
        progress.len() < requests.len() * 5,
        "{} progress events",
        progress.len()
    );
    let largest = requests
        .iter()
        .map(|r| u64::from(prompt_estimate(r)) + r["max_tokens"].as_u64().unwrap())
        .max();
    eprintln!(
        "slow model: build {took:?}, {} requests, largest prompt+answer {largest:?} of 4096, {} progress events",
        requests.len(),
        progress.len()
    );
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stalled_stream_is_cut_by_the_stall_clock_and_the_build_falls_back(pool: PgPool) {
    let (base, requests) = fake_model(8192, Pace::Stall).await;
    let app = app_with_model(pool.clone(), &base, |c| {
        c.llm_timeout_secs = 30;
        c.llm_stall_secs = 1;
    })
    .await;
    let started = Instant::now();
    let id = start(&app, json!({})).await;
    let b = wait_done(&app, &id, Duration::from_secs(60)).await;
    let took = started.elapsed();
    assert_eq!(b["status"], "completed", "{b}");
    // Without the stall clock the first call alone would wait 30 s (its timeout) or more.
    assert!(took < Duration::from_secs(20), "the build took {took:?}");
    eprintln!("stalled model: build {took:?} with a 1 s stall clock and a 30 s call timeout");
    let fallbacks = events(&pool, &id, "build.fallback").await;
    assert!(!fallbacks.is_empty());
    let reasons: Vec<&str> = fallbacks.iter().map(|f| f["reason"].as_str().unwrap()).collect();
    assert!(reasons[0].contains("stopped sending for 1s"), "{reasons:?}");
    // Two stalled tasks, and the build stops asking a model that keeps failing.
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("stall") || r.contains("calls are paused") || r.contains("failed in 2 tasks")),
        "{reasons:?}"
    );
    assert!(!requests.lock().unwrap().is_empty());
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_build_over_its_time_budget_finishes_offline_and_says_why(pool: PgPool) {
    // A model that would take 40 s per answer, for a build allowed 2 s.
    let (base, _requests) = fake_model(
        8192,
        Pace::Slow {
            chunks: 200,
            every: Duration::from_millis(200),
        },
    )
    .await;
    let app = app_with_model(pool.clone(), &base, |c| c.llm_timeout_secs = 60).await;

    // Above the server's ceiling: refused with the reason.
    let res = app
        .post_json(
            "/api/nexus-forge/build",
            &json!({ "prompt": "a reading list", "config": { "max_seconds": 100_000 } }),
        )
        .await;
    assert_eq!(res.status(), 400);
    let e: Value = res.json().await.unwrap();
    assert!(e["message"].as_str().unwrap().contains("max_seconds"), "{e}");

    let started = Instant::now();
    let id = start(&app, json!({ "max_seconds": 2 })).await;
    let b = wait_done(&app, &id, Duration::from_secs(60)).await;
    assert_eq!(b["status"], "completed", "{b}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(15), "{took:?}");
    eprintln!("2 s budget against a 40 s answer: build {took:?}");
    let fallbacks = events(&pool, &id, "build.fallback").await;
    assert!(!fallbacks.is_empty());
    assert!(
        fallbacks
            .iter()
            .all(|f| f["reason"].as_str().unwrap().contains("time budget of 2 s")),
        "{fallbacks:?}"
    );
    // The first call was cut by the budget while it streamed: progress was shown first,
    // and what it used is charged to the build.
    assert!(!events(&pool, &id, "task.progress").await.is_empty());
    assert!(b["tokens_used"].as_i64().unwrap() > 0, "{b}");
    assert_eq!(b["llm_calls"], 1, "{b}");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_model_whose_context_is_too_small_is_refused_with_the_sizes(pool: PgPool) {
    let (base, requests) = fake_model(
        300,
        Pace::Slow {
            chunks: 1,
            every: Duration::ZERO,
        },
    )
    .await;
    let app = app_with_model(pool, &base, |_| {}).await;
    let health: Value = app.get("/api/orchestrator/providers").await.json().await.unwrap();
    let openai = &health["providers"][0];
    assert_eq!(openai["fits"], false, "{health}");
    assert!(openai["problem"].as_str().unwrap().contains("300 tokens"), "{health}");

    let res = app
        .post_json("/api/nexus-forge/build", &json!({ "prompt": "a reading list" }))
        .await;
    assert_eq!(res.status(), 400);
    let e: Value = res.json().await.unwrap();
    let m = e["message"].as_str().unwrap();
    assert!(
        m.contains("fake-local") && m.contains("300 tokens") && m.contains("needs about"),
        "{m}"
    );
    assert!(requests.lock().unwrap().is_empty(), "no model call was made");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn with_a_small_context_only_the_tasks_that_fit_whole_ask_the_model(pool: PgPool) {
    // 1400 tokens: the logo and icons fit; the analysis (its prompt alone is ~1150) cannot
    // have its 1024 answer tokens, and the review's spec would have to be cut.
    let (base, requests) = fake_model(
        1400,
        Pace::Slow {
            chunks: 2,
            every: Duration::from_millis(10),
        },
    )
    .await;
    let app = app_with_model(pool.clone(), &base, |_| {}).await;
    let id = start(&app, json!({})).await;
    let b = wait_done(&app, &id, Duration::from_secs(60)).await;
    assert_eq!(b["status"], "completed", "{b}");

    let fallbacks = events(&pool, &id, "build.fallback").await;
    let reason = |purpose: &str| {
        fallbacks
            .iter()
            .find(|f| f["purpose"] == purpose)
            .and_then(|f| f["reason"].as_str())
            .unwrap_or_else(|| panic!("no {purpose} fallback: {fallbacks:?}"))
            .to_owned()
    };
    let analysis = reason("analysis");
    assert!(
        analysis.contains("fake-local has a context of 1400 tokens") && analysis.contains("needs about"),
        "{analysis}"
    );
    assert!(reason("reflection").contains("does not fit whole"), "{fallbacks:?}");

    let requests = requests.lock().unwrap().clone();
    assert!(!requests.is_empty(), "the tasks that fit still asked the model");
    for r in &requests {
        let prompt = u64::from(prompt_estimate(r));
        assert!(prompt + r["max_tokens"].as_u64().unwrap() <= 1400, "{r}");
        let system = r["messages"][0]["content"].as_str().unwrap();
        assert!(!system.contains("Starri, the planning agent"), "the analysis was sent");
    }
    app.stop().await;
}

/// A fake OpenAI-compatible server that answers at once and records the `Authorization`
/// header of every call.
async fn fake_keyed_model() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = Router::new().route("/v1/models", get(models)).route(
        "/v1/chat/completions",
        post(move |headers: axum::http::HeaderMap| {
            let record = record.clone();
            async move {
                let auth = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                record.lock().unwrap().push(auth);
                (
                    [(header::CONTENT_TYPE, "text/event-stream")],
                    format!("{}data: [DONE]\n\n", chunk("not what was asked for")),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/v1"), seen)
}

#[sqlx::test(migrations = "../migrations")]
async fn the_api_key_is_sent_to_the_provider_and_never_written_to_the_log(pool: PgPool) {
    const KEY: &str = "sk-test-0f9e8d7c6b5a4938271605f4e3d2c1b0";
    let (base, seen) = fake_keyed_model().await;
    let token = crate::helpers::person(&pool, "admin", true).await;
    // The real binary, logging everything it would log at debug, JSON and text alike.
    let mut server = crate::helpers::Server::start(
        &crate::helpers::database_url(&pool),
        &[
            ("NF_LOG", "debug"),
            ("NF_LLM_PROVIDER", "openai"),
            ("OPENAI_BASE_URL", &base),
            ("OPENAI_MODEL", "fake-local"),
            ("OPENAI_API_KEY", KEY),
            ("NF_LLM_MAX_RETRIES", "0"),
        ],
    );
    server.wait_up().await;
    let client = TestApp::client_for(&token);
    let res = client
        .post(server.url("/api/nexus-forge/build"))
        .json(&json!({ "prompt": "a reading list with books and authors" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let id = res.json::<Value>().await.unwrap()["build_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = crate::helpers::wait_build(
        &client,
        &server.url(&format!("/api/nexus-forge/build/{id}")),
        Duration::from_secs(60),
    )
    .await;
    let log = server.stop().await;
    assert_eq!(done["status"], "completed", "{done}");
    // The key was really used...
    let seen = seen.lock().unwrap().clone();
    assert!(
        !seen.is_empty() && seen.iter().all(|a| a == &format!("Bearer {KEY}")),
        "{seen:?}"
    );
    // ...and appears nowhere in what the process wrote, nor in the database's log of the build.
    assert!(
        log.len() > 1_000,
        "debug logging produced too little to mean anything: {log}"
    );
    assert!(!log.contains(KEY), "the key is in the log");
    assert!(!log.contains(&KEY[10..30]), "part of the key is in the log");
    let events: Vec<String> = sqlx::query_scalar(
        "select payload::text from coordination_events union all select details::text from audit_logs",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(events.iter().all(|e| !e.contains(&KEY[10..30])));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_model_that_keeps_failing_is_not_asked_again_and_its_running_calls_are_dropped(pool: PgPool) {
    // Every answer is rejected. The stylesheet's answer would stream for a minute.
    let garbage = Pace::Slow {
        chunks: 3,
        every: Duration::from_millis(300),
    };
    let minute = Pace::Slow {
        chunks: 600,
        every: Duration::from_millis(100),
    };
    let (base, fake) = start_fake(Fake {
        context: 8192,
        pace: garbage,
        special: Some(("You are the design agent", minute)),
        requests: Default::default(),
        finished: Default::default(),
    })
    .await;
    let app = app_with_model(pool.clone(), &base, |_| {}).await;

    // The default: two failed tasks (the analysis, then the reflection) and the build stops
    // asking; only the first task gets a repair round.
    let id = start(&app, json!({})).await;
    let b = wait_done(&app, &id, Duration::from_secs(60)).await;
    assert_eq!(b["status"], "completed", "{b}");
    let purposes: Vec<String> = {
        let requests = fake.requests.lock().unwrap();
        requests
            .iter()
            .map(|r| r["messages"][0]["content"].as_str().unwrap()[..20].to_owned())
            .collect()
    };
    assert_eq!(purposes.len(), 3, "analysis, its repair, the reflection: {purposes:?}");
    assert_eq!(b["llm_calls"], 3, "{b}");
    let fallbacks = events(&pool, &id, "build.fallback").await;
    let reason = |purpose: &str| {
        fallbacks
            .iter()
            .find(|f| f["purpose"] == purpose)
            .and_then(|f| f["reason"].as_str())
            .unwrap_or_else(|| panic!("no {purpose} fallback: {fallbacks:?}"))
            .to_owned()
    };
    assert!(reason("analysis").contains("rejected 2 times"), "{fallbacks:?}");
    assert!(
        reason("reflection").starts_with("the model's answer was rejected: "),
        "no repair round for a model that failed more than it succeeded: {fallbacks:?}"
    );
    for later in ["stylesheet", "logo", "icons", "entity_module"] {
        let r = reason(later);
        assert!(
            r.contains("fake-local failed in 2 tasks of this build") && r.contains("succeeded in 0"),
            "{later}: {r}"
        );
    }
    let (accepted, failed): (i32, i32) =
        sqlx::query_as("select model_accepted, model_failed from projects where id = $1::uuid")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((accepted, failed), (0, 2));

    // Allowed three failures, the build reaches the parallel tasks still asking: the
    // third failure (a quick asset answer) stops the stylesheet's call while it streams.
    fake.requests.lock().unwrap().clear();
    let id = start(&app, json!({ "max_model_failures": 3 })).await;
    let b = wait_done(&app, &id, Duration::from_secs(60)).await;
    assert_eq!(b["status"], "completed", "{b}");
    let stylesheet = events(&pool, &id, "build.fallback")
        .await
        .into_iter()
        .find(|f| f["purpose"] == "stylesheet")
        .expect("a stylesheet fallback");
    let why = stylesheet["reason"].as_str().unwrap();
    assert!(why.contains("failed in 3 tasks"), "{why}");
    let asked: Vec<Value> = fake.requests.lock().unwrap().clone();
    assert!(
        asked.iter().any(|r| r["messages"][0]["content"]
            .as_str()
            .unwrap()
            .starts_with("You are the design agent")),
        "the stylesheet was asked"
    );
    // Its minute-long answer was dropped part-way.
    let finished = fake.finished.lock().unwrap().clone();
    assert!(!finished.is_empty());
    assert!(
        finished.iter().all(|s| !s.starts_with("You are the design agent")),
        "the stylesheet's answer streamed to its end"
    );
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_answer_that_took_half_the_call_timeout_gets_no_repair_round(pool: PgPool) {
    // About 4 s an answer, against a 5 s call timeout: a repair would cost as much again.
    let (base, requests) = fake_model(
        8192,
        Pace::Slow {
            chunks: 4,
            every: Duration::from_secs(1),
        },
    )
    .await;
    let app = app_with_model(pool.clone(), &base, |c| c.llm_timeout_secs = 5).await;
    let id = start(&app, json!({})).await;
    let b = wait_done(&app, &id, Duration::from_secs(60)).await;
    assert_eq!(b["status"], "completed", "{b}");
    let asked = requests.lock().unwrap().clone();
    assert!(
        asked.iter().all(|r| r["messages"].as_array().unwrap().len() == 2),
        "no request was a repair"
    );
    // The analysis and the reflection, each failing once, and the build stops asking.
    assert_eq!(asked.len(), 2, "{} requests", asked.len());
    let fallbacks = events(&pool, &id, "build.fallback").await;
    let analysis = fallbacks
        .iter()
        .find(|f| f["purpose"] == "analysis")
        .and_then(|f| f["reason"].as_str())
        .unwrap_or_else(|| panic!("{fallbacks:?}"));
    assert!(analysis.contains("no repair round: the answer took"), "{analysis}");
    app.stop().await;
}

/// A model that revises: asked to change a spec, it answers the spec it was given with a
/// corner radius of 3 (its mark) and without the field asked for; every other request gets
/// plausible prose that no validator accepts. Records each request's system prompt and
/// user message.
async fn revising_model() -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    type Log = Arc<Mutex<Vec<(String, String)>>>;
    async fn chat(State(log): State<Log>, Json(body): Json<Value>) -> Json<Value> {
        let system = body["messages"][0]["content"].as_str().unwrap_or("").to_owned();
        let user = body["messages"][1]["content"].as_str().unwrap_or("").to_owned();
        log.lock().unwrap().push((system.clone(), user.clone()));
        let content = if system.starts_with("You are Starri, the planning agent of Nexus Forge. A person built") {
            let json = user
                .split_once("The app spec:\n")
                .and_then(|(_, rest)| rest.split_once("\n\nThe change:"))
                .map(|(spec, _)| spec)
                .unwrap_or("{}");
            let mut spec: Value = serde_json::from_str(json).unwrap_or_default();
            spec["theme"]["radius"] = json!(3);
            spec.to_string()
        } else {
            "Here is my answer: it looks good to me.".to_owned()
        };
        Json(json!({
            "id": "x", "object": "chat.completion", "model": "fake-local",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": content }, "finish_reason": "stop" }],
            "usage": { "prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150 }
        }))
    }
    let log: Log = Default::default();
    let app = Router::new()
        .route(
            "/props",
            get(|| async { Json(json!({ "default_generation_settings": { "n_ctx": 32768 } })) }),
        )
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat))
        .with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/v1"), log)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_models_revision_is_refereed_and_reused_tasks_ask_it_nothing(pool: PgPool) {
    let (base, log) = revising_model().await;
    // A high failure limit, so the model is asked for every task that runs.
    let app = app_with_model(pool, &base, |_| {}).await;
    let config = json!({ "max_model_failures": 1000 });
    let first = start(&app, config.clone()).await;
    let a = wait_done(&app, &first, Duration::from_secs(60)).await;
    assert_eq!(a["status"], "completed", "{a}");
    let asked_before = log.lock().unwrap().len();

    let res = app
        .post_json(
            &format!("/api/nexus-forge/build/{first}/iterate"),
            &json!({ "prompt": "add a source field to books", "config": config }),
        )
        .await;
    assert_eq!(res.status(), 202);
    let second = res.json::<Value>().await.unwrap()["build_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = wait_done(&app, &second, Duration::from_secs(60)).await;
    assert_eq!(b["status"], "completed", "{b}");

    // The model's spec was used (its mark), and the field it left out was added by the
    // offline reading of the request.
    assert_eq!(b["spec"]["theme"]["radius"], 3, "{}", b["spec"]["theme"]);
    let book = b["spec"]["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "book")
        .unwrap();
    assert!(
        book["fields"].as_array().unwrap().iter().any(|f| f["name"] == "source"),
        "{book}"
    );
    let revise = b["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "revise")
        .unwrap();
    assert_eq!(revise["output"]["spec_source"]["source"], "model", "{revise}");
    let changes: Vec<&str> = b["revision"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        changes.iter().any(|c| c.contains("added the field Source")),
        "{changes:?}"
    );
    assert!(
        changes.iter().any(|c| c.starts_with("The corner radius is now 3")),
        "{changes:?}"
    );

    // What reran asked the model; what was carried over did not.
    let reused: Vec<&str> = b["revision"]["reused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(
        reused,
        ["assets"],
        "the radius reruns the design, the field the book module and the shell"
    );
    let asked: Vec<(String, String)> = log.lock().unwrap()[asked_before..].to_vec();
    let about = |start: &str| asked.iter().filter(|(s, _)| s.starts_with(start)).collect::<Vec<_>>();
    assert_eq!(
        about("You are Starri, the planning agent of Nexus Forge. A person built").len(),
        1
    );
    assert!(
        about("You are the asset agent").is_empty(),
        "the art was reused: {asked:?}"
    );
    assert!(
        !about("You are the design agent").is_empty(),
        "the radius changed the stylesheet"
    );
    let modules = about("You are Jules");
    assert!(
        !modules.is_empty() && modules.iter().all(|(_, u)| u.contains("\"book\"")),
        "only the book module: {modules:?}"
    );
    app.stop().await;
}
