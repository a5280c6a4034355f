//! `/builds` (start a build, list builds) and `/builds/:id` (one build, live).

use domain::{
    api::{BuildDiff, BuildSummary, BuildView, EventQuery, FileDiff, RevisionInfo, RevisionSummary},
    event::{CoordinationEvent, EventKind},
    ids::{BuildId, TaskId},
    status::BuildPhase,
    ws::Topic,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map},
};

use super::overview::EventList;
use crate::{
    api::{
        build_file, find_events, get_build, get_server_info, list_builds, revision_diff, CancelBuild, IterateBuild,
        StartBuild,
    },
    components::{short_id, Empty, ErrorNote, Loading, ProgressBar, StatusBadge, Time},
    error::AppError,
    format::{format_duration_ms as duration, format_size},
    forms::{held, use_ready},
    graph::{DagGraph, TaskDetails},
    live::{live_value, use_live_feed, use_live_version},
};

/// `/builds`.
#[component]
pub(crate) fn Builds() -> impl IntoView {
    let version = use_live_version(|e| e.kind.area() == "build");
    let cursor = RwSignal::new(None::<String>);
    let page = Resource::new(move || (version.get(), cursor.get()), |(_, c)| list_builds(c));
    view! {
        <Title text="Builds"/>
        <h1>"Builds"</h1>
        <NewBuildForm/>
        <section class="panel" aria-labelledby="builds-heading">
            <h2 id="builds-heading">"Your builds"</h2>
            <Transition fallback=|| view! { <Loading what="builds"/> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) if p.builds.is_empty() && cursor.get_untracked().is_none() => {
                            view! { <Empty>"No builds yet. Describe an app above and press Build."</Empty> }.into_any()
                        }
                        Ok(p) => {
                            let next = p.next_cursor.clone();
                            view! {
                                <ul class="build-list" id="build-list">
                                    {p.builds.into_iter().map(|b| view! { <BuildRow summary=b/> }).collect_view()}
                                </ul>
                                <div class="pager">
                                    <button class="btn ghost" hidden=cursor.get_untracked().is_none() on:click=move |_| cursor.set(None)>"Newest"</button>
                                    {next.map(|n| view! { <button class="btn ghost" on:click=move |_| cursor.set(Some(n.clone()))>"Older"</button> })}
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn BuildRow(summary: BuildSummary) -> impl IntoView {
    let progress = summary.progress;
    let title = summary
        .name
        .clone()
        .unwrap_or_else(|| summary.prompt.chars().take(80).collect());
    view! {
        <li class="build-row" data-build-id=summary.build_id.to_string() data-status=summary.status.as_str()>
            <A href=format!("/builds/{}", summary.build_id)>{title}</A>
            {(summary.revision > 1).then(|| view! { <span class="badge revision-badge" title="A revision of an earlier build">{format!("revision {}", summary.revision)}</span> })}
            <StatusBadge status=summary.status.as_str()/>
            <ProgressBar value=Signal::derive(move || progress) label="Build progress"/>
            <Time at=summary.created_at/>
            {summary.error.map(|e| view! { <p class="error-line">{e}</p> })}
        </li>
    }
}

/// Example prompts offered under the form.
const EXAMPLES: &[&str] = &[
    "a habit tracker with streaks and dark mode",
    "a recipe book with ingredients, favourites and a shopping list",
    "an expense tracker with categories, monthly budgets and charts",
    "a reading list to track books I want to read, with ratings",
];

#[component]
fn NewBuildForm() -> impl IntoView {
    let start = ServerAction::<StartBuild>::new();
    let ready = RwSignal::new(false);
    let info = Resource::new(|| (), |_| get_server_info());
    let prompt = RwSignal::new(String::new());
    let provider = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(result) = start.value().get() {
            match result {
                Ok(r) => navigate(&format!("/builds/{}", r.build_id), Default::default()),
                Err(e) => problem.set(Some(e.to_string())),
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = prompt.get_untracked();
        if text.trim().is_empty() {
            problem.set(Some("Describe the app you want first.".into()));
            return;
        }
        problem.set(None);
        let p = provider.get_untracked();
        start.dispatch(StartBuild {
            prompt: text,
            provider: (!p.is_empty()).then_some(p),
        });
    };
    view! {
        <form class="panel build-form" id="new-build" use:held=ready on:submit=submit>
            <label for="prompt">"What should the agents build?"</label>
            <textarea
                id="prompt"
                name="prompt"
                rows="3"
                maxlength="20000"
                placeholder="a habit tracker with streaks and dark mode"
                aria-describedby="prompt-help prompt-problem"
                prop:value=move || prompt.get()
                on:input=move |ev| prompt.set(event_target_value(&ev))
            ></textarea>
            <p id="prompt-help" class="muted small">
                "Try: "
                {EXAMPLES.iter().map(|ex| view! {
                    <button type="button" class="link-btn" disabled=move || !ready.get() on:click=move |_| prompt.set((*ex).to_owned())>{*ex}</button>
                }).collect_view()}
            </p>
            <div class="form-row">
                <label for="provider">"Model provider"</label>
                <select id="provider" name="provider" on:change=move |ev| provider.set(event_target_value(&ev))>
                    <Transition fallback=|| view! { <option value="">"default"</option> }>
                        {move || Suspend::new(async move {
                            let info = info.await.ok();
                            let default = info.as_ref().map(|i| i.default_provider.clone()).unwrap_or_default();
                            let names = info.map(|i| i.providers).unwrap_or_default();
                            view! {
                                <option value="">{format!("default ({default})")}</option>
                                {names.into_iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                            }
                        })}
                    </Transition>
                </select>
                <button class="btn" type="submit" id="start-build" disabled=move || !ready.get() || start.pending().get()>
                    {move || if start.pending().get() { "Starting…" } else { "Build it" }}
                </button>
            </div>
            <p id="prompt-problem" class="field-error" role="alert" hidden=move || problem.get().is_none()>
                {move || problem.get().unwrap_or_default()}
            </p>
        </form>
    }
}

const PHASES: &[(BuildPhase, &str)] = &[
    (BuildPhase::Analysis, "Analysis"),
    (BuildPhase::Planning, "Planning"),
    (BuildPhase::Generation, "Generation"),
    (BuildPhase::Assembly, "Assembly"),
    (BuildPhase::Verification, "Verification"),
    (BuildPhase::Packaging, "Packaging"),
    (BuildPhase::Done, "Done"),
];

/// `/builds/:id`.
#[component]
pub(crate) fn BuildDetail() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    // Server-rendered once per build; `BuildBody` keeps it live in the browser.
    let first = Resource::new(id, get_build);
    view! {
        <Suspense fallback=|| view! { <Loading what="the build"/> }>
            {move || Suspend::new(async move {
                match first.await {
                    Ok(b) => view! { <BuildBody initial=b/> }.into_any(),
                    Err(AppError::NotFound(m)) | Err(AppError::BadRequest(m)) => view! {
                        <Title text="Build not found"/>
                        <section class="panel empty"><h1>"Build not found"</h1><p>{m}</p><A href="/builds">"All builds"</A></section>
                    }.into_any(),
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn BuildBody(initial: BuildView) -> impl IntoView {
    let build_id = initial.build_id;
    let id = build_id.to_string();
    // Progress lines change nothing the build view shows: no refetch for them.
    let version = use_live_version(move |e: &CoordinationEvent| {
        e.build_id == Some(build_id) && e.kind != EventKind::TaskProgress
    });
    let fetch_id = id.clone();
    let build = live_value(initial, version, move || get_build(fetch_id.clone()));
    let cancel = ServerAction::<CancelBuild>::new();
    let cancellable = use_ready();
    let selected = RwSignal::new(None::<TaskId>);

    let title = Memo::new(move |_| build.with(|b| b.name.clone().unwrap_or_else(|| "New build".into())));
    let status = Memo::new(move |_| build.with(|b| b.status));
    let terminal = Memo::new(move |_| status.get().is_terminal());
    let phase = Memo::new(move |_| build.with(|b| b.phase));
    let progress = Signal::derive(move || build.with(|b| b.progress));
    let tasks = Signal::derive(move || build.with(|b| b.tasks.clone()));
    let preview = Memo::new(move |_| build.with(|b| b.preview_url.clone()));
    let download = Memo::new(move |_| build.with(|b| b.download_url.clone()));
    let files = Memo::new(move |_| {
        build.with(|b| {
            b.artifacts
                .iter()
                .map(|a| (a.path.clone(), a.size_bytes))
                .collect::<Vec<_>>()
        })
    });
    let cancel_id = id.clone();

    view! {
        // leptos_meta may read the title once more after this build's page is gone (another
        // build opened on the same route): then there is no title to read.
        <Title text=move || title.try_get().map(|t| format!("{t} · build")).unwrap_or_default()/>
        <header class="page-head">
            <div>
                <h1 id="build-title">{move || title.get()}</h1>
                <p class="muted prompt-line">{build.with_untracked(|b| b.prompt.clone())}</p>
            </div>
            <div class="head-actions">
                {move || view! { <StatusBadge status=status.get().as_str()/> }}
                {move || preview.get().map(|u| view! { <a class="btn ghost" href=u target="_blank" rel="noopener" id="open-preview">"Open preview"</a> })}
                {move || download.get().map(|u| view! { <a class="btn ghost" href=u download id="download-zip">"Download zip"</a> })}
                <button
                    class="btn danger"
                    id="cancel-build"
                    hidden=move || terminal.get()
                    disabled=move || !cancellable.get() || cancel.pending().get()
                    on:click=move |_| { cancel.dispatch(CancelBuild { id: cancel_id.clone() }); }
                >
                    "Cancel build"
                </button>
            </div>
        </header>
        {move || cancel.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e/> })}
        <section class="panel" aria-label="Progress">
            <ol class="timeline" id="phase-timeline">
                {PHASES.iter().enumerate().map(|(i, (p, label))| {
                    let state = move || {
                        let at = PHASES.iter().position(|(q, _)| *q == phase.get());
                        match at {
                            Some(at) if i < at => "done",
                            Some(at) if i == at && *p == BuildPhase::Done => "done",
                            Some(at) if i == at && terminal.get() => "stopped",
                            Some(at) if i == at => "current",
                            _ => "todo",
                        }
                    };
                    view! {
                        <li class=move || format!("step {}", state()) data-phase=p.as_str() aria-current=move || (state() == "current").then_some("step")>
                            {*label}
                        </li>
                    }
                }).collect_view()}
            </ol>
            <ProgressBar value=progress label="Build progress"/>
            <p class="muted small" id="build-stats">
                {move || build.with(|b| format!(
                    "{} model calls · {} tokens · {}",
                    b.llm_calls,
                    b.tokens_used,
                    b.duration_ms.map(duration).unwrap_or_default()
                ))}
            </p>
            {move || build.with(|b| b.error.clone()).map(|e| view! { <p class="error-note" role="alert" id="build-error">{e}</p> })}
        </section>
        {move || build.with(|b| b.revision.number > 1 || b.revisions.len() > 1).then(|| view! { <RevisionPanel data=build/> })}
        {move || (status.get() == domain::status::BuildStatus::Completed).then(|| view! { <IterateForm build_id=build_id.to_string()/> })}
        {move || build.with(|b| b.spec.clone().map(|spec| (spec, b.confidence, b.reflection.clone()))).map(|(spec, confidence, reflection)| view! {
            <section class="panel" aria-labelledby="spec-heading">
                <h2 id="spec-heading">"App spec"</h2>
                <p>{spec.summary.clone()}</p>
                <dl class="spec-grid">
                    <dt>"Entities"</dt>
                    <dd>{spec.entities.iter().map(|e| format!("{} ({} fields)", e.plural, e.fields.len())).collect::<Vec<_>>().join(", ")}</dd>
                    <dt>"Pages"</dt>
                    <dd>{spec.pages.iter().map(|p| p.title.clone()).collect::<Vec<_>>().join(", ")}</dd>
                    <dt>"Features"</dt>
                    <dd>{spec.features.iter().map(|f| f.as_str().replace('_', " ")).collect::<Vec<_>>().join(", ")}</dd>
                    <dt>"Confidence"</dt>
                    <dd id="confidence">{confidence.map(|c| format!("{:.0}%", c * 100.0)).unwrap_or_default()}</dd>
                </dl>
                <details>
                    <summary>"Reflection notes"</summary>
                    <ul>{reflection.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
                </details>
            </section>
        })}
        <section class="panel" aria-labelledby="dag-heading">
            <h2 id="dag-heading">"Tasks"</h2>
            <DagGraph tasks selected/>
            {move || {
                let chosen = selected.get()?;
                build.with(|b| b.tasks.iter().find(|t| t.id == chosen).cloned()).map(|task| view! { <TaskDetails task/> })
            }}
        </section>
        {move || build.with(|b| b.verify.is_some()).then(|| view! { <VerifyPanel data=build/> })}
        <ModelsAtWork build_id terminal/>
        {
            let diff_id = id.clone();
            move || (build.with(|b| b.revision.number) > 1 && terminal.get()).then(|| view! { <DiffPanel build_id=diff_id.clone() files/> })
        }
        <div class="two-col">
            <FilesPanel build_id=id.clone() files/>
            <BuildEvents build_id=id.clone() version/>
        </div>
        {move || preview.get().map(|u| view! {
            <section class="panel" aria-labelledby="preview-heading">
                <div class="panel-head">
                    <h2 id="preview-heading">"Preview"</h2>
                    <a href=u.clone() target="_blank" rel="noopener">"Open in a new tab"</a>
                </div>
                <iframe class="preview" id="preview-frame" title="Preview of the generated app" src=u sandbox="allow-scripts allow-forms"></iframe>
            </section>
        })}
    }
}

/// A revision: what it changed from its parent, which tasks it carried over, and every
/// revision of the app (each a link).
#[component]
fn RevisionPanel(data: RwSignal<BuildView>) -> impl IntoView {
    let info = Memo::new(move |_| data.with(|b| b.revision.clone()));
    let list = Memo::new(move |_| data.with(|b| b.revisions.clone()));
    let current = Memo::new(move |_| data.with(|b| b.build_id));
    view! {
        <section class="panel revision" aria-labelledby="revision-heading" id="revision">
            <h2 id="revision-heading">{move || format!("Revision {}", info.get().number)}</h2>
            {move || {
                let RevisionInfo { parent_id, changes, reused, rerun, .. } = info.get();
                view! {
                    {parent_id.map(|p| {
                        let parent_number = list.with(|l| l.iter().find(|r| r.build_id == p).map(|r| r.number));
                        view! {
                            <p class="muted">
                                "Made from "
                                <A href=format!("/builds/{p}")>{parent_number.map_or_else(|| "its parent".to_owned(), |n| format!("revision {n}"))}</A>
                                " by the change above."
                            </p>
                        }
                    })}
                    {(!changes.is_empty()).then(|| view! {
                        <h3>"What changed"</h3>
                        <ul id="revision-changes">{changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                    })}
                    {(!reused.is_empty() || !rerun.is_empty()).then(|| view! {
                        <p id="revision-tasks">
                            <strong>{format!("{} tasks reused", reused.len())}</strong>
                            {format!(" ({})", reused.join(", "))}
                            " · "
                            <strong>{format!("{} ran again", rerun.len())}</strong>
                            {format!(" ({})", rerun.join(", "))}
                        </p>
                    })}
                }
            }}
            <RevisionList list current/>
        </section>
    }
}

/// The browser check: its outcome, each round (problems, what was sent back), and the
/// last round's screenshots.
#[component]
fn VerifyPanel(data: RwSignal<BuildView>) -> impl IntoView {
    let report = Memo::new(move |_| data.with(|b| b.verify.clone().unwrap_or_default()));
    let id = Memo::new(move |_| data.with(|b| b.build_id));
    view! {
        <section class="panel verify" aria-labelledby="verify-heading" id="verify">
            <div class="panel-head">
                <h2 id="verify-heading">"Browser check"</h2>
                {move || {
                    let r = report.get();
                    let label = match r.outcome.as_str() {
                        "passed" => "Passed".to_owned(),
                        "failed" => "Problems left".to_owned(),
                        "skipped" => "Skipped".to_owned(),
                        _ => "Checking…".to_owned(),
                    };
                    view! { <span class=format!("badge verify-{}", r.outcome) id="verify-outcome" data-outcome=r.outcome.clone()>{label}</span> }
                }}
            </div>
            {move || report.get().reason.map(|r| view! { <p class="muted" id="verify-reason">{r}</p> })}
            <ol class="verify-rounds" id="verify-rounds">
                {move || report.get().rounds.into_iter().map(|round| {
                    let summary = if round.passed {
                        format!("Round {}: every page worked ({} pages, {})", round.round, round.pages.len(), duration(round.duration_ms as i64))
                    } else {
                        format!("Round {}: {} problem{} ({})", round.round, round.problems.len(), if round.problems.len() == 1 { "" } else { "s" }, duration(round.duration_ms as i64))
                    };
                    view! {
                        <li data-round=round.round data-passed=round.passed.to_string()>
                            <strong>{summary}</strong>
                            <ul class="verify-pages">
                                {round.pages.into_iter().map(|p| view! {
                                    <li data-page=p.page.clone() data-passed=p.passed.to_string()>
                                        {format!("{} {}", if p.passed { "✓" } else { "✗" }, p.title)}
                                        <span class="muted">{(!p.steps.is_empty()).then(|| format!(" — {}", p.steps.join(", ")))}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                            {(!round.problems.is_empty()).then(|| view! {
                                <ul class="verify-problems">
                                    {round.problems.into_iter().map(|p| view! {
                                        <li data-kind=p.kind.clone()>
                                            <code>{p.kind.replace('_', " ")}</code>
                                            {format!(" {}: {}", p.page, p.message)}
                                            {p.module.map(|m| view! { <span class="muted">{format!(" ({m})")}</span> })}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            })}
                            {(!round.repairs.is_empty()).then(|| view! {
                                <ul class="verify-repairs">
                                    {round.repairs.into_iter().map(|r| {
                                        let how = if r.via == "model" { "asked the model again with the browser's report" } else { "replaced by the offline generator's module" };
                                        view! {
                                            <li data-task=r.task.clone() data-via=r.via.clone()>
                                                {format!("{} ({}): {how}", r.task, r.module)}
                                                {r.note.map(|n| view! { <span class="muted">{format!(" — {n}")}</span> })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
            <div class="screenshots" id="verify-screenshots">
                {move || {
                    let r = report.get();
                    let round = r.rounds.len();
                    let titles: Vec<(String, String)> = r.rounds.last().map(|last| {
                        last.pages.iter().filter_map(|p| p.screenshot.clone().map(|s| (s, p.title.clone()))).collect()
                    }).unwrap_or_default();
                    r.screenshots.into_iter().map(|path| {
                        let name = path.trim_start_matches("screenshots/").to_owned();
                        let title = titles.iter().find(|(s, _)| *s == path).map(|(_, t)| t.clone()).unwrap_or_else(|| name.clone());
                        let src = format!("/api/nexus-forge/build/{}/screenshots/{name}?round={round}", id.get());
                        let href = src.clone();
                        view! {
                            <figure class="screenshot">
                                <a href=href target="_blank" rel="noopener">
                                    <img src=src alt=format!("Screenshot of {title}") loading="lazy" data-screenshot=name.clone()/>
                                </a>
                                <figcaption>{title}</figcaption>
                            </figure>
                        }
                    }).collect_view()
                }}
            </div>
        </section>
    }
}

#[component]
fn RevisionList(list: Memo<Vec<RevisionSummary>>, current: Memo<BuildId>) -> impl IntoView {
    view! {
        <ol class="revision-list" id="revision-list" aria-label="Revisions of this app">
            {move || list.get().into_iter().map(|r| {
                let here = r.build_id == current.get();
                view! {
                    <li data-revision=r.number aria-current=here.then_some("page")>
                        <A href=format!("/builds/{}", r.build_id)>{format!("Revision {}", r.number)}</A>
                        " "
                        <StatusBadge status=r.status.as_str()/>
                        <span class="muted">{format!(" {}", r.prompt.chars().take(100).collect::<String>())}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// Examples of changes, offered under the box.
const CHANGE_EXAMPLES: &[&str] = &[
    "make it green",
    "add a notes field",
    "add a page for suppliers",
    "add a calendar",
];

/// "Change this app": a completed build's next revision, from a sentence.
#[component]
fn IterateForm(build_id: String) -> impl IntoView {
    let iterate = ServerAction::<IterateBuild>::new();
    let ready = RwSignal::new(false);
    let prompt = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(result) = iterate.value().get() {
            match result {
                Ok(r) => navigate(&format!("/builds/{}", r.build_id), Default::default()),
                Err(e) => problem.set(Some(e.to_string())),
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = prompt.get_untracked();
        if text.trim().is_empty() {
            problem.set(Some("Say what to change first.".into()));
            return;
        }
        problem.set(None);
        iterate.dispatch(IterateBuild {
            id: build_id.clone(),
            prompt: text,
        });
    };
    view! {
        <form class="panel build-form" id="iterate" use:held=ready on:submit=submit>
            <label for="iterate-prompt">"Change this app"</label>
            <textarea
                id="iterate-prompt"
                name="prompt"
                rows="2"
                maxlength="20000"
                placeholder="add a notes field, make it green, add a page for suppliers…"
                aria-describedby="iterate-problem"
                prop:value=move || prompt.get()
                on:input=move |ev| prompt.set(event_target_value(&ev))
            ></textarea>
            <div class="form-row">
                <button class="btn primary" type="submit" id="iterate-submit" disabled=move || !ready.get() || iterate.pending().get()>
                    {move || if iterate.pending().get() { "Starting…" } else { "Make a new revision" }}
                </button>
                <span class="muted small">
                    "Only the parts the change touches are built again. Try: "
                    {CHANGE_EXAMPLES.iter().map(|ex| view! {
                        <button type="button" class="chip" disabled=move || !ready.get() on:click=move |_| prompt.set((*ex).to_owned())>{*ex}</button>
                    }).collect_view()}
                </span>
            </div>
            <p class="error-note" id="iterate-problem" role="alert" hidden=move || problem.with(Option::is_none)>
                {move || problem.get().unwrap_or_default()}
            </p>
        </form>
    }
}

/// The files a revision changed, each with its unified diff.
#[component]
fn DiffPanel(build_id: String, files: Memo<Vec<(String, i32)>>) -> impl IntoView {
    let diff = Resource::new(
        move || (build_id.clone(), files.get().len()),
        |(id, _)| revision_diff(id),
    );
    view! {
        <section class="panel" aria-labelledby="diff-heading" id="diff">
            <h2 id="diff-heading">"Files changed"</h2>
            <Transition fallback=|| view! { <Loading what="the changes"/> }>
                {move || diff.get().map(|r| match r {
                    Ok(BuildDiff { files, unchanged, .. }) => view! {
                        <p class="muted small" id="diff-summary">
                            {format!("{} files changed, {unchanged} the same as the parent's", files.len())}
                        </p>
                        <div class="diff-files">
                            {files.into_iter().map(|f| view! { <FileDiffView file=f/> }).collect_view()}
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn FileDiffView(file: FileDiff) -> impl IntoView {
    let FileDiff {
        path,
        change,
        added,
        removed,
        unified,
    } = file;
    let lines: Vec<(&'static str, String)> = unified
        .lines()
        .map(|l| {
            let class = if l.starts_with("+++") || l.starts_with("---") {
                "diff-head"
            } else if l.starts_with("@@") {
                "diff-hunk"
            } else if l.starts_with('+') {
                "diff-add"
            } else if l.starts_with('-') {
                "diff-del"
            } else {
                "diff-ctx"
            };
            (class, l.to_owned())
        })
        .collect();
    let empty = lines.is_empty();
    view! {
        <details class="file-diff" data-path=path.clone() data-change=change.clone()>
            <summary>
                <code>{path.clone()}</code>
                " "
                <span class=format!("badge diff-{change}")>{change.clone()}</span>
                <span class="diff-count diff-add">{format!(" +{added}")}</span>
                <span class="diff-count diff-del">{format!(" −{removed}")}</span>
            </summary>
            {if empty {
                view! { <p class="muted small">"Too large to show here; download the zip to compare."</p> }.into_any()
            } else {
                view! {
                    <pre class="diff"><code>{lines.into_iter().map(|(class, l)| view! { <span class=class>{l}</span> }).collect_view()}</code></pre>
                }.into_any()
            }}
        </details>
    }
}

#[component]
fn FilesPanel(build_id: String, files: Memo<Vec<(String, i32)>>) -> impl IntoView {
    let open = RwSignal::new(None::<String>);
    let id = build_id.clone();
    let content = Resource::new(
        move || open.get(),
        move |path| {
            let id = id.clone();
            async move {
                match path {
                    Some(p) => build_file(id, p).await.map(Some),
                    None => Ok(None),
                }
            }
        },
    );
    view! {
        <section class="panel" aria-labelledby="files-heading">
            <h2 id="files-heading">"Files"</h2>
            {move || if files.with(Vec::is_empty) {
                view! { <Empty>"Files appear here as the agents write them."</Empty> }.into_any()
            } else {
                view! {
                    <div class="files">
                        <ul class="file-tree" id="file-tree" role="tree" aria-label="Generated files">
                            {group_by_folder(files.get()).into_iter().map(|(folder, entries)| {
                                let heading = (!folder.is_empty()).then(|| view! { <li class="folder" aria-hidden="true">{format!("{folder}/")}</li> });
                                let indent = if folder.is_empty() { "file-row" } else { "file-row nested" };
                                view! {
                                    {heading}
                                    {entries.into_iter().map(|(path, name, size)| {
                                        let p = path.clone();
                                        view! {
                                            <li role="treeitem" class=indent>
                                                <button
                                                    class="file"
                                                    data-path=path.clone()
                                                    aria-label=path.clone()
                                                    aria-pressed=move || (open.get().as_deref() == Some(p.as_str())).to_string()
                                                    on:click=move |_| open.set(Some(path.clone()))
                                                >
                                                    {name}
                                                    " "
                                                    <span class="muted small">{format_size(i64::from(size))}</span>
                                                </button>
                                            </li>
                                        }
                                    }).collect_view()}
                                }
                            }).collect_view()}
                        </ul>
                        <div class="code-view" id="code-view" aria-live="polite">
                            <Transition fallback=|| view! { <Loading what="the file"/> }>
                                {move || Suspend::new(async move {
                                    match content.await {
                                        Ok(Some(text)) => view! { <pre><code>{text}</code></pre> }.into_any(),
                                        Ok(None) => view! { <p class="muted">"Choose a file to read it."</p> }.into_any(),
                                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                                    }
                                })}
                            </Transition>
                        </div>
                    </div>
                }.into_any()
            }}
            <p class="muted small">"Build " {short_id(&build_id)}</p>
        </section>
    }
}

/// One file in the tree: its path, its name and its size.
type FileEntry = (String, String, i32);

/// Files grouped by folder (root files first).
fn group_by_folder(files: Vec<(String, i32)>) -> Vec<(String, Vec<FileEntry>)> {
    let mut groups: std::collections::BTreeMap<String, Vec<FileEntry>> = Default::default();
    for (path, size) in files {
        let (folder, name) = path
            .rsplit_once('/')
            .map(|(d, n)| (d.to_owned(), n.to_owned()))
            .unwrap_or_default();
        let name = if name.is_empty() { path.clone() } else { name };
        groups.entry(folder).or_default().push((path, name, size));
    }
    groups.into_iter().collect()
}

/// While models write a build's answers: one line per task with what it writes, tokens so
/// far and for how long (the newest `task.progress` of each task still writing).
#[component]
fn ModelsAtWork(build_id: BuildId, terminal: Memo<bool>) -> impl IntoView {
    let feed = use_live_feed();
    let lines = Memo::new(move |_| {
        let mut done: Vec<Option<TaskId>> = Vec::new();
        let mut lines: Vec<(String, String, u64, u64)> = Vec::new();
        feed.events.with(|events| {
            for e in events.iter().rev().filter(|e| e.build_id == Some(build_id)) {
                if done.contains(&e.task_id) {
                    continue;
                }
                // The newest event of a task decides: a progress line while it writes.
                done.push(e.task_id);
                if e.kind == EventKind::TaskProgress {
                    let text = |k: &str| e.payload.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
                    let number = |k: &str| e.payload.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
                    lines.push((
                        text("task"),
                        text("purpose"),
                        number("tokens"),
                        number("elapsed_ms") / 1000,
                    ));
                }
            }
        });
        lines.sort();
        lines
    });
    view! {
        <Show when=move || !terminal.get() && !lines.with(Vec::is_empty)>
            <section class="panel" aria-labelledby="models-heading">
                <h2 id="models-heading">"Models at work"</h2>
                <ul class="model-progress">
                    {move || lines.get().into_iter().map(|(task, purpose, tokens, secs)| {
                        let what = format!(" writes {}: {tokens} tokens so far, {secs} s", purpose.replace('_', " "));
                        let key = task.clone();
                        view! { <li data-task=key><strong>{task}</strong>{what}</li> }
                    }).collect_view()}
                </ul>
            </section>
        </Show>
    }
}

#[component]
fn BuildEvents(build_id: String, version: Signal<u64>) -> impl IntoView {
    let topic = build_id.parse::<BuildId>().ok().map(Topic::Build);
    let query = EventQuery {
        build_id: Some(build_id),
        exclude_kind: Some("task.progress".into()),
        ..Default::default()
    };
    let events = Resource::new(move || version.get(), move |_| find_events(query.clone()));
    view! {
        <section class="panel" aria-labelledby="build-events-heading">
            <h2 id="build-events-heading">"Event log"</h2>
            <Transition fallback=|| view! { <Loading what="events"/> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(page) => view! { <EventList first=page.events limit=200 topic=topic.unwrap_or(Topic::All) quiet=true/> }.into_any(),
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
