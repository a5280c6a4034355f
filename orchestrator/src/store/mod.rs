//! All SQL lives under this module, one file per table family; nothing else in the
//! workspace runs a query. The seed's table names are kept; where the code's word differs,
//! this is the one place that maps them:
//!
//! | module      | tables                                   | the code says |
//! |-------------|------------------------------------------|---------------|
//! | `agents`    | `agents`, `agent_states`                 | agent         |
//! | `workflows` | `workflows`, `task_edges`                | workflow      |
//! | `tasks`     | `tasks` (claim, complete, leases, reads) | task          |
//! | `builds`    | `projects`                               | **build**     |
//! | `artifacts` | `artifacts`                              | artifact      |
//! | `events`    | `coordination_events`                    | event         |
//! | `metrics`   | `performance_metrics`                    | metric        |
//! | `audit`     | `audit_logs`                             | audit entry   |
//! | `sessions`  | `sessions`                               | session       |
//! | `users`     | `users`, `api_tokens`, `invitations`, `server_keys` | person, token |
//! | `retention` | deletes old rows of the logs and files   |               |
//! | `status`    | counts across the tables above           |               |
//! | `transition`| the `where` every status change binds    |               |
//!
//! Modules only point one way (`workflows` -> `builds`, `tasks`, `events`; `builds` ->
//! `tasks`, `artifacts`, `events`; `tasks` -> `events`, `metrics`): no import cycles.
//!
//! Queries are runtime-checked (`sqlx::query_as` + `FromRow`) rather than compile-checked
//! macros. Why: building then needs neither a database nor a committed `.sqlx/` cache that
//! every schema change and every branch must regenerate (several engineers change queries in
//! parallel here), and the claim/complete statements are built from fragments that `query!`
//! cannot check anyway. The cost is covered by the integration tests in `orchestrator/tests/`
//! and `server/tests/`, which run every query against a fresh, migrated database per test.
//!
//! Functions that change state take `&mut PgConnection` (the caller's transaction) and
//! append their coordination events on it; read-only ones take any executor.

pub mod agents;
pub mod artifacts;
pub mod audit;
pub mod builds;
pub mod events;
pub mod metrics;
pub mod retention;
pub mod sessions;
pub mod status;
pub mod tasks;
pub(crate) mod transition;
pub mod users;
pub mod workflows;

use crate::error::{Error, Result};

/// A status word read back from the database as its `domain` enum; a word the enum does not
/// know is an internal error (the schema's CHECKs mirror the enums).
pub(crate) fn parse<T: std::str::FromStr<Err = domain::UnknownWord>>(s: &str) -> Result<T> {
    s.parse()
        .map_err(|e: domain::UnknownWord| Error::Internal(e.to_string()))
}
