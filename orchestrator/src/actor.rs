//! Who an API call acts for. Every call that reads or changes someone's things takes an
//! [`Actor`]: there is no default person and no `Option` that turns the owner check off.
//! The server makes one per request from a session or an API token; the `admin` CLI makes
//! one for the command line.
//!
//! An actor sees its own builds, workflows, files and events; an admin sees everyone's.
//! [`Actor::scope`] is that rule as the store's owner filter.

use domain::{auth::Person, ids::UserId};

use crate::{store::audit::AuditEntry, Error, Result};

/// Where a request came from, for the audit trail and per-address limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    /// The peer's address (as the server saw it).
    pub addr: Option<String>,
    /// Its `User-Agent`, clipped.
    pub user_agent: Option<String>,
}

impl Client {
    /// A client with these details (the user agent clipped to 300 characters).
    pub fn new(addr: Option<String>, user_agent: Option<&str>) -> Self {
        Self {
            addr,
            user_agent: user_agent.map(|u| u.chars().take(300).collect()),
        }
    }
}

/// How the actor proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A browser session (cookie).
    Session,
    /// An API token (`Authorization: Bearer`), by id.
    Token(uuid::Uuid),
    /// The command line on the server's own machine.
    Console,
}

/// A signed-in person making a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Who.
    pub person: Person,
    /// From where.
    pub client: Client,
    /// With what.
    pub credential: Credential,
}

impl Actor {
    /// The seeded local user acting as an admin from the server's own machine: for the
    /// orchestrator's tests, benchmarks and maintenance tools. No request ever gets it (the
    /// local user has no password and no tokens).
    pub fn system() -> Self {
        Self {
            person: Person {
                id: domain::ids::LOCAL_USER_ID,
                username: "local".into(),
                display_name: "Local user".into(),
                is_admin: true,
            },
            client: Client::default(),
            credential: Credential::Console,
        }
    }

    /// Their id.
    pub fn id(&self) -> UserId {
        self.person.id
    }

    /// Whether they are an admin.
    pub fn is_admin(&self) -> bool {
        self.person.is_admin
    }

    /// The owner filter for the store: their own rows, or everyone's for an admin.
    pub(crate) fn scope(&self) -> Option<UserId> {
        (!self.person.is_admin).then_some(self.person.id)
    }

    /// Refuses a non-admin.
    ///
    /// # Errors
    /// [`Error::Forbidden`] naming what needs an admin.
    pub(crate) fn require_admin(&self, what: &str) -> Result<()> {
        if self.person.is_admin {
            Ok(())
        } else {
            Err(Error::Forbidden(format!("only an admin may {what}")))
        }
    }

    /// An audit entry for something this actor did to `target`.
    pub(crate) fn audit(&self, action: &str, target_type: &str, target_id: impl ToString) -> AuditEntry {
        AuditEntry {
            actor_id: Some(self.person.id),
            action: action.to_owned(),
            target_type: Some(target_type.to_owned()),
            target_id: Some(target_id.to_string()),
            success: true,
            status_code: None,
            client_addr: self.client.addr.clone(),
            user_agent: self.client.user_agent.clone(),
            details: serde_json::json!({ "via": self.via() }),
        }
    }

    fn via(&self) -> &'static str {
        match self.credential {
            Credential::Session => "session",
            Credential::Token(_) => "token",
            Credential::Console => "console",
        }
    }
}
