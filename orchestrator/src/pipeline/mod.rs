//! The build pipeline: a prompt becomes a working app.
//!
//! # Shape
//! A build owns one workflow. Starting a build stores it with two tasks, `analysis` and
//! `plan`, and starts the workflow in the same transaction; nothing slow happens in the
//! request. Then, each task a scheduler claim away:
//!
//! ```text
//! analysis (Starri)  prompt -> app spec, reflection pass, confidence
//!   plan (Starri)    spec -> the rest of the DAG, validated before it is added:
//!     design (Gemini-Designer)   css/styles.css
//!     assets (Imagen-Asset-Gen)  assets/logo.svg, icons, favicon
//!     shell (Jules-CodeGen)      js/store.js, js/config.js, js/app.js
//!     entity-<name> (Jules)      js/entities/<name>.js, one per entity
//!       check (Jules, testing)   every file through a real parser, nothing missing
//!         assemble (Jules)       index.html
//!           verify (Tester)      the app in headless Chromium: screenshots, repairs
//!             package (Jules)    <app>.zip (with screenshots/)
//! ```
//! Files are stored as artifacts in Postgres as each task finishes. The build's phase and
//! progress move with its tasks (`build.progress` events); its final status follows the
//! workflow's in the same transaction (`store::builds::finish_for_workflow`). A crashed
//! server's tasks are reclaimed when their leases expire, so a build survives a restart;
//! cancelling a build cancels its workflow.
//!
//! # Revisions
//! A completed build can be changed by a request (`crate::api::builds`'s `iterate_build`):
//! that makes a new build of the same app whose first task is `revise` instead of
//! `analysis` (the parent's spec changed as asked: `generator::revise` offline, a model's
//! whole revised spec refereed by it otherwise). Its `plan` compares, for every generation
//! task, the inputs under the parent's spec and the new one (the spec parts its prompt
//! quotes and the offline output); a task whose inputs are equal is carried over: it
//! copies the parent's files of that task and completes with `"reused": true`, asking no
//! model. `check`, `assemble` and `package` always run.
//!
//! The calls that start, read and cancel builds are the orchestrator's API
//! (`crate::api::builds`); this module is what runs once a build is accepted.
//!
//! # Verify
//! After `assemble`, the Tester opens the app in headless Chromium (`crate::verify`) and
//! drives it: every page, the main flow of each list page, a phone-width layout, a
//! screenshot of each. An entity module the browser finds broken goes back to be made
//! again with the browser's report: a model's module is asked for once more, then the
//! offline module replaces it; each round is a `build.verified` event and a row of the
//! build's `verify` report. No browser, or one that fails, is a `build.verify_skipped`,
//! never a failed build.
//!
//! # Modules
//! - `handlers`: one handler per task kind.
//! - `verify`: the browser check's task (rounds and repairs).
//! - `model`: model calls with validation, repair prompts, offline fallback and budgets.
//! - `prompts`: what models are asked.
//! - `package`: the zip.

mod handlers;
pub mod model;
mod package;
mod prompts;
mod verify;

use domain::{agent::Capability, dag::TaskSpec, event::EventKind, ids::BuildId};
use serde_json::Value;

pub(crate) use self::handlers::{register, BUILD_TASK_LIMITS};
use crate::{
    error::{Error, Result},
    scheduler::{TaskContext, TaskError},
    store::{self, events::NewEvent},
};

/// An event of `build` about the task `ctx` runs: its workflow, task, agent and owner.
pub(crate) fn task_event(ctx: &TaskContext, build: BuildId, kind: EventKind) -> NewEvent {
    let t = &ctx.task;
    NewEvent::new(kind)
        .workflow(t.workflow_id)
        .task(t.id)
        .agent(t.agent.id)
        .build(Some(build))
        .owner(t.owner_id)
}

/// Appends [`task_event`] with `payload` (a database failure makes the task retry).
pub(crate) async fn append_task_event(
    ctx: &TaskContext,
    build: BuildId,
    kind: EventKind,
    payload: Value,
) -> std::result::Result<(), TaskError> {
    let mut conn = ctx.db().acquire().await.retry()?;
    store::events::append(&mut conn, &[task_event(ctx, build, kind).payload(payload)])
        .await
        .retry()
}

/// Turns a database failure inside a build task into a retryable task error: the task
/// runs again (with backoff) rather than failing the build on a passing outage.
pub(crate) trait RetryOnError<T> {
    fn retry(self) -> std::result::Result<T, crate::scheduler::TaskError>;
}

impl<T> RetryOnError<T> for Result<T> {
    fn retry(self) -> std::result::Result<T, crate::scheduler::TaskError> {
        self.map_err(|e| crate::scheduler::TaskError::Retryable(e.to_string()))
    }
}

impl<T> RetryOnError<T> for std::result::Result<T, sqlx::Error> {
    fn retry(self) -> std::result::Result<T, crate::scheduler::TaskError> {
        self.map_err(|e| crate::scheduler::TaskError::Retryable(Error::from(e).to_string()))
    }
}

/// Every system prompt the pipeline sends, with the purpose of its requests.
const SYSTEM_PROMPTS: [(&str, &str); 7] = [
    (prompts::ANALYSIS, "analysis"),
    (prompts::REVISION, "revision"),
    (prompts::REFLECTION, "reflection"),
    (prompts::ENTITY_MODULE, "entity_module"),
    (prompts::STYLESHEET, "stylesheet"),
    (prompts::LOGO, "logo"),
    (prompts::ICONS, "icons"),
];

/// Estimated tokens of the smallest request the pipeline makes (system prompt, a short
/// task, the least answer worth having, the safety margin): a model whose context is
/// smaller cannot do any of a build's work.
pub fn smallest_request_tokens() -> u32 {
    use crate::llm::context::{estimate_tokens, min_output, SAFETY_MARGIN, TOKENS_PER_MESSAGE};
    SYSTEM_PROMPTS
        .into_iter()
        .map(|(system, purpose)| estimate_tokens(system) + 2 * TOKENS_PER_MESSAGE + 32 + min_output(purpose))
        .min()
        .unwrap_or(0)
        + SAFETY_MARGIN
}

/// Longest a build's workflow may run (a hard stop), unless its time budget plus ten
/// minutes is longer.
pub const MAX_BUILD_DURATION: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// The tasks a build starts with; `plan` adds the rest.
pub(crate) fn first_tasks() -> Vec<TaskSpec> {
    let caps = [Capability::DataAnalysis, Capability::TextGeneration];
    vec![
        TaskSpec {
            id: "analysis".into(),
            description: "Analyse the prompt into an app spec, then review it".into(),
            kind: "build_analysis".into(),
            dependencies: vec![],
            required_capabilities: caps.to_vec(),
            estimated_duration: 20,
            input: Value::Null,
        },
        TaskSpec {
            id: "plan".into(),
            description: "Plan the generation tasks from the spec".into(),
            kind: "build_plan".into(),
            dependencies: vec!["analysis".into()],
            required_capabilities: caps.to_vec(),
            estimated_duration: 5,
            input: Value::Null,
        },
    ]
}

/// The tasks a revision starts with: `revise` changes the parent's spec as asked, then
/// `plan` adds the generation tasks, carrying over those whose inputs did not change.
pub(crate) fn revision_first_tasks() -> Vec<TaskSpec> {
    let mut tasks = first_tasks();
    tasks[0] = TaskSpec {
        id: "revise".into(),
        description: "Change the parent build's app spec as the request asks".into(),
        kind: "build_revise".into(),
        ..tasks[0].clone()
    };
    tasks[1].dependencies = vec!["revise".into()];
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_system_prompt_fits_a_4096_context_with_its_smallest_answer() {
        use crate::llm::context::{estimate_tokens, min_output, SAFETY_MARGIN};
        for (system, purpose) in SYSTEM_PROMPTS {
            let needed = estimate_tokens(system) + min_output(purpose) + SAFETY_MARGIN;
            eprintln!("{purpose}: system {} tokens, needs {needed}", estimate_tokens(system));
            assert!(needed < 3072, "{purpose} needs {needed}");
        }
        let smallest = smallest_request_tokens();
        eprintln!("smallest request: {smallest} tokens");
        assert!(smallest > 256 && smallest < 1024, "{smallest}");
    }

    #[test]
    fn answer_caps_follow_the_size_of_a_real_answer() {
        for prompt in generator::SAMPLE_PROMPTS.iter().take(5) {
            let spec = generator::analyze(prompt).spec;
            let analysis = handlers::answer_cap(&serde_json::to_string(&spec).unwrap());
            let theme = handlers::answer_cap(&generator::stylesheet_parts(&spec).0);
            let entity = handlers::answer_cap(&generator::entity_module(&spec, &spec.entities[0].name).content);
            let logo = handlers::answer_cap(&generator::logo_svg(&spec).content);
            eprintln!("{prompt:.40}: analysis {analysis}, theme {theme}, entity {entity}, logo {logo}");
            for cap in [analysis, theme, entity, logo] {
                assert!((512..=8192).contains(&cap), "{cap}");
            }
        }
    }

    #[test]
    fn a_build_plan_is_a_valid_dag_with_one_task_per_entity() {
        for prompt in generator::SAMPLE_PROMPTS {
            let spec = generator::analyze(prompt).spec;
            let mut tasks = first_tasks();
            tasks.extend(handlers::generation_tasks(&spec));
            let dag = domain::dag::validate(tasks).unwrap_or_else(|e| panic!("{prompt}: {e}"));
            let entities = dag.tasks().iter().filter(|t| t.kind == "build_entity").count();
            assert_eq!(entities, spec.entities.len(), "{prompt}");
            assert_eq!(dag.critical_path().last(), Some(&"package"));
        }
    }
}
