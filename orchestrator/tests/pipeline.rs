//! The build pipeline against loopback servers speaking the real Gemini and OpenAI wire
//! formats (wiremock): happy paths, repairs, fallbacks, retries, timeouts and budgets.

mod common;

use std::time::{Duration, Instant};

use common::{fast_config, Process};
use domain::{
    api::{BuildConfig, BuildView, StartBuildRequest},
    ids::BuildId,
    spec::AppSpec,
    status::{BuildStatus, TaskState},
};
use orchestrator::{
    llm::{
        gemini::{Gemini, GeminiConfig},
        openai::{OpenAi, OpenAiConfig},
        resilient::{BreakerConfig, Resilient, RetryConfig},
        Providers, SecretString,
    },
    Actor, Orchestrator,
};
use serde_json::{json, Value};
use sqlx::PgPool;
use wiremock::{
    matchers::{body_string_contains, header, method, path},
    Mock, MockServer, Request, ResponseTemplate,
};

const PROMPT: &str = "a habit tracker with streaks and dark mode";

/// What a competent model would answer for each purpose, marked so tests can tell the
/// model's files from the offline generator's.
fn good_answer(system: &str, spec: &AppSpec) -> String {
    if system.contains("Starri, the planning agent") {
        let mut s = spec.clone();
        s.name = "Model Habits".into();
        serde_json::to_string(&s).unwrap()
    } else if system.contains("Starri's reviewer") {
        let mut s = spec.clone();
        s.name = "Model Habits".into();
        json!({ "spec": s, "reflection": ["checked by the model"], "confidence": 0.9 }).to_string()
    } else if system.contains("entity module") {
        let mut s = spec.clone();
        s.name = "Model Habits".into();
        format!(
            "// written by the model\n{}",
            generator::entity_module(&s, "habit").content
        )
    } else if system.contains("design agent") {
        format!("/* styled by the model */\n{}", generator::stylesheet(spec).content)
    } else if system.contains("Draw a simple, distinctive logo") {
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="30" fill="#7c3aed"/></svg>"##.into()
    } else if system.contains("Draw one small icon per path") {
        let icons: serde_json::Map<String, Value> = generator::icons(spec)
            .into_iter()
            .map(|f| (f.path, json!(r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect width="24" height="24" fill="#10b981"/></svg>"##)))
            .collect();
        json!({ "icons": icons }).to_string()
    } else {
        "a work note".into()
    }
}

fn offline_spec() -> AppSpec {
    generator::analyze(PROMPT).spec
}

fn system_of_openai(req: &Request) -> String {
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    body["messages"][0]["content"].as_str().unwrap_or_default().to_owned()
}

fn openai_reply(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-test",
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": text }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150 }
    }))
}

/// Answers every OpenAI-format request well, below any more specific mock.
async fn answer_well(server: &MockServer, spec: AppSpec) {
    Mock::given(method("POST"))
        .respond_with(move |req: &Request| openai_reply(&good_answer(&system_of_openai(req), &spec)))
        .with_priority(5)
        .mount(server)
        .await;
}

fn openai_provider(server: &MockServer, timeout: Duration, retries: u32) -> Providers {
    Providers::offline(Duration::ZERO).with(
        "openai",
        Resilient::new(
            OpenAi::new(
                reqwest::Client::new(),
                OpenAiConfig {
                    base_url: format!("{}/v1", server.uri()),
                    api_key: SecretString::new("sk-test"),
                    model: "gpt-test".into(),
                    timeout,
                    stall: Duration::from_secs(30),
                },
            ),
            RetryConfig {
                max_retries: retries,
                base_delay: Duration::from_millis(50),
                ..Default::default()
            },
            BreakerConfig::default(),
        ),
    )
}

async fn start(pool: &PgPool, providers: Providers) -> Process {
    Process::start(
        Orchestrator::builder(pool.clone())
            .scheduler(fast_config("pipeline"))
            .providers(providers)
            .build(),
    )
    .await
}

async fn build(p: &Process, config: BuildConfig) -> BuildId {
    p.orch
        .start_build(
            &StartBuildRequest {
                prompt: PROMPT.into(),
                config,
            },
            &Actor::system(),
        )
        .await
        .unwrap()
        .build_id
}

async fn wait_build(orch: &Orchestrator, id: BuildId) -> BuildView {
    for _ in 0..600 {
        let b = orch.get_build(id, &Actor::system()).await.unwrap();
        if b.status.is_terminal() && b.tasks.iter().all(|t| t.state != TaskState::Running) {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("build {id} did not finish");
}

async fn fallbacks(pool: &PgPool, id: BuildId) -> Vec<Value> {
    sqlx::query_scalar(
        "select payload from coordination_events where kind = 'build.fallback' and project_id = $1 order by id",
    )
    .bind(id.0)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn file(orch: &Orchestrator, id: BuildId, path: &str) -> String {
    String::from_utf8(orch.build_file(id, &Actor::system(), path).await.unwrap().content).unwrap()
}

fn openai() -> BuildConfig {
    BuildConfig {
        provider: Some("openai".into()),
        ..Default::default()
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn an_offline_build_produces_a_checked_packaged_app(pool: PgPool) {
    let p = start(&pool, Providers::offline(Duration::ZERO)).await;
    let id = build(&p, BuildConfig::default()).await;
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Completed, "{:?}", b.error);
    assert_eq!(b.progress, 100.0);
    assert!(b
        .spec
        .as_ref()
        .unwrap()
        .features
        .contains(&domain::spec::Feature::DarkMode));
    assert!(b.confidence.unwrap() > 0.0 && !b.reflection.is_empty());
    let agents: std::collections::BTreeSet<_> = b.tasks.iter().filter_map(|t| t.agent.clone()).collect();
    assert_eq!(agents.len(), 4, "every seeded agent took part: {agents:?}");
    for a in &b.artifacts {
        let f = generator::GeneratedFile {
            path: a.path.clone(),
            content_type: a.content_type.clone(),
            content: file(&p.orch, id, &a.path).await,
        };
        generator::check_file(&f).unwrap_or_else(|e| panic!("{}: {e:?}", a.path));
    }
    let zip = p.orch.build_package(id, &Actor::system()).await.unwrap();
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip.content)).unwrap();
    assert_eq!(archive.len(), b.artifacts.len());
    assert!(fallbacks(&pool, id).await.is_empty());
    let progress: Vec<f64> = sqlx::query_scalar(
        "select (payload->>'progress')::float8 from coordination_events where kind = 'build.progress' and project_id = $1 order by id",
    )
    .bind(id.0)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        progress.windows(2).all(|w| w[0] <= w[1]),
        "progress went backwards: {progress:?}"
    );
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_openai_compatible_model_builds_the_app(pool: PgPool) {
    let server = MockServer::start().await;
    let spec = offline_spec();
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", "Bearer sk-test"))
        .respond_with(move |req: &Request| openai_reply(&good_answer(&system_of_openai(req), &spec)))
        .mount(&server)
        .await;
    let p = start(&pool, openai_provider(&server, Duration::from_secs(5), 0)).await;
    let id = build(&p, openai()).await;
    let b = wait_build(&p.orch, id).await;

    assert_eq!(b.status, BuildStatus::Completed, "{:?}", b.error);
    assert_eq!(b.name.as_deref(), Some("Model Habits"));
    assert!(file(&p.orch, id, "css/styles.css")
        .await
        .starts_with("/* styled by the model */"));
    assert!(file(&p.orch, id, "js/entities/habit.js")
        .await
        .starts_with("// written by the model"));
    assert!(file(&p.orch, id, "assets/logo.svg").await.contains("circle"));
    assert!(fallbacks(&pool, id).await.is_empty());
    // analysis, reflection, stylesheet, logo, icons, one entity: six calls of 150 tokens.
    assert_eq!(b.llm_calls, 6);
    assert_eq!(b.tokens_used, 900);
    // The first chat request (the server was also asked for its context, /props).
    let requests = server.received_requests().await.unwrap();
    let chat: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/v1/chat/completions")
        .collect();
    let first: Value = serde_json::from_slice(&chat[0].body).unwrap();
    assert_eq!(first["model"], "gpt-test");
    assert_eq!(first["response_format"]["type"], "json_object");
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn gemini_builds_the_app_with_its_own_wire_format(pool: PgPool) {
    let server = MockServer::start().await;
    let spec = offline_spec();
    Mock::given(method("POST"))
        .and(path("/v1beta/models/gemini-2.5-flash:generateContent"))
        .and(header("x-goog-api-key", "g-test"))
        .respond_with(move |req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap();
            let system = body["systemInstruction"]["parts"][0]["text"].as_str().unwrap_or_default();
            assert_eq!(body["generationConfig"]["thinkingConfig"]["thinkingBudget"], 512);
            ResponseTemplate::new(200).set_body_json(json!({
                "candidates": [{ "content": { "role": "model", "parts": [
                    { "text": "thinking it over", "thought": true },
                    { "text": good_answer(system, &spec) }
                ] }, "finishReason": "STOP" }],
                "usageMetadata": { "promptTokenCount": 80, "candidatesTokenCount": 40, "thoughtsTokenCount": 30, "totalTokenCount": 150 },
                "modelVersion": "gemini-2.5-flash"
            }))
        })
        .mount(&server)
        .await;
    let gemini = Gemini::new(
        reqwest::Client::new(),
        GeminiConfig {
            base_url: server.uri(),
            api_key: SecretString::new("g-test"),
            model: "gemini-2.5-flash".into(),
            thinking_budget: Some(512),
            timeout: Duration::from_secs(5),
        },
    );
    let providers = Providers::offline(Duration::ZERO).with(
        "gemini",
        Resilient::new(gemini, RetryConfig::default(), BreakerConfig::default()),
    );
    let p = start(&pool, providers).await;
    let id = build(
        &p,
        BuildConfig {
            provider: Some("gemini".into()),
            ..Default::default()
        },
    )
    .await;
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Completed, "{:?}", b.error);
    assert_eq!(b.name.as_deref(), Some("Model Habits"));
    assert!(file(&p.orch, id, "js/entities/habit.js")
        .await
        .starts_with("// written by the model"));
    assert_eq!(b.tokens_used, 6 * 150, "thinking tokens count");
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn malformed_json_is_repaired_with_the_validators_complaints(pool: PgPool) {
    let server = MockServer::start().await;
    let spec = offline_spec();
    // The first analysis answer is broken JSON; the repair is fine.
    Mock::given(body_string_contains("Starri, the planning agent"))
        .respond_with(openai_reply("{\"name\": \"Model Habits\", \"summary\": "))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    answer_well(&server, spec).await;
    let p = start(&pool, openai_provider(&server, Duration::from_secs(5), 0)).await;
    let id = build(&p, openai()).await;
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Completed, "{:?}", b.error);
    assert_eq!(b.name.as_deref(), Some("Model Habits"), "the repaired spec was used");
    assert!(fallbacks(&pool, id).await.is_empty());
    let analysis = b
        .tasks
        .iter()
        .find(|t| t.key == "analysis")
        .unwrap()
        .output
        .clone()
        .unwrap();
    assert_eq!(analysis["spec_source"]["repairs"], 1);
    // The repair quoted the parser's complaint back to the model.
    let requests = server.received_requests().await.unwrap();
    let repair = requests
        .iter()
        .filter(|r| r.url.path() == "/v1/chat/completions")
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .find(|b| b["messages"].as_array().unwrap().len() == 4)
        .expect("a repair request");
    assert!(repair["messages"][3]["content"]
        .as_str()
        .unwrap()
        .contains("rejected by the validator"));
    assert_eq!(repair["messages"][2]["role"], "assistant");
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn garbage_twice_falls_back_to_the_offline_generator(pool: PgPool) {
    let server = MockServer::start().await;
    let spec = offline_spec();
    Mock::given(body_string_contains("entity module"))
        .respond_with(openai_reply("Sure! Here is your module: console.log('hi'"))
        .with_priority(1)
        .mount(&server)
        .await;
    answer_well(&server, spec).await;
    let p = start(&pool, openai_provider(&server, Duration::from_secs(5), 0)).await;
    let id = build(&p, openai()).await;
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Completed, "{:?}", b.error);
    let events = fallbacks(&pool, id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["purpose"], "entity_module");
    assert!(
        events[0]["reason"].as_str().unwrap().contains("rejected 2 times"),
        "{}",
        events[0]
    );
    let module = file(&p.orch, id, "js/entities/habit.js").await;
    assert!(!module.starts_with("// written by the model"));
    assert!(module.contains("NexusApp.registerEntity"));
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_429_is_retried_after_its_retry_after(pool: PgPool) {
    let server = MockServer::start().await;
    let spec = offline_spec();
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({ "error": { "message": "slow down", "type": "rate_limit" } })),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    answer_well(&server, spec).await;
    let p = start(&pool, openai_provider(&server, Duration::from_secs(5), 2)).await;
    let started = Instant::now();
    let id = build(&p, openai()).await;
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Completed, "{:?}", b.error);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the Retry-After was not honoured"
    );
    assert!(fallbacks(&pool, id).await.is_empty());
    assert_eq!(b.name.as_deref(), Some("Model Habits"));
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_hung_endpoint_times_out_and_the_build_falls_back(pool: PgPool) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(openai_reply("{}").set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let p = start(&pool, openai_provider(&server, Duration::from_millis(300), 0)).await;
    let id = build(&p, openai()).await;
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Completed, "{:?}", b.error);
    let events = fallbacks(&pool, id).await;
    assert!(!events.is_empty());
    // Each call times out; after five the circuit opens and the rest fail fast, unless the
    // build has stopped asking a model that failed in two tasks first.
    let reasons: Vec<&str> = events.iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert!(reasons[0].contains("did not answer within 300ms"), "{reasons:?}");
    assert!(
        reasons.iter().all(|r| r.contains("did not answer within")
            || r.contains("calls are paused")
            || r.contains("failed in 2 tasks of this build")),
        "{reasons:?}"
    );
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_build_over_its_call_budget_fails_with_the_reason(pool: PgPool) {
    let server = MockServer::start().await;
    let spec = offline_spec();
    answer_well(&server, spec).await;
    let p = start(&pool, openai_provider(&server, Duration::from_secs(5), 0)).await;
    let id = build(
        &p,
        BuildConfig {
            max_llm_calls: Some(1),
            ..openai()
        },
    )
    .await;
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Failed);
    let error = b.error.unwrap();
    assert!(error.contains("model-call budget is used up (1 of 1 calls)"), "{error}");
    assert_eq!(b.llm_calls, 1);
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn cancelling_a_build_stops_it(pool: PgPool) {
    let p = start(&pool, Providers::offline(Duration::from_millis(400))).await;
    let id = build(&p, BuildConfig::default()).await;
    for _ in 0..100 {
        if p.orch.get_build(id, &Actor::system()).await.unwrap().status == BuildStatus::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let view = p.orch.cancel_build(id, &Actor::system()).await.unwrap();
    assert_eq!(view.status, BuildStatus::Cancelled);
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Cancelled);
    assert!(
        b.tasks
            .iter()
            .all(|t| matches!(t.state, TaskState::Cancelled | TaskState::Succeeded)),
        "{:?}",
        b.tasks
    );
    assert!(b.download_url.is_none());
    // Nothing runs on after the cancel: watched for 800 ms, nothing changes.
    let states = |v: &domain::api::BuildView| v.tasks.iter().map(|t| (t.key.clone(), t.state)).collect::<Vec<_>>();
    let end = tokio::time::Instant::now() + Duration::from_millis(800);
    while tokio::time::Instant::now() < end {
        let later = p.orch.get_build(id, &Actor::system()).await.unwrap();
        assert_eq!(states(&later), states(&b));
        assert_eq!(later.artifacts.len(), b.artifacts.len());
        assert_eq!(later.status, BuildStatus::Cancelled);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(matches!(
        p.orch.cancel_build(id, &Actor::system()).await,
        Err(orchestrator::Error::Conflict(_))
    ));
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_build_survives_its_server_dying_mid_way(pool: PgPool) {
    let short_lease = |name: &str| orchestrator::scheduler::SchedulerConfig {
        lease: Duration::from_millis(800),
        ..fast_config(name)
    };
    let a = Process::start(
        Orchestrator::builder(pool.clone())
            .scheduler(short_lease("a"))
            .providers(Providers::offline(Duration::from_millis(300)))
            .build(),
    )
    .await;
    let id = build(&a, BuildConfig::default()).await;
    for _ in 0..200 {
        if a.orch.get_build(id, &Actor::system()).await.unwrap().phase >= domain::status::BuildPhase::Generation {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill();
    let b = Process::start(
        Orchestrator::builder(pool.clone())
            .scheduler(short_lease("b"))
            .providers(Providers::offline(Duration::ZERO))
            .build(),
    )
    .await;
    let done = wait_build(&b.orch, id).await;
    assert_eq!(done.status, BuildStatus::Completed, "{:?}", done.error);
    assert!(done.preview_url.is_some() && done.download_url.is_some());
    b.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_status_is_one_snapshot_shared_while_fresh_and_recomputed_after(pool: PgPool) {
    let orch = orchestrator::Orchestrator::new(pool);
    let me = Actor::system();
    let window = std::time::Duration::from_secs(60);
    let workflows = |s: &domain::api::OrchestratorStatus| s.workflows.values().sum::<i64>();
    let started = std::time::Instant::now();
    let first = orch.status(window, &me).await.unwrap();
    let request = domain::api::DecomposeRequest {
        description: "write a short poem about the sea".into(),
        ..Default::default()
    };
    orch.decompose(&request, &me).await.unwrap();
    // Many callers at once within the bound: one computation, every caller gets it.
    let answers = futures::future::join_all((0..20).map(|_| orch.status(window, &me))).await;
    if started.elapsed() < orchestrator::STATUS_FRESH {
        for a in &answers {
            let a = a.as_ref().unwrap();
            assert_eq!(a.at, first.at);
            assert_eq!(workflows(a), workflows(&first));
        }
    }
    // After the bound, the next caller sees the change.
    tokio::time::sleep(orchestrator::STATUS_FRESH + std::time::Duration::from_millis(20)).await;
    let fresh = orch.status(window, &me).await.unwrap();
    assert_eq!(workflows(&fresh), workflows(&first) + 1);
    assert!(fresh.at > first.at);
}
