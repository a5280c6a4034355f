//! The Nexus Forge server: one process that serves the dashboard (Leptos SSR + hydration),
//! the REST API, `/ws`, and runs the orchestrator's background work.
//!
//! # Layout
//! - [`config`]: flags and environment variables (`--help` explains each).
//! - [`startup`]: connect, migrate, bind, build the router, serve until a signal.
//! - [`state`]: [`state::AppState`], shared by every handler.
//! - [`routes`]: REST handlers, one module per area, each with its own `router()`.
//! - [`ws`]: the `/ws` live feed.
//! - [`error`]: [`error::ApiError`], the JSON error every REST handler returns.
//! - [`telemetry`]: where the logs go and how they are filtered.
//! - [`sessions`]: browser sessions (tower-sessions, stored in Postgres).
//! - [`auth`]: who is calling (token or session) and the sign-in gate for pages.
//! - [`guard`]: hosts, origins, JSON-only changes, NUL, rates, security headers.
//! - [`admin`]: `nexus-forge admin create-user | create-token`.
//! - [`metrics`]: `/metrics` (Prometheus), and the HTTP and WebSocket instruments.
//! - [`openapi`]: `/api/openapi.json` (OpenAPI 3.1, from the handlers' types) and `/api/reference`.
//! - [`bundle`]: `/pkg/*`, the browser bundle, from memory (brotli or gzip copies), at
//!   addresses named by its hash and cached for good.
//! - [`page_cache`]: a page rendered for a person is reused for them for 100 ms if nothing changed.
//!
//! `main.rs` only parses flags and calls [`startup::Application`], so tests start the same
//! server on a random port against their own database.

#![recursion_limit = "256"] // Leptos view types of the dashboard are deeply nested.

pub mod admin;
pub mod auth;
pub mod bundle;
pub mod config;
pub mod error;
pub mod guard;
pub mod metrics;
pub mod openapi;
pub mod page_cache;
pub mod routes;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod ws;
