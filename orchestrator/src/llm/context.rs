//! Sizing requests for a model's context window.
//!
//! Every request must fit the context of the model that answers it: the prompt (system
//! prompt and messages) plus the tokens the model may generate. We cannot run each model's
//! tokenizer, so tokens are *estimated* conservatively: one token per three bytes of UTF-8
//! ([`estimate_tokens`]), plus a few tokens per message for the chat template. Real
//! tokenizers give about four bytes per token of English and code, so the estimate errs on
//! the side of a prompt that is smaller than it needs to be, never one that overflows.
//!
//! [`fit`] makes a request fit a context of `n` tokens: it trims what a request carries
//! (first a rejected answer quoted back in a repair, then the longest user message) until
//! the prompt leaves room for at least the purpose's [`min_output`], and caps `max_tokens`
//! at what remains (less a safety margin). When even the system prompt with the smallest
//! answer cannot fit, it refuses with [`ContextError`], whose message names the model and
//! the sizes.

use super::{LlmRequest, Role};

/// Bytes per token in the estimate (conservative: real tokenizers average more).
pub const BYTES_PER_TOKEN: usize = 3;
/// Tokens each message costs besides its text (role markers of the chat template).
pub const TOKENS_PER_MESSAGE: u32 = 8;
/// Tokens kept free besides the prompt and the answer (template, rounding).
pub const SAFETY_MARGIN: u32 = 64;
/// What a trimmed text says where it was cut.
const TRIMMED: &str = "\n[… trimmed to fit the model's context …]\n";

/// Estimated tokens of `text`: its UTF-8 bytes over [`BYTES_PER_TOKEN`], rounded up.
pub fn estimate_tokens(text: &str) -> u32 {
    u32::try_from(text.len().div_ceil(BYTES_PER_TOKEN)).unwrap_or(u32::MAX)
}

/// Estimated prompt tokens of `req` (system prompt and every message).
pub fn prompt_tokens(req: &LlmRequest) -> u32 {
    let messages: u32 = req
        .messages
        .iter()
        .map(|m| estimate_tokens(&m.content).saturating_add(TOKENS_PER_MESSAGE))
        .fold(0, u32::saturating_add);
    estimate_tokens(&req.system)
        .saturating_add(TOKENS_PER_MESSAGE)
        .saturating_add(messages)
}

/// The fewest tokens worth generating for `purpose`: below this the answer cannot be
/// complete, so a request that leaves less is refused rather than sent.
pub fn min_output(purpose: &str) -> u32 {
    match purpose {
        "analysis" | "reflection" | "revision" => 1024,
        "entity_module" | "stylesheet" | "icons" => 512,
        "logo" => 256,
        _ => 128,
    }
}

/// What a person is told when `model`'s context of `context` tokens cannot hold the
/// smallest request of a build (`needed` tokens).
pub fn too_small_for_a_build(model: &str, context: u32, needed: u32) -> String {
    format!(
        "the model {model} has a context of {context} tokens, but the smallest request of a build needs about \
         {needed}; use a model with a larger context (--llm-context-tokens and the model server's own setting)"
    )
}

/// A request that cannot fit the model's context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the model {model} has a context of {context} tokens, but the smallest {purpose} request needs about {needed} \
     ({prompt} for the prompt and {output} for the answer); use a model with a larger context \
     (--llm-context-tokens and the model server's own setting)"
)]
pub struct ContextError {
    /// The model.
    pub model: String,
    /// What the request was for.
    pub purpose: String,
    /// The context, in tokens.
    pub context: u32,
    /// Tokens the smallest prompt needs.
    pub prompt: u32,
    /// Tokens the smallest answer needs.
    pub output: u32,
    /// Both.
    pub needed: u32,
}

/// Keeps the first and last parts of `text` so that it is at most `tokens` long.
fn trim_to(text: &str, tokens: u32) -> String {
    let budget = (tokens as usize)
        .saturating_mul(BYTES_PER_TOKEN)
        .saturating_sub(TRIMMED.len());
    if text.len() <= budget.saturating_add(TRIMMED.len()) {
        return text.to_owned();
    }
    let head_len = text.floor_char_boundary(budget * 2 / 3);
    let tail_start = text.ceil_char_boundary(text.len() - (budget - head_len.min(budget)));
    format!("{}{TRIMMED}{}", &text[..head_len], &text[tail_start.max(head_len)..])
}

/// Makes `req` fit a context of `context` tokens for `model`, as the module header says.
/// Returns the estimated prompt tokens after trimming.
///
/// # Errors
/// [`ContextError`] when the system prompt and the smallest answer do not fit.
pub fn fit(req: &mut LlmRequest, context: u32, model: &str) -> Result<u32, ContextError> {
    let output = min_output(&req.purpose).min(req.max_tokens.max(1));
    let room = context.saturating_sub(SAFETY_MARGIN);
    let refuse = |prompt: u32| ContextError {
        model: model.to_owned(),
        purpose: req.purpose.clone(),
        context,
        prompt,
        output,
        needed: prompt.saturating_add(output).saturating_add(SAFETY_MARGIN),
    };
    // Never trimmed: the system prompt and, per message, its template and a stub.
    let floor = estimate_tokens(&req.system)
        .saturating_add(TOKENS_PER_MESSAGE)
        .saturating_add((req.messages.len() as u32).saturating_mul(TOKENS_PER_MESSAGE + 16));
    if floor.saturating_add(output) > room {
        return Err(refuse(floor));
    }
    let mut prompt = prompt_tokens(req);
    // Trim rejected answers first (a repair needs the complaints more than the answer),
    // then the longest user message, until the smallest answer fits.
    for pass in [Role::Assistant, Role::User] {
        while prompt.saturating_add(output) > room {
            let over = prompt + output - room;
            let Some(m) = req
                .messages
                .iter_mut()
                .filter(|m| m.role == pass && estimate_tokens(&m.content) > 16)
                .max_by_key(|m| m.content.len())
            else {
                break;
            };
            let now = estimate_tokens(&m.content);
            let target = now.saturating_sub(over).max(16);
            let trimmed = trim_to(&m.content, target);
            if trimmed.len() >= m.content.len() {
                break;
            }
            m.content = trimmed;
            prompt = prompt_tokens(req);
        }
    }
    if prompt.saturating_add(output) > room {
        return Err(refuse(prompt));
    }
    req.max_tokens = req.max_tokens.min(room - prompt).max(output);
    Ok(prompt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Message;

    fn request(purpose: &str, system: &str, user: &str, max_tokens: u32) -> LlmRequest {
        LlmRequest {
            system: system.into(),
            messages: vec![Message::user(user)],
            json: false,
            max_tokens,
            temperature: 0.2,
            model: None,
            purpose: purpose.into(),
            context: serde_json::Value::Null,
        }
    }

    #[test]
    fn the_estimate_is_bytes_over_three_rounded_up() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("abc"), 1);
        assert_eq!(estimate_tokens("abcd"), 2);
        // Bytes, not characters: "é" is two.
        assert_eq!(estimate_tokens("ééé"), 2);
    }

    #[test]
    fn a_request_that_fits_keeps_its_text_and_gets_its_output_capped() {
        let mut r = request("logo", "draw", "an app", 8192);
        let prompt = fit(&mut r, 4096, "m").unwrap();
        assert_eq!(r.messages[0].content, "an app");
        assert_eq!(r.max_tokens, 4096 - SAFETY_MARGIN - prompt);
        assert!(prompt + r.max_tokens <= 4096);
    }

    #[test]
    fn a_long_message_is_trimmed_to_fit_keeping_head_and_tail() {
        let user = format!("HEAD{}TAIL", "x".repeat(30_000));
        let mut r = request("entity_module", "write", &user, 2048);
        let prompt = fit(&mut r, 4096, "m").unwrap();
        assert!(
            prompt + r.max_tokens <= 4096 - SAFETY_MARGIN,
            "{prompt} + {}",
            r.max_tokens
        );
        assert!(r.max_tokens >= min_output("entity_module"));
        let c = &r.messages[0].content;
        assert!(
            c.starts_with("HEAD") && c.ends_with("TAIL") && c.contains("trimmed"),
            "{}",
            c.len()
        );
    }

    #[test]
    fn a_rejected_answer_is_trimmed_before_the_task() {
        let mut r = request("entity_module", "write", &"t".repeat(3000), 2048);
        r.messages.push(Message::assistant("a".repeat(30_000)));
        r.messages.push(Message::user("fix it"));
        fit(&mut r, 4096, "m").unwrap();
        assert_eq!(r.messages[0].content.len(), 3000);
        assert!(r.messages[1].content.len() < 30_000);
        assert_eq!(r.messages[2].content, "fix it");
    }

    #[test]
    fn a_context_too_small_for_the_system_prompt_is_refused_with_the_sizes() {
        let mut r = request("analysis", &"s".repeat(6000), "a habit tracker", 4096);
        let e = fit(&mut r, 2048, "smollm2:135m").unwrap_err();
        let m = e.to_string();
        assert!(m.contains("smollm2:135m") && m.contains("2048 tokens"), "{m}");
        assert!(m.contains(&format!("needs about {}", e.needed)), "{m}");
        assert!(e.needed > 2048);
    }

    #[test]
    fn multibyte_text_is_cut_on_character_boundaries() {
        let user = "é".repeat(20_000);
        let mut r = request("logo", "draw", &user, 512);
        fit(&mut r, 1024, "m").unwrap();
        assert!(r.messages[0].content.contains("trimmed"));
    }
}
