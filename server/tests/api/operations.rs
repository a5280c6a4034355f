//! Running it as a service: `/metrics` (who may read it, and that work moves its numbers),
//! the metrics listener, request ids, and how the browser bundle is sent and cached.

use std::{collections::BTreeSet, time::Duration};

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::{
    builds::{start, wait_done},
    helpers::{person, spawn_app, spawn_app_with, test_config, TestApp},
};

/// The sum of every sample of `name` whose labels include all of `labels` (0 when none).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            let (metric, rest) = key.split_once('{').unwrap_or((key, ""));
            (metric == name && labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

async fn scrape(app: &TestApp) -> String {
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    res.text().await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn metrics_are_for_admins_and_a_build_moves_them(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let member = TestApp::client_for(&person(&pool, "member", false).await);

    let anon = app.anon.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(anon.status(), 401);
    let refused = member.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(refused.status(), 403);

    let before = scrape(&app).await;
    assert_eq!(
        sample(&before, "nf_builds", &[("status", "completed")]),
        0.0,
        "{before}"
    );
    let started = sample(&before, "nf_builds_started_total", &[]);
    let finished = sample(&before, "nf_builds_finished_total", &[("outcome", "completed")]);
    let tasks_ok = sample(&before, "nf_tasks_finished_total", &[("outcome", "succeeded")]);

    let id = start(&app, "a reading log with books, authors and ratings").await;
    let b = wait_done(&app, &id).await;
    assert_eq!(b["status"], "completed", "{b}");
    let tasks = b["tasks"].as_array().unwrap().len() as f64;

    let after = scrape(&app).await;
    // Shared totals, read from this test's own database: exact.
    assert_eq!(sample(&after, "nf_builds", &[("status", "completed")]), 1.0, "{after}");
    assert_eq!(sample(&after, "nf_tasks", &[("state", "succeeded")]), tasks, "{after}");
    assert_eq!(sample(&after, "nf_queue_depth", &[]), 0.0);
    assert!(sample(&after, "nf_db_pool_connections", &[("state", "max")]) >= 2.0);
    // This process's counters (other tests in the process may add to them too).
    assert!(sample(&after, "nf_builds_started_total", &[]) >= started + 1.0);
    assert!(sample(&after, "nf_builds_finished_total", &[("outcome", "completed")]) >= finished + 1.0);
    assert!(sample(&after, "nf_tasks_finished_total", &[("outcome", "succeeded")]) >= tasks_ok + tasks);
    assert!(
        sample(&after, "nf_task_duration_seconds_count", &[("kind", "build_analysis")]) >= 1.0,
        "{after}"
    );
    assert!(sample(&after, "nf_task_queue_wait_seconds_count", &[]) >= 1.0);
    assert!(
        sample(
            &after,
            "nf_llm_calls_total",
            &[("provider", "offline"), ("outcome", "ok")]
        ) >= 1.0,
        "{after}"
    );
    // HTTP by route pattern, never by raw path.
    assert!(
        sample(
            &after,
            "nf_http_requests_total",
            &[
                ("method", "POST"),
                ("route", "/api/nexus-forge/build"),
                ("status", "202")
            ]
        ) >= 1.0,
        "{after}"
    );
    assert!(
        sample(
            &after,
            "nf_http_requests_total",
            &[("route", "/api/nexus-forge/build/{id}")]
        ) >= 1.0
    );
    assert!(
        !after.contains(b["build_id"].as_str().unwrap()),
        "a build id became a label"
    );
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_metrics_listener_serves_without_sign_in(pool: PgPool) {
    let mut config = test_config(String::new());
    config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    let app = server::startup::Application::from_pool(config, pool).await.unwrap();
    let addr = app.metrics_addr().expect("a metrics address");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let run = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    let res = reqwest::get(format!("http://{addr}/metrics")).await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("nf_builds{status=\"queued\"} 0"), "{text}");
    // Only /metrics lives there.
    let other = reqwest::get(format!("http://{addr}/api/nexus-forge/builds"))
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let _ = tx.send(());
    run.await.unwrap().unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn every_response_has_a_request_id_and_errors_quote_it(pool: PgPool) {
    let app = spawn_app_with(test_config(String::new()), pool).await;

    let res = app.get("/api/nexus-forge/build/not-a-uuid").await;
    assert_eq!(res.status(), 400);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str());

    // A caller's plain id is kept, end to end.
    let res = app
        .client
        .get(app.url("/api/nexus-forge/build/not-a-uuid"))
        .header("x-request-id", "trace-42.a_b")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-42.a_b");
    assert_eq!(res.json::<Value>().await.unwrap()["request_id"], "trace-42.a_b");

    // Anything else is replaced, so it cannot forge log lines.
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "x".repeat(65))
        .send()
        .await
        .unwrap();
    let given = res.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(given).is_ok(), "{given}");

    // Refusals made before any handler (the guard) carry one too.
    let res = app
        .anon
        .post(app.url("/api/nexus-forge/build"))
        .header("origin", "https://evil.example")
        .json(&json!({ "prompt": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().contains_key("x-request-id"));
    app.stop().await;
}

/// `(method, path)` of every `.route("…", method(…))` in the router's sources, with axum's
/// `{*rest}` written as OpenAPI's `{rest}`; the `/api/{*rest}` fallback is not a route.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let sources = [
        include_str!("../../src/routes/builds.rs"),
        include_str!("../../src/routes/orchestrator.rs"),
        include_str!("../../src/routes/health.rs"),
        include_str!("../../src/routes/mod.rs"),
        include_str!("../../src/metrics.rs"),
        include_str!("../../src/openapi.rs"),
        include_str!("../../src/ws.rs"),
    ];
    let mut found = BTreeSet::new();
    for src in sources {
        for chunk in src.split(".route(").skip(1) {
            let chunk = chunk.trim_start();
            let Some(rest) = chunk.strip_prefix('"') else { continue };
            let path = &rest[..rest.find('"').unwrap()];
            let after = &rest[path.len()..];
            if path == "/api/{*rest}" {
                continue;
            }
            let path = path.replace("{*", "{");
            for method in ["get", "post", "delete", "put", "patch"] {
                if after.contains(&format!("{method}(")) {
                    found.insert((method.to_owned(), path.clone()));
                }
            }
        }
    }
    found
}

#[test]
fn the_openapi_document_covers_every_route_and_only_those() {
    let documented: BTreeSet<(String, String)> = server::openapi::documented_routes()
        .into_iter()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect();
    let routed = routes_in_source();
    assert!(routed.len() >= 20, "the route scan found too little: {routed:?}");
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    assert!(unrouted.is_empty(), "documented but not routed: {unrouted:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_openapi_document_is_served_and_every_path_in_it_answers(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app.anon.get(app.url("/api/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    // The server functions are listed at their stable paths.
    assert!(
        paths.contains_key("/api/fn/sign_in"),
        "{:?}",
        paths.keys().collect::<Vec<_>>()
    );
    assert!(paths.keys().filter(|p| p.starts_with("/api/fn/")).count() >= 10);
    // Each documented operation reaches a handler: never the API's "no endpoint" 404, never
    // 405 (filled with ids that do not exist, so nothing changes).
    let fake = uuid::Uuid::new_v4().to_string();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let url = path
                .replace("{id}", &fake)
                .replace("{name}", "nobody")
                .replace("{cap}", "0-0")
                .replace("{path}", "index.html");
            let req = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&url))
                .header("origin", app.url(""));
            let req = if method == "post" { req.json(&json!({})) } else { req };
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            assert_ne!(status, 405, "{method} {path}: {text}");
            assert!(
                !(status == 404 && text.contains("there is no API endpoint")),
                "{method} {path} is not routed"
            );
        }
    }
    let page = app.anon.get(app.url("/api/reference")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/api/nexus-forge/build") && html.contains("schema-BuildView"));
    app.stop().await;
}

/// A server whose site is a fresh folder holding only `files` in `pkg/`, and that folder
/// (the caller removes it).
async fn spawn_with_bundle(pool: PgPool, files: &[(&str, &[u8])]) -> (TestApp, std::path::PathBuf) {
    let site = std::env::temp_dir().join(format!("nf-site-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    for (name, bytes) in files {
        std::fs::write(site.join("pkg").join(name), bytes).unwrap();
    }
    let mut config = test_config(String::new());
    config.site_root = site.clone();
    (spawn_app_with(config, pool).await, site)
}

#[sqlx::test(migrations = "../migrations")]
async fn the_bundle_is_sent_precompressed_when_the_browser_accepts_it(pool: PgPool) {
    let (app, site) = spawn_with_bundle(
        pool,
        &[
            ("app.wasm", b"the raw bytes"),
            ("app.wasm.br", b"brotli bytes"),
            ("app.wasm.gz", b"gzip bytes"),
        ],
    )
    .await;
    // reqwest decodes nothing here (no compression features), so the bytes are as sent.
    let get = |encoding: &'static str| {
        app.anon
            .get(app.url("/pkg/app.wasm"))
            .header("accept-encoding", encoding)
            .send()
    };
    let br = get("gzip, deflate, br").await.unwrap();
    assert_eq!(br.status(), 200);
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.headers()["content-type"], "application/wasm");
    assert_eq!(br.headers()["cache-control"], "no-cache");
    assert_eq!(br.headers()["vary"], "accept-encoding");
    let modified = br.headers()["last-modified"].to_str().unwrap().to_owned();
    assert_eq!(br.bytes().await.unwrap().as_ref(), b"brotli bytes");
    let gz = get("gzip").await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.bytes().await.unwrap().as_ref(), b"gzip bytes");
    let plain = get("identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), b"the raw bytes");
    // Unchanged since last time: 304, nothing sent.
    let again = app
        .anon
        .get(app.url("/pkg/app.wasm"))
        .header("if-modified-since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(
        app.anon.get(app.url("/pkg/missing.js")).send().await.unwrap().status(),
        404
    );
    app.stop().await;
    std::fs::remove_dir_all(site).unwrap();
}

/// The pages link the bundle from a folder named by its hash, which is cached for good;
/// another hash there is a 404, never today's files under a name they do not match.
#[sqlx::test(migrations = "../migrations")]
async fn the_pages_link_the_bundle_by_its_hash_and_those_addresses_are_cached_for_good(pool: PgPool) {
    let (app, site) = spawn_with_bundle(
        pool,
        &[
            ("nexus-forge.css", b"body{}"),
            ("nexus-forge.css.br", b"brotli css"),
            ("split_a.wasm", b"a chunk"),
        ],
    )
    .await;
    let html = app
        .anon
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, after) = html
        .split_once("href=\"/pkg/")
        .unwrap_or_else(|| panic!("no bundle link in {html}"));
    let hash = after.split('/').next().unwrap().to_owned();
    assert_eq!(hash.len(), 16, "{after}");
    // The stylesheet and the scripts come from the same folder.
    for file in ["nexus-forge.css", "nexus-forge.js", "nexus-forge.wasm"] {
        assert!(html.contains(&format!("/pkg/{hash}/pkg/{file}")), "{file} in {html}");
    }
    let get = |path: String| app.anon.get(app.url(&path)).header("accept-encoding", "br").send();
    let css = get(format!("/pkg/{hash}/pkg/nexus-forge.css")).await.unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(css.headers()["content-encoding"], "br");
    assert_eq!(css.headers()["content-type"], "text/css");
    assert_eq!(css.bytes().await.unwrap().as_ref(), b"brotli css");
    let chunk = get(format!("/pkg/{hash}/pkg/split_a.wasm")).await.unwrap();
    assert_eq!(chunk.status(), 200);
    assert_eq!(chunk.bytes().await.unwrap().as_ref(), b"a chunk");
    // The plain name still answers, revalidated on every load.
    let plain = get("/pkg/nexus-forge.css".into()).await.unwrap();
    assert_eq!(plain.headers()["cache-control"], "no-cache");
    // Another build's folder, a file not in the bundle, a folder without its `pkg/`.
    let other: String = hash.chars().map(|c| if c == '0' { '1' } else { '0' }).collect();
    for path in [
        format!("/pkg/{other}/pkg/nexus-forge.css"),
        format!("/pkg/{hash}/pkg/missing.js"),
        format!("/pkg/{hash}/nexus-forge.css"),
        format!("/pkg/{hash}/pkg/"),
    ] {
        assert_eq!(get(path.clone()).await.unwrap().status(), 404, "{path}");
    }
    app.stop().await;
    std::fs::remove_dir_all(site).unwrap();
}

/// Events committed while a subscriber is still replaying the stored ones reach it exactly
/// once and in order: the replay/live hand-over in `ws.rs` neither drops nor repeats them.
#[sqlx::test(migrations = "../migrations")]
async fn events_committed_during_a_replay_arrive_once_and_in_order(pool: PgPool) {
    use domain::ws::ServerMessage;

    let app = spawn_app(pool.clone()).await;
    // A log to replay: several pages of stored events, with one of a kind this version does
    // not know (a newer one wrote it) in the middle: it is stepped over, never a reason to stop.
    for (kind, n) in [
        ("agent.status_changed", 600),
        ("future.kind", 1),
        ("agent.status_changed", 600),
    ] {
        sqlx::query(
            "insert into coordination_events (kind, payload) select $1, jsonb_build_object('n', g) from generate_series(1, $2) g",
        )
        .bind(kind)
        .bind(n)
        .execute(&pool)
        .await
        .unwrap();
    }
    // More events, one statement (and one NOTIFY) each, while the subscriber replays.
    let writer = {
        let pool = pool.clone();
        tokio::spawn(async move {
            for n in 0..300 {
                sqlx::query("insert into coordination_events (kind, payload) values ('agent.status_changed', jsonb_build_object('live', $1::int))")
                    .bind(n)
                    .execute(&pool)
                    .await
                    .unwrap();
            }
        })
    };
    let mut ws = crate::foundation::ws_connect(&app, &app.token, None).await.unwrap();
    crate::foundation::next_message(&mut ws).await; // hello
    crate::security::subscribe_all(&mut ws, Some(0)).await;
    writer.await.unwrap();
    let expected: Vec<i64> =
        sqlx::query_scalar("select id from coordination_events where kind = 'agent.status_changed' order by id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let last = *expected.last().unwrap();
    let mut received = Vec::new();
    let mut subscribed = false;
    while received.last().is_none_or(|id| *id < last) {
        let next = tokio::time::timeout(Duration::from_secs(5), crate::foundation::next_message(&mut ws)).await;
        let Ok(next) = next else {
            let got: BTreeSet<i64> = received.iter().copied().collect();
            let missing: Vec<&i64> = expected.iter().filter(|id| !got.contains(id)).collect();
            panic!(
                "stalled after {} events (last {:?}); {} missing, first {:?}, last expected {last}",
                received.len(),
                received.last(),
                missing.len(),
                missing.first()
            );
        };
        match next {
            ServerMessage::Event { event } => received.push(event.id.0),
            ServerMessage::Subscribed { .. } => subscribed = true,
            ServerMessage::Resync { reason } => panic!("unexpected resync: {reason}"),
            _ => {}
        }
    }
    assert!(subscribed);
    assert!(received.windows(2).all(|w| w[0] < w[1]), "out of order or repeated");
    let received: BTreeSet<i64> = received.into_iter().collect();
    let missing: Vec<&i64> = expected.iter().filter(|id| !received.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "{} events never arrived: {missing:?}",
        missing.len()
    );
    // The events API reads past the unknown kind too.
    let res = app.get("/api/coordination/events?since=0&limit=1000").await;
    assert_eq!(res.status(), 200);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_events_api_pages_past_an_event_of_an_unknown_kind(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let wf = uuid::Uuid::new_v4();
    let mut ids = Vec::new();
    for kind in [
        "task.ready",
        "task.started",
        "future.kind",
        "task.succeeded",
        "task.ready",
    ] {
        let id: i64 = sqlx::query_scalar(
            "insert into coordination_events (kind, workflow_id, payload) values ($1, $2, '{}') returning id",
        )
        .bind(kind)
        .bind(wf)
        .fetch_one(&pool)
        .await
        .unwrap();
        ids.push(id);
    }
    // The first page ends on the unknown kind: it is not shown, but the page is full, so
    // it says where the next one starts.
    let first: Value = app
        .get(&format!("/api/coordination/events?since=0&workflow_id={wf}&limit=3"))
        .await
        .json()
        .await
        .unwrap();
    let shown: Vec<i64> = first["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(shown, ids[..2]);
    assert_eq!(first["next_since"], ids[2], "{first}");
    let second: Value = app
        .get(&format!(
            "/api/coordination/events?since={}&workflow_id={wf}&limit=3",
            ids[2]
        ))
        .await
        .json()
        .await
        .unwrap();
    let shown: Vec<i64> = second["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(shown, ids[3..]);
    assert!(second["next_since"].is_null(), "{second}");
    app.stop().await;
}

/// The CSP nonce of a page: a fresh render has a new one.
fn nonce(res: &reqwest::Response) -> String {
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    let at = csp.find("'nonce-").expect("a nonce in the CSP") + 7;
    csp[at..].split('\'').next().unwrap().to_owned()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_page_reloaded_at_once_is_sent_as_rendered_unless_something_changed(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let page = |client: &reqwest::Client| client.get(app.url("/builds")).send();
    // Reloaded within 100 ms: the same render (a few tries, as a busy machine can take
    // longer than that between two requests).
    let mut reused = false;
    for _ in 0..10 {
        let first = page(&app.client).await.unwrap();
        assert_eq!(first.status(), 200);
        let again = page(&app.client).await.unwrap();
        if nonce(&again) == nonce(&first) {
            assert_eq!(first.text().await.unwrap(), again.text().await.unwrap());
            reused = true;
            break;
        }
    }
    assert!(reused, "a page reloaded at once was rendered again every time");

    // Another person never gets it.
    let other = TestApp::client_for(&person(&pool, "other", false).await);
    let theirs = page(&other).await.unwrap();
    assert_eq!(theirs.status(), 200);
    let their_nonce = nonce(&theirs);
    assert_ne!(their_nonce, nonce(&page(&app.client).await.unwrap()));

    // Their own change: the next load is rendered afresh and shows it.
    let before = nonce(&page(&app.client).await.unwrap());
    let build = start(&app, "A recipe box with ingredients").await;
    let after = page(&app.client).await.unwrap();
    assert_ne!(nonce(&after), before, "a write forgets the person's pages");
    assert!(after.text().await.unwrap().contains(&build));

    // And past 100 ms, even with nothing changed, it is rendered again.
    let a = nonce(&page(&app.client).await.unwrap());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_ne!(nonce(&page(&app.client).await.unwrap()), a);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_and_api_answers_are_gzipped_for_a_client_that_accepts_it(pool: PgPool) {
    let app = spawn_app(pool).await;
    for path in ["/api/orchestrator/status", "/builds"] {
        let zipped = app
            .client
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(zipped.status(), 200, "{path}");
        assert_eq!(zipped.headers()["content-encoding"], "gzip", "{path}");
        let body = zipped.bytes().await.unwrap();
        assert_eq!(&body[..2], &[0x1f, 0x8b], "{path}: a gzip stream");
        let plain = app.client.get(app.url(path)).send().await.unwrap();
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
    }
    app.stop().await;
}
