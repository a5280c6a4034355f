//! The coordination event log as the doors read it: filtered pages (REST, the events page)
//! and the replay a `/ws` client gets after a reconnect. A person reads only the events of
//! their own things; an admin reads all, including the agents' (which belong to nobody).

use domain::{
    api::{EventQuery, EventsPage},
    event::CoordinationEvent,
    ids::{self, BuildId, EventId, WorkflowId},
    limits::{check_text, EVENTS_PAGE},
};

use crate::{store, store::events::EventFilter, Actor, Error, Orchestrator, Result};

impl Orchestrator {
    /// A page of events matching `query`: with `since`, the events after it, oldest first
    /// (`next_since` pages forward); without, the newest ones, still oldest first.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for a bad id, an unknown agent, a negative `since`, or a page
    /// size outside [`EVENTS_PAGE`].
    pub async fn events(&self, query: &EventQuery, actor: &Actor) -> Result<EventsPage> {
        let limit = EVENTS_PAGE.resolve(query.limit)?;
        let mut filter = self.event_filter(query).await?;
        filter.owner = actor.scope();
        let page = store::events::page(self.pool(), &filter, limit).await?;
        // Full by rows read, not by events kept: a row of an unknown kind still counts.
        let next_since = (page.rows as i64 == limit && filter.since.is_some())
            .then_some(page.last_id)
            .flatten();
        Ok(EventsPage {
            events: page.events,
            next_since,
        })
    }

    /// Up to `limit` stored events in `(since, until]` that the actor may see, oldest
    /// first: what a `/ws` client that reconnects missed. The next page starts after
    /// `last_id`; none was read when it is `None`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn replay_events(
        &self,
        since: EventId,
        until: EventId,
        limit: i64,
        actor: &Actor,
    ) -> Result<store::events::Page> {
        let filter = EventFilter {
            since: Some(since),
            until: Some(until),
            owner: actor.scope(),
            ..Default::default()
        };
        store::events::page(self.pool(), &filter, limit).await
    }

    async fn event_filter(&self, q: &EventQuery) -> Result<EventFilter> {
        let given = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        if let Some(since) = q.since.filter(|s| *s < 0) {
            return Err(Error::BadRequest(format!(
                "since must be an event id (0 or more), not {since}"
            )));
        }
        let kind_prefix = given(&q.kind);
        if let Some(k) = &kind_prefix {
            check_text("kind", k)?;
        }
        let exclude_kind_prefix = given(&q.exclude_kind);
        if let Some(k) = &exclude_kind_prefix {
            check_text("exclude_kind", k)?;
        }
        let agent_id = match given(&q.agent) {
            Some(a) => Some(self.resolve_agent(&a).await?),
            None => None,
        };
        Ok(EventFilter {
            since: q.since.map(EventId),
            until: None,
            workflow_id: given(&q.workflow_id)
                .map(|w| ids::parse::<WorkflowId>("workflow", &w))
                .transpose()?,
            build_id: given(&q.build_id)
                .map(|b| ids::parse::<BuildId>("build", &b))
                .transpose()?,
            kind_prefix,
            exclude_kind_prefix,
            agent_id,
            owner: None,
        })
    }
}

/// Whether `actor` may see `event` (the live counterpart of the store's owner filter):
/// their own events, or every event for an admin.
pub fn visible_to(event: &CoordinationEvent, actor: &Actor) -> bool {
    actor.is_admin() || event.owner_id == Some(actor.id())
}
