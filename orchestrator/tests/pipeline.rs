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
    verify::{BrowserChoice, VerifySettings},
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
        serde_json::to_string(&model_spec(spec)).unwrap()
    } else if system.contains("Starri's reviewer") {
        json!({ "spec": model_spec(spec), "reflection": ["checked by the model"], "confidence": 0.9 }).to_string()
    } else if system.contains("entity module") {
        format!(
            "// written by the model\n{}",
            generator::entity_module(&model_spec(spec), "habit").content
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

/// The spec as the model answers it: the offline one, renamed (so its files can be told apart).
fn model_spec(spec: &AppSpec) -> AppSpec {
    AppSpec {
        name: "Model Habits".into(),
        ..spec.clone()
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
            // Most tests here are about models; the browser check has its own tests below.
            .verify(VerifySettings::off())
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

/// Waits (up to two minutes: a build checked in a browser on a busy machine takes a while)
/// for a build to finish.
async fn wait_build(orch: &Orchestrator, id: BuildId) -> BuildView {
    for _ in 0..2400 {
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
            .verify(VerifySettings::off())
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
            .verify(VerifySettings::off())
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

// ---- The browser check (`verify`): Debian's chromium, as CI installs it. ----

async fn start_verifying(pool: &PgPool, providers: Providers, browser: BrowserChoice) -> Process {
    Process::start(
        Orchestrator::builder(pool.clone())
            .scheduler(fast_config("verify"))
            .providers(providers)
            .verify(VerifySettings {
                browser,
                tabs: 2,
                time_limit: Duration::from_secs(90),
            })
            .build(),
    )
    .await
}

/// The browser the check uses here: these tests need one (`scripts/dev setup` installs it).
fn chromium() -> BrowserChoice {
    for p in [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ] {
        if std::path::Path::new(p).is_file() {
            return BrowserChoice::Path(p.into());
        }
    }
    panic!("the browser check's tests need Chromium: run scripts/dev setup (it installs Debian's chromium)");
}

async fn events_of(pool: &PgPool, id: BuildId, kind: &str) -> Vec<Value> {
    sqlx::query_scalar("select payload from coordination_events where kind = $2 and project_id = $1 order by id")
        .bind(id.0)
        .bind(kind)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// An entity module that passes every static check but saves nothing: its `validate`
/// refuses every record (a plausible model mistake only a browser finds).
fn broken_module(spec: &AppSpec, entity: &str) -> String {
    let e = spec.entity(entity).unwrap();
    let good = generator::entity_module(spec, entity).content;
    let broken = good.replacen(
        "var errors = {};",
        &format!(
            "var errors = {{}}; errors[{:?}] = \"Never valid (broken on purpose).\";",
            e.fields[0].name
        ),
        1,
    );
    assert_ne!(broken, good);
    format!("// written by the model\n{broken}")
}

#[sqlx::test(migrations = "../migrations")]
async fn every_page_is_driven_in_a_browser_with_a_screenshot_each_and_the_zip_has_them(pool: PgPool) {
    let p = start_verifying(&pool, Providers::offline(Duration::ZERO), chromium()).await;
    let id = build(&p, BuildConfig::default()).await;
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Completed, "{:?}", b.error);
    let verify = b.tasks.iter().find(|t| t.key == "verify").expect("a verify task");
    assert_eq!(verify.state, TaskState::Succeeded);
    let package = b.tasks.iter().find(|t| t.key == "package").unwrap();
    assert_eq!(package.dependencies, ["verify"], "the zip waits for the check");

    let report = b.verify.clone().expect("a report");
    assert_eq!(report.outcome, "passed", "{report:#?}");
    assert_eq!(report.rounds.len(), 1);
    let round = &report.rounds[0];
    assert!(round.problems.is_empty(), "{:#?}", round.problems);
    let spec = b.spec.clone().unwrap();
    // Every page of the spec, then the phone.
    let driven: Vec<&str> = round.pages.iter().map(|p| p.page.as_str()).collect();
    let mut expected: Vec<&str> = spec.pages.iter().map(|p| p.id.as_str()).collect();
    expected.push("phone");
    assert_eq!(driven, expected);
    for page in round.pages.iter().filter(|p| p.kind == "list") {
        assert_eq!(
            page.steps,
            ["opened", "created", "listed", "searched", "deleted"],
            "{}",
            page.page
        );
    }
    // One PNG per page, stored, served, and in the zip.
    assert_eq!(report.screenshots.len(), expected.len());
    let mut zipped = zip::ZipArchive::new(std::io::Cursor::new(
        p.orch.build_package(id, &Actor::system()).await.unwrap().content,
    ))
    .unwrap();
    for path in &report.screenshots {
        let shot = p.orch.build_screenshot(id, path, &Actor::system()).await.unwrap();
        assert!(shot.content.starts_with(b"\x89PNG\r\n\x1a\n"), "{path} is a PNG");
        assert!(shot.content.len() > 2000, "{path} shows something");
        let folder = zipped
            .file_names()
            .next()
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        assert!(
            zipped.by_name(&format!("{folder}/{path}")).is_ok(),
            "{path} is in the zip"
        );
    }
    let rounds = events_of(&pool, id, "build.verified").await;
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0]["passed"], true);
    assert!(events_of(&pool, id, "build.verify_skipped").await.is_empty());
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_module_broken_in_the_browser_goes_back_to_the_model_once_then_to_the_offline_generator(pool: PgPool) {
    let server = MockServer::start().await;
    let spec = offline_spec();
    let entity = spec.entities[0].name.clone();
    // Every entity module the model writes is broken, the repair too.
    let broken = broken_module(&model_spec(&spec), &entity);
    Mock::given(body_string_contains("entity module"))
        .respond_with(openai_reply(&broken))
        .with_priority(1)
        .mount(&server)
        .await;
    answer_well(&server, spec.clone()).await;
    let p = start_verifying(&pool, openai_provider(&server, Duration::from_secs(5), 0), chromium()).await;
    let id = build(&p, openai()).await;
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Completed, "{:?}", b.error);
    let report = b.verify.clone().expect("a report");
    assert_eq!(report.outcome, "passed", "{report:#?}");
    assert_eq!(report.rounds.len(), 3, "{report:#?}");
    let module = generator::entity_module_path(&entity);
    // Round 1: the model's module saved nothing; it went back to the model with the report.
    let first = &report.rounds[0];
    assert!(!first.passed);
    assert!(
        first.problems.iter().any(|p| p.kind == "flow"
            && p.module.as_deref() == Some(module.as_str())
            && p.message.contains("Never valid")),
        "{:#?}",
        first.problems
    );
    assert_eq!(first.repairs.len(), 1);
    assert_eq!(first.repairs[0].via, "model");
    // Round 2: the repaired module failed too; the offline one replaced it.
    assert!(!report.rounds[1].passed);
    assert_eq!(report.rounds[1].repairs[0].via, "offline");
    assert!(report.rounds[2].passed, "{:#?}", report.rounds[2].problems);
    let b_spec = b.spec.clone().unwrap();
    assert_eq!(
        file(&p.orch, id, &module).await,
        generator::entity_module(&b_spec, &entity).content
    );
    // The model was asked to repair with the browser's words.
    let requests = server.received_requests().await.unwrap();
    let repair = requests
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .find(|body| body.contains("Opened in a real browser"))
        .expect("a repair request");
    assert!(repair.contains("Never valid"), "the report is in the prompt");
    let repaired = events_of(&pool, id, "build.repaired").await;
    let via: Vec<&str> = repaired.iter().filter_map(|e| e["via"].as_str()).collect();
    assert_eq!(via, ["model", "offline"]);
    assert_eq!(events_of(&pool, id, "build.verified").await.len(), 3);
    // The zip holds the working module.
    let mut zipped = zip::ZipArchive::new(std::io::Cursor::new(
        p.orch.build_package(id, &Actor::system()).await.unwrap().content,
    ))
    .unwrap();
    let name = zipped.file_names().find(|n| n.ends_with(&module)).unwrap().to_owned();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zipped.by_name(&name).unwrap(), &mut text).unwrap();
    assert!(!text.contains("Never valid"));
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_model_that_fixes_its_module_when_shown_the_report_keeps_it(pool: PgPool) {
    let server = MockServer::start().await;
    let spec = offline_spec();
    let entity = spec.entities[0].name.clone();
    let named = model_spec(&spec);
    // The first module is broken; shown the browser's report, the model fixes it.
    Mock::given(body_string_contains("Opened in a real browser"))
        .respond_with(openai_reply(&format!(
            "// fixed by the model\n{}",
            generator::entity_module(&named, &entity).content
        )))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(body_string_contains("entity module"))
        .respond_with(openai_reply(&broken_module(&named, &entity)))
        .with_priority(2)
        .mount(&server)
        .await;
    answer_well(&server, spec.clone()).await;
    let p = start_verifying(&pool, openai_provider(&server, Duration::from_secs(5), 0), chromium()).await;
    let id = build(&p, openai()).await;
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Completed, "{:?}", b.error);
    let report = b.verify.clone().unwrap();
    assert_eq!(report.outcome, "passed", "{report:#?}");
    assert_eq!(report.rounds.len(), 2);
    assert_eq!(report.rounds[0].repairs[0].via, "model");
    let module = generator::entity_module_path(&entity);
    assert!(file(&p.orch, id, &module).await.starts_with("// fixed by the model"));
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn with_no_browser_the_build_completes_and_says_the_check_was_skipped(pool: PgPool) {
    let missing = BrowserChoice::Path("/nonexistent/chromium".into());
    let p = start_verifying(&pool, Providers::offline(Duration::ZERO), missing).await;
    let id = build(&p, BuildConfig::default()).await;
    let b = wait_build(&p.orch, id).await;
    assert_eq!(b.status, BuildStatus::Completed, "{:?}", b.error);
    assert!(b.download_url.is_some());
    let report = b.verify.unwrap();
    assert_eq!(report.outcome, "skipped");
    assert!(
        report.reason.as_deref().unwrap().contains("/nonexistent/chromium"),
        "{report:?}"
    );
    let skipped = events_of(&pool, id, "build.verify_skipped").await;
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0]["reason"].as_str().unwrap().contains("does not exist"));
    assert!(events_of(&pool, id, "build.verified").await.is_empty());
    p.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_app_of_every_sample_prompt_passes_the_browser_check(pool: PgPool) {
    let p = start_verifying(&pool, Providers::offline(Duration::ZERO), chromium()).await;
    let mut prompts: Vec<&str> = generator::SAMPLE_PROMPTS.to_vec();
    prompts.extend([
        "a notes app called <script>alert(\"x\")</script> & \"friends\" with tags",
        "Keep track of my car's fuel fill-ups: date, litres, price and odometer",
        "Verwaltung für unseren Sportverein: Mitglieder mit Name, Geburtsdatum, E-Mail und Beitrag bezahlt",
        "photography portfolio: albums and photos with camera settings (ISO, aperture, shutter)",
        "a kanban board for my tasks with a calendar of due dates and a pomodoro timer",
    ]);
    let mut failures = Vec::new();
    // Four at a time: a person may have four builds running.
    for chunk in prompts.chunks(4) {
        let mut ids = Vec::new();
        for prompt in chunk {
            let request = StartBuildRequest {
                prompt: (*prompt).into(),
                config: BuildConfig::default(),
            };
            ids.push((
                prompt,
                p.orch.start_build(&request, &Actor::system()).await.unwrap().build_id,
            ));
        }
        for (prompt, id) in ids {
            let b = wait_build(&p.orch, id).await;
            assert_eq!(b.status, BuildStatus::Completed, "{prompt}: {:?}", b.error);
            let report = b.verify.unwrap();
            let pages = b.spec.unwrap().pages.len();
            if report.outcome != "passed" || report.screenshots.len() != pages + 1 {
                failures.push(format!("{prompt}: {report:#?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    p.stop().await;
}
