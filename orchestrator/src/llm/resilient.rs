//! [`Resilient`]: retries and a circuit breaker around any provider.
//!
//! - Retries: on timeouts, 429 (not quota), 5xx and connection failures, up to
//!   `max_retries` more attempts. A `Retry-After` is honoured (capped at `max_retry_after`);
//!   otherwise the delay doubles from `base_delay`.
//! - Circuit breaker: after `failure_threshold` consecutive calls that failed for the
//!   provider's sake (timeouts, 5xx, connection failures, rate limits), calls fail at once for
//!   `open_for`; then one probe call decides whether it closes again (other calls keep failing
//!   fast while the probe runs; a probe that never reports, because its caller gave up, is
//!   replaced after another `open_for`). A refused request (bad key, unknown model) says
//!   nothing about the provider's health and does not count.
//! - A stalled stream ([`LlmError::Stalled`]) counts against the breaker but is not
//!   retried: a model that stopped mid-answer is overloaded, and the stall clock exists to
//!   fail fast.

use std::{sync::Mutex, time::Duration};

// tokio's clock, so tests can pause and advance time instead of sleeping.
use tokio::time::Instant;

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
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One probe call is out since `since`.
    HalfOpen {
        since: Instant,
    },
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
        let now = Instant::now();
        let open_for = self.breaker_config.open_for;
        match *b {
            Breaker::Open { until } if now < until => Err(LlmError::CircuitOpen(until - now)),
            Breaker::HalfOpen { since } if now < since + open_for => Err(LlmError::CircuitOpen(since + open_for - now)),
            Breaker::Open { .. } | Breaker::HalfOpen { .. } => {
                *b = Breaker::HalfOpen { since: now };
                Ok(())
            }
            Breaker::Closed { .. } => Ok(()),
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
            (Breaker::HalfOpen { .. }, true) => Breaker::Open {
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

#[cfg(test)]
mod tests {
    use std::{
        collections::VecDeque,
        sync::{
            atomic::{AtomicU32, Ordering},
            Arc,
        },
    };

    use super::*;
    use crate::llm::{LlmResponse, Usage};

    /// A provider that answers from a script, counting its calls (and the streamed ones).
    struct Scripted {
        answers: Mutex<VecDeque<Result<LlmResponse, LlmError>>>,
        calls: Arc<AtomicU32>,
        streamed: AtomicU32,
    }

    impl LlmProvider for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }
        fn model(&self) -> &str {
            "m"
        }
        fn complete<'a>(&'a self, _: &'a LlmRequest) -> LlmFuture<'a> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let next = self.answers.lock().unwrap().pop_front();
            Box::pin(async move { next.unwrap_or_else(|| Err(LlmError::Unsupported("script ended".into()))) })
        }
        fn complete_streaming<'a>(&'a self, req: &'a LlmRequest, progress: Progress) -> LlmFuture<'a> {
            self.streamed.fetch_add(1, Ordering::SeqCst);
            progress(7);
            self.complete(req)
        }
        fn reported_context<'a>(&'a self, model: &'a str) -> BoxFuture<'a, Option<u32>> {
            Box::pin(async move { (model == "m").then_some(8192) })
        }
        fn known_context(&self, model: &str) -> Option<u32> {
            (model == "m").then_some(4096)
        }
        fn probe(&self) -> BoxFuture<'_, ServerInfo> {
            Box::pin(async {
                ServerInfo {
                    reachable: true,
                    models: vec!["m".into()],
                    context: Some(4096),
                    error: None,
                }
            })
        }
    }

    fn ok() -> Result<LlmResponse, LlmError> {
        Ok(LlmResponse {
            text: "fine".into(),
            usage: Usage::default(),
            model: "m".into(),
        })
    }

    fn down() -> Result<LlmResponse, LlmError> {
        Err(LlmError::Server {
            status: 503,
            message: "down".into(),
        })
    }

    fn request() -> LlmRequest {
        LlmRequest {
            system: String::new(),
            messages: vec![],
            json: false,
            max_tokens: 10,
            temperature: 0.0,
            model: None,
            purpose: "test".into(),
            context: serde_json::Value::Null,
        }
    }

    const OPEN_FOR: Duration = Duration::from_secs(30);

    fn wrap(script: Vec<Result<LlmResponse, LlmError>>, max_retries: u32) -> (Resilient<Scripted>, Arc<AtomicU32>) {
        let calls = Arc::new(AtomicU32::new(0));
        let provider = Scripted {
            answers: Mutex::new(script.into()),
            calls: calls.clone(),
            streamed: AtomicU32::new(0),
        };
        let retry = RetryConfig {
            max_retries,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
        };
        let breaker = BreakerConfig {
            failure_threshold: 3,
            open_for: OPEN_FOR,
        };
        (Resilient::new(provider, retry, breaker), calls)
    }

    #[tokio::test(start_paused = true)]
    async fn the_breaker_opens_fails_fast_probes_once_and_closes() {
        let (p, calls) = wrap(vec![down(), down(), down(), down(), ok(), ok()], 0);
        let req = request();
        for _ in 0..3 {
            assert!(matches!(p.complete(&req).await, Err(LlmError::Server { .. })));
        }
        // Open: the provider is not called at all, and the wait left is said.
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        match p.complete(&req).await {
            Err(LlmError::CircuitOpen(left)) => assert!(left <= OPEN_FOR && left > OPEN_FOR / 2, "{left:?}"),
            other => panic!("expected the circuit to be open, got {other:?}"),
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        // After open_for, one probe goes through; it fails, so the circuit opens again.
        tokio::time::advance(OPEN_FOR).await;
        assert!(matches!(p.complete(&req).await, Err(LlmError::Server { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert!(matches!(p.complete(&req).await, Err(LlmError::CircuitOpen(_))));

        // The next probe succeeds and closes it: calls flow again.
        tokio::time::advance(OPEN_FOR).await;
        assert!(p.complete(&req).await.is_ok());
        assert!(p.complete(&req).await.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn while_a_probe_is_out_other_calls_fail_fast_and_a_lost_probe_is_replaced() {
        let (p, calls) = wrap(vec![down(), down(), down(), ok()], 0);
        let req = request();
        for _ in 0..3 {
            let _ = p.complete(&req).await;
        }
        tokio::time::advance(OPEN_FOR).await;
        // The probe is admitted, but its caller gives up before it reports.
        assert!(p.admit().is_ok());
        tokio::time::advance(Duration::from_secs(10)).await;
        match p.complete(&req).await {
            // The wait said is what is left of the probe's time.
            Err(LlmError::CircuitOpen(left)) => assert_eq!(left, OPEN_FOR - Duration::from_secs(10)),
            other => panic!("expected a fast failure while the probe is out, got {other:?}"),
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        // Once the lost probe is as old as open_for, another call may probe.
        tokio::time::advance(OPEN_FOR - Duration::from_secs(10)).await;
        assert!(p.complete(&req).await.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn it_is_the_provider_it_wraps_and_streams_when_asked() {
        let (p, calls) = wrap(vec![down(), ok(), ok()], 1);
        assert_eq!((p.name(), p.model()), ("scripted", "m"));
        assert_eq!(p.known_context("m"), Some(4096));
        assert_eq!(p.known_context("other"), None);
        assert_eq!(p.reported_context("m").await, Some(8192));
        assert_eq!(p.probe().await.models, ["m"]);
        // A streamed call streams on each attempt (retries included) and reports progress.
        let seen = Arc::new(AtomicU32::new(0));
        let sink = seen.clone();
        let progress: Progress = Arc::new(move |n| {
            sink.store(n, Ordering::SeqCst);
        });
        assert!(p.complete_streaming(&request(), progress).await.is_ok());
        assert_eq!(p.inner.streamed.load(Ordering::SeqCst), 2);
        assert_eq!(seen.load(Ordering::SeqCst), 7);
        assert!(p.complete(&request()).await.is_ok());
        assert_eq!(p.inner.streamed.load(Ordering::SeqCst), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn refusals_do_not_open_the_circuit_and_are_not_retried() {
        let refused = || {
            Err(LlmError::Refused {
                status: 401,
                message: "bad key".into(),
            })
        };
        let (p, calls) = wrap(vec![refused(), refused(), refused(), refused(), ok()], 3);
        let req = request();
        for _ in 0..4 {
            assert!(matches!(p.complete(&req).await, Err(LlmError::Refused { .. })));
        }
        assert!(p.complete(&req).await.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_waited_exactly_and_a_long_one_fails_at_once() {
        let limited = |secs| {
            Err(LlmError::RateLimited {
                retry_after: Some(Duration::from_secs(secs)),
            })
        };
        let (p, calls) = wrap(vec![limited(7), ok()], 3);
        let started = Instant::now();
        assert!(p.complete(&request()).await.is_ok());
        assert_eq!(started.elapsed(), Duration::from_secs(7));
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        // Exactly max_retry_after is still waited.
        let (p, _) = wrap(vec![limited(30), ok()], 3);
        let started = Instant::now();
        assert!(p.complete(&request()).await.is_ok());
        assert_eq!(started.elapsed(), Duration::from_secs(30));

        // Longer than max_retry_after: no waiting, the caller hears it now.
        let (p, calls) = wrap(vec![limited(31), ok()], 3);
        let started = Instant::now();
        assert!(matches!(
            p.complete(&request()).await,
            Err(LlmError::RateLimited { .. })
        ));
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn without_retry_after_the_delay_doubles_up_to_the_ceiling() {
        let (p, calls) = wrap(vec![down(), down(), ok()], 3);
        let started = Instant::now();
        assert!(p.complete(&request()).await.is_ok());
        // 500 ms, then 1 s.
        assert_eq!(started.elapsed(), Duration::from_millis(1500));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        let (p, _) = wrap(vec![down(), down(), down(), down()], 3);
        let started = Instant::now();
        assert!(p.complete(&request()).await.is_err());
        // 0.5 + 1 + 2 s, and no wait after the last attempt.
        assert_eq!(started.elapsed(), Duration::from_millis(3500));
    }
}
