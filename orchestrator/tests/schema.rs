//! The migrations leave the tables with the constraints the domain relies on: every status
//! column refuses words outside its enum and accepts every word inside it, names are unique,
//! and inserting an event rings the NOTIFY doorbell.

use domain::{
    agent::Capability,
    status::{AgentKind, AgentStatus, BuildPhase, BuildStatus, ExecutionMode, TaskState, WorkflowStatus},
};
use sqlx::{postgres::PgListener, PgPool};
use uuid::Uuid;

const LOCAL: &str = "00000000-0000-0000-0000-000000000001";

fn is_check_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23514"))
}

async fn workflow(pool: &PgPool) -> Uuid {
    sqlx::query_scalar("insert into workflows (owner_id, name, description) values ($1::uuid, 'w', 'd') returning id")
        .bind(LOCAL)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_seed_has_four_agents_and_the_local_user(pool: PgPool) {
    let names: Vec<String> = sqlx::query_scalar("select name from agents order by name")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        names,
        [
            "Gemini-Designer",
            "Imagen-Asset-Gen",
            "Jules-CodeGen",
            "Starri-Orchestrator"
        ]
    );
    let states: i64 = sqlx::query_scalar("select count(*) from agent_states")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(states, 4);
    let user: String = sqlx::query_scalar("select username from users where id = $1::uuid")
        .bind(LOCAL)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(user, "local");
}

#[sqlx::test(migrations = "../migrations")]
async fn every_status_column_rejects_an_unknown_word(pool: PgPool) {
    let wf = workflow(&pool).await;
    let attempts: Vec<(&str, sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>)> = vec![
        ("agents.kind", sqlx::query("insert into agents (name, kind, capabilities, owner_id) values ('x', 'wizard', '{testing}', $1::uuid)").bind(LOCAL)),
        ("agents.capabilities", sqlx::query("insert into agents (name, kind, capabilities, owner_id) values ('x', 'custom', '{mind_reading}', $1::uuid)").bind(LOCAL)),
        ("agent_states.status", sqlx::query("update agent_states set status = 'sleeping'")),
        ("projects.status", sqlx::query("insert into projects (owner_id, prompt, status) values ($1::uuid, 'p', 'paused')").bind(LOCAL)),
        ("projects.phase", sqlx::query("insert into projects (owner_id, prompt, phase) values ($1::uuid, 'p', 'dreaming')").bind(LOCAL)),
        ("workflows.status", sqlx::query("update workflows set status = 'finished' where id = $1").bind(wf)),
        ("workflows.mode", sqlx::query("update workflows set mode = 'random' where id = $1").bind(wf)),
        ("tasks.state", sqlx::query("insert into tasks (workflow_id, owner_id, key, description, kind, position, state) values ($1, $2::uuid, 'k', 'd', 'generic', 0, 'waiting')").bind(wf).bind(LOCAL)),
        ("audit_logs.outcome", sqlx::query("insert into audit_logs (action, outcome) values ('agent.register', 'maybe')")),
        ("performance_metrics.unit", sqlx::query("insert into performance_metrics (metric, value, unit) values ('task.duration', 1, 'fortnights')")),
    ];
    for (column, query) in attempts {
        let err = query.execute(&pool).await.expect_err(column);
        assert!(
            is_check_violation(&err),
            "{column}: expected a check violation, got {err}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn every_domain_word_is_accepted_by_its_column(pool: PgPool) {
    for kind in AgentKind::ALL {
        sqlx::query("insert into agents (name, kind, capabilities, owner_id) values ($1, $2, $3, $4::uuid)")
            .bind(format!("agent-{kind}"))
            .bind(kind.as_str())
            .bind(Capability::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>())
            .bind(LOCAL)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("agents.kind {kind}: {e}"));
    }
    for status in AgentStatus::ALL {
        sqlx::query("update agent_states set status = $1")
            .bind(status.as_str())
            .execute(&pool)
            .await
            .unwrap();
    }
    for (status, phase) in BuildStatus::ALL.iter().zip(BuildPhase::ALL.iter().cycle()) {
        sqlx::query("insert into projects (owner_id, prompt, status, phase) values ($1::uuid, 'p', $2, $3)")
            .bind(LOCAL)
            .bind(status.as_str())
            .bind(phase.as_str())
            .execute(&pool)
            .await
            .unwrap();
    }
    for phase in BuildPhase::ALL {
        sqlx::query("update projects set phase = $1")
            .bind(phase.as_str())
            .execute(&pool)
            .await
            .unwrap();
    }
    let wf = workflow(&pool).await;
    for status in WorkflowStatus::ALL {
        sqlx::query("update workflows set status = $1 where id = $2")
            .bind(status.as_str())
            .bind(wf)
            .execute(&pool)
            .await
            .unwrap();
    }
    for mode in ExecutionMode::ALL {
        sqlx::query("update workflows set mode = $1 where id = $2")
            .bind(mode.as_str())
            .bind(wf)
            .execute(&pool)
            .await
            .unwrap();
    }
    for (i, state) in TaskState::ALL.iter().enumerate() {
        let running = *state == TaskState::Running;
        sqlx::query(
            "insert into tasks (workflow_id, owner_id, key, description, kind, position, state, lease_id, lease_expires_at)
             values ($1, $2::uuid, $3, 'd', 'generic', $4, $5, case when $6 then gen_random_uuid() end, case when $6 then now() end)",
        )
        .bind(wf)
        .bind(LOCAL)
        .bind(format!("t{i}"))
        .bind(i as i32)
        .bind(state.as_str())
        .bind(running)
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("tasks.state {state}: {e}"));
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_running_task_must_hold_a_lease_and_only_a_running_one(pool: PgPool) {
    let wf = workflow(&pool).await;
    let err = sqlx::query("insert into tasks (workflow_id, owner_id, key, description, kind, position, state) values ($1, $2::uuid, 'k', 'd', 'generic', 0, 'running')")
        .bind(wf)
        .bind(LOCAL)
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(is_check_violation(&err), "{err}");
    let err = sqlx::query("insert into tasks (workflow_id, owner_id, key, description, kind, position, state, lease_id, lease_expires_at) values ($1, $2::uuid, 'k', 'd', 'generic', 0, 'ready', gen_random_uuid(), now())")
        .bind(wf)
        .bind(LOCAL)
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(is_check_violation(&err), "{err}");
}

#[sqlx::test(migrations = "../migrations")]
async fn agent_names_are_unique(pool: PgPool) {
    let err = sqlx::query("insert into agents (name, kind, capabilities, owner_id) values ('Jules-CodeGen', 'coder', '{testing}', $1::uuid)")
        .bind(LOCAL)
        .execute(&pool)
        .await
        .unwrap_err();
    let sqlx::Error::Database(db) = err else {
        panic!("expected a database error")
    };
    assert_eq!(db.constraint(), Some("agents_name_key"));
}

#[sqlx::test(migrations = "../migrations")]
async fn inserting_events_notifies_listeners_with_the_highest_new_id(pool: PgPool) {
    let mut listener = PgListener::connect_with(&pool).await.unwrap();
    listener.listen("nf_events").await.unwrap();
    let max: i64 = sqlx::query_scalar(
        "insert into coordination_events (kind) values ('agent.registered'), ('agent.status_changed') returning id",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .max()
    .unwrap();
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
        .await
        .expect("a notification")
        .unwrap();
    assert_eq!(n.channel(), "nf_events");
    assert_eq!(n.payload(), max.to_string());
}

#[sqlx::test(migrations = "../migrations")]
async fn event_ids_increase_and_kinds_are_checked(pool: PgPool) {
    let ids: Vec<i64> = sqlx::query_scalar("insert into coordination_events (kind) values ('task.ready'), ('task.started'), ('task.succeeded') returning id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let err = sqlx::query("insert into coordination_events (kind) values ('Not A Kind')")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(is_check_violation(&err), "{err}");
}
