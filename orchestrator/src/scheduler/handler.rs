//! What runs a task: a [`TaskHandler`] per task kind, registered in [`Handlers`]. A
//! handler gets a [`TaskContext`] (the claimed task, its agent, a cancellation token, and
//! what a handler may use: the clock, the LLM providers and, inside this crate, the store's
//! pool) and returns the task's output or a [`TaskError`] that says whether another
//! attempt could help.

use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc};

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{clock::Clock, llm::Providers, store::tasks::ClaimedTask};

/// Why a task attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// Might work next time (a timeout, a rate limit, a flaky dependency).
    #[error("{0}")]
    Retryable(String),
    /// Will not work however often it is tried; remaining attempts are skipped.
    #[error("{0}")]
    Fatal(String),
}

/// A boxed handler future.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<serde_json::Value, TaskError>> + Send>>;

/// What a handler is given.
#[derive(Clone)]
pub struct TaskContext {
    /// The task, with its agent and attempt number.
    pub task: ClaimedTask,
    /// Cancelled when the task must stop (workflow cancelled, lease lost, timeout).
    pub cancel: CancellationToken,
    /// What the handler may use besides its task.
    pub(crate) env: TaskEnv,
    /// When this attempt's timeout cuts it off (long model calls end before it).
    pub(crate) deadline: tokio::time::Instant,
}

/// What every handler may use: narrow on purpose (no scheduler, no bus, no API).
#[derive(Clone)]
pub(crate) struct TaskEnv {
    pub(crate) pool: PgPool,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) providers: Providers,
    pub(crate) verifier: Arc<crate::verify::Verifier>,
}

impl TaskContext {
    /// The time, by the orchestrator's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.env.clock.now()
    }

    /// The configured LLM providers.
    pub fn providers(&self) -> &Providers {
        &self.env.providers
    }

    /// The browser check's shared browser.
    pub(crate) fn verifier(&self) -> &crate::verify::Verifier {
        &self.env.verifier
    }

    /// The connection pool, for the store calls of this crate's handlers.
    pub(crate) fn db(&self) -> &PgPool {
        &self.env.pool
    }
}

/// Runs tasks of one kind.
pub trait TaskHandler: Send + Sync + 'static {
    /// Runs one attempt.
    fn run(&self, ctx: TaskContext) -> HandlerFuture;
}

impl<F, Fut> TaskHandler for F
where
    F: Fn(TaskContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<serde_json::Value, TaskError>> + Send + 'static,
{
    fn run(&self, ctx: TaskContext) -> HandlerFuture {
        Box::pin(self(ctx))
    }
}

/// Handlers by task kind.
#[derive(Clone, Default)]
pub struct Handlers {
    by_kind: HashMap<String, Arc<dyn TaskHandler>>,
}

impl Handlers {
    /// No handlers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for `kind`, replacing any earlier one.
    pub fn insert(&mut self, kind: impl Into<String>, handler: impl TaskHandler) -> &mut Self {
        self.by_kind.insert(kind.into(), Arc::new(handler));
        self
    }

    /// The handler for `kind`.
    pub fn get(&self, kind: &str) -> Option<Arc<dyn TaskHandler>> {
        self.by_kind.get(kind).cloned()
    }

    /// The registered kinds.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.by_kind.keys().map(String::as_str)
    }
}

/// The `noop` handler: succeeds at once with `null` (benchmarks, tests).
pub fn noop(_ctx: TaskContext) -> impl Future<Output = Result<serde_json::Value, TaskError>> + Send {
    std::future::ready(Ok(serde_json::Value::Null))
}
