//! Server functions: the dashboard's door onto the orchestrator. Each one is thin: parse,
//! call one `Orchestrator` method, map the error. The REST routes in `server/` call the same
//! methods.

use domain::{api::AgentView, event::CoordinationEvent};
use leptos::prelude::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use leptos::prelude::use_context;
    use orchestrator::Orchestrator;

    use crate::error::AppError;

    /// The orchestrator the server provided as context.
    pub(crate) fn orchestrator() -> Result<Orchestrator, AppError> {
        use_context::<Orchestrator>().ok_or_else(|| {
            tracing::error!("server function called without an Orchestrator in context");
            AppError::Internal
        })
    }
}

/// Every agent with its live state.
#[server]
pub async fn list_agents() -> Result<Vec<AgentView>, AppError> {
    Ok(ssr::orchestrator()?.list_agents().await?)
}

/// The newest `limit` coordination events, oldest first.
#[server]
pub async fn recent_events(limit: i64) -> Result<Vec<CoordinationEvent>, AppError> {
    Ok(ssr::orchestrator()?.recent_events(limit.clamp(1, 200)).await?)
}
