//! Agents: the registry with live state, registration and deletion. The registry is the
//! server's, not a person's: reading it, registering and deleting need an admin.

use domain::{agent::RegisterAgentRequest, api::AgentView, ids::AgentId};

use crate::{store, Actor, Error, Orchestrator, Result};

impl Orchestrator {
    /// Every agent with its live state (admins only).
    ///
    /// # Errors
    /// [`Error::Forbidden`] for a non-admin.
    pub async fn list_agents(&self, actor: &Actor) -> Result<Vec<AgentView>> {
        actor.require_admin("see the agents")?;
        store::agents::list(self.pool()).await
    }

    /// Validates and stores an agent; it comes online at this process's next heartbeat (at
    /// once when this process runs every agent).
    ///
    /// # Errors
    /// [`Error::Forbidden`] for a non-admin; [`Error::Validation`] naming every bad field;
    /// [`Error::Conflict`] for a taken name.
    pub async fn register_agent(&self, req: &RegisterAgentRequest, actor: &Actor) -> Result<AgentView> {
        actor.require_admin("register agents")?;
        let spec = req.validate()?;
        let mut tx = self.pool().begin().await?;
        let id = store::agents::register(&mut tx, &spec, actor.id()).await?;
        store::audit::record(&mut *tx, &actor.audit("agent.register", "agent", &spec.name)).await?;
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

    /// Deletes an agent the admin registered (built-in agents stay). Its finished tasks keep
    /// their history; it must have no running task.
    ///
    /// # Errors
    /// [`Error::Forbidden`] for a non-admin; [`Error::NotFound`]; [`Error::Conflict`] for a
    /// built-in agent or one that is running tasks.
    pub async fn delete_agent(&self, name_or_id: &str, actor: &Actor) -> Result<()> {
        actor.require_admin("delete agents")?;
        let id = self
            .resolve_agent(name_or_id)
            .await
            .map_err(|_| Error::not_found("agent", name_or_id.trim()))?;
        let mut tx = self.pool().begin().await?;
        let name = store::agents::delete(&mut tx, id).await?;
        store::audit::record(&mut *tx, &actor.audit("agent.delete", "agent", &name)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The agent a person means by `name_or_id`: its id, or its name in any case.
    ///
    /// # Errors
    /// [`Error::BadRequest`] when there is no such agent.
    pub(crate) async fn resolve_agent(&self, name_or_id: &str) -> Result<AgentId> {
        let wanted = name_or_id.trim();
        let agents = store::agents::list(self.pool()).await?;
        let by_id = domain::ids::parse::<AgentId>("agent", wanted).ok();
        agents
            .iter()
            .find(|a| Some(a.id) == by_id || a.name.eq_ignore_ascii_case(wanted))
            .map(|a| a.id)
            .ok_or_else(|| Error::BadRequest(format!("there is no agent called {wanted:?}")))
    }
}
