//! The `verify` task (Tester): the assembled app checked in a real browser, round by round.
//!
//! Round 1 opens the app (`crate::verify::Verifier::check`). Every problem that points at
//! an entity module (an error thrown from `js/entities/<name>.js`, or a list page whose
//! flow fails) sends that module back to be made again, with the browser's report:
//! - a module a model wrote is asked for once more (the entity prompt, the module and
//!   the report: one repair round for model output), then
//! - if it fails in the browser again, the offline generator's module replaces it.
//!
//! The new module is stored as the entity task's file, and the next round checks the app
//! again. A problem no module can be blamed for (the shell, a missing file), or one left
//! in the offline module, ends the check as `failed`: the build completes, and its page
//! and report say what the browser saw. No browser (or one that fails, or runs out of
//! time) makes it `skipped` with a `build.verify_skipped` event; the build goes on.
//!
//! Each round's screenshots replace the last round's (`screenshots/<page>.png`, kind
//! `screenshot`); `package` puts them in the zip.

use std::collections::{BTreeMap, BTreeSet};

use domain::{
    api::{VerifyProblem, VerifyRepair, VerifyReport, VerifyRound},
    event::EventKind,
    ids::BuildId,
    status::BuildPhase,
};
use serde_json::{json, Value};

use super::{
    append_task_event as event,
    handlers::{accept_entity, advance, build_of, entity_ask, entity_task_key, files_of},
    model::{self, Source},
    RetryOnError,
};
use crate::{
    scheduler::{TaskContext, TaskError},
    store::{
        self,
        artifacts::{ArtifactKind, NewArtifact},
    },
    verify::Skipped,
};

/// The first check, one after the model's repair, one after the offline module.
const MAX_ROUNDS: u32 = 3;

/// Written into the records the check creates (and searched for).
const TOKEN: &str = "Checkrun";

/// The entity a module path belongs to (`js/entities/<name>.js`), if the spec has it.
fn entity_of<'a>(spec: &'a domain::spec::AppSpec, module: &str) -> Option<&'a str> {
    spec.entities
        .iter()
        .find(|e| generator::entity_module_path(&e.name) == module)
        .map(|e| e.name.as_str())
}

async fn save(ctx: &TaskContext, build: BuildId, report: &VerifyReport) -> Result<(), TaskError> {
    let mut conn = ctx.db().acquire().await.retry()?;
    store::builds::save_verify(&mut conn, build, report).await.retry()
}

/// The browser's report on one module, for the repair prompt and the event.
fn report_on(problems: &[VerifyProblem], module: &str) -> Vec<String> {
    problems
        .iter()
        .filter(|p| p.module.as_deref() == Some(module))
        .map(|p| format!("[{}] {}", p.kind.replace('_', " "), p.message))
        .take(12)
        .collect()
}

pub(super) async fn verify(ctx: TaskContext) -> Result<Value, TaskError> {
    let build = build_of(&ctx)?;
    advance(&ctx, build, BuildPhase::Verification, 89.0).await?;
    let spec = store::builds::spec(ctx.db(), build).await.retry()?;
    let mut report = VerifyReport {
        outcome: "running".into(),
        ..VerifyReport::default()
    };
    save(&ctx, build, &report).await?;
    // Modules a model was asked to repair already: next time the offline one replaces them.
    let mut asked: BTreeSet<String> = BTreeSet::new();

    for round in 1..=MAX_ROUNDS {
        let files = files_of(&ctx, build).await?;
        let checked = match ctx.verifier().check(&files, TOKEN).await {
            Ok(c) => c,
            Err(Skipped(reason)) => {
                let reason = if round == 1 {
                    reason
                } else {
                    format!("{reason} (after round {}; its repairs are kept)", round - 1)
                };
                tracing::warn!(%build, %reason, "the browser check is skipped");
                report.outcome = "skipped".into();
                report.reason = Some(reason.clone());
                save(&ctx, build, &report).await?;
                event(
                    &ctx,
                    build,
                    EventKind::BuildVerifySkipped,
                    json!({ "reason": reason, "round": round }),
                )
                .await?;
                return Ok(json!({ "outcome": "skipped", "reason": reason, "rounds": report.rounds.len() }));
            }
        };

        // This round's screenshots replace the last round's.
        let shots: Vec<NewArtifact<'_>> = checked
            .screenshots
            .iter()
            .map(|s| NewArtifact {
                path: &s.path,
                content_type: "image/png",
                content: &s.png,
            })
            .collect();
        let mut tx = ctx.db().begin().await.retry()?;
        store::artifacts::delete_kind(&mut tx, build, ArtifactKind::Screenshot)
            .await
            .retry()?;
        store::artifacts::put(
            &mut tx,
            build,
            ctx.task.owner_id,
            Some(ctx.task.id),
            ArtifactKind::Screenshot,
            &shots,
        )
        .await
        .retry()?;
        tx.commit().await.retry()?;
        report.screenshots = checked.screenshots.iter().map(|s| s.path.clone()).collect();

        let passed = checked.problems.is_empty();
        let mut entry = VerifyRound {
            round,
            passed,
            pages: checked.pages.clone(),
            problems: checked.problems.clone(),
            repairs: Vec::new(),
            duration_ms: u64::try_from(checked.duration.as_millis()).unwrap_or(u64::MAX),
        };

        if !passed && round < MAX_ROUNDS {
            // The modules the browser blames, with what it saw.
            let blamed: BTreeMap<String, &str> = checked
                .problems
                .iter()
                .filter_map(|p| p.module.as_deref())
                .filter_map(|m| entity_of(&spec, m).map(|e| (m.to_owned(), e)))
                .collect();
            for (module, entity) in blamed {
                let (mut ask, offline) = entity_ask(&spec, entity)?;
                let current = files.iter().find(|f| f.path == module);
                if current.is_some_and(|f| f.content == offline.content) {
                    // The offline module itself: there is nothing better to send back.
                    continue;
                }
                let lines = report_on(&checked.problems, &module);
                let key = entity_task_key(entity);
                let (file, via, note) = if asked.insert(module.clone()) {
                    ask.user = format!(
                        "{}\n\nThis module was written for the app before:\n{}\n\nOpened in a real browser, it failed:\n- {}\n\nWrite the whole module again, fixed, under the same contract.",
                        ask.user,
                        current.map(|f| f.content.as_str()).unwrap_or("(missing)"),
                        lines.join("\n- ")
                    );
                    ask.context = json!({ "spec": spec, "entity": entity, "repair": lines });
                    let (file, source) = model::generate(
                        &ctx,
                        build,
                        ask,
                        |text| accept_entity(&spec, entity, &offline, text),
                        || offline.clone(),
                    )
                    .await?;
                    match source {
                        Source::Fallback { reason } => (file, "offline", Some(reason)),
                        _ if file.content == offline.content => (file, "offline", None),
                        _ => (file, "model", None),
                    }
                } else {
                    (
                        offline,
                        "offline",
                        Some("the model's repaired module failed in the browser too".to_owned()),
                    )
                };
                // The new module is the entity task's file (a later revision carries it over).
                let owner_task = store::tasks::find_key(ctx.db(), ctx.task.workflow_id, &key)
                    .await
                    .retry()?
                    .unwrap_or(ctx.task.id);
                let mut conn = ctx.db().acquire().await.retry()?;
                store::artifacts::put(
                    &mut conn,
                    build,
                    ctx.task.owner_id,
                    Some(owner_task),
                    ArtifactKind::File,
                    &[NewArtifact {
                        path: &file.path,
                        content_type: &file.content_type,
                        content: file.content.as_bytes(),
                    }],
                )
                .await
                .retry()?;
                drop(conn);
                event(
                    &ctx,
                    build,
                    EventKind::BuildRepaired,
                    json!({ "task": key, "module": module, "via": via, "round": round, "report": lines, "note": note }),
                )
                .await?;
                entry.repairs.push(VerifyRepair {
                    task: key,
                    module,
                    via: via.into(),
                    note,
                });
            }
        }

        let repaired: Vec<&str> = entry.repairs.iter().map(|r| r.task.as_str()).collect();
        event(
            &ctx,
            build,
            EventKind::BuildVerified,
            json!({
                "round": round, "passed": passed, "problems": entry.problems.len(),
                "pages": entry.pages.len(), "repairs": repaired,
            }),
        )
        .await?;
        let again = !entry.repairs.is_empty();
        report.rounds.push(entry);
        if passed || !again {
            report.outcome = if passed { "passed" } else { "failed" }.into();
            break;
        }
        save(&ctx, build, &report).await?;
        advance(&ctx, build, BuildPhase::Verification, 89.0 + round as f32).await?;
    }
    if report.outcome == "running" {
        report.outcome = "failed".into();
    }
    save(&ctx, build, &report).await?;
    let last = report.rounds.last();
    Ok(json!({
        "outcome": report.outcome,
        "rounds": report.rounds.len(),
        "problems": last.map(|r| r.problems.len()).unwrap_or_default(),
        "screenshots": report.screenshots,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_belongs_to_an_entity_of_the_spec_and_its_task() {
        let spec = generator::analyze("a recipe book with ingredients and a shopping list").spec;
        let first = &spec.entities[0].name;
        let path = generator::entity_module_path(first);
        assert_eq!(entity_of(&spec, &path), Some(first.as_str()));
        assert_eq!(entity_of(&spec, "js/entities/nothing_here.js"), None);
        assert_eq!(entity_task_key("shopping_item"), "entity-shopping-item");
        let problems = vec![
            VerifyProblem {
                page: "recipes".into(),
                kind: "page_error".into(),
                message: "boom".into(),
                module: Some(path.clone()),
            },
            VerifyProblem {
                page: "x".into(),
                kind: "flow".into(),
                message: "other".into(),
                module: None,
            },
        ];
        assert_eq!(report_on(&problems, &path), vec!["[page error] boom".to_owned()]);
    }
}
