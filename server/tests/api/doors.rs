//! The two doors onto the orchestrator, REST and server functions, give the same answer
//! and the same status for the same bad input: page sizes, prompt length, ids.

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{spawn_app, TestApp};

/// What a door answered: the status and the message for a person.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    message: String,
}

/// A REST error body (`{"error", "message"}`).
async fn rest(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("a JSON error body");
    Answer {
        status,
        message: body["message"].as_str().expect("a message").to_owned(),
    }
}

/// A server function's error body: `AppError` as JSON (`{"BadRequest": "..."}`), or the
/// REST shape when the guard refused the request before any function ran.
async fn server_fn(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let text = res.text().await.expect("a body");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    let message = body
        .get("message")
        .or_else(|| body.as_object().and_then(|o| o.values().next()))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("not an AppError with a message: {body}"))
        .to_owned();
    Answer { status, message }
}

/// A read-only server function: `GET` with query parameters.
async fn get_fn(app: &TestApp, name: &str, query: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/fn/{name}")))
        .query(query)
        .send()
        .await
        .expect("request")
}

/// A changing server function: `POST` with a JSON body.
async fn json_fn(app: &TestApp, name: &str, body: &Value) -> reqwest::Response {
    app.post_json(&format!("/api/fn/{name}"), body).await
}

fn check(what: &str, rest: Answer, fun: Answer, status: u16, needle: &str) {
    assert_eq!(rest, fun, "{what}: the doors disagree");
    assert_eq!(rest.status, status, "{what}: {rest:?}");
    assert!(rest.message.contains(needle), "{what}: {rest:?} lacks {needle:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn both_doors_refuse_a_page_size_alike(pool: PgPool) {
    let app = spawn_app(pool).await;
    for bad in ["0", "1001", "-5"] {
        let r = rest(app.get(&format!("/api/coordination/events?limit={bad}")).await).await;
        let f = server_fn(get_fn(&app, "recent_events", &[("limit", bad)]).await).await;
        check(
            &format!("events limit {bad}"),
            r,
            f,
            400,
            "limit must be from 1 to 1000",
        );
        let f = server_fn(get_fn(&app, "find_events", &[("query[limit]", bad)]).await).await;
        let r = rest(app.get(&format!("/api/coordination/events?limit={bad}")).await).await;
        check(
            &format!("find_events limit {bad}"),
            r,
            f,
            400,
            "limit must be from 1 to 1000",
        );
    }
    // A good size is answered by both, and alike.
    let ok = app.get("/api/coordination/events?limit=5").await;
    assert_eq!(ok.status(), 200);
    let f = get_fn(&app, "recent_events", &[("limit", "5")]).await;
    assert_eq!(f.status(), 200);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn both_doors_refuse_a_bad_prompt_alike(pool: PgPool) {
    let app = spawn_app(pool).await;
    let long = "x".repeat(domain::limits::MAX_PROMPT_CHARS + 1);
    for (what, prompt, needle) in [
        ("empty", "   ", "must not be empty"),
        ("too long", long.as_str(), "at most 20000"),
        ("a NUL", "a todo app\u{0}", "NUL"),
    ] {
        let r = rest(
            app.post_json("/api/nexus-forge/build", &json!({ "prompt": prompt }))
                .await,
        )
        .await;
        let f = server_fn(json_fn(&app, "start_build", &json!({ "prompt": prompt })).await).await;
        check(what, r, f, 400, needle);
    }
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn both_doors_answer_bad_and_unknown_ids_alike(pool: PgPool) {
    let app = spawn_app(pool).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    for (id, status, needle) in [
        ("not-a-uuid", 400, "is not a valid build id"),
        (unknown.as_str(), 404, "was not found"),
    ] {
        let r = rest(app.get(&format!("/api/nexus-forge/build/{id}")).await).await;
        let f = server_fn(get_fn(&app, "get_build", &[("id", id)]).await).await;
        check(&format!("get build {id}"), r, f, status, needle);

        let r = rest(
            app.post_json(&format!("/api/nexus-forge/build/{id}/cancel"), &json!({}))
                .await,
        )
        .await;
        let f = server_fn(json_fn(&app, "cancel_build", &json!({ "id": id })).await).await;
        check(&format!("cancel build {id}"), r, f, status, needle);
    }
    for (id, status, needle) in [
        ("42", 400, "is not a valid workflow id"),
        (unknown.as_str(), 404, "was not found"),
    ] {
        let r = rest(app.get(&format!("/api/orchestrator/workflows/{id}")).await).await;
        let f = server_fn(get_fn(&app, "get_workflow", &[("id", id)]).await).await;
        check(&format!("get workflow {id}"), r, f, status, needle);
    }
    // Event filters: a bad build id and an unknown agent.
    let r = rest(app.get("/api/coordination/events?build_id=nope").await).await;
    let f = server_fn(get_fn(&app, "find_events", &[("query[build_id]", "nope")]).await).await;
    check("events by a bad build id", r, f, 400, "is not a valid build id");
    let r = rest(app.get("/api/coordination/events?agent=Nobody-Here").await).await;
    let f = server_fn(get_fn(&app, "find_events", &[("query[agent]", "Nobody-Here")]).await).await;
    check("events by an unknown agent", r, f, 400, "there is no agent called");
    // A known agent by name, in any case, works through both.
    let ok = app.get("/api/coordination/events?agent=starri-orchestrator").await;
    assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap());
    let ok = get_fn(&app, "find_events", &[("query[agent]", "STARRI-ORCHESTRATOR")]).await;
    assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap());
    app.stop().await;
}
