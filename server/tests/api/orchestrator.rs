//! The orchestrator's REST API: shapes, status codes and error bodies.

use std::time::Duration;

use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{spawn_app, TestApp};

async fn body(res: reqwest::Response) -> Value {
    res.json().await.expect("a JSON body")
}

fn assert_error(b: &Value, kind: &str) {
    assert_eq!(b["error"], kind, "{b}");
    assert!(b["message"].as_str().is_some_and(|m| !m.is_empty()), "{b}");
}

async fn wait_terminal(app: &TestApp, id: &str) -> Value {
    for _ in 0..200 {
        let wf = body(app.get(&format!("/api/orchestrator/workflows/{id}")).await).await;
        if !["pending", "running"].contains(&wf["status"].as_str().unwrap()) {
            return wf;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("workflow {id} did not finish");
}

#[sqlx::test(migrations = "../migrations")]
async fn registering_an_agent_validates_and_lists_it(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;

    // Unknown capability: 422 naming the valid ones, nothing stored.
    let res = app
        .post_json(
            "/api/orchestrator/agents/register",
            &json!({ "agent_id": "Poet", "agent_type": "custom", "capabilities": ["text_generation", "poetry"] }),
        )
        .await;
    assert_eq!(res.status(), 422);
    let b = body(res).await;
    assert_error(&b, "validation");
    assert!(b["message"].as_str().unwrap().contains("`poetry`"), "{b}");
    assert!(b["message"].as_str().unwrap().contains("code_generation"), "{b}");
    assert_eq!(b["problems"][0]["field"], "capabilities");

    // A good one: 201, then listed, online at once.
    let res = app
        .post_json(
            "/api/orchestrator/agents/register",
            &json!({ "agent_id": "Poet", "agent_type": "custom", "capabilities": ["text_generation"], "configuration": { "max_concurrency": 2, "model": "gpt-4o-mini" } }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let b = body(res).await;
    assert_eq!(b["status"], "registered");
    assert_eq!(b["agent"]["max_concurrency"], 2);
    assert_eq!(b["agent"]["model"], "gpt-4o-mini");
    assert_eq!(b["agent"]["status"], "idle");

    // Same name again: 409.
    let res = app
        .post_json(
            "/api/orchestrator/agents/register",
            &json!({ "agent_id": "Poet", "capabilities": ["testing"] }),
        )
        .await;
    assert_eq!(res.status(), 409);
    assert_error(&body(res).await, "conflict");

    // Not JSON: 400 with a JSON error.
    let res = app
        .client
        .post(app.url("/api/orchestrator/agents/register"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_error(&body(res).await, "bad_request");

    let agents = body(app.get("/api/orchestrator/agents").await).await;
    let names: Vec<&str> = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Poet") && names.contains(&"Jules-CodeGen"), "{names:?}");

    // The registration (the one real change) is in the audit trail, with who, what, from
    // where; the refused attempts changed nothing and are not.
    type Row = (String, String, Option<String>, Option<String>, String);
    let rows: Vec<Row> = sqlx::query_as(
        "select a.outcome, a.target_id, a.client_addr, a.details->>'via', u.username
         from audit_logs a join users u on u.id = a.actor_id where a.action = 'agent.register' order by a.id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (outcome, target, addr, via, who) = &rows[0];
    assert_eq!(
        (outcome.as_str(), target.as_str(), who.as_str()),
        ("success", "Poet", "admin")
    );
    assert_eq!(addr.as_deref(), Some("127.0.0.1"));
    assert_eq!(via.as_deref(), Some("token"));
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn decompose_then_execute_runs_the_workflow_to_completion(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app
        .post_json(
            "/api/orchestrator/tasks/decompose",
            &json!({ "description": "Build a recipe sharing site", "requirements": ["recipe pages", "search", "user ratings"], "constraints": { "max_attempts": 2 } }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let plan = body(res).await;
    let id = plan["workflow_id"].as_str().unwrap().to_owned();
    let subtasks = plan["decomposition"]["subtasks"].as_array().unwrap();
    assert_eq!(subtasks.len(), 6);
    assert_eq!(subtasks[0]["id"], "analyze");
    for s in subtasks {
        for key in [
            "id",
            "description",
            "dependencies",
            "required_capabilities",
            "estimated_duration",
        ] {
            assert!(s.get(key).is_some(), "subtask lacks {key}: {s}");
        }
    }
    assert_eq!(plan["execution_strategy"], "parallel");
    assert!(plan["required_agents"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "Jules-CodeGen"));
    let confidence = plan["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence));

    // Execute answers with the running workflow, without waiting for it to finish.
    let res = app
        .post_json(
            &format!("/api/orchestrator/workflows/{id}/execute"),
            &json!({ "mode": "parallel" }),
        )
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(body(res).await["status"], "running");

    // Running it again is a conflict.
    let res = app
        .post_json(&format!("/api/orchestrator/workflows/{id}/execute"), &json!({}))
        .await;
    assert_eq!(res.status(), 409);
    assert_error(&body(res).await, "conflict");

    let done = wait_terminal(&app, &id).await;
    assert_eq!(done["status"], "completed");
    for t in done["tasks"].as_array().unwrap() {
        assert_eq!(t["state"], "succeeded", "{t}");
        assert!(
            t["agent"].is_string() && t["attempts"] == 1 && t["started_at"].is_string() && t["finished_at"].is_string(),
            "{t}"
        );
        assert_eq!(t["max_attempts"], 2);
    }

    // Cancelling a finished workflow is a conflict too.
    let res = app
        .post_json(&format!("/api/orchestrator/workflows/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status(), 409);

    // The status endpoint counts it.
    let status = body(app.get("/api/orchestrator/status").await).await;
    assert_eq!(status["workflows"]["completed"], 1);
    assert_eq!(status["tasks"]["succeeded"], 6);
    assert_eq!(status["agents_registered"], 4);
    assert!(status["task_duration_ms"]["count"].as_i64().unwrap() >= 6);
    assert!(status["throughput_per_sec"].as_f64().unwrap() > 0.0);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_requests_get_clear_4xx_answers(pool: PgPool) {
    let app = spawn_app(pool).await;
    let res = app
        .post_json("/api/orchestrator/tasks/decompose", &json!({ "description": "   " }))
        .await;
    assert_eq!(res.status(), 400);
    assert!(body(res).await["message"].as_str().unwrap().contains("description"));

    let res = app
        .post_json(
            "/api/orchestrator/tasks/decompose",
            &json!({ "description": "x y z", "constraints": { "max_attempts": 0 } }),
        )
        .await;
    assert_eq!(res.status(), 400);
    assert!(body(res).await["message"].as_str().unwrap().contains("max_attempts"));

    let missing = uuid::Uuid::new_v4();
    let res = app
        .post_json(&format!("/api/orchestrator/workflows/{missing}/execute"), &json!({}))
        .await;
    assert_eq!(res.status(), 404);
    assert_error(&body(res).await, "not_found");
    assert_eq!(
        app.get(&format!("/api/orchestrator/workflows/{missing}"))
            .await
            .status(),
        404
    );

    let res = app.get("/api/orchestrator/workflows/not-a-uuid").await;
    assert_eq!(res.status(), 400);
    assert_error(&body(res).await, "bad_request");

    let plan = body(
        app.post_json(
            "/api/orchestrator/tasks/decompose",
            &json!({ "description": "a small tool" }),
        )
        .await,
    )
    .await;
    let id = plan["workflow_id"].as_str().unwrap();
    let res = app
        .post_json(
            &format!("/api/orchestrator/workflows/{id}/execute"),
            &json!({ "mode": "sideways" }),
        )
        .await;
    assert_eq!(res.status(), 422);
    let b = body(res).await;
    assert_eq!(b["problems"][0]["field"], "mode");
    assert!(b["message"].as_str().unwrap().contains("parallel, sequential"), "{b}");

    let res = app.get("/api/coordination/events?limit=1001").await;
    assert_eq!(res.status(), 400);
    let res = app.get("/api/coordination/events?limit=abc").await;
    assert_eq!(res.status(), 400);
    app.stop().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn events_page_through_the_log_and_filter_by_workflow(pool: PgPool) {
    let app = spawn_app(pool).await;
    let plan = body(
        app.post_json(
            "/api/orchestrator/tasks/decompose",
            &json!({ "description": "notes app with tags and search" }),
        )
        .await,
    )
    .await;
    let id = plan["workflow_id"].as_str().unwrap().to_owned();
    app.post_json(
        &format!("/api/orchestrator/workflows/{id}/execute"),
        &json!({ "mode": "sequential" }),
    )
    .await;
    let done = wait_terminal(&app, &id).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["mode"], "sequential");

    let all = body(
        app.get(&format!("/api/coordination/events?workflow_id={id}&since=0&limit=1000"))
            .await,
    )
    .await;
    let events = all["events"].as_array().unwrap();
    assert!(events.iter().all(|e| e["workflow_id"] == id.as_str()));
    assert_eq!(events.first().unwrap()["kind"], "workflow.created");
    assert_eq!(events.last().unwrap()["kind"], "workflow.finished");
    assert!(all["next_since"].is_null());

    // Two at a time, following next_since, gives the same sequence.
    let mut since = 0;
    let mut paged = Vec::new();
    loop {
        let page = body(
            app.get(&format!(
                "/api/coordination/events?workflow_id={id}&since={since}&limit=2"
            ))
            .await,
        )
        .await;
        paged.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_i64().unwrap()),
        );
        match page["next_since"].as_i64() {
            Some(n) => since = n,
            None => break,
        }
    }
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(paged, ids);

    // Without `since`: the newest 50 (the default page), oldest first. Read the page first and
    // the whole log after, so events appended meanwhile (agents' heartbeats) cannot disturb it.
    let ids_of = |page: &Value| -> Vec<i64> {
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect()
    };
    let newest = ids_of(&body(app.get("/api/coordination/events").await).await);
    let every = ids_of(&body(app.get("/api/coordination/events?since=0&limit=1000").await).await);
    assert!(every.len() > 2, "{every:?}");
    let end = every
        .iter()
        .position(|id| Some(id) == newest.last())
        .expect("the page's last event")
        + 1;
    assert_eq!(newest, every[end.saturating_sub(50)..end].to_vec());
    assert_eq!(newest.len(), end.min(50));
    app.stop().await;
}
