//! [`Resilient`]: retries and a circuit breaker around any provider.
//!
//! - Retries: on timeouts, 429 (not quota), 5xx and connection failures, up to
//!   `max_retries` more attempts. A `Retry-After` is honoured (capped at `max_retry_after`);
//!   otherwise the delay doubles from `base_delay`.
//! - Circuit breaker: after `failure_threshold` consecutive calls that failed for the
//!   provider's sake (timeouts, 5xx, connection failures, rate limits), calls fail at once for
//!   `open_for`; then one probe call decides whether it closes again. A refused request (bad
//!   key, unknown model) says nothing about the provider's health and does not count.
//! - A stalled stream ([`LlmError::Stalled`]) counts against the breaker but is not
//!   retried: a model that stopped mid-answer is overloaded, and the stall clock exists to
//!   fail fast.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use super::{BoxFuture, LlmError, LlmFuture, LlmProvider, LlmRequest, Progress, ServerInfo};

/// Retry settings.
#[derive(Debug, Clone, Copy)]
pub struct RetryConfig {
    /// Attempts after the first.
    pub max_retries: u32,
    /// First delay without `Retry-After`.
    pub base_delay: Duration,
    /// Longest delay without `Retry-After`.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a longer one fails the call instead of waiting.
    pub max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// Circuit-breaker settings.
#[derive(Debug, Clone, Copy)]
pub struct BreakerConfig {
    /// Consecutive unhealthy failures that open the circuit.
    pub failure_threshold: u32,
    /// How long it stays open.
    pub open_for: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(30),
        }
    }
}

#[derive(Debug)]
enum Breaker {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

/// A provider with retries and a circuit breaker.
pub struct Resilient<P> {
    inner: P,
    retry: RetryConfig,
    breaker_config: BreakerConfig,
    breaker: Mutex<Breaker>,
}

impl<P: LlmProvider> Resilient<P> {
    /// Wraps `inner`.
    pub fn new(inner: P, retry: RetryConfig, breaker: BreakerConfig) -> Self {
        Self {
            inner,
            retry,
            breaker_config: breaker,
            breaker: Mutex::new(Breaker::Closed { failures: 0 }),
        }
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        self.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err` when the circuit is open; moves an expired open circuit to half-open.
    fn admit(&self) -> Result<(), LlmError> {
        let mut b = self.breaker();
        match *b {
            Breaker::Open { until } if Instant::now() < until => Err(LlmError::CircuitOpen(until - Instant::now())),
            Breaker::Open { .. } => {
                *b = Breaker::HalfOpen;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn record(&self, result: &Result<super::LlmResponse, LlmError>) {
        let unhealthy = matches!(
            result,
            Err(LlmError::Timeout(_)
                | LlmError::Stalled(_)
                | LlmError::Server { .. }
                | LlmError::Transport(_)
                | LlmError::RateLimited { .. })
        );
        let mut b = self.breaker();
        *b = match (&*b, unhealthy) {
            (_, false) => Breaker::Closed { failures: 0 },
            (Breaker::HalfOpen, true) => Breaker::Open {
                until: Instant::now() + self.breaker_config.open_for,
            },
            (Breaker::Closed { failures }, true) if failures + 1 >= self.breaker_config.failure_threshold => {
                tracing::warn!(provider = self.inner.name(), "circuit opened after repeated failures");
                Breaker::Open {
                    until: Instant::now() + self.breaker_config.open_for,
                }
            }
            (Breaker::Closed { failures }, true) => Breaker::Closed { failures: failures + 1 },
            (Breaker::Open { until }, true) => Breaker::Open { until: *until },
        };
        crate::instruments::llm_circuit(self.inner.name(), matches!(*b, Breaker::Open { .. }));
    }
}

impl<P: LlmProvider> LlmProvider for Resilient<P> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn complete<'a>(&'a self, req: &'a LlmRequest) -> LlmFuture<'a> {
        self.with_retries(req, None)
    }

    fn complete_streaming<'a>(&'a self, req: &'a LlmRequest, progress: Progress) -> LlmFuture<'a> {
        self.with_retries(req, Some(progress))
    }

    fn reported_context<'a>(&'a self, model: &'a str) -> BoxFuture<'a, Option<u32>> {
        self.inner.reported_context(model)
    }

    fn known_context(&self, model: &str) -> Option<u32> {
        self.inner.known_context(model)
    }

    fn probe(&self) -> BoxFuture<'_, ServerInfo> {
        self.inner.probe()
    }
}

impl<P: LlmProvider> Resilient<P> {
    fn with_retries<'a>(&'a self, req: &'a LlmRequest, progress: Option<Progress>) -> LlmFuture<'a> {
        Box::pin(async move {
            let started = Instant::now();
            let result = self.call(req, progress).await;
            let tokens = result.as_ref().map_or(0, |r| u64::from(r.usage.total()));
            crate::instruments::llm_call(self.inner.name(), result.is_ok(), started.elapsed(), tokens);
            result
        })
    }
}

impl<P: LlmProvider> Resilient<P> {
    /// The call with its retries.
    async fn call(&self, req: &LlmRequest, progress: Option<Progress>) -> Result<super::LlmResponse, LlmError> {
        let mut attempt = 0;
        loop {
            self.admit()?;
            let result = match &progress {
                Some(p) => self.inner.complete_streaming(req, p.clone()).await,
                None => self.inner.complete(req).await,
            };
            self.record(&result);
            let err = match result {
                Ok(r) => return Ok(r),
                Err(e) => e,
            };
            if !err.is_retryable() || attempt >= self.retry.max_retries {
                return Err(err);
            }
            let delay = match &err {
                LlmError::RateLimited { retry_after: Some(d) } if *d > self.retry.max_retry_after => return Err(err),
                LlmError::RateLimited { retry_after: Some(d) } => *d,
                _ => (self.retry.base_delay * 2u32.saturating_pow(attempt)).min(self.retry.max_delay),
            };
            tracing::debug!(provider = self.inner.name(), attempt, error = %err, ?delay, "retrying the model call");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}
