//! The overview (`/`): metric cards, active builds, agents and live activity.

use domain::{
    api::{AgentView, BuildSummary},
    event::{CoordinationEvent, EventKind},
    status::BuildStatus,
    ws::Topic,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{
    api::{get_status, list_agents, list_builds, recent_events},
    components::{Empty, ErrorNote, Loading, Metric, ProgressBar, StatusBadge, Time},
    error::AppError,
    live::{use_live_feed, use_live_version},
    session::AdminOnly,
};

/// The overview page.
#[component]
pub(crate) fn Overview() -> impl IntoView {
    let version = use_live_version(|_| true);
    // The orchestrator's numbers are the whole server's: admins only, and the server says
    // who is one. (The fetcher must not await another resource: it runs on its own task,
    // which can outlive the page's owner when the request is dropped mid-render.)
    let status = Resource::new(
        move || version.get(),
        |_| async move {
            match get_status().await {
                Ok(s) => Ok(Some(s)),
                Err(AppError::Forbidden(_)) => Ok(None),
                Err(e) => Err(e),
            }
        },
    );
    let builds = Resource::new(move || version.get(), |_| list_builds(None));

    view! {
        <Title text="Overview"/>
        <h1>"Overview"</h1>
        <Transition fallback=|| view! { <Loading what="metrics"/> }>
            {move || Suspend::new(async move {
                let s = status.await;
                let b = builds.await;
                match (s, b) {
                    (Ok(s), Ok(b)) => {
                        let active = b.builds.iter().filter(|x| !x.status.is_terminal()).count();
                        let completed = b.builds.iter().filter(|x| x.status == BuildStatus::Completed).count();
                        view! {
                            <section class="metrics-row" aria-label="Key numbers">
                                <Metric id="m-active-builds" label="active builds" value=Signal::derive(move || active.to_string())/>
                                <Metric id="m-completed" label="completed builds" value=Signal::derive(move || completed.to_string())/>
                                {s.map(|s| view! {
                                    <Metric id="m-agents" label="agents active / registered" value=Signal::derive(move || format!("{} / {}", s.agents_active, s.agents_registered))/>
                                    <Metric id="m-throughput" label="tasks per second (1 min)" value=Signal::derive(move || format!("{:.2}", s.throughput_per_sec))/>
                                    <Metric id="m-queue" label="queue depth" value=Signal::derive(move || s.queue_depth.to_string())/>
                                })}
                            </section>
                            <ActiveBuilds builds=b.builds/>
                        }
                        .into_any()
                    }
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorNote error=e/> }.into_any(),
                }
            })}
        </Transition>
        <div class="two-col">
            <AdminOnly>
                <AgentsPanel/>
            </AdminOnly>
            <ActivityFeed/>
        </div>
    }
}

/// The agents with their state (admins: the registry is the server's).
#[component]
fn AgentsPanel() -> impl IntoView {
    let agents_version = use_live_version(|e| e.kind.area() == "agent");
    let agents = Resource::new(move || agents_version.get(), |_| list_agents());
    view! {
            <section class="panel" aria-labelledby="agents-heading">
                <div class="panel-head">
                    <h2 id="agents-heading">"Agents"</h2>
                    <A href="/agents">"All agents"</A>
                </div>
                <Transition fallback=|| view! { <Loading what="agents"/> }>
                    {move || Suspend::new(async move {
                        match agents.await {
                            Ok(list) if list.is_empty() => view! { <Empty>"No agents are registered."</Empty> }.into_any(),
                            Ok(list) => view! {
                                <ul class="agent-grid" id="agent-list">
                                    {list.into_iter().map(|a| view! { <AgentCard agent=a/> }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
    }
}

#[component]
fn ActiveBuilds(builds: Vec<BuildSummary>) -> impl IntoView {
    let active: Vec<BuildSummary> = builds.into_iter().filter(|b| !b.status.is_terminal()).collect();
    view! {
        <section class="panel" aria-labelledby="active-heading">
            <div class="panel-head">
                <h2 id="active-heading">"Active builds"</h2>
                <A href="/builds">"Start a build"</A>
            </div>
            {if active.is_empty() {
                view! { <Empty>"Nothing is building right now. " <A href="/builds">"Describe an app"</A> " to start one."</Empty> }.into_any()
            } else {
                view! {
                    <ul class="build-list" id="active-builds">
                        {active.into_iter().map(|b| {
                            let progress = b.progress;
                            view! {
                                <li class="build-row">
                                    <A href=format!("/builds/{}", b.build_id)>{b.name.clone().unwrap_or_else(|| b.prompt.chars().take(60).collect())}</A>
                                    <StatusBadge status=b.phase.as_str()/>
                                    <ProgressBar value=Signal::derive(move || progress) label="Build progress"/>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// One agent with its state, load and (on demand) capabilities.
#[component]
pub(crate) fn AgentCard(agent: AgentView) -> impl IntoView {
    let open = RwSignal::new(false);
    let details_id = format!("agent-{}-details", agent.id);
    let caps = agent
        .capabilities
        .iter()
        .map(|c| view! { <li class="chip">{c.as_str()}</li> })
        .collect_view();
    let load = format!("{} / {}", agent.current_load, agent.max_concurrency);
    let pct = if agent.max_concurrency > 0 {
        100.0 * agent.current_load as f32 / agent.max_concurrency as f32
    } else {
        0.0
    };
    view! {
        <li class="agent-card" data-agent=agent.name.clone()>
            <div class="agent-head">
                <span class="agent-name">{agent.name.clone()}</span>
                <StatusBadge status=agent.status.as_str()/>
            </div>
            <p class="muted">{agent.kind.as_str()} " · load " {load}</p>
            <div class="load-bar" aria-hidden="true"><div style=format!("width: {pct:.0}%")></div></div>
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
            <Transition fallback=|| view! { <Loading what="activity"/> }>
                {move || Suspend::new(async move {
                    match initial.await {
                        Ok(first) => view! { <EventList first limit=30 quiet=true/> }.into_any(),
                        Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// `first`, then live events newer than it (those `topic` matches), newest first, each once.
#[component]
pub(crate) fn EventList(
    first: Vec<CoordinationEvent>,
    limit: usize,
    #[prop(optional)] topic: Option<Topic>,
    /// Leave out `task.progress` (shown apart, one line per task, where it matters).
    #[prop(optional)]
    quiet: bool,
) -> impl IntoView {
    let feed = use_live_feed();
    let topic = topic.unwrap_or(Topic::All);
    let newest_first = Memo::new(move |_| {
        let last_initial = first.last().map(|e| e.id);
        let mut all: Vec<CoordinationEvent> = first.clone();
        all.extend(
            feed.events
                .get()
                .into_iter()
                .filter(|e| Some(e.id) > last_initial && topic.matches(e))
                .filter(|e| !(quiet && e.kind == EventKind::TaskProgress)),
        );
        all.reverse();
        all.truncate(limit);
        all
    });
    view! {
        <ol class="event-list" id="activity" aria-live="polite" aria-relevant="additions">
            <For each=move || newest_first.get() key=|e| e.id let:event>
                <EventRow event/>
            </For>
        </ol>
        <p class="empty" hidden=move || !newest_first.with(Vec::is_empty)>"Nothing has happened yet."</p>
    }
}

/// One event as a list item.
#[component]
pub(crate) fn EventRow(event: CoordinationEvent) -> impl IntoView {
    let link = event
        .build_id
        .map(|b| format!("/builds/{b}"))
        .or_else(|| event.workflow_id.map(|w| format!("/workflows/{w}")));
    let text = summary(&event);
    view! {
        <li class="event" data-event-id=event.id.0 data-kind=event.kind.as_str()>
            <span class="event-kind">{event.kind.as_str()}</span>
            <Time at=event.created_at/>
            <span class="muted">
                {match link {
                    Some(href) => view! { <A href=href>{text}</A> }.into_any(),
                    None => text.into_any(),
                }}
            </span>
        </li>
    }
}

/// One line about an event, from the fields its kind carries.
pub(crate) fn summary(event: &CoordinationEvent) -> String {
    let p = &event.payload;
    let field = |k: &str| {
        p.get(k).and_then(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) if k == "progress" => Some(format!("{n}%")),
            _ => None,
        })
    };
    let mut parts: Vec<String> = [
        "name", "task", "purpose", "agent", "phase", "progress", "status", "to", "error", "reason",
    ]
    .into_iter()
    .filter_map(field)
    .collect();
    // task.progress: a model writing its answer.
    if let Some(tokens) = p.get("tokens").and_then(serde_json::Value::as_u64) {
        let secs = p.get("elapsed_ms").and_then(serde_json::Value::as_u64).unwrap_or(0) / 1000;
        parts.push(format!("{tokens} tokens so far ({secs} s)"));
    }
    if let Some(added) = p.get("tasks").and_then(|t| t.as_array()) {
        parts.push(format!("+{} tasks", added.len()));
    }
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(" · ")
    }
}
