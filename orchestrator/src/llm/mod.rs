//! LLM providers behind one trait, [`LlmProvider`], chosen by configuration.
//!
//! - [`gemini`]: Google Gemini's REST `generateContent` (with a thinking budget on models
//!   that think).
//! - [`openai`]: any OpenAI-compatible `chat/completions` endpoint (OpenAI, Ollama,
//!   llama.cpp's server, vLLM): base URL, key, model.
//! - [`offline`]: the built-in default when nothing is configured. Deterministic, no network;
//!   it answers from the offline generator, so the pipeline's code path (parse, validate,
//!   repair) is the same whichever provider is used.
//!
//! [`resilient::Resilient`] wraps a provider with what every network call needs: a timeout
//! per call, retries on 429 and 5xx honouring `Retry-After` (bounded), and a circuit
//! breaker per provider so a dead endpoint fails fast instead of stalling every build.
//!
//! Local models are first-class:
//! - [`context`]: every request is sized for the model's context window (a conservative
//!   token estimate; long inputs trimmed; `max_tokens` capped to what is left), and a model
//!   too small for the smallest request is refused with the sizes.
//! - The context is the smaller of `--llm-context-tokens` and what the model server reports
//!   (llama.cpp `GET /props`, Ollama `POST /api/show`), cached per provider and model
//!   ([`Providers::context_for`]). [`Providers::health`] says, per provider, whether it is
//!   reachable, which models it lists (`GET {base}/models`, Ollama `GET /api/tags`) and its
//!   context.
//! - The OpenAI-compatible client streams (`"stream": true`, parsed by [`sse`]) with two
//!   clocks: a stall timeout (once bytes flow, none for `--llm-stall-secs`) that fails
//!   fast, and a generous ceiling that a stream which keeps producing tokens does not hit
//!   (the call timeout only bounds the wait for the first byte). It reports
//!   tokens so far through a [`Progress`] callback, which the pipeline turns into
//!   `task.progress` events. Gemini stays non-streaming (one `generateContent` call).
//!
//! # Why thin reqwest clients rather than a provider crate
//! genai, async-openai and rig were considered. Each brings its own dependency tree (and, for
//! async-openai, a second HTTP retry layer we would have to disable), none covers both wire
//! formats with the retry semantics we need, and both formats are small: one request and one
//! response type each. Two small clients over the reqwest we already ship cost less to
//! build and to keep than any of them, and tests drive them against loopback servers
//! speaking the real formats.
//!
//! API keys live in [`SecretString`], whose `Debug` and `Display` print `***`; they are
//! never logged.

pub mod context;
pub mod gemini;
pub mod offline;
pub mod openai;
pub mod resilient;
pub mod sse;

use std::{fmt, future::Future, pin::Pin, time::Duration};

use serde::{Deserialize, Serialize};

/// A boxed provider future.
pub type LlmFuture<'a> = Pin<Box<dyn Future<Output = Result<LlmResponse, LlmError>> + Send + 'a>>;

/// A boxed future of anything.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Told the tokens generated so far while a streamed answer arrives (cheap; called per
/// chunk, so the receiver throttles).
pub type Progress = std::sync::Arc<dyn Fn(u32) + Send + Sync>;

/// What a provider's server says about itself ([`LlmProvider::probe`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerInfo {
    /// Whether it answered at all.
    pub reachable: bool,
    /// The models it lists.
    pub models: Vec<String>,
    /// The context of the default model, in tokens, when the server says.
    pub context: Option<u32>,
    /// What went wrong, for a person.
    pub error: Option<String>,
}

/// A secret (an API key): never shown by `Debug` or `Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The person (or the pipeline).
    User,
    /// The model.
    Assistant,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
}

impl Message {
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }
    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// A request to a model.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmRequest {
    /// Standing instructions.
    pub system: String,
    /// The conversation so far (a repair adds the rejected answer and the errors).
    pub messages: Vec<Message>,
    /// Ask for a JSON object as the answer.
    pub json: bool,
    /// Most tokens to generate.
    pub max_tokens: u32,
    /// Sampling temperature.
    pub temperature: f32,
    /// Model to use instead of the provider's default.
    pub model: Option<String>,
    /// What the answer is for (`analysis`, `entity_module`, ...). The offline provider
    /// answers by purpose; network providers ignore it.
    pub purpose: String,
    /// Structured facts behind the prompt (the person's prompt, the spec, the entity); the
    /// offline provider uses them, network providers only see the text.
    pub context: serde_json::Value,
}

/// Tokens used by one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub prompt_tokens: u32,
    /// Generated tokens (thinking included).
    pub completion_tokens: u32,
}

impl Usage {
    /// All tokens.
    pub fn total(&self) -> u32 {
        self.prompt_tokens.saturating_add(self.completion_tokens)
    }
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmResponse {
    /// The text (JSON text when JSON was asked for).
    pub text: String,
    /// Tokens used.
    pub usage: Usage,
    /// The model that answered.
    pub model: String,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// No answer within the call's timeout.
    #[error("the model did not answer within {0:?}")]
    Timeout(Duration),
    /// 429: too many requests.
    #[error("rate limited by the provider{}", .retry_after.map(|d| format!(" (retry after {d:?})")).unwrap_or_default())]
    RateLimited {
        /// What `Retry-After` said.
        retry_after: Option<Duration>,
    },
    /// The account has no quota left (a 429 that retrying cannot fix).
    #[error("the provider account has no quota left: {0}")]
    QuotaExceeded(String),
    /// 5xx.
    #[error("the provider failed with HTTP {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// What it said.
        message: String,
    },
    /// Another 4xx: the request is wrong (bad key, unknown model); retrying cannot help.
    #[error("the provider refused the request with HTTP {status}: {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// What it said.
        message: String,
    },
    /// The connection failed.
    #[error("cannot reach the provider: {0}")]
    Transport(String),
    /// A streamed answer stopped arriving: no bytes for this long.
    #[error("the model stopped sending for {0:?} in the middle of its answer (stall timeout)")]
    Stalled(Duration),
    /// The provider answered with something that is not its wire format.
    #[error("the provider's answer could not be read: {0}")]
    Malformed(String),
    /// The circuit breaker is open after repeated failures.
    #[error("the provider is failing repeatedly; calls are paused for {0:?}")]
    CircuitOpen(Duration),
    /// The offline provider has no answer for this purpose.
    #[error("{0}")]
    Unsupported(String),
}

impl LlmError {
    /// Whether trying the same call again could succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Timeout(_) | Self::RateLimited { .. } | Self::Server { .. } | Self::Transport(_)
        )
    }
}

/// A model behind an API.
pub trait LlmProvider: Send + Sync + 'static {
    /// `gemini`, `openai` or `offline`.
    fn name(&self) -> &str;
    /// The default model.
    fn model(&self) -> &str;
    /// One call, without retries (see [`resilient::Resilient`]).
    fn complete<'a>(&'a self, req: &'a LlmRequest) -> LlmFuture<'a>;
    /// One call that reports tokens so far to `progress` while the answer streams in.
    /// Providers that do not stream answer as [`LlmProvider::complete`] does.
    fn complete_streaming<'a>(&'a self, req: &'a LlmRequest, progress: Progress) -> LlmFuture<'a> {
        let _ = progress;
        self.complete(req)
    }
    /// The context of `model` as its server reports it, in tokens (`None`: it does not
    /// say). Implementations cache the answer.
    fn reported_context<'a>(&'a self, model: &'a str) -> BoxFuture<'a, Option<u32>> {
        let _ = model;
        Box::pin(async { None })
    }
    /// The context of `model` if an earlier call or probe learnt it (never asks).
    fn known_context(&self, model: &str) -> Option<u32> {
        let _ = model;
        None
    }
    /// Asks the server whether it is up, which models it has and the default model's
    /// context. The default (the offline provider) says "reachable" without asking.
    fn probe(&self) -> BoxFuture<'_, ServerInfo> {
        Box::pin(async {
            ServerInfo {
                reachable: true,
                ..Default::default()
            }
        })
    }
}

/// Reads `Retry-After` (seconds, or an HTTP date which we treat as "a little while").
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    match v.parse::<f64>() {
        Ok(secs) if secs >= 0.0 => Some(Duration::from_secs_f64(secs.min(3600.0))),
        _ => Some(Duration::from_secs(5)),
    }
}

/// Maps an HTTP failure to an [`LlmError`]. `quota` says whether a 429 body means the
/// account is out of quota (retrying cannot help).
pub(crate) fn http_error(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: &str,
    quota: bool,
) -> LlmError {
    let message: String = body.chars().take(500).collect();
    match status.as_u16() {
        429 if quota => LlmError::QuotaExceeded(message),
        429 => LlmError::RateLimited {
            retry_after: retry_after(headers),
        },
        s @ 500..=599 => LlmError::Server { status: s, message },
        s => LlmError::Refused { status: s, message },
    }
}

/// Maps a reqwest failure.
pub(crate) fn transport_error(e: reqwest::Error, timeout: Duration) -> LlmError {
    if e.is_timeout() {
        LlmError::Timeout(timeout)
    } else if e.is_decode() {
        LlmError::Malformed(e.to_string())
    } else {
        // Without the URL: it may carry a key as a query parameter.
        LlmError::Transport(e.without_url().to_string())
    }
}

/// Which providers this server has, and which one builds use by default.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    /// `offline`, `gemini` or `openai`.
    pub default_provider: String,
    /// Gemini, when a key is configured.
    pub gemini: Option<gemini::GeminiConfig>,
    /// An OpenAI-compatible endpoint, when configured.
    pub openai: Option<openai::OpenAiConfig>,
    /// How long each offline answer takes.
    pub offline_delay: Duration,
    /// Retries of network providers.
    pub retry: resilient::RetryConfig,
    /// Circuit breaker of network providers.
    pub breaker: resilient::BreakerConfig,
    /// The context requests are sized for, in tokens, unless the model server reports a
    /// smaller one.
    pub context_tokens: u32,
}

/// A health check and when it was made.
type CheckedHealth = (std::time::Instant, Vec<domain::api::ProviderHealth>);

/// How long a health check is reused.
pub const HEALTH_TTL: Duration = Duration::from_secs(10);

/// `--llm-context-tokens` unless set.
pub const DEFAULT_CONTEXT_TOKENS: u32 = 4096;

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            default_provider: "offline".into(),
            gemini: None,
            openai: None,
            offline_delay: Duration::from_millis(250),
            retry: Default::default(),
            breaker: Default::default(),
            context_tokens: DEFAULT_CONTEXT_TOKENS,
        }
    }
}

/// The configured providers by name; `offline` is always there.
#[derive(Clone)]
pub struct Providers {
    default: String,
    context_tokens: u32,
    /// The last health check and when it was made (see [`Providers::health`]).
    health: std::sync::Arc<std::sync::Mutex<Option<CheckedHealth>>>,
    by_name: std::collections::HashMap<String, std::sync::Arc<dyn LlmProvider>>,
    /// Each network provider's call timeout (`--llm-timeout-secs`).
    timeouts: std::collections::HashMap<String, Duration>,
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Providers")
            .field("default", &self.default)
            .field("names", &self.names())
            .finish()
    }
}

impl Providers {
    /// Builds the providers `settings` describe.
    ///
    /// # Errors
    /// The default provider is not configured (for instance `gemini` without a key).
    pub fn from_settings(settings: &LlmSettings) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("nexus-forge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        let mut by_name: std::collections::HashMap<String, std::sync::Arc<dyn LlmProvider>> = Default::default();
        let mut timeouts = std::collections::HashMap::new();
        by_name.insert(
            "offline".into(),
            std::sync::Arc::new(offline::Offline {
                delay: settings.offline_delay,
            }),
        );
        if let Some(g) = &settings.gemini {
            timeouts.insert("gemini".to_owned(), g.timeout);
            by_name.insert(
                "gemini".into(),
                std::sync::Arc::new(resilient::Resilient::new(
                    gemini::Gemini::new(http.clone(), g.clone()),
                    settings.retry,
                    settings.breaker,
                )),
            );
        }
        if let Some(o) = &settings.openai {
            timeouts.insert("openai".to_owned(), o.timeout);
            by_name.insert(
                "openai".into(),
                std::sync::Arc::new(resilient::Resilient::new(
                    openai::OpenAi::new(http, o.clone()),
                    settings.retry,
                    settings.breaker,
                )),
            );
        }
        let default = settings.default_provider.trim().to_lowercase();
        if !by_name.contains_key(&default) {
            return Err(match default.as_str() {
                "gemini" => "the gemini provider needs an API key (--gemini-api-key or GEMINI_API_KEY)".into(),
                "openai" => {
                    "the openai provider needs a base URL or an API key (--openai-base-url, --openai-api-key)".into()
                }
                other => format!("unknown LLM provider `{other}`; valid providers: offline, gemini, openai"),
            });
        }
        Ok(Self {
            default,
            context_tokens: settings.context_tokens.max(1),
            health: Default::default(),
            by_name,
            timeouts,
        })
    }

    /// The call timeout of the provider called `name` (none for the offline one).
    pub(crate) fn call_timeout(&self, name: &str) -> Option<Duration> {
        self.timeouts.get(name).copied()
    }

    /// Only the offline provider, answering at once (tests).
    pub fn offline(delay: Duration) -> Self {
        Self::from_settings(&LlmSettings {
            offline_delay: delay,
            ..Default::default()
        })
        .expect("offline is always available")
    }

    /// Adds (or replaces) a provider under `name`.
    pub fn with(mut self, name: &str, provider: impl LlmProvider) -> Self {
        self.by_name.insert(name.into(), std::sync::Arc::new(provider));
        self
    }

    /// The context requests to `provider` for `model` are sized for: the smaller of the
    /// configured one and what the server reports (cached by the provider).
    pub async fn context_for(&self, provider: &dyn LlmProvider, model: &str) -> u32 {
        self.effective_context(provider.reported_context(model).await)
    }

    /// Sizes `req` for `provider`'s context for its model (see [`context::fit`]) and returns
    /// that context. The offline provider has none: `req` is left as it is, and the answer
    /// is `u32::MAX`.
    ///
    /// # Errors
    /// The request cannot fit, with the sizes.
    pub async fn fit(&self, provider: &dyn LlmProvider, req: &mut LlmRequest) -> Result<u32, context::ContextError> {
        if provider.name() == "offline" {
            return Ok(u32::MAX);
        }
        let model = req.model.clone().unwrap_or_else(|| provider.model().to_owned());
        let window = self.context_for(provider, &model).await;
        context::fit(req, window, &model)?;
        Ok(window)
    }

    /// The context for a server that reports `reported` tokens (`None`: it does not say, or
    /// has not been asked yet): the smaller of that and the configured one.
    pub fn effective_context(&self, reported: Option<u32>) -> u32 {
        reported
            .filter(|n| *n > 0)
            .map_or(self.context_tokens, |n| n.min(self.context_tokens))
    }

    /// Every provider's health, the default first: reachable, models, context, and
    /// whether a request of `smallest_request` tokens fits. Asked at most every
    /// [`HEALTH_TTL`]: a page load or a script polling does not turn into a stream of
    /// requests to the model servers.
    pub async fn health(&self, smallest_request: u32) -> Vec<domain::api::ProviderHealth> {
        if let Some((at, h)) = &*self.health.lock().unwrap_or_else(|e| e.into_inner()) {
            if at.elapsed() < HEALTH_TTL {
                return h.clone();
            }
        }
        let fresh = self.check_health(smallest_request).await;
        *self.health.lock().unwrap_or_else(|e| e.into_inner()) = Some((std::time::Instant::now(), fresh.clone()));
        fresh
    }

    async fn check_health(&self, smallest_request: u32) -> Vec<domain::api::ProviderHealth> {
        let mut names = self.names();
        names.sort_by_key(|n| *n != self.default);
        let checks = names.into_iter().map(|name| async move {
            let p = self.by_name[name].clone();
            let info = p.probe().await;
            let context = self.effective_context(info.context);
            let fits = name == "offline" || smallest_request <= context;
            let problem = info
                .error
                .clone()
                .or_else(|| (!fits).then(|| context::too_small_for_a_build(p.model(), context, smallest_request)));
            domain::api::ProviderHealth {
                name: name.to_owned(),
                default: name == self.default,
                reachable: info.reachable,
                model: p.model().to_owned(),
                models: info.models,
                reported_context: info.context,
                configured_context: self.context_tokens,
                context_tokens: context,
                fits,
                problem,
            }
        });
        futures::future::join_all(checks).await
    }

    /// The default provider's name.
    pub fn default_name(&self) -> &str {
        &self.default
    }

    /// The names of the configured providers, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut n: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        n.sort();
        n
    }

    /// The provider called `name`, or the default for `None`.
    pub fn get(&self, name: Option<&str>) -> Option<std::sync::Arc<dyn LlmProvider>> {
        let name = name
            .map(|n| n.trim().to_lowercase())
            .unwrap_or_else(|| self.default.clone());
        self.by_name.get(&name).cloned()
    }
}
