//! `/events`: the coordination log, filtered by type, build, workflow and agent, live.

use domain::{api::EventQuery, event::CoordinationEvent};
use leptos::prelude::*;
use leptos_meta::Title;

use super::overview::EventRow;
use crate::{
    api::find_events,
    components::{ErrorNote, Loading},
    forms::held,
    live::use_live_feed,
};

const KINDS: &[(&str, &str)] = &[
    ("", "All events"),
    ("build.", "Builds"),
    ("workflow.", "Workflows"),
    ("task.", "Tasks"),
    ("task.failed", "Task failures"),
    ("agent.", "Agents"),
    ("build.fallback", "Model fallbacks"),
    ("build.verified", "Browser checks"),
    ("build.repaired", "Repairs"),
];

/// A filter's text, trimmed ("" when unset).
fn given(f: &Option<String>) -> &str {
    f.as_deref().map_or("", str::trim)
}

/// Whether a live event passes the applied filters (the server applied them to the page).
fn keeps(q: &EventQuery, e: &CoordinationEvent) -> bool {
    let (kind, build, workflow, agent) = (
        given(&q.kind),
        given(&q.build_id),
        given(&q.workflow_id),
        given(&q.agent),
    );
    (kind.is_empty() || e.kind.as_str().starts_with(kind))
        && (build.is_empty() || e.build_id.is_some_and(|b| b.to_string() == build))
        && (workflow.is_empty() || e.workflow_id.is_some_and(|w| w.to_string() == workflow))
        && (agent.is_empty()
            || e.agent_id.is_some_and(|a| a.to_string() == agent)
            || e.payload
                .get("agent")
                .and_then(|a| a.as_str())
                .is_some_and(|a| a.eq_ignore_ascii_case(agent)))
}

/// `/events`.
#[component]
pub(crate) fn Events() -> impl IntoView {
    let feed = use_live_feed();
    let draft = RwSignal::new(EventQuery::default());
    let applied = RwSignal::new(EventQuery::default());
    let ready = RwSignal::new(false);
    let page = Resource::new(move || (applied.get(), feed.resyncs.get()), |(q, _)| find_events(q));
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set(draft.get_untracked());
    };
    let text_field = move |id: &'static str,
                           label: &'static str,
                           get: fn(&EventQuery) -> String,
                           set: fn(&mut EventQuery, String)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id autocomplete="off" prop:value=move || draft.with(get) on:input=move |ev| draft.update(|q| set(q, event_target_value(&ev)))/>
            </div>
        }
    };
    view! {
        <Title text="Events"/>
        <h1>"Events"</h1>
        <form class="panel filters" id="event-filters" use:held=ready on:submit=apply>
            <div class="field">
                <label for="filter-kind">"Type"</label>
                <select id="filter-kind" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    draft.update(|q| q.kind = Some(v.clone()));
                    applied.update(|q| q.kind = Some(v));
                }>
                    {KINDS.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                </select>
            </div>
            {text_field("filter-build", "Build id", |q| given(&q.build_id).to_owned(), |q, v| q.build_id = Some(v))}
            {text_field("filter-workflow", "Workflow id", |q| given(&q.workflow_id).to_owned(), |q, v| q.workflow_id = Some(v))}
            {text_field("filter-agent", "Agent", |q| given(&q.agent).to_owned(), |q, v| q.agent = Some(v))}
            <button class="btn" type="submit" disabled=move || !ready.get()>"Filter"</button>
        </form>
        <section class="panel" aria-labelledby="log-heading">
            <h2 id="log-heading">"Log"</h2>
            <Transition fallback=|| view! { <Loading what="events"/> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => {
                            let query = applied.get_untracked();
                            let first = p.events;
                            let rows = Memo::new(move |_| {
                                let last = first.last().map(|e| e.id);
                                let mut all = first.clone();
                                all.extend(feed.events.get().into_iter().filter(|e| Some(e.id) > last && keeps(&query, e)));
                                all.reverse();
                                all.truncate(300);
                                all
                            });
                            view! {
                                <ol class="event-list" id="event-log" aria-live="polite">
                                    <For each=move || rows.get() key=|e| e.id let:event><EventRow event/></For>
                                </ol>
                                <p class="empty" hidden=move || !rows.with(Vec::is_empty)>"No events match."</p>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
