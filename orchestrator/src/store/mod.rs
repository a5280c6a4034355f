//! All SQL lives under this module, one file per area. Queries are runtime-checked
//! (`sqlx::query_as` + `FromRow`) rather than compile-checked macros, so building needs no
//! database and no `.sqlx/` cache; every query is exercised by the integration tests in
//! `orchestrator/tests/` against a fresh database per test instead.
//!
//! Functions that change state take `&mut PgConnection` (the caller's transaction) and
//! append their coordination events on it; read-only ones take any executor.

pub mod agents;
pub mod artifacts;
pub mod audit;
pub mod builds;
pub mod events;
pub mod metrics;
pub mod sessions;
pub mod tasks;
pub mod workflows;
