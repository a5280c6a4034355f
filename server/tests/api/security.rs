//! People and boundaries: every route refuses strangers, a person sees only their own
//! things (another person's id is a 404, their events never arrive), other sites cannot
//! make changes or open /ws, tokens can be revoked, limits trip and recover, and the audit
//! trail records what people did.

use std::time::Duration;

use domain::ws::{ClientMessage, ServerMessage, Topic};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::{protocol::frame::coding::CloseCode, Message};

use crate::{
    foundation::{next_message, ws_connect, Ws},
    helpers::{person, spawn_app, spawn_app_with, test_config, TestApp, PASSWORD},
};

async fn body(res: reqwest::Response) -> Value {
    res.json().await.expect("a JSON body")
}

/// Starts a build as `client` and waits until it is packaged; returns its view.
async fn built(app: &TestApp, client: &reqwest::Client, prompt: &str) -> Value {
    let res = client
        .post(app.url("/api/nexus-forge/build"))
        .json(&json!({ "prompt": prompt }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let id = body(res).await["build_id"].as_str().unwrap().to_owned();
    for _ in 0..400 {
        let b = body(
            client
                .get(app.url(&format!("/api/nexus-forge/build/{id}")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        if b["status"] == "completed" {
            return b;
        }
        assert_ne!(b["status"], "failed", "{b}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("build {id} did not complete");
}

#[sqlx::test(migrations = "../migrations")]
async fn strangers_are_refused_on_every_route_function_and_the_websocket(pool: PgPool) {
    let app = spawn_app(pool).await;
    let some = uuid::Uuid::new_v4();
    let origin = format!("http://{}", app.addr);
    let gets = [
        "/api/orchestrator/status".to_owned(),
        "/api/orchestrator/agents".into(),
        "/api/orchestrator/workflows".into(),
        format!("/api/orchestrator/workflows/{some}"),
        "/api/coordination/events".into(),
        "/api/nexus-forge/builds".into(),
        format!("/api/nexus-forge/build/{some}"),
        format!("/api/nexus-forge/build/{some}/download"),
        "/api/fn/list_agents".into(),
        "/api/fn/get_status".into(),
        "/api/fn/list_builds".into(),
        format!("/api/fn/get_build?id={some}"),
        format!("/api/fn/build_file?id={some}&path=index.html"),
        "/api/fn/list_workflows".into(),
        format!("/api/fn/get_workflow?id={some}"),
        "/api/fn/recent_events?limit=5".into(),
        "/api/fn/find_events?query[limit]=5".into(),
        "/api/fn/metrics?minutes=5".into(),
        "/api/fn/get_server_info".into(),
        "/api/fn/list_tokens".into(),
        "/api/fn/list_people".into(),
        "/api/fn/list_invitations".into(),
        "/api/fn/audit_trail".into(),
    ];
    for path in &gets {
        let res = app.anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 401, "GET {path}");
    }
    let posts: [(String, Value); 16] = [
        (
            "/api/orchestrator/agents/register".into(),
            json!({"agent_id": "X", "agent_type": "custom", "capabilities": ["testing"]}),
        ),
        (
            "/api/orchestrator/tasks/decompose".into(),
            json!({"description": "do it"}),
        ),
        (format!("/api/orchestrator/workflows/{some}/execute"), json!({})),
        (format!("/api/orchestrator/workflows/{some}/cancel"), json!({})),
        ("/api/nexus-forge/build".into(), json!({"prompt": "a todo app"})),
        (format!("/api/nexus-forge/build/{some}/cancel"), json!({})),
        ("/api/fn/start_build".into(), json!({"prompt": "a todo app"})),
        ("/api/fn/cancel_build".into(), json!({"id": some})),
        ("/api/fn/cancel_workflow".into(), json!({"id": some})),
        (
            "/api/fn/register_agent".into(),
            json!({"request": {"agent_id": "X", "agent_type": "custom", "capabilities": ["testing"]}}),
        ),
        ("/api/fn/delete_agent".into(), json!({"name": "X"})),
        ("/api/fn/create_token".into(), json!({"name": "x"})),
        ("/api/fn/revoke_token".into(), json!({"id": some})),
        (
            "/api/fn/create_invitation".into(),
            json!({"is_admin": true, "note": ""}),
        ),
        (
            "/api/fn/change_password".into(),
            json!({"current": PASSWORD, "new": "another long one"}),
        ),
        (
            "/api/fn/sign_up".into(),
            json!({"username": "mallory", "password": "long enough pw"}),
        ),
    ];
    for (path, payload) in &posts {
        let res = app
            .anon
            .post(app.url(path))
            .header("origin", &origin)
            .json(payload)
            .send()
            .await
            .unwrap();
        let want = if path.ends_with("sign_up") { 403 } else { 401 };
        assert_eq!(res.status(), want, "POST {path}: {}", res.text().await.unwrap());
    }
    let res = app
        .anon
        .delete(app.url("/api/orchestrator/agents/Jules-CodeGen"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // /ws without credentials.
    let Err(err) = ws_connect(&app, "", None).await else {
        panic!("a stranger's /ws must be refused")
    };
    assert!(err.to_string().contains("401"), "{err}");
    // Nobody's account was made by a stranger.
    let res = app.get("/api/fn/list_people").await;
    let people = body(res).await;
    assert_eq!(people.as_array().unwrap().len(), 2, "{people}"); // the local user and admin
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn another_persons_things_are_not_found_and_their_events_never_arrive(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let alice = TestApp::client_for(&person(&pool, "alice", false).await);
    let bob_token = person(&pool, "bob", false).await;
    let bob = TestApp::client_for(&bob_token);
    let origin = format!("http://{}", app.addr);

    // Bob is connected before Alice builds, subscribed to everything.
    let mut bob_ws = ws_connect(&app, &bob_token, Some(&origin)).await.unwrap();
    next_message(&mut bob_ws).await;
    subscribe_all(&mut bob_ws, None).await;
    assert!(matches!(
        next_message(&mut bob_ws).await,
        ServerMessage::Subscribed { .. }
    ));

    let a = built(&app, &alice, "a recipe book with ingredients").await;
    let id = a["build_id"].as_str().unwrap();
    let wf = a["workflow_id"].as_str().unwrap();
    let preview = a["preview_url"].as_str().unwrap().to_owned();

    // Every one of Alice's things is a 404 for Bob, through both doors.
    for path in [
        format!("/api/nexus-forge/build/{id}"),
        format!("/api/nexus-forge/build/{id}/download"),
        format!("/api/orchestrator/workflows/{wf}"),
        format!("/api/fn/get_build?id={id}"),
        format!("/api/fn/build_file?id={id}&path=index.html"),
        format!("/api/fn/get_workflow?id={wf}"),
    ] {
        let res = bob.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "GET {path}");
    }
    for (path, payload) in [
        (format!("/api/nexus-forge/build/{id}/cancel"), json!({})),
        (format!("/api/orchestrator/workflows/{wf}/cancel"), json!({})),
        (format!("/api/orchestrator/workflows/{wf}/execute"), json!({})),
        ("/api/fn/cancel_build".into(), json!({ "id": id })),
        ("/api/fn/cancel_workflow".into(), json!({ "id": wf })),
    ] {
        let res = bob.post(app.url(&path)).json(&payload).send().await.unwrap();
        assert_eq!(res.status(), 404, "POST {path}");
    }
    // Lists and event pages hold none of Alice's.
    let builds = body(bob.get(app.url("/api/nexus-forge/builds")).send().await.unwrap()).await;
    assert_eq!(builds["builds"].as_array().unwrap().len(), 0, "{builds}");
    let wfs = body(bob.get(app.url("/api/orchestrator/workflows")).send().await.unwrap()).await;
    assert_eq!(wfs["workflows"].as_array().unwrap().len(), 0, "{wfs}");
    let events = body(
        bob.get(app.url("/api/coordination/events?limit=1000"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(events["events"].as_array().unwrap().len(), 0, "{events}");
    let events = body(
        bob.get(app.url(&format!("/api/coordination/events?build_id={id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(events["events"].as_array().unwrap().len(), 0, "{events}");
    // Alice sees hers; the admin sees everyone's.
    let mine = body(
        alice
            .get(app.url(&format!("/api/coordination/events?build_id={id}&limit=1000")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(mine["events"].as_array().unwrap().len() > 10, "{mine}");
    assert_eq!(app.get(&format!("/api/nexus-forge/build/{id}")).await.status(), 200);

    // The preview link is the permission: it works without any credentials, and a forged or
    // bare one does not.
    assert_eq!(app.anon.get(app.url(&preview)).send().await.unwrap().status(), 200);
    assert_eq!(
        app.anon
            .get(app.url(&format!("/preview/{id}/")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let (head, sig) = preview.trim_end_matches('/').rsplit_once('-').unwrap();
    let forged = format!("{head}-{}/", "0".repeat(sig.len()));
    let forged_res = app.anon.get(app.url(&forged)).send().await.unwrap();
    assert_eq!(forged_res.status(), 404, "{forged}");
    let expired = format!("/preview/{id}/1000-{}/", "0".repeat(32));
    assert_eq!(app.anon.get(app.url(&expired)).send().await.unwrap().status(), 404);

    // Live: nothing of Alice's reached Bob. A marker event of Bob's own proves the socket
    // was live all along.
    let bob_id: uuid::Uuid = sqlx::query_scalar("select id from users where username = 'bob'")
        .fetch_one(&pool)
        .await
        .unwrap();
    sqlx::query("insert into coordination_events (kind, owner_id) values ('build.progress', $1)")
        .bind(bob_id)
        .execute(&pool)
        .await
        .unwrap();
    match next_message(&mut bob_ws).await {
        ServerMessage::Event { event } => assert_eq!(event.owner_id.map(|o| o.0), Some(bob_id), "{event:?}"),
        other => panic!("expected Bob's own event first, got {other:?}"),
    }
    // Replay: Bob reconnecting from event 0 gets none of Alice's either.
    let mut again = ws_connect(&app, &bob_token, Some(&origin)).await.unwrap();
    next_message(&mut again).await;
    subscribe_all(&mut again, Some(0)).await;
    loop {
        match next_message(&mut again).await {
            ServerMessage::Event { event } => assert_eq!(event.owner_id.map(|o| o.0), Some(bob_id), "{event:?}"),
            ServerMessage::Subscribed { replayed, .. } => {
                assert_eq!(replayed, 1);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    // Bob is not an admin: the registry and the global status are not his.
    assert_eq!(
        bob.get(app.url("/api/orchestrator/status"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        bob.get(app.url("/api/orchestrator/agents"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let reg = bob
        .post(app.url("/api/orchestrator/agents/register"))
        .json(&json!({"agent_id": "Bobs", "agent_type": "custom", "capabilities": ["testing"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(reg.status(), 403);
    app.stop().await;
}

pub(crate) async fn subscribe_all(ws: &mut Ws, last: Option<i64>) {
    let msg = ClientMessage::Subscribe {
        topics: vec![Topic::All],
        last_event_id: last.map(domain::ids::EventId),
    };
    ws.send(Message::Text(serde_json::to_string(&msg).unwrap().into()))
        .await
        .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn other_sites_cannot_make_changes_or_open_the_websocket(pool: PgPool) {
    let app = spawn_app(pool).await;
    let ours = format!("http://{}", app.addr);
    let prompt = json!({ "prompt": "a todo app" });
    // A page on another site (or the sandboxed preview, Origin: null) posting with the
    // person's cookie or token: refused before anything runs.
    for origin in ["https://evil.example", "null", "http://127.0.0.1:1"] {
        let res = app
            .client
            .post(app.url("/api/nexus-forge/build"))
            .header("origin", origin)
            .json(&prompt)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "Origin {origin}");
        let res = app
            .client
            .post(app.url("/api/fn/start_build"))
            .header("origin", origin)
            .json(&prompt)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "server function, Origin {origin}");
    }
    // A browser says cross-site without an Origin: refused too.
    let res = app
        .anon
        .post(app.url("/api/fn/sign_in"))
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // A form post (what another site can send without asking): not JSON, refused.
    for path in ["/api/nexus-forge/build", "/api/fn/start_build", "/api/fn/cancel_build"] {
        let res = app
            .client
            .post(app.url(path))
            .header("origin", &ours)
            .form(&[("prompt", "a todo app"), ("id", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415, "{path}");
    }
    // An empty cancel with no content type: also refused (it used to work from anywhere).
    let res = app
        .client
        .post(app.url(&format!("/api/nexus-forge/build/{}/cancel", uuid::Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    // The same origin is fine.
    let res = app
        .client
        .post(app.url("/api/nexus-forge/build"))
        .header("origin", &ours)
        .json(&prompt)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    // /ws from another origin, or from Origin: null, even with a valid token.
    for origin in ["https://evil.example", "null"] {
        let Err(err) = ws_connect(&app, &app.token, Some(origin)).await else {
            panic!("/ws from {origin} must be refused")
        };
        assert!(err.to_string().contains("403"), "{origin}: {err}");
    }
    assert!(ws_connect(&app, &app.token, Some(&ours)).await.is_ok());
    // Another host name (DNS rebinding): nothing is served.
    let res = app
        .client
        .get(app.url("/api/nexus-forge/builds"))
        .header("host", format!("rebound.evil.example:{}", app.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 421);
    // Pages carry a CSP that forbids framing, and the basics.
    let page = app.client.get(app.url("/sign-in")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'nonce-"),
        "{csp}"
    );
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert!(page.headers().contains_key("referrer-policy"));
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_revoked_token_is_refused(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let token = person(&pool, "carol", false).await;
    let carol = TestApp::client_for(&token);
    assert_eq!(
        carol
            .get(app.url("/api/nexus-forge/builds"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let tokens = body(carol.get(app.url("/api/fn/list_tokens")).send().await.unwrap()).await;
    let id = tokens[0]["id"].as_str().unwrap().to_owned();
    assert!(token.starts_with(tokens[0]["prefix"].as_str().unwrap()));
    let res = carol
        .post(app.url("/api/fn/revoke_token"))
        .json(&json!({ "id": id }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = carol.get(app.url("/api/nexus-forge/builds")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(ws_connect(&app, &token, None).await.is_err());
    // A token that never existed is refused the same way (never treated as anonymous).
    let fake = TestApp::client_for(&format!("nf_{}", "ab".repeat(32)));
    assert_eq!(fake.get(app.url("/healthz")).send().await.unwrap().status(), 401);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn request_rates_trip_with_retry_after_and_recover(pool: PgPool) {
    let mut config = test_config(String::new());
    config.security.rate_per_person = 60; // one a second, in a burst of 60
    config.security.builds_per_hour = 2;
    let app = spawn_app_with(config, pool).await;
    // Builds per hour: the third is refused, with how long to wait.
    for _ in 0..2 {
        let res = app
            .post_json("/api/nexus-forge/build", &json!({ "prompt": "a notes app" }))
            .await;
        assert_eq!(res.status(), 202);
    }
    let res = app
        .post_json("/api/nexus-forge/build", &json!({ "prompt": "a notes app" }))
        .await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 60, "Retry-After {wait}");
    assert!(body(res).await["message"]
        .as_str()
        .unwrap()
        .contains("2 builds an hour"));
    let mut refused = None;
    for _ in 0..80 {
        let res = app.get("/api/nexus-forge/builds").await;
        if res.status() == 429 {
            refused = Some(res);
            break;
        }
        assert_eq!(res.status(), 200);
    }
    let res = refused.expect("the per-person rate trips");
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    assert_eq!(body(res).await["error"], "limit_exceeded");
    tokio::time::sleep(Duration::from_millis(wait * 1000 + 100)).await;
    assert_eq!(app.get("/api/nexus-forge/builds").await.status(), 200, "recovered");

    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_websocket_is_bounded(pool: PgPool) {
    let mut config = test_config(String::new());
    config.security.ws_per_person = 2;
    let app = spawn_app_with(config, pool).await;
    // A negative (or wrapping) last_event_id is refused, not replayed.
    let mut ws = ws_connect(&app, &app.token, None).await.unwrap();
    next_message(&mut ws).await;
    subscribe_all(&mut ws, Some(i64::MIN)).await;
    match next_message(&mut ws).await {
        ServerMessage::Error { message } => assert!(message.contains("last_event_id"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Too many topics.
    let msg = ClientMessage::Subscribe {
        topics: (0..100).map(|_| Topic::All).collect(),
        last_event_id: None,
    };
    ws.send(Message::Text(serde_json::to_string(&msg).unwrap().into()))
        .await
        .unwrap();
    assert!(matches!(next_message(&mut ws).await, ServerMessage::Error { .. }));
    // A third socket for the same person is closed with 1008.
    let second = ws_connect(&app, &app.token, None).await.unwrap();
    let mut third = ws_connect(&app, &app.token, None).await.unwrap();
    assert_eq!(close_code(&mut third).await, Some(CloseCode::Policy));
    drop(second);
    // A flood of messages is closed with 1008.
    for _ in 0..200 {
        if ws.send(Message::Text("{\"type\":\"ping\"}".into())).await.is_err() {
            break;
        }
    }
    assert_eq!(close_code(&mut ws).await, Some(CloseCode::Policy));
    // An oversized message ends the connection.
    let mut big = ws_connect(&app, &app.token, None).await.unwrap();
    next_message(&mut big).await;
    let _ = big.send(Message::Text("x".repeat(100 * 1024).into())).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match big.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true));
    app.stop().await;
}

/// The close code the server ends `ws` with (skipping other frames).
async fn close_code(ws: &mut Ws) -> Option<CloseCode> {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    })
    .await
    .expect("closed in time")
}

async fn sign_in(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.anon
        .post(app.url("/api/fn/sign_in"))
        .header("origin", format!("http://{}", app.addr))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn failed_sign_ins_are_audited_and_slow_down(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    person(&pool, "dave", false).await;
    let res = sign_in(&app, "dave", "not the password").await;
    assert_eq!(res.status(), 401);
    let unknown = sign_in(&app, "nobody", "not the password").await;
    assert_eq!(unknown.status(), 401);
    // The same answer for an unknown account as for a wrong password.
    let (a, b) = (res.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(a, b);
    let failed: Vec<(Option<String>, String)> = sqlx::query_as(
        "select details->>'username', outcome from audit_logs where action = 'session.login' order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        failed,
        [
            (Some("dave".into()), "failure".into()),
            (Some("nobody".into()), "failure".into())
        ]
    );
    // Five failures in a row: the account waits, even for the right password.
    for _ in 0..4 {
        sign_in(&app, "dave", "still wrong").await;
    }
    let res = sign_in(&app, "dave", PASSWORD).await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=5).contains(&wait), "Retry-After {wait}");
    assert!(body(res).await["LimitExceeded"]["message"]
        .as_str()
        .unwrap()
        .contains("too many failed sign-ins for this account"));
    tokio::time::sleep(Duration::from_millis(wait * 1000 + 100)).await;
    let res = sign_in(&app, "dave", PASSWORD).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // Per address: at most ten attempts a minute (the default), whoever they are for.
    let mut limited = false;
    for i in 0..12 {
        let res = sign_in(&app, &format!("someone{i}"), "wrong").await;
        if res.status() == 429 {
            assert!(res.headers().contains_key("retry-after"));
            limited = true;
            break;
        }
    }
    assert!(limited, "the per-address sign-in rate must trip");
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn nul_characters_are_a_400_not_a_500(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app
        .post_json("/api/nexus-forge/build", &json!({ "prompt": "\u{0}" }))
        .await;
    assert_eq!(res.status(), 400);
    assert!(body(res).await["message"].as_str().unwrap().contains("NUL"));
    let res = app.get("/api/coordination/events?kind=%00").await;
    assert_eq!(res.status(), 400);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn accounts_and_tokens_can_be_made_from_the_command_line(pool: PgPool) {
    let dir = std::env::temp_dir().join(format!("nf-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let pw = dir.join("pw");
    std::fs::write(&pw, "a long enough password\n").unwrap();
    let bin = env!("CARGO_BIN_EXE_nexus-forge");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .env("DATABASE_URL", crate::helpers::database_url(&pool))
            .env_remove("NF_LOG")
            .output()
            .unwrap()
    };
    let out = run(&[
        "admin",
        "create-user",
        "--username",
        "Erin",
        "--password-file",
        pw.to_str().unwrap(),
        "--admin",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    let out = run(&["admin", "create-token", "--username", "erin", "--name", "ci"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout:?}");
    let token = lines[0];
    assert!(token.starts_with("nf_") && token.len() == 67, "{token}");
    // A taken username is one clear line and a failure.
    let out = run(&[
        "admin",
        "create-user",
        "--username",
        "erin",
        "--password-file",
        pw.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("taken"));
    // The token works, and Erin is an admin.
    let app = spawn_app(pool.clone()).await;
    let erin = TestApp::client_for(token);
    assert_eq!(
        erin.get(app.url("/api/orchestrator/status"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The password works in the browser's sign-in.
    assert_eq!(sign_in(&app, "erin", "a long enough password").await.status(), 200);
    let stored: String = sqlx::query_scalar("select password_hash from users where username = 'erin'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
    app.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[sqlx::test(migrations = "../migrations")]
async fn invitations_make_accounts_once(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let origin = format!("http://{}", app.addr);
    let inv = body(
        app.client
            .post(app.url("/api/fn/create_invitation"))
            .header("origin", &origin)
            .json(&json!({ "is_admin": false, "note": "for frank" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let code = inv["code"].as_str().unwrap().to_owned();
    let sign_up = |username: &'static str| {
        let code = code.clone();
        let app = &app;
        let origin = origin.clone();
        async move {
            app.anon
                .post(app.url("/api/fn/sign_up"))
                .header("origin", origin)
                .json(&json!({ "code": code, "username": username, "password": "frank's password" }))
                .send()
                .await
                .unwrap()
        }
    };
    let res = sign_up("frank").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert!(res.headers().contains_key("set-cookie"));
    let again = sign_up("frank2").await;
    assert_eq!(again.status(), 403, "an invitation is used once");
    // Signing up without an invitation is refused (open sign-up is off).
    let res = app
        .anon
        .post(app.url("/api/fn/sign_up"))
        .header("origin", &origin)
        .json(&json!({ "username": "grace", "password": "grace's password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // And the setup page is over once anyone can sign in.
    let res = app
        .anon
        .post(app.url("/api/fn/setup"))
        .header("origin", &origin)
        .json(&json!({ "username": "mallory", "password": "mallory's password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_logs where action like 'account.%' or action like 'invitation.%' order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        actions.contains(&"invitation.create".into()) && actions.contains(&"account.signup".into()),
        "{actions:?}"
    );
    app.stop().await;
}

/// The next `subscribed` or `error`, skipping replayed events.
async fn subscribe_answer(ws: &mut Ws) -> ServerMessage {
    loop {
        match next_message(ws).await {
            ServerMessage::Event { .. } => {}
            other => return other,
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_websocket_bounds_are_exact(pool: PgPool) {
    let app_pool = pool.clone();
    let app = spawn_app(pool).await;
    let mut ws = ws_connect(&app, &app.token, None).await.unwrap();
    next_message(&mut ws).await;
    let topics = |n: usize| ClientMessage::Subscribe {
        topics: (0..n).map(|_| Topic::All).collect(),
        last_event_id: None,
    };
    let send = |msg: ClientMessage| Message::Text(serde_json::to_string(&msg).unwrap().into());

    // 64 topics is the most one subscribe may name.
    ws.send(send(topics(64))).await.unwrap();
    assert!(matches!(
        subscribe_answer(&mut ws).await,
        ServerMessage::Subscribed { .. }
    ));
    ws.send(send(topics(65))).await.unwrap();
    match subscribe_answer(&mut ws).await {
        ServerMessage::Error { message } => assert!(message.contains("at most 64 topics"), "{message}"),
        other => panic!("65 topics: {other:?}"),
    }
    // 0 is an event id (replay everything); -1 is not.
    subscribe_all(&mut ws, Some(0)).await;
    assert!(matches!(
        subscribe_answer(&mut ws).await,
        ServerMessage::Subscribed { .. }
    ));
    subscribe_all(&mut ws, Some(-1)).await;
    assert!(matches!(subscribe_answer(&mut ws).await, ServerMessage::Error { .. }));

    // A burst of twice the rate is allowed: with the four messages above, 30 pings are
    // all answered.
    for _ in 0..30 {
        ws.send(send(ClientMessage::Ping)).await.unwrap();
    }
    for i in 0..30 {
        match next_message(&mut ws).await {
            ServerMessage::Pong => {}
            ServerMessage::Event { .. } => {}
            other => panic!("ping {i}: {other:?}"),
        }
    }

    // An event far larger than any client message (100 KiB of payload) still reaches the
    // client: the write buffer allows four times the message limit.
    let pool = app_pool.clone();
    let big_event: i64 = sqlx::query_scalar(
        "insert into coordination_events (kind, payload) values ('task.progress', jsonb_build_object('pad', repeat('y', 100 * 1024))) returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    loop {
        match next_message(&mut ws).await {
            ServerMessage::Event { event } if event.id.0 == big_event => break,
            ServerMessage::Event { .. } | ServerMessage::Pong => {}
            other => panic!("waiting for the big event: {other:?}"),
        }
    }

    // A message just under 64 KiB is read (and answered), not a reason to close.
    let mut big = ws_connect(&app, &app.token, None).await.unwrap();
    next_message(&mut big).await;
    let padded = format!("{{\"type\":\"ping\",\"pad\":\"{}\"}}", "x".repeat(60 * 1024));
    big.send(Message::Text(padded.into())).await.unwrap();
    assert_eq!(next_message(&mut big).await, ServerMessage::Pong);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_token_revoked_on_one_instance_is_refused_by_another_within_the_second_it_is_remembered(pool: PgPool) {
    let a = spawn_app(pool.clone()).await;
    // A second process on the same database, with its own memory of who tokens are.
    let b = server::startup::Application::from_pool(test_config(String::new()), pool.clone())
        .await
        .expect("the second instance");
    let b_url = format!("http://{}", b.local_addr());
    let (stop_b, stopped) = tokio::sync::oneshot::channel::<()>();
    let b_task = tokio::spawn(b.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let token = person(&pool, "dave", false).await;
    let dave = TestApp::client_for(&token);
    let builds_on_b = || dave.get(format!("{b_url}/api/nexus-forge/builds")).send();
    assert_eq!(builds_on_b().await.unwrap().status(), 200, "b now remembers the token");
    let tokens = body(dave.get(a.url("/api/fn/list_tokens")).send().await.unwrap()).await;
    let res = dave
        .post(a.url("/api/fn/revoke_token"))
        .json(&json!({ "id": tokens[0]["id"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        dave.get(a.url("/api/nexus-forge/builds"))
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "refused at once where it was revoked"
    );
    let revoked = std::time::Instant::now();
    loop {
        let status = builds_on_b().await.unwrap().status();
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            revoked.elapsed() < orchestrator::IDENTITY_FRESH * 5,
            "the other instance still takes the revoked token after {:?}",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop_b.send(());
    let _ = b_task.await;
    a.stop().await;
}
