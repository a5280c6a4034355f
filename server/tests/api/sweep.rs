//! Bad input never gets a 5xx: every route in the OpenAPI document (the REST API and the
//! server functions), with odd ids in its path, odd query strings and malformed bodies
//! (broken and wrong-typed JSON, NUL bytes, invalid UTF-8, huge and deeply nested bodies,
//! numbers out of range). Thousands of requests; each must be answered below 500.

use std::time::Duration;

use serde_json::Value;
use sqlx::PgPool;

use crate::{
    helpers::{spawn_app_with, test_config},
    sweep_cases,
};

#[sqlx::test(migrations = "../migrations")]
async fn bad_input_never_gets_a_5xx(pool: PgPool) {
    let mut config = test_config(String::new());
    // The sweep is thousands of requests from one address: rate limits would answer most.
    config.security.rate_per_ip = 10_000_000;
    config.security.rate_per_person = 10_000_000;
    let app = spawn_app_with(config, pool).await;
    let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let paths = doc["paths"].as_object().expect("paths").clone();
    assert!(paths.len() >= 20, "{} paths", paths.len());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let auth = format!("Bearer {}", app.token);
    let origin = format!("http://{}", app.addr);
    let (cases, failures) = sweep_cases::run(&client, &origin, &auth, &origin, &paths).await;
    eprintln!("bad-input sweep: {cases} requests over {} paths", paths.len());
    assert!(cases >= 2_000, "only {cases} requests");
    assert!(
        failures.is_empty(),
        "{} of {cases} requests got a 5xx:\n{}",
        failures.len(),
        failures.join("\n")
    );
    app.stop().await;
}
