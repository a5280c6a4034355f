//! HTTP-level tests of the server: each starts the real router on a random port against a
//! fresh database. One binary for all of them keeps link time down.

#![allow(unreachable_pub)]

mod builds;
mod doors;
mod foundation;
mod helpers;
mod llm;
mod operations;
mod orchestrator;
mod revisions;
mod security;
mod sweep;
mod sweep_cases;
