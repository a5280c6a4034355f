//! The orchestrator's API: every call the two doors make (REST handlers in `server/`,
//! server functions in `app/`), one module per area, all as methods on
//! [`crate::Orchestrator`]:
//!
//! - `accounts`: set-up, sign-in, sign-up, passwords, tokens, invitations, people, audit.
//! - `agents`: list, register and delete agents (admins).
//! - `workflows`: decompose, execute, cancel, read and list workflows.
//! - `builds`: start, read, list and cancel builds; their files and zip.
//! - `providers`: the LLM providers' health (reachable, models, context).
//! - `preview`: signed, expiring preview links (the sandboxed app carries no cookies).
//! - `events`: pages of the coordination event log, and the `/ws` replay.
//! - `sessions`: browser session records (for the server's session store).
//! - `identity_cache`: who a token, session or person id is, kept for a second.
//! - `status`: the orchestrator's status, metric series, the audit trail.
//!
//! Every rule a door would otherwise decide is applied here, once: page sizes and prompt
//! lengths (from [`domain::limits`]), id parsing ([`domain::ids::parse`]), agent names.
//! A door parses its transport (path, query, JSON), calls one method, and maps
//! [`crate::Error`] to its status; the same bad input gets the same message from both.

mod accounts;
mod agents;
mod builds;
mod events;
mod identity_cache;
mod preview;
mod providers;
mod sessions;
mod status;
mod workflows;

pub use events::visible_to;
pub(crate) use identity_cache::Identities;
pub use identity_cache::IDENTITY_FRESH;
pub use sessions::SessionRecord;
pub(crate) use status::StatusSnapshot;
pub use status::{Gauges, STATUS_FRESH};

/// Who may make an account.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountSettings {
    /// Anyone may sign up, without an invitation.
    pub open_signup: bool,
}

use domain::limits::LimitError;

use crate::Error;

impl From<LimitError> for Error {
    fn from(e: LimitError) -> Self {
        Error::BadRequest(e.0)
    }
}

impl From<domain::ids::BadId> for Error {
    fn from(e: domain::ids::BadId) -> Self {
        Error::BadRequest(e.to_string())
    }
}
