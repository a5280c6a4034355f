//! The builds API and the preview.

use std::time::Duration;

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{spawn_app, TestApp};

async fn body(res: reqwest::Response) -> Value {
    res.json().await.expect("a JSON body")
}

pub(crate) async fn start(app: &TestApp, prompt: &str) -> String {
    let res = app
        .post_json("/api/nexus-forge/build", &json!({ "prompt": prompt }))
        .await;
    assert_eq!(res.status(), 202);
    let b = body(res).await;
    assert_eq!(b["status"], "queued");
    assert_eq!(b["websocket_url"], "/ws");
    b["build_id"].as_str().unwrap().to_owned()
}

pub(crate) async fn wait_done(app: &TestApp, id: &str) -> Value {
    crate::helpers::wait_build(
        &app.client,
        &app.url(&format!("/api/nexus-forge/build/{id}")),
        Duration::from_secs(30),
    )
    .await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_build_runs_to_a_preview_and_a_zip(pool: PgPool) {
    // Each offline answer takes a while, so the build is still going when the zip is asked for.
    let config = crate::helpers::Config {
        offline_delay_ms: 300,
        ..crate::helpers::test_config(String::new())
    };
    let app = crate::helpers::spawn_app_with(config, pool).await;
    let id = start(&app, "a recipe book with ingredients and favourites").await;

    // Not packaged yet: the download is a conflict with a message, not an error.
    let early = app.get(&format!("/api/nexus-forge/build/{id}/download")).await;
    assert_eq!(early.status(), 409);
    let why = body(early).await;
    assert_eq!(why["error"], "conflict", "{why}");
    assert!(why["message"].as_str().is_some_and(|m| !m.is_empty()), "{why}");
    let status = body(app.get(&format!("/api/nexus-forge/build/{id}")).await).await["status"].clone();
    assert_ne!(
        status, "completed",
        "the build must still be going for this check to mean anything"
    );

    let b = wait_done(&app, &id).await;
    assert_eq!(b["status"], "completed", "{b}");
    assert_eq!(b["phase"], "done");
    assert_eq!(b["progress"], 100.0);
    assert!(!b["spec"]["entities"].as_array().unwrap().is_empty());
    assert!(b["tasks"].as_array().unwrap().iter().all(|t| t["state"] == "succeeded"));
    assert!(b["duration_ms"].as_i64().unwrap() > 0);

    // The preview: sandboxed, served from the build's files.
    let preview = b["preview_url"].as_str().unwrap();
    let res = app.get(preview).await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.starts_with("sandbox allow-scripts allow-forms;"), "{csp}");
    assert!(
        csp.contains("connect-src 'none'") && csp.contains("form-action 'none'"),
        "{csp}"
    );
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("js/app.js"));
    let js = app.get(&format!("{preview}js/app.js")).await;
    assert_eq!(js.status(), 200);
    assert!(js.headers()["content-type"].to_str().unwrap().contains("javascript"));
    let etag = js.headers()["etag"].to_str().unwrap().to_owned();
    let again = app
        .client
        .get(app.url(&format!("{preview}js/app.js")))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let missing = app.get(&format!("{preview}nope.js")).await;
    assert_eq!(missing.status(), 404);
    assert!(missing.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("sandbox allow-scripts allow-forms;"));
    let bare = app
        .client
        .get(app.url(preview.trim_end_matches('/')))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.url().path(), preview, "redirected to the trailing slash");

    // The zip.
    let res = app.get(b["download_url"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename="));
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    // Already deflated: sent as it is even to a client that takes gzip (squeezing it again
    // would only cost the server time).
    let offered = app
        .client
        .get(app.url(b["download_url"].as_str().unwrap()))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert!(offered.headers().get("content-encoding").is_none());
    assert_eq!(offered.bytes().await.unwrap(), bytes);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_build_requests_are_4xx_with_a_message(pool: PgPool) {
    let app = spawn_app(pool).await;
    for (req, needle) in [
        (json!({ "prompt": "   " }), "must not be empty"),
        (json!({}), "must not be empty"),
        (json!({ "prompt": "x".repeat(20_001) }), "at most 20000"),
        (
            json!({ "prompt": "an app", "config": { "provider": "claude" } }),
            "not configured",
        ),
        (
            json!({ "prompt": "an app", "config": { "max_llm_calls": 0 } }),
            "max_llm_calls",
        ),
    ] {
        let res = app.post_json("/api/nexus-forge/build", &req).await;
        assert_eq!(res.status(), 400, "{req}");
        let b = body(res).await;
        assert_eq!(b["error"], "bad_request");
        assert!(b["message"].as_str().unwrap().contains(needle), "{b}");
    }
    let res = app.post_json("/api/nexus-forge/build", &json!({ "prompt": 42 })).await;
    assert_eq!(res.status(), 400);
    let missing = uuid::Uuid::new_v4();
    assert_eq!(
        app.get(&format!("/api/nexus-forge/build/{missing}")).await.status(),
        404
    );
    assert_eq!(
        app.get(&format!("/api/nexus-forge/build/{missing}/download"))
            .await
            .status(),
        404
    );
    assert_eq!(
        app.post_json(&format!("/api/nexus-forge/build/{missing}/cancel"), &json!({}))
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/api/nexus-forge/build/nope").await.status(), 400);
    assert_eq!(app.get(&format!("/preview/{missing}/")).await.status(), 404);
    assert_eq!(app.get("/api/nexus-forge/builds?limit=0").await.status(), 400);
    assert_eq!(app.get("/api/nexus-forge/builds?cursor=garbage").await.status(), 400);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn builds_are_listed_newest_first_a_page_at_a_time(pool: PgPool) {
    let app = spawn_app(pool).await;
    let mut ids = Vec::new();
    for p in ["a todo list", "a notes app", "a reading list"] {
        ids.push(start(&app, p).await);
    }
    ids.reverse();
    let first = body(app.get("/api/nexus-forge/builds?limit=2").await).await;
    let page1: Vec<&str> = first["builds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["build_id"].as_str().unwrap())
        .collect();
    assert_eq!(page1, &ids[..2]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = body(
        app.get(&format!("/api/nexus-forge/builds?limit=2&cursor={}", urlencode(cursor)))
            .await,
    )
    .await;
    let page2: Vec<&str> = second["builds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["build_id"].as_str().unwrap())
        .collect();
    assert_eq!(page2, &ids[2..]);
    assert!(second["next_cursor"].is_null());
    for id in &ids {
        wait_done(&app, id).await;
    }
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[sqlx::test(migrations = "../migrations")]
async fn cancelling_a_build_over_the_api(pool: PgPool) {
    // Each offline answer takes a while, so the build is still running when cancelled.
    let config = crate::helpers::Config {
        offline_delay_ms: 500,
        ..crate::helpers::test_config(String::new())
    };
    let app = crate::helpers::spawn_app_with(config, pool).await;
    let id = start(&app, "an inventory app for my shop").await;
    let res = app
        .post_json(&format!("/api/nexus-forge/build/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(body(res).await["status"], "cancelled");
    let b = wait_done(&app, &id).await;
    assert_eq!(b["status"], "cancelled");
    assert!(b["download_url"].is_null());
    let again = app
        .post_json(&format!("/api/nexus-forge/build/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(again.status(), 409);
    assert!(body(again).await["message"]
        .as_str()
        .unwrap()
        .contains("already finished"));
    app.stop().await;
}
