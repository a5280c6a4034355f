//! Agents: the registry with live state, and registration.

use domain::{
    agent::RegisterAgentRequest,
    api::AgentView,
    ids::{AgentId, UserId},
};

use crate::{store, Error, Orchestrator, Result};

impl Orchestrator {
    /// Every agent with its live state.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_agents(&self) -> Result<Vec<AgentView>> {
        store::agents::list(self.pool()).await
    }

    /// Validates and stores an agent; it comes online at this process's next heartbeat (at
    /// once when this process runs every agent).
    ///
    /// # Errors
    /// [`Error::Validation`] naming every bad field; [`Error::Conflict`] for a taken name.
    pub async fn register_agent(&self, req: &RegisterAgentRequest, owner: UserId) -> Result<AgentView> {
        let spec = req.validate()?;
        let mut tx = self.pool().begin().await?;
        let id = store::agents::register(&mut tx, &spec, owner).await?;
        tx.commit().await?;
        let scheduler = self.scheduler();
        if scheduler.config.agents.is_none() {
            let mut tx = self.pool().begin().await?;
            store::agents::heartbeat(&mut tx, Some(&[id]), &scheduler.config.worker_name, self.now()).await?;
            tx.commit().await?;
            self.wake_scheduler();
        }
        store::agents::get(self.pool(), id).await
    }

    /// The agent a person means by `name_or_id`: its id, or its name in any case.
    ///
    /// # Errors
    /// [`Error::BadRequest`] when there is no such agent.
    pub(crate) async fn resolve_agent(&self, name_or_id: &str) -> Result<AgentId> {
        let wanted = name_or_id.trim();
        let agents = self.list_agents().await?;
        let by_id = domain::ids::parse::<AgentId>("agent", wanted).ok();
        agents
            .iter()
            .find(|a| Some(a.id) == by_id || a.name.eq_ignore_ascii_case(wanted))
            .map(|a| a.id)
            .ok_or_else(|| Error::BadRequest(format!("there is no agent called {wanted:?}")))
    }
}
