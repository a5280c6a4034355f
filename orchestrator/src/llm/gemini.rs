//! Google Gemini over REST: `POST {base}/v1beta/models/{model}:generateContent`, the key in
//! the `x-goog-api-key` header (never in the URL, so it cannot end up in a log line).
//! JSON answers are requested with `responseMimeType: application/json`; models that think
//! (2.5 and later) get `thinkingConfig.thinkingBudget`. Answers are not streamed: a call is
//! bounded by its timeout alone. Its health probe reads `GET /v1beta/models/{model}`
//! (reachable, `inputTokenLimit`).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    http_error, transport_error, BoxFuture, LlmError, LlmFuture, LlmProvider, LlmRequest, LlmResponse, Role,
    SecretString, ServerInfo, Usage,
};

/// Where the public API lives.
pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// The model used when none is configured.
pub const DEFAULT_MODEL: &str = "gemini-2.5-flash";

/// Gemini settings.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    /// API base, without a trailing slash (tests point it at a loopback server).
    pub base_url: String,
    /// The API key.
    pub api_key: SecretString,
    /// Default model.
    pub model: String,
    /// Thinking tokens allowed on models that think; `None` leaves the model's default.
    pub thinking_budget: Option<u32>,
    /// Longest one call may take.
    pub timeout: Duration,
}

/// A Gemini client.
pub struct Gemini {
    http: reqwest::Client,
    config: GeminiConfig,
}

impl Gemini {
    /// A client with `config`.
    pub fn new(http: reqwest::Client, config: GeminiConfig) -> Self {
        Self { http, config }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    system_instruction: serde_json::Value,
    contents: Vec<serde_json::Value>,
    generation_config: serde_json::Value,
    #[serde(skip)]
    _lt: std::marker::PhantomData<&'a ()>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    model_version: Option<String>,
    #[serde(default)]
    prompt_feedback: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
struct Part {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    thought: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: u32,
    #[serde(default)]
    candidates_token_count: u32,
    #[serde(default)]
    thoughts_token_count: u32,
}

/// Thinking tokens allowed on top of an answer's cap when no budget is configured.
const THINKING_ALLOWANCE: u32 = 4096;

/// `maxOutputTokens`: on models that think, thinking counts against it, so the answer's cap
/// (sized by the pipeline for the answer alone) gets the thinking budget on top.
fn output_cap(answer: u32, thinks: bool, budget: Option<u32>) -> u32 {
    if thinks {
        answer.saturating_add(budget.unwrap_or(THINKING_ALLOWANCE))
    } else {
        answer
    }
}

/// Whether `model` accepts a thinking budget.
fn thinks(model: &str) -> bool {
    let m = model.trim_start_matches("models/");
    !(m.starts_with("gemini-1") || m.starts_with("gemini-2.0"))
}

impl LlmProvider for Gemini {
    fn name(&self) -> &str {
        "gemini"
    }

    fn model(&self) -> &str {
        &self.config.model
    }

    fn probe(&self) -> BoxFuture<'_, ServerInfo> {
        Box::pin(async move {
            let url = format!(
                "{}/v1beta/models/{}",
                self.config.base_url.trim_end_matches('/'),
                self.config.model.trim_start_matches("models/")
            );
            let res = self
                .http
                .get(url)
                .header("x-goog-api-key", self.config.api_key.expose())
                .timeout(Duration::from_secs(5).min(self.config.timeout))
                .send()
                .await;
            match res {
                Ok(r) if r.status().is_success() => {
                    let info: serde_json::Value = r.json().await.unwrap_or_default();
                    ServerInfo {
                        reachable: true,
                        models: vec![self.config.model.clone()],
                        context: info["inputTokenLimit"].as_u64().and_then(|n| u32::try_from(n).ok()),
                        error: None,
                    }
                }
                Ok(r) => ServerInfo {
                    reachable: true,
                    error: Some(format!("Gemini answered HTTP {} for the model", r.status().as_u16())),
                    ..Default::default()
                },
                Err(e) => ServerInfo {
                    error: Some(format!("cannot reach Gemini: {}", e.without_url())),
                    ..Default::default()
                },
            }
        })
    }

    fn complete<'a>(&'a self, req: &'a LlmRequest) -> LlmFuture<'a> {
        Box::pin(async move {
            let model = req.model.as_deref().unwrap_or(&self.config.model);
            let mut generation = json!({
                "temperature": req.temperature,
                "maxOutputTokens": output_cap(req.max_tokens, thinks(model), self.config.thinking_budget),
            });
            if req.json {
                generation["responseMimeType"] = json!("application/json");
            }
            if let (Some(budget), true) = (self.config.thinking_budget, thinks(model)) {
                generation["thinkingConfig"] = json!({ "thinkingBudget": budget });
            }
            let contents = req
                .messages
                .iter()
                .map(|m| {
                    let role = match m.role {
                        Role::User => "user",
                        Role::Assistant => "model",
                    };
                    json!({ "role": role, "parts": [{ "text": m.content }] })
                })
                .collect();
            let body = Body {
                system_instruction: json!({ "parts": [{ "text": req.system }] }),
                contents,
                generation_config: generation,
                _lt: std::marker::PhantomData,
            };
            let url = format!(
                "{}/v1beta/models/{}:generateContent",
                self.config.base_url.trim_end_matches('/'),
                model
            );
            let res = self
                .http
                .post(url)
                .header("x-goog-api-key", self.config.api_key.expose())
                .timeout(self.config.timeout)
                .json(&body)
                .send()
                .await
                .map_err(|e| transport_error(e, self.config.timeout))?;
            let status = res.status();
            let headers = res.headers().clone();
            let text = res.text().await.map_err(|e| transport_error(e, self.config.timeout))?;
            if !status.is_success() {
                // Gemini says RESOURCE_EXHAUSTED for both rate and quota limits; a quota
                // message names the quota.
                let quota = text.contains("quota") && text.contains("exceeded your current quota");
                return Err(http_error(status, &headers, &text, quota));
            }
            let answer: Answer = serde_json::from_str(&text).map_err(|e| LlmError::Malformed(e.to_string()))?;
            let Some(candidate) = answer.candidates.into_iter().next() else {
                let why = answer
                    .prompt_feedback
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| "no candidates".into());
                return Err(LlmError::Malformed(format!("Gemini returned no answer ({why})")));
            };
            let text: String = candidate
                .content
                .map(|c| {
                    c.parts
                        .into_iter()
                        .filter(|p| p.thought != Some(true))
                        .filter_map(|p| p.text)
                        .collect()
                })
                .unwrap_or_default();
            if text.is_empty() {
                let why = candidate.finish_reason.unwrap_or_else(|| "unknown".into());
                return Err(LlmError::Malformed(format!(
                    "Gemini returned an empty answer (finish reason {why})"
                )));
            }
            let usage = answer
                .usage_metadata
                .map(|u| Usage {
                    prompt_tokens: u.prompt_token_count,
                    completion_tokens: u.candidates_token_count.saturating_add(u.thoughts_token_count),
                })
                .unwrap_or_default();
            Ok(LlmResponse {
                text,
                usage,
                model: answer.model_version.unwrap_or_else(|| model.to_owned()),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::thinks;

    #[test]
    fn thinking_gets_room_on_top_of_the_answer() {
        use super::output_cap;
        assert_eq!(output_cap(1400, false, None), 1400);
        assert_eq!(output_cap(1400, true, Some(0)), 1400);
        assert_eq!(output_cap(1400, true, Some(1024)), 2424);
        assert_eq!(output_cap(1400, true, None), 5496);
    }

    #[test]
    fn only_models_that_think_get_a_budget() {
        assert!(thinks("gemini-2.5-flash"));
        assert!(thinks("models/gemini-3-pro"));
        assert!(!thinks("gemini-2.0-flash"));
        assert!(!thinks("gemini-1.5-pro"));
    }
}
