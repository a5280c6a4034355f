//! A workflow's task DAG drawn as an SVG graph, and the details of one task.
//!
//! - [`layout`] (module `layout`) is pure (no Leptos): it places tasks in columns by dependency level, orders
//!   each column with barycenter sweeps to reduce edge crossings, and draws every edge as a
//!   cubic SVG path from the right side of a dependency to the left side of its dependent.
//! - [`DagGraph`] renders that layout live: nodes are keyed by task id, so a state change only
//!   updates attributes and a task added by a planning task appears without the others being
//!   re-created (keyboard focus survives updates).
//! - [`TaskDetails`] shows one task in a definition list.
//!
//! CSS lives in `style/graph.css`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::{api::TaskView, ids::TaskId, status::TaskState};
use leptos::prelude::*;

pub use layout::*;

use crate::format::{format_duration_ms, json_preview, pretty_json, truncate_label};

mod layout;

// ---------------------------------------------------------------------------------------------
// Components

/// What one node shows; compared so that unchanged nodes are not touched.
#[derive(Debug, Clone, PartialEq)]
struct NodeData {
    key: String,
    state: TaskState,
    agent: Option<String>,
    /// Carried over from the parent revision (its output says `"reused": true`).
    reused: bool,
    x: f64,
    y: f64,
}

impl Default for NodeData {
    fn default() -> Self {
        Self {
            key: String::new(),
            state: TaskState::Pending,
            agent: None,
            reused: false,
            x: 0.0,
            y: 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct EdgeData {
    from: TaskId,
    to: TaskId,
    d: String,
}

/// Everything the graph draws, derived from the tasks.
#[derive(Debug, Clone, Default, PartialEq)]
struct Scene {
    ids: Vec<TaskId>,
    nodes: HashMap<TaskId, NodeData>,
    edges: Vec<EdgeData>,
    width: f64,
    height: f64,
    label: String,
    counts: Vec<(TaskState, usize)>,
}

impl Scene {
    fn new(tasks: &[TaskView]) -> Self {
        let l = layout(tasks);
        let nodes = tasks
            .iter()
            .zip(&l.nodes)
            .map(|(t, r)| {
                (
                    t.id,
                    NodeData {
                        key: t.key.clone(),
                        state: t.state,
                        agent: t.agent.clone(),
                        reused: t
                            .output
                            .as_ref()
                            .and_then(|o| o.get("reused"))
                            .and_then(serde_json::Value::as_bool)
                            .unwrap_or(false),
                        x: r.x,
                        y: r.y,
                    },
                )
            })
            .collect();
        let edges = l
            .edges
            .into_iter()
            .map(|e| EdgeData {
                from: tasks[e.from].id,
                to: tasks[e.to].id,
                d: e.d,
            })
            .collect();
        Self {
            ids: tasks.iter().map(|t| t.id).collect(),
            nodes,
            edges,
            width: l.width,
            height: l.height,
            label: summary_label(tasks, l.columns),
            counts: state_counts(tasks),
        }
    }
}

/// The task DAG as an SVG graph: one focusable node per task (click, Enter or Space selects
/// it into `selected`), coloured by state, with edges from dependencies to dependents.
///
/// Emits `div.dag > div.dag-scroll > svg.dag-svg[role=img]`, nodes as
/// `g.node.state-<state>[data-task-key][data-state]` (plus `.selected`), edges as
/// `path.edge` (plus `.edge-done` when the dependency succeeded and `.edge-active` when it
/// touches the selected node), and a `ul.dag-legend`. With no tasks, `p.empty.dag-empty`.
#[component]
pub fn DagGraph(
    /// The workflow's tasks (any order; drawn by level).
    #[prop(into)]
    tasks: Signal<Vec<TaskView>>,
    /// The selected task, set when a node is activated.
    #[prop(into)]
    selected: RwSignal<Option<TaskId>>,
) -> impl IntoView {
    let scene = Memo::new(move |_| tasks.with(|t| Scene::new(t)));
    let is_empty = Memo::new(move |_| scene.with(|s| s.ids.is_empty()));

    view! {
        <div class="dag">
            <Show
                when=move || !is_empty.get()
                fallback=|| view! { <p class="empty dag-empty">"No tasks yet."</p> }
            >
                <div class="dag-scroll">
                    <svg
                        class="dag-svg"
                        xmlns="http://www.w3.org/2000/svg"
                        role="group"
                        aria-label=move || scene.with(|s| s.label.clone())
                        viewBox=move || scene.with(|s| format!("0 0 {} {}", num(s.width), num(s.height)))
                        width="100%"
                        preserveAspectRatio="xMinYMin meet"
                        style=move || {
                            scene.with(|s| {
                                format!(
                                    "max-width:{}px;min-width:{}px",
                                    num(s.width),
                                    num(s.width * MIN_SCALE),
                                )
                            })
                        }
                    >
                        <title>"Task dependency graph"</title>
                        <g class="edges" aria-hidden="true">
                            <For
                                each=move || scene.with(|s| s.edges.clone())
                                key=|e| (e.from, e.to, e.d.clone())
                                let:edge
                            >
                                <DagEdge edge scene selected/>
                            </For>
                        </g>
                        <g class="nodes">
                            <For each=move || scene.with(|s| s.ids.clone()) key=|id| *id let:id>
                                <DagNode id scene selected/>
                            </For>
                        </g>
                    </svg>
                </div>
                <ul class="dag-legend" aria-label="Tasks per state">
                    {move || {
                        scene
                            .with(|s| s.counts.clone())
                            .into_iter()
                            .map(|(state, count)| {
                                view! {
                                    <li class=format!("dag-legend-item state-{state}")>
                                        <span class="dag-legend-glyph" aria-hidden="true">
                                            {state_glyph(state)}
                                        </span>
                                        {format!("{} {count}", state.as_str())}
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </Show>
        </div>
    }
}

/// One edge; its shape is fixed (a new shape is a new element), only its class changes.
#[component]
fn DagEdge(edge: EdgeData, scene: Memo<Scene>, selected: RwSignal<Option<TaskId>>) -> impl IntoView {
    let EdgeData { from, to, d } = edge;
    let done = Memo::new(move |_| scene.with(|s| s.nodes.get(&from).is_some_and(|n| n.state == TaskState::Succeeded)));
    let class = move || {
        let mut c = String::from("edge");
        if done.get() {
            c.push_str(" edge-done");
        }
        if let Some(sel) = selected.get() {
            if sel == from || sel == to {
                c.push_str(" edge-active");
            }
        }
        c
    };
    view! { <path class=class d=d data-from=from.to_string() data-to=to.to_string()></path> }
}

/// One node, keyed by task id: everything it shows is read from the scene, so a new state
/// or position updates it in place.
#[component]
fn DagNode(id: TaskId, scene: Memo<Scene>, selected: RwSignal<Option<TaskId>>) -> impl IntoView {
    let node = Memo::new(move |prev: Option<&NodeData>| {
        scene
            .with(|s| s.nodes.get(&id).cloned())
            .or_else(|| prev.cloned())
            .unwrap_or_default()
    });
    let is_selected = Memo::new(move |_| selected.get() == Some(id));
    let select = move || selected.set(Some(id));

    let class = move || {
        node.with(|n| {
            format!(
                "node state-{}{}{}",
                n.state,
                if n.reused { " reused" } else { "" },
                if is_selected.get() { " selected" } else { "" }
            )
        })
    };
    let label = move || {
        node.with(|n| {
            let agent = n
                .agent
                .as_deref()
                .map_or_else(|| "no agent".to_owned(), |a| format!("agent {a}"));
            let reused = if n.reused {
                ", reused from the previous revision"
            } else {
                ""
            };
            format!("Task {}, {}{reused}, {agent}", n.key, n.state)
        })
    };
    let sub = move || {
        node.with(|n| {
            if n.reused {
                "reused".to_owned()
            } else {
                truncate_label(n.agent.as_deref().unwrap_or_else(|| n.state.as_str()), SUB_CHARS)
            }
        })
    };

    view! {
        <g
            class=class
            transform=move || node.with(|n| format!("translate({} {})", num(n.x), num(n.y)))
            tabindex="0"
            role="button"
            aria-label=label
            aria-pressed=move || is_selected.get().to_string()
            data-task-key=move || node.with(|n| n.key.clone())
            data-task-id=id.to_string()
            data-state=move || node.with(|n| n.state.as_str())
            data-reused=move || node.with(|n| n.reused.then_some("true"))
            on:click=move |_| select()
            on:keydown=move |ev| {
                let key = ev.key();
                if key == "Enter" || key == " " || key == "Spacebar" {
                    ev.prevent_default();
                    select();
                }
            }
        >
            <title>{move || node.with(|n| format!("{} ({})", n.key, n.state))}</title>
            <rect class="node-focus" x="-4" y="-4" width=num(NODE_W + 8.0) height=num(NODE_H + 8.0) rx="11"></rect>
            <rect class="node-box" width=num(NODE_W) height=num(NODE_H) rx="8"></rect>
            <text class="node-key" x="10" y="20">
                {move || node.with(|n| truncate_label(&n.key, KEY_CHARS))}
            </text>
            <text class="node-sub" x="10" y="37">
                {sub}
            </text>
            <text class="node-glyph" x=num(NODE_W - 10.0) y="20" text-anchor="end" aria-hidden="true">
                {move || node.with(|n| state_glyph(n.state))}
            </text>
        </g>
    }
}

/// One task in full: key, description, kind, state, agent, attempts, capabilities,
/// dependencies, timings, error and input/output JSON.
///
/// Emits `dl.task-details` (with `data-task-key`), `span.badge.status-<state>`,
/// `div.task-error[role=alert]` when the task has an error, and `pre.json > code` blocks with
/// a "Show all" `button.json-toggle` when the JSON is longer than [`JSON_PREVIEW_CHARS`].
/// Pass a plain [`TaskView`] or a signal (it then updates live).
#[component]
pub fn TaskDetails(
    /// The task to show.
    #[prop(into)]
    task: Signal<TaskView>,
) -> impl IntoView {
    let text = move |f: fn(&TaskView) -> String| move || task.with(f);
    let input = Signal::derive(move || task.with(|t| pretty_json(&t.input)));
    let output = Signal::derive(move || task.with(|t| t.output.as_ref().map(pretty_json)));
    let has_output = Memo::new(move |_| output.with(Option::is_some));
    let error = Memo::new(move |_| task.with(|t| t.error.clone()));
    let caps = move || {
        task.with(|t| {
            if t.required_capabilities.is_empty() {
                view! { <span class="muted">"none"</span> }.into_any()
            } else {
                let items = t
                    .required_capabilities
                    .iter()
                    .map(|c| view! { <li class="chip">{c.as_str()}</li> })
                    .collect_view();
                view! { <ul class="chips">{items}</ul> }.into_any()
            }
        })
    };
    let deps = move || {
        task.with(|t| {
            if t.dependencies.is_empty() {
                view! { <span class="muted">"none"</span> }.into_any()
            } else {
                let items = t
                    .dependencies
                    .iter()
                    .map(|d| view! { <li class="chip">{d.clone()}</li> })
                    .collect_view();
                view! { <ul class="chips">{items}</ul> }.into_any()
            }
        })
    };

    view! {
        <dl class="task-details" data-task-key=move || task.with(|t| t.key.clone())>
            <dt>"Key"</dt>
            <dd><code>{text(|t| t.key.clone())}</code></dd>
            <dt>"Description"</dt>
            <dd>{text(|t| t.description.clone())}</dd>
            <dt>"Kind"</dt>
            <dd><code>{text(|t| t.kind.clone())}</code></dd>
            <dt>"State"</dt>
            <dd>
                <span class=move || task.with(|t| format!("badge status-{}", t.state))>
                    {move || task.with(|t| t.state.as_str())}
                </span>
            </dd>
            <dt>"Agent"</dt>
            <dd>{text(|t| t.agent.clone().unwrap_or_else(|| "—".to_owned()))}</dd>
            <dt>"Attempts"</dt>
            <dd>{text(|t| format!("{} / {}", t.attempts, t.max_attempts))}</dd>
            <dt>"Required capabilities"</dt>
            <dd>{caps}</dd>
            <dt>"Dependencies"</dt>
            <dd>{deps}</dd>
            <dt>"Ready"</dt>
            <dd>{move || task.with(|t| time_view(t.ready_at))}</dd>
            <dt>"Started"</dt>
            <dd>{move || task.with(|t| time_view(t.started_at))}</dd>
            <dt>"Finished"</dt>
            <dd>{move || task.with(|t| time_view(t.finished_at))}</dd>
            <dt>"Duration"</dt>
            <dd>
                {text(|t| match (t.duration_ms, t.started_at, t.finished_at) {
                    (Some(ms), _, _) => format_duration_ms(ms),
                    (None, Some(_), None) => "in progress".to_owned(),
                    _ => "—".to_owned(),
                })}
            </dd>
            <Show when=move || error.with(Option::is_some)>
                <dt>"Error"</dt>
                <dd>
                    <div class="task-error" role="alert">
                        {move || error.get().unwrap_or_default()}
                    </div>
                </dd>
            </Show>
            <dt>"Input"</dt>
            <dd><JsonBlock text=input/></dd>
            <dt>"Output"</dt>
            <dd>
                <Show
                    when=move || has_output.get()
                    fallback=|| view! { <span class="muted">"none yet"</span> }
                >
                    <JsonBlock text=Signal::derive(move || output.get().unwrap_or_default())/>
                </Show>
            </dd>
        </dl>
    }
}

/// A time as `<time>`, or a dash.
fn time_view(at: Option<DateTime<Utc>>) -> AnyView {
    match at {
        Some(at) => view! {
            <time datetime=at.to_rfc3339() title=at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string()>
                {at.format("%H:%M:%S").to_string()}
            </time>
        }
        .into_any(),
        None => view! { <span class="muted">"—"</span> }.into_any(),
    }
}

/// Pretty JSON in `<pre><code>`, cut at [`JSON_PREVIEW_CHARS`] with a toggle.
#[component]
fn JsonBlock(#[prop(into)] text: Signal<String>) -> impl IntoView {
    let expanded = RwSignal::new(false);
    let preview = Memo::new(move |_| text.with(|t| json_preview(t, JSON_PREVIEW_CHARS)));
    let total = Memo::new(move |_| text.with(|t| t.chars().count()));
    let shown = move || {
        if expanded.get() {
            text.get()
        } else {
            preview.with(|p| p.0.clone())
        }
    };
    view! {
        <pre class="json"><code>{shown}</code></pre>
        <Show when=move || preview.with(|p| p.1)>
            <button
                class="btn small json-toggle"
                aria-expanded=move || expanded.get().to_string()
                on:click=move |_| expanded.update(|e| *e = !*e)
            >
                {move || {
                    if expanded.get() {
                        "Show less".to_owned()
                    } else {
                        format!("Show all ({} characters)", total.get())
                    }
                }}
            </button>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::{layout::tests::task, *};

    #[test]
    fn the_graph_renders_focusable_nodes_with_data_attributes() {
        let owner = Owner::new();
        owner.set();
        let mut tasks = vec![
            task(0, "plan-the-whole-application", 0, &[]),
            task(1, "b", 1, &["plan-the-whole-application"]),
            task(2, "c", 1, &["plan-the-whole-application"]),
        ];
        tasks[0].state = TaskState::Succeeded;
        tasks[0].agent = Some("starri".to_owned());
        tasks[1].state = TaskState::Running;
        let selected = RwSignal::new(Some(tasks[1].id));
        let html = view! { <DagGraph tasks=tasks.clone() selected/> }.to_html();
        assert!(html.contains(r#"class="dag-scroll""#), "{html}");
        assert!(
            html.contains(r#"role="group""#) && html.contains("Task graph: 3 tasks in 2 levels"),
            "{html}"
        );
        assert!(html.contains("<title>Task dependency graph</title>"), "{html}");
        assert!(html.contains(r#"data-task-key="plan-the-whole-application""#), "{html}");
        assert!(html.contains(r#"data-state="running""#), "{html}");
        assert!(html.contains(r#"class="node state-running selected""#), "{html}");
        assert!(html.contains(r#"class="node state-succeeded""#), "{html}");
        assert_eq!(html.matches(r#"tabindex="0""#).count(), 3, "{html}");
        assert_eq!(html.matches(r#"role="button""#).count(), 3, "{html}");
        assert!(html.contains(r#"aria-label="Task b, running, no agent""#), "{html}");
        assert!(
            html.contains(r#"aria-label="Task plan-the-whole-application, succeeded, agent starri""#),
            "{html}"
        );
        assert!(html.contains(">plan-the-whole-ap…<"), "{html}");
        assert!(html.contains(r#"class="edge edge-done edge-active""#), "{html}");
        assert!(html.contains(r#"class="edge edge-done""#), "{html}");

        let empty = view! { <DagGraph tasks={Vec::<TaskView>::new()} selected/> }.to_html();
        assert!(empty.contains("No tasks yet.") && !empty.contains("<svg"), "{empty}");
    }

    #[test]
    fn task_details_render_every_field() {
        let owner = Owner::new();
        owner.set();
        let mut t = task(0, "build-ui", 2, &["plan", "theme"]);
        t.state = TaskState::Failed;
        t.error = Some("boom".to_owned());
        t.duration_ms = Some(1_500);
        t.input = serde_json::json!({ "big": "x".repeat(JSON_PREVIEW_CHARS * 2) });
        t.output = None;
        let html = view! { <TaskDetails task=t/> }.to_html();
        assert!(html.contains(r#"class="task-details""#), "{html}");
        assert!(html.contains(r#"role="alert""#) && html.contains("boom"), "{html}");
        assert!(html.contains("badge status-failed"), "{html}");
        assert!(html.contains("1.5 s") && html.contains("0 / 3"), "{html}");
        assert!(html.contains("<pre class=\"json\"><code>"), "{html}");
        assert!(html.contains("Show all (4"), "{html}");
        assert!(html.contains("none yet"), "{html}");
        assert!(html.contains(">plan<") && html.contains(">theme<"), "{html}");
    }
}
