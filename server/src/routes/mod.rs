//! REST routes. Each module owns a `router()`; [`router`] merges them. Handlers are thin:
//! parse, call one orchestrator method, shape the response.

pub mod builds;
pub mod health;
pub mod orchestrator;

use axum::{routing::any, Router};

use crate::{error::ApiError, state::AppState};

/// Every REST route, plus a JSON 404 for anything else under `/api/`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(builds::router())
        .merge(orchestrator::router())
        .route("/api/{*rest}", any(api_not_found))
}

async fn api_not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("there is no API endpoint at {}", uri.path()))
}
