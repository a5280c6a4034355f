//! The `generic` task kind, what `decompose` plans for every subtask: the agent's model
//! writes a short work note for its subtask (offline: a deterministic note that says so).

use crate::scheduler::{TaskContext, TaskError};

/// The system prompt of `generic` tasks.
const PROMPT: &str = "You are an agent of Nexus Forge working on one subtask of a larger piece of work. Do the subtask as well as you can in writing: a short, concrete work note (at most 200 words) with what you did or decided, plain text.";

/// The `generic` task (what `decompose` plans): the agent's model writes a short work note
/// for the subtask (offline: a deterministic note that says so).
pub(crate) async fn run(ctx: TaskContext) -> Result<serde_json::Value, TaskError> {
    let t = &ctx.task;
    let Some(provider) = ctx.providers().get(t.agent.provider.as_deref()) else {
        return Err(TaskError::Fatal(format!(
            "agent {} wants the provider {:?}, which is not configured",
            t.agent.name, t.agent.provider
        )));
    };
    let mut req = crate::llm::LlmRequest {
        system: PROMPT.into(),
        messages: vec![crate::llm::Message::user(format!(
            "Subtask: {}\nInput: {}",
            t.description, t.input
        ))],
        json: false,
        max_tokens: 800,
        temperature: 0.3,
        model: t.agent.model.clone(),
        purpose: "generic".into(),
        context: serde_json::json!({ "description": t.description, "agent": t.agent.name }),
    };
    ctx.providers()
        .fit(provider.as_ref(), &mut req)
        .await
        .map_err(|e| TaskError::Fatal(e.to_string()))?;
    let answer = tokio::select! {
        r = provider.complete(&req) => r,
        _ = ctx.cancel.cancelled() => return Err(TaskError::Retryable("stopped".into())),
    };
    match answer {
        Ok(r) => Ok(
            serde_json::json!({ "agent": t.agent.name, "provider": provider.name(), "model": r.model, "summary": r.text, "tokens": r.usage.total() }),
        ),
        Err(e) if e.is_retryable() => Err(TaskError::Retryable(e.to_string())),
        Err(e) => Err(TaskError::Fatal(e.to_string())),
    }
}
