//! Model calls whose output is never trusted blindly. [`generate`] asks the build's
//! provider, strips Markdown fences, runs the caller's validator, and on rejection sends the
//! validator's complaints back in a repair prompt (at most `MAX_REPAIRS` times). If the
//! answer is still rejected, or the provider fails for good (timeout after retries, circuit
//! open, refused), the task falls back to the offline generator for its output and a
//! `build.fallback` event says so. Budgets are the exception: a build over its token or
//! call budget, or repeating the same request, fails with the reason instead.
//!
//! A model that keeps failing is not asked again. Each model task's outcome is added to the
//! build's record (`projects.model_accepted`, `model_failed`; a failure is an answer still
//! rejected after the repair round, or a call that failed). A task gets no repair round when
//! its answer took half the call timeout or more (on a slow local model a repair costs as
//! much again, and more: it carries the rejected answer), nor once the model has failed in
//! more tasks than it succeeded in; once it has failed in
//! `config.max_model_failures` tasks (2 by default) and in more than it succeeded in, the
//! build stops asking it: the remaining model tasks use the offline generator at once, and
//! calls still running in this process are abandoned, each with a `build.fallback` saying
//! why. A small local model that writes plausible but wrong answers so costs a build a few
//! calls instead of two per task.
//!
//! Bounded size and time:
//! - Each request is fitted to the model's context (`crate::llm::context::fit`: trimmed,
//!   `max_tokens` capped) before it is sent; a model whose context cannot hold it is not
//!   called, and the task falls back with a reason naming the model and the sizes.
//! - A build has a wall-clock budget (`config.max_seconds`, the server's `--build-max-secs`
//!   unless set, counted from when the build was accepted). Once it is spent, model tasks
//!   no longer call the model, and a call still running is abandoned: the offline generator
//!   answers, a `build.fallback` event gives the reason, and the build completes. A call
//!   also ends shortly before its task's own timeout (the same fallback), so a slow model
//!   never gets a task killed and its work started over.
//! - While a streamed answer arrives, `task.progress` events (tokens so far, at most about
//!   one a second) show a slow model working.
//!
//! Every call is charged to the build (`projects.tokens_used`, `llm_calls`) and measured
//! (`llm.tokens`, `llm.call_ms` in `performance_metrics`).

use std::{
    collections::HashMap,
    hash::{Hash, Hasher},
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

use domain::{event::EventKind, ids::BuildId};
use serde_json::json;

use super::{prompts, RetryOnError};
use crate::{
    llm::{context, LlmError, LlmRequest, Message, Progress},
    scheduler::{TaskContext, TaskError},
    store::{self, metrics::NewMetric},
};

/// Repairs after the first answer (so a model gets two chances in all).
pub(crate) const MAX_REPAIRS: u32 = 1;
/// Identical requests one build may make before it is stopped as a runaway.
pub(crate) const MAX_IDENTICAL_CALLS: u32 = 3;
/// Tokens a build may use unless its config says otherwise.
pub const DEFAULT_MAX_TOKENS: u64 = 500_000;
/// Model calls a build may make unless its config says otherwise.
pub const DEFAULT_MAX_CALLS: u32 = 100;
/// Wall-clock seconds a build may spend on models unless its config (or the server) says
/// otherwise.
pub const DEFAULT_MAX_SECONDS: u64 = 900;
/// Tasks of one build in which the model may fail before the build stops asking it (while
/// it has succeeded in fewer), unless the build's config says otherwise.
pub const DEFAULT_MAX_MODEL_FAILURES: u32 = 2;
/// Time a task keeps, before its own timeout, to store a fallback's output.
const TASK_MARGIN: Duration = Duration::from_secs(15);
/// Least time between two `task.progress` events of one call.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// One thing to ask a model for.
pub(crate) struct Ask {
    /// `analysis`, `entity_module`, ... (what the offline provider answers by).
    pub(crate) purpose: &'static str,
    /// System prompt.
    pub(crate) system: &'static str,
    /// The request.
    pub(crate) user: String,
    /// Whether the answer is a JSON object.
    pub(crate) json: bool,
    /// Most tokens to generate.
    pub(crate) max_tokens: u32,
    /// Whether the request may be cut to fit a small context (a person's prompt, read as
    /// prose, may; JSON, CSS or a list of paths cut in the middle is useless, so a task
    /// whose request does not fit whole uses the offline generator instead).
    pub(crate) trim: bool,
    /// Facts for the offline provider.
    pub(crate) context: serde_json::Value,
}

/// Where an accepted output came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    /// The model, after this many repairs.
    Model { provider: String, repairs: u32 },
    /// The offline generator, because of this.
    Fallback { reason: String },
}

impl Source {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match self {
            Source::Model { provider, repairs } => {
                json!({ "source": "model", "provider": provider, "repairs": repairs })
            }
            Source::Fallback { reason } => json!({ "source": "offline_fallback", "reason": reason }),
        }
    }
}

/// Strips one surrounding Markdown code fence, if the model added one.
pub(crate) fn strip_fences(text: &str) -> &str {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else { return t };
    let body = rest.split_once('\n').map_or("", |(_, b)| b);
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

/// How long this process remembers a build's calls and give-ups: no build runs this long.
const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// Entries the identical-call map holds before it forgets the old ones.
const IDENTICAL_CALLS_KEPT: usize = 1024;

/// Per (build, request hash): when it was first asked and how often.
type CallCounts = HashMap<(BuildId, u64), (Instant, u32)>;

/// How often each (build, request) pair was asked in this process, and when first.
fn identical_calls() -> &'static Mutex<CallCounts> {
    static CALLS: OnceLock<Mutex<CallCounts>> = OnceLock::new();
    CALLS.get_or_init(Default::default)
}

/// Counts one more call of `key` and returns how many there have been; forgets calls
/// older than [`FORGET_AFTER`] once the map holds [`IDENTICAL_CALLS_KEPT`], so a server
/// that runs for months does not grow with every call it ever made.
fn count_call(key: (BuildId, u64)) -> u32 {
    let mut calls = identical_calls().lock().unwrap_or_else(|e| e.into_inner());
    if calls.len() >= IDENTICAL_CALLS_KEPT {
        calls.retain(|_, (at, _)| at.elapsed() < FORGET_AFTER);
    }
    let (_, n) = calls.entry(key).or_insert((Instant::now(), 0));
    *n += 1;
    *n
}

/// Builds whose model this process has stopped asking, with why and since when: a call
/// still running for one of them is abandoned (another process learns it from the build's
/// record before its next call).
fn given_up() -> &'static Mutex<HashMap<BuildId, (Instant, String)>> {
    static GIVEN_UP: OnceLock<Mutex<HashMap<BuildId, (Instant, String)>>> = OnceLock::new();
    GIVEN_UP.get_or_init(Default::default)
}

/// Why this process stopped asking the build's model, if it did.
fn given_up_on(build: BuildId) -> Option<String> {
    let map = given_up().lock().unwrap_or_else(|e| e.into_inner());
    map.get(&build).map(|(_, why)| why.clone())
}

/// Remembers that the build's model is not to be asked again (and forgets builds given up
/// on more than an hour ago: no build runs that long).
fn give_up_on(build: BuildId, why: &str) {
    let mut map = given_up().lock().unwrap_or_else(|e| e.into_inner());
    map.retain(|_, (at, _)| at.elapsed() < FORGET_AFTER);
    map.entry(build).or_insert_with(|| (Instant::now(), why.to_owned()));
}

/// Why the build stops asking its model, if it does: the model failed in at least `limit`
/// tasks, and in more than it succeeded in.
pub(crate) fn stop_asking(record: store::builds::ModelRecord, limit: u32, model: &str) -> Option<String> {
    let failed = u32::try_from(record.failed).unwrap_or(0);
    let accepted = u32::try_from(record.accepted).unwrap_or(0);
    (failed >= limit && failed > accepted).then(|| {
        format!(
            "{model} failed in {failed} tasks of this build (answers rejected after a repair, or calls that \
             failed) and succeeded in {accepted}; the remaining tasks use the offline generator"
        )
    })
}

/// Repairs a task may ask for: none once the model has failed in more tasks of the build
/// than it succeeded in (its repairs have not been working).
fn repairs_allowed(record: store::builds::ModelRecord) -> u32 {
    if record.failed > record.accepted {
        0
    } else {
        MAX_REPAIRS
    }
}

fn request_hash(provider: &str, req: &LlmRequest) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    provider.hash(&mut h);
    req.model.hash(&mut h);
    req.system.hash(&mut h);
    for m in &req.messages {
        m.content.hash(&mut h);
    }
    req.context.to_string().hash(&mut h);
    h.finish()
}

fn fatal(e: impl std::fmt::Display) -> TaskError {
    TaskError::Fatal(e.to_string())
}

/// Asks for `ask`, validating with `accept`; falls back to `fallback` as described in the
/// module header.
///
/// # Errors
/// [`TaskError::Fatal`] when the build is over budget or repeats itself;
/// [`TaskError::Retryable`] when the database fails.
pub(crate) async fn generate<T>(
    ctx: &TaskContext,
    build: BuildId,
    ask: Ask,
    accept: impl Fn(&str) -> Result<T, Vec<String>>,
    fallback: impl FnOnce() -> T,
) -> Result<(T, Source), TaskError> {
    let usage = store::builds::usage(ctx.db(), build).await.retry()?;
    let agent = &ctx.task.agent;
    let provider_name = usage.config.provider.clone().or_else(|| agent.provider.clone());
    let Some(provider) = ctx.providers().get(provider_name.as_deref()) else {
        let reason = format!(
            "the provider {} is not configured on this server",
            provider_name.unwrap_or_default()
        );
        return fall_back(ctx, build, ask.purpose, reason, fallback).await;
    };
    let model = usage.config.model.clone().or_else(|| agent.model.clone());
    let max_tokens = usage.config.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    let max_calls = usage.config.max_llm_calls.unwrap_or(DEFAULT_MAX_CALLS);
    let max_seconds = usage.config.max_seconds.unwrap_or(DEFAULT_MAX_SECONDS);
    let max_failures = usage.config.max_model_failures.unwrap_or(DEFAULT_MAX_MODEL_FAILURES);
    let offline = provider.name() == "offline";
    let model_name = model.clone().unwrap_or_else(|| provider.model().to_owned());
    // The outcome of this task goes into the build's record (not for the offline provider,
    // which never fails and is what the others fall back to).
    let model_label = model_name.as_str();
    let judge = |accepted: bool| async move {
        if offline {
            return Ok(());
        }
        let record = store::builds::record_model(ctx.db(), build, accepted).await.retry()?;
        if let Some(why) = stop_asking(record, max_failures, model_label) {
            give_up_on(build, &why);
        }
        Ok::<_, TaskError>(())
    };
    let created_at = usage.created_at;
    let time_left = || {
        // Wall-clock time, not the orchestrator's clock: this bounds what a person waits.
        let spent = (chrono::Utc::now() - created_at).to_std().unwrap_or_default();
        Duration::from_secs(max_seconds).saturating_sub(spent)
    };
    let budget_spent =
        || format!("the build's time budget of {max_seconds} s is used up; the offline generator answers instead");

    let mut req = LlmRequest {
        system: ask.system.to_owned(),
        messages: vec![Message::user(ask.user)],
        json: ask.json,
        max_tokens: ask.max_tokens,
        temperature: 0.2,
        model,
        purpose: ask.purpose.to_owned(),
        context: ask.context,
    };
    // An answer this slow gets no repair round (half the call timeout; none offline).
    let repair_within = ctx.providers().call_timeout(provider.name()).map(|t| t / 2);
    let slow = |elapsed: Duration| repair_within.is_some_and(|w| elapsed >= w);
    let mut attempt = 0;
    let mut spent = usage;
    loop {
        // Budgets are read fresh before each repair: other tasks of the build spend too.
        if attempt > 0 {
            spent = store::builds::usage(ctx.db(), build).await.retry()?;
        }
        if spent.tokens_used >= max_tokens as i64 {
            return Err(fatal(format!(
                "the build's token budget is used up ({} of {max_tokens} tokens)",
                spent.tokens_used
            )));
        }
        if spent.llm_calls >= max_calls as i32 {
            return Err(fatal(format!(
                "the build's model-call budget is used up ({} of {max_calls} calls)",
                spent.llm_calls
            )));
        }
        if !offline {
            let why = stop_asking(spent.model, max_failures, &model_name).or_else(|| given_up_on(build));
            if let Some(why) = why {
                return fall_back(ctx, build, ask.purpose, why, fallback).await;
            }
        }
        let key = (build, request_hash(provider.name(), &req));
        let repeats = count_call(key);
        if repeats > MAX_IDENTICAL_CALLS {
            return Err(fatal(format!(
                "the same {} request to the model was made {repeats} times; stopping the build as a runaway",
                ask.purpose
            )));
        }

        // A call must also end before the task's own timeout would cut the task off (and
        // start it again from scratch): keep a little time to store the fallback's output.
        let task_left = ctx
            .deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .saturating_sub(TASK_MARGIN);
        let (left, why_out_of_time) = if task_left < time_left() {
            let reason = format!(
                "the {} task's time limit of {} s is nearly used up; the offline generator answers instead",
                ctx.task.key,
                ctx.task.timeout.as_secs()
            );
            (task_left, reason)
        } else {
            (time_left(), budget_spent())
        };
        if !offline {
            if left.is_zero() {
                return fall_back(ctx, build, ask.purpose, why_out_of_time, fallback).await;
            }
            let task_text = req.messages[0].content.len();
            let window = match ctx.providers().fit(provider.as_ref(), &mut req).await {
                Ok(window) => window,
                Err(e) => return fall_back(ctx, build, ask.purpose, e.to_string(), fallback).await,
            };
            if !ask.trim && req.messages[0].content.len() != task_text {
                let reason = format!(
                    "the {} request does not fit whole in the context of {model_name} ({window} tokens)",
                    ask.purpose
                );
                return fall_back(ctx, build, ask.purpose, reason, fallback).await;
            }
        }

        let started = Instant::now();
        let (tokens_tx, tokens_rx) = tokio::sync::watch::channel(0u32);
        let progress: Progress = Arc::new(move |n| {
            tokens_tx.send_replace(n);
        });
        let mut call = provider.complete_streaming(&req, progress);
        // The offline generator is what a spent budget falls back to: it has none.
        let budget = tokio::time::sleep(left);
        tokio::pin!(budget);
        let mut ticks = tokio::time::interval(Duration::from_millis(250));
        let (mut reported, mut last_report) = (0u32, None::<Instant>);
        let answer = loop {
            tokio::select! {
                r = &mut call => break r,
                _ = ctx.cancel.cancelled() => return Err(TaskError::Retryable("stopped".into())),
                _ = &mut budget, if !offline => {
                    // What the abandoned call used is still spent: the prompt and the tokens
                    // streamed so far (estimates; a paid API bills them).
                    let used = context::prompt_tokens(&req).saturating_add(*tokens_rx.borrow());
                    store::builds::charge(ctx.db(), build, used).await.retry()?;
                    return fall_back(ctx, build, ask.purpose, why_out_of_time, fallback).await;
                }
                _ = ticks.tick() => {
                    if let Some(why) = given_up_on(build).filter(|_| !offline) {
                        let used = context::prompt_tokens(&req).saturating_add(*tokens_rx.borrow());
                        store::builds::charge(ctx.db(), build, used).await.retry()?;
                        return fall_back(ctx, build, ask.purpose, why, fallback).await;
                    }
                    let n = *tokens_rx.borrow();
                    if n > reported && last_report.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
                        reported = n;
                        last_report = Some(Instant::now());
                        report_progress(ctx, build, ask.purpose, n, started.elapsed()).await;
                    }
                }
            }
        };
        drop(call);
        let elapsed = started.elapsed();
        let response = match answer {
            Ok(r) => r,
            Err(LlmError::Unsupported(why)) => return Err(fatal(why)),
            Err(e) => {
                judge(false).await?;
                let reason = format!("the model call failed: {e}");
                return fall_back(ctx, build, ask.purpose, reason, fallback).await;
            }
        };
        store::builds::charge(ctx.db(), build, response.usage.total())
            .await
            .retry()?;
        let labels = json!({ "provider": provider.name(), "model": response.model, "purpose": ask.purpose });
        let measurements = [
            NewMetric::new("llm.tokens", f64::from(response.usage.total()), "tokens")
                .task(ctx.task.id)
                .build(Some(build))
                .labels(labels.clone()),
            NewMetric::ms("llm.call_ms", elapsed.as_secs_f64() * 1000.0)
                .task(ctx.task.id)
                .build(Some(build))
                .labels(labels),
        ];
        let mut conn = ctx.db().acquire().await.retry()?;
        store::metrics::record(&mut conn, &measurements).await.retry()?;
        drop(conn);

        let text = strip_fences(&response.text);
        match accept(text) {
            Ok(value) => {
                judge(true).await?;
                return Ok((
                    value,
                    Source::Model {
                        provider: provider.name().to_owned(),
                        repairs: attempt,
                    },
                ));
            }
            Err(problems) if offline => {
                // The offline provider would answer the same again; this is a bug, not noise.
                return Err(fatal(format!(
                    "the offline generator's {} was rejected: {}",
                    ask.purpose,
                    problems.join("; ")
                )));
            }
            Err(problems) if attempt < repairs_allowed(spent.model) && !slow(elapsed) => {
                tracing::info!(
                    purpose = ask.purpose,
                    problems = problems.len(),
                    "model output rejected; asking for a repair"
                );
                req.messages.push(Message::assistant(response.text.clone()));
                req.messages.push(Message::user(prompts::repair(&problems)));
                attempt += 1;
            }
            Err(problems) => {
                judge(false).await?;
                let shown: Vec<&str> = problems.iter().take(5).map(String::as_str).collect();
                let reason = match attempt {
                    0 if slow(elapsed) => format!(
                        "the model's answer was rejected (no repair round: the answer took {} s): {}",
                        elapsed.as_secs(),
                        shown.join("; ")
                    ),
                    0 => format!("the model's answer was rejected: {}", shown.join("; ")),
                    n => format!("the model's answer was rejected {} times: {}", n + 1, shown.join("; ")),
                };
                return fall_back(ctx, build, ask.purpose, reason, fallback).await;
            }
        }
    }
}

/// Appends a `task.progress` event; a failure only loses the event.
async fn report_progress(ctx: &TaskContext, build: BuildId, purpose: &str, tokens: u32, elapsed: Duration) {
    let t = &ctx.task;
    let event = super::task_event(ctx, build, EventKind::TaskProgress).payload(json!({
        "task": t.key,
        "purpose": purpose,
        "tokens": tokens,
        "elapsed_ms": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
    }));
    let result = match ctx.db().acquire().await {
        Ok(mut conn) => store::events::append(&mut conn, &[event]).await.map(|_| ()),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "cannot record the model's progress");
    }
}

async fn fall_back<T>(
    ctx: &TaskContext,
    build: BuildId,
    purpose: &str,
    reason: String,
    fallback: impl FnOnce() -> T,
) -> Result<(T, Source), TaskError> {
    tracing::warn!(purpose, %reason, "using the offline generator instead of the model");
    let payload = json!({ "task": ctx.task.key, "purpose": purpose, "reason": reason });
    super::append_task_event(ctx, build, EventKind::BuildFallback, payload).await?;
    Ok((fallback(), Source::Fallback { reason }))
}

#[cfg(test)]
mod tests {
    use super::{
        count_call, identical_calls, repairs_allowed, stop_asking, strip_fences, FORGET_AFTER, IDENTICAL_CALLS_KEPT,
        MAX_REPAIRS,
    };
    use crate::store::builds::ModelRecord;
    use domain::ids::BuildId;
    use std::time::Instant;

    #[test]
    fn identical_calls_are_counted_per_request_and_old_ones_are_forgotten() {
        let build = BuildId(uuid::Uuid::new_v4());
        assert_eq!(count_call((build, 1)), 1);
        assert_eq!(count_call((build, 1)), 2);
        assert_eq!(count_call((build, 2)), 1);
        // A map full of calls from long ago: the next call forgets them.
        let old = BuildId(uuid::Uuid::new_v4());
        let long_ago = Instant::now().checked_sub(FORGET_AFTER * 2).expect("a clock that old");
        {
            let mut calls = identical_calls().lock().unwrap();
            for i in 0..IDENTICAL_CALLS_KEPT as u64 {
                calls.insert((old, i), (long_ago, 1));
            }
        }
        assert_eq!(count_call((build, 1)), 3, "recent calls are kept");
        let calls = identical_calls().lock().unwrap();
        assert!(!calls.keys().any(|(b, _)| *b == old), "old calls are forgotten");
    }

    fn record(accepted: i32, failed: i32) -> ModelRecord {
        ModelRecord { accepted, failed }
    }

    #[test]
    fn a_build_stops_asking_a_model_that_failed_often_and_more_than_it_succeeded() {
        assert_eq!(stop_asking(record(0, 1), 2, "m"), None, "one failure is not enough");
        let why = stop_asking(record(0, 2), 2, "tiny").expect("two failures, no success");
        assert!(
            why.starts_with("tiny failed in 2 tasks") && why.contains("succeeded in 0"),
            "{why}"
        );
        assert_eq!(stop_asking(record(2, 2), 2, "m"), None, "as many successes");
        assert!(stop_asking(record(2, 3), 2, "m").is_some());
        assert_eq!(stop_asking(record(0, 2), 3, "m"), None, "under a higher limit");
        assert!(stop_asking(record(0, 1), 1, "m").is_some());
    }

    #[test]
    fn a_model_failing_more_than_it_succeeds_gets_no_repair_round() {
        assert_eq!(repairs_allowed(record(0, 0)), MAX_REPAIRS);
        assert_eq!(repairs_allowed(record(1, 1)), MAX_REPAIRS);
        assert_eq!(repairs_allowed(record(0, 1)), 0);
        assert_eq!(repairs_allowed(record(2, 3)), 0);
    }

    #[test]
    fn fences_are_stripped_and_plain_answers_kept() {
        assert_eq!(strip_fences("```json\n{\"a\": 1}\n```"), "{\"a\": 1}");
        assert_eq!(strip_fences("  ```\nbody()\n```  "), "body()");
        assert_eq!(strip_fences("{\"a\": 1}"), "{\"a\": 1}");
        assert_eq!(strip_fences("```js\nunterminated"), "unterminated");
    }
}
