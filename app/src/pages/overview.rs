//! The overview (`/`): the agents and a live activity feed.

use domain::{api::AgentView, event::CoordinationEvent};
use leptos::prelude::*;
use leptos_meta::Title;

use super::ErrorNote;
use crate::{
    api::{list_agents, recent_events},
    live::use_live_feed,
};

/// The overview page.
#[component]
pub(crate) fn Overview() -> impl IntoView {
    let feed = use_live_feed();
    let agents = Resource::new(move || feed.resyncs.get(), |_| list_agents());

    view! {
        <Title text="Overview"/>
        <h1>"Overview"</h1>
        <section class="panel" aria-labelledby="agents-heading">
            <h2 id="agents-heading">"Agents"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading agents…"</p> }>
                {move || Suspend::new(async move {
                    match agents.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No agents are registered."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="agent-grid" id="agent-list">
                                {list.into_iter().map(|a| view! { <AgentCard agent=a/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <ActivityFeed/>
    }
}

#[component]
fn AgentCard(agent: AgentView) -> impl IntoView {
    let open = RwSignal::new(false);
    let details_id = format!("agent-{}-details", agent.id);
    let caps = agent
        .capabilities
        .iter()
        .map(|c| view! { <li class="chip">{c.as_str()}</li> })
        .collect_view();
    view! {
        <li class="agent-card" data-agent=agent.name.clone()>
            <div class="agent-head">
                <span class="agent-name">{agent.name.clone()}</span>
                <span class=format!("badge status-{}", agent.status)>{agent.status.as_str()}</span>
            </div>
            <p class="muted">{agent.kind.as_str()} " · load " {agent.current_load} " / " {agent.max_concurrency}</p>
            <button
                class="btn small"
                aria-expanded=move || open.get().to_string()
                aria-controls=details_id.clone()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {move || if open.get() { "Hide capabilities" } else { "Show capabilities" }}
            </button>
            <ul class="chips" id=details_id.clone() hidden=move || !open.get()>{caps}</ul>
        </li>
    }
}

/// Recent events: the newest ones from the server, then whatever arrives live.
#[component]
fn ActivityFeed() -> impl IntoView {
    let feed = use_live_feed();
    let initial = Resource::new(move || feed.resyncs.get(), |_| recent_events(20));
    view! {
        <section class="panel" aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Recent activity"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading activity…"</p> }>
                {move || Suspend::new(async move {
                    match initial.await {
                        Ok(first) => view! { <EventList first/> }.into_any(),
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn EventList(first: Vec<CoordinationEvent>) -> impl IntoView {
    let feed = use_live_feed();
    let newest_first = Memo::new(move |_| {
        let last_initial = first.last().map(|e| e.id);
        let mut all: Vec<CoordinationEvent> = first.clone();
        all.extend(feed.events.get().into_iter().filter(|e| Some(e.id) > last_initial));
        all.reverse();
        all.truncate(50);
        all
    });
    view! {
        <ol class="event-list" id="activity">
            <For each=move || newest_first.get() key=|e| e.id let:event>
                <li class="event">
                    <span class="event-kind">{event.kind.as_str()}</span>
                    <time datetime=event.created_at.to_rfc3339()>{event.created_at.format("%H:%M:%S").to_string()}</time>
                    <span class="muted">{summary(&event)}</span>
                </li>
            </For>
        </ol>
        <p class="empty" hidden=move || !newest_first.with(Vec::is_empty)>"Nothing has happened yet."</p>
    }
}

/// One line about an event, from the fields its kind carries.
pub(crate) fn summary(event: &CoordinationEvent) -> String {
    let p = &event.payload;
    let field = |k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    [
        field("name"),
        field("task"),
        field("agent"),
        field("status"),
        field("error"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ")
}
