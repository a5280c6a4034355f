//! Start-up (one process, and two on one new database), health, errors, the WebSocket
//! (replay, lag), and a real server process killed mid-build and taken over by another.

use std::time::Duration;

use domain::ws::{ClientMessage, ServerMessage, Topic};
use futures::{SinkExt, StreamExt};
use server::startup::Application;
use sqlx::{postgres::PgPoolOptions, ConnectOptions, PgPool};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{spawn_app, spawn_app_with, test_config, PgProxy, Server};

#[sqlx::test(migrations = "../migrations")]
async fn healthz_reports_the_database_up(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "up");
    assert_eq!(body["status"], "ok");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn healthz_reports_postgres_going_away_and_coming_back(pool: PgPool) {
    // Arrange: the server reaches Postgres only through a proxy we can cut.
    let opts = pool.connect_options();
    let upstream = format!("{}:{}", opts.get_host(), opts.get_port()).parse().unwrap();
    let proxy = PgProxy::start(upstream).await;
    let proxied = (*opts).clone().host("127.0.0.1").port(proxy.addr.port());
    let server_pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(1))
        .connect_with(proxied.clone())
        .await
        .unwrap();
    let app = spawn_app_with(test_config(proxied.to_url_lossy().to_string()), server_pool).await;
    let health = || app.anon.get(app.url("/healthz")).send();
    assert_eq!(health().await.unwrap().status(), 200);

    // Act: Postgres disappears.
    proxy.cut();
    let res = health().await.unwrap();

    // Assert: reported (without the database's error text, which is for the log), and the
    // server still answers.
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["database"], "down");
    assert!(body["database_error"].is_null(), "{body}");
    let lost = app.anon.get(app.url("/api/no-such-thing")).send().await.unwrap();
    assert_eq!(lost.status(), 404);

    // Postgres is back: health recovers without a restart.
    proxy.restore();
    let mut recovered = false;
    for _ in 0..50 {
        if health().await.unwrap().status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "healthz did not recover after Postgres came back");
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_postgres_is_a_one_line_error_at_start_up() {
    // Nothing listens on this port: bind one, take its number, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = test_config(format!("postgres://postgres@127.0.0.1:{port}/nexus_forge"));
    let err = Application::build(config).await.err().expect("start-up must fail");
    let text = format!("{err:#}");
    assert!(
        text.starts_with(&format!(
            "cannot reach Postgres at 127.0.0.1:{port} (database nexus_forge)"
        )),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
}

#[tokio::test]
async fn a_malformed_database_url_is_reported() {
    let err = Application::build(test_config("mysql://nope".into()))
        .await
        .err()
        .expect("start-up must fail");
    assert!(format!("{err:#}").contains("DATABASE_URL"), "{err:#}");
}

#[sqlx::test(migrations = "../migrations")]
async fn unknown_api_paths_are_json_404s(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app.get("/api/orchestrator/nothing-here").await;
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("/api/orchestrator/nothing-here"));
    app.stop().await;
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/ws` with `token` (and, when given, an `Origin`).
pub async fn ws_connect(
    app: &crate::helpers::TestApp,
    token: &str,
    origin: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = format!("ws://{}/ws", app.addr).into_client_request().unwrap();
    if !token.is_empty() {
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req).await.map(|(ws, _)| ws)
}

pub async fn next_message(ws: &mut Ws) -> ServerMessage {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .unwrap();
        if let Message::Text(t) = frame {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// The workflow the test events belong to; the server's own events (agent heartbeats) do
/// not, so subscribing to this topic sees only the test's.
const WF: uuid::Uuid = uuid::Uuid::from_u128(0xfeed);

async fn subscribe(ws: &mut Ws, last_event_id: Option<domain::ids::EventId>) {
    let topics = vec![Topic::Workflow(domain::ids::WorkflowId(WF))];
    let msg = serde_json::to_string(&ClientMessage::Subscribe { topics, last_event_id }).unwrap();
    ws.send(Message::Text(msg.into())).await.unwrap();
}

async fn insert_event(pool: &PgPool, kind: &str) -> i64 {
    sqlx::query_scalar(
        "insert into coordination_events (kind, workflow_id, payload) values ($1, $2, '{}') returning id",
    )
    .bind(kind)
    .bind(WF)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_websocket_greets_then_streams_new_events_in_order(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let mut ws = ws_connect(&app, &app.token, None).await.unwrap();
    assert!(matches!(next_message(&mut ws).await, ServerMessage::Hello { .. }));
    subscribe(&mut ws, None).await;
    assert!(matches!(
        next_message(&mut ws).await,
        ServerMessage::Subscribed { replayed: 0, .. }
    ));

    // Another workflow's event is not for this subscriber.
    sqlx::query("insert into coordination_events (kind, workflow_id) values ('task.ready', gen_random_uuid())")
        .execute(&pool)
        .await
        .unwrap();
    let a = insert_event(&pool, "task.ready").await;
    let b = insert_event(&pool, "task.started").await;
    for expected in [a, b] {
        match next_message(&mut ws).await {
            ServerMessage::Event { event } => assert_eq!(event.id.0, expected),
            other => panic!("expected an event, got {other:?}"),
        }
    }
    drop(ws);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reconnecting_client_gets_what_it_missed_exactly_once(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let seen = insert_event(&pool, "agent.registered").await;
    let missed = [
        insert_event(&pool, "task.ready").await,
        insert_event(&pool, "task.started").await,
    ];
    // Connect once the bus has seen the missed events (its watermark is in the hello), so
    // they come from the replay rather than live.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut ws = loop {
        let mut ws = ws_connect(&app, &app.token, None).await.unwrap();
        match next_message(&mut ws).await {
            ServerMessage::Hello { latest_event_id, .. } if latest_event_id.0 >= missed[1] => break ws,
            ServerMessage::Hello { .. } => {}
            other => panic!("expected a hello, got {other:?}"),
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the bus never reached event {}",
            missed[1]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    subscribe(&mut ws, Some(domain::ids::EventId(seen))).await;
    let mut got = Vec::new();
    loop {
        match next_message(&mut ws).await {
            ServerMessage::Event { event } => got.push(event.id.0),
            ServerMessage::Subscribed { replayed, .. } => {
                assert_eq!(replayed, 2);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(got, missed);
    let live = insert_event(&pool, "task.succeeded").await;
    match next_message(&mut ws).await {
        ServerMessage::Event { event } => assert_eq!(event.id.0, live),
        other => panic!("expected the live event, got {other:?}"),
    }
    drop(ws);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_socket_that_falls_behind_is_told_to_resync_and_loses_nothing_silently(pool: PgPool) {
    // A 16-event buffer, and 5,000 events committed at once: the bridge publishes them far
    // faster than one socket can send them.
    let config = crate::helpers::Config {
        event_buffer: 16,
        ..crate::helpers::test_config(String::new())
    };
    let app = crate::helpers::spawn_app_with(config, pool.clone()).await;
    let mut ws = ws_connect(&app, &app.token, None).await.unwrap();
    assert!(matches!(next_message(&mut ws).await, ServerMessage::Hello { .. }));
    subscribe(&mut ws, None).await;
    assert!(matches!(next_message(&mut ws).await, ServerMessage::Subscribed { .. }));

    const FLOOD: usize = 5_000;
    let ids: Vec<i64> = sqlx::query_scalar(
        "insert into coordination_events (kind, workflow_id, payload)
         select 'task.progress', $1, '{}' from generate_series(1, $2) returning id",
    )
    .bind(WF)
    .bind(FLOOD as i32)
    .fetch_all(&pool)
    .await
    .unwrap();
    let last = insert_event(&pool, "task.succeeded").await;

    let mut got: Vec<i64> = Vec::new();
    let mut missed = 0u64;
    let mut resyncs = 0;
    loop {
        match next_message(&mut ws).await {
            ServerMessage::Event { event } => {
                got.push(event.id.0);
                if event.id.0 == last {
                    break;
                }
            }
            ServerMessage::Resync { reason } => {
                resyncs += 1;
                let n: u64 = reason
                    .split_whitespace()
                    .find_map(|w| w.parse().ok())
                    .unwrap_or_else(|| panic!("the reason names how many were missed: {reason}"));
                missed += n;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        resyncs >= 1,
        "a socket 5,000 events behind a 16-event buffer must be told to resync"
    );
    assert!(got.len() < FLOOD, "it cannot have been sent everything");
    assert!(got.windows(2).all(|w| w[0] < w[1]), "in id order, none twice");
    assert!(got.iter().all(|id| ids.contains(id) || *id == last));
    // Every event was either sent or counted in a resync (the count also covers the
    // server's own events, such as heartbeats, which this topic does not show).
    assert!(
        got.len() as u64 + missed > FLOOD as u64,
        "{} sent + {missed} reported missed < {}",
        got.len(),
        FLOOD + 1
    );
    drop(ws);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_websocket_answers_pings_and_reports_garbage(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut ws = ws_connect(&app, &app.token, None).await.unwrap();
    next_message(&mut ws).await;
    ws.send(Message::Text("{\"type\":\"ping\"}".into())).await.unwrap();
    assert_eq!(next_message(&mut ws).await, ServerMessage::Pong);
    ws.send(Message::Text("not json".into())).await.unwrap();
    assert!(matches!(next_message(&mut ws).await, ServerMessage::Error { .. }));
    drop(ws);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_starts_only_at_sign_in_with_a_fresh_id_and_ends_at_sign_out(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("select count(*) from sessions")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    // A signed-out page load: sent to sign in, and no session is stored.
    let page = app
        .anon
        .get(app.url("/agents"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(
        page.url().path() == "/sign-in" || page.status() == 303,
        "{}",
        page.url()
    );
    assert_eq!(sessions().await, 0);

    // Signing in: a session in Postgres for that person, as an HttpOnly, SameSite=Lax cookie.
    let planted = "nf_session=planted-by-someone-else";
    let res = app
        .anon
        .post(app.url("/api/fn/sign_in"))
        .header("origin", format!("http://{}", app.addr))
        .header("cookie", planted)
        .json(&serde_json::json!({ "username": "admin", "password": crate::helpers::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("nf_session="), "{cookie}");
    assert!(!cookie.starts_with(planted), "the session id must be new: {cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http without --secure-cookies: {cookie}"
    );
    let (user, data): (Option<uuid::Uuid>, serde_json::Value) = sqlx::query_as("select user_id, data from sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    let admin: uuid::Uuid = sqlx::query_scalar("select id from users where username = 'admin'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(user, Some(admin));
    assert_eq!(data["user_id"], admin.to_string());

    // The cookie signs the browser in: the page renders.
    let session = cookie.split(';').next().unwrap().to_owned();
    let page = app
        .anon
        .get(app.url("/"))
        .header("accept", "text/html")
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.url().path(), "/");
    assert_eq!(sessions().await, 1);

    // Signing out deletes it; the old cookie is worth nothing.
    let out = app
        .anon
        .post(app.url("/api/fn/sign_out"))
        .header("origin", format!("http://{}", app.addr))
        .header("cookie", &session)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200, "{}", out.text().await.unwrap());
    assert_eq!(sessions().await, 0);
    let after = get_with_cookie(&app, "/api/nexus-forge/builds", &session).await;
    assert_eq!(after.status(), 401);
    app.stop().await;
}

/// `GET path` with this cookie (and no other).
async fn get_with_cookie(app: &crate::helpers::TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.anon
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_in_use_lives_on_and_is_written_at_most_once_a_day(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let res = app
        .anon
        .post(app.url("/api/fn/sign_in"))
        .header("origin", format!("http://{}", app.addr))
        .json(&serde_json::json!({ "username": "admin", "password": crate::helpers::PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    let session = cookie.split(';').next().unwrap().to_owned();
    let visit = || async {
        let res = get_with_cookie(&app, "/api/nexus-forge/builds", &session).await;
        assert_eq!(res.status(), 200);
        res.headers().get("set-cookie").map(|c| c.to_str().unwrap().to_owned())
    };
    let row = || async {
        sqlx::query_as::<_, (bool, chrono::DateTime<chrono::Utc>)>(
            "select expires_at > now() + interval '29 days', updated_at from sessions",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    visit().await;
    let (_, written) = row().await;
    // The same day: nothing is written, and no cookie is sent again.
    assert_eq!(visit().await, None);
    assert_eq!(row().await.1, written);
    // As if signed in 29 days ago and last seen then: the next visit moves the expiry on.
    sqlx::query("update sessions set expires_at = now() + interval '1 day', data = data || '{\"renewed_day\": 0}'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(!row().await.0);
    // Past the second for which a loaded session is remembered.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let renewed = visit().await.expect("the cookie is sent with its new expiry");
    assert!(renewed.starts_with(&session), "the same session: {renewed}");
    assert!(row().await.0, "the expiry is 30 days on again");
    app.stop().await;
}

/// A database of its own for tests that run the real binary: (its URL, a connection to
/// `postgres` that drops it at the end).
async fn fresh_database(prefix: &str) -> (String, String) {
    let base = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = base.rsplit_once('/').map_or(base.as_str(), |(b, _)| b).to_owned();
    let db = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    (format!("{base}/{db}"), db)
}

async fn drop_database(url: &str, db: &str) {
    let base = url.rsplit_once('/').map_or(url, |(b, _)| b);
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&format!("{base}/postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("drop database if exists \"{db}\" with (force)"))
        .execute(&admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn two_processes_starting_on_one_fresh_database_both_come_up() {
    let (url, db) = fresh_database("nf_two_starts").await;
    let mut servers = [Server::start(&url, &[]), Server::start(&url, &[])];
    for s in &mut servers {
        s.wait_up().await;
    }
    // Each migration ran once.
    let pool = PgPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
    let (rows, distinct): (i64, i64) = sqlx::query_as("select count(*), count(distinct version) from _sqlx_migrations")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, distinct);
    assert!(rows >= 2);
    pool.close().await;
    drop(servers);
    drop_database(&url, &db).await;
}

#[tokio::test]
async fn a_server_killed_mid_build_is_taken_over_by_another_and_nothing_runs_twice() {
    let (url, db) = fresh_database("nf_takeover").await;
    // Each offline answer takes 1.5 s, so a task is still running when A dies; leases last
    // 1 s, so B takes over soon after.
    let env = [("NF_LEASE_SECS", "1"), ("NF_OFFLINE_DELAY_MS", "1500")];
    let mut a = Server::start(&url, &env);
    a.wait_up().await;
    let pool = PgPoolOptions::new().max_connections(2).connect(&url).await.unwrap();
    let token = crate::helpers::person(&pool, "kim", false).await;
    let client = crate::helpers::TestApp::client_for(&token);
    let res = client
        .post(a.url("/api/nexus-forge/build"))
        .json(&serde_json::json!({ "prompt": "a reading list with books, authors and ratings" }))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let build: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status, 202, "{build}");
    let build_id: uuid::Uuid = build["build_id"].as_str().unwrap().parse().unwrap();

    // A task of the build is running on A ...
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let (task, key): (uuid::Uuid, String) = loop {
        let running: Option<(uuid::Uuid, String)> = sqlx::query_as(
            "select t.id, t.key from tasks t join workflows w on w.id = t.workflow_id
             where w.project_id = $1 and t.state = 'running' limit 1",
        )
        .bind(build_id)
        .fetch_optional(&pool)
        .await
        .unwrap();
        if let Some(r) = running {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no task of the build ever ran on A"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // ... when A is killed.
    a.kill();
    let mut b = Server::start(&url, &env);
    b.wait_up().await;

    let done = crate::helpers::wait_build(
        &client,
        &b.url(&format!("/api/nexus-forge/build/{build_id}")),
        Duration::from_secs(180),
    )
    .await;
    assert_eq!(done["status"], "completed", "{done}");

    // The takeover happened: A's lease on the task expired and B ran it as attempt 2.
    let attempts: i32 = sqlx::query_scalar("select attempts from tasks where id = $1")
        .bind(task)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(attempts, 2, "task {key} ran on A and again on B");
    let expired: i64 = sqlx::query_scalar(
        "select count(*) from coordination_events where kind = 'task.lease_expired' and task_id = $1",
    )
    .bind(task)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(expired, 1);
    // Nothing completed twice.
    let twice: Vec<(uuid::Uuid, i64)> = sqlx::query_as(
        "select e.task_id, count(*) from coordination_events e join tasks t on t.id = e.task_id
         join workflows w on w.id = t.workflow_id
         where w.project_id = $1 and e.kind = 'task.succeeded' group by e.task_id having count(*) <> 1",
    )
    .bind(build_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(twice.is_empty(), "tasks that succeeded more than once: {twice:?}");
    let finished: i64 = sqlx::query_scalar(
        "select count(*) from coordination_events where kind = 'build.finished' and project_id = $1",
    )
    .bind(build_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(finished, 1);
    pool.close().await;
    drop(b);
    drop_database(&url, &db).await;
}

/// A socket's greeting: the bus's watermark, once it has stopped moving and covers `at_least`.
async fn settled_watermark(app: &crate::helpers::TestApp, at_least: i64) -> (Ws, i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut ws = ws_connect(app, &app.token, None).await.unwrap();
        let ServerMessage::Hello { latest_event_id, .. } = next_message(&mut ws).await else {
            panic!("no hello");
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut again = ws_connect(app, &app.token, None).await.unwrap();
        let ServerMessage::Hello {
            latest_event_id: now, ..
        } = next_message(&mut again).await
        else {
            panic!("no hello");
        };
        if latest_event_id == now && now.0 >= at_least {
            return (ws, now.0);
        }
        assert!(std::time::Instant::now() < deadline, "the watermark never settled");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_websocket_replays_up_to_5000_events_and_beyond_that_says_resync(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let ids: Vec<i64> = sqlx::query_scalar(
        "insert into coordination_events (kind, workflow_id, payload)
         select 'task.progress', $1, '{}' from generate_series(1, 5001) returning id",
    )
    .bind(WF)
    .fetch_all(&pool)
    .await
    .unwrap();
    let (mut ws, watermark) = settled_watermark(&app, *ids.last().unwrap()).await;

    // Exactly 5,000 ids behind: replayed, every one of ours in the range, in order.
    subscribe(&mut ws, Some(domain::ids::EventId(watermark - 5_000))).await;
    let expected: Vec<i64> = ids.iter().copied().filter(|id| *id > watermark - 5_000).collect();
    let mut got = Vec::new();
    let replayed = loop {
        match next_message(&mut ws).await {
            ServerMessage::Event { event } => got.push(event.id.0),
            ServerMessage::Subscribed { replayed, .. } => break replayed,
            other => panic!("5,000 behind must replay, got {other:?}"),
        }
    };
    assert_eq!(got, expected);
    assert_eq!(replayed, expected.len() as u64);

    // One more: told to resync instead, and nothing is replayed.
    let mut late = ws_connect(&app, &app.token, None).await.unwrap();
    next_message(&mut late).await;
    subscribe(&mut late, Some(domain::ids::EventId(watermark - 5_001))).await;
    assert!(matches!(next_message(&mut late).await, ServerMessage::Resync { .. }));
    assert!(matches!(
        next_message(&mut late).await,
        ServerMessage::Subscribed { replayed: 0, .. }
    ));
    app.stop().await;
}
