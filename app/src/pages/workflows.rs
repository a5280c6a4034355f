//! `/workflows` and `/workflows/:id`: every workflow (builds' and decomposed ones), and one
//! workflow as a live graph.

use domain::{
    api::{EventQuery, WorkflowView},
    event::CoordinationEvent,
    ids::TaskId,
    ws::Topic,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use super::overview::EventList;
use crate::{
    api::{find_events, get_workflow, list_workflows, CancelWorkflow},
    components::{Empty, ErrorNote, Loading, ProgressBar, StatusBadge, Time},
    error::AppError,
    format::format_duration_ms as duration,
    forms::use_ready,
    graph::{DagGraph, TaskDetails},
    live::{live_value, use_live_version},
};

/// `/workflows`.
#[component]
pub(crate) fn Workflows() -> impl IntoView {
    let version = use_live_version(|e| e.kind.area() == "workflow" || e.kind.area() == "task");
    let list = Resource::new(move || version.get(), |_| list_workflows());
    view! {
        <Title text="Workflows"/>
        <h1>"Workflows"</h1>
        <section class="panel">
            <Transition fallback=|| view! { <Loading what="workflows"/> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(w) if w.is_empty() => view! { <Empty>"No workflows yet. Builds make one each; so does the decompose API."</Empty> }.into_any(),
                        Ok(w) => view! {
                            <div class="table-wrap">
                                <table class="table" id="workflow-table">
                                    <thead><tr>
                                        <th scope="col">"Workflow"</th><th scope="col">"Status"</th><th scope="col">"Mode"</th>
                                        <th scope="col">"Tasks"</th><th scope="col">"Created"</th>
                                    </tr></thead>
                                    <tbody>
                                        {w.into_iter().map(|wf| {
                                            let done = wf.counts.finished() as f32;
                                            let total = wf.counts.total.max(1) as f32;
                                            view! {
                                                <tr data-workflow-id=wf.workflow_id.to_string()>
                                                    <th scope="row"><A href=format!("/workflows/{}", wf.workflow_id)>{wf.name.clone()}</A></th>
                                                    <td><StatusBadge status=wf.status.as_str()/></td>
                                                    <td>{wf.mode.as_str()}</td>
                                                    <td>
                                                        <ProgressBar value=Signal::derive(move || 100.0 * done / total) label="Tasks finished"/>
                                                        <span class="muted small">{format!("{} of {} finished", wf.counts.finished(), wf.counts.total)}</span>
                                                    </td>
                                                    <td><Time at=wf.created_at/></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// `/workflows/:id`.
#[component]
pub(crate) fn WorkflowDetail() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let first = Resource::new(id, get_workflow);
    view! {
        <Suspense fallback=|| view! { <Loading what="the workflow"/> }>
            {move || Suspend::new(async move {
                match first.await {
                    Ok(w) => view! { <WorkflowBody initial=w/> }.into_any(),
                    Err(AppError::NotFound(m)) | Err(AppError::BadRequest(m)) => view! {
                        <section class="panel empty"><h1>"Workflow not found"</h1><p>{m}</p><A href="/workflows">"All workflows"</A></section>
                    }.into_any(),
                    Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn WorkflowBody(initial: WorkflowView) -> impl IntoView {
    let wf_id = initial.workflow_id;
    let id = wf_id.to_string();
    let version = use_live_version(move |e: &CoordinationEvent| e.workflow_id == Some(wf_id));
    let fetch_id = id.clone();
    let wf = live_value(initial, version, move || get_workflow(fetch_id.clone()));
    let cancel = ServerAction::<CancelWorkflow>::new();
    let cancellable = use_ready();
    let selected = RwSignal::new(None::<TaskId>);
    let tasks = Signal::derive(move || wf.with(|w| w.tasks.clone()));
    let status = Memo::new(move |_| wf.with(|w| w.status));
    let query = EventQuery {
        workflow_id: Some(id.clone()),
        ..Default::default()
    };
    let events = Resource::new(move || version.get(), move |_| find_events(query.clone()));
    let cancel_id = id.clone();
    view! {
        <Title text=move || wf.try_with(|w| w.name.clone()).unwrap_or_default()/>
        <header class="page-head">
            <div>
                <h1>{move || wf.with(|w| w.name.clone())}</h1>
                <p class="muted">{wf.with_untracked(|w| w.description.clone())}</p>
            </div>
            <div class="head-actions">
                {move || view! { <StatusBadge status=status.get().as_str()/> }}
                {wf.with_untracked(|w| w.build_id).map(|b| view! { <A href=format!("/builds/{b}")>"Its build"</A> })}
                <button class="btn danger" hidden=move || status.get().is_terminal() disabled=move || !cancellable.get()
                    on:click=move |_| { cancel.dispatch(CancelWorkflow { id: cancel_id.clone() }); }>"Cancel workflow"</button>
            </div>
        </header>
        <p class="muted small">
            {move || wf.with(|w| {
                let elapsed = match (w.started_at, w.finished_at) {
                    (Some(s), Some(f)) => duration((f - s).num_milliseconds()),
                    _ => String::new(),
                };
                format!("{} mode · {} tasks · {} succeeded · {} failed · {} skipped · {} cancelled {elapsed}",
                    w.mode, w.counts.total, w.counts.succeeded, w.counts.failed, w.counts.skipped, w.counts.cancelled)
            })}
        </p>
        <section class="panel">
            <h2>"Graph"</h2>
            <DagGraph tasks selected/>
            {move || {
                let chosen = selected.get()?;
                wf.with(|w| w.tasks.iter().find(|t| t.id == chosen).cloned()).map(|task| view! { <TaskDetails task/> })
            }}
        </section>
        <section class="panel">
            <h2>"Events"</h2>
            <Transition fallback=|| view! { <Loading what="events"/> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(p) => view! { <EventList first=p.events limit=200 topic=Topic::Workflow(wf_id)/> }.into_any(),
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
