//! The task handlers of a build, one per phase task. Each reads what it needs from the
//! build (the prompt, the spec, earlier files), asks a model through `model::generate` when
//! the output is something a model should write, validates it, stores its files and
//! advances the build's progress in one transaction.
//!
//! Each prompt carries what its task needs and no more, so it fits a small local model's
//! context: an entity module gets its entity and the names of the others (not the whole
//! spec), the designer gets the theme block of the stylesheet (not the 30 KB of component
//! rules, which only use the theme's custom properties), the reviewer gets the spec as
//! compact JSON. `model::generate` then fits each request to the model's context.
//!
//! A revision's `revise` replaces `analysis`; its `plan` marks the generation tasks whose
//! inputs (`task_inputs`) are the same as under the parent's spec, and `reuse_or` runs
//! those by copying the parent's files instead of their handler.

use std::time::Duration;

use domain::{
    agent::Capability,
    dag::TaskSpec,
    ids::BuildId,
    spec::{Analysis, AppSpec},
    status::BuildPhase,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    model::{self, Ask, Source},
    package, prompts, RetryOnError,
};
use generator::GeneratedFile;

use crate::{
    scheduler::{Handlers, TaskContext, TaskError},
    store::{
        self,
        artifacts::{ArtifactKind, NewArtifact},
        workflows::TaskLimits,
    },
};

/// Limits of every build task.
pub(crate) const BUILD_TASK_LIMITS: TaskLimits = TaskLimits {
    max_attempts: 3,
    timeout: Duration::from_secs(600),
};

/// Task kinds whose work counts as the generation phase.
const GENERATION_KINDS: &[&str] = &["build_design", "build_assets", "build_shell", "build_entity"];

/// Registers every build handler.
pub(crate) fn register(h: &mut Handlers) {
    h.insert("build_analysis", |ctx: TaskContext| async move { analysis(ctx).await });
    h.insert("build_revise", |ctx: TaskContext| async move { revise(ctx).await });
    h.insert("build_plan", |ctx: TaskContext| async move { plan(ctx).await });
    h.insert(
        "build_design",
        |ctx: TaskContext| async move { reuse_or(ctx, design).await },
    );
    h.insert(
        "build_assets",
        |ctx: TaskContext| async move { reuse_or(ctx, assets).await },
    );
    h.insert(
        "build_shell",
        |ctx: TaskContext| async move { reuse_or(ctx, shell).await },
    );
    h.insert(
        "build_entity",
        |ctx: TaskContext| async move { reuse_or(ctx, entity).await },
    );
    h.insert("build_check", |ctx: TaskContext| async move { check(ctx).await });
    h.insert("build_assemble", |ctx: TaskContext| async move { assemble(ctx).await });
    h.insert("build_verify", |ctx: TaskContext| async move {
        super::verify::verify(ctx).await
    });
    h.insert(
        "build_package",
        |ctx: TaskContext| async move { package_app(ctx).await },
    );
}

pub(super) fn build_of(ctx: &TaskContext) -> Result<BuildId, TaskError> {
    ctx.task
        .build_id
        .ok_or_else(|| TaskError::Fatal("a build task must belong to a build".into()))
}

/// Moves the build to `phase` / `progress`.
pub(super) async fn advance(
    ctx: &TaskContext,
    build: BuildId,
    phase: BuildPhase,
    progress: f32,
) -> Result<(), TaskError> {
    let mut tx = ctx.db().begin().await.retry()?;
    store::builds::advance(&mut tx, build, phase, progress, ctx.now())
        .await
        .retry()?;
    tx.commit().await.retry()
}

/// Stores `files` (of the app) and moves the build on, in one transaction.
pub(super) async fn store_files(
    ctx: &TaskContext,
    build: BuildId,
    files: &[GeneratedFile],
    phase: BuildPhase,
    progress: f32,
) -> Result<(), TaskError> {
    let new: Vec<NewArtifact<'_>> = files
        .iter()
        .map(|f| NewArtifact {
            path: &f.path,
            content_type: &f.content_type,
            content: f.content.as_bytes(),
        })
        .collect();
    let mut tx = ctx.db().begin().await.retry()?;
    store::artifacts::put(
        &mut tx,
        build,
        ctx.task.owner_id,
        Some(ctx.task.id),
        ArtifactKind::File,
        &new,
    )
    .await
    .retry()?;
    store::builds::advance(&mut tx, build, phase, progress, ctx.now())
        .await
        .retry()?;
    tx.commit().await.retry()
}

/// Stores a generation task's files and moves the build's progress on with them.
async fn store_generated(ctx: &TaskContext, build: BuildId, files: &[GeneratedFile]) -> Result<(), TaskError> {
    let progress = generation_progress(ctx).await?;
    store_files(ctx, build, files, BuildPhase::Generation, progress).await
}

/// Progress after this generation task: 20% + 60% of the generation tasks done.
async fn generation_progress(ctx: &TaskContext) -> Result<f32, TaskError> {
    let (done, total) = store::tasks::kinds_done(ctx.db(), ctx.task.workflow_id, ctx.task.id, GENERATION_KINDS)
        .await
        .retry()?;
    Ok(20.0 + 60.0 * done as f32 / total.max(1) as f32)
}

/// A model's `text` as the file `like` (same path and type), if it passes the file checks.
fn accept_as(like: &GeneratedFile, text: &str) -> Result<GeneratedFile, Vec<String>> {
    let file = GeneratedFile {
        path: like.path.clone(),
        content_type: like.content_type.clone(),
        content: text.to_owned(),
    };
    generator::check_file(&file).map(|()| file)
}

/// The answer cap for a task whose offline answer is `expected`: twice its estimated
/// tokens (room for a model that writes more, or pretty JSON), at least 512. Small local
/// models often ramble until they reach `max_tokens`; a cap the size of a real answer
/// keeps each call to the time a real answer takes.
pub(crate) fn answer_cap(expected: &str) -> u32 {
    crate::llm::context::estimate_tokens(expected)
        .saturating_mul(2)
        .max(512)
}

/// The spec as compact JSON (a third of the pretty form's tokens).
fn spec_json(spec: &AppSpec) -> String {
    serde_json::to_string(spec).unwrap_or_default()
}

/// The custom properties (`--name`) a CSS text defines.
fn custom_properties(css: &str) -> std::collections::BTreeSet<&str> {
    css.match_indices("--")
        .filter_map(|(i, _)| {
            let rest = &css[i..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))?;
            rest[end..].trim_start().starts_with(':').then(|| &rest[..end])
        })
        .filter(|name| name.len() > 2)
        .collect()
}

/// A model's theme block: it must define every custom property of the base theme block,
/// and with the component rules appended it must pass the file checks.
fn accept_theme(base_theme: &str, components: &str, text: &str) -> Result<GeneratedFile, Vec<String>> {
    let have = custom_properties(text);
    let missing: Vec<String> = custom_properties(base_theme)
        .into_iter()
        .filter(|p| !have.contains(p))
        .map(|p| format!("the custom property {p} is not defined"))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let file = generator::stylesheet_from(text, components);
    generator::check_file(&file).map(|()| file)
}

/// Parses and validates an app spec from a model.
fn accept_spec(text: &str) -> Result<AppSpec, Vec<String>> {
    let spec: AppSpec =
        serde_json::from_str(text).map_err(|e| vec![format!("the answer is not a valid app spec: {e}")])?;
    let problems = spec.validate();
    if problems.is_empty() {
        Ok(spec)
    } else {
        Err(problems)
    }
}

#[derive(Deserialize)]
struct Reviewed {
    spec: AppSpec,
    #[serde(default)]
    reflection: Vec<String>,
    confidence: f32,
}

fn accept_review(text: &str) -> Result<Analysis, Vec<String>> {
    let r: Reviewed = serde_json::from_str(text).map_err(|e| vec![format!("the answer is not a valid review: {e}")])?;
    let mut problems = r.spec.validate();
    if !(0.0..=1.0).contains(&r.confidence) {
        problems.push(format!("confidence must be between 0 and 1, not {}", r.confidence));
    }
    if problems.is_empty() {
        Ok(Analysis {
            spec: r.spec,
            reflection: r.reflection,
            confidence: r.confidence,
        })
    } else {
        Err(problems)
    }
}

/// Analysis (Starri): prompt -> spec, then the reflection pass.
async fn analysis(ctx: TaskContext) -> Result<Value, TaskError> {
    let build = build_of(&ctx)?;
    advance(&ctx, build, BuildPhase::Analysis, 2.0).await?;
    let prompt = store::builds::usage(ctx.db(), build).await.retry()?.prompt;
    let offline_spec = generator::analyze(&prompt).spec;

    let (spec, spec_source) = model::generate(
        &ctx,
        build,
        Ask {
            purpose: "analysis",
            system: prompts::ANALYSIS,
            user: format!("The request:\n{prompt}"),
            json: true,
            trim: true,
            // A model's spec may well be richer than the offline one.
            max_tokens: answer_cap(&spec_json(&offline_spec)).max(1536),
            context: json!({ "prompt": prompt }),
        },
        accept_spec,
        || offline_spec.clone(),
    )
    .await?;
    advance(&ctx, build, BuildPhase::Analysis, 10.0).await?;

    let (mut analysis, review_source) = model::generate(
        &ctx,
        build,
        Ask {
            purpose: "reflection",
            system: prompts::REFLECTION,
            user: format!("The request:\n{prompt}\n\nThe spec:\n{}", spec_json(&spec)),
            json: true,
            trim: false,
            // The spec again, and a few notes.
            max_tokens: (answer_cap(&spec_json(&spec)) + 256).max(1536),
            context: json!({ "prompt": prompt, "spec": spec }),
        },
        accept_review,
        || generator::reflect(&prompt, spec.clone()),
    )
    .await?;
    // The deterministic reviewer always has the last word on what the prompt plainly asks
    // for (a model's review may drop a feature the prompt names).
    if !matches!(review_source, Source::Fallback { .. }) {
        let referee = generator::reflect(&prompt, analysis.spec.clone());
        if referee.spec != analysis.spec {
            analysis.reflection.extend(referee.reflection);
            analysis.spec = referee.spec;
        }
    }
    let mut tx = ctx.db().begin().await.retry()?;
    store::builds::save_analysis(&mut tx, build, &analysis).await.retry()?;
    store::builds::advance(&mut tx, build, BuildPhase::Planning, 15.0, ctx.now())
        .await
        .retry()?;
    tx.commit().await.retry()?;
    Ok(json!({
        "name": analysis.spec.name,
        "entities": analysis.spec.entities.iter().map(|e| &e.name).collect::<Vec<_>>(),
        "pages": analysis.spec.pages.len(),
        "features": analysis.spec.features,
        "confidence": analysis.confidence,
        "spec_source": spec_source.to_json(),
        "review_source": review_source.to_json(),
    }))
}

/// Revision (Starri): the parent build's spec changed as this build's prompt asks. Offline
/// that is `generator::revise`; a model's revised spec is refereed by it (what the request
/// plainly asks for is added if the model left it out). The notes are what changed.
async fn revise(ctx: TaskContext) -> Result<Value, TaskError> {
    let build = build_of(&ctx)?;
    advance(&ctx, build, BuildPhase::Analysis, 2.0).await?;
    let change = store::builds::usage(ctx.db(), build).await.retry()?.prompt;
    let parent = store::builds::parent_of(ctx.db(), build)
        .await
        .retry()?
        .ok_or_else(|| TaskError::Fatal("a revision must have a parent build".into()))?;
    let old = store::builds::spec(ctx.db(), parent).await.retry()?;
    let offline = generator::revise(&change, old.clone());
    let (spec, source) = model::generate(
        &ctx,
        build,
        Ask {
            purpose: "revision",
            system: prompts::REVISION,
            user: format!("The app spec:\n{}\n\nThe change:\n{change}", spec_json(&old)),
            json: true,
            trim: true,
            max_tokens: answer_cap(&spec_json(&offline.spec)).max(1536),
            context: json!({ "change": change, "spec": old }),
        },
        accept_spec,
        || offline.spec.clone(),
    )
    .await?;
    let revised = match source {
        Source::Fallback { .. } => offline,
        Source::Model { .. } => {
            let refereed = generator::revise(&change, spec);
            let mut notes = generator::describe_changes(&old, &refereed.spec);
            if notes.is_empty() {
                notes = refereed.reflection;
            }
            Analysis {
                confidence: refereed.confidence.max(0.5),
                spec: refereed.spec,
                reflection: notes,
            }
        }
    };
    let changes = generator::describe_changes(&old, &revised.spec);
    let mut tx = ctx.db().begin().await.retry()?;
    store::builds::save_analysis(&mut tx, build, &revised).await.retry()?;
    store::builds::save_changes(&mut tx, build, &changes).await.retry()?;
    store::builds::advance(&mut tx, build, BuildPhase::Planning, 15.0, ctx.now())
        .await
        .retry()?;
    tx.commit().await.retry()?;
    Ok(json!({
        "name": revised.spec.name,
        "parent": parent,
        "changes": changes,
        "confidence": revised.confidence,
        "spec_source": source.to_json(),
    }))
}

fn task(id: &str, kind: &str, description: String, caps: &[Capability], deps: &[&str], input: Value) -> TaskSpec {
    TaskSpec {
        id: id.into(),
        description,
        kind: kind.into(),
        dependencies: deps.iter().map(|d| d.to_string()).collect(),
        required_capabilities: caps.to_vec(),
        estimated_duration: 20,
        input,
    }
}

/// The key of the task that writes `entity`'s module (`entity-<name>`, kebab case).
pub(super) fn entity_task_key(entity: &str) -> String {
    format!("entity-{}", entity.replace('_', "-"))
}

/// The generation DAG for `spec`: design, assets, shell and one task per entity after the
/// plan; then check, assemble, verify, package.
pub(crate) fn generation_tasks(spec: &AppSpec) -> Vec<TaskSpec> {
    let mut tasks = vec![
        task(
            "design",
            "build_design",
            format!("Design the theme and layout of {}", spec.name),
            &[Capability::UiDesign],
            &["plan"],
            Value::Null,
        ),
        task(
            "assets",
            "build_assets",
            format!("Draw the logo and icons of {}", spec.name),
            &[Capability::ImageGeneration],
            &["plan"],
            Value::Null,
        ),
        task(
            "shell",
            "build_shell",
            "Write the app shell: storage, routing, pages".into(),
            &[Capability::CodeGeneration],
            &["plan"],
            Value::Null,
        ),
    ];
    let mut made = vec!["design".to_owned(), "assets".to_owned(), "shell".to_owned()];
    for e in &spec.entities {
        let id = entity_task_key(&e.name);
        tasks.push(task(
            &id,
            "build_entity",
            format!("Write the {} module: fields, cards, validation", e.plural),
            &[Capability::CodeGeneration],
            &["plan"],
            json!({ "entity": e.name }),
        ));
        made.push(id);
    }
    let made: Vec<&str> = made.iter().map(String::as_str).collect();
    tasks.push(task(
        "check",
        "build_check",
        "Check every generated file with real parsers".into(),
        &[Capability::Testing],
        &made,
        Value::Null,
    ));
    tasks.push(task(
        "assemble",
        "build_assemble",
        "Assemble index.html from the checked files".into(),
        &[Capability::CodeGeneration],
        &["check"],
        Value::Null,
    ));
    tasks.push(task(
        "verify",
        "build_verify",
        "Open the app in a real browser: every page, the main flow of each list, a phone-width layout; repair what breaks".into(),
        &[Capability::Testing],
        &["assemble"],
        Value::Null,
    ));
    tasks.push(task(
        "package",
        "build_package",
        "Package the app as a zip, with the browser check's screenshots".into(),
        &[Capability::CodeGeneration],
        &["verify"],
        Value::Null,
    ));
    tasks
}

/// Planning (Starri): the spec becomes the rest of the build's DAG.
async fn plan(ctx: TaskContext) -> Result<Value, TaskError> {
    let build = build_of(&ctx)?;
    advance(&ctx, build, BuildPhase::Planning, 17.0).await?;
    let spec = store::builds::spec(ctx.db(), build).await.retry()?;
    let mut tasks = generation_tasks(&spec);
    let parent = store::builds::parent_of(ctx.db(), build).await.retry()?;
    let reused = match parent {
        Some(parent) => {
            let old = store::builds::spec(ctx.db(), parent).await.retry()?;
            carry_over(&old, &spec, parent, &mut tasks)
        }
        None => Vec::new(),
    };
    let keys: Vec<String> = tasks.iter().map(|t| t.id.clone()).collect();
    let rerun: Vec<String> = keys.iter().filter(|k| !reused.contains(k)).cloned().collect();
    let mut tx = ctx.db().begin().await.retry()?;
    // A retried plan finds its tasks already there: nothing to add.
    let planned = store::tasks::find_key(&mut *tx, ctx.task.workflow_id, "package")
        .await
        .retry()?
        .is_some();
    if !planned {
        store::workflows::extend(&mut tx, ctx.task.workflow_id, tasks, BUILD_TASK_LIMITS, ctx.now())
            .await
            .map_err(|e| match e {
                crate::Error::BadRequest(m) | crate::Error::Conflict(m) => TaskError::Fatal(m),
                e => TaskError::Retryable(e.to_string()),
            })?;
    }
    if parent.is_some() {
        store::builds::save_reuse(&mut tx, build, &reused, &rerun)
            .await
            .retry()?;
    }
    store::builds::advance(&mut tx, build, BuildPhase::Generation, 20.0, ctx.now())
        .await
        .retry()?;
    tx.commit().await.retry()?;
    Ok(json!({ "tasks": keys, "reused": reused, "rerun": rerun }))
}

/// What a generation task's output depends on under `spec`: the spec parts its model
/// prompt quotes and its offline output (which follows everything else it reads). `None`
/// for tasks that always run (check, assemble, verify, package).
fn task_inputs(spec: &AppSpec, task: &TaskSpec) -> Option<Value> {
    let t = &spec.theme;
    Some(match task.kind.as_str() {
        "build_design" => json!({
            "name": spec.name, "summary": spec.summary, "theme": t,
            "css": generator::stylesheet(spec).content,
        }),
        // The art holds no colours (the stylesheet colours it): a new colour redraws nothing.
        "build_assets" => json!({
            "name": spec.name, "summary": spec.summary,
            "logo": generator::logo_svg(spec), "icons": generator::icons(spec),
        }),
        "build_shell" => json!({ "files": generator::app_shell(spec) }),
        "build_entity" => {
            let name = task.input.get("entity").and_then(Value::as_str).unwrap_or_default();
            let others: Vec<(&str, &str)> = spec
                .entities
                .iter()
                .filter(|e| e.name != name)
                .map(|e| (e.name.as_str(), e.plural.as_str()))
                .collect();
            json!({
                "name": spec.name, "summary": spec.summary, "entity": spec.entity(name), "others": others,
                "module": spec.entity(name).map(|_| generator::entity_module(spec, name)),
            })
        }
        _ => return None,
    })
}

/// Marks the generation tasks whose inputs are the same under the parent's spec (`old`)
/// as carried over from `parent` (input `reuse`), and returns their keys.
fn carry_over(old: &AppSpec, new: &AppSpec, parent: BuildId, tasks: &mut [TaskSpec]) -> Vec<String> {
    let mut reused = Vec::new();
    for task in tasks.iter_mut() {
        let Some(inputs) = task_inputs(new, task) else { continue };
        if task_inputs(old, task).as_ref() != Some(&inputs) {
            continue;
        }
        match &mut task.input {
            Value::Object(m) => {
                m.insert("reuse".into(), json!(parent));
            }
            other => *other = json!({ "reuse": parent }),
        }
        reused.push(task.id.clone());
    }
    reused
}

/// Runs a generation task, unless its input says to carry it over from a parent build:
/// then it copies that build's files of the same task and completes with `reused`. When
/// the parent has no such files (any more), the task runs after all.
async fn reuse_or<F, Fut>(ctx: TaskContext, run: F) -> Result<Value, TaskError>
where
    F: FnOnce(TaskContext) -> Fut,
    Fut: std::future::Future<Output = Result<Value, TaskError>>,
{
    let from = ctx
        .task
        .input
        .get("reuse")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<uuid::Uuid>().ok())
        .map(BuildId);
    let Some(from) = from else { return run(ctx).await };
    let build = build_of(&ctx)?;
    let progress = generation_progress(&ctx).await?;
    let mut tx = ctx.db().begin().await.retry()?;
    let files = store::artifacts::copy_from_task(&mut tx, from, &ctx.task.key, build, ctx.task.owner_id, ctx.task.id)
        .await
        .retry()?;
    if files.is_empty() {
        drop(tx);
        return run(ctx).await;
    }
    store::builds::advance(&mut tx, build, BuildPhase::Generation, progress, ctx.now())
        .await
        .retry()?;
    tx.commit().await.retry()?;
    Ok(json!({ "reused": true, "from": from, "files": files }))
}

async fn design(ctx: TaskContext) -> Result<Value, TaskError> {
    let build = build_of(&ctx)?;
    let spec = store::builds::spec(ctx.db(), build).await.retry()?;
    let (base_theme, components) = generator::stylesheet_parts(&spec);
    let base = generator::stylesheet_from(&base_theme, components);
    let (css, source) = model::generate(
        &ctx,
        build,
        Ask {
            purpose: "stylesheet",
            system: prompts::STYLESHEET,
            user: format!(
                "The app: {} — {}\nTheme: primary {}, accent {}, mode {}, radius {}, font {}\n\nThe theme block:\n{}",
                spec.name,
                spec.summary,
                spec.theme.primary,
                spec.theme.accent,
                spec.theme.mode.as_str(),
                spec.theme.radius,
                spec.theme.font,
                &base_theme
            ),
            json: false,
            trim: false,
            max_tokens: answer_cap(&base_theme),
            context: json!({ "spec": spec }),
        },
        |text| accept_theme(&base_theme, components, text),
        || base.clone(),
    )
    .await?;
    store_generated(&ctx, build, std::slice::from_ref(&css)).await?;
    Ok(json!({ "files": [css.path], "bytes": css.content.len(), "source": source.to_json() }))
}

#[derive(Deserialize)]
struct IconSet {
    icons: std::collections::BTreeMap<String, String>,
}

async fn assets(ctx: TaskContext) -> Result<Value, TaskError> {
    let build = build_of(&ctx)?;
    let spec = store::builds::spec(ctx.db(), build).await.retry()?;
    let base_logo = generator::logo_svg(&spec);
    let (logo, logo_source) = model::generate(
        &ctx,
        build,
        Ask {
            purpose: "logo",
            system: prompts::LOGO,
            user: format!("The app: {} — {}", spec.name, spec.summary),
            json: false,
            trim: false,
            max_tokens: answer_cap(&base_logo.content),
            context: json!({ "spec": spec }),
        },
        |text| accept_as(&base_logo, text),
        || base_logo.clone(),
    )
    .await?;

    let base_icons = generator::icons(&spec);
    let wanted: Vec<String> = base_icons.iter().map(|f| f.path.clone()).collect();
    let (icons, icons_source) = model::generate(
        &ctx,
        build,
        Ask {
            purpose: "icons",
            system: prompts::ICONS,
            user: format!(
                "The app: {} — {}\nPaths:\n{}",
                spec.name,
                spec.summary,
                wanted.join("\n")
            ),
            json: true,
            trim: false,
            max_tokens: answer_cap(&base_icons.iter().map(|f| f.content.as_str()).collect::<String>()),
            context: json!({ "spec": spec }),
        },
        |text| {
            let set: IconSet = serde_json::from_str(text)
                .map_err(|e| vec![format!("the answer is not {{\"icons\": {{path: svg}}}}: {e}")])?;
            let mut problems = Vec::new();
            for p in &wanted {
                if !set.icons.contains_key(p) {
                    problems.push(format!("the icon {p} is missing"));
                }
            }
            for p in set.icons.keys().filter(|p| !wanted.contains(p)) {
                problems.push(format!("{p} was not asked for"));
            }
            let files: Vec<GeneratedFile> = set
                .icons
                .into_iter()
                .filter(|(p, _)| wanted.contains(p))
                .map(|(path, content)| GeneratedFile {
                    content_type: generator::content_type_for(&path).into(),
                    path,
                    content,
                })
                .collect();
            for f in &files {
                if let Err(mut p) = generator::check_file(f) {
                    problems.append(&mut p);
                }
            }
            if problems.is_empty() {
                Ok(files)
            } else {
                Err(problems)
            }
        },
        || base_icons.clone(),
    )
    .await?;
    let mut files = vec![logo];
    files.extend(icons);
    store_generated(&ctx, build, &files).await?;
    Ok(json!({
        "files": files.iter().map(|f| &f.path).collect::<Vec<_>>(),
        "logo_source": logo_source.to_json(),
        "icons_source": icons_source.to_json(),
    }))
}

/// The shell (storage, router, pages) is the contract every entity module plugs into; it
/// is the offline template for every provider, so a model can never break the frame.
async fn shell(ctx: TaskContext) -> Result<Value, TaskError> {
    let build = build_of(&ctx)?;
    let spec = store::builds::spec(ctx.db(), build).await.retry()?;
    let files = generator::app_shell(&spec);
    for f in &files {
        generator::check_file(f).map_err(|p| TaskError::Fatal(p.join("; ")))?;
    }
    store_generated(&ctx, build, &files).await?;
    Ok(json!({ "files": files.iter().map(|f| &f.path).collect::<Vec<_>>() }))
}

/// What an entity module's model is asked, and the offline module (the answer's size, and
/// what a failed answer falls back to).
pub(super) fn entity_ask(spec: &AppSpec, name: &str) -> Result<(Ask, GeneratedFile), TaskError> {
    let Some(entity) = spec.entity(name).cloned() else {
        return Err(TaskError::Fatal(format!("the spec has no entity {name:?}")));
    };
    let offline = generator::entity_module(spec, name);
    let path = &offline.path;
    let others: Vec<String> = spec
        .entities
        .iter()
        .filter(|e| e.name != entity.name)
        .map(|e| format!("{} ({})", e.name, e.plural))
        .collect();
    let ask = Ask {
        purpose: "entity_module",
        system: prompts::ENTITY_MODULE,
        user: format!(
            "The app: {} — {}\nThe entity:\n{}\nOther entities (for reference fields): {}\n\nWrite {path}, the module of the entity {:?} ({}).",
            spec.name,
            spec.summary,
            serde_json::to_string(&entity).unwrap_or_default(),
            if others.is_empty() { "none".to_owned() } else { others.join(", ") },
            entity.name,
            entity.plural
        ),
        json: false,
        trim: false,
        max_tokens: answer_cap(&offline.content),
        context: json!({ "spec": spec, "entity": name }),
    };
    Ok((ask, offline))
}

/// A model's entity module, if it passes the file checks and the module contract.
pub(super) fn accept_entity(
    spec: &AppSpec,
    name: &str,
    offline: &GeneratedFile,
    text: &str,
) -> Result<GeneratedFile, Vec<String>> {
    let file = accept_as(offline, text)?;
    generator::check_entity_module(spec, name, &file)?;
    Ok(file)
}

async fn entity(ctx: TaskContext) -> Result<Value, TaskError> {
    let build = build_of(&ctx)?;
    let spec = store::builds::spec(ctx.db(), build).await.retry()?;
    let name = ctx
        .task
        .input
        .get("entity")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (ask, offline) = entity_ask(&spec, &name)?;
    let (module, source) = model::generate(
        &ctx,
        build,
        ask,
        |text| accept_entity(&spec, &name, &offline, text),
        || offline.clone(),
    )
    .await?;
    store_generated(&ctx, build, std::slice::from_ref(&module)).await?;
    Ok(json!({ "files": [module.path], "bytes": module.content.len(), "source": source.to_json() }))
}

pub(super) async fn files_of(ctx: &TaskContext, build: BuildId) -> Result<Vec<GeneratedFile>, TaskError> {
    let stored = store::artifacts::all(ctx.db(), build, ArtifactKind::File)
        .await
        .retry()?;
    Ok(stored
        .into_iter()
        .map(|s| GeneratedFile {
            path: s.path,
            content_type: s.content_type,
            content: String::from_utf8_lossy(&s.content).into_owned(),
        })
        .collect())
}

/// The checker (Jules, testing): every file parses, and every file the app needs is there.
async fn check(ctx: TaskContext) -> Result<Value, TaskError> {
    let build = build_of(&ctx)?;
    advance(&ctx, build, BuildPhase::Assembly, 82.0).await?;
    let spec = store::builds::spec(ctx.db(), build).await.retry()?;
    let files = files_of(&ctx, build).await?;
    let mut problems = Vec::new();
    let expected = generator::generate_all(&spec);
    // What assembly makes next is not there yet.
    for want in expected
        .iter()
        .filter(|f| f.path != "index.html" && f.path != generator::ART_PATH)
    {
        if !files.iter().any(|f| f.path == want.path) {
            problems.push(format!("{} is missing", want.path));
        }
    }
    for f in &files {
        if let Err(mut p) = generator::check_file(f) {
            problems.append(&mut p);
        }
    }
    for e in &spec.entities {
        let path = generator::entity_module_path(&e.name);
        if let Some(f) = files.iter().find(|f| f.path == path) {
            if let Err(mut p) = generator::check_entity_module(&spec, &e.name, f) {
                problems.append(&mut p);
            }
        }
    }
    if !problems.is_empty() {
        return Err(TaskError::Fatal(format!(
            "the generated files did not pass the checks: {}",
            problems.join("; ")
        )));
    }
    Ok(json!({ "checked": files.len(), "bytes": files.iter().map(|f| f.content.len()).sum::<usize>() }))
}

async fn assemble(ctx: TaskContext) -> Result<Value, TaskError> {
    let build = build_of(&ctx)?;
    let spec = store::builds::spec(ctx.db(), build).await.retry()?;
    let files = files_of(&ctx, build).await?;
    let mut files: Vec<GeneratedFile> = files
        .into_iter()
        .filter(|f| f.path != "index.html" && f.path != generator::ART_PATH)
        .collect();
    // The art inline (coloured by the stylesheet), then the page that links everything.
    let mut made = Vec::new();
    if let Some(art) = generator::art_js(&files) {
        generator::check_file(&art).map_err(|p| TaskError::Fatal(p.join("; ")))?;
        files.push(art.clone());
        made.push(art);
    }
    let index = generator::index_html(&spec, &files);
    generator::check_file(&index).map_err(|p| TaskError::Fatal(p.join("; ")))?;
    made.push(index);
    store_files(&ctx, build, &made, BuildPhase::Assembly, 88.0).await?;
    Ok(json!({ "files": made.iter().map(|f| &f.path).collect::<Vec<_>>(), "links": files.len() }))
}

async fn package_app(ctx: TaskContext) -> Result<Value, TaskError> {
    let build = build_of(&ctx)?;
    advance(&ctx, build, BuildPhase::Packaging, 92.0).await?;
    let spec = store::builds::spec(ctx.db(), build).await.retry()?;
    let mut stored = store::artifacts::all(ctx.db(), build, ArtifactKind::File)
        .await
        .retry()?;
    // The browser check's screenshots go in too, under screenshots/.
    stored.extend(
        store::artifacts::all(ctx.db(), build, ArtifactKind::Screenshot)
            .await
            .retry()?,
    );
    let folder = package::slug(&spec.name);
    let zip = package::zip(&folder, &stored).map_err(|e| TaskError::Fatal(format!("cannot make the zip: {e}")))?;
    let name = format!("{folder}.zip");
    let mut tx = ctx.db().begin().await.retry()?;
    store::artifacts::put(
        &mut tx,
        build,
        ctx.task.owner_id,
        Some(ctx.task.id),
        ArtifactKind::Package,
        &[NewArtifact {
            path: &name,
            content_type: "application/zip",
            content: &zip,
        }],
    )
    .await
    .retry()?;
    store::builds::advance(&mut tx, build, BuildPhase::Packaging, 97.0, ctx.now())
        .await
        .retry()?;
    tx.commit().await.retry()?;
    Ok(json!({ "package": name, "files": stored.len(), "bytes": zip.len() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_theme_block_must_define_every_custom_property_and_parse_with_the_components() {
        let spec = generator::analyze("a habit tracker with streaks and dark mode").spec;
        let base = generator::stylesheet(&spec);
        let (theme, components) = generator::stylesheet_parts(&spec);
        assert!(custom_properties(&theme).contains("--primary"));
        assert!(!custom_properties("a { color: var(--primary); }").contains("--primary"));
        // The base theme itself is accepted, and the result is the base stylesheet's shape.
        let css = accept_theme(&theme, components, &theme).unwrap();
        assert!(css.content.starts_with(&theme) && css.content.ends_with(components));
        assert_eq!(css, base);
        // A theme that drops a property is sent back with the names.
        let without = theme.replace("--accent:", "--accent-x:");
        let problems = accept_theme(&theme, components, &without).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p == "the custom property --accent is not defined"),
            "{problems:?}"
        );
    }
}
