//! Any OpenAI-compatible chat-completions endpoint: `POST {base}/chat/completions` with an
//! optional bearer key. Works with OpenAI, Ollama (`http://127.0.0.1:11434/v1`), llama.cpp's
//! server (`http://127.0.0.1:8080/v1`) and vLLM. JSON answers are requested with
//! `response_format: {"type": "json_object"}`, which all four accept; the pipeline validates
//! the answer either way.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::{
    http_error, transport_error, LlmError, LlmFuture, LlmProvider, LlmRequest, LlmResponse, Role, SecretString, Usage,
};

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
    /// Longest one call may take.
    pub timeout: Duration,
}

/// An OpenAI-compatible client.
pub struct OpenAi {
    http: reqwest::Client,
    config: OpenAiConfig,
}

impl OpenAi {
    /// A client with `config`.
    pub fn new(http: reqwest::Client, config: OpenAiConfig) -> Self {
        Self { http, config }
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

impl LlmProvider for OpenAi {
    fn name(&self) -> &str {
        "openai"
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn complete<'a>(&'a self, req: &'a LlmRequest) -> LlmFuture<'a> {
        Box::pin(async move {
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
            });
            if req.json {
                body["response_format"] = json!({ "type": "json_object" });
            }
            let url = format!("{}/chat/completions", self.config.base_url.trim_end_matches('/'));
            let mut call = self.http.post(url).timeout(self.config.timeout).json(&body);
            if !self.config.api_key.is_empty() {
                call = call.bearer_auth(self.config.api_key.expose());
            }
            let res = call.send().await.map_err(|e| transport_error(e, self.config.timeout))?;
            let status = res.status();
            let headers = res.headers().clone();
            let text = res.text().await.map_err(|e| transport_error(e, self.config.timeout))?;
            if !status.is_success() {
                return Err(http_error(status, &headers, &text, text.contains("insufficient_quota")));
            }
            let answer: Answer = serde_json::from_str(&text).map_err(|e| LlmError::Malformed(e.to_string()))?;
            let Some(choice) = answer.choices.into_iter().next() else {
                return Err(LlmError::Malformed("the answer has no choices".into()));
            };
            let content = choice.message.content.unwrap_or_default();
            if content.trim().is_empty() {
                let why = choice.finish_reason.unwrap_or_else(|| "unknown".into());
                return Err(LlmError::Malformed(format!(
                    "the answer is empty (finish reason {why})"
                )));
            }
            let usage = answer
                .usage
                .map(|u| Usage {
                    prompt_tokens: u.prompt_tokens,
                    completion_tokens: u.completion_tokens,
                })
                .unwrap_or_default();
            Ok(LlmResponse {
                text: content,
                usage,
                model: answer.model.unwrap_or_else(|| model.to_owned()),
            })
        })
    }
}
