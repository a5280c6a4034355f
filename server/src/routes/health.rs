//! `GET /healthz`: 200 when Postgres answers, 503 when it does not (the cause is logged,
//! never echoed). The server
//! keeps running either way; the pool reconnects once Postgres is back.

use std::time::Duration;

use axum::{extract::State, http::StatusCode, routing::get, Json, Router};
use domain::api::Health;

use crate::state::AppState;

/// `/healthz`.
pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let version = env!("CARGO_PKG_VERSION").to_owned();
    match state.orchestrator.ping(Duration::from_secs(2)).await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok".into(),
                database: "up".into(),
                database_error: None,
                version,
            }),
        ),
        Err(why) => {
            // The cause goes to the log, not to whoever asks.
            tracing::warn!(error.message = %why, "health check: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "degraded".into(),
                    database: "down".into(),
                    database_error: None,
                    version,
                }),
            )
        }
    }
}
