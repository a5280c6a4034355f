//! Any OpenAI-compatible chat-completions endpoint: `POST {base}/chat/completions` with an
//! optional bearer key. Works with OpenAI, Ollama (`http://127.0.0.1:11434/v1`), llama.cpp's
//! server (`http://127.0.0.1:8080/v1`) and vLLM. JSON answers are requested with
//! `response_format: {"type": "json_object"}`, which all four accept; the pipeline validates
//! the answer either way.
//!
//! # Streaming and its two clocks
//! Calls ask for `"stream": true` (with `stream_options.include_usage`) and read the
//! Server-Sent Events as they arrive ([`super::sse`]): `data: {chunk}` lines with
//! `choices[0].delta.content`, ending with `data: [DONE]`. A server that answers with plain
//! JSON instead is read as a plain answer. Two clocks bound a call:
//! - `timeout` until the response starts (headers), then again until the first byte of
//!   the stream (a slow model may read a long prompt first), and for a non-streamed body;
//! - `stall`: once bytes flow, no bytes for this long fails the call at once
//!   ([`LlmError::Stalled`]); a stream that keeps producing tokens may run until the
//!   ceiling of [`STREAM_CEILING_FACTOR`] × `timeout`, so a slow local model is not cut
//!   off while it is visibly working.
//!
//! Tokens so far (one per content chunk) go to the call's [`Progress`]. When the server
//! sends no usage, streamed or not, the build is charged an estimate.
//!
//! # What the server says about itself
//! [`OpenAi::probe`] lists the models (`GET {base}/models`, or Ollama's `GET /api/tags`)
//! and reads the context: llama.cpp's `GET /props` (`default_generation_settings.n_ctx` or
//! `n_ctx`), or Ollama's `POST /api/show` (`parameters` `num_ctx`, else
//! `model_info.*.context_length`), both relative to the base URL without its `/v1`. The
//! context is cached per model: a definite answer for good, a failed probe for a minute.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    context, http_error, sse::SseParser, transport_error, BoxFuture, LlmError, LlmFuture, LlmProvider, LlmRequest,
    LlmResponse, Progress, Role, SecretString, ServerInfo, Usage,
};

/// A stream that keeps producing tokens may run this many times the call timeout.
pub const STREAM_CEILING_FACTOR: u32 = 5;
/// `--llm-stall-secs` unless set.
pub const DEFAULT_STALL: Duration = Duration::from_secs(30);
/// Longest a probe of the server (models, context) waits for each answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a failed context probe is remembered before asking again.
const PROBE_RETRY_AFTER: Duration = Duration::from_secs(60);

/// OpenAI's API.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// The model used when none is configured.
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";

/// Settings for one OpenAI-compatible endpoint.
#[derive(Debug, Clone)]
pub struct OpenAiConfig {
    /// Base URL up to and including the version (`.../v1`), without a trailing slash.
    pub base_url: String,
    /// Bearer key; empty for local servers that need none.
    pub api_key: SecretString,
    /// Default model.
    pub model: String,
    /// Longest a call may wait for its answer to start (and for a non-streamed answer).
    pub timeout: Duration,
    /// Longest a streamed answer may go without sending a byte.
    pub stall: Duration,
}

/// An OpenAI-compatible client.
pub struct OpenAi {
    http: reqwest::Client,
    config: OpenAiConfig,
    /// Reported context per model: `Some(n)`, or `None` when the server does not say; with
    /// when a failed probe may be retried.
    contexts: Mutex<HashMap<String, Cached>>,
}

/// A probed context: the answer, and when a failed probe may be retried (`None`: never).
type Cached = (Option<u32>, Option<Instant>);

impl OpenAi {
    /// A client with `config`.
    pub fn new(http: reqwest::Client, config: OpenAiConfig) -> Self {
        Self {
            http,
            config,
            contexts: Mutex::default(),
        }
    }

    /// The base URL without `/v1` (where llama.cpp's `/props` and Ollama's `/api/*` live).
    fn root(&self) -> &str {
        let base = self.config.base_url.trim_end_matches('/');
        base.strip_suffix("/v1").unwrap_or(base)
    }

    fn get(&self, url: String) -> reqwest::RequestBuilder {
        let call = self.http.get(url).timeout(PROBE_TIMEOUT.min(self.config.timeout));
        self.auth(call)
    }

    fn auth(&self, call: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if self.config.api_key.is_empty() {
            call
        } else {
            call.bearer_auth(self.config.api_key.expose())
        }
    }

    /// JSON from `call`: `Ok(None)` for a 404 (the server has no such endpoint).
    async fn probe_json(&self, call: reqwest::RequestBuilder) -> Result<Option<Value>, String> {
        let res = call.send().await.map_err(|e| e.without_url().to_string())?;
        if res.status() == reqwest::StatusCode::NOT_FOUND || res.status() == reqwest::StatusCode::METHOD_NOT_ALLOWED {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(format!("HTTP {}", res.status().as_u16()));
        }
        res.json().await.map(Some).map_err(|e| e.without_url().to_string())
    }

    /// The context the server reports for `model`: `Ok(None)` when it does not say.
    async fn probe_context(&self, model: &str) -> Result<Option<u32>, String> {
        if let Some(props) = self.probe_json(self.get(format!("{}/props", self.root()))).await? {
            if let Some(n) = n_ctx(&props) {
                return Ok(Some(n));
            }
        }
        let show = self
            .http
            .post(format!("{}/api/show", self.root()))
            .timeout(PROBE_TIMEOUT.min(self.config.timeout))
            .json(&json!({ "model": model }));
        Ok(self
            .probe_json(self.auth(show))
            .await?
            .as_ref()
            .and_then(ollama_context))
    }

    /// The models the server lists.
    async fn list_models(&self) -> Result<Vec<String>, String> {
        let base = self.config.base_url.trim_end_matches('/');
        let openai = self.probe_json(self.get(format!("{base}/models"))).await;
        if let Ok(Some(v)) = &openai {
            let ids = v["data"]
                .as_array()
                .map(|d| d.iter().filter_map(|m| m["id"].as_str()).map(String::from));
            if let Some(ids) = ids {
                return Ok(ids.collect());
            }
        }
        match self.probe_json(self.get(format!("{}/api/tags", self.root()))).await {
            Ok(Some(v)) => Ok(v["models"]
                .as_array()
                .map(|m| m.iter().filter_map(|m| m["name"].as_str()).map(String::from).collect())
                .unwrap_or_default()),
            Ok(None) => openai.map(|_| vec![]),
            Err(e) => Err(openai.err().unwrap_or(e)),
        }
    }
}

/// llama.cpp's `/props`: `default_generation_settings.n_ctx` (newer: also `n_ctx`).
fn n_ctx(props: &Value) -> Option<u32> {
    props["default_generation_settings"]["n_ctx"]
        .as_u64()
        .or_else(|| props["n_ctx"].as_u64())
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n > 0)
}

/// Ollama's `/api/show`: `num_ctx` in `parameters` (what it runs with) if set, else the
/// model's `*.context_length`.
fn ollama_context(show: &Value) -> Option<u32> {
    let num_ctx = show["parameters"].as_str().and_then(|p| {
        p.lines().find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("num_ctx")).then(|| w.next()?.parse::<u32>().ok())?
        })
    });
    let trained = show["model_info"].as_object().and_then(|m| {
        m.iter()
            .find(|(k, _)| k.ends_with(".context_length"))
            .and_then(|(_, v)| v.as_u64())
            .and_then(|n| u32::try_from(n).ok())
    });
    num_ctx.or(trained).filter(|n| *n > 0)
}

/// One streamed chunk.
#[derive(Deserialize)]
struct StreamChunk {
    #[serde(default)]
    choices: Vec<StreamChoice>,
    #[serde(default)]
    usage: Option<AnswerUsage>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct StreamChoice {
    #[serde(default)]
    delta: Option<ChoiceMessage>,
    #[serde(default)]
    finish_reason: Option<String>,
}

/// An answer as read: a stream, chunk by chunk, or a plain JSON body at once
/// ([`Streamed::plain`]); [`Streamed::into_response`] makes either the caller's answer.
#[derive(Default)]
struct Streamed {
    text: String,
    chunks: u32,
    usage: Option<AnswerUsage>,
    model: Option<String>,
    finish_reason: Option<String>,
    done: bool,
}

impl Streamed {
    /// Takes one event's data; `Err` when the server reported an error mid-stream.
    fn take(&mut self, data: &str) -> Result<(), LlmError> {
        let data = data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let chunk: StreamChunk =
            serde_json::from_str(data).map_err(|e| LlmError::Malformed(format!("a streamed chunk: {e}")))?;
        if let Some(e) = chunk.error {
            let message = e["message"].as_str().map_or_else(|| e.to_string(), String::from);
            return Err(LlmError::Server { status: 500, message });
        }
        if let Some(u) = chunk.usage {
            self.usage = Some(u);
        }
        if chunk.model.is_some() {
            self.model = chunk.model;
        }
        for c in chunk.choices {
            if let Some(content) = c.delta.and_then(|d| d.content).filter(|c| !c.is_empty()) {
                self.text.push_str(&content);
                self.chunks += 1;
            }
            if c.finish_reason.is_some() {
                self.finish_reason = c.finish_reason;
            }
        }
        Ok(())
    }

    /// A non-streamed answer; its tokens, when the server does not count them, are estimated
    /// from the text.
    fn plain(text: &str) -> Result<Self, LlmError> {
        let answer: Answer = serde_json::from_str(text).map_err(|e| LlmError::Malformed(e.to_string()))?;
        let Some(choice) = answer.choices.into_iter().next() else {
            return Err(LlmError::Malformed("the answer has no choices".into()));
        };
        let text = choice.message.content.unwrap_or_default();
        Ok(Self {
            chunks: context::estimate_tokens(&text),
            text,
            usage: answer.usage,
            model: answer.model,
            finish_reason: choice.finish_reason,
            done: true,
        })
    }

    /// The answer for the caller: an empty one is an error; without the server's count, the
    /// usage is our prompt estimate and the tokens read.
    fn into_response(self, model: &str, req: &LlmRequest) -> Result<LlmResponse, LlmError> {
        if self.text.trim().is_empty() {
            let why = self.finish_reason.unwrap_or_else(|| "unknown".into());
            return Err(LlmError::Malformed(format!(
                "the answer is empty (finish reason {why})"
            )));
        }
        let usage = self.usage.map_or_else(
            || Usage {
                prompt_tokens: context::prompt_tokens(req),
                completion_tokens: self.chunks,
            },
            |u| Usage {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
            },
        );
        Ok(LlmResponse {
            text: self.text,
            usage,
            model: self.model.unwrap_or_else(|| model.to_owned()),
        })
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<AnswerUsage>,
    #[serde(default)]
    model: Option<String>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct AnswerUsage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

impl OpenAi {
    async fn call(&self, req: &LlmRequest, progress: Option<Progress>) -> Result<LlmResponse, LlmError> {
        let timeout = self.config.timeout;
        let model = req.model.as_deref().unwrap_or(&self.config.model);
        let mut messages = vec![json!({ "role": "system", "content": req.system })];
        messages.extend(req.messages.iter().map(|m| {
            let role = match m.role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            json!({ "role": role, "content": m.content })
        }));
        let mut body = json!({
            "model": model,
            "messages": messages,
            "temperature": req.temperature,
            "max_tokens": req.max_tokens,
            "stream": true,
            "stream_options": { "include_usage": true },
        });
        if req.json {
            body["response_format"] = json!({ "type": "json_object" });
        }
        let url = format!("{}/chat/completions", self.config.base_url.trim_end_matches('/'));
        let call = self.auth(self.http.post(url).json(&body));
        let res = tokio::time::timeout(timeout, call.send())
            .await
            .map_err(|_| LlmError::Timeout(timeout))?
            .map_err(|e| transport_error(e, timeout))?;
        let status = res.status();
        let headers = res.headers().clone();
        let streamed = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !status.is_success() || !streamed {
            let text = tokio::time::timeout(timeout, res.text())
                .await
                .map_err(|_| LlmError::Timeout(timeout))?
                .map_err(|e| transport_error(e, timeout))?;
            if !status.is_success() {
                return Err(http_error(status, &headers, &text, text.contains("insufficient_quota")));
            }
            return Streamed::plain(&text)?.into_response(model, req);
        }
        self.read_stream(res, progress).await?.into_response(model, req)
    }

    /// Reads a streamed answer under the stall clock and the ceiling.
    async fn read_stream(&self, mut res: reqwest::Response, progress: Option<Progress>) -> Result<Streamed, LlmError> {
        let stall = self.config.stall;
        let ceiling = self.config.timeout * STREAM_CEILING_FACTOR;
        let deadline = Instant::now() + ceiling;
        let mut parser = SseParser::new();
        let mut s = Streamed::default();
        let mut started = false;
        while !s.done {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(LlmError::Timeout(ceiling));
            }
            // Until the first byte the model may still be reading a long prompt: the call
            // timeout applies. After it, silence for `stall` means the model stopped.
            let first = !started;
            let limit = if first { self.config.timeout } else { stall };
            let wait = limit.min(left);
            let chunk = match tokio::time::timeout(wait, res.chunk()).await {
                Err(_) if wait == limit && first => return Err(LlmError::Timeout(limit)),
                Err(_) if wait == limit => return Err(LlmError::Stalled(stall)),
                Err(_) => return Err(LlmError::Timeout(ceiling)),
                Ok(Err(e)) => return Err(transport_error(e, ceiling)),
                Ok(Ok(None)) => break,
                Ok(Ok(Some(bytes))) => bytes,
            };
            started |= !chunk.is_empty();
            let before = s.chunks;
            for data in parser.push(&chunk) {
                s.take(&data)?;
            }
            if s.chunks != before {
                if let Some(p) = &progress {
                    p(s.chunks);
                }
            }
        }
        if let Some(data) = parser.finish() {
            s.take(&data)?;
        }
        Ok(s)
    }
}

impl LlmProvider for OpenAi {
    fn name(&self) -> &str {
        "openai"
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn complete<'a>(&'a self, req: &'a LlmRequest) -> LlmFuture<'a> {
        Box::pin(self.call(req, None))
    }

    fn complete_streaming<'a>(&'a self, req: &'a LlmRequest, progress: Progress) -> LlmFuture<'a> {
        Box::pin(self.call(req, Some(progress)))
    }

    fn reported_context<'a>(&'a self, model: &'a str) -> BoxFuture<'a, Option<u32>> {
        Box::pin(async move {
            {
                let cache = self.contexts.lock().unwrap_or_else(|e| e.into_inner());
                match cache.get(model) {
                    Some((n, None)) => return *n,
                    Some((n, Some(retry))) if Instant::now() < *retry => return *n,
                    _ => {}
                }
            }
            let (n, retry) = match self.probe_context(model).await {
                Ok(n) => (n, None),
                Err(e) => {
                    tracing::debug!(model, error = %e, "cannot read the model's context from its server");
                    (None, Some(Instant::now() + PROBE_RETRY_AFTER))
                }
            };
            if let Some(n) = n {
                tracing::info!(model, context = n, "the model server reports its context");
            }
            self.contexts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(model.to_owned(), (n, retry));
            n
        })
    }

    fn known_context(&self, model: &str) -> Option<u32> {
        let cache = self.contexts.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(model).and_then(|(n, _)| *n)
    }

    fn probe(&self) -> BoxFuture<'_, ServerInfo> {
        Box::pin(async move {
            let (models, context) = tokio::join!(self.list_models(), self.reported_context(&self.config.model));
            match models {
                Ok(models) => ServerInfo {
                    reachable: true,
                    models,
                    context,
                    error: None,
                },
                // A server that lists no models is still up if it answers the context probe
                // now (the cached context says nothing about whether it is up).
                Err(e) => {
                    let now = self.probe_context(&self.config.model).await;
                    ServerInfo {
                        reachable: now.is_ok(),
                        models: vec![],
                        context: now.ok().flatten().or(context),
                        error: Some(format!("cannot list the models: {e}")),
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn llama_cpp_and_ollama_context_sizes_are_read() {
        assert_eq!(
            n_ctx(&json!({ "default_generation_settings": { "n_ctx": 8192 } })),
            Some(8192)
        );
        assert_eq!(n_ctx(&json!({ "n_ctx": 4096 })), Some(4096));
        assert_eq!(n_ctx(&json!({ "build_info": "x" })), None);
        let show = json!({
            "parameters": "stop \"<|im_end|>\"\nnum_ctx                        2048",
            "model_info": { "llama.context_length": 131072 }
        });
        assert_eq!(ollama_context(&show), Some(2048));
        assert_eq!(
            ollama_context(&json!({ "model_info": { "qwen2.context_length": 32768 } })),
            Some(32768)
        );
        assert_eq!(ollama_context(&json!({})), None);
    }

    /// A one-connection HTTP server that sends SSE `parts` with the given pauses before each.
    async fn sse_server(parts: Vec<(Duration, &'static str)>) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 64 * 1024];
            let _ = sock.read(&mut buf).await;
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
            sock.write_all(head.as_bytes()).await.unwrap();
            for (pause, part) in parts {
                tokio::time::sleep(pause).await;
                let chunk = format!("{:x}\r\n{part}\r\n", part.len());
                if sock.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
            }
            let _ = sock.write_all(b"0\r\n\r\n").await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        });
        format!("http://{addr}/v1")
    }

    fn client(base: String, timeout: Duration, stall: Duration) -> OpenAi {
        OpenAi::new(
            reqwest::Client::new(),
            OpenAiConfig {
                base_url: base,
                api_key: SecretString::default(),
                model: "m".into(),
                timeout,
                stall,
            },
        )
    }

    fn ask() -> LlmRequest {
        LlmRequest {
            system: "s".into(),
            messages: vec![super::super::Message::user("u")],
            json: false,
            max_tokens: 64,
            temperature: 0.0,
            model: None,
            purpose: "generic".into(),
            context: Value::Null,
        }
    }

    const HI: &str = "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n";

    #[tokio::test]
    async fn a_slow_first_token_is_waited_for_but_silence_after_it_is_a_stall() {
        // 600 ms before the first byte (reading the prompt) is within the 5 s timeout, even
        // though the stall clock is 300 ms; then tokens every 200 ms keep the stream alive.
        let ms = Duration::from_millis;
        let base = sse_server(vec![
            (ms(600), HI),
            (ms(200), HI),
            (ms(200), HI),
            (ms(0), "data: [DONE]\n\n"),
        ])
        .await;
        let ticks = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let seen = ticks.clone();
        let progress: Progress = Arc::new(move |n| seen.store(n, std::sync::atomic::Ordering::SeqCst));
        let r = client(base, Duration::from_secs(5), ms(300))
            .complete_streaming(&ask(), progress)
            .await
            .unwrap();
        assert_eq!(r.text, "hihihi");
        assert_eq!(ticks.load(std::sync::atomic::Ordering::SeqCst), 3);
        assert_eq!(r.usage.completion_tokens, 3, "estimated when the server sends no usage");

        // One token, then silence: cut by the stall clock, long before the timeout.
        let base = sse_server(vec![(ms(0), HI), (Duration::from_secs(30), HI)]).await;
        let started = Instant::now();
        let e = client(base, Duration::from_secs(10), ms(300))
            .complete(&ask())
            .await
            .unwrap_err();
        assert_eq!(e, LlmError::Stalled(ms(300)));
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(!e.is_retryable());
    }

    #[tokio::test]
    async fn a_stream_that_keeps_producing_outlives_the_call_timeout_up_to_the_ceiling() {
        let ms = Duration::from_millis;
        // 1.6 s of tokens, every 200 ms, against a 500 ms timeout: fine (ceiling 2.5 s).
        let mut parts = vec![(ms(200), HI); 8];
        parts.push((ms(0), "data: [DONE]\n\n"));
        let base = sse_server(parts).await;
        let r = client(base, ms(500), ms(400)).complete(&ask()).await.unwrap();
        assert_eq!(r.text, "hi".repeat(8));
        // The same pace for 4 s: cut at the ceiling, 5 x 500 ms.
        let base = sse_server(vec![(ms(200), HI); 20]).await;
        let started = Instant::now();
        let e = client(base, ms(500), ms(400)).complete(&ask()).await.unwrap_err();
        assert_eq!(e, LlmError::Timeout(ms(2500)));
        assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn an_ollama_server_is_probed_through_its_own_api_and_asked_once() {
        use wiremock::{
            matchers::{body_partial_json, method, path},
            Mock, MockServer, ResponseTemplate,
        };
        let server = MockServer::start().await;
        // Ollama has no /props and (older versions) no /v1/models.
        Mock::given(method("POST"))
            .and(path("/api/show"))
            .and(body_partial_json(json!({ "model": "qwen2.5:3b" })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "parameters": "num_ctx 2048\nstop \"<|im_end|>\"",
                "model_info": { "qwen2.context_length": 32768 }
            })))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/tags"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "models": [{ "name": "qwen2.5:3b" }, { "name": "llama3.2:1b" }]
            })))
            .mount(&server)
            .await;
        let mut c = client(
            format!("{}/v1", server.uri()),
            Duration::from_secs(5),
            Duration::from_secs(5),
        );
        c.config.model = "qwen2.5:3b".into();
        assert_eq!(c.known_context("qwen2.5:3b"), None);
        let info = c.probe().await;
        assert!(info.reachable, "{info:?}");
        assert_eq!(info.models, ["qwen2.5:3b", "llama3.2:1b"]);
        assert_eq!(info.context, Some(2048), "num_ctx is what Ollama runs with");
        // Cached: asked once (the mock expects one /api/show), known without asking.
        assert_eq!(c.reported_context("qwen2.5:3b").await, Some(2048));
        assert_eq!(c.known_context("qwen2.5:3b"), Some(2048));
    }

    #[tokio::test]
    async fn a_server_that_goes_away_is_not_reachable_for_its_cached_context() {
        use wiremock::{
            matchers::{method, path},
            Mock, MockServer, ResponseTemplate,
        };
        let server = MockServer::start().await;
        let answer = |status: u16| ResponseTemplate::new(status).set_body_json(json!({ "n_ctx": 4096 }));
        // A server whose model listing fails but which reports its context.
        Mock::given(method("GET"))
            .and(path("/v1/models"))
            .respond_with(answer(500))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/props"))
            .respond_with(answer(200))
            .mount(&server)
            .await;
        let c = client(
            format!("{}/v1", server.uri()),
            Duration::from_secs(2),
            Duration::from_secs(2),
        );
        let up = c.probe().await;
        assert!(up.reachable, "it answers /props: {up:?}");
        assert_eq!(up.context, Some(4096));
        // Now nothing answers: the context learnt earlier does not make it reachable.
        server.reset().await;
        Mock::given(method("GET"))
            .respond_with(answer(503))
            .mount(&server)
            .await;
        let down = c.probe().await;
        assert!(!down.reachable, "{down:?}");
        assert_eq!(down.context, Some(4096), "what was learnt is still known");
    }

    #[tokio::test]
    async fn an_unreachable_server_is_reported_not_reachable() {
        let c = client(
            "http://127.0.0.1:9/v1".into(),
            Duration::from_secs(2),
            Duration::from_secs(2),
        );
        let info = c.probe().await;
        assert!(!info.reachable);
        assert!(info.error.unwrap().contains("cannot list the models"));
        assert_eq!(c.known_context("m"), None);
    }

    #[test]
    fn streamed_chunks_add_up_to_the_answer() {
        let mut s = Streamed::default();
        s.take(r#"{"choices":[{"delta":{"role":"assistant"}}]}"#).unwrap();
        s.take(r#"{"choices":[{"delta":{"content":"Hel"}}]}"#).unwrap();
        s.take(r#"{"choices":[{"delta":{"content":"lo"},"finish_reason":"stop"}],"model":"m1"}"#)
            .unwrap();
        s.take(r#"{"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2}}"#)
            .unwrap();
        s.take("[DONE]").unwrap();
        assert_eq!(s.text, "Hello");
        assert_eq!(s.chunks, 2);
        assert!(s.done);
        assert_eq!(s.model.as_deref(), Some("m1"));
        assert_eq!(s.usage.map(|u| u.completion_tokens), Some(2));
        assert!(matches!(
            Streamed::default().take(r#"{"error":{"message":"out of memory"}}"#),
            Err(LlmError::Server { message, .. }) if message == "out of memory"
        ));
    }

    #[test]
    fn a_plain_answer_without_usage_is_charged_an_estimate_like_a_streamed_one() {
        let req = ask();
        let plain = Streamed::plain(r#"{"choices":[{"message":{"content":"a list of books"}}]}"#)
            .unwrap()
            .into_response("m", &req)
            .unwrap();
        assert_eq!(plain.usage.prompt_tokens, context::prompt_tokens(&req));
        assert_eq!(
            plain.usage.completion_tokens,
            context::estimate_tokens("a list of books")
        );
        assert_eq!(plain.model, "m");
        // The server's own count wins; an empty answer is an error either way.
        let counted = Streamed::plain(
            r#"{"choices":[{"message":{"content":"ok"}}],"usage":{"prompt_tokens":9,"completion_tokens":1}}"#,
        )
        .unwrap()
        .into_response("m", &req)
        .unwrap();
        assert_eq!((counted.usage.prompt_tokens, counted.usage.completion_tokens), (9, 1));
        let empty = Streamed::plain(r#"{"choices":[{"message":{"content":" "},"finish_reason":"length"}]}"#)
            .unwrap()
            .into_response("m", &req);
        assert!(matches!(empty, Err(LlmError::Malformed(m)) if m.contains("length")));
    }
}
