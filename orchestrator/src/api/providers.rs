//! The LLM providers as this server sees them: reachable, their models, their context.

use domain::api::ProvidersView;

use crate::{pipeline, Actor, Orchestrator, Result};

impl Orchestrator {
    /// Checks every configured provider (each server is asked for its models and its
    /// context, a few seconds at most; an answer is reused for `llm::HEALTH_TTL`) and says
    /// whether the pipeline's smallest request fits. Any signed-in person may ask: it shows no keys or addresses.
    ///
    /// # Errors
    /// None today; the `Result` keeps the door's shape.
    pub async fn provider_health(&self, actor: &Actor) -> Result<ProvidersView> {
        let _ = actor;
        Ok(ProvidersView {
            providers: self.providers().health(pipeline::smallest_request_tokens()).await,
        })
    }
}
