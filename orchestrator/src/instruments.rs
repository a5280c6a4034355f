//! What the orchestrator counts and times for Prometheus, through the `metrics` facade: every
//! metric name it records is here, so `/metrics` has one place that says what it shows.
//!
//! Recording is free when no recorder is installed (tests, the bench); the server installs
//! the Prometheus recorder and renders it at `/metrics`. These are this process's own events
//! (counters, histograms). Totals that every instance shares (tasks by state, builds by
//! status, the queue) are read from Postgres at scrape time instead: [`crate::Gauges`].
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `nf_tasks_started_total` | counter | `kind` |
//! | `nf_task_queue_wait_seconds` | histogram | `kind` |
//! | `nf_tasks_finished_total` | counter | `kind`, `outcome` of the attempt (succeeded, failed, cancelled; a failed attempt that is retried counts as failed) |
//! | `nf_task_duration_seconds` | histogram | `kind`, `outcome` |
//! | `nf_builds_started_total` | counter | |
//! | `nf_builds_finished_total` | counter | `outcome` (completed, failed, cancelled) |
//! | `nf_llm_calls_total` | counter | `provider`, `outcome` (ok, error) |
//! | `nf_llm_call_duration_seconds` | histogram | `provider` |
//! | `nf_llm_tokens_total` | counter | `provider` |
//! | `nf_llm_circuit_open` | gauge | `provider` (1 while its breaker is open) |

use std::time::Duration;

use metrics::{counter, gauge, histogram};

/// A task was claimed and starts running, after waiting `waited` in the ready queue.
pub(crate) fn task_started(kind: &str, waited: Option<Duration>) {
    counter!("nf_tasks_started_total", "kind" => kind.to_owned()).increment(1);
    if let Some(w) = waited {
        histogram!("nf_task_queue_wait_seconds", "kind" => kind.to_owned()).record(w.as_secs_f64());
    }
}

/// A task's attempt ended with `outcome` after running `took`.
pub(crate) fn task_finished(kind: &str, outcome: &'static str, took: Duration) {
    counter!("nf_tasks_finished_total", "kind" => kind.to_owned(), "outcome" => outcome).increment(1);
    histogram!("nf_task_duration_seconds", "kind" => kind.to_owned(), "outcome" => outcome).record(took.as_secs_f64());
}

/// A build was accepted.
pub(crate) fn build_started() {
    counter!("nf_builds_started_total").increment(1);
}

/// A build reached its final status (`completed`, `failed`, `cancelled`).
pub(crate) fn build_finished(outcome: &'static str) {
    counter!("nf_builds_finished_total", "outcome" => outcome).increment(1);
}

/// One call to a model provider (after its retries), how long it took and the tokens it used.
pub(crate) fn llm_call(provider: &str, ok: bool, took: Duration, tokens: u64) {
    let outcome = if ok { "ok" } else { "error" };
    counter!("nf_llm_calls_total", "provider" => provider.to_owned(), "outcome" => outcome).increment(1);
    histogram!("nf_llm_call_duration_seconds", "provider" => provider.to_owned()).record(took.as_secs_f64());
    if tokens > 0 {
        counter!("nf_llm_tokens_total", "provider" => provider.to_owned()).increment(tokens);
    }
}

/// Whether `provider`'s circuit breaker is open (calls fail fast) or closed.
pub(crate) fn llm_circuit(provider: &str, open: bool) {
    gauge!("nf_llm_circuit_open", "provider" => provider.to_owned()).set(if open { 1.0 } else { 0.0 });
}
