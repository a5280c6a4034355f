//! The built-in offline provider: deterministic, no network, the default when no provider
//! is configured. It answers each pipeline request from the offline generator
//! (`crate::generator`) by the request's `purpose` and `context`, as a model would, so the
//! rest of the pipeline (parsing, validation, repair) runs unchanged. It uses no tokens.
//!
//! `delay` makes each answer take a while (default a quarter second), so a build's phases
//! are visible on the dashboard as they would be with a real model; tests set it to zero.

use std::time::Duration;

use domain::spec::AppSpec;
use serde_json::json;

use super::{LlmError, LlmFuture, LlmProvider, LlmRequest, LlmResponse, Usage};

/// The offline provider.
#[derive(Debug, Clone, Default)]
pub struct Offline {
    /// How long each answer takes.
    pub delay: Duration,
}

fn field<'a>(req: &'a LlmRequest, key: &str) -> Result<&'a serde_json::Value, LlmError> {
    req.context
        .get(key)
        .ok_or_else(|| LlmError::Unsupported(format!("offline {}: the request has no {key}", req.purpose)))
}

fn spec(req: &LlmRequest) -> Result<AppSpec, LlmError> {
    serde_json::from_value(field(req, "spec")?.clone())
        .map_err(|e| LlmError::Unsupported(format!("offline {}: {e}", req.purpose)))
}

fn text(req: &LlmRequest, key: &str) -> Result<String, LlmError> {
    Ok(field(req, key)?.as_str().unwrap_or_default().to_owned())
}

/// The answer to `req`, as text.
fn answer(req: &LlmRequest) -> Result<String, LlmError> {
    let json =
        |v: serde_json::Value| serde_json::to_string_pretty(&v).map_err(|e| LlmError::Unsupported(e.to_string()));
    match req.purpose.as_str() {
        "analysis" => json(serde_json::to_value(generator::analyze(&text(req, "prompt")?).spec).unwrap_or_default()),
        "reflection" => {
            let a = generator::reflect(&text(req, "prompt")?, spec(req)?);
            json(json!({ "spec": a.spec, "reflection": a.reflection, "confidence": a.confidence }))
        }
        "revision" => {
            json(serde_json::to_value(generator::revise(&text(req, "change")?, spec(req)?).spec).unwrap_or_default())
        }
        "entity_module" => Ok(generator::entity_module(&spec(req)?, &text(req, "entity")?).content),
        "stylesheet" => Ok(generator::stylesheet(&spec(req)?).content),
        "logo" => Ok(generator::logo_svg(&spec(req)?).content),
        "icons" => {
            let icons: serde_json::Map<String, serde_json::Value> = generator::icons(&spec(req)?)
                .into_iter()
                .map(|f| (f.path, json!(f.content)))
                .collect();
            json(json!({ "icons": icons }))
        }
        "generic" => Ok(format!(
            "{} worked through \"{}\" offline: no model is configured, so this note is all the work there is to show.",
            text(req, "agent").unwrap_or_else(|_| "The agent".into()),
            text(req, "description")?
        )),
        other => Err(LlmError::Unsupported(format!(
            "the offline provider cannot answer `{other}` requests"
        ))),
    }
}

impl LlmProvider for Offline {
    fn name(&self) -> &str {
        "offline"
    }

    fn model(&self) -> &str {
        "nexus-offline-1"
    }

    fn complete<'a>(&'a self, req: &'a LlmRequest) -> LlmFuture<'a> {
        Box::pin(async move {
            let started = std::time::Instant::now();
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            let text = answer(req);
            crate::instruments::llm_call(self.name(), text.is_ok(), started.elapsed(), 0);
            Ok(LlmResponse {
                text: text?,
                usage: Usage::default(),
                model: self.model().to_owned(),
            })
        })
    }
}
