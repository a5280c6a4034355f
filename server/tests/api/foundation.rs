//! Start-up, health, errors and the WebSocket.

use std::time::Duration;

use domain::ws::{ClientMessage, ServerMessage, Topic};
use futures::{SinkExt, StreamExt};
use server::startup::Application;
use sqlx::{postgres::PgPoolOptions, ConnectOptions, PgPool};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{spawn_app, spawn_app_with, test_config, PgProxy};

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
    let after = app
        .anon
        .get(app.url("/api/nexus-forge/builds"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    app.stop().await;
}

/// A free port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn two_processes_starting_on_one_fresh_database_both_come_up() {
    let base = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = base.rsplit_once('/').map_or(base.as_str(), |(b, _)| b).to_owned();
    let db = format!("nf_two_starts_{}", uuid::Uuid::new_v4().simple());
    let url = format!("{base}/{db}");
    let ports = [free_port(), free_port()];
    let mut children: Vec<std::process::Child> = ports
        .iter()
        .map(|port| {
            std::process::Command::new(env!("CARGO_BIN_EXE_nexus-forge"))
                .env("DATABASE_URL", &url)
                .env("NF_LISTEN", format!("127.0.0.1:{port}"))
                .env("NF_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let client = reqwest::Client::new();
    for port in ports {
        let mut up = false;
        for _ in 0..300 {
            if let Ok(r) = client.get(format!("http://127.0.0.1:{port}/healthz")).send().await {
                up = r.status() == 200;
                if up {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !up {
            for c in &mut children {
                let _ = c.kill();
            }
            let out: Vec<String> = children
                .into_iter()
                .map(|c| String::from_utf8_lossy(&c.wait_with_output().unwrap().stderr).into_owned())
                .collect();
            panic!("the server on {port} did not come up: {out:#?}");
        }
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
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
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
